"""Financial quarters: the only periods the store makes the equality report for.

Small counts hidden in two reports can be worked out from the difference between them when
their periods overlap: "1 January to 31 March" minus "1 January to 28 February" is March,
with every count the rule hid in March's own table. So on the store (where the IPCB can ask
for any number of reports) the equality report takes one granularity of fixed periods that
never overlap: the NHS financial year's quarters, April to June, July to September,
October to December and January to March. A quarter because the IPCB and its boards review
governance quarterly and the console's other reports default to three months; a whole year
would hide less (larger counts) but would tell the IPCB about a trend up to a year late.

Only a quarter that has ended is offered: the figures of a quarter still running would
change from one day to the next, and two views of it a week apart would be the same
subtraction. (A quarter that has ended can still change a little when a laptop syncs late;
every view of the report is in the store's audit trail, so repeated views can be seen.)
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

QUARTERS_OFFERED = 20  # five years of quarters, the longest period any report takes
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")
_KEY = re.compile(r"([0-9]{4})-([0-9]{2})").fullmatch
_FIRST_MONTHS = (1, 4, 7, 10)


@dataclass(frozen=True, order=True)
class Quarter:
    """One financial quarter: its first and last days (both included)."""

    start: dt.date
    end: dt.date

    @classmethod
    def containing(cls, day: dt.date) -> Quarter:
        """The quarter ``day`` falls in."""
        first_month = (day.month - 1) // 3 * 3 + 1
        start = dt.date(day.year, first_month, 1)
        following = (dt.date(day.year + 1, 1, 1) if first_month == 10
                     else dt.date(day.year, first_month + 3, 1))
        return cls(start, following - dt.timedelta(days=1))

    @classmethod
    def from_key(cls, key: str) -> Quarter | None:
        """The quarter whose key is ``key`` (``2026-01``), or None."""
        found = _KEY(key)
        if found is None or int(found[2]) not in _FIRST_MONTHS or int(found[1]) < 1:
            return None
        return cls.containing(dt.date(int(found[1]), int(found[2]), 1))

    @property
    def previous(self) -> Quarter:
        """The quarter before this one."""
        return Quarter.containing(self.start - dt.timedelta(days=1))

    @property
    def key(self) -> str:
        """``2026-01``: the year and first month (the page's choice and the address)."""
        return f"{self.start:%Y-%m}"

    @property
    def financial_year(self) -> str:
        """``2025/26``: the financial year (April to March) the quarter is in."""
        first = self.start.year if self.start.month >= 4 else self.start.year - 1
        return f"{first}/{(first + 1) % 100:02d}"

    @property
    def number(self) -> int:
        """1 (April to June) to 4 (January to March)."""
        return (self.start.month - 4) % 12 // 3 + 1

    @property
    def label(self) -> str:
        """``January to March 2026 (2025/26 quarter 4)``."""
        return (f"{_MONTH_NAMES[self.start.month - 1]} to {_MONTH_NAMES[self.end.month - 1]} "
                f"{self.end.year} ({self.financial_year} quarter {self.number})")


def ended_quarters(today: dt.date, count: int = QUARTERS_OFFERED) -> list[Quarter]:
    """The ``count`` quarters that ended before ``today``, the latest first."""
    found = [Quarter.containing(today).previous]
    while len(found) < count:
        found.append(found[-1].previous)
    return found


def offered_quarter(start: dt.date, end: dt.date, today: dt.date) -> Quarter | None:
    """The offered quarter that is exactly ``start`` to ``end``, or None."""
    return next((q for q in ended_quarters(today) if (q.start, q.end) == (start, end)), None)
