"""Console accounts (issue 21): who may sign in to the store's web console, and with what.

Accounts are separate from laptop users: NHS IT (``it_admin``) and the IPCB
(``ipcb_governance``). The first account is made with the command line
(``shared-care-store create-console-account``); so is a reset after a lost phone.

- **Password**: ``MIN_PASSWORD`` to ``MAX_PASSWORD`` characters, not the username, and not
  one of the commonest passwords (``COMMON_PASSWORDS``, the long ones of the lists breached
  passwords are guessed from; the NCSC's advice is to refuse those); stored as an Argon2id
  hash (argon2-cffi's ``PasswordHasher`` defaults: 3 passes over 64 MiB, 4 lanes),
  rehashed on sign-in when those defaults grow.
- **Second factor**: TOTP (RFC 6238: 30 s steps, 6 digits), from any authenticator app.
  The step before and after the current one are accepted (clock drift), and a step is
  never accepted twice (``totp_last_step``): a code seen over a shoulder or replayed from
  a log is worthless once used.
- **The TOTP secret at rest**: with ``SCP_CONSOLE_SECRET_KEY_FILE`` naming a key file (32
  bytes or more, readable by the store's user only, kept out of the database and its
  backups), each secret is stored AES-256-GCM encrypted (``enc1:<key id>:<base64>``) with
  the account's id as associated data, so a copy of the database (a backup, a replica)
  does not give away second factors, and a secret moved to another account's row does not
  decrypt. Without the file secrets are kept in plain text, and ``verify-store-audit``
  says so; a plain secret is encrypted at its account's next sign-in once a key is set,
  or at once by ``encrypt-console-secrets``.

Signing in (limits, lock, audit) is sign_in.py's; everything here works on a session in
the caller's transaction.
"""

from __future__ import annotations

import base64
import datetime as dt
import hashlib
import hmac
import os
import re
import secrets
from functools import lru_cache
from pathlib import Path

import pyotp
from argon2 import PasswordHasher
from argon2.exceptions import InvalidHashError, VerificationError, VerifyMismatchError
from cryptography.exceptions import InvalidTag
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives.ciphers.aead import AESGCM
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from sqlalchemy import delete, func, select, update
from sqlalchemy.orm import Session

from sync_server.config import CONSOLE_SECRET_KEY_FILE_ENV
from sync_server.models import (
    CONSOLE_ROLES,
    ConsoleAccount,
    ConsoleSession,
    ConsoleSignInFailure,
    new_id,
    utc_now,
)

ROLE_NAMES = {"it_admin": "IT administrator", "ipcb_governance": "IPCB governance"}
MIN_PASSWORD = 12
MAX_PASSWORD = 1024  # longer is refused before Argon2 sees it
TOTP_STEP = 30
TOTP_DIGITS = 6
ISSUER = "Shared Care Planner store"
MIN_SECRET_KEY_BYTES = 32
ENCRYPTED = "enc1"
_USERNAME = re.compile(r"^[a-z0-9][a-z0-9._-]{1,63}$")
_CODE = re.compile(r"^\d{6}$")
_SQUASH = re.compile(r"[\s._\-!@#$%^&*]+")

# The passwords of at least 12 characters that lead the breached-password lists (compared
# lower-cased, without spaces and punctuation): the first a guesser tries.
COMMON_PASSWORDS = frozenset({
    "123456789012", "1234567890123", "12345678901234", "123456789123", "123123123123",
    "111111111111", "000000000000", "123412341234", "987654321098", "qwertyuiopas",
    "qwertyuiop123", "qwerty123456", "qwertyqwerty", "1qaz2wsx3edc", "1q2w3e4r5t6y",
    "zaq12wsxcde3", "asdfghjkl123", "asdfasdfasdf", "password1234", "password12345",
    "password123456", "passwordpassword", "password1password", "passw0rd1234",
    "iloveyou1234", "iloveyouiloveyou", "letmein12345", "letmeinletmein", "welcome12345",
    "welcome123456", "abcdefghijkl", "abcdefghijklm", "abc123abc123", "abcd1234abcd",
    "administrator", "administrator1", "administrator123", "adminadmin123", "admin1234567",
    "changeme1234", "changemechangeme", "trustno1trustno1", "football1234", "baseball1234",
    "monkey123456", "dragon123456", "sunshine1234", "princess1234", "superman1234",
    "starwars1234", "liverpool1234", "chelsea12345", "arsenal12345", "manchesterunited",
    "correcthorsebatterystaple", "thequickbrownfoxjumpsoverthelazydog", "nhspassword1",
    "nhspassword123", "summer202020", "winter202020", "spring202020", "autumn202020",
    "january12345", "september2020", "password2020", "password2021", "password2022",
    "password2023", "password2024", "password2025", "welcome2024", "welcome2025",
})


