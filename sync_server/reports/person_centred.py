"""Person-centred care across every team: the framework's principles in figures (the
laptop's report 7, ``services/reports/person_centred.py``, whose docstring explains each
figure).

1. Efficient use of resources, by task category: of the delegations decided in the period
   with a delegated outcome (by the DECIDED event), whether assistive technology was
   considered and the call frequency reviewed, and what came of it ("not recorded" for
   cases decided before the app recorded them).
2. Make Every Contact Count: signposting and referrals given in the period, by service
   (typed names matched ignoring case and outer spaces) and by occasion.
3. Trusted assessment: partners' assessments reused by delegations decided in the period.
4. What matters: plan versions that took effect in the period with the person's own words.

No figure here is about a protected characteristic, so nothing is suppressed (as on the
laptop). The "By team" table counts each team's delegated decisions, signposting, reuses
and plan versions.
"""

from __future__ import annotations

import datetime as dt
from collections import Counter
from collections.abc import Callable, Mapping, Sequence

from sqlalchemy.orm import Session

from sync_server.reports import sql
from sync_server.reports.base import build_report, by_team
from sync_server.reports.catalogue import Categories, categories
from sync_server.reports.escalations import median
from sync_server.reports.labels import DECIDED, DELEGATED
from sync_server.reports.model import (
    Row,
    Section,
    StoreReport,
    StoreReportQuery,
    count,
    days,
    label,
    month_label,
    months_in,
    percent,
)

NAME = "person_centred"
TITLE = "Person-centred care"
NOT_RECORDED = "Not recorded"
AT_OUTCOMES = (("in_place", "In place"), ("to_try", "To be tried"),
               ("not_suitable", "Not suitable"), ("declined", "Declined"))
CALLS_OUTCOMES = (("fits_existing_call", "Fits an existing call"),
                  ("call_times_changed", "Call times changed"),
                  ("extra_call_needed", "Extra call needed"), ("fewer_calls", "Fewer calls"))
OCCASIONS = (("visit", "Visit"), ("review", "Review"), ("phone_call", "Phone call"),
             ("delegation", "Delegation conversation"))
SIGNPOST_PARTS = (("for:person", "For the person"), ("for:carer", "For a carer"),
                  ("action:signposted", "Signposted"), ("action:referred", "Referred"))
ASSESSMENT_KINDS = {
    "care_act_needs": "Care Act needs assessment",
    "chc_checklist": "NHS Continuing Healthcare Checklist",
    "mental_capacity": "Mental capacity assessment",
    "clinical_risk": "Clinical risk assessment",
    "moving_and_handling": "Moving and handling assessment",
    "other": "Other assessment",
}
STALE_AFTER_DAYS = 365
ASSESSMENT_COLUMNS = ("Kind of assessment", "Reused", "Delegations", "Median age (days)",
                      "Over a year old")
WORDS_COLUMNS = ("Month", "Plan versions", "With their own words", "% with own words",
                 "With their strengths", "% with strengths")
BY_TEAM = ("Team", "Delegated", "AT considered", "Calls reviewed", "Signposting and referrals",
           "Assessments reused", "Plan versions", "With their own words")
S9 = sql.Kind("delegation_case", text=("task_code", "task_catalogue_version", "at_considered",
                                       "at_outcome", "calls_reviewed", "calls_outcome"))
SIGNPOSTING = sql.Kind("signposting", text=("service", "for_whom", "action", "occasion",
                                            "person_id"), days=("given_on",))
REUSES = sql.Kind("assessment_reuse", text=("assessment_id", "delegation_case_id"),
                  whole=("age_days",))
PLANS = sql.Kind("support_plan", text=("person_id", "person_words", "strengths"),
                 days=("effective_from",))
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


def _quoted(values: Sequence[str]) -> str:
    return ", ".join(f"'{value}'" for value in values)


def _nullable_flag(alias: str, name: str) -> str:
    """A boolean that may be unrecorded: 'true', 'false' or NULL."""
    value = sql.field(alias, name)
    return f"(CASE WHEN {value} IN ('true', 'false') THEN {value} END)"


