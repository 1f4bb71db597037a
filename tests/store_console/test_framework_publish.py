"""The IPCB publishes framework versions on the central store; laptops receive them on their
next sync (issue 21): a real uvicorn store on a PostgreSQL database of this module's own
(published versions are the store's for good, and the session's store is shared with
tests whose laptops would receive them; between tests the releases are removed as a
superuser and the laptops revoked), the real console signed in with password and TOTP,
and real encrypted laptop vaults syncing with the real client.

Shown to fail: with ``framework_fetch`` not checking the SHA-256, the tampered test keeps
the changed flow; with ``keep`` not refusing a held version, the replaced test stores it;
with ``publish`` not comparing versions by their numbers, 2026.10 after 2026.9 is refused;
with ``load_flow`` not following the registry, new delegations start under 2026.2; with
the wizard's controller not taking the newest at each start (``follow_newest``), its next
wizard opens under 2026.2.
"""

from __future__ import annotations

import copy
import datetime as dt
import html as html_lib
import json
import os
import re
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from alembic import command
from sqlalchemy import delete, select, text, update
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.framework_release import FrameworkRelease as HeldRelease
from desktop_app.models.task_type import TaskType
from desktop_app.services import delegation, people, sync
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.migrate import alembic_config, current_revision, upgrade_to
from desktop_app.services.framework import releases
from desktop_app.services.framework.catalogue import (
    default_catalogue_path,
    load_catalogue,
    shipped_catalogue,
)
from desktop_app.services.framework.flow import (
    load_flow,
    load_flow_version,
    newest_flow_file,
    short_version,
)
from desktop_app.services.sync import SyncResult
from desktop_app.services.vault import VaultStore, framework_releases
from desktop_app.services.vault.database import encrypted_engine
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.sync_page import SyncActions, SyncPage
from desktop_app.ui.wizard.controller import WizardController
from scp_common.framework.documents import sha256_text
from sync_server import admin, framework
from sync_server.cli import main as store_cli
from sync_server.config import MIN_CLIENT_VERSION_ENV, normalise_database_url
from sync_server.database import make_engine, make_session_factory
from sync_server.models import Device, FrameworkRelease, StoreAuditEvent
from tests.services.test_delegation import TODAY, delegated_answers, start
from tests.store_console.console_client import Console, ConsoleClient
from tests.support import PASSPHRASE, TEST_KDF, person_values, run_now
from tests.sync.laptops import VaultLaptop, enrolled_laptops
from tests.sync_server.store import MIN_CLIENT_VERSION
from tests.ui.wizard.test_wizard_end_to_end import Stack
from tools.sample_case import add_insured_provider
from tools.throwaway_store import PostgresCluster, StoreProcess

HAZARD = "H-046"
SHIPPED_FLOW = json.loads(newest_flow_file().read_text(encoding="utf-8"))
SHIPPED_CATALOGUE = json.loads(default_catalogue_path().read_text(encoding="utf-8"))
RECEIVED = dt.datetime(2026, 12, 8, 9, 0, tzinfo=dt.UTC)
NEW_QUESTION = "Is the person's condition stable and predictable (IPCB wording, 2026.3)?"


def flow_doc(version: str = "2026.3", **changes: Any) -> dict[str, Any]:
    """The shipped newest flow as a new version, its S4 question reworded."""
    doc = copy.deepcopy(SHIPPED_FLOW)
    doc["flow_version"] = version
    doc["steps"]["S4"]["question"] = NEW_QUESTION
    doc.update(changes)
    return doc


def catalogue_doc(version: str = "2026.3") -> dict[str, Any]:
    """The shipped catalogue as a new version, one task's notes reworded."""
    doc = copy.deepcopy(SHIPPED_CATALOGUE)
    doc["catalogue_version"] = version
    doc["tasks"][0]["notes"] = "Reworded by the IPCB for 2026.3."
    return doc


def as_bytes(doc: dict[str, Any]) -> bytes:
    return json.dumps(doc, indent=2).encode("utf-8")


