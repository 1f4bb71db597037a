"""S1: which healthcare task, for whom, referred by whom; is it a health need at all?"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from desktop_app.services.flow import Step
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import Choice, Line, Para, YesNo

STATUS_WORDS = {"PC": "personal care (not a delegation)", "D": "can be delegated",
                "RN": "registered nurse only"}


class IdentifyPage(StepPage):
    """Choose the task; the catalogue's typical status shows at once."""

    step_id = "S1"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.task = Choice(self.label("task_code"),
                           [(t.code, t.name) for t in sorted(context.tasks, key=lambda t: t.name)])
        self.status = QLabel()
        self.status.setAccessibleName(self.tr("Typical status of the task"))
        self.referred_by = Line(self.label("referred_by"), self.tr("e.g. district nurse, GP"))
        self.health_need = YesNo(self.label("is_health_need"),
                                 self.tr("&Yes, a health need"), self.tr("N&o, a social care need"))
        self.reason = Para(self.label("no_reason"))
        self.form.addRow(self.tr("&Task:"), self.task)
        self.form.addRow("", self.status)
        self.form.addRow(self.tr("&Referred by:"), self.referred_by)
        self.form.addRow(self.tr("Health need?"), self.health_need)
        self.form.addRow(self.tr("&Why not:"), self.reason)
        self.task.currentIndexChanged.connect(self._on_task_current_index_changed)
        self.health_need.changed.connect(self._on_health_need_changed)
        self._on_health_need_changed()

    def _on_task_current_index_changed(self, _index: int) -> None:
        task = self.context.task(self.task.value())
        if task is None:
            self.status.setText("")
            return
        words = STATUS_WORDS.get(task.typical_status, task.typical_status)
        self.status.setText(self.tr("Usually: %s.") % words)

    def _on_health_need_changed(self) -> None:
        self.reason.setEnabled(self.health_need.value() is False)

    def answers(self) -> dict[str, Any]:
        return {"task_code": self.task.value(), "referred_by": self.referred_by.value(),
                "is_health_need": self.health_need.value(), "no_reason": self.reason.value()}

    def load(self, answers: dict[str, Any]) -> None:
        self.task.set_value(answers.get("task_code"))
        self.referred_by.set_value(answers.get("referred_by"))
        self.health_need.set_value(answers.get("is_health_need"))
        self.reason.set_value(answers.get("no_reason"))
        self._on_health_need_changed()
