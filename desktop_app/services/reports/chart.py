"""A report section's chart: what the Reports screen (``ui.report_charts``) and the PDF
(``pdf.charts``) both draw, so they draw the same.

Each series has its full name (as in the table) and a short legend label; the chart has
its unit ("count" or "pounds"), its round whole ticks and, for a narrow axis, shorter
category labels with a title saying what they leave out. More series than the palette has
colours are folded into "Other". No Qt and no reportlab here.
"""

from __future__ import annotations

import enum
import math
from collections.abc import Iterator, Sequence
from dataclasses import dataclass, replace

SHORT_MAX = 14  # the most characters of a series' legend label
CATEGORY_MAX = 30  # the most characters of a category's axis label (longer names are cut)
MAX_SERIES = 8  # the most series a chart draws (one per palette colour); more are folded
OTHER = "Other"
_TRAILING = {"a", "an", "and", "by", "for", "in", "of", "or", "the", "to", "with"}


class ChartKind(enum.StrEnum):
    """How the screen draws a section's chart."""

    BAR = "bar"
    STACKED_BAR = "stacked_bar"
    LINE = "line"
    PIE = "pie"


class ChartUnit(enum.StrEnum):
    """What the values count, so the value axis is labelled alike on the screen and paper."""

    COUNT = "count"  # whole things: ticks at whole numbers ("1,200"), never 2.5 decisions
    POUNDS = "pounds"  # money, shown in whole pounds ("£1,234"); the table keeps the pence


def abbreviate(name: str, limit: int = SHORT_MAX) -> str:
    """The leading words of ``name`` that fit in ``limit`` characters (never cut mid-word
    unless the first word alone is longer), without a trailing comma or colon."""
    text = " ".join(name.split())
    if len(text) <= limit:
        return text
    short = ""
    for word in text.split(" "):
        longer = f"{short} {word}".strip()
        if len(longer) > limit:
            break
        short = longer
    words = short.rstrip(",;:–- ").split(" ")
    while len(words) > 1 and words[-1].casefold() in _TRAILING:
        words.pop()
    return " ".join(words) or text[:limit]


@dataclass(frozen=True)
class Series:
    """One named series: a value per category (None where the value is hidden or absent).

    ``short`` is its legend label, at most ``SHORT_MAX`` characters, read without a key
    where possible ("Refer for CHC"); the full ``name`` stays in the table, and the chart's
    ``key`` says which is which. Left empty, it is the name's leading words.
    """

    name: str
    values: tuple[float | None, ...]
    short: str = ""

    def __post_init__(self) -> None:
        short = " ".join(self.short.split()) or abbreviate(self.name)
        if len(short) > SHORT_MAX:
            raise ValueError(f"the legend label {short!r} is longer than {SHORT_MAX}")
        object.__setattr__(self, "short", short)

    @property
    def total(self) -> float:
        """The sum of the values shown (hidden ones count as nothing)."""
        return sum(v or 0 for v in self.values)


