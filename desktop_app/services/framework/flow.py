"""The delegation decision flow: versioned data and a pure evaluator.

The flow (framework §2) lives in ``resources/flows/*.json``: steps S1-S11 (plus S9F, the
funding of extra time), each with its fields and ordered branches. A branch says when it
applies (``when``: answers, catalogue facts or flags set earlier), which further answers it
needs (``requires``), and where it leads: another step (``goto``), an outcome code
(``outcome``), the outcome proposed earlier (``outcome_from``), or a blocking ``error``.

The evaluator walks the flow from the start with the answers so far and returns either the
step that still needs answers or the outcome with the reasons that led there. It knows
nothing about pages: the wizard asks it which page comes next, so a new flow version needs
no change to page ordering code. Every result carries the flow version.

Conditions: ``"*"`` means "answered (any value)"; a list means "one of"; anything else means
"equal to". A branch whose conditions mention an unanswered field waits for it, unless
one of its answered conditions already fails. Flags (``flag.x``) are false until set.
"""

from __future__ import annotations

import datetime as dt
import enum
import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from types import MappingProxyType
from typing import Any

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.paths import resources_dir
from desktop_app.services.framework import releases
from scp_common.framework.flow_rules import FlowError as FlowError
from scp_common.framework.flow_rules import check_flow
from scp_common.framework.outcomes import CONTINUE as CONTINUE
from scp_common.framework.versions import newest, version_key
from scp_common.framework.versions import short_version as short_version

ANY = "*"
Answers = Mapping[str, Mapping[str, Any]]


class StepId(enum.StrEnum):
    """The flow's steps (framework §2); S9F is the funding of extra time after S9 "no"."""

    S1 = "S1"
    S2 = "S2"
    S3 = "S3"
    S4 = "S4"
    S5 = "S5"
    S6 = "S6"
    S7 = "S7"
    S8 = "S8"
    S9 = "S9"
    S9F = "S9F"
    S10 = "S10"
    S11 = "S11"


@dataclass(frozen=True)
class Branch:
    """One way out of a step."""

    when: Mapping[str, Any]
    goto: str | None = None
    outcome: str | None = None
    outcome_from: str | None = None
    error: str | None = None
    requires: tuple[str, ...] = ()
    sets: Mapping[str, Any] = field(default_factory=dict)
    reason: str | None = None


@dataclass(frozen=True)
class FieldSpec:
    """An answer a step collects."""

    name: str
    type: str
    label: str
    choices: tuple[str, ...] = ()


@dataclass(frozen=True)
class Step:
    """One question of the flow, in the app's own words."""

    id: str
    title: str
    question: str
    help: str
    fields: Mapping[str, FieldSpec]
    branches: tuple[Branch, ...]


@dataclass(frozen=True)
class Flow:
    """A whole version of the flow."""

    version: str
    title: str
    provenance: str
    start: str
    review_start: str
    steps: Mapping[str, Step]

    def step(self, step_id: str) -> Step:
        """The step with this id; FlowError if the flow has none."""
        try:
            return self.steps[step_id]
        except KeyError:
            raise FlowError(f"flow {self.version} has no step {step_id}") from None


@dataclass(frozen=True)
class FlowResult:
    """Where the answers so far lead."""

    flow_version: str
    path: tuple[str, ...]
    next_step: str | None = None
    missing: tuple[str, ...] = ()
    outcome: str | None = None
    reasons: tuple[str, ...] = ()
    flags: Mapping[str, Any] = field(default_factory=dict)
    error: str | None = None

    @property
    def decided(self) -> bool:
        """True when the answers reach an outcome."""
        return self.outcome is not None

    def step_after(self, step_id: str) -> str | None:
        """The step that follows ``step_id`` on this route (None at the end or off-route)."""
        if step_id not in self.path:
            return None
        index = self.path.index(step_id)
        return self.path[index + 1] if index + 1 < len(self.path) else None


# ---------------------------------------------------------------- loading


def _branch(raw: Mapping[str, Any]) -> Branch:
    return Branch(
        when=MappingProxyType(dict(raw.get("when", {}))), goto=raw.get("goto"),
        outcome=raw.get("outcome"), outcome_from=raw.get("outcome_from"), error=raw.get("error"),
        requires=tuple(raw.get("requires", ())), sets=MappingProxyType(dict(raw.get("set", {}))),
        reason=raw.get("reason"),
    )


def _step(step_id: str, raw: Mapping[str, Any]) -> Step:
    fields = {name: FieldSpec(name, spec["type"], spec.get("label", name),
                              tuple(spec.get("choices", ())))
              for name, spec in raw.get("fields", {}).items()}
    return Step(step_id, raw["title"], raw["question"], raw.get("help", ""),
                MappingProxyType(fields), tuple(_branch(b) for b in raw["branches"]))


