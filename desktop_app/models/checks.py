"""Named CHECK constraints shared by the domain models.

Enumerated values are stored as plain ``String(N)`` columns rather than SQLAlchemy ``Enum``
types, so Alembic batch migrations on SQLite see nothing but text and named constraints.
The allowed values are written out from the module's ``StrEnum``, so the Python enum and
the database can never list different values. The naming convention on ``Base.metadata``
turns ``name="status"`` into ``ck_<table>_status``.
"""

from __future__ import annotations

import enum
import re

from sqlalchemy import CheckConstraint

# Values and column names go into DDL text verbatim, so only plain identifiers are allowed.
_SAFE = re.compile(r"^[A-Za-z0-9_]+$")


def _safe(text: str) -> str:
    if not _SAFE.match(text):
        raise ValueError(f"not a plain identifier, refusing to put it in DDL: {text!r}")
    return text


def one_of(column: str, values: type[enum.StrEnum], *, name: str | None = None) -> CheckConstraint:
    """A CHECK that ``column`` holds one of the enum's values (NULL passes, as SQL has it)."""
    quoted = ", ".join(f"'{_safe(member.value)}'" for member in values)
    return CheckConstraint(f"{_safe(column)} IN ({quoted})", name=name or column)


def digits_only(column: str, length: int, *, name: str | None = None) -> CheckConstraint:
    """A CHECK that ``column`` is exactly ``length`` ASCII digits.

    Written with ``substr`` rather than SQLite's GLOB so the same text works on PostgreSQL.
    """
    col = _safe(column)
    each = " AND ".join(f"substr({col}, {i}, 1) BETWEEN '0' AND '9'" for i in range(1, length + 1))
    return CheckConstraint(f"length({col}) = {length} AND {each}", name=name or column)
