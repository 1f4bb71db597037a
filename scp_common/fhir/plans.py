"""The support plan and who carries it out: a CarePlan per plan version, and the person's
CareTeam (docs/fhir.md, "What was delegated").

A delegated task's activity says where its delegation is now, on every version that
carries it (hazard H-047): "stopped" once it was withdrawn (the case withdrawn, its outcome
WITHDRAWN, or its latest consent withdrawn), "on-hold" while suspended, "completed" once
closed, "not-started" until care starts, and "in-progress" only while it runs. A version
that a later one replaced is "revoked" (its authority ended before its tasks were done:
they carry on under the next version), never "completed" (which would say the care was
fully given).
"""

from __future__ import annotations

from collections.abc import Mapping, Sequence
from typing import Any

from scp_common.fhir import systems as s
from scp_common.fhir.consents import DECIDER_WORDS, latest_consent
from scp_common.fhir.context import (
    RUNNING,
    Draft,
    Key,
    Resource,
    by_id,
    concept,
    day,
    instant,
    iso_day,
    ref,
    text,
)
from scp_common.fhir.people import (
    council,
    current_oversight,
    icb,
    nurse_team,
    oversight,
    worker_reference,
    worker_role,
)
from scp_common.fhir.records import Row

REVIEW_WORDS = {"three_month": "3-month review", "annual": "Annual review",
                "change_of_need": "Change-of-need review"}
REVIEW_OUTCOME_WORDS = {"continue": "continue", "change_of_need": "change of need",
                        "withdraw": "withdrawn: task back to Health"}
_STATUS = {"active": "in-progress", "suspended": "on-hold", "withdrawn": "stopped",
           "closed": "completed", "draft": "not-started", "in_progress": "not-started",
           "decided": "cancelled"}
_REASONS = {"on-hold": "Delegation suspended",
            "completed": "Delegation closed: a later delegation of the task replaced it",
            "cancelled": "Decided without delegating the task",
            "unknown": "The delegation this task belongs to is not in the record"}


def case_identifier(case_id: str) -> dict[str, Any]:
    """The extension naming the delegation a task, review or consent belongs to."""
    return {"url": s.EXT_DELEGATION_CASE,
            "valueIdentifier": {"system": s.DELEGATION_CASE, "value": case_id}}


def task_status(draft: Draft, case: Row | None) -> tuple[str, str | None]:
    """The activity status of a task of ``case`` now, and why when it is not running."""
    if case is None:
        return "unknown", _REASONS["unknown"]
    consent = latest_consent(draft.records.consents, str(case["id"]))
    if consent is not None and consent.get("status") == "withdrawn":
        who = text(consent.get("given_by_name")) or "the person"
        kind = DECIDER_WORDS.get(str(consent.get("given_by_kind")), "")
        return "stopped", (f"Consent withdrawn on {iso_day(consent.get('recorded_on'))} by "
                           f"{who} ({kind})")
    if case.get("status") == "withdrawn" or case.get("outcome_code") == "WITHDRAWN":
        return "stopped", "Delegation withdrawn: the task returned to the nurse"
    status = _STATUS.get(str(case.get("status")), "unknown")
    if status == "in-progress":
        starts = day(case.get("started_on"))
        if starts is not None and starts > draft.as_of:
            return "not-started", f"Care starts on {starts.isoformat()}"
        return status, None
    return status, _REASONS.get(status)


def plan_status(activity_statuses: Sequence[str], newest: bool) -> str:
    """A version's CarePlan status from its tasks' statuses (see the module docstring)."""
    if not newest:
        return "revoked"
    if any(st in ("in-progress", "not-started") for st in activity_statuses):
        return "active"
    if any(st == "on-hold" for st in activity_statuses):
        return "on-hold"
    return "revoked" if "stopped" in activity_statuses else "completed"


def care_plans(draft: Draft, team: Key) -> None:
    """A CarePlan per support plan version, oldest first."""
    versions = sorted(draft.records.plans, key=lambda p: int(p.get("version_number") or 0))
    cases = by_id(draft.records.cases)
    carrier = _review_carriers(draft, versions)
    for index, plan in enumerate(versions):
        following = versions[index + 1] if index + 1 < len(versions) else None
        _care_plan(draft, plan, versions[index - 1] if index else None, following, cases,
                   carrier, team)


def _review_carriers(draft: Draft, versions: Sequence[Row]) -> dict[str, str]:
    """Delegation id → the newest version with its task: where its reviews are listed."""
    carrier: dict[str, str] = {}
    for plan in versions:
        for line in draft.records.tasks:
            if line.get("plan_id") == plan["id"] and line.get("delegation_case_id"):
                carrier[str(line["delegation_case_id"])] = str(plan["id"])
    return carrier