def parse_flow(raw: Mapping[str, Any]) -> Flow:
    """Build a Flow from its JSON form, once it passes every rule of a flow document
    (``scp_common.framework.flow_rules``: the same rules the central store checks)."""
    check_flow(raw)
    steps = {sid: _step(sid, body) for sid, body in raw["steps"].items()}
    return Flow(raw["flow_version"], raw.get("title", ""), raw.get("provenance", ""),
                raw["start"], raw.get("review_start", ""), MappingProxyType(steps))


def _version_key(path: Path) -> tuple[int, ...]:
    """``delegation_flow_2026.10.json`` → (2026, 10): numbers, so 2026.10 comes after 2026.2
    (sorted as text it would come first and an older flow would be used; hazard H-018)."""
    return version_key(path.stem.removeprefix("delegation_flow_"))


def newest_flow_file(folder: Path | None = None) -> Path:
    """The shipped flow file with the highest version number."""
    folder = folder or resources_dir() / "flows"
    return max(folder.glob("delegation_flow_*.json"), key=_version_key)


@functools.lru_cache(maxsize=2)
def shipped_flow_versions(folder: Path | None = None) -> tuple[str, ...]:
    """The versions of the flows this app ships, oldest first, as each calls itself."""
    folder = folder or resources_dir() / "flows"
    return tuple(load_flow(path).version
                 for path in sorted(folder.glob("delegation_flow_*.json"), key=_version_key))


def load_flow(path: Path | None = None) -> Flow:
    """Load a flow file (default: the newest flow this app holds, shipped or received from
    the IPCB: ``newest_flow``)."""
    if path is None:
        return newest_flow()
    return parse_flow(json.loads(path.read_text(encoding="utf-8")))


def newest_flow() -> Flow:
    """The newest flow by its version numbers, shipped or received (``releases``): the one
    new delegations start under. A shipped and a received flow of the same numbers: the
    shipped one (the app's own)."""
    return _newest_flow(releases.generation())


@functools.lru_cache(maxsize=2)
def _newest_flow(_generation: int) -> Flow:
    shipped = load_flow(newest_flow_file())
    received = newest(releases.received("flow"))
    if received is None or version_key(received) <= version_key(shipped.version):
        return shipped
    return _received_flow(received, _generation)


@functools.lru_cache(maxsize=8)
def _received_flow(version: str, _generation: int) -> Flow:
    return parse_flow(json.loads(releases.received("flow")[version]))


def load_flow_version(version: str, folder: Path | None = None) -> Flow:
    """The flow of this version (as a case records it, ``2026.1-reconstructed``, or as its
    file names it, ``2026.1``): shipped, or received from the IPCB. Older versions are kept
    on purpose: a draft started under one carries on under it. ValidationError when this
    laptop has no such version."""
    return _load_flow_version(version, folder, releases.generation())


@functools.lru_cache(maxsize=16)
def _load_flow_version(version: str, folder: Path | None, generation: int) -> Flow:
    folder = folder or resources_dir() / "flows"
    short = short_version(version)
    path = folder / f"delegation_flow_{short}.json"
    if short.replace(".", "").isdigit() and path.is_file():
        flow = load_flow(path)
    else:
        held = [v for v in releases.received("flow") if short_version(v) == short]
        if not short.replace(".", "").isdigit() or not held:
            raise ValidationError(
                f"Flow {short or '(none)'} is not part of this version of the app, "
                "so a delegation cannot go on under it.")
        flow = _received_flow(held[0], generation)
    if version not in (flow.version, short_version(flow.version)):
        raise ValidationError(f"Flow {version} is not part of this version of the app "
                              f"(its file holds flow {flow.version}).")
    return flow


def kept_answers(flow: Flow, answers: Answers) -> dict[str, dict[str, Any]]:
    """The answers of the steps this flow still has (a draft restarted under a newer flow).
    A step's answers are kept whole: its page also keeps values the flow file does not list
    (the oversight phone numbers, the funding's entered figures), and an answer a flow does
    not ask is ignored by its evaluator and by ``check_answer_types``."""
    return {step_id: dict(values) for step_id, values in answers.items()
            if step_id in flow.steps}


# ---------------------------------------------------------------- evaluating


def current_flow() -> Flow:
    """The newest flow (``newest_flow``), read once per process and again when a new one
    arrives (for lists that name steps)."""
    return newest_flow()


class _Match(enum.Enum):
    YES = "yes"
    NO = "no"
    UNKNOWN = "unknown"


def _answered(value: Any) -> bool:
    if value is None:
        return False
    if isinstance(value, str | list | tuple | dict | set):
        return bool(value.strip() if isinstance(value, str) else value)
    return True


