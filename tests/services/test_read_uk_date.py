"""Reading a typed date the UK way (``services.core.dates.read_uk_date``, hazard H-020): every
form a nurse types is read day first, a two-digit year or a day that does not exist is
refused with a message saying what to type (never a silent blank), and any date from 1900 to
2200 written in each accepted way reads back as the same day. No Qt here."""

from __future__ import annotations

import datetime as dt

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop_app.services.core.dates import read_uk_date
from desktop_app.services.core.errors import ValidationError

D = dt.date
DEC_5 = D(2026, 12, 5)
MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
               "September", "October", "November", "December")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def _ordinal(day: int) -> str:
    suffix = "th" if day in (11, 12, 13) else {1: "st", 2: "nd", 3: "rd"}.get(day % 10, "th")
    return f"{day}{suffix}"


# Each accepted way of writing a day (the day, month and year as numbers or words).
WRITINGS = {
    "d/m/yyyy": lambda d: f"{d.day}/{d.month}/{d.year}",
    "dd/mm/yyyy": lambda d: f"{d.day:02d}/{d.month:02d}/{d.year}",
    "d.m.yyyy": lambda d: f"{d.day}.{d.month}.{d.year}",
    "d-m-yyyy": lambda d: f"{d.day}-{d.month}-{d.year}",
    "d m yyyy": lambda d: f"{d.day} {d.month} {d.year}",
    "ddmmyyyy": lambda d: f"{d.day:02d}{d.month:02d}{d.year}",
    "d Mon yyyy": lambda d: f"{d.day} {MONTH_NAMES[d.month - 1][:3]} {d.year}",
    "d Month yyyy": lambda d: f"{d.day} {MONTH_NAMES[d.month - 1]} {d.year}",
    "dth Month yyyy": lambda d: f"{_ordinal(d.day)} {MONTH_NAMES[d.month - 1]} {d.year}",
    "Wkd dd Mon yyyy": lambda d: (f"{WEEKDAYS[d.weekday()]} {d.day:02d} "
                                  f"{MONTH_NAMES[d.month - 1][:3]} {d.year}"),
    "D MON YYYY": lambda d: f"{d.day} {MONTH_NAMES[d.month - 1][:3].upper()} {d.year}",
    "yyyy-mm-dd": lambda d: d.isoformat(),
}


@pytest.mark.hazard("H-020")
@pytest.mark.parametrize("typed", [
    "5/12/2026", "05/12/2026", "5.12.2026", "5-12-2026", "5 12 2026", "05122026",
    "5 Dec 2026", "5 dec 2026", "5 December 2026", "5th December 2026", "5th Dec 2026",
    "Sat 5 Dec 2026", "Saturday 5 December 2026", "Sat, 5 Dec 2026", "5 Dec. 2026",
    "5-Dec-2026", "5Dec2026", "2026-12-05", "  5 / 12 / 2026  ", "5  Dec   2026",
])
def test_every_accepted_form_reads_as_the_5th_of_december(typed: str) -> None:
    assert read_uk_date(typed) == DEC_5


@pytest.mark.hazard("H-020")
def test_the_day_comes_first_always() -> None:
    assert read_uk_date("03/04/2027") == D(2027, 4, 3)
    assert read_uk_date("12/01/2027") == D(2027, 1, 12)
    assert read_uk_date("1/2/2027") == D(2027, 2, 1)
    assert read_uk_date("01022027") == D(2027, 2, 1)
    assert read_uk_date("3 Sept 2027") == D(2027, 9, 3)


def test_a_leap_day_is_read_in_a_leap_year() -> None:
    assert read_uk_date("29/02/2028") == D(2028, 2, 29)
    assert read_uk_date("29 Feb 2000") == D(2000, 2, 29)


@pytest.mark.parametrize("typed", ["", "   ", "\t"])
def test_a_blank_is_no_date(typed: str) -> None:
    assert read_uk_date(typed, "done_on") is None


@pytest.mark.hazard("H-020")
@pytest.mark.parametrize(("typed", "words"), [
    ("5/12/26", "year in full"),  # a two-digit year: 1926 or 2026?
    ("05/12/26", "year in full"),
    ("051226", "year in full"),
    ("5 Dec 26", "year in full"),
    ("5/12/02026", "year in full"),
    ("5/12/0000", "year"),  # there was no year 0
    ("31/02/2027", "check the day"),
    ("29/02/2027", "check the day"),
    ("0/12/2026", "check the day"),
    ("32/01/2027", "check the day"),
    ("2027-02-30", "check the day"),
    ("5/13/2026", "no such month"),  # month first (US): refused, never swapped round
    ("12/31/2026", "no such month"),
    ("5 Dcm 2026", "month cannot be read"),
    ("tomorrow", "day/month/year"),
    ("2026/12/05", "day/month/year"),
    ("5/12", "day/month/year"),
    ("5122026", "day/month/year"),  # seven digits: which is the day, which the month?
    ("5th", "day/month/year"),
])
def test_what_is_not_a_date_is_refused_saying_what_to_type(typed: str, words: str) -> None:
    with pytest.raises(ValidationError, match=words) as refused:
        read_uk_date(typed, "checklist_date")
    assert refused.value.field == "checklist_date"
    # The message never repeats what was typed (a date of birth is patient data).
    assert typed.strip() not in refused.value.message


def test_a_refusal_without_a_field_names_none() -> None:
    with pytest.raises(ValidationError) as refused:
        read_uk_date("31/02/2027")
    assert refused.value.field is None


@pytest.mark.hazard("H-020")
@given(day=st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)),
       writing=st.sampled_from(sorted(WRITINGS)))
def test_any_date_written_any_accepted_way_reads_back_the_same(day: dt.date,
                                                               writing: str) -> None:
    assert read_uk_date(WRITINGS[writing](day)) == day


@pytest.mark.hazard("H-020")
@given(day=st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)))
def test_a_day_and_month_that_could_swap_are_read_day_first(day: dt.date) -> None:
    """03/04/2027 is 3 April: whenever both numbers could be a month, the first is the day,
    in every numeric form."""
    for writing in ("d/m/yyyy", "dd/mm/yyyy", "d.m.yyyy", "d-m-yyyy", "ddmmyyyy"):
        read = read_uk_date(WRITINGS[writing](day))
        assert read is not None
        assert (read.day, read.month) == (day.day, day.month)


@given(day=st.dates(min_value=D(1900, 1, 1), max_value=D(2200, 12, 31)))
def test_the_year_written_with_two_digits_is_always_refused(day: dt.date) -> None:
    for typed in (f"{day.day}/{day.month}/{day.year % 100:02d}",
                  f"{day.day:02d}{day.month:02d}{day.year % 100:02d}",
                  f"{day.day} {MONTH_NAMES[day.month - 1][:3]} {day.year % 100:02d}"):
        with pytest.raises(ValidationError, match="year"):
            read_uk_date(typed)


@pytest.mark.hazard("H-020")
@pytest.mark.parametrize("typed", ["20120512", "1/1/1899", "1/1/2201", "1/1/0000"])
def test_a_year_no_record_here_can_have_is_refused_not_read_in_another_order(typed: str) -> None:
    """20120512 typed year first is not 20 December 512: the years a date here can have
    (1900 to 2200) are said instead."""
    with pytest.raises(ValidationError, match="Check the year"):
        read_uk_date(typed)
