"""Central store benchmark: push throughput against PostgreSQL's own COPY, and a full pull.

Starts a throwaway PostgreSQL (tools/throwaway_store.py, as the store tests do; durable
settings: fsync on) and the real server (``python -m sync_server serve``) on loopback, enrols
a laptop, then:

- pushes 10,000 synthetic person changes in batches of 1,000 through HTTP and the server
  (encoding on the laptop, validation, idempotency keys, versions, one transaction per
  batch; two batches on the wire at once, as the client sends them), and COPYs the same
  10,000 rows into a copy of ``record`` (same columns, indexes and foreign key) in the same
  run; prints
  records per second of each and the ratio (goal >= 35 % of COPY);
- fills the team to 100,000 records and times a new laptop's initial pull of all of them,
  page by page as the client will (goal <= 8 s).

Then the same through the desktop sync client (``desktop_app.services.sync``) on real
encrypted vaults, each figure beside its limit measured in the same run:

- a vault holding 10,000 unsent people (10,000 outbox entries) pushes them in batches of
  1,000 (read from the outbox, sent, answers marked, each row's version recorded), against
  a bare HTTP push of the same rows as ready batches (goal >= 90 %) and COPY of the same
  rows (goal >= 45 %);
- a fresh vault's first sync pulls the team's records into the vault, against the bare
  pull of the same records (pages of 5,000 one after another, each decoded; goal <= 1.6x),
  at 25,000, 50,000 and 100,000 records (``--growth``): the cost a record must not grow
  with the team (no worse than linear, within 10 % for a shared machine's noise);
- the peak RSS of a process whose only work is a first sync, at 50,000 and 200,000 records
  (``--rss-records``): flat in the number of records (within 15 %).

Rounds are repeated, interleaved, and the best of each is compared (a shared machine's best
round is its least disturbed one); every round is printed too. All data is synthetic
(999-range NHS numbers).
Needs PostgreSQL's binaries (``apt-get install postgresql-15``) and the ``server`` extra.

Run: ``python benchmarks/sync.py`` (``--rounds 5``, ``--pull-records 100000``; ``--client-only``
skips the store's own figures: raw push against COPY and the pull in pages of 1,000).
"""

from __future__ import annotations

import argparse
import datetime as dt
import json
import resource
import subprocess
import sys
import tempfile
import time
import uuid
from collections import deque
from collections.abc import Iterator
from concurrent.futures import Future, ThreadPoolExecutor
from contextlib import contextmanager
from pathlib import Path
from typing import Any

import psycopg

# The throwaway cluster and server come from tools/; this script runs from anywhere.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop_app.models.person import Person  # noqa: E402
from desktop_app.models.user import Role  # noqa: E402
from desktop_app.services import sync as sync_client  # noqa: E402
from desktop_app.services.framework.identifiers import synthetic_nhs_number  # noqa: E402
from desktop_app.services.vault import VaultSession, VaultStore  # noqa: E402
from sync_server import admin, admin_codes  # noqa: E402
from sync_server.config import normalise_database_url  # noqa: E402
from sync_server.database import make_engine, make_session_factory  # noqa: E402
from tools.throwaway_store import (  # noqa: E402
    Laptop,
    PostgresCluster,
    StoreProcess,
    enrol_with_code,
    postgres_bin_dir,
)
from tools.throwaway_vault import CHEAP_KDF  # noqa: E402

BATCH = 1000
IN_FLIGHT = sync_client.SyncOptions().in_flight  # batches on the wire at once
PUSHED = 10_000
GOAL_RATIO = 0.35
GOAL_PULL_S = 8.0
GOAL_CLIENT_OF_BARE = 0.90  # the client's push against a bare HTTP push of ready batches
GOAL_CLIENT_OF_COPY = 0.45
GOAL_SYNC_OF_PULL = 1.6  # a first sync against the bare pull of the same records
GOAL_RSS_GROWTH = 0.15  # peak RSS of a first sync at 200,000 records against 50,000
GROWTH_NOISE = 0.10  # a record's cost at the largest size over the smallest's, at most
PULL_PAGE = sync_client.SyncOptions().pull_limit
GIVEN = ["Margaret", "Harold", "Zoë", "Łukasz", "Aisha", "Gurpreet", "Siobhán", "Kwame"]
FAMILY = ["Smith", "Patel", "O'Brien", "Nowak", "Okafor", "Begum", "Öztürk", "Jones"]


