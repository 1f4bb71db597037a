"""The console's audit page (issue 21): the store's own audit trail, for both roles.

``/console/audit`` lists events newest first, 100 a page, filtered by team, device, store
user, date range (``dd/mm/yyyy`` or ``yyyy-mm-dd``, Europe/London days, both ends
included) and action. Pages are keyset-paged on (at, chain, seq): the "Older" link carries
the last row's key, so a page costs the same however far back it is and a new event never
shifts what the next page shows. ``/console/audit.csv`` downloads every event the filters
match (streamed, whatever their number; cells that a spreadsheet would take for a formula
are prefixed with an apostrophe).

At the top: whether the chains hold. Walking every chain reads every event, so it runs
when someone asks (the "Verify the audit trail now" button, ``POST /console/audit/verify``)
rather than on every view, in one read-only snapshot (``store_audit_verify.verify``:
events appended meanwhile are not taken for tampering); its outcome is then itself an audit
event, in a transaction of its own (``store_audit_verified``, with the chain and seq of
each break and every chain's checkpoint, which later verifications check is still there),
and the page shows the latest one: "All N audit chains verified at <time>", or in red
which chain breaks at which seq.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' Annotated
# dependencies at definition time.
import csv
import datetime as dt
import io
import re
from collections.abc import Iterator, Mapping
from dataclasses import dataclass, field
from typing import Annotated, Any

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response, StreamingResponse
from sqlalchemy import Select, select, tuple_
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool

from sync_server import store_audit, store_audit_verify
from sync_server.console.web import LONDON, ConsoleError, ConsoleWeb, Operator
from sync_server.models import Device, StoreAuditEvent, StoreUser, Team, utc_now

PAGE_SIZE = 100
VERIFIED = store_audit.VERIFIED
CSV_COLUMNS = ("at_utc", "chain", "seq", "actor_kind", "actor", "action", "team_id", "team",
               "device_id", "device", "user_id", "user", "detail")
_FIELD_TEXT = 64
_ID = re.compile(r"^[A-Za-z0-9-]{1,36}$")
_ACTION = re.compile(r"^[a-z0-9_]{1,48}$")


# --------------------------------------------------------------------------- filters


def parse_day(text: str) -> dt.date | None:
    """``dd/mm/yyyy`` (UK) or ``yyyy-mm-dd`` (ISO); ValueError with a plain message."""
    text = text.strip()
    if not text:
        return None
    for pattern in ("%d/%m/%Y", "%Y-%m-%d"):
        try:
            return dt.datetime.strptime(text, pattern).date()
        except ValueError:
            continue
    raise ValueError(f"“{text[:_FIELD_TEXT]}” is not a date: write it as dd/mm/yyyy, "
                     "e.g. 05/03/2025")


def _day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` in England, as a UTC moment."""
    return dt.datetime.combine(day, dt.time(), tzinfo=LONDON).astimezone(dt.UTC)


@dataclass
class Filters:
    """What the audit page was asked for (the typed text kept, to show the form again)."""

    team: str = ""
    device: str = ""
    user: str = ""
    date_from: str = ""
    date_to: str = ""
    action: str = ""
    errors: dict[str, str] = field(default_factory=dict)
    since: dt.datetime | None = None
    until: dt.datetime | None = None

    @classmethod
    def read(cls, params: Mapping[str, str]) -> "Filters":
        """The filters from a query string, each checked (``errors`` by field)."""
        def text(name: str) -> str:
            return (params.get(name) or "").strip()[:_FIELD_TEXT]

        got = cls(text("team"), text("device"), text("user"), text("date_from"),
                  text("date_to"), text("action"))
        for name, label in (("team", "team"), ("device", "device id"), ("user", "user id")):
            value = getattr(got, name)
            if value and not _ID.match(value):
                got.errors[name] = f"A {label} is letters, digits and hyphens (an id)"
        if got.action and not _ACTION.match(got.action):
            got.errors["action"] = ("An action is lower-case letters, digits and underscores, "
                                    "e.g. device_revoked")
        for name in ("date_from", "date_to"):
            try:
                day = parse_day(getattr(got, name))
            except ValueError as exc:
                got.errors[name] = str(exc)
                continue
            if day is not None and name == "date_from":
                got.since = _day_start(day)
            elif day is not None:
                got.until = _day_start(day + dt.timedelta(days=1))
        if got.since and got.until and got.since >= got.until:
            got.errors["date_to"] = "The “to” date is before the “from” date"
        return got

    def query(self) -> dict[str, str]:
        """The filters as query parameters (the empty ones left out)."""
        return {name: value for name in ("team", "device", "user", "date_from", "date_to",
                                         "action") if (value := getattr(self, name))}

    def apply(self, query: Select[Any]) -> Select[Any]:
        """``query`` narrowed to these filters."""
        e = StoreAuditEvent
        for column, value in ((e.team_id, self.team), (e.device_id, self.device),
                              (e.user_id, self.user), (e.action, self.action)):
            if value:
                query = query.where(column == value)
        if self.since is not None:
            query = query.where(e.at >= self.since)
        if self.until is not None:
            query = query.where(e.at < self.until)
        return query


