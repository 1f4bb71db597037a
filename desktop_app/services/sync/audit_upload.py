"""Sending this laptop's audit trail to the central store, after the push of every run.

The store keeps each laptop's chain and refuses an upload that does not continue the one it
holds (docs/sync-server.md, ``POST /api/v1/audit``), so a trail whose last rows were deleted,
or whose rows were edited and every later hash recomputed, is caught there even though it
verifies on the laptop. Each request carries

- ``laptop_id``: the vault's device id (``local_meta``);
- ``after``: the last seq the store acknowledged (``local_meta`` key ``audit_acked_seq``;
  no vault migration);
- ``events``: the rows after it, in seq order, at most ``AUDIT_BATCH`` a request;
- ``head``: the last row's seq and hash now, so the store sees the end of the trail on every
  sync even when nothing new was written.

The store answers with its head, which becomes the new acknowledgement; a lost reply only
means the events are sent again, and the store takes a repeat as harmless. A 409 with
``resend_from`` (the store holds less than it acknowledged: restored from a backup, or this
laptop moved team) sends again from there, once a run. A 409 without it is a break the store
has recorded: the run goes on to pull (care is never blocked) and the result carries
``REFUSED`` for the sync panel.

Audit rows hold ids and an action only. Before a row leaves the laptop its fields are
checked to be plain identifiers; a field that is not goes as ``unreadable`` (a hash as a
digest that cannot link, so the store refuses the trail and records the break), never as
what it held, and the trail goes on moving (one planted row cannot silence it). Whatever
else goes wrong with the upload, the run goes on to pull (``client._Run.upload_audit``).
"""

from __future__ import annotations

import datetime as dt
import hashlib
import json
import logging
import re
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from desktop_app.models.meta import LocalMeta
from desktop_app.services.core.audit import head as audit_head
from desktop_app.services.sync.errors import SyncProtocolError
from desktop_app.services.sync.transport import AuditRefused, BodyTooLarge, StoreConnection
from desktop_app.services.vault.vault import DEVICE_ID_KEY

log = logging.getLogger(__name__)
Write = Callable[[Callable[[Session], Any]], Any]

ACKED_KEY = "audit_acked_seq"
AUDIT_BATCH = 5000  # the store takes at most 5,000 a request
REFUSED = ("The central store found that this laptop's audit trail does not continue the one "
           "it holds. Records still sync. Tell your IT service desk.")
HELD_ELSEWHERE = ("The central store takes this laptop's audit trail from another enrolment "
                  "of it. Records still sync. Ask your IT service desk to revoke the old "
                  "enrolment.")
NOT_SENT = ("This laptop's audit trail could not be sent to the central store. Records still "
            "sync. Tell your IT service desk.")

_ID = re.compile(r"[A-Za-z0-9._:-]{1,36}").fullmatch
_WORD = re.compile(r"[a-z][a-z0-9_]{0,63}").fullmatch
_HASH = re.compile(r"[0-9a-f]{64}").fullmatch


@dataclass(frozen=True)
class AuditBatch:
    """One request's worth: the body, the events in it, the last seq in it and the seq where
    the trail ends now."""

    body: bytes
    events: int
    last_sent: int
    head_seq: int


_FIELDS = ("seq", "id", "at", "user_id", "device_id", "entity_type", "entity_id", "action",
           "prev_hash", "hash")
# Raw column values, not ORM objects: a value changed behind the app's back (not even a
# time, say) must stop the upload there, not crash the run; and 5,000 rows read this way
# take a fifth of the time.
_SELECT = (f"SELECT {', '.join(_FIELDS)} FROM audit_event WHERE seq > ? ORDER BY seq LIMIT ?")


UNREADABLE = "unreadable"  # what goes instead of a field that is not a plain identifier
_EPOCH = "1970-01-01T00:00:00+00:00"
_CHECKS = {"id": _ID, "user_id": _ID, "device_id": _ID, "entity_id": _ID,
           "entity_type": _WORD, "action": _WORD}


def _unreadable_hash(value: object) -> str:
    """A hash field that is not 64 hex digits, as 64 hex digits that cannot link: the same
    each time it is sent (a resend repeats it), never the value of any real row."""
    return hashlib.sha256(f"{UNREADABLE}:{value!r}".encode()).hexdigest()


