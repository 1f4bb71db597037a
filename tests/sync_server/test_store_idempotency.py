"""Resending is harmless: replayed batches, a lost reply, and a server killed mid-batch."""

from __future__ import annotations

import threading
import time
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest

from tests.sync_server.store import EnrolFn, change, new_people, statuses
from tools.throwaway_store import Laptop, PostgresCluster, StoreProcess

Answers = list[dict[str, Any]]


def snapshot(pg: psycopg.Connection, team_id: str) -> tuple[Any, ...]:
    """Everything the store holds for a team, and the team's version counter."""
    records = pg.execute(
        "SELECT entity_type, id, server_version, row::text, tombstone FROM record "
        "WHERE team_id = %s ORDER BY server_version", [team_id]).fetchall()
    applied = pg.execute("SELECT idempotency_key, server_version FROM applied_change "
                         "WHERE team_id = %s ORDER BY idempotency_key", [team_id]).fetchall()
    counter = pg.execute("SELECT value FROM team_version_counter WHERE team_id = %s",
                         [team_id]).fetchone()
    return records, applied, counter


def _expected_replay(first: Answers) -> Answers:
    return [{"idempotency_key": a["idempotency_key"], "status": "duplicate", "original": a}
            if a["status"] == "applied" else a for a in first]


@pytest.mark.hazard("H-017")
def test_replaying_every_batch_ten_times_changes_nothing(enrol: EnrolFn, team: str,
                                                         pg: psycopg.Connection) -> None:
    nurse, colleague = enrol(team), enrol(team)
    people = new_people(10)
    sent: list[tuple[Laptop, Answers, Answers]] = []
    first = nurse.push(people)
    sent.append((nurse, people, first))
    second_batch = [change(record_id=people[0]["id"], base=first[0]["server_version"],
                           given_name="Peggy"),
                    change("contact", person_id=people[0]["id"]),
                    {**change(), "entity_type": "no_such_thing"}]
    sent.append((colleague, second_batch, colleague.push(second_batch)))
    third_batch = [change(record_id=people[0]["id"], base=first[0]["server_version"]),
                   change(record_id=people[1]["id"], base=first[1]["server_version"],
                          tombstone=True)]
    sent.append((nurse, third_batch, nurse.push(third_batch)))
    assert [statuses(s[2]) for s in sent] == [
        ["applied"] * 10, ["applied", "applied", "rejected"], ["conflict", "applied"]]
    before = snapshot(pg, nurse.team_id)

    for _ in range(10):
        for laptop, batch, answers in sent:
            assert laptop.push(batch) == _expected_replay(answers)
    assert snapshot(pg, nurse.team_id) == before


@pytest.mark.hazard("H-017")
def test_a_lost_reply_leaves_one_copy_and_the_resend_gets_the_original_answers(
        enrol: EnrolFn, team: str, pg: psycopg.Connection) -> None:
    laptop = enrol(team)
    batch = new_people(300)
    keys = [c["idempotency_key"] for c in batch]
    # The request goes out whole; the reply never arrives (the client stops waiting).
    with pytest.raises(httpx.ReadTimeout):
        laptop.http.post("/push", json={"changes": batch},
                         timeout=httpx.Timeout(10.0, read=0.001))
    deadline = time.monotonic() + 15
    while pg.execute("SELECT count(*) FROM applied_change WHERE idempotency_key = ANY(%s)",
                     [keys]).fetchone() != (300,):
        assert time.monotonic() < deadline, "the server never committed the batch"
        time.sleep(0.02)
    found = pg.execute("SELECT idempotency_key, server_version FROM applied_change "
                       "WHERE idempotency_key = ANY(%s)", [keys]).fetchall()
    versions: dict[str, int] = dict(found)
    assert len(set(versions.values())) == 300

    answers = laptop.push(batch)
    assert answers == [{"idempotency_key": k, "status": "duplicate",
                        "original": {"idempotency_key": k, "status": "applied",
                                     "server_version": versions[k]}} for k in keys]
    assert pg.execute("SELECT count(*) FROM record WHERE team_id = %s",
                      [laptop.team_id]).fetchone() == (300,)


