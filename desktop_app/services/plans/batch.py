"""Choosing support plans for a team lead's batch: "every plan changed this week for a team".

A batch prints each chosen person's plan as it stands, so only the newest live version of
each person's plan is a candidate, and it is chosen when it changed in the range: it took
effect then (``effective_from``) or was recorded then (``created_at``, on this laptop's
calendar). Older versions never appear, even if they too changed in the range. The
filtering is done in SQL; the rows are plain frozen values for the batch screen, which
hands their ``plan_id`` to ``desktop_app.services.pdf.batch``.

Reading the list is not audited as a view of each plan: loading each plan to print it is
(``plan_document.load_plan_document``), and the print or export itself is audited with
``plan_document.record_outputs``.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import Select, and_, func, or_, select

from desktop_app.models.person import Person
from desktop_app.models.plan import SupportPlan, SupportPlanTask
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.vault.task_types import task_name_sql


@dataclass(frozen=True)
class BatchPlanRow:
    """One person's latest plan version, as the batch list shows it."""

    plan_id: str
    person_id: str
    person_name: str
    nhs_number_display: str
    team: str
    version_number: int
    effective_from: dt.date
    task_names: tuple[str, ...]


def _local_day_start(day: dt.date) -> dt.datetime:
    """Midnight at the start of ``day`` on this laptop's clock, as an aware time."""
    return dt.datetime.combine(day, dt.time.min).astimezone()


def _chosen(team: str | None, changed_from: dt.date, changed_to: dt.date) -> Select[str]:
    """Ids of the latest live plan version of each live person that changed in the range."""
    latest = (select(SupportPlan.person_id, func.max(SupportPlan.version_number).label("top"))
              .where(~SupportPlan.deleted).group_by(SupportPlan.person_id).subquery())
    start, end = _local_day_start(changed_from), _local_day_start(changed_to + dt.timedelta(1))
    changed = or_(SupportPlan.effective_from.between(changed_from, changed_to),
                  and_(SupportPlan.created_at >= start, SupportPlan.created_at < end))
    stmt = (select(SupportPlan.id)
            .join(latest, and_(latest.c.person_id == SupportPlan.person_id,
                               latest.c.top == SupportPlan.version_number))
            .join(Person, Person.id == SupportPlan.person_id)
            .where(~SupportPlan.deleted, ~Person.deleted, changed))
    return stmt.where(Person.team == team) if team is not None else stmt


def plans_for_batch(uow: UnitOfWork, team: str | None, changed_from: dt.date,
                    changed_to: dt.date) -> list[BatchPlanRow]:
    """Each person's latest plan version changed between the two days (both included),
    for one team (``None``: every team), ordered by family name, given name, NHS number."""
    require(uow, Permission.PRINT_BATCH)  # a team lead's job (roles.py)
    if changed_from > changed_to:
        raise ValidationError("The first day must not be after the last day.",
                              field="changed_from")
    chosen = _chosen(team, changed_from, changed_to).subquery()
    rows_stmt = (select(SupportPlan.id, Person.id, Person.given_name, Person.family_name,
                        Person.nhs_number, Person.team, SupportPlan.version_number,
                        SupportPlan.effective_from)
                 .join(Person, Person.id == SupportPlan.person_id)
                 .where(SupportPlan.id.in_(select(chosen.c.id)))
                 .order_by(by_name(Person.family_name), by_name(Person.given_name),
                           Person.nhs_number))
    # Task lines in the plan's own order (by task code, as the plan lists them).
    tasks_stmt = (select(SupportPlanTask.plan_id,
                         task_name_sql(SupportPlanTask.task_code,
                                       SupportPlanTask.task_catalogue_version))
                  .where(SupportPlanTask.plan_id.in_(select(chosen.c.id)),
                         ~SupportPlanTask.deleted)
                  .order_by(SupportPlanTask.plan_id, SupportPlanTask.task_code))
    with uow.read() as session:
        names: dict[str, list[str]] = {}
        for plan_id, name in session.execute(tasks_stmt):
            names.setdefault(plan_id, []).append(name)
        return [BatchPlanRow(r[0], r[1], f"{r[2]} {r[3]}", format_nhs_number(r[4]), r[5], r[6],
                             r[7], tuple(names.get(r[0], ())))
                for r in session.execute(rows_stmt)]
