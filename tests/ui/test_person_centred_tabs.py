"""The person record's person-centred tabs (issue 18 points 1, 3, 4, 5): What matters,
Signposting, Assessments and Eligibility (an assessment or a screen recorded by mistake
removed, asking why first), and signposting at a review (checked beside its fields before
the review is saved), driven as a nurse would on a real vault.

The people and registers controllers are the app's own (their actions are what these tests
press), given a ``FeatureContext`` whose task runner does the work at once on this thread
(``Immediate``), whose questions are answered in advance (``Dialogs(headless=True)``) and
whose day is fixed.

How these tests were seen to fail (each mutation made, the tests run, the mutation undone):

* ``WhatMattersPanel.show_record`` not filling its labels: the first test.
* ``WhatMattersPanel.offer_plan`` not asking, or ``_saved`` offering when nothing changed:
  the plan-version tests.
* ``SignpostingPanel.remove_selected`` not asking first: the removal test.
* ``OutcomesBox.value`` treating no tick as "none of these": the eligibility refusal test.
* the eligibility questions laid out in the dialog itself instead of the scroll area
  (``_scrolling_form``), or ``_fit`` not bounded to the screen: the 150 % test (the dialog
  1,786 pixels tall, the buttons off the screen).
* ``_Panel.set_actions`` called for the read-only role in ``PeopleController``: the
  governance test.
* ``RegistersController._record_review`` letting a refused signposting raise: the review
  test (the review would look unrecorded, the dialog stuck open).
* ``RecordReviewDialog.problem`` not putting the signposting through ``check_signposting``:
  the review-dialog tests (a note over 4,000 characters saved the review, then was refused
  with the dialog closed); ``_record_review`` not checking it before the review: the
  controller test.
* ``EligibilityPanel.show_record`` not disabling "Remove" once nothing is left, or the
  removal not keeping its reason (``removal.remove_by_mistake``): the removal tests.

The registers and people controllers' screens are all given to ``qtbot``: left unparented,
they were deleted by the garbage collector on a worker thread (a segmentation fault in a
later test file).
"""

from __future__ import annotations

import datetime as dt
import gc
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import QPoint, QRect, QSize, Qt
from PySide6.QtWidgets import QApplication, QCheckBox, QPushButton, QWidget

from desktop_app.models.person_centred import SignpostOccasion
from desktop_app.models.review import ReviewOutcome
from desktop_app.services import people
from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.framework.eligibility import DISCLAIMER, Outcome, UnableReason
from desktop_app.services.people import person_centred as centred
from desktop_app.services.people.record import PersonRecord, load_record
from desktop_app.services.vault import SignedInUser, VaultSession
from desktop_app.services.vault.vault import Role
from desktop_app.ui.controllers.context import FeatureContext
from desktop_app.ui.controllers.people import PeopleController
from desktop_app.ui.controllers.registers import RegistersController
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.eligibility_screen import FRAME_ROOM, EligibilityDialog
from desktop_app.ui.forms import FormDialog
from desktop_app.ui.person_centred_forms import RemovalDialog, SignpostingDialog, WhatMattersDialog
from desktop_app.ui.person_record import PersonRecordWidget
from desktop_app.ui.registers import ReviewAnswers
from desktop_app.ui.registers.review_signposting import ReviewSignposting, SignpostingAtReview
from tests.support import as_role, person_values, type_date
from tests.ui.test_where_you_land import mnemonics
from tools.sample_case import DECIDED_ON, build_case

TODAY = dt.date(2026, 12, 7)
AWKWARD = "O'Brien & Sons <b>lunch</b> club for Zoë"
TAB_TITLES = ["Details", "What matters", "Contacts", "Delegations", "Support plans", "Reviews",
              "Consent", "Signposting", "Assessments", "Eligibility"]


class Immediate:
    """The task runner, done at once on this thread (``TaskRunner``'s callbacks)."""

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None],
            failed: Callable[[BaseException], None] | None = None) -> None:
        try:
            result = fn()
        except BaseException as error:  # noqa: BLE001 (handed on as the runner does)
            if failed is None:
                raise
            failed(error)
            return
        done(result)

    run_in_background = run


@dataclass(frozen=True)
class DatedContext(FeatureContext):
    """A FeatureContext whose day is fixed."""

    day: dt.date = TODAY

    def today(self) -> dt.date:
        return self.day


@dataclass
class Screen:
    """The people controller's person record for one role, and what is behind it."""

    widget: PersonRecordWidget
    people: PeopleController
    dialogs: Dialogs
    bugs: list[BaseException]
    vault: VaultSession

    @property
    def tabs(self) -> Any:
        return self.widget.person_centred

    def open(self, person_id: str, tab: QWidget | None = None) -> None:
        self.people._show(load_record(self.vault.uow, person_id))  # noqa: SLF001
        if tab is not None:
            self.widget.tabs.setCurrentWidget(tab)

    def record(self, person_id: str) -> PersonRecord:
        return load_record(self.vault.uow, person_id)


