"""What every governance report is made of: the query, cells, sections and the report (a
section's chart is a ``chart.Chart``).

A report is data, not a widget: the Reports screen draws each section's chart and table
generically, and the CSV and PDF exporters write the same cells. A cell keeps the text a
reader sees beside the number behind it (for sorting and charts); a hidden small count has
no number at all, so nothing downstream can show what was suppressed.

Money is whole pence until it is shown; dates stay dates. No Qt here.
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass
from fractions import Fraction
from typing import Any

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding import format_pounds
from desktop_app.services.reports.chart import Chart

# How a hidden count reads: one set of words with the central store (scp_common).
from scp_common.suppression import HIDDEN_TEXT as HIDDEN_TEXT
from scp_common.suppression import SUPPRESSED_TEXT as SUPPRESSED_TEXT
from scp_common.suppression import WITHHELD_TEXT as WITHHELD_TEXT

NO_VALUE = "–"  # a figure that has no meaning here (a percentage of nothing)
MAX_PERIOD_DAYS = 366 * 5
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


class ReportKind(enum.StrEnum):
    """The seven governance reports, in the order the Reports screen lists them."""

    DELEGATIONS = "delegations"
    FUNDING = "funding"
    REVIEWS = "reviews"
    COMPETENCY = "competency"
    ESCALATIONS = "escalations"
    EQUALITY = "equality"
    PERSON_CENTRED = "person_centred"


@dataclass(frozen=True)
class ReportQuery:
    """The period (both days included) and the team (``Person.team``; None for all teams)."""

    period_start: dt.date
    period_end: dt.date
    team: str | None = None

    def __post_init__(self) -> None:
        for name in ("period_start", "period_end"):
            value = getattr(self, name)
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                raise ValidationError("Choose the period's first and last days.", field=name)
        if self.period_end < self.period_start:
            raise ValidationError("The period ends before it starts.", field="period_end")
        if (self.period_end - self.period_start).days > MAX_PERIOD_DAYS:
            raise ValidationError("Choose a period of five years or less.", field="period_end")
        team = (self.team or "").strip() or None
        object.__setattr__(self, "team", team)

    @property
    def days(self) -> int:
        """How many days the period has."""
        return (self.period_end - self.period_start).days + 1

    def as_at(self, today: dt.date) -> dt.date:
        """The day snapshots are taken on: the period's last day, or today if that is sooner
        (the first day, for a period still to come)."""
        return max(self.period_start, min(self.period_end, today))


# ---------------------------------------------------------------- cells


class CellKind(enum.StrEnum):
    """What a cell holds, so exporters and the screen can align and format it."""

    TEXT = "text"
    COUNT = "count"
    PENCE = "pence"
    PERCENT = "percent"
    DAYS = "days"
    HOURS = "hours"
    SUPPRESSED = "suppressed"  # a count of 1 to 4, shown as "<5"
    HIDDEN = "hidden"  # a larger count hidden so a suppressed one can't be worked out
    WITHHELD = "withheld"  # any count of a table too small to show safely


@dataclass(frozen=True)
class Cell:
    """One table cell: the text shown and the number behind it (None for text or hidden)."""

    text: str
    value: int | float | None = None
    kind: CellKind = CellKind.TEXT

    @property
    def numeric(self) -> bool:
        """True when the cell shows a number (right-aligned)."""
        return self.kind is not CellKind.TEXT


def label(value: object) -> Cell:
    """A text cell."""
    return Cell("" if value is None else str(value))


def count(value: int) -> Cell:
    """A whole count, shown as is."""
    return Cell(f"{value:,}", value, CellKind.COUNT)


def money(pence: int) -> Cell:
    """An amount in whole pence, shown in pounds."""
    return Cell(format_pounds(pence), pence, CellKind.PENCE)


def percent(part: int, whole: int) -> Cell:
    """``part`` of ``whole`` as a percentage to one decimal place (half up); "–" of nothing."""
    if whole <= 0:
        return Cell(NO_VALUE, None, CellKind.PERCENT)
    tenths = round_half_up(Fraction(part * 1000, whole))
    value = tenths / 10
    return Cell(f"{value:.1f}%", value, CellKind.PERCENT)


def days(value: Fraction | int | None) -> Cell:
    """A number of days to one decimal place (half up); "–" when there is none."""
    if value is None:
        return Cell(NO_VALUE, None, CellKind.DAYS)
    tenths = round_half_up(Fraction(value) * 10)
    return Cell(f"{tenths / 10:.1f}", tenths / 10, CellKind.DAYS)


def hours(minutes: int) -> Cell:
    """Minutes as hours to two decimal places (half up): 450 → "7.50"."""
    hundredths = round_half_up(Fraction(minutes * 100, 60))
    return Cell(f"{hundredths // 100}.{hundredths % 100:02d}", hundredths / 100, CellKind.HOURS)


def round_half_up(value: Fraction) -> int:
    """Nearest whole number, halves up (as ``services.funding`` rounds money)."""
    return math.floor(value + Fraction(1, 2))


Row = tuple[Cell, ...]


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class ReportSection:
    """A table with its chart. The last ``total_rows`` rows are totals (shown emphasised)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    chart: Chart | None = None
    total_rows: int = 0
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {self.title!r} does not match its columns")


