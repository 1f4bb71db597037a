"""Reviews of a running delegation (framework §2, step S11).

A review is due 3 months after the arrangement starts, then at least every 12 months, and
whenever need changes. A missed review date is a clinical hazard, so reviews are searched by
``due_on``; a row with no ``done_on`` is still outstanding.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of


class ReviewKind(enum.StrEnum):
    """Why the review is due."""

    THREE_MONTH = "three_month"
    ANNUAL = "annual"
    CHANGE_OF_NEED = "change_of_need"


class ReviewOutcome(enum.StrEnum):
    """What the review decided: carry on, re-plan for changed need, or withdraw the task."""

    CONTINUE = "continue"
    CHANGE_OF_NEED = "change_of_need"
    WITHDRAW = "withdraw"


class Review(SyncedMixin, Base):
    """One scheduled or triggered review of a delegation case, and what it found.

    ``stable``, ``competence_current`` and ``serious_incident`` are NULL until answered.
    """

    __tablename__ = "review"
    __table_args__ = (
        one_of("kind", ReviewKind),
        one_of("outcome", ReviewOutcome),
        CheckConstraint("outcome IS NULL OR done_on IS NOT NULL", name="outcome_needs_done_on"),
    )

    delegation_case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    due_on: Mapped[dt.date] = mapped_column(Date, index=True)
    kind: Mapped[str] = mapped_column(String(16))
    done_on: Mapped[dt.date | None] = mapped_column(Date)
    outcome: Mapped[str | None] = mapped_column(String(16))
    stable: Mapped[bool | None] = mapped_column(Boolean)
    competence_current: Mapped[bool | None] = mapped_column(Boolean)
    serious_incident: Mapped[bool | None] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    next_review_on: Mapped[dt.date | None] = mapped_column(Date)
