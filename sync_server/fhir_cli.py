"""``shared-care-store export-fhir``: a team's FHIR export from the command line (issue 22).

    shared-care-store export-fhir --team "City South INT" --out /srv/exports/city-south
    shared-care-store export-fhir --team "City South INT" --out DIR --type Patient,CarePlan

The same exporter as the bulk endpoint (sync_server/fhir_export.py: one snapshot, one
NDJSON file per resource type, ``<Type>.ndjson``), written into ``DIR`` (made 0700 if
missing; each file 0600; a folder that already holds an export's file is refused). Audited
on the console chain of the store's audit trail as ``fhir_exported`` (the team, the types,
the counts), with the operating system's user as the actor; if that cannot be recorded the
files are deleted again. Exit status 0 when written, 1 with the reason otherwise.
"""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from sqlalchemy.orm import Session, sessionmaker

from sync_server import admin
from sync_server.config import Settings
from sync_server.console.commands import audit_cli
from sync_server.database import make_engine, make_session_factory
from sync_server.fhir_export import (
    ERROR_TYPE,
    EXPORT_TYPES,
    NdjsonFiles,
    Tally,
    count_people,
    export_team,
    processes_for,
    snapshot,
)

COMMAND = "export-fhir"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    """Add the command to the store's command line."""
    export = sub.add_parser(COMMAND, help="write a team's records as FHIR R4 NDJSON files "
                            "(one per resource type) into a folder")
    export.add_argument("--team", required=True, help="team name or id")
    export.add_argument("--out", required=True, type=Path,
                        help="the folder to write into (made 0700 if missing); keep it on "
                             "encrypted storage readable by you only")
    export.add_argument("--type", default="", help="only these resource types, "
                        f"comma-separated ({', '.join(EXPORT_TYPES)})")


def _types(text: str) -> tuple[str, ...] | None:
    asked = [t.strip() for t in text.split(",") if t.strip()]
    unknown = sorted(set(asked) - set(EXPORT_TYPES))
    if unknown:
        raise ValueError(f"this store does not export {', '.join(unknown)}; it exports "
                         f"{', '.join(EXPORT_TYPES)}")
    return tuple(t for t in EXPORT_TYPES if t in asked) or None


def _folder(out: Path) -> NdjsonFiles:
    out.mkdir(mode=0o700, parents=True, exist_ok=True)
    files = NdjsonFiles(out)
    taken = [kind for kind in (*EXPORT_TYPES, ERROR_TYPE) if files.path(kind).exists()]
    if taken:
        raise ValueError(f"{out} already holds an export ({taken[0]}.ndjson); choose an empty "
                         "folder")
    return files


def _export(factory: sessionmaker[Session], team_id: str, files: NdjsonFiles,
            types: tuple[str, ...] | None, most: int) -> Tally:
    with factory() as db:
        snapshot(db)
        try:
            processes = processes_for(count_people(db, team_id), most)
            return export_team(db, team_id, files, types=types, processes=processes)
        except BaseException:
            files.remove()
            raise


def run(args: argparse.Namespace, settings: Settings) -> int:
    """Export the team into the folder; print what was written (module docstring)."""
    if settings.is_trial:
        print("error: the FHIR export needs the store's PostgreSQL database", file=sys.stderr)
        return 1
    try:
        types = _types(args.type)
        files = _folder(args.out)
    except (ValueError, OSError) as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    engine = make_engine(settings.database_url, transaction_pooling=settings.transaction_pooling)
    try:
        factory = make_session_factory(engine)
        with factory() as db:
            team = admin.find_team(db, args.team)
            team_id, team_name = team.id, team.name
        tally = _export(factory, team_id, files, types, settings.export_processes)
        try:
            with factory.begin() as db:
                audit_cli(db, "fhir_exported", detail={
                    "team": team_name, "team_id": team_id, "types": list(types or ()) or "all",
                    "counts": tally.counts, "people": tally.people, "left_out": tally.left_out})
        except BaseException:
            files.remove()  # never an export the audit trail does not show
            raise
    finally:
        engine.dispose()
    for kind, count in tally.counts.items():
        print(f"{files.path(kind)}: {count:,}")
    if tally.left_out:
        print(f"{tally.left_out} person(s) could not be exported: see {ERROR_TYPE}.ndjson")
    print(f"exported {tally.people:,} people of {team_name} ({tally.resources:,} resources)")
    return 0
