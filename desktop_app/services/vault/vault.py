"""Creating, unlocking and managing the encrypted vault.

``VaultStore`` is the vault at rest: a folder with ``vault.db`` (SQLCipher 4), ``vault.key``
(the wrapped database key) and ``unlock-attempts.json`` (the wrong-passphrase counter).
``VaultSession`` is the vault unlocked for one signed-in user: the one keyed connection,
derived once, and the unit of work over it.

A failed unlock never creates, deletes or rewrites the database or the key file.
"""

from __future__ import annotations

import os
import time
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from desktop_app.models.base import new_uuid
from desktop_app.models.meta import LocalMeta
from desktop_app.models.user import AppUser, Role
from desktop_app.services.core import collation
from desktop_app.services.core.audit import Actor, append_events
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import (
    DatabaseUnreadable,
    UnknownUser,
    UnlockThrottled,
    ValidationError,
    VaultAlreadyExists,
    VaultNotFound,
    WrongPassphrase,
)
from desktop_app.services.core.migrate import MigrationResult, upgrade_to
from desktop_app.services.core.roles import check_first_account, require_may_give
from desktop_app.services.core.tracking import ACTOR
from desktop_app.services.core.uow import UnitOfWork, make_session_factory
from desktop_app.services.vault import keyfile
from desktop_app.services.vault.database import encrypted_engine
from desktop_app.services.vault.kdf import KdfParams
from desktop_app.services.vault.keyfile import BadSecret, KeyFile
from desktop_app.services.vault.throttle import UnlockThrottle

DB_NAME = "vault.db"
KEY_NAME = "vault.key"
ATTEMPTS_NAME = "unlock-attempts.json"
MIN_PASSPHRASE_LENGTH = 10
DEVICE_ID_KEY = "device_id"
NAME_KEY_VERSION = "name_key_version"  # the name_key the name-order index was built with


@dataclass(frozen=True)
class SignedInUser:
    """The user a vault session acts for."""

    user_id: str
    display_name: str
    role: Role


def check_passphrase(passphrase: str) -> None:
    """Reject passphrases too short to protect patient data."""
    if len(passphrase.strip()) < MIN_PASSPHRASE_LENGTH:
        raise ValidationError(
            f"Choose a passphrase of at least {MIN_PASSPHRASE_LENGTH} characters; "
            "a few ordinary words together are easy to remember and hard to guess.",
            field="passphrase",
        )


