"""Central store benchmark: push throughput against PostgreSQL's own COPY, and a full pull.

Starts a throwaway PostgreSQL (the same helper as tests/sync; durable settings: fsync on)
and the real server (``python -m sync_server serve``) on loopback, enrols a laptop, then:

- pushes 10,000 synthetic person changes in batches of 1,000 through HTTP and the server
  (encoding on the laptop, validation, idempotency keys, versions, one transaction per
  batch), and COPYs the same
  10,000 rows into a table shaped like ``record`` (same indexes) in the same run; prints
  records per second of each and the ratio (goal >= 35 % of COPY);
- fills the team to 100,000 records and times a new laptop's initial pull of all of them,
  page by page as the client will (goal <= 8 s).

Rounds are repeated, interleaved, and the best of each is compared (a shared machine's best
round is its least disturbed one); every round is printed too. All data is synthetic
(999-range NHS numbers).
Needs PostgreSQL's binaries (``apt-get install postgresql-15``) and the ``server`` extra.

Run: ``python benchmarks/sync.py`` (``--rounds 5``, ``--pull-records 100000``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import sys
import tempfile
import time
import uuid
from pathlib import Path
from typing import Any

import psycopg

# The throwaway cluster and server helpers live with the tests; this script runs from anywhere.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from sync_server import admin  # noqa: E402
from sync_server.config import normalise_database_url  # noqa: E402
from sync_server.database import make_engine, make_session_factory  # noqa: E402
from tests.sync.store import (  # noqa: E402
    Laptop,
    PostgresCluster,
    StoreProcess,
    enrol_with_code,
    postgres_bin_dir,
)

BATCH = 1000
PUSHED = 10_000
GOAL_RATIO = 0.35
GOAL_PULL_S = 8.0
GIVEN = ["Margaret", "Harold", "Zoë", "Łukasz", "Aisha", "Gurpreet", "Siobhán", "Kwame"]
FAMILY = ["Smith", "Patel", "O'Brien", "Nowak", "Okafor", "Begum", "Öztürk", "Jones"]


def person_row(record_id: str, serial: int) -> dict[str, Any]:
    """A full synthetic person row, shaped like the desktop app's outbox payload."""
    return {
        "id": record_id, "version": 1, "server_version": None,
        "created_at": "2026-03-02T10:00:00+00:00", "updated_at": "2026-03-02T10:00:00+00:00",
        "updated_by": "0f3a9c1e-7d2b-4c55-9e61-2b7f4a8d9c10",
        "device_id": "5b1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f", "deleted": False,
        "nhs_number": f"999{serial:07d}"[-10:], "given_name": GIVEN[serial % len(GIVEN)],
        "family_name": FAMILY[serial % len(FAMILY)], "preferred_name": None,
        "date_of_birth": f"19{30 + serial % 60}-0{1 + serial % 9}-1{serial % 10}",
        "phone": "0116 496 0000", "address_line1": f"{serial % 300 + 1} Example Street",
        "address_line2": None, "town": "Leicester", "postcode": "LE1 5WW",
        "gp_practice_code": "C82000", "gp_practice_name": "Example Medical Practice",
        "team": "Leicester City South INT", "open_to_community_health": True,
        "eq_sex": None, "eq_ethnicity": None, "eq_religion": None, "eq_disability": None,
    }


def changes(count: int, start: int) -> list[dict[str, Any]]:
    """``count`` new-person changes with fresh ids and keys."""
    out = []
    for serial in range(start, start + count):
        record_id = str(uuid.uuid4())
        out.append({"idempotency_key": str(uuid.uuid4()), "entity_type": "person",
                    "id": record_id, "base_server_version": None,
                    "row": person_row(record_id, serial), "tombstone": False})
    return out


def push_all(laptop: Laptop, batch_list: list[list[dict[str, Any]]]) -> float:
    """Seconds to push every batch (encoding each as the laptop does, with the standard
    library, as COPY's rows are below); fails loudly unless every change was applied."""
    headers = {"Content-Type": "application/json"}
    began = time.perf_counter()
    for batch in batch_list:
        response = laptop.http.post("/push", content=json.dumps({"changes": batch}),
                                    headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"push answered {response.status_code}: {response.text[:300]}")
        answers = response.json()["answers"]
        if {a["status"] for a in answers} != {"applied"}:
            raise RuntimeError(f"unexpected answers: {answers[:3]}")
    return time.perf_counter() - began


