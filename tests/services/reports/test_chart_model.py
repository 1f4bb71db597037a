"""The chart a report hands to the screen and the PDF: short legend labels with a key, the
unit and its ticks, short month labels, and the smallest series folded into "Other"."""

from __future__ import annotations

import pytest

from desktop_app.services.reports.chart import (
    CATEGORY_MAX,
    MAX_SERIES,
    SHORT_MAX,
    Chart,
    ChartKind,
    ChartUnit,
    Series,
    abbreviate,
    value_ticks,
)
from desktop_app.services.reports.delegations import (
    CATEGORY_SHORT,
    OUTCOME_SHORT,
    WITHDRAWAL_SHORT,
    outcome_title,
)
from desktop_app.services.reports.model import month_axis

MONTHS = ("Jan 2026", "Feb 2026", "Mar 2026")


def chart(*series: Series, **options: object) -> Chart:
    return Chart(ChartKind.STACKED_BAR, "Decisions", MONTHS, series, "Decisions",
                 **options)  # type: ignore[arg-type]


def test_a_series_has_a_short_legend_label_and_the_key_gives_its_full_name() -> None:
    drawn = chart(Series("Refer for NHS Continuing Healthcare", (1.0, 2.0, 0.0),
                         "Refer for CHC"),
                  Series("Withdrawn", (0.0, 1.0, 0.0)))
    assert [s.short for s in drawn.series] == ["Refer for CHC", "Withdrawn"]
    assert drawn.key == (("Refer for CHC", "Refer for NHS Continuing Healthcare"),)
    assert drawn.key_note == ("Chart labels: Refer for CHC = Refer for NHS Continuing "
                              "Healthcare.")
    assert chart(Series("Opened", (1.0, 2.0, 3.0))).key_note is None
    with pytest.raises(ValueError, match="longer than"):
        Series("Delegated", (1.0,), "Delegated within the package")


def test_a_long_name_without_a_short_label_keeps_its_leading_words_and_labels_are_unique(
) -> None:
    assert abbreviate("Delegated, extra time funded by the NHS") == "Delegated"
    assert abbreviate("Escalated to a shared care discussion") == "Escalated"
    assert abbreviate("Opened") == "Opened"
    assert abbreviate("Supercalifragilistic") == "Supercalifragi"  # one long word: cut
    drawn = chart(Series("Delegated, extra time funded by the NHS", (1.0, 0.0, 0.0)),
                  Series("Delegated, jointly funded", (0.0, 1.0, 0.0)))
    shorts = [s.short for s in drawn.series]
    assert shorts == ["Delegated", "Delegated 2"]  # never two entries alike
    assert all(len(s) <= SHORT_MAX for s in shorts)
    assert [name for _, name in drawn.key] == ["Delegated, extra time funded by the NHS",
                                               "Delegated, jointly funded"]


def test_the_reports_short_labels_fit_and_differ() -> None:
    outcomes = {outcome_title(code): short for code, short in OUTCOME_SHORT.items()}
    for table in (outcomes, CATEGORY_SHORT, WITHDRAWAL_SHORT):
        assert all(0 < len(short) <= SHORT_MAX for short in table.values())
        assert len(set(table.values())) == len(table)
    assert outcomes["Delegated, extra time funded by the NHS"] == "NHS-funded"
    assert outcomes["Delegated, jointly funded"] == "Jointly funded"


@pytest.mark.hazard("H-028")
def test_more_series_than_colours_fold_the_smallest_into_other_never_adding_a_hidden_count(
) -> None:
    many = [Series(f"Outcome number {i}", (float(i), float(i), None if i == 0 else 1.0))
            for i in range(MAX_SERIES + 2)]
    drawn = chart(*many)
    assert len(drawn.series) == MAX_SERIES
    other = drawn.series[-1]
    # The three smallest (0, 1 and 2), added where all are shown, hidden where one is.
    assert other.short == "Other (3)"
    assert other.name == "Outcome number 0 + Outcome number 1 + Outcome number 2"
    assert other.values == (3.0, 3.0, None)
    assert [s.name for s in drawn.series[:-1]] == [f"Outcome number {i}"
                                                    for i in range(3, MAX_SERIES + 2)]
    assert ("Other (3)", other.name) in drawn.key


def test_ticks_are_whole_round_numbers_from_nought() -> None:
    assert value_ticks(0) == (0.0, 1.0)
    assert value_ticks(3) == (0.0, 1.0, 2.0, 3.0)
    assert value_ticks(2.5, most=6) == (0.0, 1.0, 2.0, 3.0)  # never a 2.5 tick
    assert value_ticks(12, most=5) == (0.0, 5.0, 10.0, 15.0)
    assert value_ticks(70836.85) == (0.0, 20000.0, 40000.0, 60000.0, 80000.0)
    for top in (0.4, 1, 7, 9.5, 11, 99, 101, 1234, 98765.4):
        for most in (2, 3, 4, 6):
            ticks = value_ticks(top, most)
            step = ticks[1]
            assert ticks[0] == 0 and ticks[-1] >= top and len(ticks) - 1 <= most
            assert all(t == int(t) for t in ticks)
            assert str(int(step)).strip("0") in ("1", "2", "5")


def test_money_ticks_read_in_pounds_with_thousands_separators() -> None:
    money = Chart(ChartKind.BAR, "Period total by funder", ("LLR ICB", "Rutland"),
                  (Series("Period total", (70836.85, 10285.1)),), "Period total",
                  ChartUnit.POUNDS, horizontal=True)
    assert [money.tick_label(t) for t in money.ticks()] == [
        "£0", "£20,000", "£40,000", "£60,000", "£80,000"]
    counts = chart(Series("Opened", (1200.0, 0.0, 0.0)))
    assert counts.tick_label(1200) == "1,200"


def test_months_get_short_labels_with_their_years_in_the_axis_title() -> None:
    axis = month_axis(["2025-12", "2026-01", "2026-02", "2026-12"])
    assert axis["category_labels"] == ("Dec", "Jan", "Feb", "Dec")  # never "Dec 25"
    assert axis["category_title"] == "Dec 2025 to Dec 2026"
    assert month_axis(["2026-03"])["category_title"] == "Mar 2026"
    drawn = Chart(ChartKind.BAR, "Opened", ("Dec 2025", "Jan 2026", "Feb 2026", "Dec 2026"),
                  (Series("Opened", (1.0, 2.0, 3.0, 4.0)),), "Discussions", **axis)
    assert drawn.axis_labels == ("Dec", "Jan", "Feb", "Dec") and drawn.key == ()


def test_a_category_name_too_long_for_the_axis_is_cut_and_keyed() -> None:
    long = "White: English, Welsh, Scottish, Northern Irish or British"
    drawn = Chart(ChartKind.STACKED_BAR, "Outcomes by race", (long, "Not recorded"),
                  (Series("Delegated", (1.0, 2.0)),), "Decisions", horizontal=True)
    assert drawn.axis_labels == ("White: English, Welsh", "Not recorded")
    assert all(len(label) <= CATEGORY_MAX for label in drawn.axis_labels)
    assert drawn.key == (("White: English, Welsh", long),)
