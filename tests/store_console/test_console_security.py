"""The console's security (issue 21), against the session's real uvicorn store and
PostgreSQL: sign-in with password and TOTP, the sign-in limits (a growing lock per username
and address, a limit per address, a store-wide ceiling, all before any Argon2 work),
sessions that end for good, CSRF, Sec-Fetch-Site and Origin checks on every POST route,
roles, TOTP secrets encrypted at rest, and the headers and cookie flags of every page.
conftest.py says how the test clients send Secure cookies over loopback http, their own
client addresses, and the TOTP secret key.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import io
import ipaddress
import os
import pwd
import re
import uuid
from collections.abc import Callable, Iterator
from http.cookies import SimpleCookie
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pyotp
import pytest
from fastapi.routing import APIRoute
from sqlalchemy import Interval, func, insert, literal, select, update
from sqlalchemy.exc import IntegrityError
from sqlalchemy.orm import Session, sessionmaker

from sync_server import admin_codes, cli, store_audit
from sync_server.config import (
    CONSOLE_SECRET_KEY_FILE_ENV,
    CONSOLE_SIGN_IN_PER_ADDRESS_ENV,
    CONSOLE_SIGN_IN_STORE_WIDE_ENV,
    Settings,
    normalise_database_url,
)
from sync_server.console import accounts, sessions
from sync_server.console import sign_in as signing
from sync_server.console.router import console_router
from sync_server.console.web import CSP, EXPIRED
from sync_server.database import make_engine, make_session_factory
from sync_server.models import (
    ConsoleSession,
    ConsoleSignInFailure,
    Device,
    EnrolmentCode,
    FrameworkRelease,
    StoreAuditEvent,
    StoreUser,
    Team,
    utc_now,
)
from sync_server.reports import REPORTS
from tests.store_console.console_client import (
    Account,
    Console,
    ConsoleClient,
    new_address,
    totp_code,
)
from tests.sync_server.store import EnrolFn
from tools.throwaway_store import PostgresCluster, StoreProcess

SignedIn = Callable[[str], ConsoleClient]
MakeAccount = Callable[..., Account]
HEADERS = {
    "content-security-policy": CSP,
    "x-content-type-options": "nosniff",
    "referrer-policy": "same-origin",
    "x-frame-options": "DENY",
    "strict-transport-security": "max-age=31536000",
}
ROLE_REFUSED = re.compile(r"Your role \((IT administrator|IPCB governance)\) cannot use this page")
LIMITS = Settings().sign_in_limits  # the session store runs with the defaults
WRONG = "not the password at all"
CSRF_VALUE = re.compile(r'name="csrf_token" value="[^"]*"')


def _set_cookie(response: httpx.Response, name: str) -> str:
    """The raw Set-Cookie header that sets ``name``."""
    for header in response.headers.get_list("set-cookie"):
        if header.startswith(f"{name}="):
            return header
    raise AssertionError(f"no Set-Cookie for {name}: {response.headers}")


def _attributes(header: str) -> dict[str, str]:
    """A Set-Cookie header's attributes, lower-cased names (flags map to "")."""
    parts = [p.strip() for p in header.split(";")[1:]]
    return {p.split("=", 1)[0].lower(): (p.split("=", 1)[1] if "=" in p else "") for p in parts}


def _console_events(sessions_: sessionmaker[Session], **where: Any) -> list[StoreAuditEvent]:
    with sessions_() as db:
        query = select(StoreAuditEvent).where(
            StoreAuditEvent.chain == store_audit.CONSOLE_CHAIN)
        for name, value in where.items():
            query = query.where(getattr(StoreAuditEvent, name) == value)
        return list(db.scalars(query.order_by(StoreAuditEvent.seq)))


def _about(sessions_: sessionmaker[Session], account_id: str) -> list[StoreAuditEvent]:
    """The console chain's events by the account, or about it (``detail.account_id``)."""
    e = StoreAuditEvent
    with sessions_() as db:
        return list(db.scalars(select(e).where(
            e.chain == store_audit.CONSOLE_CHAIN,
            (e.actor_id == account_id) | (e.detail["account_id"].as_string() == account_id))
            .order_by(e.seq)))


def _event_count(sessions_: sessionmaker[Session]) -> int:
    with sessions_() as db:
        return db.scalar(select(func.count()).select_from(StoreAuditEvent)) or 0


def _failures_from(sessions_: sessionmaker[Session], address: str) -> list[ConsoleSignInFailure]:
    with sessions_() as db:
        return list(db.scalars(select(ConsoleSignInFailure)
                               .where(ConsoleSignInFailure.address == address)
                               .order_by(ConsoleSignInFailure.failed_at)))


def _lock(console: Console, username: str, address: str) -> tuple[int, dt.datetime | None]:
    """(failures in a row, when the lock ends) of ``username`` from ``address``."""
    with console.sessions() as db:
        return signing.lock_of(db, username, address, utc_now())


def _live(client: ConsoleClient) -> bool:
    """Is the client's session still signed in (the home page, not a redirect)?"""
    answer = client.get("/console/")
    assert answer.status_code in (200, 303), answer.text
    return answer.status_code == 200


def _session_row(console: Console, client: ConsoleClient) -> ConsoleSession:
    token = client.session_cookie
    assert token is not None
    with console.sessions() as db:
        return db.get_one(ConsoleSession, sessions.digest(token))


def _minutes_left(answer: httpx.Response) -> int:
    found = re.search(r"try again in (\d+) minutes?", answer.text)
    assert found is not None, answer.text
    return int(found.group(1))


# ------------------------------------------------------------------ cookies and sign-in


def test_session_cookie_flags(console: Console, console_account: MakeAccount) -> None:
    username, password, secret = console_account("it_admin")
    client = console.client()
    page = client.get("/console/sign-in")
    presign = _attributes(_set_cookie(page, sessions.PRESIGN_COOKIE))
    assert {"secure", "httponly", "path", "samesite"} <= presign.keys()
    assert presign["path"] == "/" and presign["samesite"].lower() == "strict"
    assert "domain" not in presign

    answer = console.sign_in(client, username, password, totp_code(secret))
    assert answer.status_code == 303 and answer.headers["location"] == "/console/"
    header = _set_cookie(answer, sessions.COOKIE)
    assert header.startswith("__Host-")
    flags = _attributes(header)
    assert "secure" in flags and "httponly" in flags
    assert flags["samesite"].lower() == "strict" and flags["path"] == "/"
    assert "domain" not in flags  # what __Host- demands
    value = SimpleCookie(header)[sessions.COOKIE].value
    assert len(value) == 43  # 32 random bytes
    with console.sessions() as db:  # only its SHA-256 is kept
        assert db.get(ConsoleSession, sessions.digest(value)) is not None
        assert db.scalar(select(func.count()).select_from(ConsoleSession)
                         .where(ConsoleSession.token_hash == value)) == 0
    # Signed in: the pre-sign-in cookie is cleared.
    assert _attributes(_set_cookie(answer, sessions.PRESIGN_COOKIE))["max-age"] == "0"
    client.close()


