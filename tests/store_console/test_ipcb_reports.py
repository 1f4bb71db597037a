"""The IPCB's reports across every team, on the store's real PostgreSQL, against the laptop's.

Two real laptops (vaults enrolled by the real sync client) each write the report tests'
known caseload (tests/services/reports/dataset.py: the desktop's own models) and
sync it to a real store started for this module (its own database, so "all teams" means
exactly these teams). Then every report is computed twice: by the store, in SQL over the
synced records, and by the desktop's report services over a vault. For one team the two
must read the same, cell by cell. Across teams they must read as the laptop's report over
a third vault that holds both teams' records (never synced: both written again there), so
the equality report's small numbers are suppressed on the combined figures, not team by
team. One person is removed on a laptop before the sync, so its tombstone must not be
counted. Then the console's pages: for ``ipcb_governance`` only, a suppressed cell as
"<5" on the page and in the CSV, and the problem a laptop reported.

After the review of the reports: the equality report is refused for one team (the
all-teams figures minus the other teams' would give a hidden count away) and for any
period but one ended financial quarter (overlapping periods would give away the days
between); every view of it is audited; the live records have an index the reports' SQL
can use; and a report that runs past the store's time limit (3 seconds for this module's
store) is stopped with a plain message.

The caseloads are built once per module (four builds and two syncs; about 20 s).
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import re
import shutil
from collections.abc import Callable, Iterator, Sequence
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.competency import BackfillPayer, TrainingEvent
from desktop_app.models.delegation import OutcomeCode
from desktop_app.models.history import InterimReconciliation
from desktop_app.models.person import PREFER_NOT_TO_SAY, Person
from desktop_app.models.person_centred import AssessmentKind, Signposting
from desktop_app.models.provider import CareWorker
from desktop_app.models.review import ReviewKind
from desktop_app.services.core.tracking import tombstone
from desktop_app.services.framework.catalogue import NO_TASK_CODE
from desktop_app.services.framework.funding import COUNCILS, FUNDER_NAMES
from desktop_app.services.framework.labels import BACKFILL_PAYERS, REVIEW_KINDS
from desktop_app.services.framework.outcomes import OUTCOMES
from desktop_app.services.framework.person_centred import (
    ASSESSMENT_KIND_LABELS,
    PROBLEM_AREAS,
    PROBLEM_STATUS_LABELS,
    STALE_AFTER_DAYS,
)
from desktop_app.services.registers import EXPIRING_WITHIN_DAYS
from desktop_app.services.registers.framework_problems import ProblemInput, report_problem
from desktop_app.services.reports import ReportQuery, run_report
from desktop_app.services.reports import delegations as laptop_delegations
from desktop_app.services.reports import equality as laptop_equality
from desktop_app.services.reports import person_centred as laptop_person_centred
from desktop_app.services.reports import suppression as laptop_suppression
from desktop_app.services.reports.model import Report
from desktop_app.services.vault import VaultSession, VaultStore
from scp_common import suppression as shared_suppression
from sync_server import admin
from sync_server.config import (
    DEFAULT_REPORT_TIMEOUT_SECONDS,
    MIN_CLIENT_VERSION_ENV,
    REPORT_TIMEOUT_ENV,
    Settings,
    normalise_database_url,
)
from sync_server.console.pages_reports import default_period
from sync_server.database import make_engine, make_session_factory
from sync_server.models import Record
from sync_server.reports import REPORTS, ReportError, StoreReport, StoreReportQuery, labels
from sync_server.reports import catalogue as store_catalogue
from sync_server.reports import equality as store_equality
from sync_server.reports import person_centred as store_person_centred
from sync_server.reports import run_report as store_report
from sync_server.reports import sql as store_sql
from sync_server.reports.export import to_csv
from sync_server.reports.periods import Quarter, ended_quarters, offered_quarter
from tests.services.reports import dataset
from tests.store_console.console_client import Console, ConsoleClient
from tests.support import PASSPHRASE, TEST_KDF
from tests.sync.laptops import VaultLaptop, enrolled_laptops
from tests.sync_server.store import MIN_CLIENT_VERSION
from tools.throwaway_store import PostgresCluster, StoreProcess

START, END = dt.date(2026, 1, 1), dt.date(2026, 3, 31)
TODAY = dataset.TODAY
PRODUCED = dt.datetime(2026, 4, 15, 9, 30, tzinfo=dt.UTC)
ALPHA, BETA, GAMMA = "Alpha store team", "Beta store team", "Gamma store team"
PROBLEM_TEXT = ("The S4 question about the care worker's training does not say what to do "
                "when the trainer is away for a month.")
REPORT_NAMES = [spec.name for spec in REPORTS]
PER_TEAM_NAMES = [name for name in REPORT_NAMES if name != "equality"]  # equality: all teams
BY_TEAM = "By team"
TIME_LIMIT = 3  # seconds: this module's store stops a report's statement after this


@dataclass
class Synced:
    """The module's store, its teams (name → id), the laptops and the union vault."""

    store: StoreProcess
    sessions: sessionmaker[Session]
    console: Console
    teams: dict[str, str]
    alpha: VaultLaptop
    beta: VaultLaptop
    union: VaultSession
    removed_person: str

    def store_report(self, name: str, team: str | None = None) -> StoreReport:
        query = StoreReportQuery(START, END, self.teams[team] if team else None, team)
        with self.sessions() as db, db.begin():
            return store_report(db, name, query, author="IPCB tester", today=TODAY,
                                produced_at=PRODUCED)


