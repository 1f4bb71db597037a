"""The printable support plan, read from the vault as one frozen value.

The PDF exporters (``desktop_app.services.pdf``) take these objects, never widgets or ORM
rows (conventions, "Exporters take data"). One call reads one plan version in one unit of
work and audits it as a view: there is no separate "view" permission (services/roles.py:
everyone signed in may read; every read is audited). ``record_output`` audits the print or
export itself once it has happened. The document is made of the blocks in ``blocks``, read
by ``read_blocks`` (shared with the shared care form) and ``delegation_parts``.

Everything that helps a reader act safely is worked out before rendering, not in the
renderer: whether a newer plan version exists, and whether each named care worker's
sign-off is current on the day of printing (an out-of-date competency shown as valid is a
hazard, framework §8). Dates stay dates and money stays whole pence; the renderer formats
them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Iterable
from dataclasses import dataclass
from typing import Literal, Protocol

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.audit import AuditAction
from desktop_app.models.delegation import DelegationCase, OutcomeCode
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, SupportPlan
from desktop_app.services.core.audit import append_events
from desktop_app.services.core.errors import NotFound
from desktop_app.services.core.tracking import ACTOR, record_view
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.plans.blocks import (
    Attendee,
    ConsentBlock,
    DelegationPart,
    FundingLine,
    OversightBlock,
    PersonBlock,
    ReviewLine,
    TaskBlock,
    WhatMattersBlock,
)
from desktop_app.services.plans.delegation_parts import delegation_part, delegation_parts
from desktop_app.services.plans.read_blocks import (
    funding_lines,
    latest_mdt,
    live_person,
    mdt_attendees,
    person_block,
    printed_day,
    task_block,
    what_matters_block,
)


@dataclass(frozen=True)
class PlanDocument:
    """Everything one printed support plan version shows, with when and by whom it was printed.

    ``latest_version_number`` is the person's newest plan version at printing: when it is
    above ``version_number`` the printout says this version is superseded.
    """

    plan_id: str
    version_number: int
    latest_version_number: int
    effective_from: dt.date
    created_by_name: str
    outcome_title: str | None
    flow_version: str | None
    mdt_met_on: dt.date | None
    summary: str | None
    person_words: str | None
    person: PersonBlock
    tasks: tuple[TaskBlock, ...]
    consent: ConsentBlock | None
    oversight: OversightBlock | None
    funding: tuple[FundingLine, ...]
    reviews: tuple[ReviewLine, ...]
    printed_at: dt.datetime
    printed_by: str
    # Every delegation whose task is on this version, in task order; ``consent``,
    # ``oversight`` and ``reviews`` above are the version's own delegation's.
    parts: tuple[DelegationPart, ...] = ()
    # The version's own delegation's MDT meeting: whether it agreed (None: no meeting
    # recorded) and who was there.
    mdt_agreed: bool | None = None
    mdt_attendees: tuple[Attendee, ...] = ()
    # What matters to the person as this version copied it (``person_words`` above is
    # its first part); None when the version carries none.
    what_matters: WhatMattersBlock | None = None

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) under which printing this document is audited."""
        return ("support_plan", self.plan_id)

    @property
    def superseded(self) -> bool:
        """True when a newer version of this person's plan existed at printing."""
        return self.latest_version_number > self.version_number

    @property
    def total_pence_per_week(self) -> int:
        """The whole package per week, all funders."""
        return sum(line.pence_per_week for line in self.funding)

    @property
    def next_review_due(self) -> dt.date | None:
        """The earliest review not yet done."""
        due = [r.due_on for r in self.reviews if r.done_on is None]
        return min(due) if due else None

    @property
    def review_overdue(self) -> bool:
        """True when the next review was due before the day of printing."""
        due = self.next_review_due
        return due is not None and due < printed_day(self.printed_at)

    @property
    def flow_versions(self) -> tuple[str, ...]:
        """The delegation flow version(s) the delegations on this version were decided
        under, each once (one, unless a carried-forward task was decided under an older
        flow)."""
        versions = {part.flow_version for part in self.parts if part.flow_version}
        if self.flow_version:
            versions.add(self.flow_version)
        return tuple(sorted(versions))

    @property
    def catalogue_versions(self) -> tuple[str, ...]:
        """The task catalogue version(s) the tasks on this version are named from."""
        return tuple(sorted({task.catalogue_version for task in self.tasks
                             if task.catalogue_version}))


