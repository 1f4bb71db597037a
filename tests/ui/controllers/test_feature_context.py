"""What every feature controller shares: work refused plainly while the app is locked, the
standard handling of errors, and the role's permissions."""

from __future__ import annotations

import threading
from collections.abc import Iterator

import pytest

from desktop_app.models.user import Role
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.core.errors import ExpectedError, NotFound, VaultLocked
from desktop_app.services.core.roles import Permission
from desktop_app.services.vault import SignedInUser
from desktop_app.ui.controllers.context import FeatureContext
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.tasks import TaskRunner


@pytest.fixture
def context(qtbot) -> Iterator[tuple[FeatureContext, list[BaseException]]]:
    """A nurse's context with no session (the app is locked); the bugs it reported."""
    executor, bugs = DatabaseExecutor(), []
    user = SignedInUser("u1", "Ann Example", Role.NURSE)
    window = MainWindow(user, demo=False)
    qtbot.addWidget(window)
    yield FeatureContext(TaskRunner(executor, bugs.append), executor, Dialogs(headless=True),
                         window, user, lambda: None, bugs.append), bugs
    executor.shutdown()


def test_work_that_finds_the_app_locked_is_refused_plainly(qtbot, context) -> None:
    ctx, bugs = context
    with pytest.raises(VaultLocked):
        ctx.uow()
    done: list[object] = []
    ctx.run(lambda: ctx.uow(), done.append)
    qtbot.waitUntil(lambda: bool(ctx.dialogs.shown), timeout=5000)
    [(kind, _title, text)] = ctx.dialogs.shown
    assert kind == "error" and "locked before this could be done" in text
    assert done == [] and bugs == []


def test_an_expected_error_goes_to_failed_and_a_bug_to_the_crash_handler(qtbot,
                                                                         context) -> None:
    ctx, bugs = context
    failures: list[ExpectedError] = []

    def missing() -> None:
        raise NotFound("That person is no longer there.")

    def bug() -> None:
        raise KeyError("a bug")

    ctx.run(missing, lambda _: None, failures.append)
    ctx.run(bug, lambda _: None, failures.append)
    qtbot.waitUntil(lambda: len(failures) + len(bugs) == 2, timeout=5000)
    assert [f.message for f in failures] == ["That person is no longer there."]
    assert [type(b) for b in bugs] == [KeyError]
    assert ctx.dialogs.shown == []


def test_background_work_runs_beside_the_database_thread(qtbot, context) -> None:
    ctx, _ = context
    names: list[str] = []
    ctx.run(lambda: threading.current_thread().name, names.append, background=True)
    ctx.run(lambda: threading.current_thread().name, names.append)
    qtbot.waitUntil(lambda: len(names) == 2, timeout=5000)
    assert sorted(name.split("_")[0] for name in names) == ["background", "database"]


def test_can_follows_the_role(context) -> None:
    ctx, _ = context
    assert ctx.can(Permission.DELEGATE) and ctx.can(Permission.EDIT_PEOPLE)
    assert not ctx.can(Permission.VIEW_REPORTS) and not ctx.can(Permission.PRINT_BATCH)


@pytest.mark.hazard("H-035")
def test_a_write_asked_before_a_lock_keeps_its_session_and_later_work_is_refused(
        qtbot) -> None:
    """A save or a print's audit asked for just before the lock is bound to the session then
    (``uow_now``), so it is written before the vault's close, which the lock queues after it;
    work that looks the session up when it runs (``uow``) is refused once locked."""
    executor, bugs = DatabaseExecutor(), []
    user = SignedInUser("u1", "Ann Example", Role.NURSE)
    window = MainWindow(user, demo=False)
    qtbot.addWidget(window)

    class Session:
        uow = object()  # stands in for the vault session's unit of work

    signed_in: list[Session] = [Session()]
    ctx = FeatureContext(TaskRunner(executor, bugs.append), executor, Dialogs(headless=True),
                         window, user, lambda: signed_in[0] if signed_in else None,
                         bugs.append)
    gate = threading.Event()
    executor.submit(gate.wait)  # the database thread is busy (a sync, say)
    bound, written, refused = ctx.uow_now(), [], []
    ctx.run(lambda: bound, written.append)          # Save pressed
    ctx.run(lambda: ctx.uow(), written.append, refused.append)  # read queued meanwhile
    signed_in.clear()                               # the app locks
    gate.set()
    qtbot.waitUntil(lambda: bool(written and refused), timeout=5000)
    assert written == [Session.uow]
    assert [type(e) for e in refused] == [VaultLocked] and bugs == []
    executor.shutdown()