def test_sign_in_is_audited_and_the_password_never_is(console: Console,
                                                      console_account: MakeAccount) -> None:
    """A failure reads as the sign-in form's doing, about the account (never as if its
    owner acted), with the client address; a made-up username is not recorded one by one
    (nor what was typed); the success is the account's own event."""
    username, password, secret = console_account("ipcb_governance")
    address = new_address()
    client = console.client(address)
    wrong = f"wrong-{uuid.uuid4().hex}"
    refused = console.sign_in(client, username, wrong, totp_code(secret))
    assert refused.status_code == 401
    assert "Username, password or code not right" in refused.text
    assert wrong not in refused.text and username in refused.text  # username kept, no secret
    typed_as_name = f"pw-{uuid.uuid4().hex}"
    before = _console_events(console.sessions)[-1].seq
    assert console.sign_in(client, typed_as_name, wrong, "123456").status_code == 401
    # The made-up username's failure made at most a summary, never an event of its own.
    made = [e.action for e in _console_events(console.sessions) if e.seq > before]
    assert made in ([], ["sign_in_failed_unknown"]), made
    assert len(_failures_from(console.sessions, address)) == 2
    assert console.sign_in(client, username, password, totp_code(secret)).status_code == 303
    assert _live(client)

    account = console.account_row(username)
    failed, signed_in = _about(console.sessions, account.id)
    assert (failed.action, failed.actor_kind, failed.actor_id, failed.actor_name) == (
        "sign_in_failed", "system", None, "console sign-in form")
    assert failed.detail == {"account_id": account.id, "username": username,
                             "address": address, "reason": "password", "failures": 1}
    assert (signed_in.action, signed_in.actor_kind, signed_in.actor_id) == (
        "sign_in", "console", account.id)
    assert signed_in.actor_name == username
    assert signed_in.detail == {"role": "ipcb_governance", "address": address}
    with console.sessions() as db:
        everything = " ".join(f"{e.actor_name} {e.detail}" for e in db.scalars(
            select(StoreAuditEvent).where(StoreAuditEvent.action.like("sign_in%"))))
    assert wrong not in everything and typed_as_name not in everything
    # The success forgot this address's failures on that username; the other one stays
    # (as a 16-bit tag of what was typed, never the text).
    (left,) = _failures_from(console.sessions, address)
    assert left.account_id is None and len(left.name_tag) == 4
    assert left.name_tag == accounts.name_tag(typed_as_name)
    client.close()


def test_sign_in_form_needs_its_own_csrf_token(console: Console,
                                               console_account: MakeAccount) -> None:
    username, password, secret = console_account("it_admin")
    client = console.client()
    data = {"username": username, "password": password, "code": totp_code(secret)}
    # No pre-sign-in cookie and token at all (a cross-site form post):
    refused = client.post("/console/sign-in", data=data)
    assert refused.status_code == 403 and EXPIRED in refused.text
    token = console.sign_in_page(client)
    refused = client.post("/console/sign-in", data={**data, "csrf_token": token[::-1]})
    assert refused.status_code == 403
    assert client.session_cookie is None
    assert console.account_row(username).totp_last_step is None  # the code was not spent
    assert console.sign_in(client, username, password, totp_code(secret)).status_code == 303
    client.close()


def test_new_session_at_each_sign_in(console: Console, console_account: MakeAccount) -> None:
    """No fixation: a cookie value planted before sign-in never becomes a session; a
    sign-in from a browser that still holds a session gets a new cookie and ends the old."""
    account = console_account("it_admin")
    planted = sessions.new_token()
    client = console.client()
    token = console.sign_in_page(client)
    client.cookies.set(sessions.COOKIE, planted, domain="127.0.0.1", path="/")
    answer = client.post("/console/sign-in", data={
        "csrf_token": token, "username": account.username, "password": account.password,
        "code": totp_code(account.totp_secret)})
    assert answer.status_code == 303
    first = client.session_cookie
    assert first not in (None, planted)
    with console.sessions() as db:
        assert db.get(ConsoleSession, sessions.digest(planted)) is None

    again = console.client()
    token = console.sign_in_page(again)
    again.cookies.set(sessions.COOKIE, first, domain="127.0.0.1", path="/")
    answer = again.post("/console/sign-in", data={
        "csrf_token": token, "username": account.username, "password": account.password,
        "code": totp_code(account.totp_secret, steps_ahead=1)})
    assert answer.status_code == 303
    assert again.session_cookie not in (None, first)
    with console.sessions() as db:
        assert db.get_one(ConsoleSession, sessions.digest(first)).ended_at is not None
    assert not _live(client) and _live(again)
    client.close()
    again.close()


def test_totp_code_is_never_taken_twice(console: Console, console_account: MakeAccount) -> None:
    username, password, secret = console_account("it_admin")
    code = totp_code(secret)
    client = console.client()
    assert console.sign_in(client, username, password, code).status_code == 303
    other = console.client(new_address())
    replayed = console.sign_in(other, username, password, code)
    assert replayed.status_code == 401
    assert "Username, password or code not right" in replayed.text
    assert other.session_cookie is None
    assert console.account_row(username).failed_sign_ins == 1
    # The next step's code is good (the console takes one step either side).
    assert console.sign_in(other, username, password,
                           totp_code(secret, steps_ahead=1)).status_code == 303
    client.close()
    other.close()


