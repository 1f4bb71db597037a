"""S2: the Continuing Healthcare screen.

A partner's CHC Checklist can be reused instead of repeated (``reuse_box.ReuseBox``, the
answer ``reused_assessment``).
"""

from __future__ import annotations

from typing import Any

from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import DateField, YesNo
from desktop_app.ui.wizard.reuse_box import ReuseBox, ReusingPage


class ChcPage(ReusingPage):
    """Is the CHC Checklist positive? If so, refer for CHC instead of delegating."""

    step_id = "S2"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.positive = YesNo(self.label("chc_checklist_positive"),
                              self.tr("&Yes, positive"), self.tr("N&o, negative"))
        self.checked_on = DateField(self.label("checklist_date"))
        self.form.addRow(self.tr("CHC Checklist:"), self.positive)
        self.form.addRow(self.tr("Checklist &date:"), self.checked_on)
        self.reuse_box = ReuseBox(context, self.step_id)
        self.form.addRow(self.reuse_box)

    def answers(self) -> dict[str, Any]:
        values: dict[str, Any] = {"chc_checklist_positive": self.positive.value(),
                                  "checklist_date": self.checked_on.value()}
        reused = self.reuse_box.value()
        if reused is not None:
            values["reused_assessment"] = reused
        return values

    def load(self, answers: dict[str, Any]) -> None:
        self.positive.set_value(answers.get("chc_checklist_positive"))
        self.checked_on.set_value(answers.get("checklist_date"))
        self.reuse_box.set_value(answers.get("reused_assessment"))
