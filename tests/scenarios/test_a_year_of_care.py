"""A year of care: one person's delegation through 15 months, driven through the real
services on a real (encrypted, throwaway) vault, read back as a nurse and a team lead would
read it: the timeline, each support plan version's PDF text and the governance reports
(issue 16, "Done when").

First scenario (Zoë, eye drops, jointly funded):

=========== ===========================================================================
30/11/2026  delegated (plan v1: community health services keep oversight)
01/03/2027  the three-month review: continue (the annual review is due 01/03/2028)
10/05/2027  a refresher recorded for one of the two care workers
01/07/2027  Zoë is no longer open to community health services: oversight of the eye
            drops moves to her GP practice (plan v2 names it); accepted 08/07/2027
15/10/2027  her eyes deteriorate; a review withdraws the task (plan v3: no eye drops, no
            funding for them; the sign-offs are suspended; no review is due)
20/01/2028  the eye drops are delegated again, to another provider (plan v4)
=========== ===========================================================================

Second scenario (Priya): the MDT cannot agree on funding; Health pays without prejudice
from the start; the shared care discussion decides a split from a date (a new plan
version); the interim funding is reconciled (who repays what for which period) and the
funding report shows it reconciled.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace
from fractions import Fraction
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.delegation import OutcomeCode
from desktop_app.models.history import CaseEventKind, InterimReconciliation
from desktop_app.models.oversight import OversightService
from desktop_app.models.person import Contact
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.models.user import Role
from desktop_app.services import delegation, people, registers
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.delegation import oversight
from desktop_app.services.delegation.history import case_timeline
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.framework.funding import format_pounds
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import load_plan_document
from desktop_app.services.providers import competence
from desktop_app.services.registers import AgreedFunding, interim
from desktop_app.services.reports.delegations import delegations_report
from desktop_app.services.reports.funding import funding_report
from desktop_app.services.reports.model import Report, ReportQuery
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tests.support import as_role
from tools import sample_case
from tools.sample_case import TEXTS, CaseSpec, answers_for, build_case

D = dt.date
PRINTED_AT = dt.datetime(2028, 2, 1, 9, 0)
GP_PRACTICE = "Leicester Demo Medical Practice"
CHS = "City South community nursing"
EYE_DROPS = TEXTS["what_is_delegated"]


def _plan_text(uow: UnitOfWork, person_id: str, version: int) -> str:
    with uow.read() as s:
        plan_id = s.scalar(select(SupportPlan.id).where(SupportPlan.person_id == person_id,
                                                        SupportPlan.version_number == version))
    assert plan_id is not None, f"no plan version {version}"
    document = load_plan_document(uow, plan_id, "Terry Teamlead", PRINTED_AT)
    return flat("\n".join(page_texts(render_support_plan(document))))


def _delegate_eye_drops_again(uow: UnitOfWork, person_id: str, on: dt.date) -> str:
    """The eye drops delegated again on ``on``, as the wizard would record it: a new
    provider and worker signed off ten days before, oversight with the GP practice."""
    provider_id, workers = sample_case.add_insured_provider(
        uow, "Sample Care Services", (("Kwame", "Okafor"),))
    with uow.read() as s:
        attorney_id = s.scalar(select(Contact.id).where(
            Contact.person_id == person_id, Contact.kind == "lpa_health_welfare"))
    answers: dict[str, dict[str, Any]] = answers_for(
        CaseSpec(), TEXTS, provider_id, workers, str(attorney_id), on)
    for item in answers["S8"]["sign_offs"]:
        item["signed_off_on"] = (on - dt.timedelta(days=10)).isoformat()
    answers["S8"].update(oversight_service="gp_practice", oversight_organisation=GP_PRACTICE,
                         oversight_clinician="Dr A Example")
    answers["S9F"]["inputs"]["start_date"] = (on + dt.timedelta(days=1)).isoformat()
    answers["S10"]["met_on"] = (on - dt.timedelta(days=3)).isoformat()
    flow, catalogue = load_flow(), load_catalogue()
    case_id = delegation.save_draft(uow, person_id, None, answers, "S10", flow, catalogue)
    delegation.decide(uow, case_id, answers, flow, catalogue, "A Nurse", on)
    return case_id


def _oversight(plan_text: str) -> str:
    """The plan's section 4, "Clinical oversight: who to call" (the GP practice is also
    named in section 1, as the person's GP)."""
    return plan_text.split("4. Clinical oversight")[1].split("5. If something goes wrong")[0]


