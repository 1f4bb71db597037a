"""An index of the live records by kind and team, for the IPCB's reports (issue 21, after
the review of the console's reports).

Each report reads the live records (``NOT tombstone``) of a few kinds, in every team or in
one (sync_server/reports/sql.py). ``record``'s key leads with the row's UUID and its other
index with the team's version counter, so without this each kind was a scan of the whole
table, every synced row of every kind, once per kind a report reads. On PostgreSQL the
index is partial (only live records: a report never reads a tombstone through it, and the
index stays smaller); SQLite, the one-team trial, gets a plain index (no reports run there).

Building it reads the whole ``record`` table once; ``upgrade`` runs with the store stopped.

Revision ID: 0008
Revises: 0007
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0008"
down_revision: str | None = "0007"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_INDEX = "ix_record_live_entity_team"


def upgrade() -> None:
    op.create_index(_INDEX, "record", ["entity_type", "team_id"],
                    postgresql_where=sa.text("NOT tombstone"))


def downgrade() -> None:
    op.drop_index(_INDEX, table_name="record")
