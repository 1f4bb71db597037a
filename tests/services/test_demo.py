"""The demo caseload: synthetic, and with delegations in every state the screens show."""

from __future__ import annotations

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
