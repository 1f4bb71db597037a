"""Reading a plan's blocks from the vault, inside the caller's unit of work.

The person (``person_block``), a task line with its named care workers (``task_block``),
the funding lines, a task's catalogue name, the latest MDT decision and who was at it, and
the checks and day every printed document shares (``live_person``, ``printed_day``).
Whether each named care worker's sign-off is current is worked out here, on the day of
printing, not in the renderer: an out-of-date competency shown as valid is a hazard
(framework §8). So is whether a task's "if readings are out of range" line means anything
(``out_of_range_applies``: only a task that takes readings, as the wizard asks it).
What matters to the person (``what_matters_block``) and each delegation's use of resources
with the assessments it reused (``resources_block``) are read here too.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session
from sqlalchemy.sql.elements import UnaryExpression

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import MdtDecision
from desktop_app.models.person import Person
from desktop_app.models.person_centred import AssessmentReuse, PartnerAssessment
from desktop_app.models.plan import Funder, FundingSplit, SupportPlanTask
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.task_type import TaskType
from desktop_app.services.core.errors import NotFound
from desktop_app.services.framework import labels
from desktop_app.services.framework.funding import FUNDER_NAMES
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.person_centred import (
    ASSESSMENT_KIND_LABELS,
    AT_OUTCOME_LABELS,
    CALLS_OUTCOME_LABELS,
    age_in_words,
    participant_words,
)
from desktop_app.services.framework.task_lines import task_has_readings
from desktop_app.services.plans.blocks import (
    Attendee,
    ContactLine,
    FundingLine,
    PersonBlock,
    ResourcesBlock,
    ReusedAssessment,
    TaskBlock,
    WhatMattersBlock,
    WorkerLine,
)


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
        communication_needs=person.communication_needs, contacts=contacts,
        family_name=person.family_name, given_name=person.given_name)


def task_name(session: Session, code: str, version: str | None = None) -> str:
    """The task's catalogue name (its own catalogue version first), or the code if unknown."""
    return _catalogue_entry(session, code, version)[0]


def _catalogue_entry(session: Session, code: str,
                     version: str | None) -> tuple[str, str | None]:
    """(name, catalogue group) of a task, its own catalogue version first; (the code, None)
    for a task the catalogue does not know."""
    order: list[UnaryExpression[Any]] = [TaskType.catalogue_version.desc()]
    if version is not None:
        order.insert(0, (TaskType.catalogue_version == version).desc())
    row = session.execute(select(TaskType.name, TaskType.category)
                          .where(TaskType.code == code).order_by(*order).limit(1)).first()
    return (row.name, row.category) if row else (code, None)


# The stock wording of the "if readings are out of range" line: the wizard's S4 default,
# and what a decision records for the line left empty (``delegation.plan.DEFAULT_TEXT``,
# which this layer may not import; tests/services/pdf/test_plan_for_signing.py keeps them
# the same). Should either change, the line is printed: never the unsafe way round.
STOCK_OUT_OF_RANGE = frozenset({
    "Follow the 'call the nurse' thresholds above.",
    "Call the community nursing team on the number on the plan straight away.",
})
_DOES_NOT_APPLY = ("not applicable", "n/a")


def out_of_range_applies(category: str | None, written: str | None,
                         task_code: str | None = None) -> bool:
    """Whether a plan prints "If readings are out of range" for a task of this catalogue
    group: always for a task that takes readings (``framework.task_lines``, as the wizard
    asks the line) or one the catalogue does not know; otherwise only when the nurse wrote
    an instruction of their own there (what was typed is never hidden), not the stock
    wording nor a note that it does not apply."""
    if task_has_readings(category, task_code):
        return True
    words = " ".join((written or "").split())
    return bool(words) and words not in STOCK_OUT_OF_RANGE \
        and not words.lower().startswith(_DOES_NOT_APPLY)


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


