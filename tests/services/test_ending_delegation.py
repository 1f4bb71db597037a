"""Ending a running delegation between reviews: consent withdrawn, or the person's need changed
(``services.delegation.ending``; hazards H-032 and H-008).

The case is ``tools/sample_case``'s: eye drops for Zoë, jointly funded, decided on 30 November
2026 with care from 1 December 2026, consent given by her registered health and welfare
attorney (Zoë was assessed as lacking capacity for the decision), two care workers signed
off, and its first review due on 1 March 2027.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.models.competency import CompetencySignOff
from desktop_app.models.consent import ConsentRecord
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent, CaseEventKind
from desktop_app.models.person import Contact
from desktop_app.models.plan import FundingSplit, SupportPlan
from desktop_app.models.review import Review
from desktop_app.services import registers
from desktop_app.services.core.errors import NotFound, PermissionDenied, ValidationError
from desktop_app.services.delegation.ending import end_for_change_of_need, withdraw_consent
from desktop_app.services.delegation.history import Ended, case_timeline
from desktop_app.services.people.record import load_record
from desktop_app.services.vault import VaultSession
from tests.support import as_role
from tools.sample_case import BuiltCase, build_case

D = dt.date
ENDED_ON = D(2027, 2, 15)  # the first review (1 March 2027) is on Reviews due by then
EXPLAINED = "Her daughter said the drops upset her; the nurse will give them from tomorrow"
NEED = "Eye infection: the drops now need a nurse's assessment at each dose"


@pytest.fixture(scope="module")
def template_vault(template_vault: tuple[Path, str, str], template_with: Any
                   ) -> tuple[Path, str, str, BuiltCase]:
    """The suite's template vault with the case built in it through the services: built
    once for this file and copied for each test (every test starts from it)."""
    return template_with(template_vault, lambda session: build_case(session.uow))


@pytest.fixture
def case(template_vault: tuple[Path, str, str, BuiltCase], vault: VaultSession) -> BuiltCase:
    """The case, in this test's own copy of the vault (``vault``)."""
    return template_vault[3]


def attorney_of(vault: VaultSession, person_id: str) -> str:
    with vault.uow.read() as s:
        return str(s.scalar(select(Contact.id).where(Contact.person_id == person_id,
                                                     Contact.kind == "lpa_health_welfare")))


def withdraw(vault: VaultSession, case: BuiltCase, on: dt.date = ENDED_ON,
             today: dt.date = ENDED_ON, **changes: Any) -> Ended:
    values: dict[str, Any] = {
        "given_by_kind": "lpa", "given_by_name": "", "how": "verbal",
        "contact_id": attorney_of(vault, case.person_id), "explained": EXPLAINED}
    values.update(changes)
    return withdraw_consent(vault.uow, case.case_id, on,
                            values["given_by_kind"], values["given_by_name"],
                            values["contact_id"], values["how"], values["explained"], today)


def need_changed(vault: VaultSession, case: BuiltCase, on: dt.date = ENDED_ON,
                 today: dt.date = ENDED_ON, reason: str = NEED) -> Ended:
    return end_for_change_of_need(vault.uow, case.case_id, on, reason, today)


ENDINGS: dict[str, tuple[Callable[..., Ended], CaseEventKind, str]] = {
    "consent withdrawn": (withdraw, CaseEventKind.CONSENT_WITHDRAWN, EXPLAINED),
    "need changed": (need_changed, CaseEventKind.NEED_CHANGED, NEED),
}


def _get(vault: VaultSession, model: Any, row_id: str) -> Any:
    with vault.uow.read() as s:
        row = s.get(model, row_id)
        s.expunge(row)
        return row


def _plan(vault: VaultSession, person_id: str, version: int) -> tuple[list[str], list[str]]:
    """(case ids of the task lines, case ids of the funding lines) of one plan version."""
    with vault.uow.read() as s:
        plan = s.scalar(select(SupportPlan).where(SupportPlan.person_id == person_id,
                                                  SupportPlan.version_number == version))
        assert plan is not None
        return ([str(t.delegation_case_id) for t in plan.tasks],
                [str(f.delegation_case_id) for f in plan.funding_splits if not f.deleted])


