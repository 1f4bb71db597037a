"""The support plan PDF: what a team lead, the person and the provider read and sign.

Sections in the order a care worker needs them: the person, and what matters to them; what
is delegated (per task: exactly what is and is not delegated, how often, equipment, whether
assistive technology was considered and the call frequency reviewed, the "do" and "call the
nurse" thresholds, the named care workers and their sign-off, the partners' assessments
reused); consent and capacity; clinical
oversight and who to call; what to do if something goes wrong; funding; review dates;
notes on where the decision flow and the task names come from (said once, plainly, instead
of internal version ids beside each line); signatures. A superseded version, a worker
whose sign-off is not current and missing consent or oversight are shown as boxed warnings,
not left for the reader to work out. Every stored code reaches the page as words
(``framework.labels``); dates are written out ("1 March 2027").

Built with reportlab platypus (5.1.0 when written; the CVE-2023-33733 fix is in 3.6.13 and
later, and pyproject requires >= 4.0.4). All typed text reaches reportlab through
``markup`` (escaped), never as markup.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from itertools import count

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether, Table

from desktop_app.services.framework.flow import short_version
from desktop_app.services.framework.funding import format_pounds
from desktop_app.services.pdf import layout as lo
from desktop_app.services.pdf.markup import text
from desktop_app.services.pdf.person_centred import (
    resource_rows,
    reused_blocks,
    what_matters_blocks,
)
from desktop_app.services.plans.blocks import (
    Attendee,
    ConsentBlock,
    DelegationPart,
    FundingLine,
    PersonBlock,
    TaskBlock,
    WhatMattersBlock,
    WorkerLine,
)
from desktop_app.services.plans.document import PlanDocument

SIGNATORIES = ("Person or their representative", "Provider manager", "Delegating nurse",
               "Team lead")
TRAINING_LEVELS = {1: "Level 1 (generic)", 2: "Level 2 (enhanced)"}
REVIEW_RULE = ("Reviews are due 3 months after the start, then at least every 12 months, "
               "and whenever the person's needs change. A significant change calls an MDT "
               "meeting.")
NHS_FREE = "NHS share: free to the person"
COUNCIL_SHARE = "Council share"
CONSENT_NOTE = ("The person, or whoever decides for them, can withdraw consent at any time. "
                "Withdrawal suspends the delegation: tell the delegating nurse the same day.")
FRAMEWORK = "the LLR Framework for Integrated Personalised Care"
# What "-reconstructed" in a flow version means (../shared/framework.md §2 and the flow
# file's own provenance): the framework's flowchart was an image and is lost.
REBUILT_FLOW = ("The framework's own decision flowchart (Part A, Appendix A) could not be "
                "recovered, so this flow was put together from the framework's written text, "
                "the county committee's minutes and national guidance. LLR can replace it "
                "with its own flowchart; a decision keeps the version it was made under.")


def render_support_plan(doc: PlanDocument) -> bytes:
    """The plan as PDF bytes (A4, every page marked, numbered and dated)."""
    person = doc.person
    marks = lo.PageMarks(
        subject=f"{person.full_name} · NHS number {person.nhs_number} · born "
                f"{lo.uk_date(person.date_of_birth)}",
        document=f"Support plan · version {doc.version_number}",
        version_line=f"Support plan version {doc.version_number}, effective from "
                     f"{lo.uk_date(doc.effective_from)}",
        printed_line=f"Printed {lo.uk_datetime(doc.printed_at)} by {doc.printed_by}")
    return lo.build_pdf(_story(doc), marks, title=f"Support plan version {doc.version_number}",
                        author=doc.printed_by)


def _story(doc: PlanDocument) -> list[Flowable]:
    """The sections, numbered in order. A version with no task on it (the last delegation
    ended: the task is back with the nursing team) has no consent, oversight, "if something
    goes wrong" or reviews to print, and no warning to "not start the task"."""
    numbers = count(1)

    def numbered(title: str) -> str:
        return f"{next(numbers)}. {title}"

    story: list[Flowable] = [*_title(doc)]
    story += _the_person(doc, numbered("The person"))
    story += _delegated(doc.tasks, numbered("What is delegated"))
    if doc.tasks:
        story += _per_delegation(doc, numbered("Consent and capacity"), _consent,
                                 [text(CONSENT_NOTE, lo.styles().small)])
        story += _per_delegation(doc, numbered("Clinical oversight: who to call"), _oversight)
        story += _if_wrong(doc.tasks, numbered("If something goes wrong"))
    story += _funding(doc.funding, doc.total_pence_per_week, numbered("Funding (per week)"))
    if doc.tasks:
        story += _per_delegation(doc, numbered("Review dates"), _reviews,
                                 [text(REVIEW_RULE, lo.styles().small)])
    story += _notes(doc)  # read before signing
    story += _signatures(doc, numbered("Signatures"))
    return story


