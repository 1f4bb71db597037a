"""A delegation's history: every decision and change of its life as an append-only event.

The decision, each review, a withdrawal (at review, by the person's consent, for a change
of need, or because the task was delegated again), a transfer of clinical oversight and
its acceptance, a shared care discussion's decision, a change of funding and the
reconciliation of interim funding are each one ``case_event`` row: who, when, under which
flow version, why. Nothing earlier is ever overwritten: the case's ``status`` is the
status the latest event left it in (``desktop_app.services.delegation.history`` keeps the
two in step in one transaction, and a test derives one from the other).

Interim funding that Health paid without prejudice is settled by an
``interim_reconciliation``: who repays what for which period.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any, ClassVar

from sqlalchemy import JSON, CheckConstraint, Date, ForeignKey, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of
from desktop_app.models.delegation import CaseStatus, OutcomeCode
from desktop_app.models.plan import Funder


class CaseEventKind(enum.StrEnum):
    """What happened to the delegation."""

    DECIDED = "decided"  # the wizard's decision (the outcome then)
    REVIEWED = "reviewed"  # a review that let the delegation continue (or found a change)
    WITHDRAWN_AT_REVIEW = "withdrawn_at_review"
    CONSENT_WITHDRAWN = "consent_withdrawn"
    NEED_CHANGED = "need_changed"  # ended because the person's need changed
    REPLACED = "replaced"  # ended because the same task was delegated again
    OVERSIGHT_TRANSFERRED = "oversight_transferred"
    OVERSIGHT_ACCEPTED = "oversight_accepted"
    DISCUSSION_DECIDED = "discussion_decided"
    FUNDING_CHANGED = "funding_changed"
    INTERIM_RECONCILED = "interim_reconciled"
    CSU_ROUTED = "csu_routed"
    CSU_RESULT = "csu_result"
    REFRESHER_RECORDED = "refresher_recorded"


# Events that record a fact with an identity of its own (the decision, a review, the case
# that replaced this one, a discussion) take an id derived from it, the same on every
# laptop, so the history migration 0009 rebuilds on another laptop, or a second laptop
# recording the same fact, makes the same row, never a second one. (0009 has its own copy
# of this namespace: revisions never import the models; a test holds them equal.)
EVENT_ID_NAMESPACE = uuid.UUID("6f1c2f0e-6d0a-4d36-9a57-0c3f5e0b9a09")


def derived_event_id(case_id: str, kind: CaseEventKind, source: str) -> str:
    """The id of ``case_id``'s event of ``kind`` about ``source``."""
    return str(uuid.uuid5(EVENT_ID_NAMESPACE, f"{case_id}/{kind.value}/{source}"))


# The events that end a running delegation: the task goes back to the nurse.
ENDING_KINDS = frozenset({CaseEventKind.WITHDRAWN_AT_REVIEW, CaseEventKind.CONSENT_WITHDRAWN,
                          CaseEventKind.NEED_CHANGED, CaseEventKind.REPLACED})


class CaseEvent(SyncedMixin, Base):
    """One event in a delegation's life; never changed once written.

    ``status`` is the case's status after the event (NULL: unchanged); ``outcome_code`` the
    outcome the event records (the decision's, or ``WITHDRAWN`` for an ending); ``detail``
    what else belongs to it (the review, the oversight organisation, the funding split...).
    """

    __tablename__ = "case_event"
    __immutable__: ClassVar[bool] = True
    __table_args__ = (one_of("kind", CaseEventKind), one_of("status", CaseStatus),
                      one_of("outcome_code", OutcomeCode))

    delegation_case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    person_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("person.id", ondelete="RESTRICT"), index=True
    )
    kind: Mapped[str] = mapped_column(String(32))
    occurred_on: Mapped[dt.date] = mapped_column(Date, index=True)
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    flow_version: Mapped[str | None] = mapped_column(String(20))
    outcome_code: Mapped[str | None] = mapped_column(String(32))
    status: Mapped[str | None] = mapped_column(String(16))
    reasons: Mapped[list[str]] = mapped_column(JSON, default=list)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, default=dict)
    # The support plan version the event issued, if it issued one.
    plan_version: Mapped[int | None] = mapped_column(Integer)


class InterimReconciliation(SyncedMixin, Base):
    """The settlement of funding Health paid without prejudice while funding was disputed.

    ``repayments`` is a JSON list of ``{"funder", "pence"}``: who pays back how much of the
    interim amount for the period ``period_from``..``period_to`` (inclusive).
    """

    __tablename__ = "interim_reconciliation"
    __immutable__: ClassVar[bool] = True
    __table_args__ = (
        one_of("interim_funder", Funder),
        CheckConstraint("period_to >= period_from", name="period_in_order"),
        CheckConstraint("interim_pence >= 0", name="interim_pence"),
    )

    delegation_case_id: Mapped[str] = mapped_column(
        String(36), ForeignKey("delegation_case.id", ondelete="RESTRICT"), index=True
    )
    discussion_id: Mapped[str | None] = mapped_column(String(36))
    interim_funder: Mapped[str] = mapped_column(String(32))
    period_from: Mapped[dt.date] = mapped_column(Date)
    period_to: Mapped[dt.date] = mapped_column(Date)
    # What the interim funder paid for the period, in pence.
    interim_pence: Mapped[int] = mapped_column(Integer)
    repayments: Mapped[list[dict[str, Any]]] = mapped_column(JSON, default=list)
    reconciled_on: Mapped[dt.date] = mapped_column(Date)
    recorded_by_name: Mapped[str] = mapped_column(String(200))
    notes: Mapped[str | None] = mapped_column(Text)
