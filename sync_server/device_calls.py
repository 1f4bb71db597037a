"""A device's request to the laptop API: its token and what it says about itself, the
lookup that serves or refuses it, and what a push batch's audit event counts.

Every device endpoint (push, pull, audit, framework) looks its caller up with
``device_for_call`` in the transaction that then does the work: an unknown or revoked
token, or one whose user is deactivated, is refused with 401 and words of its own
(``auth.find_device``); a served one is noted as seen (``auth.touch_device``) first, so a
push locks the device row (when it writes it at all), then its team's version counter, then
its team's audit chain, in that order everywhere.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from fastapi import HTTPException, Request
from sqlalchemy.orm import Session

from sync_server.auth import (
    UNKNOWN_DEVICE,
    ClientFacts,
    DeviceContext,
    DeviceRefused,
    find_device,
    touch_device,
)

PENDING_HEADER = "X-Pending-Changes"  # the laptop's changes still waiting to be sent


@dataclass(frozen=True)
class DeviceCall:
    """A device's request as its endpoint needs it: the bearer token, and what the laptop
    said about itself (its app version and changes waiting, for the console)."""

    token: str
    facts: ClientFacts


def facts_of(request: Request) -> ClientFacts:
    """What the request's headers say about the laptop (``X-Client-Version``,
    ``X-Pending-Changes``); malformed values are ignored, never refused."""
    headers = request.headers
    return ClientFacts.from_headers(headers.get("x-client-version"),
                                    headers.get(PENDING_HEADER.lower()))


def unknown_device(detail: str = UNKNOWN_DEVICE) -> HTTPException:
    """The 401 for a token the store will not serve, with the reason's words."""
    return HTTPException(401, detail, headers={"WWW-Authenticate": "Bearer"})


def seen_refused(db: Session, refused: DeviceRefused, facts: ClientFacts) -> None:
    """A deactivated user's laptop is still seen (the console shows it trying, with the
    changes it holds): noted and committed before the refusal."""
    if refused.device_id is not None:
        touch_device(db, refused.device_id, facts, refused.told)
        db.commit()


def device_for_call(db: Session, call: DeviceCall) -> DeviceContext:
    """The live device holding the call's token, looked up in the transaction that then
    pushes or pulls, on the endpoint's own thread (a dependency runs on another worker
    thread, and on the SQLite trial its read would hold the write lock while the request
    waits for one), and noted as seen in that transaction. Refused with 401 and the
    reason's words (unknown or revoked; user deactivated)."""
    found = find_device(db, call.token)
    if isinstance(found, DeviceRefused):
        seen_refused(db, found, call.facts)
        raise unknown_device(found.detail)
    touch_device(db, found.device_id, call.facts, found.told)
    return found


_TALLIED = {"applied": "applied", "duplicate": "duplicates", "conflict": "conflicts",
            "rejected": "rejected"}


def push_tally(answers: list[dict[str, Any]]) -> dict[str, int]:
    """A batch's answers counted by status, for its audit event (counts only: nothing of
    a row)."""
    counts = {"changes": len(answers), "applied": 0, "duplicates": 0, "conflicts": 0,
              "rejected": 0}
    for answer in answers:
        key = _TALLIED.get(str(answer.get("status")))
        if key is not None:
            counts[key] += 1
    return counts
