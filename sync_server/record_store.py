"""The push's reads and writes, a few statements per batch.

A push first locks its team's row of ``team_version_counter`` (held until commit): a team's
pushes run one after another and hand out its versions in commit order; other teams' pushes
lock other rows and run alongside. Two teams can still collide on the store's global unique
keys (a record id, an idempotency key) only by mistake or malice: the unique index then
stops the later one, which ``attempt`` turns into ``RaceLost`` after rolling back to the
batch's savepoint, and the push answers the batch again from what is now committed.

On PostgreSQL a batch's keys and ids go as arrays (``= ANY(...)``); its new records and
applied changes are written with COPY and its changed records with one UPDATE: a thousand
single-row statements would cost most of the throughput (design.md, "Batching"). The SQLite
trial takes the plain road through SQLAlchemy Core (SQLite and PostgreSQL are the only
databases the store runs on). Rows are written as the JSON text the push already made for
hashing, never encoded twice.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from typing import Any

import psycopg.errors
from sqlalchemy import func, select, update
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.orm import Session

from sync_server.models import AppliedChange, Record, TeamVersionCounter, VersionCounter

Key = tuple[str, str]  # (entity_type, id)


@dataclass(slots=True)
class StoredRecord:
    """What the push needs to know of a stored record (its row is fetched only on conflict)."""

    team_id: str
    server_version: int
    tombstone: bool
    device_id: str


@dataclass(slots=True)
class RecordWrite:
    """A record's new state: ``row_json`` is the row's JSON text; ``new`` if not yet stored."""

    entity_type: str
    id: str
    server_version: int
    row_json: str
    tombstone: bool
    new: bool


@dataclass(slots=True)
class AppliedWrite:
    """An applied change to remember under its idempotency key."""

    idempotency_key: str
    content_hash: str
    entity_type: str
    record_id: str
    server_version: int


def applied_answer(key: str, server_version: int) -> dict[str, Any]:
    """The answer to a change applied as ``server_version`` (and, under ``original``, to
    every resend of it)."""
    return {"idempotency_key": key, "status": "applied", "server_version": server_version}


def _is_postgres(session: Session) -> bool:
    return session.get_bind().dialect.name == "postgresql"


@dataclass(slots=True)
class BatchState:
    """What a batch is answered from, read under its team's counter lock: the counter's
    value, each of its keys applied before (content hash, first answer) and each of its
    records already stored."""

    counter: int
    seen: dict[str, tuple[str, dict[str, Any]]]
    stored: dict[Key, StoredRecord]


class RaceLost(Exception):
    """Another team's push committed the same record id or idempotency key first."""


@contextmanager
def attempt(session: Session) -> Iterator[None]:
    """One try at a batch: on PostgreSQL inside a savepoint, rolled back (with the team lock
    taken inside it) and turned into ``RaceLost`` when a global unique key was taken by
    another team's push meanwhile, or two such pushes deadlocked on their keys. The SQLite
    trial runs one writer at a time, so it never races."""
    if not _is_postgres(session):
        yield
        return
    raw = session.connection().connection.driver_connection
    assert raw is not None
    raw.execute("SAVEPOINT push_batch")
    try:
        yield
    except (psycopg.errors.UniqueViolation, psycopg.errors.DeadlockDetected) as exc:
        raw.execute("ROLLBACK TO SAVEPOINT push_batch")
        raise RaceLost from exc


_PG_LOCK = "SELECT value FROM team_version_counter WHERE team_id = %(team)s FOR UPDATE"
# A team without a counter row (made by something other than admin.create_team) gets one
# above every version it or the old global counter ever handed out.
_PG_NEW_COUNTER = """
INSERT INTO team_version_counter (team_id, value)
SELECT %(team)s::varchar, GREATEST(
    (SELECT COALESCE(max(server_version), 0) FROM record WHERE team_id = %(team)s::varchar),
    (SELECT COALESCE(max(value), 0) FROM version_counter))
ON CONFLICT (team_id) DO NOTHING
"""
_PG_SEEN = ("SELECT idempotency_key, content_hash, server_version FROM applied_change "
            "WHERE idempotency_key = ANY(%(keys)b::varchar[])")
_PG_STORED = ("SELECT entity_type, id, team_id, server_version, tombstone, device_id FROM record "
              "WHERE id = ANY(%(ids)b::varchar[])")


