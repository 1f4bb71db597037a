"""The small-number rule on its own: primary "<5", secondary "*", linked tables.

Each example is small enough to check by hand; the property test checks the rule's
promise on many random tables, and the attacker (``attacker.py``) shows that a hidden
count really cannot be worked out from what is shown.
"""

from __future__ import annotations

import random

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.services.reports.model import CellKind
from desktop_app.services.reports.suppression import (
    Mark,
    SuppressedTable,
    lines,
    suppress,
    suppress_linked,
)
from tests.services.reports.attacker import disclosed, disclosed_together, possible_values

P, S, SHOWN = Mark.PRIMARY, Mark.SECONDARY, Mark.SHOWN


def shown(table: SuppressedTable) -> list[list[str]]:
    """The table as printed, totals included."""
    return [[table.cell(r, c).text for c in range(len(table.grid[0]))]
            for r in range(len(table.grid))]


@pytest.mark.hazard("H-028")
def test_counts_of_1_to_4_are_shown_as_under_5_and_zero_as_0() -> None:
    table = suppress([[0, 1, 4, 5], [0, 7, 8, 9]])
    assert shown(table)[0][:4] == ["0", "<5", "<5", "5"]
    assert table.cell(0, 1).kind is CellKind.SUPPRESSED and table.cell(0, 1).value is None
    assert table.cell(0, 0).kind is CellKind.COUNT and table.cell(0, 0).value == 0


@pytest.mark.hazard("H-028")
def test_the_subtraction_case_a_row_with_one_hidden_count_hides_the_next_smallest() -> None:
    table = suppress([[3, 9, 0, 20], [7, 9, 6, 20]])
    # With the primary rule alone the first row would read <5, 9, 0, 20 | 32, and
    # 32 - 9 - 0 - 20 = 3. So its 9 is hidden too; that leaves the 9's column with one
    # hidden number, so the other 9 goes; then row two hides its smallest other, the 7.
    assert shown(table) == [["<5", "*", "0", "20", "32"],
                            ["*", "*", "6", "20", "42"],
                            ["10", "18", "6", "40", "74"]]
    assert table.marks[0][:2] == (P, S)
    assert table.cell(0, 1).kind is CellKind.HIDDEN and table.cell(0, 1).value is None
    for line in lines(3, 5):
        assert table.hidden_in_line(line) != 1
    assert possible_values(shown(table))[(0, 0)] == {1, 2, 3, 4}
    assert not disclosed(shown(table))


@pytest.mark.hazard("H-028")
def test_a_small_total_is_hidden_and_cannot_be_had_from_the_grand_total() -> None:
    table = suppress([[2, 0], [10, 10]])
    # Row one's total (2) is small itself; the total column would then give it as
    # 22 - 20, so the other row total is hidden, and with it that row's smallest count.
    assert shown(table) == [["<5", "0", "<5"], ["*", "10", "*"], ["12", "10", "22"]]
    assert table.marks[0] == (P, SHOWN, P)
    assert not disclosed(shown(table))


def test_the_smallest_non_zero_count_is_chosen_and_ties_go_to_the_first() -> None:
    table = suppress([[2, 0, 8, 8, 30]])
    assert table.marks[0][:5] == (P, SHOWN, S, SHOWN, SHOWN)


def test_a_table_without_small_numbers_is_shown_whole() -> None:
    table = suppress([[5, 6], [0, 9]])
    assert all(mark is SHOWN for row in table.marks for mark in row)
    assert shown(table) == [["5", "6", "11"], ["0", "9", "9"], ["5", "15", "20"]]


@pytest.mark.hazard("H-028")
def test_linked_tables_hide_the_same_totals() -> None:
    """Two breakdowns of the same 24 decisions share the totals row 3, 8, 13 | 24."""
    by_sex = [[3, 0, 13], [0, 8, 0]]
    by_age = [[0, 8, 6], [3, 0, 7]]
    # Alone, the second would show the 13 that the first had to hide (its column has a
    # single count, itself hidden, so its total went too).
    assert shown(suppress(by_age))[-1] == ["<5", "*", "13", "24"]
    first, second = suppress_linked([by_sex, by_age])
    assert shown(first)[-1] == shown(second)[-1] == ["<5", "*", "*", "24"]
    assert shown(second) == [["0", "*", "*", "14"], ["<5", "0", "*", "10"],
                             ["<5", "*", "*", "24"]]
    for table in (first, second):
        assert not disclosed(shown(table))


