"""The provider register and its care workers (issue 15), and what decide() holds about them.

* A fresh vault (no demo data): a provider and a worker added through the services, the real
  wizard driven to a delegated outcome with them, and the printed support plan names both.
* decide() delegates only to an active provider insured for delegated healthcare tasks on
  the decision day, with named workers who still work for it (hazard H-041); the wizard is
  offered only active providers and the workers still there.
* The register's own rules: the CQC location ID's shape, a duplicate worker name warned
  about and kept, an edit of an older version refused (H-017), roles (H-026).
* Providers and workers reach another laptop through the real central store.
* Migration 0007 gives a provider made before it its council as its area and, where its
  insurance was confirmed, the cover of delegated tasks.
* The demo's providers and workers are the register's own (made through its services).

Everything is synthetic: NHS numbers from the 999 range, phones in Ofcom's drama ranges,
e-mails under ``.example``, CQC location IDs of the CQC's shape beginning ``1-999``.
"""

from __future__ import annotations

import datetime as dt
import json
import os
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import psycopg
import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from sqlalchemy import func, select, text
from sqlalchemy.orm import Session, sessionmaker

from desktop_app.models.delegation import CaseStatus, DelegationCase
from desktop_app.models.outbox import OutboxEntry
from desktop_app.models.plan import SupportPlan
from desktop_app.models.provider import CareWorker
from desktop_app.services import delegation, people
from desktop_app.services import sync as sync_client
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.core.errors import PermissionDenied, ValidationError
from desktop_app.services.core.migrate import head_revision, upgrade_to
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.demo import PROVIDERS, seed_demo_caseload
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.framework.insurance import cover_on
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import load_plan_document
from desktop_app.services.providers import register, workers
from desktop_app.services.vault import VaultSession, VaultStore, keyfile
from desktop_app.services.vault.database import encrypted_engine
from desktop_app.services.vault.keyfile import KeyFile
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.controller import WizardController
from desktop_app.ui.wizard.outcome_page import OutcomePage
from tests.services.pdf.pdf_text import flat, page_texts
from tests.support import PASSPHRASE, TEST_KDF, USER_NAME, as_role, person_values
from tests.sync.laptops import VaultLaptop, assert_agree, issue_code, make_vault
from tools.sample_case import S9_ANSWERED
from tools.throwaway_store import StoreProcess

FLOW = load_flow()
CATALOGUE = load_catalogue()
EYE_DROPS = "eye_drops"
DAY = dt.date(2026, 11, 30)  # the decision day of the service tests
CONFIRMED = dt.date(2026, 9, 1)  # the provider confirmed its cover (before any test's today)
UNTIL = dt.date(2027, 3, 31)


def provider_input(name: str = "Brook Lane Care", **changes: Any) -> register.ProviderInput:
    """A provider as typed: insured for delegated healthcare tasks from 1/9/2026 to
    31/3/2027."""
    values: dict[str, Any] = {
        "name": name, "council": "leicester_city", "council_areas": ("leicester_city",),
        "phone": "0116 496 0500", "cqc_location_id": "1-999000555",
        "contact_name": "Pat Example", "email": "office@brooklane.example",
        "insurance_covers_delegated": True, "insurance_confirmed_on": CONFIRMED,
        "insurance_until": UNTIL}
    values.update(changes)
    return register.ProviderInput(**values)


def worker_input(given: str = "Mina", family: str = "Shah",
                 role: str = "Care worker") -> workers.WorkerInput:
    return workers.WorkerInput(given, family, role, "07700 900555", dt.date(2024, 4, 1))


def add_provider(uow: UnitOfWork, name: str = "Brook Lane Care",
                 names: tuple[tuple[str, str], ...] = (("Mina", "Shah"), ("Tomasz", "Nowak")),
                 **changes: Any) -> tuple[register.ProviderRow, list[workers.WorkerRow]]:
    """A provider and its care workers, through the register's services."""
    provider = register.create_provider(uow, provider_input(name, **changes), DAY)
    return provider, [workers.add_worker(uow, provider.id, worker_input(g, f), DAY).worker
                      for g, f in names]


