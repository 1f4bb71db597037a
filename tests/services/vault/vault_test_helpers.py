"""Plain helpers shared by the vault tests (fixtures live in this folder's conftest.py)."""

from __future__ import annotations

import hashlib
import json
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app.services.vault.keyfile import RECOVERY_ALPHABET
from desktop_app.services.vault.vault import ATTEMPTS_NAME, KEY_NAME
from tests.support import PASSPHRASE, TEST_KDF, USER_NAME  # noqa: E402,F401  (re-exported)

# Eight groups of four characters from Crockford's base32 alphabet (no I, L, O or U).
RECOVERY_CODE_RE = re.compile(rf"^[{RECOVERY_ALPHABET}]{{4}}(?:-[{RECOVERY_ALPHABET}]{{4}}){{7}}$")
SQLITE_PLAIN_HEADER = b"SQLite format 3\x00"
OTHER_PASSPHRASE = "second user's own passphrase"
NEW_PASSPHRASE = "a brand new passphrase for this test"


class FakeClock:
    """A clock the test moves by hand: the throttle never waits in real time."""

    def __init__(self, start: float = 1_000_000.0) -> None:
        self.now = start

    def __call__(self) -> float:
        return self.now

    def advance(self, seconds: float) -> None:
        self.now += seconds


@dataclass(frozen=True)
class FileState:
    """What a file looked like: content digest, size, modification time and mode."""

    sha256: str
    size: int
    mtime_ns: int
    mode: int


def _key_file_without_counter(raw: bytes) -> str | None:
    """The digest of a (format 2) key file's content less its wrong-passphrase counter and
    checksum; None when it is not such a file (damaged, or format 1)."""
    try:
        body = json.loads(raw)
        body.pop("attempts")
        body.pop("checksum")
    except (ValueError, AttributeError, KeyError, TypeError):
        return None
    return hashlib.sha256(json.dumps(body, sort_keys=True).encode()).hexdigest()


def snapshot(folder: Path, *, ignore: tuple[str, ...] = (ATTEMPTS_NAME,)) -> dict[str, FileState]:
    """Every file under ``folder`` (recursively) except the throttle counter.

    Comparing two snapshots shows that nothing was created, deleted, rewritten or touched:
    a rewrite with identical bytes still changes ``mtime_ns``. The key file, whose counter
    a wrong attempt rewrites, is compared by its content less the counter (a damaged or
    format-1 key file, which no attempt may rewrite, byte for byte).
    """
    state: dict[str, FileState] = {}
    for path in sorted(folder.rglob("*")):
        if not path.is_file() or path.name.startswith(ignore):
            continue
        stat = path.stat()
        raw = path.read_bytes()
        kept = _key_file_without_counter(raw) if path.name == KEY_NAME else None
        if kept is not None:
            state[path.relative_to(folder).as_posix()] = FileState(kept, 0, 0, stat.st_mode)
            continue
        digest = hashlib.sha256(raw).hexdigest()
        state[path.relative_to(folder).as_posix()] = FileState(
            digest, stat.st_size, stat.st_mtime_ns, stat.st_mode
        )
    return state


@dataclass
class DeriveCalls:
    """Every Argon2id derivation the key file module ran: (secret, parameters)."""

    calls: list[tuple[str, Any]] = field(default_factory=list)

    @property
    def count(self) -> int:
        return len(self.calls)
