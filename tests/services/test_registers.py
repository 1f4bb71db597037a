"""The four registers and their actions, on a real (cheap-key) vault with synthetic data.

The data is built directly with the models, relative to one fixed day, so every date the
registers show can be checked by hand.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass, field
from types import SimpleNamespace
from typing import Any

import pytest
from sqlalchemy import func, inspect, select

from desktop_app.models.case_example import CaseExample
from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEventKind
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.person import Contact, Person
from desktop_app.models.plan import FundingSplit, SupportPlan
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review
from desktop_app.services import registers
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.delegation.history import case_timeline
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.framework.review_schedule import ReviewStatus
from desktop_app.services.registers import Expiry, WaitingFor
from desktop_app.services.vault import VaultSession
from tests.support import person_values

TODAY = dt.date(2027, 2, 10)
D = dt.date


@dataclass
class Caseload:
    """Ids of the synthetic rows, by the names the tests use."""

    people: dict[str, str] = field(default_factory=dict)
    workers: dict[str, str] = field(default_factory=dict)
    cases: dict[str, str] = field(default_factory=dict)
    reviews: dict[str, str] = field(default_factory=dict)
    sign_offs: dict[str, str] = field(default_factory=dict)
    discussions: dict[str, str] = field(default_factory=dict)
    examples: dict[str, str] = field(default_factory=dict)


def _case(person_id: str, task: str, started: dt.date, status: str = "active",
          outcome: str = "DELEGATED_EXISTING_PACKAGE") -> DelegationCase:
    return DelegationCase(person_id=person_id, task_code=task, task_catalogue_version="2026.1",
                          referred_by="District nurse", flow_version="2026.1", status=status,
                          outcome_code=outcome, decided_on=started, started_on=started)


def _sign_off(worker: str, person: str, task: str, refresher: dt.date, case: str | None,
              status: str = "current", **extra: Any) -> CompetencySignOff:
    return CompetencySignOff(worker_id=worker, person_id=person, task_code=task,
                             training_level=2, trainer_name="T Nurse", assessor_name="A Nurse",
                             signed_off_on=refresher - dt.timedelta(days=365),
                             refresher_due=refresher, delegation_case_id=case, status=status,
                             **extra)


def _plan(person: str, case: str, version: int, interim: tuple[int, int]) -> SupportPlan:
    plan = SupportPlan(person_id=person, delegation_case_id=case, version_number=version,
                       effective_from=D(2026, 12, 1), created_by_name="A Nurse")
    plan.funding_splits = [
        FundingSplit(funder=funder, method="fixed_percentage", pence_per_week=pence,
                     free_to_person=funder == "icb", lead_commissioner=funder != "icb",
                     start_date=D(2026, 12, 1), interim_without_prejudice=True,
                     dispute_reference="MLCSU-999-1")
        for funder, pence in zip(("icb", "leicester_city"), interim, strict=True)]
    return plan


def _build(vault: VaultSession) -> Caseload:
    ids = Caseload()
    with vault.uow.begin() as s:
        people = {"edith": Person(**person_values(1)),
                  "arthur": Person(**person_values(2, given_name="Arthur",
                                                   family_name="Sample")),
                  "grace": Person(**person_values(3, given_name="Grace", family_name="Example",
                                                  date_of_birth=D(1941, 3, 9)))}
        s.add_all(people.values())
        provider = CareProvider(name="Demo Homecare Ltd", phone="0116 000 0000",
                                council="leicester_city")
        s.add(provider)
        s.flush()
        s.add(Contact(person_id=people["grace"].id, kind="next_of_kin", name="Rosalind Example"))
        workers = {n: CareWorker(provider_id=provider.id, given_name=n.title(),
                                 family_name="Worker", role_title="Care worker")
                   for n in ("aisha", "tomasz")}
        s.add_all(workers.values())
        p = {k: v.id for k, v in people.items()}
        cases = {"a": _case(p["edith"], "eye_drops", D(2026, 10, 31)),
                 "b": _case(p["arthur"], "insulin_prefilled_pen", D(2026, 1, 15),
                            outcome="INTERIM_WITHOUT_PREJUDICE"),
                 "c": _case(p["grace"], "peg_feed", D(2026, 6, 1),
                            outcome="ESCALATED_SHARED_CARE"),
                 "d": _case(p["arthur"], "oxygen_therapy", D(2026, 3, 1)),
                 "w": _case(p["grace"], "nebuliser", D(2026, 1, 1), status="withdrawn",
                            outcome="WITHDRAWN")}
        s.add_all(cases.values())
        s.flush()
        c = {k: v.id for k, v in cases.items()}
        w = {k: v.id for k, v in workers.items()}
        reviews = {
            "a": Review(delegation_case_id=c["a"], person_id=p["edith"], due_on=D(2027, 1, 25),
                        kind="three_month"),
            "a_deleted": Review(delegation_case_id=c["a"], person_id=p["edith"],
                                due_on=D(2027, 1, 20), kind="annual", deleted=True),
            "b": Review(delegation_case_id=c["b"], person_id=p["arthur"],
                        due_on=D(2027, 2, 20), kind="annual"),
            "b_done": Review(delegation_case_id=c["b"], person_id=p["arthur"],
                             due_on=D(2026, 4, 15), kind="three_month", done_on=D(2026, 4, 10),
                             outcome="continue"),
            "c": Review(delegation_case_id=c["c"], person_id=p["grace"], due_on=D(2027, 1, 1),
                        kind="annual"),
            "d_30": Review(delegation_case_id=c["d"], person_id=p["arthur"],
                           due_on=D(2027, 3, 12), kind="annual"),
            "d_31": Review(delegation_case_id=c["d"], person_id=p["arthur"],
                           due_on=D(2027, 3, 13), kind="annual"),
            "w": Review(delegation_case_id=c["w"], person_id=p["grace"], due_on=D(2027, 1, 5),
                        kind="annual"),
        }
        sign_offs = {
            "aisha_a": _sign_off(w["aisha"], p["edith"], "eye_drops", D(2027, 2, 1), c["a"]),
            "tomasz_a": _sign_off(w["tomasz"], p["edith"], "eye_drops", D(2027, 4, 11), c["a"]),
            "old_a": _sign_off(w["tomasz"], p["edith"], "eye_drops", D(2027, 6, 1), c["a"],
                               status="withdrawn", withdrawn_reason="Left the provider"),
            "tomasz_b": _sign_off(w["tomasz"], p["arthur"], "insulin_prefilled_pen",
                                  D(2027, 1, 15), c["b"]),
            "aisha_b_today": _sign_off(w["aisha"], p["arthur"], "insulin_prefilled_pen",
                                       TODAY, c["b"]),
            "aisha_d": _sign_off(w["aisha"], p["arthur"], "oxygen_therapy", D(2027, 4, 12),
                                 c["d"]),
            "deleted": _sign_off(w["aisha"], p["grace"], "peg_feed", D(2026, 1, 1), c["c"],
                                 deleted=True),
        }
        discussions = {
            "b": SharedCareDiscussion(
                delegation_case_id=c["b"], opened_on=D(2026, 12, 1),
                question="Who funds the extra insulin visit?", options="ICB or council",
                funding_proposal="60 % ICB", interim_funder="icb", interim_from=D(2026, 12, 1),
                escalated_to_mlcsu=True, dispute_reference="MLCSU-999-1", themes=["funding"]),
            "c": SharedCareDiscussion(
                delegation_case_id=c["c"], opened_on=D(2027, 1, 20),
                question="Can the PEG feed be delegated?", options="Delegate or keep",
                funding_proposal="Within the existing package.", themes=["delegation"]),
            "closed": SharedCareDiscussion(
                delegation_case_id=c["d"], opened_on=D(2026, 6, 1), question="Oxygen?",
                options="-", funding_proposal="-", decision="Delegated",
                closed_on=D(2026, 7, 1)),
        }
        examples = {
            "eye": CaseExample(task_category="medication", task_code="eye_drops",
                               themes=["funding", "training"], outcome_code="WITHDRAWN",
                               summary="Health funded the extra visit without prejudice "
                                       "until the council agreed 100% of it.",
                               decided_on=D(2026, 9, 1)),
            "peg": CaseExample(task_category="feeding_digestive", task_code="peg_feed",
                               themes=["consent"], outcome_code="DELEGATED_HEALTH_FUNDED",
                               summary="A best-interests decision was recorded; the "
                                       "attorney agreed.", decided_on=D(2026, 11, 1)),
            "gone": CaseExample(task_category="medication", task_code="eye_drops",
                                themes=["funding"], outcome_code="WITHDRAWN",
                                summary="Deleted example about funding.",
                                decided_on=D(2026, 10, 1), deleted=True),
        }
        for group in (reviews, sign_offs, discussions, examples):
            s.add_all(group.values())
        s.add_all([_plan(p["arthur"], c["b"], 1, (5040, 3360)),
                   _plan(p["arthur"], c["b"], 2, (6000, 4000))])
        s.flush()
        ids.people, ids.workers, ids.cases = p, w, c
        ids.reviews = {k: v.id for k, v in reviews.items()}
        ids.sign_offs = {k: v.id for k, v in sign_offs.items()}
        ids.discussions = {k: v.id for k, v in discussions.items()}
        ids.examples = {k: v.id for k, v in examples.items()}
    return ids


@pytest.fixture
def data(vault: VaultSession) -> Caseload:
    return _build(vault)


def _get(vault: VaultSession, model: type[Any], row_id: str) -> SimpleNamespace:
    """A copy of the row's columns (the read session's rollback expires the ORM object)."""
    with vault.uow.read() as s:
        row = s.get_one(model, row_id)
        return SimpleNamespace(**{a.key: getattr(row, a.key)
                                  for a in inspect(row).mapper.column_attrs})


def _outstanding(vault: VaultSession, case_id: str) -> list[tuple[str, dt.date]]:
    with vault.uow.read() as s:
        return [(r.kind, r.due_on) for r in s.scalars(
            select(Review).where(Review.delegation_case_id == case_id, Review.done_on.is_(None),
                                 ~Review.deleted).order_by(Review.due_on))]


# ---------------------------------------------------------------- reviews due


@pytest.mark.hazard("H-010")
def test_reviews_due_lists_overdue_first_then_by_due_date(vault: VaultSession,
                                                          data: Caseload) -> None:
    rows = registers.reviews_due(vault.uow, TODAY)
    r = data.reviews
    assert [row.review_id for row in rows] == [r["c"], r["a"], r["b"], r["d_30"]]
    assert [row.days_overdue for row in rows] == [40, 16, -10, -30]
    assert [row.status for row in rows] == [ReviewStatus.OVERDUE, ReviewStatus.OVERDUE,
                                            ReviewStatus.DUE_SOON, ReviewStatus.DUE_SOON]
    first = rows[0]
    assert (first.person_name, first.task_code, first.kind) == (
        "Grace Example", "peg_feed", "annual")
    assert first.task_name.startswith("PEG") or "PEG" in first.task_name
    assert first.nhs_number_display == format_nhs_number(person_values(3)["nhs_number"])


@pytest.mark.hazard("H-010")
def test_reviews_due_leaves_out_done_deleted_withdrawn_and_later_reviews(
        vault: VaultSession, data: Caseload) -> None:
    shown = {row.review_id for row in registers.reviews_due(vault.uow, TODAY)}
    for hidden in ("a_deleted", "b_done", "w", "d_31"):
        assert data.reviews[hidden] not in shown, hidden
    wider = {row.review_id for row in registers.reviews_due(vault.uow, TODAY, within_days=31)}
    assert data.reviews["d_31"] in wider


@pytest.mark.hazard("H-010")
def test_continue_schedules_the_next_review_12_months_after_the_done_date(
        vault: VaultSession, data: Caseload) -> None:
    # Due 25/01/2027, done late on 31/01/2027: counted from the day it was done.
    result = registers.record_review(vault.uow, data.reviews["a"], D(2027, 1, 31), "continue",
                                     True, True, False, "All well", TODAY)
    assert result.next_review_on == D(2028, 1, 31)
    assert result.flow_outcome == "CONTINUE" and not result.mdt_needed
    done = _get(vault, Review, data.reviews["a"])
    assert (done.done_on, done.outcome, done.next_review_on) == (
        D(2027, 1, 31), "continue", D(2028, 1, 31))
    assert (done.stable, done.competence_current, done.serious_incident) == (True, True, False)
    assert _outstanding(vault, data.cases["a"]) == [("annual", D(2028, 1, 31))]
    assert data.reviews["a"] not in {r.review_id for r in registers.reviews_due(vault.uow, TODAY)}
    assert _get(vault, DelegationCase, data.cases["a"]).status == "active"


@pytest.mark.hazard("H-010")
def test_a_done_review_replaces_the_other_scheduled_annual_review(
        vault: VaultSession, data: Caseload) -> None:
    result = registers.record_review(vault.uow, data.reviews["d_30"], TODAY, "continue",
                                     True, True, False, "", TODAY)
    assert result.reviews_superseded == 1
    assert _get(vault, Review, data.reviews["d_31"]).deleted
    assert _outstanding(vault, data.cases["d"]) == [("annual", D(2028, 2, 10))]


@pytest.mark.hazard("H-029")
def test_change_of_need_keeps_the_case_active_and_flags_it_for_an_mdt(
        vault: VaultSession, data: Caseload) -> None:
    with vault.uow.begin() as s:
        case = _case(data.people["edith"], "inhaler", D(2026, 12, 1))
        s.add(case)
        s.flush()
        three_month = Review(delegation_case_id=case.id, person_id=case.person_id,
                             due_on=D(2027, 3, 1), kind="three_month")
        change = Review(delegation_case_id=case.id, person_id=case.person_id,
                        due_on=D(2027, 1, 20), kind="change_of_need")
        s.add_all([three_month, change])
        s.flush()
        case_id, change_id = case.id, change.id
    result = registers.record_review(vault.uow, change_id, D(2027, 1, 20), "change_of_need",
                                     True, True, False, "Now uses a spacer device", TODAY)
    assert result.mdt_needed and result.next_review_on == D(2028, 1, 20)
    assert _get(vault, DelegationCase, case_id).status == "active"
    # No second change-of-need review; the 3-month review still stands (framework wording).
    assert _outstanding(vault, case_id) == [("three_month", D(2027, 3, 1)),
                                            ("annual", D(2028, 1, 20))]
    [flagged] = registers.changes_of_need_awaiting_mdt(vault.uow, TODAY)
    assert (flagged.case_id, flagged.recorded_on, flagged.days_waiting) == (
        case_id, D(2027, 1, 20), 21)
    with vault.uow.begin() as s:
        s.add(MdtDecision(delegation_case_id=case_id, met_on=D(2027, 2, 1), consensus=True,
                          decision="New plan agreed"))
    assert registers.changes_of_need_awaiting_mdt(vault.uow, TODAY) == []


@pytest.mark.hazard("H-008")
def test_withdraw_suspends_sign_offs_and_ends_the_reviews(vault: VaultSession,
                                                          data: Caseload) -> None:
    result = registers.record_review(vault.uow, data.reviews["a"], D(2027, 2, 1), "withdraw",
                                     False, True, False, "Eye infection; new regime", TODAY)
    assert result.next_review_on is None and result.sign_offs_suspended == 2
    assert result.flow_outcome == "WITHDRAWN"
    case = _get(vault, DelegationCase, data.cases["a"])
    decided = case.outcome_code
    # The decision it ends is kept as it was recorded; the withdrawal is its own event.
    assert case.status == "withdrawn" and decided != "WITHDRAWN"
    assert "S11" not in case.answers
    [ended] = [e for e in case_timeline(vault.uow, case.id)
               if e.kind is CaseEventKind.WITHDRAWN_AT_REVIEW]
    assert ended.status == "withdrawn" and ended.occurred_on == D(2027, 2, 1)
    assert "Eye infection; new regime" in ended.reasons
    assert any("no longer stable" in reason for reason in ended.reasons)
    assert ended.detail["S11"]["still_stable"] is False
    statuses = {k: _get(vault, CompetencySignOff, data.sign_offs[k]).status
                for k in ("aisha_a", "tomasz_a", "old_a", "tomasz_b")}
    assert statuses == {"aisha_a": "suspended", "tomasz_a": "suspended",
                        "old_a": "withdrawn", "tomasz_b": "current"}
    assert _outstanding(vault, data.cases["a"]) == []
    assert _get(vault, Review, data.reviews["a"]).next_review_on is None


@pytest.mark.hazard("H-008")
def test_a_nurse_may_withdraw_with_all_yes_answers_giving_the_reason(
        vault: VaultSession, data: Caseload) -> None:
    result = registers.record_review(vault.uow, data.reviews["b"], TODAY, "withdraw",
                                     True, True, False, "Provider handed back the package",
                                     TODAY)
    assert result.reasons == ("Provider handed back the package",)
    assert _get(vault, DelegationCase, data.cases["b"]).status == "withdrawn"
    assert [e.reasons for e in case_timeline(vault.uow, data.cases["b"])
            if e.kind is CaseEventKind.WITHDRAWN_AT_REVIEW] == [
        ("Provider handed back the package",)]


@pytest.mark.parametrize(("done_on", "outcome", "answers", "notes", "field"), [
    (D(2027, 2, 11), "continue", (True, True, False), "", "done_on"),
    (D(2026, 10, 30), "continue", (True, True, False), "", "done_on"),
    (TODAY, "continue", (False, True, False), "Unsteady", "outcome"),
    (TODAY, "change_of_need", (True, True, True), "Fall", "outcome"),
    (TODAY, "continue", (True, False, False), "", "notes"),
    (TODAY, "withdraw", (True, True, False), "  ", "notes"),
    (TODAY, "change_of_need", (True, True, False), "", "notes"),
    (TODAY, "maybe", (True, True, False), "", "outcome"),
])
@pytest.mark.hazard("H-029")
@pytest.mark.hazard("H-001")
def test_record_review_refuses_and_records_nothing(
        vault: VaultSession, data: Caseload, done_on: dt.date, outcome: str,
        answers: tuple[bool, bool, bool], notes: str, field: str) -> None:
    with pytest.raises(ValidationError) as caught:
        registers.record_review(vault.uow, data.reviews["a"], done_on, outcome, *answers,
                                notes, TODAY)
    assert caught.value.field == field
    assert _get(vault, Review, data.reviews["a"]).done_on is None
    assert _get(vault, DelegationCase, data.cases["a"]).status == "active"


def test_a_review_is_recorded_once(vault: VaultSession, data: Caseload) -> None:
    # Case a's sign-off for Aisha lapsed 9 days ago: competence is not current, so the
    # review withdraws (answering "current" is refused: test_unsafe_paths).
    registers.record_review(vault.uow, data.reviews["a"], TODAY, "withdraw", True, False, False,
                            "Refresher overdue", TODAY)
    with pytest.raises(ValidationError, match="already"):
        registers.record_review(vault.uow, data.reviews["a"], TODAY, "continue", True, True,
                                False, "", TODAY)


# ---------------------------------------------------------------- competency register


@pytest.mark.hazard("H-031")
@pytest.mark.hazard("H-005")
def test_competency_register_orders_by_refresher_and_marks_expiry(vault: VaultSession,
                                                                  data: Caseload) -> None:
    rows = registers.competency_register(vault.uow, TODAY)
    s = data.sign_offs
    assert [r.sign_off_id for r in rows] == [s["tomasz_b"], s["aisha_a"], s["aisha_b_today"],
                                             s["tomasz_a"], s["aisha_d"], s["old_a"]]
    assert [r.expiry for r in rows] == [Expiry.EXPIRED, Expiry.EXPIRED, Expiry.EXPIRING,
                                        Expiry.EXPIRING, Expiry.OK, Expiry.OK]
    assert [r.days_to_refresher for r in rows[:5]] == [-26, -9, 0, 60, 61]
    assert rows[-1].status == "withdrawn" and rows[0].status == "current"
    first = rows[0]
    assert (first.worker_name, first.provider_name, first.person_name, first.task_code,
            first.training_level) == ("Tomasz Worker", "Demo Homecare Ltd", "Arthur Sample",
                                      "insulin_prefilled_pen", 2)


@pytest.mark.hazard("H-031")
def test_withdraw_sign_off_needs_a_reason_and_happens_once(vault: VaultSession,
                                                           data: Caseload) -> None:
    sign_off = data.sign_offs["aisha_d"]
    with pytest.raises(ValidationError):
        registers.withdraw_sign_off(vault.uow, sign_off, "   ")
    assert _get(vault, CompetencySignOff, sign_off).status == "current"
    registers.withdraw_sign_off(vault.uow, sign_off, "Incident on 2 February")
    row = _get(vault, CompetencySignOff, sign_off)
    assert (row.status, row.withdrawn_reason) == ("withdrawn", "Incident on 2 February")
    with pytest.raises(ValidationError, match="already"):
        registers.withdraw_sign_off(vault.uow, sign_off, "Again")


# ---------------------------------------------------------------- escalations


@pytest.mark.hazard("H-012")
def test_escalations_list_open_discussions_longest_waiting_first(vault: VaultSession,
                                                                 data: Caseload) -> None:
    rows = registers.escalations(vault.uow, TODAY)
    assert [r.discussion_id for r in rows] == [data.discussions["b"], data.discussions["c"]]
    funding, consensus = rows
    assert (funding.days_waiting, consensus.days_waiting) == (71, 21)
    # The latest plan version's interim lines, the whole weekly cost: £60.00 + £40.00.
    assert (funding.interim_pence_per_week, funding.interim_weekly) == (10000, "£100.00")
    assert funding.interim_funder_name == "LLR ICB" and funding.escalated_to_mlcsu
    assert funding.dispute_reference == "MLCSU-999-1"
    assert funding.waiting_for is WaitingFor.FUNDING_DECISION
    assert (consensus.interim_pence_per_week, consensus.interim_weekly) == (None, "")
    assert consensus.waiting_for is WaitingFor.MDT_CONSENSUS and not consensus.escalated_to_mlcsu
    assert consensus.question == "Can the PEG feed be delegated?"


def _count(vault: VaultSession, model: type[Any]) -> int:
    with vault.uow.read() as s:
        return int(s.scalar(select(func.count()).select_from(model).where(~model.deleted)) or 0)


@pytest.mark.hazard("H-037")
def test_close_discussion_makes_an_anonymised_case_example(vault: VaultSession,
                                                           data: Caseload) -> None:
    decision = ("Agreed: the care worker gives the PEG feed once trained at level 2; "
                "review after 3 months.")
    closed = registers.close_discussion(vault.uow, data.discussions["c"], decision,
                                        ["Training", " peg ", "training"], TODAY, True,
                                        today=TODAY)
    assert closed.case_example_id is not None
    example = _get(vault, CaseExample, closed.case_example_id)
    assert (example.task_category, example.task_code, example.themes) == (
        "feeding_digestive", "peg_feed", ["training", "peg"])
    assert example.summary == decision
    assert (example.outcome_code, example.decided_on) == ("ESCALATED_SHARED_CARE", TODAY)
    assert example.source_discussion_id == data.discussions["c"]
    discussion = _get(vault, SharedCareDiscussion, data.discussions["c"])
    assert (discussion.closed_on, discussion.decision) == (TODAY, decision)
    assert [r.discussion_id for r in registers.escalations(vault.uow, TODAY)] == [
        data.discussions["b"]]


@pytest.mark.parametrize("identifying", [
    "Grace can have her PEG feed from the care worker.",
    "Agreed for EXAMPLE household.",
    "Agreed; her daughter Rosalind will be told.",
    "Agreed for {nhs}.",
    "Agreed for {nhs_spaced}.",
    "Agreed; born 09/03/1941.",
    "Agreed; born 9 March 1941.",
    "Agreed; born 1941-03-09.",
])
@pytest.mark.hazard("H-037")
def test_close_discussion_refuses_an_example_that_identifies_the_person(
        vault: VaultSession, data: Caseload, identifying: str) -> None:
    nhs = person_values(3)["nhs_number"]
    text = identifying.format(nhs=nhs, nhs_spaced=format_nhs_number(nhs))
    with pytest.raises(ValidationError, match="anonymous") as caught:
        registers.close_discussion(vault.uow, data.discussions["c"], text, ["peg"], TODAY,
                                   True, today=TODAY)
    assert nhs not in str(caught.value) and "Grace" not in str(caught.value)
    assert _get(vault, SharedCareDiscussion, data.discussions["c"]).closed_on is None
    assert _count(vault, CaseExample) == 2


def test_close_discussion_without_an_example_keeps_names_and_checks_dates(
        vault: VaultSession, data: Caseload) -> None:
    closed = registers.close_discussion(vault.uow, data.discussions["c"], "Grace: agreed.",
                                        [], TODAY, False, today=TODAY)
    assert closed.case_example_id is None and _count(vault, CaseExample) == 2
    assert _get(vault, SharedCareDiscussion, data.discussions["c"]).themes == ["delegation"]
    with pytest.raises(ValidationError, match="already"):
        registers.close_discussion(vault.uow, data.discussions["c"], "Again", [], TODAY, False,
                                   today=TODAY)
    with pytest.raises(ValidationError, match="before"):
        registers.close_discussion(vault.uow, data.discussions["b"], "Agreed", [],
                                   D(2026, 11, 30), False, today=TODAY)


def test_an_unremarkable_decision_is_not_refused() -> None:
    person = Person(**person_values(3, given_name="Al", family_name="May",
                                    date_of_birth=D(1941, 3, 9)))
    person.contacts = []
    assert registers.identifying_details("Maybe alter the plan in 2041; 9 March 1942.",
                                         person) == []
    assert registers.identifying_details("Agreed in May.", person) == ["name"]


# ---------------------------------------------------------------- case examples


def test_case_examples_search_by_text_task_and_theme(vault: VaultSession,
                                                     data: Caseload) -> None:
    ex = data.examples

    def found(*args: Any, **kwargs: Any) -> list[str]:
        return [r.example_id for r in registers.case_examples(vault.uow, *args, **kwargs)]

    assert found() == [ex["peg"], ex["eye"]]  # newest first, the deleted one never
    assert found("prejudice") == [ex["eye"]]
    assert found("ATTORNEY best") == [ex["peg"]]
    assert found("eye drops") == [ex["eye"]]  # by the task's catalogue name
    assert found("funding") == [ex["eye"]]  # by theme text
    # % and _ are literal characters, not LIKE wildcards.
    assert found("%") == [ex["eye"]] and found("e_e") == [] and found("g_f") == [ex["peg"]]
    assert found(task_category="feeding_digestive") == [ex["peg"]]
    assert found(task_code="eye_drops") == [ex["eye"]]
    assert found(theme="Training") == [ex["eye"]]
    assert found(theme="train") == []  # a theme is a whole tag
    assert found("attorney", task_category="medication") == []
    [row] = registers.case_examples(vault.uow, theme="consent")
    assert (row.task_category_label, row.themes, row.outcome_title) == (
        "Feeding and digestive", ("consent",), "Delegated, extra time funded by the NHS")


def test_case_example_themes_lists_each_theme_once(vault: VaultSession, data: Caseload) -> None:
    assert registers.case_example_themes(vault.uow) == ["consent", "funding", "training"]
