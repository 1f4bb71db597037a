"""The key file: the database key, wrapped once per user and once under a recovery code.

The database key is 32 random bytes. It is never stored in the clear: each wrap encrypts
it with AES-256-GCM under a key derived by Argon2id from a passphrase (or the recovery
code). The associated data binds each wrap to this vault and to its owner, so a wrap
copied from another file or another user does not open. The file holds staff display
names (to offer a choice at sign-in) but no patient data.

**Format 2** adds, beside the wraps:

- ``checksum``: SHA-256 over the file's canonical content (every other field, keys sorted,
  compact JSON). Accidental damage anywhere (one flipped bit in a wrap, a salt, the
  vault id, a KDF setting, the counter) is reported as a damaged key file
  (``KeyFileCorrupt``: restore it from backup), never as a wrong passphrase, and is not
  counted as a wrong attempt. It is a checksum, not a signature: someone editing the file
  on purpose can fix it, which the wraps' AES-GCM and the witness's MAC still catch.
- ``attempts``: the wrong-passphrase counter (``Attempts``; ``throttle.py``), so deleting a
  file beside the vault no longer resets the delay.
- ``audit_key``: the audit chain's key (32 random bytes, ``services.core.audit``), sealed
  with AES-256-GCM under a key derived by HKDF-SHA256 from the database key, the associated
  data binding it to this vault. Every user's passphrase and the recovery code reach the
  database key, so all of them reach the audit key, and a passphrase change or a new user
  does not touch it.
- ``witness``: the audit chain's head as last verified (``Witness``), with an HMAC under
  the audit key (``services.vault.witness``).

A format-1 file (no checksum, counter in ``unlock-attempts.json``) still opens; it becomes
format 2 at its first write (a wrong attempt, or the next successful unlock, which adds the
audit key and the witness). The wraps' associated data keeps its ``/1``: wraps are never
re-sealed by the format change.
"""

from __future__ import annotations

import base64
import hashlib
import hmac
import json
import math
import os
import secrets
import uuid
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from desktop_app.services.core.atomic import remove_stale_temps, write_atomic
from desktop_app.services.core.errors import KeyFileCorrupt, StorageError, UnknownUser
from desktop_app.services.vault.kdf import KdfParams, derive_key

FORMAT = "shared-care-planner-keyfile"
FORMAT_VERSION = 2
READABLE_VERSIONS = (1, 2)
WRAP_AAD_VERSION = 1  # in every wrap's associated data since format 1; never changes
NONCE_BYTES = 12
WRAPPED_KEY_BYTES = 32 + 16  # the key and the GCM tag
AUDIT_KEY_INFO = b"shared-care-planner audit key wrap"
RECOVERY = "recovery"
USER = "user"
# Crockford's base32 alphabet: no I, L, O or U, so a handwritten code is read back right.
RECOVERY_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"
RECOVERY_GROUPS = 8
RECOVERY_GROUP_LEN = 4
DAMAGED = ("The key file is damaged and cannot be read. The database has not been touched. "
           "Restore the key file from a backup or contact IT support.")


class BadSecret(Exception):
    """The secret did not decrypt this wrap (internal; the vault turns it into an error)."""


def _b64(data: bytes) -> str:
    return base64.b64encode(data).decode("ascii")


def _unb64(text: Any) -> bytes:
    return base64.b64decode(str(text), validate=True)


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
            "nonce": _b64(self.nonce),
            "ciphertext": _b64(self.ciphertext),
        }

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Wrap:
        """Parse one wrap; raises KeyError or ValueError when malformed."""
        wrap = cls(
            kind=str(data["kind"]),
            user_id=str(data["user_id"]),
            display_name=str(data["display_name"]),
            kdf=KdfParams.from_json(data["kdf"]),
            nonce=_unb64(data["nonce"]),
            ciphertext=_unb64(data["ciphertext"]),
        )
        if wrap.kind not in (USER, RECOVERY):
            raise ValueError("unknown wrap kind")
        if len(wrap.nonce) != NONCE_BYTES or len(wrap.ciphertext) != WRAPPED_KEY_BYTES:
            raise ValueError("wrap has the wrong size")
        return wrap