def _care_plan(draft: Draft, plan: Row, before: Row | None, following: Row | None,
               cases: Mapping[str, Row], carrier: dict[str, str], team: Key) -> None:
    plan_id = str(plan["id"])
    lines = sorted((t for t in draft.records.tasks if t.get("plan_id") == plan_id),
                   key=lambda t: (str(t.get("task_code")), str(t.get("id"))))
    case_ids = [str(t.get("delegation_case_id") or "") for t in lines]
    activities, statuses, notes = _task_activities(draft, lines, cases)
    reviewed = sorted((r for r in draft.records.reviews
                       if carrier.get(str(r.get("delegation_case_id"))) == plan_id),
                      key=lambda r: (iso_day(r.get("due_on")) or "", str(r.get("id"))))
    activities += [_review_activity(draft, r, cases.get(str(r.get("delegation_case_id"))))
                   for r in reviewed]
    status = plan_status(statuses, following is None)
    end = (iso_day(following.get("effective_from")) if following is not None
           else iso_day(plan.get("effective_from")) if not lines else None)
    words = text(plan.get("person_words"))
    if words:
        notes.insert(0, {"authorReference": ref("Patient", draft.person_id), "text": words})
    number = int(plan.get("version_number") or 0)
    consents = [c for c in draft.records.consents if c.get("delegation_case_id") in case_ids]
    resource: Resource = {
        "resourceType": "CarePlan", "id": plan_id,
        "extension": [{"url": s.EXT_PLAN_VERSION, "valuePositiveInt": number}],
        "replaces": [ref("CarePlan", str(before["id"]))] if before is not None else None,
        "status": status, "intent": "plan",
        "category": [concept("Support plan: healthcare tasks delegated to care workers")],
        "title": f"Support plan, version {number}",
        "description": text(plan.get("summary")),
        "subject": ref("Patient", draft.person_id),
        "period": {"start": iso_day(plan.get("effective_from")), "end": end},
        "created": instant(plan.get("created_at")),
        "author": _author(plan),
        "careTeam": [ref(*team)],
        "supportingInfo": [ref("Consent", str(c["id"])) for c in consents],
        "activity": activities, "note": notes}
    sources = [plan, *lines, *[cases[c] for c in case_ids if c in cases], *reviewed]
    draft.add(resource, sources)


def _task_activities(draft: Draft, lines: Sequence[Row], cases: Mapping[str, Row]
                     ) -> tuple[list[dict[str, Any]], list[str], list[dict[str, Any]]]:
    """(activity, its status) of each task line, and a note of what is not delegated."""
    activities, statuses, notes = [], [], []
    for line in lines:
        activity, status = _task_activity(draft, line,
                                          cases.get(str(line.get("delegation_case_id"))))
        activities.append(activity)
        statuses.append(status)
        what_not = text(line.get("what_is_not_delegated"))
        if what_not:
            notes.append({"text": f"Not delegated ({_task_name(draft, line)}): {what_not}"})
    return activities, statuses, notes


def _author(plan: Row) -> dict[str, Any] | None:
    """Who issued the version: the app user (identifier) with the name the plan prints."""
    name, user = text(plan.get("created_by_name")), text(plan.get("updated_by"))
    if user is None:
        return {"display": name} if name else None
    return {"identifier": {"system": s.APP_USER, "value": user}, "display": name}


def _task_name(draft: Draft, line: Row) -> str:
    code, version = str(line.get("task_code") or ""), str(line.get("task_catalogue_version")
                                                           or "")
    return draft.directory.task_name(code, version) or code


def _task_activity(draft: Draft, line: Row, case: Row | None) -> tuple[dict[str, Any], str]:
    status, reason = task_status(draft, case)
    name = _task_name(draft, line)
    case_id = text(line.get("delegation_case_id"))
    what_not = text(line.get("what_is_not_delegated"))
    extensions = [{"url": s.EXT_NOT_DELEGATED, "valueString": what_not}] if what_not else []
    if case_id:
        extensions.append(case_identifier(case_id))
    detail = {
        "extension": extensions,
        "code": concept(name, s.TASK_CATALOGUE, text(line.get("task_code")), name,
                        text(line.get("task_catalogue_version"))),
        "status": status, "statusReason": concept(reason) if reason else None,
        "scheduledString": text(line.get("frequency")),
        "performer": [worker_reference(draft, str(w)) for w in line.get("worker_ids") or []],
        "description": text(line.get("what_is_delegated"))}
    return {"detail": detail}, status