@contextmanager
def serials_from(first: int) -> Iterator[None]:
    """The dataset's people numbered from ``first`` (so a second caseload in one vault has
    NHS numbers of its own)."""
    original = dataset._Serials

    class Later(original):  # type: ignore[misc, valid-type]
        def __init__(self) -> None:
            super().__init__()
            self.next = first

    dataset._Serials = Later  # type: ignore[misc]
    try:
        yield
    finally:
        dataset._Serials = original  # type: ignore[misc]


def unlocked_copy(template: tuple[Path, str, str], folder: Path) -> VaultSession:
    """A vault of its own, never enrolled (the union of both teams' caseloads)."""
    source, user_id, _ = template
    shutil.copytree(source, folder)
    return VaultStore(folder, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)


def add_extras(uow: Any, built: dataset.Built, service: str) -> None:
    """What the known caseload lacks for the funding and person-centred reports: an
    interim reconciliation, training with backfill (one for nobody in particular: level
    1), and signposting typed two ways."""
    with uow.begin() as s:
        worker = s.scalars(select(CareWorker.id).order_by(CareWorker.given_name)).first()
        s.add(InterimReconciliation(
            delegation_case_id=built.cases["f4"], interim_funder="icb",
            period_from=dt.date(2026, 1, 5), period_to=dt.date(2026, 2, 28),
            interim_pence=16_500, reconciled_on=dt.date(2026, 3, 1),
            repayments=[{"funder": "leicestershire_county", "pence": 11_000}],
            recorded_by_name="A Nurse"))
        s.add_all([
            TrainingEvent(worker_id=worker, person_id=built.people["q1"], task_code="eye_drops",
                          level=2, trained_on=dt.date(2026, 2, 3), trainer_name="T",
                          materials="Eye drops v1", backfill_minutes=90,
                          backfill_pence_per_hour=1_850, backfill_payer="icb"),
            TrainingEvent(worker_id=worker, person_id=None, task_code="eye_drops", level=1,
                          trained_on=dt.date(2026, 3, 3), trainer_name="T",
                          materials="Eye drops v1", backfill_minutes=45,
                          backfill_pence_per_hour=1_700, backfill_payer="provider")])
        s.add_all(Signposting(person_id=built.people[person], given_on=day, occasion=occasion,
                              for_whom=for_whom, action=action, service=name,
                              recorded_by_name="A Nurse")
                  for person, day, occasion, for_whom, action, name in (
                      ("q2", dt.date(2026, 1, 20), "visit", "person", "signposted", service),
                      ("q3", dt.date(2026, 2, 20), "review", "carer", "referred",
                       f" {service.upper()} "),
                      ("q4", dt.date(2026, 3, 20), "phone_call", "person", "referred",
                       "Carers Centre")))


def remove_person(uow: Any, person_id: str) -> None:
    with uow.begin() as s:
        row = s.get(Person, person_id)
        assert row is not None
        tombstone(s, row)


@pytest.fixture(scope="module")
def synced(postgres: PostgresCluster, template_vault: tuple[Path, str, str],
           tmp_path_factory: pytest.TempPathFactory) -> Iterator[Synced]:
    """Two teams' laptops with the known caseload synced to a store of this module's own,
    and the union vault (see the module docstring)."""
    folder = tmp_path_factory.mktemp("ipcb")
    database = postgres.new_database("ipcb")
    url = postgres.database_url(database)
    server = StoreProcess(url, folder / "store.log",
                          env={MIN_CLIENT_VERSION_ENV: MIN_CLIENT_VERSION,
                               REPORT_TIMEOUT_ENV: str(TIME_LIMIT)})
    engine = make_engine(normalise_database_url(url))
    with ExitStack() as stack:
        server.start()
        stack.callback(server.stop)
        sessions = make_session_factory(engine)
        with sessions.begin() as db:
            teams = {name: admin.create_team(db, name).id for name in (ALPHA, BETA, GAMMA)}
        make = stack.enter_context(enrolled_laptops(server.base_url, sessions, template_vault,
                                                    folder, "IPCB laptop"))
        alpha, beta = make(ALPHA), make(BETA)
        union = unlocked_copy(template_vault, folder / "union")
        stack.callback(union.close)
        built = dataset.build(alpha.uow)
        first_in_union = dataset.build(union.uow)
        add_extras(alpha.uow, built, "Age UK Leicester")
        add_extras(union.uow, first_in_union, "Age UK Leicester")
        with serials_from(1000):
            second = dataset.build(beta.uow)
            second_in_union = dataset.build(union.uow)
        add_extras(beta.uow, second, "age uk leicester")
        add_extras(union.uow, second_in_union, "age uk leicester")
        # Removed on the laptop before the sync: the store holds it as a tombstone.
        remove_person(alpha.uow, built.people["q0"])
        remove_person(union.uow, first_in_union.people["q0"])
        report_problem(alpha.uow, ProblemInput("S4", PROBLEM_TEXT), "A Nurse", today=TODAY)
        for laptop in (alpha, beta):
            result = laptop.sync()
            assert result.pushed > 100 and not (result.quarantined or result.held_back), result
        yield Synced(server, sessions, Console(server.base_url, sessions), teams, alpha, beta,
                     union, built.people["q0"])
    engine.dispose()
    postgres.drop_database(database)


