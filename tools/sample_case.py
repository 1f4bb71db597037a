"""A delegated case with a full support plan, made through the services on a real vault.

Used by the PDF tests, ``benchmarks/pdf.py`` and ``tools/render_sample_plan.py``.
``build_case`` walks the delegation flow to a jointly funded decision (so the plan has a
consent record with a capacity assessment, clinical oversight, two named care workers with
sign-offs, an NHS and a council share and a first review, what matters to the person,
assistive technology considered, the call frequency reviewed and a partner's CHC Checklist
reused), and returns what it made.
Everything is synthetic: the NHS number is from the 999 range; names, streets, practices and
phones are invented.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import select

from desktop_app.models.person import Contact
from desktop_app.models.plan import SupportPlan
from desktop_app.services import delegation, people
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.providers import register
from desktop_app.services.providers import workers as care_workers

DECIDED_ON = dt.date(2026, 11, 30)
TASK_CODE = "eye_drops"
RATE_PENCE_PER_HOUR = 2437
MINUTES_PER_WEEK = 217
ICB_BASIS_POINTS = 6250


@dataclass
class CaseSpec:
    """What a test may vary: the person's names, the workers' names and the plan's texts."""

    serial: int = 7
    given_name: str = "Zoë"
    family_name: str = "Ní Bhriain"
    preferred_name: str | None = "Zo"
    worker_names: tuple[tuple[str, str], ...] = (("Łukasz", "Żółć"), ("Aisha", "Okafor"))
    provider_name: str = "Demo Homecare Ltd"
    attorney_name: str = "Siobhán Ní Bhriain"
    texts: dict[str, str] = field(default_factory=dict)
    disagree: bool = False  # the MDT does not agree: a shared care discussion opens


TEXTS = {
    "what_is_delegated": "Chloramphenicol 0.5% eye drops, one drop in each eye",
    "what_is_not_delegated": "Any change of medicine or dose; examining the eye",
    "frequency": "Four times a day at the care calls (8am, 12pm, 5pm, 9pm)",
    "equipment": "Eye drops kept in the fridge; a clean tissue for each eye",
    "do_thresholds": "Give the drops as prescribed and record each dose on the MAR chart",
    "call_nurse_thresholds": "Eye red, painful or sticky; drops refused twice running",
    "if_refused": "Respect the refusal, record it and ring the nurse the same day",
    "if_missed": "Do not double up; give the next dose at its usual time and ring the nurse",
    "if_equipment_fails": "If the bottle is damaged or out of date, do not use it: ring the "
                          "pharmacy and the nurse",
    "if_out_of_range": "Not applicable to eye drops: follow the call-the-nurse list above",
    "in_emergency": "Call 999, then the out-of-hours number",
    "person_words": "I want to stay at home and have my eyes looked after by the carers "
                    "I know.",
    "strengths": "Knows her own routine; her daughter visits every evening",
    "self_care": "Washes and dresses herself; keeps her own medicine diary",
    "at_kind": "Eye drop applicator",
    "at_reason": "her hands shake too much to squeeze the bottle, even with the applicator",
    "calls_note": "The drops are given at the four calls she already has.",
    "reuse_organisation": "LLR Integrated Care Board",
    "reuse_assessor": "C Checklist (CHC nurse assessor)",
    "explained": "What the care worker will do, when they will ring the nurse, and that "
                 "consent can be withdrawn at any time",
    "capacity_decision": "Agreeing to care workers giving eye drops",
    "question": "Who funds the extra minutes at each call?",
    "options": "ICB funds all; 50/50 split; council funds within the package",
}


@dataclass(frozen=True)
class BuiltCase:
    """Ids and the values the plan should show."""

    person_id: str
    case_id: str
    plan_id: str
    nhs_number: str
    worker_ids: tuple[str, ...]
    texts: dict[str, str]


def _add_people_around(uow: UnitOfWork, person_id: str, spec: CaseSpec) -> str:
    with uow.begin() as s:
        attorney = Contact(person_id=person_id, kind="lpa_health_welfare",
                           name=spec.attorney_name, relationship="Daughter",
                           phone="07700 900123", registration_reference="OPG-DEMO-0001",
                           registered_on=dt.date(2024, 3, 1), can_decide_health_welfare=True)
        s.add(attorney)
        s.flush()
        return attorney.id


