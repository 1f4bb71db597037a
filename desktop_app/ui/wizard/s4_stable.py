"""S4: is the person stable enough for this task, with written "do / call the nurse" lines?

"Yes" opens the task lines of the support plan: what is delegated and what is not, how
often, the equipment, what the care worker does and when they call the nurse, and the
"what if" instructions, pre-filled with safe defaults the nurse can edit. "No" asks why
and when to look again. The form scrolls when the window is small.

The grey examples follow the task chosen on S1: the catalogue's description of the task
is the example of what is delegated, and the other examples fit any task (never insulin
for eye drops). "If readings are out of range" is asked only for a task that takes
readings (``framework.task_lines``).

A partner's clinical risk assessment can be reused instead of repeated, below "Stable and
safe?" (``reuse_box.ReuseBox``, the answer ``reused_assessment``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import (
    QFormLayout,
    QLabel,
    QSizePolicy,
    QWidget,
)

from desktop_app.services.framework.flow import Step
from desktop_app.services.framework.task_lines import (
    READINGS_LINE,
    example_from_description,
    task_has_readings,
)
from desktop_app.ui.wizard.base import PageScroll
from desktop_app.ui.wizard.context import TaskOption, WizardContext
from desktop_app.ui.wizard.fields import DateField, Line, Para, YesNo
from desktop_app.ui.wizard.reuse_box import ReuseBox, ReusingPage


class ScrollingForm(PageScroll):
    """A page scroll (``base.PageScroll``: as tall as its form when there is room, scrolling
    only when the window is smaller) holding one form. Shared by the S4 and S6 pages."""

    def __init__(self) -> None:
        super().__init__()
        self.body = self.inner
        self.form = QFormLayout(self.body)
        self.form.setContentsMargins(0, 0, 4, 0)

    def section(self, title: str) -> QLabel:
        """A bold heading across the form."""
        heading = QLabel(f"<b>{title}</b>")
        heading.setContentsMargins(0, 8, 0, 0)
        self.form.addRow(heading)
        return heading


class StablePage(ReusingPage):
    """Stable and safe? If so, the plan's task lines; if not, why and when to look again."""

    step_id = "S4"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.task: TaskOption | None = None  # the task chosen on S1, read on each visit
        self.body = ScrollingForm()
        self.form.addRow(self.body)
        form = self.body.form
        self.stable = YesNo(self.label("stable"), self.tr("&Yes, stable and safe"),
                            self.tr("N&o, not now"))
        form.addRow(self.tr("Stable and safe?"), self.stable)
        self.reuse_box = ReuseBox(context, self.step_id)
        form.addRow(self.reuse_box)
        self.no_reason = Para(self.label("no_reason"),
                              self.tr("e.g. the condition or the prescription is still changing"),
                              lines=2)
        self.reconsider_on = DateField(self.label("reconsider_on"))
        self.reconsider_on.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        form.addRow(self.tr("&Why not now:"), self.no_reason)
        form.addRow(self.tr("Look &again on:"), self.reconsider_on)
        self.plan: dict[str, Line | Para] = {}
        self._yes_rows: list[QWidget] = [self.body.section(self.tr("The task on the plan"))]
        self._add_plan_rows()
        self._yes_rows.append(self.body.section(self.tr("What if…")))
        self._add_what_if_rows()
        self.stable.changed.connect(self._on_stable_changed)
        self._on_stable_changed()

    def _add_plan_rows(self) -> None:
        rows = [
            ("what_is_delegated", self.tr("What is de&legated:"), Para),
            ("what_is_not_delegated", self.tr("What is no&t delegated:"), Para),
            ("frequency", self.tr("&How often:"), Line),
            ("equipment", self.tr("E&quipment:"), Line),
            ("do_thresholds", self.tr("The care worker &does:"), Para),
            ("call_nurse_thresholds", self.tr("&Call the nurse if:"), Para),
        ]
        examples = self.examples(None)
        for name, text, kind in rows:
            widget = (Para(self.label(name), examples[name], lines=2) if kind is Para
                      else Line(self.label(name), examples[name]))
            self._add_yes_row(name, text, widget)

    def examples(self, task: TaskOption | None) -> dict[str, str]:
        """The grey example text of each plan line for ``task``: the catalogue's words for
        what is delegated, and examples that fit any task for the rest."""
        described = example_from_description(task.description if task else None)
        return {
            "what_is_delegated": self.tr("e.g. %s") % described if described else self.tr(
                "e.g. the task exactly as the care worker does it: what, where, and with "
                "which medicine or equipment"),
            "what_is_not_delegated": self.tr(
                "e.g. any change to the prescription or the dose; anything not written on "
                "this plan"),
            "frequency": self.tr("e.g. twice a day, at the morning and evening calls"),
            "equipment": self.tr("e.g. what the care worker uses, and where it is kept"),
            "do_thresholds": self.tr(
                "e.g. does the task as written on this plan and records it each time"),
            "call_nurse_thresholds": self.tr(
                "e.g. the person seems unwell or in pain, refuses twice running, or anything "
                "is not as usual"),
        }

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        code = self.delegation_wizard().answers.get("S1", {}).get("task_code")
        self.task = self.context.task(code)
        for name, example in self.examples(self.task).items():
            self.plan[name].setPlaceholderText(example)
        super().initializePage()

    def _asks(self, name: str) -> bool:
        """Whether the plan line ``name`` is asked for the chosen task: "If readings are
        out of range" only for a task that takes readings."""
        task = self.task
        return name != READINGS_LINE or (task_has_readings(task.category, task.code) if task
                                         else True)

    def _add_what_if_rows(self) -> None:
        rows = [
            ("if_refused", self.tr("If the person &refuses:")),
            ("if_missed", self.tr("If a dose or visit is &missed:")),
            ("if_equipment_fails", self.tr("If the equipment fa&ils:")),
            ("if_out_of_range", self.tr("If readings are out of ran&ge:")),
            ("in_emergency", self.tr("In an &emergency:")),
        ]
        for name, text in rows:
            self._add_yes_row(name, text, Line(self.label(name)))

    def _add_yes_row(self, name: str, text: str, widget: Line | Para) -> None:
        self.plan[name] = widget
        self.body.form.addRow(text, widget)
        self._yes_rows.append(widget)

    def what_if_defaults(self) -> dict[str, str]:
        """Safe first wording for the "what if" lines; the nurse edits them for the person."""
        return {
            "if_refused": self.tr("Do not insist. Write it in the notes and call the community "
                                  "nursing team on the number on the plan."),
            "if_missed": self.tr("Do not give two doses to catch up. Call the community nursing "
                                 "team on the number on the plan."),
            "if_equipment_fails": self.tr("Do not improvise. Call the community nursing team on "
                                          "the number on the plan."),
            "if_out_of_range": self.tr("Call the community nursing team on the number on the "
                                       "plan straight away."),
            "in_emergency": self.tr("Call 999, then tell the community nursing team."),
        }

    def _on_stable_changed(self) -> None:
        stable = self.stable.value()
        not_asked = [widget for name, widget in self.plan.items() if not self._asks(name)]
        for widget in self._yes_rows:
            shown = stable is True and not any(widget is other for other in not_asked)
            self.body.form.setRowVisible(widget, shown)
            widget.setEnabled(shown)
        for widget in (self.no_reason, self.reconsider_on):
            self.body.form.setRowVisible(widget, stable is False)
            widget.setEnabled(stable is False)

    def answers(self) -> dict[str, Any]:
        # What the page shows is what is recorded: the plan lines only with "yes", the
        # reason and date only with "no".
        stable = self.stable.value()
        values: dict[str, Any] = {"stable": stable}
        values.update({name: widget.value() if stable is True and self._asks(name) else None
                       for name, widget in self.plan.items()})
        values["no_reason"] = self.no_reason.value() if stable is False else None
        values["reconsider_on"] = self.reconsider_on.value() if stable is False else None
        reused = self.reuse_box.value()
        if reused is not None:
            values["reused_assessment"] = reused
        return values

    def load(self, answers: dict[str, Any]) -> None:
        # The "what if" lines start with the default wording until the plan is saved with a
        # "yes"; after that a line the nurse emptied stays empty. A line not asked for this
        # task (readings, for eye drops) keeps its default, in case the task changes.
        defaults = self.what_if_defaults()
        first_time = answers.get("stable") is not True
        self.stable.set_value(answers.get("stable"))
        for name, widget in self.plan.items():
            value = answers.get(name)
            if value is None and (first_time or not self._asks(name)):
                value = defaults.get(name)
            widget.set_value(value)
        self.no_reason.set_value(answers.get("no_reason"))
        self.reconsider_on.set_value(answers.get("reconsider_on"))
        self.reuse_box.set_value(answers.get("reused_assessment"))
        self._on_stable_changed()