def laptop_report(uow: Any, name: str) -> Report:
    return run_report(uow, name, ReportQuery(START, END, None), today=TODAY,
                      produced_at=PRODUCED)


# ------------------------------------------------------------------ comparing the two


Table = tuple[str, tuple[str, ...], list[list[str]]]


def tables(sections: Sequence[Any]) -> list[Table]:
    """Each section as (title, columns, rows of texts). The Team column of the interim
    funding tables is left blank: the laptop writes the person's team as typed, the store
    its own team's name."""
    found = []
    for section in sections:
        if section.title == BY_TEAM:
            continue
        blank = {i for i, c in enumerate(section.columns) if c == "Team"}
        rows = [["" if i in blank else cell.text for i, cell in enumerate(row)]
                for row in section.rows]
        found.append((section.title, tuple(section.columns), rows))
    return found


def providers_merged(table: Table) -> Table:
    """The laptop's competency table with providers of one name and council as one row (as
    the store counts a provider that several teams recorded)."""
    title, columns, rows = table
    merged: dict[tuple[str, str], list[str]] = {}
    for row in rows[:-1]:
        key = (row[0], row[1])
        if key in merged:
            merged[key] = [*key, *(f"{int(a.replace(',', '')) + int(b.replace(',', '')):,}"
                                   for a, b in zip(merged[key][2:], row[2:], strict=True))]
        else:
            merged[key] = row
    return title, columns, [*merged.values(), rows[-1]]


def assert_same(store: StoreReport, laptop: Report,
                adjust: Callable[[Table], Table] = lambda t: t) -> None:
    assert store.title == laptop.title
    assert store.suppression_rule == laptop.suppression_rule
    ours, theirs = tables(store.sections), [adjust(t) for t in tables(laptop.sections)]
    assert [t[:2] for t in ours] == [t[:2] for t in theirs]
    for mine, expected in zip(ours, theirs, strict=True):
        assert mine == expected, f"section {mine[0]!r} differs"


def by_team(report: StoreReport) -> dict[str, list[str]]:
    section = next(s for s in report.sections if s.title == BY_TEAM)
    return {row[0].text: [cell.text for cell in row[1:]] for row in section.rows}


def section(report: StoreReport | Report, title: str) -> list[list[str]]:
    found = next(s for s in report.sections if s.title == title)
    return [[cell.text for cell in row] for row in found.rows]


# ------------------------------------------------------------------ the figures


@pytest.mark.parametrize("name", PER_TEAM_NAMES)
def test_one_team_reads_as_that_teams_laptop(synced: Synced, name: str) -> None:
    """The store's report for one team is the laptop's report over that team's vault (the
    equality report is for all teams only: tests below)."""
    assert_same(synced.store_report(name, ALPHA), laptop_report(synced.alpha.uow, name))
    assert_same(synced.store_report(name, BETA), laptop_report(synced.beta.uow, name))


@pytest.mark.parametrize("name", REPORT_NAMES)
def test_all_teams_read_as_the_laptop_over_both_teams_records(synced: Synced,
                                                              name: str) -> None:
    """Across teams: the laptop's report over a vault holding both teams' records (a
    provider recorded by both teams is one row on the store)."""
    adjust = ((lambda t: providers_merged(t) if t[0] == "By provider" else t)
              if name == "competency" else (lambda t: t))
    assert_same(synced.store_report(name), laptop_report(synced.union.uow, name), adjust)


@pytest.mark.hazard("H-028")
def test_equality_suppresses_the_combined_figures_not_team_by_team(synced: Synced) -> None:
    """Each team has 3 people of religions recorded fewer than 5 times (Sikh 2, Jain 1),
    folded into "Other" and hidden as "<5". Together the teams have 6, which is no small
    number: the store suppresses the sum, as the laptop does over both teams' records, so
    it is not "<5" (here it is "*": 5 or more, hidden to protect a small count beside it),
    where suppressing team by team and adding up would have said "<5" + "<5"."""
    alpha = section(laptop_report(synced.alpha.uow, "equality"), "Religion or belief")
    both = section(synced.store_report("equality"), "Religion or belief")
    union = section(laptop_report(synced.union.uow, "equality"), "Religion or belief")
    other = next(row for row in alpha if row[0] == "Other")
    assert other[3] == "<5" and other[5] == "<5"  # not delegated, and the row's total
    assert both == union
    combined = next(row for row in both if row[0] == "Other")
    assert combined[3] == "*"


