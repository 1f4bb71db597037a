"""The domain tables: a whole case written and read back, and the constraints that guard it.

Runs on plain in-memory SQLite with foreign keys switched on (as the vault does), with no
session tracking installed: these tests are about the tables, not the stamping.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from typing import Any

import pytest
from nhs_number.validate import is_valid
from sqlalchemy import CheckConstraint, Engine, create_engine, event, inspect, select, text
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.models import (
    case_example,
    competency,
    consent,
    delegation,
    mdt,
    oversight,
    person,
    plan,
    provider,
    review,
    task_type,
)
from desktop_app.models.base import Base
from desktop_app.models.case_example import CaseExample
from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.consent import (
    CapacityOutcome,
    ConsentGivenBy,
    ConsentMethod,
    ConsentRecord,
    ConsentStatus,
)
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.oversight import ClinicalOversight, OversightService
from desktop_app.models.person import PREFER_NOT_TO_SAY, Contact, ContactKind, Person
from desktop_app.models.plan import (
    ApportionmentMethod,
    Funder,
    FundingSplit,
    SupportPlan,
    SupportPlanTask,
)
from desktop_app.models.provider import CareProvider, CareWorker, Council
from desktop_app.models.review import Review, ReviewKind
from desktop_app.models.task_type import OversightDefault, TaskCategory, TaskType, TypicalStatus

DOMAIN_MODULES = (
    person,
    provider,
    task_type,
    delegation,
    consent,
    competency,
    oversight,
    plan,
    mdt,
    review,
    case_example,
)
DOMAIN_TABLES = {
    "person",
    "contact",
    "care_provider",
    "care_worker",
    "task_type",
    "delegation_case",
    "consent_record",
    "competency_sign_off",
    "clinical_oversight",
    "support_plan",
    "support_plan_task",
    "funding_split",
    "mdt_decision",
    "shared_care_discussion",
    "review",
    "case_example",
}
TODAY = dt.date(2026, 3, 2)


def nhs_999(serial: int) -> str:
    """A modulus-11-valid NHS number in the 999 range, which is never issued to a patient."""
    for n in range(serial, serial + 20):
        first9 = f"999{n:06d}"
        total = sum(int(d) * w for d, w in zip(first9, range(10, 1, -1), strict=True))
        check = 11 - total % 11
        if check == 10:
            continue
        return first9 + str(0 if check == 11 else check)
    raise AssertionError("no valid check digit in 20 tries")


def test_the_helper_makes_valid_999_range_numbers() -> None:
    numbers = [nhs_999(i) for i in (1, 2, 3, 500)]
    assert all(n.startswith("999") and is_valid(n) for n in numbers)
    assert len(set(numbers)) == len(numbers)


@pytest.fixture
def engine() -> Iterator[Engine]:
    eng = create_engine("sqlite://")

    @event.listens_for(eng, "connect")
    def _foreign_keys_on(dbapi_conn: Any, _record: Any) -> None:
        dbapi_conn.execute("PRAGMA foreign_keys = ON")

    Base.metadata.create_all(eng)
    yield eng
    eng.dispose()


@pytest.fixture
def session(engine: Engine) -> Iterator[Session]:
    with Session(engine) as s:
        yield s


def make_person(serial: int = 1, **overrides: Any) -> Person:
    values: dict[str, Any] = {
        "nhs_number": nhs_999(serial),
        "given_name": "Edith",
        "family_name": "Hartley",
        "date_of_birth": dt.date(1938, 5, 17),
        "address_line1": "12 Clarendon Park Road",
        "town": "Leicester",
        "postcode": "LE2 3AJ",
        "gp_practice_code": "C82001",
        "gp_practice_name": "Clarendon Park Surgery",
        "team": "Leicester City South INT",
        "open_to_community_health": True,
    }
    values.update(overrides)
    return Person(**values)


def make_case(person_id: str, **overrides: Any) -> DelegationCase:
    values: dict[str, Any] = {
        "person_id": person_id,
        "task_code": "insulin_prefilled_pen",
        "task_catalogue_version": "2026.1",
        "referred_by": "District nurse, Leicester City South",
        "flow_version": "reconstructed-1",
    }
    values.update(overrides)
    return DelegationCase(**values)


def make_plan(person_id: str, version_number: int = 1) -> SupportPlan:
    return SupportPlan(
        person_id=person_id,
        version_number=version_number,
        effective_from=TODAY,
        created_by_name="Amira Patel, community nurse",
    )


def write_whole_case(s: Session) -> dict[str, str]:
    """Everything the framework records for one delegated task; returns the ids."""
    p = make_person(
        preferred_name="Edie",
        communication_needs="Hard of hearing: face her and speak clearly.",
        eq_sex="female",
        eq_religion_belief=PREFER_NOT_TO_SAY,
    )
    attorney = Contact(
        kind=ContactKind.LPA_HEALTH_WELFARE,
        name="Susan Hartley",
        relationship="daughter",
        phone="07700 900123",
        registration_reference="7000-1234-5678",
        registered_on=dt.date(2021, 9, 1),
        can_decide_health_welfare=True,
    )
    p.contacts = [Contact(kind=ContactKind.NEXT_OF_KIN, name="Brian Hartley"), attorney]
    agency = CareProvider(
        name="Soar Valley Home Care",
        cqc_location_id="1-123456789",
        phone="0116 496 0000",
        council=Council.LEICESTER_CITY,
        insurance_confirmed_on=dt.date(2026, 2, 20),
    )
    s.add_all([p, agency])
    s.flush()
    worker = CareWorker(
        provider_id=agency.id, given_name="Grace", family_name="Okafor", role_title="Senior carer"
    )
    case = make_case(
        p.id,
        answers={"S1": {"health_need": True}, "S2": {"chc_checklist_positive": False}},
        current_step="S11",
        outcome_code=OutcomeCode.DELEGATED_JOINT_FUNDED,
        outcome_reasons=["Extra 15-minute call needed for the insulin"],
        status=CaseStatus.ACTIVE,
        decided_on=dt.date(2026, 2, 27),
        started_on=TODAY,
    )
    s.add_all([worker, case])
    s.flush()
    discussion = SharedCareDiscussion(
        delegation_case_id=case.id,
        opened_on=dt.date(2026, 2, 10),
        question="Who funds the extra lunchtime call?",
        options="ICB funds the call; split by minutes; equal split",
        funding_proposal="Split by minutes",
        interim_from=dt.date(2026, 2, 10),
        escalated_to_mlcsu=True,
        dispute_reference="MLCSU-2026-014",
        themes=["funding", "insulin"],
    )
    the_plan = make_plan(p.id)
    the_plan.delegation_case_id = case.id
    the_plan.person_words = "I want to stay in my own home and keep my garden."
    the_plan.tasks = [
        SupportPlanTask(
            task_code="insulin_prefilled_pen",
            task_catalogue_version="2026.1",
            what_is_delegated="Fixed 10-unit dose of insulin by pre-filled pen at 08:00",
            what_is_not_delegated="Any change of dose",
            frequency="Daily, morning call",
            do_thresholds="Give when blood glucose is 6-15 mmol/L",
            call_nurse_thresholds="Below 4 or above 15 mmol/L",
            if_refused="Do not give; record; tell the nurse the same day",
            if_missed="Do not give late; call the nurse",
            if_equipment_fails="Use the spare pen; call the nurse",
            if_out_of_range="Call the nurse before giving",
            in_emergency="Call 999",
            worker_ids=[worker.id],
        )
    ]
    the_plan.funding_splits = [
        FundingSplit(
            funder=Funder.ICB,
            method=ApportionmentMethod.SPLIT_BY_MINUTES,
            inputs={"health_minutes": 15, "social_minutes": 30, "rate_pence_per_hour": 2400},
            pence_per_week=4200,
            free_to_person=True,
            lead_commissioner=True,
            start_date=TODAY,
            interim_without_prejudice=True,
            dispute_reference="MLCSU-2026-014",
        ),
        FundingSplit(
            funder=Funder.LEICESTER_CITY,
            method=ApportionmentMethod.SPLIT_BY_MINUTES,
            inputs={"health_minutes": 15, "social_minutes": 30, "rate_pence_per_hour": 2400},
            pence_per_week=8400,
            free_to_person=False,
            start_date=TODAY,
        ),
    ]
    s.add_all([discussion, the_plan])
    s.flush()
    s.add_all(
        [
            ConsentRecord(
                person_id=p.id,
                delegation_case_id=case.id,
                status=ConsentStatus.GIVEN,
                recorded_on=dt.date(2026, 2, 3),
                given_by_kind=ConsentGivenBy.LPA,
                given_by_name="Susan Hartley",
                contact_id=attorney.id,
                how=ConsentMethod.VERBAL,
                explained="A trained carer will give the morning insulin; the nurse oversees.",
                capacity_in_doubt=True,
                capacity_decision="Whether a care worker gives her insulin",
                capacity_assessed_on=dt.date(2026, 2, 3),
                capacity_assessor="Amira Patel",
                capacity_outcome=CapacityOutcome.LACKS_CAPACITY,
            ),
            CompetencySignOff(
                worker_id=worker.id,
                person_id=p.id,
                task_code="insulin_prefilled_pen",
                training_level=2,
                trainer_name="Amira Patel",
                assessor_name="Tom Reid",
                signed_off_on=dt.date(2026, 2, 25),
                refresher_due=dt.date(2027, 2, 25),
                delegation_case_id=case.id,
            ),
            ClinicalOversight(
                person_id=p.id,
                delegation_case_id=case.id,
                service_kind=OversightService.COMMUNITY_HEALTH,
                organisation_name="Leicestershire Partnership Trust community nursing",
                phone_in_hours="0116 496 0100",
                phone_out_of_hours="0116 496 0199",
                proposed_automatically=True,
            ),
            MdtDecision(
                delegation_case_id=case.id,
                met_on=dt.date(2026, 2, 5),
                attendees=[
                    {"role": "Community nurse", "organisation": "LPT", "name": "Amira Patel"},
                    {"role": "Social worker", "organisation": "Leicester City", "name": "J Roe"},
                ],
                consensus=False,
                decision="Delegate; funding to a shared care discussion",
            ),
            Review(
                delegation_case_id=case.id,
                person_id=p.id,
                due_on=dt.date(2026, 6, 2),
                kind=ReviewKind.THREE_MONTH,
            ),
            CaseExample(
                task_category=TaskCategory.MEDICATION,
                task_code="insulin_prefilled_pen",
                themes=["funding", "insulin"],
                summary="An older woman living alone needed morning insulin; split by minutes.",
                outcome_code=OutcomeCode.DELEGATED_JOINT_FUNDED,
                decided_on=dt.date(2026, 2, 27),
                source_discussion_id=discussion.id,
            ),
        ]
    )
    s.commit()
    return {"person": p.id, "case": case.id, "worker": worker.id, "plan": the_plan.id}


def test_a_whole_case_is_written_and_read_back(engine: Engine) -> None:
    with Session(engine) as s:
        ids = write_whole_case(s)

    with Session(engine) as s:
        p = s.scalars(select(Person).where(Person.nhs_number == nhs_999(1))).one()
        assert (p.preferred_name, p.postcode, p.eq_religion_belief, p.eq_disability) == (
            "Edie",
            "LE2 3AJ",
            PREFER_NOT_TO_SAY,
            None,
        )
        assert p.created_at.tzinfo is dt.UTC and p.deleted is False and p.version == 0
        assert [(c.name, c.kind) for c in p.contacts] == [
            ("Brian Hartley", "next_of_kin"),
            ("Susan Hartley", "lpa_health_welfare"),
        ]
        assert p.contacts[1].can_decide_health_welfare is True

        case = s.get_one(DelegationCase, ids["case"])
        assert case.answers["S2"] == {"chc_checklist_positive": False}
        assert case.outcome_code == OutcomeCode.DELEGATED_JOINT_FUNDED
        assert case.status == "active" and case.started_on == TODAY

        the_plan = s.get_one(SupportPlan, ids["plan"])
        assert the_plan.person_words is not None and "garden" in the_plan.person_words
        assert [t.worker_ids for t in the_plan.tasks] == [[ids["worker"]]]
        splits = [(f.funder, f.pence_per_week, f.free_to_person) for f in the_plan.funding_splits]
        assert splits == [("icb", 4200, True), ("leicester_city", 8400, False)]

        consent_row = s.scalars(select(ConsentRecord)).one()
        assert consent_row.capacity_outcome == "lacks_capacity"
        assert consent_row.contact_id == p.contacts[1].id
        sign_off = s.scalars(select(CompetencySignOff)).one()
        assert (sign_off.worker_id, sign_off.status) == (ids["worker"], SignOffStatus.CURRENT)
        assert s.scalars(select(ClinicalOversight)).one().service_kind == "community_health"
        assert s.scalars(select(MdtDecision)).one().attendees[1]["organisation"] == "Leicester City"
        discussion = s.scalars(select(SharedCareDiscussion)).one()
        assert (discussion.interim_funder, discussion.themes) == ("icb", ["funding", "insulin"])
        review_row = s.scalars(select(Review)).one()
        assert (review_row.done_on, review_row.stable, review_row.outcome) == (None, None, None)
        example = s.scalars(select(CaseExample)).one()
        assert example.source_discussion_id == discussion.id
        worker = s.get_one(CareWorker, ids["worker"])
        assert worker.active is True
        assert s.get_one(CareProvider, worker.provider_id).council == "leicester_city"


def test_a_catalogue_row_is_keyed_by_code_and_version(session: Session) -> None:
    def eye_drops(version: str) -> TaskType:
        return TaskType(
            code="eye_drops",
            catalogue_version=version,
            name="Eye drops",
            category=TaskCategory.MEDICATION,
            typical_status=TypicalStatus.D,
            training_level=1,
            refresher_months=12,
            oversight_default=OversightDefault.PRIMARY_CARE,
            description="Instilling prescribed eye drops.",
        )

    session.add_all([eye_drops("2026.1"), eye_drops("2026.2")])
    session.commit()
    assert session.get_one(TaskType, ("eye_drops", "2026.2")).training_level == 1
    assert not hasattr(TaskType, "deleted")  # reference data, not synced

    session.add(eye_drops("2026.1"))
    with pytest.raises(IntegrityError):
        session.commit()


BadRow = Callable[[Session], object]


def _bad_person(s: Session) -> object:
    return make_person(nhs_number="99900O0018")  # letter O, not zero


def _bad_contact_kind(s: Session) -> object:
    return Contact(person_id=_saved_person(s).id, kind="cousin", name="X")


def _finance_attorney_deciding_care(s: Session) -> object:
    return Contact(
        person_id=_saved_person(s).id,
        kind=ContactKind.LPA_PROPERTY_FINANCE,
        name="X",
        registered_on=dt.date(2020, 1, 1),
        can_decide_health_welfare=True,
    )


def _bad_case_status(s: Session) -> object:
    return make_case(_saved_person(s).id, status="paused")


def _bad_outcome_code(s: Session) -> object:
    return make_case(_saved_person(s).id, outcome_code="DELEGATED")


def _icb_share_charged(s: Session) -> object:
    pl = make_plan(_saved_person(s).id)
    s.add(pl)
    s.flush()
    return FundingSplit(
        plan_id=pl.id,
        funder=Funder.ICB,
        method=ApportionmentMethod.HEALTH_ONLY_CALL,
        pence_per_week=4200,
        free_to_person=False,
        start_date=TODAY,
    )


def _best_interests_without_reasons(s: Session) -> object:
    return ConsentRecord(
        person_id=_saved_person(s).id,
        status=ConsentStatus.GIVEN,
        recorded_on=TODAY,
        given_by_kind=ConsentGivenBy.BEST_INTERESTS,
        given_by_name="MDT",
        how=ConsentMethod.OTHER,
        explained="x",
        bi_consulted="daughter",
    )


def _bad_review_outcome(s: Session) -> object:
    p = _saved_person(s)
    case = make_case(p.id)
    s.add(case)
    s.flush()
    return Review(
        delegation_case_id=case.id,
        person_id=p.id,
        due_on=TODAY,
        kind=ReviewKind.ANNUAL,
        done_on=TODAY,
        outcome="carry_on",
    )


def _bad_task_category(s: Session) -> object:
    return TaskType(
        code="x",
        catalogue_version="1",
        name="x",
        category="nursing",
        typical_status=TypicalStatus.RN,
        oversight_default=OversightDefault.COMMUNITY_HEALTH,
        description="x",
    )


def _saved_person(s: Session) -> Person:
    p = make_person(serial=42)
    s.add(p)
    s.flush()
    return p


@pytest.mark.parametrize(
    ("make_bad_row", "constraint"),
    [
        pytest.param(_bad_person, "ck_person_nhs_number", marks=pytest.mark.hazard("H-021")),
        (_bad_contact_kind, "ck_contact_kind"),
        pytest.param(_finance_attorney_deciding_care, "ck_contact_health_welfare_decider",
                     marks=pytest.mark.hazard("H-007")),
        (_bad_case_status, "ck_delegation_case_status"),
        (_bad_outcome_code, "ck_delegation_case_outcome_code"),
        pytest.param(_icb_share_charged, "ck_funding_split_icb_free_to_person",
                     marks=pytest.mark.hazard("H-011")),
        pytest.param(_best_interests_without_reasons, "ck_consent_record_best_interests_recorded",
                     marks=pytest.mark.hazard("H-007")),
        (_bad_review_outcome, "ck_review_outcome"),
        (_bad_task_category, "ck_task_type_category"),
    ],
)
def test_check_constraints_reject_bad_values(
    session: Session, make_bad_row: BadRow, constraint: str
) -> None:
    session.add(make_bad_row(session))
    with pytest.raises(IntegrityError, match=constraint):
        session.flush()


@pytest.mark.hazard("H-021")
@pytest.mark.hazard("H-040")
def test_an_nhs_number_is_held_by_one_person_only(session: Session) -> None:
    session.add(make_person(serial=7))
    session.commit()
    session.add(make_person(serial=7, given_name="Another"))
    with pytest.raises(IntegrityError, match="person.nhs_number"):
        session.commit()


@pytest.mark.hazard("H-009")
def test_a_plan_version_number_is_used_once_per_person(session: Session) -> None:
    p = make_person()
    other = make_person(serial=2)
    session.add_all([p, other])
    session.flush()
    session.add_all([make_plan(p.id, 1), make_plan(p.id, 2), make_plan(other.id, 1)])
    session.commit()
    session.add(make_plan(p.id, 2))
    with pytest.raises(IntegrityError, match="support_plan.person_id, support_plan.version_number"):
        session.commit()


def test_foreign_keys_refuse_orphans_and_hard_deletes(session: Session) -> None:
    session.add(Contact(person_id="no-such-person", kind=ContactKind.OTHER, name="X"))
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        session.flush()
    session.rollback()

    p = make_person()
    p.contacts = [Contact(kind=ContactKind.NEXT_OF_KIN, name="Brian Hartley")]
    session.add(p)
    session.commit()
    with pytest.raises(IntegrityError, match="FOREIGN KEY"):
        session.execute(text("DELETE FROM person"))


def test_outcome_codes_are_exactly_the_frameworks() -> None:
    assert [code.value for code in OutcomeCode] == [
        "REFER_CHC",
        "SOCIAL_CARE_ONLY",
        "NOT_DELEGATED",
        "PERSON_DECLINED",
        "NO_PROVIDER",
        "DELEGATED_EXISTING_PACKAGE",
        "DELEGATED_HEALTH_FUNDED",
        "DELEGATED_JOINT_FUNDED",
        "ESCALATED_SHARED_CARE",
        "INTERIM_WITHOUT_PREJUDICE",
        "WITHDRAWN",
    ]


def test_every_constraint_and_index_has_a_stable_name() -> None:
    # Alembic batch migrations on SQLite recreate tables and need every name.
    tables = [t for name, t in Base.metadata.tables.items() if name in DOMAIN_TABLES]
    assert {t.name for t in tables} == DOMAIN_TABLES
    for table in tables:
        for constraint in table.constraints:
            assert constraint.name, f"{table.name}: unnamed {constraint!r}"
            if isinstance(constraint, CheckConstraint):
                assert str(constraint.name).startswith(f"ck_{table.name}_")
        for index in table.indexes:
            assert str(index.name).startswith(f"ix_{table.name}_")


def test_only_the_plan_classes_are_immutable_and_no_relationship_loads_lazily() -> None:
    mapped = [
        obj
        for module in DOMAIN_MODULES
        for obj in vars(module).values()
        if isinstance(obj, type) and issubclass(obj, Base) and obj.__module__ == module.__name__
    ]
    immutable = {cls.__name__ for cls in mapped if getattr(cls, "__immutable__", False)}
    assert immutable == {"SupportPlan", "SupportPlanTask", "FundingSplit"}
    lazies = {rel.lazy for cls in mapped for rel in inspect(cls).relationships}
    assert lazies <= {"selectin", "raise"}
    assert {r.key for r in inspect(SupportPlan).relationships} == {"tasks", "funding_splits"}
    assert {r.key for r in inspect(Person).relationships} == {"contacts"}
