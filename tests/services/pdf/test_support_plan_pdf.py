"""The support plan PDF, rendered from a real vault and read back as text."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desktop_app.models.audit import AuditEvent
from desktop_app.services.core.errors import NotFound
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import (
    PlanDocument,
    load_plan_document,
    record_output,
)
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, font_names, page_texts
from tests.support import as_role
from tools.sample_case import TEXTS, BuiltCase, CaseSpec, build_case, delegate_again

PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
PRINTED_BY = "Terry Teamlead"
SECTIONS = ["1. The person", "2. What is delegated", "3. Consent and capacity",
            "4. Clinical oversight: who to call", "5. If something goes wrong",
            "6. Funding (per week)", "7. Review dates", "8. Signatures"]
# Eye drops take no readings: the sample's "if readings are out of range" line (saying it
# does not apply) is not printed (tests/services/pdf/test_plan_for_signing.py).
TASK_TEXT_FIELDS = ["what_is_delegated", "what_is_not_delegated", "frequency", "equipment",
                    "do_thresholds", "call_nurse_thresholds", "if_refused", "if_missed",
                    "if_equipment_fails", "in_emergency"]


@pytest.fixture
def case(vault: VaultSession) -> BuiltCase:
    return build_case(vault.uow)


@pytest.fixture
def document(vault: VaultSession, case: BuiltCase) -> PlanDocument:
    return load_plan_document(vault.uow, case.plan_id, PRINTED_BY, PRINTED_AT)


@pytest.fixture
def pages(document: PlanDocument) -> list[str]:
    return page_texts(render_support_plan(document))


def test_the_sections_come_in_order(pages: list[str]) -> None:
    text = flat("\n".join(pages))
    positions = [text.find(heading) for heading in SECTIONS]
    assert -1 not in positions, [h for h, p in zip(SECTIONS, positions, strict=True) if p < 0]
    assert positions == sorted(positions)


@pytest.mark.hazard("H-015")
def test_the_person_is_printed_in_full(pages: list[str]) -> None:
    text = flat("\n".join(pages))
    for value in ["Support plan: Zoë Ní Bhriain", "Preferred name Zo",
                  "Date of birth 17 May 1938", "NHS number 999 000 0158",
                  "12 Example Avenue Flat 3 Leicester LE2 9ZZ", "0116 496 0777",
                  "Leicester Demo Medical Practice (Y99999)", "Team City South",
                  "Open to community health services Yes",
                  "Hard of hearing: face her and speak clearly",
                  "Siobhán Ní Bhriain Health and welfare attorney (LPA) Daughter 07700 900123",
                  TEXTS["person_words"]]:
        assert value in text, value
    assert "9990000158" not in text  # only the spaced NHS display form


@pytest.mark.hazard("H-006")
@pytest.mark.hazard("H-039")
def test_each_task_field_and_named_worker_is_printed(pages: list[str]) -> None:
    text = flat("\n".join(pages))
    task_name = load_catalogue().get("eye_drops").name
    assert f"Task 1 of 1: {task_name}" in text
    for name in TASK_TEXT_FIELDS:
        assert flat(TEXTS[name]) in text, name
    for label in ["What is delegated", "What is NOT delegated", "How often", "Equipment",
                  "Do", "Call the nurse if", "If the person refuses",
                  "If a dose or visit is missed", "If equipment fails", "In an emergency"]:
        assert label in text, label
    for worker in ["Łukasz Żółć", "Aisha Okafor"]:
        row = f"{worker} Senior care worker Demo Homecare Ltd Level 2 (enhanced) 20 Nov 2026 " \
              f"20 Nov 2027 T Trainer / A Assessor Current"
        assert row in text, worker
    assert "NOT CURRENT" not in text and "Must not do this task" not in text


@pytest.mark.hazard("H-007")
@pytest.mark.hazard("H-010")
@pytest.mark.hazard("H-011")
@pytest.mark.hazard("H-022")
def test_consent_oversight_funding_and_reviews_are_printed(pages: list[str]) -> None:
    text = flat("\n".join(pages))
    for value in [
        "Decision Consent given", "Recorded on 30 November 2026",
        "Decided by Health and welfare attorney (LPA): Siobhán Ní Bhriain", "How In writing",
        TEXTS["explained"], "Capacity in doubt Yes", TEXTS["capacity_decision"],
        "Assessed on 10 November 2026", "Assessed by A Nurse (community)",
        "Outcome Lacks capacity for this decision",
        "In hours 0116 496 0101", "Out of hours 0116 496 0999", "In an emergency 999",
        "Service Community Health Services", "Organisation City South community nursing",
        "Named clinician Sam Example RN",
        # 217 minutes a week at £24.37 an hour is £88.1378; the ICB pays 62.5 %
        # (£55.086), the council leads and carries the odd penny.
        "LLR ICB £55.09 NHS share: free to the person Fixed percentage 1 Dec 2026",
        "Leicester City Council £33.05 Council share; lead commissioner Fixed percentage",
        "Total per week £88.14",
        "3-month review 1 March 2027 Not yet done", "Next review due 1 March 2027",
    ]:
        assert value in text, value


@pytest.mark.hazard("H-030")
def test_the_signature_block_names_every_signatory(pages: list[str]) -> None:
    last = flat(pages[-1])
    assert "8. Signatures" in last
    assert "Role Name Signature Date" in last
    for role in ["Person or their representative", "Provider manager", "Delegating nurse",
                 "Team lead"]:
        assert role in last, role
    assert "read version 1 of this plan" in last


@pytest.mark.hazard("H-009")
@pytest.mark.hazard("H-015")
@pytest.mark.hazard("H-030")
def test_every_page_is_marked_numbered_and_dated(pages: list[str]) -> None:
    assert len(pages) >= 2  # so "every page" means something
    for number, page in enumerate(pages, start=1):
        text = flat(page)
        assert text.count("OFFICIAL-SENSITIVE") >= 2, number  # top and bottom
        assert f"Page {number} of {len(pages)}" in text
        assert "Check this is the latest version before use." in text
        assert "Support plan version 1, effective from 30 November 2026" in text
        assert f"Printed 1 December 2026 at 09:30 by {PRINTED_BY}" in text
        assert "Zoë Ní Bhriain · NHS number 999 000 0158 · born 17 May 1938" in text


@pytest.mark.hazard("H-024")
def test_accented_names_print_intact_in_an_embedded_unicode_font(
        document: PlanDocument) -> None:
    pdf = render_support_plan(document)
    text = flat("\n".join(page_texts(pdf)))
    for name in ["Zoë Ní Bhriain", "Łukasz Żółć", "Siobhán Ní Bhriain"]:
        assert name in text, name
    assert any("DejaVuSans" in font for font in font_names(pdf))
    assert not any("Helvetica" in font for font in font_names(pdf))


@pytest.mark.hazard("H-009")
def test_a_superseded_version_says_so_and_the_latest_does_not(vault: VaultSession,
                                                             case: BuiltCase) -> None:
    newer = delegate_again(vault.uow, case.person_id, case.nhs_number,
                           CaseSpec(provider_name="Sample Care Services"))
    old = load_plan_document(vault.uow, case.plan_id, PRINTED_BY, PRINTED_AT)
    latest = load_plan_document(vault.uow, newer.plan_id, PRINTED_BY, PRINTED_AT)
    assert (old.version_number, old.latest_version_number, old.superseded) == (1, 2, True)
    old_text = flat("\n".join(page_texts(render_support_plan(old))))
    assert "SUPERSEDED: version 2 of this plan exists. Do not use this version 1." in old_text
    new_text = flat("\n".join(page_texts(render_support_plan(latest))))
    assert "SUPERSEDED" not in new_text and "Support plan version 2" in new_text


@pytest.mark.hazard("H-005")
@pytest.mark.hazard("H-031")
def test_a_worker_past_their_refresher_is_shown_as_not_current(vault: VaultSession,
                                                              case: BuiltCase) -> None:
    late = dt.datetime(2027, 11, 21, 8, 0)  # the day after the refresher date
    document = load_plan_document(vault.uow, case.plan_id, PRINTED_BY, late)
    assert [w.current for w in document.tasks[0].workers] == [False, False]
    text = flat("\n".join(page_texts(render_support_plan(document))))
    assert text.count("NOT CURRENT: Refresher overdue") == 2
    assert "Must not do this task until signed off again: Łukasz Żółć, Aisha Okafor" in text
    on_the_day = load_plan_document(vault.uow, case.plan_id, PRINTED_BY,
                                    dt.datetime(2027, 11, 20, 18, 0))
    assert all(w.current for w in on_the_day.tasks[0].workers)


@pytest.mark.hazard("H-038")
def test_reading_and_printing_are_audited_and_need_no_permission(vault: VaultSession,
                                                                case: BuiltCase) -> None:
    read_only = as_role(vault, "read_only")  # governance may read and print, not change
    document = load_plan_document(read_only, case.plan_id, PRINTED_BY, PRINTED_AT)
    record_output(read_only, document, "print")
    record_output(read_only, document, "export")
    with vault.uow.read() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "support_plan", AuditEvent.entity_id == case.plan_id)
            .order_by(AuditEvent.seq)))
    assert actions[-3:] == ["view", "print", "export"]


def test_a_missing_plan_is_not_found(vault: VaultSession) -> None:
    with pytest.raises(NotFound):
        load_plan_document(vault.uow, "no-such-plan", PRINTED_BY, PRINTED_AT)


@pytest.mark.hazard("H-007")
@pytest.mark.hazard("H-010")
@pytest.mark.hazard("H-022")
def test_a_plan_without_consent_or_oversight_warns(document: PlanDocument) -> None:
    from dataclasses import replace

    bare = replace(document, consent=None, oversight=None, reviews=(), parts=tuple(
        replace(part, consent=None, oversight=None, reviews=()) for part in document.parts))
    text = flat("\n".join(page_texts(render_support_plan(bare))))
    assert "No consent is recorded for this plan. Do not start the task." in text
    assert "No clinical oversight is recorded." in text
    assert "No review is scheduled." in text


@pytest.mark.hazard("H-024")
@pytest.mark.hazard("H-039")
def test_an_answer_longer_than_a_page_still_prints_whole(document: PlanDocument) -> None:
    from dataclasses import replace

    long = "\n".join(f"Step {i}: wash hands, check the eye, give the drop." for i in range(120))
    task = replace(document.tasks[0], what_is_delegated=long,
                   workers=document.tasks[0].workers * 15)
    pages = page_texts(render_support_plan(replace(document, tasks=(task,))))
    text = flat("\n".join(pages))
    assert len(pages) > 5
    assert "Step 0: wash" in text and "Step 119: wash hands, check the eye" in text
    assert text.count("Łukasz Żółć Senior care worker") == 15
    assert f"Page {len(pages)} of {len(pages)}" in flat(pages[-1])
