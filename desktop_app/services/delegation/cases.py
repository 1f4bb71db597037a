"""Delegation cases: drafts saved as the wizard goes, and the decision recorded at the end.

A case starts as a draft (the answers so far and the step on screen), saved in the vault
on every page change, so a flat battery or a killed app loses nothing: the next start
offers to resume it. ``decide`` evaluates the answers with the flow, then writes in one
unit of work the case's outcome (with the flow version and reasons), the consent record,
competency sign-offs, clinical oversight, the MDT decision or shared care discussion,
and, when the task is delegated, a new support plan version with its funding and the
first review. Audit and outbox rows follow from tracking.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass, fields
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.oversight import ClinicalOversight
from desktop_app.models.person import Contact, Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan, SupportPlanTask
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework import funding
from desktop_app.services.framework.catalogue import Catalogue, TaskTypeInfo, UnknownTaskType
from desktop_app.services.framework.delegation_context import (
    ContactOption,
    ProviderOption,
    WizardContext,
    WorkerOption,
    task_options,
)
from desktop_app.services.framework.flow import (
    Flow,
    FlowResult,
    check_answer_types,
    current_flow,
    evaluate,
)
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.framework.review_schedule import add_months, first_review
from desktop_app.services.plans.document import task_name
from desktop_app.services.vault.task_types import task_name_sql

Answers = dict[str, dict[str, Any]]
DEFAULT_REFRESHER_MONTHS = 12
DEFAULT_TEXT = {
    "if_refused": "Respect the refusal, record it and tell the community nursing team today.",
    "if_missed": "Do not double up. Call the community nursing team for advice.",
    "if_equipment_fails": "Do not improvise. Call the community nursing team.",
    "if_out_of_range": "Follow the 'call the nurse' thresholds above.",
    "in_emergency": "Call 999.",
}


@dataclass(frozen=True)
class DraftSummary:
    """A delegation left unfinished, offered for resuming."""

    case_id: str
    person_id: str
    person_name: str
    task_code: str
    current_step: str | None
    updated_at: dt.datetime
    task_name: str = ""
    step_title: str = ""


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


# ---------------------------------------------------------------- context and drafts


def _person(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.deleted:
        raise NotFound("That person is not on the caseload.")
    return person


def _providers(session: Session) -> tuple[ProviderOption, ...]:
    providers = session.scalars(
        select(CareProvider).where(~CareProvider.deleted).order_by(CareProvider.name))
    options = []
    for provider in providers:
        workers = session.scalars(
            select(CareWorker).where(CareWorker.provider_id == provider.id, ~CareWorker.deleted,
                                     CareWorker.active)
            .order_by(CareWorker.family_name, CareWorker.given_name))
        options.append(ProviderOption(provider.id, provider.name, provider.council, tuple(
            WorkerOption(w.id, f"{w.given_name} {w.family_name}") for w in workers)))
    return tuple(options)


def wizard_context(uow: UnitOfWork, person_id: str, catalogue: Catalogue,
                   case_id: str | None = None) -> WizardContext:
    """Everything the wizard shows for this person (and a draft's answers, if resuming)."""
    with uow.read() as session:
        person = _person(session, person_id)
        contacts = tuple(
            ContactOption(c.id, c.name, c.kind, c.can_decide_health_welfare)
            for c in person.contacts if not c.deleted)
        case = session.get(DelegationCase, case_id) if case_id else None
        return WizardContext(
            person_id=person.id, person_name=f"{person.given_name} {person.family_name}",
            nhs_number_display=format_nhs_number(person.nhs_number),
            date_of_birth_display=person.date_of_birth.strftime("%d/%m/%Y"),
            open_to_community_health=person.open_to_community_health,
            gp_practice_name=person.gp_practice_name or "", team=person.team,
            tasks=task_options(catalogue),
            providers=_providers(session), contacts=contacts,
            case_id=case.id if case else None,
            answers={k: dict(v) for k, v in (case.answers if case else {}).items()},
            current_step=case.current_step if case else None,
        )


def save_draft(uow: UnitOfWork, person_id: str, case_id: str | None, answers: Answers,
               current_step: str, flow: Flow, catalogue: Catalogue) -> str:
    """Save the wizard's answers so far; returns the case id (new on the first save)."""
    require(uow, Permission.DELEGATE)
    task_code = str(answers.get("S1", {}).get("task_code") or "")
    version = catalogue.version
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id) if case_id else None
        if case is None:
            _person(session, person_id)
            case = DelegationCase(person_id=person_id, referred_by="", flow_version=flow.version,
                                  task_code=task_code, task_catalogue_version=version,
                                  status=CaseStatus.DRAFT.value)
            session.add(case)
        elif case.status != CaseStatus.DRAFT.value:
            raise ValidationError("This delegation has already been decided.")
        case.answers = {k: dict(v) for k, v in answers.items()}  # a new value: JSON is tracked
        case.current_step = current_step[:8]
        case.task_code = task_code
        case.referred_by = str(answers.get("S1", {}).get("referred_by") or "")
        session.flush()
        return case.id


