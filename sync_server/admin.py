"""What the central store's admin does: teams, users, devices (enrolment codes are in
``sync_server/admin_codes.py``).

Plain functions on a session (the command line, the web console and the tests call them);
each raises ``AdminError`` with a plain-English message for a mistake the admin can fix.
They do not write the store's audit trail themselves: the caller knows who acted (a console
account, or the command line) and appends that in the same transaction.

Nothing here deletes: a user who leaves is deactivated (their laptops stop syncing for
them, everything they sent stays), a lost laptop is revoked, a code is withdrawn.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from dataclasses import dataclass

from sqlalchemy import ColumnElement, func, select, text, update
from sqlalchemy.orm import InstrumentedAttribute, Session, aliased

from sync_server.models import (
    Device,
    EnrolmentCode,
    Role,
    StoreUser,
    Team,
    TeamVersionCounter,
    utc_now,
)

NAME_LENGTH = 200  # team.name, store_user.name
_TEAM_NAMES_LOCK = 0x5C9F_7EA1  # pg_advisory_xact_lock: one new team's name checked at a time


class AdminError(Exception):
    """A request the admin can correct (unknown team, ambiguous user, ...)."""


class DeviceState(enum.StrEnum):
    """Whether the store serves a device: yes, never again, or not while its user is
    deactivated."""

    ACTIVE = "active"
    REVOKED = "revoked"
    USER_DEACTIVATED = "user deactivated"


@dataclass(frozen=True)
class DeviceInfo:
    """One enrolled laptop as the admin sees it, with what it last told the store."""

    id: str
    name: str
    team: str
    user: str  # who enrolled it (the store user whose laptop it is)
    enrolled_at: dt.datetime
    revoked_at: dt.datetime | None
    team_id: str = ""
    user_id: str = ""
    user_deactivated_at: dt.datetime | None = None
    last_seen_at: dt.datetime | None = None
    app_version: str | None = None
    pending_changes: int | None = None
    flow_version: str | None = None
    catalogue_version: str | None = None

    @property
    def state(self) -> DeviceState:
        """Active, revoked (for good) or refused while its user is deactivated."""
        if self.revoked_at is not None:
            return DeviceState.REVOKED
        if self.user_deactivated_at is not None:
            return DeviceState.USER_DEACTIVATED
        return DeviceState.ACTIVE


@dataclass(frozen=True)
class TeamInfo:
    """A team with its counts: users (active ones), live devices, the last time any of its
    devices was seen."""

    id: str
    name: str
    created_at: dt.datetime
    users: int
    active_users: int
    active_devices: int
    last_seen_at: dt.datetime | None


@dataclass(frozen=True)
class UserInfo:
    """A laptop user as the admin sees them."""

    id: str
    name: str
    team_id: str
    team: str
    role: str
    created_at: dt.datetime
    deactivated_at: dt.datetime | None
    active_devices: int

    @property
    def active(self) -> bool:
        """False once deactivated (until reactivated)."""
        return self.deactivated_at is None


# ----------------------------------------------------------------------------- teams


def create_team(session: Session, name: str) -> Team:
    """A new team, with its version counter at 0 (its versions are its own).

    Names are unique ignoring capitals and surrounding spaces ("City South" and "city
    south " would be taken for the same team), and a name cannot look like an id: teams
    are found by id or by name (``find_team``), and a name that was another team's id
    would make that ambiguous. New names are checked one at a time (an advisory lock for
    the transaction), so two admins adding "City South" and "city south" at the same
    moment cannot both succeed."""
    name = name.strip()
    if not name:
        raise AdminError("a team needs a name")
    if len(name) > NAME_LENGTH:
        raise AdminError(f"a team's name can be at most {NAME_LENGTH} characters")
    if _looks_like_an_id(name):
        raise AdminError(f"{name!r} looks like an id, not a name: give the team the name "
                         "people know it by")
    if session.get_bind().dialect.name == "postgresql":  # on the SQLite trial the write lock
        session.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _TEAM_NAMES_LOCK})
    taken = session.scalar(select(Team.name).where(_same_name(name)).limit(1))
    if taken == name:
        raise AdminError(f"a team called {name!r} already exists")
    if taken is not None:
        raise AdminError(f"a team called {taken!r} already exists: names differing only in "
                         "capitals or spaces would be taken for the same team")
    team = Team(name=name)
    session.add(team)
    session.flush()
    session.add(TeamVersionCounter(team_id=team.id, value=0))
    session.flush()
    return team


def _looks_like_an_id(name: str) -> bool:
    """Whether ``name`` reads as a UUID (the form of every id on the store)."""
    try:
        uuid.UUID(name)
    except ValueError:
        return False
    return True


def _same_name(name: str) -> ColumnElement[bool]:
    """A team name equal to ``name`` ignoring capitals and surrounding spaces (lowered by
    PostgreSQL on both sides, so both are folded the same way)."""
    return func.lower(func.trim(Team.name)) == func.lower(name.strip())


def find_team(session: Session, name_or_id: str) -> Team:
    """The team with this id, else the team with exactly this name.

    The id is tried first: a team whose name is another team's id (possible before names
    like ids were refused) never hides that team."""
    team = session.get(Team, name_or_id)
    if team is None:
        team = session.scalar(select(Team).where(Team.name == name_or_id))
    if team is None:
        raise AdminError(f"no team {name_or_id!r}")
    return team


def list_teams(session: Session) -> list[TeamInfo]:
    """Every team by name, with its users, live devices and when a device was last seen."""
    users = (select(StoreUser.team_id, func.count().label("users"),
                    func.count(StoreUser.deactivated_at).label("deactivated"))
             .group_by(StoreUser.team_id).subquery())
    owner = aliased(StoreUser)
    live = (select(Device.team_id, func.count().label("devices"))
            .join(owner, owner.id == Device.user_id)
            .where(Device.revoked_at.is_(None), owner.deactivated_at.is_(None))
            .group_by(Device.team_id).subquery())
    seen = (select(Device.team_id, func.max(Device.last_seen_at).label("seen"))
            .group_by(Device.team_id).subquery())
    rows = session.execute(
        select(Team, users.c.users, users.c.deactivated, live.c.devices, seen.c.seen)
        .outerjoin(users, users.c.team_id == Team.id)
        .outerjoin(live, live.c.team_id == Team.id)
        .outerjoin(seen, seen.c.team_id == Team.id)
        .order_by(Team.name))
    return [TeamInfo(t.id, t.name, t.created_at, int(n or 0), int(n or 0) - int(off or 0),
                     int(devices or 0), last)
            for t, n, off, devices, last in rows]


# ----------------------------------------------------------------------------- users


def create_user(session: Session, team: str, name: str, role: str) -> StoreUser:
    """A new user in ``team`` (name or id) with ``role``."""
    try:
        role_value = Role(role).value
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AdminError(f"unknown role {role!r} (one of {known})") from None
    name = name.strip()
    if not name:
        raise AdminError("a user needs a name")
    if len(name) > NAME_LENGTH:
        raise AdminError(f"a user's name can be at most {NAME_LENGTH} characters")
    user = StoreUser(name=name, team_id=find_team(session, team).id, role=role_value)
    session.add(user)
    session.flush()
    return user


def find_user(session: Session, name_or_id: str) -> StoreUser:
    """The user with this id, or the only user with this name."""
    by_id = session.get(StoreUser, name_or_id)
    if by_id is not None:
        return by_id
    named = list(session.scalars(select(StoreUser).where(StoreUser.name == name_or_id)))
    if not named:
        raise AdminError(f"no user {name_or_id!r}")
    if len(named) > 1:
        raise AdminError(f"{len(named)} users are called {name_or_id!r}: give the user id")
    return named[0]


def lock_user(session: Session, user: str) -> StoreUser:
    """``find_user``, its row then locked until the transaction ends and read afresh.

    Issuing a code, deactivating and reactivating each take this lock first (then touch the
    user's codes), so they happen one after the other: a code issued while the user is
    being deactivated is either refused (it waited, then saw the deactivation) or withdrawn
    with the others (the deactivation waited for it). ``FOR NO KEY UPDATE``: enrolling a
    laptop, whose new row refers to the user (a key-share lock), is not held up by it, and
    cannot deadlock with a deactivation that withdraws the code being spent."""
    found = find_user(session, user)
    return session.execute(
        select(StoreUser).where(StoreUser.id == found.id).with_for_update(key_share=True)
        .execution_options(populate_existing=True)).scalar_one()


def deactivate_user(session: Session, user: str) -> bool:
    """Stop the store serving ``user``'s laptops (each is refused with words saying why and
    keeps its unsent changes) and withdraw their unspent codes; nothing is deleted. False
    if they were already deactivated. Locks the user's row first (``lock_user``)."""
    found = lock_user(session, user)
    now = utc_now()
    changed = _changed(session.execute(
        update(StoreUser).where(StoreUser.id == found.id, StoreUser.deactivated_at.is_(None))
        .values(deactivated_at=now).execution_options(synchronize_session=False)))
    session.execute(
        update(EnrolmentCode)
        .where(EnrolmentCode.user_id == found.id, EnrolmentCode.used_at.is_(None),
               EnrolmentCode.withdrawn_at.is_(None))
        .values(withdrawn_at=now).execution_options(synchronize_session=False))
    session.expire(found)
    return bool(changed)


