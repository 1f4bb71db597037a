"""The console's IT pages (issue 21): teams, users, devices and enrolment codes, for
``it_admin`` accounts only.

Each page is a GET; each change is a POST with the session's CSRF token (``web.form``)
that answers with a redirect (303) to a GET page saying what was done, except issuing an
enrolment code: the code is shown once, in the POST's own answer, and never again.
Deactivating or reactivating a user, revoking a laptop and withdrawing a code first show a
confirmation page (a GET with the POST form on it), so nothing needs JavaScript. A form
refused for bad input comes back with the message and everything typed (status 400).
Every change is in the store's audit trail (``web.audit``, console chain), in the
transaction that made it. The work itself is ``sync_server.admin``'s, as for the CLI.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' Annotated
# dependencies at definition time, and they name functions local to ``add_pages``.
from collections.abc import Callable, Mapping
from typing import Annotated, Any, TypeVar

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy import select
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData

from sync_server import admin, admin_codes
from sync_server.admin import AdminError, DeviceState
from sync_server.admin_codes import CodeState
from sync_server.console.it_actions import (
    ROLE_LABELS,
    UNITS,
    NotThere,
    Problem,
    create_team,
    create_user,
    issue,
    revoke,
    set_user_active,
    withdraw,
)
from sync_server.console.web import ConsoleError, ConsoleWeb, Operator
from sync_server.models import Device, EnrolmentCode, StoreUser, Team

PREFIX = "/console"
T = TypeVar("T")

DEVICE_STATES = {  # how a state is written in a link (?state=...) and shown
    "active": (DeviceState.ACTIVE, "Active"),
    "revoked": (DeviceState.REVOKED, "Revoked"),
    "user-deactivated": (DeviceState.USER_DEACTIVATED, "User deactivated"),
}
CODE_STATES = {state.value: state for state in CodeState}
CODE_LIST_LIMIT = 500  # newest first; older codes stay in the database

NO_USER = "That user is not on the store (it may have been given a wrong link)."
NO_DEVICE = "That laptop is not on the store (it may have been given a wrong link)."
NO_CODE = "That enrolment code is not on the store (it may have been given a wrong link)."


def _search(typed: str) -> str:
    """A name search from a link, as typed but trimmed and cut to a name's length."""
    return typed.strip()[:admin.NAME_LENGTH]


def _field(form: FormData, name: str, limit: int = 400) -> str:
    """A posted text field as typed (cut at ``limit``; never a file)."""
    value = form.get(name)
    return value[:limit] if isinstance(value, str) else ""


# ----------------------------------------------------------------------------- reading


def _teams(db: Session) -> list[Team]:
    return list(db.scalars(select(Team).order_by(Team.name)))


def _users_by_team(db: Session, *, active_only: bool = False
                   ) -> list[tuple[str, list[StoreUser]]]:
    """Users by team, (team name, users), for a select: every user (a filter), or only
    those who may be issued a code (``active_only``)."""
    query = select(StoreUser).order_by(StoreUser.name, StoreUser.id)
    if active_only:
        query = query.where(StoreUser.deactivated_at.is_(None))
    grouped: dict[str, list[StoreUser]] = {}
    names = {t.id: t.name for t in _teams(db)}
    for user in db.scalars(query):
        grouped.setdefault(names[user.team_id], []).append(user)
    return sorted(grouped.items())


def _team_id(db: Session, given: str) -> str | None:
    """A team filter from a link: the team's id, or None for every team (or an unknown one,
    which the page then says)."""
    if not given:
        return None
    team = db.get(Team, given)
    return team.id if team is not None else None


def _user_id(db: Session, given: str) -> str | None:
    """A user filter from a link: the user's id, or None for every user (or an unknown
    one, which the page then says)."""
    if not given:
        return None
    user = db.get(StoreUser, given)
    return user.id if user is not None else None


# ----------------------------------------------------------------------------- notices
# What a redirect's link asks the next page to say is checked against the store first: a
# link can be typed, bookmarked or replayed, and the page must not say a laptop was revoked
# or a user deactivated when the database says otherwise.


def _revoked_notice(db: Session, device_id: str) -> str:
    """The "<laptop> was revoked" notice, only if the store holds that laptop as revoked."""
    if not device_id:
        return ""
    device = db.get(Device, device_id)
    if device is None or device.revoked_at is None:
        return ""
    return f"{device.name} was revoked: the store refuses it from its next request, for good."


