"""Unlocking: the right passphrase opens; wrong ones change nothing and slow down.

The throttle reads a fake clock (``clocked_vault``), so the growing waits cost no real time.

Mutation checks run by hand (each made the named test fail):
* ``VaultStore._wrong`` patched to also rewrite the key file with another wrap ->
  ``test_ten_wrong_passphrases_change_nothing_and_slow_down`` (a wrong attempt rewrites
  the key file's counter, issue 20, and nothing else).
* ``throttle.delay_after`` patched to return 0 -> the same test (no growth) and
  ``test_throttled_attempt_runs_no_argon2``.
* ``VaultStore._check_throttle`` moved after the key derivation (patched ``unlock`` that
  derives first) -> ``test_throttled_attempt_runs_no_argon2``.
* ``UnlockThrottle.__init__`` wrapped to give every store object its own counter file (a
  counter that does not outlive the object) -> ``test_counter_survives_restart``.
* ``UnlockThrottle.reset`` replaced by a no-op -> ``test_successful_unlock_resets_counter``.
* ``throttle._legacy_failures`` patched to return (0, 0.0) for a file that is not JSON ->
  ``test_damaged_counter_is_treated_as_maximal`` (the non-JSON cases).
* the old "clock() + 300 s on every read" for a damaged file ->
  ``test_damaged_counter_wait_ends``.
(The counter in the key file: tests/services/test_audit_witness.py.)
"""

from __future__ import annotations

import json

import pytest
from vault_test_helpers import PASSPHRASE, USER_NAME, DeriveCalls, FakeClock, snapshot

from desktop_app.services.core.errors import UnlockThrottled, WrongPassphrase
from desktop_app.services.vault import VaultStore
from desktop_app.services.vault.throttle import FREE_ATTEMPTS, MAX_DELAY_SECONDS, delay_after
from desktop_app.services.vault.vault import ATTEMPTS_NAME, DB_NAME, KEY_NAME

Vault = tuple[VaultStore, str, str]


def test_right_passphrase_unlocks(clocked_vault: Vault) -> None:
    """The right passphrase opens the vault as that user and leaves no failure counted."""
    store, user_id, _ = clocked_vault
    session = store.unlock(user_id, PASSPHRASE)
    try:
        assert session.user.user_id == user_id
        assert session.user.display_name == USER_NAME
        assert session.migration is not None and session.migration.backup is None
    finally:
        session.close()
    assert store.throttle.failures == 0
    assert not (store.folder / ATTEMPTS_NAME).exists()


@pytest.mark.hazard("H-019")
@pytest.mark.hazard("H-025")
def test_ten_wrong_passphrases_change_nothing_and_slow_down(
    clocked_vault: Vault, fake_clock: FakeClock, derive_calls: DeriveCalls
) -> None:
    """Ten wrong passphrases: each raises WrongPassphrase (or UnlockThrottled if tried before
    the wait is over); database, WAL/SHM keep their sha256 and mtime, the key file all but
    its counter; no file appears; the wait never shrinks and ends larger than it started."""
    store, user_id, _ = clocked_vault
    folder = store.folder
    before = snapshot(folder)
    assert set(before) == {DB_NAME, KEY_NAME}, "the template vault is closed: no -wal/-shm"

    delays: list[float] = []
    throttled = 0
    for attempt in range(10):
        wrong = f"wrong passphrase number {attempt}"
        if delays and delays[-1] > 0:
            # Trying before the wait is over is refused outright...
            with pytest.raises(UnlockThrottled) as early:
                store.unlock(user_id, wrong)
            assert early.value.retry_after == pytest.approx(delays[-1])
            throttled += 1
            # ...and so is trying a moment too soon.
            fake_clock.advance(delays[-1] - 0.5)
            with pytest.raises(UnlockThrottled) as almost:
                store.unlock(user_id, wrong)
            assert almost.value.retry_after == pytest.approx(0.5)
            fake_clock.advance(0.5)
        with pytest.raises(WrongPassphrase) as err:
            store.unlock(user_id, wrong)
        delays.append(err.value.retry_after)

    assert snapshot(folder) == before
    assert sorted(p.name for p in folder.iterdir()) == sorted([DB_NAME, KEY_NAME])
    assert store.throttle.failures == 10
    assert all(later >= earlier for earlier, later in zip(delays, delays[1:], strict=False))
    assert delays[-1] > delays[0]
    assert delays[:FREE_ATTEMPTS - 1] == [0.0] * (FREE_ATTEMPTS - 1), "a few typos are free"
    assert delays[-1] >= 60, delays
    assert throttled == 10 - FREE_ATTEMPTS
    assert derive_calls.count == 10, "only the ten allowed attempts ran Argon2id"
    print("\nretry_after after each of ten wrong passphrases:", delays)