def _review_activity(draft: Draft, review: Row, case: Row | None) -> dict[str, Any]:
    kind = str(review.get("kind") or "")
    done = iso_day(review.get("done_on"))
    task = (draft.directory.task_name(str(case.get("task_code")),
                                      str(case.get("task_catalogue_version")))
            if case is not None else None)
    words = REVIEW_WORDS.get(kind, "Review")
    running = case is not None and case.get("status") in RUNNING
    outcome = REVIEW_OUTCOME_WORDS.get(str(review.get("outcome")))
    following = iso_day(review.get("next_review_on"))
    detail = {
        "extension": [case_identifier(str(review.get("delegation_case_id"))),
                      {"url": s.EXT_NEXT_REVIEW, "valueDate": following} if following
                      else None],
        "code": concept(f"{words} of the delegated task" + (f": {task}" if task else ""),
                        s.REVIEW_KIND, kind or None, words),
        "status": "completed" if done else "scheduled" if running else "cancelled",
        "scheduledPeriod": {"start": iso_day(review.get("due_on"))}}
    progress = ([{"time": done, "text": f"Review done: {outcome or 'outcome not recorded'}"}]
                if done else None)
    return {"progress": progress, "detail": detail}


# ---------------------------------------------------------------- the care team


def care_team(draft: Draft) -> Key:
    """The person's CareTeam now: the nurse team, and for the running delegations on the
    newest plan version the oversight, the providers and their named workers, and who
    commissions the care (the ICB, the councils). Inactive when nothing runs."""
    team_key = nurse_team(draft)
    participants: list[dict[str, Any]] = []
    sources: list[Row] = [draft.person]
    riders: list[Key] = []

    def join(key: Key | None, role: str, words: str, rider: bool = False) -> None:
        if key is None or any(p["member"]["reference"] == f"{key[0]}/{key[1]}"
                              for p in participants):
            return
        participants.append({"role": [concept(words, s.CARE_TEAM_ROLE, role, words)],
                             "member": ref(*key)})
        if rider:
            riders.append(key)

    join(team_key, "nurse-team", "Community nursing team (delegates and oversees)", True)
    running = [c for c in draft.records.cases if c.get("status") in RUNNING]
    running_ids = {str(c["id"]) for c in running}
    for case in running:
        row = current_oversight(draft, str(case["id"]))
        if row is not None:
            sources.append(row)
            join(oversight(draft, row), "clinical-oversight", "Clinical oversight")
    newest = max(draft.records.plans, key=lambda p: int(p.get("version_number") or 0),
                 default=None)
    lines = [t for t in draft.records.tasks if newest is not None
             and t.get("plan_id") == newest["id"] and t.get("delegation_case_id") in running_ids]
    for line in lines:
        sources.append(line)
        for worker_id in line.get("worker_ids") or []:
            _join_worker(draft, str(worker_id), sources, join)
    splits = [f for f in draft.records.funding_splits if newest is not None
              and f.get("plan_id") == newest["id"] and f.get("delegation_case_id") in running_ids]
    for split in sorted(splits, key=lambda f: str(f.get("funder"))):
        sources.append(split)
        funder = str(split.get("funder"))
        join(icb(draft) if funder == "icb" else council(draft, funder), "commissioner",
             "Commissioner (funds the delegated care)", True)
    resource: Resource = {
        "resourceType": "CareTeam", "id": s.stable_id("care-team", draft.person_id),
        "status": "active" if running else "inactive",
        "name": "Shared care team for delegated healthcare tasks",
        "subject": ref("Patient", draft.person_id),
        "participant": participants,
        "managingOrganization": [ref(*team_key)] if team_key else None}
    key = draft.add(resource, sources)
    for rider in riders:
        draft.ride(key, rider)
    return key


def _join_worker(draft: Draft, worker_id: str, sources: list[Row], join: Any) -> None:
    worker_reference(draft, worker_id)  # makes the worker's resources when known
    row = draft.directory.workers.get(worker_id)
    role = worker_role(draft, worker_id)
    if row is None or role is None:
        return
    sources.append(row)
    provider_row = draft.directory.providers.get(str(row.get("provider_id")))
    if provider_row is not None:
        sources.append(provider_row)
        join(("Organization", str(provider_row["id"])), "care-provider",
             "Care provider doing delegated tasks")
        join(council(draft, str(provider_row.get("council"))), "commissioner",
             "Council commissioning the care provider", True)
    join(role, "care-worker", "Care worker named for a delegated task")
