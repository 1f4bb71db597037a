"""A first sync killed with SIGKILL at several points resumes and ends with exactly the
store's records, once each, pulled in order.

The store's team is seeded once for the module with 20,000 records by COPY (people, and
their contacts; some contacts come more than a page before their person, so they wait in
``sync_held_back`` across a kill). The sync client runs in a process of its own (this file,
run as a script: ``_child``), against the real store and PostgreSQL, on a real encrypted
vault. To kill it at an exact point without sleeping, the child can stop and wait on its
stdin at one of two points, and say so on stdout: after its Nth page's rows are written but
before that page's transaction commits (``written``), or after the Nth page committed
(``committed``). The parent then kills it (SIGKILL). One kill is also made at no chosen
point: on the first progress line, while the child runs on.

After each kill the vault must hold only what committed pages brought, in the store's
order: no record newer than the vault's cursor, and every record up to it either applied
at the store's version or held back waiting for its parent. After the last run, the vault
holds exactly the store's records (ids, versions and tombstones), and nothing is held back.
"""

from __future__ import annotations

import datetime as dt
import json
import os
import signal
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

REPO = Path(__file__).resolve().parents[2]
if __name__ == "__main__":  # run as the child: the repository's packages come from here
    sys.path.insert(0, str(REPO))

from desktop_app.models.person import Contact, Person  # noqa: E402
from desktop_app.models.sync import SYNC_STATE_ID, HeldBackChange, SyncState  # noqa: E402
from desktop_app.services import sync as sync_client  # noqa: E402
from desktop_app.services.sync import client, pull  # noqa: E402
from desktop_app.services.vault import VaultStore  # noqa: E402

PEOPLE = 16_000
CONTACTS = 4_000
PAGE = sync_client.SyncOptions().pull_limit
EARLY = 7_000  # a contact moved this many places ahead of its person: over a page earlier
DEVICE = "5b1d2e3f-4a5b-4c6d-8e7f-9a0b1c2d3e4f"
AUTHOR = "0f3a9c1e-7d2b-4c55-9e61-2b7f4a8d9c10"
STAMP = "2026-03-02T10:00:00+00:00"
CHILD_TIMEOUT_S = 300

Key = tuple[str, str]


def _person_row(record_id: str, serial: int) -> dict[str, Any]:
    return {
        "id": record_id, "version": 1, "server_version": None, "created_at": STAMP,
        "updated_at": STAMP, "updated_by": AUTHOR, "device_id": DEVICE,
        "deleted": serial % 97 == 0,
        "nhs_number": f"999{serial:07d}", "given_name": "Margaret", "family_name": "Nowak",
        "preferred_name": None, "date_of_birth": f"19{30 + serial % 60}-0{1 + serial % 9}-1"
        f"{serial % 10}", "phone": None, "address_line1": f"{serial % 300 + 1} Example Street",
        "address_line2": None, "town": "Leicester", "postcode": "LE1 5WW",
        "gp_practice_code": None, "gp_practice_name": None, "team": "Leicester City South INT",
        "open_to_community_health": True, "communication_needs": None, "eq_disability": None,
        "eq_gender_reassignment": None, "eq_marriage_civil_partnership": None,
        "eq_pregnancy_maternity": None, "eq_ethnicity": None, "eq_religion_belief": None,
        "eq_sex": None, "eq_sexual_orientation": None,
    }


def _contact_row(record_id: str, person_id: str) -> dict[str, Any]:
    return {
        "id": record_id, "version": 1, "server_version": None, "created_at": STAMP,
        "updated_at": STAMP, "updated_by": AUTHOR, "device_id": DEVICE, "deleted": False,
        "person_id": person_id, "kind": "next_of_kin", "name": "Harold Nowak",
        "relationship": "Son", "phone": "0116 496 0000", "email": None, "address": None,
        "registration_reference": None, "registered_on": None,
        "can_decide_health_welfare": False,
    }


def _seed_records() -> list[tuple[str, str, dict[str, Any]]]:
    """(entity type, id, row) in the order the store hands versions out: people with a
    contact for every fourth; most contacts just after their person, every tenth more than
    a page before it (a child that arrives before its parent)."""
    people = [(str(uuid.uuid4()), serial) for serial in range(PEOPLE)]
    ordered: list[tuple[str, str, dict[str, Any]]] = []
    early: dict[int, list[tuple[str, str, dict[str, Any]]]] = {}
    for position, (person_id, serial) in enumerate(people):
        ordered.append(("person", person_id, _person_row(person_id, serial)))
        if serial % 4 == 0 and serial // 4 < CONTACTS:
            contact_id = str(uuid.uuid4())
            contact = ("contact", contact_id, _contact_row(contact_id, person_id))
            if serial % 40 == 0 and position >= EARLY:
                early.setdefault(position - EARLY, []).append(contact)
            else:
                ordered.append(contact)
    # Put the early contacts in place (positions counted in people, which is close enough).
    out: list[tuple[str, str, dict[str, Any]]] = []
    seen_people = 0
    for record in ordered:
        if record[0] == "person":
            out.extend(early.pop(seen_people, []))
            seen_people += 1
        out.append(record)
    assert not early
    return out


