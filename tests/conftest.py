"""Suite-wide fixtures: an isolated app home per test and cheap vault key derivation.

Argon2id at production cost takes ~0.4 s; tests that are not about the cost itself
create vaults with the OWASP minimum instead, and copy one keyed template vault.
"""

from __future__ import annotations

import json
import os
import re
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest
from sqlalchemy import Engine, event

from desktop_app.models.user import Role
from desktop_app.services.vault import VaultSession, VaultStore, keyfile
from desktop_app.services.vault.kdf import KdfParams, derive_key
from tests.support import PASSPHRASE, TEST_KDF, USER_NAME, give_test_audit_key
from tools.hazard_log import MarkerMap

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

# Bare engines made by tests have no audit key (the app refuses to write audit rows without
# one): every connection gets the suite's; a vault's connection gets the vault's own on top.
event.listen(Engine, "connect", give_test_audit_key)

# The central store's fixtures (PostgreSQL, the server, teams, enrolled laptops): the store's
# tests in tests/sync_server, the client's in tests/sync and the Sync screen's in tests/ui.
pytest_plugins = ["tests.sync_server.fixtures"]


T = TypeVar("T")
HAZARD_ID = re.compile(r"H-\d{3}")
HAZARD_TESTS = pytest.StashKey[dict[str, tuple[str, ...]]]()
HAZARD_PASSED = pytest.StashKey[set[str]]()
HAZARD_SLOW = pytest.StashKey[list[str]]()
WHOLE_SUITE_COLLECTED = pytest.StashKey[bool]()


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
    slow = [item.nodeid for item in items if item.get_closest_marker("slow")]
    config.stash[HAZARD_TESTS] = marked
    config.stash[HAZARD_PASSED] = set()
    config.stash[HAZARD_SLOW] = slow
    target = config.getoption("--hazard-map")
    if target:
        Path(target).write_text(json.dumps({"tests": marked, "slow": slow}), encoding="utf-8")


def _collected_whole_suite(session: pytest.Session) -> bool:
    """Whether this run collected every test `pytest --collect-only --slow` would: the
    testpaths, nothing ignored or deselected, no module that failed to collect, no --lf
    (it skips whole files). -k, -m and --slow drop tests only after the hazards are
    recorded."""
    option = session.config.option
    return (session.config.args_source is pytest.Config.ArgsSource.TESTPATHS
            and not option.ignore and not option.ignore_glob and not option.deselect
            and not getattr(option, "lf", False) and session.testsfailed == 0)


# First, so the hazards are recorded from every collected test before any filter drops some.
@pytest.hookimpl(tryfirst=True)
def pytest_collection_modifyitems(session: pytest.Session, config: pytest.Config,
                                  items: list[pytest.Item]) -> None:
    _record_hazards(config, items)
    config.stash[WHOLE_SUITE_COLLECTED] = _collected_whole_suite(session)
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


@pytest.fixture(scope="session")
def collected_hazard_markers(pytestconfig: pytest.Config) -> MarkerMap | None:
    """This run's hazard markers when it collected the whole suite (``make test``): the map
    ``--hazard-map`` writes, from the same collection, so tests/test_hazard_log.py need not
    collect the suite a second time in a subprocess. None on a partial run."""
    if not pytestconfig.stash.get(WHOLE_SUITE_COLLECTED, False):
        return None
    return MarkerMap(dict(pytestconfig.stash[HAZARD_TESTS]), set(pytestconfig.stash[HAZARD_SLOW]))


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


@pytest.fixture(scope="session")
def template_with(tmp_path_factory: pytest.TempPathFactory
                  ) -> Callable[[tuple[Path, str, str], Callable[[VaultSession], T]],
                                tuple[Path, str, str, T]]:
    """Make a test file's own template vault: ``make(template_vault, build)`` copies the
    suite's template, unlocks it, runs ``build(session)`` (through the services) and
    returns (folder, user id, recovery code, what build returned). A file whose every test
    starts from the same records overrides ``template_vault`` with it (module scope), so
    ``vault`` copies them instead of each test building them again."""
    def make(template: tuple[Path, str, str], build: Callable[[VaultSession], T]
             ) -> tuple[Path, str, str, T]:
        source, user_id, code = template
        folder = tmp_path_factory.mktemp("built") / "vault"
        shutil.copytree(source, folder)
        session = VaultStore(folder, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
        try:
            built = build(session)
        finally:
            session.close()
        return folder, user_id, code, built
    return make


@pytest.fixture
def vault_copy(
    template_vault: tuple[Any, ...], tmp_path: Path
) -> tuple[VaultStore, str, str]:
    """A private copy of the template vault (the suite's, or a file's own made with
    ``template_with``): (store, user id, recovery code)."""
    source, user_id, code = template_vault[:3]
    target = tmp_path / "vault"
    shutil.copytree(source, target)
    return VaultStore(target, kdf_cost=TEST_KDF), user_id, code


_TEMPLATE_KEKS: dict[tuple[str, KdfParams], bytes] = {}


def _derived_once(secret: str, params: KdfParams) -> bytes:
    """``derive_key``, worked out once a run for each secret and salt (it is a pure
    function: the same passphrase, salt and costs always give the same key)."""
    key = _TEMPLATE_KEKS.get((secret, params))
    if key is None:
        key = _TEMPLATE_KEKS[(secret, params)] = derive_key(secret, params)
    return key


@pytest.fixture
def vault(vault_copy: tuple[VaultStore, str, str]) -> Iterator[VaultSession]:
    """An unlocked private vault, closed after the test.

    Every copy has the template's passphrase and salt, so this unlock's Argon2id derivation
    is done once a run, not once a test; the rest of the unlock is the app's own. Only
    this fixture's unlock: a test's own unlocks run in full."""
    store, user_id, _ = vault_copy
    with pytest.MonkeyPatch.context() as patch:
        patch.setattr(keyfile, "derive_key", _derived_once)
        session = store.unlock(user_id, PASSPHRASE)
    yield session
    session.close()
