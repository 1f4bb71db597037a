"""When the app syncs and what the status bar says (the sync itself is a stand-in here;
tests/ui/test_sync_screen.py runs the real one against the real store)."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest

from desktop_app.services.sync import (
    ClientTooOld,
    DeviceRevoked,
    ServerUnreachable,
    SyncStatus,
)
from desktop_app.ui.sync_controller import SyncController, ago, status_text

NOW = dt.datetime(2026, 11, 22, 12, 0, tzinfo=dt.UTC)


def status(pending: int = 0, conflicts: int = 0, quarantined: int = 0,
           synced: dt.datetime | None = None, enrolled: bool = True) -> SyncStatus:
    return SyncStatus(pending, conflicts, quarantined, synced, enrolled)


@pytest.mark.parametrize(("state", "running", "problem", "text"), [
    (None, False, None, "Sync: checking…"),
    (status(enrolled=False, pending=4), False, None, "Sync: not set up"),
    (status(pending=12), False, ServerUnreachable("x"), "Offline — 12 changes waiting"),
    (status(pending=1), False, ServerUnreachable("x"), "Offline — 1 change waiting"),
    (status(pending=3), True, None, "Syncing…"),
    (status(synced=NOW - dt.timedelta(minutes=2)), False, None, "Synced 2 min ago"),
    (status(synced=NOW - dt.timedelta(seconds=5), conflicts=1), False, None,
     "Synced just now · 1 conflict"),
    (status(synced=NOW - dt.timedelta(hours=3), pending=2, quarantined=1), False, None,
     "Synced 3 h ago — 2 changes waiting · 1 refused"),
    (status(pending=2), False, DeviceRevoked("x"),
     "Sync stopped: this laptop's access was withdrawn"),
    (status(), False, ClientTooOld("x"), "Sync stopped: please update Shared Care Planner"),
    (status(pending=5), False, None, "Not synced yet — 5 changes waiting"),
])
def test_the_status_line_says_the_state_in_words(state, running, problem, text) -> None:
    assert status_text(state, running, problem, NOW) == text


def test_older_syncs_give_the_date() -> None:
    assert ago(dt.datetime(2026, 11, 19, 9, 0, tzinfo=dt.UTC), NOW) == "on 19/11/2026"


class Harness:
    """Runs the controller's work by hand: background work waits until ``finish``."""

    def __init__(self, current: SyncStatus) -> None:
        self.current = current
        self.runs = 0
        self.pending_background: list[tuple[Any, Any, Any]] = []
        self.lines: list[str] = []

    def sync(self, progress: Any, cancelled: Any) -> Any:
        self.runs += 1
        progress("pushing")
        return "result"

    def run(self, fn: Any, done: Any, failed: Any = None) -> None:
        done(fn())

    def background(self, fn: Any, done: Any, failed: Any = None) -> None:
        self.pending_background.append((fn, done, failed))

    def finish(self, error: BaseException | None = None) -> None:
        fn, done, failed = self.pending_background.pop(0)
        if error is None:
            done(fn())
        else:
            failed(error)


def controller(qtbot, harness: Harness) -> SyncController:
    c = SyncController(harness.sync, lambda: harness.current, harness.run,
                       harness.background)
    c.status_changed.connect(harness.lines.append)
    c.refresh_status()
    return c


def test_never_two_runs_at_once_and_success_schedules_the_next(qtbot) -> None:
    h = Harness(status(pending=2, synced=NOW))
    c = controller(qtbot, h)
    assert c.sync_now() is True and c.sync_now() is False
    assert h.lines[-1] == "Syncing…" and len(h.pending_background) == 1
    h.current = status(synced=dt.datetime.now(dt.UTC))
    h.finish()
    assert h.runs == 1 and not c.running and c.failures == 0
    assert c.timer.isActive() and c.timer.interval() == 5 * 60_000
    assert h.lines[-1] == "Synced just now"


def test_the_interval_comes_from_the_settings(qtbot) -> None:
    h = Harness(status(pending=2, synced=NOW))
    c = SyncController(h.sync, lambda: h.current, h.run, h.background, every_minutes=30)
    assert c.sync_now() is True
    h.finish()
    assert c.timer.isActive() and c.timer.interval() == 30 * 60_000


@pytest.mark.hazard("H-027")
def test_failures_back_off_and_revocation_stops_trying(qtbot) -> None:
    h = Harness(status(pending=3))
    c = controller(qtbot, h)
    c.sync_now()
    h.finish(ServerUnreachable("The central store cannot be reached."))
    assert c.failures == 1 and 15_000 <= c.timer.interval() <= 30_000
    assert h.lines[-1] == "Offline — 3 changes waiting"
    c.sync_now()
    h.finish(ServerUnreachable("still"))
    assert c.failures == 2 and 30_000 <= c.timer.interval() <= 60_000
    c.sync_now()
    h.finish(DeviceRevoked("This laptop's access was withdrawn."))
    assert not c.timer.isActive()
    assert h.lines[-1] == "Sync stopped: this laptop's access was withdrawn"


def test_a_laptop_not_set_up_does_not_try(qtbot) -> None:
    h = Harness(status(enrolled=False))
    c = controller(qtbot, h)
    assert c.sync_now(asked=False) is False and h.pending_background == []
    assert h.lines[-1] == "Sync: not set up"
    assert c.sync_now() is True  # asked for: the run says plainly what is missing
