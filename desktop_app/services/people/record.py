"""Everything the person record screen shows about one person, read in one go.

Opening the record is audited as a view (``people.open_person``). The lists come back as
plain frozen rows; the decision's flow version is carried so an old decision always shows
the version it was made under.

Each delegation carries its status in words, the outcome it was decided with (an ending
never changes that: it is an event of its own) and, once it has ended, when and why. The
history of the person's delegations (``case_event``, oldest first) comes with the record, in
words, for the person record's timeline, and so do the framework's principles as recorded
facts: what matters to the person, their signposting, partners' assessments and Care Act
eligibility screens (``person_centred``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import CaseStatus, DelegationCase
from desktop_app.models.history import ENDING_KINDS, CaseEvent, CaseEventKind
from desktop_app.models.person import Contact
from desktop_app.models.plan import SupportPlan
from desktop_app.models.review import Review
from desktop_app.models.task_type import TaskType
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.labels import (
    CASE_STATUSES,
    CONSENT_GIVEN_BY,
    CONSENT_METHODS,
    EVENT_TITLES,
    REVIEW_OUTCOMES,
)
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.people import PersonView, open_person
from desktop_app.services.people.eligibility_screen import EligibilityRow, eligibility_rows
from desktop_app.services.people.person_centred import (
    AssessmentRow,
    WhatMattersView,
    assessment_rows,
    what_matters_view,
)
from desktop_app.services.people.signposting import SignpostingRow, signposting_rows

RUNNING = (CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value)


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
    status_words: str = ""
    # The outcome it was decided with (an ending never replaces it), in words.
    outcome_title: str | None = None
    ended_on: dt.date | None = None
    ended_title: str | None = None  # how it ended, e.g. "Consent withdrawn: delegation ended"
    ended_reasons: tuple[str, ...] = ()
    # The consent it runs on (the newest "given" record): who gave it, and their contact.
    consent_given_by_kind: str | None = None
    consent_given_by_name: str | None = None
    consent_contact_id: str | None = None

    @property
    def running(self) -> bool:
        """Whether the delegation is running (active or suspended): it can still end."""
        return self.status in RUNNING


@dataclass(frozen=True)
class EventRow:
    """One event of one of the person's delegations, in words (the timeline)."""

    id: str
    case_id: str
    kind: str
    occurred_on: dt.date
    title: str
    outcome_title: str | None
    status_words: str | None
    recorded_by: str
    flow_version: str | None
    reasons: tuple[str, ...]
    plan_version: int | None
    about: str  # what else the event records, e.g. who withdrew consent and how


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
    events: tuple[EventRow, ...] = ()
    # What matters to the person, their signposting, partners' assessments on file and
    # Care Act eligibility screens (each list newest first).
    what_matters: WhatMattersView | None = None
    signposting: tuple[SignpostingRow, ...] = ()
    assessments: tuple[AssessmentRow, ...] = ()
    eligibility: tuple[EligibilityRow, ...] = ()

    def timeline(self, case_id: str) -> tuple[EventRow, ...]:
        """One delegation's events, oldest first."""
        return tuple(e for e in self.events if e.case_id == case_id)


def outcome_words(code: str | None) -> str | None:
    """An outcome's title (the code itself if this version of the app does not know it)."""
    if not code:
        return None
    try:
        return describe(code).title
    except ValueError:
        return code


def _about(kind: str, detail: Mapping[str, Any]) -> str:
    """What an event records beside its reasons, in a few words."""
    if kind == CaseEventKind.CONSENT_WITHDRAWN.value:
        by = CONSENT_GIVEN_BY.get(str(detail.get("given_by_kind")), "")
        name = str(detail.get("given_by_name") or "")
        how = CONSENT_METHODS.get(str(detail.get("how")), "")
        who = f"{name} ({by})" if name and by else name or by
        return ", ".join(part for part in (f"Withdrawn by {who}" if who else "", how.lower())
                         if part)
    if kind == CaseEventKind.REVIEWED.value:
        outcome = REVIEW_OUTCOMES.get(str(detail.get("review_outcome")), "")
        following = detail.get("next_review_on")
        next_on = (f"next review {dt.date.fromisoformat(str(following)).strftime('%d/%m/%Y')}"
                   if following else "")
        return "; ".join(part for part in (outcome, next_on) if part)
    if kind == CaseEventKind.DECIDED.value and detail.get("care_starts_on"):
        starts = dt.date.fromisoformat(str(detail["care_starts_on"]))
        return f"Care starts {starts.strftime('%d/%m/%Y')}"
    return ""


def _event_rows(events: Sequence[CaseEvent]) -> tuple[EventRow, ...]:
    rows = []
    for e in events:
        try:
            title = EVENT_TITLES[CaseEventKind(e.kind)]
        except ValueError:  # a kind from a newer version of the app, synced here
            title = e.kind.replace("_", " ").capitalize()
        rows.append(EventRow(e.id, e.delegation_case_id, e.kind, e.occurred_on, title,
                             outcome_words(e.outcome_code),
                             CASE_STATUSES.get(e.status, e.status) if e.status else None,
                             e.recorded_by_name, e.flow_version,
                             tuple(r for r in e.reasons or () if r), e.plan_version,
                             _about(e.kind, e.detail or {})))
    return tuple(rows)


