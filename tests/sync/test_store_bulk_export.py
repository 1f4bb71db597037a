"""The central store's FHIR Bulk Data export (issue 22), on real uvicorn and PostgreSQL.

Two store processes on a database of this module's own, with an export folder
(``SCP_STORE_EXPORT_DIR``). Two teams' laptops (real vaults enrolled and synced by the real
client) hold synthetic caseloads: Alpha the demo caseload's people and delegations in every
state plus a whole delegated case (tools/sample_case.py), Beta one case of its own. Then the
Bulk Data flow as a FHIR client runs it: kick-off (``Prefer: respond-async``), polling the
status (through the other process: the job is in the database), the manifest, every file.

- Every line validates with ``fhir.resources``, every reference resolves inside the export,
  each (resourceType, id) comes once, the manifest's counts are the files' lines, and only
  the caller's team's people are in it; person by person it is what the laptop's own
  gathering and mapping give for the same records (``fhir_records.person_records``), but
  for the names a Provenance gives the user and device (the store does not know the laptops'
  users' names, and names a device as it was enrolled).
- The team boundary (H-027): another team's token gets 404 for the job, its status, its
  files and DELETE, and its own kick-off exports only its team; no token, a made-up one, a
  revoked device's or a deactivated user's get 401.
- DELETE removes the files; an expired export's files are swept; a second kick-off while one
  runs is 429; an export whose process died says so (500) and its files go; every step is
  on the team's audit chain, with ids and counts only.

A running export is held still by locking ``record`` from the test (the export waits for
the lock): no sleeps stand in for it. All data is synthetic (999-range NHS numbers).
"""

from __future__ import annotations

import datetime as dt
import json
import os
import stat
import subprocess
import sys
import time
import uuid
from collections.abc import Iterator
from contextlib import ExitStack, contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from fhir.resources.R4B import get_fhir_model_class
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.services.demo import seed_demo_caseload, seed_demo_delegations
from desktop_app.services.sync.state import credentials
from sync_server import admin, admin_codes, fhir_export
from sync_server.config import EXPORT_DIR_ENV, MIN_CLIENT_VERSION_ENV, normalise_database_url
from sync_server.database import make_engine, make_session_factory
from sync_server.fhir_export import EXPORT_TYPES
from sync_server.fhir_jobs import LOCK_CLASS, lock_key
from tests.sync.laptops import VaultLaptop, enrolled_laptops
from tests.sync_server.store import MIN_CLIENT_VERSION, EnrolFn, change, statuses
from tools.sample_case import CaseSpec, build_case
from tools.throwaway_store import REPO, PostgresCluster, StoreProcess, enrol_with_code

ALPHA, BETA, GAMMA = "Alpha bulk team", "Beta bulk team", "Gamma bulk team"
ASYNC = {"Prefer": "respond-async", "Accept": "application/fhir+json"}
NDJSON = {"Accept": "application/fhir+ndjson"}
POLL_LIMIT_S = 120.0
Resources = dict[str, list[dict[str, Any]]]


@dataclass
class Exporting:
    """The module's two store processes, their database and export folder, the laptops."""

    stores: tuple[StoreProcess, StoreProcess]
    sessions: sessionmaker[Session]
    admin_url: str
    database_url: str
    folder: Path
    teams: dict[str, str]
    alpha: VaultLaptop
    beta: VaultLaptop


def token_of(laptop: VaultLaptop) -> str:
    return credentials(laptop.uow).token