def person_row(record_id: str, serial: int) -> dict[str, Any]:
    """A full synthetic person row, shaped like the desktop app's outbox payload (every
    column of ``person``, so the client applies it as it would a laptop's)."""
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
        "communication_needs": None, "eq_disability": None, "eq_gender_reassignment": None,
        "eq_marriage_civil_partnership": None, "eq_pregnancy_maternity": None,
        "eq_ethnicity": None, "eq_religion_belief": None, "eq_sex": None,
        "eq_sexual_orientation": None,
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
    """Seconds to push every batch the way the desktop client does: each one encoded on the
    laptop (with the standard library, as COPY's rows are below) while up to ``IN_FLIGHT``
    others, with no record in common, are on the wire. Fails loudly unless every change
    was applied."""
    headers = {"Content-Type": "application/json"}

    def send(body: str) -> None:
        response = laptop.http.post("/push", content=body, headers=headers)
        if response.status_code != 200:
            raise RuntimeError(f"push answered {response.status_code}: {response.text[:300]}")
        answers = response.json()["answers"]
        if {a["status"] for a in answers} != {"applied"}:
            raise RuntimeError(f"unexpected answers: {answers[:3]}")

    began = time.perf_counter()
    with ThreadPoolExecutor(IN_FLIGHT) as wire:
        flying: deque[Future[None]] = deque()
        for batch in batch_list:
            body = json.dumps({"changes": batch})
            if len(flying) >= IN_FLIGHT:
                flying.popleft().result()
            flying.append(wire.submit(send, body))
        for reply in flying:
            reply.result()
    return time.perf_counter() - began


@contextmanager
def copy_target(cluster: PostgresCluster) -> Iterator[psycopg.Connection]:
    """A superuser connection with the table COPY fills, dropped afterwards: ``record``
    again, with its columns, indexes and constraints (LIKE copies all but the foreign key
    to ``team``, which every row of ``record`` is checked against too, so it is added)."""
    with psycopg.connect(cluster.admin_url()) as conn:
        conn.execute("CREATE TABLE copy_target (LIKE record INCLUDING ALL)")
        conn.execute("ALTER TABLE copy_target ADD FOREIGN KEY (team_id) REFERENCES team (id)")
        conn.commit()
        yield conn
        conn.execute("DROP TABLE copy_target")
        conn.commit()


def copy_rows(conn: psycopg.Connection, team_id: str, device_id: str,
              rows: list[dict[str, Any]], first_version: int) -> float:
    """Seconds for PostgreSQL's COPY of the same rows into ``copy_target``."""
    now = dt.datetime.now(dt.UTC)
    began = time.perf_counter()
    with conn.transaction(), conn.cursor() as cur:
        with cur.copy("COPY copy_target (entity_type, id, team_id, server_version, row, "
                      "tombstone, updated_at, device_id) FROM STDIN") as copy:
            for offset, c in enumerate(rows):
                copy.write_row(("person", c["id"], team_id, first_version + offset,
                                json.dumps(c["row"]), False, now, device_id))
    return time.perf_counter() - began


def _rounds(rates: list[float]) -> str:
    return ", ".join(f"{r:,.0f}" for r in rates)


def against_copy(heading: str, name: str, push_rates: list[float], copy_rates: list[float]
                 ) -> float:
    """Print the best push and COPY rates, every round, and their ratio; the best push."""
    push_rate, copy_rate = max(push_rates), max(copy_rates)
    ratio = push_rate / copy_rate
    print(f"{heading} {push_rate:,.0f} records/s (rounds: {_rounds(push_rates)})")
    print(f"COPY of the same rows:                     {copy_rate:,.0f} records/s "
          f"(rounds: {_rounds(copy_rates)})")
    print(f"ratio {name}/COPY: {ratio:.0%} (goal >= {GOAL_RATIO:.0%}) "
          f"{'ok' if ratio >= GOAL_RATIO else 'BELOW GOAL'}")
    return push_rate


