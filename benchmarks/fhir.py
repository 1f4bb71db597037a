"""FHIR bulk export benchmark: 50,000 people's records exported from the store, beside COPY.

Starts a throwaway PostgreSQL 15 (tools/throwaway_store.py), makes the store's schema, and
seeds one team with 50,000 delegated people's records (``--people``) and a second with
5,000 (``--small``): each person has the rows a delegated person has (person, contact,
delegation case, support plan versions with their tasks and funding lines, consent,
clinical oversight, reviews), cloned from the delegated people of a real vault filled
through the app's services (the demo caseload's delegations in every state and
tools/sample_case.py's whole case), with fresh ids, 999-range NHS numbers and invented
names; the team's care providers and workers once. Rows go in by COPY.

Then, in the same run:

- the exporter (sync_server/fhir_export.py, exactly as the bulk endpoint's job runs it: one
  REPEATABLE READ snapshot, one streamed query, ``person_resources`` per person in the
  store's default number of mapping processes (``--processes``), NDJSON files), in a child
  process so its peak RSS is its own: people, rows and resources per second, for both
  teams (the same peak RSS for 5,000 and 50,000 people says memory stays flat in the number
  of people);
- the small team once more in one process, timed by part: the mapping with its validation,
  making the JSON lines, and the rest (reading, parsing and grouping the rows, writing the
  files), and profiled;
- ``COPY (SELECT row FROM record WHERE team_id = ... AND NOT tombstone) TO STDOUT`` of the
  same rows (the median of three, after a warm-up), and the ratio;
- the profile's functions taking the most time.

All data is synthetic. Run: ``python benchmarks/fhir.py`` (``--people 50000 --small 5000``).
Needs PostgreSQL's binaries (``apt-get install postgresql-15``) and the ``server`` extra.
"""

from __future__ import annotations

import argparse
import cProfile
import datetime as dt
import io
import json
import pstats
import resource
import secrets
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg

REPO = Path(__file__).resolve().parents[1]
# Run as a script, this file's folder comes first on the path, where this file's name would
# hide the ``fhir`` package (fhir.resources): the repository goes there instead.
sys.path[:] = [p for p in sys.path if Path(p or ".").resolve() != Path(__file__).resolve().parent]
sys.path.insert(0, str(REPO))

from sqlalchemy import select  # noqa: E402

from desktop_app.models.user import Role  # noqa: E402
from desktop_app.services.core.tracking import row_payload  # noqa: E402
from desktop_app.services.demo import seed_demo_caseload, seed_demo_delegations  # noqa: E402
from desktop_app.services.framework.identifiers import synthetic_nhs_number  # noqa: E402
from desktop_app.services.sync.entities import synced_entities  # noqa: E402
from desktop_app.services.vault import VaultStore  # noqa: E402
from scp_common.fhir.records import PERSON_ENTITY_FIELDS, SHARED_ENTITY_TYPES  # noqa: E402
from sync_server import admin, tokens  # noqa: E402
from sync_server.config import default_export_processes, normalise_database_url  # noqa: E402
from sync_server.database import make_engine, make_session_factory, upgrade  # noqa: E402
from sync_server.models import Device  # noqa: E402
from tools.sample_case import CaseSpec, build_case  # noqa: E402
from tools.throwaway_store import PostgresCluster, postgres_bin_dir  # noqa: E402
from tools.throwaway_vault import CHEAP_KDF  # noqa: E402

PASSPHRASE = "benchmark passphrase only"
CLONES = uuid.UUID("6d1b7a53-2f4e-4c36-9a51-0b7c9e2f1d22")  # uuid5 namespace of clone ids
Row = dict[str, Any]
Bundle = list[tuple[str, Row]]  # one person's (entity type, row)


# ------------------------------------------------------------------ the template people


def _person_key(entity_type: str, row: Row, plans: dict[str, str]) -> str | None:
    if entity_type == "person":
        return str(row["id"])
    if row.get("person_id"):
        return str(row["person_id"])
    return plans.get(str(row.get("plan_id")))


