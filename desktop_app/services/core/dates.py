"""Reading a date as a nurse types it, in the UK order (hazard H-020).

``read_uk_date`` accepts what people write on paper and in other NHS systems, always day
first: ``5/12/2026``, ``05/12/2026``, ``5.12.2026``, ``5-12-2026``, ``5 12 2026``,
``05122026`` (eight digits), ``5 Dec 2026``, ``5th December 2026``, ``Sat 5 Dec 2026`` (as
plans print it) and the ISO ``2026-12-05``. The year is always written in full: ``5/12/26``
is refused rather than guessed (a two-digit year read as the wrong century is the hazard).
Anything else, or a day that does not exist (``31/02/2027``), raises ``ValidationError``
with a message saying what to type, never a silent blank (the message never repeats what
was typed: a date of birth is patient data, and messages may be logged). No Qt here: the
date fields of every screen (``desktop_app.ui.forms``) and the tests use the same reading.
"""

from __future__ import annotations

import calendar
import datetime as dt
import re

from desktop_app.services.core.errors import ValidationError

__all__ = ["FIRST_YEAR", "LAST_YEAR", "MONTHS", "read_uk_date"]

#: No date the app records is before 1900 (a date of birth is at most 130 years back) or
#: after 2200; outside, the digits were typed in another order (20120512 is not 20/12/0512).
FIRST_YEAR, LAST_YEAR = 1900, 2200

MONTHS = {name: number for number, names in enumerate(
    [("jan", "january"), ("feb", "february"), ("mar", "march"), ("apr", "april"),
     ("may",), ("jun", "june"), ("jul", "july"), ("aug", "august"),
     ("sep", "sept", "september"), ("oct", "october"), ("nov", "november"),
     ("dec", "december")], start=1) for name in names}
_WEEKDAY = r"(?:(mon|tue|wed|thu|fri|sat|sun)[a-z]*,?\s+)?"
_WEEKDAYS = ("mon", "tue", "wed", "thu", "fri", "sat", "sun")
_NUMBERS = re.compile(r"^(\d{1,2})\s*[/.\-\s]\s*(\d{1,2})\s*[/.\-\s]\s*(\d+)$")
_EIGHT = re.compile(r"^(\d{2})(\d{2})(\d{4})$")
_ISO = re.compile(r"^(\d{4})-(\d{1,2})-(\d{1,2})$")
_WORDS = re.compile(_WEEKDAY + r"(\d{1,2})(?:st|nd|rd|th)?\s*[\s\-/.]?\s*([a-z]+)\.?,?"
                    r"\s*[\s\-/.]?\s*(\d+)$")
_SHORT_NUMBERS = re.compile(r"^\d{6}$")


def _refuse(message: str, field: str | None) -> ValidationError:
    return ValidationError(message, field=field)


def _parts(text: str, field: str | None) -> tuple[int, int, str, int | None]:
    """Day, month, the year as typed (its length is checked by the caller) and the day of
    the week if one was written (Monday 0)."""
    if found := _ISO.fullmatch(text):
        return int(found[3]), int(found[2]), found[1], None
    if found := _EIGHT.fullmatch(text):
        return int(found[1]), int(found[2]), found[3], None
    if found := _NUMBERS.fullmatch(text):
        return int(found[1]), int(found[2]), found[3], None
    if found := _WORDS.fullmatch(text.lower()):
        month = MONTHS.get(found[3])
        if month is None:
            raise _refuse("The month cannot be read: write the date as day/month/year, "
                          "for example 31/01/2027 or 31 Jan 2027.", field)
        weekday = _WEEKDAYS.index(found[1]) if found[1] else None
        return int(found[2]), month, found[4], weekday
    if _SHORT_NUMBERS.fullmatch(text):
        raise _refuse("Write the year in full, for example 05/12/2026 or 05122026 "
                      "(a two-digit year could be read in the wrong century).", field)
    raise _refuse("Write the date as day/month/year, for example 31/01/2027 or "
                  "31 Jan 2027.", field)


def read_uk_date(text: str, field: str | None = None) -> dt.date | None:
    """The date ``text`` means, read day first; None when it is blank. ``field`` is the
    name a refusal gives (so a form can show the message beside it)."""
    cleaned = " ".join(text.strip().split())
    if not cleaned:
        return None
    day, month, year, weekday = _parts(cleaned, field)
    if len(year) != 4:
        raise _refuse("Write the year in full, four digits such as 2026 (a short year "
                      "could be read in the wrong century).", field)
    if not FIRST_YEAR <= int(year) <= LAST_YEAR:
        raise _refuse(f"Check the year: a date here is between {FIRST_YEAR} and {LAST_YEAR} "
                      "(day/month/year, the year in full).", field)
    if not 1 <= month <= 12:
        raise _refuse("There is no such month: write the day first, then the month "
                      "(day/month/year).", field)
    last = calendar.monthrange(int(year), month)[1]
    if not 1 <= day <= last:
        raise _refuse(f"{calendar.month_name[month]} {int(year)} has {last} days: check the "
                      "day and the month (day/month/year).", field)
    read = dt.date(int(year), month, day)
    if weekday is not None and weekday != read.weekday():
        raise _refuse(f"That date is a {read:%A}, not a {calendar.day_name[weekday]}: check "
                      "the day and the month (day/month/year).", field)
    return read
