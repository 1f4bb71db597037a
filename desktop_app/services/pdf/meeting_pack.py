"""The two-weekly joint meeting pack as PDF: the cases the partners must decide.

Health and care partners meet every two weeks to review cases and apportion
responsibilities and costs (framework §5). One page-marked PDF lists, in three parts, the
open shared care discussions waiting for the MDT's consensus, those waiting for a funding
decision, and interim (without prejudice) funding waiting to be reconciled. Each case
shows who and which task, how long it has waited, the question and the options, the
proposed split per funder per week (the NHS share marked free to the person), and room
to write the meeting's decision. A fourth part lists the practical problems with the
framework staff reported to the IPCB (framework §5.0) not yet ruled on, with room for the
answer, and the rulings issued in the last four weeks, to pass on.

Same page marks and escaping as the support plan (``layout``, ``markup``).
"""

from __future__ import annotations

from reportlab.lib.units import mm
from reportlab.platypus import Flowable, KeepTogether

from desktop_app.services.framework.funding import format_pounds
from desktop_app.services.pdf import layout as lo
from desktop_app.services.pdf.markup import text
from desktop_app.services.registers.framework_problems import ProblemRow
from desktop_app.services.reports.meeting_pack import MeetingPack, PackCase, SplitLine

PARTS = (
    ("Awaiting the MDT's consensus",
     "Shared care discussions still open because the MDT could not agree."),
    ("Awaiting a funding decision",
     "Shared care discussions about who pays, including disputes taken to the Midlands & "
     "Lancashire CSU."),
    ("Interim funding awaiting reconciliation",
     "Care went ahead funded by Health without prejudice; the costs are to be reconciled "
     "back to the start."),
)
PROBLEMS = ("Problems reported to the IPCB",
            "Practical problems staff reported with the use of the framework, anonymised: "
            "those not yet ruled on, and the rulings issued in the last four weeks, to "
            "pass on to every team.")
NO_PROBLEMS = ("No reported problem is waiting for the IPCB, and no ruling was issued in "
               "the last four weeks.")
NHS_FREE = "NHS share: free to the person"
SPACE_TO_WRITE = "\n\n\n"


def render_meeting_pack(pack: MeetingPack) -> bytes:
    """The pack as PDF bytes (A4, every page marked, numbered and dated)."""
    team = pack.team or "All teams"
    marks = lo.PageMarks(
        subject=f"Two-weekly joint meeting · {lo.uk_date(pack.as_of)} · {team}",
        document="Joint meeting pack",
        version_line=f"Cases as on {lo.uk_date(pack.as_of)}",
        printed_line=f"Produced {lo.uk_datetime(pack.produced_at)} by {pack.produced_by}")
    return lo.build_pdf(_story(pack), marks, title="Two-weekly joint meeting pack",
                        author=pack.produced_by)


def _story(pack: MeetingPack) -> list[Flowable]:
    s = lo.styles()
    parts = (pack.awaiting_consensus, pack.awaiting_funding, pack.awaiting_reconciliation)
    story: list[Flowable] = [
        text("Two-weekly joint meeting: cases to decide", s.title),
        text("Health and care partners review cases and apportion responsibilities and "
             "costs (LLR Framework for Integrated Personalised Care).", s.subtitle),
        lo.key_values([("Meeting day", lo.uk_date(pack.as_of)),
                       ("Team", pack.team or "All teams"),
                       *((title, f"{len(cases)}") for (title, _), cases in zip(PARTS, parts,
                                                                               strict=True)),
                       (PROBLEMS[0], f"{len(pack.problems)}"),
                       ("Produced", f"{lo.uk_datetime(pack.produced_at)} by "
                                    f"{pack.produced_by}")], label_width=60 * mm)]
    for number, ((title, about), cases) in enumerate(zip(PARTS, parts, strict=True), start=1):
        intro: list[Flowable] = [text(about, s.body)]
        if not cases:
            story.append(lo.section(f"{number}. {title}", [*intro, text("None.", s.body)]))
        for index, case in enumerate(cases):
            heading = text(f"{case.person_name} · NHS number {case.nhs_number} · "
                           f"{case.task_name}", s.subsection)
            # The part's heading stays with its first case; each case's heading with its details.
            first = [*intro] if index == 0 else []
            story.append(lo.section(f"{number}. {title}", [*first, heading, _details(case)])
                         if index == 0 else KeepTogether([heading, _details(case)]))
            story += [*_split(case), lo.gap(4)]
    return story + _problems(pack.problems, len(PARTS) + 1)


