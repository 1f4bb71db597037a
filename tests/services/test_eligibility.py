"""The Care Act eligibility suggestion (``services.eligibility``, framework §4).

The table of all 27 combinations (each condition yes, no or not answered) is written out by
hand, not derived from the rule, so it checks the code rather than repeating it.

How these tests were seen to fail (each mutation made in the module, the tests run, the
change undone): counting an outcome with an empty set of reasons fails
``test_an_outcome_with_no_reason_ticked_does_not_count``; needing 1 outcome instead of 2
fails the table and ``test_exactly_one_outcome_is_not_enough``; looking for missing answers
before failed ones fails 14 tests, among them the table and
``test_a_failed_condition_settles_it_even_with_answers_missing``; treating outcomes not yet
assessed as none fails ``test_a_blank_form_is_incomplete_not_ineligible``; taking any answer
to a yes/no question as "yes" fails the table; dropping a label fails the label tests;
listing outcomes in the order they were ticked fails
``test_outcomes_are_listed_in_the_framework_order``.
"""

from __future__ import annotations

import pytest

from desktop_app.services.framework.eligibility import (
    DISCLAIMER,
    EligibilityAnswers,
    EligibilityStatus,
    Outcome,
    UnableReason,
    suggest_eligibility,
)

ELIGIBLE = EligibilityStatus.LIKELY_ELIGIBLE
NOT_ELIGIBLE = EligibilityStatus.LIKELY_NOT_ELIGIBLE
INCOMPLETE = EligibilityStatus.INCOMPLETE
HELP = {UnableReason.NEEDS_ASSISTANCE}
TWO_OUTCOMES = {Outcome.NUTRITION: HELP, Outcome.TOILET_NEEDS: HELP}
ONE_OUTCOME = {Outcome.NUTRITION: HELP}


def suggest(
    impairment: bool | None, unable: dict[Outcome, set[UnableReason]] | None, impact: bool | None
) -> EligibilityStatus:
    answers = EligibilityAnswers(impairment, unable, impact)
    return suggest_eligibility(answers).status


# impairment, 2+ outcomes? (None: not assessed yet), significant impact → expected
TABLE = [
    (True, True, True, ELIGIBLE),
    (True, True, False, NOT_ELIGIBLE),
    (True, True, None, INCOMPLETE),
    (True, False, True, NOT_ELIGIBLE),
    (True, False, False, NOT_ELIGIBLE),
    (True, False, None, NOT_ELIGIBLE),
    (False, True, True, NOT_ELIGIBLE),
    (False, True, False, NOT_ELIGIBLE),
    (False, True, None, NOT_ELIGIBLE),
    (False, False, True, NOT_ELIGIBLE),
    (False, False, False, NOT_ELIGIBLE),
    (False, False, None, NOT_ELIGIBLE),
    (None, True, True, INCOMPLETE),
    (None, True, False, NOT_ELIGIBLE),
    (None, True, None, INCOMPLETE),
    (None, False, True, NOT_ELIGIBLE),
    (None, False, False, NOT_ELIGIBLE),
    (None, False, None, NOT_ELIGIBLE),
    (True, None, True, INCOMPLETE),
    (True, None, False, NOT_ELIGIBLE),
    (True, None, None, INCOMPLETE),
    (False, None, True, NOT_ELIGIBLE),
    (False, None, False, NOT_ELIGIBLE),
    (False, None, None, NOT_ELIGIBLE),
    (None, None, True, INCOMPLETE),
    (None, None, False, NOT_ELIGIBLE),
    (None, None, None, INCOMPLETE),
]
OUTCOME_ANSWERS = {True: TWO_OUTCOMES, False: ONE_OUTCOME, None: None}


@pytest.mark.parametrize(("impairment", "two_or_more", "impact", "expected"), TABLE)
def test_every_combination_of_the_three_conditions(
    impairment: bool | None,
    two_or_more: bool | None,
    impact: bool | None,
    expected: EligibilityStatus,
) -> None:
    assert suggest(impairment, OUTCOME_ANSWERS[two_or_more], impact) is expected


def test_the_table_covers_every_combination() -> None:
    assert len({row[:3] for row in TABLE}) == len(TABLE) == 3 * 3 * 3


def test_all_three_met_gives_the_reasons_for_each() -> None:
    result = suggest_eligibility(EligibilityAnswers(True, TWO_OUTCOMES, True))
    assert result.reasons == (
        "The needs arise from a physical or mental impairment or illness.",
        "Unable to achieve 2 of the 10 outcomes (2 or more are needed).",
        "There is, or is likely to be, a significant impact on wellbeing.",
    )
    assert result.outcomes_unable == (Outcome.NUTRITION, Outcome.TOILET_NEEDS)


