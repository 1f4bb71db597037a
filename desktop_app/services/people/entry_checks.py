"""Checks shared by the person's records (what matters, signposting, partners' assessments,
eligibility screens): how typed text is kept, its limits, the dates a record may carry, and
the person it is about.

Text is kept as typed (accents, apostrophes, ``&`` and ``<`` included); only spaces at
either end go, and a one-line entry (a name, an organisation) has each run of spaces made
one. Each refusal is a ValidationError naming the field the form highlights.
"""

from __future__ import annotations

import datetime as dt

from sqlalchemy.orm import Session

from desktop_app.models.person import Person
from desktop_app.services.core.errors import NotFound, ValidationError

NAME_LIMIT = 200  # a name, an organisation, a service (the columns' size)
TEXT_LIMIT = 4000  # words typed in a box


def one_line(value: str | None) -> str:
    """A one-line entry as kept: runs of spaces made one, none at either end."""
    return " ".join((value or "").split())


def text_or_none(value: str | None) -> str | None:
    """Words typed in a box as kept: as typed but for blank lines and spaces at either end."""
    text = (value or "").strip()
    return text or None


def check_length(value: str | None, limit: int, field: str) -> None:
    """ValidationError naming ``field`` when ``value`` is longer than ``limit``."""
    if len(value or "") > limit:
        raise ValidationError(f"Keep this under {limit:,} characters.", field=field)


def check_day(day: object, field: str, what: str, today: dt.date,
              born: dt.date | None = None) -> dt.date:
    """A date that must be given, not after ``today`` and not before the person was born
    (``what`` says whose date it is: "of the assessment")."""
    if not isinstance(day, dt.date):
        raise ValidationError(f"Enter the date {what} (day/month/year).", field=field)
    if isinstance(day, dt.datetime):
        day = day.date()
    if day > today:
        raise ValidationError(f"The date {what} has not come yet; please check it.",
                              field=field)
    if born is not None and day < born:
        raise ValidationError(f"The date {what} is before the person was born; please "
                              "check it.", field=field)
    return day


def person_on_caseload(session: Session, person_id: str) -> Person:
    """The person, or NotFound when they are not on the caseload (any more)."""
    person = session.get(Person, person_id)
    if person is None or person.deleted:
        raise NotFound("That person is not on the caseload (they may have been removed).")
    return person


def person_born_by(session: Session, person_id: str, day: object, field: str,
                   what: str) -> Person:
    """The person on the caseload (NotFound otherwise), with ``day`` (a date a record about
    them carries) refused, naming ``field``, when it is before they were born."""
    person = person_on_caseload(session, person_id)
    check_day(day, field, what, dt.date.max, person.date_of_birth)
    return person
