"""What a framework version looks like, and which of two is newer.

A version is numbers joined by dots (``2026.3``), optionally followed by a hyphen and a
word (``2026.2-reconstructed``, as shipped). Versions are ordered by their numbers, never
as text: as text ``2026.10`` sorts before ``2026.2`` and an older flow would be taken for
the newest (hazard H-018). The word after the hyphen does not count in the order, so
``2026.3-draft`` and ``2026.3`` are the same version and cannot both be published.
"""

from __future__ import annotations

import re
from collections.abc import Iterable
from typing import Final

#: The longest flow version (the store's and the vault's columns hold 40 characters).
MAX_FLOW_VERSION_LENGTH: Final = 40
#: The longest catalogue version (``task_type.catalogue_version`` holds 20 characters).
MAX_CATALOGUE_VERSION_LENGTH: Final = 20
_VERSION: Final = re.compile(r"\d{1,9}(\.\d{1,9}){0,5}(-[A-Za-z0-9][A-Za-z0-9._]*)?")
VERSION_HINT: Final = ("numbers joined by dots, such as 2026.3, optionally followed by a "
                       "hyphen and a word, such as 2026.3-draft")


def version_problem(version: object, max_length: int) -> str | None:
    """Why ``version`` is not a well-formed version (None when it is one)."""
    if not isinstance(version, str) or not version.strip():
        return "is missing"
    if len(version) > max_length:
        return f"is longer than {max_length} characters"
    if not _VERSION.fullmatch(version):
        return f"is not a version: use {VERSION_HINT}"
    return None


def is_version(version: object, max_length: int = MAX_FLOW_VERSION_LENGTH) -> bool:
    """True when ``version`` is well formed (``version_problem`` finds nothing)."""
    return version_problem(version, max_length) is None


def short_version(version: str) -> str:
    """The numbers of a version, as a flow's file names it and people say it:
    ``2026.1-reconstructed`` → ``2026.1``."""
    return version.split("-", 1)[0]


def version_key(version: str) -> tuple[int, ...]:
    """``2026.10-draft`` → (2026, 10): the numbers, for ordering (H-018). A part that is not
    a number counts as -1, so a malformed version sorts before every real one."""
    return tuple(int(part) if part.isdigit() else -1
                 for part in short_version(version).split("."))


def newest(versions: Iterable[str]) -> str | None:
    """The newest of ``versions`` by their numbers (None when there are none)."""
    return max(versions, key=version_key, default=None)


def same_version(one: str, other: str) -> bool:
    """True when the two name the same version (their numbers are equal)."""
    return version_key(one) == version_key(other)
