"""The registers: reviews due, competency, escalations and case examples (issue 4, items 5-8).

One small read function per register, with the filtering and sorting done in SQL, and one
function per write so a role check can wrap each later. Every function opens one unit of
work and returns frozen rows; no ORM object leaves it. No Qt here.

How a review is recorded (framework §2 S11; the dates are ``review_schedule``'s):

- The nurse chooses an outcome and answers the three S11 questions. The flow decides what
  the answers mean: all "yes" lets the delegation continue; any "no" means the task
  returns to Health, so "continue" or "change of need" with a "no" answer is refused. A
  nurse may still withdraw with three "yes" answers (the provider pulled out, the person
  moved): the notes are then the reason.
- ``continue``: the next review is due 12 months after the day the review was done.
- ``change_of_need``: the review being recorded *is* the change-of-need review, so no
  second review due the same day is made. The case stays active with its next annual
  review 12 months later, and the done review with outcome ``change_of_need`` is the flag
  that an MDT must agree a new plan: ``changes_of_need_awaiting_mdt`` lists every such case
  until an MDT decision is recorded on or after that day.
- ``withdraw``: the case becomes ``withdrawn`` with outcome ``WITHDRAWN`` and the reasons,
  its current competency sign-offs are suspended and no review follows.
- Other outstanding reviews of the case that the done review covers (due on or before the
  day it was done, and any earlier-scheduled annual review, which the new one replaces)
  are tombstoned, so the register never shows two clocks for one case; a three-month
  review due later still stands (a change of need does not replace it). A withdrawal
  tombstones them all.
"""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, String, cast, exists, func, literal, or_, select
from sqlalchemy.orm import Session, aliased

from desktop_app.models.case_example import CaseExample
from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review, ReviewKind, ReviewOutcome
from desktop_app.models.task_type import TaskCategory, TaskType
from desktop_app.services.audit import actor_name
from desktop_app.services.catalogue import load_catalogue, task_name_sql
from desktop_app.services.delegation import plan_without, uk_day
from desktop_app.services.errors import NotFound, ValidationError
from desktop_app.services.flow import (
    CONTINUE,
    Flow,
    FlowResult,
    check_answer_types,
    current_flow,
    evaluate_review,
)
from desktop_app.services.funding import FUNDER_NAMES, format_pounds
from desktop_app.services.identifiers import format_nhs_number
from desktop_app.services.outcomes import describe
from desktop_app.services.review_schedule import ReviewStatus, next_review, review_status
from desktop_app.services.roles import Permission, require
from desktop_app.services.tracking import ACTOR, tombstone
from desktop_app.services.uow import UnitOfWork

DUE_WITHIN_DAYS = 30
EXPIRING_WITHIN_DAYS = 60
MAX_THEME_LENGTH = 40
# Reviews matter while the arrangement runs; a suspended one (consent withdrawn) too.
LIVE_CASE_STATUSES = (CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value)


@lru_cache(maxsize=1)
def task_categories() -> tuple[tuple[str, str], ...]:
    """The catalogue's task categories as (code, label), for filters and display."""
    return tuple((cat.code, cat.label) for cat in load_catalogue().categories)


def _name(given: str, family: str) -> str:
    return f"{given} {family}"


def _clean(text: str | None) -> str:
    return " ".join((text or "").split())


def _like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"


# ---------------------------------------------------------------- reviews due


@dataclass(frozen=True)
class ReviewDueRow:
    """A review not yet done, due soon or overdue; ``days_overdue`` < 0 is days left."""

    review_id: str
    case_id: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_code: str
    task_name: str
    kind: ReviewKind
    due_on: dt.date
    days_overdue: int
    status: ReviewStatus


