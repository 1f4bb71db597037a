"""An attacker who knows the suppression rule and reads the published tables.

Independent of the service's own check (no network flows here: a plain search with
interval reasoning). Given tables as shown (cells, a total column, a totals row), every
hidden number is an unknown: "<5" is 1 to 4, "*" is 5 or more (at most the grand total,
if that is shown), "–" (withheld) at least 1. Every row and every column must add up to
its total, and tables read together share their totals row (the same decisions by
outcome). A "<5" that only one value fits has been given away.
"""

from __future__ import annotations

from collections.abc import Sequence

Grid = Sequence[Sequence[str]]
Key = tuple[int, int, int]  # (table, row, column); a shared totals row is table -1
Ranges = dict[Key, tuple[int, int]]


def _range(shown: str, ceiling: int) -> tuple[int, int]:
    if shown == "<5":
        return 1, 4
    if shown == "*":
        return 5, ceiling
    if shown == "–":  # withheld: at least 1
        return 1, ceiling
    number = int(shown.replace(",", ""))
    return number, number


class _Puzzle:
    """The numbers of one or more tables, what is known of each, and the lines."""

    def __init__(self, grids: Sequence[Grid]) -> None:
        # "*" is at most the grand total, when that is shown; else there is no telling.
        grand = grids[0][-1][-1]
        ceiling = int(grand) if grand.isdigit() else 10**6
        self.start: Ranges = {}
        self.lines: list[list[Key]] = []
        for t, grid in enumerate(grids):
            height, width = len(grid), len(grid[0])

            def key(r: int, c: int, t: int = t, height: int = height) -> Key:
                return (-1, 0, c) if len(grids) > 1 and r == height - 1 else (t, r, c)

            for r in range(height):
                for c in range(width):
                    self.start[key(r, c)] = _range(grid[r][c], ceiling)
            self.lines += [[key(r, c) for c in range(width)] for r in range(height)]
            self.lines += [[key(r, c) for r in range(height)] for c in range(width)]

    def _narrow(self, ranges: Ranges) -> bool:
        """Tighten every range from every line until nothing changes; False if one empties.

        A line says cells = total, so each cell lies between the total's least minus the
        others' greatest and the total's greatest minus the others' least, and the total
        between the cells' least and greatest sums."""
        changed = True
        while changed:
            changed = False
            for line in self.lines:
                cells, total = line[:-1], line[-1]
                low = sum(ranges[k][0] for k in cells)
                high = sum(ranges[k][1] for k in cells)
                updates = [(total, low, high)]
                for k in cells:
                    k_low, k_high = ranges[k]
                    updates.append((k, ranges[total][0] - (high - k_high),
                                    ranges[total][1] - (low - k_low)))
                for k, new_low, new_high in updates:
                    old_low, old_high = ranges[k]
                    tightened = (max(old_low, new_low), min(old_high, new_high))
                    if tightened[0] > tightened[1]:
                        return False
                    if tightened != (old_low, old_high):
                        ranges[k], changed = tightened, True
        return True

    def solvable(self, fixed: dict[Key, int]) -> bool:
        """True when whole numbers within the known ranges, with ``fixed``, add up everywhere."""
        ranges = dict(self.start)
        for k, v in fixed.items():
            ranges[k] = (v, v)
        return self._search(ranges)

    def _search(self, ranges: Ranges) -> bool:
        if not self._narrow(ranges):
            return False
        open_keys = [k for k, (low, high) in ranges.items() if low < high]
        if not open_keys:
            return True
        key = min(open_keys, key=lambda k: ranges[k][1] - ranges[k][0])
        low, high = ranges[key]
        middle = (low + high) // 2
        return any(self._search({**ranges, key: part})
                   for part in ((low, middle), (middle + 1, high)))

    def small(self) -> list[Key]:
        """The "<5" numbers."""
        return [k for k, r in self.start.items() if r == (1, 4)]


def _fitting(puzzle: _Puzzle, key: Key) -> set[int]:
    return {v for v in range(1, 5) if puzzle.solvable({key: v})}


def possible_values(grid: Grid) -> dict[tuple[int, int], set[int]]:
    """(row, column) of each "<5" of one table → the values that fit."""
    puzzle = _Puzzle([grid])
    return {(r, c): _fitting(puzzle, (t, r, c)) for t, r, c in puzzle.small()}


def disclosed(grid: Grid) -> list[tuple[int, int]]:
    """The "<5" of one table that only one value fits (none, if the suppression holds)."""
    return sorted(pos for pos, values in possible_values(grid).items() if len(values) <= 1)


def disclosed_together(grids: Sequence[Grid]) -> list[tuple[int, int, int]]:
    """(table, row, column) of each "<5" given away when the tables are read together
    (the shared totals row as table -1)."""
    puzzle = _Puzzle(grids)
    return sorted(key for key in puzzle.small() if len(_fitting(puzzle, key)) <= 1)
