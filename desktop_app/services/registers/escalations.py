"""Escalations: the shared care discussions open and closed, and closing one with its
decision and themes (with no identifying detail in the themes) and, if the partners agreed
one, the funding split from a day (``agreed_funding``): every decision is a
``DISCUSSION_DECIDED`` event in the delegation's history."""

from __future__ import annotations

import datetime as dt
import enum
import re
from collections.abc import Iterable, Sequence
from dataclasses import dataclass, replace
from typing import Any

from sqlalchemy import ColumnElement, func, select
from sqlalchemy.orm import Session, aliased

from desktop_app.models.case_example import CaseExample
from desktop_app.models.delegation import DelegationCase, OutcomeCode
from desktop_app.models.history import CaseEventKind
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.person import Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.models.task_type import TaskCategory, TaskType
from desktop_app.services.core.collation import by_name
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.roles import Permission, require
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation.history import record_event
from desktop_app.services.framework.funding import FUNDER_NAMES, format_pounds
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.registers.agreed_funding import (
    AgreedFunding,
    agreed_detail,
    carry_agreed,
    check_agreed,
)
from desktop_app.services.registers.common import (
    MAX_THEME_LENGTH,
    clean,
    person_name,
)
from desktop_app.services.vault.task_types import task_name_sql

# ---------------------------------------------------------------- escalations


class WaitingFor(enum.StrEnum):
    """What an open shared care discussion is waiting for."""

    MDT_CONSENSUS = "mdt_consensus"
    FUNDING_DECISION = "funding_decision"


@dataclass(frozen=True)
class EscalationRow:
    """An open shared care discussion, for the partners' two-weekly joint meeting."""

    discussion_id: str
    case_id: str
    person_id: str
    person_name: str
    nhs_number_display: str
    task_code: str
    task_name: str
    question: str
    waiting_for: WaitingFor
    opened_on: dt.date
    days_waiting: int
    interim_funder: Funder
    interim_funder_name: str
    interim_from: dt.date | None
    interim_pence_per_week: int | None
    interim_weekly: str
    escalated_to_mlcsu: bool
    dispute_reference: str | None
    themes: tuple[str, ...]
    # A joint-funding dispute routed to the CSU: when, and when its result came back.
    csu_routed_on: dt.date | None = None
    csu_result_on: dt.date | None = None
    # The delegation's funding lines on its newest plan version: (funder, pence a week), the
    # ICB first, and their method (what closing with an agreed split starts from).
    funding_shares: tuple[tuple[Funder, int], ...] = ()
    funding_method: str | None = None


def _interim_pence() -> ColumnElement[int | None]:
    """The weekly cost paid without prejudice: the unreconciled interim lines of the case's
    latest plan version (the interim funder pays all of it until the decision)."""
    newest = aliased(SupportPlan)
    latest_version = (select(func.max(newest.version_number))
                      .where(newest.delegation_case_id == DelegationCase.id, ~newest.deleted)
                      .correlate(DelegationCase).scalar_subquery())
    return (select(func.sum(FundingSplit.pence_per_week))
            .join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
            .where(SupportPlan.delegation_case_id == DelegationCase.id, ~SupportPlan.deleted,
                   SupportPlan.version_number == latest_version, ~FundingSplit.deleted,
                   FundingSplit.interim_without_prejudice, FundingSplit.reconciled_on.is_(None))
            .correlate(DelegationCase).scalar_subquery())


def escalations(uow: UnitOfWork, today: dt.date) -> list[EscalationRow]:
    """Open shared care discussions, the longest waiting first."""
    d = SharedCareDiscussion
    stmt = (
        select(d.id, DelegationCase.id, Person.id, Person.given_name, Person.family_name,
               Person.nhs_number, DelegationCase.task_code,
               task_name_sql(DelegationCase.task_code, DelegationCase.task_catalogue_version),
               d.question, d.opened_on, d.interim_funder, d.interim_from,
               func.coalesce(_interim_pence(), d.interim_pence_per_week),
               d.escalated_to_mlcsu, d.dispute_reference, d.themes, d.csu_routed_on,
               d.csu_result_on)
        .join(DelegationCase, DelegationCase.id == d.delegation_case_id)
        .join(Person, Person.id == DelegationCase.person_id)
        .where(d.closed_on.is_(None), ~d.deleted, ~DelegationCase.deleted, ~Person.deleted)
        .order_by(d.opened_on, by_name(Person.family_name), by_name(Person.given_name),
                  d.id))
    with uow.read() as session:
        rows = [_escalation_row(r, today) for r in session.execute(stmt)]
        lines = _newest_lines(session, [row.case_id for row in rows])
    return [replace(row, funding_shares=tuple(
        (Funder(line[0]), line[1]) for line in lines.get(row.case_id, ())),
        funding_method=next((line[2] for line in lines.get(row.case_id, ())), None))
        for row in rows]


