"""Competence over time (issue 15, item 4): training with its backfill cost, assessments,
refreshers that supersede (history kept), "not yet competent" on the Reconsider list, the
backfill in the funding report, role refusals, bad input refused naming the field, and
migration 0007's downgrade of a superseded sign-off; on a real (cheap-key) vault.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import os
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select, text
from sqlalchemy.orm import Session

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.person import Person
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.services import people, registers
from desktop_app.services.core.errors import PermissionDenied, ValidationError
from desktop_app.services.providers import competence
from desktop_app.services.providers.competence import AssessmentInput, TrainingInput
from desktop_app.services.registers import ReconsiderKind
from desktop_app.services.reports import ReportQuery, funding_report
from desktop_app.services.vault import VaultSession
from tests.support import add_provider, as_role, person_values

TODAY = dt.date(2026, 11, 30)
D = dt.date
TASK = "eye_drops"  # delegable, level 1, refresher every 12 months
LEVEL_2_TASK = "insulin_prefilled_pen"
RN_TASK = "iv_drugs"
BACKFILL = "Release for training: backfill cost"


@pytest.fixture
def ids(vault: VaultSession) -> dict[str, Any]:
    """Two people in two teams, a provider with two workers, and a draft delegation."""
    first = people.create_person(vault.uow, people.PersonInput(**person_values(31))).id
    other = people.create_person(vault.uow, people.PersonInput(**person_values(
        32, given_name="Arthur", team="Rutland INT"))).id
    _, workers = add_provider(vault.uow)
    with vault.uow.begin() as s:
        case = DelegationCase(person_id=first, task_code=TASK, task_catalogue_version="2026.2",
                              referred_by="District nurse", flow_version="2026.2",
                              status="active", outcome_code="DELEGATED_EXISTING_PACKAGE",
                              decided_on=D(2026, 1, 10), started_on=D(2026, 1, 10))
        s.add(case)
        s.flush()
        case_id = case.id
    return {"person": first, "other": other, "worker": workers[0], "worker2": workers[1],
            "case": case_id}


FIRST_SIGN_OFF = D(2026, 1, 10)


def signed_off(vault: VaultSession, ids: dict[str, Any], on: dt.date = FIRST_SIGN_OFF) -> str:
    """The worker's sign-off as the wizard records it (on the delegation)."""
    with vault.uow.begin() as s:
        row = CompetencySignOff(worker_id=ids["worker"], person_id=ids["person"],
                                task_code=TASK, training_level=1, trainer_name="T Nurse",
                                assessor_name="A Nurse", signed_off_on=on,
                                refresher_due=D(on.year + 1, on.month, on.day),
                                delegation_case_id=ids["case"])
        s.add(row)
        s.flush()
        return row.id


def assessment(ids: dict[str, Any], **changes: Any) -> AssessmentInput:
    base = AssessmentInput(ids["worker"], ids["person"], TASK, D(2026, 11, 20),
                           "  Ann   Assessor ", "Skills for Care delegated tasks: eye drops",
                           "competent", trainer_name="Tom Trainer")
    return dataclasses.replace(base, **changes)


def not_yet(ids: dict[str, Any], **changes: Any) -> AssessmentInput:
    return assessment(ids, **{"outcome": "not_yet", "retrain_by": D(2027, 1, 15),
                              "support_planned": "Shadow two visits, retrain",
                              "supported_by": "Sam Nurse (district nurse)", **changes})


def training(ids: dict[str, Any], **changes: Any) -> TrainingInput:
    base = TrainingInput(ids["worker"], TASK, 1, D(2026, 11, 2), "Tom Trainer",
                         "Eye drops module v2", None, 450, 1234, "icb")
    return dataclasses.replace(base, **changes)


# ---------------------------------------------------------------- refresher and history


