"""Wizard pages S7 (provider), S8 (training and oversight), S9F (funding) and S10 (MDT),
driven through the real widgets on a synthetic context (no database).

Each test opens the wizard at its page with answers for the steps before it (the route
S1-S6 that leads to S7), so it does not depend on the pages for S3-S6 and S9.
"""

from __future__ import annotations

import datetime as dt
import json
from typing import Any

import pytest
from PySide6.QtCore import QRect, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop_app.services.framework.flow import Flow, load_flow, newest_flow_file, parse_flow
from desktop_app.services.framework.review_schedule import add_months
from desktop_app.ui.wizard.fields import Choice, DateField
from desktop_app.ui.wizard.outcome_page import OutcomePage
from desktop_app.ui.wizard.pages import PAGES
from desktop_app.ui.wizard.s7_provider import ProviderPage
from desktop_app.ui.wizard.s8_training import CHS_ORGANISATION, TrainingPage
from desktop_app.ui.wizard.s9f_funding import FundingPage
from desktop_app.ui.wizard.s10_mdt import MdtPage
from desktop_app.ui.wizard.wizard import OUTCOME_PAGE_ID, PAGE_IDS, DelegationWizard
from tests.ui.wizard.wizard_support import press_back, press_next
from tools.sample_case import S9_ANSWERED
from tools.sample_wizard import make_context

# A sign-off a month old: current whenever the suite runs (one past its refresher is
# refused).
RECENT_SIGN_OFF = (dt.date.today() - dt.timedelta(days=30)).isoformat()

LEFT = Qt.MouseButton.LeftButton
ROUTE_TO_S7: dict[str, dict[str, Any]] = {
    "S1": {"task_code": "insulin_prefilled_pen", "referred_by": "District nurse",
           "is_health_need": True},
    "S2": {"chc_checklist_positive": False, "checklist_date": "2026-01-05"},
    "S3": {"needs_clinical_judgement": False},
    "S4": {"stable": True, "what_is_delegated": "Insulin by pre-filled pen, fixed dose",
           "what_is_not_delegated": "Any change of dose", "frequency": "Once a day",
           "do_thresholds": "Give the dose on the chart",
           "call_nurse_thresholds": "Blood glucose under 4 or over 20"},
    "S5": {"incidental_or_ancillary": True},
    "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Zoë",
           "how": "verbal", "explained": "What the care worker will do"},
}
S7_DONE = {"provider_accepts": True, "provider_id": "prov-1", "worker_ids": ["w-1", "w-2"],
           "insurance_confirmed": True}
S8_DONE = {"all_signed_off": True, "oversight_service": "community_health",
           "oversight_organisation": CHS_ORGANISATION,
           "oversight_phone_in_hours": "0116 000 0000", "oversight_phone_out_of_hours": "111",
           "oversight_proposed_automatically": True,
           "sign_offs": [{"worker_id": w, "training_level": 2, "trainer_name": "Tia Trainer",
                          "assessor_name": "Ade Assessor", "signed_off_on": RECENT_SIGN_OFF}
                         for w in ("w-1", "w-2")]}
ROUTE_TO_S9F = {**ROUTE_TO_S7, "S7": S7_DONE, "S8": S8_DONE,
                "S9": {"fits_existing_calls": False, **S9_ANSWERED}}
S9F_DONE = {"method": "extra_minutes", "start_date": "2026-12-01",
            "entered": {"council": "leicester_city", "lead": "icb", "rate": "24.00",
                        "extra_minutes_per_call": "15", "calls_per_week": "14"}}


# ---------------------------------------------------------------- helpers

def open_at(qtbot, step: str, answers: dict[str, dict[str, Any]],
            **context: Any) -> DelegationWizard:
    """The wizard opened at ``step`` with ``answers`` for the steps before it."""
    wizard = DelegationWizard(make_context(**context), load_flow(), PAGES, OutcomePage)
    qtbot.addWidget(wizard)
    wizard.answers.update({k: dict(v) for k, v in answers.items()})
    wizard.setStartId(PAGE_IDS[step])
    wizard.restart()
    wizard.show()
    wizard.activateWindow()
    qtbot.waitActive(wizard)
    assert wizard.currentId() == PAGE_IDS[step]
    return wizard


def choose(combo: QComboBox, value: str) -> None:
    """Pick an option by its value, as the user picking it from the list does."""
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)
    combo.activated.emit(index)


def retype(qtbot, line: QLineEdit, text: str) -> None:
    line.selectAll()
    qtbot.keyClick(line, Qt.Key.Key_Delete)
    qtbot.keyClicks(line, text)


