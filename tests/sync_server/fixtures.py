"""Fixtures of the central store, for every test that needs one (registered in the root
tests/conftest.py): one real PostgreSQL 15 and one real uvicorn server per session, a fresh
team per test, and laptops enrolled through the API.

Without PostgreSQL's binaries the tests are skipped on a developer's machine, but in CI
(``CI`` set), or as root where apt-get could install them, they fail: a skip must never
hide a broken store. ``.ci/run`` installs ``postgresql-15``.
"""

from __future__ import annotations

import os
import shutil
import uuid
from collections.abc import Callable, Iterator

import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from sync_server import admin, admin_codes
from sync_server.config import MIN_CLIENT_VERSION_ENV, normalise_database_url
from sync_server.database import make_engine, make_session_factory
from tests.sync_server.store import MIN_CLIENT_VERSION, EnrolFn
from tools.throwaway_store import (
    Laptop,
    PostgresCluster,
    StoreProcess,
    enrol_with_code,
    postgres_bin_dir,
)

MISSING = "PostgreSQL is not installed (no /usr/lib/postgresql/*/bin/pg_ctl): "


@pytest.fixture(scope="session")
def postgres() -> Iterator[PostgresCluster]:
    """A throwaway PostgreSQL cluster on a free loopback port."""
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        if os.environ.get("CI") or (os.geteuid() == 0 and shutil.which("apt-get")):
            pytest.fail(MISSING + "apt-get install postgresql-15 (as .ci/run does)")
        pytest.skip(MISSING + "install postgresql-15 to run the central store tests")
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    yield cluster
    cluster.stop()


@pytest.fixture(scope="session")
def store(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
          ) -> Iterator[StoreProcess]:
    """The store under test (requires X-Client-Version >= 0.1.0)."""
    folder = tmp_path_factory.mktemp("store")
    server = StoreProcess(postgres.store_url, folder / "store.log",
                          env={MIN_CLIENT_VERSION_ENV: MIN_CLIENT_VERSION})
    server.start()
    yield server
    server.stop()


@pytest.fixture(scope="session")
def store_sessions(store: StoreProcess, postgres: PostgresCluster
                   ) -> Iterator[sessionmaker[Session]]:
    """Sessions on the store's database for admin work (the server has made the schema)."""
    engine = make_engine(normalise_database_url(postgres.store_url))
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def pg(postgres: PostgresCluster) -> Iterator[psycopg.Connection]:
    """A superuser connection to the store's database, for looking behind the API."""
    with psycopg.connect(postgres.admin_url(), autocommit=True) as conn:
        yield conn


@pytest.fixture
def team(store_sessions: sessionmaker[Session]) -> str:
    """A new team for this test (its name)."""
    name = f"Test INT {uuid.uuid4().hex[:8]}"
    with store_sessions.begin() as session:
        admin.create_team(session, name)
    return name


@pytest.fixture
def enrol(store: StoreProcess, store_sessions: sessionmaker[Session]) -> Iterator[EnrolFn]:
    """``enrol(team, role="nurse")``: a new user with a code spent by a new laptop."""
    laptops: list[Laptop] = []

    def make(team_name: str, role: str = "nurse", server: StoreProcess | None = None) -> Laptop:
        with store_sessions.begin() as session:
            user = admin.create_user(session, team_name, f"User {uuid.uuid4().hex[:6]}", role)
            code = admin_codes.issue_enrolment_code(session, user.id)
        laptop = enrol_with_code(server or store, code)
        laptops.append(laptop)
        return laptop

    yield make
    for laptop in laptops:
        laptop.close()


@pytest.fixture
def store_log(store: StoreProcess) -> Callable[[], str]:
    """The session server's log as it is now."""
    return store.log
