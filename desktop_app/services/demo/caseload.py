"""The demo caseload itself: people, providers and workers, delegations in every state,
case examples, changes of need and a delegation's life after the decision (the package's
``__init__`` says what the demo is)."""

from __future__ import annotations

import datetime as dt
import random
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from desktop_app.models.user import Role
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.demo.principles import (
    seed_demo_person_centred,
    seed_demo_problem_reports,
)
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.people import PersonInput, create_person
from desktop_app.services.providers import register as provider_register
from desktop_app.services.providers import workers as care_workers
from desktop_app.services.vault import VaultStore

DEMO_PEOPLE = 300
GIVEN = ["Margaret", "Harold", "Zoë", "Łukasz", "Aisha", "Gurpreet", "Siobhán", "Kwame", "Doris",
         "Raj", "Elsie", "Tomasz", "Niamh", "Bernard", "Priya", "Winston", "Irene", "Mohammed"]
FAMILY = ["O'Brien", "Patel", "Ní Bhriain", "Kowalski", "Smith", "Mistry", "Okafor", "Jones",
          "Begum", "Taylor", "Chauhan", "Nowak", "Walker", "Khan", "Hughes", "Lakhani"]
STREETS = ["Demo Road", "Sample Street", "Example Avenue", "Test Lane", "Placeholder Close"]
TEAMS = [
    ("City North", "Leicester", "LE4"),
    ("City South", "Leicester", "LE2"),
    ("Charnwood", "Loughborough", "LE11"),
    ("Melton", "Melton Mowbray", "LE13"),
    ("Hinckley", "Hinckley", "LE10"),
    ("Rutland", "Oakham", "LE15"),
]


@dataclass(frozen=True)
class DemoProvider:
    """A synthetic provider as the register holds it, with its care workers (given name,
    family name, role, years since they started: at least two, so every worker started
    before the oldest demo decision names them)."""

    name: str
    council: str
    council_areas: tuple[str, ...]
    cqc_location_id: str
    phone: str
    contact_name: str
    email: str | None
    address: str
    workers: tuple[tuple[str, str, str, int], ...]
    active: bool = True


PROVIDERS = [
    DemoProvider(
        "Demo Homecare Ltd", "leicester_city", ("leicester_city", "leicestershire_county"),
        "1-999000101", "0116 496 0100", "Janet Sample", "referrals@demohomecare.example",
        "Unit 4, Example Business Park, Leicester LE4 9ZZ",
        (("Aisha", "Okafor", "Senior care worker", 6), ("Tomasz", "Nowak", "Care worker", 3),
         ("Doris", "Walker", "Care worker", 9), ("Priya", "Mistry", "Care worker", 2))),
    DemoProvider(
        "Sample Care Services", "leicestershire_county",
        ("leicestershire_county", "rutland_county"),
        "1-9990002020", "0116 496 0200", "Kwame Example", "office@samplecare.example",
        "2 Sample Street, Loughborough LE11 9ZZ",
        (("Siobhán", "Hughes", "Senior care worker", 7), ("Raj", "Chauhan", "Care worker", 4),
         ("Niamh", "Taylor", "Care worker", 2), ("Bernard", "Jones", "Care worker", 5))),
    DemoProvider(
        "Example Support at Home", "rutland_county", ("rutland_county",),
        "1-99900030303", "0116 496 0300", "Irene Placeholder",
        "care@examplesupport.example", "7 Example Avenue, Oakham LE15 9ZZ",
        (("Gurpreet", "Lakhani", "Care coordinator", 8), ("Elsie", "Smith", "Care worker", 3),
         ("Winston", "Begum", "Care worker", 2), ("Zoë", "Kowalski", "Care worker", 2))),
    # No longer commissioned: kept with its history, never offered for a new delegation.
    DemoProvider(
        "Placeholder Care Agency", "leicester_city", ("leicester_city",), "1-999000404",
        "0116 496 0400", "Tom Sample", None, "9 Test Lane, Leicester LE2 9ZZ",
        (("Harold", "Patel", "Care worker", 4), ("Margaret", "Khan", "Care worker", 2)),
        active=False),
]
# A worker who has left (six weeks ago): kept, with the day, and no longer offered.
DEMO_LEAVER = ("Demo Homecare Ltd", "Doris", "Walker", 42)