def template_people(folder: Path) -> tuple[list[Bundle], list[tuple[str, Row]]]:
    """Every delegated person's rows of a vault filled through the services (the people
    with a support plan), and the care providers and workers."""
    store = VaultStore(folder, kdf_cost=CHEAP_KDF)
    session = store.create("Bench Nurse", Role.TEAM_LEAD, PASSPHRASE).session
    try:
        seed_demo_caseload(session.uow, people=60)
        seed_demo_delegations(session.uow, count=60)
        build_case(session.uow, CaseSpec(serial=4001))
        rows: list[tuple[str, Row]] = []
        with session.uow.read() as db:
            for name, synced in synced_entities().items():
                if name in PERSON_ENTITY_FIELDS or name in SHARED_ENTITY_TYPES:
                    rows += [(name, row_payload(obj)) for obj in db.scalars(select(synced.model))
                             if not obj.deleted]
    finally:
        session.close()
    plans = {str(r["id"]): str(r["person_id"]) for kind, r in rows if kind == "support_plan"}
    people: dict[str, Bundle] = {}
    shared = [(kind, row) for kind, row in rows if kind in SHARED_ENTITY_TYPES]
    for kind, row in rows:
        key = _person_key(kind, row, plans) if kind in PERSON_ENTITY_FIELDS else None
        if key is not None:
            people.setdefault(key, []).append((kind, row))
    delegated = [bundle for bundle in people.values()
                 if any(kind == "support_plan" for kind, _ in bundle)
                 and any(kind == "person" for kind, _ in bundle)]
    return delegated, shared


def _swap(value: Any, ids: dict[str, str]) -> Any:
    if isinstance(value, str):
        return ids.get(value, value)
    if isinstance(value, list):
        return [_swap(v, ids) for v in value]
    if isinstance(value, dict):
        return {k: _swap(v, ids) for k, v in value.items()}
    return value


def clone(bundle: Bundle, serial: int, shared_ids: dict[str, str]
          ) -> Iterator[tuple[str, Row]]:
    """The person's rows with fresh ids (the team's providers and workers by theirs), their
    own NHS number and an invented family name."""
    ids = {str(row["id"]): str(uuid.uuid5(CLONES, f"{serial}:{row['id']}")) for _, row in bundle}
    ids.update(shared_ids)
    for kind, row in bundle:
        copy = _swap(row, ids)
        if kind == "person":
            copy["nhs_number"] = synthetic_nhs_number(serial)
            copy["family_name"] = f"Benchperson{serial}"
        yield kind, copy


# ------------------------------------------------------------------ seeding the store


def new_team(url: str, name: str) -> tuple[str, str]:
    """A team with a user and an enrolled device: (team id, device id)."""
    engine = make_engine(normalise_database_url(url))
    try:
        with make_session_factory(engine).begin() as db:
            team = admin.create_team(db, name)
            user = admin.create_user(db, team.id, f"{name} nurse", "nurse")
            device = Device(name=f"{name} laptop", team_id=team.id, user_id=user.id,
                            token_hash=tokens.digest(secrets.token_urlsafe(32)))
            db.add(device)
            db.flush()
            return team.id, device.id
    finally:
        engine.dispose()


def seed(admin_url: str, team_id: str, device_id: str, people: int, first_serial: int,
         templates: list[Bundle], shared: list[tuple[str, Row]]) -> int:
    """COPY ``people`` cloned people (and the shared rows) into ``record``; rows written."""
    now = dt.datetime.now(dt.UTC)
    version = 0
    with psycopg.connect(admin_url) as conn, conn.cursor() as cur:
        with cur.copy("COPY record (id, entity_type, team_id, server_version, row, tombstone, "
                      "updated_at, device_id) FROM STDIN") as copy:
            def put(kind: str, row: Row) -> None:
                nonlocal version
                version += 1
                copy.write_row((row["id"], kind, team_id, version, json.dumps(row), False, now,
                                device_id))

            # Each team its own providers and workers (a record's id is the store's key).
            shared_ids = {str(row["id"]): str(uuid.uuid5(CLONES, f"{team_id}:{row['id']}"))
                          for _, row in shared}
            for kind, row in shared:
                put(kind, _swap(row, shared_ids))
            for n in range(people):
                for kind, row in clone(templates[n % len(templates)], first_serial + n,
                                       shared_ids):
                    put(kind, row)
        cur.execute("UPDATE team_version_counter SET value = %s WHERE team_id = %s",
                    [version, team_id])
    with psycopg.connect(admin_url, autocommit=True) as conn:
        conn.execute("VACUUM ANALYZE record")
    return version


