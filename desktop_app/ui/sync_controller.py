"""When to sync, and what the status bar says about it.

The sync itself is plain Python (``desktop_app.services.sync``); this object decides when to
run it: every few minutes on a timer, as soon as Qt reports the network back
(``QNetworkInformation``, where the platform has a backend), after a failure with a growing
wait (``next_delay``), and when the person presses "Sync now". Never two runs at once. A
run goes on a background thread with each vault step sent to the database thread, so
nothing waits behind the network; Cancel stops it between batches.

The status line is what the nurse sees: "Sync: not set up", "Syncing…", "Offline — 12
changes waiting", "Synced 2 min ago", "1 conflict", and plain words when the laptop's access
was revoked or the app is too old for the central store (sync stops; nothing is lost).
"""

from __future__ import annotations

import datetime as dt
import threading
from collections.abc import Callable
from typing import TYPE_CHECKING

from PySide6.QtCore import QObject, QTimer, Signal

from desktop_app.services.sync import (
    ClientTooOld,
    DeviceRevoked,
    NotEnrolled,
    ServerUnreachable,
    SyncAlreadyRunning,
    SyncError,
    SyncProgress,
    SyncResult,
    SyncStatus,
    UserDeactivated,
    next_delay,
)
from desktop_app.ui.tasks import Run, Submit

if TYPE_CHECKING:  # QtNetwork itself loads only when the controller starts
    from PySide6.QtNetwork import QNetworkInformation

EVERY_MINUTES = 5
STATUS_REFRESH_SECONDS = 30


def ago(moment: dt.datetime, now: dt.datetime) -> str:
    """'just now', '1 min ago', '12 min ago', '3 h ago', or the date for older."""
    seconds = max(0, int((now - moment).total_seconds()))
    if seconds < 60:
        return "just now"
    if seconds < 3600:
        return f"{seconds // 60} min ago"
    if seconds < 86400:
        return f"{seconds // 3600} h ago"
    return moment.astimezone().strftime("on %d/%m/%Y")


def status_text(status: SyncStatus | None, running: bool, problem: SyncError | None,
                now: dt.datetime) -> str:
    """The status bar's words for the sync state (translated by the caller's ``tr``)."""
    if status is None:
        return "Sync: checking…"
    if not status.enrolled:
        return "Sync: not set up"
    waiting = (f"{status.pending} change waiting" if status.pending == 1
               else f"{status.pending} changes waiting")
    if running:
        text = "Syncing…"
    elif isinstance(problem, DeviceRevoked):
        text = "Sync stopped: this laptop's access was withdrawn"
    elif isinstance(problem, ClientTooOld):
        text = "Sync stopped: please update Shared Care Planner"
    elif isinstance(problem, UserDeactivated):
        # Tried again with the growing wait: reactivating the user needs nothing here.
        text = "Sync stopped: account deactivated on the central store"
        if status.pending:
            text += f" — {waiting}, kept here"
    elif isinstance(problem, ServerUnreachable):
        text = f"Offline — {waiting}" if status.pending else "Offline"
    elif problem is not None:
        text = f"Sync problem — {waiting}" if status.pending else "Sync problem"
    elif status.last_synced_at is not None:
        text = f"Synced {ago(status.last_synced_at, now)}"
        if status.pending:
            text += f" — {waiting}"
    else:
        text = f"Not synced yet — {waiting}" if status.pending else "Not synced yet"
    extras = []
    if status.conflicts:
        extras.append("1 conflict" if status.conflicts == 1 else f"{status.conflicts} conflicts")
    if status.quarantined:
        extras.append(f"{status.quarantined} refused")
    return " · ".join([text, *extras])


class _Relay(QObject):
    """Carries progress from the sync thread to the GUI thread."""

    progressed = Signal(object)


