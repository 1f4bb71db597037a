"""Review dates of a delegation (``services.review_schedule``, framework §2 step S11).

Expected dates are written out by hand from a calendar, not computed by the code under test.

How these tests were seen to fail (each mutation made in the module, the tests run, the
change undone): adding months one at a time, so that 31 January + 3 becomes 28 April, fails
the month-end table and both no-drift chains; counting the next annual review from the due
date instead of the done date fails the early and late review tests and both hypothesis
properties; ``<`` for ``<=`` at the 30-day edge, overdue on the due day, and done on the due
day counted late each fail one boundary case; a review done the day a change is recorded not
covering it, the latest instead of the earliest outstanding change, the tie going to the
annual review, the three-month review always or never replaced, withdrawal not ending the
schedule or not refusing later reviews, and each missing date check each fail the test named
for them; a paraphrase in ``HOW_DATES_ARE_COUNTED`` fails the docstring test.
"""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.models.review import ReviewKind, ReviewOutcome
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework import review_schedule
from desktop_app.services.framework.review_schedule import (
    HOW_DATES_ARE_COUNTED,
    DoneReview,
    ReviewStatus,
    ScheduledReview,
    add_months,
    change_of_need_review,
    first_review,
    next_review,
    review_status,
    schedule_from_history,
)

D = dt.date
THREE, ANNUAL, CHANGE = ReviewKind.THREE_MONTH, ReviewKind.ANNUAL, ReviewKind.CHANGE_OF_NEED
CONTINUE, WITHDRAW = ReviewOutcome.CONTINUE, ReviewOutcome.WITHDRAW
LATER = D(2040, 1, 1)  # a "today" after every date in the examples
# Every test here checks when reviews fall due.
pytestmark = pytest.mark.hazard("H-010")


@pytest.mark.parametrize(("start", "months", "expected"), [
    (D(2026, 11, 30), 3, D(2027, 2, 28)),
    (D(2027, 11, 30), 3, D(2028, 2, 29)),  # leap year
    (D(2025, 1, 31), 1, D(2025, 2, 28)),
    (D(2028, 1, 31), 1, D(2028, 2, 29)),
    (D(2025, 3, 31), 12, D(2026, 3, 31)),
    (D(2025, 8, 31), 3, D(2025, 11, 30)),
    (D(2028, 2, 29), 12, D(2029, 2, 28)),
    (D(2025, 1, 31), 3, D(2025, 4, 30)),  # not 28 April via 28 February
    (D(2025, 10, 15), 3, D(2026, 1, 15)),  # across the year end
    (D(2025, 3, 31), -1, D(2025, 2, 28)),
    (D(2025, 6, 15), 0, D(2025, 6, 15)),
])
def test_add_months_clamps_to_the_month_end(start: dt.date, months: int, expected: dt.date) -> None:
    assert add_months(start, months) == expected


def test_add_months_beyond_the_calendar_is_a_validation_error() -> None:
    with pytest.raises(ValidationError) as caught:
        add_months(D(9999, 11, 1), 3)
    assert caught.value.field == "date"


def test_first_review_is_three_months_after_the_start() -> None:
    assert first_review(D(2026, 11, 30)) == ScheduledReview(THREE, D(2027, 2, 28))


def test_five_annual_reviews_from_a_31_january_start_do_not_drift() -> None:
    """Each review done on its due date; every date stays on the 30 April anniversary."""
    start = D(2025, 1, 31)
    history: list[DoneReview] = []
    due_dates = []
    for _ in range(6):
        due = schedule_from_history(start, history, [], LATER)
        assert due is not None
        due_dates.append(due.due_on)
        history.append((due.kind, due.due_on, CONTINUE))
    assert due_dates == [D(year, 4, 30) for year in range(2025, 2031)]
    assert [kind for kind, _done, _outcome in history] == [THREE] + [ANNUAL] * 5


def test_annual_reviews_from_a_31_october_start_stay_on_the_31st() -> None:
    history: list[DoneReview] = [(THREE, D(2025, 1, 31), CONTINUE)]
    for year in range(2026, 2031):
        due = schedule_from_history(D(2024, 10, 31), history, [], LATER)
        assert due == ScheduledReview(ANNUAL, D(year, 1, 31))
        history.append((ANNUAL, due.due_on, CONTINUE))


def test_a_late_review_moves_the_next_one_to_12_months_after_it_was_done() -> None:
    assert next_review(D(2026, 6, 15), CONTINUE, ANNUAL) == ScheduledReview(ANNUAL, D(2027, 6, 15))
    history: list[DoneReview] = [(THREE, D(2025, 7, 20), CONTINUE)]  # due 30 April 2025
    assert schedule_from_history(D(2025, 1, 31), history, [], LATER) == ScheduledReview(
        ANNUAL, D(2026, 7, 20)
    )


def test_an_early_review_brings_the_next_one_forward() -> None:
    """Counting from the due date (30 April 2026) would leave 14 months without a review."""
    history: list[DoneReview] = [
        (THREE, D(2025, 4, 30), CONTINUE), (ANNUAL, D(2026, 2, 28), CONTINUE),
    ]
    assert schedule_from_history(D(2025, 1, 31), history, [], LATER) == ScheduledReview(
        ANNUAL, D(2027, 2, 28)
    )


