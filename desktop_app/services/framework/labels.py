"""Plain words for the stored codes a printed plan or shared care form shows.

The vault stores codes (``lpa``, ``three_month``, ``fixed_percentage``); a team lead reads
words. An unknown code (a newer version synced from elsewhere) is shown as it is.
"""

from __future__ import annotations

from desktop_app.models.competency import AssessmentOutcome, BackfillPayer, SignOffStatus
from desktop_app.models.consent import (
    CapacityOutcome,
    ConsentGivenBy,
    ConsentMethod,
    ConsentStatus,
)
from desktop_app.models.delegation import CaseStatus
from desktop_app.models.history import CaseEventKind
from desktop_app.models.oversight import OversightService
from desktop_app.models.person import ContactKind
from desktop_app.models.plan import ApportionmentMethod
from desktop_app.models.review import ReviewKind, ReviewOutcome

CONTACT_KINDS: dict[str, str] = {
    ContactKind.NEXT_OF_KIN: "Next of kin",
    ContactKind.LPA_HEALTH_WELFARE: "Health and welfare attorney (LPA)",
    ContactKind.LPA_PROPERTY_FINANCE: "Property and finance attorney (LPA)",
    ContactKind.DEPUTY: "Deputy (Court of Protection)",
    ContactKind.OTHER: "Other contact",
}
CONSENT_STATUSES: dict[str, str] = {
    ConsentStatus.GIVEN: "Consent given",
    ConsentStatus.REFUSED: "Consent refused",
    ConsentStatus.WITHDRAWN: "Consent withdrawn",
}
CONSENT_GIVEN_BY: dict[str, str] = {
    ConsentGivenBy.PERSON: "The person",
    ConsentGivenBy.LPA: "Health and welfare attorney (LPA)",
    ConsentGivenBy.DEPUTY: "Deputy (Court of Protection)",
    ConsentGivenBy.BEST_INTERESTS: "Best-interests decision",
}
# The words the wizard's S6 offers for "How", so the plan prints what was chosen.
CONSENT_METHODS: dict[str, str] = {
    ConsentMethod.VERBAL: "Spoken",
    ConsentMethod.WRITTEN: "In writing",
    ConsentMethod.OTHER: "Another way (signs, a communication aid)",
}
CAPACITY_OUTCOMES: dict[str, str] = {
    CapacityOutcome.HAS_CAPACITY: "Has capacity for this decision",
    CapacityOutcome.LACKS_CAPACITY: "Lacks capacity for this decision",
}
OVERSIGHT_SERVICES: dict[str, str] = {
    OversightService.COMMUNITY_HEALTH: "Community Health Services",
    OversightService.GP_PRACTICE: "GP practice",
}
METHODS: dict[str, str] = {
    ApportionmentMethod.HEALTH_ONLY_CALL: "A call just for the health task",
    ApportionmentMethod.EXTRA_MINUTES: "Extra minutes on existing calls",
    ApportionmentMethod.SPLIT_BY_MINUTES: "Split by minutes",
    ApportionmentMethod.EQUAL_SPLIT: "Equal split",
    ApportionmentMethod.FIXED_PERCENTAGE: "Fixed percentage",
    ApportionmentMethod.EXISTING_PACKAGE: "Within the existing package",
}
REVIEW_KINDS: dict[str, str] = {
    ReviewKind.THREE_MONTH: "3-month review",
    ReviewKind.ANNUAL: "Annual review",
    ReviewKind.CHANGE_OF_NEED: "Change-of-need review",
}
REVIEW_OUTCOMES: dict[str, str] = {
    ReviewOutcome.CONTINUE: "Continue",
    ReviewOutcome.CHANGE_OF_NEED: "Change of need",
    ReviewOutcome.WITHDRAW: "Withdrawn: task back to Health",
}
CASE_STATUSES: dict[str, str] = {
    CaseStatus.DRAFT: "Draft",
    CaseStatus.IN_PROGRESS: "In progress",
    CaseStatus.DECIDED: "Decided",
    CaseStatus.ACTIVE: "Active",
    CaseStatus.SUSPENDED: "Suspended",
    CaseStatus.WITHDRAWN: "Withdrawn",
    CaseStatus.CLOSED: "Closed",
}
SIGN_OFF_STATUSES: dict[str, str] = {
    SignOffStatus.CURRENT: "Current",
    SignOffStatus.SUSPENDED: "Sign-off suspended",
    SignOffStatus.WITHDRAWN: "Sign-off withdrawn",
    SignOffStatus.SUPERSEDED: "Sign-off superseded by a refresher or reassessment",
}
ASSESSMENT_OUTCOMES: dict[str, str] = {
    AssessmentOutcome.COMPETENT: "Competent",
    AssessmentOutcome.NOT_YET: "Not yet competent",
}
BACKFILL_PAYERS: dict[str, str] = {
    BackfillPayer.ICB: "LLR ICB",
    BackfillPayer.COUNCIL: "The council",
    BackfillPayer.PROVIDER: "The care provider",
}
EVENT_TITLES: dict[CaseEventKind, str] = {
    CaseEventKind.DECIDED: "Decided",
    CaseEventKind.REVIEWED: "Reviewed",
    CaseEventKind.WITHDRAWN_AT_REVIEW: "Withdrawn at review",
    CaseEventKind.CONSENT_WITHDRAWN: "Consent withdrawn: delegation ended",
    CaseEventKind.NEED_CHANGED: "Need changed: delegation ended",
    CaseEventKind.REPLACED: "Ended: the task was delegated again",
    CaseEventKind.OVERSIGHT_TRANSFERRED: "Clinical oversight transferred",
    CaseEventKind.OVERSIGHT_ACCEPTED: "Transfer of oversight accepted",
    CaseEventKind.DISCUSSION_DECIDED: "Shared care discussion decided",
    CaseEventKind.FUNDING_CHANGED: "Funding changed",
    CaseEventKind.INTERIM_RECONCILED: "Interim funding reconciled",
    CaseEventKind.CSU_ROUTED: "Funding dispute routed to the CSU",
    CaseEventKind.CSU_RESULT: "CSU result recorded",
    CaseEventKind.REFRESHER_RECORDED: "Refresher recorded",
}
NO_SIGN_OFF = "No sign-off recorded"
REFRESHER_OVERDUE = "Refresher overdue"
UNKNOWN_WORKER = "Care worker no longer on record"