def set_date(field: DateField, day: dt.date) -> None:
    field.set_value(day.isoformat())


def shown_problem(page: Any) -> str:
    return page.message.text() if page.message.isVisible() else ""


# ---------------------------------------------------------------- S7 provider


@pytest.mark.hazard("H-006")
def test_s7_needs_a_named_worker_and_confirmed_insurance(qtbot) -> None:
    wizard = open_at(qtbot, "S7", ROUTE_TO_S7)
    page = wizard.currentPage()
    assert isinstance(page, ProviderPage)
    qtbot.mouseClick(page.accepts.yes, LEFT)
    choose(page.provider, "prov-1")
    qtbot.mouseClick(page.insurance.yes, LEFT)
    assert page.workers.count() == 3

    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]
    assert "Named care workers" in shown_problem(page)

    page.workers.setFocus()
    page.workers.setCurrentRow(1)
    qtbot.keyClick(page.workers.viewport(), Qt.Key.Key_Space)
    assert page.workers.checked_ids() == ["w-2"]
    qtbot.mouseClick(page.insurance.no, LEFT)
    assert page.reason.isEnabled()
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]
    assert "Why not" in shown_problem(page)

    qtbot.mouseClick(page.insurance.yes, LEFT)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S8"]
    assert wizard.answers["S7"] == {"provider_accepts": True, "provider_id": "prov-1",
                                    "worker_ids": ["w-2"], "insurance_confirmed": True}


def _flow_where_s7_only_asks_insurance_to_be_answered() -> Flow:
    """An older shape of S7 whose yes-branch goes on to S8 whatever the insurance answer."""
    raw = json.loads(newest_flow_file()
                     .read_text(encoding="utf-8"))
    raw["steps"]["S7"]["branches"] = [
        {"when": {"S7.provider_accepts": True}, "goto": "S8",
         "requires": ["S7.provider_id", "S7.worker_ids", "S7.insurance_confirmed"]},
        {"when": {"S7.provider_accepts": False}, "outcome": "NO_PROVIDER",
         "requires": ["S7.no_reason"]}]
    return parse_flow(raw)


def test_s7_never_goes_on_to_training_without_insurance_whatever_the_flow(qtbot) -> None:
    wizard = DelegationWizard(make_context(),
                              _flow_where_s7_only_asks_insurance_to_be_answered(), PAGES,
                              OutcomePage)
    qtbot.addWidget(wizard)
    wizard.answers.update(ROUTE_TO_S7)
    wizard.answers["S7"] = {**S7_DONE, "insurance_confirmed": False}
    wizard.setStartId(PAGE_IDS["S7"])
    wizard.show()
    page = wizard.currentPage()
    qtbot.keyClicks(page.reason, "The policy excludes injections")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]
    assert "insurance must cover this task" in shown_problem(page)
    qtbot.mouseClick(page.insurance.yes, LEFT)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S8"]


def test_s7_space_unticks_and_a_new_provider_lists_its_own_workers(qtbot) -> None:
    wizard = open_at(qtbot, "S7", {**ROUTE_TO_S7, "S7": S7_DONE})
    page = wizard.currentPage()
    assert page.workers.checked_ids() == ["w-1", "w-2"]
    page.workers.setFocus()
    page.workers.setCurrentRow(0)
    qtbot.keyClick(page.workers.viewport(), Qt.Key.Key_Space)
    assert page.workers.checked_ids() == ["w-2"]
    choose(page.provider, "prov-2")
    assert [page.workers.item(r).text() for r in range(page.workers.count())] == \
        ["Kwame Okafor"]
    assert page.workers.checked_ids() == []
    assert "Leicestershire County Council" in page.council.text()


def test_s7_provider_declining_needs_the_reason_and_ends_with_no_provider(qtbot) -> None:
    wizard = open_at(qtbot, "S7", ROUTE_TO_S7)
    page = wizard.currentPage()
    assert not page.reason.isEnabled()
    qtbot.mouseClick(page.accepts.no, LEFT)
    assert page.reason.isEnabled()
    press_next(qtbot, wizard)
    assert "Why not" in shown_problem(page)
    qtbot.keyClicks(page.reason, "No capacity in the area until March")
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert wizard.evaluate().outcome == "NO_PROVIDER"


# ---------------------------------------------------------------- S8 training