def _problems(problems: tuple[ProblemRow, ...], number: int) -> list[Flowable]:
    s = lo.styles()
    title, about = PROBLEMS
    intro: list[Flowable] = [text(about, s.body)]
    if not problems:
        return [lo.section(f"{number}. {title}", [*intro, text(NO_PROBLEMS, s.body)])]
    story: list[Flowable] = []
    for index, problem in enumerate(problems):
        heading = text(f"{problem.about_label} · reported {lo.uk_date(problem.reported_on)}",
                       s.subsection)
        first = [*intro] if index == 0 else []
        story += [lo.section(f"{number}. {title}", [*first, heading, _problem(problem)])
                  if index == 0 else KeepTogether([heading, _problem(problem)]), lo.gap(4)]
    return story


def _problem(problem: ProblemRow) -> Flowable:
    status = problem.status_label
    if problem.status_on is not None:
        by = f", {problem.status_by_name}" if problem.status_by_name else ""
        status += f" ({lo.uk_date(problem.status_on)}{by})"
    rows: list[tuple[str, lo.Cell]] = [
        ("What happened", problem.what_happened),
        ("Reported by", problem.reported_by_name),
        ("Status", status)]
    if problem.ruling:
        rows.append(("Ruling" if problem.status == "ruling_issued" else "Note", problem.ruling))
    if problem.status != "ruling_issued":
        rows.append(("The IPCB's answer", SPACE_TO_WRITE))
    return lo.key_values(rows, label_width=40 * mm)


def _details(case: PackCase) -> Flowable:
    waited = f"{lo.uk_date(case.waiting_since)} ({case.days_waiting} days)"
    reconciling = case.waiting_for == "reconciliation"
    rows: list[tuple[str, lo.Cell]] = [
        ("Team", case.team),
        ("Decided, awaiting reconciliation since" if reconciling else "Waiting since", waited),
        ("Question", case.question or "Not recorded"),
        ("Options", case.options or "Not recorded"),
        ("Funding proposal", case.funding_proposal or "Not recorded"),
    ]
    if case.decision:
        rows.append(("Decision", case.decision))
    if case.interim_funder_name:
        rows.append(("Paid without prejudice by",
                     f"{case.interim_funder_name} since {lo.uk_date(case.interim_from)}"))
    rows += [("Dispute reference", case.dispute_reference or "None"),
             ("Escalated to the Midlands & Lancashire CSU", lo.yes_no(case.escalated_to_mlcsu)),
             ("Meeting's decision", SPACE_TO_WRITE)]
    return lo.key_values(rows, label_width=52 * mm)


def _split(case: PackCase) -> list[Flowable]:
    s = lo.styles()
    if not case.split:
        return [lo.gap(1), text("No funding split is on a support plan for this delegation "
                                "yet: see the funding proposal.", s.small)]
    rows: list[list[lo.Cell]] = [
        [line.funder_name, line.weekly, _share(line), line.method,
         lo.uk_date_short(line.start_date), lo.yes_no(line.interim)]
        for line in case.split]
    rows.append(["Total per week", format_pounds(case.total_pence_per_week), "", "", "", ""])
    version = case.plan_version_number
    table = lo.grid(["Funder", "Per week", "Share", "How it was worked out", "From", "Interim"],
                    rows, [40 * mm, 20 * mm, 42 * mm, 34 * mm, 20 * mm, 18 * mm],
                    bold_last_row=True)
    return [lo.gap(1), KeepTogether([
        text(f"Proposed split (support plan version {version}):", s.label), lo.gap(1), table])]


def _share(line: SplitLine) -> str:
    share = NHS_FREE if line.funder == "icb" else "Council share"
    return f"{share}; lead commissioner" if line.lead_commissioner else share