@pytest.fixture(scope="module")
def exporting(postgres: PostgresCluster, template_vault: tuple[Path, str, str],
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Exporting]:
    """Two store processes with an export folder, and two teams' synced laptops."""
    folder = tmp_path_factory.mktemp("bulk")
    database = postgres.new_database("bulk")
    url = postgres.database_url(database)
    exports = folder / "exports"  # made by the store, 0700
    env = {EXPORT_DIR_ENV: str(exports), MIN_CLIENT_VERSION_ENV: MIN_CLIENT_VERSION}
    stores = (StoreProcess(url, folder / "a.log", env=env),
              StoreProcess(url, folder / "b.log", env=env))
    engine = make_engine(normalise_database_url(url))
    with ExitStack() as stack:
        for server in stores:
            server.start()
            stack.callback(server.stop)
        sessions = make_session_factory(engine)
        with sessions.begin() as db:
            teams = {name: admin.create_team(db, name).id for name in (ALPHA, BETA)}
        make = stack.enter_context(enrolled_laptops(stores[0].base_url, sessions,
                                                    template_vault, folder, "Bulk laptop"))
        alpha, beta = make(ALPHA), make(BETA)
        seed_demo_caseload(alpha.uow, people=24)
        seed_demo_delegations(alpha.uow, count=18)
        build_case(alpha.uow, CaseSpec(serial=301))
        build_case(beta.uow, CaseSpec(serial=31, given_name="Harold", family_name="Betaperson",
                                      preferred_name=None))
        for laptop in (alpha, beta):
            result = laptop.sync()
            assert result.pushed > 0 and not (result.quarantined or result.held_back), result
        yield Exporting(stores, sessions, postgres.admin_url(database), url, exports, teams,
                        alpha, beta)
    engine.dispose()
    postgres.drop_database(database)


# ------------------------------------------------------------------ a Bulk Data client


class BulkClient:
    """A FHIR Bulk Data client with a device token (or none), against one store process."""

    def __init__(self, server: StoreProcess, token: str | None) -> None:
        headers = {"Authorization": f"Bearer {token}"} if token is not None else {}
        self.http = httpx.Client(base_url=server.base_url, headers=headers, timeout=60)

    def kick_off(self, path: str = "/api/v1/fhir/$export", headers: dict[str, str] | None = None,
                 **params: str) -> httpx.Response:
        return self.http.get(path, params=params, headers=ASYNC if headers is None else headers)

    def status(self, url: str) -> httpx.Response:
        return self.http.get(url)

    def wait(self, url: str) -> httpx.Response:
        """Poll the status URL, as a Bulk Data client does, until it is not 202."""
        deadline = time.monotonic() + POLL_LIMIT_S
        while time.monotonic() < deadline:
            answer = self.status(url)
            if answer.status_code != 202:
                return answer
            assert answer.headers["X-Progress"]
            time.sleep(0.05)
        raise AssertionError("the export did not finish")

    def export(self, **params: str) -> tuple[str, dict[str, Any]]:
        """Kick off, wait, and return (status URL, manifest)."""
        started = self.kick_off(**params)
        assert started.status_code == 202, started.text
        url = started.headers["Content-Location"]
        done = self.wait(url)
        assert done.status_code == 200, done.text
        return url, done.json()

    def download(self, manifest: dict[str, Any]) -> Resources:
        """Every output file, each line parsed; the count of lines checked."""
        found: Resources = {}
        for item in manifest["output"]:
            answer = self.http.get(item["url"], headers=NDJSON)
            assert answer.status_code == 200, answer.text
            assert answer.headers["content-type"].startswith("application/fhir+ndjson")
            lines = answer.content.splitlines()
            assert len(lines) == item["count"] and answer.content.endswith(b"\n")
            found[item["type"]] = [json.loads(line) for line in lines]
        return found

    def close(self) -> None:
        self.http.close()


@contextmanager
def client(server: StoreProcess, token: str | None) -> Iterator[BulkClient]:
    bulk = BulkClient(server, token)
    try:
        yield bulk
    finally:
        bulk.close()


def job_id_of(url: str) -> str:
    return url.rstrip("/").rsplit("/", 1)[1]


def files_of(folder: Path, job_id: str) -> list[Path]:
    return sorted(folder.glob(f"{job_id}.*"))


def chain(admin_url: str, team_id: str, after: int = 0) -> list[tuple[str, str, dict[str, Any]]]:
    """(action, actor kind, detail) of the team's audit chain after seq ``after``."""
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute("SELECT action, actor_kind, detail FROM store_audit_event "
                            "WHERE chain = %s AND seq > %s ORDER BY seq",
                            [team_id, after]).fetchall()
    return [(action, kind, detail) for action, kind, detail in rows]


