"""The competency register in figures, by care provider and by team, across every team (the
laptop's report 4, ``services/reports/competency.py``).

For each provider, the sign-offs that existed on the as-at day (signed off on or before
it), by standing on that day: a current sign-off has expired the day after its refresher
date and is expiring from 60 days before it; suspended and withdrawn ones are counted
apart. "Signed off in the period" counts every sign-off dated in the period. Each team's
laptops record their own providers, so a provider is one row across teams when its name
and commissioning council are the same.
"""

from __future__ import annotations

import datetime as dt
import unicodedata
from collections.abc import Sequence

from sqlalchemy.orm import Session

from sync_server.reports import sql
from sync_server.reports.base import build_report, by_team
from sync_server.reports.labels import (
    EXPIRING_WITHIN_DAYS,
    FUNDER_NAMES,
    SIGN_OFF_CURRENT,
    SIGN_OFF_SUSPENDED,
)
from sync_server.reports.model import (
    Row,
    Section,
    StoreReport,
    StoreReportQuery,
    count,
    day_words,
    label,
)

NAME = "competency"
TITLE = "Competency sign-offs by provider"
STANDINGS = ("Current", f"Expiring within {EXPIRING_WITHIN_DAYS} days", "Expired", "Suspended",
             "Withdrawn")
WIDTH = len(STANDINGS) + 1  # the standings, then "signed off in the period"
SIGN_OFFS = sql.Kind("competency_sign_off", text=("status", "worker_id", "person_id"),
                     days=("refresher_due", "signed_off_on"))
# The provider is read even if it was removed later (as the laptop's report reads it).
PROVIDERS = sql.Kind("care_provider", text=("name", "council"), with_removed=True)


def statement(query: StoreReportQuery) -> str:
    """Sign-offs by team and provider (name, council): a count per standing on the as-at
    day, and those signed off in the period."""
    status = sql.field("s", "status")
    current = f"{status} = '{SIGN_OFF_CURRENT}'"
    refresher, signed = sql.field("s", "refresher_due"), sql.field("s", "signed_off_on")
    standing = (f"CASE WHEN {current} AND {refresher} < :as_at THEN 2 "
                f"WHEN {current} AND {refresher} <= :horizon THEN 1 WHEN {current} THEN 0 "
                f"WHEN {status} = '{SIGN_OFF_SUSPENDED}' THEN 3 ELSE 4 END")
    columns = ",\n       ".join(
        f"sum(CASE WHEN {signed} <= :as_at AND {standing} = {i} THEN 1 ELSE 0 END)"
        for i in range(len(STANDINGS)))
    return f"""
{sql.ctes(query, p=sql.PERSON, w=sql.Kind("care_worker", text=("provider_id",)),
          s=SIGN_OFFS, cp=PROVIDERS)}
SELECT s.team_id, {sql.field('cp', 'name')} AS provider, {sql.field('cp', 'council')} AS council,
       {columns},
       sum(CASE WHEN {signed} BETWEEN :start AND :end THEN 1 ELSE 0 END)
FROM s
JOIN w ON w.id = {sql.field('s', 'worker_id')}
JOIN cp ON cp.id = {sql.field('w', 'provider_id')}
JOIN p ON p.id = {sql.field('s', 'person_id')}
WHERE {sql.same_team('s', 'w', 'cp', 'p')}
GROUP BY 1, 2, 3"""


def name_order(name: str) -> tuple[str, str]:
    """Names as a reader files them: accents and case ignored first, then as written."""
    bare = "".join(c for c in unicodedata.normalize("NFKD", name)
                   if not unicodedata.combining(c))
    return bare.casefold(), name


def competency_report(db: Session, query: StoreReportQuery, *, author: str,
                      today: dt.date | None = None,
                      produced_at: dt.datetime | None = None) -> StoreReport:
    """Sign-offs current, expiring within 60 days and expired on the as-at day, by provider
    and by team."""
    sql.require_postgres(db)
    as_at = query.as_at(today or dt.date.today())
    horizon = as_at + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    teams = sql.team_names(db, query)
    providers: dict[tuple[str, str], list[int]] = {}
    per_team: dict[str, list[int]] = {}
    for team_id, provider, council, *numbers in sql.run(
            db, statement(query), sql.params(query, as_at=as_at, horizon=horizon)):
        figures = [int(n or 0) for n in numbers]
        for tally in (providers.setdefault((str(provider or ""), str(council or "")),
                                           [0] * WIDTH),
                      per_team.setdefault(team_id, [0] * WIDTH)):
            tally[:] = [a + b for a, b in zip(tally, figures, strict=True)]
    ordered = sorted(providers.items(), key=lambda item: (name_order(item[0][0]), item[0][1]))
    notes = [f"Standing on {day_words(as_at)}: expired the day after the refresher date; "
             f"expiring from {EXPIRING_WITHIN_DAYS} days before it.",
             "A sign-off is for one worker, one person and one task; the team is the "
             "store team of the laptops that recorded it. A provider recorded by several "
             "teams with the same name and council is one row."]
    sections = [_by_provider(ordered),
                by_team(teams, ("Team", *STANDINGS, "Total", "Signed off in the period"),
                        WIDTH, per_team, row=_team_row)]
    return build_report(NAME, TITLE, query, as_at, produced_at, author, sections, notes,
                        teams)


def _council(code: str) -> str:
    return FUNDER_NAMES.get(code, code)


def _team_row(name: str, figures: Sequence[int]) -> Row:
    snapshot, new = figures[:-1], figures[-1]
    return (label(name), *(count(n) for n in snapshot), count(sum(snapshot)), count(new))


def _by_provider(groups: Sequence[tuple[tuple[str, str], list[int]]]) -> Section:
    rows: list[Row] = []
    sums = [0] * WIDTH
    for (name, council), figures in groups:
        snapshot, new = figures[:-1], figures[-1]
        rows.append((label(name), label(_council(council)), *(count(n) for n in snapshot),
                     count(sum(snapshot)), count(new)))
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
    rows.append((label("All providers"), label(""), *(count(n) for n in sums[:-1]),
                 count(sum(sums[:-1])), count(sums[-1])))
    return Section("By provider", ("Provider", "Council", *STANDINGS, "Total",
                                   "Signed off in the period"), tuple(rows), total_rows=1)
