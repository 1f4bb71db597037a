"""Report 1: delegation decisions by outcome and by task category, and withdrawals, month by
month.

The IPCB monitors how the framework is used (framework §7): how many healthcare tasks were
delegated, kept by Health, escalated or withdrawn, and in which of Skills for Care's eight
activity groups. Everything is counted from the delegations' history (``case_event``) by
the date of the event: a decision in the month it was made, under the outcome decided then;
a withdrawal (at a review, consent withdrawn, a change of need) in the month it happened, as
a figure of its own. A delegation decided in March and withdrawn in June counts as
delegated in March and withdrawn in June. A delegation ended because the same task was
delegated again is not a withdrawal: the new decision is counted instead.

One GROUP BY (month, task, catalogue version, outcome) gives the decisions, one GROUP BY
(month, kind) the withdrawals; the task's category comes from the catalogue the decision
was made under.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from typing import Any

from sqlalchemy import func, select

from desktop_app.models.delegation import DelegationCase, OutcomeCode
from desktop_app.models.history import CaseEvent, CaseEventKind
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
    "Counted by the date of each event in the delegation's history. Decisions: each "
    "decision made in the period, in its month, under the outcome decided then (a later "
    "withdrawal does not change it). Withdrawals: each delegation withdrawn in the period "
    "(at a review, consent withdrawn, or a change of need), in the month it was withdrawn, "
    "as a figure of its own. So a case delegated in March and withdrawn in June counts as "
    "delegated in March and withdrawn in June. A delegation ended because the same task was "
    "delegated again is not counted as withdrawn (its new decision is counted). Drafts "
    "without a decision are not counted.",
    "Task category: Skills for Care's activity group of the task in the catalogue version "
    "the decision was made under.",
)
# What counts as a withdrawal, with its row in the Withdrawals table.
WITHDRAWALS = ((CaseEventKind.WITHDRAWN_AT_REVIEW.value, "Withdrawn at a review"),
               (CaseEventKind.CONSENT_WITHDRAWN.value, "Consent withdrawn"),
               (CaseEventKind.NEED_CHANGED.value, "The person's need changed"))
# A social care need recorded with no healthcare task (S1) is in no activity group.
NO_TASK = ("no_task", "No healthcare task: a social care need")
# Legend labels a nurse reads without the key (the table and the key give the full names).
OUTCOME_SHORT = {
    OutcomeCode.REFER_CHC.value: "Refer for CHC",
    OutcomeCode.SOCIAL_CARE_ONLY.value: "Social care",
    OutcomeCode.NOT_DELEGATED.value: "Not delegated",
    OutcomeCode.PERSON_DECLINED.value: "Declined",
    OutcomeCode.NO_PROVIDER.value: "No provider",
    OutcomeCode.DELEGATED_EXISTING_PACKAGE.value: "Within package",
    OutcomeCode.DELEGATED_HEALTH_FUNDED.value: "NHS-funded",
    OutcomeCode.DELEGATED_JOINT_FUNDED.value: "Jointly funded",
    OutcomeCode.ESCALATED_SHARED_CARE.value: "Escalated",
    OutcomeCode.INTERIM_WITHOUT_PREJUDICE.value: "Interim funded",
}
CATEGORY_SHORT = {
    "vital_signs": "Vital signs", "medication": "Medication", "posture_mobility": "Mobility",
    "skin_wound": "Skin, wounds", "airways_breathing": "Breathing", "feeding_digestive": "Feeding",
    "bladder_bowel": "Bladder, bowel", "other": "Other", NO_TASK[0]: "Social care",
}
WITHDRAWAL_SHORT = {
    CaseEventKind.WITHDRAWN_AT_REVIEW.value: "At a review",
    CaseEventKind.CONSENT_WITHDRAWN.value: "Consent ended",
    CaseEventKind.NEED_CHANGED.value: "Need changed",
}


def outcome_title(code: str) -> str:
    """The outcome's plain-English title (the code itself if this version doesn't know it)."""
    try:
        return describe(code).title
    except ValueError:
        return code


def delegations_report(uow: UnitOfWork, query: ReportQuery, *, today: dt.date | None = None,
                       produced_at: dt.datetime | None = None) -> Report:
    """Decisions per month by outcome code and by task category; withdrawals per month."""
    check_allowed(uow)
    month = month_key(CaseEvent.occurred_on).label("month")
    decisions = (select(month, DelegationCase.task_code, DelegationCase.task_catalogue_version,
                        CaseEvent.outcome_code, func.count())
                 .where(CaseEvent.kind == CaseEventKind.DECIDED.value,
                        CaseEvent.outcome_code.is_not(None))
                 .group_by(month, DelegationCase.task_code,
                           DelegationCase.task_catalogue_version, CaseEvent.outcome_code))
    withdrawals = (select(month, CaseEvent.kind, func.count())
                   .where(CaseEvent.kind.in_([kind for kind, _ in WITHDRAWALS]))
                   .group_by(month, CaseEvent.kind))
    by_outcome: Counter[tuple[str, str]] = Counter()
    by_category: Counter[tuple[str, str]] = Counter()
    by_kind: Counter[tuple[str, str]] = Counter()
    with uow.read() as session:
        author = produced_by(session, uow)
        categories = task_categories_of(session)
        for month_text, code, version, outcome, number in session.execute(
                _in_period(decisions, query)):
            by_outcome[(str(outcome), month_text)] += number
            category = (NO_TASK[0] if code == NO_TASK_CODE
                        else category_of(categories, code, version))
            by_category[(category, month_text)] += number
        for month_text, kind, number in session.execute(_in_period(withdrawals, query)):
            by_kind[(str(kind), month_text)] += number
    months = months_in(query.period_start, query.period_end)
    # A decision never has the outcome "withdrawn": withdrawals are counted on their own.
    known = [code.value for code in OutcomeCode if code is not OutcomeCode.WITHDRAWN]
    unknown = sorted({key for key, _ in by_outcome} - set(known))
    outcomes = [(code, outcome_title(code)) for code in (*known, *unknown)]
    groups = list(category_labels().items())
    if any(key == NO_TASK[0] for key, _ in by_category):
        groups.append(NO_TASK)
    sections = [
        over_time("By outcome", "Outcome", outcomes, months, by_outcome,
                  "Delegation decisions by outcome", "Decisions", OUTCOME_SHORT),
        over_time("By task category", "Task category", groups, months, by_category,
                  "Delegation decisions by task category", "Decisions", CATEGORY_SHORT),
        over_time("Withdrawals", "Why it was withdrawn", WITHDRAWALS, months, by_kind,
                  "Delegations withdrawn", "Withdrawals", WITHDRAWAL_SHORT),
    ]
    as_at = query.as_at(today or dt.date.today())
    return build_report(ReportKind.DELEGATIONS, TITLE, query, as_at, produced_at, author,
                        sections, list(NOTES))


def _in_period(stmt: Any, query: ReportQuery) -> Any:
    """Events dated in the period, of cases and people not removed, in the team chosen."""
    return (stmt.select_from(CaseEvent)
            .join(DelegationCase, DelegationCase.id == CaseEvent.delegation_case_id)
            .join(Person, Person.id == CaseEvent.person_id)
            .where(~CaseEvent.deleted, ~DelegationCase.deleted,
                   CaseEvent.occurred_on.between(query.period_start, query.period_end),
                   *in_scope(query)))
