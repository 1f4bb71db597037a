"""Checking and formatting the identifiers people type: NHS numbers and postcodes.

The NHS number check (modulus 11) uses the maintained ``nhs-number`` package. Test and
demo data use the 999 range, which no real patient holds.
"""

from __future__ import annotations

import re

from nhs_number.validate import is_valid as nhs_number_is_valid

from desktop_app.services.core.errors import ValidationError

_POSTCODE = re.compile(r"^([A-Z]{1,2}\d[A-Z\d]?)\s*(\d[A-Z]{2})$")


def normalise_nhs_number(typed: str) -> str:
    """Ten digits with spaces and hyphens removed; ValidationError if not a valid number."""
    digits = re.sub(r"[\s-]", "", typed or "")
    if not digits:
        raise ValidationError("Enter the NHS number.", field="nhs_number")
    if not (digits.isascii() and digits.isdigit()) or len(digits) != 10:
        raise ValidationError("An NHS number has 10 digits, for example 943 476 5919.",
                              field="nhs_number")
    if not nhs_number_is_valid(digits):
        raise ValidationError(
            "That NHS number fails its check digit; please check it against the letter or "
            "the GP record.", field="nhs_number")
    return digits


def format_nhs_number(digits: str) -> str:
    """The NHS's display form: ``943 476 5919``."""
    return f"{digits[:3]} {digits[3:6]} {digits[6:]}" if len(digits) == 10 else digits


def normalise_postcode(typed: str) -> str:
    """A UK postcode in capitals with one space (``LE1 5WW``); ValidationError otherwise."""
    compact = re.sub(r"\s+", "", (typed or "").upper())
    match = _POSTCODE.match(compact)
    if not match:
        raise ValidationError("Enter a UK postcode such as LE1 5WW.", field="postcode")
    return f"{match.group(1)} {match.group(2)}"


def _check_digit(body: str) -> int:
    total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
    return (11 - total % 11) % 11  # 11 becomes 0; 10 means "no valid number"


def synthetic_nhs_number(serial: int) -> str:
    """A valid, unique NHS number in the 999 range for tests and demos (serial < 500,000).

    Serial ``s`` uses body ``2s`` or ``2s + 1``: their check values differ by 2, so at
    least one of the pair is valid, and pairs never overlap.
    """
    if not 0 <= serial < 500_000:
        raise ValueError("serial out of range")
    for body_number in (2 * serial, 2 * serial + 1):
        body = f"999{body_number:06d}"
        check = _check_digit(body)
        if check != 10:
            return body + str(check)
    raise AssertionError("unreachable: one of each pair has a valid check digit")
