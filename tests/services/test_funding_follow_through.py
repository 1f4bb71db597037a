"""Funding follow-through (issue 16, item 4): a shared care discussion's decision with the
split it agreed, the reconciliation of the interim Health paid without prejudice, and a
joint-funding dispute's way through the Midlands & Lancashire CSU.

The case is made through the services (``tools/sample_case``): the MDT disagreed about the
funding of a jointly funded eye-drops delegation, so it was decided INTERIM_WITHOUT_PREJUDICE
on 30 November 2026 with plan version 1 carrying two interim lines from 1 December (ICB
£55.09 and Leicester City £33.05 a week: £88.14, all paid by the ICB meanwhile) and a shared
care discussion flagged for the CSU. Today is 10 February 2027.
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent, CaseEventKind, InterimReconciliation
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.models.user import Role
from desktop_app.services import registers
from desktop_app.services.core.errors import NotFound, PermissionDenied, ValidationError
from desktop_app.services.delegation.history import case_timeline
from desktop_app.services.delegation.plan import reissue_plan
from desktop_app.services.registers import AgreedFunding
from desktop_app.services.vault import VaultSession
from tests.support import as_role
from tools.sample_case import BuiltCase, CaseSpec, build_case

TODAY = dt.date(2027, 2, 10)
D = dt.date
CITY, COUNTY = Funder.LEICESTER_CITY, Funder.LEICESTERSHIRE_COUNTY
AGREED = AgreedFunding(D(2027, 2, 1), ((Funder.ICB, 5000), (CITY, 3814)))
INTERIM_WEEKLY = 5509 + 3305


@pytest.fixture(scope="module")
def template_vault(template_vault: tuple[Path, str, str], template_with: Any
                   ) -> tuple[Path, str, str, BuiltCase]:
    """The suite's template vault with the case built in it through the services: built
    once for this file and copied for each test (every test starts from it)."""
    return template_with(template_vault,
                         lambda session: build_case(session.uow, CaseSpec(disagree=True)))


@pytest.fixture
def case(template_vault: tuple[Path, str, str, BuiltCase], vault: VaultSession) -> BuiltCase:
    """The case, in this test's own copy of the vault (``vault``)."""
    return template_vault[3]


def discussion_id(vault: VaultSession) -> str:
    [row] = registers.escalations(vault.uow, TODAY)
    return row.discussion_id


CLOSED_ON = dt.date(2027, 1, 30)


def close(vault: VaultSession, agreed: AgreedFunding | None = AGREED
          ) -> registers.ClosedDiscussion:
    return registers.close_discussion(vault.uow, discussion_id(vault), "Joint funding agreed",
                                      ["funding"], CLOSED_ON, False, today=TODAY, agreed=agreed)


def plans(vault: VaultSession, person_id: str) -> list[tuple[int, dt.date, list[Any]]]:
    """(version, effective from, its lines as (funder, pence, interim, start, reconciled,
    free to the person, lead))."""
    with vault.uow.read() as s:
        return [(p.version_number, p.effective_from,
                 [(f.funder, f.pence_per_week, f.interim_without_prejudice, f.start_date,
                   f.reconciled_on, f.free_to_person, f.lead_commissioner)
                  for f in p.funding_splits])
                for p in s.scalars(select(SupportPlan).where(SupportPlan.person_id == person_id)
                                   .order_by(SupportPlan.version_number))]


def kinds(vault: VaultSession, case_id: str) -> list[CaseEventKind]:
    return [e.kind for e in case_timeline(vault.uow, case_id)]


# ---------------------------------------------------------------- closing with the agreed split


