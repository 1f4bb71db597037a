"""The laptop's audit trail made tamper-evident, and the key file told apart from a wrong
passphrase (issue 20: items 2 laptop half, 3, 6).

Tampering is done as someone holding the database key would do it: the vault's database
opened with the raw key (``raw_key_for_support``), raw SQL on ``audit_event``, and the key
file edited as JSON. The central store's half (it receives the events and refuses a head
that does not extend the last it saw) is tested with the store.

How these tests were seen to fail (each fix reverted in a working copy, the tests run):

* ``audit.append_events`` hashing with plain SHA-256 again: the keyed-chain tests (a plain
  recomputation verifies).
* ``witness._head_finding`` returning None: truncation and recompute-with-the-key are not
  found.
* ``AuditCheck.new_findings`` not leaving out what the witness knows: the "told once" test
  (told again at every unlock); recording the break in the witness but finding by seq only:
  "a new break is told again" fails.
* ``KeyFile.from_bytes`` skipping the checksum: every flipped bit is "not right" again and
  counted.
* ``UnlockThrottle.read`` not taking in the old counter file, or taking a missing counter
  as none: the counter tests.
* ``witness._counter_finding`` returning None: the wound-back counter is not noticed.
* ``logging_setup`` with the plain ``RotatingFileHandler``: the log file is 0644.

The central store's half (``POST /api/v1/audit``), with real vault laptops (tests/sync/laptops.py)
syncing with the real store on PostgreSQL, is the second part of this file:

The laptop's audit trail witnessed on the central store (issue 20, item 2, the store's half).

Real vault laptops (tests/sync/laptops.py) sync with the real store on PostgreSQL; after the
push of every run they upload their audit events (``POST /api/v1/audit``). The store keeps
each laptop's chain and refuses, recording the break once, a trail that does not continue
the one it holds: the last rows deleted (truncation), a row edited and every later hash
recomputed, a batch that starts from a head it never saw. The refused laptop's records still
sync, and the sync panel says what happened. ``verify-audit`` walks the stored chains and
finds a break planted in the store's own table; ``accept-audit-head`` re-baselines a laptop.
All data is synthetic.

How these were seen to fail: without the upload step in ``client.py`` every test that syncs
finds no events on the store; with ``audit.receive`` accepting every batch as it comes
(``_check`` returning no break) the truncation, recompute, unknown-head and team tests see
200s and no break; without the declared-head check the truncation and recompute tests (no new
rows after the tampering) are accepted; without the message in ``SyncResult`` the panel test
shows only the counts.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import json
import logging
import logging.handlers
import os
import shutil
import stat
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import httpx
import psycopg
import pytest
from sqlalchemy import Engine, create_engine, text
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.base import Base
from desktop_app.models.person import Person
from desktop_app.services import people
from desktop_app.services import sync as sync_client
from desktop_app.services.core.audit import (
    AUDIT_KEYING,
    GENESIS,
    Actor,
    AuditKeying,
    append_events,
    event_hash,
    keying_of,
    verify_chain,
)
from desktop_app.services.core.errors import (
    InternalError,
    KeyFileCorrupt,
    UnlockThrottled,
    WrongPassphrase,
)
from desktop_app.services.core.logging_setup import LOG_NAME, configure_logging
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.sync import SyncResult
from desktop_app.services.sync.audit_upload import (
    ACKED_KEY,
    HELD_ELSEWHERE,
    NOT_SENT,
    REFUSED,
    UNREADABLE,
)
from desktop_app.services.vault import VaultSession, VaultStore
from desktop_app.services.vault.database import encrypted_engine
from desktop_app.services.vault.keyfile import checksum, open_audit_key, read_key_file
from desktop_app.services.vault.throttle import MAX_DELAY_SECONDS
from desktop_app.services.vault.vault import ATTEMPTS_NAME
from desktop_app.services.vault.witness import COUNTER, HEAD, KEY_FILE, MISSING, ROW
from sync_server import admin, cli
from tests.support import PASSPHRASE, TEST_AUDIT_KEYING, TEST_KDF, person_values
from tests.sync.laptops import (
    ForwardThen,
    VaultLaptop,
    assert_agree,
    enrolled_laptops,
    issue_code,
    server_records,
)
from tests.sync_server.store import EnrolFn, change
from tools.throwaway_store import PostgresCluster, StoreProcess

Vault = tuple[VaultStore, str, str]
DAMAGE_HINT = "If you are sure of the code, the key file may be damaged; restore it from backup"


class Clock:
    """A clock the test moves by hand."""

    def __init__(self) -> None:
        self.now = 1_000_000.0

    def __call__(self) -> float:
        return self.now


@pytest.fixture
def clock() -> Clock:
    return Clock()


@pytest.fixture
def closed(vault_copy: Vault, clock: Clock) -> tuple[VaultStore, str, str, bytes]:
    """A private closed vault on a hand-moved clock, unlocked once and checked, with a few
    audit rows of work and its witness at their head: (store, user id, code, raw key)."""
    store, user_id, code = vault_copy
    store = VaultStore(store.folder, kdf_cost=store.kdf_cost, clock=clock)
    session = store.unlock(user_id, PASSPHRASE)
    assert session.check_audit() is not None
    work(session)
    key = session.raw_key_for_support()
    session.close()  # the witness moves to the head
    return store, user_id, code, key


def work(session: VaultSession, serials: tuple[int, ...] = (1, 2, 3)) -> None:
    """Some people made and opened: two audit rows each."""
    for serial in serials:
        made = people.create_person(session.uow, people.PersonInput(**person_values(serial)))
        people.open_person(session.uow, made.id)


def raw_engine(store: VaultStore, key: bytes) -> Engine:
    """The database opened with the raw key, as someone tampering outside the app would."""
    return encrypted_engine(store.db_path, key)


def rows(engine: Engine) -> list[dict[str, Any]]:
    with engine.connect() as conn:
        result = conn.exec_driver_sql("SELECT * FROM audit_event ORDER BY seq")
        return [dict(r._mapping) for r in result]


def rehash_from(engine: Engine, seq: int, key: bytes | None) -> None:
    """Recompute the link and hash of every row from ``seq`` on, as someone covering an edit
    would: with plain SHA-256 (``key`` None) or HMAC under ``key``."""
    with engine.begin() as conn:
        before = conn.exec_driver_sql("SELECT hash FROM audit_event WHERE seq < ? "
                                      "ORDER BY seq DESC LIMIT 1", (seq,)).scalar()
        prev = before or "0" * 64
        later = conn.exec_driver_sql(
            "SELECT seq, id, at, user_id, device_id, entity_type, entity_id, action "
            "FROM audit_event WHERE seq >= ? ORDER BY seq", (seq,)).fetchall()
        for n, event_id, at, user_id, device_id, entity_type, entity_id, action in later:
            when = dt.datetime.fromisoformat(at).replace(tzinfo=dt.UTC)
            digest = event_hash(prev, event_id, when, user_id, device_id, entity_type,
                                entity_id, action, key)
            conn.exec_driver_sql("UPDATE audit_event SET prev_hash = ?, hash = ? WHERE seq = ?",
                                 (prev, digest, n))
            prev = digest


def audit_key(store: VaultStore, raw_key: bytes) -> bytes:
    kf = read_key_file(store.key_path)
    assert kf.audit_key is not None
    return open_audit_key(kf.vault_id, raw_key, kf.audit_key)


def edit_key_file(store: VaultStore, edit: Callable[[dict[str, Any]], None],
                  fix_checksum: bool) -> None:
    """Edit the key file's JSON; with ``fix_checksum`` as someone who knows the format."""
    body = json.loads(store.key_path.read_text(encoding="utf-8"))
    edit(body)
    if fix_checksum:
        body.pop("checksum", None)
        body["checksum"] = checksum(body)
    store.key_path.write_text(json.dumps(body, indent=2), encoding="utf-8")