def test_wrong_code_and_unknown_user_say_the_same(console: Console,
                                                  console_account: MakeAccount) -> None:
    username, password, secret = console_account("it_admin")
    client = console.client(new_address())
    right = totp_code(secret)
    wrong_code = f"{(int(right) + 1) % 1_000_000:06d}"
    answers = [console.sign_in(client, username, password, wrong_code),
               console.sign_in(client, f"nobody-{uuid.uuid4().hex[:6]}", password, right),
               console.sign_in(client, username, "x" * 20, right),
               console.sign_in(client, f"nul\x00{username}", password, right)]
    for answer in answers:
        assert answer.status_code == 401
        assert re.search(r'<p class="error"[^>]*>Username, password or code not right</p>',
                         answer.text)
    client.close()


def test_argon2_runs_outside_any_transaction_and_for_unknown_names_too(
        store_sessions: sessionmaker[Session], pg: psycopg.Connection,
        monkeypatch: pytest.MonkeyPatch) -> None:
    """Argon2 (0.7 s, 64 MiB) runs with no transaction open, so sign-ins never hold a
    pooled connection or a row lock meanwhile (PostgreSQL's own pg_stat_activity is asked
    while the hasher runs); and an unknown username costs one verification too (of a dummy
    hash), as a deactivated account does (of its own), so timing tells nothing."""
    calls: list[tuple[str, int]] = []
    real = accounts.hasher()
    mine = f"shared-care-store/{os.getpid()}"

    class Spy:
        def verify(self, stored: str, password: str) -> bool:
            found = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE "
                               "application_name = %s AND xact_start IS NOT NULL",
                               (mine,)).fetchone()
            assert found is not None
            calls.append((stored, int(found[0])))
            return real.verify(stored, password)

        def __getattr__(self, name: str) -> Any:
            return getattr(real, name)

    with store_sessions.begin() as db:
        gone, _ = accounts.create_account(db, f"gone-{uuid.uuid4().hex[:8]}", "Gone", "it_admin",
                                          "a long enough password")
        gone.deactivated_at = utc_now()
        gone_name, gone_hash = gone.username, gone.password_hash
    monkeypatch.setattr(accounts, "hasher", lambda: Spy())
    for name, password in ((f"nobody-{uuid.uuid4().hex}", "whatever it is"),
                           (gone_name, "a long enough password")):
        outcome = signing.attempt(store_sessions, name, password, "000000", new_address(),
                                  LIMITS, None)
        assert (outcome.token, outcome.status, outcome.message) == (None, 401,
                                                                    signing.NOT_RIGHT)
    assert calls[0][0].startswith("$argon2id$") and calls[1][0] == gone_hash
    assert [open_ for _, open_ in calls] == [0, 0]  # no transaction open while hashing


def test_a_password_over_1024_characters_is_refused_unchecked(
        console: Console, console_account: MakeAccount) -> None:
    account = console_account("it_admin")
    address = new_address()
    client = console.client(address)
    answer = console.sign_in(client, account.username, "x" * 1025,
                             totp_code(account.totp_secret))
    assert answer.status_code == 400
    assert "A password is at most 1024 characters; nothing was checked" in answer.text
    assert "x" * 1025 not in answer.text and account.username in answer.text
    assert _failures_from(console.sessions, address) == []  # not even counted
    assert console.account_row(account.username).failed_sign_ins == 0
    client.close()


# ------------------------------------------------------------------- the sign-in limits


