"""Suite-wide fixtures: an isolated app home per test and cheap vault key derivation.

Argon2id at production cost takes ~0.4 s; tests that are not about the cost itself
create vaults with the OWASP minimum instead, and copy one keyed template vault.
"""

from __future__ import annotations

import os
import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.models.user import Role
from desktop_app.services.vault import VaultSession, VaultStore
from tests.support import PASSPHRASE, TEST_KDF, USER_NAME

os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption("--slow", action="store_true", default=False,
                     help="also run the long soak, crash and fuzz tests (make test-slow)")


def pytest_collection_modifyitems(config: pytest.Config, items: list[pytest.Item]) -> None:
    if config.getoption("--slow"):
        return
    kept, deselected = [], []
    for item in items:
        (deselected if item.get_closest_marker("slow") else kept).append(item)
    if deselected:
        config.hook.pytest_deselected(items=deselected)
        items[:] = kept


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