@pytest.mark.hazard("H-032")
@pytest.mark.hazard("H-008")
@pytest.mark.hazard("H-014")
@pytest.mark.parametrize("how", list(ENDINGS))
def test_an_ending_takes_the_task_off_the_plan_and_stops_the_arrangement(
        vault: VaultSession, case: BuiltCase, how: str) -> None:
    end, kind, reason = ENDINGS[how]
    assert [r.case_id for r in registers.reviews_due(vault.uow, ENDED_ON)] == [case.case_id]
    assert _plan(vault, case.person_id, 1) == ([case.case_id], [case.case_id] * 2)
    decided_before = case_timeline(vault.uow, case.case_id)

    ended = end(vault, case)

    assert ended == Ended(plan_version=2, sign_offs_suspended=2, reviews_ended=1,
                          funding_to_reconsider=True)
    # Version 2 leaves the eye drops and both its funding lines out, from the day it ended.
    assert _plan(vault, case.person_id, 2) == ([], [])
    with vault.uow.read() as s:
        effective = s.scalar(select(SupportPlan.effective_from).where(
            SupportPlan.person_id == case.person_id, SupportPlan.version_number == 2))
        statuses = s.scalars(select(CompetencySignOff.status).where(
            CompetencySignOff.delegation_case_id == case.case_id)).all()
        outstanding = s.scalars(select(Review.id).where(
            Review.delegation_case_id == case.case_id, ~Review.deleted)).all()
        lines = s.scalars(select(FundingSplit.delegation_case_id).where(
            FundingSplit.delegation_case_id == case.case_id, ~FundingSplit.deleted)).all()
    assert effective == ENDED_ON
    assert sorted(statuses) == ["suspended", "suspended"]
    assert outstanding == [] and registers.reviews_due(vault.uow, ENDED_ON) == []
    assert len(lines) == 2  # version 1 keeps its lines: it is the plan as it was printed
    assert [r.case_id for r in registers.funding_to_reconsider(vault.uow, ENDED_ON)] == [
        case.case_id]
    # The decision is untouched; the ending is an event of its own with its reasons.
    row = _get(vault, DelegationCase, case.case_id)
    assert (row.status, row.outcome_code) == ("withdrawn", "DELEGATED_JOINT_FUNDED")
    assert row.decided_on == D(2026, 11, 30)
    timeline = case_timeline(vault.uow, case.case_id)
    assert timeline[:-1] == decided_before
    assert [e.kind for e in timeline] == [CaseEventKind.DECIDED, kind]
    last = timeline[-1]
    assert (last.occurred_on, last.reasons, last.plan_version, last.status) == (
        ENDED_ON, (reason,), 2, "withdrawn")
    assert last.outcome_title is not None and "withdrawn" in last.outcome_title.lower()
    assert timeline[0].outcome_title == "Delegated, jointly funded"


@pytest.mark.hazard("H-032")
def test_consent_withdrawn_is_recorded_as_a_consent_record(vault: VaultSession,
                                                           case: BuiltCase) -> None:
    attorney = attorney_of(vault, case.person_id)
    withdraw(vault, case, how="written")
    with vault.uow.read() as s:
        records = s.execute(select(ConsentRecord.status, ConsentRecord.recorded_on,
                                   ConsentRecord.given_by_kind, ConsentRecord.given_by_name,
                                   ConsentRecord.contact_id, ConsentRecord.how,
                                   ConsentRecord.explained, ConsentRecord.capacity_outcome)
                            .where(ConsentRecord.delegation_case_id == case.case_id)
                            .order_by(ConsentRecord.created_at)).all()
        [event] = s.scalars(select(CaseEvent).where(
            CaseEvent.kind == CaseEventKind.CONSENT_WITHDRAWN.value)).all()
        detail = dict(event.detail)
    given, withdrawn = records
    assert given.status == "given"
    # The attorney's name comes from their contact when none is typed.
    assert tuple(withdrawn) == ("withdrawn", ENDED_ON, "lpa", "Siobhán Ní Bhriain", attorney,
                                "written", EXPLAINED, "lacks_capacity")
    assert detail["given_by_name"] == "Siobhán Ní Bhriain" and detail["how"] == "written"
    # The person record shows it: the status in words, the decided outcome, when and why.
    record = load_record(vault.uow, case.person_id)
    [row] = record.delegations
    assert (row.status_words, row.outcome_title, row.running) == (
        "Withdrawn", "Delegated, jointly funded", False)
    assert (row.ended_on, row.ended_title, row.ended_reasons) == (
        ENDED_ON, "Consent withdrawn: delegation ended", (EXPLAINED,))
    assert [c.status for c in record.consents] == ["withdrawn", "given"]
    ending = record.timeline(case.case_id)[-1]
    assert ending.about == ("Withdrawn by Siobhán Ní Bhriain (Health and welfare attorney "
                            "(LPA)), in writing")


