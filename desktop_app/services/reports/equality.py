"""Report 6: equality monitoring: outcomes by each protected characteristic (framework §7).

The IPCB monitors the framework's impact on the nine protected characteristics of the
Equality Act 2010. Age comes from the date of birth (age on the day of the decision or the
withdrawal, in bands); the other eight are the person's ``eq_*`` answers, which are
optional: "Prefer not to say" is an answer and an empty one is "Not recorded", and both are
always shown.

Counted from the delegations' history (``case_event``) by the date of each event: the
decisions made in the period, under the outcome decided then, grouped into delegated (care
went ahead, including without prejudice), escalated to a shared care discussion and not
delegated; and, as a fourth group, the delegations withdrawn in the period (at a review,
consent withdrawn, a change of need; not one ended because the same task was delegated
again). A person with two decisions counts twice; a delegation decided and withdrawn in the
period counts once under its decided outcome and once as withdrawn. Answers are typed, so
categories are matched ignoring case and spaces at the ends; a recorded category with fewer
than 5 counted is folded into "Other" so that the category's name cannot single anyone out.
Then the small-number rule is applied to all the tables together (``suppression``).

All nine tables come from one SQL statement: a GROUP BY per characteristic, joined by
UNION ALL; Python folds and suppresses the grouped counts.
"""

from __future__ import annotations

import datetime as dt
from collections import defaultdict
from collections.abc import Sequence
from typing import Any

from sqlalchemy import (
    ColumnElement,
    String,
    and_,
    case,
    func,
    literal,
    or_,
    select,
    union_all,
)

from desktop_app.models.delegation import DelegationCase, OutcomeCode
from desktop_app.models.history import CaseEvent, CaseEventKind
from desktop_app.models.person import PREFER_NOT_TO_SAY, Person
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.outcomes import OUTCOMES
from desktop_app.services.reports.base import (
    age_sql,
    build_report,
    check_allowed,
    in_scope,
    produced_by,
)
from desktop_app.services.reports.chart import Chart, ChartKind, Series
from desktop_app.services.reports.model import (
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    label,
    series_values,
)
from desktop_app.services.reports.suppression import (
    SMALLEST_SHOWN,
    SUPPRESSION_RULE,
    SuppressedTable,
    suppress_linked,
)

TITLE = "Equality monitoring: outcomes by protected characteristic"
CHARACTERISTICS = (
    ("age", "Age"),
    ("eq_disability", "Disability"),
    ("eq_gender_reassignment", "Gender reassignment"),
    ("eq_marriage_civil_partnership", "Marriage or civil partnership"),
    ("eq_pregnancy_maternity", "Pregnancy or maternity"),
    ("eq_ethnicity", "Race (ethnicity)"),
    ("eq_religion_belief", "Religion or belief"),
    ("eq_sex", "Sex"),
    ("eq_sexual_orientation", "Sexual orientation"),
)
GROUPS = ("Delegated", "Escalated to shared care", "Not delegated", "Withdrawn")
GROUP_SHORT = {"Escalated to shared care": "Escalated"}  # the chart's legend label
AGE_BANDS = ((65, "Under 65"), (75, "65 to 74"), (85, "75 to 84"), (None, "85 and over"))
PREFER_NOT = "Prefer not to say"
NOT_RECORDED = "Not recorded"
OTHER = "Other"
ALL_COUNTED = "All decisions and withdrawals"
RECORDED, PREFERRED_NOT, UNRECORDED = 0, 1, 2
# The withdrawals counted in the fourth group (not REPLACED: the task was delegated again).
WITHDRAWALS = (CaseEventKind.WITHDRAWN_AT_REVIEW.value, CaseEventKind.CONSENT_WITHDRAWN.value,
               CaseEventKind.NEED_CHANGED.value)
RULE = (SUPPRESSION_RULE + f" Before that, each recorded category with fewer than "
        f"{SMALLEST_SHOWN} decisions and withdrawals is folded into \"{OTHER}\", so no "
        "category's name singles anyone out.")
NOTES = (
    "Counted by the date of each event in the delegation's history: the decisions made in "
    "the period, under the outcome decided then (a later withdrawal does not change it), "
    "and, in the Withdrawn column, the delegations withdrawn in the period (at a review, "
    "consent withdrawn, or a change of need), whenever they were decided. A delegation "
    "decided and withdrawn in the period counts in both; one decided earlier and withdrawn "
    "in the period counts only as withdrawn; one ended because the same task was delegated "
    "again is not a withdrawal. A person with two decisions counts twice. Age is the "
    "person's age on the day of the decision or the withdrawal.",
    "Outcomes: Delegated = delegated within the existing package, with extra time funded "
    "by the NHS or jointly, or going ahead without prejudice; Not delegated = refer for CHC, "
    "a social care need, Health keeps the task, the person declined, no provider.",
)


def _group() -> Any:
    """The column an event counts in: a withdrawal in the fourth, a decision by its outcome."""
    delegated = [code.value for code, text in OUTCOMES.items() if text.delegated]
    return case((CaseEvent.kind.in_(WITHDRAWALS), 3),
                (CaseEvent.outcome_code.in_(delegated), 0),
                (CaseEvent.outcome_code == OutcomeCode.ESCALATED_SHARED_CARE.value, 1),
                (CaseEvent.outcome_code == OutcomeCode.WITHDRAWN.value, 3), else_=2)


