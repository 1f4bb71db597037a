"""The team lead's batch: many support plans as one PDF, or straight to the printer.

Choose a team and the days the plans changed (this week by default), find them, untick
any not wanted, then "Make one PDF…" (opens in the preview, to export or print) or
"Print…" (choose the printer first). The plans are rendered in the background on every
core with a progress bar and Cancel; printing then goes page by page, also cancellable,
so the window never freezes. Nothing is written to disk unless the person exports.

The dialog is given plain callables (``find``, ``build``) and a ``run`` for database work
and a ``run_in_background`` for the batch; it never touches the database itself.
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable, Sequence
from typing import Protocol

from PySide6.QtCore import QObject, Qt, QTimer, Signal
from PySide6.QtPrintSupport import QPrinter
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QProgressBar,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ValidationError
from desktop_app.ui.forms import DateLine
from desktop_app.ui.pdf_preview import PdfPreviewDialog, draw_page, load_pdf, safe_file_name
from desktop_app.ui.tasks import Run, Submit


class PlanRow(Protocol):
    """A plan as ``find`` lists it (``services.plans.batch.BatchPlanRow``)."""

    @property
    def plan_id(self) -> str: ...
    @property
    def person_name(self) -> str: ...
    @property
    def nhs_number_display(self) -> str: ...
    @property
    def team(self) -> str: ...
    @property
    def version_number(self) -> int: ...
    @property
    def effective_from(self) -> dt.date: ...
    @property
    def task_names(self) -> Sequence[str]: ...


class Batch(Protocol):
    """What ``build`` returns (``services.pdf.batch.BatchResult``)."""

    @property
    def cancelled(self) -> bool: ...
    @property
    def pdf(self) -> bytes | None: ...


# find(team or None for every team, first day, last day)
Find = Callable[[str | None, dt.date, dt.date], Sequence[PlanRow]]
# build(plan_ids, progress(done, total), cancelled())
Build = Callable[[list[str], Callable[[int, int], None], Callable[[], bool]], Batch]


def week_start(today: dt.date) -> dt.date:
    """The Monday of ``today``'s week (the default start of "changed this week")."""
    return today - dt.timedelta(days=today.weekday())


class _Progress(QObject):
    """Carries progress from the batch's thread to the GUI thread (queued signal)."""

    moved = Signal(int, int)


class PagePrinter(QObject):
    """Prints a PDF page by page on timer ticks, so the window stays usable; cancellable."""

    page_printed = Signal(int, int)
    finished = Signal(bool)  # True when every page was sent

    def __init__(self, data: bytes, printer: QPrinter, parent: QObject | None = None) -> None:
        super().__init__(parent)
        from PySide6.QtGui import QPainter
        self.document, self._buffer = load_pdf(data, self)
        self.printer, self.page, self.cancelled = printer, 0, False
        self.painter = QPainter()
        self.timer = QTimer(self, interval=0)
        self.timer.timeout.connect(self._on_timer_timeout)

    def start(self) -> bool:
        """Begin printing; False if the printer cannot be started."""
        if not self.painter.begin(self.printer):
            return False
        self.timer.start()
        return True

    def cancel(self) -> None:
        """Stop after the page being printed."""
        self.cancelled = True

    def _on_timer_timeout(self) -> None:
        count = self.document.pageCount()
        if self.cancelled or self.page >= count:
            self.timer.stop()
            self.painter.end()
            self.finished.emit(not self.cancelled)
            return
        draw_page(self.document, self.page, self.printer, self.painter)
        self.page += 1
        self.page_printed.emit(self.page, count)