def reviews_due(uow: UnitOfWork, today: dt.date,
                within_days: int = DUE_WITHIN_DAYS) -> list[ReviewDueRow]:
    """Reviews of running delegations overdue or due within ``within_days``, most overdue first.

    Sorting by due date puts every overdue review first, the longest overdue at the top.
    """
    if within_days < 0:
        raise ValidationError("The number of days ahead cannot be negative.", field="within_days")
    horizon = today + dt.timedelta(days=within_days)
    stmt = (
        select(Review.id, Review.delegation_case_id, Person.id, Person.given_name,
               Person.family_name, Person.nhs_number, DelegationCase.task_code,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               Review.kind, Review.due_on)
        .join(DelegationCase, DelegationCase.id == Review.delegation_case_id)
        .join(Person, Person.id == Review.person_id)
        .where(Review.done_on.is_(None), ~Review.deleted, Review.due_on <= horizon,
               ~DelegationCase.deleted, DelegationCase.status.in_(LIVE_CASE_STATUSES),
               ~Person.deleted)
        .order_by(Review.due_on, Person.family_name, Person.given_name, Review.id))
    with uow.read() as session:
        return [ReviewDueRow(r[0], r[1], r[2], _name(r[3], r[4]), format_nhs_number(r[5]), r[6],
                             r[7], ReviewKind(r[8]), r[9], (today - r[9]).days,
                             review_status(r[9], today))
                for r in session.execute(stmt)]


@dataclass(frozen=True)
class LookAgainRow:
    """A task not delegated (yet) with a date to look again, due soon or passed."""

    case_id: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    outcome_title: str
    reconsider_on: dt.date
    days_overdue: int
    status: ReviewStatus


def look_again_due(uow: UnitOfWork, today: dt.date,
                   within_days: int = DUE_WITHIN_DAYS) -> list[LookAgainRow]:
    """Decisions not to delegate yet whose "look again on" date is passed or near, until a
    newer delegation of the same task for the person is started (hazard H-023).

    The outcome page promises these appear beside the reviews due; without this list the
    date was stored and never shown again.
    """
    if within_days < 0:
        raise ValidationError("The number of days ahead cannot be negative.", field="within_days")
    later = aliased(DelegationCase)
    newer = exists().where(later.person_id == DelegationCase.person_id,
                           later.task_code == DelegationCase.task_code, ~later.deleted,
                           later.id != DelegationCase.id,
                           later.created_at > DelegationCase.created_at)
    stmt = (
        select(DelegationCase.id, Person.id, Person.given_name, Person.family_name,
               Person.nhs_number,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               DelegationCase.outcome_code, DelegationCase.reconsider_on)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(DelegationCase.reconsider_on.is_not(None),
               DelegationCase.reconsider_on <= today + dt.timedelta(days=within_days),
               DelegationCase.status == CaseStatus.DECIDED.value, ~DelegationCase.deleted,
               ~Person.deleted, ~newer)
        .order_by(DelegationCase.reconsider_on, Person.family_name, Person.given_name))
    with uow.read() as session:
        rows = session.execute(stmt).all()
    return [LookAgainRow(r[0], r[1], _name(r[2], r[3]), format_nhs_number(r[4]), r[5],
                         describe(r[6]).title if r[6] else "", r[7], (today - r[7]).days,
                         review_status(r[7], today))
            for r in rows if r[7] is not None]


@dataclass(frozen=True)
class RecordedReview:
    """What recording a review did; ``next_review_on`` is None once the task is withdrawn."""

    review_id: str
    case_id: str
    outcome: ReviewOutcome
    flow_outcome: str
    reasons: tuple[str, ...]
    next_review_on: dt.date | None
    next_review_id: str | None
    mdt_needed: bool
    sign_offs_suspended: int
    reviews_superseded: int


def record_review(uow: UnitOfWork, review_id: str, done_on: dt.date,
                  outcome: ReviewOutcome | str, stable: bool, competence_current: bool,
                  serious_incident: bool, notes: str | None, today: dt.date, *,
                  flow: Flow | None = None) -> RecordedReview:
    """Record a review as done and act on it (see the module docstring), in one transaction."""
    require(uow, Permission.RECORD_REVIEW)
    chosen = _review_outcome(outcome)
    text = _clean(notes)
    if not all(isinstance(a, bool) for a in (stable, competence_current, serious_incident)):
        raise ValidationError("Answer all three review questions yes or no.", field="answers")
    s11 = {"still_stable": stable, "competence_current": competence_current,
           "no_serious_incident": not serious_incident, "no_reason": text or None}
    used_flow = flow or current_flow()
    check_answer_types(used_flow, {"S11": s11})
    result = evaluate_review(used_flow, {"S11": s11})
    _check_outcome_agrees(chosen, result, text)
    with uow.begin() as session:
        review, case = _outstanding_review(session, review_id)
        _check_done_on(done_on, case, today)
        review.done_on, review.outcome, review.notes = done_on, chosen.value, text or None
        review.stable, review.competence_current = stable, competence_current
        review.serious_incident = serious_incident
        if chosen is ReviewOutcome.WITHDRAW:
            return _withdraw(session, review, case, result, s11, text)
        if competence_current:
            _check_competence_current(session, case, done_on)
        return _carry_on(session, review, case, chosen, result)