def test_tombstoned_records_are_not_counted(synced: Synced) -> None:
    """The person removed on Alpha's laptop is on the store only as a tombstone, and the
    decision about them is not counted: each caseload has 28 decisions in the quarter (the
    dataset's 27 and another team's one), so Alpha has 27 and Beta 28."""
    with synced.sessions() as db:
        record = db.scalar(select(Record).where(Record.id == synced.removed_person,
                                                Record.entity_type == "person"))
    assert record is not None and record.tombstone
    teams = by_team(synced.store_report("delegations"))
    assert teams[ALPHA][0] == "27" and teams[BETA][0] == "28"
    assert teams[GAMMA] == ["0"] * 5
    assert teams["All teams"][0] == "55"


def test_a_team_filter_counts_that_team_only(synced: Synced) -> None:
    gamma = synced.store_report("delegations", GAMMA)
    assert gamma.teams == (GAMMA,)
    assert section(gamma, "By outcome")[-1][-1] == "0"
    assert list(by_team(gamma)) == [GAMMA, "All teams"]
    alpha = synced.store_report("funding", ALPHA)
    interim = section(alpha, "Interim without prejudice, awaiting reconciliation")
    assert {row[1] for row in interim[:-1]} == {ALPHA}


def test_a_row_the_store_cannot_read_is_left_out_not_an_error(synced: Synced) -> None:
    """A decision whose date is not a real day (the store does not check a row's fields
    when it is pushed) is not counted, and every other figure is still made."""
    case_id, person_id = "00000000-0000-4000-8000-00000000d001", \
        "00000000-0000-4000-8000-00000000d002"
    now = dt.datetime.now(dt.UTC)
    rows = {
        ("person", person_id): {"id": person_id, "date_of_birth": "1940-13-45",
                                "eq_sex": "Female", "deleted": False},
        ("delegation_case", case_id): {"id": case_id, "person_id": person_id,
                                       "task_code": "eye_drops", "deleted": False},
        ("case_event", "00000000-0000-4000-8000-00000000d003"): {
            "delegation_case_id": case_id, "person_id": person_id, "kind": "decided",
            "occurred_on": "2026-02-30", "outcome_code": "NOT_DELEGATED", "deleted": False},
    }
    with synced.sessions.begin() as db:
        version = 0
        for (entity, record_id), row in rows.items():
            version += 1
            db.add(Record(id=record_id, entity_type=entity, team_id=synced.teams[GAMMA],
                          server_version=10_000 + version, row=row, tombstone=False,
                          updated_at=now, device_id="test"))
    try:
        for name in REPORT_NAMES:
            report = synced.store_report(name, None if name == "equality" else GAMMA)
            assert report.sections
        assert by_team(synced.store_report("delegations", GAMMA))[GAMMA][0] == "0"
    finally:
        with synced.sessions.begin() as db:
            db.execute(text("DELETE FROM record WHERE id LIKE '00000000-0000-4000-8000-%'"))


NOT_RECORDED_DISABILITY = ["Not recorded", "0", "0", "<5", "0", "<5"]  # across both teams


def test_csv_is_laid_out_as_the_laptops_and_keeps_hidden_counts_hidden(synced: Synced
                                                                       ) -> None:
    report = synced.store_report("equality")
    lines = list(csv.reader(io.StringIO(to_csv(report))))
    assert lines[0] == ["Report", "Equality monitoring: outcomes by protected characteristic"]
    assert ["Team", "All teams"] in lines
    assert any(line[:1] == ["Suppression rule"] and "\"<5\"" in line[1] for line in lines)
    assert NOT_RECORDED_DISABILITY in lines
    # Typed category names that a spreadsheet would run as a formula are made text.
    assert any(line[0] == "'" + dataset.INJECTION for line in lines if line)


# ------------------------------------------------------------------ the pages


@pytest.fixture(scope="module")
def ipcb(synced: Synced) -> Iterator[ConsoleClient]:
    """An IPCB governance account signed in (once for the module: signing in is slow by
    design, Argon2id)."""
    client = synced.console.signed_in_as(synced.console.make_account("ipcb_governance"))
    yield client
    client.close()


def query(synced: Synced, team: str | None = None) -> dict[str, str]:
    return {"team": synced.teams[team] if team else "", "from": "01/01/2026",
            "to": "31/03/2026"}


Q4 = Quarter(START, END)  # January to March 2026, financial year 2025/26
Q4_DETAIL = {"report": "equality", "from": "2026-01-01", "to": "2026-03-31"}


def audit_events(synced: Synced, action: str) -> list[Any]:
    """The details of the console chain's ``action`` events, oldest first."""
    with synced.sessions() as db:
        return list(db.execute(text(
            "SELECT detail FROM store_audit_event WHERE chain = 'console' AND action = :action "
            "ORDER BY seq"),
            {"action": action}).scalars())


