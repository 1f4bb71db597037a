"""A report's chart on the Reports screen (QtCharts), legible on a 1366×768 laptop at 100 %
and at 150 % text.

Drawn from the report's ``Chart`` (``services.reports.model``), as the PDF draws it
(``services.pdf.charts``): the same colours (``services.reports.palette``), the same short
legend labels and the same value ticks ("£1,234", whole numbers for counts). What QtCharts
would otherwise elide to "..." is given room instead, each time the view is resized:

- the legend lists the short labels in one row under the chart when they fit, else in a
  column on the right (it never squeezes them);
- the value axis has as many round ticks as its length holds (QtCharts writes "..." for
  a label taller than the gap between two ticks), labelled by the model, never "2.5";
- months along the bottom are written in full when they fit, else as "Dec", "Jan", ...
  (their years in the axis title), else every second, third, ... month in full
  (``Chart.label_choices``); named categories (providers, funders, themes) are listed
  down the side, with bars across (``Chart.horizontal``).

QtCharts draws every label as rich text, so each one is escaped: a typed name such as
"<b>Mixed</b> & Other" is shown as typed, never as markup.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCharts import (
    QAbstractAxis,
    QAbstractBarSeries,
    QAbstractSeries,
    QBarCategoryAxis,
    QBarSeries,
    QBarSet,
    QCategoryAxis,
    QChart,
    QChartView,
    QHorizontalBarSeries,
    QHorizontalStackedBarSeries,
    QLineSeries,
    QPieSeries,
    QStackedBarSeries,
)
from PySide6.QtCore import QMargins, Qt
from PySide6.QtGui import QColor, QFontMetricsF, QPainter, QPen, QResizeEvent
from PySide6.QtWidgets import QWidget

from desktop_app.services.reports import Chart, ChartKind
from desktop_app.services.reports.palette import AXIS_INK, GRID, series_colour
from desktop_app.ui.wizard.base import escape_text

MARGIN = 4  # the chart's own margins, each side
SLACK = 12  # QtCharts' own spacing beside the plot, the axes and the legend
LABEL_PADDING = 10  # QtCharts takes this from each label's room (its padding, both sides)
PLOT_HEIGHT = 170  # the bars' height in a chart along the months
BAR_ROW = 30  # the height of each category in a chart with bars across
MOST_TICKS = 6
ZERO_WIDTH = "\u200b"
ON_VALUE = QCategoryAxis.AxisLabelsPosition.AxisLabelsPositionOnValue


@dataclass(frozen=True)
class Fit:
    """How the chart is laid out at the view's current width."""

    legend_right: bool
    labels: tuple[str, ...]  # one per category, in order; "" where none is shown
    ticks: tuple[float, ...]
    height: int


