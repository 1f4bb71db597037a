"""Shared care discussions opened and closed, time to decision, themes, and those open,
across every team (the laptop's report 5, ``services/reports/escalations.py``).

Time to decision is whole days from opening to closing, for the discussions closed in the
period; the median and mean come from PostgreSQL's count of discussions per number of days.
Themes are counted over every discussion opened or closed in the period, once per
discussion per theme.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from sync_server.reports import sql
from sync_server.reports.base import build_report, by_team
from sync_server.reports.model import (
    Row,
    Section,
    StoreReport,
    StoreReportQuery,
    count,
    day_words,
    days,
    label,
    month_label,
    months_in,
)

NAME = "escalations"
TITLE = "Shared care discussions"
BY_TEAM = ("Team", "Opened", "Closed", "Open on the as-at day")
DISCUSSIONS = sql.Kind("shared_care_discussion", text=("delegation_case_id",),
                       days=("opened_on", "closed_on"), flags=("escalated_to_mlcsu",),
                       json=("themes",))


def _scoped() -> str:
    """Discussions of live delegations of live people (the FROM clause)."""
    return (f"FROM d JOIN c ON c.id = {sql.field('d', 'delegation_case_id')} "
            f"JOIN p ON p.id = {sql.field('c', 'person_id')} "
            f"WHERE {sql.same_team('d', 'c', 'p')}")


def statement(query: StoreReportQuery) -> str:
    """Per team: (kind, month, days or theme, count) rows of four kinds in one statement:
    'opened' by month; 'closed' by month and days waited; 'theme' by theme; 'open' on the
    as-at day (the count, with those escalated to the CSU and the oldest opening day)."""
    opened, closed = sql.field("d", "opened_on"), sql.field("d", "closed_on")
    themes = (f"json_array_elements_text(CASE WHEN json_typeof({sql.field('d', 'themes')}) = "
              f"'array' THEN {sql.field('d', 'themes')} ELSE '[]'::json END)")
    in_period = (f"({opened} BETWEEN :start AND :end OR {closed} BETWEEN :start AND :end)")
    open_then = f"{opened} <= :as_at AND ({closed} IS NULL OR {closed} > :as_at)"
    return f"""
{sql.ctes(query, p=sql.PERSON, c=sql.Kind("delegation_case", text=("person_id",)), d=DISCUSSIONS)}
SELECT d.team_id, 'opened' AS what, to_char({opened}, 'YYYY-MM') AS month, NULL AS waited,
       NULL AS theme, count(*) AS n, NULL::bigint AS mlcsu, NULL::date AS oldest
{_scoped()} AND {opened} BETWEEN :start AND :end GROUP BY 1, 3
UNION ALL
SELECT d.team_id, 'closed', to_char({closed}, 'YYYY-MM'), {closed} - {opened}, NULL, count(*),
       NULL, NULL
{_scoped()} AND {closed} BETWEEN :start AND :end GROUP BY 1, 3, 4
UNION ALL
SELECT d.team_id, 'theme', NULL, NULL, tag, count(DISTINCT d.id), NULL, NULL
FROM d JOIN c ON c.id = {sql.field('d', 'delegation_case_id')}
JOIN p ON p.id = {sql.field('c', 'person_id')}
CROSS JOIN LATERAL {themes} AS tag
WHERE {sql.same_team('d', 'c', 'p')} AND {in_period} GROUP BY 1, 5
UNION ALL
SELECT d.team_id, 'open', NULL, NULL, NULL, count(*),
       sum(CASE WHEN {sql.field('d', 'escalated_to_mlcsu')} THEN 1 ELSE 0 END), min({opened})
{_scoped()} AND {open_then} GROUP BY 1"""


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


def escalations_report(db: Session, query: StoreReportQuery, *, author: str,
                       today: dt.date | None = None,
                       produced_at: dt.datetime | None = None) -> StoreReport:
    """Discussions opened and closed per month, time to decision, themes, those open, and
    the teams side by side."""
    sql.require_postgres(db)
    as_at = query.as_at(today or dt.date.today())
    teams = sql.team_names(db, query)
    opened: Counter[str] = Counter()
    closed: list[tuple[str, int, int]] = []
    themes: Counter[str] = Counter()
    open_count = mlcsu = 0
    oldest: dt.date | None = None
    per_team: dict[str, list[int]] = {}
    for team_id, what, month, waited, theme, number, escalated, first in sql.run(
            db, statement(query), sql.params(query, as_at=as_at)):
        figures = per_team.setdefault(team_id, [0, 0, 0])
        if what == "opened":
            opened[month] += number
            figures[0] += number
        elif what == "closed":
            closed.append((month, int(waited), number))
            figures[1] += number
        elif what == "theme":
            themes[str(theme)] += number
        else:
            open_count, mlcsu = open_count + number, mlcsu + int(escalated or 0)
            oldest = first if oldest is None or (first and first < oldest) else oldest
            figures[2] += number
    months = months_in(query.period_start, query.period_end)
    sections = [_by_month(months, opened, closed), _themes(themes),
                _open_on(as_at, open_count, mlcsu, oldest),
                by_team(teams, BY_TEAM, 3, per_team)]
    notes = ["Time to decision: days from the day the discussion opened to the day it "
             "closed, for discussions closed in the period.",
             "Themes: tags given when a discussion is opened or closed, counted once per "
             "discussion opened or closed in the period."]
    return build_report(NAME, TITLE, query, as_at, produced_at, author, sections, notes,
                        teams)


def _by_month(months: Sequence[str], opened: Mapping[str, int],
              closed: Sequence[tuple[str, int, int]]) -> Section:
    waits: dict[str, Counter[int]] = {m: Counter() for m in months}
    for month, waited, number in closed:
        waits.setdefault(month, Counter())[waited] += number
    every: Counter[int] = Counter()
    rows: list[Row] = []
    for m in months:
        every.update(waits[m])
        rows.append(_month_row(month_label(m), opened.get(m, 0), waits[m]))
    rows.append(_month_row("Total", sum(opened.get(m, 0) for m in months), every))
    return Section("Opened and closed", ("Month", "Opened", "Closed",
                                         "Median days to decision", "Mean days to decision"),
                   tuple(rows), total_rows=1)


def _month_row(name: str, opened: int, waits: Mapping[int, int]) -> Row:
    return (label(name), count(opened), count(sum(waits.values())), days(median(waits)),
            days(mean(waits)))


def _themes(themes: Mapping[str, int]) -> Section:
    ordered = sorted(themes.items(), key=lambda pair: (-pair[1], pair[0]))
    return Section("Themes", ("Theme", "Discussions"),
                   tuple((label(theme), count(n)) for theme, n in ordered))


def _open_on(as_at: dt.date, open_count: int, mlcsu: int, oldest: Any) -> Section:
    longest = count((as_at - oldest).days) if oldest else label("–")
    rows = ((label("Open discussions"), count(open_count)),
            (label("Of which escalated to the Midlands & Lancashire CSU"), count(mlcsu)),
            (label("Longest open (days)"), longest))
    return Section(f"Open on {day_words(as_at)}", ("Measure", "Value"), rows)
