"""The framework's principles as a person's records (issue 18 points 1, 3, 4, 5, 7).

What matters to the person, signposting (Make Every Contact Count) and its list of services,
partners' assessments (trusted assessment) and Care Act eligibility screens, each through
the services a screen calls, on a private cheap-key vault with synthetic data. Each record
round-trips as typed (O'Brien & Sons, <b>, Zoë), every bad input is refused naming its
field and writing nothing, governance (read-only) reads but changes nothing, and each new
record is audited under the signed-in user and queued for the central store. A partner's
assessment or an eligibility screen recorded by mistake is removed with its reason (kept on
the removed row, synced as a deletion): the wizard's context no longer offers it, and a
delegation that reused it keeps it as it was decided.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from sqlalchemy import select

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.outbox import OutboxEntry, OutboxPayload
from desktop_app.models.person_centred import (
    AssessmentReuse,
    EligibilityScreen,
    PartnerAssessment,
    Signposting,
    SignpostingService,
    WhatMatters,
    what_matters_id,
)
from desktop_app.models.review import Review
from desktop_app.services import people
from desktop_app.services.core.errors import NotFound, PermissionDenied, ValidationError
from desktop_app.services.delegation import wizard_context
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.eligibility import EligibilityStatus
from desktop_app.services.framework.person_centred import shipped_services
from desktop_app.services.people import person_centred as pc
from desktop_app.services.people.person_centred import (
    AssessmentInput,
    EligibilityInput,
    SignpostingInput,
    WhatMattersInput,
)
from desktop_app.services.people.record import load_record
from desktop_app.services.plans import read_blocks
from desktop_app.services.vault import VaultSession
from tests.support import USER_NAME, as_role, person_values
from tools.sample_case import build_case

TODAY = dt.date(2027, 2, 10)
BORN = dt.date(1938, 5, 17)  # person_values' date of birth
AWKWARD = "O'Brien & Sons <b>bold</b> Zoë"
SOMEONE = "A Nurse"
CATALOGUE = load_catalogue()


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(11))).id


def words(**overrides: Any) -> WhatMattersInput:
    values: dict[str, Any] = {
        "own_words": "I want to stay in my own home.\nAnd see my garden.",
        "strengths": "Walks to the shop with a frame", "self_care": "Washes and dresses herself",
        "took_part": (("person", ""), ("family", "Mary (daughter)"))}
    values.update(overrides)
    return WhatMattersInput(**values)


def signpost(**overrides: Any) -> SignpostingInput:
    values: dict[str, Any] = {"given_on": dt.date(2027, 2, 1), "occasion": "visit",
                              "for_whom": "carer", "action": "referred",
                              "service": "Carers' support and carer's assessment",
                              "note": "Daughter is worn out"}
    values.update(overrides)
    return SignpostingInput(**values)


def assessment(**overrides: Any) -> AssessmentInput:
    values: dict[str, Any] = {"kind": "care_act_needs", "organisation": "Leicester City Council",
                              "assessor": "S Worker", "assessed_on": dt.date(2026, 10, 5),
                              "summary": "Needs help with medicines"}
    values.update(overrides)
    return AssessmentInput(**values)


ELIGIBLE_ANSWERS: dict[str, Any] = {
    "needs_from_impairment": True, "significant_impact": True,
    "unable": {"nutrition": ["needs_assistance"],
               "home_safely": ["endangers_health_or_safety", "needs_assistance"]}}


def screen(**overrides: Any) -> EligibilityInput:
    values: dict[str, Any] = {"screened_on": dt.date(2027, 2, 3), **ELIGIBLE_ANSWERS,
                              "decision": "eligible",
                              "decision_reason": "Agree: two outcomes, clear impact"}
    values.update(overrides)
    return EligibilityInput(**values)


def count(vault: VaultSession, model: Any) -> int:
    """Rows of ``model`` as stored, tombstones included."""
    with vault.uow.read() as s:
        return len(s.scalars(select(model)).all())


def audit_rows(vault: VaultSession, entity_id: str) -> list[dict[str, Any]]:
    with vault.engine.connect() as conn:
        result = conn.exec_driver_sql(
            "SELECT entity_type, action, user_id, device_id FROM audit_event "
            "WHERE entity_id = ? ORDER BY seq", (entity_id,))
        return [dict(r._mapping) for r in result]


def outbox_rows(vault: VaultSession, entity_id: str) -> list[Any]:
    table, content = OutboxEntry.__table__, OutboxPayload.__table__
    with vault.engine.connect() as conn:
        return list(conn.execute(
            select(table.c.entity_type, table.c.operation, content.c.payload)
            .join(content, content.c.seq == table.c.seq)
            .where(table.c.entity_id == entity_id).order_by(table.c.seq)))


# ---------------------------------------------------------------- what matters


def test_what_matters_round_trips_as_typed(vault: VaultSession, person_id: str) -> None:
    assert pc.what_matters(vault.uow, person_id) is None
    typed = words(own_words=f"  {AWKWARD}\nI like my cat.  ", strengths=AWKWARD,
                  took_part=(("person", ""), ("family", "  Siobhán   O'Brien "), ("", "")))
    saved = pc.save_what_matters(vault.uow, person_id, typed, USER_NAME, 0, TODAY)
    shown = pc.what_matters(vault.uow, person_id)
    assert shown == saved and shown is not None
    assert shown.own_words == f"{AWKWARD}\nI like my cat."  # only the ends trimmed
    assert (shown.strengths, shown.self_care) == (AWKWARD, "Washes and dresses herself")
    assert shown.took_part == (("person", ""), ("family", "Siobhán O'Brien"))
    assert shown.took_part_words == "The person; Family (Siobhán O'Brien)"
    assert (shown.recorded_on, shown.recorded_by, shown.version) == (TODAY, USER_NAME, 1)
    assert shown.as_input() == WhatMattersInput(shown.own_words, AWKWARD, shown.self_care,
                                                shown.took_part)
    assert load_record(vault.uow, person_id).what_matters == shown


def test_an_edit_saves_a_new_version_and_an_unchanged_save_writes_nothing(
        vault: VaultSession, person_id: str) -> None:
    first = pc.save_what_matters(vault.uow, person_id, words(), SOMEONE, 0, TODAY)
    assert first is not None
    later = TODAY + dt.timedelta(days=3)
    same = pc.save_what_matters(vault.uow, person_id, first.as_input(), USER_NAME, 1, later)
    assert same == first  # no new version, the day and the author kept
    assert len(outbox_rows(vault, what_matters_id(person_id))) == 1
    edited = pc.save_what_matters(vault.uow, person_id, words(strengths="Reads the paper"),
                                  USER_NAME, 1, later)
    assert edited is not None
    assert (edited.strengths, edited.version, edited.recorded_on, edited.recorded_by) == (
        "Reads the paper", 2, later, USER_NAME)
    assert count(vault, WhatMatters) == 1  # one row per person


@pytest.mark.hazard("H-017")
def test_an_edit_opened_before_the_decision_saved_is_refused(
        vault: VaultSession, person_id: str) -> None:
    pc.save_what_matters(vault.uow, person_id, words(), USER_NAME, 0, TODAY)
    with vault.uow.begin() as session:  # a delegation's decision saves it meanwhile
        pc.write_what_matters(session, person_id, pc.check_what_matters(
            words(own_words="Said at the MDT")), SOMEONE, TODAY)
    with pytest.raises(ValidationError, match="saved again since you opened it"):
        pc.save_what_matters(vault.uow, person_id, words(own_words="Typed on the record"),
                             USER_NAME, 1, TODAY)
    shown = pc.what_matters(vault.uow, person_id)
    assert shown is not None and (shown.own_words, shown.version) == ("Said at the MDT", 2)
    # Nothing was on file when the form opened, but the decision saved one since.
    other = people.create_person(vault.uow, people.PersonInput(**person_values(12))).id
    with vault.uow.begin() as session:
        pc.write_what_matters(session, other, pc.check_what_matters(words()), SOMEONE, TODAY)
    with pytest.raises(ValidationError, match="saved again"):
        pc.save_what_matters(vault.uow, other, words(strengths="x"), USER_NAME, 0, TODAY)


def test_nothing_typed_and_nothing_on_file_writes_nothing(vault: VaultSession,
                                                          person_id: str) -> None:
    blank = WhatMattersInput("  ", "", None, (("", " "),))
    assert pc.check_what_matters(blank) == {"own_words": None, "strengths": None,
                                            "self_care": None, "took_part": []}
    assert pc.save_what_matters(vault.uow, person_id, blank, USER_NAME, 0, TODAY) is None
    assert count(vault, WhatMatters) == 0
    # Who took part alone (no words yet) is kept.
    only = pc.save_what_matters(vault.uow, person_id, WhatMattersInput(
        took_part=(("advocate", "POhWER"),)), USER_NAME, 0, TODAY)
    assert only is not None and only.took_part == (("advocate", "POhWER"),)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"took_part": ()}, "took_part", "Say who took part in the conversation"),
    ({"own_words": None, "strengths": None, "took_part": ()}, "took_part", "Say who took part"),
    ({"took_part": (("neighbour", "Bob"),)}, "took_part", "choose who they are"),
    ({"took_part": (("", "Bob"),)}, "took_part", "choose who they are"),
    ({"took_part": (("family", "Mary"), ("family", " mary "))}, "took_part", "listed twice"),
    ({"took_part": (("carer", "x" * 201),)}, "took_part", "under 200 characters"),
    ({"own_words": "x" * 4001}, "own_words", "under 4,000 characters"),
    ({"strengths": "x" * 4001}, "strengths", "under 4,000"),
    ({"self_care": "x" * 4001}, "self_care", "under 4,000"),
])
def test_bad_what_matters_is_refused_naming_the_field(
        vault: VaultSession, person_id: str, overrides: dict[str, Any], field: str,
        message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        pc.save_what_matters(vault.uow, person_id, words(**overrides), USER_NAME, 0, TODAY)
    assert refused.value.field == field
    assert count(vault, WhatMatters) == 0


def test_the_longest_allowed_texts_are_kept(vault: VaultSession, person_id: str) -> None:
    saved = pc.save_what_matters(vault.uow, person_id, words(
        own_words="y" * 4000, took_part=(("carer", "z" * 200),)), USER_NAME, 0, TODAY)
    assert saved is not None and len(saved.own_words or "") == 4000


# ---------------------------------------------------------------- signposting


def test_signposting_round_trips_newest_first_with_labels(vault: VaultSession,
                                                          person_id: str) -> None:
    older = pc.record_signposting(vault.uow, person_id, signpost(
        given_on=dt.date(2027, 1, 5), service=f"  {AWKWARD}  ", note=f" {AWKWARD}\nline 2 "),
        USER_NAME, TODAY)
    newer = pc.record_signposting(vault.uow, person_id, signpost(
        occasion="phone_call", for_whom="person", action="signposted", note=None),
        SOMEONE, TODAY)
    rows = pc.signposting_for(vault.uow, person_id)
    assert [r.id for r in rows] == [newer, older]
    first, second = rows
    assert (first.occasion_label, first.for_whom_label, first.action_label, first.note,
            first.recorded_by) == ("Phone call", "The person", "Signposted", "", SOMEONE)
    assert (second.service, second.note) == (AWKWARD, f"{AWKWARD}\nline 2")
    assert (second.occasion_label, second.for_whom_label, second.action_label) == (
        "Visit", "Their carer", "Referred")
    assert load_record(vault.uow, person_id).signposting == rows


def test_signposting_at_a_review_names_the_review(vault: VaultSession, person_id: str) -> None:
    review_id = _review(vault, person_id)
    done = pc.record_signposting(vault.uow, person_id, signpost(
        occasion="review", review_id=review_id), USER_NAME, TODAY)
    [row] = pc.signposting_for(vault.uow, person_id)
    assert (row.id, row.review_id, row.occasion_label) == (done, review_id, "Review")


def _case(vault: VaultSession, person_id: str) -> str:
    with vault.uow.begin() as session:
        case = DelegationCase(person_id=person_id, task_code="EYE_DROPS",
                              task_catalogue_version="2026.1", referred_by="District nurse",
                              flow_version="2026.1", status="active")
        session.add(case)
        session.flush()
        return case.id


def _review(vault: VaultSession, person_id: str) -> str:
    case_id = _case(vault, person_id)
    with vault.uow.begin() as session:
        review = Review(delegation_case_id=case_id, person_id=person_id,
                        due_on=dt.date(2027, 2, 1), kind="three_month")
        session.add(review)
        session.flush()
        return review.id


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"given_on": None}, "given_on", "Enter the date it was given"),
    ({"given_on": TODAY + dt.timedelta(days=1)}, "given_on", "has not come yet"),
    ({"given_on": BORN - dt.timedelta(days=1)}, "given_on", "before the person was born"),
    ({"occasion": ""}, "occasion", "Choose when it was given"),
    ({"occasion": "pub"}, "occasion", "Choose when it was given"),
    ({"review_id": "a-review"}, "occasion", "at a review"),
    ({"for_whom": "neighbour"}, "for_whom", "the person or their carer"),
    ({"action": "phoned"}, "action", "signposted or referred"),
    ({"service": "   "}, "service", "Choose a service from the list, or type its name"),
    ({"service": "s" * 201}, "service", "under 200"),
    ({"note": "n" * 4001}, "note", "under 4,000"),
])
def test_bad_signposting_is_refused_naming_the_field(
        vault: VaultSession, person_id: str, overrides: dict[str, Any], field: str,
        message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        pc.record_signposting(vault.uow, person_id, signpost(**overrides), USER_NAME, TODAY)
    assert refused.value.field == field
    assert count(vault, Signposting) == 0


@pytest.mark.hazard("H-015")
def test_signposting_at_another_persons_review_is_refused(vault: VaultSession,
                                                          person_id: str) -> None:
    other = people.create_person(vault.uow, people.PersonInput(**person_values(13))).id
    theirs = _review(vault, other)
    for review_id in (theirs, "no-such-review"):
        with pytest.raises(ValidationError, match="not one of this person's") as refused:
            pc.record_signposting(vault.uow, person_id, signpost(
                occasion="review", review_id=review_id), USER_NAME, TODAY)
        assert refused.value.field == "review_id"
    assert count(vault, Signposting) == 0


def test_a_signposting_recorded_by_mistake_is_removed_as_a_tombstone(
        vault: VaultSession, person_id: str) -> None:
    kept = pc.record_signposting(vault.uow, person_id, signpost(), USER_NAME, TODAY)
    gone = pc.record_signposting(vault.uow, person_id, signpost(service="Wrong one"),
                                 USER_NAME, TODAY)
    pc.remove_signposting(vault.uow, gone)
    assert [r.id for r in pc.signposting_for(vault.uow, person_id)] == [kept]
    with vault.uow.read() as s:
        row = s.get_one(Signposting, gone)
        assert row.deleted is True and row.service == "Wrong one"  # the row stays
    assert [r.operation for r in outbox_rows(vault, gone)] == ["upsert", "delete"]
    with pytest.raises(NotFound):
        pc.remove_signposting(vault.uow, gone)


def test_the_service_list_is_the_shipped_one_then_the_teams_alphabetically(
        vault: VaultSession) -> None:
    shipped = [s.name for s in shipped_services()]
    zoe = pc.add_signposting_service(vault.uow, "  Zoë's   Friends ", AWKWARD, USER_NAME)
    pc.add_signposting_service(vault.uow, "Ashby Carers' Café", None, USER_NAME)
    pc.add_signposting_service(vault.uow, "Évora walking group", None, USER_NAME)
    options = pc.signposting_services(as_role(vault, "read_only"))
    assert [o.name for o in options] == [*shipped, "Ashby Carers' Café", "Évora walking group",
                                         "Zoë's Friends"]
    assert not any(o.added for o in options[:len(shipped)])
    assert all(o.added and o.for_whom == "both" for o in options[len(shipped):])
    assert options[-1].description == AWKWARD
    assert [r.entity_type for r in outbox_rows(vault, zoe)] == ["signposting_service"]


@pytest.mark.parametrize("name", ["falls  PREVENTION service", " ashby carers' café "])
def test_a_service_already_on_the_list_is_refused(vault: VaultSession, name: str) -> None:
    pc.add_signposting_service(vault.uow, "Ashby Carers' Café", None, USER_NAME)
    with pytest.raises(ValidationError, match="already on the list") as refused:
        pc.add_signposting_service(vault.uow, name, None, USER_NAME)
    assert refused.value.field == "name"
    assert count(vault, SignpostingService) == 1


@pytest.mark.parametrize(("name", "description", "field"), [
    ("  ", None, "name"), ("n" * 201, None, "name"), ("Fine", "d" * 4001, "description")])
def test_a_bad_service_is_refused_naming_the_field(vault: VaultSession, name: str,
                                                   description: str | None, field: str) -> None:
    with pytest.raises(ValidationError) as refused:
        pc.add_signposting_service(vault.uow, name, description, USER_NAME)
    assert refused.value.field == field


@pytest.mark.hazard("H-026")
@pytest.mark.parametrize("role", ["nurse", "social_care_practitioner", "read_only"])
def test_only_a_team_lead_adds_to_the_service_list(vault: VaultSession, role: str) -> None:
    with pytest.raises(PermissionDenied, match="add services to the signposting list"):
        pc.add_signposting_service(as_role(vault, role), "Local group", None, USER_NAME)
    assert count(vault, SignpostingService) == 0


def test_the_same_service_added_on_two_laptops_is_listed_once(vault: VaultSession) -> None:
    with vault.uow.begin() as session:  # as two syncs bring it
        for name in ("Melton Men's Shed", "melton  men's shed"):
            session.add(SignpostingService(name=name, added_by_name=SOMEONE, active=True))
    names = [o.name for o in pc.signposting_services(vault.uow)]
    assert sum(n.casefold().split() == ["melton", "men's", "shed"] for n in names) == 1


# ---------------------------------------------------------------- partners' assessments


def test_an_assessment_round_trips_with_its_age_and_reuse(vault: VaultSession,
                                                          person_id: str) -> None:
    old = pc.record_assessment(vault.uow, person_id, assessment(
        kind="chc_checklist", organisation=f" {AWKWARD} ", assessor="Zoë  Ní Bhriain",
        assessed_on=dt.date(2025, 12, 1), summary=f"{AWKWARD}\n"), USER_NAME, TODAY)
    new = pc.record_assessment(vault.uow, person_id, assessment(summary=None), SOMEONE, TODAY)
    case_ids = [_case(vault, person_id) for _ in range(3)]
    with vault.uow.begin() as session:
        reuses = [AssessmentReuse(assessment_id=old, delegation_case_id=c, step="S2",
                                  reused_on=TODAY, age_days=436) for c in case_ids]
        session.add_all(reuses)
        session.flush()
        reuses[2].deleted = True  # a reuse taken back does not count
    rows = pc.assessments_for(vault.uow, person_id, TODAY)
    assert [r.id for r in rows] == [new, old]
    latest, earlier = rows
    assert (latest.kind_label, latest.organisation, latest.assessor, latest.summary,
            latest.recorded_by) == ("Care Act needs assessment", "Leicester City Council",
                                    "S Worker", "", SOMEONE)
    assert (latest.age_words, latest.stale, latest.times_reused) == ("4 months old", False, 0)
    assert (earlier.kind_label, earlier.organisation, earlier.assessor, earlier.summary) == (
        "NHS Continuing Healthcare Checklist", AWKWARD, "Zoë Ní Bhriain", AWKWARD)
    assert (earlier.age_words, earlier.stale, earlier.times_reused) == (
        "over a year old (1 year 2 months)", True, 2)
    assert [a.id for a in load_record(vault.uow, person_id).assessments] == [new, old]


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"kind": "hunch"}, "kind", "what kind of assessment"),
    ({"organisation": " "}, "organisation", "which organisation"),
    ({"organisation": "o" * 201}, "organisation", "under 200"),
    ({"assessor": ""}, "assessor", "who made the assessment"),
    ({"assessor": "a" * 201}, "assessor", "under 200"),
    ({"assessed_on": None}, "assessed_on", "Enter the date of the assessment"),
    ({"assessed_on": TODAY + dt.timedelta(days=1)}, "assessed_on", "has not come yet"),
    ({"assessed_on": dt.date(1930, 1, 1)}, "assessed_on", "before the person was born"),
    ({"summary": "s" * 4001}, "summary", "under 4,000"),
])
def test_a_bad_assessment_is_refused_naming_the_field(
        vault: VaultSession, person_id: str, overrides: dict[str, Any], field: str,
        message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        pc.record_assessment(vault.uow, person_id, assessment(**overrides), USER_NAME, TODAY)
    assert refused.value.field == field
    assert count(vault, PartnerAssessment) == 0


# ---------------------------------------------------------------- Care Act eligibility


def test_the_suggestion_follows_the_answers() -> None:
    assert pc.eligibility_suggestion(screen()).status is EligibilityStatus.LIKELY_ELIGIBLE
    one = screen(unable={"nutrition": ["needs_assistance"], "toilet_needs": []})
    assert pc.eligibility_suggestion(one).status is EligibilityStatus.LIKELY_NOT_ELIGIBLE
    assert pc.eligibility_suggestion(screen(significant_impact=None)).status \
        is EligibilityStatus.INCOMPLETE


@pytest.mark.parametrize("unable", [
    {"flying": ["needs_assistance"]}, {"nutrition": ["needs_a_hand"]},
    {"nutrition": "needs_assistance"}])
def test_an_unknown_outcome_or_reason_is_refused_naming_unable(
        vault: VaultSession, person_id: str, unable: dict[str, Any]) -> None:
    for call in (lambda: pc.eligibility_suggestion(screen(unable=unable)),
                 lambda: pc.record_eligibility(vault.uow, person_id, screen(unable=unable),
                                               USER_NAME, TODAY)):
        with pytest.raises(ValidationError, match="not one of the Care Act's") as refused:
            call()
        assert refused.value.field == "unable"
    assert count(vault, EligibilityScreen) == 0


def test_a_screen_keeps_the_answers_the_suggestion_and_the_decision(
        vault: VaultSession, person_id: str) -> None:
    screen_id = pc.record_eligibility(vault.uow, person_id, screen(
        decision_reason=f" {AWKWARD} "), USER_NAME, TODAY)
    with vault.uow.read() as s:
        stored = s.get_one(EligibilityScreen, screen_id)
        assert stored.unable == {"nutrition": ["needs_assistance"],  # the Act's order
                                 "home_safely": ["needs_assistance",
                                                 "endangers_health_or_safety"]}
        assert (stored.suggestion, stored.decision) == ("likely_eligible", "eligible")
    [row] = pc.eligibility_screens(vault.uow, person_id)
    assert (row.id, row.screened_on, row.decision_reason, row.decided_by) == (
        screen_id, dt.date(2027, 2, 3), AWKWARD, USER_NAME)
    assert (row.suggestion_label, row.decision_label, row.differs) == (
        "Likely eligible", "Eligible for care and support", False)
    assert row.outcomes_unable == ("Managing and maintaining nutrition",
                                   "Being able to make use of the home safely")
    assert row.suggestion_reasons[1] == ("Unable to achieve 2 of the 10 outcomes (2 or more "
                                         "are needed).")
    assert load_record(vault.uow, person_id).eligibility == (row,)


@pytest.mark.hazard("H-045")
def test_a_decision_against_the_suggestion_says_why_it_differs(
        vault: VaultSession, person_id: str) -> None:
    with pytest.raises(ValidationError, match=r"differs from the suggestion \(likely "
                                              r"eligible\)") as refused:
        pc.record_eligibility(vault.uow, person_id, screen(
            decision="not_eligible", decision_reason=" "), USER_NAME, TODAY)
    assert refused.value.field == "decision_reason"
    earlier = pc.record_eligibility(vault.uow, person_id, screen(
        screened_on=dt.date(2027, 1, 2), needs_from_impairment=False,
        decision="eligible", decision_reason="The illness is the cause; see the GP letter"),
        USER_NAME, TODAY)
    later = pc.record_eligibility(vault.uow, person_id, screen(
        decision="not_eligible", decision_reason="Family meet the needs"), USER_NAME, TODAY)
    rows = pc.eligibility_screens(vault.uow, person_id)
    assert [(r.id, r.suggestion, r.decision, r.differs) for r in rows] == [
        (later, "likely_eligible", "not_eligible", True),
        (earlier, "likely_not_eligible", "eligible", True)]
    assert rows[1].suggestion_reasons == (
        "The needs do not arise from a physical or mental impairment or illness.",)


@pytest.mark.hazard("H-045")
def test_an_incomplete_suggestion_still_needs_a_decision_and_its_reason(
        vault: VaultSession, person_id: str) -> None:
    partial = screen(needs_from_impairment=None, significant_impact=None)
    with pytest.raises(ValidationError, match="Say why you decided this") as refused:
        pc.record_eligibility(vault.uow, person_id, dataclasses.replace(
            partial, decision_reason=None), USER_NAME, TODAY)
    assert refused.value.field == "decision_reason"
    pc.record_eligibility(vault.uow, person_id, partial, USER_NAME, TODAY)
    [row] = pc.eligibility_screens(vault.uow, person_id)
    assert (row.suggestion, row.suggestion_label, row.differs) == (
        "incomplete", "Not all answered", False)
    assert len(row.suggestion_reasons) == 2 and all(
        r.startswith("Not answered yet") for r in row.suggestion_reasons)


@pytest.mark.parametrize(("overrides", "field", "message"), [
    ({"screened_on": None}, "screened_on", "Enter the date of the screen"),
    ({"screened_on": TODAY + dt.timedelta(days=1)}, "screened_on", "has not come yet"),
    ({"screened_on": BORN - dt.timedelta(days=1)}, "screened_on", "before the person was born"),
    ({"decision": None}, "decision", "Record your decision"),
    ({"decision": "likely_eligible"}, "decision", "Record your decision"),
    ({"decision_reason": None}, "decision_reason", "Say why you decided this"),
    ({"decision_reason": "r" * 4001}, "decision_reason", "under 4,000"),
])
def test_a_bad_screen_is_refused_naming_the_field(
        vault: VaultSession, person_id: str, overrides: dict[str, Any], field: str,
        message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        pc.record_eligibility(vault.uow, person_id, screen(**overrides), USER_NAME, TODAY)
    assert refused.value.field == field
    assert count(vault, EligibilityScreen) == 0


def test_a_screen_from_a_newer_version_of_the_app_still_reads(vault: VaultSession,
                                                               person_id: str) -> None:
    with vault.uow.begin() as session:  # as a sync brings it: an outcome this app lacks
        session.add(EligibilityScreen(
            person_id=person_id, screened_on=TODAY, needs_from_impairment=True,
            significant_impact=True, suggestion="likely_eligible", decision="eligible",
            decision_reason="r", decided_by_name=SOMEONE,
            unable={"nutrition": ["needs_assistance"], "pets": ["needs_assistance"],
                    "toilet_needs": []}))
    [row] = pc.eligibility_screens(vault.uow, person_id)
    assert row.outcomes_unable == ("Managing and maintaining nutrition", "pets")
    assert row.suggestion_reasons == ("Unable to achieve only 1 of the 10 outcomes; 2 or more "
                                      "are needed.",)


# ---------------------------------------------------------------- for every record


def _record_each(uow: Any, person_id: str) -> dict[str, str]:
    """One of each new record; their entity names and ids."""
    pc.save_what_matters(uow, person_id, words(), USER_NAME, 0, TODAY)
    return {"what_matters": what_matters_id(person_id),
            "signposting": pc.record_signposting(uow, person_id, signpost(), USER_NAME, TODAY),
            "partner_assessment": pc.record_assessment(uow, person_id, assessment(),
                                                       USER_NAME, TODAY),
            "eligibility_screen": pc.record_eligibility(uow, person_id, screen(), USER_NAME,
                                                        TODAY),
            "signposting_service": pc.add_signposting_service(uow, "Local group", None,
                                                              USER_NAME)}


@pytest.mark.hazard("H-038")
def test_each_new_record_is_audited_and_queued_for_the_store(vault: VaultSession,
                                                             person_id: str) -> None:
    made = _record_each(vault.uow, person_id)
    for entity, entity_id in made.items():
        assert audit_rows(vault, entity_id) == [
            {"entity_type": entity, "action": "create", "user_id": vault.actor.user_id,
             "device_id": vault.actor.device_id}], entity
        [(entity_type, operation, payload)] = outbox_rows(vault, entity_id)
        assert (entity_type, operation, payload["id"]) == (entity, "upsert", entity_id)
        assert payload.get("person_id", person_id) == person_id
    assert outbox_rows(vault, made["what_matters"])[0].payload["own_words"] == words().own_words
    assert outbox_rows(vault, made["eligibility_screen"])[0].payload["suggestion"] == \
        "likely_eligible"


@pytest.mark.hazard("H-026")
def test_governance_reads_every_record_and_changes_none(vault: VaultSession,
                                                        person_id: str) -> None:
    made = _record_each(vault.uow, person_id)
    reader = as_role(vault, "read_only")
    attempts: list[Callable[[], object]] = [
        lambda: pc.save_what_matters(reader, person_id, words(strengths="x"), USER_NAME, 1,
                                     TODAY),
        lambda: pc.record_signposting(reader, person_id, signpost(), USER_NAME, TODAY),
        lambda: pc.remove_signposting(reader, made["signposting"]),
        lambda: pc.record_assessment(reader, person_id, assessment(), USER_NAME, TODAY),
        lambda: pc.record_eligibility(reader, person_id, screen(), USER_NAME, TODAY),
        lambda: pc.add_signposting_service(reader, "Another group", None, USER_NAME)]
    for attempt in attempts:
        with pytest.raises(PermissionDenied, match="read-only user"):
            attempt()
    shown = pc.what_matters(reader, person_id)
    assert shown is not None and shown.version == 1
    assert [r.id for r in pc.signposting_for(reader, person_id)] == [made["signposting"]]
    assert [r.id for r in pc.assessments_for(reader, person_id)] == [
        made["partner_assessment"]]
    assert [r.id for r in pc.eligibility_screens(reader, person_id)] == [
        made["eligibility_screen"]]
    record = load_record(reader, person_id)
    assert (len(record.signposting), len(record.assessments), len(record.eligibility)) == (
        1, 1, 1)


@pytest.mark.parametrize("role", ["nurse", "social_care_practitioner"])
def test_nurses_and_practitioners_keep_the_persons_records(vault: VaultSession,
                                                           person_id: str, role: str) -> None:
    uow = as_role(vault, role)
    pc.save_what_matters(uow, person_id, words(), USER_NAME, 0, TODAY)
    pc.record_signposting(uow, person_id, signpost(), USER_NAME, TODAY)
    pc.record_assessment(uow, person_id, assessment(), USER_NAME, TODAY)
    pc.record_eligibility(uow, person_id, screen(), USER_NAME, TODAY)
    record = load_record(uow, person_id)
    assert record.what_matters is not None
    assert (len(record.signposting), len(record.assessments), len(record.eligibility)) == (
        1, 1, 1)


@pytest.mark.hazard("H-015")
def test_records_stay_with_their_person(vault: VaultSession, person_id: str) -> None:
    other = people.create_person(vault.uow, people.PersonInput(**person_values(14))).id
    _record_each(vault.uow, person_id)
    record = load_record(vault.uow, other)
    assert (record.what_matters, record.signposting, record.assessments,
            record.eligibility) == (None, (), (), ())
    people.remove_person(vault.uow, other)  # nothing is recorded for a removed person
    for attempt in (
            lambda: pc.save_what_matters(vault.uow, other, words(), USER_NAME, 0, TODAY),
            lambda: pc.record_signposting(vault.uow, other, signpost(), USER_NAME, TODAY),
            lambda: pc.record_assessment(vault.uow, other, assessment(), USER_NAME, TODAY),
            lambda: pc.record_eligibility(vault.uow, other, screen(), USER_NAME, TODAY)):
        with pytest.raises(NotFound):
            attempt()


# ---------------------------------------------------------------- recorded by mistake

REASON = "The date was typed 2025 for 2015 (O'Brien & Sons <b> Zoë)"


def _wizard_context(vault: VaultSession, person_id: str) -> Any:
    return wizard_context(vault.uow, person_id, CATALOGUE, today=TODAY)


@pytest.mark.hazard("H-044")
def test_an_assessment_recorded_by_mistake_is_removed_and_no_longer_offered(
        vault: VaultSession, person_id: str) -> None:
    """A date typed 2025 for 2015 made a stale assessment the newest on file: removed, the
    wizard offers the one still on the record, and the removal keeps its reason."""
    right = pc.record_assessment(vault.uow, person_id, assessment(
        assessed_on=dt.date(2015, 3, 4)), SOMEONE, TODAY)
    wrong = pc.record_assessment(vault.uow, person_id, assessment(
        assessed_on=dt.date(2025, 3, 4)), SOMEONE, TODAY)
    assert _wizard_context(vault, person_id).latest_assessment("care_act_needs").id == wrong

    pc.remove_assessment(vault.uow, wrong, f"  {REASON}\n", TODAY)
    assert [a.id for a in pc.assessments_for(vault.uow, person_id, TODAY)] == [right]
    assert [a.id for a in load_record(vault.uow, person_id).assessments] == [right]
    context = _wizard_context(vault, person_id)
    assert [a.id for a in context.assessments] == [right]
    assert context.latest_assessment("care_act_needs").id == right
    with vault.uow.read() as s:
        assert [a.id for a in pc.assessments_on_file(s, person_id)] == [right]
        row = s.get_one(PartnerAssessment, wrong)
        assert row.deleted is True and row.assessed_on == dt.date(2025, 3, 4)  # it stays
        assert row.summary == ("Needs help with medicines\n\nRemoved on 10/02/2027 by "
                               f"{USER_NAME}, recorded by mistake: {REASON}")
    # Synced as a deletion carrying the reason; audited under the signed-in user.
    [_, (_, operation, payload)] = outbox_rows(vault, wrong)
    assert operation == "delete" and payload["deleted"] is True and REASON in payload["summary"]
    assert [(r["action"], r["user_id"]) for r in audit_rows(vault, wrong)] == [
        ("create", vault.actor.user_id), ("delete", vault.actor.user_id)]
    with pytest.raises(NotFound, match="no longer on the record"):
        pc.remove_assessment(vault.uow, wrong, REASON, TODAY)


@pytest.mark.hazard("H-044")
def test_a_decision_made_on_a_removed_assessment_stays_as_it_was(vault: VaultSession) -> None:
    built = build_case(vault.uow)  # its decision reused a partner's CHC Checklist
    with vault.uow.read() as s:
        before = read_blocks.reused_assessments(s, built.case_id)
        [reuse] = s.scalars(select(AssessmentReuse).where(
            AssessmentReuse.delegation_case_id == built.case_id)).all()
        reuse_id, reused_id = reuse.id, reuse.assessment_id
    assert len(before) == 1
    pc.remove_assessment(vault.uow, reused_id, "Recorded for the wrong person", TODAY)
    with vault.uow.read() as s:
        again = s.get_one(AssessmentReuse, reuse_id)
        assert (again.deleted, again.assessment_id) == (False, reused_id)
        assert read_blocks.reused_assessments(s, built.case_id) == before  # on the plan
    assert pc.assessments_for(vault.uow, built.person_id, TODAY) == ()
    assert _wizard_context(vault, built.person_id).latest_assessment("chc_checklist") is None


@pytest.mark.hazard("H-015")
def test_an_eligibility_screen_recorded_by_mistake_is_removed(vault: VaultSession,
                                                              person_id: str) -> None:
    """S1 and S5 show the latest screen still on the record once a wrong one is removed."""
    earlier = pc.record_eligibility(vault.uow, person_id, screen(
        screened_on=dt.date(2026, 12, 1), decision="not_eligible",
        decision_reason="Her son meets these needs"), USER_NAME, TODAY)
    wrong = pc.record_eligibility(vault.uow, person_id, screen(), USER_NAME, TODAY)
    assert _wizard_context(vault, person_id).eligibility.decision == "eligible"

    pc.remove_eligibility_screen(vault.uow, wrong, "Screened the wrong person", TODAY)
    assert [r.id for r in pc.eligibility_screens(vault.uow, person_id)] == [earlier]
    shown = _wizard_context(vault, person_id).eligibility
    assert (shown.screened_on, shown.decision) == (dt.date(2026, 12, 1), "not_eligible")
    with vault.uow.read() as s:
        row = s.get_one(EligibilityScreen, wrong)
        assert row.deleted is True and row.decision_reason == (
            "Agree: two outcomes, clear impact\n\nRemoved on 10/02/2027 by "
            f"{USER_NAME}, recorded by mistake: Screened the wrong person")
    assert [r.operation for r in outbox_rows(vault, wrong)] == ["upsert", "delete"]
    assert [r["action"] for r in audit_rows(vault, wrong)] == ["create", "delete"]

    pc.remove_eligibility_screen(vault.uow, earlier, "Entered twice", TODAY)
    assert _wizard_context(vault, person_id).eligibility is None
    assert load_record(vault.uow, person_id).eligibility == ()
    with pytest.raises(NotFound, match="no longer on the record"):
        pc.remove_eligibility_screen(vault.uow, earlier, "Entered twice", TODAY)


def _removals(vault: VaultSession, person_id: str) -> dict[str, tuple[Callable[..., None], str]]:
    """Each removal with the id of a row of the person's to remove."""
    return {"assessment": (pc.remove_assessment, pc.record_assessment(
                vault.uow, person_id, assessment(), USER_NAME, TODAY)),
            "screen": (pc.remove_eligibility_screen, pc.record_eligibility(
                vault.uow, person_id, screen(), USER_NAME, TODAY))}


