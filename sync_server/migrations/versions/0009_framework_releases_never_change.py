"""A published framework release never changes (issue 21): on PostgreSQL a trigger refuses
UPDATE, DELETE and TRUNCATE of ``framework_release``, so neither a mistake in code nor a
hand-typed statement can change a flow or catalogue version laptops may already hold. (A
superuser can still get round it; each laptop checks every release's SHA-256 and rules
before keeping it, and never replaces a version it holds.) The SQLite trial has no trigger.

Revision ID: 0009
Revises: 0008
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0009"
down_revision: str | None = "0008"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None

_NEVER_CHANGES = """
CREATE FUNCTION framework_release_never_changes() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'a published framework release never changes; publish a new version';
END $$;
CREATE TRIGGER framework_release_never_changes
    BEFORE UPDATE OR DELETE ON framework_release
    FOR EACH ROW EXECUTE FUNCTION framework_release_never_changes();
CREATE TRIGGER framework_release_no_truncate
    BEFORE TRUNCATE ON framework_release
    FOR EACH STATEMENT EXECUTE FUNCTION framework_release_never_changes();
"""


def upgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute(_NEVER_CHANGES)


def downgrade() -> None:
    if op.get_bind().dialect.name == "postgresql":
        op.execute("DROP TRIGGER framework_release_no_truncate ON framework_release")
        op.execute("DROP TRIGGER framework_release_never_changes ON framework_release")
        op.execute("DROP FUNCTION framework_release_never_changes()")
