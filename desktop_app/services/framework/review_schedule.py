"""When the reviews of a delegation are due (framework §2, step S11).

The framework (Part A, "Review") asks for formal MDT reviews "three months after initiation
and at 12-month intervals thereafter as a minimum; and whenever a change in need has been
identified". This module turns that sentence into dates. It is pure: no Qt, no database;
the caller passes in what was recorded and gets plain frozen values back.

For nurses (the user help quotes this paragraph verbatim as ``HOW_DATES_ARE_COUNTED``; a
test keeps the two the same):

The first review is due 3 months after the delegation starts. After that, the next review
is due 12 months after the day the last review was actually done, not 12 months after the
day it was due. The framework asks for a review at least every 12 months, and counting from
the day a review was done is the way to make sure 12 months never pass without one: a
review done early brings the next one forward, and a review done late moves the next one
later (the late review itself still shows as done late). When a change of need is recorded,
a change-of-need review is due that same day, and once it is done the next annual review is
due 12 months later. A change-of-need review in the first 3 months does not replace the
3-month review. When the month has no such day, the review is due on the last day of that
month: 3 months after 30 November is 28 February (29 February in a leap year), and 12 months
after 29 February is 28 February. Each date is worked out from a date you entered, never
from another worked-out date, so dates do not creep earlier year after year. A review shows
as due soon from 30 days before its due date, and as overdue from the day after it. A review
that withdraws the task ends the reviews: the task returns to Health.

Why the done date and not the due date: the framework sets a minimum, and only counting
from the done date guarantees that, while each review is done by the date given here, no
two reviews are more than 12 months apart. With a fixed cadence counted from due dates, a
review done early (a convenient visit, or an unscheduled review) leaves 12 months plus
however early it was before the next one, and a late review squeezes the next interval
instead of giving the MDT a full year. The cost is that a late review moves the cadence
later for good; it is still shown as ``done_late``, so the slip is visible.

Every date is computed by one call of ``add_months`` on a date a person entered (start,
done on, change recorded on), never by adding months to an already clamped result, so a
date on the 31st does not creep to the 28th over the years.
"""

from __future__ import annotations

import calendar
import datetime as dt
import enum
from collections.abc import Sequence
from dataclasses import dataclass

from desktop_app.models.review import ReviewKind, ReviewOutcome
from desktop_app.services.core.errors import ValidationError

FIRST_REVIEW_MONTHS = 3
ANNUAL_REVIEW_MONTHS = 12
DUE_SOON_DAYS = 30
# A start date further ahead than this is taken for a typing slip (2205 for 2025).
LATEST_START_MONTHS_AHEAD = 12

HOW_DATES_ARE_COUNTED = (
    "The first review is due 3 months after the delegation starts. After that, the next "
    "review is due 12 months after the day the last review was actually done, not 12 months "
    "after the day it was due. The framework asks for a review at least every 12 months, and "
    "counting from the day a review was done is the way to make sure 12 months never pass "
    "without one: a review done early brings the next one forward, and a review done late "
    "moves the next one later (the late review itself still shows as done late). When a "
    "change of need is recorded, a change-of-need review is due that same day, and once it "
    "is done the next annual review is due 12 months later. A change-of-need review in the "
    "first 3 months does not replace the 3-month review. When the month has no such day, the "
    "review is due on the last day of that month: 3 months after 30 November is 28 February "
    "(29 February in a leap year), and 12 months after 29 February is 28 February. Each date "
    "is worked out from a date you entered, never from another worked-out date, so dates do "
    "not creep earlier year after year. A review shows as due soon from 30 days before its "
    "due date, and as overdue from the day after it. A review that withdraws the task ends "
    "the reviews: the task returns to Health."
)

DoneReview = tuple[ReviewKind, dt.date, ReviewOutcome]
"""One review already done: (kind, done on, outcome)."""


class ReviewStatus(enum.StrEnum):
    """Where a review stands on a given day, for the register."""

    NOT_DUE = "not_due"
    DUE_SOON = "due_soon"
    OVERDUE = "overdue"
    DONE_ON_TIME = "done_on_time"
    DONE_LATE = "done_late"


@dataclass(frozen=True)
class ScheduledReview:
    """A review that is due: why (``kind``) and by when (``due_on``)."""

    kind: ReviewKind
    due_on: dt.date


def add_months(d: dt.date, months: int) -> dt.date:
    """``d`` plus whole calendar months, clamped to the last day of a shorter month.

    30 November + 3 = 28 February (29 in a leap year); 31 March + 12 = 31 March.
    """
    year, month_index = divmod(d.year * 12 + d.month - 1 + months, 12)
    if not dt.MINYEAR <= year <= dt.MAXYEAR:
        raise ValidationError("That date is too far away to work out a review date.", field="date")
    last_day = calendar.monthrange(year, month_index + 1)[1]
    return dt.date(year, month_index + 1, min(d.day, last_day))


def first_review(start: dt.date) -> ScheduledReview:
    """The three-month review of a delegation that starts on ``start``."""
    return ScheduledReview(ReviewKind.THREE_MONTH, add_months(start, FIRST_REVIEW_MONTHS))


