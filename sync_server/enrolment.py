"""Enrolling a laptop with a one-time code, and the limits on guessing codes.

Wrong codes are counted in the database (``enrolment_failure``), never in a process's
memory: any number of store processes may stand behind a load balancer, and each must see
every failure. Too many from one client address, or from all addresses together, within the
window (``EnrolmentLimits``) and enrolment is refused with 429 before the code is looked at.
Counting is not serialised, so a burst of simultaneous guesses may overshoot a limit by the
number of requests the store handles at once; the limits still bound guessing per window.

A third limit is per code: a wrong code whose first group (``prefix``) matches a live code's
counts a failed attempt against that code, and at ``CODE_ATTEMPTS`` the code is withdrawn
(audited) and refused from then on, even when typed right. Someone who learnt the first
group (read over a shoulder, a phone call half heard) cannot go on to guess the rest from
many addresses. The counting is one UPDATE, so it is serialised by the code's row lock.
Enrolment is on the team's audit chain (``store_audit``), as are a withdrawn code and a
withdrawn code typed right.
"""

from __future__ import annotations

import datetime as dt
import logging
import math
from dataclasses import dataclass

from sqlalchemy import case, delete, func, insert, select, update
from sqlalchemy.orm import Session

from sync_server import store_audit, tokens
from sync_server.auth import DeviceContext
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
CODE_ATTEMPTS = 5  # wrong codes matching a live code's first group before it is withdrawn
# The 401's words for a code that enrolled nothing, whatever the reason (not said which: a
# guesser learns nothing from them); the laptop says the same in its own words.
ENROLMENT_REFUSED = "enrolment code unknown, already used, expired or withdrawn"


@dataclass(frozen=True)
class Enrolment:
    """A newly enrolled device and its token (the only time the token is seen)."""

    device: DeviceContext
    token: str


def enrol(session: Session, code: str, device_name: str) -> Enrolment | None:
    """Spend ``code`` on a new device; None if the code is unknown, used, expired or
    withdrawn (or its user deactivated). A wrong code counts against the live codes that
    share its first group; a right one that was withdrawn is audited."""
    now = utc_now()
    normalised = tokens.normalise_code(code)
    code_hash = tokens.digest(normalised)
    # One UPDATE decides who spends the code: a second use (even at the same moment) matches
    # no row, because used_at is no longer NULL.
    active_users = select(StoreUser.id).where(StoreUser.deactivated_at.is_(None))
    spent = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.code_hash == code_hash,
               EnrolmentCode.used_at.is_(None), EnrolmentCode.expires_at > now,
               EnrolmentCode.withdrawn_at.is_(None), EnrolmentCode.user_id.in_(active_users))
        .values(used_at=now)
        .returning(EnrolmentCode.id, EnrolmentCode.user_id)
        .execution_options(synchronize_session=False)
    ).first()
    if spent is None:
        _refused(session, normalised, code_hash, now)
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
                    .values(device_id=device.id).execution_options(synchronize_session=False))
    context = DeviceContext(device.id, team.id, team.name, user.id, user.name, user.role)
    store_audit.device_event(session, context, "device_enrolled", device_name=device_name,
                             code_id=code_id)
    return Enrolment(context, token)


def _refused(session: Session, normalised: str, code_hash: str, now: dt.datetime) -> None:
    """A code that enrolled nothing: audited when it is a withdrawn code typed right;
    otherwise counted against every live code sharing its first group."""
    withdrawn = session.execute(
        select(EnrolmentCode.id, StoreUser.team_id, StoreUser.id)
        .join(StoreUser, StoreUser.id == EnrolmentCode.user_id)
        .where(EnrolmentCode.code_hash == code_hash, EnrolmentCode.used_at.is_(None),
               EnrolmentCode.withdrawn_at.is_not(None))
    ).first()
    if withdrawn is not None:
        code_id, team_id, user_id = withdrawn
        store_audit.append(session, chain=team_id, actor_kind="system", actor_id=None,
                           actor_name="central store", action="enrolment_refused",
                           team_id=team_id, user_id=user_id,
                           detail={"code_id": code_id, "reason": "withdrawn"})
        return
    prefix = code_prefix(normalised)
    if prefix is None:
        return
    counted = session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.prefix == prefix, EnrolmentCode.code_hash != code_hash,
               EnrolmentCode.used_at.is_(None), EnrolmentCode.expires_at > now,
               EnrolmentCode.withdrawn_at.is_(None))
        .values(failed_attempts=EnrolmentCode.failed_attempts + 1,
                withdrawn_at=case((EnrolmentCode.failed_attempts + 1 >= CODE_ATTEMPTS, now),
                                  else_=None))
        .returning(EnrolmentCode.id, EnrolmentCode.user_id, EnrolmentCode.withdrawn_at)
        .execution_options(synchronize_session=False)
    ).all()
    for code_id, user_id, withdrawn_at in counted:
        if withdrawn_at is None:
            continue
        team_id = session.scalars(select(StoreUser.team_id).where(StoreUser.id == user_id)).one()
        log.warning("enrolment code %s withdrawn after %d wrong codes matching its first group",
                    code_id, CODE_ATTEMPTS)
        store_audit.append(session, chain=team_id, actor_kind="system", actor_id=None,
                           actor_name="central store", action="enrolment_code_withdrawn",
                           team_id=team_id, user_id=user_id,
                           detail={"code_id": code_id, "reason": "too many wrong codes",
                                   "failed_attempts": CODE_ATTEMPTS})


def code_prefix(normalised: str) -> str | None:
    """The first group of a code in its canonical form (``tokens.normalise_code``), or None
    when what was typed has no full first group."""
    first = normalised.split("-", 1)[0]
    return first if len(first) == tokens.CODE_GROUP else None


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
