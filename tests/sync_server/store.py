"""Helpers for the central store tests: changes as a laptop sends them, and their answers.

The throwaway PostgreSQL, the server process and the plain httpx ``Laptop`` are in
``tools/throwaway_store.py`` (the sync benchmark uses them too); the fixtures that start
them are in ``tests/sync_server/fixtures.py``. All data is synthetic.
"""

from __future__ import annotations

import uuid
from collections.abc import Callable, Iterable
from typing import Any

from tools.throwaway_store import Laptop

MIN_CLIENT_VERSION = "0.1.0"  # what the session's store requires (X-Client-Version)
EnrolFn = Callable[..., Laptop]


def person_row(record_id: str, serial: int = 1, **overrides: Any) -> dict[str, Any]:
    """A synthetic person row as the laptop sends it (invented name, 999-range NHS number)."""
    row: dict[str, Any] = {
        "id": record_id, "version": 1, "server_version": None,
        "nhs_number": f"999{serial:07d}"[-10:], "given_name": "Edith",
        "family_name": f"Testperson{serial}", "date_of_birth": "1938-05-17",
        "address_line1": "1 Example Street", "town": "Leicester", "postcode": "LE1 5WW",
        "team": "Leicester City South INT", "deleted": False,
        "updated_at": "2026-03-02T10:00:00+00:00",
    }
    row.update(overrides)
    return row


def change(entity_type: str = "person", record_id: str | None = None, *,
           base: int | None = None, key: str | None = None, tombstone: bool = False,
           serial: int = 1, **row: Any) -> dict[str, Any]:
    """One outbox entry for the wire (a new record unless ``record_id`` is given)."""
    record_id = record_id or str(uuid.uuid4())
    return {"idempotency_key": key or str(uuid.uuid4()), "entity_type": entity_type,
            "id": record_id, "base_server_version": base,
            "row": person_row(record_id, serial, deleted=tombstone, **row),
            "tombstone": tombstone}


def new_people(count: int, start: int = 1) -> list[dict[str, Any]]:
    """``count`` changes creating new synthetic people."""
    return [change(serial=start + i) for i in range(count)]


def statuses(answers: Iterable[dict[str, Any]]) -> list[str]:
    """Just the status of each answer."""
    return [a["status"] for a in answers]