class ReportChartView(QChartView):
    """A report chart that re-fits its legend, ticks and axis labels as it is resized.

    ``legend_labels`` are the labels the legend shows (the series' short labels, or a
    pie's slices); ``value_axis`` and ``category_axis`` are the chart's two axes (None for
    a pie). ``fit`` is the layout chosen for the current width.
    """

    def __init__(self, chart: Chart, parent: QWidget | None = None) -> None:
        self.model = chart
        qchart = QChart()
        qchart.setTitle(escape_text(chart.title))
        qchart.setAnimationOptions(QChart.AnimationOption.NoAnimation)
        qchart.setMargins(QMargins(MARGIN, MARGIN, MARGIN, MARGIN))
        qchart.setBackgroundRoundness(0)
        super().__init__(qchart, parent)
        self.setRenderHint(QPainter.RenderHint.Antialiasing)
        self.setAccessibleName(chart.title)
        self.setAccessibleDescription(self.tr("Chart of the table below; the table has the "
                                              "figures and the full names."))
        # Nothing to do in a chart: Tab goes on to its table, which has the same figures.
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.value_axis: QCategoryAxis | None = None
        self.category_axis: QBarCategoryAxis | QCategoryAxis | None = None
        self.fit: Fit | None = None
        if chart.kind is ChartKind.PIE:
            self.legend_labels = self._add_pie(qchart)
        else:
            self.legend_labels = tuple(s.short for s in chart.series)
            self._add_axes(qchart, self._add_series(qchart))
        legend = qchart.legend()
        legend.setVisible(len(self.legend_labels) > 1 or chart.kind is ChartKind.PIE)
        legend.setLabelColor(QColor(AXIS_INK))
        self._apply(self._fit_for(max(self.width(), 600)))

    # ------------------------------------------------------------ building

    def _add_pie(self, qchart: QChart) -> tuple[str, ...]:
        pie = QPieSeries()
        labels = []
        for index, (name, value) in enumerate(zip(self.model.axis_labels,
                                                  self.model.series[0].values, strict=True)):
            if value:
                text = f"{name} ({self.model.tick_label(value)})"
                piece = pie.append(escape_text(text), float(value))
                piece.setColor(QColor(series_colour(index)))
                piece.setBorderColor(QColor("white"))
                labels.append(text)
        qchart.addSeries(pie)
        return tuple(labels)

    def _add_series(self, qchart: QChart) -> list[QAbstractSeries]:
        chart = self.model
        if chart.kind is ChartKind.LINE:
            lines: list[QAbstractSeries] = []
            for index, series in enumerate(chart.series):
                line = QLineSeries()
                line.setName(escape_text(series.short))
                line.setPen(QPen(QColor(series_colour(index)), 2.5))
                line.setPointsVisible(True)
                for position, value in enumerate(series.values):
                    if value is not None:  # the category at ``position`` is centred on it
                        line.append(position, float(value))
                qchart.addSeries(line)
                lines.append(line)
            return lines
        stacked = chart.kind is ChartKind.STACKED_BAR
        bars: QAbstractBarSeries
        if chart.horizontal:
            bars = QHorizontalStackedBarSeries() if stacked else QHorizontalBarSeries()
        else:
            bars = QStackedBarSeries() if stacked else QBarSeries()
        for index, series in enumerate(chart.series):
            bar_set = QBarSet(escape_text(series.short))
            values = [float(v or 0) for v in series.values]  # a hidden count draws nothing
            bar_set.append(values[::-1] if chart.horizontal else values)  # first at the top
            bar_set.setColor(QColor(series_colour(index)))
            bar_set.setBorderColor(QColor("white"))  # stacked pieces stay apart
            bars.append(bar_set)
        qchart.addSeries(bars)
        return [bars]

    def _add_axes(self, qchart: QChart, series: Sequence[QAbstractSeries]) -> None:
        """Names down the side (bars across), or months along the bottom: the bar or point
        of category i at i, labelled where there is room (``Fit.labels``)."""
        chart = self.model
        categories: QBarCategoryAxis | QCategoryAxis
        if chart.horizontal:
            categories = QBarCategoryAxis()
        else:
            categories = QCategoryAxis()
            categories.setLabelsPosition(ON_VALUE)
        values = QCategoryAxis()
        values.setLabelsPosition(ON_VALUE)
        values.setTitleText(escape_text(chart.value_axis))
        axes: tuple[QAbstractAxis, QAbstractAxis] = (categories, values)
        for axis in axes:
            axis.setLabelsColor(QColor(AXIS_INK))
            axis.setGridLineColor(QColor(GRID))
        categories.setGridLineVisible(False)
        bottom, side = Qt.AlignmentFlag.AlignBottom, Qt.AlignmentFlag.AlignLeft
        qchart.addAxis(categories, side if chart.horizontal else bottom)
        qchart.addAxis(values, bottom if chart.horizontal else side)
        for one in series:
            one.attachAxis(categories)
            one.attachAxis(values)
        self.category_axis, self.value_axis = categories, values

    # ------------------------------------------------------------ fitting

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        super().resizeEvent(event)
        fit = self._fit_for(event.size().width())
        if fit != self.fit:
            self._apply(fit)

    def _metrics(self) -> QFontMetricsF:
        return QFontMetricsF(self.chart().legend().font())

    def _fit_for(self, width: int) -> Fit:
        """The layout for a view ``width`` pixels wide (in the screen's logical pixels)."""
        chart, fm = self.model, self._metrics()
        line = fm.height()
        inner = width - 2 * MARGIN - SLACK
        markers = [fm.horizontalAdvance(text) + line + 18 for text in self.legend_labels]
        legend_shown = len(self.legend_labels) > 1 or chart.kind is ChartKind.PIE
        legend_right = legend_shown and sum(markers) > inner
        legend_width = max(markers, default=0) + 24 if legend_right else 0
        legend_height = line + 16 if legend_shown and not legend_right else 0
        above = QFontMetricsF(self.chart().titleFont()).height() + 12 + legend_height
        if chart.kind is ChartKind.PIE:
            return Fit(legend_right, chart.axis_labels, (), int(above + 220))
        if chart.horizontal:
            fit = self._fit_across(fm, inner - legend_width, above, legend_right)
        else:
            fit = self._fit_along(fm, inner - legend_width, above, legend_right)
        if legend_right:  # the column of legend entries is never cut either
            return Fit(fit.legend_right, fit.labels, fit.ticks, max(
                fit.height, int(above + len(self.legend_labels) * (line + 8) + 40)))
        return fit

    def _fit_along(self, fm: QFontMetricsF, inner: float, above: float,
                   legend_right: bool) -> Fit:
        """Months along the bottom, the values up the side."""
        chart, line = self.model, fm.height()
        ticks = chart.ticks(max(2, min(MOST_TICKS, int(PLOT_HEIGHT // (line * 2)))))
        ticks_width = max(fm.horizontalAdvance(chart.tick_label(t)) for t in ticks)
        plot_width = inner - (ticks_width + line + 24)
        labels = chart.categories
        for labels in chart.label_choices():
            shown = [text for text in labels if text]
            # QtCharts gives each label the plot's width over one more than the labels,
            # less its padding, and elides a label (with its text margins) that is wider.
            room = plot_width / (len(shown) + 1) - LABEL_PADDING
            if all(fm.horizontalAdvance(text) + 4 <= room for text in shown):
                break
        below = line + 12 + (line + 8 if labels == chart.category_labels else 0)
        return Fit(legend_right, labels, ticks, int(above + PLOT_HEIGHT + below + 28))

    def _fit_across(self, fm: QFontMetricsF, inner: float, above: float,
                    legend_right: bool) -> Fit:
        """Bars across: the names down the side, the values along the bottom."""
        chart, line = self.model, fm.height()
        labels = chart.axis_labels
        plot_width = inner - max((fm.horizontalAdvance(t) for t in labels), default=0) - 24
        ticks = chart.ticks(MOST_TICKS)
        for most in range(MOST_TICKS, 1, -1):
            ticks = chart.ticks(most)
            widest = max(fm.horizontalAdvance(chart.tick_label(t)) for t in ticks)
            if plot_width / len(ticks) >= widest + 24:
                break
        rows = max(BAR_ROW, line * 1.9) * max(1, len(labels))
        return Fit(legend_right, labels, ticks, int(above + rows + 2 * line + 40 + 2 * MARGIN))

    def _apply(self, fit: Fit) -> None:
        self.fit = fit
        chart = self.model
        self.chart().legend().setAlignment(Qt.AlignmentFlag.AlignRight if fit.legend_right
                                           else Qt.AlignmentFlag.AlignBottom)
        axis = self.category_axis
        if isinstance(axis, QBarCategoryAxis):  # names down the side, the first at the top
            axis.clear()
            axis.append(distinct([escape_text(t) for t in fit.labels[::-1]]))
        elif isinstance(axis, QCategoryAxis):
            for old in axis.categoriesLabels():
                axis.remove(old)
            axis.setStartValue(-0.5)
            shown = [(position, text) for position, text in enumerate(fit.labels) if text]
            for (position, _), text in zip(shown, distinct([escape_text(t) for _, t in shown]),
                                           strict=True):
                axis.append(text, position)
            axis.setRange(-0.5, len(chart.categories) - 0.5)
            short = fit.labels == chart.category_labels
            axis.setTitleText(escape_text(chart.category_title) if short else "")
            # Every few months labelled: the last label, centred on its bar, may reach
            # past the plot's end; the chart keeps room for it.
            right = MARGIN
            if "" in fit.labels:
                right += int(self._metrics().horizontalAdvance(shown[-1][1]) / 2)
            self.chart().setMargins(QMargins(MARGIN, MARGIN, right, MARGIN))
        if self.value_axis is not None and fit.ticks:
            values = self.value_axis
            for old in values.categoriesLabels():
                values.remove(old)
            values.setStartValue(0)
            for tick in fit.ticks:
                values.append(escape_text(chart.tick_label(tick)), tick)
            values.setRange(0, fit.ticks[-1])
            if chart.horizontal:  # the last tick's label, centred on it, stays inside
                half = self._metrics().horizontalAdvance(chart.tick_label(fit.ticks[-1])) / 2
                self.chart().setMargins(QMargins(MARGIN, MARGIN, int(half) + 2 * MARGIN, MARGIN))
        self.setMinimumHeight(fit.height)


def distinct(labels: Sequence[str]) -> list[str]:
    """The labels, a repeated one made different by invisible zero-width spaces: QtCharts
    drops a category whose label it has already."""
    seen: set[str] = set()
    out = []
    for text in labels:
        while text in seen:
            text += ZERO_WIDTH
        seen.add(text)
        out.append(text)
    return out


def chart_view(chart: Chart) -> ReportChartView:
    """A QtCharts view of a report chart (bars, stacked bars, lines or a pie)."""
    return ReportChartView(chart)
