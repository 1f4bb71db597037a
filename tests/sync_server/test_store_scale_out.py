"""More than one machine (issue 20, item 9): the store's processes keep nothing of their own
between requests, so any number of them can stand behind a load balancer on one PostgreSQL;
and a store runs behind PgBouncer in transaction pooling mode.

Real laptops (tests/sync/laptops.py: real vaults, the real desktop sync client) switch
between two ``shared-care-store serve`` processes on one throwaway PostgreSQL in the middle
of a sync: every request goes to the other process, as a round-robin load balancer sends
them, while other laptops sync at the same moment; a reply lost at one process is resent to
the other. Then a store runs through PgBouncer (Debian's ``pgbouncer``; transaction pooling,
server connections handed out round robin, so each transaction is likely to run on another
server session). Each time every laptop ends with exactly the store's records, each once,
nothing lost. All data is synthetic (999-range NHS numbers).
"""

from __future__ import annotations

import os
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import psycopg
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.outbox import OutboxState
from desktop_app.models.person import Person
from desktop_app.models.sync import SyncState
from desktop_app.services import sync as sync_client
from desktop_app.services.sync import SyncOptions
from sync_server import admin
from sync_server.config import (
    MIN_CLIENT_VERSION_ENV,
    PGBOUNCER_ENV,
    Settings,
    normalise_database_url,
)
from sync_server.database import make_engine, make_session_factory
from tests.sync.laptops import (
    VaultLaptop,
    assert_agree,
    issue_code,
    lose_push_replies,
    make_vault,
    server_records,
)
from tests.sync_server.scale_out import (
    LoseFirstPush,
    RoundRobin,
    fresh_database,
    start_together,
    sync_together,
)
from tests.sync_server.store import MIN_CLIENT_VERSION
from tools.throwaway_store import (
    CLIENT_VERSION,
    PgBouncer,
    PostgresCluster,
    StoreProcess,
    pgbouncer_binary,
)

NO_PGBOUNCER = "PgBouncer is not installed (no pgbouncer on PATH or in /usr/sbin): "
STORE_ENV = {MIN_CLIENT_VERSION_ENV: MIN_CLIENT_VERSION}
# The pair refuses enrolment from an address after two wrong codes (within 15 minutes).
PAIR_ENV = {**STORE_ENV, "SCP_STORE_ENROL_FAILURES_PER_ADDRESS": "2"}
EnrolFn = Callable[[sessionmaker[Session], str, StoreProcess], VaultLaptop]


def new_team(sessions: sessionmaker[Session]) -> tuple[str, str]:
    """A new team: (name, id)."""
    with sessions.begin() as session:
        team = admin.create_team(session, f"Scale-out INT {uuid.uuid4().hex[:8]}")
        return team.name, team.id


def settled(laptop: VaultLaptop) -> None:
    """Nothing waits to be sent, nothing was refused, no conflict is open."""
    status = sync_client.sync_status(laptop.uow)
    assert (status.pending, status.conflicts, status.quarantined, status.held_back) == \
        (0, 0, 0, 0), laptop.name
    assert laptop.outbox(OutboxState.PENDING) == []


def applied_count(pg: psycopg.Connection, team_id: str) -> int:
    row = pg.execute("SELECT count(*) FROM applied_change WHERE team_id = %s",
                     [team_id]).fetchone()
    assert row is not None
    return int(row[0])


def sent_changes(laptops: list[VaultLaptop]) -> int:
    """Outbox entries the store applied, over all the laptops (each is one change)."""
    return sum(len(laptop.outbox(OutboxState.DONE)) for laptop in laptops)


@pytest.fixture(scope="module")
def shared_database(postgres: PostgresCluster) -> str:
    """The URL of the database the pair of processes shares."""
    return fresh_database(postgres)


