"""``UtcDateTime`` (scp_common/timestamps.py): one type for the vault and the central store.

The store never imports the desktop app, so the type lives in ``scp_common``; these tests
pin that both sides use that one definition and what it does with a timestamp.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Column, DateTime, Integer, MetaData, Table, create_engine, insert, select
from sqlalchemy.exc import StatementError

import desktop_app.models  # noqa: F401 (registers every table of the vault)
from desktop_app.models.base import Base as VaultBase
from desktop_app.models.base import UtcDateTime as VaultUtcDateTime
from scp_common.timestamps import UtcDateTime
from sync_server.models import Base as StoreBase
from sync_server.models import UtcDateTime as StoreUtcDateTime


def test_the_vault_and_the_store_share_one_definition() -> None:
    assert VaultUtcDateTime is UtcDateTime
    assert StoreUtcDateTime is UtcDateTime


@pytest.mark.parametrize("base", [VaultBase, StoreBase], ids=["vault", "store"])
def test_every_timestamp_column_is_utc(base: type) -> None:
    columns = [column for table in base.metadata.tables.values() for column in table.columns]
    utc = [column for column in columns if isinstance(column.type, UtcDateTime)]
    plain = [f"{column.table.name}.{column.name}" for column in columns
             if isinstance(column.type, DateTime)]
    assert utc, "no UtcDateTime columns found: the check would be vacuous"
    assert not plain, f"timestamps that would come back naive: {plain}"


@pytest.fixture
def table() -> Table:
    return Table("t", MetaData(), Column("id", Integer, primary_key=True),
                 Column("at", UtcDateTime, nullable=True))


def round_trip(table: Table, value: dt.datetime | None) -> tuple[object, dt.datetime | None]:
    """(what the database holds, what comes back) for ``value`` in a fresh SQLite table."""
    engine = create_engine("sqlite://")
    table.metadata.create_all(engine)
    with engine.begin() as conn:
        conn.execute(insert(table).values(id=1, at=value))
        stored = conn.exec_driver_sql("SELECT at FROM t").scalar_one()
        loaded = conn.execute(select(table.c.at)).scalar_one()
    engine.dispose()
    return stored, loaded


def test_an_aware_time_is_stored_as_naive_utc_and_comes_back_aware(table: Table) -> None:
    summer = dt.timezone(dt.timedelta(hours=1), "BST")
    stored, loaded = round_trip(table, dt.datetime(2026, 7, 1, 9, 30, tzinfo=summer))
    assert stored == "2026-07-01 08:30:00.000000"
    assert loaded == dt.datetime(2026, 7, 1, 8, 30, tzinfo=dt.UTC)
    assert loaded is not None and loaded.tzinfo is dt.UTC


def test_none_stays_none(table: Table) -> None:
    assert round_trip(table, None) == (None, None)


def test_a_naive_time_is_refused(table: Table) -> None:
    with pytest.raises(StatementError, match="naive datetimes are ambiguous"):
        round_trip(table, dt.datetime(2026, 7, 1, 9, 30))