def task_block(session: Session, line: SupportPlanTask, person_id: str,
               on: dt.date) -> TaskBlock:
    """A plan's task line with its named workers, their sign-offs judged on the day ``on``."""
    workers = tuple(_worker_line(session, w, person_id, line.task_code, on)
                    for w in line.worker_ids or ())
    name, category = _catalogue_entry(session, line.task_code, line.task_catalogue_version)
    return TaskBlock(
        task_code=line.task_code, task_name=name,
        catalogue_version=line.task_catalogue_version,
        what_is_delegated=line.what_is_delegated,
        what_is_not_delegated=line.what_is_not_delegated, frequency=line.frequency,
        equipment=line.equipment, do_thresholds=line.do_thresholds,
        call_nurse_thresholds=line.call_nurse_thresholds, if_refused=line.if_refused,
        if_missed=line.if_missed, if_equipment_fails=line.if_equipment_fails,
        if_out_of_range=line.if_out_of_range, in_emergency=line.in_emergency,
        workers=workers,
        out_of_range_applies=out_of_range_applies(category, line.if_out_of_range,
                                                  line.task_code),
        resources=resources_block(session, line.delegation_case_id))


def what_matters_block(own_words: str | None, strengths: str | None, self_care: str | None,
                       took_part: Sequence[dict[str, str]] | None) -> WhatMattersBlock | None:
    """What matters to the person, as printed; None when nothing is recorded."""
    if not (own_words or strengths or self_care or took_part):
        return None
    return WhatMattersBlock(own_words or None, strengths or None, self_care or None,
                            participant_words(list(took_part or ())))


def resources_block(session: Session, case_id: str | None) -> ResourcesBlock | None:
    """A delegation's use of resources (S9) and the assessments it reused; None when none
    is recorded (a delegation decided before the app asked prints as it did then)."""
    case = session.get(DelegationCase, case_id) if case_id else None
    if case is None:
        return None
    reused = reused_assessments(session, case.id)
    if case.at_considered is None and case.calls_reviewed is None and not reused:
        return None
    return ResourcesBlock(
        case.at_considered, case.at_kind,
        AT_OUTCOME_LABELS.get(case.at_outcome, case.at_outcome) if case.at_outcome else None,
        case.at_reason, case.calls_reviewed,
        CALLS_OUTCOME_LABELS.get(case.calls_outcome, case.calls_outcome)
        if case.calls_outcome else None, case.calls_note, reused)


def reused_assessments(session: Session, case_id: str) -> tuple[ReusedAssessment, ...]:
    """The partners' assessments the delegation reused, in the order of the steps."""
    rows = session.execute(
        select(AssessmentReuse, PartnerAssessment)
        .join(PartnerAssessment, PartnerAssessment.id == AssessmentReuse.assessment_id)
        .where(AssessmentReuse.delegation_case_id == case_id, ~AssessmentReuse.deleted)
        .order_by(AssessmentReuse.step, AssessmentReuse.created_at))
    return tuple(ReusedAssessment(
        reuse.step, ASSESSMENT_KIND_LABELS.get(assessment.kind, assessment.kind),
        assessment.organisation, assessment.assessor, assessment.assessed_on, reuse.reused_on,
        age_in_words(assessment.assessed_on, reuse.reused_on)) for reuse, assessment in rows)


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


def latest_mdt(session: Session, case_id: str | None) -> MdtDecision | None:
    """The case's most recent MDT decision, if any."""
    if case_id is None:
        return None
    return session.scalars(
        select(MdtDecision).where(MdtDecision.delegation_case_id == case_id, ~MdtDecision.deleted)
        .order_by(MdtDecision.met_on.desc(), MdtDecision.created_at.desc())).first()


def mdt_attendees(mdt: MdtDecision | None) -> tuple[Attendee, ...]:
    """Who was at the MDT meeting, as S10 recorded them (nobody without a meeting)."""
    if mdt is None:
        return ()
    return tuple(Attendee(str(a.get("role") or "").strip(),
                          str(a.get("organisation") or "").strip(),
                          str(a.get("name") or "").strip())
                 for a in mdt.attendees or () if isinstance(a, dict))


def live_person(session: Session, person_id: str) -> Person:
    """The person, or NotFound if they were removed from the caseload."""
    person = session.get(Person, person_id)
    if person is None or person.deleted:
        raise NotFound("That person is not on the caseload (they may have been removed).")
    return person


def printed_day(printed_at: dt.datetime) -> dt.date:
    """The local calendar day of printing (an aware time is shown in this laptop's zone)."""
    return (printed_at.astimezone() if printed_at.tzinfo else printed_at).date()
