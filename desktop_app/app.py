"""Composition root: paths, settings, logging, the vault, the database thread, the windows.

Only Qt and the sign-in dialog load before the first paint; the heavy libraries
(SQLAlchemy, cryptography, Argon2) load when the first vault call runs.
"""

from __future__ import annotations

import argparse
import logging
import os
import sys
from functools import partial
from pathlib import Path
from typing import Any

from desktop_app import __version__

log = logging.getLogger(__name__)
DEMO_PASSPHRASE = "demo passphrase 999"
DEMO_USER = "Demo Nurse"
WARM_IMPORTS_AFTER_MS = 400


def parse_args(argv: list[str]) -> argparse.Namespace:
    """Command-line options."""
    parser = argparse.ArgumentParser(prog="shared-care-planner",
                                     description="Shared Care Planner (LLR)")
    parser.add_argument("--demo", action="store_true",
                        help="use a separate demo vault with a synthetic caseload")
    parser.add_argument("--version", action="store_true",
                        help="print the version and exit")
    parser.add_argument("--self-test", action="store_true",
                        help="check this installation in a throwaway vault (synthetic data, "
                             "nothing of yours is touched) and exit 0 if it works")
    return parser.parse_args(argv)


def _offscreen_without_display() -> None:
    """A Linux machine with no display (a server, CI, an SSH session) gets Qt's offscreen
    platform for the self-test; elsewhere the real platform plugin is checked."""
    no_display = not (os.environ.get("DISPLAY") or os.environ.get("WAYLAND_DISPLAY"))
    if sys.platform.startswith("linux") and no_display:
        os.environ["QT_QPA_PLATFORM"] = "offscreen"


