"""A hypothesis state machine over two laptops and the real store: people and contacts are
saved, edited and deleted offline, pushed and pulled (in small pages), replies are lost,
the client is dropped mid-run (a crash after the store committed, or mid-pull), conflicts
are resolved either way. After quiescence — every laptop synced until nothing is waiting and
no conflict is open — the store and both laptops hold the same records at the same versions
with the same content, nothing is held back, and every audit chain holds.

Bounded in the normal suite; ``--slow`` runs many more and longer examples.
"""

from __future__ import annotations

import contextlib
import uuid
from pathlib import Path
from typing import Any

import psycopg
import pytest
from hypothesis import HealthCheck, event, settings
from hypothesis import strategies as st
from hypothesis.stateful import (
    Bundle,
    RuleBasedStateMachine,
    initialize,
    invariant,
    multiple,
    rule,
    run_state_machine_as_test,
)
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.person import Contact, Person
from desktop_app.services import sync
from desktop_app.services.core.audit import verify_chain
from desktop_app.services.sync.conflicts import BOOKKEEPING
from sync_server import admin
from tests.sync.laptops import (
    Crash,
    VaultLaptop,
    assert_agree,
    issue_code,
    lose_push_replies,
    make_vault,
    server_records,
)
from tools.throwaway_store import StoreProcess

LAPTOPS = 2
PHONES = st.sampled_from(["0116 496 0001", "0116 496 0002", "0116 496 0003", None])
TOWNS = st.sampled_from(["Leicester", "Loughborough", "Hinckley", "Melton Mowbray"])
PAGE = 3  # small pages, so children and their edited parents land on different pages


def _content(row: dict[str, Any]) -> dict[str, Any]:
    return {k: v for k, v in row.items() if k not in BOOKKEEPING}


