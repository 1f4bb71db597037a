"""The decision recorded when the wizard finishes, and everything written with it.

``decide`` evaluates the answers with the flow, makes the checks in ``checks`` (for a
delegated outcome, that the provider is active and insured on the register and the named
workers still work for it on the decision day), then writes
in one unit of work the case's outcome (with the flow version and reasons), the consent
record, competency sign-offs, clinical oversight, the MDT decision or shared care
discussion, and, when the task is delegated, a new support plan version with its funding
(``plan``) and the first review. Audit and outbox rows follow from tracking.

The framework's principles are checked and kept with it (``principles``): what matters to
the person (S6) on their record and the plan, assistive technology and call frequency (S9)
on the case, and each partner's assessment reused instead of repeated.

The flow is the draft's own (the one it was started or restarted under): a decision under
another flow is refused, and the case records the version it was decided under. The
``checks`` hold whichever flow version it is.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.history import CaseEventKind
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.oversight import ClinicalOversight
from desktop_app.models.person import Contact
from desktop_app.models.plan import Funder
from desktop_app.models.review import Review
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.answers import (
    Answers,
    answer_date,
    facts_for,
    funding_summary,
    with_funding_judged,
)
from desktop_app.services.delegation.checks import (
    care_starts_on,
    check_consent,
    check_outcome_safe,
    check_oversight,
    check_provider,
    check_sign_offs,
    check_workers,
    refresher_due,
)
from desktop_app.services.delegation.history import end_delegation, record_event
from desktop_app.services.delegation.plan import record_plan
from desktop_app.services.delegation.principles import (
    keep_what_matters,
    record_reuses,
    resources_values,
    reuses_on_route,
    what_matters_values,
)
from desktop_app.services.framework.catalogue import Catalogue
from desktop_app.services.framework.flow import (
    Flow,
    FlowResult,
    check_answer_types,
    evaluate,
    short_version,
)
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.framework.review_schedule import first_review


@dataclass(frozen=True)
class Decision:
    """What was recorded when the wizard finished."""

    case_id: str
    outcome: str
    title: str
    reasons: tuple[str, ...]
    next_steps: tuple[str, ...]
    flow_version: str
    plan_version: int | None
    first_review_due: dt.date | None
    care_starts_on: dt.date | None = None


def on_route(answers: Answers, result: FlowResult) -> Answers:
    """The answers of the steps on ``result``'s route only."""
    return {step: given for step, given in answers.items() if step in result.path}


def decide(uow: UnitOfWork, case_id: str, answers: Answers, flow: Flow, catalogue: Catalogue,
           recorded_by: str, today: dt.date | None = None) -> Decision:
    """Record the outcome the answers reach, and everything that follows from it."""
    require(uow, Permission.DELEGATE)
    today = today or dt.date.today()
    check_answer_types(flow, answers)
    # Only the steps on the route count: answers left on a page the nurse went Back from
    # (S9F's funding after S9 changed to "fits the existing package") must not fund, start
    # or shape the delegation (hazards H-011, H-010).
    if "S9F" not in evaluate(flow, answers, facts_for(answers, catalogue)).path:
        answers = {step: given for step, given in answers.items() if step != "S9F"}
    answers = with_funding_judged(answers)  # S9F's own route needs its share judged first
    result = evaluate(flow, answers, facts_for(answers, catalogue))
    if not result.decided or result.outcome is None:
        raise ValidationError("The answers do not reach an outcome yet; go back to the step "
                              "that needs answering.")
    answers = on_route(answers, result)
    check_outcome_safe(result.outcome, answers, catalogue)
    # The framework's principles (``principles``): what matters to the person (S6), the
    # efficient use of resources (S9: every delegated route) and reused assessments.
    what_matters = what_matters_values(answers.get("S6", {})) if "S6" in result.path else None
    resources = resources_values(answers.get("S9", {})) if "S9" in result.path else None
    reuses = reuses_on_route(answers, result.path, today)
    if "S9" in result.path:  # S8 answered "all signed off": every sign-off must hold today
        # Recording sign-offs is a nurse's or team lead's (H-026), as in the register.
        require(uow, Permission.MANAGE_COMPETENCY)
        check_sign_offs(answers, catalogue, today)
        check_oversight(answers)
    delegated = describe(result.outcome).delegated  # a care worker will do the task
    starts = care_starts_on(answers, today) if delegated else None
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id)
        if case is None or case.deleted:
            raise NotFound("That delegation is no longer there.")
        if case.status != CaseStatus.DRAFT.value:
            raise ValidationError("This delegation has already been decided.")
        if case.flow_version != flow.version:  # the draft's flow, unless restarted under this
            raise ValidationError(
                f"This delegation was started under flow {short_version(case.flow_version)}; "
                f"it cannot be decided under flow {short_version(flow.version)} unless it is "
                "restarted under that flow.")
        if "S7" in result.path:  # consent was given: by someone who may give it
            check_consent(session, case.person_id, answers.get("S6", {}))
        if delegated:  # only to a provider that may take it on today (H-041)
            check_provider(session, answers.get("S7", {}), today)
        if "S8" in result.path or delegated:
            check_workers(session, answers.get("S7", {}), today)
        _record_case(case, answers, result, today, starts, catalogue)
        for name, value in (resources or {}).items():  # assistive technology, calls
            setattr(case, name, value)
        if what_matters is not None:  # the person's record keeps what matters, as said
            keep_what_matters(session, case.person_id, what_matters, answers.get("S6", {}),
                              recorded_by, today)
        record_reuses(session, case.person_id, case.id, reuses, recorded_by, today)
        _record_parts(session, case, answers, result, catalogue, today)
        plan_version, review_due = None, None
        if starts is not None:
            plan_version = record_plan(session, case, answers, recorded_by, today,
                                       what_matters=what_matters)
            review_due = _record_first_review(session, case, starts)
        record_event(session, case, CaseEventKind.DECIDED, today,
                     flow_version=result.flow_version, outcome_code=result.outcome,
                     status=CaseStatus(case.status), reasons=case.outcome_reasons,
                     detail={"care_starts_on": starts.isoformat() if starts else None,
                             "first_review_due": review_due.isoformat() if review_due
                             else None}, plan_version=plan_version, source="decision")
        if starts is not None:
            _end_earlier_delegations(session, case, today)
        text = describe(result.outcome)
        return Decision(case.id, result.outcome, text.title, result.reasons, text.next_steps,
                        result.flow_version, plan_version, review_due, starts)