@pytest.fixture(autouse=True)
def _no_received_versions() -> Iterator[None]:
    """The app's registry of received versions is the process's: empty before and after."""
    releases.forget()
    yield
    releases.forget()


class OwnStore:
    """This module's store (its database, its uvicorn, its console)."""

    def __init__(self, postgres: PostgresCluster, folder: Path) -> None:
        self.postgres = postgres
        self.database = postgres.new_database("framework")
        self.url = postgres.database_url(self.database)
        self.process = StoreProcess(self.url, folder / "store.log",
                                    env={MIN_CLIENT_VERSION_ENV: MIN_CLIENT_VERSION}).start()
        self.engine = make_engine(normalise_database_url(self.url))
        self.sessions: sessionmaker[Session] = make_session_factory(self.engine)
        self.console = Console(self.process.base_url, self.sessions)
        self.team = ""

    def new_team(self) -> str:
        self.team = f"Framework INT {uuid.uuid4().hex[:6]}"
        with self.sessions.begin() as db:
            admin.create_team(db, self.team)
        return self.team

    def as_superuser(self, sql: str, params: dict[str, Any] | None = None) -> None:
        """Behind the store's back, round its triggers (as someone with the database's
        superuser could)."""
        with psycopg.connect(self.postgres.admin_url(self.database), autocommit=True) as conn:
            conn.execute("SET session_replication_role = replica")
            conn.execute(sql.encode(), params)

    def reset(self) -> None:
        """No releases, no active laptops: the next test starts as on a new store."""
        self.as_superuser("DELETE FROM framework_release")
        self.as_superuser("UPDATE device SET revoked_at = now() WHERE revoked_at IS NULL")

    def last_published(self) -> StoreAuditEvent:
        with self.sessions() as db:
            return db.scalars(select(StoreAuditEvent).where(
                StoreAuditEvent.action == "framework_published")
                .order_by(StoreAuditEvent.seq.desc()).limit(1)).one()

    def ipcb(self) -> ConsoleClient:
        return self.console.signed_in_as(self.console.make_account("ipcb_governance"))

    def releases(self, kind: str) -> list[FrameworkRelease]:
        with self.sessions() as db:
            return framework.published(db, kind)

    def device(self, device_id: str) -> Device:
        with self.sessions() as db:
            device = db.get(Device, device_id)
            assert device is not None
            return device

    def close(self) -> None:
        self.engine.dispose()
        self.process.stop()
        self.postgres.drop_database(self.database)


@pytest.fixture(scope="module")
def module_store(postgres: PostgresCluster, tmp_path_factory: pytest.TempPathFactory
                 ) -> Iterator[OwnStore]:
    store = OwnStore(postgres, tmp_path_factory.mktemp("framework-store"))
    try:
        yield store
    finally:
        store.close()


@pytest.fixture
def own_store(module_store: OwnStore) -> Iterator[OwnStore]:
    """The module's store with a new team, reset after the test."""
    module_store.new_team()
    yield module_store
    module_store.reset()


@pytest.fixture
def laptop(own_store: OwnStore, template_vault: tuple[Path, str, str],
           tmp_path: Path) -> Iterator[VaultLaptop]:
    with enrolled_laptops(own_store.process.base_url, own_store.sessions, template_vault,
                          tmp_path / "laptops") as make:
        yield make(own_store.team)


def publish(client: ConsoleClient, kind: str, document: bytes | None = None, *,
            pasted: str = "", note: str = "", **extra: str) -> Any:
    files = {"document": ("document.json", document or b"", "application/json")}
    return client.post("/console/framework/publish", files=files, data={
        "csrf_token": client.csrf, "kind": kind, "pasted": pasted, "note": note, **extra})


def page_text(html: str) -> str:
    """The page's words (tags dropped, entities as typed characters)."""
    return " ".join(html_lib.unescape(re.sub(r"<[^>]+>", " ", html)).split())