@pytest.fixture(scope="module")
def pair(shared_database: str, tmp_path_factory: pytest.TempPathFactory
         ) -> Iterator[tuple[StoreProcess, StoreProcess]]:
    """Two store processes on one PostgreSQL database, on two ports. The first is behind a
    load balancer on loopback: it believes ``X-Forwarded-For`` from 127.0.0.1. The second
    is reached directly: only 192.0.2.1 (nobody here) would be a proxy to it."""
    folder = tmp_path_factory.mktemp("scale-out")
    servers = [StoreProcess(shared_database, folder / f"store-{n}.log", env=PAIR_ENV,
                            serve_args=("--forwarded-allow-ips", proxy))
               for n, proxy in (("a", "127.0.0.1"), ("b", "192.0.2.1"))]
    start_together(servers)
    yield servers[0], servers[1]
    for server in servers:
        server.stop()


@pytest.fixture(scope="module")
def sessions(pair: tuple[StoreProcess, StoreProcess], shared_database: str
             ) -> Iterator[sessionmaker[Session]]:
    """Admin sessions on the pair's database."""
    engine = make_engine(normalise_database_url(shared_database))
    yield make_session_factory(engine)
    engine.dispose()


@pytest.fixture
def pg(shared_database: str) -> Iterator[psycopg.Connection]:
    """A connection to the pair's database, for looking behind the API."""
    with psycopg.connect(shared_database, autocommit=True) as conn:
        yield conn


@pytest.fixture
def enrolled(template_vault: tuple[Path, str, str], tmp_path: Path) -> Iterator[EnrolFn]:
    """``enrolled(sessions, team, server)``: a laptop with a vault of its own, enrolled by
    the real client at ``server`` as a new nurse of ``team``."""
    made: list[VaultLaptop] = []

    def make(admin_sessions: sessionmaker[Session], team: str, server: StoreProcess
             ) -> VaultLaptop:
        folder, user_id, _ = template_vault
        number = len(made) + 1
        vault = make_vault(folder, tmp_path / f"laptop-{number}", user_id)
        laptop = VaultLaptop(vault, server.base_url, f"Laptop {number}")
        made.append(laptop)
        code = issue_code(admin_sessions, team)
        laptop.enrolment = sync_client.enrol(laptop.uow, server.base_url, code, laptop.name)
        return laptop

    yield make
    for laptop in made:
        laptop.close()


@pytest.mark.hazard("H-017")
def test_laptops_switching_process_on_every_request_converge_with_nothing_lost(
        pair: tuple[StoreProcess, StoreProcess], sessions: sessionmaker[Session],
        enrolled: EnrolFn, pg: psycopg.Connection) -> None:
    a, b = pair
    team, team_id = new_team(sessions)
    nurse, colleague, third = (enrolled(sessions, team, a), enrolled(sessions, team, b),
                               enrolled(sessions, team, a))
    mine = nurse.add_people(range(1, 61))
    theirs = colleague.add_people(range(101, 141))
    others = third.add_people(range(201, 226))
    routes = [RoundRobin(a, b), RoundRobin(b, a), RoundRobin(a, b)]
    small = SyncOptions(batch_size=7, pull_limit=11)

    # All three at once, each request to the other process: pushes in batches of 7 land on
    # both, and pages of 11 are pulled from both while the others' pushes commit on both.
    sync_together([(nurse, routes[0], small), (colleague, routes[1], small),
                   (third, routes[2], small)])
    for laptop in (nurse, colleague, third):
        laptop.sync(transport=RoundRobin(a, b), batch_size=7, pull_limit=11)
    # Edits of each other's records and deletions, again all at once across both processes.
    for n, record in enumerate(theirs[:10]):
        nurse.edit(Person, record, phone=f"0116 496 {n:04d}")
    for record in mine[:3]:
        colleague.delete(Person, record)
    for n, record in enumerate(others[:5]):
        colleague.edit(Person, record, town=f"Town {n}")
    third.edit(Person, mine[10], postcode="LE2 1AA")
    sync_together([(nurse, routes[0], small), (colleague, routes[1], small),
                   (third, routes[2], small)])
    for laptop in (nurse, colleague, third, nurse, colleague):
        laptop.sync(transport=RoundRobin(b, a), batch_size=7, pull_limit=11)

    for route in routes:  # every laptop really did switch in the middle of its runs
        assert route.reached("push") == route.reached("pull") == {a.port, b.port}
    everyone = [nurse, colleague, third]
    for laptop in everyone:
        settled(laptop)
    held = server_records(pg, team_id)
    assert set(held) == {("person", i) for i in mine + theirs + others}
    assert sorted(i for (_, i), (_, _, gone) in held.items() if gone) == sorted(mine[:3])
    assert held[("person", theirs[9])][1]["phone"] == "0116 496 0009"
    assert held[("person", others[4])][1]["town"] == "Town 4"
    assert held[("person", mine[10])][1]["postcode"] == "LE2 1AA"
    # Each change applied once (one key each), and each version handed out once.
    assert applied_count(pg, team_id) == sent_changes(everyone) == 60 + 40 + 25 + 10 + 3 + 5 + 1
    versions = [version for version, _, _ in held.values()]
    assert len(set(versions)) == len(versions)
    assert_agree(pg, team_id, everyone)


