"""The lock screen (issue 17): it says whose session is locked and since when, unlocks only
with that user's passphrase (Escape does nothing), and says what signing in as someone else
does before anyone presses it. Someone else signing in sees nothing of the first user, and
the first user's screens, dialogs, typing and unfinished delegation are theirs when they
come back. Driven in the real app, as in tests/ui/controllers/test_session_controller.py."""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import (
    QApplication,
    QDialog,
    QLineEdit,
    QMessageBox,
    QVBoxLayout,
    QWidget,
)
from sqlalchemy import select

from desktop_app.models.delegation import DelegationCase
from desktop_app.services import people
from desktop_app.ui.lock_screen import LockScreen
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sign_in import SignInDialog
from desktop_app.ui.wizard.wizard import DelegationWizard
from tests.support import person_values
from tests.ui.controllers.test_session_controller import _lock, _sign_in_as_someone_else
from tests.ui.test_app_roles import LEAD, SignedIn, _signed_in
from tests.ui.test_sign_in import GOOD, cheap_kdf  # noqa: F401 (a fixture)

ANN = "Ann Example"
TYPED = "Referred by the district nurse at the morning visit"


def _lock_screen(signed: SignedIn) -> LockScreen:
    dialog = signed.app.session_controller.dialog
    assert isinstance(dialog, LockScreen)
    return dialog


def _typed_dialog(window: MainWindow, text: str) -> tuple[QDialog, QLineEdit]:
    """A form dialog of the window with something typed in it (not saved)."""
    dialog = QDialog(window)
    field = QLineEdit()
    QVBoxLayout(dialog).addWidget(field)
    dialog.open()
    field.setText(text)
    return dialog, field


def _owner(widget: QWidget) -> QWidget | None:
    """The main window a window belongs to (None for the sign-in and lock screens)."""
    parent = widget.parentWidget()
    while parent is not None and not isinstance(parent, MainWindow):
        parent = parent.parentWidget()
    return widget if isinstance(widget, MainWindow) else parent


