"""Report charts are legible on a 1366×768 laptop, at 100 % and at 150 % text (issue 17).

The Reports screen is shown beside a list as wide as the main window's list of screens, in
a window of 1366×768 and of 910×512 (what 150 % text leaves of 1366×768), with every
report over twelve months of the known caseload, and with a report built to be hard: ten
series with long names over thirteen months, money in millions, names too long for an
axis. The label texts are read from the charts as QtCharts drew them (its text items),
so a label it elided ("May 20...") or hid (overlapping) fails: every legend entry, axis
label and tick must be drawn in full, inside the chart. Money ticks read "£1,234", count
ticks are whole, and the colours stand out against white and from each other for readers
with colour blindness.
"""

from __future__ import annotations

import datetime as dt
import itertools
import math
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCharts import QAbstractBarSeries, QLegendMarker
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QApplication,
    QGraphicsTextItem,
    QHBoxLayout,
    QLabel,
    QListWidget,
    QTableWidget,
    QWidget,
)

from desktop_app.services import reports
from desktop_app.services.reports import Report, ReportKind, ReportQuery, ReportSection
from desktop_app.services.reports.chart import MAX_SERIES, Chart, ChartKind, ChartUnit, Series
from desktop_app.services.reports.model import (
    SUPPRESSED_TEXT,
    CellKind,
    count,
    month_axis,
    month_label,
    months_in,
    percent,
)
from desktop_app.services.reports.palette import PALETTE, contrast_with_white
from desktop_app.ui.report_charts import ZERO_WIDTH, ReportChartView
from desktop_app.ui.reports import ReportsWidget, period_dates, section_table
from desktop_app.ui.wizard.base import escape_text
from tests.services.reports.conftest import built, report_vault  # noqa: F401 (fixtures)
from tests.services.reports.dataset import TODAY

SIZES = {"1366x768": (1366, 768), "150 %": (910, 512)}
WINDOWS: list[QWidget] = []
NAV_WIDTH = 170  # the main window's list of screens; the Reports screen has the rest
ELIDED = ("...", "…")
TEXT_ITEM = 8  # QGraphicsTextItem::Type, which PySide does not name
MONEY = re.compile(r"£\d{1,3}(,\d{3})*")
COUNT = re.compile(r"\d{1,3}(,\d{3})*")


# ---------------------------------------------------------------- the hard report


