"""Per-team version counters (issue 20, item 8): a push locks its team's counter only.

Another team's push goes through while one team's counter row is held in an open
transaction; the same team's push waits for it. Versions are counted per team and a pull,
always one team's, never passes a version committed later. Migrating a store with data from
0002 keeps every laptop's cursor valid. Two teams racing for the same record id or key get a
plain answer, never a 500. A laptop moved to another team pulls that team from 0. All data
is synthetic.
"""

from __future__ import annotations

import json
import threading
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import Engine, text
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.services import sync as sync_client
from sync_server import admin, pull, push
from sync_server.auth import DeviceContext
from sync_server.config import normalise_database_url
from sync_server.database import alembic_config, make_engine, make_session_factory
from sync_server.schemas import ChangeIn
from tests.sync.laptops import VaultLaptop, issue_code, make_vault
from tests.sync_server.store import EnrolFn, change, new_people, statuses
from tools.throwaway_store import Laptop, PostgresCluster, StoreProcess

WAIT_S = 5.0  # far above a push on loopback; what "not blocked" allows


def _new_team(store_sessions: sessionmaker[Session]) -> str:
    name = f"Test INT {uuid.uuid4().hex[:8]}"
    with store_sessions.begin() as session:
        admin.create_team(session, name)
    return name


def _store_backends_waiting(pg: psycopg.Connection, server: StoreProcess) -> int:
    assert server.proc is not None
    found = pg.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                       "AND wait_event_type = 'Lock'",
                       [f"shared-care-store/{server.proc.pid}"]).fetchone()
    return int(found[0]) if found else 0


def _wait_for(condition: Callable[[], bool], within: float = WAIT_S) -> bool:
    deadline = time.monotonic() + within
    while time.monotonic() < deadline:
        if condition():
            return True
        time.sleep(0.01)
    return False


class Pushing(threading.Thread):
    """A push on a thread of its own, its answers (or what it raised) kept."""

    def __init__(self, laptop: Laptop, changes: list[dict[str, Any]]) -> None:
        super().__init__(daemon=True)
        self.laptop, self.changes = laptop, changes
        self.answers: list[dict[str, Any]] | None = None
        self.error: BaseException | None = None
        self.start()

    def run(self) -> None:
        try:
            self.answers = self.laptop.push(self.changes)
        except BaseException as exc:  # the test asserts on it
            self.error = exc


@pytest.fixture
def held_counter(postgres: PostgresCluster) -> Iterator[Callable[[str], psycopg.Connection]]:
    """``hold(team_id)``: a transaction holding that team's counter row lock until closed."""
    opened: list[psycopg.Connection] = []

    def hold(team_id: str) -> psycopg.Connection:
        conn = psycopg.connect(postgres.admin_url())
        opened.append(conn)
        locked = conn.execute("SELECT value FROM team_version_counter WHERE team_id = %s "
                              "FOR UPDATE", [team_id]).fetchone()
        assert locked is not None, "the team has no counter row"
        return conn

    yield hold
    for conn in opened:
        conn.close()


@pytest.mark.hazard("H-017")
def test_a_push_held_open_mid_transaction_keeps_its_team_waiting_and_no_other_team(
        enrol: EnrolFn, team: str, store_sessions: sessionmaker[Session], store: StoreProcess,
        pg: psycopg.Connection, postgres: PostgresCluster) -> None:
    nurse, colleague = enrol(team), enrol(team)
    other = enrol(_new_team(store_sessions))
    first = change()
    assert nurse.push([first])[0]["server_version"] == 1
    with psycopg.connect(postgres.admin_url()) as holder:
        # The nurse's next push stops at its UPDATE of this row, holding what a push holds.
        holder.execute("SELECT 1 FROM record WHERE id = %s FOR UPDATE", [first["id"]])
        edit = change(record_id=first["id"], base=1, given_name="Edna")
        stuck = Pushing(nurse, [edit])
        assert _wait_for(lambda: _store_backends_waiting(pg, store) == 1)

        began = time.monotonic()
        response = other.http.post("/push", json={"changes": new_people(3)}, timeout=WAIT_S)
        assert response.status_code == 200 and time.monotonic() - began < WAIT_S
        assert [a["server_version"] for a in response.json()["answers"]] == [1, 2, 3]

        waiting = Pushing(colleague, new_people(2, start=10))
        assert _wait_for(lambda: _store_backends_waiting(pg, store) == 2), \
            "the same team's push did not wait for the one held open"
        assert stuck.answers is None and waiting.answers is None
        holder.rollback()
    for pushing in (stuck, waiting):
        pushing.join(WAIT_S)
        assert pushing.error is None, pushing.error
    assert stuck.answers is not None and stuck.answers[0]["server_version"] == 2
    assert waiting.answers is not None
    assert [a["server_version"] for a in waiting.answers] == [3, 4]


