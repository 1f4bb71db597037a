"""Taking a record off the person's record because it was recorded by mistake (a partner's
assessment, an eligibility screen): a wrong date, the wrong person, a screen entered twice.

A removal is a tombstone, so it syncs and the row stays in the vault and the central store;
what was decided on it stays as it was (a delegation's reuse of an assessment keeps
pointing at it). The reason is required, in words, and is kept on the removed row itself:
a line "Removed on dd/mm/yyyy by <name>, recorded by mistake: <reason>" is added to the
row's own text (an assessment's summary, a screen's reason for the decision), after what
was there. The audit row of the removal (a ``delete`` under the signed-in user and
device, written by the tracking hooks) holds identifiers only, never free text, so the
reason cannot be kept there.
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from desktop_app.models.base import SyncedMixin
from desktop_app.services.core.audit import actor_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import tombstone
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.people.entry_checks import TEXT_LIMIT, check_length, text_or_none

M = TypeVar("M", bound=SyncedMixin)

REASON_FIELD = "reason"


def check_reason(reason: str | None) -> str:
    """The reason for a removal as kept; ValidationError naming ``reason`` when it is
    missing or too long."""
    kept = text_or_none(reason)
    if not kept:
        raise ValidationError("Say why it is being removed (for example: the date was typed "
                              "wrong, or it was recorded for the wrong person).",
                              field=REASON_FIELD)
    check_length(kept, TEXT_LIMIT, REASON_FIELD)
    return kept


def removal_line(reason: str, by: str, on: dt.date) -> str:
    """The words the removed row keeps about its removal."""
    return f"Removed on {on:%d/%m/%Y} by {by}, recorded by mistake: {reason}"


def remove_by_mistake(uow: UnitOfWork, model: type[M], row_id: str, reason: str | None,
                      text_column: str, gone: str, today: dt.date | None = None) -> None:
    """Tombstone ``model``'s row ``row_id`` (``EDIT_PEOPLE``), keeping the reason in its
    ``text_column``; NotFound (``gone``) when it is no longer on the record."""
    require(uow, Permission.EDIT_PEOPLE)
    kept = check_reason(reason)
    with uow.begin() as session:
        row = session.get(model, row_id)
        if row is None or row.deleted:
            raise NotFound(gone)
        line = removal_line(kept, actor_name(session, uow.actor), today or dt.date.today())
        before = (getattr(row, text_column) or "").rstrip()
        setattr(row, text_column, f"{before}\n\n{line}" if before else line)
        tombstone(session, row)
