"""The framework's principles as recorded facts (Part A section 3, section 4, section 5.0).

- ``WhatMatters``: the person's own words about what they want, their strengths, what they
  do for themselves (self-care) and who took part in the conversation: one row per person,
  kept up to date; each support plan version prints a copy of it as it was when issued.
  Its id is derived from the person's (``what_matters_id``) so two laptops that record it
  for the same person write the same row, never two.
- ``Signposting``: Make Every Contact Count: a signposting or referral on a visit or a
  review, for the person or their carer, to a service from the list the LLR partners
  extend (``SignpostingService`` adds to the list shipped in ``resources/``).
- ``PartnerAssessment`` and ``AssessmentReuse``: trusted assessment: an assessment another
  partner made, on file, and each time a delegation reused it instead of repeating it.
- ``EligibilityScreen``: the Care Act eligibility screen (the ten outcomes), the
  software's suggestion and the practitioner's decision.
- ``FrameworkProblem``: a practical problem with the framework a member of staff reported
  to the IPCB, anonymised, with its status (received, discussed, ruling issued).

Efficient use of resources (assistive technology considered, call frequency reviewed) is
recorded on the delegation case itself (``DelegationCase.at_*``, ``calls_*``).
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of

# The namespace of ``what_matters_id`` (a migration may derive the same ids: keep it).
WHAT_MATTERS_NAMESPACE = uuid.UUID("2b7d7a52-1c3e-4f0e-8a4b-5e2f3c9d1a77")


def what_matters_id(person_id: str) -> str:
    """The id of a person's ``WhatMatters`` row: the same on every laptop."""
    return str(uuid.uuid5(WHAT_MATTERS_NAMESPACE, person_id))


class Participant(enum.StrEnum):
    """Who took part in the conversation about what matters (framework: person-centred)."""

    PERSON = "person"
    FAMILY = "family"
    CARER = "carer"
    ADVOCATE = "advocate"
    ATTORNEY = "attorney"
    OTHER = "other"


class AtOutcome(enum.StrEnum):
    """What came of considering assistive technology for a task."""

    IN_PLACE = "in_place"  # already in use, or put in place instead of (or with) the task
    TO_TRY = "to_try"  # ordered or to be tried; the task is delegated meanwhile
    NOT_SUITABLE = "not_suitable"
    DECLINED = "declined"  # the person did not want it


class CallsOutcome(enum.StrEnum):
    """What a review of call frequency found: can the task fit an existing call?"""

    FITS_EXISTING_CALL = "fits_existing_call"
    CALL_TIMES_CHANGED = "call_times_changed"
    EXTRA_CALL_NEEDED = "extra_call_needed"
    FEWER_CALLS = "fewer_calls"


class SignpostOccasion(enum.StrEnum):
    """When the signposting happened (Make Every Contact Count: any contact)."""

    VISIT = "visit"
    REVIEW = "review"
    PHONE_CALL = "phone_call"
    DELEGATION = "delegation"  # in the MDT's delegation conversation


class SignpostFor(enum.StrEnum):
    """Whom the signposting was for."""

    PERSON = "person"
    CARER = "carer"


class SignpostAction(enum.StrEnum):
    """Told about a service (signposted) or referred to it."""

    SIGNPOSTED = "signposted"
    REFERRED = "referred"


class AssessmentKind(enum.StrEnum):
    """What question an assessment answers (the wizard offers one for the same question)."""

    CARE_ACT_NEEDS = "care_act_needs"  # social care needs assessment (S1, S5)
    CHC_CHECKLIST = "chc_checklist"  # NHS Continuing Healthcare Checklist (S2)
    MENTAL_CAPACITY = "mental_capacity"  # capacity for the care decision (S6)
    CLINICAL_RISK = "clinical_risk"  # stability and risk of the task (S4)
    MOVING_AND_HANDLING = "moving_and_handling"
    OTHER = "other"


class EligibilityDecision(enum.StrEnum):
    """The practitioner's decision after the eligibility screen (the software suggests)."""

    ELIGIBLE = "eligible"
    NOT_ELIGIBLE = "not_eligible"


class EligibilitySuggestionCode(enum.StrEnum):
    """The software's suggestion as recorded (``framework.eligibility.EligibilityStatus``)."""

    LIKELY_ELIGIBLE = "likely_eligible"
    LIKELY_NOT_ELIGIBLE = "likely_not_eligible"
    INCOMPLETE = "incomplete"


class ProblemStatus(enum.StrEnum):
    """Where a reported problem is with the IPCB (framework section 5.0)."""

    RECEIVED = "received"
    DISCUSSED = "discussed"
    RULING_ISSUED = "ruling_issued"


