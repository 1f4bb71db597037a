"""Preview a generated PDF, print it, or export it where the user chooses.

The PDF never touches the disk on its way here: the service returns bytes, the preview
reads them from a ``QBuffer``, and printing draws each page as an image onto the printer
(so no spool file of ours is left behind; what the operating system's print queue keeps is
the printer's business, as with any printed record). "Export PDF…" is the only way a file
is written, and only where the user chooses: the save dialog opens on the user's Documents
folder (``documents_folder``) with the name the caller suggests, made safe for any file
system (``safe_file_name``), never in the app's own folder.
"""

from __future__ import annotations

import re
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import (
    QBuffer,
    QByteArray,
    QIODevice,
    QObject,
    QPointF,
    QSize,
    QStandardPaths,
    Qt,
)
from PySide6.QtGui import QKeySequence, QPainter, QShortcut
from PySide6.QtPdf import QPdfDocument
from PySide6.QtPdfWidgets import QPdfView
from PySide6.QtPrintSupport import QPrintDialog, QPrinter
from PySide6.QtWidgets import (
    QDialog,
    QFileDialog,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

PRINT_DPI = 300
# Characters no file name may hold on Windows, macOS or Linux (and control characters).
_NOT_IN_FILE_NAMES = re.compile(r'[\\/:*?"<>|\x00-\x1f\x7f]')


def documents_folder() -> Path:
    """The user's Documents folder, or their home folder when there is none."""
    found = QStandardPaths.writableLocation(QStandardPaths.StandardLocation.DocumentsLocation)
    folder = Path(found) if found else Path.home()
    return folder if folder.is_dir() else Path.home()


def safe_file_name(name: str) -> str:
    """``name`` with the characters a file system refuses taken out ("O'Brien/Smith" →
    "O'Brien Smith"), runs of spaces made one, and no dot or space at either end."""
    cleaned = " ".join(_NOT_IN_FILE_NAMES.sub(" ", name).split()).strip(" .")
    return cleaned or "document.pdf"


def load_pdf(data: bytes, parent: QObject) -> tuple[QPdfDocument, QBuffer]:
    """A PDF document read from memory (keep the buffer alive as long as the document:
    both belong to ``parent``)."""
    buffer = QBuffer(parent)
    buffer.setData(QByteArray(data))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument(parent)
    document.load(buffer)
    return document, buffer


def draw_page(document: QPdfDocument, page: int, printer: QPrinter, painter: QPainter) -> None:
    """Draw one page onto the printer, scaled to fit its printable area (a new sheet for
    every page after the first)."""
    if page:
        printer.newPage()
    area = printer.pageLayout().paintRectPixels(printer.resolution())
    points = document.pagePointSize(page)
    scale = min(area.width() / points.width(), area.height() / points.height())
    size = QSize(int(points.width() * scale), int(points.height() * scale))
    painter.drawImage(QPointF(0, 0), document.render(page, size))


def print_document(document: QPdfDocument, printer: QPrinter,
                   page_done: Callable[[int, int], None] | None = None) -> bool:
    """Draw every page onto the printer, scaled to fit; False if the printer refused."""
    painter = QPainter()
    if not painter.begin(printer):
        return False
    try:
        count = document.pageCount()
        for page in range(count):
            draw_page(document, page, printer, painter)
            if page_done is not None:
                page_done(page + 1, count)
    finally:
        painter.end()
    return True


class PdfPreviewDialog(QDialog):
    """A PDF on screen with Print… and Export PDF….

    ``printed(how)`` is emitted after a successful print ("print") or export ("export"), so
    the caller can audit it. ``choose_file`` and ``choose_printer`` are replaceable so tests
    never open native dialogs. Export suggests ``suggested_path``: ``suggested_name`` in the
    user's Documents folder.
    """

    def __init__(self, data: bytes, title: str, suggested_name: str,
                 parent: QWidget | None = None,
                 printed: Callable[[str], None] | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.setWindowTitle(title)
        self._data, self._printed = data, printed
        self.suggested_path = documents_folder() / safe_file_name(suggested_name)
        self.document, self._buffer = load_pdf(data, self)
        self.view = QPdfView(self)
        self.view.setAccessibleName(tr("Document preview"))
        self.view.setDocument(self.document)
        self.view.setPageMode(QPdfView.PageMode.MultiPage)
        self.view.setZoomMode(QPdfView.ZoomMode.FitToWidth)
        self.view.setFocusPolicy(Qt.FocusPolicy.StrongFocus)
        self.pages_label = QLabel(tr("%n page(s)", "", self.document.pageCount()))
        self.message = QLabel()
        self.message.setAccessibleName(tr("Message"))
        self.print_button = QPushButton(tr("&Print…"))
        self.export_button = QPushButton(tr("&Export PDF…"))
        self.close_button = QPushButton(tr("&Close"))
        self.print_button.clicked.connect(lambda _c=False: self.print_now())
        self.export_button.clicked.connect(lambda _c=False: self.export_now())
        self.close_button.clicked.connect(self.accept)
        QShortcut(QKeySequence.StandardKey.Print, self).activated.connect(self.print_now)
        QShortcut(QKeySequence.StandardKey.ZoomIn, self).activated.connect(
            lambda: self._zoom(1.25))
        QShortcut(QKeySequence.StandardKey.ZoomOut, self).activated.connect(
            lambda: self._zoom(0.8))
        buttons = QHBoxLayout()
        buttons.addWidget(self.pages_label)
        buttons.addWidget(self.message, 1)
        for button in (self.print_button, self.export_button, self.close_button):
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.view, 1)
        layout.addLayout(buttons)
        self.resize(900, 700)
        self.choose_file: Callable[[], str | None] = self._ask_for_file
        self.choose_printer: Callable[[], QPrinter | None] = self._ask_for_printer

    def _zoom(self, factor: float) -> None:
        self.view.setZoomMode(QPdfView.ZoomMode.Custom)
        self.view.setZoomFactor(max(0.25, min(4.0, self.view.zoomFactor() * factor)))

    def _ask_for_file(self) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export PDF"), str(self.suggested_path),
            self.tr("PDF documents (*.pdf)"))
        return path or None

    def _ask_for_printer(self) -> QPrinter | None:
        printer = QPrinter(QPrinter.PrinterMode.HighResolution)
        printer.setResolution(PRINT_DPI)
        dialog = QPrintDialog(printer, self)
        return printer if dialog.exec() == QDialog.DialogCode.Accepted else None

    def export_now(self) -> Path | None:
        """Write the PDF where the user chooses; say plainly if that fails."""
        chosen = self.choose_file()
        if not chosen:
            return None
        path = Path(chosen if chosen.lower().endswith(".pdf") else chosen + ".pdf")
        try:
            path.write_bytes(self._data)
        except OSError as err:
            self.message.setText(self.tr("Could not save there (%s). Choose another folder.")
                                 % (err.strerror or "error"))
            return None
        self.message.setText(self.tr("Saved as %s in %s.") % (path.name, path.parent))
        if self._printed is not None:
            self._printed("export")
        return path

    def print_now(self) -> bool:
        """Print through the print dialog; True when sent to the printer."""
        printer = self.choose_printer()
        if printer is None:
            return False
        if not print_document(self.document, printer):
            self.message.setText(self.tr("The printer could not be started."))
            return False
        self.message.setText(self.tr("Sent to the printer."))
        if self._printed is not None:
            self._printed("print")
        return True
