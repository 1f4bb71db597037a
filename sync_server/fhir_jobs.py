"""FHIR bulk export jobs: kick-off, the background run, status, files, deletion and expiry.

A job is a row of ``fhir_export_job`` (migration 0010), so every store process answers a
job's status alike, and its files are in the export folder (``SCP_STORE_EXPORT_DIR``, made
0700; each file 0600, named ``<job id>.<resourceType>.ndjson``). The export itself runs in a
thread of the process that took the kick-off, with a database session of its own.

**One snapshot, and proof of life.** Before the kick-off is committed, the job's session
begins its REPEATABLE READ, read-only transaction and takes a transaction-scoped advisory
lock on the job (``LOCK_CLASS`` and 31 bits of the job's id); the manifest's
``transactionTime`` is that statement's time. The lock lasts exactly as long as the
snapshot: when the process dies, PostgreSQL ends its connection and the lock goes. So a job
that is ``running`` in the table while nobody holds its lock (``pg_locks``) has stopped;
whoever notices (any process, on any request about exports, or at start-up) marks it
``failed`` with "the export stopped; start a new one" and deletes its files. A heartbeat
(``heartbeat_at``, with the people done so far) is written every couple of seconds for the
status's ``X-Progress``, and is how the job learns it was cancelled.

**One at a time per team**: a partial unique index (``state = 'running'``) refuses a second
running job whatever process takes it (429). A process runs at most ``MAX_RUNNING_HERE``
exports at once (each holds a database connection for its whole run).

**Files are deleted** when the job is deleted (DELETE), cancelled, failed or stopped, and
``EXPIRY`` after it completed: expired jobs are swept whenever a request about exports comes
and when a process starts (which also deletes files of jobs no longer running or served).
Nothing of a file's content is ever logged.

**Audited** on the team's chain of the store's audit trail: the kick-off (the types asked),
completion (resources per type, people, people left out), each file fetched (its type),
deletion; expiry and a stopped export by the store itself. Ids and counts only.
"""

from __future__ import annotations

import datetime as dt
import logging
import re
import threading
import time
import uuid
from collections.abc import Collection, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from sqlalchemy import select, text, update
from sqlalchemy.exc import IntegrityError, SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sync_server import store_audit
from sync_server.auth import DeviceContext
from sync_server.fhir_export import (
    ERROR_TYPE,
    ExportStopped,
    NdjsonFiles,
    Tally,
    count_people,
    export_team,
    processes_for,
    snapshot,
)
from sync_server.models import FhirExportJob, new_id, utc_now

log = logging.getLogger(__name__)

LOCK_CLASS = 0x5C9F_0022  # the advisory lock's first key (the second is from the job id)
EXPIRY = dt.timedelta(hours=1)  # a completed export's files are kept this long
PROGRESS_SECONDS = 2.0  # between heartbeats
MAX_RUNNING_HERE = 2  # exports one store process runs at once
RUNNING, COMPLETED, FAILED = "running", "completed", "failed"
CANCELLED, DELETED, EXPIRED = "cancelled", "deleted", "expired"
STOPPED = "the export stopped; start a new one"
BROKE = "the export failed; start a new one"
ALREADY_RUNNING = "an export of this team is already running; wait for it to finish"
BUSY_HERE = "the store is busy with other exports; try again in a minute"
_UUID = re.compile(r"^[0-9a-f]{8}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{4}-[0-9a-f]{12}$")
_ALIVE = """
SELECT objid::bigint FROM pg_locks
WHERE locktype = 'advisory' AND granted AND objsubid = 2 AND classid::bigint = :class
  AND database = (SELECT oid FROM pg_database WHERE datname = current_database())
"""
_SLOTS = threading.BoundedSemaphore(MAX_RUNNING_HERE)


class Busy(Exception):  # noqa: N818 - an answer (429), not a fault
    """A kick-off refused for now: ``message`` and the seconds to wait."""

    def __init__(self, message: str, retry_after: int) -> None:
        super().__init__(message)
        self.message = message
        self.retry_after = retry_after


def lock_key(job_id: str) -> int:
    """The second key of a job's advisory lock (31 bits of its id: never negative, so it
    reads back from ``pg_locks`` as it went in). Two running jobs sharing one (a chance in
    two billion) would only make a dead one look alive until the other ends."""
    return uuid.UUID(job_id).int & 0x7FFF_FFFF


