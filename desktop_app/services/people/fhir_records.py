"""One person's rows as the FHIR export reads them, gathered from this laptop's vault.

The mapping (``scp_common.fhir``) is the same on the laptop and on the store, and reads
rows as they travel on the wire, so this hands it exactly that: each live (not tombstoned)
row of the person's synced entities as ``tracking.row_payload`` makes it, task and funding
lines through the person's plans; the providers and care workers those lines name; and what
only this laptop knows to name things by (the task catalogue, its users' names, the name
it was enrolled under). A row from another device keeps that device's id: its name is not
known here, and the export then says only the id.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session, lazyload

from desktop_app.models.base import SyncedMixin
from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.meta import LocalMeta
from desktop_app.models.oversight import ClinicalOversight
from desktop_app.models.person import Contact, Person
from desktop_app.models.plan import FundingSplit, SupportPlan, SupportPlanTask
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review
from desktop_app.models.sync import SYNC_STATE_ID, SyncState
from desktop_app.models.task_type import TaskType
from desktop_app.models.user import AppUser
from desktop_app.services.core.errors import NotFound
from desktop_app.services.core.tracking import row_payload
from desktop_app.services.vault.vault import DEVICE_ID_KEY
from scp_common.fhir.records import Directory, PersonRecords, Row

# The person's own rows, by entity: (model, column naming the person).
_BY_PERSON: dict[str, type[SyncedMixin]] = {
    "contacts": Contact, "cases": DelegationCase, "consents": ConsentRecord,
    "oversights": ClinicalOversight, "reviews": Review}


def caseload_ids(session: Session) -> list[str]:
    """The ids of the people on this laptop (not removed), by NHS number."""
    return list(session.scalars(select(Person.id).where(~Person.deleted)
                                .order_by(Person.nhs_number)))


def person_records(session: Session, person_id: str) -> tuple[PersonRecords, Directory]:
    """The person's live rows and the directory to name what they point to.

    NotFound if the person is not on this laptop (or was removed)."""
    person = session.scalar(select(Person).where(Person.id == person_id)
                            .options(lazyload("*")))
    if person is None or person.deleted:
        raise NotFound("That person is no longer on this laptop.")
    own = {field: _rows(session, model, model.person_id == person_id)  # type: ignore[attr-defined]
           for field, model in _BY_PERSON.items()}
    plans = _rows(session, SupportPlan, SupportPlan.person_id == person_id)
    plan_ids = [str(p["id"]) for p in plans]
    tasks = _rows(session, SupportPlanTask, SupportPlanTask.plan_id.in_(plan_ids))
    splits = _rows(session, FundingSplit, FundingSplit.plan_id.in_(plan_ids))
    records = PersonRecords(person=row_payload(person), plans=plans, tasks=tasks,
                            funding_splits=splits, **own)
    return records, _directory(session, tasks)


def _rows(session: Session, model: type[SyncedMixin], where: Any) -> list[Row]:
    # The rows alone: their relationships (a plan's lines, a person's contacts) are read
    # as rows of their own.
    query = select(model).where(where, ~model.deleted).order_by(model.id).options(lazyload("*"))
    return [row_payload(obj) for obj in session.scalars(query)]


def _directory(session: Session, tasks: Sequence[Row]) -> Directory:
    """The workers the task lines name, their providers, and the names this laptop knows."""
    worker_ids = sorted({str(w) for t in tasks for w in t.get("worker_ids") or []})
    workers = {str(r["id"]): r for r in _rows(session, CareWorker,
                                              CareWorker.id.in_(worker_ids))}
    provider_ids = sorted({str(w["provider_id"]) for w in workers.values()})
    providers = {str(r["id"]): r for r in _rows(session, CareProvider,
                                                CareProvider.id.in_(provider_ids))}
    names = {(code, version): name for code, version, name in session.execute(
        select(TaskType.code, TaskType.catalogue_version, TaskType.name))}

    def task_name(code: str, version: str) -> str:
        """The task's name in its own catalogue version, else in any version, else the code
        (as the printed plan names it)."""
        found = names.get((code, version))
        if found is None:
            found = next((n for (c, v), n in sorted(names.items(), reverse=True) if c == code),
                         code)
        return found

    users = {str(user_id): str(name) for user_id, name in session.execute(
        select(AppUser.id, AppUser.display_name))}
    return Directory(providers=providers, workers=workers, task_name=task_name,
                     user_names=users, device_names=_device_names(session),
                     exported_from="laptop")


def _device_names(session: Session) -> dict[str, str]:
    """This laptop's device id (the one its rows carry) with the name it was enrolled under
    at the store, if it is enrolled; an unenrolled laptop has no name to give."""
    device = session.get(LocalMeta, DEVICE_ID_KEY)
    state = session.get(SyncState, SYNC_STATE_ID)
    if device is None or state is None or not state.device_name:
        return {}
    return {device.value: state.device_name}
