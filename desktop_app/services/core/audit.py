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
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditEvent
from desktop_app.models.base import new_uuid, utc_now
from desktop_app.models.user import AppUser

GENESIS = "0" * 64


def actor_name(session: Session, actor: Actor) -> str:
    """The acting user's display name (their id if the user row is missing)."""
    name = session.scalar(select(AppUser.display_name).where(AppUser.id == actor.user_id))
    return name or actor.user_id


@dataclass(frozen=True)
class Actor:
    """Who is acting, on which device: stamped on every change and audit row."""

    user_id: str
    device_id: str
    # The user's role, for permission checks (services/roles.py). Tools and tests that act
    # outside a signed-in session are trusted as a team lead would be.
    role: str = "team_lead"


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
    # Raw column values: a tampered value that is not even a valid time must be named, not
    # crash the verifier while the driver converts it.
    rows = conn.exec_driver_sql(
        "SELECT seq, id, at, user_id, device_id, entity_type, entity_id, action, prev_hash, hash"
        " FROM audit_event ORDER BY seq"
    )
    for seq, event_id, at, user_id, device_id, entity_type, entity_id, action, link, digest in rows:
        if link != prev:
            return ChainBreak(seq, str(event_id), "does not follow the row before it")
        try:
            when = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
            expected = event_hash(prev, event_id, when, user_id, device_id,
                                  entity_type, entity_id, action)
        except (TypeError, ValueError, AttributeError):
            return ChainBreak(seq, str(event_id), "holds a value that is not valid")
        if digest != expected:
            return ChainBreak(seq, str(event_id), "its content was changed after it was written")
        prev = digest
    return None
