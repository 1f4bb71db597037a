"""Suite-wide fixtures: an isolated app home per test and cheap vault key derivation.

Argon2id at production cost takes ~0.4 s; tests that are not about the cost itself
create vaults with the OWASP minimum instead, and copy one keyed template vault.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy import Engine, event

from desktop_app.models.user import Role
from desktop_app.services.vault import VaultSession, VaultStore
from tests.support import PASSPHRASE, TEST_KDF, USER_NAME, give_test_audit_key

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Bare engines made by tests have no audit key (the app refuses to write audit rows without
# one): every connection gets the suite's; a vault's connection gets the vault's own on top.
event.listen(Engine, "connect", give_test_audit_key)

# The central store's fixtures (PostgreSQL, the server, teams, enrolled laptops): the store's
# tests in tests/sync_server, the client's in tests/sync and the Sync screen's in tests/ui.
pytest_plugins = ["tests.sync_server.fixtures"]


HAZARD_ID = re.compile(r"H-\d{3}")
HAZARD_TESTS = pytest.StashKey[dict[str, tuple[str, ...]]]()
HAZARD_PASSED = pytest.StashKey[set[str]]()


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the long soak, crash and fuzz tests (make test-slow)")
    parser.addoption("--hazard-map", default=None, metavar="FILE",
                     help="write which collected tests carry which hazard markers to FILE "
                          "(tools/hazard_log.py uses it)")


def _hazards_of(item: pytest.Item) -> tuple[str, ...]:
    """The hazard ids an item is marked with; a malformed marker stops the run."""
    ids = []
    for marker in item.iter_markers("hazard"):
        if len(marker.args) != 1 or not HAZARD_ID.fullmatch(str(marker.args[0])):
            raise pytest.UsageError(f"{item.nodeid}: write @pytest.mark.hazard(\"H-012\"), "
                                    f"one id per marker (got {marker.args!r})")
        ids.append(str(marker.args[0]))
    return tuple(sorted(set(ids)))


def _record_hazards(config: pytest.Config, items: list[pytest.Item]) -> None:
    marked = {item.nodeid: ids for item in items if (ids := _hazards_of(item))}
    config.stash[HAZARD_TESTS] = marked
    config.stash[HAZARD_PASSED] = set()
    target = config.getoption("--hazard-map")
    if target:
        slow = [item.nodeid for item in items if item.get_closest_marker("slow")]
        Path(target).write_text(json.dumps({"tests": marked, "slow": slow}), encoding="utf-8")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    _record_hazards(config, items)
    if config.getoption("--slow"):
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("slow") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


@pytest.hookimpl(wrapper=True)
def pytest_runtest_makereport(item: pytest.Item, call: pytest.CallInfo[None]
                              ) -> Iterator[None]:
    report = yield
    if call.when == "call" and report.passed and item.nodeid in item.config.stash.get(
            HAZARD_TESTS, {}):
        item.config.stash[HAZARD_PASSED].add(item.nodeid)
    return report


@pytest.hookimpl(trylast=True)
def pytest_sessionfinish(session: pytest.Session, exitstatus: int) -> None:
    """On a run of the whole suite, fail it if a hazard of the log has no test that passed
    (its only tests were skipped, say): a control nobody checked is not a control."""
    config = session.config
    whole_suite = (config.args_source is pytest.Config.ArgsSource.TESTPATHS
                   and not config.option.keyword and not config.option.markexpr
                   and not config.getoption("--hazard-map") and not config.option.collectonly)
    if not whole_suite or exitstatus != 0:
        return
    from tools.hazard_log import hazards_without_passing, load_log
    missing = hazards_without_passing(load_log(), config.stash.get(HAZARD_TESTS, {}),
                                      config.stash.get(HAZARD_PASSED, set()))
    if missing:
        reporter = config.pluginmanager.get_plugin("terminalreporter")
        if reporter is not None:
            reporter.write_line("hazards with no passing test in this run: "
                                + ", ".join(missing), red=True)
        session.exitstatus = pytest.ExitCode.TESTS_FAILED


@pytest.fixture
def app_home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A private SHARED_CARE_PLANNER_HOME for one test."""
    home = tmp_path / "home"
    monkeypatch.setenv("SHARED_CARE_PLANNER_HOME", str(home))
    return home


@pytest.fixture(scope="session")
def template_vault(tmp_path_factory: pytest.TempPathFactory) -> tuple[Path, str, str]:
    """One vault made per test run: (folder, user id, recovery code)."""
    folder = tmp_path_factory.mktemp("template") / "vault"
    # The first user of a vault sets it up for the team: a team lead (may add users).
    created = VaultStore(folder, kdf_cost=TEST_KDF).create(USER_NAME, Role.TEAM_LEAD, PASSPHRASE)
    user_id = created.session.user.user_id
    created.session.close()
    return folder, user_id, created.recovery_code


@pytest.fixture
def vault_copy(
    template_vault: tuple[Path, str, str], tmp_path: Path
) -> tuple[VaultStore, str, str]:
    """A private copy of the template vault: (store, user id, recovery code)."""
    source, user_id, code = template_vault
    target = tmp_path / "vault"
    shutil.copytree(source, target)
    return VaultStore(target, kdf_cost=TEST_KDF), user_id, code


@pytest.fixture
def vault(vault_copy: tuple[VaultStore, str, str]) -> Iterator[VaultSession]:
    """An unlocked private vault, closed after the test."""
    store, user_id, _ = vault_copy
    session = store.unlock(user_id, PASSPHRASE)
    yield session
    session.close()
