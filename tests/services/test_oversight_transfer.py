"""Clinical oversight moves with the person (framework §5; issue 16, item 3): when they are no
longer open to community health services, oversight of each running delegation transfers to
their GP practice with a new plan version naming it, the case is listed until the practice
accepts, and re-opening to community health services transfers it back.

Built through the services on a real vault (``tools/sample_case.py``: eye drops delegated
on 30 November 2026, care starting 1 December 2026, oversight with City South community
nursing; the person's practice is the Leicester Demo Medical Practice).
"""

from __future__ import annotations

import datetime as dt
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEventKind
from desktop_app.models.oversight import ClinicalOversight, OversightService
from desktop_app.models.person import Person
from desktop_app.models.plan import SupportPlan
from desktop_app.services import people
from desktop_app.services.core.errors import PermissionDenied, ValidationError
from desktop_app.services.delegation.history import case_timeline
from desktop_app.services.delegation.oversight import (
    current_oversight,
    oversight_awaiting_acceptance,
    oversight_to_transfer,
    record_oversight_accepted,
    transfer_oversight,
)
from desktop_app.services.delegation.plan import reissue_plan
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import load_plan_document
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tests.support import as_role, person_values
from tools.sample_case import BuiltCase, build_case

GP = OversightService.GP_PRACTICE
CHS = OversightService.COMMUNITY_HEALTH
PRACTICE = "Leicester Demo Medical Practice"
CHS_TEAM = "City South community nursing"
GP_IN, GP_OUT = "0116 496 0202", "0116 496 0303"
ON = dt.date(2026, 12, 7)
TODAY = dt.date(2026, 12, 10)


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


def to_gp(vault: VaultSession, case: BuiltCase, **changes: Any) -> Any:
    values: dict[str, Any] = {
        "case_ids": [case.case_id], "to": GP, "on": ON, "organisation_name": PRACTICE,
        "named_clinician": "Dr Demo", "phone_in_hours": GP_IN, "phone_out_of_hours": GP_OUT,
        "today": TODAY, **changes}
    return transfer_oversight(vault.uow, case.person_id, **values)


def plan_text(vault: VaultSession, version: int, person_id: str) -> str:
    with vault.uow.read() as s:
        plan_id = s.scalars(select(SupportPlan.id).where(
            SupportPlan.person_id == person_id, SupportPlan.version_number == version)).one()
    document = load_plan_document(vault.uow, plan_id, "Terry Teamlead",
                                  dt.datetime(2026, 12, 11, 9, 0, tzinfo=dt.UTC))
    return flat("\n".join(page_texts(render_support_plan(document))))


