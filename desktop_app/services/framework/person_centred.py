"""The framework's principles in words and lists (Part A section 3; section 5.0).

Pure: the words each recorded choice is shown and printed with, the lists the forms offer
(who took part, assistive technology, call frequency, the partners, assessment kinds, the
steps and rules a problem report can be about), which wizard step offers which kind of
partner assessment for reuse, how old an assessment is in words, and the signposting
services shipped in ``resources/signposting_services.json``. No session, no query.
"""

from __future__ import annotations

import datetime as dt
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from desktop_app.models.person_centred import (
    AssessmentKind,
    AtOutcome,
    CallsOutcome,
    EligibilityDecision,
    EligibilitySuggestionCode,
    Participant,
    ProblemStatus,
    SignpostAction,
    SignpostFor,
    SignpostOccasion,
)
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.paths import resources_dir

PARTICIPANT_LABELS: dict[str, str] = {
    Participant.PERSON: "The person",
    Participant.FAMILY: "Family",
    Participant.CARER: "Carer",
    Participant.ADVOCATE: "Advocate",
    Participant.ATTORNEY: "Attorney or deputy",
    Participant.OTHER: "Someone else",
}

# Examples the wizard offers for "which assistive technology" (the nurse may type another).
AT_EXAMPLES: tuple[str, ...] = (
    "Automated pill dispenser",
    "Insulin pen with dose memory",
    "Telecare (pendant alarm, sensors)",
    "Medication reminder (app, talking clock)",
    "Blood glucose meter with memory",
    "Eye drop applicator",
    "Video call prompt",
)
AT_OUTCOME_LABELS: dict[str, str] = {
    AtOutcome.IN_PLACE: "In place",
    AtOutcome.TO_TRY: "To be tried",
    AtOutcome.NOT_SUITABLE: "Not suitable",
    AtOutcome.DECLINED: "The person did not want it",
}
CALLS_OUTCOME_LABELS: dict[str, str] = {
    CallsOutcome.FITS_EXISTING_CALL: "The task fits an existing call",
    CallsOutcome.CALL_TIMES_CHANGED: "Call times changed so the task fits",
    CallsOutcome.EXTRA_CALL_NEEDED: "An extra call is needed",
    CallsOutcome.FEWER_CALLS: "Fewer calls are needed",
}

OCCASION_LABELS: dict[str, str] = {
    SignpostOccasion.VISIT: "Visit",
    SignpostOccasion.REVIEW: "Review",
    SignpostOccasion.PHONE_CALL: "Phone call",
    SignpostOccasion.DELEGATION: "Delegation conversation",
}
FOR_WHOM_LABELS: dict[str, str] = {
    SignpostFor.PERSON: "The person",
    SignpostFor.CARER: "Their carer",
}
ACTION_LABELS: dict[str, str] = {
    SignpostAction.SIGNPOSTED: "Signposted",
    SignpostAction.REFERRED: "Referred",
}

ASSESSMENT_KIND_LABELS: dict[str, str] = {
    AssessmentKind.CARE_ACT_NEEDS: "Care Act needs assessment",
    AssessmentKind.CHC_CHECKLIST: "NHS Continuing Healthcare Checklist",
    AssessmentKind.MENTAL_CAPACITY: "Mental capacity assessment",
    AssessmentKind.CLINICAL_RISK: "Clinical risk assessment",
    AssessmentKind.MOVING_AND_HANDLING: "Moving and handling assessment",
    AssessmentKind.OTHER: "Other assessment",
}
# The wizard step that asks the question each kind of assessment answers: the step offers
# the latest one on file of that kind for reuse.
ASSESSMENT_STEPS: dict[str, str] = {
    "S1": AssessmentKind.CARE_ACT_NEEDS,
    "S2": AssessmentKind.CHC_CHECKLIST,
    "S4": AssessmentKind.CLINICAL_RISK,
    "S6": AssessmentKind.MENTAL_CAPACITY,
}
# An assessment older than this is offered with a warning to check it still holds.
STALE_AFTER_DAYS = 365
# The LLR partners whose assessments are trusted (framework Part A, partner organisations);
# the form lets the nurse type another.
PARTNER_ORGANISATIONS: tuple[str, ...] = (
    "Leicester City Council",
    "Leicestershire County Council",
    "Rutland County Council",
    "Leicestershire Partnership NHS Trust",
    "University Hospitals of Leicester NHS Trust",
    "LLR Integrated Care Board",
    "GP practice",
    "Care provider",
)

