"""The audit log: who viewed or changed which record, when, on which device.

Rows hold identifiers and an action only, never clinical free text. Each row carries the
hash of the one before it (keyed with the vault's audit key), so an edited or removed row
breaks the chain where it was changed (``desktop_app.services.core.audit.verify_chain``
names it); the head is witnessed in the key file (``services.vault.witness``).
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import Integer, String
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, UtcDateTime


class AuditAction(enum.StrEnum):
    """What happened to the record."""

    CREATE = "create"
    UPDATE = "update"
    DELETE = "delete"
    VIEW = "view"
    SIGN_IN = "sign_in"
    SIGN_IN_FAILED = "sign_in_failed"
    EXPORT = "export"
    PRINT = "print"
    # Sync: a remote change applied here, a conflict resolved, this laptop enrolled.
    SYNC_RECEIVED = "sync_received"
    KEPT_MINE = "kept_mine"
    KEPT_THEIRS = "kept_theirs"
    ENROLLED = "enrolled"
    # The audit trail (or the key file's record of it, or its wrong-passphrase counter) was
    # found changed outside the app at an unlock: told to the user once, and to the store.
    CHAIN_BROKEN = "chain_broken"


class AuditEvent(Base):
    """One audited action, chained to the previous one by hash."""

    __tablename__ = "audit_event"

    seq: Mapped[int] = mapped_column(Integer, primary_key=True, autoincrement=True)
    id: Mapped[str] = mapped_column(String(36), unique=True, nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    user_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    device_id: Mapped[str] = mapped_column(String(36), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    action: Mapped[str] = mapped_column(String(16), nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