def _row(report: Report, section: int, label: str) -> dict[str, Any]:
    part = report.sections[section]
    found = [r for r in part.rows if r[0].text == label]
    assert len(found) == 1, (label, [r[0].text for r in part.rows])
    [row] = found
    return {column: cell.value if cell.numeric else cell.text
            for column, cell in zip(part.columns, row, strict=True)}


@pytest.mark.hazard("H-008")
@pytest.mark.hazard("H-014")
@pytest.mark.hazard("H-042")
@pytest.mark.hazard("H-043")
def test_a_year_of_one_persons_eye_drops(vault: VaultSession) -> None:
    uow = vault.uow
    zoe = build_case(uow)  # decided 30/11/2026: plan v1

    # 01/03/2027: the three-month review; carry on.
    [three_month] = registers.reviews_due(uow, D(2027, 3, 1))
    assert three_month.due_on == D(2027, 3, 1)
    registers.record_review(uow, three_month.review_id, D(2027, 3, 1), "continue", True, True,
                            False, "", D(2027, 3, 1))

    # 10/05/2027: a refresher for Łukasz.
    worker = zoe.worker_ids[0]
    with uow.read() as s:
        sign_off_id = s.scalar(select(CompetencySignOff.id).where(
            CompetencySignOff.worker_id == worker, CompetencySignOff.status == "current"))
    competence.record_refresher(uow, competence.AssessmentInput(
        worker_id=worker, person_id=zoe.person_id, task_code="eye_drops",
        assessed_on=D(2027, 5, 10), assessor_name="A Assessor",
        standard="LLR eye drops competency", outcome="competent", trainer_name="T Trainer",
        refreshes_sign_off_id=sign_off_id), D(2027, 5, 10))

    # 01/07/2027: no longer open to community health services; oversight to the practice.
    record = people.open_person(uow, zoe.person_id)
    people.update_person(uow, zoe.person_id, replace(
        record.as_input(), open_to_community_health=False), record.version)
    [to_move] = oversight.oversight_to_transfer(uow, zoe.person_id,
                                                OversightService.GP_PRACTICE)
    assert to_move.case_id == zoe.case_id
    moved = oversight.transfer_oversight(
        uow, zoe.person_id, [zoe.case_id], OversightService.GP_PRACTICE, D(2027, 7, 1),
        GP_PRACTICE, "Dr A Example", "0116 496 0202", "111", D(2027, 7, 1))
    assert moved.plan_version == 2
    [awaiting] = oversight.oversight_awaiting_acceptance(uow, D(2027, 7, 5))
    assert awaiting.case_id == zoe.case_id
    oversight.record_oversight_accepted(uow, moved.oversight_ids[0], D(2027, 7, 8),
                                        D(2027, 7, 8))
    assert oversight.oversight_awaiting_acceptance(uow, D(2027, 7, 8)) == []

    # 15/10/2027: deterioration; the annual review is brought forward and withdraws the task.
    [annual] = registers.reviews_due(uow, D(2027, 10, 15), within_days=200)
    assert annual.due_on == D(2028, 3, 1)
    withdrawn = registers.record_review(
        uow, annual.review_id, D(2027, 10, 15), "withdraw", False, True, False,
        "Eyes deteriorating: the nurse gives the drops and reassesses weekly", D(2027, 10, 15))
    assert withdrawn.sign_offs_suspended == 2
    assert registers.reviews_due(uow, D(2028, 6, 1), within_days=400) == []

    # 20/01/2028: delegated again.
    again = _delegate_eye_drops_again(uow, zoe.person_id, D(2028, 1, 20))

    # The whole timeline, oldest first.
    first = [(e.occurred_on, e.kind, e.plan_version) for e in case_timeline(uow, zoe.case_id)]
    assert first == [
        (D(2026, 11, 30), CaseEventKind.DECIDED, 1),
        (D(2027, 3, 1), CaseEventKind.REVIEWED, None),
        (D(2027, 5, 10), CaseEventKind.REFRESHER_RECORDED, None),
        (D(2027, 7, 1), CaseEventKind.OVERSIGHT_TRANSFERRED, 2),
        (D(2027, 7, 8), CaseEventKind.OVERSIGHT_ACCEPTED, None),
        (D(2027, 10, 15), CaseEventKind.WITHDRAWN_AT_REVIEW, 3),
    ]
    second = [(e.occurred_on, e.kind, e.plan_version) for e in case_timeline(uow, again)]
    assert second == [(D(2028, 1, 20), CaseEventKind.DECIDED, 4)]
    events = case_timeline(uow, zoe.case_id)
    assert events[0].outcome_title == "Delegated, jointly funded"
    assert events[-1].outcome_title == "Delegation withdrawn: the task returns to Health"
    assert "Eyes deteriorating" in " ".join(events[-1].reasons)

    # Each plan version, read back from its PDF.
    v1, v2, v3, v4 = (_plan_text(uow, zoe.person_id, v) for v in (1, 2, 3, 4))
    assert EYE_DROPS in v1 and CHS in _oversight(v1) and GP_PRACTICE not in _oversight(v1)
    assert "SUPERSEDED: version 4 of this plan exists" in v1
    assert EYE_DROPS in v2 and GP_PRACTICE in _oversight(v2) and CHS not in _oversight(v2)
    assert "Dr A Example" in _oversight(v2)
    assert EYE_DROPS not in v3 and "Leicester City Council" not in v3
    assert "the delegation ended on 15/10/2027" in v3
    assert EYE_DROPS in v4 and "Kwame Okafor" in v4 and "SUPERSEDED" not in v4

    # The year's reports: decided under the outcome decided then, withdrawn as its own.
    query = ReportQuery(D(2026, 11, 1), D(2028, 1, 31))
    decisions = delegations_report(uow, query, today=D(2028, 2, 1))
    joint = _row(decisions, 0, describe(OutcomeCode.DELEGATED_JOINT_FUNDED).title)
    assert (joint["Nov 2026"], joint["Jan 2028"], joint["Total"]) == (1, 1, 2)
    assert not any(r[0].text == describe(OutcomeCode.WITHDRAWN).title
                   for r in decisions.sections[0].rows), "a withdrawal is not a decision"
    gone = _row(decisions, 2, "Withdrawn at a review")
    assert (gone["Oct 2027"], gone["Total"]) == (1, 1)
    def funding(start: dt.date, end: dt.date, label: str = "All funders") -> dict[str, Any]:
        report = funding_report(uow, ReportQuery(start, end), today=D(2028, 2, 1))
        return _row(report, 0, label)

    while_running = funding(D(2027, 1, 1), D(2027, 9, 30))
    assert (while_running["Per week on 30 September 2027"], while_running["Period total"]) == (
        8814, 343746)  # pence: 217 minutes a week at £24.37 an hour; 273 days
    assert funding(D(2027, 1, 1), D(2027, 9, 30), "LLR ICB")["Period total"] == 214851
    # The funding ended with the withdrawal on 15/10/2027: nothing accrues after it.
    assert funding(D(2027, 11, 1), D(2027, 12, 31))["Period total"] == 0
    assert funding(D(2027, 1, 1), D(2027, 12, 31))["Period total"] == \
        funding(D(2027, 1, 1), D(2027, 10, 14))["Period total"]


