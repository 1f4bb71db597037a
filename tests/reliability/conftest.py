"""Helpers for the reliability tests: a child process the parent can SIGKILL, and the seed.

``CrashChild`` runs ``crash_child.py`` with ``sys.executable``. A reader thread collects
every line the child prints, so lines flushed before a SIGKILL are never lost, whatever
the kill interrupts. The child imports first and waits for its job on stdin, so a test
can start the next child while it is still checking the vault after the previous kill.

The seed comes from ``SCP_RELIABILITY_SEED`` (a fixed default otherwise) and is put in
every assertion message, so a failure can be replayed with the same delays and choices
(the moment a SIGKILL lands still depends on the machine's timing).
"""

from __future__ import annotations

import importlib.util
import json
import os
import queue
import signal
import subprocess
import sys
import threading
import time
from collections.abc import Iterator
from pathlib import Path
from typing import IO, Any

import pytest

from desktop_app.services.vault.kdf import KdfParams

CHILD_SCRIPT = Path(__file__).with_name("crash_child.py")
DEFAULT_SEED = 20_260_302
STARTUP_TIMEOUT_S = 60.0


def _suite_conftest() -> Any:
    """tests/conftest.py under a private name (every conftest here is a top-level
    ``conftest`` module, so ``import conftest`` finds whichever was loaded last)."""
    path = Path(__file__).resolve().parents[1] / "conftest.py"
    spec = importlib.util.spec_from_file_location("_scp_reliability_suite_constants", path)
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    spec.loader.exec_module(module)
    return module


_SUITE = _suite_conftest()


@pytest.fixture
def test_kdf() -> KdfParams:
    """The suite's cheap Argon2id cost (tests/conftest.py ``TEST_KDF``)."""
    return _SUITE.TEST_KDF  # type: ignore[no-any-return]


@pytest.fixture
def passphrase() -> str:
    """The template vault's passphrase (tests/conftest.py ``PASSPHRASE``)."""
    return str(_SUITE.PASSPHRASE)


class CrashChild:
    """One ``crash_child.py`` process, its output lines, and a SIGKILL."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(CHILD_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8",
        )
        self.lines: list[str] = []
        self._stderr: list[str] = []
        self._queue: queue.Queue[str | None] = queue.Queue()
        self._out = threading.Thread(target=self._read, args=(self.proc.stdout, True), daemon=True)
        self._err = threading.Thread(target=self._read, args=(self.proc.stderr, False), daemon=True)
        self._out.start()
        self._err.start()

    def _read(self, stream: IO[str], is_stdout: bool) -> None:
        for raw in stream:
            line = raw.rstrip("\n")
            if is_stdout:
                self.lines.append(line)
                self._queue.put(line)
            else:
                self._stderr.append(line)
        if is_stdout:
            self._queue.put(None)

    @property
    def stderr(self) -> str:
        """What the child wrote to stderr so far (its traceback, if it failed)."""
        return "\n".join(self._stderr[-40:])

    def wait_for(self, token: str, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Block until the child prints exactly ``token``; fail loudly if it dies first."""
        deadline = time.monotonic() + timeout
        while True:
            remaining = deadline - time.monotonic()
            if remaining <= 0:
                self.kill()
                raise AssertionError(f"child did not print {token} within {timeout} s\n{self.stderr}")
            try:
                line = self._queue.get(timeout=remaining)
            except queue.Empty:
                continue
            if line is None:
                self.kill()
                raise AssertionError(f"child exited before printing {token}\n{self.stderr}")
            if line == token:
                return

    def start(self, job: dict[str, Any]) -> None:
        """Send the child its job (one JSON line)."""
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()

    def alive(self) -> bool:
        """True while the process has not exited."""
        return self.proc.poll() is None

    def kill(self) -> list[str]:
        """SIGKILL the child (if still running), wait for it, and return all its stdout lines."""
        if self.proc.poll() is None:
            os.kill(self.proc.pid, signal.SIGKILL)
        self.proc.wait(timeout=30)
        self._out.join(timeout=30)
        self._err.join(timeout=30)
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        return list(self.lines)


@pytest.fixture
def spawn_child() -> Iterator[Any]:
    """``spawn_child()`` starts a ``CrashChild``; any still running at teardown are killed."""
    children: list[CrashChild] = []

    def spawn() -> CrashChild:
        child = CrashChild()
        children.append(child)
        return child

    yield spawn
    for child in children:
        child.kill()


@pytest.fixture
def reliability_seed() -> int:
    """The seed for this run (``SCP_RELIABILITY_SEED`` to replay a failure)."""
    return int(os.environ.get("SCP_RELIABILITY_SEED", DEFAULT_SEED))


@pytest.fixture
def kill_rounds(request: pytest.FixtureRequest) -> Any:
    """Pick a count: ``kill_rounds(normal, slow)`` returns ``slow`` under ``--slow``."""
    slow = bool(request.config.getoption("--slow"))

    def pick(normal: int, slow_count: int) -> int:
        return slow_count if slow else normal

    return pick