def _point_at(laptop: VaultLaptop, url: str) -> None:
    """The laptop's store address changed (DNS moved, another front end) without enrolling."""
    with laptop.uow.begin() as session:
        session.execute(update(SyncState).values(server_url=url))
    laptop.server_url = url


@pytest.mark.hazard("H-017")
def test_a_reply_lost_at_one_process_is_resent_to_the_other_and_stored_once(
        pair: tuple[StoreProcess, StoreProcess], sessions: sessionmaker[Session],
        enrolled: EnrolFn, pg: psycopg.Connection) -> None:
    a, b = pair
    team, team_id = new_team(sessions)
    nurse, colleague = enrolled(sessions, team, a), enrolled(sessions, team, b)
    people = nurse.add_people(range(1, 31))

    # Process a commits the first batch; its reply never reaches the laptop.
    with pytest.raises(sync_client.ServerUnreachable):
        nurse.sync(transport=lose_push_replies(), batch_size=10)
    unanswered = len(nurse.outbox(OutboxState.PENDING))
    assert unanswered >= 10
    _point_at(nurse, b.base_url)
    nurse.edit(Person, people[0], phone="0116 496 0001")  # edited while unanswered
    result = nurse.sync(batch_size=10)  # process b answers the resend

    assert result.pushed == unanswered + 1
    # Behind the round robin: the push reaches a, its reply is lost, the resend goes to b.
    colleague.sync(transport=RoundRobin(b, a), pull_limit=7)
    colleague.edit(Person, people[1], town="Hinckley")
    first, second = RoundRobin(b, a), RoundRobin(a, b)  # health, then push, on each
    with pytest.raises(sync_client.ServerUnreachable):
        colleague.sync(transport=LoseFirstPush(first), pull_limit=7)
    assert colleague.sync(transport=second, pull_limit=7).pushed == 1
    assert (first.reached("push"), second.reached("push")) == ({a.port}, {b.port})
    nurse.sync(transport=RoundRobin(a, b), pull_limit=7)

    for laptop in (nurse, colleague):
        settled(laptop)
    held = server_records(pg, team_id)
    assert len(held) == 30
    assert held[("person", people[0])][1]["phone"] == "0116 496 0001"
    assert held[("person", people[1])][1]["town"] == "Hinckley"
    assert applied_count(pg, team_id) == sent_changes([nurse, colleague]) == 32
    assert_agree(pg, team_id, [nurse, colleague])


