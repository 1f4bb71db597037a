"""What follows a decision up: changes of need waiting for an MDT, and funding to reconsider
after the first weeks of an arrangement."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import exists, select
from sqlalchemy.orm import aliased

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import MdtDecision
from desktop_app.models.person import Person
from desktop_app.models.review import Review, ReviewOutcome
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.registers.common import (
    LIVE_CASE_STATUSES,
    person_name,
)
from desktop_app.services.vault.task_types import task_name_sql


@dataclass(frozen=True)
class ChangeOfNeedRow:
    """A running delegation whose last review found a change of need, awaiting the MDT."""

    case_id: str
    review_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    recorded_on: dt.date
    days_waiting: int


def changes_of_need_awaiting_mdt(uow: UnitOfWork, today: dt.date) -> list[ChangeOfNeedRow]:
    """Cases flagged by a change-of-need review with no MDT decision since, longest first."""
    later = aliased(Review)
    newer_review = exists().where(
        later.delegation_case_id == Review.delegation_case_id, ~later.deleted,
        later.done_on > Review.done_on)
    mdt_since = exists().where(MdtDecision.delegation_case_id == Review.delegation_case_id,
                               ~MdtDecision.deleted, MdtDecision.met_on >= Review.done_on)
    stmt = (
        select(DelegationCase.id, Review.id, Person.given_name, Person.family_name,
               Person.nhs_number,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               Review.done_on)
        .join(DelegationCase, DelegationCase.id == Review.delegation_case_id)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(Review.outcome == ReviewOutcome.CHANGE_OF_NEED.value, ~Review.deleted,
               ~DelegationCase.deleted, DelegationCase.status.in_(LIVE_CASE_STATUSES),
               ~newer_review, ~mdt_since)
        .order_by(Review.done_on, by_name(Person.family_name)))
    with uow.read() as session:
        rows = session.execute(stmt).all()
    return [ChangeOfNeedRow(r[0], r[1], person_name(r[2], r[3]), format_nhs_number(r[4]), r[5],
                            r[6], (today - r[6]).days) for r in rows if r[6] is not None]


@dataclass(frozen=True)
class FundingToReconsiderRow:
    """A delegation that ended with funding lines: the joint meeting must reconsider who
    pays now the task is back with Health (a new CHC Checklist if needs rose)."""

    case_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    ended_on: dt.date
    days_waiting: int


def funding_to_reconsider(uow: UnitOfWork, today: dt.date) -> list[FundingToReconsiderRow]:
    """Ended delegations whose funding nobody has yet reconsidered, longest waiting first."""
    since = DelegationCase.funding_reconsider_from
    stmt = (
        select(DelegationCase.id, Person.given_name, Person.family_name, Person.nhs_number,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               since)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(since.is_not(None), DelegationCase.funding_reconsidered_on.is_(None),
               ~DelegationCase.deleted, ~Person.deleted)
        .order_by(since, by_name(Person.family_name), by_name(Person.given_name)))
    with uow.read() as session:
        return [FundingToReconsiderRow(r[0], person_name(r[1], r[2]), format_nhs_number(r[3]), r[4],
                                       r[5], max(0, (today - r[5]).days))
                for r in session.execute(stmt) if r[5] is not None]


def record_funding_reconsidered(uow: UnitOfWork, case_id: str, on: dt.date,
                                today: dt.date) -> None:
    """The joint meeting reconsidered an ended delegation's funding on ``on``."""
    require(uow, Permission.CLOSE_DISCUSSION)
    if on > today:
        raise ValidationError("That date has not come yet; please check it.", field="on")
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id)
        if case is None or case.deleted or case.funding_reconsider_from is None:
            raise NotFound("That delegation has no funding waiting to be reconsidered.")
        if case.funding_reconsidered_on is not None:
            raise ValidationError("This funding has already been reconsidered.")
        if on < case.funding_reconsider_from:
            raise ValidationError("The funding cannot be reconsidered before the delegation "
                                  "ended; please check the date.", field="on")
        case.funding_reconsidered_on = on

