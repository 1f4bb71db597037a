"""The two-weekly joint meeting pack: the cases the partners must decide (framework §5).

Health and care partners meet every two weeks to review cases and apportion
responsibilities and costs (committee minutes; framework §5). The pack lists, as on the
meeting day (``as_of``):

1. shared care discussions still open and waiting for the MDT's consensus;
2. those waiting for a funding decision (escalated to the Midlands & Lancashire CSU, or
   about funding), as the Escalations register sorts them;
3. delegations funded without prejudice whose discussion is over (or was never opened)
   but whose interim costs are not yet reconciled: interim lines that were ever in force
   (a decided split ends them, and that is when they need reconciling), with no
   reconciliation date on or before the meeting day;
4. practical problems with the framework staff reported to the IPCB (framework §5.0) not
   yet ruled on, and rulings issued in the four weeks before the meeting day, so the
   partners see them and spread the rulings (anonymised: no person is named; all teams).

For each case: who and which task, how long it has waited, the question and the options, and
the proposed split (the funding lines of that delegation on the newest plan version that
has them, effective by the meeting day). Reading the pack names people, so it is audited
as a view of each case listed, like opening a plan; printing or exporting it is audited
with ``record_meeting_pack_output``.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from dataclasses import dataclass, replace
from typing import Literal

from sqlalchemy import ColumnElement, and_, func, or_, select, tuple_
from sqlalchemy.orm import Session, aliased

from desktop_app.models.audit import AuditAction
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.services.core.audit import append_events
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.tracking import ACTOR
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.funding import FUNDER_NAMES, format_pounds
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.labels import METHODS
from desktop_app.services.plans.document import record_outputs
from desktop_app.services.registers import WaitingFor
from desktop_app.services.registers.framework_problems import (
    ProblemRow,
    for_meeting,
    problems_in,
)
from desktop_app.services.reports.base import check_allowed, day, in_team, produced_by
from desktop_app.services.reports.funding import interim_lines
from desktop_app.services.reports.model import ReportQuery
from desktop_app.services.vault.task_types import task_name_sql

RECONCILIATION = "reconciliation"


@dataclass(frozen=True)
class SplitLine:
    """One funder's proposed weekly share of the delegation's extra care."""

    funder: str
    funder_name: str
    pence_per_week: int
    free_to_person: bool
    lead_commissioner: bool
    method: str
    interim: bool
    start_date: dt.date

    @property
    def weekly(self) -> str:
        """"£1,234.56"."""
        return format_pounds(self.pence_per_week)


@dataclass(frozen=True)
class PackCase:
    """One case for the meeting to decide.

    ``waiting_for`` is ``mdt_consensus``, ``funding_decision`` or ``reconciliation``;
    ``waiting_since`` is the day the discussion opened, or for reconciliation the day it
    closed (the interim start if there was none). ``split`` is empty when no plan has
    funding lines for this delegation yet.
    """

    waiting_for: str
    case_id: str
    discussion_id: str | None
    person_name: str
    nhs_number: str
    team: str
    task_name: str
    waiting_since: dt.date
    days_waiting: int
    question: str
    options: str
    funding_proposal: str
    decision: str | None
    interim_funder_name: str | None
    interim_from: dt.date | None
    escalated_to_mlcsu: bool
    dispute_reference: str | None
    plan_version_number: int | None
    split: tuple[SplitLine, ...]

    @property
    def total_pence_per_week(self) -> int:
        """The proposed weekly cost, all funders."""
        return sum(line.pence_per_week for line in self.split)

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) under which showing or printing this case is audited."""
        if self.discussion_id is not None:
            return ("shared_care_discussion", self.discussion_id)
        return ("delegation_case", self.case_id)


