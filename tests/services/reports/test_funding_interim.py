"""The funding report's interim sections once interim funding is decided and reconciled
(issue 16, item 4), on a case made through the services.

``tools/sample_case`` with ``disagree=True``: an eye-drops delegation decided
INTERIM_WITHOUT_PREJUDICE, its plan version 1 carrying interim lines from 1 December 2026
(ICB £55.09, Leicester City £33.05 a week, all paid by the ICB meanwhile), team City South.
The discussion closes on 30 January 2027 with the split agreed from 1 February; the interim
is then reconciled on 10 February (today) for 1 December to 31 January: the ICB paid
8814 × 62 ÷ 7 = 78,066.86 → £780.67, of which Leicester City repays £290.00.
"""

from __future__ import annotations

import datetime as dt

import pytest

from desktop_app.models.plan import Funder
from desktop_app.services import registers
from desktop_app.services.registers import AgreedFunding
from desktop_app.services.reports import load_meeting_pack
from desktop_app.services.reports.funding import funding_report
from desktop_app.services.reports.model import ReportQuery, ReportSection
from desktop_app.services.vault import VaultSession
from tools.sample_case import BuiltCase, CaseSpec, build_case

D = dt.date
TODAY = D(2027, 2, 10)
QUARTER = ReportQuery(D(2027, 1, 1), D(2027, 3, 31))
TEAM = "City South"
AWAITING, RECONCILED = ("Interim without prejudice, awaiting reconciliation",
                        "Interim without prejudice, reconciled")


@pytest.fixture
def case(vault: VaultSession) -> BuiltCase:
    return build_case(vault.uow, CaseSpec(disagree=True))


def section(vault: VaultSession, title: str, query: ReportQuery = QUARTER) -> list[list[str]]:
    report = funding_report(vault.uow, query, today=TODAY)
    [found] = [s for s in report.sections if s.title == title]
    return texts(found)


def texts(found: ReportSection) -> list[list[str]]:
    return [[cell.text for cell in row] for row in found.rows]


def decide(vault: VaultSession) -> None:
    [row] = registers.escalations(vault.uow, TODAY)
    registers.close_discussion(
        vault.uow, row.discussion_id, "Joint funding from February", ["funding"],
        D(2027, 1, 30), False, today=TODAY,
        agreed=AgreedFunding(D(2027, 2, 1), ((Funder.ICB, 5000),
                                              (Funder.LEICESTER_CITY, 3814))))


def reconcile(vault: VaultSession, case: BuiltCase) -> None:
    registers.reconcile_interim(vault.uow, case.case_id, D(2026, 12, 1), D(2027, 1, 31),
                                [(Funder.LEICESTER_CITY, 29000)], "Invoice CITY-7", TODAY,
                                TODAY)


@pytest.mark.hazard("H-012")
def test_a_running_interim_is_awaiting_reconciliation_with_what_was_paid_and_its_age(
        vault: VaultSession, case: BuiltCase) -> None:
    """72 days to 10 February: the council's 3305 × 72 ÷ 7 = £339.94 of the £906.58 paid."""
    assert section(vault, AWAITING) == [
        ["SCD-DEMO-42", TEAM, "1 December 2026", "71", "£55.09", "£33.05", "£339.94",
         "£906.58", "Still running"],
        ["1 awaiting reconciliation", "", "", "", "£55.09", "£33.05", "£339.94", "£906.58",
         ""]]
    assert section(vault, RECONCILED) == [
        ["0 reconciled in the period", "", "", "", "", "£0.00", "£0.00", ""]]


@pytest.mark.hazard("H-012")
def test_a_decided_interim_stays_awaiting_reconciliation_until_it_is_reconciled(
        vault: VaultSession, case: BuiltCase) -> None:
    """The agreed split's plan version ends the interim on 31 January, but its cost is still
    to reconcile: 62 days, the council's 3305 × 62 ÷ 7 = £292.73 of the £780.67 paid."""
    decide(vault)
    assert section(vault, AWAITING)[0] == [
        "SCD-DEMO-42", TEAM, "1 December 2026", "71", "£55.09", "£33.05", "£292.73", "£780.67",
        "31 January 2027"]
    # The joint meeting pack keeps it in its reconciliation list too.
    pack = load_meeting_pack(vault.uow, TODAY, TEAM)
    [waiting] = pack.awaiting_reconciliation
    assert (waiting.case_id, waiting.waiting_since, waiting.interim_from) == (
        case.case_id, D(2027, 1, 30), D(2026, 12, 1))


@pytest.mark.hazard("H-012")
def test_a_reconciled_interim_is_shown_reconciled_with_who_repays_what(
        vault: VaultSession, case: BuiltCase) -> None:
    decide(vault)
    reconcile(vault, case)
    assert section(vault, AWAITING) == [
        ["0 awaiting reconciliation", "", "", "", "£0.00", "£0.00", "£0.00", "£0.00", ""]]
    assert section(vault, RECONCILED) == [
        ["SCD-DEMO-42", TEAM, "1 December 2026 to 31 January 2027", "10 February 2027", "71",
         "£780.67", "£290.00", "Leicester City Council £290.00"],
        ["1 reconciled in the period", "", "", "", "", "£780.67", "£290.00", ""]]
    report = funding_report(vault.uow, QUARTER, today=TODAY)
    per_funder = {row[0].text: [c.value for c in row[1:]] for row in report.sections[0].rows}
    assert per_funder["LLR ICB"][2:] == [0, 0]  # nothing interim left unreconciled
    assert any("Reconciled: the reconciliations recorded in the period" in note
               for note in report.notes)
    assert load_meeting_pack(vault.uow, TODAY, TEAM).awaiting_reconciliation == ()


@pytest.mark.hazard("H-012")
def test_a_report_as_at_before_the_reconciliation_still_shows_it_unreconciled(
        vault: VaultSession, case: BuiltCase) -> None:
    decide(vault)
    reconcile(vault, case)
    january = ReportQuery(D(2027, 1, 1), D(2027, 1, 31))
    [row, _total] = section(vault, AWAITING, january)
    # 31 January: 62 days in force, all of them paid.
    assert row == ["SCD-DEMO-42", TEAM, "1 December 2026", "61", "£55.09", "£33.05",
                   "£292.73", "£780.67", "Still running"]
    assert section(vault, RECONCILED, january) == [
        ["0 reconciled in the period", "", "", "", "", "£0.00", "£0.00", ""]]
    # Another team sees neither.
    other = ReportQuery(QUARTER.period_start, QUARTER.period_end, "Another INT")
    assert section(vault, RECONCILED, other)[:-1] == []
    assert section(vault, AWAITING, other)[:-1] == []
