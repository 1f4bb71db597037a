"""Sign-in and lock: from start-up to the main window, and back on Lock.

First-run setup (the first account is the team lead's, with the recovery code shown once),
signing in with the passphrase or the recovery code, the idle lock and the lock screen
(whose session, since when), and unlocking again: the same user gets the same screens
with what they had typed. Signing in as someone else over a locked session is a separate
step: the locked user's screens are put away (parked), hidden and kept exactly as they
were, typing included, until that user signs in again (an open wizard is not kept: its
draft, saved at the lock, stays theirs and resumes from Delegations); the new user gets
their own windows (the composition root fills them, on ``window_opened``), or their own
parked ones back. Each user's screens reach the vault only through their own session
(``session_for``), so parked screens can do nothing under someone else's name; a window
of a locked or parked user that opens later (work finishing after the lock) is kept off
the screen too. "Sign-ins…" in the main window adds a colleague's sign-in. After each
unlock the audit trail is checked on the database thread a slice at a time, after the
main window's own work, so care goes on meanwhile; a change made outside the app is told
once (``VaultSession.check_audit``).

This module is loaded before the sign-in dialog paints, so it imports Qt and the light
parts of the services only. The vault's names (``desktop_app.services.vault``) load
lazily, when first used; the models and the caseload search are imported inside the
functions that run on the database thread (marked below).
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import TYPE_CHECKING

import shiboken6
from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QMessageBox, QWidget

from desktop_app.services import vault
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.paths import AppPaths
from desktop_app.services.core.settings import Settings, save_settings
from desktop_app.services.vault.users import sign_in_users
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.idle import IdleWatcher
from desktop_app.ui.laptop_users import LaptopUsersDialog
from desktop_app.ui.lock_screen import LockScreen
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sign_in import FirstRunDialog, RecoveryCodeDialog, SignInDialog
from desktop_app.ui.tasks import TaskRunner

if TYPE_CHECKING:  # for the types only: at run time they would load SQLAlchemy
    from desktop_app.services.vault import CreatedVault, SignedInUser, VaultSession
    from desktop_app.services.vault.witness import AuditReport

log = logging.getLogger(__name__)

DEMO_PASSPHRASE = "demo passphrase 999"
DEMO_USER = "Demo Nurse"
WARM_IMPORTS_AFTER_MS = 400


@dataclass
class ParkedScreens:
    """A signed-out user's main window and the windows hidden with it at the lock."""

    window: MainWindow
    hidden: list[QWidget] = field(default_factory=list)