@dataclass(frozen=True)
class MeetingPack:
    """Everything the two-weekly joint meeting's pack shows."""

    as_of: dt.date
    team: str | None
    produced_at: dt.datetime
    produced_by: str
    awaiting_consensus: tuple[PackCase, ...]
    awaiting_funding: tuple[PackCase, ...]
    awaiting_reconciliation: tuple[PackCase, ...]
    # Problems reported to the IPCB not yet ruled on, and rulings of the last four weeks.
    problems: tuple[ProblemRow, ...] = ()

    @property
    def cases(self) -> tuple[PackCase, ...]:
        """Every case in the pack, in the order it lists them."""
        return self.awaiting_consensus + self.awaiting_funding + self.awaiting_reconciliation


def load_meeting_pack(uow: UnitOfWork, as_of: dt.date, team: str | None = None, *,
                      produced_at: dt.datetime | None = None) -> MeetingPack:
    """The cases to decide on ``as_of``; audited as a view of each (team leads, governance)."""
    check_allowed(uow)
    team = (team or "").strip() or None
    with uow.begin() as session:
        open_cases = _open_discussions(session, as_of, team)
        open_ids = {case.case_id for case in open_cases}
        waiting = [c for c in _unreconciled(session, as_of, team) if c.case_id not in open_ids]
        splits = _splits(session, [c.case_id for c in (*open_cases, *waiting)], as_of)
        cases = [_with_split(c, splits.get(c.case_id)) for c in (*open_cases, *waiting)]
        append_events(session.connection(), session.info[ACTOR],
                      [(*c.audit_entity, AuditAction.VIEW.value) for c in cases])
        author = produced_by(session, uow)
        reported = for_meeting(problems_in(session), as_of)

    def pick(kind: str) -> tuple[PackCase, ...]:
        return tuple(c for c in cases if c.waiting_for == kind)

    return MeetingPack(as_of, team, produced_at or dt.datetime.now(dt.UTC), author,
                       pick(WaitingFor.MDT_CONSENSUS.value),
                       pick(WaitingFor.FUNDING_DECISION.value), pick(RECONCILIATION),
                       reported)


def record_meeting_pack_output(uow: UnitOfWork, pack: MeetingPack,
                               how: Literal["print", "export"]) -> None:
    """Audit that the pack was printed or exported: one event per case, one transaction."""
    record_outputs(uow, pack.cases, how)


def _open_on(as_of: dt.date) -> ColumnElement[bool]:
    d = SharedCareDiscussion
    return and_(d.opened_on <= day(as_of), or_(d.closed_on.is_(None), d.closed_on > day(as_of)))


def _open_discussions(session: Session, as_of: dt.date, team: str | None) -> list[PackCase]:
    d = SharedCareDiscussion
    stmt = (select(d, DelegationCase.id, Person.given_name, Person.family_name,
                   Person.nhs_number, Person.team,
                   task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version))
            .join(DelegationCase, DelegationCase.id == d.delegation_case_id)
            .join(Person, Person.id == DelegationCase.person_id)
            .where(~d.deleted, ~DelegationCase.deleted, _open_on(as_of), *in_team(team))
            .order_by(d.opened_on, by_name(Person.family_name),
                      by_name(Person.given_name), d.id))
    cases = []
    for discussion, case_id, given, family, nhs, person_team, task in session.execute(stmt):
        themes = [str(t) for t in discussion.themes or ()]
        funding = discussion.escalated_to_mlcsu or "funding" in themes
        kind = WaitingFor.FUNDING_DECISION if funding else WaitingFor.MDT_CONSENSUS
        cases.append(PackCase(
            kind.value, case_id, discussion.id, f"{given} {family}", format_nhs_number(nhs),
            person_team, task, discussion.opened_on, max(0, (as_of - discussion.opened_on).days),
            discussion.question, discussion.options, discussion.funding_proposal, None,
            FUNDER_NAMES.get(Funder(discussion.interim_funder)), discussion.interim_from,
            discussion.escalated_to_mlcsu, discussion.dispute_reference, None, ()))
    return cases


