"""The rules of a delegation flow document, checked before anything uses it.

A flow (``resources/flows/delegation_flow_<version>.json``, or one the IPCB published) has
steps, each with its fields and ordered branches. A branch says when it applies (``when``),
which answers it still needs (``requires``), which flags it sets (``set``) and where it
leads: exactly one of another step (``goto``), an outcome code (``outcome``), the outcome a
flag proposed earlier (``outcome_from``) or a blocking ``error``. ``check_flow`` refuses,
with the first problem it finds in plain words, anything the evaluator could trip over:
a missing part, a value of the wrong kind, an unknown step, field, fact or outcome code.

The order of the checks is the order the desktop's ``parse_flow`` always had (the steps,
then the version, then the start, then every reference), so its messages are unchanged.
A loop is not refused here (the evaluator stops one when walked); ``app_flow`` refuses one
in a flow published for the app's wizard.
"""

from __future__ import annotations

import re
from collections.abc import Mapping
from typing import Any, Final

from scp_common.framework.outcomes import CONTINUE, OUTCOME_CODES
from scp_common.framework.versions import MAX_FLOW_VERSION_LENGTH, version_problem

FACT_OWNERS: Final = frozenset({"task", "person", "flag"})
FIELD_TYPES: Final = frozenset({"bool", "text", "date", "choice", "list", "object", "pence"})
TARGETS: Final = ("goto", "outcome", "outcome_from", "error")
_STEP_ID: Final = re.compile(r"[A-Za-z][A-Za-z0-9_]{0,39}")


class FlowError(ValueError):
    """The flow file itself is wrong (a bug in the data, not in what a user typed)."""


def check_flow(raw: object) -> None:
    """FlowError naming the first rule ``raw`` (a decoded flow document) breaks."""
    if not isinstance(raw, Mapping):
        raise FlowError("a flow file must hold a JSON object")
    steps = _required(raw, "steps")
    if not isinstance(steps, Mapping) or not steps:
        raise FlowError("the flow's 'steps' must be a JSON object of steps by their id")
    for step_id, body in steps.items():
        _check_step(step_id, body)
    problem = version_problem(_required(raw, "flow_version"), MAX_FLOW_VERSION_LENGTH)
    if problem:
        raise FlowError(f"flow_version {raw['flow_version']!r} {problem}")
    for key in ("title", "provenance", "review_start"):
        if not isinstance(raw.get(key, ""), str):
            raise FlowError(f"the flow's {key!r} must be text")
    start = _required(raw, "start")
    if start not in steps:
        raise FlowError(f"start step {start} is missing")
    review = raw.get("review_start", "")
    if review and review not in steps:
        raise FlowError(f"review start step {review} is missing")
    _check_references(steps)
    _check_proposed_outcomes(steps)


def _required(raw: Mapping[str, Any], key: str) -> Any:
    if key not in raw:
        raise FlowError(f"flow file lacks {key!r}")
    return raw[key]


def _check_step(step_id: object, raw: object) -> None:
    if not isinstance(step_id, str) or not _STEP_ID.fullmatch(step_id) \
            or step_id in FACT_OWNERS:
        raise FlowError(f"step id {step_id!r}: use letters, digits and underscores, starting "
                        "with a letter (and not task, person or flag)")
    if not isinstance(raw, Mapping):
        raise FlowError(f"{step_id}: a step must be a JSON object")
    fields = raw.get("fields", {})
    if not isinstance(fields, Mapping):
        raise FlowError(f"{step_id}: 'fields' must be a JSON object of fields by name")
    for name, spec in fields.items():
        _check_field(step_id, name, spec)
    branches = raw.get("branches", ())
    if not isinstance(branches, list):
        raise FlowError(f"{step_id}: 'branches' must be a list")
    for branch in branches:
        _check_branch(step_id, branch)
    if not branches:
        raise FlowError(f"{step_id}: a step needs at least one branch")
    for key in ("title", "question"):
        if key not in raw:
            raise FlowError(f"{step_id}: the step lacks {key!r}")
    for key in ("title", "question", "help"):
        if not isinstance(raw.get(key, ""), str):
            raise FlowError(f"{step_id}: the step's {key!r} must be text")


