"""A suggestion of Care Act 2014 eligibility for social care (framework §4).

The eligibility criteria (Care and Support (Eligibility Criteria) Regulations 2015, quoted in
Part A of the framework as "what is a social care need?"): the adult's needs arise from or
relate to a physical or mental impairment or illness; because of them the adult is unable to
achieve two or more of ten outcomes; and as a consequence there is, or is likely to be, a
significant impact on their wellbeing. All three must hold.

The software only suggests; the assessor makes the decision (``DISCLAIMER``). A question
left unanswered makes the suggestion ``incomplete`` only when its answer could change the
result: if any answered condition already fails, the suggestion is ``likely_not_eligible``.
Pure Python: no Qt, no database.
"""

from __future__ import annotations

import enum
from collections.abc import Mapping
from collections.abc import Set as AbstractSet
from dataclasses import dataclass

DISCLAIMER = "This is a suggestion; the assessor makes the decision."
OUTCOMES_NEEDED = 2


class Outcome(enum.StrEnum):
    """The ten outcomes of the eligibility regulations, in the order the framework lists them."""

    NUTRITION = "nutrition"
    PERSONAL_HYGIENE = "personal_hygiene"
    TOILET_NEEDS = "toilet_needs"
    APPROPRIATELY_CLOTHED = "appropriately_clothed"
    HOME_SAFELY = "home_safely"
    HABITABLE_HOME = "habitable_home"
    RELATIONSHIPS = "relationships"
    WORK_TRAINING_EDUCATION_VOLUNTEERING = "work_training_education_volunteering"
    LOCAL_FACILITIES_AND_SERVICES = "local_facilities_and_services"
    CARING_FOR_A_CHILD = "caring_for_a_child"

    @property
    def label(self) -> str:
        """The outcome in the framework's own words, for a form or a report."""
        return OUTCOME_LABELS[self]


class UnableReason(enum.StrEnum):
    """The four ways an adult counts as "unable" to achieve an outcome (regulation 2(3))."""

    NEEDS_ASSISTANCE = "needs_assistance"
    SIGNIFICANT_PAIN_DISTRESS_OR_ANXIETY = "significant_pain_distress_or_anxiety"
    ENDANGERS_HEALTH_OR_SAFETY = "endangers_health_or_safety"
    TAKES_SIGNIFICANTLY_LONGER = "takes_significantly_longer"

    @property
    def label(self) -> str:
        """The reason in plain English, for a form or a report."""
        return UNABLE_REASON_LABELS[self]


class EligibilityStatus(enum.StrEnum):
    """What the answers so far suggest."""

    LIKELY_ELIGIBLE = "likely_eligible"
    LIKELY_NOT_ELIGIBLE = "likely_not_eligible"
    INCOMPLETE = "incomplete"


OUTCOME_LABELS: dict[Outcome, str] = {
    Outcome.NUTRITION: "Managing and maintaining nutrition",
    Outcome.PERSONAL_HYGIENE: "Maintaining personal hygiene",
    Outcome.TOILET_NEEDS: "Managing toilet needs",
    Outcome.APPROPRIATELY_CLOTHED: "Being appropriately clothed",
    Outcome.HOME_SAFELY: "Being able to make use of the home safely",
    Outcome.HABITABLE_HOME: "Maintaining a habitable home environment",
    Outcome.RELATIONSHIPS: "Developing and maintaining family or other personal relationships",
    Outcome.WORK_TRAINING_EDUCATION_VOLUNTEERING: (
        "Accessing and engaging in work, training, education or volunteering"
    ),
    Outcome.LOCAL_FACILITIES_AND_SERVICES: (
        "Making use of necessary facilities or services in the local community, "
        "including public transport and recreational facilities or services"
    ),
    Outcome.CARING_FOR_A_CHILD: (
        "Carrying out any caring responsibilities the adult has for a child"
    ),
}

