"""Each delegation's own part of a plan version: its consent, oversight and reviews.

A person may have eye drops under their GP practice and insulin under community nursing
on one plan (hazard H-033): every delegation whose task is on the version is printed with
its own consent record, clinical oversight and reviews, never another's.

Oversight moves (framework §5: to the GP practice when the person is no longer open to
community health services, and back): each move is a new ``clinical_oversight`` row from
its ``effective_from``. A version prints the oversight in effect on the day it took effect
(``oversight_in_effect``), so an older version printed later still names the service that
held oversight then, and the version a transfer issued names the new one.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import and_, or_, select
from sqlalchemy.orm import Session

from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.oversight import ClinicalOversight
from desktop_app.models.plan import SupportPlan
from desktop_app.models.review import Review
from desktop_app.services.framework import labels
from desktop_app.services.plans.blocks import (
    ConsentBlock,
    DelegationPart,
    OversightBlock,
    ReviewLine,
)
from desktop_app.services.plans.read_blocks import task_name


def delegation_parts(session: Session, plan: SupportPlan,
                     person_id: str) -> tuple[DelegationPart, ...]:
    """Each delegation on the version with its own consent, oversight and reviews."""
    names: dict[str, list[str]] = {}
    for line in plan.tasks:
        if not line.deleted:
            names.setdefault(line.delegation_case_id or plan.delegation_case_id or "", []).append(
                task_name(session, line.task_code, line.task_catalogue_version))
    return tuple(delegation_part(session, person_id, case_id, ", ".join(tasks),
                                 on=plan.effective_from, made_at=plan.created_at)
                 for case_id, tasks in names.items())


def delegation_part(session: Session, person_id: str, case_id: str | None,
                    task_names: str = "", *, on: dt.date | None = None,
                    made_at: dt.datetime | None = None) -> DelegationPart:
    """One delegation's part: its consent, oversight (the one in effect ``on``, as recorded
    when the version was made at ``made_at``: a plan version's own date and time; None:
    the newest), reviews (none without a case) and the flow it was decided under."""
    case = session.get(DelegationCase, case_id) if case_id else None
    return DelegationPart(case_id or "", task_names,
                          _consent_block(session, person_id, case_id or None),
                          _oversight_block(session, case_id or None, on, made_at),
                          _reviews(session, case_id or None),
                          case.flow_version if case is not None else None)


def oversight_in_effect(session: Session, case_id: str, on: dt.date | None = None,
                        made_at: dt.datetime | None = None) -> ClinicalOversight | None:
    """The case's clinical oversight in effect on ``on``: of its rows from that day or
    before (a row without ``effective_from`` holds from the start: the decision's own), the
    newest by ``effective_from``, then by when it was recorded (a move and a move back on
    one day: the later). ``on`` None: the newest row whatever its date. Before the first
    row's date, that first row (the oversight arranged for the start: migration 0009 dates a
    decision's row from the case's start, which may follow the first plan version's day).
    None if the case has no oversight recorded. ``made_at`` (a plan version's own creation
    time): a row dated ``on`` itself counts only if recorded by then, so a transfer dated
    the day of an issued version never changes what that version prints."""
    row = ClinicalOversight
    stmt = select(row).where(row.delegation_case_id == case_id, ~row.deleted)
    newest_first = (row.effective_from.is_(None), row.effective_from.desc(),
                    row.created_at.desc(), row.id.desc())
    if on is None:
        return session.scalars(stmt.order_by(*newest_first).limit(1)).first()
    same_day = (row.effective_from == on if made_at is None
                else and_(row.effective_from == on, row.created_at <= made_at))
    found = session.scalars(stmt.where(or_(row.effective_from.is_(None),
                                           row.effective_from < on, same_day))
                            .order_by(*newest_first).limit(1)).first()
    return found or session.scalars(stmt.order_by(
        row.effective_from.is_not(None), row.effective_from, row.created_at, row.id)
        .limit(1)).first()


def _consent_block(session: Session, person_id: str,
                   case_id: str | None) -> ConsentBlock | None:
    record = session.scalars(
        select(ConsentRecord)
        .where(ConsentRecord.person_id == person_id,
               ConsentRecord.delegation_case_id == case_id if case_id
               else ConsentRecord.delegation_case_id.is_(None), ~ConsentRecord.deleted)
        .order_by(ConsentRecord.recorded_on.desc(), ConsentRecord.created_at.desc())).first()
    if record is None:
        return None
    return ConsentBlock(
        status=labels.CONSENT_STATUSES.get(record.status, record.status),
        given=record.status == "given", recorded_on=record.recorded_on,
        given_by=labels.CONSENT_GIVEN_BY.get(record.given_by_kind, record.given_by_kind),
        given_by_name=record.given_by_name,
        how=labels.CONSENT_METHODS.get(record.how, record.how), explained=record.explained,
        capacity_in_doubt=record.capacity_in_doubt, capacity_decision=record.capacity_decision,
        capacity_assessed_on=record.capacity_assessed_on,
        capacity_assessor=record.capacity_assessor,
        capacity_outcome=labels.CAPACITY_OUTCOMES.get(record.capacity_outcome or "",
                                                      record.capacity_outcome),
        best_interests_consulted=record.bi_consulted,
        best_interests_wishes_feelings=record.bi_wishes_feelings,
        best_interests_options=record.bi_options,
        best_interests_least_restrictive=record.bi_least_restrictive)


def _oversight_block(session: Session, case_id: str | None, on: dt.date | None,
                     made_at: dt.datetime | None = None) -> OversightBlock | None:
    if case_id is None:
        return None
    row = oversight_in_effect(session, case_id, on, made_at)
    if row is None:
        return None
    return OversightBlock(labels.OVERSIGHT_SERVICES.get(row.service_kind, row.service_kind),
                          row.organisation_name, row.named_clinician, row.phone_in_hours,
                          row.phone_out_of_hours, row.notes)


def _reviews(session: Session, case_id: str | None) -> tuple[ReviewLine, ...]:
    if case_id is None:
        return ()
    rows = session.scalars(select(Review).where(Review.delegation_case_id == case_id,
                                                ~Review.deleted).order_by(Review.due_on))
    return tuple(ReviewLine(labels.REVIEW_KINDS.get(r.kind, r.kind), r.due_on, r.done_on,
                            labels.REVIEW_OUTCOMES.get(r.outcome or "", r.outcome))
                 for r in rows)
