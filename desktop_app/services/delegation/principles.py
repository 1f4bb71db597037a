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

What matters and a typed assessment are checked by the person record's own checks
(``services.people.person_centred``), their refusals named by the wizard's field.
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
    PartnerAssessment,
    WhatMatters,
    what_matters_id,
)
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.delegation.answers import Answers
from desktop_app.services.delegation.checks import uk_day
from desktop_app.services.framework.person_centred import (
    ASSESSMENT_KIND_LABELS,
    ASSESSMENT_STEPS,
)
from desktop_app.services.people.entry_checks import NAME_LIMIT, TEXT_LIMIT
from desktop_app.services.people.person_centred import (
    AssessmentInput,
    WhatMattersInput,
    check_assessment,
    check_what_matters,
    write_assessment,
    write_what_matters,
)

BACK_TO_S9 = "go back to S9 (Does it fit the plan?)"
BACK_TO_S6 = "go back to S6 (Consent)"
# S6's answer keys for what matters, the WhatMatters column each fills, and its words.
WHAT_MATTERS_KEYS = (("person_words", "own_words", "The person's own words"),
                     ("strengths", "strengths", "Their strengths"),
                     ("self_care", "self_care", "What they do for themselves"))
# check_what_matters' field names as S6's answer keys.
S6_KEYS = {column: key for key, column, _what in WHAT_MATTERS_KEYS} | {"took_part": "took_part"}
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
    """S6's what-matters answers as the ``WhatMatters`` row's values, checked as the person
    record's own form checks them (``check_what_matters``: who took part is required once
    any words are given), or None when none was given (what is on file then stands)."""
    words = {column: s6.get(key) for key, column, _what in WHAT_MATTERS_KEYS}
    given = s6.get("took_part")
    if given is not None and (not isinstance(given, list | tuple) or not all(
            isinstance(entry, Mapping) for entry in given)):
        raise ValidationError(f"Who took part: choose from the list; {BACK_TO_S6}.",
                              field="S6.took_part")
    for key, column, what in WHAT_MATTERS_KEYS:
        if words[column] is not None and not isinstance(words[column], str):
            raise ValidationError(f"{what}: enter words; {BACK_TO_S6}.", field=f"S6.{key}")
    pairs = tuple((str(e.get("kind") or ""), str(e.get("name") or "")) for e in given or ())
    try:
        values = check_what_matters(WhatMattersInput(
            words["own_words"], words["strengths"], words["self_care"], pairs))
    except ValidationError as err:
        key = S6_KEYS.get(err.field or "", "took_part")
        raise ValidationError(f"{err.message.rstrip('.')}; {BACK_TO_S6}.",
                              field=f"S6.{key}") from None
    if not any(values.values()):
        return None
    return values


def keep_what_matters(session: Session, person_id: str, values: dict[str, Any],
                      s6: Mapping[str, Any], recorded_by: str, today: dt.date) -> None:
    """Keep S6's what matters on the person's record, unless the record says the same
    already (nothing is restamped). Refused when the record was changed since the version
    S6's words started from (``what_matters_from``): the decision must never write an
    older copy over words a colleague saved meanwhile (the nurse chooses on S6)."""
    row = session.get(WhatMatters, what_matters_id(person_id))
    if row is not None and not row.deleted:
        if {name: getattr(row, name) for name in values} == values:
            return
        started_from = s6.get("what_matters_from")  # the wizard always says; a caller
        if started_from is not None and started_from != row.version:  # not tracking: as given
            raise ValidationError(
                f"What matters to the person was changed on the person record by "
                f"{row.recorded_by_name} on {uk_day(row.recorded_on)}, after these words "
                f"were taken from it; {BACK_TO_S6} to see the record's words and choose.",
                field="S6.person_words")
    write_what_matters(session, person_id, values, recorded_by, today)


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
    """A partner's assessment typed in the wizard, checked as the person record's form
    checks one (``check_assessment``), and of the kind the step asks about."""
    field, back = f"{step}.reused_assessment", f"go back to {step}"
    words = ASSESSMENT_KIND_LABELS[kind]
    if given.get("kind") not in (None, "", kind):
        raise ValidationError(f"On {step} only a {words} can be reused; {back}.", field=field)
    try:
        assessed_on = dt.date.fromisoformat(str(given["assessed_on"])) \
            if given.get("assessed_on") else None
    except ValueError:
        raise ValidationError(f"The date of the {words} reused on {step} is not a date; "
                              f"{back}.", field=field) from None
    if assessed_on is not None and assessed_on > today:
        raise ValidationError(f"The {words} reused on {step} is dated {uk_day(assessed_on)}, "
                              f"after today; {back} and check the date.", field=field)
    texts = {key: given.get(key) for key in ("organisation", "assessor", "summary")}
    if any(v is not None and not isinstance(v, str) for v in texts.values()):
        raise ValidationError(f"The {words} reused on {step} is not readable; {back}.",
                              field=field)
    try:
        return check_assessment(AssessmentInput(kind, texts["organisation"] or "",
                                                texts["assessor"] or "", assessed_on,
                                                texts["summary"]), today)
    except ValidationError as err:
        said = err.message.rstrip(".")
        raise ValidationError(f"The {words} reused on {step}: {said[:1].lower()}{said[1:]}; "
                              f"{back}.", field=field) from None


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
            try:
                assessment = _typed_row(session, person_id, reuse.typed or {}, recorded_by)
            except ValidationError as err:  # e.g. dated before the person was born
                said = err.message.rstrip(".")
                raise ValidationError(
                    f"The {ASSESSMENT_KIND_LABELS[reuse.kind]} reused on {reuse.step}: "
                    f"{said[:1].lower()}{said[1:]}; go back to {reuse.step}.",
                    field=f"{reuse.step}.reused_assessment") from None
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
        if (row.organisation.casefold(), row.assessor.casefold(), row.summary or "") == (
                values["organisation"].casefold(), values["assessor"].casefold(),
                values["summary"] or ""):  # a summary typed differently is kept: a new row
            return row
    return write_assessment(session, person_id, values, recorded_by)
