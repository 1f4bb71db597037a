"""What the status bar and the Sync page show: counts, quarantined and held-back changes.

A quarantined change is one the store refused, with its reason; it never blocks the rest of
the queue. "Retry" gives it a fresh idempotency key — the refusal was an answer, so the old
key is finished with — and puts it back in the queue (after, say, the person shortened a
note that was too large, or the administrator fixed the team).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select, update
from sqlalchemy.orm import Session

from desktop_app.models.base import new_uuid
from desktop_app.models.outbox import OutboxEntry, OutboxState
from desktop_app.models.sync import SYNC_STATE_ID, HeldBackChange, SyncConflict, SyncState
from desktop_app.services.core.errors import NotFound, PermissionDenied
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.core.uow import UnitOfWork


@dataclass(frozen=True)
class SyncStatus:
    """Counts for the status bar. ``pending`` counts records with changes waiting (several
    edits of one record are one change to send)."""

    pending: int
    conflicts: int
    quarantined: int
    last_synced_at: dt.datetime | None
    enrolled: bool
    held_back: int = 0


@dataclass(frozen=True)
class QuarantinedChange:
    """A change the store refused, and why (the store's reason, never patient data)."""

    seq: int
    entity_type: str
    entity_id: str
    reason: str
    created_at: dt.datetime


@dataclass(frozen=True)
class HeldBackView:
    """A change from the store not applied here yet, and why."""

    entity_type: str
    entity_id: str
    server_version: int
    reason: str
    held_at: dt.datetime


def records_in(session: Session, state: OutboxState) -> int:
    """How many records have outbox entries in ``state`` (several edits of one record are
    one change to send)."""
    records = (select(OutboxEntry.entity_type, OutboxEntry.entity_id)
               .where(OutboxEntry.state == state.value).distinct().subquery())
    return int(session.scalar(select(func.count()).select_from(records)) or 0)


def pending_changes(session: Session) -> int:
    """The changes waiting to be sent, counted as the status bar counts them; the sync run
    tells the store this figure (``X-Pending-Changes``) so IT sees the same number."""
    return records_in(session, OutboxState.PENDING)


def sync_status(uow: UnitOfWork) -> SyncStatus:
    """Counts of waiting, conflicting, quarantined and held-back changes; last sync time."""
    with uow.read() as session:
        conflicts = session.scalar(select(func.count()).select_from(SyncConflict)
                                   .where(SyncConflict.resolved_at.is_(None))) or 0
        held = session.scalar(select(func.count()).select_from(HeldBackChange)) or 0
        state = session.get(SyncState, SYNC_STATE_ID)
        return SyncStatus(
            pending=pending_changes(session), conflicts=int(conflicts),
            quarantined=records_in(session, OutboxState.QUARANTINED),
            last_synced_at=state.last_synced_at if state else None,
            enrolled=bool(state and state.device_token), held_back=int(held))


def list_quarantined(uow: UnitOfWork) -> list[QuarantinedChange]:
    """One refused change per record (its latest; earlier ones of the record go with it),
    oldest first."""
    with uow.read() as session:
        latest = (select(func.max(OutboxEntry.seq))
                  .where(OutboxEntry.state == OutboxState.QUARANTINED.value)
                  .group_by(OutboxEntry.entity_type, OutboxEntry.entity_id))
        rows = session.scalars(select(OutboxEntry).where(OutboxEntry.seq.in_(latest))
                               .order_by(OutboxEntry.seq))
        return [QuarantinedChange(e.seq, e.entity_type, e.entity_id, e.last_error or "",
                                  e.created_at) for e in rows]


def retry_quarantined(uow: UnitOfWork, seq: int) -> None:
    """Queue a refused change again (with the earlier refused changes of its record)."""
    if not allowed(uow.actor.role, Permission.EDIT_PEOPLE):
        raise PermissionDenied("Your role cannot change records, so it cannot send a refused "
                               "change again. Ask a colleague who can.")
    with uow.begin() as session:
        entry = session.get(OutboxEntry, seq)
        if entry is None or entry.state != OutboxState.QUARANTINED.value:
            raise NotFound("That change is no longer waiting to be retried.")
        siblings = session.scalars(select(OutboxEntry).where(
            OutboxEntry.entity_type == entry.entity_type,
            OutboxEntry.entity_id == entry.entity_id,
            OutboxEntry.state == OutboxState.QUARANTINED.value, OutboxEntry.seq <= seq)).all()
        for e in siblings:
            session.execute(update(OutboxEntry).where(OutboxEntry.seq == e.seq).values(
                state=OutboxState.PENDING.value, last_error=None, attempts=0,
                idempotency_key=new_uuid()))


def list_held_back(uow: UnitOfWork) -> list[HeldBackView]:
    """Changes from the store waiting to be applied here, with the reason."""
    with uow.read() as session:
        return [HeldBackView(h.entity_type, h.entity_id, h.server_version, h.reason, h.held_at)
                for h in session.scalars(select(HeldBackChange).order_by(HeldBackChange.held_at))]