def change_of_need_review(recorded_on: dt.date) -> ScheduledReview:
    """The unscheduled review a recorded change of need calls for: due the same day."""
    return ScheduledReview(ReviewKind.CHANGE_OF_NEED, recorded_on)


def next_review(
    done_on: dt.date, outcome: ReviewOutcome, kind_done: ReviewKind
) -> ScheduledReview | None:
    """The annual review due after a review done on ``done_on``; None after a withdrawal.

    Every kind of review restarts the 12-month clock, so ``kind_done`` does not change the
    date (it is taken so callers pass the whole review). A ``change_of_need`` outcome means
    the plan is re-made; the next review is still due 12 months after this one at the latest.
    A ``withdraw`` outcome ends the schedule: the task returns to Health. This looks at one
    review only; the register should use ``schedule_from_history``, which also keeps the
    three-month review due when an earlier change-of-need review was done.
    """
    if outcome is ReviewOutcome.WITHDRAW:
        return None
    return ScheduledReview(ReviewKind.ANNUAL, add_months(done_on, ANNUAL_REVIEW_MONTHS))


def review_status(
    due_on: dt.date, today: dt.date, done_on: dt.date | None = None
) -> ReviewStatus:
    """Done on time or late, or else overdue, due soon (within 30 days) or not yet due."""
    if done_on is not None:
        _refuse_future(done_on, today, field="done_on")
        return ReviewStatus.DONE_ON_TIME if done_on <= due_on else ReviewStatus.DONE_LATE
    if today > due_on:
        return ReviewStatus.OVERDUE
    if (due_on - today).days <= DUE_SOON_DAYS:
        return ReviewStatus.DUE_SOON
    return ReviewStatus.NOT_DUE


def schedule_from_history(
    start: dt.date,
    reviews_done: Sequence[DoneReview],
    changes_of_need: Sequence[dt.date],
    today: dt.date,
) -> ScheduledReview | None:
    """The review currently due, from what has been recorded; None once withdrawn.

    Candidates are the three-month review (until it is done), the annual review 12 months
    after the latest review done, and a change-of-need review for the earliest change
    recorded after the latest review (a review done the same day covers it). The earliest
    due date wins, since the most overdue review is the hazard; on a tie, change of need.
    """
    _validate_history(start, reviews_done, changes_of_need, today)
    done = sorted(reviews_done, key=lambda review: review[1])
    if _withdrawn(done):
        return None
    candidates = [
        _three_month_if_outstanding(start, done),
        _annual_after_latest(done),
        _change_of_need_outstanding(done, changes_of_need),
    ]
    due = [candidate for candidate in candidates if candidate is not None]
    return min(due, key=lambda r: (r.due_on, r.kind is not ReviewKind.CHANGE_OF_NEED))


def _validate_history(
    start: dt.date,
    reviews_done: Sequence[DoneReview],
    changes_of_need: Sequence[dt.date],
    today: dt.date,
) -> None:
    if start > add_months(today, LATEST_START_MONTHS_AHEAD):
        raise ValidationError(
            "The start date is more than 12 months from today; please check the year.",
            field="start",
        )
    for _kind, done_on, _outcome in reviews_done:
        _refuse_before_start(done_on, start, field="done_on")
        _refuse_future(done_on, today, field="done_on")
    for recorded_on in changes_of_need:
        _refuse_before_start(recorded_on, start, field="changes_of_need")
        _refuse_future(recorded_on, today, field="changes_of_need")


def _refuse_before_start(day: dt.date, start: dt.date, field: str) -> None:
    if day < start:
        raise ValidationError("That date is before the delegation started.", field=field)


def _refuse_future(day: dt.date, today: dt.date, field: str) -> None:
    if day > today:
        raise ValidationError("That date has not come yet; please check it.", field=field)


def _withdrawn(done: Sequence[DoneReview]) -> bool:
    """True if a review withdrew the task; a review recorded after that is refused."""
    withdrawals = [done_on for _k, done_on, outcome in done if outcome is ReviewOutcome.WITHDRAW]
    if not withdrawals:
        return False
    if done[-1][1] > withdrawals[0]:
        raise ValidationError(
            "A review is recorded after the task was withdrawn; start a new delegation instead.",
            field="reviews_done",
        )
    return True


def _three_month_if_outstanding(
    start: dt.date, done: Sequence[DoneReview]
) -> ScheduledReview | None:
    """The three-month review, unless it was done (recorded as such, or any review on or
    after its due date). An earlier change-of-need review does not replace it."""
    three_month = first_review(start)
    for kind, done_on, _outcome in done:
        if kind is ReviewKind.THREE_MONTH or done_on >= three_month.due_on:
            return None
    return three_month


def _annual_after_latest(done: Sequence[DoneReview]) -> ScheduledReview | None:
    if not done:
        return None
    kind, done_on, outcome = done[-1]
    return next_review(done_on, outcome, kind)


def _change_of_need_outstanding(
    done: Sequence[DoneReview], changes_of_need: Sequence[dt.date]
) -> ScheduledReview | None:
    latest_done = done[-1][1] if done else None
    waiting = [day for day in changes_of_need if latest_done is None or day > latest_done]
    return change_of_need_review(min(waiting)) if waiting else None