def _check_competence_current(session: Session, case: DelegationCase, on: dt.date) -> None:
    """"Competence current" at a review agrees with the competency register (hazard H-005):
    refused while a current sign-off of the case needed its refresher before ``on``."""
    lapsed = session.execute(
        select(CareWorker.given_name, CareWorker.family_name, CompetencySignOff.refresher_due)
        .join(CareWorker, CareWorker.id == CompetencySignOff.worker_id)
        .where(CompetencySignOff.delegation_case_id == case.id, ~CompetencySignOff.deleted,
               CompetencySignOff.status == SignOffStatus.CURRENT.value,
               CompetencySignOff.refresher_due < on)
        .order_by(CompetencySignOff.refresher_due)).first()
    if lapsed is not None:
        raise ValidationError(
            f"The competency register shows {_name(lapsed[0], lapsed[1])}'s sign-off needed "
            f"its refresher by {uk_day(lapsed[2])}: competence is not current. "
            "Answer No (or withdraw that sign-off in the competency register first).",
            field="competence_current")


def _review_outcome(outcome: ReviewOutcome | str) -> ReviewOutcome:
    try:
        return ReviewOutcome(outcome)
    except ValueError:
        raise ValidationError("Choose the outcome: continue, change of need or withdraw.",
                              field="outcome") from None


def _check_outcome_agrees(chosen: ReviewOutcome, result: FlowResult, notes: str) -> None:
    if not result.decided:
        raise ValidationError("Say what changed: these answers mean the task returns to Health.",
                              field="notes")
    if result.outcome != CONTINUE and chosen is not ReviewOutcome.WITHDRAW:
        raise ValidationError("These answers mean the task returns to Health: record the "
                              "review as Withdraw.", field="outcome")
    if chosen is ReviewOutcome.CHANGE_OF_NEED and not notes:
        raise ValidationError("Describe the change of need in the notes.", field="notes")
    if chosen is ReviewOutcome.WITHDRAW and not notes:
        raise ValidationError("Give the reason for withdrawing the task in the notes.",
                              field="notes")


def _outstanding_review(session: Session, review_id: str) -> tuple[Review, DelegationCase]:
    review = session.get(Review, review_id)
    if review is None or review.deleted:
        raise NotFound("That review is no longer there.")
    if review.done_on is not None:
        raise ValidationError("This review has already been recorded.")
    case = session.get(DelegationCase, review.delegation_case_id)
    if case is None or case.deleted:
        raise NotFound("That delegation is no longer there.")
    if case.status not in LIVE_CASE_STATUSES:
        raise ValidationError("This delegation is no longer running, so it has no reviews.")
    return review, case


def _check_done_on(done_on: dt.date, case: DelegationCase, today: dt.date) -> None:
    if done_on > today:
        raise ValidationError("That date has not come yet; please check it.", field="done_on")
    start = case.started_on or case.decided_on
    if start is not None and done_on < start:
        raise ValidationError("That date is before the delegation started.", field="done_on")


def _supersede(session: Session, case_id: str, done: Review, everything: bool) -> int:
    """Tombstone the case's other outstanding reviews that ``done`` covers (or all)."""
    others = session.scalars(select(Review).where(
        Review.delegation_case_id == case_id, Review.id != done.id, Review.done_on.is_(None),
        ~Review.deleted))
    covered = [r for r in others if everything or r.kind == ReviewKind.ANNUAL.value
               or (done.done_on is not None and r.due_on <= done.done_on)]
    for review in covered:
        tombstone(session, review)
    return len(covered)


