"""A governance report as PDF: what it is, how it was counted, then each section's chart
(``charts``: the one the Reports screen shows) and table.

For the IPCB's papers. The first page states the period, the filters, when and by whom it
was produced, the as-at day, the small-number suppression rule (or that none applies) and
how the figures were counted; every page carries the OFFICIAL-SENSITIVE marking and
"Page X of Y" (``layout``). Hidden small numbers print as "<5" and "*": the report holds
no value behind them. Category names can be typed text, so every cell goes through
``markup.text`` (escaped), like everything else in these PDFs.

Wide tables (a month per column) use a smaller type so a year fits across the page.
"""

from __future__ import annotations

import threading
from typing import Any

from reportlab.lib.enums import TA_RIGHT
from reportlab.lib.styles import ParagraphStyle
from reportlab.lib.units import mm
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable, Table

from desktop_app.services.pdf import layout as lo
from desktop_app.services.pdf.charts import chart_flowables
from desktop_app.services.pdf.markup import text
from desktop_app.services.reports.export import NO_SUPPRESSION
from desktop_app.services.reports.model import Report, ReportSection, moment_words

WIDE = 7  # from this many columns, the compact type
FIRST_COLUMN_SHARE = 0.3
MIN_FIRST_SHARE = 0.2
CELL_PADDING = 3


class _TableStyles:
    """Cell styles for report tables: normal and compact, text and numbers."""

    def __init__(self) -> None:
        s = lo.styles()
        self.cell, self.head, self.bold = s.cell, s.head, s.label
        self.number = ParagraphStyle("number", parent=s.cell, alignment=TA_RIGHT)
        self.bold_number = ParagraphStyle("bold_number", parent=s.label, alignment=TA_RIGHT)
        small = {"fontSize": 7, "leading": 8.8}
        self.compact = {
            "cell": ParagraphStyle("c_cell", parent=s.cell, **small),
            "head": ParagraphStyle("c_head", parent=s.head, fontSize=6.8, leading=8.4),
            "bold": ParagraphStyle("c_bold", parent=s.label, **small),
            "number": ParagraphStyle("c_number", parent=s.cell, alignment=TA_RIGHT, **small),
            "bold_number": ParagraphStyle("c_bold_number", parent=s.label, alignment=TA_RIGHT,
                                          **small),
        }

    def pick(self, compact: bool) -> dict[str, ParagraphStyle]:
        if compact:
            return self.compact
        return {"cell": self.cell, "head": self.head, "bold": self.bold,
                "number": self.number, "bold_number": self.bold_number}


_styles: _TableStyles | None = None
_lock = threading.Lock()


def _table_styles() -> _TableStyles:
    global _styles
    with _lock:
        if _styles is None:
            _styles = _TableStyles()
        return _styles


def render_report_pdf(report: Report) -> bytes:
    """The report as PDF bytes (A4, every page marked, numbered and dated)."""
    team = report.query.team or "All teams"
    marks = lo.PageMarks(
        subject=f"{report.title} · {team}",
        document="Governance report",
        version_line=f"{report.period}; figures as at {lo.uk_date(report.as_at)}",
        printed_line=f"Produced {moment_words(report.produced_at)} by {report.produced_by}")
    return lo.build_pdf(_story(report), marks, title=report.title, author=report.produced_by)


def _story(report: Report) -> list[Flowable]:
    s = lo.styles()
    about: list[tuple[str, lo.Cell]] = [
        ("Period", report.period),
        *((name, value) for name, value in report.filters),
        ("Produced", f"{moment_words(report.produced_at)} by {report.produced_by}"),
        ("Figures as at", lo.uk_date(report.as_at)),
        ("Suppression rule", report.suppression_rule or NO_SUPPRESSION),
    ]
    if report.notes:
        about.append(("How it was counted", "\n".join(f"• {n}" for n in report.notes)))
    story: list[Flowable] = [
        text(report.title, s.title),
        text("Integrated Personalised Care Board: LLR Framework for Integrated Personalised "
             "Care", s.subtitle),
        lo.key_values(about, label_width=38 * mm),
    ]
    for number, section in enumerate(report.sections, start=1):
        heading = f"{number}. {section.title}"
        if section.chart is not None and section.chart.categories and section.chart.series:
            # (A chart with no series, a period with nothing to count, is not drawn.)
            # The heading stays with its chart (and the chart's key); the table follows.
            story += [lo.section(heading, [*chart_flowables(section.chart), lo.gap(2)]),
                      _table(section)]
        else:
            story.append(lo.section(heading, _table(section)))
        story += [text(note, s.small) for note in section.notes]
    return story


def _widths(columns: tuple[str, ...], head: ParagraphStyle) -> list[float]:
    """The first column wide for the row names; the others share the rest, each wide enough
    for the longest word of its heading ("2025" of "Dec 2025" never breaks as "202/5")."""
    count = len(columns)
    if count == 1:
        return [lo.FRAME_WIDTH]
    first = lo.FRAME_WIDTH * FIRST_COLUMN_SHARE if count > 2 else lo.FRAME_WIDTH * 0.6
    word = max(stringWidth(w, head.fontName, head.fontSize)
               for heading in columns[1:] for w in heading.split() or [""])
    needed = (word + 2 * CELL_PADDING + 1) * (count - 1)
    first = max(lo.FRAME_WIDTH * MIN_FIRST_SHARE, min(first, lo.FRAME_WIDTH - needed))
    rest = (lo.FRAME_WIDTH - first) / (count - 1)
    return [first] + [rest] * (count - 1)


def _table(section: ReportSection) -> Table:
    """The section's table: a blue heading row repeated across pages, totals in bold."""
    styles = _table_styles().pick(len(section.columns) >= WIDE)
    first_total = len(section.rows) - section.total_rows
    data: list[list[Flowable]] = [[text(h, styles["head"]) for h in section.columns]]
    for index, row in enumerate(section.rows):
        bold = "bold_" if index >= first_total else ""
        data.append([text(cell.text, styles[f"{bold}number" if cell.numeric else
                                             ("bold" if bold else "cell")])
                     for cell in row])
    if not section.rows:
        data.append([text("No records in this period.", styles["cell"])]
                    + [text("", styles["cell"])] * (len(section.columns) - 1))
    table = Table(data, colWidths=_widths(section.columns, styles["head"]), repeatRows=1,
                  splitInRow=1)
    commands: list[tuple[Any, ...]] = [
        ("BACKGROUND", (0, 0), (-1, 0), lo.BLUE),
        ("GRID", (0, 0), (-1, -1), 0.5, lo.RULE),
        ("VALIGN", (0, 0), (-1, -1), "TOP"),
        ("TOPPADDING", (0, 0), (-1, -1), 2.5),
        ("BOTTOMPADDING", (0, 0), (-1, -1), 3.5),
        ("LEFTPADDING", (0, 0), (-1, -1), CELL_PADDING),
        ("RIGHTPADDING", (0, 0), (-1, -1), CELL_PADDING),
    ]
    if section.total_rows and section.rows:
        commands.append(("BACKGROUND", (0, first_total + 1), (-1, -1), lo.SHADE))
    table.setStyle(lo.table_style(commands))
    return table