def _s8(qtbot, **context: Any) -> tuple[DelegationWizard, TrainingPage]:
    wizard = open_at(qtbot, "S8", {**ROUTE_TO_S7, "S7": S7_DONE}, **context)
    page = wizard.currentPage()
    assert isinstance(page, TrainingPage)
    return wizard, page


@pytest.mark.hazard("H-006")
def test_s8_has_one_row_per_named_worker_and_says_sign_off_is_for_this_person(qtbot) -> None:
    _wizard, page = _s8(qtbot)
    assert [row.worker_name for row in page.rows] == ["Aisha Begum", "Tomasz Nowak"]
    # insulin by pre-filled pen is a level 2 (enhanced) task in the catalogue
    assert [row.level.value() for row in page.rows] == ["2", "2"]
    assert "Zoë Ní Bhriain only" in page.only_this_person.text()
    assert page.only_this_person.isVisible()


@pytest.mark.hazard("H-005")
def test_s8_refresher_is_worked_out_as_sign_off_plus_twelve_months(qtbot) -> None:
    _wizard, page = _s8(qtbot)
    row = page.rows[0]
    assert row.refresher.text() == "—"
    set_date(row.signed_off, dt.date(2026, 1, 31))
    assert row.refresher.text().split(":")[0] == "31/01/2027"
    set_date(row.signed_off, dt.date(2024, 2, 29))
    # long past: the date is shown as overdue, in words and not by colour alone
    assert row.refresher.text() == "28/02/2025: overdue"
    qtbot.keyClicks(row.trainer, "Tia Trainer")
    qtbot.keyClicks(row.assessor, "Ade Assessor")
    assert page.answers()["sign_offs"][0] == {
        "worker_id": "w-1", "worker_name": "Aisha Begum", "training_level": 2,
        "trainer_name": "Tia Trainer", "assessor_name": "Ade Assessor",
        "signed_off_on": "2024-02-29", "refresher_due": "2025-02-28"}


@pytest.mark.parametrize("open_to_chs, service, organisation, why", [
    (True, "community_health", CHS_ORGANISATION, "open to Community Health Services"),
    (False, "gp_practice", "Leicester Demo Medical Practice", "GP practice"),
])
@pytest.mark.hazard("H-022")
def test_s8_proposes_oversight_from_what_is_known(qtbot, open_to_chs: bool, service: str,
                                                  organisation: str, why: str) -> None:
    _wizard, page = _s8(qtbot, open_to_community_health=open_to_chs)
    assert page.service.value() == service
    assert page.organisation.text() == organisation
    assert "Proposed automatically" in page.proposal_note.text()
    assert why in page.proposal_note.text()
    assert page.answers()["oversight_proposed_automatically"] is True
    assert not page.use_proposal.isEnabled()


def test_s8_keeps_the_nurses_change_to_oversight_through_back_and_next(qtbot) -> None:
    wizard = open_at(qtbot, "S7", {**ROUTE_TO_S7, "S7": S7_DONE})
    press_next(qtbot, wizard)
    page = wizard.currentPage()
    assert isinstance(page, TrainingPage)
    page.service.setFocus()
    qtbot.keyClick(page.service, Qt.Key.Key_Down)  # the user picks "GP practice"
    assert page.service.value() == "gp_practice"
    assert page.organisation.text() == "Leicester Demo Medical Practice"
    retype(qtbot, page.organisation, "Fosse Road Surgery")
    qtbot.keyClicks(page.phone_in_hours, "0116 111 2222")
    assert "Changed" in page.proposal_note.text()
    assert page.answers()["oversight_proposed_automatically"] is False

    press_back(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]
    press_next(qtbot, wizard)
    assert wizard.currentPage() is page
    assert page.service.value() == "gp_practice"
    assert page.organisation.text() == "Fosse Road Surgery"
    assert page.phone_in_hours.text() == "0116 111 2222"
    assert page.answers()["oversight_proposed_automatically"] is False

    qtbot.mouseClick(page.use_proposal, LEFT)
    assert page.organisation.text() == CHS_ORGANISATION
    assert page.answers()["oversight_proposed_automatically"] is True


def _fill_rows(qtbot, page: TrainingPage, day: dt.date) -> None:
    for row in page.rows:
        qtbot.keyClicks(row.trainer, "Tia Trainer")
        qtbot.keyClicks(row.assessor, "Ade Assessor")
        set_date(row.signed_off, day)
    qtbot.keyClicks(page.phone_in_hours, "0116 000 0000")
    qtbot.keyClicks(page.phone_out_of_hours, "111")