def _add_provider(uow: UnitOfWork, demo: DemoProvider, today: dt.date, serial: int) -> None:
    """One demo provider and its workers, through the register's services: insurance for
    delegated healthcare tasks confirmed four months ago, until the end of next March (a
    deactivated provider's cover ended last March, and it was deactivated a month ago)."""
    ended = dt.date(today.year - 1, 3, 31)
    provider = provider_register.create_provider(uow, provider_register.ProviderInput(
        name=demo.name, council=demo.council, council_areas=demo.council_areas,
        phone=demo.phone, cqc_location_id=demo.cqc_location_id,
        contact_name=demo.contact_name, email=demo.email, address=demo.address,
        insurance_covers_delegated=True,
        insurance_confirmed_on=(today - dt.timedelta(days=120) if demo.active
                                else ended - dt.timedelta(days=365)),
        insurance_until=dt.date(today.year + 1, 3, 31) if demo.active else ended), today)
    for given, family, role, years in demo.workers:
        phone = f"07700 900{serial:03d}"  # Ofcom's range for drama
        serial += 1
        started = dt.date(today.year - years, 1 + years % 12, 1 + years)
        worker = care_workers.add_worker(uow, provider.id, care_workers.WorkerInput(
            given, family, role, phone, started), today).worker
        if (demo.name, given, family) == DEMO_LEAVER[:3]:
            care_workers.record_leaving(uow, worker.id,
                                        today - dt.timedelta(days=DEMO_LEAVER[3]),
                                        worker.version, today)
    if not demo.active:
        provider_register.set_active(uow, provider.id, False, provider.version,
                                     today - dt.timedelta(days=30))


def _person(rng: random.Random, serial: int) -> PersonInput:
    team, town, district = rng.choice(TEAMS)
    return PersonInput(
        nhs_number=synthetic_nhs_number(serial),
        given_name=rng.choice(GIVEN),
        family_name=rng.choice(FAMILY),
        date_of_birth=dt.date(1930, 1, 1) + dt.timedelta(days=rng.randrange(0, 365 * 60)),
        address_line1=f"{rng.randrange(1, 200)} {rng.choice(STREETS)}",
        town=town,
        postcode=f"{district} {rng.randrange(1, 9)}ZZ",
        team=team,
        open_to_community_health=rng.random() < 0.6,
        gp_practice_name=f"{town} Demo Medical Practice",
    )


def seed_demo_caseload(uow: UnitOfWork, people: int = DEMO_PEOPLE, seed: int = 999,
                       today: dt.date | None = None) -> None:
    """Fill a vault with synthetic people, and the providers and care workers on the
    provider register (through its services, as a user adds them)."""
    rng = random.Random(seed)
    today = today or dt.date.today()
    for serial in range(people):
        create_person(uow, _person(rng, serial))
    for number, demo in enumerate(PROVIDERS):
        _add_provider(uow, demo, today, 100 + 10 * number)


DEMO_TEAM_LEAD = "Demo Team Lead"


def ensure_demo_vault(store: VaultStore, user_name: str, passphrase: str) -> None:
    """Create and fill the demo vault the first time; later runs reuse it."""
    if store.exists():
        return
    # As on a real laptop, the team lead makes the first account and adds the nurse's
    # (same passphrase; the team lead sees the Reports and the plan batch); the nurse
    # records the caseload.
    lead = store.create(DEMO_TEAM_LEAD, Role.TEAM_LEAD, passphrase).session
    try:
        nurse_id = lead.add_user(user_name, Role.NURSE, passphrase)
    finally:
        lead.close()
    nurse = store.unlock(nurse_id, passphrase)
    try:
        seed_demo_caseload(nurse.uow)
        seed_demo_delegations(nurse.uow, on_file=seed_demo_person_centred(nurse.uow))
        seed_demo_case_examples(nurse)
        seed_demo_changes_of_need(nurse.uow)
        seed_demo_life_events(nurse)
    finally:
        nurse.close()


