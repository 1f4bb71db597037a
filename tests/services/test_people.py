"""Adding, editing, opening and removing people on the caseload (``services.people``).

Each service call is one unit of work against a private encrypted vault. Validation
errors must name the field they are about (the form puts the message beside it) and must
be raised before anything is written.

How these tests were seen to fail (each mutation applied to a throwaway copy of the
package, the tests run against it, the copy deleted): ``create_person`` without its
duplicate check makes the duplicate test fail (IntegrityError instead of ValidationError);
``update_person`` without the version check makes the stale-version test fail;
``normalise_postcode`` returning its input makes the postcode tests fail; dropping the
future-date check makes the DOB case fail; the pre-fix ``people.py`` and
``identifiers.py`` make the re-add and non-ASCII-digit regression tests fail.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from sqlalchemy import func, select

from desktop_app.models.audit import AuditEvent
from desktop_app.models.outbox import OutboxEntry
from desktop_app.services import people
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.vault import VaultSession
from tests.support import person_values

TODAY = dt.date.today()


def person_input(serial: int = 1, **overrides: Any) -> people.PersonInput:
    return people.PersonInput(**person_values(serial, **overrides))


def wrong_check_digit(serial: int) -> str:
    good = synthetic_nhs_number(serial)
    return good[:-1] + str((int(good[-1]) + 1) % 10)


def writes(vault: VaultSession) -> tuple[int, int]:
    with vault.uow.read() as s:
        return (s.scalar(select(func.count()).select_from(OutboxEntry)) or 0,
                s.scalar(select(func.count()).select_from(AuditEvent)) or 0)


# ---------------------------------------------------------------- validation

BAD_INPUTS = {
    "bad check digit": ({"nhs_number": wrong_check_digit(1)}, "nhs_number", "check digit"),
    "too short": ({"nhs_number": "999000001"}, "nhs_number", "10 digits"),
    "too long": ({"nhs_number": "99900000180"}, "nhs_number", "10 digits"),
    "letters": ({"nhs_number": "999OOO0018"}, "nhs_number", "10 digits"),
    "empty NHS number": ({"nhs_number": "  "}, "nhs_number", "Enter the NHS number"),
    "no given name": ({"given_name": "   "}, "given_name", "given name"),
    "no family name": ({"family_name": ""}, "family_name", "family name"),
    "no address": ({"address_line1": " "}, "address_line1", "address"),
    "no town": ({"town": ""}, "town", "town"),
    "no team": ({"team": "\t"}, "team", "team"),
    "future DOB": ({"date_of_birth": TODAY + dt.timedelta(days=1)}, "date_of_birth", "future"),
    "ancient DOB": ({"date_of_birth": dt.date(TODAY.year - 131, 1, 1)}, "date_of_birth",
                    "130 years"),
    "bad postcode": ({"postcode": "LE1"}, "postcode", "postcode"),
    "US zip": ({"postcode": "90210"}, "postcode", "postcode"),
}


# The hazard each refusal controls (docs/clinical-safety/hazard-log.yaml).
BAD_INPUT_HAZARDS = {
    "bad check digit": ("H-021",), "too short": ("H-021",), "too long": ("H-021",),
    "letters": ("H-021",), "empty NHS number": ("H-021",),
    "future DOB": ("H-020",), "ancient DOB": ("H-020",),
}


@pytest.mark.parametrize(("overrides", "field", "words"), [
    pytest.param(*case, id=name,
                 marks=[pytest.mark.hazard(h) for h in BAD_INPUT_HAZARDS.get(name, ())])
    for name, case in BAD_INPUTS.items()])
def test_bad_input_is_refused_naming_the_field(vault: VaultSession, overrides: dict[str, Any],
                                               field: str, words: str) -> None:
    before = writes(vault)
    with pytest.raises(ValidationError) as caught:
        people.create_person(vault.uow, person_input(**overrides))
    assert caught.value.field == field
    assert words.lower() in caught.value.message.lower()
    assert writes(vault) == before


@pytest.mark.hazard("H-021")
@pytest.mark.hazard("H-040")
def test_a_duplicate_nhs_number_is_refused_naming_the_field(vault: VaultSession) -> None:
    people.create_person(vault.uow, person_input(5))
    before = writes(vault)
    spaced = people.PersonInput(**{**dataclasses.asdict(person_input(5, given_name="Other")),
                                   "nhs_number": " 999-000 " + synthetic_nhs_number(5)[6:]})
    with pytest.raises(ValidationError) as caught:
        people.create_person(vault.uow, spaced)
    assert caught.value.field == "nhs_number"
    assert "already on the caseload" in caught.value.message
    assert writes(vault) == before


@pytest.mark.hazard("H-015")
@pytest.mark.hazard("H-021")
def test_editing_onto_another_persons_nhs_number_is_refused(vault: VaultSession) -> None:
    people.create_person(vault.uow, person_input(6))
    second = people.create_person(vault.uow, person_input(7))
    with pytest.raises(ValidationError) as caught:
        people.update_person(vault.uow, second.id, person_input(6), second.version)
    assert caught.value.field == "nhs_number"
    assert people.open_person(vault.uow, second.id).nhs_number == synthetic_nhs_number(7)


def test_validation_messages_carry_no_typed_values() -> None:
    """Messages are logged and shown; they must not echo what was typed."""
    typed = wrong_check_digit(8)
    with pytest.raises(ValidationError) as caught:
        people.validate(person_input(nhs_number=typed, postcode="ZZ"))
    assert typed not in str(caught.value)


# ---------------------------------------------------------------- formatting


def test_nhs_number_is_stored_as_digits_and_shown_three_three_four(vault: VaultSession) -> None:
    typed = "999-000-0018"
    view = people.create_person(vault.uow, person_input(nhs_number=typed))
    assert view.nhs_number == "9990000018"
    assert view.nhs_number_display == "999 000 0018"
    assert people.open_person(vault.uow, view.id).nhs_number_display == "999 000 0018"


@pytest.mark.parametrize(("typed", "stored"), [
    (" le1 5ww ", "LE1 5WW"), ("le15ww", "LE1 5WW"), ("LE1   5WW", "LE1 5WW"),
    ("sw1a 1aa", "SW1A 1AA"), ("b1 1aa", "B1 1AA"), ("LE67 3FW", "LE67 3FW"),
])
def test_postcodes_are_normalised(vault: VaultSession, typed: str, stored: str) -> None:
    view = people.create_person(vault.uow, person_input(postcode=typed))
    assert view.postcode == stored
    assert people.open_person(vault.uow, view.id).postcode == stored


def test_surrounding_spaces_are_trimmed_and_blanks_become_none(vault: VaultSession) -> None:
    view = people.create_person(vault.uow, person_input(given_name="  Edith ",
                                                        preferred_name="   ", phone=""))
    again = people.open_person(vault.uow, view.id)
    assert (again.given_name, again.preferred_name, again.phone) == ("Edith", None, None)


@pytest.mark.parametrize(("given", "family"), [
    ("Zoë", "Ní Bhriain"), ("Łukasz", "O'Brien"), ("Siân", "Ó Dálaigh-Ng"), ("José", "D'Souza"),
])
def test_accented_and_apostrophe_names_round_trip(vault: VaultSession, given: str,
                                                  family: str) -> None:
    view = people.create_person(vault.uow, person_input(given_name=given, family_name=family))
    again = people.open_person(vault.uow, view.id)
    assert (again.given_name, again.family_name) == (given, family)
    assert again.full_name == f"{given} {family}"


# ---------------------------------------------------------------- editing


@pytest.mark.hazard("H-017")
def test_an_update_with_a_stale_version_changes_nothing(vault: VaultSession) -> None:
    first = people.create_person(vault.uow, person_input())
    mine = people.update_person(vault.uow, first.id, person_input(town="Oakham"), first.version)
    assert mine.version == first.version + 1
    before = writes(vault)
    with pytest.raises(ValidationError, match="changed since you opened it"):
        people.update_person(vault.uow, first.id, person_input(town="Melton"), first.version)
    assert writes(vault) == before
    again = people.open_person(vault.uow, first.id)
    assert (again.town, again.version) == ("Oakham", mine.version)


def test_an_update_that_changes_nothing_writes_nothing(vault: VaultSession) -> None:
    view = people.create_person(vault.uow, person_input())
    before = writes(vault)
    same = people.update_person(vault.uow, view.id, person_input(), view.version)
    assert same.version == view.version
    assert writes(vault) == before


def test_an_update_is_validated_like_a_create(vault: VaultSession) -> None:
    view = people.create_person(vault.uow, person_input())
    with pytest.raises(ValidationError) as caught:
        people.update_person(vault.uow, view.id, person_input(postcode="nowhere"), view.version)
    assert caught.value.field == "postcode"


# ---------------------------------------------------------------- removing


def test_a_removed_person_cannot_be_opened_edited_or_removed_again(vault: VaultSession) -> None:
    view = people.create_person(vault.uow, person_input())
    people.remove_person(vault.uow, view.id)
    with pytest.raises(NotFound):
        people.open_person(vault.uow, view.id)
    with pytest.raises(NotFound):
        people.update_person(vault.uow, view.id, person_input(), view.version + 1)
    with pytest.raises(NotFound):
        people.remove_person(vault.uow, view.id)


def test_an_unknown_id_is_not_found(vault: VaultSession) -> None:
    with pytest.raises(NotFound):
        people.open_person(vault.uow, "00000000-0000-4000-8000-000000000000")


@pytest.mark.hazard("H-040")
def test_a_removed_person_added_again_gets_their_record_back(vault: VaultSession) -> None:
    """Regression: a tombstoned row blocked its NHS number ("already on the caseload")."""
    view = people.create_person(vault.uow, person_input(9))
    people.remove_person(vault.uow, view.id)
    back = people.create_person(vault.uow, person_input(9, town="Hinckley"))
    assert (back.id, back.version, back.town) == (view.id, 3, "Hinckley")
    assert people.open_person(vault.uow, back.id).nhs_number == synthetic_nhs_number(9)
    with vault.uow.read() as s:
        ops = s.execute(select(OutboxEntry.operation, OutboxEntry.local_version)
                        .order_by(OutboxEntry.seq)).all()
    assert [tuple(o) for o in ops] == [("upsert", 1), ("delete", 2), ("upsert", 3)]


def test_editing_onto_a_removed_persons_nhs_number_is_refused(vault: VaultSession) -> None:
    removed = people.create_person(vault.uow, person_input(11))
    people.remove_person(vault.uow, removed.id)
    other = people.create_person(vault.uow, person_input(12))
    with pytest.raises(ValidationError) as caught:
        people.update_person(vault.uow, other.id, person_input(11), other.version)
    assert caught.value.field == "nhs_number"


@pytest.mark.hazard("H-021")
def test_non_ascii_digits_are_refused_naming_the_field(vault: VaultSession) -> None:
    """Regression: full-width digits passed str.isdigit() and then broke the DB CHECK."""
    full_width = "".join(chr(ord(c) + 0xFEE0) for c in synthetic_nhs_number(10))
    arabic_indic = "".join(chr(0x0660 + int(c)) for c in synthetic_nhs_number(10))
    before = writes(vault)
    for typed in (full_width, arabic_indic):
        with pytest.raises(ValidationError) as caught:
            people.create_person(vault.uow, person_input(nhs_number=typed))
        assert caught.value.field == "nhs_number"
    assert writes(vault) == before