def last_audit(synced: Synced, action: str) -> Any:
    events = audit_events(synced, action)
    assert events, action
    return events[-1]


def test_the_pages_are_for_the_ipcb_only(synced: Synced, ipcb: ConsoleClient) -> None:
    it = synced.console.signed_in_as(synced.console.make_account("it_admin"))
    try:
        for path in ("/console/reports", "/console/reports/equality",
                     "/console/reports/equality.csv", "/console/problems",
                     "/console/problems.csv"):
            refused = it.get(path, params=query(synced))
            assert refused.status_code == 403, path
            assert "Your role (IT administrator) cannot use this page" in refused.text
            assert "Other" not in refused.text and "Download as CSV" not in refused.text
            assert ipcb.get(path, params=query(synced)).status_code == 200, path
    finally:
        it.close()


def test_the_report_list_links_every_report(ipcb: ConsoleClient) -> None:
    page = ipcb.get("/console/reports")
    for spec in REPORTS:
        assert f'href="/console/reports/{spec.name}"' in page.text
    assert 'href="/console/problems"' in page.text


@pytest.mark.hazard("H-028")
def test_the_equality_page_shows_a_suppressed_cell_and_its_csv_says_so(
        synced: Synced, ipcb: ConsoleClient) -> None:
    page = ipcb.get("/console/reports/equality", params={"quarter": Q4.key})
    assert page.status_code == 200, page.text
    assert re.search(r'<td class="num suppressed"><abbr title="1 to 4[^"]*">&lt;5</abbr></td>',
                     page.text)
    assert "Small numbers are suppressed" in page.text
    assert "1 January 2026 to 31 March 2026" in page.text
    assert f'<option value="{Q4.key}" selected>{Q4.label}</option>' in page.text
    assert f'href="/console/reports/equality.csv?quarter={Q4.key}"' in page.text
    download = ipcb.get("/console/reports/equality.csv", params={"quarter": Q4.key})
    assert download.status_code == 200
    assert download.headers["content-type"].startswith("text/csv")
    assert "attachment" in download.headers["content-disposition"]
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert NOT_RECORDED_DISABILITY in lines
    assert last_audit(synced, "report_exported") == Q4_DETAIL


def test_every_report_page_renders_for_all_teams(synced: Synced, ipcb: ConsoleClient) -> None:
    """Each report's page shows its tables and the teams side by side (the equality report
    has no table by team: it would split its counts into smaller ones)."""
    for name in REPORT_NAMES:
        page = ipcb.get(f"/console/reports/{name}", params=query(synced))
        assert page.status_code == 200, (name, page.text[:2000])
        report = synced.store_report(name)
        for part in report.sections:
            assert f">{part.title}</h2>" in page.text.replace("&#39;", "'"), (name, part.title)
        assert (f">{BY_TEAM}</h2>" in page.text) is (name != "equality")
        assert f'href="/console/reports/{name}.csv?' in page.text


def test_a_period_that_cannot_be_used_comes_back_with_the_reason(
        synced: Synced, ipcb: ConsoleClient) -> None:
    page = ipcb.get("/console/reports/delegations",
                    params={"team": synced.teams[BETA], "from": "31/03/2026",
                            "to": "01/01/2026"})
    assert page.status_code == 400
    assert "The period ends before it starts." in page.text
    assert 'value="31/03/2026"' in page.text and 'value="01/01/2026"' in page.text
    assert f'<option value="{synced.teams[BETA]}" selected>' in page.text
    page = ipcb.get("/console/reports/delegations",
                    params={"team": "", "from": "30/02/2026", "to": "31/03/2026"})
    assert page.status_code == 400
    assert "not a real date" in page.text
    assert ipcb.get("/console/reports/nothing").status_code == 404


def test_the_problems_page_lists_a_report_sent_by_a_laptop(synced: Synced,
                                                           ipcb: ConsoleClient) -> None:
    page = ipcb.get("/console/problems")
    assert page.status_code == 200
    assert PROBLEM_TEXT.replace("'", "&#39;") in page.text
    assert ALPHA in page.text and "Received" in page.text and "15/04/2026" in page.text
    assert "Step S4" in page.text
    assert "A Nurse" not in page.text  # who reported it is not shown
    ruled = ipcb.get("/console/problems", params={"status": "ruling_issued"})
    assert PROBLEM_TEXT.replace("'", "&#39;") not in ruled.text
    other_team = ipcb.get("/console/problems", params={"team": synced.teams[BETA]})
    assert PROBLEM_TEXT.replace("'", "&#39;") not in other_team.text
    download = ipcb.get("/console/problems.csv", params={"team": synced.teams[ALPHA]})
    lines = list(csv.reader(io.StringIO(download.content.decode("utf-8-sig"))))
    assert any(PROBLEM_TEXT in line for line in lines)
    assert ["Team", ALPHA] in lines