class ExportFolder:
    """The folder the export files are in: made (and kept) readable by the store's user
    only; a job's files are ``<job id>.<resourceType>.ndjson``."""

    def __init__(self, path: Path) -> None:
        self.path = path

    def ensure(self) -> None:
        """Make the folder if missing, and make it 0700 either way."""
        self.path.mkdir(mode=0o700, parents=True, exist_ok=True)
        self.path.chmod(0o700)

    def files(self, job_id: str) -> NdjsonFiles:
        """The writer of a job's files."""
        return NdjsonFiles(self.path, prefix=f"{job_id}.")

    def file(self, job_id: str, resource_type: str) -> Path:
        """Where a job's file of ``resource_type`` is."""
        return self.files(job_id).path(resource_type)

    def remove(self, job_id: str) -> None:
        """Delete every file of the job (those there are)."""
        for path in self.path.glob(f"{job_id}.*.ndjson"):
            path.unlink(missing_ok=True)

    def jobs_on_disk(self) -> set[str]:
        """The job ids with a file in the folder."""
        return {path.name.split(".", 1)[0] for path in self.path.glob("*.ndjson")}


# ------------------------------------------------------------------ finding jobs


def find_job(db: Session, team_id: str, job_id: str, *, lock: bool = False
             ) -> FhirExportJob | None:
    """The team's job ``job_id``; None when there is none, or it is another team's (whose
    jobs are invisible here: the answer never says one exists)."""
    if not _UUID.match(job_id):
        return None
    query = select(FhirExportJob).where(FhirExportJob.id == job_id,
                                        FhirExportJob.team_id == team_id)
    if lock:
        query = query.with_for_update()
    return db.scalars(query).first()


def expires_at(job: FhirExportJob) -> dt.datetime | None:
    """When a completed job's files are swept."""
    return job.finished_at + EXPIRY if job.finished_at is not None else None


# ------------------------------------------------------------------ sweeping


def _alive(db: Session) -> set[int]:
    return {int(k) for k in db.execute(text(_ALIVE), {"class": LOCK_CLASS}).scalars()}


def _system_event(db: Session, team_id: str, action: str, job_id: str) -> None:
    store_audit.append(db, chain=team_id, actor_kind="system", actor_id=None,
                       actor_name="store", action=action, team_id=team_id,
                       detail={"job": job_id})


def sweep(db: Session, now: dt.datetime | None = None) -> list[str]:
    """In ``db``'s transaction: completed jobs past ``EXPIRY`` become ``expired``, running
    jobs whose process is gone become ``failed`` (stopped); each is audited. Returns their
    ids, whose files the caller deletes once this is committed. Job rows are locked before
    the audit chains, as everywhere else."""
    now = now or utc_now()
    gone = db.execute(update(FhirExportJob)
                      .where(FhirExportJob.state == COMPLETED,
                             FhirExportJob.finished_at < now - EXPIRY)
                      .values(state=EXPIRED)
                      .returning(FhirExportJob.id, FhirExportJob.team_id)).all()
    events = [(team, "fhir_export_expired", job) for job, team in gone]
    running = db.execute(select(FhirExportJob.id, FhirExportJob.team_id)
                         .where(FhirExportJob.state == RUNNING)
                         .order_by(FhirExportJob.id)).all()
    alive = _alive(db) if running else set()
    for job_id, team_id in running:
        if lock_key(job_id) in alive:
            continue
        stopped = db.execute(update(FhirExportJob)
                             .where(FhirExportJob.id == job_id, FhirExportJob.state == RUNNING)
                             .values(state=FAILED, error=STOPPED, finished_at=now)
                             .returning(FhirExportJob.id)).first()
        if stopped is not None:
            events.append((team_id, "fhir_export_stopped", job_id))
    for team_id, action, job_id in sorted(events):
        _system_event(db, team_id, action, job_id)
    return [job_id for _team, _action, job_id in events]


