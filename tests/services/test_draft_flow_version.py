"""A draft keeps the flow version it was started under (issue 16, item 5).

An app upgrade ships a newer flow; a half-answered delegation must not silently change the
questions it is held to. The draft keeps its first flow version across saves, a save or a
decision under another flow is refused unless the draft was explicitly restarted under it,
and the decision records the version actually used. The code's own guards (a
registered-nurse-only task is never delegated) hold under the old flow too.

Shown to fail: with the refusal in ``save_draft`` removed, the "kept across saves" test
fails; with ``decide`` no longer checking the draft's version, the decide-under-the-newer
test fails; with ``case.flow_version`` not set from the result, the decision test fails.
"""

from __future__ import annotations

import pytest
from sqlalchemy import func, select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.plan import SupportPlan
from desktop_app.services import delegation, people
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import (
    kept_answers,
    load_flow,
    load_flow_version,
    short_version,
)
from desktop_app.services.vault import VaultSession
from tests.services.test_delegation import TODAY, delegated_answers, start
from tests.support import person_values
from tools.sample_case import add_insured_provider

OLD = load_flow_version("2026.1")
NEW = load_flow()
CATALOGUE = load_catalogue()
RN_TASK = next(t.code for t in CATALOGUE.tasks if t.typical_status == "RN")


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(5))).id


def case_version(vault: VaultSession, case_id: str) -> str:
    with vault.uow.read() as s:
        case = s.get(DelegationCase, case_id)
        assert case is not None
        return case.flow_version


def test_the_shipped_versions_load_by_name_and_an_unknown_one_is_refused_plainly() -> None:
    assert short_version(OLD.version) == "2026.1" and short_version(NEW.version) == "2026.2"
    assert load_flow_version(OLD.version) == OLD  # as a case records it
    assert "social_care_need" not in OLD.step("S1").fields  # really the older flow
    for unknown in ("2025.9", "2026.1-other", "", "../flows/delegation_flow_2026.1"):
        with pytest.raises(ValidationError, match="not part of this version of the app"):
            load_flow_version(unknown)


@pytest.mark.hazard("H-018")
def test_a_draft_keeps_its_first_flow_version_across_saves(vault: VaultSession,
                                                          person_id: str) -> None:
    answers = start()
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S2", OLD, CATALOGUE)
    answers["S3"] = {"needs_clinical_judgement": False}
    delegation.save_draft(vault.uow, person_id, case_id, answers, "S4", OLD, CATALOGUE)
    with pytest.raises(ValidationError, match="started under flow 2026.1.*unless it is "
                                              "restarted"):
        delegation.save_draft(vault.uow, person_id, case_id, answers, "S5", NEW, CATALOGUE)
    assert case_version(vault, case_id) == OLD.version
    context = delegation.wizard_context(vault.uow, person_id, CATALOGUE, case_id)
    assert context.flow_version == OLD.version and context.current_step == "S4"
    [draft] = delegation.drafts(vault.uow)
    assert draft.flow_version == OLD.version
    assert draft.step_title == OLD.step("S4").title


@pytest.mark.hazard("H-018")
def test_an_explicit_restart_moves_the_draft_to_the_newer_flow(vault: VaultSession,
                                                              person_id: str) -> None:
    answers = start()
    answers["S3"] = {"needs_clinical_judgement": False}
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S4", OLD, CATALOGUE)
    kept = kept_answers(NEW, {**answers, "S99": {"gone": True}})
    assert kept == answers  # every step of 2026.1's answers is still asked in 2026.2
    delegation.save_draft(vault.uow, person_id, case_id, kept, NEW.start, NEW, CATALOGUE,
                          restart=True)
    assert case_version(vault, case_id) == NEW.version
    context = delegation.wizard_context(vault.uow, person_id, CATALOGUE, case_id)
    assert (context.flow_version, context.current_step) == (NEW.version, "S1")
    assert context.answers == answers
    # From now on it is the newer flow's draft: the old one is refused in turn.
    with pytest.raises(ValidationError, match="started under flow 2026.2"):
        delegation.save_draft(vault.uow, person_id, case_id, answers, "S2", OLD, CATALOGUE)


@pytest.mark.hazard("H-018")
def test_the_decision_records_the_old_version_it_was_made_under(vault: VaultSession,
                                                                person_id: str) -> None:
    answers = delegated_answers(*add_insured_provider(vault.uow))
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S10", OLD, CATALOGUE)
    with pytest.raises(ValidationError, match="cannot be decided under flow 2026.2"):
        delegation.decide(vault.uow, case_id, answers, NEW, CATALOGUE, "A Nurse", TODAY)
    decision = delegation.decide(vault.uow, case_id, answers, OLD, CATALOGUE, "A Nurse", TODAY)
    assert decision.outcome == "DELEGATED_EXISTING_PACKAGE"
    assert decision.flow_version == OLD.version == case_version(vault, case_id)


@pytest.mark.hazard("H-002")
@pytest.mark.hazard("H-018")
def test_an_rn_only_task_is_not_delegated_under_the_old_flow(vault: VaultSession,
                                                             person_id: str) -> None:
    answers = delegated_answers(*add_insured_provider(vault.uow))
    answers["S1"]["task_code"] = RN_TASK
    case_id = delegation.save_draft(vault.uow, person_id, None, answers, "S3", OLD, CATALOGUE)
    decision = delegation.decide(vault.uow, case_id, answers, OLD, CATALOGUE, "A Nurse", TODAY)
    assert decision.outcome == "NOT_DELEGATED" and decision.flow_version == OLD.version
    with vault.uow.read() as s:
        assert s.scalar(select(func.count()).select_from(SupportPlan)) == 0
