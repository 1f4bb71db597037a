"""The framework's principles on the wizard's pages (issue 18, points 1, 2, 4 and 5), driven
through the real widgets with the keyboard where a nurse would use it.

- S6: what matters to the person (own words, strengths, self-care, who took part) is kept
  under the answer keys and shown again; it starts from the person record; words without
  anyone who took part stop the page.
- S9: assistive technology and the call frequency must be answered before S9 is left, on
  either route, the message naming what is missing with the focus there.
- S1, S2, S4, S6: the latest partner assessment of the step's kind is offered for reuse
  only when one is on file, reused by id, with a warning when over a year old; another
  partner's can be typed in, and is refused without its organisation, assessor or date.
- S1 and S5: the Care Act eligibility screen on file, or that there is none.
- Done when: the real wizard, on a real vault, typed through to a delegation, and the
  support plan PDF read back holds each typed text as typed.

Shown to fail: with ``answers()`` of S6/S9 not adding the boxes' keys, the round trips and
the PDF test fail; with ``ResourcesBox.missing`` returning None, S9 goes on unanswered;
with ``ReuseBox`` offering nothing (``offered`` None), the reuse tests fail; with
``is_stale`` ignored, the stale warning test fails.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import QEvent, Qt
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QAbstractButton,
    QApplication,
    QLabel,
    QWidget,
    QWizard,
)
from sqlalchemy import select

from desktop_app.models.plan import SupportPlan
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import load_plan_document
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.wizard.base import StepPage, escape_text
from desktop_app.ui.wizard.context import AssessmentOnFile, EligibilityOnFile, WhatMattersOnFile
from desktop_app.ui.wizard.controller import WizardController
from desktop_app.ui.wizard.outcome_page import OutcomePage
from desktop_app.ui.wizard.pages import PAGES
from desktop_app.ui.wizard.person_centred_boxes import ParticipantsTable
from desktop_app.ui.wizard.reuse_box import ReuseBox
from desktop_app.ui.wizard.wizard import PAGE_IDS, DelegationWizard
from tests.services.pdf.pdf_text import flat, page_texts
from tests.ui.wizard.test_wizard_end_to_end import CATALOGUE, EYE_DROPS, Stack, scenario
from tests.ui.wizard.wizard_support import press_back, press_next
from tools.sample_wizard import make_context

LEFT = Qt.MouseButton.LeftButton
TODAY = dt.date(2026, 11, 20)
MNEMONIC = re.compile(r"&([^&\s])")
RECENT_SIGN_OFF = (dt.date.today() - dt.timedelta(days=30)).isoformat()
ROUTE: dict[str, dict[str, Any]] = {
    "S1": {"task_code": "eye_drops", "referred_by": "District nurse", "is_health_need": True},
    "S2": {"chc_checklist_positive": False},
    "S3": {"needs_clinical_judgement": False},
    "S4": {"stable": True, "what_is_delegated": "Eye drops, both eyes",
           "what_is_not_delegated": "Any change of medicine", "frequency": "Twice a day",
           "do_thresholds": "Give the drops", "call_nurse_thresholds": "Red, painful eye"},
    "S5": {"incidental_or_ancillary": True},
    "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Zoë Ní Bhriain",
           "how": "verbal", "explained": "What the care worker will do"},
    "S7": {"provider_accepts": True, "provider_id": "prov-1", "worker_ids": ["w-1"],
           "insurance_confirmed": True},
    "S8": {"all_signed_off": True, "oversight_service": "community_health",
           "oversight_organisation": "Leicestershire Partnership NHS Trust",
           "oversight_phone_in_hours": "0116 000 0001", "oversight_phone_out_of_hours": "111",
           "sign_offs": [{"worker_id": "w-1", "training_level": 1, "trainer_name": "Tia",
                          "assessor_name": "Ade", "signed_off_on": RECENT_SIGN_OFF}]},
}
RESOURCES = {"at_considered": False, "at_reason": "No equipment puts drops in an eye",
             "calls_reviewed": True, "calls_outcome": "fits_existing_call"}
ON_FILE = (
    AssessmentOnFile("pa-new", "care_act_needs", "O'Brien & Sons <Care>", "Zoë Ní Assessor",
                     dt.date(2026, 9, 14), "Needs help <b>morning</b> and evening"),
    AssessmentOnFile("pa-old", "care_act_needs", "Leicester City Council", "Jo Smith",
                     dt.date(2024, 1, 5)),
    AssessmentOnFile("pa-chc", "chc_checklist", "LLR Integrated Care Board", "A Nurse",
                     dt.date(2025, 8, 2), "Negative"),
    AssessmentOnFile("pa-risk", "clinical_risk", "GP practice", "Dr Example",
                     dt.date(2026, 11, 1)),
    AssessmentOnFile("pa-mca", "mental_capacity", "Leicestershire Partnership NHS Trust",
                     "Dr R Patel", dt.date(2026, 10, 30)),
)


# ---------------------------------------------------------------- helpers


def open_at(qtbot: Any, step: str, answers: dict[str, dict[str, Any]] | None = None,
            **context: Any) -> DelegationWizard:
    """The wizard opened at ``step`` on the synthetic context (``context`` laid over it)."""
    wizard = DelegationWizard(make_context(today=TODAY, **context), load_flow(), PAGES,
                              OutcomePage)
    qtbot.addWidget(wizard)
    wizard.answers.update({k: dict(v) for k, v in (answers or ROUTE).items()})
    wizard.setStartId(PAGE_IDS[step])
    wizard.restart()
    wizard.show()
    qtbot.waitExposed(wizard)
    wizard.activateWindow()
    assert wizard.currentId() == PAGE_IDS[step]
    return wizard


def type_text(qtbot: Any, widget: QWidget, text: str) -> None:
    """Type ``text`` key by key into ``widget`` (QTest types only ASCII: other letters,
    ë or í, go as the key events a keyboard layout sends)."""
    for char in text:
        if char.isascii():
            qtbot.keyClicks(widget, char)
            continue
        for kind in (QEvent.Type.KeyPress, QEvent.Type.KeyRelease):
            QApplication.sendEvent(widget, QKeyEvent(kind, 0, Qt.KeyboardModifier.NoModifier,
                                                     char))


def shown_problem(page: StepPage) -> str:
    return page.message.text() if page.message.isVisible() else ""


def focused(widget: QWidget) -> QWidget | None:
    """The widget with the focus in ``widget``'s window (offscreen, the window may never be
    the active one, so the application's focus widget can be None)."""
    return widget.window().focusWidget()


