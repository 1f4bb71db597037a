"""The last page: the outcome, why, what happens next, and when the first review is due.

A delegation's first review date is worked out here exactly as recording the decision
will work it out: the day the care starts (``delegation.checks.care_starts_on``: the date
given on S10, else the extra care's start on S9F, else the day it is recorded) and
``review_schedule.first_review``. The whole rule for later reviews is in the user help;
the page says it in one sentence.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QDate, QLocale, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWizardPage

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.delegation.checks import care_starts_on
from desktop_app.services.delegation.decision import on_route
from desktop_app.services.framework.flow import Flow, short_version
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.framework.review_schedule import FIRST_REVIEW_MONTHS, first_review
from desktop_app.ui.wizard.base import PageScroll, PersonBanner, escape_text, page_host
from desktop_app.ui.wizard.context import WizardContext

UK = QLocale(QLocale.Language.English, QLocale.Country.UnitedKingdom)


def long_day(day: dt.date) -> str:
    """``Monday 4 January 2027``, in English whatever the laptop's language."""
    return UK.toString(QDate(day.year, day.month, day.day), "dddd d MMMM yyyy")


class OutcomePage(QWizardPage):
    """Shows the decision the answers lead to before it is recorded."""

    def __init__(self, context: WizardContext, flow: Flow) -> None:
        super().__init__()
        self.flow = flow
        self.setTitle(self.tr("Outcome"))
        self.setSubTitle(self.tr("Check the outcome, then press Finish to record it."))
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(self.tr("Outcome and next steps"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a00000; font-weight: bold;")
        self.message.hide()
        self.page_scroll = PageScroll()  # the summary scrolls in a small window
        body = QVBoxLayout(self.page_scroll.inner)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.summary)
        body.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(PersonBanner(context))
        layout.addWidget(self.page_scroll, 1)
        layout.addWidget(self.message)
        self.setFinalPage(True)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.message.hide()
        host = page_host(self)
        result = host.evaluate()
        if not result.decided or result.outcome is None:
            self.summary.setText(self.tr("The answers do not reach an outcome yet."))
            return
        text = describe(result.outcome)
        reasons = "".join(f"<li>{escape_text(r)}</li>" for r in result.reasons)
        steps = "".join(f"<li>{escape_text(s)}</li>" for s in text.next_steps)
        self.summary.setText(
            f"<h2>{escape_text(text.title)}</h2>"
            f"<p><b>{self.tr('Why')}</b></p><ul>{reasons}</ul>"
            f"<p><b>{self.tr('What happens next')}</b></p><ul>{steps}</ul>"
            # Worked out from the route's answers only, as decide() records it (H-010).
            + (self._reviews_html(on_route(host.answers, result), dt.date.today())
               if text.delegated else "")
            + "<p style='color:#555'>" + escape_text(
                self.tr("Decided with the delegation flow version %s.")
                % short_version(result.flow_version)) + "</p>")

    def _reviews_html(self, answers: dict[str, dict[str, Any]], today: dt.date) -> str:
        """The first review's date, worked out as recording the decision will, and the rule
        for later reviews in one sentence; a start date that cannot be used is said under
        the summary, in red, with where to change it."""
        try:
            starts = care_starts_on(answers, today)
        except ValidationError as error:
            self.show_problem(self.tr("%s Go back to step S10 and check it.") % error.message)
            return ""
        s9f = answers.get("S9F", {})
        given = bool(answers.get("S10", {}).get("care_starts_on") or s9f.get("start_date")
                     or (s9f.get("inputs") or {}).get("start_date"))
        months = self.tr("%d months after the care starts on %s") % (
            FIRST_REVIEW_MONTHS, long_day(starts))
        if not given:
            months += self.tr(", today, as no start date was given on step S10")
        first = self.tr("First review due: <b>%s</b> (%s).") % (
            long_day(first_review(starts).due_on), escape_text(months))
        later = escape_text(self.tr(
            "After that, a review at least every 12 months, counted from the day the last "
            "one was done, and whenever the person's needs change."))
        return f"<p><b>{self.tr('Reviews')}</b><br>{first}<br>{later}</p>"

    def nextId(self) -> int:  # noqa: N802
        return -1

    def show_problem(self, text: str) -> None:
        """Show why the decision could not be recorded; the answers stay."""
        self.message.setText(text)
        self.message.show()