def read_state(session: Session, team_id: str, keys: list[str], ids: list[str]) -> BatchState:
    """Take the team's counter row lock for this transaction (held until commit), then
    read the batch's keys and records, as the lock leaves them."""
    if not _is_postgres(session):
        counter = _sqlite_counter(session, team_id)
        return BatchState(counter, _sqlite_seen(session, keys), _sqlite_stored(session, ids))
    raw = session.connection().connection.driver_connection
    assert raw is not None
    # One round trip: PostgreSQL runs the statements in order, so both lookups see what the
    # pushes before this one committed. Binary parameters: psycopg's text format would
    # escape every key one by one. The lookups go by index: a batch probes at most a few
    # thousand keys, which an index finds in a couple of milliseconds whatever the table's
    # size, but a young store's planner reads the whole table instead (seen: 9 ms a lookup
    # at 30,000 rows, growing with the table until the planner switches).
    with (raw.pipeline(), raw.cursor(binary=True) as lock, raw.cursor(binary=True) as seen,
          raw.cursor(binary=True) as stored):
        raw.execute("SET LOCAL enable_seqscan = off")
        lock.execute(_PG_LOCK, {"team": team_id})
        seen.execute(_PG_SEEN, {"keys": keys})
        stored.execute(_PG_STORED, {"ids": ids})
        counter = lock.fetchone()
        seen_rows, stored_rows_ = seen.fetchall(), stored.fetchall()
    if counter is None:  # no row to lock, so nothing was read under a lock: again, with one
        raw.execute(_PG_NEW_COUNTER, {"team": team_id})
        return read_state(session, team_id, keys, ids)
    return BatchState(int(counter[0]), _seen(seen_rows), _stored(stored_rows_))


def _sqlite_counter(session: Session, team_id: str) -> int:
    """The team's counter on the SQLite trial (its write lock is already held: BEGIN
    IMMEDIATE), made as ``_PG_NEW_COUNTER`` makes it if missing."""
    value = session.scalar(select(TeamVersionCounter.value)
                           .where(TeamVersionCounter.team_id == team_id))
    if value is None:
        value = last_version(session, team_id)
        session.add(TeamVersionCounter(team_id=team_id, value=value))
        session.flush()
    return value


def last_version(session: Session, team_id: str) -> int:
    """The last version the team was handed: its counter row, or, for a team without one
    (which its next push makes, as ``_PG_NEW_COUNTER`` says), above every version it or the
    old global counter ever handed out."""
    value = session.scalar(select(TeamVersionCounter.value)
                           .where(TeamVersionCounter.team_id == team_id))
    if value is not None:
        return int(value)
    return max(session.scalar(select(func.max(Record.server_version))
                              .where(Record.team_id == team_id)) or 0,
               session.scalar(select(func.max(VersionCounter.value))) or 0)


def _seen(rows: Iterable[Any]) -> dict[str, tuple[str, dict[str, Any]]]:
    return {key: (digest, applied_answer(key, version)) for key, digest, version in rows}


def _stored(rows: Iterable[Any]) -> dict[Key, StoredRecord]:
    return {(e, i): StoredRecord(t, v, bool(d), dev) for e, i, t, v, d, dev in rows}


def _sqlite_seen(session: Session, keys: list[str]) -> dict[str, tuple[str, dict[str, Any]]]:
    return _seen(session.execute(
        select(AppliedChange.idempotency_key, AppliedChange.content_hash,
               AppliedChange.server_version)
        .where(AppliedChange.idempotency_key.in_(keys)))) if keys else {}


def _sqlite_stored(session: Session, ids: list[str]) -> dict[Key, StoredRecord]:
    return _stored(session.execute(
        select(Record.entity_type, Record.id, Record.team_id, Record.server_version,
               Record.tombstone, Record.device_id)
        .where(Record.id.in_(ids)))) if ids else {}


def stored_rows(session: Session, keys: list[Key]) -> dict[Key, dict[str, Any]]:
    """The stored rows of these records (for conflict answers)."""
    if not keys:
        return {}
    query = select(Record.entity_type, Record.id, Record.row).where(
        Record.id.in_([record_id for _, record_id in keys]))
    wanted = set(keys)
    return {(e, i): row for e, i, row in session.execute(query) if (e, i) in wanted}


# Every push holds its team's counter lock, so whether one of the team's records exists
# cannot change under it (another team creating the same id is the race ``attempt`` handles):
# new records are COPYed in (PostgreSQL's fastest way in), stored ones updated
# from parallel arrays in one statement. Each row goes as its own text, cast to json: a row
# nested inside one JSON document would be parsed again, and a NUL (\u0000) in any of its
# strings then fails the whole batch, though the json type keeps one as it is.
_PG_CHANGED_RECORDS = """
UPDATE record SET server_version = u.v, row = u.r::json, tombstone = u.t,
                  updated_at = %(now)s, device_id = %(device)s
FROM unnest(%(ids)b::varchar[], %(types)b::varchar[], %(versions)b::bigint[],
            %(tombstones)b::boolean[], %(rows)b::text[]) AS u(i, e, v, t, r)
WHERE record.id = u.i AND record.entity_type = u.e AND record.team_id = %(team)s
"""


