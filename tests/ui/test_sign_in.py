"""The first-run, recovery-code and sign-in screens, driven as a nurse would."""

from __future__ import annotations

from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app.app import App
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sign_in import (
    FirstRunDialog,
    RecoveryCodeDialog,
    SignInDialog,
    passphrase_strength,
)

GOOD = "correct horse battery staple"


def test_first_run_refuses_mismatch_and_keeps_typing(qtbot) -> None:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    qtbot.keyClicks(dialog.name_edit, "Ann Nurse")
    qtbot.keyClicks(dialog.pass_edit, GOOD)
    qtbot.keyClicks(dialog.confirm_edit, GOOD + "x")
    with qtbot.assertNotEmitted(dialog.setup_requested):
        dialog.buttons.accepted.emit()
    assert "different" in dialog.error_label.text()
    assert dialog.name_edit.text() == "Ann Nurse"
    assert dialog.pass_edit.text() == GOOD


def test_first_run_emits_setup(qtbot) -> None:
    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    qtbot.keyClicks(dialog.name_edit, "Ann Lead")
    qtbot.keyClicks(dialog.pass_edit, GOOD)
    qtbot.keyClicks(dialog.confirm_edit, GOOD)
    with qtbot.waitSignal(dialog.setup_requested) as blocker:
        qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)
    assert blocker.args == ["Ann Lead", GOOD]  # no role chosen: the first account's is fixed
    assert not dialog.buttons.isEnabled()  # busy until the vault is made


@pytest.mark.hazard("H-026")
def test_first_run_says_the_first_account_is_the_team_leads_and_offers_no_role(qtbot) -> None:
    """Whoever sets the laptop up reads the rule before typing anything, and cannot choose
    another role (the service refuses one: tests/services/test_first_account.py)."""
    from PySide6.QtWidgets import QComboBox

    from desktop_app.services.core import roles
    from desktop_app.ui import sign_in

    dialog = FirstRunDialog()
    qtbot.addWidget(dialog)
    rule = dialog.rule_label.text()
    assert rule.startswith("The first account on a laptop is the team lead's.")
    assert "If you are not the team lead, press Cancel and ask your team lead" in rule
    assert "adds each colleague's own sign-in with their role, from Sign-ins…" in rule
    assert dialog.role_label.text() == "Team lead"
    assert not dialog.findChildren(QComboBox)
    assert sign_in.FIRST_ACCOUNT_ROLE == roles.FIRST_ACCOUNT_ROLE.value


@pytest.mark.parametrize("text, score", [("short", 0), ("abcdefghij", 1),
                                         ("abcdefghijklmn", 2), (GOOD, 3)])
def test_strength_grows_with_length(text: str, score: int) -> None:
    assert passphrase_strength(text)[0] == score


def test_recovery_code_needs_confirmation(qtbot) -> None:
    dialog = RecoveryCodeDialog("AAAA-BBBB")
    qtbot.addWidget(dialog)
    dialog.show()
    assert not dialog.buttons.isEnabled()
    qtbot.keyClick(dialog, Qt.Key.Key_Escape)
    assert dialog.isVisible(), "Escape must not skip the recovery code"
    qtbot.keyClick(dialog.stored_check, Qt.Key.Key_Space)
    assert dialog.buttons.isEnabled()


def test_sign_in_keyboard_only(qtbot) -> None:
    dialog = SignInDialog([("u1", "Ann Nurse"), ("u2", "Bob Lead")], last_user_id="u2")
    qtbot.addWidget(dialog)
    dialog.show()
    qtbot.waitExposed(dialog)
    assert dialog.user_combo.currentData() == "u2"
    qtbot.keyClicks(dialog.pass_edit, GOOD)
    with qtbot.waitSignal(dialog.sign_in_requested) as blocker:
        qtbot.keyClick(dialog.pass_edit, Qt.Key.Key_Return)
    assert blocker.args == ["u2", GOOD]


