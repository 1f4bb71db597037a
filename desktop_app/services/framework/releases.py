"""The framework versions this laptop received from the IPCB, as the app uses them.

The flow and the catalogue ship with the app (``resources/``); the IPCB may publish newer
versions on the central store, which the sync keeps in the vault (``framework_release``:
the vault is encrypted, so a received version cannot be swapped on disk). The loaders of
``flow`` and ``catalogue`` read files and are cached per process; this registry is how
they see the received versions too, without touching the database themselves (the
framework rules use none):

- the vault fills it after each unlock and after each sync that received something
  (``vault.framework_releases.fill_registry``), and empties it when it closes;
- ``generation()`` changes whenever its contents change, and the loaders' caches are keyed
  on it, so nothing cached outlives a new release;
- it holds each version's text as received and checked; the loaders parse it.

One vault is open per app process, so the registry is the process's.
"""

from __future__ import annotations

import threading
from collections.abc import Iterable, Mapping
from types import MappingProxyType
from typing import Final

KINDS: Final = ("flow", "catalogue")

_lock = threading.Lock()
_held: dict[str, Mapping[str, str]] = {kind: MappingProxyType({}) for kind in KINDS}
_generation = 0


def install(releases: Iterable[tuple[str, str, str]]) -> bool:
    """Hold exactly these (kind, version, content) from now on; True when that changed what
    was held (and so the generation)."""
    wanted: dict[str, dict[str, str]] = {kind: {} for kind in KINDS}
    for kind, version, content in releases:
        wanted[kind][version] = content
    global _generation
    with _lock:
        if all(dict(_held[kind]) == wanted[kind] for kind in KINDS):
            return False
        for kind in KINDS:
            _held[kind] = MappingProxyType(wanted[kind])
        _generation += 1
        return True


def forget() -> bool:
    """Hold nothing (the vault closed); True when something was held."""
    return install(())


def received(kind: str) -> Mapping[str, str]:
    """The held versions of ``kind`` (``flow`` or ``catalogue``): version → content."""
    with _lock:
        return _held[kind]


def generation() -> int:
    """A number that changes whenever what is held changes (the loaders' cache key)."""
    with _lock:
        return _generation
