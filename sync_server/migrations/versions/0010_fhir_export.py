"""FHIR Bulk Data export from the central store (issue 22): ``fhir_export_job``.

One row per export a team's device asked for (sync_server/fhir_jobs.py): its state, when it
was asked for and by whom, the snapshot's time (the manifest's ``transactionTime``), its
progress and, when done, the resources written per type. The files themselves are on disk
(``SCP_STORE_EXPORT_DIR``), never in the database. A partial unique index lets at most one
export per team be ``running`` at a time, whichever store process started it.

Revision ID: 0010
Revises: 0009
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Revisions never import the models: UtcDateTime is stored as a plain DateTime.
_WHEN = sa.DateTime
_TABLE = "fhir_export_job"
_ONE_RUNNING = "ix_fhir_export_job_one_running"


def upgrade() -> None:
    op.create_table(
        _TABLE,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("device_id", sa.String(36), nullable=False),
        sa.Column("user_id", sa.String(36), nullable=False),
        sa.Column("requested_at", _WHEN(), nullable=False),
        sa.Column("request", sa.Text(), nullable=False),
        sa.Column("types", sa.JSON(), nullable=True),
        sa.Column("state", sa.String(16), nullable=False),
        sa.Column("transaction_time", _WHEN(), nullable=False),
        sa.Column("heartbeat_at", _WHEN(), nullable=True),
        sa.Column("people_done", sa.Integer(), nullable=False, server_default="0"),
        sa.Column("people_total", sa.Integer(), nullable=True),
        sa.Column("finished_at", _WHEN(), nullable=True),
        sa.Column("counts", sa.JSON(), nullable=True),
        sa.Column("error", sa.Text(), nullable=True),
        sa.CheckConstraint("state IN ('running', 'completed', 'failed', 'cancelled', "
                           "'deleted', 'expired')", name=op.f("ck_fhir_export_job_state_known")),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"],
                                name=op.f("fk_fhir_export_job_team_id_team")),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_fhir_export_job")),
    )
    op.create_index(_ONE_RUNNING, _TABLE, ["team_id"], unique=True,
                    postgresql_where=sa.text("state = 'running'"),
                    sqlite_where=sa.text("state = 'running'"))


def downgrade() -> None:
    op.drop_index(_ONE_RUNNING, table_name=_TABLE)
    op.drop_table(_TABLE)
