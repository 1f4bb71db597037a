"""The shared care form PDF: a disputed case laid out for the panel, read back as text."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desktop_app.models.audit import AuditEvent
from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.services.core.errors import NotFound
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.pdf.shared_care_form import render_shared_care_form
from desktop_app.services.plans.document import record_output
from desktop_app.services.plans.shared_care_form import load_shared_care_form
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tools.sample_case import TEXTS, CaseSpec, build_case

PRINTED_AT = dt.datetime(2026, 12, 2, 16, 45)
SECTIONS = ["1. The case", "2. The question", "3. The options", "4. The funding proposal",
            "5. Interim funding (without prejudice)", "6. The MDT meeting", "7. Decision"]


@pytest.fixture
def discussion_id(vault: VaultSession) -> str:
    build_case(vault.uow, CaseSpec(given_name="Łukasz", family_name="Żółć", disagree=True))
    with vault.uow.read() as s:
        return s.scalars(select(SharedCareDiscussion.id)).one()


def form_text(vault: VaultSession, discussion_id: str) -> tuple[list[str], str]:
    document = load_shared_care_form(vault.uow, discussion_id, "Pat Panel", PRINTED_AT)
    pages = page_texts(render_shared_care_form(document))
    return pages, flat("\n".join(pages))


@pytest.mark.hazard("H-012")
def test_an_open_discussion_has_every_section_and_room_for_the_decision(
        vault: VaultSession, discussion_id: str) -> None:
    pages, text = form_text(vault, discussion_id)
    positions = [text.find(heading) for heading in SECTIONS]
    assert -1 not in positions and positions == sorted(positions), positions
    task = load_catalogue().get("eye_drops").name
    for value in [
        "Open since 30 November 2026: awaiting a decision",
        "Name Łukasz Żółć", "Date of birth 17 May 1938", "NHS number 999 000 0158",
        "GP practice Leicester Demo Medical Practice", f"Task {task} Referred by",
        "Referred by District nurse", "Delegation status Active",
        "Outcome so far Care goes ahead, funded without prejudice",
        "Decided on 30 November 2026",
        TEXTS["question"], TEXTS["options"],
        "As on support plan version 1:", "LLR ICB £55.09", "Leicester City Council £33.05",
        "Total per week £88.14", "reference SCD-DEMO-42",
        "Interim funder LLR ICB", "Paying since 1 December 2026",
        "Dispute reference SCD-DEMO-42", "Escalated to the Midlands & Lancashire CSU Yes",
        "Met on 27 November 2026", "Agreed No",
        "Sam Example Community nurse LPT", "Kit Sample Social worker Leicester City Council",
        "Decision and reasons (to be written by the panel):", "8. Signatures",
        "Chair of the discussion", "Health (ICB) representative", "Council representative",
    ]:
        assert value in text, value
    assert "eye_drops" not in text and "icb:" not in text  # no internal codes
    assert "LLR ICB: £55.09 a week; Leicester City Council: £33.05 a week" in text
    for number, page in enumerate(pages, start=1):
        marked = flat(page)
        assert marked.count("OFFICIAL-SENSITIVE") >= 2
        assert f"Page {number} of {len(pages)}" in marked
        assert "Printed 2 December 2026 at 16:45 by Pat Panel" in marked
        assert "Shared care discussion SCD-DEMO-42, opened 30 November 2026" in marked
        assert "Łukasz Żółć · NHS number 999 000 0158" in marked


def test_a_closed_discussion_shows_its_decision(vault: VaultSession,
                                                discussion_id: str) -> None:
    with vault.uow.begin() as s:
        row = s.get(SharedCareDiscussion, discussion_id)
        assert row is not None
        row.decision = "Joint funding agreed 60/40; the council leads the contract."
        row.closed_on = dt.date(2026, 12, 14)
        row.themes = ["funding", "joint package"]
    _, text = form_text(vault, discussion_id)
    assert "Decision Joint funding agreed 60/40; the council leads the contract." in text
    assert "Closed on 14 December 2026" in text and "Themes funding, joint package" in text
    assert "awaiting a decision" not in text and "to be written by the panel" not in text


def test_reading_and_printing_the_form_are_audited_and_a_missing_one_is_not_found(
        vault: VaultSession, discussion_id: str) -> None:
    document = load_shared_care_form(vault.uow, discussion_id, "Pat Panel", PRINTED_AT)
    record_output(vault.uow, document, "print")
    with vault.uow.read() as s:
        actions = list(s.scalars(select(AuditEvent.action).where(
            AuditEvent.entity_type == "shared_care_discussion",
            AuditEvent.entity_id == discussion_id)))
    assert actions == ["create", "view", "print"]  # created by the decision, then read
    with pytest.raises(NotFound):
        load_shared_care_form(vault.uow, "no-such-discussion", "Pat Panel", PRINTED_AT)
