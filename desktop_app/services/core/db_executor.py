"""The database thread: every piece of database work runs here, one at a time.

The vault has exactly one keyed connection and SQLite connections belong to the thread
that opened them, so the vault is unlocked on this thread and used only from it. The GUI
submits work and gets a future back; it never waits on the database itself.
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from typing import ParamSpec, TypeVar

P = ParamSpec("P")
T = TypeVar("T")


class DatabaseExecutor:
    """A single worker thread that runs database work in submission order."""

    def __init__(self) -> None:
        self._pool = ThreadPoolExecutor(max_workers=1, thread_name_prefix="database")

    def submit(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> Future[T]:
        """Queue ``fn`` on the database thread."""
        return self._pool.submit(fn, *args, **kwargs)

    def call(self, fn: Callable[P, T], *args: P.args, **kwargs: P.kwargs) -> T:
        """Run ``fn`` on the database thread and wait for it (scripts and tests only)."""
        return self._pool.submit(fn, *args, **kwargs).result()

    def shutdown(self) -> None:
        """Finish queued work and stop the thread."""
        self._pool.shutdown(wait=True)
