"""Framework releases: the IPCB publishes delegation flow and task catalogue versions on the
central store, and laptops receive the ones they lack on their next sync (issue 21).

``publish`` takes a document as uploaded (the console's form or ``shared-care-store
publish-framework``) and refuses it, with the exact reason, unless

- it is UTF-8 JSON that passes every rule the app itself applies to that kind of document
  (``scp_common.framework``: one set of rules on both sides; a flow also has to be one the
  app's wizard can show);
- its version is newer, by its numbers (hazard H-018), than every version of that kind
  shipped with the app or published here: a version once shipped or published never
  changes. The same content again is "already published" (nothing changes); other
  content under a published version is refused;
- a catalogue that would let care workers do a task that is registered-nurse only in the
  newest version in force is published only when the IPCB confirms it did approve this.

It stores the content exactly as uploaded with its SHA-256, and records
``framework_published`` (kind, version, sha256) on the console chain of the store's audit
trail, in the same transaction.

**Which versions the app ships.** The store is installed from the project's checkout
(docs/sync-server.md), which holds the app's ``resources/``: the shipped versions are read
from there (``SCP_STORE_RESOURCES`` names another folder, e.g. the resources of the app
release the laptops run). A store that cannot find them knows only the versions published
on it and says so on the console page; a laptop still never replaces a version it holds
(shipped or received), so a clash there cannot change what a laptop uses.

**What a laptop receives** (``releases_for_device``): every published release of each kind
whose version (by its numbers) is not among the ones the laptop says it holds, oldest
first, so a laptop that missed several versions gets them all, in order. The newest
version it says it holds of each kind is kept on its device row, for the console's "which
laptops hold which version".
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import functools
import json
import os
import sys
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import or_, select, text, update
from sqlalchemy.orm import Session

from scp_common.framework.catalogue_rules import task_statuses, widened
from scp_common.framework.documents import KIND_NAMES as KIND_NAMES
from scp_common.framework.documents import KINDS as KINDS
from scp_common.framework.documents import (
    VERSION_KEYS,
    CheckedDocument,
    DocumentError,
    check_document,
    sha256_text,
)
from scp_common.framework.versions import (
    MAX_CATALOGUE_VERSION_LENGTH,
    MAX_FLOW_VERSION_LENGTH,
    is_version,
    newest,
    same_version,
    version_key,
)
from sync_server import store_audit
from sync_server.config import FRAMEWORK_RESOURCES_ENV
from sync_server.models import ConsoleAccount, Device, FrameworkRelease, StoreUser, Team, utc_now

MAX_NOTE_LENGTH = 2000
PUBLISHED = "framework_published"
MAX_LENGTHS = {"flow": MAX_FLOW_VERSION_LENGTH, "catalogue": MAX_CATALOGUE_VERSION_LENGTH}
_LOCK_KEY = 0x5C9F_0021  # pg_advisory_xact_lock: one publish at a time


class PublishRefused(ValueError):
    """The document was not published; ``message`` says why in plain words.
    ``needs_confirmation``: publishing it needs the IPCB's confirmation (``widened``)."""

    def __init__(self, message: str, *, needs_confirmation: bool = False,
                 widened: Sequence[str] = ()) -> None:
        super().__init__(message)
        self.message = message
        self.needs_confirmation = needs_confirmation
        self.widened = tuple(widened)


@dataclass(frozen=True)
class Publisher:
    """Who publishes: a console account (``console``) or the command line (``cli``, with
    the operating system's user name)."""

    actor_kind: str
    account_id: str | None
    name: str


@dataclass(frozen=True)
class Shipped:
    """A version shipped with the app (in its ``resources/`` folder)."""

    kind: str
    version: str
    sha256: str
    content: str


@dataclass(frozen=True)
class Published:
    """The outcome of ``publish``: the release, and whether it was there already."""

    release: FrameworkRelease
    already: bool
    widened: tuple[str, ...] = ()


# ----------------------------------------------------------------------- shipped versions


def resources_folder() -> Path | None:
    """The app's ``resources/`` folder this store knows (module docstring), or None."""
    named = os.environ.get(FRAMEWORK_RESOURCES_ENV, "").strip()
    candidates = [Path(named)] if named else [
        Path(__file__).resolve().parents[1] / "resources",
        Path(sys.prefix) / "share" / "shared-care-planner" / "resources",
    ]
    return next((c for c in candidates if (c / "task_catalogue.json").is_file()
                 and any((c / "flows").glob("delegation_flow_*.json"))), None)


def shipped(folder: Path | None = None) -> tuple[Shipped, ...]:
    """Every version shipped with the app, flows then the catalogue, oldest first."""
    folder = folder or resources_folder()
    return _shipped(folder) if folder is not None else ()


