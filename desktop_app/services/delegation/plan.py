"""The person's support plan as delegations start and end: each a new plan version.

Plan versions are immutable: every change is a new version that copies what stays. When a
task is delegated, ``record_plan`` writes the version with its task line (the nurse's S4
answers, with safe defaults for what to do when something goes wrong) and its funding; the
person's other running delegations are carried forward onto it. When a delegation ends,
``plan_without`` writes the version that leaves its task and funding out.

Every version carries a copy of what matters to the person (their own words, strengths,
what they do for themselves, who took part) as it stood when it was issued: from the
decision's S6 answers for ``record_plan``, from the person's record as it is now for any
other version (``what_matters_now``). ``issue_plan_with_what_matters`` issues a version for
that alone, when the person record's what matters changed.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.delegation import CaseStatus, DelegationCase, OutcomeCode
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan, SupportPlanTask
from desktop_app.models.provider import CareProvider
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.answers import Answers, funding_result
from desktop_app.services.delegation.checks import uk_day
from desktop_app.services.people.person_centred import what_matters_on_file
from desktop_app.services.plans.read_blocks import task_name

# What the task line says when the nurse left a "what if" answer empty on S4.
DEFAULT_TEXT = {
    "if_refused": "Respect the refusal, record it and tell the community nursing team today.",
    "if_missed": "Do not double up. Call the community nursing team for advice.",
    "if_equipment_fails": "Do not improvise. Call the community nursing team.",
    "if_out_of_range": "Follow the 'call the nurse' thresholds above.",
    "in_emergency": "Call 999.",
}


def record_plan(session: Session, case: DelegationCase, answers: Answers, recorded_by: str,
                today: dt.date, *, what_matters: dict[str, Any] | None = None) -> int:
    """A new plan version for the delegated ``case``: its task line and funding, with the
    person's other running delegations carried forward, and what matters as the decision
    kept it from S6 (``what_matters``: checked values; None: as the record has it now);
    returns the version number."""
    latest = session.scalar(select(func.max(SupportPlan.version_number))
                            .where(SupportPlan.person_id == case.person_id))
    plan = SupportPlan(person_id=case.person_id, delegation_case_id=case.id,
                       version_number=(latest or 0) + 1, effective_from=today,
                       created_by_name=recorded_by,
                       **(what_matters_now(session, case.person_id)
                          if what_matters is None else _copy_of(what_matters)))
    carried_tasks, carried_funding = _carried_forward(session, case)
    plan.tasks = [*carried_tasks, _task_line(case, answers)]
    plan.funding_splits = [*carried_funding, *_funding_rows(session, case, answers, today)]
    session.add(plan)
    session.flush()
    return plan.version_number


def plan_without(session: Session, case: DelegationCase, effective_from: dt.date,
                 created_by: str) -> int | None:
    """End ``case``'s part of the person's support plan: a new plan version that carries
    the person's other running delegations and leaves this task and its funding lines out
    (its funding ends on ``effective_from``, when the new version takes effect). None if
    the person's latest plan does not carry the case (nothing to end).

    The case must already have left the running statuses, so it is not carried forward.
    """
    latest = _latest_plan(session, case.person_id)
    if latest is None or not any(line.delegation_case_id == case.id for line in latest.tasks):
        return None
    carried_tasks, carried_funding = _carried_forward(session, case, same_task=True)
    # Versions take effect in order: a withdrawal recorded late never predates the newest.
    effective_from = max(effective_from, latest.effective_from)
    # The version belongs to a delegation still on it (its consent, oversight and reviews
    # are what the printed plan shows), never to the one that ended.
    owner_id = _newest_case(session, [t.delegation_case_id for t in carried_tasks])
    ended = task_name(session, case.task_code, case.task_catalogue_version)
    plan = SupportPlan(person_id=case.person_id, delegation_case_id=owner_id,
                       version_number=latest.version_number + 1, effective_from=effective_from,
                       created_by_name=created_by, **what_matters_now(session, case.person_id),
                       summary=f"{ended}: the delegation ended on {uk_day(effective_from)}; "
                               "the task is back with the nursing team.")
    plan.tasks, plan.funding_splits = carried_tasks, carried_funding
    session.add(plan)
    session.flush()
    return plan.version_number


# What matters as a plan version copies it: the version's column for each WhatMatters one.
_WHAT_MATTERS_COLUMNS = (("own_words", "person_words"), ("strengths", "strengths"),
                         ("self_care", "self_care"), ("took_part", "took_part"))


def _copy_of(values: dict[str, Any]) -> dict[str, Any]:
    """``WhatMatters`` values as a plan version's columns (who took part: a new list)."""
    copy = {column: values.get(name) or None for name, column in _WHAT_MATTERS_COLUMNS}
    copy["took_part"] = [dict(p) for p in values.get("took_part") or ()]
    return copy