@pytest.mark.parametrize(("reason", "message"), [
    ("", "Say why it is being removed"), ("  \n ", "Say why it is being removed"),
    (None, "Say why it is being removed"), ("r" * 4001, "under 4,000")])
def test_a_removal_needs_its_reason_in_words(vault: VaultSession, person_id: str,
                                            reason: str | None, message: str) -> None:
    for remove, row_id in _removals(vault, person_id).values():
        with pytest.raises(ValidationError, match=message) as refused:
            remove(vault.uow, row_id, reason, TODAY)
        assert refused.value.field == "reason"
        assert len(outbox_rows(vault, row_id)) == 1  # nothing written
    record = load_record(vault.uow, person_id)
    assert (len(record.assessments), len(record.eligibility)) == (1, 1)


@pytest.mark.hazard("H-026")
@pytest.mark.parametrize(("role", "allowed"), [
    ("read_only", False), ("nurse", True), ("social_care_practitioner", True)])
def test_only_those_who_keep_the_persons_records_remove_them(
        vault: VaultSession, person_id: str, role: str, allowed: bool) -> None:
    uow = as_role(vault, role)
    for remove, row_id in _removals(vault, person_id).values():
        if allowed:
            remove(uow, row_id, "Recorded by mistake", TODAY)
        else:
            with pytest.raises(PermissionDenied, match="read-only user"):
                remove(uow, row_id, "Recorded by mistake", TODAY)
    record = load_record(vault.uow, person_id)
    left = 0 if allowed else 1
    assert (len(record.assessments), len(record.eligibility)) == (left, left)
