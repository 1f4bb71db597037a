"""Verifying the store's own audit trail, and changing a chain's key (issue 21).

The chains themselves, their keys and the canonical hashing are ``sync_server/store_audit.py``'s
(which appends); this module reads them back.

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

**Rekeying** (``rekey``, ``shared-care-store rekey-store-audit``) is the one way a chain's
key changes, e.g. to key chains that were unkeyed: it verifies the chain with its old key,
then appends a ``store_audit_rekeyed`` event under the new key whose detail holds a
**seal**: an HMAC, under the new key, of a running SHA-256 over every earlier event (its
canonical fields and hash). Later, with the new key alone, ``verify`` checks the seal, so
the events written under the old key are still covered after that key is gone.
"""

from __future__ import annotations

import hmac
import json
import logging
from collections.abc import Callable, Iterator, Mapping
from dataclasses import dataclass, field
from typing import Any, NamedTuple

from sqlalchemy import select, union
from sqlalchemy.orm import Session

from sync_server.models import StoreAuditChainHead, StoreAuditEvent
from sync_server.store_audit import (
    CONSOLE_CHAIN,
    GENESIS,
    KEY_FILE_ENV,
    REKEYED,
    UNKEYED,
    VERIFIED,
    AuditKeyError,
    append,
    audit_key,
    describe_key,
    event_canonical,
    fold,
    key_id,
    keyed_digest,
    lock_head,
    seal,
    write_event,
)

log = logging.getLogger(__name__)

MAX_PROBLEMS = 20  # reported per chain; the rest are counted
CHECKPOINT_SOURCES = 30  # the latest verifications whose checkpoints are checked
_STREAM = 2000  # rows fetched at a time while verifying


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
        self.running = fold(self.running, event)
        self.prev_seq, self.prev_hash = event.seq, event.hash

    def _check_hash(self, event: StoreAuditEvent) -> bool:
        if event.key_id not in self.keys:
            if self.unchecked_from is None:
                self.unchecked_from = event.seq
            return False
        key = self.keys[event.key_id]
        if not hmac.compare_digest(keyed_digest(key, event_canonical(event)), event.hash):
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
    head = lock_head(db, chain, new_id)
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
    write_event(db, head, new_key, actor_kind="cli", actor_id=actor_id, actor_name=actor_name,
                action=REKEYED, team_id=None, device_id=None, user_id=None,
                detail={"from_key": head.key_id, "to_key": new_id, "sealed_seq": head.head_seq,
                        "seal": seal(new_key, walk.running)})
    return True
