"""The key derivation cost of a throwaway vault (tests, benchmarks, sample tools).

Argon2id at the production cost takes ~0.4 s a vault; a vault nobody will keep uses OWASP's
minimum (m = 19 MiB, t = 2, p = 1), never less. The salt comes fresh with each wrap.
"""

from __future__ import annotations

from desktop_app.services.vault.kdf import KdfParams

CHEAP_KDF = KdfParams(memory_kib=19 * 1024, iterations=2, parallelism=1, salt=b"")
