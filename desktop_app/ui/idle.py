"""Locking the app after a period without keyboard or mouse use, and on suspend.

An application-wide event filter restarts a timer on every key press, mouse click or
wheel turn; when it runs out, ``idle_timed_out`` fires. Qt reports a suspend only as the
application becoming inactive/suspended (platform dependent), so that also locks.

The same filter reports every window about to be shown (``window_shown``), so the session
controller can keep a locked or signed-out user's dialogs (one opened by work that
finishes after the lock) off the screen.
"""

from __future__ import annotations

from PySide6.QtCore import QEvent, QObject, Qt, QTimer, Signal
from PySide6.QtWidgets import QApplication, QWidget

ACTIVITY = {QEvent.Type.KeyPress, QEvent.Type.MouseButtonPress, QEvent.Type.Wheel,
            QEvent.Type.TouchBegin}


class IdleWatcher(QObject):
    """Emits ``idle_timed_out`` after ``minutes`` without activity (and on suspend)."""

    idle_timed_out = Signal()
    window_shown = Signal(object)  # a QWidget window, before it reaches the screen

    def __init__(self, app: QApplication, minutes: int) -> None:
        super().__init__(app)
        self._app = app
        self._disposed = False
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.timeout.connect(self.idle_timed_out)
        self.set_minutes(minutes)
        app.installEventFilter(self)
        app.applicationStateChanged.connect(self._on_app_application_state_changed)

    def set_minutes(self, minutes: int) -> None:
        """Change the idle time (settings)."""
        self.timer.setInterval(max(1, minutes) * 60_000)

    def start(self) -> None:
        """Begin watching (after sign-in). Not once disposed: a sign-in that finishes on the
        database thread while the app shuts down must not start a timer whose lock would
        then reach a stopped database thread."""
        if not self._disposed:
            self.timer.start()

    def stop(self) -> None:
        """Stop watching (while locked)."""
        self.timer.stop()

    def dispose(self) -> None:
        """Stop for good: the app is shutting down."""
        self._disposed = True
        self.timer.stop()
        self._app.removeEventFilter(self)
        self._app.applicationStateChanged.disconnect(self._on_app_application_state_changed)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        kind = event.type()
        if kind in ACTIVITY and self.timer.isActive():
            self.timer.start()
        elif kind == QEvent.Type.Show and isinstance(watched, QWidget) and watched.isWindow():
            self.window_shown.emit(watched)
        return False

    def _on_app_application_state_changed(self, state: Qt.ApplicationState) -> None:
        if state == Qt.ApplicationState.ApplicationSuspended and self.timer.isActive():
            self.idle_timed_out.emit()
