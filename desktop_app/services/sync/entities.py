"""The synced tables as the sync client sees them: wire names, parents, column conversions.

A row travels as ``tracking.row_payload`` makes it (every column by attribute name, dates
and times as ISO text). Applying one from the store turns that text back into column values
and writes it with one SQLite upsert per table (``INSERT ... ON CONFLICT(id) DO UPDATE``, an
update in place, so the RESTRICT foreign keys of existing children are never touched).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from typing import Any

from sqlalchemy import Boolean, ColumnElement, Date, Table
from sqlalchemy.dialects.sqlite import Insert
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Mapper

import desktop_app.models  # noqa: F401  (registers every table)
from desktop_app.models.base import Base, SyncedMixin, UtcDateTime

Converter = Callable[[Any], Any]


def _datetime(value: Any) -> Any:
    if value is None or isinstance(value, dt.datetime):
        return value
    parsed = dt.datetime.fromisoformat(value)
    return parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC)


def _date(value: Any) -> Any:
    if value is None or isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(value)


def _boolean(value: Any) -> Any:
    return None if value is None else bool(value)


def _same(value: Any) -> Any:
    return value


def _converter(column: ColumnElement[Any]) -> Converter:
    if isinstance(column.type, UtcDateTime):
        return _datetime
    if isinstance(column.type, Date):
        return _date
    if isinstance(column.type, Boolean):
        return _boolean
    return _same


@dataclass(frozen=True)
class SyncedEntity:
    """One synced table: its model, columns by attribute name, and its parents."""

    name: str
    model: type[SyncedMixin]
    table: Table
    # (attribute name, column name, converter, value when the row lacks it) for every column.
    columns: tuple[tuple[str, str, Converter, Any], ...]
    # (column name, parent entity name) for every foreign key to another synced table.
    parents: tuple[tuple[str, str], ...]
    order: int

    def values(self, row: dict[str, Any], server_version: int, tombstone: bool
               ) -> dict[str, Any]:
        """Column values for ``row`` as the store holds it at ``server_version``."""
        # A row from an older version of the app may lack a newer column: its default.
        out = {name: convert(row[attr]) if attr in row else missing
               for attr, name, convert, missing in self.columns}
        out["server_version"] = server_version
        out["deleted"] = tombstone
        return out

    @property
    def upsert(self) -> Insert:
        """``INSERT ... ON CONFLICT(id) DO UPDATE SET`` every other column."""
        return _upsert(self.table)


@cache
def _upsert(table: Table) -> Insert:
    stmt = sqlite_insert(table)
    return stmt.on_conflict_do_update(
        index_elements=[table.c.id],
        set_={c.name: stmt.excluded[c.name] for c in table.columns if c.name != "id"})


def _entity(mapper: Mapper[Any], order: int, names: dict[str, str]) -> SyncedEntity:
    table = mapper.local_table
    assert isinstance(table, Table)
    columns = tuple((attr.key, table.c[attr.columns[0].key].name, _converter(attr.columns[0]),
                     _scalar_default(table.c[attr.columns[0].key]))
                    for attr in mapper.column_attrs)
    parents = tuple((fk.parent.name, names[fk.column.table.name])
                    for fk in table.foreign_keys if fk.column.table.name in names)
    model: type[SyncedMixin] = mapper.class_
    return SyncedEntity(_wire_name(model), model, table, columns, parents, order)


def _scalar_default(column: ColumnElement[Any]) -> Any:
    default = getattr(column, "default", None)
    return default.arg if default is not None and default.is_scalar else None


def _wire_name(model: type[SyncedMixin]) -> str:
    return model.__sync_entity__ or str(model.__tablename__)  # type: ignore[attr-defined]


@cache
def synced_entities() -> dict[str, SyncedEntity]:
    """Every synced table by wire name, parents before children (``order``)."""
    mappers = {str(m.persist_selectable.name): m for m in Base.registry.mappers  # type: ignore[attr-defined]
               if issubclass(m.class_, SyncedMixin)}
    names = {table: _wire_name(m.class_) for table, m in mappers.items()}
    ordered = [t.name for t in Base.metadata.sorted_tables if t.name in mappers]
    entities = [_entity(mappers[t], i, names) for i, t in enumerate(ordered)]
    return {e.name: e for e in entities}


def entity(entity_type: str) -> SyncedEntity | None:
    """The synced table for a wire name, or None for a type this version does not know."""
    return synced_entities().get(entity_type)