def drafts(uow: UnitOfWork) -> list[DraftSummary]:
    """Unfinished delegations on this laptop, newest first."""
    with uow.read() as session:
        rows = session.execute(
            select(DelegationCase, Person,
                   task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version))
            .join(Person, Person.id == DelegationCase.person_id)
            .where(DelegationCase.status == CaseStatus.DRAFT.value, ~DelegationCase.deleted)
            .order_by(DelegationCase.updated_at.desc()))
        steps = current_flow().steps
        return [DraftSummary(c.id, p.id, f"{p.given_name} {p.family_name}", c.task_code,
                             c.current_step, c.updated_at, name or "",
                             steps[c.current_step].title
                             if c.current_step is not None and c.current_step in steps else "")
                for c, p, name in rows]


def discard_draft(uow: UnitOfWork, case_id: str) -> None:
    """Throw a draft away (a tombstone, so the discard syncs too)."""
    require(uow, Permission.DELEGATE)
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id)
        if case is None or case.deleted or case.status != CaseStatus.DRAFT.value:
            raise NotFound("That draft is no longer there.")
        case.deleted = True


# ---------------------------------------------------------------- deciding


def facts_for(answers: Mapping[str, Mapping[str, Any]], catalogue: Catalogue) -> dict[str, Any]:
    """Catalogue facts for the flow: the chosen task's typical status."""
    task = _task(answers.get("S1", {}).get("task_code"), catalogue)
    return {} if task is None else {"task.typical_status": task.typical_status}


def _date(value: Any) -> dt.date | None:
    return dt.date.fromisoformat(str(value)) if value else None


def decide(uow: UnitOfWork, case_id: str, answers: Answers, flow: Flow, catalogue: Catalogue,
           recorded_by: str, today: dt.date | None = None) -> Decision:
    """Record the outcome the answers reach, and everything that follows from it."""
    require(uow, Permission.DELEGATE)
    today = today or dt.date.today()
    check_answer_types(flow, answers)
    answers = with_funding_judged(answers)
    result = evaluate(flow, answers, facts_for(answers, catalogue))
    if not result.decided or result.outcome is None:
        raise ValidationError("The answers do not reach an outcome yet; go back to the step "
                              "that needs answering.")
    check_outcome_safe(result.outcome, answers, catalogue)
    if "S9" in result.path:  # S8 answered "all signed off": every sign-off must hold today
        # Recording sign-offs is a nurse's or team lead's (H-026), as in the register.
        require(uow, Permission.MANAGE_COMPETENCY)
        check_sign_offs(answers, catalogue, today)
        check_oversight(answers)
    starts = care_starts_on(answers, today) if describe(result.outcome).delegated else None
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id)
        if case is None or case.deleted:
            raise NotFound("That delegation is no longer there.")
        if case.status != CaseStatus.DRAFT.value:
            raise ValidationError("This delegation has already been decided.")
        if "S7" in result.path:  # consent was given: by someone who may give it
            check_consent(session, case.person_id, answers.get("S6", {}))
        if "S8" in result.path:
            check_workers(session, answers.get("S7", {}))
        _record_case(case, answers, result, today, starts, catalogue)
        _record_parts(session, case, answers, result, catalogue, today)
        plan_version, review_due = None, None
        if starts is not None:
            plan_version = _record_plan(session, case, answers, recorded_by, today)
            review_due = _record_first_review(session, case, starts)
        text = describe(result.outcome)
        return Decision(case.id, result.outcome, text.title, result.reasons, text.next_steps,
                        result.flow_version, plan_version, review_due, starts)


