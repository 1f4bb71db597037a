"""The store's own audit trail (sync_server/store_audit.py, store_audit_verify.py) on a real
PostgreSQL: appended in the caller's transaction, hash-chained per chain, append-only (the
trigger), keyed (an append under another key is refused; rekeying seals what came before),
walked in one snapshot, and the verifier names every row that was edited, deleted or added
behind the store's back, and a chain cut back behind an earlier verification's checkpoint.

Tampering happens in a scratch database of the test's own (the session store's chains must
stay whole for the console's tests), as the superuser with triggers off for that connection
alone (``session_replication_role = replica``), which is how someone with the database's
keys would go round the trigger.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import os
import re
import secrets
import threading
import uuid
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from sync_server import admin, cli, store_audit, store_audit_verify
from sync_server.auth import DeviceContext
from sync_server.config import normalise_database_url
from sync_server.console.web import LONDON
from sync_server.database import make_engine, make_session_factory, upgrade
from sync_server.models import Device, StoreAuditEvent, StoreUser
from tests.store_console.console_client import Console, ConsoleClient
from tests.sync_server.store import EnrolFn
from tools.throwaway_store import PostgresCluster, StoreProcess

SignedIn = Callable[[str], ConsoleClient]


@dataclass
class Scratch:
    """A migrated database of the test's own: sessions as the store, and its name."""

    name: str
    url: str
    sessions: sessionmaker[Session]
    admin_url: str


@pytest.fixture
def scratch(postgres: PostgresCluster) -> Iterator[Scratch]:
    name = postgres.new_database("audit")
    url = normalise_database_url(postgres.database_url(name))
    engine = make_engine(url)
    upgrade(engine)
    try:
        yield Scratch(name, url, make_session_factory(engine), postgres.admin_url(name))
    finally:
        engine.dispose()
        postgres.drop_database(name)


def _chain() -> str:
    return f"t-{uuid.uuid4()}"[:36]


def _append(sessions: sessionmaker[Session], chain: str, count: int) -> None:
    for i in range(count):
        with sessions.begin() as db:
            store_audit.append(db, chain=chain, actor_kind="console", actor_id=None,
                               actor_name="Robin IT", action="team_created",
                               team_id=None, detail={"n": i, "outcome": "ok"})


def _behind_the_trigger(scratch: Scratch, sql: str, *params: object) -> None:
    with psycopg.connect(scratch.admin_url, autocommit=True) as conn:
        conn.execute("SET session_replication_role = replica")
        conn.execute(sql, params)  # type: ignore[arg-type]


def _report(sessions: sessionmaker[Session], chain: str) -> store_audit_verify.ChainReport:
    with sessions() as db:
        (report,) = store_audit_verify.verify(db, chain)
    return report


def test_appended_events_chain_and_verify(store_sessions: sessionmaker[Session]) -> None:
    chain = _chain()
    _append(store_sessions, chain, 3)
    device = DeviceContext(str(uuid.uuid4()), chain, "Team", str(uuid.uuid4()), "Alex", "nurse")
    with store_sessions.begin() as db:
        store_audit.device_event(db, device, "push", changes=4, applied=4, rejected=0)
    with store_sessions() as db:
        rows = list(db.scalars(select(StoreAuditEvent).where(StoreAuditEvent.chain == chain)
                               .order_by(StoreAuditEvent.seq)))
    assert [r.seq for r in rows] == [1, 2, 3, 4]
    assert rows[0].prev_hash == store_audit.GENESIS
    assert all(b.prev_hash == a.hash for a, b in zip(rows, rows[1:], strict=False))
    assert rows[3].actor_kind == "device" and rows[3].device_id == device.device_id
    assert rows[3].detail == {"changes": 4, "applied": 4, "rejected": 0}
    report = _report(store_sessions, chain)
    assert report.ok, report.problem
    assert (report.events, report.head_seq, report.head_hash) == (4, 4, rows[3].hash)
    assert not report.keyed  # the session store runs without SCP_STORE_AUDIT_KEY_FILE


