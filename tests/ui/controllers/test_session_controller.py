"""Sign-in and lock as the controllers share them: the sign-in path loads no heavy library,
a lock stops syncing and saves an open wizard's draft, the same user gets the same
controllers back, and another user gets new ones while the previous user's are put away
(tests/ui/test_lock_screen.py has the lock screen itself)."""

from __future__ import annotations

import json
import subprocess
import sys
from pathlib import Path

import pytest
import shiboken6

from desktop_app.services import delegation, people
from desktop_app.services.core.errors import VaultLocked
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.ui.lock_screen import LockScreen
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sign_in import SignInDialog
from desktop_app.ui.wizard.wizard import DelegationWizard
from tests.support import person_values
from tests.ui.test_app_roles import LEAD, SignedIn, _signed_in
from tests.ui.test_sign_in import GOOD, cheap_kdf  # noqa: F401 (a fixture)

ROOT = Path(__file__).resolve().parents[3]
TYPED = "Referred by the district nurse on the morning visit"
HEAVY = ("sqlalchemy", "cryptography", "argon2", "reportlab", "httpx", "alembic")


def test_the_sign_in_path_imports_no_heavy_library() -> None:
    """The composition root and the session controller load before the sign-in dialog
    paints; the services' libraries must wait (the feature controllers load after)."""
    code = ("import json, sys, desktop_app.app, desktop_app.ui.controllers.session; "
            "print(json.dumps(sorted({m.split('.')[0] for m in sys.modules})))")
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True,
                            text=True, timeout=120, check=True)
    loaded = set(json.loads(result.stdout))
    assert "PySide6" in loaded  # the check sees what was imported
    assert loaded.isdisjoint(HEAVY), sorted(loaded & set(HEAVY))


def _lock(qtbot, signed: SignedIn) -> SignInDialog:
    sessions = signed.app.session_controller
    signed.window.lock_button.click()
    qtbot.waitUntil(lambda: isinstance(sessions.dialog, SignInDialog) and sessions.dialog
                    .isVisible(), timeout=10000)
    assert sessions.session is None
    assert isinstance(sessions.dialog, SignInDialog)
    return sessions.dialog


def _sign_in(dialog: SignInDialog, user_id: str) -> None:
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findData(user_id))
    dialog.pass_edit.setText(GOOD)
    dialog.buttons.accepted.emit()


def test_a_lock_stops_syncing_and_the_same_user_gets_the_same_controllers_back(
        qtbot, app_home: Path, cheap_kdf) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        features, window = signed.features, signed.window
        sync = features.sync.controller
        assert sync.status_timer.isActive()
        user_id = signed.session.user.user_id
        dialog = _lock(qtbot, signed)
        assert not sync.status_timer.isActive() and not sync.timer.isActive()
        assert features.delegations.wizards.session is None

        _sign_in(dialog, user_id)
        qtbot.waitUntil(lambda: signed.session is not None and window.isVisible(),
                        timeout=10000)
        assert signed.features is features and signed.window is window
        assert sync.status_timer.isActive()
        assert features.delegations.wizards.session is signed.session
    finally:
        signed.shutdown()


def test_a_lock_saves_what_was_typed_in_the_open_wizard(qtbot, app_home: Path,
                                                        cheap_kdf) -> None:  # noqa: F811
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        uow, on_db_thread = signed.session.uow, signed.executor.call
        user_id = signed.session.user.user_id
        person = on_db_thread(people.create_person, uow,
                              people.PersonInput(**person_values(serial=41)))
        wizards = signed.features.delegations.wizards
        signed.features.delegations.open_wizard(person.id)
        qtbot.waitUntil(lambda: isinstance(wizards.wizard, DelegationWizard)
                        and wizards.wizard.isVisible(), timeout=10000)
        wizard = wizards.wizard
        wizard._draft_timer.setInterval(600_000)  # typing is saved after a pause: not here
        wizard.currentPage().referred_by.setText(TYPED)
        dialog = _lock(qtbot, signed)
        assert not wizard.isVisible()

        _sign_in(dialog, user_id)
        qtbot.waitUntil(lambda: signed.session is not None and wizard.isVisible(),
                        timeout=10000)
        [draft] = on_db_thread(delegation.drafts, signed.session.uow)
        context = on_db_thread(delegation.wizard_context, signed.session.uow, person.id,
                               load_catalogue(), draft.case_id)
        assert TYPED in str(context.answers)
    finally:
        signed.shutdown()


def _sign_in_as_someone_else(qtbot, signed: SignedIn, name: str,
                             passphrase: str = GOOD) -> None:
    """From the lock screen: "Sign in as someone else…", then ``name``'s passphrase."""
    sessions = signed.app.session_controller
    lock_screen = sessions.dialog
    assert isinstance(lock_screen, LockScreen)
    lock_screen.switch_button.click()
    qtbot.waitUntil(lambda: type(sessions.dialog) is SignInDialog
                    and sessions.dialog.isVisible(), timeout=10000)
    dialog = sessions.dialog
    dialog.user_combo.setCurrentIndex(dialog.user_combo.findText(name))
    dialog.pass_edit.setText(passphrase)
    dialog.buttons.accepted.emit()


def test_another_user_gets_new_controllers_and_the_previous_users_are_put_away(
        qtbot, app_home: Path, cheap_kdf) -> None:  # noqa: F811
    """The nurse's window and controllers are kept, hidden and reaching no session, while
    the team lead works; the team lead's controllers are their own."""
    signed = _signed_in(qtbot, "nurse", copied=True)
    try:
        ann = signed.session.user.user_id
        old_window, old_features = signed.window, signed.features
        assert "reports" not in old_window._keys
        _lock(qtbot, signed)

        _sign_in_as_someone_else(qtbot, signed, LEAD)
        sessions = signed.app.session_controller
        qtbot.waitUntil(lambda: isinstance(sessions.window, MainWindow)
                        and sessions.window is not old_window
                        and sessions.window.isVisible(), timeout=10000)
        assert shiboken6.isValid(old_window) and not old_window.isVisible()
        assert signed.app.parked_features[ann] is old_features
        assert signed.features is not old_features
        assert "Lee Lead" in signed.window.user_label.text()
        assert "reports" in signed.window._keys  # a team lead's screens
        assert signed.features.delegations.wizards.session is signed.session
        # The nurse's put-away controllers reach nothing under the team lead's name.
        assert old_features.people.context.current_session() is None
        with pytest.raises(VaultLocked):
            old_features.people.context.uow()
    finally:
        signed.shutdown()
