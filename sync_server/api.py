"""The HTTP API (FastAPI): health, enrol, push and pull under ``/api/v1``.

Every response carries ``X-Shared-Care-Store: 1``, so a laptop can tell an answer from this
store from a captive portal's page (design.md, "Sync success"). Requests other than the
health probe may carry ``X-Client-Version``; below the configured minimum they get 426.
Push and pull build their JSON directly (the response models still document them), since
validating a thousand rows again on the way out costs time and proves nothing new.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' Annotated
# dependencies at definition time, and they name functions local to the factory.
import gc
import json
import logging
from collections.abc import (
    AsyncIterator,
    Awaitable,
    Callable,
    Coroutine,
    Iterator,
    MutableMapping,
)
from contextlib import asynccontextmanager
from dataclasses import dataclass
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.exceptions import RequestValidationError
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker
from starlette.concurrency import run_in_threadpool

from sync_server import __version__, audit, codec, store_audit
from sync_server.auth import (
    ClientFacts,
    DeviceContext,
    DeviceRefused,
    client_address,
    find_device,
)
from sync_server.config import (
    DEFAULT_PULL_LIMIT,
    MAX_PULL_LIMIT,
    EnrolmentLimits,
    Settings,
    body_limit,
    parse_version,
)
from sync_server.console.router import console_router
from sync_server.console.web import ConsoleHeadersMiddleware
from sync_server.database import make_engine, make_session_factory
from sync_server.device_calls import (
    PENDING_HEADER,
    DeviceCall,
    device_for_call,
    facts_of,
    push_tally,
    seen_refused,
    unknown_device,
)
from sync_server.enrolment import (
    ENROLMENT_REFUSED,
    count_failed_enrolment,
    enrol,
    enrolment_wait,
)
from sync_server.fhir_api import fhir_router
from sync_server.framework_api import add_framework
from sync_server.models import Role
from sync_server.pull import pull_page
from sync_server.push import apply_batch
from sync_server.schemas import (
    AuditIn,
    AuditOut,
    AuditRefusedOut,
    EnrolIn,
    EnrolOut,
    ErrorOut,
    HealthOut,
    PullOut,
    PushIn,
    PushOut,
    TeamOut,
    UserOut,
)

log = logging.getLogger(__name__)

STORE_HEADER = "X-Shared-Care-Store"
MINIMUM_HEADER = "X-Shared-Care-Minimum-Version"  # on a 426: the lowest app version served
SERVICE_NAME: Literal["shared-care-store"] = "shared-care-store"
TOO_OLD = "This version of Shared Care Planner is too old for the central store; please update"
UNAVAILABLE = "The central store's database is unavailable; try again later"

Scope = MutableMapping[str, Any]
Message = MutableMapping[str, Any]
Receive = Callable[[], Awaitable[Message]]
Send = Callable[[Message], Awaitable[None]]
ASGIApp = Callable[[Scope, Receive, Send], Awaitable[None]]


TOO_LARGE = "request body too large"
PUSH_PATH = "/api/v1/push"


class _BodyTooLarge(HTTPException):
    """Raised from ``receive`` once a body passes its limit. FastAPI's body reader lets an
    HTTPException through untouched, so its handler answers 413 before anything is parsed."""

    def __init__(self) -> None:
        super().__init__(413, TOO_LARGE)


@dataclass(slots=True)
class _BodyState:
    """One request's body so far: bytes read, whether it ended or was cut off at the limit,
    and whether the response has started."""

    finished: bool
    read: int = 0
    cut: bool = False
    started: bool = False


class StoreHeaderMiddleware:
    """Stamps every response with the store's header; refuses oversized bodies (413).

    Each path has its body limit (``config.body_limit``), and bytes are counted as they
    arrive, whatever the framing: a ``Content-Length`` over the limit is refused before a
    byte is read, and a chunked body (or one longer than it declared) as soon as the count
    passes the limit, so nothing beyond it is ever buffered or parsed. A response to a
    request whose body was cut short, or is chunked and was never read, says
    ``Connection: close``: uvicorn then closes the connection instead of reading on through
    a body of any length to reach the next request.
    """

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        limit = body_limit(scope["method"], scope["path"])
        headers = dict(scope["headers"])
        declared = headers.get(b"content-length")
        if declared is not None and (not declared.isdigit() or int(declared) > limit):
            await _refuse_too_large(send)
            return
        # Bounded by its limit when declared; of unknown length (chunked) otherwise.
        unbounded = declared is None and b"transfer-encoding" in headers
        state = _BodyState(finished=not unbounded)

        async def counted() -> Message:
            message = await receive()
            if message["type"] == "http.request":
                state.read += len(message.get("body", b""))
                if state.read > limit:
                    state.cut = True
                    raise _BodyTooLarge()
                if not message.get("more_body", False):
                    state.finished = True
            return message

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                state.started = True
                extra = [(STORE_HEADER.lower().encode(), b"1")]
                if state.cut or not state.finished:
                    extra.append((b"connection", b"close"))
                message["headers"] = [*message.get("headers", []), *extra]
            await send(message)

        try:
            await self.app(scope, counted, stamped)
        except _BodyTooLarge:
            if state.started:
                raise
            await _refuse_too_large(send)


async def _refuse_too_large(send: Send) -> None:
    body = json.dumps({"detail": TOO_LARGE}).encode()
    await send({"type": "http.response.start", "status": 413, "headers": [
        (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
        (STORE_HEADER.lower().encode(), b"1"), (b"connection", b"close")]})
    await send({"type": "http.response.body", "body": body})


class _FastJSONRequest(Request):
    """A request whose JSON body is read with orjson (``codec.loads``). A number that cannot
    be stored exactly refuses the request (422), except in a pushed row, where it rejects
    that change alone."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = codec.loads(await self.body(),
                                     rows_alone=self.scope["path"] == PUSH_PATH)
        return self._json


