"""The encrypted vault: key file, throttled unlock, and the single keyed connection."""

from desktop_app.services.vault.vault import (
    CreatedVault,
    SignedInUser,
    VaultSession,
    VaultStore,
)

__all__ = ["CreatedVault", "SignedInUser", "VaultSession", "VaultStore"]
