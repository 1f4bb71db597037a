"""Composition root: arguments, paths, settings, logging, the crash hook, the database
thread and the task runner; it makes the controllers and connects them.

Qt loads only when the app starts (``--version`` and ``--self-test`` answer without it),
and then only Qt and the sign-in flow (``ui/controllers/session.py``) before the first
paint; the feature controllers, which import the services (SQLAlchemy, reportlab, httpx),
load once a user has signed in.
"""

from __future__ import annotations

import argparse
import os
import sys
from pathlib import Path
from typing import TYPE_CHECKING

from desktop_app import __version__
from desktop_app.services.core import paths
from desktop_app.services.core.crash import install_excepthook
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.core.logging_setup import configure_logging
from desktop_app.services.core.settings import load_settings

if TYPE_CHECKING:  # for the types only (the module's docstring says why these load later)
    from PySide6.QtWidgets import QApplication

    from desktop_app.ui.controllers.features import Features
    from desktop_app.ui.main_window import MainWindow


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


class App:
    """The running app: what lives as long as the process, and the signed-in features."""

    def __init__(self, qt_app: QApplication, demo: bool) -> None:
        # Imported here, not at the top: --version and --self-test must not load Qt.
        from desktop_app.ui.controllers.session import SessionController
        from desktop_app.ui.dialogs import Dialogs
        from desktop_app.ui.idle import IdleWatcher
        from desktop_app.ui.tasks import TaskRunner

        self.qt_app = qt_app
        self.paths = (paths.demo_paths() if demo else paths.resolve_paths()).ensure()
        configure_logging(self.paths.logs)
        self.dialogs = Dialogs()
        install_excepthook(self.paths.logs, self._on_crash)
        self.settings = load_settings(self.paths.config)
        self.executor = DatabaseExecutor()
        self.runner = TaskRunner(self.executor, self._on_unhandled)
        self.idle = IdleWatcher(qt_app, self.settings.idle_lock_minutes)
        self.session_controller = SessionController(
            qt_app, self.paths, self.settings, self.runner, self.idle, self._on_unhandled, demo,
            self.dialogs)
        sessions = self.session_controller
        sessions.window_opened.connect(self._on_session_controller_window_opened)
        sessions.locking.connect(self._on_session_controller_locking)
        sessions.resumed.connect(self._on_session_controller_resumed)
        sessions.window_parked.connect(self._on_session_controller_window_parked)
        sessions.window_unparked.connect(self._on_session_controller_window_unparked)
        self.features: Features | None = None
        # The features of users signed out over the lock (their screens put away, hidden),
        # by user id, until they sign in again.
        self.parked_features: dict[str, Features] = {}

    def start(self) -> None:
        """Show first-run setup or the sign-in dialog."""
        self.session_controller.start()

    def _on_session_controller_window_opened(self, window: MainWindow, people_count: int
                                             ) -> None:
        """A user signed in: their feature controllers, connected, and their screens."""
        # Loaded only now, after the sign-in dialog has painted: these import the services.
        from desktop_app.services.core.roles import Permission
        from desktop_app.ui.controllers.context import FeatureContext
        from desktop_app.ui.controllers.delegations import DelegationsController
        from desktop_app.ui.controllers.features import Features
        from desktop_app.ui.controllers.people import PeopleController
        from desktop_app.ui.controllers.plans import PlansController
        from desktop_app.ui.controllers.problems import ProblemsController
        from desktop_app.ui.controllers.providers import ProvidersController
        from desktop_app.ui.controllers.registers import RegistersController
        from desktop_app.ui.controllers.reports import ReportsController
        from desktop_app.ui.controllers.sync import SyncScreenController

        sessions = self.session_controller
        context = FeatureContext(self.runner, self.executor, self.dialogs, window, window.user,
                                 lambda: sessions.session_for(window.user.user_id),
                                 self._on_unhandled)
        delegations = DelegationsController(context, people_count)
        plans = PlansController(context)
        people = PeopleController(context)
        registers = RegistersController(context)
        reports = (ReportsController(context, plans.show_pdf)
                   if context.can(Permission.VIEW_REPORTS) else None)
        sync = SyncScreenController(context, self.settings.sync_every_minutes)
        providers = ProvidersController(context)
        # Problems with the framework for the IPCB: reported from anywhere and from the
        # wizard; listed on the Reports screen for team leads and governance.
        problems = ProblemsController(context)
        delegations.wizards.problem_report_requested.connect(problems.report_from)
        if reports is not None and problems.list_screen is not None:
            reports.screen.show_problems(problems.list_screen)
        people.delegation_requested.connect(delegations.open_wizard)
        # Where the nurse lands: Delegations starts on the person chosen on the caseload,
        # the person record opens on whoever was just delegated, and an NHS number nobody
        # has opens the new person's form.
        people.person_chosen.connect(delegations.offer_person)
        delegations.person_delegated.connect(people.note_delegated)
        delegations.add_person_requested.connect(people.add_person)
        people.plan_requested.connect(plans.open_plan)
        delegations.batch_requested.connect(plans.start_batch)
        registers.form_requested.connect(plans.open_shared_care_form)
        registers.reviews_screen.left_community_health.connect(
            people.offer_transfer_after_review)
        self.features = Features(delegations, plans, people, registers, reports, sync,
                                 providers, problems=problems)
        self.features.add_to(window)
        delegations.offer_resume()

    def _on_session_controller_locking(self) -> None:
        if self.features is not None:
            self.features.lock()

    def _on_session_controller_resumed(self) -> None:
        if self.features is not None:
            self.features.resume()

    def _on_session_controller_window_parked(self, window: MainWindow) -> None:
        if self.features is not None:
            self.parked_features[window.user.user_id] = self.features
        self.features = None

    def _on_session_controller_window_unparked(self, window: MainWindow) -> None:
        self.features = self.parked_features.pop(window.user.user_id, None)

    def _on_unhandled(self, error: BaseException) -> None:
        sys.excepthook(type(error), error, error.__traceback__)

    def _on_crash(self, path: Path) -> None:
        self.dialogs.error(None, self.qt_app.tr("Unexpected problem"), self.qt_app.tr(
            "Something unexpected went wrong. It has been recorded for support as %s. "
            "What you typed has been kept.") % path.name)

    def shutdown(self) -> None:
        """Close the vault on the database thread and stop it."""
        self.idle.dispose()
        for features in [self.features, *self.parked_features.values()]:
            if features is not None:
                features.close()
        self.runner.shutdown()
        self.session_controller.stop()
        if self.session_controller.session is not None:
            self.executor.call(self.session_controller.session.close)
        self.executor.shutdown()


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
    from PySide6.QtWidgets import QApplication  # only now: see the module's docstring
    existing = QApplication.instance()
    qt_app = existing if isinstance(existing, QApplication) else QApplication(sys.argv[:1])
    qt_app.setApplicationName("Shared Care Planner")
    qt_app.setApplicationVersion(__version__)
    # Matches installer/linux/shared-care-planner.desktop: the desktop shows its icon.
    qt_app.setDesktopFileName("shared-care-planner")
    # Windows hand over to each other (sign-in -> main -> lock -> sign-in) through the
    # database thread; the app quits only when the user closes or cancels.
    qt_app.setQuitOnLastWindowClosed(False)
    app = App(qt_app, args.demo)
    app.start()
    try:
        return int(qt_app.exec())
    finally:
        app.shutdown()