def copy_rows(conn: psycopg.Connection, team_id: str, device_id: str,
              rows: list[dict[str, Any]], first_version: int) -> float:
    """Seconds for PostgreSQL's COPY of the same rows into a table shaped like ``record``."""
    now = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy("COPY copy_target (entity_type, id, team_id, server_version, row, "
                      "tombstone, updated_at, device_id) FROM STDIN") as copy:
            for offset, c in enumerate(rows):
                copy.write_row(("person", c["id"], team_id, first_version + offset,
                                json.dumps(c["row"]), False, now, device_id))
    return time.perf_counter() - began


def enrol_laptop(server: StoreProcess, url: str, team: str) -> Laptop:
    """A new user in ``team`` and their enrolled laptop."""
    engine = make_engine(normalise_database_url(url))
    with make_session_factory(engine).begin() as session:
        user = admin.create_user(session, team, f"Bench {uuid.uuid4().hex[:6]}", "nurse")
        code = admin.issue_enrolment_code(session, user.id)
    engine.dispose()
    return enrol_with_code(server, code)


def measure_push(cluster: PostgresCluster, laptop: Laptop, rounds: int) -> None:
    """Push vs COPY, ``rounds`` times each, interleaved; prints medians and the ratio."""
    push_rates, copy_rates = [], []
    with psycopg.connect(cluster.admin_url()) as conn:
        conn.execute("CREATE TABLE copy_target (LIKE record INCLUDING ALL)")
        conn.commit()
        for round_no in range(rounds):
            batch_list = [changes(BATCH, 1 + round_no * PUSHED + i * BATCH)
                          for i in range(PUSHED // BATCH)]
            push_rates.append(PUSHED / push_all(laptop, batch_list))
            flat = [c for batch in batch_list for c in batch]
            copy_rates.append(PUSHED / copy_rows(conn, laptop.team_id, laptop.device_id, flat,
                                                 10**12 + round_no * PUSHED))
        conn.execute("DROP TABLE copy_target")
        conn.commit()
    push_rate, copy_rate = max(push_rates), max(copy_rates)
    ratio = push_rate / copy_rate
    print(f"push {PUSHED:,} changes in batches of {BATCH:,}: {push_rate:,.0f} records/s "
          f"(rounds: {', '.join(f'{r:,.0f}' for r in push_rates)})")
    print(f"COPY of the same rows:                     {copy_rate:,.0f} records/s "
          f"(rounds: {', '.join(f'{r:,.0f}' for r in copy_rates)})")
    print(f"ratio push/COPY: {ratio:.0%} (goal >= {GOAL_RATIO:.0%}) "
          f"{'ok' if ratio >= GOAL_RATIO else 'BELOW GOAL'}")


def measure_pull(server: StoreProcess, cluster: PostgresCluster, team: str, filler: Laptop,
                 records: int, already: int, rounds: int) -> None:
    """Fill the team to ``records`` and time a new laptop pulling all of them."""
    serial = 10_000_000
    while already < records:
        count = min(BATCH, records - already)
        push_all(filler, [changes(count, serial)])
        serial += count
        already += count
    timings = []
    for _ in range(rounds):
        reader = enrol_laptop(server, cluster.store_url, team)
        began = time.perf_counter()
        pulled, _ = reader.pull_all()
        timings.append(time.perf_counter() - began)
        reader.close()
        if len(pulled) != records:
            raise RuntimeError(f"pulled {len(pulled)} of {records}")
    took = min(timings)
    print(f"initial pull of {records:,} records (pages of 1,000): {took:.2f} s "
          f"(rounds: {', '.join(f'{t:.2f}' for t in timings)}; goal <= {GOAL_PULL_S:.0f} s) "
          f"{'ok' if took <= GOAL_PULL_S else 'ABOVE GOAL'}")


def main(argv: list[str] | None = None) -> int:
    """Run both measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pull-records", type=int, default=100_000)
    args = parser.parse_args(argv)
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed (apt-get install postgresql-15)", file=sys.stderr)
        return 1
    cluster = PostgresCluster(bin_dir)
    cluster.start(durable=True)
    server = StoreProcess(cluster.store_url, Path(tempfile.mkdtemp()) / "bench-store.log")
    try:
        server.start()
        team = f"Bench INT {uuid.uuid4().hex[:6]}"
        engine = make_engine(normalise_database_url(cluster.store_url))
        with make_session_factory(engine).begin() as session:
            admin.create_team(session, team)
        engine.dispose()
        laptop = enrol_laptop(server, cluster.store_url, team)
        print(f"PostgreSQL {bin_dir.parent.name}, fsync on; server and client on loopback")
        measure_push(cluster, laptop, args.rounds)
        measure_pull(server, cluster, team, laptop, args.pull_records,
                     already=args.rounds * PUSHED, rounds=args.rounds)
        laptop.close()
    finally:
        server.stop()
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
