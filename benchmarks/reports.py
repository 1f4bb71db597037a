"""Governance reports benchmark: each report on a 50,000-person encrypted vault.

Builds an encrypted vault (SQLCipher 4, the app's own ``VaultStore``) holding a caseload
in proportion to 50,000 people across 12 teams: about a third with a delegation decided
over the two years before "today" (some with two), a support plan for each delegation
going ahead (one to three versions, two funding lines each, some interim without
prejudice and some of those reconciled), reviews due and done, competency sign-offs by 30
providers' care workers, and shared care discussions with themes. Equality answers are
spread over categories, "prefer not to say" and not recorded. Rows go in by bulk INSERT
through SQLAlchemy core (no outbox or audit rows: they play no part in the reports).

Then it times each report, and the joint meeting pack, for the last 12 months and the
last quarter, for all teams and for one team: the median of several runs of the service
call as the Reports screen makes it (one unit of work, SQL aggregates, frozen result),
printed against the goal of under a second each.

All data is synthetic: 999-range NHS numbers, invented names.

Run: ``python benchmarks/reports.py`` (``--people 50000 --runs 5``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import random
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from sqlalchemy import insert

REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop_app.models.competency import CompetencySignOff  # noqa: E402
from desktop_app.models.delegation import DelegationCase  # noqa: E402
from desktop_app.models.history import CaseEvent  # noqa: E402
from desktop_app.models.mdt import SharedCareDiscussion  # noqa: E402
from desktop_app.models.person import PREFER_NOT_TO_SAY, Person  # noqa: E402
from desktop_app.models.plan import FundingSplit, SupportPlan  # noqa: E402
from desktop_app.models.provider import CareProvider, CareWorker  # noqa: E402
from desktop_app.models.review import Review  # noqa: E402
from desktop_app.models.user import Role  # noqa: E402
from desktop_app.services import reports  # noqa: E402
from desktop_app.services.core.uow import UnitOfWork  # noqa: E402
from desktop_app.services.framework.identifiers import synthetic_nhs_number  # noqa: E402
from desktop_app.services.vault import VaultStore  # noqa: E402

PASSPHRASE = "benchmark passphrase for the reports"
GOAL_S = 1.0
TODAY = dt.date(2026, 6, 1)
BATCH = 10_000
TEAMS = ["City North INT", "City South INT", "City East INT", "City West INT",
         "City Centre INT", "Charnwood INT", "Melton INT", "Hinckley INT", "Rutland INT",
         "Coalville INT", "Market Harborough INT", "Lutterworth INT"]
COUNCILS = ["leicester_city", "leicestershire_county", "rutland_county"]
TASKS = ["eye_drops", "insulin_prefilled_pen", "compression_hosiery", "stoma_bag_change",
         "peg_feed", "oxygen_therapy", "blood_glucose_finger_prick", "nebuliser",
         "dry_dressing_replacement", "laxative_suppository", "vital_signs_monitoring"]
OUTCOMES = (["DELEGATED_EXISTING_PACKAGE"] * 8 + ["DELEGATED_JOINT_FUNDED"] * 5
            + ["DELEGATED_HEALTH_FUNDED"] * 4 + ["INTERIM_WITHOUT_PREJUDICE"] * 2
            + ["ESCALATED_SHARED_CARE"] * 2 + ["NOT_DELEGATED"] * 3 + ["PERSON_DECLINED"]
            + ["NO_PROVIDER", "REFER_CHC", "SOCIAL_CARE_ONLY", "WITHDRAWN", "WITHDRAWN"])
GOING_AHEAD = {"DELEGATED_EXISTING_PACKAGE", "DELEGATED_JOINT_FUNDED",
               "DELEGATED_HEALTH_FUNDED", "INTERIM_WITHOUT_PREJUDICE", "WITHDRAWN"}
EQUALITY = {
    "eq_disability": ["Yes", "No"],
    "eq_gender_reassignment": ["No", "Yes"],
    "eq_marriage_civil_partnership": ["Married", "Widowed", "Single", "Divorced",
                                      "Civil partnership"],
    "eq_pregnancy_maternity": ["No"],
    "eq_ethnicity": ["White British", "White other", "Indian", "Pakistani", "Bangladeshi",
                     "Black Caribbean", "Black African", "Mixed", "Chinese", "Other"],
    "eq_religion_belief": ["Christian", "No religion", "Muslim", "Hindu", "Sikh", "Jewish",
                           "Buddhist", "Jain"],
    "eq_sex": ["Female", "Male"],
    "eq_sexual_orientation": ["Heterosexual", "Gay or lesbian", "Bisexual"],
}
THEMES = ["funding", "training", "stability", "clinical risk", "joint package", "consent",
          "delegation", "provider capacity"]


def uid(kind: str, number: int) -> str:
    """A UUID-shaped id, unique per kind and number (readable when debugging)."""
    return f"{kind[:8]:0>8}-0000-4000-8000-{number:012d}"


def _equality(rng: random.Random) -> dict[str, str | None]:
    answers: dict[str, str | None] = {}
    for column, values in EQUALITY.items():
        roll = rng.random()
        # The first answer commonest, each next one rarer (a few categories stay small).
        weights = [1 / (rank + 1) ** 2 for rank in range(len(values))]
        answers[column] = (None if roll < 0.15 else PREFER_NOT_TO_SAY if roll < 0.2
                           else rng.choices(values, weights)[0])
    return answers


def people(count: int, rng: random.Random) -> Iterator[dict[str, Any]]:
    for serial in range(count):
        yield {"id": uid("person", serial), "nhs_number": synthetic_nhs_number(serial),
               "given_name": "Bench", "family_name": f"Person{serial}",
               "date_of_birth": dt.date(1925, 1, 1) + dt.timedelta(days=rng.randrange(365 * 75)),
               "address_line1": "1 Example Street", "town": "Leicester", "postcode": "LE1 5WW",
               "team": TEAMS[serial % len(TEAMS)], **_equality(rng)}


class Caseload:
    """Rows for everything around the people, made in one pass."""

    def __init__(self, rng: random.Random) -> None:
        self.rng = rng
        self.rows: dict[Any, list[dict[str, Any]]] = {
            model: [] for model in (DelegationCase, CaseEvent, SupportPlan, FundingSplit,
                                    Review, CompetencySignOff, SharedCareDiscussion)}
        self.workers = [uid("worker", n) for n in range(600)]
        self.serial = 0

    def next_id(self, kind: str) -> str:
        self.serial += 1
        return uid(kind, self.serial)

    def for_person(self, person_id: str) -> None:
        roll = self.rng.random()
        versions = 0
        for _ in range(2 if roll < 0.05 else 1 if roll < 0.33 else 0):
            versions = self.delegation(person_id, versions)

    def delegation(self, person_id: str, versions: int) -> int:
        rng = self.rng
        decided = TODAY - dt.timedelta(days=rng.randrange(1, 730))
        outcome = rng.choice(OUTCOMES)
        # A withdrawal keeps the decision it ended (jointly funded here) and is an event.
        decided_outcome = "DELEGATED_JOINT_FUNDED" if outcome == "WITHDRAWN" else outcome
        case_id = self.next_id("case")
        status = ("withdrawn" if outcome == "WITHDRAWN" else "active"
                  if outcome in GOING_AHEAD else "decided")
        self.rows[DelegationCase].append({
            "id": case_id, "person_id": person_id, "task_code": rng.choice(TASKS),
            "task_catalogue_version": "2026.1", "referred_by": "District nurse",
            "flow_version": "2026.1", "status": status, "outcome_code": decided_outcome,
            "decided_on": decided, "started_on": decided})
        self.event(case_id, person_id, "decided", decided, decided_outcome,
                   "active" if outcome in GOING_AHEAD else "decided")
        if outcome == "WITHDRAWN":
            ended = min(TODAY, decided + dt.timedelta(days=rng.randrange(30, 300)))
            self.event(case_id, person_id, "withdrawn_at_review", ended, "WITHDRAWN",
                       "withdrawn")
        if outcome == "ESCALATED_SHARED_CARE" or (outcome == "INTERIM_WITHOUT_PREJUDICE"
                                                  and rng.random() < 0.7):
            self.discussion(case_id, decided)
        if outcome in GOING_AHEAD:
            versions = self.plans(person_id, case_id, decided, outcome, versions)
            self.reviews(person_id, case_id, decided)
            self.sign_offs(person_id, case_id, decided)
        return versions

    def event(self, case_id: str, person_id: str, kind: str, on: dt.date, outcome: str,
              status: str) -> None:
        self.rows[CaseEvent].append({
            "id": self.next_id("event"), "delegation_case_id": case_id,
            "person_id": person_id, "kind": kind, "occurred_on": on,
            "recorded_by_name": "Bench Nurse", "flow_version": "2026.1",
            "outcome_code": outcome, "status": status, "reasons": [], "detail": {}})

    def discussion(self, case_id: str, opened: dt.date) -> None:
        rng = self.rng
        closed = opened + dt.timedelta(days=rng.randrange(3, 120))
        self.rows[SharedCareDiscussion].append({
            "id": self.next_id("discuss"), "delegation_case_id": case_id, "opened_on": opened,
            "question": "Who funds the extra call?", "options": "ICB, council or both",
            "funding_proposal": "Split by minutes", "interim_funder": "icb",
            "interim_from": opened, "escalated_to_mlcsu": rng.random() < 0.3,
            "closed_on": closed if closed <= TODAY else None,
            "decision": "Agreed" if closed <= TODAY else None,
            "themes": rng.sample(THEMES, rng.randrange(1, 3))})

    def plans(self, person_id: str, case_id: str, decided: dt.date, outcome: str,
              versions: int) -> int:
        rng = self.rng
        council = rng.choice(COUNCILS)
        interim = outcome == "INTERIM_WITHOUT_PREJUDICE"
        start = decided
        for _ in range(rng.randrange(1, 4)):
            versions += 1
            plan_id = self.next_id("plan")
            self.rows[SupportPlan].append({
                "id": plan_id, "person_id": person_id, "delegation_case_id": case_id,
                "version_number": versions, "effective_from": start,
                "created_by_name": "Bench Nurse"})
            reconciled = start + dt.timedelta(days=90) if interim and rng.random() < 0.5 \
                else None
            for funder, pence in (("icb", rng.randrange(0, 20_000)),
                                  (council, rng.randrange(0, 30_000))):
                self.rows[FundingSplit].append({
                    "id": self.next_id("split"), "plan_id": plan_id,
                    "delegation_case_id": case_id, "funder": funder,
                    "method": "fixed_percentage", "inputs": {}, "pence_per_week": pence,
                    "free_to_person": funder == "icb", "lead_commissioner": funder != "icb",
                    "start_date": decided, "interim_without_prejudice": interim,
                    "dispute_reference": "MLCSU-999" if interim else None,
                    "reconciled_on": reconciled})
            start += dt.timedelta(days=rng.randrange(30, 300))
            if start > TODAY:
                break
        return versions

    def reviews(self, person_id: str, case_id: str, decided: dt.date) -> None:
        rng = self.rng
        due, kind = decided + dt.timedelta(days=91), "three_month"
        while due <= TODAY + dt.timedelta(days=90):
            done = due + dt.timedelta(days=rng.randrange(-20, 40))
            self.rows[Review].append({
                "id": self.next_id("review"), "delegation_case_id": case_id,
                "person_id": person_id, "due_on": due, "kind": kind,
                "done_on": done if done <= TODAY and rng.random() < 0.85 else None})
            due, kind = due + dt.timedelta(days=365), "annual"

    def sign_offs(self, person_id: str, case_id: str, decided: dt.date) -> None:
        rng = self.rng
        for _ in range(rng.randrange(1, 3)):
            signed = decided - dt.timedelta(days=rng.randrange(1, 30))
            status = rng.choices(["current", "suspended", "withdrawn"], [0.9, 0.05, 0.05])[0]
            self.rows[CompetencySignOff].append({
                "id": self.next_id("signoff"), "worker_id": rng.choice(self.workers),
                "person_id": person_id, "task_code": "eye_drops", "training_level": 1,
                "trainer_name": "Trainer", "assessor_name": "Assessor",
                "signed_off_on": signed, "refresher_due": signed + dt.timedelta(days=365),
                "status": status, "delegation_case_id": case_id,
                "withdrawn_reason": "Left" if status == "withdrawn" else None})


def fill(uow: UnitOfWork, count: int, seed: int = 2026) -> dict[str, int]:
    """Bulk-insert the caseload; returns how many rows of each kind."""
    rng = random.Random(seed)
    caseload = Caseload(rng)
    person_rows = list(people(count, rng))
    for row in person_rows:
        caseload.for_person(row["id"])
    providers = [{"id": uid("provider", n), "name": f"Bench Care {n:02d}",
                  "phone": "0116 000 0000", "council": COUNCILS[n % 3]} for n in range(30)]
    workers = [{"id": worker, "provider_id": providers[n % 30]["id"], "given_name": "Care",
                "family_name": f"Worker{n}", "role_title": "Care worker"}
               for n, worker in enumerate(caseload.workers)]
    ordered = [(Person, person_rows), (CareProvider, providers), (CareWorker, workers),
               *caseload.rows.items()]
    for model, rows in ordered:
        for first in range(0, len(rows), BATCH):
            with uow.begin() as session:
                session.execute(insert(model), rows[first:first + BATCH])
    return {model.__tablename__: len(rows) for model, rows in ordered}


def median_seconds(call: Callable[[], object], runs: int) -> float:
    """The median wall time of ``runs`` calls, after one warm-up call."""
    call()
    samples = []
    for _ in range(runs):
        start = time.perf_counter()
        call()
        samples.append(time.perf_counter() - start)
    return statistics.median(samples)


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--people", type=int, default=50_000)
    parser.add_argument("--runs", type=int, default=5, help="timed runs per report")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory(prefix="scp-bench-reports-") as tmp:
        created = VaultStore(Path(tmp) / "vault").create("Bench Lead", Role.TEAM_LEAD,
                                                         PASSPHRASE)
        uow = created.session.uow
        start = time.perf_counter()
        counts = fill(uow, args.people)
        print(f"built the encrypted vault in {time.perf_counter() - start:.1f} s: "
              + ", ".join(f"{n:,} {table}" for table, n in counts.items()))
        year = reports.ReportQuery(TODAY - dt.timedelta(days=365), TODAY - dt.timedelta(days=1))
        quarter = reports.ReportQuery(dt.date(2026, 3, 1), dt.date(2026, 5, 31))
        worst = 0.0
        for name, query in (("12 months, all teams", year),
                            ("12 months, one team", reports.ReportQuery(
                                year.period_start, year.period_end, TEAMS[0])),
                            ("quarter, all teams", quarter)):
            print(f"\n{name} ({query.period_start} to {query.period_end}), median of "
                  f"{args.runs} runs, goal < {GOAL_S:.0f} s each:")
            for spec in reports.REPORTS:
                seconds = median_seconds(lambda spec=spec, query=query: reports.run_report(
                    uow, spec.kind, query, today=TODAY), args.runs)
                worst = max(worst, seconds)
                print(f"  {spec.title:22s} {seconds * 1000:8.1f} ms  "
                      f"{'meets' if seconds < GOAL_S else 'MISSES'}")
            seconds = median_seconds(lambda query=query: reports.load_meeting_pack(
                uow, TODAY, query.team), args.runs)
            print(f"  {'Joint meeting pack':22s} {seconds * 1000:8.1f} ms  (load, audited)")
        print(f"\nslowest report: {worst * 1000:.1f} ms "
              f"({'meets' if worst < GOAL_S else 'MISSES'} the goal of < {GOAL_S:.0f} s)")
        created.session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