class AppController:
    """Walks the user from start-up to the main window and back on Lock."""

    def __init__(self, app: Any, demo: bool) -> None:
        from desktop_app.services.core import paths
        from desktop_app.services.core.crash import install_excepthook
        from desktop_app.services.core.db_executor import DatabaseExecutor
        from desktop_app.services.core.logging_setup import configure_logging
        from desktop_app.services.core.settings import load_settings
        from desktop_app.ui.dialogs import Dialogs
        from desktop_app.ui.tasks import TaskRunner

        self.app = app
        self.demo = demo
        self.paths = (paths.demo_paths() if demo else paths.resolve_paths()).ensure()
        configure_logging(self.paths.logs)
        self.dialogs = Dialogs()
        install_excepthook(self.paths.logs, self._on_crash)
        self.settings = load_settings(self.paths.config)
        self.executor = DatabaseExecutor()
        self.runner = TaskRunner(self.executor, self._on_unhandled)
        self.session: Any = None
        self.window: Any = None
        self.dialog: Any = None
        self.wizards: Any = None
        self._hidden_windows: list[Any] = []
        self.sync_controller: Any = None
        self._locked_user = ""
        self._warm_timer: Any = None
        from desktop_app.ui.idle import IdleWatcher
        self.idle = IdleWatcher(app, self.settings.idle_lock_minutes)
        self.idle.idle_timed_out.connect(self._on_window_lock_requested)

    def _store(self) -> Any:
        from desktop_app.services.vault import VaultStore
        return VaultStore(self.paths.vault_dir)

    def start(self) -> None:
        """Show first-run setup or the sign-in dialog."""
        from desktop_app.ui.sign_in import FirstRunDialog
        if self.demo:
            self.runner.run(self._prepare_demo, lambda _: self.start_sign_in())
            return
        if not (self.paths.vault_dir / "vault.key").exists():
            self.dialog = FirstRunDialog()
            self.dialog.setup_requested.connect(self._on_dialog_setup_requested)
            self.dialog.rejected.connect(self.app.quit)
            self.dialog.show()
            self.dialog.activateWindow()
            return
        self.start_sign_in()

    def start_sign_in(self) -> None:
        """Show the sign-in dialog for the vault's users."""
        from desktop_app.services.vault.users import sign_in_users
        from desktop_app.ui.sign_in import SignInDialog
        users = sign_in_users(self.paths.vault_dir / "vault.key")
        self.dialog = SignInDialog(users, self.settings.last_user_id)
        self.dialog.sign_in_requested.connect(self._on_dialog_sign_in_requested)
        self.dialog.recovery_requested.connect(self._on_dialog_recovery_requested)
        self.dialog.rejected.connect(self.app.quit)
        self.dialog.show()
        self.dialog.activateWindow()
        if self.demo:
            print(f"Demo vault: sign in as {DEMO_USER!r} (or 'Demo Team Lead', who also sees "
                  f"Reports) with passphrase {DEMO_PASSPHRASE!r}")
        # While the person types (after the dialog has painted): load the heavy libraries on
        # the database thread; started at once, the import would hold up the first paint.
        from PySide6.QtCore import QTimer
        self._warm_timer = QTimer()
        self._warm_timer.setSingleShot(True)
        self._warm_timer.timeout.connect(lambda: self.runner.run(_warm_imports, lambda _: None))
        self._warm_timer.start(WARM_IMPORTS_AFTER_MS)

    def _prepare_demo(self) -> None:
        from desktop_app.services.demo import ensure_demo_vault
        ensure_demo_vault(self._store(), DEMO_USER, DEMO_PASSPHRASE)

    def _on_dialog_setup_requested(self, name: str, role: Any, passphrase: str) -> None:
        store = self._store()
        self.runner.run(lambda: store.create(name, role, passphrase),
                        self._on_vault_created, self._on_vault_failed)

    def _on_vault_created(self, created: Any) -> None:
        from desktop_app.ui.sign_in import RecoveryCodeDialog
        self.dialog.hide()
        self.dialog = RecoveryCodeDialog(created.recovery_code)
        self.dialog.accepted.connect(lambda: self._on_unlocked(created.session))
        self.dialog.rejected.connect(lambda: self._on_unlocked(created.session))
        self.dialog.open()

    def _on_dialog_sign_in_requested(self, user_id: str, passphrase: str) -> None:
        store = self._store()
        self.runner.run(lambda: store.unlock(user_id, passphrase),
                        self._on_unlocked, self._on_vault_failed)

    def _on_dialog_recovery_requested(self, user_id: str, code: str, new_pass: str) -> None:
        store = self._store()
        self.runner.run(lambda: store.unlock_with_recovery(user_id, code, new_pass),
                        self._on_unlocked, self._on_vault_failed)

    def _on_vault_failed(self, error: BaseException) -> None:
        from desktop_app.services.core.errors import ExpectedError
        if isinstance(error, ExpectedError):
            self.dialog.show_error(error.message)
        else:
            self.dialog.show_error(self.app.tr("Something went wrong; it has been logged."))
            self._on_unhandled(error)

    def _on_unlocked(self, session: Any) -> None:
        from dataclasses import replace

        from desktop_app.services.core.settings import save_settings
        self.session = session
        self.settings = replace(self.settings, last_user_id=session.user.user_id)
        save_settings(self.paths.config, self.settings)
        if self.window is not None and self._locked_user == session.user.user_id:
            self._return_from_lock()
            return
        self._discard_windows()
        self.runner.run(lambda: _count_people(session), self._show_main_window)

    def _return_from_lock(self) -> None:
        """The same user unlocked: the same screens come back with their unsaved input."""
        if self.dialog is not None:
            self.dialog.hide()
        self.wizards.session = self.session
        for widget in self._hidden_windows:
            widget.show()
        self._hidden_windows = []
        self.window.activateWindow()
        self.idle.start()
        if self.sync_controller is not None:
            self.sync_controller.start()

    def _discard_windows(self) -> None:
        """Another user signed in: the previous user's screens are closed."""
        if self.sync_controller is not None:
            self.sync_controller.stop()
            self.sync_controller = None
        for widget in [*self._hidden_windows, self.window]:
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self._hidden_windows, self.window = [], None

    def _show_main_window(self, people: int) -> None:
        from desktop_app.ui.main_window import MainWindow
        if self.dialog is not None:
            self.dialog.hide()
        self.window = MainWindow(self.session.user, self.demo)
        self.window.lock_requested.connect(self._on_window_lock_requested)
        self.window.closed.connect(self.app.quit)
        self.wizards = self._wizard_controller()
        self._add_screens(people)
        self.wizards.offer_resume()
        self.window.show()
        self.window.activateWindow()
        self.idle.start()

    def _add_screens(self, people: int) -> None:
        """Compose the feature screens into the main window."""

        from desktop_app.services.core.roles import Permission
        from desktop_app.ui.main_window import StartDelegationPanel
        from desktop_app.ui.person_record import PersonRecordWidget
        tr = self.app.tr
        start = StartDelegationPanel(people, self._can(Permission.DELEGATE),
                                     self._can(Permission.PRINT_BATCH))
        start.batch_requested.connect(self._on_start_batch_requested)
        start.delegation_requested.connect(self._on_window_delegation_requested)
        start.resume_requested.connect(self.wizards.start)
        start.discard_requested.connect(self._on_start_discard_requested)
        self.start_screen = start
        self.wizards.draft_saved.connect(lambda _case: self._refresh_drafts())
        self._refresh_drafts()
        self.person_screen = PersonRecordWidget(
            self._save_person if self._can(Permission.EDIT_PEOPLE) else None,
            self._contacts_panel(), self._can(Permission.DELEGATE))
        self.person_screen.start_delegation_requested.connect(self.wizards.start)
        self.person_screen.plans.plan_requested.connect(self._on_plans_plan_requested)
        self._add_caseload()
        self.window.add_screen("delegations", tr("Delegations"), start)
        self.window.add_screen("person", tr("Person record"), self.person_screen)
        self._add_registers()
        if self._can(Permission.VIEW_REPORTS):
            self._add_reports()
        self._add_sync()

    def _add_reports(self) -> None:
        """The Reports screen, for team leads and governance."""
        import datetime as dt

        from desktop_app.services import reports
        from desktop_app.services.pdf.meeting_pack import render_meeting_pack
        from desktop_app.services.pdf.report import render_report_pdf
        from desktop_app.ui.reports import ReportsWidget
        uow = self._uow

        def pack(team: Any) -> Any:
            loaded = reports.load_meeting_pack(uow(), dt.date.today(), team)
            return render_meeting_pack(loaded), loaded

        def show(data: bytes, title: str, suggested: str, subject: Any) -> None:
            record = (reports.record_report_output if isinstance(subject, reports.Report)
                      else reports.record_meeting_pack_output)
            self._preview(data, title, suggested, subject,
                          lambda u, how: record(u, subject, how))

        screen = ReportsWidget(
            [(spec.kind, spec.title) for spec in reports.REPORTS], self._run,
            lambda kind, query: reports.run_report(uow(), kind, query),
            lambda: reports.report_teams(uow()), render_report_pdf, pack, show,
            lambda report, how: self._run(
                lambda: reports.record_report_output(uow(), report, how), lambda _: None))
        self.window.add_screen("reports", self.app.tr("Reports"), screen)

    def _add_sync(self) -> None:
        """The Sync screen, the status bar's sync state, and when to sync."""
        from desktop_app.services import sync
        from desktop_app.services.core.roles import Permission
        from desktop_app.ui.sync_controller import SyncController
        from desktop_app.ui.sync_page import SyncActions, SyncPage
        uow, on_db_thread = self._uow, self.executor.call
        writer = self._can(Permission.EDIT_PEOPLE)
        actions = SyncActions(
            self._run, lambda: sync.sync_settings(uow()),
            (lambda url, code, name, ca: sync.enrol(uow(), url, code, name, ca,
                                                    db=on_db_thread))
            if self._can(Permission.MANAGE_USERS) else None,
            lambda: sync.list_conflicts(uow()),
            (lambda conflict_id, keep: sync.resolve_conflict(uow(), conflict_id, keep))
            if writer else None,
            lambda: sync.list_quarantined(uow()),
            (lambda seq: sync.retry_quarantined(uow(), seq)) if writer else None,
            run_network=partial(self._run, background=True))
        controller = SyncController(
            lambda progress, cancelled: sync.run(uow(), progress, cancelled, db=on_db_thread),
            lambda: sync.sync_status(uow()), self._run, self.runner.run_in_background,
            self.app.tr, self.window, every_minutes=self.settings.sync_every_minutes)
        page = SyncPage(actions, controller.sync_now, controller.cancel)
        controller.status_changed.connect(self.window.sync_label.setText)
        controller.status_changed.connect(page.show_status)
        controller.run_started.connect(lambda: page.show_running(True))
        controller.run_progressed.connect(page.show_progress)
        controller.run_finished.connect(page.show_finished)
        self.window.add_screen("sync", self.app.tr("Sync"), page)
        self.window.confirm_close = self._confirm_close
        self.sync_controller, self.sync_page = controller, page
        page.refresh()
        controller.start()

    def _confirm_close(self) -> bool:
        """Closing with changes not yet sent: say they are safe, and ask."""
        status = self.sync_controller.last_status
        if status is None or not status.enrolled or not status.pending:
            return True
        return bool(self.dialogs.ask(self.window, self.app.tr("Changes not sent yet"), self.app.tr(
            "%d changes have not reached the central store yet. They are kept safely in the "
            "encrypted vault on this laptop and go at the next sync. Close anyway?")
            % status.pending))

    def _can(self, permission: Any) -> bool:
        """Whether the signed-in role may do this (screens hide what it cannot)."""
        from desktop_app.services.core.roles import allowed
        return allowed(str(self.session.user.role), permission)

    def _run(self, fn: Any, done: Any, failed: Any = None, *, background: bool = False) -> Any:
        """Run ``fn`` on the database thread (beside it with ``background``: ``fn`` then
        sends its database work there itself); an expected error goes to ``failed`` if
        given, else to the standard message; anything else is a bug for the crash handler."""
        from desktop_app.services.core.errors import ExpectedError

        def on_failed(error: BaseException) -> None:
            if failed is not None and isinstance(error, ExpectedError):
                failed(error)
            else:
                self._on_expected(error)

        submit = self.runner.run_in_background if background else self.runner.run
        return submit(fn, done, on_failed)

    def _contacts_panel(self) -> Any:
        from desktop_app.services.core.roles import Permission
        from desktop_app.services.people import contacts
        from desktop_app.services.people.record import load_record
        from desktop_app.ui.contacts import ContactsPanel

        def save(person_id: str, contact_id: str | None, data: Any, version: int) -> Any:
            if contact_id is None:
                contacts.add_contact(self._uow(), person_id, data)
            else:
                contacts.update_contact(self._uow(), contact_id, data, version)
            return load_record(self._uow(), person_id)

        def remove(person_id: str, contact_id: str) -> Any:
            contacts.remove_contact(self._uow(), contact_id)
            return load_record(self._uow(), person_id)

        can = self._can(Permission.EDIT_PEOPLE)
        return ContactsPanel(self._run, save if can else None, remove if can else None,
                             lambda text: self.dialogs.ask(
                                 self.window, self.app.tr("Remove contact"), text))

    def _on_plans_plan_requested(self, plan_id: str) -> None:
        from desktop_app.services.pdf.support_plan import render_support_plan
        from desktop_app.services.plans.document import load_plan_document
        name = self.session.user.display_name

        def build() -> Any:
            document = load_plan_document(self._uow(), plan_id, name, _now())
            return document, render_support_plan(document)

        def show(built: Any) -> None:
            document, data = built
            self._preview(data, self.app.tr("Support plan, version %d") % document.version_number,
                          f"support-plan-v{document.version_number}.pdf", document)

        self._run(build, show)

    def _on_start_batch_requested(self) -> None:
        """The team lead's batch: teams are read first, then the dialog opens."""
        from desktop_app.services.people.caseload import teams
        self._run(lambda: teams(self._uow()), self._open_batch)

    def _open_batch(self, team_names: Any) -> None:
        import datetime as dt

        from desktop_app.services.pdf.batch import render_batch
        from desktop_app.services.plans.batch import plans_for_batch
        from desktop_app.services.plans.document import load_plan_document, record_outputs
        from desktop_app.ui.plan_batch import PlanBatchDialog
        uow, name, on_db_thread = self._uow(), self.session.user.display_name, self.executor.call

        def build(ids: Any, progress: Any, cancelled: Any) -> Any:
            printed_at = _now()
            return render_batch(
                lambda plan_id: on_db_thread(load_plan_document, uow, plan_id, name, printed_at),
                ids, progress, cancelled)

        def printed(ids: Any, how: str) -> None:
            self._run(lambda: record_outputs(uow, [_PlanRef(i) for i in ids], how),
                      lambda _: None)

        dialog = PlanBatchDialog(
            list(team_names), lambda team, start, end: plans_for_batch(uow, team, start, end),
            build, self._run, self.runner.run_in_background, dt.date.today(), self.window,
            printed)
        self.batch_dialog = dialog
        dialog.open()

    def _on_escalations_form_requested(self, discussion_id: str) -> None:
        from desktop_app.services.pdf.shared_care_form import render_shared_care_form
        from desktop_app.services.plans.shared_care_form import load_shared_care_form
        name = self.session.user.display_name

        def build() -> Any:
            document = load_shared_care_form(self._uow(), discussion_id, name, _now())
            return document, render_shared_care_form(document)

        self._run(build, lambda built: self._preview(
            built[1], self.app.tr("Shared care form"), "shared-care-form.pdf", built[0]))

    def _preview(self, data: bytes, title: str, suggested: str, document: Any,
                 audit: Any = None) -> None:
        """Show a PDF to print or export; each print or export is audited (by default
        through ``record_output`` of the document; ``audit(uow, how)`` otherwise)."""
        from PySide6.QtCore import Qt

        from desktop_app.services.plans.document import record_output
        from desktop_app.ui.pdf_preview import PdfPreviewDialog
        record = audit or (lambda uow, how: record_output(uow, document, how))

        def printed(how: str) -> None:
            self._run(lambda: record(self._uow(), how), lambda _: None)

        dialog = PdfPreviewDialog(data, title, suggested, self.window, printed)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview = dialog
        dialog.open()

    def _refresh_drafts(self) -> None:
        from desktop_app.services import delegation
        self.runner.run(lambda: delegation.drafts(self._uow()), self.start_screen.show_drafts,
                        self._on_expected)

    def _on_start_discard_requested(self, case_id: str) -> None:
        from desktop_app.services import delegation
        if not self.dialogs.ask(self.window, self.app.tr("Discard delegation"), self.app.tr(
                "Discard this unfinished delegation? What was typed in it will be removed.")):
            return
        self.runner.run(lambda: delegation.discard_draft(self._uow(), case_id),
                        lambda _: self._refresh_drafts(), self._on_expected)

    def _uow(self) -> Any:
        """The signed-in session's unit of work, looked up when the work runs (a lock and
        unlock replaces the session). Work that was waiting when the app locked finds
        no session and is refused plainly; it never reaches a closed database."""
        from desktop_app.services.core.errors import VaultLocked
        if self.session is None:
            raise VaultLocked("The app was locked before this could be done. Sign in and "
                              "try again; nothing was changed.")
        return self.session.uow

    def _add_caseload(self) -> None:
        from desktop_app.services.people import caseload
        from desktop_app.ui.caseload import CaseloadWidget
        self.caseload_screen = CaseloadWidget(
            lambda fn, done: self.runner.run(fn, done, self._on_expected),
            lambda query: caseload.search(self._uow(), query),
            lambda: caseload.teams(self._uow()))
        self.caseload_screen.person_opened.connect(self._on_caseload_person_opened)
        self.window.add_screen("caseload", self.app.tr("Caseload"), self.caseload_screen)

    def _on_caseload_person_opened(self, person_id: str) -> None:
        from desktop_app.services.people.record import load_record

        def shown(record: Any) -> None:
            self.person_screen.show_record(record)
            self.window.show_screen("person")

        self.runner.run(lambda: load_record(self._uow(), person_id), shown, self._on_expected)

    def _add_registers(self) -> None:
        import datetime as dt

        from desktop_app.services import registers as reg
        from desktop_app.services.core.roles import Permission
        from desktop_app.ui import registers as screens
        tr, run, today = self.app.tr, self._run, dt.date.today

        def record(a: Any) -> Any:
            return reg.record_review(self._uow(), a.review_id, a.done_on, a.outcome, a.stable,
                                     a.competence_current, a.serious_incident, a.notes, today())

        def close(c: Any) -> Any:
            return reg.close_discussion(self._uow(), c.discussion_id, c.decision, c.themes,
                                        c.closed_on, c.make_case_example, today=today())

        def withdraw(sign_off_id: str, reason: str) -> Any:
            return reg.withdraw_sign_off(self._uow(), sign_off_id, reason)

        allowed = self._can
        self.window.add_screen("reviews", tr("Reviews due"), screens.ReviewsDueWidget(
            run, lambda: reg.reviews_due(self._uow(), today()),
            record if allowed(Permission.RECORD_REVIEW) else None, today,
            lambda: reg.look_again_due(self._uow(), today())))
        self.window.add_screen("competency", tr("Competency register"),
                               screens.CompetencyRegisterWidget(
            run, lambda: reg.competency_register(self._uow(), today()),
            withdraw if allowed(Permission.MANAGE_COMPETENCY) else None))
        escalations = screens.EscalationsWidget(
            run, lambda: reg.escalations(self._uow(), today()),
            close if allowed(Permission.CLOSE_DISCUSSION) else None,
            lambda: reg.changes_of_need_awaiting_mdt(self._uow(), today()),
            today, lambda: reg.funding_to_reconsider(self._uow(), today()),
            (lambda case_id: reg.record_funding_reconsidered(self._uow(), case_id, today(),
                                                             today()))
            if allowed(Permission.CLOSE_DISCUSSION) else None)
        escalations.form_requested.connect(self._on_escalations_form_requested)
        self.window.add_screen("escalations", tr("Escalations"), escalations)
        self.window.add_screen("examples", tr("Case examples"), screens.CaseExamplesWidget(
            run, lambda t, c, th: reg.case_examples(self._uow(), t, c, th),
            lambda: reg.case_example_themes(self._uow()), reg.task_categories()))

    def _save_person(self, person_id: str | None, data: Any, version: int) -> None:
        from desktop_app.services import people
        from desktop_app.services.people.record import load_record
        uow = self._uow()

        def save() -> Any:
            view = (people.create_person(uow, data) if person_id is None
                    else people.update_person(uow, person_id, data, version))
            return load_record(uow, view.id)

        def saved(record: Any) -> None:
            self.person_screen.show_record(record)
            self.caseload_screen.refresh()

        self.runner.run(save, saved, self._on_person_save_failed)

    def _on_person_save_failed(self, error: BaseException) -> None:
        from desktop_app.services.core.errors import ExpectedError, ValidationError
        if isinstance(error, ExpectedError):
            field = error.field if isinstance(error, ValidationError) else None
            self.person_screen.show_error(error.message, field)
        else:
            self._on_unhandled(error)

    def _wizard_controller(self) -> Any:
        from desktop_app.services.framework.catalogue import load_catalogue
        from desktop_app.services.framework.flow import load_flow
        from desktop_app.ui.wizard.controller import WizardController
        controller = WizardController(self.runner, self.session, load_flow(), load_catalogue(),
                                      self.dialogs, self.window)
        controller.decision_recorded.connect(self._on_wizards_decision_recorded)
        return controller

    def _on_window_delegation_requested(self, typed: str) -> None:
        from desktop_app.services.people import find_by_nhs_number
        self.runner.run(lambda: find_by_nhs_number(self._uow(), typed),
                        lambda person: self.wizards.start(person.id), self._on_expected)

    def _on_wizards_decision_recorded(self, decision: Any) -> None:
        self._refresh_drafts()
        plan = (self.app.tr(" Support plan version %d saved.") % decision.plan_version
                if decision.plan_version else "")
        self.dialogs.inform(self.window, self.app.tr("Delegation recorded"),
                            decision.title + "." + plan)

    def _on_expected(self, error: BaseException) -> None:
        from desktop_app.services.core.errors import ExpectedError
        if isinstance(error, ExpectedError):
            self.dialogs.error(self.window, self.app.tr("Shared Care Planner"), error.message)
        else:
            self._on_unhandled(error)

    def _on_window_lock_requested(self) -> None:
        """Lock: hide every window (patient data off screen), save drafts, close the vault."""
        if self.session is None:
            return
        self.idle.stop()
        if self.sync_controller is not None:
            self.sync_controller.stop()
        wizard = getattr(self.wizards, "wizard", None)
        if wizard is not None and wizard.isVisible():
            wizard.save_draft_now()  # queued on the database thread before the close
        self._hidden_windows = [w for w in self.app.topLevelWidgets() if w.isVisible()]
        for widget in self._hidden_windows:
            widget.hide()
        self._locked_user = self.session.user.user_id
        session, self.session = self.session, None
        self.wizards.session = None
        self.runner.run(session.close, lambda _: self.start_sign_in())

    def _on_unhandled(self, error: BaseException) -> None:
        sys.excepthook(type(error), error, error.__traceback__)

    def _on_crash(self, path: Path) -> None:
        self.dialogs.error(None, self.app.tr("Unexpected problem"), self.app.tr(
            "Something unexpected went wrong. It has been recorded for support as %s. "
            "What you typed has been kept.") % path.name)

    def shutdown(self) -> None:
        """Close the vault on the database thread and stop it."""
        self.idle.dispose()
        if self.sync_controller is not None:
            self.sync_controller.stop()
        self.runner.shutdown()
        if self._warm_timer is not None:
            self._warm_timer.stop()
        if self.session is not None:
            self.executor.call(self.session.close)
        self.executor.shutdown()


