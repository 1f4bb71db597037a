"""Who may be the first account on a laptop, and who may give a colleague which role
(issue 17: anyone setting a laptop up could make themselves a team lead).

The rule, in the services: the first account is the team lead's (the team lead sets the
laptop up, keeps its recovery code and adds everyone else); after that nobody gives a
colleague a role that can do more than their own, so only a team lead makes a team lead.
"""

from __future__ import annotations

from pathlib import Path

import pytest

from desktop_app.models.user import Role
from desktop_app.services.core.errors import PermissionDenied, ValidationError
from desktop_app.services.core.roles import FIRST_ACCOUNT_ROLE, roles_to_give
from desktop_app.services.vault import VaultSession, VaultStore
from tests.support import PASSPHRASE, TEST_KDF, as_role

OTHER = "another long passphrase"


@pytest.mark.hazard("H-026")
@pytest.mark.parametrize("role", [Role.NURSE, Role.SOCIAL_CARE_PRACTITIONER, Role.READ_ONLY])
def test_the_first_account_cannot_be_anyone_but_the_team_lead(tmp_path: Path,
                                                               role: Role) -> None:
    folder = tmp_path / "vault"
    store = VaultStore(folder, kdf_cost=TEST_KDF)
    with pytest.raises(ValidationError, match="first account on a laptop is the team lead's") \
            as refused:
        store.create("Ann Example", role, PASSPHRASE)
    assert refused.value.field == "role"
    assert not folder.exists() and not store.exists()  # refused before anything is written
    with pytest.raises(ValidationError, match="Enter your name"):
        store.create("   ", FIRST_ACCOUNT_ROLE, PASSPHRASE)
    assert not folder.exists()


@pytest.mark.hazard("H-026")
def test_the_first_account_is_the_team_leads(tmp_path: Path) -> None:
    assert FIRST_ACCOUNT_ROLE is Role.TEAM_LEAD
    created = VaultStore(tmp_path / "vault", kdf_cost=TEST_KDF).create(
        "Lee Lead", FIRST_ACCOUNT_ROLE, PASSPHRASE)
    try:
        assert created.session.user.role is Role.TEAM_LEAD
    finally:
        created.session.close()


@pytest.mark.hazard("H-026")
def test_nobody_gives_a_role_that_can_do_more_than_their_own() -> None:
    assert roles_to_give(Role.TEAM_LEAD.value) == list(Role)
    assert roles_to_give(Role.NURSE.value) == [Role.NURSE, Role.SOCIAL_CARE_PRACTITIONER]
    assert roles_to_give(Role.SOCIAL_CARE_PRACTITIONER.value) == []
    assert roles_to_give(Role.READ_ONLY.value) == []
    assert roles_to_give("janitor") == []


@pytest.mark.hazard("H-026")
def test_a_nurse_adds_nurses_and_practitioners_but_never_a_team_lead(
        vault: VaultSession) -> None:
    before = vault.store.users()
    vault.uow = as_role(vault, Role.NURSE.value)
    for role in (Role.TEAM_LEAD, Role.READ_ONLY):
        with pytest.raises(PermissionDenied, match=(
                "signed in as a community nurse, who can add a community nurse or a social "
                "care practitioner but not")):
            vault.add_user("Nat Example", role, OTHER)
    assert vault.store.users() == before  # no sign-in, no user row
    assert {u.display_name for u in vault.users()} == {n for _, n in before}
    nurse = vault.add_user("Nat Example", Role.NURSE, OTHER)
    practitioner = vault.add_user("Sam Example", Role.SOCIAL_CARE_PRACTITIONER, OTHER)
    roles = {u.user_id: u.role for u in vault.users()}
    assert (roles[nurse], roles[practitioner]) == (Role.NURSE, Role.SOCIAL_CARE_PRACTITIONER)


@pytest.mark.hazard("H-026")
def test_a_team_lead_adds_any_role_and_others_add_nobody(vault: VaultSession) -> None:
    lead = vault.add_user("Lou Lead", Role.TEAM_LEAD, OTHER)
    reader = vault.add_user("Gov Example", Role.READ_ONLY, OTHER)
    assert {u.user_id: u.role for u in vault.users()}[lead] is Role.TEAM_LEAD
    assert reader
    for role in (Role.SOCIAL_CARE_PRACTITIONER, Role.READ_ONLY):
        vault.uow = as_role(vault, role.value)
        with pytest.raises(PermissionDenied, match="who cannot add users"):
            vault.add_user("Nat Example", Role.NURSE, OTHER)


def test_a_second_sign_in_with_the_same_name_is_refused(vault: VaultSession) -> None:
    vault.add_user("Nat Example", Role.NURSE, OTHER)
    with pytest.raises(ValidationError, match="already has a sign-in") as refused:
        vault.add_user("  nat example ", Role.NURSE, OTHER)
    assert refused.value.field == "display_name"
