"""The wizard's words, read as a community nurse (issue 17, "Wizard").

A box that asks "why not" shows only after the answer that needs it, and keeps what was
typed in it while the answer flips back and forth; S4's example text follows the task
chosen on S1 (never insulin for eye drops), and asks about readings only for a task that
takes them; a red message saying what is missing is said again for the answers as they
change, and goes once nothing is; the outcome page gives the first review's date, worked
out as recording the decision does; the S8 sign-off rule is said once.

Before the fixes: S1's "Why not" and S5's "Why the council cannot" showed before any answer
and after "Yes"; S4's examples were about insulin whatever the task; a message stayed
after the field was fixed; the outcome page printed the whole review rule and no date;
S8 said sign-off is for this person twice.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QComboBox, QLabel, QWidget, QWizard

from desktop_app.services.delegation.checks import care_starts_on
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.framework.review_schedule import (
    HOW_DATES_ARE_COUNTED,
    add_months,
    first_review,
)
from desktop_app.services.framework.task_lines import (
    example_from_description,
    task_has_readings,
)
from desktop_app.ui.wizard.outcome_page import OutcomePage, long_day
from desktop_app.ui.wizard.pages import PAGES
from desktop_app.ui.wizard.s1_identify import IdentifyPage
from desktop_app.ui.wizard.s3_excluded import ExcludedTaskPage
from desktop_app.ui.wizard.s4_stable import StablePage
from desktop_app.ui.wizard.s5_lawful import LawfulPage
from desktop_app.ui.wizard.s7_provider import ProviderPage
from desktop_app.ui.wizard.s8_training import TrainingPage
from desktop_app.ui.wizard.s10_mdt import MdtPage
from desktop_app.ui.wizard.wizard import OUTCOME_PAGE_ID, PAGE_IDS, DelegationWizard, fitted
from tests.ui.wizard.wizard_support import press_next
from tools.sample_wizard import make_context

LEFT = Qt.MouseButton.LeftButton
TODAY = dt.date.today()
S1_EYE_DROPS = {"task_code": "eye_drops", "referred_by": "District nurse",
                "is_health_need": True}
ROUTE_TO_S5: dict[str, dict[str, Any]] = {
    "S1": S1_EYE_DROPS,
    "S2": {"chc_checklist_positive": False},
    "S3": {"needs_clinical_judgement": False},
    "S4": {"stable": True, "what_is_delegated": "Eye drops", "what_is_not_delegated": "Dose",
           "frequency": "Twice a day", "do_thresholds": "Give the drops",
           "call_nurse_thresholds": "Red eye"},
}
ROUTE_TO_S7 = {**ROUTE_TO_S5, "S5": {"incidental_or_ancillary": True},
               "S6": {"consent_given": True, "given_by_kind": "person",
                      "given_by_name": "Zoë Ní Bhriain", "how": "verbal",
                      "explained": "What the care worker will do"}}
S8_DONE = {"all_signed_off": True, "oversight_service": "community_health",
           "oversight_organisation": "City North community nursing",
           "oversight_phone_in_hours": "0116 000 0001", "oversight_phone_out_of_hours": "111",
           "sign_offs": [{"worker_id": "w-1", "training_level": 1, "trainer_name": "T Nurse",
                          "assessor_name": "A Nurse",
                          "signed_off_on": (TODAY - dt.timedelta(days=20)).isoformat()}]}
ROUTE_TO_S10 = {**ROUTE_TO_S7,
                "S7": {"provider_accepts": True, "provider_id": "prov-1", "worker_ids": ["w-1"],
                       "insurance_confirmed": True},
                "S8": S8_DONE, "S9": {"fits_existing_calls": True}}
ATTENDEES = [{"role": "Community nurse", "organisation": "LPT", "name": "Ann Example"},
             {"role": "Social worker", "organisation": "City council", "name": "Bo Sample"}]


def open_at(qtbot: Any, step: str, answers: dict[str, dict[str, Any]],
            **context: Any) -> DelegationWizard:
    """The wizard opened at ``step`` with ``answers`` for the steps before it."""
    wizard = DelegationWizard(make_context(**context), load_flow(), PAGES, OutcomePage)
    qtbot.addWidget(wizard)
    wizard.answers.update({k: dict(v) for k, v in answers.items()})
    wizard.setStartId(PAGE_IDS[step])
    wizard.restart()
    wizard.show()
    qtbot.waitExposed(wizard)
    assert wizard.currentId() == PAGE_IDS[step]
    return wizard


def shown(widget: QWidget) -> bool:
    """On the page (its row not hidden), as the nurse sees it."""
    page = widget.parentWidget()
    while page is not None and not hasattr(page, "step"):
        page = page.parentWidget()
    return widget.isVisibleTo(page) if page is not None else widget.isVisible()


def message(page: Any) -> str:
    return page.message.text() if page.message.isVisible() else ""


def choose(combo: QComboBox, value: str) -> None:
    index = combo.findData(value)
    assert index >= 0, value
    combo.setCurrentIndex(index)


# ---------------------------------------------------------------- boxes shown when asked


def test_s1_why_not_shows_only_after_no_and_keeps_what_was_typed(qtbot) -> None:
    wizard = open_at(qtbot, "S1", {})
    page = wizard.currentPage()
    assert isinstance(page, IdentifyPage)
    choose(page.task, "eye_drops")
    assert not shown(page.reason)  # not answered yet
    qtbot.mouseClick(page.health_need.yes, LEFT)
    assert not shown(page.reason)  # "Yes, a health need": nothing to explain
    qtbot.mouseClick(page.health_need.no, LEFT)
    assert shown(page.reason) and page.reason.isEnabled()
    qtbot.keyClicks(page.reason, "Only reminding her to use the drops")
    assert page.answers()["no_reason"] == "Only reminding her to use the drops"

    qtbot.mouseClick(page.health_need.yes, LEFT)
    assert not shown(page.reason)
    assert page.answers()["no_reason"] is None  # a hidden box is not recorded
    qtbot.mouseClick(page.health_need.no, LEFT)
    assert page.reason.toPlainText() == "Only reminding her to use the drops"  # kept

    # Next with "Yes", then Back: still there for a flip back to "No".
    qtbot.mouseClick(page.health_need.yes, LEFT)
    page.load(page.answers())
    qtbot.mouseClick(page.health_need.no, LEFT)
    assert page.reason.toPlainText() == "Only reminding her to use the drops"


def test_s5_why_the_council_cannot_shows_only_after_no(qtbot) -> None:
    wizard = open_at(qtbot, "S5", ROUTE_TO_S5)
    page = wizard.currentPage()
    assert isinstance(page, LawfulPage)
    assert not shown(page.reason) and not shown(page.consequence)  # before an answer
    qtbot.mouseClick(page.lawful.yes, LEFT)
    assert not shown(page.reason)
    qtbot.mouseClick(page.lawful.no, LEFT)
    assert shown(page.reason) and shown(page.consequence)
    qtbot.keyClicks(page.reason, "Four calls a day only for the drops")
    qtbot.mouseClick(page.lawful.yes, LEFT)
    assert not shown(page.reason)
    assert page.answers() == {"incidental_or_ancillary": True, "no_reason": None}
    qtbot.mouseClick(page.lawful.no, LEFT)
    assert page.answers()["no_reason"] == "Four calls a day only for the drops"


def test_s3_what_judgement_shows_only_after_yes(qtbot) -> None:
    wizard = open_at(qtbot, "S3", {k: ROUTE_TO_S5[k] for k in ("S1", "S2")})
    page = wizard.currentPage()
    assert isinstance(page, ExcludedTaskPage)
    assert not shown(page.reason)
    qtbot.mouseClick(page.judgement.no, LEFT)
    assert not shown(page.reason)
    qtbot.mouseClick(page.judgement.yes, LEFT)
    assert shown(page.reason)


def test_s7_why_not_only_after_a_no_and_a_provider_that_declined_asks_no_more(qtbot) -> None:
    wizard = open_at(qtbot, "S7", ROUTE_TO_S7)
    page = wizard.currentPage()
    assert isinstance(page, ProviderPage)
    assert not shown(page.reason) and shown(page.insurance) and shown(page.workers)
    qtbot.mouseClick(page.accepts.yes, LEFT)
    qtbot.mouseClick(page.insurance.no, LEFT)
    assert shown(page.reason)
    qtbot.mouseClick(page.insurance.yes, LEFT)
    assert not shown(page.reason)
    qtbot.mouseClick(page.accepts.no, LEFT)
    assert shown(page.reason)
    assert not shown(page.workers) and not shown(page.insurance)


def test_s8_what_is_outstanding_only_after_no(qtbot) -> None:
    wizard = open_at(qtbot, "S8", {**ROUTE_TO_S10})
    page = wizard.currentPage()
    assert isinstance(page, TrainingPage)
    page.all_signed_off.set_value(None)
    page.all_signed_off.changed.emit()
    assert not shown(page.reason) and not shown(page.reconsider_on)
    qtbot.mouseClick(page.all_signed_off.no, LEFT)
    assert shown(page.reason) and shown(page.reconsider_on)
    qtbot.mouseClick(page.all_signed_off.yes, LEFT)
    assert not shown(page.reason) and not shown(page.reconsider_on)


def test_s10_disagreement_rows_only_after_no_each_for_its_dispute(qtbot) -> None:
    wizard = open_at(qtbot, "S10", ROUTE_TO_S10)
    page = wizard.currentPage()
    assert isinstance(page, MdtPage)
    disagreement = (page.about, page.question, page.interim_funder)
    assert not any(shown(w) for w in disagreement) and shown(page.care_starts_on)
    qtbot.mouseClick(page.consensus.yes, LEFT)
    assert not any(shown(w) for w in (*disagreement, page.dispute_reference,
                                      page.interim_weekly, page.interim_from))
    qtbot.mouseClick(page.consensus.no, LEFT)
    assert all(shown(w) for w in disagreement)
    choose(page.about, "funding")
    assert shown(page.dispute_reference) and not shown(page.interim_weekly)
    assert shown(page.care_starts_on)  # care goes ahead while the funding is disputed
    choose(page.about, "delegation")
    assert not shown(page.dispute_reference)
    assert shown(page.interim_weekly) and shown(page.interim_from)
    assert not shown(page.care_starts_on)  # nothing is delegated meanwhile


def test_s8_says_once_that_sign_off_is_for_this_person(qtbot) -> None:
    wizard = open_at(qtbot, "S8", ROUTE_TO_S10)
    page = wizard.currentPage()
    said = [label.text() for label in page.findChildren(QLabel)
            if label.isVisible() and "carry to anyone else" in label.text()]
    assert len(said) == 1, said
    assert "Zoë Ní Bhriain" in said[0]


# ---------------------------------------------------------------- S4 examples follow the task


def _s4(qtbot: Any, task_code: str, **context: Any) -> StablePage:
    s1 = {**S1_EYE_DROPS, "task_code": task_code}
    wizard = open_at(qtbot, "S4", {**ROUTE_TO_S5, "S1": s1, "S4": {}}, **context)
    page = wizard.currentPage()
    assert isinstance(page, StablePage)
    qtbot.mouseClick(page.stable.yes, LEFT)
    return page


def test_s4_examples_follow_the_eye_drops_task_and_never_mention_insulin(qtbot) -> None:
    page = _s4(qtbot, "eye_drops")
    examples = {name: widget.placeholderText() for name, widget in page.plan.items()}
    assert examples["what_is_delegated"].startswith("e.g. putting prescribed eye drops")
    assert not [text for text in examples.values() if "insulin" in text.lower()
                or "pen" in text.lower().split()]
    # Eye drops take no readings: the line is not asked, and not recorded.
    assert not shown(page.plan["if_out_of_range"])
    assert page.answers()["if_out_of_range"] is None
    assert shown(page.plan["if_refused"])


def test_s4_asks_about_readings_for_a_blood_glucose_test(qtbot) -> None:
    page = _s4(qtbot, "blood_glucose_finger_prick")
    assert shown(page.plan["if_out_of_range"])
    assert "finger-prick" in page.plan["what_is_delegated"].placeholderText()
    assert page.answers()["if_out_of_range"]  # the safe default wording


def test_s4_a_task_the_catalogue_does_not_describe_gets_a_neutral_example(qtbot) -> None:
    tasks = tuple(dataclasses.replace(t, description="") if t.code == "ear_drops" else t
                  for t in make_context().tasks)
    page = _s4(qtbot, "ear_drops", tasks=tasks)
    example = page.plan["what_is_delegated"].placeholderText()
    assert example.startswith("e.g. the task exactly as the care worker does it")


def test_task_lines_read_the_catalogue() -> None:
    assert task_has_readings("vital_signs") and task_has_readings(None)
    assert not task_has_readings("medication")
    assert not task_has_readings("medication", "eye_drops")
    # Insulin is given against the glucose reading, oxygen against the saturation.
    assert task_has_readings("medication", "insulin_prefilled_pen")
    assert task_has_readings("airways_breathing", "oxygen_therapy")
    assert example_from_description("Putting drops in.") == "putting drops in."
    assert example_from_description("IV lines") == "IV lines"
    assert example_from_description("  ") is None


# ------------------------------------------------------------ messages said again as answers change


def test_s1_message_goes_as_soon_as_the_missing_answers_are_given(qtbot) -> None:
    wizard = open_at(qtbot, "S1", {})
    page = wizard.currentPage()
    choose(page.task, "eye_drops")
    press_next(qtbot, wizard)
    assert "Referred by" in message(page)
    qtbot.keyClicks(page.referred_by, "GP")
    # Said again for what is still missing, without pressing Next.
    assert "Referred by" not in message(page)
    assert "health need" in message(page)
    qtbot.mouseClick(page.health_need.yes, LEFT)
    assert message(page) == ""
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S2"]


def test_s5_message_goes_once_the_reason_is_typed(qtbot) -> None:
    wizard = open_at(qtbot, "S5", ROUTE_TO_S5)
    page = wizard.currentPage()
    qtbot.mouseClick(page.lawful.no, LEFT)
    press_next(qtbot, wizard)
    assert "Why the council cannot provide it" in message(page)
    qtbot.keyClicks(page.reason, "Only for the drops")
    assert message(page) == ""
    page.reason.clear()  # no nagging while typing: said again only on Next
    assert message(page) == ""
    press_next(qtbot, wizard)
    assert "Why the council cannot provide it" in message(page)


def test_s10_page_check_is_said_again_as_attendees_are_added(qtbot) -> None:
    wizard = open_at(qtbot, "S10", ROUTE_TO_S10)
    page = wizard.currentPage()
    assert isinstance(page, MdtPage)
    page.met_on.set_value((TODAY - dt.timedelta(days=2)).isoformat())
    qtbot.mouseClick(page.consensus.yes, LEFT)
    page.attendees.set_value(ATTENDEES[:1])
    press_next(qtbot, wizard)
    assert "at least two people" in message(page)
    page.attendees.add_row(ATTENDEES[1])
    assert message(page) == ""


# ---------------------------------------------------------------- the outcome's first review date


def _outcome(qtbot: Any, s10: dict[str, Any]) -> tuple[DelegationWizard, OutcomePage]:
    wizard = open_at(qtbot, "S10", {**ROUTE_TO_S10, "S10": s10})
    press_next(qtbot, wizard)
    assert wizard.currentId() == OUTCOME_PAGE_ID
    page = wizard.currentPage()
    assert isinstance(page, OutcomePage)
    return wizard, page


@pytest.mark.hazard("H-010")
def test_the_outcome_gives_the_first_review_date_recording_will_give(qtbot) -> None:
    starts = TODAY + dt.timedelta(days=10)
    wizard, page = _outcome(qtbot, {
        "met_on": (TODAY - dt.timedelta(days=3)).isoformat(), "attendees": ATTENDEES,
        "consensus": True, "care_starts_on": starts.isoformat()})
    summary = page.summary.text()
    due = add_months(starts, 3)
    assert due == first_review(care_starts_on(wizard.answers, TODAY)).due_on  # as decide()
    assert f"First review due: <b>{long_day(due)}</b>" in summary
    assert f"3 months after the care starts on {long_day(starts)}" in summary
    assert "every 12 months" in summary
    assert HOW_DATES_ARE_COUNTED not in summary and "29 February" not in summary  # short
    assert "reconstructed" not in summary


@pytest.mark.hazard("H-010")
def test_the_outcome_says_the_review_counts_from_today_without_a_start_date(qtbot) -> None:
    _wizard, page = _outcome(qtbot, {
        "met_on": (TODAY - dt.timedelta(days=3)).isoformat(), "attendees": ATTENDEES,
        "consensus": True})
    summary = page.summary.text()
    assert f"First review due: <b>{long_day(add_months(TODAY, 3))}</b>" in summary
    assert "today, as no start date was given on step S10" in summary


@pytest.mark.hazard("H-010")
@pytest.mark.hazard("H-011")
def test_funding_left_on_s9f_after_going_back_moves_neither_the_start_nor_the_review(
        qtbot) -> None:
    """S9 "No", S9F filled in (extra care from a later day), Back, S9 "fits the existing
    calls": S10 offers no start from S9F and the outcome counts from today, as decide()
    records it (only the route's answers count)."""
    later = (TODAY + dt.timedelta(days=60)).isoformat()
    abandoned = {"method": "equal_split", "start_date": later,
                 "inputs": {"method": "equal_split", "start_date": later}}
    wizard = open_at(qtbot, "S10", {**ROUTE_TO_S10, "S9F": abandoned})
    page = wizard.currentPage()
    assert page.care_starts_on.value() is None  # not the abandoned extra care's start
    page.met_on.set_value((TODAY - dt.timedelta(days=3)).isoformat())
    page.attendees.set_value(ATTENDEES)
    page.consensus.set_value(True)
    press_next(qtbot, wizard)
    outcome = wizard.currentPage()
    assert isinstance(outcome, OutcomePage)
    summary = outcome.summary.text()
    assert f"First review due: <b>{long_day(add_months(TODAY, 3))}</b>" in summary
    assert "today, as no start date was given on step S10" in summary


def test_long_day_is_english_with_the_weekday() -> None:
    assert long_day(dt.date(2027, 1, 4)) == "Monday 4 January 2027"


# ---------------------------------------------------------------- 150 % text on a 1366x768 laptop

#: A 1366x768 screen at 150 % text, in the pixels the app lays out in.
SMALL_SCREEN = QSize(1366 * 2 // 3, 768 * 2 // 3)
EVERY_PAGE = ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S10", "OUTCOME")


def test_the_wizard_opens_no_bigger_than_the_screen() -> None:
    assert fitted(QSize(900, 680), QSize(1366, 728)) == QSize(900, 680)
    small = fitted(QSize(900, 680), SMALL_SCREEN)
    assert small.width() <= SMALL_SCREEN.width() - 16
    assert small.height() <= SMALL_SCREEN.height() - 40


@pytest.mark.parametrize("step", EVERY_PAGE)
def test_every_page_scrolls_with_its_buttons_in_view_at_150_percent(qtbot, step: str) -> None:
    answers = {**ROUTE_TO_S10, "S10": {"met_on": (TODAY - dt.timedelta(days=3)).isoformat(),
                                       "attendees": ATTENDEES, "consensus": False,
                                       "disagreement_about": "delegation"},
               "S4": {"stable": True}}
    if step == "OUTCOME":
        answers["S10"] = {**answers["S10"], "consensus": True}
    wizard = open_at(qtbot, "S10" if step == "OUTCOME" else step, answers)
    if step == "OUTCOME":
        press_next(qtbot, wizard)
    size = fitted(wizard.size(), SMALL_SCREEN)
    wizard.resize(size)
    QApplication.processEvents()
    assert wizard.size() == size  # no page holds the window taller than the screen
    page = wizard.currentPage()
    for which in (QWizard.WizardButton.BackButton, QWizard.WizardButton.CancelButton):
        button = wizard.button(which)
        assert wizard.rect().contains(QRect(button.mapTo(wizard, QPoint(0, 0)),
                                            button.size())), which
    scroll = page.page_scroll
    assert page.rect().contains(QRect(scroll.mapTo(page, QPoint(0, 0)), scroll.size()))
    if scroll.widget().minimumSizeHint().height() > scroll.viewport().height():
        assert scroll.verticalScrollBar().isVisible()  # a long page has its scroll bar
