"""Central store under load: N simulated laptops against ``serve --workers 4`` on PostgreSQL.

Starts a throwaway PostgreSQL 15 (fsync on) and the real store with four uvicorn workers on
loopback (tools/throwaway_store.py), then for N = 50, 200 and 500 laptops (teams of 20, as
LLR's Integrated Neighbourhood Teams: N/20 teams) simulates a working day, compressed:

- each laptop syncs 4 times at random moments of the day (uniform), whose length makes the
  syncs arrive at 20 per second on average (``--rate``): 10 s for 50 laptops, 40 s for 200,
  100 s for 500. For scale, 500 laptops each syncing every 15 minutes is 0.6 syncs per
  second: the day is compressed some 30 times;
- at its first sync a laptop enrols with its own one-time code (made through
  ``sync_server.admin`` beforehand) and pulls its team's records from cursor 0; every sync
  is a push of 10 changes (a nurse's day is about 40 records: new people, visits' reviews,
  tasks, contacts, consents, each row about 1 KB of synthetic text; after the first push 3
  of the 10 edit the laptop's own earlier records with their last server version as base)
  and a pull of its team's changes since its cursor, on a connection of its own;
- one laptop in ten loses the reply of one of its pushes, in turn: the connection cut half-way
  through the body (never applied), the connection dropped right after the body (applied or
  not, the laptop cannot tell), or a read timeout of 1 ms (applied, reply lost); it then
  resends the same batch with the same idempotency keys, as the desktop client does;
- once every laptop's day is done, all of them push 10 more changes at the same instant (the
  "burst": everyone syncing at once, the worst case) and then pull a last time.

Printed per N: changes per second (over the spread day, and over the burst), p50/p95/p99
latency per endpoint, errors by status, PostgreSQL backends seen waiting on a lock (sampled
every 50 ms), then the check against PostgreSQL: every change sent is in ``applied_change``
exactly once, every record holds the last change sent for it at that change's version, no
version is handed out twice in a team, and every laptop, after its last pull, holds exactly
its team's records at their versions. "lost 0, duplicated 0" or the numbers. The goal (N =
500: 0 lost, 0 duplicated, no 5xx and no connection dropped by the store, every laptop
converged, push p95 < 1 s over the day) is judged MEETS or MISSES. The laptops run on one
asyncio loop in this process, sharing the machine's cores with the store's workers and
PostgreSQL: their own CPU time, how late their loop woke (when it lags, the latencies
include the laptops' own delay) and the machine's load average are printed too. All data is
synthetic.

The laptops are in ``benchmarks/load_laptops.py``.

Run: ``python benchmarks/store_load.py`` (``--laptops 50 200 500``, ``--rate 20``;
``--store-code DIR`` runs another tree's ``sync_server``, e.g. the commit before a change).
Needs PostgreSQL's binaries (``apt-get install postgresql-15``) and the ``server`` extra.
"""

from __future__ import annotations

import argparse
import asyncio
import math
import os
import sys
import tempfile
import time
from collections import Counter
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import orjson
import psycopg

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from benchmarks.load_laptops import (  # noqa: E402
    BATCH,
    SYNCS_PER_DAY,
    TEAM_SIZE,
    Day,
    Options,
    Recorder,
    make_laptops,
)
from tools.throwaway_store import (  # noqa: E402
    PostgresCluster,
    StoreProcess,
    postgres_bin_dir,
)

GOAL_LAPTOPS, GOAL_PUSH_P95_S = 500, 1.0


def percentile(values: list[float], share: float) -> float:
    """The nearest-rank percentile (``share`` in 0..1) of ``values``."""
    ordered = sorted(values)
    return ordered[max(0, math.ceil(share * len(ordered)) - 1)]


async def _sample_lock_waits(admin_url: str, stop: asyncio.Event
                             ) -> tuple[list[int], list[float]]:
    """How many of the store's backends wait on a lock, every 50 ms until ``stop``; and how
    late each wake-up was (the laptops' event loop lag: is the simulation keeping up?)."""
    samples: list[int] = []
    lags: list[float] = []
    async with await psycopg.AsyncConnection.connect(admin_url, autocommit=True) as conn:
        while not stop.is_set():
            cur = await conn.execute(
                "SELECT count(*) FROM pg_stat_activity WHERE wait_event_type = 'Lock' "
                "AND application_name LIKE 'shared-care-store/%'")
            row = await cur.fetchone()
            samples.append(int(row[0]) if row else 0)
            began = time.perf_counter()
            try:
                await asyncio.wait_for(stop.wait(), 0.05)
            except TimeoutError:
                lags.append(time.perf_counter() - began - 0.05)
    return samples, lags


@dataclass
class Verdict:
    """What the store holds against what was sent."""

    lost: int
    duplicated: int
    converged: int
    laptops: int
    problems: list[str]


