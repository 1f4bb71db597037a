"""Report 4: the competency register in figures, by care provider (framework §3, §7).

The IPCB oversees training and competence sign-off. For each provider, the sign-offs that
existed on the as-at day (signed off on or before it), by standing on that day, exactly as
the competency register shows them: a current sign-off has expired the day after its
refresher date and is expiring from 60 days before it; suspended and withdrawn ones are
counted apart. "Signed off in the period" counts every sign-off dated in the period.
Status is as recorded now (the vault keeps no history of when a sign-off was suspended).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from sqlalchemy import and_, case, func, select

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.funding import FUNDER_NAMES
from desktop_app.services.registers import EXPIRING_WITHIN_DAYS
from desktop_app.services.reports.base import (
    build_report,
    check_allowed,
    day,
    in_scope,
    produced_by,
)
from desktop_app.services.reports.chart import Chart, ChartKind, Series
from desktop_app.services.reports.model import (
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    Row,
    count,
    day_words,
    label,
)

TITLE = "Competency sign-offs by provider"
STANDINGS = ("Current", f"Expiring within {EXPIRING_WITHIN_DAYS} days", "Expired", "Suspended",
             "Withdrawn")
CHARTED = 3  # current, expiring, expired
STANDING_SHORT = {STANDINGS[1]: "Expiring soon"}  # the chart's legend label


def competency_report(uow: UnitOfWork, query: ReportQuery, *, today: dt.date | None = None,
                      produced_at: dt.datetime | None = None) -> Report:
    """Sign-offs current, expiring within 60 days and expired on the as-at day, by provider."""
    check_allowed(uow)
    as_at = query.as_at(today or dt.date.today())
    s = CompetencySignOff
    current = s.status == SignOffStatus.CURRENT.value
    horizon = as_at + dt.timedelta(days=EXPIRING_WITHIN_DAYS)
    standing = case((and_(current, s.refresher_due < day(as_at)), 2),
                    (and_(current, s.refresher_due <= day(horizon)), 1), (current, 0),
                    (s.status == SignOffStatus.SUSPENDED.value, 3), else_=4)
    existed = s.signed_off_on <= day(as_at)
    columns = [func.sum(case((and_(existed, standing == i), 1), else_=0))
               for i in range(len(STANDINGS))]
    new = func.sum(case((s.signed_off_on.between(query.period_start, query.period_end), 1),
                        else_=0))
    stmt = (select(CareProvider.name, CareProvider.council, *columns, new)
            .select_from(s)
            .join(CareWorker, CareWorker.id == s.worker_id)
            .join(CareProvider, CareProvider.id == CareWorker.provider_id)
            .join(Person, Person.id == s.person_id)
            .where(~s.deleted, ~CareWorker.deleted, *in_scope(query))
            .group_by(CareProvider.id, CareProvider.name, CareProvider.council)
            .order_by(by_name(CareProvider.name), CareProvider.id))
    with uow.read() as session:
        author = produced_by(session, uow)
        groups = session.execute(stmt).all()
    notes = [f"Standing on {day_words(as_at)}: expired the day after the refresher date; "
             f"expiring from {EXPIRING_WITHIN_DAYS} days before it.",
             "A sign-off is for one worker, one person and one task; the team is the "
             "person's."]
    return build_report(ReportKind.COMPETENCY, TITLE, query, as_at, produced_at, author,
                        [_section(groups)], notes)


def _council(code: str) -> str:
    try:
        return FUNDER_NAMES[Funder(code)]
    except ValueError:
        return code


def _section(groups: Sequence[Any]) -> ReportSection:
    rows: list[Row] = []
    sums = [0] * (len(STANDINGS) + 1)
    for name, council, *numbers in groups:
        figures = [int(n or 0) for n in numbers]
        snapshot, new = figures[:-1], figures[-1]
        rows.append((label(name), label(_council(council)), *(count(n) for n in snapshot),
                     count(sum(snapshot)), count(new)))
        sums = [a + b for a, b in zip(sums, figures, strict=True)]
    rows.append((label("All providers"), label(""), *(count(n) for n in sums[:-1]),
                 count(sum(sums[:-1])), count(sums[-1])))
    providers = tuple(str(name) for name, *_ in groups)
    series = tuple(Series(STANDINGS[i], tuple(float(row[2 + i].value or 0) for row in rows[:-1]),
                          STANDING_SHORT.get(STANDINGS[i], ""))
                   for i in range(CHARTED))
    chart = Chart(ChartKind.STACKED_BAR, "Sign-offs by provider", providers, series,
                  "Sign-offs", horizontal=True)
    return ReportSection("By provider", ("Provider", "Council", *STANDINGS, "Total",
                                         "Signed off in the period"),
                         tuple(rows), chart, total_rows=1)
