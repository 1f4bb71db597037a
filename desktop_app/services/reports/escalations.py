"""Report 5: shared care discussions opened and closed, time to decision, and their themes.

When the MDT cannot agree, a shared care discussion takes the case; its documented decision
and themes go to the IPCB, which "receives themes from the Shared Care Panel for shared
learning" (framework §1, §7). Time to decision is whole days from opening to closing, for
the discussions closed in the period; the median and mean come from SQL's count of
discussions per number of days (no row-by-row loop). Themes are counted over every
discussion opened or closed in the period, once per discussion per theme (one discussion
can have several themes, so the counts may add up to more than the discussions).
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy import Integer, and_, case, cast, func, literal, or_, select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.person import Person
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.reports.base import (
    build_report,
    check_allowed,
    day,
    in_scope,
    julian,
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
    days,
    label,
    month_axis,
    month_label,
    months_in,
)

TITLE = "Shared care discussions"
D = SharedCareDiscussion


def median(histogram: Mapping[int, int]) -> Fraction | None:
    """The median of values given as value → how many (the mean of the middle two)."""
    total = sum(histogram.values())
    if total == 0:
        return None
    wanted = [(total - 1) // 2, total // 2]  # 0-based ranks of the middle one or two
    found: list[int] = []
    seen = 0
    for value in sorted(histogram):
        seen += histogram[value]
        while wanted and wanted[0] < seen:
            found.append(value)
            wanted.pop(0)
    return Fraction(sum(found), 2)


def mean(histogram: Mapping[int, int]) -> Fraction | None:
    """The mean of values given as value → how many."""
    total = sum(histogram.values())
    return Fraction(sum(v * n for v, n in histogram.items()), total) if total else None


def _scoped(stmt: Any, query: ReportQuery) -> Any:
    return (stmt.join(DelegationCase, DelegationCase.id == D.delegation_case_id)
            .join(Person, Person.id == DelegationCase.person_id)
            .where(~D.deleted, ~DelegationCase.deleted, *in_scope(query)))


def escalations_report(uow: UnitOfWork, query: ReportQuery, *, today: dt.date | None = None,
                       produced_at: dt.datetime | None = None) -> Report:
    """Discussions opened and closed per month, time to decision, themes, and those open."""
    check_allowed(uow)
    as_at = query.as_at(today or dt.date.today())
    start, end = query.period_start, query.period_end
    opened_month = month_key(D.opened_on).label("month")
    opened = _scoped(select(opened_month, func.count()).select_from(D), query).where(
        D.opened_on.between(start, end)).group_by(opened_month)
    closed_month = month_key(D.closed_on).label("month")
    waited = cast(julian(D.closed_on) - julian(D.opened_on), Integer).label("waited")
    closed = _scoped(select(closed_month, waited, func.count()).select_from(D), query).where(
        D.closed_on.between(start, end)).group_by(closed_month, waited)
    tags = func.json_each(D.themes).table_valued("value").alias("tag")
    themes = _scoped(select(tags.c.value, func.count(D.id.distinct())).select_from(D)
                     .join(tags, literal(True)), query).where(
        or_(D.opened_on.between(start, end), D.closed_on.between(start, end))
    ).group_by(tags.c.value)
    open_then = and_(D.opened_on <= day(as_at), or_(D.closed_on.is_(None),
                                                     D.closed_on > day(as_at)))
    still_open = _scoped(select(
        func.count(), func.sum(case((D.escalated_to_mlcsu, 1), else_=0)),
        func.min(D.opened_on)).select_from(D), query).where(open_then)
    with uow.read() as session:
        author = produced_by(session, uow)
        opened_rows = {month_text: n for month_text, n in session.execute(opened)}
        closed_rows = session.execute(closed).all()
        theme_rows = session.execute(themes).all()
        open_count, mlcsu, oldest = session.execute(still_open).one()
    months = months_in(start, end)
    sections = [_by_month(months, opened_rows, closed_rows), _themes(theme_rows),
                _open_on(as_at, int(open_count or 0), int(mlcsu or 0), oldest)]
    notes = ["Time to decision: days from the day the discussion opened to the day it "
             "closed, for discussions closed in the period.",
             "Themes: tags given when a discussion is opened or closed, counted once per "
             "discussion opened or closed in the period."]
    return build_report(ReportKind.ESCALATIONS, TITLE, query, as_at, produced_at, author,
                        sections, notes)


def _by_month(months: Sequence[str], opened: Mapping[str, int],
              closed: Sequence[Any]) -> ReportSection:
    waits: dict[str, Counter[int]] = {m: Counter() for m in months}
    for month_text, waited, number in closed:
        waits.setdefault(month_text, Counter())[int(waited)] += number
    every: Counter[int] = Counter()
    rows: list[Row] = []
    for m in months:
        every.update(waits[m])
        rows.append(_month_row(month_label(m), opened.get(m, 0), waits[m]))
    rows.append(_month_row("Total", sum(opened.get(m, 0) for m in months), every))
    names = tuple(month_label(m) for m in months)
    chart = Chart(ChartKind.BAR, "Discussions opened and closed", names, (
        Series("Opened", tuple(float(opened.get(m, 0)) for m in months)),
        Series("Closed", tuple(float(sum(waits[m].values())) for m in months))), "Discussions",
        **month_axis(months))
    return ReportSection("Opened and closed", ("Month", "Opened", "Closed",
                                               "Median days to decision",
                                               "Mean days to decision"),
                         tuple(rows), chart, total_rows=1)


def _month_row(name: str, opened: int, waits: Mapping[int, int]) -> Row:
    return (label(name), count(opened), count(sum(waits.values())), days(median(waits)),
            days(mean(waits)))


def _themes(theme_rows: Sequence[Any]) -> ReportSection:
    ordered = sorted(((str(theme), int(n)) for theme, n in theme_rows),
                     key=lambda pair: (-pair[1], pair[0]))
    rows = tuple((label(theme), count(n)) for theme, n in ordered)
    chart = Chart(ChartKind.BAR, "Themes", tuple(theme for theme, _ in ordered),
                  (Series("Discussions", tuple(float(n) for _, n in ordered)),), "Discussions",
                  horizontal=True)
    return ReportSection("Themes", ("Theme", "Discussions"), rows, chart)


def _open_on(as_at: dt.date, open_count: int, mlcsu: int,
             oldest: dt.date | None) -> ReportSection:
    rows = ((label("Open discussions"), count(open_count)),
            (label("Of which escalated to the Midlands & Lancashire CSU"), count(mlcsu)),
            (label("Longest open (days)"),
             count((as_at - oldest).days) if oldest else label("–")))
    return ReportSection(f"Open on {day_words(as_at)}", ("Measure", "Value"), rows)