def _check_field(step_id: str, name: object, spec: object) -> None:
    where = f"{step_id}.{name}"
    if not isinstance(spec, Mapping):
        raise FlowError(f"{where}: a field must be a JSON object")
    if spec.get("type") not in FIELD_TYPES:
        raise FlowError(f"{where}: unknown field type {spec.get('type')}")
    if not isinstance(spec.get("label", ""), str):
        raise FlowError(f"{where}: the label must be text")
    choices = spec.get("choices", [])
    if not isinstance(choices, list) or not all(isinstance(c, str) for c in choices):
        raise FlowError(f"{where}: 'choices' must be a list of text")
    if spec["type"] == "choice" and not choices:
        raise FlowError(f"{where}: a choice field needs its list of choices")


def _check_branch(step_id: str, raw: object) -> None:
    if not isinstance(raw, Mapping):
        raise FlowError(f"{step_id}: each branch must be a JSON object")
    targets = [k for k in TARGETS if raw.get(k)]
    if len(targets) != 1:
        raise FlowError(f"{step_id}: each branch needs exactly one of goto/outcome/error")
    outcome = raw.get("outcome")
    if outcome and outcome != CONTINUE and outcome not in OUTCOME_CODES:
        raise FlowError(f"{step_id}: unknown outcome code {outcome}")
    for key in TARGETS + ("reason",):
        if not isinstance(raw.get(key, ""), str | None):
            raise FlowError(f"{step_id}: a branch's {key!r} must be text")
    for key in ("when", "set"):
        if not isinstance(raw.get(key, {}), Mapping):
            raise FlowError(f"{step_id}: a branch's {key!r} must be a JSON object")
    requires = raw.get("requires", [])
    if not isinstance(requires, list) or not all(isinstance(r, str) for r in requires):
        raise FlowError(f"{step_id}: a branch's 'requires' must be a list of fields")


def _check_references(steps: Mapping[str, Any]) -> None:
    for step_id, step in steps.items():
        for branch in step["branches"]:
            goto = branch.get("goto")
            if goto and goto not in steps:
                raise FlowError(f"{step_id}: goes to unknown step {goto}")
            for ref in list(branch.get("when", {})) + list(branch.get("requires", [])):
                owner, _, name = str(ref).partition(".")
                if owner not in steps and owner not in FACT_OWNERS:
                    raise FlowError(f"{step_id}: refers to {ref}: unknown step or fact")
                if owner in steps and name not in steps[owner].get("fields", {}):
                    raise FlowError(f"{step_id}: refers to unknown field {ref}")


def _check_proposed_outcomes(steps: Mapping[str, Any]) -> None:
    """A branch that takes its outcome from a flag (``outcome_from``) records whatever the
    flag holds: every value any step sets that flag to must be a known outcome code, and
    some step must set it, or an unknown outcome could be recorded for a person."""
    proposed: dict[str, list[tuple[str, object]]] = {}
    for step_id, step in steps.items():
        for branch in step["branches"]:
            for flag, value in branch.get("set", {}).items():
                proposed.setdefault(flag, []).append((step_id, value))
    for step_id, step in steps.items():
        for branch in step["branches"]:
            flag = branch.get("outcome_from")
            if not flag:
                continue
            if flag not in proposed:
                raise FlowError(f"{step_id}: takes its outcome from {flag}, which no step sets")
            for setter, value in proposed[flag]:
                if value not in OUTCOME_CODES:
                    raise FlowError(f"{setter}: sets {flag} to {value!r}, which is not an "
                                    f"outcome code (step {step_id} records it as the outcome)")