def tick_with_space(qtbot: Any, table: ParticipantsTable, kind: str) -> None:
    """Move to the row of ``kind`` with the arrow keys and tick it with Space."""
    table.setFocus()
    while table.currentRow() != table.row_of(kind) or table.currentColumn() != 0:
        if table.currentColumn() != 0:
            qtbot.keyClick(table, Qt.Key.Key_Left)
        else:
            qtbot.keyClick(table, Qt.Key.Key_Down if table.currentRow() < table.row_of(kind)
                           else Qt.Key.Key_Up)
    qtbot.keyClick(table, Qt.Key.Key_Space)


def type_name(qtbot: Any, table: ParticipantsTable, kind: str, name: str) -> None:
    """Move to the name beside ``kind`` and type it (the first key starts the editing)."""
    table.setFocus()
    table.setCurrentCell(table.row_of(kind), 1)
    type_text(qtbot, table, name[0])
    editor = focused(table)
    assert editor is not None and editor is not table
    type_text(qtbot, editor, name[1:])
    qtbot.keyClick(editor, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: table.item(table.row_of(kind), 1).text() == name)  # queued


def mnemonic_keys(wizard: DelegationWizard, page: QWidget) -> list[str]:
    """Every mnemonic on the page, the wizard's buttons included; each label that has one
    has a buddy, and each focusable button has one."""
    keys = [MNEMONIC.findall(wizard.buttonText(b))[0].lower() for b in (
        QWizard.WizardButton.NextButton, QWizard.WizardButton.BackButton,
        QWizard.WizardButton.FinishButton)]
    for label in page.findChildren(QLabel):
        found = MNEMONIC.findall(label.text())
        if found and "<" not in label.text():
            assert label.buddy() is not None, label.text()
            keys.extend(k.lower() for k in found)
    for button in page.findChildren(QAbstractButton):
        if button.focusPolicy() != Qt.FocusPolicy.NoFocus:
            found = MNEMONIC.findall(button.text())
            assert found, button.text()
            keys.extend(k.lower() for k in found)
    return keys


