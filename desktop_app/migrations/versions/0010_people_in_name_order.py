"""people in the order a reader expects: an index on the names' sort keys

``ix_person_family_key`` indexes ``name_key(family_name), name_key(given_name)``, the SQL
function every vault connection is given (``desktop_app.services.core.collation``: accents
beside their letter, case ignored, "Kowalski, Łukasz" before "Zoë"). The caseload walks it
for the page of a broad search, as it walked ``ix_person_family_name`` before, and reads
both keys from it instead of working them out for every person before the page (a page
4,000 people down "everyone" at 50,000 people: 26 ms with the family key alone, 18 ms with
both, 22 ms for the old order by the bare columns).

The index is not declared on the model: an engine without the function (a test's
in-memory database made with ``create_all``) could not create it, nor write a person.
SQLAlchemy does not reflect an index on an expression, so a later revision that rebuilds
the person table (``batch_alter_table`` in recreate mode) drops it silently: such a
revision must create it again (``tests/services/test_name_order.py`` checks it is there at
head). If ``name_key`` ever changes, a revision runs ``REINDEX ix_person_family_key``.

Revision ID: 0010
Revises: 0009
Create Date: 2026-12-07
"""

from __future__ import annotations

from collections.abc import Sequence

from alembic import op

revision: str = "0010"
down_revision: str | None = "0009"
branch_labels: str | Sequence[str] | None = None
depends_on: str | Sequence[str] | None = None


def upgrade() -> None:
    op.execute("CREATE INDEX ix_person_family_key ON person "
               "(name_key(family_name), name_key(given_name))")


def downgrade() -> None:
    op.execute("DROP INDEX ix_person_family_key")