def _machine(store: StoreProcess, store_sessions: sessionmaker[Session],
             template: tuple[Path, str, str], folder: Path, pg: psycopg.Connection
             ) -> type[RuleBasedStateMachine]:
    class TwoLaptops(RuleBasedStateMachine):
        people = Bundle("people")
        contacts = Bundle("contacts")

        def __init__(self) -> None:
            super().__init__()
            team = f"Stateful INT {uuid.uuid4().hex[:8]}"
            with store_sessions.begin() as session:
                admin.create_team(session, team)
            self.laptops: list[VaultLaptop] = []
            for n in range(LAPTOPS):
                vault = make_vault(template[0], folder / uuid.uuid4().hex, template[1])
                laptop = VaultLaptop(vault, store.base_url, f"laptop {n + 1}")
                self.laptops.append(laptop)
                laptop.enrolment = sync.enrol(laptop.uow, store.base_url,
                                              issue_code(store_sessions, team), laptop.name)
            self.team_id = self.laptops[0].enrolment.team_id  # type: ignore[union-attr]
            self.serial = 0

        def teardown(self) -> None:
            for laptop in self.laptops:
                laptop.close()

        def _live(self, laptop: VaultLaptop, model: type[Any], record_id: str) -> bool:
            row = laptop.get(model, record_id)
            return row is not None and not row["deleted"]

        @rule(target=people, who=st.integers(0, LAPTOPS - 1))
        def save_person(self, who: int) -> str:
            self.serial += 1
            return self.laptops[who].add_person(self.serial)

        @rule(target=contacts, who=st.integers(0, LAPTOPS - 1), person=people)
        def save_contact(self, who: int, person: str) -> str:
            laptop = self.laptops[who]
            if not self._live(laptop, Person, person):
                return ""
            with laptop.uow.begin() as s:
                contact = Contact(person_id=person, kind="next_of_kin", name="Frank Example")
                s.add(contact)
                s.flush()
                return contact.id

        @rule(who=st.integers(0, LAPTOPS - 1), person=people, phone=PHONES, town=TOWNS)
        def edit_person(self, who: int, person: str, phone: str | None, town: str) -> None:
            laptop = self.laptops[who]
            if self._live(laptop, Person, person):
                laptop.edit(Person, person, phone=phone, town=town)

        @rule(who=st.integers(0, LAPTOPS - 1), contact=contacts, phone=PHONES)
        def edit_contact(self, who: int, contact: str, phone: str | None) -> None:
            laptop = self.laptops[who]
            if contact and self._live(laptop, Contact, contact):
                laptop.edit(Contact, contact, phone=phone)

        @rule(who=st.integers(0, LAPTOPS - 1), person=people)
        def delete_person(self, who: int, person: str) -> None:
            laptop = self.laptops[who]
            if self._live(laptop, Person, person):
                laptop.delete(Person, person)

        @rule(who=st.integers(0, LAPTOPS - 1), batch=st.sampled_from([1, 2, 500]))
        def sync_now(self, who: int, batch: int) -> None:
            self._note(self.laptops[who].sync(batch_size=batch, pull_limit=PAGE))

        @rule(who=st.integers(0, LAPTOPS - 1), person=people, phone=PHONES)
        def edit_while_syncing(self, who: int, person: str, phone: str | None) -> None:
            """The nurse keeps typing while a sync runs: an edit lands after the push, just
            before the pull (``cancelled`` is asked there), so the pull meets it unsent."""
            laptop = self.laptops[who]
            done: list[bool] = []

            def edit_once() -> bool:
                if not done and sync.sync_status(laptop.uow).pending == 0:
                    done.append(True)
                    if self._live(laptop, Person, person):
                        laptop.edit(Person, person, phone=phone, town="Oadby")
                return False

            client = sync.SyncClient(sync.SyncOptions(pull_limit=PAGE))
            self._note(client.run(laptop.uow, lambda _p: None, edit_once))

        def _note(self, result: sync.SyncResult) -> None:
            for what in ("deferred", "conflicts", "held_back", "pulled"):
                if getattr(result, what):
                    event(f"a run with {what}")

        @rule(who=st.integers(0, LAPTOPS - 1),
              trouble=st.sampled_from(["lost reply", "crash after commit", "crash mid-pull"]))
        def sync_in_trouble(self, who: int, trouble: str) -> None:
            """A reply lost after the store committed, or the client dropped mid-run."""
            laptop = self.laptops[who]
            if trouble == "crash mid-pull":
                def die_on_second_page(progress: sync.SyncProgress) -> None:
                    if progress.phase is sync.SyncPhase.PULLING and progress.done >= 1:
                        raise Crash()
                client = sync.SyncClient(sync.SyncOptions(pull_limit=1))
                with contextlib.suppress(Crash):
                    client.run(laptop.uow, die_on_second_page, lambda: False)
                return
            transport = lose_push_replies(crash=trouble == "crash after commit")
            # Raised only when there was something to push: the reply to it is lost.
            with contextlib.suppress(sync.ServerUnreachable, Crash):
                laptop.sync(transport=transport, batch_size=2)

        @rule(who=st.integers(0, LAPTOPS - 1), keep=st.sampled_from(["mine", "theirs"]))
        def resolve_conflicts(self, who: int, keep: str) -> None:
            laptop = self.laptops[who]
            for conflict in sync.list_conflicts(laptop.uow):
                sync.resolve_conflict(laptop.uow, conflict.id, keep)  # type: ignore[arg-type]

        @invariant()
        def nothing_marked_sent_is_missing_from_the_store(self) -> None:
            held = server_records(pg, self.team_id)
            for laptop in self.laptops:
                for key, row in laptop.records().items():
                    if row["server_version"] is not None:
                        assert key in held and held[key][0] >= row["server_version"], key

        def quiesce(self) -> None:
            for _round in range(12):
                for laptop in self.laptops:
                    for conflict in sync.list_conflicts(laptop.uow):
                        sync.resolve_conflict(laptop.uow, conflict.id, "theirs")
                    laptop.sync(pull_limit=PAGE)
                statuses = [sync.sync_status(laptop.uow) for laptop in self.laptops]
                if all(s.pending == 0 and s.conflicts == 0 for s in statuses):
                    for laptop in self.laptops:  # one more pull each, to see the others' last
                        laptop.sync(pull_limit=PAGE)
                    if all(sync.sync_status(x.uow).conflicts == 0 for x in self.laptops):
                        return
            raise AssertionError("the laptops never came to rest")

        def no_write_silently_lost(self) -> None:
            """A laptop's last write of a record that did not reach the store is kept in a
            conflict record (or is what every copy now holds)."""
            for laptop in self.laptops:
                final = laptop.records()
                latest = {(e.entity_type, e.entity_id): e for e in laptop.outbox()}
                kept: dict[tuple[str, str], list[dict[str, Any]]] = {}
                for c in sync.list_conflicts(laptop.uow, include_resolved=True):
                    kept.setdefault((c.entity_type, c.entity_id), []).append(_content(c.mine))
                for key, entry in latest.items():
                    if entry.state == "conflict":
                        mine = _content(entry.payload)
                        assert mine == _content(final[key]) or mine in kept.get(key, []), key

        @initialize(target=people)
        def shared_people(self) -> Any:
            """Two people both laptops have, so their edits can meet."""
            made = [self.laptops[0].add_person(self.serial + n) for n in (1, 2)]
            self.serial += 2
            for laptop in self.laptops:
                laptop.sync()
            return multiple(*made)

        def check_agreement_after_quiescence(self) -> None:
            self.quiesce()
            assert_agree(pg, self.team_id, self.laptops)
            self.no_write_silently_lost()
            for laptop in self.laptops:
                assert sync.sync_status(laptop.uow).held_back == 0
                with laptop.vault.engine.connect() as conn:
                    assert verify_chain(conn) is None

    return TwoLaptops


@pytest.mark.hazard("H-017")
def test_after_quiescence_the_store_and_every_laptop_agree(
        request: pytest.FixtureRequest, store: StoreProcess,
        store_sessions: sessionmaker[Session], template_vault: tuple[Path, str, str],
        tmp_path: Path, pg: psycopg.Connection) -> None:
    slow = bool(request.config.getoption("--slow"))
    machine = _machine(store, store_sessions, template_vault, tmp_path, pg)
    machine.TestCase.settings = settings(
        max_examples=150 if slow else 10, stateful_step_count=50 if slow else 20,
        deadline=None, database=None,
        suppress_health_check=[HealthCheck.too_slow, HealthCheck.function_scoped_fixture])

    class Final(machine):  # type: ignore[valid-type, misc]
        """Every example ends at rest, compared."""

        def teardown(self) -> None:
            try:
                self.check_agreement_after_quiescence()
            finally:
                super().teardown()

    run_state_machine_as_test(Final, settings=machine.TestCase.settings)