def delegated(provider_id: str, worker_ids: list[str]) -> dict[str, dict[str, Any]]:
    """Answers delegating eye drops within the existing package, decided on ``DAY``."""
    return {
        "S1": {"task_code": EYE_DROPS, "referred_by": "District nurse", "is_health_need": True},
        "S2": {"chc_checklist_positive": False},
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": True, "what_is_delegated": "Eye drops twice a day",
               "what_is_not_delegated": "Any change of dose", "frequency": "Twice a day",
               "do_thresholds": "Give the drops as prescribed",
               "call_nurse_thresholds": "Red or painful eye"},
        "S5": {"incidental_or_ancillary": True},
        "S6": {"consent_given": True, "given_by_kind": "person", "given_by_name": "Edith",
               "how": "verbal", "explained": "What the worker will do and when they call"},
        "S7": {"provider_accepts": True, "provider_id": provider_id, "worker_ids": worker_ids,
               "insurance_confirmed": True},
        "S8": {"all_signed_off": True, "oversight_service": "gp_practice",
               "oversight_organisation": "Demo Medical Practice",
               "oversight_phone_in_hours": "0116 496 0000", "oversight_phone_out_of_hours": "111",
               "sign_offs": [{"worker_id": w, "training_level": 1, "trainer_name": "T Nurse",
                              "assessor_name": "A Nurse", "signed_off_on": "2026-11-20"}
                             for w in worker_ids]},
        "S9": {"fits_existing_calls": True, **S9_ANSWERED},
        "S10": {"met_on": "2026-11-28", "consensus": True, "attendees": [
            {"role": "Nurse", "organisation": "LPT", "name": "A"},
            {"role": "Social worker", "organisation": "City Council", "name": "B"}]},
    }


def draft(vault: VaultSession, person_id: str, answers: dict[str, dict[str, Any]]) -> str:
    return delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW, CATALOGUE)


def decide(vault: VaultSession, case_id: str, answers: dict[str, dict[str, Any]],
           day: dt.date = DAY) -> delegation.Decision:
    return delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", day)


def still_a_draft(vault: VaultSession, case_id: str) -> bool:
    """Nothing was recorded: the case is a draft and no plan was made."""
    with vault.uow.read() as s:
        case = s.get(DelegationCase, case_id)
        plans = s.scalar(select(func.count()).select_from(SupportPlan))
        return case is not None and case.status == CaseStatus.DRAFT.value and plans == 0


def offered(vault: VaultSession, person_id: str, day: dt.date = DAY) -> dict[str, Any]:
    """The wizard's providers for the person on ``day``, by id."""
    context = delegation.wizard_context(vault.uow, person_id, CATALOGUE, today=day)
    return {p.id: p for p in context.providers}


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(15))).id


# ---------------------------------------------------------------- a fresh vault, end to end


class Stack:
    """A fresh vault (no demo data) on its database thread, with a person, and a provider
    and a care worker added through the register's services."""

    def __init__(self, store: VaultStore, user_id: str) -> None:
        self.executor = DatabaseExecutor()
        self.session = self.executor.call(store.unlock, user_id, PASSPHRASE)
        self.runner = TaskRunner(self.executor, self._raise)
        self.providers_before = self.executor.call(
            lambda: register.list_providers(self.session.uow))
        self.person_id, self.provider, self.worker = self.executor.call(self._seed)

    @staticmethod
    def _raise(error: BaseException) -> None:
        raise error

    def _seed(self) -> tuple[str, register.ProviderRow, workers.WorkerRow]:
        uow = self.session.uow
        person = people.create_person(uow, people.PersonInput(**person_values(21)))
        provider = register.create_provider(uow, provider_input(
            insurance_until=dt.date.today() + dt.timedelta(days=300)))
        worker = workers.add_worker(uow, provider.id, worker_input()).worker
        return person.id, provider, worker

    def close(self) -> None:
        self.executor.call(self.session.close)
        self.executor.shutdown()


@pytest.fixture
def stack(vault_copy: tuple[VaultStore, str, str]) -> Iterator[Stack]:
    store, user_id, _ = vault_copy
    built = Stack(store, user_id)
    yield built
    built.close()


