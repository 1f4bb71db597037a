"""The real wizard, driven to every outcome code and recorded in a real vault.

Each scenario types S1 with keys, fills each later page through its widgets (``load`` sets
the same widgets a nurse would), presses Next with the mouse until the outcome page, then
Finish. The decision recorded in the vault must be the outcome the flow table gives.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Iterator
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard
from sqlalchemy import select

from desktop_app.models.delegation import DelegationCase, OutcomeCode
from desktop_app.services import people
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.providers import register
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.controller import WizardController
from desktop_app.ui.wizard.outcome_page import OutcomePage
from tests.support import PASSPHRASE, add_provider, person_values
from tools.sample_case import S9_ANSWERED

# A sign-off a month old: current whenever the suite runs (one past its refresher is
# refused).
RECENT_SIGN_OFF = (dt.date.today() - dt.timedelta(days=30)).isoformat()

CATALOGUE = load_catalogue()
EYE_DROPS = "eye_drops"
RN_TASK = next(t.code for t in CATALOGUE.tasks if t.typical_status == "RN")


class Stack:
    """A vault session on its database thread, a person, a provider and two workers."""

    def __init__(self, store: Any, user_id: str) -> None:
        self.executor = DatabaseExecutor()
        self.session = self.executor.call(store.unlock, user_id, PASSPHRASE)
        self.person_id, self.provider_id, self.workers = self.executor.call(self._seed)
        self.runner = TaskRunner(self.executor, self._raise)

    @staticmethod
    def _raise(error: BaseException) -> None:
        raise error

    def _seed(self) -> tuple[str, str, list[str]]:
        uow = self.session.uow
        person = people.create_person(uow, people.PersonInput(**person_values(11)))
        provider_id, workers = add_provider(uow)
        # S7 confirms insurance only for a provider the register shows insured today.
        row = register.get_provider(uow, provider_id)
        insured = dataclasses.replace(row.as_input, insurance_covers_delegated=True,
                                      insurance_confirmed_on=dt.date.today())
        register.update_provider(uow, provider_id, insured, row.version)
        return person.id, provider_id, workers

    def outcome_of_last_case(self) -> str | None:
        def read() -> str | None:
            with self.session.uow.read() as s:
                case = s.scalars(select(DelegationCase)).one()
                return case.outcome_code
        return self.executor.call(read)

    def close(self) -> None:
        self.executor.call(self.session.close)
        self.executor.shutdown()


@pytest.fixture
def stack(vault_copy: Any) -> Iterator[Stack]:
    store, user_id, _ = vault_copy
    built = Stack(store, user_id)
    yield built
    built.close()


def scenario(stack: Stack, **changes: Any) -> dict[str, dict[str, Any]]:
    """Answers that delegate within the existing package, with ``changes`` laid over."""
    answers: dict[str, dict[str, Any]] = {
        "S2": {"chc_checklist_positive": False},
        "S3": {"needs_clinical_judgement": False},
        "S4": {"stable": True, "what_is_delegated": "Eye drops, both eyes",
               "what_is_not_delegated": "Any change of medicine", "frequency": "Twice a day",
               "do_thresholds": "Give the drops", "call_nurse_thresholds": "Red, painful eye"},
        "S5": {"incidental_or_ancillary": True},
        "S6": {"consent_given": True, "given_by_kind": "person", "how": "verbal",
               "explained": "What the care worker will do"},
        "S7": {"provider_accepts": True, "provider_id": stack.provider_id,
               "worker_ids": stack.workers, "insurance_confirmed": True},
        "S8": {"all_signed_off": True, "oversight_service": "community_health",
               "oversight_organisation": "Community nursing", "oversight_phone_in_hours":
               "0116 000 0001", "oversight_phone_out_of_hours": "0116 000 0002",
               "sign_offs": [{"worker_id": w, "training_level": 1, "trainer_name": "T Nurse",
                              "assessor_name": "A Nurse", "signed_off_on": RECENT_SIGN_OFF}
                             for w in stack.workers]},
        "S9": {"fits_existing_calls": True, **S9_ANSWERED},
        "S9F": {"method": "fixed_percentage", "start_date": "2026-11-30", "entered": {
            "council": "leicester_city", "lead": "icb", "rate": "24.00",
            "minutes_per_week": "210", "icb_basis_points": "60"}},
        "S10": {"met_on": "2026-11-20", "consensus": True, "attendees": [
            {"role": "Community nurse", "organisation": "LPT", "name": "Ann"},
            {"role": "Social worker", "organisation": "Leicester City Council", "name": "Bo"}]},
    }
    for step, values in changes.items():
        answers[step] = {**answers.get(step, {}), **values}
    return answers


def drive(qtbot: Any, controller: WizardController, stack: Stack, task: str,
          answers: dict[str, dict[str, Any]]) -> Any:
    with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
        controller.start(stack.person_id)
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    s1 = wizard.currentPage()
    s1.task.setFocus()
    s1.task.set_value(task)
    qtbot.keyClicks(s1.referred_by, "District nurse")
    qtbot.mouseClick(s1.health_need.yes, Qt.MouseButton.LeftButton)
    for _ in range(15):
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton),
                         Qt.MouseButton.LeftButton)
        page = wizard.currentPage()
        if isinstance(page, OutcomePage):
            return wizard
        assert isinstance(page, StepPage)
        page.load(answers.get(page.step.id, {}))
    raise AssertionError(f"never reached the outcome page; stuck at {wizard.current_step()}: "
                         f"{wizard.currentPage().message.text()}")


CASES = [
    ("SOCIAL_CARE_ONLY", EYE_DROPS, None),
    ("REFER_CHC", EYE_DROPS, {"S2": {"chc_checklist_positive": True}}),
    ("NOT_DELEGATED", RN_TASK, {}),
    ("PERSON_DECLINED", EYE_DROPS, {"S6": {"consent_given": False,
                                           "no_reason": "Wants the nurse"}}),
    ("NO_PROVIDER", EYE_DROPS, {"S7": {"provider_accepts": False,
                                       "no_reason": "No capacity this month"}}),
    ("DELEGATED_EXISTING_PACKAGE", EYE_DROPS, {}),
    ("DELEGATED_HEALTH_FUNDED", EYE_DROPS, {
        "S5": {"incidental_or_ancillary": False, "no_reason": "Not incidental"},
        "S9F": {"entered": {"council": "leicester_city", "lead": "icb", "rate": "24.00",
                            "minutes_per_week": "210", "icb_basis_points": "100"}}}),
    ("DELEGATED_JOINT_FUNDED", EYE_DROPS, {"S9": {"fits_existing_calls": False}}),
    ("ESCALATED_SHARED_CARE", EYE_DROPS, {"S10": {
        "consensus": False, "disagreement_about": "delegation",
        "question_for_discussion": "Is this safe to delegate?", "interim_funder": "icb",
        "interim_weekly_pence": 0, "interim_from": "2026-11-20"}}),
    ("INTERIM_WITHOUT_PREJUDICE", EYE_DROPS, {"S9": {"fits_existing_calls": False}, "S10": {
        "consensus": False, "disagreement_about": "funding",
        "question_for_discussion": "Who funds the extra visit?", "interim_funder": "icb",
        "dispute_reference": "MLCSU-999-7"}}),
]


@pytest.mark.hazard("H-001")
@pytest.mark.parametrize(("expected", "task", "changes"), CASES, ids=[c[0] for c in CASES])
def test_the_wizard_reaches_and_records_each_outcome(qtbot: Any, stack: Stack, expected: str,
                                                     task: str, changes: Any) -> None:
    controller = WizardController(stack.runner, stack.session, load_flow(), CATALOGUE,
                                  Dialogs(headless=True))
    if changes is None:  # S1 answered "social care need"
        with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
            controller.start(stack.person_id)
        wizard = opened.args[0]
        qtbot.addWidget(wizard)
        s1 = wizard.currentPage()
        s1.task.set_value(task)
        qtbot.keyClicks(s1.referred_by, "Social worker")
        qtbot.mouseClick(s1.health_need.no, Qt.MouseButton.LeftButton)
        qtbot.keyClicks(s1.reason, "Prompting from a pack is personal care")
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton),
                         Qt.MouseButton.LeftButton)
        assert isinstance(wizard.currentPage(), OutcomePage)
    else:
        wizard = drive(qtbot, controller, stack, task, scenario(stack, **changes))
    assert wizard.currentPage().summary.text()  # the outcome, why and what next are shown
    with qtbot.waitSignal(controller.decision_recorded, timeout=10000) as recorded:
        qtbot.mouseClick(wizard.button(QWizard.WizardButton.FinishButton),
                         Qt.MouseButton.LeftButton)
    assert recorded.args[0].outcome == expected
    assert stack.outcome_of_last_case() == expected


@pytest.mark.hazard("H-001")
def test_every_outcome_code_has_an_end_to_end_case() -> None:
    # WITHDRAWN comes from a review (S11), not from this wizard.
    assert {c[0] for c in CASES} == {o.value for o in OutcomeCode} - {"WITHDRAWN"}
