"""The client when things go wrong: a refused change among fifty, a revoked laptop, a captive
portal, a store that wants a newer app, no network, TLS, cancelling, and a second run."""

from __future__ import annotations

import contextlib
import http.server
import logging
import socket
import ssl
import threading
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
import trustme
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.outbox import OutboxState
from desktop_app.models.person import Person
from desktop_app.models.sync import SyncState
from desktop_app.services import sync
from sync_server import admin
from sync_server.config import MIN_CLIENT_VERSION_ENV
from tests.sync.laptops import (
    ForwardThen,
    LaptopFn,
    VaultLaptop,
    assert_agree,
    issue_code,
    server_records,
)
from tools.throwaway_store import PostgresCluster, StoreProcess, free_port


def _team(laptop: VaultLaptop) -> str:
    assert laptop.enrolment is not None
    return laptop.enrolment.team_id


def _point_at(laptop: VaultLaptop, url: str) -> None:
    with laptop.uow.begin() as s:
        s.execute(update(SyncState).values(server_url=url))


@pytest.mark.hazard("H-034")
def test_one_invalid_change_in_fifty_is_quarantined_and_the_queue_moves_on(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse = laptops(team)
    ids = nurse.add_people(range(1, 51))
    nurse.edit(Person, ids[20], communication_needs="x" * 300_000)  # over the store's limit

    result = nurse.sync()

    assert (result.pushed, result.quarantined, result.batches) == (49, 1, 1)
    [refused] = sync.list_quarantined(nurse.uow)
    assert (refused.entity_type, refused.entity_id, refused.reason) == (
        "person", ids[20], "row is too large")
    assert len(server_records(pg, _team(nurse))) == 49
    assert sync.sync_status(nurse.uow).quarantined == 1
    # The queue is not blocked: a later change goes through.
    later = nurse.add_person(99)
    assert nurse.sync().pushed == 1
    assert ("person", later) in server_records(pg, _team(nurse))

    # Shortened and retried, the record goes through with a fresh key.
    nurse.edit(Person, ids[20], communication_needs="Prefers large print")
    sync.retry_quarantined(nurse.uow, refused.seq)
    assert nurse.sync().pushed == 1
    assert sync.list_quarantined(nurse.uow) == []
    assert_agree(pg, _team(nurse), [nurse])


@pytest.mark.hazard("H-027")
def test_a_revoked_laptop_is_told_so_and_keeps_its_changes(
        laptops: LaptopFn, team: str, store_sessions: sessionmaker[Session]) -> None:
    nurse = laptops(team)
    nurse.add_person(1)
    assert nurse.enrolment is not None
    with store_sessions.begin() as session:
        assert admin.revoke_device(session, nurse.enrolment.device_id)

    with pytest.raises(sync.DeviceRevoked, match="enrol it again"):
        nurse.sync()

    assert len(nurse.outbox(OutboxState.PENDING)) == 1
    assert not sync.sync_status(nurse.uow).enrolled
    assert sync.sync_settings(nurse.uow).revoked_at is not None
    with pytest.raises(sync.NotEnrolled):
        nurse.sync()
    # A new code enrols it again, and the change waiting since goes out.
    sync.enrol(nurse.uow, nurse.server_url, issue_code(store_sessions, team), "Laptop again")
    assert nurse.sync().pushed == 1


def test_enrolment_writes_the_vault_only_after_the_network_through_the_database_call(
        laptops: LaptopFn, team: str, store_sessions: sessionmaker[Session]) -> None:
    """The app enrols on a background thread and passes ``DatabaseExecutor.call`` as ``db``:
    the vault (whose connection belongs to the database thread) is touched only through it,
    after every request is done, so the database thread never waits on the network."""
    nurse = laptops(team)
    steps: list[str] = []

    def on_db(fn: Callable[[], Any]) -> Any:
        steps.append("vault")
        return fn()

    watch = ForwardThen(lambda request: steps.append(request.url.path) and None)
    enrolment = sync.enrol(nurse.uow, nurse.server_url, issue_code(store_sessions, team),
                           "Laptop again", db=on_db, transport=watch)

    assert steps == ["/api/v1/health", "/api/v1/enrol", "vault"]
    assert sync.sync_settings(nurse.uow).device_name == enrolment.device_name == "Laptop again"


@pytest.fixture
def captive_portal() -> Iterator[str]:
    """A plain web server answering every request with a sign-in page (200, no store header)."""
    class Portal(http.server.BaseHTTPRequestHandler):
        def _page(self) -> None:
            body = b"<html><body>Sign in to Hospital Guest Wi-Fi</body></html>"
            self.send_response(200)
            self.send_header("Content-Type", "text/html")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        do_GET = do_POST = _page

        def log_message(self, *_args: object) -> None:
            pass

    server = http.server.ThreadingHTTPServer(("127.0.0.1", 0), Portal)
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{server.server_address[1]}"
    server.shutdown()
    server.server_close()


@pytest.mark.hazard("H-017")
def test_a_captive_portal_is_offline_not_an_answer(laptops: LaptopFn, team: str,
                                                   captive_portal: str) -> None:
    nurse = laptops(team)
    nurse.add_person(1)
    _point_at(nurse, captive_portal)

    with pytest.raises(sync.NotTheStore) as caught:
        nurse.sync()

    assert isinstance(caught.value, sync.ServerUnreachable)
    assert "Wi-Fi sign-in" in str(caught.value)
    [waiting] = nurse.outbox(OutboxState.PENDING)
    assert waiting.attempts == 0  # the probe failed: nothing was even sent
    with pytest.raises(sync.NotTheStore):
        sync.enrol(nurse.uow, captive_portal, "7KQ2-M9XD-4RTB-0WZH", "Laptop")


def test_no_network_is_server_unreachable_and_changes_stay(laptops: LaptopFn,
                                                           team: str) -> None:
    nurse = laptops(team)
    nurse.add_person(1)
    _point_at(nurse, f"http://127.0.0.1:{free_port()}")
    with pytest.raises(sync.ServerUnreachable, match="kept on this laptop"):
        nurse.sync()
    assert len(nurse.outbox(OutboxState.PENDING)) == 1
    assert sync.sync_status(nurse.uow).last_synced_at is None


@pytest.mark.hazard("H-018")
def test_a_store_that_needs_a_newer_app_stops_sync_with_its_message(
        laptops: LaptopFn, team: str, postgres: PostgresCluster, tmp_path: Path) -> None:
    nurse = laptops(team)
    nurse.add_person(1)
    strict = StoreProcess(postgres.store_url, tmp_path / "strict.log",
                          env={MIN_CLIENT_VERSION_ENV: "9.0.0"}).start()
    try:
        _point_at(nurse, strict.base_url)
        with pytest.raises(sync.ClientTooOld, match="too old for the central store"):
            nurse.sync()
    finally:
        strict.stop()
    assert len(nurse.outbox(OutboxState.PENDING)) == 1


@pytest.mark.hazard("H-027")
def test_tls_is_verified_against_the_ca_bundle_or_refused(
        laptops: LaptopFn, team: str, postgres: PostgresCluster, tmp_path: Path) -> None:
    ca = trustme.CA()
    issued = ca.issue_cert("127.0.0.1", "localhost")
    bundle, chain, key = tmp_path / "ca.pem", tmp_path / "server.pem", tmp_path / "server.key"
    ca.cert_pem.write_to_path(str(bundle))
    for blob in issued.cert_chain_pems:
        blob.write_to_path(str(chain), append=True)
    issued.private_key_pem.write_to_path(str(key))
    nurse = laptops(team)
    nurse.add_person(1)
    secure = StoreProcess(postgres.store_url, tmp_path / "tls.log", tls=(chain, key)).start(
        verify=ssl.create_default_context(cafile=str(bundle)))
    try:
        _point_at(nurse, secure.base_url)
        with pytest.raises(sync.CertificateNotTrusted):  # the system store does not know it
            nurse.sync()
        sync.set_ca_bundle(nurse.uow, str(bundle))
        assert nurse.sync().pushed == 1
    finally:
        secure.stop()
    assert sync.sync_settings(nurse.uow).ca_bundle == str(bundle)


def test_cancel_stops_between_batches_and_the_rest_goes_next_time(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse = laptops(team)
    ids = nurse.add_people(range(1, 61))
    batches: list[int] = []

    def note(progress: sync.SyncProgress) -> None:
        if progress.phase is sync.SyncPhase.PUSHING:
            batches.append(progress.done)

    client = sync.SyncClient(sync.SyncOptions(batch_size=10))
    result = client.run(nurse.uow, note, lambda: len(batches) >= 1)

    # It stops at a batch boundary: the batches already on their way when the person
    # pressed Cancel on seeing the first answered are finished, no more. Two were on the
    # wire, and a third went out as the first answer came, before it was shown.
    assert result.cancelled and result.pages == 0
    assert (result.pushed, result.batches) in ((10, 1), (20, 2), (30, 3))
    assert len(nurse.outbox(OutboxState.PENDING)) == 60 - result.pushed
    held = server_records(pg, _team(nurse))
    assert len(held) == result.pushed
    # Answered rows carry the store's version at once (no pull ran to bring them back).
    for record_id in ids[:result.pushed]:
        assert nurse.get(Person, record_id)["server_version"] == held[  # type: ignore[index]
            ("person", record_id)][0]
    assert all(nurse.get(Person, i)["server_version"] is None  # type: ignore[index]
               for i in ids[result.pushed:])
    assert sync.sync_status(nurse.uow).last_synced_at is None  # not a complete sync
    finished = nurse.sync(batch_size=10)
    assert not finished.cancelled and finished.pushed == 60 - result.pushed
    assert sync.sync_status(nurse.uow).last_synced_at is not None


def test_a_second_run_of_the_same_vault_is_refused_while_one_runs(laptops: LaptopFn,
                                                                  team: str) -> None:
    nurse = laptops(team)
    nurse.add_person(1)
    refused: list[Exception] = []

    def start_another(progress: sync.SyncProgress) -> None:
        if progress.phase is sync.SyncPhase.CONNECTING:
            try:
                sync.SyncClient().run(nurse.uow, lambda _p: None, lambda: False)
            except sync.SyncAlreadyRunning as err:
                refused.append(err)

    assert sync.SyncClient().run(nurse.uow, start_another, lambda: False).pushed == 1
    assert len(refused) == 1
    assert nurse.sync().pushed == 0  # the lock was released


@pytest.fixture
def silent_server() -> Iterator[str]:
    """A server that accepts connections and never answers (a dead proxy, a hung store)."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(8)
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.1)
        while not stop.is_set():
            with contextlib.suppress(OSError):
                held.append(listener.accept()[0])

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield f"http://127.0.0.1:{listener.getsockname()[1]}"
    stop.set()
    thread.join()
    for conn in held:
        conn.close()
    listener.close()


def test_a_store_that_never_answers_times_out_as_unreachable(
        laptops: LaptopFn, team: str, silent_server: str) -> None:
    nurse = laptops(team)
    nurse.add_person(1)
    _point_at(nurse, silent_server)
    quick = sync.Timeouts(connect=1.0, read=0.5, write=0.5, probe=0.5)
    client = sync.SyncClient(sync.SyncOptions(timeouts=quick))
    with pytest.raises(sync.ServerUnreachable):
        client.run(nurse.uow, lambda _p: None, lambda: False)
    assert len(nurse.outbox(OutboxState.PENDING)) == 1


@pytest.mark.hazard("H-027")
def test_the_device_token_never_reaches_a_log(laptops: LaptopFn, team: str,
                                             caplog: pytest.LogCaptureFixture) -> None:
    caplog.set_level(logging.DEBUG)
    nurse = laptops(team)
    nurse.add_person(1)
    nurse.sync()
    with nurse.uow.read() as s:
        state = s.get(SyncState, 1)
        assert state is not None and state.device_token
        token = state.device_token
    assert caplog.records, "nothing was logged: the check would prove nothing"
    assert token not in caplog.text
    assert token[-12:] not in caplog.text


@pytest.mark.parametrize("from_call", range(1, 9))
def test_cancel_at_any_moment_of_the_push_stops_cleanly(
        laptops: LaptopFn, team: str, pg: psycopg.Connection, from_call: int) -> None:
    """Whenever "cancelled?" first says yes (found by review: between two askings inside
    one step, the run once crashed on a batch it had not read)."""
    nurse = laptops(team)
    nurse.add_people(range(1, 31))
    asked = [0]

    def cancelled() -> bool:
        asked[0] += 1
        return asked[0] >= from_call

    result = sync.SyncClient(sync.SyncOptions(batch_size=10)).run(nurse.uow, lambda _p: None,
                                                                  cancelled)

    assert result.cancelled
    done = nurse.outbox(OutboxState.DONE)
    assert len(done) == result.pushed
    assert len(done) + len(nurse.outbox(OutboxState.PENDING)) == 30
    assert len(server_records(pg, _team(nurse))) >= result.pushed
    assert nurse.sync(batch_size=10).pushed == 30 - result.pushed
    assert_agree(pg, _team(nurse), [nurse])