class _PlanRef:
    """Enough of a plan to audit its printing (``record_output`` needs only this)."""

    def __init__(self, plan_id: str) -> None:
        self.audit_entity = ("support_plan", plan_id)


def _now() -> Any:
    import datetime as dt
    return dt.datetime.now(dt.UTC)


def _warm_imports() -> None:
    """Import what unlocking needs (SQLAlchemy, the models, Argon2, cryptography)."""
    import desktop_app.models  # noqa: F401
    import desktop_app.services.vault.vault  # noqa: F401


def _count_people(session: Any) -> int:
    from desktop_app.services.people.caseload import CaseloadQuery, search
    return search(session.uow, CaseloadQuery(limit=1)).total


def main(argv: list[str] | None = None) -> int:
    """Start the app; returns the process exit code."""
    args = parse_args(sys.argv[1:] if argv is None else argv)
    # Both answer on the console before Qt or the database libraries load.
    if args.version:
        print(f"Shared Care Planner {__version__}")
        return 0
    if args.self_test:
        _offscreen_without_display()
        from desktop_app.self_test import run_self_test
        return run_self_test()
    from PySide6.QtWidgets import QApplication
    app = QApplication.instance() or QApplication(sys.argv[:1])
    app.setApplicationName("Shared Care Planner")
    app.setApplicationVersion(__version__)
    # Matches installer/linux/shared-care-planner.desktop: the desktop shows its icon.
    app.setDesktopFileName("shared-care-planner")
    # Windows hand over to each other (sign-in -> main -> lock -> sign-in) through the
    # database thread; the app quits only when the user closes or cancels.
    app.setQuitOnLastWindowClosed(False)
    controller = AppController(app, args.demo)
    controller.start()
    try:
        return int(app.exec())
    finally:
        controller.shutdown()
