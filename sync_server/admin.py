"""What the central store's admin does: teams, users, enrolment codes, devices.

Plain functions on a session (the command line and the tests call them); each raises
``AdminError`` with a plain-English message for a mistake the admin can fix.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server import tokens
from sync_server.models import (
    Device,
    EnrolmentCode,
    Role,
    StoreUser,
    Team,
    TeamVersionCounter,
    utc_now,
)

DEFAULT_CODE_HOURS = 72


class AdminError(Exception):
    """A request the admin can correct (unknown team, ambiguous user, ...)."""


@dataclass(frozen=True)
class DeviceInfo:
    """One enrolled laptop as the admin sees it."""

    id: str
    name: str
    team: str
    user: str
    enrolled_at: dt.datetime
    revoked_at: dt.datetime | None


def create_team(session: Session, name: str) -> Team:
    """A new team, with its version counter at 0 (its versions are its own); names are
    unique."""
    name = name.strip()
    if not name:
        raise AdminError("a team needs a name")
    if session.scalar(select(Team).where(Team.name == name)) is not None:
        raise AdminError(f"a team called {name!r} already exists")
    team = Team(name=name)
    session.add(team)
    session.flush()
    session.add(TeamVersionCounter(team_id=team.id, value=0))
    session.flush()
    return team


def find_team(session: Session, name_or_id: str) -> Team:
    """The team with this id or name."""
    team = session.scalar(select(Team).where((Team.id == name_or_id) | (Team.name == name_or_id)))
    if team is None:
        raise AdminError(f"no team {name_or_id!r}")
    return team


def create_user(session: Session, team: str, name: str, role: str) -> StoreUser:
    """A new user in ``team`` (name or id) with ``role``."""
    try:
        role_value = Role(role).value
    except ValueError:
        known = ", ".join(r.value for r in Role)
        raise AdminError(f"unknown role {role!r} (one of {known})") from None
    if not name.strip():
        raise AdminError("a user needs a name")
    user = StoreUser(name=name.strip(), team_id=find_team(session, team).id, role=role_value)
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


def issue_enrolment_code(session: Session, user: str, hours: int = DEFAULT_CODE_HOURS) -> str:
    """A one-time code for ``user`` valid for ``hours``; only its hash is stored."""
    if hours <= 0:
        raise AdminError("a code must be valid for at least one hour")
    code = tokens.new_enrolment_code()
    session.add(EnrolmentCode(
        code_hash=tokens.digest(code), user_id=find_user(session, user).id,
        expires_at=utc_now() + dt.timedelta(hours=hours),
    ))
    session.flush()
    return code


def list_devices(session: Session, team: str | None = None) -> list[DeviceInfo]:
    """Every enrolled device (of one team if given), oldest first."""
    query = (
        select(Device, Team.name, StoreUser.name)
        .join(Team, Team.id == Device.team_id)
        .join(StoreUser, StoreUser.id == Device.user_id)
        .order_by(Device.enrolled_at, Device.id)
    )
    if team is not None:
        query = query.where(Device.team_id == find_team(session, team).id)
    return [
        DeviceInfo(d.id, d.name, team_name, user_name, d.enrolled_at, d.revoked_at)
        for d, team_name, user_name in session.execute(query)
    ]


def revoke_device(session: Session, device_id: str) -> bool:
    """Revoke a device for good; False if it was already revoked."""
    if session.get(Device, device_id) is None:
        raise AdminError(f"no device {device_id!r}")
    result = session.execute(
        update(Device).where(Device.id == device_id, Device.revoked_at.is_(None))
        .values(revoked_at=utc_now())
    )
    return bool(result.rowcount)  # type: ignore[attr-defined]
