"""Clinical oversight of a delegated task (framework §1, step S8).

A named clinical service keeps oversight: Community Health Services if the person is open
to them, otherwise the person's GP practice. The app proposes that default; the nurse may
change it, and ``proposed_automatically`` says whether the row is the app's proposal.

Oversight moves (framework §5): when the person is no longer open to community health
services, oversight of their running delegations transfers to their GP practice, and back
again if they are re-opened. A transfer is a new row from ``effective_from`` naming the row
it took over from; until ``accepted_on`` is recorded the receiving service has not yet
accepted it, and the case is listed until it has. The row a plan version names is the
newest one in effect on the version's date.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Boolean, Date, ForeignKey, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of


class OversightService(enum.StrEnum):
    """The kind of clinical service holding oversight."""

    COMMUNITY_HEALTH = "community_health"
    GP_PRACTICE = "gp_practice"


class ClinicalOversight(SyncedMixin, Base):
    """Who keeps clinical oversight of a delegation, and how the care worker reaches them."""

    __tablename__ = "clinical_oversight"
    __table_args__ = (one_of("service_kind", OversightService),)

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    delegation_case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    service_kind: Mapped[str] = mapped_column(String(32))
    organisation_name: Mapped[str] = mapped_column(String(200))
    named_clinician: Mapped[str | None] = mapped_column(String(200))
    phone_in_hours: Mapped[str] = mapped_column(String(32))
    phone_out_of_hours: Mapped[str] = mapped_column(String(32))
    proposed_automatically: Mapped[bool] = mapped_column(Boolean)
    notes: Mapped[str | None] = mapped_column(Text)
    effective_from: Mapped[dt.date | None] = mapped_column(Date)
    accepted_on: Mapped[dt.date | None] = mapped_column(Date)
    # The oversight this row took over from (no foreign key: rows sync on their own).
    transferred_from_id: Mapped[str | None] = mapped_column(String(36))
