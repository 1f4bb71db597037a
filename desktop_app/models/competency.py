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
    SUPERSEDED = "superseded"  # a refresher or reassessment replaced it (its ``supersedes_id``)


class TrainingLevel(enum.IntEnum):
    """The committee's two levels (minutes (v)): level 1 for all staff doing a generic task,
    level 2 designed around one person's needs."""

    GENERIC = 1
    PERSONAL = 2


class AssessmentOutcome(enum.StrEnum):
    """What an assessment of competence found."""

    COMPETENT = "competent"
    NOT_YET = "not_yet"


class BackfillPayer(enum.StrEnum):
    """Who pays for the cover while a worker is released for training."""

    ICB = "icb"
    COUNCIL = "council"
    PROVIDER = "provider"


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
    # What the assessment was against, and the sign-off this refresher or reassessment
    # replaces (that row is kept, with status ``superseded``).
    standard: Mapped[str | None] = mapped_column(Text)
    supersedes_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("competency_sign_off.id", ondelete="RESTRICT"))
    training_event_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("training_event.id", ondelete="RESTRICT"))


class TrainingEvent(SyncedMixin, Base):
    """Training a care worker was given: level 1 for a task type, level 2 for one person's
    task. Release for training is costed here: the backfill (cover while the worker trains)
    is ``backfill_minutes`` at ``backfill_pence_per_hour``, paid by ``backfill_payer``."""

    __tablename__ = "training_event"
    __table_args__ = (
        CheckConstraint("level IN (1, 2)", name="level"),
        CheckConstraint("level = 1 OR person_id IS NOT NULL", name="personal_names_person"),
        CheckConstraint("backfill_minutes >= 0 AND backfill_pence_per_hour >= 0",
                        name="backfill_not_negative"),
        one_of("backfill_payer", BackfillPayer),
    )

    worker_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("care_worker.id", ondelete="RESTRICT"), index=True)
    person_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    task_code: Mapped[str] = mapped_column(String(64))
    level: Mapped[int] = mapped_column(Integer)
    trained_on: Mapped[dt.date] = mapped_column(Date)
    trainer_name: Mapped[str] = mapped_column(String(200))
    materials: Mapped[str] = mapped_column(String(200))  # the materials and their version
    backfill_minutes: Mapped[int] = mapped_column(Integer, default=0)
    backfill_pence_per_hour: Mapped[int] = mapped_column(Integer, default=0)
    backfill_payer: Mapped[str | None] = mapped_column(String(16))


class CompetenceAssessment(SyncedMixin, Base):
    """An assessment of a care worker's competence to do one task for one person.

    Competent: ``sign_off_id`` is the sign-off it made. Not yet: the support or retraining
    planned (``support_planned``) and by when (``retrain_by``), and who supports the worker
    meanwhile (``supported_by``); the task stays with the nurse."""

    __tablename__ = "competence_assessment"
    __table_args__ = (
        one_of("outcome", AssessmentOutcome),
        CheckConstraint("outcome = 'competent' OR (support_planned IS NOT NULL AND "
                        "retrain_by IS NOT NULL)", name="not_yet_has_a_plan"),
    )

    worker_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("care_worker.id", ondelete="RESTRICT"), index=True)
    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True)
    task_code: Mapped[str] = mapped_column(String(64))
    assessed_on: Mapped[dt.date] = mapped_column(Date)
    assessor_name: Mapped[str] = mapped_column(String(200))
    standard: Mapped[str] = mapped_column(Text)
    outcome: Mapped[str] = mapped_column(String(16))
    support_planned: Mapped[str | None] = mapped_column(Text)
    retrain_by: Mapped[dt.date | None] = mapped_column(Date, index=True)
    supported_by: Mapped[str | None] = mapped_column(String(200))
    training_event_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("training_event.id", ondelete="RESTRICT"))
    sign_off_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("competency_sign_off.id", ondelete="RESTRICT"))
    delegation_case_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True)
