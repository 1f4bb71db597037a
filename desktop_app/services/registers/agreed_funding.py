"""The funding split a shared care discussion agreed, carried into the delegation from a day.

When the partners decide a funding dispute (framework §5, Part A "Escalation"), closing the
discussion may record the split they agreed: each funder's weekly pence, the method, from
which day. While the delegation runs with lines on the person's support plan, a new plan
version carries every running delegation forward unchanged but for this one's funding,
which the agreed lines replace (no longer "without prejudice"), and a ``FUNDING_CHANGED``
event names that version. The interim paid until then is settled separately
(``registers.interim``). The NHS (ICB) share is always free to the person; only one council,
one of the three LLR councils, can share the cost, and never another council than the one
already paying for the delegation (hazard H-011).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEventKind
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.plan import (
    ApportionmentMethod,
    Funder,
    FundingSplit,
    SupportPlan,
    SupportPlanTask,
)
from desktop_app.services.core.audit import actor_name
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.tracking import ACTOR
from desktop_app.services.delegation.checks import uk_day
from desktop_app.services.delegation.history import RUNNING, record_event
from desktop_app.services.delegation.plan import reissue_plan
from desktop_app.services.framework.funding import COUNCILS, FUNDER_NAMES, format_pounds
from desktop_app.services.framework.funding_checks import (
    MAX_WEEKLY_PENCE,
    check_date,
    check_funder,
    check_pence,
)
from desktop_app.services.framework.labels import METHODS
from desktop_app.services.plans.read_blocks import task_name


@dataclass(frozen=True)
class AgreedFunding:
    """The split agreed from ``from_date``: ``shares`` is (funder, pence a week) for the ICB
    and at most one council. ``method`` and ``lead_commissioner`` default to those of the
    delegation's current funding lines."""

    from_date: dt.date
    shares: tuple[tuple[Funder, int], ...]
    method: ApportionmentMethod | None = None
    lead_commissioner: Funder | None = None


def share_field(funder: Funder) -> str:
    """The field a problem with this funder's agreed weekly amount names."""
    return "agreed_icb" if funder is Funder.ICB else "agreed_council"


def checked_shares(shares: Sequence[tuple[object, object]]) -> list[tuple[Funder, int]]:
    """The agreed shares, each funder once, the ICB and at most one council, whole pence
    not negative; ValidationError in plain words otherwise."""
    checked: list[tuple[Funder, int]] = []
    for funder_value, pence in shares:
        funder = check_funder(funder_value, "agreed_council",
                              "Choose Leicester City, Leicestershire County or Rutland County "
                              "Council for the council's share.")
        if any(f is funder for f, _ in checked):
            raise ValidationError("Give each funder's weekly amount once.",
                                  field=share_field(funder))
        checked.append((funder, check_pence(pence, share_field(funder),
                                            f"{FUNDER_NAMES[funder]}'s weekly amount", 0,
                                            MAX_WEEKLY_PENCE)))
    if not checked:
        raise ValidationError("Enter the weekly amount each funder agreed to pay.",
                              field="agreed_icb")
    if sum(1 for f, _ in checked if f in COUNCILS) > 1:
        raise ValidationError("Only one council can share the cost: the council for the "
                              "person's area.", field="agreed_council")
    return sorted(checked, key=lambda share: (share[0] is not Funder.ICB, share[0].value))


def _current_lines(session: Session, case: DelegationCase) -> list[FundingSplit]:
    """The case's funding lines on the newest plan version that has any."""
    newest = session.scalar(
        select(func.max(SupportPlan.version_number))
        .join(FundingSplit, FundingSplit.plan_id == SupportPlan.id)
        .where(SupportPlan.person_id == case.person_id, ~SupportPlan.deleted,
               ~FundingSplit.deleted, FundingSplit.delegation_case_id == case.id))
    if newest is None:
        return []
    return list(session.scalars(
        select(FundingSplit).join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
        .where(SupportPlan.person_id == case.person_id, ~SupportPlan.deleted,
               SupportPlan.version_number == newest, ~FundingSplit.deleted,
               FundingSplit.delegation_case_id == case.id)))


def _on_latest_plan(session: Session, case: DelegationCase) -> bool:
    """True if the person's newest plan version carries the case's task line."""
    latest = session.scalar(select(func.max(SupportPlan.version_number)).where(
        SupportPlan.person_id == case.person_id, ~SupportPlan.deleted))
    return latest is not None and bool(session.scalar(
        select(func.count()).select_from(SupportPlanTask)
        .join(SupportPlan, SupportPlan.id == SupportPlanTask.plan_id)
        .where(SupportPlan.person_id == case.person_id, SupportPlan.version_number == latest,
               ~SupportPlan.deleted, ~SupportPlanTask.deleted,
               SupportPlanTask.delegation_case_id == case.id)))


