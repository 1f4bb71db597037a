"""Transferring clinical oversight from the screens (framework §5; issue 16, item 3): saving a
person as no longer open to community health services offers the transfer of their running
delegations to the GP practice (``OversightTransferDialog``), confirmed from the keyboard;
a refusal keeps what was typed; Reviews due lists the transfer until its acceptance is
recorded. ``run`` calls the work at once, as the task runner later does on the GUI thread.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget
from sqlalchemy import select

from desktop_app.models.oversight import OversightService
from desktop_app.models.plan import SupportPlan
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.roles import allowed
from desktop_app.services.delegation.oversight import (
    TransferRow,
    oversight_awaiting_acceptance,
    record_oversight_accepted,
    transfer_oversight,
)
from desktop_app.services.vault import VaultSession
from desktop_app.ui.controllers.people import PeopleController
from desktop_app.ui.oversight_transfer import OversightTransferDialog, TransferAnswers
from desktop_app.ui.registers.reviews import Acceptance, AcceptanceDialog, ReviewsDueWidget
from tests.support import run_now
from tools.sample_case import build_case

GP = OversightService.GP_PRACTICE
CHS = OversightService.COMMUNITY_HEALTH
TODAY = dt.date(2026, 12, 10)
PRACTICE = "Leicester Demo Medical Practice"


run = run_now  # the task runner, done at once


def press(qtbot: Any, window: QWidget, key: Qt.Key) -> None:
    """A key pressed where the keyboard's focus is in ``window``."""
    focused = window.focusWidget()
    assert focused is not None
    qtbot.keyClick(focused, key)


def shown(qtbot: Any, dialog: QWidget) -> None:
    dialog.show()
    qtbot.waitExposed(dialog)
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)


ROWS = [TransferRow("c1", "Putting in eye drops", CHS, "City South community nursing",
                    PRACTICE),
        TransferRow("c2", "Insulin by pen & needle", CHS, "City South community nursing",
                    PRACTICE, "Dr Demo", "0116 496 0202", "0116 496 0303")]


def dialog_with(qtbot: Any, transfer: Callable[[TransferAnswers], object]
                ) -> OversightTransferDialog:
    dialog = OversightTransferDialog("p1", "Zoë <Ní> Bhriain", GP, ROWS, TODAY, run, transfer)
    qtbot.addWidget(dialog)
    shown(qtbot, dialog)
    return dialog


def test_the_dialog_lists_each_delegation_ticked_and_is_walked_with_tab(qtbot: Any) -> None:
    dialog = dialog_with(qtbot, lambda _answers: None)
    boxes = [box for _case, box in dialog.case_boxes]
    assert [box.text() for box in boxes] == [
        "Putting in eye drops (now with Community Health Services, City South community "
        "nursing)",
        "Insulin by pen && needle (now with Community Health Services, City South community "
        "nursing)"]
    assert all(box.isChecked() for box in boxes)
    assert "Zoë &lt;Ní&gt; Bhriain" in dialog.intro.text()  # escaped, shown as typed
    assert "GP practice" in dialog.intro.text()
    assert (dialog.on_edit.value(), dialog.organisation.text(), dialog.clinician.text(),
            dialog.phone_in.text(), dialog.phone_out.text()) == (
        TODAY, PRACTICE, "Dr Demo", "0116 496 0202", "0116 496 0303")
    order = [boxes[0], boxes[1], dialog.on_edit, dialog.organisation, dialog.clinician,
             dialog.phone_in, dialog.phone_out, dialog.ok_button]
    assert dialog.focusWidget() is order[0]
    for expected in order[1:]:
        press(qtbot, dialog, Qt.Key.Key_Tab)
        assert dialog.focusWidget() is expected
    assert all(w.accessibleName() for w in order)


def test_a_refused_transfer_keeps_everything_typed(qtbot: Any) -> None:
    asked: list[TransferAnswers] = []

    def refuse(answers: TransferAnswers) -> None:
        asked.append(answers)
        raise ValidationError("Give the out-of-hours phone number the care worker calls.",
                              field="phone_out_of_hours")

    dialog = dialog_with(qtbot, refuse)
    boxes = [box for _case, box in dialog.case_boxes]
    for box in boxes:  # none ticked: the dialog says so itself, nothing is asked
        box.setFocus()
        qtbot.keyClick(box, Qt.Key.Key_Space)
    qtbot.keyClick(dialog.phone_in, Qt.Key.Key_Return)
    assert asked == [] and not dialog.problems["case_ids"].isHidden()
    assert dialog.focusWidget() is boxes[0]
    qtbot.keyClick(boxes[0], Qt.Key.Key_Space)  # eye drops only
    dialog.phone_out.clear()
    dialog.clinician.clear()
    qtbot.keyClicks(dialog.clinician, "Dr Other")
    qtbot.keyClick(dialog.clinician, Qt.Key.Key_Return)
    [answers] = asked
    assert (answers.case_ids, answers.to, answers.named_clinician, answers.phone_out_of_hours) \
        == (("c1",), GP, "Dr Other", "")
    assert dialog.isVisible()
    problem = dialog.problems["phone_out_of_hours"]
    assert problem.text().startswith("Give the out-of-hours") and not problem.isHidden()
    assert dialog.focusWidget() is dialog.phone_out
    assert dialog.clinician.text() == "Dr Other" and dialog.phone_in.text() == "0116 496 0202"
    assert [box.isChecked() for box in boxes] == [True, False]


