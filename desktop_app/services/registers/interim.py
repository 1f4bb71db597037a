"""Interim funding paid without prejudice, settled once the dispute is decided, and joint-
funding disputes routed to the Midlands & Lancashire CSU (framework §5, Part A "Escalation").

While the partners dispute the funding, the interim funder (Health, by default) pays the
whole of the delegation's funding lines "without prejudice"; once decided, the costs are
reconciled back to the start. ``interim_to_reconcile`` lists the delegations with interim
lines not yet reconciled, on any plan version, with what the interim funder has paid so
far: each line's weekly pence × the days it was in force (from the later of its plan
version's start and its own start date until the next version of the person's plan takes
effect, or today), summed exactly and divided by 7 once, rounded half up.

``reconcile_interim`` records who repays what for which period (an
``interim_reconciliation``), sets ``reconciled_on`` on every unreconciled interim line of the
delegation (the one column an issued plan line may still have set, once) and appends an
``INTERIM_RECONCILED`` event. ``record_csu_routed`` and ``record_csu_result`` record a
joint-funding dispute's way through the CSU, each an event too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEventKind, InterimReconciliation
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.services.core.audit import actor_name
from desktop_app.services.core.collation import name_key
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import ACTOR
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.checks import uk_day
from desktop_app.services.delegation.history import record_event
from desktop_app.services.framework.funding import FUNDER_NAMES, format_pounds
from desktop_app.services.framework.funding_checks import (
    check_date,
    check_funder,
    check_pence,
)
from desktop_app.services.framework.funding_money import round_half_up
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.registers.common import clean, person_name
from desktop_app.services.vault.task_types import task_name_sql

MAX_NOTES_LENGTH = 2000
MAX_CSU_RESULT_LENGTH = 4000
# The most any one repayment may be (far above any interim): keeps a typo out of the ledger.
MAX_REPAYMENT_PENCE = 100_000_000


@dataclass(frozen=True)
class InterimLine:
    """One interim funding line while it was in force: from ``starts`` until, not including,
    ``ends`` (None: it still runs)."""

    funder: Funder
    pence_per_week: int
    starts: dt.date
    ends: dt.date | None


def interim_paid(lines: Iterable[InterimLine], first: dt.date, last: dt.date) -> int:
    """What the interim funder paid for the days ``first`` to ``last`` (both included):
    each line's weekly pence × its days in force in them, summed, ÷ 7 and rounded once."""
    pence_days = 0
    for line in lines:
        start = max(line.starts, first)
        after = last + dt.timedelta(days=1)
        if line.ends is not None:
            after = min(after, line.ends)
        pence_days += line.pence_per_week * max(0, (after - start).days)
    return round_half_up(Fraction(pence_days, 7))


@dataclass(frozen=True)
class InterimToReconcileRow:
    """A delegation whose interim funding is not yet reconciled, for the Escalations screen.

    ``interim_from`` is the first day an interim line was in force, ``interim_until`` the
    last (None while one still runs); ``pence_per_week`` the newest interim lines' weekly
    total; ``paid_pence`` what the interim funder has paid up to today; ``age_days`` the days
    since the interim started. ``shares`` is the delegation's funding on its newest plan
    version (the agreed split once decided), what a fair repayment is worked out from;
    ``decided_on`` the day its shared care discussion closed (None while open or if none).
    """

    case_id: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    discussion_id: str | None
    decided_on: dt.date | None
    dispute_reference: str | None
    interim_funder: Funder
    interim_funder_name: str
    interim_from: dt.date
    interim_until: dt.date | None
    pence_per_week: int
    weekly: str
    paid_pence: int
    paid: str
    age_days: int
    lines: tuple[InterimLine, ...]
    shares: tuple[tuple[Funder, int], ...]

    @property
    def last_paid_day(self) -> dt.date:
        """The last day the interim was paid for, as of the row's making."""
        return self.interim_until or self.interim_from + dt.timedelta(days=self.age_days)

    def paid_for(self, first: dt.date, last: dt.date) -> int:
        """What the interim funder paid for the days ``first`` to ``last``."""
        return interim_paid(self.lines, first, last)

    def fair_shares(self, paid: int) -> dict[Funder, int]:
        """Each funder other than the interim funder's part of ``paid`` in the proportions
        of ``shares``, rounded half up (never adding up to more than ``paid``)."""
        total = sum(pence for _funder, pence in self.shares)
        if total == 0:
            return {}
        owed = {funder: round_half_up(Fraction(paid * pence, total))
                for funder, pence in self.shares if funder is not self.interim_funder}
        excess = sum(owed.values()) - paid
        for funder in sorted(owed, key=lambda f: -owed[f]):
            if excess <= 0:
                break
            cut = min(excess, owed[funder])
            owed[funder] -= cut
            excess -= cut
        return owed


