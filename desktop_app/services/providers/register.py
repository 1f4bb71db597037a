"""The provider register: add, edit and deactivate a care provider.

A provider is checked as typed (``validate``): a name, the commissioning council and every
LLR council area it works in, a CQC location ID of the shape ``1-`` and 9 to 11 digits (the
CQC's own), a phone, an optional secure e-mail and contact name, and its insurance: whether
it covers delegated healthcare activities, when that was confirmed and until when. A
deactivated provider keeps its history and is not offered for new delegations
(``offered_providers``); it can be made active again.
"""

from __future__ import annotations

import datetime as dt
import re
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.provider import CareProvider, CareWorker, Council
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import apply_edit, check_version
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.insurance import Cover, cover_on

COUNCIL_NAMES = {
    Council.LEICESTER_CITY.value: "Leicester City Council",
    Council.LEICESTERSHIRE_COUNTY.value: "Leicestershire County Council",
    Council.RUTLAND_COUNTY.value: "Rutland County Council",
}
CQC_LOCATION_ID = re.compile(r"^1-\d{9,11}$")
PHONE = re.compile(r"^\+?[0-9 ()-]{6,24}$")
EMAIL = re.compile(r"^[^@\s]+@[^@\s]+\.[^@\s]+$")
LIMITS = {"name": 200, "contact_name": 200, "email": 254, "phone": 32}
CHANGED_MEANWHILE = ("This provider was changed meanwhile (on this laptop or by a sync). "
                     "Open it again to see the changes, then make yours.")


@dataclass(frozen=True)
class ProviderInput:
    """What is typed about a provider (before checking)."""

    name: str
    council: str
    council_areas: tuple[str, ...]
    phone: str
    cqc_location_id: str | None = None
    contact_name: str | None = None
    email: str | None = None
    address: str | None = None
    insurance_covers_delegated: bool = False
    insurance_confirmed_on: dt.date | None = None
    insurance_until: dt.date | None = None


@dataclass(frozen=True)
class ProviderRow:
    """A provider as the register and the wizard show it."""

    id: str
    version: int
    name: str
    council: str
    council_areas: tuple[str, ...]
    phone: str
    cqc_location_id: str | None
    contact_name: str | None
    email: str | None
    address: str | None
    insurance_covers_delegated: bool
    insurance_confirmed_on: dt.date | None
    insurance_until: dt.date | None
    active: bool
    deactivated_on: dt.date | None
    active_workers: int
    cover: Cover

    @property
    def as_input(self) -> ProviderInput:
        """The row as the form edits it."""
        return ProviderInput(self.name, self.council, self.council_areas, self.phone,
                             self.cqc_location_id, self.contact_name, self.email, self.address,
                             self.insurance_covers_delegated, self.insurance_confirmed_on,
                             self.insurance_until)


def _clean(value: str | None) -> str | None:
    text = " ".join((value or "").split())
    return text or None


def validate(data: ProviderInput, today: dt.date | None = None) -> dict[str, object]:
    """The provider's column values, or ValidationError naming the first bad field."""
    today = today or dt.date.today()
    values: dict[str, object] = {
        "name": _clean(data.name), "council": data.council,
        "council_areas": sorted(set(data.council_areas) | {data.council}),
        "phone": _clean(data.phone), "cqc_location_id": _clean(data.cqc_location_id),
        "contact_name": _clean(data.contact_name), "email": _clean(data.email),
        "address": (data.address or "").strip() or None,
        "insurance_covers_delegated": bool(data.insurance_covers_delegated),
        "insurance_confirmed_on": data.insurance_confirmed_on,
        "insurance_until": data.insurance_until}
    if not values["name"]:
        raise ValidationError("Give the provider's name.", field="name")
    if data.council not in COUNCIL_NAMES:
        raise ValidationError("Choose the council that commissions the provider.",
                              field="council")
    unknown = sorted(set(data.council_areas) - set(COUNCIL_NAMES))
    if unknown:
        raise ValidationError("Council areas are Leicester City, Leicestershire County and "
                              "Rutland County.", field="council_areas")
    for field, limit in LIMITS.items():
        if len(str(values[field] or "")) > limit:
            raise ValidationError(f"That is too long (at most {limit} characters).",
                                  field=field)
    if not values["phone"] or not PHONE.match(str(values["phone"])):
        raise ValidationError("Give a phone number for the provider (digits, spaces, "
                              "brackets, + or -).", field="phone")
    cqc = values["cqc_location_id"]
    if cqc is not None and not CQC_LOCATION_ID.match(str(cqc)):
        raise ValidationError("A CQC location ID is 1- followed by 9 to 11 digits, as on the "
                              "CQC's register (for example 1-123456789).",
                              field="cqc_location_id")
    if values["email"] is not None and not EMAIL.match(str(values["email"])):
        raise ValidationError("That e-mail address is not complete.", field="email")
    _check_insurance(data, today)
    return values