def _title(doc: PlanDocument) -> list[Flowable]:
    s = lo.styles()
    blocks: list[Flowable] = [
        text(f"Support plan: {doc.person.full_name}", s.title),
        text("Healthcare tasks delegated to care workers, under the LLR Framework for "
             "Integrated Personalised Care", s.subtitle)]
    if doc.superseded:
        blocks += [lo.banner(f"SUPERSEDED: version {doc.latest_version_number} of this plan "
                             f"exists. Do not use this version {doc.version_number}."),
                   lo.gap()]
    next_review = lo.uk_date(doc.next_review_due, "Not scheduled")
    rows: list[tuple[str, lo.Cell]] = [
        ("Plan version", f"{doc.version_number} (effective from "
                         f"{lo.uk_date(doc.effective_from)})"),
        ("Decision", doc.outcome_title or "Not recorded"),
        *_mdt_rows(doc),
        ("Recorded by", doc.created_by_name),
        ("Next review due", f"{next_review} (overdue)" if doc.review_overdue else next_review),
    ]
    if not doc.tasks:  # nothing delegated: no decision, meeting or review to stand behind
        rows = rows[:1] + [row for row in rows[1:] if row[0] == "Recorded by"]
    blocks.append(lo.key_values(rows))
    if doc.summary:
        blocks += [lo.gap(2), text(doc.summary, s.body)]
    return blocks


def _mdt_rows(doc: PlanDocument) -> list[tuple[str, lo.Cell]]:
    """When the MDT met (and whether it agreed), and who was there."""
    if doc.mdt_agreed is False:
        rows: list[tuple[str, lo.Cell]] = [
            ("MDT meeting", f"{lo.uk_date(doc.mdt_met_on)}: the MDT did not agree, and a "
                            f"shared care discussion was called")]
    else:
        rows = [("Agreed at the MDT on", lo.uk_date(doc.mdt_met_on))]
    if doc.mdt_attendees:
        rows.append(("At the MDT", "\n".join(attendee_line(a) for a in doc.mdt_attendees)))
    return rows


def attendee_line(attendee: Attendee) -> str:
    """"Sam Example, Community nurse (LPT)": the name and role, and where they work."""
    who = ", ".join(part for part in (attendee.name, attendee.role) if part)
    return f"{who} ({attendee.organisation})" if attendee.organisation else who


# ---------------------------------------------------------------- 1. the person


def _the_person(doc: PlanDocument, title: str) -> list[Flowable]:
    person = doc.person
    blocks: list[Flowable] = [lo.section(title, lo.key_values(_person_rows(person)),
                                         keep_rows=3)]
    if person.contacts:
        blocks.append(lo.subsection("People around them", _contacts(person), keep_rows=1))
    words = doc.what_matters or (WhatMattersBlock(doc.person_words, None, None, "")
                                 if doc.person_words else None)
    return blocks + what_matters_blocks(words, person.given_name)


def _person_rows(person: PersonBlock) -> list[tuple[str, lo.Cell]]:
    practice = person.gp_practice_name or "Not registered with a GP practice"
    if person.gp_practice_code:
        practice = f"{practice} ({person.gp_practice_code})"
    rows: list[tuple[str, lo.Cell]] = [
        ("Name", person.full_name),
        ("Preferred name", person.preferred_name or "Not recorded"),
        ("Date of birth", lo.uk_date(person.date_of_birth)),
        ("NHS number", person.nhs_number),
        ("Address", "\n".join(person.address_lines)),
        ("Phone", person.phone or "Not recorded"),
        ("GP practice", practice),
        ("Team", person.team),
        ("Open to community health services", lo.yes_no(person.open_to_community_health)),
    ]
    if person.communication_needs:
        rows.append(("Communication needs", person.communication_needs))
    return rows


