"""Appending to and verifying the hash-chained audit log.

Each event's hash covers its own fields and the previous event's hash. Editing any field
of a row, or removing a row, breaks the chain at that point; ``verify_chain`` names the
first row where the chain no longer holds, ``ChainWalk`` finds every break, a slice at a
time.

**The keyed chain.** A new row's hash is HMAC-SHA256 under the vault's audit key (32 random
bytes of its own, wrapped in the key file: ``services.vault.keyfile``), so a row edited and
rehashed with plain SHA-256, or with any other key, no longer verifies. Rows written before
the vault had an audit key keep their plain SHA-256 hashes (history is never rewritten): the
chain is keyed from a recorded ``seq`` on (``AuditKeying.keyed_from``, kept in the key
file's MACed witness), and the verifier checks plain hashes before it and keyed ones from
it. Deleting the newest rows, or recomputing every later hash with the key, leaves a chain
that verifies: that is caught against the head witnessed outside the database (the key
file, ``services.vault.witness``; and the central store).

**Where the key is.** Every writer of audit rows (``append_events`` here and the sync's
``audit_received``) takes the key from the connection: the vault puts an ``AuditKeying`` on
the pooled DBAPI connection's ``info`` (``conn.info[AUDIT_KEYING]``) when it opens the
database. A connection without one is refused with ``InternalError``: the app never falls
back to an unkeyed chain. Tools and tests that build a bare engine give it a throwaway key
(``tools.throwaway_vault``; the suite's conftest gives every connection one).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
from collections.abc import Iterable
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii
from typing import Any

from sqlalchemy import Connection, insert, select
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditEvent
from desktop_app.models.base import new_uuid, utc_now
from desktop_app.models.user import AppUser
from desktop_app.services.core.errors import InternalError

GENESIS = "0" * 64
AUDIT_KEYING = "scp_audit_keying"  # the key of the AuditKeying in a DBAPI connection's info
AUDIT_KEY_BYTES = 32
_BLOCK = 64  # SHA-256's block size, for HMAC's pads (RFC 2104)
_IPAD = bytes(x ^ 0x36 for x in range(256))  # translation tables: the key XOR each pad
_OPAD = bytes(x ^ 0x5C for x in range(256))


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
class AuditKeying:
    """The audit key and the first ``seq`` whose hash is keyed (earlier rows: plain)."""

    key: bytes = field(repr=False)
    keyed_from: int = 1

    def __post_init__(self) -> None:
        if len(self.key) != AUDIT_KEY_BYTES or self.keyed_from < 1:
            raise ValueError("an audit key is 32 bytes and keys the chain from seq 1 or later")


@dataclass(frozen=True)
class ChainBreak:
    """The first audit row of a stretch whose hash or link does not hold."""

    seq: int
    event_id: str
    reason: str
    at: str = ""  # the row's time as stored (for telling the user which entry)


class ChainHasher:
    """HMAC-SHA256 under one key, its pads hashed once (``hmac`` re-does them per call)."""

    def __init__(self, key: bytes) -> None:
        if len(key) > _BLOCK:
            key = hashlib.sha256(key).digest()
        block = key.ljust(_BLOCK, b"\0")
        self._inner = hashlib.sha256(block.translate(_IPAD))
        self._outer = hashlib.sha256(block.translate(_OPAD))

    def hexdigest(self, message: bytes) -> str:
        """HMAC-SHA256(key, message) in hex."""
        inner = self._inner.copy()
        inner.update(message)
        outer = self._outer.copy()
        outer.update(inner.digest())
        return outer.hexdigest()


def _canonical(fields: list[Any]) -> bytes:
    """The JSON array of the fields, compact: ``json.dumps(fields, separators=(",", ":"))``.

    Strings (every field of an untouched row) are encoded directly, a third faster; anything
    else (a tampered value) goes through ``json.dumps``, and raises as it would."""
    try:
        return ("[" + ",".join(map(encode_basestring_ascii, fields)) + "]").encode("ascii")
    except TypeError:  # not a string: json.dumps encodes it (or raises) as it always did
        return json.dumps(fields, separators=(",", ":")).encode("utf-8")


def _hash(canonical: bytes, hasher: ChainHasher | None) -> str:
    if hasher is None:
        return hashlib.sha256(canonical).hexdigest()
    return hasher.hexdigest(canonical)


def event_hash(
    prev_hash: str, event_id: str, at: dt.datetime, user_id: str, device_id: str,
    entity_type: str, entity_id: str, action: str, key: bytes | ChainHasher | None = None,
) -> str:
    """The hash of one event: over the canonical JSON of its fields and the previous hash,
    HMAC-SHA256 under ``key`` (the keyed chain), or plain SHA-256 without one (rows before
    the chain was keyed)."""
    hasher = ChainHasher(key) if isinstance(key, bytes) else key
    canonical = _canonical([prev_hash, event_id, at.astimezone(dt.UTC).isoformat(), user_id,
                            device_id, entity_type, entity_id, action])
    return _hash(canonical, hasher)


def keying_of(conn: Connection) -> AuditKeying:
    """The audit key the vault put on this connection; InternalError when there is none."""
    keying = conn.info.get(AUDIT_KEYING)
    if not isinstance(keying, AuditKeying):
        raise InternalError("this database connection has no audit key (open it through the "
                            "vault, or give it one: tools.throwaway_vault)")
    return keying


def chain_hasher(conn: Connection) -> ChainHasher:
    """The hasher for new rows on this connection (its audit key; InternalError without)."""
    return ChainHasher(keying_of(conn).key)


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
    hasher = chain_hasher(conn)
    prev = last_hash(conn)
    rows = []
    for entity_type, entity_id, action in items:
        at = utc_now()
        event_id = new_uuid()
        digest = event_hash(prev, event_id, at, actor.user_id, actor.device_id,
                            entity_type, entity_id, action, hasher)
        rows.append({
            "id": event_id, "at": at, "user_id": actor.user_id, "device_id": actor.device_id,
            "entity_type": entity_type, "entity_id": entity_id, "action": action,
            "prev_hash": prev, "hash": digest,
        })
        prev = digest
    conn.execute(insert(AuditEvent), rows)


def _stored_at_canonical(at: Any) -> str:
    """The canonical time text of a stored ``at`` (naive UTC text, as SQLAlchemy writes it:
    ``YYYY-MM-DD HH:MM:SS.ffffff``): what ``isoformat`` gives the aware time. That shape is
    rewritten as text (the walk's costliest step otherwise); any other is parsed, and
    raises when it is not a time."""
    if type(at) is str and len(at) == 26 and at[10] == " " and at[19] == ".":
        if at.endswith(".000000"):
            return f"{at[:10]}T{at[11:19]}+00:00"
        return f"{at[:10]}T{at[11:]}+00:00"
    return dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC).isoformat()


_SELECT = ("SELECT seq, id, at, user_id, device_id, entity_type, entity_id, action, prev_hash,"
           " hash FROM audit_event WHERE seq > ? ORDER BY seq")


class ChainWalk:
    """Walks the log in ``seq`` order, a slice at a time, collecting every break.

    A break is a stretch of rows that do not hold, named at its first row. After a row that
    does not hold the walk goes on from that row's stored hash, so a later, separate edit is
    a break of its own (each can be told apart, and each told once).
    """

    def __init__(self, keying: AuditKeying) -> None:
        self.keying = keying
        self._hasher = ChainHasher(keying.key)
        self.prev = GENESIS
        self.seq = 0  # the last seq walked
        self.rows = 0
        self.breaks: list[ChainBreak] = []
        self.done = False
        self._in_break = False

    def step(self, conn: Connection, limit: int | None = None) -> bool:
        """Walk up to ``limit`` more rows (all without one); True once the end is reached."""
        # Raw column values: a tampered value that is not even a valid time must be named,
        # not crash the walk while the driver converts it.
        fetched = conn.exec_driver_sql(_SELECT + " LIMIT ?",
                                       (self.seq, -1 if limit is None else limit)).fetchall()
        keyed_from, hasher, prev, in_break = self.keying.keyed_from, self._hasher, self.prev, \
            self._in_break
        for seq, event_id, at, user_id, device_id, entity_type, entity_id, action, link, \
                digest in fetched:
            reason = ""
            if link != prev:
                reason = "does not follow the row before it"
            else:
                try:
                    canonical = _canonical([link, event_id, _stored_at_canonical(at), user_id,
                                            device_id, entity_type, entity_id, action])
                except (TypeError, ValueError, AttributeError):
                    reason = "holds a value that is not valid"
                else:
                    expected = (hasher.hexdigest(canonical) if seq >= keyed_from
                                else hashlib.sha256(canonical).hexdigest())
                    if digest != expected:
                        reason = "its content was changed after it was written"
            if reason and not in_break:
                self.breaks.append(ChainBreak(seq, str(event_id), reason, str(at)))
            in_break = bool(reason)
            prev = digest
            self.seq = seq
        self.prev, self._in_break = prev, in_break
        self.rows += len(fetched)
        self.done = limit is None or len(fetched) < limit
        return self.done


def verify_chain(conn: Connection, keying: AuditKeying | None = None) -> ChainBreak | None:
    """Walk the whole log in order; the first broken row, or None when the chain holds.

    ``keying`` defaults to the connection's own (``keying_of``)."""
    walk = ChainWalk(keying or keying_of(conn))
    walk.step(conn)
    return walk.breaks[0] if walk.breaks else None


def chain_breaks(conn: Connection, keying: AuditKeying | None = None) -> list[ChainBreak]:
    """Every break of the log (the first row of each stretch that does not hold)."""
    walk = ChainWalk(keying or keying_of(conn))
    walk.step(conn)
    return walk.breaks


def head(conn: Connection) -> tuple[int, str, str, str]:
    """(seq, event id, hash, stored time) of the newest row; (0, "", GENESIS, "") if none."""
    row = conn.exec_driver_sql(
        "SELECT seq, id, hash, at FROM audit_event ORDER BY seq DESC LIMIT 1").fetchone()
    if row is None:
        return 0, "", GENESIS, ""
    return int(row[0]), str(row[1]), str(row[2]), str(row[3])


def row_at(conn: Connection, seq: int) -> tuple[str, str, str] | None:
    """(event id, hash, stored time) of the row at ``seq``; None when there is none."""
    row = conn.exec_driver_sql(
        "SELECT id, hash, at FROM audit_event WHERE seq = ?", (seq,)).fetchone()
    return None if row is None else (str(row[0]), str(row[1]), str(row[2]))


def known(breaks: Iterable[ChainBreak]) -> list[str]:
    """Identities of breaks, as the witness keeps them (``"row:<seq>:<event id>"``)."""
    return [f"row:{b.seq}:{b.event_id}" for b in breaks]
