"""The PDF preview: pages shown from memory, export only where chosen, printing every page."""

from __future__ import annotations

import io
from pathlib import Path

import pytest
from pypdf import PdfReader
from PySide6.QtPrintSupport import QPrinter
from reportlab.pdfgen import canvas

from desktop_app.ui.pdf_preview import PdfPreviewDialog


def _pdf(pages: int) -> bytes:
    out = io.BytesIO()
    c = canvas.Canvas(out)
    for page in range(pages):
        c.drawString(72, 720, f"Synthetic page {page + 1}")
        c.showPage()
    c.save()
    return out.getvalue()


def _dialog(qtbot, data: bytes, log: list[str]) -> PdfPreviewDialog:
    dialog = PdfPreviewDialog(data, "Support plan", "plan.pdf", printed=log.append)
    qtbot.addWidget(dialog)
    return dialog


@pytest.mark.hazard("H-019")
def test_preview_reads_the_pages_from_memory(qtbot) -> None:
    dialog = _dialog(qtbot, _pdf(3), [])
    assert dialog.document.pageCount() == 3
    assert "3" in dialog.pages_label.text()


@pytest.mark.hazard("H-019")
@pytest.mark.hazard("H-038")
def test_export_writes_only_where_chosen_and_is_audited(qtbot, tmp_path: Path) -> None:
    data, log = _pdf(2), []
    dialog = _dialog(qtbot, data, log)
    dialog.choose_file = lambda: None  # cancelled: nothing written, nothing audited
    assert dialog.export_now() is None and log == [] and list(tmp_path.iterdir()) == []
    dialog.choose_file = lambda: str(tmp_path / "for-the-team-lead")
    path = dialog.export_now()
    assert path == tmp_path / "for-the-team-lead.pdf"
    assert path.read_bytes() == data and log == ["export"]
    assert [p.name for p in tmp_path.iterdir()] == ["for-the-team-lead.pdf"]


def test_an_unwritable_place_is_said_plainly(qtbot, tmp_path: Path) -> None:
    log: list[str] = []
    dialog = _dialog(qtbot, _pdf(1), log)
    dialog.choose_file = lambda: str(tmp_path / "no-such-folder" / "plan.pdf")
    assert dialog.export_now() is None
    assert "Could not save there" in dialog.message.text() and log == []


def test_print_sends_every_page(qtbot, tmp_path: Path) -> None:
    log: list[str] = []
    dialog = _dialog(qtbot, _pdf(3), log)
    dialog.choose_printer = lambda: None  # the print dialog was cancelled
    assert dialog.print_now() is False and log == []
    printer = QPrinter(QPrinter.PrinterMode.ScreenResolution)
    printer.setOutputFormat(QPrinter.OutputFormat.PdfFormat)  # a stand-in printer
    printer.setOutputFileName(str(tmp_path / "printed.pdf"))
    dialog.choose_printer = lambda: printer
    assert dialog.print_now() is True and log == ["print"]
    assert len(PdfReader(tmp_path / "printed.pdf").pages) == 3