def make_context(qtbot: Any, vault: VaultSession, role: Role = Role.TEAM_LEAD,
                 day: dt.date = TODAY) -> tuple[DatedContext, Dialogs, list[BaseException]]:
    window = QWidget()
    qtbot.addWidget(window)
    dialogs = Dialogs(headless=True)
    bugs: list[BaseException] = []
    user = SignedInUser(vault.user.user_id, vault.user.display_name, role)
    session = SimpleNamespace(uow=vault.uow if role is Role.TEAM_LEAD
                              else as_role(vault, role.value))
    context = DatedContext(Immediate(), None, dialogs, window, user,  # type: ignore[arg-type]
                           lambda: session, bugs.append, day)  # type: ignore[arg-type,return-value]
    return context, dialogs, bugs


def person_screen(qtbot: Any, vault: VaultSession, role: Role = Role.TEAM_LEAD) -> Screen:
    context, dialogs, bugs = make_context(qtbot, vault, role)
    controller = PeopleController(context)
    for shown in controller.screens():  # closed and deleted on the GUI thread after the test
        qtbot.addWidget(shown.widget)
    widget = controller.person_screen
    widget.resize(1000, 700)
    widget.show()
    qtbot.waitExposed(widget)
    return Screen(widget, controller, dialogs, bugs, vault)


@pytest.fixture(autouse=True, scope="module")
def heap_before_this_file_set_aside() -> Iterator[None]:
    """What the suite made before this file is frozen (left out of garbage collection)
    until the file is done, so each test's collection below looks only at what this file
    made: over the whole suite's heap, late in ``make test``, it took seconds a test."""
    gc.freeze()
    try:
        yield
    finally:
        gc.unfreeze()


@pytest.fixture(autouse=True)
def collected_at_teardown(heap_before_this_file_set_aside: None) -> Iterator[None]:
    """Each test's controllers and forms are collected as it ends, while the widgets they
    point to still exist: left to a later test's garbage collection (running beside that
    test's worker thread), the cycles they sit in crashed the interpreter."""
    yield
    gc.collect()


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(31))).id


@pytest.fixture
def screen(qtbot: Any, vault: VaultSession) -> Iterator[Screen]:
    shown = person_screen(qtbot, vault)
    yield shown
    assert shown.bugs == []


def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def press_ok(qtbot: Any, dialog: FormDialog[Any]) -> None:
    click(qtbot, dialog.ok_button)


def problem(dialog: FormDialog[Any], field: str) -> str:
    label = dialog.problems[field]
    return label.text() if not label.isHidden() else ""


def cells(table: Any) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def what_matters_input(**changes: Any) -> centred.WhatMattersInput:
    values: dict[str, Any] = {"own_words": "I want to stay in my own home",
                              "strengths": "Knows her routine", "self_care": "Dresses herself",
                              "took_part": (("person", ""), ("family", "Mary (daughter)"))}
    values.update(changes)
    return centred.WhatMattersInput(**values)


# ---------------------------------------------------------------- what the record holds


def test_each_tab_shows_what_the_record_holds(screen: Screen, vault: VaultSession,
                                              person_id: str) -> None:
    uow, by = vault.uow, "Test Nurse"
    centred.save_what_matters(uow, person_id, what_matters_input(own_words=AWKWARD), by, 0,
                              TODAY)
    centred.record_signposting(uow, person_id, centred.SignpostingInput(
        dt.date(2026, 12, 1), "visit", "carer", "referred", AWKWARD, "Leaflet given"), by, TODAY)
    centred.record_assessment(uow, person_id, centred.AssessmentInput(
        "chc_checklist", "LLR Integrated Care Board", "C Checklist", dt.date(2025, 6, 1)),
        by, TODAY)
    centred.record_eligibility(uow, person_id, centred.EligibilityInput(
        dt.date(2026, 12, 2), True, {"nutrition": ["needs_assistance"],
                                     "toilet_needs": ["takes_significantly_longer"]},
        True, "not_eligible", "Her daughter meets these needs"), by, TODAY)
    screen.open(person_id)
    tabs, widget = screen.tabs, screen.widget
    assert [widget.tabs.tabText(i) for i in range(widget.tabs.count())] == TAB_TITLES

    matters = tabs.what_matters
    assert matters.values["own_words"].text() == AWKWARD  # plain text, as typed
    assert matters.values["own_words"].textFormat() == Qt.TextFormat.PlainText
    assert matters.values["took_part"].text() == "The person; Family (Mary (daughter))"
    assert matters.values["recorded"].text() == "07/12/2026 by Test Nurse"
    assert matters.nothing.isHidden()

    assert cells(tabs.signposting.table) == [[
        "01/12/2026", "Visit", "Their carer", "Referred", AWKWARD, "Leaflet given", by]]
    [assessment] = cells(tabs.assessments.table)
    assert assessment[:4] == ["NHS Continuing Healthcare Checklist",
                              "LLR Integrated Care Board", "C Checklist", "01/06/2025"]
    assert assessment[4].startswith("over a year old") and "check it still holds" in \
        assessment[4]
    assert assessment[5] == "No delegation yet"
    assert cells(tabs.eligibility.table) == [[
        "02/12/2026", "Likely eligible", "Not eligible (differs from the suggestion)",
        "Her daughter meets these needs", by]]
    details = tabs.eligibility.details.text()
    assert "Managing and maintaining nutrition" in details and "Unable to achieve 2 of" \
        in details


