"""Conflicts for a person to resolve side by side: keep mine, or keep theirs.

Neither choice loses the other version: the conflict record stays after it is resolved,
holding both rows (``mine`` is refreshed to the row as it stood at the moment of choosing),
and the choice is audited (``kept_mine`` / ``kept_theirs``).

- **Keep theirs** writes the store's row here as the store holds it (no outbox entry: the
  store has it already) at the store's version.
- **Keep mine** queues the row as it stands here as a new change (a new key) whose base is
  the store's version from the conflict, so the store takes it as a deliberate overwrite.

Either way, the record's unsent outbox entries are closed (state ``conflict``): the choice
is the record's latest word. That includes an entry sent once whose reply was lost; if the
store had in fact applied it, keep mine still lands after it, and after keep theirs the next
pull brings the record as the store really holds it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any, Literal

from sqlalchemy import select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditAction
from desktop_app.models.base import utc_now
from desktop_app.models.outbox import OutboxEntry, OutboxState
from desktop_app.models.sync import ConflictResolution, SyncConflict
from desktop_app.services.core.audit import append_events
from desktop_app.services.core.errors import NotFound, PermissionDenied, ValidationError
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.core.tracking import APPLYING_REMOTE, requeue, row_payload
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.sync.entities import SyncedEntity, entity

# Columns every synced row has that say who and when, not what: left out of the differences.
BOOKKEEPING = frozenset({"id", "version", "server_version", "created_at", "updated_at",
                         "updated_by", "device_id"})


@dataclass(frozen=True)
class ConflictView:
    """One conflict, both versions side by side (plain dicts: column name -> JSON value)."""

    id: str
    entity_type: str
    entity_id: str
    mine: dict[str, Any]
    theirs: dict[str, Any]
    mine_deleted: bool
    theirs_deleted: bool
    theirs_server_version: int
    differing_fields: tuple[str, ...]
    detected_at: dt.datetime
    resolution: str | None
    resolved_at: dt.datetime | None


def _view(c: SyncConflict) -> ConflictView:
    fields = sorted((set(c.mine) | set(c.theirs)) - BOOKKEEPING)
    differing = tuple(f for f in fields if c.mine.get(f) != c.theirs.get(f))
    return ConflictView(c.id, c.entity_type, c.entity_id, dict(c.mine), dict(c.theirs),
                        bool(c.mine.get("deleted")), c.theirs_tombstone,
                        c.theirs_server_version, differing, c.detected_at, c.resolution,
                        c.resolved_at)


def list_conflicts(uow: UnitOfWork, include_resolved: bool = False) -> list[ConflictView]:
    """Open conflicts, oldest first (with ``include_resolved``, the resolved ones too)."""
    with uow.read() as session:
        query = select(SyncConflict).order_by(SyncConflict.detected_at)
        if not include_resolved:
            query = query.where(SyncConflict.resolved_at.is_(None))
        return [_view(c) for c in session.scalars(query)]


def _require_writer(uow: UnitOfWork) -> None:
    if not allowed(uow.actor.role, Permission.EDIT_PEOPLE):
        raise PermissionDenied("Your role cannot change records, so it cannot resolve a "
                               "conflict. Ask a colleague who can.")


def _close_unsent(session: Session, entity_type: str, entity_id: str) -> None:
    session.execute(update(OutboxEntry).where(
        OutboxEntry.entity_type == entity_type, OutboxEntry.entity_id == entity_id,
        OutboxEntry.state == OutboxState.PENDING.value).values(state=OutboxState.CONFLICT.value))


def _keep_theirs(session: Session, synced: SyncedEntity, c: SyncConflict) -> None:
    try:
        stored = synced.stored_row(c.theirs, c.theirs_server_version, c.theirs_tombstone)
        with session.begin_nested():
            synced.write(session.connection(), [stored])
    except (IntegrityError, ValueError, TypeError) as err:
        raise ValidationError("Their version cannot be kept on this laptop: it breaks a rule "
                              "here (for example, another person has that NHS number).") from err


def resolve_conflict(uow: UnitOfWork, conflict_id: str,
                     keep: Literal["mine", "theirs"]) -> ConflictView:
    """Resolve one conflict; the returned view keeps both versions (module docstring)."""
    if keep not in (ConflictResolution.MINE, ConflictResolution.THEIRS):
        raise ValueError(f"keep must be 'mine' or 'theirs', not {keep!r}")
    _require_writer(uow)
    with uow.begin() as session:
        c = session.get(SyncConflict, conflict_id)
        if c is None or c.resolved_at is not None:
            raise NotFound("That conflict has already been resolved.")
        synced = entity(c.entity_type)
        if synced is None:
            raise NotFound("That record is of a kind this version of the app does not know.")
        local = session.get(synced.model, c.entity_id)
        if local is not None:
            c.mine = row_payload(local)
        _close_unsent(session, c.entity_type, c.entity_id)
        if keep == ConflictResolution.THEIRS:
            session.info[APPLYING_REMOTE] = True
            _keep_theirs(session, synced, c)
            append_events(session.connection(), uow.actor,
                          [(c.entity_type, c.entity_id, AuditAction.KEPT_THEIRS.value)])
        elif local is None:
            raise NotFound("This laptop no longer has its own version of that record.")
        else:
            local.server_version = c.theirs_server_version
            requeue(session, local, AuditAction.KEPT_MINE)
        c.resolution, c.resolved_at, c.resolved_by = keep, utc_now(), uow.actor.user_id
        session.flush()
        return _view(c)