def test_the_default_period_is_the_last_three_whole_months(ipcb: ConsoleClient) -> None:
    page = ipcb.get("/console/reports/reviews")
    assert page.status_code == 200
    start, end = default_period(dt.date.today())
    assert f'value="{start:%d/%m/%Y}"' in page.text and f'value="{end:%d/%m/%Y}"' in page.text
    assert default_period(dt.date(2026, 2, 10)) == (dt.date(2025, 11, 1), dt.date(2026, 1, 31))


# ------------------------------------------------------------------ no working out by comparing


def test_equality_is_for_all_teams_only(synced: Synced, ipcb: ConsoleClient) -> None:
    """A hidden count of one team could be worked out by subtraction: the all-teams figure
    is the teams' figures added up (all 13, team B 10: team A 3). So the store never makes
    the equality report for one team, on the page, in the CSV or when asked directly, and
    says why on the page and in the CSV's notes. No other report shows a protected
    characteristic, so none reopens the hole by team."""
    with pytest.raises(ReportError) as refused:
        synced.store_report("equality", ALPHA)
    assert refused.value.field == "team"
    assert refused.value.message == store_equality.ALL_TEAMS_ONLY

    asked = {"team": synced.teams[ALPHA], "quarter": Q4.key}
    page = ipcb.get("/console/reports/equality", params=asked)
    assert page.status_code == 400
    assert "for all teams together only" in page.text.replace("&#39;", "'")
    assert ">Religion or belief</h2>" not in page.text and "&lt;5" not in page.text
    download = ipcb.get("/console/reports/equality.csv", params=asked)
    assert download.status_code == 400
    assert not download.headers["content-type"].startswith("text/csv")
    assert "for all teams together only" in download.text.replace("&#39;", "'")

    # The page offers no team to choose, and says why; the CSV's notes say the same.
    page = ipcb.get("/console/reports/equality", params={"quarter": Q4.key})
    assert page.status_code == 200
    assert 'id="team"' not in page.text
    assert "never for one team" in page.text
    lines = list(csv.reader(io.StringIO(
        ipcb.get("/console/reports/equality.csv", params={"quarter": Q4.key})
        .content.decode("utf-8-sig"))))
    assert ["Team", "All teams"] in lines
    assert any(line[:1] == ["Note"] and line[1].startswith("All teams only") for line in lines)

    # Nothing else reopens the hole: the equality report has no table by team, and no
    # other report (each may be shown for one team) counts people by a protected
    # characteristic or hides small numbers.
    titles = {title for _, title in labels.CHARACTERISTICS}
    assert {s.title for s in synced.store_report("equality").sections} == titles
    for name in PER_TEAM_NAMES:
        report = synced.store_report(name, ALPHA)
        assert report.suppression_rule is None, name
        for part in report.sections:
            shown = {part.title, *part.columns, *(row[0].text for row in part.rows)}
            assert not shown & titles, (name, part.title)


def test_equality_takes_whole_financial_quarters_that_have_ended(
        synced: Synced, ipcb: ConsoleClient) -> None:
    """Differencing periods: January to March minus January to February is March, with
    March's hidden counts. So the equality report takes one financial quarter (April to
    June, July to September, October to December, January to March), chosen from a list,
    once it has ended; any other period is refused with the reason."""
    february = StoreReportQuery(START, dt.date(2026, 2, 28))
    with synced.sessions() as db, db.begin(), pytest.raises(ReportError) as refused:
        store_report(db, "equality", february, author="IPCB tester", today=TODAY)
    assert refused.value.message == store_equality.QUARTERS_ONLY

    page = ipcb.get("/console/reports/equality",
                    params={"from": "01/01/2026", "to": "28/02/2026"})
    assert page.status_code == 400
    assert "one whole financial quarter at a time" in page.text
    assert "asked for 01/01/2026 to 28/02/2026" in page.text
    assert ">Religion or belief</h2>" not in page.text and "&lt;5" not in page.text
    assert ipcb.get("/console/reports/equality.csv",
                    params={"from": "01/01/2026", "to": "28/02/2026"}).status_code == 400
    for refused_key in ("2026-02", Quarter.containing(dt.date.today()).key, "2026-1", "junk"):
        answer = ipcb.get("/console/reports/equality", params={"quarter": refused_key})
        assert answer.status_code == 400, refused_key
        assert "one whole financial quarter at a time" in answer.text, refused_key
        assert ipcb.get("/console/reports/equality.csv",
                        params={"quarter": refused_key}).status_code == 400, refused_key

    # A quarter, chosen from the list or named exactly by its days, is made.
    page = ipcb.get("/console/reports/equality", params={"quarter": Q4.key})
    assert page.status_code == 200 and "1 January 2026 to 31 March 2026" in page.text
    assert 'id="from"' not in page.text and 'id="to"' not in page.text
    offered = re.findall(r'<option value="([0-9]{4}-[0-9]{2})"', page.text)
    assert offered == [q.key for q in ended_quarters(dt.date.today())]
    assert ipcb.get("/console/reports/equality", params=query(synced)).status_code == 200
    # With nothing chosen: the latest quarter that has ended.
    latest = ended_quarters(dt.date.today())[0]
    assert f'<option value="{latest.key}" selected>' in \
        ipcb.get("/console/reports/equality").text


