"""Slowing down repeated wrong passphrases, with a counter that survives restarts.

The counter lives in its own small file, never in the key file or the database, so a
wrong passphrase changes neither of those. Restarting the app does not reset it.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop_app.services.core.atomic import write_atomic

FREE_ATTEMPTS = 3
MAX_DELAY_SECONDS = 300.0
DAMAGED_FAILURES = 12


def delay_after(failures: int) -> float:
    """Seconds to wait after ``failures`` consecutive wrong attempts.

    Three typos are free; then 2, 4, 8, ... seconds, capped at five minutes.
    """
    if failures < FREE_ATTEMPTS:
        return 0.0
    return min(MAX_DELAY_SECONDS, 2.0 ** (failures - FREE_ATTEMPTS + 1))


@dataclass
class UnlockThrottle:
    """Reads and updates the failure counter file beside the vault."""

    path: Path
    clock: Callable[[], float] = time.time

    def _load(self) -> tuple[int, float]:
        try:
            data = json.loads(self.path.read_text(encoding="utf-8"))
            return int(data["failures"]), float(data["not_before"])
        except FileNotFoundError:
            return 0, 0.0
        except (OSError, ValueError, KeyError, TypeError):
            # A damaged counter must not become a way to reset it: it is rewritten once as
            # maximal, so the full wait applies and then ends.
            return self._write(DAMAGED_FAILURES, MAX_DELAY_SECONDS)

    def _write(self, failures: int, delay: float) -> tuple[int, float]:
        not_before = self.clock() + delay
        payload = {"failures": failures, "not_before": not_before}
        write_atomic(self.path, json.dumps(payload).encode("utf-8"))
        return failures, not_before

    @property
    def failures(self) -> int:
        """Consecutive wrong attempts so far."""
        return self._load()[0]

    def wait_remaining(self) -> float:
        """Seconds until the next attempt is allowed (0 when it is allowed now)."""
        return max(0.0, self._load()[1] - self.clock())

    def record_failure(self) -> float:
        """Count one more wrong attempt; returns the wait before the next one."""
        failures = self._load()[0] + 1
        delay = delay_after(failures)
        self._write(failures, delay)
        return delay

    def reset(self) -> None:
        """Forget past failures after a successful unlock."""
        if self.path.exists():
            self.path.unlink()
