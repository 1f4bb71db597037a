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
3. Check: subtraction line by line is not the only attack. Knowing that "<5" is 1 to 4
   and "*" at least 5, two rows and a column together can pin a count down. So every "<5"
   is checked exactly (``disclosure``): at least two values must still fit every row and
   column at once. Where one does not, the smallest shown non-zero count in its row or
   column is hidden too, and rules 2 and 3 start again.
4. Linked tables: the tables of one report count the same decisions under different
   characteristics, so they share one totals row. A total hidden in any of them is hidden
   in all, and the check of rule 3 reads all the tables together.
5. Withheld: where hiding more cannot stop a count being given away (a table of very few
   decisions, where even "<5" and "*" say too much), every number of that table other
   than 0 is shown as "–": at least 1, and nothing more.

Ties are broken by position (the first row, then the first column), so the result is the
same every time. The hidden numbers carry no value in the cells made from them, so neither
a chart nor an export can reveal them.

One rule on both sides: the laptop's equality report (``desktop_app.services.reports``)
and the central store's report across every team (``sync_server.reports``) both call
``suppress_linked`` here, and print the rule's words, ``SUPPRESSION_RULE``, from here. Plain
Python: no imports from either side (tests/test_layering.py).
"""

from __future__ import annotations

import enum
from collections.abc import Sequence
from dataclasses import dataclass

from scp_common.disclosure import Bounds, given_away, given_away_alone

SUPPRESSED_TEXT = "<5"  # a count of 1 to 4 (rule 1)
HIDDEN_TEXT = "*"  # a count of 5 or more hidden to protect a small one (rule 2)
WITHHELD_TEXT = "–"  # any count but 0 of a table too small to show (rule 5)
SMALLEST_SHOWN = 5
UNBOUNDED = 10**9  # what a reader knows of a hidden number when the grand total is hidden
SUPPRESSION_RULE = (
    "Small numbers are suppressed so that no one can be identified: every count from 1 to 4 "
    "is shown as \"<5\" (0 is shown as 0). Where a row or a column, with its total, would "
    "then have just one hidden number, which could be worked out by subtracting the others "
    "from the total, the smallest other non-zero count in it is hidden too, shown as \"*\" "
    "(so every \"*\" is 5 or more); this is repeated until no row or column has just one "
    "hidden number. Then each \"<5\" is checked against all the rows and columns at once, "
    "and where only one value would fit, more counts are hidden; a table so small that this "
    "cannot help is withheld (every count but 0 shown as \"–\"). The tables share their "
    "totals row, so a total hidden in one is hidden in all. Totals are the true totals of "
    "every count, hidden ones included.")


class Mark(enum.Enum):
    """How one number of the table is shown."""

    SHOWN = "shown"
    PRIMARY = "primary"  # 1 to 4: "<5"
    SECONDARY = "secondary"  # hidden to protect a primary: "*"
    WITHHELD = "withheld"  # a table too small to show: "–"


Position = tuple[int, int]
HIDDEN_TEXTS = {Mark.PRIMARY: SUPPRESSED_TEXT, Mark.SECONDARY: HIDDEN_TEXT,
                Mark.WITHHELD: WITHHELD_TEXT}


@dataclass(frozen=True)
class SuppressedTable:
    """A table of counts with its totals, and how each number is shown.

    ``grid`` is (rows + 1) × (columns + 1): the last column holds the row totals, the last
    row the column totals, and the corner the grand total.
    """

    grid: tuple[tuple[int, ...], ...]
    marks: tuple[tuple[Mark, ...], ...]

    def mark(self, row: int, column: int) -> Mark:
        """How the number at (row, column) is shown (row/column -1 for the totals)."""
        return self.marks[row][column]

    def value(self, row: int, column: int) -> int | None:
        """The number a reader may see there: None when it is hidden, so nothing made
        from it (a cell, a chart, an export) can carry it."""
        return self.grid[row][column] if self.marks[row][column] is Mark.SHOWN else None

    def text(self, row: int, column: int) -> str:
        """The number as printed: the count with thousands separators, or the mark's
        text ("<5", "*", "–") when it is hidden."""
        value = self.value(row, column)
        return f"{value:,}" if value is not None else HIDDEN_TEXTS[self.marks[row][column]]

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


def _primary(grid: Sequence[Sequence[int]]) -> list[list[Mark]]:
    return [[Mark.PRIMARY if 1 <= v < SMALLEST_SHOWN else Mark.SHOWN for v in row]
            for row in grid]


def _by_lines(grid: Sequence[Sequence[int]], marks: list[list[Mark]]) -> None:
    """Rule 2, in place: no line left with exactly one hidden number."""
    all_lines = lines(len(grid), len(grid[0]))
    changed = True
    while changed:
        changed = False
        for line in all_lines:
            if sum(marks[r][c] is not Mark.SHOWN for r, c in line) == 1:
                r, c = _next_to_hide(grid, marks, line)
                marks[r][c] = Mark.SECONDARY
                changed = True


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


def _bounds(grid: Sequence[Sequence[int]], marks: Sequence[Sequence[Mark]]) -> Bounds:
    """What a reader knows of each number: itself, 1 to 4, or 5 to the grand total (or
    more, when the grand total is hidden too)."""
    ceiling = grid[-1][-1] if marks[-1][-1] is Mark.SHOWN else UNBOUNDED
    known = {Mark.PRIMARY: (1, SMALLEST_SHOWN - 1), Mark.SECONDARY: (SMALLEST_SHOWN, ceiling),
             Mark.WITHHELD: (1, ceiling)}
    return [[known.get(mark, (value, value)) for value, mark in zip(row, marks_row, strict=True)]
            for row, marks_row in zip(grid, marks, strict=True)]


Grids = Sequence[Sequence[Sequence[int]]]
Marks = list[list[list[Mark]]]


def _settle(grids: Grids, marks: Marks) -> None:
    """Rules 2 and 4 until nothing changes: no line with one hidden number, and every
    table hiding the same totals."""
    while True:
        for grid, table_marks in zip(grids, marks, strict=True):
            _by_lines(grid, table_marks)
        hidden = {c for table_marks in marks for c, mark in enumerate(table_marks[-1])
                  if mark is not Mark.SHOWN}
        spread = False
        for grid, table_marks in zip(grids, marks, strict=True):
            for c in hidden:
                if table_marks[-1][c] is Mark.SHOWN and grid[-1][c] > 0:
                    table_marks[-1][c], spread = Mark.SECONDARY, True
        if not spread:
            return


def _candidates(grids: Grids, marks: Marks, tables: Sequence[int]) -> list[tuple[int, Position]]:
    """Shown non-zero numbers of those tables, cells before totals, smallest first."""
    found = []
    for i in tables:
        grid, height, width = grids[i], len(grids[i]) - 1, len(grids[i][0]) - 1
        found += [(r == height or c == width, grid[r][c], i, (r, c))
                  for r in range(height + 1) for c in range(width + 1)
                  if marks[i][r][c] is Mark.SHOWN and grid[r][c] > 0]
    return [(i, pos) for _, _, i, pos in sorted(found)]


def _stops(grids: Grids, marks: Marks, table: int, at: Position, hide: tuple[int, Position],
           jointly: bool) -> Marks | None:
    """The marks with ``hide`` hidden (and rules 2 and 4 after it) if that stops ``at``
    being given away, else None."""
    trial = [[list(row) for row in table_marks] for table_marks in marks]
    i, (r, c) = hide
    trial[i][r][c] = Mark.SECONDARY
    _settle(grids, trial)
    bounds = [_bounds(grid, table_marks) for grid, table_marks in zip(grids, trial, strict=True)]
    if trial[table][at[0]][at[1]] is not Mark.PRIMARY:
        return trial
    if jointly:
        small = [[at] if j == table else [] for j in range(len(grids))]
        return None if given_away(bounds, small) else trial
    return None if given_away_alone(bounds[table], [at]) else trial


def _remedy(grids: Grids, marks: Marks) -> bool:
    """Rule 3: find a small count given away and hide the smallest number that stops it.

    Each table is looked at alone first (a leak usually starts in one), then all of them
    together. False when nothing is given away, or nothing more can be hidden.
    """
    small = [[(r, c) for r, row in enumerate(table_marks) for c, mark in enumerate(row)
              if mark is Mark.PRIMARY] for table_marks in marks]
    bounds = [_bounds(grid, table_marks) for grid, table_marks in zip(grids, marks, strict=True)]
    jointly = False
    found = next(((i, pos) for i in range(len(grids))
                  for pos in given_away_alone(bounds[i], small[i])), None)
    if found is None and len(grids) > 1:
        jointly = True
        found = next(iter(given_away(bounds, small)), None)
    if found is None:
        return False
    table, at = found
    # Alone, only that table's numbers can help; together, any table's (or a total).
    candidates = _candidates(grids, marks, range(len(grids)) if jointly else [table])
    for hide in candidates:
        trial = _stops(grids, marks, table, at, hide, jointly)
        if trial is not None:
            marks[:] = trial
            return True
    # No single number is enough: hide the smallest next to it and look again.
    near = [(i, pos) for i, pos in candidates
            if i == table and (pos[0] == at[0] or pos[1] == at[1])] or candidates
    if near:
        i, (r, c) = near[0]
        marks[i][r][c] = Mark.SECONDARY
        return True
    # Rule 5: nothing left to hide, so withhold the table (or, failing that, all of them).
    chosen = [table] if not _withheld(grids[table], marks[table]) else range(len(grids))
    if all(_withheld(grids[i], marks[i]) for i in chosen):
        return False
    for i in chosen:
        marks[i] = [[Mark.WITHHELD if grids[i][r][c] > 0 else Mark.SHOWN
                     for c in range(len(grids[i][0]))] for r in range(len(grids[i]))]
    # The totals row is shared (rule 4): withheld in one table, it is withheld in all, so
    # the linked tables read the same there.
    for grid, table_marks in zip(grids, marks, strict=True):
        table_marks[-1] = [Mark.WITHHELD if grid[-1][c] > 0 else mark
                           for c, mark in enumerate(table_marks[-1])]
    return True


def _withheld(grid: Sequence[Sequence[int]], table_marks: Sequence[Sequence[Mark]]) -> bool:
    """The whole table is withheld (a withheld totals row shared from another table is not
    enough: that table's own cells may still give something away)."""
    return all(mark is Mark.WITHHELD for row, marks in zip(grid, table_marks, strict=True)
               for value, mark in zip(row, marks, strict=True) if value > 0)


def suppress(cells: Sequence[Sequence[int]]) -> SuppressedTable:
    """Apply rules 1, 2, 3 and 5 to one table of counts."""
    return suppress_linked([cells])[0]


def suppress_linked(tables: Sequence[Sequence[Sequence[int]]]) -> list[SuppressedTable]:
    """Apply rules 1 to 5 to tables that share their totals row."""
    if any(value < 0 for table in tables for row in table for value in row):
        raise ValueError("counts cannot be negative")
    grids = [with_totals(table) for table in tables]
    if len({grid[-1] for grid in grids}) > 1:
        raise ValueError("linked tables must have the same totals row")
    marks = [_primary(grid) for grid in grids]
    while True:
        _settle(grids, marks)
        if not _remedy(grids, marks):
            return [SuppressedTable(grid, tuple(tuple(row) for row in table_marks))
                    for grid, table_marks in zip(grids, marks, strict=True)]
