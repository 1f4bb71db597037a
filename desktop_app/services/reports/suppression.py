"""Small-number suppression for the equality monitoring tables (framework §7), as cells.

The rule itself (its five parts, the exact disclosure check, ``SUPPRESSION_RULE``'s words)
lives in ``scp_common.suppression``, so the laptop's reports and the central store's
report across every team hide exactly the same numbers. This module only turns the shared
result into the report model's ``Cell``: a hidden number becomes a cell with no value, so
neither a chart nor an export can reveal it.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from desktop_app.services.reports.model import Cell, CellKind, count
from scp_common import suppression as shared
from scp_common.suppression import (
    HIDDEN_TEXT,
    SMALLEST_SHOWN,
    SUPPRESSED_TEXT,
    SUPPRESSION_RULE,
    UNBOUNDED,
    WITHHELD_TEXT,
    Mark,
    Position,
    lines,
    with_totals,
)

__all__ = [
    "SMALLEST_SHOWN", "SUPPRESSION_RULE", "UNBOUNDED", "Mark", "Position", "SuppressedTable",
    "lines", "suppress", "suppress_linked", "with_totals",
]

_CELLS = {Mark.PRIMARY: Cell(SUPPRESSED_TEXT, None, CellKind.SUPPRESSED),
          Mark.SECONDARY: Cell(HIDDEN_TEXT, None, CellKind.HIDDEN),
          Mark.WITHHELD: Cell(WITHHELD_TEXT, None, CellKind.WITHHELD)}


@dataclass(frozen=True)
class SuppressedTable(shared.SuppressedTable):
    """The shared table of counts and marks, with each number as a report cell."""

    def cell(self, row: int, column: int) -> Cell:
        """The cell as shown (row/column -1 for the totals)."""
        mark = self.marks[row][column]
        return count(self.grid[row][column]) if mark is Mark.SHOWN else _CELLS[mark]


def suppress(cells: Sequence[Sequence[int]]) -> SuppressedTable:
    """Apply rules 1, 2, 3 and 5 to one table of counts."""
    return suppress_linked([cells])[0]


def suppress_linked(tables: Sequence[Sequence[Sequence[int]]]) -> list[SuppressedTable]:
    """Apply rules 1 to 5 to tables that share their totals row."""
    return [SuppressedTable(table.grid, table.marks)
            for table in shared.suppress_linked(tables)]
