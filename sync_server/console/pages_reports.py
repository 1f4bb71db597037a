"""The console's IPCB pages (issue 21): the governance reports across every team, and the
framework problem reports staff sent; for ``ipcb_governance`` accounts only.

- ``/console/reports``: the reports, each with what it counts.
- ``/console/reports/<name>``: one report. Its filters (team, first and last day) are a
  GET form, so a report has an address that can be bookmarked and needs no JavaScript; a
  period that cannot be used comes back with the reason beside the field and the values
  typed (status 400). Hidden small counts read "<5", "*" or "–" exactly as on a laptop,
  in a cell marked ``suppressed``.
- The equality report is different (sync_server/reports/equality.py says why): all teams
  only, and one ended financial quarter chosen from a list (``quarter=2026-01``; a
  ``from``/``to`` that is exactly such a quarter is read too). A team, or any other
  period, is refused with the reason. Every view of it, not only each download, is in
  the store's audit trail (``report_viewed``: the report and period, no figures), so
  someone comparing many views can be seen.
- ``/console/reports/<name>.csv``: the same report as CSV, laid out as the laptop's
  export; each download is in the store's audit trail (which report, period and team).
- A report whose statement runs past the store's time limit
  (``SCP_STORE_REPORT_TIMEOUT_SECONDS``) is stopped by PostgreSQL and the page says so
  (status 503), instead of holding a connection the laptops' syncing needs.
- ``/console/problems`` (and ``.csv``): the problems reported from every team's laptops,
  filtered by status and team. Read-only: a team lead records the IPCB's answer on the
  laptop, which syncs back here.

Dates are typed in UK form (31/03/2026) or chosen with the browser's date field (which
sends 2026-03-31); both are read.
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' Annotated
# dependencies at definition time, and they name functions local to ``add_pages``.
import datetime as dt
import re
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Annotated, Any
from urllib.parse import urlencode

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, Response
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session

from sync_server.console.web import ConsoleError, ConsoleWeb, Operator
from sync_server.reports import REPORTS, ReportError, StoreReportQuery, run_report, spec
from sync_server.reports import sql as report_sql
from sync_server.reports.equality import ALL_TEAMS_ONLY, QUARTERS_ONLY
from sync_server.reports.equality import NAME as EQUALITY
from sync_server.reports.export import problems_csv, to_csv
from sync_server.reports.labels import PROBLEM_STATUSES
from sync_server.reports.model import StoreReport
from sync_server.reports.periods import Quarter, ended_quarters, offered_quarter
from sync_server.reports.problems import MAX_LISTED, ProblemFilter, problems

_ISO = re.compile(r"([0-9]{4})-([0-9]{1,2})-([0-9]{1,2})").fullmatch
_UK = re.compile(r"([0-9]{1,2})[/.\-]([0-9]{1,2})[/.\-]([0-9]{4})").fullmatch
NO_REPORT = "There is no such report. Choose one from the list of reports."
NO_TEAM = "Choose a team from the list (that team is not on the store)."
# Reports each of whose views (not only downloads) is audited: those about protected
# characteristics, whose hidden small numbers comparing many views could give away.
AUDITED_VIEWS = frozenset({EQUALITY})
EQUALITY_PERIODS = (
    "The store makes this report for all teams together, one whole financial quarter at a "
    "time, once the quarter has ended: never for one team or any other period, because "
    "comparing such reports could give away the small numbers hidden in them. Each team "
    "lead sees their own team's report on the laptops. Every view is recorded in the "
    "store's audit trail.")
TOO_SLOW_TITLE = "The report took too long"


def too_slow(seconds: int, what: str = "report", narrower: bool = True) -> str:
    """What a reader is told when PostgreSQL stopped a report at the time limit."""
    choose = ", or choose one team or a shorter period" if narrower else ""
    return (f"The {what} took longer than {seconds} seconds, the longest the store lets "
            f"one run, so it was stopped: the laptops' syncing shares the database and must "
            f"not wait. Try again later, when fewer laptops are syncing{choose}.")


@dataclass(frozen=True)
class Typed:
    """The filters as typed (shown again as they were when something is wrong)."""

    team: str = ""
    start: str = ""
    end: str = ""
    quarter: str = ""  # the equality report's period (``2026-01``)

    @classmethod
    def of(cls, request: Request) -> "Typed":
        """The filters from the address (``team``, ``from``, ``to``, ``quarter``), cut to
        sane lengths."""
        get = request.query_params.get
        return cls((get("team") or "")[:64].strip(), (get("from") or "")[:32].strip(),
                   (get("to") or "")[:32].strip(), (get("quarter") or "")[:16].strip())

    def query_string(self) -> str:
        """The filters as a query string (for the CSV link)."""
        if self.quarter:
            return urlencode({"quarter": self.quarter})
        return urlencode({"team": self.team, "from": self.start, "to": self.end})


def parse_day(text: str, field: str, what: str) -> dt.date:
    """A day typed as 31/03/2026 (or 31-3-2026) or sent as 2026-03-31 by a date field."""
    if not text:
        raise ReportError(f"Enter the {what}, for example 31/03/2026.", field)
    iso, uk = _ISO(text), _UK(text)
    parts = ((int(iso[1]), int(iso[2]), int(iso[3])) if iso
             else (int(uk[3]), int(uk[2]), int(uk[1])) if uk else None)
    if parts is None:
        raise ReportError(f"Enter the {what} as day/month/year, for example 31/03/2026.",
                          field)
    try:
        return dt.date(*parts)
    except ValueError:
        raise ReportError(f"The {what} is not a real date: check the day and the month.",
                          field) from None


def default_period(today: dt.date) -> tuple[dt.date, dt.date]:
    """The last three whole months before this one (what the IPCB usually looks at)."""
    first_this = today.replace(day=1)
    year, month = first_this.year, first_this.month - 3
    if month < 1:
        year, month = year - 1, month + 12
    return dt.date(year, month, 1), first_this - dt.timedelta(days=1)


def uk_day(day: dt.date) -> str:
    """31/03/2026."""
    return f"{day:%d/%m/%Y}"


class ReportPages:
    """The page builders (GET handlers run them on a worker thread)."""

    def __init__(self, web: ConsoleWeb) -> None:
        self.web = web

    def _query(self, db: Session, name: str, typed: Typed,
               today: dt.date) -> tuple[StoreReportQuery, Typed]:
        """The report query from the typed filters (the default period when none was
        typed), and the filters as they will be shown."""
        if name == EQUALITY:
            return equality_query(typed, today)
        if not typed.start and not typed.end:
            start, end = default_period(today)
            typed = Typed(typed.team, uk_day(start), uk_day(end))
        teams = dict(report_sql.all_teams(db))
        if typed.team and typed.team not in teams:
            raise ReportError(NO_TEAM, "team")
        start = parse_day(typed.start, "from", "first day of the period")
        end = parse_day(typed.end, "to", "last day of the period")
        team = typed.team or None
        return StoreReportQuery(start, end, team, teams.get(typed.team)), typed

    def report(self, request: Request, operator: Operator, db: Session, name: str
               ) -> tuple[StoreReport | None, dict[str, Any]]:
        """The report for the address's filters, or None and the reason; with the page's
        context (the filters as typed, the teams, the equality report's quarters, the
        status to answer with). A view of a report in ``AUDITED_VIEWS`` is audited."""
        found = spec(name)
        if found is None:
            raise ConsoleError(404, NO_REPORT)
        today = dt.date.today()
        typed = Typed.of(request)
        context: dict[str, Any] = {
            "spec": found, "teams": [], "typed": typed, "problem": None, "status_code": 200,
            "quarters": ([(q.key, q.label) for q in ended_quarters(today)]
                         if name == EQUALITY else None),
            "equality_periods": EQUALITY_PERIODS}
        report_sql.set_time_limit(db, self.web.settings.report_timeout_seconds)
        try:
            with db.begin():
                context["teams"] = report_sql.all_teams(db)
                try:
                    query, context["typed"] = self._query(db, name, typed, today)
                    report = run_report(db, name, query, author=operator.display_name,
                                        today=today)
                except ReportError as problem:
                    context.update(problem=problem, status_code=400)
                    return None, context
                if name in AUDITED_VIEWS:
                    self.web.audit(db, operator, "report_viewed", team_id=query.team_id,
                                   detail=audit_detail(name, query))
                return report, context
        except DBAPIError as error:
            if not report_sql.timed_out(error):
                raise
            message = too_slow(self.web.settings.report_timeout_seconds,
                               narrower=name != EQUALITY)
            context.update(problem=ReportError(message, "time"), status_code=503)
            return None, context

    def export(self, request: Request, operator: Operator, db: Session, name: str) -> Response:
        """The report as a CSV download, its export in the audit trail."""
        found = spec(name)
        if found is None:
            raise ConsoleError(404, NO_REPORT)
        today = dt.date.today()
        seconds = self.web.settings.report_timeout_seconds
        report_sql.set_time_limit(db, seconds)
        try:
            with db.begin():
                try:
                    query, _ = self._query(db, name, Typed.of(request), today)
                    report = run_report(db, name, query, author=operator.display_name,
                                        today=today)
                except ReportError as problem:
                    raise ConsoleError(400, f"{problem.message} The report was not made; go "
                                            "back to the report's page to choose again."
                                       ) from None
                self.web.audit(db, operator, "report_exported", team_id=query.team_id,
                               detail=audit_detail(name, query))
        except DBAPIError as error:
            if not report_sql.timed_out(error):
                raise
            raise ConsoleError(503, f"{too_slow(seconds, narrower=name != EQUALITY)} "
                                    "Nothing was exported.", TOO_SLOW_TITLE) from None
        filename = f"{name}-{query.period_start:%Y%m%d}-{query.period_end:%Y%m%d}.csv"
        return _csv(to_csv(report), filename)

    def problem_list(self, request: Request, db: Session, limit: int | None
                     ) -> tuple[ProblemFilter | None, dict[str, Any]]:
        """The reported problems for the address's filters (status, team)."""
        get = request.query_params.get
        typed = {"status": (get("status") or "")[:32].strip(),
                 "team": (get("team") or "")[:64].strip()}
        context: dict[str, Any] = {"teams": [], "typed": typed, "problem": None,
                                   "statuses": PROBLEM_STATUSES, "rows": [],
                                   "limit": MAX_LISTED, "status_code": 200}
        report_sql.set_time_limit(db, self.web.settings.report_timeout_seconds)
        try:
            with db.begin():
                teams = report_sql.all_teams(db)
                context["teams"] = teams
                try:
                    if typed["team"] and typed["team"] not in dict(teams):
                        raise ReportError(NO_TEAM, "team")
                    chosen = ProblemFilter(typed["status"], typed["team"] or None)
                    context["rows"] = problems(db, chosen, limit)
                    return chosen, context
                except ReportError as problem:
                    context.update(problem=problem, status_code=400)
                    return None, context
        except DBAPIError as error:
            if not report_sql.timed_out(error):
                raise
            message = too_slow(self.web.settings.report_timeout_seconds, "list",
                               narrower=False)
            context.update(problem=ReportError(message, "time"), status_code=503)
            return None, context


