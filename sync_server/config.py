"""The store's settings, each declared once with its environment variable and default.

SQLite is the trial default only (one file in the working folder); a real central store
points ``SCP_STORE_DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass
from pathlib import Path

DATABASE_URL_ENV = "SCP_STORE_DATABASE_URL"
MIN_CLIENT_VERSION_ENV = "SCP_STORE_MIN_CLIENT_VERSION"
# Set to 1 when the database URL points at PgBouncer in transaction pooling mode.
PGBOUNCER_ENV = "SCP_STORE_PGBOUNCER"
# The app's resources folder, whose flow and catalogue versions the store knows as shipped
# (sync_server/framework.py); by default the checkout the store runs from.
FRAMEWORK_RESOURCES_ENV = "SCP_STORE_RESOURCES"
TRIAL_DATABASE_URL = "sqlite:///shared-care-store.sqlite3"

# A batch of 1,000 reaches ~40 % of what PostgreSQL's COPY takes (design.md, "Batching");
# more per request buys little and makes one lost reply costlier to resend.
MAX_BATCH = 1000
MAX_PULL_LIMIT = 5000
DEFAULT_PULL_LIMIT = 1000
# Larger bodies are refused before they are read (a full batch of ordinary rows is ~3 MB).
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_ROW_BYTES = 256 * 1024
# A laptop's audit events per upload (``POST /api/v1/audit``; ~600 bytes each at most).
MAX_AUDIT_BATCH = 5000

# The most a request body may hold, by path (POST and the like; a GET or HEAD always gets the
# default). Bytes are counted as they arrive, whatever the framing (Content-Length or
# chunked), and the store answers 413 at the limit before anything parses the body
# (``StoreHeaderMiddleware`` in api.py). A new route with a body adds its line here.
BODY_LIMITS: dict[str, int] = {
    "/api/v1/push": MAX_BODY_BYTES,
    "/api/v1/enrol": 8 * 1024,  # a code and a name: under 3 KiB even with every char escaped
    "/api/v1/audit": 8 * 1024 * 1024,  # MAX_AUDIT_BATCH events of ids: ~3 MB
    # The IPCB's upload of a flow or catalogue: a file or a paste of at most 1 MiB each
    # (scp_common.framework.documents; the shipped ones are ~25 KB) and the form around it.
    "/console/framework/publish": 2 * 1024 * 1024 + 64 * 1024,
}
DEFAULT_BODY_LIMIT = 16 * 1024  # every other path and method


def body_limit(method: str, path: str) -> int:
    """The most a request body to ``method`` ``path`` may hold, in bytes."""
    if method in ("GET", "HEAD"):
        return DEFAULT_BODY_LIMIT
    return BODY_LIMITS.get(path, DEFAULT_BODY_LIMIT)


# The web console (issue 21): a signed-in session ends after this many idle minutes.
CONSOLE_IDLE_MINUTES_ENV = "SCP_CONSOLE_IDLE_MINUTES"
DEFAULT_CONSOLE_IDLE_MINUTES = 15


def console_idle_minutes_from_env() -> int:
    """``SCP_CONSOLE_IDLE_MINUTES``: minutes without a request before a console session
    ends (default 15; 1 to 480)."""
    text = os.environ.get(CONSOLE_IDLE_MINUTES_ENV, "").strip()
    if not text:
        return DEFAULT_CONSOLE_IDLE_MINUTES
    if not text.isdigit() or not 1 <= int(text) <= 480:
        raise ValueError(f"{CONSOLE_IDLE_MINUTES_ENV} must be a whole number of minutes "
                         f"from 1 to 480, not {text!r}")
    return int(text)


# The IPCB's reports across teams (sync_server/reports/): the longest one statement of a
# report may run before PostgreSQL stops it, so a report over a large store never holds a
# connection the laptops' syncing shares for long (the page says the report was stopped).
REPORT_TIMEOUT_ENV = "SCP_STORE_REPORT_TIMEOUT_SECONDS"
DEFAULT_REPORT_TIMEOUT_SECONDS = 60


def report_timeout_from_env() -> int:
    """``SCP_STORE_REPORT_TIMEOUT_SECONDS``: seconds one statement of a console report may
    run (default 60; 1 to 3600)."""
    text = os.environ.get(REPORT_TIMEOUT_ENV, "").strip()
    if not text:
        return DEFAULT_REPORT_TIMEOUT_SECONDS
    if not text.isdigit() or not 1 <= int(text) <= 3600:
        raise ValueError(f"{REPORT_TIMEOUT_ENV} must be a whole number of seconds from 1 to "
                         f"3600, not {text!r}")
    return int(text)


# FHIR Bulk Data export (issue 22, sync_server/fhir_jobs.py): the folder its NDJSON files
# are written to, readable by the store's user only (made 0700). Unset: the endpoint answers
# 503, "bulk export is not set up on this store" (the store keeps no other state on disk).
EXPORT_DIR_ENV = "SCP_STORE_EXPORT_DIR"


def export_dir_from_env() -> Path | None:
    """``SCP_STORE_EXPORT_DIR``: an absolute path, or None when unset."""
    text = os.environ.get(EXPORT_DIR_ENV, "").strip()
    if not text:
        return None
    path = Path(text)
    if not path.is_absolute():
        raise ValueError(f"{EXPORT_DIR_ENV} must be an absolute path, not {text!r}")
    return path


# The most processes one export maps people in (FHIR validation is the export's cost, and
# one process uses one core); an export of a small team uses fewer (fhir_export.py).
EXPORT_PROCESSES_ENV = "SCP_STORE_EXPORT_PROCESSES"


def default_export_processes() -> int:
    """Two, or one on a single core: the laptops' syncing keeps the rest."""
    return min(2, os.cpu_count() or 1)


