"""The team lead's batch dialog: find, tick, make one PDF or print, with progress and Cancel.

The batch itself (rendering on every core) is a service tested in tests/services/pdf; here
``find`` and ``build`` are stand-ins so the dialog's behaviour is what is checked.
"""

from __future__ import annotations

import datetime as dt
import io
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from pypdf import PdfReader
from PySide6.QtCore import Qt
from PySide6.QtPrintSupport import QPrinter
from reportlab.pdfgen import canvas

from desktop_app.ui.plan_batch import PlanBatchDialog, week_start

TODAY = dt.date(2026, 11, 26)  # a Thursday


@dataclass(frozen=True)
class Row:
    plan_id: str
    person_name: str
    nhs_number_display: str = "999 000 0018"
    team: str = "City North"
    version_number: int = 2
    effective_from: dt.date = dt.date(2026, 11, 24)
    task_names: tuple[str, ...] = ("Putting in eye drops or eye ointment",)


@dataclass(frozen=True)
class Built:
    cancelled: bool
    pdf: bytes | None


def _pdf(pages: int) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for page in range(pages):
        c.drawString(72, 720, f"Plan page {page + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def now(fn: Any, done: Any, failed: Any = None) -> None:
    done(fn())


class Recorder:
    def __init__(self, cancel_after: int | None = None) -> None:
        self.finds: list[tuple[Any, ...]] = []
        self.builds: list[list[str]] = []
        self.printed: list[tuple[list[str], str]] = []
        self.cancel_after = cancel_after

    def find(self, team: str | None, start: dt.date, end: dt.date) -> list[Row]:
        self.finds.append((team, start, end))
        return [Row("p1", "Ada Example"), Row("p2", "Zoë Ní Bhriain"), Row("p3", "Bo Sample")]

    def build(self, ids: list[str], progress: Any, cancelled: Any) -> Built:
        self.builds.append(ids)
        for done in range(1, len(ids) + 1):
            progress(done, len(ids))
            if self.cancel_after == done:
                dialog.cancel()
            if cancelled():
                return Built(True, None)
        return Built(False, _pdf(2 * len(ids)))


dialog: PlanBatchDialog


def _dialog(qtbot, recorder: Recorder) -> PlanBatchDialog:
    global dialog
    dialog = PlanBatchDialog(["City North", "Melton"], recorder.find, recorder.build, now, now,
                             TODAY, printed=lambda ids, how: recorder.printed.append((ids, how)))
    qtbot.addWidget(dialog)
    return dialog


def test_this_week_is_the_default_and_the_plans_found_are_all_ticked(qtbot) -> None:
    recorder = Recorder()
    d = _dialog(qtbot, recorder)
    assert week_start(TODAY) == dt.date(2026, 11, 23)
    d.team_combo.setCurrentIndex(d.team_combo.findData("Melton"))
    qtbot.mouseClick(d.find_button, Qt.MouseButton.LeftButton)
    assert recorder.finds == [("Melton", dt.date(2026, 11, 23), TODAY)]
    assert d.plan_list.count() == 3 and d.chosen_ids() == ["p1", "p2", "p3"]
    assert "Zoë Ní Bhriain" in d.plan_list.item(1).text()
    d.plan_list.item(1).setCheckState(Qt.CheckState.Unchecked)
    assert d.chosen_ids() == ["p1", "p3"] and d.count_label.text() == "2 of 3 plans ticked"
    qtbot.mouseClick(d.none_button, Qt.MouseButton.LeftButton)
    assert d.chosen_ids() == [] and not d.pdf_button.isEnabled()


def test_a_period_ending_before_it_starts_is_refused(qtbot) -> None:
    recorder = Recorder()
    d = _dialog(qtbot, recorder)
    start = d.from_edit.value()
    assert start is not None
    d.to_edit.set_value(start - dt.timedelta(days=1))
    d.find_plans()
    assert recorder.finds == [] and "after the last" in d.message.text()


def test_one_pdf_of_the_ticked_plans_opens_to_export_or_print(qtbot, tmp_path: Path) -> None:
    recorder = Recorder()
    d = _dialog(qtbot, recorder)
    d.find_plans()
    d.plan_list.item(0).setCheckState(Qt.CheckState.Unchecked)
    qtbot.mouseClick(d.pdf_button, Qt.MouseButton.LeftButton)
    assert recorder.builds == [["p2", "p3"]]
    assert d.progress_bar.value() == 2 and d.preview is not None
    assert d.preview.document.pageCount() == 4
    d.preview.choose_file = lambda: str(tmp_path / "batch.pdf")
    d.preview.export_now()
    assert recorder.printed == [(["p2", "p3"], "export")]
    assert not d.cancel_button.isEnabled() and d.find_button.isEnabled()


def test_cancel_stops_the_batch_and_nothing_is_made(qtbot) -> None:
    recorder = Recorder(cancel_after=1)
    d = _dialog(qtbot, recorder)
    d.find_plans()
    d.make_pdf()
    assert d.preview is None and "Cancelled" in d.message.text()
    assert recorder.printed == [] and d.find_button.isEnabled()


def test_print_sends_every_page_of_every_plan(qtbot, tmp_path: Path) -> None:
    recorder = Recorder()
    d = _dialog(qtbot, recorder)
    d.find_plans()
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # a stand-in printer
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    d.choose_printer = lambda: printer
    qtbot.mouseClick(d.print_button, Qt.MouseButton.LeftButton)
    qtbot.waitUntil(lambda: recorder.printed != [], timeout=10000)
    assert recorder.printed == [(["p1", "p2", "p3"], "print")]
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == 6
    assert d.progress_bar.value() == 6 and "sent to the printer" in d.message.text()
