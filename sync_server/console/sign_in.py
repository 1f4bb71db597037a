"""Signing in to the console (issue 21), and the limits that keep both guessing and the load
guessing makes away from the store.

**One sign-in** (``POST /console/sign-in``, router.py):

1. Without the database: the form's own CSRF token, ``Sec-Fetch-Site`` and ``Origin``
   (web.py), and a password over 1,024 characters is refused as such.
2. ``wait_for`` in one short transaction: if this username is locked from this address,
   or this address or the whole store is over its limit, the answer is **429** with
   ``Retry-After`` and a plain message, before any Argon2 work; the refusal is not counted
   and not audited, so retrying early changes nothing.
3. ``Gate``: at most ``ARGON2_AT_ONCE`` (2) Argon2 verifications run at once in a store
   process (each takes ~0.7 s and 64 MiB), with at most ``QUEUE`` more waiting, without a
   thread or a database connection; beyond that the answer is 503 "busy" with
   ``Retry-After``. A flood of sign-ins therefore costs at most 128 MiB and two threads,
   and never holds a pooled connection, so laptops' pushes and pulls are not starved.
4. Inside the gate (``attempt``): the limits again and the account read, in a short
   transaction; Argon2 with **no transaction open** (an unknown username is verified
   against a dummy hash, so it costs the same); then one short transaction that locks the
   account's row, checks the TOTP code, and counts the failure or starts the session.

**The limits** (failures counted in the database, ``console_sign_in_failure``, so every
store process behind a load balancer counts the same ones; the client address is
``auth.client_address``: uvicorn's, which believes ``X-Forwarded-For`` only from the
proxies in ``--forwarded-allow-ips``, with IPv6 counted by its /64):

- **Username from one address**: from the ``LOCK_AFTER``-th (5th) failure in a row on one
  username from one address, that username is locked *from that address* for 1 minute,
  doubling with each further failure up to an hour (``lock_for``). An attempt during the
  lock is refused before it is looked at, so it neither counts nor lengthens the lock.
  "In a row": since that address's last success on that username, within a day
  (``MEMORY``). Another address is not affected, so nobody can lock the owner out from
  elsewhere; ``reset-console-account`` clears every lock on the username at once.
- **Per address**: ``SignInLimits.per_address`` (20) failures from one address within the
  window (15 minutes), whatever usernames, stop that address until the oldest leaves the
  window: spraying many usernames from one place gets nowhere.
- **Store-wide**: ``SignInLimits.store_wide`` (200) failures from all addresses together
  within the window stop every sign-in for the rest of it. This is the only limit on
  guessing spread over many addresses (a botnet, an IPv6 range); it also bounds how many
  failure rows and audit events guessing can make. Its price is that someone who keeps
  guessing from many addresses can keep everyone out of the console (never out of
  syncing) until the window passes; the log and the audit trail say so when it is
  reached, and the ceiling can be raised (``SCP_CONSOLE_SIGN_IN_FAILURES_STORE_WIDE``).
  No lock is permanent: each one ends on its own once the failures stop.

**No telling which**: a wrong username, password or code, and a deactivated account, all
get ``NOT_RIGHT``, cost one Argon2 verification, and count the same: the lock is keyed by
the username *typed* (a 16-bit tag of it, ``accounts.name_tag``), so a made-up username
locks after 5 failures exactly as a real one does.

**Audit**: a success is ``sign_in`` (the account is the actor; its role and client
address in the detail); a failure on an account's username is ``sign_in_failed`` and a new
lock ``sign_in_locked``, both with the sign-in form as actor (``system``) and the account
as subject (its id, username, the reason, the count, the address), so they never read as
if the account's owner did something; failures on unknown usernames are not recorded one
by one (anyone can make them) but summarised: ``sign_in_failed_unknown`` at the 1st,
10th, 100th, ... of each window, with the count and how many addresses; and
``sign_in_limit_reached`` when an address or the store reaches its limit.
"""

from __future__ import annotations

import asyncio
import datetime as dt
import logging
import math
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Any

from sqlalchemy import delete, func, insert, select
from sqlalchemy.orm import Session, sessionmaker