def head(admin_url: str, team_id: str) -> int:
    with psycopg.connect(admin_url) as conn:
        found = conn.execute("SELECT coalesce(max(seq), 0) FROM store_audit_event "
                             "WHERE chain = %s", [team_id]).fetchone()
    return int(found[0]) if found else 0


def assert_outcome(answer: httpx.Response, status: int, words: str) -> None:
    """An OperationOutcome error with ``words`` in its diagnostics."""
    assert answer.status_code == status, answer.text
    assert answer.headers["content-type"].startswith("application/fhir+json")
    body = answer.json()
    assert body["resourceType"] == "OperationOutcome"
    get_fhir_model_class("OperationOutcome").model_validate(body)
    assert words in body["issue"][0]["diagnostics"], body


@contextmanager
def records_locked(admin_url: str) -> Iterator[None]:
    """``record`` locked against every reader: an export started now waits, running."""
    with psycopg.connect(admin_url) as conn:
        conn.execute("LOCK TABLE record IN ACCESS EXCLUSIVE MODE")
        try:
            yield
        finally:
            conn.rollback()


def live_ids(admin_url: str, team_id: str, entity_type: str) -> set[str]:
    with psycopg.connect(admin_url) as conn:
        rows = conn.execute("SELECT id FROM record WHERE team_id = %s AND entity_type = %s "
                            "AND NOT tombstone", [team_id, entity_type]).fetchall()
    return {row[0] for row in rows}


# ------------------------------------------------------------------ checking an export


def references(value: Any) -> Iterator[str]:
    """Every ``reference`` inside a resource."""
    if isinstance(value, dict):
        for key, inner in value.items():
            if key == "reference" and isinstance(inner, str):
                yield inner
            else:
                yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def assert_valid_and_whole(found: Resources) -> None:
    """Each resource validates, comes once, and every reference resolves in the export."""
    keys: set[str] = set()
    for kind, resources in found.items():
        model = get_fhir_model_class(kind)
        for resource in resources:
            assert resource["resourceType"] == kind
            model.model_validate(resource)
            key = f"{kind}/{resource['id']}"
            assert key not in keys, f"{key} is in the export twice"
            keys.add(key)
    for resources in found.values():
        for resource in resources:
            for reference in references(resource):
                if reference.startswith("#"):  # a contained resource
                    contained = {f"#{c['id']}" for c in resource.get("contained", ())}
                    assert reference in contained, reference
                else:
                    assert reference in keys, f"{reference} does not resolve in the export"


# ------------------------------------------------------------------ the export itself


@pytest.mark.hazard("H-027")
@pytest.mark.hazard("H-047")
def test_the_teams_export_validates_resolves_and_is_only_that_team(exporting: Exporting
                                                                   ) -> None:
    alpha, beta = exporting.teams[ALPHA], exporting.teams[BETA]
    a, b = exporting.stores
    with client(a, token_of(exporting.alpha)) as bulk:
        started = bulk.kick_off()
        assert started.status_code == 202, started.text
        url = started.headers["Content-Location"]
        # The job is in the database: the other process answers its status as well.
        with client(b, token_of(exporting.alpha)) as other:
            done = other.wait(url.replace(a.base_url, b.base_url))
        assert done.status_code == 200, done.text
        manifest = done.json()
        found = bulk.download(manifest)
    assert manifest["requiresAccessToken"] is True and manifest["error"] == []
    assert manifest["request"] == f"{a.base_url}/api/v1/fhir/$export"
    assert dt.datetime.fromisoformat(manifest["transactionTime"]).tzinfo is not None
    assert [item["type"] for item in manifest["output"]] == \
        [kind for kind in EXPORT_TYPES if kind in found]
    assert {"Patient", "CarePlan", "Consent", "Provenance", "Organization"} <= set(found)
    assert_valid_and_whole(found)

    patients = {p["id"] for p in found["Patient"]}
    assert patients == live_ids(exporting.admin_url, alpha, "person")
    assert not patients & live_ids(exporting.admin_url, beta, "person")
    assert {c["id"] for c in found["CarePlan"]} == \
        live_ids(exporting.admin_url, alpha, "support_plan")
    numbers = [i["value"] for p in found["Patient"] for i in p.get("identifier", ())
               if i.get("system") == "https://fhir.nhs.uk/Id/nhs-number"]
    assert len(numbers) == len(patients) and all(n.startswith("999") for n in numbers)
    # Nothing of Beta's in any file: its person's id appears nowhere.
    text = json.dumps(found)
    assert all(person not in text for person in live_ids(exporting.admin_url, beta, "person"))

    # On disk: readable by the store's user only.
    job = job_id_of(url)
    assert stat.S_IMODE(os.stat(exporting.folder).st_mode) == 0o700
    paths = files_of(exporting.folder, job)
    assert [p.name for p in paths] == sorted(f"{job}.{kind}.ndjson" for kind in found)
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in paths)


