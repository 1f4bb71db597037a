"""Each report's figures against the known caseload (``dataset``), worked out by hand.

Period: 1 January to 31 March 2026 (90 days), team Alpha, today 15 April 2026, so the
as-at day is 31 March 2026. The sums are written out in each test.
"""

from __future__ import annotations

import datetime as dt

import pytest

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.reports import (
    REPORTS,
    ChartKind,
    ReportKind,
    ReportQuery,
    ReportSection,
    ReportSpec,
    competency_report,
    delegations_report,
    escalations_report,
    funding_report,
    report_teams,
    reviews_report,
    run_report,
)
from desktop_app.services.vault import VaultSession
from tests.services.reports.dataset import ALL_TEAMS, AS_AT, QUARTER, TODAY, Built

PRODUCED = dt.datetime(2026, 4, 15, 9, 30, tzinfo=dt.UTC)
D = dt.date


def texts(section: ReportSection) -> list[list[str]]:
    """The section's rows as shown."""
    return [[cell.text for cell in row] for row in section.rows]


def by_name(section: ReportSection) -> dict[str, list[str]]:
    """Row label → the rest of the row as shown."""
    return {row[0]: row[1:] for row in texts(section)}


def values(section: ReportSection) -> dict[str, list[object]]:
    """Row label → the numbers behind the rest of the row."""
    return {row[0].text: [cell.value for cell in row[1:]] for row in section.rows}


def test_a_query_checks_its_period_and_tidies_the_team() -> None:
    with pytest.raises(ValidationError, match="ends before it starts"):
        ReportQuery(D(2026, 3, 1), D(2026, 2, 28))
    with pytest.raises(ValidationError):
        ReportQuery(dt.datetime(2026, 1, 1), D(2026, 2, 28))  # type: ignore[arg-type]
    assert ReportQuery(D(2026, 1, 1), D(2026, 1, 31), "  ").team is None
    assert QUARTER.days == 90
    assert QUARTER.as_at(TODAY) == AS_AT
    assert QUARTER.as_at(D(2026, 2, 3)) == D(2026, 2, 3)
    assert QUARTER.as_at(D(2025, 6, 1)) == D(2026, 1, 1)  # a period still to come


def test_delegations_by_outcome_and_task_category_per_month(report_vault: VaultSession,
                                                            built: Built) -> None:
    """Counted by the date of each event: the three March withdrawals were decided in
    December 2025, so they are withdrawals of March and no decision of the quarter."""
    report = delegations_report(report_vault.uow, QUARTER, today=TODAY, produced_at=PRODUCED)
    assert report.kind is ReportKind.DELEGATIONS and report.as_at == AS_AT
    outcomes, categories, withdrawals = report.sections
    assert outcomes.columns == ("Outcome", "Jan 2026", "Feb 2026", "Mar 2026", "Total")
    rows = by_name(outcomes)
    assert rows["Delegated within the existing package"] == ["3", "3", "2", "8"]
    assert rows["Delegated, jointly funded"] == ["2", "2", "2", "6"]
    assert rows["Delegated, extra time funded by the NHS"] == ["0", "1", "2", "3"]
    assert rows["Care goes ahead, funded without prejudice"] == ["0", "0", "2", "2"]
    assert rows["Escalated to a shared care discussion"] == ["0", "1", "1", "2"]
    assert rows["Not delegated: Health keeps the task"] == ["1", "1", "1", "3"]
    assert rows["The person declined"] == ["1", "0", "1", "2"]
    assert rows["Refer for NHS Continuing Healthcare"] == ["0", "1", "0", "1"]
    assert "Delegation withdrawn: the task returns to Health" not in rows  # not a decision
    assert rows["No provider has accepted the task"] == ["0", "0", "0", "0"]
    assert rows["Total"] == ["7", "9", "11", "27"]  # the drafts, removed and December ones left out
    assert len(outcomes.rows) == 11 and outcomes.total_rows == 1
    cats = by_name(categories)
    assert cats["Specialised medication administration"] == ["7", "0", "10", "17"]
    assert cats["Feeding and digestive"] == ["0", "9", "0", "9"]
    assert cats["Skin integrity and wound care"] == ["0", "0", "0", "0"]  # decided in 2025
    assert cats["Other"] == ["0", "0", "1", "1"]  # a task no catalogue knows
    assert cats["Vital signs monitoring"] == ["0", "0", "0", "0"]
    assert cats["Total"] == ["7", "9", "11", "27"]
    assert withdrawals.columns == ("Why it was withdrawn", "Jan 2026", "Feb 2026", "Mar 2026",
                                   "Total")
    assert by_name(withdrawals) == {
        "Withdrawn at a review": ["0", "0", "1", "1"], "Consent withdrawn": ["0", "0", "1", "1"],
        "The person's need changed": ["0", "0", "1", "1"], "Total": ["0", "0", "3", "3"]}
    chart = outcomes.chart
    assert chart is not None and chart.kind is ChartKind.STACKED_BAR
    assert chart.categories == ("Jan 2026", "Feb 2026", "Mar 2026")
    series = {s.name: s.values for s in chart.series}
    assert series["Delegated within the existing package"] == (3.0, 3.0, 2.0)
    assert "No provider has accepted the task" not in series  # nothing to draw
    assert report.columns == outcomes.columns and report.chart is chart


