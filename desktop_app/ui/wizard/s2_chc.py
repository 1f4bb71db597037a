"""S2: the Continuing Healthcare screen."""

from __future__ import annotations

from typing import Any

from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import DateField, YesNo


class ChcPage(StepPage):
    """Is the CHC Checklist positive? If so, refer for CHC instead of delegating."""

    step_id = "S2"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.positive = YesNo(self.label("chc_checklist_positive"),
                              self.tr("&Yes, positive"), self.tr("N&o, negative"))
        self.checked_on = DateField(self.label("checklist_date"))
        self.form.addRow(self.tr("CHC Checklist:"), self.positive)
        self.form.addRow(self.tr("Checklist &date:"), self.checked_on)

    def answers(self) -> dict[str, Any]:
        return {"chc_checklist_positive": self.positive.value(),
                "checklist_date": self.checked_on.value()}

    def load(self, answers: dict[str, Any]) -> None:
        self.positive.set_value(answers.get("chc_checklist_positive"))
        self.checked_on.set_value(answers.get("checklist_date"))
