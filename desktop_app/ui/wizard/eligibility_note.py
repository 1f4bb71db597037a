"""The person's latest Care Act eligibility screen as the wizard shows it (S1 beside "a
social care need", S5): the practitioner's decision, the software's suggestion beside it,
how old the screen is, and that the software only suggests (hazard H-045)."""

from __future__ import annotations

from desktop_app.services.framework.eligibility import DISCLAIMER
from desktop_app.services.framework.person_centred import (
    ELIGIBILITY_DECISION_LABELS,
    SUGGESTION_LABELS,
    age_in_words,
    is_stale,
)
from desktop_app.ui.tables import uk_date
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.s3_excluded import Notice


class EligibilityNote(Notice):
    """The person's latest Care Act eligibility screen, read only; a warning when there is
    none or it is over a year old."""

    def __init__(self, context: WizardContext) -> None:
        super().__init__(self.tr("Care Act eligibility"), "info")
        screen = context.eligibility
        if screen is None:
            self.set_message(self.tr(
                "<b>No Care Act eligibility screen on file:</b> record one on the person "
                "record (Eligibility tab)."), "warning")
            return
        decision = ELIGIBILITY_DECISION_LABELS.get(screen.decision, screen.decision)
        suggestion = SUGGESTION_LABELS.get(screen.suggestion, screen.suggestion)
        reason = screen.decision_reason.strip()
        today = context.today or screen.screened_on
        stale = is_stale(screen.screened_on, today)
        self.set_message(self.tr(
            "<b>Care Act eligibility screen on %s (%s): %s</b> (the software suggested: %s), "
            "by %s%s %s%s") % (
            uk_date(screen.screened_on), escape_text(age_in_words(screen.screened_on, today)),
            escape_text(self.tr(decision)), escape_text(self.tr(suggestion)),
            escape_text(screen.decided_by), f": {escape_text(reason)}" if reason else ".",
            escape_text(self.tr(DISCLAIMER)),
            self.tr(" <b>Over a year old:</b> check it still holds.") if stale else ""),
            "warning" if stale else "info")