from sync_server import store_audit
from sync_server.config import SignInLimits
from sync_server.console import accounts, sessions
from sync_server.models import ConsoleAccount, ConsoleSignInFailure, new_id, utc_now

log = logging.getLogger(__name__)

LOCK_AFTER = 5
FIRST_LOCK = dt.timedelta(minutes=1)
LONGEST_LOCK = dt.timedelta(hours=1)
MEMORY = dt.timedelta(days=1)  # failures older than this are forgotten (and deleted)
ARGON2_AT_ONCE = 2
QUEUE = 8
BUSY_SECONDS = 5
FORM_ACTOR = "console sign-in form"
NOT_RIGHT = "Username, password or code not right"
BUSY = ("The console is busy checking other sign-ins; nothing was checked. Try again in a "
        "few seconds.")
UNREADABLE = ("The console cannot read its sign-in secrets (its key file is missing, or is "
              "not the one they were encrypted with); nothing was changed. Tell the store's "
              "IT service desk.")

F = ConsoleSignInFailure


def lock_for(failures: int) -> dt.timedelta | None:
    """How long a username is locked from an address after ``failures`` failures in a
    row there."""
    if failures < LOCK_AFTER:
        return None
    doublings = min(failures - LOCK_AFTER, 16)  # beyond that the cap holds anyway
    return min(FIRST_LOCK * (1 << doublings), LONGEST_LOCK)


def _minutes(seconds: float) -> str:
    minutes = max(1, math.ceil(seconds / 60))
    return f"{minutes} minute{'s' if minutes != 1 else ''}"


@dataclass(frozen=True)
class Wait:
    """A sign-in refused for now (429): for ``seconds``, and why (``scope``: ``lock``,
    ``address`` or ``store``)."""

    seconds: int
    scope: str

    @property
    def message(self) -> str:
        """The plain-English refusal."""
        wait = _minutes(self.seconds)
        if self.scope == "lock":
            return f"Too many failed sign-ins; try again in {wait}"
        if self.scope == "address":
            return f"Too many failed sign-ins from your network; try again in {wait}"
        return ("Too many failed sign-ins on the console lately, so every sign-in is refused "
                f"for now; try again in {wait}")


def _window_start(limits: SignInLimits, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=limits.window_minutes)


def _seconds_until(moment: dt.datetime, now: dt.datetime) -> int:
    return max(1, math.ceil((moment - now).total_seconds()))


def lock_of(db: Session, username: str, address: str, now: dt.datetime
            ) -> tuple[int, dt.datetime | None]:
    """The failures in a row on ``username`` from ``address``, and when the lock they make
    ends (None: not locked)."""
    count, last = db.execute(select(func.count(), func.max(F.failed_at))
                             .where(F.name_tag == accounts.name_tag(username),
                                    F.address == address, F.failed_at > now - MEMORY)).one()
    lock = lock_for(int(count or 0))
    return int(count or 0), (last + lock if lock is not None and last is not None else None)


@dataclass(frozen=True)
class Counts:
    """Failures within the window: from one address, and from all together."""

    address: int
    everywhere: int


def counts(db: Session, address: str, limits: SignInLimits, now: dt.datetime) -> Counts:
    """How many sign-ins failed within the window ending ``now``."""
    mine, everywhere = db.execute(select(func.count().filter(F.address == address),
                                         func.count())
                                  .where(F.failed_at > _window_start(limits, now))).one()
    return Counts(int(mine or 0), int(everywhere or 0))


def wait_for(db: Session, username: str, address: str, limits: SignInLimits,
             now: dt.datetime | None = None) -> Wait | None:
    """Whether a sign-in as ``username`` from ``address`` must wait (the longest of the
    waits that apply), or None. Each wait lasts until the failure that set it off is old
    enough; refusals are not counted, so asking again early does not prolong it."""
    now = now or utc_now()
    waits: list[Wait] = []
    _, locked_until = lock_of(db, username, address, now)
    if locked_until is not None and locked_until > now:
        waits.append(Wait(_seconds_until(locked_until, now), "lock"))
    found = counts(db, address, limits, now)
    for scope, count, limit in (("address", found.address, limits.per_address),
                                ("store", found.everywhere, limits.store_wide)):
        if count < limit:
            continue
        query = (select(F.failed_at).where(F.failed_at > _window_start(limits, now))
                 .order_by(F.failed_at.desc()).offset(limit - 1).limit(1))
        if scope == "address":
            query = query.where(F.address == address)
        reached = db.execute(query).scalar_one_or_none() or now
        free_at = reached + dt.timedelta(minutes=limits.window_minutes)
        waits.append(Wait(_seconds_until(free_at, now), scope))
    return max(waits, key=lambda w: w.seconds) if waits else None


