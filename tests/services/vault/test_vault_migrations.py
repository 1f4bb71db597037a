"""Migrations run at unlock keep every row, take an encrypted backup, and match the models.

A vault is built at revision 0001 by hand (database at 0001 with rows inserted in raw SQL,
and a key file wrapping its key), then unlocked with the release's code, which upgrades it
to head.

Mutation checks run by hand (each made the named test fail):
* ``migrate._backup`` replaced by one returning a path it never wrote ->
  ``test_unlock_upgrades_0001_vault_keeping_every_row`` (no backup file).
* ``migrate._backup`` patched to copy a plaintext export instead (``sqlcipher_export``
  into an unkeyed database) -> same test (plaintext header).
* ``Base.metadata.tables["person"]`` given an extra column ->
  ``test_models_match_migrations``.
"""

from __future__ import annotations

import json
import os
import shutil
import warnings
from pathlib import Path
from typing import Any

import pytest
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, text
from vault_test_helpers import PASSPHRASE, SQLITE_PLAIN_HEADER, TEST_KDF, USER_NAME

import desktop_app.models  # noqa: F401  (registers every table on the metadata)
from desktop_app.models.base import Base
from desktop_app.services.core.migrate import (
    BACKUPS_KEPT,
    current_revision,
    head_revision,
    upgrade_to,
)
from desktop_app.services.framework.identifiers import synthetic_nhs_number
from desktop_app.services.vault import VaultStore, keyfile
from desktop_app.services.vault.database import encrypted_engine
from desktop_app.services.vault.keyfile import KeyFile
from desktop_app.services.vault.vault import NAME_KEY_VERSION

USER_ID = "11111111-1111-4111-8111-111111111111"
DEVICE_ID = "22222222-2222-4222-8222-222222222222"
STAMP = "2025-03-04 05:06:07.000008"
# Table -> primary key column, in insertion (foreign key) order.
TABLES = {
    "app_user": "id",
    "local_meta": "key",
    "person": "id",
    "contact": "id",
    "delegation_case": "id",
    "shared_care_discussion": "id",
    "case_example": "id",
    "support_plan": "id",
    "support_plan_task": "id",
    "funding_split": "id",
    "audit_event": "seq",
    "outbox_entry": "seq",
}


# Columns a later revision moved to another table (checked on their own).
MOVED = {("outbox_entry", "payload")}


def _synced(row_id: str, version: int = 1) -> dict[str, Any]:
    return {"id": row_id, "version": version, "server_version": None, "created_at": STAMP,
            "updated_at": STAMP, "updated_by": USER_ID, "device_id": DEVICE_ID, "deleted": 0}