def _unreconciled(session: Session, as_of: dt.date, team: str | None) -> list[PackCase]:
    """Delegations with interim lines ever in force and not reconciled by ``as_of``."""
    lines = interim_lines(ReportQuery(as_of, as_of, team), as_of).subquery()
    interim = (select(lines.c.case_id, lines.c.since, lines.c.reference)
               .where(lines.c.case_id.is_not(None)).subquery())
    d, other = SharedCareDiscussion, aliased(SharedCareDiscussion)
    latest = (select(func.max(other.closed_on))
              .where(other.delegation_case_id == DelegationCase.id, ~other.deleted,
                     other.closed_on <= day(as_of))
              .correlate(DelegationCase).scalar_subquery())
    stmt = (select(DelegationCase.id, interim.c.since, interim.c.reference, Person.given_name,
                   Person.family_name, Person.nhs_number, Person.team,
                   task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
                   d)
            .join(interim, interim.c.case_id == DelegationCase.id)
            .join(Person, Person.id == DelegationCase.person_id)
            .outerjoin(d, and_(d.delegation_case_id == DelegationCase.id, ~d.deleted,
                               d.closed_on == latest))
            .where(~DelegationCase.deleted, *in_team(team))
            .order_by(interim.c.since, by_name(Person.family_name),
                      by_name(Person.given_name), DelegationCase.id))
    cases: dict[str, PackCase] = {}
    for case_id, since, reference, given, family, nhs, person_team, task, closed in (
            session.execute(stmt)):
        if case_id in cases:  # two discussions closed the same day: the first is enough
            continue
        waited_from = closed.closed_on if closed is not None else since
        cases[case_id] = PackCase(
            RECONCILIATION, case_id, None, f"{given} {family}", format_nhs_number(nhs),
            person_team, task, waited_from, max(0, (as_of - waited_from).days),
            closed.question if closed else "", closed.options if closed else "",
            closed.funding_proposal if closed else "", closed.decision if closed else None,
            FUNDER_NAMES.get(Funder(closed.interim_funder) if closed else Funder.ICB), since,
            bool(closed and closed.escalated_to_mlcsu),
            reference or (closed.dispute_reference if closed else None), None, ())
    return list(cases.values())


def _splits(session: Session, case_ids: Sequence[str], as_of: dt.date
            ) -> dict[str, tuple[int, list[SplitLine]]]:
    """Case id → (plan version, its funding lines for that case) from the newest plan
    version, effective by ``as_of``, that has lines for it."""
    if not case_ids:
        return {}
    key = func.coalesce(FundingSplit.delegation_case_id, SupportPlan.delegation_case_id)
    lines_of = (select(FundingSplit, SupportPlan.version_number, key)
                .join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
                .where(~FundingSplit.deleted, ~SupportPlan.deleted,
                       SupportPlan.effective_from <= day(as_of)))
    newest = (select(key, func.max(SupportPlan.version_number))
              .select_from(FundingSplit).join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
              .where(~FundingSplit.deleted, ~SupportPlan.deleted,
                     SupportPlan.effective_from <= day(as_of), key.in_(case_ids))
              .group_by(key))
    wanted = [tuple(row) for row in session.execute(newest)]
    if not wanted:
        return {}
    result: dict[str, tuple[int, list[SplitLine]]] = defaultdict(lambda: (0, []))
    stmt = lines_of.where(tuple_(key, SupportPlan.version_number).in_(wanted))
    for split, version, case_id in session.execute(stmt):
        result[case_id] = (version, [*result[case_id][1], _split_line(split)])
    return dict(result)


def _split_line(split: FundingSplit) -> SplitLine:
    funder = Funder(split.funder)
    return SplitLine(split.funder, FUNDER_NAMES.get(funder, split.funder), split.pence_per_week,
                     split.free_to_person, split.lead_commissioner,
                     METHODS.get(split.method, split.method), split.interim_without_prejudice,
                     split.start_date)


def _with_split(case: PackCase, found: tuple[int, list[SplitLine]] | None) -> PackCase:
    if found is None:
        return case
    version, lines = found
    ordered = sorted(lines, key=lambda line: (line.funder != Funder.ICB.value, line.funder))
    return replace(case, plan_version_number=version, split=tuple(ordered))
