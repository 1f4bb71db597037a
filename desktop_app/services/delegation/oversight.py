"""Transferring clinical oversight of a person's delegations, and its acceptance (framework §5).

Clinical oversight of a delegated task stays with Community Health Services while the
person is open to them; when they are no longer open, "arrangements will be made to
transfer this responsibility to the patient's Primary Care practice", and back again if
they are re-opened. The nurse lists the running delegations whose oversight is not yet
with the receiving service (``oversight_to_transfer``), confirms the transfer with its date
and the contact the care worker will call (``transfer_oversight``), and the case is listed
(``oversight_awaiting_acceptance``) until the receiving service's acceptance is recorded
(``record_oversight_accepted``).

A transfer never changes the row it takes over from: it is a new ``clinical_oversight`` row
from its ``effective_from`` naming that row (``transferred_from_id``), an
``OVERSIGHT_TRANSFERRED`` event per case, and one new support plan version (``reissue_plan``)
whose summary names the new oversight. A plan version prints the oversight in effect on
its own date (``plans.delegation_parts.oversight_in_effect``, which ``current_oversight``
is), so the versions issued before still name the service that held it then.

The date of a transfer:

- never in the future. A plan version dated ahead would be the person's newest while an
  earlier-dated version made meanwhile (a task delegated today is dated today) would print
  the old oversight as current, and an ending recorded meanwhile would be pushed to the
  transfer's day (versions take effect in order). A transfer planned for a later day is
  recorded on that day;
- not before the delegation started, nor before the person's newest plan version takes
  effect, nor before the oversight it takes over from: an issued version never changes
  what it prints (its reader called the service it named).

A transfer's row waits for acceptance while ``accepted_on`` is empty; a decision's own row
has no ``effective_from`` (it holds from the start) or, made before migration 0009, was
accepted at the start, so it is never listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from sqlalchemy import and_, exists, func, or_, select
from sqlalchemy.orm import Session, aliased

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEventKind
from desktop_app.models.oversight import ClinicalOversight, OversightService
from desktop_app.models.person import Person
from desktop_app.models.plan import SupportPlan
from desktop_app.services.core.audit import actor_name
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, allowed, require
from desktop_app.services.core.tracking import ACTOR
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.checks import uk_day
from desktop_app.services.delegation.history import RUNNING, record_event
from desktop_app.services.delegation.plan import reissue_plan
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.labels import OVERSIGHT_SERVICES
from desktop_app.services.plans.delegation_parts import oversight_in_effect
from desktop_app.services.plans.read_blocks import live_person, task_name
from desktop_app.services.vault.task_types import task_name_sql

# The longest text each column keeps (the central store refuses longer).
_LIMITS = {"organisation_name": (200, "the organisation"),
           "named_clinician": (200, "the named clinician"),
           "phone_in_hours": (32, "the in-hours phone number"),
           "phone_out_of_hours": (32, "the out-of-hours phone number")}


def current_oversight(session: Session, case_id: str,
                      on: dt.date | None = None) -> ClinicalOversight | None:
    """The case's clinical oversight in effect on ``on`` (None: the newest row): the
    newest ``effective_from`` on or before it, a row without one counting from the start,
    ties by when recorded (``plans.delegation_parts.oversight_in_effect``)."""
    return oversight_in_effect(session, case_id, on)


# ---------------------------------------------------------------- what to transfer


@dataclass(frozen=True)
class TransferRow:
    """A running delegation whose oversight is not with the receiving service yet, and the
    contact the transfer dialog proposes (``suggested_*``; None when nothing is known)."""

    case_id: str
    task_name: str
    current_kind: OversightService | None
    current_organisation: str | None
    suggested_organisation: str
    suggested_clinician: str | None = None
    suggested_phone_in_hours: str | None = None
    suggested_phone_out_of_hours: str | None = None


def oversight_to_transfer(uow: UnitOfWork, person_id: str,
                          to: OversightService | str) -> list[TransferRow]:
    """The person's running delegations (active or suspended) whose current oversight is
    not already ``to``, oldest decision first. The organisation proposed: for the GP
    practice, the person's practice; for community health services, the one the case had
    before, else the person's team. Its phone numbers and clinician are proposed from an
    earlier oversight of the person by that same organisation, if any."""
    kind = _service(to)
    with uow.read() as session:
        person = live_person(session, person_id)
        rows: list[TransferRow] = []
        for case in _running_cases(session, person_id):
            current = current_oversight(session, case.id)
            if current is not None and current.service_kind == kind.value:
                continue
            organisation = _suggested_organisation(session, person, case.id, kind)
            earlier = _earlier_contact(session, person_id, kind, organisation)
            rows.append(TransferRow(
                case.id, task_name(session, case.task_code, case.task_catalogue_version),
                OversightService(current.service_kind) if current else None,
                current.organisation_name if current else None, organisation,
                earlier.named_clinician if earlier else None,
                earlier.phone_in_hours if earlier else None,
                earlier.phone_out_of_hours if earlier else None))
        return rows


def _service(to: OversightService | str) -> OversightService:
    try:
        return OversightService(to)
    except ValueError:
        raise ValidationError("Choose who takes over clinical oversight: community health "
                              "services or the GP practice.", field="to") from None


def _running_cases(session: Session, person_id: str) -> list[DelegationCase]:
    return list(session.scalars(select(DelegationCase).where(
        DelegationCase.person_id == person_id, ~DelegationCase.deleted,
        DelegationCase.status.in_(RUNNING))
        .order_by(DelegationCase.decided_on, DelegationCase.created_at)))


def _suggested_organisation(session: Session, person: Person, case_id: str,
                            kind: OversightService) -> str:
    if kind is OversightService.GP_PRACTICE:
        return person.gp_practice_name or ""
    before = session.scalars(select(ClinicalOversight.organisation_name).where(
        ClinicalOversight.delegation_case_id == case_id, ~ClinicalOversight.deleted,
        ClinicalOversight.service_kind == kind.value)
        .order_by(ClinicalOversight.created_at.desc()).limit(1)).first()
    return before or person.team


def _earlier_contact(session: Session, person_id: str, kind: OversightService,
                     organisation: str) -> ClinicalOversight | None:
    if not organisation:
        return None
    return session.scalars(select(ClinicalOversight).where(
        ClinicalOversight.person_id == person_id, ~ClinicalOversight.deleted,
        ClinicalOversight.service_kind == kind.value,
        ClinicalOversight.organisation_name == organisation)
        .order_by(ClinicalOversight.created_at.desc()).limit(1)).first()


# ---------------------------------------------------------------- the transfer


@dataclass(frozen=True)
class TransferResult:
    """What a transfer wrote: the plan version naming the new oversight (None when the
    person has no plan) and the new oversight rows, in the order of the cases given."""

    plan_version: int | None
    oversight_ids: tuple[str, ...]


def transfer_oversight(uow: UnitOfWork, person_id: str, case_ids: Sequence[str],
                       to: OversightService | str, on: dt.date | None,
                       organisation_name: str | None, named_clinician: str | None,
                       phone_in_hours: str | None, phone_out_of_hours: str | None,
                       today: dt.date) -> TransferResult:
    """Transfer clinical oversight of these running delegations of the person to ``to``
    from ``on`` (see the module docstring for the dates allowed), in one transaction: a
    new oversight row and an ``OVERSIGHT_TRANSFERRED`` event per case, one new plan version
    naming the new oversight, and the person's "open to community health services" made
    to agree with ``to`` (a transfer recorded at a review keeps the person record true).
    The care worker must be able to reach the new service: the organisation and both phone
    numbers are required."""
    require(uow, Permission.DELEGATE)
    kind = _service(to)
    texts = _checked_texts(organisation_name=organisation_name,
                           named_clinician=named_clinician, phone_in_hours=phone_in_hours,
                           phone_out_of_hours=phone_out_of_hours)
    organisation = texts["organisation_name"]
    if on is None:
        raise ValidationError("Give the date the transfer takes effect.", field="on")
    if on > today:
        raise ValidationError("A transfer is recorded on the day it takes effect: that date "
                              "has not come yet. Record it on the day.", field="on")
    wanted = list(dict.fromkeys(case_ids))
    if not wanted:
        raise ValidationError("Tick at least one delegation to transfer.", field="case_ids")
    with uow.begin() as session:
        person = live_person(session, person_id)
        cases, froms = zip(*(_transferable(session, person_id, case_id, kind)
                             for case_id in wanted), strict=True)
        names = [task_name(session, c.task_code, c.task_catalogue_version) for c in cases]
        newest = session.scalar(select(func.max(SupportPlan.effective_from)).where(
            SupportPlan.person_id == person_id, ~SupportPlan.deleted))
        for case, name, before in zip(cases, names, froms, strict=True):
            _check_transfer_day(case, name, before, on, newest)
        new_rows = [ClinicalOversight(
            person_id=person_id, delegation_case_id=case.id, service_kind=kind.value,
            organisation_name=organisation, named_clinician=texts["named_clinician"] or None,
            phone_in_hours=texts["phone_in_hours"],
            phone_out_of_hours=texts["phone_out_of_hours"], proposed_automatically=False,
            effective_from=on, accepted_on=None,
            transferred_from_id=before.id if before else None)
            for case, before in zip(cases, froms, strict=True)]
        session.add_all(new_rows)
        session.flush()
        open_now = kind is OversightService.COMMUNITY_HEALTH
        if bool(person.open_to_community_health) != open_now:
            person.open_to_community_health = open_now
        summary = (f"Clinical oversight of {_listed(names)} moves to {organisation} "
                   f"({OVERSIGHT_SERVICES[kind]}) from {uk_day(on)}.")
        version = reissue_plan(session, person_id, on,
                               actor_name(session, session.info[ACTOR]), summary)
        for case, before, row in zip(cases, froms, new_rows, strict=True):
            record_event(session, case, CaseEventKind.OVERSIGHT_TRANSFERRED, on,
                         reasons=[summary], plan_version=version, detail={
                             "oversight_id": row.id,
                             "transferred_from_id": before.id if before else None,
                             "from_kind": before.service_kind if before else None,
                             "from_organisation": before.organisation_name if before else None,
                             "to_kind": kind.value, "to_organisation": organisation})
        session.flush()
        return TransferResult(version, tuple(row.id for row in new_rows))


def _checked_texts(**values: str | None) -> dict[str, str]:
    texts = {name: " ".join((value or "").split()) for name, value in values.items()}
    for name, message in (("organisation_name", "Name the organisation that takes over "
                           "clinical oversight."),
                          ("phone_in_hours", "Give the in-hours phone number the care worker "
                           "calls."),
                          ("phone_out_of_hours", "Give the out-of-hours phone number the care "
                           "worker calls.")):
        if not texts[name]:
            raise ValidationError(message, field=name)
    for name, (limit, words) in _LIMITS.items():
        if len(texts[name]) > limit:
            raise ValidationError(f"Shorten {words} to {limit} characters or fewer.",
                                  field=name)
    return texts


def _transferable(session: Session, person_id: str, case_id: str, kind: OversightService
                  ) -> tuple[DelegationCase, ClinicalOversight | None]:
    """The running case ticked, with the oversight it has now (not already ``kind``)."""
    case = session.get(DelegationCase, case_id)
    if case is None or case.deleted or case.person_id != person_id:
        raise ValidationError("One of the delegations ticked is not this person's, or is no "
                              "longer on this laptop.", field="case_ids")
    if case.status not in RUNNING:
        raise ValidationError("One of the delegations ticked has ended; only a running "
                              "delegation's oversight can be transferred.", field="case_ids")
    current = current_oversight(session, case.id)
    if current is not None and current.service_kind == kind.value:
        raise ValidationError(f"Clinical oversight of one of the delegations ticked is "
                              f"already with {OVERSIGHT_SERVICES[kind]} "
                              f"({current.organisation_name}).", field="case_ids")
    return case, current


def _check_transfer_day(case: DelegationCase, name: str, before: ClinicalOversight | None,
                        on: dt.date, newest: dt.date | None) -> None:
    """``newest``: the day the person's newest plan version takes effect."""
    start = case.decided_on or case.started_on
    if start is not None and on < start:
        raise ValidationError(f"The delegation of {name} was decided on {uk_day(start)}: "
                              "the transfer cannot be dated before that.", field="on")
    if before is not None and before.effective_from is not None and on < before.effective_from:
        raise ValidationError(f"Oversight of {name} last moved on "
                              f"{uk_day(before.effective_from)}: date this transfer on or "
                              "after that day.", field="on")
    if newest is not None and on < newest:
        raise ValidationError(f"The person's newest support plan version takes effect on "
                              f"{uk_day(newest)}: date the transfer on or after that day, so "
                              "the versions already issued keep the oversight they showed.",
                              field="on")


