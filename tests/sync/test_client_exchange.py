"""The desktop sync client on real vaults against the real store: laptops exchange records,
pulls never re-enter the outbox nor overwrite unsent edits, and teams stay apart."""

from __future__ import annotations

import datetime as dt
import uuid

import psycopg
import pytest
from sqlalchemy import update
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.base import utc_now
from desktop_app.models.outbox import OutboxEntry, OutboxState
from desktop_app.models.person import Contact, Person
from desktop_app.services import sync
from desktop_app.services.core.audit import verify_chain
from desktop_app.services.sync.push import KEEP_ANSWERED
from sync_server import admin
from tests.sync.laptops import LaptopFn, VaultLaptop, assert_agree, server_records


def _contact(laptop: VaultLaptop, person_id: str, name: str) -> str:
    with laptop.uow.begin() as s:
        contact = Contact(person_id=person_id, kind="next_of_kin", name=name)
        s.add(contact)
        s.flush()
        return contact.id


def _chain_holds(laptop: VaultLaptop) -> bool:
    with laptop.vault.engine.connect() as conn:
        return verify_chain(conn) is None


def test_two_laptops_exchange_each_others_records(laptops: LaptopFn, team: str,
                                                  pg: psycopg.Connection) -> None:
    nurse, colleague = laptops(team), laptops(team)
    edith = nurse.add_person(1, given_name="Edith")
    _contact(nurse, edith, "Frank Example")
    arthur = colleague.add_person(2, given_name="Arthur")
    _contact(colleague, arthur, "Mabel Example")

    first = nurse.sync()
    assert (first.pushed, first.conflicts, first.quarantined) == (2, 0, 0)
    second = colleague.sync()
    # The nurse's two arrive; its own two come back too, already held at those versions.
    assert (second.pushed, second.pulled) == (2, 2)
    nurse.sync()

    assert nurse.get(Person, arthur)["given_name"] == "Arthur"  # type: ignore[index]
    assert colleague.get(Person, edith)["given_name"] == "Edith"  # type: ignore[index]
    assert nurse.enrolment is not None
    assert_agree(pg, nurse.enrolment.team_id, [nurse, colleague])
    for laptop in (nurse, colleague):
        assert laptop.outbox(OutboxState.PENDING) == []
        status = sync.sync_status(laptop.uow)
        assert (status.pending, status.conflicts, status.quarantined) == (0, 0, 0)
        assert status.enrolled and status.last_synced_at is not None
        assert _chain_holds(laptop)

    # An edit and a deletion travel the same way, at the versions the store gave them.
    colleague.edit(Person, edith, preferred_name="Edie")
    colleague.delete(Person, arthur)
    colleague.sync()
    nurse.sync()
    assert nurse.get(Person, edith)["preferred_name"] == "Edie"  # type: ignore[index]
    assert nurse.get(Person, arthur)["deleted"] is True  # type: ignore[index]
    assert_agree(pg, nurse.enrolment.team_id, [nurse, colleague])


def _received(laptop: VaultLaptop) -> list[tuple[str, str]]:
    with laptop.vault.engine.connect() as conn:
        return [(str(t), str(i)) for t, i in conn.exec_driver_sql(
            "SELECT entity_type, entity_id FROM audit_event WHERE action = 'sync_received' "
            "ORDER BY seq")]


def test_a_pull_writes_no_outbox_entries_and_is_audited(laptops: LaptopFn,
                                                        team: str) -> None:
    nurse, colleague = laptops(team), laptops(team)
    ids = nurse.add_people(range(1, 6))
    nurse.sync()
    outbox_before = colleague.outbox()
    creates_before = colleague.audit_count("create")

    result = colleague.sync()

    assert result.pulled == 5 and result.pushed == 0
    assert colleague.outbox() == outbox_before == []
    assert colleague.audit_count("create") == creates_before
    assert sorted(colleague.records()) == sorted(("person", i) for i in ids)
    # Records new to this laptop: one event for the page.
    assert [t for t, _ in _received(colleague)] == ["sync_page"]
    # A record it held, changed by the store: an event naming the record.
    nurse.edit(Person, ids[2], phone="0116 496 0007")
    nurse.sync()
    assert colleague.sync().pulled == 1
    assert _received(colleague)[1:] == [("person", ids[2])]
    assert _chain_holds(colleague)
    # Pulling again applies nothing and audits nothing more.
    assert colleague.sync().pulled == 0
    assert len(_received(colleague)) == 2


