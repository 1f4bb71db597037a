"""The central store's tables: teams, users, devices, enrolment codes, records, applied changes.

``record`` holds the latest state of every synced row with the ``server_version`` it was
last written at, counted per team; ``team_version_counter`` has one row per team that hands
out its versions (locked for the whole push, so a team's versions become visible in the
order they were given and a pull cursor, which is per team, never skips a change committed
late; another team's pushes take another row and never wait). ``version_counter`` is the
global counter of before migration 0003, no longer written. ``applied_change`` remembers each
idempotency key with its content hash and the version it was applied as (the answer sent
then is rebuilt from that), and its primary key is the UNIQUE constraint that makes a
resent change harmless.
"""

from __future__ import annotations

import datetime as dt
import enum
import uuid
from typing import Any

from sqlalchemy import (
    JSON,
    BigInteger,
    Boolean,
    CheckConstraint,
    ForeignKey,
    Index,
    Integer,
    MetaData,
    String,
    Text,
    text,
)
from sqlalchemy.orm import DeclarativeBase, Mapped, mapped_column

# Shared with the desktop app, which the store never imports (scp_common/__init__.py).
from scp_common.timestamps import UtcDateTime

# Stable constraint names, so Alembic batch migrations also work on the SQLite trial.
NAMING_CONVENTION = {
    "ix": "ix_%(column_0_label)s",
    "uq": "uq_%(table_name)s_%(column_0_name)s",
    "ck": "ck_%(table_name)s_%(constraint_name)s",
    "fk": "fk_%(table_name)s_%(column_0_name)s_%(referred_table_name)s",
    "pk": "pk_%(table_name)s",
}
COUNTER_ID = 1


def new_id() -> str:
    """A fresh random UUID as text."""
    return str(uuid.uuid4())


def utc_now() -> dt.datetime:
    """The current time, timezone-aware in UTC."""
    return dt.datetime.now(dt.UTC)


class Role(enum.StrEnum):
    """What a user may do (the same words as the desktop app's roles)."""

    NURSE = "nurse"
    TEAM_LEAD = "team_lead"
    SOCIAL_CARE_PRACTITIONER = "social_care_practitioner"
    READ_ONLY = "read_only"


class Base(DeclarativeBase):
    """The declarative base of every table in the central store."""

    metadata = MetaData(naming_convention=NAMING_CONVENTION)


class Team(Base):
    """An Integrated Neighbourhood Team: the unit whose records its devices share."""

    __tablename__ = "team"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), unique=True, nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)


class StoreUser(Base):
    """A person who may enrol laptops, in one team with one role."""

    __tablename__ = "store_user"
    __table_args__ = (
        CheckConstraint(
            "role IN ('nurse', 'team_lead', 'social_care_practitioner', 'read_only')",
            name="role_known",
        ),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), nullable=False, index=True)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    # Deactivated (issue 21): the user's laptops stop syncing for them; nothing is deleted.
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class Device(Base):
    """An enrolled laptop. Only a SHA-256 of its random token is kept; revoking is for good."""

    __tablename__ = "device"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    name: Mapped[str] = mapped_column(String(200), nullable=False)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), nullable=False, index=True)
    user_id: Mapped[str] = mapped_column(ForeignKey("store_user.id"), nullable=False)
    token_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    enrolled_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    revoked_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    # What the laptop last told the store (issue 21, the console's device list): when it was
    # last heard from, its app version, how many changes it said were waiting to be sent,
    # and the delegation flow and task catalogue versions it holds.
    last_seen_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    app_version: Mapped[str | None] = mapped_column(String(32), nullable=True)
    pending_changes: Mapped[int | None] = mapped_column(Integer, nullable=True)
    flow_version: Mapped[str | None] = mapped_column(String(40), nullable=True)
    catalogue_version: Mapped[str | None] = mapped_column(String(20), nullable=True)


