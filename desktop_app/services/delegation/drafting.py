"""Drafting a delegation: the wizard's answers saved as it goes, and what the wizard shows.

A case starts as a draft (the answers so far and the step on screen), saved in the vault
on every page change, so a flat battery or a killed app loses nothing: the next start
offers to resume it. ``wizard_context`` gathers everything the wizard shows for a person
(their contacts, the providers and their active workers, the tasks on offer, what matters
to them, the partners' assessments on their record and their latest Care Act eligibility
screen, and the day the wizard opened, from which an assessment's age is counted) and, when
resuming, the draft's answers and the flow version it was started under.

A draft keeps that flow version: a later save under another flow is refused unless it is an
explicit restart (``restart=True``: the nurse chose to carry on under the newer flow), so an
app upgrade never silently changes the questions a half-answered delegation is held to.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.delegation import CaseStatus, DelegationCase
from desktop_app.models.person import Person
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.answers import Answers
from desktop_app.services.framework.catalogue import Catalogue
from desktop_app.services.framework.delegation_context import (
    ContactOption,
    ProviderOption,
    WizardContext,
    WorkerOption,
    task_options,
)
from desktop_app.services.framework.flow import (
    Flow,
    FlowError,
    current_flow,
    load_flow_version,
    short_version,
)
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.insurance import cover_on
from desktop_app.services.people.person_centred import (
    assessments_on_file,
    latest_eligibility,
    what_matters_on_file,
)
from desktop_app.services.vault.task_types import task_name_sql


@dataclass(frozen=True)
class DraftSummary:
    """A delegation left unfinished, offered for resuming."""

    case_id: str
    person_id: str
    person_name: str
    task_code: str
    current_step: str | None
    updated_at: dt.datetime
    task_name: str = ""
    step_title: str = ""
    flow_version: str = ""
    started_at: dt.datetime | None = None  # when the draft was first saved
    saved_by: str = ""  # the user id that saved it last


def _person(session: Session, person_id: str) -> Person:
    person = session.get(Person, person_id)
    if person is None or person.deleted:
        raise NotFound("That person is not on the caseload.")
    return person


def offered_providers(uow: UnitOfWork, today: dt.date | None = None
                      ) -> tuple[ProviderOption, ...]:
    """The providers S7 offers now (after one was added from the wizard, say)."""
    with uow.read() as session:
        return _providers(session, today or dt.date.today())


def _providers(session: Session, today: dt.date) -> tuple[ProviderOption, ...]:
    """The active providers with their workers still working there, and their cover."""
    providers = session.scalars(
        select(CareProvider).where(~CareProvider.deleted, CareProvider.active)
        .order_by(by_name(CareProvider.name)))
    options = []
    for provider in providers:
        workers = session.scalars(
            select(CareWorker).where(CareWorker.provider_id == provider.id, ~CareWorker.deleted,
                                     CareWorker.active)
            .order_by(by_name(CareWorker.family_name), by_name(CareWorker.given_name)))
        cover = cover_on(today, provider.insurance_confirmed_on,
                         provider.insurance_covers_delegated, provider.insurance_until)
        options.append(ProviderOption(provider.id, provider.name, provider.council, tuple(
            WorkerOption(w.id, f"{w.given_name} {w.family_name}") for w in workers),
            cover.insured, cover.words))
    return tuple(options)


def wizard_context(uow: UnitOfWork, person_id: str, catalogue: Catalogue,
                   case_id: str | None = None, today: dt.date | None = None) -> WizardContext:
    """Everything the wizard shows for this person (and a draft's answers, if resuming)."""
    today = today or dt.date.today()
    with uow.read() as session:
        person = _person(session, person_id)
        contacts = tuple(
            ContactOption(c.id, c.name, c.kind, c.can_decide_health_welfare)
            for c in person.contacts if not c.deleted)
        case = session.get(DelegationCase, case_id) if case_id else None
        return WizardContext(
            person_id=person.id, person_name=f"{person.given_name} {person.family_name}",
            nhs_number_display=format_nhs_number(person.nhs_number),
            date_of_birth_display=person.date_of_birth.strftime("%d/%m/%Y"),
            open_to_community_health=person.open_to_community_health,
            gp_practice_name=person.gp_practice_name or "", team=person.team,
            tasks=task_options(catalogue),
            providers=_providers(session, today), contacts=contacts,
            case_id=case.id if case else None,
            answers={k: dict(v) for k, v in (case.answers if case else {}).items()},
            current_step=case.current_step if case else None,
            flow_version=case.flow_version if case else None,
            what_matters=what_matters_on_file(session, person.id),
            assessments=assessments_on_file(session, person.id),
            eligibility=latest_eligibility(session, person.id), today=today,
        )


def save_draft(uow: UnitOfWork, person_id: str, case_id: str | None, answers: Answers,
               current_step: str, flow: Flow, catalogue: Catalogue,
               restart: bool = False) -> str:
    """Save the wizard's answers so far; returns the case id (new on the first save).

    The draft keeps the flow version of its first save. A save under another flow is
    refused, unless ``restart``: the draft then goes on under ``flow`` from now on.
    """
    require(uow, Permission.DELEGATE)
    task_code = str(answers.get("S1", {}).get("task_code") or "")
    version = catalogue.version
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id) if case_id else None
        if case is None:
            _person(session, person_id)
            case = DelegationCase(person_id=person_id, referred_by="", flow_version=flow.version,
                                  task_code=task_code, task_catalogue_version=version,
                                  status=CaseStatus.DRAFT.value)
            session.add(case)
        elif case.status != CaseStatus.DRAFT.value:
            raise ValidationError("This delegation has already been decided.")
        elif case.flow_version != flow.version:
            if not restart:
                raise ValidationError(
                    f"This delegation was started under flow {short_version(case.flow_version)}"
                    f"; it cannot be saved under flow {short_version(flow.version)} unless it "
                    "is restarted under that flow.")
            case.flow_version = flow.version
        case.answers = {k: dict(v) for k, v in answers.items()}  # a new value: JSON is tracked
        case.current_step = current_step[:8]
        case.task_code = task_code
        case.referred_by = str(answers.get("S1", {}).get("referred_by") or "")
        session.flush()
        return case.id


