"""Several users on one laptop, passphrase changes, and the recovery code.

Mutation checks run by hand (each made the named test fail):
* ``keyfile._aad`` patched to ignore the user id -> ``test_wrap_moved_to_another_user_...``.
* ``KeyFile.with_wrap`` patched to replace every wrap of the same kind (dropping the other
  user's) -> ``test_change_passphrase_affects_only_that_user``.
* ``VaultSession.change_passphrase`` patched to write the new wrap before checking the old
  passphrase -> ``test_wrong_current_passphrase_changes_nothing``.
* ``keyfile.normalise_recovery_code`` replaced by ``str.upper`` ->
  ``test_recovery_code_typed_loosely_sets_new_passphrase``.
* ``VaultStore._wrong`` patched not to call ``record_failure`` ->
  ``test_wrong_recovery_code_counts_as_failure``.
"""

from __future__ import annotations

import json

import pytest
from vault_test_helpers import (
    NEW_PASSPHRASE,
    OTHER_PASSPHRASE,
    PASSPHRASE,
    USER_NAME,
    FakeClock,
    snapshot,
)

from desktop_app.models.user import Role
from desktop_app.services.core.errors import (
    UnknownUser,
    UnlockThrottled,
    ValidationError,
    WrongPassphrase,
)
from desktop_app.services.vault import VaultStore
from desktop_app.services.vault.keyfile import USER, checksum
from desktop_app.services.vault.throttle import FREE_ATTEMPTS

Vault = tuple[VaultStore, str, str]
OTHER_NAME = "Second Practitioner"


def _add_second_user(store: VaultStore, user_id: str) -> str:
    session = store.unlock(user_id, PASSPHRASE)
    try:
        return session.add_user(OTHER_NAME, Role.SOCIAL_CARE_PRACTITIONER, OTHER_PASSPHRASE)
    finally:
        session.close()


def _user_wraps(store: VaultStore) -> dict[str, dict[str, object]]:
    body = json.loads(store.key_path.read_text(encoding="utf-8"))
    return {w["user_id"]: w for w in body["wraps"] if w["kind"] == USER}


def test_added_user_has_own_passphrase(vault_copy: Vault) -> None:
    """add_user gives the new person a sign-in with their own passphrase; both appear in
    the key file's list and in the database's list; neither passphrase opens the other."""
    store, first_id, _ = vault_copy
    session = store.unlock(first_id, PASSPHRASE)
    try:
        second_id = session.add_user(OTHER_NAME, Role.SOCIAL_CARE_PRACTITIONER, OTHER_PASSPHRASE)
        assert {u.user_id for u in session.users()} == {first_id, second_id}
        with pytest.raises(ValidationError):
            session.add_user("Too Short", Role.NURSE, "short")
        with pytest.raises(ValidationError):
            session.add_user("   ", Role.NURSE, "long enough passphrase")
    finally:
        session.close()

    assert sorted(store.users()) == sorted([(first_id, USER_NAME), (second_id, OTHER_NAME)])

    second = store.unlock(second_id, OTHER_PASSPHRASE)
    try:
        assert second.user.user_id == second_id
        assert second.user.display_name == OTHER_NAME
        assert second.user.role is Role.SOCIAL_CARE_PRACTITIONER
        names = [u.display_name for u in second.users()]
        assert sorted(names) == sorted([USER_NAME, OTHER_NAME])
    finally:
        second.close()

    with pytest.raises(WrongPassphrase):
        store.unlock(second_id, PASSPHRASE)
    with pytest.raises(WrongPassphrase):
        store.unlock(first_id, OTHER_PASSPHRASE)
    with pytest.raises(UnknownUser):
        store.unlock("no-such-user", PASSPHRASE)


@pytest.mark.hazard("H-019")
def test_wrap_moved_to_another_user_does_not_open(vault_copy: Vault) -> None:
    """The associated data binds a wrap to its user: copying user A's wrap over user B's
    entry (changing only the user id) does not let A's passphrase sign in as B."""
    store, first_id, _ = vault_copy
    second_id = _add_second_user(store, first_id)

    body = json.loads(store.key_path.read_text(encoding="utf-8"))
    first_wrap = next(w for w in body["wraps"] if w["kind"] == USER and w["user_id"] == first_id)
    forged = dict(first_wrap, user_id=second_id, display_name=OTHER_NAME)
    body["wraps"] = [forged if (w["kind"] == USER and w["user_id"] == second_id) else w
                     for w in body["wraps"]]
    body.pop("checksum")  # a deliberate edit fixes the checksum: the AAD must still hold
    body["checksum"] = checksum(body)
    store.key_path.write_text(json.dumps(body, indent=2), encoding="utf-8")
    before = snapshot(store.folder)

    with pytest.raises(WrongPassphrase):
        store.unlock(second_id, PASSPHRASE)
    assert snapshot(store.folder) == before
    # Control: the edited file is otherwise fine, A's own wrap still opens.
    store.unlock(first_id, PASSPHRASE).close()


