"""The transactional outbox: what this laptop still has to send to the central store.

A row is written in the same transaction as the change it describes (see
``desktop_app.services.tracking``), so nothing is ever "sent later" from memory.
"""

from __future__ import annotations

import datetime as dt
import enum
from typing import Any

from sqlalchemy import JSON, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

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
    payload: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    state: Mapped[str] = mapped_column(
        String(12), default=OutboxState.PENDING.value, nullable=False, index=True
    )
    attempts: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    last_error: Mapped[str | None] = mapped_column(Text, nullable=True)
    done_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