@functools.lru_cache(maxsize=4)
def _shipped(folder: Path) -> tuple[Shipped, ...]:
    found: list[Shipped] = []
    files = [("flow", p) for p in (folder / "flows").glob("delegation_flow_*.json")]
    files.append(("catalogue", folder / "task_catalogue.json"))
    for kind, path in files:
        try:
            content = path.read_text(encoding="utf-8")
            version = str(json.loads(content)[VERSION_KEYS[kind]])
        except (OSError, ValueError, KeyError, TypeError):
            continue  # not a readable document: the app would not use it either
        found.append(Shipped(kind, version, sha256_text(content), content))
    return tuple(sorted(found, key=lambda s: (KINDS.index(s.kind), version_key(s.version))))


# ------------------------------------------------------------------------------ publish


def published(db: Session, kind: str | None = None) -> list[FrameworkRelease]:
    """The published releases (of ``kind``), by kind, oldest version first."""
    query = select(FrameworkRelease)
    if kind is not None:
        query = query.where(FrameworkRelease.kind == kind)
    rows = list(db.scalars(query))
    return sorted(rows, key=lambda r: (KINDS.index(r.kind), version_key(r.version)))


def _check(kind: str, raw: bytes | str) -> CheckedDocument:
    if kind not in KINDS:
        raise PublishRefused("Choose what the file is: a delegation flow or a task catalogue.")
    try:
        return check_document(kind, raw)
    except DocumentError as err:
        raise PublishRefused(str(err)) from None


def _lock(db: Session) -> None:
    """One publish at a time (on the SQLite trial the write lock does this)."""
    if db.get_bind().dialect.name == "postgresql":
        db.execute(text("SELECT pg_advisory_xact_lock(:key)"), {"key": _LOCK_KEY})


def _same_version(kind: str, doc: CheckedDocument, rows: Iterable[FrameworkRelease],
                  ships: Iterable[Shipped]) -> FrameworkRelease | None:
    """The release already published as this very document (None if new); PublishRefused
    when its version is shipped or published with other content."""
    name = KIND_NAMES[kind]
    for ship in ships:
        if same_version(ship.version, doc.version):
            same = ship.sha256 == doc.sha256
            raise PublishRefused(
                f"The {name} {ship.version} is shipped with the app"
                + ("; there is nothing to publish." if same else
                   " and cannot change; give the new content a new version."))
    for row in rows:
        if same_version(row.version, doc.version):
            if row.sha256 == doc.sha256:
                return row
            raise PublishRefused(f"The {name} version {row.version} is published and cannot "
                                 "change; give the new content a new version.")
    return None


def _check_newer(kind: str, version: str, rows: Sequence[FrameworkRelease],
                 ships: Sequence[Shipped]) -> None:
    latest = newest([r.version for r in rows] + [s.version for s in ships])
    if latest is not None and version_key(version) <= version_key(latest):
        raise PublishRefused(
            f"The {KIND_NAMES[kind]} version {version} is not newer than {latest}, which is "
            "already shipped or published; a new version must be newer than every one "
            "before it (compared by its numbers: 2026.10 comes after 2026.9).")


def _widened(doc: CheckedDocument, rows: Sequence[FrameworkRelease],
             ships: Sequence[Shipped]) -> tuple[str, tuple[str, ...]]:
    """The newest catalogue in force and the tasks ``doc`` widens against it."""
    previous = [(r.version, r.content) for r in rows] + [(s.version, s.content) for s in ships]
    if not previous:
        return "", ()
    version, content = max(previous, key=lambda p: version_key(p[0]))
    before = task_statuses(json.loads(content.removeprefix("\ufeff")))
    return version, tuple(widened(before, task_statuses(doc.data)))


def publish(db: Session, kind: str, raw: bytes | str, publisher: Publisher, note: str = "",
            *, confirm_widening: bool = False, folder: Path | None = None) -> Published:
    """Publish ``raw`` as the next ``kind`` version (module docstring); PublishRefused with
    the reason otherwise. Runs in the caller's transaction (``db.begin()``)."""
    note = note.strip()
    if len(note) > MAX_NOTE_LENGTH:
        raise PublishRefused(f"The note is longer than {MAX_NOTE_LENGTH} characters.")
    doc = _check(kind, raw)
    _lock(db)
    rows = published(db, kind)
    ships = [s for s in shipped(folder) if s.kind == kind]
    existing = _same_version(kind, doc, rows, ships)
    if existing is not None:
        return Published(existing, already=True)
    _check_newer(kind, doc.version, rows, ships)
    widens: tuple[str, ...] = ()
    if kind == "catalogue":
        before, widens = _widened(doc, rows, ships)
        if widens and not confirm_widening:
            raise PublishRefused(
                f"This catalogue lets care workers do tasks that are registered-nurse only "
                f"in version {before}: {', '.join(widens)}. Publish it only if the IPCB has "
                "approved this: confirm that, and publish again.",
                needs_confirmation=True, widened=widens)
    release = FrameworkRelease(kind=kind, version=doc.version, content=doc.content,
                               sha256=doc.sha256, note=note, published_at=utc_now(),
                               published_by=publisher.account_id)
    db.add(release)
    db.flush()
    detail: dict[str, object] = {"kind": kind, "version": doc.version, "sha256": doc.sha256}
    if widens:
        detail["made_delegable"] = list(widens)
    store_audit.append(db, chain=store_audit.CONSOLE_CHAIN, actor_kind=publisher.actor_kind,
                       actor_id=publisher.account_id, actor_name=publisher.name,
                       action=PUBLISHED, detail=detail)
    return Published(release, already=False, widened=widens)