class EnrolmentCode(Base):
    """A one-time code an admin hands to a user to enrol one laptop; kept hashed."""

    __tablename__ = "enrolment_code"

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    code_hash: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    user_id: Mapped[str] = mapped_column(ForeignKey("store_user.id"), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    expires_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    used_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    device_id: Mapped[str | None] = mapped_column(ForeignKey("device.id"), nullable=True)
    # Issue 21: the first group of the code (public enough to count wrong tries against),
    # wrong codes that matched it, who issued it (a console account, or None from the CLI)
    # and when it was withdrawn (too many wrong tries, or by hand).
    prefix: Mapped[str | None] = mapped_column(String(4), nullable=True, index=True)
    failed_attempts: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                 server_default="0")
    issued_by: Mapped[str | None] = mapped_column(String(36), nullable=True)
    withdrawn_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class EnrolmentFailure(Base):
    """One wrong enrolment code, by the client address it came from (auth.py counts them to
    answer 429; rows older than the counting window are deleted as new ones are added)."""

    __tablename__ = "enrolment_failure"
    __table_args__ = (
        Index("ix_enrolment_failure_address_failed_at", "address", "failed_at"),
        Index("ix_enrolment_failure_failed_at", "failed_at"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    failed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class VersionCounter(Base):
    """The one global counter that handed out server versions before per-team counters
    (migration 0003). Nothing writes it any more: its value is the floor every team's
    counter started from, and a team whose counter row is missing gets one from here."""

    __tablename__ = "version_counter"

    id: Mapped[int] = mapped_column(Integer, primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)


class TeamVersionCounter(Base):
    """A team's last server version handed out; a push holds its team's row lock until
    commit, so one team's pushes run one after another and another team's never wait."""

    __tablename__ = "team_version_counter"

    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), primary_key=True)
    value: Mapped[int] = mapped_column(BigInteger, nullable=False)