def _carry_on(session: Session, review: Review, case: DelegationCase, chosen: ReviewOutcome,
              result: FlowResult) -> RecordedReview:
    assert review.done_on is not None
    scheduled = next_review(review.done_on, chosen, ReviewKind(review.kind))
    assert scheduled is not None  # only a withdrawal ends the schedule
    superseded = _supersede(session, case.id, review, everything=False)
    review.next_review_on = scheduled.due_on
    following = Review(delegation_case_id=case.id, person_id=case.person_id,
                       due_on=scheduled.due_on, kind=scheduled.kind.value)
    session.add(following)
    session.flush()
    return RecordedReview(review.id, case.id, chosen, str(result.outcome), result.reasons,
                          scheduled.due_on, following.id,
                          chosen is ReviewOutcome.CHANGE_OF_NEED, 0, superseded)


def _withdraw(session: Session, review: Review, case: DelegationCase, result: FlowResult,
              s11: dict[str, Any], notes: str) -> RecordedReview:
    reasons = (list(result.reasons) if result.outcome != CONTINUE else []) + [notes]
    case.status = CaseStatus.WITHDRAWN.value
    case.outcome_code = OutcomeCode.WITHDRAWN.value
    case.outcome_reasons = reasons  # a new list: JSON changes are tracked by assignment
    case.answers = {**case.answers, "S11": dict(s11)}
    case.flow_version = result.flow_version
    case.decided_on = review.done_on
    review.next_review_on = None
    sign_offs = list(session.scalars(select(CompetencySignOff).where(
        CompetencySignOff.delegation_case_id == case.id, ~CompetencySignOff.deleted,
        CompetencySignOff.status == SignOffStatus.CURRENT.value)))
    for sign_off in sign_offs:
        sign_off.status = SignOffStatus.SUSPENDED.value
    superseded = _supersede(session, case.id, review, everything=True)
    # The task leaves the support plan and its funding ends with it (hazards H-008,
    # H-014); the partners must reconsider the funding, so the case says from when.
    plan_version = plan_without(session, case, review.done_on or review.due_on,
                                actor_name(session, session.info[ACTOR]))
    if plan_version is not None and _had_funding(session, case.id):
        case.funding_reconsider_from = review.done_on
    session.flush()
    return RecordedReview(review.id, case.id, ReviewOutcome.WITHDRAW,
                          OutcomeCode.WITHDRAWN.value, tuple(reasons), None, None, False,
                          len(sign_offs), superseded)


def _had_funding(session: Session, case_id: str) -> bool:
    """True if any plan line ever paid for this case's time (a weekly amount above nil)."""
    return bool(session.scalar(select(func.count()).select_from(FundingSplit).where(
        FundingSplit.delegation_case_id == case_id, ~FundingSplit.deleted,
        FundingSplit.pence_per_week > 0)))


@dataclass(frozen=True)
class ChangeOfNeedRow:
    """A running delegation whose last review found a change of need, awaiting the MDT."""

    case_id: str
    review_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    recorded_on: dt.date
    days_waiting: int


def changes_of_need_awaiting_mdt(uow: UnitOfWork, today: dt.date) -> list[ChangeOfNeedRow]:
    """Cases flagged by a change-of-need review with no MDT decision since, longest first."""
    later = aliased(Review)
    newer_review = exists().where(
        later.delegation_case_id == Review.delegation_case_id, ~later.deleted,
        later.done_on > Review.done_on)
    mdt_since = exists().where(MdtDecision.delegation_case_id == Review.delegation_case_id,
                               ~MdtDecision.deleted, MdtDecision.met_on >= Review.done_on)
    stmt = (
        select(DelegationCase.id, Review.id, Person.given_name, Person.family_name,
               Person.nhs_number,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               Review.done_on)
        .join(DelegationCase, DelegationCase.id == Review.delegation_case_id)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(Review.outcome == ReviewOutcome.CHANGE_OF_NEED.value, ~Review.deleted,
               ~DelegationCase.deleted, DelegationCase.status.in_(LIVE_CASE_STATUSES),
               ~newer_review, ~mdt_since)
        .order_by(Review.done_on, Person.family_name))
    with uow.read() as session:
        rows = session.execute(stmt).all()
    return [ChangeOfNeedRow(r[0], r[1], _name(r[2], r[3]), format_nhs_number(r[4]), r[5],
                            r[6], (today - r[6]).days) for r in rows if r[6] is not None]