# ---------------------------------------------------------------- delegations in every state


def _answers(rng: random.Random, provider_id: str, workers: list[str], council: str,
             outcome: str, signed_off: dt.date = dt.date(2026, 1, 5),
             decided: dt.date = dt.date(2026, 1, 12), turn: int = 0) -> dict[str, dict[str, Any]]:
    """Answers reaching ``outcome``; the MDT meets on the day of the decision and the extra
    care starts up to a fortnight later (the review clock runs from that start). What
    matters (S6), the use of resources (S9) and a reused assessment vary with ``turn``."""
    starts = (decided + dt.timedelta(days=rng.randrange(0, 15))).isoformat()
    task = rng.choice(["eye_drops", "insulin_prefilled_pen", "compression_hosiery",
                       "stoma_bag_change", "peg_feed"])
    answers: dict[str, dict[str, Any]] = {
        "S1": {"task_code": task, "referred_by": "District nurse", "is_health_need": True},
        "S2": {"chc_checklist_positive": outcome == "REFER_CHC"},
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": outcome != "NOT_DELEGATED", "what_is_delegated": "As on the plan",
               "what_is_not_delegated": "Any change of dose", "frequency": "Daily",
               "do_thresholds": "Follow the plan", "call_nurse_thresholds": "Anything unusual",
               "no_reason": "Condition changing",
               "reconsider_on": (decided + dt.timedelta(days=90)).isoformat()},
        "S5": {"incidental_or_ancillary": True},
        "S6": {"consent_given": outcome != "PERSON_DECLINED", "given_by_kind": "person",
               "given_by_name": "the person", "how": "verbal", "explained": "The plan",
               "no_reason": "Prefers the nurse"},
        "S7": {"provider_accepts": outcome != "NO_PROVIDER", "provider_id": provider_id,
               "worker_ids": workers, "insurance_confirmed": True, "no_reason": "No capacity"},
        "S8": {"all_signed_off": True, "oversight_service": "community_health",
               "oversight_organisation": "Demo community nursing",
               "oversight_phone_in_hours": "0116 000 0001", "oversight_phone_out_of_hours": "111",
               "sign_offs": [{"worker_id": w, "training_level": 1, "trainer_name": "Demo Trainer",
                              "assessor_name": "Demo Assessor",
                              "signed_off_on": signed_off.isoformat()}
                             for w in workers]},
        "S9": {"fits_existing_calls": outcome == "DELEGATED_EXISTING_PACKAGE"},
        "S9F": {"method": "fixed_percentage", "icb_share": "part", "inputs": {
            "method": "fixed_percentage", "council": council, "rate_pence_per_hour": 2450,
            "lead_commissioner": council, "start_date": starts,
            "minutes_per_week": 210, "icb_basis_points": 6000}, "start_date": starts},
        "S10": {"met_on": decided.isoformat(), "consensus": outcome not in _NO_CONSENSUS,
                "attendees": [{"role": "Community nurse", "organisation": "LPT", "name": "Demo"},
                              {"role": "Social worker", "organisation": "Council", "name": "Demo"}],
                "disagreement_about": "funding" if outcome == "INTERIM_WITHOUT_PREJUDICE"
                else "delegation", "question_for_discussion": "Who funds the extra call?",
                "interim_funder": "icb", "dispute_reference": "DEMO-999",
                "interim_weekly_pence": 4200, "interim_from": decided.isoformat()},
    }
    if outcome == "DELEGATED_HEALTH_FUNDED":
        answers["S9F"]["icb_share"] = "all"
        answers["S9F"]["inputs"].update(icb_basis_points=10000, lead_commissioner="icb")
    _principles(answers, decided, turn)
    return answers


