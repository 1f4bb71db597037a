"""Opening the SQLCipher database: wrong key, checked settings, missing or damaged files.

Mutation checks run by hand (each made the named test fail):
* ``database.connect_encrypted`` replaced by a version that opens and keys the connection
  but skips ``_configure`` (no probe) -> ``test_wrong_key_fails_at_open_and_changes_nothing``
  ("DID NOT RAISE": the error would only come at the first query).
* ``connect_encrypted.__kwdefaults__["create"] = True`` (open with ``mode=rwc``) ->
  ``test_missing_database_is_not_recreated``.
* ``database._configure`` wrapped to run ``PRAGMA synchronous = NORMAL`` afterwards ->
  ``test_connection_report`` (and the vault itself refuses such a connection).
* ``KeyFile.from_bytes`` patched to skip the format check -> the ``wrong-format`` case.
* ``KdfParams.from_json`` / ``Wrap.from_json`` restored to their unchecked versions of
  commit 6cdfea7 -> the out-of-range cases (``4-byte-nonce`` ... ``unknown-kind``).
"""

from __future__ import annotations

import base64
import json
import os
from collections.abc import Callable
from typing import Any

import pytest
from vault_test_helpers import PASSPHRASE, snapshot

from desktop_app.services.core.errors import (
    DatabaseUnreadable,
    KeyFileCorrupt,
    VaultNotFound,
)
from desktop_app.services.vault import VaultSession, VaultStore
from desktop_app.services.vault.database import (
    EXPECTED_PRAGMAS,
    connect_encrypted,
    connection_report,
    encrypted_engine,
)
from desktop_app.services.vault.vault import ATTEMPTS_NAME, DB_NAME, KEY_NAME

Vault = tuple[VaultStore, str, str]


def _other_key(not_this: bytes) -> bytes:
    key = os.urandom(32)
    assert key != not_this
    return key


@pytest.mark.hazard("H-019")
@pytest.mark.hazard("H-034")
def test_wrong_key_fails_at_open_and_changes_nothing(vault_copy: Vault) -> None:
    """A wrong 32-byte key raises DatabaseUnreadable from connect_encrypted itself (the
    caller never gets a connection to query) and leaves every file as it was."""
    store, user_id, _ = vault_copy
    session = store.unlock(user_id, PASSPHRASE)
    right = session.raw_key_for_support()
    session.close()
    before = snapshot(store.folder)

    for wrong in (_other_key(right), bytes(32), right[:-1] + bytes([right[-1] ^ 1])):
        with pytest.raises(DatabaseUnreadable):
            connect_encrypted(store.db_path, wrong)
        with pytest.raises(DatabaseUnreadable):
            encrypted_engine(store.db_path, wrong)
    assert snapshot(store.folder) == before
    assert sorted(p.name for p in store.folder.iterdir()) == [DB_NAME, KEY_NAME]

    # Control: the right key opens the same file through the same function.
    conn = connect_encrypted(store.db_path, right)
    try:
        assert conn.execute("SELECT count(*) FROM app_user").fetchone()[0] == 1
    finally:
        conn.close()


def test_connect_rejects_a_key_of_the_wrong_length(vault_copy: Vault) -> None:
    """Only 32 raw bytes are accepted as a key; nothing is created for a bad one."""
    store, _, _ = vault_copy
    before = snapshot(store.folder)
    for bad in (b"", bytes(16), bytes(33)):
        with pytest.raises(ValueError):
            connect_encrypted(store.db_path, bad)
    assert snapshot(store.folder) == before


def test_connection_report(vault: VaultSession) -> None:
    """The vault's one connection is SQLCipher 4 in WAL mode, synchronous FULL, temp
    store in memory, foreign keys on; and the report matches what SQLite says now."""
    report = connection_report(vault.engine)
    assert report.cipher_version.startswith("4."), report.cipher_version
    assert report.journal_mode == "wal"
    assert report.synchronous == 2
    assert report.temp_store == 2
    assert report.foreign_keys == 1
    assert {k: getattr(report, k) for k in EXPECTED_PRAGMAS} == EXPECTED_PRAGMAS

    with vault.engine.connect() as conn:
        live = {
            name: conn.exec_driver_sql(f"PRAGMA {name}").scalar()
            for name in ("cipher_version", "journal_mode", "synchronous", "temp_store",
                         "foreign_keys")
        }
    assert str(live["cipher_version"]).startswith("4.")
    assert str(live["journal_mode"]).lower() == "wal"
    assert (live["synchronous"], live["temp_store"], live["foreign_keys"]) == (2, 2, 1)


@pytest.mark.hazard("H-034")
def test_missing_database_is_not_recreated(vault_copy: Vault) -> None:
    """With the key file present and vault.db gone, the right passphrase gives
    DatabaseUnreadable and no new (empty) database file appears."""
    store, user_id, _ = vault_copy
    store.db_path.unlink()
    before = snapshot(store.folder)

    with pytest.raises(DatabaseUnreadable):
        store.unlock(user_id, PASSPHRASE)
    assert not store.db_path.exists()
    assert sorted(p.name for p in store.folder.iterdir()) == [KEY_NAME]
    assert snapshot(store.folder) == before

    with pytest.raises(DatabaseUnreadable):
        connect_encrypted(store.db_path, os.urandom(32))
    assert not store.db_path.exists()


