"""Typed sync failures, each with a plain-English message safe to show and to log.

No message carries patient data or the device token. ``ServerUnreachable`` and its
subclasses mean "offline for now": every change stays waiting and the next attempt (on a
backoff timer, or when the network comes back) sends it. The others need a person: enrol
again, update the app, or ask the store's administrator.
"""

from __future__ import annotations

from desktop_app.services.core.errors import ExpectedError


class SyncError(ExpectedError):
    """Base of every sync failure a person may meet."""


class NotEnrolled(SyncError):
    """This laptop has no device token yet (or it was revoked): enrol it first."""


class ServerUnreachable(SyncError):
    """No answer from the central store (no network, timeout, refused): try again later."""


class NotTheStore(ServerUnreachable):
    """Something answered that was not the central store (a Wi-Fi sign-in page, a proxy)."""


class CertificateNotTrusted(ServerUnreachable):
    """The server's certificate did not verify against the system store or the CA bundle."""


class StoreUnavailable(ServerUnreachable):
    """The central store answered that its database is unavailable (503)."""


class DeviceRevoked(SyncError):
    """The store refused this laptop's token (401): it was revoked or is unknown."""


class UserDeactivated(SyncError):
    """The store refused this laptop because its user's account was deactivated there (401
    with the store's ``USER_DEACTIVATED`` words). Unlike a revocation the token is kept:
    once the user is reactivated the next sync sends everything that waited."""


def user_deactivated(user_name: str | None) -> str:
    """The message for ``UserDeactivated``, naming whose account it is when known."""
    who = user_name or "this laptop's user"
    return (f"The central store no longer syncs for {who}: their account was deactivated. "
            "Changes on this laptop are kept. Ask your IT service desk.")


class ClientTooOld(SyncError):
    """The store needs a newer version of the app (426); the message is the store's own."""


class EnrolmentRefused(SyncError):
    """The enrolment code was unknown, already used, expired or withdrawn."""


class PushNotAllowed(SyncError):
    """The store refused changes from this laptop's user (a read-only role, 403)."""


class SyncProtocolError(SyncError):
    """The store and this app disagree about the protocol (a bug): logged, tried later."""


class SyncAlreadyRunning(SyncError):
    """A sync of this vault is already under way; this one was not started."""


OFFLINE = "The central store cannot be reached. Changes are kept on this laptop and sent later."
