"""Roles are enforced in the services, not only hidden in the UI."""

from __future__ import annotations

import pytest

from desktop_app.models.user import Role
from desktop_app.services import delegation, people, registers
from desktop_app.services.core.errors import PermissionDenied
from desktop_app.services.core.roles import POLICY, Permission, allowed
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from tests.support import PASSPHRASE, as_role, person_values


@pytest.mark.hazard("H-026")
def test_read_only_changes_nothing(vault) -> None:
    reader = as_role(vault, Role.READ_ONLY.value)
    with pytest.raises(PermissionDenied, match="read-only user, who cannot change people"):
        people.create_person(reader, people.PersonInput(**person_values(1)))
    person = people.create_person(vault.uow, people.PersonInput(**person_values(2)))
    assert people.open_person(reader, person.id).id == person.id  # may read
    with pytest.raises(PermissionDenied):
        people.remove_person(reader, person.id)
    with pytest.raises(PermissionDenied):
        delegation.save_draft(reader, person.id, None, {}, "S1", load_flow(), load_catalogue())


@pytest.mark.hazard("H-026")
def test_nurse_cannot_close_a_discussion(vault) -> None:
    nurse = as_role(vault, Role.NURSE.value)
    with pytest.raises(PermissionDenied, match="close shared care discussions"):
        registers.close_discussion(nurse, "no-such-id", "Agreed", [], None, False)  # type: ignore[arg-type]


@pytest.mark.hazard("H-026")
def test_only_nurses_and_team_leads_add_users(vault) -> None:
    vault.uow = as_role(vault, Role.SOCIAL_CARE_PRACTITIONER.value)
    with pytest.raises(PermissionDenied, match="add users"):
        vault.add_user("Another Nurse", Role.NURSE, PASSPHRASE)
    vault.uow = as_role(vault, Role.NURSE.value)
    assert vault.add_user("Another Nurse", Role.NURSE, PASSPHRASE)


@pytest.mark.hazard("H-026")
def test_social_care_practitioner_cannot_change_competency(vault) -> None:
    practitioner = as_role(vault, Role.SOCIAL_CARE_PRACTITIONER.value)
    with pytest.raises(PermissionDenied, match="competency"):
        registers.withdraw_sign_off(practitioner, "no-such-id", "reason")
    person = people.create_person(practitioner, people.PersonInput(**person_values(3)))
    assert person.id


@pytest.mark.hazard("H-026")
def test_policy_covers_every_role_and_unknown_roles_get_nothing() -> None:
    assert set(POLICY) == set(Role)
    assert POLICY[Role.TEAM_LEAD] == frozenset(Permission)
    assert not any(allowed("janitor", p) for p in Permission)


@pytest.mark.hazard("H-026")
def test_only_team_leads_find_plans_for_a_batch(vault) -> None:
    import datetime as dt

    from desktop_app.services.plans.batch import plans_for_batch
    day = dt.date(2026, 11, 23)
    assert plans_for_batch(vault.uow, None, day, day) == []  # the template user leads
    for role in ("nurse", "social_care_practitioner", "read_only"):
        with pytest.raises(PermissionDenied, match="print batches of support plans"):
            plans_for_batch(as_role(vault, role), None, day, day)


@pytest.mark.hazard("H-026")
def test_only_team_leads_and_governance_see_the_reports(vault) -> None:
    import datetime as dt

    from desktop_app.services.reports import ReportQuery, delegations_report
    query = ReportQuery(dt.date(2026, 1, 1), dt.date(2026, 3, 31))
    for role in ("team_lead", "read_only"):
        assert delegations_report(as_role(vault, role), query).rows  # allowed
    for role in ("nurse", "social_care_practitioner"):
        with pytest.raises(PermissionDenied, match="see the governance reports"):
            delegations_report(as_role(vault, role), query)
