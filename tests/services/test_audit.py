"""The hash-chained audit log: what is recorded, what is not, and tamper detection.

Tampering is done the way an attacker holding the database key would do it: raw SQL on
``audit_event``, outside the ORM. ``seq`` is the row's position in the chain, not one of
its recorded fields, so the tampered fields are every other column.

How these tests were seen to fail (each mutation applied to a throwaway copy of the
package, the tests run against it, the copy deleted):

* ``audit.event_hash`` leaving out ``user_id`` (or ``at``): the field matrix and the
  hypothesis property fail for that field.
* ``verify_chain`` not comparing ``prev_hash``: the ``prev_hash``, deletion and property
  cases fail.
* ``tracking.record_view`` as a no-op: the "every open is audited" test fails.
* the person's family name put into the audited entity type: the no-clinical-text test fails.
* the pre-fix ``audit.py`` (converting ``at`` through the driver): the unreadable-value
  tests and the property (which also writes integers, floats and BLOBs) fail.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import fields
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import Connection, Engine, create_engine

from desktop_app.models.base import Base
from desktop_app.services import people
from desktop_app.services.core.audit import GENESIS, Actor, append_events, verify_chain
from desktop_app.services.core.uow import UnitOfWork, make_session_factory
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number
from desktop_app.services.vault import VaultSession

# Every column of audit_event except seq (the position in the chain).
FIELDS = ["id", "at", "user_id", "device_id", "entity_type", "entity_id", "action",
          "prev_hash", "hash"]
AT_FORMAT = "%Y-%m-%d %H:%M:%S.%f"  # how SQLAlchemy stores a DateTime in SQLite


def person_input(serial: int, **overrides: Any) -> people.PersonInput:
    values: dict[str, Any] = {
        "nhs_number": synthetic_nhs_number(serial),
        "given_name": "Marigold",
        "family_name": "Quillfeather",
        "date_of_birth": dt.date(1941, 7, 23),
        "address_line1": "17 Sample Terrace",
        "town": "Coalville",
        "postcode": "LE67 3FW",
        "team": "North West Leicestershire INT",
        "phone": "07700 900461",
        "communication_needs": "Uses a hearing aid in the left ear",
    }
    values.update(overrides)
    return people.PersonInput(**values)


def raw_rows(conn: Connection) -> list[dict[str, Any]]:
    """audit_event exactly as stored (no type processing), oldest first."""
    result = conn.exec_driver_sql("SELECT * FROM audit_event ORDER BY seq")
    return [dict(r._mapping) for r in result]


def changed(field: str, value: Any) -> Any:
    """A different value of the same kind, as someone editing the row would write it."""
    if field == "at":
        return (dt.datetime.fromisoformat(value) + dt.timedelta(seconds=1)).strftime(AT_FORMAT)
    if field in ("hash", "prev_hash"):
        return value[:-1] + ("0" if value[-1] != "0" else "1")
    if field == "action":
        return "view" if value != "view" else "update"
    return value[:-1] + ("x" if value[-1] != "x" else "y")


def tamper(conn: Connection, seq: int, field: str, new_value: Any) -> None:
    assert field in FIELDS  # a column name, never text from elsewhere, goes into the SQL
    conn.exec_driver_sql(f"UPDATE audit_event SET {field} = ? WHERE seq = ?", (new_value, seq))


def do_some_work(vault: VaultSession) -> None:
    """Create, edit, open and remove people: a dozen audit rows after the vault's first."""
    ids = [people.create_person(vault.uow, person_input(n)).id for n in (1, 2, 3)]
    view = people.open_person(vault.uow, ids[0])
    people.update_person(vault.uow, ids[0], person_input(1, town="Ashby"), view.version)
    people.open_person(vault.uow, ids[1])
    people.remove_person(vault.uow, ids[2])


# ---------------------------------------------------------------- what is recorded