# The day a sample provider confirmed its insurance covers delegated healthcare tasks (no
# end date recorded: the cover holds on every decision day a test or tool uses).
INSURANCE_CONFIRMED_ON = dt.date(2026, 9, 1)


def add_insured_provider(
        uow: UnitOfWork, name: str = "Demo Homecare Ltd",
        worker_names: tuple[tuple[str, str], ...] = (("Aisha", "Worker"), ("Tomasz", "Worker")),
        council: str = "leicester_city", role_title: str = "Care worker",
) -> tuple[str, list[str]]:
    """A provider on the register, active and insured for delegated healthcare tasks, with
    its care workers, made through the register's services as a user adds them:
    (provider id, worker ids in the order named)."""
    provider = register.create_provider(uow, register.ProviderInput(
        name=name, council=council, council_areas=(council,), phone="0116 496 0000",
        cqc_location_id="1-999000001", contact_name="Pat Example",
        insurance_covers_delegated=True, insurance_confirmed_on=INSURANCE_CONFIRMED_ON))
    return provider.id, [care_workers.add_worker(uow, provider.id, care_workers.WorkerInput(
        given, family, role_title)).worker.id for given, family in worker_names]


def _add_provider(uow: UnitOfWork, spec: CaseSpec) -> tuple[str, list[str]]:
    return add_insured_provider(uow, spec.provider_name, spec.worker_names,
                                role_title="Senior care worker")


# S9's efficient use of resources (the texts are the case's own: ``TEXTS``).
RESOURCES: dict[str, Any] = {"at_considered": True, "at_outcome": "not_suitable",
                             "calls_reviewed": True, "calls_outcome": "fits_existing_call"}
# S9's efficient use of resources answered in full, for answers written by hand (every
# delegated route passes S9, and ``decide`` refuses one without them).
S9_ANSWERED: dict[str, Any] = {
    "at_considered": True, "at_kind": "Automated pill dispenser", "at_outcome": "not_suitable",
    "at_reason": "The medicine is not a tablet", "calls_reviewed": True,
    "calls_outcome": "fits_existing_call"}
# The partner's CHC Checklist S2 reuses (typed in the wizard): ten weeks before the decision.
REUSED_CHECKLIST_ON = dt.date(2026, 9, 21)


