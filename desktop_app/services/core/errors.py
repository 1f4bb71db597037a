"""Typed errors in two tiers.

``ExpectedError`` and its subclasses are failures a person can meet in normal use (a
wrong passphrase, a full disk, an invalid NHS number). Each carries a plain-English
message safe to show and to log: it never contains patient data. Anything else that
escapes a service is a bug and goes to the crash handler.
"""

from __future__ import annotations


class ExpectedError(Exception):
    """A failure the user can understand and act on; ``str(err)`` is the message."""

    def __init__(self, message: str) -> None:
        super().__init__(message)
        self.message = message


class VaultError(ExpectedError):
    """Base for problems opening or using the encrypted vault."""


class VaultNotFound(VaultError):
    """No vault exists in the data folder yet."""


class VaultAlreadyExists(VaultError):
    """Setup was asked for, but a vault is already there (it is never overwritten)."""


class WrongPassphrase(VaultError):
    """The passphrase or recovery code did not unlock the key."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnlockThrottled(VaultError):
    """Too many wrong attempts: the next one is allowed after ``retry_after`` seconds."""

    def __init__(self, message: str, retry_after: float) -> None:
        super().__init__(message)
        self.retry_after = retry_after


class UnknownUser(VaultError):
    """The chosen user has no key in this vault."""


class KeyFileCorrupt(VaultError):
    """The key file cannot be read; the database is left untouched."""


class DatabaseUnreadable(VaultError):
    """The key was accepted but the database does not open with it, or is damaged."""


class VaultLocked(VaultError):
    """Work reached the vault after it was locked; nothing was read or changed."""


class StorageError(ExpectedError):
    """The disk is full, read-only or not permitted."""


class ValidationError(ExpectedError):
    """Input that breaks a rule; ``field`` names the field when there is one."""

    def __init__(self, message: str, field: str | None = None) -> None:
        super().__init__(message)
        self.field = field


class NotFound(ExpectedError):
    """A record asked for does not exist (or was deleted)."""


class PermissionDenied(ExpectedError):
    """The signed-in user's role does not allow this action."""


class ImmutableRecord(ExpectedError):
    """An issued record (a support plan version) cannot be changed; make a new version."""


class InternalError(Exception):
    """A broken invariant: a bug, reported by the crash handler, never shown as routine."""