def wizard_answers(stack: Stack) -> dict[str, dict[str, Any]]:
    """What the nurse enters on S2-S10, dated around today (the wizard decides today)."""
    today = dt.date.today()
    return {
        "S2": {"chc_checklist_positive": False},
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": True, "what_is_delegated": "Eye drops, both eyes",
               "what_is_not_delegated": "Any change of medicine", "frequency": "Twice a day",
               "do_thresholds": "Give the drops", "call_nurse_thresholds": "Red, painful eye"},
        "S5": {"incidental_or_ancillary": True},
        "S6": {"consent_given": True, "given_by_kind": "person", "how": "verbal",
               "explained": "What the care worker will do"},
        "S7": {"provider_accepts": True, "provider_id": stack.provider.id,
               "worker_ids": [stack.worker.id], "insurance_confirmed": True},
        "S8": {"all_signed_off": True, "oversight_service": "community_health",
               "oversight_organisation": "Community nursing", "oversight_phone_in_hours":
               "0116 496 0001", "oversight_phone_out_of_hours": "0116 496 0002",
               "sign_offs": [{"worker_id": stack.worker.id, "training_level": 1,
                              "trainer_name": "T Nurse", "assessor_name": "A Nurse",
                              "signed_off_on": (today - dt.timedelta(days=20)).isoformat()}]},
        "S9": {"fits_existing_calls": True, **S9_ANSWERED},
        "S9F": {"method": "fixed_percentage",
                "start_date": (today + dt.timedelta(days=7)).isoformat(), "entered": {
                    "council": "leicester_city", "lead": "icb", "rate": "24.00",
                    "minutes_per_week": "210", "icb_basis_points": "60"}},
        "S10": {"met_on": (today - dt.timedelta(days=2)).isoformat(), "consensus": True,
                "attendees": [
                    {"role": "Community nurse", "organisation": "LPT", "name": "Ann"},
                    {"role": "Social worker", "organisation": "Leicester City Council",
                     "name": "Bo"}]},
    }


@pytest.mark.hazard("H-041")
@pytest.mark.hazard("H-006")
def test_a_fresh_vault_delegates_through_the_wizard_to_a_registered_provider_named_on_the_plan(
        qtbot: Any, stack: Stack) -> None:
    assert stack.providers_before == []  # a fresh vault: no demo providers
    controller = WizardController(stack.runner, stack.session, FLOW, CATALOGUE,
                                  Dialogs(headless=True))
    with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
        controller.start(stack.person_id)
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    option = wizard.context.provider(stack.provider.id)
    assert option is not None and option.insured
    assert [w.name for w in option.workers] == ["Mina Shah"]

    s1 = wizard.currentPage()
    s1.task.setFocus()
    s1.task.set_value(EYE_DROPS)
    qtbot.keyClicks(s1.referred_by, "District nurse")
    qtbot.mouseClick(s1.health_need.yes, Qt.MouseButton.LeftButton)
    answers = wizard_answers(stack)
    for _ in range(15):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton),
                         Qt.MouseButton.LeftButton)
        page = wizard.currentPage()
        if isinstance(page, OutcomePage):
            break
        assert isinstance(page, StepPage)
        page.load(answers.get(page.step.id, {}))
    else:
        raise AssertionError(f"stuck at {wizard.current_step()}: "
                             f"{wizard.currentPage().message.text()}")
    with qtbot.waitSignal(controller.decision_recorded, timeout=10000) as recorded:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton),
                         Qt.MouseButton.LeftButton)
    decision = recorded.args[0]
    assert decision.outcome == "DELEGATED_EXISTING_PACKAGE"

    def printed() -> bytes:
        uow = stack.session.uow
        with uow.read() as s:
            plan_id = s.scalars(select(SupportPlan.id).where(
                SupportPlan.delegation_case_id == decision.case_id)).one()
        return render_support_plan(load_plan_document(
            uow, plan_id, USER_NAME, dt.datetime.now(dt.UTC)))

    pdf_text = flat("\n".join(page_texts(stack.executor.call(printed))))
    assert "Mina Shah Care worker Brook Lane Care Level 1" in pdf_text
    assert "NOT CURRENT" not in pdf_text


# ---------------------------------------------------------------- decide() and the register


