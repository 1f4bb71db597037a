"""The delegation decision flow (``services.flow``) against framework.md §2 and §3.

Every row of the §2 table is walked in both directions with the shipped flow data
(the newest, ``resources/flows/delegation_flow_2026.2.json``) and real task codes from the shipped
task catalogue; partial answers, changed answers, a replacement flow version written to
``tmp_path``, flow-file errors, answer type checks and a hypothesis property over random
answer dicts follow. The tests are pure: no database, no Qt.

How these tests were seen to fail (each mutation monkeypatched into ``services.flow`` by a
throwaway pytest plugin for one run; no file of the app was edited):

* ``"*"`` matching an unanswered value: the nothing-answered, next-page and earlier-gap
  tests fail (S1 then asks only for ``is_health_need``).
* the RN branch dropped from a copy of the shipped flow: all 33 nurse-only cases and the
  hypothesis property fail.
* ``requires`` ignored: every "waits for its reason / details" case fails.
* ``set`` ignored (no flags): the S5/S9F, proposed-outcome and delegated-outcome tests fail.
* ``step_after`` off by one at the end of the path; reasons prepended instead of appended;
  error branches returning neither error nor missing; facts not passed on; an unanswered
  condition skipping to the next branch; a result always naming 2026.1: each makes its
  own tests fail (``step_after``, reason order, council-share refusal and the property,
  almost everything, earlier-gap and next-page, the new-version test).
* a branch without a target, or ``requires`` references left unchecked, accepted by
  ``parse_flow``: the matching broken-flow case fails.
* ``check_answer_types`` without the bool check: the three bool cases fail.

Problems these tests found in the flow data (insurance at S7, S9F's missing list, unknown
references) were fixed; their tests now guard them.
"""

from __future__ import annotations

import copy
import datetime as dt
import json
import re
from collections.abc import Mapping
from pathlib import Path
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.models.delegation import OutcomeCode
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.paths import resources_dir
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import (
    CONTINUE,
    FieldSpec,
    Flow,
    FlowError,
    FlowResult,
    StepId,
    check_answer_types,
    evaluate,
    evaluate_review,
    load_flow,
    parse_flow,
)

FLOW_FILE = resources_dir() / "flows" / "delegation_flow_2026.2.json"
RAW_FLOW: dict[str, Any] = json.loads(FLOW_FILE.read_text(encoding="utf-8"))
FLOW = parse_flow(RAW_FLOW)
VERSION = "2026.2-reconstructed"
CATALOGUE = load_catalogue()

OC = OutcomeCode
Answers = dict[str, dict[str, Any]]

D_TASK = "insulin_prefilled_pen"
RN_CODES = tuple(t.code for t in CATALOGUE.tasks if t.typical_status == "RN")
D_CODES = tuple(t.code for t in CATALOGUE.tasks if t.typical_status == "D")

MAIN = ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10")
EXTRA_TIME = ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S9F", "S10")


def facts(code: str) -> dict[str, Any]:
    """The catalogue fact the flow's S3 reads, from the real catalogue."""
    return {"task.typical_status": CATALOGUE.get(code).typical_status}


# Every step answered on the way to a delegation inside the existing package.
DELEGATE: Answers = {
    "S1": {"task_code": D_TASK, "referred_by": "District nurse, Leicester City South INT",
           "is_health_need": True},
    "S2": {"chc_checklist_positive": False, "checklist_date": "2026-01-05"},
    "S3": {"needs_clinical_judgement": False},
    "S4": {"stable": True, "what_is_delegated": "Insulin by pre-filled pen, dose on the chart.",
           "what_is_not_delegated": "Changing the dose.", "frequency": "Daily at breakfast.",
           "do_thresholds": "Give the dose on the chart at breakfast.",
           "call_nurse_thresholds": "Call if the reading is under 4 or over 15."},
    "S5": {"incidental_or_ancillary": True},
    "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Edith",
           "how": "verbal", "explained": "What the care worker will do and when they call."},
    "S7": {"provider_accepts": True, "provider_id": "provider-1", "worker_ids": ["w-1", "w-2"],
           "insurance_confirmed": True},
    "S8": {"all_signed_off": True, "sign_offs": [{"worker": "w-1", "on": "2026-01-12"}],
           "oversight_service": "community_health", "oversight_organisation": "LPT"},
    "S9": {"fits_existing_calls": True},
    "S10": {"met_on": "2026-01-20", "attendees": ["nurse", "social worker", "Edith"],
            "consensus": True},
}

# The "no" direction of each step (the exit for S2 is its "yes"), with reasons and dates.
NO: Answers = {
    "S1": {"is_health_need": False, "social_care_need": False,
           "no_reason": "Prompting tablets from a pack: personal care."},
    "S2": {"chc_checklist_positive": True},
    "S3": {"needs_clinical_judgement": True, "no_reason": "The dose is chosen each time."},
    "S4": {"stable": False, "no_reason": "Readings swinging since the new regime.",
           "reconsider_on": "2026-04-01"},
    "S5": {"incidental_or_ancillary": False, "no_reason": "Not of a nature a council provides."},
    "S6": {"consent_given": False, "no_reason": "Edith wants the nurse to keep doing it."},
    "S7": {"provider_accepts": False, "no_reason": "No provider has trained staff nearby."},
    "S8": {"all_signed_off": False, "no_reason": "W-2 not yet assessed.",
           "reconsider_on": "2026-03-01"},
    "S9": {"fits_existing_calls": False},
}
S9F_ALL = {"method": "health_only_call", "inputs": {"minutes": 30}, "icb_share": "all"}
S9F_PART = {"method": "split_by_minutes", "inputs": {"health": 15, "council": 15},
            "icb_share": "part"}
