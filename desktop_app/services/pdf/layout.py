"""The page every exported document shares, and the building blocks its sections use.

Every page carries the OFFICIAL-SENSITIVE marking at top and bottom, who the document is
about (a loose page can't be mistaken for someone else's), "Page X of Y", the document's
version, when and by whom it was printed, and "Check this is the latest version before
use" (framework §8: a printed plan used after it changed is a hazard). The page count is
only known at the end, so ``_MarkedCanvas`` keeps each page's state and draws the marks
in ``save`` (the two-pass "page X of Y" canvas). Header and footer are drawn as plain
strings on the canvas, never parsed as markup.

Styles are built once per process (a 500-plan batch renders many times).
"""

from __future__ import annotations

import datetime as dt
import io
import threading
from collections.abc import Sequence
from dataclasses import dataclass
from functools import partial
from typing import Any, TypeAlias

from reportlab.lib import colors
from reportlab.lib.enums import TA_CENTER
from reportlab.lib.pagesizes import A4
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.pdfgen.canvas import Canvas
from reportlab.platypus import (
    Flowable,
    KeepTogether,
    SimpleDocTemplate,
    Spacer,
    Table,
    TableStyle,
)
from reportlab.platypus.flowables import _listWrapOn

from desktop_app.services.pdf.fonts import register_fonts
from desktop_app.services.pdf.markup import text

MARKING = "OFFICIAL-SENSITIVE"
CHECK_LATEST = "Check this is the latest version before use."
PAGE_WIDTH, PAGE_HEIGHT = A4
MARGIN = 18 * mm
TOP = 24 * mm
BOTTOM = 26 * mm
FRAME_WIDTH = PAGE_WIDTH - 2 * MARGIN

INK = colors.HexColor("#212b32")
BLUE = colors.HexColor("#005eb8")  # NHS blue: headings and rules
GREY = colors.HexColor("#4c6272")
RULE = colors.HexColor("#aeb7bd")
SHADE = colors.HexColor("#eef2f4")
WARN_SHADE = colors.HexColor("#fff4d6")
WARN_RULE = colors.HexColor("#b07c00")
_MONTHS = ("January", "February", "March", "April", "May", "June", "July", "August",
           "September", "October", "November", "December")


# ---------------------------------------------------------------- words for values


def uk_date(day: dt.date | None, missing: str = "Not recorded") -> str:
    """``17 May 1938`` (month names spelt here: the process locale may not be English)."""
    if day is None:
        return missing
    return f"{day.day} {_MONTHS[day.month - 1]} {day.year}"


def uk_date_short(day: dt.date | None, missing: str = "None") -> str:
    """``17 May 1938`` with the month cut to three letters (``17 Sep 2026``), for tables."""
    if day is None:
        return missing
    return f"{day.day} {_MONTHS[day.month - 1][:3]} {day.year}"


def uk_datetime(moment: dt.datetime) -> str:
    """``30 November 2026 at 14:05``, in this laptop's time zone for an aware time."""
    local = moment.astimezone() if moment.tzinfo else moment
    return f"{uk_date(local.date())} at {local:%H:%M}"


def yes_no(value: bool) -> str:
    """``Yes`` or ``No``."""
    return "Yes" if value else "No"


# ---------------------------------------------------------------- styles


@dataclass(frozen=True)
class Styles:
    """The paragraph styles of every exported document."""

    title: ParagraphStyle
    subtitle: ParagraphStyle
    section: ParagraphStyle
    subsection: ParagraphStyle
    body: ParagraphStyle
    cell: ParagraphStyle
    label: ParagraphStyle
    head: ParagraphStyle
    small: ParagraphStyle
    big: ParagraphStyle
    warning: ParagraphStyle


_styles: Styles | None = None
_styles_lock = threading.Lock()


def styles() -> Styles:
    """The shared styles, built (and the fonts registered) on first use."""
    global _styles
    with _styles_lock:
        if _styles is None:
            _styles = _build_styles()
        return _styles


