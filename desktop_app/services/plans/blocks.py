"""The blocks a printed support plan is made of, as frozen values (never ORM rows).

The person, each delegated task with its named care workers and their sign-offs, consent
and capacity, clinical oversight, funding lines, reviews, who was at the MDT meeting, and
each delegation's own part of a plan version, what matters to the person, and each task's
use of resources and reused assessments (the framework's principles). ``read_blocks`` and
``delegation_parts``
fill them in from the vault; the person and funding blocks are shared with the shared
care form. Dates stay dates and money stays whole pence; the renderer formats them.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from desktop_app.models.plan import Funder
from desktop_app.services.framework.funding_money import format_pounds


@dataclass(frozen=True)
class ContactLine:
    """Someone around the person, as the plan lists them."""

    name: str
    kind: str
    relationship: str | None
    phone: str | None
    can_decide_health_welfare: bool


@dataclass(frozen=True)
class PersonBlock:
    """Who the plan is for: identity, address, GP practice and the people around them."""

    full_name: str
    preferred_name: str | None
    date_of_birth: dt.date
    nhs_number: str  # the NHS display form, "999 123 4567"
    address_lines: tuple[str, ...]
    phone: str | None
    gp_practice_name: str | None
    gp_practice_code: str | None
    team: str
    open_to_community_health: bool
    communication_needs: str | None
    contacts: tuple[ContactLine, ...]
    family_name: str = ""  # for a file name ("Support plan - Kowalski - v3 - ...")
    given_name: str = ""  # "What matters to Zoë"


@dataclass(frozen=True)
class WhatMattersBlock:
    """What matters to the person as a plan version copied it (or the record holds it):
    their own words, strengths, what they do for themselves, and who took part in the
    conversation, in words ("The person; Family (Mary)")."""

    own_words: str | None
    strengths: str | None
    self_care: str | None
    took_part: str

    @property
    def asked_in_full(self) -> bool:
        """False for a plan from before the app asked more than the person's own words
        (it prints as it did then: their words only, nothing invented)."""
        return bool(self.strengths or self.self_care or self.took_part)


@dataclass(frozen=True)
class ReusedAssessment:
    """A partner's assessment a delegation reused instead of repeating it (trusted
    assessment): what kind, who made it and when, and how old it was when reused."""

    step: str
    kind: str  # in words ("NHS Continuing Healthcare Checklist")
    organisation: str
    assessor: str
    assessed_on: dt.date
    reused_on: dt.date
    age_when_reused: str  # "4 months old"


@dataclass(frozen=True)
class ResourcesBlock:
    """A delegation's efficient use of resources (S9) and the assessments it reused.

    None on a field means not recorded (a delegation decided before the app asked)."""

    at_considered: bool | None
    at_kind: str | None
    at_outcome: str | None  # in words ("Not suitable")
    at_reason: str | None
    calls_reviewed: bool | None
    calls_outcome: str | None  # in words ("The task fits an existing call")
    calls_note: str | None
    reused: tuple[ReusedAssessment, ...] = ()


@dataclass(frozen=True)
class WorkerLine:
    """A care worker named for a task, with their sign-off for this person and task.

    ``current`` is False when there is no sign-off, it was suspended or withdrawn, or its
    refresher date had passed on the day the plan was printed; ``standing`` says which.
    """

    name: str
    provider_name: str
    role_title: str
    training_level: int | None
    signed_off_on: dt.date | None
    refresher_due: dt.date | None
    trainer_name: str | None
    assessor_name: str | None
    standing: str
    current: bool


@dataclass(frozen=True)
class TaskBlock:
    """One delegated task line: what the care worker does, when to call, who may do it.

    ``task_name`` is the catalogue's words for the task (``task_code`` and
    ``catalogue_version`` say which catalogue entry: the plan's notes name the version).
    ``out_of_range_applies`` is False for a task that takes no readings and whose "if
    readings are out of range" line holds only stock wording (the line is then left off).
    """

    task_code: str
    task_name: str
    catalogue_version: str
    what_is_delegated: str
    what_is_not_delegated: str
    frequency: str
    equipment: str | None
    do_thresholds: str
    call_nurse_thresholds: str
    if_refused: str
    if_missed: str
    if_equipment_fails: str
    if_out_of_range: str
    in_emergency: str
    workers: tuple[WorkerLine, ...]
    out_of_range_applies: bool = True
    # Its delegation's use of resources and reused assessments (None: none recorded).
    resources: ResourcesBlock | None = None


@dataclass(frozen=True)
class ConsentBlock:
    """The latest consent decision for the delegation, and the capacity assessment behind it."""

    status: str
    given: bool
    recorded_on: dt.date
    given_by: str  # who decided, in words ("The person", "Health and welfare attorney")
    given_by_name: str
    how: str
    explained: str
    capacity_in_doubt: bool
    capacity_decision: str | None
    capacity_assessed_on: dt.date | None
    capacity_assessor: str | None
    capacity_outcome: str | None
    best_interests_consulted: str | None
    best_interests_wishes_feelings: str | None
    best_interests_options: str | None
    best_interests_least_restrictive: str | None


@dataclass(frozen=True)
class OversightBlock:
    """Who keeps clinical oversight, and the numbers a care worker calls."""

    service: str
    organisation_name: str
    named_clinician: str | None
    phone_in_hours: str
    phone_out_of_hours: str
    notes: str | None


@dataclass(frozen=True)
class FundingLine:
    """One funder's weekly share of the package (whole pence)."""

    funder: str
    funder_name: str
    pence_per_week: int
    free_to_person: bool
    lead_commissioner: bool
    method: str
    start_date: dt.date
    interim_without_prejudice: bool
    dispute_reference: str | None
    reconciled_on: dt.date | None

    @property
    def is_nhs(self) -> bool:
        """True for the ICB's share, which is never charged to the person."""
        return self.funder == Funder.ICB.value

    @property
    def weekly(self) -> str:
        """The weekly amount in pounds, "£1,234.56"."""
        return format_pounds(self.pence_per_week)


@dataclass(frozen=True)
class Attendee:
    """Someone at the MDT meeting, as S10 recorded them."""

    role: str
    organisation: str
    name: str


@dataclass(frozen=True)
class ReviewLine:
    """A review of the delegation: due, and done (with its outcome) once it has been."""

    kind: str
    due_on: dt.date
    done_on: dt.date | None
    outcome: str | None


@dataclass(frozen=True)
class DelegationPart:
    """One delegation on a plan version: the task(s) it covers, and its own consent,
    clinical oversight and reviews (a person may have eye drops under their GP practice and
    insulin under community nursing on one plan; hazard H-033)."""

    case_id: str
    task_names: str
    consent: ConsentBlock | None
    oversight: OversightBlock | None
    reviews: tuple[ReviewLine, ...]
    flow_version: str | None = None  # the delegation flow it was decided under
