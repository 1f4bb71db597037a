"""What every feature controller needs, in one object, and what they have in common.

A feature controller is made when a user signs in, for that user's main window, and lives
as long as the window: a lock and unlock by the same user keeps it (``lock`` and
``resume``), another user signing in closes it (``close``) and makes new ones.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import TypeVar

from PySide6.QtCore import QCoreApplication, QObject
from PySide6.QtWidgets import QWidget

from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.core.errors import ExpectedError, VaultLocked
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.vault import SignedInUser, VaultSession
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.tasks import TaskRunner

T = TypeVar("T")


@dataclass(frozen=True)
class FeatureContext:
    """The signed-in user's window and the means to do work for it.

    ``current_session()`` is the session controller's session at the moment of asking:
    ``None`` while the app is locked (a lock and unlock replaces the session).
    """

    runner: TaskRunner
    db: DatabaseExecutor
    dialogs: Dialogs
    window: MainWindow
    user: SignedInUser
    current_session: Callable[[], VaultSession | None]
    on_unhandled: Callable[[BaseException], None]

    def session(self) -> VaultSession:
        """The signed-in session, looked up when the work runs. Work that was waiting when
        the app locked finds no session and is refused plainly; it never reaches a closed
        database."""
        session = self.current_session()
        if session is None:
            raise VaultLocked("The app was locked before this could be done. Sign in and "
                              "try again; nothing was changed.")
        return session

    def uow(self) -> UnitOfWork:
        """The signed-in session's unit of work (``session()``: refused while locked)."""
        return self.session().uow

    def uow_now(self) -> UnitOfWork:
        """The unit of work of the session signed in at this moment, for a write the user has
        just asked for (a save, the audit of a print). Work queued now runs on the database
        thread before a lock's close, so what was asked before a lock is still written."""
        return self.session().uow

    def can(self, permission: Permission) -> bool:
        """Whether the signed-in role may do this (screens hide what it cannot)."""
        return allowed(str(self.user.role), permission)

    def run(self, fn: Callable[[], T], done: Callable[[T], None],
            failed: Callable[[ExpectedError], None] | None = None, *,
            background: bool = False) -> Future[T]:
        """Run ``fn`` on the database thread (beside it with ``background``: ``fn`` then
        sends its database work there itself); an expected error goes to ``failed`` if
        given, else to the standard message; anything else is a bug for the crash handler."""

        def on_failed(error: BaseException) -> None:
            if failed is not None and isinstance(error, ExpectedError):
                failed(error)
            else:
                self.show_error(error)

        submit = self.runner.run_in_background if background else self.runner.run
        return submit(fn, done, on_failed)

    def show_error(self, error: BaseException) -> None:
        """An expected error's message in a box over the window; anything else is a bug."""
        if isinstance(error, ExpectedError):
            title = QCoreApplication.translate("FeatureContext", "Shared Care Planner")
            self.dialogs.error(self.window, title, error.message)
        else:
            self.on_unhandled(error)

    def ask(self, title: str, text: str) -> bool:
        """A yes/no question over the window."""
        return self.dialogs.ask(self.window, title, text)

    def today(self) -> dt.date:
        """Today's date on this laptop."""
        return dt.date.today()

    def now(self) -> dt.datetime:
        """The moment, in UTC (when a document was printed)."""
        return dt.datetime.now(dt.UTC)


@dataclass(frozen=True)
class Screen:
    """A screen a controller puts in the main window's list."""

    key: str
    title: str
    widget: QWidget


class FeatureController(QObject):
    """A feature's controller for one signed-in window (a child of it)."""

    def __init__(self, context: FeatureContext) -> None:
        super().__init__(context.window)
        self.context = context

    def screens(self) -> tuple[Screen, ...]:
        """The screens this feature adds to the main window."""
        return ()

    def lock(self) -> None:
        """The app is locking (the vault is still open): stop background work and keep
        what was typed."""

    def resume(self) -> None:
        """The same user has unlocked again: their screens are back."""

    def close(self) -> None:
        """Another user has signed in, or the app is closing: stop for good."""
