"""The Reports screen for team leads and governance: a chart with its table for each report.

Choose the report, the team and the period (this month, last month, this quarter, last
quarter, the last 12 months, or your own dates); the report is computed on the database
thread (a busy bar shows while it runs, and the screen stays usable) and drawn generically
from the ``Report`` it returns: each section's chart (QtCharts, ``report_charts``: legible
at 1366×768 and at 150 % text) above its table, with the chart's key, the notes and the
small-number rule. The filters take one row, or two on a narrow screen. "Export CSV…"
writes where you choose; "PDF…" and "Joint meeting pack…" open in the preview to print or
export. With ``show_problems`` the screen has two tabs: the governance reports, and the
problems staff reported to the IPCB (``ui/problem_reports.py``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QFont, QResizeEvent, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QFileDialog,
    QGridLayout,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.reports import (
    MeetingPack,
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    to_csv,
)
from desktop_app.ui.forms import DateLine
from desktop_app.ui.pdf_preview import safe_file_name
from desktop_app.ui.report_charts import chart_view
from desktop_app.ui.tables import read_only_table
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text

PERIODS = ("This month", "Last month", "This quarter", "Last quarter", "Last 12 months",
           "Your own dates")


def period_dates(choice: str, today: dt.date) -> tuple[dt.date, dt.date]:
    """The first and last day of a named period around ``today``."""
    month_start = today.replace(day=1)
    quarter_start = dt.date(today.year, 3 * ((today.month - 1) // 3) + 1, 1)
    if choice == "Last month":
        end = month_start - dt.timedelta(days=1)
        return end.replace(day=1), end
    if choice == "This quarter":
        return quarter_start, today
    if choice == "Last quarter":
        end = quarter_start - dt.timedelta(days=1)
        return dt.date(end.year, end.month - 2, 1), end
    if choice == "Last 12 months":
        return today.replace(year=today.year - 1, day=1), today
    return month_start, today


def section_table(section: ReportSection) -> QTableWidget:
    """A section's table; the total rows in bold; hidden numbers ("<5") as given."""
    table = read_only_table(section.columns, section.title)
    table.setRowCount(len(section.rows))
    bold = QFont()
    bold.setBold(True)
    first_total = len(section.rows) - section.total_rows
    for r, row in enumerate(section.rows):
        for c, cell in enumerate(row):
            item = QTableWidgetItem(cell.text)
            if cell.numeric:  # "<5", "*" and "–" line up with the figures too
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if r >= first_total:
                item.setFont(bold)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    header_height = table.horizontalHeader().height()
    rows_height = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setMinimumHeight(min(420, header_height + rows_height + 6))
    return table


def report_file_name(report: Report, extension: str) -> str:
    """The name Export suggests: the report, its period and its team, as "Delegations by
    outcome and task category - 2026-01-01 to 2026-03-31 - All teams.pdf" (no person in a
    report, so no patient data in the name)."""
    query = report.query
    period = f"{query.period_start.isoformat()} to {query.period_end.isoformat()}"
    return safe_file_name(f"{report.title} - {period} - {query.team or 'All teams'}"
                          f".{extension}")