class Record(Base):
    """The latest state of one synced row, owned by the team of the device that created it."""

    __tablename__ = "record"
    # The key leads with the UUID, so a batch finds its records with one `id IN (...)`.
    # Versions are handed out per team: unique within a team (the pull's order), not globally.
    # The console's reports read the live records of a kind, in every team or one
    # (sync_server/reports/sql.py); PostgreSQL only indexes the live ones (migration 0008).
    __table_args__ = (Index("ix_record_team_version", "team_id", "server_version", unique=True),
                      Index("ix_record_live_entity_team", "entity_type", "team_id",
                            postgresql_where=text("NOT tombstone")))

    id: Mapped[str] = mapped_column(String(36), primary_key=True)
    entity_type: Mapped[str] = mapped_column(String(64), primary_key=True)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), nullable=False)
    server_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    row: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    tombstone: Mapped[bool] = mapped_column(Boolean, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    device_id: Mapped[str] = mapped_column(String(36), nullable=False)


class AppliedChange(Base):
    """An applied change's idempotency key, content hash and the version it was applied as
    (its first answer, ``applied`` at that version, is rebuilt from it)."""

    __tablename__ = "applied_change"

    idempotency_key: Mapped[str] = mapped_column(String(128), primary_key=True)
    content_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    team_id: Mapped[str] = mapped_column(String(36), nullable=False)
    device_id: Mapped[str] = mapped_column(String(36), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    record_id: Mapped[str] = mapped_column(String(36), nullable=False)
    server_version: Mapped[int] = mapped_column(BigInteger, nullable=False)
    applied_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


# A laptop's audit trail witnessed by the store (sync_server/audit.py, migration 0005).
AUDIT_BREAK_KINDS = ("truncated", "rewritten", "unknown_head", "reported")


class LaptopAuditChain(Base):
    """A laptop's audit trail as the store holds it, per team and epoch: the head its next
    upload must extend. Epoch 0 starts with the first upload; ``accept-audit-head`` starts
    the next one after a break (the laptop sends its trail again from the start, and links
    that do not hold up to ``lenient_until`` are registered as accepted breaks). Every upload
    of a laptop locks its epoch-0 row."""

    __tablename__ = "laptop_audit_chain"

    team_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    laptop_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    head_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    head_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    awaiting_baseline: Mapped[bool] = mapped_column(Boolean, nullable=False)
    lenient_until: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    started_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    updated_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    device_id: Mapped[str | None] = mapped_column(String(36), nullable=True)


class LaptopAuditEvent(Base):
    """One of a laptop's audit events as it uploaded them: ids and an action, never more."""

    __tablename__ = "laptop_audit_event"

    team_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    laptop_id: Mapped[str] = mapped_column(String(36), primary_key=True)
    epoch: Mapped[int] = mapped_column(Integer, primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    event_id: Mapped[str] = mapped_column(String(36), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    user_id: Mapped[str] = mapped_column(String(36), nullable=False)
    device_id: Mapped[str] = mapped_column(String(36), nullable=False)
    entity_type: Mapped[str] = mapped_column(String(64), nullable=False)
    entity_id: Mapped[str] = mapped_column(String(36), nullable=False)
    action: Mapped[str] = mapped_column(String(32), nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    received_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    uploaded_by: Mapped[str] = mapped_column(String(36), nullable=False)  # the store device


class LaptopAuditBreak(Base):
    """A break in a laptop's audit trail: an upload the store refused (what it holds,
    ``expected``, against what came, ``offered``), or one the laptop reported itself."""

    __tablename__ = "laptop_audit_break"
    __table_args__ = (
        CheckConstraint("kind IN ('truncated', 'rewritten', 'unknown_head', 'reported')",
                        name="kind_known"),
        Index("ix_laptop_audit_break_laptop", "laptop_id", "team_id"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    team_id: Mapped[str] = mapped_column(String(36), nullable=False)
    laptop_id: Mapped[str] = mapped_column(String(36), nullable=False)
    epoch: Mapped[int] = mapped_column(Integer, nullable=False)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    device_id: Mapped[str] = mapped_column(String(36), nullable=False)  # the store device
    user_id: Mapped[str] = mapped_column(String(36), nullable=False)  # its store user
    expected_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    expected_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    offered_seq: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    offered_hash: Mapped[str | None] = mapped_column(String(64), nullable=True)
    # For a reported break: the laptop's chain_broken event and the first row it found broken.
    event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    broken_event_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    accepted_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


# ------------------------------------------------------------ the web console (issue 21)

CONSOLE_ROLES = ("it_admin", "ipcb_governance")


class ConsoleAccount(Base):
    """A person who signs in to the store's web console: NHS IT (``it_admin``) or the IPCB
    (``ipcb_governance``). Separate from laptop users. Password: Argon2id hash; second
    factor: a TOTP secret (base32; AES-GCM encrypted when the store has a secret key,
    console/accounts.py). ``failed_sign_ins`` counts failures since the last success, from
    any address (for the audit trail; the lock itself is per username and address, in
    ``console_sign_in_failure``)."""

    __tablename__ = "console_account"
    __table_args__ = (
        CheckConstraint("role IN ('it_admin', 'ipcb_governance')", name="role_known"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    username: Mapped[str] = mapped_column(String(64), unique=True, nullable=False)
    display_name: Mapped[str] = mapped_column(String(200), nullable=False)
    role: Mapped[str] = mapped_column(String(32), nullable=False)
    password_hash: Mapped[str] = mapped_column(String(200), nullable=False)
    totp_secret: Mapped[str] = mapped_column(String(200), nullable=False)
    # The last TOTP time step accepted: a code is never taken twice.
    totp_last_step: Mapped[int | None] = mapped_column(BigInteger, nullable=True)
    failed_sign_ins: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                                 server_default="0")
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, default=utc_now, nullable=False)
    last_sign_in_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    deactivated_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ConsoleSession(Base):
    """A signed-in console session. Only a SHA-256 of the cookie's random value is kept;
    signing out (or the idle timeout) ends it for good, so a copied cookie is refused."""

    __tablename__ = "console_session"

    token_hash: Mapped[str] = mapped_column(String(64), primary_key=True)
    account_id: Mapped[str] = mapped_column(ForeignKey("console_account.id"), nullable=False,
                                            index=True)
    csrf_token: Mapped[str] = mapped_column(String(64), nullable=False)
    created_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    last_seen_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    ended_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)


class ConsoleSignInFailure(Base):
    """One failed console sign-in (migration 0007): from which client address, against which
    username (only a 16-bit tag of it: never the text typed, which may be a password) and,
    when the username is an account's, that account. Counted for the sign-in limits
    (console/sign_in.py); rows a day old are deleted as new ones are added."""

    __tablename__ = "console_sign_in_failure"
    __table_args__ = (
        Index("ix_console_sign_in_failure_address_failed_at", "address", "failed_at"),
        Index("ix_console_sign_in_failure_failed_at", "failed_at"),
        Index("ix_console_sign_in_failure_name_tag_address", "name_tag", "address"),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    address: Mapped[str] = mapped_column(String(64), nullable=False)
    name_tag: Mapped[str] = mapped_column(String(4), nullable=False)
    account_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    failed_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)


class StoreAuditChainHead(Base):
    """The head of one of the store's audit chains: ``console`` for console and command-line
    actions, or a team id for what that team's devices did (enrolment, push batches,
    revocation). Appending locks the chain's row, so a team's pushes never wait on
    another's, and the chain has no fork."""

    __tablename__ = "store_audit_chain"

    chain: Mapped[str] = mapped_column(String(36), primary_key=True)
    head_seq: Mapped[int] = mapped_column(BigInteger, nullable=False)
    head_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # The fingerprint of the key the chain is hashed with ("unkeyed": plain SHA-256); an
    # append under another key is refused until the chain is rekeyed (migration 0007).
    key_id: Mapped[str] = mapped_column(String(16), nullable=False, default="unkeyed",
                                        server_default="unkeyed")


class StoreAuditEvent(Base):
    """One event of the store's own audit trail: append-only, each row's ``hash`` covers
    its fields and the chain's previous hash (sync_server/store_audit_verify.py verifies). Ids,
    counts and outcomes only: never patient data."""

    __tablename__ = "store_audit_event"
    __table_args__ = (
        Index("ix_store_audit_event_at", "at"),
        Index("ix_store_audit_event_team_at", "team_id", "at"),
        Index("ix_store_audit_event_device_at", "device_id", "at"),
    )

    chain: Mapped[str] = mapped_column(String(36), primary_key=True)
    seq: Mapped[int] = mapped_column(BigInteger, primary_key=True)
    at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    actor_kind: Mapped[str] = mapped_column(String(16), nullable=False)  # console/device/cli
    actor_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    actor_name: Mapped[str] = mapped_column(String(200), nullable=False)
    action: Mapped[str] = mapped_column(String(48), nullable=False)
    team_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    device_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    user_id: Mapped[str | None] = mapped_column(String(36), nullable=True)
    detail: Mapped[dict[str, Any]] = mapped_column(JSON, nullable=False)
    prev_hash: Mapped[str] = mapped_column(String(64), nullable=False)
    hash: Mapped[str] = mapped_column(String(64), nullable=False)
    # The key's fingerprint ("unkeyed"), covered by ``hash`` (migration 0007).
    key_id: Mapped[str] = mapped_column(String(16), nullable=False, default="unkeyed",
                                        server_default="unkeyed")


FRAMEWORK_KINDS = ("flow", "catalogue")


class FrameworkRelease(Base):
    """A delegation flow or task catalogue version the IPCB published from the console:
    the JSON exactly as uploaded and checked, immutable once published. Laptops fetch the
    ones they lack on their next sync."""

    __tablename__ = "framework_release"
    __table_args__ = (
        CheckConstraint("kind IN ('flow', 'catalogue')", name="kind_known"),
        Index("ix_framework_release_kind_version", "kind", "version", unique=True),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    kind: Mapped[str] = mapped_column(String(16), nullable=False)
    version: Mapped[str] = mapped_column(String(40), nullable=False)
    content: Mapped[str] = mapped_column(Text, nullable=False)
    sha256: Mapped[str] = mapped_column(String(64), nullable=False)
    note: Mapped[str] = mapped_column(Text, nullable=False, default="")
    published_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    published_by: Mapped[str | None] = mapped_column(String(36), nullable=True)


# ------------------------------------------------------- FHIR Bulk Data export (issue 22)

class FhirExportJob(Base):
    """One FHIR bulk export of a team's records (sync_server/fhir_jobs.py): kept in the
    database so every store process answers its status alike. At most one runs per team
    (the partial unique index); its files are on disk, named by the job's id, and only a
    ``completed`` job's are served. ``error`` is the store's own words, never patient data;
    ``counts`` the resources written per type."""

    __tablename__ = "fhir_export_job"
    __table_args__ = (
        CheckConstraint("state IN ('running', 'completed', 'failed', 'cancelled', 'deleted', "
                        "'expired')", name="state_known"),
        Index("ix_fhir_export_job_one_running", "team_id", unique=True,
              postgresql_where=text("state = 'running'"),
              sqlite_where=text("state = 'running'")),
    )

    id: Mapped[str] = mapped_column(String(36), primary_key=True, default=new_id)
    team_id: Mapped[str] = mapped_column(ForeignKey("team.id"), nullable=False)
    device_id: Mapped[str] = mapped_column(String(36), nullable=False)
    user_id: Mapped[str] = mapped_column(String(36), nullable=False)
    requested_at: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    request: Mapped[str] = mapped_column(Text, nullable=False)  # the kick-off URL
    types: Mapped[list[str] | None] = mapped_column(JSON, nullable=True)  # None: every type
    state: Mapped[str] = mapped_column(String(16), nullable=False)
    transaction_time: Mapped[dt.datetime] = mapped_column(UtcDateTime, nullable=False)
    heartbeat_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    people_done: Mapped[int] = mapped_column(Integer, nullable=False, default=0,
                                             server_default="0")
    people_total: Mapped[int | None] = mapped_column(Integer, nullable=True)
    finished_at: Mapped[dt.datetime | None] = mapped_column(UtcDateTime, nullable=True)
    counts: Mapped[dict[str, int] | None] = mapped_column(JSON, nullable=True)
    error: Mapped[str | None] = mapped_column(Text, nullable=True)
