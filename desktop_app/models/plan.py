"""The support plan, its delegated task lines and its funding split (framework §2 S9, §5).

A plan is never edited: each change makes a new version row, numbered per person, with
its own task lines and funding splits, so a printed plan can always be matched to what it
said then. ``__immutable__`` marks these classes for the module that refuses updates.
Money is integer pence per week; the NHS (ICB) share is always free to the person.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any, ClassVar

from sqlalchemy import (
    JSON,
    Boolean,
    CheckConstraint,
    Date,
    ForeignKey,
    Integer,
    String,
    Text,
    UniqueConstraint,
)
from sqlalchemy.orm import Mapped, mapped_column, relationship

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of


class Funder(enum.StrEnum):
    """Who pays a share of the package: the ICB for the NHS, or one of the three councils."""

    ICB = "icb"
    LEICESTER_CITY = "leicester_city"
    LEICESTERSHIRE_COUNTY = "leicestershire_county"
    RUTLAND_COUNTY = "rutland_county"


class ApportionmentMethod(enum.StrEnum):
    """How the extra commissioned time is shared (framework §5; LLR's rules are local)."""

    HEALTH_ONLY_CALL = "health_only_call"
    EXTRA_MINUTES = "extra_minutes"
    SPLIT_BY_MINUTES = "split_by_minutes"
    EQUAL_SPLIT = "equal_split"
    FIXED_PERCENTAGE = "fixed_percentage"
    EXISTING_PACKAGE = "existing_package"


class SupportPlan(SyncedMixin, Base):
    """One version of a person's support plan, as agreed by the MDT with the person."""

    __tablename__ = "support_plan"
    __immutable__: ClassVar[bool] = True
    __table_args__ = (
        UniqueConstraint(
            "person_id", "version_number", name="uq_support_plan_person_id_version_number"
        ),
        CheckConstraint("version_number >= 1", name="version_number"),
    )

    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    delegation_case_id: Mapped[str | None] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    version_number: Mapped[int] = mapped_column(Integer)
    effective_from: Mapped[dt.date] = mapped_column(Date)
    # The person's own words and goals: the plan is theirs (framework §7, person-centred).
    person_words: Mapped[str | None] = mapped_column(Text)
    # What matters to the person as it stood when this version was issued (a copy of
    # ``WhatMatters``: the printed version never changes): their strengths, what they do
    # for themselves, and who took part ([{"kind": ..., "name": ...}]).
    strengths: Mapped[str | None] = mapped_column(Text)
    self_care: Mapped[str | None] = mapped_column(Text)
    took_part: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    created_by_name: Mapped[str] = mapped_column(String(200))
    summary: Mapped[str | None] = mapped_column(Text)

    tasks: Mapped[list[SupportPlanTask]] = relationship(
        lazy="selectin", order_by="SupportPlanTask.task_code"
    )
    funding_splits: Mapped[list[FundingSplit]] = relationship(
        lazy="selectin", order_by="FundingSplit.funder"
    )


class SupportPlanTask(SyncedMixin, Base):
    """A delegated task line on a plan version: what the care worker does and when to call.

    ``worker_ids`` lists the ``care_worker`` ids named for this task (JSON, so no foreign
    key); each must also have a current ``competency_sign_off`` for this person.
    """

    __tablename__ = "support_plan_task"
    __immutable__: ClassVar[bool] = True
    # Lines belong to one plan version: they may only be added with the plan itself.
    __immutable_parent__: ClassVar[str] = "plan_id"

    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("support_plan.id", ondelete="RESTRICT"), index=True
    )
    # The delegation this line belongs to: a later plan version carries the line forward
    # unchanged while that delegation runs (no foreign key: lines sync on their own).
    delegation_case_id: Mapped[str | None] = mapped_column(String(36))
    task_code: Mapped[str] = mapped_column(String(64))
    task_catalogue_version: Mapped[str] = mapped_column(String(20))
    what_is_delegated: Mapped[str] = mapped_column(Text)
    what_is_not_delegated: Mapped[str] = mapped_column(Text)
    frequency: Mapped[str] = mapped_column(Text)
    equipment: Mapped[str | None] = mapped_column(Text)
    do_thresholds: Mapped[str] = mapped_column(Text)
    call_nurse_thresholds: Mapped[str] = mapped_column(Text)
    if_refused: Mapped[str] = mapped_column(Text)
    if_missed: Mapped[str] = mapped_column(Text)
    if_equipment_fails: Mapped[str] = mapped_column(Text)
    if_out_of_range: Mapped[str] = mapped_column(Text)
    in_emergency: Mapped[str] = mapped_column(Text)
    worker_ids: Mapped[list[str]] = mapped_column(JSON, default=list)


class FundingSplit(SyncedMixin, Base):
    """One funder's weekly share of a plan version's package, and how it was worked out.

    While funding is disputed Health pays ``without prejudice``: the split carries the
    dispute reference, and ``reconciled_on`` is set once costs are settled back to its start.
    """

    __tablename__ = "funding_split"
    __immutable__: ClassVar[bool] = True
    # The one column that may still be set once on an issued line: the day interim funding
    # was reconciled (it says nothing about the plan the line belongs to).
    __set_once__: ClassVar[frozenset[str]] = frozenset({"reconciled_on"})
    # Lines belong to one plan version: they may only be added with the plan itself.
    __immutable_parent__: ClassVar[str] = "plan_id"
    __table_args__ = (
        one_of("funder", Funder),
        one_of("method", ApportionmentMethod),
        CheckConstraint("pence_per_week >= 0", name="pence_per_week"),
        # The NHS share is never charged to the person (framework §1, §5).
        CheckConstraint("funder != 'icb' OR free_to_person", name="icb_free_to_person"),
    )

    plan_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("support_plan.id", ondelete="RESTRICT"), index=True
    )
    # The delegation whose extra time this share pays for (carried forward like task lines).
    delegation_case_id: Mapped[str | None] = mapped_column(String(36))
    funder: Mapped[str] = mapped_column(String(32))
    method: Mapped[str] = mapped_column(String(32))
    # The method's inputs, e.g. {"health_minutes": 15, "social_minutes": 30, "rate_pence": ...}.
    inputs: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    pence_per_week: Mapped[int] = mapped_column(Integer)
    free_to_person: Mapped[bool] = mapped_column(Boolean)
    lead_commissioner: Mapped[bool] = mapped_column(Boolean, default=False)
    start_date: Mapped[dt.date] = mapped_column(Date)
    interim_without_prejudice: Mapped[bool] = mapped_column(Boolean, default=False)
    dispute_reference: Mapped[str | None] = mapped_column(String(64))
    reconciled_on: Mapped[dt.date | None] = mapped_column(Date)