@pytest.mark.hazard("H-005")
def test_s8_every_worker_needs_trainer_assessor_and_a_past_sign_off(qtbot) -> None:
    wizard, page = _s8(qtbot)
    qtbot.mouseClick(page.all_signed_off.yes, LEFT)
    _fill_rows(qtbot, page, dt.date(2026, 1, 31))
    page.rows[1].assessor.clear()
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S8"]
    assert shown_problem(page) == "Tomasz Nowak: enter the assessor."

    qtbot.keyClicks(page.rows[1].assessor, "Ade Assessor")
    tomorrow = dt.date.today() + dt.timedelta(days=1)
    set_date(page.rows[1].signed_off, tomorrow)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S8"]
    assert "Tomasz Nowak" in shown_problem(page) and "future" in shown_problem(page)

    set_date(page.rows[1].signed_off, dt.date.today())
    assert page.page_problem() is None
    assert wizard.problem_at("S8") is None


@pytest.mark.hazard("H-023")
def test_s8_training_outstanding_needs_what_and_when(qtbot) -> None:
    wizard, page = _s8(qtbot)
    assert not page.reason.isEnabled()
    qtbot.mouseClick(page.all_signed_off.no, LEFT)
    assert page.reason.isEnabled() and page.reconsider_on.isEnabled()
    press_next(qtbot, wizard)
    assert "What training is outstanding" in shown_problem(page)
    qtbot.keyClicks(page.reason, "Tomasz needs the insulin pen session")
    set_date(page.reconsider_on, dt.date(2027, 1, 15))
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert wizard.evaluate().outcome == "NOT_DELEGATED"


# ---------------------------------------------------------------- S9F funding


def _s9f(qtbot, answers: dict[str, dict[str, Any]] | None = None
         ) -> tuple[DelegationWizard, FundingPage]:
    wizard = open_at(qtbot, "S9F", answers or ROUTE_TO_S9F)
    page = wizard.currentPage()
    assert isinstance(page, FundingPage)
    return wizard, page


def _basics(qtbot, page: FundingPage, method: str, rate: str = "24.00") -> None:
    choose(page.method, method)
    choose(page.lead, "icb")
    qtbot.keyClicks(page.rate, rate)
    set_date(page.start_date, dt.date(2026, 12, 1))


def test_s9f_extra_minutes_fifteen_by_fourteen_at_24_pounds_is_84_a_week_all_nhs(qtbot) -> None:
    wizard, page = _s9f(qtbot)
    assert page.council.value() == "leicester_city"  # the chosen provider's council
    _basics(qtbot, page, "extra_minutes")
    qtbot.keyClicks(page.amounts["extra_minutes_per_call"], "15")
    assert "£84.00" not in page.summary.text()
    qtbot.keyClicks(page.amounts["calls_per_week"], "14")
    summary = page.summary.text()
    assert "LLR ICB</td><td align='right'><b>£84.00</b></td><td>free to the person" in summary
    assert "Leicester City Council</td><td align='right'><b>£0.00</b>" in summary
    assert "Total" in summary and summary.count("£84.00") == 2
    answers = page.answers()
    assert answers["icb_share"] == "all"
    assert answers["inputs"]["icb_pence_per_week"] == 8400
    assert answers["inputs"]["council_pence_per_week"] == 0
    assert answers["inputs"]["extra_minutes_per_call"] == 15
    assert answers["start_date"] == "2026-12-01"
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S10"]
    assert wizard.evaluate().flags["proposed_outcome"] == "DELEGATED_HEALTH_FUNDED"


def test_s9f_a_fixed_sixty_percent_split_is_part_nhs(qtbot) -> None:
    _wizard, page = _s9f(qtbot)
    _basics(qtbot, page, "fixed_percentage")
    qtbot.keyClicks(page.amounts["minutes_per_week"], "210")  # £84.00 a week
    qtbot.keyClicks(page.amounts["icb_basis_points"], "60")
    summary = page.summary.text()
    assert "<b>£50.40</b></td><td>free to the person" in summary
    assert "<b>£33.60</b></td><td>may be means-tested" in summary
    assert page.answers()["icb_share"] == "part"
    assert page.answers()["inputs"]["icb_basis_points"] == 6000


def test_s9f_shows_only_the_inputs_the_method_needs(qtbot) -> None:
    _wizard, page = _s9f(qtbot)
    choose(page.method, "split_by_minutes")
    shown = {name for name, line in page.amounts.items() if line.isVisible()}
    assert shown == {"health_minutes_per_week", "social_care_minutes_per_week"}
    choose(page.method, "health_only_call")
    shown = {name for name, line in page.amounts.items() if line.isVisible()}
    assert shown == {"minutes_per_call", "calls_per_week", "existing_council_pence_per_week"}