def unlock_and_check(store: VaultStore, user_id: str) -> tuple[VaultSession, Any]:
    session = store.unlock(user_id, PASSPHRASE)
    report = session.check_audit(None)
    assert report is not None
    return session, report


def broken_events(session: VaultSession) -> list[tuple[str, str]]:
    with session.engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT entity_type, entity_id FROM audit_event WHERE action = 'chain_broken' "
            "ORDER BY seq")]


def make_format_1(store: VaultStore, raw_key: bytes) -> None:
    """What an older version left: a format-1 key file (no checksum, counter, audit key or
    witness) and an audit trail hashed with plain SHA-256 throughout."""
    def back(body: dict[str, Any]) -> None:
        for name in ("attempts", "audit_key", "witness", "checksum"):
            body.pop(name, None)
        body["format_version"] = 1

    edit_key_file(store, back, fix_checksum=False)
    engine = raw_engine(store, raw_key)
    try:
        rehash_from(engine, 1, None)
    finally:
        engine.dispose()


# ---------------------------------------------------------------- the keyed chain


@pytest.mark.hazard("H-038")
def test_the_vault_keys_its_chain_with_its_own_audit_key(vault: VaultSession) -> None:
    """The connection carries the audit key sealed in the key file (not the suite's), and a
    new row's hash is HMAC-SHA256 under it, not plain SHA-256."""
    work(vault, (1,))
    with vault.engine.connect() as conn:
        keying = keying_of(conn)
    key = audit_key(vault.store, vault.raw_key_for_support())
    assert keying.key == key and key != TEST_AUDIT_KEYING.key
    last = rows(vault.engine)[-1]
    when = dt.datetime.fromisoformat(last["at"]).replace(tzinfo=dt.UTC)
    fields = (last["prev_hash"], last["id"], when, last["user_id"], last["device_id"],
              last["entity_type"], last["entity_id"], last["action"])
    assert last["hash"] == event_hash(*fields, key)
    assert last["hash"] != event_hash(*fields)
    # The specification, by the standard library: HMAC-SHA256 over the compact JSON array.
    canonical = json.dumps([last["prev_hash"], last["id"], when.isoformat(), *fields[3:]],
                           separators=(",", ":")).encode()
    assert last["hash"] == hmac.new(key, canonical, hashlib.sha256).hexdigest()


@pytest.mark.hazard("H-038")
@pytest.mark.parametrize("recomputed_with", ["plain SHA-256", "another key"])
def test_a_row_edited_and_rehashed_without_the_key_is_caught(
        vault: VaultSession, recomputed_with: str) -> None:
    """Edit a row and recompute it and every later hash with plain SHA-256 (or a key of
    one's own): every link holds, but the edited row's hash is not the audit key's."""
    work(vault)
    all_rows = rows(vault.engine)
    target = all_rows[len(all_rows) // 2]
    with vault.engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_event SET action = 'create' WHERE seq = ?",
                             (target["seq"],))
    rehash_from(vault.engine, target["seq"], None if recomputed_with == "plain SHA-256"
                else os.urandom(32))
    with vault.engine.connect() as conn:
        found = verify_chain(conn)
    assert found is not None and found.seq == target["seq"]


def test_no_audit_key_no_audit_rows() -> None:
    """A connection the vault did not key is refused (InternalError), never written to
    with an unkeyed chain; the suite's own key is what the other bare engines use."""
    engine = create_engine("sqlite://")
    Base.metadata.create_all(engine)
    with engine.begin() as conn:
        assert keying_of(conn) is TEST_AUDIT_KEYING
        conn.info.pop(AUDIT_KEYING)
        with pytest.raises(InternalError):
            append_events(conn, Actor("u", "d"), [("person", "p1", "create")])
        conn.info[AUDIT_KEYING] = AuditKeying(os.urandom(32))
        append_events(conn, Actor("u", "d"), [("person", "p1", "create")])
        assert verify_chain(conn) is None


# ---------------------------------------------------------------- the witness


@pytest.mark.hazard("H-038")
def test_the_newest_rows_deleted_are_caught_by_the_witness(closed: Any) -> None:
    """Deleting the last rows leaves a chain that verifies; the witnessed head is gone. It
    is told as missing, recorded as chain_broken on the witnessed event, and told once."""
    store, user_id, _, key = closed
    engine = raw_engine(store, key)
    head = rows(engine)[-1]
    with engine.begin() as conn:
        conn.exec_driver_sql("DELETE FROM audit_event WHERE seq > ?", (head["seq"] - 3,))
        assert verify_chain(conn, AuditKeying(audit_key(store, key))) is None
    engine.dispose()

    session, report = unlock_and_check(store, user_id)
    try:
        assert [f.kind for f in report.findings] == [MISSING]
        assert f"entries from {head['seq']}" in report.message
        assert "Tell your IT service desk" in report.message
        assert broken_events(session) == [("audit_event", head["id"])]
    finally:
        session.close()
    session, again = unlock_and_check(store, user_id)
    session.close()
    assert again.findings == () and again.message == ""


@pytest.mark.hazard("H-038")
@pytest.mark.parametrize("with_key", [False, True])
def test_an_edit_with_every_later_hash_recomputed_is_caught(closed: Any, with_key: bool
                                                            ) -> None:
    """An edited row, every later link and hash recomputed: without the audit key the
    keyed hash gives it away; with it, the witnessed head no longer has its hash."""
    store, user_id, _, key = closed
    engine = raw_engine(store, key)
    target = rows(engine)[-4]
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_event SET user_id = ? WHERE seq = ?",
                             ("someone-else", target["seq"]))
    rehash_from(engine, target["seq"], audit_key(store, key) if with_key else None)
    engine.dispose()

    session, report = unlock_and_check(store, user_id)
    session.close()
    kinds = [f.kind for f in report.findings]
    if with_key:
        assert kinds == [HEAD]
        assert "or one before it, does not match" in report.message
    else:  # the head's hash changed too: told after the row that says where
        assert kinds == [ROW, HEAD] and report.findings[0].seq == target["seq"]
        assert f"entry {target['seq']} (" in report.message
        assert "onwards does not match" in report.message


@pytest.mark.hazard("H-038")
def test_a_break_is_told_once_and_a_new_one_again(closed: Any) -> None:
    """A row edited outside the app is told at the next unlock and recorded as a
    chain_broken event naming that row; the unlock after says nothing of it; a second,
    new edit is told again."""
    store, user_id, _, key = closed

    def edit(seq: int) -> dict[str, Any]:
        engine = raw_engine(store, key)
        target = next(r for r in rows(engine) if r["seq"] == seq)
        with engine.begin() as conn:
            conn.exec_driver_sql("UPDATE audit_event SET entity_id = ? WHERE seq = ?",
                                 ("0" * 36, seq))
        engine.dispose()
        return target

    first = edit(2)
    session, report = unlock_and_check(store, user_id)
    try:
        assert [(f.kind, f.seq) for f in report.findings] == [(ROW, 2)]
        assert report.message.startswith("This laptop's audit trail was changed outside the "
                                         "app: entry 2 (")
        assert "You can carry on working; the central store will be told at the next " \
               "sync." in report.message
        assert broken_events(session) == [("audit_event", first["id"])]
        work(session, (7,))  # care goes on
    finally:
        session.close()

    session, again = unlock_and_check(store, user_id)
    session.close()
    assert again.findings == ()

    second = edit(4)
    session, third = unlock_and_check(store, user_id)
    try:
        assert [(f.kind, f.seq) for f in third.findings] == [(ROW, 4)]
        assert broken_events(session) == [("audit_event", first["id"]),
                                          ("audit_event", second["id"])]
    finally:
        session.close()


