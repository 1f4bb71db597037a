"""a delegation of the same task decided again ends the earlier case, with a link to the new one

``delegation_case.replaced_by_case_id``: set on the earlier case (status ``closed``) when a
later delegation of the same task for the same person is decided.

Revision ID: 0008
Revises: 0007
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("delegation_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("replaced_by_case_id", sa.String(length=36),
                                      nullable=True))
        batch_op.create_foreign_key(
            batch_op.f("fk_delegation_case_replaced_by_case_id_delegation_case"),
            "delegation_case", ["replaced_by_case_id"], ["id"], ondelete="RESTRICT")


def downgrade() -> None:
    with op.batch_alter_table("delegation_case", schema=None) as batch_op:
        batch_op.drop_constraint(
            batch_op.f("fk_delegation_case_replaced_by_case_id_delegation_case"),
            type_="foreignkey")
        batch_op.drop_column("replaced_by_case_id")
