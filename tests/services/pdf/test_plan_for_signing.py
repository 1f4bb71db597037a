"""The support plan as a team lead reads it before signing (issue 17): no internal codes or
version ids beside the lines, what was chosen printed in the words it was chosen in, who
was at the MDT, the readings line only where the task takes readings, page 1 filled when
a long table runs on, and where the flow and the task names come from said once, plainly.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from reportlab.lib.units import mm
from reportlab.platypus import Spacer
from sqlalchemy import select

from desktop_app.models.consent import ConsentRecord
from desktop_app.models.plan import SupportPlan
from desktop_app.services.delegation import ending
from desktop_app.services.delegation.plan import DEFAULT_TEXT
from desktop_app.services.framework import labels
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.pdf import layout as lo
from desktop_app.services.pdf.markup import text
from desktop_app.services.pdf.support_plan import flow_note, render_support_plan
from desktop_app.services.plans.blocks import Attendee
from desktop_app.services.plans.document import PlanDocument, load_plan_document
from desktop_app.services.plans.read_blocks import STOCK_OUT_OF_RANGE, out_of_range_applies
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tools import sample_case
from tools.sample_case import BuiltCase, CaseSpec, build_case

PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
READINGS = "If readings are out of range"


@pytest.fixture
def case(vault: VaultSession) -> BuiltCase:
    return build_case(vault.uow)


def _document(vault: VaultSession, case: BuiltCase) -> PlanDocument:
    return load_plan_document(vault.uow, case.plan_id, "Terry Teamlead", PRINTED_AT)


def _text(document: PlanDocument) -> str:
    return flat("\n".join(page_texts(render_support_plan(document))))


@pytest.mark.hazard("H-018")
def test_no_internal_ids_and_the_flow_and_catalogue_are_said_once_in_the_notes(
        vault: VaultSession, case: BuiltCase) -> None:
    text = _text(_document(vault, case))
    catalogue, flow = load_catalogue(), load_flow()
    assert f"Task 1 of 1: {catalogue.get('eye_drops').name}" in text
    for internal in ("eye_drops", "Catalogue", "reconstructed", "Decided under", "None "):
        assert internal not in text, internal
    assert text.count(f"task catalogue (version {catalogue.version})") == 1
    assert text.count("Decided with the delegation flow") == 1
    # Where a rebuilt flow comes from, truthfully: the framework's flowchart is lost.
    assert "could not be recovered" in text and "committee's minutes" in text
    notes, signatures = text.find("About this document"), text.find("8. Signatures")
    assert -1 < notes < signatures  # read before signing
    assert flow_note([flow.version]) is not None


def test_a_flow_note_names_each_version_once_and_says_rebuilt_only_when_it_was() -> None:
    assert flow_note([]) is None
    both = flow_note(["2026.10-reconstructed", "2026.2-reconstructed", "2026.2-reconstructed"])
    assert both is not None and "(versions 2026.2 and 2026.10)" in both
    official = flow_note(["2027.1"])
    assert official is not None and "(version 2027.1)." in official
    assert "could not be recovered" not in official


def test_each_care_worker_s_second_line_is_said_to_be_their_role(vault: VaultSession,
                                                                 case: BuiltCase) -> None:
    text = _text(_document(vault, case))
    assert "Care worker (role) Provider Training" in text
    assert "Łukasz Żółć Senior care worker Demo Homecare Ltd" in text


@pytest.mark.hazard("H-007")
def test_consent_prints_how_it_was_given_in_the_words_the_wizard_offered(
        vault: VaultSession, case: BuiltCase) -> None:
    with vault.uow.begin() as s:
        for record in s.query(ConsentRecord).filter_by(delegation_case_id=case.case_id):
            record.how = "verbal"
    text = _text(_document(vault, case))
    assert "How Spoken" in text and "Verbally" not in text
    assert labels.CONSENT_METHODS["verbal"] == "Spoken"


def test_the_mdt_meeting_is_printed_with_who_was_there(vault: VaultSession,
                                                       case: BuiltCase) -> None:
    document = _document(vault, case)
    assert document.mdt_agreed is True
    assert document.mdt_attendees == (
        Attendee("Community nurse", "LPT", "Sam Example"),
        Attendee("Social worker", "Leicester City Council", "Kit Sample"))
    text = _text(document)
    assert ("Agreed at the MDT on 27 November 2026 At the MDT Sam Example, Community nurse "
            "(LPT) Kit Sample, Social worker (Leicester City Council)") in text
    disagreed = _text(replace(document, mdt_agreed=False))
    assert "MDT meeting 27 November 2026: the MDT did not agree" in disagreed
    assert "Agreed at the MDT on" not in disagreed


@pytest.mark.hazard("H-024")
def test_typed_attendees_print_as_typed_never_as_markup(vault: VaultSession,
                                                        case: BuiltCase) -> None:
    typed = Attendee("<b>GP</b>", "O'Brien & Sons", "Ann <i>Example</i>")
    text = _text(replace(_document(vault, case), mdt_attendees=(typed,)))
    assert "Ann <i>Example</i>, <b>GP</b> (O'Brien & Sons)" in text


@pytest.mark.hazard("H-039")
def test_the_readings_line_is_printed_only_where_the_task_takes_readings(
        vault: VaultSession, case: BuiltCase, monkeypatch: pytest.MonkeyPatch) -> None:
    eye_drops = _document(vault, case)
    assert eye_drops.tasks[0].out_of_range_applies is False
    assert READINGS not in _text(eye_drops)
    monkeypatch.setattr(sample_case, "TASK_CODE", "blood_glucose_finger_prick")
    glucose_case = build_case(vault.uow, CaseSpec(serial=9, texts={
        "if_out_of_range": "Below 4: give the glucose gel on the plan, then ring the nurse"}))
    glucose = _document(vault, glucose_case)
    assert glucose.tasks[0].out_of_range_applies is True
    assert f"{READINGS} Below 4: give the glucose gel on the plan" in _text(glucose)


@pytest.mark.hazard("H-024")
def test_an_instruction_of_the_nurse_s_own_is_never_hidden() -> None:
    assert out_of_range_applies("vital_signs", "Follow the 'call the nurse' thresholds above.")
    assert out_of_range_applies(None, "")  # a task the catalogue does not know: printed
    assert not out_of_range_applies("medication", "Follow the 'call the nurse' thresholds "
                                                  "above.")
    assert not out_of_range_applies("medication", "Not applicable to eye drops")
    assert not out_of_range_applies("medication", "  N/A ")
    assert out_of_range_applies("medication", "If the eye is red after the drops, ring us")
    assert out_of_range_applies("medication", "", "insulin_prefilled_pen")  # glucose readings


def test_the_stock_readings_wording_is_the_decision_s_default() -> None:
    assert DEFAULT_TEXT["if_out_of_range"] in STOCK_OUT_OF_RANGE


def test_a_long_workers_table_starts_on_the_page_it_follows(vault: VaultSession,
                                                            case: BuiltCase) -> None:
    document = _document(vault, case)
    task = replace(document.tasks[0], workers=document.tasks[0].workers * 9)
    pages = [flat(page) for page in page_texts(render_support_plan(
        replace(document, tasks=(task,))))]
    boxes = next(i for i, page in enumerate(pages) if "Call the nurse if" in page)
    # The heading stays with the first worker, on the page of the "call the nurse" box
    # (a whole-table block moved to the next page and left a gap), and the heading row
    # is repeated where the table runs on.
    assert "Named care workers" in pages[boxes]
    assert "Care worker (role) Provider Training Signed off Refresher due Trained / " \
           "assessed by Status Łukasz Żółć" in pages[boxes]
    assert "Care worker (role)" in pages[boxes + 1]
    assert sum(page.count("Łukasz Żółć Senior care worker") for page in pages) == 9


def test_a_heading_is_never_left_alone_at_the_foot_of_a_page() -> None:
    rows = [[f"Row {n}", "x"] for n in range(40)]
    room = lo.PAGE_HEIGHT - lo.TOP - lo.BOTTOM
    marks = lo.PageMarks("Synthetic", "Test", "Test version", "Printed for a test")

    def pages_with(filler_mm: float) -> list[str]:
        story = [Spacer(1, room - filler_mm * mm), text("Before", lo.styles().body),
                 lo.section("A section", lo.grid(["Name", "Value"], rows, [80 * mm, 80 * mm]),
                            keep_rows=1)]
        return [flat(page) for page in page_texts(lo.build_pdf(story, marks, "t", "t"))]

    tight = pages_with(22)  # room for the heading, not for it and a first row
    assert "A section" not in tight[0] and "A section Name Value Row 0" in tight[1]
    roomy = pages_with(45)  # room for the heading and a row or two: the table starts here
    assert "A section Name Value Row 0" in roomy[0] and "Row 39" not in roomy[0]
    assert "Name Value" in roomy[1]  # the heading row repeated where it runs on


@pytest.mark.hazard("H-008")
def test_a_version_with_no_task_left_says_so_without_warnings_about_a_task(
        vault: VaultSession, case: BuiltCase) -> None:
    ended = ending.end_for_change_of_need(vault.uow, case.case_id, dt.date(2026, 12, 4),
                                          "Now needs the nurse for the drops.",
                                          dt.date(2026, 12, 4))
    with vault.uow.read() as s:
        plan_id = s.scalars(select(SupportPlan.id).where(
            SupportPlan.person_id == case.person_id,
            SupportPlan.version_number == ended.plan_version)).one()
    document = load_plan_document(vault.uow, plan_id, "Terry Teamlead",
                                  dt.datetime(2026, 12, 5, 9, 0))
    assert document.tasks == ()
    text = _text(document)
    assert "No task is delegated on this plan version." in text
    for heading in ["1. The person", "2. What is delegated", "3. Funding (per week)",
                    "4. Signatures"]:
        assert heading in text, heading
    for nonsense in ["Do not start the task", "No clinical oversight is recorded",
                     "No review is scheduled", "Consent and capacity", "Decision Not recorded",
                     "MDT on Not recorded", "If something goes wrong"]:
        assert nonsense not in text, nonsense