@dataclass(frozen=True)
class Chart:
    """What to draw: categories along the axis (pie: the slices), one or more series.

    A pie has exactly one series. ``value_axis`` names what is counted ("Decisions");
    ``unit`` says how its ticks read ("12", "£1,234"). ``horizontal`` bars run across with
    the categories listed down the side, for names that need the room (providers, funders,
    themes); months stay along the bottom. ``category_labels`` are shorter axis labels for
    a narrow chart ("Dec", "Jan", ...: ``month_axis``), with ``category_title`` for the
    axis saying what they leave out (the years); if none are given, a name longer than
    ``CATEGORY_MAX`` is cut to its leading words (and the key says so). More than
    ``MAX_SERIES`` series are drawn as the largest ``MAX_SERIES - 1`` and "Other (n)",
    the rest added together (the table keeps each); legend labels are made unique.
    """

    kind: ChartKind
    title: str
    categories: tuple[str, ...]
    series: tuple[Series, ...]
    value_axis: str
    unit: ChartUnit = ChartUnit.COUNT
    horizontal: bool = False
    category_labels: tuple[str, ...] = ()
    category_title: str = ""

    def __post_init__(self) -> None:
        for series in self.series:
            if len(series.values) != len(self.categories):
                raise ValueError(f"series {series.name!r} does not match the categories")
        if self.kind is ChartKind.PIE and len(self.series) != 1:
            raise ValueError("a pie chart has exactly one series")
        if self.category_labels and len(self.category_labels) != len(self.categories):
            raise ValueError("the axis labels do not match the categories")
        object.__setattr__(self, "series", _unique_shorts(_folded(self.series)))
        if not self.category_labels and any(len(c) > CATEGORY_MAX for c in self.categories):
            object.__setattr__(self, "category_labels", _unique(
                [abbreviate(c, CATEGORY_MAX) for c in self.categories], CATEGORY_MAX))

    @property
    def axis_labels(self) -> tuple[str, ...]:
        """The shorter axis labels (the categories if there are none)."""
        return self.category_labels or self.categories

    def label_choices(self) -> Iterator[tuple[str, ...]]:
        """The labels along the axis to try, best first, until one fits: the names; the
        short labels (for at most 13 months, when no month name but the first and the last
        comes twice: the axis title gives their years); then every second name, every
        third, ... (the others blank), so a long period is labelled but never crowded."""
        yield self.categories
        if self.category_labels and len(self.categories) <= 13:
            yield self.category_labels
        for every in range(2, len(self.categories) + 1):
            yield tuple(c if i % every == 0 else "" for i, c in enumerate(self.categories))

    @property
    def top(self) -> float:
        """The largest value drawn: a whole stack's for stacked bars."""
        if self.kind is ChartKind.STACKED_BAR:
            return max((sum(s.values[i] or 0 for s in self.series)
                        for i in range(len(self.categories))), default=0.0)
        return max((v or 0 for s in self.series for v in s.values), default=0.0)

    def ticks(self, most: int = 6) -> tuple[float, ...]:
        """The value axis's ticks, from 0 (``value_ticks``)."""
        return value_ticks(self.top, most)

    def tick_label(self, value: float) -> str:
        """A tick as the axis shows it: "1,200" or "£1,200"."""
        whole = f"{round(value):,}"
        return f"£{whole}" if self.unit is ChartUnit.POUNDS else whole

    @property
    def key(self) -> tuple[tuple[str, str], ...]:
        """(label, full name) for each series whose legend label is not its name, and each
        category whose name was too long for the axis."""
        cut = tuple((short, name) for short, name in zip(self.axis_labels, self.categories,
                                                         strict=True)
                    if len(name) > CATEGORY_MAX and short != name)
        return (*((s.short, s.name) for s in self.series if s.short != s.name), *cut)

    @property
    def key_note(self) -> str | None:
        """The key in words, for under the chart; None when every label is the name."""
        if not self.key:
            return None
        return "Chart labels: " + "; ".join(f"{short} = {name}" for short, name in self.key) + "."


def value_ticks(top: float, most: int = 6) -> tuple[float, ...]:
    """Ticks from 0 past ``top`` at a round whole step (1, 2 or 5 × 10ⁿ), at most ``most``
    steps: whole numbers only, so a count never reads 2.5 and money reads whole pounds."""
    top, most = max(float(top), 0.0), max(1, most)
    magnitude = 1
    while True:
        for step in (magnitude, 2 * magnitude, 5 * magnitude):
            steps = max(1, math.ceil(top / step))
            if steps <= most:
                return tuple(float(step * i) for i in range(steps + 1))
        magnitude *= 10


def _folded(series: tuple[Series, ...]) -> tuple[Series, ...]:
    """The largest ``MAX_SERIES - 1`` series in their order, then the rest added together
    as "Other (n)", named "A + B" (hidden where any of them is hidden: a hidden count is
    never added to another)."""
    if len(series) <= MAX_SERIES:
        return series
    ranked = sorted(range(len(series)), key=lambda i: (-series[i].total, i))
    kept = sorted(ranked[:MAX_SERIES - 1])
    rest = [series[i] for i in sorted(ranked[MAX_SERIES - 1:])]
    values = tuple(None if any(s.values[c] is None for s in rest)
                   else float(sum(s.values[c] or 0 for s in rest))
                   for c in range(len(rest[0].values)))
    other = Series(" + ".join(s.name for s in rest), values, f"{OTHER} ({len(rest)})")
    return (*(series[i] for i in kept), other)


def _unique(labels: Sequence[str], limit: int) -> tuple[str, ...]:
    """The labels made unique by a number ("Delegated 2"), each still within ``limit``."""
    seen: set[str] = set()
    unique: list[str] = []
    for wanted in labels:
        label_, number = wanted, 2
        while label_.casefold() in seen:
            suffix = f" {number}"
            label_ = wanted[:limit - len(suffix)].rstrip() + suffix
            number += 1
        seen.add(label_.casefold())
        unique.append(label_)
    return tuple(unique)


def _unique_shorts(series: tuple[Series, ...]) -> tuple[Series, ...]:
    """The series with legend labels made unique."""
    shorts = _unique([s.short for s in series], SHORT_MAX)
    return tuple(s if short == s.short else replace(s, short=short)
                 for s, short in zip(series, shorts, strict=True))