@pytest.mark.hazard("H-005")
@pytest.mark.hazard("H-031")
def test_a_refresher_supersedes_the_sign_off_and_keeps_its_history(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    old = signed_off(vault, ids)
    with vault.uow.read() as s:
        before = {c: getattr(s.get(CompetencySignOff, old), c) for c in (
            "signed_off_on", "refresher_due", "trainer_name", "assessor_name", "version")}
    done = competence.record_refresher(vault.uow, assessment(ids, refreshes_sign_off_id=old),
                                       TODAY)
    assert done.sign_off is not None and done.superseded_id == old
    new = done.sign_off
    assert (new.status, new.supersedes_id, new.delegation_case_id) == (
        SignOffStatus.CURRENT, old, ids["case"])
    assert (new.signed_off_on, new.refresher_due) == (D(2026, 11, 20), D(2027, 11, 20))
    assert (new.assessor_name, new.trainer_name) == ("Ann Assessor", "Tom Trainer")
    assert new.standard == "Skills for Care delegated tasks: eye drops"
    chain = competence.sign_off_chain(vault.uow, ids["worker"], ids["person"], TASK)
    assert [(r.id, r.status) for r in chain] == [(new.id, SignOffStatus.CURRENT),
                                                 (old, SignOffStatus.SUPERSEDED)]
    with vault.uow.read() as s:
        kept = s.get(CompetencySignOff, old)
        assert kept is not None and not kept.deleted
        assert {c: getattr(kept, c) for c in before if c != "version"} == {
            c: v for c, v in before.items() if c != "version"}  # only its status changed
    # The register lists the sign-off in force; the replaced one only when asked.
    assert [r.sign_off_id for r in registers.competency_register(vault.uow, TODAY)] == [new.id]
    every = registers.competency_register(vault.uow, TODAY, include_superseded=True)
    assert {r.sign_off_id: r.supersedes_id for r in every} == {old: None, new.id: old}
    with pytest.raises(ValidationError, match="replaced"):
        registers.withdraw_sign_off(vault.uow, old, "Not needed")
    # A second refresher supersedes the first refresher: a chain, nothing overwritten.
    again = competence.record_refresher(vault.uow, assessment(ids, assessed_on=TODAY), TODAY)
    assert again.superseded_id == new.id
    assert len(competence.sign_off_chain(vault.uow, ids["worker"], ids["person"], TASK)) == 3


def test_a_refresher_with_no_current_sign_off_is_refused_plainly(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    with pytest.raises(ValidationError, match="no current sign-off .* record an assessment") \
            as refused:
        competence.record_refresher(vault.uow, assessment(ids), TODAY)
    assert refused.value.field is None
    other = signed_off(vault, ids)  # for the first worker only: does not carry to another
    with pytest.raises(ValidationError, match="no current sign-off"):
        competence.record_refresher(vault.uow, assessment(ids, worker_id=ids["worker2"]), TODAY)
    registers.withdraw_sign_off(vault.uow, other, "Incident")
    with pytest.raises(ValidationError, match="no current sign-off"):
        competence.record_refresher(vault.uow, assessment(ids), TODAY)


def test_a_refresher_of_a_sign_off_replaced_meanwhile_is_refused(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    old = signed_off(vault, ids)
    competence.record_refresher(vault.uow, assessment(ids), TODAY)
    with pytest.raises(ValidationError, match="meanwhile"):
        competence.record_refresher(vault.uow, assessment(ids, refreshes_sign_off_id=old),
                                    TODAY)


def test_a_competent_assessment_with_no_sign_off_makes_the_first_and_follows_training(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    event = competence.record_training(vault.uow, training(
        ids, task_code=LEVEL_2_TASK, level=2, person_id=ids["person"]), TODAY)
    done = competence.record_assessment(vault.uow, assessment(
        ids, task_code=LEVEL_2_TASK, trainer_name=None, training_event_id=event.id), TODAY)
    assert done.sign_off is not None and done.superseded_id is None
    assert (done.sign_off.trainer_name, done.sign_off.training_level,
            done.sign_off.training_event_id, done.sign_off.delegation_case_id) == (
        "Tom Trainer", 2, event.id, None)


# ---------------------------------------------------------------- not yet, and Reconsider


@pytest.mark.hazard("H-023")
def test_not_yet_competent_is_on_the_reconsider_list_until_a_later_competent_assessment(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    old = signed_off(vault, ids)
    done = competence.record_assessment(vault.uow, not_yet(ids), TODAY)
    assert (done.sign_off, done.withdrawn_id, done.retrain_by) == (None, old, D(2027, 1, 15))
    with vault.uow.read() as s:
        withdrawn = s.get(CompetencySignOff, old)
        assert withdrawn is not None and withdrawn.status == "withdrawn"
        assert "not yet competent" in (withdrawn.withdrawn_reason or "")
    [row] = registers.reconsider_list(vault.uow, TODAY)
    assert (row.kind, row.record_id, row.case_id, row.person_id) == (
        ReconsiderKind.NOT_YET_COMPETENT, done.id, ids["case"], ids["person"])
    assert (row.reconsider_on, row.days_overdue) == (D(2027, 1, 15), -46)
    assert (row.worker_name, row.supported_by, row.support_planned) == (
        "Aisha Worker", "Sam Nurse (district nurse)", "Shadow two visits, retrain")
    assert row.why == "Not yet competent: Aisha Worker (Demo Homecare Ltd)"
    # A later "not yet" brings its own date instead; a later "competent" takes it off.
    competence.record_assessment(vault.uow, not_yet(ids, assessed_on=D(2026, 11, 25),
                                                    retrain_by=D(2027, 2, 1)), TODAY)
    assert [r.reconsider_on for r in registers.reconsider_list(vault.uow, TODAY)] == [
        D(2027, 2, 1)]
    competence.record_assessment(vault.uow, assessment(ids, assessed_on=TODAY), TODAY)
    assert registers.reconsider_list(vault.uow, TODAY) == []


@pytest.mark.hazard("H-023")
def test_every_not_delegated_case_with_a_date_is_on_the_reconsider_list_due_or_not(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    with vault.uow.begin() as s:
        for person, on in ((ids["person"], D(2027, 6, 1)), (ids["other"], D(2026, 11, 1))):
            s.add(DelegationCase(person_id=person, task_code=LEVEL_2_TASK,
                                 task_catalogue_version="2026.2", referred_by="GP",
                                 flow_version="2026.2", status="decided",
                                 outcome_code="NOT_DELEGATED", decided_on=D(2026, 10, 1),
                                 reconsider_on=on))
    competence.record_assessment(vault.uow, not_yet(ids, person_id=ids["other"]), TODAY)
    rows = registers.reconsider_list(vault.uow, TODAY)
    assert [(r.kind, r.person_name, r.reconsider_on, r.days_overdue) for r in rows] == [
        (ReconsiderKind.NOT_DELEGATED, "Arthur Testperson", D(2026, 11, 1), 29),
        (ReconsiderKind.NOT_YET_COMPETENT, "Arthur Testperson", D(2027, 1, 15), -46),
        (ReconsiderKind.NOT_DELEGATED, "Edith Testperson", D(2027, 6, 1), -183)]
    assert rows[0].why.startswith("Not delegated") and rows[0].case_id == rows[0].record_id
    # look_again_due (the older list) still shows only the passed or near ones
    assert [r.reconsider_on for r in registers.look_again_due(vault.uow, TODAY)] == [
        D(2026, 11, 1)]


def test_a_worker_who_left_is_no_longer_trained_assessed_or_listed(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    competence.record_assessment(vault.uow, not_yet(ids), TODAY)
    with vault.uow.begin() as s:
        worker = s.get(CareWorker, ids["worker"])
        assert worker is not None
        worker.active, worker.left_on = False, D(2026, 11, 25)
    assert registers.reconsider_list(vault.uow, TODAY) == []
    for act, data in ((competence.record_training, training(ids)),
                      (competence.record_assessment, assessment(ids))):
        with pytest.raises(ValidationError, match="left their provider on 25/11/2026") as no:
            act(vault.uow, data, TODAY)  # type: ignore[operator]
        assert no.value.field == "worker_id"


# ---------------------------------------------------------------- backfill in the funding report


def test_backfill_appears_in_the_funding_report_to_the_penny(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    # 50 minutes at £12.33 an hour is 1,027.5p: two of them are £20.55 (rounded once), not
    # £20.56 (rounded per event).
    for on in (D(2026, 10, 5), D(2026, 11, 2)):
        competence.record_training(vault.uow, training(ids, trained_on=on, backfill_minutes=50,
                                                       backfill_pence_per_hour=1233), TODAY)
    competence.record_training(vault.uow, training(  # level 2 for the other team's person
        ids, task_code=LEVEL_2_TASK, level=2, person_id=ids["other"], backfill_minutes=180,
        backfill_pence_per_hour=1500, backfill_payer="council"), TODAY)
    competence.record_training(vault.uow, training(ids, trained_on=D(2026, 9, 30)), TODAY)
    competence.record_training(vault.uow, training(  # no cover needed: no line
        ids, backfill_minutes=0, backfill_pence_per_hour=0, backfill_payer=None), TODAY)
    quarter = ReportQuery(D(2026, 10, 1), D(2026, 12, 31))
    section = next(s for s in funding_report(vault.uow, quarter, today=TODAY).sections
                   if s.title == BACKFILL)
    values = {row[0].text: [c.value for c in row[1:]] for row in section.rows}
    assert values == {"LLR ICB": [2, 1.67, 2055], "The council": [1, 3.0, 4500],
                      "The care provider": [0, 0.0, 0], "All payers": [3, 4.67, 6555]}
    assert [c.text for c in section.rows[-1]] == ["All payers", "3", "4.67", "£65.55"]
    # The Rutland team sees only its person's level 2 training (level 1 has no team).
    rutland = ReportQuery(D(2026, 10, 1), D(2026, 12, 31), "Rutland INT")
    section = next(s for s in funding_report(vault.uow, rutland, today=TODAY).sections
                   if s.title == BACKFILL)
    assert [c.value for c in section.rows[-1][1:]] == [1, 3.0, 4500]
    assert any("Level 1" in note for note in section.notes)


def test_backfill_hours_and_pence() -> None:
    assert competence.parse_hours("7.5", "h") == 450
    assert competence.parse_hours(" 1.33 ", "h") == 80  # 79.8 minutes, to the minute
    assert competence.parse_hours("", "h") == 0
    with pytest.raises(ValidationError) as bad:
        competence.parse_hours("7,5", "backfill_minutes")
    assert bad.value.field == "backfill_minutes"
    assert competence.backfill_pence(450, 1234) == 9255
    assert competence.backfill_pence(50, 1233) == 1028  # 1,027.5p, half up


# ---------------------------------------------------------------- who may, and bad input


@pytest.mark.hazard("H-026")
@pytest.mark.parametrize("role", ["social_care_practitioner", "read_only"])
def test_only_nurses_and_team_leads_record_competence(vault: VaultSession, ids: dict[str, Any],
                                                      role: str) -> None:
    signed_off(vault, ids)
    uow = as_role(vault, role)
    for act, data in ((competence.record_training, training(ids)),
                      (competence.record_assessment, assessment(ids)),
                      (competence.record_refresher, assessment(ids))):
        with pytest.raises(PermissionDenied, match="cannot change competency sign-offs"):
            act(uow, data, TODAY)  # type: ignore[operator]
    assert len(competence.sign_off_chain(vault.uow, ids["worker"], ids["person"], TASK)) == 1
    assert competence.training_events(vault.uow) == []
    done = competence.record_assessment(as_role(vault, "nurse"), assessment(ids), TODAY)
    assert done.superseded_id is not None


@pytest.mark.hazard("H-020")
@pytest.mark.parametrize(("changes", "field"), [
    ({"trained_on": D(2026, 12, 1)}, "trained_on"),
    ({"level": 2}, "person_id"),
    ({"level": 3}, "level"),
    ({"task_code": RN_TASK}, "task_code"),
    ({"task_code": "no_such_task"}, "task_code"),
    ({"trainer_name": "   "}, "trainer_name"),
    ({"materials": "x" * 201}, "materials"),
    ({"backfill_pence_per_hour": 0}, "backfill_pence_per_hour"),
    ({"backfill_minutes": 0}, "backfill_minutes"),
    ({"backfill_minutes": -5}, "backfill_minutes"),
    ({"backfill_payer": None}, "backfill_payer"),
    ({"backfill_payer": "person"}, "backfill_payer"),
    ({"worker_id": "no-such-worker"}, "worker_id"),
])
def test_bad_training_is_refused_naming_the_field(vault: VaultSession, ids: dict[str, Any],
                                                  changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        competence.record_training(vault.uow, training(ids, **changes), TODAY)
    assert refused.value.field == field
    assert competence.training_events(vault.uow) == []


@pytest.mark.hazard("H-005")
@pytest.mark.hazard("H-020")
@pytest.mark.parametrize(("changes", "field"), [
    ({"assessed_on": D(2026, 12, 1)}, "assessed_on"),
    ({"assessed_on": D(2025, 11, 1)}, "assessed_on"),  # its refresher has passed already
    ({"assessor_name": " "}, "assessor_name"),
    ({"standard": ""}, "standard"),
    ({"outcome": "maybe"}, "outcome"),
    ({"trainer_name": None}, "trainer_name"),
    ({"training_level": 5}, "training_level"),
    ({"training_event_id": "no-such-training"}, "training_event_id"),
    ({"person_id": "no-such-person"}, "person_id"),
    ({"task_code": RN_TASK}, "task_code"),
    ({"outcome": "not_yet"}, "support_planned"),
    ({"outcome": "not_yet", "support_planned": "Retrain"}, "retrain_by"),
    ({"outcome": "not_yet", "support_planned": "Retrain", "retrain_by": D(2026, 11, 20)},
     "retrain_by"),
    ({"outcome": "not_yet", "support_planned": "Retrain", "retrain_by": D(2028, 1, 1)},
     "retrain_by"),
    ({"outcome": "not_yet", "support_planned": "Retrain", "retrain_by": D(2027, 1, 1)},
     "supported_by"),
])
def test_bad_assessments_are_refused_naming_the_field(
        vault: VaultSession, ids: dict[str, Any], changes: dict[str, Any], field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        competence.record_assessment(vault.uow, assessment(ids, **changes), TODAY)
    assert refused.value.field == field
    assert competence.sign_off_chain(vault.uow, ids["worker"], ids["person"], TASK) == []


def test_an_assessment_before_the_current_sign_off_or_its_training_is_refused(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    signed_off(vault, ids, on=D(2026, 6, 1))
    with pytest.raises(ValidationError, match="cannot be dated before") as refused:
        competence.record_refresher(vault.uow, assessment(ids, assessed_on=D(2026, 5, 1)),
                                    TODAY)
    assert refused.value.field == "assessed_on"
    event = competence.record_training(vault.uow, training(ids, trained_on=D(2026, 11, 25)),
                                       TODAY)
    with pytest.raises(ValidationError, match="after the assessment") as refused:
        competence.record_assessment(vault.uow, assessment(ids, training_event_id=event.id),
                                     TODAY)
    assert refused.value.field == "assessed_on"
    other = competence.record_training(vault.uow, training(ids, worker_id=ids["worker2"]),
                                       TODAY)
    with pytest.raises(ValidationError) as refused:
        competence.record_assessment(vault.uow, assessment(ids, training_event_id=other.id),
                                     TODAY)
    assert refused.value.field == "training_event_id"


def test_typed_text_is_cleaned_and_level_1_training_names_no_person(
        vault: VaultSession, ids: dict[str, Any]) -> None:
    row = competence.record_training(vault.uow, training(
        ids, trainer_name="  Tom \n Trainer ", materials=" Eye drops\tv2 ",
        person_id=ids["person"]), TODAY)
    assert (row.trainer_name, row.materials, row.person_id, row.backfill_pence) == (
        "Tom Trainer", "Eye drops v2", None, 9255)
    assert (row.worker_name, row.provider_name, row.task_name) == (
        "Aisha Worker", "Demo Homecare Ltd", "Putting in eye drops or eye ointment")


# ---------------------------------------------------------------- migration 0007 down


def test_migration_0007_down_turns_a_superseded_sign_off_into_a_withdrawn_one(
        tmp_path: Path) -> None:
    from alembic import command

    from desktop_app.services.core.migrate import alembic_config, current_revision, upgrade_to
    from desktop_app.services.vault.database import encrypted_engine

    db_path = tmp_path / "v.db"
    engine = encrypted_engine(db_path, os.urandom(32), create=True)
    try:
        upgrade_to(engine, db_path)
        with Session(engine) as s:
            person = Person(**person_values(41))
            provider = CareProvider(name="Demo Homecare Ltd", phone="0116 000 0000",
                                    council="leicester_city", council_areas=["leicester_city"])
            s.add_all([person, provider])
            s.flush()
            worker = CareWorker(provider_id=provider.id, given_name="Aisha",
                                family_name="Worker", role_title="Care worker")
            s.add(worker)
            s.flush()
            common = {"worker_id": worker.id, "person_id": person.id, "task_code": TASK,
                      "training_level": 1, "trainer_name": "T", "assessor_name": "A"}
            old = CompetencySignOff(**common, signed_off_on=D(2025, 11, 1),
                                    refresher_due=D(2026, 11, 1), status="superseded")
            s.add(old)
            s.flush()
            s.add(CompetencySignOff(**common, signed_off_on=D(2026, 10, 1),
                                    refresher_due=D(2027, 10, 1), supersedes_id=old.id))
            s.commit()
        with engine.connect() as conn:
            conn.connection.dbapi_connection.execute(  # type: ignore[union-attr]
                "PRAGMA foreign_keys = OFF")
            cfg = alembic_config()
            cfg.attributes["connection"] = conn
            command.downgrade(cfg, "0006")
            conn.commit()
        assert current_revision(engine) == "0006"
        with engine.connect() as conn:
            rows = conn.execute(text("SELECT status, withdrawn_reason FROM competency_sign_off "
                                     "ORDER BY signed_off_on")).all()
            columns = {r[1] for r in conn.exec_driver_sql(
                "PRAGMA table_info(competency_sign_off)")}
        assert [tuple(r) for r in rows] == [
            ("withdrawn", "Replaced by a refresher or reassessment"), ("current", None)]
        assert "supersedes_id" not in columns
        upgrade_to(engine, db_path)
        with Session(engine) as s:
            assert [r.status for r in s.scalars(select(CompetencySignOff).order_by(
                CompetencySignOff.signed_off_on))] == ["withdrawn", "current"]
    finally:
        engine.dispose()


@pytest.mark.hazard("H-005")
def test_a_sign_off_recorded_again_through_the_wizard_supersedes_the_one_in_force(
        vault: VaultSession) -> None:
    """The wizard's S8 sign-off for a worker who already holds one for this person and task
    replaces it (kept, superseded): never two current sign-offs for the same work."""
    from desktop_app.services import delegation
    from desktop_app.services.framework.catalogue import load_catalogue
    from desktop_app.services.framework.flow import load_flow
    from tools.sample_case import build_case

    built = build_case(vault.uow)
    with vault.uow.read() as s:
        case = s.get(DelegationCase, built.case_id)
        assert case is not None
        answers, task = {k: dict(v) for k, v in case.answers.items()}, case.task_code
        first = {row.worker_id: row.id for row in s.scalars(select(CompetencySignOff).where(
            CompetencySignOff.delegation_case_id == built.case_id))}
    flow, catalogue = load_flow(), load_catalogue()
    again = delegation.save_draft(vault.uow, built.person_id, None, answers, "S10", flow,
                                  catalogue)
    delegation.decide(vault.uow, again, answers, flow, catalogue, "A Nurse",
                      dt.date.fromisoformat(str(answers["S10"]["met_on"])))
    with vault.uow.read() as s:
        rows = [(r.id, r.worker_id, r.status, r.supersedes_id, r.delegation_case_id)
                for r in s.scalars(select(CompetencySignOff).where(
                    CompetencySignOff.person_id == built.person_id,
                    CompetencySignOff.task_code == task))]
    assert len(rows) == 2 * len(first) and first
    for worker, old_id in first.items():
        mine = {row[0]: row for row in rows if row[1] == worker}
        [current] = [row for row in mine.values() if row[2] == SignOffStatus.CURRENT.value]
        assert current[3:] == (old_id, again)
        assert mine[old_id][2] == SignOffStatus.SUPERSEDED.value
