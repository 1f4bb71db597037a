"""The web console (issue 21): console accounts and sessions, the store's own audit trail,
framework releases published by the IPCB, and what the console shows of devices, users and
enrolment codes.

``store_audit_event`` is append-only: on PostgreSQL a trigger refuses UPDATE and DELETE
(TRUNCATE too), so a mistake in code cannot rewrite it; the hash chain
(sync_server/store_audit.py) shows a rewrite done around the trigger.

Revision ID: 0006
Revises: 0005
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Revisions never import the models: UtcDateTime is stored as a plain DateTime.
_WHEN = sa.DateTime

_APPEND_ONLY = """
CREATE FUNCTION store_audit_append_only() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'store_audit_event is append-only';
END $$;
CREATE TRIGGER store_audit_event_append_only
    BEFORE UPDATE OR DELETE ON store_audit_event
    FOR EACH ROW EXECUTE FUNCTION store_audit_append_only();
CREATE TRIGGER store_audit_event_no_truncate
    BEFORE TRUNCATE ON store_audit_event
    FOR EACH STATEMENT EXECUTE FUNCTION store_audit_append_only();
"""


def upgrade() -> None:
    with op.batch_alter_table("store_user") as batch:
        batch.add_column(sa.Column("deactivated_at", _WHEN(), nullable=True))
    with op.batch_alter_table("device") as batch:
        batch.add_column(sa.Column("last_seen_at", _WHEN(), nullable=True))
        batch.add_column(sa.Column("app_version", sa.String(32), nullable=True))
        batch.add_column(sa.Column("pending_changes", sa.Integer(), nullable=True))
        batch.add_column(sa.Column("flow_version", sa.String(40), nullable=True))
        batch.add_column(sa.Column("catalogue_version", sa.String(20), nullable=True))
    with op.batch_alter_table("enrolment_code") as batch:
        batch.add_column(sa.Column("prefix", sa.String(4), nullable=True))
        batch.add_column(sa.Column("failed_attempts", sa.Integer(), nullable=False,
                                   server_default="0"))
        batch.add_column(sa.Column("issued_by", sa.String(36), nullable=True))
        batch.add_column(sa.Column("withdrawn_at", _WHEN(), nullable=True))
        batch.create_index("ix_enrolment_code_prefix", ["prefix"])
    op.create_table(
        "console_account",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("username", sa.String(64), nullable=False),
        sa.Column("display_name", sa.String(200), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("password_hash", sa.String(200), nullable=False),
        sa.Column("totp_secret", sa.String(64), nullable=False),
        sa.Column("totp_last_step", sa.BigInteger(), nullable=True),
        sa.Column("failed_sign_ins", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("locked_until", _WHEN(), nullable=True),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.Column("last_sign_in_at", _WHEN(), nullable=True),
        sa.Column("deactivated_at", _WHEN(), nullable=True),
        sa.CheckConstraint("role IN ('it_admin', 'ipcb_governance')",
                           name=op.f("ck_console_account_role_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_account")),
        sa.UniqueConstraint("username", name=op.f("uq_console_account_username")),
    )
    op.create_table(
        "console_session",
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=False),
        sa.Column("csrf_token", sa.String(64), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.Column("last_seen_at", _WHEN(), nullable=False),
        sa.Column("ended_at", _WHEN(), nullable=True),
        sa.ForeignKeyConstraint(["account_id"], ["console_account.id"],
                                name=op.f("fk_console_session_account_id_console_account")),
        sa.PrimaryKeyConstraint("token_hash", name=op.f("pk_console_session")),
    )
    op.create_index("ix_console_session_account_id", "console_session", ["account_id"])
    op.create_table(
        "store_audit_chain",
        sa.Column("chain", sa.String(36), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chain", name=op.f("pk_store_audit_chain")),
    )
    op.create_table(
        "store_audit_event",
        sa.Column("chain", sa.String(36), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("at", _WHEN(), nullable=False),
        sa.Column("actor_kind", sa.String(16), nullable=False),
        sa.Column("actor_id", sa.String(36), nullable=True),
        sa.Column("actor_name", sa.String(200), nullable=False),
        sa.Column("action", sa.String(48), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=True),
        sa.Column("user_id", sa.String(36), nullable=True),
        sa.Column("detail", sa.JSON(), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.PrimaryKeyConstraint("chain", "seq", name=op.f("pk_store_audit_event")),
    )
    op.create_index("ix_store_audit_event_at", "store_audit_event", ["at"])
    op.create_index("ix_store_audit_event_team_at", "store_audit_event", ["team_id", "at"])
    op.create_index("ix_store_audit_event_device_at", "store_audit_event", ["device_id", "at"])
    op.create_table(
        "framework_release",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("version", sa.String(40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(64), nullable=False),
        sa.Column("note", sa.Text(), nullable=False),
        sa.Column("published_at", _WHEN(), nullable=False),
        sa.Column("published_by", sa.String(36), nullable=True),
        sa.CheckConstraint("kind IN ('flow', 'catalogue')",
                           name=op.f("ck_framework_release_kind_known")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_framework_release")),
    )
    op.create_index("ix_framework_release_kind_version", "framework_release",
                    ["kind", "version"], unique=True)
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_APPEND_ONLY)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER store_audit_event_no_truncate ON store_audit_event")
        op.execute("DROP TRIGGER store_audit_event_append_only ON store_audit_event")
        op.execute("DROP FUNCTION store_audit_append_only()")
    op.drop_table("framework_release")
    op.drop_table("store_audit_event")
    op.drop_table("store_audit_chain")
    op.drop_index("ix_console_session_account_id", table_name="console_session")
    op.drop_table("console_session")
    op.drop_table("console_account")
    with op.batch_alter_table("enrolment_code") as batch:
        batch.drop_index("ix_enrolment_code_prefix")
        for column in ("withdrawn_at", "issued_by", "failed_attempts", "prefix"):
            batch.drop_column(column)
    with op.batch_alter_table("device") as batch:
        for column in ("catalogue_version", "flow_version", "pending_changes", "app_version",
                       "last_seen_at"):
            batch.drop_column(column)
    with op.batch_alter_table("store_user") as batch:
        batch.drop_column("deactivated_at")