def hard_report() -> Report:
    """Ten long-named series over thirteen months; money in millions; long names."""
    keys = months_in(dt.date(2025, 12, 1), dt.date(2026, 12, 31))
    names = ["Refer for NHS Continuing Healthcare", "Not delegated: Health keeps the task",
             "The person declined", "No provider has accepted the task",
             "Delegated within the existing package", "Delegated, extra time funded by the NHS",
             "Delegated, jointly funded", "Escalated to a shared care discussion",
             "Care goes ahead, funded without prejudice",
             "A social care need: nothing to delegate"]
    shorts = ["Refer for CHC", "", "Declined", "No provider", "Within package",
              "NHS-funded", "Jointly funded", "Escalated", "Interim funded", "Social care"]
    months = tuple(month_label(k) for k in keys)
    outcomes = Chart(ChartKind.STACKED_BAR, "Delegation decisions by outcome", months,
                     tuple(Series(name, tuple(float((i * 7 + j * 3) % 5) for j in range(13)),
                                  short)
                           for i, (name, short) in enumerate(zip(names, shorts, strict=True))),
                     "Decisions", **month_axis(keys))
    years = months_in(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    reviews = Chart(ChartKind.STACKED_BAR, "Reviews due over three years",
                    tuple(month_label(k) for k in years),
                    tuple(Series(state, tuple(float((i + j) % 3) for j in range(len(years))))
                          for i, state in enumerate(("Done on time", "Done late", "Overdue"))),
                    "Reviews", **month_axis(years))
    lines = Chart(ChartKind.LINE, "Discussions over the year", months,
                  (Series("Discussions opened in the month", tuple(float(j) for j in range(13))),
                   Series("Discussions closed in the month", tuple(float(j % 4) for j in
                                                                   range(13)))),
                  "Discussions", **month_axis(keys))
    funders = ("LLR Integrated Care Board", "Leicester City Council",
               "Leicestershire County Council", "Rutland County Council")
    money = Chart(ChartKind.BAR, "Period total by funder", funders,
                  (Series("Period total", (1234567.89, 98765.43, 456789.0, 12.5)),),
                  "Period total", ChartUnit.POUNDS, horizontal=True)
    places = tuple(f"{name} Community Nursing and Therapy Services Team" for name in (
        "Hinckley and Bosworth", "Melton Mowbray", "Oadby and Wigston", "North West Leics",
        "Harborough District", "Charnwood Borough", "Blaby District", "Rutland Central"))
    groups = Chart(ChartKind.STACKED_BAR, "Outcomes by team", places,
                   tuple(Series(group, tuple(float(i + g) for i in range(len(places))))
                         for g, group in enumerate(("Delegated", "Escalated to shared care",
                                                    "Not delegated", "Withdrawn"))),
                   "Decisions and withdrawals", horizontal=True)
    sections = tuple(ReportSection(chart.title, ("Name", "Total"),
                                   tuple((reports.Cell(name), reports.Cell("1", 1))
                                         for name in chart.categories), chart)
                     for chart in (outcomes, lines, reviews, money, groups))
    return Report(ReportKind.DELEGATIONS, "A hard report", ReportQuery(dt.date(2025, 12, 1),
                  dt.date(2026, 12, 31)), dt.date(2026, 12, 31),
                  dt.datetime(2026, 12, 31, 9, 0, tzinfo=dt.UTC), "Test", sections)


def nothing(query: ReportQuery) -> Report:
    """A report with a table and no chart."""
    return Report(ReportKind.DELEGATIONS, "Nothing", query, query.period_end,
                  dt.datetime(2026, 12, 31, 9, 0, tzinfo=dt.UTC), "Test",
                  (ReportSection("Nothing", ("Name",), ()),))


# ---------------------------------------------------------------- showing the screen


def now(fn: Any, done: Any, failed: Any = None) -> None:
    done(fn())


class Window(QWidget):
    """A window as large as the laptop's screen: the list of screens, then Reports."""

    reports: ReportsWidget


def screen(qtbot: Any, size: tuple[int, int], compute: Any) -> ReportsWidget:
    """The Reports screen beside a list of screens, in a window of ``size``."""
    window = Window()
    nav = QListWidget()
    nav.setFixedWidth(NAV_WIDTH)
    widget = ReportsWidget([(spec.kind, spec.title) for spec in reports.REPORTS], now, compute,
                           lambda: [], lambda _r: b"", lambda _t: (b"", None),
                           lambda *_a: None, today=lambda: TODAY)
    layout = QHBoxLayout(window)
    layout.addWidget(nav)
    layout.addWidget(widget, 1)
    window.reports = widget
    qtbot.addWidget(window)
    WINDOWS.append(window)  # kept until the test ends (qtbot closes it)
    window.resize(*size)
    window.show()
    settle()
    return widget


@pytest.fixture(autouse=True)
def _windows() -> Iterator[None]:
    yield
    WINDOWS.clear()


def settle() -> None:
    for _ in range(4):
        QApplication.processEvents()


def chart_views(widget: ReportsWidget) -> list[ReportChartView]:
    settle()
    views = widget.body.findChildren(ReportChartView)
    assert views, "no chart drawn"
    return views


def drawn_texts(view: ReportChartView) -> Iterator[tuple[str, Any]]:
    """(text, rectangle in the chart) of every text QtCharts drew: its labels and titles."""
    for item in view.scene().items():
        if item.type() == TEXT_ITEM and item.isVisible():
            text_item = item.toGraphicsObject()
            assert isinstance(text_item, QGraphicsTextItem)
            text = text_item.toPlainText().replace(ZERO_WIDTH, "")
            if text:
                yield text, text_item.sceneBoundingRect()


def check_legible(view: ReportChartView) -> None:
    """Every label drawn in full, inside the chart, nothing elided or hidden."""
    chart, fit, qchart = view.model, view.fit, view.chart()
    assert fit is not None
    drawn = dict(drawn_texts(view))
    elided = [text for text in drawn if any(mark in text for mark in ELIDED)]
    assert not elided, f"{chart.title}: elided {elided}"
    box = qchart.rect().adjusted(-1, -1, 1, 1)
    outside = [text for text, rect in drawn.items() if not box.contains(rect)]
    assert not outside, f"{chart.title}: cut at the chart's edge {outside}"
    ticks = [chart.tick_label(t) for t in fit.ticks]
    wanted = {chart.title, chart.value_axis, *ticks, *(t for t in fit.labels if t)}
    if len(view.legend_labels) > 1:
        wanted |= set(view.legend_labels)
        markers: list[QLegendMarker] = qchart.legend().markers()
        assert [m.label() for m in markers] == [escape_text(t) for t in view.legend_labels]
        assert all(m.isVisible() for m in markers)
    missing = wanted - set(drawn)
    assert not missing, f"{chart.title}: not drawn in full {missing}"
    assert view.value_axis is not None
    assert view.value_axis.categoriesLabels() == ticks


# ---------------------------------------------------------------- the tests


@pytest.mark.parametrize("kind", [spec.kind for spec in reports.REPORTS])
@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_every_report_over_twelve_months_is_drawn_in_full(qtbot, report_vault, built,  # noqa: F811
                                                          size: tuple[int, int],
                                                          kind: ReportKind) -> None:
    start, end = period_dates("Last 12 months", TODAY)

    def compute(chosen: ReportKind, query: ReportQuery) -> Report:
        if (chosen, query.period_start, query.period_end) != (kind, start, end):
            return nothing(query)  # on the way to the report wanted: not worth computing
        return reports.run_report(report_vault.uow, kind, query, today=TODAY)

    widget = screen(qtbot, size, compute)
    widget.report_combo.setCurrentIndex(widget.report_combo.findData(kind))
    widget.period_combo.setCurrentIndex(widget.period_combo.findData("Last 12 months"))
    assert widget.report is not None and widget.report.kind is kind
    assert (widget.report.query.period_start, widget.report.query.period_end) == (start, end)
    views = chart_views(widget)
    assert len(views) == sum(1 for s in widget.report.sections
                             if s.chart is not None and s.chart.categories)
    for view in views:
        check_legible(view)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_many_long_named_series_and_long_names_are_drawn_in_full(qtbot,
                                                                size: tuple[int, int]) -> None:
    hard = hard_report()
    widget = screen(qtbot, size, lambda kind, query: hard)
    views = chart_views(widget)
    assert [v.model.title for v in views] == [s.chart.title for s in hard.sections
                                              if s.chart is not None]
    for view in views:
        check_legible(view)
    outcomes, _lines, reviews_due = views[:3]
    # Ten series are drawn as seven and "Other (3)", each with its own colour.
    assert len(outcomes.legend_labels) == MAX_SERIES
    assert outcomes.legend_labels[-1] == "Other (3)"
    assert all(len(label) <= 14 for label in outcomes.legend_labels)
    assert outcomes.fit is not None and reviews_due.fit is not None
    if size == SIZES["150 %"]:
        # The legend does not fit under the chart: it is listed down the right.
        assert outcomes.fit.legend_right
        # The thirteen months do not fit across in full: "Dec", "Jan", ... with the
        # years under them.
        assert outcomes.fit.labels == outcomes.model.category_labels
    # Thirty-six months never fit: every few months is labelled, in full.
    shown = [text for text in reviews_due.fit.labels if text]
    assert shown[0] == "Jan 2024" and 3 <= len(shown) < 36
    assert set(shown) <= set(reviews_due.model.categories)


def test_the_key_under_the_chart_names_each_short_label(qtbot) -> None:
    widget = screen(qtbot, SIZES["1366x768"], lambda kind, query: hard_report())
    notes = [label.text() for label in widget.body.findChildren(QLabel)]
    key = next(note for note in notes if note.startswith("Chart labels:"))
    # No report's own labels here: the leading words of each name are used.
    assert "Not delegated = Not delegated: Health keeps the task" in key
    assert ("Other (3) = Refer for NHS Continuing Healthcare + Delegated, extra time funded "
            "by the NHS + Delegated, jointly funded") in key


def test_money_axes_read_in_pounds_with_thousands_separators(qtbot) -> None:
    widget = screen(qtbot, SIZES["1366x768"], lambda kind, query: hard_report())
    money = next(v for v in chart_views(widget) if v.model.unit is ChartUnit.POUNDS)
    assert money.value_axis is not None
    labels = money.value_axis.categoriesLabels()
    assert labels[0] == "£0" and all(MONEY.fullmatch(text) for text in labels)
    assert any("," in text for text in labels)  # £1,400,000, not £1400000 or 1.4e6
    assert set(labels) <= {text for text, _ in drawn_texts(money)}


def test_count_axes_have_whole_ticks(qtbot) -> None:
    small = Chart(ChartKind.BAR, "Themes", ("Funding", "Risk"),
                  (Series("Discussions", (3.0, 1.0)),), "Discussions", horizontal=True)
    report = hard_report()
    report = Report(report.kind, report.title, report.query, report.as_at, report.produced_at,
                    report.produced_by, (*report.sections, ReportSection("Themes", ("Theme",),
                                                                         (), small)))
    widget = screen(qtbot, SIZES["150 %"], lambda kind, query: report)
    for view in chart_views(widget):
        if view.model.unit is ChartUnit.COUNT:
            assert view.value_axis is not None
            labels = view.value_axis.categoriesLabels()
            assert all(COUNT.fullmatch(text) for text in labels), labels
            steps = {int(b.replace(",", "")) - int(a.replace(",", ""))
                     for a, b in itertools.pairwise(labels)}
            assert len(steps) == 1 and min(steps) >= 1
    themes = chart_views(widget)[-1]
    assert themes.value_axis is not None
    assert themes.value_axis.categoriesLabels() == ["0", "1", "2", "3"]  # never "2.5"


def test_the_bars_take_the_palette_colours_in_order(qtbot) -> None:
    widget = screen(qtbot, SIZES["1366x768"], lambda kind, query: hard_report())
    outcomes = chart_views(widget)[0]
    bars = outcomes.chart().series()[0]
    assert isinstance(bars, QAbstractBarSeries)
    assert [bar.color().name() for bar in bars.barSets()] == list(PALETTE)


def test_tab_skips_the_charts_and_stops_at_their_tables(qtbot) -> None:
    widget = screen(qtbot, SIZES["1366x768"], lambda kind, query: hard_report())
    assert all(v.focusPolicy() == Qt.FocusPolicy.NoFocus for v in chart_views(widget))
    tables = widget.body.findChildren(QTableWidget)
    assert tables and all(t.focusPolicy() & Qt.FocusPolicy.TabFocus for t in tables)


@pytest.mark.parametrize("size", SIZES.values(), ids=SIZES.keys())
def test_the_filters_fit_the_screen_in_one_or_two_rows(qtbot, size: tuple[int, int]) -> None:
    widget = screen(qtbot, size, lambda kind, query: hard_report())
    assert widget.minimumSizeHint().width() <= widget.width()  # nothing scrolls sideways
    report, team = widget.report_combo, widget.team_combo
    same_row = abs(report.y() - widget.period_combo.y()) < 4
    assert same_row == (size == SIZES["1366x768"])
    # Tab goes through them as they read: the report, the team, then the period.
    chain: list[QWidget] = []
    widget_at: QWidget | None = report
    while len(chain) < 3:
        assert widget_at is not None
        if widget_at.isEnabled() and widget_at.focusPolicy().value & 1:  # takes Tab
            chain.append(widget_at)
        widget_at = widget_at.nextInFocusChain()
    assert chain == [report, team, widget.period_combo]


# ---------------------------------------------------------------- the colours

# Colour vision deficiency simulated on linear RGB (Machado, Oliveira & Fernandes 2009,
# severity 1.0), then compared in CIELAB: a difference of 15 is plainly two colours.
SIMULATIONS = {
    "normal": ((1, 0, 0), (0, 1, 0), (0, 0, 1)),
    "deuteranopia": ((0.367322, 0.860646, -0.227968), (0.280085, 0.672501, 0.047413),
                     (-0.011820, 0.042940, 0.968881)),
    "protanopia": ((0.152286, 1.052583, -0.204868), (0.114503, 0.786281, 0.099216),
                   (-0.003882, -0.048116, 1.051998)),
    "tritanopia": ((1.255528, -0.076749, -0.178779), (-0.078411, 0.930809, 0.147602),
                   (0.004733, 0.691367, 0.303900)),
}


def _linear(colour: str) -> tuple[float, ...]:
    channels = [int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5)]
    return tuple(c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)