# ---------------------------------------------------------------- safety checks

# Outcomes a registered-nurse-only task may have: Health keeps it (or CHC takes it on).
RN_TASK_OUTCOMES = frozenset({OutcomeCode.NOT_DELEGATED.value, OutcomeCode.REFER_CHC.value})
MAX_START_AHEAD = dt.timedelta(days=366)


def _task(code: Any, catalogue: Catalogue) -> TaskTypeInfo | None:
    try:
        return catalogue.get(str(code)) if code else None
    except UnknownTaskType:
        return None


def check_outcome_safe(outcome: str, answers: Answers, catalogue: Catalogue) -> None:
    """Refuse an outcome the chosen task can never have, whatever the flow file says.

    The flow is replaceable data; this is the code's own guard (hazard H-002): a task the
    catalogue lists as registered-nurse only never leaves the nurse, and only a delegable
    (D) task is ever delegated to a care worker.
    """
    code = answers.get("S1", {}).get("task_code")
    task = _task(code, catalogue)
    if task is not None and task.is_registered_nurse_only and outcome not in RN_TASK_OUTCOMES:
        raise ValidationError(
            f"{task.name} is registered-nurse only: it stays with the nursing team and "
            f"cannot be recorded as \"{describe(outcome).title}\".", field="S1.task_code")
    if describe(outcome).delegated and (task is None or not task.is_delegable):
        raise ValidationError("Only a task the catalogue lists as delegable can be delegated "
                              "to a care worker; go back to step S1.", field="S1.task_code")


def uk_day(day: dt.date) -> str:
    """A day as the app shows it in messages: 05/01/2027."""
    return day.strftime("%d/%m/%Y")


def _sign_off_problem(item: Any, task: TaskTypeInfo, today: dt.date) -> str | None:
    if not isinstance(item, Mapping):
        return "a sign-off is incomplete"
    name = str(item.get("worker_name") or "A named worker")
    missing = [what for key, what in (("trainer_name", "the trainer"),
                                      ("assessor_name", "the assessor"),
                                      ("signed_off_on", "the date signed off competent"))
               if not str(item.get(key) or "").strip()]
    if missing:
        return f"{name}: enter {', '.join(missing)}"
    if item.get("training_level") not in (None, 1, 2, "1", "2"):
        return f"{name}: the training level is 1 (generic) or 2 (enhanced)"
    try:
        signed = dt.date.fromisoformat(str(item["signed_off_on"]))
    except ValueError:
        return f"{name}: the date signed off competent is not a date"
    if signed > today:
        return (f"{name}: the date signed off competent ({uk_day(signed)}) is in the future; "
                "record sign-off once the worker has been assessed")
    due = refresher_due(signed, task, item.get("refresher_due"))
    if due <= today:
        return (f"{name}: the sign-off of {uk_day(signed)} needed its refresher by {uk_day(due)}; "
                "the worker must be reassessed and signed off again before the task is "
                "delegated")
    return None


def refresher_due(signed: dt.date, task: TaskTypeInfo, given: Any = None) -> dt.date:
    """Sign-off date plus the task's refresher interval (12 months unless the catalogue
    says otherwise); an earlier date given by the assessor stands, a later one never."""
    due = add_months(signed, task.refresher_months or DEFAULT_REFRESHER_MONTHS)
    try:
        earlier = dt.date.fromisoformat(str(given)) if given else None
    except ValueError:
        earlier = None
    return min(due, earlier) if earlier else due


