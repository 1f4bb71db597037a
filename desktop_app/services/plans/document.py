"""The printable support plan, read from the vault as one frozen value.

The PDF exporters (``desktop_app.services.pdf``) take these objects, never widgets or ORM
rows (conventions, "Exporters take data"). One call reads one plan version in one unit of
work and audits it as a view: there is no separate "view" permission (services/roles.py:
everyone signed in may read; every read is audited). ``record_output`` audits the print or
export itself once it has happened. The blocks here (the person, funding lines) are shared
with the shared care form (``shared_care_document``).

Everything that helps a reader act safely is worked out here, not in the renderer: whether
a newer plan version exists, and whether each named care worker's sign-off is current on
the day of printing (an out-of-date competency shown as valid is a hazard, framework §8).
Dates stay dates and money stays whole pence; the renderer formats them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, Literal, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

from desktop_app.models.audit import AuditAction
from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import MdtDecision
from desktop_app.models.oversight import ClinicalOversight
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan, SupportPlanTask
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review
from desktop_app.models.task_type import TaskType
from desktop_app.services.core.audit import append_events
from desktop_app.services.core.errors import NotFound
from desktop_app.services.core.tracking import ACTOR, record_view
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework import labels
from desktop_app.services.framework.funding import FUNDER_NAMES, format_pounds
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.outcomes import describe

# ---------------------------------------------------------------- the blocks


@dataclass(frozen=True)
class ContactLine:
    """Someone around the person, as the plan lists them."""

    name: str
    kind: str
    relationship: str | None
    phone: str | None
    can_decide_health_welfare: bool


@dataclass(frozen=True)
class PersonBlock:
    """Who the plan is for: identity, address, GP practice and the people around them."""

    full_name: str
    preferred_name: str | None
    date_of_birth: dt.date
    nhs_number: str  # the NHS display form, "999 123 4567"
    address_lines: tuple[str, ...]
    phone: str | None
    gp_practice_name: str | None
    gp_practice_code: str | None
    team: str
    open_to_community_health: bool
    communication_needs: str | None
    contacts: tuple[ContactLine, ...]


@dataclass(frozen=True)
class WorkerLine:
    """A care worker named for a task, with their sign-off for this person and task.

    ``current`` is False when there is no sign-off, it was suspended or withdrawn, or its
    refresher date had passed on the day the plan was printed; ``standing`` says which.
    """

    name: str
    provider_name: str
    role_title: str
    training_level: int | None
    signed_off_on: dt.date | None
    refresher_due: dt.date | None
    trainer_name: str | None
    assessor_name: str | None
    standing: str
    current: bool


@dataclass(frozen=True)
class TaskBlock:
    """One delegated task line: what the care worker does, when to call, who may do it."""

    task_code: str
    task_name: str
    catalogue_version: str
    what_is_delegated: str
    what_is_not_delegated: str
    frequency: str
    equipment: str | None
    do_thresholds: str
    call_nurse_thresholds: str
    if_refused: str
    if_missed: str
    if_equipment_fails: str
    if_out_of_range: str
    in_emergency: str
    workers: tuple[WorkerLine, ...]


@dataclass(frozen=True)
class ConsentBlock:
    """The latest consent decision for the delegation, and the capacity assessment behind it."""

    status: str
    given: bool
    recorded_on: dt.date
    given_by: str  # who decided, in words ("The person", "Health and welfare attorney")
    given_by_name: str
    how: str
    explained: str
    capacity_in_doubt: bool
    capacity_decision: str | None
    capacity_assessed_on: dt.date | None
    capacity_assessor: str | None
    capacity_outcome: str | None
    best_interests_consulted: str | None
    best_interests_wishes_feelings: str | None
    best_interests_options: str | None
    best_interests_least_restrictive: str | None


@dataclass(frozen=True)
class OversightBlock:
    """Who keeps clinical oversight, and the numbers a care worker calls."""

    service: str
    organisation_name: str
    named_clinician: str | None
    phone_in_hours: str
    phone_out_of_hours: str
    notes: str | None


@dataclass(frozen=True)
class FundingLine:
    """One funder's weekly share of the package (whole pence)."""

    funder: str
    funder_name: str
    pence_per_week: int
    free_to_person: bool
    lead_commissioner: bool
    method: str
    start_date: dt.date
    interim_without_prejudice: bool
    dispute_reference: str | None
    reconciled_on: dt.date | None

    @property
    def is_nhs(self) -> bool:
        """True for the ICB's share, which is never charged to the person."""
        return self.funder == Funder.ICB.value

    @property
    def weekly(self) -> str:
        """The weekly amount in pounds, "£1,234.56"."""
        return format_pounds(self.pence_per_week)