def check(admin_url: str, day: Day) -> Verdict:
    """Every change sent is in the store exactly once; every laptop holds its team's records."""
    team_ids = sorted({lap.team_id for lap in day.laptops if lap.team_id})
    problems: list[str] = []
    with psycopg.connect(admin_url) as conn:
        applied = conn.execute(
            "SELECT idempotency_key, team_id, record_id, server_version FROM applied_change "
            "WHERE team_id = ANY(%s)", [team_ids]).fetchall()
        records = conn.execute(
            "SELECT id, team_id, server_version, row::text FROM record WHERE team_id = ANY(%s)",
            [team_ids]).fetchall()
    applied_at = {key: version for key, _t, _r, version in applied}
    last: dict[str, str] = {}  # record id -> key of the last change sent for it
    for key, sent in day.rec.sent.items():
        last[sent.record_id] = key
    missing = [k for k in day.rec.sent if k not in applied_at]
    extra = [k for k, *_ in applied if k not in day.rec.sent]
    per_team: dict[str, list[int]] = {}
    for _k, team_id, _r, version in applied:
        per_team.setdefault(team_id, []).append(version)
    twice = sum(len(v) - len(set(v)) for v in per_team.values())
    stored = Counter(record_id for record_id, *_ in records)
    stale = 0
    for record_id, _team, version, row in records:
        found = last.get(record_id)
        if found is None or applied_at.get(found) != version \
                or orjson.loads(row) != day.rec.sent[found].row:
            stale += 1
    absent = len(set(last) - set(stored))
    for label, count in (("changes missing from applied_change", len(missing)),
                         ("applied changes never sent", len(extra)),
                         ("versions handed out twice in a team", twice),
                         ("records stored more than once", sum(n - 1 for n in stored.values())),
                         ("records missing", absent),
                         ("records not at the last change sent", stale)):
        if count:
            problems.append(f"{label}: {count}")
    team_records: dict[str, dict[str, int]] = {}
    for record_id, team_id, version, _row in records:
        team_records.setdefault(team_id, {})[record_id] = version
    converged = sum(1 for lap in day.laptops if lap.held == team_records.get(lap.team_id, {}))
    return Verdict(len(missing) + absent + stale,
                   len(extra) + twice + sum(n - 1 for n in stored.values()),
                   converged, len(day.laptops), problems)


def _latency_lines(rec: Recorder) -> list[str]:
    lines = [f"  {'latency (ms)':<14}{'requests':>9}{'p50':>9}{'p95':>9}{'p99':>9}"]
    for endpoint in ("enrol", "push", "pull", "push (burst)", "pull (last)"):
        values = rec.latency.get(endpoint, [])
        if values:
            p = [percentile(values, s) * 1000 for s in (0.5, 0.95, 0.99)]
            lines.append(f"  {endpoint:<14}{len(values):>9,}{p[0]:>9.1f}{p[1]:>9.1f}"
                         f"{p[2]:>9.1f}")
    return lines


def report(n: int, day: Day, walls: dict[str, float], waits: list[int], lags: list[float],
           verdict: Verdict, server_exceptions: int | None) -> tuple[bool, list[str]]:
    """The printed figures for one N, and whether it meets the goal."""
    rec = day.rec
    day_changes = n * SYNCS_PER_DAY * BATCH
    errors = {f"{e} {s}": c for (e, s), c in sorted(rec.statuses.items()) if s != 200}
    errors.update(rec.transport_errors)
    fives = sum(c for (_e, s), c in rec.statuses.items() if s >= 500)
    push_p95 = percentile(rec.latency.get("push", [float("inf")]), 0.95)
    lines = [
        f"N = {n} laptops in {math.ceil(n / TEAM_SIZE)} teams: {SYNCS_PER_DAY} syncs of "
        f"{BATCH} changes each at random moments of a {day.window:.0f} s day "
        f"({day.options.rate:.0f} syncs/s), then a burst of {BATCH} each at once",
        f"  throughput: day {day_changes / walls['day']:,.0f} changes/s ({day_changes:,} in "
        f"{walls['day']:.1f} s, as offered); burst {n * BATCH / walls['burst']:,.0f}"
        f" changes/s ({n * BATCH:,} in {walls['burst']:.2f} s)",
        *_latency_lines(rec),
        "  errors: " + (", ".join(f"{k} x{v}" for k, v in errors.items()) or "none"),
        f"  store backends waiting on a lock: mean {sum(waits) / max(1, len(waits)):.1f}, "
        f"max {max(waits, default=0)} ({len(waits)} samples)",
        f"  laptops' own CPU {walls['cpu']:.1f} s in {walls['wall']:.1f} s; their event loop "
        f"late by p95 {percentile(lags or [0.0], 0.95) * 1000:.0f} ms, max "
        f"{max(lags, default=0) * 1000:.0f} ms; machine load average {walls['load_before']:.1f}"
        f" before, {walls['load_after']:.1f} after",
        "  lost replies: " + (", ".join(f"{k} x{v}" for k, v in sorted(rec.losses.items()))
                              or "none") + "; the resends answered "
        + (", ".join(f"{k} {v}" for k, v in sorted(rec.resent_answers.items())) or "-"),
        "  answers: " + ", ".join(f"{k} {v:,}" for k, v in sorted(rec.answers.items())),
    ]
    if server_exceptions is not None:
        lines.append(f"  server log: {server_exceptions} tracebacks")
    lines += [f"  laptop failed: {f}" for f in rec.failures[:5]]
    lines += [f"  problem: {p}" for p in verdict.problems]
    lines.append(f"  lost {verdict.lost}, duplicated {verdict.duplicated}; converged "
                 f"{verdict.converged} of {verdict.laptops} laptops")
    dropped = sum(rec.transport_errors.values())
    meets = (verdict.lost == 0 and verdict.duplicated == 0 and fives == 0 and dropped == 0
             and not rec.failures and verdict.converged == verdict.laptops
             and push_p95 < GOAL_PUSH_P95_S)
    lines.append(f"  goal (0 lost, 0 duplicated, 0 5xx or dropped connections, all converged, "
                 f"push p95 < {GOAL_PUSH_P95_S:.0f} s): {'MEETS' if meets else 'MISSES'} "
                 f"(5xx {fives}, dropped {dropped}, push p95 {push_p95 * 1000:.0f} ms)")
    return meets, lines


