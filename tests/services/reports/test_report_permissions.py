"""Governance reports are for team leads and the read-only governance role only.

Enforced in the services (the screen only hides what a role cannot do): every report
function, the team list and the meeting pack refuse nurses and social care practitioners.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest

from desktop_app.models.user import Role
from desktop_app.services.core.errors import PermissionDenied
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.reports import (
    REPORTS,
    competency_report,
    delegations_report,
    equality_report,
    escalations_report,
    funding_report,
    load_meeting_pack,
    report_teams,
    reviews_report,
    run_report,
)
from desktop_app.services.reports.person_centred import person_centred_report
from desktop_app.services.vault import VaultSession
from tests.services.reports.dataset import QUARTER, TODAY, Built
from tests.support import as_role

CALLS: list[tuple[str, Callable[[Any], object]]] = [
    (f.__name__, lambda uow, f=f: f(uow, QUARTER, today=TODAY))
    for f in (delegations_report, funding_report, reviews_report, competency_report,
              escalations_report, equality_report, person_centred_report)
] + [
    ("run_report", lambda uow: run_report(uow, REPORTS[0].kind, QUARTER, today=TODAY)),
    ("report_teams", report_teams),
    ("load_meeting_pack", lambda uow: load_meeting_pack(uow, dt.date(2026, 3, 31))),
]


@pytest.mark.hazard("H-026")
def test_only_team_leads_and_governance_may_see_reports() -> None:
    assert {role for role in Role if allowed(role, Permission.VIEW_REPORTS)} == {
        Role.TEAM_LEAD, Role.READ_ONLY}


@pytest.mark.hazard("H-026")
@pytest.mark.parametrize("role", [Role.NURSE, Role.SOCIAL_CARE_PRACTITIONER])
@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
def test_nurses_and_practitioners_are_refused(report_vault: VaultSession, built: Built,
                                              role: Role, name: str,
                                              call: Callable[[Any], object]) -> None:
    with pytest.raises(PermissionDenied, match="cannot see the governance reports"):
        call(as_role(report_vault, role.value))


@pytest.mark.parametrize(("name", "call"), CALLS, ids=[name for name, _ in CALLS])
def test_governance_may_read_them(report_vault: VaultSession, built: Built, name: str,
                                  call: Callable[[Any], object]) -> None:
    assert call(as_role(report_vault, Role.READ_ONLY.value)) is not None
