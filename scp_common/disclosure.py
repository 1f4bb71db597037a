"""Checking exactly whether a suppressed table still gives a hidden small count away.

Shared by the laptop's reports and the central store's (``scp_common.suppression``): plain
Python, no imports from either side.

An attacker who reads the published tables and knows the rule knows that "<5" is 1 to 4,
that "*" is at least 5 (and at most the grand total), and that every row and every
column adds up to its total. A hidden count is given away when only one value fits all
of that at once (not only by one subtraction: two rows and a column can pin a cell down
between them). This module answers "which values can this hidden count take?" exactly.

A table with its totals is a network: source → each row (its total) → each cell → each
column → sink (the column totals), and sink → source (the grand total). Bounds on every
number (known: exactly; "<5": 1 to 4; "*": 5 to the grand total) make the question "is
there a table that fits?" a circulation with lower bounds, answered by a maximum flow
(integer bounds give an integer table when one exists). Tables here are a few rows by a
few columns, so a plain augmenting-path max flow is ample.

Linked tables (the equality report's nine characteristics) share their totals row, so
the attacker can combine them: the hidden numbers of the totals row are enumerated, and a
value counts as possible only if every table fits with that totals row.
"""

from __future__ import annotations

import itertools
from collections import deque
from collections.abc import Sequence
from functools import lru_cache

Bounds = list[list[tuple[int, int]]]
Position = tuple[int, int]
SMALL = (1, 2, 3, 4)
MAX_TOTALS_ROWS = 5_000  # totals rows to try jointly before checking tables one by one


class _Network:
    """A max-flow network on integer capacities (adjacency of edge indices)."""

    def __init__(self, size: int) -> None:
        self.edges: list[list[int]] = []  # [to, capacity]
        self.out: list[list[int]] = [[] for _ in range(size)]

    def add(self, start: int, end: int, capacity: int) -> None:
        self.out[start].append(len(self.edges))
        self.edges.append([end, capacity])
        self.out[end].append(len(self.edges))
        self.edges.append([start, 0])

    def max_flow(self, source: int, sink: int) -> int:
        total = 0
        while True:
            came_by = [-1] * len(self.out)
            came_by[source] = -2
            queue = deque([source])
            while queue and came_by[sink] == -1:
                node = queue.popleft()
                for index in self.out[node]:
                    end, capacity = self.edges[index]
                    if capacity > 0 and came_by[end] == -1:
                        came_by[end] = index
                        queue.append(end)
            if came_by[sink] == -1:
                return total
            push, node = None, sink
            while node != source:
                index = came_by[node]
                push = self.edges[index][1] if push is None else min(push, self.edges[index][1])
                node = self.edges[index ^ 1][0]
            assert push is not None
            node = sink
            while node != source:
                index = came_by[node]
                self.edges[index][1] -= push
                self.edges[index ^ 1][1] += push
                node = self.edges[index ^ 1][0]
            total += push


def fits(bounds: Bounds) -> bool:
    """True when some table of whole numbers within ``bounds`` adds up along every line.

    ``bounds`` is (rows + 1) × (columns + 1) of (low, high), totals last as in
    ``suppression.with_totals``. Answers are remembered: the same question comes back
    often while the suppression tries one number after another.
    """
    return _fits(tuple(tuple(row) for row in bounds))


@lru_cache(maxsize=65_536)
def _fits(bounds: tuple[tuple[tuple[int, int], ...], ...]) -> bool:
    height, width = len(bounds) - 1, len(bounds[0]) - 1
    source, sink = height + width, height + width + 1
    arcs = [(source, r, bounds[r][width]) for r in range(height)]
    arcs += [(r, height + c, bounds[r][c]) for r in range(height) for c in range(width)]
    arcs += [(height + c, sink, bounds[height][c]) for c in range(width)]
    arcs.append((sink, source, bounds[height][width]))
    # Lower bounds become demands between a new start and end (the standard reduction).
    start, end = sink + 1, sink + 2
    network = _Network(sink + 3)
    excess = [0] * (sink + 1)
    for tail, head, (low, high) in arcs:
        if low > high:
            return False
        network.add(tail, head, high - low)
        excess[head] += low
        excess[tail] -= low
    needed = 0
    for node, amount in enumerate(excess):
        if amount > 0:
            network.add(start, node, amount)
            needed += amount
        elif amount < 0:
            network.add(node, end, -amount)
    return network.max_flow(start, end) == needed


def _with(bounds: Bounds, fixed: dict[Position, int]) -> Bounds:
    copy = [list(row) for row in bounds]
    for (r, c), value in fixed.items():
        copy[r][c] = (value, value)
    return copy


