"""Controls named in the hazard log (docs/clinical-safety/hazard-log.yaml) that no other test
checked: each test drives the real service (or widget) and is marked with its hazard.

Plans are built through the services on a real vault (``tools/sample_case.py``: an eye drops
delegation decided on 30 November 2026 with two named workers signed off on 20 November
2026) and read back as the printed text.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.plan import SupportPlan, SupportPlanTask
from desktop_app.models.review import Review, ReviewOutcome
from desktop_app.services import delegation, people, registers
from desktop_app.services.framework import labels as plan_labels
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.pdf.support_plan import CONSENT_NOTE, render_support_plan
from desktop_app.services.plans.document import load_plan_document
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tests.support import person_values
from tools.sample_case import TEXTS, BuiltCase, build_case

PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
PRINTED_BY = "Terry Teamlead"


@pytest.fixture
def case(vault: VaultSession) -> BuiltCase:
    return build_case(vault.uow)


def printed(vault: VaultSession, plan_id: str, at: dt.datetime = PRINTED_AT) -> str:
    document = load_plan_document(vault.uow, plan_id, PRINTED_BY, at)
    return flat("\n".join(page_texts(render_support_plan(document))))


@pytest.mark.hazard("H-006")
def test_a_sign_off_for_another_person_does_not_count_on_this_persons_plan(
        vault: VaultSession, case: BuiltCase) -> None:
    """The same two workers, signed off for eye drops for the first person, named on a
    second person's plan for the same task: for the second person they have no sign-off."""
    first = load_plan_document(vault.uow, case.plan_id, PRINTED_BY, PRINTED_AT)
    assert [w.current for w in first.tasks[0].workers] == [True, True]

    other = people.create_person(vault.uow, people.PersonInput(**person_values(
        31, given_name="Second", family_name="Person")))
    with vault.uow.begin() as s:
        line = s.scalars(select(SupportPlanTask).where(
            SupportPlanTask.delegation_case_id == case.case_id)).first()
        assert line is not None and list(line.worker_ids) == list(case.worker_ids)
        plan = SupportPlan(person_id=other.id, version_number=1,
                           effective_from=dt.date(2026, 11, 30), created_by_name="A Nurse")
        plan.tasks = [SupportPlanTask(**{
            name: getattr(line, name) for name in SupportPlanTask.__table__.columns.keys()
            if name not in {"id", "plan_id", "delegation_case_id", "version", "server_version",
                            "created_at", "updated_at", "updated_by", "device_id", "deleted"}})]
        s.add(plan)
        s.flush()
        plan_id = plan.id

    second = load_plan_document(vault.uow, plan_id, PRINTED_BY, PRINTED_AT)
    workers = second.tasks[0].workers
    assert [w.name for w in workers] == ["Łukasz Żółć", "Aisha Okafor"]
    assert [(w.current, w.standing, w.signed_off_on) for w in workers] == [
        (False, plan_labels.NO_SIGN_OFF, None)] * 2
    text = printed(vault, plan_id)
    assert text.count(f"NOT CURRENT: {plan_labels.NO_SIGN_OFF}") == 2
    assert "Must not do this task until signed off again: Łukasz Żółć, Aisha Okafor" in text


@pytest.mark.hazard("H-008")
def test_after_a_withdrawal_the_plan_says_its_workers_must_not_do_the_task(
        vault: VaultSession, case: BuiltCase) -> None:
    """A review that withdraws the task suspends the workers' sign-offs, so the plan printed
    afterwards (the version the person's home may still hold) says they must stop."""
    with vault.uow.read() as s:
        [review_id] = s.scalars(select(Review.id).where(
            Review.delegation_case_id == case.case_id, ~Review.deleted)).all()
    day = dt.date(2027, 1, 10)
    recorded = registers.record_review(
        vault.uow, review_id, day, ReviewOutcome.WITHDRAW, stable=False,
        competence_current=True, serious_incident=False,
        notes="Eyes infected again; the nurse takes the drops back", today=day)
    assert recorded.sign_offs_suspended == 2

    document = load_plan_document(vault.uow, case.plan_id, PRINTED_BY,
                                  dt.datetime(2027, 1, 11, 9, 0))
    suspended = plan_labels.SIGN_OFF_STATUSES["suspended"]
    assert [(w.current, w.standing) for w in document.tasks[0].workers] == [
        (False, suspended)] * 2
    text = flat("\n".join(page_texts(render_support_plan(document))))
    assert text.count(f"NOT CURRENT: {suspended}") == 2
    assert "Must not do this task until signed off again: Łukasz Żółć, Aisha Okafor" in text


@pytest.mark.hazard("H-015")
def test_every_wizard_page_names_the_person(qtbot: Any) -> None:
    """Each step page and the outcome page carry the banner with the person's name, NHS
    number and date of birth, so the nurse can see whose decision it is on every page."""
    from desktop_app.ui.wizard.base import PersonBanner
    from desktop_app.ui.wizard.outcome_page import OutcomePage
    from desktop_app.ui.wizard.pages import PAGES
    from desktop_app.ui.wizard.wizard import DelegationWizard
    from tools.sample_wizard import make_context

    context = make_context()
    wizard = DelegationWizard(context, load_flow(), PAGES, OutcomePage)
    qtbot.addWidget(wizard)
    page_ids = wizard.pageIds()
    assert len(page_ids) == len(PAGES) + 1  # every step of the flow, and the outcome
    for page_id in page_ids:
        banners = wizard.page(page_id).findChildren(PersonBanner)
        assert len(banners) == 1, page_id
        label = banners[0].label
        for shown in (context.person_name, context.nhs_number_display,
                      context.date_of_birth_display):
            assert shown in label.text(), (page_id, shown)
            assert shown in label.accessibleName(), (page_id, shown)