def check_sign_offs(answers: Answers, catalogue: Catalogue, today: dt.date) -> None:
    """Every worker named on S7 has a complete, current sign-off for this person and task
    (hazards H-005, H-006): none in the future, none whose refresher has fallen due, none
    for a worker not named."""
    task = _task(answers.get("S1", {}).get("task_code"), catalogue)
    if task is None:
        raise ValidationError("Choose the task on step S1.", field="S1.task_code")
    named = [str(w) for w in answers.get("S7", {}).get("worker_ids") or ()]
    items = list(answers.get("S8", {}).get("sign_offs") or ())
    by_worker = {str(i.get("worker_id")): i for i in items if isinstance(i, Mapping)}
    problems = [f"{by_worker.get(w, {}).get('worker_name') or 'A named worker'}: "
                "no sign-off is recorded" for w in named if w not in by_worker]
    problems += ["a sign-off is for a worker not named on step S7"
                 for w in by_worker if w not in named]
    problems += [p for item in items if (p := _sign_off_problem(item, task, today))]
    if problems:
        raise ValidationError("Training and competence (S8): " + "; ".join(problems) + ".",
                              field="S8.sign_offs")


# Who may decide for someone else (MCA 2005), the contact kind each needs, and the four parts
# of a best-interests decision: the S6 page uses the same.
FOR_SOMEONE_ELSE = ("lpa", "deputy", "best_interests")
CONTACT_KINDS = {"lpa": "lpa_health_welfare", "deputy": "deputy"}
BEST_INTERESTS = ("bi_consulted", "bi_wishes_feelings", "bi_options", "bi_least_restrictive")


def check_consent(session: Session, person_id: str, s6: Mapping[str, Any]) -> None:
    """Consent given by someone who may give it, for this person (hazard H-007; MCA 2005):
    the person unless assessed as lacking capacity; otherwise a registered health and
    welfare attorney or a deputy among *this person's* contacts, or a complete best-interests
    decision. The S6 page says the same; this holds for any caller."""
    kind = s6.get("given_by_kind") or "person"
    lacks = s6.get("capacity_outcome") == "lacks_capacity"
    if kind == "person" and lacks:
        raise ValidationError("The capacity assessment found the person lacks capacity for "
                              "this decision, so the consent cannot be their own.",
                              field="S6.given_by_kind")
    if kind in FOR_SOMEONE_ELSE and not lacks:
        raise ValidationError("An attorney, a deputy or a best-interests decision can decide "
                              "only when an assessment found the person lacks capacity.",
                              field="S6.capacity_outcome")
    if kind in CONTACT_KINDS:
        contact = session.get(Contact, str(s6.get("contact_id") or ""))
        if (contact is None or contact.deleted or contact.person_id != person_id
                or not contact.can_decide_health_welfare
                or contact.kind != CONTACT_KINDS[kind]):
            raise ValidationError("Consent by an attorney or deputy needs that attorney or "
                                  "deputy chosen from this person's contacts, registered to "
                                  "decide about health and welfare.", field="S6.contact_id")
    if kind == "best_interests" and not all(str(s6.get(k) or "").strip()
                                            for k in BEST_INTERESTS):
        raise ValidationError("A best-interests decision needs who was consulted, the "
                              "person's wishes and feelings, the options and the least "
                              "restrictive choice.", field="S6.bi_consulted")


def check_workers(session: Session, s7: Mapping[str, Any]) -> None:
    """The named workers are active workers of the provider that accepted (H-006)."""
    provider_id = str(s7.get("provider_id") or "")
    for worker_id in s7.get("worker_ids") or ():
        worker = session.get(CareWorker, str(worker_id))
        if worker is None or worker.deleted or not worker.active \
                or worker.provider_id != provider_id:
            raise ValidationError("A named care worker is not an active worker of the "
                                  "provider that accepted the task; go back to step S7.",
                                  field="S7.worker_ids")


def check_oversight(answers: Answers) -> None:
    """Clinical oversight names its service and organisation and the numbers a care worker
    calls in and out of hours (hazard H-022); the S8 page asks the same."""
    s8 = answers.get("S8", {})
    missing = [what for key, what in (
        ("oversight_service", "the oversight service"),
        ("oversight_organisation", "the organisation"),
        ("oversight_phone_in_hours", "the phone number in hours"),
        ("oversight_phone_out_of_hours", "the phone number out of hours"))
        if not str(s8.get(key) or "").strip()]
    if missing:
        raise ValidationError("Clinical oversight (S8): enter " + ", ".join(missing) + ".",
                              field="S8.oversight_phone_in_hours")


