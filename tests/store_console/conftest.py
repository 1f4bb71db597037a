"""Fixtures of the store's web console (issue 21), on the session's real uvicorn store and
PostgreSQL (tests/sync_server/fixtures.py):

- ``console``: a ``Console`` for the session store: its base URL, ``url(path)``,
  ``client()`` (not signed in), ``sign_in(...)``, ``sessions`` (the store's database).
- ``console_account(role)``: a new console account (made directly in the database, as
  the CLI would), returned as ``Account(username, password, totp_secret)``.
- ``signed_in(role)``: a ``ConsoleClient`` (an ``httpx.Client``) of a new account of that
  role, signed in through the real sign-in form with its password and a TOTP code from
  pyotp; ``client.csrf`` is the session's CSRF token for posting (``client.post_form``
  adds it), ``client.account`` the account.

**Secure cookies over plain http.** The console's cookies are ``Secure`` (and
``__Host-``), and the session store listens on plain http on 127.0.0.1. Browsers treat
loopback as a secure context and send Secure cookies to it; Python's cookie jar does not.
The console clients here do what the browsers do for this loopback-only test store: a
request hook sends the jar's cookies as the jar would over https (Secure ones included,
with their paths and expiry). The cookies still come only from the server's real
``Set-Cookie`` headers, whose flags the security tests assert as sent.

**Client addresses.** The store counts failed sign-ins per client address; a test that
fails sign-ins on purpose sends its own (``console.client(new_address())``, as
``X-Forwarded-For``, which the store believes from loopback), so tests never share limits.

**TOTP secrets encrypted, as in production.** This module sets
``SCP_CONSOLE_SECRET_KEY_FILE`` (to a key file of its own) when it is imported, which is at
collection, before any store process starts: every store the tests start, and every
account the tests make in-process, encrypt their TOTP secrets with the same key.
(test_console_security.py also covers a store without the key.)
"""

from __future__ import annotations

import atexit
import os
import secrets
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_server.config import CONSOLE_SECRET_KEY_FILE_ENV
from tests.store_console.console_client import Account, Console, ConsoleClient
from tools.throwaway_store import StoreProcess


def _console_secret_key() -> None:
    """A key file for the console's TOTP secrets, named in the environment (see above)."""
    if os.environ.get(CONSOLE_SECRET_KEY_FILE_ENV):
        return
    folder = Path(tempfile.mkdtemp(prefix="scp-console-key-"))
    atexit.register(shutil.rmtree, folder, ignore_errors=True)
    key = folder / "console-secrets.key"
    key.write_text(secrets.token_hex(32))
    key.chmod(0o600)
    os.environ[CONSOLE_SECRET_KEY_FILE_ENV] = str(key)


_console_secret_key()


@pytest.fixture(scope="session")
def console(store: StoreProcess, store_sessions: sessionmaker[Session]) -> Console:
    """The session store's console."""
    return Console(store.base_url, store_sessions)


@pytest.fixture
def console_account(console: Console) -> Callable[..., Account]:
    """``console_account(role)``: a new console account of that role."""
    return console.make_account


@pytest.fixture
def signed_in(console: Console) -> Iterator[Callable[[str], ConsoleClient]]:
    """``signed_in(role)``: a client of a new account of that role, signed in."""
    clients: list[ConsoleClient] = []

    def make(role: str) -> ConsoleClient:
        client = console.signed_in_as(console.make_account(role))
        clients.append(client)
        return client

    yield make
    for client in clients:
        client.close()