# ---------------------------------------------------------------- S6: what matters


@pytest.mark.hazard("H-016")
def test_s6_what_matters_is_typed_kept_under_the_contract_keys_and_shown_again(qtbot) -> None:
    wizard = open_at(qtbot, "S6")
    page = wizard.currentPage()
    box = page.what_matters
    assert box.title() == "What matters to Zoë"
    box.words["person_words"].setFocus()
    for following in (box.words["strengths"], box.words["self_care"], box.took_part,
                      page.consent.yes):  # Tab goes down the box, through the list once
        qtbot.keyClick(focused(page), Qt.Key.Key_Tab)
        assert focused(page) is following
    type_text(qtbot, box.words["person_words"], "Stay at home with O'Brien & Sons, <b>Zoë</b>")
    type_text(qtbot, box.words["strengths"], "Sings in the choir")
    type_text(qtbot, box.words["self_care"], "Puts in her own hearing aids")
    tick_with_space(qtbot, box.took_part, "person")
    type_name(qtbot, box.took_part, "family", "Siobhán (daughter)")  # typing a name ticks
    expected = {"person_words": "Stay at home with O'Brien & Sons, <b>Zoë</b>",
                "strengths": "Sings in the choir", "self_care": "Puts in her own hearing aids",
                "took_part": [{"kind": "person", "name": ""},
                              {"kind": "family", "name": "Siobhán (daughter)"}]}
    assert {k: page.answers()[k] for k in expected} == expected

    press_next(qtbot, wizard)  # S6 is answered: on to S7, the draft keeps what matters
    assert wizard.currentId() == PAGE_IDS["S7"]
    assert {k: wizard.answers["S6"][k] for k in expected} == expected
    press_back(qtbot, wizard)
    assert {k: page.answers()[k] for k in expected} == expected

    resumed = open_at(qtbot, "S6", {**ROUTE, "S6": {**ROUTE["S6"], **expected}})
    again = resumed.currentPage().what_matters
    assert again.words["person_words"].toPlainText() == expected["person_words"]
    assert again.took_part.value() == expected["took_part"]
    assert not again.from_record.isVisibleTo(again)


def test_s6_starts_from_the_person_record_and_says_so_until_it_is_changed(qtbot) -> None:
    record = WhatMattersOnFile("I want to stay at home.", "Knows her routine", "",
                               ({"kind": "person", "name": ""},
                                {"kind": "carer", "name": "Amy"}), dt.date(2026, 9, 14),
                               "Jo Smith")
    wizard = open_at(qtbot, "S6", what_matters=record)
    page = wizard.currentPage()
    box = page.what_matters
    assert box.words["person_words"].toPlainText() == "I want to stay at home."
    assert box.took_part.value() == [{"kind": "person", "name": ""},
                                     {"kind": "carer", "name": "Amy"}]
    assert box.from_record.isVisibleTo(page)
    assert "From the person record</b>, 14/09/2026: change it if it has changed" in \
        box.from_record.text()
    assert page.answers()["person_words"] == "I want to stay at home."
    type_text(qtbot, box.words["self_care"], "Makes her breakfast")
    assert not box.from_record.isVisibleTo(page)  # now the nurse's words, not the record's

    own = open_at(qtbot, "S6", {**ROUTE, "S6": {**ROUTE["S6"], "person_words": "Go home"}},
                  what_matters=record)  # the draft's own words win over the record's
    assert own.currentPage().what_matters.words["person_words"].toPlainText() == "Go home"
    assert own.currentPage().what_matters.took_part.value() == []