def _without_names(resource: dict[str, Any]) -> dict[str, Any]:
    """A Provenance without what only one side can say: the laptop names its users, the
    store does not know them (the author shows the user's id only); and each says it
    assembled the resource itself (the assembler agent: "laptop" or "store"). The device
    is named alike on both: the name the laptop was enrolled under. Everything else must be
    the same."""
    if resource["resourceType"] != "Provenance":
        return resource
    copy = json.loads(json.dumps(resource))
    for agent in copy["agent"]:
        code = agent["type"]["coding"][0]["code"]
        if code == "author":
            agent["who"].pop("display", None)
        elif code == "assembler":
            agent.pop("who")
    return copy


@pytest.mark.hazard("H-047")
def test_the_export_is_what_the_laptop_maps_person_by_person(exporting: Exporting) -> None:
    from desktop_app.services.people.fhir_records import caseload_ids, person_records
    from scp_common.fhir.build import person_resources

    with client(exporting.stores[0], token_of(exporting.alpha)) as bulk:
        _url, manifest = bulk.export()
        found = bulk.download(manifest)
    exported = {(r["resourceType"], r["id"]): _without_names(r)
                for resources in found.values() for r in resources}
    expected: dict[tuple[str, str], dict[str, Any]] = {}
    with exporting.alpha.uow.read() as session:
        for person_id in caseload_ids(session):
            records, directory = person_records(session, person_id)
            for resource in person_resources(records, directory):
                expected.setdefault((resource["resourceType"], resource["id"]),
                                    _without_names(resource))
    assert set(exported) == set(expected)
    for key, resource in expected.items():
        assert exported[key] == resource, key


@pytest.mark.parametrize("asked", ["Patient", "CarePlan,Provenance", "Consent,Patient"])
def test_type_asks_for_only_those_types(exporting: Exporting, asked: str) -> None:
    with client(exporting.stores[1], token_of(exporting.alpha)) as bulk:
        _url, manifest = bulk.export(_type=asked)
        found = bulk.download(manifest)
    wanted = set(asked.split(","))
    assert set(found) == wanted
    # A Provenance comes only with the resources it is about.
    for provenance in found.get("Provenance", ()):
        for target in provenance["target"]:
            assert target["reference"].split("/")[0] in wanted


def test_a_kick_off_the_store_cannot_do_as_asked_is_refused(exporting: Exporting) -> None:
    with client(exporting.stores[0], token_of(exporting.alpha)) as bulk:
        assert_outcome(bulk.kick_off(_type="Patient,Observation"), 400, "Observation")
        assert_outcome(bulk.kick_off(headers={"Accept": "application/fhir+json"}), 400,
                       "Prefer: respond-async")
        assert_outcome(bulk.kick_off(_since="2026-01-01T00:00:00Z"), 400, "_since")
        assert_outcome(bulk.kick_off(_outputFormat="text/csv"), 400, "NDJSON")
        assert_outcome(bulk.status("/api/v1/fhir/bulkstatus/not-a-job"), 404, "no such export")


def test_the_store_without_an_export_folder_says_so(store: StoreProcess, enrol: EnrolFn,
                                                    team: str) -> None:
    laptop = enrol(team)
    with client(store, laptop.token) as bulk:
        assert_outcome(bulk.kick_off(), 503, "bulk export is not set up on this store")
    with client(store, None) as stranger:
        assert_outcome(stranger.kick_off(), 401, "device token")


