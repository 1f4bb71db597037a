"""The Sync screen and the status bar against the real store: a nurse enrols the laptop
with a one-time code, it syncs, a change waits until the next sync, and closing the app
with changes unsent asks first."""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from desktop_app.services import people
from tests.support import person_values
from tests.sync.laptops import issue_code
from tests.ui.test_app_roles import _signed_in
from tests.ui.test_sign_in import cheap_kdf  # noqa: F401 (a fixture)
from tools.throwaway_store import StoreProcess


def test_enrol_sync_and_warn_before_closing_with_changes_unsent(
        qtbot, app_home: Path, cheap_kdf, store: StoreProcess,  # noqa: F811
        store_sessions: sessionmaker[Session], team: str) -> None:
    controller = _signed_in(qtbot, "nurse")
    try:
        window, dialogs = controller.window, controller.dialogs
        qtbot.waitUntil(lambda: window.sync_label.text() == "Sync: not set up", timeout=10000)
        page = window.screen("sync")
        page.server_edit.setText(store.base_url)
        page.device_edit.setText("City North laptop 4")
        page.code_edit.setText(issue_code(store_sessions, team))
        page.enrol()
        qtbot.waitUntil(lambda: window.sync_label.text().startswith("Synced"), timeout=30000)
        assert "Enrolled as City North laptop 4" in page.enrolment_label.text()

        uow = controller.session.uow
        controller.executor.call(people.create_person, uow,
                                 people.PersonInput(**person_values(serial=31)))
        controller.sync_controller.refresh_status()
        qtbot.waitUntil(lambda: "1 change waiting" in window.sync_label.text(), timeout=10000)

        dialogs.answers = [False]  # "Close anyway?" - no
        assert not window.close()
        assert window.isVisible() and dialogs.shown[-1][1] == "Changes not sent yet"

        page.sync_button.click()
        qtbot.waitUntil(lambda: window.sync_label.text() == "Synced just now", timeout=30000)
        assert "Sent 1" in page.message.text()
        assert window.close()  # nothing waiting: no question
    finally:
        controller.shutdown()
