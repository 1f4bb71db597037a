"""The Care Act eligibility screen on the person's record (framework Part A section 4).

The ten outcomes screen of ``framework.eligibility``: whether the needs arise from an
impairment or illness, which outcomes the person cannot achieve (and how they are unable),
and whether there is a significant impact on their wellbeing. The software suggests
(``suggest_eligibility``); the practitioner decides, and the suggestion is stored beside the
decision. A decision needs its reason; one that goes against a complete suggestion is asked
to say why it differs. ``EDIT_PEOPLE`` records a screen, and removes one recorded by
mistake (``remove_eligibility_screen``: a tombstone, the reason kept on it, ``removal``);
anyone signed in reads them.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Collection, Mapping
from dataclasses import dataclass

from sqlalchemy import select
from sqlalchemy.orm import Session

from desktop_app.models.person_centred import (
    EligibilityDecision,
    EligibilityScreen,
    EligibilitySuggestionCode,
)
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.eligibility import (
    OUTCOME_LABELS,
    EligibilityAnswers,
    EligibilitySuggestion,
    Outcome,
    UnableReason,
    suggest_eligibility,
)
from desktop_app.services.framework.person_centred import (
    ELIGIBILITY_DECISION_LABELS,
    SUGGESTION_LABELS,
)
from desktop_app.services.people.entry_checks import (
    TEXT_LIMIT,
    check_day,
    check_length,
    person_born_by,
    text_or_none,
)
from desktop_app.services.people.removal import remove_by_mistake


@dataclass(frozen=True)
class EligibilityInput:
    """The eligibility screen as answered: ``unable`` maps each outcome (``Outcome`` value)
    the person cannot achieve to the ways they are unable (``UnableReason`` values); an
    outcome not in it (or with no way ticked) can be achieved. None: not answered yet."""

    screened_on: dt.date | None
    needs_from_impairment: bool | None
    unable: Mapping[str, Collection[str]]
    significant_impact: bool | None
    decision: str | None = None  # EligibilityDecision value
    decision_reason: str | None = None


@dataclass(frozen=True)
class EligibilityRow:
    """An eligibility screen on the person's record: answers, suggestion and decision."""

    id: str
    screened_on: dt.date
    needs_from_impairment: bool | None
    significant_impact: bool | None
    unable: tuple[tuple[str, tuple[str, ...]], ...]  # (Outcome value, UnableReason values)
    outcomes_unable: tuple[str, ...]  # the outcomes they cannot achieve, in words
    suggestion: str  # EligibilitySuggestionCode value, as stored
    suggestion_label: str
    suggestion_reasons: tuple[str, ...]  # worked out again from the stored answers
    decision: str
    decision_label: str
    decision_reason: str
    decided_by: str
    differs: bool  # the decision goes against a complete suggestion


_UNKNOWN_CODE = ("An outcome or a way of being unable that was ticked is not one of the Care "
                 "Act's; tick the outcomes again.")
_OUTCOMES = Outcome._value2member_map_
_REASONS = UnableReason._value2member_map_


def _unable(unable: Mapping[str, Collection[str]], strict: bool
            ) -> dict[Outcome, frozenset[UnableReason]]:
    """The outcomes ticked with their ways of being unable (an outcome with none ticked does
    not count). An unknown code is refused (``strict``) or passed over (a screen synced
    from a newer version of the app)."""
    kept: dict[Outcome, frozenset[UnableReason]] = {}
    for outcome, reasons in unable.items():
        given = set() if isinstance(reasons, str) else set(reasons)
        if strict and (outcome not in _OUTCOMES or isinstance(reasons, str)
                       or not given <= _REASONS.keys()):
            raise ValidationError(_UNKNOWN_CODE, field="unable")
        known = frozenset(UnableReason(r) for r in given if r in _REASONS)
        if outcome in _OUTCOMES and known:
            kept[Outcome(outcome)] = known
    return kept


def _suggest(needs: bool | None, unable: dict[Outcome, frozenset[UnableReason]],
             impact: bool | None) -> EligibilitySuggestion:
    return suggest_eligibility(EligibilityAnswers(needs, unable, impact))


def eligibility_suggestion(data: EligibilityInput) -> EligibilitySuggestion:
    """What the answers so far suggest (the practitioner decides); an unknown outcome or
    way of being unable is refused naming the field ``unable``."""
    return _suggest(data.needs_from_impairment, _unable(data.unable, strict=True),
                    data.significant_impact)