def _contacts(person: PersonBlock) -> Table:
    rows = [[c.name, c.kind, c.relationship or "", c.phone or "",
             lo.yes_no(c.can_decide_health_welfare)] for c in person.contacts]
    return lo.grid(["Name", "Who they are", "Relationship", "Phone",
                    "Can decide about health and welfare"],
                   rows, [40 * mm, 42 * mm, 28 * mm, 30 * mm, 34 * mm])


# ---------------------------------------------------------------- 2. what is delegated


def _delegated(tasks: Sequence[TaskBlock], title: str) -> list[Flowable]:
    if not tasks:
        return [lo.section(title,
                           lo.banner("No task is delegated on this plan version."))]
    blocks: list[Flowable] = []
    for number, task in enumerate(tasks, start=1):
        heading = f"Task {number} of {len(tasks)}: {task.task_name}"
        first = lo.key_values(_task_rows(task))
        blocks.append(lo.section(title, first, heading, keep_rows=2)
                      if number == 1 else lo.subsection(heading, first, keep_rows=2))
        blocks += [lo.gap(2), lo.boxes(("Do", task.do_thresholds),
                                       ("Call the nurse if", task.call_nurse_thresholds))]
        blocks.append(_workers(task.workers))
        blocks += reused_blocks(task.resources)
    return blocks


def _task_rows(task: TaskBlock) -> list[tuple[str, lo.Cell]]:
    # The task's name heads it, in the catalogue's words; which catalogue version the
    # names come from is said once, in the notes.
    return [("What is delegated", task.what_is_delegated),
            ("What is NOT delegated", task.what_is_not_delegated),
            ("How often", task.frequency),
            ("Equipment", task.equipment or "None recorded"),
            *resource_rows(task.resources)]


def _workers(workers: Sequence[WorkerLine]) -> Flowable:
    """The named care workers, each with their role under their name; the warning about
    anyone not signed off comes first, and the table may run on to the next page (its
    heading row repeated) rather than leave a gap at the foot of this one."""
    s = lo.styles()
    title = text("Named care workers (signed off for this person and this task only)",
                 s.subsection)
    if not workers:
        return KeepTogether([title, lo.banner("No care worker is named for this task.")])
    rows = [[_worker_name(w), w.provider_name,
             TRAINING_LEVELS.get(w.training_level or 0, "Not recorded"),
             lo.uk_date_short(w.signed_off_on, "Not recorded"),
             lo.uk_date_short(w.refresher_due, "Not recorded"),
             _trained_by(w), w.standing if w.current else f"NOT CURRENT: {w.standing}"]
            for w in workers]
    table = lo.grid(["Care worker (role)", "Provider", "Training", "Signed off",
                     "Refresher due", "Trained / assessed by", "Status"], rows,
                    [29 * mm, 26 * mm, 24 * mm, 20 * mm, 21 * mm, 28 * mm, 26 * mm])
    lead: list[Flowable] = [title]
    not_current = [w.name for w in workers if not w.current]
    if not_current:
        lead += [lo.banner("Must not do this task until signed off again: "
                           + ", ".join(not_current)), lo.gap(2)]
    return lo.KeepWithFirstRows(lead, table, rows=1)


def _worker_name(worker: WorkerLine) -> str:
    """The name, and under it the role the provider register holds for them (the column
    says so: "Care worker (role)")."""
    return f"{worker.name}\n{worker.role_title}" if worker.role_title else worker.name


def _trained_by(worker: WorkerLine) -> str:
    if not worker.trainer_name and not worker.assessor_name:
        return ""
    return f"{worker.trainer_name or '?'} / {worker.assessor_name or '?'}"


# ---------------------------------------------------------------- 3, 4, 7: per delegation


def _per_delegation(doc: PlanDocument, title: str,
                    blocks_of: Callable[[DelegationPart], list[Flowable]],
                    after: Sequence[Flowable] = ()) -> list[Flowable]:
    """A section that belongs to each delegation: once for a plan of one delegation; with
    several, one part per delegation headed by its task(s), so a worker never reads another
    task's consent, numbers to call or review dates (hazard H-033)."""
    parts = doc.parts or (DelegationPart(doc.plan_id, "", doc.consent, doc.oversight,
                                         doc.reviews),)
    if len(parts) == 1:
        return [lo.section(title, blocks_of(parts[0]), keep_rows=2), lo.gap(1), *after]
    story: list[Flowable] = [lo.section(title, text(
        "This plan covers more than one delegated task: each has its own part below.",
        lo.styles().body))]
    for part in parts:
        story.append(lo.subsection(f"For: {part.task_names}", blocks_of(part), keep_rows=2))
    return [*story, lo.gap(1), *after]