def test_financial_quarters_never_overlap() -> None:
    quarters = ended_quarters(dt.date(2026, 4, 15))
    assert quarters[0] == Q4 and len(quarters) == 20
    assert Q4.label == "January to March 2026 (2025/26 quarter 4)"
    april = Quarter(dt.date(2025, 4, 1), dt.date(2025, 6, 30))
    assert Quarter.from_key("2025-04") == april and april.key == "2025-04"
    assert april.label == "April to June 2025 (2025/26 quarter 1)"
    assert Quarter.containing(dt.date(2025, 11, 30)) == Quarter.from_key("2025-10") \
        == Quarter(dt.date(2025, 10, 1), dt.date(2025, 12, 31))
    assert Quarter.from_key("2025-05") is None and Quarter.from_key("25-04") is None
    for later, earlier in zip(quarters, quarters[1:], strict=False):
        assert earlier.end + dt.timedelta(days=1) == later.start
    # The quarter still running is not offered: its figures change from day to day.
    assert offered_quarter(dt.date(2026, 4, 1), dt.date(2026, 6, 30), dt.date(2026, 6, 30)) \
        is None
    assert offered_quarter(dt.date(2026, 4, 1), dt.date(2026, 6, 30), dt.date(2026, 7, 1)) \
        == Quarter.from_key("2026-04")


def test_every_view_of_the_equality_report_is_audited(synced: Synced,
                                                      ipcb: ConsoleClient) -> None:
    """Someone comparing many views (of the same quarter as laptops sync late, say) can be
    seen: each view of the page is a ``report_viewed`` event on the console chain, with the
    report and its period and no figures, as each download is a ``report_exported`` one.
    A view refused shows no figures and is not recorded."""
    before = len(audit_events(synced, "report_viewed"))
    assert ipcb.get("/console/reports/equality", params={"quarter": Q4.key}).status_code == 200
    assert ipcb.get("/console/reports/equality", params=query(synced)).status_code == 200
    assert ipcb.get("/console/reports/equality",
                    params={"quarter": "2026-02"}).status_code == 400
    viewed = audit_events(synced, "report_viewed")
    assert viewed[before:] == [Q4_DETAIL, Q4_DETAIL]
    with synced.sessions() as db:
        team = db.execute(text(
            "SELECT team_id FROM store_audit_event WHERE action = 'report_viewed' "
            "ORDER BY seq DESC LIMIT 1")).scalar_one()
    assert team is None


# ------------------------------------------------------------------ the database's share


def test_the_reports_read_live_records_through_their_own_index(synced: Synced) -> None:
    """A partial index of the live records by kind and team (migration 0008): the reports'
    SQL (``sql.live``) can find a kind's records through it instead of reading the whole
    table once per kind (sequential scans are turned off here only so that the planner
    shows it can use it at all: on a few hundred rows it would rightly read the table)."""
    with synced.sessions() as db, db.begin():
        definition = db.execute(text(
            "SELECT indexdef FROM pg_indexes WHERE tablename = 'record' "
            "AND indexname = 'ix_record_live_entity_team'")).scalar_one()
        assert "(entity_type, team_id) WHERE (NOT tombstone)" in definition
        db.execute(text("SET LOCAL enable_seqscan = off"))
        for team in (None, synced.teams[ALPHA]):
            chosen = StoreReportQuery(START, END, team)
            plan = "\n".join(db.execute(
                text("EXPLAIN " + store_sql.live(store_sql.EVENT, chosen)),
                store_sql.params(chosen)).scalars())
            assert "ix_record_live_entity_team" in plan, plan


