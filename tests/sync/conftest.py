"""Fixtures of the laptop's sync client tests: real vaults enrolled by the real client
against the session's store (tests/sync_server/fixtures.py starts it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from tests.sync.laptops import LaptopFn, enrolled_laptops
from tools.throwaway_store import StoreProcess


@pytest.fixture
def laptops(store: StoreProcess, store_sessions: sessionmaker[Session],
            template_vault: tuple[Path, str, str], tmp_path: Path) -> Iterator[LaptopFn]:
    """``laptops(team, role="nurse")``: a vault of its own, enrolled by the real client."""
    with enrolled_laptops(store.base_url, store_sessions, template_vault, tmp_path) as make:
        yield make