class ReportsWidget(QWidget):
    """Report, period and team filters; the report's charts and tables; exports.

    ``compute(kind, query)`` returns a Report (run on the database thread by ``run``);
    ``teams()`` the team names; ``pdf(report)`` PDF bytes; ``pack(team)`` the joint meeting
    pack's PDF bytes; ``show_pdf(data, title, suggested_name, audited_as)`` previews one;
    ``exported(report, how)`` audits a CSV export.
    """

    report_shown = Signal(object)

    def __init__(self, reports: Sequence[tuple[ReportKind, str]], run: Run,
                 compute: Callable[[ReportKind, ReportQuery], Report],
                 teams: Callable[[], Sequence[str]], pdf: Callable[[Report], bytes],
                 pack: Callable[[str | None], tuple[bytes, MeetingPack]],
                 show_pdf: Callable[[bytes, str, str, Report | MeetingPack], None],
                 exported: Callable[[Report, str], None] | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__()
        self._run, self._compute, self._teams, self._pdf = run, compute, teams, pdf
        self._pack, self._show_pdf, self._exported, self._today = pack, show_pdf, exported, today
        self.report: Report | None = None
        self._serial, self._teams_loaded, self._filter_rows = 0, False, 0
        self._dates_computed = ("", "")
        self.choose_csv_file: Callable[[str], str | None] = self._ask_for_csv_file
        self._build_filters(reports)
        self.busy = QProgressBar()
        self.busy.setRange(0, 0)
        self.busy.setAccessibleName(self.tr("Computing the report"))
        self.busy.hide()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Message"))
        self.body = QWidget()
        self.body_layout = QVBoxLayout(self.body)
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.body)
        self.csv_button = QPushButton(self.tr("Export &CSV…"))
        self.pdf_button = QPushButton(self.tr("&PDF…"))
        self.pack_button = QPushButton(self.tr("Joint &meeting pack…"))
        self.csv_button.clicked.connect(lambda _c=False: self.export_csv())
        self.pdf_button.clicked.connect(lambda _c=False: self.open_pdf())
        self.pack_button.clicked.connect(lambda _c=False: self.open_pack())
        buttons = QHBoxLayout()
        buttons.addWidget(self.busy)
        buttons.addWidget(self.message, 1)
        for button in (self.csv_button, self.pdf_button, self.pack_button):
            buttons.addWidget(button)
        # The reports themselves; a tab of their own once the problems list is added.
        self.reports_page = QWidget()
        self.tabs: QTabWidget | None = None
        self._outer = QVBoxLayout(self)
        self._outer.setContentsMargins(0, 0, 0, 0)
        self._outer.addWidget(self.reports_page)
        layout = QVBoxLayout(self.reports_page)
        layout.addLayout(self.filters)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        fields = [field for _, field in self._filter_fields]
        for before, after in zip(fields, fields[1:], strict=False):
            QWidget.setTabOrder(before, after)
        self._set_report_actions(False)

    def show_problems(self, problems: QWidget) -> None:
        """Add the list of problems reported to the IPCB beside the reports, as a tab."""
        tabs = QTabWidget()
        tabs.setAccessibleName(self.tr("Reports and problems reported to the IPCB"))
        self._outer.removeWidget(self.reports_page)
        tabs.addTab(self.reports_page, self.tr("&Governance reports"))
        tabs.addTab(problems, self.tr("Problems reported to the &IPCB"))
        self._outer.addWidget(tabs)
        self.tabs = tabs

    def _place_filters(self, rows: int) -> None:
        """The filters in one row, or in two (the report and the team; the period)."""
        if rows == self._filter_rows:
            return
        self._filter_rows = rows
        for label, field in self._filter_fields:
            self.filters.removeWidget(label)
            self.filters.removeWidget(field)
        for index, (label, field) in enumerate(self._filter_fields):
            row, column = (0, index) if rows == 1 or index < 2 else (1, index - 2)
            self.filters.addWidget(label, row, 2 * column)
            self.filters.addWidget(field, row, 2 * column + 1)
        for column in range(2 * len(self._filter_fields)):
            self.filters.setColumnStretch(column, 0)
        self.filters.setColumnStretch(2 * len(self._filter_fields), 1)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        spacing = max(self.filters.horizontalSpacing(), 6)
        one_row = sum(label.sizeHint().width() + field.sizeHint().width() + 2 * spacing
                      for label, field in self._filter_fields) + 24
        self._place_filters(1 if event.size().width() >= one_row else 2)

    def _build_filters(self, reports: Sequence[tuple[ReportKind, str]]) -> None:
        tr = self.tr
        self.report_combo = QComboBox()
        self.report_combo.setAccessibleName(tr("Report"))
        for kind, title in reports:
            self.report_combo.addItem(tr(title), kind)
        self.period_combo = QComboBox()
        self.period_combo.setAccessibleName(tr("Period"))
        for name in PERIODS:
            self.period_combo.addItem(tr(name), name)
        start, end = period_dates(PERIODS[0], self._today())
        self.from_edit = DateLine(tr("Period from"), start)
        self.to_edit = DateLine(tr("Period to"), end)
        for edit in (self.from_edit, self.to_edit):
            edit.setEnabled(False)
            # Computed when the date is left (or picked), not at every key typed.
            edit.editingFinished.connect(self._on_date_edited)
            edit.picked.connect(self._on_date_edited)
        self.team_combo = QComboBox()
        self.team_combo.setAccessibleName(tr("Team"))
        self.team_combo.addItem(tr("All teams"), None)
        self.filters = QGridLayout()
        # What (the report, the team), then when (the period): one row, or two on a narrow
        # screen (150 % text), in the same order, which is also the Tab order.
        self._filter_fields: list[tuple[QLabel, QWidget]] = []
        for text, field in ((tr("&Report:"), self.report_combo), (tr("Te&am:"), self.team_combo),
                            (tr("P&eriod:"), self.period_combo), (tr("&From:"), self.from_edit),
                            (tr("&To:"), self.to_edit)):
            label = QLabel(text)
            label.setBuddy(field)
            self._filter_fields.append((label, field))
        self._place_filters(1)
        self.report_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.team_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.period_combo.currentIndexChanged.connect(self._on_period_combo_changed)

    # ------------------------------------------------------------ computing

    def query(self) -> ReportQuery:
        """The filters as a query (ValidationError when a date is not one or is blank)."""
        start, end = self.from_edit.value(), self.to_edit.value()
        if start is None or end is None:
            raise ValidationError(self.tr("Give the first and the last day of the period."))
        if start > end:
            raise ValidationError(self.tr("The period starts after it ends; please check."))
        return ReportQuery(start, end, self.team_combo.currentData())

    def _on_date_edited(self) -> None:
        shown = (self.from_edit.text(), self.to_edit.text())
        if shown != self._dates_computed:
            self.refresh()

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._teams_loaded:
            self._teams_loaded = True
            self._run(self._teams, self._on_teams_read)
            self.refresh()

    def _on_teams_read(self, teams: Sequence[str]) -> None:
        for team in teams:
            self.team_combo.addItem(team, team)

    def _on_period_combo_changed(self, _index: int) -> None:
        choice = self.period_combo.currentData()
        own = choice == PERIODS[-1]
        self.from_edit.setEnabled(own)
        self.to_edit.setEnabled(own)
        if not own:
            start, end = period_dates(choice, self._today())
            for edit, day in ((self.from_edit, start), (self.to_edit, end)):
                edit.set_value(day)
        self.refresh()

    def refresh(self) -> None:
        """Compute the chosen report off the GUI thread; a late answer is dropped."""
        try:
            query = self.query()
        except ValidationError as problem:
            # The report on screen is for other dates than the filters now say: it stays to
            # be read (its heading names its period) but is not exported as if it were new.
            self.message.setText(problem.message)
            self._set_report_actions(False)
            return
        self._dates_computed = (self.from_edit.text(), self.to_edit.text())
        self._serial += 1
        serial, kind = self._serial, self.report_combo.currentData()
        self.busy.show()
        self.message.setText(self.tr("Computing…"))
        self._run(lambda: self._compute(kind, query),
                  lambda report: self._on_report_computed(serial, report),
                  self._on_failed)

    def _on_failed(self, error: ExpectedError) -> None:
        self.busy.hide()
        self.message.setText(escape_text(getattr(error, "message", str(error))))

    def _on_report_computed(self, serial: int, report: Report) -> None:
        if serial != self._serial:
            return
        self.busy.hide()
        self.report = report
        self._draw(report)
        self.message.setText(self.tr("Produced %s") % report.produced_at.astimezone().strftime(
            "%d/%m/%Y %H:%M"))
        self._set_report_actions(True)
        self.report_shown.emit(report)

    def _draw(self, report: Report) -> None:
        while (item := self.body_layout.takeAt(0)) is not None:
            widget = item.widget()
            if widget is not None:
                widget.hide()
                widget.setParent(None)  # gone from the screen (and its accessibility) now
                widget.deleteLater()
        heading = QLabel(f"<h3>{escape_text(report.title)}</h3>{escape_text(report.period)} · "
                         f"{escape_text(report.query.team or self.tr('All teams'))}")
        self.body_layout.addWidget(heading)
        for section in report.sections:
            if len(report.sections) > 1:
                self.body_layout.addWidget(QLabel(f"<b>{escape_text(section.title)}</b>"))
            if section.chart is not None and section.chart.categories:
                self.body_layout.addWidget(chart_view(section.chart))
                if section.chart.key_note:  # which short label is which full name
                    self.body_layout.addWidget(self._note(section.chart.key_note))
            self.body_layout.addWidget(section_table(section))
            for note in section.notes:
                self.body_layout.addWidget(self._note(note))
        for note in (*report.notes, *([report.suppression_rule] if report.suppression_rule
                                      else [])):
            self.body_layout.addWidget(self._note(note))
        self.body_layout.addStretch(1)

    @staticmethod
    def _note(text: str) -> QLabel:
        label = QLabel(escape_text(text))
        label.setWordWrap(True)
        return label

    def _set_report_actions(self, enabled: bool) -> None:
        self.csv_button.setEnabled(enabled)
        self.pdf_button.setEnabled(enabled)

    # ------------------------------------------------------------ exports

    def _ask_for_csv_file(self, suggested: str) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(self, self.tr("Export CSV"), suggested,
                                                    self.tr("CSV files (*.csv)"))
        return path or None

    def export_csv(self) -> Path | None:
        """Write the report as CSV where the user chooses."""
        report = self.report
        if report is None:
            return None
        chosen = self.choose_csv_file(report_file_name(report, "csv"))
        if not chosen:
            return None
        path = Path(chosen if chosen.lower().endswith(".csv") else chosen + ".csv")
        try:
            path.write_text(to_csv(report), encoding="utf-8-sig", newline="")
        except OSError as err:
            self.message.setText(self.tr("Could not save there (%s).") % (err.strerror or "error"))
            return None
        self.message.setText(self.tr("Saved as %s.") % path.name)
        if self._exported is not None:
            self._exported(report, "export")
        return path

    def open_pdf(self) -> None:
        """The report as a PDF in the preview (print or export from there)."""
        report = self.report
        if report is not None:
            self._run(lambda: self._pdf(report), lambda data: self._show_pdf(
                data, report.title, report_file_name(report, "pdf"), report), self._on_failed)

    def open_pack(self) -> None:
        """The two-weekly joint meeting pack for the chosen team, in the preview."""
        team = self.team_combo.currentData()
        self._run(lambda: self._pack(team), lambda built: self._show_pdf(
            built[0], self.tr("Joint meeting pack"), "joint-meeting-pack.pdf", built[1]),
            self._on_failed)