# ------------------------------------------------------------------ measuring


def copy_out_seconds(admin_url: str, team_id: str) -> tuple[float, int]:
    """Seconds and rows of ``COPY (SELECT row ...) TO STDOUT`` of the team's live rows."""
    rows = 0
    began = time.perf_counter()
    with psycopg.connect(admin_url) as conn, conn.cursor() as cur:
        with cur.copy("COPY (SELECT row FROM record WHERE team_id = %s AND NOT tombstone) "
                      "TO STDOUT", [team_id]) as copy:
            for data in copy:
                rows += bytes(data).count(b"\n")
    return time.perf_counter() - began, rows


def _timed(fn: Callable[..., Any], spent: list[float]) -> Callable[..., Any]:
    def wrapper(*args: Any) -> Any:
        began = time.perf_counter()
        try:
            return fn(*args)
        finally:
            spent[0] += time.perf_counter() - began
    return wrapper


def export_child(url: str, team_id: str, out: Path, processes: int,
                 profile: bool) -> dict[str, Any]:
    """(In the child process) export the team as the job does: timings and peak RSS. With
    one process the mapping and the line writing are timed (and profiled if asked)."""
    from scp_common.fhir.build import person_resources
    from scp_common.fhir.ndjson import ndjson_line
    from sync_server.fhir_export import NdjsonFiles, export_team, snapshot

    mapping, writing = [0.0], [0.0]
    timing: dict[str, Any] = {}
    if processes == 1:
        timing = {"mapper": _timed(person_resources, mapping), "line": _timed(ndjson_line, writing)}
    engine = make_engine(normalise_database_url(url))
    profiler = cProfile.Profile() if profile else None
    try:
        with make_session_factory(engine)() as db:
            began = time.perf_counter()
            if profiler is not None:
                profiler.enable()
            snapshot(db)
            tally = export_team(db, team_id, NdjsonFiles(out), processes=processes, **timing)
            if profiler is not None:
                profiler.disable()
            seconds = time.perf_counter() - began
    finally:
        engine.dispose()
    top = ""
    if profiler is not None:
        text = io.StringIO()
        pstats.Stats(profiler, stream=text).sort_stats("tottime").print_stats(14)
        top = text.getvalue()
    return {"seconds": seconds, "people": tally.people, "rows": tally.rows,
            "resources": tally.resources, "counts": tally.counts, "left_out": tally.left_out,
            "processes": processes, "mapping": mapping[0] if timing else None,
            "writing": writing[0] if timing else None,
            "bytes": sum(p.stat().st_size for p in out.glob("*.ndjson")),
            "peak_rss": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss * 1024,
            "peak_rss_mapping": resource.getrusage(resource.RUSAGE_CHILDREN).ru_maxrss * 1024,
            "profile": top}


