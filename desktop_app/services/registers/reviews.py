"""Reviews due, the Reconsider list, and what recording a review does (issue 4, item 5).

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
- ``withdraw``: the delegation ends (``delegation.history.end_delegation``): the case
  becomes ``withdrawn`` with a withdrawal event holding the reasons (the decision it ends is
  kept as it was), its current competency sign-offs are suspended, a new plan version
  leaves the task and its funding out, and no review follows.
- Other outstanding reviews of the case that the done review covers (due on or before the
  day it was done, and any earlier-scheduled annual review, which the new one replaces)
  are tombstoned, so the register never shows two clocks for one case; a three-month
  review due later still stands (a change of need does not replace it). A withdrawal
  tombstones them all."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass
from typing import Any

from sqlalchemy import Select, and_, exists, or_, select
from sqlalchemy.orm import Session, aliased

from desktop_app.models.competency import (
    AssessmentOutcome,
    CompetenceAssessment,
    CompetencySignOff,
    SignOffStatus,
)
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.history import CaseEventKind
from desktop_app.models.person import Person
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review, ReviewKind, ReviewOutcome
from desktop_app.services.core.collation import by_name, name_key
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import tombstone
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation import uk_day
from desktop_app.services.delegation.history import end_delegation, record_event
from desktop_app.services.framework.flow import (
    CONTINUE,
    Flow,
    FlowResult,
    check_answer_types,
    current_flow,
    evaluate_review,
)
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.framework.review_schedule import ReviewStatus, next_review, review_status
from desktop_app.services.registers.common import (
    DUE_WITHIN_DAYS,
    LIVE_CASE_STATUSES,
    clean,
    person_name,
)
from desktop_app.services.vault.task_types import task_name_sql

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
        .order_by(Review.due_on, by_name(Person.family_name), by_name(Person.given_name),
                  Review.id))
    with uow.read() as session:
        return [ReviewDueRow(r[0], r[1], r[2], person_name(r[3], r[4]),
                             format_nhs_number(r[5]), r[6],
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


def _dated_decisions() -> Select[str, str, str, str, str, str, str | None, dt.date | None]:
    """Decisions not to delegate yet that carry a date to look again (only a "no" at S4 or
    S8 records one), until a newer delegation of the same task for the person is started:
    (case id, person id, given name, family name, NHS number, task name, outcome, date)."""
    later = aliased(DelegationCase)
    newer = exists().where(later.person_id == DelegationCase.person_id,
                           later.task_code == DelegationCase.task_code, ~later.deleted,
                           later.id != DelegationCase.id,
                           later.created_at > DelegationCase.created_at)
    return (
        select(DelegationCase.id, Person.id, Person.given_name, Person.family_name,
               Person.nhs_number,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               DelegationCase.outcome_code, DelegationCase.reconsider_on)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(DelegationCase.reconsider_on.is_not(None),
               DelegationCase.status == CaseStatus.DECIDED.value, ~DelegationCase.deleted,
               ~Person.deleted, ~newer))


def look_again_due(uow: UnitOfWork, today: dt.date,
                   within_days: int = DUE_WITHIN_DAYS) -> list[LookAgainRow]:
    """Decisions not to delegate yet whose "look again on" date is passed or near, until a
    newer delegation of the same task for the person is started (hazard H-023).

    The outcome page promises these appear beside the reviews due; without this list the
    date was stored and never shown again.
    """
    if within_days < 0:
        raise ValidationError("The number of days ahead cannot be negative.", field="within_days")
    stmt = (_dated_decisions()
            .where(DelegationCase.reconsider_on <= today + dt.timedelta(days=within_days))
            .order_by(DelegationCase.reconsider_on, by_name(Person.family_name),
                      by_name(Person.given_name)))
    with uow.read() as session:
        rows = session.execute(stmt).all()
    return [LookAgainRow(r[0], r[1], person_name(r[2], r[3]), format_nhs_number(r[4]), r[5],
                         describe(r[6]).title if r[6] else "", r[7], (today - r[7]).days,
                         review_status(r[7], today))
            for r in rows if r[7] is not None]


class ReconsiderKind(enum.StrEnum):
    """Why a row is on the Reconsider list."""

    NOT_DELEGATED = "not_delegated"  # a decision not to delegate yet, with its date
    NOT_YET_COMPETENT = "not_yet_competent"  # a worker assessed not yet competent


@dataclass(frozen=True)
class ReconsiderRow:
    """A task to look at again on ``reconsider_on``: a decision not to delegate yet, or a
    worker not yet competent (``worker_name``, who supports them meanwhile, the plan)."""

    kind: ReconsiderKind
    record_id: str  # the delegation case, or the assessment
    case_id: str | None
    person_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    why: str
    reconsider_on: dt.date
    days_overdue: int
    status: ReviewStatus
    worker_name: str | None = None
    supported_by: str | None = None
    support_planned: str | None = None


def reconsider_list(uow: UnitOfWork, today: dt.date) -> list[ReconsiderRow]:
    """The Reconsider list of Reviews due, soonest date first (the passed ones on top):

    - every decision not to delegate (NOT_DELEGATED) with a date to look again, due or not,
      until a newer delegation of the task is started for the person (hazard H-023);
    - every assessment that found a worker not yet competent, by its date to retrain by,
      until a later assessment (competent or not: a later "not yet" brings its own date)
      or a later sign-off of that worker for that person and task, or the worker leaves.
    """
    cases = _dated_decisions()
    with uow.read() as session:
        rows = [ReconsiderRow(ReconsiderKind.NOT_DELEGATED, r[0], r[0], r[1],
                              person_name(r[2], r[3]), format_nhs_number(r[4]), r[5],
                              describe(str(r[6])).title, r[7], (today - r[7]).days,
                              review_status(r[7], today))
                for r in session.execute(cases) if r[7] is not None]
        rows += [ReconsiderRow(ReconsiderKind.NOT_YET_COMPETENT, r[0], r[1], r[2],
                               person_name(r[3], r[4]), format_nhs_number(r[5]), r[6],
                               f"Not yet competent: {person_name(r[7], r[8])} ({r[9]})",
                               r[10], (today - r[10]).days, review_status(r[10], today),
                               person_name(r[7], r[8]), r[11], r[12])
                 for r in session.execute(_not_yet_competent()) if r[10] is not None]
    return sorted(rows, key=lambda r: (r.reconsider_on, name_key(r.person_name), r.record_id))


def _not_yet_competent() -> Select[*tuple[Any, ...]]:
    """Assessments of "not yet competent" with nothing later for that worker, person and
    task (see ``reconsider_list``)."""
    a, b = CompetenceAssessment, aliased(CompetenceAssessment)
    s = CompetencySignOff
    later_assessment = exists().where(
        b.worker_id == a.worker_id, b.person_id == a.person_id, b.task_code == a.task_code,
        ~b.deleted, b.id != a.id, or_(b.assessed_on > a.assessed_on,
                                      and_(b.assessed_on == a.assessed_on,
                                           b.created_at > a.created_at)))
    later_sign_off = exists().where(
        s.worker_id == a.worker_id, s.person_id == a.person_id, s.task_code == a.task_code,
        ~s.deleted, or_(s.signed_off_on > a.assessed_on,
                        and_(s.signed_off_on == a.assessed_on, s.created_at > a.created_at)))
    return (
        select(a.id, a.delegation_case_id, Person.id, Person.given_name, Person.family_name,
               Person.nhs_number, task_name_sql(a.task_code), CareWorker.given_name,
               CareWorker.family_name, CareProvider.name, a.retrain_by, a.supported_by,
               a.support_planned)
        .join(Person, Person.id == a.person_id)
        .join(CareWorker, CareWorker.id == a.worker_id)
        .join(CareProvider, CareProvider.id == CareWorker.provider_id)
        .where(a.outcome == AssessmentOutcome.NOT_YET.value, ~a.deleted, ~Person.deleted,
               ~CareWorker.deleted, CareWorker.active, CareWorker.left_on.is_(None),
               ~later_assessment, ~later_sign_off))


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
    text = clean(notes)
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
            f"The competency register shows {person_name(lapsed[0], lapsed[1])}'s sign-off needed "
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
    record_event(session, case, CaseEventKind.REVIEWED, review.done_on,
                 flow_version=result.flow_version, reasons=[review.notes or ""],
                 detail={"review_id": review.id, "review_outcome": chosen.value,
                         "next_review_on": scheduled.due_on.isoformat()}, source=review.id)
    following = Review(delegation_case_id=case.id, person_id=case.person_id,
                       due_on=scheduled.due_on, kind=scheduled.kind.value)
    session.add(following)
    session.flush()
    return RecordedReview(review.id, case.id, chosen, str(result.outcome), result.reasons,
                          scheduled.due_on, following.id,
                          chosen is ReviewOutcome.CHANGE_OF_NEED, 0, superseded)


def _withdraw(session: Session, review: Review, case: DelegationCase, result: FlowResult,
              s11: dict[str, Any], notes: str) -> RecordedReview:
    """End the delegation (``history.end_delegation``): the decision it ends stays as it was
    recorded; the withdrawal is its own event, with the review's answers and reasons."""
    assert review.done_on is not None
    reasons = (list(result.reasons) if result.outcome != CONTINUE else []) + [notes]
    review.next_review_on = None
    ended = end_delegation(session, case, CaseEventKind.WITHDRAWN_AT_REVIEW, review.done_on,
                           reasons, flow_version=result.flow_version,
                           detail={"review_id": review.id, "S11": dict(s11)},
                           keep_review_id=review.id, source=review.id)
    return RecordedReview(review.id, case.id, ReviewOutcome.WITHDRAW,
                          OutcomeCode.WITHDRAWN.value, tuple(reasons), None, None, False,
                          ended.sign_offs_suspended, ended.reviews_ended)
