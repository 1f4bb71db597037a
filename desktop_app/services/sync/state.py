"""The sync settings kept inside the vault, and enrolling this laptop with the store.

The server address, the optional CA bundle path, the device token and the identity the
store gave this laptop live in the one ``sync_state`` row of the encrypted vault; the token
never leaves it except in the ``Authorization`` header. Nothing here is in a settings file.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

import httpx
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditAction
from desktop_app.models.base import utc_now
from desktop_app.models.sync import SYNC_STATE_ID, SyncState
from desktop_app.services.core.audit import append_events
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.sync.errors import DeviceRevoked, EnrolmentRefused, NotEnrolled
from desktop_app.services.sync.transport import (
    StoreConnection,
    Timeouts,
    normalise_server_url,
    tls_context,
)


@dataclass(frozen=True)
class Enrolment:
    """Who the store says this laptop is, after enrolment."""

    server_url: str
    device_id: str
    device_name: str
    team_id: str
    team_name: str
    user_id: str
    user_name: str
    role: str


@dataclass(frozen=True)
class SyncSettings:
    """The sync settings as the settings page shows them (never the token)."""

    server_url: str | None
    ca_bundle: str | None
    enrolled: bool
    device_name: str | None
    team_name: str | None
    user_name: str | None
    enrolled_at: dt.datetime | None
    revoked_at: dt.datetime | None
    last_synced_at: dt.datetime | None


@dataclass(frozen=True)
class Credentials:
    """What one sync run needs to reach the store (held by the client during the run)."""

    server_url: str
    token: str
    ca_bundle: str | None


def state_row(session: Session) -> SyncState:
    """The single sync_state row, made on first use."""
    state = session.get(SyncState, SYNC_STATE_ID)
    if state is None:
        state = SyncState(id=SYNC_STATE_ID, pull_cursor=0, resync=False)
        session.add(state)
        session.flush()
    return state


def sync_settings(uow: UnitOfWork) -> SyncSettings:
    """The current sync settings."""
    with uow.read() as session:
        s = session.get(SyncState, SYNC_STATE_ID)
        if s is None:
            return SyncSettings(None, None, False, None, None, None, None, None, None)
        return SyncSettings(s.server_url, s.ca_bundle, bool(s.device_token), s.device_name,
                            s.team_name, s.server_user_name, s.enrolled_at, s.revoked_at,
                            s.last_synced_at)


def credentials(uow: UnitOfWork) -> Credentials:
    """The address, token and CA bundle for a run; NotEnrolled without a token."""
    with uow.read() as session:
        s = session.get(SyncState, SYNC_STATE_ID)
        if s is None or not s.device_token or not s.server_url:
            raise NotEnrolled("This laptop is not enrolled with the central store yet. Enter "
                              "the store's address and an enrolment code in the sync settings.")
        return Credentials(s.server_url, s.device_token, s.ca_bundle)


def set_ca_bundle(uow: UnitOfWork, ca_bundle: str | None) -> None:
    """Verify the store's certificate against this CA bundle from now on (None: the system's)."""
    require(uow, Permission.MANAGE_USERS)  # who may enrol may choose whom to trust
    path = (ca_bundle or "").strip() or None
    if path:
        tls_context(path)  # a file that is not certificates is refused now, not at sync time
    with uow.begin() as session:
        state_row(session).ca_bundle = path


def forget_revoked_token(uow: UnitOfWork) -> None:
    """The store refused the token (401): drop it, so the app asks for enrolment again."""
    with uow.begin() as session:
        state = state_row(session)
        state.device_token = None
        state.revoked_at = utc_now()


def _check_device_name(device_name: str) -> str:
    name = device_name.strip()
    # The store's rule (sync_server/schemas.py DEVICE_NAME_PATTERN): no control, format or
    # separator characters but the plain space, so the store never refuses what passed here.
    printable = all(ch == " " or unicodedata.category(ch)[0] not in "CZ" for ch in name)
    if not name or len(name) > 200 or not printable:
        raise ValidationError("Give this laptop a name of up to 200 characters, such as "
                              "'Laptop 7 (Alex)'.", field="device_name")
    return name


def enrol(uow: UnitOfWork, server_url: str, code: str, device_name: str,
          ca_bundle: str | None = None, *, transport: httpx.BaseTransport | None = None,
          timeouts: Timeouts | None = None,
          db: Callable[[Callable[[], Any]], Any] | None = None) -> Enrolment:
    """Spend a one-time enrolment code on this laptop and keep the token in the vault.

    Enrolling again (after a revocation, or to move to another store) replaces the token;
    changes waiting in the outbox are kept and sent with the new one. Moving to another team
    starts the pull again from the beginning.

    The requests go out on the calling thread; with ``db`` (``DatabaseExecutor.call``) the
    vault is written on the database thread, which is never kept waiting on the network.
    """
    require(uow, Permission.MANAGE_USERS)
    url = normalise_server_url(server_url)
    name = _check_device_name(device_name)
    if not code.strip():
        raise ValidationError("Enter the enrolment code from your administrator.", field="code")
    bundle = (ca_bundle or "").strip() or None
    with StoreConnection(url, ca_bundle=bundle, transport=transport, timeouts=timeouts) as conn:
        conn.health()
        try:
            body = conn.enrol(code.strip(), name)
        except DeviceRevoked:
            raise EnrolmentRefused("That enrolment code is unknown, already used, expired or "
                                   "withdrawn. "
                                   "Ask your administrator for a new one.") from None
    try:
        team, user = body["team"], body["user"]
        enrolment = Enrolment(url, str(body["device_id"]), name, str(team["id"]),
                              str(team["name"]), str(user["id"]), str(user["name"]),
                              str(user["role"]))
    except (KeyError, TypeError) as err:
        raise EnrolmentRefused("The central store's enrolment answer could not be read.") from err
    token = str(body["token"])
    (db or on_this_thread)(lambda: _store_enrolment(uow, enrolment, token, bundle))
    return enrolment


def on_this_thread(fn: Callable[[], Any]) -> Any:
    """The ``db`` callable when the calling thread is the database thread: run ``fn`` now."""
    return fn()


def _store_enrolment(uow: UnitOfWork, e: Enrolment, token: str, ca_bundle: str | None) -> None:
    with uow.begin() as session:
        state = state_row(session)
        if state.team_id != e.team_id or state.server_url != e.server_url:
            state.pull_cursor = 0
            state.resync = False
        state.server_url, state.ca_bundle, state.device_token = e.server_url, ca_bundle, token
        state.server_device_id, state.device_name = e.device_id, e.device_name
        state.team_id, state.team_name = e.team_id, e.team_name
        state.server_user_id, state.server_user_name, state.server_role = (
            e.user_id, e.user_name, e.role)
        state.enrolled_at, state.revoked_at = utc_now(), None
        append_events(session.connection(), uow.actor,
                      [("device", e.device_id, AuditAction.ENROLLED.value)])
