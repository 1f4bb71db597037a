"""What the mapping reads: one person's synced rows, and the shared rows they point to.

Rows are dicts as the sync sends them (``desktop_app.services.core.tracking.row_payload``
on the laptop, ``record.row`` on the store): every column by attribute name, dates and
times as ISO text. Tombstoned rows are left out by the caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

Row = Mapping[str, Any]

# The synced entity types one person's export reads, and the PersonRecords field for each.
PERSON_ENTITY_FIELDS: Mapping[str, str] = {
    "person": "person",
    "contact": "contacts",
    "delegation_case": "cases",
    "support_plan": "plans",
    "support_plan_task": "tasks",
    "consent_record": "consents",
    "clinical_oversight": "oversights",
    "review": "reviews",
    # Funding lines reach their person through their plan, as task lines do: only which
    # funder (the ICB, a council) is read, never an amount (docs/fhir.md).
    "funding_split": "funding_splits",
}
# Shared rows a person's resources point to (by id), kept in the Directory.
SHARED_ENTITY_TYPES = ("care_provider", "care_worker")


@dataclass(frozen=True)
class PersonRecords:
    """One person's live synced rows (every support plan version, every task of them)."""

    person: Row
    contacts: Sequence[Row] = ()
    cases: Sequence[Row] = ()
    plans: Sequence[Row] = ()
    tasks: Sequence[Row] = ()
    consents: Sequence[Row] = ()
    oversights: Sequence[Row] = ()
    reviews: Sequence[Row] = ()
    funding_splits: Sequence[Row] = ()


def _code_itself(code: str, _version: str) -> str:
    return code


@dataclass(frozen=True)
class Directory:
    """What the rows point to but do not hold, looked up by each side its own way.

    ``device_ids`` maps the device id a row carries to the device a Provenance names
    (the store's device id and name where the store knows it)."""

    providers: Mapping[str, Row] = field(default_factory=dict)  # care_provider by id
    workers: Mapping[str, Row] = field(default_factory=dict)  # care_worker by id
    task_name: Callable[[str, str], str] = _code_itself  # (task code, catalogue version)
    user_names: Mapping[str, str] = field(default_factory=dict)  # user id -> name
    device_names: Mapping[str, str] = field(default_factory=dict)  # device id -> name
    exported_from: str = "laptop"  # "laptop" or "store": said in each Provenance
    # The day the export speaks for (None: today): a delegation decided to start later is
    # "not started" until then, and the oversight in effect is the newest from before it.
    as_of: dt.date | None = None
