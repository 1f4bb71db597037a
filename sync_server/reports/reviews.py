"""Reviews due in the period and whether they were done on time, across every team (the
laptop's report 3, ``services/reports/reviews.py``).

For every review due in the period: done on time (on or before its due date), done late,
overdue (not done and due before today) or not yet due. The percentage on time is of the
reviews whose outcome is known: on time ÷ (on time + late + overdue). Reviews of removed
delegations or people are not counted. One statement groups by team, month due, kind and
state.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Sequence

from sqlalchemy.orm import Session

from sync_server.reports import sql
from sync_server.reports.base import build_report, by_team
from sync_server.reports.labels import REVIEW_KINDS
from sync_server.reports.model import (
    Row,
    Section,
    StoreReport,
    StoreReportQuery,
    count,
    day_words,
    label,
    month_label,
    months_in,
    percent,
)

NAME = "reviews"
TITLE = "Reviews due and done on time"
STATES = ("Done on time", "Done late", "Overdue", "Not yet due")
COLUMNS = ("Due", *STATES, "% on time")


def statement(query: StoreReportQuery) -> str:
    """Reviews due in the period by team, month due, kind and state (0 to 3: ``STATES``)."""
    due, done = sql.field("v", "due_on"), sql.field("v", "done_on")
    state = (f"CASE WHEN {done} IS NOT NULL AND {done} <= {due} THEN 0 "
             f"WHEN {done} IS NOT NULL THEN 1 WHEN {due} < :today THEN 2 ELSE 3 END")
    return f"""
{sql.ctes(query, p=sql.PERSON, c=sql.Kind("delegation_case"),
          v=sql.Kind("review", text=("kind", "delegation_case_id", "person_id"),
                     days=("due_on", "done_on")))}
SELECT v.team_id, to_char({due}, 'YYYY-MM') AS month, {sql.field('v', 'kind')} AS kind,
       {state} AS state, count(*) AS n
FROM v
JOIN c ON c.id = {sql.field('v', 'delegation_case_id')}
JOIN p ON p.id = {sql.field('v', 'person_id')}
WHERE {sql.same_team('v', 'c', 'p')} AND {due} BETWEEN :start AND :end
GROUP BY 1, 2, 3, 4"""


def reviews_report(db: Session, query: StoreReportQuery, *, author: str,
                   today: dt.date | None = None,
                   produced_at: dt.datetime | None = None) -> StoreReport:
    """Reviews due in the period by month due, by kind and by team: on time, late, overdue."""
    sql.require_postgres(db)
    today = today or dt.date.today()
    teams = sql.team_names(db, query)
    by_month: Counter[tuple[str, int]] = Counter()
    by_kind: Counter[tuple[str, int]] = Counter()
    per_team: dict[str, list[int]] = {}
    for team_id, month, kind, state, number in sql.run(db, statement(query),
                                                       sql.params(query, today=today)):
        by_month[(month, state)] += number
        by_kind[(str(kind), state)] += number
        per_team.setdefault(team_id, [0] * len(STATES))[state] += number
    months = months_in(query.period_start, query.period_end)
    kinds = [*REVIEW_KINDS, *sorted({k for k, _ in by_kind} - set(REVIEW_KINDS))]
    sections = [
        _section("By month due", "Month due", [(m, month_label(m)) for m in months], by_month),
        _section("By kind of review", "Review", [(k, REVIEW_KINDS.get(k, k)) for k in kinds],
                 by_kind),
        by_team(teams, ("Team", *COLUMNS), len(STATES), per_team, row=_row),
    ]
    notes = ["Counted: every review whose due date is in the period.",
             f"Overdue: not done and due before {day_words(today)} (the day the report was "
             "made); on time: done on or before the due date. % on time = on time ÷ "
             "(on time + late + overdue)."]
    return build_report(NAME, TITLE, query, query.as_at(today), produced_at, author,
                        sections, notes, teams)


def _row(name: str, numbers: Sequence[int]) -> Row:
    on_time, late, overdue, _ = numbers
    return (label(name), count(sum(numbers)), *(count(n) for n in numbers),
            percent(on_time, on_time + late + overdue))


def _section(title: str, heading: str, keys: Sequence[tuple[str, str]],
             counts: Counter[tuple[str, int]]) -> Section:
    table = [[counts.get((key, s), 0) for s in range(len(STATES))] for key, _ in keys]
    totals = [sum(numbers[s] for numbers in table) for s in range(len(STATES))]
    rows = [_row(name, numbers) for (_, name), numbers in zip(keys, table, strict=True)]
    rows.append(_row("Total", totals))
    return Section(title, (heading, *COLUMNS), tuple(rows), total_rows=1)