@dataclass(frozen=True)
class ReviewLine:
    """A review of the delegation: due, and done (with its outcome) once it has been."""

    kind: str
    due_on: dt.date
    done_on: dt.date | None
    outcome: str | None


@dataclass(frozen=True)
class DelegationPart:
    """One delegation on a plan version: the task(s) it covers, and its own consent,
    clinical oversight and reviews (a person may have eye drops under their GP practice and
    insulin under community nursing on one plan; hazard H-033)."""

    case_id: str
    task_names: str
    consent: ConsentBlock | None
    oversight: OversightBlock | None
    reviews: tuple[ReviewLine, ...]


@dataclass(frozen=True)
class PlanDocument:
    """Everything one printed support plan version shows, with when and by whom it was printed.

    ``latest_version_number`` is the person's newest plan version at printing: when it is
    above ``version_number`` the printout says this version is superseded.
    """

    plan_id: str
    version_number: int
    latest_version_number: int
    effective_from: dt.date
    created_by_name: str
    outcome_title: str | None
    flow_version: str | None
    mdt_met_on: dt.date | None
    summary: str | None
    person_words: str | None
    person: PersonBlock
    tasks: tuple[TaskBlock, ...]
    consent: ConsentBlock | None
    oversight: OversightBlock | None
    funding: tuple[FundingLine, ...]
    reviews: tuple[ReviewLine, ...]
    printed_at: dt.datetime
    printed_by: str
    # Every delegation whose task is on this version, in task order; ``consent``,
    # ``oversight`` and ``reviews`` above are the version's own delegation's.
    parts: tuple[DelegationPart, ...] = ()

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) under which printing this document is audited."""
        return ("support_plan", self.plan_id)

    @property
    def superseded(self) -> bool:
        """True when a newer version of this person's plan existed at printing."""
        return self.latest_version_number > self.version_number

    @property
    def total_pence_per_week(self) -> int:
        """The whole package per week, all funders."""
        return sum(line.pence_per_week for line in self.funding)

    @property
    def next_review_due(self) -> dt.date | None:
        """The earliest review not yet done."""
        due = [r.due_on for r in self.reviews if r.done_on is None]
        return min(due) if due else None


# ---------------------------------------------------------------- reading the blocks


def person_block(person: Person) -> PersonBlock:
    """The person's identity, address, GP practice and contacts, as printed."""
    address = tuple(line for line in (person.address_line1, person.address_line2, person.town,
                                      person.postcode) if line)
    contacts = tuple(
        ContactLine(c.name, labels.CONTACT_KINDS.get(c.kind, c.kind), c.relationship, c.phone,
                    c.can_decide_health_welfare)
        for c in person.contacts if not c.deleted)
    return PersonBlock(
        full_name=f"{person.given_name} {person.family_name}",
        preferred_name=person.preferred_name, date_of_birth=person.date_of_birth,
        nhs_number=format_nhs_number(person.nhs_number), address_lines=address,
        phone=person.phone, gp_practice_name=person.gp_practice_name,
        gp_practice_code=person.gp_practice_code, team=person.team,
        open_to_community_health=person.open_to_community_health,
        communication_needs=person.communication_needs, contacts=contacts)


