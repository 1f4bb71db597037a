"""The competency register: every sign-off with its refresher, and its withdrawal."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.person import Person
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.registers.common import (
    EXPIRING_WITHIN_DAYS,
    clean,
    person_name,
)
from desktop_app.services.vault.task_types import task_name_sql

# ---------------------------------------------------------------- competency register


class Expiry(enum.StrEnum):
    """Whether a sign-off's refresher date has passed, is near (≤ 60 days) or is not near."""

    EXPIRED = "expired"
    EXPIRING = "expiring"
    OK = "ok"


def expiry_of(refresher_due: dt.date, today: dt.date) -> Expiry:
    """Expired the day after the refresher date; expiring from 60 days before it."""
    if refresher_due < today:
        return Expiry.EXPIRED
    if (refresher_due - today).days <= EXPIRING_WITHIN_DAYS:
        return Expiry.EXPIRING
    return Expiry.OK


@dataclass(frozen=True)
class CompetencyRow:
    """One worker's sign-off for one person and task, with how close its refresher is."""

    sign_off_id: str
    worker_id: str
    worker_name: str
    provider_name: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_code: str
    task_name: str
    training_level: int
    signed_off_on: dt.date
    refresher_due: dt.date
    days_to_refresher: int
    status: SignOffStatus
    expiry: Expiry
    delegation_case_id: str | None


def competency_register(uow: UnitOfWork, today: dt.date) -> list[CompetencyRow]:
    """Every sign-off, by refresher date (so the expired come first, longest expired on top)."""
    stmt = (
        select(CompetencySignOff.id, CareWorker.id, CareWorker.given_name,
               CareWorker.family_name, CareProvider.name, Person.id, Person.given_name,
               Person.family_name, Person.nhs_number, CompetencySignOff.task_code,
               task_name_sql(CompetencySignOff.task_code), CompetencySignOff.training_level,
               CompetencySignOff.signed_off_on, CompetencySignOff.refresher_due,
               CompetencySignOff.status, CompetencySignOff.delegation_case_id)
        .join(CareWorker, CareWorker.id == CompetencySignOff.worker_id)
        .join(CareProvider, CareProvider.id == CareWorker.provider_id)
        .join(Person, Person.id == CompetencySignOff.person_id)
        .where(~CompetencySignOff.deleted, ~CareWorker.deleted, ~Person.deleted)
        .order_by(CompetencySignOff.refresher_due, CareWorker.family_name,
                  CareWorker.given_name, Person.family_name, CompetencySignOff.id))
    with uow.read() as session:
        return [CompetencyRow(r[0], r[1], person_name(r[2], r[3]), r[4], r[5],
                              person_name(r[6], r[7]),
                              format_nhs_number(r[8]), r[9], r[10], r[11], r[12], r[13],
                              (r[13] - today).days, SignOffStatus(r[14]),
                              expiry_of(r[13], today), r[15])
                for r in session.execute(stmt)]


def withdraw_sign_off(uow: UnitOfWork, sign_off_id: str, reason: str) -> None:
    """Withdraw a worker's sign-off for good, with the reason (a new sign-off is needed)."""
    require(uow, Permission.MANAGE_COMPETENCY)
    text = clean(reason)
    if not text:
        raise ValidationError("Give the reason for withdrawing the sign-off.", field="reason")
    with uow.begin() as session:
        sign_off = session.get(CompetencySignOff, sign_off_id)
        if sign_off is None or sign_off.deleted:
            raise NotFound("That sign-off is no longer there.")
        if sign_off.status == SignOffStatus.WITHDRAWN.value:
            raise ValidationError("This sign-off has already been withdrawn.")
        sign_off.status = SignOffStatus.WITHDRAWN.value
        sign_off.withdrawn_reason = text

