"""What matters to the person and partners' assessments, on the person's record.

The framework's principles as a person's records (Part A section 3, section 4). The
functions taking a ``Session`` are for other services inside their own unit of work (the
wizard's context, the decision, the person record); the actions a user takes open their
own: ``EDIT_PEOPLE`` to change, anyone signed in reads (governance reads, changes nothing).

- What matters: the person's own words, their strengths, what they do for themselves, and
  who took part in the conversation (required once any words are given). One row per
  person; an edit opened at an older version is refused (the wizard's decision may have
  saved it meanwhile); saved unchanged, nothing is written.
- A partner's assessment on file (trusted assessment): which kind, which organisation,
  who, when; listed with its age and how many delegations reused it. One recorded by
  mistake (a wrong date, the wrong person) is removed with its reason
  (``remove_assessment``, ``removal``): the wizard no longer offers it, and a delegation
  that reused it keeps it as it was decided.

The Care Act eligibility screen is in ``eligibility_screen`` and signposting (Make Every
Contact Count) in ``signposting``; their names are re-exported here, so the person's records
are all at hand from this module.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass

from sqlalchemy import func, select
from sqlalchemy.orm import Session

from desktop_app.models.person_centred import (
    AssessmentKind,
    AssessmentReuse,
    EligibilityScreen,
    Participant,
    PartnerAssessment,
    WhatMatters,
    what_matters_id,
)
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.tracking import apply_edit
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.delegation_context import (
    AssessmentOnFile,
    EligibilityOnFile,
    WhatMattersOnFile,
)
from desktop_app.services.framework.person_centred import (
    ASSESSMENT_KIND_LABELS,
    age_in_words,
    is_stale,
    participant_words,
)
from desktop_app.services.people.eligibility_screen import (
    EligibilityInput,
    EligibilityRow,
    check_eligibility,
    eligibility_screens,
    eligibility_suggestion,
    record_eligibility,
    remove_eligibility_screen,
)
from desktop_app.services.people.entry_checks import (
    NAME_LIMIT,
    TEXT_LIMIT,
    check_day,
    check_length,
    one_line,
    person_born_by,
    person_on_caseload,
    text_or_none,
)
from desktop_app.services.people.removal import remove_by_mistake
from desktop_app.services.people.signposting import (
    ServiceOption,
    SignpostingInput,
    SignpostingRow,
    add_signposting_service,
    check_signposting,
    record_signposting,
    remove_signposting,
    signposting_for,
    signposting_services,
)

__all__ = [
    "AssessmentInput",
    "AssessmentRow",
    "EligibilityInput",
    "EligibilityRow",
    "ServiceOption",
    "SignpostingInput",
    "SignpostingRow",
    "WhatMattersInput",
    "WhatMattersView",
    "add_signposting_service",
    "assessment_rows",
    "assessments_for",
    "assessments_on_file",
    "check_assessment",
    "check_eligibility",
    "check_signposting",
    "check_what_matters",
    "eligibility_screens",
    "eligibility_suggestion",
    "latest_eligibility",
    "record_assessment",
    "record_eligibility",
    "record_signposting",
    "remove_assessment",
    "remove_eligibility_screen",
    "remove_signposting",
    "save_what_matters",
    "signposting_for",
    "signposting_services",
    "what_matters",
    "what_matters_on_file",
    "what_matters_view",
    "write_assessment",
    "write_what_matters",
]


# ---------------------------------------------------------------- in-session helpers


def what_matters_on_file(session: Session, person_id: str) -> WhatMattersOnFile | None:
    """What matters to the person as recorded, or None when nothing is."""
    row = session.get(WhatMatters, what_matters_id(person_id))
    if row is None or row.deleted:
        return None
    return WhatMattersOnFile(row.own_words or "", row.strengths or "", row.self_care or "",
                             tuple({"kind": str(p.get("kind", "")), "name": str(p.get("name", ""))}
                                   for p in row.took_part),
                             row.recorded_on, row.recorded_by_name, row.version)


def write_what_matters(session: Session, person_id: str, values: dict[str, object],
                       recorded_by: str, today: dt.date) -> WhatMatters:
    """Keep what matters to the person (checked ``values``: ``own_words``, ``strengths``,
    ``self_care``, ``took_part``) in their one row, made on first use."""
    row = session.get(WhatMatters, what_matters_id(person_id))
    if row is None:
        row = WhatMatters(id=what_matters_id(person_id), person_id=person_id)
        session.add(row)
    for name, value in values.items():
        setattr(row, name, value)
    row.deleted = False
    row.recorded_on, row.recorded_by_name = today, recorded_by
    session.flush()
    return row


def assessments_on_file(session: Session, person_id: str) -> tuple[AssessmentOnFile, ...]:
    """The partners' assessments on the person's record, newest first."""
    rows = session.scalars(select(PartnerAssessment).where(
        PartnerAssessment.person_id == person_id, ~PartnerAssessment.deleted)
        .order_by(PartnerAssessment.assessed_on.desc(), PartnerAssessment.created_at.desc()))
    return tuple(AssessmentOnFile(a.id, a.kind, a.organisation, a.assessor, a.assessed_on,
                                  a.summary or "") for a in rows)


def latest_eligibility(session: Session, person_id: str) -> EligibilityOnFile | None:
    """The person's latest Care Act eligibility screen, or None."""
    row = session.scalar(select(EligibilityScreen).where(
        EligibilityScreen.person_id == person_id, ~EligibilityScreen.deleted)
        .order_by(EligibilityScreen.screened_on.desc(), EligibilityScreen.created_at.desc())
        .limit(1))
    if row is None:
        return None
    return EligibilityOnFile(row.screened_on, row.suggestion, row.decision, row.decision_reason,
                             row.decided_by_name, tuple(o for o, why in row.unable.items() if why))