# ------------------------------------------------------------------ the team boundary


@pytest.mark.hazard("H-047")
@pytest.mark.hazard("H-027")
def test_another_teams_token_never_sees_the_export(exporting: Exporting) -> None:
    a, b = exporting.stores
    with client(a, token_of(exporting.alpha)) as owner, \
            client(b, token_of(exporting.beta)) as other:
        url, manifest = owner.export()
        job = job_id_of(url)
        # Status, every file and DELETE: 404, as for a job that never existed.
        assert_outcome(other.status(url.replace(a.base_url, b.base_url)), 404,
                       "no such export")
        for item in manifest["output"]:
            assert_outcome(other.http.get(item["url"].replace(a.base_url, b.base_url)), 404,
                           "no such file")
        assert_outcome(other.http.delete(f"/api/v1/fhir/bulkstatus/{job}"), 404,
                       "no such export")
        assert_outcome(other.kick_off(f"/api/v1/fhir/Group/{exporting.teams[ALPHA]}/$export"),
                       404, "no such group")
        # ... and the owner's job and files are still there.
        assert owner.status(url).status_code == 200
        assert files_of(exporting.folder, job)

        # Beta's own export holds Beta's people only (through the Group form too).
        started = other.kick_off(f"/api/v1/fhir/Group/{exporting.teams[BETA]}/$export")
        assert started.status_code == 202, started.text
        done = other.wait(started.headers["Content-Location"])
        found = other.download(done.json())
    assert {p["id"] for p in found["Patient"]} == \
        live_ids(exporting.admin_url, exporting.teams[BETA], "person")
    alpha_people = live_ids(exporting.admin_url, exporting.teams[ALPHA], "person")
    assert all(person not in json.dumps(found) for person in alpha_people)


def _new_device(exporting: Exporting, team: str) -> tuple[str, str, str]:
    """A new user of ``team`` with an enrolled laptop: (token, device id, user id)."""
    with exporting.sessions.begin() as db:
        user = admin.create_user(db, team, f"User {uuid.uuid4().hex[:6]}", "nurse")
        code = admin_codes.issue_enrolment_code(db, user.id)
    laptop = enrol_with_code(exporting.stores[0], code)
    laptop.close()
    return laptop.token, laptop.device_id, user.id


@pytest.mark.hazard("H-047")
@pytest.mark.hazard("H-027")
def test_no_token_a_made_up_one_and_a_revoked_device_get_401(exporting: Exporting) -> None:
    a = exporting.stores[0]
    with client(a, token_of(exporting.alpha)) as owner:
        url, manifest = owner.export()
    revoked, device_id, _user = _new_device(exporting, ALPHA)
    deactivated, _device, user_id = _new_device(exporting, ALPHA)
    with exporting.sessions.begin() as db:
        admin.revoke_device(db, device_id)
        admin.deactivate_user(db, user_id)
    file_url = manifest["output"][0]["url"]
    for token in (None, "a-token-nobody-was-given", revoked, deactivated):
        with client(a, token) as caller:
            for answer in (caller.kick_off(), caller.status(url), caller.http.get(file_url),
                           caller.http.delete(url)):
                assert_outcome(answer, 401, "")
                assert answer.headers["WWW-Authenticate"] == "Bearer"
    with client(a, token_of(exporting.alpha)) as owner:
        assert owner.status(url).status_code == 200  # nothing was deleted


# ------------------------------------------------------------------ files, expiry, audit


@pytest.mark.hazard("H-047")
def test_delete_removes_the_files_and_the_job(exporting: Exporting) -> None:
    with client(exporting.stores[0], token_of(exporting.alpha)) as bulk:
        url, manifest = bulk.export()
        job = job_id_of(url)
        assert files_of(exporting.folder, job)
        answer = bulk.http.delete(url)
        assert answer.status_code == 202, answer.text
        assert files_of(exporting.folder, job) == []
        assert_outcome(bulk.status(url), 404, "no such export")
        assert_outcome(bulk.http.get(manifest["output"][0]["url"]), 404, "no such file")
        assert_outcome(bulk.http.delete(url), 404, "no such export")