S10_FUNDING = {"consensus": False, "disagreement_about": "funding",
               "question_for_discussion": "Who funds the third call?", "interim_funder": "icb",
               "dispute_reference": "MLCSU-2026-014"}
S10_DELEGATION = {"consensus": False, "disagreement_about": "delegation",
                  "question_for_discussion": "Is the task safe to delegate?",
                  "interim_funder": "icb", "interim_weekly_pence": 0,
                  "interim_from": "2026-11-30"}
S11_YES = {"still_stable": True, "competence_current": True, "no_serious_incident": True}


def answers(base: Mapping[str, Mapping[str, Any]] = DELEGATE, *, drop: tuple[str, ...] = (),
            **steps: Mapping[str, Any]) -> Answers:
    """A copy of ``base`` with steps' answers merged in and some steps or fields dropped."""
    result = {sid: dict(values) for sid, values in copy.deepcopy(dict(base)).items()}
    for sid, values in steps.items():
        result.setdefault(sid, {}).update(copy.deepcopy(dict(values)))
    for ref in drop:
        sid, _, name = ref.partition(".")
        if name:
            result[sid].pop(name)
        else:
            result.pop(sid)
    return result


def upto(last: str, **steps: Mapping[str, Any]) -> Answers:
    """DELEGATE's answers for the main steps up to and including ``last`` (then ``steps``)."""
    kept = {sid: DELEGATE[sid] for sid in MAIN[: MAIN.index(last) + 1]}
    return answers(kept, **steps)


def run(given: Answers, code: str = D_TASK) -> FlowResult:
    return evaluate(FLOW, given, facts(code))


def assert_decided(result: FlowResult, outcome: str, path: tuple[str, ...]) -> None:
    assert result.flow_version == VERSION
    assert (result.outcome, result.path) == (outcome, path), result
    assert result.decided
    assert (result.next_step, result.missing, result.error) == (None, (), None)


def assert_waiting(result: FlowResult, step: str, missing: tuple[str, ...],
                   path: tuple[str, ...]) -> None:
    assert result.flow_version == VERSION
    assert (result.next_step, result.missing, result.path) == (step, missing, path), result
    assert not result.decided and result.outcome is None and result.error is None


# ---------------------------------------------------------------- the shipped flow


def test_shipped_flow_is_the_reconstruction_and_says_so() -> None:
    assert FLOW.version == VERSION
    assert "reconstructed" in FLOW.provenance and "Appendix A" in FLOW.provenance
    assert (FLOW.start, FLOW.review_start) == ("S1", "S11")
    assert set(FLOW.steps) == {s.value for s in StepId}
    assert load_flow(FLOW_FILE) == FLOW


def test_catalogue_marks_the_tasks_the_framework_names_as_nurse_only() -> None:
    # Part A: IV drugs, some complex dressings, urinary catheter insertion/removal, syringe drivers.
    named = {"iv_drugs", "complex_wound_dressing", "urinary_catheter_insertion",
             "urinary_catheter_removal", "syringe_driver"}
    assert named <= set(RN_CODES)
    assert D_TASK in D_CODES


# ---------------------------------------------------------------- §2 rows: outcomes

# id, answers merged onto DELEGATE, outcome, path, words of the deciding reason (last),
# fields the deciding branch requires.
OUTCOME_ROWS: list[tuple[str, Answers, str, tuple[str, ...], str, tuple[str, ...]]] = [
    ("S1 no: social care only", {"S1": NO["S1"]}, OC.SOCIAL_CARE_ONLY, ("S1",),
     "social care need", ("S1.no_reason",)),
    ("S2 yes: refer for CHC", {"S2": NO["S2"]}, OC.REFER_CHC, ("S1", "S2"),
     "Continuing Healthcare", ()),
    ("S3 clinical judgement: not delegated", {"S3": NO["S3"]}, OC.NOT_DELEGATED, MAIN[:3],
     "clinical judgement", ("S3.no_reason",)),
    ("S4 no: not delegated, reconsider", {"S4": NO["S4"]}, OC.NOT_DELEGATED, MAIN[:4],
     "not stable", ("S4.no_reason", "S4.reconsider_on")),
    ("S6 no: person declined", {"S6": NO["S6"]}, OC.PERSON_DECLINED, MAIN[:6],
     "Consent was not given", ("S6.no_reason",)),
    ("S7 no: no provider", {"S7": NO["S7"]}, OC.NO_PROVIDER, MAIN[:7],
     "escalated to commissioning", ("S7.no_reason",)),
    ("S8 no: not delegated until trained", {"S8": NO["S8"]}, OC.NOT_DELEGATED, MAIN[:8],
     "Training and sign-off are not complete", ("S8.no_reason", "S8.reconsider_on")),
    ("S9 yes, S10 yes: existing package", {}, OC.DELEGATED_EXISTING_PACKAGE, MAIN,
     "The MDT agreed", ()),
    ("S9 no, S9F all, S10 yes: health funded", {"S9": NO["S9"], "S9F": S9F_ALL},
     OC.DELEGATED_HEALTH_FUNDED, EXTRA_TIME, "The MDT agreed", ()),
    ("S9 no, S9F part, S10 yes: joint funded", {"S9": NO["S9"], "S9F": S9F_PART},
     OC.DELEGATED_JOINT_FUNDED, EXTRA_TIME, "The MDT agreed", ()),
    ("S10 no about funding: interim without prejudice", {"S10": S10_FUNDING},
     OC.INTERIM_WITHOUT_PREJUDICE, MAIN, "without prejudice",
     ("S10.question_for_discussion", "S10.interim_funder", "S10.dispute_reference")),
    ("S10 no about delegation: shared care discussion", {"S10": S10_DELEGATION},
     OC.ESCALATED_SHARED_CARE, MAIN, "shared care discussion",
     ("S10.question_for_discussion", "S10.interim_funder", "S10.interim_weekly_pence",
      "S10.interim_from")),
]
ROW_IDS = [row[0] for row in OUTCOME_ROWS]


