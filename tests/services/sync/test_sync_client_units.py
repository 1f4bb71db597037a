"""The sync client's parts without a server: backoff, addresses, answers, coalescing, and
applying remote rows (parents first, rules of this laptop, never through the outbox)."""

from __future__ import annotations

import datetime as dt
import json
import random
import shutil
import uuid
from pathlib import Path
from typing import Any

import httpx
import pytest
from sqlalchemy import func, select, update

from desktop_app.models.audit import AuditAction
from desktop_app.models.case_example import CaseExample
from desktop_app.models.outbox import OutboxEntry, OutboxPayload, OutboxState
from desktop_app.models.person import Contact, Person
from desktop_app.services import sync
from desktop_app.services.core.audit import verify_chain
from desktop_app.services.core.errors import (
    InternalError,
    NotFound,
    PermissionDenied,
    ValidationError,
)
from desktop_app.services.core.tracking import APPLYING_REMOTE, requeue, row_payload, tombstone
from desktop_app.services.demo import (
    seed_demo_case_examples,
    seed_demo_caseload,
    seed_demo_changes_of_need,
    seed_demo_delegations,
    seed_demo_life_events,
    seed_demo_person_centred,
)
from desktop_app.services.sync.entities import synced_entities
from desktop_app.services.sync.pull import (
    PageTally,
    RemoteChange,
    apply_changes,
    retry_held_back,
)
from desktop_app.services.sync.push import (
    KEEP_ANSWERED,
    _encode,
    apply_answers,
    forget_answered,
    plan_push,
    prepare_batch,
)
from desktop_app.services.sync.transport import (
    BodyTooLarge,
    check_answer,
    normalise_server_url,
)
from desktop_app.services.vault import VaultSession, VaultStore
from tests.support import PASSPHRASE, TEST_KDF, as_role, person_values


def test_next_delay_doubles_with_jitter_up_to_the_cap() -> None:
    assert sync.next_delay(0) == 0.0
    assert [sync.next_delay(n, rng=lambda: 1.0) for n in range(1, 8)] == [
        30.0, 60.0, 120.0, 240.0, 480.0, 960.0, 1800.0]
    assert sync.next_delay(3, rng=lambda: 0.0) == 60.0  # the lower half is never drawn
    assert sync.next_delay(10_000) <= 1800.0
    assert sync.next_delay(2, base=1.0, cap=10.0, rng=lambda: 0.5) == 1.5


@pytest.mark.parametrize(("typed", "expected"), [
    ("https://store.example.nhs.uk", "https://store.example.nhs.uk"),
    ("  https://store.example.nhs.uk/api/v1/ ", "https://store.example.nhs.uk"),
    ("https://gateway.example.nhs.uk/scp/", "https://gateway.example.nhs.uk/scp"),
    ("http://127.0.0.1:8000", "http://127.0.0.1:8000"),
    ("http://localhost:8000/", "http://localhost:8000"),
])
def test_server_addresses_are_normalised(typed: str, expected: str) -> None:
    assert normalise_server_url(typed) == expected


@pytest.mark.parametrize("typed", ["http://store.example.nhs.uk", "store.example.nhs.uk",
                                   "ftp://x", "https://", "https://a/?q=1",
                                   "https://user:pw@store.example.nhs.uk"])
def test_plain_http_to_another_machine_and_nonsense_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError):
        normalise_server_url(typed)


def _response(status: int, store: bool = True, body: Any = None) -> httpx.Response:
    headers = {"X-Shared-Care-Store": "1"} if store else {}
    return httpx.Response(status, headers=headers, json=body if body is not None else {})


@pytest.mark.parametrize(("status", "error"), [
    (401, sync.DeviceRevoked), (403, sync.PushNotAllowed), (413, BodyTooLarge),
    (426, sync.ClientTooOld), (503, sync.StoreUnavailable), (422, sync.SyncProtocolError),
    (500, sync.ServerUnreachable), (404, sync.ServerUnreachable),
])
def test_each_refusal_is_its_typed_error(status: int, error: type[Exception]) -> None:
    with pytest.raises(error):
        check_answer(_response(status))


@pytest.mark.hazard("H-017")
@pytest.mark.hazard("H-027")
def test_only_the_stores_own_header_makes_an_answer() -> None:
    check_answer(_response(200))
    with pytest.raises(sync.NotTheStore):
        check_answer(_response(200, store=False))
    with pytest.raises(sync.NotTheStore):  # even a "401" from a proxy is not the store's
        check_answer(_response(401, store=False))
    with pytest.raises(sync.ClientTooOld, match="^Please update to 2.0$"):
        check_answer(_response(426, body={"detail": "Please update to 2.0"}))


