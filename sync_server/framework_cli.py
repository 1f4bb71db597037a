"""``shared-care-store publish-framework``: the IPCB's publishing, for scripts.

    shared-care-store publish-framework --kind flow delegation_flow_2026.3.json --note "..."
    shared-care-store publish-framework --kind catalogue task_catalogue_2026.3.json \\
        [--confirm-widening]

The same checks and the same audit event as the console's form (sync_server/framework.py),
with the operating system's user name as the actor. Exit status 0 when published (or the
very same document was already), 1 with the reason when refused.
"""

from __future__ import annotations

import argparse
import getpass
import sys
from pathlib import Path

from sqlalchemy.orm import Session

from sync_server import framework
from sync_server.config import Settings
from sync_server.database import make_engine, make_session_factory

COMMAND = "publish-framework"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the store's command line."""
    publish = sub.add_parser(COMMAND, help="publish a new delegation flow or task catalogue "
                             "version for the laptops (they receive it on their next sync)")
    publish.add_argument("--kind", required=True, choices=framework.KINDS)
    publish.add_argument("file", type=Path, help="the JSON document")
    publish.add_argument("--note", default="", help="what changed, for the console's list")
    publish.add_argument("--confirm-widening", action="store_true",
                         help="the IPCB approved letting care workers do tasks that are "
                              "registered-nurse only in the version in force")


def _publisher() -> framework.Publisher:
    try:
        name = getpass.getuser()
    except (KeyError, OSError):
        name = "unknown"
    return framework.Publisher("cli", None, name[:200])


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Publish the file; print what happened (module docstring)."""
    try:
        raw = args.file.read_bytes()
    except OSError as exc:
        print(f"error: cannot read {args.file}: {exc.strerror}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    try:
        with make_session_factory(engine).begin() as db:
            outcome = _publish(db, args, raw)
    except framework.PublishRefused as refused:
        print(f"error: {refused.message}", file=sys.stderr)
        return 1
    finally:
        engine.dispose()
    release = outcome.release
    name = framework.KIND_NAMES[release.kind]
    if outcome.already:
        print(f"the {name} {release.version} is already published (sha256 {release.sha256}); "
              "nothing changed")
    else:
        print(f"published the {name} {release.version} (sha256 {release.sha256}); laptops "
              "receive it on their next sync")
    return 0


def _publish(db: Session, args: argparse.Namespace, raw: bytes) -> framework.Published:
    return framework.publish(db, args.kind, raw, _publisher(), args.note,
                             confirm_widening=args.confirm_widening)