@pytest.mark.hazard("H-017")
def test_s6_says_when_the_record_changed_since_the_draft_and_lets_the_nurse_choose(
        qtbot) -> None:
    """A draft's words started from version 2 of the record; a colleague saved version 3
    since: S6 says so, and the nurse uses the record's words or keeps these knowingly (the
    decision refuses an older copy over newer words: test_person_centred_decision)."""
    record = WhatMattersOnFile("Newer words from Bea", "", "", ({"kind": "person", "name": ""},),
                               dt.date(2026, 11, 18), "Bea Colleague", version=3)
    draft = {**ROUTE["S6"], "person_words": "Older words", "what_matters_from": 2,
             "took_part": [{"kind": "person", "name": ""}]}
    page = open_at(qtbot, "S6", {**ROUTE, "S6": draft}, what_matters=record).currentPage()
    box = page.what_matters
    assert box.newer_on_file.isVisibleTo(page) and box.use_record.isVisibleTo(page)
    assert "by Bea Colleague on 18/11/2026" in box.newer_on_file.text()
    assert page.answers()["what_matters_from"] == 2
    qtbot.mouseClick(box.keep_mine, LEFT)  # kept knowingly: from the record's version now
    assert not box.newer_on_file.isVisibleTo(page)
    assert (page.answers()["person_words"], page.answers()["what_matters_from"]) == (
        "Older words", 3)
    again = open_at(qtbot, "S6", {**ROUTE, "S6": draft}, what_matters=record).currentPage()
    qtbot.mouseClick(again.what_matters.use_record, LEFT)
    assert (again.answers()["person_words"], again.answers()["what_matters_from"]) == (
        "Newer words from Bea", 3)
    assert not again.what_matters.newer_on_file.isVisibleTo(again)
    same = open_at(qtbot, "S6", what_matters=record).currentPage()  # started from the record
    assert not same.what_matters.newer_on_file.isVisibleTo(same)
    assert same.answers()["what_matters_from"] == 3


def test_s6_words_without_who_took_part_stop_the_page_with_the_focus_on_the_list(
        qtbot) -> None:
    wizard = open_at(qtbot, "S6")
    page = wizard.currentPage()
    box = page.what_matters
    type_text(qtbot, box.words["strengths"], "Knows her routine")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S6"]
    assert "Say who took part in the conversation" in shown_problem(page)
    assert focused(page) is box.took_part
    qtbot.keyClick(box.took_part, Qt.Key.Key_Space)  # the person, the first row
    assert shown_problem(page) == ""  # said again as the answers change: gone
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S7"]


# ---------------------------------------------------------------- S9: resources


def answer_resources(qtbot: Any, page: Any) -> None:
    box = page.resources
    qtbot.mouseClick(box.at_considered.yes, LEFT)
    box.at_kind.setFocus()
    type_text(qtbot, box.at_kind.lineEdit(), "Automated pill dispenser <b>")
    box.at_outcome.set_value("not_suitable")
    type_text(qtbot, box.at_reason, "Zoë's hands shake (O'Brien & Sons tried it)")
    qtbot.mouseClick(box.calls_reviewed.yes, LEFT)
    box.calls_outcome.set_value("fits_existing_call")
    type_text(qtbot, box.calls_note, "The lunch call has room")