# ---------------------------------------------------------------- what matters


@dataclass(frozen=True)
class WhatMattersInput:
    """What matters to the person as typed: ``took_part`` holds (Participant value, name)."""

    own_words: str | None = None
    strengths: str | None = None
    self_care: str | None = None
    took_part: tuple[tuple[str, str], ...] = ()


@dataclass(frozen=True)
class WhatMattersView(WhatMattersInput):
    """What matters to the person as recorded, with the version an edit is opened at."""

    person_id: str = ""
    took_part_words: str = ""  # "The person; Family (Mary)"
    recorded_on: dt.date | None = None
    recorded_by: str = ""
    version: int = 0

    def as_input(self) -> WhatMattersInput:
        """The record as the form edits it."""
        return WhatMattersInput(self.own_words, self.strengths, self.self_care, self.took_part)


_WORDS = ("own_words", "strengths", "self_care")


def _took_part(pairs: tuple[tuple[str, str], ...]) -> list[dict[str, str]]:
    kept: list[dict[str, str]] = []
    seen: set[tuple[str, str]] = set()
    for kind, typed in pairs:
        kind, name = (kind or "").strip(), one_line(typed)
        if not kind and not name:
            continue  # a row of the form left blank
        if kind not in Participant._value2member_map_:
            raise ValidationError("For each one who took part, choose who they are: the person, "
                                  "family, a carer, an advocate, an attorney or deputy, or "
                                  "someone else.", field="took_part")
        check_length(name, NAME_LIMIT, "took_part")
        if (kind, name.casefold()) in seen:
            raise ValidationError("Someone is listed twice among who took part; take one out.",
                                  field="took_part")
        seen.add((kind, name.casefold()))
        kept.append({"kind": kind, "name": name})
    return kept


def check_what_matters(data: WhatMattersInput) -> dict[str, object]:
    """The column values of what matters to the person (``own_words``, ``strengths``,
    ``self_care``, ``took_part``); ValidationError names the first bad field. Everything may
    be left empty, but words need who took part in the conversation."""
    values: dict[str, object] = {}
    for name in _WORDS:
        values[name] = text_or_none(getattr(data, name))
        check_length(str(values[name] or ""), TEXT_LIMIT, name)
    values["took_part"] = _took_part(tuple(data.took_part))
    if any(values[name] for name in _WORDS) and not values["took_part"]:
        raise ValidationError("Say who took part in the conversation.", field="took_part")
    return values


def _view(row: WhatMatters) -> WhatMattersView:
    pairs = tuple((str(p.get("kind", "")), str(p.get("name", ""))) for p in row.took_part)
    return WhatMattersView(row.own_words or "", row.strengths or "", row.self_care or "", pairs,
                           row.person_id, participant_words(list(row.took_part)),
                           row.recorded_on, row.recorded_by_name, row.version)


def what_matters_view(session: Session, person_id: str) -> WhatMattersView | None:
    """In a unit of work: what matters to the person, or None when nothing is recorded."""
    row = session.get(WhatMatters, what_matters_id(person_id))
    return None if row is None or row.deleted else _view(row)


def what_matters(uow: UnitOfWork, person_id: str) -> WhatMattersView | None:
    """What matters to the person as recorded (None when nothing is), with its version."""
    with uow.read() as session:
        return what_matters_view(session, person_id)


def save_what_matters(uow: UnitOfWork, person_id: str, data: WhatMattersInput, recorded_by: str,
                      expected_version: int, today: dt.date | None = None
                      ) -> WhatMattersView | None:
    """Save what matters to the person, as edited from ``expected_version`` (0 when nothing
    was on file). Refused when it was saved again since (a delegation's decision or a sync);
    saved unchanged, nothing is written. Returns the record as saved (None when nothing was
    on file and nothing was typed)."""
    require(uow, Permission.EDIT_PEOPLE)
    values = check_what_matters(data)
    today = today or dt.date.today()
    with uow.begin() as session:
        person_on_caseload(session, person_id)
        row = session.get(WhatMatters, what_matters_id(person_id))
        if row is not None and not row.deleted:
            changed = any(getattr(row, name) != value for name, value in values.items())
            apply_edit(row, expected_version, values,
                       "What matters to the person was saved again since you opened it (a "
                       "delegation or a sync may have changed it). Reopen the person's record "
                       "to see it; your typing is still on screen.")
            if changed:
                row.recorded_on, row.recorded_by_name = today, recorded_by
        elif any(values.values()):
            row = write_what_matters(session, person_id, values, recorded_by, today)
        else:
            return None
        session.flush()
        return _view(row)


