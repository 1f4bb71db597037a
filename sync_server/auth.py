"""Finding the device behind a bearer token, and noting what it tells the store.

A device's token is refused (401) when the device is unknown or revoked, and, with its own
words (``USER_DEACTIVATED``), when its user has been deactivated: the laptop then says whose
account it is and keeps its token and every unsent change, since reactivating the user lets
it sync again. Each request also tells the store what the console's device list shows
(``touch_device``): when the laptop was last seen, its app version and how many changes it
still had waiting. ``client_address`` is the address a request is counted under (the
enrolment limits). Enrolling a laptop with a one-time code is enrolment.py's.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import re
from dataclasses import dataclass, field

from sqlalchemy import or_, select, update
from sqlalchemy.orm import Session

from sync_server import tokens
from sync_server.models import Device, StoreUser, Team, utc_now

ADDRESS_LENGTH = 64  # enrolment_failure.address (an IPv6 address is at most 45 characters)
SEEN_EVERY = dt.timedelta(seconds=60)  # a device's last-seen time is written at most this often
UNKNOWN_DEVICE = "unknown or revoked device"
USER_DEACTIVATED = "the user of this laptop has been deactivated on the central store"
APP_VERSION_LENGTH = 32  # device.app_version
MAX_PENDING = 2**31 - 1  # device.pending_changes is an INTEGER
_APP_VERSION = re.compile(rf"[0-9A-Za-z.+\-]{{1,{APP_VERSION_LENGTH}}}").fullmatch
_COUNT = re.compile(r"[0-9]{1,10}").fullmatch


@dataclass(frozen=True)
class Told:
    """What a device last told the store, as its row holds it (``touch_device`` compares a
    request's facts with it, so most requests write nothing)."""

    last_seen_at: dt.datetime | None = None
    app_version: str | None = None
    pending_changes: int | None = None

    def stale(self, facts: ClientFacts, now: dt.datetime) -> bool:
        """True when the row should be written: never seen, seen ``SEEN_EVERY`` ago or
        more, or told something else now."""
        return (self.last_seen_at is None or self.last_seen_at < now - SEEN_EVERY
                or (facts.app_version is not None and facts.app_version != self.app_version)
                or (facts.pending_changes is not None
                    and facts.pending_changes != self.pending_changes))


@dataclass(frozen=True)
class DeviceContext:
    """Who is asking: the device, its team and its user (with the user's role), and what
    the device last told the store (when looked up by its token)."""

    device_id: str
    team_id: str
    team_name: str
    user_id: str
    user_name: str
    role: str
    told: Told | None = field(default=None, compare=False)


@dataclass(frozen=True)
class DeviceRefused:
    """A token the store will not serve, with the 401's words (``UNKNOWN_DEVICE`` or
    ``USER_DEACTIVATED``) and, when the device is known, its id and what it last told."""

    detail: str
    device_id: str | None = None
    told: Told | None = None


@dataclass(frozen=True)
class ClientFacts:
    """What a laptop says about itself on each request: its app version
    (``X-Client-Version``) and the changes waiting in its outbox (``X-Pending-Changes``);
    either None when missing or malformed (ignored, never refused)."""

    app_version: str | None = None
    pending_changes: int | None = None

    @classmethod
    def from_headers(cls, version: str | None, pending: str | None) -> ClientFacts:
        """The facts from the two headers as sent."""
        version = (version or "").strip()
        pending = (pending or "").strip()
        count = int(pending) if _COUNT(pending) else None
        return cls(version if _APP_VERSION(version) else None,
                   count if count is not None and count <= MAX_PENDING else None)


def find_device(session: Session, token: str) -> DeviceContext | DeviceRefused:
    """The device holding ``token`` if the store serves it; otherwise why not."""
    found = session.execute(
        select(Device.id, Device.revoked_at, Team.id, Team.name, StoreUser.id, StoreUser.name,
               StoreUser.role, StoreUser.deactivated_at, Device.last_seen_at,
               Device.app_version, Device.pending_changes)
        .join(Team, Team.id == Device.team_id)
        .join(StoreUser, StoreUser.id == Device.user_id)
        .where(Device.token_hash == tokens.digest(token))
    ).first()
    if found is None or found[1] is not None:
        return DeviceRefused(UNKNOWN_DEVICE)
    device_id, _, team_id, team_name, user_id, user_name, role, deactivated_at = found[:8]
    told = Told(*found[8:])
    if deactivated_at is not None:
        return DeviceRefused(USER_DEACTIVATED, device_id, told)
    return DeviceContext(device_id, team_id, team_name, user_id, user_name, role, told)


def device_for_token(session: Session, token: str) -> DeviceContext | None:
    """The live device holding ``token``; None for an unknown or revoked one, or one whose
    user is deactivated (``find_device`` says which)."""
    found = find_device(session, token)
    return found if isinstance(found, DeviceContext) else None


def touch_device(session: Session, device_id: str, facts: ClientFacts,
                 told: Told | None = None, now: dt.datetime | None = None) -> None:
    """Note that the device was seen now, with its app version and waiting changes.

    Written only when something changed or the last write is ``SEEN_EVERY`` old, so a sync's
    many requests cost one write at most (its last request, after the push, carries the
    count still waiting, which differs from the first's when anything was sent). With what
    the lookup read (``told``) most requests send nothing at all; the UPDATE's own condition
    decides between requests at the same moment, and a row not written is not locked."""
    now = now or utc_now()
    if told is not None and not told.stale(facts, now):
        return
    values: dict[str, object] = {"last_seen_at": now}
    stale = [Device.last_seen_at.is_(None), Device.last_seen_at < now - SEEN_EVERY]
    if facts.app_version is not None:
        values["app_version"] = facts.app_version
        stale.append(Device.app_version.is_distinct_from(facts.app_version))
    if facts.pending_changes is not None:
        values["pending_changes"] = facts.pending_changes
        stale.append(Device.pending_changes.is_distinct_from(facts.pending_changes))
    session.execute(update(Device).where(Device.id == device_id, or_(*stale)).values(values)
                    .execution_options(synchronize_session=False))


def client_address(host: str | None) -> str:
    """The address failures are counted under (uvicorn's ``request.client.host``): an IPv4
    address as it is, an IPv6 address by its /64 (one home or office network is handed a
    whole /64, so counting single addresses would give a guesser millions of fresh starts)."""
    try:
        address = ipaddress.ip_address(host or "")
    except ValueError:
        return (host or "unknown")[:ADDRESS_LENGTH]
    if isinstance(address, ipaddress.IPv6Address):
        if address.ipv4_mapped is not None:
            return str(address.ipv4_mapped)
        return str(ipaddress.IPv6Network(f"{address}/64", strict=False))
    return str(address)