@pytest.mark.parametrize(("name", "steps", "outcome", "path", "words", "required"),
                         OUTCOME_ROWS, ids=ROW_IDS)
@pytest.mark.hazard("H-001")
def test_each_row_reaches_its_outcome(name: str, steps: Answers, outcome: str,
                                      path: tuple[str, ...], words: str,
                                      required: tuple[str, ...]) -> None:
    # Later steps stay answered "yes" in DELEGATE: an earlier outcome ends the route anyway.
    result = run(answers(**steps))
    assert_decided(result, outcome, path)
    assert words in result.reasons[-1]


@pytest.mark.parametrize(("name", "steps", "outcome", "path", "words", "required"),
                         [row for row in OUTCOME_ROWS if row[5]],
                         ids=[row[0] for row in OUTCOME_ROWS if row[5]])
@pytest.mark.hazard("H-001")
def test_an_outcome_waits_for_each_field_its_branch_requires(
        name: str, steps: Answers, outcome: str, path: tuple[str, ...], words: str,
        required: tuple[str, ...]) -> None:
    for ref in required:
        result = run(answers(answers(**steps), drop=(ref,)))
        assert_waiting(result, path[-1], (ref,), path)
        blank = ref.partition(".")
        result = run(answers(answers(**steps), **{blank[0]: {blank[2]: "   "}}))
        assert_waiting(result, path[-1], (ref,), path)  # blank text is not an answer
    result = run(answers(answers(**steps), drop=required))
    assert_waiting(result, path[-1], required, path)


def test_reasons_explain_the_whole_route_with_the_deciding_reason_last() -> None:
    existing = run(DELEGATE)
    assert len(existing.reasons) == 2
    assert "fits the calls already commissioned" in existing.reasons[0]
    assert existing.reasons[1] == "The MDT agreed."

    joint_then_dispute = run(answers(S9=NO["S9"], S9F=S9F_PART, S10=S10_FUNDING))
    assert_decided(joint_then_dispute, OC.INTERIM_WITHOUT_PREJUDICE, EXTRA_TIME)
    assert len(joint_then_dispute.reasons) == 2
    assert "funded jointly" in joint_then_dispute.reasons[0]
    assert "without prejudice" in joint_then_dispute.reasons[1]

    must_fund = run(answers(S5=NO["S5"], S9=NO["S9"], S9F=S9F_ALL))
    assert_decided(must_fund, OC.DELEGATED_HEALTH_FUNDED, EXTRA_TIME)
    assert [("cannot lawfully" in r, "funded by the NHS" in r, "MDT agreed" in r)
            for r in must_fund.reasons] == [(True, False, False), (False, True, False),
                                            (False, False, True)]


# ---------------------------------------------------------------- §2 rows: step to step

# id, the answers given (nothing after the step), the route, what the next page needs.
GOTO_ROWS: list[tuple[str, Answers, tuple[str, ...], tuple[str, ...]]] = [
    ("S1 yes -> S2", upto("S1"), MAIN[:2], ("S2.chc_checklist_positive",)),
    ("S2 no -> S3", upto("S2"), MAIN[:3], ("S3.needs_clinical_judgement",)),
    ("S3 no -> S4", upto("S3"), MAIN[:4], ("S4.stable",)),
    ("S4 yes -> S5", upto("S4"), MAIN[:5], ("S5.incidental_or_ancillary",)),
    ("S5 yes -> S6", upto("S5"), MAIN[:6], ("S6.consent_given",)),
    ("S5 no -> S6", upto("S5", S5=NO["S5"]), MAIN[:6], ("S6.consent_given",)),
    ("S6 yes -> S7", upto("S6"), MAIN[:7], ("S7.provider_accepts", "S7.insurance_confirmed")),
    ("S7 yes -> S8", upto("S7"), MAIN[:8], ("S8.all_signed_off",)),
    ("S8 yes -> S9", upto("S8"), MAIN[:9], ("S9.fits_existing_calls",)),
    ("S9 yes -> S10", upto("S9"), MAIN, ("S10.met_on", "S10.attendees", "S10.consensus")),
    ("S9 no -> S9F", upto("S9", S9=NO["S9"]), EXTRA_TIME[:10],
     ("S9F.method", "S9F.inputs", "S9F.icb_share")),
    ("S9F all -> S10", upto("S9", S9=NO["S9"], S9F=S9F_ALL), EXTRA_TIME,
     ("S10.met_on", "S10.attendees", "S10.consensus")),
    ("S9F part -> S10", upto("S9", S9=NO["S9"], S9F=S9F_PART), EXTRA_TIME,
     ("S10.met_on", "S10.attendees", "S10.consensus")),
]


