"""The console's router: sign-in, sign-out, home, static files, then each area's pages
(pages_it, pages_framework, pages_reports, pages_audit) and a 404 for anything else.

Apart from web.py, which the page modules import for ``ConsoleWeb``, so that nothing in the
console imports itself round in a circle.
"""

# No `from __future__ import annotations`: FastAPI reads the routes' Annotated dependencies
# at definition time, and they name the factory's local ``web``.
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import FileResponse, HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sync_server.auth import client_address
from sync_server.config import Settings
from sync_server.console import (
    accounts,
    pages_audit,
    pages_framework,
    pages_it,
    pages_reports,
    sessions,
    sign_in,
)
from sync_server.console.web import (
    AREAS,
    EXPIRED,
    NOT_FOUND,
    PREFIX,
    SIGN_IN,
    STATIC,
    ConsoleError,
    ConsoleWeb,
    Operator,
    check_origin,
    same_secret,
)


def _cookie(response: Response, name: str, value: str, max_age: int | None) -> None:
    response.set_cookie(name, value, max_age=max_age, path="/", secure=True, httponly=True,
                        samesite="strict")


def _forget(response: Response, name: str) -> None:
    response.delete_cookie(name, path="/", secure=True, httponly=True, samesite="strict")


def _sign_in_page(web: ConsoleWeb, request: Request, presign: str, status_code: int = 200,
                  retry_after: int | None = None, **context: Any) -> HTMLResponse:
    values: dict[str, Any] = {"username": "", "error": "", "notice": ""}
    values.update(context)
    response = web.page(request, None, "sign_in.html", status_code, csrf_token=presign,
                        **values)
    _cookie(response, sessions.PRESIGN_COOKIE, presign, sessions.PRESIGN_SECONDS)
    if retry_after is not None:
        response.headers["Retry-After"] = str(retry_after)
    return response


_NOTICES = {"signed-out": "You have signed out.",
            "ended": "Your session ended; sign in again."}


def _wait(web: ConsoleWeb, username: str, address: str) -> sign_in.Wait | None:
    """The limits, checked before a sign-in may queue for the Argon2 gate."""
    with web.factory.begin() as db:
        return sign_in.wait_for(db, username, address, web.settings.sign_in_limits)


def _sign_out(web: ConsoleWeb, operator: Operator) -> None:
    with web.factory.begin() as db:
        sessions.end(db, operator.session_hash)
        web.audit(db, operator, "sign_out")


def _add_sign_in(router: APIRouter, web: ConsoleWeb) -> None:
    @router.get("/sign-in", response_class=HTMLResponse)
    def sign_in_form(request: Request, ended: str | None = None) -> Response:
        if web.current(request) is not None:
            return RedirectResponse(f"{PREFIX}/", status_code=303)
        presign = request.cookies.get(sessions.PRESIGN_COOKIE)
        if not sessions.looks_like_token(presign):
            presign = sessions.new_token()
        assert presign is not None
        notice = _NOTICES.get(ended or "", "")
        return _sign_in_page(web, request, presign, notice=notice)

    @router.post("/sign-in", response_class=HTMLResponse)
    async def sign_in_post(request: Request) -> Response:
        """The order matters (sign_in.py): nothing costly before the limits say yes."""
        check_origin(request)
        form = await request.form()
        presign = request.cookies.get(sessions.PRESIGN_COOKIE)
        if not sessions.looks_like_token(presign) or not same_secret(form.get("csrf_token"),
                                                                presign or ""):
            raise ConsoleError(403, EXPIRED, "Form refused")
        assert presign is not None
        username = str(form.get("username") or "").replace("\x00", "")[:200]
        password, code = str(form.get("password") or ""), str(form.get("code") or "")
        address = client_address(request.client.host if request.client else None)

        def again(status: int, message: str, retry_after: int | None = None) -> Response:
            # Shown again with the username typed, never the password or code.
            return _sign_in_page(web, request, presign, status, retry_after,
                                 username=username.strip(), error=message)

        if len(password) > accounts.MAX_PASSWORD:
            return again(400, f"A password is at most {accounts.MAX_PASSWORD} characters; "
                              "nothing was checked")
        limits = web.settings.sign_in_limits
        wait = await run_in_threadpool(_wait, web, username, address)
        if wait is not None:
            return again(429, wait.message, wait.seconds)
        try:
            async with web.gate.enter():
                outcome = await run_in_threadpool(
                    sign_in.attempt, web.factory, username, password, code, address, limits,
                    request.cookies.get(sessions.COOKIE))
        except sign_in.Busy:
            return again(503, sign_in.BUSY, sign_in.BUSY_SECONDS)
        if outcome.token is None:
            return again(outcome.status, outcome.message, outcome.retry_after)
        response = RedirectResponse(f"{PREFIX}/", status_code=303)
        _cookie(response, sessions.COOKIE, outcome.token, None)
        _forget(response, sessions.PRESIGN_COOKIE)
        return response

    @router.post("/sign-out")
    async def sign_out(request: Request,
                       operator: Annotated[Operator, Depends(web.signed_in)]) -> Response:
        await web.form(request, operator)
        await run_in_threadpool(_sign_out, web, operator)
        response = RedirectResponse(f"{SIGN_IN}?ended=signed-out", status_code=303)
        _forget(response, sessions.COOKIE)
        return response


def _add_home(router: APIRouter, web: ConsoleWeb) -> None:
    @router.get("/", response_class=HTMLResponse)
    def home(request: Request,
             operator: Annotated[Operator, Depends(web.signed_in)]) -> Response:
        return web.page(request, operator, "home.html", areas=AREAS[operator.role],
                        idle_minutes=web.settings.console_idle_minutes)


STATIC_TYPES = {".css": "text/css; charset=utf-8", ".png": "image/png",
                ".svg": "image/svg+xml"}


def _add_static(router: APIRouter) -> None:
    @router.get("/static/{name}")
    def static(name: str) -> Response:
        """The console's own files (a name in static/, nothing else)."""
        path = STATIC / name
        kind = STATIC_TYPES.get(path.suffix)
        if kind is None or "/" in name or name.startswith(".") or not path.is_file():
            raise ConsoleError(404, NOT_FOUND)
        return FileResponse(path, media_type=kind, headers={"Cache-Control": "no-cache"})


def _add_not_found(router: APIRouter, web: ConsoleWeb) -> None:
    @router.api_route("/{rest:path}", methods=["GET", "POST", "PUT", "PATCH", "DELETE"],
                      response_class=HTMLResponse)
    def not_found(request: Request, rest: str) -> Response:
        web.current(request)  # the nav shows when signed in
        raise ConsoleError(404, NOT_FOUND)


def console_router(settings: Settings, factory: sessionmaker[Session]) -> APIRouter:
    """The console's routes under ``/console`` (left out of the OpenAPI)."""
    web = ConsoleWeb(settings, factory)
    router = APIRouter(prefix=PREFIX, include_in_schema=False, route_class=web.route_class())
    _add_sign_in(router, web)
    _add_home(router, web)
    _add_static(router)
    pages_it.add_pages(router, web)
    pages_framework.add_pages(router, web)
    pages_reports.add_pages(router, web)
    pages_audit.add_pages(router, web)
    _add_not_found(router, web)
    return router
