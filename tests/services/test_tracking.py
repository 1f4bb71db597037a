"""Stamping, outbox and audit rows written by ``desktop_app.services.core.tracking``.

Every test runs against a private copy of the encrypted template vault (the ``vault``
fixture), through the same session factory the app uses, so the hooks under test are the
ones installed by ``make_session_factory``. Expected values are worked out here from the
database rows themselves, never by calling ``tracking.row_payload``.

How these tests were seen to fail (each mutation applied to a throwaway copy of the
package, the tests run against it, the copy deleted):

* ``tracking._after_flush`` returning early: the outbox/audit tests fail (12).
* ``obj.version`` not bumped on update: the version tests fail.
* ``_changed_columns`` always True: the no-op test fails.
* the ``session.deleted`` check removed: the hard-delete test fails.
* ``__immutable__ = False`` on the plan models: the immutable tests fail.
* the ``APPLYING_REMOTE`` early return removed: the remote test fails.
* ``_actor`` tolerating a missing actor, or ``updated_by`` not stamped: their tests fail.
* dates put in the payload with ``str()`` instead of ISO: the payload tests fail.
* the idempotency key reused (the row id): the key and outbox tests fail.
* the pre-fix ``tracking.py`` (queue before the immutable check): the refused-flush test fails.
"""

from __future__ import annotations

import datetime as dt
import json
import uuid
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import Row, func, select, text
from sqlalchemy import inspect as sa_inspect

from desktop_app.models.audit import AuditEvent
from desktop_app.models.base import Base
from desktop_app.models.history import CaseEvent, InterimReconciliation
from desktop_app.models.outbox import OutboxEntry, OutboxPayload
from desktop_app.models.person import Person
from desktop_app.models.plan import FundingSplit, SupportPlan, SupportPlanTask
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core import tracking
from desktop_app.services.core.audit import Actor
from desktop_app.services.core.errors import ImmutableRecord, InternalError
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.vault import VaultSession
from tests.support import person_values

# ---------------------------------------------------------------- helpers


def make_person(serial: int = 1, **overrides: Any) -> Person:
    """A synthetic person (999-range NHS number, invented name and address)."""
    return Person(**person_values(serial, **overrides))


def make_plan(person_id: str) -> SupportPlan:
    """A plan version with two task lines and one funding split (four synced rows)."""
    plan = SupportPlan(person_id=person_id, version_number=1,
                       effective_from=dt.date(2026, 3, 2), created_by_name="A Nurse")
    plan.tasks = [
        SupportPlanTask(
            task_code=code, task_catalogue_version="2026.1", what_is_delegated="x",
            what_is_not_delegated="y", frequency="daily", do_thresholds="a",
            call_nurse_thresholds="b", if_refused="c", if_missed="d",
            if_equipment_fails="e", if_out_of_range="f", in_emergency="999",
        )
        for code in ("eye_drops", "inhaler")
    ]
    plan.funding_splits = [FundingSplit(
        funder="icb", method="health_only_call", pence_per_week=4200,
        free_to_person=True, start_date=dt.date(2026, 3, 2),
    )]
    return plan


def outbox_rows(vault: VaultSession) -> list[Row[Any]]:
    """Every outbox entry, oldest first, as plain rows (no ORM state to expire): its
    ``outbox_entry`` columns with its ``outbox_payload`` row's payload and tombstone (None
    if that row is missing)."""
    table, content = OutboxEntry.__table__, OutboxPayload.__table__
    with vault.engine.connect() as conn:
        return list(conn.execute(
            select(table, content.c.payload, content.c.tombstone)
            .outerjoin(content, content.c.seq == table.c.seq).order_by(table.c.seq)))


def audit_rows(vault: VaultSession) -> list[Row[Any]]:
    table = AuditEvent.__table__
    with vault.engine.connect() as conn:
        return list(conn.execute(select(table).order_by(table.c.seq)))


