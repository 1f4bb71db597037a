"""No patient value ever reaches the disk in the clear: vault, WAL, logs, temp files.

A realistic workload (add a person, edit them, add a contact, remove them, and a careless
log line with the NHS number) runs with ``SHARED_CARE_PLANNER_HOME`` and ``TMPDIR`` both
pointed at private folders. Every byte of every file under both is then searched for
each sentinel value in ASCII, UTF-8 and UTF-16LE (the NHS number also in its spaced
display form): while the vault is still open after a write (so the ``-wal`` holds the
newest pages), and again after it is closed.

The same workload on an unencrypted database (``plain_engine``) DOES show the sentinels,
in the ``-wal`` while open and in the database after, so the main test cannot pass by
searching the wrong place or the wrong way.
"""

from __future__ import annotations

import datetime as dt
import logging
import tempfile
from collections.abc import Callable, Iterator
from dataclasses import dataclass, replace
from pathlib import Path

import pytest
from alembic import command

from desktop_app.models import Base
from desktop_app.models.person import Contact, ContactKind
from desktop_app.models.user import Role
from desktop_app.services.core.audit import Actor
from desktop_app.services.core.logging_setup import configure_logging
from desktop_app.services.core.migrate import alembic_config
from desktop_app.services.core.paths import AppPaths, resolve_paths
from desktop_app.services.core.uow import UnitOfWork, make_session_factory
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number
from desktop_app.services.people import PersonInput, create_person, remove_person, update_person
from desktop_app.services.vault import VaultStore
from desktop_app.services.vault.database import encrypted_engine, plain_engine
from desktop_app.services.vault.kdf import KdfParams

NHS = synthetic_nhs_number(487_311)  # 999 range: never a real patient
SENTINELS = {
    "nhs_number": NHS,
    "nhs_number_spaced": format_nhs_number(NHS),
    "family_name": "Sentinelxqzname",
    "edited_family_name": "Sentinelvkjedit",
    "contact_name": "Sentinelpwqkin Contact",
    "address": "17 Sentinelbrook Lane",
    "town_non_ascii": "Sentinelöbyþorp",  # so UTF-8 and ASCII differ for one value
}
# What the database itself would hold (the spaced form is only ever displayed).
STORED = ("nhs_number", "family_name", "edited_family_name", "contact_name", "address",
          "town_non_ascii")
ENCODINGS = ("ascii", "utf-8", "utf-16-le")


@dataclass(frozen=True)
class Hit:
    """One sentinel found in one file."""

    path: Path
    sentinel: str
    encoding: str


def needles() -> list[tuple[str, str, bytes]]:
    """(sentinel name, encoding, bytes) for every sentinel in every encoding it has."""
    out = []
    for name, value in SENTINELS.items():
        for encoding in ENCODINGS:
            try:
                out.append((name, encoding, value.encode(encoding)))
            except UnicodeEncodeError:
                continue  # a non-ASCII value has no ASCII form
    return out


def search(roots: list[Path]) -> tuple[list[Hit], list[Path]]:
    """Every sentinel in every regular file under ``roots``; also the files searched."""
    hits: list[Hit] = []
    files = sorted(p for root in roots for p in root.rglob("*") if p.is_file())
    for path in files:
        data = path.read_bytes()
        for name, encoding, needle in needles():
            if needle in data:
                hits.append(Hit(path, name, encoding))
    return hits, files


def _show(hits: list[Hit], base: Path) -> str:
    return "\n".join(f"{h.sentinel} ({h.encoding}) in {h.path.relative_to(base)}" for h in hits)


def person_input() -> PersonInput:
    return PersonInput(
        nhs_number=SENTINELS["nhs_number_spaced"],  # typed with spaces, as a nurse might
        given_name="Synthia",
        family_name=SENTINELS["family_name"],
        date_of_birth=dt.date(1941, 7, 9),
        address_line1=SENTINELS["address"],
        town=SENTINELS["town_non_ascii"],
        postcode="LE1 5WW",
        team="Synthetic Test Team",
    )


@dataclass
class Folders:
    """The private home (data, config, logs, cache) and the private temp folder."""

    home: Path
    tmp: Path
    paths: AppPaths

    @property
    def roots(self) -> list[Path]:
        return [self.home, self.tmp]