def care_starts_on(answers: Answers, today: dt.date) -> dt.date:
    """The day the delegated care starts, from which the review clock runs (hazard H-010):
    the date given on S10, else the extra care's start on S9F, else the decision day."""
    s10, s9f = answers.get("S10", {}), answers.get("S9F", {})
    typed = s10.get("care_starts_on") or s9f.get("start_date") or (
        (s9f.get("inputs") or {}).get("start_date"))
    try:
        starts = dt.date.fromisoformat(str(typed)) if typed else today
        met = _date(s10.get("met_on"))
    except ValueError:
        raise ValidationError("The date the care starts is not a date.",
                              field="S10.care_starts_on") from None
    if met is not None and met > today:
        raise ValidationError("The MDT meeting date has not come yet; please check it.",
                              field="S10.met_on")
    if met is not None and starts < met:
        raise ValidationError(f"The care cannot start ({uk_day(starts)}) before the MDT agreed it "
                              f"({uk_day(met)}).", field="S10.care_starts_on")
    if starts > today + MAX_START_AHEAD:
        raise ValidationError("The care starts more than a year ahead; please check the date.",
                              field="S10.care_starts_on")
    return starts


def with_funding_judged(answers: Answers) -> Answers:
    """The answers with S9F's "NHS share" worked out again from the inputs: the service
    judges who pays for the extra time, never the page (hazard H-011)."""
    s9f = answers.get("S9F")
    if not s9f or not s9f.get("inputs"):
        return answers
    try:
        result = funding_result(s9f)
    except (KeyError, TypeError, ValueError):  # an echo missing a part, or not a number
        raise ValidationError("The funding amounts are incomplete; go back to the funding "
                              "page (S9F).", field="S9F.inputs") from None
    if result is None:
        return answers
    return {**answers, "S9F": {**s9f, "icb_share": result.nhs_share.value}}


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
    case.reconsider_on = _date(last.get("reconsider_on"))


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
        capacity_assessed_on=_date(s6.get("capacity_assessed_on")),
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
        session.add(CompetencySignOff(
            worker_id=item["worker_id"], person_id=case.person_id, task_code=case.task_code,
            training_level=int(item.get("training_level") or task.training_level or 1),
            trainer_name=item["trainer_name"], assessor_name=item["assessor_name"],
            signed_off_on=signed_off, refresher_due=refresher,
            delegation_case_id=case.id))
    session.add(ClinicalOversight(
        person_id=case.person_id, delegation_case_id=case.id,
        service_kind="community_health" if s8.get("oversight_service") == "community_health"
        else "gp_practice",
        organisation_name=s8.get("oversight_organisation") or "",
        named_clinician=s8.get("oversight_clinician"),
        phone_in_hours=s8["oversight_phone_in_hours"],
        phone_out_of_hours=s8["oversight_phone_out_of_hours"],
        proposed_automatically=bool(s8.get("oversight_proposed_automatically", False))))


def _record_mdt(session: Session, case: DelegationCase, answers: Answers,
                result: FlowResult, today: dt.date) -> None:
    s10 = answers.get("S10", {})
    consensus = bool(s10.get("consensus"))
    session.add(MdtDecision(
        delegation_case_id=case.id, met_on=_date(s10.get("met_on")) or today,
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
        funding_proposal=_funding_summary(answers),
        interim_funder=s10.get("interim_funder") or Funder.ICB.value,
        interim_from=_date(s10.get("interim_from")) or case.started_on or today,
        interim_pence_per_week=None if about_funding or weekly is None else int(weekly),
        escalated_to_mlcsu=about_funding and joint,
        dispute_reference=s10.get("dispute_reference"),
        themes=["funding"] if about_funding else ["delegation"]))


# ---------------------------------------------------------------- the plan