def _user_notice(user: admin.UserInfo, done: str) -> str:
    """What was done to ``user``, only if the store holds them so (a user "deactivated"
    who is active, or "reactivated" who is not, is not said to be)."""
    if done == "added":
        return ("The user was added. Issue an enrolment code for their laptop when they are "
                "ready to enrol it.")
    if done == "deactivated" and not user.active:
        return ("The user was deactivated: their laptops are refused from their next sync "
                "and keep every unsent change.")
    if done == "reactivated" and user.active:
        return "The user was reactivated: their laptops sync again and send what waited."
    return ""


# ----------------------------------------------------------------------------- pages


class ItPages:
    """The page builders: each opens its own session, so GET handlers (run on a worker
    thread by FastAPI) call them directly and async POST handlers through
    ``run_in_threadpool``."""

    def __init__(self, web: ConsoleWeb) -> None:
        self.web = web

    def read(self, work: Callable[[Session], T]) -> T:
        with self.web.factory() as db:
            return work(db)

    def change(self, work: Callable[[Session], T]) -> T:
        with self.web.factory.begin() as db:
            return work(db)

    def show(self, request: Request, operator: Operator, template: str, status_code: int,
             **context: Any) -> HTMLResponse:
        return self.web.page(request, operator, template, status_code,
                             role_labels=ROLE_LABELS, **context)

    # ------------------------------------------------------------------ teams

    def teams(self, request: Request, operator: Operator, *, notice: str = "",
              problem: Problem | None = None, typed: Mapping[str, str] | None = None,
              status_code: int = 200) -> HTMLResponse:
        teams = self.read(admin.list_teams)
        return self.show(request, operator, "it/teams.html", status_code, teams=teams,
                         notice=notice, problem=problem, typed=typed or {})

    # ------------------------------------------------------------------ users

    def users(self, request: Request, operator: Operator, *, team: str = "",
              show: str = "all", search: str = "", notice: str = "",
              problem: Problem | None = None, typed: Mapping[str, str] | None = None,
              status_code: int = 200) -> HTMLResponse:
        def work(db: Session) -> dict[str, Any]:
            team_id = _team_id(db, team)
            users = admin.list_users(db, team_id, include_deactivated=show != "active",
                                     search=search)
            return {"users": users, "teams": _teams(db), "team_id": team_id or "",
                    "unknown_team": bool(team) and team_id is None}

        found = self.read(work)
        return self.show(request, operator, "it/users.html", status_code, show=show,
                         search=search, roles=list(ROLE_LABELS.items()), notice=notice,
                         problem=problem, typed=typed or {"team": found["team_id"]}, **found)

    def user(self, request: Request, operator: Operator, user_id: str, *,
             done: str = "") -> HTMLResponse:
        def work(db: Session) -> dict[str, Any]:
            try:
                user = admin.get_user(db, user_id)
            except AdminError:
                raise NotThere() from None
            return {"user": user, "devices": admin.list_devices(db, user.team_id, user=user.id),
                    "codes": [c for c in admin_codes.list_codes(db, user.team_id)
                              if c.user_id == user.id]}

        found = self.read(work)
        return self.show(request, operator, "it/user.html", 200,
                         notice=_user_notice(found["user"], done), **found)

    def confirm_user(self, request: Request, operator: Operator, user_id: str,
                     verb: str) -> HTMLResponse:
        def work(db: Session) -> dict[str, Any]:
            try:
                user = admin.get_user(db, user_id)
            except AdminError:
                raise NotThere() from None
            return {"user": user,
                    "codes": [c for c in admin_codes.list_codes(db, user.team_id, CodeState.ACTIVE)
                              if c.user_id == user.id]}

        found = self.read(work)
        return self.show(request, operator, f"it/confirm_{verb}.html", 200, **found)

    # ------------------------------------------------------------------ devices

    def devices(self, request: Request, operator: Operator, *, team: str = "",
                state: str = "", user: str = "", search: str = "",
                revoked: str = "") -> HTMLResponse:
        chosen = DEVICE_STATES.get(state)

        def work(db: Session) -> dict[str, Any]:
            team_id, user_id = _team_id(db, team), _user_id(db, user)
            return {"devices": admin.list_devices(db, team_id, chosen[0] if chosen else None,
                                                  user_id, search=search),
                    "teams": _teams(db), "team_id": team_id or "",
                    "unknown_team": bool(team) and team_id is None,
                    "users_by_team": _users_by_team(db), "user_id": user_id or "",
                    "unknown_user": bool(user) and user_id is None,
                    "notice": _revoked_notice(db, revoked)}

        return self.show(request, operator, "it/devices.html", 200, search=search,
                         state=state if chosen else "", states=DEVICE_STATES, **self.read(work))

    def confirm_revoke(self, request: Request, operator: Operator,
                       device_id: str) -> HTMLResponse:
        def work(db: Session) -> admin.DeviceInfo:
            try:
                return admin.get_device(db, device_id)
            except AdminError:
                raise NotThere() from None

        return self.show(request, operator, "it/confirm_revoke.html", 200,
                         device=self.read(work))

    # ------------------------------------------------------------------ codes

    def codes(self, request: Request, operator: Operator, *, team: str = "", state: str = "",
              notice: str = "", problem: Problem | None = None,
              typed: Mapping[str, str] | None = None, status_code: int = 200,
              issued: admin_codes.IssuedCode | None = None) -> HTMLResponse:
        chosen = CODE_STATES.get(state)

        def work(db: Session) -> dict[str, Any]:
            team_id = _team_id(db, team)
            return {"codes": admin_codes.list_codes(db, team_id, chosen, limit=CODE_LIST_LIMIT),
                    "teams": _teams(db), "team_id": team_id or "",
                    "unknown_team": bool(team) and team_id is None,
                    "users_by_team": _users_by_team(db, active_only=True)}

        values = {"amount": "3", "unit": "days", **(typed or {})}
        return self.show(request, operator, "it/enrolment_codes.html", status_code,
                         notice=notice, problem=problem, typed=values, issued=issued,
                         state=state if chosen else "", states=list(CODE_STATES),
                         units=list(UNITS), limit=CODE_LIST_LIMIT, **self.read(work))

    def confirm_withdraw(self, request: Request, operator: Operator,
                         code_id: str) -> HTMLResponse:
        def work(db: Session) -> admin_codes.CodeInfo:
            try:
                return admin_codes.get_code(db, code_id)
            except AdminError:
                raise NotThere() from None

        return self.show(request, operator, "it/confirm_withdraw.html", 200,
                         code=self.read(work))