def _changed(records: list[RecordWrite]) -> dict[str, list[Any]]:
    return {"ids": [r.id for r in records], "types": [r.entity_type for r in records],
            "versions": [r.server_version for r in records],
            "tombstones": [r.tombstone for r in records],
            "rows": [r.row_json for r in records]}


def _copy_field(text: str) -> str:
    """``text`` as a field of COPY's text format. JSON from the codec has no raw control
    characters (JSON escapes them), so usually only its backslashes need doubling."""
    text = text.replace("\\", "\\\\")
    if "\n" in text or "\r" in text or "\t" in text:
        text = text.replace("\n", "\\n").replace("\r", "\\r").replace("\t", "\\t")
    return text


def _pg_write(session: Session, team_id: str, device_id: str, now: dt.datetime,
              records: list[RecordWrite], applied: list[AppliedWrite], counter: int) -> None:
    raw = session.connection().connection.driver_connection
    assert raw is not None
    # The columns are plain timestamps holding UTC (models.UtcDateTime), as the ORM stores.
    utc = now.astimezone(dt.UTC).replace(tzinfo=None)
    when = utc.isoformat(sep=" ")
    changed = [r for r in records if not r.new]
    # COPY's text format is written in one piece rather than field by field (a quarter of
    # the batch's time in the store, measured), since every other push of the team waits
    # on its counter's lock meanwhile. Ids are canonical UUIDs, entity types come from
    # the allow-list and idempotency keys match a plain pattern (schemas.ChangeIn), so
    # only the rows' JSON needs escaping.
    new_rows = "".join(
        f"{r.id}\t{r.entity_type}\t{team_id}\t{r.server_version}\t{_copy_field(r.row_json)}\t"
        f"{'t' if r.tombstone else 'f'}\t{when}\t{device_id}\n" for r in records if r.new)
    keys = "".join(
        f"{a.idempotency_key}\t{a.content_hash}\t{team_id}\t{device_id}\t{a.entity_type}\t"
        f"{a.record_id}\t{a.server_version}\t{when}\n" for a in applied)
    with raw.cursor(binary=True) as cursor:
        if new_rows:
            with cursor.copy("COPY record (id, entity_type, team_id, server_version, row, "
                             "tombstone, updated_at, device_id) FROM STDIN") as copy:
                copy.write(new_rows)
        if changed:
            cursor.execute(_PG_CHANGED_RECORDS, {"team": team_id, "device": device_id,
                                                 "now": utc, **_changed(changed)})
        with cursor.copy("COPY applied_change (idempotency_key, content_hash, team_id, "
                         "device_id, entity_type, record_id, server_version, applied_at) "
                         "FROM STDIN") as copy:
            copy.write(keys)
        cursor.execute("UPDATE team_version_counter SET value = %s WHERE team_id = %s",
                       (counter, team_id))


def write(session: Session, team_id: str, device_id: str, now: dt.datetime,
          records: list[RecordWrite], applied: list[AppliedWrite], counter: int) -> None:
    """Store the records' new states, remember the applied keys, and store ``counter`` as
    the team's last version handed out."""
    if _is_postgres(session):
        _pg_write(session, team_id, device_id, now, records, applied, counter)
    else:
        _write_sqlite(session, team_id, device_id, now, records, applied)
        session.execute(update(TeamVersionCounter)
                        .where(TeamVersionCounter.team_id == team_id).values(value=counter))


def _write_sqlite(session: Session, team_id: str, device_id: str, now: dt.datetime,
                    records: list[RecordWrite], applied: list[AppliedWrite]) -> None:
    upsert = sqlite_insert(Record)
    upsert = upsert.on_conflict_do_update(
        index_elements=[Record.id, Record.entity_type],
        set_={c: upsert.excluded[c] for c in
              ("server_version", "row", "tombstone", "updated_at", "device_id")})
    session.execute(upsert, [
        {"id": r.id, "entity_type": r.entity_type, "team_id": team_id,
         "server_version": r.server_version, "row": json.loads(r.row_json),
         "tombstone": r.tombstone, "updated_at": now, "device_id": device_id}
        for r in records])
    session.execute(sqlite_insert(AppliedChange), [
        {"idempotency_key": a.idempotency_key, "content_hash": a.content_hash,
         "team_id": team_id, "device_id": device_id, "entity_type": a.entity_type,
         "record_id": a.record_id, "server_version": a.server_version, "applied_at": now}
        for a in applied])
