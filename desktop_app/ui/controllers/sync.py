"""The Sync screen, the status bar's sync state and the question on closing with changes
not yet sent. When to sync is ``desktop_app.ui.sync_controller.SyncController``'s."""

from __future__ import annotations

import logging
from collections.abc import Callable
from functools import partial
from typing import Any, Literal

from desktop_app.services import sync
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.roles import Permission
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.sync_controller import SyncController
from desktop_app.ui.sync_page import SyncActions, SyncPage

log = logging.getLogger(__name__)
DbCall = Callable[[Callable[[], Any]], Any]


def kept_version(keep: str) -> Literal["mine", "theirs"]:
    """The conflict screen's choice as the service takes it."""
    if keep == "mine":
        return "mine"
    if keep == "theirs":
        return "theirs"
    raise ValueError(f"keep must be 'mine' or 'theirs', not {keep!r}")


class SyncScreenController(FeatureController):
    """Binds the Sync screen and the status bar to the sync services and the
    ``SyncController``; stops syncing while the app is locked."""

    def __init__(self, context: FeatureContext, every_minutes: int) -> None:
        super().__init__(context)
        uow, on_db_thread, can = context.uow, context.db.call, context.can
        writer = can(Permission.EDIT_PEOPLE)
        actions = SyncActions(
            context.run, lambda: sync.sync_settings(uow()),
            (lambda url, code, name, ca: sync.enrol(uow(), url, code, name, ca,
                                                    db=on_db_thread))
            if can(Permission.MANAGE_USERS) else None,
            lambda: sync.list_conflicts(uow()),
            (lambda conflict_id, keep: sync.resolve_conflict(uow(), conflict_id,
                                                             kept_version(keep)))
            if writer else None,
            lambda: sync.list_quarantined(uow()),
            (lambda seq: sync.retry_quarantined(uow(), seq)) if writer else None,
            run_network=partial(context.run, background=True))
        self.controller = SyncController(
            partial(self._run, on_db_thread),
            lambda: sync.sync_status(uow()), context.run, context.runner.run_in_background,
            self.tr, context.window, every_minutes=every_minutes)
        self.page = SyncPage(actions, self.controller.sync_now, self.controller.cancel)
        self.controller.status_changed.connect(context.window.sync_label.setText)
        self.controller.status_changed.connect(self.page.show_status)
        self.controller.run_started.connect(lambda: self.page.show_running(True))
        self.controller.run_progressed.connect(self.page.show_progress)
        self.controller.run_finished.connect(self.page.show_finished)
        context.window.confirm_close = self._confirm_close
        self.page.refresh()
        self.controller.start()

    def _run(self, on_db_thread: DbCall, progress: Callable[[sync.SyncProgress], None],
             cancelled: Callable[[], bool]) -> sync.SyncResult:
        """One sync run, then the audit trail's head witnessed in the key file: what the
        store now holds is pinned on the laptop too (``VaultSession.witness_audit``)."""
        session = self.context.session()
        result = sync.run(session.uow, progress, cancelled, db=on_db_thread)
        try:
            on_db_thread(session.witness_audit)
        except ExpectedError as err:  # the run itself succeeded; the next close tries again
            log.warning("the audit trail's head could not be witnessed (%s)", err.message)
        return result

    def screens(self) -> tuple[Screen, ...]:
        """The Sync screen."""
        return (Screen("sync", self.tr("Sync"), self.page),)

    def lock(self) -> None:
        """No syncing while locked (the vault is closing)."""
        self.controller.stop()

    def resume(self) -> None:
        """Sync again, as after signing in."""
        self.controller.start()

    def close(self) -> None:
        """Stop syncing for good."""
        self.controller.stop()

    def _confirm_close(self) -> bool:
        """Closing with changes not yet sent: say they are safe, and ask."""
        status = self.controller.last_status
        if status is None or not status.enrolled or not status.pending:
            return True
        return self.context.ask(self.tr("Changes not sent yet"), self.tr(
            "%d changes have not reached the central store yet. They are kept safely in the "
            "encrypted vault on this laptop and go at the next sync. Close anyway?")
            % status.pending)
