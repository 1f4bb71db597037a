"""Anonymised case examples from shared care decisions (framework §1, §7).

Shared care decisions are collected as case examples that future MDTs can search by task
category, task and theme. A case example holds no identifying detail: ``summary`` is
written anonymised, and the link to the source discussion is only for governance.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import JSON, Date, String, Text
from sqlalchemy.orm import Mapped, mapped_column

from desktop_app.models.base import Base, SyncedMixin
from desktop_app.models.checks import one_of
from desktop_app.models.delegation import OutcomeCode
from desktop_app.models.task_type import TaskCategory


class CaseExample(SyncedMixin, Base):
    """An anonymised shared care decision, kept so MDTs can learn from it."""

    __tablename__ = "case_example"
    __table_args__ = (
        one_of("task_category", TaskCategory),
        one_of("outcome_code", OutcomeCode),
    )

    task_category: Mapped[str] = mapped_column(String(32), index=True)
    task_code: Mapped[str | None] = mapped_column(String(64))
    themes: Mapped[list[str]] = mapped_column(JSON, default=list)
    summary: Mapped[str] = mapped_column(Text)
    outcome_code: Mapped[str] = mapped_column(String(32))
    decided_on: Mapped[dt.date] = mapped_column(Date)
    # No foreign key: case examples are shared beyond the team whose discussion made them,
    # so a laptop may hold the example without the (team-scoped) discussion.
    source_discussion_id: Mapped[str | None] = mapped_column(String(36), index=True)
