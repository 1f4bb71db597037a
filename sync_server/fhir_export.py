"""A team's records as FHIR R4 NDJSON: the exporter behind the bulk export (issue 22).

The store holds each synced row as the laptop sent it (``record.row``), so it hands them to
the same mapping the laptop's own export uses (``scp_common.fhir.build.person_resources``),
one person at a time, and what a GP system reads is the same wherever it came from.

**One snapshot.** The caller's session is already in a REPEATABLE READ, read-only
transaction (``fhir_jobs`` opens it): every statement here sees the store as it was at its
first one, so a CarePlan never points to a Consent pushed after the Patient was read.

**One streamed query.** The team's live rows of the kinds a person's export reads are read
in one query through a server-side cursor, ordered by the person they belong to (computed in
SQL: a person is its own key, most rows name their ``person_id``, a plan's task and
funding lines reach their person through their plan), so Python holds a batch of people's
rows at a time, never the team. The shared rows (care providers and workers, the team's
devices' names, every task catalogue the store knows) are small and read first into the
``Directory``.

**Shared resources once.** Each person's resources repeat the organisations and
practitioners they point to; only the first of each (resourceType, id) is written. The ids
remembered for that are the team's organisations and practitioners, and a few per person
(an oversight contact's PractitionerRole is the person's own): some 200 bytes a person.

**Mapping in processes.** The mapping validates every resource with ``fhir.resources``,
which is most of an export's time, so a large team's people are mapped in batches by
several processes (spawned: the store's process has threads), at most two batches each in
flight, and written in order, so the files are the same as from one process.

**Who is named.** The store does not know the names of the laptops' users (a laptop's user
is not a store user), so a Provenance shows the user's id only. A device is named by the
store's name for the enrolled laptop that pushed the row's latest version (the laptop's own
export names only itself). ``exported_from`` is "store".

A person whose records the mapping refuses (a row the store accepted but the mapping cannot
read) is left out and named, by id only, in an OperationOutcome of the export's error file:
one malformed row does not stop a team's export, and nobody is told it was complete.
"""

from __future__ import annotations

import collections
import dataclasses
import datetime as dt
import itertools
import json
import logging
import multiprocessing
import os
import uuid
from collections.abc import Callable, Collection, Iterable, Iterator, Mapping
from concurrent.futures import Future, ProcessPoolExecutor
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

import orjson
from sqlalchemy import text
from sqlalchemy.orm import Session

from scp_common.fhir.build import person_resources
from scp_common.fhir.ndjson import ndjson_line
from scp_common.fhir.records import PERSON_ENTITY_FIELDS, Directory, PersonRecords
from scp_common.framework.versions import version_key
from sync_server.reports.catalogue import documents

log = logging.getLogger(__name__)

Resource = dict[str, Any]
Mapper = Callable[[PersonRecords, Directory], list[Resource]]
LineWriter = Callable[[Resource], bytes]

# What the mapping makes (scp_common/fhir/build.py), in the order the manifest lists them.
EXPORT_TYPES = ("Patient", "Organization", "Practitioner", "PractitionerRole", "CareTeam",
                "CarePlan", "Consent", "Provenance")
# Resources several people point to: written once, the first time they come.
SHARED_TYPES = frozenset({"Organization", "Practitioner", "PractitionerRole"})
ERROR_TYPE = "OperationOutcome"  # the export's error file (Bulk Data's ``error`` array)
FILE_MODE = 0o600
ROWS_PER_FETCH = 2000  # rows the server-side cursor hands over at a time
BATCH_PEOPLE = 100  # people mapped together (and between calls of the progress callback)
PEOPLE_PER_PROCESS = 1000  # an export uses another mapping process per this many people
# What the mapping raises for rows it cannot read (a resource that does not validate is a
# ValueError): that person is left out and named in the error file. Anything else (a bug,
# a missing package) stops the export.
MALFORMED = (ValueError, LookupError, TypeError, AttributeError)