@dataclass(frozen=True)
class FundingToReconsiderRow:
    """A delegation that ended with funding lines: the joint meeting must reconsider who
    pays now the task is back with Health (a new CHC Checklist if needs rose)."""

    case_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    ended_on: dt.date
    days_waiting: int


def funding_to_reconsider(uow: UnitOfWork, today: dt.date) -> list[FundingToReconsiderRow]:
    """Ended delegations whose funding nobody has yet reconsidered, longest waiting first."""
    since = DelegationCase.funding_reconsider_from
    stmt = (
        select(DelegationCase.id, Person.given_name, Person.family_name, Person.nhs_number,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               since)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(since.is_not(None), DelegationCase.funding_reconsidered_on.is_(None),
               ~DelegationCase.deleted, ~Person.deleted)
        .order_by(since, Person.family_name, Person.given_name))
    with uow.read() as session:
        return [FundingToReconsiderRow(r[0], _name(r[1], r[2]), format_nhs_number(r[3]), r[4],
                                       r[5], max(0, (today - r[5]).days))
                for r in session.execute(stmt) if r[5] is not None]


def record_funding_reconsidered(uow: UnitOfWork, case_id: str, on: dt.date,
                                today: dt.date) -> None:
    """The joint meeting reconsidered an ended delegation's funding on ``on``."""
    require(uow, Permission.CLOSE_DISCUSSION)
    if on > today:
        raise ValidationError("That date has not come yet; please check it.", field="on")
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id)
        if case is None or case.deleted or case.funding_reconsider_from is None:
            raise NotFound("That delegation has no funding waiting to be reconsidered.")
        if case.funding_reconsidered_on is not None:
            raise ValidationError("This funding has already been reconsidered.")
        if on < case.funding_reconsider_from:
            raise ValidationError("The funding cannot be reconsidered before the delegation "
                                  "ended; please check the date.", field="on")
        case.funding_reconsidered_on = on


# ---------------------------------------------------------------- competency register


class Expiry(enum.StrEnum):
    """Whether a sign-off's refresher date has passed, is near (≤ 60 days) or is not near."""

    EXPIRED = "expired"
    EXPIRING = "expiring"
    OK = "ok"


def expiry_of(refresher_due: dt.date, today: dt.date) -> Expiry:
    """Expired the day after the refresher date; expiring from 60 days before it."""
    if refresher_due < today:
        return Expiry.EXPIRED
    if (refresher_due - today).days <= EXPIRING_WITHIN_DAYS:
        return Expiry.EXPIRING
    return Expiry.OK


@dataclass(frozen=True)
class CompetencyRow:
    """One worker's sign-off for one person and task, with how close its refresher is."""

    sign_off_id: str
    worker_id: str
    worker_name: str
    provider_name: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_code: str
    task_name: str
    training_level: int
    signed_off_on: dt.date
    refresher_due: dt.date
    days_to_refresher: int
    status: SignOffStatus
    expiry: Expiry
    delegation_case_id: str | None