def test_rolled_back_action_leaves_no_event(store_sessions: sessionmaker[Session]) -> None:
    chain = _chain()
    _append(store_sessions, chain, 1)
    with store_sessions() as db, db.begin():
        store_audit.append(db, chain=chain, actor_kind="cli", actor_id=None,
                           actor_name="root", action="team_created")
        db.rollback()
    _append(store_sessions, chain, 1)
    report = _report(store_sessions, chain)
    assert report.ok and report.events == 2


def _key(tmp_path: Path, name: str) -> Path:
    path = tmp_path / f"{name}.key"
    path.write_text(secrets.token_hex(32))
    return path


def _count(sessions: sessionmaker[Session], chain: str) -> int:
    with sessions() as db:
        return len(list(db.scalars(select(StoreAuditEvent.seq)
                                   .where(StoreAuditEvent.chain == chain))))


def test_keyed_chain_needs_the_key(scratch: Scratch, tmp_path: Path,
                                   monkeypatch: pytest.MonkeyPatch) -> None:
    """A chain records its key (a fingerprint, covered by each row's hash); a process with
    another key, or none, can neither check its hashes (and says so) nor append to it (a
    plain refusal, nothing appended). (In a scratch database: the session store is
    unkeyed.)"""
    key = _key(tmp_path, "audit")
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(key))
    chain = _chain()
    _append(scratch.sessions, chain, 2)
    report = _report(scratch.sessions, chain)
    assert report.ok and report.keyed
    kid = store_audit.key_id(store_audit.audit_key())
    assert report.key_id == kid and len(kid) == 16 and kid not in key.read_text()
    with scratch.sessions() as db:
        assert {e.key_id for e in db.scalars(select(StoreAuditEvent)
                                             .where(StoreAuditEvent.chain == chain))} == {kid}

    other = _key(tmp_path, "other")
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(other))
    elsewhere = _report(scratch.sessions, chain)
    assert elsewhere.broken_seq == 1
    assert elsewhere.problem == (f"the events from seq 1 are keyed with key {kid}, which this "
                                 "process does not have: their hashes were not checked")
    with pytest.raises(store_audit.AuditKeyError) as refused:
        _append(scratch.sessions, chain, 1)
    assert str(refused.value).startswith(f"the store's audit chain {chain!r} is keyed with "
                                         f"key {kid}, but this process has key ")
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, "")
    with pytest.raises(store_audit.AuditKeyError,
                       match=r"this process has no key \(SCP_STORE_AUDIT_KEY_FILE is not set\)"
                             r"; nothing was done"):
        _append(scratch.sessions, chain, 1)
    assert _count(scratch.sessions, chain) == 2  # nothing appended
    unkeyed = _report(scratch.sessions, chain)
    assert unkeyed.broken_seq == 1 and "not checked" in (unkeyed.problem or "")

    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(tmp_path / "missing.key"))
    with pytest.raises(store_audit.AuditKeyError, match="cannot be read"):
        _append(scratch.sessions, chain, 1)
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(tmp_path / "short.key"))
    (tmp_path / "short.key").write_text("short")
    with pytest.raises(store_audit.AuditKeyError, match="too short"):
        _append(scratch.sessions, chain, 1)