# ---------------------------------------------------------------- partners' assessments


@dataclass(frozen=True)
class AssessmentInput:
    """A partner's assessment as typed (``kind`` an AssessmentKind value)."""

    kind: str
    organisation: str
    assessor: str
    assessed_on: dt.date | None
    summary: str | None = None


@dataclass(frozen=True)
class AssessmentRow:
    """A partner's assessment on the person's record, with its age and its reuse."""

    id: str
    kind: str
    kind_label: str
    organisation: str
    assessor: str
    assessed_on: dt.date
    summary: str
    recorded_by: str
    age_words: str  # "4 months old"
    stale: bool  # old enough to check it still holds before reusing it
    times_reused: int  # by how many delegations


def check_assessment(data: AssessmentInput, today: dt.date) -> dict[str, object]:
    """The column values of a partner's assessment; ValidationError names the first bad
    field (in the form's order)."""
    if data.kind not in AssessmentKind._value2member_map_:
        raise ValidationError("Choose what kind of assessment it is.", field="kind")
    values: dict[str, object] = {"kind": data.kind, "organisation": one_line(data.organisation),
                                 "assessor": one_line(data.assessor),
                                 "summary": text_or_none(data.summary)}
    if not values["organisation"]:
        raise ValidationError("Say which organisation made the assessment.",
                              field="organisation")
    check_length(str(values["organisation"]), NAME_LIMIT, "organisation")
    if not values["assessor"]:
        raise ValidationError("Give the name of who made the assessment.", field="assessor")
    check_length(str(values["assessor"]), NAME_LIMIT, "assessor")
    values["assessed_on"] = check_day(data.assessed_on, "assessed_on", "of the assessment",
                                      today)
    check_length(str(values["summary"] or ""), TEXT_LIMIT, "summary")
    return values


def write_assessment(session: Session, person_id: str, values: dict[str, object],
                     recorded_by: str) -> PartnerAssessment:
    """In a unit of work: keep a partner's assessment (``check_assessment``'s values) on the
    person's record (the wizard's decision keeps one typed in the wizard this way)."""
    person_born_by(session, person_id, values["assessed_on"], "assessed_on",
                   "of the assessment")
    row = PartnerAssessment(person_id=person_id, recorded_by_name=recorded_by, **values)
    session.add(row)
    session.flush()
    return row


def record_assessment(uow: UnitOfWork, person_id: str, data: AssessmentInput, recorded_by: str,
                      today: dt.date | None = None) -> str:
    """Keep another partner's assessment on the person's record; returns its id."""
    require(uow, Permission.EDIT_PEOPLE)
    values = check_assessment(data, today or dt.date.today())
    with uow.begin() as session:
        return write_assessment(session, person_id, values, recorded_by).id


def remove_assessment(uow: UnitOfWork, assessment_id: str, reason: str | None,
                      today: dt.date | None = None) -> None:
    """Take a partner's assessment recorded by mistake off the person's record (a
    tombstone, so it syncs); the reason, required, is added to its summary. The wizard no
    longer offers it; a delegation that reused it keeps it as it was decided."""
    remove_by_mistake(uow, PartnerAssessment, assessment_id, reason, "summary",
                      "That assessment is no longer on the record; it may have been removed.",
                      today)


def assessment_rows(session: Session, person_id: str, today: dt.date
                    ) -> tuple[AssessmentRow, ...]:
    """In a unit of work: the person's partner assessments, newest first (one query)."""
    reused = (select(func.count()).select_from(AssessmentReuse)
              .where(AssessmentReuse.assessment_id == PartnerAssessment.id,
                     ~AssessmentReuse.deleted)
              .correlate(PartnerAssessment).scalar_subquery())
    found = session.execute(select(PartnerAssessment, reused).where(
        PartnerAssessment.person_id == person_id, ~PartnerAssessment.deleted)
        .order_by(PartnerAssessment.assessed_on.desc(), PartnerAssessment.created_at.desc()))
    return tuple(AssessmentRow(a.id, a.kind, ASSESSMENT_KIND_LABELS.get(a.kind, a.kind),
                               a.organisation, a.assessor, a.assessed_on, a.summary or "",
                               a.recorded_by_name, age_in_words(a.assessed_on, today),
                               is_stale(a.assessed_on, today), int(times or 0))
                 for a, times in found)


def assessments_for(uow: UnitOfWork, person_id: str, today: dt.date | None = None
                    ) -> tuple[AssessmentRow, ...]:
    """The partners' assessments on the person's record, newest first."""
    with uow.read() as session:
        return assessment_rows(session, person_id, today or dt.date.today())