@pytest.mark.hazard("H-038")
def test_every_change_and_every_open_is_audited(vault: VaultSession) -> None:
    created = people.create_person(vault.uow, person_input(1))
    people.open_person(vault.uow, created.id)
    people.update_person(vault.uow, created.id, person_input(1, town="Ashby"), created.version)
    people.open_person(vault.uow, created.id)
    people.remove_person(vault.uow, created.id)

    with vault.engine.connect() as conn:
        rows = [r for r in raw_rows(conn) if r["entity_type"] == "person"]
    assert [r["action"] for r in rows] == ["create", "view", "update", "view", "delete"]
    for row in rows:
        assert (row["user_id"], row["device_id"]) == (vault.actor.user_id, vault.actor.device_id)
        assert row["entity_id"] == created.id
        assert row["at"] and len(row["hash"]) == 64


@pytest.mark.hazard("H-036")
def test_the_audit_log_holds_no_clinical_text(vault: VaultSession) -> None:
    data = person_input(4)
    created = people.create_person(vault.uow, data)
    people.open_person(vault.uow, created.id)
    people.update_person(vault.uow, created.id,
                         person_input(4, communication_needs="Prefers written notes"), 1)
    people.remove_person(vault.uow, created.id)

    secrets = [data.given_name, data.family_name, data.nhs_number,
               format_nhs_number(data.nhs_number), data.postcode, data.address_line1,
               data.date_of_birth.isoformat(), "07700", "hearing aid", "written notes"]
    with vault.engine.connect() as conn:
        rows = raw_rows(conn)
        outbox = conn.exec_driver_sql("SELECT payload FROM outbox_payload").scalars().all()
    assert any(data.family_name in p for p in outbox)  # the data is there to be leaked...
    for row in rows:
        for column, value in row.items():
            if column in ("hash", "prev_hash"):
                # Hex digests by construction (which may by chance contain "07700").
                assert re.fullmatch("[0-9a-f]{64}", str(value)), (column, value)
                continue
            for secret in secrets:  # ...but never into the audit log
                assert secret.lower() not in str(value).lower(), (column, secret)


# ---------------------------------------------------------------- verify_chain


def test_an_intact_chain_verifies(vault: VaultSession) -> None:
    do_some_work(vault)
    with vault.engine.connect() as conn:
        rows = raw_rows(conn)
        assert verify_chain(conn) is None
    assert rows[0]["prev_hash"] == GENESIS
    assert all(b["prev_hash"] == a["hash"] for a, b in zip(rows, rows[1:], strict=False))