def _consent(part: DelegationPart) -> list[Flowable]:
    consent = part.consent
    if consent is None:
        return [lo.banner("No consent is recorded for this plan. Do not start the task.")]
    blocks: list[Flowable] = []
    if not consent.given:
        blocks += [lo.banner(f"{consent.status}: the task must not be done."), lo.gap(2)]
    blocks.append(lo.key_values(_consent_rows(consent)))
    return blocks


def _consent_rows(consent: ConsentBlock) -> list[tuple[str, lo.Cell]]:
    rows: list[tuple[str, lo.Cell]] = [
        ("Decision", consent.status),
        ("Recorded on", lo.uk_date(consent.recorded_on)),
        ("Decided by", f"{consent.given_by}: {consent.given_by_name}"),
        ("How", consent.how),
        ("What was explained", consent.explained or "Not recorded"),
        ("Capacity in doubt", lo.yes_no(consent.capacity_in_doubt)),
    ]
    if consent.capacity_in_doubt:
        rows += [("Decision assessed", consent.capacity_decision or "Not recorded"),
                 ("Assessed on", lo.uk_date(consent.capacity_assessed_on)),
                 ("Assessed by", consent.capacity_assessor or "Not recorded"),
                 ("Outcome", consent.capacity_outcome or "Not recorded")]
    best_interests = [("Best interests: who was consulted", consent.best_interests_consulted),
                      ("Their wishes and feelings", consent.best_interests_wishes_feelings),
                      ("Options considered", consent.best_interests_options),
                      ("Least restrictive choice", consent.best_interests_least_restrictive)]
    rows += [(label, value) for label, value in best_interests if value]
    return rows


# ---------------------------------------------------------------- 4. oversight


def _oversight(part: DelegationPart) -> list[Flowable]:
    oversight = part.oversight
    if oversight is None:
        return [lo.banner("No clinical oversight is recorded. Ask the delegating nurse "
                          "before starting the task.")]
    s = lo.styles()
    phones = lo.key_values([
        ("In hours", text(oversight.phone_in_hours, s.big)),
        ("Out of hours", text(oversight.phone_out_of_hours, s.big)),
        ("In an emergency", text("999", s.big)),
    ])
    details = lo.key_values([
        ("Service", oversight.service),
        ("Organisation", oversight.organisation_name),
        ("Named clinician", oversight.named_clinician or "Not named"),
        *([("Notes", oversight.notes)] if oversight.notes else []),
    ])
    return [phones, lo.gap(2), details]


# ---------------------------------------------------------------- 5. if something goes wrong


def _if_wrong(tasks: Sequence[TaskBlock], title: str) -> list[Flowable]:
    blocks: list[Flowable] = []
    for number, task in enumerate(tasks, start=1):
        # Readings only where the task takes them (or the nurse wrote something there).
        readings = [("If readings are out of range", task.if_out_of_range)] \
            if task.out_of_range_applies else []
        table = lo.key_values([
            ("If the person refuses", task.if_refused),
            ("If a dose or visit is missed", task.if_missed),
            ("If equipment fails", task.if_equipment_fails),
            *readings,
            ("In an emergency", task.in_emergency),
        ])
        heading = f"Task {number}: {task.task_name}"
        blocks.append(lo.section(title, table, heading, keep_rows=2)
                      if number == 1 else lo.subsection(heading, table, keep_rows=2))
    return blocks


# ---------------------------------------------------------------- 6. funding


def _funding(lines: Sequence[FundingLine], total_pence: int, title: str) -> list[Flowable]:
    if not lines:
        return [lo.section(title, text("No funding is recorded for this plan version.",
                                       lo.styles().body))]
    table, *notes = funding_table(lines, total_pence)
    return [lo.section(title, table, keep_rows=1), *notes]


