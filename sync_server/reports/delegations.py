"""Delegation decisions by outcome and task category, and withdrawals, month by month, over
every team's synced records (the laptop's report 1, ``services/reports/delegations.py``).

Counted from the delegations' history (``case_event`` records) by the date of each event:
a decision in its month under the outcome decided then, a withdrawal (at a review, consent
withdrawn, a change of need) in its month as a figure of its own; a delegation ended
because the same task was delegated again is not a withdrawal. One statement groups the
events by (team, month, kind, outcome, task, catalogue version); the task's category
comes from the catalogue the decision was made under. The "By team" table puts the teams
side by side.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy.orm import Session

from sync_server.reports import sql
from sync_server.reports.base import build_report, by_team, over_time
from sync_server.reports.catalogue import NO_TASK_CODE, categories
from sync_server.reports.labels import (
    DECIDED,
    DELEGATED,
    ESCALATED,
    NO_TASK,
    OUTCOME_TITLES,
    WITHDRAWAL_KINDS,
    WITHDRAWALS,
    WITHDRAWN,
)
from sync_server.reports.model import StoreReport, StoreReportQuery, months_in

NAME = "delegations"
TITLE = "Delegations by outcome and task category"
NOTES = (
    "Counted by the date of each event in the delegation's history. Decisions: each "
    "decision made in the period, in its month, under the outcome decided then (a later "
    "withdrawal does not change it). Withdrawals: each delegation withdrawn in the period "
    "(at a review, consent withdrawn, or a change of need), in the month it was withdrawn, "
    "as a figure of its own. So a case delegated in March and withdrawn in June counts as "
    "delegated in March and withdrawn in June. A delegation ended because the same task was "
    "delegated again is not counted as withdrawn (its new decision is counted). Drafts "
    "without a decision are not counted.",
    "Task category: Skills for Care's activity group of the task in the catalogue version "
    "the decision was made under.",
)
CASE = sql.Kind("delegation_case", text=("task_code", "task_catalogue_version"))
BY_TEAM = ("Team", "Decisions", "Delegated", "Escalated to shared care", "Not delegated",
           "Withdrawals")


def events_sql(query: StoreReportQuery) -> str:
    """Decisions and withdrawals dated in the period, of live cases and people, by team,
    month, kind, outcome and (for a decision) task and catalogue version."""
    withdrawals = ", ".join(f"'{kind}'" for kind in WITHDRAWAL_KINDS)
    occurred = sql.field("e", "occurred_on")
    decided = f"{sql.field('e', 'kind')} = '{DECIDED}'"
    return f"""
{sql.ctes(query, p=sql.PERSON, c=CASE, e=sql.EVENT)}
SELECT e.team_id, to_char({occurred}, 'YYYY-MM') AS month, {sql.field('e', 'kind')} AS kind,
       {sql.field('e', 'outcome_code')} AS outcome,
       CASE WHEN {decided} THEN {sql.field('c', 'task_code')} END AS task,
       CASE WHEN {decided} THEN {sql.field('c', 'task_catalogue_version')} END AS version,
       count(*) AS n
FROM e
JOIN c ON c.id = {sql.field('e', 'delegation_case_id')}
JOIN p ON p.id = {sql.field('e', 'person_id')}
WHERE {sql.same_team('e', 'c', 'p')}
  AND (({decided} AND {sql.field('e', 'outcome_code')} IS NOT NULL)
       OR {sql.field('e', 'kind')} IN ({withdrawals}))
  AND {occurred} BETWEEN :start AND :end
GROUP BY 1, 2, 3, 4, 5, 6"""


def delegations_report(db: Session, query: StoreReportQuery, *, author: str,
                       today: dt.date | None = None,
                       produced_at: dt.datetime | None = None) -> StoreReport:
    """Decisions per month by outcome and by task category; withdrawals per month; teams."""
    sql.require_postgres(db)
    teams = sql.team_names(db, query)
    found = categories(db)
    by_outcome: Counter[tuple[str, str]] = Counter()
    by_category: Counter[tuple[str, str]] = Counter()
    by_kind: Counter[tuple[str, str]] = Counter()
    per_team: dict[str, list[int]] = {}
    for team_id, month, kind, outcome, task, version, number in sql.run(
            db, events_sql(query), sql.params(query)):
        figures = per_team.setdefault(team_id, [0] * (len(BY_TEAM) - 1))
        if kind != DECIDED:
            by_kind[(str(kind), month)] += number
            figures[4] += number
            continue
        by_outcome[(str(outcome), month)] += number
        category = (NO_TASK[0] if task == NO_TASK_CODE
                    else found.of(str(task or ""), str(version or "")))
        by_category[(category, month)] += number
        figures[0] += number
        group = 1 if outcome in DELEGATED else 2 if outcome == ESCALATED else 3
        figures[group] += number
    months = months_in(query.period_start, query.period_end)
    known = [code for code in OUTCOME_TITLES if code != WITHDRAWN]
    unknown = sorted({key for key, _ in by_outcome} - set(known))
    outcomes = [(code, OUTCOME_TITLES.get(code, code)) for code in (*known, *unknown)]
    groups = list(found.labels)
    if any(key == NO_TASK[0] for key, _ in by_category):
        groups.append(NO_TASK)
    sections = [
        over_time("By outcome", "Outcome", outcomes, months, by_outcome),
        over_time("By task category", "Task category", groups, months, by_category),
        over_time("Withdrawals", "Why it was withdrawn", WITHDRAWALS, months, by_kind),
        by_team(teams, BY_TEAM, len(BY_TEAM) - 1, per_team,
                notes=("Delegated: within the existing package, NHS-funded, jointly funded "
                       "or funded without prejudice; not delegated: every other decision "
                       "but an escalation.",)),
    ]
    as_at = query.as_at(today or dt.date.today())
    return build_report(NAME, TITLE, query, as_at, produced_at, author, sections, NOTES, teams)