def run_export(url: str, team_id: str, folder: Path, processes: int,
               profile: bool = False) -> dict[str, Any]:
    """The exporter in a child process of its own (its peak RSS is the export's)."""
    out = Path(tempfile.mkdtemp(dir=folder, prefix="export-"))
    args = [sys.executable, __file__, "--child", url, team_id, str(out), str(processes)]
    if profile:
        args.append("--profile")
    done = subprocess.run(args, capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the export failed:\n{done.stderr[-4000:]}")
    found: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    shutil.rmtree(out)
    return found


def report(label: str, found: dict[str, Any]) -> None:
    seconds = found["seconds"]
    mib = 2**20
    print(f"{label}: {found['people']:,} people, {found['rows']:,} rows -> "
          f"{found['resources']:,} resources ({found['bytes'] / 1e6:,.0f} MB) in {seconds:,.1f} s "
          f"({found['processes']} mapping process(es))")
    print(f"  {found['rows'] / seconds:,.0f} rows/s, {found['resources'] / seconds:,.0f} "
          f"resources/s, {found['people'] / seconds:,.0f} people/s; left out "
          f"{found['left_out']}; peak RSS {found['peak_rss'] / mib:,.0f} MiB"
          + (f" (each mapping process {found['peak_rss_mapping'] / mib:,.0f} MiB)"
             if found["processes"] > 1 else ""))
    if found["mapping"] is not None:
        other = seconds - found["mapping"] - found["writing"]
        print(f"  time: mapping and validation {found['mapping']:,.1f} s "
              f"({found['mapping'] / seconds:.0%}), JSON lines {found['writing']:,.1f} s "
              f"({found['writing'] / seconds:.0%}), the rest (reading, parsing and grouping "
              f"the rows, writing the files) {other:,.1f} s ({other / seconds:.0%})")
    print("  per type: " + ", ".join(f"{k} {v:,}" for k, v in found["counts"].items()))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--small", type=int, default=5_000)
    parser.add_argument("--processes", type=int, default=default_export_processes(),
                        help="mapping processes of the big team's export (default: the "
                             "store's default, %(default)s)")
    parser.add_argument("--child", nargs=4, metavar=("URL", "TEAM", "OUT", "PROCESSES"),
                        help=argparse.SUPPRESS)
    parser.add_argument("--profile", action="store_true", help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.child:
        url, team_id, out, processes = args.child
        print(json.dumps(export_child(url, team_id, Path(out), int(processes), args.profile)))
        return 0
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        print("PostgreSQL's binaries are needed (apt-get install postgresql-15)", file=sys.stderr)
        return 1
    cluster = PostgresCluster(bin_dir)
    cluster.start()
    try:
        with tempfile.TemporaryDirectory(prefix="scp-fhir-bench-") as tmp:
            folder = Path(tmp)
            engine = make_engine(normalise_database_url(cluster.store_url))
            upgrade(engine)
            engine.dispose()
            began = time.perf_counter()
            templates, shared = template_people(folder / "vault")
            big, big_device = new_team(cluster.store_url, "Bench big INT")
            small, small_device = new_team(cluster.store_url, "Bench small INT")
            rows = seed(cluster.admin_url(), big, big_device, args.people, 1000, templates,
                        shared)
            seed(cluster.admin_url(), small, small_device, args.small, 1000 + args.people,
                 templates, shared)
            print(f"seeded {args.people:,} + {args.small:,} people ({rows:,} rows in the big "
                  f"team; {len(templates)} template people) in "
                  f"{time.perf_counter() - began:,.0f} s")
            copy_out_seconds(cluster.admin_url(), big)  # warm-up: both read a warm cache
            profiled = run_export(cluster.store_url, small, folder, 1, profile=True)
            report(f"exporter, {args.small:,} people, one process, profiled", profiled)
            small_run = run_export(cluster.store_url, small, folder, args.processes)
            report(f"exporter, {args.small:,} people", small_run)
            big_run = run_export(cluster.store_url, big, folder, args.processes)
            report(f"exporter, {args.people:,} people", big_run)
            copies = [copy_out_seconds(cluster.admin_url(), big) for _ in range(3)]
            copy_s = statistics.median(s for s, _ in copies)
            copy_rate = copies[0][1] / copy_s
            export_rate = big_run["rows"] / big_run["seconds"]
            print(f"COPY (SELECT row ...) TO STDOUT of the same rows: {copies[0][1]:,} rows in "
                  f"{copy_s:,.2f} s, {copy_rate:,.0f} rows/s")
            print(f"ratio exporter/COPY: {export_rate / copy_rate:.1%} (rows/s)")
            print(f"peak RSS of the export: {small_run['peak_rss'] / 2**20:,.0f} MiB for "
                  f"{args.small:,} people, {big_run['peak_rss'] / 2**20:,.0f} MiB for "
                  f"{args.people:,}")
            print(f"profile of the {args.small:,}-person export in one process (own time):")
            print(profiled["profile"])
    finally:
        cluster.stop()
    return 0


if __name__ == "__main__":
    sys.exit(main())