@pytest.mark.hazard("H-027")
def test_a_revoked_laptop_and_a_spent_code_are_refused_by_every_process_at_once(
        pair: tuple[StoreProcess, StoreProcess], sessions: sessionmaker[Session],
        enrolled: EnrolFn) -> None:
    a, b = pair
    team, _ = new_team(sessions)
    nurse = enrolled(sessions, team, a)
    nurse.add_people(range(1, 4))
    nurse.sync(transport=RoundRobin(a, b), batch_size=1)
    with nurse.uow.read() as session:
        state = session.get(SyncState, 1)
        assert state is not None and state.device_token and state.server_device_id
        token, device_id = state.device_token, state.server_device_id
    headers = {"Authorization": f"Bearer {token}", "X-Client-Version": CLIENT_VERSION}
    for server in pair:  # both processes have served this token (nothing cached since)
        assert httpx.get(f"{server.base_url}/api/v1/pull", headers=headers).status_code == 200

    with sessions.begin() as session:
        admin.revoke_device(session, device_id)

    for server in pair:
        refused = httpx.get(f"{server.base_url}/api/v1/pull", headers=headers)
        assert refused.status_code == 401, server.port
    code = issue_code(sessions, team)
    enrol = {"code": code, "device_name": "Laptop 9"}
    version = {"X-Client-Version": CLIENT_VERSION}
    assert httpx.post(f"{a.base_url}/api/v1/enrol", json=enrol, headers=version
                      ).status_code == 200
    assert httpx.post(f"{b.base_url}/api/v1/enrol", json=enrol, headers=version
                      ).status_code == 401


@pytest.mark.hazard("H-027")
def test_behind_a_load_balancer_wrong_codes_count_against_the_laptops_own_address(
        pair: tuple[StoreProcess, StoreProcess], sessions: sessionmaker[Session],
        pg: psycopg.Connection) -> None:
    balanced, direct = pair
    team, _ = new_team(sessions)

    def enrol(server: StoreProcess, forwarded_for: str, code: str = "0000-0000-0000-0000"
              ) -> int:
        return httpx.post(f"{server.base_url}/api/v1/enrol",
                          json={"code": code, "device_name": "Laptop 7"},
                          headers={"X-Client-Version": CLIENT_VERSION,
                                   "X-Forwarded-For": forwarded_for}).status_code

    pg.execute("DELETE FROM enrolment_failure")  # (the other tests' spent codes)
    try:
        assert [enrol(balanced, "203.0.113.7") for _ in range(2)] == [401, 401]
        assert enrol(balanced, "203.0.113.7", issue_code(sessions, team)) == 429
        # The balancer's other laptops are not held up by that one.
        assert enrol(balanced, "203.0.113.8", issue_code(sessions, team)) == 200
        # A laptop that is not behind a trusted proxy cannot dodge the limit with the header.
        assert [enrol(direct, f"203.0.113.{n}") for n in (20, 21)] == [401, 401]
        assert enrol(direct, "203.0.113.22", issue_code(sessions, team)) == 429
    finally:
        pg.execute("DELETE FROM enrolment_failure")


def test_the_pgbouncer_setting_turns_off_server_side_prepared_statements(
        postgres: PostgresCluster, monkeypatch: pytest.MonkeyPatch) -> None:
    for text, expected in (("", False), ("0", False), ("1", True), (" true ", True)):
        monkeypatch.setenv(PGBOUNCER_ENV, text)
        assert Settings.from_env("sqlite:///x").transaction_pooling is expected
    monkeypatch.setenv(PGBOUNCER_ENV, "transaction")
    with pytest.raises(ValueError, match=PGBOUNCER_ENV):
        Settings.from_env("sqlite:///x")
    url = normalise_database_url(postgres.store_url)
    monkeypatch.setenv(PGBOUNCER_ENV, "1")  # what the app's engine goes by (serve sets it)
    for pooling, threshold in ((None, None), (True, None), (False, 5)):
        engine = make_engine(url, transaction_pooling=pooling)
        with engine.connect() as conn:
            driver = conn.connection.driver_connection
            assert driver is not None and driver.prepare_threshold == threshold
        engine.dispose()