@pytest.mark.hazard("H-038")
def test_the_check_runs_a_slice_at_a_time(closed: Any) -> None:
    """The check walks at most the given rows per call (None until the end), so the
    database thread is never held for the whole trail; a close before the end leaves the
    witness where it was."""
    store, user_id, _, _ = closed
    session = store.unlock(user_id, PASSPHRASE)
    before = read_key_file(store.key_path).witness
    try:
        assert session.check_audit(2) is None
        assert session.witness_audit() is False
    finally:
        session.close()
    assert read_key_file(store.key_path).witness == before
    session = store.unlock(user_id, PASSPHRASE)
    try:
        calls = 1
        while session.check_audit(2) is None:
            calls += 1
        assert calls >= 4
        assert session.witness_audit() is True
    finally:
        session.close()


@pytest.mark.hazard("H-038")
@pytest.mark.hazard("H-034")
def test_an_old_vault_opens_verifies_and_goes_on_keyed(closed: Any) -> None:
    """A format-1 key file and a plain SHA-256 trail (an older version's): it opens, the key
    file becomes format 2 with an audit key, the old rows verify as plain, new rows are
    keyed from the next seq, and a plain row after that is caught."""
    store, user_id, _, key = closed
    make_format_1(store, key)
    engine = raw_engine(store, key)
    old_rows = rows(engine)
    engine.dispose()
    assert read_key_file(store.key_path).format_version == 1

    session, report = unlock_and_check(store, user_id)
    try:
        assert report.findings == ()
        kf = read_key_file(store.key_path)
        assert kf.format_version == 2 and kf.audit_key is not None and kf.witness is not None
        assert kf.witness.keyed_from == old_rows[-1]["seq"] + 1
        work(session, (8,))
        with session.engine.connect() as conn:
            assert keying_of(conn).keyed_from == old_rows[-1]["seq"] + 1
            assert verify_chain(conn) is None
    finally:
        session.close()

    session, report = unlock_and_check(store, user_id)
    session.close()
    assert report.findings == ()
    engine = raw_engine(store, key)
    new_row = rows(engine)[len(old_rows)]
    rehash_from(engine, new_row["seq"], None)  # a keyed row made plain
    with engine.connect() as conn:
        keying = AuditKeying(audit_key(store, key), old_rows[-1]["seq"] + 1)
        found = verify_chain(conn, keying)
    engine.dispose()
    assert found is not None and found.seq == new_row["seq"]


# ---------------------------------------------------------------- item 3: a damaged key file


def _flip_b64(text: str) -> str:
    data = bytearray(base64.b64decode(text))
    data[3] ^= 0x04
    return base64.b64encode(bytes(data)).decode()


def _flip_hex(text: str) -> str:
    data = bytearray(bytes.fromhex(text))
    data[3] ^= 0x04
    return data.hex()


def _flip_char(text: str) -> str:
    return text[:5] + chr(ord(text[5]) ^ 0x01) + text[6:]


def _user_wrap(body: dict[str, Any]) -> dict[str, Any]:
    return next(w for w in body["wraps"] if w["kind"] == "user")


FLIPS: dict[str, Callable[[dict[str, Any]], None]] = {
    "wrap-ciphertext": lambda b: _user_wrap(b).update(
        ciphertext=_flip_b64(_user_wrap(b)["ciphertext"])),
    "wrap-nonce": lambda b: _user_wrap(b).update(nonce=_flip_b64(_user_wrap(b)["nonce"])),
    "salt": lambda b: _user_wrap(b)["kdf"].update(salt=_flip_hex(_user_wrap(b)["kdf"]["salt"])),
    "vault-id": lambda b: b.update(vault_id=_flip_char(b["vault_id"])),
    "kdf-iterations": lambda b: _user_wrap(b)["kdf"].update(
        iterations=_user_wrap(b)["kdf"]["iterations"] ^ 1),
    "kdf-memory": lambda b: _user_wrap(b)["kdf"].update(
        memory_kib=_user_wrap(b)["kdf"]["memory_kib"] ^ 1),
    "counter": lambda b: b["attempts"].update(total=b["attempts"]["total"] ^ 1),
    "audit-key": lambda b: b["audit_key"].update(ciphertext=_flip_b64(
        b["audit_key"]["ciphertext"])),
}


@pytest.mark.hazard("H-034")
@pytest.mark.hazard("H-019")
@pytest.mark.parametrize("where", list(FLIPS))
def test_one_flipped_bit_is_damage_not_a_wrong_passphrase(closed: Any, where: str) -> None:
    """One bit flipped anywhere (the checksum left as it was): the right passphrase, and a
    wrong one, both get "the key file is damaged ... restore it from backup", nothing is
    counted or rewritten, the database is untouched; restored, the right passphrase opens."""
    store, user_id, _, _ = closed
    good = store.key_path.read_bytes()
    edit_key_file(store, FLIPS[where], fix_checksum=False)
    damaged = store.key_path.read_bytes()
    db_before = store.db_path.read_bytes()

    for passphrase in (PASSPHRASE, "not the passphrase at all"):
        with pytest.raises(KeyFileCorrupt) as err:
            store.unlock(user_id, passphrase)
        assert "damaged" in err.value.message and "Restore the key file from a backup" \
            in err.value.message
        assert "not right" not in err.value.message
    assert store.key_path.read_bytes() == damaged
    assert store.db_path.read_bytes() == db_before

    store.key_path.write_bytes(good)  # restored from backup
    assert store.throttle.failures == 0 and store.throttle.total == 0
    store.unlock(user_id, PASSPHRASE).close()


@pytest.mark.hazard("H-019")
def test_an_edit_that_fixes_the_checksum_still_meets_the_wraps_tag(closed: Any) -> None:
    """The checksum finds damage, it is not a signature: a wrap edited with the checksum
    fixed is still refused by AES-GCM (and counted like any wrong attempt)."""
    store, user_id, _, _ = closed
    edit_key_file(store, FLIPS["wrap-ciphertext"], fix_checksum=True)
    with pytest.raises(WrongPassphrase):
        store.unlock(user_id, PASSPHRASE)
    assert store.throttle.failures == 1


@pytest.mark.hazard("H-034")
def test_a_wrong_recovery_code_says_the_key_file_may_be_damaged(closed: Any, clock: Clock
                                                                ) -> None:
    """A wrong code alone is just "not right"; after a wrong passphrase (the recovery code
    failing too), or on a format-1 key file (no checksum), it also says the key file may be
    damaged and to restore it from backup."""
    store, user_id, _, key = closed
    code = "0000-0000-0000-0000-0000-0000-0000-0000"
    with pytest.raises(WrongPassphrase) as alone:
        store.unlock_with_recovery(user_id, code, "a brand new passphrase")
    assert alone.value.message.startswith("That recovery code is not right.")
    assert DAMAGE_HINT not in alone.value.message

    store.throttle.reset()
    with pytest.raises(WrongPassphrase):
        store.unlock(user_id, "not the passphrase at all")
    with pytest.raises(WrongPassphrase) as after:
        store.unlock_with_recovery(user_id, code, "a brand new passphrase")
    assert DAMAGE_HINT in after.value.message

    clock.now += MAX_DELAY_SECONDS
    store.unlock(user_id, PASSPHRASE).close()
    make_format_1(store, key)
    with pytest.raises(WrongPassphrase) as old:
        store.unlock_with_recovery(user_id, code, "a brand new passphrase")
    assert DAMAGE_HINT in old.value.message


# ---------------------------------------------------------------- item 6a: the counter


@pytest.mark.hazard("H-019")
def test_the_counter_lives_in_the_key_file(closed: Any, clock: Clock) -> None:
    """Wrong attempts are counted in the key file (no other file appears), and a restart
    sees the same wait."""
    store, user_id, _, _ = closed
    for n in range(4):
        clock.now += store.throttle.wait_remaining()
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, f"not the passphrase {n}")
    assert not (store.folder / ATTEMPTS_NAME).exists()
    counter = json.loads(store.key_path.read_text(encoding="utf-8"))["attempts"]
    assert counter["failures"] == 4 and counter["total"] == 4
    wait = store.throttle.wait_remaining()
    restarted = VaultStore(store.folder, kdf_cost=store.kdf_cost, clock=clock)
    with pytest.raises(UnlockThrottled) as err:
        restarted.unlock(user_id, PASSPHRASE)
    assert err.value.retry_after == pytest.approx(wait) and wait > 0