def sync_screen_says(qtbot: Any, laptop: VaultLaptop, result: SyncResult) -> str:
    """What the Sync screen shows the nurse after ``result`` (its real page)."""
    actions = SyncActions(run_now, lambda: sync.sync_settings(laptop.uow), None, lambda: [],
                          None, lambda: [], None)
    page = SyncPage(actions, lambda: None, lambda: None)
    qtbot.addWidget(page)
    page.show_finished(result)
    return page_text(page.message.text())


def case_flow(laptop: VaultLaptop, case_id: str) -> str:
    with laptop.uow.read() as s:
        case = s.get(DelegationCase, case_id)
        assert case is not None
        return case.flow_version


# ------------------------------------------------------------------ a flow, end to end


@pytest.mark.hazard(HAZARD)
@pytest.mark.hazard("H-018")
def test_a_published_flow_reaches_the_laptop_new_delegations_use_it_and_a_draft_keeps_its_own(
        own_store: OwnStore, laptop: VaultLaptop, qtbot: Any) -> None:
    person_id = people.create_person(laptop.uow, people.PersonInput(**person_values(21))).id
    shipped, catalogue = load_flow(), load_catalogue()
    assert short_version(shipped.version) == "2026.2"
    draft_id = delegation.save_draft(laptop.uow, person_id, None, start(), "S2", shipped,
                                     catalogue)
    first = laptop.sync()
    assert first.framework == ()  # nothing published yet

    ipcb = own_store.ipcb()
    document = as_bytes(flow_doc())
    answer = publish(ipcb, "flow", document, note="S4 reworded, IPCB 12/2026")
    assert answer.status_code == 303, page_text(answer.text)
    page = ipcb.get(answer.headers["location"])
    words = page_text(page.text)
    assert "Published the delegation flow 2026.3" in words, own_store.process.log()[-4000:]
    [row] = own_store.releases("flow")
    assert (row.version, row.content.encode(), row.note) == (
        "2026.3", document, "S4 reworded, IPCB 12/2026")  # exactly as uploaded
    assert row.sha256 in words and "newest: used for new delegations" in words
    event = own_store.last_published()
    assert event.detail == {"kind": "flow", "version": "2026.3", "sha256": row.sha256}
    assert (event.chain, event.actor_kind, event.actor_name) == (
        "console", "console", ipcb.account.username if ipcb.account else "")

    result = laptop.sync()
    assert result.framework == ("Received delegation flow 2026.3 from the IPCB.",)
    assert sync_screen_says(qtbot, laptop, result) == \
        "Sent 0, received 0. Received delegation flow 2026.3 from the IPCB."
    with laptop.uow.read() as s:
        held = s.scalars(select(HeldRelease)).one()
        assert (held.kind, held.version, held.sha256) == ("flow", "2026.3", row.sha256)
        assert held.content.encode() == document

    # New delegations start under the newest flow: the wizard's controller takes it.
    newest = load_flow()
    assert newest.version == "2026.3" and newest.step("S4").question == NEW_QUESTION
    provider, workers = add_insured_provider(laptop.uow)
    answers = delegated_answers(provider, workers)
    case_id = delegation.save_draft(laptop.uow, person_id, None, answers, "S10", newest,
                                    catalogue)
    decision = delegation.decide(laptop.uow, case_id, answers, newest, catalogue, "A Nurse",
                                 TODAY)
    assert decision.flow_version == "2026.3" == case_flow(laptop, case_id)

    # The draft started before keeps its flow: saved under it, refused under the new one
    # unless restarted, and its own version still loads.
    assert case_flow(laptop, draft_id) == shipped.version
    with pytest.raises(ValidationError, match="started under flow 2026.2.*unless it is "
                                              "restarted"):
        delegation.save_draft(laptop.uow, person_id, draft_id, start(), "S3", newest,
                              catalogue)
    assert load_flow_version(shipped.version) == shipped
    assert load_flow_version("2026.3") == newest
    [draft] = delegation.drafts(laptop.uow)
    assert (draft.case_id, draft.flow_version) == (draft_id, shipped.version)

    # The store knows what the laptop holds now; the console shows it.
    assert laptop.enrolment is not None
    device = own_store.device(laptop.enrolment.device_id)
    assert (device.flow_version, device.catalogue_version) == ("2026.3", "2026.2")
    words = page_text(ipcb.get("/console/framework").text)
    assert f"{own_store.team} {laptop.name}" in words
    assert "2026.3 1" in words  # the count of laptops holding 2026.3
    assert laptop.sync().framework == ()  # received once, never again


