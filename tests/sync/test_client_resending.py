"""Resending through the client is harmless: every batch replayed, a lost reply, a crash
after the store committed, and the store killed mid-batch and restarted."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import update

from desktop_app.models.outbox import OutboxState
from desktop_app.models.person import Person
from desktop_app.models.sync import SyncState
from desktop_app.services import sync
from tests.sync.laptops import (
    Crash,
    ForwardThen,
    LaptopFn,
    VaultLaptop,
    assert_agree,
    lose_push_replies,
    server_records,
)
from tools.throwaway_store import CLIENT_VERSION, PostgresCluster, StoreProcess


def _snapshot(pg: psycopg.Connection, team_id: str) -> tuple[Any, ...]:
    records = pg.execute("SELECT entity_type, id, server_version, row::text, tombstone "
                         "FROM record WHERE team_id = %s ORDER BY server_version",
                         [team_id]).fetchall()
    applied = pg.execute("SELECT idempotency_key, server_version FROM applied_change "
                         "WHERE team_id = %s ORDER BY idempotency_key", [team_id]).fetchall()
    return records, applied, pg.execute(
        "SELECT value FROM team_version_counter WHERE team_id = %s", [team_id]).fetchone()


def _token(laptop: VaultLaptop) -> str:
    with laptop.uow.read() as s:
        state = s.get(SyncState, 1)
        assert state is not None and state.device_token
        return state.device_token


def _team(laptop: VaultLaptop) -> str:
    assert laptop.enrolment is not None
    return laptop.enrolment.team_id


@pytest.mark.hazard("H-017")
def test_replaying_every_batch_the_client_sent_ten_times_changes_nothing(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse, colleague = laptops(team), laptops(team)
    bodies: list[tuple[VaultLaptop, bytes]] = []

    def recorder(laptop: VaultLaptop) -> ForwardThen:
        def keep(request: httpx.Request) -> None:
            if request.url.path.endswith("/push"):
                bodies.append((laptop, request.content))
        return ForwardThen(keep)

    people = nurse.add_people(range(1, 26))
    nurse.sync(transport=recorder(nurse), batch_size=10)
    colleague.sync(transport=recorder(colleague))
    colleague.edit(Person, people[0], phone="0116 496 0002")
    nurse.edit(Person, people[0], phone="0116 496 0003")  # will conflict
    nurse.delete(Person, people[1])
    colleague.sync(transport=recorder(colleague))
    nurse.sync(transport=recorder(nurse))
    assert len(bodies) == 3 + 1 + 1
    before = _snapshot(pg, _team(nurse))

    first: list[Any] = []
    for round_no in range(10):
        for laptop, body in bodies:
            answers = httpx.post(
                f"{laptop.server_url}/api/v1/push", content=body,
                headers={"Authorization": f"Bearer {_token(laptop)}",
                         "X-Client-Version": CLIENT_VERSION,
                         "Content-Type": "application/json"}).json()["answers"]
            statuses = {a["status"] for a in answers}
            assert statuses <= {"duplicate", "conflict"}, statuses
            if round_no == 0:
                first.append(answers)
            else:
                assert answers == first[bodies.index((laptop, body))]
    assert _snapshot(pg, _team(nurse)) == before


@pytest.mark.hazard("H-017")
def test_a_lost_reply_leaves_one_copy_and_the_next_run_marks_it_done(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse = laptops(team)
    ids = nurse.add_people(range(1, 31))

    with pytest.raises(sync.ServerUnreachable):
        nurse.sync(transport=lose_push_replies(), batch_size=10)

    # The first batch was committed by the store; the laptop does not know it yet. The
    # second went out beside it (no record in common), and its answer was recorded before
    # the run gave up. The third may have been on the wire too, and then the store has
    # committed it as well (which one depends on timing; either way none is lost or twice).
    assert len(server_records(pg, _team(nurse))) in (20, 30)
    assert len(nurse.outbox(OutboxState.DONE)) == 10
    waiting = nurse.outbox(OutboxState.PENDING)
    # The lost batch counts as sent; so may the third, read while the others were on the
    # wire (it is then resent as it is, never folded into a later edit: harmless).
    assert len(waiting) == 20 and [e.attempts for e in waiting][:10] == [1] * 10
    assert {e.attempts for e in waiting[10:]} <= {0, 1}
    nurse.edit(Person, ids[0], phone="0116 496 0004")  # edited while its change is unanswered

    result = nurse.sync(batch_size=10)

    # The sent-but-unanswered change is resent as it was (duplicate), then the new edit.
    assert result.pushed == 21 and nurse.outbox(OutboxState.PENDING) == []
    held = server_records(pg, _team(nurse))
    assert len(held) == 30
    assert held[("person", ids[0])][1]["phone"] == "0116 496 0004"
    counted = pg.execute("SELECT count(*) FROM applied_change WHERE team_id = %s",
                         [_team(nurse)]).fetchone()
    assert counted == (31,)
    assert_agree(pg, _team(nurse), [nurse])


@pytest.mark.hazard("H-017")
def test_a_crash_after_the_store_committed_loses_nothing(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse = laptops(team)
    nurse.add_people(range(1, 21))

    with pytest.raises(Crash):  # the client object is simply dropped with the "process"
        nurse.sync(transport=lose_push_replies(crash=True), batch_size=20)

    assert len(server_records(pg, _team(nurse))) == 20
    assert [e.attempts for e in nurse.outbox(OutboxState.PENDING)] == [1] * 20
    assert nurse.sync().pushed == 20  # a new client: all answered as duplicates
    assert nurse.outbox(OutboxState.PENDING) == []
    assert_agree(pg, _team(nurse), [nurse])


def _point_at(laptop: VaultLaptop, url: str) -> None:
    with laptop.uow.begin() as s:
        s.execute(update(SyncState).values(server_url=url))


def _kill_when_a_push_is_open(pg: psycopg.Connection, server: StoreProcess,
                              after_batches: list[int], killed: list[bool]) -> None:
    """SIGKILL the store the moment one of its push transactions is open (a thread)."""
    assert server.proc is not None
    app = f"shared-care-store/{server.proc.pid}"
    deadline = time.monotonic() + 30
    with psycopg.connect(pg.info.dsn, password=pg.info.password, autocommit=True) as watch:
        while not after_batches and time.monotonic() < deadline:
            time.sleep(0.001)
        while time.monotonic() < deadline and server.proc.poll() is None:
            open_push = watch.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
                "AND xact_start IS NOT NULL AND query ILIKE ANY(%s)",
                [app, ["%version_counter%", "%record%", "%applied_change%"]]).fetchone()
            if open_push and open_push[0]:
                server.kill()
                killed.append(True)
                return


@pytest.mark.hazard("H-017")
def test_the_store_killed_mid_batch_and_restarted_loses_and_duplicates_nothing(
        laptops: LaptopFn, team: str, pg: psycopg.Connection, postgres: PostgresCluster,
        tmp_path: Path) -> None:
    nurse = laptops(team)
    nurse.add_people(range(1, 3001))
    victim = StoreProcess(postgres.store_url, tmp_path / "victim.log").start()
    batches: list[int] = []
    killed: list[bool] = []
    try:
        _point_at(nurse, victim.base_url)
        killer = threading.Thread(target=_kill_when_a_push_is_open,
                                  args=(pg, victim, batches, killed), daemon=True)
        killer.start()

        def count_batches(progress: sync.SyncProgress) -> None:
            if progress.phase is sync.SyncPhase.PUSHING:
                batches.append(progress.done)

        client = sync.SyncClient(sync.SyncOptions(batch_size=250))
        with pytest.raises(sync.ServerUnreachable):
            client.run(nurse.uow, count_batches, lambda: False)
        killer.join(timeout=30)
    finally:
        victim.stop()
    assert killed, "no push transaction was seen open"
    answered = len(batches)
    stored = len(server_records(pg, _team(nurse)))
    print(f"killed with {answered} batches answered and {stored // 250} committed")
    assert stored in (250 * answered, 250 * (answered + 1))  # the one in flight, or not
    assert len(nurse.outbox(OutboxState.DONE)) == 250 * answered

    again = StoreProcess(postgres.store_url, tmp_path / "again.log").start()
    try:
        _point_at(nurse, again.base_url)
        result = nurse.sync(batch_size=250)
    finally:
        again.stop()
    assert result.pushed == 3000 - 250 * answered
    assert nurse.outbox(OutboxState.PENDING) == []
    counts = pg.execute(
        "SELECT (SELECT count(*) FROM record WHERE team_id = %(t)s), "
        "(SELECT count(DISTINCT server_version) FROM record WHERE team_id = %(t)s), "
        "(SELECT count(*) FROM applied_change WHERE team_id = %(t)s)",
        {"t": _team(nurse)}).fetchone()
    assert counts == (3000, 3000, 3000)
    assert_agree(pg, _team(nurse), [nurse])
