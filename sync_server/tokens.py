"""Device tokens and enrolment codes: made from the OS's random source, kept only as SHA-256.

A device token is 32 random bytes (URL-safe text); hashing it without a salt is enough
because nobody can guess 256 bits, and it lets a request find its device by an index.
An enrolment code is 80 random bits in Crockford's base32 (no I, L, O, U), four groups of
four, short enough to read over the phone and still far beyond guessing before it expires.
Its first group is also kept in clear (``enrolment_code.prefix``): wrong codes that share it
count against that code (auth.py), and the 60 bits left are still beyond guessing.
"""

from __future__ import annotations

import hashlib
import secrets

TOKEN_PREFIX = "scpd_"
_CODE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
_CODE_LENGTH = 16
CODE_GROUP = 4  # characters in each dash-separated group


def digest(secret: str) -> str:
    """The SHA-256 (hex) kept in place of a token or code."""
    return hashlib.sha256(secret.encode("utf-8")).hexdigest()


def new_device_token() -> str:
    """A fresh device token, shown to the laptop once."""
    return TOKEN_PREFIX + secrets.token_urlsafe(32)


def new_enrolment_code() -> str:
    """A fresh one-time code like ``7KQ2-M9XD-4RTB-0WZH``."""
    raw = "".join(secrets.choice(_CODE_ALPHABET) for _ in range(_CODE_LENGTH))
    return "-".join(raw[i:i + CODE_GROUP] for i in range(0, _CODE_LENGTH, CODE_GROUP))


def normalise_code(code: str) -> str:
    """A code as typed (any case, with or without dashes or spaces) in its canonical form."""
    raw = "".join(ch for ch in code.upper() if ch.isalnum())
    return "-".join(raw[i:i + CODE_GROUP] for i in range(0, len(raw), CODE_GROUP))