class AccountError(ValueError):
    """A request about an account the operator can correct (plain-English message)."""


class SecretKeyError(RuntimeError):
    """A TOTP secret this process cannot read (no key file, another key, or changed)."""


@lru_cache(maxsize=1)
def hasher() -> PasswordHasher:
    """The one Argon2id hasher (its defaults)."""
    return PasswordHasher()


@lru_cache(maxsize=1)
def dummy_hash() -> str:
    """A hash no password matches: what an unknown username is verified against."""
    return hasher().hash(secrets.token_urlsafe(32))


def role_name(role: str) -> str:
    """A role as people say it ("IT administrator")."""
    return ROLE_NAMES.get(role, role)


def normalise_username(username: str) -> str:
    """Usernames are kept lower-case and trimmed (typed either way at sign-in)."""
    return username.strip().lower()


def check_username(username: str) -> str:
    """The username to store, or AccountError saying what is wrong with it."""
    name = normalise_username(username)
    if not _USERNAME.match(name):
        raise AccountError("A username is 2 to 64 characters: lower-case letters, digits, "
                           "dots, hyphens or underscores, starting with a letter or digit")
    return name


def is_common(password: str) -> bool:
    """True for a password a guesser tries first: on ``COMMON_PASSWORDS`` (ignoring case,
    spaces and punctuation), or one character over and over."""
    squashed = _SQUASH.sub("", password.lower())
    return squashed in COMMON_PASSWORDS or len(set(squashed)) <= 1


def check_password(username: str, password: str) -> None:
    """AccountError unless ``password`` is allowed for ``username``."""
    if len(password) < MIN_PASSWORD:
        raise AccountError(f"A password needs at least {MIN_PASSWORD} characters "
                           f"(this one has {len(password)})")
    if len(password) > MAX_PASSWORD:
        raise AccountError(f"A password can be at most {MAX_PASSWORD} characters")
    if password.strip().lower() == normalise_username(username):
        raise AccountError("A password cannot be the username")
    if is_common(password):
        raise AccountError("That password is one of the commonest, which are guessed first; "
                           "choose another (three or four unrelated words make a good one)")


def verify_password(stored: str, password: str) -> bool:
    """Argon2id: does ``password`` match the ``stored`` hash? (About 0.7 s and 64 MiB: the
    caller limits how many run at once, and never holds a transaction meanwhile.)"""
    try:
        return hasher().verify(stored, password)
    except (VerifyMismatchError, VerificationError, InvalidHashError):
        return False


# ------------------------------------------------------------------- TOTP secrets


def new_totp_secret() -> str:
    """A fresh TOTP secret (base32, 160 bits)."""
    return pyotp.random_base32(32)


def provisioning_uri(secret: str, username: str) -> str:
    """The ``otpauth://`` URI an authenticator app takes (as text or a QR code)."""
    return pyotp.TOTP(secret).provisioning_uri(name=username, issuer_name=ISSUER)


@lru_cache(maxsize=4)
def _read_secret_key(path: str) -> bytes:
    try:
        raw = Path(path).read_bytes().strip()
    except OSError as exc:
        raise SecretKeyError(f"{CONSOLE_SECRET_KEY_FILE_ENV} names {path!r}, which cannot be "
                             f"read: {exc.strerror}") from None
    if len(raw) < MIN_SECRET_KEY_BYTES:
        raise SecretKeyError(f"the console secret key in {path!r} is too short: it needs at "
                             f"least {MIN_SECRET_KEY_BYTES} bytes (e.g. `openssl rand -hex "
                             "32`)")
    return HKDF(algorithm=hashes.SHA256(), length=32, salt=None,
                info=b"shared-care-store console TOTP secrets").derive(raw)


