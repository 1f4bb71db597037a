"""Unsafe paths found when the wizard was tried with realistic cases (issue 13), each held
shut by a test on the real services and a real (cheap-key) vault.

Every test here failed on the code before its fix (see the commit that added it) and is
marked with the hazard of docs/clinical-safety/hazard-log.yaml whose control it verifies.
The shipped flow and catalogue are used throughout, so a new flow version that reopens a
path fails here.
"""

from __future__ import annotations

import copy
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.delegation import CaseStatus, DelegationCase
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.plan import FundingSplit, SupportPlan
from desktop_app.models.review import Review
from desktop_app.services import delegation, funding, people, registers
from desktop_app.services.catalogue import load_catalogue
from desktop_app.services.errors import NotFound, ValidationError
from desktop_app.services.flow import check_answer_types, load_flow, parse_flow
from desktop_app.services.vault import VaultSession
from tests.support import add_provider, person_values

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
    return add_provider(vault.uow)


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
               "sign_offs": [sign_off(w) for w in workers]},
        "S9": {"fits_existing_calls": True},
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

    from desktop_app.services.paths import resources_dir
    newest = sorted((resources_dir() / "flows").glob("delegation_flow_*.json"))[-1]
    return dict(json.loads(newest.read_text(encoding="utf-8")))


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