@pytest.mark.hazard("H-041")
def test_a_deactivated_provider_is_not_offered_and_decide_refuses_it(
        vault: VaultSession, person_id: str) -> None:
    provider, named = add_provider(vault.uow)
    answers = delegated(provider.id, [named[0].id])
    case_id = draft(vault, person_id, answers)  # drafted while the provider was active
    assert provider.id in offered(vault, person_id)

    off = register.set_active(vault.uow, provider.id, False, provider.version, DAY)
    assert (off.active, off.deactivated_on) == (False, DAY)
    assert provider.id not in offered(vault, person_id)
    assert [p.id for p in register.list_providers(vault.uow, DAY)] == [provider.id]  # kept
    assert register.list_providers(vault.uow, DAY, include_inactive=False) == []
    with pytest.raises(ValidationError, match="Brook Lane Care is deactivated on the provider "
                                              "register since 30/11/2026") as refused:
        decide(vault, case_id, answers)
    assert refused.value.field == "S7.provider_id"
    assert still_a_draft(vault, case_id)

    register.set_active(vault.uow, provider.id, True, off.version, DAY)
    assert decide(vault, case_id, answers).outcome == "DELEGATED_EXISTING_PACKAGE"


def test_an_ended_cover_is_no_cover() -> None:
    end = dt.date(2026, 11, 29)
    assert cover_on(end, CONFIRMED, True, end).insured  # its last day still covered
    after = cover_on(end + dt.timedelta(days=1), CONFIRMED, True, end)
    assert (after.insured, after.words) == (False, "Insurance ended on 29/11/2026: not insured")
    assert not cover_on(DAY, None, True, None).insured  # never confirmed
    assert not cover_on(DAY, CONFIRMED, False, None).insured  # does not cover delegated tasks
    assert cover_on(DAY, CONFIRMED, True, None).insured  # confirmed, no end recorded


@pytest.mark.hazard("H-041")
def test_an_ended_cover_is_not_insured_in_the_wizard_and_decide_refuses_it_whatever_s7_says(
        vault: VaultSession, person_id: str) -> None:
    provider, named = add_provider(vault.uow, insurance_until=dt.date(2026, 11, 29))
    option = offered(vault, person_id)[provider.id]
    assert (option.insured, option.insurance_words) == (
        False, "Insurance ended on 29/11/2026: not insured")
    assert offered(vault, person_id, dt.date(2026, 11, 29))[provider.id].insured

    answers = delegated(provider.id, [named[0].id])  # S7 says "insurance confirmed"
    case_id = draft(vault, person_id, answers)
    with pytest.raises(ValidationError, match="Brook Lane Care: Insurance ended on "
                                              "29/11/2026: not insured") as refused:
        decide(vault, case_id, answers)
    assert refused.value.field == "S7.insurance_confirmed"
    assert still_a_draft(vault, case_id)
    # Decided on the cover's last day, the same answers stand.
    assert decide(vault, case_id, answers, dt.date(2026, 11, 29)).plan_version == 1


@pytest.mark.hazard("H-041")
def test_a_cover_never_confirmed_for_delegated_tasks_is_refused(
        vault: VaultSession, person_id: str) -> None:
    provider, named = add_provider(vault.uow, insurance_covers_delegated=False,
                                   insurance_until=None)
    assert not offered(vault, person_id)[provider.id].insured
    answers = delegated(provider.id, [named[0].id])
    case_id = draft(vault, person_id, answers)
    with pytest.raises(ValidationError, match="Brook Lane Care: Insurance for delegated "
                                              "healthcare tasks not confirmed"):
        decide(vault, case_id, answers)
    # Recorded on the register (confirmed, covering delegated tasks): it decides.
    register.update_provider(vault.uow, provider.id, provider_input(), provider.version, DAY)
    assert decide(vault, case_id, answers).outcome == "DELEGATED_EXISTING_PACKAGE"


@pytest.mark.hazard("H-041")
def test_care_going_ahead_without_prejudice_needs_an_insured_provider_too(
        vault: VaultSession, person_id: str) -> None:
    """Not only the DELEGATED_* outcomes: interim care also puts the task with a worker."""
    provider, named = add_provider(vault.uow, insurance_until=dt.date(2026, 10, 31))
    answers = delegated(provider.id, [named[0].id])
    answers["S9"] = {"fits_existing_calls": False, **S9_ANSWERED}
    answers["S9F"] = {"method": "fixed_percentage", "icb_share": "part", "inputs": {
        "method": "fixed_percentage", "council": "leicester_city", "rate_pence_per_hour": 2400,
        "lead_commissioner": "leicester_city", "start_date": "2026-12-01",
        "minutes_per_week": 210, "icb_basis_points": 6000}}
    answers["S10"].update(consensus=False, disagreement_about="funding",
                          question_for_discussion="Who funds the extra visit?",
                          interim_funder="icb", dispute_reference="MLCSU-999-1")
    case_id = draft(vault, person_id, answers)
    with pytest.raises(ValidationError, match="Insurance ended on 31/10/2026"):
        decide(vault, case_id, answers)
    assert still_a_draft(vault, case_id)


