"""Talking to the central store over HTTPS: one httpx client, typed failures.

Only a response that carries the store's own header (``X-Shared-Care-Store: 1``) counts as
an answer (docs/sync-server.md); anything else — a captive portal's sign-in page, a proxy's
error page — is "offline". Certificates are verified against the system's trust store, or
only against a configured CA bundle (an NHS internal CA). The device token goes in the
``Authorization`` header and nowhere else: it is never logged or put in a message.
"""

from __future__ import annotations

import functools
import os
import ssl
import urllib.parse
from dataclasses import dataclass
from typing import Any

import httpx

from desktop_app import __version__
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.sync.errors import (
    OFFLINE,
    CertificateNotTrusted,
    ClientTooOld,
    DeviceRevoked,
    EnrolmentRefused,
    NotTheStore,
    PushNotAllowed,
    ServerUnreachable,
    StoreUnavailable,
    SyncProtocolError,
    UserDeactivated,
    user_deactivated,
)

STORE_HEADER = "X-Shared-Care-Store"
PENDING_HEADER = "X-Pending-Changes"  # the changes still waiting here, for the store's console
# The store's 401 words for a laptop whose user was deactivated (sync_server/auth.py).
USER_DEACTIVATED = "the user of this laptop has been deactivated on the central store"
API_PREFIX = "/api/v1"
SERVICE_NAME = "shared-care-store"
LOOPBACK = {"localhost", "127.0.0.1", "::1"}
TOO_OLD = "This version of Shared Care Planner is too old for the central store; please update"


@dataclass(frozen=True)
class Timeouts:
    """Seconds to wait: to connect, for each read and write, overall for a health probe."""

    connect: float = 10.0
    read: float = 120.0
    write: float = 120.0
    probe: float = 10.0


class BodyTooLarge(Exception):
    """413: the store wants a smaller batch (handled inside the client, never shown)."""


class AuditRefused(Exception):
    """409 to an audit upload: the store's answer (``detail``, ``head``, ``resend_from``),
    handled by ``sync.audit_upload``."""

    def __init__(self, answer: dict[str, Any]) -> None:
        super().__init__(answer.get("detail"))
        self.answer = answer


def normalise_server_url(url: str) -> str:
    """``https://host[:port][/path]`` without a trailing slash or ``/api/v1``.

    HTTPS always (the laptops carry patient data); plain HTTP only to this machine itself,
    for the store's SQLite trial and the tests.
    """
    text = url.strip().rstrip("/")
    if text.endswith(API_PREFIX):
        text = text[: -len(API_PREFIX)].rstrip("/")
    parts = urllib.parse.urlsplit(text)
    host = (parts.hostname or "").lower()
    if parts.scheme not in ("https", "http") or not host:
        raise ValidationError("Enter the central store's address, starting with https://",
                              field="server_url")
    if parts.scheme == "http" and host not in LOOPBACK:
        raise ValidationError("The central store's address must start with https://",
                              field="server_url")
    if parts.query or parts.fragment or parts.username or parts.password:
        raise ValidationError("Enter just the central store's address, without anything "
                              "after ? or #", field="server_url")
    return text


def tls_context(ca_bundle: str | None) -> ssl.SSLContext:
    """Verify against the system's trust store, or only against ``ca_bundle``.

    Loading a trust store takes tens of milliseconds, so a context is kept for as long as
    the bundle file is unchanged (contexts are safe to share between connections).
    """
    try:
        stamp = os.stat(ca_bundle) if ca_bundle else None
        return _cached_context(ca_bundle or None, stamp and (stamp.st_mtime_ns, stamp.st_size))
    except (OSError, ssl.SSLError) as err:
        raise ValidationError(
            "The CA bundle file cannot be read as certificates. Check the path in the sync "
            "settings.", field="ca_bundle") from err


@functools.lru_cache(maxsize=4)
def _cached_context(ca_bundle: str | None, _stamp: tuple[int, int] | None) -> ssl.SSLContext:
    return ssl.create_default_context(cafile=ca_bundle)


def _caused_by_certificate(err: BaseException) -> bool:
    seen: BaseException | None = err
    while seen is not None:
        if isinstance(seen, ssl.SSLCertVerificationError):
            return True
        seen = seen.__cause__ or seen.__context__
    return False


def _detail(response: httpx.Response) -> str | None:
    try:
        detail = response.json().get("detail")
    except (ValueError, AttributeError):
        return None
    return detail if isinstance(detail, str) else None


