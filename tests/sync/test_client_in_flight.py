"""Two batches on the wire at once, through the real client and the real store: only when they
share no record, so a record's changes still land in the order they were made."""

from __future__ import annotations

import json
import threading
import time

import httpx
import psycopg
import pytest

from desktop_app.models.outbox import OutboxState
from desktop_app.models.person import Person
from desktop_app.services import sync
from tests.sync.laptops import Forwarding, LaptopFn, assert_agree, lose_push_replies, server_records

WINDOW_S = 0.15  # each push is held this long before it goes on, so overlaps would show


class Watch(Forwarding):
    """Forwards to the real store, holding each push a moment, and notes which pushes were
    on the wire at the same time and which records they carried."""

    def __init__(self) -> None:
        super().__init__()
        self.lock = threading.Lock()
        self.active: list[set[str]] = []
        self.most = 0
        self.shared: list[set[str]] = []
        self.batches: list[set[str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/push"):
            return self.forward(request)
        ids = {c["id"] for c in json.loads(request.content)["changes"]}
        with self.lock:
            self.shared += [ids & other for other in self.active if ids & other]
            self.active.append(ids)
            self.batches.append(ids)
            self.most = max(self.most, len(self.active))
        try:
            time.sleep(WINDOW_S)
            return self.forward(request)
        finally:
            with self.lock:
                self.active.remove(ids)


def test_batches_without_a_record_in_common_go_out_together(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse = laptops(team)
    nurse.add_people(range(1, 41))
    watch = Watch()

    result = nurse.sync(transport=watch, batch_size=10)

    assert result.pushed == 40 and result.batches == 4
    assert watch.most == 2 and watch.shared == []
    assert nurse.outbox(OutboxState.PENDING) == []
    assert nurse.enrolment is not None
    assert len(server_records(pg, nurse.enrolment.team_id)) == 40
    assert_agree(pg, nurse.enrolment.team_id, [nurse])


def test_a_record_sent_twice_in_one_run_waits_for_its_first_answer(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse = laptops(team)
    ids = nurse.add_people(range(1, 21))
    with pytest.raises(sync.ServerUnreachable):  # sent, committed, the reply lost
        nurse.sync(transport=lose_push_replies(), batch_size=20)
    nurse.edit(Person, ids[0], phone="0116 496 0005")  # a newer change of a sent record
    nurse.add_people(range(21, 40))
    watch = Watch()

    result = nurse.sync(transport=watch, batch_size=20)

    # The first batch resends the unanswered twenty (the first person among them); the
    # second carries the first person's newer change, so it waits for the first's answer.
    assert [ids[0] in b for b in watch.batches] == [True, True]
    assert watch.shared == [] and watch.most == 1
    assert result.pushed == 40 and nurse.outbox(OutboxState.PENDING) == []
    assert nurse.enrolment is not None
    held = server_records(pg, nurse.enrolment.team_id)
    assert len(held) == 39 and held[("person", ids[0])][1]["phone"] == "0116 496 0005"
    assert_agree(pg, nurse.enrolment.team_id, [nurse])


def test_one_batch_at_a_time_when_asked(laptops: LaptopFn, team: str) -> None:
    nurse = laptops(team)
    nurse.add_people(range(1, 31))
    watch = Watch()
    client = sync.SyncClient(sync.SyncOptions(batch_size=10, in_flight=1), transport=watch)

    assert client.run(nurse.uow, lambda _p: None, lambda: False).pushed == 30
    assert watch.most == 1 and len(watch.batches) == 3


def test_in_flight_is_bounded() -> None:
    with pytest.raises(ValueError, match="in_flight"):
        sync.SyncOptions(in_flight=0)
    with pytest.raises(ValueError, match="in_flight"):
        sync.SyncOptions(in_flight=5)


class PushesNeverArrive(Forwarding):
    """The store answers its health probe; every push is lost on the way to it."""

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if request.url.path.endswith("/push"):
            raise httpx.ConnectError("the network went", request=request)
        return self.forward(request)


class Garble(Forwarding):
    """A broken proxy: the first push carrying ``record_id`` reaches the store without that
    change, and its answer for it comes back with a status the laptop does not know."""

    def __init__(self, record_id: str) -> None:
        super().__init__()
        self.record_id = record_id
        self.garbled = False
        self.pushes: list[set[str]] = []

    def handle_request(self, request: httpx.Request) -> httpx.Response:
        if not request.url.path.endswith("/push"):
            return self.forward(request)
        changes = json.loads(request.content)["changes"]
        self.pushes.append({c["id"] for c in changes})
        ids = [c["id"] for c in changes]
        if self.garbled or self.record_id not in ids:
            return self.forward(request)
        self.garbled = True
        at = ids.index(self.record_id)
        headers = {k: v for k, v in request.headers.items() if k.lower() != "content-length"}
        sent = self.forward(httpx.Request(
            request.method, request.url, headers=headers,
            content=json.dumps({"changes": changes[:at] + changes[at + 1:]})))
        answers = sent.json()["answers"]
        answers.insert(at, {"idempotency_key": changes[at]["idempotency_key"],
                            "status": "mystery"})
        return httpx.Response(200, json={"answers": answers},
                              headers={"X-Shared-Care-Store": "1"})


def test_after_an_answer_it_cannot_act_on_nothing_more_goes_out_in_that_run(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    """Found by review: the batch read ahead went out before the answers were looked at,
    so a record's newer change could land before its older one, which (still pending) was
    then applied over it on the next run."""
    nurse = laptops(team)
    ids = nurse.add_people(range(1, 21))

    with pytest.raises(sync.ServerUnreachable):  # sent (attempts raised), never arrived
        nurse.sync(transport=PushesNeverArrive(), batch_size=20)
    nurse.edit(Person, ids[0], phone="0116 496 0009")  # the first person's newer change
    nurse.add_people(range(21, 40))
    garble = Garble(ids[0])

    with pytest.raises(sync.SyncProtocolError, match="could not be understood"):
        nurse.sync(transport=garble, batch_size=20)

    assert garble.pushes == [set(ids)]  # the newer change did not go out beside it
    assert nurse.enrolment is not None
    assert len(server_records(pg, nurse.enrolment.team_id)) == 19
    assert nurse.sync(batch_size=20).pushed == 21  # the first person twice, in order; 19 new
    held = server_records(pg, nurse.enrolment.team_id)
    assert held[("person", ids[0])][1]["phone"] == "0116 496 0009"
    assert nurse.outbox(OutboxState.PENDING) == []
    assert_agree(pg, nurse.enrolment.team_id, [nurse])
