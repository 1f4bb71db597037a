"""S1: which healthcare task, for whom, referred by whom; is it a health need at all?

The task list starts with "A social care need, not a healthcare task": a need with no
catalogue task (help getting dressed) is recorded as that, described in the nurse's words,
with no task code, rather than under an unrelated task (hazard H-003). Choosing a task shows
at once its usual status and any registered-nurse-only look-alike with how to tell them
apart (H-004); a registered-nurse-only task answered "not a health need" is stopped with
the reason as soon as "No" is picked, and the flow refuses it on Next (H-002).

Whether a need is social care is decided here, so the person's latest Care Act eligibility
screen (or that there is none) is shown beside "Health need?"; a partner's Care Act needs
assessment can be reused instead of repeated (``reuse_box.ReuseBox``, the answer
``reused_assessment``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel

from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.context import TaskOption, WizardContext
from desktop_app.ui.wizard.eligibility_note import EligibilityNote
from desktop_app.ui.wizard.fields import Choice, Line, Para, YesNo
from desktop_app.ui.wizard.reuse_box import ReuseBox, ReusingPage
from desktop_app.ui.wizard.s3_excluded import Notice, twins_html

STATUS_WORDS = {"PC": "personal care (not a delegation)", "D": "can be delegated",
                "RN": "registered nurse only"}
#: The task list's "no healthcare task" entry; only the page knows it (never stored).
SOCIAL_CARE_NEED = "-social-care-need-"


class IdentifyPage(ReusingPage):
    """Choose the task (or "a social care need"); what the catalogue says shows at once."""

    step_id = "S1"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        options = [(SOCIAL_CARE_NEED, self.tr("A social care need, not a healthcare task"))]
        options += [(t.code, t.name) for t in sorted(context.tasks, key=lambda t: t.name)]
        self.task = Choice(self.label("task_code"), options)
        self.task.insertSeparator(2)
        self.status = QLabel()
        self.status.setWordWrap(True)
        self.status.setAccessibleName(self.tr("Typical status of the task"))
        self.twins = Notice(self.tr("Registered-nurse-only look-alike"), "warning")
        self.referred_by = Line(self.label("referred_by"), self.tr("e.g. district nurse, GP"))
        self.health_need = YesNo(self.label("is_health_need"), self.tr("&Yes, a health need"),
                                 self.tr("N&o, a social care need"))
        self.stop = Notice(self.tr("Registered nurse only"), "stop")
        self.reason = Para(self.label("no_reason"))
        self.reason_label = QLabel()
        self.reason_label.setBuddy(self.reason)
        self.eligibility = EligibilityNote(context)
        self.reuse_box = ReuseBox(context, self.step_id)
        self.form.addRow(self.tr("&Task:"), self.task)
        self.form.addRow("", self.status)
        self.form.addRow(self.twins)
        self.form.addRow(self.tr("&Referred by:"), self.referred_by)
        self.form.addRow(self.tr("Health need?"), self.health_need)
        self.form.addRow("", self.eligibility)  # where "a social care need" is decided
        self.form.addRow(self.stop)
        self.form.addRow(self.reason_label, self.reason)
        self.form.addRow(self.reuse_box)
        self.task.currentIndexChanged.connect(self._on_task_current_index_changed)
        self.health_need.changed.connect(self._on_health_need_changed)
        self._on_task_current_index_changed(0)

    # ------------------------------------------------------------ what is chosen

    def _social_care_need(self) -> bool:
        return self.task.value() == SOCIAL_CARE_NEED

    def _chosen(self) -> TaskOption | None:
        return None if self._social_care_need() else self.context.task(self.task.value())

    def _on_task_current_index_changed(self, _index: int) -> None:
        social, task = self._social_care_need(), self._chosen()
        if social:
            self.status.setText(self.tr("No healthcare task: describe the need below. It is "
                                        "recorded as a social care need and nothing is "
                                        "delegated."))
        elif task is None:
            self.status.setText("")
        else:
            words = STATUS_WORDS.get(task.typical_status, task.typical_status)
            self.status.setText(self.tr("Usually: %s.") % words)
        warning = twins_html(task) if task is not None else ""
        self.twins.set_message(warning)
        self.form.setRowVisible(self.twins, bool(warning))
        self.form.setRowVisible(self.health_need, not social)
        if social:
            self.reason_label.setText(self.tr("&Describe the social care need:"))
            self.reason.setPlaceholderText(self.tr("e.g. help getting dressed each morning"))
        else:
            self.reason_label.setText(self.tr("&Why not:"))
            self.reason.setPlaceholderText("")
        self._on_health_need_changed()

    def _asks_why_not(self) -> bool:
        """The reason box is for a social care need, or a task answered "not a health
        need"; hidden otherwise (what was typed in it stays for the answer flipped back)."""
        return self._social_care_need() or self.health_need.value() is False

    def _on_health_need_changed(self) -> None:
        task = self._chosen()
        self.form.setRowVisible(self.reason, self._asks_why_not())
        self.reason.setEnabled(self._asks_why_not())
        stopped = (task is not None and task.typical_status == "RN"
                   and self.health_need.value() is False)
        if stopped and task is not None:
            self.stop.set_message(self.tr(
                "<b>%s is registered-nurse only.</b> It is a healthcare task and stays with a "
                "registered nurse, so it cannot be recorded as a social care need. Answer "
                "\"Yes, a health need\" (the wizard then ends at step S3: not delegated) or, "
                "if the person has a social care need and no healthcare task, choose \"A "
                "social care need, not a healthcare task\" as the task.")
                % escape_text(task.name))
        self.form.setRowVisible(self.stop, stopped)

    # ------------------------------------------------------------ answers

    def answers(self) -> dict[str, Any]:
        social = self._social_care_need()
        values: dict[str, Any] = {
            "task_code": None if social else self.task.value(),
            "referred_by": self.referred_by.value(),
            "is_health_need": False if social else self.health_need.value(),
            "social_care_need": social,
            "no_reason": self.reason.value() if self._asks_why_not() else None}
        reused = self.reuse_box.value()
        if reused is not None:
            values["reused_assessment"] = reused
        return values

    def load(self, answers: dict[str, Any]) -> None:
        social = answers.get("social_care_need") is True
        self.health_need.set_value(None if social else answers.get("is_health_need"))
        self.task.set_value(SOCIAL_CARE_NEED if social else answers.get("task_code"))
        self.referred_by.set_value(answers.get("referred_by"))
        typed = answers.get("no_reason")
        # Hidden after "Yes", a reason typed earlier on this visit stays for a flip back.
        self.reason.set_value(typed if typed or self._asks_why_not() else self.reason.value())
        self.reuse_box.set_value(answers.get("reused_assessment"))
        self._on_task_current_index_changed(self.task.currentIndex())