def test_the_running_delegations_under_community_health_are_listed_with_the_practice(
        vault: VaultSession, case: BuiltCase) -> None:
    rows = oversight_to_transfer(vault.uow, case.person_id, GP)
    assert [(r.case_id, r.task_name, r.current_kind, r.current_organisation,
             r.suggested_organisation) for r in rows] == [
        (case.case_id, "Putting in eye drops or eye ointment", CHS, CHS_TEAM, PRACTICE)]
    assert oversight_to_transfer(vault.uow, case.person_id, CHS) == []


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_a_transfer_writes_the_oversight_the_event_and_a_plan_version_naming_the_practice(
        vault: VaultSession, case: BuiltCase) -> None:
    result = to_gp(vault, case)
    assert result.plan_version == 2
    with vault.uow.read() as s:
        new = s.get(ClinicalOversight, result.oversight_ids[0])
        assert new is not None
        old = s.get(ClinicalOversight, new.transferred_from_id)
        assert old is not None and old.service_kind == CHS.value
        assert (new.service_kind, new.organisation_name, new.effective_from, new.accepted_on,
                new.phone_in_hours, new.phone_out_of_hours, new.proposed_automatically) == (
            GP.value, PRACTICE, ON, None, GP_IN, GP_OUT, False)
        assert current_oversight(s, case.case_id).id == new.id  # type: ignore[union-attr]
        assert current_oversight(s, case.case_id, ON - dt.timedelta(days=1)).id == old.id  # type: ignore[union-attr]
        plan = s.scalars(select(SupportPlan).where(SupportPlan.person_id == case.person_id,
                                                   SupportPlan.version_number == 2)).one()
        assert plan.summary == ("Clinical oversight of Putting in eye drops or eye ointment "
                                f"moves to {PRACTICE} (GP practice) from 07/12/2026.")
        assert plan.effective_from == ON
        assert [t.delegation_case_id for t in plan.tasks] == [case.case_id]  # carried
        person = s.get(Person, case.person_id)
        assert person is not None and person.open_to_community_health is False
    events = [e for e in case_timeline(vault.uow, case.case_id)
              if e.kind is CaseEventKind.OVERSIGHT_TRANSFERRED]
    assert len(events) == 1 and events[0].plan_version == 2
    assert events[0].detail["from_organisation"] == CHS_TEAM
    assert events[0].detail["to_organisation"] == PRACTICE
    assert events[0].detail["oversight_id"] == result.oversight_ids[0]
    assert oversight_to_transfer(vault.uow, case.person_id, GP) == []


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_the_new_version_prints_the_practice_and_the_older_one_still_community_health(
        vault: VaultSession, case: BuiltCase) -> None:
    to_gp(vault, case)
    new, old = plan_text(vault, 2, case.person_id), plan_text(vault, 1, case.person_id)
    assert GP_IN in new and GP_OUT in new and "Dr Demo" in new
    assert CHS_TEAM not in new and "0116 496 0101" not in new
    assert f"moves to {PRACTICE}" in new
    assert CHS_TEAM in old and "0116 496 0101" in old and "Sam Example RN" in old
    assert GP_IN not in old and "Dr Demo" not in old
    assert "SUPERSEDED" in old.upper()


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_the_transfer_waits_for_acceptance_and_leaves_the_list_once_accepted(
        vault: VaultSession, case: BuiltCase) -> None:
    oversight_id = to_gp(vault, case).oversight_ids[0]
    waiting = oversight_awaiting_acceptance(vault.uow, TODAY)
    assert [(w.oversight_id, w.case_id, w.person_name, w.organisation_name, w.service_kind,
             w.transferred_on, w.days_waiting) for w in waiting] == [
        (oversight_id, case.case_id, "Zoë Ní Bhriain", PRACTICE, GP, ON, 3)]
    assert waiting[0].nhs_number_display.startswith("999")

    with pytest.raises(ValidationError, match="not come yet") as future:
        record_oversight_accepted(vault.uow, oversight_id, TODAY + dt.timedelta(days=1), TODAY)
    assert future.value.field == "on"
    with pytest.raises(ValidationError, match="cannot have been accepted before") as early:
        record_oversight_accepted(vault.uow, oversight_id, ON - dt.timedelta(days=1), TODAY)
    assert early.value.field == "on"
    assert len(oversight_awaiting_acceptance(vault.uow, TODAY)) == 1

    record_oversight_accepted(vault.uow, oversight_id, dt.date(2026, 12, 9), TODAY)
    assert oversight_awaiting_acceptance(vault.uow, TODAY) == []
    with vault.uow.read() as s:
        row = s.get(ClinicalOversight, oversight_id)
        assert row is not None and row.accepted_on == dt.date(2026, 12, 9)
    accepted = [e for e in case_timeline(vault.uow, case.case_id)
                if e.kind is CaseEventKind.OVERSIGHT_ACCEPTED]
    assert [(e.occurred_on, e.detail["organisation"]) for e in accepted] == [
        (dt.date(2026, 12, 9), PRACTICE)]
    with pytest.raises(ValidationError, match="already accepted on 09/12/2026"):
        record_oversight_accepted(vault.uow, oversight_id, TODAY, TODAY)