def test_a_person_with_nothing_recorded_says_so(screen: Screen, person_id: str) -> None:
    screen.open(person_id)
    tabs = screen.tabs
    assert not tabs.what_matters.nothing.isHidden()
    assert all(value.text() == "" for value in tabs.what_matters.values.values())
    assert tabs.what_matters.nothing.text() == "Nothing recorded yet."
    for table in (tabs.signposting.table, tabs.assessments.table, tabs.eligibility.table):
        assert table.rowCount() == 0
    assert not tabs.signposting.remove_button.isEnabled()


# ---------------------------------------------------------------- what matters


def test_what_matters_is_edited_and_a_refusal_keeps_the_typing(
        qtbot: Any, screen: Screen, person_id: str) -> None:
    screen.open(person_id, screen.tabs.what_matters)
    panel = screen.tabs.what_matters
    click(qtbot, panel.edit_button)
    dialog = panel.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.own_words.setPlainText(AWKWARD)  # QTest types ASCII only; pasted as a nurse would
    qtbot.keyClicks(dialog.strengths, "Knows her own routine")
    press_ok(qtbot, dialog)
    assert problem(dialog, "took_part") == "Say who took part in the conversation."
    assert dialog.focusWidget() is dialog.took_part.first()
    assert dialog.own_words.toPlainText() == AWKWARD  # nothing typed is lost
    assert screen.record(person_id).what_matters is None

    click(qtbot, dialog.took_part.first())
    qtbot.keyClicks(dialog.took_part.names["advocate"], "Ann Example")  # ticks its box
    assert dialog.took_part.boxes["advocate"].isChecked()
    press_ok(qtbot, dialog)
    assert not dialog.isVisible() and panel.dialog is None
    saved = screen.record(person_id).what_matters
    assert saved is not None
    assert (saved.own_words, saved.strengths, saved.took_part) == (
        AWKWARD, "Knows her own routine", (("person", ""), ("advocate", "Ann Example")))
    assert panel.values["own_words"].text() == AWKWARD
    assert panel.values["took_part"].text() == "The person; Advocate (Ann Example)"
    assert panel.message.text() == "Saved what matters to the person."
    assert screen.dialogs.shown == []  # no running support plan: nothing offered

    click(qtbot, panel.edit_button)  # opened again: what is recorded, at its version
    again = panel.dialog
    assert again is not None
    assert again.own_words.toPlainText() == AWKWARD
    assert again.took_part.names["advocate"].text() == "Ann Example"
    qtbot.keyClicks(again.self_care, "Puts in her own evening drops")
    press_ok(qtbot, again)
    assert not again.isVisible()
    assert screen.record(person_id).what_matters.self_care == "Puts in her own evening drops"


@pytest.fixture
def delegated(vault: VaultSession) -> str:
    """A person with a decided, delegated case and its support plan."""
    return build_case(vault.uow).person_id


@pytest.mark.parametrize("answer", [True, False])
def test_saving_what_matters_offers_the_next_support_plan_version(
        qtbot: Any, screen: Screen, delegated: str, answer: bool) -> None:
    before = max(p.version_number for p in screen.record(delegated).plans)
    screen.open(delegated, screen.tabs.what_matters)
    panel = screen.tabs.what_matters
    screen.dialogs.answers.append(answer)
    click(qtbot, panel.edit_button)
    dialog = panel.dialog
    assert dialog is not None
    dialog.own_words.setPlainText("I want to walk to the shop on Saturdays")
    press_ok(qtbot, dialog)
    [(kind, _title, text)] = screen.dialogs.shown
    assert kind == "ask" and text == (
        f"Issue support plan version {before + 1} with these words? The version printed now "
        "keeps what was agreed.")
    versions = [p.version_number for p in screen.record(delegated).plans]
    if answer:
        assert max(versions) == before + 1
        assert panel.message.text() == (f"Support plan version {before + 1} issued with what "
                                        "matters to the person as recorded now.")
    else:
        assert max(versions) == before
        assert panel.message.text() == "Saved what matters to the person."

    screen.dialogs.shown.clear()
    click(qtbot, panel.edit_button)  # saved unchanged: nothing to offer
    unchanged = panel.dialog
    assert unchanged is not None
    press_ok(qtbot, unchanged)
    assert not unchanged.isVisible() and screen.dialogs.shown == []


# ---------------------------------------------------------------- signposting


def test_signposting_is_recorded_refused_beside_the_field_and_removed(
        qtbot: Any, screen: Screen, vault: VaultSession, person_id: str) -> None:
    screen.open(person_id, screen.tabs.signposting)
    panel = screen.tabs.signposting
    click(qtbot, panel.record_button)
    dialog = panel.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.given_on.text() == "07/12/2026"  # today by default
    shipped = [dialog.service.itemText(i) for i in range(dialog.service.count())]
    assert [s.name for s in centred.signposting_services(vault.uow)] == shipped[1:]
    press_ok(qtbot, dialog)  # no service yet
    assert problem(dialog, "service") == "Choose a service from the list, or type its name."
    type_date(qtbot, dialog.given_on, "8/12/2026")  # tomorrow
    dialog.service.setEditText(AWKWARD)  # a name not on the list
    dialog.for_whom.set_value("carer")
    dialog.action.set_value("referred")
    qtbot.keyClicks(dialog.note, "Phone number given")
    press_ok(qtbot, dialog)
    assert "future" in problem(dialog, "given_on") or "not come" in problem(dialog, "given_on")
    assert dialog.service.currentText() == AWKWARD and dialog.note.toPlainText() == \
        "Phone number given"
    type_date(qtbot, dialog.given_on, "6/12/2026")
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    assert cells(panel.table) == [["06/12/2026", "Visit", "Their carer", "Referred", AWKWARD,
                                   "Phone number given", "Test Nurse"]]
    assert panel.remove_button.isEnabled()

    panel.table.selectRow(0)
    screen.dialogs.answers.append(False)  # asked first: No keeps it
    click(qtbot, panel.remove_button)
    assert screen.dialogs.shown[-1][0] == "ask" and AWKWARD in screen.dialogs.shown[-1][2]
    assert len(screen.record(person_id).signposting) == 1
    screen.dialogs.answers.append(True)
    click(qtbot, panel.remove_button)
    assert screen.record(person_id).signposting == () and panel.table.rowCount() == 0
    assert panel.message.text() == "Signposting removed."