@pytest.mark.hazard("H-016")
@pytest.mark.parametrize(("fits", "then"), [(True, "S10"), (False, "S9F")])
def test_s9_is_not_left_until_at_and_calls_are_answered_on_either_route(
        qtbot, fits: bool, then: str) -> None:
    wizard = open_at(qtbot, "S9")
    page = wizard.currentPage()
    box = page.resources
    qtbot.mouseClick(page.fits.yes if fits else page.fits.no, LEFT)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S9"]
    said = shown_problem(page)
    assert "whether assistive technology was considered" in said
    assert "whether the call frequency was reviewed" in said
    assert focused(page) is box.at_considered.yes

    qtbot.mouseClick(box.at_considered.yes, LEFT)
    press_next(qtbot, wizard)
    said = shown_problem(page)
    assert "which assistive technology" in said and "what came of it" in said
    assert "why" in said and "assistive technology was considered" not in said
    assert focused(page) is box.at_kind

    answer_resources(qtbot, page)
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS[then]
    assert wizard.answers["S9"] == {
        "fits_existing_calls": fits, "at_considered": True,
        "at_kind": "Automated pill dispenser <b>", "at_outcome": "not_suitable",
        "at_reason": "Zoë's hands shake (O'Brien & Sons tried it)", "calls_reviewed": True,
        "calls_outcome": "fits_existing_call", "calls_note": "The lunch call has room"}

    press_back(qtbot, wizard)
    fresh = open_at(qtbot, "S9", {**ROUTE, "S9": wizard.answers["S9"]}).currentPage()
    assert fresh.answers() == wizard.answers["S9"]
    assert fresh.resources.at_kind.currentText() == "Automated pill dispenser <b>"


def test_s9_at_not_considered_asks_why_not_and_records_no_kind_or_outcome(qtbot) -> None:
    wizard = open_at(qtbot, "S9")
    page = wizard.currentPage()
    box = page.resources
    qtbot.mouseClick(page.fits.yes, LEFT)
    qtbot.mouseClick(box.at_considered.yes, LEFT)
    type_text(qtbot, box.at_kind.lineEdit(), "Telecare")
    qtbot.mouseClick(box.at_considered.no, LEFT)
    assert box.reason_label.text() == "W&hy not:"
    assert not box.at_kind.isVisibleTo(page)
    qtbot.mouseClick(box.calls_reviewed.no, LEFT)
    press_next(qtbot, wizard)
    assert "why assistive technology was not considered" in shown_problem(page)
    assert "call" not in shown_problem(page)  # "not reviewed" needs no finding
    type_text(qtbot, box.at_reason, "No equipment puts drops in an eye")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S10"]
    assert wizard.answers["S9"] == {"fits_existing_calls": True, "at_considered": False,
                                    "at_reason": "No equipment puts drops in an eye",
                                    "calls_reviewed": False}


# ---------------------------------------------------------------- trusted assessment

REUSE_STEPS = [("S1", "pa-new"), ("S2", "pa-chc"), ("S4", "pa-risk"), ("S6", "pa-mca")]


def reuse_box(page: StepPage) -> ReuseBox:
    if page.step.id == "S6":  # a capacity assessment only when capacity is in doubt
        page.capacity_in_doubt.yes.click()
    box = page.reuse_box
    assert isinstance(box, ReuseBox)
    return box


@pytest.mark.parametrize(("step", "latest"), REUSE_STEPS)
@pytest.mark.hazard("H-044")
def test_the_latest_assessment_on_file_is_offered_and_reused_by_id(qtbot, step: str,
                                                                    latest: str) -> None:
    nothing = open_at(qtbot, step).currentPage()
    assert not reuse_box(nothing).reuse.isVisibleTo(nothing)  # none on file: no offer
    assert reuse_box(nothing).another.isVisibleTo(nothing)

    wizard = open_at(qtbot, step, assessments=ON_FILE)
    page = wizard.currentPage()
    box = reuse_box(page)
    assert box.reuse.isVisibleTo(page) and box.on_file.isVisibleTo(page)
    offered = next(a for a in ON_FILE if a.id == latest)
    assert f"by {escape_text(offered.organisation)} (" in box.on_file.text()
    assert offered.assessed_on.strftime("%d/%m/%Y") in box.on_file.text()
    assert "reused_assessment" not in page.answers()
    box.reuse.setFocus()
    qtbot.keyClick(box.reuse, Qt.Key.Key_Space)
    assert page.answers()["reused_assessment"] == {"id": latest}

    again = open_at(qtbot, step, {**ROUTE, step: page.answers()}, assessments=ON_FILE)
    assert reuse_box(again.currentPage()).reuse.isChecked()
    assert again.currentPage().answers()["reused_assessment"] == {"id": latest}


