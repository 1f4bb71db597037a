"""Opening the encrypted SQLCipher 4 database and checking every connection.

SQLAlchemy's own SQLCipher dialect pastes a passphrase into ``PRAGMA key`` text; we open
the connection ourselves and hand SQLCipher the 32 random bytes as a raw key
(``x'<64 hex>'``), so no key derivation runs per connection and no typed text ever
reaches SQL. A wrong key only shows on the first read, so we probe at once.

There is exactly one connection (a static pool), created on and used by one thread:
the database thread. ``check_same_thread`` makes any other use fail loudly. Each connection
is given the ``name_key`` SQL function (``services.core.collation``): names sort with their
accents beside the letter, and an index of the person table is built on it.

The vault then puts the audit key on the connection (``attach_audit_keying``): every writer
of audit rows takes it from ``conn.info`` (``services.core.audit``). ``encrypted_engine``
gives none (the vault knows the key only after reading the key file); ``plain_engine``
(benchmarks and controls, never the app) gives a throwaway one.
"""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import sqlcipher3
from sqlalchemy import Engine, create_engine, event
from sqlalchemy.pool import StaticPool

from desktop_app.services.core import collation
from desktop_app.services.core.audit import AUDIT_KEY_BYTES, AUDIT_KEYING, AuditKeying
from desktop_app.services.core.errors import DatabaseUnreadable, StorageError

CACHE_KIB = 32 * 1024  # pages in cache are plaintext in memory only; big enough for a caseload
EXPECTED_PRAGMAS = {
    "journal_mode": "wal",
    "synchronous": 2,  # FULL
    "temp_store": 2,  # MEMORY
    "foreign_keys": 1,
}


class _CipherConnection(sqlcipher3.dbapi2.Connection):  # type: ignore[misc]
    """A SQLCipher connection that remembers what was checked when it opened."""

    connection_report: ConnectionReport | None = None


class _PlainConnection(sqlite3.Connection):
    """A stdlib connection that remembers what was checked when it opened."""

    connection_report: ConnectionReport | None = None


@dataclass(frozen=True)
class ConnectionReport:
    """What was checked on a freshly opened connection."""

    cipher_version: str
    journal_mode: str
    synchronous: int
    temp_store: int
    foreign_keys: int


def _raw_key_pragma(key: bytes) -> str:
    if len(key) != 32:
        raise ValueError("the database key must be 32 bytes")
    # The hex text comes from our own random bytes, never from anything typed.
    return f"PRAGMA key = \"x'{key.hex()}'\""


def _configure(conn: Any, key: bytes | None) -> ConnectionReport:
    """Key, probe and set the pragmas; raises DatabaseUnreadable when anything is off."""
    cipher_version = ""
    if key is not None:
        conn.execute("PRAGMA cipher_log_level = NONE")  # a wrong key is reported by us
        conn.execute(_raw_key_pragma(key))
        row = conn.execute("PRAGMA cipher_version").fetchone()
        cipher_version = str(row[0]) if row else ""
        if not cipher_version.startswith("4."):
            raise DatabaseUnreadable(f"SQLCipher 4 is required; found {cipher_version or 'none'}.")
    try:
        conn.execute("SELECT count(*) FROM sqlite_master").fetchone()
    except (sqlcipher3.dbapi2.DatabaseError, sqlite3.DatabaseError) as err:
        raise DatabaseUnreadable(
            "The database could not be opened with this key. It may be damaged or belong "
            "to another key file. Nothing has been changed."
        ) from err
    conn.execute("PRAGMA journal_mode = WAL")
    conn.execute("PRAGMA synchronous = FULL")
    conn.execute("PRAGMA temp_store = MEMORY")
    conn.execute("PRAGMA foreign_keys = ON")
    conn.execute(f"PRAGMA cache_size = -{CACHE_KIB}")
    conn.execute("PRAGMA busy_timeout = 5000")
    report = ConnectionReport(
        cipher_version=cipher_version,
        journal_mode=str(conn.execute("PRAGMA journal_mode").fetchone()[0]).lower(),
        synchronous=int(conn.execute("PRAGMA synchronous").fetchone()[0]),
        temp_store=int(conn.execute("PRAGMA temp_store").fetchone()[0]),
        foreign_keys=int(conn.execute("PRAGMA foreign_keys").fetchone()[0]),
    )
    for name, expected in EXPECTED_PRAGMAS.items():
        if getattr(report, name) != expected:
            raise DatabaseUnreadable(f"The database refused a required setting ({name}).")
    # Names sort as a reader expects (``ORDER BY name_key(family_name)``); the person
    # table's index on that key needs it for every write, so every connection has it.
    collation.register(conn)
    return report