def test_twenty_wrong_passwords_lock_with_a_growing_delay(console: Console,
                                                          console_account: MakeAccount) -> None:
    """From the 5th wrong password in a row the username is locked from that address: 1
    minute, doubling with each further failure, up to an hour. Each wrong password is
    tried once the lock before it has run out (the test moves the failures back in time);
    during each lock even the right password and code are refused unlooked-at, which
    neither counts nor lengthens the lock."""
    username, password, secret = console_account("it_admin")
    address = new_address()
    client = console.client(address)
    locks: list[dt.timedelta] = []
    for attempt in range(1, 21):
        answer = console.sign_in(client, username, f"not the password {attempt}",
                                 totp_code(secret))
        assert answer.status_code == 401, (attempt, answer.text)  # looked at, and wrong
        assert console.account_row(username).failed_sign_ins == attempt
        in_a_row, until = _lock(console, username, address)
        assert in_a_row == attempt
        lock = signing.lock_for(attempt)
        if lock is None:
            assert until is None
            continue
        locks.append(lock)
        last = _failures_from(console.sessions, address)[-1].failed_at
        assert until == last + lock  # the lock runs its time from this failure

        during = console.sign_in(client, username, password, totp_code(secret))
        assert during.status_code == 429, (attempt, during.text)
        assert "Too many failed sign-ins; try again in" in during.text
        assert 0 < int(during.headers["Retry-After"]) <= lock.total_seconds()
        assert _minutes_left(during) == -(-int(lock.total_seconds()) // 60)
        assert client.session_cookie is None
        assert console.account_row(username).failed_sign_ins == attempt  # not counted
        assert _lock(console, username, address) == (attempt, until)  # not lengthened
        console.time_passes(address, lock)  # the lock runs out
    assert locks[0] == dt.timedelta(minutes=1)
    assert all(b >= a for a, b in zip(locks, locks[1:], strict=False))
    assert locks[1] == 2 * locks[0] and locks[2] == 2 * locks[1]  # it doubles ...
    assert locks[-1] == signing.LONGEST_LOCK  # ... up to an hour
    assert len(locks) == 20 - signing.LOCK_AFTER + 1

    events = _about(console.sessions, console.account_row(username).id)
    actions = [e.action for e in events]
    assert actions.count("sign_in_failed") == 20  # the refusals made no event
    assert actions.count("sign_in_locked") == len(locks)
    assert [e.detail["minutes"] for e in events if e.action == "sign_in_locked"] == [
        int(lock.total_seconds() // 60) for lock in locks]

    # Once the last lock has run out, the right password and code work; the count clears.
    assert console.sign_in(client, username, password, totp_code(secret)).status_code == 303
    assert _live(client)
    assert console.account_row(username).failed_sign_ins == 0
    assert _lock(console, username, address) == (0, None)
    client.close()


def test_a_lock_holds_only_from_the_network_that_earned_it(console: Console,
                                                          console_account: MakeAccount) -> None:
    """Guessing from one network cannot lock the owner out: the lock is per username and
    client address (an IPv6 address counted by its /64, one home or office network)."""
    account = console_account("ipcb_governance")
    guessing_from = new_address(ipv6=True)
    guesser = console.client(guessing_from)
    for _ in range(signing.LOCK_AFTER):
        assert console.sign_in(guesser, account.username, WRONG, "000000").status_code == 401
    code = totp_code(account.totp_secret)
    assert console.sign_in(guesser, account.username, account.password, code).status_code == 429
    neighbour = console.client(str(ipaddress.IPv6Address(int(ipaddress.IPv6Address(
        guessing_from)) ^ 0xFFFF)))  # another host in the same /64
    locked = console.sign_in(neighbour, account.username, account.password, code)
    assert locked.status_code == 429 and neighbour.session_cookie is None
    owner = console.client(new_address())
    assert console.sign_in(owner, account.username, account.password, code).status_code == 303
    assert _live(owner)
    for client in (guesser, neighbour, owner):
        client.close()


def test_a_made_up_username_locks_exactly_as_a_real_one(console: Console,
                                                       console_account: MakeAccount) -> None:
    """Locks are keyed by the username typed, so whether a name is an account's cannot be
    learnt from when it locks."""
    real = console_account("it_admin").username
    made_up = f"nobody-{uuid.uuid4().hex[:8]}"
    seen = {}
    for name in (real, made_up):
        client = console.client(new_address())
        answers = [console.sign_in(client, name, WRONG, "000000")
                   for _ in range(signing.LOCK_AFTER + 1)]
        seen[name] = [(a.status_code, CSRF_VALUE.sub("", a.text.replace(name, "NAME")))
                      for a in answers]  # the same pages but for the name and token
        client.close()
    assert [status for status, _ in seen[real]] == [401] * signing.LOCK_AFTER + [429]
    assert seen[real] == seen[made_up]


def test_one_address_trying_many_usernames_is_stopped(console: Console,
                                                      console_account: MakeAccount) -> None:
    """``per_address`` failures from one address within the window (whatever usernames,
    made up or not) stop that address, before any password is looked at, until the
    oldest leaves the window; other addresses go on."""
    account = console_account("it_admin")
    address = new_address()
    client = console.client(address)
    for n in range(LIMITS.per_address):
        name = f"spray-{n}-{uuid.uuid4().hex[:6]}"
        assert console.sign_in(client, name, WRONG, "000000").status_code == 401, n
    before = _event_count(console.sessions)
    stopped = console.sign_in(client, account.username, account.password,
                              totp_code(account.totp_secret))
    assert stopped.status_code == 429
    assert "Too many failed sign-ins from your network; try again in" in stopped.text
    assert 0 < int(stopped.headers["Retry-After"]) <= LIMITS.window_minutes * 60
    assert account.username in stopped.text and client.session_cookie is None
    assert _event_count(console.sessions) == before  # a refusal is not recorded ...
    assert len(_failures_from(console.sessions, address)) == LIMITS.per_address  # ... or counted
    reached = [e for e in _console_events(console.sessions, action="sign_in_limit_reached")
               if e.detail["address"] == address]
    assert [e.detail["scope"] for e in reached] == ["address"]

    elsewhere = console.client(new_address())
    assert console.sign_in(elsewhere, account.username, account.password,
                           totp_code(account.totp_secret)).status_code == 303
    console.time_passes(address, dt.timedelta(minutes=LIMITS.window_minutes))
    assert console.sign_in(client, account.username, account.password,
                           totp_code(account.totp_secret, steps_ahead=1)).status_code == 303
    client.close()
    elsewhere.close()


@pytest.fixture
def own_store(postgres: PostgresCluster, tmp_path: Path) -> Iterator[Console]:
    """A store of the test's own, on a database of its own, whose store-wide ceiling is 12
    failed sign-ins (the session store's tests must not reach its ceiling)."""
    name = postgres.new_database("signin")
    server = StoreProcess(postgres.database_url(name), tmp_path / "store.log", env={
        CONSOLE_SIGN_IN_STORE_WIDE_ENV: "12", CONSOLE_SIGN_IN_PER_ADDRESS_ENV: "100"}).start()
    engine = make_engine(normalise_database_url(postgres.database_url(name)))
    try:
        yield Console(server.base_url, make_session_factory(engine))
    finally:
        server.stop()
        engine.dispose()
        postgres.drop_database(name)


def test_the_store_wide_ceiling_stops_guessing_from_many_addresses(own_store: Console) -> None:
    """Failures spread over many addresses reach the store-wide ceiling: every sign-in is
    then refused (429, before any password is looked at) until the window passes. Failures
    on made-up usernames are summarised (at the 1st, 10th, 100th ... of a window), never
    recorded one by one."""
    console = own_store
    account = console.make_account("it_admin")
    for n in range(11):
        client = console.client(new_address())
        assert console.sign_in(client, f"nobody-{n}-{uuid.uuid4().hex[:6]}", WRONG,
                               "000000").status_code == 401
        client.close()
    summaries = _console_events(console.sessions, action="sign_in_failed_unknown")
    assert 1 <= len(summaries) <= 3  # not one event per failure
    if len({s.detail["since"] for s in summaries}) == 1:  # the clock's window did not turn
        assert [(s.detail["failures"], s.detail["addresses"]) for s in summaries] == [
            (1, 1), (10, 10)]
    assert _console_events(console.sessions, action="sign_in_failed") == []

    twelfth = console.client(new_address())
    assert console.sign_in(twelfth, account.username, WRONG, "000000").status_code == 401
    (reached,) = _console_events(console.sessions, action="sign_in_limit_reached")
    assert reached.detail["scope"] == "store" and reached.detail["failures"] == 12

    newcomer = console.client(new_address())
    refused = console.sign_in(newcomer, account.username, account.password,
                              totp_code(account.totp_secret))
    assert refused.status_code == 429 and newcomer.session_cookie is None
    assert "Too many failed sign-ins on the console lately" in refused.text
    assert 0 < int(refused.headers["Retry-After"]) <= 15 * 60
    with console.sessions.begin() as db:  # the window passes, for everyone
        db.execute(update(ConsoleSignInFailure).values(
            failed_at=ConsoleSignInFailure.failed_at - literal(dt.timedelta(minutes=15),
                                                               Interval())))
    assert console.sign_in(newcomer, account.username, account.password,
                           totp_code(account.totp_secret)).status_code == 303
    twelfth.close()
    newcomer.close()


def test_the_argon2_gate_turns_away_a_queue_too_long() -> None:
    """At most ``at_once`` verifications run and ``queue`` wait; one more is told "busy" at
    once, and a slot freed lets the waiting one in."""

    async def scenario() -> None:
        gate = signing.Gate(at_once=1, queue=1)
        holding, release = asyncio.Event(), asyncio.Event()
        order: list[str] = []

        async def use(name: str) -> None:
            async with gate.enter():
                order.append(name)
                holding.set()
                await release.wait()

        first = asyncio.create_task(use("first"))
        await holding.wait()
        second = asyncio.create_task(use("second"))
        while gate.waiting == 0:  # let the second queue (each turn runs it a step)
            await asyncio.sleep(0)
        with pytest.raises(signing.Busy):
            async with gate.enter():
                pass
        release.set()
        await asyncio.gather(first, second)
        assert order == ["first", "second"] and gate.waiting == 0

    asyncio.run(scenario())


# --------------------------------------------------------- deactivated accounts, sessions


def test_deactivated_account_stops_at_once(console: Console, console_account: MakeAccount,
                                           postgres: PostgresCluster,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    account = console_account("ipcb_governance")
    client = console.signed_in_as(account)
    assert _live(client)
    assert cli.main(["--database-url", postgres.store_url, "deactivate-console-account",
                     account.username]) == 0
    assert "deactivated console account" in capsys.readouterr().out
    assert not _live(client)  # the open session stops working
    again = console.client(new_address())
    answer = console.sign_in(again, account.username, account.password,
                             totp_code(account.totp_secret, steps_ahead=1))
    assert answer.status_code == 401 and again.session_cookie is None
    client.close()
    again.close()


def test_a_session_stops_when_its_account_is_deactivated_by_any_means(
        console: Console, signed_in: SignedIn) -> None:
    """The session's own check (not only the command line's ending of sessions): an
    account marked deactivated in the database stops its open session at the next
    request, and that session is ended for good."""
    client = signed_in("it_admin")
    assert client.account is not None
    row = _session_row(console, client)
    console.set_account(client.account.username, deactivated_at=utc_now())
    answer = client.get("/console/")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    with console.sessions() as db:
        assert db.get_one(ConsoleSession, row.token_hash).ended_at is not None
    console.set_account(client.account.username, deactivated_at=None)
    assert not _live(client)  # ended for good, even once reactivated


def test_cookie_replayed_after_sign_out_is_refused(console: Console,
                                                   signed_in: SignedIn) -> None:
    client = signed_in("it_admin")
    cookie = client.session_cookie
    assert cookie is not None and _live(client)
    out = client.post_form("/console/sign-out")
    assert out.status_code == 303
    assert out.headers["location"] == "/console/sign-in?ended=signed-out"
    assert _attributes(_set_cookie(out, sessions.COOKIE))["max-age"] == "0"
    assert client.session_cookie is None

    replay = console.client()
    replay.cookies.set(sessions.COOKIE, cookie, domain="127.0.0.1", path="/")
    for path in ("/console/", "/console/audit"):
        answer = replay.get(path)
        assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    refused = replay.post("/console/audit/verify", data={"csrf_token": client.csrf})
    assert refused.status_code == 303 and refused.headers["location"] == "/console/sign-in"
    with console.sessions() as db:
        assert db.get_one(ConsoleSession, sessions.digest(cookie)).ended_at is not None
    account = client.account
    assert account is not None
    assert _console_events(console.sessions, actor_name=account.username)[-1].action == (
        "sign_out")
    replay.close()


def test_idle_session_ends(console: Console, signed_in: SignedIn) -> None:
    client = signed_in("ipcb_governance")
    row = _session_row(console, client)
    idle = dt.timedelta(minutes=Settings().console_idle_minutes)
    with console.sessions.begin() as db:
        db.get_one(ConsoleSession, row.token_hash).last_seen_at = (
            utc_now() - idle - dt.timedelta(seconds=5))
    answer = client.get("/console/")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/sign-in"
    assert _session_row(console, client).ended_at is not None
    # Ended for good: it does not come back if the clock is moved on again.
    with console.sessions.begin() as db:
        db.get_one(ConsoleSession, row.token_hash).last_seen_at = utc_now()
    assert not _live(client)


def test_session_ends_after_eight_hours_whatever_happens(console: Console,
                                                         signed_in: SignedIn) -> None:
    client = signed_in("it_admin")
    row = _session_row(console, client)
    with console.sessions.begin() as db:
        db.get_one(ConsoleSession, row.token_hash).created_at = (
            utc_now() - sessions.ABSOLUTE - dt.timedelta(seconds=5))
    assert _live(client) is False


def test_session_activity_keeps_it_alive(console: Console, signed_in: SignedIn) -> None:
    client = signed_in("it_admin")
    row = _session_row(console, client)
    idle = dt.timedelta(minutes=Settings().console_idle_minutes)
    with console.sessions.begin() as db:
        db.get_one(ConsoleSession, row.token_hash).last_seen_at = (
            utc_now() - idle + dt.timedelta(minutes=1))
    assert _live(client)
    assert _session_row(console, client).last_seen_at > utc_now() - dt.timedelta(minutes=1)


# ------------------------------------------------------- CSRF, Sec-Fetch-Site and Origin


def _verifications(console: Console) -> int:
    return len(_console_events(console.sessions, action="store_audit_verified"))


def _routes(method: str) -> list[str]:
    """Every route of the console's router that answers ``method`` (path templates)."""
    router = console_router(Settings(database_url="sqlite://"), sessionmaker())
    return sorted({route.path for route in router.routes
                   if isinstance(route, APIRoute) and method in route.methods})


def _fill(template: str, ids: dict[str, str]) -> str:
    """A route's path with real ids for its parameters (a parameter without one fails)."""
    def one(match: re.Match[str]) -> str:
        name = match.group(1)
        if name == "name":  # a stylesheet, or a report
            return "console.css" if template.startswith("/console/static/") else REPORTS[0].name
        assert name in ids, f"no real id for {{{name}}} in {template}: add one to the test"
        return ids[name]

    return re.sub(r"\{(\w+)(?::path)?\}", one, template)


@pytest.fixture
def real_ids(team: str, enrol: EnrolFn, store_sessions: sessionmaker[Session]
             ) -> dict[str, str]:
    """Real ids for every path parameter of the console's routes."""
    laptop = enrol(team)
    with store_sessions.begin() as db:
        user_id = db.get_one(Device, laptop.device_id).user_id
        issued = admin_codes.issue_code(db, user_id)
    return {"user_id": user_id, "device_id": laptop.device_id, "code_id": issued.id,
            "rest": "no-such-page"}


def _store_counts(sessions_: sessionmaker[Session]) -> tuple[int, ...]:
    with sessions_() as db:
        return tuple(db.scalar(select(func.count()).select_from(model)) or 0 for model in (
            StoreAuditEvent, Team, StoreUser, EnrolmentCode, FrameworkRelease, ConsoleSession))


def test_every_post_route_needs_the_csrf_token(console: Console, signed_in: SignedIn,
                                               real_ids: dict[str, str]) -> None:
    """Every POST route of the console (found from its router, with real ids in the path)
    is refused without the session's CSRF token, or with a wrong one, before its handler
    or its role check runs: 403 "This form has expired", and nothing changed (no audit
    event, no row anywhere, the device not revoked, the user not deactivated, the code
    not withdrawn, nobody signed out)."""
    routes = [r for r in _routes("POST") if r != "/console/sign-in"]
    assert {"/console/sign-out", "/console/audit/verify", "/console/framework/publish",
            "/console/teams", "/console/users", "/console/enrolment-codes",
            "/console/devices/{device_id}/revoke"} <= set(routes)
    it, ipcb, someone = (signed_in("it_admin"), signed_in("ipcb_governance"),
                         signed_in("it_admin"))
    before = _store_counts(console.sessions)
    for template in routes:
        path = _fill(template, real_ids)
        for client in (it, ipcb):
            for data in ({}, {"csrf_token": ""}, {"csrf_token": "x" * 43},
                         {"csrf_token": client.csrf[:-1]}, {"csrf_token": someone.csrf},
                         {"name": "Nowhere INT", "csrf_token": client.csrf.upper()}):
                answer = client.post(path, data=data)
                assert answer.status_code == 403, (template, data, answer.status_code)
                assert EXPIRED in answer.text, (template, data)
    assert _store_counts(console.sessions) == before
    with console.sessions() as db:
        assert db.get_one(Device, real_ids["device_id"]).revoked_at is None
        assert db.get_one(StoreUser, real_ids["user_id"]).deactivated_at is None
        assert db.get_one(EnrolmentCode, real_ids["code_id"]).withdrawn_at is None
    assert _live(it) and _live(ipcb)
    # With the right token the same routes are reached (here, the audit's verify button).
    assert it.post_form("/console/audit/verify").status_code == 303


def test_a_post_the_browser_says_came_from_elsewhere_is_refused(console: Console,
                                                               signed_in: SignedIn) -> None:
    """Sec-Fetch-Site: only the console's own pages (``same-origin``) or the person's own
    doing (``none``) may post; a sibling subdomain (``same-site``) or another site may not,
    token or no token. The sign-in form too."""
    client = signed_in("it_admin")
    before = _verifications(console)
    for site in ("cross-site", "same-site", "Cross-Site"):
        answer = client.post_form("/console/audit/verify", headers={"Sec-Fetch-Site": site})
        assert answer.status_code == 403 and EXPIRED in answer.text, site
    assert _verifications(console) == before
    for site in ("same-origin", "none"):
        assert client.post_form("/console/audit/verify",
                                headers={"Sec-Fetch-Site": site}).status_code == 303, site
    assert _verifications(console) == before + 2
    account = client.account
    assert account is not None
    other = console.client()
    token = console.sign_in_page(other)
    answer = other.post("/console/sign-in", headers={"Sec-Fetch-Site": "cross-site"},
                        data={"csrf_token": token, "username": account.username,
                              "password": account.password,
                              "code": totp_code(account.totp_secret, steps_ahead=1)})
    assert answer.status_code == 403 and other.session_cookie is None
    other.close()


def test_post_from_another_origin_is_refused(console: Console, signed_in: SignedIn) -> None:
    """Under Referrer-Policy: same-origin a browser's own-origin form says its origin, and a
    page elsewhere (or a sandboxed frame, a data: URL) says ``null``: both refused."""
    client = signed_in("it_admin")
    before = _verifications(console)
    for origin in ("https://evil.example", f"{console.base_url}.evil.example",
                   console.base_url.replace("http://", "https://"), "null", "NULL"):
        answer = client.post_form("/console/audit/verify", headers={"Origin": origin})
        assert answer.status_code == 403 and EXPIRED in answer.text, origin
    assert _verifications(console) == before
    account = client.account
    assert account is not None
    sign_in = console.client()
    for origin in ("https://evil.example", "null"):
        token = console.sign_in_page(sign_in)
        answer = sign_in.post("/console/sign-in", headers={"Origin": origin},
                              data={"csrf_token": token, "username": account.username,
                                    "password": account.password,
                                    "code": totp_code(account.totp_secret, steps_ahead=1)})
        assert answer.status_code == 403 and sign_in.session_cookie is None, origin
    # The console's own origin is fine (the token still counts).
    assert client.post_form("/console/audit/verify",
                            headers={"Origin": console.base_url}).status_code == 303
    refused = client.post("/console/audit/verify", headers={"Origin": console.base_url},
                          data={})
    assert refused.status_code == 403
    sign_in.close()


# ---------------------------------------------------------------------------- roles


def test_it_admin_cannot_publish_a_flow(console: Console, signed_in: SignedIn) -> None:
    """The framework is the IPCB's: an IT administrator's publish is refused (with its form's
    token right, by its role) and nothing is published. (The URL is helper C's publish form: a
    missing route answers 404 here and fails this test.)"""
    client = signed_in("it_admin")
    with console.sessions() as db:
        releases = db.scalar(select(func.count()).select_from(FrameworkRelease))
    flow = b'{"version": "9.9.9", "nodes": []}'
    answer = client.post("/console/framework/publish",
                         data={"csrf_token": client.csrf, "kind": "flow", "note": "test"},
                         files={"file": ("flow.json", flow, "application/json")})
    assert answer.status_code == 403, answer.text
    assert ROLE_REFUSED.search(answer.text)
    with console.sessions() as db:
        assert db.scalar(select(func.count()).select_from(FrameworkRelease)) == releases


def test_ipcb_governance_cannot_revoke_a_device(console: Console, signed_in: SignedIn,
                                                team: str, enrol: EnrolFn) -> None:
    """Devices are IT's: the IPCB's revoke is refused and the laptop still syncs. (The URL is
    helper B's revoke form: a missing route answers 404 here and fails this test.)"""
    laptop = enrol(team)
    client = signed_in("ipcb_governance")
    answer = client.post_form(f"/console/devices/{laptop.device_id}/revoke")
    assert answer.status_code == 403, answer.text
    assert ROLE_REFUSED.search(answer.text)
    with console.sessions() as db:
        assert db.get_one(Device, laptop.device_id).revoked_at is None
    laptop.pull_all()  # still syncs (fails on anything but 200)


def test_wrong_role_pages_are_refused(signed_in: SignedIn) -> None:
    it, ipcb = signed_in("it_admin"), signed_in("ipcb_governance")
    for client, path in ((ipcb, "/console/devices"), (ipcb, "/console/teams"),
                         (it, "/console/framework"), (it, "/console/reports")):
        answer = client.get(path)
        assert answer.status_code == 403, (path, answer.status_code)
        assert ROLE_REFUSED.search(answer.text)
        assert "cannot use this page" in answer.text
    for client in (it, ipcb):
        assert client.get("/console/audit").status_code == 200  # both roles


# ---------------------------------------------------------------- headers everywhere


def _check_headers(answer: httpx.Response, where: str) -> None:
    for name, value in HEADERS.items():
        assert answer.headers.get(name) == value, (where, name, answer.headers.get(name))
    if answer.headers.get("content-type", "").startswith("text/html"):
        assert answer.headers.get("cache-control") == "no-store", where
        assert "<script" not in answer.text.lower(), where
        assert " style=" not in answer.text.lower(), where  # the CSP forbids inline styles
    else:
        assert answer.headers.get("cache-control"), where


def test_every_page_has_the_security_headers(console: Console, signed_in: SignedIn,
                                             real_ids: dict[str, str]) -> None:
    """Every GET route (from the router), with real ids in its path, for each role and
    signed out: the headers, and no page missing (404) but the one asked to be."""
    paths = [_fill(template, real_ids) for template in _routes("GET")]
    assert "/console/sign-in" in paths and "/console/audit" in paths
    anonymous = console.client()
    clients = {"anonymous": anonymous, "it_admin": signed_in("it_admin"),
               "ipcb_governance": signed_in("ipcb_governance")}
    seen: dict[str, set[int]] = {}
    for who, client in clients.items():
        for path in [*paths, "/console", "/console/static/nope.css"]:
            answer = client.get(path)
            assert answer.status_code < 500, (who, path, answer.status_code)
            _check_headers(answer, f"{who} GET {path} ({answer.status_code})")
            if who != "anonymous" and path not in ("/console/no-such-page",
                                                   "/console/static/nope.css"):
                assert answer.status_code != 404, (who, path)
            seen.setdefault(who, set()).add(answer.status_code)
    assert 200 in seen["it_admin"] and 403 in seen["it_admin"] and 200 in seen["ipcb_governance"]
    # The errors too: a form refused, a role refused, a body too large.
    it_admin = clients["it_admin"]
    _check_headers(it_admin.post("/console/audit/verify", data={}), "CSRF refused")
    _check_headers(it_admin.get("/console/framework"), "role refused")
    big = it_admin.post("/console/audit/verify", content=b"x" * 100_000,
                        headers={"Content-Type": "application/x-www-form-urlencoded"})
    assert big.status_code == 413
    _check_headers(big, "413")
    anonymous.close()


def test_static_css_is_served_and_nothing_else(console: Console) -> None:
    client = console.client()
    css = client.get("/console/static/console.css")
    assert css.status_code == 200 and css.headers["content-type"].startswith("text/css")
    assert "#005eb8" in css.text.lower() and ":focus-visible" in css.text
    for path in ("/console/static/..%2Fweb.py", "/console/static/web.py",
                 "/console/static/.hidden.css"):
        assert client.get(path).status_code == 404, path
    client.close()


# ---------------------------------------------------------- TOTP secrets at rest


def test_totp_secrets_are_encrypted_at_rest(console: Console,
                                            console_account: MakeAccount) -> None:
    """With the key file (as conftest.py sets it, for every store the tests start) a
    secret is stored AES-GCM encrypted, never as its base32 text; bound to its account, so
    copied into another account's row it does not decrypt, and that sign-in stops with a
    plain message (the code is never compared)."""
    first, second = console_account("it_admin"), console_account("it_admin")
    row = console.account_row(first.username)
    assert accounts.is_encrypted(row.totp_secret)
    assert first.totp_secret not in row.totp_secret
    client = console.signed_in_as(first)  # the store reads it with the same key
    console.set_account(second.username, totp_secret=row.totp_secret)
    other = console.client(new_address())
    answer = console.sign_in(other, second.username, second.password,
                             totp_code(first.totp_secret, steps_ahead=1))
    assert answer.status_code == 503 and other.session_cookie is None
    assert "cannot read its sign-in secrets" in answer.text
    client.close()
    other.close()


def _cli(capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch, url: str,
         *args: str, stdin: str = "") -> tuple[int, str, str]:
    monkeypatch.setattr("sys.stdin", io.StringIO(stdin))
    code = cli.main(["--database-url", url, *args])
    out = capsys.readouterr()
    return code, out.out, out.err


def test_without_the_key_secrets_are_plain_and_the_command_line_says_so(
        console: Console, postgres: PostgresCluster, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """An account made by a process without the key file keeps its secret in plain text,
    and verify-store-audit says so; the store (which has the key) encrypts it at the next
    sign-in, and encrypt-console-secrets encrypts every one left at once."""
    key_file = os.environ[CONSOLE_SECRET_KEY_FILE_ENV]
    monkeypatch.delenv(CONSOLE_SECRET_KEY_FILE_ENV)
    plain, later = console.make_account("it_admin"), console.make_account("ipcb_governance")
    assert console.account_row(plain.username).totp_secret == plain.totp_secret
    code, out, _ = _cli(capsys, monkeypatch, postgres.store_url, "verify-store-audit",
                        "--chain", "console")
    assert code == 0
    said = re.search(r"console TOTP secrets: (\d+) stored in PLAIN TEXT; (\d+) are encrypted, "
                     r"and this process has no key to read them; set "
                     r"SCP_CONSOLE_SECRET_KEY_FILE", out)
    assert said is not None, out
    assert int(said.group(1)) >= 2

    monkeypatch.setenv(CONSOLE_SECRET_KEY_FILE_ENV, key_file)
    client = console.signed_in_as(plain)
    assert accounts.is_encrypted(console.account_row(plain.username).totp_secret)
    code, out, _ = _cli(capsys, monkeypatch, postgres.store_url, "encrypt-console-secrets")
    assert code == 0 and re.search(r"encrypted [1-9]\d* console TOTP secrets?", out), out
    assert "console TOTP secrets: all" in out and "encrypted" in out
    assert accounts.is_encrypted(console.account_row(later.username).totp_secret)
    console.signed_in_as(later).close()
    event = _console_events(console.sessions, action="console_secrets_encrypted")[-1]
    assert event.actor_kind == "cli" and event.detail["accounts"] >= 1
    client.close()


# ----------------------------------------------------------------- the command line


def test_first_account_from_the_command_line_signs_in(
        console: Console, postgres: PostgresCluster, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    username = f"robin-{uuid.uuid4().hex[:8]}"
    url = postgres.store_url
    create = ("create-console-account", "--role", "it_admin", "--name", "Robin Example",
              "--password-stdin", username)
    code, _, err = _cli(capsys, monkeypatch, url, *create, stdin="short\n")
    assert code == 1 and "at least 12 characters" in err
    code, _, err = _cli(capsys, monkeypatch, url, *create, stdin=f"{username}\n")
    assert code == 1 and "cannot be the username" in err
    code, _, err = _cli(capsys, monkeypatch, url, *create, stdin="Password 1234\n")
    assert code == 1 and "one of the commonest" in err
    password = "a sensible long passphrase"
    code, out, _ = _cli(capsys, monkeypatch, url, *create, stdin=f"{password}\n")
    assert code == 0, out
    secret = re.search(r"TOTP secret \(shown once\): ([A-Z2-7]+)", out)
    uri = re.search(r"otpauth URI: (otpauth://\S+)", out)
    assert secret is not None and uri is not None
    assert pyotp.parse_uri(uri.group(1)).secret == secret.group(1)
    assert "clear the screen" in out
    assert password not in out
    created = _console_events(console.sessions, action="console_account_created")[-1]
    assert created.actor_kind == "cli" and created.detail["username"] == username
    assert secret.group(1) not in console.account_row(username).totp_secret  # encrypted

    client = console.client()
    answer = console.sign_in(client, username, password, pyotp.TOTP(secret.group(1)).now())
    assert answer.status_code == 303 and _live(client)

    # Locked out from somewhere, and then a reset (a lost phone): a new secret, the locks
    # cleared, sessions ended.
    address = new_address()
    locked = console.client(address)
    for _ in range(signing.LOCK_AFTER):
        console.sign_in(locked, username, WRONG, "000000")
    assert _lock(console, username, address)[1] is not None
    code, out, _ = _cli(capsys, monkeypatch, url, "reset-console-account", "--totp", username)
    assert code == 0 and "lockout cleared" in out
    new_secret = re.search(r"TOTP secret \(shown once\): ([A-Z2-7]+)", out)
    assert new_secret is not None and new_secret.group(1) != secret.group(1)
    assert not _live(client)
    assert console.account_row(username).failed_sign_ins == 0
    assert _lock(console, username, address) == (0, None)
    assert console.sign_in(locked, username, password,
                           pyotp.TOTP(new_secret.group(1)).now()).status_code == 303
    locked.close()
    client.close()


def test_admin_commands_are_audited_as_the_command_line(
        console: Console, postgres: PostgresCluster, capsys: pytest.CaptureFixture[str],
        monkeypatch: pytest.MonkeyPatch) -> None:
    """The actor is the operating system account the command runs as: its user id, and
    its name from the user database (not $USER, which anyone can set)."""
    monkeypatch.setenv("USER", "someone-else")
    monkeypatch.setenv("LOGNAME", "someone-else")
    monkeypatch.delenv("SUDO_USER", raising=False)
    name = f"CLI INT {uuid.uuid4().hex[:6]}"
    code, out, _ = _cli(capsys, monkeypatch, postgres.store_url, "create-team", name)
    assert code == 0
    event = _console_events(console.sessions, action="team_created")[-1]
    assert event.actor_kind == "cli" and event.detail == {"name": name}
    assert event.actor_id == f"uid:{os.getuid()}"
    assert event.actor_name == pwd.getpwuid(os.getuid()).pw_name
    # A command that failed changed nothing and recorded nothing.
    code, _, _ = _cli(capsys, monkeypatch, postgres.store_url, "create-team", name)
    assert code == 1
    assert _console_events(console.sessions, action="team_created")[-1].seq == event.seq


def test_database_errors_never_show_their_parameters(postgres: PostgresCluster) -> None:
    """An error is logged (the console's 500, a CLI failure): its text names the statement,
    never the values bound to it, which may be names, tokens or a password's hash."""
    secret = f"secret-{uuid.uuid4().hex}"
    engine = make_engine(normalise_database_url(postgres.store_url))
    try:
        with pytest.raises(IntegrityError) as failed, engine.begin() as conn:
            conn.execute(insert(ConsoleSession).values(  # no such account: refused
                token_hash=secret, account_id=str(uuid.uuid4()), csrf_token=secret,
                created_at=utc_now(), last_seen_at=utc_now()))
    finally:
        engine.dispose()
    assert "INSERT INTO console_session" in str(failed.value)
    assert secret not in str(failed.value) and "hidden" in str(failed.value)


def test_password_rules() -> None:
    with pytest.raises(accounts.AccountError, match="at least 12 characters"):
        accounts.check_password("robin", "elevenchars")
    with pytest.raises(accounts.AccountError, match="cannot be the username"):
        accounts.check_password("robin.example", "Robin.Example")
    with pytest.raises(accounts.AccountError, match="at most 1024 characters"):
        accounts.check_password("robin", "x" * 1025)
    for common in ("password1234", "Password 1234!", "correct horse battery staple",
                   "qwertyuiop123", "zzzzzzzzzzzzzz", "1q2w3e4r5t6y"):
        with pytest.raises(accounts.AccountError, match="one of the commonest"):
            accounts.check_password("robin", common)
    accounts.check_password("robin", "twelve chars")
    accounts.check_password("robin", "lantern orchard sixty pebble")
