"""Enrolment codes, as the central store's admin issues and manages them.

A code is for one user, valid for a while (``DEFAULT_CODE_HOURS``, at most
``MAX_CODE_HOURS``), and enrols one laptop; only its hash is stored, and its first group
(against which wrong codes are counted). Like ``sync_server/admin.py``, these are plain
functions on a session that raise ``AdminError`` for a mistake the admin can fix and leave
the audit trail to the caller. A code is never deleted: it is used, it expires, or it is
withdrawn (by hand, or with the others when its user is deactivated).
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import Row, Select, select, update
from sqlalchemy.orm import Session

from sync_server import tokens
from sync_server.admin import AdminError, find_team, lock_user
from sync_server.models import ConsoleAccount, Device, EnrolmentCode, StoreUser, Team, utc_now

DEFAULT_CODE_HOURS = 72
MIN_CODE_HOURS = 1
MAX_CODE_HOURS = 30 * 24  # 30 days: a code left lying about longer is a risk, not a help


class CodeState(enum.StrEnum):
    """Where an enrolment code stands."""

    ACTIVE = "active"
    USED = "used"
    EXPIRED = "expired"
    WITHDRAWN = "withdrawn"


@dataclass(frozen=True)
class CodeInfo:
    """An enrolment code as the admin sees it (never the code: only its first group)."""

    id: str
    prefix: str | None
    user_id: str
    user: str
    team: str
    created_at: dt.datetime
    expires_at: dt.datetime
    used_at: dt.datetime | None
    device_id: str | None
    device_name: str | None
    issued_by: str | None  # the console account's id; None from the command line
    issued_by_name: str | None
    failed_attempts: int
    withdrawn_at: dt.datetime | None
    state: CodeState


@dataclass(frozen=True)
class IssuedCode:
    """A code just issued: shown once, with what it is for."""

    code: str
    id: str
    user_id: str
    user: str
    expires_at: dt.datetime


def issue_enrolment_code(session: Session, user: str, hours: int = DEFAULT_CODE_HOURS,
                         issued_by: str | None = None) -> str:
    """A one-time code for ``user`` valid for ``hours``; only its hash (and its first group,
    against which wrong codes are counted) is stored. ``issued_by``: the console account,
    None from the command line."""
    return issue_code(session, user, hours, issued_by).code


def issue_code(session: Session, user: str, hours: int = DEFAULT_CODE_HOURS,
               issued_by: str | None = None) -> IssuedCode:
    """``issue_enrolment_code`` with the code's id and expiry (the console shows both).
    Locks the user's row first (``lock_user``): a deactivation at the same moment either
    comes first (the code is refused) or waits and withdraws it."""
    if not MIN_CODE_HOURS <= hours <= MAX_CODE_HOURS:
        raise AdminError(f"a code can be valid for {MIN_CODE_HOURS} hour to {MAX_CODE_HOURS} "
                         f"hours (30 days), not {hours}")
    found = lock_user(session, user)  # until the code is stored: see lock_user
    if found.deactivated_at is not None:
        raise AdminError(f"{found.name} is deactivated: reactivate them before issuing a code")
    code = tokens.new_enrolment_code()
    row = EnrolmentCode(code_hash=tokens.digest(code), user_id=found.id,
                        expires_at=utc_now() + dt.timedelta(hours=hours),
                        prefix=code.split("-", 1)[0], issued_by=issued_by)
    session.add(row)
    session.flush()
    return IssuedCode(code, row.id, found.id, found.name, row.expires_at)


def _code_state(code: EnrolmentCode, now: dt.datetime) -> CodeState:
    if code.used_at is not None:
        return CodeState.USED
    if code.withdrawn_at is not None:
        return CodeState.WITHDRAWN
    if code.expires_at <= now:
        return CodeState.EXPIRED
    return CodeState.ACTIVE


def _codes_query(now: dt.datetime, team_id: str | None = None,
                 state: CodeState | None = None
                 ) -> Select[EnrolmentCode, str, str, str | None, str | None]:
    query = (select(EnrolmentCode, StoreUser.name, Team.name, Device.name,
                    ConsoleAccount.display_name)
             .join(StoreUser, StoreUser.id == EnrolmentCode.user_id)
             .join(Team, Team.id == StoreUser.team_id)
             .outerjoin(Device, Device.id == EnrolmentCode.device_id)
             .outerjoin(ConsoleAccount, ConsoleAccount.id == EnrolmentCode.issued_by)
             .order_by(EnrolmentCode.created_at.desc(), EnrolmentCode.id))
    if team_id is not None:
        query = query.where(StoreUser.team_id == team_id)
    unused = EnrolmentCode.used_at.is_(None)
    live = (unused, EnrolmentCode.withdrawn_at.is_(None))
    if state is CodeState.USED:
        query = query.where(EnrolmentCode.used_at.is_not(None))
    elif state is CodeState.WITHDRAWN:
        query = query.where(unused, EnrolmentCode.withdrawn_at.is_not(None))
    elif state is CodeState.EXPIRED:
        query = query.where(*live, EnrolmentCode.expires_at <= now)
    elif state is CodeState.ACTIVE:
        query = query.where(*live, EnrolmentCode.expires_at > now)
    return query


def _code_info(row: Row[EnrolmentCode, str, str, str | None, str | None], now: dt.datetime
               ) -> CodeInfo:
    code, user_name, team_name, device_name, issuer = row
    return CodeInfo(code.id, code.prefix, code.user_id, user_name, team_name, code.created_at,
                    code.expires_at, code.used_at, code.device_id, device_name,
                    code.issued_by, issuer, code.failed_attempts, code.withdrawn_at,
                    _code_state(code, now))


def list_codes(session: Session, team: str | None = None, state: CodeState | None = None,
               limit: int | None = None) -> list[CodeInfo]:
    """Enrolment codes, newest first (of one team, in one state, if given): who each is
    for, who issued it, what it enrolled, how many wrong codes matched its first group."""
    now = utc_now()
    team_id = find_team(session, team).id if team is not None else None
    query = _codes_query(now, team_id, state)
    if limit is not None:
        query = query.limit(limit)
    return [_code_info(row, now) for row in session.execute(query)]


def get_code(session: Session, code_id: str) -> CodeInfo:
    """One enrolment code by id, as ``list_codes`` shows it."""
    now = utc_now()
    row = session.execute(_codes_query(now).where(EnrolmentCode.id == code_id)).first()
    if row is None:
        raise AdminError("no such enrolment code (it may have been given a wrong link)")
    return _code_info(row, now)


def withdraw_code(session: Session, code_id: str) -> CodeInfo:
    """Withdraw an unspent code by hand (it is refused from now on, even typed right); the
    code as it was. AdminError for a code that is used or already withdrawn."""
    before = get_code(session, code_id)
    if before.state is CodeState.USED:
        raise AdminError("that code has already enrolled a laptop: revoke the laptop instead")
    if before.state is CodeState.WITHDRAWN:
        raise AdminError("that code was already withdrawn")
    session.execute(update(EnrolmentCode)
                    .where(EnrolmentCode.id == code_id, EnrolmentCode.used_at.is_(None),
                           EnrolmentCode.withdrawn_at.is_(None))
                    .values(withdrawn_at=utc_now())
                    .execution_options(synchronize_session=False))
    return before