@dataclass(frozen=True)
class Report:
    """One computed report, ready to draw, export as CSV or print.

    ``sections`` has at least one; ``columns``, ``rows`` and ``chart`` are the first
    section's, for a screen that shows one table. ``notes`` say how figures were counted;
    ``suppression_rule`` is set on reports that hide small numbers.
    """

    kind: ReportKind
    title: str
    query: ReportQuery
    as_at: dt.date
    produced_at: dt.datetime
    produced_by: str
    sections: tuple[ReportSection, ...]
    notes: tuple[str, ...] = ()
    suppression_rule: str | None = None

    def __post_init__(self) -> None:
        if not self.sections:
            raise ValueError("a report has at least one section")

    @property
    def period(self) -> str:
        """The period in words, "1 January 2026 to 31 March 2026"."""
        return period_words(self.query.period_start, self.query.period_end)

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        """(label, value) for each filter applied."""
        return (("Team", self.query.team or "All teams"),)

    @property
    def columns(self) -> tuple[str, ...]:
        """The first section's column headings."""
        return self.sections[0].columns

    @property
    def rows(self) -> tuple[Row, ...]:
        """The first section's rows."""
        return self.sections[0].rows

    @property
    def chart(self) -> Chart | None:
        """The first section's chart."""
        return self.sections[0].chart


# ---------------------------------------------------------------- dates in words


def day_words(day: dt.date) -> str:
    """``17 May 2026`` (month names spelt here: the process locale may not be English)."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def period_words(start: dt.date, end: dt.date) -> str:
    """``1 January 2026 to 31 March 2026``."""
    return f"{day_words(start)} to {day_words(end)}"


def months_in(start: dt.date, end: dt.date) -> list[str]:
    """The ``YYYY-MM`` keys of every month the period touches, in order."""
    keys = []
    year, month = start.year, start.month
    while (year, month) <= (end.year, end.month):
        keys.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return keys


def month_label(key: str) -> str:
    """``2026-03`` → ``Mar 2026``."""
    year, month = key.split("-")
    return f"{_MONTHS[int(month) - 1]} {year}"


def month_axis(keys: Sequence[str]) -> dict[str, Any]:
    """A chart's short month labels ("Dec", "Jan", ...) for the ``YYYY-MM`` keys, with the
    axis title that gives their years ("Dec 2025 to Dec 2026"): ``Chart(..., **month_axis(
    keys))``. Never "Dec 25", which reads as a day."""
    if not keys:
        return {}
    span = month_label(keys[0]) if len(keys) == 1 else (
        f"{month_label(keys[0])} to {month_label(keys[-1])}")
    return {"category_labels": tuple(_MONTHS[int(key[5:7]) - 1] for key in keys),
            "category_title": span}


def series_values(cells: Sequence[Cell]) -> tuple[float | None, ...]:
    """Chart values from cells: hidden and suppressed counts stay hidden (None)."""
    return tuple(None if c.value is None else float(c.value) for c in cells)


def moment_words(moment: dt.datetime) -> str:
    """``30 November 2026 at 14:05``, in this laptop's time zone for an aware time."""
    local = moment.astimezone() if moment.tzinfo else moment
    return f"{day_words(local.date())} at {local:%H:%M}"