def answers_for(spec: CaseSpec, texts: dict[str, str], provider_id: str, workers: list[str],
                attorney_id: str, decided_on: dt.date = DECIDED_ON) -> dict[str, dict[str, Any]]:
    """Answers that reach DELEGATED_JOINT_FUNDED (or an escalation when ``disagree``).

    Sign-off and the MDT meeting come before ``decided_on`` (the service refuses a sign-off
    or a meeting dated after the decision)."""
    signed = min(dt.date(2026, 11, 20), decided_on - dt.timedelta(days=10))
    met = min(dt.date(2026, 11, 27), decided_on)
    checklist = min(REUSED_CHECKLIST_ON, decided_on - dt.timedelta(days=70))
    task_keys = ("what_is_delegated", "what_is_not_delegated", "frequency", "equipment",
                 "do_thresholds", "call_nurse_thresholds", "if_refused", "if_missed",
                 "if_equipment_fails", "if_out_of_range", "in_emergency")
    return {
        "S1": {"task_code": TASK_CODE, "referred_by": "District nurse", "is_health_need": True},
        "S2": {"chc_checklist_positive": False, "reused_assessment": {
            "kind": "chc_checklist", "organisation": texts["reuse_organisation"],
            "assessor": texts["reuse_assessor"], "assessed_on": checklist.isoformat(),
            "summary": "Negative: no primary health need"}},
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": True, **{k: texts[k] for k in task_keys}},
        "S5": {"incidental_or_ancillary": True},
        "S6": {"consent_given": True, "given_by_kind": "lpa", "contact_id": attorney_id,
               "given_by_name": spec.attorney_name, "how": "written",
               "explained": texts["explained"], "person_words": texts["person_words"],
               "strengths": texts["strengths"], "self_care": texts["self_care"],
               "took_part": [{"kind": "person", "name": ""},
                             {"kind": "attorney", "name": spec.attorney_name}],
               "capacity_in_doubt": True, "capacity_decision": texts["capacity_decision"],
               "capacity_assessed_on": "2026-11-10", "capacity_assessor": "A Nurse (community)",
               "capacity_outcome": "lacks_capacity"},
        "S7": {"provider_accepts": True, "provider_id": provider_id, "worker_ids": workers,
               "insurance_confirmed": True},
        "S8": {"all_signed_off": True, "oversight_service": "community_health",
               "oversight_organisation": "City South community nursing",
               "oversight_clinician": "Sam Example RN",
               "oversight_phone_in_hours": "0116 496 0101",
               "oversight_phone_out_of_hours": "0116 496 0999",
               "sign_offs": [{"worker_id": w, "training_level": 2, "trainer_name": "T Trainer",
                              "assessor_name": "A Assessor",
                              "signed_off_on": signed.isoformat()} for w in workers]},
        "S9": {"fits_existing_calls": False, **RESOURCES, "at_kind": texts["at_kind"],
               "at_reason": texts["at_reason"], "calls_note": texts["calls_note"]},
        "S9F": {"method": "fixed_percentage", "icb_share": "part", "inputs": {
            "method": "fixed_percentage", "council": "leicester_city",
            "rate_pence_per_hour": RATE_PENCE_PER_HOUR, "lead_commissioner": "leicester_city",
            "start_date": "2026-12-01", "minutes_per_week": MINUTES_PER_WEEK,
            "icb_basis_points": ICB_BASIS_POINTS}},
        "S10": {"met_on": met.isoformat(), "consensus": not spec.disagree,
                "attendees": [
                    {"role": "Community nurse", "organisation": "LPT", "name": "Sam Example"},
                    {"role": "Social worker", "organisation": "Leicester City Council",
                     "name": "Kit Sample"}],
                "disagreement_about": "funding", "question_for_discussion": texts["question"],
                "options": texts["options"], "interim_funder": "icb",
                "dispute_reference": "SCD-DEMO-42"},
    }


def build_case(uow: UnitOfWork, spec: CaseSpec | None = None) -> BuiltCase:
    """Person, contacts, provider, workers and a decided delegation with its plan."""
    spec = spec or CaseSpec()
    nhs = synthetic_nhs_number(spec.serial)
    person = people.create_person(uow, people.PersonInput(
        nhs_number=nhs, given_name=spec.given_name, family_name=spec.family_name,
        preferred_name=spec.preferred_name, date_of_birth=dt.date(1938, 5, 17),
        address_line1="12 Example Avenue", address_line2="Flat 3", town="Leicester",
        postcode="LE2 9ZZ", team="City South", phone="0116 496 0777",
        gp_practice_code="Y99999", gp_practice_name="Leicester Demo Medical Practice",
        open_to_community_health=True, communication_needs="Hard of hearing: face her and "
        "speak clearly"))
    return delegate_again(uow, person.id, nhs, spec)


def delegate_again(uow: UnitOfWork, person_id: str, nhs: str, spec: CaseSpec,
                   decided_on: dt.date = DECIDED_ON) -> BuiltCase:
    """Another delegation for the same person: their plan's next version."""
    texts = {**TEXTS, **spec.texts}
    attorney_id = _add_people_around(uow, person_id, spec)
    provider_id, workers = _add_provider(uow, spec)
    answers = answers_for(spec, texts, provider_id, workers, attorney_id, decided_on)
    flow, catalogue = load_flow(), load_catalogue()
    case_id = delegation.save_draft(uow, person_id, None, answers, "S10", flow, catalogue)
    delegation.decide(uow, case_id, answers, flow, catalogue, "A Nurse", decided_on)
    with uow.read() as s:
        plan_id = s.scalars(select(SupportPlan.id).where(SupportPlan.delegation_case_id == case_id)
                            ).first() or ""
    return BuiltCase(person_id, case_id, plan_id, nhs, tuple(workers), texts)