def funding_table(lines: Sequence[FundingLine], total_pence: int) -> list[Flowable]:
    """Each funder's weekly share, the NHS's marked free to the person, and the total: the
    table first, then what it needs said under it."""
    s = lo.styles()
    rows: list[list[lo.Cell]] = [[line.funder_name, line.weekly, _funding_note(line),
                                  line.method, lo.uk_date_short(line.start_date)]
                                 for line in lines]
    rows.append(["Total per week", format_pounds(total_pence), "", "", ""])
    table = lo.grid(["Funder", "Per week", "Share", "How it was worked out", "From"], rows,
                    [42 * mm, 22 * mm, 50 * mm, 36 * mm, 24 * mm], bold_last_row=True)
    blocks: list[Flowable] = [table, lo.gap(1)]
    interim = [line for line in lines
               if line.interim_without_prejudice and line.reconciled_on is None]
    if interim:
        references = sorted({line.dispute_reference for line in interim
                             if line.dispute_reference})
        reference = f" (reference {', '.join(references)})" if references else ""
        blocks.append(text(f"Funded without prejudice while the funding is disputed"
                           f"{reference}: costs are reconciled back to the start once the "
                           f"funding decision is made.", s.body))
    blocks.append(text("The NHS (ICB) share is never charged to the person; only the "
                       "council's share can be means-tested.", s.small))
    return blocks


def _funding_note(line: FundingLine) -> str:
    parts = [NHS_FREE if line.is_nhs else COUNCIL_SHARE]
    if line.lead_commissioner:
        parts.append("lead commissioner")
    if line.reconciled_on:
        parts.append(f"interim reconciled on {lo.uk_date(line.reconciled_on)}")
    return "; ".join(parts)


# ---------------------------------------------------------------- 7. reviews and 8. signatures


def _reviews(part: DelegationPart) -> list[Flowable]:
    if not part.reviews:
        return [lo.banner("No review is scheduled. Ask the team lead to set one.")]
    rows = [[r.kind, lo.uk_date(r.due_on), lo.uk_date(r.done_on, "Not yet done"),
             r.outcome or ""] for r in part.reviews]
    return [lo.grid(["Review", "Due", "Done", "Outcome"], rows,
                    [46 * mm, 40 * mm, 40 * mm, 48 * mm])]


def _signatures(doc: PlanDocument, title: str) -> list[Flowable]:
    s = lo.styles()
    intro = text(f"By signing, each person confirms they have read version "
                 f"{doc.version_number} of this plan and agree to it.", s.body)
    return [lo.section(title, [intro, lo.gap(1), lo.signatures(SIGNATORIES)])]


# ---------------------------------------------------------------- notes


def _notes(doc: PlanDocument) -> list[Flowable]:
    lines = [line for line in (flow_note(doc.flow_versions),
                               catalogue_note(doc.catalogue_versions)) if line]
    if not lines:
        return []
    return [lo.gap(2), notes_block(lines)]


def notes_block(lines: Sequence[str]) -> KeepTogether:
    """"About this document": where its decision flow and task names come from."""
    s = lo.styles()
    return KeepTogether([text("About this document", s.subsection),
                         *(text(line, s.small) for line in lines)])


def flow_note(versions: Sequence[str]) -> str | None:
    """Which delegation flow the decision(s) were made with, and where that flow comes
    from, said once in plain words (a version id such as "2026.2-reconstructed" beside the
    decision worried the people signing). None when no version is recorded."""
    if not versions:
        return None
    shown = sorted({short_version(v) for v in versions}, key=_version_order)
    which = (f"version {shown[0]}" if len(shown) == 1
             else f"versions {', '.join(shown[:-1])} and {shown[-1]}")
    note = f"Decided with the delegation flow of {FRAMEWORK} ({which})."
    if any(v.endswith("-reconstructed") for v in versions):
        note += " " + REBUILT_FLOW
    return note


def _version_order(version: str) -> tuple[int, ...]:
    """"2026.2" before "2026.10"."""
    return tuple(int(part) if part.isdigit() else 0 for part in version.split("."))


def catalogue_note(versions: Sequence[str]) -> str | None:
    """Which task catalogue the task names are taken from."""
    if not versions:
        return None
    shown = sorted(set(versions), key=_version_order)
    word = "version" if len(shown) == 1 else "versions"
    return f"Tasks are named as in the app's task catalogue ({word} {' and '.join(shown)})."
