"""Applying pulled changes: one local transaction per page, never through the outbox.

Rows are written through the driver (``SyncedEntity.write``), so tracking's hooks (which
run on ORM flushes, and are also switched off by ``session.info[APPLYING_REMOTE]``) write no
outbox row: a change that came from the store never goes back to it. Audit events
(``audit_received``) go in the same transaction as the rows and the new cursor.

What is not applied, and why:

- **Unsent local edits win for now (deferred).** A row with a pending or quarantined
  outbox entry, or an open conflict, is not overwritten. Its pending entry still carries
  the old base, so when it is pushed the store answers ``conflict`` with its newest row,
  and the person chooses. For a row already in an open conflict, "theirs" is refreshed
  to the newer version so the choice is between the latest two.
- **Nothing older replaces something newer.** A row whose local ``server_version`` is at
  or beyond the pulled one (this laptop's own pushes come back in pulls) is left alone —
  except in a resync after the store was restored from a backup, when version numbers may
  have been handed out twice and every row without unsent edits is taken as the store has it.
- **Held back, with the reason, and tried again after every page.** A row whose parent
  record (a person, a delegation) has not arrived yet — a pull returns each record at its
  latest version, so a child can come a page before its edited parent — and a row that
  breaks a rule of this laptop's database (two people with one NHS number) wait in
  ``sync_held_back``. Nothing is lost: the row stays there until it can be applied or a
  newer version replaces it.
"""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterable
from dataclasses import dataclass, field
from operator import itemgetter
from typing import Any, NamedTuple

from sqlalchemy import Connection, Table, bindparam, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import DBAPIError, IntegrityError, InterfaceError, ProgrammingError
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditAction
from desktop_app.models.base import new_uuid, utc_now
from desktop_app.models.outbox import OutboxEntry, OutboxState
from desktop_app.models.sync import HeldBackChange, SyncConflict
from desktop_app.services.core.audit import Actor, chain_hasher, event_hash, last_hash
from desktop_app.services.sync.entities import (
    SyncedEntity,
    entity,
    stored_time,
    synced_entities,
)
from desktop_app.services.sync.errors import SyncProtocolError
from desktop_app.services.sync.state import state_row

Key = tuple[str, str]
HELD_BACK: Table = HeldBackChange.__table__  # type: ignore[assignment]
PAGE_ENTITY = "sync_page"
UNKNOWN_TYPE = "a kind of record this version of the app does not know; update the app"


class RemoteChange(NamedTuple):
    """One record as the store holds it (a named tuple: a page makes thousands)."""

    entity_type: str
    entity_id: str
    server_version: int
    row: dict[str, Any]
    tombstone: bool

    @property
    def key(self) -> Key:
        """(entity type, id)."""
        return self.entity_type, self.entity_id


@dataclass
class PageTally:
    """What applying one page did."""

    applied: int = 0
    deferred: int = 0
    held_back: int = 0
    skipped: int = 0
    applied_keys: list[Key] = field(default_factory=list)


def parse_changes(raw: list[Any]) -> list[RemoteChange]:
    """The page's changes, checked for shape (the store guarantees it; a proxy may not)."""
    try:
        out = [RemoteChange(c["entity_type"], c["id"], c["server_version"], c["row"],
                            c["tombstone"]) for c in raw]
    except (KeyError, TypeError) as err:
        raise SyncProtocolError("A page from the central store could not be read.") from err
    for c in out:
        if not (type(c.entity_type) is str and type(c.entity_id) is str
                and type(c.server_version) is int and type(c.row) is dict
                and type(c.tombstone) is bool):
            raise SyncProtocolError("A page from the central store could not be read.")
    return out