def equality_query(typed: Typed, today: dt.date) -> tuple[StoreReportQuery, Typed]:
    """The equality report's query: every team, one ended financial quarter (the one
    chosen, the one ``from``/``to`` name exactly, or else the latest); ReportError for a
    team or any other period (sync_server/reports/equality.py says why)."""
    if typed.team:
        raise ReportError(ALL_TEAMS_ONLY, "team")
    if typed.quarter:
        chosen = Quarter.from_key(typed.quarter)
        if chosen is None or chosen not in ended_quarters(today):
            raise ReportError(QUARTERS_ONLY, "quarter")
    elif typed.start or typed.end:
        start = parse_day(typed.start, "quarter", "first day of the period")
        end = parse_day(typed.end, "quarter", "last day of the period")
        found = offered_quarter(start, end, today)
        if found is None:
            raise ReportError(f"{QUARTERS_ONLY} (The address asked for {uk_day(start)} to "
                              f"{uk_day(end)}.)", "quarter")
        chosen = found
    else:
        chosen = ended_quarters(today)[0]
    return StoreReportQuery(chosen.start, chosen.end), Typed(quarter=chosen.key)


def audit_detail(name: str, query: StoreReportQuery) -> dict[str, str]:
    """What the audit trail keeps of a report viewed or exported: which, and its period
    (the team is the event's own column); never a figure."""
    return {"report": name, "from": query.period_start.isoformat(),
            "to": query.period_end.isoformat()}