def _lab(rgb: tuple[float, ...]) -> tuple[float, float, float]:
    r, g, b = rgb
    x = (0.4124 * r + 0.3576 * g + 0.1805 * b) / 0.95047
    y = 0.2126 * r + 0.7152 * g + 0.0722 * b
    z = (0.0193 * r + 0.1192 * g + 0.9505 * b) / 1.08883

    def f(t: float) -> float:
        return t ** (1 / 3) if t > 0.008856 else 7.787 * t + 16 / 116

    return 116 * f(y) - 16, 500 * (f(x) - f(y)), 200 * (f(y) - f(z))


def seen_as(colour: str, matrix: tuple[tuple[float, ...], ...]) -> tuple[float, float, float]:
    rgb = _linear(colour)
    return _lab(tuple(min(1.0, max(0.0, sum(m * c for m, c in zip(row, rgb, strict=True))))
                      for row in matrix))


def test_the_palette_stands_out_on_white_and_each_colour_from_the_others() -> None:
    assert len(PALETTE) == MAX_SERIES == len(set(PALETTE))
    for colour in PALETTE:
        assert contrast_with_white(colour) >= 3.0, colour  # WCAG 2 for graphics
    for vision, matrix in SIMULATIONS.items():
        for one, other in itertools.combinations(PALETTE, 2):
            apart = math.dist(seen_as(one, matrix), seen_as(other, matrix))
            assert apart >= 15, f"{one} and {other} look alike with {vision} ({apart:.1f})"
    assert contrast_with_white("#ffffff") == pytest.approx(1.0)
    assert contrast_with_white("#000000") == pytest.approx(21.0)
    assert contrast_with_white("#f0e442") < 3.0  # Okabe-Ito's yellow would fail on white


def test_hidden_and_missing_figures_line_up_with_the_figures(qtbot) -> None:
    section = ReportSection("Sex", ("Sex", "Delegated", "% on time"), (
        (reports.Cell("Female"), count(12), percent(3, 4)),
        (reports.Cell("Male"), reports.Cell(SUPPRESSED_TEXT, None, CellKind.SUPPRESSED),
         percent(0, 0))))
    table = section_table(section)
    qtbot.addWidget(table)
    right = {table.item(r, c).text(): bool(table.item(r, c).textAlignment() & 0x2)
             for r in range(2) for c in range(3)}  # Qt.AlignRight
    assert right == {"Female": False, "Male": False, "12": True, "75.0%": True,
                     SUPPRESSED_TEXT: True, "–": True}