# What matters (S6) and the use of resources (S9: assistive technology, call frequency) the
# demo's delegations record, in turn; every sixth reuses a partner's CHC Checklist (one of
# them over a year old).
DEMO_WORDS = [("I want to stay in my own home with my cat.", "Knows her routine; a good "
               "neighbour calls daily", "Makes her own breakfast and dresses herself"),
              ("Keep me out of hospital, and let me get to chapel on Sundays.",
               "His son lives close; he is cheerful and sociable", "Walks to the shop each day"),
              ("I want the same carers, who know me.", "Plays the piano; keeps a diary",
               "Manages her own tablets from a dosette box")]
DEMO_AT = [("Automated pill dispenser", "in_place", "Already takes her tablets from it"),
           ("Insulin pen with dose memory", "not_suitable", "cannot read the display"),
           ("Telecare (pendant alarm, sensors)", "declined", "does not want to wear a pendant"),
           ("Medication reminder (app, talking clock)", "to_try", "ordered by the OT"),
           (None, None, "The task is hands-on: no device does it")]
DEMO_CALLS = [("fits_existing_call", "Done at the morning call."), ("call_times_changed",
              "Lunch call moved to 1pm."), ("extra_call_needed", None), (None, None)]


def _principles(answers: dict[str, dict[str, Any]], decided: dt.date, turn: int) -> None:
    words, (kind, at_outcome, why), (calls, note) = (
        DEMO_WORDS[turn % 3], DEMO_AT[turn % 5], DEMO_CALLS[turn % 4])
    answers["S6"].update(person_words=words[0], strengths=words[1], self_care=words[2],
                         took_part=[{"kind": "person", "name": ""}] + (
                             [{"kind": "family", "name": "daughter"}] if turn % 2 else []))
    answers["S9"].update(at_considered=kind is not None, at_kind=kind, at_outcome=at_outcome,
                         at_reason=why, calls_reviewed=calls is not None,
                         calls_outcome=calls, calls_note=note)
    if turn % 6 == 1:
        age = 430 if turn % 12 == 7 else 20 + turn
        answers["S2"]["reused_assessment"] = {
            "kind": "chc_checklist", "organisation": "LLR Integrated Care Board",
            "assessor": "Demo CHC Nurse Assessor", "summary": "Negative checklist",
            "assessed_on": (decided - dt.timedelta(days=age)).isoformat()}


_NO_CONSENSUS = {"ESCALATED_SHARED_CARE", "INTERIM_WITHOUT_PREJUDICE"}
DEMO_OUTCOMES = ["DELEGATED_EXISTING_PACKAGE", "DELEGATED_JOINT_FUNDED", "DELEGATED_HEALTH_FUNDED",
                 "ESCALATED_SHARED_CARE", "INTERIM_WITHOUT_PREJUDICE", "NOT_DELEGATED",
                 "PERSON_DECLINED", "NO_PROVIDER", "REFER_CHC"]