# A person's key: the person's own id, else the row's person_id, else (a plan's task or
# funding line) its plan's person. Rows whose person is not a live person of the team (or
# whose plan is not a live plan of it) are not read at all. Only constants go into the
# text; the team is a parameter.
_ENTITIES = ", ".join(f"'{name}'" for name in PERSON_ENTITY_FIELDS)
_PEOPLE_ROWS = f"""
SELECT k.person_key, r.entity_type, r.device_id, r.row::text
FROM record r
CROSS JOIN LATERAL (SELECT r.row->>'person_id' AS own) o
LEFT JOIN record plan
       ON o.own IS NULL AND r.entity_type <> 'person' AND plan.entity_type = 'support_plan'
      AND plan.id = r.row->>'plan_id' AND plan.team_id = r.team_id AND NOT plan.tombstone
CROSS JOIN LATERAL (SELECT CASE WHEN r.entity_type = 'person' THEN r.id
                                ELSE coalesce(o.own, plan.row->>'person_id') END
                           AS person_key) k
WHERE r.team_id = %(team)s AND NOT r.tombstone AND r.entity_type IN ({_ENTITIES})
  AND k.person_key IN (SELECT id FROM record
                       WHERE team_id = %(team)s AND entity_type = 'person' AND NOT tombstone)
ORDER BY k.person_key, r.entity_type, r.id
"""
_PEOPLE_COUNT = ("SELECT count(*) FROM record WHERE team_id = %(team)s "
                 "AND entity_type = 'person' AND NOT tombstone")
_SHARED_ROWS = ("SELECT entity_type, device_id, row::text FROM record "
                "WHERE team_id = %(team)s AND entity_type IN ('care_provider', 'care_worker') "
                "AND NOT tombstone ORDER BY entity_type, id")
_DEVICES = "SELECT id, name FROM device WHERE team_id = %(team)s"


class ExportStopped(Exception):  # noqa: N818 - a request to stop, not an error
    """The progress callback asked the export to stop (the job was cancelled)."""


@dataclass
class Tally:
    """What an export wrote: resources per type, people and rows read, people left out."""

    counts: dict[str, int] = field(default_factory=dict)
    people: int = 0
    rows: int = 0
    left_out: int = 0

    @property
    def resources(self) -> int:
        """Resources written, every type together (the error file's outcomes not counted)."""
        return sum(n for kind, n in self.counts.items() if kind != ERROR_TYPE)


def _row(raw: str) -> dict[str, Any]:
    try:
        loaded = orjson.loads(raw)
    except orjson.JSONDecodeError:  # what orjson refuses, the standard library may read
        loaded = json.loads(raw)
    if not isinstance(loaded, dict):
        raise ValueError("a stored row is not a JSON object")
    return loaded


def _driver(db: Session) -> Any:
    raw = db.connection().connection.driver_connection
    if raw is None:
        raise RuntimeError("no database connection")
    return raw


# ------------------------------------------------------------------ the directory


@dataclass(frozen=True)
class TaskNames:
    """``task_name(code, version)`` over the catalogues the store knows: the name in the
    task's own catalogue version, else in the newest version that knows the code, else the
    code (as the laptop looks a name up in its vault's catalogue). A plain object, so a
    mapping process can be handed it."""

    by_version: Mapping[tuple[str, str], str]
    newest: Mapping[str, str]

    def __call__(self, code: str, version: str) -> str:
        return self.by_version.get((code, version)) or self.newest.get(code) or code


def task_names(catalogues: Iterable[Any]) -> TaskNames:
    """The task names of decoded catalogue documents (malformed parts skipped)."""
    usable = [doc for doc in catalogues
              if isinstance(doc, dict) and isinstance(doc.get("catalogue_version"), str)]
    usable.sort(key=lambda doc: version_key(doc["catalogue_version"]))
    by_version: dict[tuple[str, str], str] = {}
    newest: dict[str, str] = {}
    for doc in usable:  # oldest first: the newest version's name wins
        for task in doc.get("tasks") or ():
            if (isinstance(task, dict) and isinstance(task.get("code"), str)
                    and isinstance(task.get("name"), str)):
                by_version[(task["code"], doc["catalogue_version"])] = task["name"]
                newest[task["code"]] = task["name"]
    return TaskNames(by_version, newest)