def _end_earlier_delegations(session: Session, case: DelegationCase, on: dt.date) -> None:
    """A running delegation of the same task for the person ends when this one is decided:
    closed with a link to this case, its outstanding reviews tombstoned (this case has its
    own), and the sign-offs made for it that this decision did not replace suspended (their
    workers are not named on the new arrangement). The new plan version has already left
    its task line out (``plan.record_plan``)."""
    earlier = session.scalars(select(DelegationCase).where(
        DelegationCase.person_id == case.person_id, DelegationCase.id != case.id,
        DelegationCase.task_code == case.task_code, ~DelegationCase.deleted,
        DelegationCase.status.in_((CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value))))
    for old in list(earlier):
        old.replaced_by_case_id = case.id
        end_delegation(session, old, CaseEventKind.REPLACED, on,
                       ["The same task was delegated again for the person."],
                       detail={"replaced_by_case_id": case.id}, source=case.id)


def _record_case(case: DelegationCase, answers: Answers, result: FlowResult,
                 today: dt.date, starts: dt.date | None, catalogue: Catalogue) -> None:
    case.answers = {k: dict(v) for k, v in answers.items()}
    # The task decided on is the one in these answers, not the last draft saved (which may
    # be older): the plan line, sign-offs and reviews all read the case's task code.
    case.task_code = str(answers.get("S1", {}).get("task_code") or "")
    case.task_catalogue_version = catalogue.version
    case.referred_by = str(answers.get("S1", {}).get("referred_by") or case.referred_by)
    case.outcome_code = result.outcome
    case.outcome_reasons = list(result.reasons) + _typed_reasons(answers, result)
    case.flow_version = result.flow_version
    case.current_step = None
    case.decided_on = today
    delegated = describe(str(result.outcome)).delegated
    case.status = (CaseStatus.ACTIVE if delegated else CaseStatus.DECIDED).value
    case.started_on = starts if delegated else None
    last = answers.get(result.path[-1], {})
    case.reconsider_on = answer_date(last.get("reconsider_on"))


def _typed_reasons(answers: Answers, result: FlowResult) -> list[str]:
    """The nurse's own words for a "no", kept with the decision."""
    typed = answers.get(result.path[-1], {}).get("no_reason")
    return [str(typed)] if typed and result.outcome not in _DELEGATED_CODES else []


_DELEGATED_CODES = {OutcomeCode.DELEGATED_EXISTING_PACKAGE, OutcomeCode.DELEGATED_HEALTH_FUNDED,
                    OutcomeCode.DELEGATED_JOINT_FUNDED}


def _record_parts(session: Session, case: DelegationCase, answers: Answers,
                  result: FlowResult, catalogue: Catalogue, today: dt.date) -> None:
    if "S6" in result.path and answers.get("S6", {}).get("consent_given") is not None:
        session.add(_consent(session, case, answers["S6"], today))
    if "S9" in result.path:  # S8 was answered "all signed off"
        _record_competence(session, case, answers, catalogue)
    if "S10" in result.path:
        _record_mdt(session, case, answers, result, today)