class SessionController(QObject):
    """Walks the user from start-up to the main window and back on Lock."""

    # A user signed in: their new main window (not yet shown) and how many people are on
    # the caseload; the composition root adds the feature screens to it.
    window_opened = Signal(object, int)
    locking = Signal()  # the vault is about to close: stop background work, save drafts
    resumed = Signal()  # the same user unlocked again: their screens are coming back
    # Another user signed in over the lock: this (locked) user's window is put away with
    # its features, until they sign in again (``window_unparked``, then ``resumed``).
    window_parked = Signal(object)
    window_unparked = Signal(object)

    def __init__(self, qt_app: QApplication, paths: AppPaths, settings: Settings,
                 runner: TaskRunner, idle: IdleWatcher,
                 on_unhandled: Callable[[BaseException], None], demo: bool = False,
                 dialogs: Dialogs | None = None) -> None:
        super().__init__()
        self.qt_app, self.paths, self.settings = qt_app, paths, settings
        self.runner, self.idle, self.on_unhandled, self.demo = runner, idle, on_unhandled, demo
        self.dialogs = dialogs or Dialogs()
        self.session: VaultSession | None = None
        self.window: MainWindow | None = None
        self.dialog: QDialog | None = None
        self._hidden_windows: list[QWidget] = []
        self.locked: SignedInUser | None = None  # whose session the lock screen shows
        self.locked_at: dt.datetime | None = None
        self.parked: dict[str, ParkedScreens] = {}  # by user id
        self._users_dialog: LaptopUsersDialog | None = None
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.timeout.connect(self._on_warm_timer_timeout)
        idle.idle_timed_out.connect(self.lock)
        idle.window_shown.connect(self._on_idle_window_shown)

    def session_for(self, user_id: str) -> VaultSession | None:
        """The open session if it is ``user_id``'s; None while locked or while someone else
        is signed in (a parked user's screens then reach nothing)."""
        session = self.session
        return session if session is not None and session.user.user_id == user_id else None

    def start(self) -> None:
        """Show first-run setup or the sign-in dialog (the demo's vault is made first)."""
        if self.demo:
            folder = self.paths.vault_dir
            self.runner.run(lambda: _prepare_demo(folder), lambda _: self.start_sign_in())
            return
        if not (self.paths.vault_dir / "vault.key").exists():
            first_run = FirstRunDialog()
            first_run.setup_requested.connect(self._on_dialog_setup_requested)
            first_run.rejected.connect(self.qt_app.quit)
            self._show_dialog(first_run)
            return
        self.start_sign_in()

    def start_sign_in(self) -> None:
        """Show the sign-in dialog for the vault's users."""
        users = sign_in_users(self.paths.vault_dir / "vault.key")
        last = self.settings.last_user_id
        if not last and self.demo:  # the demo's nurse, though the team lead's account is first
            last = next((user_id for user_id, name in users if name == DEMO_USER), "")
        sign_in = SignInDialog(users, last)
        sign_in.sign_in_requested.connect(self._on_dialog_sign_in_requested)
        sign_in.recovery_requested.connect(self._on_dialog_recovery_requested)
        sign_in.rejected.connect(self.qt_app.quit)
        self._show_dialog(sign_in)
        if self.demo:
            print(f"Demo vault: sign in as {DEMO_USER!r} (or 'Demo Team Lead', who also sees "
                  f"Reports) with passphrase {DEMO_PASSPHRASE!r}")
        # While the person types (after the dialog has painted): load the heavy libraries on
        # the database thread; started at once, the import would hold up the first paint.
        self._warm_timer.start(WARM_IMPORTS_AFTER_MS)

    def stop(self) -> None:
        """The app is closing: no more warming up (the vault is closed by the caller)."""
        self._warm_timer.stop()

    def lock(self) -> None:
        """Lock: hide every window (patient data off screen), save drafts, close the vault
        (its key is wiped), then show the lock screen."""
        session = self.session
        if session is None:
            return
        self.idle.stop()
        self.locking.emit()  # an open wizard's draft is queued before the close
        shown = [w for w in self.qt_app.topLevelWidgets() if w.isVisible()]
        for widget in shown:
            widget.hide()
        self._hidden_windows = [w for w in shown if _comes_back(w)]
        self.locked, self.locked_at = session.user, dt.datetime.now()
        self.session = None

        def closed_anyway(error: BaseException) -> None:
            self.show_lock_screen()
            self.on_unhandled(error)

        self.runner.run(session.close, lambda _: self.show_lock_screen(), closed_anyway)

    def show_lock_screen(self) -> None:
        """Whose session is locked and since when; unlock, or sign in as someone else."""
        locked = self.locked
        if locked is None or self.locked_at is None:
            return
        others = self._other_users(locked.user_id)
        screen = LockScreen(locked.user_id, locked.display_name, str(locked.role),
                            self.locked_at, bool(others))
        screen.sign_in_requested.connect(self._on_dialog_sign_in_requested)
        screen.recovery_requested.connect(self._on_dialog_recovery_requested)
        screen.switch_requested.connect(self._on_lock_screen_switch_requested)
        self._show_dialog(screen)

    def _other_users(self, user_id: str) -> list[tuple[str, str]]:
        return [(uid, name) for uid, name in sign_in_users(self.paths.vault_dir / "vault.key")
                if uid != user_id]

    def _on_lock_screen_switch_requested(self) -> None:
        """The ordinary sign-in for the other users; Back (or Escape) returns to the lock."""
        locked = self.locked
        if locked is None:
            return
        intro = self.tr(
            "{name}'s session stays locked. Signing in here signs {name} out: {name}'s "
            "screens stay hidden, kept as they were, until {name} signs in again.").format(
            name=locked.display_name)
        sign_in = SignInDialog(self._other_users(locked.user_id), intro=intro,
                               cancel_text=self.tr("&Back to the lock screen"))
        sign_in.sign_in_requested.connect(self._on_dialog_sign_in_requested)
        sign_in.recovery_requested.connect(self._on_dialog_recovery_requested)
        sign_in.rejected.connect(self.show_lock_screen)
        self._show_dialog(sign_in)
        if sign_in.user_combo.count() > 1:  # first choose who is signing in
            sign_in.user_combo.setFocus()

    def _show_dialog(self, dialog: FirstRunDialog | SignInDialog) -> None:
        if self.dialog is not None and self.dialog is not dialog:
            self.dialog.hide()
            self.dialog.deleteLater()
        self.dialog = dialog
        dialog.show()
        dialog.activateWindow()
        if isinstance(dialog, SignInDialog):
            dialog.pass_edit.setFocus()

    def _on_warm_timer_timeout(self) -> None:
        self.runner.run(_warm_imports, lambda _: None)

    def _on_dialog_setup_requested(self, name: str, passphrase: str) -> None:
        folder = self.paths.vault_dir
        self.runner.run(lambda: _create_vault(folder, name, passphrase),
                        self._on_vault_created, self._on_vault_failed)

    def _on_vault_created(self, created: CreatedVault) -> None:
        if self.dialog is not None:
            self.dialog.hide()
        code = RecoveryCodeDialog(created.recovery_code)
        code.accepted.connect(lambda: self._on_unlocked(created.session))
        code.rejected.connect(lambda: self._on_unlocked(created.session))
        self.dialog = code
        code.open()

    def _on_dialog_sign_in_requested(self, user_id: str, passphrase: str) -> None:
        folder = self.paths.vault_dir
        self.runner.run(lambda: vault.VaultStore(folder).unlock(user_id, passphrase),
                        self._on_unlocked, self._on_vault_failed)

    def _on_dialog_recovery_requested(self, user_id: str, code: str, new_pass: str) -> None:
        folder = self.paths.vault_dir
        self.runner.run(
            lambda: vault.VaultStore(folder).unlock_with_recovery(user_id, code, new_pass),
            self._on_unlocked, self._on_vault_failed)

    def _on_vault_failed(self, error: BaseException) -> None:
        if isinstance(error, ExpectedError):
            message = error.message
        else:
            message = self.tr("Something went wrong; it has been logged.")
        if isinstance(self.dialog, FirstRunDialog | SignInDialog):
            self.dialog.show_error(message)
        if not isinstance(error, ExpectedError):
            self.on_unhandled(error)

    def _on_unlocked(self, session: VaultSession) -> None:
        self.session = session
        self.settings = replace(self.settings, last_user_id=session.user.user_id)
        save_settings(self.paths.config, self.settings)
        user_id = session.user.user_id
        locked, self.locked, self.locked_at = self.locked, None, None
        if self.window is not None and locked is not None and locked.user_id != user_id:
            self._park(locked.user_id)
        parked = self.parked.pop(user_id, None)
        if parked is not None:  # they were signed out by someone else: their screens back
            self.window, self._hidden_windows = parked.window, parked.hidden
            self.window_unparked.emit(parked.window)
        if self.window is not None:
            self._return_from_lock()
            self._check_audit(session)
            return
        self.runner.run(lambda: _count_people(session),
                        lambda people: self._show_main_window(session, people))
        self._check_audit(session)  # queued after: the main window comes first

    def _check_audit(self, session: VaultSession) -> None:
        """Check the audit trail a slice at a time on the database thread (anything the
        user asks for runs between slices); stop if the session is locked meanwhile (its
        next unlock checks again); tell what was found changed outside the app, once."""
        def done(report: AuditReport | None) -> None:
            if report is None:
                if self.session is session:
                    self.runner.run(session.check_audit, done, failed)
                return
            if report.message:
                self.dialogs.error(self.window, self.tr("Audit trail changed outside the app"),
                                   report.message)

        def failed(error: BaseException) -> None:
            if isinstance(error, ExpectedError):  # the key file could not be saved, say
                log.warning("the audit trail's check did not finish: %s", error.message)
            else:
                self.on_unhandled(error)

        self.runner.run(session.check_audit, done, failed)

    def _park(self, user_id: str) -> None:
        """Another user signs in over the lock: the locked user's screens are put away,
        hidden, exactly as they are (nothing typed is lost), until they sign in again; an
        open wizard is not kept (its draft, saved at the lock, is)."""
        window = self.window
        if window is None:
            return
        self.window_parked.emit(window)
        kept = [w for w in self._hidden_windows if not _in_a_wizard(w)]
        self.parked[user_id] = ParkedScreens(window, kept)
        self.window, self._hidden_windows = None, []

    def _return_from_lock(self) -> None:
        """The same user unlocked: the same screens come back with their unsaved input."""
        if self.dialog is not None:
            self.dialog.hide()
        self.resumed.emit()
        for widget in self._hidden_windows:
            if shiboken6.isValid(widget):
                if widget.windowOpacity() < 1.0:  # kept off the screen while away
                    widget.setWindowOpacity(1.0)
                widget.show()
        self._hidden_windows = []
        if self.window is not None:
            self.window.activateWindow()
        self.idle.start()

    def _show_main_window(self, session: VaultSession, people: int) -> None:
        if self.dialog is not None:
            self.dialog.hide()
        window = MainWindow(session.user, self.demo)
        window.lock_requested.connect(self.lock)
        window.closed.connect(self.qt_app.quit)
        window.users_requested.connect(lambda: self._open_users(window))
        self.window = window
        self.window_opened.emit(window, people)
        # After the features (which may ask about changes not yet sent): a parked user's
        # unsaved typing is named before the app closes.
        asked_by_features = window.confirm_close
        window.confirm_close = lambda: self._may_close(window) and (
            asked_by_features is None or asked_by_features())
        window.users_button.setVisible(bool(_roles_to_give(str(session.user.role))))
        window.show()
        window.activateWindow()
        self.idle.start()

    def _may_close(self, window: MainWindow) -> bool:
        names = [parked.window.user.display_name for parked in self.parked.values()]
        if not names:
            return True
        return self.dialogs.ask(window, self.tr("Others' screens are put away"), self.tr(
            "These people were signed out while their screens were open: {names}. Their "
            "screens are kept, hidden, with anything typed and not yet saved, until they "
            "sign in again. Closing the app closes them too, and that typing is lost. "
            "Close anyway?").format(names=", ".join(names)))

    def _on_idle_window_shown(self, widget: QWidget) -> None:
        """A window of a locked or parked user about to show (work that finished after the
        lock opened it): it stays off the screen, kept with that user's hidden windows."""
        kept = self._kept_for(widget)
        if kept is None:
            return
        # Transparent (where the platform has window opacity, as Windows does) and hidden as
        # soon as Qt has finished showing it: a dialog waiting in exec() must be running its
        # loop to end (a message box's question is then answered "no", not shown again).
        widget.setWindowOpacity(0.0)
        if _comes_back(widget) and widget not in kept:
            kept.append(widget)
        QTimer.singleShot(0, self._hide_windows_of_others)

    def _kept_for(self, widget: QWidget) -> list[QWidget] | None:
        """The hidden windows of the locked or parked user ``widget`` belongs to; None for
        the signed-in user's windows and for the sign-in and lock screens."""
        owner = widget.parentWidget()
        while owner is not None and not isinstance(owner, MainWindow):
            owner = owner.parentWidget()
        if owner is None or (owner is self.window and self.session is not None):
            return None
        if owner is self.window:
            return self._hidden_windows
        return next((p.hidden for p in self.parked.values() if p.window is owner), None)

    def _hide_windows_of_others(self) -> None:
        # Looked up again, not held: a message box made by Qt is gone once answered.
        for widget in self.qt_app.topLevelWidgets():
            if widget.isVisible() and self._kept_for(widget) is not None:
                widget.hide()

    # ------------------------------------------------------------ sign-ins on this laptop

    def _open_users(self, window: MainWindow) -> None:
        """The laptop's sign-ins, and adding a colleague's (the roles the user may give)."""
        session = self.session_for(window.user.user_id)
        if session is None:
            return
        role = str(session.user.role)
        dialog = LaptopUsersDialog(role, _roles_to_give(role), window)

        def failed(error: BaseException) -> None:
            if isinstance(error, ExpectedError):
                dialog.show_error(error.message)
            else:
                dialog.show_error(self.tr("Something went wrong; it has been logged."))
                self.on_unhandled(error)

        def add(name: str, given: str, passphrase: str) -> None:
            def done(users: list[tuple[str, str]]) -> None:
                dialog.show_users(users)
                dialog.added(name)

            self.runner.run(lambda: _add_user(session, name, given, passphrase), done, failed)

        dialog.add_requested.connect(add)
        self._users_dialog = dialog
        self.runner.run(lambda: _users(session), dialog.show_users, failed)
        dialog.open()


