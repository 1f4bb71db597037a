"""The competency register: every sign-off with its refresher, and its withdrawal; what the
register's training and assessment dialogs offer (``assessment_choices``).

A sign-off replaced by a refresher or reassessment (``superseded``) is history: the register
leaves it out unless asked (``include_superseded``), so its old refresher date never shows
as an expired sign-off to act on; the sign-off that replaced it is in the list instead."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.person import Person
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.refresher import Expiry, expiry_of
from desktop_app.services.providers import competence
from desktop_app.services.registers.common import (
    clean,
    person_name,
)
from desktop_app.services.vault.task_types import task_name_sql

# ---------------------------------------------------------------- competency register


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
    standard: str | None = None
    supersedes_id: str | None = None


def competency_register(uow: UnitOfWork, today: dt.date, *,
                        include_superseded: bool = False) -> list[CompetencyRow]:
    """Every sign-off, by refresher date (so the expired come first, longest expired on top);
    superseded ones only when asked."""
    stmt = (
        select(CompetencySignOff.id, CareWorker.id, CareWorker.given_name,
               CareWorker.family_name, CareProvider.name, Person.id, Person.given_name,
               Person.family_name, Person.nhs_number, CompetencySignOff.task_code,
               task_name_sql(CompetencySignOff.task_code), CompetencySignOff.training_level,
               CompetencySignOff.signed_off_on, CompetencySignOff.refresher_due,
               CompetencySignOff.status, CompetencySignOff.delegation_case_id,
               CompetencySignOff.standard, CompetencySignOff.supersedes_id)
        .join(CareWorker, CareWorker.id == CompetencySignOff.worker_id)
        .join(CareProvider, CareProvider.id == CareWorker.provider_id)
        .join(Person, Person.id == CompetencySignOff.person_id)
        .where(~CompetencySignOff.deleted, ~CareWorker.deleted, ~Person.deleted)
        .order_by(CompetencySignOff.refresher_due, by_name(CareWorker.family_name),
                  by_name(CareWorker.given_name), by_name(Person.family_name),
                  CompetencySignOff.id))
    if not include_superseded:
        stmt = stmt.where(CompetencySignOff.status != SignOffStatus.SUPERSEDED.value)
    with uow.read() as session:
        return [CompetencyRow(r[0], r[1], person_name(r[2], r[3]), r[4], r[5],
                              person_name(r[6], r[7]),
                              format_nhs_number(r[8]), r[9], r[10], r[11], r[12], r[13],
                              (r[13] - today).days, SignOffStatus(r[14]),
                              expiry_of(r[13], today), r[15], r[16], r[17])
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
        if sign_off.status == SignOffStatus.SUPERSEDED.value:
            raise ValidationError("This sign-off was replaced by a refresher or reassessment: "
                                  "withdraw the one that replaced it.")
        sign_off.status = SignOffStatus.WITHDRAWN.value
        sign_off.withdrawn_reason = text



# ---------------------------------------------------------------- the dialogs' choices


@dataclass(frozen=True)
class Option:
    """A choice in a dialog: the record's id and how it reads."""

    id: str
    text: str


@dataclass(frozen=True)
class AssessmentChoices:
    """What the training and assessment dialogs offer: the workers still with a provider,
    the people, the catalogue's delegable tasks, and the training already recorded."""

    workers: tuple[Option, ...]
    people: tuple[Option, ...]
    tasks: tuple[Option, ...]
    training: tuple[competence.TrainingRow, ...]


def assessment_choices(uow: UnitOfWork) -> AssessmentChoices:
    """The choices for the training and assessment dialogs (see ``AssessmentChoices``)."""
    tasks = sorted((t for t in load_catalogue().tasks if t.is_delegable), key=lambda t: t.name)
    with uow.read() as session:
        workers = [Option(r[0], f"{person_name(r[1], r[2])} ({r[3]})") for r in session.execute(
            select(CareWorker.id, CareWorker.given_name, CareWorker.family_name,
                   CareProvider.name)
            .join(CareProvider, CareProvider.id == CareWorker.provider_id)
            .where(~CareWorker.deleted, CareWorker.active, CareWorker.left_on.is_(None))
            .order_by(by_name(CareWorker.family_name), by_name(CareWorker.given_name),
                      by_name(CareProvider.name)))]
        people = [Option(r[0], f"{person_name(r[1], r[2])}, NHS number "
                               f"{format_nhs_number(r[3])}") for r in session.execute(
            select(Person.id, Person.given_name, Person.family_name, Person.nhs_number)
            .where(~Person.deleted)
            .order_by(by_name(Person.family_name), by_name(Person.given_name)))]
    return AssessmentChoices(tuple(workers), tuple(people),
                             tuple(Option(t.code, t.name) for t in tasks),
                             tuple(competence.training_events(uow)))
