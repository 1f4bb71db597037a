"""What the console's IT pages change (issue 21): adding teams and users, deactivating and
reactivating users, revoking laptops, issuing and withdrawing enrolment codes.

Each function checks the form's values, does the work with ``sync_server.admin`` (as the
command line does) and records it on the store's audit trail as the signed-in operator's
action (``web.audit``, console chain) in the same transaction: a refused change records
nothing. A mistake the operator can put right comes back as a ``Problem`` (its message in
plain English and the field it is about); a link to something the store does not hold
raises ``NotThere`` (the 404 page). pages_it.py shows the pages and routes the forms here.
"""

from __future__ import annotations

import re
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select

from sync_server import admin, admin_codes
from sync_server.admin import AdminError
from sync_server.admin_codes import CodeState
from sync_server.console.web import ConsoleWeb, Operator
from sync_server.models import Role, StoreUser, Team

ROLE_LABELS = {  # the desktop app's words for the roles (desktop_app/ui/sign_in.py)
    Role.NURSE.value: "Community nurse",
    Role.TEAM_LEAD.value: "Team lead",
    Role.SOCIAL_CARE_PRACTITIONER.value: "Social care practitioner",
    Role.READ_ONLY.value: "Read-only (governance)",
}
UNITS = {"hours": 1, "days": 24}
_WHOLE = re.compile(r"[0-9]{1,6}").fullmatch


def sentence(message: str) -> str:
    """An ``AdminError``'s words (written for the command line) as a sentence."""
    text = message.strip()
    if not text:
        return text
    text = text[0].upper() + text[1:]
    return text if text.endswith((".", "!", "?")) else text + "."


@dataclass(frozen=True)
class Problem:
    """A form refused: the message, and which field it is about (for aria-describedby)."""

    message: str
    field: str | None = None


class NotThere(Exception):
    """A link to a team, user, device or code the store does not hold: the 404 page."""


def create_team(web: ConsoleWeb, operator: Operator, name: str) -> str | Problem:
    """The new team's id, or why not."""
    try:
        with web.factory.begin() as db:
            team = admin.create_team(db, name)
            web.audit(db, operator, "team_created", team_id=team.id,
                      detail={"team_name": team.name})
            return team.id
    except AdminError as err:
        return Problem(sentence(str(err)), "name")


def create_user(web: ConsoleWeb, operator: Operator, team_id: str, name: str,
                role: str) -> str | Problem:
    """The new user's id, or why not."""
    if not team_id:
        return Problem("Choose the team the user works in.", "team")
    if role not in ROLE_LABELS:
        return Problem("Choose the user's role.", "role")
    try:
        with web.factory.begin() as db:
            if db.get(Team, team_id) is None:
                return Problem("That team is no longer on the store; choose another.", "team")
            user = admin.create_user(db, team_id, name, role)
            web.audit(db, operator, "user_created", team_id=user.team_id, user_id=user.id,
                      detail={"role": user.role})
            return user.id
    except AdminError as err:
        return Problem(sentence(str(err)), "name")


def set_user_active(web: ConsoleWeb, operator: Operator, user_id: str,
                    active: bool) -> tuple[str, bool]:
    """Reactivate or deactivate; (the user's name, whether anything changed). The user's
    row is locked before the codes are counted (``admin.lock_user``), so the count is of
    the codes the deactivation withdraws, even one issued at the same moment."""
    with web.factory.begin() as db:
        if db.get(StoreUser, user_id) is None:
            raise NotThere()
        user = admin.lock_user(db, user_id)
        withdrawn = len([c for c in admin_codes.list_codes(db, user.team_id, CodeState.ACTIVE)
                         if c.user_id == user.id])
        if active:
            changed = admin.reactivate_user(db, user.id)
            detail: dict[str, Any] = {}
        else:
            changed = admin.deactivate_user(db, user.id)
            detail = {"codes_withdrawn": withdrawn}
        if changed:
            web.audit(db, operator, "user_reactivated" if active else "user_deactivated",
                      team_id=user.team_id, user_id=user.id, detail=detail)
        return user.name, changed


def revoke(web: ConsoleWeb, operator: Operator, device_id: str) -> tuple[str, bool]:
    """Revoke a laptop; (its name, whether anything changed)."""
    with web.factory.begin() as db:
        try:
            device = admin.get_device(db, device_id)
        except AdminError:
            raise NotThere() from None
        changed = admin.revoke_device(db, device_id)
        if changed:
            web.audit(db, operator, "device_revoked", team_id=device.team_id,
                      device_id=device.id, user_id=device.user_id,
                      detail={"device_name": device.name,
                              "pending_changes": device.pending_changes})
        return device.name, changed


def issue(web: ConsoleWeb, operator: Operator, user_id: str, amount: str,
          unit: str) -> admin_codes.IssuedCode | Problem:
    """A new code, or why not."""
    if not user_id:
        return Problem("Choose the user whose laptop the code is for.", "user")
    if not _WHOLE(amount.strip()):
        return Problem("Enter how long the code stays valid as a whole number, such as 3.",
                       "amount")
    if unit not in UNITS:
        return Problem("Choose hours or days.", "unit")
    hours = int(amount.strip()) * UNITS[unit]
    if not admin_codes.MIN_CODE_HOURS <= hours <= admin_codes.MAX_CODE_HOURS:
        return Problem(f"A code can be valid for 1 hour to 30 days; {amount.strip()} {unit} "
                       "is outside that.", "amount")
    try:
        with web.factory.begin() as db:
            user = db.get(StoreUser, user_id)
            if user is None:
                return Problem("That user is no longer on the store; choose another.", "user")
            issued = admin_codes.issue_code(db, user.id, hours, operator.account_id)
            web.audit(db, operator, "enrolment_code_issued", team_id=user.team_id,
                      user_id=user.id, detail={"code_id": issued.id, "hours": hours})
            return issued
    except AdminError as err:
        return Problem(sentence(str(err)), "user")


def withdraw(web: ConsoleWeb, operator: Operator, code_id: str) -> str | Problem:
    """Withdraw a code; its id, or why not."""
    try:
        with web.factory.begin() as db:
            code = admin_codes.withdraw_code(db, code_id)
            team_id = db.scalars(select(StoreUser.team_id)
                                 .where(StoreUser.id == code.user_id)).one()
            web.audit(db, operator, "enrolment_code_withdrawn", team_id=team_id,
                      user_id=code.user_id, detail={"code_id": code.id, "reason": "by hand"})
            return code.id
    except AdminError as err:
        if str(err).startswith("no such"):
            raise NotThere() from None
        return Problem(sentence(str(err)))
