"""Report 1: delegation decisions by outcome and by task category, month by month.

The IPCB monitors how the framework is used (framework §7): how many healthcare tasks were
delegated, kept by Health, escalated or withdrawn, and in which of Skills for Care's eight
activity groups. One GROUP BY (month, task, catalogue version, outcome) gives every figure;
the task's category comes from the catalogue the decision was made under.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter

from sqlalchemy import func, select

from desktop_app.models.delegation import DelegationCase, OutcomeCode
from desktop_app.models.person import Person
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.catalogue import NO_TASK_CODE
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.reports.base import (
    build_report,
    category_labels,
    category_of,
    check_allowed,
    in_scope,
    month_key,
    over_time,
    produced_by,
    task_categories_of,
)
from desktop_app.services.reports.model import Report, ReportKind, ReportQuery, months_in

TITLE = "Delegations by outcome and task category"
NOTES = (
    "Counted: each delegation case with an outcome dated in the period, once, under its "
    "latest outcome and in the month of that outcome's date (a withdrawal replaces the "
    "outcome it ends, so a case delegated earlier and withdrawn in the period counts as "
    "withdrawn). Drafts without an outcome are not counted.",
    "Task category: Skills for Care's activity group of the task in the catalogue version "
    "the decision was made under.",
)
# A social care need recorded with no healthcare task (S1) is in no activity group.
NO_TASK = ("no_task", "No healthcare task: a social care need")


def outcome_title(code: str) -> str:
    """The outcome's plain-English title (the code itself if this version doesn't know it)."""
    try:
        return describe(code).title
    except ValueError:
        return code


def delegations_report(uow: UnitOfWork, query: ReportQuery, *, today: dt.date | None = None,
                       produced_at: dt.datetime | None = None) -> Report:
    """Decisions per month by outcome code and by task category."""
    check_allowed(uow)
    month = month_key(DelegationCase.decided_on).label("month")
    stmt = (select(month, DelegationCase.task_code, DelegationCase.task_catalogue_version,
                   DelegationCase.outcome_code, func.count())
            .select_from(DelegationCase)
            .join(Person, Person.id == DelegationCase.person_id)
            .where(~DelegationCase.deleted, DelegationCase.outcome_code.is_not(None),
                   DelegationCase.decided_on.between(query.period_start, query.period_end),
                   *in_scope(query))
            .group_by(month, DelegationCase.task_code, DelegationCase.task_catalogue_version,
                      DelegationCase.outcome_code))
    by_outcome: Counter[tuple[str, str]] = Counter()
    by_category: Counter[tuple[str, str]] = Counter()
    with uow.read() as session:
        author = produced_by(session, uow)
        categories = task_categories_of(session)
        for month_text, code, version, outcome, number in session.execute(stmt):
            by_outcome[(str(outcome), month_text)] += number
            category = (NO_TASK[0] if code == NO_TASK_CODE
                        else category_of(categories, code, version))
            by_category[(category, month_text)] += number
    months = months_in(query.period_start, query.period_end)
    known = [code.value for code in OutcomeCode]
    unknown = sorted({key for key, _ in by_outcome} - set(known))
    outcomes = [(code, outcome_title(code)) for code in (*known, *unknown)]
    groups = list(category_labels().items())
    if any(key == NO_TASK[0] for key, _ in by_category):
        groups.append(NO_TASK)
    sections = [
        over_time("By outcome", "Outcome", outcomes, months, by_outcome,
                  "Delegation decisions by outcome", "Decisions"),
        over_time("By task category", "Task category", groups, months, by_category,
                  "Delegation decisions by task category", "Decisions"),
    ]
    as_at = query.as_at(today or dt.date.today())
    return build_report(ReportKind.DELEGATIONS, TITLE, query, as_at, produced_at, author,
                        sections, list(NOTES))