def _in_a_wizard(window: QWidget) -> bool:
    """The delegation wizard, or a form over it. When its user is signed out it is not kept:
    its draft, saved at the lock, stays theirs and is resumed from Delegations, so no stale
    copy can later be saved over the draft by someone else's changes."""
    widget: QWidget | None = window
    while widget is not None:
        if callable(getattr(widget, "save_draft_now", None)):
            return True
        widget = widget.parentWidget()
    return False


def _comes_back(window: QWidget) -> bool:
    """Whether a window hidden by the lock is shown again at the unlock: every window the
    app made, but not a message box (hiding it answered it: "no", or OK) nor a dialog Qt
    made itself (a file chooser), which is gone once it returns."""
    return shiboken6.createdByPython(window) and not isinstance(window, QMessageBox)


# The functions below run on the database thread, where the heavy libraries may load; their
# imports are kept inside them so that importing this module loads none of it.


def _warm_imports() -> None:
    """Import what unlocking needs (SQLAlchemy, the models, Argon2, cryptography)."""
    import desktop_app.models  # noqa: F401
    import desktop_app.services.vault.vault  # noqa: F401


def _prepare_demo(folder: Path) -> None:
    from desktop_app.services.demo import ensure_demo_vault  # the whole app's services
    ensure_demo_vault(vault.VaultStore(folder), DEMO_USER, DEMO_PASSPHRASE)


def _create_vault(folder: Path, name: str, passphrase: str) -> CreatedVault:
    """A new vault with its first account: the team lead's (the service's rule)."""
    from desktop_app.services.core.roles import FIRST_ACCOUNT_ROLE  # the models: SQLAlchemy
    return vault.VaultStore(folder).create(name, FIRST_ACCOUNT_ROLE, passphrase)


def _roles_to_give(role: str) -> list[str]:
    """The roles a user of ``role`` may give a colleague (after sign-in: the models are
    loaded by then)."""
    from desktop_app.services.core.roles import roles_to_give
    return [str(given) for given in roles_to_give(role)]


def _users(session: VaultSession) -> list[tuple[str, str]]:
    return [(user.display_name, str(user.role)) for user in session.users()]


def _add_user(session: VaultSession, name: str, role: str,
              passphrase: str) -> list[tuple[str, str]]:
    from desktop_app.models.user import Role
    session.add_user(name, Role(role), passphrase)
    return _users(session)


def _count_people(session: VaultSession) -> int:
    from desktop_app.services.people.caseload import CaseloadQuery, search  # SQLAlchemy
    return search(session.uow, CaseloadQuery(limit=1)).total
