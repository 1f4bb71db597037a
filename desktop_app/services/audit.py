"""Appending to and verifying the hash-chained audit log.

Each event's hash covers its own fields and the previous event's hash. Editing any field
of a row, or removing a row, breaks the chain at that point; ``verify_chain`` names the
first row where the chain no longer holds.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from dataclasses import dataclass

from sqlalchemy import Connection, insert, select

from desktop_app.models.audit import AuditEvent
from desktop_app.models.base import new_uuid, utc_now

GENESIS = "0" * 64


@dataclass(frozen=True)
class Actor:
    """Who is acting, on which device: stamped on every change and audit row."""

    user_id: str
    device_id: str


@dataclass(frozen=True)
class ChainBreak:
    """The first audit row whose hash or link does not hold."""

    seq: int
    event_id: str
    reason: str


def event_hash(
    prev_hash: str, event_id: str, at: dt.datetime, user_id: str, device_id: str,
    entity_type: str, entity_id: str, action: str,
) -> str:
    """SHA-256 over the canonical JSON of the event's fields and the previous hash."""
    canonical = json.dumps(
        [prev_hash, event_id, at.astimezone(dt.UTC).isoformat(), user_id, device_id,
         entity_type, entity_id, action],
        separators=(",", ":"),
    )
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def last_hash(conn: Connection) -> str:
    """The hash at the end of the chain (the genesis value when the log is empty)."""
    row = conn.execute(
        select(AuditEvent.hash).order_by(AuditEvent.seq.desc()).limit(1)
    ).scalar_one_or_none()
    return row or GENESIS


def append_events(
    conn: Connection, actor: Actor, items: list[tuple[str, str, str]],
) -> None:
    """Append (entity_type, entity_id, action) events in order, in the caller's transaction."""
    if not items:
        return
    prev = last_hash(conn)
    rows = []
    for entity_type, entity_id, action in items:
        at = utc_now()
        event_id = new_uuid()
        digest = event_hash(prev, event_id, at, actor.user_id, actor.device_id,
                            entity_type, entity_id, action)
        rows.append({
            "id": event_id, "at": at, "user_id": actor.user_id, "device_id": actor.device_id,
            "entity_type": entity_type, "entity_id": entity_id, "action": action,
            "prev_hash": prev, "hash": digest,
        })
        prev = digest
    conn.execute(insert(AuditEvent), rows)


def verify_chain(conn: Connection) -> ChainBreak | None:
    """Walk the log in order; the first broken row, or None when the chain holds."""
    prev = GENESIS
    stmt = select(AuditEvent.__table__).order_by(AuditEvent.seq).execution_options(yield_per=2000)
    for event in conn.execute(stmt):
        if event.prev_hash != prev:
            return ChainBreak(event.seq, event.id, "does not follow the row before it")
        expected = event_hash(prev, event.id, event.at, event.user_id, event.device_id,
                              event.entity_type, event.entity_id, event.action)
        if event.hash != expected:
            return ChainBreak(event.seq, event.id, "its content was changed after it was written")
        prev = event.hash
    return None
