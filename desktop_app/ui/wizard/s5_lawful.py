"""S5: can the council lawfully do it (section 22 Care Act)?

A "no" does not end the flow: the task can still be delegated, but the NHS must fund all
of it. The page says so as soon as "no" is chosen, so nobody stops here by mistake.

The person's latest Care Act eligibility screen (or that there is none) is shown with the
question: whether the council provides care is where eligibility counts (section 4).
"""

from __future__ import annotations

from typing import Any

from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.eligibility_note import EligibilityNote
from desktop_app.ui.wizard.fields import Para, YesNo
from desktop_app.ui.wizard.s3_excluded import Notice


class LawfulPage(StepPage):
    """Is the task incidental or ancillary to the council's own care? If not, Health pays."""

    step_id = "S5"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.lawful = YesNo(self.label("incidental_or_ancillary"),
                            self.tr("&Yes, the council can provide it"),
                            self.tr("N&o, the NHS must fund it"))
        self.reason = Para(self.label("no_reason"),
                           self.tr("e.g. it needs more than a care worker could be expected "
                                   "to do"))
        self.consequence = Notice(self.tr("What a no means"), "warning")
        self.consequence.set_message(self.tr(
            "<b>The NHS must fund this task.</b> The wizard carries on: consent, the provider "
            "and training come next, and the funding page later records the NHS (ICB) paying "
            "for all of it. It is free to the person."))
        self.eligibility = EligibilityNote(context)
        self.form.addRow(self.tr("Council can provide it?"), self.lawful)
        self.form.addRow("", self.eligibility)
        self.form.addRow(self.tr("&Why the council cannot:"), self.reason)
        self.form.addRow(self.consequence)
        self.lawful.changed.connect(self._on_lawful_changed)
        self._on_lawful_changed()

    def _on_lawful_changed(self) -> None:
        # The reason and what a no means only after "no"; a reason typed stays in its box
        # while hidden, for a flip back.
        no = self.lawful.value() is False
        self.reason.setEnabled(no)
        self.form.setRowVisible(self.reason, no)
        self.form.setRowVisible(self.consequence, no)

    def answers(self) -> dict[str, Any]:
        no = self.lawful.value() is False
        return {"incidental_or_ancillary": self.lawful.value(),
                "no_reason": self.reason.value() if no else None}

    def load(self, answers: dict[str, Any]) -> None:
        self.lawful.set_value(answers.get("incidental_or_ancillary"))
        typed = answers.get("no_reason")
        no = answers.get("incidental_or_ancillary") is False
        self.reason.set_value(typed if typed or no else self.reason.value())
        self._on_lawful_changed()
