"""Argon2id cost: the shipped default meets OWASP's minimum and is recorded with each wrap.

Mutation checks run by hand (each made the named test fail):
* ``kdf.DEFAULT_COST`` patched to ``KdfParams(16 * 1024, 1, 1, b"")`` ->
  ``test_default_cost_meets_owasp_minimum`` and ``test_default_cost_vault_records_parameters``.
* ``KdfParams.to_json`` patched to write ``memory_kib = 1`` ->
  ``test_default_cost_vault_records_parameters``.
* ``KdfParams.fresh`` patched to reuse one fixed salt -> the same test (salts must differ).
"""

from __future__ import annotations

import json
from pathlib import Path

from vault_test_helpers import PASSPHRASE, TEST_KDF, USER_NAME, DeriveCalls

from desktop_app.models.user import Role
from desktop_app.services.vault import VaultStore, kdf
from desktop_app.services.vault.kdf import DEFAULT_COST, KdfParams, derive_key
from desktop_app.services.vault.keyfile import RECOVERY, USER
from desktop_app.services.vault.vault import KEY_NAME

# OWASP Password Storage Cheat Sheet, Argon2id minimum: m = 19 MiB (19456 KiB), t = 2, p = 1.
OWASP_MEMORY_KIB = 19456
OWASP_ITERATIONS = 2


def test_default_cost_meets_owasp_minimum() -> None:
    """The shipped cost is at least OWASP's minimum, checked against the numbers here and
    not only through the module's own helper."""
    assert DEFAULT_COST.memory_kib >= OWASP_MEMORY_KIB
    assert DEFAULT_COST.iterations >= OWASP_ITERATIONS
    assert DEFAULT_COST.parallelism >= 1
    assert DEFAULT_COST.meets_owasp_minimum()
    # The helper itself draws the line in the right place.
    assert kdf.OWASP_MIN_MEMORY_KIB == OWASP_MEMORY_KIB
    assert KdfParams(OWASP_MEMORY_KIB, 2, 1, b"").meets_owasp_minimum()
    assert not KdfParams(OWASP_MEMORY_KIB - 1, 2, 1, b"").meets_owasp_minimum()
    assert not KdfParams(OWASP_MEMORY_KIB, 1, 1, b"").meets_owasp_minimum()
    # The cheap test cost is exactly the minimum, so even the tests never go below it.
    assert TEST_KDF.meets_owasp_minimum()


def test_default_cost_vault_records_parameters(
    tmp_path: Path, derive_calls: DeriveCalls
) -> None:
    """A vault created without a cost override stores DEFAULT_COST with every wrap (user and
    recovery), each with its own 16-byte salt; unlocking reads the cost from the file, so
    a store configured with another cost still opens it with the recorded one."""
    folder = tmp_path / "vault"
    created = VaultStore(folder).create(USER_NAME, Role.TEAM_LEAD, PASSPHRASE)
    user_id = created.session.user.user_id
    created.session.close()

    body = json.loads((folder / KEY_NAME).read_text(encoding="utf-8"))
    wraps = body["wraps"]
    assert sorted(w["kind"] for w in wraps) == sorted([USER, RECOVERY])
    salts = set()
    for wrap in wraps:
        params = wrap["kdf"]
        assert params["algorithm"] == "argon2id"
        assert params["memory_kib"] == DEFAULT_COST.memory_kib
        assert params["iterations"] == DEFAULT_COST.iterations
        assert params["parallelism"] == DEFAULT_COST.parallelism
        assert params["memory_kib"] >= OWASP_MEMORY_KIB
        assert params["iterations"] >= OWASP_ITERATIONS
        assert len(bytes.fromhex(params["salt"])) == kdf.SALT_BYTES
        salts.add(params["salt"])
    assert len(salts) == len(wraps), "every wrap has its own salt"

    calls_before = derive_calls.count
    VaultStore(folder, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE).close()
    used = derive_calls.calls[calls_before:]
    assert len(used) == 1
    assert used[0][1].memory_kib == DEFAULT_COST.memory_kib
    assert used[0][1].iterations == DEFAULT_COST.iterations


def test_a_derivation_at_the_default_cost_gives_a_full_key() -> None:
    """Argon2id runs at the shipped cost and yields a whole key (its time is
    ``benchmarks/vault.py``'s "bare Argon2id" figure: tests never time)."""
    assert len(derive_key(PASSPHRASE, KdfParams.fresh())) == kdf.KEY_BYTES