def test_change_passphrase_affects_only_that_user(vault_copy: Vault) -> None:
    """After a change the old passphrase fails and the new one works; the other user's
    wrap is byte-for-byte the same and their passphrase still works."""
    store, first_id, _ = vault_copy
    second_id = _add_second_user(store, first_id)
    second_wrap_before = _user_wraps(store)[second_id]

    session = store.unlock(first_id, PASSPHRASE)
    try:
        session.change_passphrase(PASSPHRASE, NEW_PASSPHRASE)
        with pytest.raises(ValidationError):
            session.change_passphrase(NEW_PASSPHRASE, "short")
    finally:
        session.close()

    assert _user_wraps(store)[second_id] == second_wrap_before
    with pytest.raises(WrongPassphrase):
        store.unlock(first_id, PASSPHRASE)
    store.unlock(first_id, NEW_PASSPHRASE).close()
    store.unlock(second_id, OTHER_PASSPHRASE).close()
    assert sorted(store.users()) == sorted([(first_id, USER_NAME), (second_id, OTHER_NAME)])


def test_wrong_current_passphrase_changes_nothing(vault_copy: Vault) -> None:
    """change_passphrase with a wrong current passphrase raises WrongPassphrase and leaves
    the key file (and the database) exactly as they were."""
    store, user_id, _ = vault_copy
    session = store.unlock(user_id, PASSPHRASE)
    try:
        key_before = snapshot(store.folder)["vault.key"]
        with pytest.raises(WrongPassphrase):
            session.change_passphrase("not my current passphrase", NEW_PASSPHRASE)
        assert snapshot(store.folder)["vault.key"] == key_before
    finally:
        session.close()
    store.unlock(user_id, PASSPHRASE).close()
    with pytest.raises(WrongPassphrase):
        store.unlock(user_id, NEW_PASSPHRASE)


@pytest.mark.hazard("H-034")
def test_recovery_code_typed_loosely_sets_new_passphrase(vault_copy: Vault) -> None:
    """The recovery code typed in lower case with spaces instead of dashes unlocks and sets
    the new passphrase; the old one stops working, other users are unaffected."""
    store, user_id, code = vault_copy
    second_id = _add_second_user(store, user_id)
    typed = code.lower().replace("-", " ")
    assert typed != code

    session = store.unlock_with_recovery(user_id, typed, NEW_PASSPHRASE)
    try:
        assert session.user.user_id == user_id
    finally:
        session.close()

    restarted = VaultStore(store.folder, kdf_cost=store.kdf_cost)
    with pytest.raises(WrongPassphrase):
        restarted.unlock(user_id, PASSPHRASE)
    restarted.unlock(user_id, NEW_PASSPHRASE).close()
    restarted.unlock(second_id, OTHER_PASSPHRASE).close()


def test_recovery_refuses_a_too_short_new_passphrase(vault_copy: Vault) -> None:
    """A new passphrase that breaks the rule is refused before anything changes."""
    store, user_id, code = vault_copy
    before = snapshot(store.folder)
    with pytest.raises(ValidationError):
        store.unlock_with_recovery(user_id, code, "short")
    assert snapshot(store.folder) == before


@pytest.mark.hazard("H-019")
def test_wrong_recovery_code_counts_as_failure(
    clocked_vault: Vault, fake_clock: FakeClock
) -> None:
    """A wrong recovery code is a failed attempt like a wrong passphrase: it is counted,
    it brings on the wait for passphrase unlocks too, and it changes no file."""
    store, user_id, code = clocked_vault
    before = snapshot(store.folder)
    wrong_code = "0000-0000-0000-0000-0000-0000-0000-0000"
    assert wrong_code != code

    with pytest.raises(WrongPassphrase):
        store.unlock_with_recovery(user_id, wrong_code, NEW_PASSPHRASE)
    assert store.throttle.failures == 1

    for _ in range(FREE_ATTEMPTS - 1):
        with pytest.raises(WrongPassphrase) as err:
            store.unlock_with_recovery(user_id, wrong_code, NEW_PASSPHRASE)
    assert store.throttle.failures == FREE_ATTEMPTS
    assert err.value.retry_after > 0
    assert snapshot(store.folder) == before

    with pytest.raises(UnlockThrottled):
        store.unlock(user_id, PASSPHRASE)
    fake_clock.advance(err.value.retry_after)
    store.unlock(user_id, PASSPHRASE).close()
    assert store.throttle.failures == 0
