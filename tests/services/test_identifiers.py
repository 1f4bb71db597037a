"""NHS numbers and postcodes as typed (``services.identifiers``).

``synthetic_nhs_number`` is checked against the maintained ``nhs-number`` package, not
against this module's own check-digit code, so the two can never agree on a mistake.

How these tests were seen to fail (each mutation applied to a throwaway copy of the
package, the tests run against it, the copy deleted): ``_check_digit`` returning
``total % 11`` makes the validity property fail; bodies ``serial, serial + 1`` instead of
``2 * serial, 2 * serial + 1`` make the uniqueness property fail; not stripping hyphens
makes the hyphen cases fail.
"""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st
from nhs_number.validate import is_valid

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.identifiers import (
    format_nhs_number,
    normalise_nhs_number,
    normalise_postcode,
    synthetic_nhs_number,
)

SERIALS = st.integers(min_value=0, max_value=499_999)


@given(SERIALS)
def test_synthetic_numbers_are_valid_and_in_the_999_range(serial: int) -> None:
    number = synthetic_nhs_number(serial)
    assert len(number) == 10 and number.isascii() and number.isdigit()
    assert number.startswith("999")
    assert is_valid(number)  # the maintained package, not our own code
    assert normalise_nhs_number(number) == number


@given(SERIALS, SERIALS)
def test_different_serials_give_different_numbers(a: int, b: int) -> None:
    assert (synthetic_nhs_number(a) == synthetic_nhs_number(b)) == (a == b)


def test_neighbouring_serials_are_unique() -> None:
    """Adjacent serials share no body (the pairs 2s, 2s+1 never overlap)."""
    numbers = [synthetic_nhs_number(s) for s in range(5_000)]
    assert len(set(numbers)) == len(numbers)
    assert synthetic_nhs_number(499_999).startswith("9999999")


@pytest.mark.parametrize("serial", [-1, 500_000, 10**9])
def test_serials_outside_the_range_are_refused(serial: int) -> None:
    with pytest.raises(ValueError, match="out of range"):
        synthetic_nhs_number(serial)


@pytest.mark.hazard("H-021")
@pytest.mark.parametrize("typed", [
    "9990000018", "999 000 0018", "999-000-0018", " 999 000-0018 ", "999\u00a0000\u00a00018",
    "999 - 000 - 0018",
])
def test_spaces_and_hyphens_are_accepted(typed: str) -> None:
    assert normalise_nhs_number(typed) == "9990000018"


@pytest.mark.hazard("H-021")
@pytest.mark.parametrize("typed", [
    "999000001A", "A990000018", "999O000018", "999.000.0018", "999/000/0018", "+9990000018",
    "999 000 00l8",
])
def test_letters_and_other_marks_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_nhs_number(typed)
    assert caught.value.field == "nhs_number"


@pytest.mark.hazard("H-021")
@given(SERIALS, st.integers(1, 9))
def test_any_wrong_check_digit_is_refused(serial: int, delta: int) -> None:
    good = synthetic_nhs_number(serial)
    bad = good[:-1] + str((int(good[-1]) + delta) % 10)
    with pytest.raises(ValidationError, match="check digit"):
        normalise_nhs_number(bad)


def test_display_form_is_three_three_four() -> None:
    assert format_nhs_number("9990000018") == "999 000 0018"
    assert format_nhs_number("12345") == "12345"  # not an NHS number: shown as typed


@pytest.mark.parametrize(("typed", "expected"), [
    (" le1 5ww ", "LE1 5WW"), ("LE15WW", "LE1 5WW"), ("ec1a 1bb", "EC1A 1BB"),
    ("w1a0ax", "W1A 0AX"), ("M1 1AE", "M1 1AE"), ("DN55 1PT", "DN55 1PT"),
])
def test_postcodes_are_capitalised_with_one_space(typed: str, expected: str) -> None:
    assert normalise_postcode(typed) == expected


@pytest.mark.parametrize("typed", ["", "LE1", "LE1 5W", "12345", "LE1 5WWW", "L E 1 5 W W X"])
def test_bad_postcodes_are_refused(typed: str) -> None:
    with pytest.raises(ValidationError) as caught:
        normalise_postcode(typed)
    assert caught.value.field == "postcode"