@pytest.mark.hazard(HAZARD)
def test_received_versions_come_back_after_an_unlock_and_go_with_the_vault(
        own_store: OwnStore, laptop: VaultLaptop, template_vault: tuple[Path, str, str]
) -> None:
    publish(own_store.ipcb(), "flow", as_bytes(flow_doc()))
    laptop.sync()
    assert load_flow().version == "2026.3"
    folder = laptop.vault.store.folder
    laptop.vault.close()
    assert short_version(load_flow().version) == "2026.2"  # the vault closed: not held
    again = VaultStore(folder, kdf_cost=TEST_KDF).unlock(template_vault[1], PASSPHRASE)
    laptop.vault, laptop.uow = again, again.uow
    assert load_flow().version == "2026.3"
    assert load_flow_version("2026.3").step("S4").question == NEW_QUESTION


@pytest.mark.hazard(HAZARD)
@pytest.mark.hazard("H-018")
def test_the_wizard_takes_the_newest_flow_at_each_start_and_a_draft_asks_before_moving(
        qtbot: Any, vault_copy: Any) -> None:
    """A version received mid-session (kept and handed over as a sync does) is used from
    the wizard's next start; a draft started before it asks, and continues under its own."""
    store, user_id, _ = vault_copy
    stack = Stack(store, user_id)
    try:
        shipped, catalogue = load_flow(), load_catalogue()
        draft_id = stack.executor.call(delegation.save_draft, stack.session.uow,
                                       stack.person_id, None, start(), "S2", shipped,
                                       catalogue)
        dialogs = Dialogs(headless=True, choices=[0])  # the draft: continue under its own
        controller = WizardController(stack.runner, stack.session, shipped, catalogue,
                                      dialogs, follow_newest=True)
        content = json.dumps(flow_doc())

        def receive() -> None:
            with stack.session.uow.begin() as s:
                assert framework_releases.keep(s, "flow", "2026.3", content,
                                               sha256_text(content), RECEIVED)
            with stack.session.uow.read() as s:
                assert framework_releases.fill_registry(s)

        stack.executor.call(receive)
        with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
            controller.start(stack.person_id)
        qtbot.addWidget(opened.args[0])
        assert opened.args[0].flow.version == "2026.3"
        assert opened.args[0].flow.step("S4").question == NEW_QUESTION
        opened.args[0].close()

        with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as resumed:
            controller.start(stack.person_id, draft_id)
        qtbot.addWidget(resumed.args[0])
        assert "the framework's flow is now 2026.3" in dialogs.shown[-1][2]
        assert resumed.args[0].flow.version == shipped.version
        resumed.args[0].close()
    finally:
        stack.close()


# ------------------------------------------------------------------ refusals on the store


