"""The Sync screen before the laptop is set up (issue 17): "Sync now" says why nothing
happens and goes to setting up; a failed enrolment says what can be done about it, and never
that changes are "kept and sent later", which cannot happen before the laptop is enrolled.

The screen is driven with its ``SyncActions`` replaced by plain functions run at once.

How these tests were seen to fail: ``SyncPage.sync_now`` calling ``_sync_now`` whatever the
state: the first test (a run was started, nothing said); ``_on_enrol_failed`` showing the
error's own message: the parametrised enrolment test ("sent later" in the message).
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.sync import (
    CertificateNotTrusted,
    EnrolmentRefused,
    NotEnrolled,
    NotTheStore,
    ServerUnreachable,
    StoreUnavailable,
    SyncSettings,
)
from desktop_app.services.sync.errors import OFFLINE
from desktop_app.ui.sync_page import SyncActions, SyncPage
from tests.support import run_now
from tests.ui.test_where_you_land import mnemonics

NOT_SET_UP = SyncSettings(None, None, False, None, None, None, None, None, None)



def _page(qtbot: Any, enrol: Callable[..., object] | None, runs: list[str]) -> SyncPage:
    actions = SyncActions(run_now, lambda: NOT_SET_UP, enrol, lambda: [], None, lambda: [],
                          None)
    page = SyncPage(actions, lambda: runs.append("sync"), lambda: runs.append("cancel"))
    qtbot.addWidget(page)
    page.refresh()
    page.tabs.setCurrentIndex(0)  # on the Conflicts tab, as after looking at conflicts
    page.show()
    qtbot.waitExposed(page)
    page.activateWindow()
    return page


def test_sync_now_on_a_laptop_not_set_up_says_so_and_goes_to_set_up(qtbot) -> None:
    runs: list[str] = []
    page = _page(qtbot, lambda *_a: None, runs)
    page.sync_button.setFocus()
    qtbot.keyClick(page.sync_button, Qt.Key.Key_Space)
    assert runs == []  # no run started that could only fail
    text = page.message.text()
    assert "not set up for sync yet, so nothing was sent or received" in text
    assert "enrolment code" in text and "sent later" not in text
    assert page.tabs.currentWidget() is page.setup_tab
    qtbot.waitUntil(page.server_edit.hasFocus, timeout=2000)


def test_a_role_that_cannot_enrol_is_told_who_can(qtbot) -> None:
    runs: list[str] = []
    page = _page(qtbot, None, runs)
    page.sync_now()
    assert runs == [] and "Ask a nurse or team lead to set it up" in page.message.text()
    assert page.tabs.currentWidget() is page.setup_tab


def test_a_run_refused_as_not_enrolled_says_the_same(qtbot) -> None:
    page = _page(qtbot, lambda *_a: None, [])
    page.show_finished(NotEnrolled("This laptop is not enrolled with the central store yet."))
    assert "not set up for sync yet" in page.message.text()
    assert page.tabs.currentWidget() is page.setup_tab


@pytest.mark.parametrize(("error", "says", "field"), [
    (ServerUnreachable(OFFLINE), "could not be reached at that address", "server_edit"),
    (StoreUnavailable("The central store is not available just now. Changes are kept and "
                      "sent later."), "not available just now", "code_edit"),
    (NotTheStore("Something other than the central store answered. Changes are kept on this "
                 "laptop."), "Wi-Fi sign-in page", "server_edit"),
    (CertificateNotTrusted("not trusted"), "CA bundle file", "ca_edit"),
    (EnrolmentRefused("That enrolment code is unknown, already used, expired or "
                      "withdrawn."),
     "codes expire", "code_edit"),
    (ValidationError("The central store's address must start with https://",
                     field="server_url"), "must start with https://", "server_edit"),
], ids=["offline", "unavailable", "not-the-store", "certificate", "code", "address"])
def test_a_failed_enrolment_says_what_can_be_done(qtbot, error: ExpectedError, says: str,
                                                  field: str) -> None:
    def enrol(*_args: object) -> object:
        raise error

    page = _page(qtbot, enrol, [])
    page.tabs.setCurrentWidget(page.setup_tab)
    for edit, text in ((page.server_edit, "https://store.example.invalid"),
                       (page.device_edit, "City North laptop 4"), (page.code_edit, "ABCD-1234")):
        edit.setText(text)
    page.enrol_button.click()
    message = page.message.text()
    assert says in message
    for never in ("sent later", "kept and sent", "Changes are kept"):
        assert never not in message
    assert page.enrol_button.isEnabled()  # try again, or with a new code
    assert page.code_edit.text() == "ABCD-1234"  # nothing typed is lost
    qtbot.waitUntil(getattr(page, field).hasFocus, timeout=2000)


def test_enrolling_with_fields_missing_names_them_and_goes_to_the_first(qtbot) -> None:
    enrolled: list[object] = []
    page = _page(qtbot, lambda *a: enrolled.append(a), [])
    page.tabs.setCurrentWidget(page.setup_tab)
    page.server_edit.setText("https://store.example.invalid")
    page.enrol_button.click()
    assert enrolled == []
    assert page.message.text() == ("Enter a name for this laptop and the enrolment code to "
                                   "enrol this laptop.")
    qtbot.waitUntil(page.device_edit.hasFocus, timeout=2000)


def test_each_tab_of_the_sync_screen_gives_each_alt_letter_once(qtbot) -> None:
    """(The CA bundle's Alt+A was also the store address's.)"""
    page = _page(qtbot, lambda *_a: None, [])
    for index in range(page.tabs.count()):
        page.tabs.setCurrentIndex(index)
        letters = mnemonics(page)
        assert sorted(letters) == sorted(set(letters)), (page.tabs.tabText(index), letters)
