"""Money as whole pence: exact amounts rounded once, half-up, and typed or shown in pounds.

Money is whole pence (``int``), rates are pence per hour, percentages are basis points.
Exact values are ``Fraction`` and are rounded once, half-up: no float touches money.

Rounding rule (the lead commissioner pays the odd penny): the total is rounded half-up and
so is each share; if the rounded shares then differ from the rounded total by a penny, the
lead commissioner carries it. When both shares round down, the lead gets the leftover
penny; when both round up (an odd amount split 50/50), the other funder's share drops the
surplus penny. So the lead's share is never below its own rounding and the other's never
above, and the shares always add up exactly to the total.

Pure computation: no Qt, no database.
"""

from __future__ import annotations

import math
import re
from fractions import Fraction

from desktop_app.models.plan import Funder
from desktop_app.services.core.errors import ValidationError

WHOLE_BASIS_POINTS = 10_000  # 100.00 %
_HALF = Fraction(1, 2)


# ---------------------------------------------------------------- money arithmetic


def round_half_up(value: Fraction) -> int:
    """Nearest whole penny, halves up (not Python's round-half-even, which invoices don't use)."""
    return math.floor(value + _HALF)


def split_pence(icb_exact: Fraction, council_exact: Fraction,
                lead: Funder) -> tuple[int, int]:
    """(ICB, council) whole pence adding up to the rounded total; the lead pays the odd penny.

    ``max`` picks the lead's own rounding, or one penny more when both shares rounded down.
    """
    total = round_half_up(icb_exact + council_exact)
    lead_exact, other_exact = (
        (icb_exact, council_exact) if lead is Funder.ICB else (council_exact, icb_exact))
    lead_pence = max(round_half_up(lead_exact), total - round_half_up(other_exact))
    other_pence = total - lead_pence
    return (lead_pence, other_pence) if lead is Funder.ICB else (other_pence, lead_pence)


def minutes_cost(minutes: int, rate_pence_per_hour: int) -> Fraction:
    """The exact cost in pence of ``minutes`` at an hourly rate (not rounded)."""
    return Fraction(minutes * rate_pence_per_hour, 60)


def pro_rata(weekly_pence: int, days: int) -> int:
    """A weekly amount for a number of days, in whole pence, rounded half-up once."""
    # Rounded once at the end: a daily rate rounded first would drift by up to half a penny
    # a day, about £1.83 a year per line.
    return round_half_up(Fraction(weekly_pence * days, 7))


# ---------------------------------------------------------------- typing and showing money

_POUNDS = re.compile(r"£?(\d{1,3}(?:,\d{3})+|\d+)(?:\.(\d{1,2}))?")
_PERCENT = re.compile(r"(\d{1,3})(?:\.(\d{1,2}))?\s*%?")


def parse_pounds(text: str, field_name: str) -> int:
    """Whole pence from what a person typed ("£1,234.5" → 123450), never through a float."""
    match = _POUNDS.fullmatch((text or "").strip().replace(" ", ""))
    if not match:
        raise ValidationError("Enter an amount in pounds, such as 25.50.", field=field_name)
    pounds, pence = match.group(1).replace(",", ""), (match.group(2) or "0").ljust(2, "0")
    return int(pounds) * 100 + int(pence)


def parse_percent(text: str, field_name: str) -> int:
    """Basis points from a typed percentage with up to two decimals ("62.5" → 6250)."""
    match = _PERCENT.fullmatch((text or "").strip())
    basis_points = -1
    if match:
        basis_points = int(match.group(1)) * 100 + int((match.group(2) or "0").ljust(2, "0"))
    if not 0 <= basis_points <= WHOLE_BASIS_POINTS:
        raise ValidationError("Enter a percentage from 0 to 100, with up to two decimal "
                              "places.", field=field_name)
    return basis_points


def format_pounds(pence: int) -> str:
    """``123456`` → ``"£1,234.56"``. Amounts here are never negative; a negative is a bug."""
    if isinstance(pence, bool) or not isinstance(pence, int):
        raise TypeError("money is whole pence (int)")
    if pence < 0:
        raise ValueError("format_pounds does not show negative amounts")
    return f"£{pence // 100:,}.{pence % 100:02d}"