@pytest.mark.hazard("H-011")
def test_closing_with_an_agreed_split_issues_a_plan_version_with_the_agreed_lines(
        vault: VaultSession, case: BuiltCase) -> None:
    closed = close(vault)
    assert closed.plan_version == 2
    versions = plans(vault, case.person_id)
    assert [(v, starts) for v, starts, _lines in versions] == [(1, D(2026, 11, 30)),
                                                               (2, D(2027, 2, 1))]
    # Version 1 keeps its interim lines; version 2 carries the agreed split, not interim,
    # the NHS share free to the person and the council (the lead, as before) not.
    assert sorted(versions[0][2]) == [
        ("icb", 5509, True, D(2026, 12, 1), None, True, False),
        ("leicester_city", 3305, True, D(2026, 12, 1), None, False, True)]
    assert sorted(versions[1][2]) == [
        ("icb", 5000, False, D(2027, 2, 1), None, True, False),
        ("leicester_city", 3814, False, D(2027, 2, 1), None, False, True)]
    timeline = case_timeline(vault.uow, case.case_id)
    assert [e.kind for e in timeline] == [CaseEventKind.DECIDED,
                                          CaseEventKind.DISCUSSION_DECIDED,
                                          CaseEventKind.FUNDING_CHANGED]
    decided, changed = timeline[1], timeline[2]
    assert decided.reasons == ("Joint funding agreed",) and decided.occurred_on == D(2027, 1, 30)
    assert decided.plan_version is None and decided.status is None
    assert changed.plan_version == 2 and changed.occurred_on == D(2027, 1, 30)
    assert changed.detail["from"] == "2027-02-01"
    assert changed.detail["shares"] == [{"funder": "icb", "pence_per_week": 5000},
                                        {"funder": "leicester_city", "pence_per_week": 3814}]
    assert changed.detail["method"] == "fixed_percentage"  # the delegation's own, kept
    assert registers.escalations(vault.uow, TODAY) == []


def test_closing_without_an_agreed_split_keeps_the_plan(vault: VaultSession,
                                                        case: BuiltCase) -> None:
    before = plans(vault, case.person_id)
    closed = close(vault, agreed=None)
    assert closed.plan_version is None
    assert plans(vault, case.person_id) == before
    assert kinds(vault, case.case_id) == [CaseEventKind.DECIDED,
                                          CaseEventKind.DISCUSSION_DECIDED]
    [event] = case_timeline(vault.uow, case.case_id)[1:]
    assert event.reasons == ("Joint funding agreed",)
    assert "agreed" not in event.detail


@pytest.mark.hazard("H-014")
def test_an_ended_delegation_gets_no_funding_back_on_its_plan(vault: VaultSession,
                                                              case: BuiltCase) -> None:
    """The delegation ended while the discussion was open: the agreed split is kept with
    the decision (for the reconciliation) but puts no funding back on the plan."""
    [review] = [r for r in registers.reviews_due(vault.uow, TODAY, within_days=400)
                if r.case_id == case.case_id]
    registers.record_review(vault.uow, review.review_id, D(2027, 1, 20), "withdraw", False,
                            True, False, "Eyes worse; the nurse takes the drops back", TODAY)
    before = plans(vault, case.person_id)
    closed = close(vault)
    assert closed.plan_version is None and plans(vault, case.person_id) == before
    event = case_timeline(vault.uow, case.case_id)[-1]
    assert event.kind is CaseEventKind.DISCUSSION_DECIDED
    assert event.detail["agreed"]["shares"][1] == {"funder": "leicester_city",
                                                   "pence_per_week": 3814}
    assert CaseEventKind.FUNDING_CHANGED not in kinds(vault, case.case_id)


@pytest.mark.hazard("H-011")
@pytest.mark.parametrize(("agreed", "field", "words"), [
    (AgreedFunding(D(2027, 2, 11), AGREED.shares), "agreed_from", "cannot start after today"),
    (AgreedFunding(D(2026, 11, 1), AGREED.shares), "agreed_from",
     "before the shared care discussion opened"),
    (AgreedFunding(D(2027, 2, 1), ((Funder.ICB, 5000), (CITY, 1000), (COUNTY, 1000))),
     "agreed_council", "Only one council"),
    (AgreedFunding(D(2027, 2, 1), ((Funder.ICB, 5000), (COUNTY, 3814))), "agreed_council",
     "council is Leicester City Council"),
    (AgreedFunding(D(2027, 2, 1), ((Funder.ICB, -1), (CITY, 3814))), "agreed_icb",
     "LLR ICB's weekly amount must be from £0.00"),
    (AgreedFunding(D(2027, 2, 1), ((Funder.ICB, 5000), (Funder.ICB, 1))), "agreed_icb",
     "once"),
    (AgreedFunding(D(2027, 2, 1), ()), "agreed_icb", "Enter the weekly amount"),
    (AgreedFunding(D(2027, 2, 1), (("somewhere", 10),)), "agreed_council",  # type: ignore[arg-type]
     "Choose Leicester City"),
])
def test_an_agreed_split_is_checked_and_nothing_is_recorded_when_refused(
        vault: VaultSession, case: BuiltCase, agreed: AgreedFunding, field: str,
        words: str) -> None:
    before = plans(vault, case.person_id)
    with pytest.raises(ValidationError, match=words) as refused:
        close(vault, agreed=agreed)
    assert refused.value.field == field
    assert plans(vault, case.person_id) == before
    assert kinds(vault, case.case_id) == [CaseEventKind.DECIDED]
    assert len(registers.escalations(vault.uow, TODAY)) == 1  # still open


