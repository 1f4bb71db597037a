"""The audit chain's head witnessed in the key file, and the check made after each unlock.

The key file's ``witness`` (``keyfile.Witness``) records, under an HMAC with the audit key:
where the chain turns keyed (``keyed_from``), its head as last verified (seq, event id,
hash, time), the breaks already told, and the wrong-passphrase counts at that moment.

**When it is written.** At unlock (``prepare``: the counts, with the counter's reset, in
the same atomic write; the head stays as it was until the chain has been verified), when
the check after the unlock ends (``AuditCheck`` via ``VaultSession.check_audit``: head and
breaks), at the session's close (lock, sign-out, quitting) and after a sync run
(``VaultSession.witness_audit``). Never on a save: a save's p95 has about 0.2 ms to spare
and rewriting the key file costs several ms. So the **window** is the rows written since
the last of those moments: deleting some of the newest rows (or editing one and
recomputing those after it with the key) within that window is not caught here; the
central store, which receives the events at each sync, narrows it further. The head is
only moved on after a complete check: a session closed before its check ended leaves the
old head, and the next unlock checks everything again.

**The check.** At unlock, at once (a few queries): the witness's MAC, the row at the
witnessed seq (a shortened trail, or a recomputation before the head, no longer has it
with the witnessed hash) and the counter (``total`` grown by exactly the failures since
the witness: a counter wound back is caught even with the key file's checksum fixed).
Then, a slice of ``STEP_ROWS`` at a time on the database thread, so a save waits for one
slice at most: every row's link and hash (``audit.ChainWalk``; plain before
``keyed_from``, keyed from it). On 100,000 rows the walk takes seconds (2.8 s measured on a
busy 2-core machine, ``benchmarks/vault.py``), far more than a sign-in should wait, so it
runs after the unlock, never holding the sign-in or any care work up. What was not told
before is then recorded as ``chain_broken`` audit events (the sync sends them to the
central store, which records a break) and added to the witness's breaks, and the user is
told once (``AuditReport.message``); a break found again at the next unlock is not told
again, a new one is. Findings about the key file itself (its audit key or witness
altered, the counter wound back) are recorded as ``chain_broken`` on entity ``key_file``
(the vault id); a row's, on ``audit_event`` (the first broken row's event id, or for a
shortened trail the witnessed head's).
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import time
from dataclasses import dataclass, field, replace

from sqlalchemy import Connection, Engine

from desktop_app.models.audit import AuditAction
from desktop_app.services.core.audit import (
    AUDIT_KEY_BYTES,
    AuditKeying,
    ChainBreak,
    ChainWalk,
    head,
    row_at,
)
from desktop_app.services.vault import keyfile
from desktop_app.services.vault.keyfile import Attempts, BadSecret, KeyFile, Witness

log = logging.getLogger(__name__)

STEP_ROWS = 2_000
ROW = "row"  # a row whose link or hash does not hold
MISSING = "missing"  # the witnessed head row is gone: the trail was cut short
HEAD = "head"  # the witnessed head row holds another hash: rewritten up to it
KEY_FILE = "key_file"  # the key file's audit key or witness was changed
COUNTER = "counter"  # the wrong-passphrase counter was wound back
AUDIT_ENTITY = "audit_event"
KEY_FILE_ENTITY = "key_file"
TAIL = ("You can carry on working; the central store will be told at the next sync. "
        "Tell your IT service desk.")


@dataclass(frozen=True)
class Finding:
    """Something found changed outside the app; ``ident`` is how the witness remembers it
    was told."""

    kind: str
    ident: str
    seq: int = 0
    event_id: str = ""
    at: str = ""
    detail: str = ""

    def audit_item(self, vault_id: str) -> tuple[str, str, str]:
        """The ``chain_broken`` audit event recording it."""
        if self.kind in (ROW, MISSING, HEAD):
            return AUDIT_ENTITY, self.event_id, AuditAction.CHAIN_BROKEN.value
        return KEY_FILE_ENTITY, vault_id, AuditAction.CHAIN_BROKEN.value

    def sentence(self) -> str:
        """What was found, in words."""
        when = _when(self.at)
        if self.kind == ROW:
            return (f"This laptop's audit trail was changed outside the app: entry {self.seq} "
                    f"({when}) onwards does not match.")
        if self.kind == MISSING:
            return (f"This laptop's audit trail was changed outside the app: entries from "
                    f"{self.seq} ({when}) onwards are missing.")
        if self.kind == HEAD:
            return (f"This laptop's audit trail was changed outside the app: entry {self.seq} "
                    f"({when}), or one before it, does not match.")
        if self.kind == COUNTER:
            return ("The count of wrong passphrases on this laptop was changed outside the "
                    f"app ({self.detail}).")
        return ("This laptop's audit trail was changed outside the app: the key file's "
                f"record of it ({self.detail}) was altered.")


def _when(at: str) -> str:
    try:
        stamp = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC).astimezone()
    except (TypeError, ValueError):
        return "date unreadable"
    return f"{stamp.day} {stamp:%B %Y %H:%M}"


def row_finding(brk: ChainBreak) -> Finding:
    """The finding of one break of the chain."""
    return Finding(ROW, f"row:{brk.seq}:{brk.event_id}", brk.seq, brk.event_id, brk.at,
                   brk.reason)


@dataclass(frozen=True)
class AuditReport:
    """The end of one unlock's check: what was newly found (and recorded), rows walked."""

    findings: tuple[Finding, ...] = ()
    rows: int = 0
    seconds: float = 0.0

    @property
    def message(self) -> str:
        """What to tell the user, once ("" when nothing new was found)."""
        if not self.findings:
            return ""
        first = self.findings[0].sentence()
        more = len(self.findings) - 1
        also = f" {more} other change{'s' if more > 1 else ''} were found too." if more else ""
        return f"{first}{also} {TAIL}"


