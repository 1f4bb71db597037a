"""Applying pulled changes: one local transaction per page, never through the outbox.

Rows are written with Core upserts, so tracking's hooks (which run on ORM flushes, and are
also switched off by ``session.info[APPLYING_REMOTE]``) write no outbox row: a change that
came from the store never goes back to it. Each applied row gets one audit event
(``sync_received``), chained like every other, in the same transaction as the row and the
new cursor.

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

from collections.abc import Iterable
from dataclasses import dataclass, field
from typing import Any

from sqlalchemy import Table, bindparam, delete, select
from sqlalchemy.dialects.sqlite import insert as sqlite_insert
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditAction
from desktop_app.models.base import utc_now
from desktop_app.models.outbox import OutboxEntry, OutboxState
from desktop_app.models.sync import HeldBackChange, SyncConflict
from desktop_app.services.audit import Actor, append_events
from desktop_app.services.sync.entities import SyncedEntity, entity, synced_entities
from desktop_app.services.sync.errors import SyncProtocolError
from desktop_app.services.sync.push import chunks
from desktop_app.services.sync.state import state_row

Key = tuple[str, str]
HELD_BACK: Table = HeldBackChange.__table__  # type: ignore[assignment]
UNKNOWN_TYPE = "a kind of record this version of the app does not know; update the app"


@dataclass(frozen=True)
class RemoteChange:
    """One record as the store holds it."""

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
    out = []
    for c in raw:
        try:
            change = RemoteChange(c["entity_type"], c["id"], c["server_version"], c["row"],
                                  c["tombstone"])
        except (KeyError, TypeError) as err:
            raise SyncProtocolError("A page from the central store could not be read.") from err
        if not (isinstance(change.entity_type, str) and isinstance(change.entity_id, str)
                and isinstance(change.server_version, int) and isinstance(change.row, dict)
                and isinstance(change.tombstone, bool)):
            raise SyncProtocolError("A page from the central store could not be read.")
        out.append(change)
    return out


def _ids_by_type(changes: Iterable[RemoteChange]) -> dict[str, list[str]]:
    grouped: dict[str, list[str]] = {}
    for c in changes:
        grouped.setdefault(c.entity_type, []).append(c.entity_id)
    return grouped


def _unsent(session: Session, ids: list[str]) -> set[Key]:
    """Rows with a change not yet accepted by the store (pending or quarantined)."""
    found: set[Key] = set()
    waiting = (OutboxState.PENDING.value, OutboxState.QUARANTINED.value)
    for part in chunks(ids):
        found.update(session.execute(
            select(OutboxEntry.entity_type, OutboxEntry.entity_id)
            .where(OutboxEntry.state.in_(waiting), OutboxEntry.entity_id.in_(part))).all())
    return found


def _open_conflicts(session: Session, ids: list[str]) -> dict[Key, SyncConflict]:
    found: dict[Key, SyncConflict] = {}
    for part in chunks(ids):
        for c in session.scalars(select(SyncConflict).where(
                SyncConflict.resolved_at.is_(None), SyncConflict.entity_id.in_(part))):
            found[(c.entity_type, c.entity_id)] = c
    return found


def _local_versions(session: Session, grouped: dict[str, list[str]]) -> dict[Key, int | None]:
    found: dict[Key, int | None] = {}
    for entity_type, ids in grouped.items():
        synced = entity(entity_type)
        if synced is None:
            continue
        t = synced.table
        for part in chunks(ids):
            for row_id, version in session.execute(
                    select(t.c.id, t.c.server_version).where(t.c.id.in_(part))).all():
                found[(entity_type, row_id)] = version
    return found


def _existing_ids(session: Session, wanted: dict[str, set[str]]) -> dict[str, set[str]]:
    found: dict[str, set[str]] = {name: set() for name in wanted}
    for name, ids in wanted.items():
        synced = entity(name)
        if synced is None or not ids:
            continue
        for part in chunks(sorted(ids)):
            found[name].update(session.execute(
                select(synced.table.c.id).where(synced.table.c.id.in_(part))).scalars())
    return found


class _Page:
    """One page's changes on their way into the vault."""

    def __init__(self, session: Session, changes: list[RemoteChange], resync: bool) -> None:
        self.session = session
        self.resync = resync
        latest: dict[Key, RemoteChange] = {}
        for c in changes:
            if c.key not in latest or latest[c.key].server_version < c.server_version:
                latest[c.key] = c
        self.changes = list(latest.values())
        self.tally = PageTally()
        self.held: list[tuple[RemoteChange, str]] = []
        self.ready: list[tuple[SyncedEntity, RemoteChange, dict[str, Any]]] = []

    def sort_out(self) -> None:
        """Decide for each change: defer, skip, hold back or make ready to write."""
        ids = [c.entity_id for c in self.changes]
        unsent = _unsent(self.session, ids)
        conflicts = _open_conflicts(self.session, ids)
        local = _local_versions(self.session, _ids_by_type(self.changes))
        candidates = []
        for c in self.changes:
            synced = entity(c.entity_type)
            if synced is None:
                self.held.append((c, UNKNOWN_TYPE))
            elif c.key in conflicts:
                _refresh_theirs(conflicts[c.key], c)
                self.tally.deferred += 1
            elif c.key in unsent:
                self.tally.deferred += 1
            elif (not self.resync and local.get(c.key) is not None
                  and local[c.key] >= c.server_version):  # type: ignore[operator]
                self.tally.skipped += 1
            else:
                candidates.append((synced, c))
        self._check_parents(candidates)

    def _check_parents(self, candidates: list[tuple[SyncedEntity, RemoteChange]]) -> None:
        converted = []
        for synced, c in sorted(candidates, key=lambda sc: (sc[0].order, sc[1].server_version)):
            try:
                converted.append((synced, c, synced.values(c.row, c.server_version, c.tombstone)))
            except (TypeError, ValueError):
                self.held.append((c, "a value in it could not be read"))
        wanted: dict[str, set[str]] = {}
        for synced, _c, values in converted:
            for column, parent in synced.parents:
                if values.get(column) is not None:
                    wanted.setdefault(parent, set()).add(values[column])
        available = _existing_ids(self.session, wanted)
        for synced, c, values in converted:
            missing = [parent for column, parent in synced.parents
                       if values.get(column) is not None
                       and values[column] not in available.get(parent, ())]
            if missing:
                self.held.append((c, f"waiting for its {missing[0].replace('_', ' ')} record"))
                continue
            available.setdefault(synced.name, set()).add(c.entity_id)
            self.ready.append((synced, c, values))

    def write(self) -> None:
        """All ready rows in one go; if one breaks a local rule, row by row to find it."""
        conn = self.session.connection()
        try:
            with conn.begin_nested():
                for synced, group in _grouped(self.ready):
                    conn.execute(synced.upsert, group)
            written = self.ready
        except IntegrityError:
            written = []
            for synced, c, values in self.ready:
                try:
                    with conn.begin_nested():
                        conn.execute(synced.upsert, [values])
                    written.append((synced, c, values))
                except IntegrityError as err:
                    rule = str(err.orig).split(":", 1)[0] if err.orig else "a rule"
                    self.held.append((c, f"breaks a rule on this laptop ({rule.lower()})"))
        self.tally.applied = len(written)
        self.tally.applied_keys = [c.key for _s, c, _v in written]


