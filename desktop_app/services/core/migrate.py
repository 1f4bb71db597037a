"""Running the Alembic migrations at unlock, after taking an encrypted backup copy.

A laptop that missed releases upgrades step by step without losing anything. Before any
migration of an existing database, the (already encrypted) database file is copied to
``backups/`` so a failed upgrade can be undone by support staff.
"""

from __future__ import annotations

import datetime as dt
import functools
import os
import shutil
from dataclasses import dataclass
from pathlib import Path

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Engine, text

from desktop_app.services.core.errors import DatabaseUnreadable

BACKUPS_KEPT = 3


@dataclass(frozen=True)
class MigrationResult:
    """What the upgrade did."""

    from_revision: str | None
    to_revision: str
    backup: Path | None


def alembic_config() -> Config:
    """An Alembic config pointing at the shipped migrations (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parents[2] / "migrations"))
    return cfg


@functools.cache
def head_revision() -> str:
    """The newest revision this release knows (read once a process: Alembic parses every
    revision file, 20-40 ms that each unlock paid; the shipped files do not change)."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations shipped")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for a new, empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def _backup(engine: Engine, db_path: Path, revision: str) -> Path:
    with engine.connect() as conn:
        conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        folder = db_path.parent / "backups"
        folder.mkdir(exist_ok=True)
        stamp = dt.datetime.now(dt.UTC).strftime("%Y%m%dT%H%M%SZ")
        target = folder / f"{db_path.stem}-before-{revision}-{stamp}{db_path.suffix}"
        shutil.copyfile(db_path, target)
        with open(target, "rb") as handle:
            os.fsync(handle.fileno())
    old = sorted(folder.glob(f"{db_path.stem}-before-*"), key=lambda p: p.stat().st_mtime)
    for stale in old[:-BACKUPS_KEPT]:
        stale.unlink(missing_ok=True)
    return target


def upgrade_to(engine: Engine, db_path: Path | None, revision: str = "head") -> MigrationResult:
    """Bring the database to ``revision``, backing it up first if it already holds data."""
    before = current_revision(engine)
    target = head_revision() if revision == "head" else revision
    if before == target:
        return MigrationResult(before, target, None)
    backup = _backup(engine, db_path, before) if (before and db_path) else None
    cfg = alembic_config()
    with engine.connect() as conn:
        # Batch migrations rebuild tables; foreign keys are checked once at the end instead.
        # SQLite ignores this pragma inside a transaction, so it goes to the driver before
        # SQLAlchemy begins one.
        raw = conn.connection.dbapi_connection
        assert raw is not None
        raw.execute("PRAGMA foreign_keys = OFF")
        try:
            if raw.execute("PRAGMA foreign_keys").fetchone()[0] != 0:
                raise DatabaseUnreadable("Could not prepare the database for its upgrade.")
            cfg.attributes["connection"] = conn
            command.upgrade(cfg, target)
            problems = conn.execute(text("PRAGMA foreign_key_check")).fetchall()
            conn.commit()
        finally:
            if conn.in_transaction():
                conn.rollback()
            raw.execute("PRAGMA foreign_keys = ON")
    if problems:
        raise DatabaseUnreadable(
            "The database upgrade left broken links between records. Restore the backup "
            f"in {backup.parent if backup else 'the backups folder'} and contact IT support."
        )
    return MigrationResult(before, target, backup)
