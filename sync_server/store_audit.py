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

**Rekeying** (``rekey``, ``shared-care-store rekey-store-audit``) is the one way a chain's
key changes, e.g. to key chains that were unkeyed: it verifies the chain with its old key,
then appends a ``store_audit_rekeyed`` event under the new key whose detail holds a
**seal**: an HMAC, under the new key, of a running SHA-256 over every earlier event (its
canonical fields and hash). Later, with the new key alone, ``verify`` checks the seal, so
the events written under the old key are still covered after that key is gone.

**Verifying** (``verify``) walks every chain in seq order in ONE repeatable-read, read-only
transaction (chains, heads and events from the same snapshot, so appends going on
meanwhile are never taken for tampering), streaming its rows, and reports every problem up
to ``MAX_PROBLEMS`` a chain: a row whose hash does not match its fields, a broken link, a
gap in the seqs, a key change that is not a rekey, rows under a key this process does not
have (not checked), a head that disagrees with the chain's last event, and a
**checkpoint** that is gone: each recorded verification (``store_audit_verified``, written
by the console's "Verify" button or ``verify-store-audit --record``) keeps every chain's
(seq, hash) as it saw them, and a later walk checks that those events are still there and
unchanged. A chain cut back behind the trigger (its last events deleted and its head
rewound) is found that way, back to the last checkpoint; the verification also logs its
checkpoints, outside the database.

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
import logging
import os
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from functools import lru_cache
from pathlib import Path
from typing import TYPE_CHECKING, Any, NamedTuple

from sqlalchemy import select, union, update
from sqlalchemy.dialects import postgresql, sqlite
from sqlalchemy.orm import Session

from sync_server.models import StoreAuditChainHead, StoreAuditEvent, utc_now

if TYPE_CHECKING:
    from sync_server.auth import DeviceContext

log = logging.getLogger(__name__)

GENESIS = "0" * 64
CONSOLE_CHAIN = "console"
KEY_FILE_ENV = "SCP_STORE_AUDIT_KEY_FILE"
ACTOR_KINDS = ("console", "device", "cli", "system")
MIN_KEY_BYTES = 32
UNKEYED = "unkeyed"
VERIFIED = "store_audit_verified"
REKEYED = "store_audit_rekeyed"
MAX_PROBLEMS = 20  # reported per chain; the rest are counted
CHECKPOINT_SOURCES = 30  # the latest verifications whose checkpoints are checked
_STREAM = 2000  # rows fetched at a time while verifying
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


def _digest(key: bytes | None, data: bytes) -> str:
    if key is None:
        return hashlib.sha256(data).hexdigest()
    return hmac.new(key, data, hashlib.sha256).hexdigest()


def row_hash(key: bytes | None, **fields: Any) -> str:
    """The hash of one event (``canonical``'s fields but ``key_id``, which comes from
    ``key``)."""
    return _digest(key, canonical(**fields, key_id=key_id(key)))


def _event_canonical(event: StoreAuditEvent) -> bytes:
    return canonical(chain=event.chain, seq=event.seq, at=event.at,
                     actor_kind=event.actor_kind, actor_id=event.actor_id,
                     actor_name=event.actor_name, action=event.action,
                     team_id=event.team_id, device_id=event.device_id,
                     user_id=event.user_id, detail=event.detail or {},
                     prev_hash=event.prev_hash, key_id=event.key_id)


def _fold(running: bytes, event: StoreAuditEvent) -> bytes:
    """The running digest a rekey seals, moved on past ``event``."""
    return hashlib.sha256(running + _event_canonical(event) + event.hash.encode()).digest()


def seal(key: bytes | None, running: bytes) -> str:
    """The seal of the events a running digest covers, under ``key``."""
    return _digest(key, _SEAL_LABEL + running)


# --------------------------------------------------------------------------- appending


def _lock_head(db: Session, chain: str, kid: str) -> StoreAuditChainHead:
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


def _write(db: Session, head: StoreAuditChainHead, key: bytes | None, *, actor_kind: str,
           actor_id: str | None, actor_name: str, action: str, team_id: str | None,
           device_id: str | None, user_id: str | None, detail: dict[str, Any]) -> None:
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
    head = _lock_head(db, chain, key_id(key))
    if head.head_seq > 0 and head.key_id != key_id(key):
        raise AuditKeyError(mismatch_message(chain, head.key_id, key_id(key)))
    _write(db, head, key, actor_kind=actor_kind, actor_id=actor_id, actor_name=actor_name,
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


# ------------------------------------------------------------------------- verifying


class Problem(NamedTuple):
    """One thing wrong with a chain, at the seq where it shows."""

    seq: int
    text: str


@dataclass(frozen=True)
class ChainReport:
    """One chain walked: how many events, its head and key, and every problem found (up to
    ``MAX_PROBLEMS``; ``more`` counts the rest). ``problem``/``broken_seq``: the first."""

    chain: str
    events: int
    head_seq: int
    head_hash: str
    key_id: str = UNKEYED
    problems: tuple[Problem, ...] = ()
    more: int = 0

    @property
    def keyed(self) -> bool:
        """True when the chain is hashed with a key (HMAC), not plain SHA-256."""
        return self.key_id != UNKEYED

    @property
    def ok(self) -> bool:
        """True when every link, hash, seq and checkpoint holds and the head agrees."""
        return not self.problems

    @property
    def problem(self) -> str | None:
        """The first problem's words (None: the chain holds)."""
        return self.problems[0].text if self.problems else None

    @property
    def broken_seq(self) -> int | None:
        """The seq of the first problem."""
        return self.problems[0].seq if self.problems else None


def chain_names(db: Session, only: str | None = None) -> list[str]:
    """Every chain with a head or an event (an event whose head row went missing is still
    walked, and reported)."""
    if only is not None:
        return [only]
    names = union(select(StoreAuditChainHead.chain), select(StoreAuditEvent.chain).distinct())
    return sorted(str(name) for name in db.scalars(select(names.subquery().c.chain)))


def _events(db: Session, chain: str) -> Iterator[StoreAuditEvent]:
    yield from db.scalars(select(StoreAuditEvent).where(StoreAuditEvent.chain == chain)
                          .order_by(StoreAuditEvent.seq)
                          .execution_options(yield_per=_STREAM))


Checkpoints = dict[str, tuple[int, str]]


def checkpoints(db: Session) -> Checkpoints:
    """Per chain, the highest (seq, hash) that one of the latest ``CHECKPOINT_SOURCES``
    recorded verifications saw."""
    e = StoreAuditEvent
    found: Checkpoints = {}
    for detail in db.scalars(select(e.detail).where(e.chain == CONSOLE_CHAIN,
                                                    e.action == VERIFIED)
                             .order_by(e.seq.desc()).limit(CHECKPOINT_SOURCES)):
        for chain, point in dict((detail or {}).get("checkpoints") or {}).items():
            if (isinstance(point, list) and len(point) == 2 and isinstance(point[0], int)
                    and isinstance(point[1], str)
                    and point[0] > found.get(chain, (0, ""))[0]):
                found[str(chain)] = (point[0], point[1])
    return found


@dataclass
class _Walk:
    """What a chain's walk has seen so far."""

    chain: str
    keys: Mapping[str, bytes | None]
    checkpoint: tuple[int, str] | None
    events: int = 0
    prev_seq: int = 0
    prev_hash: str = GENESIS
    key_id: str | None = None  # the key of the segment being walked
    running: bytes = bytes(32)  # what the next rekey's seal covers
    unchecked_from: int | None = None  # first row under a key not at hand, not yet sealed
    problems: list[Problem] = field(default_factory=list)
    more: int = 0

    def report(self, seq: int, text: str) -> None:
        if len(self.problems) < MAX_PROBLEMS:
            self.problems.append(Problem(seq, text))
        else:
            self.more += 1

    def step(self, event: StoreAuditEvent) -> None:
        """Check one event against what came before it."""
        self.events += 1
        if event.seq != self.prev_seq + 1:
            missing = (f"seq {self.prev_seq + 1}" if event.seq == self.prev_seq + 2
                       else f"seqs {self.prev_seq + 1} to {event.seq - 1}")
            self.report(event.seq, f"gap: {missing} missing (events deleted), the event "
                                   f"after seq {self.prev_seq} is seq {event.seq}")
        elif event.prev_hash != self.prev_hash:
            self.report(event.seq, f"the event at seq {event.seq} does not link to the one "
                                   "before it")
        if event.action == REKEYED:
            self._rekeyed(event)
        else:
            if self.key_id is not None and event.key_id != self.key_id:
                self.report(event.seq, f"the event at seq {event.seq} is "
                                       f"{describe_key(event.key_id)}, not the chain's "
                                       f"{self.key_id}, and no rekey came before it")
            self.key_id = event.key_id
            self._check_hash(event)
        if self.checkpoint is not None and event.seq == self.checkpoint[0] and not (
                hmac.compare_digest(event.hash, self.checkpoint[1])):
            self.report(event.seq, f"the event at seq {event.seq} is not the one an earlier "
                                   "verification saw there (replaced)")
        self.running = _fold(self.running, event)
        self.prev_seq, self.prev_hash = event.seq, event.hash

    def _check_hash(self, event: StoreAuditEvent) -> bool:
        if event.key_id not in self.keys:
            if self.unchecked_from is None:
                self.unchecked_from = event.seq
            return False
        key = self.keys[event.key_id]
        if not hmac.compare_digest(_digest(key, _event_canonical(event)), event.hash):
            self.report(event.seq, f"the event at seq {event.seq} does not match its hash "
                                   "(edited, or written with another key)")
        return True

    def _rekeyed(self, event: StoreAuditEvent) -> None:
        detail = event.detail or {}
        if (detail.get("to_key") != event.key_id
                or (self.key_id is not None and detail.get("from_key") != self.key_id)):
            self.report(event.seq, f"the rekey at seq {event.seq} does not match the chain's "
                                   "keys")
        self.key_id = event.key_id
        if not self._check_hash(event):
            return
        expected = seal(self.keys[event.key_id], self.running)
        if not hmac.compare_digest(str(detail.get("seal", "")), expected):
            self.report(event.seq, f"the events before the rekey at seq {event.seq} are not "
                                   "the ones it sealed (changed since)")
        self.unchecked_from = None  # the seal covers what came before

    def finish(self, head: StoreAuditChainHead | None) -> ChainReport:
        """The report, once every event was walked; ``head`` as the snapshot holds it."""
        if self.unchecked_from is not None:
            self.report(self.unchecked_from, f"the events from seq {self.unchecked_from} are "
                                             f"{describe_key(self.key_id or UNKEYED)}, which "
                                             "this process does not have: their hashes were "
                                             "not checked")
        if self.checkpoint is not None and self.checkpoint[0] > self.prev_seq:
            self.report(self.prev_seq + 1, f"the chain ends at seq {self.prev_seq}, but an "
                                           f"earlier verification saw seq "
                                           f"{self.checkpoint[0]} (events removed from its "
                                           "end)")
        head_seq = head.head_seq if head is not None else 0
        head_hash = head.head_hash if head is not None else GENESIS
        chain_key = head.key_id if head is not None else (self.key_id or UNKEYED)
        if head is None and self.events:
            self.report(self.prev_seq, "the chain has events but no head row")
        elif (head_seq, head_hash) != (self.prev_seq, self.prev_hash):
            self.report(min(head_seq, self.prev_seq) + 1,
                        f"the head says seq {head_seq} but the last event is seq "
                        f"{self.prev_seq} (events removed or added behind the store's back)")
        elif self.events and chain_key != self.key_id:
            self.report(head_seq, f"the head says the chain is {describe_key(chain_key)} "
                                  f"but its last event is {describe_key(self.key_id or '')}")
        return ChainReport(self.chain, self.events, head_seq, head_hash, chain_key,
                           tuple(self.problems), self.more)


def _walk(db: Session, keys: Mapping[str, bytes | None], chain: str,
          checkpoint: tuple[int, str] | None) -> ChainReport:
    walk = _Walk(chain, keys, checkpoint)
    for event in _events(db, chain):
        walk.step(event)
        db.expunge(event)  # streaming: the session does not keep what was walked
    return walk.finish(db.get(StoreAuditChainHead, chain))


def known_keys(*extra: bytes | None) -> dict[str, bytes | None]:
    """The keys a walk can check hashes with: none (plain SHA-256), this process's key and
    ``extra`` ones (an old key while rekeying)."""
    keys: dict[str, bytes | None] = {UNKEYED: None}
    for key in (audit_key(), *extra):
        keys[key_id(key)] = key
    return keys


def snapshot(db: Session) -> None:
    """Start ``db``'s transaction as one repeatable-read, read-only snapshot (PostgreSQL;
    the SQLite trial's transaction holds the write lock, which is as good)."""
    if db.in_transaction():
        raise RuntimeError("verify needs a session whose transaction has not begun")
    if db.get_bind().dialect.name == "postgresql":
        db.connection(execution_options={"isolation_level": "REPEATABLE READ",
                                         "postgresql_readonly": True})


def verify(db: Session, chain: str | None = None, *,
           keys: Mapping[str, bytes | None] | None = None,
           progress: Callable[[str], None] | None = None) -> list[ChainReport]:
    """Walk every chain (or only ``chain``) in seq order, in one snapshot (``db``'s
    transaction must not have begun: this begins it; the caller ends it): one report per
    chain with its problems. ``keys``: what hashes can be checked with (``known_keys()``);
    ``progress`` is told each chain's name before it is walked."""
    snapshot(db)
    keys = known_keys() if keys is None else keys
    points = checkpoints(db)
    reports = []
    for name in chain_names(db, chain):
        if progress is not None:
            progress(name)
        reports.append(_walk(db, keys, name, points.get(name)))
    return reports


def verification_detail(reports: list[ChainReport]) -> dict[str, Any]:
    """What a recorded verification keeps: counts, every break (the first problem of each
    broken chain) and every chain's checkpoint (its head as walked). Logged as well, so a
    copy of the checkpoints lives outside the database."""
    broken = [{"chain": r.chain, "seq": r.broken_seq, "problem": r.problem,
               "problems": len(r.problems) + r.more} for r in reports if not r.ok]
    points = {r.chain: [r.head_seq, r.head_hash] for r in reports if r.head_seq}
    log.info("store audit verified: %d chains, %d broken; checkpoints %s", len(reports),
             len(broken), json.dumps(points, sort_keys=True))
    return {"chains": len(reports), "events": sum(r.events for r in reports),
            "keyed": bool(reports) and all(r.keyed for r in reports), "broken": broken,
            "checkpoints": points}


def record_verification(db: Session, reports: list[ChainReport], *, actor_kind: str,
                        actor_id: str | None, actor_name: str) -> None:
    """The verification as a ``store_audit_verified`` event on the console chain (in a
    transaction of its own, after the read-only one ``verify`` walked in)."""
    append(db, chain=CONSOLE_CHAIN, actor_kind=actor_kind, actor_id=actor_id,
           actor_name=actor_name, action=VERIFIED, detail=verification_detail(reports))


def describe(reports: list[ChainReport]) -> Iterator[str]:
    """``verify-store-audit``'s lines."""
    for r in reports:
        state = f"BROKEN at seq {r.broken_seq}: {r.problem}" if r.problem else "verified"
        yield (f"chain {r.chain}: {r.events} events, head seq {r.head_seq} "
               f"({describe_key(r.key_id)}); {state}")
        for extra in r.problems[1:]:
            yield f"    also at seq {extra.seq}: {extra.text}"
        if r.more:
            yield f"    and {r.more} more problem{'s' if r.more != 1 else ''}"
    if not reports:
        yield "no store audit chains yet"
    if reports and not all(r.keyed for r in reports):
        yield (f"note: some chains are unkeyed (plain SHA-256): set {KEY_FILE_ENV} to a key "
               "file and run `shared-care-store rekey-store-audit`, so a rewritten chain "
               "cannot be recomputed")


# --------------------------------------------------------------------------- rekeying


class RekeyRefused(ValueError):
    """A chain that could not be rekeyed (it does not verify with its old key)."""


def rekey(db: Session, chain: str, *, old_key: bytes | None, actor_name: str,
          actor_id: str | None = None) -> bool:
    """Move ``chain`` to this process's key, in ``db``'s transaction: the chain is walked
    with its old key (``old_key``; None for an unkeyed chain) under its head's lock, then a
    ``store_audit_rekeyed`` event under the new key seals everything before it. False when
    the chain already has this key; RekeyRefused when it does not verify."""
    new_key = audit_key()
    if new_key is None:
        raise AuditKeyError(f"set {KEY_FILE_ENV} to the new key's file before rekeying (a "
                            "chain is never rekeyed to no key)")
    new_id = key_id(new_key)
    head = _lock_head(db, chain, new_id)
    if head.key_id == new_id:
        return False
    if head.key_id != key_id(old_key):
        raise RekeyRefused(f"chain {chain!r} is {describe_key(head.key_id)}, not "
                           f"{describe_key(key_id(old_key))}: give its own old key file")
    walk = _Walk(chain, {UNKEYED: None, key_id(old_key): old_key}, None)
    for event in _events(db, chain):
        walk.step(event)
        db.expunge(event)
    report = walk.finish(head)
    if not report.ok:
        raise RekeyRefused(f"chain {chain!r} does not verify with its old key, so it is not "
                           f"rekeyed: seq {report.broken_seq}: {report.problem}")
    _write(db, head, new_key, actor_kind="cli", actor_id=actor_id, actor_name=actor_name,
           action=REKEYED, team_id=None, device_id=None, user_id=None,
           detail={"from_key": head.key_id, "to_key": new_id, "sealed_seq": head.head_seq,
                   "seal": seal(new_key, walk.running)})
    return True
