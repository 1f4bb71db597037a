"""Vault benchmark: unlock cost and save latency, against baselines run in the same process.

Prints:
- unlock time (Argon2id + key unwrap + open + checks + migrations check) beside the bare
  Argon2id derivation with the same parameters;
- save latency p50/p95 for one unit of work writing a person and a delegation case (with
  their outbox and audit rows), on SQLCipher and on plain stdlib SQLite through the very
  same ORM code, and the ratio. Goal: ratio <= 1.15 and p95 <= 10 ms;
- the audit trail's check after an unlock on 100,000 rows (every link and HMAC, and the
  witness): all at once, and its longest slice (what a save may wait behind, the check
  running a slice at a time on the database thread after the unlock).

Run: ``make bench`` (or ``python benchmarks/vault.py --saves 500``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import os
import statistics
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

from sqlalchemy import Engine

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person import Person
from desktop_app.models.user import Role
from desktop_app.services.core.audit import AUDIT_KEY_BYTES, Actor, AuditKeying, append_events
from desktop_app.services.core.migrate import upgrade_to
from desktop_app.services.core.uow import UnitOfWork, make_session_factory
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.vault import VaultStore
from desktop_app.services.vault.database import attach_audit_keying, plain_engine
from desktop_app.services.vault.kdf import (
    DEFAULT_COST,
    OWASP_MIN_ITERATIONS,
    OWASP_MIN_MEMORY_KIB,
    KdfParams,
    derive_key,
)
from desktop_app.services.vault.witness import STEP_ROWS

PASSPHRASE = "benchmark passphrase for the vault"


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def unkeyed_sqlcipher_engine(path: Path) -> Engine:
    """The SQLCipher build of SQLite with no key: separates the library from the crypto."""
    import sqlcipher3

    from desktop_app.services.vault import database

    conn = sqlcipher3.dbapi2.connect(
        f"file:{path.as_posix()}?mode=rwc", uri=True, isolation_level=None,
        factory=database._CipherConnection,
    )
    conn.connection_report = database._configure(conn, None)
    engine = database._engine_for(lambda: conn, sqlcipher3.dbapi2)
    attach_audit_keying(engine, AuditKeying(os.urandom(AUDIT_KEY_BYTES)))  # a throwaway key
    return engine


def time_audit_check(folder: Path, rows: int) -> tuple[float, float, int]:
    """Seconds to check an audit trail of ``rows`` rows after an unlock, all at once, and
    the longest of its slices of ``STEP_ROWS``; and how many slices."""
    cheap = KdfParams(OWASP_MIN_MEMORY_KIB, OWASP_MIN_ITERATIONS, 1, b"")  # not its subject
    store = VaultStore(folder, kdf_cost=cheap)
    created = store.create("Bench Nurse", Role.TEAM_LEAD, PASSPHRASE)
    user_id, actor = created.session.user.user_id, created.session.actor
    with created.session.engine.begin() as conn:
        for first in range(1, rows, 5000):
            count = min(5000, rows - first)
            append_events(conn, actor, [("person", f"bench-{first + i}", "view")
                                        for i in range(count)])
    created.session.close()
    session = store.unlock(user_id, PASSPHRASE)
    start = time.perf_counter()
    session.check_audit(None)
    whole = time.perf_counter() - start
    session.close()
    session = store.unlock(user_id, PASSPHRASE)
    slices: list[float] = []
    report = None
    while report is None:
        start = time.perf_counter()
        report = session.check_audit()
        slices.append(time.perf_counter() - start)
    session.close()
    return whole, max(slices), len(slices)


def time_unlock(folder: Path, rounds: int) -> tuple[float, float]:
    """Median seconds for a full unlock and for the bare Argon2id derivation."""
    store = VaultStore(folder)
    created = store.create("Bench Nurse", Role.TEAM_LEAD, PASSPHRASE)
    user_id = created.session.user.user_id
    created.session.close()
    unlock_times, kdf_times = [], []
    for _ in range(rounds):
        params = KdfParams.fresh(DEFAULT_COST)
        start = time.perf_counter()
        derive_key(PASSPHRASE, params)
        kdf_times.append(time.perf_counter() - start)
        start = time.perf_counter()
        session = store.unlock(user_id, PASSPHRASE)
        unlock_times.append(time.perf_counter() - start)
        session.close()
    return statistics.median(unlock_times), statistics.median(kdf_times)


def save_visit(uow: UnitOfWork, serial: int) -> None:
    """One user action: a person and a delegation case, committed together."""
    with uow.begin() as session:
        person = Person(
            nhs_number=synthetic_nhs_number(serial),
            given_name="Bench",
            family_name=f"Person{serial}",
            date_of_birth=dt.date(1940, 1, 1),
            address_line1="1 Test Street",
            town="Leicester",
            postcode="LE1 5WW",
            team="City North",
            open_to_community_health=True,
        )
        session.add(person)
        session.flush()
        session.add(
            DelegationCase(
                person_id=person.id,
                task_code="insulin_pen_fixed_dose",
                task_catalogue_version="2026.1",
                referred_by="Community nurse",
                answers={"S1": {"task": "insulin"}},
                flow_version="bench",
            )
        )


def time_saves(engine: Engine, count: int, offset: int) -> list[float]:
    """Seconds per save for ``count`` saves on ``engine``."""
    uow = UnitOfWork(make_session_factory(engine), Actor("bench-user", "bench-device"))
    for i in range(20):  # warm-up: statement cache, page cache
        save_visit(uow, offset + count + i)
    samples = []
    for i in range(count):
        start = time.perf_counter()
        save_visit(uow, offset + i)
        samples.append(time.perf_counter() - start)
    return samples


def interleaved(
    runs: list[tuple[str, Callable[[int], list[float]]]], count: int
) -> dict[str, list[float]]:
    """Alternate the runs in chunks so drift on the machine hits both alike."""
    results: dict[str, list[float]] = {name: [] for name, _ in runs}
    chunk = 50
    for _start in range(0, count, chunk):
        for name, run in runs:
            results[name].extend(run(chunk))
    return results


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--saves", type=int, default=500)
    parser.add_argument("--unlocks", type=int, default=5)
    parser.add_argument("--audit-rows", type=int, default=100_000)
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scp-bench-") as tmp:
        root = Path(tmp)
        unlock, kdf = time_unlock(root / "unlock", args.unlocks)
        print(f"unlock (median of {args.unlocks}):      {unlock * 1000:7.1f} ms")
        print(
            f"bare Argon2id, same params:      {kdf * 1000:7.1f} ms "
            f"(m={DEFAULT_COST.memory_kib} KiB, t={DEFAULT_COST.iterations}, "
            f"p={DEFAULT_COST.parallelism})"
        )
        print(f"unlock overhead beyond Argon2id: {(unlock - kdf) * 1000:7.1f} ms")
        whole, slice_max, slices = time_audit_check(root / "audit", args.audit_rows)
        print(f"audit check after unlock, {args.audit_rows:,} rows: {whole * 1000:7.1f} ms at "
              f"once; {slices} slices of {STEP_ROWS:,}, longest {slice_max * 1000:.1f} ms "
              "(runs after the unlock; a save waits one slice at most)")

        store = VaultStore(root / "enc")
        created = store.create("Bench Nurse", Role.TEAM_LEAD, PASSPHRASE)
        encrypted = created.session.engine
        plain = plain_engine(root / "plain.db")
        upgrade_to(plain, None)
        unkeyed = unkeyed_sqlcipher_engine(root / "unkeyed.db")
        upgrade_to(unkeyed, None)
        offsets = {"sqlcipher": 0, "sqlite": 150_000, "unkeyed": 300_000}

        def runner(name: str, engine: Engine) -> Callable[[int], list[float]]:
            def run(n: int) -> list[float]:
                samples = time_saves(engine, n, offsets[name])
                offsets[name] += n + 20
                return samples

            return run

        results = interleaved(
            [
                ("sqlcipher", runner("sqlcipher", encrypted)),
                ("sqlite", runner("sqlite", plain)),
                ("unkeyed", runner("unkeyed", unkeyed)),
            ],
            args.saves,
        )
        enc, base, lib = results["sqlcipher"], results["sqlite"], results["unkeyed"]
        print(f"\nsave: person + delegation case + 2 outbox + 2 audit rows, {len(enc)} saves each")
        rows = (
            ("SQLCipher 4 (vault)", enc),
            ("plain SQLite (baseline)", base),
            ("SQLCipher lib, no key", lib),
        )
        for name, samples in rows:
            print(
                f"  {name:24s} p50 {percentile(samples, 50) * 1000:6.2f} ms   "
                f"p95 {percentile(samples, 95) * 1000:6.2f} ms"
            )
        print(
            f"  ratio SQLCipher/SQLite    p50 {percentile(enc, 50) / percentile(base, 50):5.2f}x  "
            f"p95 {percentile(enc, 95) / percentile(base, 95):5.2f}x   "
            "(goal <= 1.15x, p95 <= 10 ms)"
        )
        print(
            f"  of which encryption       p50 {percentile(enc, 50) / percentile(lib, 50):5.2f}x  "
            f"p95 {percentile(enc, 95) / percentile(lib, 95):5.2f}x   "
            "(same SQLite build with and without a key)"
        )
        created.session.close()
        plain.dispose()
        unkeyed.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