@pytest.mark.hazard("H-018")
def test_the_case_and_its_plan_say_which_flow_and_catalogue_they_were_decided_under(
        vault: VaultSession, case: BuiltCase) -> None:
    flow, catalogue = load_flow(), load_catalogue()
    with vault.uow.read() as s:
        decided = s.get_one(DelegationCase, case.case_id)
        assert (decided.flow_version, decided.task_catalogue_version) == (
            flow.version, catalogue.version)
    text = printed(vault, case.plan_id)
    # Said once, in the plan's notes, in words ("2026.2-reconstructed": the version, and
    # where a rebuilt flow comes from).
    flow_id, _, rebuilt = flow.version.partition("-")
    assert f"Decided with the delegation flow of the LLR Framework for Integrated " \
           f"Personalised Care (version {flow_id})." in text
    assert ("could not be recovered" in text) == (rebuilt == "reconstructed")
    assert f"task catalogue (version {catalogue.version})" in text


@pytest.mark.hazard("H-023")
def test_a_not_delegated_decision_keeps_its_date_to_look_again(vault: VaultSession) -> None:
    person = people.create_person(vault.uow, people.PersonInput(**person_values(32)))
    answers: dict[str, dict[str, Any]] = {
        "S1": {"task_code": "eye_drops", "referred_by": "District nurse",
               "is_health_need": True},
        "S2": {"chc_checklist_positive": False},
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": False, "no_reason": "New drops started this week",
               "reconsider_on": "2027-01-15"},
    }
    flow, catalogue = load_flow(), load_catalogue()
    case_id = delegation.save_draft(vault.uow, person.id, None, answers, "S4", flow, catalogue)
    decision = delegation.decide(vault.uow, case_id, answers, flow, catalogue, "A Nurse",
                                 dt.date(2026, 12, 7))
    assert decision.outcome == "NOT_DELEGATED" and decision.plan_version is None
    with vault.uow.read() as s:
        decided = s.get_one(DelegationCase, case_id)
        assert decided.reconsider_on == dt.date(2027, 1, 15)
        assert "New drops started this week" in decided.outcome_reasons


@pytest.mark.hazard("H-032")
def test_the_plan_tells_everyone_how_consent_is_withdrawn_and_what_to_do_on_refusal(
        vault: VaultSession, case: BuiltCase) -> None:
    text = printed(vault, case.plan_id)
    assert flat(CONSENT_NOTE) in text
    assert f"If the person refuses {flat(TEXTS['if_refused'])}" in text


@pytest.mark.hazard("H-033")
def test_a_task_carried_onto_a_newer_plan_keeps_its_own_workers_and_sign_offs(
        vault: VaultSession, case: BuiltCase, monkeypatch: pytest.MonkeyPatch) -> None:
    """A second task delegated for the same person makes plan version 2; the eye drops line
    comes with it, still naming its own two workers, each current for eye drops."""
    from tools import sample_case

    monkeypatch.setattr(sample_case, "TASK_CODE", "compression_hosiery")
    newer = sample_case.delegate_again(
        vault.uow, case.person_id, case.nhs_number,
        sample_case.CaseSpec(provider_name="Sample Care Services",
                             worker_names=(("Kwame", "Okafor"),)))
    document = load_plan_document(vault.uow, newer.plan_id, PRINTED_BY, PRINTED_AT)
    by_task = {t.task_code: t for t in document.tasks}
    assert document.version_number == 2 and set(by_task) == {"eye_drops", "compression_hosiery"}
    assert [(w.name, w.current) for w in by_task["eye_drops"].workers] == [
        ("Łukasz Żółć", True), ("Aisha Okafor", True)]
    assert [(w.name, w.current) for w in by_task["compression_hosiery"].workers] == [
        ("Kwame Okafor", True)]


@pytest.mark.hazard("H-033")
def test_delegating_the_same_task_again_ends_the_earlier_case_with_a_link_to_the_new(
        vault: VaultSession, case: BuiltCase) -> None:
    """Eye drops delegated again (another provider, another worker): the earlier case is
    closed and names the new one, its review clock stops, its workers' sign-offs are
    suspended, and the new plan version has one eye drops line, the new one's."""
    from desktop_app.models.competency import CompetencySignOff, SignOffStatus
    from tools import sample_case

    newer = sample_case.delegate_again(
        vault.uow, case.person_id, case.nhs_number,
        sample_case.CaseSpec(provider_name="Sample Care Services",
                             worker_names=(("Kwame", "Okafor"),)))
    with vault.uow.read() as s:
        old = s.get(DelegationCase, case.case_id)
        assert old is not None
        assert (old.status, old.replaced_by_case_id) == ("closed", newer.case_id)
        outstanding = s.scalars(select(Review.delegation_case_id).where(
            Review.done_on.is_(None), ~Review.deleted)).all()
        assert outstanding == [newer.case_id]
        statuses = {row.delegation_case_id: row.status for row in s.scalars(
            select(CompetencySignOff).where(CompetencySignOff.person_id == case.person_id))}
        lines = s.scalars(select(SupportPlanTask.delegation_case_id).where(
            SupportPlanTask.plan_id == newer.plan_id)).all()
    assert statuses == {case.case_id: SignOffStatus.SUSPENDED.value,
                        newer.case_id: SignOffStatus.CURRENT.value}
    assert lines == [newer.case_id]
    assert [r.case_id for r in registers.reviews_due(vault.uow, dt.date(2030, 1, 1))] == [
        newer.case_id]
