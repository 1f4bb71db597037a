"""Crash-safe small-file writes: write a new file, flush it to disk, rename it into place.

A crash at any moment leaves either the old file or the new one complete, never a mix
and never neither (POSIX rename and Windows MoveFileEx with replace are atomic).
"""

from __future__ import annotations

import logging
import os
import secrets
from pathlib import Path

log = logging.getLogger(__name__)

TEMP_MARKER = ".tmp-"


def _fsync_dir(folder: Path) -> None:
    """Make the rename itself durable (best effort).

    Called after the rename has happened: the new file is complete and in place, so a
    failure here must not be reported as "not saved" (the change has been made).
    """
    if os.name != "posix":
        return
    try:
        fd = os.open(folder, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)
    except OSError as err:
        log.warning("could not flush the folder after replacing a file (%s)", err.strerror)


def write_atomic(target: Path, data: bytes) -> None:
    """Replace ``target`` with ``data`` atomically and durably."""
    temp = target.with_name(f"{target.name}{TEMP_MARKER}{secrets.token_hex(6)}")
    fd = os.open(temp, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
    try:
        with os.fdopen(fd, "wb") as handle:
            handle.write(data)
            handle.flush()
            os.fsync(handle.fileno())
        os.replace(temp, target)
    except BaseException:
        temp.unlink(missing_ok=True)
        raise
    _fsync_dir(target.parent)


def remove_stale_temps(target: Path) -> None:
    """Delete half-written temp files a crash may have left beside ``target``."""
    for stale in target.parent.glob(f"{target.name}{TEMP_MARKER}*"):
        stale.unlink(missing_ok=True)
