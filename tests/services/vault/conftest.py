"""Fixtures for the vault tests: a hand-moved clock, an Argon2 call counter, an SQL spy."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
import sqlcipher3
from vault_test_helpers import DeriveCalls, FakeClock

from desktop_app.services.vault import VaultStore, kdf
from desktop_app.services.vault import keyfile as keyfile_module


@pytest.fixture
def fake_clock() -> FakeClock:
    """A clock that only moves when the test says so."""
    return FakeClock()


@pytest.fixture
def clocked_vault(
    vault_copy: tuple[VaultStore, str, str], fake_clock: FakeClock
) -> tuple[VaultStore, str, str]:
    """A private closed vault whose throttle reads ``fake_clock``: (store, user id, code)."""
    store, user_id, code = vault_copy
    return VaultStore(store.folder, kdf_cost=store.kdf_cost, clock=fake_clock), user_id, code


@pytest.fixture
def derive_calls(monkeypatch: pytest.MonkeyPatch) -> DeriveCalls:
    """Count calls of ``keyfile.derive_key`` (the only place Argon2id runs for a wrap)."""
    record = DeriveCalls()
    real = kdf.derive_key  # the function keyfile imported under the same name

    def counting(secret: str, params: Any) -> bytes:
        record.calls.append((secret, params))
        return real(secret, params)

    monkeypatch.setattr(keyfile_module, "derive_key", counting)
    return record


@pytest.fixture
def sql_trace(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every SQL statement SQLite runs on any SQLCipher connection opened from now on.

    ``sqlcipher3.dbapi2.connect`` is wrapped so the trace callback is installed before
    ``database.connect_encrypted`` sends its first statement (the key pragma).
    """
    statements: list[str] = []
    real_connect: Callable[..., Any] = sqlcipher3.dbapi2.connect

    def tracing_connect(*args: Any, **kwargs: Any) -> Any:
        conn = real_connect(*args, **kwargs)
        conn.set_trace_callback(statements.append)
        return conn

    monkeypatch.setattr(sqlcipher3.dbapi2, "connect", tracing_connect)
    return statements