@pytest.fixture
def folders(app_home: Path, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Iterator[Folders]:
    """Private home and TMPDIR, and the app's log file there (root logger put back after)."""
    private_tmp = tmp_path / "private-tmp"
    private_tmp.mkdir()
    monkeypatch.setenv("TMPDIR", str(private_tmp))
    monkeypatch.setenv("SQLITE_TMPDIR", str(private_tmp))
    monkeypatch.setattr(tempfile, "tempdir", str(private_tmp))
    paths = resolve_paths().ensure()
    assert paths.data.is_relative_to(app_home) and paths.logs.is_relative_to(app_home)
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    configure_logging(paths.logs)
    yield Folders(app_home, private_tmp, paths)
    for handler in root.handlers:
        if handler not in saved_handlers:
            handler.close()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def _careless_logging() -> None:
    """What careless code might do: log the NHS number, in both forms, both ways."""
    log = logging.getLogger("desktop_app.services.people")
    log.warning("saved person %s (%s)", SENTINELS["nhs_number"], SENTINELS["nhs_number_spaced"])
    log.warning(f"lookup failed for NHS number {SENTINELS['nhs_number']}")  # noqa: G004
    for handler in logging.getLogger().handlers:
        handler.flush()


def workload(uow: UnitOfWork, while_open: Callable[[], None]) -> None:
    """Add, edit, add a contact (then ``while_open`` looks at disk), log, remove."""
    view = create_person(uow, person_input())
    edited = update_person(uow, view.id, replace(view, family_name=SENTINELS["edited_family_name"]),
                           view.version)
    with uow.begin() as s:
        s.add(Contact(person_id=edited.id, kind=ContactKind.NEXT_OF_KIN.value,
                      name=SENTINELS["contact_name"], relationship="daughter"))
    while_open()
    _careless_logging()
    remove_person(uow, view.id)


def test_detector_finds_each_encoding(tmp_path: Path) -> None:
    """The byte search itself: each needle alone in a file is found, an empty file is not."""
    for index, (_name, _encoding, needle) in enumerate(needles()):
        (tmp_path / f"f{index}.bin").write_bytes(b"\x00junk" + needle + b"junk\xff")
    (tmp_path / "clean.bin").write_bytes(b"nothing here " * 100)
    hits, files = search([tmp_path])
    assert {(h.sentinel, h.encoding) for h in hits} >= {(n, e) for n, e, _ in needles()}
    assert not any(h.path.name == "clean.bin" for h in hits)
    assert len(files) == len(needles()) + 1


@pytest.mark.hazard("H-019")
@pytest.mark.hazard("H-036")
def test_no_sentinel_on_disk_in_the_clear(
    folders: Folders, test_kdf: KdfParams, passphrase: str,
) -> None:
    """Nothing under the home or temp folder holds any sentinel, open or closed.

    After the workload the vault is put back to schema 0001 and unlocked again, so the
    migration's backup copy in ``backups/`` and the rebuilt tables are searched too.

    Shown to fail (temporarily): ``RedactingFilter.filter`` made a no-op -> the NHS number
    is found in logs/shared-care-planner.log; ``vault.encrypted_engine`` swapped for
    ``plain_engine`` -> every stored sentinel is found in vault.db-wal while open and in
    vault.db after close. The control test below is the permanent form of the second.
    """
    store = VaultStore(folders.paths.vault_dir, kdf_cost=test_kdf)
    session = store.create("Synthetic Nurse", Role.TEAM_LEAD, passphrase).session

    def while_open() -> None:
        wal = store.db_path.with_name(store.db_path.name + "-wal")
        assert wal.exists() and wal.stat().st_size > 0, "the write did not reach the WAL"
        hits, files = search(folders.roots)
        assert wal in files
        assert hits == [], "while open:\n" + _show(hits, folders.home.parent)

    try:
        workload(session.uow, while_open)
        user_id, key = session.user.user_id, session.raw_key_for_support()
    finally:
        session.close()
    _downgrade(store.db_path, key, "0001")
    upgraded = store.unlock(user_id, passphrase)  # backs up the old database, then migrates
    upgraded.close()
    assert upgraded.migration is not None and upgraded.migration.backup is not None

    hits, files = search(folders.roots)
    names = {p.name for p in files}
    assert {"vault.db", "vault.key", "shared-care-planner.log"} <= names, names
    assert upgraded.migration.backup in files
    log_text = (folders.paths.logs / "shared-care-planner.log").read_text(encoding="utf-8")
    assert "saved person" in log_text, "the careless log line never reached the log file"
    assert hits == [], "after close:\n" + _show(hits, folders.home.parent)
    assert "[redacted]" in log_text


def _downgrade(db_path: Path, key: bytes, revision: str) -> None:
    """Put the vault back to an older schema, so the next unlock migrates and backs up.

    Downgrading 0002 rebuilds ``person``, which others reference, so foreign keys must
    really be off: the pragma goes to the driver connection before SQLAlchemy begins a
    transaction (inside one, as in ``migrate.upgrade_to``, SQLite ignores it).
    """
    engine = encrypted_engine(db_path, key)
    try:
        with engine.connect() as conn:
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = OFF")  # type: ignore[union-attr]
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, revision)
            conn.connection.dbapi_connection.execute("PRAGMA foreign_keys = ON")  # type: ignore[union-attr]
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()


def test_control_the_same_work_on_a_plain_database_is_found(folders: Folders) -> None:
    """On an unencrypted database the detector finds the sentinels (not vacuous)."""
    db_path = folders.paths.vault_dir / "plain.db"
    engine = plain_engine(db_path)
    Base.metadata.create_all(engine)
    uow = UnitOfWork(make_session_factory(engine),
                     Actor("00000000-0000-4000-8000-000000000001", "device-control"))
    seen_open: list[Hit] = []

    def while_open() -> None:
        hits, _ = search(folders.roots)
        seen_open.extend(hits)

    try:
        workload(uow, while_open)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    in_wal = {h.sentinel for h in seen_open if h.path.name == "plain.db-wal"}
    assert in_wal >= set(STORED), in_wal
    hits, _ = search(folders.roots)
    found = {h.sentinel for h in hits if h.encoding == "utf-8"}
    assert found >= set(STORED), sorted(found)
    assert not any(h.path.parent == folders.paths.logs for h in hits), "the log was not redacted"
