"""Creating a vault: first user, recovery code, no raw key on disk, owner-only files.

Mutation checks run by hand while writing these tests (each made the named test fail):
* ``keyfile.RECOVERY_ALPHABET`` patched to plain base32hex (with ``I``, ``L``, ``O``, ``U``),
  and separately ``keyfile.RECOVERY_GROUPS = 7`` ->
  ``test_create_gives_first_user_and_recovery_code``.
* ``keyfile.AESGCM`` replaced by a "cipher" that returns the key unchanged plus a fake tag
  -> ``test_key_file_holds_no_raw_key``.
* ``vault._owner_only`` replaced by a no-op -> ``test_vault_files_are_owner_only``.
* ``VaultStore.create`` wrapped to delete an existing key file and database first (setup
  overwriting a vault) -> ``test_create_again_refuses_and_touches_nothing`` and
  ``test_create_refuses_when_only_the_database_is_left``.
* ``vault.check_passphrase`` replaced by a no-op -> ``test_short_passphrase_creates_nothing``.
"""

from __future__ import annotations

import base64
import binascii
import json
import os
from pathlib import Path

import pytest
from vault_test_helpers import (
    PASSPHRASE,
    RECOVERY_CODE_RE,
    SQLITE_PLAIN_HEADER,
    TEST_KDF,
    USER_NAME,
    snapshot,
)

from desktop_app.models.user import Role
from desktop_app.services.core.errors import ValidationError, VaultAlreadyExists
from desktop_app.services.vault import CreatedVault, VaultStore
from desktop_app.services.vault.keyfile import RECOVERY_ALPHABET
from desktop_app.services.vault.vault import DB_NAME, KEY_NAME, MIN_PASSPHRASE_LENGTH


def _create(folder: Path, passphrase: str = PASSPHRASE) -> CreatedVault:
    return VaultStore(folder, kdf_cost=TEST_KDF).create(USER_NAME, Role.TEAM_LEAD, passphrase)


def test_create_gives_first_user_and_recovery_code(tmp_path: Path) -> None:
    """The creator is signed in as the first user; the recovery code is 8x4 Crockford."""
    store = VaultStore(tmp_path / "vault", kdf_cost=TEST_KDF)
    created = store.create(USER_NAME, Role.TEAM_LEAD, PASSPHRASE)
    try:
        user = created.session.user
        assert user.display_name == USER_NAME
        assert user.role is Role.TEAM_LEAD
        assert store.users() == [(user.user_id, USER_NAME)]
        assert created.session.users() == [user]

        code = created.recovery_code
        assert RECOVERY_CODE_RE.match(code), code
        groups = code.split("-")
        assert len(groups) == 8 and all(len(g) == 4 for g in groups)
        assert set(code.replace("-", "")) <= set(RECOVERY_ALPHABET)
        assert not set(code) & set("ILOU"), "Crockford base32 has no I, L, O or U"
    finally:
        created.session.close()


def test_recovery_codes_differ_between_vaults(tmp_path: Path) -> None:
    """Two vaults never share a recovery code (it is random, 160 bits)."""
    first, second = _create(tmp_path / "a"), _create(tmp_path / "b")
    try:
        assert first.recovery_code != second.recovery_code
    finally:
        first.session.close()
        second.session.close()


def _decoded_fields(value: object) -> list[bytes]:
    """Every string in the key file JSON, and its base64 and hex decodings where valid."""
    found: list[bytes] = []
    if isinstance(value, dict):
        for item in value.values():
            found += _decoded_fields(item)
    elif isinstance(value, list):
        for item in value:
            found += _decoded_fields(item)
    elif isinstance(value, str):
        found.append(value.encode())
        try:
            found.append(base64.b64decode(value, validate=True))
        except (binascii.Error, ValueError):
            pass
        try:
            found.append(bytes.fromhex(value))
        except ValueError:
            pass
    return found


