"""A delegation's history (``case_event``): appending an event, ending a delegation, reading
the timeline.

Every change in a delegation's life is one event appended here, in the same transaction as
the change; nothing earlier is overwritten. The case's ``status`` is the one the latest event
left (``status_after``): ``record_event`` writes both, so they cannot part.

Ending a delegation (a withdrawal at review, the person's consent withdrawn, a change of
need, the same task delegated again) is one function, ``end_delegation``: the task returns
to the nurse (the case leaves the running statuses), its outstanding reviews end, the
sign-offs made for it are suspended, a new support plan version leaves its task and
funding lines out from that day, and, where it had funding, the partners are asked to
reconsider it (the Funding to reconsider list).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.history import (
    ENDING_KINDS,
    CaseEvent,
    CaseEventKind,
    derived_event_id,
)
from desktop_app.models.plan import FundingSplit
from desktop_app.models.review import Review
from desktop_app.services.core.audit import actor_name
from desktop_app.services.core.tracking import ACTOR, tombstone
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.plan import plan_without
from desktop_app.services.framework.labels import EVENT_TITLES
from desktop_app.services.people.record import outcome_words

RUNNING = (CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value)


def status_after(statuses: Iterable[str | None], start: str | None = None) -> str | None:
    """The case's status after events that set these statuses in order (None: unchanged)."""
    current = start
    for status in statuses:
        current = status or current
    return current


def record_event(session: Session, case: DelegationCase, kind: CaseEventKind, on: dt.date, *,
                 flow_version: str | None = None, outcome_code: str | None = None,
                 status: CaseStatus | None = None, reasons: Sequence[str] = (),
                 detail: dict[str, Any] | None = None,
                 plan_version: int | None = None, source: str | None = None) -> CaseEvent:
    """Append one event to ``case``'s history and bring the case's status in step.
    ``source`` names what the event is about when that has an id of its own ("decision",
    a review's, the replacing case's, a discussion's): the event's id is then derived from
    it (``models.history.derived_event_id``)."""
    event = CaseEvent(
        id=None if source is None else derived_event_id(case.id, kind, source),
        delegation_case_id=case.id, person_id=case.person_id, kind=kind.value, occurred_on=on,
        recorded_by_name=actor_name(session, session.info[ACTOR]), flow_version=flow_version,
        outcome_code=outcome_code, status=None if status is None else status.value,
        reasons=[r for r in reasons if r], detail=dict(detail or {}),
        plan_version=plan_version)
    session.add(event)
    if status is not None:
        case.status = status.value
    return event


@dataclass(frozen=True)
class Ended:
    """What ending a delegation did."""

    plan_version: int | None
    sign_offs_suspended: int
    reviews_ended: int
    funding_to_reconsider: bool


def end_delegation(session: Session, case: DelegationCase, kind: CaseEventKind, on: dt.date,
                   reasons: Sequence[str], *, flow_version: str | None = None,
                   detail: dict[str, Any] | None = None,
                   keep_review_id: str | None = None, source: str | None = None) -> Ended:
    """End a running delegation (see the module docstring); ``keep_review_id`` is the review
    that recorded the ending, which stays; ``source`` as for ``record_event``."""
    if kind not in ENDING_KINDS:
        raise ValueError(f"{kind} does not end a delegation")
    status = CaseStatus.CLOSED if kind is CaseEventKind.REPLACED else CaseStatus.WITHDRAWN
    case.status = status.value  # out of the running statuses before the plan is made
    sign_offs = list(session.scalars(select(CompetencySignOff).where(
        CompetencySignOff.delegation_case_id == case.id, ~CompetencySignOff.deleted,
        CompetencySignOff.status == SignOffStatus.CURRENT.value)))
    for sign_off in sign_offs:
        sign_off.status = SignOffStatus.SUSPENDED.value
    reviews = list(session.scalars(select(Review).where(
        Review.delegation_case_id == case.id, Review.done_on.is_(None), ~Review.deleted,
        *(() if keep_review_id is None else (Review.id != keep_review_id,)))))
    for review in reviews:
        tombstone(session, review)
    # The task leaves the support plan and its funding ends with it (hazards H-008, H-014).
    plan_version = plan_without(session, case, on, actor_name(session, session.info[ACTOR]))
    reconsider = (kind is not CaseEventKind.REPLACED and plan_version is not None
                  and _had_funding(session, case.id))
    if reconsider:  # the partners must reconsider the funding (framework §2 S11)
        case.funding_reconsider_from = on
    record_event(session, case, kind, on, flow_version=flow_version,
                 outcome_code=OutcomeCode.WITHDRAWN.value, status=status, reasons=reasons,
                 detail={**(detail or {}), "sign_offs_suspended": len(sign_offs)},
                 plan_version=plan_version, source=source)
    session.flush()
    return Ended(plan_version, len(sign_offs), len(reviews), reconsider)


def _had_funding(session: Session, case_id: str) -> bool:
    """True if any plan line ever paid for this case's time (a weekly amount above nil)."""
    return bool(session.scalar(select(func.count()).select_from(FundingSplit).where(
        FundingSplit.delegation_case_id == case_id, ~FundingSplit.deleted,
        FundingSplit.pence_per_week > 0)))


# ---------------------------------------------------------------- reading the timeline


@dataclass(frozen=True)
class TimelineEntry:
    """One event of a delegation, as the person record shows it."""

    event_id: str
    case_id: str
    kind: CaseEventKind
    occurred_on: dt.date
    title: str
    outcome_title: str | None
    status: str | None
    recorded_by: str
    flow_version: str | None
    reasons: tuple[str, ...]
    plan_version: int | None
    detail: dict[str, Any]


def timeline_entry(event: CaseEvent) -> TimelineEntry:
    """The event in words (titles from ``framework.labels``, outcomes as the person record
    words them)."""
    kind = CaseEventKind(event.kind)
    return TimelineEntry(event.id, event.delegation_case_id, kind, event.occurred_on,
                         EVENT_TITLES[kind], outcome_words(event.outcome_code), event.status,
                         event.recorded_by_name,
                         event.flow_version, tuple(event.reasons or ()), event.plan_version,
                         dict(event.detail or {}))


def case_timeline(uow: UnitOfWork, case_id: str) -> list[TimelineEntry]:
    """The case's events, oldest first (the order the person record's timeline shows)."""
    with uow.read() as session:
        return [timeline_entry(e) for e in session.scalars(
            select(CaseEvent).where(CaseEvent.delegation_case_id == case_id, ~CaseEvent.deleted)
            .order_by(CaseEvent.occurred_on, CaseEvent.created_at, CaseEvent.id))]
