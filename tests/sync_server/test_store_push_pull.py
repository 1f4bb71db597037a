"""Push and pull through the real store: round trips, paging, conflicts, rejections."""

from __future__ import annotations

import uuid
from collections.abc import Callable

import httpx
import pytest

from sync_server.push import KEY_REUSED
from tests.sync_server.store import EnrolFn, change, new_people, statuses
from tools.throwaway_store import CLIENT_VERSION, StoreProcess


def test_two_laptops_of_a_team_exchange_records(enrol: EnrolFn, team: str) -> None:
    nurse, colleague = enrol(team), enrol(team)
    person = change(given_name="Margaret")
    contact = change("contact", person_id=person["id"], relationship="daughter")
    answers = nurse.push([person, contact])
    assert statuses(answers) == ["applied", "applied"]
    assert answers[0]["server_version"] < answers[1]["server_version"]

    seen, cursor = colleague.pull_all()
    assert [(c["entity_type"], c["id"], c["row"], c["tombstone"]) for c in seen] == [
        ("person", person["id"], person["row"], False),
        ("contact", contact["id"], contact["row"], False)]
    assert cursor == answers[1]["server_version"]

    # The colleague edits on top of what they pulled; the nurse pulls the edit.
    edit = change(record_id=person["id"], base=seen[0]["server_version"], given_name="Peggy")
    edited = colleague.push([edit])[0]
    assert edited["status"] == "applied" and edited["server_version"] > cursor
    back, _ = nurse.pull_all(cursor)
    assert [(c["id"], c["row"]["given_name"]) for c in back] == [(person["id"], "Peggy")]

    # A deletion travels as a tombstone.
    gone = change("contact", contact["id"], base=answers[1]["server_version"], tombstone=True)
    assert nurse.push([gone])[0]["status"] == "applied"
    last, _ = colleague.pull_all(edited["server_version"])
    assert [(c["id"], c["tombstone"]) for c in last] == [(contact["id"], True)]


def test_pull_pages_in_version_order(enrol: EnrolFn, team: str) -> None:
    laptop = enrol(team)
    answers = laptop.push(new_people(7))
    versions = [a["server_version"] for a in answers]
    response = laptop.http.get("/pull", params={"cursor": 0, "limit": 3})
    page = response.json()
    assert [c["server_version"] for c in page["changes"]] == versions[:3]
    assert page["has_more"] is True and page["next_cursor"] == versions[2]
    rest, cursor = laptop.pull_all(page["next_cursor"], limit=3)
    assert [c["server_version"] for c in rest] == versions[3:] and cursor == versions[-1]
    empty = laptop.http.get("/pull", params={"cursor": cursor}).json()
    assert empty == {"changes": [], "next_cursor": cursor, "has_more": False}
    # A cursor from the future (the store restored from an older backup) comes back lower.
    future = laptop.http.get("/pull", params={"cursor": 2**40}).json()
    assert future["changes"] == [] and cursor <= future["next_cursor"] < 2**40


@pytest.mark.hazard("H-017")
def test_a_stale_base_version_is_a_conflict_with_the_server_row(enrol: EnrolFn, team: str
                                                                ) -> None:
    nurse, colleague = enrol(team), enrol(team)
    created = nurse.push([change(given_name="Edith")])[0]
    record_id = nurse.pull_all()[0][0]["id"]
    base = created["server_version"]
    theirs = colleague.push([change(record_id=record_id, base=base, given_name="Edie")])[0]
    assert theirs["status"] == "applied"

    # The nurse edited the same record offline, from the same base: nothing is overwritten.
    mine = change(record_id=record_id, base=base, given_name="Ede")
    answer = nurse.push([mine])[0]
    assert answer["status"] == "conflict"
    assert answer["server_version"] == theirs["server_version"]
    assert answer["row"]["given_name"] == "Edie" and answer["tombstone"] is False
    stored, _ = nurse.pull_all()
    assert [c["row"]["given_name"] for c in stored] == ["Edie"]

    # Keeping mine after looking: pushed again on top of the version that came back.
    kept = change(record_id=record_id, base=answer["server_version"], given_name="Ede")
    assert nurse.push([kept])[0]["status"] == "applied"


@pytest.mark.hazard("H-017")
def test_a_laptops_own_successive_edits_do_not_conflict(enrol: EnrolFn, team: str) -> None:
    """Created and edited twice before the first sync: all three carry no base version."""
    laptop = enrol(team)
    record_id = str(uuid.uuid4())
    batch = [change(record_id=record_id, given_name=name) for name in ("A", "B", "C")]
    assert statuses(laptop.push(batch)) == ["applied"] * 3
    later = change(record_id=record_id, given_name="D")  # sent in a later batch, same base
    assert laptop.push([later])[0]["status"] == "applied"
    assert [c["row"]["given_name"] for c in laptop.pull_all()[0]] == ["D"]


def test_one_invalid_change_in_fifty_is_rejected_alone(enrol: EnrolFn, team: str) -> None:
    laptop = enrol(team)
    batch = new_people(50)
    batch[17]["entity_type"] = "not_a_table"
    answers = laptop.push(batch)
    assert statuses(answers).count("applied") == 49
    assert answers[17] == {"idempotency_key": batch[17]["idempotency_key"],
                           "status": "rejected", "reason": "unknown entity type"}
    assert [a["idempotency_key"] for a in answers] == [c["idempotency_key"] for c in batch]
    assert len(laptop.pull_all()[0]) == 49


