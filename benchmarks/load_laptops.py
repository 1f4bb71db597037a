"""The simulated laptops of the load benchmark (benchmarks/store_load.py): each enrols,
pushes a day's changes in batches and pulls its team's, over HTTP as the desktop client does
(asyncio + httpx, a connection per sync), loses a push's reply now and then and resends it,
and records every request's latency and status and every change it sent. All synthetic.
"""

from __future__ import annotations

import asyncio
import math
import random
import ssl
import time
import uuid
from collections import Counter
from collections.abc import AsyncIterator, Awaitable, Callable
from contextlib import asynccontextmanager
from dataclasses import dataclass, field
from typing import Any

import httpx
import orjson

from tools.throwaway_store import CLIENT_VERSION

TEAM_SIZE = 20
SYNCS_PER_DAY = 4
BATCH = 10
EDITS_PER_BATCH = 3  # in every batch after the first: edits of the laptop's own records
LOSING_SHARE = 10  # one laptop in LOSING_SHARE loses a push's reply
LOSS_MODES = ("cut mid-body", "dropped after body", "read timeout")
ENTITY_MIX = ("person", "review", "review", "support_plan_task", "support_plan_task",
              "contact", "consent_record", "delegation_case")
JSON = {"Content-Type": "application/json"}
STORE_HEADER = "x-shared-care-store"
ONE_SHOT = httpx.Limits(max_keepalive_connections=0)


@dataclass
class Options:
    """How the day is laid out (seconds)."""

    rate: float = 20.0  # syncs per second on average over the day (all laptops together)
    seed: int = 20
    timeout: float = 300.0  # the whole run at one N


@dataclass
class Sent:
    """One change as sent: its team, record and row (to check the store against)."""

    team_id: str
    entity_type: str
    record_id: str
    row: dict[str, Any]


@dataclass
class Recorder:
    """Latencies per endpoint (seconds), statuses, and what was sent."""

    latency: dict[str, list[float]] = field(default_factory=dict)
    statuses: Counter[tuple[str, int]] = field(default_factory=Counter)
    transport_errors: Counter[str] = field(default_factory=Counter)
    answers: Counter[str] = field(default_factory=Counter)  # statuses of changes
    resent_answers: Counter[str] = field(default_factory=Counter)
    losses: Counter[str] = field(default_factory=Counter)
    sent: dict[str, Sent] = field(default_factory=dict)  # by idempotency key, in send order
    failures: list[str] = field(default_factory=list)

    def timed(self, endpoint: str, seconds: float, status: int) -> None:
        self.latency.setdefault(endpoint, []).append(seconds)
        self.statuses[(endpoint, status)] += 1


@dataclass
class SimLaptop:
    """One simulated laptop: its code, token, cursor and the records it holds (id -> version)."""

    index: int
    code: str
    rng: random.Random
    token: str = ""
    team_id: str = ""
    user_id: str = ""
    cursor: int = 0
    held: dict[str, int] = field(default_factory=dict)
    mine: dict[str, tuple[str, int]] = field(default_factory=dict)  # id -> (type, version)
    serial: int = 0
    http: httpx.AsyncClient | None = None


def synthetic_row(lap: SimLaptop, entity_type: str, record_id: str, edit: int) -> dict[str, Any]:
    """A synthetic row of about 0.7 KB (the store looks inside no further than ``id``)."""
    lap.serial += 1
    serial = lap.index * 1000 + lap.serial
    return {
        "id": record_id, "version": 1 + edit, "server_version": None, "deleted": False,
        "created_at": "2026-03-02T09:00:00+00:00",
        "updated_at": f"2026-03-02T{9 + lap.serial % 8:02d}:{lap.serial % 60:02d}:00+00:00",
        "updated_by": lap.user_id, "nhs_number": f"999{serial:07d}"[-10:],
        "given_name": "Edith", "family_name": f"Loadtest{serial}", "kind": entity_type,
        "status": "in_progress" if edit else "new", "due_date": "2026-03-09",
        "summary": (f"Synthetic {entity_type.replace('_', ' ')} {serial}, edit {edit}: visit "
                    "at home, observations recorded, plan discussed with the person and their "
                    "carer, next visit agreed. ") * 3,
    }


