"""Small-number suppression for the equality monitoring tables (framework §7).

Reports about protected characteristics are aggregated, and small counts are hidden so no
one can be identified. The rule, stated on every such report (``SUPPRESSION_RULE``):

1. Primary: every count from 1 to 4 (a cell or a total) is shown as "<5". A zero is shown
   as 0: it identifies no one.
2. Secondary: a table's cells with their row and column totals form lines (each row and
   its total, each column and its total, the totals row and the grand total). A line with
   exactly one hidden number gives it away by subtraction from the line's total. So while
   any line has exactly one hidden number, the smallest other non-zero cell in that line
   is hidden too (its total if no cell is left), shown as "*". Hiding a number can leave
   another line with exactly one, so this repeats until no line has. A zero is never
   chosen (rule 1 always shows zeros), so every "*" stands for 5 or more.
3. Linked tables: the tables of one report count the same decisions under different
   characteristics, so they share one totals row. A total hidden in any of them is hidden
   in all, and rule 2 is applied again until every table agrees.

Ties are broken by position (the first row, then the first column), so the result is the
same every time. The hidden numbers carry no value in the cells made from them, so neither
a chart nor an export can reveal them.
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from desktop_app.services.reports.model import (
    HIDDEN_TEXT,
    SUPPRESSED_TEXT,
    Cell,
    CellKind,
    count,
)

SMALLEST_SHOWN = 5
SUPPRESSION_RULE = (
    "Small numbers are suppressed so that no one can be identified: every count from 1 to 4 "
    "is shown as \"<5\" (0 is shown as 0). Where a row or a column, with its total, would "
    "then have just one hidden number, which could be worked out by subtracting the others "
    "from the total, the smallest other non-zero count in it is hidden too, shown as \"*\"; "
    "this is repeated until no row or column has just one hidden number. The tables share "
    "their totals row, so a total hidden in one is hidden in all. Totals are the true totals "
    "of every count, hidden ones included.")


class Mark(enum.Enum):
    """How one number of the table is shown."""

    SHOWN = "shown"
    PRIMARY = "primary"  # 1 to 4: "<5"
    SECONDARY = "secondary"  # hidden to protect a primary: "*"


Position = tuple[int, int]


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts with its totals, and how each number is shown.

    ``grid`` is (rows + 1) × (columns + 1): the last column holds the row totals, the last
    row the column totals, and the corner the grand total.
    """

    grid: tuple[tuple[int, ...], ...]
    marks: tuple[tuple[Mark, ...], ...]

    def cell(self, row: int, column: int) -> Cell:
        """The cell as shown (row/column -1 for the totals)."""
        value, mark = self.grid[row][column], self.marks[row][column]
        if mark is Mark.PRIMARY:
            return Cell(SUPPRESSED_TEXT, None, CellKind.SUPPRESSED)
        if mark is Mark.SECONDARY:
            return Cell(HIDDEN_TEXT, None, CellKind.HIDDEN)
        return count(value)

    def hidden_in_line(self, line: Sequence[Position]) -> int:
        """How many numbers of a line are hidden (never exactly 1 after suppression)."""
        return sum(self.marks[r][c] is not Mark.SHOWN for r, c in line)


def with_totals(cells: Sequence[Sequence[int]]) -> tuple[tuple[int, ...], ...]:
    """The counts with a total column, a totals row and the grand total added."""
    width = len(cells[0]) if cells else 0
    rows = [(*row, sum(row)) for row in (tuple(r) for r in cells)]
    column_totals = tuple(sum(row[c] for row in rows) for c in range(width + 1))
    return (*rows, column_totals)


def lines(height: int, width: int) -> list[list[Position]]:
    """Every line of a (height × width) grid with totals: the total is each line's last."""
    rows = [[(r, c) for c in range(width)] for r in range(height)]
    columns = [[(r, c) for r in range(height)] for c in range(width)]
    return rows + columns


def suppress(cells: Sequence[Sequence[int]],
             hidden_totals: frozenset[int] = frozenset()) -> SuppressedTable:
    """Apply rules 1 and 2 to a table of counts; ``hidden_totals`` are columns of the totals
    row that must be hidden (rule 3, from a linked table)."""
    if any(value < 0 for row in cells for value in row):
        raise ValueError("counts cannot be negative")
    grid = with_totals(cells)
    height, width = len(grid), len(grid[0])
    marks = [[Mark.PRIMARY if 1 <= v < SMALLEST_SHOWN else Mark.SHOWN for v in row]
             for row in grid]
    for column in hidden_totals:
        if marks[-1][column] is Mark.SHOWN and grid[-1][column] > 0:
            marks[-1][column] = Mark.SECONDARY
    all_lines = lines(height, width)
    changed = True
    while changed:
        changed = False
        for line in all_lines:
            if sum(marks[r][c] is not Mark.SHOWN for r, c in line) == 1:
                r, c = _next_to_hide(grid, marks, line)
                marks[r][c] = Mark.SECONDARY
                changed = True
    return SuppressedTable(grid, tuple(tuple(row) for row in marks))


def _next_to_hide(grid: Sequence[Sequence[int]], marks: list[list[Mark]],
                  line: list[Position]) -> Position:
    """The smallest shown non-zero cell of the line, else its total.

    One always exists: a hidden cell is non-zero, so its total is too (and shown, if the
    cell is the line's only hidden number); a hidden total is the sum of its cells, so one
    of them is non-zero, and shown if the total is the only hidden number.
    """
    shown = [(grid[r][c], (r, c)) for r, c in line[:-1]
             if marks[r][c] is Mark.SHOWN and grid[r][c] > 0]
    if shown:
        return min(shown)[1]
    r, c = line[-1]
    if marks[r][c] is not Mark.SHOWN or grid[r][c] == 0:
        raise AssertionError("a line with one hidden number has nothing else to hide")
    return r, c


def suppress_linked(tables: Sequence[Sequence[Sequence[int]]]) -> list[SuppressedTable]:
    """Suppress tables that share their totals row (rule 3) so they hide the same totals."""
    forced: frozenset[int] = frozenset()
    while True:
        results = [suppress(table, forced) for table in tables]
        totals = {result.grid[-1] for result in results}
        if len(totals) > 1:
            raise ValueError("linked tables must have the same totals row")
        hidden = frozenset(c for result in results
                           for c, mark in enumerate(result.marks[-1]) if mark is not Mark.SHOWN)
        if hidden == forced:
            return results
        forced = hidden
