"""Enrolling a laptop with a one-time code, and finding the device behind a bearer token."""

from __future__ import annotations

from dataclasses import dataclass

from sqlalchemy import select, update
from sqlalchemy.orm import Session

from sync_server import tokens
from sync_server.models import Device, EnrolmentCode, StoreUser, Team, utc_now


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