@pytest.mark.hazard(HAZARD)
def test_a_broken_flow_is_refused_with_the_exact_reason_and_never_served(
        own_store: OwnStore, laptop: VaultLaptop) -> None:
    ipcb = own_store.ipcb()
    broken = flow_doc()
    broken["steps"]["S4"]["branches"][0]["goto"] = "S99"
    answer = publish(ipcb, "flow", as_bytes(broken), note="typed note")
    assert answer.status_code == 400
    words = page_text(answer.text)
    assert "Nothing was published. S4: goes to unknown step S99" in words
    # Nothing typed is lost: the note, the kind, the file's text in the box.
    assert 'value="typed note"' in answer.text and 'value="flow" checked' in answer.text
    assert "&#34;S99&#34;" in answer.text or "&quot;S99&quot;" in answer.text

    bad_json = b'{"flow_version": "2026.3",\n  "steps": {,}}'
    words = page_text(publish(ipcb, "flow", bad_json).text)
    assert "The file is not valid JSON: Expecting property name enclosed in double quotes " \
           "at line 2, column 13." in words
    words = page_text(publish(ipcb, "flow", as_bytes(flow_doc("2026.2"))).text)
    assert "The delegation flow 2026.2-reconstructed is shipped with the app and cannot " \
           "change; give the new content a new version." in words
    words = page_text(publish(ipcb, "flow", as_bytes(flow_doc("2026.1.5"))).text)
    assert "version 2026.1.5 is not newer than 2026.2-reconstructed" in words
    new_step = flow_doc()
    new_step["steps"]["S4"]["fields"]["colour"] = {"type": "text", "label": "Colour"}
    words = page_text(publish(ipcb, "flow", as_bytes(new_step)).text)
    assert "S4.colour: the app's page for S4 does not ask this field; that needs a new " \
           "version of the app, not a new flow version" in words
    words = page_text(publish(ipcb, "flow", as_bytes(flow_doc()),
                              pasted=json.dumps(flow_doc())).text)
    assert "choose a file or paste it into the box, not both" in words
    assert own_store.releases("flow") == []
    assert laptop.sync().framework == ()
    with laptop.uow.read() as s:
        assert s.scalars(select(HeldRelease)).all() == []


@pytest.mark.hazard(HAZARD)
@pytest.mark.hazard("H-018")
def test_a_published_version_never_changes_and_versions_go_by_their_numbers(
        own_store: OwnStore) -> None:
    ipcb = own_store.ipcb()
    assert publish(ipcb, "flow", as_bytes(flow_doc("2026.9"))).status_code == 303
    same = publish(ipcb, "flow", as_bytes(flow_doc("2026.9")))
    assert same.status_code == 303 and "already=" in same.headers["location"]
    assert "The delegation flow 2026.9 was already published; nothing changed." in \
        page_text(ipcb.get(same.headers["location"]).text)
    changed = flow_doc("2026.9")
    changed["title"] = "Another title"
    words = page_text(publish(ipcb, "flow", as_bytes(changed)).text)
    assert "The delegation flow version 2026.9 is published and cannot change; give the new " \
           "content a new version." in words
    words = page_text(publish(ipcb, "flow", as_bytes(flow_doc("2026.9-draft"))).text)
    assert "version 2026.9 is published and cannot change" in words
    # 2026.10 comes after 2026.9 (as text it would sort before: H-018).
    assert publish(ipcb, "flow", as_bytes(flow_doc("2026.10"))).status_code == 303
    assert [r.version for r in own_store.releases("flow")] == ["2026.9", "2026.10"]
    with own_store.sessions() as db:
        flows = framework.in_force(db)["flow"]
    assert [(f.version, f.newest) for f in flows][:2] == [("2026.10", True), ("2026.9", False)]


@pytest.mark.hazard(HAZARD)
def test_the_database_refuses_to_change_a_published_release(own_store: OwnStore) -> None:
    assert publish(own_store.ipcb(), "flow", as_bytes(flow_doc())).status_code == 303
    for statement in (update(FrameworkRelease).values(content="{}"),
                      delete(FrameworkRelease)):
        with pytest.raises(DBAPIError, match="a published framework release never changes"):
            with own_store.sessions.begin() as db:
                db.execute(statement)
    [row] = own_store.releases("flow")
    assert row.content.encode() == as_bytes(flow_doc())


# ------------------------------------------------------------------ a catalogue


