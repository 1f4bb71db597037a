"""Closing a shared care discussion from the Escalations screen, the changes of need below
it, and the register screens' actions hidden from a role that cannot take them.

``run`` calls the work at once, as ``TaskRunner.run`` does later on the GUI thread; an
expected error goes to ``failed`` when given, else it is raised. The services are fakes
that remember their calls (``Recorder``), so the tests see exactly what was asked.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QDialogButtonBox, QLabel, QWidget

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.registers import ChangeOfNeedRow, ClosedDiscussion
from desktop_app.ui.registers import (
    CompetencyRegisterWidget,
    EscalationsWidget,
    ReviewsDueWidget,
)
from desktop_app.ui.registers.escalations import CloseDiscussionDialog, Closure
from tests.support import run_now, type_date
from tests.ui.test_registers_widgets import (
    ESCALATIONS,
    REVIEWS,
    SIGN_OFFS,
    TODAY,
    Recorder,
    cell,
)

DECISION = "The ICB funds the extra visit; the provider's worker gives the injection."
CHANGES = [
    ChangeOfNeedRow("c7", "r7", "Grace Example", "999 000 0034", "PEG feed",
                    dt.date(2027, 1, 27), 14),
    ChangeOfNeedRow("c8", "r8", "Arthur Sample", "999 000 0026", "Insulin pen",
                    dt.date(2027, 2, 9), 1),
]


run = run_now  # the task runner, done at once


class Refusing:
    """A close service that refuses, as the service does when the decision names someone."""

    def __init__(self, message: str) -> None:
        self.message = message
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        raise ValidationError(self.message, field="decision")


def shown(qtbot: Any, widget: QWidget) -> None:
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)


def escalations(qtbot: Any, close: Any = None, changes: Any = None,
                load: Recorder | None = None) -> EscalationsWidget:
    widget = EscalationsWidget(run, load or Recorder(ESCALATIONS), close, changes,
                               today=lambda: TODAY)
    shown(qtbot, widget)
    return widget


def ok_button(dialog: CloseDiscussionDialog) -> QWidget:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Ok)


def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def select_second_row_and_press_close(qtbot: Any, widget: EscalationsWidget
                                      ) -> CloseDiscussionDialog:
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Down)
    assert widget.table.current_row() == 1
    click(qtbot, widget.close_button)
    dialog = widget.close_dialog
    assert dialog is not None and dialog.isVisible()
    return dialog


def write_decision(qtbot: Any, dialog: CloseDiscussionDialog, decision: str,
                   themes: str) -> None:
    qtbot.keyClicks(dialog.decision_edit, decision)
    dialog.themes_edit.setFocus()
    dialog.themes_edit.selectAll()
    qtbot.keyClick(dialog.themes_edit, Qt.Key.Key_Delete)
    qtbot.keyClicks(dialog.themes_edit, themes)


# ---------------------------------------------------------------- closing a discussion


def test_the_close_button_opens_the_dialog_for_the_selected_discussion(qtbot: Any) -> None:
    widget = escalations(qtbot, close=Recorder())
    assert not widget.close_button.isHidden()
    dialog = select_second_row_and_press_close(qtbot, widget)
    assert any("Grace Example" in label.text() and "PEG feed" in label.text()
               for label in dialog.findChildren(QLabel))
    assert dialog.themes_edit.text() == "delegation"  # the discussion's themes so far
    assert dialog.closed_edit.value() == dt.date(2027, 2, 10)
    assert dialog.example_box.isChecked()


def test_enter_on_a_row_opens_the_dialog_too(qtbot: Any) -> None:
    widget = escalations(qtbot, close=Recorder())
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    assert widget.close_dialog is not None and widget.close_dialog.isVisible()


@pytest.mark.parametrize("typed", ["", "   "])
def test_an_empty_decision_is_refused_in_the_dialog(qtbot: Any, typed: str) -> None:
    close = Recorder()
    widget = escalations(qtbot, close=close)
    dialog = select_second_row_and_press_close(qtbot, widget)
    qtbot.keyClicks(dialog.decision_edit, typed)
    with qtbot.assertNotEmitted(dialog.closure_entered):
        click(qtbot, ok_button(dialog))
    assert "Write down the decision" in dialog.error_label.text()
    assert close.calls == [] and dialog.isVisible() and widget.close_dialog is dialog


def test_a_decision_closes_the_discussion_as_a_case_example(qtbot: Any) -> None:
    load = Recorder(ESCALATIONS)
    close = Recorder(ClosedDiscussion("d2", TODAY, "example-1"))
    widget = escalations(qtbot, close=close, load=load)
    assert len(load.calls) == 1
    dialog = select_second_row_and_press_close(qtbot, widget)
    write_decision(qtbot, dialog, DECISION, "funding, training")
    click(qtbot, ok_button(dialog))
    assert close.calls == [(Closure("d2", DECISION, ("funding", "training"), TODAY, True),)]
    assert not dialog.isVisible() and widget.close_dialog is None
    assert widget.message_label.text() == (
        "Discussion closed; its decision is now a case example.")
    assert len(load.calls) == 2  # the list is loaded again


def test_an_earlier_date_and_no_case_example_are_passed_on(qtbot: Any) -> None:
    close = Recorder(ClosedDiscussion("d1", dt.date(2027, 2, 3), None))
    widget = escalations(qtbot, close=close)
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Return)  # the first row: d1
    dialog = widget.close_dialog
    assert dialog is not None
    write_decision(qtbot, dialog, DECISION, " Funding ,, ")
    type_date(qtbot, dialog.closed_edit, "3 Feb 2027")
    click(qtbot, dialog.example_box)
    assert not dialog.example_box.isChecked()
    click(qtbot, ok_button(dialog))
    [(closure,)] = close.calls
    assert closure == Closure("d1", DECISION, ("Funding",), dt.date(2027, 2, 3), False)
    assert widget.message_label.text() == "Discussion closed."


def test_a_refused_close_shows_why_in_the_dialog_and_keeps_the_typing(qtbot: Any) -> None:
    load = Recorder(ESCALATIONS)
    close = Refusing("The decision names the person; write it without names.")
    widget = escalations(qtbot, close=close, load=load)
    dialog = select_second_row_and_press_close(qtbot, widget)
    write_decision(qtbot, dialog, "Grace Example gets the visit", "funding")
    click(qtbot, ok_button(dialog))
    assert len(close.calls) == 1
    assert "write it without names" in dialog.error_label.text()
    assert dialog.isVisible() and widget.close_dialog is dialog
    assert dialog.decision_edit.toPlainText() == "Grace Example gets the visit"
    assert dialog.themes_edit.text() == "funding"
    assert widget.message_label.text() == "" and len(load.calls) == 1


def test_without_close_the_button_is_hidden_and_enter_opens_nothing(qtbot: Any) -> None:
    widget = escalations(qtbot, close=None)
    assert widget.close_button.isHidden()
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    assert widget.close_dialog is None and widget.open_close_dialog(0) is None
    assert not [w for w in widget.findChildren(CloseDiscussionDialog)]


def test_the_close_dialog_inputs_are_named(qtbot: Any) -> None:
    widget = escalations(qtbot, close=Recorder())
    dialog = widget.open_close_dialog(0)
    assert dialog is not None
    for field in (dialog.decision_edit, dialog.themes_edit, dialog.closed_edit):
        assert field.accessibleName()
    assert "&" in dialog.example_box.text() and "&" in ok_button(dialog).text()


# ---------------------------------------------------------------- changes of need


@pytest.mark.hazard("H-029")
def test_changes_of_need_are_listed_below_with_days_waiting(qtbot: Any) -> None:
    changes = Recorder(CHANGES)
    widget = escalations(qtbot, changes=changes)
    lower = widget.changes
    assert lower is not None and lower.isVisible()
    assert lower.model.rowCount() == 2
    assert [cell(lower, r, 0) for r in range(2)] == ["14 days", "1 day"]
    assert [cell(lower, 0, c) for c in range(1, 5)] == [
        "Grace Example", "999 000 0034", "PEG feed", "27/01/2027"]
    assert lower.count_label.text() == "2 delegations need an MDT to agree a new plan"
    assert lower.refresh_button.isHidden()  # the screen's own Refresh reloads both
    before = len(changes.calls)
    click(qtbot, widget.refresh_button)
    assert len(changes.calls) == before + 1


def test_showing_the_screen_loads_each_list_once(qtbot: Any) -> None:
    load, changes = Recorder(ESCALATIONS), Recorder(CHANGES)
    escalations(qtbot, changes=changes, load=load)
    assert len(load.calls) == 1
    assert len(changes.calls) == 1


def test_one_change_of_need_is_counted_in_the_singular(qtbot: Any) -> None:
    widget = escalations(qtbot, changes=Recorder(CHANGES[1:]))
    assert widget.changes is not None
    assert widget.changes.count_label.text() == "1 delegation needs an MDT to agree a new plan"


def test_without_a_changes_loader_there_is_no_lower_list(qtbot: Any) -> None:
    widget = escalations(qtbot)
    assert widget.changes is None


# ---------------------------------------------------------------- other registers' roles


def test_reviews_without_record_hide_the_button_and_open_nothing(qtbot: Any) -> None:
    widget = ReviewsDueWidget(run, Recorder(REVIEWS), None, today=lambda: TODAY)
    shown(qtbot, widget)
    assert widget.model.rowCount() == 4
    assert widget.record_button.isHidden()
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    assert widget.review_dialog is None and widget.open_record_dialog(0) is None


def test_reviews_with_record_show_the_button(qtbot: Any) -> None:
    widget = ReviewsDueWidget(run, Recorder(REVIEWS), Recorder(), today=lambda: TODAY)
    shown(qtbot, widget)
    assert not widget.record_button.isHidden()


def test_competency_without_withdraw_hides_the_button_and_opens_nothing(qtbot: Any) -> None:
    widget = CompetencyRegisterWidget(run, Recorder(SIGN_OFFS), None)
    shown(qtbot, widget)
    assert widget.model.rowCount() == 4
    assert widget.withdraw_button.isHidden()
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    assert widget.reason_dialog is None and widget.open_withdraw_dialog(0) is None

