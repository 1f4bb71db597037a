"""The words and codes the reports need, as the laptop's reports use them.

The store cannot import the desktop app (tests/test_layering.py), so the few labels the
governance reports print are written here once more; tests/store_console/
test_ipcb_reports.py holds every table here equal to the laptop's own (outcome titles,
funder and payer names, review kinds, the equality report's characteristics and groups),
so a change on the laptop that is not made here fails a test instead of drifting.
"""

from __future__ import annotations

# The delegation flow's outcomes (desktop_app.models.delegation.OutcomeCode) with their
# titles (desktop_app.services.framework.outcomes), in the laptop's order.
OUTCOME_TITLES: dict[str, str] = {
    "REFER_CHC": "Refer for NHS Continuing Healthcare",
    "SOCIAL_CARE_ONLY": "A social care need: nothing to delegate",
    "NOT_DELEGATED": "Not delegated: Health keeps the task",
    "PERSON_DECLINED": "The person declined",
    "NO_PROVIDER": "No provider has accepted the task",
    "DELEGATED_EXISTING_PACKAGE": "Delegated within the existing package",
    "DELEGATED_HEALTH_FUNDED": "Delegated, extra time funded by the NHS",
    "DELEGATED_JOINT_FUNDED": "Delegated, jointly funded",
    "ESCALATED_SHARED_CARE": "Escalated to a shared care discussion",
    "INTERIM_WITHOUT_PREJUDICE": "Care goes ahead, funded without prejudice",
    "WITHDRAWN": "Delegation withdrawn: the task returns to Health",
}
WITHDRAWN = "WITHDRAWN"
ESCALATED = "ESCALATED_SHARED_CARE"
# The outcomes that delegate the task: a care worker does it.
DELEGATED = ("DELEGATED_EXISTING_PACKAGE", "DELEGATED_HEALTH_FUNDED", "DELEGATED_JOINT_FUNDED",
             "INTERIM_WITHOUT_PREJUDICE")

# case_event kinds (desktop_app.models.history.CaseEventKind) the reports count.
DECIDED = "decided"
WITHDRAWALS = (("withdrawn_at_review", "Withdrawn at a review"),
               ("consent_withdrawn", "Consent withdrawn"),
               ("need_changed", "The person's need changed"))
WITHDRAWAL_KINDS = tuple(kind for kind, _ in WITHDRAWALS)
NO_TASK = ("no_task", "No healthcare task: a social care need")

# Funders (desktop_app.models.plan.Funder; names from services.framework.funding).
ICB = "icb"
COUNCILS = ("leicester_city", "leicestershire_county", "rutland_county")
FUNDER_NAMES: dict[str, str] = {
    "icb": "LLR ICB",
    "leicester_city": "Leicester City Council",
    "leicestershire_county": "Leicestershire County Council",
    "rutland_county": "Rutland County Council",
}
BACKFILL_PAYERS: dict[str, str] = {
    "icb": "LLR ICB",
    "council": "The council",
    "provider": "The care provider",
}

REVIEW_KINDS: dict[str, str] = {
    "three_month": "3-month review",
    "annual": "Annual review",
    "change_of_need": "Change-of-need review",
}

# Competency sign-offs (desktop_app.services.framework.refresher, models.competency).
EXPIRING_WITHIN_DAYS = 60
SIGN_OFF_CURRENT = "current"
SIGN_OFF_SUSPENDED = "suspended"

# Equality monitoring (desktop_app.services.reports.equality, models.person).
PREFER_NOT_TO_SAY = "prefer_not_to_say"
CHARACTERISTICS = (
    ("age", "Age"),
    ("eq_disability", "Disability"),
    ("eq_gender_reassignment", "Gender reassignment"),
    ("eq_marriage_civil_partnership", "Marriage or civil partnership"),
    ("eq_pregnancy_maternity", "Pregnancy or maternity"),
    ("eq_ethnicity", "Race (ethnicity)"),
    ("eq_religion_belief", "Religion or belief"),
    ("eq_sex", "Sex"),
    ("eq_sexual_orientation", "Sexual orientation"),
)
GROUPS = ("Delegated", "Escalated to shared care", "Not delegated", "Withdrawn")
AGE_BANDS = ((65, "Under 65"), (75, "65 to 74"), (85, "75 to 84"), (None, "85 and over"))

# Framework problem reports (models.person_centred.ProblemStatus; labels from
# services.framework.person_centred.PROBLEM_STATUS_LABELS).
PROBLEM_STATUSES: dict[str, str] = {
    "received": "Received",
    "discussed": "Discussed by the IPCB",
    "ruling_issued": "Ruling issued",
}
# What a problem can be about besides a flow step (services.framework.person_centred).
PROBLEM_AREAS: dict[str, str] = {
    "tasks": "The task catalogue (what can be delegated)",
    "eligibility": "Care Act eligibility",
    "consent": "Consent and capacity",
    "training": "Training and competence",
    "oversight": "Clinical oversight",
    "funding": "Funding and its split",
    "reviews": "Reviews",
    "disputes": "Shared care discussions and disputes",
    "other": "Something else",
}
