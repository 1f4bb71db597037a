"""The admin command line, the migrations against the models, and the entity allow-list."""

from __future__ import annotations

import subprocess
import sys
import uuid
from collections.abc import Iterator

import psycopg
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
from tests.sync.store import REPO, PostgresCluster, StoreProcess, enrol_with_code


def _cli(capsys: pytest.CaptureFixture[str], url: str, *args: str) -> tuple[int, str, str]:
    code = cli.main(["--database-url", url, *args])
    out, err = capsys.readouterr()
    return code, out.strip(), err.strip()


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
    name = f"scratch_{uuid.uuid4().hex[:8]}"
    with psycopg.connect(postgres.admin_url("postgres"), autocommit=True) as conn:
        conn.execute(f"CREATE DATABASE {name} OWNER scp_store")
    engine = make_engine(normalise_database_url(postgres.store_url.rsplit("/", 1)[0] + "/" + name))
    yield engine
    engine.dispose()
    with psycopg.connect(postgres.admin_url("postgres"), autocommit=True) as conn:
        conn.execute(f"DROP DATABASE {name} WITH (FORCE)")


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


def test_the_allow_list_is_the_desktop_apps_synced_tables() -> None:
    """Read-only look at the desktop models, so a new synced table cannot be forgotten here."""
    from desktop_app.models import Base as DesktopBase
    from desktop_app.models import SyncedMixin

    synced = {m.class_.__sync_entity__ or str(getattr(m.class_, "__tablename__"))  # noqa: B009
              for m in DesktopBase.registry.mappers if issubclass(m.class_, SyncedMixin)}
    assert synced == SYNCED_ENTITY_TYPES