# ----------------------------------------------------------------------------- routes


def _see(path: str) -> RedirectResponse:
    return RedirectResponse(f"{PREFIX}{path}", status_code=303)


def add_pages(router: APIRouter, web: ConsoleWeb) -> None:
    """Adds the IT pages to the console router (it_admin only)."""
    pages = ItPages(web)
    _add_teams(router, web, pages)
    _add_users(router, web, pages)
    _add_devices(router, web, pages)
    _add_codes(router, web, pages)


def _add_teams(router: APIRouter, web: ConsoleWeb, pages: ItPages) -> None:
    @router.get("/teams", response_class=HTMLResponse)
    def teams(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
              created: str = "") -> Response:
        notice = ""
        if created:
            team = pages.read(lambda db: db.get(Team, created))
            notice = f"Team {team.name} was added." if team is not None else ""
        return pages.teams(request, operator, notice=notice)

    @router.post("/teams", response_class=HTMLResponse)
    async def add_team(request: Request,
                       operator: Annotated[Operator, Depends(web.it_admin)]) -> Response:
        form = await web.form(request, operator)
        name = _field(form, "name")
        done = await run_in_threadpool(create_team, web, operator, name)
        if isinstance(done, Problem):
            return await run_in_threadpool(lambda: pages.teams(
                request, operator, problem=done, typed={"name": name}, status_code=400))
        return _see(f"/teams?created={done}")


def _add_users(router: APIRouter, web: ConsoleWeb, pages: ItPages) -> None:
    @router.get("/users", response_class=HTMLResponse)
    def users(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
              team: str = "", show: str = "all", q: str = "") -> Response:
        return pages.users(request, operator, team=team, show=show, search=_search(q))

    @router.post("/users", response_class=HTMLResponse)
    async def add_user(request: Request,
                       operator: Annotated[Operator, Depends(web.it_admin)]) -> Response:
        form = await web.form(request, operator)
        typed = {"team": _field(form, "team", 36), "name": _field(form, "name"),
                 "role": _field(form, "role", 40)}
        done = await run_in_threadpool(create_user, web, operator, typed["team"],
                                       typed["name"], typed["role"])
        if isinstance(done, Problem):
            return await run_in_threadpool(lambda: pages.users(
                request, operator, problem=done, typed=typed, status_code=400))
        return _see(f"/users/{done}?done=added")

    @router.get("/users/{user_id}", response_class=HTMLResponse)
    def user(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
             user_id: str, done: str = "") -> Response:
        try:
            return pages.user(request, operator, user_id, done=done)
        except NotThere:
            raise ConsoleError(404, NO_USER) from None

    for verb, active in (("deactivate", False), ("reactivate", True)):
        _add_user_toggle(router, web, pages, verb, active)