def drafts(uow: UnitOfWork) -> list[DraftSummary]:
    """Unfinished delegations on this laptop, newest first."""
    with uow.read() as session:
        rows = session.execute(
            select(DelegationCase, Person,
                   task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version))
            .join(Person, Person.id == DelegationCase.person_id)
            .where(DelegationCase.status == CaseStatus.DRAFT.value, ~DelegationCase.deleted)
            .order_by(DelegationCase.updated_at.desc()))
        return [DraftSummary(c.id, p.id, f"{p.given_name} {p.family_name}", c.task_code,
                             c.current_step, c.updated_at, name or "",
                             _step_title(c.flow_version, c.current_step), c.flow_version,
                             c.created_at, c.updated_by)
                for c, p, name in rows]


def _step_title(flow_version: str, step_id: str | None) -> str:
    """The step's title in the draft's own flow (the newest flow's if that one is not
    shipped); "" off the flow (the outcome page)."""
    try:
        steps = load_flow_version(flow_version).steps
    except (ValidationError, FlowError):
        steps = current_flow().steps
    return steps[step_id].title if step_id is not None and step_id in steps else ""


def discard_draft(uow: UnitOfWork, case_id: str) -> None:
    """Throw a draft away (a tombstone, so the discard syncs too)."""
    require(uow, Permission.DELEGATE)
    with uow.begin() as session:
        case = session.get(DelegationCase, case_id)
        if case is None or case.deleted or case.status != CaseStatus.DRAFT.value:
            raise NotFound("That draft is no longer there.")
        case.deleted = True