def test_all_teams_count_the_other_team_too(report_vault: VaultSession, built: Built) -> None:
    report = delegations_report(report_vault.uow, ALL_TEAMS, today=TODAY)
    rows = by_name(report.sections[0])
    assert rows["Refer for NHS Continuing Healthcare"] == ["0", "2", "0", "2"]  # Beta's in Feb
    assert rows["Total"] == ["7", "10", "11", "28"]
    assert report.filters == (("Team", "All teams"),)


@pytest.mark.hazard("H-011")
def test_funding_per_funder_weekly_and_prorated_period_totals(report_vault: VaultSession,
                                                              built: Built) -> None:
    """Period totals (pence) = Σ weekly × days in force in the quarter ÷ 7, per funder:

    ICB: F1 v1 7000×45 + v2 8400×45 = 693000 → 99000; F2 1000×28 → 4000; F3 (interim)
    2100×59 → 17700; F4 700×86 → 8600; F5 v2 350×90 → 4500 (v1's 9999 superseded in
    2025, a removed 100000 line and F6's April plan not counted): 133800.
    Leicester City: F1 3500×90 = 315000, F9 and F10 1×3 each: 315006 ÷ 7 = 45000.857 →
    45001 (each line rounded alone would give 45000).
    Leicestershire County: F3 4200×59 → 35400; F4 1400×86 → 17200: 52600.
    Rutland: F2's line starts 20 March: 999×12 = 11988 ÷ 7 = 1712.57 → 1713.
    """
    report = funding_report(report_vault.uow, QUARTER, today=TODAY)
    funders = values(report.sections[0])
    assert funders["LLR ICB"] == [12550, 133800, 2100, 17700]
    assert funders["Leicester City Council"] == [3502, 45001, 0, 0]
    assert funders["Leicestershire County Council"] == [5600, 52600, 4200, 35400]
    assert funders["Rutland County Council"] == [999, 1713, 0, 0]
    assert funders["NHS share (free to the person)"] == [12550, 133800, 2100, 17700]
    assert funders["Council share (may be means-tested)"] == [10101, 99314, 4200, 35400]
    assert funders["All funders"] == [22651, 233114, 6300, 53100]
    assert by_name(report.sections[0])["All funders"][1] == "£2,331.14"
    assert report.sections[0].columns[1] == "Per week on 31 March 2026"
    chart = report.sections[0].chart
    assert chart is not None and chart.kind is ChartKind.BAR
    assert chart.series[0].values == (1338.0, 450.01, 526.0, 17.13)


