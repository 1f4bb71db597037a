"""A report's chart in the PDF, drawn with reportlab's own charts from the same ``Chart`` the
Reports screen draws (``desktop_app.ui.report_charts``).

Same colours (``reports.palette``), same short legend labels, same value ticks ("£1,234",
whole numbers for counts, from ``Chart.ticks``), bars across for named categories and
along the months otherwise, and under the chart the key saying which short label is which
full name. Months are written in full when they fit the page, else as "Dec", "Jan", ...
with their years under the axis, else every few months in full
(``Chart.label_choices``, as on the screen). A hidden small count is None in the
chart and draws nothing. Text is set in the documents' font (DejaVu Sans); nothing typed
is parsed as markup here (reportlab's chart strings are plain text).
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

from reportlab.graphics.charts.barcharts import BarChart, HorizontalBarChart, VerticalBarChart
from reportlab.graphics.charts.legends import Legend
from reportlab.graphics.charts.linecharts import HorizontalLineChart
from reportlab.graphics.charts.piecharts import Pie
from reportlab.graphics.shapes import Drawing, Group, String
from reportlab.lib import colors
from reportlab.pdfbase.pdfmetrics import stringWidth
from reportlab.platypus import Flowable

from desktop_app.services.pdf import layout as lo
from desktop_app.services.pdf.fonts import register_fonts
from desktop_app.services.pdf.markup import text
from desktop_app.services.reports.chart import Chart, ChartKind
from desktop_app.services.reports.palette import AXIS_INK, GRID, series_colour

FONT_SIZE = 7.5
TITLE_SIZE = 9
PLOT_HEIGHT = 150  # points: the bars' height in a chart along the months
BAR_ROW = 16  # points per category in a chart with bars across
SWATCH = 7
LEGEND_ROW = 11
PAD = 4


def chart_flowables(chart: Chart, width: float = lo.FRAME_WIDTH) -> list[Flowable]:
    """The chart as a drawing ``width`` points wide, and under it its key in words (when
    a short label is not the full name)."""
    blocks: list[Flowable] = [chart_drawing(chart, width)]
    if chart.key_note:
        blocks.append(text(chart.key_note, lo.styles().small))
    return blocks


def chart_drawing(chart: Chart, width: float = lo.FRAME_WIDTH) -> Drawing:
    """The chart as a reportlab drawing (its title, the plot, the axes and the legend)."""
    regular, bold = register_fonts()
    labels = _legend_labels(chart)
    legend_rows, column = _legend_grid(labels, width)
    legend_height = legend_rows * LEGEND_ROW + PAD if len(labels) > 1 else 0
    title_height = TITLE_SIZE + 2 * PAD
    if chart.kind is ChartKind.PIE:
        plot: Any = _pie(chart, width)
        body = 150.0
        below = 0.0
    elif chart.horizontal:
        plot, body, below = _across(chart, width, regular)
    else:
        plot, body, below = _along(chart, width, regular)
    height = legend_height + below + body + title_height
    drawing = Drawing(width, height)
    plot.y = legend_height + below
    drawing.add(plot)
    drawing.add(String(width / 2, height - TITLE_SIZE - PAD / 2, chart.title, fontName=bold,
                       fontSize=TITLE_SIZE, fillColor=colors.HexColor(AXIS_INK),
                       textAnchor="middle"))
    for extra in _axis_titles(chart, plot, width, regular):
        drawing.add(extra)
    if len(labels) > 1:
        drawing.add(_legend(labels, legend_rows, column, legend_height, regular))
    return drawing


# ------------------------------------------------------------ plots


def _along(chart: Chart, width: float, font: str) -> tuple[Any, float, float]:
    """Bars (or lines) up from the months along the bottom: (plot, its height, the room
    below it for the labels and the axis title)."""
    ticks = chart.ticks()
    tick_width = max(stringWidth(chart.tick_label(t), font, FONT_SIZE) for t in ticks)
    left = tick_width + FONT_SIZE + 3 * PAD  # the tick labels and the upright axis title
    plot_width = width - left - PAD
    names = _fitting_labels(chart, plot_width, font)
    below = FONT_SIZE + 2 * PAD
    if names == chart.category_labels:
        below += FONT_SIZE + PAD  # the axis title with the years
    plot: Any = HorizontalLineChart() if chart.kind is ChartKind.LINE else VerticalBarChart()
    plot.x, plot.width, plot.height = left, plot_width, PLOT_HEIGHT
    plot.data = _data(chart)
    _style_axes(plot, chart, ticks, names, font)
    _style_series(plot, chart)
    return plot, PLOT_HEIGHT + PAD, below


def _across(chart: Chart, width: float, font: str) -> tuple[Any, float, float]:
    """Bars across from the names down the side: (plot, its height, the room below)."""
    names = chart.axis_labels
    left = max((stringWidth(n, font, FONT_SIZE) for n in names), default=0.0) + 2 * PAD
    ticks = chart.ticks()
    last = stringWidth(chart.tick_label(ticks[-1]), font, FONT_SIZE)  # centred on the end
    plot = HorizontalBarChart()
    plot.x, plot.width = left, width - left - last / 2 - PAD
    plot.height = BAR_ROW * max(1, len(names))
    plot.data = _data(chart)
    _style_axes(plot, chart, ticks, names, font)
    plot.categoryAxis.reverseDirection = 1  # the first name at the top, as in the table
    _style_series(plot, chart)
    return plot, plot.height + PAD, 2 * FONT_SIZE + 3 * PAD


def _pie(chart: Chart, width: float) -> Pie:
    pie = Pie()
    pie.width = pie.height = 130
    pie.x = (width - pie.width) / 2
    shown = [(name, value) for name, value in zip(chart.axis_labels, chart.series[0].values,
                                                 strict=True) if value]
    pie.data = [value for _, value in shown] or [1]
    pie.labels = None
    for index in range(len(shown)):
        pie.slices[index].fillColor = colors.HexColor(series_colour(index))
        pie.slices[index].strokeColor = colors.white
    return pie


def _data(chart: Chart) -> list[tuple[float | None, ...]]:
    """Each series' values; a hidden count stays None, which reportlab draws as nothing."""
    return [tuple(series.values) for series in chart.series]


