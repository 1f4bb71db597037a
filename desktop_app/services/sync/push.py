"""Reading the outbox into batches, and acting on the store's answers to them.

Coalescing and idempotency keys
-------------------------------
Several pending entries for one row send the row once: the **latest** entry, with its own
key, base and full row, stands for the earlier ones, which are marked with its outcome when
it is answered (done, conflict or quarantined). An entry's content never changes under its
key, since every entry is sent exactly as tracking wrote it.

The exception is an entry that was **already sent** (``attempts > 0``) and never answered —
the reply was lost, the laptop crashed, the run was cancelled mid-request. The store may
have applied it, so it is sent again, with the same key and content, until it is answered:
it then comes back ``duplicate`` (applied before) or is applied now. It goes in the same
batch or an earlier one than the row's latest entry (the outbox is read in ``seq`` order),
so the latest still lands last. Only never-sent entries are folded into a later one.

Within a run the plan is made once from the entries pending at its start; edits made while
it runs go out on the next run. ``attempts`` is raised, and committed, before a batch goes
out, so a crash after the store committed still leaves the entry marked as sent.
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, field
from json.encoder import encode_basestring_ascii as _quote
from typing import Any

from sqlalchemy import Text, and_, bindparam, delete, func, select, type_coerce, update
from sqlalchemy.orm import Session

from desktop_app.models.base import utc_now
from desktop_app.models.outbox import OutboxEntry, OutboxPayload, OutboxState
from desktop_app.models.sync import SyncConflict
from desktop_app.services.core.errors import InternalError
from desktop_app.services.core.tracking import row_payload
from desktop_app.services.sync.entities import entity
from desktop_app.services.sync.errors import SyncProtocolError

# ``seq IN`` the JSON array bound as ``seqs`` (``_seqs``): one bound value however many
# entries, so no statement renders and binds an ``IN (...)`` of hundreds of values.
_LISTED = OutboxEntry.seq.in_(
    select(func.json_each(bindparam("seqs", type_=Text)).table_valued("value").c.value))


def _seqs(seqs: Iterable[int]) -> dict[str, str]:
    return {"seqs": json.dumps(list(seqs))}


_PENDING_LISTED = and_(_LISTED, OutboxEntry.state == OutboxState.PENDING.value)
_READ_FOR_SENDING = (
    select(OutboxEntry.seq, OutboxEntry.idempotency_key, OutboxEntry.base_server_version,
           type_coerce(OutboxPayload.payload, Text).label("row_json"), OutboxPayload.tombstone)
    .outerjoin(OutboxPayload, OutboxPayload.seq == OutboxEntry.seq).where(_PENDING_LISTED)
)
_COUNT_AS_SENT = update(OutboxEntry).where(_LISTED).values(attempts=OutboxEntry.attempts + 1)
_STILL_PENDING = select(OutboxEntry.seq).where(_PENDING_LISTED)


@dataclass(frozen=True)
class PlannedChange:
    """One outbox entry to send, and the never-sent earlier entries of its row it stands for."""

    seq: int
    entity_type: str
    entity_id: str
    superseded: tuple[int, ...] = ()


@dataclass(frozen=True)
class SentChange:
    """A change as it went out in a batch: what its answer is matched against."""

    planned: PlannedChange
    idempotency_key: str


@dataclass(frozen=True)
class PreparedBatch:
    """A batch ready to send: its changes, the request body, and how many planned entries
    it covers (those no longer pending when it was read are passed over)."""

    changes: tuple[SentChange, ...]
    body: bytes
    consumed: int


@dataclass
class AnswerTally:
    """What the answers to one batch did."""

    done: int = 0
    conflicts: int = 0
    quarantined: int = 0
    unanswered: int = 0
    reasons: list[str] = field(default_factory=list)


def plan_push(session: Session) -> list[PlannedChange]:
    """The pending entries to send, in ``seq`` order, coalesced per row (module docstring)."""
    # Rows are unpacked as tuples throughout: a Row's attributes cost far more per read.
    rows = session.connection().execute(
        select(OutboxEntry.seq, OutboxEntry.entity_type, OutboxEntry.entity_id,
               OutboxEntry.attempts)
        .where(OutboxEntry.state == OutboxState.PENDING.value).order_by(OutboxEntry.seq)
    ).all()
    latest = {(entity_type, entity_id): seq for seq, entity_type, entity_id, _ in rows}
    folded: dict[int, list[int]] = {}
    sent: list[tuple[int, str, str]] = []
    for seq, entity_type, entity_id, attempts in rows:
        last = latest[(entity_type, entity_id)]
        if seq == last or attempts > 0:
            sent.append((seq, entity_type, entity_id))
        else:
            folded.setdefault(last, []).append(seq)
    return [PlannedChange(seq, et, eid, tuple(folded.get(seq, ()))) for seq, et, eid in sent]


def _encode(key: str, entity_type: str, entity_id: str, base: int | None, row_json: str,
            tombstone: bool) -> str:
    # The stored payload text goes out as it is (it is JSON already): nothing is parsed and
    # encoded again, and the content under a key is byte-for-byte what was sent before. The
    # strings are quoted by what ``json.dumps`` uses for a str (ASCII, escaped alike),
    # without its per-call set-up.
    return (f'{{"idempotency_key":{_quote(key)},"entity_type":{_quote(entity_type)},'
            f'"id":{_quote(entity_id)},"base_server_version":'
            f'{"null" if base is None else int(base)},'
            f'"row":{row_json},"tombstone":{"true" if tombstone else "false"}}}')


def prepare_batch(session: Session, planned: Sequence[PlannedChange], max_bytes: int
                  ) -> PreparedBatch:
    """Encode as many of ``planned`` as fit in ``max_bytes`` (at least one) and count them
    as sent (``attempts + 1``) in the caller's transaction, which commits before sending.

    An entry closed since the plan was made (a person resolved its conflict meanwhile) is
    passed over: the resolution is the record's latest word."""
    conn = session.connection()
    stored: dict[int, tuple[str, int | None, str | None, bool | None]] = {
        seq: (key, base, row_json, tombstone) for seq, key, base, row_json, tombstone
        in conn.execute(_READ_FOR_SENDING, _seqs(p.seq for p in planned)).all()}
    parts: list[str] = []
    sent: list[SentChange] = []
    size, consumed = 16, 0
    for p in planned:
        found = stored.get(p.seq)
        if found is None:
            consumed += 1
            continue
        key, base, row_json, tombstone = found
        if row_json is None:  # tracking writes both rows in one transaction
            raise InternalError(f"outbox entry {p.seq} has no payload row")
        text = _encode(key, p.entity_type, p.entity_id, base, row_json, bool(tombstone))
        if parts and size + len(text) + 1 > max_bytes:
            break
        parts.append(text)
        size += len(text) + 1
        consumed += 1
        sent.append(SentChange(p, key))
    if sent:
        conn.execute(_COUNT_AS_SENT, _seqs(s.planned.seq for s in sent))
    body = ('{"changes":[' + ",".join(parts) + "]}").encode("ascii")
    return PreparedBatch(tuple(sent), body, consumed)