def test_a_row_relabelled_unkeyed_is_caught(scratch: Scratch, tmp_path: Path,
                                            monkeypatch: pytest.MonkeyPatch) -> None:
    """Someone who edits a keyed row and recomputes its hash as plain SHA-256, labelling it
    unkeyed, does not escape: the key change is not a rekey, and the next row's link is
    broken."""
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(_key(tmp_path, "audit")))
    chain = _chain()
    _append(scratch.sessions, chain, 3)
    with scratch.sessions() as db:
        row = db.get_one(StoreAuditEvent, (chain, 2))
        forged = store_audit.row_hash(
            None, chain=chain, seq=2, at=row.at, actor_kind=row.actor_kind,
            actor_id=row.actor_id, actor_name="Someone else", action=row.action,
            team_id=row.team_id, device_id=row.device_id, user_id=row.user_id,
            detail=row.detail, prev_hash=row.prev_hash)
    _behind_the_trigger(scratch, "UPDATE store_audit_event SET actor_name = 'Someone else', "
                                 "key_id = 'unkeyed', hash = %s WHERE chain = %s AND seq = 2",
                        forged, chain)
    report = _report(scratch.sessions, chain)
    assert [p.seq for p in report.problems] == [2, 3, 3]
    assert "is unkeyed, not the chain's" in report.problems[0].text
    assert "does not link" in report.problems[1].text


def test_a_command_without_the_key_is_refused_whole(scratch: Scratch, tmp_path: Path,
                                                    monkeypatch: pytest.MonkeyPatch,
                                                    capsys: pytest.CaptureFixture[str]
                                                    ) -> None:
    """A command run without the store's key file cannot write SHA-256 rows into a keyed
    console chain: the command fails with the reason, and changes nothing."""
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(_key(tmp_path, "audit")))
    name = f"Keyed INT {uuid.uuid4().hex[:6]}"
    assert cli.main(["--database-url", scratch.url, "create-team", name]) == 0
    monkeypatch.delenv(store_audit.KEY_FILE_ENV)
    other = f"Unkeyed INT {uuid.uuid4().hex[:6]}"
    capsys.readouterr()
    assert cli.main(["--database-url", scratch.url, "create-team", other]) == 1
    err = capsys.readouterr().err
    assert "error: the store's audit chain 'console' is keyed with key" in err
    assert "rekey-store-audit" in err
    with scratch.sessions() as db:
        with pytest.raises(admin.AdminError):
            admin.find_team(db, other)
        admin.find_team(db, name)
    assert _count(scratch.sessions, store_audit.CONSOLE_CHAIN) == 1


def test_rekeying_seals_what_came_before(scratch: Scratch, tmp_path: Path,
                                         monkeypatch: pytest.MonkeyPatch,
                                         capsys: pytest.CaptureFixture[str]) -> None:
    """Chains written unkeyed are keyed later by ``rekey-store-audit``; later, under a
    second key, again (with the first key's file). After it, the new key alone verifies
    the chain: the events before each rekey are covered by its seal, so an edit to one is
    found even once the old key is gone."""
    chain = _chain()
    _append(scratch.sessions, chain, 3)  # unkeyed
    first = _key(tmp_path, "first")
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(first))
    with pytest.raises(store_audit.AuditKeyError):
        _append(scratch.sessions, chain, 1)
    rekey = ["--database-url", scratch.url, "rekey-store-audit", "--chain", chain]
    assert cli.main(rekey) == 0
    assert f"chain {chain}: rekeyed" in capsys.readouterr().out
    assert cli.main(rekey) == 0
    assert f"chain {chain}: already has this key" in capsys.readouterr().out
    _append(scratch.sessions, chain, 2)
    report = _report(scratch.sessions, chain)
    assert report.ok and report.keyed and report.events == 6, report.problems

    second = _key(tmp_path, "second")
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(second))
    assert cli.main(rekey) == 1  # the chain's present key is needed
    assert "give its own old key file" in capsys.readouterr().err
    assert cli.main([*rekey, "--old-key-file", str(first)]) == 0
    _append(scratch.sessions, chain, 1)
    with scratch.sessions() as db:
        rekeys = list(db.scalars(select(StoreAuditEvent).where(
            StoreAuditEvent.chain == chain, StoreAuditEvent.action == store_audit.REKEYED)))
    assert [(r.seq, r.detail["from_key"], r.detail["sealed_seq"]) for r in rekeys] == [
        (4, "unkeyed", 3), (7, rekeys[0].key_id, 6)]
    assert rekeys[0].actor_kind == "cli" and rekeys[0].actor_id == f"uid:{os.getuid()}"
    report = _report(scratch.sessions, chain)  # the second key only
    assert report.ok and report.events == 8, report.problems

    # An event under the first key, edited behind the trigger: only the seal shows it now.
    _behind_the_trigger(scratch, "UPDATE store_audit_event SET actor_name = 'Someone else' "
                                 "WHERE chain = %s AND seq = 5", chain)
    report = _report(scratch.sessions, chain)
    assert [p.text for p in report.problems] == [
        "the events before the rekey at seq 7 are not the ones it sealed (changed since)"]
    # And a chain that does not verify with its old key is not rekeyed.
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(_key(tmp_path, "third")))
    assert cli.main([*rekey, "--old-key-file", str(second)]) == 1
    assert "does not verify with its old key, so it is not rekeyed" in capsys.readouterr().err