@pytest.mark.hazard("H-041")
@pytest.mark.hazard("H-006")
def test_a_worker_who_left_is_not_offered_and_decide_refuses_them_by_name(
        vault: VaultSession, person_id: str) -> None:
    provider, (mina, tomasz) = add_provider(vault.uow)
    answers = delegated(provider.id, [mina.id, tomasz.id])
    case_id = draft(vault, person_id, answers)

    left = workers.record_leaving(vault.uow, tomasz.id, DAY, tomasz.version, DAY)
    assert (left.active, left.left_on) == (False, DAY)
    assert [w.name for w in offered(vault, person_id)[provider.id].workers] == ["Mina Shah"]
    assert [w.id for w in workers.list_workers(vault.uow, provider.id,
                                               include_left=False)] == [mina.id]
    assert {w.id for w in workers.list_workers(vault.uow, provider.id)} == {mina.id, tomasz.id}
    with pytest.raises(ValidationError, match="Tomasz Nowak left Brook Lane Care on "
                                              "30/11/2026") as refused:
        decide(vault, case_id, answers)
    assert refused.value.field == "S7.worker_ids"
    assert still_a_draft(vault, case_id)

    only_mina = delegated(provider.id, [mina.id])
    assert decide(vault, case_id, only_mina).outcome == "DELEGATED_EXISTING_PACKAGE"


@pytest.mark.hazard("H-041")
@pytest.mark.hazard("H-006")
def test_a_worker_of_another_provider_is_refused_naming_both_providers(
        vault: VaultSession, person_id: str) -> None:
    provider, (mina, _) = add_provider(vault.uow)
    _, (other,) = add_provider(vault.uow, "Ash Tree Care", (("Kit", "Sample"),))
    answers = delegated(provider.id, [mina.id, other.id])
    case_id = draft(vault, person_id, answers)
    with pytest.raises(ValidationError, match="Kit Sample works for Ash Tree Care, not for "
                                              "Brook Lane Care"):
        decide(vault, case_id, answers)
    assert still_a_draft(vault, case_id)


@pytest.mark.parametrize(("typed", "stored"), [
    ("1-123456789", "1-123456789"), ("1-12345678901", "1-12345678901"),
    (" 1-1234567890 ", "1-1234567890"), (None, None), ("", None)])
def test_a_cqc_location_id_of_the_cqcs_shape_is_kept(typed: str | None,
                                                     stored: str | None) -> None:
    values = register.validate(provider_input(cqc_location_id=typed), DAY)
    assert values["cqc_location_id"] == stored


@pytest.mark.parametrize("typed", ["1-12345678", "1-123456789012", "123456789", "1-12345678a",
                                   "2-123456789", "1 123456789", "RXT-123456789"])
def test_a_cqc_location_id_of_another_shape_is_refused(vault: VaultSession, typed: str) -> None:
    with pytest.raises(ValidationError, match="1- followed by 9 to 11 digits") as refused:
        register.create_provider(vault.uow, provider_input(cqc_location_id=typed), DAY)
    assert refused.value.field == "cqc_location_id"
    assert register.list_providers(vault.uow, DAY) == []


def test_a_second_worker_of_the_same_name_is_warned_about_and_kept(vault: VaultSession) -> None:
    provider, (mina, tomasz) = add_provider(vault.uow)
    again = workers.add_worker(vault.uow, provider.id, worker_input("mina", "SHAH"), DAY)
    assert again.warnings == ("This provider already has a care worker called mina SHAH. "
                              "Both are kept: check they are two people.",)
    ids = [w.id for w in workers.list_workers(vault.uow, provider.id)]
    assert sorted(ids) == sorted([mina.id, tomasz.id, again.worker.id])
    # The same name at another provider is someone else's worker: no warning.
    other, _ = add_provider(vault.uow, "Ash Tree Care", ())
    assert workers.add_worker(vault.uow, other.id, worker_input(), DAY).warnings == ()
    # Renaming a worker to a colleague's name warns too, and is kept.
    renamed = workers.update_worker(vault.uow, tomasz.id, worker_input("Mina", "Shah"),
                                    tomasz.version, DAY)
    assert renamed.warnings and renamed.worker.name == "Mina Shah"


