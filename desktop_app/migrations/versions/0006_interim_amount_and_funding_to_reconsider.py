"""an escalation keeps its interim weekly amount; a withdrawn delegation its funding to reconsider

``shared_care_discussion.interim_pence_per_week``: what the interim funder pays a week
"without prejudice" while a disagreement about *whether* to delegate is open (the nursing
team keeps the task meanwhile, so no plan line carries it). ``delegation_case.
funding_reconsider_from``: set when a delegation ends with funding lines, until the joint
meeting records that the funding was reconsidered (``funding_reconsidered_on``).

Revision ID: 0006
Revises: 0005
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0006"
down_revision: str | None = "0005"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    with op.batch_alter_table("shared_care_discussion", schema=None) as batch_op:
        batch_op.add_column(sa.Column("interim_pence_per_week", sa.Integer(), nullable=True))
    with op.batch_alter_table("delegation_case", schema=None) as batch_op:
        batch_op.add_column(sa.Column("funding_reconsider_from", sa.Date(), nullable=True))
        batch_op.add_column(sa.Column("funding_reconsidered_on", sa.Date(), nullable=True))


def downgrade() -> None:
    with op.batch_alter_table("delegation_case", schema=None) as batch_op:
        batch_op.drop_column("funding_reconsidered_on")
        batch_op.drop_column("funding_reconsider_from")
    with op.batch_alter_table("shared_care_discussion", schema=None) as batch_op:
        batch_op.drop_column("interim_pence_per_week")
