"""Engines, sessions and migrations for the central store.

PostgreSQL connections say who they are (``application_name`` is
``shared-care-store/<process id>``), so an operator, or a test,
can see the store's transactions in ``pg_stat_activity``. On the SQLite trial every
transaction starts with ``BEGIN IMMEDIATE``: two pushes then queue for the write lock
instead of failing when both try to upgrade a read lock.

Nothing is kept in a database session between transactions, so the store runs behind
PgBouncer in transaction pooling mode too, once psycopg's automatic server-side prepared
statements are off (``SCP_STORE_PGBOUNCER=1``): each transaction may then run on another
server session, where a statement prepared in an earlier one does not exist. What the store
does set, it sets for one transaction (``SET LOCAL``, ``pg_advisory_xact_lock``).
"""

from __future__ import annotations

import os
from pathlib import Path
from typing import Any

from alembic import command
from alembic.config import Config
from alembic.runtime.migration import MigrationContext
from alembic.script import ScriptDirectory
from sqlalchemy import Connection, Engine, create_engine, event, text
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import transaction_pooling_from_env

APPLICATION_NAME = "shared-care-store"
# Any fixed number: the migration lock, so two processes starting at once upgrade one by one.
_MIGRATION_LOCK = 727_006


def make_engine(url: str, *, transaction_pooling: bool | None = None, **kwargs: Any) -> Engine:
    """An engine for ``url`` (PostgreSQL via psycopg 3, or the SQLite trial).

    ``transaction_pooling``: the URL points at PgBouncer in transaction pooling mode, so
    psycopg prepares nothing on the server; None reads ``SCP_STORE_PGBOUNCER``.

    A statement's parameters never appear in an error's text (``hide_parameters``): an
    error is logged, and its parameters may be names, tokens or a password's hash."""
    kwargs.setdefault("hide_parameters", True)
    if url.startswith("sqlite"):
        engine = create_engine(url, connect_args={"timeout": 30}, **kwargs)
        event.listen(engine, "connect", _sqlite_connect)
        event.listen(engine, "begin", _sqlite_begin)
        return engine
    # The process id tells an operator (and the crash tests) which server a backend serves.
    connect_args: dict[str, Any] = {"application_name": f"{APPLICATION_NAME}/{os.getpid()}"}
    if transaction_pooling is None:
        transaction_pooling = transaction_pooling_from_env()
    if transaction_pooling:
        connect_args["prepare_threshold"] = None
    return create_engine(url, connect_args=connect_args, pool_pre_ping=True, **kwargs)


def _sqlite_connect(dbapi_connection: Any, _record: Any) -> None:
    # Let SQLAlchemy's "begin" event decide how a transaction starts (see the module doc).
    dbapi_connection.isolation_level = None
    cursor = dbapi_connection.cursor()
    cursor.execute("PRAGMA journal_mode=WAL")
    cursor.execute("PRAGMA foreign_keys=ON")
    cursor.close()


def _sqlite_begin(connection: Connection) -> None:
    connection.exec_driver_sql("BEGIN IMMEDIATE")


def make_session_factory(engine: Engine) -> sessionmaker[Session]:
    """Sessions that keep loaded values after commit (answers are built from them)."""
    return sessionmaker(engine, expire_on_commit=False)


def alembic_config() -> Config:
    """An Alembic config pointing at the shipped migrations (no ini file needed)."""
    cfg = Config()
    cfg.set_main_option("script_location", str(Path(__file__).resolve().parent / "migrations"))
    return cfg


def head_revision() -> str:
    """The newest revision this release knows."""
    head = ScriptDirectory.from_config(alembic_config()).get_current_head()
    if head is None:
        raise RuntimeError("no migrations shipped")
    return head


def current_revision(engine: Engine) -> str | None:
    """The revision the database is at (None for an empty database)."""
    with engine.connect() as conn:
        return MigrationContext.configure(conn).get_current_revision()


def upgrade(engine: Engine, revision: str = "head") -> tuple[str | None, str]:
    """Bring the database to ``revision``; returns (before, after)."""
    before = current_revision(engine)
    cfg = alembic_config()
    with engine.begin() as conn:
        if conn.dialect.name == "postgresql":
            conn.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _MIGRATION_LOCK})
        cfg.attributes["connection"] = conn
        command.upgrade(cfg, revision)
    return before, current_revision(engine) or ""
