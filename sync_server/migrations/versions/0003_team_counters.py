"""Per-team version counters (issue 20, item 8): teams no longer wait on one lock.

Every push used to lock the one row of ``version_counter``, so every push in the store ran
after the one before, whatever its team. Now each team has its own row in
``team_version_counter``, locked by that team's pushes only; a pull reads one team's records,
so the pull's guarantee (a cursor never passes a version whose transaction commits later)
holds per team, which is all it ever needed. ``record.server_version`` becomes unique per
team, not globally: the unique index on ``(team_id, server_version)`` (the pull's index,
made unique) replaces the unique constraint on ``server_version``.

Cursors stay valid: every existing team's counter starts at the old global value, so no
version a laptop has already seen is handed out again, and versions only go up.

``version_counter`` is kept, frozen at its last value (nothing writes it any more): it is
the floor every team's counter started from, and the push starts a team whose counter row
is missing from the greater of it and the team's highest record version. Keeping it costs a
row; dropping it would lose that floor.

Downgrading sets ``version_counter`` above every version any team handed out and restores
the global unique constraint; it stops with an error if two teams have records at the
same version (their cursors could not be kept valid under one global counter).

Revision ID: 0003
Revises: 0002
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0003"
down_revision: str | None = "0002"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "team_version_counter",
        sa.Column("team_id", sa.String(36), nullable=False),
        sa.Column("value", sa.BigInteger(), nullable=False),
        sa.ForeignKeyConstraint(["team_id"], ["team.id"],
                                name=op.f("fk_team_version_counter_team_id_team")),
        sa.PrimaryKeyConstraint("team_id", name=op.f("pk_team_version_counter")),
    )
    op.execute("INSERT INTO team_version_counter (team_id, value) "
               "SELECT id, COALESCE((SELECT value FROM version_counter WHERE id = 1), 0) "
               "FROM team")
    with op.batch_alter_table("record") as batch:
        batch.drop_constraint(op.f("uq_record_server_version"), type_="unique")
        batch.drop_index("ix_record_team_version")
        batch.create_index("ix_record_team_version", ["team_id", "server_version"],
                           unique=True)


def downgrade() -> None:
    shared = op.get_bind().execute(sa.text(
        "SELECT server_version FROM record GROUP BY server_version HAVING count(*) > 1 "
        "LIMIT 1")).first()
    if shared is not None:
        raise RuntimeError(
            f"cannot go back to one global version counter: several teams have records at "
            f"version {shared[0]}")
    op.execute("UPDATE version_counter SET value = (SELECT max(v) FROM "
               "(SELECT value AS v FROM version_counter UNION ALL "
               "SELECT value FROM team_version_counter) AS every_counter)")
    with op.batch_alter_table("record") as batch:
        batch.drop_index("ix_record_team_version")
        batch.create_index("ix_record_team_version", ["team_id", "server_version"])
        batch.create_unique_constraint(op.f("uq_record_server_version"), ["server_version"])
    op.drop_table("team_version_counter")