def competency_register(uow: UnitOfWork, today: dt.date) -> list[CompetencyRow]:
    """Every sign-off, by refresher date (so the expired come first, longest expired on top)."""
    stmt = (
        select(CompetencySignOff.id, CareWorker.id, CareWorker.given_name,
               CareWorker.family_name, CareProvider.name, Person.id, Person.given_name,
               Person.family_name, Person.nhs_number, CompetencySignOff.task_code,
               task_name_sql(CompetencySignOff.task_code), CompetencySignOff.training_level,
               CompetencySignOff.signed_off_on, CompetencySignOff.refresher_due,
               CompetencySignOff.status, CompetencySignOff.delegation_case_id)
        .join(CareWorker, CareWorker.id == CompetencySignOff.worker_id)
        .join(CareProvider, CareProvider.id == CareWorker.provider_id)
        .join(Person, Person.id == CompetencySignOff.person_id)
        .where(~CompetencySignOff.deleted, ~CareWorker.deleted, ~Person.deleted)
        .order_by(CompetencySignOff.refresher_due, CareWorker.family_name,
                  CareWorker.given_name, Person.family_name, CompetencySignOff.id))
    with uow.read() as session:
        return [CompetencyRow(r[0], r[1], _name(r[2], r[3]), r[4], r[5], _name(r[6], r[7]),
                              format_nhs_number(r[8]), r[9], r[10], r[11], r[12], r[13],
                              (r[13] - today).days, SignOffStatus(r[14]),
                              expiry_of(r[13], today), r[15])
                for r in session.execute(stmt)]


def withdraw_sign_off(uow: UnitOfWork, sign_off_id: str, reason: str) -> None:
    """Withdraw a worker's sign-off for good, with the reason (a new sign-off is needed)."""
    require(uow, Permission.MANAGE_COMPETENCY)
    text = _clean(reason)
    if not text:
        raise ValidationError("Give the reason for withdrawing the sign-off.", field="reason")
    with uow.begin() as session:
        sign_off = session.get(CompetencySignOff, sign_off_id)
        if sign_off is None or sign_off.deleted:
            raise NotFound("That sign-off is no longer there.")
        if sign_off.status == SignOffStatus.WITHDRAWN.value:
            raise ValidationError("This sign-off has already been withdrawn.")
        sign_off.status = SignOffStatus.WITHDRAWN.value
        sign_off.withdrawn_reason = text


# ---------------------------------------------------------------- escalations


class WaitingFor(enum.StrEnum):
    """What an open shared care discussion is waiting for."""

    MDT_CONSENSUS = "mdt_consensus"
    FUNDING_DECISION = "funding_decision"


@dataclass(frozen=True)
class EscalationRow:
    """An open shared care discussion, for the partners' two-weekly joint meeting."""

    discussion_id: str
    case_id: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_code: str
    task_name: str
    question: str
    waiting_for: WaitingFor
    opened_on: dt.date
    days_waiting: int
    interim_funder: Funder
    interim_funder_name: str
    interim_from: dt.date | None
    interim_pence_per_week: int | None
    interim_weekly: str
    escalated_to_mlcsu: bool
    dispute_reference: str | None
    themes: tuple[str, ...]


def _interim_pence() -> ColumnElement[int | None]:
    """The weekly cost paid without prejudice: the unreconciled interim lines of the case's
    latest plan version (the interim funder pays all of it until the decision)."""
    newest = aliased(SupportPlan)
    latest_version = (select(func.max(newest.version_number))
                      .where(newest.delegation_case_id == DelegationCase.id, ~newest.deleted)
                      .correlate(DelegationCase).scalar_subquery())
    return (select(func.sum(FundingSplit.pence_per_week))
            .join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
            .where(SupportPlan.delegation_case_id == DelegationCase.id, ~SupportPlan.deleted,
                   SupportPlan.version_number == latest_version, ~FundingSplit.deleted,
                   FundingSplit.interim_without_prejudice, FundingSplit.reconciled_on.is_(None))
            .correlate(DelegationCase).scalar_subquery())


def escalations(uow: UnitOfWork, today: dt.date) -> list[EscalationRow]:
    """Open shared care discussions, the longest waiting first."""
    d = SharedCareDiscussion
    stmt = (
        select(d.id, DelegationCase.id, Person.id, Person.given_name, Person.family_name,
               Person.nhs_number, DelegationCase.task_code,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               d.question, d.opened_on, d.interim_funder, d.interim_from,
               func.coalesce(_interim_pence(), d.interim_pence_per_week),
               d.escalated_to_mlcsu, d.dispute_reference, d.themes)
        .join(DelegationCase, DelegationCase.id == d.delegation_case_id)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(d.closed_on.is_(None), ~d.deleted, ~DelegationCase.deleted, ~Person.deleted)
        .order_by(d.opened_on, Person.family_name, Person.given_name, d.id))
    with uow.read() as session:
        return [_escalation_row(r, today) for r in session.execute(stmt)]


