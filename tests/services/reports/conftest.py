"""One vault holding the known caseload (``dataset``), shared by the report tests.

The reports only read (the meeting pack adds audit rows, which no report counts), so the
caseload is built once per module on a copy of the session's keyed template vault.
"""

from __future__ import annotations

import shutil
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop_app.services.vault import VaultSession, VaultStore
from tests.services.reports.dataset import Built, build
from tests.support import PASSPHRASE, TEST_KDF


@pytest.fixture(scope="module")
def report_vault(template_vault: tuple[Path, str, str],
                 tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultSession]:
    """An unlocked vault (signed in as a team lead) holding the known caseload."""
    source, user_id, _ = template_vault
    target = tmp_path_factory.mktemp("reports") / "vault"
    shutil.copytree(source, target)
    session = VaultStore(target, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    yield session
    session.close()


@pytest.fixture(scope="module")
def built(report_vault: VaultSession) -> Built:
    """The ids of the known caseload, written once."""
    return build(report_vault.uow)
