"""Delegation drafts and decisions, on a real (cheap-key) vault."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.oversight import ClinicalOversight
from desktop_app.models.plan import FundingSplit, SupportPlan
from desktop_app.models.review import Review
from desktop_app.services import delegation, people
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.vault import VaultSession
from tests.support import person_values
from tools.sample_case import S9_ANSWERED, add_insured_provider

TODAY = dt.date(2026, 11, 30)
FLOW = load_flow()
CATALOGUE = load_catalogue()
D_TASK = next(t.code for t in CATALOGUE.tasks if t.typical_status == "D")
RN_TASK = next(t.code for t in CATALOGUE.tasks if t.typical_status == "RN")


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(3))).id


@pytest.fixture
def provider(vault: VaultSession) -> tuple[str, list[str]]:
    """An active provider insured for delegated tasks, with two workers (decide() refuses
    any other: H-041)."""
    return add_insured_provider(vault.uow)


def start(task: str = D_TASK) -> dict[str, dict[str, Any]]:
    return {"S1": {"task_code": task, "referred_by": "District nurse", "is_health_need": True},
            "S2": {"chc_checklist_positive": False}}


def delegated_answers(provider_id: str, workers: list[str]) -> dict[str, dict[str, Any]]:
    answers = start()
    answers.update({
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": True, "what_is_delegated": "Eye drops twice a day",
               "what_is_not_delegated": "Any change of dose", "frequency": "Twice a day",
               "do_thresholds": "Give the drops as prescribed",
               "call_nurse_thresholds": "Red or painful eye"},
        "S5": {"incidental_or_ancillary": True},
        "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Edith",
               "how": "verbal", "explained": "What the worker will do and when they call"},
        "S7": {"provider_accepts": True, "provider_id": provider_id, "worker_ids": workers,
               "insurance_confirmed": True},
        "S8": {"all_signed_off": True, "oversight_service": "gp_practice",
               "oversight_organisation": "Demo Medical Practice",
               "oversight_phone_in_hours": "0116 496 0000", "oversight_phone_out_of_hours": "111",
               "sign_offs": [{"worker_id": w, "training_level": 1, "trainer_name": "T Nurse",
                              "assessor_name": "A Nurse", "signed_off_on": "2026-11-20",
                              "refresher_due": "2027-11-20"} for w in workers]},
        "S9": {"fits_existing_calls": True, **S9_ANSWERED},
        "S10": {"met_on": "2026-11-29", "attendees": [
            {"role": "Nurse", "organisation": "LPT", "name": "A"},
            {"role": "Social worker", "organisation": "City Council", "name": "B"}],
            "consensus": True},
    })
    return answers


def count(vault: VaultSession, model: type) -> int:
    with vault.uow.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


@pytest.mark.hazard("H-016")
def test_a_draft_is_saved_resumed_and_listed(vault: VaultSession, person_id: str) -> None:
    answers = start()
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S3", FLOW, CATALOGUE)
    answers["S3"] = {"needs_clinical_judgement": False}
    again = delegation.save_draft(vault.uow, person_id, case_id, answers, "S4", FLOW, CATALOGUE)
    assert again == case_id
    [draft] = delegation.drafts(vault.uow)
    assert (draft.case_id, draft.current_step, draft.task_code) == (case_id, "S4", D_TASK)
    context = delegation.wizard_context(vault.uow, person_id, CATALOGUE, case_id)
    assert context.answers == answers and context.current_step == "S4"
    assert context.nhs_number_display.count(" ") == 2


def test_a_discarded_draft_is_gone(vault: VaultSession, person_id: str) -> None:
    case_id = delegation.save_draft(vault.uow, person_id, None, start(), "S2", FLOW, CATALOGUE)
    delegation.discard_draft(vault.uow, case_id)
    assert delegation.drafts(vault.uow) == []
    with pytest.raises(NotFound):
        delegation.discard_draft(vault.uow, case_id)


@pytest.mark.hazard("H-002")
def test_an_rn_task_is_not_delegated_whatever_else_is_said(vault: VaultSession,
                                                           person_id: str,
                                                           provider: tuple[str, list[str]]) -> None:
    answers = delegated_answers(*provider)
    answers["S1"]["task_code"] = RN_TASK
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S3", FLOW, CATALOGUE)
    decision = delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    assert decision.outcome == "NOT_DELEGATED" and decision.plan_version is None
    assert "registered-nurse only" in decision.reasons[-1]
    assert count(vault, SupportPlan) == 0 and count(vault, ConsentRecord) == 0


@pytest.mark.hazard("H-018")
@pytest.mark.hazard("H-007")
def test_declined_consent_is_recorded(vault: VaultSession, person_id: str) -> None:
    answers = start()
    answers.update({"S3": {"needs_clinical_judgement": False},
                    "S4": delegated_answers("p", ["w"])["S4"],
                    "S5": {"incidental_or_ancillary": True},
                    "S6": {"consent_given": False, "no_reason": "Prefers the nurse to do it"}})
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S6", FLOW, CATALOGUE)
    decision = delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    assert decision.outcome == "PERSON_DECLINED"
    with vault.uow.read() as s:
        consent = s.scalars(select(ConsentRecord)).one()
        case = s.get_one(DelegationCase, case_id)
        assert consent.status == "refused"
        assert "Prefers the nurse to do it" in case.outcome_reasons
        assert case.status == "decided" and case.flow_version == FLOW.version


@pytest.mark.hazard("H-039")
@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-010")
def test_delegated_within_existing_package_writes_the_plan(
    vault: VaultSession, person_id: str, provider: tuple[str, list[str]],
) -> None:
    answers = delegated_answers(*provider)
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW, CATALOGUE)
    decision = delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    assert decision.outcome == "DELEGATED_EXISTING_PACKAGE"
    assert decision.plan_version == 1
    assert decision.first_review_due == dt.date(2027, 2, 28)  # 30 Nov + 3 months, clamped
    with vault.uow.read() as s:
        plan = s.scalars(select(SupportPlan)).one()
        assert [t.task_code for t in plan.tasks] == [D_TASK]
        assert plan.tasks[0].worker_ids == provider[1]
        assert plan.tasks[0].in_emergency == "Call 999."
        assert {f.funder for f in plan.funding_splits} == {"icb", "leicester_city"}
        assert all(f.pence_per_week == 0 for f in plan.funding_splits)
        assert s.scalar(select(func.count()).select_from(CompetencySignOff)) == 2
        assert s.scalars(select(ClinicalOversight)).one().service_kind == "gp_practice"
        assert s.scalars(select(MdtDecision)).one().consensus is True
        review = s.scalars(select(Review)).one()
        case = s.get_one(DelegationCase, case_id)
        assert (review.kind, review.due_on) == ("three_month", dt.date(2027, 2, 28))
        assert case.status == "active" and case.started_on == TODAY
    assert delegation.drafts(vault.uow) == []


@pytest.mark.hazard("H-009")
def test_a_second_delegation_makes_plan_version_two(
    vault: VaultSession, person_id: str, provider: tuple[str, list[str]],
) -> None:
    for _ in range(2):
        answers = delegated_answers(*provider)
        case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW,
                                        CATALOGUE)
        decision = delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "N", TODAY)
    assert decision.plan_version == 2


@pytest.mark.hazard("H-033")
def test_a_new_plan_version_keeps_the_other_running_delegations(
    vault: VaultSession, person_id: str, provider: tuple[str, list[str]],
) -> None:
    """A second and third task for one person: each new version carries the earlier tasks'
    lines and funding forward once each (not copies of copies), and names whose they are."""
    tasks = [D_TASK, "compression_hosiery", "stoma_bag_change"]
    cases = []
    for task in tasks:
        answers = delegated_answers(*provider)
        answers["S1"]["task_code"] = task
        case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW,
                                        CATALOGUE)
        delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "N", TODAY)
        cases.append(case_id)
    with vault.uow.read() as s:
        plans = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number)).all()
        assert [sorted(t.task_code for t in p.tasks) for p in plans] == [
            sorted(tasks[:n]) for n in (1, 2, 3)]
        latest = plans[-1]
        assert sorted(t.delegation_case_id for t in latest.tasks) == sorted(cases)
        by_case = [f.delegation_case_id for f in latest.funding_splits]
        assert sorted(by_case) == sorted(cases * 2)  # ICB and council rows, once per case
        assert len({t.id for p in plans for t in p.tasks}) == 6  # copies are new rows


@pytest.mark.hazard("H-012")
@pytest.mark.hazard("H-011")
def test_no_consensus_on_funding_opens_a_shared_care_discussion(
    vault: VaultSession, person_id: str, provider: tuple[str, list[str]],
) -> None:
    answers = delegated_answers(*provider)
    answers["S9"] = {"fits_existing_calls": False, **S9_ANSWERED}
    answers["S9F"] = {"method": "fixed_percentage", "icb_share": "part", "inputs": {
        "method": "fixed_percentage", "council": "leicester_city", "rate_pence_per_hour": 2400,
        "lead_commissioner": "leicester_city", "start_date": "2026-11-30",
        "minutes_per_week": 210, "icb_basis_points": 6000}}
    answers["S10"].update({"consensus": False, "disagreement_about": "funding",
                           "question_for_discussion": "Who funds the extra visit?",
                           "interim_funder": "icb", "dispute_reference": "MLCSU-999-1"})
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW, CATALOGUE)
    decision = delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "N", TODAY)
    assert decision.outcome == "INTERIM_WITHOUT_PREJUDICE"
    with vault.uow.read() as s:
        discussion = s.scalars(select(SharedCareDiscussion)).one()
        splits = {f.funder: f for f in s.scalars(select(FundingSplit))}
        assert discussion.interim_funder == "icb" and discussion.escalated_to_mlcsu
        # 210 min at £24/hour = £84.00 a week; 60 % ICB = £50.40, council £33.60
        assert splits["icb"].pence_per_week == 5040
        assert splits["leicester_city"].pence_per_week == 3360
        assert splits["icb"].free_to_person and not splits["leicester_city"].free_to_person
        assert all(f.interim_without_prejudice for f in splits.values())
        assert splits["icb"].dispute_reference == "MLCSU-999-1"


@pytest.mark.hazard("H-001")
def test_unfinished_answers_cannot_be_decided(vault: VaultSession, person_id: str) -> None:
    answers = start()
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S3", FLOW, CATALOGUE)
    with pytest.raises(ValidationError, match="do not reach an outcome"):
        delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "N", TODAY)
    assert count(vault, DelegationCase) == 1


def test_a_decided_case_is_not_decided_twice(vault: VaultSession, person_id: str) -> None:
    answers = start()
    answers["S2"]["chc_checklist_positive"] = True
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S2", FLOW, CATALOGUE)
    assert delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "N",
                             TODAY).outcome == "REFER_CHC"
    with pytest.raises(ValidationError, match="already been decided"):
        delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "N", TODAY)
    with pytest.raises(ValidationError, match="already been decided"):
        delegation.save_draft(vault.uow, person_id, case_id, answers, "S2", FLOW, CATALOGUE)
