"""Logging that never writes patient data.

The code logs identifiers and events, not people. As a second line of defence every
record passes a filter that masks anything shaped like an NHS number, a UK postcode, a
date of birth or an e-mail address before it reaches the log file. Log files rotate.

The log file and its rotated copies are readable by their owner only (0600 on POSIX),
whatever the umask: created so, and an older world-readable one narrowed when logging
starts.
"""

from __future__ import annotations

import io
import logging
import logging.handlers
import os
import re
from pathlib import Path

LOG_NAME = "shared-care-planner.log"
_PATTERNS = [
    # NHS numbers: 10 digits, optionally spaced 3-3-4
    re.compile(r"(?<!\d)\d{3}[ -]?\d{3}[ -]?\d{4}(?!\d)"),
    # UK postcodes
    re.compile(r"\b[A-Z]{1,2}\d[A-Z\d]?\s*\d[A-Z]{2}\b", re.IGNORECASE),
    # dates such as 01/02/1950 or 1950-02-01
    re.compile(r"\b\d{1,2}/\d{1,2}/\d{2,4}\b|\b\d{4}-\d{2}-\d{2}\b"),
    re.compile(r"[\w.+-]+@[\w-]+\.[\w.-]+"),
]


def redact(text: str) -> str:
    """Mask patient-identifying patterns in ``text``."""
    for pattern in _PATTERNS:
        text = pattern.sub("[redacted]", text)
    return text


class RedactingFilter(logging.Filter):
    """Renders each record's message once, redacted, and drops its arguments."""

    def filter(self, record: logging.LogRecord) -> bool:
        record.msg = redact(record.getMessage())
        record.args = None
        if record.exc_text:
            record.exc_text = redact(record.exc_text)
        return True


class RedactingFormatter(logging.Formatter):
    """Redacts tracebacks too (exception messages can carry values)."""

    def formatException(self, ei: object) -> str:  # noqa: N802 (logging's own name)
        return redact(super().formatException(ei))  # type: ignore[arg-type]


LOG_FILE_MODE = 0o600


class OwnerOnlyRotatingFileHandler(logging.handlers.RotatingFileHandler):
    """A rotating log file opened (and, at each rollover, made again) readable by its
    owner only; the rotated copies are the same files renamed, so they keep that mode."""

    def _open(self) -> io.TextIOWrapper:
        fd = os.open(self.baseFilename, os.O_WRONLY | os.O_CREAT | os.O_APPEND, LOG_FILE_MODE)
        if os.name == "posix":
            os.fchmod(fd, LOG_FILE_MODE)  # a file an older version made world-readable
        return open(fd, "a", encoding=self.encoding, errors=self.errors)


def _narrow_rotated(path: Path, count: int) -> None:
    """Owner-only rotated copies an older version left world-readable (best effort)."""
    if os.name != "posix":
        return
    for n in range(1, count + 1):
        try:
            os.chmod(f"{path}.{n}", LOG_FILE_MODE)
        except OSError:
            continue


def configure_logging(log_dir: Path, level: int = logging.INFO) -> Path:
    """Send the app's logs to a rotating file in ``log_dir``; returns the file path."""
    log_dir.mkdir(parents=True, exist_ok=True)
    path = log_dir / LOG_NAME
    backups = 5
    handler = OwnerOnlyRotatingFileHandler(
        path, maxBytes=2_000_000, backupCount=backups, encoding="utf-8"
    )
    _narrow_rotated(path, backups)
    handler.addFilter(RedactingFilter())
    handler.setFormatter(RedactingFormatter("%(asctime)s %(levelname)s %(name)s: %(message)s"))
    root = logging.getLogger()
    for existing in list(root.handlers):
        if isinstance(existing, logging.handlers.RotatingFileHandler):
            root.removeHandler(existing)
    root.addHandler(handler)
    root.setLevel(level)
    return path