@dataclass
class LoadRun:
    """One run at one N: whether it meets the goal, its printed lines, the day itself."""

    meets: bool
    lines: list[str]
    day: Day


def _loop_factory() -> Callable[[], asyncio.AbstractEventLoop] | None:
    """uvloop for the laptops if installed (less CPU per request), for this run only."""
    try:
        import uvloop
    except ImportError:
        return None
    factory: Callable[[], asyncio.AbstractEventLoop] = uvloop.new_event_loop
    return factory


def run_load(base_url: str, store_url: str, admin_url: str, n: int, options: Options,
             server_log: Callable[[], str] | None = None) -> LoadRun:
    """One run at ``n`` laptops against the store at ``base_url``."""
    laptops = make_laptops(store_url, n, options.seed)
    day = Day(base_url, laptops, options)
    tracebacks_before = server_log().count("Traceback") if server_log else 0

    async def go() -> tuple[dict[str, float], tuple[list[int], list[float]]]:
        stop = asyncio.Event()
        sampler = asyncio.create_task(_sample_lock_waits(admin_url, stop))
        try:
            walls = await asyncio.wait_for(day.run(), options.timeout)
        finally:
            stop.set()
        return walls, await sampler

    cpu, began, load = time.process_time(), time.perf_counter(), os.getloadavg()[0]
    with asyncio.Runner(loop_factory=_loop_factory()) as runner:
        walls, (waits, lags) = runner.run(go())
    walls.update(cpu=time.process_time() - cpu, wall=time.perf_counter() - began,
                 load_before=load, load_after=os.getloadavg()[0])
    verdict = check(admin_url, day)
    exceptions = server_log().count("Traceback") - tracebacks_before if server_log else None
    return LoadRun(*report(n, day, walls, waits, lags, verdict, exceptions), day)


def main(argv: list[str] | None = None) -> int:
    """Start PostgreSQL and ``serve --workers 4``, run each N, print the figures."""
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0] if __doc__ else None)
    parser.add_argument("--laptops", type=int, nargs="+", default=[50, 200, 500])
    parser.add_argument("--rate", type=float, default=Options.rate,
                        help="syncs per second over the day, all laptops together")
    parser.add_argument("--workers", type=int, default=4)
    parser.add_argument("--store-code", type=Path, metavar="DIR",
                        help="run the store from another tree's sync_server (e.g. `git archive "
                             "HEAD sync_server scp_common | tar -x -C DIR`), to compare")
    args = parser.parse_args(argv)
    if args.store_code:
        sys.path.insert(0, str(args.store_code.resolve()))
    bin_dir = postgres_bin_dir()
    if bin_dir is None:
        print("PostgreSQL is not installed (apt-get install postgresql-15)", file=sys.stderr)
        return 1
    cluster = PostgresCluster(bin_dir)
    cluster.start(durable=True)
    code = {"PYTHONPATH": f"{args.store_code.resolve()}{os.pathsep}{REPO}"} \
        if args.store_code else None
    server = StoreProcess(cluster.store_url, Path(tempfile.mkdtemp()) / "load-store.log",
                          workers=args.workers, env=code)
    verdicts = {}
    try:
        server.start()
        print(f"PostgreSQL {bin_dir.parent.name} (fsync on), shared-care-store serve --workers "
              f"{args.workers}" + (f" (code from {args.store_code})" if args.store_code else "")
              + f", laptops on one asyncio loop; all on loopback; {os.cpu_count()} cores")
        for n in args.laptops:
            run = run_load(server.base_url, cluster.store_url, cluster.admin_url(), n,
                           Options(rate=args.rate), server.log)
            verdicts[n] = run.meets
            print("\n".join(run.lines), flush=True)
    finally:
        server.stop()
        cluster.stop()
    goal_n = max(verdicts, default=0)
    if goal_n >= GOAL_LAPTOPS:
        print(f"goal at {goal_n} laptops: {'MEETS' if verdicts[goal_n] else 'MISSES'}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
