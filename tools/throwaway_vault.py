"""The key derivation cost and the audit key of a throwaway vault (tests, benchmarks, tools).

Argon2id at the production cost takes ~0.4 s a vault; a vault nobody will keep uses OWASP's
minimum (m = 19 MiB, t = 2, p = 1), never less. The salt comes fresh with each wrap.

A bare engine (not opened through the vault) has no audit key, and the app refuses to write
audit rows without one (``services.core.audit``): tools and tests that build one give it a
throwaway key with ``give_throwaway_audit_key``.
"""

from __future__ import annotations

import os

from sqlalchemy import Engine

from desktop_app.services.core.audit import AUDIT_KEY_BYTES, AuditKeying
from desktop_app.services.vault.database import attach_audit_keying
from desktop_app.services.vault.kdf import KdfParams

CHEAP_KDF = KdfParams(memory_kib=19 * 1024, iterations=2, parallelism=1, salt=b"")


def throwaway_keying() -> AuditKeying:
    """A fresh random audit key, keying the chain from its first row."""
    return AuditKeying(os.urandom(AUDIT_KEY_BYTES))


def give_throwaway_audit_key(engine: Engine) -> AuditKeying:
    """Put a throwaway audit key on ``engine``'s connection; returns it."""
    keying = throwaway_keying()
    attach_audit_keying(engine, keying)
    return keying
