"""Central store: teams, users, devices, enrolment codes, records, applied changes.

Revision ID: 0001
Revises:
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0001"
down_revision: str | None = None
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Revisions never import the models: UtcDateTime is stored as a plain DateTime.
_WHEN = sa.DateTime


def upgrade() -> None:
    op.create_table(
        "team",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_team")),
        sa.UniqueConstraint("name", name=op.f("uq_team_name")),
    )
    op.create_table(
        "store_user",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("role", sa.String(32), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.CheckConstraint(
            "role IN ('nurse', 'team_lead', 'social_care_practitioner', 'read_only')",
            name=op.f("ck_store_user_role_known"),
        ),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_store_user_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_store_user")),
    )
    op.create_index(op.f("ix_store_user_team_id"), "store_user", ["team_id"])
    op.create_table(
        "device",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("name", sa.String(200), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("token_hash", sa.String(64), nullable=False),
        sa.Column("enrolled_at", _WHEN(), nullable=False),
        sa.Column("revoked_at", _WHEN(), nullable=True),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_device_team_id_team")),
        sa.ForeignKeyConstraint(
            ["user_id"], ["store_user.id"], name=op.f("fk_device_user_id_store_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_device")),
        sa.UniqueConstraint("token_hash", name=op.f("uq_device_token_hash")),
    )
    op.create_index(op.f("ix_device_team_id"), "device", ["team_id"])
    op.create_table(
        "enrolment_code",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("code_hash", sa.String(64), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("created_at", _WHEN(), nullable=False),
        sa.Column("expires_at", _WHEN(), nullable=False),
        sa.Column("used_at", _WHEN(), nullable=True),
        sa.Column("device_id", sa.String(36), nullable=True),
        sa.ForeignKeyConstraint(
            ["device_id"], ["device.id"], name=op.f("fk_enrolment_code_device_id_device")
        ),
        sa.ForeignKeyConstraint(
            ["user_id"], ["store_user.id"], name=op.f("fk_enrolment_code_user_id_store_user")
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_code")),
        sa.UniqueConstraint("code_hash", name=op.f("uq_enrolment_code_code_hash")),
    )
    counter = op.create_table(
        "version_counter",
        sa.Column("id", sa.Integer(), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_version_counter")),
    )
    op.bulk_insert(counter, [{"id": 1, "value": 0}])
    op.create_table(
        "record",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("server_version", sa.BigInteger(), nullable=False),
        sa.Column("row", sa.JSON(), nullable=False),
        sa.Column("tombstone", sa.Boolean(), nullable=False),
        sa.Column("updated_at", _WHEN(), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"], name=op.f("fk_record_team_id_team")),
        sa.PrimaryKeyConstraint("id", "entity_type", name=op.f("pk_record")),
        sa.UniqueConstraint("server_version", name=op.f("uq_record_server_version")),
    )
    op.create_index("ix_record_team_version", "record", ["team_id", "server_version"])
    op.create_table(
        "applied_change",
        sa.Column("idempotency_key", sa.String(128), nullable=False),
        sa.Column("content_hash", sa.String(64), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("record_id", sa.String(36), nullable=False),
        sa.Column("answer", sa.JSON(), nullable=False),
        sa.Column("applied_at", _WHEN(), nullable=False),
        sa.PrimaryKeyConstraint("idempotency_key", name=op.f("pk_applied_change")),
    )


def downgrade() -> None:
    op.drop_table("applied_change")
    op.drop_index("ix_record_team_version", table_name="record")
    op.drop_table("record")
    op.drop_table("version_counter")
    op.drop_table("enrolment_code")
    op.drop_index(op.f("ix_device_team_id"), table_name="device")
    op.drop_table("device")
    op.drop_index(op.f("ix_store_user_team_id"), table_name="store_user")
    op.drop_table("store_user")
    op.drop_table("team")