@dataclass
class AuditCheck:
    """One unlock's check: the witness's findings, then the chain walked a slice at a time."""

    keying: AuditKeying
    known: frozenset[str]
    early: list[Finding]
    walk: ChainWalk = field(init=False)
    started: float = field(default_factory=time.perf_counter)
    report: AuditReport | None = None

    def __post_init__(self) -> None:
        self.walk = ChainWalk(self.keying)

    def step(self, conn: Connection, rows: int | None) -> bool:
        """Walk up to ``rows`` more rows (all without a limit); True once walked to the end."""
        return self.walk.step(conn, rows)

    def new_findings(self) -> list[Finding]:
        """Everything found, less what the witness says was told before; a row that does
        not hold first (it says where), then what the witness and the key file show."""
        found = [row_finding(b) for b in self.walk.breaks] + self.early
        return [f for f in found if f.ident not in self.known]


@dataclass(frozen=True)
class Prepared:
    """What unlocking settles about the audit trail: the key and the check to run."""

    keying: AuditKeying
    check: AuditCheck
    key_file: KeyFile


def _counter_finding(witness: Witness, attempts: Attempts) -> Finding | None:
    grown = attempts.total - witness.attempts_total
    if grown >= 0 and grown == attempts.failures - witness.attempts_failures:
        return None
    if grown < 0:
        detail = f"its total went back from {witness.attempts_total} to {attempts.total}"
    else:
        detail = (f"{grown} wrong attempt{'s' if grown != 1 else ''} since it was last "
                  f"checked, but {max(0, attempts.failures - witness.attempts_failures)} "
                  "counted towards the wait")
    return Finding(COUNTER, f"counter:{witness.attempts_total}:{attempts.total}:"
                            f"{attempts.failures}", detail=detail)


