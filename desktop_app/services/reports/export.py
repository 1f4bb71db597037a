"""Reports as CSV (RFC 4180), and the audit of a report printed or exported.

The first lines say what the file is: title, period, filters, when and by whom it was
produced, the as-at day, the suppression rule and how figures were counted. Then each
section: its title, its column headings, its rows, and a blank line.

Numbers are written plainly for a spreadsheet: counts without thousands separators, money
in pounds with two decimals (the heading says "(£)"), percentages without the sign.
Hidden small numbers stay "<5" and "*": there is no value behind them to write.

Formula injection: a spreadsheet runs a cell starting with ``=``, ``+``, ``-`` or ``@``
(and, in some, a tab or carriage return) as a formula, and category names are typed text.
Every such cell is written with a leading apostrophe, which spreadsheets show as text.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence
from typing import Literal

from desktop_app.models.audit import AuditAction
from desktop_app.services.core.audit import append_events
from desktop_app.services.core.tracking import ACTOR
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.reports.model import Cell, CellKind, Report, moment_words

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NO_SUPPRESSION = "None (no figures in this report are about protected characteristics)."


def safe(text: str) -> str:
    """The text, with an apostrophe in front if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_value(cell: Cell) -> str:
    """A cell as written to CSV (see the module docstring)."""
    if cell.kind is CellKind.COUNT and isinstance(cell.value, int):
        return str(cell.value)
    if cell.kind is CellKind.PENCE and isinstance(cell.value, int):
        return f"{cell.value // 100}.{cell.value % 100:02d}"
    if cell.kind is CellKind.PERCENT and cell.value is not None:
        return f"{cell.value:.1f}"
    return cell.text


def header_lines(report: Report) -> list[list[str]]:
    """The lines that say what the report is, before any table."""
    lines = [["Report", report.title], ["Period", report.period],
             *([name, value] for name, value in report.filters),
             ["Produced", f"{moment_words(report.produced_at)} by {report.produced_by}"],
             ["As at", report.as_at.isoformat()],
             ["Suppression rule", report.suppression_rule or NO_SUPPRESSION]]
    lines += [["Note", note] for note in report.notes]
    return lines


def _headings(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[str]:
    money = {i for row in rows for i, cell in enumerate(row) if cell.kind is CellKind.PENCE}
    return [f"{name} (£)" if i in money else name for i, name in enumerate(columns)]


def to_csv(report: Report) -> str:
    """The report as CSV text (CRLF line ends, quoted only where needed)."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def write(values: Iterable[str]) -> None:
        writer.writerow([safe(value) for value in values])

    for line in header_lines(report):
        write(line)
    for section in report.sections:
        write([])
        write([section.title])
        write(_headings(section.columns, section.rows))
        for row in section.rows:
            write(csv_value(cell) for cell in row)
        for note in section.notes:
            write(["Note", note])
    return buffer.getvalue()


def record_report_output(uow: UnitOfWork, report: Report,
                         how: Literal["print", "export"]) -> None:
    """Audit that a report was printed or exported (who, when; the report's kind)."""
    action = AuditAction.PRINT if how == "print" else AuditAction.EXPORT
    with uow.begin() as session:
        append_events(session.connection(), session.info[ACTOR],
                      [("report", report.kind.value, action.value)])