@pytest.mark.hazard("H-019")
def test_an_old_counter_file_is_taken_in_once(closed: Any, clock: Clock) -> None:
    """An older version's unlock-attempts.json: the higher count wins, it is taken into the
    key file and removed, so deleting it afterwards resets nothing."""
    store, user_id, _, key = closed
    make_format_1(store, key)
    old = store.folder / ATTEMPTS_NAME
    old.write_text(json.dumps({"failures": 6, "not_before": clock.now + 16}), encoding="utf-8")
    with pytest.raises(UnlockThrottled):
        store.unlock(user_id, PASSPHRASE)
    assert not old.exists()
    assert store.throttle.failures == 6
    assert read_key_file(store.key_path).format_version == 2
    with pytest.raises(UnlockThrottled):
        store.unlock(user_id, PASSPHRASE)

    old.write_text(json.dumps({"failures": 2, "not_before": 0}), encoding="utf-8")
    assert store.throttle.failures == 6  # the higher count wins
    assert not old.exists()


@pytest.mark.hazard("H-019")
@pytest.mark.parametrize("fix_checksum", [False, True])
def test_removing_the_counter_does_not_reset_the_wait(closed: Any, clock: Clock,
                                                      fix_checksum: bool) -> None:
    """The counter field removed: with the checksum left, the key file is damaged (nothing
    opens, nothing counted); with it fixed, the counter counts as many failures (the full
    wait, then it ends)."""
    store, user_id, _, _ = closed
    for n in range(3):
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, f"not the passphrase {n}")
    edit_key_file(store, lambda b: b.pop("attempts"), fix_checksum)
    if not fix_checksum:
        with pytest.raises(KeyFileCorrupt):
            store.unlock(user_id, PASSPHRASE)
        return
    with pytest.raises(UnlockThrottled) as err:
        store.unlock(user_id, PASSPHRASE)
    assert err.value.retry_after == pytest.approx(MAX_DELAY_SECONDS)
    clock.now += MAX_DELAY_SECONDS
    session, report = unlock_and_check(store, user_id)
    session.close()
    assert [f.kind for f in report.findings] == [COUNTER]


@pytest.mark.hazard("H-019")
@pytest.mark.parametrize("rewound", ["failures", "failures and total"])
def test_a_counter_wound_back_is_noticed_at_the_next_sign_in(closed: Any, clock: Clock,
                                                             rewound: str) -> None:
    """Wrong attempts, then the counter wound back with the checksum fixed (the wait is
    gone): the failures alone (the total then grew by more than they did), or with the
    total too (below the total witnessed at the last sign-in). The next successful sign-in
    tells it, and records it like an audit break."""
    store, user_id, _, _ = closed
    for n in range(2):
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, f"a typo {n}")
    store.unlock(user_id, PASSPHRASE).close()  # the witness: a total of 2
    for n in range(5):
        clock.now += store.throttle.wait_remaining()
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, f"not the passphrase {n}")

    def rewind(body: dict[str, Any]) -> None:
        body["attempts"].update(failures=0, not_before=0)
        if rewound == "failures and total":
            body["attempts"].update(total=0)

    edit_key_file(store, rewind, fix_checksum=True)
    assert store.throttle.wait_remaining() == 0
    session, report = unlock_and_check(store, user_id)
    try:
        assert [f.kind for f in report.findings] == [COUNTER]
        assert report.message.startswith("The count of wrong passphrases on this laptop was "
                                         "changed outside the app")
        if rewound == "failures and total":
            assert "went back from 7 to 0" not in report.message
            assert "went back from 2 to 0" in report.message
        assert broken_events(session) == [("key_file", session.vault_id)]
    finally:
        session.close()
    session, again = unlock_and_check(store, user_id)
    session.close()
    assert again.findings == ()


@pytest.mark.hazard("H-038")
def test_a_witness_edited_without_the_key_is_told(closed: Any) -> None:
    """The witness moved (say back to an earlier head) with the checksum fixed: its MAC
    under the audit key no longer holds, and that is told."""
    store, user_id, _, _ = closed
    edit_key_file(store, lambda b: b["witness"].update(seq=1), fix_checksum=True)
    session, report = unlock_and_check(store, user_id)
    session.close()
    assert [f.kind for f in report.findings] == [KEY_FILE]
    assert "the key file's record of it" in report.message


@pytest.mark.hazard("H-038")
@pytest.mark.parametrize("tampering", ["rows deleted", "counter wound back", "witness edited"])
def test_what_is_found_is_not_lost_if_the_session_ends_before_its_check(
        closed: Any, tampering: str) -> None:
    """Signed in and locked again before the check after the unlock ended: nothing was
    told, so the next unlock finds it again."""
    store, user_id, _, key = closed
    if tampering == "rows deleted":
        engine = raw_engine(store, key)
        with engine.begin() as conn:
            conn.exec_driver_sql("DELETE FROM audit_event WHERE seq = (SELECT max(seq) "
                                 "FROM audit_event)")
        engine.dispose()
    elif tampering == "counter wound back":
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, "not the passphrase at all")
        edit_key_file(store, lambda b: b["attempts"].update(failures=0), fix_checksum=True)
    else:
        edit_key_file(store, lambda b: b["witness"].update(seq=1), fix_checksum=True)
    store.unlock(user_id, PASSPHRASE).close()  # locked before the check ran
    session, report = unlock_and_check(store, user_id)
    session.close()
    assert len(report.findings) == 1
    assert report.findings[0].kind == {"rows deleted": MISSING, "counter wound back": COUNTER,
                                       "witness edited": KEY_FILE}[tampering]


# ---------------------------------------------------------------- item 6b: the log file


@pytest.fixture
def restore_logging() -> Iterator[None]:
    root = logging.getLogger()
    handlers, level = list(root.handlers), root.level
    yield
    for handler in list(root.handlers):
        if handler not in handlers:
            root.removeHandler(handler)
            handler.close()
    for handler in handlers:
        if handler not in root.handlers:
            root.addHandler(handler)
    root.setLevel(level)


@pytest.mark.hazard("H-036")
@pytest.mark.skipif(os.name != "posix", reason="file modes are POSIX")
def test_the_log_file_and_its_rotations_are_owner_only(tmp_path: Path,
                                                       restore_logging: None) -> None:
    """Under the usual umask (022) the log file, the file made at each rollover and the
    rotated copies are 0600; one an older version left 0644 is narrowed."""
    old_umask = os.umask(0o022)
    try:
        older = tmp_path / f"{LOG_NAME}.2"
        older.write_text("an older version's rotated log\n", encoding="utf-8")
        assert stat.S_IMODE(older.stat().st_mode) == 0o644
        path = configure_logging(tmp_path)
        logging.getLogger("test").warning("one line")
        assert stat.S_IMODE(path.stat().st_mode) == 0o600
        assert stat.S_IMODE(older.stat().st_mode) == 0o600
        handler = next(h for h in logging.getLogger().handlers
                       if isinstance(h, logging.handlers.RotatingFileHandler))
        handler.doRollover()
        logging.getLogger("test").warning("after the rollover")
    finally:
        os.umask(old_umask)
    for log_file in (path, tmp_path / f"{LOG_NAME}.1"):
        assert stat.S_IMODE(log_file.stat().st_mode) == 0o600, log_file.name


# ---------------------------------------------------------------- told in the app, once