def task_name(session: Session, code: str, version: str | None = None) -> str:
    """The task's catalogue name (its own catalogue version first), or the code if unknown."""
    order: list[UnaryExpression[Any]] = [TaskType.catalogue_version.desc()]
    if version is not None:
        order.insert(0, (TaskType.catalogue_version == version).desc())
    name = session.scalar(select(TaskType.name).where(TaskType.code == code)
                          .order_by(*order).limit(1))
    return name or code


def _standing(sign_off: CompetencySignOff | None, on: dt.date) -> tuple[str, bool]:
    if sign_off is None:
        return labels.NO_SIGN_OFF, False
    if sign_off.status != SignOffStatus.CURRENT.value:
        return labels.SIGN_OFF_STATUSES.get(sign_off.status, sign_off.status), False
    # Expired the day after the refresher date, as in the competency register.
    if sign_off.refresher_due < on:
        return labels.REFRESHER_OVERDUE, False
    return labels.SIGN_OFF_STATUSES[SignOffStatus.CURRENT.value], True


def _worker_line(session: Session, worker_id: str, person_id: str, task_code: str,
                 on: dt.date) -> WorkerLine:
    worker = session.get(CareWorker, worker_id)
    provider = session.get(CareProvider, worker.provider_id) if worker else None
    sign_off = session.scalars(
        select(CompetencySignOff)
        .where(CompetencySignOff.worker_id == worker_id,
               CompetencySignOff.person_id == person_id,
               CompetencySignOff.task_code == task_code, ~CompetencySignOff.deleted)
        .order_by(CompetencySignOff.signed_off_on.desc(), CompetencySignOff.created_at.desc())
    ).first()
    standing, current = _standing(sign_off, on)
    gone = worker is None or worker.deleted
    return WorkerLine(
        name=labels.UNKNOWN_WORKER if gone or worker is None
        else f"{worker.given_name} {worker.family_name}",
        provider_name=provider.name if provider else "",
        role_title=worker.role_title if worker else "",
        training_level=sign_off.training_level if sign_off else None,
        signed_off_on=sign_off.signed_off_on if sign_off else None,
        refresher_due=sign_off.refresher_due if sign_off else None,
        trainer_name=sign_off.trainer_name if sign_off else None,
        assessor_name=sign_off.assessor_name if sign_off else None,
        standing=standing, current=current and not gone)


def _task_block(session: Session, line: SupportPlanTask, person_id: str,
                on: dt.date) -> TaskBlock:
    workers = tuple(_worker_line(session, w, person_id, line.task_code, on)
                    for w in line.worker_ids or ())
    return TaskBlock(
        task_code=line.task_code,
        task_name=task_name(session, line.task_code, line.task_catalogue_version),
        catalogue_version=line.task_catalogue_version,
        what_is_delegated=line.what_is_delegated,
        what_is_not_delegated=line.what_is_not_delegated, frequency=line.frequency,
        equipment=line.equipment, do_thresholds=line.do_thresholds,
        call_nurse_thresholds=line.call_nurse_thresholds, if_refused=line.if_refused,
        if_missed=line.if_missed, if_equipment_fails=line.if_equipment_fails,
        if_out_of_range=line.if_out_of_range, in_emergency=line.in_emergency,
        workers=workers)


