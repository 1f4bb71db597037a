"""Laptops' audit events and chain heads witnessed on the store (issue 20, item 2).

``laptop_audit_chain`` holds each laptop's head per team and epoch, ``laptop_audit_event``
the events it uploaded, ``laptop_audit_break`` the breaks found or reported
(sync_server/audit.py).

Revision ID: 0005
Revises: 0004
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Revisions never import the models: UtcDateTime is stored as a plain DateTime.
_WHEN = sa.DateTime


def upgrade() -> None:
    op.create_table(
        "laptop_audit_chain",
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("laptop_id", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("head_seq", sa.BigInteger(), nullable=False),
        sa.Column("head_hash", sa.String(64), nullable=False),
        sa.Column("awaiting_baseline", sa.Boolean(), nullable=False),
        sa.Column("lenient_until", sa.BigInteger(), nullable=True),
        sa.Column("started_at", _WHEN(), nullable=False),
        sa.Column("updated_at", _WHEN(), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=True),
        sa.PrimaryKeyConstraint("team_id", "laptop_id", "epoch",
                                name=op.f("pk_laptop_audit_chain")),
    )
    op.create_table(
        "laptop_audit_event",
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("laptop_id", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("seq", sa.BigInteger(), nullable=False),
        sa.Column("event_id", sa.String(36), nullable=False),
        sa.Column("at", _WHEN(), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("entity_type", sa.String(64), nullable=False),
        sa.Column("entity_id", sa.String(36), nullable=False),
        sa.Column("action", sa.String(32), nullable=False),
        sa.Column("prev_hash", sa.String(64), nullable=False),
        sa.Column("hash", sa.String(64), nullable=False),
        sa.Column("received_at", _WHEN(), nullable=False),
        sa.Column("uploaded_by", sa.String(36), nullable=False),
        sa.PrimaryKeyConstraint("team_id", "laptop_id", "epoch", "seq",
                                name=op.f("pk_laptop_audit_event")),
    )
    op.create_table(
        "laptop_audit_break",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("laptop_id", sa.String(36), nullable=False),
        sa.Column("epoch", sa.Integer(), nullable=False),
        sa.Column("kind", sa.String(16), nullable=False),
        sa.Column("at", _WHEN(), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("expected_seq", sa.BigInteger(), nullable=True),
        sa.Column("expected_hash", sa.String(64), nullable=True),
        sa.Column("offered_seq", sa.BigInteger(), nullable=True),
        sa.Column("offered_hash", sa.String(64), nullable=True),
        sa.Column("event_id", sa.String(36), nullable=True),
        sa.Column("broken_event_id", sa.String(36), nullable=True),
        sa.Column("accepted_at", _WHEN(), nullable=True),
        sa.CheckConstraint(
            "kind IN ('truncated', 'rewritten', 'unknown_head', 'reported')",
            name=op.f("ck_laptop_audit_break_kind_known"),
        ),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_laptop_audit_break")),
    )
    op.create_index("ix_laptop_audit_break_laptop", "laptop_audit_break",
                    ["laptop_id", "team_id"])


def downgrade() -> None:
    op.drop_index("ix_laptop_audit_break_laptop", table_name="laptop_audit_break")
    op.drop_table("laptop_audit_break")
    op.drop_table("laptop_audit_event")
    op.drop_table("laptop_audit_chain")
