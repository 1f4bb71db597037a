"""The framework's principles in the demo, recorded as users record them: signposting,
partners' assessments on file, Care Act eligibility screens, and practical problems staff
reported to the IPCB with what the IPCB did with them."""

from __future__ import annotations

import datetime as dt

from desktop_app.services.core.uow import UnitOfWork

DEMO_SIGNPOSTS = ["Falls prevention service", "Carers' support and carer's assessment",
                  "Befriending and loneliness support", "Welfare benefits and money advice"]


def seed_demo_person_centred(uow: UnitOfWork, count: int = 30) -> dict[str, str]:
    """Make Every Contact Count, trusted assessment and Care Act eligibility on the first
    records, as users record them: a signposting or referral on a visit or a call, the
    council's Care Act needs assessment on file (over a year old for some, to check before
    reuse) and, for every third person, an eligibility screen with the practitioner's
    decision. Returns each person's assessment id (the delegations reuse some)."""
    from sqlalchemy import select

    from desktop_app.models.person import Person
    from desktop_app.services.people import eligibility_screen as screen
    from desktop_app.services.people import person_centred, signposting

    today = dt.date.today()
    with uow.read() as session:
        ids = list(session.scalars(select(Person.id).order_by(Person.nhs_number).limit(count)))
    on_file = {}
    for turn, person_id in enumerate(ids):
        signposting.record_signposting(uow, person_id, signposting.SignpostingInput(
            today - dt.timedelta(days=5 + 11 * turn), "phone_call" if turn % 3 else "visit",
            "carer" if turn % 4 == 1 else "person", "signposted" if turn % 3 else "referred",
            DEMO_SIGNPOSTS[turn % 4]), "Demo Nurse", today)
        on_file[person_id] = person_centred.record_assessment(
            uow, person_id, person_centred.AssessmentInput(
                "care_act_needs", "Leicester City Council", "Demo Social Worker",
                today - dt.timedelta(days=470 + 15 * turn), "Eligible: personal care needs"),
            "Demo Nurse", today)
        if turn % 3 == 0:
            eligible = turn % 2 == 0
            screen.record_eligibility(uow, person_id, screen.EligibilityInput(
                today - dt.timedelta(days=30 + turn), True, {"nutrition": ["needs_assistance"],
                "personal_hygiene": ["takes_significantly_longer"] if eligible else []},
                eligible, "eligible" if eligible else "not_eligible",
                "Meals and washing need help" if eligible else "Manages with the family's help"),
                "Demo Social Worker", today)
    return on_file


DEMO_PROBLEMS = [
    ("funding", "The funding split rule for a shared task was unclear to the council's "
                "brokerage team: who pays the travel time between two calls?", None, None),
    ("S6", "At S6 the wizard asked who decides for the person, but the family's lasting power "
           "of attorney was for property and finance only, and the team was unsure what to do.",
     "discussed", None),
    ("S9", "At S9 the call frequency review has no answer for a task done at a call the person "
           "pays for privately.", "ruling_issued",
     "Record the private call as an existing call; the council does not fund it."),
]


def seed_demo_problem_reports(reporter: UnitOfWork, lead: UnitOfWork, today: dt.date) -> None:
    """Three practical problems a nurse reported to the IPCB; the team lead records that
    the IPCB discussed one and issued a ruling on another."""
    from desktop_app.services.registers import framework_problems as problems

    for turn, (about, text, status, ruling) in enumerate(DEMO_PROBLEMS):
        reported = today - dt.timedelta(days=9 + 20 * turn)
        problem_id = problems.report_problem(reporter, problems.ProblemInput(about, text),
                                             "Demo Nurse", reported)
        if status is None:
            continue
        version = next(p.version for p in problems.problems(lead) if p.problem_id == problem_id)
        if status == "ruling_issued":
            version = problems.set_problem_status(lead, problem_id, "discussed", None,
                                                  "Demo Team Lead", version,
                                                  reported + dt.timedelta(days=7)).version
        problems.set_problem_status(lead, problem_id, status, ruling, "Demo Team Lead", version,
                                    reported + dt.timedelta(days=14))
