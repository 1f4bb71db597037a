"""The people around a person: next of kin, attorneys (LPA), deputies and others.

Who may consent for someone who lacks capacity matters to the delegation (framework §3,
Mental Capacity Act): only a *registered* health and welfare attorney, or a deputy with a
court order, can decide about care. A property and finance attorney cannot. So the rules:

- ``can_decide_health_welfare`` only for ``lpa_health_welfare`` or ``deputy``, and only
  with the date of registration (or of the order), which cannot be in the future;
- a registration reference or date on a next of kin or "other" contact is refused (it
  would suggest a power they do not have).

Each function is one user action; changes need ``EDIT_PEOPLE``. Removing a contact is a
tombstone, so the removal syncs; consent records that named the contact keep their copy of
the name.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy.orm import Session

from desktop_app.models.person import Contact, ContactKind, Person
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import apply_edit, tombstone
from desktop_app.services.core.uow import UnitOfWork

REGISTERED_KINDS = (ContactKind.LPA_HEALTH_WELFARE.value, ContactKind.LPA_PROPERTY_FINANCE.value,
                    ContactKind.DEPUTY.value)
DECIDER_KINDS = (ContactKind.LPA_HEALTH_WELFARE.value, ContactKind.DEPUTY.value)
KIND_LABELS = {
    ContactKind.NEXT_OF_KIN.value: "Next of kin",
    ContactKind.LPA_HEALTH_WELFARE.value: "Attorney (health and welfare LPA)",
    ContactKind.LPA_PROPERTY_FINANCE.value: "Attorney (property and finance LPA)",
    ContactKind.DEPUTY.value: "Deputy (Court of Protection)",
    ContactKind.OTHER.value: "Other",
}
_PHONE = re.compile(r"^\+?[0-9 ()-]{6,24}$")
_EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
_LIMITS = {"name": 200, "relationship": 100, "registration_reference": 64, "email": 254}


@dataclass(frozen=True)
class ContactInput:
    """What a nurse types about a contact (before checking)."""

    kind: str
    name: str
    relationship: str | None = None
    phone: str | None = None
    email: str | None = None
    address: str | None = None
    registration_reference: str | None = None
    registered_on: dt.date | None = None
    can_decide_health_welfare: bool = False


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def validate(data: ContactInput, today: dt.date | None = None) -> dict[str, object]:
    """The contact's column values, or ValidationError naming the first bad field."""
    if data.kind not in KIND_LABELS:
        raise ValidationError("Choose who the contact is to the person.", field="kind")
    values: dict[str, object] = {
        "kind": data.kind, "name": _clean(data.name), "relationship": _clean(data.relationship),
        "phone": _clean(data.phone), "email": _clean(data.email),
        "address": (data.address or "").strip() or None,
        "registration_reference": _clean(data.registration_reference),
        "registered_on": data.registered_on,
        "can_decide_health_welfare": bool(data.can_decide_health_welfare)}
    if not values["name"]:
        raise ValidationError("Give the contact's name.", field="name")
    for field, limit in _LIMITS.items():
        if len(str(values[field] or "")) > limit:
            raise ValidationError(f"Keep this under {limit} characters.", field=field)
    if values["phone"] and not _PHONE.match(str(values["phone"])):
        raise ValidationError("A phone number has digits, spaces and + ( ) - only.",
                              field="phone")
    if values["email"] and not _EMAIL.match(str(values["email"])):
        raise ValidationError("That email address does not look right.", field="email")
    _check_powers(data.kind, values, today or dt.date.today())
    return values


def _check_powers(kind: str, values: dict[str, object], today: dt.date) -> None:
    registered = values["registered_on"]
    if kind not in REGISTERED_KINDS and (registered or values["registration_reference"]):
        raise ValidationError("Only an attorney or a deputy has a registration; leave the "
                              "reference and date empty for this contact.",
                              field="registration_reference")
    if isinstance(registered, dt.date) and registered > today:
        raise ValidationError("The registration date has not come yet; please check it.",
                              field="registered_on")
    if not values["can_decide_health_welfare"]:
        return
    if kind not in DECIDER_KINDS:
        raise ValidationError("Only a health and welfare attorney or a deputy can decide "
                              "about care for the person.", field="can_decide_health_welfare")
    if registered is None:
        raise ValidationError("An attorney or deputy can decide only once registered: give "
                              "the date of registration (or of the court order).",
                              field="registered_on")


def _person(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.deleted:
        raise NotFound("That person is no longer on the caseload.")
    return person


def _contact(session: Session, contact_id: str) -> Contact:
    contact = session.get(Contact, contact_id)
    if contact is None or contact.deleted:
        raise NotFound("That contact is no longer there; it may have been removed.")
    return contact


def add_contact(uow: UnitOfWork, person_id: str, data: ContactInput) -> str:
    """Add a contact to the person's record; returns its id."""
    require(uow, Permission.EDIT_PEOPLE)
    values = validate(data)
    with uow.begin() as session:
        _person(session, person_id)
        contact = Contact(person_id=person_id, **values)
        session.add(contact)
        session.flush()
        return contact.id


def update_contact(uow: UnitOfWork, contact_id: str, data: ContactInput,
                   expected_version: int) -> None:
    """Save edits to a contact; refuses if it changed since it was opened."""
    require(uow, Permission.EDIT_PEOPLE)
    values = validate(data)
    with uow.begin() as session:
        contact = _contact(session, contact_id)
        apply_edit(contact, expected_version, values,
                   "This contact changed since you opened it. Close and reopen the "
                   "person's record to see the latest details.")


def remove_contact(uow: UnitOfWork, contact_id: str) -> None:
    """Remove a contact (a tombstone, so the removal syncs)."""
    require(uow, Permission.EDIT_PEOPLE)
    with uow.begin() as session:
        tombstone(session, _contact(session, contact_id))