def funding_result(s9f: Mapping[str, Any]) -> funding.FundingResult | None:
    """Recompute the split from the funding page's echoed inputs (never trust totals)."""
    echo = s9f.get("inputs") or {}
    method = echo.get("method") or s9f.get("method")
    if not method or method not in funding.METHOD_INPUTS:
        return None
    cls = funding.METHOD_INPUTS[str(method)]
    basis = funding.FundingBasis(
        council=Funder(echo["council"]), rate_pence_per_hour=int(echo["rate_pence_per_hour"]),
        lead_commissioner=Funder(echo["lead_commissioner"]),
        start_date=_date(echo.get("start_date") or s9f.get("start_date")) or dt.date.today())
    kwargs = {f.name: echo[f.name] for f in fields(cls) if f.name in echo}
    return funding.apportion(basis, cls(**kwargs))


def _funding_summary(answers: Answers) -> str:
    result = funding_result(answers.get("S9F", {})) if answers.get("S9F") else None
    if result is None:
        return "Within the existing package."
    return "; ".join(f"{s.funder.value}: {funding.format_pounds(s.pence_per_week)} a week"
                     for s in result.shares)


def _record_plan(session: Session, case: DelegationCase, answers: Answers, recorded_by: str,
                 today: dt.date) -> int:
    latest = session.scalar(select(func.max(SupportPlan.version_number))
                            .where(SupportPlan.person_id == case.person_id))
    plan = SupportPlan(person_id=case.person_id, delegation_case_id=case.id,
                       version_number=(latest or 0) + 1, effective_from=today,
                       created_by_name=recorded_by,
                       person_words=answers.get("S6", {}).get("person_words"))
    carried_tasks, carried_funding = _carried_forward(session, case)
    plan.tasks = [*carried_tasks, _task_line(case, answers)]
    plan.funding_splits = [*carried_funding, *_funding_rows(session, case, answers, today)]
    session.add(plan)
    session.flush()
    return plan.version_number


def plan_without(session: Session, case: DelegationCase, effective_from: dt.date,
                 created_by: str) -> int | None:
    """End ``case``'s part of the person's support plan: a new plan version that carries
    the person's other running delegations and leaves this task and its funding lines out
    (its funding ends on ``effective_from``, when the new version takes effect). None if
    the person's latest plan does not carry the case (nothing to end).

    The case must already have left the running statuses, so it is not carried forward.
    """
    latest = session.scalar(select(SupportPlan).where(
        SupportPlan.person_id == case.person_id, ~SupportPlan.deleted)
        .order_by(SupportPlan.version_number.desc()).limit(1))
    if latest is None or not any(line.delegation_case_id == case.id for line in latest.tasks):
        return None
    carried_tasks, carried_funding = _carried_forward(session, case, same_task=True)
    # Versions take effect in order: a withdrawal recorded late never predates the newest.
    effective_from = max(effective_from, latest.effective_from)
    # The version belongs to a delegation still on it (its consent, oversight and reviews
    # are what the printed plan shows), never to the one that ended.
    owner_id = _newest_case(session, [t.delegation_case_id for t in carried_tasks])
    ended = task_name(session, case.task_code, case.task_catalogue_version)
    plan = SupportPlan(person_id=case.person_id, delegation_case_id=owner_id,
                       version_number=latest.version_number + 1, effective_from=effective_from,
                       created_by_name=created_by, person_words=latest.person_words,
                       summary=f"{ended}: the delegation ended on {uk_day(effective_from)}; "
                               "the task is back with the nursing team.")
    plan.tasks, plan.funding_splits = carried_tasks, carried_funding
    session.add(plan)
    session.flush()
    return plan.version_number


def _newest_case(session: Session, case_ids: list[str | None]) -> str | None:
    """Of these delegations, the one decided last (the owner of a carried-forward plan)."""
    ids = [i for i in case_ids if i]
    if not ids:
        return None
    return session.scalar(select(DelegationCase.id).where(DelegationCase.id.in_(ids))
                          .order_by(DelegationCase.decided_on.desc(),
                                    DelegationCase.created_at.desc()).limit(1))


_BOOKKEEPING = frozenset({"id", "plan_id", "version", "server_version", "created_at",
                          "updated_at", "updated_by", "device_id", "deleted"})


def _copy(row: Any) -> Any:
    """A new row with the same content (plan lines are immutable: a new version copies)."""
    columns = type(row).__table__.columns.keys()
    return type(row)(**{name: getattr(row, name) for name in columns
                        if name not in _BOOKKEEPING})


