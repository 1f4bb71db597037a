"""The console's core (issue 21): sign-in and sign-out, who is signed in, CSRF-checked
forms, page rendering, the error pages, and the security headers of every console response.

``console_router(settings, factory)`` builds the ``/console`` router the store's app
includes (``include_in_schema=False``: the OpenAPI stays the laptops' API). Page modules
(pages_it, pages_framework, pages_reports, pages_audit) add their routes to it through
``add_pages(router, web)`` and use ``ConsoleWeb``:

- ``web.it_admin`` / ``web.ipcb`` / ``web.signed_in``: dependencies giving the signed-in
  ``Operator``. No session (or an ended one) sends the browser to the sign-in page (303);
  a signed-in account of the wrong role gets the 403 page and nothing runs.
- **Every** POST (any method but GET and HEAD) to a console route other than
  ``/console/sign-in`` is checked by the route class before its handler runs, whatever
  the handler does: a live session (else 303 to sign-in), ``Sec-Fetch-Site`` and
  ``Origin`` (``check_origin``), and the form's ``csrf_token`` against the session's
  (compared in constant time); otherwise the 403 page "This form has expired ..." and
  nothing runs, not even the handler's dependencies. ``await web.form(request,
  operator)`` gives the handler that already-checked form.
- ``web.page(request, operator, "area/name.html", **context)``: a page from templates/,
  with ``operator``, ``csrf_token``, ``nav`` and ``role_name`` in its context.
- ``web.audit(db, operator, action, ...)``: the action on the store's audit trail, in
  ``db``'s transaction (sync_server/store_audit.py).
- ``ConsoleError(status, message)``: raise it from a handler for an error page.

Every response under ``/console`` (pages, redirects, error pages, 404s, the stylesheet,
and the 413 of a body over its limit) carries a strict Content-Security-Policy (no
scripts at all), ``X-Content-Type-Options: nosniff``, ``Referrer-Policy: same-origin``
(so the browser's ``Origin`` on the console's own forms is the console's, and ``null``
can be refused), ``X-Frame-Options: DENY``, ``Strict-Transport-Security`` (a year: once
a browser has seen the console over HTTPS it never uses plain http for it) and, unless it
says otherwise, ``Cache-Control: no-store`` (``ConsoleHeadersMiddleware``). Sessions and
the sign-in form's CSRF: sessions.py; accounts, passwords and TOTP: accounts.py; signing
in and its limits: sign_in.py.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' Annotated
# dependencies at definition time, and they name functions local to the factory.
import datetime as dt
import hmac
import logging
from collections.abc import Awaitable, Callable, Coroutine, Iterator, Mapping, MutableMapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit
from zoneinfo import ZoneInfo

from fastapi import HTTPException, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from fastapi.routing import APIRoute
from jinja2 import Environment, FileSystemLoader, select_autoescape
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, MutableHeaders

from sync_server import store_audit
from sync_server.config import Settings
from sync_server.console import accounts, sessions, sign_in
from sync_server.models import utc_now

log = logging.getLogger(__name__)

PREFIX = "/console"
SIGN_IN = f"{PREFIX}/sign-in"
HERE = Path(__file__).resolve().parent
TEMPLATES = HERE / "templates"
STATIC = HERE / "static"
LONDON = ZoneInfo("Europe/London")

CSP = ("default-src 'none'; style-src 'self'; img-src 'self'; form-action 'self'; "
       "frame-ancestors 'none'; base-uri 'none'")
SECURITY_HEADERS = {
    "Content-Security-Policy": CSP,
    "X-Content-Type-Options": "nosniff",
    "Referrer-Policy": "same-origin",
    "X-Frame-Options": "DENY",
    "Strict-Transport-Security": "max-age=31536000",
}
SAFE_METHODS = ("GET", "HEAD")
# What a browser says in Sec-Fetch-Site of a request the console may act on: its own page
# ("same-origin"), or the person's own doing, a bookmark or typed address ("none").
OWN_FETCH_SITES = ("same-origin", "none")
EXPIRED = ("This form has expired or did not come from the console; nothing was changed. "
           "Go back, reload and try again.")
NOT_FOUND = "There is no such page in the console."
UNAVAILABLE = "The central store's database is unavailable; nothing was changed. Try again later."
BROKEN = "Something went wrong in the console; it has been logged. Nothing more was changed."

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


def is_console_path(path: str) -> bool:
    """True for ``/console`` and everything under it."""
    return path == PREFIX or path.startswith(PREFIX + "/")


class ConsoleHeadersMiddleware:
    """Puts the console's security headers on every response under ``/console``, whatever
    made it (a page, a redirect, an error, the store's own 413), and ``no-store`` on any
    that does not set its own caching."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http" or not is_console_path(scope["path"]):
            await self.app(scope, receive, send)
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                headers = MutableHeaders(scope=message)
                for name, value in SECURITY_HEADERS.items():
                    headers[name] = value
                if "cache-control" not in headers:
                    headers["Cache-Control"] = "no-store"
            await send(message)

        await self.app(scope, receive, stamped)


# ----------------------------------------------------------------------------- helpers


def uk_datetime(value: dt.datetime | None, seconds: bool = False) -> str:
    """A moment as people in England read it: ``05/03/2025 14:07`` (Europe/London; with
    ``seconds``, ``05/03/2025 14:07:09``)."""
    if value is None:
        return ""
    return value.astimezone(LONDON).strftime("%d/%m/%Y %H:%M:%S" if seconds
                                             else "%d/%m/%Y %H:%M")


def uk_date(value: dt.datetime | dt.date | None) -> str:
    """A date as ``05/03/2025`` (a moment is taken in Europe/London)."""
    if value is None:
        return ""
    if isinstance(value, dt.datetime):
        value = value.astimezone(LONDON).date()
    return value.strftime("%d/%m/%Y")


def ago(value: dt.datetime | None, now: dt.datetime | None = None) -> str:
    """How long ago, in words: ``just now``, ``5 minutes ago``, ``3 hours ago``, ``2 days
    ago``; empty for None."""
    if value is None:
        return ""
    seconds = int(((now or utc_now()) - value).total_seconds())
    if seconds < 60:
        return "just now"
    for size, unit in ((86400, "day"), (3600, "hour"), (60, "minute")):
        if seconds >= size:
            count = seconds // size
            return f"{count} {unit}{'s' if count != 1 else ''} ago"
    return "just now"  # pragma: no cover - the loop always answers


@dataclass(frozen=True)
class Operator:
    """Who is signed in to this request."""

    account_id: str
    username: str
    display_name: str
    role: str  # 'it_admin' | 'ipcb_governance'
    session_hash: str
    csrf_token: str

    @property
    def role_name(self) -> str:
        """The role as people say it ("IT administrator")."""
        return accounts.role_name(self.role)


class ConsoleError(Exception):
    """Raise from a console handler (or dependency) to answer with the error page."""

    def __init__(self, status_code: int, message: str, title: str | None = None) -> None:
        super().__init__(message)
        self.status_code = status_code
        self.message = message
        self.title = title or _TITLES.get(status_code, "Something went wrong")


_TITLES = {400: "Not understood", 403: "Not allowed", 404: "Page not found",
           413: "Too large", 503: "Database unavailable", 500: "Something went wrong"}


class _SignInNeeded(Exception):
    """No live session: the browser is sent to the sign-in page."""


# What each role may use: (path, nav label, what the home page says it does).
AREAS: dict[str, list[tuple[str, str, str]]] = {
    "it_admin": [
        (f"{PREFIX}/teams", "Teams", "Add Integrated Neighbourhood Teams and see how many "
         "users and laptops each has."),
        (f"{PREFIX}/users", "Users", "Add the people who enrol laptops; deactivate someone "
         "who leaves (their laptops stop syncing for them; nothing is lost)."),
        (f"{PREFIX}/devices", "Devices", "Every enrolled laptop: last seen, app version, "
         "changes waiting; revoke a lost or retired one."),
        (f"{PREFIX}/enrolment-codes", "Enrolment codes", "Issue one-time codes to enrol a "
         "laptop; see which were used, expired or withdrawn."),
        (f"{PREFIX}/audit", "Audit", "Who did what on the store, and whether its audit "
         "trail holds."),
    ],
    "ipcb_governance": [
        (f"{PREFIX}/framework", "Framework", "Publish a new delegation flow or task "
         "catalogue version, and see which laptops hold which version."),
        (f"{PREFIX}/reports", "Reports", "The governance reports across every team, with "
         "small numbers suppressed; download as CSV."),
        (f"{PREFIX}/problems", "Problems", "Framework problems staff reported from their "
         "laptops."),
        (f"{PREFIX}/audit", "Audit", "Who did what on the store, and whether its audit "
         "trail holds."),
    ],
}


def own_origin(request: Request) -> str:
    """The console's origin as the browser sees it (scheme and host of this request;
    behind a proxy, uvicorn's ``--forwarded-allow-ips`` makes the scheme right)."""
    return f"{request.url.scheme}://{request.url.netloc}".lower()


def check_origin(request: Request) -> None:
    """403 for a post that a browser says came from elsewhere: a ``Sec-Fetch-Site`` header
    other than ``same-origin`` or ``none`` (every current browser sends it; a sibling
    subdomain is ``same-site``, which is refused too), or an ``Origin`` header that is not
    the console's own, ``null`` included (under the console's ``Referrer-Policy:
    same-origin`` a browser sends the real origin on the console's own forms, and ``null``
    when a page elsewhere, a sandboxed frame or a ``data:`` URL posts). A request with
    neither header (not a browser) is left to the CSRF token, which is what proves a form
    came from the console."""
    site = (request.headers.get("sec-fetch-site") or "").strip().lower()
    if site and site not in OWN_FETCH_SITES:
        raise ConsoleError(403, EXPIRED, "Form refused")
    origin = (request.headers.get("origin") or "").strip().lower()
    if not origin:
        return
    parts = urlsplit(origin)
    if origin == "null" or f"{parts.scheme}://{parts.netloc}" != own_origin(request):
        raise ConsoleError(403, EXPIRED, "Form refused")


def same_secret(given: object, expected: str) -> bool:
    return isinstance(given, str) and hmac.compare_digest(given.encode(), expected.encode())


class ConsoleWeb:
    """What every console page stands on (see the module docstring)."""

    def __init__(self, settings: Settings, factory: sessionmaker[Session]) -> None:
        self.settings = settings
        self.factory = factory
        self.idle = dt.timedelta(minutes=settings.console_idle_minutes)
        self.templates = Environment(loader=FileSystemLoader(str(TEMPLATES)),
                                     autoescape=select_autoescape(["html", "xml"]),
                                     trim_blocks=True,
                                     lstrip_blocks=True)
        self.templates.filters.update(uk_datetime=uk_datetime, uk_date=uk_date, ago=ago)
        self.templates.globals.update(role_name=accounts.role_name, prefix=PREFIX)
        self.signed_in = self._needs(None)
        self.it_admin = self._needs("it_admin")
        self.ipcb = self._needs("ipcb_governance")
        self.gate = sign_in.Gate()  # the process's Argon2 verifications (sign_in.py)

    # ------------------------------------------------------------------ dependencies

    def db(self) -> Iterator[Session]:
        """A session for the request (the handler opens ``with db.begin():`` itself)."""
        with self.factory() as session:
            yield session

    def current(self, request: Request) -> Operator | None:
        """The signed-in operator of this request, or None (looked up once per request;
        the session's last_seen_at moves on, an expired session is ended)."""
        if hasattr(request.state, "console_operator"):
            found: Operator | None = request.state.console_operator
            return found
        token = request.cookies.get(sessions.COOKIE)
        operator = None
        if sessions.looks_like_token(token):
            with self.factory.begin() as db:
                live = sessions.find(db, token, self.idle)
                if live is not None:
                    a, s = live.account, live.session
                    operator = Operator(a.id, a.username, a.display_name, a.role,
                                        s.token_hash, s.csrf_token)
        request.state.console_operator = operator
        return operator

    def _needs(self, role: str | None) -> Callable[..., Operator]:
        def dependency(request: Request) -> Operator:
            operator = self.current(request)
            if operator is None:
                raise _SignInNeeded()
            if role is not None and operator.role != role:
                raise ConsoleError(403, f"Your role ({operator.role_name}) cannot use this "
                                        f"page: it is for {accounts.role_name(role)} accounts.")
            return operator

        dependency.__name__ = f"needs_{role or 'signed_in'}"
        return dependency

    # ------------------------------------------------------------------------- forms

    async def form(self, request: Request, operator: Operator) -> FormData:
        """The posted form, its CSRF token and origin already checked by the route class
        (``check_post``) before the handler ran; checked here too if it was not."""
        checked: FormData | None = getattr(request.state, "console_form", None)
        if checked is not None:
            return checked
        await self.check_post(request, operator)
        form: FormData = request.state.console_form
        return form

    async def check_post(self, request: Request, operator: Operator | None = None) -> None:
        """What every console POST must pass before anything runs: a live session (else
        the sign-in page), the browser's word that it came from the console
        (``check_origin``), and the session's CSRF token in the form (else 403). The
        parsed form is kept on the request for ``form``."""
        if operator is None:
            operator = await run_in_threadpool(self.current, request)
        if operator is None:
            raise _SignInNeeded()
        check_origin(request)
        form = await request.form()
        if not same_secret(form.get("csrf_token"), operator.csrf_token):
            raise ConsoleError(403, EXPIRED, "Form refused")
        request.state.console_form = form

    # ------------------------------------------------------------------------- pages

    def render(self, template: str, **context: Any) -> str:
        """A template rendered with ``context`` (no request needed)."""
        return self.templates.get_template(template).render(**context)

    def page(self, request: Request, operator: Operator | None, template: str,
             status_code: int = 200, **context: Any) -> HTMLResponse:
        """templates/``template`` with the operator, their CSRF token, their nav and
        ``context``; never cached."""
        values: dict[str, Any] = {
            "request": request, "operator": operator,
            "csrf_token": operator.csrf_token if operator else "",
            "nav": [(path, label) for path, label, _ in AREAS.get(
                operator.role if operator else "", [])],
            "path": request.url.path,
        }
        values.update(context)
        return HTMLResponse(self.render(template, **values), status_code=status_code,
                            headers={"Cache-Control": "no-store"})

    def error_page(self, request: Request, error: ConsoleError) -> HTMLResponse:
        """The error page for ``error`` (signed-in or not)."""
        operator = getattr(request.state, "console_operator", None)
        return self.page(request, operator, "error.html", error.status_code,
                         title=error.title, message=error.message)

    # ------------------------------------------------------------------------- audit

    def audit(self, db: Session, operator: Operator, action: str, *,
              team_id: str | None = None, device_id: str | None = None,
              user_id: str | None = None, detail: Mapping[str, Any] | None = None) -> None:
        """Append the operator's action to the store's audit trail (console chain), in
        ``db``'s transaction: ids, counts and outcomes in ``detail``, never patient data."""
        store_audit.append(db, chain=store_audit.CONSOLE_CHAIN, actor_kind="console",
                           actor_id=operator.account_id, actor_name=operator.username,
                           action=action, team_id=team_id, device_id=device_id,
                           user_id=user_id, detail=detail)

    # ------------------------------------------------------------------ route class

    def route_class(self) -> type[APIRoute]:
        """Routes that check every POST first (``check_post``; all but the sign-in form,
        which has its own token) and whose errors become the console's HTML pages: a
        missing session → 303 to sign-in, ``ConsoleError``/HTTPException → the error page
        with its status, a form or address not understood → 400, the database down → 503,
        anything else → 500 (logged)."""
        web = self

        class ConsoleRoute(APIRoute):
            def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
                handler = super().get_route_handler()
                exempt = self.path == SIGN_IN

                async def guarded(request: Request) -> Response:
                    try:
                        if request.method not in SAFE_METHODS and not exempt:
                            await web.check_post(request)
                        return await handler(request)
                    except _SignInNeeded:
                        return RedirectResponse(SIGN_IN, status_code=303)
                    except ConsoleError as error:
                        return web.error_page(request, error)
                    except RequestValidationError:
                        return web.error_page(request, ConsoleError(
                            400, "The console did not understand that address or form; "
                                 "nothing was changed. Go back and try again."))
                    except HTTPException as exc:
                        message = NOT_FOUND if exc.status_code == 404 else str(exc.detail)
                        return web.error_page(request, ConsoleError(exc.status_code, message))
                    except (OperationalError, PoolTimeout) as exc:
                        log.error("console: database unavailable: %s", type(exc).__name__)
                        return web.error_page(request, ConsoleError(503, UNAVAILABLE))
                    except Exception:
                        log.exception("console: %s %s failed", request.method,
                                      request.url.path)
                        return web.error_page(request, ConsoleError(500, BROKEN))

                return guarded

        return ConsoleRoute
