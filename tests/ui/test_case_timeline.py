"""The person record's Delegations tab (``ui.delegation_history``): each delegation with its
history, and ending a running one from the keyboard (hazard H-032), on a real vault.

The person record is wired as the app wires it: ``HistoryController`` gives the tab its
actions for a role that may record delegations. ``run`` calls the work at once, as the
task runner later does on the GUI thread (an expected error goes to ``failed``).
"""

from __future__ import annotations

import datetime as dt
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QTableWidget, QWidget
from sqlalchemy import select

from desktop_app.models.review import Review, ReviewOutcome
from desktop_app.services import registers
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.people.record import load_record
from desktop_app.services.vault import VaultSession
from desktop_app.ui.controllers.history import HistoryController
from desktop_app.ui.delegation_history import (
    ConsentWithdrawnDialog,
    DelegationsPanel,
    NeedChangedDialog,
)
from desktop_app.ui.person_record import PersonRecordWidget
from tests.support import run_now
from tools.sample_case import BuiltCase, build_case

D = dt.date
REVIEWED_ON = D(2027, 3, 1)
TODAY = D(2027, 3, 10)


run = run_now  # the task runner, done at once


@pytest.fixture
def case(vault: VaultSession) -> BuiltCase:
    """Eye drops decided on 30/11/2026, reviewed (continue) on 01/03/2027."""
    built = build_case(vault.uow)
    with vault.uow.read() as s:
        [review_id] = s.scalars(select(Review.id).where(
            Review.delegation_case_id == built.case_id, ~Review.deleted)).all()
    registers.record_review(vault.uow, review_id, REVIEWED_ON, ReviewOutcome.CONTINUE,
                            stable=True, competence_current=True, serious_incident=False,
                            notes="Settled; the carers know the routine", today=REVIEWED_ON)
    return built


def record_screen(qtbot: Any, vault: VaultSession, person_id: str,
                  role: str = "nurse") -> PersonRecordWidget:
    """The person record on screen, on its Delegations tab, wired for ``role``."""
    widget = PersonRecordWidget(lambda *a: None, None, allowed(role, Permission.DELEGATE))
    qtbot.addWidget(widget)
    # The controller is a child of the record (as of the main window in the app), so it
    # goes with the widget on the GUI thread.
    context = SimpleNamespace(window=widget, run=run, today=lambda: TODAY,
                              uow=lambda: vault.uow,
                              can=lambda permission: allowed(role, permission))
    HistoryController(context, widget)  # type: ignore[arg-type]
    widget.show_record(load_record(vault.uow, person_id))
    widget.show()
    widget.tabs.setCurrentWidget(widget.delegations)
    qtbot.waitExposed(widget)
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    return widget


def texts(table: QTableWidget) -> list[list[str]]:
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def press(qtbot: Any, window: QWidget, key: Qt.Key) -> None:
    """A key pressed where the keyboard's focus is in ``window``."""
    focused = window.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key)


def tab_to(qtbot: Any, window: QWidget, target: QWidget, most: int = 12) -> None:
    """Tab until ``target`` has the focus, as a keyboard user would."""
    for _ in range(most):
        if window.focusWidget() is target:
            return
        press(qtbot, window, Qt.Key.Key_Tab)
    assert window.focusWidget() is target


def test_the_tab_lists_the_delegation_and_its_history_oldest_first(
        qtbot: Any, vault: VaultSession, case: BuiltCase) -> None:
    widget = record_screen(qtbot, vault, case.person_id)
    panel = widget.delegations
    assert widget.tabs.tabText(widget.tabs.indexOf(panel)) == "Delegations"
    [row] = texts(panel.cases)
    assert row == ["Putting in eye drops or eye ointment", "Active",
                   "Delegated, jointly funded", "30/11/2026", row[4]] and row[4]
    decided, reviewed = texts(panel.timeline)
    assert decided[:6] == ["30/11/2026", "Decided", "Delegated, jointly funded", "Test Nurse",
                           "1", "Care starts 01/12/2026"]
    assert "The MDT agreed." in decided[6]
    assert reviewed[:5] == ["01/03/2027", "Reviewed", "", "Test Nurse", ""]
    assert reviewed[5].startswith("Continue; next review ")
    assert reviewed[6] == "Settled; the carers know the routine"
    assert "Active" in panel.summary.text()
    assert panel.withdraw_button.isVisible() and panel.withdraw_button.isEnabled()
    assert panel.need_button.isVisible() and panel.need_button.isEnabled()