def _answered_version(answer: dict[str, Any]) -> int | None:
    """The version an applied or duplicate answer stored the change as; None otherwise."""
    if answer.get("status") == "duplicate":
        answer = answer.get("original") or {}
    if answer.get("status") == "applied" and isinstance(answer.get("server_version"), int):
        return int(answer["server_version"])
    return None


def _set_state(session: Session, seqs: list[int], state: OutboxState,
               error: str | None = None) -> None:
    values: dict[str, Any] = {"state": state.value, "last_error": error}
    if state is OutboxState.DONE:
        values["done_at"] = utc_now()
    if seqs:
        session.connection().execute(
            update(OutboxEntry).where(_LISTED).values(**values), _seqs(seqs))


def _record_versions(session: Session, versions: list[tuple[str, str, int]]) -> None:
    """Set each answered row's ``server_version`` (never backwards), without tracking.

    One statement per entity type, whatever the count: the ids and versions go to SQLite
    as one JSON object (id -> the highest version answered for it) read by ``json_each``."""
    by_type: dict[str, dict[str, int]] = {}
    for entity_type, entity_id, version in versions:
        newest = by_type.setdefault(entity_type, {})
        newest[entity_id] = max(version, newest.get(entity_id, version))
    for entity_type, newest in by_type.items():
        synced = entity(entity_type)
        if synced is None:
            continue
        t = synced.table
        answered = func.json_each(bindparam("versions", type_=Text)).table_valued("key", "value")
        stmt = (update(t).where(t.c.id == answered.c.key)
                .where(t.c.server_version.is_(None) | (t.c.server_version < answered.c.value))
                .values(server_version=answered.c.value))
        session.connection().execute(stmt, {"versions": json.dumps(newest)})