def _ids_by_type(changes: Iterable[RemoteChange]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for c in changes:
        grouped.setdefault(c.entity_type, []).append(c.entity_id)
    return grouped


def _unsent(session: Session) -> set[Key]:
    """Rows with a change not yet accepted by the store (pending or quarantined): usually
    few, so read whole rather than looked up page by page."""
    waiting = (OutboxState.PENDING.value, OutboxState.QUARANTINED.value)
    return {(t, i) for t, i in session.execute(
        select(OutboxEntry.entity_type, OutboxEntry.entity_id)
        .where(OutboxEntry.state.in_(waiting)))}


def _open_conflicts(session: Session) -> dict[Key, SyncConflict]:
    return {(c.entity_type, c.entity_id): c for c in session.scalars(
        select(SyncConflict).where(SyncConflict.resolved_at.is_(None)))}


def _ids_here(session: Session, table: Table, ids: Iterable[str]
              ) -> list[tuple[str, int | None]]:
    """(id, server_version) of those ``ids`` this vault holds in ``table``.

    The ids go to SQLite as one JSON array (``json_each``): a page's 5,000 ids as bound
    parameters of an expanding ``IN`` cost SQLAlchemy more than the lookup itself.
    """
    found = session.connection().exec_driver_sql(
        f'SELECT id, server_version FROM "{table.name}" '  # the table name is our own
        "WHERE id IN (SELECT value FROM json_each(?))", (json.dumps(list(ids)),))
    return [(row_id, version) for row_id, version in found]


def _local_versions(session: Session, grouped: dict[str, list[str]]) -> dict[Key, int | None]:
    found: dict[Key, int | None] = {}
    for entity_type, ids in grouped.items():
        synced = entity(entity_type)
        if synced is not None:
            found.update(((entity_type, row_id), version)
                         for row_id, version in _ids_here(session, synced.table, ids))
    return found


def _existing_ids(session: Session, wanted: dict[str, set[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {name: set() for name in wanted}
    for name, ids in wanted.items():
        synced = entity(name)
        if synced is not None and ids:
            found[name].update(row_id for row_id, _v in _ids_here(session, synced.table, ids))
    return found


class _Page:
    """One page's changes on their way into the vault."""

    def __init__(self, session: Session, changes: list[RemoteChange], resync: bool) -> None:
        self.session = session
        self.resync = resync
        latest: dict[Key, RemoteChange] = {}
        for c in changes:
            key = (c.entity_type, c.entity_id)
            seen = latest.get(key)
            if seen is None or seen.server_version < c.server_version:
                latest[key] = c
        self.changes = list(latest.values())
        self.tally = PageTally()
        self.held: list[tuple[RemoteChange, str]] = []
        self.ready: list[tuple[SyncedEntity, RemoteChange, list[Any]]] = []
        self.existing: set[Key] = set()

    def sort_out(self) -> None:
        """Decide for each change: defer, skip, hold back or make ready to write."""
        unsent = _unsent(self.session)
        conflicts = _open_conflicts(self.session)
        local = _local_versions(self.session, _ids_by_type(self.changes))
        self.existing = set(local)
        candidates = []
        known = synced_entities()
        for c in self.changes:
            key = (c.entity_type, c.entity_id)  # built once: a page has thousands
            synced = known.get(c.entity_type)
            here = local.get(key)
            if synced is None:
                self.held.append((c, UNKNOWN_TYPE))
            elif key in conflicts:
                _refresh_theirs(conflicts[key], c)
                self.tally.deferred += 1
            elif key in unsent:
                self.tally.deferred += 1
            elif not self.resync and here is not None and here >= c.server_version:
                self.tally.skipped += 1
            else:
                candidates.append((synced, c))
        self._check_parents(candidates)

    def _check_parents(self, candidates: list[tuple[SyncedEntity, RemoteChange]]) -> None:
        converted = []
        # Parents first; a page comes in version order and the sort keeps it within a table.
        if len({synced.order for synced, _c in candidates}) > 1:
            candidates = sorted(candidates, key=lambda sc: sc[0].order)
        for synced, c in candidates:
            try:
                stored = synced.stored_row(c.row, c.server_version, c.tombstone)
            except (TypeError, ValueError, IndexError):
                self.held.append((c, "a value in it could not be read"))
                continue
            converted.append((synced, c, stored))
        wanted: dict[str, set[str]] = {}
        for synced, _c, stored in converted:
            for at, parent in synced.parents:
                if stored[at] is not None:
                    wanted.setdefault(parent, set()).add(stored[at])
        available = _existing_ids(self.session, wanted)
        for synced, c, stored in converted:
            if synced.parents:
                missing = [parent for at, parent in synced.parents if stored[at] is not None
                           and stored[at] not in available.get(parent, ())]
                if missing:
                    self.held.append((c, f"waiting for its {missing[0].replace('_', ' ')} "
                                         "record"))
                    continue
            if synced.name in wanted:  # a parent of a later row of the page
                available[synced.name].add(c.entity_id)
            self.ready.append((synced, c, stored))

    def write(self, careful: bool) -> None:
        """All ready rows in one go. ``careful``: each row under a savepoint, so one that
        breaks a local rule is held back alone; otherwise such a row raises ``PageNeedsCare``
        (the caller rolls the page back and applies it again carefully). Savepoints cost a
        copy of every page they touch, so pages are written plainly first."""
        conn = self.session.connection()
        written = []
        if not careful:
            try:
                for synced, group, new in _grouped(self.ready, self.existing):
                    synced.write(conn, group, new=new)
            except ROW_REFUSED as err:  # a local rule, or a value the driver cannot store
                raise PageNeedsCare() from err
            written = self.ready
        else:
            for synced, c, stored in self.ready:
                try:
                    with conn.begin_nested():
                        synced.write(conn, [stored], new=c.key not in self.existing)
                    written.append((synced, c, stored))
                except ROW_REFUSED as err:
                    self.held.append((c, _why_refused(err)))
        self.tally.applied = len(written)
        self.tally.applied_keys = [(c.entity_type, c.entity_id) for _s, c, _v in written]


class PageNeedsCare(Exception):
    """A row of the page breaks a rule of this vault: apply the page again row by row."""


# What one row can cause (a disk that is full or read-only is not the row's fault: it
# propagates as a storage error).
ROW_REFUSED = (IntegrityError, InterfaceError, ProgrammingError)


def _why_refused(err: DBAPIError) -> str:
    if isinstance(err, IntegrityError):
        rule = str(err.orig).split(":", 1)[0] if err.orig else "a rule"
        return f"breaks a rule on this laptop ({rule.lower()})"
    return "a value in it cannot be stored on this laptop"


def _grouped(ready: list[tuple[SyncedEntity, RemoteChange, list[Any]]], existing: set[Key]
             ) -> list[tuple[SyncedEntity, list[list[Any]], bool]]:
    """Rows by table, parents' tables first, new rows apart from ones already here; within
    a group in id order, which keeps the primary key's B-tree inserts local (a fifth faster
    on a first pull)."""
    groups: dict[tuple[int, bool], tuple[SyncedEntity, list[list[Any]], bool]] = {}
    for synced, c, stored in ready:
        new = (c.entity_type, c.entity_id) not in existing
        groups.setdefault((synced.order, new), (synced, [], new))[1].append(stored)
    for synced, rows, _new in groups.values():
        rows.sort(key=itemgetter(synced.id_at))
    return [groups[k] for k in sorted(groups)]


def _refresh_theirs(conflict: SyncConflict, change: RemoteChange) -> None:
    if change.server_version > conflict.theirs_server_version:
        conflict.theirs = change.row
        conflict.theirs_tombstone = change.tombstone
        conflict.theirs_server_version = change.server_version


def _update_held_back(session: Session, page: _Page) -> None:
    """Drop held-back rows that a newer version applied now replaces; hold the new ones."""
    conn = session.connection()
    t = HELD_BACK
    if page.tally.applied and session.scalar(select(t.c.entity_id).limit(1)) is not None:
        versions = {c.key: c.server_version for c in page.changes}
        conn.execute(delete(t).where(t.c.entity_type == bindparam("b_type"),
                                     t.c.entity_id == bindparam("b_id"),
                                     t.c.server_version <= bindparam("b_v")),
                     [{"b_type": k[0], "b_id": k[1], "b_v": versions[k]}
                      for k in page.tally.applied_keys])
    page.tally.held_back = len(page.held)
    if not page.held:
        return
    now = utc_now()
    stmt = sqlite_insert(t)
    stmt = stmt.on_conflict_do_update(
        index_elements=[t.c.entity_type, t.c.entity_id],
        set_={name: stmt.excluded[name]
              for name in ("server_version", "row", "tombstone", "reason", "held_at")},
        where=t.c.server_version <= stmt.excluded.server_version)
    conn.execute(stmt, [{"entity_type": c.entity_type, "entity_id": c.entity_id,
                         "server_version": c.server_version, "row": c.row,
                         "tombstone": c.tombstone, "reason": reason, "held_at": now}
                        for c, reason in page.held])


def apply_changes(session: Session, actor: Actor, changes: list[RemoteChange],
                  resync: bool = False, careful: bool = True) -> PageTally:
    """Apply remote changes in the caller's transaction (module docstring for the rules);
    without ``careful``, a row breaking a local rule raises ``PageNeedsCare``."""
    page = _Page(session, changes, resync)
    page.sort_out()
    page.write(careful)
    _update_held_back(session, page)
    changed = [k for k in page.tally.applied_keys if k in page.existing]
    arrived = len(page.tally.applied_keys) - len(changed)
    if arrived:  # records new to this laptop: one event for the page (see audit_received)
        changed.append((PAGE_ENTITY, new_uuid()))
    audit_received(session.connection(), actor, changed)
    return page.tally


_AUDIT_INSERT = ("INSERT INTO audit_event (id, at, user_id, device_id, entity_type, entity_id,"
                 " action, prev_hash, hash) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")


def audit_received(conn: Connection, actor: Actor, keys: list[Key]) -> None:
    """``sync_received`` events, chained like every other (``audit.event_hash``, keyed with
    the connection's audit key), stamped with the moment the page was applied and inserted
    in one go.

    A record this laptop already held and the store changed gets an event of its own (what
    someone may have seen here changed under them). Records new to the laptop get one event
    for the page (entity ``sync_page``): an event per record made a first sync of 100,000
    records a fifth slower, and each new row carries its author, device and time itself.
    """
    if not keys:
        return
    hasher = chain_hasher(conn)
    at = utc_now()
    at_text = stored_time(at)
    prev = last_hash(conn)
    action = AuditAction.SYNC_RECEIVED.value
    rows = []
    for entity_type, entity_id in keys:
        event_id = str(uuid.uuid4())
        digest = event_hash(prev, event_id, at, actor.user_id, actor.device_id, entity_type,
                            entity_id, action, hasher)
        rows.append((event_id, at_text, actor.user_id, actor.device_id, entity_type,
                     entity_id, action, prev, digest))
        prev = digest
    conn.exec_driver_sql(_AUDIT_INSERT, rows)


def retry_held_back(session: Session, actor: Actor, resync: bool = False) -> PageTally:
    """Try every held-back row again (after a page brought parents, say)."""
    held = session.scalars(select(HeldBackChange)).all()
    if not held:
        return PageTally()
    changes = [RemoteChange(h.entity_type, h.entity_id, h.server_version, h.row, h.tombstone)
               for h in held]
    session.execute(delete(HeldBackChange))
    return apply_changes(session, actor, changes, resync)


@dataclass(frozen=True)
class FetchedPage:
    """One page from the store, read and checked."""

    changes: list[RemoteChange]
    next_cursor: int
    has_more: bool


def read_page(body: bytes) -> FetchedPage:
    """A page's body, decoded and checked.

    Called on the database thread, not beside it: the page after this one is meanwhile on
    its way over the network (which leaves the interpreter free), but Python work running
    beside the driver's ``executemany`` makes it wait for the interpreter row by row, which
    made a first pull of 100,000 records about a quarter slower.
    """
    try:
        raw = json.loads(body)
    except ValueError as err:
        raise SyncProtocolError("A page from the central store could not be read.") from err
    if not (isinstance(raw, dict) and isinstance(raw.get("changes"), list)
            and isinstance(raw.get("next_cursor"), int)):
        raise SyncProtocolError("A page from the central store could not be read.")
    return FetchedPage(parse_changes(raw["changes"]), raw["next_cursor"],
                       bool(raw.get("has_more")))


def apply_page(session: Session, actor: Actor, page: FetchedPage, careful: bool = False
               ) -> PageTally:
    """One pulled page, the new cursor, and another try for held-back rows: one transaction.
    Raises ``PageNeedsCare`` (roll back, then call again with ``careful``) if a row breaks
    a rule of this vault."""
    state = state_row(session)
    tally = apply_changes(session, actor, page.changes, state.resync, careful)
    if tally.applied and session.scalar(select(HeldBackChange.entity_id).limit(1)):
        tally.applied += retry_held_back(session, actor, state.resync).applied
    state.pull_cursor = page.next_cursor
    if not page.has_more:
        state.resync = False
    return tally
