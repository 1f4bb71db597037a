"""Equality monitoring across every team: outcomes by each protected characteristic, with
the laptop's small-number suppression (``scp_common.suppression``) applied to the combined
figures (the laptop's report 6, ``services/reports/equality.py``).

The decisions and withdrawals of the period (by the date of each event in the delegation's
history) are read once, each with the column it counts in (delegated, escalated to a
shared care discussion, not delegated, withdrawn) and the person's answers; then one GROUP
BY per characteristic, joined by UNION ALL, in the same statement. Python folds recorded
categories with fewer than 5 into "Other" and suppresses, exactly as the laptop does, so
the same records give the same tables. Across teams, the rule is applied to the teams'
counts added together (never team by team and then added: a sum of "<5"s would say
nothing, and hiding per team would hide too much or too little).

Two rules stop a hidden count being worked out by comparing reports (on a laptop a team
lead sees only their own team, for any period; on the store the IPCB can ask for many):

- All teams only, never one team and never a table by team: the all-teams figures are the
  sum of the teams' figures, so one team's "<5" beside the other teams' counts and the
  total would give it away (all 13, team B 10: team A 3). ``check`` refuses a team.
- Whole financial quarters that have ended, nothing else (``periods``): two overlapping
  periods would give away the hidden counts of the days in one but not the other.
  ``check`` refuses any other period.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy.orm import Session

from scp_common.suppression import (
    SMALLEST_SHOWN,
    SUPPRESSION_RULE,
    SuppressedTable,
    suppress_linked,
)
from sync_server.reports import sql
from sync_server.reports.base import build_report
from sync_server.reports.labels import (
    AGE_BANDS,
    CHARACTERISTICS,
    DECIDED,
    DELEGATED,
    ESCALATED,
    GROUPS,
    PREFER_NOT_TO_SAY,
    WITHDRAWAL_KINDS,
    WITHDRAWN,
)
from sync_server.reports.model import (
    ReportError,
    Section,
    StoreReport,
    StoreReportQuery,
    label,
    marked,
)
from sync_server.reports.periods import offered_quarter

NAME = "equality"
TITLE = "Equality monitoring: outcomes by protected characteristic"
PREFER_NOT = "Prefer not to say"
NOT_RECORDED = "Not recorded"
OTHER = "Other"
ALL_COUNTED = "All decisions and withdrawals"
RECORDED, PREFERRED_NOT, UNRECORDED = 0, 1, 2
PEOPLE = sql.Kind("person", text=tuple(name for name, _ in CHARACTERISTICS if name != "age"),
                  days=("date_of_birth",))
RULE = (SUPPRESSION_RULE + f" Before that, each recorded category with fewer than "
        f"{SMALLEST_SHOWN} decisions and withdrawals is folded into \"{OTHER}\", so no "
        "category's name singles anyone out.")
NOTES = (
    "Counted by the date of each event in the delegation's history: the decisions made in "
    "the period, under the outcome decided then (a later withdrawal does not change it), "
    "and, in the Withdrawn column, the delegations withdrawn in the period (at a review, "
    "consent withdrawn, or a change of need), whenever they were decided. A delegation "
    "decided and withdrawn in the period counts in both; one decided earlier and withdrawn "
    "in the period counts only as withdrawn; one ended because the same task was delegated "
    "again is not a withdrawal. A person with two decisions counts twice. Age is the "
    "person's age on the day of the decision or the withdrawal.",
    "Outcomes: Delegated = delegated within the existing package, with extra time funded "
    "by the NHS or jointly, or going ahead without prejudice; Not delegated = refer for CHC, "
    "a social care need, Health keeps the task, the person declined, no provider.",
    "Across teams the small-number rule is applied to the teams' counts added together, "
    "not team by team.",
)
ALL_TEAMS_ONLY = (
    "The store makes the equality report for all teams together only, never for one team: "
    "beside the all-teams figures, one team's figures would let a hidden small number be "
    "worked out by subtraction (all teams minus the other teams). Each team lead sees their "
    "own team's equality report on the team's laptops.")
QUARTERS_ONLY = (
    "The store makes the equality report for one whole financial quarter at a time (April "
    "to June, July to September, October to December or January to March), once it has "
    "ended: comparing two overlapping periods, such as January to March with January to "
    "February, would give away the small numbers hidden in the days between. Choose a "
    "quarter from the list.")
STORE_NOTES = (
    "All teams only: the store never makes this report for one team, and it has no table by "
    "team, because beside the all-teams figures one team's figures would let a hidden small "
    "number be worked out by subtraction. Each team lead sees their own team's equality "
    "report on the team's laptops.",
    "One whole financial quarter at a time, once it has ended: two overlapping periods "
    "compared would give away the small numbers hidden in the days between.",
    "Every view and download of this report is recorded in the store's audit trail (who, "
    "when, which quarter; no figures).",
)


def check(query: StoreReportQuery, today: dt.date) -> None:
    """ReportError unless the report is asked for all teams and one whole financial quarter
    that ended before ``today`` (see the module docstring)."""
    if query.team_id is not None:
        raise ReportError(ALL_TEAMS_ONLY, "team")
    if offered_quarter(query.period_start, query.period_end, today) is None:
        raise ReportError(QUARTERS_ONLY, "quarter")


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _events(query: StoreReportQuery) -> str:
    """The events CTE: the column each counts in, its day, the birth date, the answers."""
    kind, outcome = sql.field("e", "kind"), sql.field("e", "outcome_code")
    group = (f"CASE WHEN {kind} IN ({_quoted(WITHDRAWAL_KINDS)}) THEN 3 "
             f"WHEN {outcome} IN ({_quoted(DELEGATED)}) THEN 0 "
             f"WHEN {outcome} = '{ESCALATED}' THEN 1 WHEN {outcome} = '{WITHDRAWN}' THEN 3 "
             "ELSE 2 END")
    answers = ",\n       ".join(f"{sql.field('p', name)} AS {name}"
                                for name, _ in CHARACTERISTICS if name != "age")
    occurred = sql.field("e", "occurred_on")
    return f"""
{sql.ctes(query, p=PEOPLE, c=sql.Kind("delegation_case"), e=sql.EVENT)},
events AS MATERIALIZED (
SELECT {group} AS outcome, {occurred} AS occurred_on,
       {sql.field('p', 'date_of_birth')} AS date_of_birth,
       {answers}
FROM e
JOIN c ON c.id = {sql.field('e', 'delegation_case_id')}
JOIN p ON p.id = {sql.field('e', 'person_id')}
WHERE {sql.same_team('e', 'c', 'p')}
  AND (({kind} = '{DECIDED}' AND {outcome} IS NOT NULL) OR {kind} IN ({_quoted(WITHDRAWAL_KINDS)}))
  AND {occurred} BETWEEN :start AND :end)"""


def _age_select() -> str:
    age = ("(extract(year from occurred_on)::int - extract(year from date_of_birth)::int - "
           "CASE WHEN to_char(occurred_on, 'MM-DD') < to_char(date_of_birth, 'MM-DD') "
           "THEN 1 ELSE 0 END)")
    bands = " ".join(f"WHEN {age} < {upper} THEN '{i}'"
                     for i, (upper, _) in enumerate(AGE_BANDS[:-1]))
    band = f"CASE {bands} ELSE '{len(AGE_BANDS) - 1}' END"
    return (f"SELECT 'age' AS characteristic, {RECORDED} AS kind, {band} AS key, '' AS shown, "
            "outcome, count(*) AS n FROM events GROUP BY 3, 5")


def _answer_select(name: str) -> str:
    """Counts for one characteristic by (kind of answer, category, outcome group). Typed
    answers are matched ignoring case and spaces at the ends; the name shown is the least
    of the spellings in code-point order (COLLATE "C", as the laptop's SQLite compares)."""
    kind = (f"CASE WHEN {name} IS NULL OR btrim({name}) = '' THEN {UNRECORDED} "
            f"WHEN {name} = '{PREFER_NOT_TO_SAY}' THEN {PREFERRED_NOT} ELSE {RECORDED} END")
    return (f"SELECT '{name}', {kind}, lower(coalesce(btrim({name}), '')), "
            f"min(btrim({name}) COLLATE \"C\"), outcome, count(*) FROM events "
            "GROUP BY 2, 3, 5")


def statement(query: StoreReportQuery) -> str:
    """All nine characteristics' counts in one statement."""
    selects = [_age_select(), *(_answer_select(name) for name, _ in CHARACTERISTICS
                                if name != "age")]
    return _events(query) + "\n" + "\nUNION ALL\n".join(selects)


def equality_report(db: Session, query: StoreReportQuery, *, author: str,
                    today: dt.date | None = None,
                    produced_at: dt.datetime | None = None) -> StoreReport:
    """Outcome groups by each protected characteristic, small numbers suppressed: for all
    teams and one ended financial quarter only (``check``)."""
    check(query, today or dt.date.today())
    sql.require_postgres(db)
    teams = sql.team_names(db, query)
    grouped: dict[str, list[Any]] = defaultdict(list)
    for row in sql.run(db, statement(query), sql.params(query)):
        grouped[row.characteristic].append(row)
    tables = [_table(name, grouped[name]) for name, _ in CHARACTERISTICS]
    suppressed = suppress_linked([counts for _, counts in tables])
    sections = [_section(title, names, table)
                for (_, title), (names, _), table in zip(CHARACTERISTICS, tables, suppressed,
                                                         strict=True)]
    as_at = query.as_at(today or dt.date.today())
    return build_report(NAME, TITLE, query, as_at, produced_at, author, sections,
                        (*NOTES, *STORE_NOTES), teams, suppression_rule=RULE)


def _table(name: str, rows: Sequence[Any]) -> tuple[list[str], list[list[int]]]:
    """(category names, counts by outcome group), small recorded categories folded: the
    laptop's ``equality._table``, line for line."""
    recorded: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    fixed = {PREFERRED_NOT: [0] * len(GROUPS), UNRECORDED: [0] * len(GROUPS)}
    for row in rows:
        if row.kind == RECORDED:
            recorded.setdefault(row.key, [0] * len(GROUPS))[row.outcome] += row.n
            shown[row.key] = min(shown.get(row.key, row.shown), row.shown)
        else:
            fixed[row.kind][row.outcome] += row.n
    if name == "age":
        bands = [recorded.get(str(i), [0] * len(GROUPS)) for i in range(len(AGE_BANDS))]
        return [band for _, band in AGE_BANDS], bands
    names: list[str] = []
    counts: list[list[int]] = []
    other = [0] * len(GROUPS)
    for key in sorted(recorded, key=lambda k: (shown[k].casefold(), k)):
        if sum(recorded[key]) < SMALLEST_SHOWN or key == OTHER.casefold():
            other = [a + b for a, b in zip(other, recorded[key], strict=True)]
        else:
            names.append(shown[key])
            counts.append(recorded[key])
    if any(other):
        names.append(OTHER)
        counts.append(other)
    names += [PREFER_NOT, NOT_RECORDED]
    counts += [fixed[PREFERRED_NOT], fixed[UNRECORDED]]
    return names, counts


def _section(title: str, names: Sequence[str], table: SuppressedTable) -> Section:
    width = len(GROUPS)
    rows = [(label(name), *(marked(table.grid[r][c], table.mark(r, c))
                            for c in range(width + 1)))
            for r, name in enumerate(names)]
    rows.append((label(ALL_COUNTED), *(marked(table.grid[-1][c], table.mark(-1, c))
                                       for c in range(width + 1))))
    return Section(title, (title, *GROUPS, "Total"), tuple(rows), total_rows=1)