# ------------------------------------------------------------------------ to the laptops


def parse_held(kind: str, text_value: str) -> list[str]:
    """The versions a laptop says it holds (comma-separated); ValueError naming one that is
    not a version."""
    held = [v.strip() for v in text_value.split(",") if v.strip()]
    for version in held:
        if not is_version(version, MAX_LENGTHS[kind]):
            raise ValueError(f"{kind}: {version[:50]!r} is not a version")
    return held


def releases_for_device(db: Session, held: dict[str, list[str]]) -> list[FrameworkRelease]:
    """The published releases whose version (by its numbers) the laptop does not hold:
    flows then catalogues, each oldest first."""
    return [row for row in published(db)
            if not any(same_version(row.version, h) for h in held.get(row.kind, []))]


def record_held(db: Session, device_id: str, held: dict[str, list[str]]) -> None:
    """Keep the newest version of each kind the laptop says it holds on its device row
    (written only when it changed). A kind it did not name is left as it was."""
    values = {f"{kind}_version": newest(held[kind]) for kind in KINDS if held.get(kind)}
    if not values:
        return
    changed = [getattr(Device, column).is_distinct_from(value)
               for column, value in values.items()]
    db.execute(update(Device).where(Device.id == device_id, or_(*changed)).values(**values))


# ------------------------------------------------------------------------- for the console


@dataclass(frozen=True)
class InForce:
    """One version of a kind, as the console lists it."""

    kind: str
    version: str
    sha256: str
    shipped: bool
    published_at: dt.datetime | None = None
    published_by: str = ""
    note: str = ""
    newest: bool = False


def in_force(db: Session, folder: Path | None = None) -> dict[str, list[InForce]]:
    """Every version of each kind, shipped and published, newest first; the newest is the
    one laptops start new delegations under once they have synced."""
    names = {account_id: name for account_id, name in db.execute(
        select(ConsoleAccount.id, ConsoleAccount.display_name))}
    listed: dict[str, list[InForce]] = {kind: [] for kind in KINDS}
    for ship in shipped(folder):
        listed[ship.kind].append(InForce(ship.kind, ship.version, ship.sha256, True))
    for row in published(db):
        by = names.get(row.published_by or "", "") if row.published_by else "the command line"
        listed[row.kind].append(InForce(row.kind, row.version, row.sha256, False,
                                        row.published_at, by or "a console account",
                                        row.note))
    for items in listed.values():
        items.sort(key=lambda i: version_key(i.version), reverse=True)
        if items:
            items[0] = dataclasses.replace(items[0], newest=True)
    return listed


@dataclass(frozen=True)
class DeviceHolding:
    """One active laptop and the versions it last said it holds."""

    team: str
    device_id: str
    device: str
    user: str
    flow_version: str | None
    catalogue_version: str | None
    last_seen_at: dt.datetime | None


@dataclass(frozen=True)
class Holdings:
    """Which active laptops hold which version: counts per version of each kind (newest
    first; None: not reported yet) and every laptop by team."""

    counts: dict[str, list[tuple[str | None, int]]]
    devices: list[DeviceHolding]


def holdings(db: Session) -> Holdings:
    """The active (not revoked) laptops' versions, for the console."""
    rows = db.execute(
        select(Team.name, Device.id, Device.name, StoreUser.name, Device.flow_version,
               Device.catalogue_version, Device.last_seen_at)
        .join(Team, Team.id == Device.team_id).join(StoreUser, StoreUser.id == Device.user_id)
        .where(Device.revoked_at.is_(None))
        .order_by(Team.name, Device.name, Device.id)).all()
    devices = [DeviceHolding(*row) for row in rows]
    counts: dict[str, list[tuple[str | None, int]]] = {}
    for kind in KINDS:
        tally: dict[str | None, int] = {}
        for device in devices:
            version = getattr(device, f"{kind}_version")
            tally[version] = tally.get(version, 0) + 1
        counts[kind] = sorted(tally.items(), key=lambda item: (
            item[0] is not None, version_key(item[0]) if item[0] else ()), reverse=True)
    return Holdings(counts, devices)