class PlanBatchDialog(QDialog):
    """Find the plans changed in a period for a team; make one PDF or print them all.

    ``find(team, start, end)`` returns rows with ``plan_id``, ``person_name``,
    ``nhs_number_display``, ``team``, ``version_number``, ``effective_from`` and
    ``task_names``; ``build(plan_ids, progress, cancelled)`` returns an object with
    ``cancelled`` and ``pdf`` (bytes). ``choose_printer`` can be replaced in tests.
    """

    def __init__(self, teams: Sequence[str], find: Find, build: Build, run: Run,
                 run_in_background: Submit, today: dt.date,
                 parent: QWidget | None = None,
                 printed: Callable[[Sequence[str], str], None] | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.setWindowTitle(tr("Print a batch of support plans"))
        self._find, self._build, self._run, self._background = find, build, run, run_in_background
        self._printed = printed
        self._cancel = threading.Event()
        self._progress = _Progress(self)
        self._progress.moved.connect(self._on_progress_moved)
        self.rows: list[PlanRow] = []
        self.preview: PdfPreviewDialog | None = None
        self.page_printer: PagePrinter | None = None
        self.team_combo = QComboBox()
        self.team_combo.setAccessibleName(tr("Team"))
        self.team_combo.addItem(tr("All teams"), None)
        for team in teams:
            self.team_combo.addItem(team, team)
        self.from_edit = DateLine(tr("Changed from"), week_start(today))
        self.to_edit = DateLine(tr("Changed up to"), today)
        self.find_button = QPushButton(tr("&Find plans"))
        self.find_button.clicked.connect(lambda _c=False: self.find_plans())
        self.plan_list = QListWidget()
        self.plan_list.setAccessibleName(tr("Plans found; untick any not wanted"))
        self.plan_list.itemChanged.connect(lambda _item: self._update_count())
        self.count_label = QLabel()
        self.all_button = QPushButton(tr("Tick &all"))
        self.none_button = QPushButton(tr("Tick &none"))
        self.all_button.clicked.connect(lambda _c=False: self._tick_all(True))
        self.none_button.clicked.connect(lambda _c=False: self._tick_all(False))
        self.pdf_button = QPushButton(tr("&Make one PDF…"))
        self.print_button = QPushButton(tr("&Print…"))
        self.cancel_button = QPushButton(tr("&Cancel"))
        self.close_button = QPushButton(tr("C&lose"))
        self.pdf_button.clicked.connect(lambda _c=False: self.make_pdf())
        self.print_button.clicked.connect(lambda _c=False: self.print_all())
        self.cancel_button.clicked.connect(lambda _c=False: self.cancel())
        self.close_button.clicked.connect(self.reject)
        self.progress_bar = QProgressBar()
        self.progress_bar.setAccessibleName(tr("Progress"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(tr("Message"))
        self.choose_printer: Callable[[], QPrinter | None] = self._ask_for_printer
        self._lay_out()
        self._set_busy(False)

    def _lay_out(self) -> None:
        tr = self.tr
        filters = QHBoxLayout()
        for text, field in ((tr("&Team:"), self.team_combo), (tr("Changed &from:"), self.from_edit),
                            (tr("&to:"), self.to_edit)):
            label = QLabel(text)
            label.setBuddy(field)
            filters.addWidget(label)
            filters.addWidget(field)
        filters.addWidget(self.find_button)
        ticks = QHBoxLayout()
        ticks.addWidget(self.count_label, 1)
        ticks.addWidget(self.all_button)
        ticks.addWidget(self.none_button)
        actions = QHBoxLayout()
        actions.addWidget(self.progress_bar, 1)
        for button in (self.pdf_button, self.print_button, self.cancel_button,
                       self.close_button):
            actions.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.plan_list, 1)
        layout.addLayout(ticks)
        layout.addWidget(self.message)
        layout.addLayout(actions)
        self.resize(760, 520)

    # ------------------------------------------------------------ finding

    def find_plans(self) -> None:
        """List the latest plan of each person changed in the period, for the team."""
        try:
            start, end = self.from_edit.value(), self.to_edit.value()
        except ValidationError as problem:
            self.message.setText(problem.message)
            return
        if start is None or end is None:
            self.message.setText(self.tr("Give the first and the last day of the period."))
            (self.to_edit if start else self.from_edit).setFocus()
            return
        if start > end:
            self.message.setText(self.tr("The first day is after the last; please check."))
            return
        team = self.team_combo.currentData()
        self.message.setText(self.tr("Finding plans…"))
        self._run(lambda: self._find(team, start, end), self._on_plans_found)

    def _on_plans_found(self, rows: Sequence[PlanRow]) -> None:
        self.rows = list(rows)
        self.plan_list.clear()
        for row in self.rows:
            item = QListWidgetItem(
                f"{row.person_name} · {row.nhs_number_display} · {row.team} · "
                + self.tr("version %d from %s") % (row.version_number,
                                                    row.effective_from.strftime("%d/%m/%Y"))
                + (" · " + ", ".join(row.task_names) if row.task_names else ""))
            item.setFlags(item.flags() | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked)
            self.plan_list.addItem(item)
        self.message.setText(self.tr("No plans changed in that period.") if not self.rows
                             else "")
        self._update_count()

    def chosen_ids(self) -> list[str]:
        """The ticked plans, in the listed order."""
        return [row.plan_id for i, row in enumerate(self.rows)
                if self.plan_list.item(i).checkState() == Qt.CheckState.Checked]

    def _tick_all(self, ticked: bool) -> None:
        state = Qt.CheckState.Checked if ticked else Qt.CheckState.Unchecked
        for i in range(self.plan_list.count()):
            self.plan_list.item(i).setCheckState(state)
        self._update_count()

    def _update_count(self) -> None:
        chosen = len(self.chosen_ids())
        self.count_label.setText(self.tr("%1 of %2 plans ticked").replace(
            "%1", str(chosen)).replace("%2", str(len(self.rows))))
        self.pdf_button.setEnabled(chosen > 0 and not self.cancel_button.isEnabled())
        self.print_button.setEnabled(chosen > 0 and not self.cancel_button.isEnabled())

    # ------------------------------------------------------------ making and printing

    def _ask_for_printer(self) -> QPrinter | None:
        from PySide6.QtPrintSupport import QPrintDialog
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setResolution(300)
        dialog = QPrintDialog(printer, self)
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def make_pdf(self) -> None:
        """Render the ticked plans into one PDF, then show it to export or print."""
        self._start(None)

    def print_all(self) -> None:
        """Choose a printer, render the ticked plans, and print them page by page."""
        printer = self.choose_printer()
        if printer is not None:
            self._start(printer)

    def _start(self, printer: QPrinter | None) -> None:
        ids = self.chosen_ids()
        if not ids:
            return
        self._cancel.clear()
        self._set_busy(True)
        self.progress_bar.setRange(0, len(ids))
        self.progress_bar.setValue(0)
        self.message.setText(self.tr("Preparing %d plans…") % len(ids))
        progress, cancelled = self._progress.moved.emit, self._cancel.is_set
        self._background(lambda: self._build(ids, progress, cancelled),
                         lambda result: self._on_batch_built(ids, printer, result),
                         self._on_batch_failed)

    def cancel(self) -> None:
        """Stop the batch (or the printing) as soon as it can."""
        self._cancel.set()
        if self.page_printer is not None:
            self.page_printer.cancel()
        self.message.setText(self.tr("Cancelling…"))

    def _set_busy(self, busy: bool) -> None:
        for widget in (self.find_button, self.team_combo, self.from_edit, self.to_edit,
                       self.all_button, self.none_button, self.close_button):
            widget.setEnabled(not busy)
        self.cancel_button.setEnabled(busy)
        self._update_count()

    def _on_progress_moved(self, done: int, total: int) -> None:
        self.progress_bar.setValue(done)
        self.message.setText(self.tr("Prepared %1 of %2 plans").replace(
            "%1", str(done)).replace("%2", str(total)))

    def _on_batch_failed(self, error: BaseException) -> None:
        self._set_busy(False)
        message = getattr(error, "message", None)
        self.message.setText(message or self.tr("The batch could not be made; it has been "
                                                "logged for support."))
        if message is None:
            raise error

    def _on_batch_built(self, ids: list[str], printer: QPrinter | None, result: Batch) -> None:
        if result.cancelled or result.pdf is None:
            self._set_busy(False)
            self.message.setText(self.tr("Cancelled. Nothing was printed or saved."))
            return
        if printer is None:
            self._set_busy(False)
            self.message.setText(self.tr("%d plans ready.") % len(ids))
            printed = self._printed
            self.preview = PdfPreviewDialog(
                result.pdf, self.tr("Support plans: batch of %d") % len(ids),
                safe_file_name(self.tr("Support plans - %1 - %2.pdf")
                               .replace("%1", self.team_combo.currentText())
                               .replace("%2", dt.date.today().isoformat())), self,
                (lambda how: printed(ids, how)) if printed is not None else None)
            self.preview.open()
            return
        self._print_pages(ids, printer, result.pdf)

    def _print_pages(self, ids: list[str], printer: QPrinter, pdf: bytes) -> None:
        self.page_printer = PagePrinter(pdf, printer, self)
        self.progress_bar.setRange(0, self.page_printer.document.pageCount())
        self.page_printer.page_printed.connect(self._on_page_printer_page_printed)
        self.page_printer.finished.connect(lambda complete: self._on_printing_finished(
            ids, complete))
        if not self.page_printer.start():
            self.page_printer = None
            self._set_busy(False)
            self.message.setText(self.tr("The printer could not be started."))

    def _on_page_printer_page_printed(self, page: int, count: int) -> None:
        self.progress_bar.setValue(page)
        self.message.setText(self.tr("Printing page %1 of %2").replace(
            "%1", str(page)).replace("%2", str(count)))

    def _on_printing_finished(self, ids: list[str], complete: bool) -> None:
        self.page_printer = None
        self._set_busy(False)
        if complete:
            self.message.setText(self.tr("%d plans sent to the printer.") % len(ids))
            if self._printed is not None:
                self._printed(ids, "print")
        else:
            self.message.setText(self.tr("Printing cancelled; the pages already sent may "
                                         "still come out of the printer."))
