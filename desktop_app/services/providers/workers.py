"""The care workers under each provider: add, edit, and record that a worker left.

Only what the delegation needs is kept: name, role, phone and when they started; no
national insurance numbers, no home addresses. A second worker with the same name at the
same provider is allowed (two people can share a name) but the answer carries a warning,
so the person typing can check it is not the same worker twice. A worker who left (with
the day) is no longer offered for new delegations; their sign-offs stay in the register.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import apply_edit, check_version
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.providers.register import PHONE

LIMITS = {"given_name": 100, "family_name": 100, "role_title": 100, "phone": 32}
CHANGED_MEANWHILE = ("This care worker was changed meanwhile (on this laptop or by a sync). "
                     "Open them again to see the changes, then make yours.")


@dataclass(frozen=True)
class WorkerInput:
    """What is typed about a care worker (before checking)."""

    given_name: str
    family_name: str
    role_title: str
    phone: str | None = None
    started_on: dt.date | None = None


@dataclass(frozen=True)
class WorkerRow:
    """A care worker as the register and the wizard show them."""

    id: str
    version: int
    provider_id: str
    given_name: str
    family_name: str
    role_title: str
    phone: str | None
    started_on: dt.date | None
    left_on: dt.date | None
    active: bool

    @property
    def name(self) -> str:
        return f"{self.given_name} {self.family_name}"

    @property
    def as_input(self) -> WorkerInput:
        return WorkerInput(self.given_name, self.family_name, self.role_title, self.phone,
                           self.started_on)


@dataclass(frozen=True)
class SavedWorker:
    """The worker as saved, and anything the person typing should check."""

    worker: WorkerRow
    warnings: tuple[str, ...] = ()


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def validate(data: WorkerInput, today: dt.date | None = None) -> dict[str, object]:
    """The worker's column values, or ValidationError naming the first bad field."""
    today = today or dt.date.today()
    values: dict[str, object] = {
        "given_name": _clean(data.given_name), "family_name": _clean(data.family_name),
        "role_title": _clean(data.role_title), "phone": _clean(data.phone),
        "started_on": data.started_on}
    for field, words in (("given_name", "given name"), ("family_name", "family name"),
                         ("role_title", "role (for example Senior care worker)")):
        if not values[field]:
            raise ValidationError(f"Give the care worker's {words}.", field=field)
    for field, limit in LIMITS.items():
        if len(str(values[field] or "")) > limit:
            raise ValidationError(f"That is too long (at most {limit} characters).",
                                  field=field)
    if values["phone"] is not None and not PHONE.match(str(values["phone"])):
        raise ValidationError("That phone number has characters a phone number cannot have.",
                              field="phone")
    if data.started_on is not None and data.started_on > today:
        raise ValidationError("A start date cannot be after today.", field="started_on")
    return values


def _row(worker: CareWorker) -> WorkerRow:
    return WorkerRow(worker.id, worker.version, worker.provider_id, worker.given_name,
                     worker.family_name, worker.role_title, worker.phone, worker.started_on,
                     worker.left_on, worker.active)


def _worker(session: Session, worker_id: str) -> CareWorker:
    worker = session.get(CareWorker, worker_id)
    if worker is None or worker.deleted:
        raise NotFound("That care worker is no longer on this laptop.")
    return worker


def _same_name(session: Session, provider_id: str, values: dict[str, object],
               other_than: str | None) -> tuple[str, ...]:
    query = select(func.count()).select_from(CareWorker).where(
        CareWorker.provider_id == provider_id, ~CareWorker.deleted,
        func.lower(CareWorker.given_name) == str(values["given_name"]).lower(),
        func.lower(CareWorker.family_name) == str(values["family_name"]).lower())
    if other_than is not None:
        query = query.where(CareWorker.id != other_than)
    if session.scalar(query):
        return (f"This provider already has a care worker called {values['given_name']} "
                f"{values['family_name']}. Both are kept: check they are two people.",)
    return ()


def list_workers(uow: UnitOfWork, provider_id: str, *,
                 include_left: bool = True) -> list[WorkerRow]:
    """The provider's workers by family name (those still working there only, for choosing)."""
    query = select(CareWorker).where(CareWorker.provider_id == provider_id, ~CareWorker.deleted)
    if not include_left:
        query = query.where(CareWorker.active)
    with uow.read() as session:
        return [_row(w) for w in session.scalars(
            query.order_by(by_name(CareWorker.family_name), by_name(CareWorker.given_name),
                           CareWorker.id))]


def add_worker(uow: UnitOfWork, provider_id: str, data: WorkerInput,
               today: dt.date | None = None) -> SavedWorker:
    """Add a care worker to the provider."""
    require(uow, Permission.EDIT_PROVIDERS)
    values = validate(data, today)
    with uow.begin() as session:
        provider = session.get(CareProvider, provider_id)
        if provider is None or provider.deleted:
            raise NotFound("That care provider is no longer on this laptop.")
        if not provider.active:
            raise ValidationError(f"{provider.name} is deactivated: make it active again "
                                  "before adding care workers.")
        warnings = _same_name(session, provider_id, values, None)
        worker = CareWorker(provider_id=provider_id, active=True, **values)
        session.add(worker)
        session.flush()
        return SavedWorker(_row(worker), warnings)


def update_worker(uow: UnitOfWork, worker_id: str, data: WorkerInput, version: int,
                  today: dt.date | None = None) -> SavedWorker:
    """Save an edit of the worker opened at ``version``."""
    require(uow, Permission.EDIT_PROVIDERS)
    values = validate(data, today)
    with uow.begin() as session:
        worker = _worker(session, worker_id)
        warnings = _same_name(session, worker.provider_id, values, worker.id)
        apply_edit(worker, version, values, CHANGED_MEANWHILE)
        session.flush()
        return SavedWorker(_row(worker), warnings)


def record_leaving(uow: UnitOfWork, worker_id: str, left_on: dt.date, version: int,
                   today: dt.date | None = None) -> WorkerRow:
    """The worker left the provider on ``left_on``: no longer offered; history kept."""
    require(uow, Permission.EDIT_PROVIDERS)
    today = today or dt.date.today()
    if left_on > today:
        raise ValidationError("Record a leaving date on or after the day itself.",
                              field="left_on")
    with uow.begin() as session:
        worker = _worker(session, worker_id)
        check_version(worker, version, CHANGED_MEANWHILE)
        if worker.started_on is not None and left_on < worker.started_on:
            raise ValidationError("They cannot have left before they started.",
                                  field="left_on")
        worker.left_on, worker.active = left_on, False
        session.flush()
        return _row(worker)
