"""An independent SQLCipher 4 implementation reads the vault given only the raw key.

The reader is SQLite3 Multiple Ciphers (the ``apsw-sqlite3mc`` wheel), not SQLCipher: it
is configured for SQLCipher version 4 with ``PRAGMA cipher='sqlcipher'`` and
``PRAGMA legacy=4``. In SQLite3MC, as in SQLCipher, a key of the form ``x'<64 hex>'`` is a
raw 256-bit key (no key derivation), while ``PRAGMA hexkey`` only means "this passphrase is
written in hex" and still runs PBKDF2 on it. Found by experiment (the library docs were not
available): ``PRAGMA key="x'<hex>'"`` opens the vault, ``PRAGMA hexkey='<hex>'`` does not.

Mutation check run by hand: ``database._raw_key_pragma`` returning ``PRAGMA key =
'<64 hex>'`` (key derived from the hex text) made ``test_sqlite3mc_reads_the_vault_with_
the_raw_key`` fail with ``apsw.NotADBError`` while the vault itself kept working.
"""

from __future__ import annotations

import shutil
from pathlib import Path

import apsw  # apsw-sqlite3mc, a declared dev dependency: missing it must fail, not skip
import pytest
from sqlalchemy import text
from vault_test_helpers import PASSPHRASE, SQLITE_PLAIN_HEADER, USER_NAME

from desktop_app.services.core import collation
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.vault import VaultStore

Vault = tuple[VaultStore, str, str]
NHS_NUMBERS = [synthetic_nhs_number(n) for n in (11, 12)]


def _closed_vault_with_people(store: VaultStore, user_id: str) -> bytes:
    """Add two synthetic people, close the vault (checkpointing the WAL) and return the key."""
    session = store.unlock(user_id, PASSPHRASE)
    try:
        with session.engine.begin() as conn:
            for n, nhs in enumerate(NHS_NUMBERS):
                conn.execute(
                    text(
                        "INSERT INTO person (id, nhs_number, given_name, family_name, "
                        "date_of_birth, address_line1, town, postcode, team, "
                        "open_to_community_health, version, created_at, updated_at, "
                        "updated_by, device_id, deleted) VALUES (:id, :nhs, 'Test', :family, "
                        "'1950-01-01', '1 Example Road', 'Leicester', 'LE1 5WW', 'North', 0, "
                        "1, '2025-01-01 00:00:00', '2025-01-01 00:00:00', :user, :device, 0)"
                    ),
                    {"id": f"00000000-0000-4000-8000-00000000000{n}", "nhs": nhs,
                     "family": f"Person{n}", "user": user_id, "device": session.device_id},
                )
        key = session.raw_key_for_support()
    finally:
        session.close()
    assert sorted(p.name for p in store.folder.iterdir()) == ["vault.db", "vault.key"]
    return key


def _open_copy(db: Path, tmp_path: Path, *pragmas: str) -> apsw.Connection:
    copy = tmp_path / f"reader-{len(list(tmp_path.glob('reader-*')))}.db"
    shutil.copyfile(db, copy)
    conn = apsw.Connection(str(copy))
    # Proof that this really is SQLite3MC, switched to the SQLCipher 4 format.
    assert conn.execute("PRAGMA cipher = 'sqlcipher'").fetchall() == [("sqlcipher",)]
    assert conn.execute("PRAGMA legacy = 4").fetchall() == [("4",)]
    for pragma in pragmas:
        conn.execute(pragma).fetchall()
    return conn


def test_sqlite3mc_reads_the_vault_with_the_raw_key(vault_copy: Vault, tmp_path: Path) -> None:
    """Given the raw key, SQLite3MC in SQLCipher-4 mode reads app_user and person."""
    store, user_id, _ = vault_copy
    key = _closed_vault_with_people(store, user_id)
    assert not store.db_path.read_bytes()[:16] == SQLITE_PLAIN_HEADER

    conn = _open_copy(store.db_path, tmp_path, f"PRAGMA key = \"x'{key.hex()}'\"")
    try:
        users = conn.execute("SELECT id, display_name, role FROM app_user").fetchall()
        assert users == [(user_id, USER_NAME, "team_lead")]
        people = conn.execute("SELECT nhs_number FROM person ORDER BY nhs_number").fetchall()
        assert [row[0] for row in people] == sorted(NHS_NUMBERS)
        revision = conn.execute("SELECT version_num FROM alembic_version").fetchall()
        assert len(revision) == 1
        # Everything above reads without the app's code. The person table's name-order
        # index (migration 0010) is built on the app's ``name_key`` function: to check the
        # whole file (or to write a person), a reader is given the same function.
        conn.create_scalar_function(collation.SQL_FUNCTION, collation.name_key, 1,
                                    deterministic=True)
        assert conn.execute("PRAGMA integrity_check").fetchall() == [("ok",)]
    finally:
        conn.close()


@pytest.mark.hazard("H-019")
@pytest.mark.parametrize(
    "pragmas",
    [
        (),
        ("PRAGMA key = \"x'" + "00" * 32 + "'\"",),
        ("PRAGMA key = '" + PASSPHRASE + "'",),
        ("HEXKEY",),  # replaced by the right key's hex given as a hex *passphrase*
        ("KEYTEXT",),  # replaced by the right key's hex given as a text passphrase
    ],
    ids=["no-key", "wrong-raw-key", "passphrase-as-key", "hexkey-passphrase", "hex-as-text"],
)
def test_sqlite3mc_cannot_read_without_the_raw_key(
    vault_copy: Vault, tmp_path: Path, pragmas: tuple[str, ...]
) -> None:
    """Without the key, with a wrong key, with the passphrase, or with the right key's hex
    used as a passphrase (so derived, not raw), nothing can be read."""
    store, user_id, _ = vault_copy
    key = _closed_vault_with_people(store, user_id)
    pragmas = tuple(
        {"HEXKEY": f"PRAGMA hexkey = '{key.hex()}'",
         "KEYTEXT": f"PRAGMA key = '{key.hex()}'"}.get(p, p) for p in pragmas
    )
    conn = _open_copy(store.db_path, tmp_path, *pragmas)
    try:
        with pytest.raises(apsw.NotADBError):
            conn.execute("SELECT count(*) FROM person").fetchall()
    finally:
        conn.close()
