"""Everything the person record screen shows about one person, read in one go.

Opening the record is audited as a view (``people.open_person``). The lists come back as
plain frozen rows; the decision's flow version is carried so an old decision always shows
the version it was made under.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person import Contact
from desktop_app.models.plan import SupportPlan
from desktop_app.models.review import Review
from desktop_app.models.task_type import TaskType
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.people import PersonView, open_person


@dataclass(frozen=True)
class ContactRow:
    """Someone around the person."""

    id: str
    kind: str
    name: str
    relationship: str | None
    phone: str | None
    registration_reference: str | None
    can_decide_health_welfare: bool
    email: str | None = None
    address: str | None = None
    registered_on: dt.date | None = None
    version: int = 0


@dataclass(frozen=True)
class DelegationRow:
    """One delegation case of the person."""

    id: str
    task_code: str
    task_name: str
    status: str
    outcome_code: str | None
    flow_version: str
    decided_on: dt.date | None
    current_step: str | None


@dataclass(frozen=True)
class PlanRow:
    """One issued support plan version."""

    id: str
    version_number: int
    effective_from: dt.date
    created_by_name: str
    task_codes: tuple[str, ...]
    task_names: tuple[str, ...] = ()


@dataclass(frozen=True)
class ReviewRow:
    """A review of one of the person's delegations."""

    id: str
    kind: str
    due_on: dt.date
    done_on: dt.date | None
    outcome: str | None


@dataclass(frozen=True)
class ConsentRow:
    """A consent decision recorded for the person."""

    id: str
    status: str
    recorded_on: dt.date
    given_by_kind: str
    given_by_name: str


@dataclass(frozen=True)
class PersonRecord:
    """The person and everything recorded about them."""

    person: PersonView
    contacts: tuple[ContactRow, ...]
    delegations: tuple[DelegationRow, ...]
    plans: tuple[PlanRow, ...]
    reviews: tuple[ReviewRow, ...]
    consents: tuple[ConsentRow, ...]


def _contacts(session: Session, person_id: str) -> tuple[ContactRow, ...]:
    return tuple(ContactRow(c.id, c.kind, c.name, c.relationship, c.phone,
                            c.registration_reference, c.can_decide_health_welfare, c.email,
                            c.address, c.registered_on, c.version)
                 for c in session.scalars(select(Contact).where(
                     Contact.person_id == person_id, ~Contact.deleted).order_by(Contact.name)))


def _task_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = session.execute(select(TaskType.code, TaskType.name).where(TaskType.code.in_(codes))
                           .order_by(TaskType.catalogue_version))
    return {code: name for code, name in rows}  # the newest version's name wins


def _lists(session: Session, person_id: str) -> tuple[tuple[object, ...], ...]:
    found = list(session.scalars(select(DelegationCase).where(
        DelegationCase.person_id == person_id, ~DelegationCase.deleted)
        .order_by(DelegationCase.created_at.desc())))
    issued = list(session.scalars(select(SupportPlan).where(
        SupportPlan.person_id == person_id, ~SupportPlan.deleted)
        .order_by(SupportPlan.version_number.desc())))
    names = _task_names(session, {c.task_code for c in found if c.task_code}
                        | {t.task_code for p in issued for t in p.tasks})
    cases = tuple(DelegationRow(c.id, c.task_code, names.get(c.task_code, c.task_code or ""),
                                c.status, c.outcome_code, c.flow_version, c.decided_on,
                                c.current_step) for c in found)
    plans = tuple(PlanRow(p.id, p.version_number, p.effective_from, p.created_by_name,
                          tuple(t.task_code for t in p.tasks),
                          tuple(names.get(t.task_code, t.task_code) for t in p.tasks))
                  for p in issued)
    reviews = tuple(ReviewRow(r.id, r.kind, r.due_on, r.done_on, r.outcome)
                    for r in session.scalars(select(Review).where(
                        Review.person_id == person_id, ~Review.deleted)
                        .order_by(Review.due_on.desc())))
    consents = tuple(ConsentRow(c.id, c.status, c.recorded_on, c.given_by_kind, c.given_by_name)
                     for c in session.scalars(select(ConsentRecord).where(
                         ConsentRecord.person_id == person_id, ~ConsentRecord.deleted)
                         .order_by(ConsentRecord.recorded_on.desc())))
    return _contacts(session, person_id), cases, plans, reviews, consents


def load_record(uow: UnitOfWork, person_id: str) -> PersonRecord:
    """The person's record (audited as a view) with all its lists."""
    person = open_person(uow, person_id)
    with uow.read() as session:
        contacts, cases, plans, reviews, consents = _lists(session, person_id)
    return PersonRecord(person, contacts, cases, plans, reviews, consents)  # type: ignore[arg-type]