def next_version_starts() -> ColumnElement[dt.date]:
    """When the next version of ``SupportPlan``'s person's plan takes effect (NULL for the
    newest): the same as ``plan_versions``' ``ends``, one index look-up per plan. Cheaper
    than the window when only a few lines are wanted (the interim ones)."""
    following = aliased(SupportPlan)
    return (select(following.effective_from)
            .where(following.person_id == SupportPlan.person_id,
                   following.version_number > SupportPlan.version_number, ~following.deleted)
            .order_by(following.version_number).limit(1)
            .correlate(SupportPlan).scalar_subquery())


def _case_key() -> ColumnElement[str | None]:
    return func.coalesce(FundingSplit.delegation_case_id, SupportPlan.delegation_case_id)


def _unreconciled(case_ids: Sequence[str] | None = None) -> Any:
    """The unreconciled interim lines (interim lines are few: found first)."""
    key = _case_key()
    stmt = (select(key, FundingSplit.funder, FundingSplit.pence_per_week,
                   FundingSplit.start_date, SupportPlan.effective_from, next_version_starts(),
                   SupportPlan.version_number, FundingSplit.dispute_reference)
            .join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
            .where(FundingSplit.interim_without_prejudice, FundingSplit.reconciled_on.is_(None),
                   ~FundingSplit.deleted, ~SupportPlan.deleted, key.is_not(None)))
    return stmt if case_ids is None else stmt.where(key.in_(case_ids))


@dataclass
class _CaseLines:
    lines: list[InterimLine]
    newest: int
    newest_pence: int
    reference: str | None


def _lines_by_case(session: Session, today: dt.date,
                   case_ids: Sequence[str] | None = None) -> dict[str, _CaseLines]:
    """Case id → its unreconciled interim lines that were in force by ``today``."""
    found: dict[str, _CaseLines] = {}
    for key, funder, pence, start, version_start, ends, version, reference in session.execute(
            _unreconciled(case_ids)):
        starts = max(start, version_start)
        if starts > today or (ends is not None and ends <= starts):
            continue  # not started yet, or superseded before it ever ran
        line = InterimLine(Funder(funder), int(pence), starts, ends)
        entry = found.setdefault(key, _CaseLines([], version, 0, reference))
        entry.lines.append(line)
        entry.reference = entry.reference or reference
        if version > entry.newest:
            entry.newest, entry.newest_pence = version, 0
        if version == entry.newest:
            entry.newest_pence += line.pence_per_week
    return found


def _newest_shares(session: Session, case_ids: Sequence[str]
                   ) -> dict[str, tuple[tuple[Funder, int], ...]]:
    """Case id → (funder, pence a week) of its lines on its newest plan version with any."""
    key = _case_key()
    stmt = (select(key, SupportPlan.version_number, FundingSplit.funder,
                   FundingSplit.pence_per_week)
            .join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
            .where(key.in_(case_ids), ~FundingSplit.deleted, ~SupportPlan.deleted))
    newest: dict[str, tuple[int, list[tuple[Funder, int]]]] = {}
    for case_id, version, funder, pence in session.execute(stmt):
        if case_id is None:
            continue
        kept = newest.get(case_id)
        if kept is None or version > kept[0]:
            newest[case_id] = kept = (version, [])
        if version == kept[0]:
            kept[1].append((Funder(funder), int(pence)))
    return {case_id: tuple(sorted(shares, key=lambda s: (s[0] is not Funder.ICB, s[0].value)))
            for case_id, (_version, shares) in newest.items()}


