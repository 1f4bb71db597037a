"""The FHIR Bulk Data export endpoints (issue 22) under ``/api/v1/fhir``.

The flow of the Bulk Data Access IG, for the caller's team only:

- ``GET /api/v1/fhir/$export`` (or ``/api/v1/fhir/Group/<team id>/$export``) with
  ``Prefer: respond-async``: 202 and ``Content-Location``, the job's status URL;
  ``_type=Patient,CarePlan`` exports only those types; ``_outputFormat`` may only be NDJSON;
  ``_since``, ``_typeFilter`` and ``_elements`` are not supported (400, never ignored: the
  export would not be what was asked). A second kick-off while the team's export runs: 429
  with ``Retry-After``.
- ``GET /api/v1/fhir/bulkstatus/<job>``: 202 with ``X-Progress`` while it runs; 200 with the
  manifest when done (``transactionTime``, ``request``, ``requiresAccessToken``,
  ``output``: type, url, count; ``error``: the OperationOutcome file naming anyone left
  out); 500 when it failed or stopped.
- ``GET /api/v1/fhir/bulkfiles/<job>/<Type>.ndjson``: the file (``application/fhir+ndjson``).
- ``DELETE /api/v1/fhir/bulkstatus/<job>``: cancel it, or delete its files (202).

Every call needs a laptop's device token, with the push and pull's rules (unknown or revoked
device, or a deactivated user: 401). Another team's job, status and files answer 404, as a
job that never existed does: a token never learns that another team's export exists. Errors
are FHIR OperationOutcome JSON. The store without ``SCP_STORE_EXPORT_DIR``, or on the SQLite
trial, answers 503. The endpoints are kept out of the laptop API's OpenAPI schema (a FHIR
client reads this module's docstring and docs/sync-server.md, "Bulk FHIR export").
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' annotations.
import logging
from collections.abc import Callable
from email.utils import format_datetime
from typing import Any

from fastapi import APIRouter, HTTPException, Request, Response
from fastapi.responses import FileResponse
from sqlalchemy.exc import SQLAlchemyError
from sqlalchemy.orm import Session, sessionmaker

from sync_server import codec
from sync_server.auth import DeviceContext
from sync_server.config import Settings
from sync_server.device_calls import DeviceCall, device_for_call, facts_of
from sync_server.fhir_export import ERROR_TYPE, EXPORT_TYPES
from sync_server.fhir_jobs import (
    COMPLETED,
    FAILED,
    RUNNING,
    Asked,
    Busy,
    ExportFolder,
    delete_job,
    error_count,
    expires_at,
    fetch_file,
    find_job,
    kick_off,
    output_types,
    sweep_at_start,
    sweep_now,
)
from sync_server.models import FhirExportJob

log = logging.getLogger(__name__)
FHIR_JSON = "application/fhir+json"
NDJSON = "application/fhir+ndjson"
NDJSON_FORMATS = frozenset({NDJSON, "application/ndjson", "ndjson"})
UNSUPPORTED = ("_since", "_typeFilter", "_elements", "patient", "includeAssociatedData")
NOT_SET_UP = "bulk export is not set up on this store"
NEEDS_POSTGRES = ("bulk export needs the store's PostgreSQL database; the SQLite trial "
                  "does not export")
NO_TOKEN = "a device token is needed (Authorization: Bearer ...)"
NO_SUCH_EXPORT = "no such export"
NO_SUCH_FILE = "no such file"
ASYNC_NEEDED = "a bulk export runs in the background: send the header Prefer: respond-async"
NO_STORE = {"Cache-Control": "no-store"}

Work = Callable[[Session, DeviceContext, ExportFolder], Response]


def outcome(status: int, diagnostics: str, code: str,
            headers: dict[str, str] | None = None) -> Response:
    """An OperationOutcome with one error issue, as FHIR JSON."""
    body = {"resourceType": "OperationOutcome",
            "issue": [{"severity": "error", "code": code, "diagnostics": diagnostics}]}
    return Response(codec.dumps(body), status_code=status, media_type=FHIR_JSON,
                    headers={**NO_STORE, **(headers or {})})


def _token(request: Request) -> str | None:
    scheme, _, token = request.headers.get("authorization", "").partition(" ")
    token = token.strip()
    return token if scheme.lower() == "bearer" and token else None


def _instant(when: Any) -> str:
    return str(when.isoformat(timespec="microseconds")).replace("+00:00", "Z")


def _types(request: Request) -> tuple[str, ...] | Response | None:
    """The ``_type`` parameter(s) as resource types (None: every type), or the 400."""
    asked = [t.strip() for value in request.query_params.getlist("_type")
             for t in value.split(",") if t.strip()]
    if not asked:
        return None
    unknown = sorted({t for t in asked if t not in EXPORT_TYPES})
    if unknown:
        return outcome(400, f"this store does not export the resource type(s) "
                            f"{', '.join(unknown)[:200]}; it exports "
                            f"{', '.join(EXPORT_TYPES)}", "not-supported")
    return tuple(t for t in EXPORT_TYPES if t in asked)


def _kick_off_problem(request: Request) -> Response | None:
    """The 400 for a kick-off this store cannot do as asked."""
    if "respond-async" not in request.headers.get("prefer", ""):
        return outcome(400, ASYNC_NEEDED, "invalid")
    found = [name for name in UNSUPPORTED if name in request.query_params]
    if found:
        return outcome(400, f"this store does not support {', '.join(found)} on an export",
                       "not-supported")
    output_format = request.query_params.get("_outputFormat")
    if output_format is not None and output_format not in NDJSON_FORMATS:
        return outcome(400, "this store exports NDJSON only "
                            "(_outputFormat=application/fhir+ndjson)", "not-supported")
    return None


def _manifest(request: Request, job: FhirExportJob) -> dict[str, Any]:
    base = f"{str(request.base_url).rstrip('/')}/api/v1/fhir/bulkfiles/{job.id}"
    errors = error_count(job)
    return {
        "transactionTime": _instant(job.transaction_time),
        "request": job.request,
        "requiresAccessToken": True,
        "output": [{"type": kind, "url": f"{base}/{kind}.ndjson", "count": count}
                   for kind, count in output_types(job, EXPORT_TYPES)],
        "error": ([{"type": ERROR_TYPE, "url": f"{base}/{ERROR_TYPE}.ndjson", "count": errors}]
                  if errors else []),
    }


def _status(request: Request, job: FhirExportJob | None) -> Response:
    if job is None or job.state not in (RUNNING, COMPLETED, FAILED):
        return outcome(404, NO_SUCH_EXPORT, "not-found")
    if job.state == RUNNING:
        progress = (f"{job.people_done:,} of {job.people_total:,} people"
                    if job.people_total is not None else "starting")
        return Response(status_code=202, headers={**NO_STORE, "X-Progress": progress,
                                                  "Retry-After": "2"})
    if job.state == FAILED:
        return outcome(500, job.error or "the export failed; start a new one", "exception")
    headers = dict(NO_STORE)
    expiry = expires_at(job)
    if expiry is not None:
        headers["Expires"] = format_datetime(expiry, usegmt=True)
    return Response(codec.dumps(_manifest(request, job)), status_code=200,
                    media_type="application/json", headers=headers)


def fhir_router(settings: Settings, factory: sessionmaker[Session]) -> APIRouter:
    """The export's routes; with an export folder on PostgreSQL, the start-up sweep runs
    now (a failure is logged: every request sweeps again)."""
    folder = ExportFolder(settings.export_dir) if settings.export_dir is not None else None
    if folder is not None and not settings.is_trial:
        try:
            sweep_at_start(factory, folder)
        except (OSError, SQLAlchemyError) as exc:
            log.warning("FHIR export: the start-up sweep failed (%s)", type(exc).__name__)
    router = APIRouter(prefix="/api/v1/fhir", tags=["fhir"], include_in_schema=False)

    def serve(request: Request, work: Work) -> Response:
        """Authenticate the device, check the export is set up, sweep, then ``work``."""
        token = _token(request)
        if token is None:
            return outcome(401, NO_TOKEN, "login", {"WWW-Authenticate": "Bearer"})
        with factory() as db:
            try:
                device = device_for_call(db, DeviceCall(token, facts_of(request)))
            except HTTPException as refused:
                return outcome(401, str(refused.detail), "login", {"WWW-Authenticate": "Bearer"})
            if folder is None:
                return outcome(503, NOT_SET_UP, "not-supported")
            if settings.is_trial:
                return outcome(503, NEEDS_POSTGRES, "not-supported")
            db.commit()  # the device's last-seen time
            sweep_now(factory, folder)
            return work(db, device, folder)

    def start(request: Request, group: str | None = None) -> Response:
        def work(db: Session, device: DeviceContext, folder: ExportFolder) -> Response:
            if group is not None and group != device.team_id:
                return outcome(404, "no such group", "not-found")
            problem = _kick_off_problem(request)
            if problem is not None:
                return problem
            types = _types(request)
            if isinstance(types, Response):
                return types
            try:
                job_id = kick_off(factory, db, device, folder, Asked(types, str(request.url)),
                                  settings.export_processes)
            except Busy as busy:
                return outcome(429, busy.message, "throttled",
                               {"Retry-After": str(busy.retry_after)})
            location = f"{str(request.base_url).rstrip('/')}/api/v1/fhir/bulkstatus/{job_id}"
            return Response(status_code=202, headers={**NO_STORE, "Content-Location": location})

        return serve(request, work)

    @router.get("/$export")
    def export_team(request: Request) -> Response:
        """Kick off an export of the caller's team (module docstring)."""
        return start(request)

    @router.get("/Group/{group_id}/$export")
    def export_group(request: Request, group_id: str) -> Response:
        """The same, with the team as a Group: only the caller's own team id is known."""
        return start(request, group_id)

    @router.get("/bulkstatus/{job_id}")
    def status(request: Request, job_id: str) -> Response:
        """The job's progress, its manifest, or why it failed."""
        return serve(request, lambda db, device, _f: _status(
            request, find_job(db, device.team_id, job_id)))

    @router.delete("/bulkstatus/{job_id}")
    def delete(request: Request, job_id: str) -> Response:
        """Cancel the job, or delete its files."""
        def work(db: Session, device: DeviceContext, folder: ExportFolder) -> Response:
            if delete_job(db, device, folder, job_id):
                return Response(status_code=202, headers=NO_STORE)
            return outcome(404, NO_SUCH_EXPORT, "not-found")

        return serve(request, work)

    @router.get("/bulkfiles/{job_id}/{file_name}")
    def file(request: Request, job_id: str, file_name: str) -> Response:
        """One of a completed job's files."""
        def work(db: Session, device: DeviceContext, folder: ExportFolder) -> Response:
            kind, dot, suffix = file_name.partition(".")
            known = (*EXPORT_TYPES, ERROR_TYPE)
            path = (fetch_file(db, device, folder, job_id, kind)
                    if dot and suffix == "ndjson" and kind in known else None)
            if path is None:
                return outcome(404, NO_SUCH_FILE, "not-found")
            return FileResponse(path, media_type=NDJSON, headers=NO_STORE)

        return serve(request, work)

    return router