def counts(vault: VaultSession) -> tuple[int, int]:
    """(outbox rows, audit rows) in the vault now."""
    with vault.uow.read() as s:
        return (s.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


def expected_payload(vault: VaultSession, model: type[Base], row_id: str) -> dict[str, Any]:
    """The row as the database holds it, with dates and times as ISO text."""
    table = model.__table__
    with vault.engine.connect() as conn:
        row = conn.execute(select(table).where(table.c.id == row_id)).one()._asdict()
    return {k: v.isoformat() if isinstance(v, dt.date | dt.datetime) else v
            for k, v in row.items()}


def add_person(vault: VaultSession, serial: int = 1, **overrides: Any) -> str:
    with vault.uow.begin() as s:
        person = make_person(serial, **overrides)
        s.add(person)
        s.flush()
        return person.id


# ---------------------------------------------------------------- outbox rows


def test_create_update_tombstone_write_one_outbox_row_each(vault: VaultSession) -> None:
    """Create, edit and tombstone a person: three outbox rows, versions 1, 2, 3."""
    assert outbox_rows(vault) == []
    person_id = add_person(vault)
    first = outbox_rows(vault)
    assert [(e.entity_type, e.entity_id, e.operation, e.local_version) for e in first] == [
        ("person", person_id, "upsert", 1)]
    assert first[0].payload == expected_payload(vault, Person, person_id)
    assert first[0].tombstone is False

    with vault.uow.begin() as s:
        s.get_one(Person, person_id).town = "Loughborough"
    second = outbox_rows(vault)[1:]
    assert [(e.operation, e.local_version) for e in second] == [("upsert", 2)]
    assert second[0].payload["town"] == "Loughborough"
    assert second[0].payload == expected_payload(vault, Person, person_id)

    with vault.uow.begin() as s:
        tracking.tombstone(s, s.get_one(Person, person_id))
    third = outbox_rows(vault)[2:]
    assert [(e.operation, e.local_version) for e in third] == [("delete", 3)]
    assert third[0].payload["deleted"] is True
    assert third[0].tombstone is True
    assert third[0].payload == expected_payload(vault, Person, person_id)

    with vault.uow.read() as s:
        person = s.get_one(Person, person_id)
        assert (person.version, person.deleted) == (3, True)  # tombstoned, not removed
    assert [e.state for e in outbox_rows(vault)] == ["pending"] * 3


def test_each_change_gets_a_fresh_idempotency_key(vault: VaultSession) -> None:
    person_id = add_person(vault)
    for town in ("Hinckley", "Melton Mowbray", "Oakham"):
        with vault.uow.begin() as s:
            s.get_one(Person, person_id).town = town
    keys = [e.idempotency_key for e in outbox_rows(vault)]
    assert len(keys) == 4 and len(set(keys)) == 4
    assert all(uuid.UUID(k).version == 4 for k in keys)


def test_payload_is_plain_json_with_iso_dates(vault: VaultSession) -> None:
    """The stored payload parses as JSON, and dates come back as ISO text."""
    person_id = add_person(vault, date_of_birth=dt.date(1938, 5, 17))
    with vault.engine.connect() as conn:
        raw = conn.execute(text("SELECT payload FROM outbox_payload")).scalar_one()
    payload = json.loads(raw)
    assert payload["id"] == person_id
    assert payload["date_of_birth"] == "1938-05-17"
    assert dt.datetime.fromisoformat(payload["updated_at"]).tzinfo is not None
    assert set(payload) == {c.name for c in Person.__table__.columns}


def test_provider_and_worker_each_get_an_outbox_row(vault: VaultSession) -> None:
    with vault.uow.begin() as s:
        provider = CareProvider(name="Example Home Care", phone="0116 000 0000",
                                council="leicester_city")
        s.add(provider)
        s.flush()
        worker = CareWorker(provider_id=provider.id, given_name="Grace",
                            family_name="Example", role_title="Senior carer")
        s.add(worker)
    rows = outbox_rows(vault)
    assert [(e.entity_type, e.entity_id, e.local_version) for e in rows] == [
        ("care_provider", provider.id, 1), ("care_worker", worker.id, 1)]
    assert rows[1].payload == expected_payload(vault, CareWorker, worker.id)
    assert rows[1].payload["active"] is True  # the column default is in the payload

    with vault.uow.begin() as s:
        s.get_one(CareWorker, worker.id).active = False
    last = outbox_rows(vault)[-1]
    assert (last.entity_type, last.operation, last.local_version) == ("care_worker", "upsert", 2)


def test_a_plan_with_tasks_writes_one_row_per_table_row(vault: VaultSession) -> None:
    person_id = add_person(vault)
    with vault.uow.begin() as s:
        plan = make_plan(person_id)
        s.add(plan)
        s.flush()
        ids = {plan.id, *(t.id for t in plan.tasks), *(f.id for f in plan.funding_splits)}
    rows = outbox_rows(vault)[1:]
    assert sorted(e.entity_type for e in rows) == [
        "funding_split", "support_plan", "support_plan_task", "support_plan_task"]
    assert {e.entity_id for e in rows} == ids
    task_row = next(e for e in rows if e.entity_type == "support_plan_task")
    assert task_row.payload == expected_payload(vault, SupportPlanTask, task_row.entity_id)


# ---------------------------------------------------------------- one transaction


@pytest.mark.hazard("H-016")
@pytest.mark.hazard("H-038")
def test_outbox_and_audit_rows_are_in_the_changing_transaction(vault: VaultSession) -> None:
    """Visible inside the transaction after the flush, before any commit."""
    with vault.uow.begin() as s:
        person = make_person()
        s.add(person)
        s.flush()
        inside = s.scalars(select(OutboxEntry.entity_id)).all()
        audited = s.scalars(select(AuditEvent.entity_id).where(
            AuditEvent.entity_type == "person")).all()
        assert (inside, audited) == ([person.id], [person.id])


@pytest.mark.hazard("H-016")
@pytest.mark.parametrize("flush_first", [True, False])
def test_a_rollback_leaves_no_row_no_outbox_no_audit(vault: VaultSession,
                                                     flush_first: bool) -> None:
    before = counts(vault)
    with pytest.raises(RuntimeError, match="nurse closed the lid"):
        with vault.uow.begin() as s:
            person = make_person()
            s.add(person)
            if flush_first:
                s.flush()
            raise RuntimeError("nurse closed the lid")
    assert counts(vault) == before
    with vault.uow.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0
    # The aborted change does not leak into the next unit of work either.
    add_person(vault, 2)
    assert [e.local_version for e in outbox_rows(vault)] == [1]
    assert counts(vault) == (before[0] + 1, before[1] + 1)


# ---------------------------------------------------------------- stamping


def test_version_and_stamps_come_from_the_actor(vault: VaultSession) -> None:
    """A second actor on the same factory: each change carries whoever made it."""
    other = UnitOfWork(vault.factory, Actor("user-b", "device-b"))
    start = dt.datetime.now(dt.UTC)
    person_id = add_person(vault)
    with vault.uow.read() as s:
        p = s.get_one(Person, person_id)
        assert (p.version, p.updated_by, p.device_id) == (
            1, vault.actor.user_id, vault.actor.device_id)
        assert start <= p.created_at == p.updated_at <= dt.datetime.now(dt.UTC)
        created_at = p.created_at

    with other.begin() as s:
        s.get_one(Person, person_id).phone = "07700 900000"
    with vault.uow.read() as s:
        p = s.get_one(Person, person_id)
        assert (p.version, p.updated_by, p.device_id) == (2, "user-b", "device-b")
        assert p.created_at == created_at < p.updated_at
    last = outbox_rows(vault)[-1]
    assert (last.payload["updated_by"], last.payload["device_id"]) == ("user-b", "device-b")
    assert [(a.user_id, a.device_id) for a in audit_rows(vault)[-2:]] == [
        (vault.actor.user_id, vault.actor.device_id), ("user-b", "device-b")]


def test_setting_the_same_value_writes_nothing(vault: VaultSession) -> None:
    person_id = add_person(vault)
    before = counts(vault)
    with vault.uow.begin() as s:
        person = s.get_one(Person, person_id)
        person.town = "Leicester"
        person.given_name = "Edith"
        assert person in s.dirty  # SQLAlchemy saw the assignment...
    assert counts(vault) == before  # ...but nothing changed, so nothing was written
    with vault.uow.read() as s:
        assert s.get_one(Person, person_id).version == 1


def test_several_edits_in_one_transaction_are_one_change(vault: VaultSession) -> None:
    """Two fields edited in one unit of work: one version step, one outbox row."""
    person_id = add_person(vault)
    with vault.uow.begin() as s:
        person = s.get_one(Person, person_id)
        person.town = "Oakham"
        person.postcode = "LE15 6AA"
    rows = outbox_rows(vault)
    assert [e.local_version for e in rows] == [1, 2]
    assert (rows[1].payload["town"], rows[1].payload["postcode"]) == ("Oakham", "LE15 6AA")


# ---------------------------------------------------------------- refusals


@pytest.mark.hazard("H-017")
def test_hard_delete_of_a_synced_row_is_refused(vault: VaultSession) -> None:
    person_id = add_person(vault)
    before = counts(vault)
    with pytest.raises(InternalError, match="never hard-deleted"):
        with vault.uow.begin() as s:
            s.delete(s.get_one(Person, person_id))
    assert counts(vault) == before
    with vault.uow.read() as s:
        person = s.get_one(Person, person_id)
        assert (person.deleted, person.version) == (False, 1)


def _edit_plan(p: SupportPlan) -> None:
    p.summary = "changed after issue"


def _edit_task(p: SupportPlan) -> None:
    p.tasks[0].frequency = "twice daily"


def _edit_split(p: SupportPlan) -> None:
    p.funding_splits[0].pence_per_week = 1


def _tombstone_plan(p: SupportPlan) -> None:
    p.deleted = True


@pytest.mark.hazard("H-009")
@pytest.mark.parametrize("edit", [_edit_plan, _edit_task, _edit_split, _tombstone_plan])
def test_an_issued_plan_cannot_be_changed(vault: VaultSession,
                                          edit: Callable[[SupportPlan], None]) -> None:
    """Every ``__immutable__`` model (plan, task line, funding split) refuses edits."""
    person_id = add_person(vault)
    with vault.uow.begin() as s:
        plan = make_plan(person_id)
        s.add(plan)
    before = counts(vault)
    snapshot = expected_payload(vault, SupportPlan, plan.id)
    with pytest.raises(ImmutableRecord):
        with vault.uow.begin() as s:
            edit(s.get_one(SupportPlan, plan.id))
    assert counts(vault) == before
    assert expected_payload(vault, SupportPlan, plan.id) == snapshot
    with vault.uow.read() as s:
        again = s.get_one(SupportPlan, plan.id)
        assert again.tasks[0].frequency == "daily"
        assert again.funding_splits[0].pence_per_week == 4200


def test_every_immutable_model_is_a_plan_model_or_a_history_row() -> None:
    """The list above covers every plan class marked ``__immutable__``; the others are a
    delegation's history and its interim settlements, which are never changed either."""
    marked = {m.class_ for m in Base.registry.mappers if getattr(m.class_, "__immutable__", False)}
    assert marked == {SupportPlan, SupportPlanTask, FundingSplit, CaseEvent,
                      InterimReconciliation}


@pytest.mark.hazard("H-009")
def test_an_issued_funding_line_takes_its_reconciliation_day_once_and_nothing_else(
        vault: VaultSession) -> None:
    """``reconciled_on`` is the one column an issued line may still fill, once; a second
    change of it, or any other change with it, is refused."""
    person_id = add_person(vault)
    with vault.uow.begin() as s:
        plan = make_plan(person_id)
        s.add(plan)
    with vault.uow.begin() as s:
        s.get_one(SupportPlan, plan.id).funding_splits[0].reconciled_on = dt.date(2027, 1, 5)
    with vault.uow.read() as s:
        assert s.get_one(SupportPlan, plan.id).funding_splits[0].reconciled_on == \
            dt.date(2027, 1, 5)
    for change in ({"reconciled_on": dt.date(2027, 2, 1)},
                   {"reconciled_on": None},
                   {"pence_per_week": 1}):
        with pytest.raises(ImmutableRecord):
            with vault.uow.begin() as s:
                split = s.get_one(SupportPlan, plan.id).funding_splits[0]
                for name, value in change.items():
                    setattr(split, name, value)


def test_rows_applied_from_the_server_skip_outbox_and_audit(vault: VaultSession) -> None:
    before = counts(vault)
    with vault.uow.begin() as s:
        s.info[tracking.APPLYING_REMOTE] = True
        remote = make_person(id=str(uuid.uuid4()), version=7, server_version=41,
                             updated_by="user-on-another-laptop", device_id="other-device")
        s.add(remote)
        s.flush()
        s.get_one(Person, remote.id).town = "Market Harborough"
    assert counts(vault) == before
    with vault.uow.read() as s:
        p = s.get_one(Person, remote.id)
        # Applied as the server sent it: nothing re-stamped.
        assert (p.version, p.server_version, p.updated_by, p.town) == (
            7, 41, "user-on-another-laptop", "Market Harborough")

    with vault.uow.begin() as s:  # a later local edit is tracked again
        s.get_one(Person, remote.id).town = "Lutterworth"
    [entry] = outbox_rows(vault)
    assert (entry.local_version, entry.base_server_version) == (8, 41)


def test_a_change_without_an_actor_is_a_bug(vault: VaultSession) -> None:
    before = counts(vault)
    with pytest.raises(InternalError, match="actor"):
        with vault.factory.begin() as s:  # a session opened without the unit of work
            s.add(make_person())
    assert counts(vault) == before
    with vault.uow.read() as s:
        assert s.scalar(select(func.count()).select_from(Person)) == 0


def test_a_refused_flush_queues_nothing(vault: VaultSession) -> None:
    """A caller may catch ImmutableRecord and go on saving in the same session.

    Regression: ``_before_flush`` used to queue the new rows before it refused the edited
    plan, so the provider below was written to the outbox and audit log twice.
    """
    person_id = add_person(vault)
    with vault.uow.begin() as s:
        plan = make_plan(person_id)
        s.add(plan)
    before = counts(vault)
    with vault.uow.begin() as s:
        issued = s.get_one(SupportPlan, plan.id)
        issued.summary = "edited"
        s.add(CareProvider(name="Example Home Care", phone="0", council="rutland_county"))
        with pytest.raises(ImmutableRecord):
            s.flush()
        s.refresh(issued)  # drop the refused edit; the provider is still to be saved
    assert counts(vault) == (before[0] + 1, before[1] + 1)


@pytest.mark.hazard("H-009")
def test_lines_cannot_be_added_to_an_issued_plan(vault: VaultSession) -> None:
    """A plan version's task lines and funding come with it, in its own transaction; a
    later transaction adding a line to it is refused (an issued plan never gains lines).
    Shown to fail: without ``__immutable_parent__`` the line is simply written."""
    person_id = add_person(vault)
    with vault.uow.begin() as s:
        plan = make_plan(person_id)
        s.add(plan)
    before = counts(vault)
    with pytest.raises(ImmutableRecord):
        with vault.uow.begin() as s:
            line = s.get_one(SupportPlan, plan.id).tasks[0]
            s.add(type(line)(**{
                c.key: getattr(line, c.key) for c in sa_inspect(line).mapper.column_attrs
                if c.key not in {"id", "version", "created_at", "updated_at", "server_version"}
            }))
    assert counts(vault) == before


@pytest.mark.hazard("H-036")
def test_sql_errors_do_not_carry_typed_values(vault: VaultSession) -> None:
    """Database errors must not echo parameters (names) into logs or crash reports."""
    from sqlalchemy.exc import IntegrityError
    person_id = add_person(vault)
    with pytest.raises(IntegrityError) as err:
        with vault.uow.begin() as s:
            s.add(CareWorker(provider_id="no-such-provider", given_name="Sentinelgiven",
                             family_name="Sentinelfamily", role_title="x"))
    assert "Sentinelgiven" not in str(err.value)
    assert person_id
