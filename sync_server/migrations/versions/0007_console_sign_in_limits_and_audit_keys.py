"""The console's sign-in limits, encrypted TOTP secrets, and keyed audit chains (issue 21,
after the security review of the console).

- ``console_sign_in_failure``: one row per failed console sign-in (client address, a 16-bit
  tag of the username typed, the account when there is one), counted before any password
  is checked (sync_server/console/sign_in.py). The lock it drives is per username and
  address, so ``console_account.locked_until`` goes.
- ``console_account.totp_secret`` grows to 200 characters: an AES-GCM encrypted secret
  (``enc1:<key id>:<base64>``) is longer than the base32 text.
- ``key_id`` on ``store_audit_event`` (covered by the row's hash) and ``store_audit_chain``:
  the fingerprint of the key a chain is hashed with, or ``unkeyed``; an append under
  another key is refused until the chain is rekeyed (sync_server/store_audit.py).

Migration 0006 ships in the same release, so no store holds events hashed before ``key_id``
existed: every existing row is ``unkeyed`` by the server default.

Revision ID: 0007
Revises: 0006
"""

from __future__ import annotations

from collections.abc import Sequence

import sqlalchemy as sa
from alembic import op

revision: str = "0007"
down_revision: str | None = "0006"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

# Revisions never import the models: UtcDateTime is stored as a plain DateTime.
_WHEN = sa.DateTime
_FAILURE = "console_sign_in_failure"
_INDEXES = {
    "ix_console_sign_in_failure_address_failed_at": ["address", "failed_at"],
    "ix_console_sign_in_failure_failed_at": ["failed_at"],
    "ix_console_sign_in_failure_name_tag_address": ["name_tag", "address"],
}


def upgrade() -> None:
    op.create_table(
        _FAILURE,
        sa.Column("id", sa.String(36), nullable=False),
        sa.Column("address", sa.String(64), nullable=False),
        sa.Column("name_tag", sa.String(4), nullable=False),
        sa.Column("account_id", sa.String(36), nullable=True),
        sa.Column("failed_at", _WHEN(), nullable=False),
        sa.PrimaryKeyConstraint("id", name=op.f("pk_console_sign_in_failure")),
    )
    for name, columns in _INDEXES.items():
        op.create_index(name, _FAILURE, columns)
    with op.batch_alter_table("console_account") as batch:
        batch.drop_column("locked_until")
        batch.alter_column("totp_secret", existing_type=sa.String(64), type_=sa.String(200),
                           existing_nullable=False)
    for table in ("store_audit_event", "store_audit_chain"):
        with op.batch_alter_table(table) as batch:
            batch.add_column(sa.Column("key_id", sa.String(16), nullable=False,
                                       server_default="unkeyed"))


def downgrade() -> None:
    for table in ("store_audit_chain", "store_audit_event"):
        with op.batch_alter_table(table) as batch:
            batch.drop_column("key_id")
    with op.batch_alter_table("console_account") as batch:
        batch.alter_column("totp_secret", existing_type=sa.String(200), type_=sa.String(64),
                           existing_nullable=False)
        batch.add_column(sa.Column("locked_until", _WHEN(), nullable=True))
    for name in _INDEXES:
        op.drop_index(name, table_name=_FAILURE)
    op.drop_table(_FAILURE)