@pytest.mark.hazard("H-017")
def test_a_pull_does_not_overwrite_an_unsent_edit_which_then_conflicts(
        laptops: LaptopFn, team: str) -> None:
    nurse, colleague = laptops(team), laptops(team)
    edith = nurse.add_person(1)
    nurse.sync()
    colleague.sync()
    nurse.add_person(2)  # comes first in the next pull, so the edit below lands mid-pull
    nurse.edit(Person, edith, phone="0116 496 0001")
    nurse.sync()

    def edit_after_first_page(progress: sync.SyncProgress) -> None:
        if progress.phase is sync.SyncPhase.PULLING and progress.done == 1:
            colleague.edit(Person, edith, phone="0116 496 0999")

    client = sync.SyncClient(sync.SyncOptions(pull_limit=1))
    result = client.run(colleague.uow, edit_after_first_page, lambda: False)

    assert (result.pulled, result.deferred) == (1, 1)
    assert colleague.get(Person, edith)["phone"] == "0116 496 0999"  # type: ignore[index]
    assert len(colleague.outbox(OutboxState.PENDING)) == 1

    # The unsent edit goes out with its old base: the store answers with a conflict.
    after = colleague.sync()
    assert after.conflicts == 1
    [conflict] = sync.list_conflicts(colleague.uow)
    assert conflict.mine["phone"] == "0116 496 0999"
    assert conflict.theirs["phone"] == "0116 496 0001"
    assert conflict.differing_fields == ("phone",)


@pytest.mark.hazard("H-027")
def test_a_laptop_never_receives_another_teams_records(
        laptops: LaptopFn, team: str, store_sessions: sessionmaker[Session],
        pg: psycopg.Connection) -> None:
    other_team = f"Other INT {uuid.uuid4().hex[:8]}"
    with store_sessions.begin() as session:
        admin.create_team(session, other_team)
    ours, theirs = laptops(team), laptops(other_team)
    ours.add_person(1, family_name="Ourteamperson")
    ours.sync()
    mine = theirs.add_person(2, family_name="Theirteamperson")

    result = theirs.sync()

    assert (result.pushed, result.pulled) == (1, 0)  # only its own record came back
    assert list(theirs.records()) == [("person", mine)]
    assert theirs.enrolment is not None and ours.enrolment is not None
    assert theirs.enrolment.team_id != ours.enrolment.team_id
    assert len(server_records(pg, ours.enrolment.team_id)) == 1


@pytest.mark.hazard("H-040")
def test_the_same_person_added_on_two_laptops_is_held_back_not_lost(
        laptops: LaptopFn, team: str) -> None:
    nurse, colleague = laptops(team), laptops(team)
    nurse.add_people(range(1, 4))
    nurse.add_person(50, given_name="Edith")
    twin = colleague.add_person(50, given_name="Edie")  # one NHS number, two records
    nurse.sync()

    result = colleague.sync()

    # The store takes both (it does not look inside rows); here the nurse's copy cannot sit
    # beside the colleague's, so it waits with its reason and everything else applies.
    assert (result.pushed, result.pulled, result.held_back) == (1, 3, 1)
    [held] = sync.list_held_back(colleague.uow)
    assert held.entity_type == "person" and "unique constraint failed" in held.reason
    assert colleague.get(Person, twin)["given_name"] == "Edie"  # type: ignore[index]
    assert sync.sync_status(colleague.uow).held_back == 1
    assert _chain_holds(colleague)


def test_a_complete_sync_forgets_entries_answered_over_a_month_ago(
        laptops: LaptopFn, team: str) -> None:
    nurse = laptops(team)
    ids = nurse.add_people(range(1, 4))
    assert nurse.sync().pushed == 3
    long_ago = utc_now() - KEEP_ANSWERED - dt.timedelta(hours=1)
    with nurse.uow.begin() as s:
        s.execute(update(OutboxEntry).where(OutboxEntry.entity_id.in_(ids[:2]))
                  .values(done_at=long_ago))

    nurse.sync()

    assert [e.entity_id for e in nurse.outbox()] == [ids[2]]
    assert sync.sync_status(nurse.uow).pending == 0