def _build_styles() -> Styles:
    regular, bold = register_fonts()
    base = ParagraphStyle("body", fontName=regular, fontSize=9.5, leading=12.5,
                          textColor=INK, spaceAfter=3)
    cell = ParagraphStyle("cell", parent=base, fontSize=9, leading=11.5, spaceAfter=0)
    return Styles(
        title=ParagraphStyle("title", parent=base, fontName=bold, fontSize=19, leading=23,
                             textColor=BLUE, spaceAfter=2),
        subtitle=ParagraphStyle("subtitle", parent=base, fontSize=10, textColor=GREY,
                                spaceAfter=8),
        section=ParagraphStyle("section", parent=base, fontName=bold, fontSize=13.5,
                               leading=17, textColor=BLUE, spaceBefore=10, spaceAfter=5),
        subsection=ParagraphStyle("subsection", parent=base, fontName=bold, fontSize=11,
                                  leading=14, spaceBefore=6, spaceAfter=4),
        body=base,
        cell=cell,
        label=ParagraphStyle("label", parent=cell, fontName=bold),
        head=ParagraphStyle("head", parent=cell, fontName=bold, fontSize=8.5,
                            textColor=colors.white),
        small=ParagraphStyle("small", parent=base, fontSize=8, leading=10.5, textColor=GREY),
        big=ParagraphStyle("big", parent=cell, fontName=bold, fontSize=13, leading=16),
        warning=ParagraphStyle("warning", parent=cell, fontName=bold, fontSize=10,
                               leading=13, alignment=TA_CENTER),
    )


# ---------------------------------------------------------------- building blocks

Cell: TypeAlias = str | Flowable


def _cell(value: Cell, style: ParagraphStyle) -> Flowable:
    return value if isinstance(value, Flowable) else text(value, style)


def section(title: str, first: Flowable | Sequence[Flowable],
            subtitle: str | None = None, keep_rows: int | None = None) -> KeepTogether:
    """A section heading (and optional subheading) kept on one page with the first block.

    Flat on purpose: a KeepTogether inside another reports an endless height and would
    push the outer one to a new page every time. ``keep_rows``: when the blocks end with a
    table, the heading is kept with only that many of its first rows (heading row aside),
    and the rest of the table may run on to the next page (``KeepWithFirstRows``).
    """
    s = styles()
    heads = [text(title, s.section)] + ([text(subtitle, s.subsection)] if subtitle else [])
    return _kept([*heads, *_flowables(first)], keep_rows)


def subsection(title: str, first: Flowable | Sequence[Flowable],
               keep_rows: int | None = None) -> KeepTogether:
    """A smaller heading kept with its first block (or the first rows of its table)."""
    return _kept([text(title, styles().subsection), *_flowables(first)], keep_rows)


def _kept(blocks: list[Flowable], keep_rows: int | None) -> KeepTogether:
    if keep_rows is not None and isinstance(blocks[-1], Table):
        return KeepWithFirstRows(blocks[:-1], blocks[-1], keep_rows)
    return KeepTogether(blocks)


class KeepWithFirstRows(KeepTogether):  # type: ignore[misc]  # reportlab is untyped
    """Headings (and any small blocks before the table) kept on one page with the first
    ``rows`` rows of the table under them (its heading row besides); the rest of the table
    runs on to the next page, a grid's heading row repeated there.

    A KeepTogether of the whole table moved a table longer than the room left to the next
    page, leaving a gap at the foot of this one (issue 17). Only the height that must stay
    together is reported to ``KeepTogether.split``: the leading blocks and the first rows.
    """

    def __init__(self, lead: Sequence[Flowable], table: Table, rows: int = 1) -> None:
        super().__init__([*lead, table])
        self._lead, self._table = list(lead), table
        self._rows = rows

    def wrap(self, aW: float, aH: float) -> tuple[float, float]:  # noqa: N803 (reportlab)
        dims: list[tuple[float, float]] = []
        width, height = _listWrapOn(self._lead, aW, self.canv, dims=dims)
        table_width, _ = self._table.wrapOn(self.canv, aW, 0xFFFFFFF)
        first = self._table.repeatRows + self._rows
        height += sum(self._table._rowHeights[:first])
        if self._lead:
            height += max(self._lead[-1].getSpaceAfter(), self._table.getSpaceBefore())
        self._H = height
        self._H0 = dims[0][1] if dims else height
        self._wrapInfo = aW, aH
        return max(width, table_width), 0xFFFFFF  # as KeepTogether: always asked to split