@pytest.fixture(scope="module")
def seeded(store: Any, store_sessions: sessionmaker[Session], postgres: Any) -> str:
    """A team of the session's store holding 20,000 records, COPYed in; its name."""
    from sync_server import admin

    name = f"Resume INT {uuid.uuid4().hex[:8]}"
    with store_sessions.begin() as session:
        team_id = admin.create_team(session, name).id
    records = _seed_records()
    assert len(records) == PEOPLE + CONTACTS
    now = dt.datetime.now(dt.UTC)
    with psycopg.connect(postgres.admin_url()) as conn:
        with conn.cursor() as cur, cur.copy(
                "COPY record (entity_type, id, team_id, server_version, row, tombstone, "
                "updated_at, device_id) FROM STDIN") as copy:
            for version, (entity_type, record_id, row) in enumerate(records, start=1):
                copy.write_row((entity_type, record_id, team_id, version, json.dumps(row),
                                bool(row["deleted"]), now, DEVICE))
        conn.execute("UPDATE team_version_counter SET value = %s WHERE team_id = %s",
                     (len(records), team_id))
        conn.commit()
    return name


@pytest.fixture
def vault_folder(store: Any, store_sessions: sessionmaker[Session], seeded: str,
                 template_vault: tuple[Path, str, str], tmp_path: Path
                 ) -> Iterator[tuple[Path, str]]:
    """A fresh vault enrolled in the seeded team (closed: the child opens it)."""
    from tests.sync.laptops import issue_code, make_vault

    template, user_id, _ = template_vault
    folder = tmp_path / "vault"
    vault = make_vault(template, folder, user_id)
    sync_client.enrol(vault.uow, store.base_url, issue_code(store_sessions, seeded),
                      "Resume laptop")
    vault.close()
    yield folder, user_id


def _store_records(pg: psycopg.Connection, team: str) -> dict[Key, tuple[int, bool]]:
    rows = pg.execute("SELECT r.entity_type, r.id, r.server_version, r.tombstone FROM record r "
                      "JOIN team t ON t.id = r.team_id WHERE t.name = %s", [team]).fetchall()
    return {(et, rid): (version, tomb) for et, rid, version, tomb in rows}