FAR_TODAY = D(2200, 1, 1)  # "today" for generated histories: after every generated date
STARTS = st.dates(D(2000, 1, 1), D(2080, 12, 31))


@st.composite
def histories(draw: st.DrawFn, most_days_late: int) -> tuple[dt.date, list[DoneReview]]:
    """A start date and up to six reviews, each done between 90 days early and
    ``most_days_late`` late on the date the code gave (never before the previous review or
    the start)."""
    start = draw(STARTS)
    history: list[DoneReview] = []
    for _ in range(draw(st.integers(1, 6))):
        due = schedule_from_history(start, history, [], FAR_TODAY)
        assert due is not None
        earliest = history[-1][1] if history else start
        shift = dt.timedelta(days=draw(st.integers(-90, most_days_late)))
        history.append((due.kind, max(earliest, due.due_on + shift), CONTINUE))
    return start, history


@given(histories(most_days_late=0))
def test_reviews_done_by_their_due_dates_are_never_more_than_12_months_apart(
    case: tuple[dt.date, list[DoneReview]],
) -> None:
    start, history = case
    done_dates = [done_on for _kind, done_on, _outcome in history]
    assert done_dates[0] <= add_months(start, 3)
    for before, after in zip(done_dates, done_dates[1:], strict=False):
        assert after <= add_months(before, 12)


@given(histories(most_days_late=120))
def test_after_any_review_early_or_late_the_next_is_due_12_months_after_it_was_done(
    case: tuple[dt.date, list[DoneReview]],
) -> None:
    start, history = case
    due = schedule_from_history(start, history, [], FAR_TODAY)
    assert due == ScheduledReview(ANNUAL, add_months(history[-1][1], 12))


@given(STARTS, st.integers(0, 500))
def test_any_review_restarts_the_clock_at_12_months(start: dt.date, days_later: int) -> None:
    done_on = start + dt.timedelta(days=days_later)
    for kind in ReviewKind:
        due = next_review(done_on, CONTINUE, kind)
        assert due is not None and due.kind is ANNUAL
        assert due.due_on == add_months(done_on, 12)
        assert 365 <= (due.due_on - done_on).days <= 366


def test_change_of_need_review_is_due_the_day_it_is_recorded() -> None:
    assert change_of_need_review(D(2026, 5, 10)) == ScheduledReview(CHANGE, D(2026, 5, 10))


def test_a_recorded_change_of_need_makes_a_review_due_that_day() -> None:
    history: list[DoneReview] = [(THREE, D(2025, 4, 30), CONTINUE)]
    due = schedule_from_history(D(2025, 1, 31), history, [D(2025, 9, 3)], D(2025, 9, 3))
    assert due == ScheduledReview(CHANGE, D(2025, 9, 3))


def test_a_change_of_need_review_resets_the_annual_cycle() -> None:
    history: list[DoneReview] = [
        (THREE, D(2025, 4, 30), CONTINUE),
        (CHANGE, D(2025, 9, 10), ReviewOutcome.CHANGE_OF_NEED),
    ]
    due = schedule_from_history(D(2025, 1, 31), history, [D(2025, 9, 3)], D(2025, 9, 10))
    assert due == ScheduledReview(ANNUAL, D(2026, 9, 10))  # not 30 April 2026


def test_a_review_done_the_day_a_change_is_recorded_covers_it() -> None:
    history: list[DoneReview] = [(THREE, D(2025, 4, 30), CONTINUE)]
    due = schedule_from_history(D(2025, 1, 31), history, [D(2025, 4, 30)], LATER)
    assert due == ScheduledReview(ANNUAL, D(2026, 4, 30))


def test_the_earliest_unreviewed_change_is_the_one_due() -> None:
    changes = [D(2025, 11, 1), D(2025, 9, 3), D(2025, 3, 1)]
    history: list[DoneReview] = [(THREE, D(2025, 4, 30), CONTINUE)]
    due = schedule_from_history(D(2025, 1, 31), history, changes, LATER)
    assert due == ScheduledReview(CHANGE, D(2025, 9, 3))


def test_an_overdue_annual_review_shows_before_a_later_change_of_need() -> None:
    history: list[DoneReview] = [(THREE, D(2025, 4, 30), CONTINUE)]
    due = schedule_from_history(D(2025, 1, 31), history, [D(2026, 6, 1)], D(2026, 6, 1))
    assert due == ScheduledReview(ANNUAL, D(2026, 4, 30))


def test_a_change_recorded_on_the_annual_due_date_shows_as_change_of_need() -> None:
    history: list[DoneReview] = [(THREE, D(2025, 4, 30), CONTINUE)]
    due = schedule_from_history(D(2025, 1, 31), history, [D(2026, 4, 30)], D(2026, 4, 30))
    assert due == ScheduledReview(CHANGE, D(2026, 4, 30))