def what_matters_now(session: Session, person_id: str) -> dict[str, Any]:
    """What matters to the person as a new plan version copies it: their record's as it is
    now; without one, the latest version's own copy (a plan from before it was asked
    carries its own words on); nothing for a person who has neither."""
    on_file = what_matters_on_file(session, person_id)
    if on_file is not None:
        return _copy_of({"own_words": on_file.own_words, "strengths": on_file.strengths,
                         "self_care": on_file.self_care, "took_part": on_file.took_part})
    latest = _latest_plan(session, person_id)
    if latest is None:
        return _copy_of({})
    return _copy_of({"own_words": latest.person_words, "strengths": latest.strengths,
                     "self_care": latest.self_care, "took_part": latest.took_part})


def _latest_plan(session: Session, person_id: str) -> SupportPlan | None:
    return session.scalar(select(SupportPlan).where(
        SupportPlan.person_id == person_id, ~SupportPlan.deleted)
        .order_by(SupportPlan.version_number.desc()).limit(1))


def issue_plan_with_what_matters(uow: UnitOfWork, person_id: str, recorded_by: str,
                                 today: dt.date | None = None) -> int | None:
    """A new version of the person's support plan carrying every running delegation
    unchanged, with what matters to them as their record has it now (after an edit on the
    person record); returns its number. None when no plan of theirs has a running
    delegation (there is nothing to reissue). Refused when the latest version already
    carries what matters as it is now.

    Issuing a plan version is a delegation's action (as for every other version: the
    decision, an ending, an oversight transfer), so it needs ``DELEGATE``, not only the
    ``EDIT_PEOPLE`` the edit of what matters needed."""
    require(uow, Permission.DELEGATE)
    today = today or dt.date.today()
    with uow.begin() as session:
        person = session.get(Person, person_id)
        if person is None or person.deleted:
            raise NotFound("That person is not on the caseload.")
        latest = _latest_plan(session, person_id)
        if latest is None or not _running_lines(session, person_id)[0]:
            return None
        now = what_matters_now(session, person_id)
        if all(getattr(latest, column) == now[column] or (
                not getattr(latest, column) and not now[column])
               for _name, column in _WHAT_MATTERS_COLUMNS):
            raise ValidationError(f"Version {latest.version_number} of the support plan "
                                  "already shows what matters as the record has it now.")
        return reissue_plan(session, person_id, today, recorded_by,
                            f"What matters to {person.given_name} was updated on "
                            f"{uk_day(today)}: the rest of the plan is unchanged.")


def _newest_case(session: Session, case_ids: list[str | None]) -> str | None:
    """Of these delegations, the one decided last (the owner of a carried-forward plan)."""
    ids = [i for i in case_ids if i]
    if not ids:
        return None
    return session.scalar(select(DelegationCase.id).where(DelegationCase.id.in_(ids))
                          .order_by(DelegationCase.decided_on.desc(),
                                    DelegationCase.created_at.desc()).limit(1))


# Not copied: a row's identity and bookkeeping, and the day an interim line was reconciled
# (a carried line is a new line: only the lines reconciled were).
_BOOKKEEPING = frozenset({"id", "plan_id", "version", "server_version", "created_at",
                          "updated_at", "updated_by", "device_id", "deleted",
                          "reconciled_on"})


def _copy(row: Any) -> Any:
    """A new row with the same content (plan lines are immutable: a new version copies)."""
    columns = type(row).__table__.columns.keys()
    return type(row)(**{name: getattr(row, name) for name in columns
                        if name not in _BOOKKEEPING})


def _carried_forward(session: Session, case: DelegationCase, same_task: bool = False
                     ) -> tuple[list[SupportPlanTask], list[FundingSplit]]:
    """The person's other running delegations stay on the new plan version: each one's task
    line and funding from the latest plan that case made. (A person can have eye drops and
    insulin delegated at once; a new version must not drop the first.) A new delegation
    replaces a running one of the same task unless ``same_task``."""
    return _running_lines(session, case.person_id, but=case.id,
                          but_task=None if same_task else case.task_code)


def _running_lines(session: Session, person_id: str, *, but: str | None = None,
                   but_task: str | None = None
                   ) -> tuple[list[SupportPlanTask], list[FundingSplit]]:
    """Copies of the task lines and funding lines of the person's running delegations (but
    the case ``but`` and any of task ``but_task``), each from the latest plan it is on."""
    others = session.scalars(select(DelegationCase).where(
        DelegationCase.person_id == person_id,
        *(() if but is None else (DelegationCase.id != but,)),
        *(() if but_task is None else (DelegationCase.task_code != but_task,)),
        ~DelegationCase.deleted,
        DelegationCase.status.in_((CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value)))
        .order_by(DelegationCase.decided_on, DelegationCase.created_at))
    tasks: list[SupportPlanTask] = []
    splits: list[FundingSplit] = []
    for other in others:
        plan = _latest_carrying(session, other.id)
        if plan is None:
            continue
        tasks += [_copy(line) for line in plan.tasks if line.delegation_case_id == other.id]
        splits += [_copy(split) for split in plan.funding_splits
                   if split.delegation_case_id == other.id]
    return tasks, splits