def test_serve_refuses_to_start_with_another_key(scratch: Scratch, postgres: PostgresCluster,
                                                 tmp_path: Path,
                                                 monkeypatch: pytest.MonkeyPatch) -> None:
    """A store started without its key file (or with another) would fail every push: it
    does not start, and says why."""
    monkeypatch.setenv(store_audit.KEY_FILE_ENV, str(_key(tmp_path, "audit")))
    _append(scratch.sessions, _chain(), 1)
    server = StoreProcess(postgres.database_url(scratch.name), tmp_path / "store.log",
                          env={store_audit.KEY_FILE_ENV: ""})
    with pytest.raises(RuntimeError, match="the store exited"):
        server.start()
    assert "not serving: these audit chains are not hashed with this process's key" in (
        server.log())


def test_update_and_delete_are_refused(store_sessions: sessionmaker[Session],
                                       pg: psycopg.Connection) -> None:
    chain = _chain()
    _append(store_sessions, chain, 1)
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        pg.execute("UPDATE store_audit_event SET action = 'x' WHERE chain = %s", (chain,))
    with pytest.raises(psycopg.errors.RaiseException, match="append-only"):
        pg.execute("DELETE FROM store_audit_event WHERE chain = %s", (chain,))
    assert _report(store_sessions, chain).ok


def test_edited_row_is_named(scratch: Scratch) -> None:
    chain = _chain()
    _append(scratch.sessions, chain, 5)
    _behind_the_trigger(scratch, "UPDATE store_audit_event SET actor_name = 'Someone else' "
                                 "WHERE chain = %s AND seq = 3", chain)
    report = _report(scratch.sessions, chain)
    assert report.broken_seq == 3
    assert report.problem == ("the event at seq 3 does not match its hash (edited, or "
                              "written with another key)")


def test_deleted_row_is_a_gap(scratch: Scratch) -> None:
    chain = _chain()
    _append(scratch.sessions, chain, 5)
    _behind_the_trigger(scratch, "DELETE FROM store_audit_event WHERE chain = %s AND seq = 2",
                        chain)
    report = _report(scratch.sessions, chain)
    assert report.broken_seq == 3
    assert report.problem is not None and report.problem.startswith("gap: seq 2 missing")


def test_deleted_last_row_disagrees_with_the_head(scratch: Scratch) -> None:
    chain = _chain()
    _append(scratch.sessions, chain, 4)
    _behind_the_trigger(scratch, "DELETE FROM store_audit_event WHERE chain = %s AND seq = 4",
                        chain)
    report = _report(scratch.sessions, chain)
    assert report.broken_seq == 4
    assert "the head says seq 4 but the last event is seq 3" in (report.problem or "")


def test_rewritten_link_is_named(scratch: Scratch) -> None:
    chain = _chain()
    _append(scratch.sessions, chain, 3)
    _behind_the_trigger(scratch, "UPDATE store_audit_event SET prev_hash = %s "
                                 "WHERE chain = %s AND seq = 2", "f" * 64, chain)
    report = _report(scratch.sessions, chain)
    assert report.broken_seq == 2 and "does not link" in (report.problem or "")