def test_s1_the_offer_says_whose_it_is_how_old_and_escapes_what_was_typed(qtbot) -> None:
    page = open_at(qtbot, "S1", assessments=ON_FILE).currentPage()
    text = page.reuse_box.on_file.text()
    assert ("Care Act needs assessment by O'Brien &amp; Sons &lt;Care&gt; (Zoë Ní Assessor), "
            "14/09/2026 — 2 months old.") in text
    assert "Needs help &lt;b&gt;morning&lt;/b&gt; and evening" in text
    assert "Over a year old" not in text


@pytest.mark.hazard("H-044")
def test_an_assessment_over_a_year_old_is_offered_with_a_warning(qtbot) -> None:
    page = open_at(qtbot, "S2", assessments=ON_FILE).currentPage()  # the CHC: 15 months
    box = page.reuse_box
    assert box.stale()
    assert "over a year old (1 year 3 months)" in box.on_file.text()
    assert "Over a year old: check it still holds before you reuse it." in box.on_file.text()
    recent = open_at(qtbot, "S4", assessments=ON_FILE).currentPage().reuse_box
    assert not recent.stale() and "check it still holds" not in recent.on_file.text()


def test_a_draft_reusing_an_older_one_keeps_it_and_one_gone_from_the_record_is_said(
        qtbot) -> None:
    older = {**ROUTE, "S1": {**ROUTE["S1"], "reused_assessment": {"id": "pa-old"}}}
    page = open_at(qtbot, "S1", older, assessments=ON_FILE).currentPage()
    assert page.reuse_box.reuse.isChecked() and "Jo Smith" in page.reuse_box.on_file.text()
    assert page.answers()["reused_assessment"] == {"id": "pa-old"}
    gone = {**ROUTE, "S1": {**ROUTE["S1"], "reused_assessment": {"id": "pa-deleted"}}}
    page = open_at(qtbot, "S1", gone, assessments=ON_FILE).currentPage()
    assert not page.reuse_box.reuse.isChecked()
    assert "no longer on the person record" in page.reuse_box.on_file.text()
    assert "reused_assessment" not in page.answers()


@pytest.mark.hazard("H-020")
def test_another_partners_assessment_is_typed_and_refused_without_its_parts(qtbot) -> None:
    wizard = open_at(qtbot, "S2")
    page = wizard.currentPage()
    qtbot.mouseClick(page.positive.no, LEFT)
    box = page.reuse_box
    box.another.setFocus()
    qtbot.keyClick(box.another, Qt.Key.Key_Space)  # opens the fields, the focus goes there
    assert box.partner is not None and box.partner.isVisibleTo(page)
    fields = box.partner
    assert focused(page) is fields.organisation
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S2"]
    assert ("needs the organisation and who assessed and the date"
            in shown_problem(page))
    assert focused(page) is fields.organisation

    type_text(qtbot, fields.organisation.lineEdit(), "O'Brien & Sons")
    qtbot.keyClick(fields.organisation.lineEdit(), Qt.Key.Key_Tab)
    assert focused(page) is fields.assessor  # Tab goes down the fields in order
    type_text(qtbot, fields.assessor, "Zoë Ní Assessor")
    assert "who assessed" not in shown_problem(page) and "the date" in shown_problem(page)
    qtbot.keyClick(fields.assessor, Qt.Key.Key_Tab)
    assert focused(page) is fields.assessed_on
    type_text(qtbot, fields.assessed_on, "21/12/2026")  # after today (20/11/2026)
    press_next(qtbot, wizard)
    assert "dated 21/12/2026, after today" in shown_problem(page)
    assert focused(page) is fields.assessed_on
    fields.assessed_on.selectAll()
    type_text(qtbot, fields.assessed_on, "21/9/2026")
    qtbot.keyClick(fields.assessed_on, Qt.Key.Key_Tab)
    assert focused(page) is fields.summary
    type_text(qtbot, fields.summary, "Negative <b>")
    press_next(qtbot, wizard)
    assert wizard.currentId() == PAGE_IDS["S3"]
    typed = {"kind": "chc_checklist", "organisation": "O'Brien & Sons",
             "assessor": "Zoë Ní Assessor", "assessed_on": "2026-09-21",
             "summary": "Negative <b>"}
    assert wizard.answers["S2"]["reused_assessment"] == typed

    again = open_at(qtbot, "S2", {**ROUTE, "S2": wizard.answers["S2"]}).currentPage()
    assert again.reuse_box.another.isChecked()
    assert again.answers()["reused_assessment"] == typed
    again.reuse_box.another.click()  # closed: nothing reused, what was typed kept hidden
    assert "reused_assessment" not in again.answers()
    again.reuse_box.another.click()
    assert again.answers()["reused_assessment"] == typed