@pytest.mark.hazard("H-038")
def test_the_app_tells_a_change_once_after_signing_in(
        qtbot: Any, app_home: Path, template_vault: tuple[Path, str, str]) -> None:
    """Signed in through the app over a trail edited outside it: the main window opens (care
    goes on) and the change is told, plainly, once (not telling it again at the next unlock:
    ``test_a_break_is_told_once_and_a_new_one_again``)."""
    from PySide6.QtWidgets import QApplication

    from desktop_app.app import App
    from desktop_app.ui.main_window import MainWindow
    from desktop_app.ui.sign_in import SignInDialog

    source, user_id, _ = template_vault
    app = App(QApplication.instance(), demo=False)
    app.dialogs.headless = True
    shutil.copytree(source, app.paths.vault_dir, dirs_exist_ok=True)
    store = VaultStore(app.paths.vault_dir, kdf_cost=TEST_KDF)
    session = store.unlock(user_id, PASSPHRASE)
    key = session.raw_key_for_support()
    session.close()
    engine = raw_engine(store, key)
    with engine.begin() as conn:
        conn.exec_driver_sql("UPDATE audit_event SET action = 'view' WHERE seq = 1")
    engine.dispose()

    def told() -> list[tuple[str, str, str]]:
        return [m for m in app.dialogs.shown if m[1] == "Audit trail changed outside the app"]

    def sign_in() -> None:
        dialog = app.session_controller.dialog
        assert isinstance(dialog, SignInDialog)
        dialog.pass_edit.setText(PASSPHRASE)
        dialog.buttons.accepted.emit()

    sessions = app.session_controller
    try:
        app.start()
        sign_in()
        qtbot.waitUntil(lambda: len(told()) == 1, timeout=15000)
        assert isinstance(sessions.window, MainWindow) and sessions.window.isVisible()
        assert told()[0][2].startswith("This laptop's audit trail was changed outside the "
                                       "app: entry 1 (")
        qtbot.wait(50)
        assert len(told()) == 1
    finally:
        app.shutdown()


# The central store's half: the laptop's trail witnessed on the store (POST /api/v1/audit).

LaptopFn = Callable[..., VaultLaptop]


@pytest.fixture
def witness_laptops(store: StoreProcess, store_sessions: sessionmaker[Session],
                    template_vault: tuple[Path, str, str], tmp_path: Path
                    ) -> Iterator[LaptopFn]:
    """``witness_laptops(team, role="nurse")``: a vault of its own, enrolled by the client."""
    with enrolled_laptops(store.base_url, store_sessions, template_vault, tmp_path,
                          "Witness laptop") as make:
        yield make


# ---- looking at both sides -----------------------------------------------------------------


def local_chain(laptop: VaultLaptop) -> list[tuple[int, str]]:
    with laptop.vault.engine.connect() as conn:
        return [(int(s), str(h)) for s, h in conn.execute(
            text("SELECT seq, hash FROM audit_event ORDER BY seq"))]


def acked(laptop: VaultLaptop) -> int:
    with laptop.vault.engine.connect() as conn:
        value = conn.execute(text("SELECT value FROM local_meta WHERE key = :k"),
                             {"k": ACKED_KEY}).scalar_one_or_none()
    return int(value) if value is not None else 0


def stored_chain(pg: psycopg.Connection, laptop_id: str, epoch: int = 0
                 ) -> list[tuple[int, str]]:
    return [(int(s), str(h)) for s, h in pg.execute(
        "SELECT seq, hash FROM laptop_audit_event WHERE laptop_id = %s AND epoch = %s "
        "ORDER BY seq", [laptop_id, epoch]).fetchall()]


def stored_head(pg: psycopg.Connection, laptop_id: str, team_id: str) -> tuple[int, str, int]:
    row = pg.execute("SELECT head_seq, head_hash, epoch FROM laptop_audit_chain WHERE "
                     "laptop_id = %s AND team_id = %s ORDER BY epoch DESC LIMIT 1",
                     [laptop_id, team_id]).fetchone()
    assert row is not None
    return int(row[0]), str(row[1]), int(row[2])


def breaks(pg: psycopg.Connection, laptop_id: str) -> list[dict[str, Any]]:
    cur = pg.execute("SELECT * FROM laptop_audit_break WHERE laptop_id = %s ORDER BY at",
                     [laptop_id])
    names = [c.name for c in cur.description or []]
    return [dict(zip(names, row, strict=True)) for row in cur.fetchall()]


def laptop_id(laptop: VaultLaptop) -> str:
    return laptop.vault.device_id


def team_id(laptop: VaultLaptop) -> str:
    assert laptop.enrolment is not None
    return laptop.enrolment.team_id


def lose_audit_reply() -> ForwardThen:
    """The first audit upload reaches the store and commits; its reply never arrives."""
    left = [1]

    def fail(request: httpx.Request) -> BaseException | None:
        if request.url.path.endswith("/audit") and left[0] > 0:
            left[0] -= 1
            return httpx.ReadError("connection reset by peer", request=request)
        return None

    return ForwardThen(fail)


def rehash_laptop_from(laptop: VaultLaptop, seq: int, **changes: str) -> None:
    """Edit the row at ``seq`` and recompute every later hash (and link), as someone with
    the vault open and a hash function would."""
    with laptop.vault.engine.begin() as conn:
        if changes:
            sets = ", ".join(f"{k} = :{k}" for k in changes)
            conn.execute(text(f"UPDATE audit_event SET {sets} WHERE seq = :seq"),
                         {**changes, "seq": seq})
        prev = conn.execute(text("SELECT hash FROM audit_event WHERE seq < :s ORDER BY seq "
                                 "DESC LIMIT 1"), {"s": seq}).scalar_one_or_none() or GENESIS
        rows = conn.execute(text("SELECT seq, id, action, entity_id FROM audit_event "
                                 "WHERE seq >= :s ORDER BY seq"), {"s": seq}).all()
        for row_seq, event_id, action, entity_id in rows:
            digest = hashlib.sha256(f"{prev}|{event_id}|{action}|{entity_id}".encode()
                                    ).hexdigest()
            conn.execute(text("UPDATE audit_event SET prev_hash = :p, hash = :h WHERE seq = :s"),
                         {"p": prev, "h": digest, "s": row_seq})
            prev = digest


def refused_over_a_gap(laptop: VaultLaptop, pg: psycopg.Connection) -> tuple[str, int]:
    """Synced once, then a row of three new people's removed before it was ever sent: the
    next sync is refused. The laptop's id and the seq removed."""
    laptop.sync()
    lid, held = laptop_id(laptop), stored_chain(pg, laptop_id(laptop))
    laptop.add_people(range(1, 4))
    gap = held[-1][0] + 2
    with laptop.vault.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": gap})
    assert laptop.sync().audit_message == REFUSED
    return lid, gap


def post_audit(client: httpx.Client, body: dict[str, Any]) -> httpx.Response:
    return client.post("/audit", json=body)


def event(seq: int, prev: str, digest: str | None = None, **fields: str) -> dict[str, Any]:
    """A well-formed audit event as a laptop sends it."""
    row = {"seq": seq, "id": str(uuid.uuid4()), "at": "2026-03-02T10:00:00+00:00",
           "user_id": str(uuid.uuid4()), "device_id": str(uuid.uuid4()),
           "entity_type": "person", "entity_id": str(uuid.uuid4()), "action": "view",
           "prev_hash": prev, "hash": digest or hashlib.sha256(f"{seq}{prev}".encode()).hexdigest()}
    row.update(fields)
    return row


def chain_of(count: int) -> list[dict[str, Any]]:
    prev, out = GENESIS, []
    for seq in range(1, count + 1):
        out.append(event(seq, prev))
        prev = out[-1]["hash"]
    return out


