"""Framework versions the IPCB published on the central store, as this laptop received them.

A delegation flow or task catalogue version published after the app shipped arrives on the
next sync (``desktop_app.services.sync.framework_fetch``), is checked (its SHA-256 and every
rule of its kind) and is kept here exactly as published: in the encrypted vault, so it
cannot be swapped on disk. A version once kept is never replaced. Reference data, like
``task_type``: never synced back, no sync columns.
"""

from __future__ import annotations

import datetime as dt
import enum

from sqlalchemy import String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, UtcDateTime
from desktop_app.models.checks import one_of


class ReleaseKind(enum.StrEnum):
    """What a release is."""

    FLOW = "flow"
    CATALOGUE = "catalogue"


class FrameworkRelease(Base):
    """One received version of the flow or the catalogue, with its fingerprint."""

    __tablename__ = "framework_release"
    __table_args__ = (one_of("kind", ReleaseKind),)

    kind: Mapped[str] = mapped_column(String(16), primary_key=True)
    version: Mapped[str] = mapped_column(String(40), primary_key=True)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    published_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