class WhatMatters(SyncedMixin, Base):
    """What matters to the person, in their own words: one row per person."""

    __tablename__ = "what_matters"

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True, unique=True
    )
    own_words: Mapped[str | None] = mapped_column(Text)
    strengths: Mapped[str | None] = mapped_column(Text)
    self_care: Mapped[str | None] = mapped_column(Text)
    # [{"kind": Participant value, "name": "..."}], in the order given.
    took_part: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_name: Mapped[str] = mapped_column(String(200))


class SignpostingService(SyncedMixin, Base):
    """A service or support group added to the list shipped with the app."""

    __tablename__ = "signposting_service"

    name: Mapped[str] = mapped_column(String(200))
    description: Mapped[str | None] = mapped_column(Text)
    added_by_name: Mapped[str] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)


class Signposting(SyncedMixin, Base):
    """One signposting or referral, on a visit or a review (Make Every Contact Count)."""

    __tablename__ = "signposting"
    __table_args__ = (
        one_of("occasion", SignpostOccasion),
        one_of("for_whom", SignpostFor),
        one_of("action", SignpostAction),
    )

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    given_on: Mapped[dt.date] = mapped_column(Date, index=True)
    occasion: Mapped[str] = mapped_column(String(16))
    # The review it was given at (no foreign key: the review may sync after it).
    review_id: Mapped[str | None] = mapped_column(String(36))
    for_whom: Mapped[str] = mapped_column(String(16))
    action: Mapped[str] = mapped_column(String(16))
    service: Mapped[str] = mapped_column(String(200))
    note: Mapped[str | None] = mapped_column(Text)
    recorded_by_name: Mapped[str] = mapped_column(String(200))


class PartnerAssessment(SyncedMixin, Base):
    """An assessment another partner made, kept so it is reused, not repeated."""

    __tablename__ = "partner_assessment"
    __table_args__ = (one_of("kind", AssessmentKind),)

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    organisation: Mapped[str] = mapped_column(String(200))
    assessor: Mapped[str] = mapped_column(String(200))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    summary: Mapped[str | None] = mapped_column(Text)
    recorded_by_name: Mapped[str] = mapped_column(String(200))


class AssessmentReuse(SyncedMixin, Base):
    """A delegation that reused a partner's assessment instead of repeating it."""

    __tablename__ = "assessment_reuse"

    assessment_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("partner_assessment.id", ondelete="RESTRICT"), index=True
    )
    delegation_case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    step: Mapped[str] = mapped_column(String(8))
    reused_on: Mapped[dt.date] = mapped_column(Date)
    age_days: Mapped[int] = mapped_column(Integer)  # how old the assessment was then


class EligibilityScreen(SyncedMixin, Base):
    """A Care Act eligibility screen: the answers, the suggestion and the decision.

    ``unable`` maps each outcome (``framework.eligibility.Outcome`` value) the person cannot
    achieve to the ways they count as unable (``UnableReason`` values).
    """

    __tablename__ = "eligibility_screen"
    __table_args__ = (
        one_of("suggestion", EligibilitySuggestionCode),
        one_of("decision", EligibilityDecision),
    )

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    screened_on: Mapped[dt.date] = mapped_column(Date)
    needs_from_impairment: Mapped[bool | None] = mapped_column(Boolean)
    unable: Mapped[dict[str, list[str]]] = mapped_column(JSON, default=dict)
    significant_impact: Mapped[bool | None] = mapped_column(Boolean)
    suggestion: Mapped[str] = mapped_column(String(32))
    decision: Mapped[str] = mapped_column(String(16))
    decision_reason: Mapped[str] = mapped_column(Text)
    decided_by_name: Mapped[str] = mapped_column(String(200))


class FrameworkProblem(SyncedMixin, Base):
    """A practical problem with the framework, reported by staff to the IPCB, anonymised."""

    __tablename__ = "framework_problem"
    __table_args__ = (one_of("status", ProblemStatus),)

    reported_on: Mapped[dt.date] = mapped_column(Date, index=True)
    # Which step or rule: a flow step id ("S4") or a rule area (framework.person_centred).
    about: Mapped[str] = mapped_column(String(32))
    what_happened: Mapped[str] = mapped_column(Text)
    reported_by_name: Mapped[str] = mapped_column(String(200))
    status: Mapped[str] = mapped_column(String(16), default=ProblemStatus.RECEIVED.value)
    ruling: Mapped[str | None] = mapped_column(Text)
    status_on: Mapped[dt.date | None] = mapped_column(Date)
    status_by_name: Mapped[str | None] = mapped_column(String(200))
