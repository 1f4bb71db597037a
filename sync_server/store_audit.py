"""The central store's own audit trail (issue 21): who did what on the store.

Every console action, command-line action, and what a team's devices did (enrolment, push
batches, revocation) is appended to ``store_audit_event``, in the transaction that did it
(a rolled-back action leaves no event, a committed one always has its event). Events form
hash chains: **"console"** for console and command-line actions, and **one per team** (the
team id) for device events, so a team's pushes never wait on another team's, and never on
the console. ``store_audit_chain`` holds each chain's head (last seq and hash, and the key
it is hashed with); ``append`` locks that row (``SELECT ... FOR UPDATE``; on the SQLite
trial the transaction's write lock does the same), so a chain never forks and its seqs have
no gaps.

**Keys.** Each row's ``hash`` is HMAC-SHA256 over a canonical JSON of its fields, the
previous row's hash (the first row of a chain links to ``GENESIS``) and ``key_id``: the
fingerprint of the key (``key_id(key)``), or ``unkeyed`` when the hash is plain SHA-256.
The key is read from the file named by ``SCP_STORE_AUDIT_KEY_FILE``: with a key, someone
who can write the database but cannot read the key file cannot recompute a chain they
rewrote. A chain's head records its key, and ``append`` refuses, with a plain message and
nothing done, when the process's key is another (a command run without the key file, a
store restarted with a new one): a chain never mixes keys by accident. ``serve`` checks
this before it starts (``key_mismatches``).

This module appends (and holds the keys and the canonical hashing); verifying a chain
(``verify``) and changing its key (``rekey``) are in ``sync_server/store_audit_verify.py``.

On PostgreSQL a trigger (migration 0006) refuses UPDATE, DELETE and TRUNCATE of events; its
owner could still drop it, which is why the store should run as a role that does not own
the tables (docs/sync-server.md, "The store's own audit trail").

``detail`` holds ids, counts and outcomes only: never a patient's name, never text someone
typed other than a team, user or device name.
"""

from __future__ import annotations

import datetime as dt
import hashlib
import hmac
import json
import os
from collections.abc import Mapping
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any

from sqlalchemy import select, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync_server.models import StoreAuditChainHead, StoreAuditEvent, utc_now

if TYPE_CHECKING:
    from sync_server.auth import DeviceContext

GENESIS = "0" * 64
CONSOLE_CHAIN = "console"
KEY_FILE_ENV = "SCP_STORE_AUDIT_KEY_FILE"
ACTOR_KINDS = ("console", "device", "cli", "system")
MIN_KEY_BYTES = 32
UNKEYED = "unkeyed"
VERIFIED = "store_audit_verified"
REKEYED = "store_audit_rekeyed"
_KEY_ID_LABEL = b"shared-care-store audit key id"
_SEAL_LABEL = b"shared-care-store audit seal"


class AuditKeyError(RuntimeError):
    """The audit key is unusable (``SCP_STORE_AUDIT_KEY_FILE`` names no readable key of 32
    bytes or more) or is not the chain's: nothing is appended under the wrong key."""


@lru_cache(maxsize=4)
def _read_key(path: str) -> bytes:
    try:
        key = Path(path).read_bytes().strip()
    except OSError as exc:
        raise AuditKeyError(f"{KEY_FILE_ENV} names {path!r}, which cannot be read: "
                            f"{exc.strerror}") from None
    if len(key) < MIN_KEY_BYTES:
        raise AuditKeyError(f"the audit key in {path!r} is too short: it needs at least "
                            f"{MIN_KEY_BYTES} bytes (e.g. `openssl rand -hex 32`)")
    return key


def read_key_file(path: str) -> bytes:
    """The key in the file at ``path`` (AuditKeyError if unreadable or too short)."""
    return _read_key(path)


def audit_key() -> bytes | None:
    """The key of the store's audit chains, or None when the store runs unkeyed."""
    path = os.environ.get(KEY_FILE_ENV, "").strip()
    return _read_key(path) if path else None