def _rows_0001() -> dict[str, list[dict[str, Any]]]:
    """Synthetic rows for revision 0001, every column given (nullable ones both ways)."""
    p1, p2 = "33333333-0000-4000-8000-000000000001", "33333333-0000-4000-8000-000000000002"
    case_id = "44444444-0000-4000-8000-000000000001"
    disc_id = "55555555-0000-4000-8000-000000000001"
    plan_id = "cccccccc-0000-4000-8000-000000000001"
    person_common = {"date_of_birth": "1941-07-15", "town": "Leicester", "team": "City North",
                     "gp_practice_code": None, "gp_practice_name": None,
                     "eq_gender_reassignment": None, "eq_marriage_civil_partnership": None,
                     "eq_pregnancy_maternity": None, "eq_religion_belief": None,
                     "eq_sexual_orientation": None}
    return {
        "app_user": [{"id": USER_ID, "display_name": USER_NAME, "role": "nurse", "active": 1,
                      "created_at": STAMP}],
        "local_meta": [{"key": "device_id", "value": DEVICE_ID},
                       {"key": "last_sync_cursor", "value": "cursor-0001"}],
        "person": [
            {**person_common, **_synced(p1), "nhs_number": synthetic_nhs_number(101),
             "given_name": "Ada", "family_name": "Example", "address_line1": "1 Test Street",
             "address_line2": "Flat 2", "postcode": "LE1 5WW", "open_to_community_health": 1,
             "communication_needs": "Uses a hearing aid; prefers written notes",
             "eq_disability": "yes", "eq_ethnicity": "prefer_not_to_say", "eq_sex": "female"},
            {**person_common, **_synced(p2, 3), "nhs_number": synthetic_nhs_number(102),
             "given_name": "Bo", "family_name": "Sample-O'Neill", "address_line1": "2 Test Road",
             "address_line2": None, "postcode": "LE15 6AB", "open_to_community_health": 0,
             "communication_needs": None, "eq_disability": None, "eq_ethnicity": None,
             "eq_sex": None},
        ],
        "contact": [{**_synced("66666666-0000-4000-8000-000000000001"), "person_id": p1,
                     "kind": "lpa_health_welfare", "name": "Cy Example",
                     "relationship": "Daughter", "phone": "0116 496 0000",
                     "email": "cy@example.invalid", "address": "3 Test Lane",
                     "registration_reference": "LPA-TEST-1", "registered_on": "2019-02-03",
                     "can_decide_health_welfare": 1}],
        "delegation_case": [{**_synced(case_id), "person_id": p1, "task_code": "insulin_pen",
                             "task_catalogue_version": "2025.1", "referred_by": "District nurse",
                             "answers": json.dumps({"q1": "yes", "q2": ["a", "b"]}),
                             "current_step": "S4", "outcome_code": "ESCALATED_SHARED_CARE",
                             "outcome_reasons": json.dumps(["funding not agreed"]),
                             "flow_version": "1.0", "status": "decided",
                             "reconsider_on": "2025-09-01", "decided_on": "2025-03-01",
                             "started_on": "2025-02-01"}],
        "shared_care_discussion": [{**_synced(disc_id), "delegation_case_id": case_id,
                                    "opened_on": "2025-03-02", "question": "Who funds it?",
                                    "options": "Split by minutes", "funding_proposal": "50/50",
                                    "interim_funder": "icb", "interim_from": "2025-03-03",
                                    "escalated_to_mlcsu": 0, "dispute_reference": None,
                                    "decision": None, "closed_on": None,
                                    "themes": json.dumps(["funding"])}],
        "case_example": [{**_synced("77777777-0000-4000-8000-000000000001"),
                          "task_category": "medication", "task_code": "insulin_pen",
                          "themes": json.dumps(["funding", "training"]),
                          "summary": "Synthetic example", "outcome_code": "ESCALATED_SHARED_CARE",
                          "decided_on": "2025-03-05", "source_discussion_id": disc_id}],
        "support_plan": [{**_synced(plan_id), "person_id": p1, "delegation_case_id": case_id,
                          "version_number": 1, "effective_from": "2025-03-01",
                          "person_words": "I want to stay at home", "created_by_name": "A Nurse",
                          "summary": None}],
        "support_plan_task": [{**_synced("aaaaaaaa-0000-4000-8000-000000000001"),
                               "plan_id": plan_id, "task_code": "insulin_pen",
                               "task_catalogue_version": "2025.1", "what_is_delegated": "Pen",
                               "what_is_not_delegated": "Dose changes", "frequency": "Daily",
                               "equipment": None, "do_thresholds": "Give it",
                               "call_nurse_thresholds": "Below 4", "if_refused": "Call",
                               "if_missed": "Call", "if_equipment_fails": "Call",
                               "if_out_of_range": "Call", "in_emergency": "Call 999.",
                               "worker_ids": json.dumps(["w-1"])}],
        "funding_split": [{**_synced("bbbbbbbb-0000-4000-8000-000000000001"),
                           "plan_id": plan_id, "funder": "icb", "method": "equal_split",
                           "inputs": json.dumps({}), "pence_per_week": 1234,
                           "free_to_person": 1, "lead_commissioner": 0,
                           "start_date": "2025-03-01", "interim_without_prejudice": 0,
                           "dispute_reference": None, "reconciled_on": None}],
        "audit_event": [{"seq": n, "id": f"88888888-0000-4000-8000-00000000000{n}", "at": STAMP,
                         "user_id": USER_ID, "device_id": DEVICE_ID, "entity_type": "person",
                         "entity_id": p1, "action": "create" if n == 1 else "update",
                         "prev_hash": f"{n - 1:064x}", "hash": f"{n:064x}"} for n in (1, 2)],
        "outbox_entry": [
            {"seq": 1, "idempotency_key": "99999999-0000-4000-8000-000000000001",
             "entity_type": "person", "entity_id": p1, "operation": "upsert",
             "local_version": 1, "base_server_version": None,
             "payload": json.dumps({"id": p1, "given_name": "Ada"}),
             "created_at": STAMP, "state": "pending", "attempts": 2,
             "last_error": "timeout", "done_at": None},
            # Written by hand with odd spacing and an escaped character: it must move as the
            # same text (an entry already sent goes out again byte for byte).
            {"seq": 2, "idempotency_key": "99999999-0000-4000-8000-000000000002",
             "entity_type": "person", "entity_id": p2, "operation": "delete",
             "local_version": 3, "base_server_version": 7,
             "payload": '{"id":"' + p2 + '",  "family_name": "Sample-O\\u2019Neill", '
                        '"deleted": true}', "created_at": STAMP, "state": "done", "attempts": 1,
             "last_error": None, "done_at": STAMP},
            {"seq": 3, "idempotency_key": "99999999-0000-4000-8000-000000000003",
             "entity_type": "person", "entity_id": p2, "operation": "upsert",
             "local_version": 2, "base_server_version": 7,
             "payload": json.dumps({"id": p2, "deleted": False}),
             "created_at": STAMP, "state": "pending", "attempts": 0,
             "last_error": None, "done_at": None},
        ],
    }