def _escalation_row(r: Sequence[Any], today: dt.date) -> EscalationRow:
    funder = Funder(r[10])
    themes = tuple(str(t) for t in (r[15] or ()))
    funding = bool(r[13]) or "funding" in themes
    pence = None if r[12] is None else int(r[12])
    return EscalationRow(
        r[0], r[1], r[2], _name(r[3], r[4]), format_nhs_number(r[5]), r[6], r[7], r[8],
        WaitingFor.FUNDING_DECISION if funding else WaitingFor.MDT_CONSENSUS, r[9],
        max(0, (today - r[9]).days), funder, FUNDER_NAMES[funder], r[11], pence,
        "" if pence is None else format_pounds(pence), bool(r[13]), r[14], themes)


@dataclass(frozen=True)
class ClosedDiscussion:
    """A shared care discussion closed with its decision, and the case example made, if any."""

    discussion_id: str
    closed_on: dt.date
    case_example_id: str | None


def normalise_themes(themes: Iterable[str]) -> list[str]:
    """Short lower-case tags, each once, in the order given; ValidationError if too long."""
    tags: list[str] = []
    for theme in themes:
        tag = _clean(theme).lower()
        if len(tag) > MAX_THEME_LENGTH:
            raise ValidationError(f"Keep each theme under {MAX_THEME_LENGTH} characters.",
                                  field="themes")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def close_discussion(uow: UnitOfWork, discussion_id: str, decision: str, themes: Iterable[str],
                     closed_on: dt.date, make_case_example: bool, *,
                     outcome: OutcomeCode | None = None,
                     today: dt.date | None = None) -> ClosedDiscussion:
    """Record the shared care decision and, if asked, an anonymised case example from it.

    The example's summary is the decision text alone, so it is refused (and nothing is
    recorded) if that text names the person or a contact, or gives their NHS number or
    date of birth. ``outcome`` is the example's outcome code (default: the case's own).
    """
    require(uow, Permission.CLOSE_DISCUSSION)
    text = _clean(decision)
    if not text:
        raise ValidationError("Write down the decision.", field="decision")
    tags = normalise_themes(themes)
    if closed_on > (today or dt.date.today()):
        raise ValidationError("That date has not come yet; please check it.", field="closed_on")
    with uow.begin() as session:
        discussion = session.get(SharedCareDiscussion, discussion_id)
        if discussion is None or discussion.deleted:
            raise NotFound("That shared care discussion is no longer there.")
        if discussion.closed_on is not None:
            raise ValidationError("This discussion has already been closed.")
        if closed_on < discussion.opened_on:
            raise ValidationError("That date is before the discussion was opened.",
                                  field="closed_on")
        case = session.get_one(DelegationCase, discussion.delegation_case_id)
        discussion.decision, discussion.closed_on = text, closed_on
        discussion.themes = tags or list(discussion.themes)
        example_id = None
        if make_case_example:
            _refuse_identifying(text, session.get_one(Person, case.person_id))
            example = CaseExample(
                task_category=_task_category(session, case), task_code=case.task_code,
                themes=list(discussion.themes), summary=text,
                outcome_code=(outcome or case.outcome_code
                              or OutcomeCode.ESCALATED_SHARED_CARE.value),
                decided_on=closed_on, source_discussion_id=discussion.id)
            session.add(example)
            session.flush()
            example_id = example.id
        return ClosedDiscussion(discussion.id, closed_on, example_id)


def _task_category(session: Session, case: DelegationCase) -> str:
    category = session.scalar(
        select(TaskType.category).where(TaskType.code == case.task_code)
        .order_by((TaskType.catalogue_version == case.task_catalogue_version).desc(),
                  TaskType.catalogue_version.desc()).limit(1))
    return category or TaskCategory.OTHER.value