@pytest.mark.hazard("H-013")
@pytest.mark.hazard("H-014")
@pytest.mark.hazard("H-043")
def test_a_funding_dispute_from_interim_to_reconciliation(vault: VaultSession) -> None:
    """The MDT agreed the eye drops can be delegated but not who pays: Health pays the
    whole £88.14 a week without prejudice from 01/12/2026 while the shared care discussion
    and the CSU settle it; the discussion agrees £50.00 (ICB) and £38.14 (Leicester City)
    from 01/02/2027; the interim December and January are reconciled: the council repays
    Health its share of those 62 days."""
    lead = as_role(vault, Role.TEAM_LEAD.value)
    priya = build_case(vault.uow, CaseSpec(serial=9, given_name="Priya", family_name="Shah",
                                           disagree=True))
    [open_row] = registers.escalations(lead, D(2026, 12, 1))
    assert open_row.escalated_to_mlcsu and open_row.interim_weekly == "£88.14"
    interim.record_csu_routed(lead, open_row.discussion_id, D(2026, 12, 10), D(2026, 12, 10))
    interim.record_csu_result(lead, open_row.discussion_id,
                              "Split by the fixed percentage in the LLR agreement",
                              D(2027, 1, 20), D(2027, 1, 20))
    closed = registers.close_discussion(
        lead, open_row.discussion_id, "Joint funding agreed as the CSU advised", ["funding"],
        D(2027, 1, 30), False, today=D(2027, 2, 1),
        agreed=AgreedFunding(D(2027, 2, 1), ((Funder.ICB, 5000),
                                             (Funder.LEICESTER_CITY, 3814))))
    assert closed.plan_version == 2
    [to_settle] = interim.interim_to_reconcile(lead, D(2027, 2, 15))
    assert (to_settle.case_id, to_settle.interim_from) == (priya.case_id, D(2026, 12, 1))
    paid = to_settle.paid_pence
    council_share = round(Fraction(3305 * 62, 7))  # its interim line, 62 days
    interim.reconcile_interim(lead, priya.case_id, D(2026, 12, 1), D(2027, 1, 31),
                              [(Funder.LEICESTER_CITY, council_share)],
                              "Council repays its share of December and January",
                              D(2027, 2, 15), D(2027, 2, 15))
    assert interim.interim_to_reconcile(lead, D(2027, 2, 15)) == []

    assert [(e.occurred_on, e.kind, e.plan_version)
            for e in case_timeline(lead, priya.case_id)] == [
        (D(2026, 11, 30), CaseEventKind.DECIDED, 1),
        (D(2026, 12, 10), CaseEventKind.CSU_ROUTED, None),
        (D(2027, 1, 20), CaseEventKind.CSU_RESULT, None),
        (D(2027, 1, 30), CaseEventKind.DISCUSSION_DECIDED, None),
        (D(2027, 1, 30), CaseEventKind.FUNDING_CHANGED, 2),
        (D(2027, 2, 15), CaseEventKind.INTERIM_RECONCILED, None),
    ]
    with lead.read() as s:
        lines = s.scalars(select(FundingSplit).where(
            FundingSplit.delegation_case_id == priya.case_id)).all()
        assert {(f.interim_without_prejudice, f.reconciled_on) for f in lines} == {
            (True, D(2027, 2, 15)), (False, None)}
        [settled] = s.scalars(select(InterimReconciliation)).all()
        assert (settled.interim_pence, settled.repayments) == (
            paid, [{"funder": "leicester_city", "pence": council_share}])

    v1, v2 = (_plan_text(lead, priya.person_id, v) for v in (1, 2))
    assert "without prejudice" in v1.lower() and "SUPERSEDED" in v1
    # Version 1: Health pays it all meanwhile; version 2: the agreed split, no longer interim.
    assert "Care goes ahead, funded without prejudice" in v1 and "SUPERSEDED" in v1
    funding_v2 = v2.split("6. Funding")[1].split("7. Review dates")[0]
    assert "LLR ICB £50.00" in funding_v2 and "Leicester City Council £38.14" in funding_v2
    assert "Total per week £88.14" in funding_v2
    assert "funding agreed after the shared care discussion" in v2
    assert "without prejudice" not in v2.lower()

    report = funding_report(lead, ReportQuery(D(2026, 12, 1), D(2027, 2, 28)),
                            today=D(2027, 3, 1))
    awaiting = _row(report, 1, "0 awaiting reconciliation")
    assert awaiting["Interim paid to date"] == 0
    settled = _row(report, 2, "SCD-DEMO-42")
    assert (settled["Interim period"], settled["Reconciled on"]) == (
        "1 December 2026 to 31 January 2027", "15 February 2027")
    assert (settled["Interim paid"], settled["Repaid"]) == (paid, council_share)
    assert settled["Who repays what"] == f"Leicester City Council {format_pounds(council_share)}"
    assert paid == round(Fraction(8814 * 62, 7))  # all of it, 62 days, paid by Health
