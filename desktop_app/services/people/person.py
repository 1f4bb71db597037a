"""Adding, editing, finding and removing the people on the caseload.

Each function is one user action: one unit of work, validated input in, a frozen
``PersonView`` out. Opening a person's record is audited as a view.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, fields

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.person import PREFER_NOT_TO_SAY, Person
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import apply_edit, record_view, tombstone
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.identifiers import (
    format_nhs_number,
    normalise_nhs_number,
    normalise_postcode,
)

OLDEST_AGE_YEARS = 130


@dataclass(frozen=True)
class PersonInput:
    """What a nurse types about a person (before checking)."""

    nhs_number: str
    given_name: str
    family_name: str
    date_of_birth: dt.date | None
    address_line1: str
    town: str
    postcode: str
    team: str
    preferred_name: str | None = None
    phone: str | None = None
    address_line2: str | None = None
    gp_practice_code: str | None = None
    gp_practice_name: str | None = None
    open_to_community_health: bool = False
    communication_needs: str | None = None
    eq_disability: str | None = None
    eq_gender_reassignment: str | None = None
    eq_marriage_civil_partnership: str | None = None
    eq_pregnancy_maternity: str | None = None
    eq_ethnicity: str | None = None
    eq_religion_belief: str | None = None
    eq_sex: str | None = None
    eq_sexual_orientation: str | None = None


@dataclass(frozen=True)
class PersonView(PersonInput):
    """A person as saved, with the identity and version needed to edit it again."""

    id: str = ""
    version: int = 0
    nhs_number_display: str = ""

    @property
    def full_name(self) -> str:
        """Given and family name, as on the plan."""
        return f"{self.given_name} {self.family_name}"

    def as_input(self) -> PersonInput:
        """The person as the form edits them (``dataclasses.replace`` it to change one)."""
        return PersonInput(**{name: getattr(self, name) for name in _INPUT_FIELDS})


_INPUT_FIELDS = [f.name for f in fields(PersonInput)]
EQUALITY_FIELDS = [name for name in _INPUT_FIELDS if name.startswith("eq_")]


def _clean_text(value: str | None) -> str | None:
    if value is None:
        return None
    stripped = value.strip()
    return stripped or None


def _require(values: dict[str, object], labels: dict[str, str]) -> None:
    for name, label in labels.items():
        if not values[name]:
            raise ValidationError(f"Enter the person's {label}.", field=name)


def _check_birth(born: dt.date | None, today: dt.date) -> None:
    if born is None:
        raise ValidationError("Enter the date of birth.", field="date_of_birth")
    if born > today:
        raise ValidationError("The date of birth is in the future.", field="date_of_birth")
    if born.year < today.year - OLDEST_AGE_YEARS:
        raise ValidationError("Check the date of birth: that would be over 130 years ago.",
                              field="date_of_birth")


def validate(data: PersonInput, today: dt.date | None = None) -> dict[str, object]:
    """Checked, normalised column values; ValidationError names the first bad field."""
    today = today or dt.date.today()
    values: dict[str, object] = {n: getattr(data, n) for n in _INPUT_FIELDS}
    for name in _INPUT_FIELDS:
        if isinstance(values[name], str):
            values[name] = _clean_text(values[name])  # type: ignore[arg-type]
    # Checked in the order of the form, so the first message is about the first bad field.
    values["nhs_number"] = normalise_nhs_number(data.nhs_number)
    _require(values, {"given_name": "given name", "family_name": "family name"})
    _check_birth(data.date_of_birth, today)
    _require(values, {"address_line1": "first line of the address", "town": "town"})
    values["postcode"] = normalise_postcode(data.postcode)
    _require(values, {"team": "team"})
    return values


def _view(person: Person) -> PersonView:
    values = {n: getattr(person, n) for n in _INPUT_FIELDS}
    return PersonView(**values, id=person.id, version=person.version,
                      nhs_number_display=format_nhs_number(person.nhs_number))


def _load(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.deleted:
        raise NotFound("That person is not on the caseload (they may have been removed).")
    return person


def _by_nhs_number(session: Session, nhs: str) -> Person | None:
    return session.scalars(select(Person).where(Person.nhs_number == nhs)).first()


def _check_unique(session: Session, nhs: str, exclude_id: str | None) -> None:
    existing = _by_nhs_number(session, nhs)
    if existing is None or existing.id == exclude_id:
        return
    if existing.deleted:
        raise ValidationError("This NHS number belongs to a person removed from the caseload. "
                              "Add them again as a new person to restore their record.",
                              field="nhs_number")
    raise ValidationError("A person with this NHS number is already on the caseload.",
                          field="nhs_number")


def create_person(uow: UnitOfWork, data: PersonInput) -> PersonView:
    """Add a person to the caseload.

    Someone removed earlier keeps their record (a tombstone, so the removal synced); adding
    their NHS number again restores that record with the new details, and its history.
    """
    require(uow, Permission.EDIT_PEOPLE)
    values = validate(data)
    with uow.begin() as session:
        person = _by_nhs_number(session, str(values["nhs_number"]))
        if person is not None and not person.deleted:
            raise ValidationError("A person with this NHS number is already on the caseload.",
                                  field="nhs_number")
        if person is None:
            person = Person(**values)
            session.add(person)
        else:
            for name, value in values.items():
                setattr(person, name, value)
            person.deleted = False
        session.flush()
        return _view(person)


def update_person(uow: UnitOfWork, person_id: str, data: PersonInput,
                  expected_version: int) -> PersonView:
    """Save edits; refuses if someone else saved the record since it was opened."""
    require(uow, Permission.EDIT_PEOPLE)
    values = validate(data)
    with uow.begin() as session:
        person = _load(session, person_id)
        _check_unique(session, str(values["nhs_number"]), person_id)
        apply_edit(person, expected_version, values,
                   "This record changed since you opened it. Reopen it to see the latest "
                   "details; your typing is still on screen.")
        session.flush()
        return _view(person)


def open_person(uow: UnitOfWork, person_id: str) -> PersonView:
    """Open a person's record (audited as a view)."""
    with uow.begin() as session:
        person = _load(session, person_id)
        record_view(session, "person", person_id)
        return _view(person)


def remove_person(uow: UnitOfWork, person_id: str) -> None:
    """Take a person off the caseload (a tombstone, so the removal syncs)."""
    require(uow, Permission.EDIT_PEOPLE)
    with uow.begin() as session:
        tombstone(session, _load(session, person_id))


def equality_value_ok(value: str | None) -> bool:
    """Equality answers are optional; ``prefer_not_to_say`` is itself an answer."""
    return value is None or value == PREFER_NOT_TO_SAY or bool(value.strip())


def find_by_nhs_number(uow: UnitOfWork, typed: str) -> PersonView:
    """The person on the caseload with this NHS number (NotFound when there is none)."""
    nhs = normalise_nhs_number(typed)
    with uow.begin() as session:
        person = _by_nhs_number(session, nhs)
        if person is None or person.deleted:
            raise NotFound("Nobody with that NHS number is on this laptop's caseload.")
        record_view(session, "person", person.id)
        return _view(person)
