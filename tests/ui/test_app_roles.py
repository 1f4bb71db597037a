"""The composed app hides what the signed-in role cannot do, and Ctrl+F finds people.

The services refuse these actions whatever the screens show (tests/services/test_roles.py);
here the point is that a read-only governance user is not offered buttons that would only
be refused, while a team lead is offered every one.
"""

from __future__ import annotations

import shutil
import tempfile
from pathlib import Path

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QApplication

from desktop_app.app import App
from desktop_app.models.user import Role
from desktop_app.services.vault import VaultStore
from desktop_app.ui.controllers.features import Features
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sign_in import RecoveryCodeDialog
from tests.ui.test_sign_in import GOOD, cheap_kdf  # noqa: F401 (a fixture)


class SignedIn:
    """The app with a user signed in, and the parts the tests look at (the Sync screen's
    test, tests/ui/test_sync_screen.py, uses it too)."""

    def __init__(self, app: App) -> None:
        self.app, self.dialogs, self.executor = app, app.dialogs, app.executor

    @property
    def window(self) -> MainWindow:
        window = self.app.session_controller.window
        assert window is not None
        return window

    @property
    def session(self):
        return self.app.session_controller.session

    @property
    def features(self) -> Features:
        assert self.app.features is not None
        return self.app.features

    @property
    def sync_controller(self):
        return self.features.sync.controller

    def shutdown(self) -> None:
        self.app.shutdown()


LEAD = "Lee Lead"


_LAPTOPS: dict[str, Path] = {}
_LAPTOPS_FOLDER: list[tempfile.TemporaryDirectory[str]] = []


def _set_up_by_the_lead(vault_dir: Path, role: str) -> None:
    """The vault of a laptop its team lead ("Lee Lead") set up, adding Ann's sign-in."""
    lead = VaultStore(vault_dir).create(LEAD, Role.TEAM_LEAD, GOOD).session
    try:
        lead.add_user("Ann Example", Role(role), GOOD)
    finally:
        lead.close()


def _copy_of_a_laptop(vault_dir: Path, role: str) -> None:
    """``_set_up_by_the_lead`` done once a run for each role, then copied into the test's
    app home, as tests/conftest.py copies its template vault: making a vault runs every
    migration (~1 s a test). The copies share their device and user ids, so a laptop that
    enrols with the store is made afresh instead."""
    if role not in _LAPTOPS:
        if not _LAPTOPS_FOLDER:  # removed when the run ends
            _LAPTOPS_FOLDER.append(tempfile.TemporaryDirectory(prefix="scp-laptops-"))
        made = Path(_LAPTOPS_FOLDER[0].name) / role
        _set_up_by_the_lead(made, role)
        _LAPTOPS[role] = made
    assert not any(vault_dir.glob("*")), "a vault is here already"  # as create() refuses
    shutil.copytree(_LAPTOPS[role], vault_dir, dirs_exist_ok=True)  # the app made the folder


def _signed_in(qtbot, role: str, *, copied: bool = False) -> SignedIn:
    """"Ann Example" signed in with ``role``: a team lead through the first-run setup; any
    other role on a laptop its team lead ("Lee Lead") set up, adding Ann's sign-in (with
    ``copied``, a copy of one set up earlier in the run: see ``_copy_of_a_laptop``)."""
    app = App(QApplication.instance(), demo=False)
    app.dialogs.headless = True
    if role != Role.TEAM_LEAD.value:
        (_copy_of_a_laptop if copied else _set_up_by_the_lead)(app.paths.vault_dir, role)
    app.start()
    sessions = app.session_controller
    if role != Role.TEAM_LEAD.value:
        sign_in = sessions.dialog
        sign_in.user_combo.setCurrentIndex(sign_in.user_combo.findText("Ann Example"))
        sign_in.pass_edit.setText(GOOD)
        sign_in.buttons.accepted.emit()
    else:
        first = sessions.dialog
        first.name_edit.setText("Ann Example")
        first.pass_edit.setText(GOOD)
        first.confirm_edit.setText(GOOD)
        first.buttons.accepted.emit()
        qtbot.waitUntil(lambda: isinstance(sessions.dialog, RecoveryCodeDialog), timeout=10000)
        sessions.dialog.stored_check.setChecked(True)
        sessions.dialog.accept()
    qtbot.waitUntil(lambda: isinstance(sessions.window, MainWindow), timeout=10000)
    return SignedIn(app)


def _action_buttons(window: MainWindow) -> dict[str, bool]:
    """Whether each change-making button is offered (not hidden)."""
    person = window.screen("person")
    return {
        "start delegation": not window.screen("delegations").start_button.isHidden(),
        "print batch": not window.screen("delegations").batch_button.isHidden(),
        "save person": not person.save_button.isHidden(),
        "add contact": not person.contacts.add_button.isHidden(),
        "record review": not window.screen("reviews").record_button.isHidden(),
        "withdraw sign-off": not window.screen("competency").withdraw_button.isHidden(),
        "close discussion": not window.screen("escalations").close_button.isHidden(),
    }


