"""The demo caseload: synthetic, and with delegations in every state the screens show."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
from sqlalchemy import func, select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person import Person
from desktop_app.models.review import Review
from desktop_app.services.demo import DEMO_OUTCOMES, seed_demo_caseload, seed_demo_delegations


def test_demo_has_every_state_and_only_999_numbers(vault) -> None:
    seed_demo_caseload(vault.uow, people=40)
    seed_demo_delegations(vault.uow, count=27)
    with vault.uow.read() as s:
        numbers = list(s.scalars(select(Person.nhs_number)))
        outcomes = set(s.scalars(select(DelegationCase.outcome_code)))
        drafts = s.scalar(select(func.count()).where(DelegationCase.status == "draft"))
        reviews = s.scalar(select(func.count()).select_from(Review))
    assert numbers and all(n.startswith("999") for n in numbers)
    assert set(DEMO_OUTCOMES) <= outcomes
    assert drafts == 3
    assert reviews and reviews > 0


@pytest.fixture(scope="module")
def demo_vault(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The folder of the demo vault ``make run ARGS=--demo`` makes on a fresh machine, made
    once for the two tests below (each reads a different part of it; ~5 s to make)."""
    from desktop_app.services.demo import ensure_demo_vault
    from desktop_app.services.vault import VaultStore
    from tests.support import TEST_KDF

    folder = tmp_path_factory.mktemp("demo") / "vault"
    ensure_demo_vault(VaultStore(folder, kdf_cost=TEST_KDF), "Demo Nurse", "demo passphrase 999")
    return folder


def test_the_whole_demo_vault_is_made_with_changes_of_need_and_a_team_lead(
        demo_vault: Path) -> None:
    """What ``make run ARGS=--demo`` does on a fresh machine, all of it: a review the
    services refuse (a lapsed sign-off called current) once stopped it half-way."""
    from desktop_app.services import registers
    from desktop_app.services.demo import DEMO_TEAM_LEAD
    from desktop_app.services.vault import VaultStore
    from tests.support import TEST_KDF

    store = VaultStore(demo_vault, kdf_cost=TEST_KDF)
    users = {name: user_id for user_id, name in store.users()}
    assert set(users) == {"Demo Nurse", DEMO_TEAM_LEAD}
    session = store.unlock(users["Demo Nurse"], "demo passphrase 999")
    try:
        changes = registers.changes_of_need_awaiting_mdt(session.uow, dt.date.today())
        look_again = registers.look_again_due(session.uow, dt.date.today())
    finally:
        session.close()
    assert len(changes) == 3
    assert look_again  # decisions not to delegate yet, with their dates to look again


def test_the_demo_shows_a_delegations_life_after_the_decision(demo_vault: Path) -> None:
    """The demo seeds what a user records after a decision (each through the services): a
    consent withdrawn, a need changed, an oversight transfer awaiting the practice and an
    interim reconciliation, so every screen that shows them has something to show; and the
    framework's principles with problems reported to the IPCB."""
    from desktop_app.models.history import CaseEvent
    from desktop_app.models.person_centred import (
        AssessmentReuse,
        EligibilityScreen,
        FrameworkProblem,
        PartnerAssessment,
        Signposting,
        WhatMatters,
    )
    from desktop_app.services.delegation.oversight import oversight_awaiting_acceptance
    from desktop_app.services.vault import VaultStore
    from tests.support import TEST_KDF

    store = VaultStore(demo_vault, kdf_cost=TEST_KDF)
    users = {name: user_id for user_id, name in store.users()}
    session = store.unlock(users["Demo Nurse"], "demo passphrase 999")
    try:
        with session.uow.read() as s:
            kinds = set(s.scalars(select(CaseEvent.kind)))
            statuses = sorted(s.scalars(select(FrameworkProblem.status)))
            principles = {model.__tablename__: len(s.scalars(select(model.id)).all())
                          for model in (WhatMatters, Signposting, PartnerAssessment,
                                        AssessmentReuse, EligibilityScreen)}
        awaiting = oversight_awaiting_acceptance(session.uow, dt.date.today())
    finally:
        session.close()
    assert {"decided", "consent_withdrawn", "need_changed", "oversight_transferred",
            "interim_reconciled", "discussion_decided"} <= kinds
    assert len(awaiting) == 1
    # The principles (issue 18), recorded through the same services: problems reported to
    # the IPCB in each status, and every kind of person-centred record.
    assert statuses == ["discussed", "received", "ruling_issued"]
    assert all(principles.values()), principles