def sweep_now(factory: sessionmaker[Session], folder: ExportFolder) -> None:
    """``sweep`` in a transaction of its own, then delete the swept jobs' files. Best effort:
    a failure is logged (the next request or start-up sweeps again)."""
    try:
        with factory() as db:
            swept = sweep(db)
            db.commit()
    except SQLAlchemyError as exc:
        log.warning("FHIR export: sweeping old exports failed (%s)", type(exc).__name__)
        return
    for job_id in swept:
        folder.remove(job_id)


def sweep_at_start(factory: sessionmaker[Session], folder: ExportFolder) -> None:
    """At start-up: make the folder, sweep, and delete every file whose job is neither
    running nor completed (left by a process that died, or a row deleted by hand)."""
    folder.ensure()
    sweep_now(factory, folder)
    # The files first, then their jobs: a job's row is committed before its first file is
    # written, so a file seen here whose job another process is running is kept.
    on_disk = folder.jobs_on_disk()
    with factory() as db:
        kept = set(db.scalars(select(FhirExportJob.id)
                              .where(FhirExportJob.state.in_((RUNNING, COMPLETED)))))
    for job_id in on_disk - kept:
        folder.remove(job_id)


# ------------------------------------------------------------------ kick-off and the run


@dataclass(frozen=True)
class Asked:
    """What a kick-off asked for: the resource types (None: every one) and its URL."""

    types: tuple[str, ...] | None
    request: str


def kick_off(factory: sessionmaker[Session], db: Session, device: DeviceContext,
             folder: ExportFolder, asked: Asked, processes: int = 1) -> str:
    """Start an export of the device's team; its job id. ``db`` is the request's session
    (the device was looked up in it); ``processes``: the most mapping processes the export
    may use. Raises ``Busy`` when the team's export is already running or this process runs
    its most; nothing is started then."""
    running = db.scalar(select(FhirExportJob.id).where(FhirExportJob.team_id == device.team_id,
                                                       FhirExportJob.state == RUNNING))
    if running is not None:
        raise Busy(ALREADY_RUNNING, 30)
    if not _SLOTS.acquire(blocking=False):
        raise Busy(BUSY_HERE, 60)
    job_id = new_id()
    worker = factory()
    try:
        snapshot(worker)
        # The snapshot begins here, and the lock that says the job is alive with it.
        began = worker.execute(text("SELECT pg_try_advisory_xact_lock(:class, :key), "
                                    "statement_timestamp()"),
                               {"class": LOCK_CLASS, "key": lock_key(job_id)}).one()[1]
        now = utc_now()
        db.add(FhirExportJob(id=job_id, team_id=device.team_id, device_id=device.device_id,
                             user_id=device.user_id, requested_at=now, request=asked.request,
                             types=list(asked.types) if asked.types else None,
                             state=RUNNING, transaction_time=began, heartbeat_at=now))
        db.flush()
        store_audit.device_event(db, device, "fhir_export_requested", job=job_id,
                                 types=list(asked.types) if asked.types else "all")
        db.commit()
    except IntegrityError:  # another process's kick-off for the team won
        db.rollback()
        worker.close()
        _SLOTS.release()
        raise Busy(ALREADY_RUNNING, 30) from None
    except BaseException:
        worker.close()
        _SLOTS.release()
        raise
    threading.Thread(target=_run, args=(factory, worker, folder, device, job_id, asked.types,
                                        processes),
                     name=f"fhir-export-{job_id[:8]}", daemon=True).start()
    return job_id


def _heartbeat(factory: sessionmaker[Session], job_id: str, done: int,
               total: int | None = None) -> bool:
    """Note the progress; False when the job is no longer running (cancelled)."""
    values: dict[str, Any] = {"heartbeat_at": utc_now(), "people_done": done}
    if total is not None:
        values["people_total"] = total
    with factory() as db:
        found = db.execute(update(FhirExportJob)
                           .where(FhirExportJob.id == job_id, FhirExportJob.state == RUNNING)
                           .values(**values).returning(FhirExportJob.id)).first()
        db.commit()
    return found is not None