def _consent_block(session: Session, person_id: str,
                   case_id: str | None) -> ConsentBlock | None:
    record = session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.person_id == person_id,
               ConsentRecord.delegation_case_id == case_id if case_id
               else ConsentRecord.delegation_case_id.is_(None), ~ConsentRecord.deleted)
        .order_by(ConsentRecord.recorded_on.desc(), ConsentRecord.created_at.desc())).first()
    if record is None:
        return None
    return ConsentBlock(
        status=labels.CONSENT_STATUSES.get(record.status, record.status),
        given=record.status == "given", recorded_on=record.recorded_on,
        given_by=labels.CONSENT_GIVEN_BY.get(record.given_by_kind, record.given_by_kind),
        given_by_name=record.given_by_name,
        how=labels.CONSENT_METHODS.get(record.how, record.how), explained=record.explained,
        capacity_in_doubt=record.capacity_in_doubt, capacity_decision=record.capacity_decision,
        capacity_assessed_on=record.capacity_assessed_on,
        capacity_assessor=record.capacity_assessor,
        capacity_outcome=labels.CAPACITY_OUTCOMES.get(record.capacity_outcome or "",
                                                      record.capacity_outcome),
        best_interests_consulted=record.bi_consulted,
        best_interests_wishes_feelings=record.bi_wishes_feelings,
        best_interests_options=record.bi_options,
        best_interests_least_restrictive=record.bi_least_restrictive)


def _oversight_block(session: Session, case_id: str | None) -> OversightBlock | None:
    if case_id is None:
        return None
    row = session.scalars(
        select(ClinicalOversight)
        .where(ClinicalOversight.delegation_case_id == case_id, ~ClinicalOversight.deleted)
        .order_by(ClinicalOversight.updated_at.desc())).first()
    if row is None:
        return None
    return OversightBlock(labels.OVERSIGHT_SERVICES.get(row.service_kind, row.service_kind),
                          row.organisation_name, row.named_clinician, row.phone_in_hours,
                          row.phone_out_of_hours, row.notes)


def funding_lines(splits: Sequence[FundingSplit]) -> tuple[FundingLine, ...]:
    """A plan version's live funding splits, the NHS share first."""
    live = [s for s in splits if not s.deleted]
    # The NHS share first, then the council's: the order the plan explains them in.
    live.sort(key=lambda s: (s.funder != Funder.ICB.value, s.funder))
    return tuple(
        FundingLine(s.funder, FUNDER_NAMES.get(Funder(s.funder), s.funder), s.pence_per_week,
                    s.free_to_person, s.lead_commissioner,
                    labels.METHODS.get(s.method, s.method), s.start_date,
                    s.interim_without_prejudice, s.dispute_reference, s.reconciled_on)
        for s in live)


def _reviews(session: Session, case_id: str | None) -> tuple[ReviewLine, ...]:
    if case_id is None:
        return ()
    rows = session.scalars(select(Review).where(Review.delegation_case_id == case_id,
                                                ~Review.deleted).order_by(Review.due_on))
    return tuple(ReviewLine(labels.REVIEW_KINDS.get(r.kind, r.kind), r.due_on, r.done_on,
                            labels.REVIEW_OUTCOMES.get(r.outcome or "", r.outcome))
                 for r in rows)


def latest_mdt(session: Session, case_id: str | None) -> MdtDecision | None:
    """The case's most recent MDT decision, if any."""
    if case_id is None:
        return None
    return session.scalars(
        select(MdtDecision).where(MdtDecision.delegation_case_id == case_id, ~MdtDecision.deleted)
        .order_by(MdtDecision.met_on.desc(), MdtDecision.created_at.desc())).first()


def live_person(session: Session, person_id: str) -> Person:
    """The person, or NotFound if they were removed from the caseload."""
    person = session.get(Person, person_id)
    if person is None or person.deleted:
        raise NotFound("That person is not on the caseload (they may have been removed).")
    return person


def printed_day(printed_at: dt.datetime) -> dt.date:
    """The local calendar day of printing (an aware time is shown in this laptop's zone)."""
    return (printed_at.astimezone() if printed_at.tzinfo else printed_at).date()


# ---------------------------------------------------------------- the support plan