def upload(events: list[dict[str, Any]], lid: str, after: int = 0,
           head: dict[str, Any] | None = None) -> dict[str, Any]:
    last = events[-1] if events else None
    return {"laptop_id": lid, "after": after, "events": events,
            "head": head or ({"seq": last["seq"], "hash": last["hash"]} if last
                             else {"seq": 0, "hash": GENESIS})}


def run_cli(capsys: pytest.CaptureFixture[str], postgres: PostgresCluster, *args: str
            ) -> tuple[int, str]:
    status = cli.main(["--database-url", postgres.store_url, *args])
    out, _ = capsys.readouterr()
    return status, out


# ---- the tests -------------------------------------------------------------------------------


@pytest.mark.hazard("H-038")
def test_every_sync_uploads_the_trail_and_a_lost_reply_stores_nothing_twice(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    laptop = witness_laptops(team)
    laptop.add_person(1)
    before = local_chain(laptop)
    result = laptop.sync()
    assert result.audit_message is None
    stored = stored_chain(pg, laptop_id(laptop))
    assert stored[:len(before)] == before and stored == local_chain(laptop)[:len(stored)]
    assert acked(laptop) == stored[-1][0]

    laptop.add_people(range(2, 5))
    written = local_chain(laptop)
    lost = laptop.sync(transport=lose_audit_reply())
    assert lost.audit_message == NOT_SENT  # the run went on without the answer
    assert stored_chain(pg, laptop_id(laptop))[:len(written)] == written  # committed
    assert acked(laptop) == stored[-1][0]  # but never acknowledged

    assert laptop.sync().audit_message is None  # the resend repeats what the store holds
    again = stored_chain(pg, laptop_id(laptop))
    assert again[:len(written)] == written and again == local_chain(laptop)[:len(again)]
    assert pg.execute("SELECT count(*), count(DISTINCT seq) FROM laptop_audit_event WHERE "
                      "laptop_id = %s", [laptop_id(laptop)]).fetchone() == (len(again),) * 2
    assert breaks(pg, laptop_id(laptop)) == []
    assert stored_head(pg, laptop_id(laptop), team_id(laptop))[:2] == again[-1]


@pytest.mark.hazard("H-038")
def test_a_read_only_users_laptop_uploads_who_looked(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    laptop = witness_laptops(team, role="read_only")
    assert laptop.sync().audit_message is None
    assert stored_chain(pg, laptop_id(laptop)) == local_chain(laptop)


@pytest.mark.hazard("H-038")
def test_a_truncated_trail_is_refused_recorded_once_and_records_still_sync(
        witness_laptops: LaptopFn, enrol: EnrolFn, team: str, pg: psycopg.Connection,
        store_log: Callable[[], str]) -> None:
    laptop, colleague = witness_laptops(team), enrol(team)
    laptop.add_people(range(1, 4))
    laptop.sync()
    held = stored_chain(pg, laptop_id(laptop))
    with laptop.vault.engine.begin() as conn:  # the newest three rows deleted
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": held[-1][0] - 3})

    mine = laptop.add_person(7)
    row = laptop.get(Person, mine)  # a colleague's new person, as the wire carries one
    assert row is not None
    theirs = change(record_id=str(uuid.uuid4()))
    theirs["row"] = {**row, "id": theirs["id"], "nhs_number": synthetic_nhs_number(8),
                     "version": 1, "server_version": None}
    assert colleague.push([theirs])[0]["status"] == "applied"
    result = laptop.sync()
    assert result.audit_message == REFUSED
    assert result.pushed == 1 and result.pulled >= 1  # care is never blocked
    assert laptop.get(Person, theirs["id"]) is not None
    assert ("person", mine) in server_records(pg, team_id(laptop))

    found = breaks(pg, laptop_id(laptop))
    assert len(found) == 1
    b = found[0]
    assert b["kind"] == "truncated" and b["accepted_at"] is None
    assert (b["expected_seq"], b["expected_hash"]) == held[-1]
    assert b["offered_seq"] < held[-1][0]
    assert laptop.enrolment is not None
    assert (b["device_id"], b["user_id"]) == (laptop.enrolment.device_id,
                                              laptop.enrolment.user_id)
    assert stored_chain(pg, laptop_id(laptop)) == held  # nothing of the new trail taken

    assert laptop.sync().audit_message == REFUSED  # refused again, recorded once
    assert len(breaks(pg, laptop_id(laptop))) == 1
    log = store_log()
    assert f"audit trail of laptop {laptop_id(laptop)}" in log and "refused: truncated" in log
    assert "Testperson" not in log and "Edith" not in log


@pytest.mark.hazard("H-038")
def test_a_row_edited_and_every_later_hash_recomputed_is_refused(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    laptop = witness_laptops(team)
    laptop.add_people(range(1, 4))
    laptop.sync()
    held = stored_chain(pg, laptop_id(laptop))
    rehash_laptop_from(laptop, held[-3][0], action="view")  # the chain holds on the laptop

    assert laptop.sync().audit_message == REFUSED  # nothing new: its head is another
    found = breaks(pg, laptop_id(laptop))
    assert [(b["kind"], b["expected_seq"], b["expected_hash"]) for b in found] == [
        ("rewritten", *held[-1])]
    assert found[0]["offered_hash"] == local_chain(laptop)[len(held) - 1][1]

    laptop.add_person(9)  # new rows on the rewritten chain: still refused, still one break
    assert laptop.sync().audit_message == REFUSED
    assert len(breaks(pg, laptop_id(laptop))) == 1
    assert stored_chain(pg, laptop_id(laptop)) == held


@pytest.mark.hazard("H-038")
def test_a_head_the_store_has_not_seen_is_refused(
        enrol: EnrolFn, team: str, pg: psycopg.Connection) -> None:
    device = enrol(team)
    lid = str(uuid.uuid4())
    first = chain_of(3)
    answer = post_audit(device.http, upload(first, lid))
    assert answer.status_code == 200 and answer.json()["head"]["seq"] == 3

    stranger = event(4, "ab" * 32)  # its prev_hash is no event the store holds
    refused = post_audit(device.http, upload([stranger], lid, after=3))
    assert refused.status_code == 409 and refused.headers["X-Shared-Care-Store"] == "1"
    body = refused.json()
    assert body["resend_from"] is None and "does not continue" in body["detail"]
    assert body["head"] == {"seq": 3, "hash": first[-1]["hash"]}
    found = breaks(pg, lid)
    assert [(b["kind"], b["expected_seq"], b["offered_seq"], b["offered_hash"])
            for b in found] == [("unknown_head", 3, 4, "ab" * 32)]
    assert found[0]["device_id"] == device.device_id

    # A new laptop's first upload must start from the genesis value.
    other = str(uuid.uuid4())
    assert post_audit(device.http, upload([event(1, "cd" * 32)], other)).status_code == 409
    assert [b["kind"] for b in breaks(pg, other)] == ["unknown_head"]

    # Beyond what the store holds (restored from a backup): send again from there, no break.
    behind = post_audit(device.http, upload([event(9, "ef" * 32)], lid, after=8))
    assert behind.status_code == 409 and behind.json()["resend_from"] == 3
    assert len(breaks(pg, lid)) == 1

    # A resend that repeats what the store holds is harmless; one that changes it is not.
    assert post_audit(device.http, upload(first, lid)).json() == {
        "head": {"seq": 3, "hash": first[-1]["hash"]}, "stored": 0}
    changed = [first[0], {**first[1], "hash": "12" * 32}]
    assert post_audit(device.http, upload(changed, lid, head={"seq": 3, "hash": "12" * 32})
                      ).status_code == 409
    assert [b["kind"] for b in breaks(pg, lid)] == ["unknown_head", "rewritten"]

    # The store takes nothing but identifiers, from any laptop (H-036), and no more than
    # its body limit for this path (8 MiB: 5,000 events are ~2 MiB).
    free_text = event(1, GENESIS, entity_id="Edith Testperson")
    assert post_audit(device.http, upload([free_text], str(uuid.uuid4()))).status_code == 422
    huge = device.http.post("/audit", content=b" " * (8 * 1024 * 1024 + 1),
                            headers={"Content-Type": "application/json"})
    assert huge.status_code == 413


@pytest.mark.hazard("H-038")
@pytest.mark.hazard("H-027")
def test_another_teams_device_can_neither_write_nor_read_a_laptops_chain(
        witness_laptops: LaptopFn, enrol: EnrolFn, team: str, pg: psycopg.Connection,
        store_sessions: sessionmaker[Session], store: StoreProcess) -> None:
    laptop = witness_laptops(team)
    laptop.sync()
    held = stored_chain(pg, laptop_id(laptop))
    head: dict[str, Any] = {"seq": held[-1][0], "hash": held[-1][1]}
    other_team = f"Other INT {uuid.uuid4().hex[:8]}"
    with store_sessions.begin() as session:
        admin.create_team(session, other_team)
    intruder = enrol(other_team)

    # Extending the laptop's chain from its head: the other team holds nothing of it.
    forged = event(head["seq"] + 1, head["hash"])
    answer = post_audit(intruder.http, upload([forged], laptop_id(laptop), after=head["seq"]))
    assert answer.status_code == 409
    assert answer.json()["head"] == {"seq": 0, "hash": GENESIS}  # nothing of team A's head
    # A whole forged trail lands in the intruder's own team, never in the laptop's.
    assert post_audit(intruder.http, upload(chain_of(2), laptop_id(laptop))).status_code == 200
    rows = pg.execute("SELECT team_id, count(*) FROM laptop_audit_event WHERE laptop_id = %s "
                      "GROUP BY team_id", [laptop_id(laptop)]).fetchall()
    assert dict(rows) == {team_id(laptop): len(held), intruder.team_id: 2}
    assert stored_head(pg, laptop_id(laptop), team_id(laptop))[:2] == held[-1]
    assert [b["team_id"] for b in breaks(pg, laptop_id(laptop))] == []
    assert laptop.sync().audit_message is None  # the laptop's own chain goes on unharmed

    no_token = httpx.post(f"{store.base_url}/api/v1/audit", json=upload([], laptop_id(laptop)),
                          headers={"X-Client-Version": "0.1.0"})
    assert no_token.status_code == 401


@pytest.mark.hazard("H-038")
@pytest.mark.hazard("H-017")
@pytest.mark.parametrize("failure", ["404 (a store without /audit)", "503", "connection lost"])
def test_an_audit_upload_that_fails_never_holds_up_the_pull(
        witness_laptops: LaptopFn, team: str, failure: str, pg: psycopg.Connection) -> None:
    """Whatever goes wrong with the audit trail's upload, the run still pulls colleagues'
    changes, and says the trail was not sent."""
    mine, colleague = witness_laptops(team), witness_laptops(team)
    mine.sync()
    colleague.add_person(7)
    assert colleague.sync().audit_message is None

    def fail(request: httpx.Request) -> httpx.Response | None:
        if not request.url.path.endswith("/audit"):
            return None
        if failure.startswith("404"):
            return httpx.Response(404, json={"detail": "Not Found"},
                                  headers={"X-Shared-Care-Store": "1"})
        if failure == "503":
            return httpx.Response(503, json={"detail": "unavailable"},
                                  headers={"X-Shared-Care-Store": "1"})
        raise httpx.ConnectError("connection refused", request=request)

    class AuditFails(ForwardThen):
        def handle_request(self, request: httpx.Request) -> httpx.Response:
            return fail(request) or self.forward(request)

    result = mine.sync(transport=AuditFails(lambda _request: None))
    assert result.audit_message == NOT_SENT
    assert result.pulled >= 1  # the colleague's person arrived all the same
    assert_agree(pg, team_id(mine), [mine, colleague])


@pytest.mark.hazard("H-038")
def test_a_laptops_trail_is_taken_from_one_enrolment_at_a_time(
        witness_laptops: LaptopFn, enrol: EnrolFn, team: str, pg: psycopg.Connection,
        store_sessions: sessionmaker[Session], store: StoreProcess) -> None:
    """Another device of the same team naming this laptop (a modified client) can neither
    extend its chain nor take it over; the laptop itself, enrolled again, goes on once its old
    enrolment is revoked."""
    laptop = witness_laptops(team)
    assert laptop.sync().audit_message is None
    held = stored_chain(pg, laptop_id(laptop))
    head: dict[str, Any] = {"seq": held[-1][0], "hash": held[-1][1]}

    colleague = enrol(team)  # same team, its own enrolment
    forged = event(head["seq"] + 1, head["hash"])
    answer = post_audit(colleague.http, upload([forged], laptop_id(laptop), after=head["seq"]))
    assert answer.status_code == 409
    assert answer.json()["held_elsewhere"] is True
    assert stored_chain(pg, laptop_id(laptop)) == held  # nothing written into its chain
    assert breaks(pg, laptop_id(laptop)) == []  # not the laptop's break: nothing recorded

    old_device = laptop.enrolment.device_id
    code = issue_code(store_sessions, team, "nurse")
    laptop.enrolment = sync_client.enrol(laptop.uow, store.base_url, code, "Witness again")
    assert laptop.sync().audit_message == HELD_ELSEWHERE  # the old enrolment still live
    with store_sessions.begin() as session:
        assert admin.revoke_device(session, old_device)
    assert laptop.sync().audit_message is None
    assert stored_chain(pg, laptop_id(laptop)) == local_chain(laptop)


@pytest.mark.hazard("H-038")
def test_verify_audit_finds_a_break_planted_in_the_stores_table(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection,
        postgres: PostgresCluster, capsys: pytest.CaptureFixture[str]) -> None:
    laptop = witness_laptops(team)
    laptop.add_people(range(1, 3))
    laptop.sync()
    lid = laptop_id(laptop)
    status, out = run_cli(capsys, postgres, "verify-audit", "--laptop", lid)
    assert status == 0 and "links hold" in out and "no recorded breaks" in out

    held = stored_chain(pg, lid)
    middle = held[len(held) // 2][0]
    pg.execute("UPDATE laptop_audit_event SET hash = %s WHERE laptop_id = %s AND seq = %s",
               ["f" * 64, lid, middle])
    status, out = run_cli(capsys, postgres, "verify-audit", "--laptop", lid)
    assert status == 1 and f"BROKEN: the event at seq {middle + 1} does not follow" in out

    pg.execute("UPDATE laptop_audit_event SET hash = %s WHERE laptop_id = %s AND seq = %s",
               [dict(held)[middle], lid, middle])
    pg.execute("DELETE FROM laptop_audit_event WHERE laptop_id = %s AND seq = %s",
               [lid, held[-1][0]])  # the newest event removed behind the store's back
    status, out = run_cli(capsys, postgres, "verify-audit", "--laptop", lid)
    assert status == 1 and "but its head says" in out


@pytest.mark.hazard("H-038")
def test_it_can_accept_a_new_head_and_the_break_stays_on_record(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection,
        postgres: PostgresCluster, capsys: pytest.CaptureFixture[str]) -> None:
    laptop = witness_laptops(team)
    laptop.add_people(range(1, 4))
    laptop.sync()
    held = stored_chain(pg, laptop_id(laptop))
    with laptop.vault.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq > :s"), {"s": held[-1][0] - 2})
    laptop.add_person(5)
    assert laptop.sync().audit_message == REFUSED
    lid = laptop_id(laptop)
    status, out = run_cli(capsys, postgres, "accept-audit-head", "--laptop", lid)
    assert status == 0 and "accepted 1 break" in out
    assert run_cli(capsys, postgres, "accept-audit-head", "--laptop", lid)[0] == 1  # none open

    assert laptop.sync().audit_message is None  # the whole trail sent again, as a new epoch
    assert stored_chain(pg, lid, epoch=1) == local_chain(laptop)[:len(stored_chain(pg, lid, 1))]
    assert stored_chain(pg, lid, epoch=0) == held  # the old one kept as it was
    status, out = run_cli(capsys, postgres, "verify-audit", "--laptop", lid)
    assert status == 0 and "break truncated" in out and "accepted 20" in out
    assert out.count("links hold") == 2


@pytest.mark.hazard("H-038")
def test_after_acceptance_a_trail_with_a_gap_is_taken_with_the_gap_on_record(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection,
        postgres: PostgresCluster, capsys: pytest.CaptureFixture[str]) -> None:
    laptop = witness_laptops(team)
    lid, gap = refused_over_a_gap(laptop, pg)
    assert [b["kind"] for b in breaks(pg, lid)] == ["unknown_head"]
    assert run_cli(capsys, postgres, "accept-audit-head", "--laptop", lid)[0] == 0

    assert laptop.sync().audit_message is None
    taken = stored_chain(pg, lid, epoch=1)
    assert gap not in dict(taken) and taken == local_chain(laptop)[:len(taken)]
    found = breaks(pg, lid)
    assert [(b["kind"], b["epoch"], b["offered_seq"], b["accepted_at"] is not None)
            for b in found] == [("unknown_head", 0, gap + 1, True),
                                ("unknown_head", 1, gap + 1, True)]
    status, out = run_cli(capsys, postgres, "verify-audit", "--laptop", lid)
    assert status == 0 and out.count("links hold") == 2
    assert pg.execute("SELECT lenient_until, awaiting_baseline FROM laptop_audit_chain WHERE "
                      "laptop_id = %s AND epoch = 1", [lid]).fetchone() == (None, False)


@pytest.mark.hazard("H-038")
def test_leniency_after_acceptance_reaches_only_as_far_as_the_accepted_breaks(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection,
        postgres: PostgresCluster, capsys: pytest.CaptureFixture[str]) -> None:
    """IT accepts the break it looked at; a second gap made after that, further on, is not
    swept in by the catch-up (the laptop's own head does not set how far leniency goes)."""
    laptop = witness_laptops(team)
    lid, _ = refused_over_a_gap(laptop, pg)
    assert run_cli(capsys, postgres, "accept-audit-head", "--laptop", lid)[0] == 0

    laptop.add_people(range(4, 8))  # more rows, then a second gap well past the first
    later = local_chain(laptop)[-3][0]
    with laptop.vault.engine.begin() as conn:
        conn.execute(text("DELETE FROM audit_event WHERE seq = :s"), {"s": later})
    assert laptop.sync().audit_message == REFUSED
    open_breaks = [b for b in breaks(pg, lid) if b["accepted_at"] is None]
    assert [(b["kind"], b["epoch"]) for b in open_breaks] == [("unknown_head", 1)]
    assert open_breaks[0]["offered_seq"] == later + 1


@pytest.mark.hazard("H-038")
def test_a_break_the_laptop_found_itself_is_registered_once(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection,
        postgres: PostgresCluster, capsys: pytest.CaptureFixture[str]) -> None:
    laptop = witness_laptops(team)
    broken_row = local_chain(laptop)[0]
    with laptop.vault.engine.connect() as conn:
        first_id = conn.execute(text("SELECT id FROM audit_event WHERE seq = :s"),
                                {"s": broken_row[0]}).scalar_one()
    with laptop.uow.begin() as session:  # what the unlock check appends when it finds one
        append_events(session.connection(), laptop.uow.actor,
                      [("audit_event", first_id, "chain_broken")])
    laptop.sync()
    laptop.sync()
    found = breaks(pg, laptop_id(laptop))
    assert [(b["kind"], b["broken_event_id"]) for b in found] == [("reported", first_id)]
    status, out = run_cli(capsys, postgres, "verify-audit", "--laptop", laptop_id(laptop))
    assert status == 1 and "reported by the laptop" in out and first_id in out


@pytest.mark.hazard("H-036")
def test_only_identifiers_leave_the_laptop(
        witness_laptops: LaptopFn, team: str, pg: psycopg.Connection) -> None:
    laptop = witness_laptops(team)
    person = laptop.add_person(1)
    laptop.sync()
    for row in pg.execute("SELECT event_id, user_id, device_id, entity_type, entity_id, action "
                          "FROM laptop_audit_event WHERE laptop_id = %s", [laptop_id(laptop)]):
        assert all(" " not in value and len(value) <= 36 for value in row), row
    sent = len(stored_chain(pg, laptop_id(laptop)))

    with laptop.uow.begin() as session:
        append_events(session.connection(), laptop.uow.actor, [("person", person, "view")])
    newest = local_chain(laptop)[-1][0]
    with laptop.vault.engine.begin() as conn:  # a value changed to something not even a time
        conn.execute(text("UPDATE audit_event SET at = 'yesterday' WHERE seq = :s"),
                     {"s": newest})
    assert laptop.sync().audit_message is None  # sent, its time marked, the trail moving
    assert len(stored_chain(pg, laptop_id(laptop))) == sent + 1
    at = pg.execute("SELECT at FROM laptop_audit_event WHERE laptop_id = %s AND seq = %s",
                    [laptop_id(laptop), newest]).fetchone()
    assert at is not None and at[0].year == 1970

    with laptop.uow.begin() as session:  # a row that is not identifiers, however it came
        append_events(session.connection(), laptop.uow.actor,
                      [("person", "Edith Testperson", "view")])
    odd = local_chain(laptop)[-1][0]
    assert laptop.sync().audit_message is None
    assert len(stored_chain(pg, laptop_id(laptop))) == sent + 2  # never stopped short
    names = pg.execute("SELECT count(*) FROM laptop_audit_event WHERE entity_id LIKE '%Edith%'")
    assert names.fetchone() == (0,)
    marked = pg.execute("SELECT entity_id FROM laptop_audit_event WHERE laptop_id = %s AND "
                        "seq = %s", [laptop_id(laptop), odd]).fetchone()
    assert marked == (UNREADABLE,)

    # A row the store holds given a hash that is not a hash: sent as a digest that cannot
    # be the one the store holds, so the store sees the rewrite (the laptop's own check
    # finds it too: the row's HMAC no longer holds).
    with laptop.uow.begin() as session:
        append_events(session.connection(), laptop.uow.actor, [("person", person, "view")])
    assert laptop.sync().audit_message is None
    last = local_chain(laptop)[-1][0]
    with laptop.vault.engine.begin() as conn:
        conn.execute(text("UPDATE audit_event SET hash = 'not a hash' WHERE seq = :s"),
                     {"s": last})
    assert laptop.sync().audit_message == REFUSED
    assert [b["kind"] for b in breaks(pg, laptop_id(laptop))] != []


def test_the_sync_panel_says_the_store_refused_the_trail(qtbot: Any) -> None:
    import datetime as dt

    from desktop_app.services.sync import SyncSettings
    from desktop_app.ui.sync_page import SyncActions, SyncPage
    from tests.support import run_now

    settings = SyncSettings("https://store.example", None, True, "Laptop", "INT", "User",
                            None, None, None)
    actions = SyncActions(run_now, lambda: settings, None, lambda: [], None, lambda: [], None)
    page = SyncPage(actions, lambda: None, lambda: None)
    qtbot.addWidget(page)
    result = SyncResult(2, 0, 0, 3, 0, 0, 1, 1, False, dt.datetime.now(dt.UTC), REFUSED)
    page.show_finished(result)
    assert "Sent 2, received 3." in page.message.text()
    assert "does not continue the one it holds. Records still sync. Tell your IT service " \
           "desk." in page.message.text()
    page.show_finished(SyncResult(2, 0, 0, 3, 0, 0, 1, 1, False, dt.datetime.now(dt.UTC)))
    assert "IT service desk" not in page.message.text()