# ---------------------------------------------------------------------------- paging


def cursor_of(event: StoreAuditEvent) -> str:
    """The keyset cursor after ``event`` (the "Older" link's ``before``)."""
    return f"{event.at.astimezone(dt.UTC).strftime('%Y%m%dT%H%M%S.%f')}~{event.chain}~{event.seq}"


def parse_cursor(text: str) -> tuple[dt.datetime, str, int] | None:
    """(at, chain, seq) from ``cursor_of``'s text; None when it is not one."""
    parts = text.split("~")
    if len(parts) != 3 or not parts[2].isdigit() or not _ID.match(parts[1]):
        return None
    try:
        at = dt.datetime.strptime(parts[0], "%Y%m%dT%H%M%S.%f").replace(tzinfo=dt.UTC)
    except ValueError:
        return None
    return at, parts[1], int(parts[2])


def _ordered(query: Select[Any]) -> Select[Any]:
    e = StoreAuditEvent
    return query.order_by(e.at.desc(), e.chain.desc(), e.seq.desc())


@dataclass(frozen=True)
class Row:
    """One event as the page shows it."""

    event: StoreAuditEvent
    team: str
    device: str
    user: str
    detail: str


@dataclass(frozen=True)
class Names:
    """Names of the teams, devices and users some events mention."""

    teams: dict[str, str]
    devices: dict[str, str]
    users: dict[str, str]


def _names(db: Session, events: list[StoreAuditEvent]) -> Names:
    def lookup(model: Any, ids: set[str]) -> dict[str, str]:
        if not ids:
            return {}
        return {str(i): str(n) for i, n in db.execute(
            select(model.id, model.name).where(model.id.in_(sorted(ids))))}

    return Names(lookup(Team, {e.team_id for e in events if e.team_id}),
                 lookup(Device, {e.device_id for e in events if e.device_id}),
                 lookup(StoreUser, {e.user_id for e in events if e.user_id}))


def readable(detail: Mapping[str, Any] | None) -> str:
    """An event's detail as a line people read: ``applied 4; rejected 0``."""
    if not detail:
        return ""
    parts = []
    for key, value in detail.items():
        if key == "checkpoints" and isinstance(value, dict):
            value = f"{len(value)} chain{'s' if len(value) != 1 else ''}"
        elif isinstance(value, bool):
            value = "yes" if value else "no"
        elif isinstance(value, list):
            value = ", ".join(_short(v) for v in value) or "none"
        elif isinstance(value, dict):
            value = _short(value)
        parts.append(f"{key.replace('_', ' ')} {value}")
    return "; ".join(parts)


def _short(value: Any) -> str:
    if isinstance(value, dict):
        return " ".join(f"{k} {v}" for k, v in value.items())
    return str(value)


@dataclass(frozen=True)
class ChainState:
    """The latest verification: when, how many chains, and the breaks it found."""

    at: dt.datetime
    chains: int
    events: int
    keyed: bool
    broken: list[dict[str, Any]]
    by: str


def latest_verification(db: Session) -> ChainState | None:
    """The latest ``store_audit_verified`` event, read back."""
    e = StoreAuditEvent
    event = db.scalars(select(e).where(e.chain == store_audit.CONSOLE_CHAIN,
                                       e.action == VERIFIED)
                       .order_by(e.seq.desc()).limit(1)).first()
    if event is None:
        return None
    d = event.detail or {}
    return ChainState(event.at, int(d.get("chains", 0)), int(d.get("events", 0)),
                      bool(d.get("keyed", False)), list(d.get("broken", [])), event.actor_name)


def verify_and_record(web: ConsoleWeb, operator: Operator) -> None:
    """Walk every chain in one read-only snapshot, then record the outcome as an audit
    event in a transaction of its own."""
    with web.factory() as db:
        reports = store_audit_verify.verify(db)
    with web.factory.begin() as db:
        store_audit_verify.record_verification(db, reports, actor_kind="console",
                                               actor_id=operator.account_id,
                                               actor_name=operator.username)


# ----------------------------------------------------------------------------- pages


@dataclass(frozen=True)
class Listing:
    """One page of the audit trail and what the page around it needs."""

    rows: list[Row]
    older: str | None
    teams: list[tuple[str, str]]
    state: ChainState | None


