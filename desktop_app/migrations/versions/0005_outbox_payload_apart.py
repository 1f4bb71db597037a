"""outbox payloads move to their own table, so sending and answering rewrite narrow rows

Each entry's payload (the full row, ~1 KB) moves from ``outbox_entry`` to
``outbox_payload`` under the same ``seq``, as the same text, with the payload's ``deleted``
beside it as ``tombstone``. The sync client rewrites ``attempts`` and ``state`` of a
thousand entries per batch; with the payloads inline that rewrote every page of every
payload.

Revision ID: 0005
Revises: 0004
Create Date: 2026-11-22
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0005"
down_revision: str | None = "0004"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.create_table(
        "outbox_payload",
        sa.Column("seq", sa.Integer(), autoincrement=False, nullable=False),
        sa.Column("payload", sa.JSON(), nullable=False),
        sa.Column("tombstone", sa.Boolean(), nullable=False),
        sa.ForeignKeyConstraint(["seq"], ["outbox_entry.seq"],
                                name=op.f("fk_outbox_payload_seq_outbox_entry"),
                                ondelete="CASCADE"),
        sa.PrimaryKeyConstraint("seq", name=op.f("pk_outbox_payload")),
    )
    # The text is copied as it is: an entry already sent goes out again byte for byte.
    op.execute("INSERT INTO outbox_payload (seq, payload, tombstone) "
               "SELECT seq, payload, CASE WHEN json_extract(payload, '$.deleted') "
               "THEN 1 ELSE 0 END FROM outbox_entry ORDER BY seq")
    with op.batch_alter_table("outbox_entry", schema=None) as batch_op:
        batch_op.drop_column("payload")


def downgrade() -> None:
    with op.batch_alter_table("outbox_entry", schema=None) as batch_op:
        batch_op.add_column(sa.Column("payload", sa.JSON(), nullable=True))
    op.execute("UPDATE outbox_entry SET payload = (SELECT payload FROM outbox_payload "
               "WHERE outbox_payload.seq = outbox_entry.seq)")
    with op.batch_alter_table("outbox_entry", schema=None) as batch_op:
        batch_op.alter_column("payload", existing_type=sa.JSON(), nullable=False)
    op.drop_table("outbox_payload")
