"""What the mapping modules share while one person's resources are made: the rows, the
resources so far, and which rows each resource was made from (for its Provenance).

Also the small readers of wire values (texts, dates, instants) and of references, so every
module writes a Reference, a CodeableConcept and a date the same way.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Mapping, Sequence
from dataclasses import dataclass, field
from typing import Any

from scp_common.fhir.records import Directory, PersonRecords, Row

Resource = dict[str, Any]
Key = tuple[str, str]  # (resourceType, id)


def text(value: Any) -> str | None:
    """A text value as it was typed, or None for no value (FHIR has no empty strings)."""
    return value if isinstance(value, str) and value != "" else None


def day(value: Any) -> dt.date | None:
    """A date from the wire (ISO text; a date or datetime is accepted as it is)."""
    if value is None or value == "":
        return None
    if isinstance(value, dt.datetime):
        return value.date()
    if isinstance(value, dt.date):
        return value
    return dt.date.fromisoformat(str(value)[:10])


def iso_day(value: Any) -> str | None:
    """A date as FHIR's ``date`` (YYYY-MM-DD), or None."""
    found = day(value)
    return None if found is None else found.isoformat()


def instant(value: Any) -> str | None:
    """A timestamp as FHIR's ``instant`` (with its zone; a naive one is UTC, as both sides
    store them)."""
    if value is None or value == "":
        return None
    moment = value if isinstance(value, dt.datetime) else dt.datetime.fromisoformat(str(value))
    if moment.tzinfo is None:
        moment = moment.replace(tzinfo=dt.UTC)
    written = moment.isoformat()
    # UTC as "Z", as fhir.resources writes it (the store and the laptop both keep UTC).
    return written[:-6] + "Z" if written.endswith("+00:00") else written


def moment_of(row: Row) -> dt.datetime:
    """When a row was last saved (its ``updated_at``), for choosing the newest."""
    found = instant(row.get("updated_at"))
    return (dt.datetime.fromisoformat(found) if found
            else dt.datetime.min.replace(tzinfo=dt.UTC))


def ref(resource_type: str, resource_id: str, display: str | None = None) -> dict[str, Any]:
    """A literal Reference to a resource in the same export."""
    out: dict[str, Any] = {"reference": f"{resource_type}/{resource_id}"}
    if display:
        out["display"] = display
    return out


def concept(text_value: str | None, system: str | None = None, code: str | None = None,
            display: str | None = None, version: str | None = None) -> dict[str, Any]:
    """A CodeableConcept: a coding when a code is given, and the text."""
    out: dict[str, Any] = {}
    if system and code:
        coding: dict[str, Any] = {"system": system}
        if version:
            coding["version"] = version
        coding["code"] = code
        if display:
            coding["display"] = display
        out["coding"] = [coding]
    if text_value:
        out["text"] = text_value
    return out


def prune(value: Any) -> Any:
    """The value without None, empty lists and empty objects (FHIR JSON has none of them)."""
    if isinstance(value, dict):
        kept = {k: prune(v) for k, v in value.items()}
        return {k: v for k, v in kept.items() if v is not None and v != [] and v != {}}
    if isinstance(value, list):
        items = [prune(v) for v in value]
        return [v for v in items if v is not None and v != [] and v != {}]
    return value


RUNNING = ("active", "suspended")


@dataclass
class Draft:
    """One person's resources while they are made, in the order they are added.

    ``sources`` holds the rows a resource was made from: its Provenance names the newest.
    ``riders`` are resources with no row of their own (a practice known by its ODS code, a
    council, the nurse team): the Provenance of the person's resource that names them
    targets them too. ``person_scoped`` resources are this person's alone (their
    Provenance may say the nurse team acted); shared ones are the same for everyone."""

    records: PersonRecords
    directory: Directory
    as_of: dt.date
    resources: dict[Key, Resource] = field(default_factory=dict)
    sources: dict[Key, list[Row]] = field(default_factory=dict)
    riders: dict[Key, list[Key]] = field(default_factory=dict)
    person_scoped: set[Key] = field(default_factory=set)

    @property
    def person(self) -> Row:
        """The person's row."""
        return self.records.person

    @property
    def person_id(self) -> str:
        """The person's id (the Patient's)."""
        return str(self.person["id"])

    def add(self, resource: Resource, sources: Iterable[Row] = (), *,
            person_scoped: bool = True) -> Key:
        """Keep ``resource`` (the first one of its type and id), made from ``sources``."""
        key = (str(resource["resourceType"]), str(resource["id"]))
        if key not in self.resources:
            self.resources[key] = resource
            self.sources[key] = [row for row in sources if row]
            if person_scoped:
                self.person_scoped.add(key)
        return key

    def ride(self, carrier: Key, rider: Key) -> None:
        """``rider`` has no row: ``carrier``'s Provenance targets it too."""
        riders = self.riders.setdefault(carrier, [])
        if rider not in riders and rider != carrier:
            riders.append(rider)

    def has(self, resource_type: str, resource_id: str) -> bool:
        """Whether this export holds that resource."""
        return (resource_type, resource_id) in self.resources


def by_id(rows: Sequence[Row]) -> Mapping[str, Row]:
    """Rows by their id."""
    return {str(row["id"]): row for row in rows}