def _aad(vault_id: str, kind: str, user_id: str) -> bytes:
    return f"{FORMAT}/{WRAP_AAD_VERSION}|{vault_id}|{kind}|{user_id}".encode()


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
class Attempts:
    """The wrong-passphrase counter: consecutive failures, when the next try is allowed
    (the throttle's clock), and the total of wrong attempts ever (it only grows)."""

    failures: int = 0
    not_before: float = 0.0
    total: int = 0

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form."""
        return {"failures": self.failures, "not_before": self.not_before, "total": self.total}

    @classmethod
    def from_json(cls, data: Any) -> Attempts | None:
        """The counter, or None when it is missing or malformed (the throttle treats that
        as many failures, never as none)."""
        try:
            attempts = cls(int(data["failures"]), float(data["not_before"]), int(data["total"]))
        except (KeyError, TypeError, ValueError):
            return None
        if attempts.failures < 0 or attempts.total < 0 or not math.isfinite(attempts.not_before):
            return None
        return attempts


@dataclass(frozen=True)
class SealedKey:
    """The audit key sealed under a key derived from the database key."""

    nonce: bytes
    ciphertext: bytes

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form (bytes as base64)."""
        return {"nonce": _b64(self.nonce), "ciphertext": _b64(self.ciphertext)}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> SealedKey:
        """Parse; raises KeyError or ValueError when malformed."""
        sealed = cls(_unb64(data["nonce"]), _unb64(data["ciphertext"]))
        if len(sealed.nonce) != NONCE_BYTES or len(sealed.ciphertext) != WRAPPED_KEY_BYTES:
            raise ValueError("the audit key has the wrong size")
        return sealed


def _audit_kek(db_key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=AUDIT_KEY_INFO).derive(db_key)


def _audit_aad(vault_id: str) -> bytes:
    return f"{FORMAT}/audit|{vault_id}".encode()


def seal_audit_key(vault_id: str, db_key: bytes, audit_key: bytes) -> SealedKey:
    """Seal the audit key for this vault under the database key (HKDF, then AES-256-GCM)."""
    nonce = os.urandom(NONCE_BYTES)
    ciphertext = AESGCM(_audit_kek(db_key)).encrypt(nonce, audit_key, _audit_aad(vault_id))
    return SealedKey(nonce, ciphertext)


def open_audit_key(vault_id: str, db_key: bytes, sealed: SealedKey) -> bytes:
    """The audit key; BadSecret when the sealed key was changed or is another vault's."""
    try:
        return AESGCM(_audit_kek(db_key)).decrypt(sealed.nonce, sealed.ciphertext,
                                                  _audit_aad(vault_id))
    except InvalidTag:
        raise BadSecret() from None


@dataclass(frozen=True)
class Witness:
    """The audit chain as last verified: keyed from which seq, its head, the breaks already
    told, and the wrong-attempt counts at that moment; ``mac`` is an HMAC-SHA256 under the
    audit key over all of it and the vault id (``services.vault.witness``)."""

    keyed_from: int
    seq: int
    event_id: str
    hash: str
    at: str
    breaks: tuple[str, ...] = ()
    attempts_total: int = 0
    attempts_failures: int = 0
    mac: str = ""

    def content(self) -> dict[str, Any]:
        """Every field but the MAC, JSON-safe."""
        return {"keyed_from": self.keyed_from, "seq": self.seq, "event_id": self.event_id,
                "hash": self.hash, "at": self.at, "breaks": list(self.breaks),
                "attempts_total": self.attempts_total,
                "attempts_failures": self.attempts_failures}

    def _mac(self, audit_key: bytes, vault_id: str) -> str:
        message = _canonical({"vault_id": vault_id, "witness": self.content()})
        return hmac.new(audit_key, message, hashlib.sha256).hexdigest()

    def signed(self, audit_key: bytes, vault_id: str) -> Witness:
        """A copy carrying the MAC of its content under ``audit_key``."""
        return replace(self, mac=self._mac(audit_key, vault_id))

    def verifies(self, audit_key: bytes, vault_id: str) -> bool:
        """True when the MAC is the one ``audit_key`` gives this content."""
        return hmac.compare_digest(self.mac, self._mac(audit_key, vault_id))

    def to_json(self) -> dict[str, Any]:
        """JSON-safe form, with the MAC."""
        return {**self.content(), "mac": self.mac}

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> Witness:
        """Parse; raises KeyError, TypeError or ValueError when malformed."""
        breaks = data["breaks"]
        if not isinstance(breaks, list):
            raise ValueError("witness breaks must be a list")
        return cls(int(data["keyed_from"]), int(data["seq"]), str(data["event_id"]),
                   str(data["hash"]), str(data["at"]), tuple(str(b) for b in breaks),
                   int(data["attempts_total"]), int(data["attempts_failures"]),
                   str(data["mac"]))