def _csv(text: str, filename: str) -> Response:
    """A CSV download (UTF-8 with a byte-order mark, so spreadsheets read "£" and "–")."""
    return Response(("\ufeff" + text).encode("utf-8"), media_type="text/csv; charset=utf-8",
                    headers={"Content-Disposition": f'attachment; filename="{filename}"',
                             "Cache-Control": "no-store"})


def _filters(teams: Mapping[str, str], chosen: ProblemFilter) -> list[tuple[str, str]]:
    return [("Status", PROBLEM_STATUSES.get(chosen.status, "Any status")),
            ("Team", teams.get(chosen.team_id or "", "All teams"))]


def add_pages(router: APIRouter, web: ConsoleWeb) -> None:
    """Adds the reports and problems pages to the console router."""
    pages = ReportPages(web)

    @router.get("/reports", response_class=HTMLResponse)
    def report_list(request: Request,
                    operator: Annotated[Operator, Depends(web.ipcb)]) -> Response:
        return web.page(request, operator, "reports/list.html", reports=REPORTS)

    # Before "/reports/{name}", which would otherwise take "equality.csv" as a name.
    @router.get("/reports/{name}.csv")
    def report_csv(request: Request, name: str,
                   operator: Annotated[Operator, Depends(web.ipcb)],
                   db: Annotated[Session, Depends(web.db)]) -> Response:
        return pages.export(request, operator, db, name)

    @router.get("/reports/{name}", response_class=HTMLResponse)
    def report_page(request: Request, name: str,
                    operator: Annotated[Operator, Depends(web.ipcb)],
                    db: Annotated[Session, Depends(web.db)]) -> Response:
        report, context = pages.report(request, operator, db, name)
        return web.page(request, operator, "reports/report.html", report=report,
                        csv_query=context["typed"].query_string(), **context)

    @router.get("/problems.csv")
    def problems_export(request: Request,
                        operator: Annotated[Operator, Depends(web.ipcb)],
                        db: Annotated[Session, Depends(web.db)]) -> Response:
        chosen, context = pages.problem_list(request, db, None)
        if chosen is None:
            status = context["status_code"]
            raise ConsoleError(status, f"{context['problem'].message} Nothing was exported.",
                               TOO_SLOW_TITLE if status == 503 else None)
        with db.begin():
            web.audit(db, operator, "problems_exported", team_id=chosen.team_id,
                      detail={"status": chosen.status or "any",
                              "count": len(context["rows"])})
        return _csv(problems_csv(context["rows"], _filters(dict(context["teams"]), chosen)),
                    "framework-problems.csv")

    @router.get("/problems", response_class=HTMLResponse)
    def problem_page(request: Request,
                     operator: Annotated[Operator, Depends(web.ipcb)],
                     db: Annotated[Session, Depends(web.db)]) -> Response:
        _, context = pages.problem_list(request, db, MAX_LISTED)
        query = urlencode({k: v for k, v in context["typed"].items()})
        return web.page(request, operator, "reports/problems.html", csv_query=query,
                        **context)