def test_throttled_attempt_runs_no_argon2(
    clocked_vault: Vault, fake_clock: FakeClock, derive_calls: DeriveCalls
) -> None:
    """While the wait runs, unlock (even with the right passphrase) and recovery are
    refused before any Argon2id derivation, so waiting cannot be skipped by retrying."""
    store, user_id, code = clocked_vault
    for n in range(FREE_ATTEMPTS):
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, f"not the passphrase {n}")
    wait = store.throttle.wait_remaining()
    assert wait > 0
    calls = derive_calls.count
    assert calls == FREE_ATTEMPTS

    before = snapshot(store.folder)
    with pytest.raises(UnlockThrottled) as err:
        store.unlock(user_id, "yet another wrong guess")
    assert err.value.retry_after == pytest.approx(wait)
    with pytest.raises(UnlockThrottled):
        store.unlock(user_id, PASSPHRASE)
    with pytest.raises(UnlockThrottled):
        store.unlock_with_recovery(user_id, code, "a new passphrase for later")
    assert derive_calls.count == calls
    assert store.throttle.failures == FREE_ATTEMPTS, "refused attempts are not counted"
    assert snapshot(store.folder) == before

    fake_clock.advance(wait)
    store.unlock(user_id, PASSPHRASE).close()
    assert derive_calls.count == calls + 1


@pytest.mark.hazard("H-019")
def test_counter_survives_restart(clocked_vault: Vault, fake_clock: FakeClock) -> None:
    """A new VaultStore on the same folder (an app restart) sees the same failures and
    the same wait, and refuses an early attempt."""
    store, user_id, _ = clocked_vault
    for n in range(FREE_ATTEMPTS + 2):
        fake_clock.advance(store.throttle.wait_remaining())
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, f"not the passphrase {n}")
    failures, wait = store.throttle.failures, store.throttle.wait_remaining()
    assert failures == FREE_ATTEMPTS + 2 and wait > 0

    restarted = VaultStore(store.folder, kdf_cost=store.kdf_cost, clock=fake_clock)
    assert restarted.throttle.failures == failures
    assert restarted.throttle.wait_remaining() == pytest.approx(wait)
    with pytest.raises(UnlockThrottled) as err:
        restarted.unlock(user_id, PASSPHRASE)
    assert err.value.retry_after == pytest.approx(wait)

    # The count goes on from where it was, not from zero.
    fake_clock.advance(wait)
    with pytest.raises(WrongPassphrase) as wrong:
        restarted.unlock(user_id, "still not the passphrase")
    assert wrong.value.retry_after > wait
    assert restarted.throttle.failures == failures + 1