@dataclass(frozen=True)
class StoreDirectory:
    """The Directory the mapping reads, and the store's names of the team's devices.

    A row carries the id of the laptop that saved it (its vault's device id); the store
    knows which enrolled device pushed it (``record.device_id``). ``note_device`` names the
    laptop's id after that device, for the rows read so far: a person's own rows are noted
    before the person is mapped, and the shared rows when the directory is read, so every
    Provenance finds the name of the device its row came from."""

    directory: Directory
    store_devices: Mapping[str, str]
    laptop_devices: dict[str, str]

    def note_device(self, row: Mapping[str, Any], store_device_id: str) -> None:
        """Name the laptop device id ``row`` carries after the store device that pushed it."""
        laptop_device = row.get("device_id")
        name = self.store_devices.get(store_device_id)
        if isinstance(laptop_device, str) and name is not None:
            self.laptop_devices[laptop_device] = name


def team_directory(db: Session, team_id: str) -> StoreDirectory:
    """The team's care providers and workers (live ones), task names from every catalogue
    the store knows (shipped and published), the team's devices by name; no user names
    (the store does not know the laptops' users: a Provenance shows their ids). The day
    the export speaks for is today's, once for the whole export."""
    with _driver(db).cursor() as cur:
        devices = {str(d): str(n) for d, n in cur.execute(_DEVICES, {"team": team_id})}
        found = StoreDirectory(Directory(), devices, {})
        providers: dict[str, dict[str, Any]] = {}
        workers: dict[str, dict[str, Any]] = {}
        for entity_type, store_device, raw in cur.execute(_SHARED_ROWS, {"team": team_id}):
            row = _row(raw)
            found.note_device(row, store_device)
            (providers if entity_type == "care_provider" else workers)[str(row["id"])] = row
    directory = Directory(providers=providers, workers=workers,
                          task_name=task_names(documents(db, "catalogue")), user_names={},
                          device_names={}, exported_from="store", as_of=dt.date.today())
    return StoreDirectory(directory, devices, found.laptop_devices)


# ------------------------------------------------------------------ the people


def count_people(db: Session, team_id: str) -> int:
    """The team's live people (the export's progress is counted in them)."""
    with _driver(db).cursor() as cur:
        found = cur.execute(_PEOPLE_COUNT, {"team": team_id}).fetchone()
    return int(found[0]) if found else 0


def _records(rows: list[tuple[str, dict[str, Any]]]) -> PersonRecords | None:
    """One person's rows as PersonRecords (None without the person's own row)."""
    lists: dict[str, list[dict[str, Any]]] = {name: [] for name in PERSON_ENTITY_FIELDS.values()}
    person: dict[str, Any] | None = None
    for entity_type, row in rows:
        if entity_type == "person":
            person = row
        else:
            lists[PERSON_ENTITY_FIELDS[entity_type]].append(row)
    if person is None:
        return None
    lists.pop("person", None)
    return PersonRecords(person=person, **lists)


def people(db: Session, team_id: str, directory: StoreDirectory
           ) -> Iterator[tuple[str, PersonRecords | None, int]]:
    """(person id, their records, rows read) for each live person of the team, in id order,
    streamed through a server-side cursor (one person's rows in memory at a time)."""
    with _driver(db).cursor(name="fhir_export_people") as cur:
        cur.itersize = ROWS_PER_FETCH
        cur.execute(_PEOPLE_ROWS, {"team": team_id})
        for person_id, group in itertools.groupby(cur, key=lambda r: r[0]):
            rows = []
            for _key, entity_type, store_device, raw in group:
                row = _row(raw)
                directory.note_device(row, store_device)
                rows.append((entity_type, row))
            yield person_id, _records(rows), len(rows)


# ------------------------------------------------------------------ the files


