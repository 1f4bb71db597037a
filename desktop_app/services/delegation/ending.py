"""Ending a running delegation between reviews: the person's consent withdrawn, or their need
changed (hazard H-032).

The person can withdraw consent at any time (framework §6; Mental Capacity Act 2005): the
person themselves, or, when an assessment found they lack capacity for this decision, their
registered health and welfare attorney or deputy, the same rule as consent at step S6
(``checks.check_consent``). Which of the two applies is read from the capacity recorded with
the consent the delegation was decided on. ``withdraw_consent`` records a consent record
with the status "withdrawn" and ends the delegation; ``end_for_change_of_need`` ends it
because the person's need changed and the task returns to the nurse.

Either is one unit of work through ``history.end_delegation``: the case leaves the running
statuses, its outstanding reviews end, its sign-offs are suspended, a new support plan
version leaves the task and its funding out from that day (hazard H-008), funding is put
to the partners to reconsider, and the ending is an event of its own with its reasons. The
decision it ends stays as it was recorded.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.consent import ConsentMethod, ConsentRecord, ConsentStatus
from desktop_app.models.delegation import CaseStatus, DelegationCase
from desktop_app.models.history import CaseEventKind
from desktop_app.models.person import Contact
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.checks import CONTACT_KINDS, check_consent, uk_day
from desktop_app.services.delegation.history import RUNNING, Ended, end_delegation

# Who may withdraw consent: the person, or a registered attorney or deputy deciding for them.
WITHDRAWN_BY = ("person", *CONTACT_KINDS)
# Why a case that is not running cannot be ended, by its status.
_NOT_RUNNING = {
    CaseStatus.DRAFT.value: "has not been decided yet",
    CaseStatus.IN_PROGRESS.value: "has not been decided yet",
    CaseStatus.DECIDED.value: "was decided without delegating the task",
    CaseStatus.WITHDRAWN.value: "has already been withdrawn",
    CaseStatus.CLOSED.value: "has already ended",
}
# check_consent's refusals (by the S6 field they name), said for a withdrawal.
_WHO_WORDS = {
    "S6.given_by_kind": (
        "The capacity assessment recorded with this delegation found the person lacks "
        "capacity for this decision, so the withdrawal is made by their registered health "
        "and welfare attorney or deputy. If the person objects, respect it and end the "
        "delegation as a change of need."),
    "S6.capacity_outcome": (
        "An attorney or a deputy can withdraw consent only when an assessment found the "
        "person lacks capacity for this decision; this person decides for themselves."),
    "S6.contact_id": (
        "Choose the attorney or deputy from this person's contacts, registered to decide "
        "about health and welfare."),
}


def withdraw_consent(uow: UnitOfWork, case_id: str, on: dt.date, given_by_kind: str,
                     given_by_name: str | None, contact_id: str | None, how: str,
                     explained: str, today: dt.date) -> Ended:
    """The person (or their attorney or deputy) withdrew consent on ``on``: a "withdrawn"
    consent record, and the delegation ended (``CONSENT_WITHDRAWN``) with ``explained`` as
    its reason. ``given_by_name`` may be left empty: the attorney's or deputy's name on
    their contact, else "the person"."""
    require(uow, Permission.DELEGATE)
    with uow.begin() as session:
        case = _running_case(session, case_id)
        _check_day(on, case, today, "consent was withdrawn")
        if given_by_kind not in WITHDRAWN_BY:
            raise ValidationError("Choose who withdrew consent: the person, or their "
                                  "registered health and welfare attorney or deputy.",
                                  field="given_by_kind")
        basis = _consent_basis(session, case.id)
        contact = _check_who(session, case, given_by_kind, contact_id, basis)
        if how not in {method.value for method in ConsentMethod}:
            raise ValidationError("Choose how consent was withdrawn: verbally, in writing or "
                                  "another way.", field="how")
        reason = _required(explained, "explained", "Say what was said and what was explained "
                                                   "when consent was withdrawn.")
        name = ((given_by_name or "").strip()
                or (contact.name if contact is not None else "the person"))
        record = ConsentRecord(
            person_id=case.person_id, delegation_case_id=case.id,
            status=ConsentStatus.WITHDRAWN.value, recorded_on=on, given_by_kind=given_by_kind,
            given_by_name=name, contact_id=contact.id if contact is not None else None,
            how=how, explained=reason,
            # The capacity on which the withdrawal was accepted: the decision's assessment.
            capacity_in_doubt=bool(basis and basis.capacity_in_doubt),
            capacity_decision=basis.capacity_decision if basis else None,
            capacity_assessed_on=basis.capacity_assessed_on if basis else None,
            capacity_assessor=basis.capacity_assessor if basis else None,
            capacity_outcome=basis.capacity_outcome if basis else None)
        session.add(record)
        session.flush()
        return end_delegation(session, case, CaseEventKind.CONSENT_WITHDRAWN, on, [reason],
                              detail={"consent_record_id": record.id,
                                      "given_by_kind": given_by_kind,
                                      "given_by_name": name, "how": how})


def end_for_change_of_need(uow: UnitOfWork, case_id: str, on: dt.date, reason: str,
                           today: dt.date) -> Ended:
    """The person's need changed on ``on``, so the task returns to the nurse: the delegation
    ended (``NEED_CHANGED``) with ``reason``."""
    require(uow, Permission.DELEGATE)
    with uow.begin() as session:
        case = _running_case(session, case_id)
        _check_day(on, case, today, "the need changed")
        why = _required(reason, "reason", "Say how the person's need changed.")
        return end_delegation(session, case, CaseEventKind.NEED_CHANGED, on, [why])


def _running_case(session: Session, case_id: str) -> DelegationCase:
    case = session.get(DelegationCase, case_id)
    if case is None or case.deleted:
        raise NotFound("That delegation is no longer there.")
    if case.status not in RUNNING:
        why = _NOT_RUNNING.get(case.status, "is not running")
        raise ValidationError(f"This delegation {why}: only a running delegation can be "
                              "ended.")
    return case


def _check_day(on: object, case: DelegationCase, today: dt.date, what: str) -> None:
    if not isinstance(on, dt.date):
        raise ValidationError(f"Give the date {what}.", field="on")
    if on > today:
        raise ValidationError("That date has not come yet; please check it.", field="on")
    # From the decision, not the day care starts: consent can be withdrawn, or the need
    # change, before the first visit, and the plan must lose the task then.
    start = case.decided_on or case.started_on
    if start is not None and on < start:
        raise ValidationError(f"That date is before the delegation was decided on "
                              f"{uk_day(start)}.", field="on")


def _required(text: str | None, field: str, message: str) -> str:
    cleaned = (text or "").strip()
    if not cleaned:
        raise ValidationError(message, field=field)
    return cleaned


def _consent_basis(session: Session, case_id: str) -> ConsentRecord | None:
    """The consent the delegation runs on: the newest "given" record of the case."""
    return session.scalar(select(ConsentRecord).where(
        ConsentRecord.delegation_case_id == case_id, ~ConsentRecord.deleted,
        ConsentRecord.status == ConsentStatus.GIVEN.value)
        .order_by(ConsentRecord.recorded_on.desc(), ConsentRecord.created_at.desc()).limit(1))


def _check_who(session: Session, case: DelegationCase, kind: str, contact_id: str | None,
               basis: ConsentRecord | None) -> Contact | None:
    """Who withdrew may decide for the person (``check_consent``, with the capacity recorded
    with the decision's consent); the attorney's or deputy's contact row, if one."""
    s6 = {"given_by_kind": kind, "contact_id": contact_id,
          "capacity_outcome": basis.capacity_outcome if basis else None}
    try:
        check_consent(session, case.person_id, s6)
    except ValidationError as problem:
        raise ValidationError(_WHO_WORDS.get(problem.field or "", problem.message),
                              field="contact_id" if problem.field == "S6.contact_id"
                              else "given_by_kind") from None
    return session.get(Contact, contact_id) if kind in CONTACT_KINDS and contact_id else None