def test_a_decisions_own_oversight_is_never_awaiting_acceptance(
        vault: VaultSession, case: BuiltCase) -> None:
    assert oversight_awaiting_acceptance(vault.uow, TODAY) == []
    with vault.uow.read() as s:
        first = current_oversight(s, case.case_id)
        # Agreed at the MDT: in effect and accepted from the decision.
        assert first is not None and first.transferred_from_id is None
        assert first.effective_from == first.accepted_on == dt.date(2026, 11, 30)
        first_id = first.id
    with pytest.raises(ValidationError, match="not a transfer"):
        record_oversight_accepted(vault.uow, first_id, TODAY, TODAY)


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
@pytest.mark.parametrize(("changes", "field", "words"), [
    ({"organisation_name": "  "}, "organisation_name", "Name the organisation"),
    ({"phone_in_hours": ""}, "phone_in_hours", "in-hours phone number"),
    ({"phone_out_of_hours": None}, "phone_out_of_hours", "out-of-hours phone number"),
    ({"phone_in_hours": "0" * 33}, "phone_in_hours", "32 characters or fewer"),
    ({"on": None}, "on", "Give the date"),
    ({"on": TODAY + dt.timedelta(days=1)}, "on", "has not come yet"),
    ({"on": dt.date(2026, 11, 29)}, "on", "decided on 30/11/2026"),
    ({"case_ids": []}, "case_ids", "Tick at least one delegation"),
    ({"case_ids": ["no-such-case"]}, "case_ids", "not this person's"),
])
def test_a_transfer_is_refused_in_plain_words_and_nothing_is_written(
        vault: VaultSession, case: BuiltCase, changes: dict[str, Any], field: str,
        words: str) -> None:
    with pytest.raises(ValidationError, match=words) as refused:
        to_gp(vault, case, **changes)
    assert refused.value.field == field
    with vault.uow.read() as s:
        assert len(s.scalars(select(ClinicalOversight)).all()) == 1
        assert len(s.scalars(select(SupportPlan)).all()) == 1


def test_a_transfer_cannot_predate_the_newest_plan_version_or_repeat(
        vault: VaultSession, case: BuiltCase) -> None:
    """An issued version never changes what it prints: a transfer dated before the newest
    version would change the oversight that version names."""
    with vault.uow.begin() as s:
        assert reissue_plan(s, case.person_id, dt.date(2026, 12, 5), "A Nurse", "Reissued") == 2
    with pytest.raises(ValidationError, match="newest support plan version takes effect on "
                                              "05/12/2026") as early:
        to_gp(vault, case, on=dt.date(2026, 12, 4))
    assert early.value.field == "on"
    to_gp(vault, case)
    with pytest.raises(ValidationError, match="already with GP practice") as again:
        to_gp(vault, case)
    assert again.value.field == "case_ids"
    with pytest.raises(ValidationError, match="last moved on 07/12/2026") as back:
        to_gp(vault, case, to=CHS, on=dt.date(2026, 12, 2), organisation_name=CHS_TEAM)
    assert back.value.field == "on"


def test_an_ended_delegation_or_another_persons_is_not_transferred(
        vault: VaultSession, case: BuiltCase) -> None:
    other = people.create_person(vault.uow, people.PersonInput(**person_values(41)))
    with pytest.raises(ValidationError, match="not this person's"):
        transfer_oversight(vault.uow, other.id, [case.case_id], GP, ON, PRACTICE, None, GP_IN,
                           GP_OUT, TODAY)
    with vault.uow.begin() as s:
        row = s.get(DelegationCase, case.case_id)
        assert row is not None
        row.status = "withdrawn"
    assert oversight_to_transfer(vault.uow, case.person_id, GP) == []
    with pytest.raises(ValidationError, match="has ended"):
        to_gp(vault, case)


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_reopening_to_community_health_transfers_it_back(
        vault: VaultSession, case: BuiltCase) -> None:
    to_gp(vault, case)
    rows = oversight_to_transfer(vault.uow, case.person_id, CHS)
    assert [(r.current_kind, r.current_organisation, r.suggested_organisation,
             r.suggested_clinician, r.suggested_phone_in_hours,
             r.suggested_phone_out_of_hours) for r in rows] == [
        (GP, PRACTICE, CHS_TEAM, "Sam Example RN", "0116 496 0101", "0116 496 0999")]
    row = rows[0]
    back = transfer_oversight(vault.uow, case.person_id, [row.case_id], CHS, TODAY,
                              row.suggested_organisation, row.suggested_clinician,
                              row.suggested_phone_in_hours, row.suggested_phone_out_of_hours,
                              TODAY)
    assert back.plan_version == 3
    with vault.uow.read() as s:
        person = s.get(Person, case.person_id)
        assert person is not None and person.open_to_community_health is True
        now = current_oversight(s, case.case_id)
        assert now is not None and (now.service_kind, now.id) == (CHS.value,
                                                                  back.oversight_ids[0])
    # Only the newest transfer waits: the practice's, never accepted, is replaced.
    assert [(w.oversight_id, w.organisation_name) for w in
            oversight_awaiting_acceptance(vault.uow, TODAY)] == [
        (back.oversight_ids[0], CHS_TEAM)]
    text = plan_text(vault, 3, case.person_id)
    assert CHS_TEAM in text and GP_IN not in text