def key_id(key: bytes | None) -> str:
    """A key's fingerprint as rows and heads record it (16 hex digits, which tell nothing
    of the key), or ``UNKEYED``."""
    if key is None:
        return UNKEYED
    return hmac.new(key, _KEY_ID_LABEL, hashlib.sha256).hexdigest()[:16]


def describe_key(kid: str) -> str:
    """A key id in words: ``unkeyed`` or ``keyed with key 1a2b...``."""
    return "unkeyed" if kid == UNKEYED else f"keyed with key {kid}"


def _jsonable(detail: Mapping[str, Any] | None) -> dict[str, Any]:
    """``detail`` as it will read back from the JSON column (so the hash covers exactly
    what is stored); refuses what JSON cannot hold."""
    if not detail:
        return {}
    try:
        loaded = json.loads(json.dumps(dict(detail), allow_nan=False))
    except (TypeError, ValueError) as exc:
        raise ValueError(f"an audit detail must be plain JSON (ids, counts, outcomes): {exc}"
                         ) from None
    assert isinstance(loaded, dict)
    return loaded


def _when(at: dt.datetime) -> str:
    """A timestamp as hashed: UTC to the microsecond (what the database keeps)."""
    return at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ")


def canonical(*, chain: str, seq: int, at: dt.datetime, actor_kind: str,
              actor_id: str | None, actor_name: str, action: str, team_id: str | None,
              device_id: str | None, user_id: str | None, detail: Mapping[str, Any],
              prev_hash: str, key_id: str) -> bytes:
    """The bytes an event's hash is taken over: a canonical JSON of its fields."""
    return json.dumps({
        "chain": chain, "seq": seq, "at": _when(at), "actor_kind": actor_kind,
        "actor_id": actor_id, "actor_name": actor_name, "action": action,
        "team_id": team_id, "device_id": device_id, "user_id": user_id,
        "detail": dict(detail), "prev_hash": prev_hash, "key_id": key_id,
    }, sort_keys=True, separators=(",", ":"), ensure_ascii=False).encode()


def keyed_digest(key: bytes | None, data: bytes) -> str:
    """``data``'s HMAC-SHA256 under ``key``, or its plain SHA-256 when there is none."""
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def row_hash(key: bytes | None, **fields: Any) -> str:
    """The hash of one event (``canonical``'s fields but ``key_id``, which comes from
    ``key``)."""
    return keyed_digest(key, canonical(**fields, key_id=key_id(key)))


def event_canonical(event: StoreAuditEvent) -> bytes:
    """The bytes a stored event's hash was taken over."""
    return canonical(chain=event.chain, seq=event.seq, at=event.at,
                     actor_kind=event.actor_kind, actor_id=event.actor_id,
                     actor_name=event.actor_name, action=event.action,
                     team_id=event.team_id, device_id=event.device_id,
                     user_id=event.user_id, detail=event.detail or {},
                     prev_hash=event.prev_hash, key_id=event.key_id)


def fold(running: bytes, event: StoreAuditEvent) -> bytes:
    """The running digest a rekey seals, moved on past ``event``."""
    return hashlib.sha256(running + event_canonical(event) + event.hash.encode()).digest()


def seal(key: bytes | None, running: bytes) -> str:
    """The seal of the events a running digest covers, under ``key``."""
    return keyed_digest(key, _SEAL_LABEL + running)


# --------------------------------------------------------------------------- appending


def lock_head(db: Session, chain: str, kid: str) -> StoreAuditChainHead:
    """The chain's head row, locked until the transaction ends (made at seq 0 under the
    process's key on first use; two transactions making it at once both go on: the
    second's insert does nothing and its lock waits for the first)."""
    dialect = db.get_bind().dialect.name
    maker = postgresql.insert if dialect == "postgresql" else sqlite.insert
    db.execute(maker(StoreAuditChainHead).values(chain=chain, head_seq=0, head_hash=GENESIS,
                                                 key_id=kid)
               .on_conflict_do_nothing())
    head = db.scalars(select(StoreAuditChainHead).where(StoreAuditChainHead.chain == chain)
                      .with_for_update().execution_options(populate_existing=True)).one()
    return head