UNABLE_REASON_LABELS: dict[UnableReason, str] = {
    UnableReason.NEEDS_ASSISTANCE: "Cannot do it without help",
    UnableReason.SIGNIFICANT_PAIN_DISTRESS_OR_ANXIETY: (
        "Can do it without help, but only with significant pain, distress or anxiety"
    ),
    UnableReason.ENDANGERS_HEALTH_OR_SAFETY: (
        "Can do it without help, but only by putting their own or someone else's "
        "health or safety at risk"
    ),
    UnableReason.TAKES_SIGNIFICANTLY_LONGER: (
        "Can do it without help, but it takes significantly longer than would normally "
        "be expected"
    ),
}


@dataclass(frozen=True)
class EligibilityAnswers:
    """The assessor's answers so far; None means not answered yet.

    ``unable`` maps each outcome the adult cannot achieve to the ways they count as unable;
    an outcome with no reason ticked does not count. An empty mapping means the outcomes
    were assessed and all can be achieved; None means they have not been assessed yet, so
    a blank form is ``incomplete`` rather than ``likely_not_eligible``.
    """

    needs_from_impairment: bool | None = None
    unable: Mapping[Outcome, AbstractSet[UnableReason]] | None = None
    significant_wellbeing_impact: bool | None = None


@dataclass(frozen=True)
class EligibilitySuggestion:
    """The suggestion, the plain-English reasons for it, and the outcomes counted."""

    status: EligibilityStatus
    reasons: tuple[str, ...]
    outcomes_unable: tuple[Outcome, ...]


@dataclass(frozen=True)
class _Condition:
    """One of the three criteria: met (True), failed (False) or unanswered (None)."""

    met: bool | None
    reason: str


def suggest_eligibility(answers: EligibilityAnswers) -> EligibilitySuggestion:
    """Suggest eligibility; the reasons name each failed, missing or (if eligible) met test."""
    unable = answers.unable
    outcomes_unable = tuple(o for o in Outcome if unable is not None and unable.get(o))
    conditions = (
        _impairment(answers.needs_from_impairment),
        _outcomes(None if unable is None else len(outcomes_unable)),
        _wellbeing(answers.significant_wellbeing_impact),
    )
    status, chosen = _decide(conditions)
    return EligibilitySuggestion(status, tuple(c.reason for c in chosen), outcomes_unable)


def _decide(
    conditions: tuple[_Condition, ...],
) -> tuple[EligibilityStatus, tuple[_Condition, ...]]:
    """A failed condition settles it; otherwise a missing one leaves it incomplete."""
    failed = tuple(c for c in conditions if c.met is False)
    if failed:
        return EligibilityStatus.LIKELY_NOT_ELIGIBLE, failed
    missing = tuple(c for c in conditions if c.met is None)
    if missing:
        return EligibilityStatus.INCOMPLETE, missing
    return EligibilityStatus.LIKELY_ELIGIBLE, conditions


def _impairment(answer: bool | None) -> _Condition:
    subject = "the needs arise from a physical or mental impairment or illness"
    if answer is None:
        return _Condition(None, f"Not answered yet: whether {subject}.")
    if answer:
        return _Condition(True, "The needs arise from a physical or mental impairment or illness.")
    return _Condition(
        False, "The needs do not arise from a physical or mental impairment or illness."
    )


def _outcomes(count: int | None) -> _Condition:
    total = len(Outcome)
    if count is None:
        return _Condition(None, f"Not answered yet: which of the {total} outcomes can be achieved.")
    if count >= OUTCOMES_NEEDED:
        return _Condition(
            True,
            f"Unable to achieve {count} of the {total} outcomes ({OUTCOMES_NEEDED} or more "
            "are needed).",
        )
    if count == 0:
        return _Condition(
            False,
            f"Able to achieve all {total} outcomes; being unable to achieve "
            f"{OUTCOMES_NEEDED} or more is needed.",
        )
    return _Condition(
        False,
        f"Unable to achieve only {count} of the {total} outcomes; {OUTCOMES_NEEDED} or more "
        "are needed.",
    )


def _wellbeing(answer: bool | None) -> _Condition:
    if answer is None:
        return _Condition(
            None,
            "Not answered yet: whether there is, or is likely to be, a significant impact "
            "on wellbeing.",
        )
    if answer:
        return _Condition(True, "There is, or is likely to be, a significant impact on wellbeing.")
    return _Condition(
        False, "There is not, and is not likely to be, a significant impact on wellbeing."
    )