def _lookup(ref: str, answers: Answers, facts: Mapping[str, Any],
            flags: Mapping[str, Any]) -> Any:
    owner, _, name = ref.partition(".")
    if owner == "flag":
        return flags.get(name, False)
    if owner in ("task", "person"):
        return facts.get(ref)
    return answers.get(owner, {}).get(name)


def _matches(when: Mapping[str, Any], answers: Answers, facts: Mapping[str, Any],
             flags: Mapping[str, Any]) -> tuple[_Match, list[str]]:
    unknown: list[str] = []
    for ref, expected in when.items():
        value = _lookup(ref, answers, facts, flags)
        if not _answered(value) and not isinstance(value, bool):
            unknown.append(ref)
            continue
        if expected == ANY:
            continue
        ok = value in expected if isinstance(expected, list) else value == expected
        if not ok:
            return _Match.NO, []
    return (_Match.UNKNOWN, unknown) if unknown else (_Match.YES, [])


def _missing(refs: tuple[str, ...], answers: Answers) -> tuple[str, ...]:
    return tuple(r for r in refs if not _answered(_lookup(r, answers, {}, {})))


@dataclass
class _Walk:
    path: list[str] = field(default_factory=list)
    reasons: list[str] = field(default_factory=list)
    flags: dict[str, Any] = field(default_factory=dict)


def _result(flow: Flow, walk: _Walk, **kwargs: Any) -> FlowResult:
    return FlowResult(flow.version, tuple(walk.path), reasons=tuple(walk.reasons),
                      flags=MappingProxyType(dict(walk.flags)), **kwargs)


def _take(flow: Flow, walk: _Walk, step: Step, branch: Branch,
          answers: Answers) -> FlowResult | str:
    """Apply a matching branch: a final result, or the id of the next step."""
    if branch.error:
        return _result(flow, walk, next_step=step.id, error=branch.error)
    missing = _missing(branch.requires, answers)
    if missing:
        return _result(flow, walk, next_step=step.id, missing=missing)
    walk.flags.update(branch.sets)
    if branch.reason:
        walk.reasons.append(branch.reason)
    if branch.goto:
        return branch.goto
    outcome = branch.outcome or walk.flags.get(branch.outcome_from or "")
    if not outcome:
        raise FlowError(f"{step.id}: no {branch.outcome_from} was proposed earlier")
    return _result(flow, walk, outcome=str(outcome))


def _evaluate_step(flow: Flow, walk: _Walk, step: Step, answers: Answers,
                   facts: Mapping[str, Any]) -> FlowResult | str:
    for branch in step.branches:
        match, unknown = _matches(branch.when, answers, facts, walk.flags)
        if match is _Match.YES:
            return _take(flow, walk, step, branch, answers)
        if match is _Match.UNKNOWN:
            return _result(flow, walk, next_step=step.id, missing=tuple(unknown))
    raise FlowError(f"{step.id}: no branch applies to these answers")


def evaluate(flow: Flow, answers: Answers, facts: Mapping[str, Any] | None = None,
             start: str | None = None) -> FlowResult:
    """Walk the flow with ``answers`` (per step id) and catalogue ``facts``."""
    facts = facts or {}
    walk = _Walk()
    current = start or flow.start
    for _ in range(len(flow.steps) + 1):
        walk.path.append(current)
        outcome = _evaluate_step(flow, walk, flow.step(current), answers, facts)
        if isinstance(outcome, FlowResult):
            return outcome
        current = outcome
    raise FlowError("the flow loops")


def evaluate_review(flow: Flow, answers: Answers) -> FlowResult:
    """The review step (S11) on its own: CONTINUE or WITHDRAWN with the reason."""
    return evaluate(flow, answers, start=flow.review_start)


def _iso_date(value: Any) -> bool:
    try:
        dt.date.fromisoformat(str(value))
    except ValueError:
        return False
    return isinstance(value, str)


def check_answer_types(flow: Flow, answers: Answers) -> None:
    """ValidationError when an answer has the wrong type or an unknown choice."""
    for step_id, values in answers.items():
        step = flow.step(step_id)
        for name, value in values.items():
            spec = step.fields.get(name)
            if spec is None or value is None:
                continue
            if spec.type == "bool" and not isinstance(value, bool):
                raise ValidationError(f"{spec.label}: answer yes or no.", field=f"{step_id}.{name}")
            if spec.type == "date" and not _iso_date(value):
                raise ValidationError(f"{spec.label}: enter a date as day, month and year.",
                                      field=f"{step_id}.{name}")
            if spec.type == "pence" and (isinstance(value, bool) or not isinstance(value, int)
                                         or value < 0):
                raise ValidationError(f"{spec.label}: enter an amount in pounds and pence.",
                                      field=f"{step_id}.{name}")
            if spec.type == "choice" and value not in spec.choices:
                raise ValidationError(f"{spec.label}: choose one of the options.",
                                      field=f"{step_id}.{name}")