def _events(query: ReportQuery) -> Any:
    """The decisions and withdrawals of the period, each with the column it counts in and
    the person's answers: read once (materialised), then counted per characteristic."""
    answers = [getattr(Person, name).label(name) for name, _ in CHARACTERISTICS
               if name != "age"]
    return (select(_group().label("outcome"), CaseEvent.occurred_on.label("occurred_on"),
                   Person.date_of_birth.label("date_of_birth"), *answers)
            .select_from(CaseEvent)
            .join(DelegationCase, DelegationCase.id == CaseEvent.delegation_case_id)
            .join(Person, Person.id == CaseEvent.person_id)
            .where(~CaseEvent.deleted, ~DelegationCase.deleted,
                   or_(and_(CaseEvent.kind == CaseEventKind.DECIDED.value,
                            CaseEvent.outcome_code.is_not(None)),
                       CaseEvent.kind.in_(WITHDRAWALS)),
                   CaseEvent.occurred_on.between(query.period_start, query.period_end),
                   *in_scope(query))
            .cte("events").prefix_with("MATERIALIZED"))


def _select(name: str, events: Any) -> Any:
    """Counts for one characteristic by (kind of answer, category, outcome group)."""
    kind: ColumnElement[Any]
    key: ColumnElement[Any]
    shown: ColumnElement[Any]
    if name == "age":
        age = age_sql(events.c.date_of_birth, events.c.occurred_on)
        band = case(*((age < upper, str(i)) for i, (upper, _) in enumerate(AGE_BANDS[:-1])),
                    else_=str(len(AGE_BANDS) - 1))
        kind, key, shown = literal(RECORDED), band, literal("", String)
    else:
        column = events.c[name]
        trimmed = func.trim(column)
        kind = case((or_(column.is_(None), trimmed == ""), UNRECORDED),
                    (column == PREFER_NOT_TO_SAY, PREFERRED_NOT), else_=RECORDED)
        key, shown = func.lower(func.coalesce(trimmed, "")), func.min(trimmed)
    return (select(literal(name, String).label("characteristic"), kind.label("kind"),
                   key.label("key"), shown.label("shown"), events.c.outcome.label("outcome"),
                   func.count().label("n"))
            .select_from(events)
            .group_by(kind, key, events.c.outcome))


def equality_report(uow: UnitOfWork, query: ReportQuery, *, today: dt.date | None = None,
                    produced_at: dt.datetime | None = None) -> Report:
    """Outcome groups by each protected characteristic, small numbers suppressed."""
    check_allowed(uow)
    events = _events(query)
    stmt = union_all(*(_select(name, events) for name, _ in CHARACTERISTICS))
    grouped: dict[str, list[Any]] = defaultdict(list)
    with uow.read() as session:
        author = produced_by(session, uow)
        for row in session.execute(stmt):
            grouped[row.characteristic].append(row)
    tables = [_table(name, grouped[name]) for name, _ in CHARACTERISTICS]
    suppressed = suppress_linked([counts for _, counts in tables])
    sections = [_section(title, names, table)
                for (_, title), (names, _), table in zip(CHARACTERISTICS, tables, suppressed,
                                                         strict=True)]
    as_at = query.as_at(today or dt.date.today())
    return build_report(ReportKind.EQUALITY, TITLE, query, as_at, produced_at, author,
                        sections, list(NOTES), suppression_rule=RULE)


def _table(name: str, rows: Sequence[Any]) -> tuple[list[str], list[list[int]]]:
    """(category names, counts by outcome group), small recorded categories folded."""
    recorded: dict[str, list[int]] = {}
    shown: dict[str, str] = {}
    fixed = {PREFERRED_NOT: [0] * len(GROUPS), UNRECORDED: [0] * len(GROUPS)}
    for row in rows:
        if row.kind == RECORDED:
            recorded.setdefault(row.key, [0] * len(GROUPS))[row.outcome] += row.n
            shown[row.key] = min(shown.get(row.key, row.shown), row.shown)
        else:
            fixed[row.kind][row.outcome] += row.n
    if name == "age":
        bands = [recorded.get(str(i), [0] * len(GROUPS)) for i in range(len(AGE_BANDS))]
        return [band for _, band in AGE_BANDS], bands
    names: list[str] = []
    counts: list[list[int]] = []
    other = [0] * len(GROUPS)
    for key in sorted(recorded, key=lambda k: (shown[k].casefold(), k)):
        if sum(recorded[key]) < SMALLEST_SHOWN or key == OTHER.casefold():
            other = [a + b for a, b in zip(other, recorded[key], strict=True)]
        else:
            names.append(shown[key])
            counts.append(recorded[key])
    if any(other):
        names.append(OTHER)
        counts.append(other)
    names += [PREFER_NOT, NOT_RECORDED]
    counts += [fixed[PREFERRED_NOT], fixed[UNRECORDED]]
    return names, counts


def _section(title: str, names: Sequence[str], table: SuppressedTable) -> ReportSection:
    width = len(GROUPS)
    rows = [(label(name), *(table.cell(r, c) for c in range(width + 1)))
            for r, name in enumerate(names)]
    rows.append((label(ALL_COUNTED), *(table.cell(-1, c) for c in range(width + 1))))
    series = tuple(Series(group, series_values([row[1 + g] for row in rows[:-1]]),
                          GROUP_SHORT.get(group, ""))
                   for g, group in enumerate(GROUPS))
    chart = Chart(ChartKind.STACKED_BAR, f"Outcomes by {title.lower()}", tuple(names), series,
                  "Decisions and withdrawals", horizontal=True)
    return ReportSection(title, (title, *GROUPS, "Total"), tuple(rows), chart, total_rows=1)
