"""Care providers and their care workers (framework §1, step S7 "Provider accepts").

A council-commissioned provider formally accepts a delegated task, names the workers who
will do it and confirms its insurance covers it. Workers are then trained and signed off
per person (see ``competency``). A provider is deactivated, never deleted (its history
stays); a worker who leaves keeps their records with the day they left. No national
insurance numbers and no home addresses are kept for workers.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import JSON, Boolean, Date, ForeignKey, String, Text
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

    ``council`` is the commissioning council; ``council_areas`` every LLR council area it
    works in. ``insurance_confirmed_on`` records when the provider confirmed its insurance
    covers delegated healthcare tasks (``insurance_covers_delegated``) and
    ``insurance_until`` when that cover ends; NULL ``insurance_confirmed_on`` means not yet
    confirmed (S7 cannot pass), and a cover that has ended counts as no cover. An inactive
    provider (``active`` false, since ``deactivated_on``) keeps its history and is not
    offered for new delegations.
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
    council_areas: Mapped[list[str]] = mapped_column(JSON, default=list)
    insurance_covers_delegated: Mapped[bool] = mapped_column(Boolean, default=False)
    insurance_until: Mapped[dt.date | None] = mapped_column(Date)
    contact_name: Mapped[str | None] = mapped_column(String(200))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    deactivated_on: Mapped[dt.date | None] = mapped_column(Date)


class CareWorker(SyncedMixin, Base):
    """A care worker employed by a provider, who may be named on a delegated task.

    ``left_on`` is the day they left the provider (``active`` is then false): they are no
    longer offered, and their sign-offs stay in the register's history."""

    __tablename__ = "care_worker"

    provider_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("care_provider.id", ondelete="RESTRICT"), index=True
    )
    given_name: Mapped[str] = mapped_column(String(100))
    family_name: Mapped[str] = mapped_column(String(100), index=True)
    role_title: Mapped[str] = mapped_column(String(100))
    phone: Mapped[str | None] = mapped_column(String(32))
    active: Mapped[bool] = mapped_column(Boolean, default=True)
    started_on: Mapped[dt.date | None] = mapped_column(Date)
    left_on: Mapped[dt.date | None] = mapped_column(Date)
