"""Applying a pushed batch: one transaction, one answer per change, in order.

The batch first takes its team's version counter row lock, so a team's pushes run one after
another and its versions become visible in the order they were handed out: a pull cursor
(always one team's) can never pass a version whose transaction commits later. Other teams'
pushes lock their own counters and are never kept waiting. Everything the batch needs is
read in two queries (the keys already applied, the records already stored) and written in
two (``record_store``). Should another team's push take one of the batch's record ids or
idempotency keys first (never in honest use: both are random UUIDs), the batch is rolled
back to its savepoint and answered again from what that push committed.

A change conflicts when the stored row moved past its ``base_server_version`` and the move
was not this device's own: a laptop that edits a row twice before it syncs sends both
changes with the same base, and the second must not conflict with the first.
"""

from __future__ import annotations

import hashlib
import logging
import re
import uuid
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy.orm import Session

from sync_server import codec, record_store
from sync_server.auth import DeviceContext
from sync_server.config import MAX_ROW_BYTES
from sync_server.entities import SYNCED_ENTITY_TYPES
from sync_server.models import utc_now
from sync_server.record_store import AppliedWrite, Key, RecordWrite, StoredRecord
from sync_server.schemas import ChangeIn

log = logging.getLogger(__name__)

KEY_REUSED = "idempotency key reused with different content"
OTHER_TEAM = "this record cannot be changed by this device's team"


@dataclass(slots=True)
class _Valid:
    """A change that passed validation, with its row's JSON text and its content hash."""

    change: ChangeIn
    row_json: str
    content_hash: str


_UUID_MATCH = re.compile(r"[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}").fullmatch


def validate(team_id: str, change: ChangeIn) -> _Valid | str:
    """The validated change, or why it cannot be applied whatever the store holds."""
    entity_type, record_id, row = change.entity_type, change.id, change.row
    if entity_type not in SYNCED_ENTITY_TYPES:
        return "unknown entity type"
    if not _UUID_MATCH(record_id):
        try:
            uuid.UUID(record_id)
        except ValueError:
            return "id is not a UUID"
        return "id is not a UUID in canonical lower-case form"
    if not isinstance(row, dict):
        return "row must be a JSON object"
    if row.get("id") != record_id:
        return "row id does not match the change id"
    try:
        encoded = codec.row_text(row)
    except ValueError as exc:  # a lone surrogate: it could be stored but never sent back
        return str(exc)
    if len(encoded) > MAX_ROW_BYTES:
        return "row is too large"
    # What the key stands for; the team is part of it, so another team's device sending
    # the same key and content learns nothing of the first answer. (Ids and types are
    # validated above, the team id is the store's own: none needs quoting.)
    digest = hashlib.sha256(f"{team_id}|{entity_type}|{record_id}|{change.base_server_version}|"
                            f"{change.tombstone}\n".encode())
    digest.update(encoded)
    return _Valid(change, encoded.decode(), digest.hexdigest())


def _rejected(key: str, reason: str) -> dict[str, Any]:
    return {"idempotency_key": key, "status": "rejected", "reason": reason}


class _Batch:
    """The state of one batch as it is answered change by change."""

    def __init__(self, session: Session, device: DeviceContext,
                 checked: list[_Valid | str], keys: list[str]) -> None:
        self.device = device
        ids = list({c.change.id for c in checked if isinstance(c, _Valid)})
        state = record_store.read_state(session, device.team_id, list(set(keys)), ids)
        self.version, self.seen = state.counter, state.seen
        self.stored: dict[Key, StoredRecord] = state.stored
        self.existed = set(self.stored)
        self.records: dict[Key, RecordWrite] = {}
        self.applied: list[AppliedWrite] = []
        self.conflicts: list[tuple[dict[str, Any], Key]] = []

    def answer(self, valid: _Valid) -> dict[str, Any]:
        change, key = valid.change, valid.change.idempotency_key
        if key in self.seen:
            digest, original = self.seen[key]
            if digest == valid.content_hash:
                return {"idempotency_key": key, "status": "duplicate", "original": original}
            # Only the key and the entity type: never any of the row (patient data).
            log.warning("refused a reused idempotency key %s (entity type %s, device %s)",
                        key, change.entity_type, self.device.device_id)
            return _rejected(key, KEY_REUSED)
        record: Key = (change.entity_type, change.id)
        current = self.stored.get(record)
        if current is not None and current.team_id != self.device.team_id:
            return _rejected(key, OTHER_TEAM)
        if (current is not None and change.base_server_version != current.server_version
                and current.device_id != self.device.device_id):
            conflict = {"idempotency_key": key, "status": "conflict",
                        "server_version": current.server_version, "row": None,
                        "tombstone": current.tombstone}
            self.conflicts.append((conflict, record))  # its row is filled in after the loop
            return conflict
        self.version += 1
        answer = record_store.applied_answer(key, self.version)
        self.seen[key] = (valid.content_hash, answer)
        self.stored[record] = StoredRecord(self.device.team_id, self.version, change.tombstone,
                                           self.device.device_id)
        self.records[record] = RecordWrite(change.entity_type, change.id, self.version,
                                           valid.row_json, change.tombstone,
                                           new=record not in self.existed)
        self.applied.append(AppliedWrite(key, valid.content_hash, change.entity_type,
                                         change.id, self.version))
        return answer


RACE_TRIES = 3  # answering again sees what the other team's push committed: one retry does


def apply_batch(session: Session, device: DeviceContext, changes: Sequence[ChangeIn]
                ) -> list[dict[str, Any]]:
    """Apply ``changes`` inside the caller's transaction; the answers, in order."""
    checked = [validate(device.team_id, c) for c in changes]
    keys = [c.idempotency_key for c in changes]
    for tries_left in range(RACE_TRIES, 0, -1):
        try:
            with record_store.attempt(session):
                return _apply(session, device, checked, changes, keys)
        except record_store.RaceLost:
            # Ids and keys only, as for a reused key: never any of the rows.
            log.warning("another team's push took a record id or key of this batch first "
                        "(device %s); answering the batch again", device.device_id)
            if tries_left == 1:
                raise
    raise AssertionError("unreachable")


def _apply(session: Session, device: DeviceContext, checked: list[_Valid | str],
           changes: Sequence[ChangeIn], keys: list[str]) -> list[dict[str, Any]]:
    batch = _Batch(session, device, checked, keys)
    answers = [batch.answer(c) if isinstance(c, _Valid) else _rejected(ch.idempotency_key, c)
               for c, ch in zip(checked, changes, strict=True)]
    if batch.conflicts:
        # Conflicting rows were written before this batch (never by it: the batch's own
        # writes are this device's), so the stored row is the one to show.
        rows = record_store.stored_rows(session, [record for _, record in batch.conflicts])
        for conflict, record in batch.conflicts:
            conflict["row"] = rows[record]
    if batch.applied:
        record_store.write(session, device.team_id, device.device_id, utc_now(),
                           list(batch.records.values()), batch.applied, batch.version)
    return answers
