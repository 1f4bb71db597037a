"""Reading a team's changes after a cursor, in server-version order, a page at a time.

Each record appears once, at the version it was last written; a record written again later
moves past the cursor and comes again. Versions are counted per team, and a team's pushes
hand out its versions under its counter's lock and commit in that order, so everything of
the team at or below a cursor a device has seen is already visible (a cursor is only ever
compared with its own team's versions). An empty page never answers with a cursor above the
team's last version handed out.

A page is written straight from the stored JSON text: an initial pull of 100,000 records
would otherwise parse and re-encode every row for nothing.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from sqlalchemy import Text, cast, select
from sqlalchemy.orm import Session

from sync_server.models import Record
from sync_server.record_store import last_version


@dataclass(frozen=True)
class Page:
    """One page: each change as JSON text, the cursor to ask from next, whether more wait."""

    changes: list[str]
    next_cursor: int
    has_more: bool

    def to_json(self) -> bytes:
        """The page as the response body (``PullOut`` in the OpenAPI schema)."""
        more = "true" if self.has_more else "false"
        return (f'{{"changes":[{",".join(self.changes)}],'
                f'"next_cursor":{self.next_cursor},"has_more":{more}}}').encode()


_PG_PAGE = """
SELECT entity_type, id, server_version, row::text, tombstone,
       to_char(updated_at, 'YYYY-MM-DD"T"HH24:MI:SS.US"+00:00"')
FROM record WHERE team_id = %(team)s AND server_version > %(cursor)s
ORDER BY server_version LIMIT %(limit)s
"""


def _page_rows(session: Session, team_id: str, cursor: int, limit: int) -> list[Any]:
    """(entity_type, id, server_version, row text, tombstone, updated_at ISO text) rows."""
    if session.get_bind().dialect.name == "postgresql":
        # Straight through the driver: the ORM's per-row processing was most of a page's time.
        raw = session.connection().connection.driver_connection
        assert raw is not None
        with raw.cursor() as cur:
            # Right after a bulk push the table's statistics are stale (autovacuum analyses
            # within a minute or so) and the planner picks a bitmap scan that reads and sorts
            # every later row of the team for each page: an initial pull then costs the
            # square of its size. The index on (team_id, server_version) already gives the
            # order, so this transaction does without bitmap scans.
            cur.execute("SET LOCAL enable_bitmapscan = off")
            cur.execute(_PG_PAGE, {"team": team_id, "cursor": cursor, "limit": limit})
            return list(cur.fetchall())
    rows = session.execute(
        select(Record.entity_type, Record.id, Record.server_version, cast(Record.row, Text),
               Record.tombstone, Record.updated_at)
        .where(Record.team_id == team_id, Record.server_version > cursor)
        .order_by(Record.server_version)
        .limit(limit)
    ).all()
    return [(*r[:5], r[5].isoformat()) for r in rows]


def pull_page(session: Session, team_id: str, cursor: int, limit: int) -> Page:
    """Up to ``limit`` records of ``team_id`` with a server version above ``cursor``."""
    rows = _page_rows(session, team_id, cursor, limit + 1)
    has_more = len(rows) > limit
    rows = rows[:limit]
    if not rows:
        # A cursor beyond every version the team was ever handed means the store was
        # restored from an older backup: answering with the lower cursor tells the laptop
        # to pull from 0.
        return Page([], min(cursor, last_version(session, team_id)), False)
    # Entity types come from the allow-list and ids are canonical UUIDs (checked on push),
    # and each row is stored JSON: nothing needs escaping.
    changes = [
        f'{{"entity_type":"{etype}","id":"{rid}","server_version":{version},"row":{row},'
        f'"tombstone":{"true" if tombstone else "false"},"updated_at":"{when}"}}'
        for etype, rid, version, row, tombstone, when in rows
    ]
    return Page(changes, rows[-1][2], has_more)