def _fitting_labels(chart: Chart, plot_width: float, font: str) -> tuple[str, ...]:
    """The first of ``Chart.label_choices`` whose labels fit side by side along a plot
    ``plot_width`` points wide: the names, the short ones, or every few names."""
    slot = plot_width / max(1, len(chart.categories))
    names = chart.categories
    for names in chart.label_choices():
        if fits(names, slot, font):
            break
    return names


def fits(names: Sequence[str], slot: float, font: str) -> bool:
    """True when each shown name, centred on its category ``slot`` points wide, keeps
    clear of the next one shown (a blank name leaves its slot to its neighbours)."""
    positions = [(i, n) for i, n in enumerate(names) if n]
    widths = [stringWidth(n, font, FONT_SIZE) for _, n in positions]
    last = positions[-1][0] if positions else 0
    ends = not widths or (len(names) - last - 0.5) * slot + PAD >= widths[-1] / 2
    return ends and all((j - i) * slot >= (a + b) / 2 + 3 for (i, _), (j, _), a, b
                        in zip(positions, positions[1:], widths, widths[1:], strict=False))


def _style_axes(plot: BarChart | HorizontalLineChart, chart: Chart, ticks: Sequence[float],
                names: Sequence[str], font: str) -> None:
    ink = colors.HexColor(AXIS_INK)
    categories, values = plot.categoryAxis, plot.valueAxis
    categories.categoryNames = list(names)
    values.valueMin, values.valueMax = 0, ticks[-1]
    values.valueSteps = list(ticks)
    values.labelTextFormat = chart.tick_label
    values.visibleGrid = 1
    values.gridStrokeColor = colors.HexColor(GRID)
    values.gridStrokeWidth = 0.5
    for axis in (categories, values):
        axis.labels.fontName = font
        axis.labels.fontSize = FONT_SIZE
        axis.labels.fillColor = ink
        axis.strokeColor = ink
        axis.strokeWidth = 0.5


