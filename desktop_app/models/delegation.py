"""The delegation case: one healthcare task for one person through the flow (framework §2).

The wizard writes each step's answers into ``answers`` keyed by step id (``"S1"`` ...
``"S11"``); the decision keeps the flow version and the task catalogue version it was made
under, and every "no" keeps its reasons and, where it can change, a date to reconsider.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of
from desktop_app.models.person_centred import AtOutcome, CallsOutcome


class OutcomeCode(enum.StrEnum):
    """The outcomes of the delegation flow, exactly as framework §2 names them."""

    REFER_CHC = "REFER_CHC"
    SOCIAL_CARE_ONLY = "SOCIAL_CARE_ONLY"
    NOT_DELEGATED = "NOT_DELEGATED"
    PERSON_DECLINED = "PERSON_DECLINED"
    NO_PROVIDER = "NO_PROVIDER"
    DELEGATED_EXISTING_PACKAGE = "DELEGATED_EXISTING_PACKAGE"
    DELEGATED_HEALTH_FUNDED = "DELEGATED_HEALTH_FUNDED"
    DELEGATED_JOINT_FUNDED = "DELEGATED_JOINT_FUNDED"
    ESCALATED_SHARED_CARE = "ESCALATED_SHARED_CARE"
    INTERIM_WITHOUT_PREJUDICE = "INTERIM_WITHOUT_PREJUDICE"
    WITHDRAWN = "WITHDRAWN"


class CaseStatus(enum.StrEnum):
    """Where the case is in its life: the wizard, the decision, the running arrangement."""

    DRAFT = "draft"
    IN_PROGRESS = "in_progress"
    DECIDED = "decided"
    ACTIVE = "active"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"
    CLOSED = "closed"


class DelegationCase(SyncedMixin, Base):
    """A referral of one healthcare task for one person, from S1 Identify to S11 Review.

    ``answers`` and ``outcome_reasons`` are JSON: assign a new value to change them, since
    in-place edits of the loaded dict or list are not tracked.
    """

    __tablename__ = "delegation_case"
    __table_args__ = (one_of("outcome_code", OutcomeCode), one_of("status", CaseStatus),
                      one_of("at_outcome", AtOutcome), one_of("calls_outcome", CallsOutcome))

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    task_code: Mapped[str] = mapped_column(String(64))
    task_catalogue_version: Mapped[str] = mapped_column(String(20))
    referred_by: Mapped[str] = mapped_column(Text)
    answers: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    current_step: Mapped[str | None] = mapped_column(String(8))
    outcome_code: Mapped[str | None] = mapped_column(String(32))
    outcome_reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    flow_version: Mapped[str] = mapped_column(String(20))
    status: Mapped[str] = mapped_column(String(16), default=CaseStatus.DRAFT.value, index=True)
    reconsider_on: Mapped[dt.date | None] = mapped_column(Date, index=True)
    decided_on: Mapped[dt.date | None] = mapped_column(Date)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    # A delegation that ended with funding lines: the partners must reconsider the funding
    # (framework §2 S11) from this day, until ``funding_reconsidered_on`` is recorded.
    funding_reconsider_from: Mapped[dt.date | None] = mapped_column(Date)
    funding_reconsidered_on: Mapped[dt.date | None] = mapped_column(Date)
    # A delegation of the same task decided later for the person ended this one (status
    # ``closed``): the case that replaced it.
    replaced_by_case_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"))
    # Efficient use of resources (framework section 3), recorded before funding is decided
    # (S9): whether assistive technology was considered for the task, which, what came of
    # it and why; whether the call frequency was reviewed and what it found. NULL on cases
    # decided before version 0011 of the vault, or that never reached S9.
    at_considered: Mapped[bool | None] = mapped_column(Boolean)
    at_kind: Mapped[str | None] = mapped_column(String(200))
    at_outcome: Mapped[str | None] = mapped_column(String(16))
    at_reason: Mapped[str | None] = mapped_column(Text)
    calls_reviewed: Mapped[bool | None] = mapped_column(Boolean)
    calls_outcome: Mapped[str | None] = mapped_column(String(32))
    calls_note: Mapped[str | None] = mapped_column(Text)
