"""A delegation from the wizard's first answer to the recorded decision: drafts, the
wizard's context, the checks ``decide`` makes before anything is written, and the plan
that follows.
"""

from desktop_app.services.delegation.cases import (
    BEST_INTERESTS,
    CONTACT_KINDS,
    FOR_SOMEONE_ELSE,
    Decision,
    DraftSummary,
    decide,
    discard_draft,
    drafts,
    facts_for,
    plan_without,
    save_draft,
    uk_day,
    wizard_context,
)

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
    "plan_without",
    "save_draft",
    "uk_day",
    "wizard_context",
]
