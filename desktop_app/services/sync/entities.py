"""The synced tables as the sync client sees them: wire names, parents, column conversions.

A row travels as ``tracking.row_payload`` makes it (every column by attribute name, dates
and times as ISO text). Applying one from the store turns each value straight into the form
SQLAlchemy stores it in on SQLite (times as ``YYYY-MM-DD HH:MM:SS.ffffff`` in UTC, dates as
ISO text, booleans as 0/1, JSON as ``json.dumps`` text) and writes whole pages with one
``INSERT ... ON CONFLICT(id) DO UPDATE`` per table and pattern of empty columns through the
driver (``SyncedEntity.write``): an initial pull of 100,000 records spends its time in
SQLite, not in per-value Python. The update happens in
place, so the RESTRICT foreign keys of existing children are never touched. A test applies
every kind of record of the demo caseload to a fresh vault and compares the stored bytes.
"""

from __future__ import annotations

import datetime as dt
import json
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import cache
from operator import itemgetter
from typing import Any

from sqlalchemy import JSON, Boolean, ColumnElement, Connection, Date, Table
from sqlalchemy.orm import Mapper

import desktop_app.models  # noqa: F401  (registers every table)
from desktop_app.models.base import Base, SyncedMixin, UtcDateTime

Converter = Callable[[Any], Any]
UTC_SUFFIX = "+00:00"


def stored_time(value: dt.datetime) -> str:
    """An aware datetime as SQLAlchemy stores it on SQLite (naive UTC text)."""
    return value.astimezone(dt.UTC).strftime("%Y-%m-%d %H:%M:%S.%f")


def _datetime_text(value: Any) -> Any:
    """ISO text (or a datetime) to SQLAlchemy's naive-UTC storage text; ValueError if bad."""
    if (value.__class__ is str and len(value) in (25, 32) and value[10] == "T"
            and value.endswith(UTC_SUFFIX)):  # already UTC, whole seconds or microseconds
        dt.datetime.fromisoformat(value)  # ValueError unless it is a real time
        base = value[:-len(UTC_SUFFIX)]
        return f"{base[:10]} {base[11:]}" + ("" if len(base) > 19 else ".000000")
    if value is None:
        return None
    parsed = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(value)
    return stored_time(parsed if parsed.tzinfo else parsed.replace(tzinfo=dt.UTC))


def _date_text(value: Any) -> Any:
    if value is None:
        return None
    if isinstance(value, dt.date):
        return value.isoformat()
    return dt.date.fromisoformat(value).isoformat()


def _boolean(value: Any) -> Any:
    return None if value is None else (1 if value else 0)


def _json_text(value: Any) -> str:
    return json.dumps(value)  # what SQLAlchemy's JSON type stores (None is 'null')


def _converter(column: ColumnElement[Any]) -> Converter | None:
    """How a wire value becomes the stored one; None when it is stored as it comes (text,
    numbers; anything else there is refused by the driver and the row held back)."""
    if isinstance(column.type, UtcDateTime):
        return _datetime_text
    if isinstance(column.type, Date):
        return _date_text
    if isinstance(column.type, Boolean):
        return _boolean
    if isinstance(column.type, JSON):
        return _json_text
    return None


def _default(column: ColumnElement[Any], convert: Converter | None) -> Any:
    """The stored value for a column a row lacks (a row from an older version of the app)."""
    default = getattr(column, "default", None)
    value = None
    if default is not None and default.is_scalar:
        value = default.arg
    elif default is not None and convert is _json_text:  # list or dict: an empty one
        value = default.arg(None)
    if convert is None or (value is None and convert is not _json_text):
        return value
    return convert(value)


