"""The limits on what the funding rules accept, and the checks that hold every input.

Each check refuses a wrong type (a bool is an int, and a float would carry binary rounding
error into money), or a value outside its limits, with a ``ValidationError`` naming the
field, and returns the value checked.

Pure computation: no Qt, no database.
"""

from __future__ import annotations

import datetime as dt

from desktop_app.models.plan import Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding_money import format_pounds

MAX_RATE_PENCE_PER_HOUR = 20_000  # £200 an hour: far above any commissioned care rate
MAX_MINUTES_PER_CALL = 600
MAX_CALLS_PER_WEEK = 7 * 8
MAX_MINUTES_PER_WEEK = MAX_MINUTES_PER_CALL * MAX_CALLS_PER_WEEK
# The dearest week the limits above allow (£112,000), so a typed amount can't exceed it.
MAX_WEEKLY_PENCE = MAX_MINUTES_PER_WEEK * MAX_RATE_PENCE_PER_HOUR // 60


def check_whole(value: object, field_name: str, what: str, low: int, high: int) -> int:
    """A whole number from ``low`` to ``high``; ``what`` names it in the message."""
    # bool is an int, and a float would carry binary rounding error into money: refuse both.
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{what} must be a whole number from {low:,} to {high:,}.", field=field_name)
    return value


def check_pence(value: object, field_name: str, what: str, low: int, high: int) -> int:
    """Whole pence from ``low`` to ``high``; the message shows the limits in pounds."""
    if isinstance(value, bool) or not isinstance(value, int) or not low <= value <= high:
        raise ValidationError(
            f"{what} must be from {format_pounds(low)} to {format_pounds(high)}.",
            field=field_name)
    return value


def check_date(value: object, field_name: str, what: str) -> dt.date:
    """A date (a datetime is refused: the rules count whole days)."""
    if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
        raise ValidationError(f"Enter {what} as a date.", field=field_name)
    return value


def check_funder(value: object, field_name: str, message: str) -> Funder:
    """A ``Funder``, from the enum or its stored value; ``message`` if it is neither."""
    if isinstance(value, str) and value in Funder.__members__.values():
        return Funder(value)
    raise ValidationError(message, field=field_name)