def seed_demo_delegations(uow: UnitOfWork, count: int = 90, seed: int = 999,
                          today: dt.date | None = None,
                          on_file: dict[str, str] | None = None) -> None:
    """Delegations in every state, decided over the past 15 months (so reviews are due,
    overdue and not yet due), plus a few unfinished drafts; a few reuse the Care Act needs
    assessment ``on_file`` for the person (person id: assessment id) on S1."""
    from sqlalchemy import select

    from desktop_app.models.person import Person
    from desktop_app.services import delegation
    from desktop_app.services.framework.catalogue import load_catalogue
    from desktop_app.services.framework.flow import load_flow

    rng = random.Random(seed)
    today = today or dt.date.today()
    flow, catalogue = load_flow(), load_catalogue()
    with uow.read() as session:
        people = list(session.execute(select(Person.id, Person.given_name, Person.family_name)
                                      .order_by(Person.nhs_number)))
    people_ids = [row.id for row in people]
    names = {row.id: f"{row.given_name} {row.family_name}" for row in people}
    # Only a provider that may take a delegation on: active and insured (as decide() holds).
    providers = [(p.id, p.council, [w.id for w in care_workers.list_workers(
        uow, p.id, include_left=False)][:2])
        for p in provider_register.list_providers(uow, today, include_inactive=False)
        if p.cover.insured]
    for index, person_id in enumerate(people_ids[:count]):
        provider_id, council, workers = rng.choice(providers)
        outcome = DEMO_OUTCOMES[index % len(DEMO_OUTCOMES)]
        decided = today - dt.timedelta(days=rng.randrange(10, 460))
        signed = decided - dt.timedelta(days=rng.randrange(1, 30))
        answers = _answers(rng, provider_id, workers, council, outcome, signed, decided, index)
        answers["S6"]["given_by_name"] = names[person_id]  # the person decided: their name
        if index % 6 == 4 and person_id in (on_file or {}):  # reused, not assessed again
            answers["S1"]["reused_assessment"] = {"id": (on_file or {})[person_id]}
        case_id = delegation.save_draft(uow, person_id, None, answers, "S10", flow, catalogue)
        delegation.decide(uow, case_id, answers, flow, catalogue, "Demo Nurse", decided)
    for person_id in people_ids[count:count + 3]:
        provider_id, council, workers = rng.choice(providers)
        draft = {k: v for k, v in _answers(rng, provider_id, workers, council,
                                           "DELEGATED_EXISTING_PACKAGE").items()
                 if k in ("S1", "S2", "S3")}
        delegation.save_draft(uow, person_id, None, draft, "S4", flow, catalogue)


DEMO_DECISIONS = [
    ("The panel agreed the task can be delegated once a second care worker is trained; "
     "the ICB funds the extra call until the review.", ["training", "funding"]),
    ("Health keeps the task: the person's readings vary too much for written thresholds.",
     ["stability", "clinical risk"]),
    ("Joint funding agreed 60/40 by minutes; the council leads the contract.",
     ["funding", "joint package"]),
]


def seed_demo_case_examples(session: Any) -> None:
    """Close a few of the demo's shared care discussions into anonymised case examples
    (as the team lead would; the demo user is a nurse)."""
    from sqlalchemy import select

    from desktop_app.models.mdt import SharedCareDiscussion
    from desktop_app.services import registers
    from desktop_app.services.core.audit import Actor

    lead = UnitOfWork(session.factory, Actor(session.user.user_id, session.device_id,
                                             Role.TEAM_LEAD.value))
    with lead.read() as s:
        open_ids = [d.id for d in s.scalars(select(SharedCareDiscussion)
                                            .order_by(SharedCareDiscussion.opened_on))]
    for discussion_id, (text, themes) in zip(open_ids, DEMO_DECISIONS, strict=False):
        registers.close_discussion(lead, discussion_id, text, themes, dt.date.today(), True)


def seed_demo_changes_of_need(uow: UnitOfWork, count: int = 3) -> None:
    """Record a few due reviews as a change of need, so the Escalations screen shows
    delegations waiting for an MDT to agree a new plan."""
    from desktop_app.models.review import ReviewOutcome
    from desktop_app.services import registers
    from desktop_app.services.core.errors import ValidationError

    today = dt.date.today()
    days_ago = [26, 12, 3][-count:]
    for row in registers.reviews_due(uow, today):
        if not days_ago:
            return
        done = max(today - dt.timedelta(days=days_ago[-1]), row.due_on - dt.timedelta(days=30))
        try:
            registers.record_review(uow, row.review_id, min(done, today),
                                    ReviewOutcome.CHANGE_OF_NEED, True, True, False,
                                    "Needs now change twice a day; new plan needed.", today)
        except ValidationError:
            continue  # e.g. a sign-off past its refresher: "competence current" is untrue
        days_ago.pop()


