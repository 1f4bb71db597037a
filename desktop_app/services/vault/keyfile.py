"""The key file: the database key, wrapped once per user and once under a recovery code.

The database key is 32 random bytes. It is never stored in the clear: each wrap encrypts
it with AES-256-GCM under a key derived by Argon2id from a passphrase (or the recovery
code). The associated data binds each wrap to this vault and to its owner, so a wrap
copied from another file or another user does not open. The file holds staff display
names (to offer a choice at sign-in) but no patient data.
"""

from __future__ import annotations

import base64
import json
import os
import secrets
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives.ciphers.aead import AESGCM

from desktop_app.services.core.atomic import remove_stale_temps, write_atomic
from desktop_app.services.core.errors import KeyFileCorrupt, StorageError, UnknownUser
from desktop_app.services.vault.kdf import KdfParams, derive_key

FORMAT = "shared-care-planner-keyfile"
FORMAT_VERSION = 1
NONCE_BYTES = 12
WRAPPED_KEY_BYTES = 32 + 16  # the key and the GCM tag
RECOVERY = "recovery"
USER = "user"
# Crockford's base32 alphabet: no I, L, O or U, so a handwritten code is read back right.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_GROUPS = 8
RECOVERY_GROUP_LEN = 4


class BadSecret(Exception):
    """The secret did not decrypt this wrap (internal; the vault turns it into an error)."""


@dataclass(frozen=True)
class Wrap:
    """The database key encrypted under one secret."""

    kind: str
    user_id: str
    display_name: str
    kdf: KdfParams
    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (bytes as base64)."""
        return {
            "kind": self.kind,
            "user_id": self.user_id,
            "display_name": self.display_name,
            "kdf": self.kdf.to_json(),
            "nonce": base64.b64encode(self.nonce).decode("ascii"),
            "ciphertext": base64.b64encode(self.ciphertext).decode("ascii"),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Wrap:
        """Parse one wrap; raises KeyError or ValueError when malformed."""
        wrap = cls(
            kind=str(data["kind"]),
            user_id=str(data["user_id"]),
            display_name=str(data["display_name"]),
            kdf=KdfParams.from_json(data["kdf"]),
            nonce=base64.b64decode(data["nonce"], validate=True),
            ciphertext=base64.b64decode(data["ciphertext"], validate=True),
        )
        if wrap.kind not in (USER, RECOVERY):
            raise ValueError("unknown wrap kind")
        if len(wrap.nonce) != NONCE_BYTES or len(wrap.ciphertext) != WRAPPED_KEY_BYTES:
            raise ValueError("wrap has the wrong size")
        return wrap


def _aad(vault_id: str, kind: str, user_id: str) -> bytes:
    return f"{FORMAT}/{FORMAT_VERSION}|{vault_id}|{kind}|{user_id}".encode()


def seal(
    vault_id: str,
    kind: str,
    user_id: str,
    display_name: str,
    db_key: bytes,
    secret: str,
    cost: KdfParams | None = None,
) -> Wrap:
    """Wrap ``db_key`` under ``secret`` with a fresh salt and nonce."""
    kdf = KdfParams.fresh(cost)
    nonce = os.urandom(NONCE_BYTES)
    kek = derive_key(secret, kdf)
    ciphertext = AESGCM(kek).encrypt(nonce, db_key, _aad(vault_id, kind, user_id))
    return Wrap(kind, user_id, display_name, kdf, nonce, ciphertext)


def open_wrap(vault_id: str, wrap: Wrap, secret: str) -> bytes:
    """Unwrap the database key; raises BadSecret when the secret is wrong."""
    kek = derive_key(secret, wrap.kdf)
    try:
        return AESGCM(kek).decrypt(
            wrap.nonce, wrap.ciphertext, _aad(vault_id, wrap.kind, wrap.user_id)
        )
    except InvalidTag:
        raise BadSecret() from None


@dataclass(frozen=True)
class KeyFile:
    """The parsed key file: the vault's id and its wraps."""

    vault_id: str
    wraps: tuple[Wrap, ...]

    @classmethod
    def new(cls) -> KeyFile:
        """An empty key file for a new vault."""
        return cls(vault_id=str(uuid.uuid4()), wraps=())

    def user_wrap(self, user_id: str) -> Wrap:
        """The wrap of one user; UnknownUser when there is none."""
        for wrap in self.wraps:
            if wrap.kind == USER and wrap.user_id == user_id:
                return wrap
        raise UnknownUser("That user has no key on this laptop. Choose another user.")

    def recovery_wrap(self) -> Wrap:
        """The wrap under the recovery code."""
        for wrap in self.wraps:
            if wrap.kind == RECOVERY:
                return wrap
        raise KeyFileCorrupt("The key file has no recovery entry.")

    def users(self) -> list[tuple[str, str]]:
        """(user id, display name) of every user who can sign in, in file order."""
        return [(w.user_id, w.display_name) for w in self.wraps if w.kind == USER]

    def with_wrap(self, wrap: Wrap) -> KeyFile:
        """A copy with ``wrap`` added or replacing the same kind and user."""
        kept = tuple(w for w in self.wraps if (w.kind, w.user_id) != (wrap.kind, wrap.user_id))
        return replace(self, wraps=kept + (wrap,))

    def to_bytes(self) -> bytes:
        """Serialised file content."""
        body = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "vault_id": self.vault_id,
            "wraps": [w.to_json() for w in self.wraps],
        }
        return (json.dumps(body, indent=2) + "\n").encode("utf-8")

    @classmethod
    def from_bytes(cls, raw: bytes) -> KeyFile:
        """Parse file content; KeyFileCorrupt when it is not a key file we can read."""
        try:
            body = json.loads(raw.decode("utf-8"))
            if body.get("format") != FORMAT or body.get("format_version") != FORMAT_VERSION:
                raise ValueError("unknown key file format")
            wraps = tuple(Wrap.from_json(w) for w in body["wraps"])
            return cls(vault_id=str(body["vault_id"]), wraps=wraps)
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
            raise KeyFileCorrupt(
                "The key file is damaged and cannot be read. The database has not been "
                "touched. Restore the key file from a backup or contact IT support."
            ) from err