def export_processes_from_env() -> int:
    """``SCP_STORE_EXPORT_PROCESSES``: 1 to 32 (default ``default_export_processes``)."""
    text = os.environ.get(EXPORT_PROCESSES_ENV, "").strip()
    if not text:
        return default_export_processes()
    if not text.isdigit() or not 1 <= int(text) <= 32:
        raise ValueError(f"{EXPORT_PROCESSES_ENV} must be a whole number from 1 to 32, "
                         f"not {text!r}")
    return int(text)


ENROL_FAILURES_PER_ADDRESS_ENV = "SCP_STORE_ENROL_FAILURES_PER_ADDRESS"
ENROL_FAILURES_STORE_WIDE_ENV = "SCP_STORE_ENROL_FAILURES_STORE_WIDE"
ENROL_FAILURE_WINDOW_ENV = "SCP_STORE_ENROL_FAILURE_WINDOW_MINUTES"


@dataclass(frozen=True)
class EnrolmentLimits:
    """How many wrong enrolment codes the store takes before it answers 429 (auth.py).

    ``per_address`` failures from one client address within ``window_minutes`` stop that
    address. ``store_wide`` failures from all addresses together stop every enrolment for
    the rest of the window: someone guessing from many addresses (a botnet, an IPv6 range)
    is otherwise limited by nothing, and the ceiling also bounds how many rows the failure
    table holds. The price is that such an attacker can hold up new enrolments (never
    syncing) until the window passes; the log says so.
    """

    per_address: int = 10
    store_wide: int = 200
    window_minutes: int = 15

    @classmethod
    def from_env(cls) -> EnrolmentLimits:
        """The limits from the environment; each unset one keeps its default."""
        values: dict[str, int] = {}
        for field, name in (("per_address", ENROL_FAILURES_PER_ADDRESS_ENV),
                            ("store_wide", ENROL_FAILURES_STORE_WIDE_ENV),
                            ("window_minutes", ENROL_FAILURE_WINDOW_ENV)):
            text = os.environ.get(name, "").strip()
            if text:
                if not text.isdigit() or int(text) < 1:
                    raise ValueError(f"{name} must be a whole number of at least 1, not {text!r}")
                values[field] = int(text)
        return cls(**values)


# The web console's sign-in limits (sync_server/console/sign_in.py says how they work).
CONSOLE_SIGN_IN_PER_ADDRESS_ENV = "SCP_CONSOLE_SIGN_IN_FAILURES_PER_ADDRESS"
CONSOLE_SIGN_IN_STORE_WIDE_ENV = "SCP_CONSOLE_SIGN_IN_FAILURES_STORE_WIDE"
CONSOLE_SIGN_IN_WINDOW_ENV = "SCP_CONSOLE_SIGN_IN_WINDOW_MINUTES"
# A file holding the key that encrypts console accounts' TOTP secrets (console/accounts.py);
# unset, they are kept in plain text and verify-store-audit says so.
CONSOLE_SECRET_KEY_FILE_ENV = "SCP_CONSOLE_SECRET_KEY_FILE"