def mismatch_message(chain: str, chain_key: str, process_key: str) -> str:
    """Why an append is refused: the chain's key is not this process's."""
    have = (f"no key ({KEY_FILE_ENV} is not set)" if process_key == UNKEYED
            else f"key {process_key}")
    return (f"the store's audit chain {chain!r} is {describe_key(chain_key)}, but this "
            f"process has {have}; nothing was done. Run it with the store's own "
            f"{KEY_FILE_ENV}, or change the chain's key with "
            "`shared-care-store rekey-store-audit`.")


def write_event(db: Session, head: StoreAuditChainHead, key: bytes | None, *,
                actor_kind: str, actor_id: str | None, actor_name: str, action: str,
                team_id: str | None, device_id: str | None, user_id: str | None,
                detail: dict[str, Any]) -> None:
    """The next event on ``head``'s chain (locked by ``lock_head``), hashed with ``key``;
    the head moves on to it."""
    chain, kid = head.chain, key_id(key)
    seq, at = head.head_seq + 1, utc_now()
    digest = row_hash(key, chain=chain, seq=seq, at=at, actor_kind=actor_kind,
                      actor_id=actor_id, actor_name=actor_name, action=action,
                      team_id=team_id, device_id=device_id, user_id=user_id, detail=detail,
                      prev_hash=head.head_hash)
    db.add(StoreAuditEvent(chain=chain, seq=seq, at=at, actor_kind=actor_kind,
                           actor_id=actor_id, actor_name=actor_name, action=action,
                           team_id=team_id, device_id=device_id, user_id=user_id,
                           detail=detail, prev_hash=head.head_hash, hash=digest, key_id=kid))
    db.execute(update(StoreAuditChainHead).where(StoreAuditChainHead.chain == chain)
               .values(head_seq=seq, head_hash=digest, key_id=kid))
    db.flush()
    db.expire(head)


def append(db: Session, *, chain: str, actor_kind: str, actor_id: str | None,
           actor_name: str, action: str, team_id: str | None = None,
           device_id: str | None = None, user_id: str | None = None,
           detail: Mapping[str, Any] | None = None) -> None:
    """Append one event to ``chain`` in ``db``'s transaction (``CONSOLE_CHAIN`` for console
    and command-line actions, else the team id). ``actor_kind`` is one of ``ACTOR_KINDS``.
    AuditKeyError (nothing appended) when the chain is hashed with another key."""
    if actor_kind not in ACTOR_KINDS:
        raise ValueError(f"unknown actor kind {actor_kind!r} (one of {', '.join(ACTOR_KINDS)})")
    if not chain:
        raise ValueError("an audit event needs a chain")
    key = audit_key()
    stored = _jsonable(detail)
    head = lock_head(db, chain, key_id(key))
    if head.head_seq > 0 and head.key_id != key_id(key):
        raise AuditKeyError(mismatch_message(chain, head.key_id, key_id(key)))
    write_event(db, head, key, actor_kind=actor_kind, actor_id=actor_id, actor_name=actor_name,
           action=action, team_id=team_id, device_id=device_id, user_id=user_id,
           detail=stored)


def device_event(db: Session, device: DeviceContext, action: str, **detail: Any) -> None:
    """A device's event (enrolment, a push batch, ...) on its team's chain; the actor is
    named by the device's user (the person whose laptop it is)."""
    append(db, chain=device.team_id, actor_kind="device", actor_id=device.device_id,
           actor_name=device.user_name, action=action, team_id=device.team_id,
           device_id=device.device_id, user_id=device.user_id, detail=detail)


def key_mismatches(db: Session, key: bytes | None = None) -> list[str]:
    """The chains whose key is not ``key`` (the process's by default): what ``serve``
    refuses to start with."""
    kid = key_id(audit_key() if key is None else key)
    rows = db.execute(select(StoreAuditChainHead.chain, StoreAuditChainHead.key_id)
                      .where(StoreAuditChainHead.head_seq > 0,
                             StoreAuditChainHead.key_id != kid)
                      .order_by(StoreAuditChainHead.chain)).all()
    return [f"{chain} ({describe_key(chain_key)})" for chain, chain_key in rows]
