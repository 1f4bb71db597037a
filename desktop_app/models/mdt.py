"""MDT decisions and shared care discussions (framework §1, step S10).

The MDT, usually the Integrated Neighbourhood Team, decides with the person and family.
When it cannot agree, a shared care discussion takes the question on; its documented
decision goes to the IPCB and becomes a case example, joint-funded disputes go to the
Midlands & Lancashire CSU, and meanwhile Health funds the gap without prejudice.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of
from desktop_app.models.plan import Funder


class MdtDecision(SyncedMixin, Base):
    """A multidisciplinary team meeting's decision on a delegation case.

    ``attendees`` is a JSON list of ``{"role", "organisation", "name"}`` objects.
    """

    __tablename__ = "mdt_decision"

    delegation_case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    met_on: Mapped[dt.date] = mapped_column(Date)
    attendees: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    consensus: Mapped[bool] = mapped_column(Boolean)
    decision: Mapped[str] = mapped_column(Text)
    notes: Mapped[str | None] = mapped_column(Text)


class SharedCareDiscussion(SyncedMixin, Base):
    """An escalation when the MDT did not agree, open until ``closed_on`` is set.

    ``interim_funder`` pays without prejudice from ``interim_from`` (the framework says
    Health); ``themes`` is a JSON list of short tags reused by case examples.
    """

    __tablename__ = "shared_care_discussion"
    __table_args__ = (one_of("interim_funder", Funder),)

    delegation_case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    opened_on: Mapped[dt.date] = mapped_column(Date)
    question: Mapped[str] = mapped_column(Text)
    options: Mapped[str] = mapped_column(Text)
    funding_proposal: Mapped[str] = mapped_column(Text)
    interim_funder: Mapped[str] = mapped_column(String(32), default=Funder.ICB.value)
    interim_from: Mapped[dt.date | None] = mapped_column(Date)
    # What the interim funder pays a week meanwhile when no plan line carries it (a
    # disagreement about whether to delegate: the nursing team keeps the task).
    interim_pence_per_week: Mapped[int | None] = mapped_column(Integer)
    escalated_to_mlcsu: Mapped[bool] = mapped_column(Boolean, default=False)
    dispute_reference: Mapped[str | None] = mapped_column(String(64))
    decision: Mapped[str | None] = mapped_column(Text)
    closed_on: Mapped[dt.date | None] = mapped_column(Date)
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    # A joint-funding dispute routed to the Midlands & Lancashire CSU: when, and its result.
    csu_routed_on: Mapped[dt.date | None] = mapped_column(Date)
    csu_result: Mapped[str | None] = mapped_column(Text)
    csu_result_on: Mapped[dt.date | None] = mapped_column(Date)
