"""The registers: reviews due (and what a review records), the competency register,
escalations and the lists that follow a decision up, case examples, and staff's practical
problems with the framework reported to the IPCB.

One small read function per register, with the filtering and sorting done in SQL, and one
function per write. Every function opens one unit of work and returns frozen rows; no ORM
object leaves it."""

from desktop_app.services.framework.refresher import EXPIRING_WITHIN_DAYS, Expiry
from desktop_app.services.registers.agreed_funding import AgreedFunding
from desktop_app.services.registers.case_examples import (
    CaseExampleRow,
    case_example_themes,
    case_examples,
)
from desktop_app.services.registers.common import (
    task_categories,
)
from desktop_app.services.registers.competency import (
    AssessmentChoices,
    CompetencyRow,
    Option,
    assessment_choices,
    competency_register,
    withdraw_sign_off,
)
from desktop_app.services.registers.escalations import (
    ClosedDiscussion,
    EscalationRow,
    WaitingFor,
    close_discussion,
    escalations,
    identifying_details,
)
from desktop_app.services.registers.follow_up import (
    ChangeOfNeedRow,
    FundingToReconsiderRow,
    changes_of_need_awaiting_mdt,
    funding_to_reconsider,
    record_funding_reconsidered,
)
from desktop_app.services.registers.framework_problems import (
    ProblemInput,
    ProblemRow,
    about_label,
    problem_topics,
    problems,
    report_problem,
    set_problem_status,
)
from desktop_app.services.registers.interim import (
    InterimLine,
    InterimToReconcileRow,
    ReconciledInterim,
    interim_paid,
    interim_to_reconcile,
    reconcile_interim,
    record_csu_result,
    record_csu_routed,
)
from desktop_app.services.registers.reviews import (
    LookAgainRow,
    ReconsiderKind,
    ReconsiderRow,
    RecordedReview,
    ReviewDueRow,
    look_again_due,
    reconsider_list,
    record_review,
    reviews_due,
)

__all__ = [
    "AgreedFunding",
    "AssessmentChoices",
    "CaseExampleRow",
    "ChangeOfNeedRow",
    "ClosedDiscussion",
    "CompetencyRow",
    "EXPIRING_WITHIN_DAYS",
    "EscalationRow",
    "Expiry",
    "FundingToReconsiderRow",
    "InterimLine",
    "InterimToReconcileRow",
    "LookAgainRow",
    "Option",
    "ProblemInput",
    "ProblemRow",
    "ReconciledInterim",
    "ReconsiderKind",
    "ReconsiderRow",
    "RecordedReview",
    "ReviewDueRow",
    "WaitingFor",
    "about_label",
    "assessment_choices",
    "case_example_themes",
    "case_examples",
    "changes_of_need_awaiting_mdt",
    "close_discussion",
    "competency_register",
    "escalations",
    "funding_to_reconsider",
    "identifying_details",
    "interim_paid",
    "interim_to_reconcile",
    "look_again_due",
    "problem_topics",
    "problems",
    "reconcile_interim",
    "reconsider_list",
    "record_csu_result",
    "record_csu_routed",
    "record_funding_reconsidered",
    "record_review",
    "report_problem",
    "reviews_due",
    "set_problem_status",
    "task_categories",
    "withdraw_sign_off",
]
