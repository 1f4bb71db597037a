"""The framework versions received from the IPCB, in the vault: kept, listed, and handed
to the app (``services.framework.releases``).

``keep`` stores one release exactly as received (after ``framework_fetch`` checked its
fingerprint and every rule of its kind) and never replaces a version this laptop holds,
shipped or received; a catalogue's tasks are copied into ``task_type`` as the shipped
one's are, so decisions made under it read their own version for good. ``fill_registry``
gives the app every received version (after unlock and after each sync).
"""

from __future__ import annotations

import datetime as dt
import json

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.base import utc_now
from desktop_app.models.framework_release import FrameworkRelease
from desktop_app.services.framework import releases
from desktop_app.services.framework.catalogue import parse_catalogue, shipped_catalogue
from desktop_app.services.framework.flow import shipped_flow_versions
from desktop_app.services.vault.task_types import sync_catalogue_to_db
from scp_common.framework.versions import same_version, version_key


def held(session: Session) -> dict[str, list[str]]:
    """Every version this laptop holds of each kind, shipped and received, oldest first."""
    versions = {"flow": list(shipped_flow_versions()),
                "catalogue": [shipped_catalogue().version]}
    for kind, version in session.execute(select(FrameworkRelease.kind,
                                                FrameworkRelease.version)).all():
        versions[kind].append(version)
    return {kind: sorted(found, key=version_key) for kind, found in versions.items()}


def holds(session: Session, kind: str, version: str) -> bool:
    """True when this laptop already holds ``version`` of ``kind`` (by its numbers)."""
    return any(same_version(version, mine) for mine in held(session)[kind])


def keep(session: Session, kind: str, version: str, content: str, sha256: str,
         published_at: dt.datetime) -> bool:
    """Store a checked release (False, and nothing written, when this laptop holds that
    version already: a held version is never replaced). Flushes, never commits."""
    if holds(session, kind, version):
        return False
    if kind == "catalogue":
        sync_catalogue_to_db(session, parse_catalogue(json.loads(content.removeprefix("\ufeff"))))
    session.add(FrameworkRelease(kind=kind, version=version, content=content, sha256=sha256,
                                 published_at=published_at, received_at=utc_now()))
    session.flush()
    return True


def fill_registry(session: Session) -> bool:
    """Hand every received version to the app's loaders; True when that changed them."""
    rows = session.execute(select(FrameworkRelease.kind, FrameworkRelease.version,
                                  FrameworkRelease.content)).all()
    return releases.install((kind, version, content.removeprefix("\ufeff"))
                            for kind, version, content in rows)