def _newest_lines(session: Session, case_ids: Sequence[str]
                  ) -> dict[str, list[tuple[str, int, str]]]:
    """Case id → (funder, pence a week, method) of its lines on the newest plan version that
    has any, the ICB first."""
    if not case_ids:
        return {}
    stmt = (select(FundingSplit.delegation_case_id, SupportPlan.version_number,
                   FundingSplit.funder, FundingSplit.pence_per_week, FundingSplit.method)
            .join(SupportPlan, SupportPlan.id == FundingSplit.plan_id)
            .where(FundingSplit.delegation_case_id.in_(case_ids), ~FundingSplit.deleted,
                   ~SupportPlan.deleted))
    newest: dict[str, tuple[int, list[tuple[str, int, str]]]] = {}
    for case_id, version, funder, pence, method in session.execute(stmt):
        if case_id is None:
            continue
        kept = newest.get(case_id)
        if kept is None or version > kept[0]:
            newest[case_id] = kept = (version, [])
        if version == kept[0]:
            kept[1].append((funder, int(pence), method))
    return {case_id: sorted(lines, key=lambda line: (line[0] != Funder.ICB.value, line[0]))
            for case_id, (_version, lines) in newest.items()}


def _escalation_row(r: Sequence[Any], today: dt.date) -> EscalationRow:
    funder = Funder(r[10])
    themes = tuple(str(t) for t in (r[15] or ()))
    funding = bool(r[13]) or "funding" in themes
    pence = None if r[12] is None else int(r[12])
    return EscalationRow(
        r[0], r[1], r[2], person_name(r[3], r[4]), format_nhs_number(r[5]), r[6], r[7], r[8],
        WaitingFor.FUNDING_DECISION if funding else WaitingFor.MDT_CONSENSUS, r[9],
        max(0, (today - r[9]).days), funder, FUNDER_NAMES[funder], r[11], pence,
        "" if pence is None else format_pounds(pence), bool(r[13]), r[14], themes, r[16], r[17])


@dataclass(frozen=True)
class ClosedDiscussion:
    """A shared care discussion closed with its decision, and the case example made, if any."""

    discussion_id: str
    closed_on: dt.date
    case_example_id: str | None
    # The support plan version that carries the agreed funding (None: none was written).
    plan_version: int | None = None


def normalise_themes(themes: Iterable[str]) -> list[str]:
    """Short lower-case tags, each once, in the order given; ValidationError if too long."""
    tags: list[str] = []
    for theme in themes:
        tag = clean(theme).lower()
        if len(tag) > MAX_THEME_LENGTH:
            raise ValidationError(f"Keep each theme under {MAX_THEME_LENGTH} characters.",
                                  field="themes")
        if tag and tag not in tags:
            tags.append(tag)
    return tags