def _consent(session: Session, case: DelegationCase, s6: dict[str, Any],
             today: dt.date) -> ConsentRecord:
    given = bool(s6.get("consent_given"))
    contact_id = s6.get("contact_id")
    if contact_id and session.get(Contact, contact_id) is None:
        contact_id = None
    return ConsentRecord(
        person_id=case.person_id, delegation_case_id=case.id,
        status="given" if given else "refused", recorded_on=today,
        given_by_kind=s6.get("given_by_kind") or "person",
        given_by_name=s6.get("given_by_name") or "the person",
        contact_id=contact_id, how=s6.get("how") or "verbal",
        explained=s6.get("explained") or s6.get("no_reason") or "",
        capacity_in_doubt=bool(s6.get("capacity_in_doubt")),
        capacity_decision=s6.get("capacity_decision"),
        capacity_assessed_on=answer_date(s6.get("capacity_assessed_on")),
        capacity_assessor=s6.get("capacity_assessor"),
        capacity_outcome=s6.get("capacity_outcome"),
        bi_consulted=s6.get("bi_consulted"), bi_wishes_feelings=s6.get("bi_wishes_feelings"),
        bi_options=s6.get("bi_options"), bi_least_restrictive=s6.get("bi_least_restrictive"),
    )


def _record_competence(session: Session, case: DelegationCase, answers: Answers,
                       catalogue: Catalogue) -> None:
    s8 = answers.get("S8", {})
    task = catalogue.get(case.task_code)
    for item in s8.get("sign_offs", []):
        signed_off = dt.date.fromisoformat(str(item["signed_off_on"]))
        refresher = refresher_due(signed_off, task, item.get("refresher_due"))
        # A sign-off the worker already holds for this person and task is replaced, never
        # left current beside the new one: it is kept, superseded (its history stays).
        replaced = session.scalars(select(CompetencySignOff).where(
            CompetencySignOff.worker_id == item["worker_id"],
            CompetencySignOff.person_id == case.person_id,
            CompetencySignOff.task_code == case.task_code, ~CompetencySignOff.deleted,
            CompetencySignOff.status == SignOffStatus.CURRENT.value)).all()
        for old in replaced:
            old.status = SignOffStatus.SUPERSEDED.value
        session.add(CompetencySignOff(
            worker_id=item["worker_id"], person_id=case.person_id, task_code=case.task_code,
            training_level=int(item.get("training_level") or task.training_level or 1),
            trainer_name=item["trainer_name"], assessor_name=item["assessor_name"],
            signed_off_on=signed_off, refresher_due=refresher,
            supersedes_id=max(replaced, key=lambda s: (s.signed_off_on, s.id)).id
            if replaced else None,
            delegation_case_id=case.id))
    session.add(ClinicalOversight(
        person_id=case.person_id, delegation_case_id=case.id,
        service_kind="community_health" if s8.get("oversight_service") == "community_health"
        else "gp_practice",
        organisation_name=s8.get("oversight_organisation") or "",
        named_clinician=s8.get("oversight_clinician"),
        phone_in_hours=s8["oversight_phone_in_hours"],
        phone_out_of_hours=s8["oversight_phone_out_of_hours"],
        proposed_automatically=bool(s8.get("oversight_proposed_automatically", False)),
        # Agreed at the MDT with the service named: in effect, and accepted, from the
        # decision (a later transfer waits for the receiving service to accept it).
        effective_from=case.decided_on, accepted_on=case.decided_on))


def _record_mdt(session: Session, case: DelegationCase, answers: Answers,
                result: FlowResult, today: dt.date) -> None:
    s10 = answers.get("S10", {})
    consensus = bool(s10.get("consensus"))
    session.add(MdtDecision(
        delegation_case_id=case.id, met_on=answer_date(s10.get("met_on")) or today,
        attendees=list(s10.get("attendees", [])), consensus=consensus,
        decision=describe(str(result.outcome)).title, notes=s10.get("notes")))
    if consensus:
        return
    about_funding = s10.get("disagreement_about") == "funding"
    # Only disputes about joint-funded cases go to the CSU (Part A, Escalation); any other
    # disagreement is for the shared care discussion and the IPCB.
    joint = result.flags.get("proposed_outcome") == OutcomeCode.DELEGATED_JOINT_FUNDED.value
    weekly = s10.get("interim_weekly_pence")
    session.add(SharedCareDiscussion(
        delegation_case_id=case.id, opened_on=today,
        question=s10.get("question_for_discussion") or "",
        options=s10.get("options") or "",
        funding_proposal=funding_summary(answers),
        interim_funder=s10.get("interim_funder") or Funder.ICB.value,
        interim_from=answer_date(s10.get("interim_from")) or case.started_on or today,
        interim_pence_per_week=None if about_funding or weekly is None else int(weekly),
        escalated_to_mlcsu=about_funding and joint,
        dispute_reference=s10.get("dispute_reference"),
        themes=["funding"] if about_funding else ["delegation"]))


def _record_first_review(session: Session, case: DelegationCase, starts: dt.date) -> dt.date:
    """The 3-month review counts from the day the delegated care starts ("three months
    after initiation"), not from the day the decision was recorded."""
    due = first_review(starts)
    session.add(Review(delegation_case_id=case.id, person_id=case.person_id,
                       due_on=due.due_on, kind=due.kind.value))
    return due.due_on