def _listed(names: Sequence[str]) -> str:
    """"A", "A and B", "A, B and C" (a task named twice once)."""
    unique = list(dict.fromkeys(names))
    return unique[0] if len(unique) == 1 else f"{', '.join(unique[:-1])} and {unique[-1]}"


# ---------------------------------------------------------------- acceptance


def record_oversight_accepted(uow: UnitOfWork, oversight_id: str, on: dt.date | None,
                              today: dt.date) -> None:
    """The receiving service accepted the transfer ``oversight_id`` on ``on``: its
    ``accepted_on`` and an ``OVERSIGHT_ACCEPTED`` event, in one transaction. Refused for a
    row already accepted, a row that is no transfer or that a later transfer replaced, a
    date to come or before the transfer. Roles that record reviews or delegations may."""
    if not allowed(uow.actor.role, Permission.RECORD_REVIEW):
        require(uow, Permission.DELEGATE)
    if on is None:
        raise ValidationError("Give the date the transfer was accepted.", field="on")
    if on > today:
        raise ValidationError("That date has not come yet; please check it.", field="on")
    with uow.begin() as session:
        row = session.get(ClinicalOversight, oversight_id)
        if row is None or row.deleted:
            raise NotFound("That transfer of oversight is no longer there.")
        if row.transferred_from_id is None:
            raise ValidationError("This oversight was arranged with the delegation; it was "
                                  "not a transfer, so there is no acceptance to record.")
        if row.accepted_on is not None:
            raise ValidationError(f"This transfer was already accepted on "
                                  f"{uk_day(row.accepted_on)}.")
        newest = current_oversight(session, row.delegation_case_id)
        if newest is None or newest.id != row.id:
            raise ValidationError("Oversight of this delegation has moved again since: record "
                                  "the acceptance of the newest transfer.")
        if row.effective_from is not None and on < row.effective_from:
            raise ValidationError(f"The transfer took effect on {uk_day(row.effective_from)}: "
                                  "it cannot have been accepted before that.", field="on")
        case = session.get(DelegationCase, row.delegation_case_id)
        if case is None or case.deleted:
            raise NotFound("That delegation is no longer there.")
        row.accepted_on = on
        record_event(session, case, CaseEventKind.OVERSIGHT_ACCEPTED, on, detail={
            "oversight_id": row.id, "kind": row.service_kind,
            "organisation": row.organisation_name})


