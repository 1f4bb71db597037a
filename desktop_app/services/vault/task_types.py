"""The task catalogue in the vault: each published version copied into ``task_type`` once,
and the SQL that shows a task by its catalogue name in lists."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import asdict, fields
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session

from desktop_app.models.task_type import TaskType
from desktop_app.services.framework.catalogue import Catalogue, CatalogueError, task_error


def sync_catalogue_to_db(session: Session, catalogue: Catalogue) -> int:
    """Copy the catalogue into the ``task_type`` table; return the number of rows inserted.

    Rows of older versions are left alone (old decisions refer to them). If this version is
    already stored it must be identical, and nothing is written; any difference raises
    ``CatalogueError`` because a published version is immutable. Flushes, never commits.
    """
    stored = {
        row.code: row
        for row in session.scalars(
            select(TaskType).where(TaskType.catalogue_version == catalogue.version)
        )
    }
    if stored:
        _check_unchanged(stored, catalogue)
        return 0
    session.add_all([TaskType(**asdict(task)) for task in catalogue.tasks])
    session.flush()
    return len(catalogue.tasks)


def _check_unchanged(stored: Mapping[str, object], catalogue: Catalogue) -> None:
    """Raise ``CatalogueError`` if the stored copy of this version differs from ``catalogue``."""
    added = sorted(set(catalogue.codes) - set(stored))
    removed = sorted(set(stored) - set(catalogue.codes))
    if added or removed:
        raise CatalogueError(
            f"task catalogue version {catalogue.version} is already published with other "
            f"tasks (added: {added or 'none'}, removed: {removed or 'none'}); "
            "publish the change under a new catalogue_version"
        )
    for task in catalogue.tasks:
        for field in fields(task):
            old, new = getattr(stored[task.code], field.name), getattr(task, field.name)
            if old != new:
                raise task_error(
                    task.code,
                    field.name,
                    f"catalogue version {catalogue.version} is already published with "
                    f"{old!r}, this file has {new!r}; a published version cannot change, "
                    "publish a new catalogue_version",
                )


def task_name_sql(code: Any, version: Any | None = None) -> ColumnElement[str]:
    """SQL for the task's catalogue name (the case's own version first), or its code if
    unknown: for lists that show tasks by name."""
    order = [TaskType.catalogue_version.desc()]
    if version is not None:
        order.insert(0, (TaskType.catalogue_version == version).desc())
    name = select(TaskType.name).where(TaskType.code == code).order_by(*order).limit(1)
    return func.coalesce(name.scalar_subquery(), code)
