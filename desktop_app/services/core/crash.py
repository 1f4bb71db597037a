"""The bug tier of error handling: a crash log without patient data.

Expected failures are shown by the UI's presenter. Anything else reaches the excepthook
installed here: it writes the traceback (redacted, local variables never included) to the
log folder and hands a short reference to the UI, which tells the user their typing has
been kept as a draft.
"""

from __future__ import annotations

import datetime as dt
import logging
import os
import sys
import traceback
from collections.abc import Callable
from pathlib import Path
from types import TracebackType

from desktop_app.services.core.logging_setup import LOG_FILE_MODE, redact

log = logging.getLogger(__name__)


def write_crash_log(log_dir: Path, exc_type: type[BaseException], exc: BaseException,
                    tb: TracebackType | None) -> Path:
    """Write a redacted traceback to ``crash-<time>.log``; returns its path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%S%fZ")
    path = log_dir / f"crash-{stamp}.log"
    # Only the exception type and the stack: exception messages can carry typed values.
    lines = traceback.format_tb(tb)
    body = f"{exc_type.__module__}.{exc_type.__qualname__}\n" + "".join(lines)
    # Owner-only, like the log file (logging_setup.LOG_FILE_MODE): the folder may be shared.
    fd = os.open(path, os.O_WRONLY | os.O_CREAT | os.O_EXCL, LOG_FILE_MODE)
    with open(fd, "w", encoding="utf-8") as out:
        out.write(redact(body))
    return path


def install_excepthook(log_dir: Path, show: Callable[[Path], None] | None = None) -> None:
    """Route uncaught exceptions to a crash log and, if given, the UI's crash dialog."""

    def hook(exc_type: type[BaseException], exc: BaseException, tb: TracebackType | None) -> None:
        if issubclass(exc_type, KeyboardInterrupt):
            sys.__excepthook__(exc_type, exc, tb)
            return
        path = write_crash_log(log_dir, exc_type, exc, tb)
        log.error("unexpected error; crash log %s", path.name)
        if show is not None:
            show(path)

    sys.excepthook = hook