# ---------------------------------------------------------------- the follow-up list


@dataclass(frozen=True)
class AwaitingRow:
    """A running delegation whose oversight was transferred and not yet accepted."""

    oversight_id: str
    case_id: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_name: str
    service_kind: OversightService
    organisation_name: str
    transferred_on: dt.date
    days_waiting: int


def oversight_awaiting_acceptance(uow: UnitOfWork, today: dt.date) -> list[AwaitingRow]:
    """Transfers of oversight not yet accepted, of running delegations, the case's newest
    oversight only (a transfer moved on again waits no more), longest waiting first."""
    row, later = ClinicalOversight, aliased(ClinicalOversight)
    newer = exists().where(
        later.delegation_case_id == row.delegation_case_id, ~later.deleted, later.id != row.id,
        later.effective_from.is_not(None),
        or_(later.effective_from > row.effective_from,
            and_(later.effective_from == row.effective_from, later.created_at > row.created_at)))
    stmt = (
        select(row.id, row.delegation_case_id, Person.id, Person.given_name,
               Person.family_name, Person.nhs_number,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               row.service_kind, row.organisation_name, row.effective_from)
        .join(DelegationCase, DelegationCase.id == row.delegation_case_id)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(row.effective_from.is_not(None), row.accepted_on.is_(None), ~row.deleted,
               ~DelegationCase.deleted, DelegationCase.status.in_(RUNNING), ~Person.deleted,
               ~newer)
        .order_by(row.effective_from, by_name(Person.family_name),
                  by_name(Person.given_name), row.id))
    with uow.read() as session:
        return [AwaitingRow(r[0], r[1], r[2], f"{r[3]} {r[4]}", format_nhs_number(r[5]), r[6],
                            OversightService(r[7]), r[8], r[9], max(0, (today - r[9]).days))
                for r in session.execute(stmt) if r[9] is not None]
