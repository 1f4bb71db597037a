"""A person's contacts: next of kin, attorneys (LPA), deputies (``services.contacts``).

Each call is one unit of work on a private encrypted vault. A refusal names the field the
form highlights and writes nothing; removing is a tombstone (the row stays, so the removal
syncs); only a registered health and welfare attorney or a deputy may be marked as able to
decide about care; a read-only user changes nothing.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.models.outbox import OutboxEntry, OutboxPayload
from desktop_app.models.person import Contact
from desktop_app.services import people
from desktop_app.services.core.errors import PermissionDenied, ValidationError
from desktop_app.services.people import contacts
from desktop_app.services.people.contacts import ContactInput
from desktop_app.services.people.record import load_record
from desktop_app.services.vault import VaultSession
from tests.support import as_role, person_values

TODAY = dt.date.today()
REGISTERED = dt.date(2021, 6, 14)


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(7))).id


def daughter(**overrides: Any) -> ContactInput:
    values: dict[str, Any] = {"kind": "next_of_kin", "name": "Mary Testperson",
                              "relationship": "Daughter", "phone": "0116 496 0000",
                              "email": "mary@example.org"}
    values.update(overrides)
    return ContactInput(**values)


def attorney(**overrides: Any) -> ContactInput:
    values: dict[str, Any] = {"kind": "lpa_health_welfare", "name": "Peter Example",
                              "relationship": "Son", "registration_reference": "7000-1234-5678",
                              "registered_on": REGISTERED, "can_decide_health_welfare": True}
    values.update(overrides)
    return ContactInput(**values)


def shown(vault: VaultSession, person_id: str) -> list[Any]:
    """The contacts the person record shows."""
    return list(load_record(vault.uow, person_id).contacts)


def stored(vault: VaultSession) -> list[tuple[Any, ...]]:
    """Every contact row as stored, tombstones included."""
    table = Contact.__table__
    with vault.engine.connect() as conn:
        return [tuple(r) for r in conn.execute(select(table).order_by(table.c.id))]


def outbox_count(vault: VaultSession) -> int:
    with vault.uow.read() as s:
        return s.scalar(select(func.count()).select_from(OutboxEntry)) or 0


def contact_outbox(vault: VaultSession, contact_id: str) -> list[Any]:
    table, content = OutboxEntry.__table__, OutboxPayload.__table__
    with vault.engine.connect() as conn:
        return list(conn.execute(select(table, content.c.payload)
                                 .outerjoin(content, content.c.seq == table.c.seq)
                                 .where(table.c.entity_id == contact_id).order_by(table.c.seq)))


# ---------------------------------------------------------------- add, update, remove


def test_an_added_contact_shows_on_the_record_with_its_details(
        vault: VaultSession, person_id: str) -> None:
    contact_id = contacts.add_contact(vault.uow, person_id, attorney(name="  Peter   Example "))
    [row] = shown(vault, person_id)
    assert row.id == contact_id
    assert (row.kind, row.name, row.relationship) == ("lpa_health_welfare", "Peter Example",
                                                      "Son")
    assert (row.registration_reference, row.registered_on) == ("7000-1234-5678", REGISTERED)
    assert row.can_decide_health_welfare is True and row.version == 1


def test_an_update_changes_the_contact_and_its_version(vault: VaultSession,
                                                       person_id: str) -> None:
    contact_id = contacts.add_contact(vault.uow, person_id, daughter())
    contacts.update_contact(vault.uow, contact_id,
                            daughter(phone="07700 900123", email=None, relationship="Niece"), 1)
    [row] = shown(vault, person_id)
    assert (row.phone, row.email, row.relationship) == ("07700 900123", None, "Niece")
    assert row.version == 2


def test_remove_is_a_tombstone_off_the_record(vault: VaultSession, person_id: str) -> None:
    kept = contacts.add_contact(vault.uow, person_id, daughter())
    gone = contacts.add_contact(vault.uow, person_id, attorney())
    contacts.remove_contact(vault.uow, gone)
    assert [c.id for c in shown(vault, person_id)] == [kept]
    with vault.uow.read() as s:
        row = s.get_one(Contact, gone)
        assert row.deleted is True and row.name == "Peter Example"  # the row stays


def test_a_removed_contact_cannot_be_edited_or_removed_again(
        vault: VaultSession, person_id: str) -> None:
    from desktop_app.services.core.errors import NotFound
    contact_id = contacts.add_contact(vault.uow, person_id, daughter())
    contacts.remove_contact(vault.uow, contact_id)
    with pytest.raises(NotFound):
        contacts.update_contact(vault.uow, contact_id, daughter(name="Someone"), 2)
    with pytest.raises(NotFound):
        contacts.remove_contact(vault.uow, contact_id)


def test_each_change_writes_an_outbox_row(vault: VaultSession, person_id: str) -> None:
    contact_id = contacts.add_contact(vault.uow, person_id, daughter())
    contacts.update_contact(vault.uow, contact_id, daughter(phone="07700 900123"), 1)
    contacts.remove_contact(vault.uow, contact_id)
    rows = contact_outbox(vault, contact_id)
    assert [r.entity_type for r in rows] == ["contact"] * 3
    assert [r.local_version for r in rows] == [1, 2, 3]
    assert [r.state for r in rows] == ["pending"] * 3
    assert rows[0].payload["name"] == "Mary Testperson"
    assert rows[1].payload["phone"] == "07700 900123"
    assert rows[2].payload["deleted"] is True


@pytest.mark.hazard("H-017")
def test_a_stale_version_is_refused_and_keeps_the_newer_edit(
        vault: VaultSession, person_id: str) -> None:
    contact_id = contacts.add_contact(vault.uow, person_id, daughter())
    contacts.update_contact(vault.uow, contact_id, daughter(phone="07700 900123"), 1)
    before, writes = stored(vault), outbox_count(vault)
    with pytest.raises(ValidationError, match="changed since you opened it"):
        contacts.update_contact(vault.uow, contact_id, daughter(phone="0116 000 1111"), 1)
    assert stored(vault) == before and outbox_count(vault) == writes
    assert shown(vault, person_id)[0].phone == "07700 900123"


# ---------------------------------------------------------------- validation

TOMORROW = TODAY + dt.timedelta(days=1)
BAD = {
    "unknown kind": (daughter(kind="cousin"), "kind"),
    "blank name": (daughter(name="   "), "name"),
    "name too long": (daughter(name="A" * 201), "name"),
    "phone with letters": (daughter(phone="0116 ABC 0000"), "phone"),
    "bad email": (daughter(email="mary at example.org"), "email"),
    "reference on next of kin": (daughter(registration_reference="7000-1"),
                                 "registration_reference"),
    "date on next of kin": (daughter(registered_on=REGISTERED), "registration_reference"),
    "reference on other": (daughter(kind="other", registration_reference="X1"),
                           "registration_reference"),
    "registered in the future": (attorney(registered_on=TOMORROW), "registered_on"),
    "property and finance decides": (attorney(kind="lpa_property_finance"),
                                     "can_decide_health_welfare"),
    "next of kin decides": (daughter(can_decide_health_welfare=True),
                            "can_decide_health_welfare"),
    "unregistered H&W attorney decides": (attorney(registered_on=None), "registered_on"),
    "unregistered deputy decides": (attorney(kind="deputy", registered_on=None),
                                    "registered_on"),
}


# Refusals that keep consent lawful (hazard H-007): registrations and decision-making powers.
POWERS = {"reference on next of kin", "date on next of kin", "reference on other",
          "registered in the future", "property and finance decides", "next of kin decides",
          "unregistered H&W attorney decides", "unregistered deputy decides"}


@pytest.mark.parametrize(("data", "field"), [
    pytest.param(*case, id=name, marks=[pytest.mark.hazard("H-007")] if name in POWERS else [])
    for name, case in BAD.items()])
def test_bad_input_is_refused_naming_the_field_and_writes_nothing(
        vault: VaultSession, person_id: str, data: ContactInput, field: str) -> None:
    writes = outbox_count(vault)
    with pytest.raises(ValidationError) as caught:
        contacts.add_contact(vault.uow, person_id, data)
    assert caught.value.field == field
    assert caught.value.message
    assert stored(vault) == [] and outbox_count(vault) == writes


def test_an_edit_is_checked_as_strictly_as_an_add(vault: VaultSession, person_id: str) -> None:
    contact_id = contacts.add_contact(vault.uow, person_id, attorney())
    before = stored(vault)
    with pytest.raises(ValidationError) as caught:
        contacts.update_contact(vault.uow, contact_id, attorney(kind="lpa_property_finance"), 1)
    assert caught.value.field == "can_decide_health_welfare"
    assert stored(vault) == before


def test_limits_are_inclusive(vault: VaultSession, person_id: str) -> None:
    contacts.add_contact(vault.uow, person_id,
                         daughter(name="A" * 200, phone="+44 (0)116-4960000"))
    assert shown(vault, person_id)[0].name == "A" * 200


@pytest.mark.hazard("H-007")
@pytest.mark.parametrize("kind", ["lpa_health_welfare", "deputy"])
def test_a_registered_attorney_or_deputy_can_decide(vault: VaultSession, person_id: str,
                                                   kind: str) -> None:
    contacts.add_contact(vault.uow, person_id, attorney(kind=kind, registered_on=TODAY))
    [row] = shown(vault, person_id)
    assert row.kind == kind and row.can_decide_health_welfare is True


@pytest.mark.hazard("H-007")
def test_a_property_and_finance_attorney_may_be_recorded_without_deciding(
        vault: VaultSession, person_id: str) -> None:
    contacts.add_contact(vault.uow, person_id,
                         attorney(kind="lpa_property_finance", can_decide_health_welfare=False))
    [row] = shown(vault, person_id)
    assert row.registration_reference == "7000-1234-5678"
    assert row.can_decide_health_welfare is False


# ---------------------------------------------------------------- roles


@pytest.mark.hazard("H-026")
def test_a_read_only_user_changes_nothing(vault: VaultSession, person_id: str) -> None:
    contact_id = contacts.add_contact(vault.uow, person_id, daughter())
    before, writes = stored(vault), outbox_count(vault)
    reader = as_role(vault, "read_only")
    with pytest.raises(PermissionDenied, match="read-only"):
        contacts.add_contact(reader, person_id, attorney())
    with pytest.raises(PermissionDenied):
        contacts.update_contact(reader, contact_id, daughter(name="Changed"), 1)
    with pytest.raises(PermissionDenied):
        contacts.remove_contact(reader, contact_id)
    assert stored(vault) == before and outbox_count(vault) == writes


def test_a_social_care_practitioner_may_add_a_contact(vault: VaultSession,
                                                      person_id: str) -> None:
    practitioner = as_role(vault, "social_care_practitioner")
    contact_id = contacts.add_contact(practitioner, person_id, daughter())
    assert [c.id for c in shown(vault, person_id)] == [contact_id]