def _add_user_toggle(router: APIRouter, web: ConsoleWeb, pages: ItPages, verb: str,
                     active: bool) -> None:
    @router.get(f"/users/{{user_id}}/{verb}", response_class=HTMLResponse,
                name=f"confirm_{verb}")
    def confirm(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
                user_id: str) -> Response:
        try:
            return pages.confirm_user(request, operator, user_id, verb)
        except NotThere:
            raise ConsoleError(404, NO_USER) from None

    @router.post(f"/users/{{user_id}}/{verb}", response_class=HTMLResponse, name=verb)
    async def toggle(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
                     user_id: str) -> Response:
        await web.form(request, operator)
        try:
            await run_in_threadpool(set_user_active, web, operator, user_id, active)
        except NotThere:
            raise ConsoleError(404, NO_USER) from None
        return _see(f"/users/{user_id}?done={verb}d")


def _add_devices(router: APIRouter, web: ConsoleWeb, pages: ItPages) -> None:
    @router.get("/devices", response_class=HTMLResponse)
    def devices(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
                team: str = "", state: str = "", user: str = "", q: str = "",
                revoked: str = "") -> Response:
        return pages.devices(request, operator, team=team, state=state, user=user,
                             search=_search(q), revoked=revoked)

    @router.get("/devices/{device_id}/revoke", response_class=HTMLResponse)
    def confirm_revoke(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
                       device_id: str) -> Response:
        try:
            return pages.confirm_revoke(request, operator, device_id)
        except NotThere:
            raise ConsoleError(404, NO_DEVICE) from None

    @router.post("/devices/{device_id}/revoke", response_class=HTMLResponse)
    async def revoke_device(request: Request,
                            operator: Annotated[Operator, Depends(web.it_admin)],
                            device_id: str) -> Response:
        await web.form(request, operator)
        try:
            await run_in_threadpool(revoke, web, operator, device_id)
        except NotThere:
            raise ConsoleError(404, NO_DEVICE) from None
        return _see(f"/devices?revoked={device_id}")


def _add_codes(router: APIRouter, web: ConsoleWeb, pages: ItPages) -> None:
    @router.get("/enrolment-codes", response_class=HTMLResponse)
    def codes(request: Request, operator: Annotated[Operator, Depends(web.it_admin)],
              team: str = "", state: str = "", user: str = "", withdrawn: str = "") -> Response:
        notice = ""
        if withdrawn:
            code = pages.read(lambda db: db.get(EnrolmentCode, withdrawn))
            if code is not None and code.withdrawn_at is not None:
                notice = (f"The code starting {code.prefix} was withdrawn: it is refused "
                          "from now on, even typed right.")
        return pages.codes(request, operator, team=team, state=state, notice=notice,
                           typed={"user": user})

    @router.post("/enrolment-codes", response_class=HTMLResponse)
    async def issue_code(request: Request,
                         operator: Annotated[Operator, Depends(web.it_admin)]) -> Response:
        form = await web.form(request, operator)
        typed = {"user": _field(form, "user", 36), "amount": _field(form, "amount", 20),
                 "unit": _field(form, "unit", 10)}
        done = await run_in_threadpool(issue, web, operator, typed["user"], typed["amount"],
                                       typed["unit"])
        if isinstance(done, Problem):
            return await run_in_threadpool(lambda: pages.codes(
                request, operator, problem=done, typed=typed, status_code=400))
        # Shown once, in this answer (never stored, never in a link, never cached).
        return await run_in_threadpool(lambda: pages.codes(request, operator, issued=done))

    @router.get("/enrolment-codes/{code_id}/withdraw", response_class=HTMLResponse)
    def confirm_withdraw(request: Request,
                         operator: Annotated[Operator, Depends(web.it_admin)],
                         code_id: str) -> Response:
        try:
            return pages.confirm_withdraw(request, operator, code_id)
        except NotThere:
            raise ConsoleError(404, NO_CODE) from None

    @router.post("/enrolment-codes/{code_id}/withdraw", response_class=HTMLResponse)
    async def withdraw_code(request: Request,
                            operator: Annotated[Operator, Depends(web.it_admin)],
                            code_id: str) -> Response:
        await web.form(request, operator)
        try:
            done = await run_in_threadpool(withdraw, web, operator, code_id)
        except NotThere:
            raise ConsoleError(404, NO_CODE) from None
        if isinstance(done, Problem):
            return await run_in_threadpool(lambda: pages.codes(
                request, operator, problem=done, status_code=400))
        return _see(f"/enrolment-codes?withdrawn={done}")