def enrol_laptop(server: StoreProcess, url: str, team: str) -> Laptop:
    """A new user in ``team`` and their enrolled laptop."""
    engine = make_engine(normalise_database_url(url))
    with make_session_factory(engine).begin() as session:
        user = admin.create_user(session, team, f"Bench {uuid.uuid4().hex[:6]}", "nurse")
        code = admin_codes.issue_enrolment_code(session, user.id)
    engine.dispose()
    return enrol_with_code(server, code)


def measure_push(cluster: PostgresCluster, laptop: Laptop, rounds: int) -> float:
    """Push vs COPY, ``rounds`` times each, interleaved; prints medians and the ratio."""
    push_rates, copy_rates = [], []
    with copy_target(cluster) as conn:
        for round_no in range(rounds):
            batch_list = [changes(BATCH, 1 + round_no * PUSHED + i * BATCH)
                          for i in range(PUSHED // BATCH)]
            push_rates.append(PUSHED / push_all(laptop, batch_list))
            flat = [c for batch in batch_list for c in batch]
            copy_rates.append(PUSHED / copy_rows(conn, laptop.team_id, laptop.device_id, flat,
                                                 10**12 + round_no * PUSHED))
    return against_copy(f"push {PUSHED:,} changes in batches of {BATCH:,}:", "push",
                         push_rates, copy_rates)


def measure_pull(server: StoreProcess, cluster: PostgresCluster, team: str, records: int,
                 rounds: int) -> None:
    """Time new laptops pulling all ``records`` of the team, pages of 1,000 (the store's
    figure)."""
    timings = []
    for _ in range(rounds):
        reader = enrol_laptop(server, cluster.store_url, team)
        began = time.perf_counter()
        pulled, _ = reader.pull_all()
        timings.append(time.perf_counter() - began)
        reader.close()
        if len(pulled) != records:
            raise RuntimeError(f"pulled {len(pulled)} of {records}")
    if not timings:
        return
    took = min(timings)
    print(f"initial pull of {records:,} records (pages of 1,000): {took:.2f} s "
          f"(rounds: {', '.join(f'{t:.2f}' for t in timings)}; goal <= {GOAL_PULL_S:.0f} s) "
          f"{'ok' if took <= GOAL_PULL_S else 'ABOVE GOAL'}")


# --- Through the desktop sync client, on real encrypted vaults ----------------------------

PASSPHRASE = "benchmark passphrase only"


def new_vault(folder: Path) -> VaultSession:
    """A fresh encrypted vault (cheap key derivation: its cost is not measured here)."""
    created = VaultStore(folder, kdf_cost=CHEAP_KDF).create("Bench Nurse", Role.TEAM_LEAD,
                                                             PASSPHRASE)
    return created.session


def enrol_vault(vault: VaultSession, server: StoreProcess, url: str, team: str) -> None:
    """Enrol ``vault`` as a new user of ``team`` through the client."""
    engine = make_engine(normalise_database_url(url))
    with make_session_factory(engine).begin() as session:
        user = admin.create_user(session, team, f"Bench {uuid.uuid4().hex[:6]}", "nurse")
        code = admin_codes.issue_enrolment_code(session, user.id)
    engine.dispose()
    sync_client.enrol(vault.uow, server.base_url, code, "Benchmark laptop")


def fill_outbox(vault: VaultSession, count: int, start: int) -> None:
    """``count`` new synthetic people saved through tracking: one outbox entry each."""
    with vault.uow.begin() as session:
        session.add_all(Person(
            nhs_number=synthetic_nhs_number(serial), given_name=GIVEN[serial % len(GIVEN)],
            family_name=FAMILY[serial % len(FAMILY)], date_of_birth=dt.date(1938, 5, 17),
            address_line1=f"{serial % 300 + 1} Example Street", town="Leicester",
            postcode="LE1 5WW", team="Leicester City South INT")
            for serial in range(start, start + count))


def outbox_as_changes(vault: VaultSession) -> list[dict[str, Any]]:
    """The vault's outbox as wire changes (for COPY of exactly the rows the client sent)."""
    from sqlalchemy import select

    from desktop_app.models.outbox import OutboxEntry

    with vault.uow.read() as session:
        return [{"id": e.entity_id, "row": e.payload}
                for e in session.scalars(select(OutboxEntry).order_by(OutboxEntry.seq))]


def ready_batches(rows: list[dict[str, Any]]) -> list[list[dict[str, Any]]]:
    """The client's rows as ready wire batches of new records for the bare HTTP push: the
    same rows, byte for byte but for fresh ids (the client's own are on the store by then)."""
    out = []
    for change in rows:
        record_id = str(uuid.uuid4())
        out.append({"idempotency_key": str(uuid.uuid4()), "entity_type": "person",
                    "id": record_id, "base_server_version": None,
                    "row": {**change["row"], "id": record_id}, "tombstone": False})
    return [out[i:i + BATCH] for i in range(0, len(out), BATCH)]


def client_push_seconds(vault: VaultSession) -> float:
    """Seconds from the start of a sync run to the last batch's answers being marked."""
    marks: list[float] = []

    def note(progress: sync_client.SyncProgress) -> None:
        if progress.phase is sync_client.SyncPhase.PUSHING and progress.done == progress.total:
            marks.append(time.perf_counter())

    client = sync_client.SyncClient(sync_client.SyncOptions(batch_size=BATCH))
    began = time.perf_counter()
    result = client.run(vault.uow, note, lambda: bool(marks))  # stop before the pull
    if result.pushed != PUSHED or not marks:
        raise RuntimeError(f"the client pushed {result.pushed} of {PUSHED}")
    return marks[0] - began


def measure_client_push(server: StoreProcess, cluster: PostgresCluster, bare: Laptop,
                        rounds: int) -> None:
    """The client pushing 10,000 outbox entries, against a bare HTTP push of the same rows
    as ready batches (its limit: the protocol and the store) and COPY, interleaved."""
    team = f"Bench client INT {uuid.uuid4().hex[:6]}"
    engine = make_engine(normalise_database_url(cluster.store_url))
    with make_session_factory(engine).begin() as session:
        team_id = admin.create_team(session, team).id
    engine.dispose()
    push_rates, bare_rates, copy_rates = [], [], []
    with copy_target(cluster) as conn:
        for round_no in range(rounds):
            with tempfile.TemporaryDirectory() as folder:
                vault = new_vault(Path(folder) / "vault")
                enrol_vault(vault, server, cluster.store_url, team)
                fill_outbox(vault, PUSHED, 1 + round_no * PUSHED)
                rows = outbox_as_changes(vault)
                bare_rates.append(PUSHED / push_all(bare, ready_batches(rows)))
                push_rates.append(PUSHED / client_push_seconds(vault))
                vault.close()
            copy_rates.append(PUSHED / copy_rows(conn, team_id, str(uuid.uuid4()), rows,
                                                 2 * 10**12 + round_no * PUSHED))
    push_rate, bare_rate, copy_rate = max(push_rates), max(bare_rates), max(copy_rates)
    print(f"client: push {PUSHED:,} outbox entries in batches of {BATCH:,}: "
          f"{push_rate:,.0f} records/s (rounds: {_rounds(push_rates)})")
    print(f"  bare HTTP push of the same rows as ready batches: {bare_rate:,.0f} records/s "
          f"(rounds: {_rounds(bare_rates)})")
    print(f"  COPY of the same rows: {copy_rate:,.0f} records/s (rounds: {_rounds(copy_rates)})")
    for name, limit, goal in (("bare HTTP push", bare_rate, GOAL_CLIENT_OF_BARE),
                              ("COPY", copy_rate, GOAL_CLIENT_OF_COPY)):
        ratio = push_rate / limit
        print(f"  client push / {name}: {ratio:.0%} (goal >= {goal:.0%}) "
              f"{'ok' if ratio >= goal else 'BELOW GOAL'}")


def bare_pull_seconds(laptop: Laptop, records: int) -> float:
    """Seconds for the bare pull of the team's records as the client asks for them: pages
    of ``PULL_PAGE`` one after another, each decoded (the client's limit)."""
    began = time.perf_counter()
    cursor, count, more = 0, 0, True
    while more:
        response = laptop.http.get("/pull", params={"cursor": cursor, "limit": PULL_PAGE})
        if response.status_code != 200:
            raise RuntimeError(f"pull answered {response.status_code}")
        page = json.loads(response.content)
        count += len(page["changes"])
        cursor, more = page["next_cursor"], page["has_more"]
    took = time.perf_counter() - began
    if count != records:
        raise RuntimeError(f"the bare pull read {count} of {records}")
    return took


def first_sync_seconds(server: StoreProcess, cluster: PostgresCluster, team: str,
                       records: int) -> float:
    """A fresh vault's first sync of every record of the team (checked whole afterwards)."""
    with tempfile.TemporaryDirectory() as folder:
        vault = new_vault(Path(folder) / "vault")
        enrol_vault(vault, server, cluster.store_url, team)
        began = time.perf_counter()
        result = sync_client.run(vault.uow, lambda _p: None, lambda: False)
        took = time.perf_counter() - began
        status = sync_client.sync_status(vault.uow)
        vault.close()
    if result.pulled != records or status.held_back:
        raise RuntimeError(f"pulled {result.pulled} of {records}, "
                           f"{status.held_back} held back")
    return took


def measure_first_sync(server: StoreProcess, cluster: PostgresCluster, team: str,
                       reader: Laptop, records: int, rounds: int) -> float:
    """A fresh vault's first sync against the bare pull of the same records, interleaved;
    prints both and their ratio; the best first sync."""
    syncs, bares = [], []
    for _ in range(rounds):
        bares.append(bare_pull_seconds(reader, records))
        syncs.append(first_sync_seconds(server, cluster, team, records))
    took, bare = min(syncs), min(bares)
    ratio = took / bare
    print(f"client: first sync of a fresh vault, {records:,} records: {took:.2f} s "
          f"(rounds: {', '.join(f'{t:.2f}' for t in syncs)})")
    print(f"  bare pull of the same records (pages of {PULL_PAGE:,}, decoded): {bare:.2f} s "
          f"(rounds: {', '.join(f'{t:.2f}' for t in bares)}); first sync / bare pull: "
          f"{ratio:.2f}x (goal <= {GOAL_SYNC_OF_PULL}x) "
          f"{'ok' if ratio <= GOAL_SYNC_OF_PULL else 'ABOVE GOAL'}")
    return took


def print_growth(timings: dict[int, float]) -> None:
    """Seconds per 1,000 records at each size: a first sync must grow no worse than
    linearly (the largest size's cost a record within ``GROWTH_NOISE`` of the smallest's)."""
    if len(timings) < 2:
        return
    per = {size: took / size * 1000 for size, took in sorted(timings.items())}
    line = ", ".join(f"{size:,}: {took:.2f} s ({per[size] * 1000:.0f} ms per 1,000)"
                     for size, took in sorted(timings.items()))
    smallest, largest = min(per), max(per)
    growth = per[largest] / per[smallest]
    print(f"client: first sync growth: {line}; cost a record at {largest:,} / at {smallest:,}: "
          f"{growth:.2f} (linear = 1.00, goal <= {1 + GROWTH_NOISE:.2f}) "
          f"{'ok' if growth <= 1 + GROWTH_NOISE else 'ABOVE GOAL'}")


def peak_rss_kib() -> int:
    """This process's own peak RSS in KiB: Linux's ``VmHWM``, which starts again at exec.
    (``ru_maxrss`` carries the parent's peak over a fork and exec, so a child started by a
    benchmark holding 100,000 pulled records would report the parent's memory.)"""
    try:
        for line in Path("/proc/self/status").read_text().splitlines():
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    except OSError:
        pass
    return int(resource.getrusage(resource.RUSAGE_SELF).ru_maxrss)


def child_first_sync(folder: str, user_id: str) -> int:
    """In a process of its own (``--first-sync-child``): unlock the enrolled vault, run its
    first sync and print what it did and the process's peak RSS as one JSON line."""
    vault = VaultStore(Path(folder), kdf_cost=CHEAP_KDF).unlock(user_id, PASSPHRASE)
    before = peak_rss_kib()
    began = time.perf_counter()
    result = sync_client.run(vault.uow, lambda _p: None, lambda: False)
    took = time.perf_counter() - began
    vault.close()
    print(json.dumps({"pulled": result.pulled, "seconds": took, "rss_before_kib": before,
                      "peak_rss_kib": peak_rss_kib()}))
    return 0


def peak_rss_of_first_sync(server: StoreProcess, cluster: PostgresCluster, team: str,
                           records: int) -> int:
    """The peak RSS (KiB) of a process whose only work is a fresh vault's first sync."""
    with tempfile.TemporaryDirectory() as folder:
        vault = new_vault(Path(folder) / "vault")
        enrol_vault(vault, server, cluster.store_url, team)
        user_id = vault.user.user_id
        vault.close()
        done = subprocess.run([sys.executable, __file__, "--first-sync-child",
                               str(Path(folder) / "vault"), user_id],
                              capture_output=True, text=True, check=False)
    if done.returncode != 0:
        raise RuntimeError(f"the first sync child failed: {done.stderr[-2000:]}")
    report = json.loads(done.stdout.strip().splitlines()[-1])
    if report["pulled"] != records:
        raise RuntimeError(f"the child pulled {report['pulled']} of {records}")
    print(f"client: first sync of {records:,} records in a process of its own: "
          f"{report['seconds']:.2f} s, peak RSS {report['peak_rss_kib'] / 1024:.0f} MiB "
          f"(after unlocking: {report['rss_before_kib'] / 1024:.0f} MiB)")
    return int(report["peak_rss_kib"])


def print_rss(peaks: dict[int, int]) -> None:
    """Peak RSS must be flat in the number of records pulled."""
    if len(peaks) < 2:
        return
    small, large = min(peaks), max(peaks)
    growth = peaks[large] / peaks[small] - 1
    print(f"client: first sync peak RSS at {large:,} / at {small:,} records: {growth:+.0%} "
          f"(goal within {GOAL_RSS_GROWTH:.0%}) "
          f"{'ok' if abs(growth) <= GOAL_RSS_GROWTH else 'ABOVE GOAL'}")


def fill_team(filler: Laptop, already: int, records: int) -> int:
    """Push synthetic people until the team holds ``records``; how many it holds."""
    serial = 10_000_000 + already
    while already < records:
        batches = [changes(min(BATCH, records - already - i * BATCH), serial + i * BATCH)
                   for i in range(min(10, -(-(records - already) // BATCH)))]
        push_all(filler, batches)
        count = sum(len(b) for b in batches)
        serial += count
        already += count
    return already


def main(argv: list[str] | None = None) -> int:
    """Run the measurements and print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--rounds", type=int, default=5)
    parser.add_argument("--pull-records", type=int, default=100_000)
    parser.add_argument("--growth", default="25000,50000",
                        help="smaller team sizes the first sync is timed at too (comma-separated)")
    parser.add_argument("--rss-records", default="50000,200000",
                        help="team sizes whose first sync's peak RSS is compared ('' skips)")
    parser.add_argument("--client-only", action="store_true",
                        help="only the desktop client's figures (and the fill they need)")
    parser.add_argument("--first-sync-child", nargs=2, metavar=("VAULT", "USER_ID"),
                        help=argparse.SUPPRESS)
    args = parser.parse_args(argv)
    if args.first_sync_child:
        return child_first_sync(*args.first_sync_child)
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed (apt-get install postgresql-15)", file=sys.stderr)
        return 1
    sizes = sorted({int(n) for n in args.growth.split(",") if n.strip()
                    if int(n) < args.pull_records} | {args.pull_records})
    rss_sizes = sorted({int(n) for n in args.rss_records.split(",") if n.strip()})
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
        # The pushes go to a team of their own, so the pulls below read only the fill.
        other = f"Bench push INT {uuid.uuid4().hex[:6]}"
        engine = make_engine(normalise_database_url(cluster.store_url))
        with make_session_factory(engine).begin() as session:
            admin.create_team(session, other)
        engine.dispose()
        pusher = enrol_laptop(server, cluster.store_url, other)
        if not args.client_only:
            measure_push(cluster, pusher, args.rounds)
        measure_client_push(server, cluster, pusher, args.rounds)
        pusher.close()
        held = 0
        timings, peaks = {}, {}
        for size in sorted(set(sizes) | set(rss_sizes)):
            held = fill_team(laptop, held, size)
            if size == args.pull_records and not args.client_only:
                measure_pull(server, cluster, team, size, args.rounds)
            if size in sizes:
                timings[size] = measure_first_sync(server, cluster, team, laptop, size,
                                                   args.rounds)
            if size in rss_sizes:
                peaks[size] = peak_rss_of_first_sync(server, cluster, team, size)
        print_growth(timings)
        print_rss(peaks)
        laptop.close()
    finally:
        server.stop()
        cluster.stop()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
