"""What every report function shares: the permission, who produced it, the team filter, SQL.

Each report reads in one unit of work, asks SQL for grouped counts and sums (GROUP BY,
COUNT, SUM), and only then loops in Python, over the groups. The SQL here is SQLite's
(the vault is SQLCipher): dates are stored as ``YYYY-MM-DD`` text, so ``strftime`` and
``julianday`` work on them directly.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from functools import lru_cache
from typing import Any

from sqlalchemy import ColumnElement, Date, Integer, case, cast, func, literal, select
from sqlalchemy.orm import Session

from desktop_app.models.person import Person
from desktop_app.models.task_type import TaskCategory, TaskType
from desktop_app.services.core.audit import actor_name
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.reports.chart import Chart, ChartKind, Series
from desktop_app.services.reports.model import (
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    Row,
    count,
    label,
    month_axis,
    month_label,
)

TEAM_NOTE = "Team: the team of the person the record is about."


def check_allowed(uow: UnitOfWork) -> None:
    """PermissionDenied unless the signed-in role may see governance reports."""
    require(uow, Permission.VIEW_REPORTS)


def produced_by(session: Session, uow: UnitOfWork) -> str:
    """The signed-in user's display name (their id if the user row is missing)."""
    return actor_name(session, uow.actor)


def in_scope(query: ReportQuery) -> list[ColumnElement[bool]]:
    """Conditions on ``Person`` every report applies: not removed, and in the team chosen."""
    return in_team(query.team)


def in_team(team: str | None) -> list[ColumnElement[bool]]:
    """People not removed, in ``team`` (every team for None)."""
    conditions: list[ColumnElement[bool]] = [~Person.deleted]
    if team is not None:
        conditions.append(Person.team == team)
    return conditions


def day(value: dt.date) -> ColumnElement[Any]:
    """A date as a bound SQL value, stored the way the Date columns are."""
    return literal(value, Date)


def month_key(column: Any) -> ColumnElement[str]:
    """``YYYY-MM`` of a date column."""
    return func.strftime("%Y-%m", column)


def julian(value: Any) -> ColumnElement[float]:
    """SQLite's day number of a date, for differences in whole days."""
    return func.julianday(value)


@lru_cache(maxsize=1)
def _category_labels() -> tuple[tuple[str, str], ...]:
    return tuple((cat.code, cat.label) for cat in load_catalogue().categories)


def category_labels() -> dict[str, str]:
    """Task category code → label, from the shipped catalogue (read once)."""
    return dict(_category_labels())


def age_sql(born: Any, on: Any) -> ColumnElement[int]:
    """Age in whole years on a day, from a date of birth (both dates)."""
    years = (cast(func.strftime("%Y", on), Integer) - cast(func.strftime("%Y", born), Integer))
    before_birthday = case((func.strftime("%m-%d", on) < func.strftime("%m-%d", born), 1),
                           else_=0)
    return years - before_birthday


def build_report(kind: ReportKind, title: str, query: ReportQuery, as_at: dt.date,
                 produced_at: dt.datetime | None, author: str,
                 sections: list[ReportSection], notes: list[str],
                 suppression_rule: str | None = None) -> Report:
    """The frozen report, stamped with when (now, unless given) and by whom."""
    return Report(kind=kind, title=title, query=query, as_at=as_at,
                  produced_at=produced_at or dt.datetime.now(dt.UTC),
                  produced_by=author, sections=tuple(sections),
                  notes=(*notes, TEAM_NOTE), suppression_rule=suppression_rule)


def task_categories_of(session: Session) -> dict[tuple[str, str], str]:
    """(task code, catalogue version) → category for every catalogued task, plus
    (code, "") → the category in the newest version that has the code."""
    rows = session.execute(select(TaskType.code, TaskType.catalogue_version, TaskType.category)
                           .order_by(TaskType.catalogue_version))
    mapping: dict[tuple[str, str], str] = {}
    for code, version, category in rows:
        mapping[(code, version)] = category
        mapping[(code, "")] = category  # the newest version wins: rows come oldest first
    return mapping


def category_of(mapping: dict[tuple[str, str], str], code: str, version: str) -> str:
    """The task's category under its own catalogue version, else the newest, else other."""
    return (mapping.get((code, version)) or mapping.get((code, ""))
            or TaskCategory.OTHER.value)


def over_time(title: str, heading: str, keys: Sequence[tuple[str, str]], months: Sequence[str],
              counts: Mapping[tuple[str, str], int], chart_title: str,
              value_axis: str, shorts: Mapping[str, str] | None = None) -> ReportSection:
    """A table of counts: a row per (key, label) with a column per month and a total, a
    totals row, and a stacked bar chart of the months by key (keys with no count left out;
    ``shorts`` gives a key's legend label, else the label's leading words)."""
    rows: list[Row] = []
    series: list[Series] = []
    for key, name in keys:
        values = [counts.get((key, m), 0) for m in months]
        rows.append((label(name), *(count(v) for v in values), count(sum(values))))
        if any(values):
            series.append(Series(name, tuple(float(v) for v in values),
                                 (shorts or {}).get(key, "")))
    totals = [sum(counts.get((key, m), 0) for key, _ in keys) for m in months]
    rows.append((label("Total"), *(count(v) for v in totals), count(sum(totals))))
    month_names = tuple(month_label(m) for m in months)
    chart = Chart(ChartKind.STACKED_BAR, chart_title, month_names, tuple(series), value_axis,
                  **month_axis(months))
    return ReportSection(title, (heading, *month_names, "Total"), tuple(rows), chart,
                         total_rows=1)