def secret_key() -> bytes | None:
    """The AES-256 key of the TOTP secrets (from ``SCP_CONSOLE_SECRET_KEY_FILE``), or None
    when they are kept in plain text."""
    path = os.environ.get(CONSOLE_SECRET_KEY_FILE_ENV, "").strip()
    return _read_secret_key(path) if path else None


def secret_key_id(key: bytes) -> str:
    """The key's fingerprint, stored with each secret it encrypts."""
    return hmac.new(key, b"key id", hashlib.sha256).hexdigest()[:16]


def is_encrypted(stored: str) -> bool:
    """True for a secret stored encrypted."""
    return stored.startswith(ENCRYPTED + ":")


def seal_secret(account_id: str, secret: str, key: bytes | None = None) -> str:
    """The secret as stored: encrypted under the key (the process's by default) with the
    account's id as associated data, or as it is when there is no key."""
    key = secret_key() if key is None else key
    if key is None:
        return secret
    nonce = os.urandom(12)
    sealed = AESGCM(key).encrypt(nonce, secret.encode(), account_id.encode())
    text = base64.urlsafe_b64encode(nonce + sealed).decode().rstrip("=")
    return f"{ENCRYPTED}:{secret_key_id(key)}:{text}"


def open_secret(account_id: str, stored: str) -> str:
    """The TOTP secret of a stored value (plain, or encrypted under this process's key);
    SecretKeyError when this process cannot read it."""
    if not is_encrypted(stored):
        return stored
    _, kid, text = stored.split(":", 2)
    key = secret_key()
    if key is None:
        raise SecretKeyError(f"the console's TOTP secrets are encrypted, but "
                             f"{CONSOLE_SECRET_KEY_FILE_ENV} is not set")
    if secret_key_id(key) != kid:
        raise SecretKeyError(f"a console TOTP secret is encrypted with key {kid}, but "
                             f"{CONSOLE_SECRET_KEY_FILE_ENV} holds key {secret_key_id(key)}")
    raw = base64.urlsafe_b64decode(text + "=" * (-len(text) % 4))
    try:
        return AESGCM(key).decrypt(raw[:12], raw[12:], account_id.encode()).decode()
    except InvalidTag:
        raise SecretKeyError("a console TOTP secret does not decrypt (changed in the "
                             "database, or copied from another account)") from None


def secret_counts(db: Session) -> tuple[int, int]:
    """How many accounts' TOTP secrets are (encrypted, plain)."""
    encrypted = ConsoleAccount.totp_secret.startswith(ENCRYPTED + ":")
    found = db.execute(select(func.count().filter(encrypted),
                              func.count().filter(~encrypted))
                       .select_from(ConsoleAccount)).one()
    return int(found[0] or 0), int(found[1] or 0)


def describe_secrets(db: Session) -> str:
    """One line on how the TOTP secrets are kept (``verify-store-audit`` prints it)."""
    encrypted, plain = secret_counts(db)
    if secret_key() is None:
        held = (f"; {encrypted} are encrypted, and this process has no key to read them"
                if encrypted else "")
        return (f"console TOTP secrets: {plain} stored in PLAIN TEXT{held}; set "
                f"{CONSOLE_SECRET_KEY_FILE_ENV} to a key file and run "
                "`shared-care-store encrypt-console-secrets` to encrypt them")
    if plain:
        return (f"console TOTP secrets: {encrypted} encrypted, {plain} still in plain text "
                "(run `shared-care-store encrypt-console-secrets`)")
    return f"console TOTP secrets: all {encrypted} encrypted"


def encrypt_secrets(db: Session) -> int:
    """Encrypt every plain secret under the process's key; how many were."""
    key = secret_key()
    if key is None:
        raise AccountError(f"set {CONSOLE_SECRET_KEY_FILE_ENV} to a key file first")
    done = 0
    for account in db.scalars(select(ConsoleAccount).with_for_update()):
        if not is_encrypted(account.totp_secret):
            account.totp_secret = seal_secret(account.id, account.totp_secret, key)
            done += 1
    db.flush()
    return done


