"""Fixtures of the laptop's sync client tests: real vaults enrolled by the real client
against the session's store (tests/sync_server/fixtures.py starts it)."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import Path

import pytest
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.services import sync as sync_client
from tests.sync.laptops import LaptopFn, VaultLaptop, issue_code, make_vault
from tools.throwaway_store import StoreProcess


@pytest.fixture
def laptops(store: StoreProcess, store_sessions: sessionmaker[Session],
            template_vault: tuple[Path, str, str], tmp_path: Path) -> Iterator[LaptopFn]:
    """``laptops(team, role="nurse")``: a vault of its own, enrolled by the real client."""
    made: list[VaultLaptop] = []

    def make(team_name: str, role: str = "nurse") -> VaultLaptop:
        folder, user_id, _ = template_vault
        name = f"Laptop {len(made) + 1}"
        vault = make_vault(folder, tmp_path / f"laptop-{len(made) + 1}", user_id)
        laptop = VaultLaptop(vault, store.base_url, name)
        made.append(laptop)
        code = issue_code(store_sessions, team_name, role)
        laptop.enrolment = sync_client.enrol(laptop.uow, store.base_url, code, name)
        return laptop

    yield make
    for laptop in made:
        laptop.close()