def test_reusing_the_one_on_file_and_typing_another_exclude_each_other(qtbot) -> None:
    page = open_at(qtbot, "S4", assessments=ON_FILE).currentPage()
    box = page.reuse_box
    box.reuse.click()
    box.another.click()
    assert not box.reuse.isChecked() and box.value() == {"kind": "clinical_risk"}
    box.reuse.click()
    assert not box.another.isChecked() and box.value() == {"id": "pa-risk"}


# ---------------------------------------------------------------- eligibility (S1, S5)


@pytest.mark.parametrize("step", ["S1", "S5"])
def test_the_eligibility_screen_on_file_is_shown_where_social_care_is_decided(
        qtbot, step: str) -> None:
    screen = EligibilityOnFile(dt.date(2026, 9, 14), "likely_eligible", "not_eligible",
                               "Manages with <b>help</b> from O'Brien & Sons", "Zoë Ní Worker")
    page = open_at(qtbot, step, eligibility=screen).currentPage()
    assert page.eligibility.isVisibleTo(page)
    assert page.eligibility.accessibleDescription() == (
        "Care Act eligibility screen on 14/09/2026 (2 months old): Not eligible (the software "
        "suggested: Likely eligible), by Zoë Ní Worker: Manages with <b>help</b> from "
        "O'Brien & Sons This is a suggestion; the assessor makes the decision.")
    none = open_at(qtbot, step).currentPage()
    assert none.eligibility.accessibleDescription() == (
        "No Care Act eligibility screen on file: record one on the person record "
        "(Eligibility tab).")


@pytest.mark.hazard("H-045")
def test_an_eligibility_screen_over_a_year_old_is_shown_as_one_to_check(qtbot) -> None:
    old = EligibilityOnFile(dt.date(2025, 6, 2), "likely_eligible", "eligible", "Needs help",
                            "Jo Smith")
    page = open_at(qtbot, "S5", eligibility=old).currentPage()
    said = page.eligibility.accessibleDescription()
    assert "(over a year old (1 year 5 months))" in said
    assert said.endswith("the assessor makes the decision. Over a year old: check it still "
                         "holds.")


def test_s1_the_eligibility_note_sits_beside_the_social_care_choice(qtbot) -> None:
    page = open_at(qtbot, "S1").currentPage()
    rows = [page.form.getWidgetPosition(w)[0] for w in (page.health_need, page.eligibility,
                                                        page.reason)]
    assert rows[0] + 1 == rows[1] < rows[2]


# ---------------------------------------------------------------- keyboard and words


@pytest.mark.parametrize("step", ["S1", "S2", "S4", "S6", "S9"])
def test_mnemonics_stay_unique_with_every_new_part_open(qtbot, step: str) -> None:
    answers = {**ROUTE, "S6": {**ROUTE["S6"], "capacity_in_doubt": True}}
    wizard = open_at(qtbot, step, answers, assessments=ON_FILE)
    page = wizard.currentPage()
    box = getattr(page, "reuse_box", None)
    if box is not None:
        box.another.click()  # the typed fields built
    keys = mnemonic_keys(wizard, page)
    assert len(keys) == len(set(keys)), sorted(keys)
    for widget in page.findChildren(QWidget):
        if widget.focusPolicy() != Qt.FocusPolicy.NoFocus and widget.isVisibleTo(page):
            assert widget.accessibleName().strip() or widget.parent() is not page, widget


