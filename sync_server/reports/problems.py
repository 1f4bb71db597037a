"""The practical problems with the framework that staff reported to the IPCB, from every
team's synced ``framework_problem`` records (issue 18 made them on the laptop).

Read-only here: a team lead records on the laptop what the IPCB did (discussed, then the
ruling), and that syncs back. The text was checked on the laptop for anything that names a
person on the caseload before it was stored, so it can be shown; who reported it is left
out (the IPCB reads the problem, not who had it). Filtered in SQL by status and team;
newest first.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass

from sqlalchemy.orm import Session

from scp_common.framework.versions import version_key
from sync_server.reports import sql
from sync_server.reports.catalogue import documents
from sync_server.reports.labels import PROBLEM_AREAS, PROBLEM_STATUSES
from sync_server.reports.model import ReportError, StoreReportQuery

MAX_LISTED = 2000  # the page's limit: more than a meeting reads (the CSV has them all)
FAR_PAST = dt.date(1, 1, 1)
FAR_FUTURE = dt.date(9999, 12, 31)
PROBLEMS = sql.Kind("framework_problem", text=("about", "what_happened", "status", "ruling",
                                               "created_at"), days=("reported_on", "status_on"))


@dataclass(frozen=True)
class ProblemFilter:
    """Which problems to list: a status ("" for any) and a team id (None for every team)."""

    status: str = ""
    team_id: str | None = None

    def __post_init__(self) -> None:
        if self.status and self.status not in PROBLEM_STATUSES:
            raise ReportError("Choose a status from the list.", "status")


@dataclass(frozen=True)
class Problem:
    """One reported problem, as the IPCB reads it."""

    problem_id: str
    team: str
    reported_on: dt.date | None
    about: str
    about_label: str
    what_happened: str
    status: str
    status_label: str
    ruling: str | None
    status_on: dt.date | None


def step_titles(db: Session) -> dict[str, str]:
    """Flow step id → title, from the newest flow the store knows (shipped or published)."""
    flows = [doc for doc in documents(db, "flow")
             if isinstance(doc, dict) and isinstance(doc.get("flow_version"), str)
             and isinstance(doc.get("steps"), dict)]
    if not flows:
        return {}
    newest = max(flows, key=lambda doc: version_key(doc["flow_version"]))
    return {str(step): str(body.get("title", "")) for step, body in newest["steps"].items()
            if isinstance(body, dict)}


def about_label(about: str, titles: Mapping[str, str]) -> str:
    """What a problem is about, in words ("Step S4: ...", a rule area, or as recorded)."""
    if about in PROBLEM_AREAS:
        return PROBLEM_AREAS[about]
    title = titles.get(about)
    return f"Step {about}: {title}" if title else about


def problems(db: Session, chosen: ProblemFilter, limit: int | None = None) -> list[Problem]:
    """The reported problems (live records), newest first, filtered."""
    sql.require_postgres(db)
    query = StoreReportQuery(FAR_PAST, FAR_PAST, chosen.team_id)
    status = sql.field("f", "status")
    where = f"AND {status} = :status" if chosen.status else ""
    statement = f"""
{sql.ctes(query, f=PROBLEMS)}
SELECT f.id, t.name, {sql.field('f', 'reported_on')} AS reported_on, {sql.field('f', 'about')},
       {sql.field('f', 'what_happened')}, {status}, {sql.field('f', 'ruling')},
       {sql.field('f', 'status_on')}
FROM f JOIN team t ON t.id = f.team_id
WHERE true {where}
ORDER BY reported_on DESC NULLS LAST, f.created_at DESC, f.id
{'LIMIT :limit' if limit is not None else ''}"""
    values: dict[str, object] = {"team": chosen.team_id, "status": chosen.status,
                                 "limit": limit}
    titles = step_titles(db)
    found = []
    for problem_id, team, reported_on, about, text, state, ruling, status_on in sql.run(
            db, statement, {k: v for k, v in values.items() if f":{k}" in statement}):
        about_text = str(about or "")
        found.append(Problem(str(problem_id), str(team), reported_on, about_text,
                             about_label(about_text, titles), str(text or ""),
                             str(state or ""), PROBLEM_STATUSES.get(str(state), str(state or "")),
                             ruling, status_on))
    return found