@pytest.mark.hazard("H-017")
def test_a_teams_counter_row_held_stops_that_team_only(
        enrol: EnrolFn, team: str, store_sessions: sessionmaker[Session], store: StoreProcess,
        pg: psycopg.Connection, held_counter: Callable[[str], psycopg.Connection]) -> None:
    nurse, other = enrol(team), enrol(_new_team(store_sessions))
    holder = held_counter(nurse.team_id)  # as a push of the team would, mid-transaction

    response = other.http.post("/push", json={"changes": new_people(2)}, timeout=WAIT_S)
    assert response.status_code == 200
    assert statuses(response.json()["answers"]) == ["applied"] * 2

    waiting = Pushing(nurse, new_people(2, start=10))
    assert _wait_for(lambda: _store_backends_waiting(pg, store) >= 1)
    assert waiting.answers is None and waiting.error is None
    holder.rollback()
    waiting.join(WAIT_S)
    assert waiting.answers is not None and statuses(waiting.answers) == ["applied"] * 2


@pytest.mark.hazard("H-017")
def test_versions_count_per_team_and_a_cursor_never_passes_a_later_commit(
        enrol: EnrolFn, team: str, store_sessions: sessionmaker[Session]) -> None:
    writers = [enrol(team) for _ in range(3)]
    reader = enrol(team)
    elsewhere = enrol(_new_team(store_sessions))
    rounds, per_batch = 8, 5

    def write(laptop: Laptop, start: int) -> None:
        for n in range(rounds):
            assert set(statuses(laptop.push(new_people(per_batch, start + n * per_batch)))) \
                == {"applied"}

    runners = [threading.Thread(target=write, args=(w, 1000 * i), daemon=True)
               for i, w in enumerate([*writers, elsewhere])]
    for runner in runners:
        runner.start()
    seen: dict[str, int] = {}
    cursor = 0
    while any(r.is_alive() for r in runners):  # pull from the cursor while pushes commit
        page, cursor = reader.pull_all(cursor, limit=7)
        seen.update({c["id"]: c["server_version"] for c in page})
    for runner in runners:
        runner.join()
    page, cursor = reader.pull_all(cursor)
    seen.update({c["id"]: c["server_version"] for c in page})
    full, last = reader.pull_all(0)
    assert {c["id"]: c["server_version"] for c in full} == seen, \
        "pulling on from the cursor missed a change that a pull from 0 finds"
    total = len(writers) * rounds * per_batch
    assert sorted(seen.values()) == list(range(1, total + 1)) and last == total
    other_versions = [c["server_version"] for c in elsewhere.pull_all(0)[0]]
    assert sorted(other_versions) == list(range(1, rounds * per_batch + 1))