def _canonical(body: Any) -> bytes:
    return json.dumps(body, sort_keys=True, separators=(",", ":"),
                      ensure_ascii=True).encode("ascii")


def checksum(body: dict[str, Any]) -> str:
    """SHA-256 (hex) of the canonical form of a key file's content (without the checksum)."""
    return hashlib.sha256(_canonical(body)).hexdigest()


@dataclass(frozen=True)
class KeyFile:
    """The parsed key file: the vault's id, its wraps and (format 2) its counter, audit key
    and witness. ``format_version`` is the version it was read as."""

    vault_id: str
    wraps: tuple[Wrap, ...]
    attempts: Attempts | None = Attempts()
    audit_key: SealedKey | None = None
    witness: Witness | None = None
    format_version: int = FORMAT_VERSION

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

    def body(self) -> dict[str, Any]:
        """The content the checksum covers (always written as the current format)."""
        body: dict[str, Any] = {
            "format": FORMAT,
            "format_version": FORMAT_VERSION,
            "vault_id": self.vault_id,
            "wraps": [w.to_json() for w in self.wraps],
            "attempts": (self.attempts or Attempts()).to_json(),
        }
        if self.audit_key is not None:
            body["audit_key"] = self.audit_key.to_json()
        if self.witness is not None:
            body["witness"] = self.witness.to_json()
        return body

    def to_bytes(self) -> bytes:
        """Serialised file content: the body and its checksum, indented for a reader."""
        body = self.body()
        return (json.dumps({**body, "checksum": checksum(body)}, indent=2) + "\n").encode("ascii")

    @classmethod
    def from_bytes(cls, raw: bytes) -> KeyFile:
        """Parse file content; KeyFileCorrupt when it is not a key file we can read or (from
        format 2) its checksum does not match its content."""
        try:
            body = json.loads(raw.decode("utf-8"))
            if not isinstance(body, dict) or body.get("format") != FORMAT:
                raise ValueError("not a key file")
            version = body.get("format_version")
            if version not in READABLE_VERSIONS or type(version) is not int:
                raise ValueError("unknown key file format")
            if version >= 2:
                stored = body.pop("checksum", None)
                if not isinstance(stored, str) or not hmac.compare_digest(stored,
                                                                          checksum(body)):
                    raise ValueError("the key file's checksum does not match its content")
            wraps = tuple(Wrap.from_json(w) for w in body["wraps"])
            if version == 1:
                return cls(vault_id=str(body["vault_id"]), wraps=wraps, attempts=None,
                           format_version=1)
            audit = body.get("audit_key")
            witness = body.get("witness")
            return cls(
                vault_id=str(body["vault_id"]), wraps=wraps,
                attempts=Attempts.from_json(body.get("attempts")),
                audit_key=None if audit is None else SealedKey.from_json(audit),
                witness=None if witness is None else Witness.from_json(witness),
                format_version=version,
            )
        except (ValueError, KeyError, TypeError, UnicodeDecodeError) as err:
            raise KeyFileCorrupt(DAMAGED) from err


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