def totp_step(secret: str, code: str, last_step: int | None, now: dt.datetime) -> int | None:
    """The time step ``code`` belongs to (the one before, now or after), if it was not
    used yet; None otherwise."""
    code = code.replace(" ", "")
    if not _CODE.match(code):
        return None
    totp = pyotp.TOTP(secret, digits=TOTP_DIGITS, interval=TOTP_STEP)
    current = int(now.timestamp()) // TOTP_STEP
    for step in (current - 1, current, current + 1):
        if hmac.compare_digest(totp.generate_otp(step), code):
            return step if last_step is None or step > last_step else None
    return None


# ----------------------------------------------------------------------- accounts


def find_account(db: Session, username: str) -> ConsoleAccount:
    """The account called ``username``, or AccountError."""
    account = db.scalar(select(ConsoleAccount)
                        .where(ConsoleAccount.username == normalise_username(username)))
    if account is None:
        raise AccountError(f"no console account {normalise_username(username)!r}")
    return account


def create_account(db: Session, username: str, display_name: str, role: str,
                   password: str) -> tuple[ConsoleAccount, str]:
    """A new account; returns it and its TOTP secret (shown to the operator once)."""
    name = check_username(username)
    if role not in CONSOLE_ROLES:
        raise AccountError(f"unknown role {role!r} (one of {', '.join(CONSOLE_ROLES)})")
    display = display_name.strip()
    if not display or len(display) > 200:
        raise AccountError("A console account needs a display name of up to 200 characters")
    check_password(name, password)
    if db.scalar(select(ConsoleAccount.id).where(ConsoleAccount.username == name)):
        raise AccountError(f"a console account {name!r} already exists")
    secret, account_id = new_totp_secret(), new_id()
    account = ConsoleAccount(id=account_id, username=name, display_name=display, role=role,
                             password_hash=hasher().hash(password),
                             totp_secret=seal_secret(account_id, secret),
                             failed_sign_ins=0, created_at=utc_now())
    db.add(account)
    db.flush()
    return account, secret


def name_tag(username: str) -> str:
    """What failed sign-ins keep of the username typed: 16 bits of its SHA-256 (4 hex
    digits). Enough to lock a username per address (two names sharing a tag at one address
    share a lock, which harms nobody); too little to learn anything from, should someone
    have typed a password in the username box."""
    return hashlib.sha256(normalise_username(username).encode()).hexdigest()[:4]


def forget_failures(db: Session, account: ConsoleAccount) -> None:
    """Clear the account's failed sign-ins and every lock on its username (from any
    address)."""
    account.failed_sign_ins = 0
    db.execute(delete(ConsoleSignInFailure)
               .where(ConsoleSignInFailure.name_tag == name_tag(account.username)))


def reset_account(db: Session, username: str, *, password: str | None,
                  new_totp: bool) -> str | None:
    """A new password and/or a new TOTP secret (returned when made); clears the lockout and
    ends the account's sessions (whoever held them signs in again)."""
    account = find_account(db, username)
    if password is not None:
        check_password(account.username, password)
        account.password_hash = hasher().hash(password)
    secret = None
    if new_totp:
        secret = new_totp_secret()
        account.totp_secret = seal_secret(account.id, secret)
        account.totp_last_step = None
    forget_failures(db, account)
    end_sessions(db, account.id)
    db.flush()
    return secret


def deactivate_account(db: Session, username: str) -> bool:
    """Deactivate an account and end its sessions at once; False if it already was."""
    account = find_account(db, username)
    end_sessions(db, account.id)
    if account.deactivated_at is not None:
        return False
    account.deactivated_at = utc_now()
    db.flush()
    return True


def end_sessions(db: Session, account_id: str, now: dt.datetime | None = None) -> None:
    """End every open session of the account for good."""
    db.execute(update(ConsoleSession)
               .where(ConsoleSession.account_id == account_id, ConsoleSession.ended_at.is_(None))
               .values(ended_at=now or utc_now()))
