"""The two-weekly joint meeting pack on the known caseload (see ``dataset``).

On 31 March 2026, for Alpha: E5 (opened 20 January about stability, not escalated) waits
for the MDT's consensus; E2 (opened 5 March, escalated to the CSU) for a funding decision;
F3's interim funding (its discussion E3 closed 10 March) for reconciliation. F4's interim
was reconciled on 1 March, E1 and E4 are closed, E6 was removed.
"""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import select

from desktop_app.models.audit import AuditEvent
from desktop_app.services.pdf.meeting_pack import render_meeting_pack
from desktop_app.services.reports import load_meeting_pack, record_meeting_pack_output
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tests.services.reports.dataset import ALPHA, BETA, Built

D = dt.date
PRODUCED = dt.datetime(2026, 3, 31, 8, 0, tzinfo=dt.UTC)


@pytest.mark.hazard("H-012")
def test_the_cases_to_decide_with_their_waits_and_splits(report_vault: VaultSession,
                                                         built: Built) -> None:
    pack = load_meeting_pack(report_vault.uow, D(2026, 3, 31), ALPHA, produced_at=PRODUCED)
    assert (pack.as_of, pack.team, pack.produced_by) == (D(2026, 3, 31), ALPHA, "Test Nurse")
    [consensus] = pack.awaiting_consensus
    assert consensus.discussion_id == built.discussions["e5"]
    assert (consensus.waiting_since, consensus.days_waiting) == (D(2026, 1, 20), 70)
    assert consensus.question == "Is the PEG feed stable enough to delegate?"
    assert consensus.options == "Delegate with daily checks, or keep with the nurse"
    # The newest plan version with lines for the case (v2), without the removed line.
    assert consensus.plan_version_number == 2
    assert [(s.funder, s.pence_per_week) for s in consensus.split] == [("icb", 350)]
    [funding] = pack.awaiting_funding
    assert funding.discussion_id == built.discussions["e2"]
    assert (funding.days_waiting, funding.escalated_to_mlcsu) == (26, True)
    assert funding.dispute_reference == "MLCSU-999-2" and funding.split == ()
    assert funding.funding_proposal == "60 % ICB"
    [reconcile] = pack.awaiting_reconciliation
    assert reconcile.case_id == built.cases["f3"] and reconcile.discussion_id is None
    assert (reconcile.waiting_since, reconcile.days_waiting) == (D(2026, 3, 10), 21)
    assert reconcile.decision == "Joint funding, half each, from the start"
    assert reconcile.interim_from == D(2026, 2, 1)
    assert reconcile.dispute_reference == "MLCSU-999-7"
    assert [(s.funder_name, s.weekly, s.interim) for s in reconcile.split] == [
        ("LLR ICB", "£21.00", True), ("Leicestershire County Council", "£42.00", True)]
    assert reconcile.total_pence_per_week == 6300


def test_earlier_the_pack_was_different(report_vault: VaultSession, built: Built) -> None:
    """On 27 February E3 was still open (about funding) and F4 not yet reconciled; E2 had
    not been opened."""
    pack = load_meeting_pack(report_vault.uow, D(2026, 2, 27), ALPHA)
    assert [c.discussion_id for c in pack.awaiting_consensus] == [built.discussions["e5"]]
    assert [c.discussion_id for c in pack.awaiting_funding] == [built.discussions["e3"]]
    assert [c.case_id for c in pack.awaiting_reconciliation] == [built.cases["f4"]]
    f4 = pack.awaiting_reconciliation[0]
    assert (f4.waiting_since, f4.days_waiting) == (D(2026, 1, 19), 39)  # E4 closed then


def test_a_team_with_nothing_to_decide(report_vault: VaultSession, built: Built) -> None:
    pack = load_meeting_pack(report_vault.uow, D(2026, 3, 31), BETA)
    assert pack.cases == ()
    text = flat("\n".join(page_texts(render_meeting_pack(pack))))
    assert text.count("None.") == 3


def test_loading_is_audited_as_a_view_of_each_case_and_printing_as_a_print(
        report_vault: VaultSession, built: Built) -> None:
    entities = [built.discussions["e5"], built.discussions["e2"], built.cases["f3"]]

    def events(action: str) -> list[tuple[str, str]]:
        with report_vault.uow.read() as session:
            return sorted(session.execute(
                select(AuditEvent.entity_type, AuditEvent.entity_id)
                .where(AuditEvent.action == action, AuditEvent.entity_id.in_(entities))).all())

    before = len(events("view"))
    pack = load_meeting_pack(report_vault.uow, D(2026, 3, 31), ALPHA)
    assert len(events("view")) == before + 3
    record_meeting_pack_output(report_vault.uow, pack, "print")
    assert events("print") == sorted([
        ("shared_care_discussion", built.discussions["e5"]),
        ("shared_care_discussion", built.discussions["e2"]),
        ("delegation_case", built.cases["f3"])])


def test_the_pack_pdf(report_vault: VaultSession, built: Built) -> None:
    pack = load_meeting_pack(report_vault.uow, D(2026, 3, 31), ALPHA, produced_at=PRODUCED)
    pages = page_texts(render_meeting_pack(pack))
    text = flat("\n".join(pages))
    parts = ["1. Awaiting the MDT's consensus", "2. Awaiting a funding decision",
             "3. Interim funding awaiting reconciliation"]
    positions = [text.find(part) for part in parts]
    assert -1 not in positions and positions == sorted(positions)
    for expected in [
        "Two-weekly joint meeting: cases to decide", "Meeting day 31 March 2026",
        "Team Alpha INT", "Waiting since 20 January 2026 (70 days)",
        "Is the PEG feed stable enough to delegate?",
        "Waiting since 5 March 2026 (26 days)", "Does the ICB fund it all?",
        "All ICB, or split 60/40", "Escalated to the Midlands & Lancashire CSU Yes",
        "No funding split is on a support plan for this delegation yet",
        "Decided, awaiting reconciliation since 10 March 2026 (21 days)",
        "Decision Joint funding, half each, from the start",
        "Paid without prejudice by LLR ICB since 1 February 2026",
        "LLR ICB £21.00 NHS share: free to the person",
        "Leicestershire County Council £42.00 Council share; lead commissioner",
        "Total per week £63.00", "Proposed split (support plan version 1):",
    ]:
        assert expected in text, expected
    for number, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2
        assert f"Page {number} of {len(pages)}" in page