@pytest.mark.parametrize(("given", "path", "missing"), [row[1:] for row in GOTO_ROWS],
                         ids=[row[0] for row in GOTO_ROWS])
def test_each_row_leads_to_the_next_page(given: Answers, path: tuple[str, ...],
                                         missing: tuple[str, ...]) -> None:
    result = run(given)
    assert_waiting(result, path[-1], missing, path)
    assert result.step_after(path[-2]) == path[-1]
    assert result.step_after(path[-1]) is None


# A "yes" that needs details before the route goes on: step, the fields.
YES_REQUIRES = [
    ("S4", ("S4.what_is_delegated", "S4.what_is_not_delegated", "S4.frequency",
            "S4.do_thresholds", "S4.call_nurse_thresholds")),
    ("S6", ("S6.given_by_kind", "S6.given_by_name", "S6.how", "S6.explained")),
    ("S7", ("S7.provider_id", "S7.worker_ids")),  # insurance: its own test
    ("S8", ("S8.sign_offs", "S8.oversight_service", "S8.oversight_organisation")),
]


@pytest.mark.hazard("H-039")
@pytest.mark.parametrize(("step", "required"), YES_REQUIRES, ids=[r[0] for r in YES_REQUIRES])
def test_a_yes_waits_for_its_details(step: str, required: tuple[str, ...]) -> None:
    path = MAIN[: MAIN.index(step) + 1]
    for ref in required:
        assert_waiting(run(answers(drop=(ref,))), step, (ref,), path)
    assert_waiting(run(answers(drop=required)), step, required, path)


def test_empty_lists_are_not_answers() -> None:
    assert_waiting(run(answers(S7={"worker_ids": []})), "S7", ("S7.worker_ids",), MAIN[:7])


def test_s9_yes_proposes_the_existing_package_and_s9f_proposes_the_funding() -> None:
    assert run(upto("S9")).flags == {"proposed_outcome": OC.DELEGATED_EXISTING_PACKAGE}
    health = run(upto("S9", S9=NO["S9"], S9F=S9F_ALL))
    assert health.flags == {"proposed_outcome": OC.DELEGATED_HEALTH_FUNDED}
    joint = run(upto("S9", S9=NO["S9"], S9F=S9F_PART))
    assert joint.flags == {"proposed_outcome": OC.DELEGATED_JOINT_FUNDED}
    assert run(upto("S8")).flags == {}


@pytest.mark.hazard("H-012")
def test_s10_asks_what_the_disagreement_is_about() -> None:
    result = run(answers(S10={"consensus": False}))
    assert_waiting(result, "S10", ("S10.disagreement_about",), MAIN)


# ---------------------------------------------------------------- S3: registered nurse only


@pytest.mark.parametrize("code", RN_CODES)
@pytest.mark.parametrize("s3", [{"needs_clinical_judgement": False},
                                {"needs_clinical_judgement": True}, None],
                         ids=["S3 no", "S3 yes without reason", "S3 unanswered"])
def test_a_nurse_only_task_is_never_delegated(code: str, s3: dict[str, Any] | None) -> None:
    # Every later step says "yes", even the MDT: the catalogue still decides at S3.
    given = answers(S1={"task_code": code}, S3=s3 or {}, drop=() if s3 else ("S3",))
    result = run(given, code)
    assert_decided(result, OC.NOT_DELEGATED, MAIN[:3])
    assert result.reasons == (
        "The task catalogue lists this task as registered-nurse only: Health keeps it.",)


@pytest.mark.hazard("H-002")
@pytest.mark.parametrize("code", ["iv_drugs", "syringe_driver"])
def test_s1_refuses_a_nurse_only_task_as_social_care_and_s2_can_end_it_first(
        code: str) -> None:
    """2026.1 let S1 "not a health need" record an RN task as social care only (issue 13,
    item 1); 2026.2 refuses it with the reason, and CHC still comes first."""
    given = answers(S1={"task_code": code})
    refused = run(answers(given, S1=NO["S1"]), code)
    assert refused.outcome is None and refused.next_step == "S1"
    assert refused.error is not None and "registered-nurse only" in refused.error
    assert run(answers(given, S2=NO["S2"]), code).outcome == OC.REFER_CHC
    assert_waiting(run(answers(given, drop=("S2",)), code), "S2",
                   ("S2.chc_checklist_positive",), MAIN[:2])


@pytest.mark.parametrize("code", D_CODES)
def test_a_delegable_task_passes_s3(code: str) -> None:
    result = run(answers(S1={"task_code": code}), code)
    assert_decided(result, OC.DELEGATED_EXISTING_PACKAGE, MAIN)


# ---------------------------------------------------------------- S5: the NHS must fund


def test_s5_no_sets_the_flag_and_carries_on_to_consent() -> None:
    result = run(upto("S5", S5=NO["S5"]))
    assert result.flags == {"health_must_fund": True}
    assert "cannot lawfully" in result.reasons[-1]
    assert run(upto("S5")).flags == {}


