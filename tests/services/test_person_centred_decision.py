"""The framework's principles in a decision, on a real (cheap-key) vault: what matters to the
person (S6), efficient use of resources (S9) and partners' assessments reused (trusted
assessment), recorded with the decision and carried on every plan version after it; the
wizard's context offering what is on file."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person_centred import (
    AssessmentReuse,
    EligibilityScreen,
    PartnerAssessment,
    Signposting,
    WhatMatters,
    what_matters_id,
)
from desktop_app.models.plan import SupportPlan
from desktop_app.models.user import Role
from desktop_app.services import delegation, demo, people
from desktop_app.services.core.errors import PermissionDenied, ValidationError
from desktop_app.services.delegation import ending
from desktop_app.services.people import person_centred
from desktop_app.services.people.person_centred import write_what_matters
from desktop_app.services.vault import VaultSession
from tests.services.test_delegation import CATALOGUE, FLOW, TODAY, delegated_answers, start
from tests.support import as_role, person_values
from tools.sample_case import add_insured_provider

AWKWARD = "O'Brien & Sons <b>bold</b> for Zoë"
WHAT_MATTERS = {"person_words": f"  I want to stay at home. {AWKWARD}  ",
                "strengths": "Sings in the choir; knows her own routine",
                "self_care": "Washes and dresses herself",
                "took_part": [{"kind": "person", "name": ""},
                              {"kind": "family", "name": " Mary O'Brien "}]}
RESOURCES = {"at_considered": True, "at_kind": "Automated pill dispenser",
             "at_outcome": "not_suitable", "at_reason": f"she cannot open it ({AWKWARD})",
             "calls_reviewed": True, "calls_outcome": "fits_existing_call",
             "calls_note": "Done at the morning call"}
CHECKLIST = {"kind": "chc_checklist", "organisation": "O'Brien & Sons Healthcare <b>",
             "assessor": "Zoë Checklist", "assessed_on": "2026-08-31", "summary": "Negative"}


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(21))).id


@pytest.fixture
def provider(vault: VaultSession) -> tuple[str, list[str]]:
    return add_insured_provider(vault.uow)


def answers_with(provider: tuple[str, list[str]], **steps: dict[str, Any]) -> dict[str, Any]:
    """Answers delegating within the existing package, each step in ``steps`` laid over."""
    answers = delegated_answers(*provider)
    answers["S9"] = {"fits_existing_calls": True, **RESOURCES}
    for step, values in steps.items():
        answers[step] = {**answers.get(step, {}), **values}
    return answers


def decide(vault: VaultSession, person_id: str, answers: dict[str, Any],
           today: dt.date = TODAY) -> delegation.Decision:
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW, CATALOGUE)
    return delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", today)


def on_file(vault: VaultSession, person_id: str, kind: str = "clinical_risk",
            assessed_on: dt.date = dt.date(2026, 10, 1)) -> str:
    """A partner's assessment on the person's record."""
    with vault.uow.begin() as s:
        row = PartnerAssessment(person_id=person_id, kind=kind, organisation="LPT",
                                assessor="R Risk", assessed_on=assessed_on,
                                recorded_by_name="A Nurse")
        s.add(row)
        s.flush()
        return row.id


def count(vault: VaultSession, model: type) -> int:
    with vault.uow.read() as s:
        return int(s.scalar(select(func.count()).select_from(model)) or 0)


# ---------------------------------------------------------------- recorded as answered


def test_the_decision_keeps_what_matters_resources_and_the_reused_assessments(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    risk_id = on_file(vault, person_id)
    decision = decide(vault, person_id, answers_with(
        provider, S2={"reused_assessment": CHECKLIST}, S4={"reused_assessment": {"id": risk_id}},
        S6=WHAT_MATTERS))
    with vault.uow.read() as s:
        row = s.get_one(WhatMatters, what_matters_id(person_id))
        assert (row.own_words, row.strengths, row.self_care) == (
            f"I want to stay at home. {AWKWARD}", WHAT_MATTERS["strengths"],
            WHAT_MATTERS["self_care"])
        assert row.took_part == [{"kind": "person", "name": ""},
                                 {"kind": "family", "name": "Mary O'Brien"}]
        assert (row.recorded_on, row.recorded_by_name) == (TODAY, "A Nurse")
        plan = s.scalars(select(SupportPlan)).one()
        assert (plan.person_words, plan.strengths, plan.self_care, plan.took_part) == (
            row.own_words, row.strengths, row.self_care, row.took_part)
        case = s.get_one(DelegationCase, decision.case_id)
        assert (case.at_considered, case.at_kind, case.at_outcome, case.at_reason) == (
            True, "Automated pill dispenser", "not_suitable", RESOURCES["at_reason"])
        assert (case.calls_reviewed, case.calls_outcome, case.calls_note) == (
            True, "fits_existing_call", "Done at the morning call")
        typed = s.scalars(select(PartnerAssessment).where(
            PartnerAssessment.kind == "chc_checklist")).one()
        assert (typed.person_id, typed.organisation, typed.assessor, typed.assessed_on,
                typed.summary, typed.recorded_by_name) == (
            person_id, CHECKLIST["organisation"], "Zoë Checklist", dt.date(2026, 8, 31),
            "Negative", "A Nurse")
        reuses = {r.step: r for r in s.scalars(select(AssessmentReuse))}
        assert {step: (r.assessment_id, r.delegation_case_id, r.reused_on, r.age_days)
                for step, r in reuses.items()} == {
            "S2": (typed.id, decision.case_id, TODAY, 91),
            "S4": (risk_id, decision.case_id, TODAY, 60)}


def test_not_considered_keeps_why_not_and_no_device(vault: VaultSession, person_id: str,
                                                    provider: tuple[str, list[str]]) -> None:
    decision = decide(vault, person_id, answers_with(provider, S9={
        "at_considered": False, "at_kind": "left over from Yes", "at_outcome": "in_place",
        "at_reason": "A hands-on task: no device does it", "calls_reviewed": False,
        "calls_outcome": "fewer_calls", "calls_note": ""}))
    with vault.uow.read() as s:
        case = s.get_one(DelegationCase, decision.case_id)
        assert (case.at_considered, case.at_kind, case.at_outcome, case.at_reason) == (
            False, None, None, "A hands-on task: no device does it")
        assert (case.calls_reviewed, case.calls_outcome, case.calls_note) == (False, None, None)


def test_a_route_that_never_reaches_s9_needs_no_resources_but_keeps_what_matters(
        vault: VaultSession, person_id: str) -> None:
    answers = start()
    answers.update({"S3": {"needs_clinical_judgement": False},
                    "S4": delegated_answers("p", ["w"])["S4"],
                    "S5": {"incidental_or_ancillary": True},
                    "S6": {"consent_given": False, "no_reason": "Prefers the nurse",
                           **WHAT_MATTERS}})
    decision = decide(vault, person_id, answers)
    assert decision.outcome == "PERSON_DECLINED"
    with vault.uow.read() as s:
        case = s.get_one(DelegationCase, decision.case_id)
        assert case.at_considered is None and case.calls_reviewed is None
        assert s.get_one(WhatMatters, what_matters_id(person_id)).strengths == \
            WHAT_MATTERS["strengths"]


def test_s6_without_what_matters_leaves_the_record_and_the_plan_copies_it(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    with vault.uow.begin() as s:
        write_what_matters(s, person_id, {"own_words": "Said on the record", "strengths": None,
                                          "self_care": None,
                                          "took_part": [{"kind": "person", "name": ""}]},
                           "B Nurse", dt.date(2026, 10, 1))
    decide(vault, person_id, answers_with(provider))
    with vault.uow.read() as s:
        row = s.get_one(WhatMatters, what_matters_id(person_id))
        assert (row.own_words, row.recorded_by_name) == ("Said on the record", "B Nurse")
        assert s.scalars(select(SupportPlan)).one().person_words == "Said on the record"


def test_a_partner_assessment_typed_twice_is_one_on_the_record(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    decide(vault, person_id, answers_with(provider, S2={"reused_assessment": CHECKLIST}))
    again = {**CHECKLIST, "organisation": " o'brien & sons healthcare <B> "}
    decide(vault, person_id, answers_with(provider, S2={"reused_assessment": again}),
           TODAY + dt.timedelta(days=10))
    assert count(vault, PartnerAssessment) == 1
    with vault.uow.read() as s:
        assert sorted(r.age_days for r in s.scalars(select(AssessmentReuse))) == [91, 101]


# ---------------------------------------------------------------- refusals name the field


def refused(vault: VaultSession, person_id: str, answers: dict[str, Any]) -> ValidationError:
    """The decision refused, and nothing of it recorded (the draft still a draft)."""
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW, CATALOGUE)
    with pytest.raises(ValidationError) as refusal:
        delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    with vault.uow.read() as s:
        assert s.get_one(DelegationCase, case_id).status == "draft"
    assert count(vault, SupportPlan) == 0 and count(vault, WhatMatters) == 0
    assert count(vault, AssessmentReuse) == 0
    return refusal.value


S9_GAPS = [
    ("at_considered", {"at_considered": None}),
    ("at_considered", {"at_considered": "yes"}),
    ("at_kind", {"at_kind": "  "}),
    ("at_outcome", {"at_outcome": None}),
    ("at_outcome", {"at_outcome": "maybe"}),
    ("at_reason", {"at_reason": ""}),
    ("at_reason", {"at_considered": False, "at_reason": None}),
    ("calls_reviewed", {"calls_reviewed": None}),
    ("calls_outcome", {"calls_outcome": None}),
    ("at_reason", {"at_reason": "x" * 4001}),
]


@pytest.mark.parametrize(("key", "change"), S9_GAPS,
                         ids=[f"{k}-{i}" for i, (k, _c) in enumerate(S9_GAPS)])
def test_each_missing_s9_answer_is_refused_by_name(vault: VaultSession, person_id: str,
                                                   provider: tuple[str, list[str]], key: str,
                                                   change: dict[str, Any]) -> None:
    error = refused(vault, person_id, answers_with(provider, S9=change))
    assert error.field == f"S9.{key}"
    assert "go back to S9 (Does it fit the plan?)" in str(error)


def test_every_delegated_route_needs_the_s9_answers(vault: VaultSession, person_id: str,
                                                   provider: tuple[str, list[str]]) -> None:
    answers = answers_with(provider)
    answers["S9"] = {"fits_existing_calls": True}  # as the page wrote S9 before
    assert refused(vault, person_id, answers).field == "S9.at_considered"


S6_GAPS = [
    ("took_part", {"took_part": []}),
    ("took_part", {"took_part": None}),
    ("took_part", {"took_part": [{"kind": "neighbour", "name": "Al"}]}),
    ("took_part", {"took_part": "the person"}),
    ("took_part", {"took_part": [{"kind": "family", "name": "Mary"},
                                 {"kind": "family", "name": " mary "}]}),
    ("took_part", {"took_part": [{"kind": "carer", "name": "x" * 201}]}),
    ("person_words", {"person_words": "x" * 4001}),
    ("strengths", {"strengths": 7}),
]


@pytest.mark.parametrize(("key", "change"), S6_GAPS,
                         ids=[f"{k}-{i}" for i, (k, _c) in enumerate(S6_GAPS)])
def test_what_matters_is_refused_by_name(vault: VaultSession, person_id: str,
                                         provider: tuple[str, list[str]], key: str,
                                         change: dict[str, Any]) -> None:
    error = refused(vault, person_id, answers_with(provider, S6={**WHAT_MATTERS, **change}))
    assert error.field == f"S6.{key}"
    assert "S6" in str(error)


def test_words_without_who_took_part_say_so(vault: VaultSession, person_id: str,
                                            provider: tuple[str, list[str]]) -> None:
    error = refused(vault, person_id, answers_with(provider, S6={"strengths": "Cheerful"}))
    assert "Say who took part in the conversation" in str(error)


TYPED_GAPS = [
    ({"organisation": " "}, "say which organisation made the assessment"),
    ({"assessor": None}, "give the name of who made the assessment"),
    ({"assessed_on": ""}, "enter the date of the assessment"),
    ({"assessed_on": "31/08/2026"}, "is not a date"),
    ({"kind": "mental_capacity"}, "only a NHS Continuing Healthcare Checklist"),
]


@pytest.mark.parametrize(("change", "words"), TYPED_GAPS)
def test_a_typed_reused_assessment_needs_who_made_it_and_when(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]],
        change: dict[str, Any], words: str) -> None:
    error = refused(vault, person_id, answers_with(
        provider, S2={"reused_assessment": {**CHECKLIST, **change}}))
    assert error.field == "S2.reused_assessment" and words in str(error)


@pytest.mark.hazard("H-020")
@pytest.mark.hazard("H-044")
def test_a_reused_assessment_dated_after_the_decision_is_refused(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    typed = {**CHECKLIST, "assessed_on": (TODAY + dt.timedelta(days=1)).isoformat()}
    error = refused(vault, person_id, answers_with(provider, S2={"reused_assessment": typed}))
    assert error.field == "S2.reused_assessment" and "01/12/2026" in str(error)
    later = on_file(vault, person_id, assessed_on=TODAY + dt.timedelta(days=3))
    error = refused(vault, person_id, answers_with(provider, S4={"reused_assessment": {
        "id": later}}))
    assert error.field == "S4.reused_assessment" and "after the decision" in str(error)


@pytest.mark.hazard("H-015")
@pytest.mark.hazard("H-044")
def test_only_this_persons_assessment_of_the_steps_kind_is_reused(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    other = people.create_person(vault.uow, people.PersonInput(**person_values(22))).id
    theirs = on_file(vault, other)
    error = refused(vault, person_id, answers_with(provider, S4={"reused_assessment": {
        "id": theirs}}))
    assert error.field == "S4.reused_assessment" and "not on this person's record" in str(error)
    unknown = answers_with(provider, S4={"reused_assessment": {"id": "no-such-assessment"}})
    assert refused(vault, person_id, unknown).field == "S4.reused_assessment"
    capacity = on_file(vault, person_id, kind="mental_capacity")
    error = refused(vault, person_id, answers_with(provider, S4={"reused_assessment": {
        "id": capacity}}))
    assert "Mental capacity assessment" in str(error) and "Clinical risk" in str(error)
    with vault.uow.begin() as s:
        s.get_one(PartnerAssessment, capacity).deleted = True
    gone = answers_with(provider, S6={"reused_assessment": {"id": capacity}})
    assert refused(vault, person_id, gone).field == "S6.reused_assessment"


def test_a_reuse_left_on_a_step_off_the_route_is_not_recorded(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    answers = answers_with(provider, S2={"reused_assessment": CHECKLIST})
    answers["S2"]["chc_checklist_positive"] = True  # REFER_CHC: S3 onwards never reached
    answers["S4"]["reused_assessment"] = {"id": "never-checked"}
    assert decide(vault, person_id, answers).outcome == "REFER_CHC"
    with vault.uow.read() as s:
        assert [r.step for r in s.scalars(select(AssessmentReuse))] == ["S2"]


# ---------------------------------------------------------------- the wizard's context


def test_the_wizard_context_offers_what_is_on_file(vault: VaultSession, person_id: str,
                                                   provider: tuple[str, list[str]]) -> None:
    empty = delegation.wizard_context(vault.uow, person_id, CATALOGUE, today=TODAY)
    assert (empty.what_matters, empty.assessments, empty.eligibility, empty.today) == (
        None, (), None, TODAY)
    older = on_file(vault, person_id, assessed_on=dt.date(2025, 6, 1))
    decide(vault, person_id, answers_with(provider, S2={"reused_assessment": CHECKLIST},
                                          S6=WHAT_MATTERS))
    with vault.uow.begin() as s:
        s.add(EligibilityScreen(
            person_id=person_id, screened_on=dt.date(2026, 11, 2), needs_from_impairment=True,
            unable={"nutrition": ["needs_assistance"], "personal_hygiene": []},
            significant_impact=True, suggestion="likely_eligible", decision="eligible",
            decision_reason="Needs help with meals", decided_by_name="S Worker"))
    context = delegation.wizard_context(vault.uow, person_id, CATALOGUE,
                                        today=dt.date(2026, 12, 3))
    assert context.today == dt.date(2026, 12, 3)
    assert context.what_matters is not None
    assert (context.what_matters.own_words, context.what_matters.took_part[1]) == (
        f"I want to stay at home. {AWKWARD}", {"kind": "family", "name": "Mary O'Brien"})
    assert [(a.kind, a.assessed_on) for a in context.assessments] == [
        ("chc_checklist", dt.date(2026, 8, 31)), ("clinical_risk", dt.date(2025, 6, 1))]
    latest = context.latest_assessment("clinical_risk")
    assert latest is not None and latest.id == older
    assert context.eligibility is not None
    assert (context.eligibility.decision, context.eligibility.outcomes_unable) == (
        "eligible", ("nutrition",))


# ---------------------------------------------------------------- plan versions after it


def change_what_matters(vault: VaultSession, person_id: str, words: str) -> None:
    with vault.uow.begin() as s:
        write_what_matters(s, person_id, {"own_words": words, "strengths": "New strength",
                                          "self_care": None,
                                          "took_part": [{"kind": "carer", "name": "Jo"}]},
                           "B Nurse", TODAY)


def test_a_later_version_copies_what_matters_as_the_record_has_it_then(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    kept = decide(vault, person_id, answers_with(provider, S6=WHAT_MATTERS))
    change_what_matters(vault, person_id, "Changed since the decision")
    ending.end_for_change_of_need(vault.uow, kept.case_id, TODAY + dt.timedelta(days=3),
                                  "Now needs the nurse.", TODAY + dt.timedelta(days=3))
    with vault.uow.read() as s:
        first, second = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number))
        assert first.person_words == f"I want to stay at home. {AWKWARD}"  # never rewritten
        assert (second.person_words, second.strengths, second.self_care, second.took_part) == (
            "Changed since the decision", "New strength", None,
            [{"kind": "carer", "name": "Jo"}])


def test_without_a_record_a_later_version_keeps_the_latest_copy(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    decision = decide(vault, person_id, answers_with(provider, S6=WHAT_MATTERS))
    with vault.uow.begin() as s:  # a plan from before the record (as migration 0011 left it)
        s.get_one(WhatMatters, what_matters_id(person_id)).deleted = True
    ending.end_for_change_of_need(vault.uow, decision.case_id, TODAY, "Now needs the nurse.",
                                  TODAY)
    with vault.uow.read() as s:
        latest = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number.desc())
                           ).first()
        assert latest is not None and latest.version_number == 2
        assert (latest.person_words, latest.strengths) == (
            f"I want to stay at home. {AWKWARD}", WHAT_MATTERS["strengths"])


def test_a_plan_is_issued_for_what_matters_alone(vault: VaultSession, person_id: str,
                                                 provider: tuple[str, list[str]]) -> None:
    assert delegation.issue_plan_with_what_matters(vault.uow, person_id, "A Nurse",
                                                   TODAY) is None  # no plan yet
    decision = decide(vault, person_id, answers_with(provider, S6=WHAT_MATTERS))
    with pytest.raises(ValidationError, match="already shows what matters"):
        delegation.issue_plan_with_what_matters(vault.uow, person_id, "A Nurse", TODAY)
    change_what_matters(vault, person_id, "Changed on the person record")
    with pytest.raises(PermissionDenied):
        delegation.issue_plan_with_what_matters(as_role(vault, Role.READ_ONLY.value),
                                                person_id, "Governance", TODAY)
    later = TODAY + dt.timedelta(days=5)
    assert delegation.issue_plan_with_what_matters(vault.uow, person_id, "A Nurse",
                                                   later) == 2
    with vault.uow.read() as s:
        first, second = s.scalars(select(SupportPlan).order_by(SupportPlan.version_number))
        assert (second.person_words, second.effective_from, second.delegation_case_id) == (
            "Changed on the person record", later, decision.case_id)
        assert [t.delegation_case_id for t in second.tasks] == [decision.case_id]
        assert len(second.funding_splits) == len(first.funding_splits)
        assert "What matters to Edith was updated" in (second.summary or "")
    ending.end_for_change_of_need(vault.uow, decision.case_id, later, "Now needs the nurse.",
                                  later)
    change_what_matters(vault, person_id, "Changed after the ending")
    assert delegation.issue_plan_with_what_matters(vault.uow, person_id, "A Nurse",
                                                   later) is None  # nothing running


# ---------------------------------------------------------------- the demo caseload


def test_the_demo_delegations_carry_the_principles(vault: VaultSession) -> None:
    demo.seed_demo_caseload(vault.uow, people=6)
    assessments = demo.seed_demo_person_centred(vault.uow, count=6)
    demo.seed_demo_delegations(vault.uow, count=6, on_file=assessments)
    with vault.uow.read() as s:
        through_s9 = list(s.scalars(select(DelegationCase).where(
            DelegationCase.calls_reviewed.is_not(None))))
        assert {c.at_outcome for c in through_s9} >= {"in_place", "not_suitable", "declined"}
        assert any(c.at_considered is False and c.at_reason for c in through_s9)
        assert {r.step for r in s.scalars(select(AssessmentReuse))} == {"S1", "S2"}
    assert count(vault, WhatMatters) >= 5 and count(vault, Signposting) == 6
    assert count(vault, EligibilityScreen) == 2


# ---------------------------------------------------------------- what matters, kept


def _save_words(vault: VaultSession, person_id: str, words: str, by: str, version: int,
                strengths: str | None = None) -> int:
    saved = person_centred.save_what_matters(
        vault.uow, person_id, person_centred.WhatMattersInput(
            words, strengths, None, (("person", ""),)), by, version, TODAY)
    assert saved is not None
    return saved.version


@pytest.mark.hazard("H-017")
def test_a_decision_never_writes_older_words_over_newer_ones_on_the_record(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    """S6 started from the record's words (version v); a colleague then saved newer words
    on the record: recording the delegation is refused, naming S6, and the colleague's
    words stay; chosen knowingly on S6 (from the newer version), the nurse's words go in."""
    first = _save_words(vault, person_id, "A: stay at home", "Ann Example", 0)
    s6 = {"person_words": "A: stay at home", "took_part": [{"kind": "person", "name": ""}],
          "what_matters_from": first}
    newer = _save_words(vault, person_id, "B: see my garden", "Bea Colleague", first, "Sings")
    answers = answers_with(provider, S6=s6)
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW, CATALOGUE)
    with pytest.raises(ValidationError) as refusal:
        delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    assert refusal.value.field == "S6.person_words" and "Bea Colleague" in str(refusal.value)
    kept = person_centred.what_matters(vault.uow, person_id)
    assert kept is not None and (kept.own_words, kept.strengths) == ("B: see my garden", "Sings")
    chosen = answers_with(provider, S6={**s6, "what_matters_from": newer})
    delegation.decide(vault.uow, case_id, chosen, FLOW, CATALOGUE, "A Nurse", TODAY)
    now = person_centred.what_matters(vault.uow, person_id)
    assert now is not None and (now.own_words, now.strengths) == ("A: stay at home", "")


