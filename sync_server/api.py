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
from typing import Annotated, Any, Literal

from fastapi import APIRouter, Depends, FastAPI, Header, HTTPException, Query, Request
from fastapi.responses import JSONResponse, Response
from fastapi.routing import APIRoute
from fastapi.security import HTTPAuthorizationCredentials, HTTPBearer
from sqlalchemy import text
from sqlalchemy.exc import OperationalError
from sqlalchemy.exc import TimeoutError as PoolTimeout
from sqlalchemy.orm import Session, sessionmaker

from sync_server import __version__, codec
from sync_server.auth import DeviceContext, device_for_token, enrol
from sync_server.config import (
    DEFAULT_PULL_LIMIT,
    MAX_BODY_BYTES,
    MAX_PULL_LIMIT,
    Settings,
    parse_version,
)
from sync_server.database import make_engine, make_session_factory
from sync_server.models import Role
from sync_server.pull import pull_page
from sync_server.push import apply_batch
from sync_server.schemas import (
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


class StoreHeaderMiddleware:
    """Stamps every response with the store's header; refuses oversized bodies unread (413)."""

    def __init__(self, app: ASGIApp) -> None:
        self.app = app

    async def __call__(self, scope: Scope, receive: Receive, send: Send) -> None:
        if scope["type"] != "http":
            await self.app(scope, receive, send)
            return
        length = dict(scope["headers"]).get(b"content-length", b"0")
        if not length.isdigit() or int(length) > MAX_BODY_BYTES:
            body = json.dumps({"detail": "request body too large"}).encode()
            await send({"type": "http.response.start", "status": 413, "headers": [
                (b"content-type", b"application/json"), (b"content-length", b"%d" % len(body)),
                (STORE_HEADER.lower().encode(), b"1")]})
            await send({"type": "http.response.body", "body": body})
            return

        async def stamped(message: Message) -> None:
            if message["type"] == "http.response.start":
                message.setdefault("headers", [])
                message["headers"] = [*message["headers"], (STORE_HEADER.lower().encode(), b"1")]
            await send(message)

        await self.app(scope, receive, stamped)


class _FastJSONRequest(Request):
    """A request whose JSON body is read with orjson (``codec.loads``)."""

    async def json(self) -> Any:
        if not hasattr(self, "_json"):
            self._json = codec.loads(await self.body())
        return self._json


class StoreRoute(APIRoute):
    """Routes that read bodies with ``_FastJSONRequest`` (FastAPI's documented extension)."""

    def get_route_handler(self) -> Callable[[Request], Coroutine[Any, Any, Response]]:
        handler = super().get_route_handler()

        async def fast(request: Request) -> Response:
            return await handler(_FastJSONRequest(request.scope, request.receive))

        return fast


class FastJSONResponse(JSONResponse):
    """JSON written with orjson (``codec.dumps``)."""

    def render(self, content: Any) -> bytes:
        return codec.dumps(content)


_bearer = HTTPBearer(auto_error=False, description="the device token from enrolment")
_ERRORS: dict[int | str, dict[str, Any]] = {
    401: {"model": ErrorOut, "description": "no token, an unknown one, or a revoked device"},
    426: {"model": ErrorOut, "description": "this client version is too old"},
    503: {"model": ErrorOut, "description": "the database is unavailable"},
}


def create_app(settings: Settings | None = None) -> FastAPI:
    """The store's ASGI application for ``settings`` (from the environment if not given)."""
    settings = settings or Settings.from_env()
    engine = make_engine(settings.database_url)
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
    app.add_exception_handler(OperationalError, _database_unavailable)
    # No connection free in the pool within its wait: the store is overloaded, not broken.
    app.add_exception_handler(PoolTimeout, _database_unavailable)
    app.include_router(_health_router(settings, factory))
    app.include_router(_sync_router(settings, factory))
    return app


def create_app_from_env() -> FastAPI:
    """The factory uvicorn imports (``serve`` puts the settings in the environment)."""
    return create_app(Settings.from_env())


async def _database_unavailable(_request: Request, exc: Exception) -> Response:
    log.error("database unavailable: %s", type(exc).__name__)
    return JSONResponse({"detail": UNAVAILABLE}, status_code=503)


def _health_router(settings: Settings, factory: sessionmaker[Session]) -> APIRouter:
    router = APIRouter(prefix="/api/v1", tags=["health"])
    minimum = ".".join(map(str, settings.min_client_version or ())) or None

    @router.get("/health", response_model=HealthOut, responses={503: _ERRORS[503]})
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
    ) -> str:
        if credentials is None or credentials.scheme.lower() != "bearer":
            raise _unknown_device()
        return credentials.credentials

    def session() -> Iterator[Session]:
        with factory() as s:
            yield s

    router = APIRouter(prefix="/api/v1", tags=["sync"], route_class=StoreRoute,
                       dependencies=[Depends(check_client_version)])
    _add_enrol(router, session)
    _add_push(router, session, bearer_token)
    _add_pull(router, session, bearer_token)
    return router


