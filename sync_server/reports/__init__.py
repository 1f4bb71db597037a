"""The IPCB's governance reports across every team, computed on the store's PostgreSQL.

On a laptop the reports (``desktop_app/services/reports``) read one team's vault; here the
same reports read every team's synced records (``record``: the latest state of each row,
tombstones left out) with SQL over the rows' JSON, grouped in PostgreSQL, with a team
filter and a "by team" table where the laptop's report has a team dimension. The equality
report hides small numbers with the very rule the laptop uses (``scp_common.suppression``),
applied to the teams' counts added together, and is made for all teams and one ended
financial quarter only (``equality.check``, ``periods``), so that no two of its reports
can be compared to work out a hidden number.

- ``REPORTS`` lists (name, title, function); ``run_report(db, name, query, author=...)``
  computes one and returns a ``StoreReport`` (sections of cells; a hidden count has no
  value); ``export.to_csv`` writes it as the laptop's CSV export does.
- ``problems.problems(db, ProblemFilter(...))``: the framework problem reports staff sent.

The store never imports the desktop app: the model, the labels and the catalogue lookup
are this package's own, held equal to the laptop's by tests/store_console/
test_ipcb_reports.py, which also compares each report with the laptop's over the same
records.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass

from sqlalchemy.orm import Session

from sync_server.reports.competency import competency_report
from sync_server.reports.delegations import delegations_report
from sync_server.reports.equality import equality_report
from sync_server.reports.escalations import escalations_report
from sync_server.reports.funding import funding_report
from sync_server.reports.model import ReportError, StoreReport, StoreReportQuery
from sync_server.reports.person_centred import person_centred_report
from sync_server.reports.reviews import reviews_report

ReportFunction = Callable[..., StoreReport]


@dataclass(frozen=True)
class ReportSpec:
    """One report as the console lists it: its name in the address, title and summary."""

    name: str
    title: str
    summary: str
    function: ReportFunction


REPORTS: tuple[ReportSpec, ...] = (
    ReportSpec("delegations", "Delegations",
               "Decisions by outcome and task category, and withdrawals, month by month.",
               delegations_report),
    ReportSpec("funding", "Funding",
               "Weekly and period totals per funder, interim funding, training backfill.",
               funding_report),
    ReportSpec("reviews", "Reviews",
               "Reviews due in the period and whether they were done on time.",
               reviews_report),
    ReportSpec("competency", "Competency",
               "Sign-offs current, expiring and expired, by care provider.",
               competency_report),
    ReportSpec("escalations", "Escalations",
               "Shared care discussions opened and closed, time to decision, themes.",
               escalations_report),
    ReportSpec("equality", "Equality monitoring",
               "Outcomes by each protected characteristic, small numbers suppressed; all "
               "teams together, by financial quarter.",
               equality_report),
    ReportSpec("person_centred", "Person-centred care",
               "Assistive technology, call frequency, signposting, trusted assessment and "
               "the person's own words.", person_centred_report),
)


def spec(name: str) -> ReportSpec | None:
    """The report called ``name``, or None."""
    return next((s for s in REPORTS if s.name == name), None)


def run_report(db: Session, name: str, query: StoreReportQuery, *, author: str,
               today: dt.date | None = None,
               produced_at: dt.datetime | None = None) -> StoreReport:
    """Compute one report (KeyError for a name not in ``REPORTS``)."""
    found = spec(name)
    if found is None:
        raise KeyError(name)
    return found.function(db, query, author=author, today=today, produced_at=produced_at)


__all__ = ["REPORTS", "ReportError", "ReportSpec", "StoreReport", "StoreReportQuery",
           "run_report", "spec"]
