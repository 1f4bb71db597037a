"""What the app's delegation wizard can show: the steps it has pages for, and the fields
each page asks.

The wizard renders a flow one step per page and asks the evaluator which page comes next,
so a new flow version may reword any step, reorder its branches, change where a branch
leads and which answers it needs, with no new app. It cannot add a step or a field: no
page would ask it, and a nurse would be stuck at a step waiting for an answer nobody can
give. So a flow published for laptops (``check_app_flow``) must have exactly the wizard's
steps, start at S1 and review at S11, ask only fields the pages ask, with the same type
(and, for a choice, the same choices), and never loop.

``WIZARD_FIELDS`` is the newest shipped flow's fields (a test holds every shipped flow
within them and the newest equal to them): a new app version that adds a field to a page
adds it here too.
"""

from __future__ import annotations

from collections.abc import Mapping
from typing import Any, Final

from scp_common.framework.flow_rules import FlowError, check_flow

Field = tuple[str, tuple[str, ...]]  # (type, choices)

WIZARD_STEPS: Final = ("S1", "S2", "S3", "S4", "S5", "S6", "S7", "S8", "S9", "S9F", "S10",
                       "S11")
WIZARD_START: Final = "S1"
WIZARD_REVIEW_START: Final = "S11"
_TEXT: Final[Field] = ("text", ())
_BOOL: Final[Field] = ("bool", ())
_DATE: Final[Field] = ("date", ())
_LIST: Final[Field] = ("list", ())
WIZARD_FIELDS: Final[Mapping[str, Mapping[str, Field]]] = {
    "S1": {"task_code": _TEXT, "referred_by": _TEXT, "is_health_need": _BOOL,
           "social_care_need": _BOOL, "no_reason": _TEXT},
    "S2": {"chc_checklist_positive": _BOOL, "checklist_date": _DATE},
    "S3": {"needs_clinical_judgement": _BOOL, "no_reason": _TEXT},
    "S4": {"stable": _BOOL, "what_is_delegated": _TEXT, "what_is_not_delegated": _TEXT,
           "frequency": _TEXT, "equipment": _TEXT, "do_thresholds": _TEXT,
           "call_nurse_thresholds": _TEXT, "if_refused": _TEXT, "if_missed": _TEXT,
           "if_equipment_fails": _TEXT, "if_out_of_range": _TEXT, "in_emergency": _TEXT,
           "no_reason": _TEXT, "reconsider_on": _DATE},
    "S5": {"incidental_or_ancillary": _BOOL, "no_reason": _TEXT},
    "S6": {"consent_given": _BOOL,
           "given_by_kind": ("choice", ("person", "lpa", "deputy", "best_interests")),
           "given_by_name": _TEXT, "how": ("choice", ("verbal", "written", "other")),
           "explained": _TEXT, "capacity_in_doubt": _BOOL, "no_reason": _TEXT,
           "contact_id": _TEXT, "capacity_decision": _TEXT, "capacity_assessed_on": _DATE,
           "capacity_assessor": _TEXT,
           "capacity_outcome": ("choice", ("has_capacity", "lacks_capacity")),
           "bi_consulted": _TEXT, "bi_wishes_feelings": _TEXT, "bi_options": _TEXT,
           "bi_least_restrictive": _TEXT},
    "S7": {"provider_accepts": _BOOL, "provider_id": _TEXT, "worker_ids": _LIST,
           "insurance_confirmed": _BOOL, "no_reason": _TEXT},
    "S8": {"all_signed_off": _BOOL, "sign_offs": _LIST,
           "oversight_service": ("choice", ("community_health", "gp_practice")),
           "oversight_organisation": _TEXT, "no_reason": _TEXT, "reconsider_on": _DATE},
    "S9": {"fits_existing_calls": _BOOL},
    "S9F": {"method": ("choice", ("health_only_call", "extra_minutes", "split_by_minutes",
                                  "equal_split", "fixed_percentage", "existing_package")),
            "icb_share": ("choice", ("all", "part", "none")), "inputs": ("object", ())},
    "S10": {"met_on": _DATE, "attendees": _LIST, "consensus": _BOOL,
            "disagreement_about": ("choice", ("delegation", "funding")),
            "question_for_discussion": _TEXT,
            "interim_funder": ("choice", ("icb", "leicester_city", "leicestershire_county",
                                          "rutland_county")),
            "dispute_reference": _TEXT, "care_starts_on": _DATE,
            "interim_weekly_pence": ("pence", ()), "interim_from": _DATE},
    "S11": {"still_stable": _BOOL, "competence_current": _BOOL, "no_serious_incident": _BOOL,
            "no_reason": _TEXT},
}
NEW_APP: Final = "that needs a new version of the app, not a new flow version"


def check_app_flow(raw: object) -> None:
    """FlowError naming the first rule ``raw`` breaks, as a flow document (``check_flow``)
    or as a flow the app's wizard can show (module docstring)."""
    check_flow(raw)
    assert isinstance(raw, Mapping)
    steps: Mapping[str, Any] = raw["steps"]
    for step_id in steps:
        if step_id not in WIZARD_FIELDS:
            raise FlowError(f"{step_id}: the app has no page for this step; {NEW_APP}")
    for step_id in WIZARD_STEPS:
        if step_id not in steps:
            raise FlowError(f"{step_id}: this flow lacks the step; the app's wizard asks "
                            "every step from S1 to S11")
    if raw["start"] != WIZARD_START:
        raise FlowError(f"the flow must start at {WIZARD_START}, not {raw['start']}")
    if raw.get("review_start") != WIZARD_REVIEW_START:
        raise FlowError(f"the review must start at {WIZARD_REVIEW_START}, not "
                        f"{raw.get('review_start') or '(none)'}")
    for step_id, step in steps.items():
        for name, spec in step.get("fields", {}).items():
            _check_wizard_field(step_id, name, spec)
    _check_no_loop(steps)


def _check_wizard_field(step_id: str, name: str, spec: Mapping[str, Any]) -> None:
    wanted = WIZARD_FIELDS[step_id].get(name)
    where = f"{step_id}.{name}"
    if wanted is None:
        raise FlowError(f"{where}: the app's page for {step_id} does not ask this field; "
                        f"{NEW_APP}")
    kind, choices = wanted
    if spec["type"] != kind:
        raise FlowError(f"{where}: the app's page asks it as {kind}, not {spec['type']}")
    if kind == "choice" and tuple(spec.get("choices", ())) != choices:
        raise FlowError(f"{where}: the app's page offers the choices {', '.join(choices)}; "
                        f"other choices need a new version of the app")


def _check_no_loop(steps: Mapping[str, Any]) -> None:
    """Depth-first over the ``goto`` links: a link back to a step on the way is a loop."""
    state: dict[str, str] = {}  # step id → "on the way" | "done"

    def visit(step_id: str) -> None:
        state[step_id] = "on the way"
        for branch in steps[step_id]["branches"]:
            target = branch.get("goto")
            if not target:
                continue
            if state.get(target) == "on the way":
                raise FlowError(f"{step_id}: goes back to {target}, so the flow loops")
            if target not in state:
                visit(target)
        state[step_id] = "done"

    for step_id in steps:
        if step_id not in state:
            visit(step_id)