def test_a_team_lead_adds_a_service_to_the_list_and_a_nurse_cannot(
        qtbot: Any, screen: Screen, vault: VaultSession, person_id: str) -> None:
    screen.open(person_id, screen.tabs.signposting)
    panel = screen.tabs.signposting
    assert panel.service_button.isVisibleTo(panel)
    click(qtbot, panel.service_button)
    dialog = panel.dialog
    assert dialog is not None
    press_ok(qtbot, dialog)
    assert problem(dialog, "name") == "Give the service's name."
    qtbot.keyClicks(dialog.name, "Wigston Memory Cafe")
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    assert "Wigston Memory Cafe" in [s.name for s in centred.signposting_services(vault.uow)]
    click(qtbot, panel.service_button)
    twice = panel.dialog
    assert twice is not None
    qtbot.keyClicks(twice.name, "wigston  memory cafe")
    press_ok(qtbot, twice)
    assert problem(twice, "name") == "This service is already on the list."
    twice.reject()

    nurse = person_screen(qtbot, vault, Role.NURSE)
    nurse.open(person_id, nurse.tabs.signposting)
    signposting = nurse.tabs.signposting
    assert signposting.record_button.isVisibleTo(signposting)
    assert not signposting.service_button.isVisibleTo(signposting)
    assert nurse.bugs == []


# ---------------------------------------------------------------- assessments


def test_a_partners_assessment_is_added_with_a_refusal_beside_the_field(
        qtbot: Any, screen: Screen, person_id: str) -> None:
    screen.open(person_id, screen.tabs.assessments)
    panel = screen.tabs.assessments
    click(qtbot, panel.add_button)
    dialog = panel.dialog
    assert dialog is not None
    dialog.kind.set_value("mental_capacity")
    dialog.organisation.setEditText("Leicester City Council")
    type_date(qtbot, dialog.assessed_on, "1/10/2026")
    press_ok(qtbot, dialog)
    assert problem(dialog, "assessor") == "Give the name of who made the assessment."
    assert dialog.focusWidget() is dialog.assessor
    assert dialog.organisation.currentText() == "Leicester City Council"
    qtbot.keyClicks(dialog.assessor, "J O'Brien, social worker")
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    assert cells(panel.table) == [["Mental capacity assessment", "Leicester City Council",
                                   "J O'Brien, social worker", "01/10/2026", "2 months old",
                                   "No delegation yet"]]
    [row] = screen.record(person_id).assessments
    assert (row.kind, row.assessed_on) == ("mental_capacity", dt.date(2026, 10, 1))


def open_removal(qtbot: Any, panel: Any, row: int) -> RemovalDialog:
    panel.table.selectRow(row)
    click(qtbot, panel.remove_button)
    dialog = panel.dialog
    assert isinstance(dialog, RemovalDialog) and dialog.isVisible()
    return dialog


@pytest.mark.hazard("H-044")
def test_an_assessment_recorded_by_mistake_is_removed_after_asking_why(
        qtbot: Any, screen: Screen, vault: VaultSession, person_id: str) -> None:
    by = "Test Nurse"
    right = centred.record_assessment(vault.uow, person_id, centred.AssessmentInput(
        "care_act_needs", "Leicester City Council", "S Worker", dt.date(2015, 6, 1)), by,
        TODAY)
    centred.record_assessment(vault.uow, person_id, centred.AssessmentInput(  # 2025 for 2015
        "care_act_needs", AWKWARD, "S Worker", dt.date(2025, 6, 1)), by, TODAY)
    screen.open(person_id, screen.tabs.assessments)
    panel = screen.tabs.assessments
    assert panel.remove_button.isVisibleTo(panel) and panel.remove_button.isEnabled()
    assert "&" in panel.remove_button.text()

    dialog = open_removal(qtbot, panel, 0)  # the newest: the one typed wrong
    assert dialog.intro.textFormat() == Qt.TextFormat.PlainText
    assert AWKWARD in dialog.intro.text() and "01/06/2025" in dialog.intro.text()
    assert dialog.focusWidget() is dialog.reason
    dialog.reject()  # Cancel keeps it
    assert len(screen.record(person_id).assessments) == 2

    dialog = open_removal(qtbot, panel, 0)
    press_ok(qtbot, dialog)  # no reason yet: refused beside the field
    assert problem(dialog, "reason").startswith("Say why it is being removed")
    assert dialog.isVisible() and len(screen.record(person_id).assessments) == 2
    qtbot.keyClicks(dialog.reason, "Typed 2025 for 2015")
    press_ok(qtbot, dialog)
    assert not dialog.isVisible() and panel.dialog is None
    assert [a.id for a in screen.record(person_id).assessments] == [right]
    assert [row[3] for row in cells(panel.table)] == ["01/06/2015"]
    assert panel.message.text().startswith("Assessment removed: the wizard no longer offers")


