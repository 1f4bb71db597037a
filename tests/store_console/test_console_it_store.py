"""The store side of the console's IT pages, against the real store and real laptop vaults:
deactivating a user (their laptops are refused with words of their own and keep every
unsent change; reactivated, they send what waited), what a laptop tells the store on each
request (last seen, app version, changes waiting), and the per-code limit on wrong
enrolment codes next to the per-address one. All data is synthetic."""

from __future__ import annotations

import datetime as dt
import re
import time
import uuid
from collections.abc import Callable, Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from functools import partial
from pathlib import Path
from typing import TypeVar

import httpx
import psycopg
import pytest
from sqlalchemy.orm import Session, sessionmaker

from desktop_app import __version__ as APP_VERSION
from desktop_app.models.outbox import OutboxState
from desktop_app.models.person import Person
from desktop_app.services import sync
from desktop_app.services.sync.errors import user_deactivated
from desktop_app.services.sync.framework_fetch import fetch_framework
from desktop_app.services.sync.state import credentials
from desktop_app.services.sync.transport import StoreConnection, check_answer
from desktop_app.ui.sync_controller import status_text
from sync_server import admin, admin_codes, cli, store_audit_verify, tokens
from sync_server.admin import DeviceState
from sync_server.admin_codes import CodeState
from sync_server.auth import UNKNOWN_DEVICE, USER_DEACTIVATED
from sync_server.config import ENROL_FAILURES_PER_ADDRESS_ENV, EnrolmentLimits
from sync_server.enrolment import CODE_ATTEMPTS
from sync_server.models import Team, TeamVersionCounter
from tests.sync.laptops import ForwardThen, LaptopFn, VaultLaptop, enrolled_laptops
from tests.sync_server.store import EnrolFn, change
from tools.throwaway_store import CLIENT_VERSION, PostgresCluster, StoreProcess

VERSION = {"X-Client-Version": CLIENT_VERSION}
T = TypeVar("T")


@pytest.fixture
def laptops(store: StoreProcess, store_sessions: sessionmaker[Session],
            template_vault: tuple[Path, str, str], tmp_path: Path) -> Iterator[LaptopFn]:
    """``laptops(team)``: real vaults enrolled by the real client (as tests/sync has)."""
    with enrolled_laptops(store.base_url, store_sessions, template_vault, tmp_path) as make:
        yield make


def _user_id(laptop: VaultLaptop) -> str:
    assert laptop.enrolment is not None
    return laptop.enrolment.user_id


def _device_id(laptop: VaultLaptop) -> str:
    assert laptop.enrolment is not None
    return laptop.enrolment.device_id


def _raw(store: StoreProcess, laptop: VaultLaptop) -> httpx.Client:
    """A plain HTTP client holding the laptop's own token (read from its vault)."""
    token = credentials(laptop.uow).token
    return httpx.Client(base_url=f"{store.base_url}/api/v1", timeout=30,
                        headers={**VERSION, "Authorization": f"Bearer {token}"})


def _device(sessions: sessionmaker[Session], device_id: str) -> admin.DeviceInfo:
    with sessions() as session:
        return admin.get_device(session, device_id)


def _pending(laptop: VaultLaptop) -> int:
    return len(laptop.outbox(OutboxState.PENDING))


def _in_vault(laptop: VaultLaptop, work: Callable[[Session], T]) -> T:
    """``work`` in one transaction of the laptop's vault (what the sync run's ``write``
    does on its database thread)."""
    with laptop.uow.begin() as session:
        return work(session)


def behind(sessions: sessionmaker[Session], pg: psycopg.Connection,
           hold: Callable[[Session], object], then: Callable[[], T]) -> T:
    """``then()``'s result, run on another thread while ``hold``'s transaction is still
    open: once ``then`` is either finished or waiting for a lock in PostgreSQL, ``hold``'s
    transaction commits and ``then`` goes on. (What waits is seen in pg_stat_activity: the
    test waits for that, not for a length of time.)"""
    with ThreadPoolExecutor(1) as pool:
        with sessions.begin() as db:
            hold(db)
            later = pool.submit(then)
            _finished_or_waiting(pg, later)
        return later.result(timeout=120)