def _delegation_row(c: DelegationCase, name: str, events: Sequence[CaseEvent],
                    consent: ConsentRecord | None) -> DelegationRow:
    """The case with its decided outcome, the consent it runs on and, once it has ended,
    when and why."""
    own = [e for e in events if e.delegation_case_id == c.id]
    decided = [e for e in own if e.kind == CaseEventKind.DECIDED.value and e.outcome_code]
    # A case decided before the history was kept may hold WITHDRAWN as its outcome: its
    # rebuilt decision event has the outcome decided then.
    outcome = decided[-1].outcome_code if decided else c.outcome_code
    ended = [e for e in own if e.kind in ENDING_KINDS]
    last = ended[-1] if ended and c.status not in RUNNING else None
    return DelegationRow(
        c.id, c.task_code, name, c.status, c.outcome_code, c.flow_version, c.decided_on,
        c.current_step, CASE_STATUSES.get(c.status, c.status), outcome_words(outcome),
        last.occurred_on if last else None,
        EVENT_TITLES[CaseEventKind(last.kind)] if last else None,
        tuple(r for r in last.reasons or () if r) if last else (),
        consent.given_by_kind if consent else None, consent.given_by_name if consent else None,
        consent.contact_id if consent else None)


def _contacts(session: Session, person_id: str) -> tuple[ContactRow, ...]:
    return tuple(ContactRow(c.id, c.kind, c.name, c.relationship, c.phone,
                            c.registration_reference, c.can_decide_health_welfare, c.email,
                            c.address, c.registered_on, c.version)
                 for c in session.scalars(select(Contact).where(
                     Contact.person_id == person_id, ~Contact.deleted)
                     .order_by(by_name(Contact.name))))


def _task_names(session: Session, codes: set[str]) -> dict[str, str]:
    if not codes:
        return {}
    rows = session.execute(select(TaskType.code, TaskType.name).where(TaskType.code.in_(codes))
                           .order_by(TaskType.catalogue_version))
    return {code: name for code, name in rows}  # the newest version's name wins


_Lists = tuple[tuple[ContactRow, ...], tuple[DelegationRow, ...], tuple[PlanRow, ...],
               tuple[ReviewRow, ...], tuple[ConsentRow, ...], tuple[EventRow, ...]]


def _lists(session: Session, person_id: str) -> _Lists:
    found = list(session.scalars(select(DelegationCase).where(
        DelegationCase.person_id == person_id, ~DelegationCase.deleted)
        .order_by(DelegationCase.created_at.desc())))
    issued = list(session.scalars(select(SupportPlan).where(
        SupportPlan.person_id == person_id, ~SupportPlan.deleted)
        .order_by(SupportPlan.version_number.desc())))
    names = _task_names(session, {c.task_code for c in found if c.task_code}
                        | {t.task_code for p in issued for t in p.tasks})
    history = list(session.scalars(select(CaseEvent).where(
        CaseEvent.person_id == person_id, ~CaseEvent.deleted)
        .order_by(CaseEvent.occurred_on, CaseEvent.created_at, CaseEvent.id)))
    recorded = list(session.scalars(select(ConsentRecord).where(
        ConsentRecord.person_id == person_id, ~ConsentRecord.deleted)
        .order_by(ConsentRecord.recorded_on.desc(), ConsentRecord.created_at.desc())))
    given: dict[str, ConsentRecord] = {}
    for record in recorded:  # newest first: the first "given" of each case is the one
        if record.status == "given" and record.delegation_case_id:
            given.setdefault(record.delegation_case_id, record)
    cases = tuple(_delegation_row(c, names.get(c.task_code, c.task_code or ""), history,
                                  given.get(c.id)) for c in found)
    plans = tuple(PlanRow(p.id, p.version_number, p.effective_from, p.created_by_name,
                          tuple(t.task_code for t in p.tasks),
                          tuple(names.get(t.task_code, t.task_code) for t in p.tasks))
                  for p in issued)
    reviews = tuple(ReviewRow(r.id, r.kind, r.due_on, r.done_on, r.outcome)
                    for r in session.scalars(select(Review).where(
                        Review.person_id == person_id, ~Review.deleted)
                        .order_by(Review.due_on.desc())))
    consents = tuple(ConsentRow(c.id, c.status, c.recorded_on, c.given_by_kind, c.given_by_name)
                     for c in recorded)
    return (_contacts(session, person_id), cases, plans, reviews, consents,
            _event_rows(history))


def load_record(uow: UnitOfWork, person_id: str) -> PersonRecord:
    """The person's record (audited as a view) with all its lists."""
    person = open_person(uow, person_id)
    with uow.read() as session:
        contacts, cases, plans, reviews, consents, events = _lists(session, person_id)
        return PersonRecord(person, contacts, cases, plans, reviews, consents, events,
                            what_matters_view(session, person_id),
                            signposting_rows(session, person_id),
                            assessment_rows(session, person_id, dt.date.today()),
                            eligibility_rows(session, person_id))
