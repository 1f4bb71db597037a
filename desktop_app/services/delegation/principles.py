"""The framework's principles in a decision (Part A section 3): what matters to the person,
efficient use of resources and trusted assessment.

``decide`` checks these answers before anything is written, each refusal naming its field,
and keeps them in its own unit of work:

- what matters (S6: ``person_words``, ``strengths``, ``self_care``, ``took_part``): the
  person's one ``WhatMatters`` row, and a copy on the new plan version;
- efficient use of resources (S9, on every route through it, so on every delegated
  outcome): whether assistive technology was considered, which, what came of it and why
  (or why not), and whether the call frequency was reviewed and what it found, on the
  delegation case's own columns;
- trusted assessment (``reused_assessment`` on any step of ``ASSESSMENT_STEPS``): the
  partner's assessment reused instead of repeating it, one already on this person's record
  (by id) or one typed in the wizard (written as a ``PartnerAssessment``), with an
  ``AssessmentReuse`` row saying how old it was that day.

The checks of what matters and of a typed assessment say what the person record's own
forms say (``services.people.person_centred``); they are here so a decision holds them for
any caller.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Mapping
from dataclasses import dataclass
from typing import Any

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.person_centred import (
    AssessmentReuse,
    AtOutcome,
    CallsOutcome,
    Participant,
    PartnerAssessment,
)
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.delegation.answers import Answers
from desktop_app.services.delegation.checks import uk_day
from desktop_app.services.framework.person_centred import (
    ASSESSMENT_KIND_LABELS,
    ASSESSMENT_STEPS,
    PARTICIPANT_LABELS,
)

TEXT_LIMIT = 4000
NAME_LIMIT = 200
BACK_TO_S9 = "go back to S9 (Does it fit the plan?)"
BACK_TO_S6 = "go back to S6 (Consent)"
# S6's answer keys for what matters, the WhatMatters column each fills, and its words.
WHAT_MATTERS_KEYS = (("person_words", "own_words", "The person's own words"),
                     ("strengths", "strengths", "Their strengths"),
                     ("self_care", "self_care", "What they do for themselves"))
_PARTICIPANTS = frozenset(p.value for p in Participant)
_AT_OUTCOMES = frozenset(o.value for o in AtOutcome)
_CALLS_OUTCOMES = frozenset(o.value for o in CallsOutcome)


def _one_of(value: Any, allowed: frozenset[str]) -> bool:
    return isinstance(value, str) and value in allowed


def _text(given: Mapping[str, Any], key: str, step: str, what: str, back: str,
          limit: int = TEXT_LIMIT) -> str:
    """A typed answer, trimmed ("" when not given); refused when not words or too long."""
    value = given.get(key)
    if value is None:
        return ""
    if not isinstance(value, str):
        raise ValidationError(f"{what}: enter words; {back}.", field=f"{step}.{key}")
    value = value.strip()
    if len(value) > limit:
        raise ValidationError(f"{what}: keep it under {limit:,} characters ({len(value):,} "
                              f"now); {back}.", field=f"{step}.{key}")
    return value


# ---------------------------------------------------------------- what matters (S6)


def what_matters_values(s6: Mapping[str, Any]) -> dict[str, Any] | None:
    """S6's what-matters answers as the ``WhatMatters`` row's values (trimmed; an empty
    text is None), or None when none was given (what is on file then stands). Who took
    part is required once any words are given."""
    words = {column: _text(s6, key, "S6", what, BACK_TO_S6) or None
             for key, column, what in WHAT_MATTERS_KEYS}
    took_part = _took_part(s6.get("took_part"))
    if not any(words.values()) and not took_part:
        return None
    if not took_part:
        raise ValidationError("Say who took part in the conversation about what matters to "
                              f"the person; {BACK_TO_S6}.", field="S6.took_part")
    return {**words, "took_part": took_part}


def _took_part(given: Any) -> list[dict[str, str]]:
    """Who took part, as [{"kind", "name"}] in the order given: known kinds, names trimmed
    and short, nobody twice."""
    if given is None:
        return []
    if not isinstance(given, list | tuple):
        raise ValidationError(f"Who took part: choose from the list; {BACK_TO_S6}.",
                              field="S6.took_part")
    kept: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for entry in given:
        if not isinstance(entry, Mapping) or not _one_of(entry.get("kind"), _PARTICIPANTS):
            raise ValidationError(f"Who took part: choose each from the list; {BACK_TO_S6}.",
                                  field="S6.took_part")
        kind = str(entry["kind"])
        name = entry.get("name")
        name = name.strip() if isinstance(name, str) else ""
        if len(name) > NAME_LIMIT:
            raise ValidationError(f"Who took part: a name is at most {NAME_LIMIT} characters; "
                                  f"{BACK_TO_S6}.", field="S6.took_part")
        if (kind, name.casefold()) in seen:
            label = PARTICIPANT_LABELS[kind] + (f" ({name})" if name else "")
            raise ValidationError(f"Who took part: {label} is listed twice; {BACK_TO_S6}.",
                                  field="S6.took_part")
        seen.add((kind, name.casefold()))
        kept.append({"kind": kind, "name": name})
    return kept


# ---------------------------------------------------------------- resources (S9)


def resources_values(s9: Mapping[str, Any]) -> dict[str, Any]:
    """S9's efficient use of resources as the delegation case's column values: assistive
    technology considered (which, what came of it and why; or why not) and the call
    frequency reviewed (what it found, a note). Each missing answer refused by name."""
    considered = s9.get("at_considered")
    if not isinstance(considered, bool):
        raise ValidationError("Say whether assistive technology (a pill dispenser, a pen "
                              f"with dose memory, telecare) was considered; {BACK_TO_S9}.",
                              field="S9.at_considered")
    values: dict[str, Any] = {"at_considered": considered, "at_kind": None,
                              "at_outcome": None}
    if considered:
        values["at_kind"] = _text(s9, "at_kind", "S9", "Which assistive technology",
                                  BACK_TO_S9, NAME_LIMIT) or None
        if values["at_kind"] is None:
            raise ValidationError("Say which assistive technology was considered; "
                                  f"{BACK_TO_S9}.", field="S9.at_kind")
        if not _one_of(s9.get("at_outcome"), _AT_OUTCOMES):
            raise ValidationError("Say what came of considering assistive technology (in "
                                  "place, to be tried, not suitable, or the person did not "
                                  f"want it); {BACK_TO_S9}.", field="S9.at_outcome")
        values["at_outcome"] = str(s9["at_outcome"])
    values["at_reason"] = _text(s9, "at_reason", "S9", "Why", BACK_TO_S9) or None
    if values["at_reason"] is None:
        why = ("Say why it came to that (for example why it is not suitable)" if considered
               else "Say why assistive technology was not considered")
        raise ValidationError(f"{why}; {BACK_TO_S9}.", field="S9.at_reason")
    reviewed = s9.get("calls_reviewed")
    if not isinstance(reviewed, bool):
        raise ValidationError("Say whether the call frequency was reviewed (can the task fit "
                              f"an existing call?); {BACK_TO_S9}.", field="S9.calls_reviewed")
    values["calls_reviewed"], values["calls_outcome"] = reviewed, None
    if reviewed:
        if not _one_of(s9.get("calls_outcome"), _CALLS_OUTCOMES):
            raise ValidationError("Say what the review of call frequency found; "
                                  f"{BACK_TO_S9}.", field="S9.calls_outcome")
        values["calls_outcome"] = str(s9["calls_outcome"])
    values["calls_note"] = _text(s9, "calls_note", "S9", "The note on call frequency",
                                 BACK_TO_S9) or None
    return values


# ---------------------------------------------------------------- trusted assessment


@dataclass(frozen=True)
class Reuse:
    """A step's reused assessment, checked: one on file (``assessment_id``) or one typed
    (``typed``: the ``PartnerAssessment`` column values)."""

    step: str
    kind: str
    assessment_id: str | None = None
    typed: dict[str, Any] | None = None


def reuses_on_route(answers: Answers, path: tuple[str, ...] | list[str],
                    today: dt.date) -> list[Reuse]:
    """The reused assessments of the steps on the route that may reuse one, checked as far
    as the answers go (an id is checked against the record by ``record_reuses``)."""
    reuses = []
    for step, kind in ASSESSMENT_STEPS.items():
        given = answers.get(step, {}).get("reused_assessment") if step in path else None
        if not given:
            continue
        field = f"{step}.reused_assessment"
        if not isinstance(given, Mapping):
            raise ValidationError(f"The assessment reused on {step} is not readable; go back "
                                  f"to {step} and choose it again.", field=field)
        if given.get("id"):
            reuses.append(Reuse(step, str(kind), assessment_id=str(given["id"])))
        else:
            reuses.append(Reuse(step, str(kind), typed=_typed(step, str(kind), given, today)))
    return reuses


def _typed(step: str, kind: str, given: Mapping[str, Any], today: dt.date) -> dict[str, Any]:
    """A partner's assessment typed in the wizard: of the kind the step asks about, with the
    organisation, the assessor and a date not in the future."""
    field, back = f"{step}.reused_assessment", f"go back to {step}"
    words = ASSESSMENT_KIND_LABELS[kind]
    if given.get("kind") not in (None, "", kind):
        raise ValidationError(f"On {step} only a {words} can be reused; {back}.", field=field)
    missing = [what for key, what in (("organisation", "the organisation that made it"),
                                      ("assessor", "who assessed"),
                                      ("assessed_on", "the date of the assessment"))
               if not str(given.get(key) or "").strip()]
    if missing:
        raise ValidationError(f"The {words} reused on {step} needs {' and '.join(missing)}; "
                              f"{back}.", field=field)
    values = {key: _text(given, key, step, what, back, NAME_LIMIT)
              for key, what in (("organisation", "The organisation"),
                                ("assessor", "Who assessed"))}
    try:
        assessed_on = dt.date.fromisoformat(str(given["assessed_on"]))
    except ValueError:
        raise ValidationError(f"The date of the {words} reused on {step} is not a date; "
                              f"{back}.", field=field) from None
    if assessed_on > today:
        raise ValidationError(f"The {words} reused on {step} is dated {uk_day(assessed_on)}, "
                              f"after today; {back} and check the date.", field=field)
    summary = _text(given, "summary", step, "What the assessment found", back) or None
    return {**values, "kind": kind, "assessed_on": assessed_on, "summary": summary}


def record_reuses(session: Session, person_id: str, case_id: str, reuses: list[Reuse],
                  recorded_by: str, today: dt.date) -> None:
    """One ``AssessmentReuse`` per reused assessment, with its age on ``today``: one on file
    must be this person's, of the kind the step asks about, and dated by ``today`` (hazard
    H-015: never another person's); one typed is written to the record first (or the same
    one already there is reused)."""
    for reuse in reuses:
        if reuse.assessment_id is not None:
            assessment = _on_file(session, person_id, reuse, today)
        else:
            assessment = _typed_row(session, person_id, reuse.typed or {}, recorded_by)
        session.add(AssessmentReuse(
            assessment_id=assessment.id, delegation_case_id=case_id, step=reuse.step,
            reused_on=today, age_days=(today - assessment.assessed_on).days))


def _on_file(session: Session, person_id: str, reuse: Reuse,
             today: dt.date) -> PartnerAssessment:
    row = session.get(PartnerAssessment, reuse.assessment_id)
    field, back = f"{reuse.step}.reused_assessment", f"go back to {reuse.step}"
    if row is None or row.deleted or row.person_id != person_id:
        raise ValidationError(f"The assessment reused on {reuse.step} is not on this person's "
                              f"record; {back} and choose it again.", field=field)
    if row.kind != reuse.kind:
        raise ValidationError(
            f"The assessment reused on {reuse.step} is a "
            f"{ASSESSMENT_KIND_LABELS.get(row.kind, row.kind)}; {reuse.step} can reuse only a "
            f"{ASSESSMENT_KIND_LABELS[reuse.kind]}; {back}.", field=field)
    if row.assessed_on > today:
        raise ValidationError(f"The assessment reused on {reuse.step} is dated "
                              f"{uk_day(row.assessed_on)}, after the decision; {back}.",
                              field=field)
    return row


def _typed_row(session: Session, person_id: str, values: dict[str, Any],
               recorded_by: str) -> PartnerAssessment:
    """The typed assessment as a row on the person's record: the same one (kind,
    organisation, assessor, date) already there, else a new one."""
    same = session.scalars(select(PartnerAssessment).where(
        PartnerAssessment.person_id == person_id, ~PartnerAssessment.deleted,
        PartnerAssessment.kind == values["kind"],
        PartnerAssessment.assessed_on == values["assessed_on"])).all()
    for row in same:
        if (row.organisation.casefold(), row.assessor.casefold()) == (
                values["organisation"].casefold(), values["assessor"].casefold()):
            return row
    row = PartnerAssessment(person_id=person_id, recorded_by_name=recorded_by, **values)
    session.add(row)
    session.flush()
    return row
