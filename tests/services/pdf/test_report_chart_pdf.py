"""The report PDF draws each section's chart, the one the Reports screen shows (issue 17):
reportlab's own charts from the same ``Chart``, with the same short labels, ticks and
colours, and the key under it; read back from the PDF as text and as drawing operators."""

from __future__ import annotations

import datetime as dt
import io

import pytest
from pypdf import PdfReader
from reportlab.graphics.charts.barcharts import BarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.shapes import Drawing
from reportlab.lib.rl_accel import fp_str

from desktop_app.services.pdf.charts import chart_drawing
from desktop_app.services.pdf.report import render_report_pdf
from desktop_app.services.reports.chart import Chart, ChartKind, ChartUnit, Series
from desktop_app.services.reports.delegations import OUTCOME_SHORT, outcome_title
from desktop_app.services.reports.model import (
    Cell,
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    month_axis,
    month_label,
    months_in,
)
from desktop_app.services.reports.palette import PALETTE
from tests.services.pdf.pdf_text import flat, page_texts

KEYS = months_in(dt.date(2025, 12, 1), dt.date(2026, 12, 7))
MONTHS = tuple(month_label(k) for k in KEYS)


def outcomes_chart() -> Chart:
    return Chart(ChartKind.STACKED_BAR, "Delegation decisions by outcome", MONTHS,
                 tuple(Series(outcome_title(code), tuple(float((i + j) % 3) for j in
                                                         range(len(MONTHS))), short)
                       for i, (code, short) in enumerate(list(OUTCOME_SHORT.items())[:6])),
                 "Decisions", **month_axis(KEYS))


def funders_chart() -> Chart:
    return Chart(ChartKind.BAR, "Period total by funder",
                 ("LLR ICB", "Leicester City Council", "Leicestershire County Council"),
                 (Series("Period total", (70836.85, 6811.0, 14342.3)),), "Period total",
                 ChartUnit.POUNDS, horizontal=True)


def report_of(*charts: Chart) -> Report:
    sections = tuple(ReportSection(chart.title, ("Name", "Total"),
                                   tuple((Cell(name), Cell("1", 1)) for name in
                                         chart.categories), chart) for chart in charts)
    return Report(ReportKind.DELEGATIONS, "Delegations by outcome and task category",
                  ReportQuery(dt.date(2025, 12, 1), dt.date(2026, 12, 7)), dt.date(2026, 12, 7),
                  dt.datetime(2026, 12, 7, 9, 0, tzinfo=dt.UTC), "Terry Teamlead", sections)


def parts(drawing: Drawing) -> tuple[BarChart, Legend | None]:
    bars = next(item for item in drawing.contents if isinstance(item, BarChart))
    legend = next((item for item in drawing.contents if isinstance(item, Legend)), None)
    return bars, legend


def fill(colour: str) -> bytes:
    """The PDF operator that fills with ``#rrggbb``, as reportlab writes it."""
    return fp_str(*(int(colour[i:i + 2], 16) / 255 for i in (1, 3, 5))).encode() + b" rg"


def test_the_report_pdf_draws_each_chart_with_its_short_labels_ticks_and_key() -> None:
    outcomes, funders = outcomes_chart(), funders_chart()
    pdf = render_report_pdf(report_of(outcomes, funders))
    text = flat(" ".join(page_texts(pdf)))
    for chart in (outcomes, funders):
        assert chart.title in text
        for tick in chart.ticks():
            assert chart.tick_label(tick) in text
    for series in outcomes.series:  # the legend, as on the screen
        assert series.short in text
    assert "£20,000" in text and "£80,000" in text
    # The key under the chart: which short label is which full name.
    assert ("Chart labels: Refer for CHC = Refer for NHS Continuing Healthcare; Social care "
            "= A social care need: nothing to delegate;") in text
    # Thirteen months do not fit across A4 in full: "Dec", "Jan", ... and their years.
    assert "Dec 2025 to Dec 2026" in text
    # The bars are drawn (filled rectangles), in the palette's colours.
    drawn = b"".join(page.get_contents().get_data()
                     for page in PdfReader(io.BytesIO(pdf)).pages)
    for colour in PALETTE[:len(outcomes.series)]:
        assert fill(colour) in drawn, colour
    assert drawn.count(b" re") > len(MONTHS) * 2


def test_the_drawing_takes_the_screens_labels_ticks_and_colours() -> None:
    chart = outcomes_chart()
    bars, legend = parts(chart_drawing(chart))
    assert legend is not None
    assert [name for _, name in legend.colorNamePairs] == [s.short for s in chart.series]
    assert [colour.hexval() for colour, _ in legend.colorNamePairs] == [
        "0x" + c[1:] for c in PALETTE[:len(chart.series)]]
    assert bars.valueAxis.valueSteps == list(chart.ticks())
    assert bars.categoryAxis.style == "stacked"
    money = funders_chart()
    bars, legend = parts(chart_drawing(money))
    assert legend is None  # one series: the title says what it is
    assert [bars.valueAxis.labelTextFormat(t) for t in bars.valueAxis.valueSteps] == [
        "£0", "£20,000", "£40,000", "£60,000", "£80,000"]
    assert list(bars.categoryAxis.categoryNames) == list(money.categories)  # in full


def test_a_long_period_labels_every_few_months_in_full() -> None:
    keys = months_in(dt.date(2024, 1, 1), dt.date(2026, 12, 31))
    chart = Chart(ChartKind.BAR, "Opened", tuple(month_label(k) for k in keys),
                  (Series("Opened", tuple(1.0 for _ in keys)),), "Discussions",
                  **month_axis(keys))
    bars, _ = parts(chart_drawing(chart))
    names = list(bars.categoryAxis.categoryNames)
    shown = [name for name in names if name]
    assert names[0] == "Jan 2024" and 3 <= len(shown) < len(keys)
    assert set(shown) <= set(chart.categories)


@pytest.mark.hazard("H-028")
def test_a_hidden_small_count_draws_nothing_in_the_pdf_chart() -> None:
    chart = Chart(ChartKind.STACKED_BAR, "Outcomes by sex", ("Female", "Male", "Not recorded"),
                  (Series("Delegated", (12.0, None, 9.0)),
                   Series("Escalated to shared care", (None, None, 6.0), "Escalated")),
                  "Decisions and withdrawals", horizontal=True)
    bars, _ = parts(chart_drawing(chart))
    assert bars.data == [(12.0, None, 9.0), (None, None, 6.0)]  # never a number for "<5"
    pdf = render_report_pdf(report_of(chart))
    assert "Outcomes by sex" in flat(" ".join(page_texts(pdf)))