@pytest.mark.hazard("H-012")
def test_funding_lists_unreconciled_interim_with_its_age(report_vault: VaultSession,
                                                         built: Built) -> None:
    """F3: interim since 1 February, 58 days on 31 March; the council's £42.00 a week
    over the 59 days from 1 February to 31 March is £354.00 to reconcile, of the £63.00 a
    week Health paid: £531.00. F4's interim was reconciled on 1 March, so it is not listed."""
    interim = funding_report(report_vault.uow, QUARTER, today=TODAY).sections[1]
    assert texts(interim) == [
        ["MLCSU-999-7", "Alpha INT", "1 February 2026", "58", "£21.00", "£42.00", "£354.00",
         "£531.00", "Still running"],
        ["1 awaiting reconciliation", "", "", "", "£21.00", "£42.00", "£354.00", "£531.00",
         ""]]
    before = funding_report(report_vault.uow, ReportQuery(D(2026, 1, 1), D(2026, 2, 27),
                                                          "Alpha INT"), today=TODAY)
    # On 27 February F4 was not yet reconciled: both interim arrangements are listed.
    assert [row[0] for row in texts(before.sections[1])] == [
        "None", "MLCSU-999-7", "2 awaiting reconciliation"]
    assert values(before.sections[1])["None"][2] == 53  # 5 January to 27 February


def test_funding_for_all_teams_adds_the_other_team(report_vault: VaultSession,
                                                   built: Built) -> None:
    funders = values(funding_report(report_vault.uow, ALL_TEAMS, today=TODAY).sections[0])
    assert funders["LLR ICB"][:2] == [12550 + 7000, 133800 + 90000]  # F7: 7000 × 90 ÷ 7


@pytest.mark.hazard("H-010")
def test_reviews_due_done_on_time_late_and_overdue(report_vault: VaultSession,
                                                   built: Built) -> None:
    """Jan: on time 8th (due 10th), on the day (20th), late (due 25th, done 3 Feb).
    Feb: overdue (due 14th), late by a day. Mar: overdue (due 31st), early (15th, done 1st).
    April, December, removed and Beta reviews are not counted."""
    report = reviews_report(report_vault.uow, QUARTER, today=TODAY)
    by_month, by_kind = report.sections
    assert by_month.columns == ("Month due", "Due", "Done on time", "Done late", "Overdue",
                                "Not yet due", "% on time")
    assert by_name(by_month) == {
        "Jan 2026": ["3", "2", "1", "0", "0", "66.7%"],
        "Feb 2026": ["2", "0", "1", "1", "0", "0.0%"],
        "Mar 2026": ["2", "1", "0", "1", "0", "50.0%"],
        "Total": ["7", "3", "2", "2", "0", "42.9%"],  # 3 of 7
    }
    assert values(by_month)["Total"][-1] == 42.9
    assert by_name(by_kind) == {
        "3-month review": ["2", "1", "0", "1", "0", "50.0%"],
        "Annual review": ["4", "2", "1", "1", "0", "50.0%"],
        "Change-of-need review": ["1", "0", "1", "0", "0", "0.0%"],
        "Total": ["7", "3", "2", "2", "0", "42.9%"],
    }


def test_reviews_not_yet_due_are_left_out_of_the_percentage(report_vault: VaultSession,
                                                            built: Built) -> None:
    report = reviews_report(report_vault.uow, QUARTER, today=D(2026, 3, 20))
    assert by_name(report.sections[0])["Mar 2026"] == ["2", "1", "0", "0", "1", "100.0%"]
    empty = reviews_report(report_vault.uow, ReportQuery(D(2027, 1, 1), D(2027, 1, 31)),
                           today=TODAY)
    assert by_name(empty.sections[0])["Total"] == ["0", "0", "0", "0", "0", "–"]


