"""Running work off the GUI thread and getting the answer back on it.

Database work goes to the single database thread; the result or the error comes back
through a queued Qt signal, so callbacks always run on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future
from typing import Any

from PySide6.QtCore import QObject, Signal

from desktop_app.services.db_executor import DatabaseExecutor


class TaskRunner(QObject):
    """Submits callables to the database thread; calls back on the GUI thread."""

    task_finished = Signal(object, object, object)  # callback, result, error

    def __init__(self, executor: DatabaseExecutor, on_unhandled: Callable[[BaseException], None]):
        super().__init__()
        self._executor = executor
        self._on_unhandled = on_unhandled
        self.task_finished.connect(self._on_self_task_finished)

    def run(self, fn: Callable[[], Any], done: Callable[[Any], None],
            failed: Callable[[BaseException], None] | None = None) -> Future[Any]:
        """Run ``fn`` on the database thread, then ``done(result)`` or ``failed(error)``."""
        future = self._executor.submit(fn)

        def _deliver(f: Future[Any]) -> None:
            error = f.exception()
            self.task_finished.emit((done, failed), None if error else f.result(), error)

        future.add_done_callback(_deliver)
        return future

    def _on_self_task_finished(self, callbacks: Any, result: Any, error: Any) -> None:
        done, failed = callbacks
        if error is None:
            done(result)
        elif failed is not None:
            failed(error)
        else:
            self._on_unhandled(error)