def test_words_unchanged_from_the_record_are_copied_on_the_plan_not_written_again(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    version = _save_words(vault, person_id, "I want to keep my garden", "Ann Example", 0)
    s6 = {"person_words": "I want to keep my garden",
          "took_part": [{"kind": "person", "name": ""}], "what_matters_from": version}
    decide(vault, person_id, answers_with(provider, S6=s6), TODAY + dt.timedelta(days=3))
    record = person_centred.what_matters(vault.uow, person_id)
    assert record is not None and (record.version, record.recorded_by) == (version, "Ann Example")
    with vault.uow.read() as s:
        plan = s.scalars(select(SupportPlan)).one()
        assert plan.person_words == "I want to keep my garden"


def test_a_typed_assessment_dated_before_the_person_was_born_is_refused_naming_the_step(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    error = refused(vault, person_id, answers_with(
        provider, S2={"reused_assessment": {**CHECKLIST, "assessed_on": "1901-03-04"}}))
    assert error.field == "S2.reused_assessment"
    assert "before the person was born" in str(error) and "go back to S2" in str(error)


def test_the_same_assessment_typed_with_another_summary_keeps_both_summaries(
        vault: VaultSession, person_id: str, provider: tuple[str, list[str]]) -> None:
    decide(vault, person_id, answers_with(provider, S2={"reused_assessment": CHECKLIST}))
    again = {**CHECKLIST, "summary": "Negative; reviewed at home with the daughter"}
    decide(vault, person_id, answers_with(provider, S2={"reused_assessment": again}),
           TODAY + dt.timedelta(days=1))
    with vault.uow.read() as s:
        summaries = sorted(str(a.summary) for a in s.scalars(select(PartnerAssessment)))
    assert summaries == sorted([str(CHECKLIST.get("summary")), again["summary"]])
