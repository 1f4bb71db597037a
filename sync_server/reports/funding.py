"""Who pays for delegated care across every team: weekly and period totals per funder,
interim funding without prejudice, and the backfill of training (the laptop's report 2,
``services/reports/funding.py``, whose docstring explains each figure; the rules here are
the same, in PostgreSQL).

- A support plan version is in force from its ``effective_from`` until the next version of
  that person's plan takes effect; a funding line counts from the later of that and its
  own ``start_date``.
- Per week: the weekly pence of every line in force on the as-at day. Period total: weekly
  pence × days in force inside the period ÷ 7, summed exactly per funder and rounded once,
  half up; the shares and the total add up the funders' rounded figures.
- Interim without prejudice awaiting reconciliation, one row per delegation; and the
  reconciliations recorded in the period.
- Release for training: backfill by payer. On the store every training event belongs to
  the team whose laptop recorded it, so level 1 training (for a task type, not one person)
  is counted for that team too.

The "By team" table gives each team's per-week and period totals, its funders' figures
rounded per team.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy.orm import Session

from sync_server.reports import sql
from sync_server.reports.base import build_report, by_team
from sync_server.reports.labels import BACKFILL_PAYERS, COUNCILS, FUNDER_NAMES, ICB
from sync_server.reports.model import (
    Row,
    Section,
    StoreReport,
    StoreReportQuery,
    count,
    day_words,
    hours,
    label,
    money,
    round_half_up,
)

NAME = "funding"
TITLE = "Funding by funder"
NHS_SHARE = "NHS share (free to the person)"
COUNCIL_SHARE = "Council share (may be means-tested)"
FUNDERS = (ICB, *COUNCILS)
NOTES = (
    "A support plan version is in force from its effective date until the next version of "
    "that person's plan takes effect; a funding line counts from the later of that date "
    "and its own start date.",
    "Period total: weekly amount × days in force within the period ÷ 7, summed exactly per "
    "funder and rounded once to the penny (half up); the shares and the total add up the "
    "funders' rounded amounts.",
    "Interim lines are paid in full by Health without prejudice until the funding decision; "
    "the table shows each funder's apportioned share. Unreconciled means no reconciliation "
    "date on or before the as-at day.",
    "Interim awaiting reconciliation: every interim line not reconciled by the as-at day, "
    "still running or ended when the agreed split or the end of the delegation took over; "
    "paid to date is weekly amount × days in force up to the as-at day ÷ 7, rounded once. "
    "Reconciled: the reconciliations recorded in the period, with who repays what.",
)
PLANS = sql.Kind("support_plan", text=("person_id", "delegation_case_id"),
                 days=("effective_from",), whole=("version_number",))
LINES = sql.Kind("funding_split", text=("funder", "plan_id", "delegation_case_id",
                                        "dispute_reference"),
                 days=("start_date", "reconciled_on"), whole=("pence_per_week",),
                 flags=("interim_without_prejudice",))
RECONCILIATIONS = sql.Kind("interim_reconciliation", text=("delegation_case_id", "discussion_id"),
                           days=("period_from", "period_to", "reconciled_on"),
                           whole=("interim_pence",), json=("repayments",))
# A reconciliation's discussion is read even if it was removed (as on the laptop).
DISCUSSIONS = sql.Kind("shared_care_discussion", text=("dispute_reference",),
                       with_removed=True)
TRAINING = sql.Kind("training_event", text=("backfill_payer", "person_id"),
                    days=("trained_on",), whole=("backfill_minutes", "backfill_pence_per_hour"))
BY_TEAM = ("Team", "Per week", "Period total", "NHS share, period total",
           "Council share, period total", "Interim unreconciled, period total")


def _greatest(a: str, b: str) -> str:
    """The later of two dates, NULL if either is (SQLite's max(a, b), as the laptop has)."""
    return f"(CASE WHEN {a} IS NULL OR {b} IS NULL THEN NULL ELSE greatest({a}, {b}) END)"


def _least(a: str, b: str) -> str:
    return f"(CASE WHEN {a} IS NULL OR {b} IS NULL THEN NULL ELSE least({a}, {b}) END)"


def _unreconciled(alias: str) -> str:
    reconciled = sql.field(alias, "reconciled_on")
    return f"({reconciled} IS NULL OR {reconciled} > :as_at)"


def _versions() -> str:
    """CTE ``v``: each live plan version of a live person, with the day the next version of
    that person's plan takes effect (``ends``, NULL for the newest): in force from
    ``starts`` until then (the laptop's ``plan_versions`` and ``next_version_starts``)."""
    version, effective = sql.field("sp", "version_number"), sql.field("sp", "effective_from")
    return f"""v AS (
SELECT sp.id AS plan_id, sp.team_id, {sql.field('sp', 'delegation_case_id')} AS plan_case,
       {version} AS version, {effective} AS starts,
       lead({effective}) OVER (PARTITION BY sp.team_id, {sql.field('sp', 'person_id')}
                               ORDER BY {version}) AS ends
FROM sp JOIN p ON p.id = {sql.field('sp', 'person_id')} AND p.team_id = sp.team_id)"""


def per_funder_sql(query: StoreReportQuery) -> str:
    """Per team and funder: pence a week in force on the as-at day, Σ pence × days in the
    period, and the same two for the unreconciled interim lines."""
    pence = sql.field("f", "pence_per_week")
    starts = _greatest("v.starts", sql.field("f", "start_date"))
    ends = "coalesce(v.ends, :far)"
    first = _greatest(starts, ":start")
    after_last = _least(ends, ":after_end")
    line_days = f"greatest({after_last} - {first}, 0)"
    in_force = f"({starts} <= :as_at AND {ends} > :as_at)"
    interim = f"({sql.field('f', 'interim_without_prejudice')} AND {_unreconciled('f')})"
    return f"""
{sql.ctes(query, p=sql.PERSON, sp=PLANS, f=LINES)},
{_versions()}
SELECT f.team_id, {sql.field('f', 'funder')} AS funder,
       sum(CASE WHEN {in_force} THEN {pence} ELSE 0 END),
       sum({pence} * {line_days}),
       sum(CASE WHEN {in_force} AND {interim} THEN {pence} ELSE 0 END),
       sum(CASE WHEN {interim} THEN {pence} * {line_days} ELSE 0 END)
FROM f JOIN v ON v.plan_id = {sql.field('f', 'plan_id')} AND v.team_id = f.team_id
WHERE {starts} <= :end AND {ends} > :start
GROUP BY 1, 2"""


def interim_sql(query: StoreReportQuery) -> str:
    """Interim lines not reconciled by the as-at day that were in force at some time up to
    it, one row per delegation (the laptop's ``interim_lines``)."""
    starts = _greatest("v.starts", sql.field("f", "start_date"))
    key = f"coalesce({sql.field('f', 'delegation_case_id')}, v.plan_case, v.plan_id)"
    up_to = _least("coalesce(x.ends, :far)", ":after_as_at")
    return f"""
{sql.ctes(query, p=sql.PERSON, sp=PLANS, f=LINES)},
{_versions()},
x AS (
SELECT {key} AS case_id, f.team_id, {starts} AS starts, {sql.field('f', 'dispute_reference')}
       AS reference, {sql.field('f', 'funder')} AS funder,
       {sql.field('f', 'pence_per_week')} AS pence, v.version, v.ends
FROM f JOIN v ON v.plan_id = {sql.field('f', 'plan_id')} AND v.team_id = f.team_id
WHERE {sql.field('f', 'interim_without_prejudice')} AND {_unreconciled('f')}),
lines AS (
SELECT x.*, max(version) OVER (PARTITION BY team_id, case_id) AS newest,
       {up_to} - starts AS days, coalesce(ends, :far) AS until
FROM x WHERE starts <= :as_at AND (ends IS NULL OR ends > starts))
SELECT case_id, team_id, min(starts), max(reference),
       sum(CASE WHEN version = newest AND funder = '{ICB}' THEN pence ELSE 0 END),
       sum(CASE WHEN version = newest AND funder <> '{ICB}' THEN pence ELSE 0 END),
       sum(CASE WHEN funder = '{ICB}' THEN pence * days ELSE 0 END),
       sum(CASE WHEN funder <> '{ICB}' THEN pence * days ELSE 0 END),
       max(until)
FROM lines GROUP BY case_id, team_id ORDER BY min(starts), case_id"""


def reconciled_sql(query: StoreReportQuery) -> str:
    """The interim reconciliations recorded from the period's first day to the as-at day."""
    reconciled = sql.field("r", "reconciled_on")
    return f"""
{sql.ctes(query, p=sql.PERSON, c=sql.Kind("delegation_case", text=("person_id",)),
          f=LINES, r=RECONCILIATIONS, d=DISCUSSIONS)},
refs AS (SELECT team_id, {sql.field('f', 'delegation_case_id')} AS case_id,
                max({sql.field('f', 'dispute_reference')}) AS reference
         FROM f GROUP BY 1, 2)
SELECT coalesce({sql.field('d', 'dispute_reference')}, refs.reference), r.team_id,
       {sql.field('r', 'period_from')}, {sql.field('r', 'period_to')}, {reconciled},
       {sql.field('r', 'interim_pence')},
       CASE WHEN json_typeof(r.repayments) = 'array' THEN r.repayments END
FROM r JOIN c ON c.id = {sql.field('r', 'delegation_case_id')} AND c.team_id = r.team_id
JOIN p ON p.id = {sql.field('c', 'person_id')} AND p.team_id = r.team_id
LEFT JOIN d ON d.id = {sql.field('r', 'discussion_id')} AND d.team_id = r.team_id
LEFT JOIN refs ON refs.case_id = {sql.field('r', 'delegation_case_id')}
                  AND refs.team_id = r.team_id
WHERE {reconciled} >= :start AND {reconciled} <= :as_at
ORDER BY {reconciled}, {sql.field('r', 'period_from')}, r.id"""


def backfill_sql(query: StoreReportQuery) -> str:
    """Per team and payer: training events with backfill held in the period, their minutes
    and Σ minutes × pence an hour (÷ 60 later, once). An event about a removed person is
    left out; one about nobody (level 1) is counted for its team."""
    minutes = sql.field("t", "backfill_minutes")
    trained = sql.field("t", "trained_on")
    return f"""
{sql.ctes(query, t=TRAINING, p=sql.PERSON)}
SELECT t.team_id, {sql.field('t', 'backfill_payer')}, count(*), sum({minutes}),
       sum({minutes} * {sql.field('t', 'backfill_pence_per_hour')})
FROM t LEFT JOIN p ON p.id = {sql.field('t', 'person_id')} AND p.team_id = t.team_id
WHERE {sql.field('t', 'backfill_payer')} IS NOT NULL AND {minutes} > 0
  AND {trained} BETWEEN :start AND :end
  AND ({sql.field('t', 'person_id')} IS NULL OR p.id IS NOT NULL)
GROUP BY 1, 2"""


def _period_pence(pence_days: int) -> int:
    return round_half_up(Fraction(pence_days, 7))


def funding_report(db: Session, query: StoreReportQuery, *, author: str,
                   today: dt.date | None = None,
                   produced_at: dt.datetime | None = None) -> StoreReport:
    """Weekly and period totals per funder, the shares, interim funding, backfill, teams."""
    sql.require_postgres(db)
    as_at = query.as_at(today or dt.date.today())
    teams = sql.team_names(db, query)
    values = sql.params(query, as_at=as_at, far=sql.FAR_FUTURE,
                        after_end=query.period_end + dt.timedelta(days=1),
                        after_as_at=as_at + dt.timedelta(days=1))
    totals: dict[str, list[int]] = {}
    team_funders: dict[str, dict[str, list[int]]] = {}
    for team_id, funder, *numbers in sql.run(db, per_funder_sql(query), values):
        figures = [int(x or 0) for x in numbers]
        for tally in (totals.setdefault(str(funder), [0] * 4),
                      team_funders.setdefault(team_id, {}).setdefault(str(funder), [0] * 4)):
            tally[:] = [a + b for a, b in zip(tally, figures, strict=True)]
    waiting = sql.run(db, interim_sql(query), values)
    reconciled = sql.run(db, reconciled_sql(query), values)
    backfill: dict[str, list[int]] = {}
    for _team, payer, *numbers in sql.run(db, backfill_sql(query), values):
        tally = backfill.setdefault(str(payer), [0, 0, 0])
        tally[:] = [a + int(b or 0) for a, b in zip(tally, numbers, strict=True)]
    sections = [_funder_section(totals, as_at), _interim_section(waiting, teams, as_at),
                _reconciled_section(reconciled, teams), _backfill_section(backfill),
                by_team(teams, BY_TEAM, len(BY_TEAM) - 1,
                        {team: _team_figures(funders) for team, funders in team_funders.items()},
                        row=lambda name, numbers: (label(name), *(money(n) for n in numbers)),
                        notes=(f"Per week: on {day_words(as_at)}. Each team's funders' "
                               "period totals are rounded once per team, so the teams can "
                               "differ from the funders' table by a penny or two.",))]
    return build_report(NAME, TITLE, query, as_at, produced_at, author, sections, NOTES, teams)


def _figures(totals: dict[str, list[int]]) -> dict[str, tuple[int, int, int, int]]:
    """Per funder: per week, period total, interim per week, interim period total."""
    found = {}
    for funder in FUNDERS:
        weekly, pence_days, interim_weekly, interim_days = totals.get(funder, [0] * 4)
        found[funder] = (weekly, _period_pence(pence_days), interim_weekly,
                         _period_pence(interim_days))
    return found


def _team_figures(funders: dict[str, list[int]]) -> list[int]:
    figures = _figures(funders)
    period = [figures[f][1] for f in FUNDERS]
    return [sum(figures[f][0] for f in FUNDERS), sum(period), figures[ICB][1],
            sum(figures[f][1] for f in COUNCILS), sum(figures[f][3] for f in FUNDERS)]


def _funder_section(totals: dict[str, list[int]], as_at: dt.date) -> Section:
    """One row per funder, then the NHS share, the council share and the total."""
    columns = ("Funder", f"Per week on {day_words(as_at)}", "Period total",
               "Interim unreconciled, per week", "Interim unreconciled, period total")
    figures = _figures(totals)

    def row(name: str, values: Sequence[int]) -> Row:
        return (label(name), *(money(v) for v in values))

    def add(funders: Sequence[str]) -> list[int]:
        return [sum(figures[f][i] for f in funders) for i in range(4)]

    rows = [row(FUNDER_NAMES[f], figures[f]) for f in FUNDERS]
    rows += [row(NHS_SHARE, figures[ICB]), row(COUNCIL_SHARE, add(COUNCILS)),
             row("All funders", add(FUNDERS))]
    return Section("Per funder", columns, tuple(rows), total_rows=3)


def _interim_section(waiting: Sequence[Any], teams: dict[str, str],
                     as_at: dt.date) -> Section:
    """One row per delegation funded without prejudice and not yet reconciled, oldest first."""
    columns = ("Dispute reference", "Team", "Interim since", "Age (days)", "ICB per week",
               "Council per week", "Council share accrued", "Interim paid to date",
               "Interim ended")
    rows: list[Row] = []
    sums = [0, 0, 0, 0]
    for _key, team_id, since, reference, icb, council, icb_days, council_days, until in waiting:
        accrued = _period_pence(int(council_days or 0))
        paid = _period_pence(int(icb_days or 0) + int(council_days or 0))
        ended = ("Still running" if until > as_at
                 else day_words(until - dt.timedelta(days=1)))
        figures = (int(icb or 0), int(council or 0), accrued, paid)
        rows.append((label(reference or "None"), label(teams.get(team_id, team_id)),
                     label(day_words(since)), count((as_at - since).days),
                     *(money(v) for v in figures), label(ended)))
        sums = [total + value for total, value in zip(sums, figures, strict=True)]
    rows.append((label(f"{len(waiting):,} awaiting reconciliation"), label(""), label(""),
                 label(""), *(money(v) for v in sums), label("")))
    return Section("Interim without prejudice, awaiting reconciliation", columns, tuple(rows),
                   total_rows=1,
                   notes=(f"Age: days from the interim start to {day_words(as_at)}. "
                          f"Paid to date: up to {day_words(as_at)}, or to the day the "
                          "interim ended.",))


def _repaid_words(repayments: Sequence[Any] | None) -> tuple[int, str]:
    """The total repaid and who repays what, in words."""
    totals: dict[str, int] = {}
    for item in repayments or ():
        if not isinstance(item, dict):
            continue
        pence = item.get("pence")
        amount = pence if isinstance(pence, int) and not isinstance(pence, bool) else 0
        totals[str(item.get("funder"))] = totals.get(str(item.get("funder")), 0) + amount
    words = "; ".join(f"{FUNDER_NAMES.get(f, f)} {money(p).text}"
                      for f, p in sorted(totals.items()) if p > 0)
    return sum(totals.values()), words or "Nothing repaid"


def _reconciled_section(reconciled: Sequence[Any], teams: dict[str, str]) -> Section:
    """One row per interim reconciliation recorded in the period, in the order recorded."""
    columns = ("Dispute reference", "Team", "Interim period", "Reconciled on",
               "Age when reconciled (days)", "Interim paid", "Repaid", "Who repays what")
    rows: list[Row] = []
    paid_sum = repaid_sum = 0
    for reference, team_id, first, last, on, paid, repayments in reconciled:
        repaid, words = _repaid_words(repayments)
        period = (f"{day_words(first)} to {day_words(last)}" if first and last else "")
        age = count((on - first).days) if first else label("")
        rows.append((label(reference or "None"), label(teams.get(team_id, team_id)),
                     label(period), label(day_words(on)), age, money(int(paid or 0)),
                     money(repaid), label(words)))
        paid_sum, repaid_sum = paid_sum + int(paid or 0), repaid_sum + repaid
    rows.append((label(f"{len(reconciled):,} reconciled in the period"), label(""), label(""),
                 label(""), label(""), money(paid_sum), money(repaid_sum), label("")))
    return Section("Interim without prejudice, reconciled", columns, tuple(rows),
                   total_rows=1,
                   notes=("Interim paid: what the interim funder paid for the period "
                          "reconciled; repaid: what the other funders pay it back.",))


def _backfill_section(by_payer: dict[str, list[int]]) -> Section:
    """One row per payer of the cover while workers were released for training, and a total."""
    columns = ("Who pays", "Training events", "Hours released", "Backfill cost")
    figures: dict[str, tuple[int, int, int]] = {}
    for payer in BACKFILL_PAYERS:
        events, minutes, pence_minutes = by_payer.get(payer, [0, 0, 0])
        figures[payer] = (events, minutes, round_half_up(Fraction(pence_minutes, 60)))
    rows: list[Row] = [(label(BACKFILL_PAYERS[p]), count(f[0]), hours(f[1]), money(f[2]))
                       for p, f in figures.items()]
    rows.append((label("All payers"), count(sum(f[0] for f in figures.values())),
                 hours(sum(f[1] for f in figures.values())),
                 money(sum(f[2] for f in figures.values()))))
    return Section("Release for training: backfill cost", columns, tuple(rows), total_rows=1,
                   notes=("Backfill: the cover while a care worker was released for "
                          "training, hours × the hourly rate, for training held in the "
                          "period.", "Level 1 training (for a task type, not one person) "
                          "is counted for the team whose laptop recorded it."))