@pytest.mark.hazard("H-027")
@pytest.mark.parametrize("taken", ["record id", "idempotency key"])
def test_two_teams_racing_for_one_record_id_or_key_get_an_answer_not_a_500(
        enrol: EnrolFn, team: str, store_sessions: sessionmaker[Session], store: StoreProcess,
        pg: psycopg.Connection, postgres: PostgresCluster, taken: str) -> None:
    first, second = enrol(team), enrol(_new_team(store_sessions))
    mine = change()
    with psycopg.connect(postgres.admin_url()) as racing:  # the first team's push, mid-way
        if taken == "record id":
            racing.execute(
                "INSERT INTO record (id, entity_type, team_id, server_version, row, tombstone, "
                "updated_at, device_id) VALUES (%s, 'person', %s, 999, '{}', false, now(), %s)",
                [mine["id"], first.team_id, first.device_id])
        else:
            racing.execute(
                "INSERT INTO applied_change (idempotency_key, content_hash, team_id, device_id, "
                "entity_type, record_id, server_version, applied_at) VALUES "
                "(%s, %s, %s, %s, 'person', %s, 999, now())",
                [mine["idempotency_key"], "0" * 64, first.team_id, first.device_id,
                 str(uuid.uuid4())])
        pushing = Pushing(second, [mine])
        assert _wait_for(lambda: _store_backends_waiting(pg, store) >= 1)
        racing.commit()
    pushing.join(WAIT_S)
    assert pushing.error is None, pushing.error
    assert pushing.answers is not None
    reason = push.OTHER_TEAM if taken == "record id" else push.KEY_REUSED
    assert pushing.answers == [{"idempotency_key": mine["idempotency_key"],
                                "status": "rejected", "reason": reason}]
    # The batch was rolled back whole and answered again: the second team holds nothing.
    assert pg.execute("SELECT count(*) FROM record WHERE team_id = %s",
                      [second.team_id]).fetchone() == (0,)
    assert statuses(second.push(new_people(1))) == ["applied"]  # its counter moved on cleanly


def test_a_team_without_a_counter_row_gets_one_above_every_version_it_handed_out(
        enrol: EnrolFn, team: str, pg: psycopg.Connection) -> None:
    nurse = enrol(team)
    assert statuses(nurse.push(new_people(4))) == ["applied"] * 4
    pg.execute("DELETE FROM team_version_counter WHERE team_id = %s", [nurse.team_id])
    legacy = pg.execute("SELECT value FROM version_counter").fetchone()
    assert legacy is not None
    assert nurse.pull_all(4) == ([], 4) and nurse.pull_all(9) == ([], 4)
    answers = nurse.push(new_people(1, start=5))
    assert answers[0]["server_version"] == max(4, legacy[0]) + 1
    assert pg.execute("SELECT value FROM team_version_counter WHERE team_id = %s",
                      [nurse.team_id]).fetchone() == (max(4, legacy[0]) + 1,)


# --- The migration from 0002, on PostgreSQL and the SQLite trial ----------------------------