def load_plan_document(uow: UnitOfWork, plan_id: str, printed_by: str,
                       printed_at: dt.datetime) -> PlanDocument:
    """One support plan version, ready to print; audited as a view of the plan.

    NotFound if the plan or its person was removed. Read in a writing unit of work only
    because the audit row must be kept; nothing else is changed.
    """
    with uow.begin() as session:
        plan = session.get(SupportPlan, plan_id)
        if plan is None or plan.deleted:
            raise NotFound("That support plan is no longer there.")
        person = live_person(session, plan.person_id)
        document = _plan_document(session, plan, person, printed_by, printed_at)
        record_view(session, "support_plan", plan.id)
        return document


def _plan_document(session: Session, plan: SupportPlan, person: Person, printed_by: str,
                   printed_at: dt.datetime) -> PlanDocument:
    case = session.get(DelegationCase, plan.delegation_case_id or "")
    case_id = case.id if case else None
    latest = session.scalar(select(func.max(SupportPlan.version_number)).where(
        SupportPlan.person_id == plan.person_id, ~SupportPlan.deleted))
    mdt = latest_mdt(session, case_id)
    on = printed_day(printed_at)
    parts = _parts(session, plan, person.id)
    own = next((part for part in parts if part.case_id == (case_id or "")), None) \
        or _part(session, person.id, case_id)
    return PlanDocument(
        plan_id=plan.id, version_number=plan.version_number,
        latest_version_number=max(latest or 0, plan.version_number),
        effective_from=plan.effective_from, created_by_name=plan.created_by_name,
        outcome_title=describe(case.outcome_code).title if case and case.outcome_code else None,
        flow_version=case.flow_version if case else None,
        mdt_met_on=mdt.met_on if mdt else None, summary=plan.summary,
        person_words=plan.person_words, person=person_block(person),
        tasks=tuple(_task_block(session, t, person.id, on)
                    for t in plan.tasks if not t.deleted),
        consent=own.consent, oversight=own.oversight, reviews=own.reviews,
        funding=funding_lines(plan.funding_splits),
        printed_at=printed_at, printed_by=printed_by, parts=parts)


def _parts(session: Session, plan: SupportPlan, person_id: str) -> tuple[DelegationPart, ...]:
    """Each delegation on the version with its own consent, oversight and reviews."""
    names: dict[str, list[str]] = {}
    for line in plan.tasks:
        if not line.deleted:
            names.setdefault(line.delegation_case_id or plan.delegation_case_id or "", []).append(
                task_name(session, line.task_code, line.task_catalogue_version))
    return tuple(_part(session, person_id, case_id, ", ".join(tasks))
                 for case_id, tasks in names.items())


def _part(session: Session, person_id: str, case_id: str | None,
          task_names: str = "") -> DelegationPart:
    return DelegationPart(case_id or "", task_names,
                          _consent_block(session, person_id, case_id or None),
                          _oversight_block(session, case_id or None),
                          _reviews(session, case_id or None))


# ---------------------------------------------------------------- auditing the output


class Printable(Protocol):
    """A document whose printing or export is audited against one record."""

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) of the record the document shows."""
        ...


def record_output(uow: UnitOfWork, document: Printable,
                  how: Literal["print", "export"]) -> None:
    """Audit that a document was sent to a printer or exported to a file the person chose."""
    action = AuditAction.PRINT if how == "print" else AuditAction.EXPORT
    entity_type, entity_id = document.audit_entity
    with uow.begin() as session:
        append_events(session.connection(), session.info[ACTOR],
                      [(entity_type, entity_id, action.value)])


def record_outputs(uow: UnitOfWork, documents: Iterable[Printable],
                   how: Literal["print", "export"]) -> None:
    """Audit a batch sent to a printer or exported: one event per document, one transaction.

    Call it on the database thread once the batch has really been printed or written.
    """
    action = AuditAction.PRINT if how == "print" else AuditAction.EXPORT
    items = [(*document.audit_entity, action.value) for document in documents]
    with uow.begin() as session:
        append_events(session.connection(), session.info[ACTOR], items)