@dataclass(frozen=True)
class SyncedEntity:
    """One synced table: its model, columns by attribute name, parents and upsert."""

    name: str
    model: type[SyncedMixin]
    table: Table
    # (attribute name, stored value when the row lacks it), in column order.
    columns: tuple[tuple[str, Any], ...]
    # (index, attribute name, converter) of the columns not stored as they come.
    converted: tuple[tuple[int, str, Converter], ...]
    # (index of the column in a stored row, parent entity name) for each foreign key.
    parents: tuple[tuple[int, str], ...]
    order: int
    upsert_sql: str
    server_version_at: int
    deleted_at: int
    id_at: int
    # Every column's value from a row, in column order (KeyError if one is missing).
    take_all: Callable[[dict[str, Any]], tuple[Any, ...]]

    def stored_row(self, row: dict[str, Any], server_version: int, tombstone: bool
                   ) -> list[Any]:
        """The row's values as stored, in column order, at ``server_version``."""
        try:
            out = list(self.take_all(row))  # every column there: one C call
        except KeyError:  # a row from an older version of the app lacks a newer column
            get = row.get
            out = [get(attr, missing) for attr, missing in self.columns]
            for at, attr, convert in self.converted:
                if attr in row:
                    out[at] = convert(row[attr])
        else:
            for at, _attr, convert in self.converted:
                out[at] = convert(out[at])
        out[self.server_version_at] = server_version
        out[self.deleted_at] = 1 if tombstone else 0
        return out

    def write(self, conn: Connection, rows: list[list[Any]], *, new: bool = False) -> None:
        """Upsert stored rows: one executemany through the driver for each pattern of empty
        columns among them; ``new`` rows, known not to be here, take a plain INSERT (a
        quarter cheaper than the upsert).

        An empty column is written as the literal ``NULL`` of a statement of its pattern,
        never bound: sqlcipher3 binds ``None`` through its adaptation lookup, which cost
        several microseconds a value, four fifths of writing a person row (20,000 synced
        person rows into a bare table: 2.2 s with ``None`` bound, 0.45 s without, on the
        same loaded 2-core machine). A page has few patterns (a row's
        optional fields are mostly all empty or all filled), each statement is prepared
        once, and the values are the same: the rows stored are byte for byte the same."""
        by_shape: dict[tuple[bool, ...], list[list[Any]]] = {}
        for row in rows:
            shape = tuple([value is None for value in row])
            found = by_shape.get(shape)
            if found is None:
                by_shape[shape] = [row]
            else:
                found.append(row)
        for shape, group in by_shape.items():
            sql, take = _statement(self.table.name, self.upsert_sql, shape, new)
            conn.exec_driver_sql(sql, [take(row) for row in group])


def _no_values(_row: list[Any]) -> tuple[Any, ...]:
    return ()


@cache
def _statement(table: str, upsert_sql: str, shape: tuple[bool, ...], new: bool
               ) -> tuple[str, Callable[[list[Any]], tuple[Any, ...]]]:
    """The INSERT (or upsert) for rows whose empty columns are ``shape`` (True: NULL), and
    what takes the bound values, the others, from a stored row. ``table`` keys the cache."""
    head, _values, tail = re.split(r"( VALUES \([?, ]*\))", upsert_sql, maxsplit=1)
    values = ", ".join("NULL" if empty else "?" for empty in shape)
    sql = f"{head} VALUES ({values}){'' if new else tail}"
    kept = [at for at, empty in enumerate(shape) if not empty]
    if not kept:
        return sql, _no_values
    if len(kept) == 1:
        only = kept[0]
        return sql, lambda row: (row[only],)
    return sql, itemgetter(*kept)


def _upsert_sql(table: Table, names: list[str]) -> str:
    quoted = [f'"{n}"' for n in names]
    updates = ", ".join(f"{q} = excluded.{q}" for q in quoted if q != '"id"')
    return (f'INSERT INTO "{table.name}" ({", ".join(quoted)}) '
            f'VALUES ({", ".join("?" for _ in names)}) '
            f'ON CONFLICT ("id") DO UPDATE SET {updates}')


def _entity(mapper: Mapper[Any], order: int, wire_names: dict[str, str]) -> SyncedEntity:
    table = mapper.local_table
    assert isinstance(table, Table)
    names, columns, converted = [], [], []
    for at, attr in enumerate(mapper.column_attrs):
        column = table.c[attr.columns[0].key]
        convert = _converter(column)
        names.append(column.name)
        columns.append((attr.key, _default(column, convert)))
        if convert is not None:
            converted.append((at, attr.key, convert))
    parents = tuple((names.index(fk.parent.name), wire_names[fk.column.table.name])
                    for fk in table.foreign_keys if fk.column.table.name in wire_names)
    model: type[SyncedMixin] = mapper.class_
    return SyncedEntity(_wire_name(model), model, table, tuple(columns), tuple(converted),
                        parents, order, _upsert_sql(table, names), names.index("server_version"),
                        names.index("deleted"), names.index("id"),
                        itemgetter(*(attr for attr, _missing in columns)))


def _wire_name(model: type[SyncedMixin]) -> str:
    return model.__sync_entity__ or str(model.__tablename__)  # type: ignore[attr-defined]


@cache
def synced_entities() -> dict[str, SyncedEntity]:
    """Every synced table by wire name, parents before children (``order``)."""
    mappers = {str(m.persist_selectable.name): m  # type: ignore[attr-defined]
               for m in Base.registry.mappers if issubclass(m.class_, SyncedMixin)}
    wire_names = {table: _wire_name(m.class_) for table, m in mappers.items()}
    ordered = [t.name for t in Base.metadata.sorted_tables if t.name in mappers]
    entities = [_entity(mappers[t], i, wire_names) for i, t in enumerate(ordered)]
    return {e.name: e for e in entities}


def entity(entity_type: str) -> SyncedEntity | None:
    """The synced table for a wire name, or None for a type this version does not know."""
    return synced_entities().get(entity_type)