@pytest.mark.hazard("H-005")
@pytest.mark.hazard("H-031")
def test_competency_by_provider_on_the_as_at_day(report_vault: VaultSession,
                                                 built: Built) -> None:
    """On 31 March: refresher 1 Dec and 31 May (61 days) current; 30 May (60 days) and
    31 March (today) expiring; 30 March expired. A sign-off of 2 April, a removed one and
    Beta's are left out."""
    report = competency_report(report_vault.uow, QUARTER, today=TODAY)
    section = report.sections[0]
    assert section.columns == ("Provider", "Council", "Current", "Expiring within 60 days",
                               "Expired", "Suspended", "Withdrawn", "Total",
                               "Signed off in the period")
    assert by_name(section) == {
        "Demo Homecare Ltd": ["Leicester City Council", "2", "2", "1", "0", "0", "5", "1"],
        "Sample Care Services": ["Leicestershire County Council", "0", "0", "0", "1", "1",
                                 "2", "1"],
        "All providers": ["", "2", "2", "1", "1", "1", "7", "2"],
    }
    assert section.chart is not None
    assert [s.name for s in section.chart.series] == ["Current", "Expiring within 60 days",
                                                      "Expired"]
    assert section.chart.series[0].values == (2.0, 0.0)


def test_escalations_opened_closed_time_to_decision_and_themes(report_vault: VaultSession,
                                                               built: Built) -> None:
    """Opened: 5 and 20 Jan, 10 Feb, 5 Mar (one removed in Jan not counted). Closed:
    19 Jan after 14 days, 20 Feb after 10, 10 Mar after 80: median 14, mean 104/3."""
    report = escalations_report(report_vault.uow, QUARTER, today=TODAY)
    months, themes, still_open = report.sections
    assert by_name(months) == {
        "Jan 2026": ["2", "1", "14.0", "14.0"],
        "Feb 2026": ["1", "1", "10.0", "10.0"],
        "Mar 2026": ["1", "1", "80.0", "80.0"],
        "Total": ["4", "3", "14.0", "34.7"],
    }
    assert texts(themes) == [["funding", "3"], ["delegation", "1"], ["joint package", "1"],
                             ["stability", "1"], ["training", "1"]]
    assert still_open.title == "Open on 31 March 2026"
    assert texts(still_open) == [
        ["Open discussions", "2"],
        ["Of which escalated to the Midlands & Lancashire CSU", "1"],
        ["Longest open (days)", "70"]]  # opened 20 January, closed 5 April
    chart = months.chart
    assert chart is not None and [s.values for s in chart.series] == [
        (2.0, 1.0, 1.0), (1.0, 1.0, 1.0)]


def test_medians_of_an_even_count_and_of_nothing() -> None:
    from fractions import Fraction

    from desktop_app.services.reports.escalations import mean, median
    assert median({3: 1, 10: 1}) == Fraction(13, 2)
    assert median({1: 2, 9: 1, 40: 1}) == 5
    assert median({}) is None and mean({}) is None
    assert mean({2: 3, 5: 1}) == Fraction(11, 4)


@pytest.mark.parametrize("spec", REPORTS, ids=[spec.kind.value for spec in REPORTS])
def test_every_report_states_what_it_is(report_vault: VaultSession, built: Built,
                                        spec: ReportSpec) -> None:
    report = run_report(report_vault.uow, spec.kind, QUARTER, today=TODAY,
                        produced_at=PRODUCED)
    assert report.period == "1 January 2026 to 31 March 2026"
    assert report.filters == (("Team", "Alpha INT"),)
    assert report.produced_at == PRODUCED and report.produced_by == "Test Nurse"
    assert report.notes and report.sections
    assert (report.suppression_rule is not None) == (report.kind is ReportKind.EQUALITY)
    for section in report.sections:
        for row in section.rows:
            assert len(row) == len(section.columns)


def test_teams_for_the_filter(report_vault: VaultSession, built: Built) -> None:
    assert report_teams(report_vault.uow) == ["Alpha INT", "Beta INT"]