# ---------------------------------------------------------------- done when


@pytest.fixture
def stack(vault_copy: Any) -> Iterator[Stack]:
    store, user_id, _ = vault_copy
    built = Stack(store, user_id)
    yield built
    built.close()


@pytest.mark.hazard("H-024")
def test_the_real_wizard_prints_what_was_typed_on_the_support_plan(qtbot, stack: Stack) -> None:
    """Issue 18's "done when": typed in the real wizard, read back from the plan PDF."""
    typed = {"words": "I want to stay at home with O'Brien & Sons, not <b>a home</b>",
             "strength": "Zoë sings in the choir & knows her routine",
             "at_kind": "Automated pill dispenser", "at_reason":
             "not suitable because Zoë's hands shake too much to open it",
             "organisation": "O'Brien & Sons <b>Care</b>", "assessor": "Zoë Ní Assessor"}
    answers = scenario(stack)
    controller = WizardController(stack.runner, stack.session, load_flow(), CATALOGUE,
                                  Dialogs(headless=True))
    with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
        controller.start(stack.person_id)
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    s1 = wizard.currentPage()
    s1.task.set_value(EYE_DROPS)
    type_text(qtbot, s1.referred_by, "District nurse")
    qtbot.mouseClick(s1.health_need.yes, LEFT)
    for _ in range(15):
        press_next(qtbot, wizard)
        page = wizard.currentPage()
        if isinstance(page, OutcomePage):
            break
        assert isinstance(page, StepPage), page
        page.load(answers.get(page.step.id, {}))
        if page.step.id == "S2":
            page.reuse_box.another.click()
            type_text(qtbot, page.reuse_box.partner.organisation.lineEdit(),
                            typed["organisation"])
            type_text(qtbot, page.reuse_box.partner.assessor, typed["assessor"])
            type_text(qtbot, page.reuse_box.partner.assessed_on,
                            (dt.date.today() - dt.timedelta(days=60)).strftime("%d/%m/%Y"))
        if page.step.id == "S6":
            box = page.what_matters
            type_text(qtbot, box.words["person_words"], typed["words"])
            type_text(qtbot, box.words["strengths"], typed["strength"])
            tick_with_space(qtbot, box.took_part, "person")
        if page.step.id == "S9":
            resources = page.resources
            qtbot.mouseClick(resources.at_considered.yes, LEFT)
            resources.at_kind.setFocus()
            type_text(qtbot, resources.at_kind.lineEdit(), typed["at_kind"])
            resources.at_outcome.set_value("not_suitable")
            type_text(qtbot, resources.at_reason, typed["at_reason"])
            qtbot.mouseClick(resources.calls_reviewed.yes, LEFT)
            resources.calls_outcome.set_value("fits_existing_call")
    else:
        raise AssertionError(f"stuck at {wizard.current_step()}: "
                             f"{wizard.currentPage().message.text()}")
    with qtbot.waitSignal(controller.decision_recorded, timeout=10000) as recorded:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton), LEFT)
    assert recorded.args[0].outcome == "DELEGATED_EXISTING_PACKAGE"

    def plan_pdf() -> bytes:
        with stack.session.uow.read() as s:
            plan_id = s.scalars(select(SupportPlan.id).where(
                SupportPlan.person_id == stack.person_id)).one()
        document = load_plan_document(stack.session.uow, plan_id, "Test Nurse",
                                      dt.datetime(2026, 12, 1, 9, 30))
        return render_support_plan(document)

    text = flat(" ".join(page_texts(stack.executor.call(plan_pdf))))
    for what, words in typed.items():
        assert flat(words) in text, what
