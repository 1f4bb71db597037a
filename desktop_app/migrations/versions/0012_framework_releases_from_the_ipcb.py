"""framework releases from the IPCB: the flow and catalogue versions received on sync

New table (local, never synced): ``framework_release``, one row per delegation flow or task
catalogue version the IPCB published on the central store and this laptop received, kept
exactly as published with its SHA-256 (desktop_app/models/framework_release.py).

Data kept: no existing row changes. Downgrading drops the table: the received versions are
gone from the vault (a decision made under one keeps its version's name; the catalogue's
tasks stay in ``task_type``), and the next sync after upgrading again fetches them anew.

Revision ID: 0012
Revises: 0011
Create Date: 2026-12-08
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0012"
down_revision: str | None = "0011"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "framework_release",
        sa.Column("kind", sa.String(length=16), nullable=False),
        sa.Column("version", sa.String(length=40), nullable=False),
        sa.Column("content", sa.Text(), nullable=False),
        sa.Column("sha256", sa.String(length=64), nullable=False),
        sa.Column("published_at", sa.DateTime(), nullable=False),
        sa.Column("received_at", sa.DateTime(), nullable=False),
        sa.CheckConstraint("kind IN ('flow', 'catalogue')", name=op.f("ck_framework_release_kind")),
        sa.PrimaryKeyConstraint("kind", "version", name=op.f("pk_framework_release")),
    )


def downgrade() -> None:
    op.drop_table("framework_release")