def _add(vault: VaultSession, serial: int) -> str:
    with vault.uow.begin() as s:
        person = Person(**person_values(serial))
        s.add(person)
        s.flush()
        return person.id


def _edit(vault: VaultSession, person_id: str, **changes: Any) -> None:
    with vault.uow.begin() as s:
        person = s.get(Person, person_id)
        assert person is not None
        for name, value in changes.items():
            setattr(person, name, value)


def test_several_edits_of_a_row_are_sent_once_but_a_sent_entry_is_sent_again(
        vault: VaultSession) -> None:
    edith, arthur = _add(vault, 1), _add(vault, 2)
    _edit(vault, edith, phone="0116 496 0001")
    _edit(vault, edith, phone="0116 496 0002")
    with vault.uow.read() as s:
        planned = plan_push(s)
    seqs = {p.entity_id: p for p in planned}
    assert [p.entity_id for p in planned] == [arthur, edith]
    assert len(seqs[edith].superseded) == 2 and seqs[arthur].superseded == ()

    # The first edit went out once and its reply was lost: it goes again, as it was.
    with vault.uow.begin() as s:
        first_edit = sorted(seqs[edith].superseded)[1]
        s.execute(update(OutboxEntry).where(OutboxEntry.seq == first_edit).values(attempts=1))
    with vault.uow.read() as s:
        planned = plan_push(s)
    assert [p.seq for p in planned if p.entity_id == edith] == [first_edit, seqs[edith].seq]
    assert [p.superseded for p in planned if p.entity_id == edith] == [
        (), (sorted(seqs[edith].superseded)[0],)]


@pytest.mark.parametrize("text", ["a", "", 'quote " and \\ back', "tab\tnew\nline\x01",
                                  "Zoë Siobhán", "\u2019\U0001f600"])
def test_a_change_is_encoded_exactly_as_json_dumps_would(text: str) -> None:
    """The quick quoting writes what ``json.dumps`` writes (ASCII, the same escapes)."""
    row = json.dumps({"id": text, "deleted": True})
    for base, dead in ((None, False), (0, True), (123, False)):
        expected = (f'{{"idempotency_key":{json.dumps(text)},"entity_type":{json.dumps(text)},'
                    f'"id":{json.dumps(text)},"base_server_version":{json.dumps(base)},'
                    f'"row":{row},"tombstone":{json.dumps(dead)}}}')
        assert _encode(text, text, text, base, row, dead) == expected
        assert expected.isascii()


def _outbox(vault: VaultSession) -> list[tuple[Any, ...]]:
    with vault.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT e.seq, e.entity_id, e.operation, e.state, e.attempts, e.done_at, p.payload, "
            "p.tombstone FROM outbox_entry e LEFT JOIN outbox_payload p ON p.seq = e.seq "
            "ORDER BY e.seq")]