def _finished_or_waiting(pg: psycopg.Connection, work: Future[T]) -> None:
    deadline = time.monotonic() + 60
    while not work.done():
        found = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE datname = "
                           "current_database() AND wait_event_type = 'Lock'").fetchone()
        if found is not None and found[0] > 0:
            return
        assert time.monotonic() < deadline, "neither finished nor waiting for a lock"
        time.sleep(0.02)  # polling the condition above, not waiting for it to happen


@pytest.mark.hazard("H-027")
def test_a_deactivated_users_laptop_is_refused_keeps_its_changes_and_sends_them_later(
        store: StoreProcess, store_sessions: sessionmaker[Session], laptops: LaptopFn,
        team: str, pg: psycopg.Connection) -> None:
    leaver, colleague = laptops(team), laptops(team)
    leaver.add_person(1)
    assert leaver.sync().pushed == 1
    with store_sessions.begin() as session:
        assert admin.deactivate_user(session, _user_id(leaver)) is True
        assert admin.deactivate_user(session, _user_id(leaver)) is False

    waiting = leaver.add_person(2)
    with pytest.raises(sync.UserDeactivated) as refused:
        leaver.sync()
    assert leaver.enrolment is not None
    assert refused.value.message == (
        f"The central store no longer syncs for {leaver.enrolment.user_name}: their account "
        "was deactivated. Changes on this laptop are kept. Ask your IT service desk.")
    # Nothing lost, and still enrolled: the token is kept for when the user comes back.
    assert _pending(leaver) == 1
    assert sync.sync_settings(leaver.uow).enrolled
    assert sync.sync_status(leaver.uow).pending == 1

    # Every device endpoint says why, in words of its own (not "unknown or revoked"): the
    # framework fetch too, which the laptop makes after its pull.
    with _raw(store, leaver) as raw:
        answers = [raw.post("/push", json={"changes": [change()]}), raw.get("/pull"),
                   raw.post("/audit", json={"after": None, "events": []}),
                   raw.get("/framework"), raw.get("/framework", params={"flow": "1.0.0"})]
    assert [a.status_code for a in answers] == [401] * 5
    assert all(a.json() == {"detail": USER_DEACTIVATED} for a in answers)
    creds = credentials(leaver.uow)
    with StoreConnection(creds.server_url, token=creds.token, ca_bundle=creds.ca_bundle
                         ) as conn, pytest.raises(sync.UserDeactivated):
        fetch_framework(conn, partial(_in_vault, leaver))
    # The store still has everything the leaver sent; the colleague syncs on as ever.
    sent = pg.execute("SELECT count(*) FROM record WHERE device_id = %s",
                      [_device_id(leaver)]).fetchone()
    assert sent == (1,)
    colleague.add_person(3)
    assert colleague.sync().pushed == 1
    assert _device(store_sessions, _device_id(leaver)).state is DeviceState.USER_DEACTIVATED
    assert _device(store_sessions, _device_id(colleague)).state is DeviceState.ACTIVE

    with store_sessions.begin() as session:
        assert admin.reactivate_user(session, _user_id(leaver)) is True
    result = leaver.sync()
    assert result.pushed == 1 and _pending(leaver) == 0
    colleague.sync()
    assert colleague.get(Person, waiting) is not None