def resources_sql(query: StoreReportQuery) -> str:
    """Delegated decisions of the period by team, task and what was recorded at S9."""
    occurred = sql.field("e", "occurred_on")
    return f"""
{sql.ctes(query, p=sql.PERSON, c=S9, e=sql.EVENT)}
SELECT e.team_id, {sql.field('c', 'task_code')}, {sql.field('c', 'task_catalogue_version')},
       {_nullable_flag('c', 'at_considered')}, {sql.field('c', 'at_outcome')},
       {_nullable_flag('c', 'calls_reviewed')}, {sql.field('c', 'calls_outcome')}, count(*)
FROM e JOIN c ON c.id = {sql.field('e', 'delegation_case_id')}
JOIN p ON p.id = {sql.field('e', 'person_id')}
WHERE {sql.same_team('e', 'c', 'p')} AND {sql.field('e', 'kind')} = '{DECIDED}'
  AND {sql.field('e', 'outcome_code')} IN ({_quoted(DELEGATED)})
  AND {occurred} BETWEEN :start AND :end
GROUP BY 1, 2, 3, 4, 5, 6, 7"""


def signposting_sql(query: StoreReportQuery) -> str:
    """Signposting and referrals given in the period, by team and service as typed."""
    service = sql.field("s", "service")
    return f"""
{sql.ctes(query, p=sql.PERSON, s=SIGNPOSTING)}
SELECT s.team_id, lower(btrim({service})), min(btrim({service}) COLLATE "C"),
       {sql.field('s', 'for_whom')}, {sql.field('s', 'action')}, {sql.field('s', 'occasion')},
       count(*)
FROM s JOIN p ON p.id = {sql.field('s', 'person_id')} AND p.team_id = s.team_id
WHERE {sql.field('s', 'given_on')} BETWEEN :start AND :end
GROUP BY 1, 2, 4, 5, 6"""


def reuses_sql(query: StoreReportQuery) -> str:
    """Reuses by delegations decided in the period: per team, kind and age in days, how
    many and which delegations (a GROUPING SETS statement: by kind and age; delegations by
    kind; delegations in all)."""
    decided = f"""EXISTS (SELECT 1 FROM e WHERE e.team_id = c.team_id
        AND {sql.field('e', 'delegation_case_id')} = c.id AND {sql.field('e', 'kind')} = '{DECIDED}'
        AND {sql.field('e', 'outcome_code')} IS NOT NULL
        AND {sql.field('e', 'occurred_on')} BETWEEN :start AND :end)"""
    return f"""
{sql.ctes(query, p=sql.PERSON, c=sql.Kind("delegation_case", text=("person_id",)),
          e=sql.EVENT, r=REUSES, a=sql.Kind("partner_assessment", text=("kind",)))},
used AS (
SELECT r.team_id, {sql.field('a', 'kind')} AS kind, {sql.field('r', 'age_days')} AS age,
       {sql.field('r', 'delegation_case_id')} AS case_id
FROM r JOIN a ON a.id = {sql.field('r', 'assessment_id')}
JOIN c ON c.id = {sql.field('r', 'delegation_case_id')}
JOIN p ON p.id = {sql.field('c', 'person_id')}
WHERE {sql.same_team('r', 'a', 'c', 'p')} AND {decided})
SELECT 'age' AS what, team_id, kind, age, count(*) FROM used GROUP BY 2, 3, 4
UNION ALL
SELECT 'kind', team_id, kind, NULL, count(DISTINCT case_id) FROM used GROUP BY 2, 3
UNION ALL
SELECT 'all', team_id, NULL, NULL, count(DISTINCT case_id) FROM used GROUP BY 2"""


def words_sql(query: StoreReportQuery) -> str:
    """Plan versions that took effect in the period by team and month, with own words and
    strengths."""
    effective = sql.field("v", "effective_from")

    def some(name: str) -> str:
        return f"coalesce(btrim({sql.field('v', name)}) <> '', false)"

    return f"""
{sql.ctes(query, p=sql.PERSON, v=PLANS)}
SELECT v.team_id, to_char({effective}, 'YYYY-MM'), {some('person_words')},
       {some('strengths')}, count(*)
FROM v JOIN p ON p.id = {sql.field('v', 'person_id')} AND p.team_id = v.team_id
WHERE {effective} BETWEEN :start AND :end
GROUP BY 1, 2, 3, 4"""