def test_a_batch_sends_each_payload_as_stored_and_answers_mark_only_its_entries(
        vault: VaultSession) -> None:
    """The body carries each entry's stored payload text byte for byte, with ``tombstone``
    as the payload's own ``deleted`` (also for "keep mine" on a removed row, which is an
    upsert); preparing counts exactly the sent entries as sent; answers mark them done and
    record the newest answered version, never going backwards."""
    edith, arthur, ada = _add(vault, 1), _add(vault, 2), _add(vault, 3)
    with vault.uow.begin() as s:
        tombstone(s, s.get_one(Person, arthur))
    with vault.uow.begin() as s:  # "keep mine" on the removed row: an upsert, a tombstone
        requeue(s, s.get_one(Person, arthur), AuditAction.KEPT_MINE)
    with vault.uow.begin() as s:
        first = {p.entity_id: p.seq for p in plan_push(s)}
        s.execute(update(OutboxEntry).where(OutboxEntry.seq == first[edith])
                  .values(attempts=1))  # sent before, reply lost: sent again with the edit
    _edit(vault, edith, phone="0116 496 0001")
    stored = {seq: (entity_id, op, payload, bool(dead))
              for seq, entity_id, op, _, _, _, payload, dead in _outbox(vault)}
    assert [(e, op, dead) for e, op, _, dead in stored.values() if e == arthur] == [
        (arthur, "upsert", False), (arthur, "delete", True), (arthur, "upsert", True)]

    with vault.uow.read() as s:
        planned = plan_push(s)
    with vault.uow.begin() as s:  # ada's entry is closed (a conflict resolved meanwhile)
        s.execute(update(OutboxEntry).where(OutboxEntry.entity_id == ada)
                  .values(state=OutboxState.CONFLICT.value))
    with vault.uow.begin() as s:
        s.info[APPLYING_REMOTE] = True
        batch = prepare_batch(s, planned, 8 * 1024 * 1024)
    sent_seqs = [c.planned.seq for c in batch.changes]
    assert [stored[q][0] for q in sent_seqs] == [edith, arthur, edith]
    assert batch.consumed == len(planned) == 4  # ada's closed entry is passed over
    body = batch.body.decode("ascii")
    for change, seq in zip(json.loads(body)["changes"], sent_seqs, strict=True):
        assert f'"row":{stored[seq][2]},' in body  # the stored text itself
        assert (change["id"], change["tombstone"]) == (stored[seq][0], stored[seq][3])
    attempts = {seq: n for seq, _, _, _, n, _, _, _ in _outbox(vault)}
    assert {q for q, n in attempts.items() if n} == set(sent_seqs)
    assert attempts[first[edith]] == 2 and all(attempts[q] == 1 for q in sent_seqs[1:])

    answers = [{"idempotency_key": c.idempotency_key, "status": "applied",
                "server_version": v} for c, v in zip(batch.changes, (9, 4, 7), strict=True)]
    with vault.uow.begin() as s:
        s.info[APPLYING_REMOTE] = True
        tally = apply_answers(s, batch.changes, answers)
    assert (tally.done, tally.unanswered) == (3, 0)
    after = {seq: (state, done_at) for seq, _, _, state, _, done_at, _, _ in _outbox(vault)}
    marked = {q for q in sent_seqs} | {q for c in batch.changes for q in c.planned.superseded}
    assert {q for q, (state, _) in after.items() if state == "done"} == marked
    assert all(after[q][1] is not None for q in marked)
    assert {after[q][0] for q in after if stored[q][0] == ada} == {"conflict"}
    with vault.uow.read() as s:
        versions = {p.id: p.server_version for p in s.scalars(select(Person))}
    assert (versions[edith], versions[arthur], versions[ada]) == (9, 4, None)  # 9 > 7


def test_an_entry_without_its_payload_row_is_a_bug_said_out_loud(vault: VaultSession) -> None:
    _add(vault, 1)
    with vault.uow.begin() as s:
        s.execute(OutboxPayload.__table__.delete())
    with vault.uow.begin() as s, pytest.raises(InternalError, match="no payload"):
        prepare_batch(s, plan_push(s), 8 * 1024 * 1024)


def _remote(model_row: dict[str, Any], version: int, entity_type: str = "person",
            tombstone: bool = False) -> RemoteChange:
    return RemoteChange(entity_type, model_row["id"], version, model_row, tombstone)


def _person_row(serial: int, **overrides: Any) -> dict[str, Any]:
    values = person_values(serial, **overrides)
    now = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC).isoformat()
    row: dict[str, Any] = {
        "id": str(uuid.uuid4()), "version": 1, "server_version": None, "created_at": now,
        "updated_at": now, "updated_by": str(uuid.uuid4()), "device_id": str(uuid.uuid4()),
        "deleted": False, **values, "date_of_birth": values["date_of_birth"].isoformat()}
    return row


def _apply(vault: VaultSession, changes: list[RemoteChange]) -> PageTally:
    with vault.uow.begin() as s:
        s.info[APPLYING_REMOTE] = True
        return apply_changes(s, vault.actor, changes)


def _count(vault: VaultSession, what: Any) -> int:
    with vault.uow.read() as s:
        return int(s.scalar(select(func.count()).select_from(what)) or 0)


@pytest.mark.hazard("H-017")
def test_a_child_before_its_parent_is_held_back_then_applied(vault: VaultSession) -> None:
    person = _person_row(1)
    contact = {"id": str(uuid.uuid4()), "version": 1, "server_version": None,
               "created_at": person["created_at"], "updated_at": person["updated_at"],
               "updated_by": person["updated_by"], "device_id": person["device_id"],
               "deleted": False, "person_id": person["id"], "kind": "next_of_kin",
               "name": "Frank Example", "relationship": "son", "phone": None, "email": None,
               "address": None, "registration_reference": None, "registered_on": None,
               "can_decide_health_welfare": False}
    outbox_before = _count(vault, OutboxEntry)

    first = _apply(vault, [_remote(contact, 5, "contact")])
    assert (first.applied, first.held_back) == (0, 1)
    [held] = sync.list_held_back(vault.uow)
    assert held.reason == "waiting for its person record"

    second = _apply(vault, [_remote(person, 7)])
    assert second.applied == 1
    with vault.uow.begin() as s:
        assert retry_held_back(s, vault.actor).applied == 1
    assert sync.list_held_back(vault.uow) == []
    with vault.uow.read() as s:
        stored = s.get(Contact, contact["id"])
        assert stored is not None and stored.server_version == 5
        assert row_payload(stored) | {"server_version": None} == contact
    assert _count(vault, OutboxEntry) == outbox_before
    with vault.engine.connect() as conn:
        assert verify_chain(conn) is None