@pytest.mark.hazard("H-017")
def test_an_edit_of_an_older_version_is_refused_and_changes_nothing(
        vault: VaultSession) -> None:
    provider, (mina, _) = add_provider(vault.uow)
    newer = register.update_provider(vault.uow, provider.id,
                                     provider_input(phone="0116 496 0999"), provider.version, DAY)
    assert newer.version > provider.version
    stale = [
        lambda: register.update_provider(vault.uow, provider.id,
                                         provider_input(phone="0116 496 0123"),
                                         provider.version, DAY),
        lambda: register.set_active(vault.uow, provider.id, False, provider.version, DAY)]
    for edit in stale:
        with pytest.raises(ValidationError, match="This provider was changed meanwhile"):
            edit()
    assert register.get_provider(vault.uow, provider.id, DAY) == newer

    renamed = workers.update_worker(vault.uow, mina.id, worker_input("Mina", "Shah-Patel"),
                                    mina.version, DAY).worker
    for edit in [
            lambda: workers.update_worker(vault.uow, mina.id, worker_input("Mina", "Old"),
                                          mina.version, DAY),
            lambda: workers.record_leaving(vault.uow, mina.id, DAY, mina.version, DAY)]:
        with pytest.raises(ValidationError, match="This care worker was changed meanwhile"):
            edit()
    [now] = [w for w in workers.list_workers(vault.uow, provider.id) if w.id == mina.id]
    assert now == renamed and now.active


@pytest.mark.hazard("H-026")
def test_a_read_only_user_cannot_change_the_register_and_a_social_care_practitioner_can(
        vault: VaultSession) -> None:
    provider, (mina, _) = add_provider(vault.uow)
    reader = as_role(vault, "read_only")
    refused: list[Callable[[], object]] = [
        lambda: register.create_provider(reader, provider_input("Ash Tree Care"), DAY),
        lambda: register.update_provider(reader, provider.id, provider_input(phone="0116 496 0111"),
                                         provider.version, DAY),
        lambda: register.set_active(reader, provider.id, False, provider.version, DAY),
        lambda: workers.add_worker(reader, provider.id, worker_input("Kit", "Sample"), DAY),
        lambda: workers.update_worker(reader, mina.id, worker_input("Mina", "Other"),
                                      mina.version, DAY),
        lambda: workers.record_leaving(reader, mina.id, DAY, mina.version, DAY)]
    for action in refused:
        with pytest.raises(PermissionDenied, match="cannot change care providers or care "
                                                   "workers"):
            action()
    assert register.list_providers(reader, DAY) == [
        register.get_provider(vault.uow, provider.id, DAY)]  # reading is allowed
    assert register.get_provider(vault.uow, provider.id, DAY).version == provider.version
    assert len(workers.list_workers(reader, provider.id)) == 2

    practitioner = as_role(vault, "social_care_practitioner")
    made = register.create_provider(practitioner, provider_input("Ash Tree Care"), DAY)
    kit = workers.add_worker(practitioner, made.id, worker_input("Kit", "Sample"), DAY).worker
    edited = register.update_provider(practitioner, made.id,
                                      provider_input("Ash Tree Care", phone="0116 496 0111"),
                                      made.version, DAY)
    workers.record_leaving(practitioner, kit.id, DAY, kit.version, DAY)
    off = register.set_active(practitioner, made.id, False, edited.version, DAY)
    assert (off.phone, off.active, off.active_workers) == ("0116 496 0111", False, 0)


# ---------------------------------------------------------------- through the central store


@pytest.fixture
def laptop(store: StoreProcess, store_sessions: sessionmaker[Session],
           template_vault: tuple[Path, str, str],
           tmp_path: Path) -> Iterator[Callable[[str], VaultLaptop]]:
    """``laptop(team)``: a vault of its own, enrolled by the real client (as the sync
    tests' ``laptops`` fixture in tests/sync/conftest.py)."""
    made: list[VaultLaptop] = []

    def make(team_name: str) -> VaultLaptop:
        folder, user_id, _ = template_vault
        name = f"Laptop {len(made) + 1}"
        vault = make_vault(folder, tmp_path / f"laptop-{len(made) + 1}", user_id)
        built = VaultLaptop(vault, store.base_url, name)
        made.append(built)
        code = issue_code(store_sessions, team_name)
        built.enrolment = sync_client.enrol(built.uow, store.base_url, code, name)
        return built

    yield make
    for built in made:
        built.close()