def _insert(engine: Engine, rows: dict[str, list[dict[str, Any]]]) -> None:
    with engine.begin() as conn:
        for table, items in rows.items():
            for row in items:
                columns = ", ".join(row)
                params = ", ".join(f":{c}" for c in row)
                conn.execute(text(f"INSERT INTO {table} ({columns}) VALUES ({params})"), row)


def _dump(engine: Engine) -> dict[str, list[dict[str, Any]]]:
    with engine.connect() as conn:
        return {
            table: [dict(r._mapping)
                    for r in conn.execute(text(f"SELECT * FROM {table} ORDER BY {pk}"))]
            for table, pk in TABLES.items()
        }


def _columns(engine: Engine, table: str) -> list[str]:
    with engine.connect() as conn:
        return [r[1] for r in conn.exec_driver_sql(f"PRAGMA table_info({table})")]


def _outbox_payloads(engine: Engine) -> list[tuple[int, str, int]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT seq, payload, tombstone FROM outbox_payload ORDER BY seq")]


def _events(engine: Engine) -> list[tuple[str, str]]:
    with engine.connect() as conn:
        return [tuple(r) for r in conn.exec_driver_sql(
            "SELECT delegation_case_id, kind FROM case_event ORDER BY occurred_on")]


def _foreign_keys(engine: Engine, table: str) -> set[str]:
    with engine.connect() as conn:
        return {r[2] for r in conn.exec_driver_sql(f"PRAGMA foreign_key_list({table})")}


def _vault_at_0001(folder: Path) -> tuple[bytes, dict[str, list[dict[str, Any]]]]:
    """A closed vault folder at revision 0001 holding the synthetic rows."""
    folder.mkdir(parents=True)
    key = os.urandom(32)
    db_path = folder / "vault.db"
    engine = encrypted_engine(db_path, key, create=True)
    try:
        result = upgrade_to(engine, db_path, "0001")
        assert (result.from_revision, result.to_revision, result.backup) == (None, "0001", None)
        assert "preferred_name" not in _columns(engine, "person")
        assert _foreign_keys(engine, "case_example") == {"shared_care_discussion"}
        _insert(engine, _rows_0001())
        stored = _dump(engine)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    kf = KeyFile.new()
    kf = kf.with_wrap(keyfile.seal(kf.vault_id, keyfile.USER, USER_ID, USER_NAME, key,
                                   PASSPHRASE, TEST_KDF))
    keyfile.write_key_file(folder / "vault.key", kf)
    return key, stored


@pytest.mark.hazard("H-034")
def test_unlock_upgrades_0001_vault_keeping_every_row(tmp_path: Path) -> None:
    """Unlocking a 0001 vault upgrades it to head: every row keeps identical values, the
    new person columns exist (empty), case_example no longer has its foreign key but keeps
    its source_discussion_id, foreign_key_check is clean, and an encrypted backup of the
    0001 database sits in backups/ and opens with the same key."""
    folder = tmp_path / "vault"
    key, before = _vault_at_0001(folder)
    assert all(before[t] for t in TABLES), "every table got rows"

    session = VaultStore(folder, kdf_cost=TEST_KDF).unlock(USER_ID, PASSPHRASE)
    try:
        assert session.user.display_name == USER_NAME
        assert session.device_id == DEVICE_ID
        migration = session.migration
        assert migration is not None
        assert (migration.from_revision, migration.to_revision) == ("0001", head_revision())
        assert current_revision(session.engine) == head_revision()

        after = _dump(session.engine)
        # 0009 queued the history it rebuilt (one event per decision here) for the store:
        # those entries are new; every earlier one is as it was.
        rebuilt = {r["seq"] for r in after["outbox_entry"] if r["entity_type"] == "case_event"}
        assert len(rebuilt) == len(_events(session.engine)) >= 1
        # 0011 gave the person whose plan printed their own words a what_matters row with
        # them, not queued: every laptop derives the same row from the same synced plan.
        with session.engine.connect() as conn:
            words = conn.exec_driver_sql("SELECT own_words FROM what_matters").scalars().all()
        assert words == ["I want to stay at home"]
        assert not [r for r in after["outbox_entry"] if r["entity_type"] == "what_matters"]
        with session.engine.connect() as conn:
            # The columns 0011 added are empty on the rows made before it: nothing invented.
            plans = conn.exec_driver_sql(
                "SELECT strengths, self_care, took_part FROM support_plan").all()
            cases = conn.exec_driver_sql(
                "SELECT at_considered, at_outcome, calls_reviewed FROM delegation_case").all()
        assert plans and all(tuple(p) == (None, None, "[]") for p in plans)
        assert cases and all(tuple(c) == (None, None, None) for c in cases)
        after["outbox_entry"] = [r for r in after["outbox_entry"] if r["seq"] not in rebuilt]
        # Opening stamps which name_key built the name-order index (a new row of its own).
        after["local_meta"] = [r for r in after["local_meta"] if r["key"] != NAME_KEY_VERSION]
        for table, rows in before.items():
            old_columns = [c for c in rows[0] if (table, c) not in MOVED]
            assert [{c: r[c] for c in old_columns} for r in after[table]] == \
                [{c: r[c] for c in old_columns} for r in rows], table
        # 0005: each outbox payload moved to its own row, as the same text, with its
        # "deleted" beside it; nothing of it is left in outbox_entry.
        assert "payload" not in _columns(session.engine, "outbox_entry")
        assert [p for p in _outbox_payloads(session.engine) if p[0] not in rebuilt] == [
            (r["seq"], r["payload"], 1 if json.loads(r["payload"]).get("deleted") else 0)
            for r in before["outbox_entry"]]
        assert [t for s, _, t in _outbox_payloads(session.engine) if s not in rebuilt] == [0, 1, 0]
        assert {"preferred_name", "phone"} <= set(_columns(session.engine, "person"))
        assert all(r["preferred_name"] is None and r["phone"] is None for r in after["person"])
        assert _foreign_keys(session.engine, "case_example") == set()
        # 0003: plan lines name the delegation of the plan version they were made with.
        case_id = before["delegation_case"][0]["id"]
        assert [r["delegation_case_id"] for r in after["support_plan_task"]] == [case_id]
        assert [r["delegation_case_id"] for r in after["funding_split"]] == [case_id]
        assert after["case_example"][0]["source_discussion_id"] == \
            before["shared_care_discussion"][0]["id"]
        with session.engine.connect() as conn:
            assert conn.exec_driver_sql("PRAGMA foreign_key_check").fetchall() == []
            assert conn.exec_driver_sql("PRAGMA integrity_check").fetchall() == [("ok",)]
            assert conn.exec_driver_sql("PRAGMA foreign_keys").scalar() == 1
    finally:
        session.close()

    backup = migration.backup
    assert backup is not None and backup.exists()
    assert backup.parent == folder / "backups"
    assert list((folder / "backups").iterdir()) == [backup]
    assert "0001" in backup.name
    assert backup.read_bytes()[:16] != SQLITE_PLAIN_HEADER
    assert key not in backup.read_bytes()

    # Open a copy (opening sets WAL mode and may write side files; the backup stays as is).
    copy = tmp_path / "backup-copy.db"
    shutil.copyfile(backup, copy)
    engine = encrypted_engine(copy, key)
    try:
        assert current_revision(engine) == "0001"
        assert "preferred_name" not in _columns(engine, "person")
        assert _dump(engine) == before
    finally:
        engine.dispose()

    # A second unlock has nothing to migrate and takes no further backup.
    again = VaultStore(folder, kdf_cost=TEST_KDF).unlock(USER_ID, PASSPHRASE)
    try:
        assert again.migration is not None and again.migration.backup is None
        assert again.migration.from_revision == head_revision()
    finally:
        again.close()
    assert list((folder / "backups").iterdir()) == [backup]


def _differences(engine: Engine) -> list[Any]:
    with engine.connect() as conn, warnings.catch_warnings():
        # Migration 0010's index on ``name_key(family_name)`` is not on the model (its
        # revision says why); SQLAlchemy cannot reflect an index on an expression.
        warnings.filterwarnings("ignore", "Skipped unsupported reflection of expression-based "
                                "index ix_person_family_key")
        context = MigrationContext.configure(
            conn, opts={"compare_type": True, "compare_server_default": True}
        )
        return list(compare_metadata(context, Base.metadata))


def test_models_match_migrations(tmp_path: Path) -> None:
    """After upgrading a fresh database to head, autogenerate finds no difference between
    the database and ``Base.metadata`` (types, server defaults, columns, indexes, unique
    and foreign key constraints). No difference is ignored.

    Control in the same test: the database at 0001 *does* show differences (the two
    person columns and the case_example foreign key), so the comparison is live."""
    db_path = tmp_path / "fresh.db"
    engine = encrypted_engine(db_path, os.urandom(32), create=True)
    try:
        upgrade_to(engine, db_path, "0001")
        at_0001 = _differences(engine)
        upgrade_to(engine, db_path)
        assert current_revision(engine) == head_revision()
        at_head = _differences(engine)
    finally:
        engine.dispose()

    assert at_head == [], at_head
    kinds = {d[0] if isinstance(d, tuple) else d[0][0] for d in at_0001}
    assert "add_column" in kinds, at_0001
    assert "remove_fk" in kinds, at_0001


@pytest.mark.hazard("H-034")
def test_a_stale_vault_migration_keeps_at_most_three_backups(tmp_path: Path) -> None:
    """Old backups are pruned to the newest BACKUPS_KEPT; the newest is always kept."""
    folder = tmp_path / "vault"
    _vault_at_0001(folder)
    backups = folder / "backups"
    backups.mkdir()
    for n in range(BACKUPS_KEPT + 1):
        old = backups / f"vault-before-0000-2020010{n}T000000Z.db"
        old.write_bytes(b"old backup")
        os.utime(old, (1_600_000_000 + n, 1_600_000_000 + n))
    session = VaultStore(folder, kdf_cost=TEST_KDF).unlock(USER_ID, PASSPHRASE)
    newest = session.migration.backup if session.migration else None
    session.close()
    kept = sorted(p.name for p in backups.iterdir())
    assert len(kept) == BACKUPS_KEPT
    assert newest is not None and newest.name in kept


def test_foreign_keys_are_off_while_migrations_run_and_on_after(tmp_path, monkeypatch) -> None:
    """Batch migrations rebuild tables that others point to; SQLite ignores the pragma
    inside a transaction, so it must be sent before one begins. Shown to fail: sending it
    through SQLAlchemy (which begins first) leaves foreign_keys at 1 here."""
    import os as _os

    from alembic import command as alembic_command

    from desktop_app.services.core import migrate
    from desktop_app.services.vault.database import encrypted_engine

    seen: list[int] = []
    real_upgrade = alembic_command.upgrade

    def spy(cfg, target):  # type: ignore[no-untyped-def]
        conn = cfg.attributes["connection"]
        seen.append(conn.exec_driver_sql("PRAGMA foreign_keys").scalar())
        return real_upgrade(cfg, target)

    monkeypatch.setattr(migrate.command, "upgrade", spy)
    engine = encrypted_engine(tmp_path / "v.db", _os.urandom(32), create=True)
    try:
        migrate.upgrade_to(engine, None)
        with engine.connect() as conn:
            after = conn.exec_driver_sql("PRAGMA foreign_keys").scalar()
    finally:
        engine.dispose()
    assert seen == [0]
    assert after == 1


def test_outbox_payloads_go_back_into_their_entries_on_downgrade(tmp_path: Path) -> None:
    """0005 down puts every payload back in its entry as the same text (NOT NULL again)
    and drops outbox_payload; up again moves them out once more, unchanged."""
    from alembic import command

    from desktop_app.services.core.migrate import alembic_config

    db_path = tmp_path / "v.db"
    engine = encrypted_engine(db_path, os.urandom(32), create=True)
    try:
        upgrade_to(engine, db_path, "0004")
        entries = _rows_0001()["outbox_entry"]
        _insert(engine, {"outbox_entry": entries})
        upgrade_to(engine, db_path)
        moved = _outbox_payloads(engine)
        assert [text for _, text, _ in moved] == [r["payload"] for r in entries]

        with engine.connect() as conn:
            conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "PRAGMA foreign_keys = OFF")
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0004")
            conn.commit()
            conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "PRAGMA foreign_keys = ON")
        assert current_revision(engine) == "0004"
        with engine.connect() as conn:
            back = conn.exec_driver_sql(
                "SELECT seq, payload FROM outbox_entry ORDER BY seq").fetchall()
            tables = {r[0] for r in conn.exec_driver_sql(
                "SELECT name FROM sqlite_master WHERE type = 'table'")}
            not_null = {r[1]: r[3] for r in conn.exec_driver_sql(
                "PRAGMA table_info(outbox_entry)")}
        assert back == [(r["seq"], r["payload"]) for r in entries]
        assert "outbox_payload" not in tables
        assert not_null["payload"] == 1

        upgrade_to(engine, db_path)
        assert _outbox_payloads(engine) == moved
    finally:
        engine.dispose()
