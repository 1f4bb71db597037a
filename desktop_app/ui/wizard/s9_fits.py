"""S9: can the task be done inside the calls already commissioned? And were resources used
well (framework Part A section 3: efficient use of resources)?

If S5 found that the council cannot lawfully provide the task, the NHS must fund it
whatever the answer here, and the next page is the funding of the extra time (S9F).

Before funding is decided, on either route from here, the page asks whether assistive
technology was considered (which, what came of it and why, or why not) and whether the
call frequency was reviewed (can the task fit an existing call?): S9 is not left until
both are answered, and the message names what is missing, with the focus there
(``person_centred_boxes.ResourcesBox``).
"""

from __future__ import annotations

from typing import Any

from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import YesNo
from desktop_app.ui.wizard.person_centred_boxes import ResourcesBox, focus_shown
from desktop_app.ui.wizard.s3_excluded import Notice


class FitsPage(StepPage):
    """Fits the existing calls, or needs a new support plan and extra time? AT and calls."""

    step_id = "S9"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.fits = YesNo(self.label("fits_existing_calls"),
                          self.tr("&Yes, it fits the calls already commissioned"),
                          self.tr("N&o, it needs extra time or a new support plan"))
        self.health_must_fund = Notice(self.tr("The NHS must fund this task"), "warning")
        self.health_must_fund.set_message(self.tr(
            "<b>The NHS must fund this task.</b> At step S5 the council could not lawfully "
            "provide it, so whatever the answer here, the next page is the funding page, where the "
            "NHS (ICB) pays for all of it."))
        self.resources = ResourcesBox()
        self.form.addRow(self.tr("Fits the existing calls?"), self.fits)
        self.form.addRow(self.health_must_fund)
        self.form.setRowVisible(self.health_must_fund, False)
        self.form.addRow(self.resources)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        super().initializePage()
        lawful = self.delegation_wizard().answers.get("S5", {}).get("incidental_or_ancillary")
        self.form.setRowVisible(self.health_must_fund, lawful is False)

    def answers(self) -> dict[str, Any]:
        return {"fits_existing_calls": self.fits.value(), **self.resources.answers()}

    def load(self, answers: dict[str, Any]) -> None:
        self.fits.set_value(answers.get("fits_existing_calls"))
        self.resources.load(answers)

    def page_problem(self) -> str | None:
        missing = self.resources.missing()
        return missing.message if missing else None

    def validatePage(self) -> bool:  # noqa: N802 (Qt's name)
        if super().validatePage():
            return True
        focus_shown(self.message, self.resources.missing())
        return False