@pytest.mark.hazard("H-025")
@pytest.mark.hazard("H-035")
def test_the_lock_screen_says_whose_session_and_what_someone_else_signing_in_does(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        sessions = signed.app.session_controller
        window = signed.window
        window.activateWindow()
        qtbot.keyClick(window, Qt.Key.Key_L, Qt.KeyboardModifier.ControlModifier)
        qtbot.waitUntil(lambda: isinstance(sessions.dialog, LockScreen)
                        and sessions.dialog.isVisible(), timeout=10000)
        screen = _lock_screen(signed)
        assert sessions.locked_at is not None
        at = sessions.locked_at.strftime("%H:%M")
        assert abs(dt.datetime.now() - sessions.locked_at) < dt.timedelta(minutes=1)
        assert screen.heading.text() == (
            f"Locked — {ANN}'s session (Community nurse), locked at {at}")
        assert not screen.user_combo.isVisible()  # the user is fixed: no one else here
        qtbot.waitUntil(screen.pass_edit.hasFocus, timeout=5000)
        # What another user signing in does is on screen before they press anything.
        words = screen.switch_text.text()
        for said in (f"signs {ANN} out", f"unfinished delegation is kept as {ANN}'s saved "
                     "draft", "exactly as they were, with anything typed and not yet saved",
                     f"come back only when {ANN} signs in again",
                     f"Nothing of {ANN}'s is shown to the next person"):
            assert said in words
        assert screen.switch_button.isEnabled() and screen.switch_button.isVisible()

        qtbot.keyClick(screen.pass_edit, Qt.Key.Key_Escape)  # Escape neither unlocks...
        screen.close()  # ... nor does the close button
        QApplication.processEvents()
        assert screen.isVisible() and sessions.dialog is screen
        assert sessions.session is None and not window.isVisible()
    finally:
        signed.shutdown()


@pytest.mark.hazard("H-025")
def test_a_wrong_passphrase_says_so_and_the_session_stays_locked(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        sessions = signed.app.session_controller
        window = signed.window
        _lock(qtbot, signed)
        screen = _lock_screen(signed)
        qtbot.keyClicks(screen.pass_edit, "not the passphrase")
        qtbot.keyClick(screen.pass_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(screen.error_label.isVisible, timeout=10000)
        assert "That passphrase is not right." in screen.error_label.text()
        assert sessions.session is None and sessions.dialog is screen and screen.isVisible()
        assert not window.isVisible()
        assert screen.pass_edit.selectedText() == "not the passphrase"  # ready to retype
    finally:
        signed.shutdown()


@pytest.mark.hazard("H-019")
def test_locking_closes_the_vault_and_wipes_its_key(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        session = signed.session
        assert session.raw_key_for_support() != bytes(32)
        _lock(qtbot, signed)
        assert session.raw_key_for_support() == bytes(32)  # nothing left to open it with
        assert signed.app.session_controller.session is None
    finally:
        signed.shutdown()


@pytest.mark.hazard("H-035")
def test_someone_else_signing_in_sees_nothing_of_the_first_user_who_loses_nothing(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    """Ann (a nurse) leaves a wizard, a dialog and the person form with typing in them;
    Lee (the team lead) signs in over her lock and sees none of it; Ann's draft stays
    hers; when Ann signs in again, the dialog and the form are back as she left them, and
    the wizard's typing is in her draft (the wizard itself is not kept: no second copy of
    the draft that could be saved over it later)."""
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        sessions, on_db_thread = signed.app.session_controller, signed.executor.call
        ann_id, ann_window = signed.session.user.user_id, signed.window
        person = on_db_thread(people.create_person, signed.session.uow,
                              people.PersonInput(**person_values(serial=52)))
        wizards = signed.features.delegations.wizards
        signed.features.delegations.open_wizard(person.id)
        qtbot.waitUntil(lambda: isinstance(wizards.wizard, DelegationWizard)
                        and wizards.wizard.isVisible(), timeout=10000)
        wizard = wizards.wizard
        wizard._draft_timer.setInterval(600_000)  # saved by the lock, not by a pause
        wizard.currentPage().referred_by.setText(TYPED)
        form = ann_window.screen("person").form.fields["given_name"]
        form.setText("Margery")  # the person form, not saved
        dialog, field = _typed_dialog(ann_window, "Typed in a dialog")
        ann_windows = [ann_window, wizard, dialog]
        _lock(qtbot, signed)
        assert not any(w.isVisible() for w in ann_windows)

        _sign_in_as_someone_else(qtbot, signed, LEAD)
        qtbot.waitUntil(lambda: isinstance(sessions.window, MainWindow)
                        and sessions.window is not ann_window
                        and sessions.window.isVisible(), timeout=10000)
        lee_window = sessions.window
        assert "Lee Lead" in lee_window.user_label.text()
        shown = [w for w in QApplication.topLevelWidgets() if w.isVisible()]
        assert shown and all(_owner(w) is lee_window for w in shown), shown
        assert not any(w.isVisible() for w in ann_windows)

        def saved_by() -> tuple[str, dict[str, Any]]:
            with signed.session.uow.read() as s:
                case = s.scalars(select(DelegationCase)
                                 .where(DelegationCase.person_id == person.id)).one()
                return case.updated_by, dict(case.answers)

        by, answers = on_db_thread(saved_by)
        assert by == ann_id and TYPED in str(answers)  # Ann's draft, saved by the lock

        # Closing the app now names Ann's put-away screens first (headless: "no").
        lee_window.close()
        assert sessions.window is lee_window and lee_window.isVisible()
        assert ANN in signed.dialogs.shown[-1][2]

        _lock(qtbot, signed)
        _sign_in_as_someone_else(qtbot, signed, ANN)
        qtbot.waitUntil(lambda: sessions.window is ann_window and ann_window.isVisible(),
                        timeout=10000)
        assert dialog.isVisible() and not lee_window.isVisible() and not wizard.isVisible()
        assert form.text() == "Margery" and field.text() == "Typed in a dialog"
        assert on_db_thread(saved_by) == (ann_id, answers)  # the draft, untouched
        assert signed.features.delegations.wizards.session is signed.session
        assert signed.session.user.user_id == ann_id
    finally:
        signed.shutdown()


@pytest.mark.hazard("H-035")
def test_a_dialog_opened_after_the_lock_stays_hidden_until_its_user_is_back(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    """Work that finishes after the lock may open a dialog over the lock screen: it never
    shows, and comes back with its user."""
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        window, user_id = signed.window, signed.session.user.user_id
        screen = _lock(qtbot, signed)
        late, field = _typed_dialog(window, "typed")
        QApplication.processEvents()
        qtbot.waitUntil(lambda: not late.isVisible(), timeout=5000)
        assert screen.isVisible()
        screen.pass_edit.setText(GOOD)
        screen.buttons.accepted.emit()
        qtbot.waitUntil(lambda: window.isVisible() and late.isVisible(), timeout=10000)
        assert field.text() == "typed" and signed.session.user.user_id == user_id
    finally:
        signed.shutdown()


@pytest.mark.hazard("H-035")
def test_a_question_asked_while_locked_is_answered_no_and_never_shown(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    """A question (Qt's own message box, waiting in exec()) opened over a locked session
    is hidden at once, answered "no", and the unlock afterwards is safe."""
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        window = signed.window
        screen = _lock(qtbot, signed)
        left_open: list[str] = []

        def still_open() -> None:  # without the guard the question would wait for a reader
            for box in QApplication.topLevelWidgets():
                if isinstance(box, QMessageBox) and box.isVisible():
                    left_open.append(box.text())
                    box.button(QMessageBox.StandardButton.Yes).click()

        # Unguarded, the question would still be waiting when this fires and clicks "Yes".
        QTimer.singleShot(1500, still_open)
        answer = QMessageBox.question(window, "Discard?", "Discard the unsaved changes?")
        assert answer != QMessageBox.StandardButton.Yes and not left_open
        screen.pass_edit.setText(GOOD)
        screen.buttons.accepted.emit()
        qtbot.waitUntil(window.isVisible, timeout=10000)
        assert not any(isinstance(w, QMessageBox) and w.isVisible()
                       for w in QApplication.topLevelWidgets())
    finally:
        signed.shutdown()


@pytest.mark.hazard("H-025")
def test_the_idle_lock_gives_the_same_lock_screen(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "read_only", copied=True)
    try:
        sessions, idle = signed.app.session_controller, signed.app.idle
        idle.timer.setInterval(50)  # the idle time, shortened for the test
        idle.start()
        qtbot.waitUntil(lambda: isinstance(sessions.dialog, LockScreen)
                        and sessions.dialog.isVisible(), timeout=10000)
        idle.timer.setInterval(600_000)
        screen = _lock_screen(signed)
        assert screen.heading.text().startswith(
            f"Locked — {ANN}'s session (Read-only (governance)), locked at ")
        assert f"signs {ANN} out" in screen.switch_text.text()
        assert not signed.window.isVisible() and sessions.session is None
    finally:
        signed.shutdown()


def test_with_nobody_else_on_the_laptop_the_lock_screen_says_so(qtbot: Any) -> None:
    screen = LockScreen("u1", "Ann Example", "team_lead", dt.datetime(2026, 5, 4, 9, 7),
                        others=False)
    qtbot.addWidget(screen)
    assert screen.heading.text() == "Locked — Ann Example's session (Team lead), locked at 09:07"
    assert not screen.switch_button.isEnabled()
    assert screen.switch_text.text() == "Only Ann Example has a sign-in on this laptop."
    screen.pass_edit.setText(GOOD)
    with qtbot.waitSignal(screen.sign_in_requested) as blocker:
        screen.buttons.accepted.emit()
    assert blocker.args == ["u1", GOOD]


def test_signing_in_as_someone_else_goes_back_to_the_lock_screen_on_escape(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        sessions = signed.app.session_controller
        _lock(qtbot, signed).switch_button.click()
        qtbot.waitUntil(lambda: type(sessions.dialog) is SignInDialog
                        and sessions.dialog.isVisible(), timeout=10000)
        other = sessions.dialog
        assert [other.user_combo.itemText(i) for i in range(other.user_combo.count())] == [LEAD]
        assert f"{ANN}'s session stays locked" in other.intro_label.text()
        qtbot.keyClick(other.pass_edit, Qt.Key.Key_Escape)
        qtbot.waitUntil(lambda: isinstance(sessions.dialog, LockScreen)
                        and sessions.dialog.isVisible(), timeout=10000)
        assert sessions.session is None and not other.isVisible()
    finally:
        signed.shutdown()