def _latest_carrying(session: Session, case_id: str) -> SupportPlan | None:
    """The newest plan version with a task line of ``case_id`` (carried or its own)."""
    return session.scalar(
        select(SupportPlan).join(SupportPlanTask, SupportPlanTask.plan_id == SupportPlan.id)
        .where(SupportPlanTask.delegation_case_id == case_id, ~SupportPlan.deleted)
        .order_by(SupportPlan.version_number.desc()).limit(1))


def reissue_plan(session: Session, person_id: str, effective_from: dt.date, created_by: str,
                 summary: str, *, funding: dict[str, list[FundingSplit]] | None = None
                 ) -> int | None:
    """A new version of the person's support plan with every running delegation carried
    forward unchanged, but for the funding lines of the cases in ``funding`` (new lines,
    not yet added to a session), and ``summary`` saying what changed: for a change that is
    not a new delegation or an ending (oversight moved, funding agreed). None if the person
    has no plan. Versions take effect in order: never before the newest."""
    latest = _latest_plan(session, person_id)
    if latest is None:
        return None
    tasks, splits = _running_lines(session, person_id)
    for case_id, lines in (funding or {}).items():
        splits = [s for s in splits if s.delegation_case_id != case_id]
        splits += [_copy(line) if line.plan_id else line for line in lines]
        for line in lines:
            line.delegation_case_id = case_id
    owner_id = _newest_case(session, [t.delegation_case_id for t in tasks])
    plan = SupportPlan(person_id=person_id, delegation_case_id=owner_id or
                       latest.delegation_case_id,
                       version_number=latest.version_number + 1,
                       effective_from=max(effective_from, latest.effective_from),
                       created_by_name=created_by, **what_matters_now(session, person_id),
                       summary=summary)
    plan.tasks, plan.funding_splits = tasks, splits
    session.add(plan)
    session.flush()
    return plan.version_number


def _task_line(case: DelegationCase, answers: Answers) -> SupportPlanTask:
    s4 = answers.get("S4", {})
    return SupportPlanTask(
        delegation_case_id=case.id, task_code=case.task_code,
        task_catalogue_version=case.task_catalogue_version,
        what_is_delegated=s4.get("what_is_delegated", ""),
        what_is_not_delegated=s4.get("what_is_not_delegated", ""),
        frequency=s4.get("frequency", ""), equipment=s4.get("equipment"),
        do_thresholds=s4.get("do_thresholds", ""),
        call_nurse_thresholds=s4.get("call_nurse_thresholds", ""),
        worker_ids=list(answers.get("S7", {}).get("worker_ids", [])),
        **{k: s4.get(k) or text for k, text in DEFAULT_TEXT.items()})


def _funding_rows(session: Session, case: DelegationCase, answers: Answers,
                  today: dt.date) -> list[FundingSplit]:
    result = funding_result(answers.get("S9F", {})) if answers.get("S9F") else None
    interim = case.outcome_code == OutcomeCode.INTERIM_WITHOUT_PREJUDICE.value
    s10 = answers.get("S10", {})
    if result is None:
        council = _council_of(session, answers)
        return [FundingSplit(delegation_case_id=case.id, funder=f.value,
                             method="existing_package", inputs={},
                             pence_per_week=0, free_to_person=f is Funder.ICB,
                             lead_commissioner=f is not Funder.ICB,
                             start_date=case.started_on or today)
                for f in (Funder.ICB, council)]
    return [FundingSplit(
        delegation_case_id=case.id, funder=share.funder.value, method=result.method.value,
        inputs=result.json_inputs(),
        pence_per_week=share.pence_per_week, free_to_person=share.free_to_person,
        lead_commissioner=share.funder == result.lead_commissioner,
        start_date=result.start_date, interim_without_prejudice=interim,
        dispute_reference=s10.get("dispute_reference") if interim else None)
        for share in result.shares]


def _council_of(session: Session, answers: Answers) -> Funder:
    """The council of the provider that accepted: never a guess (hazard H-011)."""
    provider = session.get(CareProvider, answers.get("S7", {}).get("provider_id") or "")
    if provider is None or provider.deleted or not provider.council:
        raise ValidationError("The care provider that accepted the task is not on this laptop "
                              "or names no council; go back to step S7.",
                              field="S7.provider_id")
    return Funder(provider.council)