def _not_uuid(c: dict) -> None:  # type: ignore[type-arg]
    c["id"] = c["row"]["id"] = "patient-42"


def _upper_uuid(c: dict) -> None:  # type: ignore[type-arg]
    c["id"] = c["row"]["id"] = c["id"].upper()


def _row_list(c: dict) -> None:  # type: ignore[type-arg]
    c["row"] = [1, 2, 3]


def _row_id_mismatch(c: dict) -> None:  # type: ignore[type-arg]
    c["row"]["id"] = str(uuid.uuid4())


def _row_too_large(c: dict) -> None:  # type: ignore[type-arg]
    c["row"]["notes"] = "x" * 300_000


def _row_lone_surrogate(c: dict) -> None:  # type: ignore[type-arg]
    c["row"]["given_name"] = "Ed\ud800ith"


@pytest.mark.parametrize(("spoil", "reason"), [
    (_not_uuid, "id is not a UUID"),
    (_upper_uuid, "id is not a UUID in canonical lower-case form"),
    (_row_list, "row must be a JSON object"),
    (_row_id_mismatch, "row id does not match the change id"),
    (_row_too_large, "row is too large"),
    (_row_lone_surrogate, "row contains text that is not valid Unicode"),
])
def test_validation_reasons(enrol: EnrolFn, team: str, spoil: Callable[[dict], None],  # type: ignore[type-arg]
                            reason: str) -> None:
    laptop = enrol(team)
    bad, good = change(), change()
    spoil(bad)
    answers = laptop.push([bad, good])
    assert answers[0]["status"] == "rejected" and answers[0]["reason"] == reason
    assert answers[1]["status"] == "applied"


def test_same_key_with_different_content_is_refused_and_logged_without_data(
        enrol: EnrolFn, team: str, store_log: Callable[[], str]) -> None:
    laptop = enrol(team)
    original = change(family_name="Uniquelyloggedname")
    first = laptop.push([original])[0]
    altered = {**original, "row": {**original["row"], "family_name": "Othername"}}
    answer = laptop.push([altered])[0]
    assert answer == {"idempotency_key": original["idempotency_key"], "status": "rejected",
                      "reason": KEY_REUSED}
    stored, _ = laptop.pull_all()
    assert [(c["server_version"], c["row"]["family_name"]) for c in stored] == [
        (first["server_version"], "Uniquelyloggedname")]
    log = store_log()
    assert f"refused a reused idempotency key {original['idempotency_key']} (entity type person"\
        in log
    assert "Uniquelyloggedname" not in log and "Othername" not in log


def test_batches_over_the_limit_and_oversized_bodies_are_refused(enrol: EnrolFn, team: str
                                                                 ) -> None:
    laptop = enrol(team)
    too_many = laptop.http.post("/push", json={"changes": [change() for _ in range(1001)]})
    assert too_many.status_code == 422
    huge = laptop.http.post("/push", content=b"{" + b" " * (33 * 1024 * 1024) + b"}",
                            headers={"Content-Type": "application/json"})
    assert huge.status_code == 413 and huge.headers["X-Shared-Care-Store"] == "1"
    assert laptop.pull_all()[0] == []


def test_text_postgresql_cannot_hold_is_a_422_not_a_server_error(enrol: EnrolFn, team: str,
                                                                  store: StoreProcess) -> None:
    """Found by schemathesis: NUL characters in a key or a device name once reached SQL."""
    laptop = enrol(team)
    bad_key = {**change(), "idempotency_key": "k\u0000y"}
    assert laptop.http.post("/push", json={"changes": [bad_key]}).status_code == 422
    enrolment = httpx.post(f"{store.base_url}/api/v1/enrol",
                           json={"code": "AAAA-BBBB-CCCC-DDDD", "device_name": "lap\u0000top"},
                           headers={"X-Client-Version": CLIENT_VERSION})
    assert enrolment.status_code == 422


AWKWARD = ['Zoë "Tab\there" back\\slash', "\\N", "\\.", "new\nline and\r\nCR", "😀 \u2028 \x00",
           "O'Brien & Sons <b>", "\\\\server\\share\t\\t"]


def test_awkward_text_comes_back_exactly(enrol: EnrolFn, team: str) -> None:
    """Rows go into the store through COPY's text format: every character must survive,
    those COPY itself treats specially (backslash, tab, newline, \\N, \\.) included. (This
    test found that an edit of a row holding a NUL failed its whole batch with a 500.)"""
    nurse, colleague = enrol(team), enrol(team)
    people = [change(given_name=text, family_name=text[::-1]) for text in AWKWARD]
    answers = nurse.push(people)
    assert statuses(answers) == ["applied"] * len(AWKWARD)
    edits = [change(record_id=p["id"], base=a["server_version"],
                    given_name=p["row"]["given_name"] * 2)
             for p, a in zip(people, answers, strict=True)]
    assert statuses(nurse.push(edits)) == ["applied"] * len(AWKWARD)

    seen, _ = colleague.pull_all()
    assert {c["id"]: c["row"] for c in seen} == {e["id"]: e["row"] for e in edits}
    replay = nurse.push(people)  # the first versions again: remembered, not reapplied
    assert statuses(replay) == ["duplicate"] * len(AWKWARD)
