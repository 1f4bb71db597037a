"""Running work off the GUI thread and getting the answer back on it.

Database work goes to the single database thread; the result or the error comes back
through a queued Qt signal, so callbacks always run on the GUI thread.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import Any, Protocol, TypeVar

from PySide6.QtCore import QObject, Signal

from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.core.errors import ExpectedError

T = TypeVar("T")


class Run(Protocol):
    """How a screen runs work off the GUI thread (the app's ``run``): ``fn`` on the
    database thread, then ``done(result)`` back on the GUI thread; an expected error goes
    to ``failed`` when given, else to the app's standard message (any other error is a
    bug, for the crash handler)."""

    def __call__(self, fn: Callable[[], T], done: Callable[[T], None],
                 failed: Callable[[ExpectedError], None] | None = None, /) -> object: ...


class Submit(Protocol):
    """``TaskRunner.run`` or ``run_in_background`` as given to a screen: like ``Run``, but
    ``failed`` gets every error, expected or not."""

    def __call__(self, fn: Callable[[], T], done: Callable[[T], None],
                 failed: Callable[[BaseException], None] | None = None, /) -> object: ...


# The callbacks and outcome of one task, on their way back through the queued signal
# (the result's type is erased there: ``done`` was given the matching ``fn``).
_Callbacks = tuple[Callable[[Any], None], Callable[[BaseException], None] | None]


class TaskRunner(QObject):
    """Submits callables to the database thread; calls back on the GUI thread."""

    task_finished = Signal(object, object, object)  # callback, result, error

    def __init__(self, executor: DatabaseExecutor, on_unhandled: Callable[[BaseException], None]):
        super().__init__()
        self._executor = executor
        # Long work that is not database work (a PDF batch waiting on its worker
        # processes, the network) runs beside the database thread, never on it, so the
        # database stays free for saving drafts meanwhile.
        self._background = ThreadPoolExecutor(max_workers=2, thread_name_prefix="background")
        self._on_unhandled = on_unhandled
        self.task_finished.connect(self._on_self_task_finished)

    def run(self, fn: Callable[[], T], done: Callable[[T], None],
            failed: Callable[[BaseException], None] | None = None) -> Future[T]:
        """Run ``fn`` on the database thread, then ``done(result)`` or ``failed(error)``."""
        return self._watch(self._executor.submit(fn), done, failed)

    def run_in_background(self, fn: Callable[[], T], done: Callable[[T], None],
                          failed: Callable[[BaseException], None] | None = None
                          ) -> Future[T]:
        """Like ``run`` but on a background thread: ``fn`` must send any database work to
        the database thread itself (``DatabaseExecutor.call``)."""
        return self._watch(self._background.submit(fn), done, failed)

    def shutdown(self) -> None:
        """Stop taking background work (running work is left to finish or be cancelled)."""
        self._background.shutdown(wait=False, cancel_futures=True)

    def _watch(self, future: Future[T], done: Callable[[T], None],
               failed: Callable[[BaseException], None] | None) -> Future[T]:
        def _deliver(f: Future[T]) -> None:
            error = f.exception()
            callbacks: _Callbacks = (done, failed)
            self.task_finished.emit(callbacks, None if error else f.result(), error)

        future.add_done_callback(_deliver)
        return future

    def _on_self_task_finished(self, callbacks: _Callbacks, result: object,
                               error: BaseException | None) -> None:
        done, failed = callbacks
        if error is None:
            done(result)
        elif failed is not None:
            failed(error)
        else:
            self._on_unhandled(error)