def _vault_state(folder: Path, user_id: str
                 ) -> tuple[int, dict[Key, tuple[int, bool]], dict[Key, int]]:
    """The vault's cursor, its synced records (version, tombstone), and the held-back ones."""
    from tests.support import PASSPHRASE, TEST_KDF

    vault = VaultStore(folder, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    try:
        with vault.uow.read() as s:
            state = s.get(SyncState, SYNC_STATE_ID)
            cursor = state.pull_cursor if state else 0
            held: dict[Key, tuple[int, bool]] = {}
            for model, name in ((Person, "person"), (Contact, "contact")):
                for record_id, version, deleted in s.execute(
                        select(model.id, model.server_version, model.deleted)):
                    held[(name, record_id)] = (-1 if version is None else version,
                                               bool(deleted))
            waiting = {(h.entity_type, h.entity_id): h.server_version
                       for h in s.scalars(select(HeldBackChange))}
        return cursor, held, waiting
    finally:
        vault.close()


def _assert_in_order(store: dict[Key, tuple[int, bool]], folder: Path, user_id: str) -> int:
    """Only what committed pages brought: nothing past the cursor, everything up to it here
    at the store's version or held back. Returns the cursor."""
    cursor, here, waiting = _vault_state(folder, user_id)
    for key, (version, tomb) in here.items():
        assert key in store, f"{key} is not on the store"
        assert store[key] == (version, tomb), f"{key}: {(version, tomb)} != {store[key]}"
        assert version <= cursor, f"{key} at version {version} arrived past the cursor {cursor}"
    for key, version in waiting.items():
        assert version <= cursor and key not in here, key
    expected = {k for k, (v, _t) in store.items() if v <= cursor}
    assert expected == set(here) | set(waiting), "a record up to the cursor is missing"
    return cursor


class Child:
    """The sync client in a process of its own (this file run as a script)."""

    def __init__(self, folder: Path, user_id: str, hold: str = "none", page: int = 0) -> None:
        env = {**os.environ, "PYTHONPATH": str(REPO)}
        self.proc = subprocess.Popen(
            [sys.executable, "-u", __file__, str(folder), user_id, hold, str(page)],
            stdin=subprocess.PIPE, stdout=subprocess.PIPE, stderr=subprocess.PIPE,
            text=True, env=env, cwd=REPO)

    def wait_for(self, prefix: str) -> str:
        """The first stdout line starting with ``prefix`` (fails if the child ends first)."""
        assert self.proc.stdout is not None
        for line in self.proc.stdout:
            if line.startswith(prefix):
                return line.strip()
        self.proc.wait(timeout=CHILD_TIMEOUT_S)
        stderr = self.proc.stderr.read() if self.proc.stderr else ""
        raise AssertionError(f"the child ended ({self.proc.returncode}) before {prefix}: "
                             f"{stderr[-3000:]}")

    def kill(self) -> None:
        """SIGKILL, and wait for it to be gone."""
        os.kill(self.proc.pid, signal.SIGKILL)
        assert self.proc.wait(timeout=CHILD_TIMEOUT_S) == -signal.SIGKILL
        self.close()

    def finish(self) -> dict[str, Any]:
        """Let it run to the end; its result line."""
        line = self.wait_for("DONE ")
        assert self.proc.wait(timeout=CHILD_TIMEOUT_S) == 0
        self.close()
        result: dict[str, Any] = json.loads(line.removeprefix("DONE "))
        return result

    def close(self) -> None:
        for stream in (self.proc.stdin, self.proc.stdout, self.proc.stderr):
            if stream is not None:
                stream.close()


def test_a_first_sync_killed_at_several_points_resumes_to_exactly_the_stores_records(
        vault_folder: tuple[Path, str], seeded: str, pg: psycopg.Connection) -> None:
    folder, user_id = vault_folder
    store = _store_records(pg, seeded)
    assert len(store) == PEOPLE + CONTACTS

    # Early: the first page's rows written, its transaction not committed.
    child = Child(folder, user_id, "written", 1)
    child.wait_for("HOLD ")
    child.kill()
    assert _assert_in_order(store, folder, user_id) == 0, "an uncommitted page was kept"

    # Wherever it lands: on the first progress line, while the child runs on.
    child = Child(folder, user_id)
    child.wait_for("PULLED ")
    child.kill()
    landed = _assert_in_order(store, folder, user_id)
    assert PAGE <= landed < len(store), "the kill should land before the last page"

    # A page committed, killed before the next one starts.
    child = Child(folder, user_id, "committed", 1)
    child.wait_for("HOLD ")
    child.kill()
    between = _assert_in_order(store, folder, user_id)
    assert landed < between < len(store)

    # The middle: a page written with the held-back contacts retried beside it, not
    # committed.
    child = Child(folder, user_id, "written", 1)
    child.wait_for("HOLD ")
    child.kill()
    assert _assert_in_order(store, folder, user_id) == between, "an uncommitted page was kept"

    result = Child(folder, user_id).finish()
    assert result["held_back"] == 0 and not result["cancelled"]
    cursor, here, waiting = _vault_state(folder, user_id)
    assert cursor == len(store)
    assert not waiting
    assert here == store, "the vault does not hold exactly the store's records"


# --- The child ---------------------------------------------------------------------------


def _child(argv: list[str]) -> int:
    """Run a sync of the vault at ``argv[0]``; with ``hold`` (``written`` or ``committed``)
    and a page number, stop at that page of this run and wait on stdin to be killed."""
    from tests.support import PASSPHRASE, TEST_KDF

    folder, user_id, hold, page_text = argv
    page = int(page_text)
    pages = {"written": 0, "committed": 0}

    def stop(when: str) -> None:
        pages[when] += 1
        if hold == when and pages[when] == page:
            print(f"HOLD {when} {page}", flush=True)
            sys.stdin.readline()  # killed while waiting here
            raise SystemExit("the parent should have killed this process")

    apply_page = pull.apply_page

    def apply_then_maybe_hold(*args: Any, **kwargs: Any) -> pull.PageTally:
        tally = apply_page(*args, **kwargs)  # the page, the retried rows and the cursor
        stop("written")  # ... all inside the page's transaction, not yet committed
        return tally

    client.apply_page = apply_then_maybe_hold  # type: ignore[attr-defined]

    def progress(p: sync_client.SyncProgress) -> None:
        if p.phase is sync_client.SyncPhase.PULLING:
            print(f"PULLED {p.done}", flush=True)
            stop("committed")

    vault = VaultStore(Path(folder), kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    result = sync_client.run(vault.uow, progress, lambda: False)
    vault.close()
    print("DONE " + json.dumps({"pulled": result.pulled, "held_back": result.held_back,
                                "cancelled": result.cancelled}), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(_child(sys.argv[1:]))