def _head_finding(conn: Connection, witness: Witness) -> Finding | None:
    if witness.seq == 0:
        return None
    row = row_at(conn, witness.seq)
    if row is None:
        return Finding(MISSING, f"missing:{witness.seq}:{witness.event_id}", witness.seq,
                       witness.event_id, witness.at)
    event_id, digest, at = row
    if (event_id, digest) == (witness.event_id, witness.hash):
        return None
    return Finding(HEAD, f"head:{witness.seq}:{witness.hash}:{digest}", witness.seq,
                   event_id, at)


def current_witness(conn: Connection, keying: AuditKeying, breaks: tuple[str, ...],
                    attempts: Attempts) -> Witness:
    """A witness of the chain's head as it is now (not yet signed)."""
    seq, event_id, digest, at = head(conn)
    return Witness(keying.keyed_from, seq, event_id, digest, at, breaks, attempts.total,
                   attempts.failures)


def prepare(engine: Engine, kf: KeyFile, db_key: bytes, attempts: Attempts) -> Prepared:
    """At a successful unlock (after migrations, before any new audit row): the audit key
    (made now for a vault that has none), the witness's findings, and the key file to
    write with the counter reset.

    The witness's head is moved on only once the chain has been checked. Its counts are
    brought up to date with the reset (the counter's check needs them together), unless
    the counter was found changed; a witness that does not verify, or is missing, is left
    as found. Either way what was found is found again if this session ends before its
    check does."""
    early: list[Finding] = []
    key: bytes | None = None
    if kf.audit_key is not None:
        try:
            key = keyfile.open_audit_key(kf.vault_id, db_key, kf.audit_key)
        except BadSecret:
            early.append(Finding(KEY_FILE, "key_file:audit_key", detail="its audit key"))
    cleared = Attempts(0, 0.0, attempts.total)
    witness = kf.witness
    sealed = kf.audit_key
    with engine.connect() as conn:
        if key is None:
            # No audit key yet (a vault made before it, or its key was changed): a new one,
            # keyed from the next row; the rows before it keep their plain hashes.
            key = os.urandom(AUDIT_KEY_BYTES)
            sealed = keyfile.seal_audit_key(kf.vault_id, db_key, key)
            keying = AuditKeying(key, head(conn)[0] + 1)
            return Prepared(keying, AuditCheck(keying, frozenset(), early), replace(
                kf, attempts=cleared, audit_key=sealed,
                witness=current_witness(conn, keying, (), cleared).signed(key, kf.vault_id)))
        if witness is None:
            early.append(Finding(KEY_FILE, "key_file:no_witness", detail="its witness"))
            keying = AuditKeying(key, 1)
            return Prepared(keying, AuditCheck(keying, frozenset(), early),
                            replace(kf, attempts=cleared))
        keying = AuditKeying(key, max(1, witness.keyed_from))
        if not witness.verifies(key, kf.vault_id):
            early.append(Finding(KEY_FILE, f"key_file:witness:{witness.mac[:16]}",
                                 detail="its witness"))
            return Prepared(keying, AuditCheck(keying, frozenset(), early),
                            replace(kf, attempts=cleared))
        head_found = _head_finding(conn, witness)
        counter_found = _counter_finding(witness, attempts)
    early += [f for f in (head_found, counter_found) if f is not None]
    if counter_found is None:
        witness = replace(witness, attempts_total=cleared.total,
                          attempts_failures=0).signed(key, kf.vault_id)
    return Prepared(keying, AuditCheck(keying, frozenset(witness.breaks), early),
                    replace(kf, attempts=cleared, audit_key=sealed, witness=witness))


def witness_now(conn: Connection, kf: KeyFile, keying: AuditKeying,
                breaks: tuple[str, ...]) -> KeyFile:
    """The key file with its witness moved to the chain's head as it is now."""
    attempts = kf.attempts or Attempts()
    fresh = current_witness(conn, keying, breaks, attempts)
    return replace(kf, witness=fresh.signed(keying.key, kf.vault_id))
