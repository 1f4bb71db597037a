"""The outcome codes a delegation flow may end in (framework §2).

The laptop's ``desktop_app.models.delegation.OutcomeCode`` is the same set (a test holds
the two equal); the store has no models of decisions, so the flow rules take the list
from here.
"""

from __future__ import annotations

from typing import Final

OUTCOME_CODES: Final = (
    "REFER_CHC",
    "SOCIAL_CARE_ONLY",
    "NOT_DELEGATED",
    "PERSON_DECLINED",
    "NO_PROVIDER",
    "DELEGATED_EXISTING_PACKAGE",
    "DELEGATED_HEALTH_FUNDED",
    "DELEGATED_JOINT_FUNDED",
    "ESCALATED_SHARED_CARE",
    "INTERIM_WITHOUT_PREJUDICE",
    "WITHDRAWN",
)
#: The review's "carry on" (step S11): an outcome of the review route, not a decision.
CONTINUE: Final = "CONTINUE"