class FakeWindow(QWidget):
    """The main window as the people controller uses it: showing a screen. (A widget the
    test closes, so the controller and its screens are deleted on the GUI thread.)"""

    def __init__(self) -> None:
        super().__init__()
        self.shown_screen = ""

    def show_screen(self, key: str) -> None:
        self.shown_screen = key


def people_controller(qtbot: Any, vault: VaultSession, role: str = "nurse"
                      ) -> PeopleController:
    window = FakeWindow()
    qtbot.addWidget(window)
    context = SimpleNamespace(window=window, run=run, today=lambda: TODAY,
                              uow=lambda: vault.uow, uow_now=lambda: vault.uow,
                              can=lambda permission: allowed(role, permission),
                              ask=lambda _title, _text: True)
    controller = PeopleController(context)  # type: ignore[arg-type]
    for screen in (controller.person_screen, controller.caseload_screen):
        qtbot.addWidget(screen)
    return controller


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_saving_a_person_no_longer_open_offers_the_transfer_confirmed_from_the_keyboard(
        qtbot: Any, vault: VaultSession) -> None:
    case = build_case(vault.uow)
    controller = people_controller(qtbot, vault)
    screen = controller.person_screen
    controller.caseload_screen.person_opened.emit(case.person_id)
    window = controller.parent()
    assert isinstance(window, FakeWindow) and window.shown_screen == "person"
    assert screen.form.open_to_chs.isChecked()
    screen.form.open_to_chs.setFocus()
    qtbot.keyClick(screen.form.open_to_chs, Qt.Key.Key_Space)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)

    dialog = controller.transfer_dialog
    assert dialog is not None and dialog.isVisible()
    assert [case_id for case_id, _box in dialog.case_boxes] == [case.case_id]
    assert dialog.organisation.text() == PRACTICE
    shown(qtbot, dialog)
    dialog.phone_in.setFocus()
    qtbot.keyClicks(dialog.phone_in, "0116 496 0202")
    press(qtbot, dialog, Qt.Key.Key_Tab)
    qtbot.keyClicks(dialog.phone_out, "0116 496 0303")
    press(qtbot, dialog, Qt.Key.Key_Return)

    assert controller.transfer_dialog is None and not dialog.isVisible()
    assert "support plan version 2" in screen.message.text()
    with vault.uow.read() as s:
        summary = s.scalars(select(SupportPlan.summary).where(
            SupportPlan.person_id == case.person_id, SupportPlan.version_number == 2)).one()
    assert summary is not None and f"moves to {PRACTICE}" in summary
    assert [w.organisation_name for w in oversight_awaiting_acceptance(vault.uow, TODAY)] == [
        PRACTICE]


def test_saving_without_a_change_offers_nothing_and_a_declined_offer_says_so(
        qtbot: Any, vault: VaultSession) -> None:
    case = build_case(vault.uow)
    controller = people_controller(qtbot, vault)
    screen = controller.person_screen
    controller.caseload_screen.person_opened.emit(case.person_id)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    assert controller.transfer_dialog is None
    screen.form.open_to_chs.setChecked(False)  # changed, then the offer declined (Escape)
    qtbot.mouseClick(screen.save_button, Qt.MouseButton.LeftButton)
    dialog = controller.transfer_dialog
    assert dialog is not None
    shown(qtbot, dialog)
    press(qtbot, dialog, Qt.Key.Key_Escape)
    assert controller.transfer_dialog is None and not dialog.isVisible()
    assert "not transferred" in screen.message.text()
    assert oversight_awaiting_acceptance(vault.uow, TODAY) == []


def transferred_case(vault: VaultSession) -> str:
    case = build_case(vault.uow)
    transfer_oversight(vault.uow, case.person_id, [case.case_id], GP, dt.date(2026, 12, 7),
                       PRACTICE, None, "0116 496 0202", "0116 496 0303", TODAY)
    return case.person_id


