"""Reports and problem lists as CSV (RFC 4180), laid out as the laptop's export is.

First the lines that say what the file is: title, period, team filter, when and by whom it
was produced, the as-at day, the suppression rule and how figures were counted; then each
section: its title, its column headings, its rows and its notes, after a blank line.
Numbers are written plainly for a spreadsheet (counts without separators, money in pounds
with two decimals and "(£)" in the heading, percentages without the sign); a hidden small
number stays "<5", "*" or "–", exactly as the laptop's CSV writes it: there is no value
behind it to write.

Formula injection: a spreadsheet runs a cell starting with ``=``, ``+``, ``-`` or ``@``
(or a tab or carriage return) as a formula, and categories and problem reports are typed
text, so every such cell is written with a leading apostrophe.
"""

from __future__ import annotations

import csv
import io
from collections.abc import Iterable, Sequence

from sync_server.reports.model import Cell, CellKind, StoreReport, moment_words
from sync_server.reports.problems import Problem

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")
NO_SUPPRESSION = "None (no figures in this report are about protected characteristics)."


def safe(text: str) -> str:
    """The text, with an apostrophe in front if a spreadsheet would read it as a formula."""
    return "'" + text if text.startswith(FORMULA_STARTS) else text


def csv_value(cell: Cell) -> str:
    """A cell as written to CSV."""
    if cell.kind is CellKind.COUNT and isinstance(cell.value, int):
        return str(cell.value)
    if cell.kind is CellKind.PENCE and isinstance(cell.value, int):
        return f"{cell.value // 100}.{cell.value % 100:02d}"
    if cell.kind is CellKind.PERCENT and cell.value is not None:
        return f"{cell.value:.1f}"
    return cell.text


def header_lines(report: StoreReport) -> list[list[str]]:
    """The lines that say what the report is, before any table."""
    lines = [["Report", report.title], ["Period", report.period],
             *([name, value] for name, value in report.filters),
             ["Produced", f"{moment_words(report.produced_at)} by {report.produced_by} "
                          "(store console)"],
             ["As at", report.as_at.isoformat()],
             ["Suppression rule", report.suppression_rule or NO_SUPPRESSION]]
    lines += [["Note", note] for note in report.notes]
    return lines


def _headings(columns: Sequence[str], rows: Sequence[Sequence[Cell]]) -> list[str]:
    money = {i for row in rows for i, cell in enumerate(row) if cell.kind is CellKind.PENCE}
    return [f"{name} (£)" if i in money else name for i, name in enumerate(columns)]


def to_csv(report: StoreReport) -> str:
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


PROBLEM_COLUMNS = ("Reported on", "Team", "About", "What happened", "Status", "Status on",
                   "Ruling")


def problems_csv(rows: Sequence[Problem], filters: Sequence[tuple[str, str]]) -> str:
    """The reported problems as CSV: what was chosen, then one line per problem."""
    buffer = io.StringIO()
    writer = csv.writer(buffer, lineterminator="\r\n")

    def write(values: Iterable[str]) -> None:
        writer.writerow([safe(value) for value in values])

    write(["Report", "Problems with the framework reported by staff"])
    for name, value in filters:
        write([name, value])
    write([])
    write(PROBLEM_COLUMNS)
    for p in rows:
        write([p.reported_on.isoformat() if p.reported_on else "", p.team, p.about_label,
               p.what_happened, p.status_label, p.status_on.isoformat() if p.status_on else "",
               p.ruling or ""])
    return buffer.getvalue()