@pytest.mark.hazard("H-038")
@pytest.mark.parametrize("field", FIELDS)
@pytest.mark.parametrize("where", ["first", "middle", "last"])
def test_an_edited_field_is_named_at_its_row(vault: VaultSession, field: str, where: str) -> None:
    do_some_work(vault)
    with vault.engine.begin() as conn:
        rows = raw_rows(conn)
        target = {"first": rows[0], "middle": rows[len(rows) // 2], "last": rows[-1]}[where]
        tamper(conn, target["seq"], field, changed(field, target[field]))
        found = verify_chain(conn)
    assert found is not None
    assert found.seq == target["seq"]


@pytest.mark.hazard("H-038")
@pytest.mark.parametrize("where", ["first", "middle", "second_last"])
def test_a_deleted_row_is_named_at_the_next_row(vault: VaultSession, where: str) -> None:
    do_some_work(vault)
    with vault.engine.begin() as conn:
        rows = raw_rows(conn)
        k = {"first": 0, "middle": len(rows) // 2, "second_last": len(rows) - 2}[where]
        conn.exec_driver_sql("DELETE FROM audit_event WHERE seq = ?", (rows[k]["seq"],))
        found = verify_chain(conn)
    assert found is not None
    assert (found.seq, found.event_id) == (rows[k + 1]["seq"], rows[k + 1]["id"])


@pytest.mark.parametrize("garbage", ["'not a time'", "0", "X'41'"])
def test_an_unreadable_value_is_named_at_its_row(garbage: str) -> None:
    """Regression: a non-time `at` or a BLOB in a text column made verify_chain raise."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        append_events(conn, Actor("u", "d"), [("person", "p1", "create")] * 3)
        column = "user_id" if garbage.startswith("X") else "at"
        conn.exec_driver_sql(f"UPDATE audit_event SET {column} = {garbage} WHERE seq = 2")
        found = verify_chain(conn)
    assert found is not None and found.seq == 2


# ---------------------------------------------------------------- the property


@pytest.fixture
def memory_engine() -> Iterator[Engine]:
    """One plain in-memory database for all hypothesis examples (wiped between them)."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    yield engine
    engine.dispose()


def _wipe(engine: Engine) -> None:
    with engine.begin() as conn:
        for table in ("audit_event", "outbox_payload", "outbox_entry", "person"):
            conn.exec_driver_sql(f"DELETE FROM {table}")


ACTIONS = st.lists(
    st.tuples(st.sampled_from(["create", "update", "open", "remove"]),
              st.integers(0, 20), st.integers(0, 2)),
    min_size=1, max_size=15,
)


def _replay(engine: Engine, actions: list[tuple[str, int, int]]) -> None:
    """Run the actions as three users on two laptops; impossible ones are skipped."""
    factory = make_session_factory(engine)
    actors = [Actor("user-a", "laptop-1"), Actor("user-b", "laptop-1"), Actor("user-a", "laptop-2")]
    live: list[people.PersonView] = []
    serial = 0
    for kind, pick, who in actions:
        uow = UnitOfWork(factory, actors[who])
        if kind == "create" or not live:
            serial += 1
            live.append(people.create_person(uow, person_input(serial)))
            continue
        i = pick % len(live)
        if kind == "update":
            typed = {f.name: getattr(live[i], f.name) for f in fields(people.PersonInput)}
            data = people.PersonInput(**{**typed, "town": f"Town {pick}"})
            live[i] = people.update_person(uow, live[i].id, data, live[i].version)
        elif kind == "open":
            people.open_person(uow, live[i].id)
        else:
            people.remove_person(uow, live[i].id)
            live.pop(i)


@pytest.mark.hazard("H-038")
@settings(max_examples=50, deadline=None,
          suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(actions=ACTIONS, data=st.data())
def test_any_tampered_row_is_the_one_reported(memory_engine: Engine, actions: list[Any],
                                              data: st.DataObject) -> None:
    """For any history, editing one field of one row (or deleting a non-last row)
    makes verify_chain name that row (or the row after the deleted one)."""
    engine = memory_engine
    _wipe(engine)
    _replay(engine, actions)
    with engine.begin() as conn:
        assert verify_chain(conn) is None
        rows = raw_rows(conn)
        k = data.draw(st.integers(0, len(rows) - 1), label="row")
        field = data.draw(st.sampled_from([*FIELDS, "delete"]), label="field")
        if field == "delete":
            if k == len(rows) - 1:
                k -= 1  # removing the newest row leaves no later row to disagree
            if k < 0:
                return
            conn.exec_driver_sql("DELETE FROM audit_event WHERE seq = ?", (rows[k]["seq"],))
            expected = rows[k + 1]["seq"]
        else:
            old = rows[k][field]
            new: Any
            if field == "at" and data.draw(st.booleans(), label="plausible time"):
                shift = data.draw(st.integers(-10**12, 10**12).filter(bool), label="µs")
                new = (dt.datetime.fromisoformat(old)
                       + dt.timedelta(microseconds=shift)).strftime(AT_FORMAT)
            else:  # any value SQLite will store, of any type
                new = data.draw(st.one_of(st.text(max_size=70), st.integers(-2**63, 2**63 - 1),
                                          st.binary(),
                                          st.floats(allow_nan=False))
                                .filter(lambda v: str(v) != old), label="value")
            tamper(conn, rows[k]["seq"], field, new)
            expected = rows[k]["seq"]
        found = verify_chain(conn)
    assert found is not None and found.seq == expected