def test_exactly_one_outcome_is_not_enough() -> None:
    result = suggest_eligibility(EligibilityAnswers(True, ONE_OUTCOME, True))
    assert result.status is NOT_ELIGIBLE
    assert result.reasons == ("Unable to achieve only 1 of the 10 outcomes; 2 or more are needed.",)
    assert result.outcomes_unable == (Outcome.NUTRITION,)


def test_no_outcomes_is_explained() -> None:
    result = suggest_eligibility(EligibilityAnswers(True, {}, True))
    assert result.status is NOT_ELIGIBLE
    assert result.reasons == (
        "Able to achieve all 10 outcomes; being unable to achieve 2 or more is needed.",
    )
    assert result.outcomes_unable == ()


def test_an_outcome_with_no_reason_ticked_does_not_count() -> None:
    unable = {Outcome.NUTRITION: HELP, Outcome.PERSONAL_HYGIENE: set[UnableReason]()}
    result = suggest_eligibility(EligibilityAnswers(True, unable, True))
    assert result.status is NOT_ELIGIBLE
    assert result.outcomes_unable == (Outcome.NUTRITION,)


@pytest.mark.parametrize("reason", list(UnableReason))
def test_any_one_of_the_four_ways_counts_as_unable(reason: UnableReason) -> None:
    unable = {Outcome.HABITABLE_HOME: {reason}, Outcome.CARING_FOR_A_CHILD: {reason}}
    assert suggest(True, unable, True) is ELIGIBLE


def test_outcomes_are_listed_in_the_framework_order() -> None:
    unable = {
        Outcome.CARING_FOR_A_CHILD: HELP, Outcome.NUTRITION: HELP, Outcome.RELATIONSHIPS: HELP,
    }
    result = suggest_eligibility(EligibilityAnswers(True, unable, True))
    assert result.outcomes_unable == (
        Outcome.NUTRITION, Outcome.RELATIONSHIPS, Outcome.CARING_FOR_A_CHILD,
    )


def test_a_failed_condition_settles_it_even_with_answers_missing() -> None:
    result = suggest_eligibility(EligibilityAnswers(False, {}, None))
    assert result.status is NOT_ELIGIBLE
    assert result.reasons == (
        "The needs do not arise from a physical or mental impairment or illness.",
        "Able to achieve all 10 outcomes; being unable to achieve 2 or more is needed.",
    )


def test_missing_answers_are_named_when_they_matter() -> None:
    result = suggest_eligibility(EligibilityAnswers(None, TWO_OUTCOMES, None))
    assert result.status is INCOMPLETE
    assert result.reasons == (
        "Not answered yet: whether the needs arise from a physical or mental impairment or "
        "illness.",
        "Not answered yet: whether there is, or is likely to be, a significant impact on "
        "wellbeing.",
    )


def test_no_wellbeing_impact_is_the_reason_given() -> None:
    result = suggest_eligibility(EligibilityAnswers(True, TWO_OUTCOMES, False))
    assert result.reasons == (
        "There is not, and is not likely to be, a significant impact on wellbeing.",
    )


def test_a_blank_form_is_incomplete_not_ineligible() -> None:
    result = suggest_eligibility(EligibilityAnswers())
    assert result.status is INCOMPLETE
    assert "Not answered yet: which of the 10 outcomes can be achieved." in result.reasons
    assert result.outcomes_unable == ()


def test_outcomes_not_assessed_leave_it_incomplete_only_when_they_matter() -> None:
    assert suggest(True, None, True) is INCOMPLETE
    assert suggest(True, None, False) is NOT_ELIGIBLE
    assert suggest(False, None, None) is NOT_ELIGIBLE


def test_there_are_ten_outcomes_and_four_ways_of_being_unable() -> None:
    assert len(Outcome) == 10
    assert len(UnableReason) == 4


@pytest.mark.parametrize("member", [*Outcome, *UnableReason])
def test_every_member_has_a_plain_english_label(member: Outcome | UnableReason) -> None:
    assert member.label.strip() and member.label[0].isupper()
    assert "_" not in member.label


def test_labels_are_distinct() -> None:
    assert len({o.label for o in Outcome}) == len(Outcome)
    assert len({r.label for r in UnableReason}) == len(UnableReason)


def test_labels_use_the_framework_wording() -> None:
    assert Outcome.HOME_SAFELY.label == "Being able to make use of the home safely"
    assert "public transport" in Outcome.LOCAL_FACILITIES_AND_SERVICES.label
    assert "significantly longer" in UnableReason.TAKES_SIGNIFICANTLY_LONGER.label


def test_disclaimer_says_the_assessor_decides() -> None:
    assert DISCLAIMER == "This is a suggestion; the assessor makes the decision."
