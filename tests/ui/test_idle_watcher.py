"""The idle watcher once the app shuts down: nothing starts its timer again.

A sign-in (or unlock) finishes on the database thread and its callback starts the idle
timer; if that callback arrives after ``App.shutdown`` disposed the watcher, the timer
would later lock a session on a database thread that has stopped ("cannot schedule new
futures after shutdown", seen once in a slow full run)."""

from __future__ import annotations

from PySide6.QtWidgets import QApplication

from desktop_app.ui.idle import IdleWatcher


def test_a_disposed_watcher_never_starts_again(qapp: QApplication) -> None:
    watcher = IdleWatcher(qapp, minutes=5)
    watcher.start()
    assert watcher.timer.isActive()
    watcher.dispose()
    assert not watcher.timer.isActive()
    watcher.start()  # a sign-in's callback arriving late
    assert not watcher.timer.isActive()


def test_a_live_watcher_starts_and_stops(qapp: QApplication) -> None:
    watcher = IdleWatcher(qapp, minutes=5)
    try:
        watcher.start()
        assert watcher.timer.isActive() and watcher.timer.interval() == 5 * 60_000
        watcher.stop()
        assert not watcher.timer.isActive()
    finally:
        watcher.dispose()