@pytest.mark.hazard(HAZARD)
@pytest.mark.hazard("H-018")
def test_a_catalogue_version_is_published_received_and_offered(
        own_store: OwnStore, laptop: VaultLaptop) -> None:
    ipcb = own_store.ipcb()
    broken = catalogue_doc()
    delegable = next(t for t in broken["tasks"] if t["typical_status"] == "D")
    delegable["training_level"] = 3
    words = page_text(publish(ipcb, "catalogue", pasted=json.dumps(broken, indent=1)).text)
    assert (f"Nothing was published. task '{delegable['code']}', field 'training_level': a "
            "delegable (D) task needs 1 or 2 (got 3)") in words
    assert own_store.releases("catalogue") == []

    pasted = json.dumps(catalogue_doc(), indent=1)
    assert publish(ipcb, "catalogue", pasted=pasted).status_code == 303
    [row] = own_store.releases("catalogue")
    assert row.version == "2026.3"

    result = laptop.sync()
    assert result.framework == ("Received task catalogue 2026.3 from the IPCB.",)
    current = load_catalogue()
    assert current.version == "2026.3" and current.tasks[0].notes == \
        "Reworded by the IPCB for 2026.3."
    assert shipped_catalogue().version == "2026.2"
    with laptop.uow.read() as s:  # copied into task_type as the shipped one is
        versions = set(s.scalars(select(TaskType.catalogue_version)))
        assert {"2026.2", "2026.3"} <= versions
    # New delegations are offered it and record it; older cases keep their own.
    person_id = people.create_person(laptop.uow, people.PersonInput(**person_values(22))).id
    context = delegation.wizard_context(laptop.uow, person_id, load_catalogue())
    assert context.tasks  # offered from 2026.3
    case_id = delegation.save_draft(laptop.uow, person_id, None, start(), "S2", load_flow(),
                                    load_catalogue())
    with laptop.uow.read() as s:
        case = s.get(DelegationCase, case_id)
        assert case is not None and case.task_catalogue_version == "2026.3"
    assert laptop.enrolment is not None
    assert own_store.device(laptop.enrolment.device_id).catalogue_version == "2026.3"


@pytest.mark.hazard(HAZARD)
@pytest.mark.hazard("H-002")
def test_a_catalogue_letting_care_workers_do_a_nurse_only_task_needs_the_ipcbs_confirmation(
        own_store: OwnStore) -> None:
    ipcb = own_store.ipcb()
    widening = catalogue_doc()
    nurse_only = next(t for t in widening["tasks"] if t["typical_status"] == "RN")
    nurse_only.update(typical_status="D", training_level=2, refresher_months=12)
    widening["look_alikes"] = [p for p in widening.get("look_alikes", [])
                               if nurse_only["code"] not in (p["task"], *p["twins"])]
    answer = publish(ipcb, "catalogue", as_bytes(widening))
    words = page_text(answer.text)
    assert answer.status_code == 400
    assert (f"This catalogue lets care workers do tasks that are registered-nurse only in "
            f"version 2026.2: {nurse_only['code']}.") in words
    assert 'name="confirm_widening"' in answer.text and own_store.releases("catalogue") == []
    confirmed = publish(ipcb, "catalogue", as_bytes(widening), confirm_widening="yes")
    assert confirmed.status_code == 303
    assert own_store.last_published().detail["made_delegable"] == [nurse_only["code"]]


# ------------------------------------------------------------------ the laptop checks again


@pytest.mark.hazard(HAZARD)
def test_a_release_changed_on_the_store_is_refused_by_the_laptop_and_the_sync_goes_on(
        own_store: OwnStore, laptop: VaultLaptop, qtbot: Any) -> None:
    assert publish(own_store.ipcb(), "flow", as_bytes(flow_doc())).status_code == 303
    tampered = flow_doc()
    tampered["steps"]["S3"]["branches"].reverse()  # still valid, but not what was published
    own_store.as_superuser("UPDATE framework_release SET content = %(c)s",
                           {"c": json.dumps(tampered)})
    laptop.add_person(23)
    result = laptop.sync()
    assert result.pushed == 1  # the rest of the sync went on
    [line] = result.framework
    assert "delegation flow 2026.3 from the central store was not used" in line
    assert "does not match its fingerprint (SHA-256)" in line
    assert "Sent 1, received 0. The delegation flow 2026.3 from the central store was not " \
           "used" in sync_screen_says(qtbot, laptop, result)
    with laptop.uow.read() as s:
        assert s.scalars(select(HeldRelease)).all() == []
    assert short_version(load_flow().version) == "2026.2"

    # Content and fingerprint both replaced, breaking a rule: the laptop's own check.
    broken = flow_doc()
    broken["steps"]["S4"]["branches"][0]["goto"] = "S99"
    content = json.dumps(broken)
    own_store.as_superuser("UPDATE framework_release SET content = %(c)s, sha256 = %(s)s",
                           {"c": content, "s": sha256_text(content)})
    [line] = laptop.sync().framework
    assert "not used: S4: goes to unknown step S99" in line
    assert laptop.enrolment is not None
    assert own_store.device(laptop.enrolment.device_id).flow_version == "2026.2-reconstructed"