@pytest.mark.hazard("H-027")
def test_a_deactivated_user_gets_no_new_code_and_their_unspent_ones_are_withdrawn(
        store: StoreProcess, store_sessions: sessionmaker[Session], team: str) -> None:
    with store_sessions.begin() as session:
        user = admin.create_user(session, team, "Robin Leaver", "nurse")
        code = admin_codes.issue_enrolment_code(session, user.id)
        admin.deactivate_user(session, user.id)
        with pytest.raises(admin.AdminError, match="Robin Leaver is deactivated"):
            admin_codes.issue_enrolment_code(session, user.id)
        [listed] = admin_codes.list_codes(session, team)
    assert listed.state is CodeState.WITHDRAWN
    assert _enrol_from(store, "127.0.0.41", code).status_code == 401


def test_a_sync_tells_the_store_when_it_was_seen_its_version_and_what_still_waits(
        store: StoreProcess, store_sessions: sessionmaker[Session], laptops: LaptopFn,
        team: str) -> None:
    nurse = laptops(team)
    before = _device(store_sessions, _device_id(nurse))
    assert (before.last_seen_at, before.app_version, before.pending_changes) == (None, None, None)
    nurse.add_people(range(1, 4))
    sent: list[tuple[str, str | None]] = []

    def note(request: httpx.Request) -> None:
        sent.append((request.url.path.rsplit("/", 1)[-1],
                     request.headers.get("X-Pending-Changes")))

    watch = ForwardThen(note)

    started = dt.datetime.now(dt.UTC)
    assert nurse.sync(transport=watch).pushed == 3

    # The push carried what waited before it, every later request (audit trail, pull, ...)
    # what still waits: the run's last request leaves the store the figure after the sync.
    assert ("push", "3") in sent
    last_push = max(i for i, (path, _) in enumerate(sent) if path == "push")
    later = sent[last_push + 1:]
    assert "pull" in [path for path, _ in later] and all(count == "0" for _, count in later)
    after = _device(store_sessions, _device_id(nurse))
    assert after.last_seen_at is not None and after.last_seen_at >= started - dt.timedelta(
        seconds=1)
    assert after.app_version == APP_VERSION
    assert after.pending_changes == 0

    # A deactivated user's laptop is still seen trying, with what it holds.
    with store_sessions.begin() as session:
        admin.deactivate_user(session, _user_id(nurse))
    nurse.add_people(range(4, 6))
    with pytest.raises(sync.UserDeactivated):
        nurse.sync()
    refused = _device(store_sessions, _device_id(nurse))
    assert (refused.pending_changes, refused.state) == (2, DeviceState.USER_DEACTIVATED)


def test_last_seen_is_written_at_most_once_a_minute_unless_something_changed(
        enrol: EnrolFn, team: str, pg: psycopg.Connection) -> None:
    laptop = enrol(team)
    device_id = laptop.device_id

    def row() -> tuple[object, ...]:
        found = pg.execute("SELECT last_seen_at, app_version, pending_changes FROM device "
                           "WHERE id = %s", [device_id]).fetchone()
        assert found is not None
        return tuple(found)

    assert laptop.http.get("/pull", headers={"X-Pending-Changes": "7"}).status_code == 200
    first = row()
    assert first[1:] == (CLIENT_VERSION, 7)
    # The same facts again within the minute: not written (the time stays as it was).
    assert laptop.http.get("/pull", headers={"X-Pending-Changes": "7"}).status_code == 200
    assert row() == first
    # Malformed counts are ignored, never refused.
    for bad in ("-1", "seven", "99999999999", "1e3", ""):
        assert laptop.http.get("/pull", headers={"X-Pending-Changes": bad}).status_code == 200
    assert row() == first
    # A new count is written at once, and a minute later the time is written again.
    assert laptop.http.get("/pull", headers={"X-Pending-Changes": "0"}).status_code == 200
    assert row()[2] == 0
    pg.execute("UPDATE device SET last_seen_at = last_seen_at - interval '61 s' WHERE id = %s",
               [device_id])
    moved = row()[0]
    assert laptop.http.get("/pull", headers={"X-Pending-Changes": "0"}).status_code == 200
    assert row()[0] > moved  # type: ignore[operator]


