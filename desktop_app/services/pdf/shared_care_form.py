"""The shared care form PDF: one disputed case laid out for the shared care discussion.

When the MDT cannot agree, the case goes to a shared care discussion whose documented
decision goes to the IPCB (framework §1, S10). The panel needs, on paper: the case (the
person, the task, where the delegation stands), the question, the options, the funding
proposal, who pays without prejudice meanwhile and since when, the MDT's meeting, and
the decision, or space to write it and sign. The case says what matters to the person and
how the delegation used resources (``person_centred``), as the support plan does.

Same page marks and escaping as the support plan (see ``layout`` and ``markup``).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, Table

from desktop_app.services.pdf import layout as lo
from desktop_app.services.pdf.markup import text
from desktop_app.services.pdf.person_centred import (
    resource_rows,
    reused_blocks,
    what_matters_blocks,
)
from desktop_app.services.pdf.support_plan import (
    catalogue_note,
    flow_note,
    funding_table,
    notes_block,
)
from desktop_app.services.plans.shared_care_form import SharedCareFormDocument

PANEL_SIGNATORIES = ("Chair of the discussion", "Health (ICB) representative",
                     "Council representative")
INTERIM_NOTE = ("Care is not disrupted while the funding is disputed: the interim funder pays "
                "without prejudice, and costs are reconciled back to the start once the "
                "decision is made.")


def render_shared_care_form(doc: SharedCareFormDocument) -> bytes:
    """The form as PDF bytes (A4, every page marked, numbered and dated)."""
    person = doc.person
    reference = doc.dispute_reference or doc.discussion_id[:8]
    marks = lo.PageMarks(
        subject=f"{person.full_name} · NHS number {person.nhs_number} · born "
                f"{lo.uk_date(person.date_of_birth)}",
        document="Shared care discussion",
        version_line=f"Shared care discussion {reference}, opened {lo.uk_date(doc.opened_on)}",
        printed_line=f"Printed {lo.uk_datetime(doc.printed_at)} by {doc.printed_by}")
    return lo.build_pdf(_story(doc), marks, title="Shared care discussion",
                        author=doc.printed_by)


def _story(doc: SharedCareFormDocument) -> list[Flowable]:
    s = lo.styles()
    story: list[Flowable] = [
        text("Shared care discussion", s.title),
        text("The MDT could not agree. The documented decision goes to the Integrated "
             "Personalised Care Board (IPCB).", s.subtitle)]
    if doc.closed_on is None:
        story += [lo.banner(f"Open since {lo.uk_date(doc.opened_on)}: awaiting a decision"),
                  lo.gap()]
    story += _the_case(doc)
    story.append(lo.section("2. The question", text(doc.question or "Not recorded", s.body)))
    story.append(lo.section("3. The options", text(doc.options or "Not recorded", s.body)))
    story += _funding(doc)
    story += _interim(doc)
    story += _mdt(doc)
    notes = [n for n in (flow_note((doc.flow_version,) if doc.flow_version else ()),
                         catalogue_note((doc.catalogue_version,) if doc.catalogue_version
                                        else ())) if n]
    if notes:  # where the flow and the task's name come from, said once before signing
        story += [lo.gap(2), notes_block(notes)]
    story += _decision(doc)
    return story


def _the_case(doc: SharedCareFormDocument) -> list[Flowable]:
    person = doc.person
    practice = person.gp_practice_name or "Not registered with a GP practice"
    rows: list[tuple[str, lo.Cell]] = [
        ("Name", person.full_name),
        ("Date of birth", lo.uk_date(person.date_of_birth)),
        ("NHS number", person.nhs_number),
        ("Address", "\n".join(person.address_lines)),
        ("GP practice", practice),
        ("Team", person.team),
        ("Task", doc.task_name),
        ("Referred by", doc.referred_by or "Not recorded"),
        ("Delegation status", doc.case_status),
        ("Outcome so far", doc.outcome_title or "Not decided"),
        ("Decided on", lo.uk_date(doc.decided_on)),
    ]
    if doc.outcome_reasons:
        rows.append(("Reasons", "\n".join(f"• {r}" for r in doc.outcome_reasons)))
    rows += resource_rows(doc.resources)
    return [lo.section("1. The case", lo.key_values(rows)), *reused_blocks(doc.resources),
            *what_matters_blocks(doc.what_matters, person.given_name)]


def _funding(doc: SharedCareFormDocument) -> list[Flowable]:
    s = lo.styles()
    blocks: list[Flowable] = [text(doc.funding_proposal or "Not recorded", s.body)]
    if not doc.funding:
        return [lo.section("4. The funding proposal", blocks)]
    total = sum(line.pence_per_week for line in doc.funding)
    table, *notes = funding_table(doc.funding, total)
    blocks += [lo.gap(1), text(f"As on support plan version {doc.plan_version_number}:",
                               s.label), lo.gap(1), table]
    return [lo.section("4. The funding proposal", blocks, keep_rows=1), *notes]


def _interim(doc: SharedCareFormDocument) -> list[Flowable]:
    rows: list[tuple[str, lo.Cell]] = [
        ("Interim funder", doc.interim_funder_name),
        ("Paying since", lo.uk_date(doc.interim_from)),
        ("Dispute reference", doc.dispute_reference or "Not recorded"),
        ("Escalated to the Midlands & Lancashire CSU", lo.yes_no(doc.escalated_to_mlcsu)),
    ]
    return [lo.section("5. Interim funding (without prejudice)",
                       [lo.key_values(rows), lo.gap(1), text(INTERIM_NOTE, lo.styles().small)])]


def _mdt(doc: SharedCareFormDocument) -> list[Flowable]:
    title = "6. The MDT meeting"
    if doc.mdt is None:
        return [lo.section(title, text("No MDT meeting is recorded.", lo.styles().body))]
    mdt = doc.mdt
    blocks: list[Flowable] = [lo.key_values([
        ("Met on", lo.uk_date(mdt.met_on)),
        ("Agreed", lo.yes_no(mdt.consensus)),
        ("Recorded outcome", mdt.decision),
        *([("Notes", mdt.notes)] if mdt.notes else []),
    ])]
    if mdt.attendees:
        blocks += [lo.gap(2), lo.grid(["Attendee", "Role", "Organisation"],
                                      [[a.name, a.role, a.organisation] for a in mdt.attendees],
                                      [58 * mm, 58 * mm, 58 * mm])]
    return [lo.section(title, blocks, keep_rows=2)]


def _decision(doc: SharedCareFormDocument) -> list[Flowable]:
    title = "7. Decision"
    if doc.closed_on is not None:
        rows: list[tuple[str, lo.Cell]] = [
            ("Decision", doc.decision or "Not recorded"),
            ("Closed on", lo.uk_date(doc.closed_on)),
            ("Themes", ", ".join(doc.themes) or "None recorded"),
        ]
        return [lo.section(title, lo.key_values(rows))]
    box = Table([[text("Decision and reasons (to be written by the panel):",
                       lo.styles().label)], [""]],
                colWidths=[lo.FRAME_WIDTH], rowHeights=[None, 45 * mm])
    box.setStyle(lo.table_style([("BOX", (0, 0), (-1, -1), 0.8, lo.RULE),
                             ("VALIGN", (0, 0), (-1, -1), "TOP")]))
    return [lo.section(title, box), lo.gap(2),
            lo.section("8. Signatures", lo.signatures(PANEL_SIGNATORIES))]