def test_parents_and_children_in_one_page_apply_in_order(vault: VaultSession) -> None:
    person = _person_row(1)
    contact = {**_person_row(9), "id": str(uuid.uuid4())}
    contact = {k: contact[k] for k in ("id", "version", "server_version", "created_at",
                                       "updated_at", "updated_by", "device_id", "deleted")}
    contact.update(person_id=person["id"], kind="other", name="Neighbour")
    tally = _apply(vault, [_remote(contact, 3, "contact"), _remote(person, 4)])
    assert (tally.applied, tally.held_back) == (2, 0)


@pytest.mark.hazard("H-040")
def test_a_row_breaking_a_local_rule_is_held_back_alone(vault: VaultSession) -> None:
    mine = _add(vault, 1)
    with vault.uow.begin() as s:
        s.execute(update(OutboxEntry).values(state="done"))
    with vault.uow.read() as s:
        taken = s.get(Person, mine)
        assert taken is not None
        nhs_number = taken.nhs_number
    twin = _person_row(2, nhs_number=nhs_number)  # the same person added on two laptops
    other = _person_row(3)
    tally = _apply(vault, [_remote(twin, 10), _remote(other, 11)])
    assert (tally.applied, tally.held_back) == (1, 1)
    [held] = sync.list_held_back(vault.uow)
    assert held.entity_id == twin["id"] and "unique constraint failed" in held.reason


@pytest.mark.hazard("H-017")
def test_an_unsent_local_edit_is_not_overwritten(vault: VaultSession) -> None:
    mine = _add(vault, 1)
    with vault.uow.read() as s:
        row = row_payload(s.get(Person, mine))  # type: ignore[arg-type]
    theirs = {**row, "phone": "0116 496 0999", "version": 3}
    tally = _apply(vault, [_remote(theirs, 20)])
    assert (tally.applied, tally.deferred) == (0, 1)
    with vault.uow.read() as s:
        kept = s.get(Person, mine)
        assert kept is not None and kept.phone is None and kept.server_version is None


@pytest.mark.hazard("H-017")
def test_an_older_version_never_replaces_a_newer_one(vault: VaultSession) -> None:
    row = _person_row(1)
    assert _apply(vault, [_remote({**row, "given_name": "New"}, 9)]).applied == 1
    assert _apply(vault, [_remote({**row, "given_name": "Old"}, 8)]).skipped == 1
    with vault.uow.read() as s:
        kept = s.get(Person, row["id"])
        assert kept is not None and kept.given_name == "New" and kept.server_version == 9


def test_not_enrolled_is_said_plainly(vault: VaultSession) -> None:
    with pytest.raises(sync.NotEnrolled, match="not enrolled"):
        sync.SyncClient().run(vault.uow, lambda _p: None, lambda: False)
    status = sync.sync_status(vault.uow)
    assert not status.enrolled and status.last_synced_at is None


def _second_vault(template: tuple[Path, str, str], folder: Path) -> VaultSession:
    shutil.copytree(template[0], folder)
    return VaultStore(folder, kdf_cost=TEST_KDF).unlock(template[1], PASSPHRASE)


def _stored(vault: VaultSession, table: str) -> list[tuple[Any, ...]]:
    with vault.engine.connect() as conn:
        rows = conn.exec_driver_sql(f'SELECT * FROM "{table}" ORDER BY id').all()
        names = list(conn.exec_driver_sql(f'SELECT * FROM "{table}" LIMIT 0').keys())
    at = names.index("server_version")
    return [tuple(v for i, v in enumerate(r) if i != at) for r in rows]


