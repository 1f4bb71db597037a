"""A delegation from the wizard's first answer to the recorded decision: drafts and the
wizard's context (``drafting``), the answers as the services read them (``answers``), the
checks ``decide`` makes before anything is written (``checks``), the decision and what is
recorded with it (``decision``, with the framework's principles: ``principles``), and the
support plan versions that follow (``plan``).
"""

from desktop_app.services.delegation.answers import facts_for
from desktop_app.services.delegation.checks import (
    BEST_INTERESTS,
    CONTACT_KINDS,
    FOR_SOMEONE_ELSE,
    uk_day,
)
from desktop_app.services.delegation.decision import Decision, decide
from desktop_app.services.delegation.drafting import (
    DraftSummary,
    discard_draft,
    drafts,
    offered_providers,
    save_draft,
    wizard_context,
)
from desktop_app.services.delegation.plan import issue_plan_with_what_matters, plan_without

__all__ = [
    "BEST_INTERESTS",
    "CONTACT_KINDS",
    "Decision",
    "DraftSummary",
    "FOR_SOMEONE_ELSE",
    "decide",
    "discard_draft",
    "drafts",
    "facts_for",
    "issue_plan_with_what_matters",
    "offered_providers",
    "plan_without",
    "save_draft",
    "uk_day",
    "wizard_context",
]