def _style_series(plot: BarChart | HorizontalLineChart, chart: Chart) -> None:
    if isinstance(plot, HorizontalLineChart):
        for index in range(len(chart.series)):
            plot.lines[index].strokeColor = colors.HexColor(series_colour(index))
            plot.lines[index].strokeWidth = 1.8
        return
    if chart.kind is ChartKind.STACKED_BAR:
        plot.categoryAxis.style = "stacked"
    plot.barSpacing = 0.5
    plot.groupSpacing = 4
    for index in range(len(chart.series)):
        plot.bars[index].fillColor = colors.HexColor(series_colour(index))
        plot.bars[index].strokeColor = colors.white  # stacked pieces stay apart
        plot.bars[index].strokeWidth = 0.4


def _axis_titles(chart: Chart, plot: Any, width: float, font: str) -> list[Any]:
    """The value axis's title (upright on the left, or under bars across) and, for short
    month labels, the years under them."""
    if chart.kind is ChartKind.PIE:
        return []
    ink = colors.HexColor(AXIS_INK)
    if chart.horizontal:
        return [String(plot.x + plot.width / 2, plot.y - 2 * FONT_SIZE - 2 * PAD,
                       chart.value_axis, fontName=font, fontSize=FONT_SIZE, fillColor=ink,
                       textAnchor="middle")]
    upright = Group(String(0, 0, chart.value_axis, fontName=font, fontSize=FONT_SIZE,
                           fillColor=ink, textAnchor="middle"))
    upright.transform = (0, 1, -1, 0, FONT_SIZE, plot.y + plot.height / 2)
    titles: list[Any] = [upright]
    if tuple(plot.categoryAxis.categoryNames) == chart.category_labels and chart.category_title:
        titles.append(String(plot.x + plot.width / 2, plot.y - 2 * FONT_SIZE - 2 * PAD,
                             chart.category_title, fontName=font, fontSize=FONT_SIZE,
                             fillColor=ink, textAnchor="middle"))
    return titles


# ------------------------------------------------------------ legend


def _legend_labels(chart: Chart) -> list[str]:
    if chart.kind is ChartKind.PIE:
        return [f"{name} ({chart.tick_label(value)})" for name, value
                in zip(chart.axis_labels, chart.series[0].values, strict=True) if value]
    return [series.short for series in chart.series]


def _legend_grid(labels: Sequence[str], width: float) -> tuple[int, float]:
    """(rows, column width): as many columns as fit across, the labels never cut."""
    if not labels:
        return 0, 0.0
    font = register_fonts()[0]
    column = max(stringWidth(t, font, FONT_SIZE) for t in labels) + SWATCH + 3 * PAD
    across = max(1, min(len(labels), int(width // column)))
    return math.ceil(len(labels) / across), column


def _legend(labels: Sequence[str], rows: int, column: float, height: float,
            font: str) -> Legend:
    legend = Legend()
    legend.colorNamePairs = [(colors.HexColor(series_colour(i)), label)
                             for i, label in enumerate(labels)]
    legend.fontName, legend.fontSize = font, FONT_SIZE
    legend.fillColor = colors.HexColor(AXIS_INK)
    legend.alignment = "right"  # the swatch, then its label
    legend.columnMaximum = rows
    legend.deltax, legend.deltay = column, LEGEND_ROW
    legend.dx = legend.dy = SWATCH
    legend.dxTextSpace = PAD
    legend.autoXPadding = 0
    legend.variColumn = 0
    legend.strokeColor = colors.white
    legend.boxAnchor = "nw"
    legend.x, legend.y = PAD, height - PAD / 2
    return legend