def test_every_kind_of_record_is_stored_exactly_as_its_author_stored_it(
        vault: VaultSession, template_vault: tuple[Path, str, str], tmp_path: Path) -> None:
    """The demo caseload (people, contacts, providers, workers, delegations with their plans,
    consent, oversight, competency, MDT decisions, discussions, reviews, case examples, the
    history of each delegation and an interim reconciliation) sent
    through the wire form into a fresh vault: every stored value is the same, byte for byte."""
    seed_demo_caseload(vault.uow, people=30)
    # Three of each outcome, with the principles recorded (signposting, partners'
    # assessments and their reuse, eligibility screens, what matters).
    seed_demo_delegations(vault.uow, count=27, on_file=seed_demo_person_centred(vault.uow))
    seed_demo_case_examples(vault)
    seed_demo_changes_of_need(vault.uow)
    seed_demo_life_events(vault)  # endings, a transfer, an interim reconciliation
    with vault.uow.begin() as s:  # edge values the demo lacks, stored the ORM's own way
        s.info[APPLYING_REMOTE] = True
        person = s.scalars(select(Person)).first()
        example = s.scalars(select(CaseExample)).first()
        assert person is not None and example is not None
        person.updated_at = dt.datetime(2026, 3, 2, 10, 0, tzinfo=dt.UTC)  # whole seconds
        person.given_name, person.open_to_community_health = "Zoë", True
        example.themes = ["Siobhán's carers", "fünding"]  # non-ASCII inside a JSON column
    changes: list[RemoteChange] = []
    with vault.uow.read() as s:
        for name, synced in synced_entities().items():
            for row in s.scalars(select(synced.model)):
                payload = json.loads(json.dumps(row_payload(row)))  # as it crosses the wire
                changes.append(RemoteChange(name, row.id, len(changes) + 1, payload,
                                            bool(payload["deleted"])))
    kinds = {c.entity_type for c in changes}
    assert len(kinds) >= 12, sorted(set(synced_entities()) - kinds)
    assert {"case_event", "interim_reconciliation", "what_matters", "signposting",
            "partner_assessment", "assessment_reuse", "eligibility_screen",
            "framework_problem"} <= kinds
    other = _second_vault(template_vault, tmp_path / "other")
    try:
        random.Random(7).shuffle(changes)  # children before parents, in any order
        tally = _apply(other, changes)
        with other.uow.begin() as s:
            tally.applied += retry_held_back(s, other.actor).applied
        assert tally.applied == len(changes) and sync.list_held_back(other.uow) == []
        for synced in synced_entities().values():
            assert _stored(other, synced.table.name) == _stored(vault, synced.table.name), \
                synced.name
        with other.engine.connect() as conn:
            assert verify_chain(conn) is None
    finally:
        other.close()


@pytest.mark.hazard("H-026")
def test_only_roles_that_may_change_records_retry_or_choose_whom_to_trust(
        vault: VaultSession, tmp_path: Path) -> None:
    reader = as_role(vault, "read_only")
    with pytest.raises(PermissionDenied):
        sync.retry_quarantined(reader, 1)
    with pytest.raises(PermissionDenied):
        sync.set_ca_bundle(reader, None)
    with pytest.raises(NotFound):
        sync.retry_quarantined(vault.uow, 10_000)
    not_certificates = tmp_path / "bundle.pem"
    not_certificates.write_text("not a certificate")
    with pytest.raises(ValidationError) as refused:
        sync.set_ca_bundle(vault.uow, str(not_certificates))
    assert refused.value.field == "ca_bundle"
    assert sync.sync_settings(vault.uow).ca_bundle is None


def test_entries_answered_long_ago_are_forgotten_with_their_payloads(
        vault: VaultSession) -> None:
    people = [_add(vault, serial) for serial in range(1, 6)]
    now = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)
    old, recent = now - KEEP_ANSWERED - dt.timedelta(minutes=1), now - dt.timedelta(days=29)
    states = [(OutboxState.DONE, old), (OutboxState.DONE, recent), (OutboxState.PENDING, None),
              (OutboxState.QUARANTINED, None), (OutboxState.CONFLICT, None)]
    with vault.uow.begin() as s:
        for person_id, (state, done_at) in zip(people, states, strict=True):
            s.execute(update(OutboxEntry).where(OutboxEntry.entity_id == person_id)
                      .values(state=state.value, done_at=done_at))

    with vault.uow.begin() as s:
        assert forget_answered(s, now) == 1
    left = _outbox(vault)
    assert [row[1] for row in left] == people[1:]
    assert all(row[6] is not None for row in left)  # every entry kept has its payload
    with vault.engine.connect() as conn:
        assert conn.exec_driver_sql("SELECT count(*) FROM outbox_payload").scalar() == 4
    with vault.uow.begin() as s:  # nothing more to forget
        assert forget_answered(s, now) == 0
