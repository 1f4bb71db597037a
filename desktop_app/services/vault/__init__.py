"""The encrypted vault: key file, throttled unlock, and the single keyed connection.

The names below load lazily, so small helpers here (``atomic``, ``throttle``) can be used
before the first paint without importing SQLAlchemy.
"""

from __future__ import annotations

from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    from desktop_app.services.vault.vault import (
        CreatedVault,
        SignedInUser,
        VaultSession,
        VaultStore,
    )

__all__ = ["CreatedVault", "SignedInUser", "VaultSession", "VaultStore"]


def __getattr__(name: str) -> Any:
    if name in __all__:
        from desktop_app.services.vault import vault

        return getattr(vault, name)
    raise AttributeError(name)