def test_every_break_is_reported_up_to_a_cap(scratch: Scratch,
                                             capsys: pytest.CaptureFixture[str]) -> None:
    chain = _chain()
    _append(scratch.sessions, chain, 30)
    _behind_the_trigger(scratch, "UPDATE store_audit_event SET action = 'x' "
                                 "WHERE chain = %s AND seq IN (2, 4)", chain)
    report = _report(scratch.sessions, chain)
    assert [p.seq for p in report.problems] == [2, 4] and report.more == 0
    assert cli.main(["--database-url", scratch.url, "verify-store-audit", "--chain",
                     chain]) == 1
    out = capsys.readouterr().out
    assert f"chain {chain}: 30 events, head seq 30 (unkeyed); BROKEN at seq 2: " in out
    assert "    also at seq 4: the event at seq 4 does not match its hash" in out
    _behind_the_trigger(scratch, "UPDATE store_audit_event SET action = 'x' "
                                 "WHERE chain = %s AND seq > 5", chain)
    report = _report(scratch.sessions, chain)
    assert len(report.problems) == store_audit_verify.MAX_PROBLEMS
    assert report.more == 2 + 25 - store_audit_verify.MAX_PROBLEMS


def test_verify_walks_one_snapshot_while_events_are_appended(scratch: Scratch) -> None:
    """Events appended while verify walks are not part of its walk (one repeatable-read
    snapshot, taken before the first chain): its report is the chains as they were, whole,
    never a head that has moved on past the events it read."""
    first, second = sorted([_chain(), _chain()])
    for chain in (first, second):
        _append(scratch.sessions, chain, 2)

    def meanwhile(name: str) -> None:
        if name == second:  # the first chain is walked; the second not yet
            for chain in (first, second):
                _append(scratch.sessions, chain, 1)

    with scratch.sessions() as db:
        reports = store_audit_verify.verify(db, progress=meanwhile)
    assert [(r.chain, r.events, r.head_seq, r.ok) for r in reports] == [
        (first, 2, 2, True), (second, 2, 2, True)]
    with scratch.sessions() as db:
        assert [r.events for r in store_audit_verify.verify(db)] == [3, 3]


def test_a_chain_cut_back_behind_a_checkpoint_is_found(scratch: Scratch,
                                                       capsys: pytest.CaptureFixture[str]
                                                       ) -> None:
    """Deleting a chain's last events and rewinding its head (behind the trigger) leaves a
    chain that holds together; the checkpoint an earlier verification recorded does not."""
    chain = _chain()
    _append(scratch.sessions, chain, 4)
    assert cli.main(["--database-url", scratch.url, "verify-store-audit", "--record"]) == 0
    assert "recorded on the audit trail" in capsys.readouterr().out
    with scratch.sessions() as db:
        recorded = db.scalars(select(StoreAuditEvent).where(
            StoreAuditEvent.action == store_audit.VERIFIED)).one()
        fourth = db.get_one(StoreAuditEvent, (chain, 4)).hash
        third = db.get_one(StoreAuditEvent, (chain, 3)).hash
    assert recorded.detail["checkpoints"][chain] == [4, fourth]
    assert recorded.actor_kind == "cli"

    _behind_the_trigger(scratch, "DELETE FROM store_audit_event WHERE chain = %s AND seq = 4",
                        chain)
    _behind_the_trigger(scratch, "UPDATE store_audit_chain SET head_seq = 3, head_hash = %s "
                                 "WHERE chain = %s", third, chain)
    report = _report(scratch.sessions, chain)
    assert report.problem == ("the chain ends at seq 3, but an earlier verification saw seq 4 "
                              "(events removed from its end)")
    _append(scratch.sessions, chain, 1)  # a new seq 4 in its place
    report = _report(scratch.sessions, chain)
    assert report.problem == ("the event at seq 4 is not the one an earlier verification saw "
                              "there (replaced)")