@pytest.mark.hazard("H-047")
def test_an_expired_exports_files_are_swept(exporting: Exporting) -> None:
    team = exporting.teams[ALPHA]
    with client(exporting.stores[0], token_of(exporting.alpha)) as bulk:
        url, _manifest = bulk.export()
        job = job_id_of(url)
        assert bulk.status(url).headers["Expires"]
        # An hour and more passes ...
        with psycopg.connect(exporting.admin_url) as conn:
            conn.execute("UPDATE fhir_export_job SET finished_at = finished_at - "
                         "interval '61 minutes' WHERE id = %s", [job])
        before = head(exporting.admin_url, team)
        # ... and the next request about exports, on either process, sweeps it.
        with client(exporting.stores[1], token_of(exporting.alpha)) as other:
            assert_outcome(other.status(url.replace(exporting.stores[0].base_url,
                                                    exporting.stores[1].base_url)),
                           404, "no such export")
    assert files_of(exporting.folder, job) == []
    assert ("fhir_export_expired", "system", {"job": job}) in chain(exporting.admin_url, team,
                                                                    before)


@pytest.mark.hazard("H-047")
def test_the_export_is_on_the_teams_audit_chain_without_patient_data(exporting: Exporting
                                                                    ) -> None:
    team = exporting.teams[ALPHA]
    before = head(exporting.admin_url, team)
    with client(exporting.stores[0], token_of(exporting.alpha)) as bulk:
        url, manifest = bulk.export(_type="Patient,CarePlan")
        found = bulk.download(manifest)
        assert bulk.http.delete(url).status_code == 202
    job = job_id_of(url)
    events = [(action, kind, detail) for action, kind, detail
              in chain(exporting.admin_url, team, before) if action.startswith("fhir_export")]
    counts = {kind: len(resources) for kind, resources in found.items()}
    assert events[0] == ("fhir_export_requested", "device",
                         {"job": job, "types": ["Patient", "CarePlan"]})
    assert events[1][:2] == ("fhir_export_completed", "device")
    assert events[1][2]["counts"] == counts and events[1][2]["left_out"] == 0
    assert events[1][2]["people"] == len(found["Patient"])
    assert sorted(e[2]["type"] for e in events[2:4]) == ["CarePlan", "Patient"]
    assert {e[:2] for e in events[2:4]} == {("fhir_export_file_fetched", "device")}
    assert events[4] == ("fhir_export_deleted", "device", {"job": job, "was": "completed"})
    assert len(events) == 5
    # Ids and counts only: no name, NHS number or date of birth of anyone exported.
    details = json.dumps([detail for _a, _k, detail in events])
    for patient in found["Patient"]:
        for value in [*(n.get("family") for n in patient.get("name", ())),
                      *(i["value"] for i in patient.get("identifier", ())),
                      patient.get("birthDate")]:
            assert value is None or str(value) not in details


# ------------------------------------------------------------------ while one runs


def test_a_second_kick_off_while_one_runs_gets_429_and_delete_cancels(exporting: Exporting
                                                                      ) -> None:
    team = exporting.teams[ALPHA]
    a, b = exporting.stores
    with client(a, token_of(exporting.alpha)) as bulk, \
            client(b, token_of(exporting.alpha)) as other:
        with records_locked(exporting.admin_url):
            started = bulk.kick_off()
            assert started.status_code == 202, started.text
            url = started.headers["Content-Location"]
            # Held at the lock: running, on whichever process is asked.
            running = other.status(url.replace(a.base_url, b.base_url))
            assert running.status_code == 202 and running.headers["X-Progress"]
            for server_client in (bulk, other):
                again = server_client.kick_off()
                assert_outcome(again, 429, "already running")
                assert int(again.headers["Retry-After"]) > 0
            # Another team is not held up by it.
            with client(a, token_of(exporting.beta)) as beta:
                beta_started = beta.kick_off()
                assert beta_started.status_code == 202, beta_started.text
            # DELETE cancels the running export.
            assert bulk.http.delete(url).status_code == 202
            assert_outcome(bulk.status(url), 404, "no such export")
        # Let go, the cancelled export stops and leaves no file.
        job = job_id_of(url)
        with psycopg.connect(exporting.admin_url) as conn:
            deadline = time.monotonic() + POLL_LIMIT_S
            while time.monotonic() < deadline and conn.execute(
                    "SELECT count(*) FROM pg_locks WHERE locktype = 'advisory' "
                    "AND classid = %s AND objid = %s",
                    [LOCK_CLASS, lock_key(job_id_of(url))]).fetchone() != (0,):
                time.sleep(0.05)
                conn.rollback()
        assert files_of(exporting.folder, job) == []
        with client(a, token_of(exporting.beta)) as beta:
            assert beta.wait(beta_started.headers["Content-Location"]).status_code == 200
        # A new kick-off now runs.
        _url, manifest = bulk.export(_type="Patient")
        assert manifest["output"][0]["count"] > 0
    actions = [action for action, _kind, detail in chain(exporting.admin_url, team)
               if detail.get("job") == job]
    assert actions == ["fhir_export_requested", "fhir_export_deleted"]


