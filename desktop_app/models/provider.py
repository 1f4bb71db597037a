"""Care providers and their care workers (framework §1, step S7 "Provider accepts").

A council-commissioned provider formally accepts a delegated task, names the workers who
will do it and confirms its insurance covers it. Workers are then trained and signed off
per person (see ``competency``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of


class Council(enum.StrEnum):
    """The three LLR councils that commission social care."""

    LEICESTER_CITY = "leicester_city"
    LEICESTERSHIRE_COUNTY = "leicestershire_county"
    RUTLAND_COUNTY = "rutland_county"


class CareProvider(SyncedMixin, Base):
    """A domiciliary care provider commissioned by one of the LLR councils.

    ``insurance_confirmed_on`` records when the provider confirmed its insurance covers
    delegated healthcare tasks; NULL means not yet confirmed (S7 cannot pass).
    """

    __tablename__ = "care_provider"
    __table_args__ = (one_of("council", Council),)

    name: Mapped[str] = mapped_column(String(200), index=True)
    cqc_location_id: Mapped[str | None] = mapped_column(String(20))
    phone: Mapped[str] = mapped_column(String(32))
    email: Mapped[str | None] = mapped_column(String(254))
    address: Mapped[str | None] = mapped_column(Text)
    insurance_confirmed_on: Mapped[dt.date | None] = mapped_column(Date)
    council: Mapped[str] = mapped_column(String(32))


class CareWorker(SyncedMixin, Base):
    """A care worker employed by a provider, who may be named on a delegated task."""

    __tablename__ = "care_worker"

    provider_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("care_provider.id", ondelete="RESTRICT"), index=True
    )
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    role_title: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
