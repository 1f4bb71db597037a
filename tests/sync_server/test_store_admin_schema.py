"""The admin command line, the migrations against the models, and the entity allow-list."""

from __future__ import annotations

import json
import subprocess
import sys
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.autogenerate import compare_metadata
from alembic.runtime.migration import MigrationContext
from sqlalchemy import Engine, inspect

from sync_server import cli
from sync_server.config import normalise_database_url
from sync_server.database import alembic_config, head_revision, make_engine, upgrade
from sync_server.entities import SYNCED_ENTITY_TYPES
from sync_server.models import Base
from tools.throwaway_store import REPO, PostgresCluster, StoreProcess, enrol_with_code


def _cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--database-url", url, *args])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


@pytest.mark.hazard("H-027")
def test_admin_commands_from_team_to_revocation(store: StoreProcess, postgres: PostgresCluster,
                                                capsys: pytest.CaptureFixture[str]) -> None:
    url = postgres.store_url
    team = f"CLI INT {uuid.uuid4().hex[:6]}"
    assert _cli(capsys, url, "create-team", team)[0] == 0
    assert _cli(capsys, url, "create-team", team)[:1] == (1,)
    status, user_id, _ = _cli(capsys, url, "create-user", "--team", team, "--role",
                              "team_lead", "Sam Example")
    assert status == 0 and uuid.UUID(user_id)
    status, code, _ = _cli(capsys, url, "issue-enrolment-code", "--user", user_id)
    assert status == 0 and len(code) == 19
    laptop = enrol_with_code(store, code)
    laptop.close()

    status, listed, _ = _cli(capsys, url, "list-devices", "--team", team)
    assert status == 0 and laptop.device_id in listed and "active" in listed
    assert _cli(capsys, url, "revoke-device", laptop.device_id)[1] == f"revoked {laptop.device_id}"
    assert "revoked 20" in _cli(capsys, url, "list-devices", "--team", team)[1]

    assert _cli(capsys, url, "create-user", "--team", "No Such INT", "--role", "nurse", "X")[2] \
        == "error: no team 'No Such INT'"
    assert _cli(capsys, url, "revoke-device", str(uuid.uuid4()))[0] == 1
    assert _cli(capsys, url, "issue-enrolment-code", "--user", "Nobody Known")[0] == 1


def test_the_console_script_entry_runs() -> None:
    done = subprocess.run([sys.executable, "-m", "sync_server", "--help"], capture_output=True,
                          text=True, cwd=REPO, check=True)
    for name in ("upgrade", "create-team", "create-user", "issue-enrolment-code",
                 "list-devices", "revoke-device", "serve"):
        assert name in done.stdout


@pytest.fixture
def scratch_engine(postgres: PostgresCluster) -> Iterator[Engine]:
    """An engine on a fresh, empty database owned by the store's role."""
    name = postgres.new_database("scratch")
    engine = make_engine(normalise_database_url(postgres.database_url(name)))
    yield engine
    engine.dispose()
    postgres.drop_database(name)


def test_migrations_build_exactly_the_models_and_run_twice(scratch_engine: Engine) -> None:
    assert upgrade(scratch_engine) == (None, head_revision())
    with scratch_engine.connect() as conn:
        assert compare_metadata(MigrationContext.configure(conn), Base.metadata) == []
        assert conn.exec_driver_sql("SELECT id, value FROM version_counter").all() == [(1, 0)]
    assert upgrade(scratch_engine) == (head_revision(), head_revision())
    cfg = alembic_config()
    with scratch_engine.begin() as conn:
        cfg.attributes["connection"] = conn
        command.downgrade(cfg, "base")
    assert set(inspect(scratch_engine).get_table_names()) == {"alembic_version"}


@pytest.fixture(params=["postgresql", "sqlite"])
def any_scratch_engine(request: pytest.FixtureRequest, tmp_path: Path) -> Iterator[Engine]:
    """A fresh database on PostgreSQL, and on the SQLite trial default."""
    if request.param == "sqlite":
        engine = make_engine(normalise_database_url(f"sqlite:///{tmp_path / 'trial.db'}"))
        yield engine
        engine.dispose()
    else:
        yield request.getfixturevalue("scratch_engine")


def _migrate(engine: Engine, revision: str, down: bool = False) -> None:
    cfg = alembic_config()
    with engine.begin() as conn:
        cfg.attributes["connection"] = conn
        (command.downgrade if down else command.upgrade)(cfg, revision)


def test_applied_changes_keep_their_versions_through_0002_and_back(
        any_scratch_engine: Engine) -> None:
    engine = any_scratch_engine
    _migrate(engine, "0001")
    keys = [str(uuid.uuid4()) for _ in range(3)]
    with engine.begin() as conn:
        for n, key in enumerate(keys, start=41):
            answer = json.dumps({"idempotency_key": key, "status": "applied",
                                 "server_version": n})
            conn.exec_driver_sql(
                "INSERT INTO applied_change (idempotency_key, content_hash, team_id, "
                "device_id, entity_type, record_id, answer, applied_at) VALUES "
                f"('{key}', '{'a' * 64}', 't', 'd', 'person', 'r{n}', '{answer}', "
                "'2026-11-22 10:00:00')")

    _migrate(engine, "head")
    with engine.connect() as conn:
        assert dict(conn.exec_driver_sql(
            "SELECT idempotency_key, server_version FROM applied_change").all()) == {
            keys[0]: 41, keys[1]: 42, keys[2]: 43}
        assert "answer" not in {c["name"] for c in inspect(conn).get_columns("applied_change")}

    _migrate(engine, "0001", down=True)
    with engine.connect() as conn:
        back = {k: json.loads(a) if isinstance(a, str) else a for k, a in conn.exec_driver_sql(
            "SELECT idempotency_key, answer FROM applied_change").all()}
    assert back == {k: {"idempotency_key": k, "status": "applied", "server_version": n}
                    for n, k in enumerate(keys, start=41)}


def test_the_allow_list_is_the_desktop_apps_synced_tables() -> None:
    """Read-only look at the desktop models, so a new synced table cannot be forgotten here."""
    from desktop_app.models import Base as DesktopBase
    from desktop_app.models import SyncedMixin

    synced = {m.class_.__sync_entity__ or str(getattr(m.class_, "__tablename__"))  # noqa: B009
              for m in DesktopBase.registry.mappers if issubclass(m.class_, SyncedMixin)}
    assert synced == SYNCED_ENTITY_TYPES