def too_many_codes(response: httpx.Response) -> str:
    """What to tell the person when the store refuses enrolment for a while (429)."""
    seconds = response.headers.get("Retry-After", "").strip()
    minutes = max(1, -(-int(seconds) // 60)) if seconds.isdigit() else 0
    wait = f"wait {minutes} minute{'s' if minutes != 1 else ''}" if minutes else "wait a while"
    return f"Too many wrong enrolment codes from this network; {wait} and try again."


def check_answer(response: httpx.Response) -> None:
    """Raise the typed error for anything but a 200 from the store itself."""
    if response.headers.get(STORE_HEADER) != "1":
        raise NotTheStore(
            "Something other than the central store answered (perhaps a Wi-Fi sign-in page). "
            "Sign in to the network, then sync again. Changes are kept on this laptop.")
    status = response.status_code
    if status == 200:
        return
    if status == 401:
        if _detail(response) == USER_DEACTIVATED:
            raise UserDeactivated(user_deactivated(None))
        raise DeviceRevoked(
            "The central store no longer accepts this laptop. Ask your administrator for a "
            "new enrolment code and enrol it again; changes made here are kept.")
    if status == 403:
        raise PushNotAllowed(
            "Your role cannot send changes to the central store. They are kept on this laptop.")
    if status == 413:
        raise BodyTooLarge()
    if status == 409:
        try:
            answer = response.json()
        except ValueError:
            answer = None
        raise AuditRefused(answer if isinstance(answer, dict) else {})
    if status == 426:
        raise ClientTooOld(_detail(response) or TOO_OLD)
    if status == 429:  # only enrolment answers 429: too many wrong codes lately
        raise EnrolmentRefused(_detail(response) or too_many_codes(response))
    if status == 503:
        raise StoreUnavailable(
            "The central store is not available just now. Changes are kept and sent later.")
    if status == 422:
        raise SyncProtocolError(
            "The central store did not understand this laptop's request. It has been logged; "
            "sync will try again later.")
    raise ServerUnreachable(f"The central store answered with an error ({status}). "
                            "Changes are kept and sent later.")


class StoreConnection:
    """One connection pool to the store for one sync run or enrolment.

    ``pending``, when set, goes with every request as ``X-Pending-Changes``: the changes
    this laptop still has waiting, which the store's console shows IT. The sync run sets it
    before the push and again after it, so the store keeps what was still waiting after
    the run's last request.
    """

    def __init__(self, server_url: str, *, token: str | None = None,
                 ca_bundle: str | None = None, transport: httpx.BaseTransport | None = None,
                 timeouts: Timeouts | None = None) -> None:
        self.timeouts = timeouts or Timeouts()
        self.pending: int | None = None
        base = normalise_server_url(server_url)
        headers = {"X-Client-Version": __version__, "Accept": "application/json"}
        if token:
            headers["Authorization"] = f"Bearer {token}"
        # Plain HTTP (loopback only) needs no trust store; loading one costs ~25 ms a client.
        verify: ssl.SSLContext | bool = (
            tls_context(ca_bundle) if base.startswith("https:") and transport is None else False)
        t = self.timeouts
        self._http = httpx.Client(
            base_url=base + API_PREFIX, headers=headers, transport=transport, verify=verify,
            timeout=httpx.Timeout(connect=t.connect, read=t.read, write=t.write, pool=t.connect),
            follow_redirects=False, trust_env=False)

    def __enter__(self) -> StoreConnection:
        return self

    def __exit__(self, *_exc: object) -> None:
        self.close()

    def close(self) -> None:
        """Close the connection pool."""
        self._http.close()

    def _send(self, method: str, path: str, **kwargs: Any) -> httpx.Response:
        if self.pending is not None:
            kwargs["headers"] = {**kwargs.get("headers", {}), PENDING_HEADER: str(self.pending)}
        try:
            response = self._http.request(method, path, **kwargs)
        except httpx.TransportError as err:
            if _caused_by_certificate(err):
                raise CertificateNotTrusted(
                    "The central store's certificate is not trusted by this laptop. Check "
                    "the CA bundle in the sync settings, or ask IT.") from err
            raise ServerUnreachable(OFFLINE) from err
        check_answer(response)
        return response

    def _json(self, response: httpx.Response) -> Any:
        try:
            return response.json()
        except ValueError as err:
            raise SyncProtocolError("The central store's answer could not be read; sync will "
                                    "try again later.") from err

    def health(self) -> dict[str, Any]:
        """The probe: our store (its header and name), reachable, with its database up."""
        probe = httpx.Timeout(self.timeouts.probe)
        body = self._json(self._send("GET", "/health", timeout=probe))
        if not isinstance(body, dict) or body.get("service") != SERVICE_NAME:
            raise NotTheStore("Something other than the central store answered at that "
                              "address. Check the address in the sync settings.")
        return body

    def enrol(self, code: str, device_name: str) -> dict[str, Any]:
        """Spend an enrolment code; the answer holds the device token (shown only now)."""
        body = self._json(self._send("POST", "/enrol",
                                     json={"code": code, "device_name": device_name}))
        if not isinstance(body, dict) or not isinstance(body.get("token"), str):
            raise SyncProtocolError("The central store's enrolment answer could not be read.")
        return body

    def push(self, body: bytes) -> list[dict[str, Any]]:
        """Send one batch (already encoded); the store's answers, one per change, in order."""
        response = self._send("POST", "/push", content=body,
                              headers={"Content-Type": "application/json"})
        answers = self._json(response).get("answers")
        if not isinstance(answers, list):
            raise SyncProtocolError("The central store's answer to a batch could not be read.")
        return answers

    def pull_body(self, cursor: int, limit: int) -> bytes:
        """One page of the team's changes after ``cursor``, as the store sent it (read with
        ``sync.pull.read_page``: decoding belongs with the database work, see there)."""
        return self._send("GET", "/pull", params={"cursor": cursor, "limit": limit}).content

    def audit(self, body: bytes) -> dict[str, Any]:
        """Upload audit events (already encoded; ``sync.audit_upload``); the store's answer.
        A refusal raises ``AuditRefused``."""
        response = self._send("POST", "/audit", content=body,
                              headers={"Content-Type": "application/json"})
        answer = self._json(response)
        if not isinstance(answer, dict):
            raise SyncProtocolError("The central store's answer to the audit trail could not "
                                    "be read.")
        return answer
