"""Creating, unlocking and managing the encrypted vault.

``VaultStore`` is the vault at rest: a folder with ``vault.db`` (SQLCipher 4) and
``vault.key`` (the wrapped database key, the wrapped audit key, the wrong-passphrase counter
and the audit chain's witness; ``keyfile.py``). ``VaultSession`` is the vault unlocked for
one signed-in user: the one keyed connection, derived once, and the unit of work over it.

A failed unlock never creates, deletes or rewrites the database. A wrong passphrase or
recovery code rewrites the key file (atomically, as every key file write) changing only its
counter (``throttle.py``); a damaged key file (its checksum does not match) is reported as
damaged, changes nothing and is not counted. A successful unlock resets the counter and
brings the witness up to date in one write, puts the audit key on the connection, and
leaves the audit trail's check to ``VaultSession.check_audit`` (``witness.py``), which the
sign-in screen runs a slice at a time after the unlock.
"""

from __future__ import annotations

import logging
import os
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

from sqlalchemy import Engine, select, text
from sqlalchemy.orm import Session

from desktop_app.models.base import new_uuid
from desktop_app.models.meta import LocalMeta
from desktop_app.models.user import AppUser, Role
from desktop_app.services.core import collation
from desktop_app.services.core.audit import (
    AUDIT_KEY_BYTES,
    Actor,
    AuditKeying,
    append_events,
    keying_of,
)
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import (
    DatabaseUnreadable,
    ExpectedError,
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
from desktop_app.services.framework import releases
from desktop_app.services.vault import keyfile, witness
from desktop_app.services.vault.database import attach_audit_keying, encrypted_engine
from desktop_app.services.vault.kdf import KdfParams
from desktop_app.services.vault.keyfile import Attempts, BadSecret, KeyFile
from desktop_app.services.vault.throttle import UnlockThrottle
from desktop_app.services.vault.witness import STEP_ROWS, AuditCheck, AuditReport

log = logging.getLogger(__name__)

DB_NAME = "vault.db"
KEY_NAME = "vault.key"
ATTEMPTS_NAME = "unlock-attempts.json"  # an older version's counter: taken in once, removed
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
        self.throttle = UnlockThrottle(self.key_path, folder / ATTEMPTS_NAME, clock)

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
        keying = AuditKeying(os.urandom(AUDIT_KEY_BYTES), keyed_from=1)
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
            attach_audit_keying(engine, keying)
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
        kf = replace(kf, audit_key=keyfile.seal_audit_key(kf.vault_id, db_key, keying.key))
        with engine.connect() as conn:
            kf = witness.witness_now(conn, kf, keying, ())
        # The key file is written last: until it exists there is no vault to unlock.
        keyfile.write_key_file(self.key_path, kf)
        session = VaultSession(self, engine, db_key, kf.vault_id, user_id, None, None)
        return CreatedVault(session, recovery_code)

    def _checked_key_file(self) -> tuple[KeyFile, Attempts]:
        """The key file and its counter; UnlockThrottled while the wait runs (before any
        key derivation), KeyFileCorrupt when it is damaged."""
        kf, attempts = self.throttle.read()
        wait = max(0.0, attempts.not_before - self.throttle.clock())
        if wait > 0:
            raise UnlockThrottled(
                f"Too many wrong attempts. Try again in {int(wait + 0.999)} seconds.", wait
            )
        return kf, attempts

    def _check_throttle(self) -> None:
        self._checked_key_file()

    def _wrong(self, what: str, maybe_damaged: bool = False) -> WrongPassphrase:
        delay = self.throttle.record_failure()
        extra = f" Wait {int(delay)} seconds before trying again." if delay else ""
        hint = (" If you are sure of the code, the key file may be damaged; restore it from "
                "backup or contact IT support." if maybe_damaged else "")
        return WrongPassphrase(f"That {what} is not right.{hint}{extra}", delay)

    def unlock(self, user_id: str, passphrase: str) -> VaultSession:
        """Unlock for one user; raises WrongPassphrase (counted: the key file's counter is
        rewritten), UnlockThrottled or KeyFileCorrupt, changing nothing else."""
        kf, attempts = self._checked_key_file()
        wrap = kf.user_wrap(user_id)
        try:
            db_key = keyfile.open_wrap(kf.vault_id, wrap, passphrase)
        except BadSecret:
            raise self._wrong("passphrase") from None
        return self._open(kf, db_key, user_id, attempts)

    def unlock_with_recovery(self, user_id: str, code: str, new_passphrase: str) -> VaultSession:
        """Unlock with the recovery code and give ``user_id`` a new passphrase.

        A wrong code after a wrong passphrase (or on a format-1 key file, which has no
        checksum to tell damage by) also says the key file may be damaged."""
        kf, attempts = self._checked_key_file()
        check_passphrase(new_passphrase)
        user_wrap = kf.user_wrap(user_id)
        try:
            db_key = keyfile.open_wrap(
                kf.vault_id, kf.recovery_wrap(), keyfile.normalise_recovery_code(code)
            )
        except BadSecret:
            doubt = kf.format_version < keyfile.FORMAT_VERSION or attempts.failures > 0
            raise self._wrong("recovery code", doubt) from None
        session = self._open(kf, db_key, user_id, attempts)
        new_wrap = keyfile.seal(kf.vault_id, keyfile.USER, user_id, user_wrap.display_name,
                                db_key, new_passphrase, self.kdf_cost)
        keyfile.write_key_file(self.key_path, self._key_file().with_wrap(new_wrap))
        return session

    def _open(self, kf: KeyFile, db_key: bytes, user_id: str,
              attempts: Attempts) -> VaultSession:
        engine = encrypted_engine(self.db_path, db_key)
        try:
            migration = upgrade_to(engine, self.db_path)
            # Before any new audit row: the key on the connection, the witness checked.
            prepared = witness.prepare(engine, kf, db_key, attempts)
            attach_audit_keying(engine, prepared.keying)
            _keep_name_index(engine)
            _load_catalogue(engine)
            # The counter reset and the witness's counts in one write (format 2 from now);
            # none when neither changed.
            if prepared.key_file != kf:
                keyfile.write_key_file(self.key_path, prepared.key_file)
        except BaseException:
            engine.dispose()
            raise
        return VaultSession(self, engine, db_key, kf.vault_id, user_id, migration,
                            prepared.check)


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
    """Store the shipped task catalogue version if this vault does not have it yet, and hand
    the app the flow and catalogue versions received from the IPCB (``framework_releases``)."""
    from desktop_app.services.framework.catalogue import shipped_catalogue
    from desktop_app.services.vault.framework_releases import fill_registry
    from desktop_app.services.vault.task_types import sync_catalogue_to_db

    factory = make_session_factory(engine)
    with factory.begin() as session:
        sync_catalogue_to_db(session, shipped_catalogue())
        fill_registry(session)


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
        migration: MigrationResult | None, audit_check: AuditCheck | None,
    ) -> None:
        self.store = store
        self.engine = engine
        self._db_key = bytearray(db_key)
        self.vault_id = vault_id
        self.migration = migration
        self._closed = False
        # The audit trail's check after this unlock (None: a new vault, nothing to check).
        self._audit = audit_check
        self._audit_report: AuditReport | None = AuditReport() if audit_check is None else None
        self._breaks: tuple[str, ...] = ()
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

    def check_audit(self, rows: int | None = STEP_ROWS) -> AuditReport | None:
        """Check the audit trail after this unlock, ``rows`` rows at a time (all at once
        without a limit): None while there is more to walk; then the report, whose
        ``message`` (if any) is told to the user once. What it found new is recorded as
        ``chain_broken`` events and the key file's witness moved to the head
        (``witness.py``). Call on the database thread; each call holds it for one slice."""
        if self._audit_report is not None or self._closed:
            return self._audit_report or AuditReport()
        check = self._audit
        assert check is not None
        with self.engine.connect() as conn:
            if not check.step(conn, rows):
                return None
        found = check.new_findings()
        if found:
            with self.uow.begin() as session:
                append_events(session.connection(), self.actor,
                              [f.audit_item(self.vault_id) for f in found])
            log.warning("audit trail: %d change(s) made outside the app found and recorded",
                        len(found))
        self._breaks = tuple(dict.fromkeys([*sorted(check.known), *(f.ident for f in found)]))
        self._audit_report = AuditReport(tuple(found), check.walk.rows,
                                         time.perf_counter() - check.started)
        self.witness_audit()
        return self._audit_report

    def witness_audit(self) -> bool:
        """Move the key file's witness to the audit trail's head as it is now: at the close,
        and for the sync to call after a run (on the database thread). Only once this
        unlock's check has ended (False, nothing written, before that)."""
        if self._audit_report is None or self._closed:
            return False
        with self.engine.connect() as conn:
            kf = witness.witness_now(conn, self.store._key_file(), keying_of(conn),
                                     self._breaks)
        keyfile.write_key_file(self.store.key_path, kf)
        return True

    def close(self) -> None:
        """Witness the audit trail's head, close the connection and forget the key (as far
        as Python allows)."""
        if not self._closed:
            try:
                self.witness_audit()
            except ExpectedError as err:  # the close goes on: the next unlock checks all
                log.warning("the audit trail's head could not be witnessed (%s)", err.message)
        self._closed = True
        releases.forget()  # the received framework versions were this vault's
        with self.engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
        self.engine.dispose()
        for i in range(len(self._db_key)):
            self._db_key[i] = 0
