"""The transactional outbox: what this laptop still has to send to the central store.

A row is written in the same transaction as the change it describes (see
``desktop_app.services.core.tracking``), so nothing is ever "sent later" from memory.

An entry is two rows with the same ``seq``: its bookkeeping in ``outbox_entry`` (key, base,
state, attempts), rewritten as it is sent and answered, and what it sends in
``outbox_payload`` (the full row as tracking wrote it, and whether it is a tombstone),
written once and never changed. Kept apart, the ~1 KB rows stay out of the pages that the
sync client rewrites: marking a thousand entries sent or done touches a few dozen pages of
``outbox_entry`` rather than every page of every payload.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, ForeignKey, Integer, String, Text, select
from sqlalchemy.orm import Mapped, column_property, mapped_column

from desktop_app.models.base import Base, UtcDateTime, utc_now


class OutboxState(enum.StrEnum):
    """Where an outbox entry is in its life."""

    PENDING = "pending"
    DONE = "done"
    CONFLICT = "conflict"
    QUARANTINED = "quarantined"


class OutboxOperation(enum.StrEnum):
    """What the entry asks the server to do with the row."""

    UPSERT = "upsert"
    DELETE = "delete"


class OutboxPayload(Base):
    """What one outbox entry sends, exactly as tracking wrote it; never changed."""

    __tablename__ = "outbox_payload"

    seq: Mapped[int] = mapped_column(
        Integer, ForeignKey("outbox_entry.seq", ondelete="CASCADE"), primary_key=True,
        autoincrement=False,
    )
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    # The payload's own ``deleted``, kept beside it so the wire's ``tombstone`` needs no JSON
    # parsing (``operation`` is not the same fact: "keep mine" on a deleted row is an upsert).
    tombstone: Mapped[bool] = mapped_column(Boolean, nullable=False)


class OutboxEntry(Base):
    """One change to one synced row, with the key that makes resending it harmless."""

    __tablename__ = "outbox_entry"
    __table_args__ = (
        CheckConstraint(
            "state IN ('pending', 'done', 'conflict', 'quarantined')", name="state_known"
        ),
        CheckConstraint("operation IN ('upsert', 'delete')", name="operation_known"),
    )

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    idempotency_key: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    operation: Mapped[str] = mapped_column(String(10), nullable=False)
    local_version: Mapped[int] = mapped_column(Integer, nullable=False)
    base_server_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    state: Mapped[str] = mapped_column(
        String(12), default=OutboxState.PENDING.value, nullable=False, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # Read-only: the entry's row from ``outbox_payload`` (tracking writes both rows).
    payload: Mapped[dict[str, Any]] = column_property(
        select(OutboxPayload.payload).where(OutboxPayload.seq == seq)
        .correlate_except(OutboxPayload).scalar_subquery()
    )