def _complete(factory: sessionmaker[Session], device: DeviceContext, job_id: str,
              tally: Tally) -> bool:
    """Mark the job completed with its counts and audit it; False if it was cancelled."""
    with factory() as db:
        found = db.execute(update(FhirExportJob)
                           .where(FhirExportJob.id == job_id, FhirExportJob.state == RUNNING)
                           .values(state=COMPLETED, finished_at=utc_now(),
                                   counts=tally.counts, people_done=tally.people)
                           .returning(FhirExportJob.id)).first()
        if found is None:
            return False
        store_audit.device_event(db, device, "fhir_export_completed", job=job_id,
                                 counts=tally.counts, people=tally.people,
                                 left_out=tally.left_out)
        db.commit()
    return True


def _fail(factory: sessionmaker[Session], device: DeviceContext, job_id: str,
          exc: BaseException) -> None:
    try:
        with factory() as db:
            found = db.execute(update(FhirExportJob)
                               .where(FhirExportJob.id == job_id,
                                      FhirExportJob.state == RUNNING)
                               .values(state=FAILED, finished_at=utc_now(), error=BROKE)
                               .returning(FhirExportJob.id)).first()
            if found is not None:
                store_audit.device_event(db, device, "fhir_export_failed", job=job_id,
                                         reason=type(exc).__name__)
            db.commit()
    except SQLAlchemyError as again:  # the next sweep finds it stopped
        log.error("FHIR export %s: could not record its failure (%s)", job_id,
                  type(again).__name__)


def _run(factory: sessionmaker[Session], worker: Session, folder: ExportFolder,
         device: DeviceContext, job_id: str, types: Sequence[str] | None,
         processes: int) -> None:
    """The export, in the worker session's snapshot; the job's row says how it ended."""
    files = folder.files(job_id)
    last = [time.monotonic()]

    def progress(done: int) -> None:
        if time.monotonic() - last[0] >= PROGRESS_SECONDS:
            last[0] = time.monotonic()
            if not _heartbeat(factory, job_id, done):
                raise ExportStopped

    try:
        total = count_people(worker, device.team_id)
        if not _heartbeat(factory, job_id, 0, total):
            raise ExportStopped
        tally = export_team(worker, device.team_id, files, types=types, progress=progress,
                            processes=processes_for(total, processes))
        if not _complete(factory, device, job_id, tally):
            files.remove()
    except ExportStopped:
        files.remove()
    except Exception as exc:  # noqa: BLE001 - recorded on the job; the thread ends here
        log.error("FHIR export %s failed (%s)", job_id, type(exc).__name__)
        files.remove()
        _fail(factory, device, job_id, exc)
    finally:
        worker.close()  # ends the snapshot, and with it the lock
        _SLOTS.release()


# ------------------------------------------------------------------ files and deletion


def fetch_file(db: Session, device: DeviceContext, folder: ExportFolder, job_id: str,
               resource_type: str) -> Path | None:
    """The path of a completed job's file of ``resource_type`` (the fetch audited and
    committed); None when the team has no such job or file (or it is no longer kept)."""
    job = find_job(db, device.team_id, job_id)
    if job is None or job.state != COMPLETED or resource_type not in (job.counts or {}):
        return None
    path = folder.file(job_id, resource_type)
    if not path.is_file():
        return None
    store_audit.device_event(db, device, "fhir_export_file_fetched", job=job_id,
                             type=resource_type)
    db.commit()
    return path


def delete_job(db: Session, device: DeviceContext, folder: ExportFolder, job_id: str) -> bool:
    """Cancel a running job or delete a completed one, and its files; audited. False when
    the team has no such job (or it already ended otherwise)."""
    job = find_job(db, device.team_id, job_id, lock=True)
    if job is None or job.state not in (RUNNING, COMPLETED):
        return False
    was = job.state
    job.state = CANCELLED if was == RUNNING else DELETED
    job.finished_at = job.finished_at or utc_now()
    store_audit.device_event(db, device, "fhir_export_deleted", job=job_id, was=was)
    db.commit()
    folder.remove(job_id)  # a running job also deletes what it writes once it sees this
    return True


def output_types(job: FhirExportJob, order: Collection[str]) -> list[tuple[str, int]]:
    """A completed job's files as (type, count), in ``order`` (the error file apart)."""
    counts = job.counts or {}
    return [(kind, counts[kind]) for kind in order if counts.get(kind)]


def error_count(job: FhirExportJob) -> int:
    """How many people the job left out (lines of its error file)."""
    return int((job.counts or {}).get(ERROR_TYPE, 0))