def _latest_discussions(session: Session, case_ids: Sequence[str]
                        ) -> dict[str, SharedCareDiscussion]:
    """Case id → its most recently opened shared care discussion."""
    latest: dict[str, SharedCareDiscussion] = {}
    for discussion in session.scalars(
            select(SharedCareDiscussion)
            .where(SharedCareDiscussion.delegation_case_id.in_(case_ids),
                   ~SharedCareDiscussion.deleted)
            .order_by(SharedCareDiscussion.opened_on, SharedCareDiscussion.created_at)):
        latest[discussion.delegation_case_id] = discussion
    return latest


def interim_to_reconcile(uow: UnitOfWork, today: dt.date) -> list[InterimToReconcileRow]:
    """Delegations with interim funding not yet reconciled, the longest running first."""
    with uow.read() as session:
        by_case = _lines_by_case(session, today)
        if not by_case:
            return []
        ids = list(by_case)
        cases = session.execute(
            select(DelegationCase.id, Person.id, Person.given_name, Person.family_name,
                   Person.nhs_number,
                   task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version))
            .join(Person, Person.id == DelegationCase.person_id)
            .where(DelegationCase.id.in_(ids), ~DelegationCase.deleted, ~Person.deleted)).all()
        shares = _newest_shares(session, ids)
        discussions = _latest_discussions(session, ids)
        rows = [_row(case, by_case[case[0]], shares.get(case[0], ()),
                     discussions.get(case[0]), today) for case in cases]
    return sorted(rows, key=lambda r: (r.interim_from, name_key(r.person_name), r.case_id))


def _row(case: Sequence[Any], found: _CaseLines, shares: tuple[tuple[Funder, int], ...],
         discussion: SharedCareDiscussion | None, today: dt.date) -> InterimToReconcileRow:
    lines = tuple(sorted(found.lines, key=lambda line: (line.starts, line.funder.value)))
    start = lines[0].starts
    ends = [line.ends for line in lines]
    until = None if None in ends or max(e for e in ends if e) > today else (
        max(e for e in ends if e) - dt.timedelta(days=1))
    funder = Funder(discussion.interim_funder) if discussion is not None else Funder.ICB
    paid = interim_paid(lines, start, today)
    return InterimToReconcileRow(
        case[0], case[1], person_name(case[2], case[3]), format_nhs_number(case[4]), case[5],
        None if discussion is None else discussion.id,
        None if discussion is None else discussion.closed_on,
        found.reference or (None if discussion is None else discussion.dispute_reference),
        funder, FUNDER_NAMES[funder], start, until, found.newest_pence,
        format_pounds(found.newest_pence), paid, format_pounds(paid),
        max(0, (today - start).days), lines, shares)


# ---------------------------------------------------------------- reconciling


@dataclass(frozen=True)
class ReconciledInterim:
    """What reconciling a delegation's interim funding recorded."""

    reconciliation_id: str
    case_id: str
    interim_pence: int
    repaid_pence: int
    lines_reconciled: int
    reconciled_on: dt.date


def repayment_field(funder: Funder) -> str:
    """The field a problem with this funder's repayment names."""
    return f"repayment_{funder.value}"


def _checked_repayments(repayments: Sequence[tuple[object, object]],
                        interim_funder: Funder) -> list[tuple[Funder, int]]:
    checked: list[tuple[Funder, int]] = []
    for funder_value, pence in repayments:
        funder = check_funder(funder_value, "repayments",
                              "Choose who repays: the ICB or one of the three councils.")
        field = repayment_field(funder)
        if funder is interim_funder:
            raise ValidationError(f"{FUNDER_NAMES[funder]} paid the interim funding, so it "
                                  "cannot repay it; choose another funder.", field=field)
        if any(f is funder for f, _ in checked):
            raise ValidationError("Give each funder's repayment once.", field=field)
        checked.append((funder, check_pence(pence, field, f"{FUNDER_NAMES[funder]}'s "
                                            "repayment", 0, MAX_REPAYMENT_PENCE)))
    return checked


