"""What matters to the person, assistive technology, call frequency and reused assessments
on the printed support plan and shared care form: read back from the PDF as typed."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select, update

from desktop_app.models.delegation import DelegationCase
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.models.person_centred import AssessmentReuse, WhatMatters, what_matters_id
from desktop_app.models.plan import SupportPlan
from desktop_app.services import delegation
from desktop_app.services.pdf.shared_care_form import render_shared_care_form
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.people.person_centred import write_what_matters
from desktop_app.services.plans.document import load_plan_document
from desktop_app.services.plans.shared_care_form import load_shared_care_form
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tools.sample_case import BuiltCase, CaseSpec, build_case

PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
AWKWARD = {
    "person_words": "I want to stay at home with O'Brien & Sons' carers, <b>not</b> a home.",
    "strengths": "Zoë sings in the choir & knows her routine",
    "self_care": "Puts her own <i>hearing aids</i> in; \"does the crossword\"",
    "at_kind": "Automated pill dispenser <b>",
    "at_reason": "her hands shake too much (O'Brien & Sons tried it)",
    "calls_note": "Zoë's lunch call already has 30 minutes & room for the drops.",
    "reuse_organisation": "O'Brien & Sons <Health> Ltd",
    "reuse_assessor": "Zoë Ní Assessor",
}


def plan_text(vault: VaultSession, plan_id: str) -> str:
    document = load_plan_document(vault.uow, plan_id, "Terry Teamlead", PRINTED_AT)
    return flat("\n".join(page_texts(render_support_plan(document))))


@pytest.fixture
def case(vault: VaultSession) -> BuiltCase:
    return build_case(vault.uow, CaseSpec(texts=AWKWARD, attorney_name="Siobhán O'Brien & Co"))


@pytest.mark.hazard("H-024")
def test_what_matters_prints_as_typed(vault: VaultSession, case: BuiltCase) -> None:
    text = plan_text(vault, case.plan_id)
    section = text.split("What matters to Zoë")[1].split("2. What is delegated")[0]
    for label, typed in [("In their own words", AWKWARD["person_words"]),
                         ("Strengths", AWKWARD["strengths"]),
                         ("What Zoë does for themselves", AWKWARD["self_care"]),
                         ("Who took part in the conversation",
                          "The person; Attorney or deputy (Siobhán O'Brien & Co)")]:
        assert f"{label} {flat(typed)}" in section, label


@pytest.mark.hazard("H-024")
@pytest.mark.hazard("H-044")
def test_each_task_says_how_resources_were_used_as_typed(vault: VaultSession,
                                                         case: BuiltCase) -> None:
    text = plan_text(vault, case.plan_id)
    task = text.split("2. What is delegated")[1].split("3. Consent and capacity")[0]
    assert (f"Assistive technology considered Yes — {AWKWARD['at_kind']}: not suitable. Why: "
            f"{AWKWARD['at_reason']}") in task
    assert (f"Call frequency reviewed Yes — the task fits an existing call. "
            f"{AWKWARD['calls_note']}") in task
    reused = task.split("Assessments reused (trusted assessment)")[1]
    assert (f"NHS Continuing Healthcare Checklist (S2) {AWKWARD['reuse_organisation']} "
            f"{AWKWARD['reuse_assessor']} 21 Sep 2026 2 months old") in reused


@pytest.mark.hazard("H-024")
def test_the_shared_care_form_says_what_matters_and_how_resources_were_used(
        vault: VaultSession) -> None:
    build_case(vault.uow, CaseSpec(serial=8, given_name="Harold", family_name="O'Brien",
                                   texts=AWKWARD, disagree=True))
    with vault.uow.read() as s:
        discussion_id = s.scalars(select(SharedCareDiscussion.id)).one()
    form = load_shared_care_form(vault.uow, discussion_id, "Terry Teamlead", PRINTED_AT)
    text = flat("\n".join(page_texts(render_shared_care_form(form))))
    case = text.split("1. The case")[1].split("2. The question")[0]
    assert f"Assistive technology considered Yes — {AWKWARD['at_kind']}: not suitable" in case
    assert f"Call frequency reviewed Yes — the task fits an existing call. " \
           f"{AWKWARD['calls_note']}" in case
    assert f"{AWKWARD['reuse_organisation']} {AWKWARD['reuse_assessor']}" in case
    assert f"What matters to Harold In their own words {flat(AWKWARD['person_words'])}" in case
    assert f"What Harold does for themselves {flat(AWKWARD['self_care'])}" in case


def test_the_form_says_what_matters_as_the_record_has_it_now(vault: VaultSession) -> None:
    built = build_case(vault.uow, CaseSpec(serial=9, given_name="Harold", disagree=True))
    with vault.uow.begin() as s:
        write_what_matters(s, built.person_id, {
            "own_words": "Changed after the MDT", "strengths": None, "self_care": None,
            "took_part": [{"kind": "person", "name": ""}]}, "B Nurse", dt.date(2026, 12, 1))
        discussion_id = s.scalars(select(SharedCareDiscussion.id)).one()
    form = load_shared_care_form(vault.uow, discussion_id, "Terry Teamlead", PRINTED_AT)
    text = flat("\n".join(page_texts(render_shared_care_form(form))))
    assert "In their own words Changed after the MDT" in text
    assert "Strengths Not recorded" in text


def test_a_plan_from_before_the_principles_prints_as_it_did(vault: VaultSession,
                                                            case: BuiltCase) -> None:
    """A version made before vault 0011 has only the person's own words, and its case no
    resources recorded: no new section, no line invented."""
    with vault.uow.begin() as s:  # as migration 0011 leaves an issued (immutable) version
        s.execute(update(SupportPlan.__table__).where(SupportPlan.id == case.plan_id)
                  .values(strengths=None, self_care=None, took_part=[]))
        row = s.get_one(DelegationCase, case.case_id)
        for column in ("at_considered", "at_kind", "at_outcome", "at_reason", "calls_reviewed",
                       "calls_outcome", "calls_note"):
            setattr(row, column, None)
        for reuse in s.scalars(select(AssessmentReuse)):
            reuse.deleted = True
    text = plan_text(vault, case.plan_id)
    assert f"In their own words {flat(AWKWARD['person_words'])}" in text
    for new in ("What matters to", "Strengths", "does for themselves", "Who took part",
                "Assistive technology", "Call frequency", "Assessments reused"):
        assert new not in text, new


def test_a_version_issued_for_what_matters_prints_the_new_words_and_the_old_stays(
        vault: VaultSession, case: BuiltCase) -> None:
    with vault.uow.begin() as s:
        write_what_matters(s, case.person_id, {
            "own_words": "Now: home by Christmas & <no> hospital", "strengths": "Zoë's garden",
            "self_care": None, "took_part": [{"kind": "advocate", "name": "Pat"}]},
            "B Nurse", dt.date(2026, 12, 2))
    version = delegation.issue_plan_with_what_matters(vault.uow, case.person_id, "A Nurse",
                                                      dt.date(2026, 12, 2))
    with vault.uow.read() as s:
        new_id = s.scalars(select(SupportPlan.id).where(SupportPlan.version_number == version)
                           ).one()
        assert s.get_one(WhatMatters, what_matters_id(case.person_id)).strengths == "Zoë's garden"
    new = plan_text(vault, new_id)
    assert "In their own words Now: home by Christmas & <no> hospital" in new
    assert "What Zoë does for themselves Not recorded" in new
    assert "Who took part in the conversation Advocate (Pat)" in new
    assert "Assistive technology considered Yes" in new  # the task line carried forward
    old = plan_text(vault, case.plan_id)
    assert f"In their own words {flat(AWKWARD['person_words'])}" in old and "SUPERSEDED" in old
