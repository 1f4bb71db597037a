"""The funding follow-through on the Escalations screen (issue 16, item 4): the interim
funding to reconcile and its dialog, the agreed split when closing a discussion, and the
CSU's steps, driven from the keyboard on fake services.

The row: the ICB paid £88.14 a week without prejudice from 1 December 2026 until the agreed
split took over on 1 February 2027 (62 days: £780.67); the agreed shares are ICB £50.00 and
Leicester City £38.14 a week, so the council's fair part is 78067 × 3814 ÷ 8814 = £337.81.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget

from desktop_app.models.plan import ApportionmentMethod, Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.registers import (
    AgreedFunding,
    ClosedDiscussion,
    InterimLine,
    InterimToReconcileRow,
    ReconciledInterim,
)
from desktop_app.ui.registers import EscalationsWidget
from desktop_app.ui.registers.escalations import Closure
from desktop_app.ui.registers.funding_decisions import CsuResult, CsuRouting
from desktop_app.ui.registers.reconciliation import (
    ReconciliationDialog,
    ReconciliationEntry,
)
from tests.ui.test_escalations_widget import run
from tests.ui.test_registers_widgets import ESCALATIONS, TODAY, Recorder, cell

CITY = Funder.LEICESTER_CITY
ENDS = dt.date(2027, 2, 1)
ROW = InterimToReconcileRow(
    "c1", "p1", "Arthur Sample", "999 000 0026", "Insulin pen", "d1", dt.date(2027, 1, 30),
    "MLCSU-999-1", Funder.ICB, "LLR ICB", dt.date(2026, 12, 1), dt.date(2027, 1, 31), 8814,
    "£88.14", 78067, "£780.67", 71,
    (InterimLine(Funder.ICB, 5509, dt.date(2026, 12, 1), ENDS),
     InterimLine(CITY, 3305, dt.date(2026, 12, 1), ENDS)),
    ((Funder.ICB, 5000), (CITY, 3814)))
OPEN_ROW = dataclasses.replace(ROW, case_id="c2", person_name="Grace Example",
                               decided_on=None, interim_until=None)
DONE = ReconciledInterim("r1", "c1", 78067, 29000, 2, TODAY)


class Refusing:
    """A reconcile service that refuses, as the service does when too much is repaid."""

    def __init__(self) -> None:
        self.calls: list[tuple[Any, ...]] = []

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        raise ValidationError("The repayments add up to £900.00, more than the £780.67 the "
                              "interim funder paid for the period.", field="repayments")


def screen(qtbot: Any, reconcile: Any = None, rows: list[InterimToReconcileRow] | None = None,
           close: Any = None, **extra: Any) -> EscalationsWidget:
    widget = EscalationsWidget(run, Recorder(ESCALATIONS), close, today=lambda: TODAY,
                               interim=Recorder([ROW, OPEN_ROW] if rows is None else rows),
                               reconcile=reconcile, **extra)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def dialog_for(qtbot: Any, row: InterimToReconcileRow = ROW) -> ReconciliationDialog:
    dialog = ReconciliationDialog(row, TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    return dialog


def press(qtbot: Any, dialog: QWidget, key: Qt.Key, times: int = 1) -> None:
    for _ in range(times):
        qtbot.keyClick(dialog.focusWidget(), key)


# ---------------------------------------------------------------- the list and the dialog


@pytest.mark.hazard("H-012")
def test_the_escalations_screen_lists_the_interim_funding_to_reconcile(qtbot: Any) -> None:
    widget = screen(qtbot, reconcile=Recorder(DONE))
    part = widget.interim
    assert part is not None and part.isVisible() and part.model.rowCount() == 2
    assert [cell(part, 0, c) for c in range(part.model.columnCount())] == [
        "01/12/2026", "71 days", "Arthur Sample", "999 000 0026", "Insulin pen", "LLR ICB",
        "£88.14", "£780.67", "31/01/2027", "Decided 30/01/2027", "MLCSU-999-1"]
    assert cell(part, 1, 8) == "Still running" and cell(part, 1, 9) == "Discussion open"
    assert part.count_label.text() == "2 delegations' interim funding to reconcile"
    tab = widget.follow_up.indexOf(part)
    assert widget.follow_up.tabText(tab) == "Interim to reconci&le (2)"
    assert not part.reconcile_button.isHidden() and "&" in part.reconcile_button.text()


def test_without_reconcile_the_button_is_hidden(qtbot: Any) -> None:
    widget = screen(qtbot, reconcile=None)
    assert widget.interim is not None and widget.interim.reconcile_button.isHidden()
    assert widget.interim.open_dialog(0) is None


def test_an_interim_whose_discussion_is_open_is_not_reconciled_yet(qtbot: Any) -> None:
    reconcile = Recorder(DONE)
    widget = screen(qtbot, reconcile=reconcile)
    assert widget.interim is not None
    assert widget.interim.open_dialog(1) is None
    assert "still open" in widget.interim.message_label.text()


def test_the_dialog_is_pre_filled_with_the_period_and_what_was_paid(qtbot: Any) -> None:
    dialog = dialog_for(qtbot)
    assert (dialog.from_edit.value(), dialog.to_edit.value(), dialog.reconciled_edit.value()) \
        == (dt.date(2026, 12, 1), dt.date(2027, 1, 31), TODAY)
    assert "£780.67 for this period" in dialog.paid_label.text()
    assert "Leicester City Council £337.81" in dialog.paid_label.text()
    # One repayment line for each funder other than the ICB, which paid.
    assert list(dialog.repayment_edits) == [CITY, Funder.LEICESTERSHIRE_COUNTY,
                                            Funder.RUTLAND_COUNTY]
    assert "Arthur Sample" in dialog.intro.text() and "MLCSU-999-1" in dialog.intro.text()
    assert dialog.focusWidget() is dialog.from_edit
    for field in (dialog.from_edit, dialog.to_edit, dialog.reconciled_edit, dialog.notes_edit,
                  *dialog.repayment_edits.values()):
        assert field.accessibleName()
    # A shorter period: the first week, 8814 exactly.
    dialog.to_edit.setFocus()
    dialog.to_edit.selectAll()
    qtbot.keyClicks(dialog.to_edit, "07/12/2026")
    press(qtbot, dialog, Qt.Key.Key_Tab)
    assert "£88.14 for this period" in dialog.paid_label.text()


def test_a_running_interim_is_pre_filled_up_to_today(qtbot: Any) -> None:
    dialog = dialog_for(qtbot, OPEN_ROW)
    assert dialog.to_edit.value() == TODAY


@pytest.mark.hazard("H-012")
def test_a_bad_repayment_is_refused_beside_it_and_the_typing_is_kept(qtbot: Any) -> None:
    reconcile = Refusing()
    widget = screen(qtbot, reconcile=reconcile)
    assert widget.interim is not None
    dialog = widget.interim.open_dialog(0)
    assert dialog is not None
    city = dialog.repayment_edits[CITY]
    city.setFocus()
    qtbot.keyClicks(city, "290.555")
    qtbot.keyClicks(dialog.notes_edit, "Invoice CITY-7")
    qtbot.keyClick(city, Qt.Key.Key_Return)
    problem = dialog.problems["repayment_leicester_city"]
    assert "amount in pounds" in problem.text() and problem.isVisibleTo(dialog)
    assert dialog.focusWidget() is city and reconcile.calls == []
    assert city.text() == "290.555" and dialog.isVisible()
    # The service's refusal (more than was paid) is said under the form; nothing is lost.
    city.selectAll()
    qtbot.keyClicks(city, "900")
    qtbot.keyClick(city, Qt.Key.Key_Return)
    assert len(reconcile.calls) == 1
    assert "more than the £780.67" in dialog.error_label.text()
    assert dialog.isVisible() and widget.interim.dialog is dialog
    assert city.text() == "900" and dialog.notes_edit.toPlainText() == "Invoice CITY-7"


@pytest.mark.hazard("H-012")
def test_a_reconciliation_is_recorded_with_the_keyboard(qtbot: Any) -> None:
    reconcile = Recorder(DONE)
    widget = screen(qtbot, reconcile=reconcile)
    part = widget.interim
    assert part is not None
    part.table.setFocus()
    qtbot.keyClick(part.table, Qt.Key.Key_Return)  # the first row, decided
    dialog = part.dialog
    assert dialog is not None and dialog.isVisible()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    assert dialog.focusWidget() is dialog.from_edit
    press(qtbot, dialog, Qt.Key.Key_Tab, 2)  # past the period's two days
    assert dialog.focusWidget() is dialog.repayment_edits[CITY]
    qtbot.keyClicks(dialog.focusWidget(), "290")
    press(qtbot, dialog, Qt.Key.Key_Tab, 3)  # past the other two councils
    assert dialog.focusWidget() is dialog.reconciled_edit
    press(qtbot, dialog, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.notes_edit
    qtbot.keyClicks(dialog.notes_edit, "Invoice CITY-7")
    press(qtbot, dialog, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.ok_button
    press(qtbot, dialog, Qt.Key.Key_Space)
    assert reconcile.calls == [(ReconciliationEntry(
        "c1", dt.date(2026, 12, 1), dt.date(2027, 1, 31), ((CITY, 29000),), "Invoice CITY-7",
        TODAY),)]
    assert not dialog.isVisible() and part.dialog is None
    assert part.message_label.text() == (
        "Interim funding reconciled: £290.00 repaid of £780.67 paid.")


# ---------------------------------------------------------------- the agreed split


def test_closing_can_record_the_agreed_split_pre_filled_from_the_case(qtbot: Any) -> None:
    row = dataclasses.replace(ESCALATIONS[0], funding_shares=((Funder.ICB, 5509),
                                                              (CITY, 3305)),
                              funding_method="fixed_percentage")
    close = Recorder(ClosedDiscussion("d1", TODAY, None, 2))
    widget = EscalationsWidget(run, Recorder([row]), close, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    dialog = widget.open_close_dialog(0)
    assert dialog is not None
    box = dialog.agreed_box
    assert not box.isChecked()
    assert (box.icb_edit.text(), box.council_choice.value(), box.council_edit.text(),
            box.method_choice.value(), box.from_edit.value()) == (
        "55.09", "leicester_city", "33.05", "fixed_percentage", TODAY)
    qtbot.keyClicks(dialog.decision_edit, "Joint funding from February")
    box.setChecked(True)  # Alt+A, or Space on the box's title
    box.from_edit.setFocus()
    box.from_edit.selectAll()
    qtbot.keyClicks(box.from_edit, "01/02/2027")
    box.icb_edit.selectAll()
    qtbot.keyClicks(box.icb_edit, "50.5.0")
    dialog.buttons.accepted.emit()
    assert close.calls == [] and "amount in pounds" in dialog.error_label.text()
    assert dialog.focusWidget() is box.icb_edit and box.icb_edit.text() == "50.5.0"
    box.icb_edit.selectAll()
    qtbot.keyClicks(box.icb_edit, "50")
    box.council_edit.selectAll()
    qtbot.keyClicks(box.council_edit, "38.14")
    dialog.buttons.accepted.emit()
    [(closure,)] = close.calls
    assert closure == Closure("d1", "Joint funding from February", ("funding",), TODAY, True,
                              AgreedFunding(dt.date(2027, 2, 1),
                                            ((Funder.ICB, 5000), (CITY, 3814)),
                                            ApportionmentMethod.FIXED_PERCENTAGE))
    assert widget.message_label.text() == (
        "Discussion closed. The agreed funding is on support plan version 2.")


def test_a_refused_agreed_split_goes_back_to_its_field(qtbot: Any) -> None:
    def refuse(_closure: Closure) -> None:
        raise ValidationError("This delegation's council is Leicester City Council: the "
                              "agreed split must name the same council.",
                              field="agreed_council")

    widget = EscalationsWidget(run, Recorder(ESCALATIONS), refuse, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    dialog = widget.open_close_dialog(0)
    assert dialog is not None
    qtbot.keyClicks(dialog.decision_edit, "Joint")
    dialog.agreed_box.setChecked(True)
    dialog.agreed_box.council_choice.set_value("rutland_county")
    qtbot.keyClicks(dialog.agreed_box.council_edit, "10")
    dialog.buttons.accepted.emit()
    assert "same council" in dialog.error_label.text() and dialog.isVisible()
    assert dialog.focusWidget() is dialog.agreed_box.council_choice
    assert dialog.decision_edit.toPlainText() == "Joint"


# ---------------------------------------------------------------- the CSU


def test_the_csu_steps_are_recorded_from_the_screen(qtbot: Any) -> None:
    routed, result = Recorder(), Recorder()
    widget = screen(qtbot, csu_routed=routed, csu_result=result)
    csu = widget.csu
    # d1 is a joint-funding dispute not yet routed; d2 is not for the CSU.
    assert csu.routed_button.isEnabled() and not csu.result_button.isEnabled()
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Down)
    assert not csu.routed_button.isEnabled() and not csu.result_button.isEnabled()
    qtbot.keyClick(widget.table, Qt.Key.Key_Up)
    dialog = csu.open_routed()
    assert dialog is not None and dialog.on_edit.value() == TODAY
    dialog.on_edit.selectAll()
    qtbot.keyClicks(dialog.on_edit, "05/01/2027")
    qtbot.keyClick(dialog.on_edit, Qt.Key.Key_Return)
    assert routed.calls == [(CsuRouting("d1", dt.date(2027, 1, 5)),)]
    assert not dialog.isVisible()
    assert widget.message_label.text() == "Recorded: the dispute went to the CSU."
    # Once routed (as the list now says), the result is the next step.
    widget.model.set_rows([dataclasses.replace(ESCALATIONS[0],
                                               csu_routed_on=dt.date(2027, 1, 5))])
    widget.table.selectRow(0)
    csu.update()
    assert cell(widget, 0, 7) == "Routed 05/01/2027"
    assert not csu.routed_button.isEnabled() and csu.result_button.isEnabled()
    answer = csu.open_result()
    assert answer is not None
    qtbot.keyClick(answer.on_edit, Qt.Key.Key_Return)  # no result written: refused beside it
    assert result.calls == [] and answer.problems["result"].isVisibleTo(answer)
    qtbot.keyClicks(answer.result_edit, "ICB 62.5%, council 37.5%")
    qtbot.keyClick(answer.on_edit, Qt.Key.Key_Return)
    assert result.calls == [(CsuResult("d1", "ICB 62.5%, council 37.5%", TODAY),)]


def test_without_csu_actions_the_buttons_are_hidden(qtbot: Any) -> None:
    widget = screen(qtbot)
    assert widget.csu.routed_button.isHidden() and widget.csu.result_button.isHidden()
    assert widget.csu.open_routed() is None and widget.csu.open_result() is None