def reviews_screen(qtbot: Any, vault: VaultSession, accept: bool = True) -> ReviewsDueWidget:
    def record(a: Acceptance) -> None:
        record_oversight_accepted(vault.uow, a.oversight_id, a.accepted_on, TODAY)

    widget = ReviewsDueWidget(run, lambda: [], None, lambda: TODAY, None,
                              awaiting=lambda: oversight_awaiting_acceptance(vault.uow, TODAY),
                              accept=record if accept else None)
    qtbot.addWidget(widget)
    widget.show()
    return widget


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_reviews_due_lists_the_transfer_until_its_acceptance_is_recorded(
        qtbot: Any, vault: VaultSession) -> None:
    transferred_case(vault)
    widget = reviews_screen(qtbot, vault)
    part = widget.awaiting
    assert part is not None and part.model.rowCount() == 1
    assert [str(part.model.index(0, c).data()) for c in (0, 1, 3, 4, 5)] == [
        "3 days", "Zoë Ní Bhriain", "Putting in eye drops or eye ointment",
        f"{PRACTICE} (GP practice)", "07/12/2026"]
    assert "1 transfer of oversight waiting to be accepted" in part.count_label.text()
    assert not part.accept_button.isHidden()

    part.table.setFocus()
    qtbot.keyClick(part.table, Qt.Key.Key_Return)
    dialog = part.accept_dialog
    assert isinstance(dialog, AcceptanceDialog) and dialog.on_edit.value() == TODAY
    dialog.on_edit.selectAll()
    qtbot.keyClicks(dialog.on_edit, "11/12/2026")  # not yet: refused, the dialog stays
    qtbot.keyClick(dialog.on_edit, Qt.Key.Key_Return)
    assert part.accept_dialog is dialog and dialog.problems["on"].text().startswith(
        "That date has not come yet")
    assert dialog.on_edit.text() == "11/12/2026"
    dialog.on_edit.selectAll()
    qtbot.keyClicks(dialog.on_edit, "9/12/2026")
    qtbot.keyClick(dialog.on_edit, Qt.Key.Key_Return)
    assert part.accept_dialog is None and part.model.rowCount() == 0
    assert "accepted" in part.message_label.text()
    assert oversight_awaiting_acceptance(vault.uow, TODAY) == []


def test_a_role_that_cannot_record_it_is_not_offered_the_button(
        qtbot: Any, vault: VaultSession) -> None:
    transferred_case(vault)
    part = reviews_screen(qtbot, vault, accept=False).awaiting
    assert part is not None and part.model.rowCount() == 1
    assert part.accept_button.isHidden() and part.open_accept_dialog(0) is None


@pytest.mark.hazard("H-042")
def test_a_review_that_finds_the_person_no_longer_open_offers_the_transfer(
        qtbot: Any, vault: VaultSession) -> None:
    """"Recording it at a review": the review dialog's "No longer open to community health
    services", ticked from the keyboard, records the review and then offers the transfer of
    the person's delegations to their GP practice; confirming it clears the person's box."""
    from desktop_app.services import people, registers
    from desktop_app.ui.registers.reviews import ReviewAnswers

    case = build_case(vault.uow)
    today = dt.date(2027, 3, 1)
    recorded: list[ReviewAnswers] = []

    def record(answers: ReviewAnswers) -> object:
        recorded.append(answers)
        return registers.record_review(
            vault.uow, answers.review_id, answers.done_on, answers.outcome, answers.stable,
            answers.competence_current, answers.serious_incident, answers.notes, today)

    widget = ReviewsDueWidget(run, lambda: registers.reviews_due(vault.uow, today), record,
                              lambda: today)
    qtbot.addWidget(widget)
    widget.refresh()
    controller = people_controller(qtbot, vault)
    widget.left_community_health.connect(controller.offer_transfer_after_review)
    dialog = widget.open_record_dialog(0)
    assert dialog is not None
    shown(qtbot, dialog)
    dialog.continue_button.setChecked(True)
    for pair in (dialog.stable, dialog.competent):
        pair.yes.setChecked(True)
    dialog.incident.no.setChecked(True)
    dialog.notes_edit.setFocus()
    press(qtbot, dialog, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.left_chs
    qtbot.keyClick(dialog.left_chs, Qt.Key.Key_Space)
    press(qtbot, dialog, Qt.Key.Key_Return)

    assert [a.left_community_health for a in recorded] == [True]
    transfer = controller.transfer_dialog
    assert transfer is not None and transfer.isVisible()
    assert [case_id for case_id, _box in transfer.case_boxes] == [case.case_id]
    assert transfer.organisation.text() == PRACTICE
    transfer.phone_in.setText("0116 496 0202")
    transfer.phone_out.setText("0116 496 0303")
    shown(qtbot, transfer)
    transfer.phone_out.setFocus()
    press(qtbot, transfer, Qt.Key.Key_Return)
    assert controller.transfer_dialog is None
    assert not people.open_person(vault.uow, case.person_id).open_to_community_health


def test_a_review_route_with_nothing_to_move_still_brings_the_person_up_to_date(
        qtbot: Any, vault: VaultSession) -> None:
    from desktop_app.services import people

    case = build_case(vault.uow)
    controller = people_controller(qtbot, vault)
    transfer_oversight(vault.uow, case.person_id, [case.case_id], GP, TODAY, PRACTICE, None,
                       "0116 496 0202", "111", TODAY)
    # The box ticked again without moving anything back (as a save the nurse declined).
    view = people.open_person(vault.uow, case.person_id)
    people.update_person(vault.uow, case.person_id, replace(
        view.as_input(), open_to_community_health=True), view.version)
    controller.offer_transfer_after_review(case.person_id)
    assert controller.transfer_dialog is None
    assert "nothing was transferred" in controller.person_screen.message.text()
    assert not people.open_person(vault.uow, case.person_id).open_to_community_health
    assert not controller.person_screen.form.open_to_chs.isChecked()
