"""A known synthetic caseload for the report tests: every figure can be worked out by hand.

Period: the first quarter of 2026 (90 days); "today" is 15 April 2026, so snapshots are
taken on 31 March 2026. Team "Alpha INT" holds everything the tests count; "Beta INT"
holds one of each kind of row, which only an all-teams report counts. Rows outside the
period, removed rows and drafts are there to be left out.

The 30 people of Alpha counted in the quarter (q0..q29), by outcome and month:

    outcome                     Jan Feb Mar   sex of the people
    DELEGATED_EXISTING_PACKAGE   3   3   2    \\
    DELEGATED_JOINT_FUNDED       2   2   2     } first 10 female, next 6 male, last 3
    DELEGATED_HEALTH_FUNDED      -   1   2     } prefer not to say
    INTERIM_WITHOUT_PREJUDICE    -   -   2    /
    ESCALATED_SHARED_CARE        -   1   1    male
    NOT_DELEGATED                1   1   1    \\ first 4 female,
    PERSON_DECLINED              1   -   1     } last 2 male
    REFER_CHC                    -   1   -    /
    WITHDRAWN                    -   -   3    not recorded

The last three were delegated within the existing package on 10 December 2025, before the
quarter, and withdrawn in March (one at a review, one by consent withdrawn, one for a change
of need): the reports count decisions and withdrawals by the date of each event in the
delegation's history (``case_event``), so the quarter holds 27 decisions and 3 withdrawals.
Every decided case has its DECIDED event, as ``decide()`` writes it.

Tasks: January's are eye drops (medication), February's PEG feeds (feeding and digestive),
March's withdrawals compression hosiery (skin and wound), one March case a task no
catalogue knows (other), the rest of March insulin pens (medication).
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from typing import Any

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.person import PREFER_NOT_TO_SAY, Person
from desktop_app.models.plan import FundingSplit, SupportPlan
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review
from desktop_app.services.reports import ReportQuery
from tests.support import person_values

D = dt.date
TODAY = D(2026, 4, 15)
AS_AT = D(2026, 3, 31)
ALPHA, BETA = "Alpha INT", "Beta INT"
QUARTER = ReportQuery(D(2026, 1, 1), D(2026, 3, 31), ALPHA)
ALL_TEAMS = ReportQuery(D(2026, 1, 1), D(2026, 3, 31), None)
JAN, FEB, MAR = D(2026, 1, 14), D(2026, 2, 11), D(2026, 3, 10)
INJECTION = "=cmd|' /C calc'!A0"
MARKUP = "<b>Mixed</b> & Other"

# (outcome, month day) in the order of the table above.
DELEGATED = ([("DELEGATED_EXISTING_PACKAGE", d) for d in (JAN, JAN, JAN, FEB, FEB, FEB, MAR, MAR)]
             + [("DELEGATED_JOINT_FUNDED", d) for d in (JAN, JAN, FEB, FEB, MAR, MAR)]
             + [("DELEGATED_HEALTH_FUNDED", d) for d in (FEB, MAR, MAR)]
             + [("INTERIM_WITHOUT_PREJUDICE", d) for d in (MAR, MAR)])
ESCALATED = [("ESCALATED_SHARED_CARE", FEB), ("ESCALATED_SHARED_CARE", MAR)]
NOT_DELEGATED = [("NOT_DELEGATED", JAN), ("NOT_DELEGATED", FEB), ("NOT_DELEGATED", MAR),
                 ("PERSON_DECLINED", JAN), ("PERSON_DECLINED", MAR), ("REFER_CHC", FEB)]
WITHDRAWN = [("WITHDRAWN", MAR)] * 3
DECISIONS = DELEGATED + ESCALATED + NOT_DELEGATED + WITHDRAWN
SEX = ["Female"] * 10 + ["Male"] * 6 + [PREFER_NOT_TO_SAY] * 3 + ["Male"] * 2 \
    + ["Female"] * 4 + ["Male"] * 2 + [None] * 3
# Age on the day of the decision: 5 under 65, 7 aged 65-74, 10 aged 75-84, 8 aged 85+.
AGES = [64, 60, 50, 64, 55] + [65, 66, 70, 74, 72, 68, 69] + [75, 80, 84, 81, 79, 77, 76, 78,
                                                              83, 82] + [85, 90, 86, 88, 99,
                                                                         87, 91, 95]
# Religion: typed answers, matched ignoring case and spaces; Sikh (2) and Jain (1) are fewer
# than 5 each, so they are folded into "Other" (3, shown "<5").
RELIGION = (["Christian"] * 12 + ["Muslim"] * 6 + ["No religion"] * 4 + [" no RELIGION "]
            + ["Sikh", "Sikh", "Jain"] + [PREFER_NOT_TO_SAY] * 2 + [None] * 2)
ETHNICITY = (["White British"] * 10 + [INJECTION] * 5 + [MARKUP] * 5 + ["Asian British"] * 5
             + [PREFER_NOT_TO_SAY] * 2 + [None] * 3)


@dataclass
class Built:
    """Ids of rows the tests refer to."""

    people: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    discussions: dict[str, str] = field(default_factory=dict)


def _task(index: int, outcome: str, day: dt.date) -> str:
    if day == JAN:
        return "eye_drops"
    if day == FEB:
        return "peg_feed"
    if outcome == "WITHDRAWN":
        return "compression_hosiery"
    return "made_up_task" if index == 16 else "insulin_prefilled_pen"


def _born(age: int, on: dt.date, tomorrow: bool = False) -> dt.date:
    """Born so as to be ``age`` on ``on`` (a birthday the next day, if ``tomorrow``)."""
    born = on.replace(year=on.year - age)
    return born + dt.timedelta(days=1) if tomorrow else born


def case(person_id: str, task: str, outcome: str | None, decided: dt.date | None,
         **extra: Any) -> DelegationCase:
    """A delegation case as the flow leaves it."""
    return DelegationCase(person_id=person_id, task_code=task, task_catalogue_version="2026.1",
                          referred_by="District nurse", flow_version="2026.1",
                          status=extra.pop("status", "active"), outcome_code=outcome,
                          decided_on=decided, started_on=decided, **extra)


# When the three March withdrawals were decided, and how each ended (in dataset order).
WITHDRAWN_DECIDED = D(2025, 12, 10)
ENDINGS = ("withdrawn_at_review", "consent_withdrawn", "need_changed")


def event(row: DelegationCase, kind: str = "decided", on: dt.date | None = None,
          **extra: Any) -> CaseEvent:
    """An event of ``row``'s history: its decision (the case's outcome, on its decided day)
    unless ``kind`` says otherwise (an ending records WITHDRAWN)."""
    decided = kind == "decided"
    day = on or row.decided_on
    assert day is not None
    return CaseEvent(delegation_case_id=row.id, person_id=row.person_id, kind=kind,
                     occurred_on=day, recorded_by_name="A Nurse",
                     flow_version=row.flow_version,
                     outcome_code=row.outcome_code if decided else "WITHDRAWN",
                     status=extra.pop("status", row.status if decided else "withdrawn"),
                     **extra)


class _Serials:
    def __init__(self) -> None:
        self.next = 100

    def person(self, team: str = ALPHA, **values: Any) -> Person:
        self.next += 1
        return Person(**person_values(self.next, team=team, **values))


def build(uow: Any) -> Built:
    """Write the whole caseload in one unit of work."""
    built = Built()
    serials = _Serials()
    with uow.begin() as s:
        _decisions(s, serials, built)
        _outside_and_other_teams(s, serials)
        _funding(s, serials, built)
        _escalations(s, built)
        _reviews(s, serials)
        _competency(s, serials)
    return built


def _decisions(s: Any, serials: _Serials, built: Built) -> None:
    for i, (outcome, day) in enumerate(DECISIONS):
        person = serials.person(
            given_name=f"Q{i}", date_of_birth=_born(AGES[i], day, tomorrow=(i == 0)),
            eq_sex=SEX[i], eq_religion_belief=RELIGION[i], eq_ethnicity=ETHNICITY[i],
            eq_disability="Yes" if i % 2 else "No")
        s.add(person)
        s.flush()
        built.people[f"q{i}"] = person.id
        if outcome == "WITHDRAWN":  # decided before the quarter, withdrawn in March
            row = case(person.id, _task(i, outcome, day), "DELEGATED_EXISTING_PACKAGE",
                       WITHDRAWN_DECIDED, status="withdrawn")
        else:
            row = case(person.id, _task(i, outcome, day), outcome, day)
        s.add(row)
        s.flush()
        built.cases[f"q{i}"] = row.id
        s.add(event(row, status="active"))
        if outcome == "WITHDRAWN":
            s.add(event(row, ENDINGS[i - (len(DECISIONS) - len(WITHDRAWN))], day))


def _outside_and_other_teams(s: Any, serials: _Serials) -> None:
    """Rows no Alpha quarter report may count."""
    alpha, beta, gone = (serials.person(), serials.person(team=BETA),
                         serials.person(deleted=True))
    s.add_all([alpha, beta, gone])
    s.flush()
    rows = [
        case(alpha.id, "eye_drops", "DELEGATED_JOINT_FUNDED", D(2025, 12, 31)),
        case(alpha.id, "eye_drops", "NOT_DELEGATED", D(2026, 4, 1)),
        case(alpha.id, "eye_drops", None, None, status="draft"),
        case(alpha.id, "eye_drops", "NOT_DELEGATED", FEB, deleted=True),
        case(gone.id, "eye_drops", "NOT_DELEGATED", FEB),
        case(beta.id, "peg_feed", "REFER_CHC", FEB),
    ]
    s.add_all(rows)
    s.flush()
    s.add_all(event(row) for row in rows if row.outcome_code)


def _plan(person: str, version: int, starts: dt.date, case_id: str | None,
          lines: list[tuple[str, int, dt.date]], **line_extra: Any) -> SupportPlan:
    plan = SupportPlan(person_id=person, delegation_case_id=case_id, version_number=version,
                       effective_from=starts, created_by_name="A Nurse")
    plan.funding_splits = [
        FundingSplit(delegation_case_id=case_id, funder=funder, method="fixed_percentage",
                     pence_per_week=pence, free_to_person=funder == "icb",
                     lead_commissioner=funder != "icb", start_date=start, **line_extra)
        for funder, pence, start in lines]
    return plan


INTERIM = {"interim_without_prejudice": True, "dispute_reference": "MLCSU-999-7"}


def _funding(s: Any, serials: _Serials, built: Built) -> None:
    """See test_funding_report for the sums."""
    f = {name: serials.person() for name in ("f1", "f2", "f3", "f4", "f5", "f6", "f9", "f10")}
    f["f7"] = serials.person(team=BETA)
    f["f8"] = serials.person(deleted=True)
    s.add_all(f.values())
    s.flush()
    p = {name: person.id for name, person in f.items()}
    cases = {"f3": case(p["f3"], "insulin_prefilled_pen", "INTERIM_WITHOUT_PREJUDICE",
                        D(2025, 12, 20)),
             "f4": case(p["f4"], "eye_drops", "INTERIM_WITHOUT_PREJUDICE", D(2025, 12, 15)),
             "f5": case(p["f5"], "peg_feed", "ESCALATED_SHARED_CARE", D(2025, 5, 20))}
    s.add_all(cases.values())
    s.flush()
    c = {name: row.id for name, row in cases.items()}
    built.cases.update(c)
    built.people.update(p)
    dec1, jan1 = D(2025, 12, 1), D(2026, 1, 1)
    s.add_all([
        _plan(p["f1"], 1, dec1, None, [("icb", 7000, dec1), ("leicester_city", 3500, dec1)]),
        _plan(p["f1"], 2, D(2026, 2, 15), None,
              [("icb", 8400, D(2026, 2, 15)), ("leicester_city", 3500, dec1)]),
        _plan(p["f2"], 1, D(2026, 3, 4), None,
              [("icb", 1000, D(2026, 3, 4)), ("rutland_county", 999, D(2026, 3, 20))]),
        _plan(p["f3"], 1, D(2026, 2, 1), c["f3"],
              [("icb", 2100, D(2026, 2, 1)), ("leicestershire_county", 4200, D(2026, 2, 1))],
              **INTERIM),
        _plan(p["f4"], 1, D(2026, 1, 5), c["f4"],
              [("icb", 700, D(2026, 1, 5)), ("leicestershire_county", 1400, D(2026, 1, 5))],
              interim_without_prejudice=True, reconciled_on=D(2026, 3, 1)),
        _plan(p["f5"], 1, D(2025, 1, 1), c["f5"], [("icb", 9999, D(2025, 1, 1))]),
        _plan(p["f5"], 2, D(2025, 6, 1), c["f5"], [("icb", 350, D(2025, 6, 1))]),
        _plan(p["f6"], 1, D(2026, 4, 10), None, [("icb", 5000, D(2026, 4, 10))]),
        _plan(p["f7"], 1, jan1, None, [("icb", 7000, jan1)]),
        _plan(p["f8"], 1, jan1, None, [("icb", 7000, jan1)]),
        _plan(p["f9"], 1, D(2026, 3, 29), None, [("leicester_city", 1, D(2026, 3, 29))]),
        _plan(p["f10"], 1, D(2026, 3, 29), None, [("leicester_city", 1, D(2026, 3, 29))]),
    ])
    s.flush()
    removed = FundingSplit(delegation_case_id=c["f5"], funder="icb", method="fixed_percentage",
                           pence_per_week=100_000, free_to_person=True, start_date=jan1,
                           deleted=True)
    removed.plan_id = s.query(SupportPlan.id).filter_by(person_id=p["f5"],
                                                        version_number=2).scalar()
    s.add(removed)


def _discussion(case_id: str, opened: dt.date, closed: dt.date | None, themes: list[str],
                **extra: Any) -> SharedCareDiscussion:
    return SharedCareDiscussion(
        delegation_case_id=case_id, opened_on=opened, closed_on=closed, themes=themes,
        question=extra.pop("question", "Who funds the extra call?"),
        options=extra.pop("options", "ICB, council or both"),
        funding_proposal=extra.pop("funding_proposal", "Split by minutes"),
        decision=extra.pop("decision", "Agreed" if closed else None), interim_from=opened,
        **extra)


def _escalations(s: Any, built: Built) -> None:
    """E1-E6 of test_escalations_report."""
    c = built.cases
    rows = {
        "e1": _discussion(c["q19"], D(2026, 2, 10), D(2026, 2, 20), ["funding", "joint package"]),
        "e2": _discussion(c["q20"], D(2026, 3, 5), None, ["delegation"], escalated_to_mlcsu=True,
                          dispute_reference="MLCSU-999-2", question="Does the ICB fund it all?",
                          options="All ICB, or split 60/40", funding_proposal="60 % ICB"),
        "e3": _discussion(c["f3"], D(2025, 12, 20), D(2026, 3, 10), ["funding"],
                          decision="Joint funding, half each, from the start"),
        "e4": _discussion(c["f4"], D(2026, 1, 5), D(2026, 1, 19), ["funding", "training"]),
        "e5": _discussion(c["f5"], D(2026, 1, 20), D(2026, 4, 5), ["stability"],
                          question="Is the PEG feed stable enough to delegate?",
                          options="Delegate with daily checks, or keep with the nurse"),
        "e6": _discussion(c["q1"], D(2026, 1, 7), None, ["funding"], deleted=True),
    }
    s.add_all(rows.values())
    s.flush()
    built.discussions = {name: row.id for name, row in rows.items()}


def _reviews(s: Any, serials: _Serials) -> None:
    """R1-R11 of test_reviews_report (Alpha's reviews hang on one case)."""
    person = serials.person()
    beta = serials.person(team=BETA)
    s.add_all([person, beta])
    s.flush()
    own, other = case(person.id, "eye_drops", None, None), case(beta.id, "eye_drops", None, None)
    s.add_all([own, other])
    s.flush()

    def review(due: dt.date, kind: str, done: dt.date | None = None, **extra: Any) -> Review:
        target = extra.pop("target", own)
        return Review(delegation_case_id=target.id, person_id=target.person_id, due_on=due,
                      kind=kind, done_on=done, **extra)

    s.add_all([
        review(D(2026, 1, 10), "three_month", D(2026, 1, 8)),
        review(D(2026, 1, 20), "annual", D(2026, 1, 20)),
        review(D(2026, 1, 25), "annual", D(2026, 2, 3)),
        review(D(2026, 2, 14), "three_month"),
        review(D(2026, 2, 20), "change_of_need", D(2026, 2, 21)),
        review(D(2026, 3, 31), "annual"),
        review(D(2026, 3, 15), "annual", D(2026, 3, 1)),
        review(D(2026, 4, 20), "three_month"),
        review(D(2025, 12, 31), "annual"),
        review(D(2026, 2, 10), "annual", deleted=True),
        review(D(2026, 2, 10), "annual", D(2026, 2, 9), target=other),
    ])


def _competency(s: Any, serials: _Serials) -> None:
    """S1-S10 of test_competency_report."""
    person, beta = serials.person(), serials.person(team=BETA)
    demo = CareProvider(name="Demo Homecare Ltd", phone="0116 000 0000",
                        council="leicester_city")
    sample = CareProvider(name="Sample Care Services", phone="0116 000 0001",
                          council="leicestershire_county")
    s.add_all([person, beta, demo, sample])
    s.flush()
    w1, w2, w3 = (CareWorker(provider_id=provider.id, given_name=name, family_name="Worker",
                             role_title="Care worker")
                  for name, provider in (("W1", demo), ("W2", demo), ("W3", sample)))
    s.add_all([w1, w2, w3])
    s.flush()

    def sign_off(worker: CareWorker, signed: dt.date, refresher: dt.date,
                 **extra: Any) -> CompetencySignOff:
        return CompetencySignOff(worker_id=worker.id, person_id=extra.pop("person", person.id),
                                 task_code="eye_drops", training_level=1, trainer_name="T",
                                 assessor_name="A", signed_off_on=signed,
                                 refresher_due=refresher, **extra)

    s.add_all([
        sign_off(w1, D(2025, 12, 1), D(2026, 12, 1)),
        sign_off(w1, D(2025, 5, 30), D(2026, 5, 30)),
        sign_off(w2, D(2026, 2, 1), D(2026, 5, 31)),
        sign_off(w2, D(2025, 3, 30), D(2026, 3, 30)),
        sign_off(w2, D(2025, 3, 31), D(2026, 3, 31)),
        sign_off(w3, D(2026, 1, 15), D(2026, 12, 1), status="suspended"),
        sign_off(w3, D(2025, 6, 1), D(2026, 6, 1), status="withdrawn",
                 withdrawn_reason="Left the provider"),
        sign_off(w3, D(2026, 4, 2), D(2027, 4, 2)),
        sign_off(w1, D(2026, 1, 2), D(2026, 2, 2), deleted=True),
        sign_off(w1, D(2026, 1, 2), D(2027, 1, 2), person=beta.id),
    ])
