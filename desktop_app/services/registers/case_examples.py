"""Case examples: closed discussions kept, anonymised, for the next MDT to learn from."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import ColumnElement, String, cast, exists, func, literal, or_, select

from desktop_app.models.case_example import CaseExample
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.registers.common import (
    clean,
    like,
    task_categories,
)
from desktop_app.services.vault.task_types import task_name_sql

# ---------------------------------------------------------------- case examples


@dataclass(frozen=True)
class CaseExampleRow:
    """An anonymised shared care decision MDTs can learn from."""

    example_id: str
    task_category: str
    task_category_label: str
    task_code: str | None
    task_name: str
    themes: tuple[str, ...]
    summary: str
    outcome_code: str
    outcome_title: str
    decided_on: dt.date


def _has_theme(theme: str) -> ColumnElement[bool]:
    tags = func.json_each(CaseExample.themes).table_valued("value")
    return exists(select(literal(1)).select_from(tags)
                  .where(func.lower(tags.c.value) == theme.strip().lower()))


def case_examples(uow: UnitOfWork, text: str = "", task_category: str | None = None,
                  theme: str | None = None, *, task_code: str | None = None
                  ) -> list[CaseExampleRow]:
    """Examples matching every word of ``text`` (in the summary, themes or task) and the
    filters, newest first."""
    task_name = task_name_sql(CaseExample.task_code)
    stmt = select(CaseExample, task_name).where(~CaseExample.deleted)
    for word in clean(text).split():
        pattern = like(word)
        stmt = stmt.where(or_(CaseExample.summary.ilike(pattern, escape="\\"),
                              cast(CaseExample.themes, String).ilike(pattern, escape="\\"),
                              func.coalesce(CaseExample.task_code, "").ilike(pattern, escape="\\"),
                              task_name.ilike(pattern, escape="\\")))
    if task_category:
        stmt = stmt.where(CaseExample.task_category == task_category)
    if task_code:
        stmt = stmt.where(CaseExample.task_code == task_code)
    if theme and theme.strip():
        stmt = stmt.where(_has_theme(theme))
    stmt = stmt.order_by(CaseExample.decided_on.desc(), CaseExample.id)
    labels = dict(task_categories())
    with uow.read() as session:
        return [CaseExampleRow(e.id, e.task_category, labels.get(e.task_category, e.task_category),
                               e.task_code, name or "", tuple(e.themes), e.summary,
                               e.outcome_code, describe(e.outcome_code).title, e.decided_on)
                for e, name in session.execute(stmt)]


def case_example_themes(uow: UnitOfWork) -> list[str]:
    """Every theme used by a case example, alphabetically (for the theme filter)."""
    tags = func.json_each(CaseExample.themes).table_valued("value")
    stmt = (select(tags.c.value).select_from(CaseExample).join(tags, literal(True))
            .where(~CaseExample.deleted).distinct().order_by(tags.c.value))
    with uow.read() as session:
        return [str(value) for value in session.scalars(stmt)]
