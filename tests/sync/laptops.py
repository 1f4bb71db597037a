"""Laptops with real vaults for the sync client tests: each a copy of the template vault with
its own device id, enrolled with the real store through ``desktop_app.services.sync.enrol``.

``LostReply`` and ``CrashAfterSend`` are httpx transports that forward a request to the real
server and then lose the reply (a connection cut after the store committed) or end the run
the way a crash would (an exception the client does not catch). All data is synthetic.
"""

from __future__ import annotations

import shutil
import uuid
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import httpx
import psycopg
from sqlalchemy import select, text, update
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.base import SyncedMixin
from desktop_app.models.meta import LocalMeta
from desktop_app.models.outbox import OutboxEntry, OutboxState
from desktop_app.models.person import Person
from desktop_app.services import sync as sync_client
from desktop_app.services.core.tracking import row_payload, tombstone
from desktop_app.services.sync import Enrolment, SyncClient, SyncOptions, SyncProgress, SyncResult
from desktop_app.services.sync.entities import synced_entities
from desktop_app.services.vault import VaultSession, VaultStore
from sync_server import admin, admin_codes
from tests.support import PASSPHRASE, TEST_KDF, person_values

BOOKKEEPING_SERVER = ("server_version",)


class Crash(BaseException):
    """The process died: nothing after this point ran (not an Exception, so nothing catches
    it on the way out but ``finally`` blocks, as a real crash runs none of the code after)."""


class Forwarding(httpx.BaseTransport):
    """A transport in front of the real server (plain HTTP on loopback): subclasses decide
    what happens to a request and its reply; ``forward`` sends one on and reads the reply."""

    def __init__(self) -> None:
        self.inner = httpx.HTTPTransport(verify=False)

    def forward(self, request: httpx.Request) -> httpx.Response:
        response = self.inner.handle_request(request)
        response.read()
        return response

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        return self.forward(request)

    def close(self) -> None:
        self.inner.close()


class ForwardThen(Forwarding):
    """Forwards to the real server; ``fail(request)`` decides what happens to the reply."""

    def __init__(self, fail: Callable[[httpx.Request], BaseException | None]) -> None:
        super().__init__()
        self.fail = fail
        self.forwarded: list[str] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        response = self.forward(request)
        self.forwarded.append(request.url.path)
        problem = self.fail(request)
        if problem is not None:
            raise problem
        return response


def lose_push_replies(times: int = 1, crash: bool = False) -> ForwardThen:
    """The first ``times`` pushes reach the store and commit; their replies never arrive."""
    left = [times]

    def fail(request: httpx.Request) -> BaseException | None:
        if request.url.path.endswith("/push") and left[0] > 0:
            left[0] -= 1
            if crash:
                return Crash()
            return httpx.ReadError("connection reset by peer", request=request)
        return None

    return ForwardThen(fail)


class VaultLaptop:
    """One laptop: an unlocked vault enrolled with the store as a new user of ``team``."""

    def __init__(self, vault: VaultSession, server_url: str, name: str) -> None:
        self.vault = vault
        self.uow = vault.uow
        self.server_url = server_url
        self.name = name
        self.enrolment: Enrolment | None = None
        self.progress: list[SyncProgress] = []

    def sync(self, *, transport: httpx.BaseTransport | None = None,
             cancelled: Callable[[], bool] = lambda: False, batch_size: int = 500,
             pull_limit: int = 5000) -> SyncResult:
        """One run of the real client."""
        client = SyncClient(SyncOptions(batch_size=batch_size, pull_limit=pull_limit))
        return client.run(self.uow, self.progress.append, cancelled, transport=transport)

    def add_person(self, serial: int, **overrides: Any) -> str:
        with self.uow.begin() as s:
            person = Person(**person_values(serial, **overrides))
            s.add(person)
            s.flush()
            return person.id

    def add_people(self, serials: range) -> list[str]:
        """Many people in one transaction (one outbox entry each)."""
        with self.uow.begin() as s:
            people = [Person(**person_values(n)) for n in serials]
            s.add_all(people)
            s.flush()
            return [p.id for p in people]

    def edit(self, model: type[SyncedMixin], record_id: str, **changes: Any) -> None:
        with self.uow.begin() as s:
            row = s.get(model, record_id)
            assert row is not None
            for name, value in changes.items():
                setattr(row, name, value)

    def delete(self, model: type[SyncedMixin], record_id: str) -> None:
        with self.uow.begin() as s:
            row = s.get(model, record_id)
            assert row is not None
            tombstone(s, row)

    def get(self, model: type[SyncedMixin], record_id: str) -> dict[str, Any] | None:
        with self.uow.read() as s:
            row = s.get(model, record_id)
            return row_payload(row) if row is not None else None

    def records(self) -> dict[tuple[str, str], dict[str, Any]]:
        """Every synced row here, by (entity type, id), as the wire carries it."""
        out: dict[tuple[str, str], dict[str, Any]] = {}
        with self.uow.read() as s:
            for name, synced in synced_entities().items():
                for row in s.scalars(select(synced.model)):
                    out[(name, row.id)] = row_payload(row)
        return out

    def outbox(self, state: OutboxState | None = None) -> list[OutboxEntry]:
        with self.uow.read() as s:
            query = select(OutboxEntry).order_by(OutboxEntry.seq)
            if state is not None:
                query = query.where(OutboxEntry.state == state.value)
            rows = list(s.scalars(query))
            s.expunge_all()
            return rows

    def audit_count(self, action: str) -> int:
        with self.vault.engine.connect() as conn:
            return int(conn.execute(text("SELECT count(*) FROM audit_event WHERE action = :a"),
                                    {"a": action}).scalar_one())

    def close(self) -> None:
        self.vault.close()