def test_every_chain_is_walked(scratch: Scratch) -> None:
    chains = sorted([_chain(), _chain()])
    for chain in chains:
        _append(scratch.sessions, chain, 2)
    with scratch.sessions() as db:
        reports = store_audit_verify.verify(db)
    assert [r.chain for r in reports] == chains
    assert all(r.ok and r.events == 2 for r in reports)


def test_two_chains_do_not_block_each_other(store_sessions: sessionmaker[Session]) -> None:
    """A transaction holding one chain's head does not stop another chain's append: the
    second commits while the first is still open (no sleep: the second runs to the end in
    a thread, with a lock timeout that turns waiting into a failure)."""
    first, second = _chain(), _chain()
    _append(store_sessions, first, 1)
    _append(store_sessions, second, 1)
    outcome: list[BaseException | None] = []
    with store_sessions() as holder, holder.begin():
        store_audit.append(holder, chain=first, actor_kind="device", actor_id=None,
                           actor_name="Alex", action="push")

        def other() -> None:
            try:
                with store_sessions.begin() as db:
                    db.execute(select(1).where(False))
                    db.connection().exec_driver_sql("SET LOCAL lock_timeout = '5s'")
                    store_audit.append(db, chain=second, actor_kind="device", actor_id=None,
                                       actor_name="Sam", action="push")
                outcome.append(None)
            except BaseException as exc:  # noqa: BLE001 - reported below
                outcome.append(exc)

        thread = threading.Thread(target=other)
        thread.start()
        thread.join(30)
        assert outcome == [None], outcome  # committed while the first chain is locked
    assert _report(store_sessions, first).events == 2
    assert _report(store_sessions, second).events == 2


def test_same_chain_waits_for_the_holder(store_sessions: sessionmaker[Session]) -> None:
    """The head lock is real: a second append to the same chain cannot take it while the
    first transaction is open (lock_timeout turns the wait into an error)."""
    chain = _chain()
    _append(store_sessions, chain, 1)
    with store_sessions() as holder, holder.begin():
        store_audit.append(holder, chain=chain, actor_kind="cli", actor_id=None,
                           actor_name="root", action="x")
        with store_sessions() as db, db.begin():
            db.connection().exec_driver_sql("SET LOCAL lock_timeout = '200ms'")
            with pytest.raises(Exception, match="lock timeout"):
                store_audit.append(db, chain=chain, actor_kind="cli", actor_id=None,
                                   actor_name="root", action="y")
    report = _report(store_sessions, chain)
    assert report.ok and report.events == 2


def test_cli_verify_store_audit_exit_codes(scratch: Scratch,
                                           capsys: pytest.CaptureFixture[str]) -> None:
    chain = _chain()
    _append(scratch.sessions, chain, 3)
    assert cli.main(["--database-url", scratch.url, "verify-store-audit"]) == 0
    out = capsys.readouterr().out
    assert f"chain {chain}: 3 events, head seq 3 (unkeyed); verified" in out
    assert "SCP_STORE_AUDIT_KEY_FILE" in out  # says how to key it
    _behind_the_trigger(scratch, "UPDATE store_audit_event SET detail = '{\"n\": 99}' "
                                 "WHERE chain = %s AND seq = 2", chain)
    assert cli.main(["--database-url", scratch.url, "verify-store-audit"]) == 1
    assert f"chain {chain}: 3 events, head seq 3 (unkeyed); BROKEN at seq 2" in (
        capsys.readouterr().out)
    assert cli.main(["--database-url", scratch.url, "verify-store-audit", "--chain",
                     "console"]) == 0


def test_empty_store_verifies(scratch: Scratch, capsys: pytest.CaptureFixture[str]) -> None:
    assert cli.main(["--database-url", scratch.url, "verify-store-audit"]) == 0
    assert "no store audit chains yet" in capsys.readouterr().out