ELIGIBILITY_DECISION_LABELS: dict[str, str] = {
    EligibilityDecision.ELIGIBLE: "Eligible for care and support",
    EligibilityDecision.NOT_ELIGIBLE: "Not eligible",
}
SUGGESTION_LABELS: dict[str, str] = {
    EligibilitySuggestionCode.LIKELY_ELIGIBLE: "Likely eligible",
    EligibilitySuggestionCode.LIKELY_NOT_ELIGIBLE: "Likely not eligible",
    EligibilitySuggestionCode.INCOMPLETE: "Not all answered",
}

PROBLEM_STATUS_LABELS: dict[str, str] = {
    ProblemStatus.RECEIVED: "Received",
    ProblemStatus.DISCUSSED: "Discussed by the IPCB",
    ProblemStatus.RULING_ISSUED: "Ruling issued",
}
# What a problem report can be about, besides a flow step (S1 ... S11): the rules around it.
PROBLEM_AREAS: dict[str, str] = {
    "tasks": "The task catalogue (what can be delegated)",
    "eligibility": "Care Act eligibility",
    "consent": "Consent and capacity",
    "training": "Training and competence",
    "oversight": "Clinical oversight",
    "funding": "Funding and its split",
    "reviews": "Reviews",
    "disputes": "Shared care discussions and disputes",
    "other": "Something else",
}


def participant_words(took_part: list[dict[str, str]] | tuple[dict[str, str], ...]) -> str:
    """Who took part, in words ("The person; Family (Mary, daughter); Advocate")."""
    parts = []
    for entry in took_part:
        label = PARTICIPANT_LABELS.get(str(entry.get("kind")), str(entry.get("kind") or ""))
        name = str(entry.get("name") or "").strip()
        parts.append(f"{label} ({name})" if name else label)
    return "; ".join(parts)


def age_in_words(assessed_on: dt.date, today: dt.date) -> str:
    """How old an assessment is, as a nurse says it ("made today", "3 weeks old",
    "4 months old", "over a year old (1 year 2 months)")."""
    days = (today - assessed_on).days
    if days < 0:
        return "dated in the future"
    if days == 0:
        return "made today"
    if days < 14:
        return f"{days} day{'s' if days != 1 else ''} old"
    months = (today.year - assessed_on.year) * 12 + today.month - assessed_on.month
    if today.day < assessed_on.day:
        months -= 1
    if months < 2:
        weeks = days // 7
        return f"{weeks} weeks old"
    if months < 12:
        return f"{months} months old"
    years, rest = divmod(months, 12)
    whole = f"{years} year{'s' if years != 1 else ''}"
    return f"over a year old ({whole}{f' {rest} month' if rest else ''}" \
           f"{'s' if rest > 1 else ''})"


def is_stale(assessed_on: dt.date, today: dt.date) -> bool:
    """Whether an assessment is old enough that it must be checked before reuse."""
    return (today - assessed_on).days > STALE_AFTER_DAYS


@dataclass(frozen=True)
class ShippedService:
    """A service or support group from the list shipped with the app."""

    name: str
    for_whom: str  # "person", "carer" or "both"


@cache
def shipped_services(path: Path | None = None) -> tuple[ShippedService, ...]:
    """The signposting services shipped in ``resources/`` (in the file's order)."""
    source = path or resources_dir() / "signposting_services.json"
    try:
        raw = json.loads(source.read_text(encoding="utf-8"))
        return tuple(ShippedService(str(s["name"]), str(s.get("for", "both")))
                     for s in raw["services"])
    except (OSError, ValueError, KeyError, TypeError) as err:
        raise ValidationError(f"The list of signposting services ({source.name}) cannot be "
                              f"read: {type(err).__name__}. Reinstall the app.") from None