LaptopFn = Callable[..., VaultLaptop]  # the ``laptops`` fixture (tests/sync/conftest.py)


def make_vault(template: Path, folder: Path, user_id: str) -> VaultSession:
    """A copy of the template vault with a device id of its own."""
    shutil.copytree(template, folder)
    store = VaultStore(folder, kdf_cost=TEST_KDF)
    vault = store.unlock(user_id, PASSPHRASE)
    with vault.factory.begin() as s:
        s.execute(update(LocalMeta).where(LocalMeta.key == "device_id")
                  .values(value=str(uuid.uuid4())))
    vault.close()
    return store.unlock(user_id, PASSPHRASE)


def issue_code(store_sessions: sessionmaker[Session], team: str, role: str = "nurse") -> str:
    """A new store user in ``team`` and a one-time code for their laptop."""
    with store_sessions.begin() as session:
        user = admin.create_user(session, team, f"User {uuid.uuid4().hex[:6]}", role)
        return admin_codes.issue_enrolment_code(session, user.id)


@contextmanager
def enrolled_laptops(store_url: str, store_sessions: sessionmaker[Session],
                     template_vault: tuple[Path, str, str], folder: Path,
                     label: str = "Laptop") -> Iterator[LaptopFn]:
    """``make(team, role="nurse")``: a vault of its own (a copy of the template), enrolled
    by the real client; every one made is closed at the end (the ``laptops`` fixtures)."""
    made: list[VaultLaptop] = []

    def make(team_name: str, role: str = "nurse") -> VaultLaptop:
        template, user_id, _ = template_vault
        name = f"{label} {len(made) + 1}"
        slug = label.lower().replace(" ", "-")
        vault = make_vault(template, folder / f"{slug}-{len(made) + 1}", user_id)
        laptop = VaultLaptop(vault, store_url, name)
        made.append(laptop)
        code = issue_code(store_sessions, team_name, role)
        laptop.enrolment = sync_client.enrol(laptop.uow, store_url, code, name)
        return laptop

    try:
        yield make
    finally:
        for laptop in made:
            laptop.close()


def server_records(pg: psycopg.Connection, team_id: str) -> dict[tuple[str, str], Any]:
    """What the store holds for a team: (entity, id) -> (server_version, row, tombstone)."""
    rows = pg.execute("SELECT r.entity_type, r.id, r.server_version, r.row, r.tombstone "
                      "FROM record r WHERE r.team_id = %s", [team_id]).fetchall()
    return {(et, rid): (sv, row, tomb) for et, rid, sv, row, tomb in rows}


def assert_agree(pg: psycopg.Connection, team_id: str, laptops: list[VaultLaptop]) -> None:
    """The store and every laptop hold the same records at the same versions and content."""
    held = server_records(pg, team_id)
    for laptop in laptops:
        mine = laptop.records()
        assert set(mine) == set(held), f"{laptop.name}: records differ from the store"
        for key, (version, row, tomb) in held.items():
            local = mine[key]
            assert local["server_version"] == version, (laptop.name, key)
            assert local["deleted"] is tomb, (laptop.name, key)
            assert {k: v for k, v in local.items() if k != "server_version"} == \
                {k: v for k, v in row.items() if k != "server_version"}, (laptop.name, key)


def pending(laptop: VaultLaptop) -> int:
    return len(laptop.outbox(OutboxState.PENDING))
