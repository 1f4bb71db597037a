"""The SQL every report across teams is built from: live records of a kind, and their fields.

Each synced row sits in ``record`` as the laptop sent it (``row``: JSON, every column by
name, dates as ``YYYY-MM-DD`` text, booleans as JSON true/false); ``tombstone`` marks a
row removed on a laptop, and a record is already its row's latest state. A report is one
or a few statements: common table expressions of the live records of each kind it reads
(``live``: each row's JSON parsed once, with ``json_to_record``, into the fields the report
needs; materialised, so each kind is read once, found through the partial index
``ix_record_live_entity_team`` of the live records by kind and team, migration 0008),
joined by hash on their ids, grouped in PostgreSQL; Python only loops over the groups.
Each report's transaction has a time limit per statement (``require_postgres``).

The store does not check a row's fields when it is pushed (a laptop's own services did), so
the SQL here never trusts one to parse: a date that is not a real ``YYYY-MM-DD`` day and a
number that is not a whole number read as NULL (the row is then not counted where that
field decides), instead of one bad row making the IPCB's report fail for every team.

Only constants of this package are put into the SQL text (entity types, field names);
everything a reader chose (period, team) is a bound parameter.
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import text
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sync_server.config import DEFAULT_REPORT_TIMEOUT_SECONDS
from sync_server.models import Team
from sync_server.reports.model import ReportError, StoreReportQuery

_NAME = re.compile(r"^[a-z_]+$")
_DAY = r"^[1-9][0-9]{3}-(0[1-9]|1[0-2])-(0[1-9]|[12][0-9]|3[01])$"
_WHOLE = r"^-?[0-9]{1,15}$"
FAR_FUTURE = dt.date(9999, 12, 31)
WORK_MEM = "64MB"  # per sort or hash of a report's statement, for its transaction only
TIME_LIMIT_KEY = "report_time_limit_seconds"  # in Session.info (set_time_limit)
QUERY_CANCELED = "57014"  # PostgreSQL's SQLSTATE for a statement stopped by its timeout
POSTGRES_ONLY = ("The reports across teams need the store's PostgreSQL database; this store "
                 "runs on the SQLite trial database, which keeps one team's records only "
                 "for trying the store out.")


def _checked(name: str) -> str:
    if not _NAME.match(name):
        raise ValueError(f"not a field or entity name: {name!r}")
    return name


@dataclass(frozen=True)
class Kind:
    """The records of one entity type a statement reads, and the fields it needs of their
    rows: text, days (``date``, NULL unless a real ``YYYY-MM-DD`` day), whole numbers
    (``bigint``, NULL unless one), flags (true only when the row says true) and JSON.
    ``with_removed`` keeps tombstoned rows too (where the laptop's report does not look at
    ``deleted`` either, e.g. the care provider of a sign-off)."""

    entity: str
    text: tuple[str, ...] = ()
    days: tuple[str, ...] = ()
    whole: tuple[str, ...] = ()
    flags: tuple[str, ...] = ()
    json: tuple[str, ...] = ()
    with_removed: bool = False


PERSON = Kind("person")  # a live person in the team: only its id is read
EVENT = Kind("case_event", text=("kind", "outcome_code", "delegation_case_id", "person_id"),
             days=("occurred_on",))


def live(kind: Kind, query: StoreReportQuery) -> str:
    """The records of one kind in the team chosen, with the fields asked for as columns (a
    CTE's body). Each row's JSON is parsed once (``json_to_record``), however many fields
    are read, and each day and number is checked once."""
    conditions = [f"r.entity_type = '{_checked(kind.entity)}'"]
    if not kind.with_removed:
        conditions.append("NOT r.tombstone")
    if query.team_id is not None:
        conditions.append("r.team_id = :team")
    texts = (*kind.text, *kind.days, *kind.whole, *kind.flags)
    names = [*texts, *kind.json]
    if len(set(names)) != len(names):
        raise ValueError(f"a field of {kind.entity} is asked for twice")
    columns = ["r.id", "r.team_id",
               *(f'f."{_checked(n)}"' for n in (*kind.text, *kind.json)),
               *(f'{_safe_day(f"f.{_quoted(n)}")} AS {_quoted(n)}' for n in kind.days),
               *(f'{_safe_whole(f"f.{_quoted(n)}")} AS {_quoted(n)}' for n in kind.whole),
               *(f"coalesce(f.{_quoted(n)} = 'true', false) AS {_quoted(n)}"
                 for n in kind.flags)]
    source = "record r"
    if names:
        declared = ", ".join([*(f"{_quoted(n)} text" for n in texts),
                              *(f"{_quoted(n)} json" for n in kind.json)])
        source += f" CROSS JOIN LATERAL json_to_record(r.row) AS f({declared})"
    return f"SELECT {', '.join(columns)} FROM {source} WHERE {' AND '.join(conditions)}"


def ctes(query: StoreReportQuery, **kinds: Kind) -> str:
    """``WITH a AS MATERIALIZED (...), ...``: for each ``alias=Kind`` its live records,
    read once each (then joined by hash on their ids)."""
    parts = [f"{_checked(alias)} AS MATERIALIZED ({live(kind, query)})"
             for alias, kind in kinds.items()]
    return "WITH " + ",\n".join(parts)


def _quoted(name: str) -> str:
    return f'"{_checked(name)}"'


def _safe_day(value: str) -> str:
    """A text as a date, NULL unless it is a real day written ``YYYY-MM-DD``. Nested CASEs
    (evaluated in order) so the text is only cast once it is known to be a date."""
    month_start = f"(substr({value}, 1, 8) || '01')::date"
    last_day = f"extract(day from {month_start} + interval '1 month' - interval '1 day')"
    return (f"(CASE WHEN {value} ~ '{_DAY}' THEN CASE WHEN substr({value}, 9, 2)::int "
            f"<= {last_day} THEN {value}::date END END)")


def _safe_whole(value: str) -> str:
    return f"(CASE WHEN {value} ~ '{_WHOLE}' THEN {value}::bigint END)"


def field(alias: str, name: str) -> str:
    """A field a ``Kind`` asked for, as its CTE's column (text, date, bigint, boolean or
    json, as asked)."""
    return f"{_checked(alias)}.{_quoted(name)}"


def same_team(*aliases: str) -> str:
    """The joined records all belong to one team: a row only ever refers to rows of its own
    team, so a row of another team is never read in (whatever its id says)."""
    first, *rest = aliases
    return " AND ".join(f"{_checked(a)}.team_id = {_checked(first)}.team_id" for a in rest)


def params(query: StoreReportQuery, **more: Any) -> dict[str, Any]:
    """The bound parameters every report's SQL may use, and ``more``."""
    values: dict[str, Any] = {"start": query.period_start, "end": query.period_end}
    if query.team_id is not None:
        values["team"] = query.team_id
    return {**values, **more}