def test_a_person_already_saved_as_no_longer_open_is_left_as_saved(
        vault: VaultSession, case: BuiltCase) -> None:
    """The usual way: the person record is saved first, then the transfer confirmed; the
    transfer does not write the person again."""
    with vault.uow.begin() as s:
        person = s.get(Person, case.person_id)
        assert person is not None
        person.open_to_community_health = False
    with vault.uow.read() as s:
        saved = s.get(Person, case.person_id)
        assert saved is not None
        version = saved.version
    to_gp(vault, case)
    with vault.uow.read() as s:
        person = s.get(Person, case.person_id)
        assert person is not None
        assert (person.open_to_community_health, person.version) == (False, version)


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_a_read_only_user_can_neither_transfer_nor_record_acceptance(
        vault: VaultSession, case: BuiltCase) -> None:
    read_only = as_role(vault, "read_only")
    with pytest.raises(PermissionDenied, match="cannot record delegations"):
        transfer_oversight(read_only, case.person_id, [case.case_id], GP, ON, PRACTICE, None,
                           GP_IN, GP_OUT, TODAY)
    oversight_id = to_gp(vault, case).oversight_ids[0]
    with pytest.raises(PermissionDenied):
        record_oversight_accepted(read_only, oversight_id, TODAY, TODAY)
    assert len(oversight_awaiting_acceptance(read_only, TODAY)) == 1  # reading is allowed


@pytest.mark.hazard("H-022")
@pytest.mark.hazard("H-042")
def test_a_first_version_dated_before_its_oversight_row_still_prints_that_oversight(
        vault: VaultSession, case: BuiltCase) -> None:
    """Migration 0009 dates a decision's oversight from the care's start (1 December), a day
    after the first version (30 November): that version still names it, never "none"."""
    with vault.uow.begin() as s:
        row = s.scalars(select(ClinicalOversight)).one()
        row.effective_from = row.accepted_on = dt.date(2026, 12, 1)
    text = plan_text(vault, 1, case.person_id)
    assert CHS_TEAM in text and "No clinical oversight is recorded" not in text


@pytest.mark.hazard("H-042")
@pytest.mark.hazard("H-009")
def test_a_transfer_dated_the_day_of_an_issued_version_leaves_that_version_as_printed(
        vault: VaultSession, case: BuiltCase) -> None:
    """A version issued on the 10th (any change), then oversight moved on the 10th: the
    version issued before the move still prints community health services; the move's own
    version prints the practice."""
    with vault.uow.begin() as s:
        assert reissue_plan(s, case.person_id, TODAY, "A Nurse", "Reissued") == 2
    def oversight(version: int) -> str:
        text = plan_text(vault, version, case.person_id)
        section = text.split("4. Clinical oversight")[1].split("5. If something")[0]
        return section.split("OFFICIAL-SENSITIVE")[0].strip()  # not a page foot's marks

    before = oversight(2)
    assert to_gp(vault, case, on=TODAY).plan_version == 3
    assert oversight(2) == before
    assert CHS_TEAM in before and PRACTICE not in before
    assert PRACTICE in oversight(3) and CHS_TEAM not in oversight(3)
