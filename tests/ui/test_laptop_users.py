"""Sign-ins… in the main window: who can sign in on this laptop, and adding a colleague
with only the roles the signed-in user may give (the services' rule,
tests/services/test_first_account.py), from the keyboard."""

from __future__ import annotations

from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_app.ui.laptop_users import LaptopUsersDialog
from tests.ui.controllers.test_session_controller import _lock, _sign_in_as_someone_else
from tests.ui.test_app_roles import SignedIn, _signed_in
from tests.ui.test_sign_in import cheap_kdf  # noqa: F401 (a fixture)

BEA = "Bea Example"
BEA_PASSPHRASE = "bea's own long passphrase"


def _open(qtbot: Any, signed: SignedIn) -> LaptopUsersDialog:
    button = signed.window.users_button
    assert button.isVisible()
    button.click()
    sessions = signed.app.session_controller
    qtbot.waitUntil(lambda: sessions._users_dialog is not None
                    and sessions._users_dialog.isVisible()
                    and sessions._users_dialog.user_list.count() > 0, timeout=10000)
    dialog = sessions._users_dialog
    assert dialog is not None
    return dialog


@pytest.mark.hazard("H-026")
def test_a_nurse_adds_a_practitioner_who_can_then_sign_in(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        dialog = _open(qtbot, signed)
        listed = [dialog.user_list.item(i).text() for i in range(dialog.user_list.count())]
        assert listed == ["Ann Example — Community nurse", "Lee Lead — Team lead"]
        offered = [dialog.role_combo.itemData(i) for i in range(dialog.role_combo.count())]
        assert offered == ["nurse", "social_care_practitioner"]  # never a team lead
        qtbot.waitUntil(dialog.name_edit.hasFocus, timeout=5000)
        qtbot.keyClicks(dialog.name_edit, BEA)
        qtbot.keyClick(dialog.name_edit, Qt.Key.Key_Tab)
        qtbot.keyClick(dialog.role_combo, Qt.Key.Key_Down)
        assert dialog.role_combo.currentData() == "social_care_practitioner"
        qtbot.keyClicks(dialog.pass_edit, BEA_PASSPHRASE)
        qtbot.keyClicks(dialog.confirm_edit, "short")
        qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)
        assert "different" in dialog.error_label.text()
        assert dialog.name_edit.text() == BEA  # nothing typed is lost
        dialog.confirm_edit.clear()
        qtbot.keyClicks(dialog.confirm_edit, BEA_PASSPHRASE)
        qtbot.keyClick(dialog.confirm_edit, Qt.Key.Key_Return)
        qtbot.waitUntil(dialog.done_label.isVisible, timeout=10000)
        assert dialog.done_label.text() == f"{BEA} can now sign in on this laptop."
        assert f"{BEA} — Social care practitioner" in [
            dialog.user_list.item(i).text() for i in range(dialog.user_list.count())]
        assert dialog.name_edit.text() == "" and dialog.pass_edit.text() == ""

        dialog.reject()
        _lock(qtbot, signed)
        _sign_in_as_someone_else(qtbot, signed, BEA, BEA_PASSPHRASE)
        qtbot.waitUntil(lambda: signed.session is not None
                        and signed.session.user.display_name == BEA, timeout=10000)
        assert str(signed.session.user.role) == "social_care_practitioner"
    finally:
        signed.shutdown()


@pytest.mark.hazard("H-026")
@pytest.mark.parametrize(("role", "offered"), [
    ("team_lead", ["nurse", "team_lead", "social_care_practitioner", "read_only"]),
    ("social_care_practitioner", None),
    ("read_only", None),
])
def test_a_team_lead_may_give_every_role_and_who_cannot_add_has_no_button(
        qtbot: Any, app_home: Path, cheap_kdf: None,  # noqa: F811
        role: str, offered: list[str] | None) -> None:
    signed = _signed_in(qtbot, role, copied=True)
    try:
        if offered is None:
            assert signed.window.users_button.isHidden()
            return
        dialog = _open(qtbot, signed)
        assert [dialog.role_combo.itemData(i)
                for i in range(dialog.role_combo.count())] == offered
    finally:
        signed.shutdown()