@dataclass(frozen=True)
class SignInLimits:
    """How many failed console sign-ins the store takes before it answers 429, before any
    password is checked: ``per_address`` from one client address, and ``store_wide`` from
    all addresses together, within ``window_minutes``. (The growing lock of one username
    from one address comes first: console/sign_in.py.)"""

    per_address: int = 20
    store_wide: int = 200
    window_minutes: int = 15

    @classmethod
    def from_env(cls) -> SignInLimits:
        """The limits from the environment; each unset one keeps its default."""
        values: dict[str, int] = {}
        for field, name in (("per_address", CONSOLE_SIGN_IN_PER_ADDRESS_ENV),
                            ("store_wide", CONSOLE_SIGN_IN_STORE_WIDE_ENV),
                            ("window_minutes", CONSOLE_SIGN_IN_WINDOW_ENV)):
            text = os.environ.get(name, "").strip()
            if text:
                if not text.isdigit() or int(text) < 1:
                    raise ValueError(f"{name} must be a whole number of at least 1, not {text!r}")
                values[field] = int(text)
        return cls(**values)


_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")


def normalise_database_url(url: str) -> str:
    """Plain ``postgresql://`` URLs get the psycopg 3 driver (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


def transaction_pooling_from_env() -> bool:
    """``SCP_STORE_PGBOUNCER``: true (``1``) when the store reaches PostgreSQL through
    PgBouncer in transaction pooling mode, where consecutive transactions of one connection
    may run on different server sessions, so nothing may be kept in a session between them
    (psycopg's server-side prepared statements are then turned off)."""
    text = os.environ.get(PGBOUNCER_ENV, "").strip().lower()
    if text in ("", "0", "false", "no", "off"):
        return False
    if text in ("1", "true", "yes", "on"):
        return True
    raise ValueError(f"{PGBOUNCER_ENV} must be 1 or 0, not {text!r}")


def parse_version(text: str) -> tuple[int, ...] | None:
    """``"1.2.3"`` as ``(1, 2, 3)``; None for anything that is not dotted numbers."""
    text = text.strip()
    if not _VERSION.match(text):
        return None
    return tuple(int(part) for part in text.split("."))


@dataclass(frozen=True)
class Settings:
    """How one store runs: where its database is and the oldest client it accepts."""

    database_url: str = TRIAL_DATABASE_URL
    min_client_version: tuple[int, ...] | None = None
    transaction_pooling: bool = False
    enrolment_limits: EnrolmentLimits = EnrolmentLimits()
    console_idle_minutes: int = DEFAULT_CONSOLE_IDLE_MINUTES
    sign_in_limits: SignInLimits = SignInLimits()
    report_timeout_seconds: int = DEFAULT_REPORT_TIMEOUT_SECONDS
    export_dir: Path | None = None
    export_processes: int = 1

    @property
    def is_trial(self) -> bool:
        """True on SQLite, which is for trying the store out, never for patient data."""
        return self.database_url.startswith("sqlite")

    @classmethod
    def from_env(cls, database_url: str | None = None) -> Settings:
        """Settings from the environment; an explicit URL (``--database-url``) wins."""
        url = database_url or os.environ.get(DATABASE_URL_ENV) or TRIAL_DATABASE_URL
        minimum_text = os.environ.get(MIN_CLIENT_VERSION_ENV, "").strip()
        minimum = parse_version(minimum_text) if minimum_text else None
        if minimum_text and minimum is None:
            raise ValueError(f"{MIN_CLIENT_VERSION_ENV} must look like 1.2.3, not {minimum_text!r}")
        return cls(database_url=normalise_database_url(url), min_client_version=minimum,
                   transaction_pooling=transaction_pooling_from_env(),
                   enrolment_limits=EnrolmentLimits.from_env(),
                   console_idle_minutes=console_idle_minutes_from_env(),
                   sign_in_limits=SignInLimits.from_env(),
                   report_timeout_seconds=report_timeout_from_env(),
                   export_dir=export_dir_from_env(),
                   export_processes=export_processes_from_env())