def test_s9f_bad_input_shows_the_services_message_and_keeps_the_typing(qtbot) -> None:
    wizard, page = _s9f(qtbot)
    _basics(qtbot, page, "extra_minutes")
    qtbot.keyClicks(page.amounts["extra_minutes_per_call"], "15.5")
    qtbot.keyClicks(page.amounts["calls_per_week"], "14")
    message = "Extra minutes per call must be a whole number from 1 to 600."
    assert page.problem.isVisible() and page.problem.text() == message
    assert page.amounts["extra_minutes_per_call"].text() == "15.5"
    assert page.amounts["extra_minutes_per_call"].accessibleDescription() == message
    assert "£" not in page.summary.text()
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S9F"]
    assert shown_problem(page) == message
    assert page.amounts["extra_minutes_per_call"].text() == "15.5"

    retype(qtbot, page.rate, "24,5O")
    assert page.problem.text() == "Enter an amount in pounds, such as 25.50."
    assert page.rate.text() == "24,5O"
    retype(qtbot, page.rate, "24")
    qtbot.keyClick(page.amounts["extra_minutes_per_call"], Qt.Key.Key_End)
    qtbot.keyClick(page.amounts["extra_minutes_per_call"], Qt.Key.Key_Backspace)
    qtbot.keyClick(page.amounts["extra_minutes_per_call"], Qt.Key.Key_Backspace)
    assert not page.problem.isVisible()
    assert "£84.00" in page.summary.text()


@pytest.mark.hazard("H-011")
def test_s9f_when_the_council_cannot_provide_it_the_nhs_must_fund_all(qtbot) -> None:
    answers = {**ROUTE_TO_S9F, "S5": {"incidental_or_ancillary": False,
                                      "no_reason": "A clinical task beyond personal care"}}
    wizard, page = _s9f(qtbot, answers)
    assert page.must_fund.isVisible()
    assert "NHS must fund all" in page.must_fund.text()
    _basics(qtbot, page, "equal_split")
    qtbot.keyClicks(page.amounts["weekly_pence"], "84")
    assert page.answers()["icb_share"] == "part"
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S9F"]
    assert "NHS must fund all of it" in shown_problem(page)


def test_s9f_unvisited_page_does_not_pass_without_amounts(qtbot) -> None:
    wizard, page = _s9f(qtbot)
    choose(page.method, "extra_minutes")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S9F"]
    assert "the lead commissioner" in shown_problem(page)
    assert "the hourly rate" in shown_problem(page)


# ---------------------------------------------------------------- S10 MDT


def _s10(qtbot) -> tuple[DelegationWizard, MdtPage]:
    wizard = open_at(qtbot, "S9F", {**ROUTE_TO_S9F, "S9F": S9F_DONE})
    press_next(qtbot, wizard)
    page = wizard.currentPage()
    assert isinstance(page, MdtPage)
    return wizard, page


def wizard_is_active(page: QWidget) -> bool:
    return QApplication.activeWindow() is page.window()


def add_attendee(qtbot, page: MdtPage, role: str, organisation: str, name: str) -> None:
    """Press Add, then type each cell; Tab moves to the next cell, Return finishes."""
    page.attendees.add.setFocus()
    qtbot.keyClick(page.attendees.add, Qt.Key.Key_Space)
    for text, last in ((role, False), (organisation, False), (name, True)):
        [editor] = [w for w in page.attendees.table.viewport().findChildren(QLineEdit)
                    if w.isVisible()]  # the cell editor open now
        assert editor.hasFocus() or not wizard_is_active(page)
        qtbot.keyClicks(editor, text)
        qtbot.keyClick(editor, Qt.Key.Key_Return if last else Qt.Key.Key_Tab)
        QApplication.processEvents()  # the delegate commits a cell on Return later


