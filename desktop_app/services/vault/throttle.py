"""Slowing down repeated wrong passphrases, with a counter that survives restarts.

The counter lives inside the key file (``keyfile.Attempts``), under its checksum: deleting
it, or editing it without fixing the checksum, makes the key file "damaged" (nothing
opens until it is restored), never "no failures". A counter missing from a format-2 file
whose checksum holds (someone removed it and fixed the checksum) counts as many failures,
written once so the full wait applies and then ends. A wrong attempt therefore rewrites
the key file, atomically (``keyfile.write_key_file``), changing only the counter.

Besides the consecutive ``failures`` the counter keeps ``total``, every wrong attempt ever
(it only grows). The witness (``services.vault.witness``) records both under the audit
key's MAC at each successful unlock, so a counter wound back below those totals, even with
the checksum fixed, is noticed and reported at the next successful sign-in. What cannot be
told on the laptop: a counter set back to exactly the state witnessed at the last sign-in,
or an older copy of the whole key file put back (no key is at hand when an attempt fails,
so nothing can seal the counter then). The counter slows guessing at the sign-in screen and
stops deleting a file from resetting it; against someone with the files, the defence is
Argon2id's cost and the passphrase itself.

An ``unlock-attempts.json`` left by an older version is taken in once (the higher count
wins; a damaged one counts as many failures) and removed.
"""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from desktop_app.services.core.errors import VaultNotFound
from desktop_app.services.vault import keyfile
from desktop_app.services.vault.keyfile import Attempts, KeyFile

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


def _legacy_failures(path: Path) -> tuple[int, float] | None:
    """(failures, not_before) from an older version's counter file; None when there is
    none; a damaged one counts as many failures (never as none)."""
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        return int(data["failures"]), float(data["not_before"])
    except FileNotFoundError:
        return None
    except (OSError, ValueError, KeyError, TypeError):
        return DAMAGED_FAILURES, -1.0  # not_before: from now, set by the caller


@dataclass
class UnlockThrottle:
    """Reads and updates the counter in the key file at ``key_path``."""

    key_path: Path
    legacy_path: Path
    clock: Callable[[], float] = time.time

    def read(self) -> tuple[KeyFile, Attempts]:
        """The key file and its counter, after taking in an older version's counter file
        or treating a missing counter as many failures (either writes the key file once).
        Raises VaultNotFound, KeyFileCorrupt or StorageError."""
        try:
            kf = keyfile.read_key_file(self.key_path)
        except FileNotFoundError:
            raise VaultNotFound("No vault has been set up on this laptop yet.") from None
        attempts = kf.attempts
        changed = False
        if attempts is None:
            if kf.format_version >= 2:  # removed from under the checksum: many failures
                # (the total as last witnessed: the failures not matching it, the next
                # successful sign-in reports the counter as changed)
                attempts = Attempts(DAMAGED_FAILURES, self.clock() + MAX_DELAY_SECONDS,
                                    kf.witness.attempts_total if kf.witness else 0)
                changed = True
            else:
                attempts = Attempts()
        legacy = _legacy_failures(self.legacy_path)
        if legacy is not None:
            failures, not_before = legacy
            if not_before < 0:
                not_before = self.clock() + MAX_DELAY_SECONDS
            if failures > attempts.failures:
                # Counted into the total too: the witness's check (total grown by as much
                # as the failures) still holds for the attempts the old file counted.
                attempts = Attempts(failures, max(not_before, attempts.not_before),
                                    attempts.total + failures - attempts.failures)
            changed = True
        if changed:
            kf = replace(kf, attempts=attempts)
            keyfile.write_key_file(self.key_path, kf)
        if legacy is not None:
            self.legacy_path.unlink(missing_ok=True)
        return kf, attempts

    @property
    def failures(self) -> int:
        """Consecutive wrong attempts so far."""
        return self.read()[1].failures

    @property
    def total(self) -> int:
        """Every wrong attempt counted in this key file."""
        return self.read()[1].total

    def wait_remaining(self) -> float:
        """Seconds until the next attempt is allowed (0 when it is allowed now)."""
        return max(0.0, self.read()[1].not_before - self.clock())

    def record_failure(self) -> float:
        """Count one more wrong attempt (the key file is rewritten, only its counter
        changed); returns the wait before the next one."""
        kf, attempts = self.read()
        failures = attempts.failures + 1
        delay = delay_after(failures)
        counted = Attempts(failures, self.clock() + delay, attempts.total + 1)
        keyfile.write_key_file(self.key_path, replace(kf, attempts=counted))
        return delay

    def reset(self) -> None:
        """Forget past failures (the total stays): the vault does this in the same write
        as the successful unlock's witness; tools may call it on their own."""
        kf, attempts = self.read()
        if attempts.failures or attempts.not_before:
            cleared = Attempts(0, 0.0, attempts.total)
            keyfile.write_key_file(self.key_path, replace(kf, attempts=cleared))
