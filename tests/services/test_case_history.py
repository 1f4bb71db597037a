"""A delegation's history is append-only and the case's status is derived from it
(issue 16, item 1)."""

from __future__ import annotations

import datetime as dt
from collections import defaultdict

import pytest
from sqlalchemy import select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent
from desktop_app.services.core.errors import ImmutableRecord
from desktop_app.services.delegation.history import status_after
from desktop_app.services.demo import (
    seed_demo_caseload,
    seed_demo_delegations,
    seed_demo_life_events,
)
from desktop_app.services.vault import VaultSession


def test_status_after_takes_the_latest_status_an_event_set() -> None:
    assert status_after(["active", None, None]) == "active"
    assert status_after(["active", None, "withdrawn", None]) == "withdrawn"
    assert status_after([None], start="draft") == "draft"
    assert status_after([]) is None


@pytest.mark.hazard("H-043")
def test_every_decided_cases_status_is_the_one_its_history_leaves(vault: VaultSession) -> None:
    """Across the demo's decisions, reviews, endings and transfers: each decided case has a
    DECIDED event first, and its stored status is the status its events leave, in order."""
    seed_demo_caseload(vault.uow, people=60)
    seed_demo_delegations(vault.uow, count=45)
    seed_demo_life_events(vault)
    with vault.uow.read() as s:
        cases = {c.id: c.status for c in s.scalars(select(DelegationCase).where(
            DelegationCase.status != "draft"))}
        events: dict[str, list[tuple[str, str | None]]] = defaultdict(list)
        for case_id, kind, status in s.execute(
                select(CaseEvent.delegation_case_id, CaseEvent.kind, CaseEvent.status)
                .order_by(CaseEvent.occurred_on, CaseEvent.created_at)):
            events[case_id].append((kind, status))
    assert set(events) == set(cases)
    ended = 0
    for case_id, status in cases.items():
        history = events[case_id]
        assert history[0][0] == "decided", case_id
        assert status_after(e[1] for e in history) == status, case_id
        ended += status == "withdrawn"
    assert ended >= 2  # the demo's consent withdrawn and need changed


@pytest.mark.hazard("H-043")
def test_an_event_once_written_is_never_changed(vault: VaultSession) -> None:
    seed_demo_caseload(vault.uow, people=3)
    seed_demo_delegations(vault.uow, count=1)
    with vault.uow.read() as s:
        event_id = s.scalars(select(CaseEvent.id)).one()
    for change in ({"reasons": ["rewritten"]}, {"occurred_on": dt.date(2020, 1, 1)},
                   {"deleted": True}):
        with pytest.raises(ImmutableRecord):
            with vault.uow.begin() as s:
                event = s.get_one(CaseEvent, event_id)
                for name, value in change.items():
                    setattr(event, name, value)
