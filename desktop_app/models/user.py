"""The people who sign in on this laptop and the role each holds."""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, CheckConstraint, String
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, UtcDateTime, utc_now


class Role(enum.StrEnum):
    """What a user may see and change (enforced in services)."""

    NURSE = "nurse"
    TEAM_LEAD = "team_lead"
    SOCIAL_CARE_PRACTITIONER = "social_care_practitioner"
    READ_ONLY = "read_only"


class AppUser(Base):
    """A local user; their passphrase wraps the vault key in the key file."""

    __tablename__ = "app_user"
    __table_args__ = (
        CheckConstraint(
            "role IN ('nurse', 'team_lead', 'social_care_practitioner', 'read_only')",
            name="role_known",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    display_name: Mapped[str] = mapped_column(String(120), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    active: Mapped[bool] = mapped_column(Boolean, default=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