@pytest.mark.hazard("H-008")
def test_the_persons_other_delegation_stays_on_the_plan(vault: VaultSession, case: BuiltCase,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    from tools import sample_case

    monkeypatch.setattr(sample_case, "TASK_CODE", "compression_hosiery")
    other = sample_case.delegate_again(
        vault.uow, case.person_id, case.nhs_number,
        sample_case.CaseSpec(provider_name="Sample Care Services",
                             worker_names=(("Kwame", "Okafor"),)))
    need_changed(vault, case)
    tasks, funding = _plan(vault, case.person_id, 3)
    assert tasks == [other.case_id] and set(funding) == {other.case_id}
    assert _get(vault, DelegationCase, other.case_id).status == "active"


def _nothing_changed(vault: VaultSession, case: BuiltCase) -> None:
    with vault.uow.read() as s:
        versions = s.scalars(select(SupportPlan.version_number).where(
            SupportPlan.person_id == case.person_id)).all()
        consents = s.scalars(select(ConsentRecord.status).where(
            ConsentRecord.delegation_case_id == case.case_id)).all()
    assert _get(vault, DelegationCase, case.case_id).status == "active"
    assert versions == [1] and consents == ["given"]
    assert [e.kind for e in case_timeline(vault.uow, case.case_id)] == [CaseEventKind.DECIDED]


@pytest.mark.hazard("H-032")
@pytest.mark.parametrize(("how", "on", "today", "field", "words"), [
    ("consent withdrawn", D(2027, 2, 16), ENDED_ON, "on", "has not come yet"),
    ("need changed", D(2027, 2, 16), ENDED_ON, "on", "has not come yet"),
    ("consent withdrawn", D(2026, 11, 29), ENDED_ON, "on",
     "before the delegation was decided on 30/11/2026"),
    ("need changed", D(2026, 11, 29), ENDED_ON, "on", "before the delegation was decided"),
])
def test_a_date_to_come_or_before_the_start_is_refused(
        vault: VaultSession, case: BuiltCase, how: str, on: dt.date, today: dt.date,
        field: str, words: str) -> None:
    end = ENDINGS[how][0]
    with pytest.raises(ValidationError, match=words) as refused:
        end(vault, case, on=on, today=today)
    assert refused.value.field == field
    _nothing_changed(vault, case)


@pytest.mark.hazard("H-032")
def test_an_ending_needs_its_reason(vault: VaultSession, case: BuiltCase) -> None:
    with pytest.raises(ValidationError, match="how the person's need changed") as refused:
        need_changed(vault, case, reason="   ")
    assert refused.value.field == "reason"
    with pytest.raises(ValidationError, match="what was said and what was explained") as why:
        withdraw(vault, case, explained="")
    assert why.value.field == "explained"
    with pytest.raises(ValidationError, match="verbally, in writing") as method:
        withdraw(vault, case, how="by pigeon")
    assert method.value.field == "how"
    _nothing_changed(vault, case)


@pytest.mark.hazard("H-032")
def test_only_a_running_delegation_ends_and_only_once(vault: VaultSession,
                                                      case: BuiltCase) -> None:
    need_changed(vault, case)
    for end, _, _ in ENDINGS.values():
        with pytest.raises(ValidationError, match="already been withdrawn: only a running "
                                                  "delegation can be ended"):
            end(vault, case, on=D(2027, 2, 20), today=D(2027, 2, 20))
    with pytest.raises(NotFound):
        end_for_change_of_need(vault.uow, "no-such-case", ENDED_ON, NEED, ENDED_ON)
    assert [e.kind for e in case_timeline(vault.uow, case.case_id)] == [
        CaseEventKind.DECIDED, CaseEventKind.NEED_CHANGED]


@pytest.mark.hazard("H-032")
def test_who_may_withdraw_follows_the_capacity_recorded_with_the_consent(
        vault: VaultSession, case: BuiltCase) -> None:
    """Zoë was assessed as lacking capacity for this decision: her attorney withdraws, not
    she; an attorney must be one of her own contacts, registered for health and welfare."""
    with pytest.raises(ValidationError, match="lacks capacity") as own:
        withdraw(vault, case, given_by_kind="person", contact_id=None)
    assert own.value.field == "given_by_kind"
    with vault.uow.begin() as s:
        stranger = Contact(person_id=case.person_id, kind="next_of_kin", name="A Neighbour",
                           can_decide_health_welfare=False)
        s.add(stranger)
        s.flush()
        stranger_id = stranger.id
    with pytest.raises(ValidationError, match="from this person's contacts") as contact:
        withdraw(vault, case, contact_id=stranger_id)
    assert contact.value.field == "contact_id"
    with pytest.raises(ValidationError, match="Choose who withdrew consent") as nobody:
        withdraw(vault, case, given_by_kind="best_interests")
    assert nobody.value.field == "given_by_kind"
    _nothing_changed(vault, case)


@pytest.mark.hazard("H-032")
def test_a_person_with_capacity_withdraws_for_themselves(vault: VaultSession,
                                                         case: BuiltCase) -> None:
    with vault.uow.begin() as s:  # as if she had consented herself, with capacity
        given = s.scalar(select(ConsentRecord).where(
            ConsentRecord.delegation_case_id == case.case_id))
        assert given is not None
        given.given_by_kind, given.contact_id = "person", None
        given.capacity_in_doubt, given.capacity_outcome = False, None
    with pytest.raises(ValidationError, match="this person decides for themselves") as lpa:
        withdraw(vault, case)
    assert lpa.value.field == "given_by_kind"
    withdraw(vault, case, given_by_kind="person", contact_id=None)
    with vault.uow.read() as s:
        name = s.scalar(select(ConsentRecord.given_by_name).where(
            ConsentRecord.status == "withdrawn"))
    assert name == "the person"


@pytest.mark.hazard("H-032")
def test_a_read_only_user_cannot_end_a_delegation(vault: VaultSession,
                                                  case: BuiltCase) -> None:
    reader = as_role(vault, "read_only")
    with pytest.raises(PermissionDenied):
        end_for_change_of_need(reader, case.case_id, ENDED_ON, NEED, ENDED_ON)
    with pytest.raises(PermissionDenied):
        withdraw_consent(reader, case.case_id, ENDED_ON, "lpa", None,
                         attorney_of(vault, case.person_id), "verbal", EXPLAINED, ENDED_ON)
    _nothing_changed(vault, case)


@pytest.mark.hazard("H-032")
@pytest.mark.hazard("H-008")
@pytest.mark.parametrize("how", ["consent withdrawn", "need changed"])
def test_a_delegation_ends_before_its_care_starts_and_the_plan_loses_the_task(
        vault: VaultSession, case: BuiltCase, how: str) -> None:
    """Decided on 30/11/2026, care to start on 01/12: the person withdraws consent (or the
    need changes) on the decision day itself. It is recorded that day, and the plan version
    it issues has no task for a care worker to start the next morning."""
    from desktop_app.models.plan import SupportPlan

    end = ENDINGS[how][0]
    end(vault, case, on=D(2026, 11, 30), today=D(2026, 11, 30))
    with vault.uow.read() as s:
        latest = s.scalars(select(SupportPlan).where(SupportPlan.person_id == case.person_id)
                           .order_by(SupportPlan.version_number.desc())).first()
        assert latest is not None and latest.version_number == 2
        assert [t.delegation_case_id for t in latest.tasks] == []
        assert latest.funding_splits == []
