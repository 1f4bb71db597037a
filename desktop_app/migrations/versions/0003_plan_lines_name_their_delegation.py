"""plan task lines and funding splits name the delegation they belong to

A person may have several delegated tasks; each new plan version carries the lines of the
other running delegations forward, and needs to know whose each line is. Existing lines
belong to the delegation of the plan version they were made with.

Revision ID: 0003
Revises: 0002
Create Date: 2026-11-22 13:25:00
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

TABLES = ("support_plan_task", "funding_split")


def upgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.add_column(sa.Column("delegation_case_id", sa.String(length=36),
                                          nullable=True))
        op.execute(f"UPDATE {table} SET delegation_case_id = (SELECT delegation_case_id "
                   f"FROM support_plan WHERE support_plan.id = {table}.plan_id)")


def downgrade() -> None:
    for table in TABLES:
        with op.batch_alter_table(table, schema=None) as batch_op:
            batch_op.drop_column("delegation_case_id")