def _unknown_device() -> HTTPException:
    return HTTPException(401, "unknown or revoked device", headers={"WWW-Authenticate": "Bearer"})


def _device(db: Session, token: str) -> DeviceContext:
    """The live device holding ``token``, looked up in the transaction that then pushes or
    pulls, on the endpoint's own thread (a dependency runs on another worker thread, and on
    the SQLite trial its read would hold the write lock while the request waits for one)."""
    device = device_for_token(db, token)
    if device is None:
        raise _unknown_device()
    return device


def _add_enrol(router: APIRouter, session: Callable[[], Iterator[Session]]) -> None:
    spent = {"model": ErrorOut, "description": "code unknown, used or expired"}

    @router.post("/enrol", response_model=EnrolOut,
                 responses={401: spent, 426: _ERRORS[426], 503: _ERRORS[503]})
    def enrol_device(body: EnrolIn, db: Annotated[Session, Depends(session)]) -> EnrolOut:
        """Spend a one-time enrolment code on this laptop; the token is shown only now."""
        with db.begin():
            done = enrol(db, body.code, body.device_name)
        if done is None:
            raise HTTPException(401, "enrolment code unknown, already used or expired")
        d = done.device
        return EnrolOut(device_id=d.device_id, token=done.token,
                        team=TeamOut(id=d.team_id, name=d.team_name),
                        user=UserOut(id=d.user_id, name=d.user_name, role=d.role))


def _add_push(router: APIRouter, session: Callable[[], Iterator[Session]],
              bearer_token: Callable[..., Awaitable[str]]) -> None:
    @router.post("/push", response_model=PushOut,
                 responses={**_ERRORS, 403: {"model": ErrorOut, "description": "read-only user"},
                            413: {"model": ErrorOut, "description": "request body too large"}})
    def push(body: PushIn, db: Annotated[Session, Depends(session)],
             token: Annotated[str, Depends(bearer_token)]) -> Response:
        """Apply a batch of changes in one transaction; one answer per change, in order."""
        device = _device(db, token)
        if device.role == Role.READ_ONLY.value:
            raise HTTPException(403, "a read-only user's device cannot change records")
        answers = apply_batch(db, device, body.changes)  # in the transaction the token began
        db.commit()
        return FastJSONResponse({"answers": answers})


def _add_pull(router: APIRouter, session: Callable[[], Iterator[Session]],
              bearer_token: Callable[..., Awaitable[str]]) -> None:
    @router.get("/pull", response_model=PullOut, responses=_ERRORS)
    def pull(db: Annotated[Session, Depends(session)],
             token: Annotated[str, Depends(bearer_token)],
             cursor: Annotated[int, Query(ge=0, le=2**62)] = 0,
             limit: Annotated[int, Query(ge=1, le=MAX_PULL_LIMIT)] = DEFAULT_PULL_LIMIT,
             ) -> Response:
        """The device's team's records changed after ``cursor``, oldest first."""
        device = _device(db, token)
        page = pull_page(db, device.team_id, cursor, limit)  # in the token's transaction
        db.commit()
        return Response(page.to_json(), media_type="application/json")
