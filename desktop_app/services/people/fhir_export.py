""""Export shared care record…": one person's record as a FHIR R4 Bundle, in a file the user
chooses (issue 22).

An export is a disclosure to another system (the GP practice's, the community team's, the
LLR shared care record), made for the person's direct care. So it is open to the roles that
keep people's records for their care (``EXPORT_PERMISSION``: team lead, community nurse,
social care practitioner) and refused, in the service, to read-only governance users, who
oversee the service but do not care for the person.

The file is written only where the user chose, never anywhere else first: the Bundle is
built in memory, written to a temporary file beside the target (0600, in the same folder,
so no patient data reaches the system's temp folder), flushed to disk and renamed into
place (``core.atomic.write_atomic``); a failure removes the partial file. The name ends
``.json`` (added when the user left it off).

The export is audited as ``AuditAction.EXPORT`` on the person, like a plan exported as a
PDF. The audit row and the file stand or fall together: the row is written in the same
transaction as the file, so a file that could not be written leaves no audit row, and a
transaction that could not be committed takes the file away again.
"""

from __future__ import annotations

import datetime as dt
import errno
import json
from collections import Counter
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from desktop_app.models.audit import AuditAction
from desktop_app.models.user import Role
from desktop_app.services.core.atomic import write_atomic
from desktop_app.services.core.audit import append_events
from desktop_app.services.core.errors import PermissionDenied, StorageError
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.core.tracking import ACTOR
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.people.fhir_records import person_records
from scp_common.fhir.build import person_resources
from scp_common.fhir.ndjson import bundle

# Who may export: those who keep people's records for their care (see the module docstring).
EXPORT_PERMISSION = Permission.EDIT_PEOPLE
SUFFIX = ".json"
_REFUSED = ("You are signed in as a read-only user. Exporting a person's shared care record "
            "discloses it to another system, which only the people caring for them do. Ask "
            "the person's nurse or a team lead.")
# errno → why a file could not be saved, in words (never the path: it may hold an NHS number).
_REASONS = {
    errno.ENOENT: "the folder does not exist",
    errno.ENOTDIR: "the folder does not exist",
    errno.EACCES: "you do not have permission to save in that folder",
    errno.EPERM: "you do not have permission to save in that folder",
    errno.EROFS: "the folder is read-only",
    errno.ENOSPC: "the disk is full",
    errno.EDQUOT: "the disk is full",
    errno.EISDIR: "a folder already has that name",
    errno.ENAMETOOLONG: "the file name is too long",
}


@dataclass(frozen=True)
class ExportResult:
    """What was written: the file, and how many resources of each FHIR type it holds."""

    path: Path
    counts: Mapping[str, int]

    @property
    def total(self) -> int:
        """Every resource in the file (the Bundle itself not counted)."""
        return sum(self.counts.values())


def may_export(role: str) -> bool:
    """Whether ``role`` may export a person's shared care record (the UI offers it then)."""
    return allowed(role, EXPORT_PERMISSION)


def json_path(target: Path) -> Path:
    """``target``, with ``.json`` added when the user left it off ("record" → "record.json";
    "record.JSON" stays as typed)."""
    return target if target.suffix.lower() == SUFFIX else target.with_name(target.name + SUFFIX)


def export_person_record(uow: UnitOfWork, person_id: str, target: Path, *,
                         now: dt.datetime | None = None) -> ExportResult:
    """Write the person's shared care record (every FHIR resource of theirs, in a Bundle
    stamped ``now``) to ``target`` (``.json`` added if missing) and audit the export.

    PermissionDenied for a role that may not export; StorageError, in plain words, when the
    file cannot be written (nothing is then left on disk and nothing is audited)."""
    if not may_export(uow.actor.role):
        raise PermissionDenied(_REFUSED if uow.actor.role == Role.READ_ONLY.value else
                               "Your role cannot export a person's shared care record. "
                               "Ask a team lead.")
    path = json_path(target)
    stamp = now or dt.datetime.now(dt.UTC)
    with uow.read() as session:
        records, directory = person_records(session, person_id)
    # The record speaks for the day it was exported (on this laptop's clock and time zone).
    directory = replace(directory, as_of=stamp.astimezone().date())
    resources = person_resources(records, directory)
    data = bundle_bytes(resources, stamp)
    _write_audited(uow, person_id, path, data)
    return ExportResult(path, dict(Counter(str(r["resourceType"]) for r in resources)))


def bundle_bytes(resources: Sequence[Mapping[str, Any]], now: dt.datetime) -> bytes:
    """The file's bytes: the Bundle as UTF-8 JSON, indented for a person who opens it."""
    document = bundle([dict(r) for r in resources], timestamp=now)
    return json.dumps(document, ensure_ascii=False, indent=2).encode("utf-8") + b"\n"


def _write_audited(uow: UnitOfWork, person_id: str, path: Path, data: bytes) -> None:
    """Audit and write in one transaction: no file, no audit row; no audit row, no file."""
    written = False
    try:
        with uow.begin() as session:
            append_events(session.connection(), session.info[ACTOR],
                          [("person", person_id, AuditAction.EXPORT.value)])
            _write(path, data)
            written = True
    except BaseException:
        if written:  # the commit failed after the file was written: take it away again
            path.unlink(missing_ok=True)
        raise


def _write(path: Path, data: bytes) -> None:
    """``write_atomic`` with its failure in words (the path is never in the message)."""
    try:
        write_atomic(path, data)
    except OSError as err:
        reason = _REASONS.get(err.errno or 0) or (err.strerror or "the system refused it")
        raise StorageError(f"Could not save the file: {reason}. Nothing was written.") \
            from err