class StoreRoute(APIRoute):
    """Routes that read bodies with ``_FastJSONRequest`` (FastAPI's documented extension)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def fast(request: Request) -> Response:
            return await handler(_FastJSONRequest(request.scope, request.receive))

        return fast


# Routes whose body is read only once the token is known to be a live device's: a body of
# tens of megabytes costs a second or two of CPU and a gigabyte to parse, which nobody
# without a token should be able to make the store spend.
TOKEN_FIRST = frozenset({PUSH_PATH, "/api/v1/audit"})


def _token_first(factory: sessionmaker[Session]) -> type[StoreRoute]:
    """``StoreRoute`` that, on the ``TOKEN_FIRST`` paths, answers 401 to a missing, unknown
    or revoked token, or a deactivated user's, before a byte of the body is read (the
    endpoint looks the device up again in its own transaction)."""

    def refusal(token: str, facts: ClientFacts) -> DeviceRefused | None:
        with factory() as db:
            found = find_device(db, token)
            if isinstance(found, DeviceContext):
                return None
            seen_refused(db, found, facts)
            return found

    class TokenFirstRoute(StoreRoute):
        def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
            handler = super().get_route_handler()
            if self.path not in TOKEN_FIRST:
                return handler

            async def gated(request: Request) -> Response:
                scheme, _, token = request.headers.get("authorization", "").partition(" ")
                token = token.strip()
                if scheme.lower() != "bearer" or not token:
                    raise unknown_device()
                refused = await run_in_threadpool(refusal, token, facts_of(request))
                if refused is not None:
                    raise unknown_device(refused.detail)
                return await handler(request)

            return gated

    return TokenFirstRoute


class FastJSONResponse(JSONResponse):
    """JSON written with orjson (``codec.dumps``)."""

    def render(self, content: Any) -> bytes:
        return codec.dumps(content)


_bearer = HTTPBearer(auto_error=False, description="the device token from enrolment")
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no token, an unknown one, a revoked device, or "
                                            "a device whose user is deactivated"},
    413: {"model": ErrorOut, "description": "request body too large"},
    426: {"model": ErrorOut, "description": "this client version is too old"},
    503: {"model": ErrorOut, "description": "the database is unavailable"},
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The store's ASGI application for ``settings`` (from the environment if not given)."""
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    factory = make_session_factory(engine)

    @asynccontextmanager
    async def lifespan(_app: FastAPI) -> AsyncIterator[None]:
        # Everything built so far (FastAPI, pydantic, SQLAlchemy, the app) lives as long as
        # the process: move it out of the cyclic collector's sight. A push of 1,000 changes
        # allocates some 100,000 short-lived objects, and each full collection they trigger
        # would otherwise walk every one of those long-lived objects again (measured: the
        # server's CPU per batch of 1,000 fell from ~50 ms to ~30 ms).
        gc.freeze()
        yield
        engine.dispose()

    app = FastAPI(title="Shared Care Planner central store", version=__version__,
                  lifespan=lifespan)
    app.add_middleware(StoreHeaderMiddleware)
    app.add_exception_handler(RequestValidationError, _invalid_request)
    app.add_exception_handler(OperationalError, _database_unavailable)
    # No connection free in the pool within its wait: the store is overloaded, not broken.
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.include_router(_health_router(settings, factory))
    app.include_router(_sync_router(settings, factory))
    # FHIR Bulk Data export of the caller's team (issue 22), out of the OpenAPI schema.
    app.include_router(fhir_router(settings, factory))
    # The web console (issue 21): its own pages under /console, out of the OpenAPI; its
    # middleware (added last, so outermost) puts the security headers on every answer there.
    app.include_router(console_router(settings, factory))
    app.add_middleware(ConsoleHeadersMiddleware)
    return app


