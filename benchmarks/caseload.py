"""Caseload search benchmark: ``services.caseload.search`` over 50,000 synthetic people.

Builds an encrypted vault (SQLCipher 4, the app's own ``VaultStore``) and, as the baseline,
a plain stdlib SQLite database with the same schema and the same rows. Then it runs the
searches a nurse types (2-4 letter name starts, "family given" pairs, NHS number starts
with and without spaces, postcodes with and without their space, the empty list), each
with and without a team filter, interleaved on both databases, and prints p50/p95 of one
``search()`` call (page of 200 rows plus the total) against the goal p95 <= 30 ms.

All data is synthetic: 999-range NHS numbers, invented names and streets.

Run: ``make bench`` (or ``python benchmarks/caseload.py --people 50000 --rounds 3``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import Engine, insert

from desktop_app.models.delegation import CaseStatus, DelegationCase
from desktop_app.models.person import Person
from desktop_app.models.review import Review, ReviewKind
from desktop_app.models.user import Role
from desktop_app.services.core.audit import Actor
from desktop_app.services.core.migrate import upgrade_to
from desktop_app.services.core.uow import UnitOfWork, make_session_factory
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number
from desktop_app.services.people import caseload
from desktop_app.services.vault import VaultStore
from desktop_app.services.vault.database import plain_engine

PASSPHRASE = "benchmark passphrase for the caseload"
GOAL_P95_MS = 30.0
BATCH = 10_000
TODAY = dt.date(2026, 6, 1)

FAMILY = [
    "Smith", "Jones", "Taylor", "Brown", "Williams", "Wilson", "Johnson", "Davies", "Patel",
    "Robinson", "Wright", "Thompson", "Evans", "Walker", "White", "Roberts", "Green", "Hall",
    "Thomas", "Clarke", "Jackson", "Wood", "Harris", "Edwards", "Turner", "Martin", "Cooper",
    "Hill", "Ward", "Hughes", "Moore", "Clark", "King", "Harrison", "Lewis", "Baker", "Lee",
    "Allen", "Morris", "Khan", "Scott", "Watson", "Davis", "Parker", "James", "Bennett",
    "Young", "Phillips", "Richardson", "Mitchell", "Bailey", "Carter", "Cook", "Singh",
    "Shaw", "Bell", "Collins", "Morgan", "Kelly", "Begum", "Miller", "Cox", "Hussain",
    "Marshall", "Simpson", "Price", "Anderson", "Adams", "Wilkinson", "Ali", "Ahmed", "Foster",
    "Ellis", "Murphy", "Chapman", "Mason", "Gray", "Richards", "Webb", "Griffiths", "Hunt",
    "Palmer", "Campbell", "Holmes", "Mills", "Rogers", "Barnes", "Knight", "Matthews",
    "Barker", "Powell", "Stevens", "Kaur", "Fisher", "Butler", "Dixon", "Russell", "Harvey",
    "Pearson", "Graham", "Mistry", "Chauhan", "Lakhani", "Okafor", "Nowak", "Kowalski",
    "O'Brien", "Ní Bhriain", "Smith-Jones", "de Souza", "Öztürk", "Łukasiewicz",
]
GIVEN = [
    "Margaret", "Harold", "Zoë", "Łukasz", "Aisha", "Gurpreet", "Siobhán", "Kwame", "Doris",
    "Raj", "Elsie", "Tomasz", "Niamh", "Bernard", "Priya", "Winston", "Irene", "Mohammed",
    "John", "Mary", "William", "Elizabeth", "George", "Dorothy", "Arthur", "Joan", "Frank",
    "Betty", "Peter", "Jean", "David", "Patricia", "Kenneth", "Barbara", "Ronald", "Sheila",
    "Anthony", "Brenda", "Derek", "Maureen", "Ivy", "Stanley", "Edna", "Albert", "Vera",
]
PREFERRED = {"Margaret": "Peggy", "Elizabeth": "Betty", "William": "Bill", "Patricia": "Pat",
             "Anthony": "Tony", "Kenneth": "Ken", "Dorothy": "Dot"}
TEAMS = [
    ("City North INT", "LE4"), ("City South INT", "LE2"), ("City East INT", "LE5"),
    ("City West INT", "LE3"), ("City Centre INT", "LE1"), ("Charnwood INT", "LE11"),
    ("Melton INT", "LE13"), ("Hinckley INT", "LE10"), ("Rutland INT", "LE15"),
    ("Coalville INT", "LE67"), ("Market Harborough INT", "LE16"), ("Lutterworth INT", "LE17"),
]


def percentile(values: list[float], pct: float) -> float:
    """The pct-th percentile (nearest rank) of ``values``."""
    ordered = sorted(values)
    index = max(0, min(len(ordered) - 1, round(pct / 100 * len(ordered)) - 1))
    return ordered[index]


def synthetic_people(count: int, seed: int) -> Iterator[dict[str, Any]]:
    """Column values of ``count`` invented people (same sequence for the same seed)."""
    rng = random.Random(seed)
    for serial in range(count):
        given = rng.choice(GIVEN)
        team, district = rng.choice(TEAMS)
        yield {
            "nhs_number": synthetic_nhs_number(serial),
            "given_name": given,
            "family_name": rng.choice(FAMILY),
            "preferred_name": PREFERRED.get(given) if rng.random() < 0.5 else None,
            "date_of_birth": dt.date(1925, 1, 1) + dt.timedelta(days=rng.randrange(365 * 75)),
            "address_line1": f"{rng.randrange(1, 300)} Example Street",
            "town": "Leicester",
            "postcode": f"{district} {rng.randrange(0, 10)}{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}"
                        f"{rng.choice('ABDEFGHJLNPQRSTUWXYZ')}",
            "team": team,
            "deleted": rng.random() < 0.01,
        }


def _cases_for(person_ids: list[str], rng: random.Random) -> tuple[list[dict[str, Any]],
                                                                    list[dict[str, Any]]]:
    """About 8 % of people have a delegation case; active ones have a review due."""
    cases, reviews = [], []
    statuses = [CaseStatus.ACTIVE, CaseStatus.ACTIVE, CaseStatus.DRAFT, CaseStatus.IN_PROGRESS,
                CaseStatus.DECIDED, CaseStatus.WITHDRAWN]
    for person_id in person_ids:
        if rng.random() >= 0.08:
            continue
        status = rng.choice(statuses)
        case_id = f"case-{person_id}"
        cases.append({"id": case_id, "person_id": person_id, "task_code": "insulin_pen",
                      "task_catalogue_version": "2026.1", "referred_by": "Community nurse",
                      "flow_version": "bench", "status": status.value})
        if status is CaseStatus.ACTIVE:
            due = TODAY + dt.timedelta(days=rng.randrange(-60, 365))
            reviews.append({"delegation_case_id": case_id, "person_id": person_id,
                            "due_on": due, "kind": ReviewKind.ANNUAL.value})
    return cases, reviews


def fill(engine: Engine, people: int, seed: int = 2026) -> float:
    """Bulk-insert the caseload in a few transactions; returns the seconds taken."""
    uow = UnitOfWork(make_session_factory(engine), Actor("bench-user", "bench-device"))
    rng = random.Random(seed + 1)
    rows = list(synthetic_people(people, seed))
    for i, row in enumerate(rows):
        row["id"] = f"{seed:04d}-{i:08d}-0000-0000-000000000000"
    start = time.perf_counter()
    for first in range(0, people, BATCH):
        batch = rows[first:first + BATCH]
        cases, reviews = _cases_for([r["id"] for r in batch], rng)
        with uow.begin() as session:
            session.execute(insert(Person), batch)
            if cases:
                session.execute(insert(DelegationCase), cases)
            if reviews:
                session.execute(insert(Review), reviews)
    # No ANALYZE: the app never runs it, so SQLite plans here as it would on a laptop.
    return time.perf_counter() - start


def nurse_queries(count: int, seed: int = 7) -> list[tuple[str, caseload.CaseloadQuery]]:
    """(kind, query) pairs as a nurse types them; half of them filtered by a team."""
    rng = random.Random(seed)
    teams = [team for team, _ in TEAMS]
    makers: list[tuple[str, Callable[[], str]]] = [
        ("name", lambda: rng.choice(FAMILY)[: rng.randrange(2, 5)].lower()),
        ("name", lambda: rng.choice(GIVEN)[: rng.randrange(2, 5)].lower()),
        ("name", lambda: f"{rng.choice(FAMILY)[:3]} {rng.choice(GIVEN)[:2]}".lower()),
        ("nhs", lambda: format_nhs_number(synthetic_nhs_number(rng.randrange(50_000)))
         [: rng.choice([3, 5, 7, 9, 12])]),
        ("nhs", lambda: synthetic_nhs_number(rng.randrange(50_000))[: rng.randrange(4, 11)]),
        ("postcode", lambda: rng.choice(TEAMS)[1].lower()),
        ("postcode", lambda: f"{rng.choice(TEAMS)[1]} {rng.randrange(10)}"),
        ("postcode", lambda: f"{rng.choice(TEAMS)[1]}{rng.randrange(10)}"),
        ("empty", lambda: ""),
    ]
    queries = []
    for i in range(count):
        kind, make = makers[i % len(makers)]
        team = rng.choice(teams) if i % 2 else None
        queries.append((kind, caseload.CaseloadQuery(text=make(), team=team)))
    return queries


def later_pages() -> list[tuple[str, caseload.CaseloadQuery]]:
    """The pages fetched as the table scrolls down a broad search (fetchMore)."""
    return [("page", caseload.CaseloadQuery(text=text, offset=offset))
            for text in ("", "le1", "sm", "ma", "999 0") for offset in (200, 1000, 4000)]


def time_queries(uow: UnitOfWork, queries: list[tuple[str, caseload.CaseloadQuery]]
                 ) -> list[float]:
    """Seconds per ``search()`` call, in query order."""
    samples = []
    for _kind, query in queries:
        start = time.perf_counter()
        caseload.search(uow, query, today=TODAY)
        samples.append(time.perf_counter() - start)
    return samples


def tagged_queries(queries: list[tuple[str, caseload.CaseloadQuery]], rounds: int
                   ) -> list[tuple[str, caseload.CaseloadQuery]]:
    """The queries in the order they were timed."""
    return queries * rounds


def report(label: str, enc: list[float], base: list[float]) -> None:
    """One line: p50/p95 on both databases and the ratio."""
    e50, e95 = percentile(enc, 50) * 1000, percentile(enc, 95) * 1000
    b50, b95 = percentile(base, 50) * 1000, percentile(base, 95) * 1000
    verdict = "meets" if e95 <= GOAL_P95_MS else "MISSES"
    print(f"  {label:22s} n={len(enc):4d}  SQLCipher p50 {e50:6.2f} p95 {e95:6.2f} ms  |  "
          f"SQLite p50 {b50:6.2f} p95 {b95:6.2f} ms  |  ratio p50 {e50 / b50:4.2f}x "
          f"p95 {e95 / b95:4.2f}x  ({verdict} p95 <= {GOAL_P95_MS:.0f} ms)")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--queries", type=int, default=216)
    parser.add_argument("--rounds", type=int, default=3, help="timed passes over the queries")
    parser.add_argument("--slowest", type=int, default=5, help="list the slowest queries")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scp-bench-caseload-") as tmp:
        root = Path(tmp)
        created = VaultStore(root / "vault").create("Bench Nurse", Role.TEAM_LEAD, PASSPHRASE)
        encrypted = created.session.engine
        plain = plain_engine(root / "plain.db")
        upgrade_to(plain, None)
        for name, engine in (("SQLCipher vault", encrypted), ("plain SQLite", plain)):
            seconds = fill(engine, args.people)
            print(f"built {name:16s} {args.people:,} people in {seconds:6.2f} s "
                  f"({args.people / seconds:,.0f} people/s, {BATCH:,} per transaction)")
        uows = {"enc": created.session.uow,
                "base": UnitOfWork(make_session_factory(plain), Actor("bench", "bench"))}
        queries = nurse_queries(args.queries)
        for uow in uows.values():  # warm-up: statement cache and page cache
            time_queries(uow, queries)
        enc: list[float] = []
        base: list[float] = []
        for _ in range(args.rounds):  # interleaved so drift on the machine hits both alike
            enc.extend(time_queries(uows["enc"], queries))
            base.extend(time_queries(uows["base"], queries))
        tagged = [(kind, q.team is not None) for kind, q in queries] * args.rounds
        print(f"\nsearch(): page of up to 200 rows + total, {len(queries)} queries "
              f"x {args.rounds} rounds, {args.people:,} people")

        def pick(keep: Callable[[str, bool], bool]) -> tuple[list[float], list[float]]:
            idx = [i for i, (kind, team) in enumerate(tagged) if keep(kind, team)]
            return [enc[i] for i in idx], [base[i] for i in idx]

        report("all", enc, base)
        report("without team filter", *pick(lambda _k, team: not team))
        report("with team filter", *pick(lambda _k, team: team))
        for kind in ("name", "nhs", "postcode", "empty"):
            report(f"  {kind}", *pick(lambda k, _t, kind=kind: k == kind))
        later = later_pages()
        for uow in uows.values():
            time_queries(uow, later)  # warm-up
        timed = {name: [t for _ in range(args.rounds) for t in time_queries(uow, later)]
                 for name, uow in uows.items()}
        report("later pages (scroll)", timed["enc"], timed["base"])
        slowest = sorted(zip(enc, tagged_queries(queries, args.rounds), strict=True),
                         key=lambda pair: pair[0], reverse=True)[: args.slowest]
        for seconds, (kind, query) in slowest:
            print(f"  slow: {seconds * 1000:6.2f} ms  {kind:8s} {query.text!r:16s} "
                  f"team={query.team}")
        created.session.close()
        plain.dispose()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