def test_missing_key_file_is_vault_not_found(vault_copy: Vault) -> None:
    """Without the key file there is no vault to unlock; the database is left alone."""
    store, user_id, _ = vault_copy
    store.key_path.unlink()
    before = snapshot(store.folder)
    with pytest.raises(VaultNotFound):
        store.unlock(user_id, PASSPHRASE)
    assert snapshot(store.folder) == before


def _edit_json(edit: Callable[[dict[str, Any]], None]) -> Callable[[bytes], bytes]:
    def apply(raw: bytes) -> bytes:
        body = json.loads(raw)
        edit(body)
        return json.dumps(body, indent=2).encode()
    return apply


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode()


def _flip_ciphertext_byte(body: dict[str, Any]) -> None:
    for wrap in body["wraps"]:
        data = bytearray(base64.b64decode(wrap["ciphertext"]))
        data[5] ^= 0x01
        wrap["ciphertext"] = base64.b64encode(bytes(data)).decode()


def _flip_nonce_byte(body: dict[str, Any]) -> None:
    for wrap in body["wraps"]:
        data = bytearray(base64.b64decode(wrap["nonce"]))
        data[0] ^= 0x80
        wrap["nonce"] = base64.b64encode(bytes(data)).decode()


DAMAGE: dict[str, tuple[Callable[[bytes], bytes], type[Exception]]] = {
    "truncated": (lambda raw: raw[: len(raw) // 2], KeyFileCorrupt),
    "truncated-to-nothing": (lambda raw: b"", KeyFileCorrupt),
    "not-json": (lambda raw: b"this is not a key file\n", KeyFileCorrupt),
    "not-utf8": (lambda raw: b"\xff\xfe" + raw, KeyFileCorrupt),
    "wrong-format": (_edit_json(lambda b: b.update(format="some-other-keyfile")), KeyFileCorrupt),
    "future-version": (_edit_json(lambda b: b.update(format_version=99)), KeyFileCorrupt),
    "bad-base64": (_edit_json(lambda b: b["wraps"][0].update(ciphertext="@@@@")), KeyFileCorrupt),
    "wraps-missing": (_edit_json(lambda b: b.pop("wraps")), KeyFileCorrupt),
    "wrong-kdf": (_edit_json(lambda b: b["wraps"][0]["kdf"].update(algorithm="scrypt")),
                  KeyFileCorrupt),
    # Damage that still parses: told apart from a wrong passphrase by the checksum (issue 20;
    # before it these gave WrongPassphrase and counted towards the lockout).
    "flipped-ciphertext-byte": (_edit_json(_flip_ciphertext_byte), KeyFileCorrupt),
    "flipped-nonce-byte": (_edit_json(_flip_nonce_byte), KeyFileCorrupt),
    "other-vault-id": (_edit_json(lambda b: b.update(vault_id="another-vault")), KeyFileCorrupt),
    # Fields that parse but are out of range must not crash Argon2id or AES-GCM, nor ask
    # for absurd work (before commit e07b87b these escaped as ValueError, HashingError or
    # OverflowError instead of KeyFileCorrupt).
    "4-byte-nonce": (_edit_json(lambda b: b["wraps"][0].update(nonce=_b64(b"1234"))),
                     KeyFileCorrupt),
    "short-ciphertext": (_edit_json(lambda b: b["wraps"][0].update(ciphertext=_b64(bytes(16)))),
                         KeyFileCorrupt),
    "1-byte-salt": (_edit_json(lambda b: b["wraps"][0]["kdf"].update(salt="00")), KeyFileCorrupt),
    "zero-memory": (_edit_json(lambda b: b["wraps"][0]["kdf"].update(memory_kib=0)),
                    KeyFileCorrupt),
    "zero-iterations": (_edit_json(lambda b: b["wraps"][0]["kdf"].update(iterations=0)),
                        KeyFileCorrupt),
    "zero-lanes": (_edit_json(lambda b: b["wraps"][0]["kdf"].update(parallelism=0)),
                   KeyFileCorrupt),
    "1-TiB-memory": (_edit_json(lambda b: b["wraps"][0]["kdf"].update(memory_kib=2**30)),
                     KeyFileCorrupt),
    "memory-overflow": (_edit_json(lambda b: b["wraps"][0]["kdf"].update(memory_kib=2**32)),
                        KeyFileCorrupt),
    "unknown-kind": (_edit_json(lambda b: b["wraps"][0].update(kind="admin")), KeyFileCorrupt),
}


@pytest.mark.hazard("H-034")
@pytest.mark.parametrize("case", list(DAMAGE))
def test_damaged_key_file(vault_copy: Vault, case: str) -> None:
    """A damaged key file gives KeyFileCorrupt, whether it cannot be parsed or parses but
    no longer matches its checksum (tests/services/test_audit_witness.py has an edit that
    fixes the checksum: WrongPassphrase); either way the database is untouched and the
    damaged key file is not "repaired" behind the user's back."""
    store, user_id, _ = vault_copy
    damage, expected = DAMAGE[case]
    store.key_path.write_bytes(damage(store.key_path.read_bytes()))
    before = snapshot(store.folder)

    with pytest.raises(expected):
        store.unlock(user_id, PASSPHRASE)
    assert snapshot(store.folder) == before
    assert not any(p.name.startswith(DB_NAME + "-") for p in store.folder.iterdir())
    if expected is KeyFileCorrupt:
        with pytest.raises(KeyFileCorrupt):
            store.users()
        assert not (store.folder / ATTEMPTS_NAME).exists(), "no guess was made"