def _enrol_from(store: StoreProcess, address: str, code: str) -> httpx.Response:
    with httpx.Client(transport=httpx.HTTPTransport(local_address=address)) as client:
        return client.post(f"{store.base_url}/api/v1/enrol", headers=VERSION,
                           json={"code": code, "device_name": "Guessed laptop"})


def _near_miss(code: str) -> str:
    """A wrong code with the same first group as ``code``."""
    while True:
        guess = code[:5] + tokens.new_enrolment_code()[5:]
        if guess != code:
            return guess


@pytest.mark.hazard("H-027")
def test_wrong_codes_sharing_a_codes_first_group_withdraw_it(
        store: StoreProcess, store_sessions: sessionmaker[Session], team: str,
        pg: psycopg.Connection) -> None:
    with store_sessions.begin() as session:
        user = admin.create_user(session, team, "Sam Example", "nurse")
        code = admin_codes.issue_enrolment_code(session, user.id)
        other = admin_codes.issue_enrolment_code(session, user.id)
    # From several addresses, so the per-address limit (10) is not what stops it.
    addresses = [f"127.0.0.{50 + i}" for i in range(CODE_ATTEMPTS)]
    for n, address in enumerate(addresses[:-1], start=1):
        assert _enrol_from(store, address, _near_miss(code)).status_code == 401
        with store_sessions() as session:
            [listed] = [c for c in admin_codes.list_codes(session, team) if c.prefix == code[:4]]
        assert (listed.state, listed.failed_attempts) == (CodeState.ACTIVE, n)
    assert _enrol_from(store, addresses[-1], _near_miss(code)).status_code == 401

    # Withdrawn: even the right code is refused now, and said so in the audit trail.
    assert _enrol_from(store, "127.0.0.60", code).status_code == 401
    with store_sessions() as session:
        codes = {c.prefix: c for c in admin_codes.list_codes(session, team)}
    withdrawn = codes[code[:4]]
    assert (withdrawn.state, withdrawn.failed_attempts) == (CodeState.WITHDRAWN, CODE_ATTEMPTS)
    assert withdrawn.issued_by is None and withdrawn.issued_by_name is None  # not the console
    team_id = pg.execute("SELECT id FROM team WHERE name = %s", [team]).fetchone()
    assert team_id is not None
    events = pg.execute("SELECT action, actor_kind, detail->>'code_id' FROM store_audit_event "
                        "WHERE chain = %s ORDER BY seq", [team_id[0]]).fetchall()
    assert ("enrolment_code_withdrawn", "system", withdrawn.id) in events
    assert ("enrolment_refused", "system", withdrawn.id) in events
    # Another code of the same user is untouched (unless it happened to share the group).
    if other[:4] != code[:4]:
        assert _enrol_from(store, "127.0.0.61", other).status_code == 200


