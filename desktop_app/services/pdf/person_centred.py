"""The framework's principles on paper: what matters to the person, and each delegation's
use of resources and the partners' assessments it reused.

Shared by the support plan (``support_plan``) and the shared care form
(``shared_care_form``). What matters is printed under "What matters to <given name>": their
own words, strengths, what they do for themselves and who took part in the conversation. A
plan made before the app asked more than the person's own words prints them as it did then
("In their own words"), and a delegation decided before the app asked about resources
prints no line about them: nothing is invented. Every typed text reaches reportlab through
``markup`` (escaped).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable

from desktop_app.services.pdf import layout as lo
from desktop_app.services.pdf.markup import text
from desktop_app.services.plans.blocks import ResourcesBlock, WhatMattersBlock

REUSED_TITLE = "Assessments reused (trusted assessment)"
NOT_RECORDED = "Not recorded"


def what_matters_blocks(block: WhatMattersBlock | None, given_name: str) -> list[Flowable]:
    """What matters to the person, as a subsection with its four parts; a plan from before
    they were asked: the person's own words only, as printed then; nothing recorded:
    nothing."""
    if block is None:
        return []
    if not block.asked_in_full:
        if not block.own_words:
            return []
        return [lo.subsection("In their own words", text(block.own_words, lo.styles().body))]
    name = given_name or "the person"
    rows: list[tuple[str, lo.Cell]] = [
        ("In their own words", block.own_words or NOT_RECORDED),
        ("Strengths", block.strengths or NOT_RECORDED),
        (f"What {name} does for themselves", block.self_care or NOT_RECORDED),
        ("Who took part in the conversation", block.took_part or NOT_RECORDED),
    ]
    return [lo.subsection(f"What matters to {name}", lo.key_values(rows), keep_rows=2)]


def _why(reason: str | None, label: str = "Why") -> str:
    """". Why: <reason>" — the reason as typed, in a sentence of its own (typed words such
    as "not suitable because …" are printed as they are, never joined into ours)."""
    return f". {label}: {reason}" if reason else "."


def _first_lower(words: str) -> str:
    """"Not suitable" → "not suitable" (words from the app's own lists, never typed)."""
    return words[:1].lower() + words[1:]


def resource_rows(block: ResourcesBlock | None) -> list[tuple[str, lo.Cell]]:
    """"Assistive technology considered" and "Call frequency reviewed", each when recorded:
    "Yes — Automated pill dispenser: not suitable. Why: …", "No — not considered. Why
    not: …"; "Yes — the task fits an existing call. <note>"."""
    if block is None:
        return []
    rows: list[tuple[str, lo.Cell]] = []
    if block.at_considered is True:
        what = f"{block.at_kind}: " if block.at_kind else ""
        outcome = _first_lower(block.at_outcome) if block.at_outcome else NOT_RECORDED.lower()
        rows.append(("Assistive technology considered",
                     f"Yes — {what}{outcome}{_why(block.at_reason)}"))
    elif block.at_considered is False:
        rows.append(("Assistive technology considered",
                     f"No — not considered{_why(block.at_reason, 'Why not')}"))
    if block.calls_reviewed is not None:
        found = (f"Yes — {_first_lower(block.calls_outcome)}." if block.calls_reviewed
                 and block.calls_outcome else "Yes." if block.calls_reviewed else "No.")
        rows.append(("Call frequency reviewed",
                     f"{found} {block.calls_note}" if block.calls_note else found))
    return rows


def reused_blocks(block: ResourcesBlock | None) -> list[Flowable]:
    """The partners' assessments reused instead of repeated: kind, organisation, assessor,
    date and how old each was when reused (so whoever signs sees what the decision rested
    on); nothing when none was."""
    if block is None or not block.reused:
        return []
    rows = [[f"{r.kind} ({r.step})", r.organisation, r.assessor, lo.uk_date_short(r.assessed_on),
             r.age_when_reused] for r in block.reused]
    table = lo.grid(["Assessment (step)", "Organisation", "Assessor", "Dated",
                     "How old when reused"], rows,
                    [50 * mm, 40 * mm, 32 * mm, 22 * mm, 30 * mm])
    return [lo.gap(2), lo.subsection(REUSED_TITLE, table, keep_rows=1)]