def test_health_must_fund_forces_s9f_even_when_the_task_fits_the_calls() -> None:
    must_fund = answers(S5=NO["S5"])  # S9 still says it fits the existing calls
    waiting = run(must_fund)
    assert waiting.next_step == "S9F" and waiting.path == EXTRA_TIME[:10]
    assert "S9F.icb_share" in waiting.missing
    assert "proposed_outcome" not in waiting.flags
    result = run(answers(must_fund, S9F=S9F_ALL))
    assert_decided(result, OC.DELEGATED_HEALTH_FUNDED, EXTRA_TIME)
    # Without the flag the same S9F answers are ignored: the task fits, S9F is not visited.
    assert_decided(run(answers(S9F=S9F_ALL)), OC.DELEGATED_EXISTING_PACKAGE, MAIN)


@pytest.mark.hazard("H-011")
@pytest.mark.parametrize("share", ["part", "none"])
def test_health_must_fund_refuses_a_council_share(share: str) -> None:
    given = answers(S5=NO["S5"], S9=NO["S9"], S9F=dict(S9F_PART, icb_share=share))
    result = run(given)
    assert result.flow_version == VERSION
    assert result.next_step == "S9F" and result.path == EXTRA_TIME[:10]
    assert result.error is not None and "NHS must fund all of it" in result.error
    assert result.outcome is None and result.missing == ()
    assert not result.decided


def test_s9f_without_the_flag_accepts_a_council_share() -> None:
    result = run(answers(S9=NO["S9"], S9F=dict(S9F_PART, icb_share="part")))
    assert result.error is None and result.outcome == OC.DELEGATED_JOINT_FUNDED


# ---------------------------------------------------------------- S11: review


def test_review_all_yes_continues() -> None:
    result = evaluate_review(FLOW, {"S11": S11_YES})
    assert (result.outcome, result.path, result.flow_version) == (CONTINUE, ("S11",), VERSION)
    assert "continues" in result.reasons[-1]


@pytest.mark.parametrize(("field", "words"), [("still_stable", "no longer stable"),
                                              ("competence_current", "Competence is not"),
                                              ("no_serious_incident", "serious incident")])
def test_review_any_no_withdraws_with_its_reason(field: str, words: str) -> None:
    given = {"S11": dict(S11_YES, **{field: False})}
    assert_waiting(evaluate_review(FLOW, given), "S11", ("S11.no_reason",), ("S11",))
    given["S11"]["no_reason"] = "Hypos twice this month."
    result = evaluate_review(FLOW, given)
    assert_decided(result, OC.WITHDRAWN, ("S11",))
    assert words in result.reasons[-1] and len(result.reasons) == 1


def test_review_waits_for_its_answers_and_ignores_the_main_flow() -> None:
    missing = ("S11.still_stable", "S11.competence_current", "S11.no_serious_incident")
    assert_waiting(evaluate_review(FLOW, DELEGATE), "S11", missing, ("S11",))
    assert run(answers(S11=S11_YES)).path == MAIN  # the main walk never enters S11


# ---------------------------------------------------------------- every outcome reachable


@pytest.mark.hazard("H-001")
def test_every_outcome_code_is_reached() -> None:
    reached = {run(answers(**steps)).outcome for _, steps, *_ in OUTCOME_ROWS}
    reached.add(run(answers(S1={"task_code": "iv_drugs"}), "iv_drugs").outcome)
    reached.add(evaluate_review(FLOW, {"S11": dict(S11_YES, still_stable=False,
                                                   no_reason="Worse")}).outcome)
    assert reached == set(OutcomeCode)


# ---------------------------------------------------------------- route bookkeeping


def test_step_after_follows_the_route() -> None:
    main = run(DELEGATE)
    for here, there in zip(MAIN, MAIN[1:], strict=False):
        assert main.step_after(here) == there
    assert main.step_after("S10") is None
    assert main.step_after("S9F") is None  # off this route
    extra = run(answers(S9=NO["S9"], S9F=S9F_ALL))
    assert (extra.step_after("S9"), extra.step_after("S9F")) == ("S9F", "S10")


def test_nothing_answered_waits_on_s1() -> None:
    result = evaluate(FLOW, {})
    assert_waiting(result, "S1", ("S1.task_code", "S1.referred_by", "S1.is_health_need"),
                   ("S1",))
    assert result.reasons == () and result.flags == {}


def test_a_later_answer_does_not_skip_an_earlier_gap() -> None:
    for gap, missing in [("S2", ("S2.chc_checklist_positive",)),
                         ("S3", ("S3.needs_clinical_judgement",)),
                         ("S6.consent_given", ("S6.consent_given",)),
                         ("S1.referred_by", ("S1.referred_by",))]:
        step = gap.partition(".")[0]
        result = run(answers(S9=NO["S9"], S9F=S9F_ALL, drop=(gap,)))
        assert_waiting(result, step, missing, MAIN[: MAIN.index(step) + 1])


def test_changing_an_earlier_answer_changes_the_route() -> None:
    everything = answers(S9F=S9F_ALL, S10=dict(S10_FUNDING, consensus=True))
    assert_decided(run(everything), OC.DELEGATED_EXISTING_PACKAGE, MAIN)
    assert_decided(run(answers(everything, S2={"chc_checklist_positive": True})),
                   OC.REFER_CHC, ("S1", "S2"))
    assert_decided(run(answers(everything, S1=NO["S1"])), OC.SOCIAL_CARE_ONLY, ("S1",))
    assert_decided(run(answers(everything, S4=NO["S4"])), OC.NOT_DELEGATED, MAIN[:4])
    assert_decided(run(answers(everything, S9=NO["S9"])), OC.DELEGATED_HEALTH_FUNDED, EXTRA_TIME)
    # S2 back from "yes" to "no": the answers after it count again.
    back = answers(answers(everything, S2={"chc_checklist_positive": True}),
                   S2={"chc_checklist_positive": False})
    assert_decided(run(back), OC.DELEGATED_EXISTING_PACKAGE, MAIN)