def _flowables(first: Flowable | Sequence[Flowable]) -> list[Flowable]:
    blocks = [first] if isinstance(first, Flowable) else list(first)
    if any(isinstance(block, KeepTogether) for block in blocks):
        raise ValueError("a KeepTogether may not hold another (it would force a page break)")
    return blocks


def table_style(commands: Sequence[tuple[Any, ...]]) -> TableStyle:
    """A table style whose plain-string cells (the empty signature boxes) use our font too,
    not reportlab's default Helvetica."""
    return TableStyle([("FONTNAME", (0, 0), (-1, -1), register_fonts()[0]), *commands])


# Tables may split inside a row: one typed answer longer than a page must still print
# (it would otherwise stop the whole export with a LayoutError).


def key_values(rows: Sequence[tuple[str, Cell]], label_width: float = 48 * mm,
               width: float = FRAME_WIDTH) -> Table:
    """A two-column table: shaded labels on the left, values on the right."""
    s = styles()
    data = [[text(label, s.label), _cell(value, s.cell)] for label, value in rows]
    table = Table(data, colWidths=[label_width, width - label_width], splitInRow=1)
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (0, -1), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]))
    return table


def grid(headings: Sequence[str], rows: Sequence[Sequence[Cell]],
         widths: Sequence[float], bold_last_row: bool = False) -> Table:
    """A table with a blue heading row repeated on each page it runs onto."""
    s = styles()
    data: list[list[Flowable]] = [[text(h, s.head) for h in headings]]
    for index, row in enumerate(rows):
        style = s.label if bold_last_row and index == len(rows) - 1 else s.cell
        data.append([_cell(value, style) for value in row])
    table = Table(data, colWidths=list(widths), repeatRows=1, splitInRow=1)
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("GRID", (0, 0), (-1, -1), 0.5, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 4),
    ]
    if bold_last_row and rows:
        commands.append(("BACKGROUND", (0, -1), (-1, -1), SHADE))
    table.setStyle(table_style(commands))
    return table


def boxes(left: tuple[str, str], right: tuple[str, str]) -> Table:
    """Two labelled boxes side by side ("Do" | "Call the nurse if")."""
    s = styles()
    half = FRAME_WIDTH / 2
    table = Table([[text(left[0], s.label), text(right[0], s.label)],
                   [text(left[1], s.cell), text(right[1], s.cell)]],
                  colWidths=[half, half], splitInRow=1)
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (0, 0), SHADE),
        ("BACKGROUND", (1, 0), (1, 0), WARN_SHADE),
        ("BOX", (0, 0), (0, -1), 0.8, RULE),
        ("BOX", (1, 0), (1, -1), 0.8, WARN_RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 3),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 5),
    ]))
    return table


def banner(message: str) -> Table:
    """A boxed warning across the page (superseded version, worker not signed off)."""
    table = Table([[text(message, styles().warning)]], colWidths=[FRAME_WIDTH], splitInRow=1)
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (-1, -1), WARN_SHADE),
        ("BOX", (0, 0), (-1, -1), 1.2, WARN_RULE),
        ("TOPPADDING", (0, 0), (-1, -1), 5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 6),
    ]))
    return table