def connect_encrypted(path: Path, key: bytes, *, create: bool = False) -> Any:
    """Open one checked SQLCipher connection. Without ``create`` a missing file is an error."""
    mode = "rwc" if create else "rw"
    if not create and not path.exists():
        raise DatabaseUnreadable("The database file is missing from the vault folder.")
    try:
        conn = sqlcipher3.dbapi2.connect(
            f"file:{path.as_posix()}?mode={mode}", uri=True, isolation_level=None,
            check_same_thread=True, factory=_CipherConnection,
        )
    except sqlcipher3.dbapi2.OperationalError as err:
        raise StorageError(f"The database cannot be opened: {err}.") from err
    try:
        conn.connection_report = _configure(conn, key)
    except BaseException:
        conn.close()
        raise
    return conn


def connect_plain(path: Path) -> Any:
    """A plain stdlib SQLite connection with the same settings (benchmarks and controls only)."""
    conn = sqlite3.connect(
        path, isolation_level=None, check_same_thread=True, factory=_PlainConnection
    )
    conn.connection_report = _configure(conn, None)
    return conn


def _engine_for(creator: Callable[[], Any], dbapi: Any) -> Engine:
    # hide_parameters: error messages must never carry typed values (names, addresses)
    # into a log or a crash report.
    engine = create_engine(
        "sqlite://", creator=creator, poolclass=StaticPool, module=dbapi, hide_parameters=True,
    )

    # pysqlite's own transaction handling is switched off (isolation_level=None);
    # we emit BEGIN ourselves so SQLAlchemy's transactions are real SQLite ones.
    @event.listens_for(engine, "begin")
    def _begin(conn: Any) -> None:
        conn.exec_driver_sql("BEGIN")

    return engine


def encrypted_engine(path: Path, key: bytes, *, create: bool = False) -> Engine:
    """An engine over exactly one checked, keyed connection, opened now."""
    conn = connect_encrypted(path, key, create=create)
    engine = _engine_for(lambda: conn, sqlcipher3.dbapi2)
    engine.connect().close()  # hand the connection to the pool now, on this thread
    return engine


def plain_engine(path: Path) -> Engine:
    """An unencrypted engine with the same settings (benchmarks and detector controls),
    its audit chain keyed with a throwaway key."""
    conn = connect_plain(path)
    engine = _engine_for(lambda: conn, sqlite3)
    attach_audit_keying(engine, AuditKeying(os.urandom(AUDIT_KEY_BYTES)))
    return engine


def attach_audit_keying(engine: Engine, keying: AuditKeying) -> None:
    """Hold ``keying`` on the engine's connection (``conn.info``), now and on any connection
    the pool makes again, for every writer of audit rows (``services.core.audit``)."""

    @event.listens_for(engine, "connect")
    def _keyed(_dbapi_conn: Any, record: Any) -> None:
        record.info[AUDIT_KEYING] = keying

    with engine.connect() as conn:
        conn.info[AUDIT_KEYING] = keying


def connection_report(engine: Engine) -> ConnectionReport:
    """The checks made when the engine's connection was opened."""
    with engine.connect() as conn:
        dbapi_conn = conn.connection.dbapi_connection
        report = getattr(dbapi_conn, "connection_report", None)
    if not isinstance(report, ConnectionReport):
        raise DatabaseUnreadable("connection was not opened through the vault")
    return report