def create_app_from_env() -> FastAPI:
    """The factory uvicorn imports (``serve`` puts the settings in the environment)."""
    return create_app(Settings.from_env())


MAX_ERRORS_SHOWN = 20  # of a request that does not match its schema
_ERROR_KEYS = ("type", "loc", "msg")
_CTX_TEXT = 300


async def _invalid_request(_request: Request, exc: Exception) -> Response:
    """422 naming what is wrong, never echoing the request: FastAPI's own answer copies each
    error's input back, so a body of a million wrong items (sent with any token, since the
    body is read before the token is looked up) cost seconds of CPU and over a gigabyte to
    answer, and a rejected row's patient data went back over the wire. The first
    ``MAX_ERRORS_SHOWN`` errors, each with its place, kind and message (and a short
    context, e.g. which number cannot be stored exactly), are enough to fix a client."""
    assert isinstance(exc, RequestValidationError)
    shown = []
    for error in exc.errors()[:MAX_ERRORS_SHOWN]:
        item: dict[str, Any] = {key: error[key] for key in _ERROR_KEYS if key in error}
        if isinstance(error.get("ctx"), dict):
            item["ctx"] = {str(k): str(v)[:_CTX_TEXT] for k, v in error["ctx"].items()}
        shown.append(item)
    return FastJSONResponse({"detail": shown}, status_code=422)


async def _database_unavailable(_request: Request, exc: Exception) -> Response:
    log.error("database unavailable: %s", type(exc).__name__)
    return JSONResponse({"detail": UNAVAILABLE}, status_code=503)


def _health_router(settings: Settings, factory: sessionmaker[Session]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["health"])
    minimum = ".".join(map(str, settings.min_client_version or ())) or None

    @router.get("/health", response_model=HealthOut,
                responses={413: _ERRORS[413], 503: _ERRORS[503]})
    def health() -> HealthOut:
        """Is this our store, and is its database reachable? Needs no token."""
        with factory() as session:
            session.execute(text("SELECT 1"))
        return HealthOut(service=SERVICE_NAME, api="v1", version=__version__,
                         min_client_version=minimum)

    return router


def _sync_router(settings: Settings, factory: sessionmaker[Session]) -> APIRouter:
    minimum = ".".join(map(str, settings.min_client_version or ()))

    # Plain checks of headers are ``async``: FastAPI runs them on the event loop instead of
    # handing each to a worker thread.
    async def check_client_version(
        x_client_version: Annotated[str | None, Header(
            description="the laptop's Shared Care Planner version, e.g. 0.1.0")] = None,
    ) -> None:
        if settings.min_client_version is None:
            return
        given = parse_version(x_client_version or "")
        if given is None or given < settings.min_client_version:
            raise HTTPException(426, TOO_OLD, headers={MINIMUM_HEADER: minimum})

    async def bearer_token(
        credentials: Annotated[HTTPAuthorizationCredentials | None, Depends(_bearer)],
        request: Request,
        # Declared for the OpenAPI schema; read with X-Client-Version by ``facts_of``, as the
        # token-first gate reads them before any dependency runs.
        _pending: Annotated[str | None, Header(
            alias=PENDING_HEADER, description="how many changes the laptop still has "
            "waiting to send (a whole number; ignored if malformed), shown in the console's "
            "device list")] = None,
    ) -> DeviceCall:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise unknown_device()
        return DeviceCall(credentials.credentials, facts_of(request))

    def session() -> Iterator[Session]:
        with factory() as s:
            yield s

    router = APIRouter(prefix="/api/v1", tags=["sync"], route_class=_token_first(factory),
                       dependencies=[Depends(check_client_version)])
    _add_enrol(router, session, settings.enrolment_limits)
    _add_push(router, session, bearer_token)
    _add_pull(router, session, bearer_token)
    _add_audit(router, session, bearer_token)
    add_framework(router, session, bearer_token, device_for_call, _ERRORS)  # framework_api.py
    return router