# ---------------------------------------------------------------- interim to reconcile


@pytest.mark.hazard("H-012")
def test_the_interim_to_reconcile_shows_what_was_paid_and_its_age(vault: VaultSession,
                                                                  case: BuiltCase) -> None:
    """Still running: 1 December to 10 February is 72 days: 8814 × 72 ÷ 7 = 90,658.29 →
    £906.58. Once the agreed split runs from 1 February, the interim ran 62 days: £780.67."""
    [row] = registers.interim_to_reconcile(vault.uow, TODAY)
    assert (row.case_id, row.interim_funder, row.interim_from, row.interim_until) == (
        case.case_id, Funder.ICB, D(2026, 12, 1), None)
    assert (row.pence_per_week, row.weekly, row.paid_pence, row.paid, row.age_days) == (
        INTERIM_WEEKLY, "£88.14", 90658, "£906.58", 71)
    assert row.dispute_reference == "SCD-DEMO-42" and row.decided_on is None
    close(vault)
    [row] = registers.interim_to_reconcile(vault.uow, TODAY)
    assert (row.interim_until, row.paid_pence, row.decided_on) == (
        D(2027, 1, 31), 78067, D(2027, 1, 30))
    assert row.paid_for(D(2026, 12, 1), D(2026, 12, 7)) == INTERIM_WEEKLY
    # The fair part of the council under the agreed shares: 78067 × 3814 ÷ 8814.
    assert row.fair_shares(row.paid_pence) == {CITY: 33781}


@pytest.mark.hazard("H-012")
def test_reconciling_sets_reconciled_on_on_every_interim_line_of_every_version(
        vault: VaultSession, case: BuiltCase) -> None:
    # A change that is not about funding carries the interim lines onto version 2.
    with vault.uow.begin() as s:
        assert reissue_plan(s, case.person_id, D(2027, 1, 10), "A Nurse",
                            "Oversight moved") == 2
    close(vault)
    done = registers.reconcile_interim(vault.uow, case.case_id, D(2026, 12, 1),
                                       D(2027, 1, 31), [(CITY, 29000)], " Invoice  CITY-7 ",
                                       TODAY, TODAY)
    assert (done.interim_pence, done.repaid_pence, done.lines_reconciled) == (78067, 29000, 4)
    interim = [line for _v, _s, lines in plans(vault, case.person_id) for line in lines
               if line[2]]
    assert len(interim) == 4 and {line[4] for line in interim} == {TODAY}
    with vault.uow.read() as s:
        [record] = s.scalars(select(InterimReconciliation)).all()
        assert (record.delegation_case_id, record.period_from, record.period_to,
                record.interim_pence, record.repayments, record.notes, record.interim_funder,
                record.reconciled_on) == (
            case.case_id, D(2026, 12, 1), D(2027, 1, 31), 78067,
            [{"funder": "leicester_city", "pence": 29000}], "Invoice CITY-7", "icb", TODAY)
        assert record.discussion_id == s.scalar(select(SharedCareDiscussion.id))
    event = case_timeline(vault.uow, case.case_id)[-1]
    assert event.kind is CaseEventKind.INTERIM_RECONCILED and event.occurred_on == TODAY
    assert event.detail["interim_pence"] == 78067 and event.detail["period_to"] == "2027-01-31"
    assert event.reasons == ("Invoice CITY-7",)
    assert registers.interim_to_reconcile(vault.uow, TODAY) == []
    with pytest.raises(NotFound, match="no interim funding left"):
        registers.reconcile_interim(vault.uow, case.case_id, D(2026, 12, 1), D(2027, 1, 31),
                                    [], None, TODAY, TODAY)