class NdjsonFiles:
    """One NDJSON file per resource type in ``folder``, named ``<prefix><Type>.ndjson``,
    each made on its first line, readable by the store's user only (0600), never
    overwritten."""

    def __init__(self, folder: Path, prefix: str = "") -> None:
        self.folder = folder
        self.prefix = prefix
        self._open: dict[str, IO[bytes]] = {}
        self.counts: dict[str, int] = {}

    def path(self, resource_type: str) -> Path:
        """Where the file of ``resource_type`` is (or would be)."""
        return self.folder / f"{self.prefix}{resource_type}.ndjson"

    def write(self, resource_type: str, line: bytes) -> None:
        """Append one line to the type's file (made now if it is the first)."""
        out = self._open.get(resource_type)
        if out is None:
            fd = os.open(self.path(resource_type), os.O_WRONLY | os.O_CREAT | os.O_EXCL,
                         FILE_MODE)
            out = self._open[resource_type] = os.fdopen(fd, "wb", buffering=1 << 20)
        out.write(line)
        self.counts[resource_type] = self.counts.get(resource_type, 0) + 1

    def close(self) -> None:
        """Flush and close every file."""
        for out in self._open.values():
            out.close()
        self._open.clear()

    def remove(self) -> None:
        """Close and delete every file written."""
        self.close()
        for resource_type in self.counts:
            self.path(resource_type).unlink(missing_ok=True)


# ------------------------------------------------------------------ mapping


Key = int | tuple[str, str]  # a resource written once: its type and id, compactly
Line = tuple[str, Key | None, bytes]  # (type, key to write once or None, the line)
Batch = tuple[dict[str, str], list[tuple[str, PersonRecords]]]  # (device names, people)


@dataclass(frozen=True)
class PersonMapping:
    """What mapping a person needs, here or in a mapping process: the directory, the types
    asked for, the mapping and the line writer."""

    directory: Directory
    wanted: frozenset[str]
    mapper: Mapper
    line: LineWriter


def _key(kind: str, resource_id: str) -> Key:
    """(type, id) as one integer when the id is a UUID (the mapping's always are): a team's
    export remembers one for each resource of a shared type it wrote, a few per person (an
    oversight contact's role is the person's own), so they are kept small."""
    try:
        return (EXPORT_TYPES.index(kind) << 128) | uuid.UUID(resource_id).int
    except ValueError:
        return kind, resource_id


def _selected(resource: Resource, wanted: frozenset[str]) -> tuple[bool, Key | None]:
    """Whether the resource goes into the files (its type asked for; a Provenance only with
    the resources it is about), and its key if it is written once only (a resource of a
    shared type, and the Provenance of one)."""
    kind = str(resource.get("resourceType"))
    if kind not in wanted:
        return False, None
    shared = kind in SHARED_TYPES
    if kind == "Provenance":
        targets = {str(t.get("reference", "")).split("/", 1)[0]
                   for t in resource.get("target") or () if isinstance(t, dict)}
        if not targets <= wanted:
            return False, None
        shared = bool(targets) and targets <= SHARED_TYPES
    return True, (_key(kind, str(resource.get("id"))) if shared else None)


def error_outcome(person_id: str, exc: Exception) -> Resource:
    """The error file's line for a person left out: their id and the kind of failure only
    (an exception's text may quote a row)."""
    return {"resourceType": "OperationOutcome", "issue": [{
        "severity": "error", "code": "processing",
        "diagnostics": f"The records of person {person_id} could not be exported as FHIR "
                       f"({type(exc).__name__}); they are left out of this export."}]}


def map_batch(how: PersonMapping, batch: Batch) -> list[tuple[list[Line], bool]]:
    """Each person of the batch as lines to write, and whether they were left out."""
    names, batch_people = batch
    directory = dataclasses.replace(how.directory, device_names=names)
    done: list[tuple[list[Line], bool]] = []
    for person_id, records in batch_people:
        try:
            resources = how.mapper(records, directory)
        except MALFORMED as exc:  # one person's bad row must not stop the team's export
            log.warning("FHIR export: a person's records were left out (%s)",
                        type(exc).__name__)
            done.append(([(ERROR_TYPE, None, how.line(error_outcome(person_id, exc)))], True))
            continue
        lines = []
        for resource in resources:
            keep, key = _selected(resource, how.wanted)
            if keep:
                lines.append((str(resource["resourceType"]), key, how.line(resource)))
        done.append((lines, False))
    return done


_PROCESS_MAPPING: list[PersonMapping] = []  # in a mapping process: what its initializer was given


