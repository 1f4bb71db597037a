"""The task catalogue: healthcare tasks and how far each can be delegated (framework §3).

The catalogue is reference data loaded from ``resources/``, edited by governance and
versioned, so it is not synced and carries none of the sync columns. A row is identified by
``(code, catalogue_version)``; cases, plans and sign-offs keep both so a decision can
always be read against the catalogue it was made under.
"""

from __future__ import annotations

import enum

from sqlalchemy import CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base
from desktop_app.models.checks import one_of


class TaskCategory(enum.StrEnum):
    """Skills for Care's eight groups of delegated healthcare activity."""

    VITAL_SIGNS = "vital_signs"
    MEDICATION = "medication"
    POSTURE_MOBILITY = "posture_mobility"
    SKIN_WOUND = "skin_wound"
    AIRWAYS_BREATHING = "airways_breathing"
    FEEDING_DIGESTIVE = "feeding_digestive"
    BLADDER_BOWEL = "bladder_bowel"
    OTHER = "other"


class TypicalStatus(enum.StrEnum):
    """Personal care (not a delegation), delegable, or registered practitioner only."""

    PC = "PC"
    D = "D"
    RN = "RN"


class OversightDefault(enum.StrEnum):
    """Who usually keeps clinical oversight of the task (framework step S8)."""

    COMMUNITY_HEALTH = "community_health"
    PRIMARY_CARE = "primary_care"


class TaskType(Base):
    """One healthcare task in one version of the catalogue.

    ``training_level`` is 1 (generic) or 2 (enhanced, person-specific) and only a delegable
    task has one; ``refresher_months`` is how often competence is reassessed.
    """

    __tablename__ = "task_type"
    __table_args__ = (
        one_of("category", TaskCategory),
        one_of("typical_status", TypicalStatus),
        one_of("oversight_default", OversightDefault),
        CheckConstraint("training_level IN (1, 2)", name="training_level"),
        CheckConstraint(
            "typical_status = 'D' OR training_level IS NULL", name="training_only_if_delegable"
        ),
        CheckConstraint("refresher_months > 0", name="refresher_months"),
    )

    code: Mapped[str] = mapped_column(String(64), primary_key=True)
    catalogue_version: Mapped[str] = mapped_column(String(20), primary_key=True)
    name: Mapped[str] = mapped_column(String(200))
    category: Mapped[str] = mapped_column(String(32))
    typical_status: Mapped[str] = mapped_column(String(2))
    training_level: Mapped[int | None] = mapped_column(Integer)
    refresher_months: Mapped[int | None] = mapped_column(Integer)
    oversight_default: Mapped[str] = mapped_column(String(32))
    description: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)
