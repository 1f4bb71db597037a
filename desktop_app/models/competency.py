"""The competency register: who is signed off to do which task for whom (framework §3, S8).

Sign-off is per worker and per person and does not carry to another person. It is
reassessed by ``refresher_due`` (12 months, or sooner on a change of condition, dose or
device, an incident, or a long gap), so the register is searched by that date.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import CheckConstraint, Date, ForeignKey, Index, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of


class SignOffStatus(enum.StrEnum):
    """Whether the sign-off can be relied on today (an expired refresher is a date check)."""

    CURRENT = "current"
    SUSPENDED = "suspended"
    WITHDRAWN = "withdrawn"


class CompetencySignOff(SyncedMixin, Base):
    """A care worker trained and assessed competent to do one task for one person.

    ``status`` alone does not make a sign-off valid: it is current only while
    ``refresher_due`` has not passed, and the services must show it that way.
    """

    __tablename__ = "competency_sign_off"
    __table_args__ = (
        one_of("status", SignOffStatus),
        CheckConstraint("training_level IN (1, 2)", name="training_level"),
        CheckConstraint("refresher_due > signed_off_on", name="refresher_after_sign_off"),
        CheckConstraint(
            "status != 'withdrawn' OR withdrawn_reason IS NOT NULL", name="withdrawn_reason"
        ),
        Index("ix_competency_sign_off_worker_person_task", "worker_id", "person_id", "task_code"),
    )

    worker_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("care_worker.id", ondelete="RESTRICT")
    )
    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    task_code: Mapped[str] = mapped_column(String(64))
    training_level: Mapped[int] = mapped_column(Integer)
    trainer_name: Mapped[str] = mapped_column(String(200))
    assessor_name: Mapped[str] = mapped_column(String(200))
    signed_off_on: Mapped[dt.date] = mapped_column(Date)
    refresher_due: Mapped[dt.date] = mapped_column(Date, index=True)
    status: Mapped[str] = mapped_column(String(16), default=SignOffStatus.CURRENT.value)
    withdrawn_reason: Mapped[str | None] = mapped_column(Text)
    delegation_case_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
