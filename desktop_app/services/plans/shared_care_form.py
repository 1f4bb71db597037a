"""The shared care form, read from the vault as a frozen value for the PDF exporter.

When the MDT cannot agree, a shared care discussion takes the case (framework §1, S10).
The form gives the panel the case (person, task, where the delegation stands), the
question, the options, the funding proposal with the latest plan's figures, who pays
without prejudice and since when, the MDT meeting and any decision, with what matters to
the person (as their record has it now) and the delegation's use of resources and reused
assessments. Reading it is audited
as a view, as for the support plan (``document``), with which it shares its blocks
(``blocks``, read by ``read_blocks``).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, SupportPlan
from desktop_app.services.core.errors import NotFound
from desktop_app.services.core.tracking import record_view
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework import labels
from desktop_app.services.framework.funding import FUNDER_NAMES
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.people.person_centred import what_matters_on_file
from desktop_app.services.plans.blocks import (
    Attendee,
    FundingLine,
    PersonBlock,
    ResourcesBlock,
    WhatMattersBlock,
)
from desktop_app.services.plans.read_blocks import (
    funding_lines,
    latest_mdt,
    live_person,
    mdt_attendees,
    person_block,
    resources_block,
    task_name,
    what_matters_block,
)


@dataclass(frozen=True)
class MdtBlock:
    """The MDT meeting's decision on the case."""

    met_on: dt.date
    consensus: bool
    decision: str
    notes: str | None
    attendees: tuple[Attendee, ...]


@dataclass(frozen=True)
class SharedCareFormDocument:
    """One shared care discussion as a form for the panel: the case, the question, the
    options, the funding proposal, who pays meanwhile, the MDT's view and any decision."""

    discussion_id: str
    person: PersonBlock
    task_code: str
    task_name: str
    case_status: str
    outcome_title: str | None
    flow_version: str
    referred_by: str
    decided_on: dt.date | None
    outcome_reasons: tuple[str, ...]
    opened_on: dt.date
    question: str
    options: str
    funding_proposal: str
    plan_version_number: int | None
    funding: tuple[FundingLine, ...]
    interim_funder_name: str
    interim_from: dt.date | None
    escalated_to_mlcsu: bool
    dispute_reference: str | None
    mdt: MdtBlock | None
    decision: str | None
    closed_on: dt.date | None
    themes: tuple[str, ...]
    printed_at: dt.datetime
    printed_by: str
    catalogue_version: str = ""  # the task catalogue the case was decided under
    what_matters: WhatMattersBlock | None = None  # as the person's record has it now
    resources: ResourcesBlock | None = None  # the case's use of resources, reused assessments

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) under which printing this document is audited."""
        return ("shared_care_discussion", self.discussion_id)


def load_shared_care_form(uow: UnitOfWork, discussion_id: str, printed_by: str,
                          printed_at: dt.datetime) -> SharedCareFormDocument:
    """One shared care discussion as a form for the panel; audited as a view."""
    with uow.begin() as session:
        discussion = session.get(SharedCareDiscussion, discussion_id)
        if discussion is None or discussion.deleted:
            raise NotFound("That shared care discussion is no longer there.")
        case = session.get(DelegationCase, discussion.delegation_case_id)
        if case is None or case.deleted:
            raise NotFound("The delegation behind that discussion is no longer there.")
        person = live_person(session, case.person_id)
        document = _form_document(session, discussion, case, person, printed_by, printed_at)
        record_view(session, "shared_care_discussion", discussion.id)
        return document


def _mdt_block(mdt: MdtDecision | None) -> MdtBlock | None:
    if mdt is None:
        return None
    return MdtBlock(mdt.met_on, mdt.consensus, mdt.decision, mdt.notes, mdt_attendees(mdt))


def funding_in_words(proposal: str) -> str:
    """A recorded funding proposal with each funder named as people say it: the decision
    writes each share as "code: £x a week" ("icb: £55.09 a week; leicester_city: ..."),
    and a panel reads "LLR ICB: £55.09 a week". Anything else is left as written."""
    names = {funder.value: name for funder, name in FUNDER_NAMES.items()}
    parts = []
    for part in proposal.split("; "):
        code, colon, rest = part.partition(": ")
        parts.append(f"{names[code]}: {rest}" if colon and code in names else part)
    return "; ".join(parts)


def _form_document(session: Session, discussion: SharedCareDiscussion, case: DelegationCase,
                   person: Person, printed_by: str,
                   printed_at: dt.datetime) -> SharedCareFormDocument:
    plan = session.scalars(
        select(SupportPlan).where(SupportPlan.delegation_case_id == case.id, ~SupportPlan.deleted)
        .order_by(SupportPlan.version_number.desc())).first()
    interim = Funder(discussion.interim_funder)
    return SharedCareFormDocument(
        discussion_id=discussion.id, person=person_block(person), task_code=case.task_code,
        task_name=task_name(session, case.task_code, case.task_catalogue_version),
        case_status=labels.CASE_STATUSES.get(case.status, case.status),
        outcome_title=describe(case.outcome_code).title if case.outcome_code else None,
        flow_version=case.flow_version, referred_by=case.referred_by,
        decided_on=case.decided_on, outcome_reasons=tuple(case.outcome_reasons or ()),
        opened_on=discussion.opened_on, question=discussion.question,
        options=discussion.options,
        funding_proposal=funding_in_words(discussion.funding_proposal),
        plan_version_number=plan.version_number if plan else None,
        funding=funding_lines(plan.funding_splits) if plan else (),
        interim_funder_name=FUNDER_NAMES[interim], interim_from=discussion.interim_from,
        escalated_to_mlcsu=discussion.escalated_to_mlcsu,
        dispute_reference=discussion.dispute_reference,
        mdt=_mdt_block(latest_mdt(session, case.id)), decision=discussion.decision,
        closed_on=discussion.closed_on, themes=tuple(discussion.themes or ()),
        printed_at=printed_at, printed_by=printed_by,
        catalogue_version=case.task_catalogue_version or "",
        what_matters=_what_matters(session, person.id, plan),
        resources=resources_block(session, case.id))


def _what_matters(session: Session, person_id: str,
                  plan: SupportPlan | None) -> WhatMattersBlock | None:
    """What matters to the person as their record has it now (the panel decides now);
    without a record of it, as the case's latest plan version copied it."""
    on_file = what_matters_on_file(session, person_id)
    if on_file is not None:
        return what_matters_block(on_file.own_words, on_file.strengths, on_file.self_care,
                                  on_file.took_part)
    if plan is None:
        return None
    return what_matters_block(plan.person_words, plan.strengths, plan.self_care,
                              plan.took_part)