def value_range(bounds: Bounds, at: Position) -> tuple[int, int] | None:
    """The least and greatest value the number at ``at`` can take (None if the table fits
    no way at all). The values in between all fit too (the table is a network), so two
    binary searches on "does some value up to / from here fit?" find both ends."""
    r, c = at
    low, high = bounds[r][c]

    def fits_within(first: int, last: int) -> bool:
        trial = [list(row) for row in bounds]
        trial[r][c] = (first, last)
        return fits(trial)

    if not fits_within(low, high):
        return None
    least, most = low, high
    while least < most:
        middle = (least + most) // 2
        least, most = (least, middle) if fits_within(low, middle) else (middle + 1, most)
    smallest = least
    least, most = smallest, high
    while least < most:
        middle = (least + most + 1) // 2
        least, most = (middle, most) if fits_within(middle, high) else (least, middle - 1)
    return smallest, least


def _narrowed(tables: Sequence[Bounds], hidden: Sequence[int]) -> Bounds | None:
    """The shared totals row with each hidden number narrowed to what every table allows
    (None when the tables cannot all fit)."""
    shared = [list(row) for row in tables[0]]
    last = len(shared) - 1
    for c in hidden:
        low, high = shared[last][c]
        for table in tables:
            found = value_range(table, (len(table) - 1, c))
            if found is None:
                return None
            low, high = max(low, found[0]), min(high, found[1])
        if low > high:
            return None
        shared[last][c] = (low, high)
    return shared


def _totals_rows(shared: Bounds, hidden: Sequence[int]) -> list[dict[int, int]] | None:
    """Every way to fill the hidden numbers of the totals row (the last row) so that it adds
    up to its own total; None if there are too many to try."""
    row = len(shared) - 1
    width = len(shared[0]) - 1
    if not hidden:
        return [{}]
    free, last = hidden[:-1], hidden[-1]
    ranges: list[Sequence[int]] = [range(shared[row][c][0], shared[row][c][1] + 1)
                                   for c in free]
    count = 1
    for values in ranges:
        count *= len(values)
        if count > MAX_TOTALS_ROWS:
            return None
    rows: list[dict[int, int]] = []
    known = {c: shared[row][c][0] for c in range(width + 1) if c not in hidden}
    for values in itertools.product(*ranges):
        filled = {**known, **dict(zip(free, values, strict=True))}
        if last == width:  # the grand total is the hidden one
            guess = sum(filled[c] for c in range(width))
        else:
            guess = filled[width] - sum(filled[c] for c in range(width) if c != last)
        low, high = shared[row][last]
        if low <= guess <= high:
            filled[last] = guess
            rows.append({c: filled[c] for c in hidden})
    return rows


def given_away_alone(table: Bounds, small: Sequence[Position]) -> list[Position]:
    """The "<5" counts of one table that fewer than two values fit (its totals row is part
    of the network, so nothing needs enumerating)."""
    found = []
    for pos in small:
        fitting = 0
        for value in SMALL:
            if fits(_with(table, {pos: value})):
                fitting += 1
                if fitting == 2:
                    break
        if fitting < 2:
            found.append(pos)
    return found


def given_away(tables: Sequence[Bounds], small: Sequence[Sequence[Position]]
               ) -> list[tuple[int, Position]]:
    """(table, position) of each hidden small count that fewer than two values fit.

    ``tables`` are the bounds of linked tables (one totals row between them, with the
    same hidden numbers), ``small`` the positions of each table's "<5" counts. With more
    ways to fill the shared totals row than ``MAX_TOTALS_ROWS``, each table is checked on
    its own (the totals row then only constrained by that table).
    """
    hidden = [c for c, (low, high) in enumerate(tables[0][-1]) if low != high]
    shared = _narrowed(tables, hidden) if len(tables) > 1 else None
    options = _totals_rows(shared, hidden) if shared is not None else None
    if options is None:
        return [(i, pos) for i, table in enumerate(tables)
                for pos in given_away_alone(table, small[i])]
    seen: dict[tuple[int, Position], set[int]] = {
        (i, pos): set() for i, positions in enumerate(small) for pos in positions}
    for option in options:
        if all(len(values) >= 2 for values in seen.values()):
            break
        filled = [_with(table, {(len(table) - 1, c): v for c, v in option.items()})
                  for table in tables]
        if not all(fits(table) for table in filled):
            continue
        for (i, pos), values in seen.items():
            if pos[0] == len(tables[i]) - 1:
                values.add(option[pos[1]])
                continue
            for value in SMALL:
                if len(values) >= 2:
                    break
                if value not in values and fits(_with(filled[i], {pos: value})):
                    values.add(value)
    return sorted(key for key, values in seen.items() if len(values) < 2)
