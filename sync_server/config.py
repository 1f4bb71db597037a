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
TRIAL_DATABASE_URL = "sqlite:///shared-care-store.sqlite3"

# A batch of 1,000 reaches ~40 % of what PostgreSQL's COPY takes (design.md, "Batching");
# more per request buys little and makes one lost reply costlier to resend.
MAX_BATCH = 1000
MAX_PULL_LIMIT = 5000
DEFAULT_PULL_LIMIT = 1000
# Larger bodies are refused before they are read (a full batch of ordinary rows is ~3 MB).
MAX_BODY_BYTES = 32 * 1024 * 1024
MAX_ROW_BYTES = 256 * 1024

_VERSION = re.compile(r"^\d+(\.\d+){0,3}$")


def normalise_database_url(url: str) -> str:
    """Plain ``postgresql://`` URLs get the psycopg 3 driver (SQLAlchemy's default is psycopg2)."""
    for prefix in ("postgresql://", "postgres://"):
        if url.startswith(prefix):
            return "postgresql+psycopg://" + url[len(prefix):]
    return url


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
        return cls(database_url=normalise_database_url(url), min_client_version=minimum)