# ---------------------------------------------------------------- a new flow version

NEW_FLOW: dict[str, Any] = {
    "flow_version": "2027.1-test",
    "title": "A replacement flow: consent first, then a second opinion, then stability",
    "provenance": "Written by the tests.",
    "start": "IDENTIFY",
    "review_start": "LOOK_AGAIN",
    "steps": {
        "IDENTIFY": {
            "title": "Identify", "question": "A health need?",
            "fields": {"task_code": {"type": "text"}, "is_health_need": {"type": "bool"}},
            "branches": [
                {"when": {"IDENTIFY.task_code": "*", "IDENTIFY.is_health_need": True},
                 "goto": "CONSENT"},
                {"when": {"IDENTIFY.is_health_need": False}, "outcome": "SOCIAL_CARE_ONLY",
                 "reason": "Social care."},
            ],
        },
        "CONSENT": {
            "title": "Consent", "question": "Consented?",
            "fields": {"consent_given": {"type": "bool"}, "how": {
                "type": "choice", "label": "How", "choices": ["verbal", "written"]}},
            "branches": [
                {"when": {"CONSENT.consent_given": True}, "goto": "SECOND_OPINION",
                 "requires": ["CONSENT.how"]},
                {"when": {"CONSENT.consent_given": False}, "outcome": "PERSON_DECLINED",
                 "reason": "Declined."},
            ],
        },
        "SECOND_OPINION": {
            "title": "Second opinion", "question": "Does a second nurse agree?",
            "fields": {"agrees": {"type": "bool"}},
            "branches": [
                {"when": {"task.typical_status": "RN"}, "outcome": "NOT_DELEGATED",
                 "reason": "Nurse only."},
                {"when": {"SECOND_OPINION.agrees": True}, "goto": "STABLE",
                 "set": {"proposed_outcome": "DELEGATED_EXISTING_PACKAGE"},
                 "reason": "A second nurse agrees."},
                {"when": {"SECOND_OPINION.agrees": False}, "outcome": "NOT_DELEGATED",
                 "reason": "The second nurse does not agree."},
            ],
        },
        "STABLE": {
            "title": "Stable", "question": "Stable?",
            "fields": {"stable": {"type": "bool"}, "reconsider_on": {"type": "date"}},
            "branches": [
                {"when": {"STABLE.stable": True}, "outcome_from": "proposed_outcome",
                 "reason": "Stable."},
                {"when": {"STABLE.stable": False}, "outcome": "NOT_DELEGATED",
                 "requires": ["STABLE.reconsider_on"], "reason": "Not stable."},
            ],
        },
        "LOOK_AGAIN": {
            "title": "Review", "question": "Still fine?",
            "fields": {"fine": {"type": "bool"}},
            "branches": [
                {"when": {"LOOK_AGAIN.fine": True}, "outcome": "CONTINUE", "reason": "Fine."},
                {"when": {"LOOK_AGAIN.fine": False}, "outcome": "WITHDRAWN", "reason": "Not."},
            ],
        },
    },
}


@pytest.fixture
def new_flow(tmp_path: Path) -> Flow:
    path = tmp_path / "delegation_flow_2027.1.json"
    path.write_text(json.dumps(NEW_FLOW), encoding="utf-8")
    return load_flow(path)


@pytest.mark.hazard("H-018")
def test_a_new_flow_version_is_followed_without_code_changes(new_flow: Flow) -> None:
    d_facts = facts(D_TASK)
    first = evaluate(new_flow, {}, d_facts)
    assert (first.flow_version, first.next_step, first.path) == (
        "2027.1-test", "IDENTIFY", ("IDENTIFY",))
    assert first.missing == ("IDENTIFY.task_code", "IDENTIFY.is_health_need")

    given: Answers = {"IDENTIFY": {"task_code": D_TASK, "is_health_need": True}}
    consent = evaluate(new_flow, given, d_facts)
    assert consent.next_step == "CONSENT"  # consent is asked before stability here
    given["CONSENT"] = {"consent_given": True}
    assert evaluate(new_flow, given, d_facts).missing == ("CONSENT.how",)
    given["CONSENT"]["how"] = "written"
    assert evaluate(new_flow, given, d_facts).next_step == "SECOND_OPINION"
    given["SECOND_OPINION"] = {"agrees": True}
    given["STABLE"] = {"stable": True}
    done = evaluate(new_flow, given, d_facts)
    route = ("IDENTIFY", "CONSENT", "SECOND_OPINION", "STABLE")
    assert (done.flow_version, done.outcome, done.path) == (
        "2027.1-test", OC.DELEGATED_EXISTING_PACKAGE, route)
    assert done.reasons == ("A second nurse agrees.", "Stable.")
    assert [done.step_after(s) for s in route] == [*route[1:], None]

    declined = evaluate(new_flow, dict(given, CONSENT={"consent_given": False}), d_facts)
    assert (declined.outcome, declined.path) == (OC.PERSON_DECLINED, route[:2])
    nurse_only = evaluate(new_flow, given, facts("syringe_driver"))
    assert (nurse_only.outcome, nurse_only.path) == (OC.NOT_DELEGATED, route[:3])
    review = evaluate_review(new_flow, {"LOOK_AGAIN": {"fine": False}})
    assert (review.outcome, review.path, review.flow_version) == (
        OC.WITHDRAWN, ("LOOK_AGAIN",), "2027.1-test")
    with pytest.raises(ValidationError) as err:
        check_answer_types(new_flow, {"CONSENT": {"how": "shouted"}})
    assert err.value.field == "CONSENT.how"


