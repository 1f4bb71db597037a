"""The Reports screen on the known caseload: switching reports, periods and teams redraws a
chart and its table; CSV and PDF exports; the joint meeting pack."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCharts import QChartView
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget

from desktop_app.services import reports
from desktop_app.services.pdf.meeting_pack import render_meeting_pack
from desktop_app.services.pdf.report import render_report_pdf
from desktop_app.ui.reports import PERIODS, ReportsWidget, period_dates
from tests.services.reports.dataset import ALPHA, TODAY
from tests.support import type_date


def now(fn: Any, done: Any, failed: Any = None) -> None:
    done(fn())


def screen(qtbot, vault, shown: list[tuple[Any, ...]], exported: list[str]) -> ReportsWidget:
    uow = vault.uow

    def pack(team: Any) -> Any:
        loaded = reports.load_meeting_pack(uow, TODAY, team)
        return render_meeting_pack(loaded), loaded

    widget = ReportsWidget(
        [(spec.kind, spec.title) for spec in reports.REPORTS], now,
        lambda kind, query: reports.run_report(uow, kind, query, today=TODAY),
        lambda: reports.report_teams(uow), render_report_pdf, pack,
        lambda data, title, name, subject: shown.append((data, title, name, subject)),
        lambda report, how: exported.append(how), today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    return widget


def _last_quarter(widget: ReportsWidget) -> None:
    widget.period_combo.setCurrentIndex(PERIODS.index("Last quarter"))


def test_the_period_choices(qtbot) -> None:
    today = dt.date(2026, 5, 20)
    assert period_dates("This month", today) == (dt.date(2026, 5, 1), today)
    assert period_dates("Last month", today) == (dt.date(2026, 4, 1), dt.date(2026, 4, 30))
    assert period_dates("This quarter", today) == (dt.date(2026, 4, 1), today)
    assert period_dates("Last quarter", today) == (dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    assert period_dates("Last 12 months", today) == (dt.date(2025, 5, 1), today)
    assert period_dates("Last quarter", dt.date(2026, 2, 3)) == (
        dt.date(2025, 10, 1), dt.date(2025, 12, 31))


def test_every_report_draws_a_chart_and_a_table(qtbot, report_vault, built) -> None:
    widget = screen(qtbot, report_vault, [], [])
    _last_quarter(widget)
    assert (widget.from_edit.value(), widget.to_edit.value()) == (dt.date(2026, 1, 1),
                                                                 dt.date(2026, 3, 31))
    assert widget.team_combo.findData(ALPHA) > 0
    for index, spec in enumerate(reports.REPORTS):
        widget.report_combo.setCurrentIndex(index)
        assert widget.report is not None and widget.report.kind is spec.kind
        tables = widget.body.findChildren(QTableWidget)
        assert tables and all(t.rowCount() for t in tables), spec.title
        assert tables[0].item(0, 0).text() == widget.report.rows[0][0].text
        if widget.report.chart is not None:
            assert widget.body.findChildren(QChartView), spec.title


def test_switching_team_and_period_computes_again(qtbot, report_vault, built) -> None:
    widget = screen(qtbot, report_vault, [], [])
    _last_quarter(widget)
    everyone = widget.report
    widget.team_combo.setCurrentIndex(widget.team_combo.findData(ALPHA))
    assert widget.report.query.team == ALPHA and widget.report is not everyone
    widget.period_combo.setCurrentIndex(PERIODS.index("Your own dates"))
    assert widget.from_edit.isEnabled()
    type_date(qtbot, widget.to_edit, "31/01/2026")
    qtbot.keyClick(widget.to_edit, Qt.Key.Key_Return)  # computed when the date is left
    assert widget.report.query.period_end == dt.date(2026, 1, 31)
    type_date(qtbot, widget.from_edit, "1/2/2026")  # after the end: refused, nothing computed
    qtbot.keyClick(widget.from_edit, Qt.Key.Key_Return)
    assert "starts after it ends" in widget.message.text()
    assert widget.report.query.period_start == dt.date(2026, 1, 1)
    assert not widget.pdf_button.isEnabled() and not widget.csv_button.isEnabled()


@pytest.mark.hazard("H-028")
def test_equality_shows_the_suppression_rule(qtbot, report_vault, built) -> None:
    widget = screen(qtbot, report_vault, [], [])
    _last_quarter(widget)
    widget.report_combo.setCurrentIndex(
        [s.kind for s in reports.REPORTS].index(reports.ReportKind.EQUALITY))
    assert widget.report.suppression_rule
    texts = [t.item(r, c).text() for t in widget.body.findChildren(QTableWidget)
             for r in range(t.rowCount()) for c in range(t.columnCount()) if t.item(r, c)]
    assert "<5" in texts


def test_exports(qtbot, report_vault, built, tmp_path: Path) -> None:
    shown: list[tuple[Any, ...]] = []
    exported: list[str] = []
    widget = screen(qtbot, report_vault, shown, exported)
    _last_quarter(widget)
    widget.choose_csv_file = lambda _name: str(tmp_path / "delegations")
    path = widget.export_csv()
    assert path == tmp_path / "delegations.csv" and exported == ["export"]
    assert widget.report.title in path.read_text(encoding="utf-8-sig")
    widget.open_pdf()
    data, title, name, subject = shown[-1]
    assert data[:5] == b"%PDF-" and subject is widget.report and name.endswith(".pdf")
    widget.open_pack()
    data, title, name, subject = shown[-1]
    assert data[:5] == b"%PDF-" and name == "joint-meeting-pack.pdf"
    assert isinstance(subject, reports.MeetingPack)
