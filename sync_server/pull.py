"""Reading a team's changes after a cursor, in server-version order, a page at a time.

Each record appears once, at the version it was last written; a record written again later
moves past the cursor and comes again. An empty page never answers with a cursor above the
last version handed out (see ``pull_page``). Because pushes hand out versions under one lock and
commit in that order, everything at or below a cursor a device has seen is already visible.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from sync_server.models import Record, VersionCounter


@dataclass(frozen=True)
class Page:
    """One page of changes, the cursor to ask from next, and whether more are waiting."""

    changes: list[dict[str, Any]]
    next_cursor: int
    has_more: bool


def pull_page(session: Session, team_id: str, cursor: int, limit: int) -> Page:
    """Up to ``limit`` records of ``team_id`` with a server version above ``cursor``."""
    rows = session.execute(
        select(Record.entity_type, Record.id, Record.server_version, Record.row,
               Record.tombstone, Record.updated_at)
        .where(Record.team_id == team_id, Record.server_version > cursor)
        .order_by(Record.server_version)
        .limit(limit + 1)
    ).all()
    has_more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        # A cursor beyond every version ever handed out means the store was restored from
        # an older backup: answering with the lower cursor tells the laptop to pull from 0.
        last = session.execute(select(VersionCounter.value)).scalar_one()
        return Page([], min(cursor, last), False)
    changes = [
        {"entity_type": r[0], "id": r[1], "server_version": r[2], "row": r[3],
         "tombstone": r[4], "updated_at": r[5].isoformat()}
        for r in rows
    ]
    return Page(changes, rows[-1][2] if rows else cursor, has_more)