def agreed_detail(agreed: AgreedFunding, method: ApportionmentMethod, lead: Funder,
                  discussion: SharedCareDiscussion) -> dict[str, Any]:
    """The split in an event's ``detail``."""
    return {"discussion_id": discussion.id, "from": agreed.from_date.isoformat(),
            "method": method.value, "lead_commissioner": lead.value,
            "shares": [{"funder": f.value, "pence_per_week": p} for f, p in agreed.shares]}


def check_agreed(session: Session, agreed: AgreedFunding, case: DelegationCase,
                 discussion: SharedCareDiscussion, today: dt.date
                 ) -> tuple[AgreedFunding, ApportionmentMethod, Funder]:
    """The agreed funding checked against the case: (agreed, method, lead commissioner)."""
    start = check_date(agreed.from_date, "agreed_from", "the day the agreed funding starts")
    if start > today:
        raise ValidationError("The agreed funding cannot start after today: record it once it "
                              "has started.", field="agreed_from")
    if start < discussion.opened_on:
        raise ValidationError("The agreed funding cannot start before the shared care "
                              f"discussion opened ({uk_day(discussion.opened_on)}).",
                              field="agreed_from")
    shares = tuple(checked_shares(agreed.shares))
    current = _current_lines(session, case)
    paying = {Funder(line.funder) for line in current if line.funder in COUNCILS}
    for funder, _pence in shares:
        if funder in COUNCILS and paying and funder not in paying:
            named = " or ".join(sorted(FUNDER_NAMES[f] for f in paying))
            raise ValidationError(f"This delegation's council is {named}: the agreed split "
                                  "must name the same council.", field="agreed_council")
    method_value = agreed.method or next((line.method for line in current),
                                         ApportionmentMethod.FIXED_PERCENTAGE.value)
    if method_value not in ApportionmentMethod.__members__.values():
        raise ValidationError("Choose how the cost is shared.", field="agreed_method")
    funders = [f for f, _ in shares]
    lead = agreed.lead_commissioner or next(
        (Funder(line.funder) for line in current
         if line.lead_commissioner and Funder(line.funder) in funders),
        next((f for f in funders if f in COUNCILS), funders[0]))
    if lead not in funders:
        raise ValidationError("The lead commissioner must be one of the funders sharing the "
                              "cost.", field="agreed_lead")
    return (AgreedFunding(start, shares, ApportionmentMethod(method_value), lead),
            ApportionmentMethod(method_value), lead)


def carry_agreed(session: Session, case: DelegationCase, discussion: SharedCareDiscussion,
                 agreed: AgreedFunding, method: ApportionmentMethod, lead: Funder,
                 decided_on: dt.date) -> int | None:
    """A new plan version with the agreed lines for ``case`` and its ``FUNDING_CHANGED``
    event; None (nothing written) if the delegation no longer runs on the plan."""
    if case.status not in RUNNING or not _on_latest_plan(session, case):
        return None
    inputs = {"agreed_at_discussion": discussion.id, "agreed_on": decided_on.isoformat(),
              "dispute_reference": discussion.dispute_reference}
    lines = [FundingSplit(funder=funder.value, method=method.value, inputs=dict(inputs),
                          pence_per_week=pence, free_to_person=funder is Funder.ICB,
                          lead_commissioner=funder is lead, start_date=agreed.from_date,
                          interim_without_prejudice=False, dispute_reference=None)
             for funder, pence in agreed.shares]
    words = "; ".join(f"{FUNDER_NAMES[f]} {format_pounds(p)} a week" for f, p in agreed.shares)
    task = task_name(session, case.task_code, case.task_catalogue_version)
    summary = (f"{task}: funding agreed at the shared care discussion from "
               f"{uk_day(agreed.from_date)} ({METHODS.get(method.value, method.value)}): "
               f"{words}.")
    version = reissue_plan(session, case.person_id, agreed.from_date,
                           actor_name(session, session.info[ACTOR]), summary,
                           funding={case.id: lines})
    if version is not None:
        record_event(session, case, CaseEventKind.FUNDING_CHANGED, decided_on,
                     reasons=[summary], detail=agreed_detail(agreed, method, lead, discussion),
                     plan_version=version)
    return version
