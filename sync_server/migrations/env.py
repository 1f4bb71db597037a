"""Alembic environment: runs on the connection ``sync_server.database.upgrade`` hands over."""

from __future__ import annotations

from alembic import context
from sqlalchemy import create_engine

from sync_server.models import Base

config = context.config


def _run(connection: object) -> None:
    context.configure(
        connection=connection,  # type: ignore[arg-type]
        target_metadata=Base.metadata,
        render_as_batch=True,  # the SQLite trial cannot ALTER most things
        compare_type=True,
    )
    with context.begin_transaction():
        context.run_migrations()


given = config.attributes.get("connection")
if given is not None:
    _run(given)
else:  # the plain `alembic` command line, with sqlalchemy.url set
    url = config.get_main_option("sqlalchemy.url")
    if not url:
        raise RuntimeError("run migrations with `shared-care-store upgrade`")
    with create_engine(url).begin() as conn:
        _run(conn)