# (category, at_considered, at_outcome, calls_reviewed, calls_outcome) → delegations
Resources = Counter[tuple[str, bool | None, str | None, bool | None, str | None]]
# (service key, shown name, for whom, action, occasion) → signpostings
Signposts = Counter[tuple[str, str, str, str, str]]
Tally = Counter[object]  # "all", True, False, None (not recorded), ("outcome", value)


def _flag(value: object) -> bool | None:
    return None if value is None else value == "true"


def person_centred_report(db: Session, query: StoreReportQuery, *, author: str,
                          today: dt.date | None = None,
                          produced_at: dt.datetime | None = None) -> StoreReport:
    """Assistive technology and call frequency by task category, signposting by service,
    partners' assessments reused by kind, plan versions with the person's own words, and
    the teams side by side."""
    sql.require_postgres(db)
    teams = sql.team_names(db, query)
    values = sql.params(query)
    found = categories(db)
    per_team: dict[str, list[int]] = {}

    def team(team_id: str) -> list[int]:
        return per_team.setdefault(team_id, [0] * (len(BY_TEAM) - 1))

    resources = _resources(db, query, found, team)
    signposting: Signposts = Counter()
    for team_id, key, shown, for_whom, action, occasion, number in sql.run(
            db, signposting_sql(query), values):
        signposting[(str(key), str(shown), str(for_whom), str(action), str(occasion))] += number
        team(team_id)[3] += number
    ages: dict[str, Counter[int]] = {}
    reusing: Counter[str] = Counter()
    every = 0
    for what, team_id, kind, age, number in sql.run(db, reuses_sql(query), values):
        if what == "age":
            ages.setdefault(str(kind), Counter())[int(age or 0)] += number
            team(team_id)[4] += number
        elif what == "kind":
            reusing[str(kind)] += number
        else:
            every += number
    words: Counter[tuple[str, bool, bool]] = Counter()
    for team_id, month, has_words, has_strengths, number in sql.run(db, words_sql(query),
                                                                    values):
        words[(str(month), bool(has_words), bool(has_strengths))] += number
        team(team_id)[5] += number
        team(team_id)[6] += number if has_words else 0
    labels = found.label_map
    unknown = sorted({key[0] for key in resources} - set(labels))
    groups = [*labels.items(), *((code, code) for code in unknown)]
    at, calls = _tallies(resources, 1, 2), _tallies(resources, 3, 4)
    sections = [
        _recorded_section("Efficient use of resources: assistive technology",
                          ("AT considered", "Not considered", "% considered"), groups, at),
        _outcome_section("Assistive technology: what came of it", "AT considered",
                         AT_OUTCOMES, groups, at),
        _recorded_section("Efficient use of resources: call frequency",
                          ("Calls reviewed", "Not reviewed", "% reviewed"), groups, calls),
        _outcome_section("Call frequency: what the review found", "Calls reviewed",
                         CALLS_OUTCOMES, groups, calls),
        *_signposting_sections(signposting),
        _assessment_section(ages, reusing, every),
        _words_section(months_in(query.period_start, query.period_end), words),
        by_team(teams, BY_TEAM, len(BY_TEAM) - 1, per_team),
    ]
    as_at = query.as_at(today or dt.date.today())
    return build_report(NAME, TITLE, query, as_at, produced_at, author, sections, NOTES, teams)


def _resources(db: Session, query: StoreReportQuery, found: Categories,
               team: Callable[[str], list[int]]) -> Resources:
    """Delegated decisions by category and what was recorded at S9 (and per team)."""
    resources: Resources = Counter()
    for team_id, code, version, at_flag, at_outcome, calls_flag, calls_outcome, number in \
            sql.run(db, resources_sql(query), sql.params(query)):
        key = (found.of(str(code or ""), str(version or "")), _flag(at_flag), at_outcome,
               _flag(calls_flag), calls_outcome)
        resources[key] += number
        figures = team(team_id)
        figures[0] += number
        figures[1] += number if at_flag == "true" else 0
        figures[2] += number if calls_flag == "true" else 0
    return resources