@pytest.mark.hazard("H-015")
def test_an_eligibility_screen_recorded_by_mistake_is_removed_after_asking_why(
        qtbot: Any, screen: Screen, vault: VaultSession, person_id: str) -> None:
    centred.record_eligibility(vault.uow, person_id, centred.EligibilityInput(
        dt.date(2026, 12, 2), True, {}, True, "not_eligible", "Manages all ten"), "Test Nurse",
        TODAY)
    screen.open(person_id, screen.tabs.eligibility)
    panel = screen.tabs.eligibility
    dialog = open_removal(qtbot, panel, 0)
    assert "02/12/2026" in dialog.intro.text() and "Test Nurse" in dialog.intro.text()
    qtbot.keyClicks(dialog.reason, "Screened the wrong person")
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    assert screen.record(person_id).eligibility == () and panel.table.rowCount() == 0
    assert not panel.remove_button.isEnabled()
    assert panel.message.text().startswith("Eligibility screen removed")


def test_names_typed_are_no_longer_than_the_record_keeps(qtbot: Any) -> None:
    matters = WhatMattersDialog("Edith Testperson", None)
    qtbot.addWidget(matters)
    assert {line.maxLength() for line in matters.took_part.names.values()} == {200}
    signposting = SignpostingDialog("Edith Testperson", (), TODAY)
    qtbot.addWidget(signposting)
    line = signposting.service.lineEdit()
    assert line is not None and line.maxLength() == 200


# ---------------------------------------------------------------- eligibility


def tick(dialog: EligibilityDialog, outcome: Outcome, reason: UnableReason) -> QCheckBox:
    box = dialog.outcomes.ticks[outcome][reason]
    box.setChecked(True)
    return box


@pytest.mark.hazard("H-045")
def test_the_eligibility_screen_suggests_and_the_practitioner_decides(
        qtbot: Any, screen: Screen, person_id: str) -> None:
    screen.open(person_id, screen.tabs.eligibility)
    panel = screen.tabs.eligibility
    click(qtbot, panel.screen_button)
    dialog = panel.dialog
    assert isinstance(dialog, EligibilityDialog)
    assert DISCLAIMER in dialog.suggestion.text() and "Not all answered" in \
        dialog.suggestion.text()
    press_ok(qtbot, dialog)  # nothing ticked: not taken as "can achieve all ten"
    assert problem(dialog, "unable").startswith("Tick the ways the person cannot achieve")

    click(qtbot, dialog.impairment.yes)
    tick(dialog, Outcome.NUTRITION, UnableReason.NEEDS_ASSISTANCE)
    assert "Unable to achieve only 1 of the 10 outcomes" in dialog.suggestion.text()
    assert "Likely not eligible" in dialog.suggestion.text()
    tick(dialog, Outcome.HOME_SAFELY, UnableReason.ENDANGERS_HEALTH_OR_SAFETY)
    click(qtbot, dialog.impact.yes)
    assert "Likely eligible" in dialog.suggestion.text() and DISCLAIMER in \
        dialog.suggestion.text()
    press_ok(qtbot, dialog)
    assert problem(dialog, "decision").startswith("Record your decision")
    dialog.decision.set_value("not_eligible")
    press_ok(qtbot, dialog)
    assert problem(dialog, "decision_reason") == (
        "Say why your decision differs from the suggestion (likely eligible).")
    assert dialog.focusWidget() is dialog.reason
    assert dialog.outcomes.ticks[Outcome.HOME_SAFELY][
        UnableReason.ENDANGERS_HEALTH_OR_SAFETY].isChecked()  # kept
    qtbot.keyClicks(dialog.reason, "Her son now lives with her and meets these needs")
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    [row] = screen.record(person_id).eligibility
    assert (row.suggestion, row.decision, row.decided_by) == (
        "likely_eligible", "not_eligible", "Test Nurse")
    assert dict(row.unable) == {"nutrition": ("needs_assistance",),
                                "home_safely": ("endangers_health_or_safety",)}
    assert cells(panel.table)[0][1:3] == ["Likely eligible",
                                          "Not eligible (differs from the suggestion)"]


def test_none_of_these_clears_the_ticks_and_counts_as_answered(qtbot: Any) -> None:
    dialog = EligibilityDialog("Edith Testperson", TODAY)
    qtbot.addWidget(dialog)
    box = tick(dialog, Outcome.NUTRITION, UnableReason.NEEDS_ASSISTANCE)
    dialog.outcomes.none.setChecked(True)
    assert not box.isChecked() and dialog.outcomes.value() == {}
    assert "Able to achieve all 10 outcomes" in dialog.suggestion.text()
    box.setChecked(True)
    assert not dialog.outcomes.none.isChecked()