def _check_insurance(data: ProviderInput, today: dt.date) -> None:
    confirmed, until = data.insurance_confirmed_on, data.insurance_until
    if data.insurance_covers_delegated and confirmed is None:
        raise ValidationError("Give the date the provider confirmed its insurance covers "
                              "delegated healthcare tasks.", field="insurance_confirmed_on")
    if confirmed is not None and confirmed > today:
        raise ValidationError("The insurance cannot have been confirmed after today.",
                              field="insurance_confirmed_on")
    if until is not None and confirmed is not None and until < confirmed:
        raise ValidationError("The cover cannot end before it was confirmed.",
                              field="insurance_until")


def _row(session: Session, provider: CareProvider, today: dt.date) -> ProviderRow:
    workers = session.scalar(select(func.count()).select_from(CareWorker).where(
        CareWorker.provider_id == provider.id, ~CareWorker.deleted, CareWorker.active)) or 0
    return ProviderRow(
        provider.id, provider.version, provider.name, provider.council,
        tuple(provider.council_areas or [provider.council]), provider.phone,
        provider.cqc_location_id, provider.contact_name, provider.email, provider.address,
        provider.insurance_covers_delegated, provider.insurance_confirmed_on,
        provider.insurance_until, provider.active, provider.deactivated_on, int(workers),
        cover_on(today, provider.insurance_confirmed_on, provider.insurance_covers_delegated,
                 provider.insurance_until))


def _provider(session: Session, provider_id: str) -> CareProvider:
    provider = session.get(CareProvider, provider_id)
    if provider is None or provider.deleted:
        raise NotFound("That care provider is no longer on this laptop.")
    return provider


def list_providers(uow: UnitOfWork, today: dt.date | None = None, *,
                   include_inactive: bool = True) -> list[ProviderRow]:
    """Every provider by name (the active ones only, for choosing)."""
    today = today or dt.date.today()
    query = select(CareProvider).where(~CareProvider.deleted)
    if not include_inactive:
        query = query.where(CareProvider.active)
    with uow.read() as session:
        return [_row(session, p, today) for p in session.scalars(
            query.order_by(by_name(CareProvider.name), CareProvider.id))]


def get_provider(uow: UnitOfWork, provider_id: str,
                 today: dt.date | None = None) -> ProviderRow:
    """One provider."""
    with uow.read() as session:
        return _row(session, _provider(session, provider_id), today or dt.date.today())


def create_provider(uow: UnitOfWork, data: ProviderInput,
                    today: dt.date | None = None) -> ProviderRow:
    """Add a provider to the register."""
    require(uow, Permission.EDIT_PROVIDERS)
    today = today or dt.date.today()
    values = validate(data, today)
    with uow.begin() as session:
        provider = CareProvider(**values, active=True)
        session.add(provider)
        session.flush()
        return _row(session, provider, today)


def update_provider(uow: UnitOfWork, provider_id: str, data: ProviderInput, version: int,
                    today: dt.date | None = None) -> ProviderRow:
    """Save an edit of the provider opened at ``version``."""
    require(uow, Permission.EDIT_PROVIDERS)
    today = today or dt.date.today()
    values = validate(data, today)
    with uow.begin() as session:
        provider = _provider(session, provider_id)
        apply_edit(provider, version, values, CHANGED_MEANWHILE)
        session.flush()
        return _row(session, provider, today)


def set_active(uow: UnitOfWork, provider_id: str, active: bool, version: int,
               today: dt.date | None = None) -> ProviderRow:
    """Deactivate a provider (kept, with its history, not offered for new delegations) or
    make it active again."""
    require(uow, Permission.EDIT_PROVIDERS)
    today = today or dt.date.today()
    with uow.begin() as session:
        provider = _provider(session, provider_id)
        check_version(provider, version, CHANGED_MEANWHILE)
        if provider.active != active:
            provider.active = active
            provider.deactivated_on = None if active else today
        session.flush()
        return _row(session, provider, today)