def _start_mapping_process(how: PersonMapping) -> None:
    _PROCESS_MAPPING[:] = [how]


def _map_in_process(batch: Batch) -> list[tuple[list[Line], bool]]:
    return map_batch(_PROCESS_MAPPING[0], batch)


def _mapped(how: PersonMapping, batches: Iterator[Batch], processes: int
            ) -> Iterator[list[tuple[list[Line], bool]]]:
    """Each batch mapped, in order: here, or in ``processes`` mapping processes with at most
    two batches each in flight (so memory stays bounded whatever the team's size)."""
    if processes <= 1:
        for batch in batches:
            yield map_batch(how, batch)
        return
    # Spawned, never forked: the store's process has threads (a fork copies their locks).
    pool = ProcessPoolExecutor(processes, mp_context=multiprocessing.get_context("spawn"),
                               initializer=_start_mapping_process, initargs=(how,))
    try:
        flight: collections.deque[Future[list[tuple[list[Line], bool]]]] = collections.deque()
        for batch in batches:
            flight.append(pool.submit(_map_in_process, batch))
            if len(flight) >= 2 * processes:
                yield flight.popleft().result()
        while flight:
            yield flight.popleft().result()
    finally:
        pool.shutdown(wait=True, cancel_futures=True)


# ------------------------------------------------------------------ the export


def _batches(db: Session, team_id: str, directory: StoreDirectory, tally: Tally,
             progress: Callable[[int], None] | None) -> Iterator[Batch]:
    """The team's people in batches of ``BATCH_PEOPLE``, each with the device names known
    by then; counts people and rows, and reports progress, as they are read."""
    batch: list[tuple[str, PersonRecords]] = []
    for person_id, records, rows in people(db, team_id, directory):
        tally.rows += rows
        tally.people += 1
        if records is not None:
            batch.append((person_id, records))
        if len(batch) >= BATCH_PEOPLE:
            yield dict(directory.laptop_devices), batch
            batch = []
            if progress is not None:
                progress(tally.people)
    if batch:
        yield dict(directory.laptop_devices), batch
    if progress is not None:
        progress(tally.people)


def export_team(db: Session, team_id: str, files: NdjsonFiles, *,
                types: Collection[str] | None = None, mapper: Mapper | None = None,
                line: LineWriter | None = None, processes: int = 1,
                progress: Callable[[int], None] | None = None) -> Tally:
    """Write the team's live records as FHIR NDJSON into ``files`` (``types``: only these
    resource types; every one by default), mapping in ``processes`` processes (1: here).
    ``db`` must already be in the export's snapshot transaction. ``progress(people read)``
    is called every ``BATCH_PEOPLE`` people and may raise ``ExportStopped``. ``mapper``
    and ``line`` default to scp_common.fhir's (with processes, both must be importable
    functions)."""
    directory = team_directory(db, team_id)
    how = PersonMapping(directory.directory, frozenset(types or EXPORT_TYPES),
                   mapper or person_resources, line or ndjson_line)
    tally = Tally()
    seen: set[Key] = set()  # resources of shared types written (see _key)
    batches = _batches(db, team_id, directory, tally, progress)
    for mapped in _mapped(how, batches, processes):
        for lines, left_out in mapped:
            tally.left_out += left_out
            for kind, key, data in lines:
                if key is not None:
                    if key in seen:
                        continue
                    seen.add(key)
                files.write(kind, data)
    files.close()
    tally.counts = dict(files.counts)
    return tally


def processes_for(people_count: int, most: int) -> int:
    """Mapping processes for an export of ``people_count`` people: one per
    ``PEOPLE_PER_PROCESS`` people, at most ``most`` (starting one costs a second or two)."""
    return max(1, min(most, people_count // PEOPLE_PER_PROCESS))


def snapshot(db: Session) -> None:
    """Start ``db``'s transaction as the export's snapshot: REPEATABLE READ, read only, with
    room to sort one team's rows. Call before anything else runs in it."""
    db.connection(execution_options={"isolation_level": "REPEATABLE READ"})
    db.execute(text("SET TRANSACTION READ ONLY"))
    db.execute(text("SET LOCAL work_mem = '64MB'"))
