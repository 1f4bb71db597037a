"""Stamping synced rows, and writing their outbox and audit rows in the same transaction.

Installed once on the session factory. Before a flush every new or changed synced row
gets its version bumped and who/when/where stamped; hard deletes of synced rows are
refused (they are tombstoned). After the flush, still inside the transaction, one outbox
entry (its ``outbox_entry`` and ``outbox_payload`` rows) and one audit row are written per
change. Rows applied from the server are marked with ``session.info[APPLYING_REMOTE]`` and
skip both (the sync client audits them itself); ``requeue`` queues a row again as it
stands (the sync client's "keep mine"). ``check_version`` refuses an edit to a row that
was saved again since the editor opened it (the version the flush bumps).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from sqlalchemy import event, insert, inspect
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.audit import AuditAction
from desktop_app.models.base import SyncedMixin, new_uuid, utc_now
from desktop_app.models.outbox import OutboxEntry, OutboxOperation, OutboxPayload, OutboxState
from desktop_app.services.core.audit import Actor, append_events
from desktop_app.services.core.errors import ImmutableRecord, InternalError, ValidationError

ACTOR = "actor"
APPLYING_REMOTE = "applying_remote"
_PENDING = "_tracked_changes"


@dataclass
class _Change:
    obj: SyncedMixin
    action: AuditAction


def entity_type_of(obj: SyncedMixin) -> str:
    """The entity name used in the outbox and on the wire."""
    return obj.__sync_entity__ or str(obj.__tablename__)  # type: ignore[attr-defined]


def _jsonable(value: Any) -> Any:
    if isinstance(value, dt.datetime | dt.date):
        return value.isoformat()
    return value


def row_payload(obj: SyncedMixin) -> dict[str, Any]:
    """Every column of the row as JSON-safe values: the full row the server receives."""
    mapper = inspect(obj).mapper
    return {attr.key: _jsonable(getattr(obj, attr.key)) for attr in mapper.column_attrs}


def _actor(session: Session) -> Actor:
    actor = session.info.get(ACTOR)
    if not isinstance(actor, Actor):
        raise InternalError("a change was flushed without a signed-in actor")
    return actor


def _stamp(obj: SyncedMixin, actor: Actor, now: dt.datetime) -> None:
    obj.updated_at = now
    obj.updated_by = actor.user_id
    obj.device_id = actor.device_id


def _changed_columns(obj: SyncedMixin) -> bool:
    state = inspect(obj)
    return any(state.attrs[a.key].history.has_changes() for a in state.mapper.column_attrs)


_NEW_IMMUTABLE = "_immutable_created_in_transaction"
_ISSUED_MESSAGE = "An issued support plan cannot be changed. Save the changes as a new version."


def _refuse_changes_to_issued(
    session: Session, new: list[SyncedMixin], dirty: list[SyncedMixin]
) -> None:
    """Issued (immutable) rows never change, but for a ``__set_once__`` column going from
    empty to a value; their child lines come only with them."""
    if any(getattr(type(obj), "__immutable__", False) and not _only_set_once(obj)
           for obj in dirty):
        raise ImmutableRecord(_ISSUED_MESSAGE)
    created: set[str] = session.info.setdefault(_NEW_IMMUTABLE, set())
    created.update(obj.id for obj in new if getattr(type(obj), "__immutable__", False))


def _only_set_once(obj: SyncedMixin) -> bool:
    """True if the only changes to ``obj`` fill its ``__set_once__`` columns from NULL."""
    allowed: frozenset[str] = getattr(type(obj), "__set_once__", frozenset())
    state = inspect(obj)
    for attr in state.mapper.column_attrs:
        history = state.attrs[attr.key].history
        if not history.has_changes():
            continue
        if attr.key not in allowed or any(v is not None for v in history.deleted):
            return False
    return True


def _refuse_lines_added_to_issued(session: Session, changes: list[_Change]) -> None:
    """After the flush (foreign keys are filled in by then): a new line of an immutable
    parent must belong to a parent created in this same transaction."""
    created: set[str] = session.info.get(_NEW_IMMUTABLE, set())
    for change in changes:
        parent_column = getattr(type(change.obj), "__immutable_parent__", None)
        if change.action is AuditAction.CREATE and parent_column:
            if getattr(change.obj, parent_column) not in created:
                raise ImmutableRecord(_ISSUED_MESSAGE)


def _before_flush(session: Session, _ctx: Any, _instances: Any) -> None:
    if session.info.get(APPLYING_REMOTE):
        return
    synced_deleted = [o for o in session.deleted if isinstance(o, SyncedMixin)]
    if synced_deleted:
        raise InternalError("synced rows are never hard-deleted; use tracking.tombstone()")
    new = [o for o in session.new if isinstance(o, SyncedMixin)]
    dirty = [o for o in session.dirty if isinstance(o, SyncedMixin) and _changed_columns(o)]
    if not (new or dirty):
        return
    for obj in new:
        obj.id = obj.id or new_uuid()
    _refuse_changes_to_issued(session, new, dirty)
    actor = _actor(session)
    changes: list[_Change] = session.info.setdefault(_PENDING, [])
    now = utc_now()
    for obj in new:
        obj.version = 1
        obj.created_at = now
        _stamp(obj, actor, now)
        changes.append(_Change(obj, AuditAction.CREATE))
    for obj in dirty:
        deleted_now = inspect(obj).attrs["deleted"].history.added == [True]
        obj.version = (obj.version or 0) + 1
        _stamp(obj, actor, now)
        changes.append(_Change(obj, AuditAction.DELETE if deleted_now else AuditAction.UPDATE))


def _after_flush(session: Session, _ctx: Any) -> None:
    changes: list[_Change] = session.info.pop(_PENDING, [])
    if not changes:
        return
    _refuse_lines_added_to_issued(session, changes)
    _write_outbox_and_audit(session, changes)


def _write_outbox_and_audit(session: Session, changes: list[_Change]) -> None:
    actor = _actor(session)
    conn = session.connection()
    entries = [
        {
            "idempotency_key": new_uuid(),
            "entity_type": entity_type_of(c.obj),
            "entity_id": c.obj.id,
            "operation": (OutboxOperation.DELETE if c.action is AuditAction.DELETE
                          else OutboxOperation.UPSERT).value,
            "local_version": c.obj.version,
            "base_server_version": c.obj.server_version,
            "created_at": utc_now(),
            "state": OutboxState.PENDING.value,
            "attempts": 0,
        }
        for c in changes
    ]
    seqs = conn.execute(insert(OutboxEntry).returning(OutboxEntry.seq,
                                                      sort_by_parameter_order=True),
                        entries).scalars().all()
    if len(seqs) != len(changes):
        raise InternalError("the outbox did not number every change")
    payloads = [row_payload(c.obj) for c in changes]
    conn.execute(insert(OutboxPayload), [
        {"seq": seq, "payload": payload, "tombstone": bool(payload["deleted"])}
        for seq, payload in zip(seqs, payloads, strict=True)
    ])
    append_events(conn, actor, [(entity_type_of(c.obj), c.obj.id, c.action.value) for c in changes])


def _after_rollback(session: Session) -> None:
    session.info.pop(_PENDING, None)
    session.info.pop(_NEW_IMMUTABLE, None)


def _after_commit(session: Session) -> None:
    session.info.pop(_NEW_IMMUTABLE, None)


def install_tracking(factory: sessionmaker[Session]) -> None:
    """Attach the stamping, outbox and audit hooks to every session the factory makes."""
    event.listen(factory, "before_flush", _before_flush)
    event.listen(factory, "after_flush", _after_flush)
    event.listen(factory, "after_soft_rollback", lambda s, _t: _after_rollback(s))
    event.listen(factory, "after_commit", _after_commit)


def requeue(session: Session, obj: SyncedMixin, action: AuditAction) -> None:
    """Queue ``obj`` as it is now, with its current ``server_version`` as the base.

    For the sync client's "keep mine": the row is written as a new local version (stamped by
    the signed-in user) without going through the change detection, which would refuse an
    issued plan row; one outbox row and one audit row (``action``) follow, as for any change.
    """
    previous = session.info.get(APPLYING_REMOTE)
    session.info[APPLYING_REMOTE] = True
    try:
        obj.version = (obj.version or 0) + 1
        _stamp(obj, _actor(session), utc_now())
        session.flush()
    finally:
        session.info[APPLYING_REMOTE] = previous
    _write_outbox_and_audit(session, [_Change(obj, action)])


def tombstone(session: Session, obj: SyncedMixin) -> None:
    """Delete a synced row the only way allowed: mark it, so the deletion syncs too."""
    obj.deleted = True
    session.add(obj)


def record_view(session: Session, entity_type: str, entity_id: str) -> None:
    """Audit that the signed-in user opened a record (no outbox row: nothing changed)."""
    append_events(session.connection(), _actor(session),
                  [(entity_type, entity_id, AuditAction.VIEW.value)])


def check_version(obj: SyncedMixin, expected_version: int, message: str) -> None:
    """Refuse an edit made to an older version of ``obj`` (optimistic concurrency).

    ``expected_version`` is the version the editor opened; if the row was saved since (here
    or by a sync), ``message`` (what to do next, in the user's words) is raised as a
    ValidationError and nothing is changed.
    """
    if obj.version != expected_version:
        raise ValidationError(message)


def apply_edit(obj: SyncedMixin, expected_version: int, values: dict[str, object],
               message: str) -> None:
    """An edit opened at ``expected_version`` (``check_version``): only the values that
    differ are set, so saving a form unchanged writes no new version, outbox or audit row."""
    check_version(obj, expected_version, message)
    for name, value in values.items():
        if getattr(obj, name) != value:
            setattr(obj, name, value)