@pytest.mark.hazard("H-012")
def test_s10_no_consensus_about_funding_needs_a_dispute_reference(qtbot) -> None:
    wizard, page = _s10(qtbot)
    set_date(page.met_on, dt.date(2026, 11, 20))
    add_attendee(qtbot, page, "District nurse", "LPT", "Jo Smith")
    add_attendee(qtbot, page, "Social worker", "Leicester City Council", "Ravi Shah")
    qtbot.mouseClick(page.consensus.no, LEFT)
    assert page.interim_funder.value() == "icb"  # care is not disrupted: Health pays
    assert "without prejudice" in page.not_disrupted.text()
    choose(page.about, "funding")
    qtbot.keyClicks(page.question, "Who funds the extra 15 minutes a call?")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S10"]
    assert "Dispute reference" in shown_problem(page)

    qtbot.keyClicks(page.dispute_reference, "MLCSU-2026-014")
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert wizard.evaluate().outcome == "INTERIM_WITHOUT_PREJUDICE"
    assert wizard.answers["S10"]["attendees"] == [
        {"role": "District nurse", "organisation": "LPT", "name": "Jo Smith"},
        {"role": "Social worker", "organisation": "Leicester City Council",
         "name": "Ravi Shah"}]
    assert wizard.answers["S10"]["interim_funder"] == "icb"


def test_s10_needs_two_attendees_and_remove_works_from_the_keyboard(qtbot) -> None:
    wizard, page = _s10(qtbot)
    set_date(page.met_on, dt.date(2026, 11, 20))
    add_attendee(qtbot, page, "District nurse", "LPT", "Jo Smith")
    add_attendee(qtbot, page, "Social worker", "Leicester City Council", "Ravi Shah")
    qtbot.mouseClick(page.consensus.yes, LEFT)
    assert not page.about.isEnabled() and not page.dispute_reference.isEnabled()

    page.attendees.table.setCurrentCell(1, 0)
    page.attendees.remove.setFocus()
    qtbot.keyClick(page.attendees.remove, Qt.Key.Key_Space)
    assert page.attendees.value() == [
        {"role": "District nurse", "organisation": "LPT", "name": "Jo Smith"}]
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S10"]
    assert "at least two people" in shown_problem(page)

    add_attendee(qtbot, page, "Care coordinator", "Demo Homecare Ltd", "Sam Lee")
    # A cell still being typed in counts too (Next by keyboard leaves its editor open).
    page.attendees.table.setCurrentCell(1, 1)
    page.attendees.table.editItem(page.attendees.table.currentItem())
    [editor] = [w for w in page.attendees.table.viewport().findChildren(QLineEdit)
                if w.isVisible()]
    editor.selectAll()
    qtbot.keyClicks(editor, "Demo Homecare")
    assert page.answers()["attendees"][1]["organisation"] == "Demo Homecare"
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert wizard.evaluate().outcome == "DELEGATED_HEALTH_FUNDED"


# ---------------------------------------------------------------- across the pages


def test_back_and_next_keep_everything_on_s9f_and_s10(qtbot) -> None:
    wizard, page = _s9f(qtbot)
    _basics(qtbot, page, "extra_minutes")
    qtbot.keyClicks(page.amounts["extra_minutes_per_call"], "15")
    qtbot.keyClicks(page.amounts["calls_per_week"], "14")
    press_next(qtbot, wizard)
    mdt = wizard.currentPage()
    assert isinstance(mdt, MdtPage)
    set_date(mdt.met_on, dt.date(2026, 11, 20))
    add_attendee(qtbot, mdt, "District nurse", "LPT", "Jo Smith")
    qtbot.mouseClick(mdt.consensus.no, LEFT)
    choose(mdt.about, "delegation")
    qtbot.keyClicks(mdt.question, "Is the person stable enough?")
    before_s10 = mdt.answers()

    press_back(qtbot, wizard)
    assert wizard.currentPage() is page
    assert page.amounts["calls_per_week"].text() == "14"
    assert page.answers()["icb_share"] == "all"
    retype(qtbot, page.amounts["calls_per_week"], "14x")  # wrong, kept as typed
    # Restarting stores every page and reloads this one from the answers (as a resumed
    # draft would): the wrong value comes back as typed, with its message.
    wizard.restart()
    assert wizard.currentPage() is page
    assert wizard.answers["S9F"]["entered"]["calls_per_week"] == "14x"
    assert page.amounts["calls_per_week"].text() == "14x"
    assert page.problem.text() == "Calls per week must be a whole number from 1 to 56."
    retype(qtbot, page.amounts["calls_per_week"], "14")
    press_next(qtbot, wizard)
    assert wizard.currentPage() is mdt
    assert mdt.answers() == before_s10
    assert mdt.question.toPlainText() == "Is the person stable enough?"


