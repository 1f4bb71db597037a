"""Report 2: who pays for delegated care: weekly and period totals per funder (framework §5).

Which plan is in force: a support plan is never edited, each change is a new version, so
a version is in force from its ``effective_from`` until the next version of that person's
plan takes effect (the next by version number; the newest runs on). A funding line counts
from the later of the version's start and the line's own ``start_date`` (a line carried
forward keeps its first start date; a line may start after its plan).

- Per week: the weekly pence of every line in force on the "as at" day (the period's last
  day, or today if sooner).
- Period total: each line's weekly pence × the days it was in force inside the period ÷ 7.
  The products are summed exactly in SQL per funder, and each funder's sum is divided by 7
  and rounded once, half up (rounding each line first would drift by up to half a penny a
  line). The council share and the total add up the funders' rounded figures, so the table
  adds up.
- Interim without prejudice, awaiting reconciliation: per delegation, its lines marked
  interim whose ``reconciled_on`` is empty (or after the as-at day) and that were in force
  at some time up to the as-at day: still running, or ended when a later plan version (the
  agreed split, or the delegation's end) took over. Their age is in days from the first
  interim day to the as-at day; the weekly amounts are those of the newest interim version.
  Health pays the whole of these until the funding decision and costs are reconciled back
  to the start, so the section shows what the interim funder has paid to date (every
  interim line's weekly pence × its days in force up to the as-at day, both included,
  summed exactly and ÷ 7 once, half up) and, of that, the council share accrued (the
  council lines' alone).
- Interim without prejudice, reconciled: each reconciliation recorded in the period (its
  ``reconciled_on`` from the period's first day to the as-at day): the interim period it
  settled, when, its age then (days from the period's first day to the reconciliation),
  what the interim funder paid for that period and who repays what.

The NHS (ICB) share is free to the person; only the council share can be means-tested.

Release for training: the backfill (cover while a care worker trains) of each training event
held in the period, by who pays: minutes × pence an hour summed exactly in SQL per payer,
÷ 60 and rounded once to the penny (half up); the total adds up the payers' rounded amounts.
Level 1 training is for a task type, not one person, so it has no team: it is counted for
all teams only.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from fractions import Fraction
from typing import Any

from sqlalchemy import Integer, Select, and_, case, cast, func, or_, select
from sqlalchemy.sql import Subquery

from desktop_app.models.competency import BackfillPayer, TrainingEvent
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import InterimReconciliation
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.funding import COUNCILS, FUNDER_NAMES
from desktop_app.services.framework.labels import BACKFILL_PAYERS
from desktop_app.services.registers.interim import next_version_starts
from desktop_app.services.reports.base import (
    build_report,
    check_allowed,
    day,
    in_team,
    julian,
    produced_by,
)
from desktop_app.services.reports.chart import Chart, ChartKind, ChartUnit, Series
from desktop_app.services.reports.model import (
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    Row,
    count,
    day_words,
    hours,
    label,
    money,
    round_half_up,
)

TITLE = "Funding by funder"
FAR_FUTURE = dt.date(9999, 12, 31)
NHS_SHARE = "NHS share (free to the person)"
COUNCIL_SHARE = "Council share (may be means-tested)"
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


def plan_versions(team: str | None) -> Subquery:
    """Each live plan version of the people in scope, with the day the next one starts
    (``ends``, NULL for the newest): the version is in force from ``starts`` until then."""
    following = func.lead(SupportPlan.effective_from).over(
        partition_by=SupportPlan.person_id, order_by=SupportPlan.version_number)
    return (select(SupportPlan.id.label("plan_id"), SupportPlan.person_id,
                   SupportPlan.delegation_case_id, SupportPlan.effective_from.label("starts"),
                   following.label("ends"))
            .join(Person, Person.id == SupportPlan.person_id)
            .where(~SupportPlan.deleted, *in_team(team))
            .subquery("versions"))


class LineTerms:
    """SQL expressions about one funding line and the plan version it is on, given when
    that version starts and when the next one does (NULL: never)."""

    def __init__(self, version_starts: Any, version_ends: Any, query: ReportQuery,
                 as_at: dt.date) -> None:
        self.starts = func.max(version_starts, FundingSplit.start_date)
        self.ends = func.coalesce(version_ends, day(FAR_FUTURE))
        first = func.max(self.starts, day(query.period_start))
        after_last = func.min(self.ends, day(query.period_end + dt.timedelta(days=1)))
        self.days = func.max(cast(julian(after_last) - julian(first), Integer), 0)
        self.in_force = and_(self.starts <= day(as_at), self.ends > day(as_at))
        self.overlaps = and_(self.starts <= day(query.period_end),
                             self.ends > day(query.period_start))
        self.interim = and_(FundingSplit.interim_without_prejudice,
                            or_(FundingSplit.reconciled_on.is_(None),
                                FundingSplit.reconciled_on > day(as_at)))


def _when(condition: Any, value: Any) -> Any:
    return func.sum(case((condition, value), else_=0))


def funding_report(uow: UnitOfWork, query: ReportQuery, *, today: dt.date | None = None,
                   produced_at: dt.datetime | None = None) -> Report:
    """Weekly and period totals per funder, the NHS and council shares, unreconciled interim."""
    check_allowed(uow)
    as_at = query.as_at(today or dt.date.today())
    versions = plan_versions(query.team)
    line = LineTerms(versions.c.starts, versions.c.ends, query, as_at)
    pence = FundingSplit.pence_per_week
    per_funder = (
        select(FundingSplit.funder, _when(line.in_force, pence), func.sum(pence * line.days),
               _when(and_(line.in_force, line.interim), pence),
               _when(line.interim, pence * line.days))
        .select_from(FundingSplit)
        .join(versions, versions.c.plan_id == FundingSplit.plan_id)
        .where(~FundingSplit.deleted, line.overlaps)
        .group_by(FundingSplit.funder))
    interim = interim_lines(query, as_at)
    with uow.read() as session:
        author = produced_by(session, uow)
        totals = {row[0]: tuple(int(x or 0) for x in row[1:])
                  for row in session.execute(per_funder)}
        waiting = session.execute(interim).all()
        reconciled = session.execute(reconciled_interim(query, as_at)).all()
        backfill = {row[0]: tuple(int(x or 0) for x in row[1:])
                    for row in session.execute(backfill_by_payer(query))}
    sections = [_funder_section(totals, as_at), _interim_section(waiting, as_at),
                _reconciled_section(reconciled), _backfill_section(backfill, query.team)]
    return build_report(ReportKind.FUNDING, TITLE, query, as_at, produced_at, author,
                        sections, list(NOTES))


def interim_lines(query: ReportQuery, as_at: dt.date) -> Select[Any]:
    """Interim lines not reconciled by the as-at day that were in force at some time up to
    it, one row per delegation: (case_id, team, since, reference, icb and council: the pence
    a week of its newest interim version, icb_pence_days and council_pence_days: weekly pence
    × days in force up to the as-at day, until: the day after the last interim day, or
    FAR_FUTURE while one still runs).

    Interim lines are few, so they are found first and their plan version looked up."""
    starts = func.max(SupportPlan.effective_from, FundingSplit.start_date)
    ends = next_version_starts()
    key = func.coalesce(FundingSplit.delegation_case_id, SupportPlan.delegation_case_id,
                        SupportPlan.id)
    up_to = func.min(func.coalesce(ends, day(FAR_FUTURE)), day(as_at + dt.timedelta(days=1)))
    unreconciled = or_(FundingSplit.reconciled_on.is_(None),
                       FundingSplit.reconciled_on > day(as_at))
    lines = (select(key.label("case_id"), Person.team.label("team"), starts.label("starts"),
                    FundingSplit.dispute_reference.label("reference"),
                    FundingSplit.funder.label("funder"),
                    FundingSplit.pence_per_week.label("pence"),
                    SupportPlan.version_number.label("version"),
                    func.max(SupportPlan.version_number).over(partition_by=key)
                    .label("newest"),
                    cast(julian(up_to) - julian(starts), Integer).label("days"),
                    func.coalesce(ends, day(FAR_FUTURE)).label("ends"))
             .select_from(FundingSplit)
             .join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
             .join(Person, Person.id == SupportPlan.person_id)
             .where(~FundingSplit.deleted, FundingSplit.interim_without_prejudice, unreconciled,
                    ~SupportPlan.deleted, *in_team(query.team), starts <= day(as_at),
                    or_(ends.is_(None), ends > starts))
             .subquery("interim"))
    icb = lines.c.funder == Funder.ICB.value
    newest = lines.c.version == lines.c.newest
    pence_days = lines.c.pence * lines.c.days
    return (select(lines.c.case_id, lines.c.team, func.min(lines.c.starts).label("since"),
                   func.max(lines.c.reference).label("reference"),
                   _when(and_(newest, icb), lines.c.pence).label("icb"),
                   _when(and_(newest, ~icb), lines.c.pence).label("council"),
                   _when(icb, pence_days).label("icb_pence_days"),
                   _when(~icb, pence_days).label("council_pence_days"),
                   func.max(lines.c.ends).label("until"))
            .group_by(lines.c.case_id, lines.c.team)
            .order_by(func.min(lines.c.starts), lines.c.case_id))


def reconciled_interim(query: ReportQuery, as_at: dt.date) -> Select[Any]:
    """The interim reconciliations recorded from the period's first day to the as-at day:
    (reference, team, period from, period to, reconciled on, interim pence, repayments)."""
    r = InterimReconciliation
    line_reference = (select(func.max(FundingSplit.dispute_reference))
                      .where(FundingSplit.delegation_case_id == r.delegation_case_id,
                             ~FundingSplit.deleted)
                      .correlate(r).scalar_subquery())
    return (select(func.coalesce(SharedCareDiscussion.dispute_reference, line_reference),
                   Person.team, r.period_from, r.period_to, r.reconciled_on, r.interim_pence,
                   r.repayments)
            .join(DelegationCase, DelegationCase.id == r.delegation_case_id)
            .join(Person, Person.id == DelegationCase.person_id)
            .outerjoin(SharedCareDiscussion, SharedCareDiscussion.id == r.discussion_id)
            .where(~r.deleted, ~DelegationCase.deleted, *in_team(query.team),
                   r.reconciled_on >= day(query.period_start), r.reconciled_on <= day(as_at))
            .order_by(r.reconciled_on, r.period_from, r.id))


def _period_pence(pence_days: int) -> int:
    return round_half_up(Fraction(pence_days, 7))


def _funder_section(totals: dict[str, tuple[int, ...]], as_at: dt.date) -> ReportSection:
    """One row per funder, then the NHS share, the council share and the total."""
    columns = ("Funder", f"Per week on {day_words(as_at)}", "Period total",
               "Interim unreconciled, per week", "Interim unreconciled, period total")
    figures: dict[Funder, tuple[int, int, int, int]] = {}
    for funder in (Funder.ICB, *COUNCILS):
        weekly, pence_days, interim_weekly, interim_days = totals.get(funder.value, (0,) * 4)
        figures[funder] = (weekly, _period_pence(pence_days), interim_weekly,
                           _period_pence(interim_days))

    def row(name: str, values: Sequence[int]) -> Row:
        return (label(name), *(money(v) for v in values))

    def add(funders: Sequence[Funder]) -> list[int]:
        return [sum(figures[f][i] for f in funders) for i in range(4)]

    rows = [row(FUNDER_NAMES[f], figures[f]) for f in figures]
    rows += [row(NHS_SHARE, figures[Funder.ICB]), row(COUNCIL_SHARE, add(COUNCILS)),
             row("All funders", add(list(figures)))]
    chart = Chart(ChartKind.BAR, "Period total by funder",
                  tuple(FUNDER_NAMES[f] for f in figures),
                  (Series("Period total", tuple(figures[f][1] / 100 for f in figures)),),
                  "Period total", ChartUnit.POUNDS, horizontal=True)
    return ReportSection("Per funder", columns, tuple(rows), chart, total_rows=3)


def _interim_section(waiting: Sequence[Any], as_at: dt.date) -> ReportSection:
    """One row per delegation funded without prejudice and not yet reconciled, oldest first."""
    columns = ("Dispute reference", "Team", "Interim since", "Age (days)", "ICB per week",
               "Council per week", "Council share accrued", "Interim paid to date",
               "Interim ended")
    rows: list[Row] = []
    sums = [0, 0, 0, 0]
    for _key, team, since, reference, icb, council, icb_days, council_days, until in waiting:
        accrued = _period_pence(int(council_days or 0))
        paid = _period_pence(int(icb_days or 0) + int(council_days or 0))
        ended = ("Still running" if until > as_at
                 else day_words(until - dt.timedelta(days=1)))
        figures = (int(icb or 0), int(council or 0), accrued, paid)
        rows.append((label(reference or "None"), label(team), label(day_words(since)),
                     count((as_at - since).days), *(money(v) for v in figures), label(ended)))
        sums = [total + value for total, value in zip(sums, figures, strict=True)]
    rows.append((label(f"{len(waiting):,} awaiting reconciliation"), label(""), label(""),
                 label(""), *(money(v) for v in sums), label("")))
    return ReportSection("Interim without prejudice, awaiting reconciliation", columns,
                         tuple(rows), None, total_rows=1,
                         notes=(f"Age: days from the interim start to {day_words(as_at)}. "
                                f"Paid to date: up to {day_words(as_at)}, or to the day "
                                "the interim ended.",))


def _repaid_words(repayments: Sequence[Any]) -> tuple[int, str]:
    """The total repaid and who repays what, in words."""
    totals: dict[str, int] = {}
    for item in repayments or ():
        totals[str(item["funder"])] = totals.get(str(item["funder"]), 0) + int(item["pence"])
    words = "; ".join(f"{FUNDER_NAMES.get(Funder(f), f)} {money(p).text}"
                      for f, p in sorted(totals.items()) if p > 0)
    return sum(totals.values()), words or "Nothing repaid"


def _reconciled_section(reconciled: Sequence[Any]) -> ReportSection:
    """One row per interim reconciliation recorded in the period, in the order recorded."""
    columns = ("Dispute reference", "Team", "Interim period", "Reconciled on",
               "Age when reconciled (days)", "Interim paid", "Repaid", "Who repays what")
    rows: list[Row] = []
    paid_sum = repaid_sum = 0
    for reference, team, first, last, on, paid, repayments in reconciled:
        repaid, words = _repaid_words(repayments)
        rows.append((label(reference or "None"), label(team),
                     label(f"{day_words(first)} to {day_words(last)}"), label(day_words(on)),
                     count((on - first).days), money(int(paid)), money(repaid), label(words)))
        paid_sum, repaid_sum = paid_sum + int(paid), repaid_sum + repaid
    rows.append((label(f"{len(reconciled):,} reconciled in the period"), label(""), label(""),
                 label(""), label(""), money(paid_sum), money(repaid_sum), label("")))
    return ReportSection("Interim without prejudice, reconciled", columns, tuple(rows), None,
                         total_rows=1,
                         notes=("Interim paid: what the interim funder paid for the period "
                                "reconciled; repaid: what the other funders pay it back.",))


def backfill_by_payer(query: ReportQuery) -> Select[str | None, int, int, int]:
    """Per payer: training events with backfill held in the period, their minutes, and the
    exact sum of minutes × pence an hour (÷ 60 later, once)."""
    event = TrainingEvent
    scope = (and_(Person.team == query.team, ~Person.deleted) if query.team is not None
             else or_(event.person_id.is_(None), ~Person.deleted))
    return (select(event.backfill_payer, func.count(), func.sum(event.backfill_minutes),
                   func.sum(event.backfill_minutes * event.backfill_pence_per_hour))
            .select_from(event)
            .outerjoin(Person, Person.id == event.person_id)
            .where(~event.deleted, event.backfill_payer.is_not(None),
                   event.backfill_minutes > 0, event.trained_on >= day(query.period_start),
                   event.trained_on <= day(query.period_end), scope)
            .group_by(event.backfill_payer))


def _backfill_section(by_payer: dict[str | None, tuple[int, ...]],
                      team: str | None) -> ReportSection:
    """One row per payer of the cover while workers were released for training, and a total."""
    columns = ("Who pays", "Training events", "Hours released", "Backfill cost")
    figures: dict[BackfillPayer, tuple[int, int, int]] = {}
    for payer in BackfillPayer:
        events, minutes, pence_minutes = by_payer.get(payer.value, (0, 0, 0))
        figures[payer] = (events, minutes, round_half_up(Fraction(pence_minutes, 60)))
    rows: list[Row] = [(label(BACKFILL_PAYERS[p]), count(f[0]), hours(f[1]), money(f[2]))
                       for p, f in figures.items()]
    rows.append((label("All payers"), count(sum(f[0] for f in figures.values())),
                 hours(sum(f[1] for f in figures.values())),
                 money(sum(f[2] for f in figures.values()))))
    notes: tuple[str, ...] = (
        "Backfill: the cover while a care worker was released for training, hours × the "
        "hourly rate, for training held in the period.",)
    if team is not None:
        notes += ("Level 1 training (for a task type, not one person) has no team and is "
                  "counted for all teams only.",)
    return ReportSection("Release for training: backfill cost", columns, tuple(rows), None,
                         total_rows=1, notes=notes)