@pytest.fixture(scope="module")
def bouncer(postgres: PostgresCluster) -> Iterator[PgBouncer]:
    """PgBouncer in transaction pooling mode in front of a database of its own, whose schema
    was made directly on PostgreSQL (``upgrade``), as docs/sync-server.md says to."""
    binary = pgbouncer_binary()
    if binary is None:
        if os.environ.get("CI"):
            pytest.fail(NO_PGBOUNCER + "apt-get install pgbouncer (as .ci/run does)")
        pytest.skip(NO_PGBOUNCER + "apt-get install pgbouncer to run the PgBouncer test")
    database = fresh_database(postgres).rsplit("/", 1)[1]
    pool = PgBouncer(postgres, binary, database=database, pool_size=3).start()
    yield pool
    pool.stop()


@pytest.mark.hazard("H-017")
def test_a_store_behind_pgbouncer_in_transaction_mode_syncs_pushes_pulls_and_conflicts(
        bouncer: PgBouncer, postgres: PostgresCluster, enrolled: EnrolFn, tmp_path: Path
) -> None:
    server = StoreProcess(bouncer.store_url, tmp_path / "store.log",
                          env={**STORE_ENV, PGBOUNCER_ENV: "1"}).start()
    # The admin commands go through PgBouncer too (``SCP_STORE_PGBOUNCER=1``).
    engine = make_engine(normalise_database_url(bouncer.store_url), transaction_pooling=True)
    try:
        sessions = make_session_factory(engine)
        # What the store holds is read straight from PostgreSQL, not through PgBouncer.
        direct = postgres.store_url.rsplit("/", 1)[0] + "/" + bouncer.database
        _sync_through_pgbouncer(bouncer, server, sessions, enrolled, direct)
    finally:
        engine.dispose()
        server.stop()


def _sync_through_pgbouncer(bouncer: PgBouncer, server: StoreProcess,
                            sessions: sessionmaker[Session], enrolled: EnrolFn,
                            direct_url: str) -> None:
    team, team_id = new_team(sessions)
    laptops = [enrolled(sessions, team, server) for _ in range(3)]
    nurse, colleague, third = laptops
    people = nurse.add_people(range(1, 41))
    colleague.add_people(range(101, 131))
    third.add_people(range(201, 221))
    small = SyncOptions(batch_size=5, pull_limit=7)
    # Many short transactions from several store connections at once: with server-side
    # prepared statements left on, a statement psycopg prepared on one server session is
    # soon called for on another ("prepared statement ... does not exist").
    sync_together([(laptop, None, small) for laptop in laptops])
    for laptop in laptops:
        laptop.sync(batch_size=5, pull_limit=7)
    nurse.edit(Person, people[0], phone="0116 496 0001", town="Loughborough")
    colleague.edit(Person, people[0], phone="0116 496 0999")
    third.delete(Person, people[1])
    nurse.sync()
    assert colleague.sync().conflicts == 1
    [conflict] = sync_client.list_conflicts(colleague.uow)
    sync_client.resolve_conflict(colleague.uow, conflict.id, "mine")
    sync_together([(laptop, None, small) for laptop in laptops])
    for laptop in laptops:
        laptop.sync(batch_size=5, pull_limit=7)

    [pool] = [p for p in bouncer.show("POOLS") if p["database"] == bouncer.database]
    assert pool["pool_mode"] == "transaction"
    servers = [s for s in bouncer.show("SERVERS") if s["database"] == bouncer.database]
    assert 1 <= len(servers) <= bouncer.pool_size
    [stats] = [s for s in bouncer.show("STATS") if s["database"] == bouncer.database]
    assert stats["total_xact_count"] > 20 * bouncer.pool_size  # many transactions, few sessions
    for laptop in laptops:
        settled(laptop)
    with psycopg.connect(direct_url) as pg:
        held = server_records(pg, team_id)
        assert len(held) == 90 and held[("person", people[1])][2] is True
        assert held[("person", people[0])][1]["phone"] == "0116 496 0999"
        # Keep mine sent the colleague's whole row: the nurse's town stays in the conflict.
        assert held[("person", people[0])][1]["town"] == "Leicester"
        assert applied_count(pg, team_id) == sent_changes(laptops) == 40 + 30 + 20 + 3
        assert_agree(pg, team_id, laptops)
    assert "prepared statement" not in server.log()