def _as_sent(row: Any) -> tuple[dict[str, Any], bool]:
    """The row as the wire carries it, and whether a field had to be replaced: a value that
    is not a plain identifier (free text, however it came) never leaves the laptop; it goes
    as ``UNREADABLE`` (a hash as ``_unreadable_hash``, so the store sees the link break), and
    the trail goes on moving: a planted odd row cannot silence the upload for good."""
    event = dict(zip(_FIELDS, row, strict=True))
    replaced = False
    for name, check in _CHECKS.items():
        value = event[name]
        if not (isinstance(value, str) and check(value) and len(value) <= 36):
            event[name], replaced = UNREADABLE, True
    for name in ("prev_hash", "hash"):
        value = event[name]
        if not (isinstance(value, str) and _HASH(value)):
            event[name], replaced = _unreadable_hash(value), True
    try:
        event["at"] = dt.datetime.fromisoformat(event["at"]).replace(tzinfo=dt.UTC).isoformat()
    except (TypeError, ValueError):
        event["at"], replaced = _EPOCH, True
    return event, replaced


def acknowledged(session: Session) -> int:
    """The last seq the store acknowledged (0: none yet)."""
    row = session.get(LocalMeta, ACKED_KEY)
    return int(row.value) if row is not None and row.value.isdigit() else 0


def _acknowledge(session: Session, seq: int) -> None:
    row = session.get(LocalMeta, ACKED_KEY)
    if row is None:
        session.add(LocalMeta(key=ACKED_KEY, value=str(seq)))
    else:
        row.value = str(seq)


def read_batch(session: Session, after: int, limit: int = AUDIT_BATCH) -> AuditBatch:
    """The request for the events after ``after`` (at most ``limit``)."""
    meta = session.get(LocalMeta, DEVICE_ID_KEY)
    if meta is None:
        raise SyncProtocolError("This vault has no device id; its audit trail cannot be sent.")
    head_seq, _, head_hash, _ = audit_head(session.connection())
    events: list[dict[str, Any]] = []
    for row in session.connection().exec_driver_sql(_SELECT, (after, limit)):
        event, replaced = _as_sent(row)
        if replaced:
            log.warning("audit row seq %s holds a value that is not a plain identifier; it "
                        "is sent marked %s", row[0], UNREADABLE)
        events.append(event)
    if not _HASH(head_hash):
        head_hash = _unreadable_hash(head_hash)
    body = json.dumps({"laptop_id": meta.value, "after": after, "events": events,
                       "head": {"seq": head_seq, "hash": head_hash}},
                      separators=(",", ":")).encode()
    last_sent = events[-1]["seq"] if events else after
    return AuditBatch(body, len(events), last_sent, head_seq)


def upload_audit(conn: StoreConnection, write: Write, stop: Callable[[], bool]) -> str | None:
    """Send the events the store has not acknowledged, batch by batch; None when the store
    took them all, else the message for the sync panel (the run goes on either way)."""
    after: int = write(acknowledged)
    limit, resent = AUDIT_BATCH, False
    while True:
        batch: AuditBatch = write(partial(read_batch, after=after, limit=limit))
        try:
            answer = conn.audit(batch.body)
        except BodyTooLarge:
            if limit == 1:
                return NOT_SENT
            limit = max(1, limit // 2)
            continue
        except AuditRefused as refused:
            resend_from = refused.answer.get("resend_from")
            if isinstance(resend_from, int) and 0 <= resend_from < after and not resent:
                log.info("the central store holds this laptop's audit trail only up to seq "
                         "%d; sending again from there", resend_from)
                after, resent = resend_from, True
                continue
            if refused.answer.get("held_elsewhere") is True:
                log.warning("the central store takes this laptop's audit trail from another "
                            "enrolment of it")
                return HELD_ELSEWHERE
            log.warning("the central store refused this laptop's audit trail after seq %d "
                        "(its head: %s)", after, _head_text(refused.answer.get("head")))
            return REFUSED
        except SyncProtocolError:
            log.warning("the central store could not read this laptop's audit trail")
            return NOT_SENT
        seq = _answered_seq(answer)
        if seq is None or seq < after:
            raise SyncProtocolError("The central store's answer to the audit trail could not "
                                    "be read; sync will try again later.")
        write(partial(_acknowledge, seq=seq))
        if seq >= batch.head_seq or batch.last_sent <= after or stop():
            return None
        after = seq


def _answered_seq(answer: dict[str, Any]) -> int | None:
    head = answer.get("head")
    seq = head.get("seq") if isinstance(head, dict) else None
    return seq if isinstance(seq, int) and not isinstance(seq, bool) else None


def _head_text(head: object) -> str:
    if isinstance(head, dict) and isinstance(head.get("seq"), int):
        return f"seq {head['seq']} {str(head.get('hash'))[:12]}"
    return "unknown"