def test_the_report_time_limit_is_a_setting(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.delenv(REPORT_TIMEOUT_ENV, raising=False)
    assert Settings.from_env().report_timeout_seconds == DEFAULT_REPORT_TIMEOUT_SECONDS == 60
    monkeypatch.setenv(REPORT_TIMEOUT_ENV, "90")
    assert Settings.from_env().report_timeout_seconds == 90
    for wrong in ("0", "ten", "3601"):
        monkeypatch.setenv(REPORT_TIMEOUT_ENV, wrong)
        with pytest.raises(ValueError, match=REPORT_TIMEOUT_ENV):
            Settings.from_env()


def test_a_report_that_runs_too_long_is_stopped_with_a_plain_message(
        synced: Synced, ipcb: ConsoleClient) -> None:
    """The reports share the connections and the database with the laptops' syncing, so
    PostgreSQL stops a report's statement at the store's time limit (this module's store:
    3 seconds). Here it cannot finish: another session holds ``record`` locked, so the
    report's first read of it waits until stopped. The page says so plainly (not "the
    database is unavailable"), the CSV too, and the store answers again at once."""
    with synced.sessions() as blocker:
        blocker.execute(text("LOCK TABLE record IN ACCESS EXCLUSIVE MODE"))
        try:
            page = ipcb.get("/console/reports/delegations", params=query(synced))
            download = ipcb.get("/console/reports/equality.csv",
                                params={"quarter": Q4.key})
        finally:
            blocker.rollback()
    assert page.status_code == 503, page.text
    said = page.text.replace("&#39;", "'")
    assert f"The report took longer than {TIME_LIMIT} seconds" in said
    assert "choose one team or a shorter period" in said
    assert "unavailable" not in said and ">By team</h2>" not in said
    assert 'value="01/01/2026"' in said  # the filters come back as typed
    assert download.status_code == 503
    assert "The report took too long" in download.text
    assert "Nothing was exported." in download.text.replace("&#39;", "'")
    assert ipcb.get("/console/reports/delegations", params=query(synced)).status_code == 200


# ------------------------------------------------------------------ one rule, one set of words


def test_the_laptop_and_the_store_share_the_suppression_rule() -> None:
    """The laptop's suppression is scp_common's: the same rule text, the same marks."""
    assert laptop_suppression.SUPPRESSION_RULE is shared_suppression.SUPPRESSION_RULE
    cells = [[3, 9, 0, 20], [7, 9, 6, 20]]
    assert (laptop_suppression.suppress(cells).marks
            == shared_suppression.suppress(cells).marks)
    assert laptop_equality.RULE == store_equality.RULE


def test_the_stores_labels_are_the_laptops() -> None:
    """The store writes the laptop's words (it cannot import them): held equal here."""
    assert labels.OUTCOME_TITLES == {code.value: text.title for code, text in OUTCOMES.items()}
    assert list(labels.OUTCOME_TITLES) == [code.value for code in OutcomeCode]
    assert set(labels.DELEGATED) == {c.value for c, t in OUTCOMES.items() if t.delegated}
    assert labels.WITHDRAWALS == laptop_delegations.WITHDRAWALS
    assert labels.NO_TASK == laptop_delegations.NO_TASK
    assert labels.FUNDER_NAMES == {f.value: name for f, name in FUNDER_NAMES.items()}
    assert labels.COUNCILS == tuple(c.value for c in COUNCILS)
    assert labels.BACKFILL_PAYERS == {str(p): name for p, name in BACKFILL_PAYERS.items()}
    assert list(labels.BACKFILL_PAYERS) == [p.value for p in BackfillPayer]
    assert labels.REVIEW_KINDS == {str(k): name for k, name in REVIEW_KINDS.items()}
    assert list(labels.REVIEW_KINDS) == [k.value for k in ReviewKind]
    assert labels.EXPIRING_WITHIN_DAYS == EXPIRING_WITHIN_DAYS
    assert labels.CHARACTERISTICS == laptop_equality.CHARACTERISTICS
    assert labels.GROUPS == laptop_equality.GROUPS
    assert labels.AGE_BANDS == laptop_equality.AGE_BANDS
    assert labels.PREFER_NOT_TO_SAY == PREFER_NOT_TO_SAY
    assert labels.PROBLEM_STATUSES == {str(s): t for s, t in PROBLEM_STATUS_LABELS.items()}
    assert labels.PROBLEM_AREAS == PROBLEM_AREAS
    assert store_person_centred.AT_OUTCOMES == laptop_person_centred.AT_OUTCOMES
    assert store_person_centred.CALLS_OUTCOMES == laptop_person_centred.CALLS_OUTCOMES
    assert store_person_centred.OCCASIONS == laptop_person_centred.OCCASIONS
    assert store_person_centred.SIGNPOST_PARTS == laptop_person_centred.SIGNPOST_PARTS
    assert store_person_centred.ASSESSMENT_KINDS == {
        k.value: ASSESSMENT_KIND_LABELS[k] for k in AssessmentKind}
    assert store_person_centred.STALE_AFTER_DAYS == STALE_AFTER_DAYS
    assert NO_TASK_CODE == store_catalogue.NO_TASK_CODE


def test_the_comparisons_have_figures_to_compare(synced: Synced) -> None:
    """Guards the comparisons above against agreeing on empty tables: each kind of record
    the reports read is there, on both sides, in every team."""
    funding = synced.store_report("funding")
    assert section(funding, "Interim without prejudice, reconciled")[-1][0] == \
        "2 reconciled in the period"
    assert section(funding, "Release for training: backfill cost")[-1][1] == "4"
    services = section(synced.store_report("person_centred"),
                       "Make Every Contact Count: signposting by service")
    # Typed two ways in two teams: one service, named as the laptop names it (capitals first).
    assert services[0][:2] == ["AGE UK LEICESTER", "4"]
    assert section(synced.store_report("escalations"), "Opened and closed")[-1][1] == "8"
    assert section(synced.store_report("reviews"), "By month due")[-1][1] == "16"
    assert section(synced.store_report("competency"), "By provider")[-1][-2] == "16"