def identifying_details(text: str, person: Person) -> list[str]:
    """Which of the person's identifiers ``text`` contains ("name", "NHS number", ...)."""
    found = []
    names = [person.given_name, person.family_name, person.preferred_name or ""]
    names += [c.name for c in person.contacts if not c.deleted]
    words = {w for n in names for w in re.split(r"[\s'-]+", n) if len(w) >= 3} | set(names)
    if any(w.strip() and re.search(rf"(?<!\w){re.escape(w.strip())}(?!\w)", text, re.I)
           for w in words):
        found.append("name")
    if re.search(r"(?<!\d)" + r"[\s-]*".join(person.nhs_number) + r"(?!\d)", text):
        found.append("NHS number")
    if _mentions_date(text, person.date_of_birth):
        found.append("date of birth")
    return found


def _mentions_date(text: str, day: dt.date) -> bool:
    d, m, y = day.day, day.month, day.year
    numeric = rf"(?<!\d)0?{d}\s*[/.-]\s*0?{m}\s*[/.-]\s*(?:{y}|{y % 100:02d})(?!\d)"
    iso = rf"(?<!\d){y}-{m:02d}-{d:02d}(?!\d)"
    month = day.strftime("%B")
    words = rf"(?<!\d)0?{d}(?:st|nd|rd|th)?\s+(?:{month}|{month[:3]})\.?\s+{y}(?!\d)"
    return any(re.search(p, text, re.I) for p in (numeric, iso, words))


def _refuse_identifying(text: str, person: Person) -> None:
    found = identifying_details(text, person)
    if found:
        raise ValidationError(
            "A case example must be anonymous, but the decision gives the person's "
            + " and ".join(found) + ". Reword it (for example 'the person'), or close the "
            "discussion without making a case example.", field="decision")


# ---------------------------------------------------------------- case examples


@dataclass(frozen=True)
class CaseExampleRow:
    """An anonymised shared care decision MDTs can learn from."""

    example_id: str
    task_category: str
    task_category_label: str
    task_code: str | None
    task_name: str
    themes: tuple[str, ...]
    summary: str
    outcome_code: str
    outcome_title: str
    decided_on: dt.date


def _has_theme(theme: str) -> ColumnElement[bool]:
    tags = func.json_each(CaseExample.themes).table_valued("value")
    return exists(select(literal(1)).select_from(tags)
                  .where(func.lower(tags.c.value) == theme.strip().lower()))


def case_examples(uow: UnitOfWork, text: str = "", task_category: str | None = None,
                  theme: str | None = None, *, task_code: str | None = None
                  ) -> list[CaseExampleRow]:
    """Examples matching every word of ``text`` (in the summary, themes or task) and the
    filters, newest first."""
    task_name = task_name_sql(CaseExample.task_code)
    stmt = select(CaseExample, task_name).where(~CaseExample.deleted)
    for word in _clean(text).split():
        pattern = _like(word)
        stmt = stmt.where(or_(CaseExample.summary.ilike(pattern, escape="\\"),
                              cast(CaseExample.themes, String).ilike(pattern, escape="\\"),
                              func.coalesce(CaseExample.task_code, "").ilike(pattern, escape="\\"),
                              task_name.ilike(pattern, escape="\\")))
    if task_category:
        stmt = stmt.where(CaseExample.task_category == task_category)
    if task_code:
        stmt = stmt.where(CaseExample.task_code == task_code)
    if theme and theme.strip():
        stmt = stmt.where(_has_theme(theme))
    stmt = stmt.order_by(CaseExample.decided_on.desc(), CaseExample.id)
    labels = dict(task_categories())
    with uow.read() as session:
        return [CaseExampleRow(e.id, e.task_category, labels.get(e.task_category, e.task_category),
                               e.task_code, name or "", tuple(e.themes), e.summary,
                               e.outcome_code, describe(e.outcome_code).title, e.decided_on)
                for e, name in session.execute(stmt)]


def case_example_themes(uow: UnitOfWork) -> list[str]:
    """Every theme used by a case example, alphabetically (for the theme filter)."""
    tags = func.json_each(CaseExample.themes).table_valued("value")
    stmt = (select(tags.c.value).select_from(CaseExample).join(tags, literal(True))
            .where(~CaseExample.deleted).distinct().order_by(tags.c.value))
    with uow.read() as session:
        return [str(value) for value in session.scalars(stmt)]
