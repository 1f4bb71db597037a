"""Unsafe paths found when the wizard was tried with realistic cases (issue 13), each held
shut by a test on the real services and a real (cheap-key) vault.

Every test here failed on the code before its fix (see the commit that added it; the step
S1 section says how its tests failed) and is marked with the hazard of
docs/clinical-safety/hazard-log.yaml whose control it verifies.
The shipped flow and catalogue are used throughout, so a new flow version that reopens a
path fails here.
"""

from __future__ import annotations

import copy
import datetime as dt
import itertools
import json
from collections.abc import Iterator, Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st
from sqlalchemy import func, select

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.plan import FundingSplit, SupportPlan
from desktop_app.models.review import Review
from desktop_app.services import delegation, people, registers
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.framework import funding
from desktop_app.services.framework.catalogue import (
    NO_TASK_CODE,
    CatalogueError,
    default_catalogue_path,
    load_catalogue,
    parse_catalogue,
)
from desktop_app.services.framework.delegation_context import task_options
from desktop_app.services.framework.flow import (
    FieldSpec,
    FlowResult,
    check_answer_types,
    evaluate,
    load_flow,
    newest_flow_file,
    parse_flow,
)
from desktop_app.services.people.record import load_record
from desktop_app.services.reports.delegations import delegations_report
from desktop_app.services.reports.model import ReportQuery
from desktop_app.services.vault import VaultSession
from tests.support import person_values
from tools.sample_case import S9_ANSWERED, add_insured_provider

TODAY = dt.date(2026, 11, 30)
FLOW = load_flow()
CATALOGUE = load_catalogue()
EYE_DROPS = "eye_drops"
INSULIN = "insulin_prefilled_pen"
SYRINGE_DRIVER = "syringe_driver"
Answers = dict[str, dict[str, Any]]


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(7))).id


@pytest.fixture
def provider(vault: VaultSession) -> tuple[str, list[str]]:
    """An active provider insured for delegated tasks, with two workers (decide() refuses
    any other: H-041)."""
    return add_insured_provider(vault.uow)


def sign_off(worker: str, signed: str = "2026-11-20", **extra: Any) -> dict[str, Any]:
    return {"worker_id": worker, "worker_name": f"Worker {worker[:4]}", "training_level": 2,
            "trainer_name": "T Nurse", "assessor_name": "A Nurse", "signed_off_on": signed,
            **extra}


def delegated(provider: tuple[str, list[str]], task: str = EYE_DROPS, **changes: Any) -> Answers:
    """Answers that delegate ``task`` within the existing package, ``changes`` laid over."""
    provider_id, workers = provider
    answers: Answers = {
        "S1": {"task_code": task, "referred_by": "District nurse", "is_health_need": True},
        "S2": {"chc_checklist_positive": False},
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": True, "what_is_delegated": "The task as prescribed",
               "what_is_not_delegated": "Any change of dose", "frequency": "Twice a day",
               "do_thresholds": "As the plan says", "call_nurse_thresholds": "Any doubt"},
        "S5": {"incidental_or_ancillary": True},
        "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Edith",
               "how": "verbal", "explained": "What the worker will do"},
        "S7": {"provider_accepts": True, "provider_id": provider_id, "worker_ids": workers,
               "insurance_confirmed": True},
        "S8": {"all_signed_off": True, "oversight_service": "gp_practice",
               "oversight_organisation": "Demo Medical Practice",
               "oversight_phone_in_hours": "0116 496 0000",
               "oversight_phone_out_of_hours": "111",
               "sign_offs": [sign_off(w) for w in workers]},
        "S9": {"fits_existing_calls": True, **S9_ANSWERED},
        "S10": {"met_on": "2026-11-29", "consensus": True, "attendees": [
            {"role": "Nurse", "organisation": "LPT", "name": "A"},
            {"role": "Social worker", "organisation": "City Council", "name": "B"}]},
    }
    for step, values in changes.items():
        answers[step] = {**answers.get(step, {}), **values}
    return answers


def extra_time(method: str, share_the_old_page_saw: str, **amounts: Any) -> dict[str, Any]:
    """S9F answers as the page stores them; ``icb_share`` is what the page judged."""
    inputs = {"method": method, "council": "leicester_city", "rate_pence_per_hour": 2400,
              "lead_commissioner": "icb", "start_date": "2026-12-01", **amounts}
    return {"method": method, "icb_share": share_the_old_page_saw, "inputs": inputs,
            "start_date": "2026-12-01"}


def decide(vault: VaultSession, person_id: str, answers: Answers, *, flow: Any = FLOW,
           draft: Answers | None = None) -> delegation.Decision:
    case_id = delegation.save_draft(vault.uow, person_id, None, draft or answers, "S10", flow,
                                    CATALOGUE)
    return delegation.decide(vault.uow, case_id, answers, flow, CATALOGUE, "A Nurse", TODAY)


def count(vault: VaultSession, model: type) -> int:
    with vault.uow.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


def nothing_recorded(vault: VaultSession) -> bool:
    return all(count(vault, m) == 0 for m in (SupportPlan, CompetencySignOff, Review)) and all(
        c.status == CaseStatus.DRAFT.value for c in cases(vault))


def cases(vault: VaultSession) -> list[DelegationCase]:
    with vault.uow.read() as s:
        found = list(s.scalars(select(DelegationCase)))
        s.expunge_all()
        return found


# ---------------------------------------------------------------- H-002: RN-only tasks


def _flow_without_the_s3_catalogue_check() -> Any:
    """A flow file as a careless new version might be: S3 no longer looks at the catalogue."""
    raw = copy.deepcopy(_raw_flow())
    raw["steps"]["S3"]["branches"] = [b for b in raw["steps"]["S3"]["branches"]
                                      if "task.typical_status" not in b["when"]]
    return parse_flow(raw)


def _raw_flow() -> dict[str, Any]:
    import json

    return dict(json.loads(newest_flow_file().read_text(encoding="utf-8")))


