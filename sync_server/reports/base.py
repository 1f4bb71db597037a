"""What the store's reports share: stamping a report, tables by month and by team.

Shaped like the laptop's ``desktop_app/services/reports/base.py`` so the same report reads
the same on both sides; the team here is the store's team (the one the laptops that synced
the records are enrolled in), so the IPCB can compare teams and choose one.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence

from sync_server.reports.model import (
    Cell,
    Row,
    Section,
    StoreReport,
    StoreReportQuery,
    count,
    label,
    month_label,
)

TEAM_NOTE = ("Team: the store team whose laptops synced the records (the team they were "
             "enrolled in). Every team's records are counted together unless a team is "
             "chosen; figures are the laptops' records as last synced.")


def build_report(name: str, title: str, query: StoreReportQuery, as_at: dt.date,
                 produced_at: dt.datetime | None, author: str, sections: Sequence[Section],
                 notes: Sequence[str], teams: Mapping[str, str],
                 suppression_rule: str | None = None) -> StoreReport:
    """The frozen report, stamped with when (now, unless given) and by whom."""
    return StoreReport(name=name, title=title, query=query, as_at=as_at,
                       produced_at=produced_at or dt.datetime.now(dt.UTC), produced_by=author,
                       sections=tuple(sections), notes=(*notes, TEAM_NOTE),
                       suppression_rule=suppression_rule, teams=tuple(teams.values()))


def over_time(title: str, heading: str, keys: Sequence[tuple[str, str]], months: Sequence[str],
              counts: Mapping[tuple[str, str], int]) -> Section:
    """A row per (key, label) with a column per month and a total, then a totals row (the
    laptop's ``over_time`` without its chart)."""
    rows: list[Row] = []
    for key, name in keys:
        values = [counts.get((key, m), 0) for m in months]
        rows.append((label(name), *(count(v) for v in values), count(sum(values))))
    totals = [sum(counts.get((key, m), 0) for key, _ in keys) for m in months]
    rows.append((label("Total"), *(count(v) for v in totals), count(sum(totals))))
    return Section(title, (heading, *(month_label(m) for m in months), "Total"), tuple(rows),
                   total_rows=1)


def by_team(teams: Mapping[str, str], columns: Sequence[str], width: int,
            figures: Mapping[str, Sequence[int]],
            row: Callable[[str, Sequence[int]], tuple[Cell, ...]] | None = None,
            title: str = "By team", notes: Sequence[str] = ()) -> Section:
    """A row per team the report covers (by name, zeros included) and a total row.

    ``figures`` is team id → ``width`` numbers; ``row`` turns (name, numbers) into the
    cells (by default the name, then the numbers as counts); ``columns`` starts "Team".
    """
    make = row or (lambda name, numbers: (label(name), *(count(n) for n in numbers)))
    table = [list(figures.get(team_id) or [0] * width) for team_id in teams]
    totals = [sum(numbers[i] for numbers in table) for i in range(width)]
    rows = [make(name, numbers) for name, numbers in zip(teams.values(), table, strict=True)]
    rows.append(make("All teams", totals))
    return Section(title, tuple(columns), tuple(rows), total_rows=1, notes=tuple(notes))