def test_an_export_whose_process_died_says_it_stopped(exporting: Exporting,
                                                      tmp_path: Path) -> None:
    team = exporting.teams[ALPHA]
    doomed = StoreProcess(exporting.database_url, tmp_path / "doomed.log",
                          env={EXPORT_DIR_ENV: str(exporting.folder)})
    doomed.start()
    try:
        with client(doomed, token_of(exporting.alpha)) as bulk, \
                records_locked(exporting.admin_url):
            started = bulk.kick_off()
            assert started.status_code == 202, started.text
            job = job_id_of(started.headers["Content-Location"])
            # What a half-written export leaves behind.
            partial = exporting.folder / f"{job}.Patient.ndjson"
            partial.write_bytes(b'{"resourceType": "Patient"')
            doomed.kill()
    finally:
        doomed.stop()
    before = head(exporting.admin_url, team)
    with client(exporting.stores[0], token_of(exporting.alpha)) as survivor:
        url = f"/api/v1/fhir/bulkstatus/{job}"
        answer = survivor.wait(url)  # until PostgreSQL has ended the dead process's session
        assert_outcome(answer, 500, "the export stopped; start a new one")
        assert not partial.exists()
        # A new export is not held up by the dead one.
        _url, manifest = survivor.export(_type="Patient")
        assert manifest["output"]
    assert ("fhir_export_stopped", "system", {"job": job}) in chain(exporting.admin_url, team,
                                                                    before)


def test_a_starting_store_removes_files_no_export_holds(exporting: Exporting,
                                                        tmp_path: Path) -> None:
    stray = exporting.folder / f"{uuid.uuid4()}.Patient.ndjson"
    stray.write_bytes(b"{}\n")
    with client(exporting.stores[0], token_of(exporting.alpha)) as bulk:
        url, _manifest = bulk.export(_type="Patient")
    kept = files_of(exporting.folder, job_id_of(url))
    fresh = StoreProcess(exporting.database_url, tmp_path / "fresh.log",
                         env={EXPORT_DIR_ENV: str(exporting.folder)})
    fresh.start()
    fresh.stop()
    assert not stray.exists()
    assert kept and all(path.exists() for path in kept)  # a completed export's are kept



def test_a_fhir_client_is_not_asked_its_app_version(exporting: Exporting) -> None:
    """The module's stores require the laptops' X-Client-Version (the real client sends
    it); a bulk client is a GP system's, not the laptop app, and is not asked for it."""
    with client(exporting.stores[0], token_of(exporting.alpha)) as bulk:
        assert "X-Client-Version" not in bulk.http.headers
        refused = bulk.http.get("/api/v1/pull")
        assert refused.status_code == 426  # the laptop API does ask
        _url, manifest = bulk.export(_type="Patient")
    assert manifest["output"][0]["type"] == "Patient"


