"""Receiving the flow and catalogue versions the IPCB published, after the pull of each run.

The laptop names every version it holds (shipped with the app or received before) and the
store answers with each published one it lacks, oldest first (``GET /api/v1/framework``,
docs/sync-server.md). Each is checked here again before it is kept, with the same rules the
store applied (``scp_common.framework``): its SHA-256 must match its content, the content
must pass every rule of its kind (a flow must be one this app's wizard can show) and call
itself the version the store named. One that fails is not kept and the run says so; the
others are kept, and the rest of the run goes on. A version this laptop holds is never
replaced (``vault.framework_releases.keep``).

What was kept is handed to the app at once (``fill_registry``): new delegations start under
the newest flow and are offered the newest catalogue; a draft keeps the flow it started
under, and decisions already made read their own versions. When something was kept the
laptop names its versions once more, so the store's console shows what it holds now.

Whatever goes wrong with this step (the store unreachable, an answer that cannot be read),
the run's pushes and pulls stand; the summary says the versions could not be fetched.
"""

from __future__ import annotations

import datetime as dt
import logging
from collections.abc import Callable
from dataclasses import dataclass
from functools import partial
from typing import Any

from sqlalchemy.orm import Session

from desktop_app.services.sync.errors import SyncError, SyncProtocolError
from desktop_app.services.sync.transport import StoreConnection
from desktop_app.services.vault import framework_releases
from scp_common.framework.documents import KIND_NAMES, DocumentError, check_release
from scp_common.framework.versions import short_version

log = logging.getLogger(__name__)
Write = Callable[[Callable[[Session], Any]], Any]

NOT_FETCHED = ("The IPCB's new framework versions could not be fetched this time; the app goes "
               "on with the versions it has, and the next sync tries again.")
_UNREADABLE = "The central store's list of framework versions could not be read."


@dataclass(frozen=True)
class Release:
    """One release as the store sent it (not yet checked)."""

    kind: str
    version: str
    sha256: str
    content: str
    published_at: dt.datetime


def received_words(kind: str, version: str) -> str:
    """The Sync screen's line for a release kept."""
    return f"Received {KIND_NAMES[kind]} {short_version(version)} from the IPCB."


def refused_words(kind: str, version: str, reason: str) -> str:
    """The Sync screen's line for a release refused."""
    return (f"The {KIND_NAMES.get(kind, 'framework document')} {short_version(version)} from "
            f"the central store was not used: {reason} The app goes on with the versions it "
            "has; tell your IT service desk.")


def _ask(conn: StoreConnection, held: dict[str, list[str]]) -> list[Release]:
    """The store's answer: the releases this laptop lacks. (``StoreConnection._send`` is the
    one way to the store that checks every answer as the other requests do.)"""
    response = conn._send("GET", "/framework", params={
        "flow": ",".join(held["flow"]), "catalogue": ",".join(held["catalogue"])})
    try:
        body = response.json()
        return [Release(str(r["kind"]), str(r["version"]), str(r["sha256"]),
                        str(r["content"]), dt.datetime.fromisoformat(str(r["published_at"])))
                for r in body["releases"]]
    except (ValueError, KeyError, TypeError) as err:
        raise SyncProtocolError(_UNREADABLE) from err


def _keep(release: Release, session: Session) -> bool:
    published = release.published_at
    if published.tzinfo is None:
        published = published.replace(tzinfo=dt.UTC)
    return framework_releases.keep(session, release.kind, release.version, release.content,
                                   release.sha256, published)


def fetch_framework(conn: StoreConnection, write: Write) -> tuple[str, ...]:
    """Fetch, check and keep what the IPCB published (module docstring); the lines for the
    Sync screen, one per release kept or refused. Raises only the run-stopping errors
    (``SyncError`` subclasses); the caller decides which of those stop the run."""
    held: dict[str, list[str]] = write(framework_releases.held)
    lines: list[str] = []
    kept = False
    for release in _ask(conn, held):
        if release.kind not in KIND_NAMES:
            continue  # a kind this app does not know: left for a newer app
        try:
            check_release(release.kind, release.version, release.content, release.sha256)
            if write(partial(_keep, release)):
                kept = True
                lines.append(received_words(release.kind, release.version))
        except (DocumentError, ValueError) as err:
            log.warning("a framework release from the store was refused: %s %s",
                        release.kind, release.version)
            lines.append(refused_words(release.kind, release.version, str(err)))
    if kept:
        write(framework_releases.fill_registry)
        _ask(conn, write(framework_releases.held))  # the store now sees what this one holds
    return tuple(lines)


def fetch_or_say_why(conn: StoreConnection, write: Write,
                     stopping: tuple[type[SyncError], ...]) -> tuple[str, ...]:
    """``fetch_framework``, with any failure but the ``stopping`` ones turned into a line
    for the Sync screen (the run's records stand)."""
    try:
        return fetch_framework(conn, write)
    except stopping:
        raise
    except SyncError as err:
        log.warning("the framework versions could not be fetched (%s)", type(err).__name__)
        return (NOT_FETCHED,)
