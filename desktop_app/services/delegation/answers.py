"""The wizard's answers as the delegation services read them.

Answers are kept per step (``{"S1": {...}, "S6": {...}}``) exactly as the pages gave them.
Here: a typed date read from an answer, the task chosen on S1 looked up in the catalogue
(and the facts the flow reads from it), and the funding split worked out again from the
funding page's (S9F) echoed inputs: the service judges who pays for the extra time, never
the page or a total it sent (hazard H-011).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import fields
from typing import Any

from desktop_app.models.plan import Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.catalogue import Catalogue, TaskTypeInfo, UnknownTaskType
from desktop_app.services.framework.funding import FundingBasis, FundingResult, apportion
from desktop_app.services.framework.funding_methods import METHOD_INPUTS
from desktop_app.services.framework.funding_money import format_pounds

Answers = dict[str, dict[str, Any]]


def answer_date(value: Any) -> dt.date | None:
    """An ISO date typed on a page, or None when the answer is empty."""
    return dt.date.fromisoformat(str(value)) if value else None


def chosen_task(code: Any, catalogue: Catalogue) -> TaskTypeInfo | None:
    """The catalogue's task for a task code answered on S1; None if empty or unknown."""
    try:
        return catalogue.get(str(code)) if code else None
    except UnknownTaskType:
        return None


def facts_for(answers: Mapping[str, Mapping[str, Any]], catalogue: Catalogue) -> dict[str, Any]:
    """Catalogue facts for the flow: the chosen task's typical status."""
    task = chosen_task(answers.get("S1", {}).get("task_code"), catalogue)
    return {} if task is None else {"task.typical_status": task.typical_status}


# ---------------------------------------------------------------- the funding page (S9F)


def funding_result(s9f: Mapping[str, Any]) -> FundingResult | None:
    """Recompute the split from the funding page's echoed inputs (never trust totals)."""
    echo = s9f.get("inputs") or {}
    method = echo.get("method") or s9f.get("method")
    if not method or method not in METHOD_INPUTS:
        return None
    cls = METHOD_INPUTS[str(method)]
    basis = FundingBasis(
        council=Funder(echo["council"]), rate_pence_per_hour=int(echo["rate_pence_per_hour"]),
        lead_commissioner=Funder(echo["lead_commissioner"]),
        start_date=answer_date(echo.get("start_date") or s9f.get("start_date"))
        or dt.date.today())
    kwargs = {f.name: echo[f.name] for f in fields(cls) if f.name in echo}
    return apportion(basis, cls(**kwargs))


def with_funding_judged(answers: Answers) -> Answers:
    """The answers with S9F's "NHS share" worked out again from the inputs: the service
    judges who pays for the extra time, never the page (hazard H-011)."""
    s9f = answers.get("S9F")
    if not s9f or not s9f.get("inputs"):
        return answers
    try:
        result = funding_result(s9f)
    except (KeyError, TypeError, ValueError):  # an echo missing a part, or not a number
        raise ValidationError("The funding amounts are incomplete; go back to the funding "
                              "page (S9F).", field="S9F.inputs") from None
    if result is None:
        return answers
    return {**answers, "S9F": {**s9f, "icb_share": result.nhs_share.value}}


def funding_summary(answers: Answers) -> str:
    """Each funder's weekly share in words, for a shared care discussion's proposal."""
    result = funding_result(answers.get("S9F", {})) if answers.get("S9F") else None
    if result is None:
        return "Within the existing package."
    return "; ".join(f"{s.funder.value}: {format_pounds(s.pence_per_week)} a week"
                     for s in result.shares)
