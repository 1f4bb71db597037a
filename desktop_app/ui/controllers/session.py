"""Sign-in and lock: from start-up to the main window, and back on Lock.

First-run setup (with the recovery code shown once), signing in with the passphrase or the
recovery code, the idle lock, and unlocking again: the same user gets the same screens
with what they had typed; another user closes the previous user's windows and gets new
ones (the composition root fills them, on ``window_opened``).

This module is loaded before the sign-in dialog paints, so it imports Qt and the light
parts of the services only. The vault's names (``desktop_app.services.vault``) load
lazily, when first used; the models and the caseload search are imported inside the
functions that run on the database thread (marked below).
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal
from PySide6.QtWidgets import QApplication, QDialog, QWidget

from desktop_app.services import vault
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.paths import AppPaths
from desktop_app.services.core.settings import Settings, save_settings
from desktop_app.services.vault.users import sign_in_users
from desktop_app.ui.idle import IdleWatcher
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.sign_in import FirstRunDialog, RecoveryCodeDialog, SignInDialog
from desktop_app.ui.tasks import TaskRunner

if TYPE_CHECKING:  # for the types only: at run time they would load SQLAlchemy
    from desktop_app.services.vault import CreatedVault, VaultSession

DEMO_PASSPHRASE = "demo passphrase 999"
DEMO_USER = "Demo Nurse"
WARM_IMPORTS_AFTER_MS = 400


class SessionController(QObject):
    """Walks the user from start-up to the main window and back on Lock."""

    # A user signed in: their new main window (not yet shown) and how many people are on
    # the caseload; the composition root adds the feature screens to it.
    window_opened = Signal(object, int)
    locking = Signal()  # the vault is about to close: stop background work, save drafts
    resumed = Signal()  # the same user unlocked again: their screens are coming back
    window_closing = Signal()  # another user signed in: the previous user's screens go

    def __init__(self, qt_app: QApplication, paths: AppPaths, settings: Settings,
                 runner: TaskRunner, idle: IdleWatcher,
                 on_unhandled: Callable[[BaseException], None], demo: bool = False) -> None:
        super().__init__()
        self.qt_app, self.paths, self.settings = qt_app, paths, settings
        self.runner, self.idle, self.on_unhandled, self.demo = runner, idle, on_unhandled, demo
        self.session: VaultSession | None = None
        self.window: MainWindow | None = None
        self.dialog: QDialog | None = None
        self._hidden_windows: list[QWidget] = []
        self._locked_user = ""
        self._warm_timer = QTimer(self)
        self._warm_timer.setSingleShot(True)
        self._warm_timer.timeout.connect(self._on_warm_timer_timeout)
        idle.idle_timed_out.connect(self.lock)

    def start(self) -> None:
        """Show first-run setup or the sign-in dialog (the demo's vault is made first)."""
        if self.demo:
            folder = self.paths.vault_dir
            self.runner.run(lambda: _prepare_demo(folder), lambda _: self.start_sign_in())
            return
        if not (self.paths.vault_dir / "vault.key").exists():
            first_run = FirstRunDialog()
            first_run.setup_requested.connect(self._on_dialog_setup_requested)
            self._show_dialog(first_run)
            return
        self.start_sign_in()

    def start_sign_in(self) -> None:
        """Show the sign-in dialog for the vault's users."""
        users = sign_in_users(self.paths.vault_dir / "vault.key")
        sign_in = SignInDialog(users, self.settings.last_user_id)
        sign_in.sign_in_requested.connect(self._on_dialog_sign_in_requested)
        sign_in.recovery_requested.connect(self._on_dialog_recovery_requested)
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
        """Lock: hide every window (patient data off screen), save drafts, close the vault."""
        session = self.session
        if session is None:
            return
        self.idle.stop()
        self.locking.emit()  # an open wizard's draft is queued before the close
        self._hidden_windows = [w for w in self.qt_app.topLevelWidgets() if w.isVisible()]
        for widget in self._hidden_windows:
            widget.hide()
        self._locked_user = session.user.user_id
        self.session = None
        self.runner.run(session.close, lambda _: self.start_sign_in())

    def _show_dialog(self, dialog: FirstRunDialog | SignInDialog) -> None:
        self.dialog = dialog
        dialog.rejected.connect(self.qt_app.quit)
        dialog.show()
        dialog.activateWindow()

    def _on_warm_timer_timeout(self) -> None:
        self.runner.run(_warm_imports, lambda _: None)

    def _on_dialog_setup_requested(self, name: str, role: str, passphrase: str) -> None:
        folder = self.paths.vault_dir
        self.runner.run(lambda: _create_vault(folder, name, role, passphrase),
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
        if self.window is not None and self._locked_user == session.user.user_id:
            self._return_from_lock()
            return
        self._discard_windows()
        self.runner.run(lambda: _count_people(session),
                        lambda people: self._show_main_window(session, people))

    def _return_from_lock(self) -> None:
        """The same user unlocked: the same screens come back with their unsaved input."""
        if self.dialog is not None:
            self.dialog.hide()
        self.resumed.emit()
        for widget in self._hidden_windows:
            widget.show()
        self._hidden_windows = []
        if self.window is not None:
            self.window.activateWindow()
        self.idle.start()

    def _discard_windows(self) -> None:
        """Another user signed in: the previous user's screens are closed."""
        if self.window is not None:
            self.window_closing.emit()
        for widget in [*self._hidden_windows, self.window]:
            if widget is not None:
                widget.hide()
                widget.deleteLater()
        self._hidden_windows, self.window = [], None

    def _show_main_window(self, session: VaultSession, people: int) -> None:
        if self.dialog is not None:
            self.dialog.hide()
        window = MainWindow(session.user, self.demo)
        window.lock_requested.connect(self.lock)
        window.closed.connect(self.qt_app.quit)
        self.window = window
        self.window_opened.emit(window, people)
        window.show()
        window.activateWindow()
        self.idle.start()


# The functions below run on the database thread, where the heavy libraries may load; their
# imports are kept inside them so that importing this module loads none of it.


def _warm_imports() -> None:
    """Import what unlocking needs (SQLAlchemy, the models, Argon2, cryptography)."""
    import desktop_app.models  # noqa: F401
    import desktop_app.services.vault.vault  # noqa: F401


def _prepare_demo(folder: Path) -> None:
    from desktop_app.services.demo import ensure_demo_vault  # the whole app's services
    ensure_demo_vault(vault.VaultStore(folder), DEMO_USER, DEMO_PASSPHRASE)


def _create_vault(folder: Path, name: str, role: str, passphrase: str) -> CreatedVault:
    """A new vault with its first user (``role`` is the Role's value, as the dialog has it)."""
    from desktop_app.models.user import Role  # the models load SQLAlchemy
    return vault.VaultStore(folder).create(name, Role(role), passphrase)


def _count_people(session: VaultSession) -> int:
    from desktop_app.services.people.caseload import CaseloadQuery, search  # SQLAlchemy
    return search(session.uow, CaseloadQuery(limit=1)).total
