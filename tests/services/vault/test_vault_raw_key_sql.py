"""The database is keyed with the random 32-byte key as a raw key, never with typed text.

Two independent spies: SQLite's own trace of every statement on every SQLCipher connection
(``sql_trace``, installed before the first statement), and the arguments given to
``database._raw_key_pragma``.

Mutation checks run by hand (each made the named test fail):
* ``database._raw_key_pragma`` returning ``PRAGMA key = '<64 hex>'`` (SQLCipher then runs
  PBKDF2 on the hex text as a passphrase; the vault still works) ->
  ``test_only_raw_key_pragmas_reach_sql``.
* ``database._raw_key_pragma`` returning ``PRAGMA key = '<the passphrase>'`` (what
  SQLAlchemy's pysqlcipher dialect would do) -> both tests.
"""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

import pytest
from vault_test_helpers import NEW_PASSPHRASE, OTHER_PASSPHRASE, PASSPHRASE, TEST_KDF, USER_NAME

from desktop_app.models.user import Role
from desktop_app.services.vault import VaultStore, database

# Any statement that sets or changes a SQLCipher key, in any spelling.
KEY_STATEMENT = re.compile(r"^\s*PRAGMA\s+(?:\w+\.)?(?:re)?(?:hex)?key\b", re.IGNORECASE)
RAW_KEY_STATEMENT = re.compile(r"""^PRAGMA key = "x'([0-9a-f]{64})'"$""")


def _exercise_every_secret_path(folder: Path) -> tuple[bytes, list[str], int]:
    """Create, unlock, add a user, change a passphrase, recover: every place a secret is
    typed. Returns (database key, every secret used, connections opened)."""
    store = VaultStore(folder, kdf_cost=TEST_KDF)
    created = store.create(USER_NAME, Role.TEAM_LEAD, PASSPHRASE)
    user_id = created.session.user.user_id
    key = created.session.raw_key_for_support()
    code = created.recovery_code
    created.session.close()

    session = store.unlock(user_id, PASSPHRASE)
    second_id = session.add_user("Second Nurse", Role.NURSE, OTHER_PASSPHRASE)
    session.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
    session.close()
    store.unlock(second_id, OTHER_PASSPHRASE).close()
    recovered_passphrase = "recovered and renewed passphrase"
    store.unlock_with_recovery(user_id, code.lower(), recovered_passphrase).close()
    secrets = [PASSPHRASE, OTHER_PASSPHRASE, NEW_PASSPHRASE, recovered_passphrase, code,
               code.lower(), code.replace("-", "")]
    return key, secrets, 4


def test_only_raw_key_pragmas_reach_sql(tmp_path: Path, sql_trace: list[str]) -> None:
    """Every key statement SQLite saw is ``PRAGMA key = "x'<64 hex>'"`` carrying the random
    database key (one per connection); no statement contains any passphrase or the
    recovery code, in any case."""
    key, secrets, connections = _exercise_every_secret_path(tmp_path / "vault")

    assert any(s.startswith("PRAGMA cipher_version") for s in sql_trace), "the spy saw SQL"
    assert any("CREATE TABLE" in s for s in sql_trace), "the spy saw the migrations too"

    key_statements = [s for s in sql_trace if KEY_STATEMENT.match(s)]
    assert len(key_statements) == connections
    for statement in key_statements:
        match = RAW_KEY_STATEMENT.match(statement)
        assert match, statement
        assert bytes.fromhex(match.group(1)) == key

    everything = "\n".join(sql_trace)
    for secret in secrets:
        assert secret not in everything
        assert secret.lower() not in everything.lower()
        assert secret.encode().hex() not in everything.lower()


def test_raw_key_pragma_only_ever_gets_the_database_key(
    tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    """``_raw_key_pragma`` is only ever called with the 32 random bytes, and the statement
    it builds is the raw-key form (the hex of those bytes, not a passphrase)."""
    seen: list[tuple[bytes, str]] = []
    real = database._raw_key_pragma

    def spy(key: Any) -> str:
        statement = real(key)
        seen.append((bytes(key), statement))
        return statement

    monkeypatch.setattr(database, "_raw_key_pragma", spy)
    key, secrets, connections = _exercise_every_secret_path(tmp_path / "vault")

    assert len(seen) == connections
    for given, statement in seen:
        assert given == key
        assert statement == f"PRAGMA key = \"x'{key.hex()}'\""
        assert not any(secret in statement for secret in secrets)
