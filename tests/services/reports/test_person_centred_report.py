"""The "Person-centred care" report on a known caseload: every figure worked out by hand.

Rows are written through the models in one session (as ``decide()`` and the person
record's forms would leave them), so the report is tested on its own. Period: the first
quarter of 2026, team Alpha; Beta's rows count only for all teams, and rows outside the
period, removed rows, removed people and drafts are there to be left out.

Delegations decided in the quarter with an outcome that delegates (through S9):

    case  task (category)          outcome       AT considered   calls reviewed
    m1    eye drops (medication)   NHS-funded    yes: not suit.  yes: fits a call
    m2    insulin pen (medication) existing pkg  yes: in place   yes: extra call
    m3    eye drops (medication)   jointly       no              no
    m4    eye drops (medication)   without prej. not recorded    not recorded
    f1    PEG feed (feeding)       NHS-funded    yes: to try     yes: times changed
    f2    PEG feed (feeding)       NHS-funded    yes: declined   yes: fewer calls

Not counted there: an escalation (nothing delegated), a "not delegated" decision (it
reuses an assessment, so counts in trusted assessment), one decided in December, a removed
case, a removed decision event, a removed person's case, a draft; Beta's f3 (AT in place)
counts for all teams only.
"""

from __future__ import annotations

import csv
import datetime as dt
import io
import shutil
from collections.abc import Iterator
from pathlib import Path
from typing import Any, TypeVar

import pytest

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent
from desktop_app.models.person import Person
from desktop_app.models.person_centred import AssessmentReuse, PartnerAssessment, Signposting
from desktop_app.models.plan import SupportPlan
from desktop_app.models.user import Role
from desktop_app.services.core.errors import PermissionDenied
from desktop_app.services.pdf.report import render_report_pdf
from desktop_app.services.reports import REPORTS, Report, ReportKind, ReportQuery, to_csv
from desktop_app.services.reports.export import NO_SUPPRESSION
from desktop_app.services.reports.person_centred import person_centred_report
from desktop_app.services.reports.registry import run_report
from desktop_app.services.vault import VaultSession, VaultStore
from tests.services.pdf.pdf_text import flat, page_texts
from tests.support import PASSPHRASE, TEST_KDF, as_role, person_values

D = dt.date
T = TypeVar("T")
TODAY = D(2026, 4, 15)
ALPHA, BETA = "Alpha INT", "Beta INT"
QUARTER = ReportQuery(D(2026, 1, 1), D(2026, 3, 31), ALPHA)
ALL_TEAMS = ReportQuery(D(2026, 1, 1), D(2026, 3, 31), None)
JAN, FEB, MAR, DEC = D(2026, 1, 14), D(2026, 2, 11), D(2026, 3, 10), D(2025, 12, 10)
MEDICATION, FEEDING = "Specialised medication administration", "Feeding and digestive"
AGE_UK = "Age UK Leicester Shire & Rutland"
CARERS = "Carers' support and carer's assessment"
TYPED = "=Dementia café (Zoë's)"  # typed free text: a spreadsheet must not run it


