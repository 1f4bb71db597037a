"""Report 3: reviews due in the period and whether they were done on time (framework §2 S11).

A delegation is reviewed 3 months after it starts, then at least every 12 months, and on
a change of need; a missed review is a clinical hazard (framework §8). For every review due
in the period: done on time (on or before its due date), done late (after it, whenever),
overdue (not done and its due date has passed today) or not yet due (not done, due today
or later: only when the period runs on past today). The percentage on time is of the
reviews whose outcome is known: on time ÷ (on time + late + overdue).

Reviews replaced by another (a review done early covers the ones it replaces, which are
removed) are not counted, nor are reviews of removed delegations or people.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from sqlalchemy import and_, case, func, select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person import Person
from desktop_app.models.review import Review, ReviewKind
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.labels import REVIEW_KINDS
from desktop_app.services.reports.base import (
    build_report,
    check_allowed,
    day,
    in_scope,
    month_key,
    produced_by,
)
from desktop_app.services.reports.chart import Chart, ChartKind, Series
from desktop_app.services.reports.model import (
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    Row,
    count,
    day_words,
    label,
    month_axis,
    month_label,
    months_in,
    percent,
)

TITLE = "Reviews due and done on time"
STATES = ("Done on time", "Done late", "Overdue", "Not yet due")
COLUMNS = ("Due", *STATES, "% on time")


def reviews_report(uow: UnitOfWork, query: ReportQuery, *, today: dt.date | None = None,
                   produced_at: dt.datetime | None = None) -> Report:
    """Reviews due in the period by month due and by kind: on time, late, overdue."""
    check_allowed(uow)
    today = today or dt.date.today()
    done = Review.done_on.is_not(None)
    state = case((and_(done, Review.done_on <= Review.due_on), 0), (done, 1),
                 (Review.due_on < day(today), 2), else_=3)
    month = month_key(Review.due_on).label("month")
    stmt = (select(month, Review.kind, state.label("state"), func.count())
            .select_from(Review)
            .join(DelegationCase, DelegationCase.id == Review.delegation_case_id)
            .join(Person, Person.id == Review.person_id)
            .where(~Review.deleted, ~DelegationCase.deleted,
                   Review.due_on.between(query.period_start, query.period_end),
                   *in_scope(query))
            .group_by(month, Review.kind, state))
    by_month: Counter[tuple[str, int]] = Counter()
    by_kind: Counter[tuple[str, int]] = Counter()
    with uow.read() as session:
        author = produced_by(session, uow)
        for month_text, kind, state_index, number in session.execute(stmt):
            by_month[(month_text, state_index)] += number
            by_kind[(kind, state_index)] += number
    months = months_in(query.period_start, query.period_end)
    kinds = [k.value for k in ReviewKind] + sorted({k for k, _ in by_kind} - set(ReviewKind))
    sections = [
        _section("By month due", "Month due", [(m, month_label(m)) for m in months], by_month,
                 months),
        _section("By kind of review", "Review",
                 [(k, REVIEW_KINDS.get(k, k)) for k in kinds], by_kind),
    ]
    notes = ["Counted: every review whose due date is in the period.",
             f"Overdue: not done and due before {day_words(today)} (the day the report was "
             "made); on time: done on or before the due date. % on time = on time ÷ "
             "(on time + late + overdue)."]
    return build_report(ReportKind.REVIEWS, TITLE, query, query.as_at(today), produced_at,
                        author, sections, notes)


def _row(name: str, numbers: Sequence[int]) -> Row:
    on_time, late, overdue, _ = numbers
    return (label(name), count(sum(numbers)), *(count(n) for n in numbers),
            percent(on_time, on_time + late + overdue))


def _section(title: str, heading: str, keys: Sequence[tuple[str, str]],
             counts: Counter[tuple[str, int]],
             months: Sequence[str] = ()) -> ReportSection:
    """A table and chart by month due (``months``: their ``YYYY-MM`` keys) or by kind of
    review (its names listed down the side of the chart)."""
    table = [[counts.get((key, s), 0) for s in range(len(STATES))] for key, _ in keys]
    totals = [sum(numbers[s] for numbers in table) for s in range(len(STATES))]
    rows = [_row(name, numbers) for (_, name), numbers in zip(keys, table, strict=True)]
    rows.append(_row("Total", totals))
    series = tuple(Series(state, tuple(float(numbers[s]) for numbers in table))
                   for s, state in enumerate(STATES))
    chart = Chart(ChartKind.STACKED_BAR, f"Reviews due: {title.lower()}",
                  tuple(name for _, name in keys), series, "Reviews",
                  horizontal=not months, **month_axis(months))
    return ReportSection(title, (heading, *COLUMNS), tuple(rows), chart, total_rows=1)