def test_successful_unlock_resets_counter(clocked_vault: Vault, fake_clock: FakeClock) -> None:
    """After the right passphrase the counter is gone: the next typo is free again."""
    store, user_id, _ = clocked_vault
    for n in range(FREE_ATTEMPTS + 1):
        fake_clock.advance(store.throttle.wait_remaining())
        with pytest.raises(WrongPassphrase):
            store.unlock(user_id, f"not the passphrase {n}")
    assert store.throttle.failures == FREE_ATTEMPTS + 1

    fake_clock.advance(store.throttle.wait_remaining())
    store.unlock(user_id, PASSPHRASE).close()
    assert store.throttle.failures == 0
    assert store.throttle.wait_remaining() == 0
    assert not (store.folder / ATTEMPTS_NAME).exists()

    with pytest.raises(WrongPassphrase) as err:
        store.unlock(user_id, "one fresh typo here")
    assert err.value.retry_after == 0


def _damage_counter(store: VaultStore, damage: bytes, clock: FakeClock) -> None:
    """Write a damaged counter file (``clock`` kept for symmetry with the other helpers)."""
    path = store.folder / ATTEMPTS_NAME
    path.write_bytes(damage)


DAMAGED_COUNTERS = [b"", b"not json", b"{}", b'{"failures": "many", "not_before": 0}',
                    b"\xff\xfe\x00", b'{"failures": 1}', b"[1, 2]"]
DAMAGED_IDS = ["empty", "not-json", "no-fields", "bad-number", "binary", "half", "wrong-shape"]


@pytest.mark.hazard("H-019")
@pytest.mark.parametrize("damage", DAMAGED_COUNTERS, ids=DAMAGED_IDS)
def test_damaged_counter_is_treated_as_maximal(
    clocked_vault: Vault, fake_clock: FakeClock, derive_calls: DeriveCalls, damage: bytes
) -> None:
    """A damaged counter file (an older version's) means "many failures, full wait", never
    "no failures": the right passphrase is refused (before Argon2id); it is taken into the
    key file once as maximal (and removed), so the wait is counted on the throttle's own
    clock."""
    store, user_id, _ = clocked_vault
    _damage_counter(store, damage, fake_clock)

    assert delay_after(store.throttle.failures) == MAX_DELAY_SECONDS
    assert store.throttle.wait_remaining() == pytest.approx(MAX_DELAY_SECONDS)
    with pytest.raises(UnlockThrottled) as err:
        store.unlock(user_id, PASSPHRASE)
    assert err.value.retry_after == pytest.approx(MAX_DELAY_SECONDS)
    fake_clock.advance(MAX_DELAY_SECONDS / 2)
    with pytest.raises(UnlockThrottled):
        store.unlock(user_id, PASSPHRASE)
    assert derive_calls.count == 0
    assert not (store.folder / ATTEMPTS_NAME).exists()
    counter = json.loads(store.key_path.read_text(encoding="utf-8"))["attempts"]
    assert delay_after(counter["failures"]) == MAX_DELAY_SECONDS
    assert counter["not_before"] == pytest.approx(fake_clock.now - MAX_DELAY_SECONDS / 2
                                                  + MAX_DELAY_SECONDS)


def test_damaged_counter_wait_ends(clocked_vault: Vault, fake_clock: FakeClock) -> None:
    """Maximal means the maximal wait, not a lockout for ever: once MAX_DELAY_SECONDS have
    passed a wrong passphrase is still counted as one failure too many (full wait again),
    and after that wait the right passphrase opens the vault and clears the counter.

    (Before commit e07b87b the damaged file was re-read as "now + 300 s" on every check,
    so this test failed: the vault could never be unlocked again.)"""
    store, user_id, _ = clocked_vault
    _damage_counter(store, b"not json", fake_clock)

    # The wait runs from when the damage is first seen (the file is then rewritten).
    assert store.throttle.wait_remaining() == pytest.approx(MAX_DELAY_SECONDS)
    fake_clock.advance(MAX_DELAY_SECONDS)
    with pytest.raises(WrongPassphrase) as err:
        store.unlock(user_id, "still guessing here")
    assert err.value.retry_after == MAX_DELAY_SECONDS

    fake_clock.advance(err.value.retry_after)
    store.unlock(user_id, PASSPHRASE).close()
    assert not (store.folder / ATTEMPTS_NAME).exists()
