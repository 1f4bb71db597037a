"""What a report across teams is made of on the store: the query, cells, sections, the report.

The store cannot import the desktop app, so this is a model of its own, shaped like the
laptop's (``desktop_app/services/reports/model.py``): a cell keeps the text a reader sees
beside the number behind it, and a hidden small count has no number at all, so neither
the page nor the CSV can show what was suppressed. The figures are formatted exactly as
the laptop formats them (a test compares the two reports cell by cell), so a team lead and
the IPCB read the same "£1,234.56", "12.5%" and "<5".
"""

from __future__ import annotations

import datetime as dt
import enum
import math
from collections.abc import Sequence
from dataclasses import dataclass, field
from fractions import Fraction

from scp_common.suppression import HIDDEN_TEXT, SUPPRESSED_TEXT, WITHHELD_TEXT, Mark

NO_VALUE = "–"  # a figure that has no meaning here (a percentage of nothing)
MAX_PERIOD_DAYS = 366 * 5
ALL_TEAMS = "All teams"
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
_MONTH_NAMES = ("January", "February", "March", "April", "May", "June", "July", "August",
                "September", "October", "November", "December")


class ReportError(ValueError):
    """A report asked for with a period or team that cannot be used; the message is for
    the reader and ``field`` names the form field to fix."""

    def __init__(self, message: str, field: str) -> None:
        super().__init__(message)
        self.message = message
        self.field = field


@dataclass(frozen=True)
class StoreReportQuery:
    """The period (both days included) and the store team (None for every team).

    The team is the store's team whose laptops synced the records (``record.team_id``),
    the team an IT admin enrols laptops into; ``team_name`` is its name for the header.
    """

    period_start: dt.date
    period_end: dt.date
    team_id: str | None = None
    team_name: str | None = None

    def __post_init__(self) -> None:
        for name in ("period_start", "period_end"):
            value = getattr(self, name)
            if isinstance(value, dt.datetime) or not isinstance(value, dt.date):
                raise ReportError("Choose the period's first and last days.", name)
        if self.period_end < self.period_start:
            raise ReportError("The period ends before it starts.", "period_end")
        if (self.period_end - self.period_start).days > MAX_PERIOD_DAYS:
            raise ReportError("Choose a period of five years or less.", "period_end")

    @property
    def team_label(self) -> str:
        """The team filter in words."""
        return ALL_TEAMS if self.team_id is None else (self.team_name or self.team_id)

    def as_at(self, today: dt.date) -> dt.date:
        """The day snapshots are taken on: the period's last day, or today if that is sooner
        (the first day, for a period still to come): the laptop's rule."""
        return max(self.period_start, min(self.period_end, today))


# ---------------------------------------------------------------- cells


class CellKind(enum.StrEnum):
    """What a cell holds (the laptop's kinds), so the page and the CSV align and write it."""

    TEXT = "text"
    COUNT = "count"
    PENCE = "pence"
    PERCENT = "percent"
    DAYS = "days"
    HOURS = "hours"
    SUPPRESSED = "suppressed"  # a count of 1 to 4, shown as "<5"
    HIDDEN = "hidden"  # a larger count hidden so a suppressed one can't be worked out
    WITHHELD = "withheld"  # any count of a table too small to show safely


HIDDEN_KINDS = frozenset({CellKind.SUPPRESSED, CellKind.HIDDEN, CellKind.WITHHELD})


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

    @property
    def suppressed(self) -> bool:
        """True when the number is hidden by the small-number rule."""
        return self.kind in HIDDEN_KINDS


_HIDDEN_CELLS = {Mark.PRIMARY: Cell(SUPPRESSED_TEXT, None, CellKind.SUPPRESSED),
                 Mark.SECONDARY: Cell(HIDDEN_TEXT, None, CellKind.HIDDEN),
                 Mark.WITHHELD: Cell(WITHHELD_TEXT, None, CellKind.WITHHELD)}


def label(value: object) -> Cell:
    """A text cell."""
    return Cell("" if value is None else str(value))


def count(value: int) -> Cell:
    """A whole count, shown as is."""
    return Cell(f"{value:,}", value, CellKind.COUNT)


def marked(value: int, mark: Mark) -> Cell:
    """A count as the small-number rule shows it (hidden ones carry no value)."""
    return count(value) if mark is Mark.SHOWN else _HIDDEN_CELLS[mark]


def money(pence: int) -> Cell:
    """An amount in whole pence, shown in pounds (``123456`` → ``£1,234.56``)."""
    return Cell(f"£{pence // 100:,}.{pence % 100:02d}", pence, CellKind.PENCE)


def percent(part: int, whole: int) -> Cell:
    """``part`` of ``whole`` as a percentage to one decimal place (half up); "–" of nothing."""
    if whole <= 0:
        return Cell(NO_VALUE, None, CellKind.PERCENT)
    value = round_half_up(Fraction(part * 1000, whole)) / 10
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
    """Nearest whole number, halves up (as the laptop rounds money)."""
    return math.floor(value + Fraction(1, 2))


Row = tuple[Cell, ...]


# ---------------------------------------------------------------- the report


@dataclass(frozen=True)
class Section:
    """A table. The last ``total_rows`` rows are totals (shown emphasised)."""

    title: str
    columns: tuple[str, ...]
    rows: tuple[Row, ...]
    total_rows: int = 0
    notes: tuple[str, ...] = ()

    def __post_init__(self) -> None:
        for row in self.rows:
            if len(row) != len(self.columns):
                raise ValueError(f"a row of {self.title!r} does not match its columns")

    @property
    def has_suppressed(self) -> bool:
        """True when some number of the table is hidden."""
        return any(cell.suppressed for row in self.rows for cell in row)


@dataclass(frozen=True)
class StoreReport:
    """One report over the records every team's laptops synced, ready to show or export."""

    name: str
    title: str
    query: StoreReportQuery
    as_at: dt.date
    produced_at: dt.datetime
    produced_by: str
    sections: tuple[Section, ...]
    notes: tuple[str, ...] = ()
    suppression_rule: str | None = None
    teams: tuple[str, ...] = field(default=())  # the teams counted, by name

    @property
    def period(self) -> str:
        """The period in words, "1 January 2026 to 31 March 2026"."""
        return period_words(self.query.period_start, self.query.period_end)

    @property
    def filters(self) -> tuple[tuple[str, str], ...]:
        """(label, value) for each filter applied."""
        return (("Team", self.query.team_label),)


# ---------------------------------------------------------------- dates in words


def day_words(day: dt.date) -> str:
    """``17 May 2026`` (month names spelt here: the server's locale may not be English)."""
    return f"{day.day} {_MONTH_NAMES[day.month - 1]} {day.year}"


def period_words(start: dt.date, end: dt.date) -> str:
    """``1 January 2026 to 31 March 2026``."""
    return f"{day_words(start)} to {day_words(end)}"


def moment_words(moment: dt.datetime) -> str:
    """``30 November 2026 at 14:05 UTC``: the store keeps and shows UTC."""
    utc = moment.astimezone(dt.UTC) if moment.tzinfo else moment
    return f"{day_words(utc.date())} at {utc:%H:%M} UTC"


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


def sum_columns(rows: Sequence[Sequence[int]], width: int) -> list[int]:
    """Column totals of rows of counts."""
    return [sum(row[i] for row in rows) for i in range(width)]
