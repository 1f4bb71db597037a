"""The last page: the outcome, why, and what happens next."""

from __future__ import annotations

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWizardPage

from desktop_app.services.framework.flow import Flow
from desktop_app.services.framework.outcomes import describe
from desktop_app.services.framework.review_schedule import HOW_DATES_ARE_COUNTED
from desktop_app.ui.wizard.base import PersonBanner, escape_text, page_host
from desktop_app.ui.wizard.context import WizardContext


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
        layout = QVBoxLayout(self)
        layout.addWidget(PersonBanner(context))
        layout.addWidget(self.summary)
        layout.addStretch(1)
        layout.addWidget(self.message)
        self.setFinalPage(True)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        result = page_host(self).evaluate()
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
            + (f"<p><b>{self.tr('How review dates are counted')}</b><br>"
               f"{escape_text(HOW_DATES_ARE_COUNTED)}</p>" if text.delegated else "")
            + f"<p style='color:#555'>{self.tr('Decided under flow version')} "
            f"{escape_text(result.flow_version)}.</p>")

    def nextId(self) -> int:  # noqa: N802
        return -1

    def show_problem(self, text: str) -> None:
        """Show why the decision could not be recorded; the answers stay."""
        self.message.setText(text)
        self.message.show()