def test_a_change_of_need_review_in_the_first_months_does_not_replace_the_three_month() -> None:
    history: list[DoneReview] = [(CHANGE, D(2025, 2, 20), CONTINUE)]
    due = schedule_from_history(D(2025, 1, 31), history, [D(2025, 2, 14)], D(2025, 3, 1))
    assert due == ScheduledReview(THREE, D(2025, 4, 30))


def test_any_review_done_after_the_three_month_date_counts_as_it() -> None:
    history: list[DoneReview] = [(CHANGE, D(2025, 5, 2), CONTINUE)]
    due = schedule_from_history(D(2025, 1, 31), history, [D(2025, 5, 1)], LATER)
    assert due == ScheduledReview(ANNUAL, D(2026, 5, 2))


def test_nothing_done_yet_means_the_three_month_review_is_due() -> None:
    assert schedule_from_history(D(2025, 1, 31), [], [], D(2025, 2, 1)) == ScheduledReview(
        THREE, D(2025, 4, 30)
    )


def test_withdraw_ends_the_schedule() -> None:
    assert next_review(D(2026, 4, 30), WITHDRAW, ANNUAL) is None
    history: list[DoneReview] = [(THREE, D(2025, 4, 30), WITHDRAW)]
    assert schedule_from_history(D(2025, 1, 31), history, [D(2025, 6, 1)], LATER) is None


def test_a_review_after_a_withdrawal_is_refused() -> None:
    history: list[DoneReview] = [
        (THREE, D(2025, 4, 30), WITHDRAW), (ANNUAL, D(2026, 4, 30), CONTINUE),
    ]
    with pytest.raises(ValidationError) as caught:
        schedule_from_history(D(2025, 1, 31), history, [], LATER)
    assert caught.value.field == "reviews_done"


@pytest.mark.parametrize(("days_to_due", "expected"), [
    (31, ReviewStatus.NOT_DUE),
    (30, ReviewStatus.DUE_SOON),
    (1, ReviewStatus.DUE_SOON),
    (0, ReviewStatus.DUE_SOON),
    (-1, ReviewStatus.OVERDUE),
])
def test_status_around_the_30_day_boundary(days_to_due: int, expected: ReviewStatus) -> None:
    today = D(2026, 3, 15)
    assert review_status(today + dt.timedelta(days=days_to_due), today) is expected


@pytest.mark.parametrize(("done_on", "expected"), [
    (D(2026, 3, 1), ReviewStatus.DONE_ON_TIME),
    (D(2026, 4, 30), ReviewStatus.DONE_ON_TIME),
    (D(2026, 5, 1), ReviewStatus.DONE_LATE),
])
def test_status_of_a_done_review(done_on: dt.date, expected: ReviewStatus) -> None:
    assert review_status(D(2026, 4, 30), D(2026, 6, 1), done_on) is expected


@pytest.mark.hazard("H-020")
def test_a_review_cannot_be_done_in_the_future() -> None:
    with pytest.raises(ValidationError) as caught:
        review_status(D(2026, 4, 30), D(2026, 4, 1), done_on=D(2026, 4, 2))
    assert caught.value.field == "done_on"


@pytest.mark.hazard("H-020")
@pytest.mark.parametrize(("history", "changes", "field"), [
    ([(THREE, D(2025, 1, 30), CONTINUE)], [], "done_on"),  # before the start
    ([(THREE, D(2025, 4, 30), CONTINUE), (ANNUAL, D(2026, 3, 2), CONTINUE)], [], "done_on"),
    ([], [D(2025, 1, 1)], "changes_of_need"),  # before the start
    ([], [D(2026, 3, 2)], "changes_of_need"),  # after today
])
def test_impossible_dates_in_the_history_are_refused(
    history: list[DoneReview], changes: list[dt.date], field: str
) -> None:
    with pytest.raises(ValidationError) as caught:
        schedule_from_history(D(2025, 1, 31), history, changes, D(2026, 3, 1))
    assert caught.value.field == field


@pytest.mark.hazard("H-020")
def test_a_start_date_far_in_the_future_is_refused() -> None:
    today = D(2025, 6, 1)
    assert schedule_from_history(D(2026, 6, 1), [], [], today) is not None  # 12 months: allowed
    with pytest.raises(ValidationError) as caught:
        schedule_from_history(D(2026, 6, 2), [], [], today)
    assert caught.value.field == "start"


def test_the_help_text_is_the_paragraph_in_the_module_docstring() -> None:
    docstring = " ".join((review_schedule.__doc__ or "").split())
    assert " ".join(HOW_DATES_ARE_COUNTED.split()) in docstring


def test_the_help_text_examples_are_what_the_code_does() -> None:
    assert "12 months after the day the last review was actually done" in HOW_DATES_ARE_COUNTED
    assert "3 months after 30 November is 28 February (29 February in a leap year)" in (
        HOW_DATES_ARE_COUNTED
    )
    assert add_months(D(2026, 11, 30), 3) == D(2027, 2, 28)
    assert add_months(D(2027, 11, 30), 3) == D(2028, 2, 29)
    assert "12 months after 29 February is 28 February" in HOW_DATES_ARE_COUNTED
    assert add_months(D(2028, 2, 29), 12) == D(2029, 2, 28)