def _broken(change: Any) -> dict[str, Any]:
    raw = copy.deepcopy(NEW_FLOW)
    change(raw)
    return raw


def _branch(raw: dict[str, Any], step: str, index: int = 0) -> dict[str, Any]:
    branch: dict[str, Any] = raw["steps"][step]["branches"][index]
    return branch


PARSE_ERRORS: list[tuple[str, Any, str]] = [
    ("unknown goto", lambda r: _branch(r, "CONSENT").update(goto="NOWHERE"),
     "CONSENT: goes to unknown step NOWHERE"),
    ("unknown field in when", lambda r: _branch(r, "IDENTIFY")["when"].update(
        {"IDENTIFY.colour": "*"}), "IDENTIFY: refers to unknown field IDENTIFY.colour"),
    ("unknown field in requires", lambda r: _branch(r, "STABLE", 1).update(
        requires=["STABLE.why"]), "STABLE: refers to unknown field STABLE.why"),
    ("unknown field of another step", lambda r: _branch(r, "STABLE")["when"].update(
        {"CONSENT.shape": True}), "STABLE: refers to unknown field CONSENT.shape"),
    ("unknown outcome code", lambda r: _branch(r, "IDENTIFY", 1).update(outcome="MAYBE"),
     "IDENTIFY: unknown outcome code MAYBE"),
    ("a branch with two targets", lambda r: _branch(r, "CONSENT").update(
        outcome="NO_PROVIDER"), "CONSENT: each branch needs exactly one of goto/outcome/error"),
    ("a branch with no target", lambda r: _branch(r, "CONSENT").pop("goto"),
     "CONSENT: each branch needs exactly one of goto/outcome/error"),
    ("a step with no branch", lambda r: r["steps"]["STABLE"].update(branches=[]),
     "STABLE: a step needs at least one branch"),
    ("a missing start", lambda r: r.pop("start"), "flow file lacks 'start'"),
    ("a start that is not a step", lambda r: r.update(start="BEGIN"),
     "start step BEGIN is missing"),
    ("no steps", lambda r: r.pop("steps"), "flow file lacks 'steps'"),
    ("an unknown field type", lambda r: r["steps"]["STABLE"]["fields"]["stable"].update(
        type="colour"), "STABLE.stable: unknown field type colour"),
]


@pytest.mark.parametrize(("change", "message"), [row[1:] for row in PARSE_ERRORS],
                         ids=[row[0] for row in PARSE_ERRORS])
@pytest.mark.hazard("H-001")
def test_a_broken_flow_file_is_refused_with_a_clear_message(change: Any, message: str) -> None:
    parse_flow(NEW_FLOW)  # the unbroken flow parses
    with pytest.raises(FlowError, match=f"^{re.escape(message)}$"):
        parse_flow(_broken(change))


@pytest.mark.hazard("H-001")
def test_a_looping_flow_is_refused_when_walked() -> None:
    raw = _broken(lambda r: _branch(r, "SECOND_OPINION", 1).update(goto="IDENTIFY"))
    loop = parse_flow(raw)
    given = {"IDENTIFY": {"task_code": "x", "is_health_need": True},
             "CONSENT": {"consent_given": True, "how": "verbal"},
             "SECOND_OPINION": {"agrees": True}}
    with pytest.raises(FlowError, match="loops"):
        evaluate(loop, given, facts(D_TASK))


@pytest.mark.hazard("H-001")
@pytest.mark.parametrize("ref", ["NOSTEP.x", "tsk.typical_status"])
def test_a_reference_to_an_unknown_step_is_refused(ref: str) -> None:
    with pytest.raises(FlowError, match="unknown"):
        parse_flow(_broken(lambda r: _branch(r, "STABLE")["when"].update({ref: True})))


# ---------------------------------------------------------------- answer types


def test_well_typed_answers_pass() -> None:
    check_answer_types(FLOW, answers(S9F=S9F_PART, S10=S10_FUNDING, S11=S11_YES))
    check_answer_types(FLOW, {"S6": {"how": None, "consent_given": None, "unknown": 3}})


@pytest.mark.parametrize(("step", "name", "value", "message"), [
    ("S6", "how", "telepathy", "How: choose one of the options."),
    ("S9F", "icb_share", "most", "NHS share: choose one of the options."),
    ("S10", "disagreement_about", "Funding", "Disagreement about: choose one of the options."),
    ("S1", "is_health_need", "yes", "This is a health need: answer yes or no."),
    ("S10", "consensus", 1, "The MDT agreed: answer yes or no."),
    ("S11", "still_stable", "false", "Still stable: answer yes or no."),
])
def test_a_badly_typed_answer_is_a_validation_error(step: str, name: str, value: Any,
                                                    message: str) -> None:
    with pytest.raises(ValidationError) as err:
        check_answer_types(FLOW, answers(**{step: {name: value}}))
    assert err.value.field == f"{step}.{name}"
    assert err.value.message == message


# ---------------------------------------------------------------- property

