"""Limits on failed enrolment attempts (issue 20, item 4).

Every wrong enrolment code is kept for a while with the client address it came from, so any
number of store processes behind a load balancer count the same failures: too many from one
address, or from everywhere together, within the window and enrolment answers 429 (auth.py).
Rows older than the window are deleted as new ones are counted, so the table stays small.

Revision ID: 0004
Revises: 0003
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0004"
down_revision: str | None = "0003"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "enrolment_failure",
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("failed_at", sa.DateTime(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_enrolment_failure")),
    )
    op.create_index("ix_enrolment_failure_address_failed_at", "enrolment_failure",
                    ["address", "failed_at"])
    op.create_index("ix_enrolment_failure_failed_at", "enrolment_failure", ["failed_at"])


def downgrade() -> None:
    op.drop_index("ix_enrolment_failure_failed_at", table_name="enrolment_failure")
    op.drop_index("ix_enrolment_failure_address_failed_at", table_name="enrolment_failure")
    op.drop_table("enrolment_failure")