@pytest.mark.hazard("H-041")
def test_a_provider_and_worker_made_on_one_laptop_reach_another_and_so_does_a_deactivation(
        laptop: Callable[[str], VaultLaptop], team: str, pg: psycopg.Connection) -> None:
    nurse, colleague = laptop(team), laptop(team)
    provider, (mina,) = add_provider(nurse.uow, names=(("Mina", "Shah"),))
    person = nurse.add_person(31)
    assert nurse.sync().pushed == 3
    assert colleague.sync().pulled == 3

    assert register.get_provider(colleague.uow, provider.id, DAY) == \
        register.get_provider(nurse.uow, provider.id, DAY)
    assert workers.list_workers(colleague.uow, provider.id) == \
        workers.list_workers(nurse.uow, provider.id)
    seen = register.get_provider(colleague.uow, provider.id, DAY)
    assert (seen.name, seen.cqc_location_id, seen.council_areas, seen.contact_name,
            seen.insurance_until, seen.cover.insured) == (
        "Brook Lane Care", "1-999000555", ("leicester_city",), "Pat Example", UNTIL, True)
    context = delegation.wizard_context(colleague.uow, person, CATALOGUE, today=DAY)
    assert [(p.name, [w.name for w in p.workers]) for p in context.providers] == [
        ("Brook Lane Care", ["Mina Shah"])]

    # The colleague records the worker leaving and deactivates the provider; the nurse's
    # laptop learns both and stops offering them.
    workers.record_leaving(colleague.uow, mina.id, DAY, seen_worker_version(colleague, mina.id),
                           DAY)
    register.set_active(colleague.uow, provider.id, False, seen.version, DAY)
    assert colleague.sync().pushed == 2
    nurse.sync()
    back = register.get_provider(nurse.uow, provider.id, DAY)
    assert (back.active, back.deactivated_on, back.active_workers) == (False, DAY, 0)
    [gone] = workers.list_workers(nurse.uow, provider.id)
    assert (gone.active, gone.left_on) == (False, DAY)
    assert delegation.wizard_context(nurse.uow, person, CATALOGUE, today=DAY).providers == ()
    assert nurse.enrolment is not None
    assert_agree(pg, nurse.enrolment.team_id, [nurse, colleague])


def seen_worker_version(laptop: VaultLaptop, worker_id: str) -> int:
    with laptop.uow.read() as s:
        return s.get_one(CareWorker, worker_id).version


# ---------------------------------------------------------------- migration 0007

USER_ID = "11111111-1111-4111-8111-111111111111"
DEVICE_ID = "22222222-2222-4222-8222-222222222222"
STAMP = "2026-01-02 03:04:05.000006"


def _synced(row_id: str) -> dict[str, Any]:
    return {"id": row_id, "version": 2, "server_version": 5, "created_at": STAMP,
            "updated_at": STAMP, "updated_by": USER_ID, "device_id": DEVICE_ID, "deleted": 0}


INSURED_ID = "33333333-0000-4000-8000-000000000007"
UNCONFIRMED_ID = "33333333-0000-4000-8000-000000000008"
WORKER_ID = "44444444-0000-4000-8000-000000000007"
ROWS_0006: dict[str, list[dict[str, Any]]] = {
    "app_user": [{"id": USER_ID, "display_name": USER_NAME, "role": "nurse", "active": 1,
                  "created_at": STAMP}],
    "local_meta": [{"key": "device_id", "value": DEVICE_ID}],
    "care_provider": [
        {**_synced(INSURED_ID), "name": "Old Insured Care", "cqc_location_id": "1-999000777",
         "phone": "0116 496 0777", "email": None, "address": None,
         "insurance_confirmed_on": "2026-06-01", "council": "leicestershire_county"},
        {**_synced(UNCONFIRMED_ID), "name": "Old Unconfirmed Care", "cqc_location_id": None,
         "phone": "0116 496 0888", "email": None, "address": None,
         "insurance_confirmed_on": None, "council": "rutland_county"}],
    "care_worker": [{**_synced(WORKER_ID), "provider_id": INSURED_ID, "given_name": "Ada",
                     "family_name": "Example", "role_title": "Care worker", "phone": None,
                     "active": 1}],
}


