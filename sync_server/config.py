"""The store's settings, each declared once with its environment variable and default.

SQLite is the trial default only (one file in the working folder); a real central store
points ``SCP_STORE_DATABASE_URL`` at PostgreSQL.
"""

from __future__ import annotations

import os
import re
from dataclasses import dataclass

DATABASE_URL_ENV = "SCP_STORE_DATABASE_URL"
MIN_CLIENT_VERSION_ENV = "SCP_STORE_MIN_CLIENT_VERSION"
# Set to 1 when the database URL points at PgBouncer in transaction pooling mode.
PGBOUNCER_ENV = "SCP_STORE_PGBOUNCER"
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
}
DEFAULT_BODY_LIMIT = 16 * 1024  # every other path and method


def body_limit(method: str, path: str) -> int:
    """The most a request body to ``method`` ``path`` may hold, in bytes."""
    if method in ("GET", "HEAD"):
        return DEFAULT_BODY_LIMIT
    return BODY_LIMITS.get(path, DEFAULT_BODY_LIMIT)


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
                   enrolment_limits=EnrolmentLimits.from_env())
