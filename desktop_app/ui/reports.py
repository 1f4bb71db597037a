"""The Reports screen for team leads and governance: a chart with its table for each report.

Choose the report, the period (this month, last month, this quarter, last quarter, the last
12 months, or your own dates) and the team; the report is computed on the database thread
(a busy bar shows while it runs, and the screen stays usable) and drawn generically from
the ``Report`` it returns: each section's chart (QtCharts) above its table, with the notes
and the small-number rule. "Export CSV…" writes where you choose; "PDF…" and "Joint meeting
pack…" open in the preview to print or export.
"""

from __future__ import annotations

import datetime as dt
import math
from collections.abc import Callable, Sequence
from pathlib import Path

from PySide6.QtCharts import (
    QAbstractSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QChart,
    QChartView,
    QLineSeries,
    QPieSeries,
    QStackedBarSeries,
    QValueAxis,
)
from PySide6.QtCore import QDate, QMargins, Qt, Signal
from PySide6.QtGui import QFont, QPainter, QShowEvent
from PySide6.QtWidgets import (
    QComboBox,
    QDateEdit,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QProgressBar,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.reports import (
    Chart,
    ChartKind,
    MeetingPack,
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    to_csv,
)
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


def _qdate(day: dt.date) -> QDate:
    return QDate(day.year, day.month, day.day)


def _pydate(day: QDate) -> dt.date:
    return dt.date(day.year(), day.month(), day.day())


def chart_view(chart: Chart) -> QChartView:
    """A QtCharts view of a report chart (bars, stacked bars, lines or a pie)."""
    qchart = QChart()
    qchart.setTitle(chart.title)
    qchart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
    qchart.setMargins(QMargins(4, 4, 4, 4))
    if chart.kind is ChartKind.PIE:
        pie = QPieSeries()
        for category, value in zip(chart.categories, chart.series[0].values, strict=True):
            if value:
                pie.append(f"{category} ({value:g})", float(value))
        qchart.addSeries(pie)
    elif chart.kind is ChartKind.LINE:
        _add_lines(qchart, chart)
    else:
        _add_bars(qchart, chart)
    qchart.legend().setVisible(len(chart.series) > 1 or chart.kind is ChartKind.PIE)
    qchart.legend().setAlignment(Qt.AlignmentFlag.AlignBottom)
    view = QChartView(qchart)
    view.setRenderHint(QPainter.RenderHint.Antialiasing)
    view.setMinimumHeight(260)
    view.setAccessibleName(chart.title)
    return view


def _axes(qchart: QChart, chart: Chart, series: Sequence[QAbstractSeries]) -> None:
    categories = QBarCategoryAxis()
    categories.append(list(chart.categories))
    values = QValueAxis()
    values.setTitleText(chart.value_axis)
    values.setLabelFormat("%.0f")
    top = max((v or 0 for s in chart.series for v in s.values), default=0)
    if chart.kind is ChartKind.STACKED_BAR:
        top = max((sum(s.values[i] or 0 for s in chart.series)
                   for i in range(len(chart.categories))), default=0)
    if top <= 10:  # small counts: one tick per whole number, never "2, 2"
        whole = max(1, math.ceil(top))
        values.setRange(0, whole)
        values.setTickCount(whole + 1)
    else:
        values.setRange(0, float(top) * 1.05)
        values.applyNiceNumbers()
    qchart.addAxis(categories, Qt.AlignmentFlag.AlignBottom)
    qchart.addAxis(values, Qt.AlignmentFlag.AlignLeft)
    for s in series:
        s.attachAxis(categories)
        s.attachAxis(values)


def _add_bars(qchart: QChart, chart: Chart) -> None:
    bars = QStackedBarSeries() if chart.kind is ChartKind.STACKED_BAR else QBarSeries()
    for series in chart.series:
        bar_set = QBarSet(series.name)
        bar_set.append([float(v or 0) for v in series.values])
        bars.append(bar_set)
    qchart.addSeries(bars)
    _axes(qchart, chart, [bars])


def _add_lines(qchart: QChart, chart: Chart) -> None:
    lines: list[QLineSeries] = []
    for series in chart.series:
        line = QLineSeries()
        line.setName(series.name)
        for index, value in enumerate(series.values):
            if value is not None:
                line.append(index + 0.5, float(value))
        qchart.addSeries(line)
        lines.append(line)
    # A category axis places index + 0.5 at the middle of each category.
    _axes(qchart, chart, lines)


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
            if cell.value is not None:
                item.setTextAlignment(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
            if r >= first_total:
                item.setFont(bold)
            table.setItem(r, c, item)
    table.resizeColumnsToContents()
    header_height = table.horizontalHeader().height()
    rows_height = sum(table.rowHeight(r) for r in range(table.rowCount()))
    table.setMinimumHeight(min(420, header_height + rows_height + 6))
    return table


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
        self._serial, self._teams_loaded = 0, False
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
        layout = QVBoxLayout(self)
        layout.addLayout(self.filters)
        layout.addWidget(scroll, 1)
        layout.addLayout(buttons)
        self._set_report_actions(False)

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
        self.from_edit = QDateEdit(_qdate(start))
        self.to_edit = QDateEdit(_qdate(end))
        for edit, name in ((self.from_edit, tr("Period from")), (self.to_edit, tr("Period to"))):
            edit.setDisplayFormat("dd/MM/yyyy")
            edit.setCalendarPopup(True)
            edit.setAccessibleName(name)
            edit.setEnabled(False)
            edit.dateChanged.connect(lambda _d: self.refresh())
        self.team_combo = QComboBox()
        self.team_combo.setAccessibleName(tr("Team"))
        self.team_combo.addItem(tr("All teams"), None)
        self.filters = QHBoxLayout()
        for text, field in ((tr("&Report:"), self.report_combo),
                            (tr("P&eriod:"), self.period_combo), (tr("&From:"), self.from_edit),
                            (tr("&To:"), self.to_edit),
                            (tr("T&eam:"), self.team_combo)):
            label = QLabel(text)
            label.setBuddy(field)
            self.filters.addWidget(label)
            self.filters.addWidget(field)
        self.filters.addStretch(1)
        self.report_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.team_combo.currentIndexChanged.connect(lambda _i: self.refresh())
        self.period_combo.currentIndexChanged.connect(self._on_period_combo_changed)

    # ------------------------------------------------------------ computing

    def query(self) -> ReportQuery:
        """The filters as a query."""
        return ReportQuery(_pydate(self.from_edit.date()), _pydate(self.to_edit.date()),
                           self.team_combo.currentData())

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
                edit.blockSignals(True)
                edit.setDate(_qdate(day))
                edit.blockSignals(False)
        self.refresh()

    def refresh(self) -> None:
        """Compute the chosen report off the GUI thread; a late answer is dropped."""
        if self.from_edit.date() > self.to_edit.date():
            self.message.setText(self.tr("The period starts after it ends; please check."))
            return
        query = self.query()
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
        chosen = self.choose_csv_file(f"{report.kind.value}-report.csv")
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
                data, report.title, f"{report.kind.value}-report.pdf", report), self._on_failed)

    def open_pack(self) -> None:
        """The two-weekly joint meeting pack for the chosen team, in the preview."""
        team = self.team_combo.currentData()
        self._run(lambda: self._pack(team), lambda built: self._show_pdf(
            built[0], self.tr("Joint meeting pack"), "joint-meeting-pack.pdf", built[1]),
            self._on_failed)