@pytest.mark.hazard("H-012")
@pytest.mark.parametrize(("period", "repayments", "on", "field", "words"), [
    ((D(2027, 1, 2), D(2027, 1, 1)), [], TODAY, "period_to", "ends before it starts"),
    ((D(2026, 11, 30), D(2027, 1, 31)), [], TODAY, "period_from", "started on 01/12/2026"),
    ((D(2026, 12, 1), D(2027, 2, 5)), [], TODAY, "period_to", "ended on 31/01/2027"),
    # A part of it: reconciled_on marks every interim line, so the rest would vanish.
    ((D(2026, 12, 1), D(2026, 12, 31)), [], TODAY, "period_to", "the whole of it at once"),
    ((D(2027, 1, 1), D(2027, 1, 31)), [], TODAY, "period_from", "the whole of it at once"),
    ((D(2026, 12, 1), D(2027, 2, 11)), [], TODAY, "period_to", "cannot end after today"),
    ((D(2026, 12, 1), D(2027, 1, 31)), [], D(2027, 2, 11), "reconciled_on", "not come yet"),
    ((D(2026, 12, 1), D(2027, 1, 31)), [], D(2027, 1, 30), "reconciled_on",
     "before the last day"),
    ((D(2026, 12, 1), D(2027, 1, 31)), [(Funder.ICB, 100)], TODAY, "repayment_icb",
     "LLR ICB paid the interim"),
    ((D(2026, 12, 1), D(2027, 1, 31)), [(CITY, -5)], TODAY, "repayment_leicester_city",
     "must be from £0.00"),
    ((D(2026, 12, 1), D(2027, 1, 31)), [(CITY, 1), (CITY, 2)], TODAY,
     "repayment_leicester_city", "once"),
    ((D(2026, 12, 1), D(2027, 1, 31)), [(CITY, 70000), (COUNTY, 8068)], TODAY, "repayments",
     "£780.68, more than the £780.67"),
])
def test_a_reconciliation_is_checked_and_nothing_is_recorded_when_refused(
        vault: VaultSession, case: BuiltCase, period: tuple[dt.date, dt.date],
        repayments: list[tuple[Funder, int]], on: dt.date, field: str, words: str) -> None:
    close(vault)
    with pytest.raises(ValidationError, match=words) as refused:
        registers.reconcile_interim(vault.uow, case.case_id, *period, repayments, None, on,
                                    TODAY)
    assert refused.value.field == field
    assert len(registers.interim_to_reconcile(vault.uow, TODAY)) == 1
    with vault.uow.read() as s:
        assert s.scalars(select(InterimReconciliation)).all() == []
        assert s.scalars(select(FundingSplit.reconciled_on)).all() == [None] * 4


@pytest.mark.hazard("H-012")
def test_the_interim_is_not_reconciled_while_its_discussion_is_open(
        vault: VaultSession, case: BuiltCase) -> None:
    with pytest.raises(ValidationError, match="still open"):
        registers.reconcile_interim(vault.uow, case.case_id, D(2026, 12, 1), D(2027, 1, 31),
                                    [], None, TODAY, TODAY)


@pytest.mark.hazard("H-012")
def test_an_interim_still_paid_is_not_reconciled_and_stays_listed(
        vault: VaultSession, case: BuiltCase) -> None:
    """The discussion closed without a split: Health goes on paying without prejudice. A
    reconciliation now would mark the running lines reconciled and the rest would never be
    settled: refused, and the interim stays on the list with what it has paid."""
    close(vault, agreed=None)
    with pytest.raises(ValidationError, match="still paying") as refused:
        registers.reconcile_interim(vault.uow, case.case_id, D(2026, 12, 1), D(2026, 12, 31),
                                    [], None, TODAY, TODAY)
    assert refused.value.field == "period_to"
    [row] = registers.interim_to_reconcile(vault.uow, TODAY)
    assert row.case_id == case.case_id and row.interim_until is None


# ---------------------------------------------------------------- the CSU