def reactivate_user(session: Session, user: str) -> bool:
    """Serve ``user``'s laptops again (each sends what waited on its next sync); codes
    withdrawn meanwhile stay withdrawn. False if they were not deactivated. Locks the
    user's row first (``lock_user``)."""
    found = lock_user(session, user)
    changed = _changed(session.execute(
        update(StoreUser).where(StoreUser.id == found.id, StoreUser.deactivated_at.is_not(None))
        .values(deactivated_at=None).execution_options(synchronize_session=False)))
    session.expire(found)
    return bool(changed)


def list_users(session: Session, team: str | None = None, *,
               include_deactivated: bool = True, search: str = "") -> list[UserInfo]:
    """Users by team and name (of one team if given; whose name contains ``search``,
    ignoring capitals, if given), with their live devices."""
    live = (select(Device.user_id, func.count().label("devices"))
            .where(Device.revoked_at.is_(None)).group_by(Device.user_id).subquery())
    query = (select(StoreUser, Team.name, live.c.devices)
             .join(Team, Team.id == StoreUser.team_id)
             .outerjoin(live, live.c.user_id == StoreUser.id)
             .order_by(Team.name, StoreUser.name, StoreUser.id))
    if team is not None:
        query = query.where(StoreUser.team_id == find_team(session, team).id)
    if not include_deactivated:
        query = query.where(StoreUser.deactivated_at.is_(None))
    if search.strip():
        query = query.where(_contains(StoreUser.name, search))
    return [UserInfo(u.id, u.name, u.team_id, team_name, u.role, u.created_at,
                     u.deactivated_at, int(devices or 0))
            for u, team_name, devices in session.execute(query)]