def seed_demo_life_events(session: Any) -> None:
    """A delegation's life after the decision, recorded as users record it: one ended
    because the person withdrew consent, one because their need changed, one whose
    oversight moved to the GP practice (the practice's acceptance still awaited), and
    interim funding reconciled by the team lead after its shared care discussion."""
    from sqlalchemy import select

    from desktop_app.models.delegation import DelegationCase, OutcomeCode
    from desktop_app.models.oversight import OversightService
    from desktop_app.models.person import Person
    from desktop_app.services.core.audit import Actor
    from desktop_app.services.core.errors import ValidationError
    from desktop_app.services.delegation import ending, oversight

    uow, today = session.uow, dt.date.today()
    with uow.read() as s:
        running = list(s.execute(
            select(DelegationCase.id, DelegationCase.person_id, Person.gp_practice_name)
            .join(Person, Person.id == DelegationCase.person_id)
            .where(DelegationCase.status == "active", ~DelegationCase.deleted,
                   Person.open_to_community_health,
                   DelegationCase.outcome_code != OutcomeCode.INTERIM_WITHOUT_PREJUDICE.value)
            .order_by(DelegationCase.decided_on, DelegationCase.id)))
    Step = Callable[[str, str, str | None], object]
    steps: list[Step] = [
        lambda case_id, _person, _gp: ending.withdraw_consent(
            uow, case_id, today - dt.timedelta(days=4), "person", None, None, "verbal",
            "Would rather the nurse gives the drops; consent withdrawn at the visit.", today),
        lambda case_id, _person, _gp: ending.end_for_change_of_need(
            uow, case_id, today - dt.timedelta(days=9), "Now needs a new regime the nurse "
            "gives; the task returns to the nursing team.", today),
        lambda case_id, person_id, gp: oversight.transfer_oversight(
            uow, person_id, [case_id], OversightService.GP_PRACTICE, today,
            gp or "Demo Medical Practice", None, "0116 496 0300", "111", today),
    ]
    used: set[str] = set()
    for case_id, person_id, gp in running:
        if not steps:
            break
        if person_id in used:
            continue
        try:
            steps[0](case_id, person_id, gp)
        except ValidationError:
            continue  # e.g. the person lacks capacity: their attorney withdraws, not them
        used.add(person_id)
        steps.pop(0)
    lead = UnitOfWork(session.factory, Actor(session.user.user_id, session.device_id,
                                             Role.TEAM_LEAD.value))
    _seed_demo_reconciliation(lead, today)
    seed_demo_problem_reports(uow, lead, today)


def _seed_demo_reconciliation(lead: UnitOfWork, today: dt.date) -> None:
    """The team lead closes one interim funding dispute with the split the shared care
    discussion agreed from a fortnight ago (the interim ends the day before), then
    reconciles the whole interim: each council repays its fair part of what Health paid."""
    from desktop_app.models.plan import Funder
    from desktop_app.services import registers
    from desktop_app.services.core.errors import ValidationError
    from desktop_app.services.registers import interim

    agreed_from = today - dt.timedelta(days=14)
    for open_row in registers.escalations(lead, today):
        rows = [r for r in interim.interim_to_reconcile(lead, today)
                if r.case_id == open_row.case_id]
        if not rows or rows[0].interim_from >= agreed_from - dt.timedelta(days=7):
            continue
        shares = tuple((funder, pence) for funder, pence in rows[0].shares if pence > 0)
        try:
            registers.close_discussion(
                lead, open_row.discussion_id, "Joint funding agreed on the proposed split",
                ["funding"], agreed_from, False, today=today,
                agreed=registers.AgreedFunding(agreed_from, shares))
        except ValidationError:
            continue
        [row] = [r for r in interim.interim_to_reconcile(lead, today)
                 if r.case_id == open_row.case_id]
        if row.interim_until is None:
            continue
        owed = row.fair_shares(row.paid_for(row.interim_from, row.interim_until))
        interim.reconcile_interim(
            lead, row.case_id, row.interim_from, row.interim_until,
            [(funder, pence) for funder, pence in owed.items() if funder is not Funder.ICB],
            "Settled at the joint meeting", today, today)
        return