def test_a_dispute_routed_to_the_csu_and_its_result_are_in_the_timeline(
        vault: VaultSession, case: BuiltCase) -> None:
    discussion = discussion_id(vault)
    registers.record_csu_routed(vault.uow, discussion, D(2027, 1, 5), TODAY)
    [row] = registers.escalations(vault.uow, TODAY)
    assert (row.csu_routed_on, row.csu_result_on) == (D(2027, 1, 5), None)
    registers.record_csu_result(vault.uow, discussion, "  ICB 62.5%,  council 37.5% ",
                                D(2027, 1, 25), TODAY)
    with vault.uow.read() as s:
        saved = s.get_one(SharedCareDiscussion, discussion)
        assert (saved.csu_routed_on, saved.csu_result, saved.csu_result_on) == (
            D(2027, 1, 5), "ICB 62.5%, council 37.5%", D(2027, 1, 25))
    timeline = case_timeline(vault.uow, case.case_id)
    assert [(e.kind, e.occurred_on) for e in timeline[1:]] == [
        (CaseEventKind.CSU_ROUTED, D(2027, 1, 5)), (CaseEventKind.CSU_RESULT, D(2027, 1, 25))]
    assert timeline[2].reasons == ("ICB 62.5%, council 37.5%",)
    assert timeline[1].title == "Funding dispute routed to the CSU"
    assert timeline[1].detail == {"discussion_id": discussion,
                                  "dispute_reference": "SCD-DEMO-42"}
    with vault.uow.read() as s:  # the case's status is untouched
        assert s.get_one(DelegationCase, case.case_id).status == "active"


def test_the_csu_steps_are_refused_out_of_order_twice_or_in_the_future(
        vault: VaultSession, case: BuiltCase) -> None:
    discussion = discussion_id(vault)
    with pytest.raises(ValidationError, match="routed to the CSU before its result"):
        registers.record_csu_result(vault.uow, discussion, "Joint", D(2027, 1, 25), TODAY)
    with pytest.raises(ValidationError, match="not come yet") as future:
        registers.record_csu_routed(vault.uow, discussion, D(2027, 2, 11), TODAY)
    assert future.value.field == "on"
    registers.record_csu_routed(vault.uow, discussion, D(2027, 1, 5), TODAY)
    with pytest.raises(ValidationError, match="already recorded as routed"):
        registers.record_csu_routed(vault.uow, discussion, D(2027, 1, 6), TODAY)
    with pytest.raises(ValidationError, match="before the dispute was routed"):
        registers.record_csu_result(vault.uow, discussion, "Joint", D(2027, 1, 4), TODAY)
    with pytest.raises(ValidationError, match="Write down the CSU's result"):
        registers.record_csu_result(vault.uow, discussion, "  ", D(2027, 1, 25), TODAY)
    registers.record_csu_result(vault.uow, discussion, "Joint", D(2027, 1, 25), TODAY)
    with pytest.raises(ValidationError, match="already recorded on 25/01/2027"):
        registers.record_csu_result(vault.uow, discussion, "Again", D(2027, 1, 26), TODAY)
    assert kinds(vault, case.case_id).count(CaseEventKind.CSU_RESULT) == 1


@pytest.mark.hazard("H-013")
def test_only_a_joint_funding_dispute_is_routed_to_the_csu(vault: VaultSession,
                                                           case: BuiltCase) -> None:
    discussion = discussion_id(vault)
    with vault.uow.begin() as s:  # as _record_mdt leaves a dispute that is not joint funding
        s.get_one(SharedCareDiscussion, discussion).escalated_to_mlcsu = False
    with pytest.raises(ValidationError, match="Only disputes about joint funding"):
        registers.record_csu_routed(vault.uow, discussion, D(2027, 1, 5), TODAY)
    with vault.uow.read() as s:
        assert s.scalars(select(CaseEvent.kind)).all() == ["decided"]


# ---------------------------------------------------------------- who may


@pytest.mark.hazard("H-026")
def test_a_nurse_may_not_record_the_funding_decisions(vault: VaultSession,
                                                      case: BuiltCase) -> None:
    discussion = discussion_id(vault)
    nurse = as_role(vault, Role.NURSE.value)
    refused = "close shared care discussions"
    with pytest.raises(PermissionDenied, match=refused):
        registers.close_discussion(nurse, discussion, "Agreed", [], D(2027, 1, 30), False,
                                   today=TODAY, agreed=AGREED)
    with pytest.raises(PermissionDenied, match=refused):
        registers.reconcile_interim(nurse, case.case_id, D(2026, 12, 1), D(2027, 1, 31), [],
                                    None, TODAY, TODAY)
    with pytest.raises(PermissionDenied, match=refused):
        registers.record_csu_routed(nurse, discussion, D(2027, 1, 5), TODAY)
    with pytest.raises(PermissionDenied, match=refused):
        registers.record_csu_result(nurse, discussion, "Joint", D(2027, 1, 25), TODAY)
    assert kinds(vault, case.case_id) == [CaseEventKind.DECIDED]
    assert plans(vault, case.person_id)[-1][0] == 1