def test_back_and_next_keep_everything_on_s7_and_s8(qtbot) -> None:
    wizard = open_at(qtbot, "S7", {**ROUTE_TO_S7, "S7": S7_DONE})
    press_next(qtbot, wizard)
    page = wizard.currentPage()
    assert isinstance(page, TrainingPage)
    qtbot.mouseClick(page.all_signed_off.yes, LEFT)
    _fill_rows(qtbot, page, dt.date(2026, 1, 31))
    choose(page.rows[1].level, "1")
    before = page.answers()
    press_back(qtbot, wizard)
    provider = wizard.currentPage()
    assert provider.workers.checked_ids() == ["w-1", "w-2"]
    press_next(qtbot, wizard)
    assert page.answers() == before

    # un-ticking a worker drops their row; ticking them again brings back what was typed
    press_back(qtbot, wizard)
    provider.workers.setCurrentRow(1)
    qtbot.keyClick(provider.workers.viewport(), Qt.Key.Key_Space)
    press_next(qtbot, wizard)
    assert [row.worker_id for row in page.rows] == ["w-1"]
    press_back(qtbot, wizard)
    provider.workers.setCurrentRow(1)
    qtbot.keyClick(provider.workers.viewport(), Qt.Key.Key_Space)
    press_next(qtbot, wizard)
    assert page.answers() == before


def _inputs(page: QWidget) -> list[QWidget]:
    """The widgets a person operates on a page (not the parts inside composite widgets)."""
    kinds = (QLineEdit, QPlainTextEdit, QComboBox, QAbstractButton, QAbstractSpinBox,
             QAbstractItemView)
    found = []
    for widget in page.findChildren(QWidget):
        if not isinstance(widget, kinds):
            continue
        parent = widget.parentWidget()
        inside = False
        while parent is not None and parent is not page:
            inside = inside or isinstance(parent, (QAbstractSpinBox, QComboBox,
                                                   QAbstractItemView))
            parent = parent.parentWidget()
        if not inside:
            found.append(widget)
    return found


PAGE_CASES = [("S7", {**ROUTE_TO_S7, "S7": S7_DONE}),
              ("S8", {**ROUTE_TO_S7, "S7": {**S7_DONE, "worker_ids": ["w-1", "w-2", "w-3"]}}),
              ("S9F", {**ROUTE_TO_S9F, "S9F": S9F_DONE}),
              ("S10", {**ROUTE_TO_S9F, "S9F": S9F_DONE})]


@pytest.mark.parametrize("step, answers", PAGE_CASES, ids=[c[0] for c in PAGE_CASES])
def test_every_input_has_an_accessible_name(qtbot, step: str, answers: dict) -> None:
    wizard = open_at(qtbot, step, answers)
    page = wizard.currentPage()
    inputs = _inputs(page)
    assert len(inputs) >= 6
    unnamed = [f"{type(w).__name__} {getattr(w, 'text', lambda: '')()!r}"
               for w in inputs if not w.accessibleName()]
    assert unnamed == []
    choices = [w for w in inputs if isinstance(w, Choice)]
    assert all(w.accessibleName() for w in choices)


@pytest.mark.parametrize("step, answers", PAGE_CASES, ids=[c[0] for c in PAGE_CASES])
def test_pages_fit_a_1366_by_768_screen_with_nothing_clipped(qtbot, step: str,
                                                            answers: dict) -> None:
    wizard = open_at(qtbot, step, answers)
    page = wizard.currentPage()
    if step == "S10":
        qtbot.mouseClick(page.consensus.no, LEFT)
    if step == "S9F":
        choose(page.method, "fixed_percentage")  # the method with the most inputs
    wizard.resize(wizard.minimumSizeHint().expandedTo(wizard.size()))
    QApplication.processEvents()
    assert wizard.width() <= 1366 and wizard.height() <= 768 - 40  # room for a title bar
    area = page.rect()
    for widget in _inputs(page):
        if not widget.isVisibleTo(page):
            continue
        box = QRect(widget.mapTo(page, widget.rect().topLeft()), widget.size())
        assert area.contains(box), f"{type(widget).__name__} {widget.accessibleName()}"
        assert widget.height() >= min(widget.minimumSizeHint().height(), 20), \
            widget.accessibleName()