def test_the_command_line_exports_a_team_into_a_folder_and_audits_it(exporting: Exporting,
                                                                     tmp_path: Path) -> None:
    out = tmp_path / "city-south"
    command = [sys.executable, "-m", "sync_server", "--database-url", exporting.database_url,
               "export-fhir", "--team", ALPHA, "--out", str(out)]
    environment = {**os.environ, "PYTHONPATH": str(REPO)}
    before = head(exporting.admin_url, "console")
    done = subprocess.run(command, capture_output=True, text=True, env=environment,
                          check=False)
    assert done.returncode == 0, done.stderr
    assert stat.S_IMODE(os.stat(out).st_mode) == 0o700
    written = {path.name.removesuffix(".ndjson"): path for path in out.glob("*.ndjson")}
    assert {"Patient", "CarePlan", "Consent", "Provenance"} <= set(written)
    assert all(stat.S_IMODE(os.stat(p).st_mode) == 0o600 for p in written.values())
    found = {kind: [json.loads(line) for line in path.read_bytes().splitlines()]
             for kind, path in written.items()}
    assert_valid_and_whole(found)
    assert {p["id"] for p in found["Patient"]} == \
        live_ids(exporting.admin_url, exporting.teams[ALPHA], "person")
    events = chain(exporting.admin_url, "console", before)
    assert [(action, kind) for action, kind, _d in events] == [("fhir_exported", "cli")]
    detail = events[0][2]
    assert detail["team"] == ALPHA and detail["team_id"] == exporting.teams[ALPHA]
    assert detail["counts"] == {kind: len(lines) for kind, lines in found.items()}
    # Never over an earlier export.
    again = subprocess.run(command, capture_output=True, text=True, env=environment,
                           check=False)
    assert again.returncode == 1 and "already holds an export" in again.stderr
    assert head(exporting.admin_url, "console") == before + 1


@pytest.mark.hazard("H-047")
def test_a_person_the_mapping_cannot_read_is_named_in_the_error_file(exporting: Exporting
                                                                     ) -> None:
    """The store does not check a row's fields when it is pushed: a person whose row the
    mapping cannot read is left out, named by id only in the manifest's error file, and the
    rest of the team is exported."""
    with exporting.sessions.begin() as db:
        gamma = admin.create_team(db, GAMMA).id
        user = admin.create_user(db, GAMMA, "Gamma nurse", "nurse")
        code = admin_codes.issue_enrolment_code(db, user.id)
    laptop = enrol_with_code(exporting.stores[0], code)
    try:
        good, bad = change(serial=41), change(serial=42, date_of_birth="1938-02-31")
        assert statuses(laptop.push([good, bad])) == ["applied", "applied"]
        with client(exporting.stores[0], laptop.token) as bulk:
            _url, manifest = bulk.export()
            found = bulk.download(manifest)
            [error] = manifest["error"]
            answer = bulk.http.get(error["url"], headers=NDJSON)
    finally:
        laptop.close()
    assert [p["id"] for p in found["Patient"]] == [good["id"]]
    assert error["type"] == "OperationOutcome" and error["count"] == 1
    [outcome] = [json.loads(line) for line in answer.content.splitlines()]
    get_fhir_model_class("OperationOutcome").model_validate(outcome)
    assert bad["id"] in outcome["issue"][0]["diagnostics"]
    assert "1938-02-31" not in answer.text and bad["row"]["family_name"] not in answer.text
    completed = [detail for action, _kind, detail in chain(exporting.admin_url, gamma)
                 if action == "fhir_export_completed"]
    assert completed[-1]["left_out"] == 1 and completed[-1]["people"] == 2


def test_mapping_in_several_processes_writes_the_same_files(
        exporting: Exporting, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """A large team's people are mapped by several processes: the files are byte for byte
    those of one process (the exporter itself, on the module's database; batches of four
    people, so each process maps several)."""
    monkeypatch.setattr(fhir_export, "BATCH_PEOPLE", 4)
    written = {}
    for processes in (1, 2):
        out = tmp_path / f"processes-{processes}"
        out.mkdir()
        with exporting.sessions() as db:
            fhir_export.snapshot(db)
            tally = fhir_export.export_team(db, exporting.teams[ALPHA],
                                            fhir_export.NdjsonFiles(out), processes=processes)
        assert tally.people > 3 * 4 and tally.left_out == 0
        written[processes] = {p.name: p.read_bytes() for p in out.iterdir()}
    assert written[1] == written[2] and written[1]