def read_key_file(path: Path) -> KeyFile:
    """Read the key file, removing any temp file a crash left during a rewrite."""
    remove_stale_temps(path)
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise
    except OSError as err:
        raise StorageError(f"The key file cannot be read ({err.strerror}).") from err
    return KeyFile.from_bytes(raw)


def write_key_file(path: Path, key_file: KeyFile) -> None:
    """Write the key file atomically: old or new survives a crash, never neither."""
    try:
        write_atomic(path, key_file.to_bytes())
    except OSError as err:
        raise StorageError(f"The key file could not be saved ({err.strerror}).") from err


def new_recovery_code() -> str:
    """A 160-bit recovery code in eight groups of four, e.g. ``7K2M-...``."""
    chars = "".join(
        secrets.choice(RECOVERY_ALPHABET) for _ in range(RECOVERY_GROUPS * RECOVERY_GROUP_LEN)
    )
    groups = [chars[i : i + RECOVERY_GROUP_LEN] for i in range(0, len(chars), RECOVERY_GROUP_LEN)]
    return "-".join(groups)


def normalise_recovery_code(typed: str) -> str:
    """Accept a typed code with spaces, lower case or look-alike letters."""
    cleaned = "".join(ch for ch in typed.upper() if ch.isalnum())
    cleaned = cleaned.replace("O", "0").replace("I", "1").replace("L", "1")
    groups = [
        cleaned[i : i + RECOVERY_GROUP_LEN] for i in range(0, len(cleaned), RECOVERY_GROUP_LEN)
    ]
    return "-".join(groups)