AGE = [[5, 0, 0, 0], [7, 0, 0, 0], [7, 2, 1, 0], [0, 0, 5, 3]]
SEX = [[10, 0, 4, 0], [6, 2, 2, 0], [3, 0, 0, 0], [0, 0, 0, 3]]
NOBODY_ASKED = [[0, 0, 0, 0], [19, 2, 6, 3]]


@pytest.mark.hazard("H-028")
def test_two_rows_and_a_column_can_give_a_count_away_and_the_check_stops_it() -> None:
    """Line by line, 85+ (0, 0, 5, 3 | 8) hides its 5; but then the third column says
    1 + (5 or more) = 6, so the 1 is exactly 1, and the 2 and the 3 follow."""
    by_lines_only = [["5", "0", "0", "0", "5"], ["7", "0", "0", "0", "7"],
                     ["7", "<5", "<5", "0", "10"], ["0", "0", "*", "<5", "8"],
                     ["19", "<5", "6", "<5", "30"]]
    assert disclosed(by_lines_only) == [(2, 1), (2, 2), (3, 3), (4, 1), (4, 3)]
    table = suppress(AGE)
    assert shown(table) == [["5", "0", "0", "0", "5"], ["7", "0", "0", "0", "7"],
                            ["7", "<5", "<5", "0", "10"], ["0", "0", "*", "<5", "8"],
                            ["19", "<5", "*", "<5", "30"]]
    assert not disclosed(shown(table))


@pytest.mark.hazard("H-028")
def test_tables_safe_alone_can_give_counts_away_together_unless_linked() -> None:
    alone = [shown(suppress(table)) for table in (AGE, SEX, NOBODY_ASKED)]
    assert all(not disclosed(table) for table in alone)
    assert disclosed_together(alone)  # e.g. the totals row's 2 and 3
    linked = [shown(table) for table in suppress_linked([AGE, SEX, NOBODY_ASKED])]
    assert disclosed_together(linked) == []


@pytest.mark.hazard("H-028")
def test_a_table_too_small_to_protect_is_withheld() -> None:
    """Every count here is small: "<5" everywhere would still pin them all down (the rows
    are at most 4, so 3 + 2 must be the column's 5), so the table is withheld."""
    table = suppress([[1, 0, 3], [1, 1, 2]])
    assert shown(table) == [["–", "0", "–", "–"], ["–", "–", "–", "–"],
                            ["–", "–", "–", "–"]]
    assert table.cell(0, 0).kind is CellKind.WITHHELD and table.cell(0, 0).value is None
    assert not disclosed(shown(table))


def test_the_attacker_would_find_an_unprotected_count() -> None:
    """The attacker is real: the table with only the primary rule gives the 3 away."""
    naive = [["<5", "9", "0", "20", "32"], ["7", "9", "6", "20", "42"],
             ["10", "18", "6", "40", "74"]]
    assert disclosed(naive) == [(0, 0)]
    assert possible_values(naive)[(0, 0)] == {3}


small = st.integers(min_value=0, max_value=12)


@pytest.mark.hazard("H-028")
@settings(max_examples=150, deadline=None)
@given(st.integers(1, 4).flatmap(
    lambda width: st.lists(st.lists(small, min_size=width, max_size=width),
                           min_size=1, max_size=4)))
def test_the_rule_holds_on_any_table(cells: list[list[int]]) -> None:
    table = suppress(cells)
    height, width = len(table.grid), len(table.grid[0])
    for r in range(height):
        for c in range(width):
            value, mark = table.grid[r][c], table.marks[r][c]
            if 1 <= value <= 4:
                assert mark in (P, Mark.WITHHELD)
            if value == 0:
                assert mark is SHOWN  # zeros are never hidden
            if mark is S:
                assert value >= 5  # so every "*" stands for 5 or more
    for line in lines(height, width):
        assert table.hidden_in_line(line) != 1
    assert not disclosed(shown(table))


@pytest.mark.hazard("H-028")
@settings(max_examples=60, deadline=None)
@given(st.integers(1, 4).flatmap(
    lambda width: st.lists(st.lists(small, min_size=width, max_size=width),
                           min_size=2, max_size=4)), st.randoms(use_true_random=False))
def test_linked_tables_read_together_give_nothing_away(cells: list[list[int]],
                                                       rng: random.Random) -> None:
    """A second breakdown of the same counts: the rows of the first, grouped at random."""
    groups: dict[int, list[int]] = {}
    for row in cells:
        group = groups.setdefault(rng.randrange(len(cells)), [0] * len(row))
        group[:] = [a + b for a, b in zip(group, row, strict=True)]
    first, second = suppress_linked([cells, list(groups.values())])
    assert shown(first)[-1] == shown(second)[-1]
    assert disclosed_together([shown(first), shown(second)]) == []