def run(db: Session, sql: str, values: Mapping[str, Any]) -> list[Any]:
    """Every row of one statement."""
    return list(db.execute(text(sql), dict(values)).all())


def set_time_limit(db: Session, seconds: int) -> None:
    """The longest one statement of a report in ``db`` may run (``require_postgres`` sets
    it; ``DEFAULT_REPORT_TIMEOUT_SECONDS`` unless set here): the console passes the
    store's setting, ``SCP_STORE_REPORT_TIMEOUT_SECONDS``."""
    if not 1 <= seconds <= 3600:
        raise ValueError(f"a report's time limit must be 1 to 3600 seconds, not {seconds}")
    db.info[TIME_LIMIT_KEY] = seconds


def require_postgres(db: Session) -> None:
    """ReportError unless the store runs on PostgreSQL (the JSON SQL here is PostgreSQL's);
    then, for this transaction only (``SET LOCAL``: it ends with the transaction, so a
    pooled connection is left as it was), more memory for sorts and hash joins, so grouping
    every team's records does not spill to disk, and a time limit per statement: the
    reports share the connection pool and the database with the laptops' syncing, so one
    that runs too long on a large store is stopped (``timed_out`` tells the error) rather
    than holding a connection and the disk for minutes."""
    if db.get_bind().dialect.name != "postgresql":
        raise ReportError(POSTGRES_ONLY, "team")
    seconds = int(db.info.get(TIME_LIMIT_KEY, DEFAULT_REPORT_TIMEOUT_SECONDS))
    db.execute(text(f"SET LOCAL work_mem = '{WORK_MEM}'"))
    db.execute(text(f"SET LOCAL statement_timeout = {seconds * 1000}"))


def timed_out(error: BaseException) -> bool:
    """True when ``error`` is PostgreSQL stopping a statement at its time limit
    (``query_canceled``), as opposed to the database being unreachable."""
    return (isinstance(error, DBAPIError)
            and getattr(error.orig, "sqlstate", None) == QUERY_CANCELED)


def team_names(db: Session, query: StoreReportQuery) -> dict[str, str]:
    """Team id → name for the teams a report covers (every team, or the one chosen), in
    the order of their names."""
    rows = db.execute(text("SELECT id, name FROM team ORDER BY name, id")).all()
    return {str(i): str(n) for i, n in rows if query.team_id in (None, i)}


def all_teams(db: Session) -> list[tuple[str, str]]:
    """(id, name) of every team, by name (the team filter's choices)."""
    return [(str(i), str(n)) for i, n in
            db.execute(text(f"SELECT id, name FROM {Team.__tablename__} ORDER BY name, id"))]