# -------------------------------------------------------------------- the Argon2 gate


class Busy(Exception):
    """Too many sign-ins are waiting for the Argon2 gate already."""


class Gate:
    """At most ``at_once`` Argon2 verifications at a time in this process, and at most
    ``queue`` sign-ins waiting for one (asyncio: a waiting sign-in holds no thread and no
    connection). One per app, so one per store process."""

    def __init__(self, at_once: int = ARGON2_AT_ONCE, queue: int = QUEUE) -> None:
        self._slots = asyncio.Semaphore(at_once)
        self.queue = queue
        self.waiting = 0

    @asynccontextmanager
    async def enter(self) -> AsyncIterator[None]:
        """Hold a slot for the block; Busy at once when the queue is full."""
        if self.waiting >= self.queue:
            raise Busy()
        self.waiting += 1
        try:
            await self._slots.acquire()
        finally:
            self.waiting -= 1
        try:
            yield
        finally:
            self._slots.release()


# -------------------------------------------------------------------------- an attempt


@dataclass(frozen=True)
class Found:
    """The account a sign-in names, as read before Argon2 (no lock held meanwhile)."""

    username: str
    account_id: str | None
    password_hash: str | None


@dataclass(frozen=True)
class Outcome:
    """What a sign-in came to: ``token`` (the new session's cookie) on success; otherwise
    the HTTP status (401, 429, 503), the message, and ``retry_after`` seconds for a 429."""

    token: str | None
    status: int = 303
    message: str = ""
    retry_after: int | None = None


def _look_up(db: Session, username: str) -> Found:
    name = accounts.normalise_username(username)
    row = db.execute(select(ConsoleAccount.id, ConsoleAccount.password_hash)
                     .where(ConsoleAccount.username == name)).first()
    if row is None:
        return Found(name, None, None)
    return Found(name, str(row[0]), str(row[1]))


def attempt(factory: sessionmaker[Session], username: str, password: str, code: str,
            address: str, limits: SignInLimits, old_token: str | None) -> Outcome:
    """One sign-in (run in a worker thread, inside the gate): limits, Argon2 outside any
    transaction, then the code and the outcome in one short transaction."""
    with factory.begin() as db:
        wait = wait_for(db, username, address, limits)
        found = _look_up(db, username)
    if wait is not None:
        return Outcome(None, 429, wait.message, wait.seconds)
    # Argon2, with no transaction open; an unknown username costs the same (a dummy hash).
    stored = found.password_hash or accounts.dummy_hash()
    password_ok = accounts.verify_password(stored, password)
    new_hash = None
    if password_ok and found.password_hash and accounts.hasher().check_needs_rehash(stored):
        new_hash = accounts.hasher().hash(password)
    with factory.begin() as db:
        return _finish(db, found, password_ok, new_hash, code, address, limits, old_token)


def _finish(db: Session, found: Found, password_ok: bool, new_hash: str | None, code: str,
            address: str, limits: SignInLimits, old_token: str | None) -> Outcome:
    now = utc_now()
    account = (db.get(ConsoleAccount, found.account_id, with_for_update=True)
               if found.account_id else None)
    reason = _reason(account, found, password_ok)
    if account is None or reason is not None:
        record_failure(db, found.username, address, account, reason or "unknown", limits, now)
        return Outcome(None, 401, NOT_RIGHT)
    try:
        secret = accounts.open_secret(account.id, account.totp_secret)
        key = accounts.secret_key()
    except accounts.SecretKeyError as exc:
        log.error("console sign-in of %s refused: %s", account.username, exc)
        return Outcome(None, 503, UNREADABLE)
    step = accounts.totp_step(secret, code, account.totp_last_step, now)
    if step is None:
        record_failure(db, found.username, address, account, "code", limits, now)
        return Outcome(None, 401, NOT_RIGHT)
    account.totp_last_step = step
    account.failed_sign_ins = 0
    account.last_sign_in_at = now
    if new_hash is not None:
        account.password_hash = new_hash
    if key is not None and not accounts.is_encrypted(account.totp_secret):
        account.totp_secret = accounts.seal_secret(account.id, secret, key)
    db.execute(delete(F).where(F.name_tag == accounts.name_tag(found.username),
                               F.address == address))
    if sessions.looks_like_token(old_token):
        assert old_token is not None
        sessions.end(db, sessions.digest(old_token))
    token, _ = sessions.start(db, account.id, now)
    store_audit.append(db, chain=store_audit.CONSOLE_CHAIN, actor_kind="console",
                       actor_id=account.id, actor_name=account.username, action="sign_in",
                       detail={"role": account.role, "address": address})
    return Outcome(token)