@pytest.mark.hazard("H-016")
def test_a_draft_resumes_at_s10_through_every_page_with_the_answers_unchanged(qtbot) -> None:
    s9f_saved_elsewhere = {  # as stored from the split's echo, without what was typed
        "method": "fixed_percentage", "icb_share": "part", "start_date": "2026-12-01",
        "inputs": {"rules_version": 1, "method": "fixed_percentage",
                   "council": "leicester_city", "rate_pence_per_hour": 2400,
                   "lead_commissioner": "icb", "start_date": "2026-12-01",
                   "minutes_per_week": 210, "weekly_pence": None, "icb_basis_points": 6250}}
    answers = {**ROUTE_TO_S9F, "S9F": s9f_saved_elsewhere}
    wizard = DelegationWizard(make_context(answers=answers, current_step="S10"), load_flow(),
                              PAGES, OutcomePage)
    qtbot.addWidget(wizard)
    wizard.show()
    wizard.resume_at("S10")
    assert wizard.currentId() == PAGE_IDS["S10"]
    assert wizard.answers["S7"] == S7_DONE
    due = add_months(dt.date.fromisoformat(RECENT_SIGN_OFF), 12).isoformat()
    assert [s["refresher_due"] for s in wizard.answers["S8"]["sign_offs"]] == [due, due]
    assert wizard.answers["S8"]["oversight_proposed_automatically"] is True
    s9f = wizard.answers["S9F"]
    assert s9f["entered"]["icb_basis_points"] == "62.5"
    assert s9f["inputs"]["icb_basis_points"] == 6250
    assert (s9f["inputs"]["icb_pence_per_week"], s9f["inputs"]["council_pence_per_week"]) == \
        (5250, 3150)


@pytest.mark.hazard("H-012")
def test_s10_a_dispute_about_whether_to_delegate_asks_what_health_pays_meanwhile(qtbot) -> None:
    wizard, page = _s10(qtbot)
    set_date(page.met_on, dt.date(2026, 11, 20))
    add_attendee(qtbot, page, "District nurse", "LPT", "Jo Smith")
    add_attendee(qtbot, page, "Social worker", "Leicester City Council", "Ravi Shah")
    qtbot.mouseClick(page.consensus.no, LEFT)
    choose(page.about, "delegation")
    assert "nursing team keeps the task" in page.not_disrupted.text()
    assert page.interim_weekly.isEnabled() and not page.care_starts_on.isEnabled()
    qtbot.keyClicks(page.question, "Is the person stable enough?")
    qtbot.keyClicks(page.interim_weekly, "twelve pounds")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S10"]
    assert "enter an amount in pounds" in shown_problem(page)
    assert page.interim_weekly.text() == "twelve pounds"  # kept as typed
    page.interim_weekly.clear()
    qtbot.keyClicks(page.interim_weekly, "42.50")
    set_date(page.interim_from, dt.date(2026, 11, 20))
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert wizard.evaluate().outcome == "ESCALATED_SHARED_CARE"
    assert (wizard.answers["S10"]["interim_weekly_pence"],
            wizard.answers["S10"]["interim_from"]) == (4250, "2026-11-20")


@pytest.mark.hazard("H-010")
def test_s10_offers_the_funding_start_and_refuses_a_start_before_the_mdt(qtbot) -> None:
    wizard, page = _s10(qtbot)
    assert page.care_starts_on.value() == "2026-12-01"  # from the funding page
    set_date(page.met_on, dt.date(2026, 12, 3))
    add_attendee(qtbot, page, "District nurse", "LPT", "Jo Smith")
    add_attendee(qtbot, page, "Social worker", "Leicester City Council", "Ravi Shah")
    qtbot.mouseClick(page.consensus.yes, LEFT)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S10"]
    assert "cannot start before the MDT" in shown_problem(page)
    set_date(page.care_starts_on, dt.date(2026, 12, 7))
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert wizard.answers["S10"]["care_starts_on"] == "2026-12-07"


@pytest.mark.hazard("H-005")
def test_s8_refuses_a_sign_off_whose_refresher_has_fallen_due(qtbot) -> None:
    wizard, page = _s8(qtbot)
    long_ago = dt.date.today() - dt.timedelta(days=3 * 365)
    for row in page.rows:
        set_date(row.signed_off, long_ago)
        qtbot.keyClicks(row.trainer, "Tia Trainer")
        qtbot.keyClicks(row.assessor, "Ade Assessor")
    page.phone_in_hours.setText("0116 000 0001")
    page.phone_out_of_hours.setText("111")
    qtbot.mouseClick(page.all_signed_off.yes, LEFT)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S8"]
    assert "no longer current" in shown_problem(page)
    assert page.rows[0].refresher.text().endswith(": overdue")
    recent = dt.date.today() - dt.timedelta(days=10)
    for row in page.rows:
        set_date(row.signed_off, recent)
    press_next(qtbot, wizard)
    assert wizard.currentId() != PAGE_IDS["S8"]
