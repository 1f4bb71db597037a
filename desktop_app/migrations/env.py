"""Alembic environment: runs on the connection the vault hands over (never opens its own)."""

from __future__ import annotations

from typing import Any

from alembic import context

import desktop_app.models  # noqa: F401  (registers every table on the metadata)
from desktop_app.models.base import Base, UtcDateTime


def render_item(type_: str, obj: Any, autogen_context: Any) -> str | bool:
    """Revisions must not import the models: UtcDateTime is stored as a plain DateTime."""
    if type_ == "type" and isinstance(obj, UtcDateTime):
        return "sa.DateTime()"
    return False


config = context.config
connection = config.attributes.get("connection")
if connection is None:
    raise RuntimeError(
        "migrations run inside the app's vault (desktop_app.services.core.migrate), "
        "which supplies the keyed connection"
    )

context.configure(
    connection=connection,
    target_metadata=Base.metadata,
    render_as_batch=True,  # SQLite cannot ALTER most things; batch mode rebuilds tables
    compare_type=True,
    render_item=render_item,
)
with context.begin_transaction():
    context.run_migrations()
if connection.in_transaction():
    connection.commit()