@pytest.fixture(scope="module")
def pc_vault(template_vault: tuple[Path, str, str],
             tmp_path_factory: pytest.TempPathFactory) -> Iterator[VaultSession]:
    """An unlocked vault (a team lead) holding this module's caseload."""
    source, user_id, _ = template_vault
    target = tmp_path_factory.mktemp("person_centred_report") / "vault"
    shutil.copytree(source, target)
    session = VaultStore(target, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    with session.uow.begin() as s:
        _caseload(s)
    yield session
    session.close()


class _Book:
    """Writes the rows, numbering people from a 999-range serial."""

    def __init__(self, s: Any) -> None:
        self.s, self.serial = s, 700

    def person(self, team: str = ALPHA, **extra: Any) -> Person:
        self.serial += 1
        row = Person(**person_values(self.serial, team=team, **extra))
        return self.add(row)

    def add(self, row: T) -> T:
        self.s.add(row)
        self.s.flush()
        return row

    def case(self, person: Person, task: str, outcome: str | None, decided: D | None,
             event: bool = True, event_deleted: bool = False, **extra: Any) -> DelegationCase:
        """A decided case with its DECIDED event (none for a draft)."""
        row = self.add(DelegationCase(
            person_id=person.id, task_code=task, task_catalogue_version="2026.1",
            referred_by="District nurse", flow_version="2026.1",
            status=extra.pop("status", "active" if outcome else "draft"), outcome_code=outcome,
            decided_on=decided, started_on=decided, **extra))
        if event and outcome and decided:
            self.add(CaseEvent(delegation_case_id=row.id, person_id=person.id, kind="decided",
                               occurred_on=decided, recorded_by_name="A Nurse",
                               flow_version="2026.1", outcome_code=outcome, status="active",
                               deleted=event_deleted))
        return row

    def signpost(self, person: Person, on: D, service: str, for_whom: str, action: str,
                 occasion: str, **extra: Any) -> None:
        self.add(Signposting(person_id=person.id, given_on=on, occasion=occasion,
                             for_whom=for_whom, action=action, service=service,
                             recorded_by_name="A Nurse", **extra))

    def assessment(self, person: Person, kind: str, on: D, **extra: Any) -> PartnerAssessment:
        return self.add(PartnerAssessment(
            person_id=person.id, kind=kind, organisation="Leicester City Council",
            assessor="A Social Worker", assessed_on=on, recorded_by_name="A Nurse", **extra))

    def reuse(self, assessment: PartnerAssessment, case: DelegationCase, age: int,
              **extra: Any) -> None:
        self.add(AssessmentReuse(assessment_id=assessment.id, delegation_case_id=case.id,
                                 step="S1", reused_on=assessment.assessed_on
                                 + dt.timedelta(days=age), age_days=age, **extra))

    def plan(self, person: Person, version: int, on: D, words: str | None,
             strengths: str | None = None, **extra: Any) -> None:
        self.add(SupportPlan(person_id=person.id, version_number=version, effective_from=on,
                             person_words=words, strengths=strengths,
                             created_by_name="A Nurse", **extra))


def _caseload(s: Any) -> None:
    b = _Book(s)
    p1, p2, p3 = b.person(), b.person(), b.person()
    beta, gone = b.person(team=BETA), b.person(deleted=True)
    # Efficient use of resources (the table in the module docstring).
    m1 = b.case(p1, "eye_drops", "DELEGATED_HEALTH_FUNDED", JAN, at_considered=True,
                at_kind="Eye drop applicator", at_outcome="not_suitable",
                at_reason="Cannot grip it", calls_reviewed=True,
                calls_outcome="fits_existing_call")
    m2 = b.case(p2, "insulin_prefilled_pen", "DELEGATED_EXISTING_PACKAGE", FEB,
                at_considered=True, at_outcome="in_place", calls_reviewed=True,
                calls_outcome="extra_call_needed")
    b.case(p3, "eye_drops", "DELEGATED_JOINT_FUNDED", MAR, at_considered=False,
           at_reason="Not asked", calls_reviewed=False)
    b.case(p3, "eye_drops", "INTERIM_WITHOUT_PREJUDICE", MAR)  # decided before 0011
    b.case(p1, "peg_feed", "DELEGATED_HEALTH_FUNDED", FEB, at_considered=True,
           at_outcome="to_try", calls_reviewed=True, calls_outcome="call_times_changed")
    b.case(p2, "peg_feed", "DELEGATED_HEALTH_FUNDED", FEB, at_considered=True,
           at_outcome="declined", calls_reviewed=True, calls_outcome="fewer_calls")
    considered: dict[str, Any] = {"at_considered": True, "at_outcome": "in_place",
                                  "calls_reviewed": True, "calls_outcome": "fits_existing_call"}
    b.case(p1, "eye_drops", "ESCALATED_SHARED_CARE", FEB, **considered)
    not_delegated = b.case(p2, "eye_drops", "NOT_DELEGATED", MAR, **considered)
    december = b.case(p3, "eye_drops", "DELEGATED_HEALTH_FUNDED", DEC, **considered)
    b.case(p1, "eye_drops", "DELEGATED_HEALTH_FUNDED", FEB, deleted=True, **considered)
    b.case(p1, "eye_drops", "DELEGATED_HEALTH_FUNDED", FEB, event_deleted=True, **considered)
    b.case(gone, "eye_drops", "DELEGATED_HEALTH_FUNDED", FEB, **considered)
    draft = b.case(p2, "eye_drops", None, None, **considered)
    beta_case = b.case(beta, "peg_feed", "DELEGATED_HEALTH_FUNDED", FEB, at_considered=True,
                       at_outcome="in_place")
    # Make Every Contact Count: Age UK 3 (typed twice differently), carers 2, typed 1.
    b.signpost(p1, JAN, AGE_UK, "person", "signposted", "visit")
    b.signpost(p2, FEB, f"  {AGE_UK.lower()} ", "carer", "referred", "review")
    b.signpost(p3, MAR, AGE_UK, "person", "referred", "visit")
    b.signpost(p1, MAR, CARERS, "carer", "signposted", "phone_call")
    b.signpost(p2, MAR, CARERS, "carer", "referred", "delegation")
    b.signpost(p3, FEB, TYPED, "person", "signposted", "visit")
    b.signpost(p1, FEB, AGE_UK, "person", "signposted", "visit", deleted=True)
    b.signpost(p1, DEC, AGE_UK, "person", "signposted", "visit")
    b.signpost(gone, FEB, AGE_UK, "person", "signposted", "visit")
    b.signpost(beta, FEB, AGE_UK, "carer", "signposted", "visit")
    # Trusted assessment: Care Act needs reused at 227, 30 and 100 days old (by m1, m2 and
    # the "not delegated" case), mental capacity at 470 (by m1).
    needs, other_needs = (b.assessment(p1, "care_act_needs", D(2025, 6, 1)),
                          b.assessment(p2, "care_act_needs", D(2026, 1, 12)))
    capacity = b.assessment(p1, "mental_capacity", D(2024, 10, 1))
    b.reuse(needs, m1, 227)
    b.reuse(capacity, m1, 470)
    b.reuse(other_needs, m2, 30)
    b.reuse(needs, not_delegated, 100)
    b.reuse(needs, december, 190)
    b.reuse(needs, m2, 250, deleted=True)
    b.reuse(b.assessment(p2, "clinical_risk", D(2026, 1, 1), deleted=True), m2, 41)
    b.reuse(needs, draft, 10)
    b.reuse(b.assessment(beta, "clinical_risk", D(2026, 1, 2)), beta_case, 40)
    # What matters: plan versions taking effect in the quarter.
    b.plan(p1, 1, JAN, "I want to stay in my own home", "Does her own shopping")
    b.plan(p1, 2, FEB, "   ")  # only spaces: no words
    b.plan(p2, 1, FEB, "Zoë's words: see O'Brien & Sons <b>")
    b.plan(p3, 1, MAR, None, "Walks to the park every day")
    b.plan(p2, 2, DEC, "Before the quarter")  # effective_from before it (out of order too)
    b.plan(p3, 2, FEB, "Removed", deleted=True)
    b.plan(gone, 1, FEB, "A removed person")
    b.plan(beta, 1, FEB, "Beta's words")


def report(vault: VaultSession, query: ReportQuery = QUARTER) -> Report:
    return person_centred_report(vault.uow, query, today=TODAY)


def table(report_: Report, title_start: str) -> dict[str, list[str]]:
    """A section's rows by their first cell, as the text shown."""
    section = next(s for s in report_.sections if s.title.startswith(title_start))
    return {row[0].text: [cell.text for cell in row[1:]] for row in section.rows}


def test_assistive_technology_by_task_category(pc_vault: VaultSession) -> None:
    done = report(pc_vault)
    rows = table(done, "Efficient use of resources: assistive")
    # Delegated, considered, not considered, not recorded (decided before 0011), %.
    assert rows[MEDICATION] == ["4", "2", "1", "1", "66.7%"]
    assert rows[FEEDING] == ["2", "2", "0", "0", "100.0%"]
    assert rows["Vital signs monitoring"] == ["0", "0", "0", "0", "–"]
    assert rows["Total"] == ["6", "4", "1", "1", "80.0%"]
    outcomes = table(done, "Assistive technology: what came of it")
    # Considered, in place, to be tried, not suitable, declined.
    assert outcomes[MEDICATION] == ["2", "1", "0", "1", "0"]
    assert outcomes[FEEDING] == ["2", "0", "1", "0", "1"]
    assert outcomes["Total"] == ["4", "1", "1", "1", "1"]
    chart = done.sections[0].chart
    assert chart is not None and chart.categories[1] == MEDICATION
    assert [(s.name, s.values[1]) for s in chart.series] == [
        ("AT considered", 2.0), ("Not considered", 1.0), ("Not recorded", 1.0)]


def test_call_frequency_by_task_category(pc_vault: VaultSession) -> None:
    done = report(pc_vault)
    rows = table(done, "Efficient use of resources: call")
    # Delegated, reviewed, not reviewed, not recorded, %.
    assert rows[MEDICATION] == ["4", "2", "1", "1", "66.7%"]
    assert rows[FEEDING] == ["2", "2", "0", "0", "100.0%"]
    assert rows["Total"] == ["6", "4", "1", "1", "80.0%"]
    found = table(done, "Call frequency: what the review found")
    # Reviewed, fits an existing call, call times changed, extra call, fewer calls.
    assert found[MEDICATION] == ["2", "1", "0", "1", "0"]
    assert found[FEEDING] == ["2", "0", "1", "0", "1"]
    assert found["Total"] == ["4", "1", "1", "1", "1"]


def test_signposting_by_service_and_by_occasion(pc_vault: VaultSession) -> None:
    done = report(pc_vault)
    section = next(s for s in done.sections if s.title.endswith("by service"))
    assert section.columns == ("Service", "Total", "For the person", "For a carer",
                               "Signposted", "Referred")
    rows = {row[0].text: [cell.text for cell in row[1:]] for row in section.rows}
    assert list(rows) == [AGE_UK, CARERS, TYPED, "Total"]  # most first
    assert rows[AGE_UK] == ["3", "2", "1", "1", "2"]
    assert rows[CARERS] == ["2", "0", "2", "1", "1"]
    assert rows[TYPED] == ["1", "1", "0", "1", "0"]
    assert rows["Total"] == ["6", "3", "3", "3", "3"]
    assert section.chart is not None and section.chart.categories == (AGE_UK, CARERS, TYPED)
    assert [s.values for s in section.chart.series] == [(2.0, 0.0, 1.0), (1.0, 2.0, 0.0)]
    occasions = table(done, "Make Every Contact Count: signposting by occasion")
    assert occasions == {"Visit": ["3", "3", "0", "2", "1"],
                         "Review": ["1", "0", "1", "0", "1"],
                         "Phone call": ["1", "0", "1", "1", "0"],
                         "Delegation conversation": ["1", "0", "1", "0", "1"],
                         "Total": ["6", "3", "3", "3", "3"]}


def test_trusted_assessment_by_kind(pc_vault: VaultSession) -> None:
    rows = table(report(pc_vault), "Trusted assessment")
    # Reused, delegations, median age in days, over a year old.
    assert rows["Care Act needs assessment"] == ["3", "3", "100.0", "0"]
    assert rows["Mental capacity assessment"] == ["1", "1", "470.0", "1"]
    assert rows["Clinical risk assessment"] == ["0", "0", "–", "0"]
    # Four reuses by three delegations (m1 reused two): the median of 30, 100, 227, 470.
    assert rows["Total"] == ["4", "3", "163.5", "1"]


def test_plan_versions_with_the_persons_own_words(pc_vault: VaultSession) -> None:
    rows = table(report(pc_vault), "What matters")
    # Versions, with own words, %, with strengths, %.
    assert rows["Jan 2026"] == ["1", "1", "100.0%", "1", "100.0%"]
    assert rows["Feb 2026"] == ["2", "1", "50.0%", "0", "0.0%"]
    assert rows["Mar 2026"] == ["1", "0", "0.0%", "1", "100.0%"]
    assert rows["Total"] == ["4", "2", "50.0%", "2", "50.0%"]


def test_every_team_counts_beta_too(pc_vault: VaultSession) -> None:
    everyone = report(pc_vault, ALL_TEAMS)
    assert table(everyone, "Efficient use of resources: assistive")[FEEDING] == [
        "3", "3", "0", "0", "100.0%"]
    assert table(everyone, "Assistive technology")[FEEDING] == ["3", "1", "1", "0", "1"]
    assert table(everyone, "Make Every Contact Count")[AGE_UK] == ["4", "2", "2", "2", "2"]
    assert table(everyone, "Trusted assessment")["Clinical risk assessment"] == [
        "1", "1", "40.0", "0"]
    assert table(everyone, "What matters")["Total"] == ["5", "3", "60.0%", "2", "40.0%"]


def test_a_period_with_nothing_has_totals_of_nothing(pc_vault: VaultSession) -> None:
    empty = report(pc_vault, ReportQuery(D(2024, 1, 1), D(2024, 1, 31), ALPHA))
    assert [s.rows[-1][1].text for s in empty.sections] == ["0"] * 8
    assert all(not any(series.total for series in s.chart.series) for s in empty.sections
               if s.chart is not None)


def test_the_csv_carries_the_figures(pc_vault: VaultSession) -> None:
    done = run_report(pc_vault.uow, ReportKind.PERSON_CENTRED, QUARTER, today=TODAY)
    rows = list(csv.reader(io.StringIO(to_csv(done), newline="")))
    assert ["Suppression rule", NO_SUPPRESSION] in rows
    assert [MEDICATION, "4", "2", "1", "1", "66.7"] in rows
    assert ["Total", "6", "4", "1", "1", "80.0"] in rows  # use of resources
    assert ["Total", "4", "1", "1", "1", "1"] in rows  # what came of it
    assert [AGE_UK, "3", "2", "1", "1", "2"] in rows
    assert ["'" + TYPED, "1", "1", "0", "1", "0"] in rows
    assert ["Visit", "3", "3", "0", "2", "1"] in rows
    assert ["Total", "4", "3", "163.5", "1"] in rows  # trusted assessment
    assert ["Total", "4", "2", "50.0", "2", "50.0"] in rows  # what matters


def test_the_pdf_prints_the_figures(pc_vault: VaultSession) -> None:
    text = flat("\n".join(page_texts(render_report_pdf(report(pc_vault)))))
    for wanted in ("Person-centred care", "66.7%", "163.5", TYPED, AGE_UK):
        assert wanted in text, wanted


def test_the_reports_screen_lists_it() -> None:
    assert [(s.kind, s.title) for s in REPORTS][-1] == (ReportKind.PERSON_CENTRED,
                                                        "Person-centred care")


@pytest.mark.hazard("H-026")
def test_governance_reads_it_and_a_nurse_is_refused(pc_vault: VaultSession) -> None:
    governance = as_role(pc_vault, Role.READ_ONLY.value)
    assert person_centred_report(governance, QUARTER, today=TODAY).rows
    with pytest.raises(PermissionDenied):
        person_centred_report(as_role(pc_vault, Role.NURSE.value), QUARTER, today=TODAY)
