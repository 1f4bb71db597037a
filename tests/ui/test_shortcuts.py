"""Each screen's shortcut is the same whatever the role (issue 17), and the lock is on
Ctrl+L only: Alt+L typed in a field (the Sync form's) does not lock.

The shortcuts used to follow the position in the screen list, which differs by role (only
team leads and governance have Reports): Ctrl+9 opened Reports for a team lead and Sync for
a nurse. Each role is signed in to the real app on a fresh vault and driven with key clicks.
"""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget

from desktop_app.services.core.roles import Permission, allowed
from desktop_app.ui.controllers.features import SCREEN_ORDER, SCREEN_SHORTCUTS
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sign_in import SignInDialog
from tests.ui.test_app_roles import SignedIn, _signed_in
from tests.ui.test_sign_in import cheap_kdf  # noqa: F401 (a fixture)

ROLES = ("team_lead", "nurse", "social_care_practitioner", "read_only")
CTRL = Qt.KeyboardModifier.ControlModifier
ALT = Qt.KeyboardModifier.AltModifier

# What the README's "The screens" tells users: one key per screen, for every role.
DOCUMENTED = {"caseload": "Ctrl+1", "delegations": "Ctrl+2", "person": "Ctrl+3",
              "reviews": "Ctrl+4", "competency": "Ctrl+5", "escalations": "Ctrl+6",
              "examples": "Ctrl+7", "providers": "Ctrl+8", "reports": "Ctrl+9",
              "sync": "Ctrl+0"}
DIGIT_KEYS = {str(n): getattr(Qt.Key, f"Key_{n}") for n in range(10)}


@pytest.fixture(params=ROLES)
def signed_in(request: pytest.FixtureRequest, qtbot: Any, app_home: Path,
              cheap_kdf: None) -> Iterator[SignedIn]:  # noqa: F811
    app = _signed_in(qtbot, request.param, copied=True)
    window = app.window
    window.activateWindow()
    window.nav.setFocus()
    qtbot.waitUntil(window.nav.hasFocus, timeout=5000)
    yield app
    app.shutdown()


def press(qtbot: Any, widget: QWidget, shortcut: str) -> None:
    """Press a Ctrl+digit shortcut from the table, in ``widget`` (which has the focus)."""
    modifier, digit = shortcut.split("+")
    assert modifier == "Ctrl"
    qtbot.keyClick(widget, DIGIT_KEYS[digit], CTRL)


def expected_keys(role: str) -> list[str]:
    """The screens a role has, in the list's order: everyone but Reports, which needs the
    reports permission."""
    return [key for key in SCREEN_ORDER
            if key != "reports" or allowed(role, Permission.VIEW_REPORTS)]


def bound_shortcuts(window: MainWindow) -> set[str]:
    """Every window-wide shortcut bound, as written in the table."""
    return {shortcut.key().toString(QKeySequence.SequenceFormat.PortableText)
            for shortcut in window.findChildren(QShortcut)}


def role_of(app: SignedIn) -> str:
    return str(app.window.user.role)


def readme_keys() -> dict[str, str]:
    """The README's table of screens and keys ("The screens"), as screen title -> key."""
    readme = (Path(__file__).parents[2] / "README.md").read_text(encoding="utf-8")
    section = readme[readme.index("## The screens"):]
    section = section[:section.index("\n## ")]
    keys: dict[str, str] = {}
    for line in section.splitlines():
        cells = [cell.strip() for cell in line.strip().strip("|").split("|")]
        if line.startswith("|") and cells[0] not in ("Screen", "---"):
            for title, key in zip(cells[::2], cells[1::2], strict=True):
                keys[title.split(" (")[0]] = key
    return keys


def test_the_table_is_the_documented_one() -> None:
    assert SCREEN_SHORTCUTS == DOCUMENTED
    assert len(set(SCREEN_SHORTCUTS.values())) == len(SCREEN_SHORTCUTS)
    assert sorted(readme_keys().values()) == sorted(DOCUMENTED.values())


def test_each_screen_opens_with_its_own_shortcut_whatever_the_role(
        qtbot: Any, signed_in: SignedIn) -> None:
    window = signed_in.window
    assert window._keys == expected_keys(role_of(signed_in))
    # Backwards through the table, so no key lands on the screen already shown.
    for key in reversed(window._keys):
        press(qtbot, window.nav, SCREEN_SHORTCUTS[key])
        assert window.stack.currentWidget() is window.screen(key), key
        assert window.nav.currentItem().data(Qt.ItemDataRole.UserRole) == key


def test_a_screen_the_role_lacks_has_no_shortcut_and_its_key_does_nothing(
        qtbot: Any, signed_in: SignedIn) -> None:
    window = signed_in.window
    missing = [key for key in SCREEN_ORDER if key not in window._keys]
    assert bool(missing) != allowed(role_of(signed_in), Permission.VIEW_REPORTS)
    bound = bound_shortcuts(window)
    assert {SCREEN_SHORTCUTS[key] for key in window._keys} <= bound
    for key in missing:
        assert SCREEN_SHORTCUTS[key] not in bound
        for shown in ("sync", "caseload"):  # where a positional key would have gone
            window.show_screen(shown)
            press(qtbot, window.nav, SCREEN_SHORTCUTS[key])
            assert window.stack.currentWidget() is window.screen(shown)


def test_the_screen_list_names_each_shortcut(signed_in: SignedIn) -> None:
    nav = signed_in.window.nav
    for row in range(nav.count()):
        item = nav.item(row)
        shortcut = SCREEN_SHORTCUTS[item.data(Qt.ItemDataRole.UserRole)]
        assert item.toolTip() == f"{item.text()} ({shortcut})"
        assert item.data(Qt.ItemDataRole.AccessibleDescriptionRole) == f"Shortcut: {shortcut}"
        assert readme_keys()[item.text()] == shortcut  # the README says the same


def test_alt_l_typed_in_the_sync_form_does_not_lock_and_ctrl_l_does(
        qtbot: Any, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    app = _signed_in(qtbot, "nurse", copied=True)
    try:
        window = app.window
        window.activateWindow()
        window.nav.setFocus()
        qtbot.waitUntil(window.nav.hasFocus, timeout=5000)
        press(qtbot, window.nav, SCREEN_SHORTCUTS["sync"])
        page = window.screen("sync")
        assert window.stack.currentWidget() is page
        assert "&" not in window.lock_button.text()  # no Alt mnemonic on Lock
        assert "Ctrl+L" in window.lock_button.toolTip()
        field = page.device_edit
        field.setFocus()
        qtbot.waitUntil(field.hasFocus, timeout=5000)
        qtbot.keyClicks(field, "City North")
        with qtbot.assertNotEmitted(window.lock_requested, wait=200):
            qtbot.keyClick(field, Qt.Key.Key_L, ALT)
        assert app.session is not None and window.isVisible()
        assert field.text().startswith("City North")
        assert field.hasFocus()

        with qtbot.waitSignal(window.lock_requested, timeout=5000):
            qtbot.keyClick(field, Qt.Key.Key_L, CTRL)
        sessions = app.app.session_controller
        qtbot.waitUntil(lambda: isinstance(sessions.dialog, SignInDialog), timeout=10000)
        assert app.session is None and not window.isVisible()
    finally:
        app.shutdown()