def _listing(db: Session, filters: Filters, before: tuple[dt.datetime, str, int] | None
             ) -> Listing:
    e = StoreAuditEvent
    query = filters.apply(select(e))
    if before is not None:
        query = query.where(tuple_(e.at, e.chain, e.seq) < tuple_(*before))
    events = list(db.scalars(_ordered(query).limit(PAGE_SIZE + 1)))
    more = len(events) > PAGE_SIZE
    events = events[:PAGE_SIZE]
    names = _names(db, events)
    rows = [Row(ev, names.teams.get(ev.team_id or "", ""), names.devices.get(
        ev.device_id or "", ""), names.users.get(ev.user_id or "", ""), readable(ev.detail))
        for ev in events]
    teams = [(str(i), str(n)) for i, n in db.execute(select(Team.id, Team.name)
                                                     .order_by(Team.name))]
    return Listing(rows, cursor_of(events[-1]) if more and events else None, teams,
                   latest_verification(db))


def _team_names(db: Session) -> dict[str, str]:
    return {str(i): str(n) for i, n in db.execute(select(Team.id, Team.name))}


def _spreadsheet_safe(value: Any) -> str:
    """A cell a spreadsheet shows as text, never runs as a formula."""
    text = "" if value is None else str(value)
    return "'" + text if text[:1] in ("=", "+", "-", "@", "\t", "\r") else text


def csv_lines(web: ConsoleWeb, filters: Filters) -> Iterator[str]:
    """Every matching event as CSV lines, newest first, read in batches (its own session:
    it runs while the response streams)."""
    e = StoreAuditEvent
    buffer = io.StringIO()
    writer = csv.writer(buffer)

    def flush() -> str:
        text = buffer.getvalue()
        buffer.seek(0)
        buffer.truncate()
        return text

    writer.writerow(CSV_COLUMNS)
    yield flush()
    with web.factory() as db:
        batch: list[StoreAuditEvent] = []
        stream = db.scalars(_ordered(filters.apply(select(e))).execution_options(
            yield_per=1000))
        for event in stream:
            batch.append(event)
            if len(batch) == 1000:
                yield _csv_batch(db, writer, batch, flush)
                batch = []
        if batch:
            yield _csv_batch(db, writer, batch, flush)


def _csv_batch(db: Session, writer: Any, batch: list[StoreAuditEvent],
               flush: Any) -> str:
    names = _names(db, batch)
    for ev in batch:
        writer.writerow([_spreadsheet_safe(v) for v in (
            ev.at.astimezone(dt.UTC).strftime("%Y-%m-%dT%H:%M:%S.%fZ"), ev.chain, ev.seq,
            ev.actor_kind, ev.actor_name, ev.action, ev.team_id,
            names.teams.get(ev.team_id or "", ""), ev.device_id,
            names.devices.get(ev.device_id or "", ""), ev.user_id,
            names.users.get(ev.user_id or "", ""), readable(ev.detail))])
        db.expunge(ev)
    text: str = flush()
    return text


def add_pages(router: APIRouter, web: ConsoleWeb) -> None:
    """The audit page, its CSV download and the verify button (both roles)."""

    def show(request: Request, operator: Operator, filters: Filters,
             before: tuple[dt.datetime, str, int] | None, status_code: int = 200
             ) -> HTMLResponse:
        with web.factory() as db:
            listing = _listing(db, filters if not filters.errors else Filters(), before)
            chain_names = _team_names(db)
        return web.page(request, operator, "audit/list.html", status_code,
                        filters=filters, listing=listing, chain_names=chain_names,
                        query=filters.query(), paged=before is not None,
                        checked_at=utc_now())

    @router.get("/audit", response_class=HTMLResponse)
    def audit_page(request: Request,
                   operator: Annotated[Operator, Depends(web.signed_in)]) -> Response:
        filters = Filters.read(request.query_params)
        before = None
        if request.query_params.get("before"):
            before = parse_cursor(request.query_params["before"])
            if before is None:
                raise ConsoleError(400, "That page of the audit trail was not understood; "
                                        "start again from the newest events.")
        return show(request, operator, filters, before, 400 if filters.errors else 200)

    @router.get("/audit.csv")
    def audit_csv(request: Request,
                  operator: Annotated[Operator, Depends(web.signed_in)]) -> Response:
        filters = Filters.read(request.query_params)
        if filters.errors:
            return show(request, operator, filters, None, 400)
        with web.factory.begin() as db:
            web.audit(db, operator, "audit_exported", team_id=filters.team or None,
                      device_id=filters.device or None, user_id=filters.user or None,
                      detail={name: value for name, value in filters.query().items()
                              if name in ("date_from", "date_to", "action")})
        stamp = utc_now().strftime("%Y%m%d-%H%M")
        return StreamingResponse(
            csv_lines(web, filters), media_type="text/csv; charset=utf-8",
            headers={"Content-Disposition": f'attachment; filename="store-audit-{stamp}.csv"'})

    @router.post("/audit/verify")
    async def verify_now(request: Request,
                         operator: Annotated[Operator, Depends(web.signed_in)]) -> Response:
        await web.form(request, operator)
        await run_in_threadpool(verify_and_record, web, operator)
        return RedirectResponse("/console/audit", status_code=303)