@pytest.mark.hazard("H-019")
def test_key_file_holds_no_raw_key(tmp_path: Path) -> None:
    """The 32-byte database key appears in the key file in no form: raw, hex, base64,
    nor inside any decoded field. Nor is the database a plaintext SQLite file."""
    created = _create(tmp_path / "vault")
    key = created.session.raw_key_for_support()
    created.session.close()
    assert len(key) == 32 and key != bytes(32)

    raw = (tmp_path / "vault" / KEY_NAME).read_bytes()
    for form in (key, key.hex().encode(), key.hex().upper().encode(),
                 base64.b64encode(key), base64.b64encode(key).rstrip(b"="),
                 base64.urlsafe_b64encode(key).rstrip(b"=")):
        assert form not in raw
    # Even a base64 encoding that starts mid-stream cannot hide the key: decode every field.
    for blob in _decoded_fields(json.loads(raw)):
        assert key not in blob
        assert key.hex() not in blob.decode("latin-1")

    db = (tmp_path / "vault" / DB_NAME).read_bytes()
    assert not db.startswith(SQLITE_PLAIN_HEADER)
    assert key not in db and key.hex().encode() not in db


@pytest.mark.hazard("H-019")
@pytest.mark.skipif(os.name != "posix", reason="file modes are a POSIX notion")
def test_vault_files_are_owner_only(tmp_path: Path) -> None:
    """Key file, database and its WAL/SHM are 0600 and the folder 0700, even under a
    permissive umask (022 would otherwise give 0644 files)."""
    old_umask = os.umask(0o022)
    try:
        created = _create(tmp_path / "vault")
    finally:
        os.umask(old_umask)
    folder = tmp_path / "vault"
    try:
        modes = {p.name: p.stat().st_mode & 0o777 for p in folder.iterdir() if p.is_file()}
        assert modes[KEY_NAME] == 0o600
        assert modes[DB_NAME] == 0o600
        # While open in WAL mode the side files exist; SQLite gives them the database's mode.
        for name, mode in modes.items():
            assert mode == 0o600, (name, oct(mode))
        assert folder.stat().st_mode & 0o777 == 0o700
    finally:
        created.session.close()
    assert (folder / KEY_NAME).stat().st_mode & 0o777 == 0o600
    assert (folder / DB_NAME).stat().st_mode & 0o777 == 0o600


@pytest.mark.hazard("H-034")
def test_create_again_refuses_and_touches_nothing(tmp_path: Path) -> None:
    """A second create raises VaultAlreadyExists and leaves every file byte-identical
    (same sha256 and same mtime), whatever passphrase is offered."""
    folder = tmp_path / "vault"
    _create(folder).session.close()
    before = snapshot(folder)
    assert set(before) == {DB_NAME, KEY_NAME}

    for passphrase in (PASSPHRASE, "another long passphrase", "short"):
        with pytest.raises(VaultAlreadyExists):
            _create(folder, passphrase)
    assert snapshot(folder) == before


def test_create_refuses_when_only_the_database_is_left(tmp_path: Path) -> None:
    """A database without its key file (lost key file) is never overwritten by setup."""
    folder = tmp_path / "vault"
    _create(folder).session.close()
    (folder / KEY_NAME).unlink()
    before = snapshot(folder)

    with pytest.raises(VaultAlreadyExists):
        _create(folder)
    assert snapshot(folder) == before
    assert not (folder / KEY_NAME).exists()


@pytest.mark.parametrize(
    "passphrase",
    ["", "short", "x" * (MIN_PASSPHRASE_LENGTH - 1), "   abc        ", " " * 20],
    ids=["empty", "short", "one-too-few", "padded-with-spaces", "only-spaces"],
)
def test_short_passphrase_creates_nothing(tmp_path: Path, passphrase: str) -> None:
    """A too-short passphrase is refused before anything (even the folder) is created."""
    folder = tmp_path / "vault"
    with pytest.raises(ValidationError) as err:
        _create(folder, passphrase)
    assert err.value.field == "passphrase"
    assert not folder.exists()
    assert list(tmp_path.iterdir()) == []


def test_shortest_allowed_passphrase_is_accepted(tmp_path: Path) -> None:
    """The boundary: exactly the minimum length works (so the rule is not off by one)."""
    created = _create(tmp_path / "vault", "y" * MIN_PASSPHRASE_LENGTH)
    created.session.close()
    assert (tmp_path / "vault" / KEY_NAME).exists()