#: A 1366x768 screen at 150 % text, in the pixels the app lays out in.
SMALL_SCREEN = QSize(1366 * 2 // 3, 768 * 2 // 3)


def test_the_eligibility_screen_fits_a_small_screen_and_scrolls(qtbot: Any) -> None:
    dialog = EligibilityDialog("Edith Testperson", TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    room = SMALL_SCREEN - FRAME_ROOM
    dialog.resize(room)
    QApplication.processEvents()
    assert dialog.width() <= room.width() and dialog.height() <= room.height()
    for button in (dialog.ok_button, dialog.cancel_button):
        assert dialog.rect().contains(QRect(button.mapTo(dialog, QPoint(0, 0)),
                                            button.size()))
    scroll = dialog.questions
    assert scroll.verticalScrollBar().isVisible()
    assert scroll.widget().minimumSizeHint().width() <= scroll.viewport().width()
    # Tab reaches a check box far down: the form scrolls to it.
    last = dialog.outcomes.ticks[Outcome.CARING_FOR_A_CHILD][UnableReason.NEEDS_ASSISTANCE]
    dialog.activateWindow()
    last.setFocus(Qt.FocusReason.TabFocusReason)
    scroll.ensureWidgetVisible(last)
    QApplication.processEvents()
    assert scroll.verticalScrollBar().value() > 0
    # A refusal grows the dialog no bigger than the screen it is on.
    dialog.show_problem("x " * 400, "decision_reason")
    screen = dialog.screen().availableGeometry().size() - FRAME_ROOM
    assert dialog.height() <= screen.height() and dialog.width() <= screen.width()


# ---------------------------------------------------------------- dates typed

IMPOSSIBLE = "31/02/2026"


@pytest.mark.hazard("H-020")
@pytest.mark.parametrize("tab", ["signposting", "assessments", "eligibility"])
def test_a_day_that_does_not_exist_is_refused_beside_it_kept_and_nothing_saved(
        qtbot: Any, screen: Screen, person_id: str, tab: str) -> None:
    panel = getattr(screen.tabs, tab)
    screen.open(person_id, panel)
    qtbot.keyClick(panel.action_buttons[0], Qt.Key.Key_Space)
    dialog = panel.dialog
    assert dialog is not None
    field, date = {"signposting": ("given_on", "given_on"),
                   "assessments": ("assessed_on", "assessed_on"),
                   "eligibility": ("screened_on", "screened_on")}[tab]
    line = getattr(dialog, date)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    type_date(qtbot, line, IMPOSSIBLE)
    qtbot.keyClick(line, Qt.Key.Key_Tab)  # said as soon as the date is left
    assert "check the day" in problem(dialog, field)
    press_ok(qtbot, dialog)
    assert dialog.isVisible() and line.text() == IMPOSSIBLE  # kept as typed
    assert "check the day" in problem(dialog, field)
    record = screen.record(person_id)
    assert (record.signposting, record.assessments, record.eligibility) == ((), (), ())


@pytest.mark.hazard("H-020")
def test_a_day_typed_the_uk_way_is_the_day_recorded(qtbot: Any, screen: Screen,
                                                    person_id: str) -> None:
    """5/12/2026 is the 5th of December (day first), however it is typed."""
    screen.open(person_id, screen.tabs.eligibility)
    dialog = screen.tabs.eligibility.open_screen()
    assert isinstance(dialog, EligibilityDialog)
    type_date(qtbot, dialog.screened_on, "5/12/2026")
    dialog.outcomes.none.setChecked(True)
    dialog.decision.set_value("not_eligible")
    qtbot.keyClicks(dialog.reason, "Manages all ten outcomes")
    press_ok(qtbot, dialog)
    assert not dialog.isVisible()
    [row] = screen.record(person_id).eligibility
    assert (row.screened_on, row.suggestion) == (dt.date(2026, 12, 5), "likely_not_eligible")
    assert cells(screen.tabs.eligibility.table)[0][0] == "05/12/2026"


# ---------------------------------------------------------------- roles and keyboard


def test_governance_sees_the_tabs_without_the_buttons(qtbot: Any, vault: VaultSession,
                                                      person_id: str) -> None:
    centred.record_signposting(vault.uow, person_id, centred.SignpostingInput(
        dt.date(2026, 12, 1), "visit", "person", "signposted", "Age UK"), "Test Nurse", TODAY)
    governance = person_screen(qtbot, vault, Role.READ_ONLY)
    governance.open(person_id)
    widget, tabs = governance.widget, governance.tabs
    assert [widget.tabs.tabText(i) for i in range(widget.tabs.count())] == TAB_TITLES
    for panel in tabs.panels():
        assert panel.can_do is None
        for button in panel.findChildren(QPushButton):
            assert not button.isVisibleTo(panel), button.text()
    assert tabs.signposting.table.rowCount() == 1
    assert tabs.what_matters.open_edit() is None and tabs.eligibility.open_screen() is None
    assert governance.bugs == []


def test_the_tabs_and_their_buttons_are_reached_from_the_keyboard(
        qtbot: Any, screen: Screen, person_id: str) -> None:
    screen.open(person_id)
    widget, tabs = screen.widget, screen.tabs
    widget.activateWindow()
    qtbot.waitUntil(lambda: QApplication.activeWindow() is widget, timeout=2000)
    bar = widget.tabs.tabBar()
    bar.setFocus(Qt.FocusReason.TabFocusReason)
    first_focus: dict[QWidget, QWidget] = {
        tabs.what_matters: tabs.what_matters.values["recorded"],
        tabs.signposting: tabs.signposting.table, tabs.assessments: tabs.assessments.table,
        tabs.eligibility: tabs.eligibility.table}
    for panel in tabs.panels():
        while widget.tabs.currentWidget() is not panel:  # the arrows go along the tabs
            qtbot.keyClick(bar, Qt.Key.Key_Right)
        # Every Alt+letter on screen is used once (the details' buttons included).
        letters = mnemonics(widget)
        assert len(letters) == len(set(letters)), (panel, letters)
        # Tab from the tab's list (or its last words) reaches its first button; Space
        # presses it and the form opens with everything in it reachable by Alt+letter.
        start = first_focus[panel]
        start.setFocus(Qt.FocusReason.TabFocusReason)
        qtbot.keyClick(start, Qt.Key.Key_Tab)
        button = panel.action_buttons[0]
        assert QApplication.focusWidget() is button, panel
        assert "&" in button.text()
        qtbot.keyClick(button, Qt.Key.Key_Space)
        dialog = panel.dialog
        assert dialog is not None and dialog.isVisible(), panel
        in_form = mnemonics(dialog)
        assert len(in_form) >= 3 and len(in_form) == len(set(in_form)), (panel, in_form)
        dialog.reject()
        bar.setFocus(Qt.FocusReason.TabFocusReason)


def test_each_form_is_gone_through_with_tab_in_the_order_shown(
        qtbot: Any, screen: Screen, person_id: str) -> None:
    screen.open(person_id, screen.tabs.what_matters)
    panel = screen.tabs.what_matters
    dialog = panel.open_edit()
    assert isinstance(dialog, FormDialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow, timeout=2000)
    seen = [dialog.focusWidget()]
    for _ in range(15):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        seen.append(dialog.focusWidget())
    box = dialog.took_part
    assert seen[:4] == [dialog.own_words, dialog.strengths, dialog.self_care, box.first()]
    assert seen[4:14] == box.others() and seen[14] is dialog.ok_button
    assert seen[15] is dialog.cancel_button
    assert all(isinstance(w, QWidget) and w.accessibleName() for w in seen[:14])


# ---------------------------------------------------------------- at a review

REVIEW_DAY = DECIDED_ON + dt.timedelta(days=85)  # the 3-month review due within the month


def registers_controller(qtbot: Any, context: DatedContext) -> RegistersController:
    """The registers controller, its screens closed and deleted on the GUI thread after the
    test (left to the garbage collector, a worker thread may delete them: a crash)."""
    controller = RegistersController(context)
    for screen in controller.screens():
        qtbot.addWidget(screen.widget)
    return controller


def review_screen(qtbot: Any, vault: VaultSession) -> tuple[Any, Dialogs, list[BaseException]]:
    context, dialogs, bugs = make_context(qtbot, vault, Role.TEAM_LEAD, REVIEW_DAY)
    controller = registers_controller(qtbot, context)
    widget = controller.reviews_screen
    widget.show()
    qtbot.waitExposed(widget)
    return widget, dialogs, bugs


def fill_continue(qtbot: Any, dialog: Any) -> None:
    for answer in (dialog.continue_button, dialog.stable.yes, dialog.competent.yes,
                   dialog.incident.no):
        qtbot.keyClick(answer, Qt.Key.Key_Space)


def test_signposting_at_a_review_is_saved_after_the_review(
        qtbot: Any, vault: VaultSession, delegated: str) -> None:
    widget, _dialogs, bugs = review_screen(qtbot, vault)
    dialog = widget.open_record_dialog(0)
    assert dialog is not None and dialog.signposting is not None
    assert not dialog.signposting.isChecked()  # optional: nothing unless ticked
    names = [dialog.signposting.service.itemText(i)
             for i in range(dialog.signposting.service.count())]
    assert names[1:] == [s.name for s in centred.signposting_services(vault.uow)]
    fill_continue(qtbot, dialog)
    dialog.signposting.setChecked(True)
    letters = mnemonics(dialog)  # the part's Alt+letters clash with none of the review's
    assert {"v", "o", "f", "e"} <= set(letters) and len(letters) == len(set(letters))
    assert "&g" in dialog.signposting.title() and "g" not in letters  # Alt+G ticks it
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    assert dialog.isVisible() and dialog.error_label.text().startswith(
        "Signposting: Choose the service")
    assert beside(dialog.signposting, "service").startswith("Choose the service")
    dialog.signposting.service.setEditText(AWKWARD)
    dialog.signposting.for_whom.set_value("carer")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    assert not dialog.isVisible()
    [given] = load_record(vault.uow, delegated).signposting
    done = [r for r in load_record(vault.uow, delegated).reviews if r.done_on]
    assert (given.occasion, given.review_id, given.given_on, given.service, given.for_whom) \
        == (SignpostOccasion.REVIEW.value, done[0].id, REVIEW_DAY, AWKWARD, "carer")
    text = widget.message_label.text()
    assert text.startswith("Review recorded.") and text.endswith(
        f"Signposting to {AWKWARD} recorded on the person record.")
    assert widget.message_label.textFormat() == Qt.TextFormat.PlainText
    assert bugs == []


def test_a_refused_signposting_at_a_review_keeps_the_review(
        qtbot: Any, vault: VaultSession, delegated: str, monkeypatch: Any) -> None:
    widget, _dialogs, bugs = review_screen(qtbot, vault)

    def refuse(*_args: Any, **_kwargs: Any) -> str:
        raise ExpectedError("The signposting list cannot be read just now.")

    monkeypatch.setattr(centred, "record_signposting", refuse)
    dialog = widget.open_record_dialog(0)
    assert dialog is not None and dialog.signposting is not None
    fill_continue(qtbot, dialog)
    dialog.signposting.setChecked(True)
    dialog.signposting.service.setEditText("Age UK Leicester Shire & Rutland")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    assert not dialog.isVisible()  # the review is recorded...
    assert [r for r in load_record(vault.uow, delegated).reviews if r.done_on]
    assert load_record(vault.uow, delegated).signposting == ()
    assert widget.message_label.text().endswith(  # ...and the signposting's fate said
        "The signposting to Age UK Leicester Shire & Rutland was not recorded: The "
        "signposting list cannot be read just now. Record it on the person record's "
        "Signposting tab.")
    assert bugs == []


def test_a_role_that_cannot_change_people_is_not_offered_signposting_at_a_review(
        qtbot: Any, vault: VaultSession) -> None:
    context, _dialogs, _bugs = make_context(qtbot, vault, Role.READ_ONLY)
    controller = registers_controller(qtbot, context)
    assert controller.reviews_screen._signpost_services is None  # noqa: SLF001
    nurse_context, _d, _b = make_context(qtbot, vault, Role.NURSE)
    assert registers_controller(qtbot, nurse_context).reviews_screen._signpost_services \
        is not None  # noqa: SLF001


def beside(part: SignpostingAtReview, field: str) -> str:
    """The problem shown beside one of the signposting part's fields ("" when none)."""
    label = part.problems[field]
    return label.text() if label.isVisibleTo(part) else ""


def done_reviews(vault: VaultSession, person_id: str) -> list[Any]:
    return [r for r in load_record(vault.uow, person_id).reviews if r.done_on]


def test_a_signposting_refused_at_a_review_is_said_beside_its_field_before_the_review_is_saved(
        qtbot: Any, vault: VaultSession, delegated: str) -> None:
    widget, _dialogs, bugs = review_screen(qtbot, vault)
    dialog = widget.open_record_dialog(0)
    assert dialog is not None and dialog.signposting is not None
    part = dialog.signposting
    line = part.service.lineEdit()
    assert line is not None and line.maxLength() == 200  # as the record keeps it
    fill_continue(qtbot, dialog)
    part.setChecked(True)
    part.service.setEditText(AWKWARD)
    too_long = "n" * 4001
    part.note.setPlainText(too_long)  # pasted
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    assert dialog.isVisible()  # kept open, with everything typed
    assert beside(part, "note") == "Keep this under 4,000 characters."
    assert dialog.error_label.text() == "Signposting: Keep this under 4,000 characters."
    assert part.note.toPlainText() == too_long and part.service.currentText() == AWKWARD
    assert done_reviews(vault, delegated) == []  # the review not saved either
    assert load_record(vault.uow, delegated).signposting == ()

    part.note.setPlainText("Leaflet given")
    click(qtbot, dialog.buttons.button(dialog.buttons.StandardButton.Ok))
    assert not dialog.isVisible()
    assert len(done_reviews(vault, delegated)) == 1
    [given] = load_record(vault.uow, delegated).signposting
    assert (given.service, given.note) == (AWKWARD, "Leaflet given")
    assert bugs == []


def test_the_review_dialog_checks_the_signposting_as_the_record_will(
        qtbot: Any, vault: VaultSession, delegated: str) -> None:
    widget, _dialogs, _bugs = review_screen(qtbot, vault)
    dialog = widget.open_record_dialog(0)
    assert dialog is not None and dialog.signposting is not None
    part = dialog.signposting
    fill_continue(qtbot, dialog)
    assert dialog.problem() is None  # unticked: nothing to check
    part.setChecked(True)
    part.service.setEditText("Age UK")
    part.for_whom.set_value(None)
    assert dialog.problem() == "Signposting: Choose whom it was for: the person or their carer."
    assert beside(part, "for_whom").startswith("Choose whom it was for")
    assert beside(part, "service") == "" and beside(part, "note") == ""
    part.for_whom.set_value("person")
    assert dialog.problem() is None and beside(part, "for_whom") == ""
    dialog.reject()


def test_the_registers_controller_refuses_a_bad_signposting_before_the_review(
        qtbot: Any, vault: VaultSession, delegated: str) -> None:
    context, _dialogs, _bugs = make_context(qtbot, vault, Role.TEAM_LEAD, REVIEW_DAY)
    controller = registers_controller(qtbot, context)
    widget = controller.reviews_screen
    widget.refresh()
    row = widget.model.row(0)
    answers = ReviewAnswers(row.review_id, REVIEW_DAY, ReviewOutcome.CONTINUE, True, True,
                            False, "", signposting=ReviewSignposting(
                                delegated, "s" * 201, "person", "signposted", None))
    with pytest.raises(ValidationError, match="under 200") as refused:
        controller._record_review(answers)  # noqa: SLF001
    assert refused.value.field == "service"
    assert done_reviews(vault, delegated) == []