@pytest.mark.hazard("H-026")
@pytest.mark.parametrize(("role", "offered"), [
    ("read_only", set()),
    ("team_lead", {"start delegation", "save person", "add contact", "record review",
                   "withdraw sign-off", "close discussion", "print batch"}),
    ("social_care_practitioner", {"start delegation", "save person", "add contact",
                                  "record review"}),
    ("nurse", {"start delegation", "save person", "add contact", "record review",
               "withdraw sign-off"}),
])
def test_screens_offer_only_what_the_role_may_do(qtbot, app_home: Path, cheap_kdf,  # noqa: F811
                                                 role: str, offered: set[str]) -> None:
    controller = _signed_in(qtbot, role, copied=True)
    try:
        buttons = _action_buttons(controller.window)
        assert {name for name, shown in buttons.items() if shown} == offered
        person = controller.window.screen("person")
        assert person.form.fields["given_name"].isReadOnly() == (role == "read_only")
        assert ("reports" in controller.window._keys) == (role in ("team_lead", "read_only"))
    finally:
        controller.shutdown()


def test_ctrl_f_in_the_screen_list_goes_to_the_caseload_search(
        qtbot, app_home: Path, cheap_kdf) -> None:  # noqa: F811
    controller = _signed_in(qtbot, "nurse", copied=True)
    try:
        window = controller.window
        window.show_screen("reviews")
        window.nav.setFocus()
        qtbot.waitUntil(window.nav.hasFocus, timeout=5000)
        qtbot.keyClick(window.nav, Qt.Key.Key_F, Qt.KeyboardModifier.ControlModifier)
        caseload = window.screen("caseload")
        assert window.stack.currentWidget() is caseload
        qtbot.waitUntil(caseload.search_edit.hasFocus, timeout=5000)
    finally:
        controller.shutdown()


@pytest.mark.hazard("H-038")
def test_a_plan_version_opens_as_the_printable_plan_and_printing_is_audited(
        qtbot, app_home: Path, cheap_kdf, tmp_path: Path) -> None:  # noqa: F811
    from sqlalchemy import select

    from desktop_app.models.audit import AuditEvent
    from desktop_app.services.people.record import load_record
    from desktop_app.ui.pdf_preview import PdfPreviewDialog
    from tools.sample_case import build_case

    controller = _signed_in(qtbot, "nurse", copied=True)
    try:
        uow, on_db_thread = controller.session.uow, controller.executor.call
        built = on_db_thread(build_case, uow)
        person = controller.window.screen("person")
        person.show_record(on_db_thread(load_record, uow, built.person_id))
        assert person.plans.table.rowCount() == 1
        plans = controller.features.plans
        person.plans.open_button.click()
        qtbot.waitUntil(lambda: isinstance(plans.preview, PdfPreviewDialog), timeout=10000)
        preview = plans.preview
        assert preview.document.pageCount() >= 2
        preview.choose_file = lambda: str(tmp_path / "plan.pdf")
        preview.export_now()
        assert (tmp_path / "plan.pdf").read_bytes()[:5] == b"%PDF-"

        def actions() -> list[str]:
            with uow.read() as s:
                return list(s.scalars(select(AuditEvent.action)))
        qtbot.waitUntil(lambda: "export" in on_db_thread(actions), timeout=10000)
    finally:
        controller.shutdown()


def test_a_team_lead_prints_this_weeks_plans_as_one_pdf(
        qtbot, app_home: Path, cheap_kdf) -> None:  # noqa: F811
    """End to end: the batch button, the plans made today found, rendered on worker
    processes and shown as one PDF."""
    from desktop_app.ui.pdf_preview import PdfPreviewDialog
    from desktop_app.ui.plan_batch import PlanBatchDialog
    from tools.sample_case import CaseSpec, build_case

    controller = _signed_in(qtbot, "team_lead")
    try:
        uow, on_db_thread = controller.session.uow, controller.executor.call
        for serial, family in ((21, "Example"), (22, "Sample")):
            on_db_thread(build_case, uow, CaseSpec(serial=serial, family_name=family))
        plans = controller.features.plans
        controller.window.screen("delegations").batch_button.click()
        qtbot.waitUntil(lambda: isinstance(plans.batch_dialog, PlanBatchDialog), timeout=10000)
        dialog = plans.batch_dialog
        dialog.find_plans()
        qtbot.waitUntil(lambda: dialog.plan_list.count() == 2, timeout=10000)
        dialog.make_pdf()
        qtbot.waitUntil(lambda: isinstance(dialog.preview, PdfPreviewDialog), timeout=60000)
        assert dialog.preview.document.pageCount() >= 4
        assert "2 plans ready" in dialog.message.text()
    finally:
        controller.shutdown()