@pytest.fixture(scope="module")
def strict_store(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[StoreProcess]:
    """A second store process on the session's database with the production limit per
    address (the session store's are lenient; the store-wide ceiling stays lenient, as the
    session's other tests try many wrong codes)."""
    defaults = EnrolmentLimits()
    server = StoreProcess(postgres.store_url, tmp_path_factory.mktemp("strict") / "store.log",
                          env={ENROL_FAILURES_PER_ADDRESS_ENV: str(defaults.per_address)})
    server.start()
    yield server
    server.stop()


@pytest.mark.hazard("H-027")
def test_the_per_address_guessing_limit_still_stops_after_ten(
        strict_store: StoreProcess, store_sessions: sessionmaker[Session], team: str) -> None:
    address = "127.0.0.77"  # an address of its own: the session store's other tests use others
    with store_sessions.begin() as session:
        user = admin.create_user(session, team, "Kim Example", "nurse")
        code = admin_codes.issue_enrolment_code(session, user.id)
    limit = EnrolmentLimits().per_address
    answers = [_enrol_from(strict_store, address, tokens.new_enrolment_code()).status_code
               for _ in range(limit)]
    assert answers == [401] * limit
    stopped = _enrol_from(strict_store, address, code)
    assert stopped.status_code == 429 and int(stopped.headers["Retry-After"]) > 0
    assert stopped.json()["detail"].startswith("Too many wrong enrolment codes from this network")
    with store_sessions() as session:
        [listed] = admin_codes.list_codes(session, team)
    assert listed.state is CodeState.ACTIVE  # the code was not even looked at
    assert _enrol_from(strict_store, "127.0.0.78", code).status_code == 200


def test_enrolment_and_each_push_batch_are_on_the_teams_audit_chain(
        enrol: EnrolFn, team: str, store_sessions: sessionmaker[Session],
        pg: psycopg.Connection) -> None:
    nurse, reader = enrol(team), enrol(team, role="read_only")
    first = change()
    assert nurse.push([first, change()])[0]["status"] == "applied"
    nurse.push([first])  # the same change again: a duplicate
    assert reader.http.post("/push", json={"changes": [change()]}).status_code == 403

    events = pg.execute("SELECT action, actor_kind, device_id, user_id, detail "
                        "FROM store_audit_event WHERE chain = %s ORDER BY seq",
                        [nurse.team_id]).fetchall()
    enrolled = [e for e in events if e[0] == "device_enrolled"]
    assert [e[2] for e in enrolled] == [nurse.device_id, reader.device_id]
    assert enrolled[0][1] == "device" and enrolled[0][4]["device_name"] == "Test laptop"
    assert enrolled[0][4]["code_id"]
    pushes = [(e[2], e[4]) for e in events if e[0] in ("push", "push_refused")]
    assert pushes == [
        (nurse.device_id, {"changes": 2, "applied": 2, "duplicates": 0, "conflicts": 0,
                           "rejected": 0, "result": "ok"}),
        (nurse.device_id, {"changes": 1, "applied": 0, "duplicates": 1, "conflicts": 0,
                           "rejected": 0, "result": "ok"}),
        (reader.device_id, {"changes": 1, "result": "refused-readonly"}),
    ]
    # Ids, counts and outcomes only: nothing of a row reaches the trail.
    assert "Testperson" not in str(events) and "Leicester" not in str(events)
    with store_sessions() as session:
        [report] = store_audit_verify.verify(session, nurse.team_id)
    assert report.ok, report.problem


@pytest.mark.hazard("H-027")
def test_the_command_line_deactivates_and_reactivates_a_user(
        enrol: EnrolFn, team: str, postgres: PostgresCluster, pg: psycopg.Connection,
        capsys: pytest.CaptureFixture[str]) -> None:
    laptop = enrol(team)
    user_id = pg.execute("SELECT user_id FROM device WHERE id = %s",
                         [laptop.device_id]).fetchone()
    assert user_id is not None

    def run(*args: str) -> tuple[int, str]:
        status = cli.main(["--database-url", postgres.store_url, *args])
        return status, capsys.readouterr().out.strip()

    assert run("deactivate-user", user_id[0]) == (0, f"deactivated {user_id[0]}")
    assert run("deactivate-user", user_id[0]) == (0, f"{user_id[0]} was already deactivated")
    refused = laptop.http.get("/pull")
    assert (refused.status_code, refused.json()["detail"]) == (401, USER_DEACTIVATED)
    status, listed = run("list-devices", "--team", team)
    assert status == 0 and "user deactivated" in listed
    assert run("reactivate-user", user_id[0]) == (0, f"reactivated {user_id[0]}")
    assert laptop.http.get("/pull").status_code == 200
    assert run("reactivate-user", str(uuid.uuid4()))[0] == 1
    events = pg.execute("SELECT action, actor_kind FROM store_audit_event WHERE chain = "
                        "'console' AND detail->>'user' = %s ORDER BY seq",
                        [user_id[0]]).fetchall()
    assert {"user_deactivated", "user_reactivated"} <= {e[0] for e in events}
    assert {e[1] for e in events} == {"cli"}


def test_the_laptop_tells_a_deactivated_account_from_a_revoked_laptop() -> None:
    def answer(detail: str) -> httpx.Response:
        return httpx.Response(401, json={"detail": detail},
                              headers={"X-Shared-Care-Store": "1"})

    with pytest.raises(sync.UserDeactivated, match="their account was deactivated"):
        check_answer(answer(USER_DEACTIVATED))
    with pytest.raises(sync.DeviceRevoked, match="enrol it again"):
        check_answer(answer(UNKNOWN_DEVICE))
    status = sync.SyncStatus(pending=3, conflicts=0, quarantined=0, last_synced_at=None,
                             enrolled=True)
    now = dt.datetime.now(dt.UTC)
    said = status_text(status, False, sync.UserDeactivated(user_deactivated("Sam")), now)
    assert said == ("Sync stopped: account deactivated on the central store — 3 changes "
                    "waiting, kept here")


def test_a_team_is_found_by_its_id_before_a_team_named_like_that_id(
        store_sessions: sessionmaker[Session], pg: psycopg.Connection) -> None:
    # A team named like an id could only have been added before such names were refused:
    # made here directly, before the team whose id it is (so it is first in the table).
    taken_id, shadow_id = str(uuid.uuid4()), str(uuid.uuid4())
    pg.execute("INSERT INTO team (id, name, created_at) VALUES (%s, %s, now())",
               [shadow_id, taken_id])
    pg.execute("INSERT INTO team_version_counter (team_id, value) VALUES (%s, 0)", [shadow_id])
    name = f"Real INT {uuid.uuid4().hex[:6]}"
    with store_sessions.begin() as session:
        session.add(Team(id=taken_id, name=name))
        session.flush()
        session.add(TeamVersionCounter(team_id=taken_id, value=0))
    with store_sessions() as session:
        assert admin.find_team(session, taken_id).name == name  # the id first
        assert admin.find_team(session, name).id == taken_id  # then the exact name
        assert admin.find_team(session, shadow_id).name == taken_id
        with pytest.raises(admin.AdminError, match="no team"):
            admin.find_team(session, name.lower())  # not a name of any team, exactly


def test_a_new_team_name_like_another_but_for_capitals_or_like_an_id_is_refused(
        store_sessions: sessionmaker[Session], pg: psycopg.Connection) -> None:
    name = f"Case INT {uuid.uuid4().hex[:6]}"
    with store_sessions.begin() as session:
        admin.create_team(session, name)
    same = re.escape(f"a team called {name!r} already exists: names differing only in "
                     "capitals or spaces")
    for typed in (name.upper(), f"  {name.lower()}\t"):
        with store_sessions.begin() as session, pytest.raises(admin.AdminError, match=same):
            admin.create_team(session, typed)
    for typed in (str(uuid.uuid4()), uuid.uuid4().hex, f" {str(uuid.uuid4()).upper()} "):
        with store_sessions.begin() as session, pytest.raises(admin.AdminError,
                                                              match="looks like an id"):
            admin.create_team(session, typed)

    # Two at the same moment: the second waits for the first's answer, then is refused.
    raced = f"Race INT {uuid.uuid4().hex[:6]}"

    def second() -> None:
        with store_sessions.begin() as session:
            admin.create_team(session, raced.upper())

    with pytest.raises(admin.AdminError, match=re.escape(f"a team called {raced!r}")):
        behind(store_sessions, pg, lambda session: admin.create_team(session, raced), second)
    found = pg.execute("SELECT name FROM team WHERE lower(name) IN (lower(%s), lower(%s))",
                       [name, raced]).fetchall()
    assert sorted(found) == sorted([(name,), (raced,)])