class SyncController(QObject):
    """Runs syncs at the right times and keeps the status line up to date.

    ``sync(progress, cancelled)`` runs one sync (on a background thread, given by
    ``run_in_background``); ``status()`` reads the counts (run on the database thread by
    ``run``). Signals: ``status_changed(text)``, ``run_started()``,
    ``run_progressed(SyncProgress)``, ``run_finished(result or error)``.
    """

    status_changed = Signal(str)
    run_started = Signal()
    run_progressed = Signal(object)
    run_finished = Signal(object)

    def __init__(self, sync: Callable[[Callable[[SyncProgress], None], Callable[[], bool]],
                                      SyncResult],
                 status: Callable[[], SyncStatus], run: Run, run_in_background: Submit,
                 tr: Callable[[str], str] = str, parent: QObject | None = None,
                 every_minutes: int = EVERY_MINUTES) -> None:
        super().__init__(parent)
        self.every_ms = max(1, every_minutes) * 60_000
        self._sync, self._status, self._run, self._background = (
            sync, status, run, run_in_background)
        self._tr = tr
        self.running = False
        self.failures = 0
        self.problem: SyncError | None = None
        self.last_status: SyncStatus | None = None
        self._cancel = threading.Event()
        self._relay = _Relay(self)
        self._relay.progressed.connect(self.run_progressed)
        self.timer = QTimer(self, singleShot=True)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.status_timer = QTimer(self, interval=STATUS_REFRESH_SECONDS * 1000)
        self.status_timer.timeout.connect(self.refresh_status)
        self._network: QNetworkInformation | None = None

    def start(self) -> None:
        """Begin: read the state now, sync soon, and follow the network where Qt can."""
        self.status_timer.start()
        self.refresh_status()
        self._follow_network()
        self.timer.start(3000)

    def stop(self) -> None:
        """Stop the timers and any run (on lock or sign-out)."""
        self.timer.stop()
        self.status_timer.stop()
        self._cancel.set()

    def _follow_network(self) -> None:
        from PySide6.QtNetwork import QNetworkInformation
        try:
            if not QNetworkInformation.loadDefaultBackend():
                return
        except (RuntimeError, AttributeError):
            return
        self._network = QNetworkInformation.instance()
        if self._network is not None:
            self._network.reachabilityChanged.connect(self._on_network_reachability_changed)

    def _on_network_reachability_changed(
            self, reachability: QNetworkInformation.Reachability) -> None:
        from PySide6.QtNetwork import QNetworkInformation
        if reachability == QNetworkInformation.Reachability.Online:
            self.failures = 0
            self.sync_now(asked=False)

    def refresh_status(self) -> None:
        """Read the counts again and say the state."""
        self._run(self._status, self._on_status_read)

    def _on_status_read(self, status: SyncStatus) -> None:
        self.last_status = status
        self._say()

    def _say(self) -> None:
        now = dt.datetime.now(dt.UTC)
        self.status_changed.emit(self._tr(status_text(self.last_status, self.running,
                                                      self.problem, now)))

    def sync_now(self, asked: bool = True) -> bool:
        """Start a run unless one is going; True if started. Runs nobody asked for (timer,
        network back) are skipped while the laptop is not set up."""
        not_set_up = self.last_status is not None and not self.last_status.enrolled
        if self.running or (not asked and not_set_up):
            return False
        self.running = True
        self._cancel.clear()
        self.timer.stop()
        self.run_started.emit()
        self._say()
        progress, cancelled = self._relay.progressed.emit, self._cancel.is_set
        self._background(lambda: self._sync(progress, cancelled), self._on_run_done,
                         self._on_run_failed)
        return True

    def cancel(self) -> None:
        """Stop the run between batches (what was sent stays sent)."""
        self._cancel.set()

    def _on_timer_timeout(self) -> None:
        if not self.sync_now(asked=False):
            self.timer.start(self.every_ms)

    def _on_run_done(self, result: SyncResult) -> None:
        self.running, self.problem, self.failures = False, None, 0
        self.timer.start(self.every_ms)
        self.run_finished.emit(result)
        self.refresh_status()

    def _on_run_failed(self, error: BaseException) -> None:
        self.running = False
        if isinstance(error, SyncAlreadyRunning):
            self.timer.start(60_000)
            return
        if not isinstance(error, SyncError):
            self.problem = None
            self.run_finished.emit(error)
            raise error
        self.problem = error
        self.run_finished.emit(error)
        if isinstance(error, DeviceRevoked | ClientTooOld | NotEnrolled):
            self.timer.stop()  # nothing will change until a person acts
        else:
            self.failures += 1
            self.timer.start(int(next_delay(self.failures) * 1000))
        self.refresh_status()
