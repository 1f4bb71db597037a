"""Declarative base, naming convention and the columns every synced row carries.

Every row that travels to the central store has a UUID made on the laptop, a local
``version`` bumped on each change, the last ``server_version`` it saw, who changed it
on which device and when, and a tombstone instead of a hard delete. The stamping and the
outbox rows are written by ``desktop_app.services.core.tracking`` in the same transaction.
"""

from __future__ import annotations

import datetime as dt
import uuid

from sqlalchemy import Boolean, Integer, MetaData, String
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# One definition for both sides: the central store cannot import the desktop app.
from scp_common.timestamps import UtcDateTime as UtcDateTime

# Alembic batch migrations on SQLite need every constraint to have a stable name.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}


def new_uuid() -> str:
    """A fresh random UUID as text, made on this laptop."""
    return str(uuid.uuid4())


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class Base(DeclarativeBase):
    """The declarative base of every table in the local vault."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class SyncedMixin:
    """Columns of a row that is synced to the central store.

    ``__sync_entity__`` names the entity type used on the wire and in the outbox;
    it defaults to the table name.
    """

    __sync_entity__: str | None = None

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_uuid)
    version: Mapped[int] = mapped_column(Integer, default=0, nullable=False)
    server_version: Mapped[int | None] = mapped_column(Integer, nullable=True)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    updated_by: Mapped[str] = mapped_column(String(36), default="", nullable=False)
    device_id: Mapped[str] = mapped_column(String(36), default="", nullable=False)
    deleted: Mapped[bool] = mapped_column(Boolean, default=False, nullable=False)