# ------------------------------------------------------------- the console's audit page

ROW = re.compile(r"<tr>\s*<td>(\d\d/\d\d/\d{4} \d\d:\d\d:\d\d)</td>(.*?)</tr>", re.S)


def _team_id(sessions: sessionmaker[Session], name: str) -> str:
    with sessions() as db:
        return admin.find_team(db, name).id


def _team_events(sessions: sessionmaker[Session], team_id: str, count: int, *,
                 action: str = "push", actor_name: str = "Alex Example",
                 device_id: str | None = None, user_id: str | None = None) -> None:
    with sessions.begin() as db:
        for i in range(count):
            store_audit.append(db, chain=team_id, actor_kind="device", actor_id=device_id,
                               actor_name=actor_name, action=action, team_id=team_id,
                               device_id=device_id, user_id=user_id,
                               detail={"changes": i, "applied": i, "result": "ok"})


def _rows(html: str) -> list[str]:
    return [m.group(2) for m in ROW.finditer(html)]


def test_audit_page_filters_by_team_device_user_action_and_date(
        console: Console, signed_in: SignedIn, team: str, enrol: EnrolFn,
        store_sessions: sessionmaker[Session]) -> None:
    laptop = enrol(team)
    team_id = laptop.team_id
    with store_sessions() as db:
        device = db.get_one(Device, laptop.device_id)
        user_id = device.user_id
        user_name = db.get_one(StoreUser, user_id).name
    _team_events(store_sessions, team_id, 3, device_id=laptop.device_id, user_id=user_id)
    _team_events(store_sessions, team_id, 2, action="push_refused")
    client = signed_in("ipcb_governance")  # both roles see the audit page

    page = client.get("/console/audit", params={"team": team_id})
    assert page.status_code == 200
    rows = _rows(page.text)
    assert len(rows) == 2 + 3 + 1  # the refusals, the pushes, the enrolment (newest first)
    assert "push_refused" in rows[0] and "device_enrolled" in rows[-1]
    assert team in rows[0] and "Test laptop" in rows[2] and user_name in rows[2]
    assert "changes 2; applied 2; result ok" in rows[2]

    by_device = _rows(client.get("/console/audit", params={"device": laptop.device_id}).text)
    assert len(by_device) == 4  # the pushes and the enrolment
    by_user = _rows(client.get("/console/audit", params={"user": user_id}).text)
    assert len(by_user) == 4
    by_action = _rows(client.get("/console/audit", params={
        "team": team_id, "action": "push_refused"}).text)
    assert len(by_action) == 2

    today = dt.datetime.now(LONDON).date()
    for day in (today.strftime("%d/%m/%Y"), today.isoformat()):
        both = client.get("/console/audit", params={"team": team_id, "date_from": day,
                                                    "date_to": day})
        assert len(_rows(both.text)) == 6
    yesterday = (today - dt.timedelta(days=1)).strftime("%d/%m/%Y")
    none = client.get("/console/audit", params={"team": team_id, "date_to": yesterday})
    assert _rows(none.text) == [] and "No events match." in none.text

    wrong = client.get("/console/audit", params={"team": team_id, "date_from": "31/02/2025x"})
    assert wrong.status_code == 400
    assert "is not a date: write it as dd/mm/yyyy" in wrong.text
    assert 'value="31/02/2025x"' in wrong.text  # what was typed is kept


def test_audit_page_pages_newest_first(console: Console, signed_in: SignedIn, team: str,
                                       store_sessions: sessionmaker[Session]) -> None:
    team_id = _team_id(store_sessions, team)
    _team_events(store_sessions, team_id, 130)
    client = signed_in("it_admin")
    first = client.get("/console/audit", params={"team": team_id})
    rows = _rows(first.text)
    assert len(rows) == 100
    older = re.search(r'<a href="(/console/audit\?[^"]+)">Older</a>', first.text)
    assert older is not None
    second = client.get(older.group(1).replace("&amp;", "&"))
    assert second.status_code == 200
    more = _rows(second.text)
    assert len(more) == 30
    assert 'Older</a>' not in second.text and ">Newest</a>" in second.text
    changes = [int(m.group(1)) for r in rows + more
               for m in [re.search(r"changes (\d+);", r)] if m]
    assert changes == list(range(129, -1, -1))  # every event once, newest first
    bad = client.get("/console/audit", params={"before": "nonsense"})
    assert bad.status_code == 400