@pytest.mark.hazard("H-002")
def test_an_rn_task_is_never_delegated_even_by_a_flow_file_that_forgets_s3(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """The flow is replaceable data; the service's own guard holds when the data does not."""
    careless = _flow_without_the_s3_catalogue_check()
    with pytest.raises(ValidationError, match="registered-nurse only"):
        decide(vault, person_id, delegated(provider, SYRINGE_DRIVER), flow=careless)
    assert nothing_recorded(vault)


@pytest.mark.hazard("H-002")
def test_the_task_decided_is_the_one_answered_not_an_older_draft(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """A draft last saved with a syringe driver, then finished with eye drops chosen: the plan
    line, the sign-offs and the case all name eye drops (they read the case's task code,
    which used to keep the stale draft's)."""
    stale = delegated(provider, SYRINGE_DRIVER)
    decision = decide(vault, person_id, delegated(provider, EYE_DROPS), draft=stale)
    assert decision.outcome == "DELEGATED_EXISTING_PACKAGE"
    with vault.uow.read() as s:
        plan = s.scalars(select(SupportPlan)).one()
        assert [line.task_code for line in plan.tasks] == [EYE_DROPS]
        assert {x.task_code for x in s.scalars(select(CompetencySignOff))} == {EYE_DROPS}
        assert s.get_one(DelegationCase, decision.case_id).task_code == EYE_DROPS


@pytest.mark.hazard("H-002")
def test_only_a_delegable_task_is_ever_delegated(vault: VaultSession, person_id: str,
                                                 provider: tuple[str, list[str]]) -> None:
    """Personal care is not a delegation either, whatever a flow file says."""
    personal_care = next(t.code for t in CATALOGUE.tasks if t.typical_status == "PC")
    careless = _flow_without_the_s3_catalogue_check()
    with pytest.raises(ValidationError, match="delegable"):
        decide(vault, person_id, delegated(provider, personal_care), flow=careless)
    assert nothing_recorded(vault)


# ---------------------------------------------------------------- H-005 / H-006: competence


@pytest.mark.hazard("H-005")
def test_a_sign_off_whose_refresher_fell_due_years_ago_is_refused(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """Signed off three years ago, refresher due two years ago: not current."""
    answers = delegated(provider)
    answers["S8"]["sign_offs"][0] = sign_off(provider[1][0], "2023-11-30",
                                             refresher_due="2024-11-30")
    with pytest.raises(ValidationError, match="needed its refresher by 30/11/2024"):
        decide(vault, person_id, answers)
    assert nothing_recorded(vault)


@pytest.mark.hazard("H-005")
def test_a_sign_off_whose_refresher_is_due_today_is_refused_but_yesterdays_is_not(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    answers = delegated(provider)
    answers["S8"]["sign_offs"][0] = sign_off(provider[1][0], "2025-11-30")  # due 30/11/2026
    with pytest.raises(ValidationError, match="refresher by 30/11/2026"):
        decide(vault, person_id, answers)
    answers["S8"]["sign_offs"][0] = sign_off(provider[1][0], "2025-12-01")  # due tomorrow
    assert decide(vault, person_id, answers).outcome == "DELEGATED_EXISTING_PACKAGE"


@pytest.mark.hazard("H-005")
def test_a_future_sign_off_is_refused_and_a_later_refresher_than_the_rule_is_not_kept(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    answers = delegated(provider)
    answers["S8"]["sign_offs"][0] = sign_off(provider[1][0], "2026-12-25")
    with pytest.raises(ValidationError, match="in the future"):
        decide(vault, person_id, answers)
    answers["S8"]["sign_offs"][0] = sign_off(provider[1][0], "2026-11-20",
                                             refresher_due="2029-11-20")
    decide(vault, person_id, answers)
    with vault.uow.read() as s:
        dues = {x.worker_id: x.refresher_due for x in s.scalars(select(CompetencySignOff))}
    # eye drops: 12 months in the catalogue, so never three years
    assert dues[provider[1][0]] == dt.date(2027, 11, 20)


@pytest.mark.hazard("H-006")
def test_every_named_worker_needs_a_sign_off_and_no_one_else_may_have_one(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    answers = delegated(provider)
    answers["S8"]["sign_offs"] = answers["S8"]["sign_offs"][:1]
    with pytest.raises(ValidationError, match="no sign-off is recorded"):
        decide(vault, person_id, answers)
    answers = delegated(provider)
    answers["S8"]["sign_offs"].append(sign_off("someone-not-named"))
    with pytest.raises(ValidationError, match="not named on step S7"):
        decide(vault, person_id, answers)
    assert nothing_recorded(vault)


# ---------------------------------------------------------------- H-011: who pays


@pytest.mark.hazard("H-011")
@pytest.mark.parametrize("method, amounts", [
    ("health_only_call", {"minutes_per_call": 30, "calls_per_week": 7,
                          "existing_council_pence_per_week": 16800}),
    ("extra_minutes", {"extra_minutes_per_call": 10, "calls_per_week": 14,
                       "existing_council_pence_per_week": 33600}),
])
def test_the_councils_existing_calls_never_make_extra_time_joint(method: str,
                                                                 amounts: dict[str, int]) -> None:
    basis = funding.FundingBasis(council=funding.Funder.LEICESTER_CITY,
                                 rate_pence_per_hour=2400, lead_commissioner=funding.Funder.ICB,
                                 start_date=TODAY)
    with_existing = funding.apportion(basis, funding.METHOD_INPUTS[method](**amounts))
    without = funding.apportion(basis, funding.METHOD_INPUTS[method](
        **{**amounts, "existing_council_pence_per_week": 0}))
    assert with_existing.nhs_share == without.nhs_share == funding.NhsShare.ALL
    # the council's calls still show on the plan's total, as before
    assert with_existing.share(funding.Funder.LEICESTER_CITY).pence_per_week == amounts[
        "existing_council_pence_per_week"]


@pytest.mark.hazard("H-011")
def test_health_must_fund_and_a_health_only_call_with_existing_calls_is_health_funded(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """S5 "the council cannot lawfully do it" and the NHS pays all the extra call: the page
    used to judge "part" (the existing calls were in the total) and the flow blocked."""
    answers = delegated(provider, S5={"incidental_or_ancillary": False,
                                      "no_reason": "Not ancillary to social care"},
                        S9={"fits_existing_calls": False},
                        S9F=extra_time("health_only_call", "part", minutes_per_call=30,
                                       calls_per_week=7, existing_council_pence_per_week=16800))
    decision = decide(vault, person_id, answers)
    assert decision.outcome == "DELEGATED_HEALTH_FUNDED"
    with vault.uow.read() as s:
        split = {f.funder: f.pence_per_week for f in s.scalars(select(FundingSplit))}
    assert split == {"icb": 8400, "leicester_city": 16800}  # 210 min at £24/h; existing calls


@pytest.mark.hazard("H-011")
def test_the_service_judges_the_nhs_share_not_the_page(vault: VaultSession, person_id: str,
                                                       provider: tuple[str, list[str]]) -> None:
    """A page (or a tampered draft) claiming "the NHS pays all" of an equal split does not
    make it health-funded; nor, with S5 "no", does it slip past the block."""
    answers = delegated(provider, S9={"fits_existing_calls": False},
                        S9F=extra_time("equal_split", "all", minutes_per_week=120))
    assert decide(vault, person_id, answers).outcome == "DELEGATED_JOINT_FUNDED"
    answers = delegated(provider, S5={"incidental_or_ancillary": False, "no_reason": "x"},
                        S9={"fits_existing_calls": False},
                        S9F=extra_time("equal_split", "all", minutes_per_week=120))
    with pytest.raises(ValidationError, match="do not reach an outcome"):
        decide(vault, person_id, answers)


# ---------------------------------------------------------------- H-012 / H-013: disputes


@pytest.mark.hazard("H-011")
@pytest.mark.hazard("H-010")
def test_funding_left_on_a_page_gone_back_from_neither_funds_nor_starts_the_care(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """S9 first "No" and S9F filled in, then Back and S9 "Yes" (fits the existing package):
    the S9F answers still in the draft are off the route, so the decision records the
    existing package's lines, not the shares S9F worked out, and the care starts on the
    decision day, not on S9F's start date."""
    answers = delegated(provider, S9F=extra_time("equal_split", "part", minutes_per_week=120))
    decision = decide(vault, person_id, answers)
    assert decision.outcome == "DELEGATED_EXISTING_PACKAGE"
    with vault.uow.read() as s:
        lines = {(f.funder, f.method, f.pence_per_week, f.start_date)
                 for f in s.scalars(select(FundingSplit))}
    assert lines == {("icb", "existing_package", 0, TODAY),
                     ("leicester_city", "existing_package", 0, TODAY)}
    assert decision.care_starts_on == TODAY


def _disagree(about: str, **more: Any) -> dict[str, Any]:
    return {"consensus": False, "disagreement_about": about,
            "question_for_discussion": "Should this be delegated?", "interim_funder": "icb",
            **more}


@pytest.mark.hazard("H-012")
def test_a_dispute_about_whether_to_delegate_records_what_health_pays_meanwhile(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    answers = delegated(provider, S10=_disagree("delegation"))
    with pytest.raises(ValidationError, match="do not reach an outcome"):
        decide(vault, person_id, answers)  # no amount, no date: refused, not stored bare
    answers["S10"].update(interim_weekly_pence=4200, interim_from="2026-11-29")
    decision = decide(vault, person_id, answers)
    assert decision.outcome == "ESCALATED_SHARED_CARE" and decision.plan_version is None
    with vault.uow.read() as s:
        discussion = s.scalars(select(SharedCareDiscussion)).one()
        assert (discussion.interim_funder, discussion.interim_pence_per_week,
                discussion.interim_from) == ("icb", 4200, dt.date(2026, 11, 29))
    [row] = registers.escalations(vault.uow, TODAY)
    assert (row.interim_pence_per_week, row.interim_weekly) == (4200, "£42.00")
    assert any("nursing team keeps" in step for step in decision.next_steps)


@pytest.mark.hazard("H-013")
@pytest.mark.parametrize("s5, s9f, to_csu", [
    ({"incidental_or_ancillary": True},
     extra_time("fixed_percentage", "part", minutes_per_week=210, icb_basis_points=6000), True),
    ({"incidental_or_ancillary": False, "no_reason": "Not ancillary"},
     extra_time("health_only_call", "all", minutes_per_call=30, calls_per_week=7), False),
])
def test_only_a_joint_funded_dispute_goes_to_the_csu(vault: VaultSession, person_id: str,
                                                     provider: tuple[str, list[str]],
                                                     s5: dict[str, Any], s9f: dict[str, Any],
                                                     to_csu: bool) -> None:
    answers = delegated(provider, S5=s5, S9={"fits_existing_calls": False}, S9F=s9f,
                        S10=_disagree("funding", dispute_reference="REF-999-1"))
    assert decide(vault, person_id, answers).outcome == "INTERIM_WITHOUT_PREJUDICE"
    with vault.uow.read() as s:
        assert s.scalars(select(SharedCareDiscussion)).one().escalated_to_mlcsu is to_csu


# ---------------------------------------------------------------- H-010: the review clock


@pytest.mark.hazard("H-010")
def test_the_first_review_counts_from_the_day_the_extra_care_starts(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    s9f = extra_time("health_only_call", "all", minutes_per_call=30, calls_per_week=7)
    s9f["start_date"] = s9f["inputs"]["start_date"] = "2027-01-10"
    answers = delegated(provider, S9={"fits_existing_calls": False}, S9F=s9f)
    decision = decide(vault, person_id, answers)
    assert decision.first_review_due == dt.date(2027, 4, 10)
    with vault.uow.read() as s:
        case = s.get_one(DelegationCase, decision.case_id)
        assert case.started_on == dt.date(2027, 1, 10)
        assert s.scalars(select(Review)).one().due_on == dt.date(2027, 4, 10)


@pytest.mark.hazard("H-010")
def test_the_first_review_counts_from_the_start_given_on_s10_and_never_before_the_mdt(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    answers = delegated(provider, S10={"care_starts_on": "2026-11-20"})  # MDT met 29/11
    with pytest.raises(ValidationError, match="before the MDT agreed it"):
        decide(vault, person_id, answers)
    answers["S10"]["care_starts_on"] = "2026-12-14"
    assert decide(vault, person_id, answers).first_review_due == dt.date(2027, 3, 14)


@pytest.mark.hazard("H-020")
def test_a_date_answer_that_is_not_a_date_is_refused_not_dropped() -> None:
    for typed in ("31/11/2026", "next week", ""):
        with pytest.raises(ValidationError, match="enter a date"):
            check_answer_types(FLOW, {"S10": {"care_starts_on": typed}})


# ---------------------------------------------------------------- H-008 / H-014: withdrawal


def _withdraw(vault: VaultSession, case_id: str, done: dt.date) -> registers.RecordedReview:
    with vault.uow.read() as s:
        review_id = s.scalars(select(Review.id).where(Review.delegation_case_id == case_id)
                              ).one()
    return registers.record_review(vault.uow, review_id, done, "withdraw", stable=False,
                                   competence_current=True, serious_incident=False,
                                   notes="Blood sugars unstable", today=done)


@pytest.mark.hazard("H-008")
@pytest.mark.hazard("H-014")
def test_a_withdrawn_task_leaves_the_plan_and_its_funding_ends(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    kept = decide(vault, person_id, delegated(provider, EYE_DROPS))
    s9f = extra_time("extra_minutes", "all", extra_minutes_per_call=10, calls_per_week=14)
    withdrawn = decide(vault, person_id, delegated(provider, INSULIN, S9={
        "fits_existing_calls": False}, S9F=s9f))
    assert withdrawn.outcome == "DELEGATED_HEALTH_FUNDED" and withdrawn.plan_version == 2
    _withdraw(vault, withdrawn.case_id, dt.date(2027, 1, 5))
    with vault.uow.read() as s:
        latest = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number.desc())
                           ).first()
        assert latest is not None and latest.version_number == 3
        assert latest.effective_from == dt.date(2027, 1, 5)
        assert [t.delegation_case_id for t in latest.tasks] == [kept.case_id]
        assert {f.delegation_case_id for f in latest.funding_splits} == {kept.case_id}
        assert "back with the nursing team" in (latest.summary or "")
    [row] = registers.funding_to_reconsider(vault.uow, dt.date(2027, 1, 19))
    assert (row.case_id, row.ended_on, row.days_waiting) == (
        withdrawn.case_id, dt.date(2027, 1, 5), 14)


@pytest.mark.hazard("H-014")
def test_reconsidered_funding_leaves_the_list_once_and_not_before_it_ended(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    s9f = extra_time("health_only_call", "all", minutes_per_call=30, calls_per_week=7)
    case_id = decide(vault, person_id, delegated(provider, INSULIN, S9={
        "fits_existing_calls": False}, S9F=s9f)).case_id
    _withdraw(vault, case_id, dt.date(2027, 1, 5))
    with pytest.raises(ValidationError, match="before the delegation ended"):
        registers.record_funding_reconsidered(vault.uow, case_id, dt.date(2027, 1, 4),
                                              dt.date(2027, 1, 20))
    registers.record_funding_reconsidered(vault.uow, case_id, dt.date(2027, 1, 19),
                                          dt.date(2027, 1, 20))
    assert registers.funding_to_reconsider(vault.uow, dt.date(2027, 1, 20)) == []
    with pytest.raises(ValidationError, match="already been reconsidered"):
        registers.record_funding_reconsidered(vault.uow, case_id, dt.date(2027, 1, 19),
                                              dt.date(2027, 1, 20))
    with pytest.raises(NotFound):
        registers.record_funding_reconsidered(vault.uow, "no-such-case", dt.date(2027, 1, 19),
                                              dt.date(2027, 1, 20))


@pytest.mark.hazard("H-008")
def test_a_task_delegated_within_the_package_also_leaves_the_plan_with_nothing_to_reconsider(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    case_id = decide(vault, person_id, delegated(provider)).case_id
    _withdraw(vault, case_id, dt.date(2027, 2, 1))
    with vault.uow.read() as s:
        plans = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number)).all()
        assert [len(p.tasks) for p in plans] == [1, 0]
    assert registers.funding_to_reconsider(vault.uow, dt.date(2027, 2, 1)) == []


# ---------------------------------------------------------------- H-023: look again on


def _not_delegated_until(vault: VaultSession, person_id: str, provider: tuple[str, list[str]],
                         look_again: str) -> str:
    answers = delegated(provider, S4={"stable": False, "no_reason": "Sugars unstable",
                                      "reconsider_on": look_again})
    decision = decide(vault, person_id, answers)
    assert decision.outcome == "NOT_DELEGATED"
    return decision.case_id


@pytest.mark.hazard("H-023")
def test_a_date_to_look_again_appears_with_the_reviews_due_until_a_new_delegation_starts(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """The outcome page promised it; the date used to be stored and never shown again."""
    case_id = _not_delegated_until(vault, person_id, provider, "2027-01-15")
    assert registers.look_again_due(vault.uow, dt.date(2026, 12, 1)) == []  # 45 days ahead
    [row] = registers.look_again_due(vault.uow, dt.date(2027, 1, 20))
    assert (row.case_id, row.reconsider_on, row.days_overdue) == (
        case_id, dt.date(2027, 1, 15), 5)
    assert row.outcome_title.startswith("Not delegated")
    delegation.save_draft(vault.uow, person_id, None, delegated(provider), "S4", FLOW,
                          CATALOGUE)  # the nurse looks again: a new delegation is started
    assert registers.look_again_due(vault.uow, dt.date(2027, 1, 20)) == []


@pytest.mark.hazard("H-023")
def test_training_outstanding_brings_the_expected_date_back_too(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    answers = delegated(provider, S8={"all_signed_off": False, "no_reason": "Level 2 course",
                                      "reconsider_on": "2027-02-01"})
    assert decide(vault, person_id, answers).outcome == "NOT_DELEGATED"
    [row] = registers.look_again_due(vault.uow, dt.date(2027, 1, 10))
    assert row.days_overdue == -22


# ---------------------------------------------------------------- H-007 / H-006: who decides


def _attorney(vault: VaultSession, person_id: str, *, registered: bool = True) -> str:
    from desktop_app.services.people import contacts
    return contacts.add_contact(vault.uow, person_id, contacts.ContactInput(
        kind="lpa_health_welfare", name="Siobhán Example", relationship="Daughter",
        registration_reference="LPA-999-1" if registered else None,
        registered_on=dt.date(2020, 3, 1) if registered else None,
        can_decide_health_welfare=registered))


def _by_attorney(contact_id: str, **more: Any) -> dict[str, Any]:
    return {"consent_given": True, "given_by_kind": "lpa", "contact_id": contact_id,
            "given_by_name": "Siobhán Example", "how": "written", "explained": "The plan",
            "capacity_in_doubt": True, "capacity_decision": "Delegation of eye drops",
            "capacity_assessed_on": "2026-11-10", "capacity_assessor": "A Nurse",
            "capacity_outcome": "lacks_capacity", **more}


@pytest.mark.hazard("H-007")
def test_consent_by_an_attorney_of_another_person_is_refused(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """The service took any contact id; one belonging to someone else was recorded."""
    other = people.create_person(vault.uow, people.PersonInput(**person_values(8))).id
    theirs = _attorney(vault, other)
    with pytest.raises(ValidationError, match="this person's contacts"):
        decide(vault, person_id, delegated(provider, S6=_by_attorney(theirs)))
    assert nothing_recorded(vault)
    ours = _attorney(vault, person_id)
    assert decide(vault, person_id, delegated(provider, S6=_by_attorney(ours))).outcome == \
        "DELEGATED_EXISTING_PACKAGE"


@pytest.mark.hazard("H-007")
@pytest.mark.parametrize("s6, message", [
    ({"given_by_kind": "person", "capacity_in_doubt": True,
      "capacity_outcome": "lacks_capacity"}, "cannot be their own"),
    ({"given_by_kind": "best_interests", "capacity_outcome": "lacks_capacity",
      "bi_consulted": "Daughter"}, "best-interests decision needs"),
    ({"given_by_kind": "best_interests", "capacity_outcome": "has_capacity",
      "bi_consulted": "a", "bi_wishes_feelings": "b", "bi_options": "c",
      "bi_least_restrictive": "d"}, "lacks capacity"),
])
def test_consent_by_someone_who_cannot_give_it_is_refused(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]],
        s6: dict[str, Any], message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        decide(vault, person_id, delegated(provider, S6=s6))
    assert nothing_recorded(vault)


@pytest.mark.hazard("H-007")
def test_an_unregistered_attorney_cannot_consent(vault: VaultSession, person_id: str,
                                                 provider: tuple[str, list[str]]) -> None:
    unregistered = _attorney(vault, person_id, registered=False)
    with pytest.raises(ValidationError, match="registered to decide"):
        decide(vault, person_id, delegated(provider, S6=_by_attorney(unregistered)))


@pytest.mark.hazard("H-006")
def test_a_worker_of_another_provider_or_no_longer_active_cannot_be_named(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    from desktop_app.models.provider import CareWorker
    other_provider, other_workers = add_insured_provider(vault.uow, "Sample Care Services")
    answers = delegated(provider)
    answers["S7"]["worker_ids"] = [provider[1][0], other_workers[0]]
    answers["S8"]["sign_offs"] = [sign_off(provider[1][0]), sign_off(other_workers[0])]
    with pytest.raises(ValidationError, match="Aisha Worker works for Sample Care Services, "
                                              "not for Demo Homecare Ltd"):
        decide(vault, person_id, answers)
    with vault.uow.begin() as s:
        s.get_one(CareWorker, provider[1][1]).active = False
    with pytest.raises(ValidationError, match="Tomasz Worker no longer works for Demo"):
        decide(vault, person_id, delegated(provider))
    assert nothing_recorded(vault) and other_provider


@pytest.mark.hazard("H-005")
def test_a_review_cannot_call_competence_current_when_the_register_says_it_lapsed(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """Signed off 20/11/2026, refresher due 20/11/2027: a review on 1 Dec 2027 answering
    "competence current" used to let the delegation run on."""
    case_id = decide(vault, person_id, delegated(provider)).case_id
    with vault.uow.read() as s:
        review_id = s.scalars(select(Review.id).where(Review.delegation_case_id == case_id)
                              ).one()
    late = dt.date(2027, 12, 1)
    with pytest.raises(ValidationError, match="needed its refresher by 20/11/2027"):
        registers.record_review(vault.uow, review_id, late, "continue", stable=True,
                                competence_current=True, serious_incident=False, notes=None,
                                today=late)
    withdrawn = registers.record_review(vault.uow, review_id, late, "withdraw", stable=True,
                                        competence_current=False, serious_incident=False,
                                        notes="Refresher overdue", today=late)
    assert withdrawn.flow_outcome == "WITHDRAWN"



# ---------------------------------------------------------------- step S1 (items 1, 6, 8)
#
# Unsafe routes out of step S1 (issue 13, items 1, 6 and 8), on the newest shipped flow.
#
# * H-002: a task the catalogue lists as registered-nurse only (RN) must never leave the
#   nurse. S1 "not a health need" used to record it as social care only; every route of the
#   flow is now walked with every catalogue task to show an RN task only ever ends
#   ``NOT_DELEGATED``, ``REFER_CHC``, waits or is refused.
# * H-003: a plain social care need (help getting dressed) has no catalogue task. S1 used to
#   force one, so an unrelated task code was stored; it is now recorded as a social care need
#   with its description and no task code, and the lists and reports that show or count cases
#   cope with it.
# * H-004: a delegable or personal-care task has registered-nurse-only look-alikes ("twins");
#   the catalogue now names them, with how to tell them apart, for the wizard to show.
#
# How these failed before the fixes: the S1 RN tests, the route enumeration and the random
# routes ended ``SOCIAL_CARE_ONLY`` for every RN task answered "No"; the social care need
# tests waited for a task code (``decide`` refused: no outcome yet) and the report counted
# the case under "Other"; the look-alike tests failed on ``Catalogue.look_alikes`` and
# ``task_options`` not existing.


OC = OutcomeCode

RN_CODES = tuple(t.code for t in CATALOGUE.tasks if t.typical_status == "RN")
D_CODES = tuple(t.code for t in CATALOGUE.tasks if t.typical_status == "D")
RN_OUTCOMES = {OC.NOT_DELEGATED.value, OC.REFER_CHC.value}
DELEGATED = {OC.DELEGATED_EXISTING_PACKAGE.value, OC.DELEGATED_HEALTH_FUNDED.value,
             OC.DELEGATED_JOINT_FUNDED.value, OC.INTERIM_WITHOUT_PREJUDICE.value}
ABSENT = object()  # an answer not given at all (S1 answers saved before 2026.2)
NEED = "Help getting dressed each morning; she cannot manage buttons or tights."

# Every later step answered on the way to a delegation inside the existing package.
LATER: Answers = {
    "S2": {"chc_checklist_positive": False, "checklist_date": "2026-01-05"},
    "S3": {"needs_clinical_judgement": False},
    "S4": {"stable": True, "what_is_delegated": "The task as charted.",
           "what_is_not_delegated": "Changing anything.", "frequency": "Daily.",
           "do_thresholds": "Do it as charted.", "call_nurse_thresholds": "Anything odd."},
    "S5": {"incidental_or_ancillary": True},
    "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Edith",
           "how": "verbal", "explained": "What the care worker will do."},
    "S7": {"provider_accepts": True, "provider_id": "provider-1", "worker_ids": ["w-1"],
           "insurance_confirmed": True},
    "S8": {"all_signed_off": True, "sign_offs": [{"worker_id": "w-1"}],
           "oversight_service": "community_health", "oversight_organisation": "LPT"},
    "S9": {"fits_existing_calls": True},
    "S10": {"met_on": "2026-01-20", "attendees": ["nurse", "social worker"],
            "consensus": True},
}
S9F_ALL = {"method": "health_only_call", "inputs": {"minutes": 30}, "icb_share": "all"}
S9F_PART = {"method": "split_by_minutes", "inputs": {"health": 15, "council": 15},
            "icb_share": "part"}
# Each way the later steps can go: all yes, and each step's other answer.
LATER_VARIANTS: dict[str, dict[str, dict[str, Any] | None]] = {
    "all yes": {},
    "S2 positive": {"S2": {"chc_checklist_positive": True}},
    "S2 unanswered": {"S2": None},
    "S3 judgement": {"S3": {"needs_clinical_judgement": True, "no_reason": "Dose chosen."}},
    "S3 unanswered": {"S3": None},
    "S4 not stable": {"S4": {"stable": False, "no_reason": "Changing.",
                             "reconsider_on": "2026-04-01"}},
    "S5 not lawful": {"S5": {"incidental_or_ancillary": False, "no_reason": "Not a council's."}},
    "S6 declined": {"S6": {"consent_given": False, "no_reason": "Wants the nurse."}},
    "S7 no provider": {"S7": {"provider_accepts": False, "no_reason": "None nearby."}},
    "S8 not signed off": {"S8": {"all_signed_off": False, "no_reason": "Not assessed.",
                                 "reconsider_on": "2026-03-01"}},
    "S9 no, NHS funds all": {"S9": {"fits_existing_calls": False}, "S9F": S9F_ALL},
    "S9 no, joint": {"S9": {"fits_existing_calls": False}, "S9F": S9F_PART},
    "S5 no, S9F all": {"S5": {"incidental_or_ancillary": False, "no_reason": "Health's."},
                       "S9": {"fits_existing_calls": False}, "S9F": S9F_ALL},
    "S10 funding dispute": {"S10": {"consensus": False, "disagreement_about": "funding",
                                    "question_for_discussion": "Who funds?",
                                    "interim_funder": "icb", "dispute_reference": "M-1"}},
    "S10 delegation dispute": {"S10": {"consensus": False, "disagreement_about": "delegation",
                                       "question_for_discussion": "Is it safe?",
                                       "interim_funder": "icb"}},
}


def s1_for_task(code: str, health: bool, social_care_need: object = False,
                reason: str | None = "Personal care really.") -> dict[str, Any]:
    """S1 as the page writes it for a catalogue task (or as 2026.1 wrote it: ABSENT)."""
    s1: dict[str, Any] = {"task_code": code, "referred_by": "District nurse",
                          "is_health_need": health}
    if social_care_need is not ABSENT:
        s1["social_care_need"] = social_care_need
    if reason is not None:
        s1["no_reason"] = reason
    return s1


def s1_social_care_need(description: str | None = NEED,
                        referred_by: str | None = "Social worker") -> dict[str, Any]:
    """S1 as the page writes it for a social care need: no task code at all."""
    s1: dict[str, Any] = {"is_health_need": False, "social_care_need": True}
    if description is not None:
        s1["no_reason"] = description
    if referred_by is not None:
        s1["referred_by"] = referred_by
    return s1


def with_later(s1: Mapping[str, Any], variant: str) -> Answers:
    answers: Answers = {"S1": dict(s1), **copy.deepcopy(LATER)}
    for step, values in LATER_VARIANTS[variant].items():
        if values is None:
            answers.pop(step, None)
        else:
            answers[step] = copy.deepcopy(values)
    return answers


def run(answers: Answers, facts: Mapping[str, Any] | None = None) -> FlowResult:
    """Evaluate with the facts the app itself derives (``delegation.facts_for``)."""
    used = delegation.facts_for(answers, CATALOGUE) if facts is None else facts
    return evaluate(FLOW, answers, used)


def test_the_newest_flow_is_the_one_checked() -> None:
    assert FLOW.version == "2026.2-reconstructed"
    assert "social_care_need" in FLOW.step("S1").fields


# ---------------------------------------------------------------- H-002: RN never leaves


@pytest.mark.hazard("H-002")
@pytest.mark.parametrize("code", RN_CODES)
def test_an_rn_task_answered_not_a_health_need_is_refused_at_s1(code: str) -> None:
    result = run({"S1": s1_for_task(code, health=False)})
    assert result.outcome is None and not result.decided, result
    assert (result.next_step, result.path, result.missing) == ("S1", ("S1",), ())
    assert result.error is not None
    assert "registered-nurse only" in result.error
    assert "stays with a registered nurse" in result.error
    assert "social care need" in result.error  # says what to choose instead


@pytest.mark.hazard("H-002")
@pytest.mark.parametrize("code", ["syringe_driver", "iv_drugs", "complex_wound_dressing"])
def test_an_rn_task_answered_no_before_2026_2_waits_at_s1(code: str) -> None:
    # A draft saved by the 2026.1 page has no social_care_need answer: it must not decide.
    result = run({"S1": s1_for_task(code, health=False, social_care_need=ABSENT)})
    assert result.outcome is None and result.next_step == "S1"
    assert result.missing or result.error


@pytest.mark.hazard("H-002")
@pytest.mark.parametrize("code", ["syringe_driver", "iv_drugs"])
def test_the_nurse_corrects_the_answer_and_s2_then_s3_keep_the_task(code: str) -> None:
    s1 = s1_for_task(code, health=True)
    assert run(with_later(s1, "all yes")).outcome == OC.NOT_DELEGATED
    assert run(with_later(s1, "S2 positive")).outcome == OC.REFER_CHC
    assert run(with_later(s1, "all yes")).path == ("S1", "S2", "S3")


@pytest.mark.hazard("H-002")
@pytest.mark.parametrize("code", ["eye_drops", "medication_prompt"])
def test_a_delegable_or_personal_care_task_can_still_be_a_social_care_need(code: str) -> None:
    result = run({"S1": s1_for_task(code, health=False)})
    assert result.outcome == OC.SOCIAL_CARE_ONLY and result.path == ("S1",)


def _s1_shapes(code: str) -> Iterator[tuple[str, dict[str, Any]]]:
    for health, scn, reason in itertools.product(
            (True, False), (False, ABSENT), ("Personal care really.", None)):
        label = f"health={health} scn={'absent' if scn is ABSENT else scn} reason={reason}"
        yield label, s1_for_task(code, health, scn, reason)


@pytest.mark.hazard("H-002")
def test_every_route_keeps_every_rn_task_with_the_nurse() -> None:
    """Every catalogue task x every S1 answer the page (or a 2026.1 draft) can give x every
    way the later steps go, with the catalogue's facts and with none (a task the context
    does not know): an RN task ends NOT_DELEGATED or REFER_CHC, or is not decided."""
    seen_outcomes: set[str] = set()
    checked = 0
    for task in CATALOGUE.tasks:
        for (label, s1), variant in itertools.product(_s1_shapes(task.code), LATER_VARIANTS):
            answers = with_later(s1, variant)
            where = f"{task.code} {label} {variant}"
            result = run(answers)
            checked += 1
            if result.outcome:
                seen_outcomes.add(result.outcome)
            if task.typical_status == "RN":
                assert result.outcome is None or result.outcome in RN_OUTCOMES, where
                assert set(result.path) <= {"S1", "S2", "S3"}, where
            if result.outcome in DELEGATED:
                assert task.typical_status == "D", where
            unknown = run(answers, facts={})
            assert unknown.outcome in (None, OC.REFER_CHC.value), f"no facts: {where}"
    # The walk really reached the outcomes it is guarding against (for D and PC tasks).
    assert {OC.SOCIAL_CARE_ONLY.value, OC.DELEGATED_EXISTING_PACKAGE.value,
            OC.NOT_DELEGATED.value, OC.REFER_CHC.value} <= seen_outcomes
    assert checked == len(CATALOGUE.tasks) * 8 * len(LATER_VARIANTS)


def _value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "bool": st.booleans(),
        "choice": st.sampled_from(spec.choices) if spec.choices else st.just(""),
        "text": st.text(max_size=5),
        "date": st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat),
        "list": st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=3),
        "object": st.dictionaries(st.text(max_size=3), st.integers(0, 600),
                                  min_size=1, max_size=2),
        "pence": st.integers(0, 100_000),
    }
    return strategies.get(spec.type, st.none())


def _step_answers(sid: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = FLOW.step(sid).fields
    return st.fixed_dictionaries({}, optional={n: _value(s) for n, s in fields.items()})


RANDOM_ANSWERS = st.fixed_dictionaries({}, optional={
    sid: _step_answers(sid) for sid in FLOW.steps if sid != FLOW.review_start})


@pytest.mark.hazard("H-002")
@settings(max_examples=300, deadline=None)
@given(RANDOM_ANSWERS, st.sampled_from(RN_CODES), st.sampled_from(sorted(LATER_VARIANTS)))
def test_random_answers_never_take_an_rn_task_from_the_nurse(
        random: Answers, code: str, variant: str) -> None:
    answers = with_later(s1_for_task(code, health=True), variant)
    for sid, values in random.items():
        answers.setdefault(sid, {}).update(values)
    # S1 as the app can hold it: this task chosen, so never "no task: a social care need"
    # (that mix is refused by decide(); see the test below).
    answers["S1"]["task_code"] = code
    if answers["S1"].get("social_care_need"):
        answers["S1"]["social_care_need"] = False
    result = run(answers)
    assert result.outcome is None or result.outcome in RN_OUTCOMES, (answers, result)


@pytest.mark.hazard("H-002")
@pytest.mark.parametrize("code", ["syringe_driver", "urinary_catheter_insertion"])
def test_decide_refuses_an_rn_task_marked_as_a_social_care_need(
        vault: VaultSession, person_id: str, code: str) -> None:
    # S1 answers no page writes (a task chosen AND "no task: a social care need"): the flow
    # cannot see the task code is present without waiting for it on a real social care
    # need, so the code's own guard in decide() is the control here.
    answers: Answers = {"S1": {**s1_social_care_need(), "task_code": code}}
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S1", FLOW, CATALOGUE)
    with pytest.raises(ValidationError, match="registered-nurse only"):
        delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    with vault.uow.read() as session:
        assert session.get_one(DelegationCase, case_id).outcome_code is None


@pytest.mark.hazard("H-002")
def test_decide_records_nothing_for_an_rn_task_answered_no(vault: VaultSession,
                                                          person_id: str) -> None:
    answers: Answers = {"S1": s1_for_task("syringe_driver", health=False)}
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S1", FLOW, CATALOGUE)
    with pytest.raises(ValidationError):
        delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    with vault.uow.read() as session:
        case = session.get_one(DelegationCase, case_id)
        assert (case.status, case.outcome_code) == ("draft", None)


# ---------------------------------------------------------------- H-003: no task at all


@pytest.mark.hazard("H-003")
def test_a_social_care_need_without_a_task_is_social_care_only() -> None:
    answers: Answers = {"S1": s1_social_care_need()}
    assert delegation.facts_for(answers, CATALOGUE) == {}
    result = run(answers)
    assert (result.outcome, result.path, result.error) == (OC.SOCIAL_CARE_ONLY, ("S1",), None)
    assert any("not a healthcare task" in reason for reason in result.reasons)


@pytest.mark.hazard("H-003")
@pytest.mark.parametrize("variant", sorted(LATER_VARIANTS))
def test_later_answers_cannot_turn_a_social_care_need_into_anything_else(variant: str) -> None:
    result = run(with_later(s1_social_care_need(), variant))
    assert (result.outcome, result.path) == (OC.SOCIAL_CARE_ONLY, ("S1",))


@pytest.mark.hazard("H-003")
@pytest.mark.parametrize(("s1", "missing"), [
    (s1_social_care_need(description=None), ("S1.no_reason",)),
    (s1_social_care_need(referred_by=None), ("S1.referred_by",)),
])
def test_a_social_care_need_waits_for_its_description_and_referrer(
        s1: dict[str, Any], missing: tuple[str, ...]) -> None:
    result = run({"S1": s1})
    assert (result.outcome, result.next_step, result.missing) == (None, "S1", missing)


@pytest.mark.hazard("H-003")
def test_the_no_task_code_is_one_the_catalogue_refuses_as_a_task() -> None:
    raw = json.loads(default_catalogue_path().read_text(encoding="utf-8"))
    raw["tasks"][0]["code"] = NO_TASK_CODE
    with pytest.raises(CatalogueError, match="code"):
        parse_catalogue(raw)
    assert NO_TASK_CODE not in CATALOGUE.codes


def _decide_social_care_need(vault: VaultSession, person_id: str) -> str:
    answers: Answers = {"S1": s1_social_care_need()}
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "OUTCOME", FLOW,
                                    CATALOGUE)
    decision = delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    assert decision.outcome == OC.SOCIAL_CARE_ONLY and decision.plan_version is None
    return case_id


@pytest.mark.hazard("H-003")
def test_a_social_care_need_is_recorded_truthfully(vault: VaultSession,
                                                   person_id: str) -> None:
    case_id = _decide_social_care_need(vault, person_id)
    with vault.uow.read() as session:
        case = session.get_one(DelegationCase, case_id)
        assert case.task_code == NO_TASK_CODE  # no catalogue task stored
        assert (case.outcome_code, case.status) == ("SOCIAL_CARE_ONLY", "decided")
        assert case.answers["S1"]["no_reason"] == NEED
        assert case.answers["S1"]["social_care_need"] is True
        assert "task_code" not in case.answers["S1"]
        assert NEED in case.outcome_reasons
        assert case.referred_by == "Social worker"


@pytest.mark.hazard("H-003")
def test_lists_cope_with_a_case_that_has_no_task(vault: VaultSession, person_id: str) -> None:
    draft_id = delegation.save_draft(vault.uow, person_id, None,
                                     {"S1": s1_social_care_need()}, "S1", FLOW, CATALOGUE)
    [draft] = delegation.drafts(vault.uow)
    assert (draft.case_id, draft.task_code, draft.task_name) == (draft_id, NO_TASK_CODE, "")
    delegation.discard_draft(vault.uow, draft_id)
    case_id = _decide_social_care_need(vault, person_id)
    [row] = load_record(vault.uow, person_id).delegations
    assert (row.id, row.task_code, row.task_name, row.outcome_code) == (
        case_id, NO_TASK_CODE, "", "SOCIAL_CARE_ONLY")


@pytest.mark.hazard("H-003")
def test_reports_count_a_social_care_need_apart_from_the_task_groups(
        vault: VaultSession, person_id: str) -> None:
    _decide_social_care_need(vault, person_id)
    report = delegations_report(vault.uow, ReportQuery(dt.date(2026, 11, 1), TODAY),
                                today=TODAY)
    outcomes, categories, _withdrawals = report.sections
    by_outcome = {row[0].text: [c.text for c in row[1:]] for row in outcomes.rows}
    by_category = {row[0].text: [c.text for c in row[1:]] for row in categories.rows}
    assert by_outcome["A social care need: nothing to delegate"] == ["1", "1"]
    assert by_category["Other"] == ["0", "0"]  # not a healthcare task of any group
    assert by_category["No healthcare task: a social care need"] == ["1", "1"]
    assert by_category["Total"] == by_outcome["Total"] == ["1", "1"]


# ---------------------------------------------------------------- H-004: look-alikes

REQUIRED_TWINS = [
    ("dry_dressing_replacement", "complex_wound_dressing"),
    ("dry_dressing_replacement", "wound_assessment"),
    ("insulin_prefilled_pen", "medication_dose_adjustment"),
    ("blood_glucose_finger_prick", "medication_dose_adjustment"),
    ("peg_feed", "nasogastric_tube"),
    ("peg_medicines", "nasogastric_tube"),
    *[(bag, rn) for bag in ("catheter_bag_emptying", "catheter_bag_change", "catheter_specimen")
      for rn in ("urinary_catheter_insertion", "urinary_catheter_removal", "catheter_washout")],
    ("topical_cream_intact_skin", "complex_wound_dressing"),
    ("skin_integrity_check", "wound_assessment"),
    ("oral_medicines_from_packs", "medication_dose_adjustment"),
]


@pytest.mark.hazard("H-004")
@pytest.mark.parametrize(("task", "twin"), REQUIRED_TWINS)
def test_the_catalogue_names_the_rn_twin_and_how_to_tell(task: str, twin: str) -> None:
    found = [pair for pair in CATALOGUE.look_alikes_of(task) if twin in pair.twins]
    assert len(found) == 1, (task, twin)
    assert CATALOGUE.get(twin).typical_status == "RN"
    assert CATALOGUE.get(task).typical_status in ("D", "PC")
    assert len(found[0].how_to_tell.strip()) > 40


@pytest.mark.hazard("H-004")
def test_look_alikes_are_a_new_published_catalogue_version() -> None:
    assert CATALOGUE.version == "2026.2"
    assert CATALOGUE.look_alikes_of("eye_drops") == ()
    assert CATALOGUE.look_alikes_of("syringe_driver") == ()


def _raw() -> dict[str, Any]:
    data: dict[str, Any] = json.loads(default_catalogue_path().read_text(encoding="utf-8"))
    return data


@pytest.mark.hazard("H-004")
@pytest.mark.parametrize(("change", "words"), [
    ({"task": "levitation"}, "unknown task 'levitation'"),
    ({"twins": ["levitation"]}, "unknown task 'levitation'"),
    ({"twins": ["wound_assessment", "eye_drops"]}, "'eye_drops' is not registered-nurse only"),
    ({"task": "syringe_driver"}, "'syringe_driver' is registered-nurse only"),
    ({"twins": []}, "twins"),
    ({"twins": "wound_assessment"}, "twins"),
    ({"twins": ["wound_assessment", "wound_assessment"]}, "more than once"),
    ({"how_to_tell": " "}, "how_to_tell"),
    ({"how_to_tell": None}, "how_to_tell"),
])
def test_a_wrong_look_alike_is_refused(change: dict[str, Any], words: str) -> None:
    raw = _raw()
    raw["look_alikes"][0].update(change)
    with pytest.raises(CatalogueError, match="look_alikes") as info:
        parse_catalogue(raw)
    assert words in str(info.value)


@pytest.mark.hazard("H-004")
def test_look_alikes_must_be_a_list_and_a_pair_appears_once() -> None:
    raw = _raw()
    raw["look_alikes"] = {"task": "peg_feed"}
    with pytest.raises(CatalogueError, match="look_alikes"):
        parse_catalogue(raw)
    raw = _raw()
    raw["look_alikes"].append(copy.deepcopy(raw["look_alikes"][0]))
    with pytest.raises(CatalogueError, match="more than once"):
        parse_catalogue(raw)


def test_a_catalogue_without_look_alikes_still_loads(tmp_path: Path) -> None:
    raw = _raw()
    del raw["look_alikes"]
    assert parse_catalogue(raw).look_alikes == ()


@pytest.mark.hazard("H-004")
def test_the_wizard_is_offered_each_tasks_twins_by_name() -> None:
    options = {option.code: option for option in task_options(CATALOGUE)}
    assert tuple(options) == CATALOGUE.codes
    dressing = options["dry_dressing_replacement"]
    [warning] = dressing.look_alikes
    assert warning.twin_codes == ("complex_wound_dressing", "wound_assessment")
    assert warning.twin_names == (CATALOGUE.get("complex_wound_dressing").name,
                                  CATALOGUE.get("wound_assessment").name)
    assert warning.how_to_tell == CATALOGUE.look_alikes_of(dressing.code)[0].how_to_tell
    assert options["eye_drops"].look_alikes == ()
    assert options["syringe_driver"].look_alikes == ()
    assert options["insulin_prefilled_pen"].look_alikes[0].twin_codes == (
        "medication_dose_adjustment",)


@pytest.mark.hazard("H-004")
def test_the_wizard_context_carries_the_twins(vault: VaultSession, person_id: str) -> None:
    context = delegation.wizard_context(vault.uow, person_id, CATALOGUE)
    task = context.task("insulin_prefilled_pen")
    assert task is not None and task.look_alikes
    assert context.tasks == task_options(CATALOGUE)


def test_nothing_here_needs_a_task_row_for_an_empty_code(vault: VaultSession) -> None:
    # The vault's task_type copy has no row with an empty code (so names fall back to "").
    from desktop_app.models.task_type import TaskType
    with vault.uow.read() as session:
        assert session.scalars(select(TaskType).where(TaskType.code == NO_TASK_CODE)).all() == []


@pytest.mark.hazard("H-018")
def test_the_newest_flow_is_chosen_by_number_not_by_text(tmp_path: Path) -> None:
    """As text, 2026.10 sorts before 2026.2, and the older flow would decide."""
    for version in ("2026.1", "2026.2", "2026.10", "2025.12"):
        (tmp_path / f"delegation_flow_{version}.json").write_text("{}", encoding="utf-8")
    assert newest_flow_file(tmp_path).name == "delegation_flow_2026.10.json"


# ---------------------------------------------------------------- found while writing the log


@pytest.mark.hazard("H-026")
def test_a_social_care_practitioner_cannot_record_sign_offs_through_the_wizard(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """Recording sign-offs needs the competency permission, as in the register; a
    practitioner's decision used to store them. A decision without sign-offs is theirs."""
    from desktop_app.services.core.errors import PermissionDenied
    from tests.support import as_role
    practitioner = as_role(vault, "social_care_practitioner")
    answers = delegated(provider)
    case_id = delegation.save_draft(practitioner, person_id, None, answers, "S10", FLOW,
                                    CATALOGUE)
    with pytest.raises(PermissionDenied):
        delegation.decide(practitioner, case_id, answers, FLOW, CATALOGUE, "P", TODAY)
    assert nothing_recorded(vault)
    declined = delegated(provider, S6={"consent_given": False, "no_reason": "Not today"})
    assert delegation.decide(practitioner, case_id, declined, FLOW, CATALOGUE, "P",
                             TODAY).outcome == "PERSON_DECLINED"


@pytest.mark.hazard("H-022")
def test_oversight_without_the_numbers_to_call_is_refused(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """The service used to store a blank in-hours number (and '111' when none was given)."""
    answers = delegated(provider)
    answers["S8"]["oversight_phone_out_of_hours"] = " "
    with pytest.raises(ValidationError, match="phone number out of hours"):
        decide(vault, person_id, answers)
    answers["S8"]["oversight_phone_out_of_hours"] = "111"
    del answers["S8"]["oversight_phone_in_hours"]
    with pytest.raises(ValidationError, match="phone number in hours"):
        decide(vault, person_id, answers)
    assert nothing_recorded(vault)


@pytest.mark.hazard("H-011")
def test_a_plan_is_never_charged_to_a_guessed_council(vault: VaultSession, person_id: str,
                                                      provider: tuple[str, list[str]]) -> None:
    """A provider no longer on the laptop used to make Leicestershire County the funder."""
    from desktop_app.models.provider import CareProvider
    with vault.uow.begin() as s:
        s.get_one(CareProvider, provider[0]).deleted = True
    with pytest.raises(ValidationError, match="no longer on this laptop"):
        decide(vault, person_id, delegated(provider))


@pytest.mark.hazard("H-033")
def test_after_a_withdrawal_the_plan_belongs_to_a_delegation_still_on_it(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """Its consent, oversight and reviews are what the printed plan shows: never those of
    the delegation that ended; with nothing left, none at all."""
    from desktop_app.services.plans.document import load_plan_document
    kept = decide(vault, person_id, delegated(provider, EYE_DROPS))
    ended = decide(vault, person_id, delegated(provider, INSULIN))
    _withdraw(vault, ended.case_id, dt.date(2027, 1, 5))
    with vault.uow.read() as s:
        latest = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number.desc())
                           ).first()
        assert latest is not None and latest.delegation_case_id == kept.case_id
        plan_id = latest.id
    document = load_plan_document(vault.uow, plan_id, "A Nurse",
                                  dt.datetime(2027, 1, 6, 9, tzinfo=dt.UTC))
    assert [t.task_code for t in document.tasks] == [EYE_DROPS]
    _withdraw(vault, kept.case_id, dt.date(2027, 2, 1))
    with vault.uow.read() as s:
        last = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number.desc())
                         ).first()
        assert last is not None and last.delegation_case_id is None and last.tasks == []
        empty_id = last.id
    empty = load_plan_document(vault.uow, empty_id, "A Nurse",
                               dt.datetime(2027, 2, 2, 9, tzinfo=dt.UTC))
    assert empty.tasks == () and empty.consent is None and empty.oversight is None


@pytest.mark.hazard("H-033")
def test_a_plan_of_two_delegations_prints_each_ones_numbers_consent_and_reviews(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """Version 2 carries eye drops (GP practice) forward beside insulin (community nursing):
    the printout used to give only insulin's oversight, consent and reviews for both."""
    from desktop_app.services.pdf.support_plan import render_support_plan
    from desktop_app.services.plans.document import load_plan_document
    from tests.services.pdf.pdf_text import flat, page_texts
    decide(vault, person_id, delegated(provider, EYE_DROPS, S8={
        "oversight_organisation": "Example Surgery", "oversight_phone_in_hours": "0116 111 1111"}))
    insulin = decide(vault, person_id, delegated(provider, INSULIN, S8={
        "oversight_service": "community_health", "oversight_organisation": "City nursing",
        "oversight_phone_in_hours": "0116 222 2222"}, S10={"care_starts_on": "2026-12-10"}))
    with vault.uow.read() as s:
        plan_id = s.scalars(select(SupportPlan.id).where(
            SupportPlan.delegation_case_id == insulin.case_id)).one()
    document = load_plan_document(vault.uow, plan_id, "A Nurse",
                                  dt.datetime(2026, 12, 1, 9, tzinfo=dt.UTC))
    assert [p.oversight.phone_in_hours for p in document.parts if p.oversight] == [
        "0116 111 1111", "0116 222 2222"]
    text = flat(" ".join(page_texts(render_support_plan(document))))
    drops, pen = text.index("For: Putting in eye drops"), text.index("For: Giving fixed-dose")
    consent, oversight = text.index("3. Consent and capacity"), text.index("4. Clinical oversight")
    reviews = text.index("7. Review dates")
    assert consent < drops < pen < oversight  # each delegation's consent in its own part
    second_drops = text.index("For: Putting in eye drops", oversight)
    assert text.index("0116 111 1111", second_drops) < text.index("For: Giving", second_drops)
    assert "0116 222 2222" in text[text.index("For: Giving", second_drops):reviews]
    assert "28 February 2027" in text[reviews:] and "10 March 2027" in text[reviews:]
