"""The console's test client and helpers (fixtures in conftest.py use them; tests import
them from here). See conftest.py on Secure cookies over plain http."""

from __future__ import annotations

import datetime as dt
import http.cookiejar
import ipaddress
import re
import secrets
import urllib.request
import uuid
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any, NamedTuple

import httpx
import pyotp
from sqlalchemy import Interval, literal, update
from sqlalchemy.orm import Session, sessionmaker

from sync_server.console import accounts
from sync_server.console.sessions import COOKIE
from sync_server.models import ConsoleAccount, ConsoleSignInFailure

CSRF_FIELD = re.compile(r'name="csrf_token" value="([^"]*)"')
PASSWORD = "lantern orchard sixty pebble"


class Account(NamedTuple):
    """A console account made for a test."""

    username: str
    password: str
    totp_secret: str


def _send_secure_cookies(jar: http.cookiejar.CookieJar, request: httpx.Request) -> None:
    """The Cookie header a browser sends to loopback: the jar's cookies for this URL as if
    it were https (Secure ones included), with paths and expiry as the jar applies them."""
    as_https = urllib.request.Request(str(request.url.copy_with(scheme="https")))
    jar.add_cookie_header(as_https)
    header = as_https.get_header("Cookie")
    if header:
        request.headers["Cookie"] = header
    elif "Cookie" in request.headers:
        del request.headers["Cookie"]


def new_address(*, ipv6: bool = False) -> str:
    """A client address of a test's own (a random one of 198.18.0.0/15, the range kept for
    benchmarking, or of 2001:db8::/32, IPv6's documentation range), sent as
    ``X-Forwarded-For``: the store believes it from 127.0.0.1 (its default
    ``--forwarded-allow-ips``), so each test's sign-in failures count apart."""
    if ipv6:
        return str(ipaddress.IPv6Address((0x20010DB8 << 96) | secrets.randbits(96)))
    return str(ipaddress.IPv4Address((198 << 24) | (18 << 16) | secrets.randbits(17)))


def csrf_of(html: str) -> str:
    """The CSRF token in a page's first form (the sign-out form when signed in)."""
    found = CSRF_FIELD.search(html)
    assert found is not None, "no csrf_token field on the page"
    return found.group(1)


def totp_code(secret: str, *, steps_ahead: int = 0) -> str:
    """The TOTP code of ``secret`` now (or ``steps_ahead`` 30-second steps later: the
    console takes the next step too, so a second sign-in within one step can use it)."""
    totp = pyotp.TOTP(secret)
    return totp.at(dt.datetime.now(dt.UTC) + dt.timedelta(seconds=30 * steps_ahead))


class ConsoleClient(httpx.Client):
    """An httpx client of the console (cookies as a browser on loopback keeps them)."""

    csrf: str = ""
    account: Account | None = None

    def post_form(self, path: str, data: Mapping[str, Any] | None = None,
                  **kwargs: Any) -> httpx.Response:
        """POST a form with this session's CSRF token added."""
        return self.post(path, data={"csrf_token": self.csrf, **(data or {})}, **kwargs)

    @property
    def session_cookie(self) -> str | None:
        """The session cookie's value as the client holds it."""
        for cookie in self.cookies.jar:
            if cookie.name == COOKIE:
                return cookie.value
        return None


@dataclass
class Console:
    """The session store's console."""

    base_url: str
    sessions: sessionmaker[Session]

    def url(self, path: str) -> str:
        """An absolute URL of ``path`` (``/console/...``)."""
        return f"{self.base_url}{path}"

    def client(self, address: str | None = None) -> ConsoleClient:
        """A new client, not signed in, that follows no redirects; from ``address`` (sent
        as ``X-Forwarded-For``) when given, else from 127.0.0.1."""
        headers = {"X-Forwarded-For": address} if address else {}
        client = ConsoleClient(base_url=self.base_url, timeout=30, headers=headers)
        client.event_hooks["request"].append(
            lambda request: _send_secure_cookies(client.cookies.jar, request))
        return client

    def sign_in_page(self, client: ConsoleClient) -> str:
        """GET the sign-in page; the form's CSRF token (its presign cookie is now held)."""
        page = client.get("/console/sign-in")
        assert page.status_code == 200, page.text
        return csrf_of(page.text)

    def sign_in(self, client: ConsoleClient, username: str, password: str, code: str,
                **extra: Any) -> httpx.Response:
        """Through the real form: GET it, POST username, password and code."""
        token = self.sign_in_page(client)
        data = {"csrf_token": token, "username": username, "password": password,
                "code": code, **extra}
        return client.post("/console/sign-in", data=data)

    def signed_in_as(self, account: Account, *, steps_ahead: int = 0) -> ConsoleClient:
        """A client signed in as ``account`` (its CSRF token in ``.csrf``)."""
        client = self.client()
        answer = self.sign_in(client, account.username, account.password,
                              totp_code(account.totp_secret, steps_ahead=steps_ahead))
        assert answer.status_code == 303, answer.text
        assert answer.headers["location"] == "/console/"
        home = client.get("/console/")
        assert home.status_code == 200, home.text
        client.csrf = csrf_of(home.text)
        client.account = account
        return client

    def make_account(self, role: str, *, password: str = PASSWORD,
                     display_name: str | None = None) -> Account:
        """A new console account in the store's database."""
        username = f"{role.split('_')[0]}-{uuid.uuid4().hex[:10]}"
        with self.sessions.begin() as db:
            account, secret = accounts.create_account(
                db, username, display_name or f"Test {role} {username[-4:]}", role, password)
            return Account(account.username, password, secret)

    def set_account(self, username: str, **values: Any) -> None:
        """Change an account's row behind the app (e.g. set ``deactivated_at``)."""
        with self.sessions.begin() as db:
            db.execute(update(ConsoleAccount).where(ConsoleAccount.username == username)
                       .values(**values))

    def time_passes(self, address: str, by: dt.timedelta) -> None:
        """As if ``by`` had passed for the sign-in limits of ``address``: its failures are
        moved that far into the past (locks and windows run out as they would)."""
        with self.sessions.begin() as db:
            db.execute(update(ConsoleSignInFailure)
                       .where(ConsoleSignInFailure.address == address)
                       .values(failed_at=ConsoleSignInFailure.failed_at
                               - literal(by, Interval())))

    def account_row(self, username: str) -> ConsoleAccount:
        """The account's row as the database holds it now."""
        with self.sessions() as db:
            return accounts.find_account(db, username)
