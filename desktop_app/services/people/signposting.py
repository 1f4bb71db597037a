"""Signposting and referral on any contact (Make Every Contact Count, framework Part A
section 3), and the list of services the LLR partners extend.

On a visit, a review, a phone call or the delegation conversation a nurse or practitioner
records that they signposted or referred the person, or their carer, to a service: one from
the list or any name typed. The list is the one shipped with the app
(``framework.person_centred.shipped_services``) and then the services a team lead added
(``SignpostingService``, synced to the team's laptops), alphabetically; a name already on
the list is refused, whatever its case and spacing.

``EDIT_PEOPLE`` records and removes signposting (a removal is a tombstone: it was a
mistake); ``EXTEND_LISTS`` adds a service; anyone signed in reads.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.person_centred import (
    SignpostAction,
    SignpostFor,
    Signposting,
    SignpostingService,
    SignpostOccasion,
)
from desktop_app.models.review import Review
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import tombstone
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.person_centred import (
    ACTION_LABELS,
    FOR_WHOM_LABELS,
    OCCASION_LABELS,
    shipped_services,
)
from desktop_app.services.people.entry_checks import (
    NAME_LIMIT,
    TEXT_LIMIT,
    check_day,
    check_length,
    one_line,
    person_born_by,
    text_or_none,
)


@dataclass(frozen=True)
class SignpostingInput:
    """A signposting or referral as typed (the choices are the models' enum values)."""

    given_on: dt.date | None
    occasion: str  # SignpostOccasion value
    for_whom: str  # SignpostFor value
    action: str  # SignpostAction value
    service: str  # from the list or typed
    note: str | None = None
    review_id: str | None = None  # the review it was given at


@dataclass(frozen=True)
class SignpostingRow:
    """A signposting or referral on the person's record, with its choices in words."""

    id: str
    given_on: dt.date
    occasion: str
    occasion_label: str
    for_whom: str
    for_whom_label: str
    action: str
    action_label: str
    service: str
    note: str
    review_id: str | None
    recorded_by: str


@dataclass(frozen=True)
class ServiceOption:
    """A service on the signposting list: shipped with the app, or added by the team."""

    name: str
    for_whom: str  # "person", "carer" or "both"
    added: bool  # added by a team lead (not shipped with the app)
    description: str = ""


def check_signposting(data: SignpostingInput, today: dt.date) -> dict[str, object]:
    """The column values of a signposting; ValidationError names the first bad field (in
    the form's order)."""
    given_on = check_day(data.given_on, "given_on", "it was given", today)
    if data.occasion not in SignpostOccasion._value2member_map_:
        raise ValidationError("Choose when it was given: on a visit, at a review, on a phone "
                              "call or in the delegation conversation.", field="occasion")
    if data.review_id and data.occasion != SignpostOccasion.REVIEW:
        raise ValidationError("Signposting given at a review is recorded as given at a review.",
                              field="occasion")
    if data.for_whom not in SignpostFor._value2member_map_:
        raise ValidationError("Choose whom it was for: the person or their carer.",
                              field="for_whom")
    if data.action not in SignpostAction._value2member_map_:
        raise ValidationError("Choose whether you signposted or referred.", field="action")
    service, note = one_line(data.service), text_or_none(data.note)
    if not service:
        raise ValidationError("Choose a service from the list, or type its name.",
                              field="service")
    check_length(service, NAME_LIMIT, "service")
    check_length(note, TEXT_LIMIT, "note")
    return {"given_on": given_on, "occasion": data.occasion, "for_whom": data.for_whom,
            "action": data.action, "service": service, "note": note,
            "review_id": data.review_id or None}


def _check_review(session: Session, review_id: str, person_id: str) -> None:
    review = session.get(Review, review_id)
    if review is None or review.deleted or review.person_id != person_id:
        raise ValidationError("That review is not one of this person's (it may have been "
                              "removed); choose the review again.", field="review_id")


def record_signposting(uow: UnitOfWork, person_id: str, data: SignpostingInput,
                       recorded_by: str, today: dt.date | None = None) -> str:
    """Record a signposting or referral on the person's record; returns its id."""
    require(uow, Permission.EDIT_PEOPLE)
    values = check_signposting(data, today or dt.date.today())
    with uow.begin() as session:
        person_born_by(session, person_id, values["given_on"], "given_on", "it was given")
        if values["review_id"]:
            _check_review(session, str(values["review_id"]), person_id)
        row = Signposting(person_id=person_id, recorded_by_name=recorded_by, **values)
        session.add(row)
        session.flush()
        return row.id


def remove_signposting(uow: UnitOfWork, signposting_id: str) -> None:
    """Take a signposting recorded by mistake off the record (a tombstone, so it syncs)."""
    require(uow, Permission.EDIT_PEOPLE)
    with uow.begin() as session:
        row = session.get(Signposting, signposting_id)
        if row is None or row.deleted:
            raise NotFound("That signposting is no longer on the record; it may have been "
                           "removed.")
        tombstone(session, row)


def signposting_rows(session: Session, person_id: str) -> tuple[SignpostingRow, ...]:
    """In a unit of work: the person's signposting, newest first (one query)."""
    return tuple(
        SignpostingRow(s.id, s.given_on, s.occasion, OCCASION_LABELS.get(s.occasion, s.occasion),
                       s.for_whom, FOR_WHOM_LABELS.get(s.for_whom, s.for_whom), s.action,
                       ACTION_LABELS.get(s.action, s.action), s.service, s.note or "",
                       s.review_id, s.recorded_by_name)
        for s in session.scalars(select(Signposting).where(
            Signposting.person_id == person_id, ~Signposting.deleted)
            .order_by(Signposting.given_on.desc(), Signposting.created_at.desc())))


def signposting_for(uow: UnitOfWork, person_id: str) -> tuple[SignpostingRow, ...]:
    """The signposting and referrals on the person's record, newest first."""
    with uow.read() as session:
        return signposting_rows(session, person_id)


def _key(name: str) -> str:
    """A service's name as compared: case and spacing do not count."""
    return one_line(name).casefold()


def _services(session: Session) -> tuple[ServiceOption, ...]:
    options = [ServiceOption(s.name, s.for_whom, False) for s in shipped_services()]
    options += [ServiceOption(s.name, "both", True, s.description or "")
                for s in session.scalars(select(SignpostingService).where(
                    SignpostingService.active, ~SignpostingService.deleted)
                    .order_by(by_name(SignpostingService.name), SignpostingService.id))]
    seen: set[str] = set()
    kept = []
    for option in options:  # two laptops may add the same service before they sync
        if _key(option.name) not in seen:
            seen.add(_key(option.name))
            kept.append(option)
    return tuple(kept)


def signposting_services(uow: UnitOfWork) -> tuple[ServiceOption, ...]:
    """The services to signpost to: those shipped with the app, then the team's own
    (alphabetically)."""
    with uow.read() as session:
        return _services(session)


def add_signposting_service(uow: UnitOfWork, name: str, description: str | None,
                            added_by: str) -> str:
    """Add a local service or support group to the team's signposting list; returns its id."""
    require(uow, Permission.EXTEND_LISTS)
    kept, about = one_line(name), text_or_none(description)
    if not kept:
        raise ValidationError("Give the service's name.", field="name")
    check_length(kept, NAME_LIMIT, "name")
    check_length(about, TEXT_LIMIT, "description")
    with uow.begin() as session:
        if any(_key(option.name) == _key(kept) for option in _services(session)):
            raise ValidationError("This service is already on the list.", field="name")
        row = SignpostingService(name=kept, description=about, added_by_name=added_by,
                                 active=True)
        session.add(row)
        session.flush()
        return row.id
