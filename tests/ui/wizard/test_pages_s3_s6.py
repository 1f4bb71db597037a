"""Wizard pages S3 (excluded task), S4 (stable), S5 (lawful), S6 (consent) and S9 (fits),
driven through the real widgets on a synthetic context (no database).

Tests walk from S1 through the pages as a nurse would (choosing, typing, clicking, pressing
Next); S9 opens with answers for the steps before it, so it does not depend on the S7 and
S8 pages.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractSpinBox,
    QApplication,
    QComboBox,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QWidget,
    QWizard,
)

from desktop_app.services.framework.flow import load_flow
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import ContactOption
from desktop_app.ui.wizard.fields import DateField
from desktop_app.ui.wizard.outcome_page import OutcomePage
from desktop_app.ui.wizard.pages import PAGES
from desktop_app.ui.wizard.s3_excluded import ExcludedTaskPage
from desktop_app.ui.wizard.s4_stable import StablePage
from desktop_app.ui.wizard.s5_lawful import LawfulPage
from desktop_app.ui.wizard.s6_consent import ConsentPage
from desktop_app.ui.wizard.s9_fits import FitsPage
from desktop_app.ui.wizard.wizard import OUTCOME_PAGE_ID, PAGE_IDS, DelegationWizard
from tests.ui.wizard.wizard_support import press_back, press_next
from tools.sample_case import S9_ANSWERED
from tools.sample_wizard import make_context

# A sign-off a month old: current whenever the suite runs (one past its refresher is
# refused).
RECENT_SIGN_OFF = (dt.date.today() - dt.timedelta(days=30)).isoformat()

LEFT = Qt.MouseButton.LeftButton
MINE = ("S3", "S4", "S5", "S6", "S9")
ROUTE_TO_S9: dict[str, dict[str, Any]] = {
    "S1": {"task_code": "insulin_prefilled_pen", "referred_by": "District nurse",
           "is_health_need": True},
    "S2": {"chc_checklist_positive": False},
    "S3": {"needs_clinical_judgement": False},
    "S4": {"stable": True, "what_is_delegated": "Morning insulin by pre-filled pen",
           "what_is_not_delegated": "Any change of dose", "frequency": "Once a day",
           "do_thresholds": "Give the dose on the chart",
           "call_nurse_thresholds": "A reading outside the written range"},
    "S5": {"incidental_or_ancillary": True},
    "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Zoë Ní Bhriain",
           "how": "verbal", "explained": "What the care worker will do"},
    "S7": {"provider_accepts": True, "provider_id": "prov-1", "worker_ids": ["w-1"],
           "insurance_confirmed": True},
    "S8": {"all_signed_off": True, "oversight_service": "community_health",
           "oversight_organisation": "Leicestershire Partnership NHS Trust",
           "sign_offs": [{"worker_id": "w-1", "training_level": 2, "trainer_name": "Tia",
                          "assessor_name": "Ade", "signed_off_on": RECENT_SIGN_OFF}]},
}


# ---------------------------------------------------------------- helpers


def new_wizard(qtbot, **context: Any) -> DelegationWizard:
    wizard = DelegationWizard(make_context(**context), load_flow(), PAGES, OutcomePage)
    qtbot.addWidget(wizard)
    wizard.show()
    qtbot.waitExposed(wizard)
    return wizard


def choose(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


def set_date(field: DateField, day: dt.date) -> None:
    field.set_value(day.isoformat())


def shown_problem(page: StepPage) -> str:
    return page.message.text() if page.message.isVisible() else ""


def fill_s1(qtbot, wizard: DelegationWizard, task_code: str) -> None:
    page = wizard.currentPage()
    choose(page.task, task_code)
    qtbot.keyClicks(page.referred_by, "District nurse")
    qtbot.mouseClick(page.health_need.yes, LEFT)
    press_next(qtbot, wizard)


def fill_s2(qtbot, wizard: DelegationWizard) -> None:
    qtbot.mouseClick(wizard.currentPage().positive.no, LEFT)
    press_next(qtbot, wizard)


def fill_s3(qtbot, wizard: DelegationWizard) -> None:
    qtbot.mouseClick(wizard.currentPage().judgement.no, LEFT)
    press_next(qtbot, wizard)


PLAN_TEXT = {"what_is_delegated": "Morning insulin by pre-filled pen",
             "what_is_not_delegated": "Any change of dose", "frequency": "Once a day",
             "equipment": "Pen, needles, sharps bin", "do_thresholds": "Give the charted dose",
             "call_nurse_thresholds": "A reading outside the written range"}


def fill_s4(qtbot, wizard: DelegationWizard) -> None:
    page = wizard.currentPage()
    qtbot.mouseClick(page.stable.yes, LEFT)
    for name, text in PLAN_TEXT.items():
        qtbot.keyClicks(page.plan[name], text)
    press_next(qtbot, wizard)


def fill_s5(qtbot, wizard: DelegationWizard) -> None:
    qtbot.mouseClick(wizard.currentPage().lawful.yes, LEFT)
    press_next(qtbot, wizard)


def walk_to(qtbot, wizard: DelegationWizard, step: str,
            task_code: str = "insulin_prefilled_pen") -> StepPage:
    """Answer S1 .. the step before ``step`` through the widgets, pressing Next each time."""
    fillers: list[Callable[..., None]] = [fill_s2, fill_s3, fill_s4, fill_s5]
    fill_s1(qtbot, wizard, task_code)
    for filler in fillers[: ["S2", "S3", "S4", "S5", "S6"].index(step)]:
        filler(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS[step], wizard.current_step()
    return wizard.currentPage()


def open_at(qtbot, step: str, answers: dict[str, dict[str, Any]]) -> DelegationWizard:
    """The wizard opened at ``step`` with ``answers`` for the steps before it."""
    wizard = DelegationWizard(make_context(), load_flow(), PAGES, OutcomePage)
    qtbot.addWidget(wizard)
    wizard.answers.update({k: dict(v) for k, v in answers.items()})
    wizard.setStartId(PAGE_IDS[step])
    wizard.show()
    qtbot.waitExposed(wizard)
    assert wizard.currentId() == PAGE_IDS[step]
    return wizard


def inputs(page: QWidget) -> list[QWidget]:
    """Every widget on the page a nurse types into, picks or ticks."""
    found = []
    for widget in page.findChildren(QWidget):
        if isinstance(widget, QLineEdit) and isinstance(
                widget.parent(), QAbstractSpinBox | QComboBox):
            continue  # the editor inside a date field or combo box
        if isinstance(widget, QLineEdit | QPlainTextEdit | QComboBox | QAbstractSpinBox
                      | QAbstractButton):
            found.append(widget)
    return found


def snapshot(page: QWidget) -> list[tuple[str, bool, bool, Any]]:
    """What each input shows: kind, shown, enabled, and its value."""
    shot = []
    for widget in inputs(page):
        if isinstance(widget, QLineEdit):
            value: Any = (widget.text(), widget.isReadOnly())
        elif isinstance(widget, QPlainTextEdit):
            value = widget.toPlainText()
        elif isinstance(widget, QComboBox):
            value = widget.currentData()
        else:
            value = widget.isChecked()
        shot.append((type(widget).__name__, widget.isVisibleTo(page), widget.isEnabled(), value))
    return shot


# ---------------------------------------------------------------- S3


@pytest.mark.hazard("H-002")
def test_a_registered_nurse_task_ends_at_s3_as_not_delegated(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S3", task_code="syringe_driver")
    assert isinstance(page, ExcludedTaskPage)
    status = page.status.text()
    assert "Setting up or managing a syringe driver" in status
    assert "stays with a registered nurse" in status and "wizard ends here" in status
    assert not page.judgement.isVisible() and not page.reason.isVisible()

    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    summary = wizard.currentPage().summary.text()
    assert "Not delegated" in summary
    assert "registered-nurse only" in summary
    assert wizard.answers["S3"] == {}


@pytest.mark.hazard("H-004")
def test_a_delegable_task_asks_about_judgement_and_a_yes_needs_what_judgement(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S3")
    assert "delegable" in page.status.text()
    assert page.judgement.isVisible() and not page.reason.isEnabled()
    press_next(qtbot, wizard)
    assert "Needs clinical judgement each time" in shown_problem(page)

    qtbot.mouseClick(page.judgement.yes, LEFT)
    assert page.reason.isEnabled()
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S3"]
    assert "What judgement is needed" in shown_problem(page)
    qtbot.keyClicks(page.reason, "The dose is chosen from a reading each time")
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert "Not delegated" in wizard.currentPage().summary.text()


# ---------------------------------------------------------------- S4


@pytest.mark.hazard("H-023")
def test_s4_no_without_a_date_to_look_again_is_blocked(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S4")
    assert isinstance(page, StablePage)
    assert not page.no_reason.isEnabled() and not page.reconsider_on.isEnabled()
    qtbot.mouseClick(page.stable.no, LEFT)
    assert page.no_reason.isEnabled() and page.reconsider_on.isEnabled()
    assert not page.plan["what_is_delegated"].isVisible()
    qtbot.keyClicks(page.no_reason, "The dose is still being changed")

    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S4"]
    assert "Look again on" in shown_problem(page)
    assert "Why not now" not in shown_problem(page)

    set_date(page.reconsider_on, dt.date(2026, 6, 1))
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert "Not delegated" in wizard.currentPage().summary.text()
    assert wizard.answers["S4"] == {"stable": False, "no_reason": "The dose is still being "
                                    "changed", "reconsider_on": "2026-06-01"}


@pytest.mark.hazard("H-039")
def test_s4_yes_asks_for_the_plan_lines_with_editable_what_if_defaults(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S4")
    qtbot.mouseClick(page.stable.yes, LEFT)
    assert not page.no_reason.isVisible()
    assert page.plan["in_emergency"].text().startswith("Call 999")
    for name in ("if_refused", "if_missed", "if_equipment_fails", "if_out_of_range"):
        assert "community nursing team on the number on the plan" in page.plan[name].text()

    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S4"]
    for label in ("Exactly what is delegated", "What is not delegated", "How often",
                  "The care worker does", "Call the nurse if"):
        assert label in shown_problem(page)

    page.plan["if_refused"].selectAll()
    qtbot.keyClicks(page.plan["if_refused"], "Try again in ten minutes, then call the team")
    for name, text in PLAN_TEXT.items():
        qtbot.keyClicks(page.plan[name], text)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S5"]
    saved = wizard.answers["S4"]
    assert saved["if_refused"] == "Try again in ten minutes, then call the team"
    assert saved["in_emergency"].startswith("Call 999")
    assert {k: saved[k] for k in PLAN_TEXT} == PLAN_TEXT
    assert "no_reason" not in saved and "reconsider_on" not in saved


# ---------------------------------------------------------------- S5


@pytest.mark.hazard("H-011")
def test_s5_no_says_the_nhs_must_fund_it_and_the_flow_carries_on(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S5")
    assert isinstance(page, LawfulPage)
    assert not page.consequence.isVisible() and not page.reason.isEnabled()
    qtbot.mouseClick(page.lawful.no, LEFT)
    assert page.consequence.isVisible() and page.reason.isEnabled()
    assert "NHS must fund" in page.consequence.text()
    assert "carries on" in page.consequence.text()

    press_next(qtbot, wizard)
    assert "Why the council cannot provide it" in shown_problem(page)
    qtbot.keyClicks(page.reason, "It needs more than a care worker could be expected to do")
    press_next(qtbot, wizard)
    assert isinstance(wizard.currentPage(), ConsentPage)
    assert wizard.evaluate().flags.get("health_must_fund") is True


# ---------------------------------------------------------------- S6


def consent_basics(qtbot, page: ConsentPage, kind: str) -> None:
    qtbot.mouseClick(page.consent.yes, LEFT)
    choose(page.decided_by, kind)
    choose(page.how, "verbal")
    qtbot.keyClicks(page.explained, "What the care worker will do and the risks")


def capacity(qtbot, page: ConsentPage, outcome: str) -> None:
    qtbot.mouseClick(page.capacity_in_doubt.yes, LEFT)
    qtbot.keyClicks(page.capacity["capacity_decision"], "Who gives the morning insulin")
    set_date(page.capacity["capacity_assessed_on"], dt.date(2026, 1, 20))
    qtbot.keyClicks(page.capacity["capacity_assessor"], "Jo Smith, district nurse")
    choose(page.capacity["capacity_outcome"], outcome)


@pytest.mark.hazard("H-007")
def test_s6_a_best_interests_decision_needs_all_four_parts(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S6")
    assert isinstance(page, ConsentPage)
    assert not page.best_interests["bi_consulted"].isVisible()
    consent_basics(qtbot, page, "best_interests")
    capacity(qtbot, page, "lacks_capacity")
    assert page.best_interests["bi_consulted"].isVisible()
    qtbot.keyClicks(page.name, "Jo Smith, district nurse")

    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S6"]
    for label in ("Who was consulted", "The person's wishes and feelings",
                  "Options considered", "Least restrictive choice"):
        assert label in shown_problem(page)

    texts = {"bi_consulted": "Her daughter and the GP",
             "bi_wishes_feelings": "She wants to stay at home",
             "bi_options": "Nurse visits; care worker gives it"}
    for name, text in texts.items():
        qtbot.keyClicks(page.best_interests[name], text)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S6"]
    assert shown_problem(page).endswith("Least restrictive choice.")

    qtbot.keyClicks(page.best_interests["bi_least_restrictive"], "Care worker at breakfast")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]
    saved = wizard.answers["S6"]
    assert saved["given_by_name"] == "Jo Smith, district nurse"
    assert saved["capacity_outcome"] == "lacks_capacity"
    assert saved["bi_least_restrictive"] == "Care worker at breakfast"
    assert "contact_id" not in saved and "no_reason" not in saved


@pytest.mark.hazard("H-007")
def test_s6_a_person_who_lacks_capacity_cannot_be_the_one_who_decided(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S6")
    consent_basics(qtbot, page, "person")
    assert page.name.text() == "Zoë Ní Bhriain" and page.name.isReadOnly()
    capacity(qtbot, page, "lacks_capacity")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S6"]
    assert "lacks capacity for this decision" in shown_problem(page)

    choose(page.capacity["capacity_outcome"], "has_capacity")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]


@pytest.mark.hazard("H-007")
def test_s6_a_capacity_assessment_in_doubt_must_be_recorded(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S6")
    consent_basics(qtbot, page, "person")
    qtbot.mouseClick(page.capacity_in_doubt.yes, LEFT)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S6"]
    for label in ("Decision assessed", "Date of the capacity assessment",
                  "Capacity assessed by", "Outcome of the capacity assessment"):
        assert label in shown_problem(page)


@pytest.mark.hazard("H-007")
def test_s6_an_attorney_chosen_from_the_contacts_fills_the_name(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S6")
    assert not page.contact.isVisible()
    consent_basics(qtbot, page, "lpa")
    assert page.contact.isVisible() and not page.no_contact.isVisible()
    offered = [page.contact.itemData(i) for i in range(1, page.contact.count())]
    assert offered == ["c-1"]  # Raj Patel, next of kin, cannot decide for her
    assert page.name.text() == ""

    choose(page.contact, "c-1")
    assert page.name.text() == "Siobhán Ní Bhriain"
    assert page.name.isReadOnly()
    answers = page.answers()
    assert (answers["contact_id"], answers["given_by_name"]) == ("c-1", "Siobhán Ní Bhriain")

    # An attorney decides only for a person found to lack capacity for this decision.
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S6"]
    assert "lack capacity for this decision" in shown_problem(page)
    capacity(qtbot, page, "lacks_capacity")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]
    assert wizard.answers["S6"]["contact_id"] == "c-1"


@pytest.mark.hazard("H-007")
def test_s6_says_plainly_when_no_attorney_or_deputy_is_recorded(qtbot) -> None:
    wizard = new_wizard(qtbot, contacts=(
        ContactOption("c-2", "Raj Patel", "next_of_kin", False),))
    page = walk_to(qtbot, wizard, "S6")
    consent_basics(qtbot, page, "deputy")
    capacity(qtbot, page, "lacks_capacity")
    assert not page.contact.isVisible()
    assert page.no_contact.isVisible()
    assert "No registered attorney or deputy" in page.no_contact.text()
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S6"]
    assert "No registered attorney or deputy" in shown_problem(page)


@pytest.mark.hazard("H-007")
def test_s6_consent_refused_records_what_the_person_said(qtbot) -> None:
    wizard = new_wizard(qtbot)
    page = walk_to(qtbot, wizard, "S6")
    assert not page.person_said.isVisible()
    qtbot.mouseClick(page.consent.no, LEFT)
    assert page.person_said.isVisible() and page.person_said.isEnabled()
    press_next(qtbot, wizard)
    assert "What the person said" in shown_problem(page)
    qtbot.keyClicks(page.person_said, "I want the nurse to keep coming")
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    assert "declined" in wizard.currentPage().summary.text()


# ---------------------------------------------------------------- S9


@pytest.mark.parametrize(("lawful", "fits", "then"), [
    (False, True, "S9F"), (True, True, "S10"), (True, False, "S9F")])
@pytest.mark.hazard("H-011")
def test_s9_says_the_nhs_must_fund_it_when_the_council_cannot(qtbot, lawful: bool, fits: bool,
                                                             then: str) -> None:
    route = {**ROUTE_TO_S9, "S5": {"incidental_or_ancillary": lawful}}
    if not lawful:
        route["S5"]["no_reason"] = "Beyond what a care worker could be expected to do"
    wizard = open_at(qtbot, "S9", route)
    page = wizard.currentPage()
    assert isinstance(page, FitsPage)
    assert page.health_must_fund.isVisible() is (not lawful)
    if not lawful:
        assert "NHS must fund" in page.health_must_fund.text()
        assert "next page is the funding" in page.health_must_fund.text()
    press_next(qtbot, wizard)
    assert "Fits the existing calls" in shown_problem(page)
    qtbot.mouseClick(page.fits.yes if fits else page.fits.no, LEFT)
    page.resources.load(S9_ANSWERED)  # efficient use of resources: tests of its own
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS[then]


# ---------------------------------------------------------------- every page


@pytest.mark.hazard("H-016")
def test_back_and_next_keep_what_was_typed_on_every_page(qtbot) -> None:
    wizard = new_wizard(qtbot)
    walk_to(qtbot, wizard, "S3")
    seen: dict[str, list[Any]] = {}

    s3 = wizard.currentPage()
    qtbot.mouseClick(s3.judgement.yes, LEFT)
    qtbot.keyClicks(s3.reason, "Only when the reading is low")
    qtbot.mouseClick(s3.judgement.no, LEFT)  # the reason is hidden, and kept in its box
    seen["S3"] = snapshot(s3)
    press_next(qtbot, wizard)

    s4 = wizard.currentPage()
    page_edit_what_if = "Knock again, then call the team"
    qtbot.mouseClick(s4.stable.yes, LEFT)
    for name, text in PLAN_TEXT.items():
        qtbot.keyClicks(s4.plan[name], text)
    s4.plan["if_refused"].selectAll()
    qtbot.keyClicks(s4.plan["if_refused"], page_edit_what_if)
    seen["S4"] = snapshot(s4)
    press_next(qtbot, wizard)

    s5 = wizard.currentPage()
    qtbot.mouseClick(s5.lawful.no, LEFT)
    qtbot.keyClicks(s5.reason, "More than a care worker would do")
    seen["S5"] = snapshot(s5)
    press_next(qtbot, wizard)

    s6 = wizard.currentPage()
    consent_basics(qtbot, s6, "best_interests")
    capacity(qtbot, s6, "lacks_capacity")
    qtbot.keyClicks(s6.name, "Jo Smith")
    for widget in s6.best_interests.values():
        qtbot.keyClicks(widget, "Typed on S6")
    seen["S6"] = snapshot(s6)
    assert ("Line", True, True, ("Jo Smith", False)) in seen["S6"]

    for step in ("S5", "S4", "S3"):
        press_back(qtbot, wizard)
        assert wizard.currentId() == PAGE_IDS[step]
        assert snapshot(wizard.currentPage()) == seen[step], step
    for step in ("S4", "S5", "S6"):
        press_next(qtbot, wizard)
        assert wizard.currentId() == PAGE_IDS[step]
        assert snapshot(wizard.currentPage()) == seen[step], step
    assert wizard.answers["S4"]["if_refused"] == page_edit_what_if


def fill_s3_all(qtbot, page: ExcludedTaskPage) -> None:
    qtbot.mouseClick(page.judgement.yes, LEFT)
    qtbot.keyClicks(page.reason, "The dose depends on the reading")


def fill_s4_yes(qtbot, page: StablePage) -> None:
    qtbot.mouseClick(page.stable.yes, LEFT)
    for name, widget in page.plan.items():
        if widget.isVisibleTo(page):  # readings are not asked for insulin: not recorded
            widget.set_value(None)
            qtbot.keyClicks(widget, f"text for {name}")


def fill_s4_no(qtbot, page: StablePage) -> None:
    qtbot.mouseClick(page.stable.no, LEFT)
    qtbot.keyClicks(page.no_reason, "Still changing")
    set_date(page.reconsider_on, dt.date(2026, 7, 1))


def fill_s5_all(qtbot, page: LawfulPage) -> None:
    qtbot.mouseClick(page.lawful.no, LEFT)
    qtbot.keyClicks(page.reason, "Not incidental")


def fill_s6_best_interests(qtbot, page: ConsentPage) -> None:
    consent_basics(qtbot, page, "best_interests")
    capacity(qtbot, page, "lacks_capacity")
    qtbot.keyClicks(page.name, "Jo Smith")
    for name, widget in page.best_interests.items():
        qtbot.keyClicks(widget, f"text for {name}")


def fill_s6_attorney(qtbot, page: ConsentPage) -> None:
    consent_basics(qtbot, page, "lpa")
    choose(page.contact, "c-1")
    capacity(qtbot, page, "lacks_capacity")


def fill_s6_refused(qtbot, page: ConsentPage) -> None:
    qtbot.mouseClick(page.consent.no, LEFT)
    qtbot.keyClicks(page.person_said, "No thank you")
    qtbot.mouseClick(page.capacity_in_doubt.no, LEFT)


def fill_s9(qtbot, page: FitsPage) -> None:
    qtbot.mouseClick(page.fits.no, LEFT)


FILLERS = [("S3", fill_s3_all), ("S4", fill_s4_yes), ("S4", fill_s4_no), ("S5", fill_s5_all),
           ("S6", fill_s6_best_interests), ("S6", fill_s6_attorney), ("S6", fill_s6_refused),
           ("S9", fill_s9)]


@pytest.mark.parametrize(("step", "fill"), FILLERS, ids=[f.__name__ for _, f in FILLERS])
def test_answers_then_load_restores_every_widget(qtbot, step: str, fill: Callable) -> None:
    route = {k: v for k, v in ROUTE_TO_S9.items() if PAGE_IDS[k] < PAGE_IDS[step]}
    wizard = open_at(qtbot, step, route)
    page = wizard.currentPage()
    fill(qtbot, page)
    answers, before = page.answers(), snapshot(page)
    assert set(answers) <= set(wizard.flow.step(step).fields)  # keys are the flow's names

    # Loaded into a fresh page, so a widget that load() forgets shows up as a difference.
    fresh = open_at(qtbot, step, route).currentPage()
    assert snapshot(fresh) != before
    fresh.load(answers)
    assert snapshot(fresh) == before
    assert fresh.answers() == answers
    page.load({})
    assert snapshot(page) != before
    page.load(answers)
    assert snapshot(page) == before


def show_everything(wizard: DelegationWizard) -> None:
    """Answer each page so that every section it can show is shown."""
    wizard.page(PAGE_IDS["S4"]).load({"stable": True})
    wizard.page(PAGE_IDS["S5"]).load({"incidental_or_ancillary": False})
    wizard.page(PAGE_IDS["S6"]).load({"consent_given": False, "given_by_kind": "best_interests",
                                      "capacity_in_doubt": True})


@pytest.mark.parametrize("step", MINE)
def test_every_input_has_an_accessible_name(qtbot, step: str) -> None:
    wizard = new_wizard(qtbot)
    show_everything(wizard)
    page = wizard.page(PAGE_IDS[step])
    widgets = inputs(page)
    assert len(widgets) >= 2
    unnamed = [f"{type(w).__name__} {w.text() if hasattr(w, 'text') else ''}"
               for w in widgets if not w.accessibleName().strip()]
    assert not unnamed


MNEMONIC = re.compile(r"&([^&\s])")


@pytest.mark.parametrize("step", MINE)
def test_mnemonics_are_unique_and_lead_somewhere(qtbot, step: str) -> None:
    wizard = new_wizard(qtbot)
    show_everything(wizard)
    page = wizard.page(PAGE_IDS[step])
    keys: list[str] = [MNEMONIC.findall(wizard.buttonText(b))[0].lower() for b in (
        QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
        QWizard.WizardButton.FinishButton)]
    for label in page.findChildren(QLabel):
        found = MNEMONIC.findall(label.text())
        if found and "<" not in label.text():
            assert label.buddy() is not None, label.text()
            keys.extend(k.lower() for k in found)
        buddy = label.buddy()
        if buddy is not None and buddy.focusPolicy() != Qt.FocusPolicy.NoFocus:
            assert found, f"{label.text()!r} has no mnemonic"
    for button in page.findChildren(QAbstractButton):
        if button.focusPolicy() == Qt.FocusPolicy.NoFocus:
            continue  # a date's calendar button: Alt+Down or F4 in the date opens it
        found = MNEMONIC.findall(button.text())
        assert found, f"{button.text()!r} has no mnemonic"
        keys.extend(k.lower() for k in found)
    assert len(keys) > 4
    assert len(keys) == len(set(keys)), sorted(keys)


def clipped(page: QWidget) -> list[str]:
    """Labels and buttons on screen that are smaller than their text needs."""
    problems = []
    for widget in page.findChildren(QLabel) + page.findChildren(QAbstractButton):
        if not widget.isVisible() or not widget.text():
            continue
        if isinstance(widget, QLabel) and widget.wordWrap():
            needed_height = widget.heightForWidth(widget.width())
            if widget.height() < needed_height:
                problems.append(f"{widget.text()[:40]!r} {widget.height()} < {needed_height}")
        elif (widget.width() < widget.minimumSizeHint().width()
              or widget.height() < widget.minimumSizeHint().height()):
            problems.append(f"{widget.text()[:40]!r} {widget.size()} < "
                            f"{widget.minimumSizeHint()}")
    return problems


@pytest.mark.parametrize("size", [(1366, 740), (900, 680)])
@pytest.mark.parametrize("step", MINE)
def test_pages_fit_the_screen_with_nothing_clipped(qtbot, step: str,
                                                   size: tuple[int, int]) -> None:
    wizard = DelegationWizard(make_context(), load_flow(), PAGES, OutcomePage)
    qtbot.addWidget(wizard)
    wizard.answers.update({k: dict(v) for k, v in ROUTE_TO_S9.items()})
    wizard.answers["S5"] = {"incidental_or_ancillary": False, "no_reason": "Not incidental"}
    wizard.answers["S6"] = {"consent_given": False, "given_by_kind": "best_interests",
                            "capacity_in_doubt": True}
    wizard.answers["S4"] = {"stable": True}
    wizard.setStartId(PAGE_IDS[step])
    wizard.show()
    wizard.resize(*size)
    qtbot.waitExposed(wizard)
    QApplication.processEvents()
    page = wizard.currentPage()
    assert wizard.width() <= size[0] and wizard.height() <= size[1], wizard.size()
    scroll = page.findChild(QScrollArea)
    if scroll is None:
        assert page.sizeHint().height() <= page.height(), (page.sizeHint(), page.size())
    else:
        assert page.minimumSizeHint().height() <= page.height()
    assert not clipped(page)