@pytest.mark.hazard(HAZARD)
def test_a_held_version_is_never_replaced(own_store: OwnStore, laptop: VaultLaptop) -> None:
    assert publish(own_store.ipcb(), "flow", as_bytes(flow_doc())).status_code == 303
    laptop.sync()
    other = json.dumps(flow_doc(title="Other"))
    with laptop.uow.begin() as s:
        assert not framework_releases.keep(s, "flow", "2026.3", other, "0" * 64, RECEIVED)
        assert not framework_releases.keep(s, "flow", "2026.2", other, "0" * 64, RECEIVED)
    with laptop.uow.read() as s:
        [held] = s.scalars(select(HeldRelease)).all()
        assert held.content != other


# ------------------------------------------------------------------ who may, and scripts


def test_only_the_ipcb_may_publish(own_store: OwnStore) -> None:
    admin_client = own_store.console.signed_in_as(own_store.console.make_account("it_admin"))
    assert admin_client.get("/console/framework").status_code == 403
    answer = publish(admin_client, "flow", as_bytes(flow_doc()))
    assert answer.status_code == 403 and own_store.releases("flow") == []


@pytest.mark.hazard(HAZARD)
def test_the_command_line_publishes_with_the_same_checks(
        own_store: OwnStore, tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    good, bad = tmp_path / "flow.json", tmp_path / "broken.json"
    good.write_bytes(as_bytes(flow_doc()))
    broken = flow_doc("2026.4")
    broken["steps"]["S4"]["branches"][0]["goto"] = "S99"
    bad.write_bytes(as_bytes(broken))
    base = ["--database-url", own_store.url, "publish-framework", "--kind", "flow"]
    assert store_cli([*base, str(bad)]) == 1
    assert "error: S4: goes to unknown step S99" in capsys.readouterr().err
    assert store_cli([*base, str(good), "--note", "from a script"]) == 0
    assert "published the delegation flow 2026.3" in capsys.readouterr().out
    assert store_cli([*base, str(good)]) == 0
    assert "is already published" in capsys.readouterr().out
    [row] = own_store.releases("flow")
    assert row.published_by is None and row.note == "from a script"
    event = own_store.last_published()
    assert event.actor_kind == "cli" and event.detail["sha256"] == row.sha256


# ------------------------------------------------------------------ the vault's migration


def test_migration_0012_adds_and_drops_the_received_versions_table(tmp_path: Path) -> None:
    db_path = tmp_path / "v.db"
    engine = encrypted_engine(db_path, os.urandom(32), create=True)

    def tables() -> set[str]:
        with engine.connect() as conn:
            return {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}

    try:
        upgrade_to(engine, db_path, "0011")
        assert "framework_release" not in tables()
        upgrade_to(engine, db_path)
        assert current_revision(engine) == "0012" and "framework_release" in tables()
        with engine.begin() as conn:
            conn.execute(text("INSERT INTO framework_release VALUES ('flow', '2026.3', '{}', "
                              ":sha, '2026-12-08 09:00:00', '2026-12-08 10:00:00')"),
                         {"sha": "a" * 64})
            with pytest.raises(Exception, match="CHECK constraint failed"):
                conn.execute(text("INSERT INTO framework_release VALUES ('rota', '1', '{}', "
                                  "'x', '2026-12-08 09:00:00', '2026-12-08 10:00:00')"))
        with engine.connect() as conn:
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0011")
            conn.commit()
        assert current_revision(engine) == "0011" and "framework_release" not in tables()
        upgrade_to(engine, db_path)
        assert "framework_release" in tables()
    finally:
        engine.dispose()