def _grouped(ready: list[tuple[SyncedEntity, RemoteChange, dict[str, Any]]]
             ) -> list[tuple[SyncedEntity, list[dict[str, Any]]]]:
    groups: list[tuple[SyncedEntity, list[dict[str, Any]]]] = []
    for synced, _c, values in ready:  # already in parent-before-child order
        if not groups or groups[-1][0] is not synced:
            groups.append((synced, []))
        groups[-1][1].append(values)
    return groups


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
                  resync: bool = False) -> PageTally:
    """Apply remote changes in the caller's transaction (module docstring for the rules)."""
    page = _Page(session, changes, resync)
    page.sort_out()
    page.write()
    _update_held_back(session, page)
    append_events(session.connection(), actor,
                  [(et, eid, AuditAction.SYNC_RECEIVED.value)
                   for et, eid in page.tally.applied_keys])
    return page.tally


def retry_held_back(session: Session, actor: Actor, resync: bool = False) -> PageTally:
    """Try every held-back row again (after a page brought parents, say)."""
    held = session.scalars(select(HeldBackChange)).all()
    if not held:
        return PageTally()
    changes = [RemoteChange(h.entity_type, h.entity_id, h.server_version, h.row, h.tombstone)
               for h in held]
    session.execute(delete(HeldBackChange))
    return apply_changes(session, actor, changes, resync)


def apply_page(session: Session, actor: Actor, raw: list[Any], next_cursor: int,
               has_more: bool) -> PageTally:
    """One pulled page, the new cursor, and another try for held-back rows: one transaction."""
    state = state_row(session)
    tally = apply_changes(session, actor, parse_changes(raw), state.resync)
    if tally.applied and session.scalar(select(HeldBackChange.entity_id).limit(1)):
        tally.applied += retry_held_back(session, actor, state.resync).applied
    state.pull_cursor = next_cursor
    if not has_more:
        state.resync = False
    return tally


def known_entity_types() -> list[str]:
    """Every wire name this version can apply, parents first."""
    return sorted(synced_entities(), key=lambda n: synced_entities()[n].order)
