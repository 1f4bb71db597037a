"""Helpers for the reliability tests: worker processes the parent can SIGKILL, and the seed.

``ForkServer`` runs ``crash_child.py`` with ``sys.executable``; it imports the app once
and forks one ``Worker`` process per job (see crash_child.py for why and the protocol).
A reader thread collects every line printed, so lines flushed before a SIGKILL are never
lost whatever the kill interrupts, and the server's ``EXIT`` line for a worker comes
after all of that worker's lines.

The seed comes from ``SCP_RELIABILITY_SEED`` (a fixed default otherwise) and is put in
every assertion message, so a failure can be replayed with the same delays and choices
(the moment a SIGKILL lands still depends on the machine's timing).
"""

from __future__ import annotations

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
from typing import Any

import pytest

from desktop_app.services.vault.kdf import KdfParams

CHILD_SCRIPT = Path(__file__).with_name("crash_child.py")
DEFAULT_SEED = 20_260_302
STARTUP_TIMEOUT_S = 60.0


from tests import support as _SUITE  # noqa: E402,N812


@pytest.fixture
def test_kdf() -> KdfParams:
    """The suite's cheap Argon2id cost (tests/conftest.py ``TEST_KDF``)."""
    return _SUITE.TEST_KDF  # type: ignore[no-any-return]


@pytest.fixture
def passphrase() -> str:
    """The template vault's passphrase (tests/conftest.py ``PASSPHRASE``)."""
    return str(_SUITE.PASSPHRASE)


class ForkServer:
    """``crash_child.py`` run with ``sys.executable``: imports once, forks one worker per job."""

    def __init__(self) -> None:
        self.proc = subprocess.Popen(
            [sys.executable, "-u", str(CHILD_SCRIPT)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, encoding="utf-8",
        )
        self._stderr: list[str] = []
        self.lines: queue.Queue[str | None] = queue.Queue()
        self._out = threading.Thread(target=self._read_stdout, daemon=True)
        self._err = threading.Thread(target=self._read_stderr, daemon=True)
        self._out.start()
        self._err.start()
        self.worker: Worker | None = None
        line = self.next_line(STARTUP_TIMEOUT_S, "IMPORTED")
        assert line == "IMPORTED", f"fork server said {line!r}\n{self.stderr}"

    def _read_stdout(self) -> None:
        assert self.proc.stdout is not None
        for raw in self.proc.stdout:
            self.lines.put(raw.rstrip("\n"))
        self.lines.put(None)

    def _read_stderr(self) -> None:
        assert self.proc.stderr is not None
        for raw in self.proc.stderr:
            self._stderr.append(raw.rstrip("\n"))

    @property
    def stderr(self) -> str:
        """The last lines written to stderr (a worker's traceback, if one failed)."""
        return "\n".join(self._stderr[-40:])

    def next_line(self, timeout: float, waiting_for: str) -> str:
        """The next stdout line; fails loudly on a timeout or if the server is gone."""
        try:
            line = self.lines.get(timeout=timeout)
        except queue.Empty:
            raise AssertionError(f"no {waiting_for} within {timeout} s\n{self.stderr}") from None
        if line is None:
            raise AssertionError(f"the fork server ended while waiting for {waiting_for}\n"
                                 f"{self.stderr}")
        return line

    def start(self, job: dict[str, Any]) -> Worker:
        """Fork a worker for ``job`` (one at a time)."""
        assert self.worker is None or self.worker.returncode is not None, "previous worker alive"
        assert self.proc.stdin is not None
        self.proc.stdin.write(json.dumps(job) + "\n")
        self.proc.stdin.flush()
        self.worker = Worker(self)
        return self.worker

    def close(self) -> None:
        """Kill a worker still running, then let the server end (closing its stdin)."""
        if self.worker is not None and self.worker.returncode is None and self.proc.poll() is None:
            self.worker.kill()
        if self.proc.stdin is not None:
            try:
                self.proc.stdin.close()
            except BrokenPipeError:
                pass
        try:
            self.proc.wait(timeout=30)
        except subprocess.TimeoutExpired:
            os.kill(self.proc.pid, signal.SIGKILL)
            self.proc.wait(timeout=30)
        self._out.join(timeout=30)
        self._err.join(timeout=30)


class Worker:
    """One forked worker: the lines it printed, its pid, and its SIGKILL."""

    def __init__(self, server: ForkServer) -> None:
        self.server = server
        self.pid: int | None = None
        self.returncode: int | None = None
        self.lines: list[str] = []

    def _take(self, timeout: float, waiting_for: str) -> str:
        line = self.server.next_line(timeout, waiting_for)
        parts = line.split()
        if parts[:1] == ["PID"]:
            self.pid = int(parts[1])
        elif parts[:1] == ["EXIT"]:
            assert self.pid is None or int(parts[1]) == self.pid, line
            self.returncode = int(parts[2])
        else:
            self.lines.append(line)
        return line

    @property
    def stderr(self) -> str:
        """The last lines written to stderr."""
        return self.server.stderr

    def wait_for(self, token: str, timeout: float = STARTUP_TIMEOUT_S) -> None:
        """Block until the worker prints exactly ``token``; fail loudly if it ends first."""
        deadline = time.monotonic() + timeout
        while self._take(max(0.001, deadline - time.monotonic()), token) != token:
            if self.returncode is not None:
                raise AssertionError(f"worker ended ({self.returncode}) before {token}\n"
                                     f"{self.stderr}")

    def _drain(self) -> None:
        while not self.server.lines.empty():
            self._take(0.001, "a queued line")

    def alive(self) -> bool:
        """True until the server has reported this worker's exit."""
        self._drain()
        return self.returncode is None

    def kill(self) -> list[str]:
        """SIGKILL the worker (if still running); wait for its EXIT; every line it printed."""
        while self.pid is None and self.returncode is None:
            self._take(STARTUP_TIMEOUT_S, "PID")
        if self.returncode is None:
            assert self.pid is not None
            os.kill(self.pid, signal.SIGKILL)
        return self.wait_exit()

    def kill_at_next(self, prefix: str, timeout: float = 10.0) -> list[str]:
        """SIGKILL the moment the worker next prints a line starting with ``prefix``.

        Lines already printed are skipped, so the kill lands within a fraction of a
        millisecond of the worker's acknowledgement: right after the work it reports.
        """
        self._drain()
        deadline = time.monotonic() + timeout
        while self.returncode is None and time.monotonic() < deadline:
            try:
                line = self._take(max(0.001, deadline - time.monotonic()), prefix)
            except AssertionError:
                break  # nothing within the timeout: kill it anyway, the caller checks
            if line.startswith(prefix):
                break
        return self.kill()

    def wait_exit(self, timeout: float = STARTUP_TIMEOUT_S) -> list[str]:
        """Wait until the server reports the worker's exit; every line it printed."""
        deadline = time.monotonic() + timeout
        while self.returncode is None:
            self._take(max(0.001, deadline - time.monotonic()), "EXIT")
        return list(self.lines)


@pytest.fixture
def fork_server() -> Iterator[ForkServer]:
    """A running ``crash_child.py`` fork server; its worker and itself are ended after."""
    server = ForkServer()
    yield server
    server.close()


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