def _carried_forward(session: Session, case: DelegationCase, same_task: bool = False
                     ) -> tuple[list[SupportPlanTask], list[FundingSplit]]:
    """The person's other running delegations stay on the new plan version: each one's task
    line and funding from the latest plan that case made. (A person can have eye drops and
    insulin delegated at once; a new version must not drop the first.) A new delegation
    replaces a running one of the same task unless ``same_task``."""
    others = session.scalars(select(DelegationCase).where(
        DelegationCase.person_id == case.person_id, DelegationCase.id != case.id,
        *(() if same_task else (DelegationCase.task_code != case.task_code,)),
        ~DelegationCase.deleted,
        DelegationCase.status.in_((CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value))))
    tasks: list[SupportPlanTask] = []
    splits: list[FundingSplit] = []
    for other in others:
        plan = session.scalar(select(SupportPlan).where(
            SupportPlan.delegation_case_id == other.id, ~SupportPlan.deleted)
            .order_by(SupportPlan.version_number.desc()).limit(1))
        if plan is None:
            continue
        tasks += [_copy(line) for line in plan.tasks if line.delegation_case_id == other.id]
        splits += [_copy(split) for split in plan.funding_splits
                   if split.delegation_case_id == other.id]
    return tasks, splits


def _task_line(case: DelegationCase, answers: Answers) -> SupportPlanTask:
    s4 = answers.get("S4", {})
    return SupportPlanTask(
        delegation_case_id=case.id, task_code=case.task_code,
        task_catalogue_version=case.task_catalogue_version,
        what_is_delegated=s4.get("what_is_delegated", ""),
        what_is_not_delegated=s4.get("what_is_not_delegated", ""),
        frequency=s4.get("frequency", ""), equipment=s4.get("equipment"),
        do_thresholds=s4.get("do_thresholds", ""),
        call_nurse_thresholds=s4.get("call_nurse_thresholds", ""),
        worker_ids=list(answers.get("S7", {}).get("worker_ids", [])),
        **{k: s4.get(k) or text for k, text in DEFAULT_TEXT.items()})


def _funding_rows(session: Session, case: DelegationCase, answers: Answers,
                  today: dt.date) -> list[FundingSplit]:
    result = funding_result(answers.get("S9F", {})) if answers.get("S9F") else None
    interim = case.outcome_code == OutcomeCode.INTERIM_WITHOUT_PREJUDICE.value
    s10 = answers.get("S10", {})
    if result is None:
        council = _council_of(session, answers)
        return [FundingSplit(delegation_case_id=case.id, funder=f.value,
                             method="existing_package", inputs={},
                             pence_per_week=0, free_to_person=f is Funder.ICB,
                             lead_commissioner=f is not Funder.ICB,
                             start_date=case.started_on or today)
                for f in (Funder.ICB, council)]
    return [FundingSplit(
        delegation_case_id=case.id, funder=share.funder.value, method=result.method.value,
        inputs=result.json_inputs(),
        pence_per_week=share.pence_per_week, free_to_person=share.free_to_person,
        lead_commissioner=share.funder == result.lead_commissioner,
        start_date=result.start_date, interim_without_prejudice=interim,
        dispute_reference=s10.get("dispute_reference") if interim else None)
        for share in result.shares]


def _council_of(session: Session, answers: Answers) -> Funder:
    """The council of the provider that accepted: never a guess (hazard H-011)."""
    provider = session.get(CareProvider, answers.get("S7", {}).get("provider_id") or "")
    if provider is None or provider.deleted or not provider.council:
        raise ValidationError("The care provider that accepted the task is not on this laptop "
                              "or names no council; go back to step S7.",
                              field="S7.provider_id")
    return Funder(provider.council)


def _record_first_review(session: Session, case: DelegationCase, starts: dt.date) -> dt.date:
    """The 3-month review counts from the day the delegated care starts ("three months
    after initiation"), not from the day the decision was recorded."""
    due = first_review(starts)
    session.add(Review(delegation_case_id=case.id, person_id=case.person_id,
                       due_on=due.due_on, kind=due.kind.value))
    return due.due_on
