"""Consent and mental capacity for a delegated task (framework §6, step S6).

Consent is given, refused or withdrawn by the person, or, if they lack capacity for this
decision, by a registered health and welfare attorney or deputy, or else as a recorded
best-interests decision (Mental Capacity Act 2005). Withdrawal suspends the delegation; a
new record is added rather than an old one edited, so the history stays readable.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of


class ConsentStatus(enum.StrEnum):
    """What was decided about the delegation."""

    GIVEN = "given"
    REFUSED = "refused"
    WITHDRAWN = "withdrawn"


class ConsentGivenBy(enum.StrEnum):
    """Who made the decision, in the order the Mental Capacity Act looks for one."""

    PERSON = "person"
    LPA = "lpa"
    DEPUTY = "deputy"
    BEST_INTERESTS = "best_interests"


class ConsentMethod(enum.StrEnum):
    """How the decision was communicated."""

    VERBAL = "verbal"
    WRITTEN = "written"
    OTHER = "other"


class CapacityOutcome(enum.StrEnum):
    """The result of the functional test of capacity for this decision."""

    HAS_CAPACITY = "has_capacity"
    LACKS_CAPACITY = "lacks_capacity"


class ConsentRecord(SyncedMixin, Base):
    """One consent decision about delegating a healthcare task to a care worker.

    An attorney or deputy must be a recorded ``contact``; a best-interests decision must
    say who was consulted, the person's wishes and feelings, the options and the least
    restrictive choice. The database refuses a record missing either.
    """

    __tablename__ = "consent_record"
    __table_args__ = (
        one_of("status", ConsentStatus),
        one_of("given_by_kind", ConsentGivenBy),
        one_of("how", ConsentMethod),
        one_of("capacity_outcome", CapacityOutcome),
        CheckConstraint(
            "given_by_kind NOT IN ('lpa', 'deputy') OR contact_id IS NOT NULL",
            name="decider_is_contact",
        ),
        CheckConstraint(
            "given_by_kind != 'best_interests' OR (bi_consulted IS NOT NULL"
            " AND bi_wishes_feelings IS NOT NULL AND bi_options IS NOT NULL"
            " AND bi_least_restrictive IS NOT NULL)",
            name="best_interests_recorded",
        ),
    )

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    delegation_case_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    status: Mapped[str] = mapped_column(String(16))
    recorded_on: Mapped[dt.date] = mapped_column(Date)
    given_by_kind: Mapped[str] = mapped_column(String(16))
    given_by_name: Mapped[str] = mapped_column(String(200))
    contact_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("contact.id", ondelete="RESTRICT"), index=True
    )
    how: Mapped[str] = mapped_column(String(16))
    explained: Mapped[str] = mapped_column(Text)

    capacity_in_doubt: Mapped[bool] = mapped_column(Boolean, default=False)
    # The specific decision assessed: capacity is decision- and time-specific.
    capacity_decision: Mapped[str | None] = mapped_column(Text)
    capacity_assessed_on: Mapped[dt.date | None] = mapped_column(Date)
    capacity_assessor: Mapped[str | None] = mapped_column(String(200))
    capacity_outcome: Mapped[str | None] = mapped_column(String(16))

    bi_consulted: Mapped[str | None] = mapped_column(Text)
    bi_wishes_feelings: Mapped[str | None] = mapped_column(Text)
    bi_options: Mapped[str | None] = mapped_column(Text)
    bi_least_restrictive: Mapped[str | None] = mapped_column(Text)