# Every goto of the shipped flow: a path may only move along these.
EDGES = {(sid, b.goto) for sid, step in FLOW.steps.items() for b in step.branches if b.goto}


def _value(spec: FieldSpec) -> st.SearchStrategy[Any]:
    strategies: dict[str, st.SearchStrategy[Any]] = {
        "bool": st.booleans(),
        "choice": st.sampled_from(spec.choices),
        "text": st.text(max_size=5),
        "date": st.dates(dt.date(2020, 1, 1), dt.date(2030, 12, 31)).map(dt.date.isoformat),
        "list": st.lists(st.text(min_size=1, max_size=4), min_size=1, max_size=3),
        "object": st.dictionaries(st.text(max_size=3), st.integers(0, 600),
                                  min_size=1, max_size=2),
        "pence": st.integers(0, 200_000),
    }
    return strategies[spec.type]


def _step_answers(sid: str) -> st.SearchStrategy[dict[str, Any]]:
    fields = FLOW.steps[sid].fields
    return st.fixed_dictionaries({}, optional={n: _value(s) for n, s in fields.items()})


RANDOM_ANSWERS = st.fixed_dictionaries({}, optional={sid: _step_answers(sid)
                                                     for sid in FLOW.steps if sid != "S11"})
# Random answers laid over nothing or over a full set of answers (so deep routes are common).
FULL = answers(S9F=S9F_PART, S10=dict(S10_FUNDING, consensus=True))
BASES = [{}, FULL, answers(FULL, S10=S10_FUNDING), answers(FULL, S5=NO["S5"], S9=NO["S9"])]
ANSWER_DICTS = st.tuples(st.sampled_from(BASES), RANDOM_ANSWERS).map(
    lambda pair: answers(pair[0], **pair[1]))


@pytest.mark.hazard("H-002")
@pytest.mark.hazard("H-001")
@settings(max_examples=100, deadline=None)
@given(ANSWER_DICTS, st.sampled_from(CATALOGUE.codes))
def test_any_well_typed_answers_give_an_outcome_or_a_step_to_finish(given: Answers,
                                                                    code: str) -> None:
    check_answer_types(FLOW, given)  # the strategy only draws well-typed answers
    result = evaluate(FLOW, given, facts(code))
    assert result.flow_version == VERSION
    assert result.path[0] == "S1" and len(set(result.path)) == len(result.path)
    assert all(pair in EDGES for pair in zip(result.path, result.path[1:], strict=False))
    if result.decided:
        assert result.outcome in set(OutcomeCode)
        assert (result.next_step, result.missing, result.error) == (None, (), None)
        assert result.reasons
    else:
        assert result.next_step == result.path[-1]
        assert bool(result.missing) != bool(result.error)
        for ref in result.missing:
            sid, _, name = ref.partition(".")
            assert sid == result.next_step and name in FLOW.steps[sid].fields
            value = given.get(sid, {}).get(name)
            assert value is None or (isinstance(value, str) and not value.strip())
    if CATALOGUE.get(code).typical_status == "RN":
        assert result.path in {("S1",), ("S1", "S2"), ("S1", "S2", "S3")}
        if len(result.path) == 3:
            assert result.outcome == OC.NOT_DELEGATED


@pytest.mark.hazard("H-001")
@settings(max_examples=60, deadline=None)
@given(_step_answers("S11"))
def test_any_review_answers_continue_withdraw_or_wait(s11: dict[str, Any]) -> None:
    result = evaluate_review(FLOW, {"S11": s11})
    assert result.path == ("S11",) and result.flow_version == VERSION
    if result.decided:
        assert result.outcome in {CONTINUE, OC.WITHDRAWN}
    else:
        assert result.missing and all(r.startswith("S11.") for r in result.missing)


# ---------------------------------------------------------------- found, not fixed


def test_insurance_not_confirmed_does_not_pass_s7() -> None:
    result = run(answers(S7={"insurance_confirmed": False}))
    assert result.path == MAIN[:7]  # stops at S7, whether it waits there or decides


def test_s9f_names_all_its_unanswered_fields_when_health_must_fund() -> None:
    result = run(answers(S5=NO["S5"]))
    assert set(result.missing) == {"S9F.method", "S9F.inputs", "S9F.icb_share"}


def test_s7_waits_for_insurance_before_anything_else() -> None:
    """Insurance decides which S7 branch applies, so it is asked for first."""
    assert_waiting(run(answers(drop=("S7.insurance_confirmed",))), "S7",
                   ("S7.insurance_confirmed",), MAIN[:7])


def test_uninsured_provider_means_no_provider() -> None:
    result = run(answers(S7={"insurance_confirmed": False, "no_reason": "Not covered"}))
    assert result.outcome == OC.NO_PROVIDER and "insurance" in result.reasons[-1]


@pytest.mark.hazard("H-003")
def test_a_personal_care_task_is_social_care_not_a_delegation() -> None:
    pc = next(t.code for t in load_catalogue().tasks if t.typical_status == "PC")
    result = evaluate(FLOW, answers(S1={"task_code": pc}), facts(pc))
    assert result.outcome == OC.SOCIAL_CARE_ONLY and result.path[-1] == "S3"


def test_the_council_funding_all_the_extra_time_is_within_the_package() -> None:
    result = run(upto("S9", S9=NO["S9"], S9F={**S9F_PART, "icb_share": "none"}))
    assert result.flags == {"proposed_outcome": OC.DELEGATED_EXISTING_PACKAGE}