def _add_enrol(router: APIRouter, session: Callable[[], Iterator[Session]],
               limits: EnrolmentLimits) -> None:
    spent = {"model": ErrorOut, "description": "code unknown, used, expired or withdrawn"}
    too_many = {"model": ErrorOut, "headers": {"Retry-After": {
        "description": "seconds to wait", "schema": {"type": "integer"}}},
        "description": "too many wrong codes lately, from this address or store-wide; "
                       "the code was not looked at"}

    @router.post("/enrol", response_model=EnrolOut,
                 responses={401: spent, 413: _ERRORS[413], 426: _ERRORS[426],
                            429: too_many, 503: _ERRORS[503]})
    def enrol_device(body: EnrolIn, request: Request,
                     db: Annotated[Session, Depends(session)]) -> EnrolOut:
        """Spend a one-time enrolment code on this laptop; the token is shown only now."""
        address = client_address(request.client.host if request.client else None)
        with db.begin():
            wait, counts = enrolment_wait(db, address, limits)
            done = None if wait else enrol(db, body.code, body.device_name)
            if wait is None and done is None:
                count_failed_enrolment(db, address, limits, counts)
        if wait is not None:
            raise HTTPException(429, wait.detail, headers={"Retry-After": str(wait.seconds)})
        if done is None:
            raise HTTPException(401, ENROLMENT_REFUSED)
        d = done.device
        return EnrolOut(device_id=d.device_id, token=done.token,
                        team=TeamOut(id=d.team_id, name=d.team_name),
                        user=UserOut(id=d.user_id, name=d.user_name, role=d.role))


def _add_push(router: APIRouter, session: Callable[[], Iterator[Session]],
              bearer_token: Callable[..., Awaitable[DeviceCall]]) -> None:
    @router.post("/push", response_model=PushOut,
                 responses={**_ERRORS, 403: {"model": ErrorOut, "description": "read-only user"}})
    def push(body: PushIn, db: Annotated[Session, Depends(session)],
             call: Annotated[DeviceCall, Depends(bearer_token)]) -> Response:
        """Apply a batch of changes in one transaction; one answer per change, in order."""
        device = device_for_call(db, call)
        if device.role == Role.READ_ONLY.value:
            store_audit.device_event(db, device, "push_refused", changes=len(body.changes),
                                     result="refused-readonly")
            db.commit()
            raise HTTPException(403, "a read-only user's device cannot change records")
        answers = apply_batch(db, device, body.changes)  # in the transaction the token began
        # After the batch: the team's counter is locked before its audit chain, everywhere.
        store_audit.device_event(db, device, "push", **push_tally(answers), result="ok")
        db.commit()
        return FastJSONResponse({"answers": answers})


def _add_pull(router: APIRouter, session: Callable[[], Iterator[Session]],
              bearer_token: Callable[..., Awaitable[DeviceCall]]) -> None:
    @router.get("/pull", response_model=PullOut, responses=_ERRORS)
    def pull(db: Annotated[Session, Depends(session)],
             call: Annotated[DeviceCall, Depends(bearer_token)],
             cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
             limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
             ) -> Response:
        """The device's team's records changed after ``cursor``, oldest first."""
        device = device_for_call(db, call)
        page = pull_page(db, device.team_id, cursor, limit)  # in the token's transaction
        db.commit()
        return Response(page.to_json(), media_type="application/json")


def _add_audit(router: APIRouter, session: Callable[[], Iterator[Session]],
               bearer_token: Callable[..., Awaitable[DeviceCall]]) -> None:
    refused = {"model": AuditRefusedOut,
               "description": "does not continue the trail the store holds (recorded), or "
                              "starts beyond it (`resend_from`)"}

    @router.post("/audit", response_model=AuditOut,
                 responses={**_ERRORS, 409: refused,
                            413: {"model": ErrorOut, "description": "request body too large"}})
    def audit_upload(body: AuditIn, db: Annotated[Session, Depends(session)],
                     call: Annotated[DeviceCall, Depends(bearer_token)]) -> Response:
        """The laptop's audit events after ``after``; every role's device may send them
        (a read-only user's records who looked). sync_server/audit.py says what is taken."""
        device = device_for_call(db, call)
        outcome = audit.receive(db, device, body)  # in the token's transaction
        db.commit()
        head = {"seq": outcome.head.seq, "hash": outcome.head.hash}
        if isinstance(outcome, audit.Refused):
            return FastJSONResponse({"detail": outcome.detail, "head": head,
                                     "resend_from": outcome.resend_from,
                                     "held_elsewhere": outcome.held_elsewhere},
                                    status_code=409)
        return FastJSONResponse({"head": head, "stored": outcome.stored})
