"""Lists show tasks and steps by name, not by code: the person record's delegations and
support plans (``person_record.load_record``) and the unfinished delegations
(``delegation.drafts``), on a real vault seeded with the task catalogue.
"""

from __future__ import annotations

import pytest

from desktop_app.services import delegation, people
from desktop_app.services.people.record import load_record
from desktop_app.services.vault import VaultSession
from tests.services.test_delegation import (
    CATALOGUE,
    D_TASK,
    FLOW,
    RN_TASK,
    TODAY,
    delegated_answers,
    start,
)
from tests.support import person_values
from tools.sample_case import add_insured_provider

D_NAME = CATALOGUE.get(D_TASK).name
RN_NAME = CATALOGUE.get(RN_TASK).name


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(21))).id


def test_the_names_differ_from_the_codes() -> None:
    """Otherwise the tests below could not tell a name from a code."""
    assert D_NAME and D_NAME != D_TASK and RN_NAME and RN_NAME != RN_TASK


def test_the_record_names_delegated_and_planned_tasks(vault: VaultSession,
                                                      person_id: str) -> None:
    # decide() delegates only to a provider insured for delegated tasks (H-041)
    answers = delegated_answers(*add_insured_provider(vault.uow))
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", FLOW, CATALOGUE)
    delegation.decide(vault.uow, case_id, answers, FLOW, CATALOGUE, "A Nurse", TODAY)
    draft_id = delegation.save_draft(vault.uow, person_id, None, start(RN_TASK), "S2", FLOW,
                                     CATALOGUE)
    record = load_record(vault.uow, person_id)
    names = {d.id: (d.task_code, d.task_name) for d in record.delegations}
    assert names == {case_id: (D_TASK, D_NAME), draft_id: (RN_TASK, RN_NAME)}
    [plan] = record.plans
    assert plan.task_codes == (D_TASK,) and plan.task_names == (D_NAME,)


def test_drafts_name_the_task_and_the_step_reached(vault: VaultSession,
                                                  person_id: str) -> None:
    case_id = delegation.save_draft(vault.uow, person_id, None, start(), "S3", FLOW, CATALOGUE)
    [draft] = delegation.drafts(vault.uow)
    assert draft.case_id == case_id
    assert (draft.task_code, draft.task_name) == (D_TASK, D_NAME)
    assert (draft.current_step, draft.step_title) == ("S3", FLOW.steps["S3"].title)
    assert draft.step_title == "Tasks that stay with a nurse"


def test_a_draft_with_no_task_chosen_yet_has_no_name(vault: VaultSession,
                                                     person_id: str) -> None:
    delegation.save_draft(vault.uow, person_id, None, {}, "S1", FLOW, CATALOGUE)
    [draft] = delegation.drafts(vault.uow)
    assert (draft.task_code, draft.task_name) == ("", "")
    assert draft.step_title == "Identify the task"
    [row] = load_record(vault.uow, person_id).delegations
    assert row.task_name == ""
