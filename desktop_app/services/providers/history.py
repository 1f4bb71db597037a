"""A care worker's sign-offs over time: every person and task they were signed off for,
when, the refresher due, and where each sign-off stands today.

A sign-off replaced by a refresher or a reassessment is kept (status ``superseded``), as are
withdrawn and suspended ones, so the history is whole. A sign-off still in force is current,
expiring (its refresher is due within 60 days) or expired (the day after its refresher
date): the competency register's rule, ``framework.refresher.expiry_of``.
"""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass

from sqlalchemy import select

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.person import Person
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.refresher import Expiry, expiry_of
from desktop_app.services.vault.task_types import task_name_sql


class SignOffState(enum.StrEnum):
    """Where a sign-off stands on a day."""

    CURRENT = "current"
    EXPIRING = "expiring"
    EXPIRED = "expired"
    SUPERSEDED = "superseded"
    WITHDRAWN = "withdrawn"
    SUSPENDED = "suspended"


@dataclass(frozen=True)
class SignOffHistoryRow:
    """One of the worker's sign-offs (``superseded_on``: the date of the sign-off that
    replaced it, if one did)."""

    sign_off_id: str
    person_id: str
    person_name: str
    task_code: str
    task_name: str
    training_level: int
    signed_off_on: dt.date
    refresher_due: dt.date
    state: SignOffState
    superseded_on: dt.date | None = None


def state_on(status: str, refresher_due: dt.date, today: dt.date) -> SignOffState:
    """A sign-off's state on ``today`` from its recorded status and refresher date."""
    if status != SignOffStatus.CURRENT.value:
        return SignOffState(status)
    return {Expiry.EXPIRED: SignOffState.EXPIRED, Expiry.EXPIRING: SignOffState.EXPIRING,
            Expiry.OK: SignOffState.CURRENT}[expiry_of(refresher_due, today)]


def sign_off_history(uow: UnitOfWork, worker_id: str,
                     today: dt.date | None = None) -> list[SignOffHistoryRow]:
    """Every sign-off of the worker, by person and task, the newest first within each."""
    today = today or dt.date.today()
    stmt = (
        select(CompetencySignOff.id, Person.id, Person.given_name, Person.family_name,
               CompetencySignOff.task_code, task_name_sql(CompetencySignOff.task_code),
               CompetencySignOff.training_level, CompetencySignOff.signed_off_on,
               CompetencySignOff.refresher_due, CompetencySignOff.status,
               CompetencySignOff.supersedes_id)
        .join(Person, Person.id == CompetencySignOff.person_id)
        .where(CompetencySignOff.worker_id == worker_id, ~CompetencySignOff.deleted,
               ~Person.deleted)
        .order_by(by_name(Person.family_name), by_name(Person.given_name), Person.id,
                  CompetencySignOff.task_code,
                  CompetencySignOff.signed_off_on.desc(), CompetencySignOff.id))
    with uow.read() as session:
        found = list(session.execute(stmt))
    replaced_on = {r[10]: r[7] for r in found if r[10] is not None}
    return [SignOffHistoryRow(r[0], r[1], f"{r[2]} {r[3]}", r[4], r[5], r[6], r[7], r[8],
                              state_on(r[9], r[8], today), replaced_on.get(r[0]))
            for r in found]