def _vault_at_0006(folder: Path) -> None:
    """A closed vault folder at revision 0006 holding two providers and a worker."""
    folder.mkdir(parents=True)
    key = os.urandom(32)
    db_path = folder / "vault.db"
    engine = encrypted_engine(db_path, key, create=True)
    try:
        upgrade_to(engine, db_path, "0006")
        with engine.begin() as conn:
            for table, rows in ROWS_0006.items():
                for row in rows:
                    conn.execute(text(f"INSERT INTO {table} ({', '.join(row)}) VALUES "
                                      f"({', '.join(':' + c for c in row)})"), row)
        with engine.connect() as conn:
            conn.exec_driver_sql("PRAGMA wal_checkpoint(TRUNCATE)")
    finally:
        engine.dispose()
    kf = KeyFile.new()
    kf = kf.with_wrap(keyfile.seal(kf.vault_id, keyfile.USER, USER_ID, USER_NAME, key,
                                   PASSPHRASE, TEST_KDF))
    keyfile.write_key_file(folder / "vault.key", kf)


@pytest.mark.hazard("H-041")
@pytest.mark.hazard("H-034")
def test_migration_0007_gives_an_old_provider_its_council_and_its_confirmed_cover(
        tmp_path: Path) -> None:
    folder = tmp_path / "vault"
    _vault_at_0006(folder)
    session = VaultStore(folder, kdf_cost=TEST_KDF).unlock(USER_ID, PASSPHRASE)
    try:
        assert session.migration is not None
        assert (session.migration.from_revision, session.migration.to_revision) == (
            "0006", head_revision())
        rows = {p.name: p for p in register.list_providers(session.uow, DAY)}
        insured, unconfirmed = rows["Old Insured Care"], rows["Old Unconfirmed Care"]
        assert insured.council_areas == ("leicestershire_county",)
        assert unconfirmed.council_areas == ("rutland_county",)
        assert (insured.insurance_covers_delegated, insured.insurance_confirmed_on,
                insured.insurance_until, insured.cover.insured) == (
            True, dt.date(2026, 6, 1), None, True)
        assert (unconfirmed.insurance_covers_delegated, unconfirmed.cover.insured) == (
            False, False)
        for row in rows.values():
            assert (row.active, row.deactivated_on, row.contact_name, row.version) == (
                True, None, None, 2)
        [ada] = workers.list_workers(session.uow, INSURED_ID)
        assert (ada.name, ada.active, ada.started_on, ada.left_on) == (
            "Ada Example", True, None, None)
        with session.engine.connect() as conn:
            stored = dict(conn.exec_driver_sql(
                "SELECT id, council_areas FROM care_provider").fetchall())
        assert {k: json.loads(v) for k, v in stored.items()} == {
            INSURED_ID: ["leicestershire_county"], UNCONFIRMED_ID: ["rutland_county"]}
    finally:
        session.close()


# ---------------------------------------------------------------- the demo


@pytest.mark.hazard("H-041")
def test_the_demos_providers_and_workers_are_the_registers_own(vault: VaultSession) -> None:
    today = dt.date.today()
    seed_demo_caseload(vault.uow, people=0, today=today)
    rows = register.list_providers(vault.uow, today)
    assert sorted(r.name for r in rows) == sorted(p.name for p in PROVIDERS)
    for row in rows:
        register.validate(row.as_input, today)  # what a user could have typed
        assert row.cqc_location_id and register.CQC_LOCATION_ID.match(row.cqc_location_id)
        assert row.council in row.council_areas and row.contact_name
        assert row.insurance_confirmed_on and row.insurance_confirmed_on < today
    active = [r for r in rows if r.active]
    assert len(active) == 3 and all(r.cover.insured for r in active)
    assert all(r.insurance_until and r.insurance_until.year == today.year + 1 for r in active)
    [closed] = [r for r in rows if not r.active]
    assert not closed.cover.insured and "Insurance ended on" in closed.cover.words
    left = [w for r in rows for w in workers.list_workers(vault.uow, r.id) if not w.active]
    assert [(w.name, w.left_on is not None) for w in left] == [("Doris Walker", True)]
    with vault.uow.read() as s:
        queued = set(s.scalars(select(OutboxEntry.entity_type)))
    assert {"care_provider", "care_worker"} <= queued  # tracked and synced like any record
