"""Killing the app mid-wizard loses nothing: the next start offers to resume exactly there.

A child process drives the real wizard (offscreen) on a vault copy: it fills S1, moves to
S2 and answers it without pressing Next. Once the debounced draft save for that typing is
committed, the child is killed with SIGKILL. This process then unlocks the same vault,
is offered the draft, and the reopened wizard shows every answer on the right page.

Shown to fail: with the debounced save disabled (DRAFT_DELAY_MS huge in the child), the
S2 answers are lost and the last assertion fails.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path

import pytest

from desktop_app.services import delegation, people
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.vault import VaultStore
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.wizard.controller import WizardController
from tests.support import PASSPHRASE, person_values

CHILD = Path(__file__).with_name("kill_child.py")


def _add_person(store: VaultStore, user_id: str) -> str:
    session = store.unlock(user_id, PASSPHRASE)
    try:
        return people.create_person(session.uow, people.PersonInput(**person_values(7))).id
    finally:
        session.close()


def _run_child_until_saved(store: VaultStore, user_id: str, person_id: str) -> list[str]:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    child = subprocess.Popen(
        [sys.executable, str(CHILD), str(store.folder), user_id, PASSPHRASE, person_id],
        stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, env=env)
    lines: list[str] = []
    deadline = time.monotonic() + 60
    try:
        assert child.stdout is not None
        while time.monotonic() < deadline:
            line = child.stdout.readline()
            if not line:
                break
            lines.append(line.strip())
            if line.startswith("SAVED S2 3"):
                os.kill(child.pid, signal.SIGKILL)
                break
    finally:
        child.kill()
        child.wait(10)
    assert any(line.startswith("SAVED S2 3") for line in lines), lines
    return lines


@pytest.mark.hazard("H-016")
def test_killed_mid_wizard_resumes_with_nothing_lost(qtbot, vault_copy) -> None:
    store, user_id, _ = vault_copy
    person_id = _add_person(store, user_id)
    _run_child_until_saved(store, user_id, person_id)

    executor = DatabaseExecutor()
    session = executor.call(store.unlock, user_id, PASSPHRASE)
    try:
        [draft] = executor.call(delegation.drafts, session.uow)
        assert draft.current_step == "S2"
        runner = TaskRunner(executor, lambda error: (_ for _ in ()).throw(error))
        controller = WizardController(runner, session, load_flow(), load_catalogue(),
                                      Dialogs(headless=True))
        offered: list[str] = []
        with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
            controller.offer_resume(ask=lambda d: offered.append(d.person_name) or True)
        wizard = opened.args[0]
        qtbot.addWidget(wizard)
        assert offered == ["Edith Testperson"]
        assert wizard.current_step() == "S2"
        s2 = wizard.currentPage()
        assert s2.positive.value() is False
        assert s2.checked_on.value() == "2026-11-02"
        wizard.back()
        s1 = wizard.currentPage()
        assert s1.task.value() == "eye_drops"
        assert s1.referred_by.text().startswith("S1 typed: referred by the district nurse, Zoë")
        assert s1.health_need.value() is True
    finally:
        executor.call(session.close)
        executor.shutdown()