def test_audit_csv_has_every_matching_event(console: Console, signed_in: SignedIn, team: str,
                                            store_sessions: sessionmaker[Session]) -> None:
    team_id = _team_id(store_sessions, team)
    _team_events(store_sessions, team_id, 150)
    _team_events(store_sessions, team_id, 1, actor_name="=HYPERLINK(\"http://x\")")
    client = signed_in("it_admin")
    answer = client.get("/console/audit.csv", params={"team": team_id})
    assert answer.status_code == 200
    assert answer.headers["content-type"].startswith("text/csv")
    assert "attachment" in answer.headers["content-disposition"]
    exported, *rows = list(csv.DictReader(io.StringIO(answer.text)))
    # The export itself is recorded first (about this team), then every event of the team.
    assert exported["action"] == "audit_exported" and exported["team_id"] == team_id
    assert exported["actor_kind"] == "console"
    assert len(rows) == 151
    assert rows[0]["actor"] == "'=HYPERLINK(\"http://x\")"  # never a formula
    assert {r["team"] for r in rows} == {team} and {r["chain"] for r in rows} == {team_id}
    assert int(rows[1]["seq"]) == 150 and int(rows[-1]["seq"]) == 1


def test_verify_button_records_the_state(console: Console, signed_in: SignedIn) -> None:
    client = signed_in("it_admin")
    answer = client.post_form("/console/audit/verify")
    assert answer.status_code == 303 and answer.headers["location"] == "/console/audit"
    page = client.get("/console/audit")
    state = re.search(r'<p class="notice" role="status">All (\d+) audit chains? \((\d+) events?\) '
                      r"verified up to", page.text)
    assert state is not None, page.text
    assert int(state.group(1)) >= 1
    # The event keeps each chain's checkpoint; the page sums them up.
    with console.sessions() as db:
        event = db.scalars(select(StoreAuditEvent).where(
            StoreAuditEvent.action == store_audit.VERIFIED)
            .order_by(StoreAuditEvent.seq.desc()).limit(1)).one()
    points = event.detail["checkpoints"]
    assert len(points) == int(state.group(1))
    assert points[store_audit.CONSOLE_CHAIN][0] >= 1
    assert f"checkpoints {len(points)} chains" in page.text


def test_audit_page_shows_a_broken_chain_in_red(scratch: Scratch, postgres: PostgresCluster,
                                                tmp_path: Path) -> None:
    """On a store of its own (the session store's chains must stay whole): an event edited
    behind the trigger, then "Verify": the page names the chain and the seq."""
    server = StoreProcess(postgres.database_url(scratch.name), tmp_path / "store.log").start()
    try:
        own = Console(server.base_url, scratch.sessions)
        client = own.signed_in_as(own.make_account("ipcb_governance"))
        chain = _chain()
        _append(scratch.sessions, chain, 4)
        _behind_the_trigger(scratch, "UPDATE store_audit_event SET action = 'nothing' "
                                     "WHERE chain = %s AND seq = 3", chain)
        assert client.post_form("/console/audit/verify").status_code == 303
        page = client.get("/console/audit")
        broken = re.search(r'<div class="error" role="alert">(.*?)</div>', page.text, re.S)
        assert broken is not None, page.text
        assert f"Chain {chain} breaks at seq 3: the event at seq 3 does not match its hash" in (
            broken.group(1))
        client.close()
    finally:
        server.stop()