class VaultStore:
    """The vault folder at rest. Nothing here holds a key."""

    def __init__(
        self, folder: Path, *, kdf_cost: KdfParams | None = None,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.folder = folder
        self.db_path = folder / DB_NAME
        self.key_path = folder / KEY_NAME
        self.kdf_cost = kdf_cost
        self.throttle = UnlockThrottle(folder / ATTEMPTS_NAME, clock)

    def exists(self) -> bool:
        """True when a vault has been set up here."""
        return self.key_path.exists()

    def users(self) -> list[tuple[str, str]]:
        """(user id, display name) of everyone who can sign in on this laptop."""
        return self._key_file().users()

    def _key_file(self) -> KeyFile:
        try:
            return keyfile.read_key_file(self.key_path)
        except FileNotFoundError:
            raise VaultNotFound("No vault has been set up on this laptop yet.") from None

    def create(self, display_name: str, role: Role, passphrase: str) -> CreatedVault:
        """Set up a new vault with its first user; the recovery code is returned once.

        The first account is the team lead's (``roles.FIRST_ACCOUNT_ROLE``); any other role
        is refused before anything is written."""
        if self.exists() or self.db_path.exists():
            raise VaultAlreadyExists("A vault already exists here; it has not been touched.")
        check_first_account(role)
        display_name = display_name.strip()
        if not display_name:
            raise ValidationError("Enter your name.", field="display_name")
        check_passphrase(passphrase)
        role = Role(role)
        self.folder.mkdir(parents=True, exist_ok=True)
        _owner_only(self.folder, 0o700)
        db_key = os.urandom(32)
        user_id = new_uuid()
        recovery_code = keyfile.new_recovery_code()
        kf = KeyFile.new()
        kf = kf.with_wrap(keyfile.seal(kf.vault_id, keyfile.USER, user_id, display_name,
                                       db_key, passphrase, self.kdf_cost))
        kf = kf.with_wrap(keyfile.seal(kf.vault_id, keyfile.RECOVERY, "", "", db_key,
                                       recovery_code, self.kdf_cost))
        engine = encrypted_engine(self.db_path, db_key, create=True)
        _owner_only(self.db_path, 0o600)
        try:
            upgrade_to(engine, None)
            _keep_name_index(engine)
            _load_catalogue(engine)
            device_id = new_uuid()
            _initial_rows(engine, device_id, user_id, display_name, role)
        except BaseException:
            engine.dispose()
            for leftover in self.folder.glob(DB_NAME + "*"):
                leftover.unlink(missing_ok=True)
            raise
        # The key file is written last: until it exists there is no vault to unlock.
        keyfile.write_key_file(self.key_path, kf)
        session = VaultSession(self, engine, db_key, kf.vault_id, user_id, None)
        return CreatedVault(session, recovery_code)

    def _check_throttle(self) -> None:
        wait = self.throttle.wait_remaining()
        if wait > 0:
            raise UnlockThrottled(
                f"Too many wrong attempts. Try again in {int(wait + 0.999)} seconds.", wait
            )

    def _wrong(self, what: str) -> WrongPassphrase:
        delay = self.throttle.record_failure()
        extra = f" Wait {int(delay)} seconds before trying again." if delay else ""
        return WrongPassphrase(f"That {what} is not right.{extra}", delay)

    def unlock(self, user_id: str, passphrase: str) -> VaultSession:
        """Unlock for one user; raises WrongPassphrase or UnlockThrottled, changing nothing."""
        self._check_throttle()
        kf = self._key_file()
        wrap = kf.user_wrap(user_id)
        try:
            db_key = keyfile.open_wrap(kf.vault_id, wrap, passphrase)
        except BadSecret:
            raise self._wrong("passphrase") from None
        return self._open(kf, db_key, user_id)

    def unlock_with_recovery(self, user_id: str, code: str, new_passphrase: str) -> VaultSession:
        """Unlock with the recovery code and give ``user_id`` a new passphrase."""
        self._check_throttle()
        check_passphrase(new_passphrase)
        kf = self._key_file()
        user_wrap = kf.user_wrap(user_id)
        try:
            db_key = keyfile.open_wrap(
                kf.vault_id, kf.recovery_wrap(), keyfile.normalise_recovery_code(code)
            )
        except BadSecret:
            raise self._wrong("recovery code") from None
        session = self._open(kf, db_key, user_id)
        new_wrap = keyfile.seal(kf.vault_id, keyfile.USER, user_id, user_wrap.display_name,
                                db_key, new_passphrase, self.kdf_cost)
        keyfile.write_key_file(self.key_path, kf.with_wrap(new_wrap))
        return session

    def _open(self, kf: KeyFile, db_key: bytes, user_id: str) -> VaultSession:
        engine = encrypted_engine(self.db_path, db_key)
        try:
            migration = upgrade_to(engine, self.db_path)
            _keep_name_index(engine)
            _load_catalogue(engine)
        except BaseException:
            engine.dispose()
            raise
        self.throttle.reset()
        return VaultSession(self, engine, db_key, kf.vault_id, user_id, migration)


def _owner_only(path: Path, mode: int) -> None:
    if os.name == "posix":
        os.chmod(path, mode)


def _keep_name_index(engine: Engine) -> None:
    """Rebuild the name-order index when it was built with another ``name_key`` (other
    rules, or another Python's Unicode tables): SQLite keeps the keys it computed, and a
    key that changed under it would leave the index wrong."""
    with Session(engine) as session, session.begin():
        stamp = session.get(LocalMeta, NAME_KEY_VERSION)
        if stamp is not None and stamp.value == collation.KEY_VERSION:
            return
        session.execute(text(f"REINDEX {collation.INDEX}"))
        if stamp is None:
            session.add(LocalMeta(key=NAME_KEY_VERSION, value=collation.KEY_VERSION))
        else:
            stamp.value = collation.KEY_VERSION


def _load_catalogue(engine: Engine) -> None:
    """Store the shipped task catalogue version if this vault does not have it yet."""
    from desktop_app.services.framework.catalogue import load_catalogue
    from desktop_app.services.vault.task_types import sync_catalogue_to_db

    factory = make_session_factory(engine)
    with factory.begin() as session:
        sync_catalogue_to_db(session, load_catalogue())


def _initial_rows(engine: Engine, device_id: str, user_id: str, name: str, role: Role) -> None:
    factory = make_session_factory(engine)
    with factory.begin() as session:
        session.info[ACTOR] = Actor(user_id, device_id)
        session.add(LocalMeta(key=DEVICE_ID_KEY, value=device_id))
        session.add(AppUser(id=user_id, display_name=name, role=role.value))
        append_events(session.connection(), Actor(user_id, device_id),
                      [("app_user", user_id, "create")])


@dataclass(frozen=True)
class CreatedVault:
    """A new vault, already unlocked, and the recovery code to show once."""

    session: VaultSession
    recovery_code: str


class VaultSession:
    """The vault unlocked for one user: one keyed connection on the database thread."""

    def __init__(
        self, store: VaultStore, engine: Engine, db_key: bytes, vault_id: str, user_id: str,
        migration: MigrationResult | None,
    ) -> None:
        self.store = store
        self.engine = engine
        self._db_key = bytearray(db_key)
        self.vault_id = vault_id
        self.migration = migration
        self.factory = make_session_factory(engine)
        with self.factory() as session:
            device = session.get(LocalMeta, DEVICE_ID_KEY)
            user = session.get(AppUser, user_id)
            if device is None:
                raise DatabaseUnreadable("The vault has no device id; it is damaged.")
            if user is None or not user.active:
                raise UnknownUser("That user is not active on this laptop.")
            self.device_id = device.value
            self.user = SignedInUser(user.id, user.display_name, Role(user.role))
        self.uow = UnitOfWork(self.factory, Actor(self.user.user_id, self.device_id,
                                                  self.user.role.value))

    @property
    def actor(self) -> Actor:
        """The signed-in user on this device."""
        return self.uow.actor

    def add_user(self, display_name: str, role: Role, passphrase: str) -> str:
        """Give another person their own sign-in on this laptop; returns their user id.

        Only a role that can do nothing the signed-in user's cannot
        (``roles.roles_to_give``): a team lead's sign-in is made only by a team lead."""
        role = Role(role)
        require_may_give(self.uow, role)
        name = display_name.strip()
        if not name:
            raise ValidationError("Enter the person's name.", field="display_name")
        check_passphrase(passphrase)
        taken = {n.casefold() for _, n in self.store.users()}
        if name.casefold() in taken:
            raise ValidationError(f"{name} already has a sign-in on this laptop. Two people of "
                                  "the same name: add a middle initial or the team to tell "
                                  "them apart.", field="display_name")
        kf = self.store._key_file()
        user_id = new_uuid()
        with self.uow.begin() as session:
            session.add(AppUser(id=user_id, display_name=name, role=role.value))
            session.flush()
            append_events(session.connection(), self.actor, [("app_user", user_id, "create")])
            wrap = keyfile.seal(kf.vault_id, keyfile.USER, user_id, name,
                                bytes(self._db_key), passphrase, self.store.kdf_cost)
            # Written inside the transaction: if the key file cannot be saved, no user row.
            keyfile.write_key_file(self.store.key_path, kf.with_wrap(wrap))
        return user_id

    def change_passphrase(self, old: str, new: str) -> None:
        """Re-wrap the signed-in user's key under a new passphrase (the database is untouched)."""
        check_passphrase(new)
        self.store._check_throttle()
        kf = self.store._key_file()
        wrap = kf.user_wrap(self.user.user_id)
        try:
            keyfile.open_wrap(kf.vault_id, wrap, old)
        except BadSecret:
            # Counted like a sign-in: an unattended unlocked laptop is no guessing oracle.
            raise self.store._wrong("current passphrase") from None
        new_wrap = keyfile.seal(kf.vault_id, keyfile.USER, self.user.user_id,
                                wrap.display_name, bytes(self._db_key), new, self.store.kdf_cost)
        keyfile.write_key_file(self.store.key_path, kf.with_wrap(new_wrap))

    def users(self) -> list[SignedInUser]:
        """Every active user of this vault."""
        with self.uow.read() as session:
            query = (select(AppUser).where(AppUser.active)
                     .order_by(by_name(AppUser.display_name)))
            rows = session.scalars(query)
            return [SignedInUser(u.id, u.display_name, Role(u.role)) for u in rows]

    def raw_key_for_support(self) -> bytes:
        """The raw database key (for the independent-reader test and support tooling only)."""
        return bytes(self._db_key)

    def close(self) -> None:
        """Close the connection and forget the key (as far as Python allows)."""
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.engine.dispose()
        for i in range(len(self._db_key)):
            self._db_key[i] = 0
