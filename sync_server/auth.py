"""Enrolling a laptop with a one-time code, and finding the device behind a bearer token.

Wrong codes are counted in the database (``enrolment_failure``), never in a process's
memory: any number of store processes may stand behind a load balancer, and each must see
every failure. Too many from one client address, or from all addresses together, within the
window (``EnrolmentLimits``) and enrolment is refused with 429 before the code is looked at.
Counting is not serialised, so a burst of simultaneous guesses may overshoot a limit by the
number of requests the store handles at once; the limits still bound guessing per window.
"""

from __future__ import annotations

import datetime as dt
import ipaddress
import logging
import math
from dataclasses import dataclass

from sqlalchemy import delete, func, insert, select, update
from sqlalchemy.orm import Session

from sync_server import tokens
from sync_server.config import EnrolmentLimits
from sync_server.models import (
    Device,
    EnrolmentCode,
    EnrolmentFailure,
    StoreUser,
    Team,
    new_id,
    utc_now,
)

log = logging.getLogger(__name__)
ADDRESS_LENGTH = 64  # enrolment_failure.address (an IPv6 address is at most 45 characters)


@dataclass(frozen=True)
class DeviceContext:
    """Who is asking: the device, its team and its user (with the user's role)."""

    device_id: str
    team_id: str
    team_name: str
    user_id: str
    user_name: str
    role: str


@dataclass(frozen=True)
class Enrolment:
    """A newly enrolled device and its token (the only time the token is seen)."""

    device: DeviceContext
    token: str


def enrol(session: Session, code: str, device_name: str) -> Enrolment | None:
    """Spend ``code`` on a new device; None if the code is unknown, used or expired."""
    now = utc_now()
    # One UPDATE decides who spends the code: a second use (even at the same moment) matches
    # no row, because used_at is no longer NULL.
    spent = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.code_hash == tokens.digest(tokens.normalise_code(code)),
               EnrolmentCode.used_at.is_(None), EnrolmentCode.expires_at > now)
        .values(used_at=now)
        .returning(EnrolmentCode.id, EnrolmentCode.user_id)
    ).first()
    if spent is None:
        return None
    code_id, user_id = spent
    user = session.get_one(StoreUser, user_id)
    team = session.get_one(Team, user.team_id)
    token = tokens.new_device_token()
    device = Device(name=device_name, team_id=team.id, user_id=user.id,
                    token_hash=tokens.digest(token), enrolled_at=now)
    session.add(device)
    session.flush()
    session.execute(update(EnrolmentCode).where(EnrolmentCode.id == code_id)
                    .values(device_id=device.id))
    context = DeviceContext(device.id, team.id, team.name, user.id, user.name, user.role)
    return Enrolment(context, token)


def device_for_token(session: Session, token: str) -> DeviceContext | None:
    """The live device holding ``token``; None for an unknown or revoked one."""
    found = session.execute(
        select(Device.id, Device.revoked_at, Team.id, Team.name, StoreUser.id, StoreUser.name,
               StoreUser.role)
        .join(Team, Team.id == Device.team_id)
        .join(StoreUser, StoreUser.id == Device.user_id)
        .where(Device.token_hash == tokens.digest(token))
    ).first()
    if found is None or found[1] is not None:
        return None
    device_id, _, team_id, team_name, user_id, user_name, role = found
    return DeviceContext(device_id, team_id, team_name, user_id, user_name, role)


@dataclass(frozen=True)
class EnrolmentWait:
    """Enrolment refused for now (429): for ``seconds``, from this address or store-wide."""

    seconds: int
    store_wide: bool

    @property
    def detail(self) -> str:
        """The plain-English refusal (the laptop shows it as it is)."""
        wait = f"wait {_minutes(max(1, math.ceil(self.seconds / 60)))} and try again."
        if self.store_wide:
            return f"Too many wrong enrolment codes have been tried on the central store; {wait}"
        return f"Too many wrong enrolment codes from this network; {wait}"


@dataclass(frozen=True)
class FailureCounts:
    """Wrong codes within the window: from one address, and from all addresses together."""

    address: int
    everywhere: int


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


def _window_start(limits: EnrolmentLimits, now: dt.datetime) -> dt.datetime:
    return now - dt.timedelta(minutes=limits.window_minutes)


def failure_counts(session: Session, address: str, limits: EnrolmentLimits,
                   now: dt.datetime) -> FailureCounts:
    """How many wrong codes were tried within the window ending ``now``."""
    mine, everywhere = session.execute(
        select(func.count().filter(EnrolmentFailure.address == address), func.count())
        .where(EnrolmentFailure.failed_at > _window_start(limits, now))
    ).one()
    return FailureCounts(int(mine or 0), int(everywhere or 0))


def enrolment_wait(session: Session, address: str, limits: EnrolmentLimits,
                   now: dt.datetime | None = None) -> tuple[EnrolmentWait | None, FailureCounts]:
    """Whether ``address`` must wait before enrolling (and the counts it was judged on).

    The wait lasts until the oldest of the failures that reached the limit leaves the
    window; the refusal itself is not counted, so retrying early does not prolong it.
    """
    now = now or utc_now()
    counts = failure_counts(session, address, limits, now)
    waits: list[EnrolmentWait] = []
    for store_wide, count, limit in ((False, counts.address, limits.per_address),
                                     (True, counts.everywhere, limits.store_wide)):
        if count < limit:
            continue
        query = (select(EnrolmentFailure.failed_at)
                 .where(EnrolmentFailure.failed_at > _window_start(limits, now))
                 .order_by(EnrolmentFailure.failed_at.desc()).offset(limit - 1).limit(1))
        if not store_wide:
            query = query.where(EnrolmentFailure.address == address)
        reached = session.execute(query).scalar_one_or_none() or now
        free_at = reached + dt.timedelta(minutes=limits.window_minutes)
        waits.append(EnrolmentWait(max(1, math.ceil((free_at - now).total_seconds())),
                                   store_wide))
    return (max(waits, key=lambda w: w.seconds) if waits else None), counts


def count_failed_enrolment(session: Session, address: str, limits: EnrolmentLimits,
                           before: FailureCounts, now: dt.datetime | None = None) -> None:
    """Remember one wrong code from ``address``; forget failures older than the window."""
    now = now or utc_now()
    session.execute(delete(EnrolmentFailure)
                    .where(EnrolmentFailure.failed_at <= _window_start(limits, now)))
    session.execute(insert(EnrolmentFailure).values(id=new_id(), address=address, failed_at=now))
    # Said once, when a limit is reached (the refusals that follow are not logged one by one).
    window = _minutes(limits.window_minutes)
    if before.address + 1 == limits.per_address:
        log.warning("%d wrong enrolment codes from %s within %s: enrolments from that address "
                    "are refused (429) until the window passes", limits.per_address, address,
                    window)
    if before.everywhere + 1 == limits.store_wide:
        log.warning("%d wrong enrolment codes store-wide within %s (the latest from %s): every "
                    "enrolment is refused (429) until the window passes", limits.store_wide,
                    window, address)


def _minutes(count: int) -> str:
    return f"{count} minute{'s' if count != 1 else ''}"