def signatures(roles: Sequence[str]) -> Table:
    """Name, signature and date boxes for each role, tall enough to sign in."""
    s = styles()
    widths = [46 * mm, 50 * mm, 50 * mm, FRAME_WIDTH - 146 * mm]
    data: list[list[Flowable | str]] = [
        [text(h, s.head) for h in ("Role", "Name", "Signature", "Date")]]
    data += [[text(role, s.label), "", "", ""] for role in roles]
    table = Table(data, colWidths=widths, rowHeights=[None] + [15 * mm] * len(roles))
    table.setStyle(table_style([
        ("BACKGROUND", (0, 0), (-1, 0), BLUE),
        ("BACKGROUND", (0, 1), (0, -1), SHADE),
        ("GRID", (0, 0), (-1, -1), 0.6, RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
    ]))
    return table


def gap(height_mm: float = 3) -> Spacer:
    """Vertical space between blocks."""
    return Spacer(1, height_mm * mm)


# ---------------------------------------------------------------- the page


@dataclass(frozen=True)
class PageMarks:
    """What every page says besides its content.

    ``subject`` names who the document is about and ``document`` what it is (page
    header); ``version_line`` and ``printed_line`` go in the footer.
    """

    subject: str
    document: str
    version_line: str
    printed_line: str


class _MarkedCanvas(Canvas):  # type: ignore[misc]  # reportlab is untyped
    """A canvas that holds its pages back until the end, then marks each "Page X of Y"."""

    def __init__(self, *args: Any, marks: PageMarks, **kwargs: Any) -> None:
        super().__init__(*args, **kwargs)
        self._marks = marks
        self._pages: list[dict[str, Any]] = []

    def showPage(self) -> None:  # noqa: N802 (reportlab's name)
        self._pages.append(dict(self.__dict__))
        self._startPage()

    def save(self) -> None:
        total = len(self._pages)
        for state in self._pages:
            self.__dict__.update(state)
            self._draw_marks(total)
            super().showPage()
        super().save()

    def _draw_marks(self, total: int) -> None:
        regular, bold = register_fonts()
        marks, left, right = self._marks, MARGIN, PAGE_WIDTH - MARGIN
        self.saveState()
        self.setFillColor(INK)
        self.setStrokeColor(RULE)
        self.setFont(bold, 9)
        self.drawCentredString(PAGE_WIDTH / 2, PAGE_HEIGHT - 10 * mm, MARKING)
        subject = _fit(marks.subject, bold, 9, FRAME_WIDTH)
        self.drawString(left, PAGE_HEIGHT - 16 * mm, subject)
        # The document's name only where it fits beside the person's (the footer has it).
        room = FRAME_WIDTH - stringWidth(subject, bold, 9) - 6 * mm
        if stringWidth(marks.document, regular, 8.5) <= room:
            self.setFont(regular, 8.5)
            self.drawRightString(right, PAGE_HEIGHT - 16 * mm, marks.document)
        self.line(left, PAGE_HEIGHT - 18 * mm, right, PAGE_HEIGHT - 18 * mm)
        self.line(left, 20 * mm, right, 20 * mm)
        self.setFont(regular, 8)
        self.drawString(left, 16 * mm, _fit(marks.printed_line, regular, 8, FRAME_WIDTH * 0.75))
        self.drawRightString(right, 12.5 * mm, _fit(marks.version_line, regular, 8,
                                                    FRAME_WIDTH * 0.6))
        self.setFont(bold, 8)
        self.drawString(left, 12.5 * mm, CHECK_LATEST)
        self.setFont(bold, 9)
        self.drawRightString(right, 16 * mm, f"Page {self._pageNumber} of {total}")
        self.drawCentredString(PAGE_WIDTH / 2, 6.5 * mm, MARKING)
        self.restoreState()


def _fit(line: str, font: str, size: float, width: float) -> str:
    """The line, cut with an ellipsis if it is wider than ``width`` (a very long name)."""
    if stringWidth(line, font, size) <= width:
        return line
    while line and stringWidth(line + "…", font, size) > width:
        line = line[:-1]
    return line + "…"


def build_pdf(story: Sequence[Flowable], marks: PageMarks, title: str, author: str) -> bytes:
    """The story laid out on marked A4 pages, as PDF bytes (nothing touches the disk).

    ``title`` goes into the PDF's properties, which print queues show: keep names and
    NHS numbers out of it.
    """
    regular, _ = register_fonts()  # before layout measures any text
    styles()
    buffer = io.BytesIO()
    document = SimpleDocTemplate(
        buffer, pagesize=A4, leftMargin=MARGIN, rightMargin=MARGIN, topMargin=TOP,
        bottomMargin=BOTTOM, title=title, author=author, subject=MARKING,
        creator="Shared Care Planner", initialFontName=regular)
    document.build(list(story), canvasmaker=partial(_MarkedCanvas, marks=marks))
    return buffer.getvalue()