def _check_days(period_from: dt.date, period_to: dt.date, reconciled_on: dt.date,
                today: dt.date) -> None:
    check_date(period_from, "period_from", "the first day of the period")
    check_date(period_to, "period_to", "the last day of the period")
    check_date(reconciled_on, "reconciled_on", "the day the interim was reconciled")
    if period_to < period_from:
        raise ValidationError("The period ends before it starts; please check the dates.",
                              field="period_to")
    if period_to > today:
        raise ValidationError("The period cannot end after today: only the days already paid "
                              "for can be reconciled.", field="period_to")
    if reconciled_on > today:
        raise ValidationError("That date has not come yet; please check it.",
                              field="reconciled_on")
    if reconciled_on < period_to:
        raise ValidationError("The reconciliation cannot be dated before the last day of the "
                              "period it settles.", field="reconciled_on")


def reconcile_interim(uow: UnitOfWork, case_id: str, period_from: dt.date,
                      period_to: dt.date, repayments: Sequence[tuple[Funder, int]],
                      notes: str | None, reconciled_on: dt.date,
                      today: dt.date) -> ReconciledInterim:
    """Settle the delegation's interim funding for ``period_from``..``period_to`` (both
    included): who repays the interim funder how much (module docstring). Refused while its
    shared care discussion is still open, for a period outside the interim's days or not
    yet over, and for repayments by the interim funder itself or above what it paid."""
    require(uow, Permission.CLOSE_DISCUSSION)
    _check_days(period_from, period_to, reconciled_on, today)
    text = clean(notes) or None
    if text is not None and len(text) > MAX_NOTES_LENGTH:
        raise ValidationError(f"Keep the notes under {MAX_NOTES_LENGTH:,} characters.",
                              field="notes")
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id)
        found = _lines_by_case(session, today, [case_id]).get(case_id)
        if case is None or case.deleted or found is None:
            raise NotFound("This delegation has no interim funding left to reconcile.")
        discussion = _latest_discussions(session, [case_id]).get(case_id)
        if discussion is not None and discussion.closed_on is None:
            raise ValidationError("The shared care discussion about this delegation is still "
                                  "open: close it with its decision before reconciling the "
                                  "interim funding.")
        interim_funder = (Funder(discussion.interim_funder) if discussion is not None
                          else Funder.ICB)
        _check_within(found.lines, period_from, period_to)
        checked = _checked_repayments(repayments, interim_funder)
        paid = interim_paid(found.lines, period_from, period_to)
        repaid = sum(pence for _funder, pence in checked)
        if repaid > paid:
            raise ValidationError(
                f"The repayments add up to {format_pounds(repaid)}, more than the "
                f"{format_pounds(paid)} the interim funder paid for the period.",
                field="repayments")
        paid_back = [{"funder": f.value, "pence": p} for f, p in checked if p > 0]
        record = InterimReconciliation(
            delegation_case_id=case.id, discussion_id=None if discussion is None
            else discussion.id, interim_funder=interim_funder.value, period_from=period_from,
            period_to=period_to, interim_pence=paid, repayments=paid_back,
            reconciled_on=reconciled_on,
            recorded_by_name=actor_name(session, session.info[ACTOR]), notes=text)
        session.add(record)
        lines = _open_lines(session, case.id)
        for line in lines:
            line.reconciled_on = reconciled_on
        session.flush()
        record_event(session, case, CaseEventKind.INTERIM_RECONCILED, reconciled_on,
                     reasons=[text] if text else [], detail={
                         "reconciliation_id": record.id, "period_from": period_from.isoformat(),
                         "period_to": period_to.isoformat(),
                         "interim_funder": interim_funder.value, "interim_pence": paid,
                         "repayments": paid_back, "lines_reconciled": len(lines)})
        return ReconciledInterim(record.id, case.id, paid, repaid, len(lines), reconciled_on)


def _check_within(lines: Sequence[InterimLine], period_from: dt.date,
                  period_to: dt.date) -> None:
    """The period is the whole interim, from its first day to its last: ``reconciled_on``
    is set on every interim line of the delegation, so a part reconciled would hide the
    rest from the list and the funding report. Refused while the interim is still paid."""
    first = min(line.starts for line in lines)
    ends = [line.ends for line in lines]
    if None in ends:
        raise ValidationError(
            f"Health is still paying this without prejudice (since {uk_day(first)}): "
            "reconcile once the interim has ended, when the shared care discussion's split "
            "takes over or the delegation ends.", field="period_to")
    last = max(e for e in ends if e is not None) - dt.timedelta(days=1)
    if period_from != first:
        raise ValidationError(f"The interim funding started on {uk_day(first)}: reconcile it "
                              "from that day, the whole of it at once.", field="period_from")
    if period_to != last:
        raise ValidationError(f"The interim funding ended on {uk_day(last)}: reconcile it up "
                              "to that day, the whole of it at once.", field="period_to")