# ---------------------------------------------------------------- the support plan


def load_plan_document(uow: UnitOfWork, plan_id: str, printed_by: str,
                       printed_at: dt.datetime) -> PlanDocument:
    """One support plan version, ready to print; audited as a view of the plan.

    NotFound if the plan or its person was removed. Read in a writing unit of work only
    because the audit row must be kept; nothing else is changed.
    """
    with uow.begin() as session:
        plan = session.get(SupportPlan, plan_id)
        if plan is None or plan.deleted:
            raise NotFound("That support plan is no longer there.")
        person = live_person(session, plan.person_id)
        document = _plan_document(session, plan, person, printed_by, printed_at)
        record_view(session, "support_plan", plan.id)
        return document


def _plan_document(session: Session, plan: SupportPlan, person: Person, printed_by: str,
                   printed_at: dt.datetime) -> PlanDocument:
    case = session.get(DelegationCase, plan.delegation_case_id or "")
    case_id = case.id if case else None
    latest = session.scalar(select(func.max(SupportPlan.version_number)).where(
        SupportPlan.person_id == plan.person_id, ~SupportPlan.deleted))
    mdt = latest_mdt(session, case_id)
    on = printed_day(printed_at)
    parts = delegation_parts(session, plan, person.id)
    own = next((part for part in parts if part.case_id == (case_id or "")), None) \
        or delegation_part(session, person.id, case_id)
    return PlanDocument(
        plan_id=plan.id, version_number=plan.version_number,
        latest_version_number=max(latest or 0, plan.version_number),
        effective_from=plan.effective_from, created_by_name=plan.created_by_name,
        outcome_title=_outcome_title(case, plan), flow_version=case.flow_version if case else None,
        mdt_met_on=mdt.met_on if mdt else None,
        mdt_agreed=mdt.consensus if mdt else None, mdt_attendees=mdt_attendees(mdt),
        summary=plan.summary,
        person_words=plan.person_words, person=person_block(person),
        tasks=tuple(task_block(session, t, person.id, on)
                    for t in plan.tasks if not t.deleted),
        consent=own.consent, oversight=own.oversight, reviews=own.reviews,
        funding=funding_lines(plan.funding_splits),
        printed_at=printed_at, printed_by=printed_by, parts=parts,
        what_matters=what_matters_block(plan.person_words, plan.strengths, plan.self_care,
                                        plan.took_part))


def _outcome_title(case: DelegationCase | None, plan: SupportPlan) -> str | None:
    """The decision in words; care that went ahead without prejudice whose funding the
    shared care discussion has since agreed (this version's lines for it are no longer
    interim) reads as the funding agreed, not as still disputed."""
    if case is None or not case.outcome_code:
        return None
    own = [f for f in plan.funding_splits if f.delegation_case_id == case.id and not f.deleted]
    if (case.outcome_code != OutcomeCode.INTERIM_WITHOUT_PREJUDICE.value or not own
            or any(f.interim_without_prejudice for f in own)):
        return describe(case.outcome_code).title
    joint = any(f.funder != Funder.ICB.value and f.pence_per_week > 0 for f in own)
    agreed = OutcomeCode.DELEGATED_JOINT_FUNDED if joint else OutcomeCode.DELEGATED_HEALTH_FUNDED
    return f"{describe(agreed).title}: funding agreed after the shared care discussion"


# ---------------------------------------------------------------- auditing the output


class Printable(Protocol):
    """A document whose printing or export is audited against one record."""

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) of the record the document shows."""
        ...


def record_output(uow: UnitOfWork, document: Printable,
                  how: Literal["print", "export"]) -> None:
    """Audit that a document was sent to a printer or exported to a file the person chose."""
    action = AuditAction.PRINT if how == "print" else AuditAction.EXPORT
    entity_type, entity_id = document.audit_entity
    with uow.begin() as session:
        append_events(session.connection(), session.info[ACTOR],
                      [(entity_type, entity_id, action.value)])


def record_outputs(uow: UnitOfWork, documents: Iterable[Printable],
                   how: Literal["print", "export"]) -> None:
    """Audit a batch sent to a printer or exported: one event per document, one transaction.

    Call it on the database thread once the batch has really been printed or written.
    """
    action = AuditAction.PRINT if how == "print" else AuditAction.EXPORT
    items = [(*document.audit_entity, action.value) for document in documents]
    with uow.begin() as session:
        append_events(session.connection(), session.info[ACTOR], items)