def record_conflict(session: Session, entity_type: str, entity_id: str, seq: int,
                    theirs: dict[str, Any], theirs_tombstone: bool, theirs_version: int) -> None:
    """Keep both versions: mine as the row stands here now, theirs as the store holds it.

    One open conflict per record: a later conflict on the same record updates it.
    """
    synced = entity(entity_type)
    local = session.get(synced.model, entity_id) if synced else None
    mine = row_payload(local) if local is not None else {}
    conflict = session.scalars(
        select(SyncConflict).where(SyncConflict.entity_type == entity_type,
                                   SyncConflict.entity_id == entity_id,
                                   SyncConflict.resolved_at.is_(None))).first()
    if conflict is None:
        conflict = SyncConflict(entity_type=entity_type, entity_id=entity_id)
        session.add(conflict)
    conflict.outbox_seq, conflict.mine = seq, mine
    conflict.theirs, conflict.theirs_tombstone = theirs, theirs_tombstone
    conflict.theirs_server_version = theirs_version
    conflict.detected_at = utc_now()
    session.flush()


def _still_pending(session: Session, seqs: list[int]) -> set[int]:
    return set(session.connection().execute(_STILL_PENDING, _seqs(seqs)).scalars().all())


def answers_match(sent: Sequence[SentChange], answers: list[Any]) -> bool:
    """Whether ``answers`` answer exactly the changes ``sent``, in order."""
    keys = [a.get("idempotency_key") if isinstance(a, dict) else None for a in answers]
    return keys == [s.idempotency_key for s in sent]


def understood(answer: dict[str, Any]) -> bool:
    """Whether ``answer`` is one ``apply_answers`` can act on (any other leaves its entry
    pending, to be sent again)."""
    status = answer.get("status")
    return (_answered_version(answer) is not None or status == "rejected"
            or (status == "conflict" and isinstance(answer.get("server_version"), int)))


def _check_answers(sent: Sequence[SentChange], answers: list[Any]) -> None:
    if not answers_match(sent, answers):
        raise SyncProtocolError("The central store's answers did not match the batch sent; "
                                "nothing was marked as sent. Sync will try again later.")


def apply_answers(session: Session, sent: Sequence[SentChange], answers: list[Any]
                  ) -> AnswerTally:
    """Mark entries by the store's answers, in the caller's transaction (module docstring)."""
    _check_answers(sent, answers)
    tally = AnswerTally()
    done: list[int] = []
    versions: list[tuple[str, str, int]] = []
    # A person may have resolved a record's conflict while its change was on the wire: the
    # resolution closed the entries, and stands. Their answer is then left alone (no row
    # version recorded either: the next pull brings whatever the store now holds).
    pending = _still_pending(session, [q for c in sent for q in (c.planned.seq,
                                                                 *c.planned.superseded)])
    for change, answer in zip(sent, answers, strict=True):
        p = change.planned
        if p.seq not in pending:
            continue
        seqs = [q for q in (p.seq, *p.superseded) if q in pending]
        status = answer.get("status")
        version = _answered_version(answer)
        if version is not None:
            done += seqs
            versions.append((p.entity_type, p.entity_id, version))
            tally.done += 1
        elif status == "conflict" and isinstance(answer.get("server_version"), int):
            theirs = answer.get("row") if isinstance(answer.get("row"), dict) else {}
            _set_state(session, seqs, OutboxState.CONFLICT)
            record_conflict(session, p.entity_type, p.entity_id, p.seq, theirs,
                            bool(answer.get("tombstone")), int(answer["server_version"]))
            tally.conflicts += 1
        elif status == "rejected":
            reason = str(answer.get("reason") or "refused by the central store")[:500]
            _set_state(session, seqs, OutboxState.QUARANTINED, reason)
            tally.quarantined += 1
            tally.reasons.append(reason)
        else:
            tally.unanswered += 1  # not an answer we can act on: stays pending, sent again
    _set_state(session, done, OutboxState.DONE)
    _record_versions(session, versions)
    return tally


def quarantine_unsendable(session: Session, change: PlannedChange, reason: str) -> None:
    """An entry the store will not even take in a batch of its own (413)."""
    _set_state(session, [change.seq, *change.superseded], OutboxState.QUARANTINED, reason)


# How long entries the store answered are kept after the answer: long enough to look into a
# problem a nurse reports, short enough that the vault does not grow with every edit ever
# made (each entry holds a whole copy of its row).
KEEP_ANSWERED = dt.timedelta(days=30)


def forget_answered(session: Session, now: dt.datetime) -> int:
    """Delete entries marked done more than ``KEEP_ANSWERED`` before ``now``, with their
    payloads; how many. Entries still waiting, quarantined or in conflict are kept."""
    gone = session.execute(
        delete(OutboxEntry).where(OutboxEntry.state == OutboxState.DONE.value,
                                  OutboxEntry.done_at < now - KEEP_ANSWERED)
        .execution_options(synchronize_session=False))
    return int(getattr(gone, "rowcount", 0) or 0)