def _open_lines(session: Session, case_id: str) -> list[FundingSplit]:
    """Every unreconciled interim line of the case, on every plan version."""
    key = _case_key()
    return list(session.scalars(
        select(FundingSplit).join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
        .where(key == case_id, FundingSplit.interim_without_prejudice,
               FundingSplit.reconciled_on.is_(None), ~FundingSplit.deleted,
               ~SupportPlan.deleted)))


# ---------------------------------------------------------------- the CSU


def _open_discussion(session: Session, discussion_id: str) -> SharedCareDiscussion:
    discussion = session.get(SharedCareDiscussion, discussion_id)
    if discussion is None or discussion.deleted:
        raise NotFound("That shared care discussion is no longer there.")
    if discussion.closed_on is not None:
        raise ValidationError("This discussion has already been closed.")
    return discussion


def _check_day(on: dt.date, today: dt.date, after: dt.date, after_what: str) -> None:
    check_date(on, "on", "the date")
    if on > today:
        raise ValidationError("That date has not come yet; please check it.", field="on")
    if on < after:
        raise ValidationError(f"That date is before {after_what} ({uk_day(after)}); please "
                              "check it.", field="on")


def record_csu_routed(uow: UnitOfWork, discussion_id: str, on: dt.date,
                      today: dt.date) -> None:
    """The discussion's joint-funding dispute was routed to the Midlands & Lancashire CSU on
    ``on``. Only a dispute about a jointly funded delegation goes there (hazard H-013)."""
    require(uow, Permission.CLOSE_DISCUSSION)
    with uow.begin() as session:
        discussion = _open_discussion(session, discussion_id)
        if not discussion.escalated_to_mlcsu:
            raise ValidationError("Only disputes about joint funding go to the Midlands & "
                                  "Lancashire CSU; this one is for the shared care discussion "
                                  "and the IPCB.")
        if discussion.csu_routed_on is not None:
            raise ValidationError("This dispute was already recorded as routed to the CSU on "
                                  f"{uk_day(discussion.csu_routed_on)}.")
        _check_day(on, today, discussion.opened_on, "the discussion opened")
        discussion.csu_routed_on = on
        case = session.get_one(DelegationCase, discussion.delegation_case_id)
        record_event(session, case, CaseEventKind.CSU_ROUTED, on, detail={
            "discussion_id": discussion.id,
            "dispute_reference": discussion.dispute_reference})


def record_csu_result(uow: UnitOfWork, discussion_id: str, result_text: str, on: dt.date,
                      today: dt.date) -> None:
    """The CSU's result on the discussion's dispute, received on ``on``."""
    require(uow, Permission.CLOSE_DISCUSSION)
    text = clean(result_text)
    if not text:
        raise ValidationError("Write down the CSU's result.", field="result")
    if len(text) > MAX_CSU_RESULT_LENGTH:
        raise ValidationError(f"Keep the result under {MAX_CSU_RESULT_LENGTH:,} characters.",
                              field="result")
    with uow.begin() as session:
        discussion = _open_discussion(session, discussion_id)
        if discussion.csu_routed_on is None:
            raise ValidationError("Record that the dispute was routed to the CSU before its "
                                  "result.")
        if discussion.csu_result_on is not None:
            raise ValidationError("The CSU's result was already recorded on "
                                  f"{uk_day(discussion.csu_result_on)}.")
        _check_day(on, today, discussion.csu_routed_on, "the dispute was routed to the CSU")
        discussion.csu_result, discussion.csu_result_on = text, on
        case = session.get_one(DelegationCase, discussion.delegation_case_id)
        record_event(session, case, CaseEventKind.CSU_RESULT, on, reasons=[text], detail={
            "discussion_id": discussion.id,
            "dispute_reference": discussion.dispute_reference})