@pytest.fixture(params=["postgresql", "sqlite"])
def empty_store(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database: on the session's PostgreSQL (owned by the store's role), or SQLite."""
    if request.param == "sqlite":
        engine = make_engine(normalise_database_url(f"sqlite:///{tmp_path / 'trial.db'}"))
        yield engine
        engine.dispose()
        return
    postgres: PostgresCluster = request.getfixturevalue("postgres")
    name = postgres.new_database("counters")
    engine = make_engine(normalise_database_url(postgres.database_url(name)))
    yield engine
    engine.dispose()
    postgres.drop_database(name)


def _migrate(engine: Engine, revision: str, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def _device(team_id: str) -> DeviceContext:
    return DeviceContext(device_id=str(uuid.uuid4()), team_id=team_id, team_name="a team",
                         user_id=str(uuid.uuid4()), user_name="a user", role="nurse")


def _new_change() -> list[ChangeIn]:
    return [ChangeIn.model_validate(change())]


def _versions(page: pull.Page) -> list[int]:
    return [json.loads(c)["server_version"] for c in page.changes]


@pytest.mark.hazard("H-017")
def test_migrating_a_store_with_data_from_0002_keeps_every_cursor_valid(
        empty_store: Engine) -> None:
    _migrate(empty_store, "0002")
    teams = {"a": str(uuid.uuid4()), "b": str(uuid.uuid4()), "quiet": str(uuid.uuid4())}
    # Global versions 1..6 across two teams; version 7 was handed out to a record written
    # again since, so the counter is 7 while no record is at 7.
    placed = [("a", 1), ("b", 2), ("a", 3), ("b", 4), ("a", 5), ("b", 7)]
    with empty_store.begin() as conn:
        for label, team_id in teams.items():
            conn.execute(text("INSERT INTO team (id, name, created_at) VALUES "
                              "(:id, :name, '2026-11-22 10:00:00')"),
                         {"id": team_id, "name": f"INT {label}"})
        for label, version in placed:
            record_id = f"00000000-0000-4000-8000-00000000000{version}"
            conn.execute(text(
                "INSERT INTO record (id, entity_type, team_id, server_version, row, tombstone, "
                "updated_at, device_id) VALUES (:id, 'person', :team, :v, :row, false, "
                "'2026-11-22 10:00:00', 'd')"),
                {"id": record_id, "team": teams[label], "v": version,
                 "row": json.dumps({"id": record_id})})
        conn.execute(text("UPDATE version_counter SET value = 7"))

    _migrate(empty_store, "0003")
    sessions = make_session_factory(empty_store)
    with sessions() as session:
        counters = {team_id: value for team_id, value in session.execute(text(
            "SELECT team_id, value FROM team_version_counter"))}
        assert counters == {team_id: 7 for team_id in teams.values()}
        # A laptop of team a at cursor 3 still gets exactly what it has not seen, and one
        # at the old counter's value is told nothing is missing (not to start again).
        assert _versions(pull.pull_page(session, teams["a"], 3, 100)) == [5]
        assert pull.pull_page(session, teams["b"], 7, 100).next_cursor == 7
    with sessions.begin() as session:
        answers = push.apply_batch(session, _device(teams["a"]), _new_change())
    assert answers[0]["server_version"] == 8  # above every version any laptop has seen
    with sessions.begin() as session:  # versions are per team now: b may hand out 8 too
        assert push.apply_batch(session, _device(teams["b"]),
                                _new_change())[0]["server_version"] == 8
    with sessions() as session:
        assert _versions(pull.pull_page(session, teams["a"], 5, 100)) == [8]

    with pytest.raises(RuntimeError, match="several teams have records at version 8"):
        _migrate(empty_store, "0002", down=True)
    with empty_store.begin() as conn:
        conn.execute(text("DELETE FROM record WHERE server_version = 8 AND team_id = :b"),
                     {"b": teams["b"]})
    _migrate(empty_store, "0002", down=True)
    with empty_store.connect() as conn:
        assert conn.execute(text("SELECT value FROM version_counter")).scalar_one() == 8
    _migrate(empty_store, "head")


# --- The laptop moved to another team -------------------------------------------------------

@pytest.mark.hazard("H-017")
def test_a_laptop_moved_to_another_team_pulls_that_team_from_the_start(
        team: str, store: StoreProcess, store_sessions: sessionmaker[Session],
        template_vault: tuple[Path, str, str], tmp_path: Path) -> None:
    made: list[VaultLaptop] = []

    def laptop(team_name: str) -> VaultLaptop:
        folder, user_id, _ = template_vault
        name = f"Laptop {len(made) + 1}"
        made.append(VaultLaptop(make_vault(folder, tmp_path / name, user_id), store.base_url,
                                name))
        made[-1].enrolment = sync_client.enrol(made[-1].uow, store.base_url,
                                               issue_code(store_sessions, team_name), name)
        return made[-1]

    try:
        second_team = _new_team(store_sessions)
        first, second = laptop(team), laptop(second_team)
        first.add_people(range(1, 4))
        assert first.sync().pushed == 3  # the first team's versions 1..3
        theirs = second.add_people(range(20, 26))
        assert second.sync().pushed == 6  # the second team's versions 1..6

        moving = laptop(team)
        assert moving.sync().pulled == 3  # its cursor is now 3, in the first team's count
        moving.enrolment = sync_client.enrol(moving.uow, store.base_url,
                                             issue_code(store_sessions, second_team),
                                             "Moving laptop")
        moving.sync()
        assert {("person", i) for i in theirs} <= set(moving.records()), \
            "the moved laptop kept its old team's cursor and skipped the new team's records"
    finally:
        for each in made:
            each.close()