def decision_differs(suggestion: str, decision: str) -> bool:
    """Whether a decision goes against a complete suggestion (an incomplete one never)."""
    return (suggestion, decision) in {
        (EligibilitySuggestionCode.LIKELY_ELIGIBLE.value, EligibilityDecision.NOT_ELIGIBLE.value),
        (EligibilitySuggestionCode.LIKELY_NOT_ELIGIBLE.value, EligibilityDecision.ELIGIBLE.value)}


def check_eligibility(data: EligibilityInput, today: dt.date) -> dict[str, object]:
    """The column values of an eligibility screen, the suggestion among them; ValidationError
    names the first bad field (in the form's order)."""
    screened_on = check_day(data.screened_on, "screened_on", "of the screen", today)
    unable = _unable(data.unable, strict=True)
    suggestion = _suggest(data.needs_from_impairment, unable, data.significant_impact).status
    decision = data.decision or ""
    if decision not in EligibilityDecision._value2member_map_:
        raise ValidationError("Record your decision: eligible or not eligible (the screen "
                              "only suggests).", field="decision")
    reason = text_or_none(data.decision_reason)
    if not reason:
        label = SUGGESTION_LABELS[suggestion].lower()
        raise ValidationError(f"Say why your decision differs from the suggestion ({label})."
                              if decision_differs(suggestion.value, decision)
                              else "Say why you decided this.", field="decision_reason")
    check_length(reason, TEXT_LIMIT, "decision_reason")
    return {"screened_on": screened_on, "needs_from_impairment": data.needs_from_impairment,
            "unable": {o.value: [r.value for r in UnableReason if r in unable[o]]
                       for o in Outcome if o in unable},
            "significant_impact": data.significant_impact, "suggestion": suggestion.value,
            "decision": decision, "decision_reason": reason}


def record_eligibility(uow: UnitOfWork, person_id: str, data: EligibilityInput, decided_by: str,
                       today: dt.date | None = None) -> str:
    """Keep an eligibility screen, its suggestion and the practitioner's decision on the
    person's record; returns its id."""
    require(uow, Permission.EDIT_PEOPLE)
    values = check_eligibility(data, today or dt.date.today())
    with uow.begin() as session:
        person_born_by(session, person_id, values["screened_on"], "screened_on",
                       "of the screen")
        row = EligibilityScreen(person_id=person_id, decided_by_name=decided_by, **values)
        session.add(row)
        session.flush()
        return row.id


def remove_eligibility_screen(uow: UnitOfWork, screen_id: str, reason: str | None,
                              today: dt.date | None = None) -> None:
    """Take an eligibility screen recorded by mistake off the person's record (a tombstone,
    so it syncs); the reason, required, is added to the screen's reason for the decision.
    The wizard (S1, S5) then shows the latest screen still on the record, if any."""
    remove_by_mistake(uow, EligibilityScreen, screen_id, reason, "decision_reason",
                      "That eligibility screen is no longer on the record; it may have been "
                      "removed.", today)


def _row(row: EligibilityScreen) -> EligibilityRow:
    stored = {str(o): tuple(why) for o, why in (row.unable or {}).items()
              if why and not isinstance(why, str)}
    again = _suggest(row.needs_from_impairment, _unable(stored, strict=False),
                     row.significant_impact)
    return EligibilityRow(
        row.id, row.screened_on, row.needs_from_impairment, row.significant_impact,
        tuple(stored.items()),
        tuple(OUTCOME_LABELS[Outcome(o)] if o in _OUTCOMES else o for o in stored),
        row.suggestion, SUGGESTION_LABELS.get(row.suggestion, row.suggestion), again.reasons,
        row.decision, ELIGIBILITY_DECISION_LABELS.get(row.decision, row.decision),
        row.decision_reason, row.decided_by_name, decision_differs(row.suggestion, row.decision))


def eligibility_rows(session: Session, person_id: str) -> tuple[EligibilityRow, ...]:
    """In a unit of work: the person's eligibility screens, newest first (one query)."""
    return tuple(_row(row) for row in session.scalars(select(EligibilityScreen).where(
        EligibilityScreen.person_id == person_id, ~EligibilityScreen.deleted)
        .order_by(EligibilityScreen.screened_on.desc(), EligibilityScreen.created_at.desc())))


def eligibility_screens(uow: UnitOfWork, person_id: str) -> tuple[EligibilityRow, ...]:
    """The person's Care Act eligibility screens, newest first."""
    with uow.read() as session:
        return eligibility_rows(session, person_id)