@pytest.mark.hazard("H-032")
def test_need_changed_from_the_keyboard_ends_it_and_refreshes_the_record(
        qtbot: Any, vault: VaultSession, case: BuiltCase) -> None:
    widget = record_screen(qtbot, vault, case.person_id)
    panel = widget.delegations
    panel.cases.setFocus()
    tab_to(qtbot, widget, panel.need_button)
    press(qtbot, widget, Qt.Key.Key_Space)
    dialog = panel.dialog
    assert isinstance(dialog, NeedChangedDialog) and dialog.isVisible()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.focusWidget() is dialog.on
    assert dialog.on.text() == "10/03/2027"  # today, ready to change
    dialog.on.selectAll()
    qtbot.keyClicks(dialog.on, "08/03/2027")
    press(qtbot, dialog, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.reason
    qtbot.keyClicks(dialog.reason, "Eye infection: a nurse must assess each dose")
    tab_to(qtbot, dialog, dialog.ok_button)
    press(qtbot, dialog, Qt.Key.Key_Return)

    assert not dialog.isVisible() and panel.dialog is None
    assert widget.tabs.currentWidget() is panel  # the record came back on the same tab
    assert texts(panel.cases)[0][1:3] == ["Withdrawn", "Delegated, jointly funded"]
    ending = texts(panel.timeline)[-1]
    assert ending == ["08/03/2027", "Need changed: delegation ended",
                      "Delegation withdrawn: the task returns to Health", "Test Nurse",
                      "2",  # the plan version without the task
                      "", "Eye infection: a nurse must assess each dose"]
    assert "Ended 08/03/2027" in panel.summary.text()
    assert not panel.withdraw_button.isEnabled() and not panel.need_button.isEnabled()
    plans = widget.plans.table
    assert plans.rowCount() == 2  # the record's other tabs were refreshed too
    assert load_record(vault.uow, case.person_id).delegations[0].status == "withdrawn"


@pytest.mark.hazard("H-032")
@pytest.mark.hazard("H-015")
def test_a_refused_withdrawal_keeps_what_was_typed(qtbot: Any, vault: VaultSession,
                                                   case: BuiltCase) -> None:
    widget = record_screen(qtbot, vault, case.person_id)
    panel = widget.delegations
    panel.withdraw_button.setFocus()
    press(qtbot, widget, Qt.Key.Key_Space)
    dialog = panel.dialog
    assert isinstance(dialog, ConsentWithdrawnDialog)
    # Whose delegation it is, and who gave the consent, who is the first choice.
    assert "Zoë Ní Bhriain" in dialog.intro.text()
    assert "Putting in eye drops or eye ointment" in dialog.intro.text()
    assert "Consent was given by Siobhán Ní Bhriain" in dialog.intro.text()
    attorney = "Siobhán Ní Bhriain: Attorney (health and welfare LPA)"
    assert [dialog.who.itemText(i) for i in range(dialog.who.count())][1:] == [
        "The person", attorney]
    assert dialog.who.currentText() == attorney
    dialog.on.setFocus()
    dialog.on.selectAll()
    qtbot.keyClicks(dialog.on, "11/03/2027")  # tomorrow
    dialog.explained.setFocus()
    qtbot.keyClicks(dialog.explained, "Her daughter asked for the nurse to take it back")
    qtbot.keyClick(dialog.ok_button, Qt.Key.Key_Return)

    assert dialog.isVisible() and panel.dialog is dialog
    assert "has not come yet" in dialog.problems["on"].text()
    assert dialog.explained.toPlainText() == "Her daughter asked for the nurse to take it back"
    assert dialog.on.text() == "11/03/2027"

    # She was assessed as lacking capacity: the service refuses her own withdrawal in the
    # "Who withdrew" field; choosing her attorney again then ends the delegation.
    dialog.on.selectAll()
    qtbot.keyClicks(dialog.on, "10/03/2027")
    qtbot.keyClick(dialog.who, Qt.Key.Key_Up)
    assert dialog.who.currentText() == "The person"
    qtbot.keyClick(dialog.ok_button, Qt.Key.Key_Return)
    assert dialog.isVisible()
    assert "attorney or deputy" in dialog.problems["given_by_kind"].text()
    assert dialog.focusWidget() is dialog.who
    qtbot.keyClick(dialog.who, Qt.Key.Key_Down)
    assert dialog.who.currentText().startswith("Siobhán Ní Bhriain")
    qtbot.keyClick(dialog.ok_button, Qt.Key.Key_Return)

    assert not dialog.isVisible()
    assert texts(panel.cases)[0][1] == "Withdrawn"
    assert texts(panel.timeline)[-1][1] == "Consent withdrawn: delegation ended"
    assert "Siobhán Ní Bhriain" in texts(panel.timeline)[-1][5]
    assert texts(panel.timeline)[-1][6] == "Her daughter asked for the nurse to take it back"


def test_a_read_only_user_sees_the_history_but_no_way_to_end_it(
        qtbot: Any, vault: VaultSession, case: BuiltCase) -> None:
    widget = record_screen(qtbot, vault, case.person_id, role="read_only")
    panel = widget.delegations
    assert len(texts(panel.timeline)) == 2
    assert panel.withdraw_button.isHidden() and panel.need_button.isHidden()
    assert not panel.can_end() and panel.open_need_changed() is None
    assert panel.open_consent_withdrawn() is None and panel.dialog is None


def test_every_control_of_the_tab_and_its_forms_has_a_name(qtbot: Any, vault: VaultSession,
                                                            case: BuiltCase) -> None:
    from PySide6.QtWidgets import QComboBox, QLineEdit, QPlainTextEdit, QPushButton

    widget = record_screen(qtbot, vault, case.person_id)
    panel: DelegationsPanel = widget.delegations
    row = panel.selected()
    assert row is not None
    for form in (ConsentWithdrawnDialog("Zoë", row, (), TODAY, panel),
                 NeedChangedDialog("Zoë", row, TODAY)):
        qtbot.addWidget(form)
        for child in (form.findChildren(QLineEdit) + form.findChildren(QComboBox)
                      + form.findChildren(QPlainTextEdit) + form.findChildren(QPushButton)):
            if isinstance(child.parent(), QComboBox):
                continue
            assert child.accessibleName(), type(child).__name__
    for control in (panel.cases, panel.timeline, panel.withdraw_button, panel.need_button):
        assert control.accessibleName()


@pytest.mark.parametrize(("role", "can_end"), [("nurse", True), ("read_only", False)])
def test_the_signed_in_features_give_the_tab_its_actions_by_role(
        qtbot: Any, role: str, can_end: bool) -> None:
    """``controllers/features.py`` makes the history controller for the people controller's
    person record: the actions only for a role that may record delegations."""
    from desktop_app.ui.controllers.features import Features

    widget = PersonRecordWidget(lambda *a: None, None, allowed(role, Permission.DELEGATE))
    qtbot.addWidget(widget)
    context = SimpleNamespace(window=widget, run=run, today=lambda: TODAY, uow=None,
                              can=lambda permission: allowed(role, permission))
    people = SimpleNamespace(context=context, person_screen=widget)
    other = SimpleNamespace()
    features = Features(other, other, people, other, None, other, other)  # type: ignore[arg-type]
    assert features.history is not None and features.history.person_screen is widget
    assert features.history in features.each()
    assert widget.delegations.can_end() is can_end
    assert widget.delegations.withdraw_button.isHidden() is not can_end