def new_batch(lap: SimLaptop, number: int, size: int = BATCH) -> list[dict[str, Any]]:
    """``size`` changes: new records, and after the first batch some edits of its own."""
    edits = lap.rng.sample(sorted(lap.mine), min(EDITS_PER_BATCH, len(lap.mine))) \
        if number else []
    out: list[tuple[str, str, int | None, int]] = []
    for record_id in edits:
        entity_type, base = lap.mine[record_id]
        out.append((entity_type, record_id, base, number))
    while len(out) < size:
        out.append((lap.rng.choice(ENTITY_MIX), str(uuid.uuid4()), None, 0))
    return [{"idempotency_key": str(uuid.uuid4()), "entity_type": etype, "id": rid,
             "base_server_version": base, "row": synthetic_row(lap, etype, rid, edit),
             "tombstone": False} for etype, rid, base, edit in out]


class Day:
    """One run at one N: the laptops, their requests and what they saw."""

    def __init__(self, base_url: str, laptops: list[SimLaptop], options: Options) -> None:
        self.base_url = base_url
        self.api = f"{base_url}/api/v1"
        self.laptops = laptops
        self.options = options
        self.rec = Recorder()
        # One TLS context for every client (plain HTTP here, but httpx builds a context per
        # client otherwise: 55 ms of CPU each, more than the requests themselves).
        self.tls = ssl.create_default_context()
        self.losing = {lap.index: LOSS_MODES[k % len(LOSS_MODES)]
                       for k, lap in enumerate(laptops[::LOSING_SHARE])}

    async def _request(self, endpoint: str, lap: SimLaptop, method: str, path: str,
                       **kwargs: Any) -> httpx.Response:
        """A request retried (1 s apart, 5 times) until a 200 from the store."""
        assert lap.http is not None
        for attempt in range(6):
            began = time.perf_counter()
            try:
                response = await lap.http.request(method, path, **kwargs)
            except httpx.TransportError as exc:
                self.rec.transport_errors[f"{endpoint} {type(exc).__name__}"] += 1
            else:
                self.rec.timed(endpoint, time.perf_counter() - began, response.status_code)
                if response.status_code == 200 and STORE_HEADER in response.headers:
                    return response
                if response.status_code < 500 and response.status_code not in (408, 429):
                    break
            if attempt < 5:
                await asyncio.sleep(1.0)
        raise RuntimeError(f"{endpoint} failed for laptop {lap.index}")

    @asynccontextmanager
    async def connected(self, lap: SimLaptop) -> AsyncIterator[None]:
        """A connection for one sync, closed after it (as the desktop client does)."""
        headers = {"X-Client-Version": CLIENT_VERSION}
        if lap.token:
            headers["Authorization"] = f"Bearer {lap.token}"
        # A new connection for every request: a reused keep-alive connection that the store
        # closes (after 5 s idle) just as a lagging laptop sends on it would be counted as
        # a dropped connection; this way one is always the store's doing.
        async with httpx.AsyncClient(base_url=self.api, timeout=60, headers=headers,
                                     verify=self.tls, limits=ONE_SHOT) as http:
            lap.http = http
            yield
        lap.http = None

    async def enrol(self, lap: SimLaptop) -> None:
        response = await self._request("enrol", lap, "POST", "/enrol", json={
            "code": lap.code, "device_name": f"Load laptop {lap.index}"})
        body = orjson.loads(response.content)
        lap.token, lap.team_id = body["token"], body["team"]["id"]
        lap.user_id = body["user"]["id"]
        assert lap.http is not None
        lap.http.headers["Authorization"] = f"Bearer {lap.token}"

    async def pull(self, lap: SimLaptop, endpoint: str = "pull") -> None:
        while True:
            response = await self._request(endpoint, lap, "GET", "/pull",
                                           params={"cursor": lap.cursor, "limit": 1000})
            page = orjson.loads(response.content)
            for change in page["changes"]:
                if change["server_version"] > lap.held.get(change["id"], 0):
                    lap.held[change["id"]] = change["server_version"]
            lap.cursor = page["next_cursor"]
            if not page["has_more"]:
                return

    async def _lose_reply(self, lap: SimLaptop, body: bytes, mode: str) -> None:
        """Send ``body`` as a push and never read the answer."""
        self.rec.losses[mode] += 1
        if mode == "read timeout":
            assert lap.http is not None
            try:
                await lap.http.post("/push", content=body, headers=JSON,
                                    timeout=httpx.Timeout(60, read=0.001))
            except httpx.TimeoutException:
                return
            self.rec.losses["read timeout (but the answer came first)"] += 1
            return
        host, port = self.base_url.rsplit("/", 1)[1].split(":")
        head = (f"POST /api/v1/push HTTP/1.1\r\nHost: {host}:{port}\r\n"
                f"Authorization: Bearer {lap.token}\r\nX-Client-Version: {CLIENT_VERSION}\r\n"
                f"Content-Type: application/json\r\nContent-Length: {len(body)}\r\n"
                "Connection: close\r\n\r\n").encode()
        _reader, writer = await asyncio.open_connection(host, int(port))
        writer.write(head + (body[:len(body) // 2] if mode == "cut mid-body" else body))
        await writer.drain()
        writer.close()
        await writer.wait_closed()

    async def push(self, lap: SimLaptop, changes: list[dict[str, Any]], endpoint: str = "push",
                   lose: str | None = None) -> None:
        for c in changes:
            self.rec.sent[c["idempotency_key"]] = Sent(lap.team_id, c["entity_type"], c["id"],
                                                       c["row"])
        body = orjson.dumps({"changes": changes})
        if lose:
            await self._lose_reply(lap, body, lose)
        response = await self._request(endpoint, lap, "POST", "/push", content=body,
                                        headers=JSON)
        answers = orjson.loads(response.content)["answers"]
        for change, answer in zip(changes, answers, strict=True):
            status = answer["status"]
            (self.rec.resent_answers if lose else self.rec.answers)[status] += 1
            if status not in ("applied", "duplicate"):
                continue
            version = (answer if status == "applied" else answer["original"])["server_version"]
            lap.mine[change["id"]] = (change["entity_type"], version)
            lap.held[change["id"]] = max(lap.held.get(change["id"], 0), version)

    @property
    def window(self) -> float:
        """The day's length: every laptop's syncs at ``rate`` per second on average."""
        return len(self.laptops) * SYNCS_PER_DAY / self.options.rate

    async def day(self, lap: SimLaptop) -> None:
        """Enrol and pull at the first of 4 random moments of the day, push and pull at each."""
        start = time.monotonic()
        moments = sorted(lap.rng.uniform(0, self.window) for _ in range(SYNCS_PER_DAY))
        losing_sync = lap.rng.randrange(SYNCS_PER_DAY)
        for number, moment in enumerate(moments):
            await asyncio.sleep(max(0.0, start + moment - time.monotonic()))
            lose = self.losing.get(lap.index) if number == losing_sync else None
            async with self.connected(lap):
                if number == 0:
                    await self.enrol(lap)
                    await self.pull(lap)
                await self.push(lap, new_batch(lap, number), lose=lose)
                await self.pull(lap)

    async def burst(self, lap: SimLaptop) -> None:
        async with self.connected(lap):
            await self.push(lap, new_batch(lap, SYNCS_PER_DAY), "push (burst)")

    async def last_pull(self, lap: SimLaptop) -> None:
        async with self.connected(lap):
            await self.pull(lap, "pull (last)")

    async def run(self) -> dict[str, float]:
        """The spread day, the burst and the last pulls; wall times of each phase."""
        began = time.perf_counter()
        await self._all(self.day)
        spread = time.perf_counter() - began
        burst_began = time.perf_counter()
        await self._all(self.burst)
        burst = time.perf_counter() - burst_began
        await self._all(self.last_pull)
        return {"day": spread, "burst": burst}

    async def _all(self, work: Callable[[SimLaptop], Awaitable[None]]) -> None:
        async def guarded(lap: SimLaptop) -> None:
            try:
                await work(lap)
            except Exception as exc:  # one laptop's failure is a finding, not the end
                self.rec.failures.append(f"laptop {lap.index}: {type(exc).__name__}: {exc}")
        await asyncio.gather(*(guarded(lap) for lap in self.laptops))


def make_laptops(store_url: str, count: int, seed: int) -> list[SimLaptop]:
    """``count`` users in teams of ``TEAM_SIZE`` (new teams), one enrolment code each."""
    # Imported here: with --store-code the admin code must be the store's own.
    from sync_server import admin, admin_codes
    from sync_server.config import normalise_database_url
    from sync_server.database import make_engine, make_session_factory

    engine = make_engine(normalise_database_url(store_url))
    run = uuid.uuid4().hex[:6]
    laptops = []
    with make_session_factory(engine).begin() as session:
        teams = [admin.create_team(session, f"Load INT {run} {t + 1}").id
                 for t in range(math.ceil(count / TEAM_SIZE))]
        for i in range(count):
            user = admin.create_user(session, teams[i // TEAM_SIZE], f"Load nurse {run} {i}",
                                     "nurse")
            laptops.append(SimLaptop(i, admin_codes.issue_enrolment_code(session, user.id),
                                     random.Random(seed * 100_003 + i)))
    engine.dispose()
    return laptops
