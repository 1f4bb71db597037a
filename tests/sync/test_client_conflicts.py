"""Two laptops edit one record offline: a conflict a person resolves, keep mine or keep
theirs, with neither version silently lost."""

from __future__ import annotations

import psycopg
import pytest

from desktop_app.models.outbox import OutboxState
from desktop_app.models.person import Person
from desktop_app.services import sync
from desktop_app.services.core.audit import verify_chain
from desktop_app.services.core.errors import NotFound, PermissionDenied
from tests.support import as_role
from tests.sync.laptops import LaptopFn, VaultLaptop, assert_agree, server_records


def _both_edit_offline(laptops: LaptopFn, team: str
                       ) -> tuple[VaultLaptop, VaultLaptop, str, sync.ConflictView]:
    nurse, colleague = laptops(team), laptops(team)
    edith = nurse.add_person(1)
    nurse.sync()
    colleague.sync()
    nurse.edit(Person, edith, phone="0116 496 0001", town="Loughborough")
    colleague.edit(Person, edith, phone="0116 496 0999")
    colleague.edit(Person, edith, postcode="LE2 1AA")  # two edits, one change sent
    nurse.sync()
    result = colleague.sync()
    assert result.conflicts == 1 and result.pushed == 0
    [conflict] = sync.list_conflicts(colleague.uow)
    return nurse, colleague, edith, conflict


@pytest.mark.hazard("H-017")
def test_offline_edits_of_one_record_conflict_with_both_versions_kept(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse, colleague, edith, conflict = _both_edit_offline(laptops, team)

    assert (conflict.entity_type, conflict.entity_id) == ("person", edith)
    assert conflict.differing_fields == ("phone", "postcode", "town")
    assert (conflict.mine["phone"], conflict.mine["postcode"]) == ("0116 496 0999", "LE2 1AA")
    assert (conflict.theirs["phone"], conflict.theirs["town"]) == ("0116 496 0001",
                                                                  "Loughborough")
    # Nothing was overwritten: here my version stands, on the store theirs.
    assert colleague.get(Person, edith)["phone"] == "0116 496 0999"  # type: ignore[index]
    assert nurse.enrolment is not None
    [(version, row, _)] = server_records(pg, nurse.enrolment.team_id).values()
    assert row["phone"] == "0116 496 0001" and version == conflict.theirs_server_version
    assert [e.state for e in colleague.outbox()][-2:] == ["conflict", "conflict"]
    status = sync.sync_status(colleague.uow)
    assert (status.pending, status.conflicts) == (0, 1)
    # Syncing again changes nothing until a person chooses.
    assert colleague.sync().conflicts == 0
    assert len(sync.list_conflicts(colleague.uow)) == 1


@pytest.mark.hazard("H-017")
def test_keep_mine_sends_my_version_over_theirs_and_keeps_theirs_in_the_record(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse, colleague, edith, conflict = _both_edit_offline(laptops, team)

    resolved = sync.resolve_conflict(colleague.uow, conflict.id, "mine")

    assert resolved.resolution == "mine" and resolved.theirs["phone"] == "0116 496 0001"
    [queued] = colleague.outbox(OutboxState.PENDING)
    assert queued.base_server_version == conflict.theirs_server_version
    assert colleague.sync().pushed == 1
    nurse.sync()
    assert nurse.get(Person, edith)["phone"] == "0116 496 0999"  # type: ignore[index]
    assert nurse.enrolment is not None
    assert_agree(pg, nurse.enrolment.team_id, [nurse, colleague])
    [kept] = sync.list_conflicts(colleague.uow, include_resolved=True)
    assert kept.theirs["town"] == "Loughborough"  # the losing version is still there
    assert colleague.audit_count("kept_mine") == 1
    with colleague.vault.engine.connect() as conn:
        assert verify_chain(conn) is None


@pytest.mark.hazard("H-017")
def test_keep_theirs_takes_the_stores_version_and_keeps_mine_in_the_record(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse, colleague, edith, conflict = _both_edit_offline(laptops, team)
    outbox_before = len(colleague.outbox())

    resolved = sync.resolve_conflict(colleague.uow, conflict.id, "theirs")

    assert resolved.mine["phone"] == "0116 496 0999"  # my version is kept in the record
    here = colleague.get(Person, edith)
    assert here is not None and here["phone"] == "0116 496 0001"
    assert here["server_version"] == conflict.theirs_server_version
    assert len(colleague.outbox()) == outbox_before  # nothing to send: the store has it
    assert colleague.audit_count("kept_theirs") == 1
    colleague.sync()
    nurse.sync()
    assert nurse.enrolment is not None
    assert_agree(pg, nurse.enrolment.team_id, [nurse, colleague])
    assert sync.sync_status(colleague.uow).conflicts == 0
    with pytest.raises(NotFound):
        sync.resolve_conflict(colleague.uow, conflict.id, "mine")
    with colleague.vault.engine.connect() as conn:
        assert verify_chain(conn) is None


@pytest.mark.hazard("H-026")
def test_a_read_only_user_cannot_resolve(laptops: LaptopFn, team: str) -> None:
    _nurse, colleague, _edith, conflict = _both_edit_offline(laptops, team)
    with pytest.raises(PermissionDenied):
        sync.resolve_conflict(as_role(colleague.vault, "read_only"), conflict.id, "theirs")
    assert sync.sync_status(colleague.uow).conflicts == 1


@pytest.mark.hazard("H-017")
def test_a_deletion_against_an_edit_is_a_conflict_too(laptops: LaptopFn, team: str,
                                                      pg: psycopg.Connection) -> None:
    nurse, colleague = laptops(team), laptops(team)
    edith = nurse.add_person(1)
    nurse.sync()
    colleague.sync()
    nurse.delete(Person, edith)
    colleague.edit(Person, edith, phone="0116 496 0999")
    nurse.sync()
    colleague.sync()
    [conflict] = sync.list_conflicts(colleague.uow)
    assert conflict.theirs_deleted and not conflict.mine_deleted
    assert conflict.differing_fields == ("deleted", "phone")

    sync.resolve_conflict(colleague.uow, conflict.id, "mine")  # the record stays
    colleague.sync()
    nurse.sync()
    assert nurse.get(Person, edith)["deleted"] is False  # type: ignore[index]
    assert nurse.enrolment is not None
    assert_agree(pg, nurse.enrolment.team_id, [nurse, colleague])


def test_a_choice_made_while_the_change_is_on_the_wire_stands(
        laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    nurse, colleague, edith, conflict = _both_edit_offline(laptops, team)
    colleague.edit(Person, edith, phone="0116 496 0555")  # edited again, still in conflict
    arthur = colleague.add_person(2)
    asked: list[bool] = []

    def choose_between_batches() -> bool:
        asked.append(True)
        if len(asked) == 2:  # the first batch's answer is in hand, not yet recorded
            sync.resolve_conflict(colleague.uow, conflict.id, "theirs")
        return False

    client = sync.SyncClient(sync.SyncOptions(batch_size=1))
    client.run(colleague.uow, lambda _p: None, choose_between_batches)

    # The store answered the edit with a conflict again, but the person had chosen: no new
    # conflict, the record is theirs, the other change went through.
    assert sync.list_conflicts(colleague.uow) == []
    assert colleague.get(Person, edith)["phone"] == "0116 496 0001"  # type: ignore[index]
    assert nurse.enrolment is not None
    assert ("person", arthur) in server_records(pg, nurse.enrolment.team_id)
    colleague.sync()
    nurse.sync()
    assert_agree(pg, nurse.enrolment.team_id, [nurse, colleague])