def test_every_input_has_an_accessible_name(qtbot) -> None:
    import datetime as dt

    from PySide6.QtWidgets import QComboBox, QLineEdit

    from desktop_app.ui.laptop_users import LaptopUsersDialog
    from desktop_app.ui.lock_screen import LockScreen
    for dialog in (FirstRunDialog(), SignInDialog([("u1", "Ann")]),
                   LockScreen("u1", "Ann", "nurse", dt.datetime(2026, 1, 5, 9, 0), True),
                   LaptopUsersDialog("team_lead", ["nurse", "read_only"])):
        qtbot.addWidget(dialog)
        for widget in dialog.findChildren(QLineEdit) + dialog.findChildren(QComboBox):
            assert widget.accessibleName(), f"{type(widget).__name__} in {type(dialog).__name__}"


@pytest.fixture
def cheap_kdf(monkeypatch: pytest.MonkeyPatch) -> None:
    """Vaults made by the app in these tests use the cheap test key derivation."""
    from desktop_app.services.vault import vault as vault_module
    from tests.support import TEST_KDF
    real_init = vault_module.VaultStore.__init__
    monkeypatch.setattr(vault_module.VaultStore, "__init__",
                        lambda self, folder, **kw: real_init(self, folder, kdf_cost=TEST_KDF))


def _app(app_home: Path) -> App:
    app = App(QApplication.instance(), demo=False)
    app.dialogs.headless = True
    return app


def test_first_run_then_sign_in_then_wrong_passphrase(qtbot, app_home: Path, cheap_kdf) -> None:
    app = _app(app_home)
    controller = app.session_controller
    try:
        app.start()
        first = controller.dialog
        assert isinstance(first, FirstRunDialog)
        qtbot.keyClicks(first.name_edit, "Ann Lead")
        qtbot.keyClicks(first.pass_edit, GOOD)
        qtbot.keyClicks(first.confirm_edit, GOOD)
        qtbot.keyClick(first.confirm_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: isinstance(controller.dialog, RecoveryCodeDialog), timeout=10000)
        code_dialog = controller.dialog
        code_dialog.stored_check.setChecked(True)
        code_dialog.accept()
        qtbot.waitUntil(lambda: isinstance(controller.window, MainWindow), timeout=10000)
        assert "Ann Lead (Team lead)" in controller.window.user_label.text()

        controller.window.lock_button.click()
        qtbot.waitUntil(lambda: isinstance(controller.dialog, SignInDialog), timeout=10000)
        assert controller.session is None
        sign_in = controller.dialog
        qtbot.keyClicks(sign_in.pass_edit, "not the passphrase")
        qtbot.keyClick(sign_in.pass_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(lambda: sign_in.error_label.isVisible(), timeout=10000)
        assert "not right" in sign_in.error_label.text()
        assert controller.session is None
    finally:
        app.shutdown()


@pytest.mark.hazard("H-025")
@pytest.mark.hazard("H-035")
def test_idle_lock_hides_everything_and_unlock_keeps_unsaved_input(
    qtbot, app_home: Path, cheap_kdf
) -> None:
    """After the idle time the vault closes and every window hides; the same user signing
    in again gets the same window back with what they had typed (not yet saved)."""
    app = _app(app_home)
    controller = app.session_controller
    try:
        app.start()
        first = controller.dialog
        first.name_edit.setText("Ann Lead")
        first.pass_edit.setText(GOOD)
        first.confirm_edit.setText(GOOD)
        first.buttons.accepted.emit()
        qtbot.waitUntil(lambda: isinstance(controller.dialog, RecoveryCodeDialog), timeout=10000)
        controller.dialog.stored_check.setChecked(True)
        controller.dialog.accept()
        qtbot.waitUntil(lambda: isinstance(controller.window, MainWindow), timeout=10000)
        window = controller.window
        panel = window.screen("delegations")
        panel.nhs_edit.setText("999 000 00")  # typed, not saved
        app.idle.set_minutes(1)
        app.idle.timer.setInterval(50)  # the idle time, shortened for the test
        app.idle.start()
        qtbot.waitUntil(lambda: isinstance(controller.dialog, SignInDialog), timeout=10000)
        app.idle.timer.setInterval(600_000)  # no second idle lock straight after the unlock
        assert controller.session is None
        assert not window.isVisible()
        sign_in = controller.dialog
        sign_in.pass_edit.setText(GOOD)
        sign_in.buttons.accepted.emit()
        qtbot.waitUntil(lambda: controller.session is not None and window.isVisible(),
                        timeout=10000)
        assert controller.window is window
        assert panel.nhs_edit.text() == "999 000 00"
    finally:
        app.shutdown()
