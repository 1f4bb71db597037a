"""What the sync client keeps inside the vault: its connection, conflicts and held-back rows.

None of these tables is synced. ``sync_state`` has exactly one row: the server address, the
device token from enrolment (inside the encrypted vault, never in a settings file), the pull
cursor and when the last sync finished. ``sync_conflict`` keeps both versions of a record two
devices changed, for a person to choose between; a resolved conflict stays, so the version
that lost is never silently gone. ``sync_held_back`` parks remote rows that cannot be applied
yet (their parent record has not arrived, or they break a local rule), with the reason.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import JSON, Boolean, CheckConstraint, Integer, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, UtcDateTime, new_uuid, utc_now

SYNC_STATE_ID = 1


class SyncState(Base):
    """This laptop's enrolment with the central store and where its pull has got to."""

    __tablename__ = "sync_state"
    __table_args__ = (CheckConstraint("id = 1", name="single_row"),)

    id: Mapped[int] = mapped_column(Integer, primary_key=True, default=SYNC_STATE_ID)
    server_url: Mapped[str | None] = mapped_column(Text)
    ca_bundle: Mapped[str | None] = mapped_column(Text)
    device_token: Mapped[str | None] = mapped_column(Text)
    server_device_id: Mapped[str | None] = mapped_column(String(36))
    device_name: Mapped[str | None] = mapped_column(String(200))
    team_id: Mapped[str | None] = mapped_column(String(36))
    team_name: Mapped[str | None] = mapped_column(String(200))
    server_user_id: Mapped[str | None] = mapped_column(String(36))
    server_user_name: Mapped[str | None] = mapped_column(String(200))
    server_role: Mapped[str | None] = mapped_column(String(32))
    enrolled_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    pull_cursor: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    # Set when the store was restored from an older backup: pull everything again from 0,
    # comparing versions for equality (numbers may have been handed out twice).
    resync: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    last_synced_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)


class ConflictResolution:
    """Which version a person kept."""

    MINE = "mine"
    THEIRS = "theirs"


class SyncConflict(Base):
    """One record changed here and on another device: both versions, side by side."""

    __tablename__ = "sync_conflict"
    __table_args__ = (
        CheckConstraint("resolution IS NULL OR resolution IN ('mine', 'theirs')",
                        name="resolution_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False, index=True)
    # The outbox entry the store answered with the conflict (the latest one, if several).
    outbox_seq: Mapped[int] = mapped_column(Integer, nullable=False)
    mine: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    theirs: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    theirs_tombstone: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    theirs_server_version: Mapped[int] = mapped_column(Integer, nullable=False)
    detected_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now,
                                                     nullable=False)
    resolved_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime)
    resolved_by: Mapped[str | None] = mapped_column(String(36))
    resolution: Mapped[str | None] = mapped_column(String(8))


class HeldBackChange(Base):
    """A remote row not applied yet, with why; tried again after every pulled page."""

    __tablename__ = "sync_held_back"

    entity_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    entity_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    server_version: Mapped[int] = mapped_column(Integer, nullable=False)
    row: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    tombstone: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
    reason: Mapped[str] = mapped_column(Text, nullable=False)
    held_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