def _push_in_thread(laptop: Laptop, batches: list[Answers], results: list[Answers | BaseException]
                    ) -> threading.Thread:
    def run() -> None:
        for batch in batches:
            try:
                results.append(laptop.push(batch))
            except BaseException as exc:  # the connection dies with the server
                results.append(exc)
                return

    thread = threading.Thread(target=run, daemon=True)
    thread.start()
    return thread


def _kill_inside_a_push_transaction(pg: psycopg.Connection, server: StoreProcess,
                                    results: list[Answers | BaseException], after: int) -> bool:
    """SIGKILL the server the moment one of its pushes has a transaction open."""
    assert server.proc is not None
    app = f"shared-care-store/{server.proc.pid}"
    patterns = ["%version_counter%", "%record%", "%applied_change%"]
    deadline = time.monotonic() + 30
    while len(results) < after and time.monotonic() < deadline:
        time.sleep(0.001)
    while time.monotonic() < deadline:
        inside = pg.execute(
            "SELECT count(*) FROM pg_stat_activity WHERE application_name = %s "
            "AND xact_start IS NOT NULL AND query ILIKE ANY(%s)", [app, patterns]).fetchone()
        if inside and inside[0]:
            server.kill()
            return True
        if server.proc.poll() is not None or any(isinstance(r, BaseException) for r in results):
            return False
    return False


def _wait_backends_gone(pg: psycopg.Connection, pid: int) -> None:
    deadline = time.monotonic() + 20
    while pg.execute("SELECT count(*) FROM pg_stat_activity WHERE application_name = %s",
                     [f"shared-care-store/{pid}"]).fetchone() != (0,):
        assert time.monotonic() < deadline, "the killed server's transaction never ended"
        time.sleep(0.02)


@pytest.mark.hazard("H-017")
def test_a_server_killed_mid_batch_loses_nothing_and_duplicates_nothing(
        enrol: EnrolFn, team: str, pg: psycopg.Connection, postgres: PostgresCluster,
        tmp_path: Path) -> None:
    enrolled = enrol(team)
    batches = [new_people(250, start=1 + 250 * i) for i in range(12)]
    victim = StoreProcess(postgres.store_url, tmp_path / "victim.log").start()
    try:
        laptop = Laptop(victim.base_url, enrolled.token, enrolled.device_id, enrolled.team_id)
        results: list[Answers | BaseException] = []
        thread = _push_in_thread(laptop, batches, results)
        killed = _kill_inside_a_push_transaction(pg, victim, results, after=2)
        thread.join(timeout=30)
        laptop.close()
    finally:
        victim.stop()
    assert killed, f"no push transaction was seen open; results: {results!r}"
    assert isinstance(results[-1], BaseException), "the batch in flight got an answer"
    assert victim.proc is not None
    _wait_backends_gone(pg, victim.proc.pid)

    # Each batch is all or nothing, and the committed ones are a prefix of those sent.
    stored = {r[0] for r in pg.execute("SELECT id FROM record WHERE team_id = %s",
                                       [enrolled.team_id])}
    present = [sum(c["id"] in stored for c in batch) for batch in batches]
    assert set(present) <= {0, 250}, present
    committed = present.count(250)
    assert present == [250] * committed + [0] * (len(batches) - committed)
    answered = len(results) - 1
    assert answered <= committed <= answered + 1  # the one in flight may have committed
    print(f"killed with {answered} batches answered and {committed} committed")

    # Restarted, the laptop resends everything it has no answer for (here: everything).
    again = StoreProcess(postgres.store_url, tmp_path / "again.log").start()
    try:
        laptop = Laptop(again.base_url, enrolled.token, enrolled.device_id, enrolled.team_id)
        replies = [laptop.push(batch) for batch in batches]
        laptop.close()
    finally:
        again.stop()
    assert [set(statuses(r)) for r in replies] == (
        [{"duplicate"}] * committed + [{"applied"}] * (len(batches) - committed))
    total = 250 * len(batches)
    counts = pg.execute(
        "SELECT (SELECT count(*) FROM record WHERE team_id = %(t)s), "
        "(SELECT count(DISTINCT server_version) FROM record WHERE team_id = %(t)s), "
        "(SELECT count(*) FROM applied_change WHERE team_id = %(t)s)",
        {"t": enrolled.team_id}).fetchone()
    assert counts == (total, total, total)
