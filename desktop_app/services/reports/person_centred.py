"""Report 7: person-centred care, the framework's principles in figures (Part A section 3).

The IPCB asks how the principles are applied, not only how many tasks were delegated:

1. Efficient use of resources, by task category: of the delegations decided in the period
   (a delegated outcome, so the case went through S9), how many considered assistive
   technology, the share, and what came of it; how many had the call frequency reviewed,
   and what it found. Counted like the Delegations report, by the DECIDED event in the
   delegation's history (its date and the outcome decided then), so its "Delegated" column
   adds up to that report's delegated decisions. Cases decided before version 0011 of the
   vault have neither recorded (NULL): they are "not recorded", never "not considered",
   and the share is of the delegations where it was recorded.
2. Make Every Contact Count: signposting and referrals given in the period, by service
   (typed names matched ignoring case and outer spaces), for whom, signposted or referred,
   and on what occasion.
3. Trusted assessment: partners' assessments reused by delegations decided in the period
   (any outcome), by kind, with the median age of the assessment when it was reused.
4. What matters: the support plan versions that took effect in the period, and how many
   carry the person's own words (and their strengths).

No figure here is about a protected characteristic: they count delegations by task
category and signposting by service, as the Delegations report counts decisions, so no
small number is suppressed (``suppression_rule`` stays None). Removed rows, removed people
and other teams' people (with a team chosen) are never counted.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Mapping, Sequence
from typing import Any

from sqlalchemy import and_, exists, func, select
from sqlalchemy.orm import Session

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent, CaseEventKind
from desktop_app.models.person import Person
from desktop_app.models.person_centred import (
    AssessmentKind,
    AssessmentReuse,
    AtOutcome,
    CallsOutcome,
    PartnerAssessment,
    SignpostAction,
    Signposting,
    SignpostOccasion,
)
from desktop_app.models.plan import SupportPlan
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.outcomes import OUTCOMES
from desktop_app.services.framework.person_centred import (
    ACTION_LABELS,
    ASSESSMENT_KIND_LABELS,
    AT_OUTCOME_LABELS,
    OCCASION_LABELS,
    STALE_AFTER_DAYS,
)
from desktop_app.services.reports.base import (
    build_report,
    category_labels,
    category_of,
    check_allowed,
    in_scope,
    month_key,
    produced_by,
    task_categories_of,
)
from desktop_app.services.reports.chart import Chart, ChartKind, Series
from desktop_app.services.reports.escalations import median
from desktop_app.services.reports.model import (
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    Row,
    count,
    days,
    label,
    month_axis,
    month_label,
    months_in,
    percent,
)

TITLE = "Person-centred care"
# The outcomes that delegate the task (a care worker does it): each went through S9.
DELEGATED = tuple(code.value for code, text in OUTCOMES.items() if text.delegated)
NOT_RECORDED = "Not recorded"
AT_OUTCOMES = tuple((o.value, "Declined" if o is AtOutcome.DECLINED else AT_OUTCOME_LABELS[o])
                    for o in AtOutcome)
CALLS_OUTCOMES = ((CallsOutcome.FITS_EXISTING_CALL.value, "Fits an existing call"),
                  (CallsOutcome.CALL_TIMES_CHANGED.value, "Call times changed"),
                  (CallsOutcome.EXTRA_CALL_NEEDED.value, "Extra call needed"),
                  (CallsOutcome.FEWER_CALLS.value, "Fewer calls"))
OCCASIONS = tuple((o.value, OCCASION_LABELS[o]) for o in SignpostOccasion)
# A signposting counted in each column: for whom, then signposted or referred.
SIGNPOST_PARTS = (("for:person", "For the person"), ("for:carer", "For a carer"),
                  *((f"action:{a.value}", ACTION_LABELS[a]) for a in SignpostAction))
ASSESSMENT_COLUMNS = ("Kind of assessment", "Reused", "Delegations", "Median age (days)",
                      "Over a year old")
WORDS_COLUMNS = ("Month", "Plan versions", "With their own words", "% with own words",
                 "With their strengths", "% with strengths")
NOTES = (
    "Efficient use of resources: each delegation decided in the period with an outcome that "
    "delegates the task (within the existing package, NHS-funded, jointly funded, or funded "
    "without prejudice), by the date and outcome of its decision in the delegation's "
    "history, as the Delegations report counts it; task category as in that report. "
    "Escalations to a shared care discussion are not counted (nothing is delegated).",
    "Not recorded: delegations decided before the app recorded assistive technology and call "
    "frequency (they are not counted as 'not considered'). % considered and % reviewed are "
    "of the delegations where it was recorded. The outcomes are of those where it was "
    "considered or reviewed.",
    "Signposting and referrals: each one given in the period (Make Every Contact Count), by "
    "the service as typed, matched ignoring capitals and spaces at either end.",
    "Trusted assessment: each partner's assessment reused by a delegation decided in the "
    "period (any outcome); its age is from the day it was made to the day it was reused; "
    f"over a year old: more than {STALE_AFTER_DAYS} days.",
    "What matters: each support plan version that took effect in the period; with their own "
    "words or strengths: the version carries some.",
    "No small numbers are suppressed: these figures count delegations by task category and "
    "signposting by service, not people by protected characteristic.",
)


def person_centred_report(uow: UnitOfWork, query: ReportQuery, *,
                          today: dt.date | None = None,
                          produced_at: dt.datetime | None = None) -> Report:
    """Assistive technology and call frequency by task category, signposting by service,
    partners' assessments reused by kind, and plan versions with the person's own words."""
    check_allowed(uow)
    with uow.read() as session:
        author = produced_by(session, uow)
        resources = _resources(session, query)
        signposting = _signposting(session, query)
        reuses, reusing, reusing_all = _reuses(session, query)
        words = _words(session, query)
    labels = category_labels()
    unknown = sorted({key[0] for key in resources} - set(labels))  # an older catalogue's
    groups = [*labels.items(), *((code, code) for code in unknown)]
    at = _tallies(resources, 1, 2)
    calls = _tallies(resources, 3, 4)
    sections = [
        _recorded_section("Efficient use of resources: assistive technology",
                          ("AT considered", "Not considered", "% considered"), groups, at,
                          "Assistive technology considered, by task category"),
        _outcome_section("Assistive technology: what came of it", "AT considered",
                         AT_OUTCOMES, groups, at),
        _recorded_section("Efficient use of resources: call frequency",
                          ("Calls reviewed", "Not reviewed", "% reviewed"), groups, calls,
                          "Call frequency reviewed, by task category"),
        _outcome_section("Call frequency: what the review found", "Calls reviewed",
                         CALLS_OUTCOMES, groups, calls),
        *_signposting_sections(signposting),
        _assessment_section(reuses, reusing, reusing_all),
        _words_section(months_in(query.period_start, query.period_end), words),
    ]
    as_at = query.as_at(today or dt.date.today())
    return build_report(ReportKind.PERSON_CENTRED, TITLE, query, as_at, produced_at, author,
                        sections, list(NOTES))


# ---------------------------------------------------------------- reading


# (category, at_considered, at_outcome, calls_reviewed, calls_outcome) → delegations
Resources = Counter[tuple[str, bool | None, str | None, bool | None, str | None]]


def _resources(session: Session, query: ReportQuery) -> Resources:
    """Delegated decisions of the period by task and what was recorded at S9."""
    c = DelegationCase
    stmt = (select(c.task_code, c.task_catalogue_version, c.at_considered, c.at_outcome,
                   c.calls_reviewed, c.calls_outcome, func.count())
            .select_from(CaseEvent)
            .join(c, c.id == CaseEvent.delegation_case_id)
            .join(Person, Person.id == CaseEvent.person_id)
            .where(~CaseEvent.deleted, ~c.deleted,
                   CaseEvent.kind == CaseEventKind.DECIDED.value,
                   CaseEvent.outcome_code.in_(DELEGATED),
                   CaseEvent.occurred_on.between(query.period_start, query.period_end),
                   *in_scope(query))
            .group_by(c.task_code, c.task_catalogue_version, c.at_considered, c.at_outcome,
                      c.calls_reviewed, c.calls_outcome))
    categories = task_categories_of(session)
    found: Resources = Counter()
    for code, version, at, at_outcome, calls, calls_outcome, number in session.execute(stmt):
        key = (category_of(categories, code, version), _flag(at), at_outcome, _flag(calls),
               calls_outcome)
        found[key] += number
    return found


def _flag(value: object) -> bool | None:
    return None if value is None else bool(value)


# (service key, shown name, for whom, action, occasion) → signpostings
Signposts = Counter[tuple[str, str, str, str, str]]


def _signposting(session: Session, query: ReportQuery) -> Signposts:
    """Signposting and referrals given in the period, grouped by service as typed."""
    s = Signposting
    key = func.lower(func.trim(s.service))
    stmt = (select(key, func.min(func.trim(s.service)), s.for_whom, s.action, s.occasion,
                   func.count())
            .select_from(s)
            .join(Person, Person.id == s.person_id)
            .where(~s.deleted, s.given_on.between(query.period_start, query.period_end),
                   *in_scope(query))
            .group_by(key, s.for_whom, s.action, s.occasion))
    found: Signposts = Counter()
    for service, shown, for_whom, action, occasion, number in session.execute(stmt):
        found[(str(service), str(shown), str(for_whom), str(action), str(occasion))] += number
    return found


def _reuses(session: Session, query: ReportQuery) -> tuple[
        dict[str, Counter[int]], Counter[str], int]:
    """Reuses by kind as ages in days → how many; delegations reusing each kind; and
    delegations reusing any, of the delegations decided in the period."""
    r, a = AssessmentReuse, PartnerAssessment
    decided = exists().where(CaseEvent.delegation_case_id == DelegationCase.id,
                             ~CaseEvent.deleted, CaseEvent.kind == CaseEventKind.DECIDED.value,
                             CaseEvent.outcome_code.is_not(None),
                             CaseEvent.occurred_on.between(query.period_start,
                                                           query.period_end))

    def reused(*columns: Any) -> Any:
        return (select(*columns)
                .select_from(r)
                .join(a, a.id == r.assessment_id)
                .join(DelegationCase, DelegationCase.id == r.delegation_case_id)
                .join(Person, Person.id == DelegationCase.person_id)
                .where(~r.deleted, ~a.deleted, ~DelegationCase.deleted, decided,
                       *in_scope(query)))

    ages: dict[str, Counter[int]] = {}
    for kind, age, number in session.execute(
            reused(a.kind, r.age_days, func.count()).group_by(a.kind, r.age_days)):
        ages.setdefault(str(kind), Counter())[int(age)] += number
    cases = func.count(func.distinct(r.delegation_case_id))
    by_kind: Counter[str] = Counter(
        {str(kind): number for kind, number in session.execute(
            reused(a.kind, cases).group_by(a.kind))})
    every = session.scalar(reused(cases)) or 0
    return ages, by_kind, every


def _words(session: Session, query: ReportQuery) -> Counter[tuple[str, bool, bool]]:
    """Plan versions that took effect in the period by month, with own words, strengths."""
    p = SupportPlan
    month = month_key(p.effective_from).label("month")
    words = _some(p.person_words).label("words")
    strengths = _some(p.strengths).label("strengths")
    stmt = (select(month, words, strengths, func.count())
            .select_from(p)
            .join(Person, Person.id == p.person_id)
            .where(~p.deleted, p.effective_from.between(query.period_start, query.period_end),
                   *in_scope(query))
            .group_by(month, words, strengths))
    found: Counter[tuple[str, bool, bool]] = Counter()
    for month_text, has_words, has_strengths, number in session.execute(stmt):
        found[(str(month_text), bool(has_words), bool(has_strengths))] += number
    return found


def _some(column: Any) -> Any:
    """True where a text column holds more than spaces."""
    return and_(column.is_not(None), func.trim(column) != "")


# ---------------------------------------------------------------- the sections


Tally = Counter[object]  # "all", True, False, None (not recorded), ("outcome", value)


def _tallies(found: Resources, flag: int, outcome: int) -> dict[str, Tally]:
    """Per task category: delegations, by whether it was recorded as done (``found``'s key
    at ``flag``) and, where it was, by what came of it (the key at ``outcome``)."""
    tallies: dict[str, Tally] = {}
    for key, number in found.items():
        tally = tallies.setdefault(str(key[0]), Counter())
        tally["all"] += number
        tally[key[flag]] += number
        if key[flag]:
            tally[("outcome", key[outcome])] += number
    return tallies


def _by_group(groups: Sequence[tuple[str, str]],
              tallies: Mapping[str, Tally]) -> list[tuple[str, Tally]]:
    """(name, tally) for each task category in order, then the total."""
    table = [(name, tallies.get(key, Counter())) for key, name in groups]
    total: Tally = Counter()
    for _, tally in table:
        total.update(tally)
    return [*table, ("Total", total)]


def _recorded_section(title: str, headings: tuple[str, str, str],
                      groups: Sequence[tuple[str, str]], tallies: Mapping[str, Tally],
                      chart_title: str) -> ReportSection:
    """Delegated, done, not done, not recorded and the share done of those recorded, by
    task category, with a chart of the three."""
    done, not_done, share = headings
    table = _by_group(groups, tallies)
    rows = tuple((label(name), count(t["all"]), count(t[True]), count(t[False]),
                  count(t[None]), percent(t[True], t[True] + t[False])) for name, t in table)
    series = tuple(Series(name, tuple(float(t[key]) for _, t in table[:-1]))
                   for key, name in ((True, done), (False, not_done), (None, NOT_RECORDED)))
    chart = Chart(ChartKind.STACKED_BAR, chart_title, tuple(name for _, name in groups), series,
                  "Delegations", horizontal=True)
    return ReportSection(title, ("Task category", "Delegated", done, not_done, NOT_RECORDED,
                                 share), rows, chart, total_rows=1)


def _outcome_section(title: str, heading: str, outcomes: Sequence[tuple[str, str]],
                     groups: Sequence[tuple[str, str]],
                     tallies: Mapping[str, Tally]) -> ReportSection:
    """Of those where it was done, what came of it, by task category (no chart)."""
    rows = tuple((label(name), count(t[True]),
                  *(count(t[("outcome", value)]) for value, _ in outcomes))
                 for name, t in _by_group(groups, tallies))
    return ReportSection(title, ("Task category", heading, *(name for _, name in outcomes)),
                         rows, total_rows=1)


def _signposting_sections(found: Signposts) -> list[ReportSection]:
    """Signposting and referrals by service (most first, with a chart) and by occasion."""
    names: dict[str, str] = {}
    services: dict[str, Counter[str]] = {}
    occasions: dict[str, Counter[str]] = {}
    for (service, shown, for_whom, action, occasion), number in found.items():
        names[service] = min(names.get(service, shown), shown)  # capitals first
        for tally in (services.setdefault(service, Counter()),
                      occasions.setdefault(occasion, Counter())):
            tally.update({"total": number, f"for:{for_whom}": number,
                          f"action:{action}": number})
    order = sorted(services, key=lambda s: (-services[s]["total"], names[s].casefold(), s))
    extra = sorted(set(occasions) - {key for key, _ in OCCASIONS})
    by_service = [(names[s], services[s]) for s in order]
    by_occasion = [(name, occasions.get(key, Counter()))
                   for key, name in (*OCCASIONS, *((k, k) for k in extra))]
    series = tuple(Series(name, tuple(float(t[key]) for _, t in by_service), short)
                   for key, name, short in (("for:person", "For the person", "The person"),
                                            ("for:carer", "For a carer", "A carer")))
    chart = Chart(ChartKind.STACKED_BAR, "Signposting and referrals by service",
                  tuple(name for name, _ in by_service), series, "Signposting and referrals",
                  horizontal=True)
    return [_signposting_table("Make Every Contact Count: signposting by service", "Service",
                               by_service, chart),
            _signposting_table("Make Every Contact Count: signposting by occasion",
                               "Occasion", by_occasion)]


def _signposting_table(title: str, heading: str, table: Sequence[tuple[str, Counter[str]]],
                       chart: Chart | None = None) -> ReportSection:
    total: Counter[str] = Counter()
    for _, tally in table:
        total.update(tally)
    rows = tuple((label(name), count(t["total"]), *(count(t[key]) for key, _ in SIGNPOST_PARTS))
                 for name, t in (*table, ("Total", total)))
    return ReportSection(title, (heading, "Total", *(name for _, name in SIGNPOST_PARTS)), rows,
                         chart, total_rows=1)


def _assessment_section(ages: Mapping[str, Counter[int]], by_kind: Counter[str],
                        every: int) -> ReportSection:
    kinds = [k.value for k in AssessmentKind] + sorted(set(ages) - set(AssessmentKind))
    everything: Counter[int] = sum(ages.values(), Counter())

    def row(name: str, histogram: Counter[int], cases: int) -> Row:
        old = sum(n for age, n in histogram.items() if age > STALE_AFTER_DAYS)
        return (label(name), count(histogram.total()), count(cases), days(median(histogram)),
                count(old))
    rows = [row(ASSESSMENT_KIND_LABELS.get(k, k), ages.get(k, Counter()), by_kind[k])
            for k in kinds]
    rows.append(row("Total", everything, every))
    reused = [float(ages.get(k, Counter()).total()) for k in kinds]
    chart = Chart(ChartKind.BAR, "Partners' assessments reused, by kind",
                  tuple(ASSESSMENT_KIND_LABELS.get(k, k) for k in kinds),
                  (Series("Reused", tuple(reused)),), "Assessments",
                  horizontal=True)
    return ReportSection("Trusted assessment: partners' assessments reused", ASSESSMENT_COLUMNS,
                         tuple(rows), chart, total_rows=1)


def _words_section(months: Sequence[str],
                   found: Counter[tuple[str, bool, bool]]) -> ReportSection:
    def numbers(month: str | None) -> tuple[int, int, int]:
        chosen = [(w, s, n) for (m, w, s), n in found.items() if month in (None, m)]
        return (sum(n for _, _, n in chosen), sum(n for w, _, n in chosen if w),
                sum(n for _, s, n in chosen if s))

    def row(name: str, values: tuple[int, int, int]) -> Row:
        plans, words, strengths = values
        return (label(name), count(plans), count(words), percent(words, plans),
                count(strengths), percent(strengths, plans))
    table = [numbers(m) for m in months]
    rows = [row(month_label(m), values) for m, values in zip(months, table, strict=True)]
    rows.append(row("Total", numbers(None)))
    with_words = tuple(float(words) for _, words, _ in table)
    without = tuple(float(plans - words) for plans, words, _ in table)
    series = tuple(Series(name, values, short) for name, values, short in (
        ("With the person's own words", with_words, "Own words"),
        ("Without their own words", without, "Without")))
    chart = Chart(ChartKind.STACKED_BAR, "Support plan versions with the person's own words",
                  tuple(month_label(m) for m in months), series, "Plan versions",
                  **month_axis(months))
    return ReportSection("What matters: the person's own words on their plan", WORDS_COLUMNS,
                         tuple(rows), chart, total_rows=1)