def close_discussion(uow: UnitOfWork, discussion_id: str, decision: str, themes: Iterable[str],
                     closed_on: dt.date, make_case_example: bool, *,
                     outcome: OutcomeCode | None = None,
                     today: dt.date | None = None,
                     agreed: AgreedFunding | None = None) -> ClosedDiscussion:
    """Record the shared care decision and, if asked, an anonymised case example from it.

    The example's summary is the decision text alone, so it is refused (and nothing is
    recorded) if that text names the person or a contact, or gives their NHS number or
    date of birth. ``outcome`` is the example's outcome code (default: the case's own).
    The decision is appended to the delegation's history (``DISCUSSION_DECIDED``). With
    ``agreed``, the funding split agreed from a day: while the delegation runs on the
    person's plan, a new plan version carries it (``agreed_funding.carry_agreed``); else
    the split is kept with the decision's event only.
    """
    require(uow, Permission.CLOSE_DISCUSSION)
    text = clean(decision)
    if not text:
        raise ValidationError("Write down the decision.", field="decision")
    tags = normalise_themes(themes)
    today = today or dt.date.today()
    if closed_on > today:
        raise ValidationError("That date has not come yet; please check it.", field="closed_on")
    with uow.begin() as session:
        discussion = session.get(SharedCareDiscussion, discussion_id)
        if discussion is None or discussion.deleted:
            raise NotFound("That shared care discussion is no longer there.")
        if discussion.closed_on is not None:
            raise ValidationError("This discussion has already been closed.")
        if closed_on < discussion.opened_on:
            raise ValidationError("That date is before the discussion was opened.",
                                  field="closed_on")
        case = session.get_one(DelegationCase, discussion.delegation_case_id)
        checked = None if agreed is None else check_agreed(session, agreed, case, discussion,
                                                           today)
        discussion.decision, discussion.closed_on = text, closed_on
        discussion.themes = tags or list(discussion.themes)
        example_id = None
        if make_case_example:
            _refuse_identifying(text, session.get_one(Person, case.person_id))
            example = CaseExample(
                task_category=_task_category(session, case), task_code=case.task_code,
                themes=list(discussion.themes), summary=text,
                outcome_code=(outcome or case.outcome_code
                              or OutcomeCode.ESCALATED_SHARED_CARE.value),
                decided_on=closed_on, source_discussion_id=discussion.id)
            session.add(example)
            session.flush()
            example_id = example.id
        detail: dict[str, Any] = {"discussion_id": discussion.id,
                                  "themes": list(discussion.themes)}
        if example_id is not None:
            detail["case_example_id"] = example_id
        if checked is not None:
            detail["agreed"] = agreed_detail(*checked, discussion)
        record_event(session, case, CaseEventKind.DISCUSSION_DECIDED, closed_on, reasons=[text],
                     detail=detail, source=discussion.id)
        session.flush()  # the decision comes before the funding change it brings
        version = None if checked is None else carry_agreed(session, case, discussion, *checked,
                                                            closed_on)
        return ClosedDiscussion(discussion.id, closed_on, example_id, version)


def _task_category(session: Session, case: DelegationCase) -> str:
    category = session.scalar(
        select(TaskType.category).where(TaskType.code == case.task_code)
        .order_by((TaskType.catalogue_version == case.task_catalogue_version).desc(),
                  TaskType.catalogue_version.desc()).limit(1))
    return category or TaskCategory.OTHER.value


def identifying_details(text: str, person: Person) -> list[str]:
    """Which of the person's identifiers ``text`` contains ("name", "NHS number", ...)."""
    found = []
    names = [person.given_name, person.family_name, person.preferred_name or ""]
    names += [c.name for c in person.contacts if not c.deleted]
    words = {w for n in names for w in re.split(r"[\s'-]+", n) if len(w) >= 3} | set(names)
    if any(w.strip() and re.search(rf"(?<!\w){re.escape(w.strip())}(?!\w)", text, re.I)
           for w in words):
        found.append("name")
    if re.search(r"(?<!\d)" + r"[\s-]*".join(person.nhs_number) + r"(?!\d)", text):
        found.append("NHS number")
    if _mentions_date(text, person.date_of_birth):
        found.append("date of birth")
    return found


def _mentions_date(text: str, day: dt.date) -> bool:
    d, m, y = day.day, day.month, day.year
    numeric = rf"(?<!\d)0?{d}\s*[/.-]\s*0?{m}\s*[/.-]\s*(?:{y}|{y % 100:02d})(?!\d)"
    iso = rf"(?<!\d){y}-{m:02d}-{d:02d}(?!\d)"
    month = day.strftime("%B")
    words = rf"(?<!\d)0?{d}(?:st|nd|rd|th)?\s+(?:{month}|{month[:3]})\.?\s+{y}(?!\d)"
    return any(re.search(p, text, re.I) for p in (numeric, iso, words))


def _refuse_identifying(text: str, person: Person) -> None:
    found = identifying_details(text, person)
    if found:
        raise ValidationError(
            "A case example must be anonymous, but the decision gives the person's "
            + " and ".join(found) + ". Reword it (for example 'the person'), or close the "
            "discussion without making a case example.", field="decision")