# ---------------------------------------------------------------- the sections (the laptop's)


def _tallies(found: Resources, flag: int, outcome: int) -> dict[str, Tally]:
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
    table = [(name, tallies.get(key, Counter())) for key, name in groups]
    total: Tally = Counter()
    for _, tally in table:
        total.update(tally)
    return [*table, ("Total", total)]


def _recorded_section(title: str, headings: tuple[str, str, str],
                      groups: Sequence[tuple[str, str]],
                      tallies: Mapping[str, Tally]) -> Section:
    done, not_done, share = headings
    rows = tuple((label(name), count(t["all"]), count(t[True]), count(t[False]),
                  count(t[None]), percent(t[True], t[True] + t[False]))
                 for name, t in _by_group(groups, tallies))
    return Section(title, ("Task category", "Delegated", done, not_done, NOT_RECORDED, share),
                   rows, total_rows=1)


def _outcome_section(title: str, heading: str, outcomes: Sequence[tuple[str, str]],
                     groups: Sequence[tuple[str, str]],
                     tallies: Mapping[str, Tally]) -> Section:
    rows = tuple((label(name), count(t[True]),
                  *(count(t[("outcome", value)]) for value, _ in outcomes))
                 for name, t in _by_group(groups, tallies))
    return Section(title, ("Task category", heading, *(name for _, name in outcomes)), rows,
                   total_rows=1)


def _signposting_sections(found: Signposts) -> list[Section]:
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
    return [_signposting_table("Make Every Contact Count: signposting by service", "Service",
                               by_service),
            _signposting_table("Make Every Contact Count: signposting by occasion",
                               "Occasion", by_occasion)]


def _signposting_table(title: str, heading: str,
                       table: Sequence[tuple[str, Counter[str]]]) -> Section:
    total: Counter[str] = Counter()
    for _, tally in table:
        total.update(tally)
    rows = tuple((label(name), count(t["total"]), *(count(t[key]) for key, _ in SIGNPOST_PARTS))
                 for name, t in (*table, ("Total", total)))
    return Section(title, (heading, "Total", *(name for _, name in SIGNPOST_PARTS)), rows,
                   total_rows=1)


def _assessment_section(ages: Mapping[str, Counter[int]], by_kind: Counter[str],
                        every: int) -> Section:
    kinds = [*ASSESSMENT_KINDS, *sorted(set(ages) - set(ASSESSMENT_KINDS))]
    everything: Counter[int] = sum(ages.values(), Counter())

    def row(name: str, histogram: Counter[int], cases: int) -> Row:
        old = sum(n for age, n in histogram.items() if age > STALE_AFTER_DAYS)
        return (label(name), count(histogram.total()), count(cases), days(median(histogram)),
                count(old))
    rows = [row(ASSESSMENT_KINDS.get(k, k), ages.get(k, Counter()), by_kind[k]) for k in kinds]
    rows.append(row("Total", everything, every))
    return Section("Trusted assessment: partners' assessments reused", ASSESSMENT_COLUMNS,
                   tuple(rows), total_rows=1)


def _words_section(months: Sequence[str], found: Counter[tuple[str, bool, bool]]) -> Section:
    def numbers(month: str | None) -> tuple[int, int, int]:
        chosen = [(w, s, n) for (m, w, s), n in found.items() if month in (None, m)]
        return (sum(n for _, _, n in chosen), sum(n for w, _, n in chosen if w),
                sum(n for _, s, n in chosen if s))

    def row(name: str, values: tuple[int, int, int]) -> Row:
        plans, with_words, strengths = values
        return (label(name), count(plans), count(with_words), percent(with_words, plans),
                count(strengths), percent(strengths, plans))
    rows = [row(month_label(m), numbers(m)) for m in months]
    rows.append(row("Total", numbers(None)))
    return Section("What matters: the person's own words on their plan", WORDS_COLUMNS,
                   tuple(rows), total_rows=1)