def get_user(session: Session, user_id: str) -> UserInfo:
    """One user by id, as ``list_users`` shows them."""
    user = session.get(StoreUser, user_id)
    if user is None:
        raise AdminError("no such user (it may have been given a wrong link)")
    return next(u for u in list_users(session, user.team_id) if u.id == user.id)


# ----------------------------------------------------------------------------- devices


def list_devices(session: Session, team: str | None = None, state: DeviceState | None = None,
                 user: str | None = None, *, search: str = "") -> list[DeviceInfo]:
    """Every enrolled device (of one team, in one state, of one user (by id), whose name
    or whose user's name contains ``search`` ignoring capitals, if given), oldest first,
    with what each last told the store."""
    query = (
        select(Device, Team.name, StoreUser.name, StoreUser.deactivated_at)
        .join(Team, Team.id == Device.team_id)
        .join(StoreUser, StoreUser.id == Device.user_id)
        .order_by(Device.enrolled_at, Device.id)
    )
    if team is not None:
        query = query.where(Device.team_id == find_team(session, team).id)
    if user is not None:
        query = query.where(Device.user_id == user)
    if search.strip():
        query = query.where(_contains(Device.name, search) | _contains(StoreUser.name, search))
    if state is DeviceState.REVOKED:
        query = query.where(Device.revoked_at.is_not(None))
    elif state is DeviceState.USER_DEACTIVATED:
        query = query.where(Device.revoked_at.is_(None), StoreUser.deactivated_at.is_not(None))
    elif state is DeviceState.ACTIVE:
        query = query.where(Device.revoked_at.is_(None), StoreUser.deactivated_at.is_(None))
    return [
        DeviceInfo(d.id, d.name, team_name, user_name, d.enrolled_at, d.revoked_at,
                   d.team_id, d.user_id, deactivated, d.last_seen_at, d.app_version,
                   d.pending_changes, d.flow_version, d.catalogue_version)
        for d, team_name, user_name, deactivated in session.execute(query)
    ]


def get_device(session: Session, device_id: str) -> DeviceInfo:
    """One device by id, as ``list_devices`` shows it."""
    device = session.get(Device, device_id)
    if device is None:
        raise AdminError(f"no device {device_id!r}")
    return next(d for d in list_devices(session, device.team_id, user=device.user_id)
                if d.id == device_id)


def revoke_device(session: Session, device_id: str) -> bool:
    """Revoke a device for good; False if it was already revoked."""
    if session.get(Device, device_id) is None:
        raise AdminError(f"no device {device_id!r}")
    result = session.execute(
        update(Device).where(Device.id == device_id, Device.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )
    return bool(_changed(result))


def _contains(column: ColumnElement[str] | InstrumentedAttribute[str],
              search: str) -> ColumnElement[bool]:
    """``column`` contains ``search`` (trimmed) ignoring capitals; what is typed is taken
    as it is (``%`` and ``_`` are not wildcards)."""
    return column.icontains(search.strip(), autoescape=True)


def _changed(result: object) -> int:
    """Rows an UPDATE changed (a ``CursorResult``'s rowcount, which ``Session.execute``'s
    declared return type does not show)."""
    return int(getattr(result, "rowcount", 0) or 0)