def _reason(account: ConsoleAccount | None, found: Found, password_ok: bool) -> str | None:
    """Why the sign-in fails before its code is looked at (None: go on to the code)."""
    if account is None:
        return "unknown"
    if account.password_hash != found.password_hash:
        return "password"  # changed (a reset) while this attempt was being checked
    if not password_ok:
        return "password"
    if account.deactivated_at is not None:
        return "deactivated"
    return None


def _form_event(db: Session, action: str, detail: dict[str, Any]) -> None:
    store_audit.append(db, chain=store_audit.CONSOLE_CHAIN, actor_kind="system",
                       actor_id=None, actor_name=FORM_ACTOR, action=action, detail=detail)


def record_failure(db: Session, username: str, address: str, account: ConsoleAccount | None,
                   reason: str, limits: SignInLimits, now: dt.datetime) -> None:
    """Count one failed sign-in (forgetting those a day old) and audit it: one event for
    an account's username (and one more when it locks it), a summary for unknown ones, and
    one when an address or the store reaches its limit."""
    before = counts(db, address, limits, now)
    in_a_row, _ = lock_of(db, username, address, now)
    db.execute(delete(F).where(F.failed_at <= now - MEMORY))
    db.execute(insert(F).values(id=new_id(), address=address,
                                name_tag=accounts.name_tag(username),
                                account_id=account.id if account else None, failed_at=now))
    lock = lock_for(in_a_row + 1)
    if account is not None:
        account.failed_sign_ins += 1
        subject = {"account_id": account.id, "username": account.username,
                   "address": address}
        _form_event(db, "sign_in_failed", {**subject, "reason": reason,
                                           "failures": account.failed_sign_ins})
        if lock is not None:
            _form_event(db, "sign_in_locked", {**subject, "failures": in_a_row + 1,
                                               "minutes": int(lock.total_seconds() // 60)})
    else:
        _summarise_unknown(db, limits, now)
    for scope, count, limit in (("address", before.address, limits.per_address),
                                ("store", before.everywhere, limits.store_wide)):
        if count + 1 == limit:
            log.warning("%d failed console sign-ins %s within %s: %s refused (429) until "
                        "the window passes", limit,
                        f"from {address}" if scope == "address" else "store-wide",
                        _minutes(limits.window_minutes * 60),
                        "sign-ins from that address are" if scope == "address"
                        else "every sign-in is")
            _form_event(db, "sign_in_limit_reached", {
                "scope": scope, "address": address, "failures": limit,
                "window_minutes": limits.window_minutes})


def _summarise_unknown(db: Session, limits: SignInLimits, now: dt.datetime) -> None:
    """The summary of failures on unknown usernames in this window of the clock: an event at
    the 1st, 10th, 100th, ... (never one per failure: anyone can make those)."""
    size = limits.window_minutes * 60
    since = dt.datetime.fromtimestamp(int(now.timestamp()) // size * size, dt.UTC)
    failures, addresses = db.execute(select(func.count(), func.count(F.address.distinct()))
                                     .where(F.account_id.is_(None), F.failed_at >= since)
                                     ).one()
    if str(int(failures or 0)).rstrip("0") == "1":
        _form_event(db, "sign_in_failed_unknown", {
            "since": since.strftime("%Y-%m-%dT%H:%M:%SZ"), "failures": int(failures),
            "addresses": int(addresses or 0)})
