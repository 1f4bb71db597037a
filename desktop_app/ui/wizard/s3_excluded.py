"""S3: tasks that stay with a nurse (registered-nurse only, or clinical judgement each time).

The catalogue decides the first half: a task it lists as registered-nurse only is never
delegated, so the page says so plainly and the flow ends at the outcome. Otherwise the
MDT answers whether this task, for this person, needs a clinical judgement each time, and
a task with a registered-nurse-only look-alike shows it again, with how to tell (H-004).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import QCoreApplication, QSize, Qt
from PySide6.QtGui import QResizeEvent, QTextDocumentFragment
from PySide6.QtWidgets import QLabel

from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.base import StepPage, escape_text
from desktop_app.ui.wizard.context import TaskOption, WizardContext
from desktop_app.ui.wizard.fields import Para, YesNo

FIRST_GUESS_WIDTH = 600  # px, before the notice has been laid out once
NOTICE_COLOURS = {  # background, border
    "info": ("#eef4fb", "#9bb6e0"),
    "warning": ("#fff4e0", "#d9a441"),
    "stop": ("#fdecea", "#c0504d"),
}


class Notice(QLabel):
    """A boxed message in the page's own words: information, a warning or a stop.

    Shared by the S3-S9 pages (it belongs in fields.py beside the answer widgets).
    """

    def __init__(self, name: str, kind: str = "info") -> None:
        super().__init__()
        self.setObjectName("notice")
        self.setTextFormat(Qt.TextFormat.RichText)
        self.setWordWrap(True)
        self.setAccessibleName(name)
        self.set_kind(kind)

    # QFormLayout stretches a wrapped label that sits beside a label column far taller
    # than its text (its height-for-width sum is wrong), so the notice gives a plain size
    # hint for the width it has now, and asks again whenever that width changes.
    def hasHeightForWidth(self) -> bool:  # noqa: N802 (Qt's name)
        return False

    def sizeHint(self) -> QSize:  # noqa: N802
        width = self.width() if self.testAttribute(Qt.WidgetAttribute.WA_WState_Created) \
            and self.width() > FIRST_GUESS_WIDTH // 4 else FIRST_GUESS_WIDTH
        return QSize(super().sizeHint().width(), self.heightForWidth(width))

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        return QSize(super().minimumSizeHint().width(), self.sizeHint().height())

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802
        super().resizeEvent(event)
        if event.size().width() != event.oldSize().width():
            self.updateGeometry()

    def set_kind(self, kind: str) -> None:
        """Recolour the box (info, warning or stop)."""
        background, border = NOTICE_COLOURS[kind]
        self.setStyleSheet(f"#notice {{ background: {background}; border: 1px solid {border};"
                           f" border-left: 5px solid {border}; padding: 6px 8px; color: #000; }}")

    def set_message(self, html: str, kind: str | None = None) -> None:
        """Show ``html`` (already escaped), optionally recoloured; screen readers get the
        plain text."""
        if kind:
            self.set_kind(kind)
        self.setText(html)
        self.setAccessibleDescription(QTextDocumentFragment.fromHtml(html).toPlainText())


def twins_html(task: TaskOption) -> str:
    """A warning naming ``task``'s registered-nurse-only look-alikes and how to tell them
    apart (S1 and S3 show it); empty when the task has none."""
    lines = []
    for pair in task.look_alikes:
        names = [f"<b>{escape_text(name)}</b>" for name in pair.twin_names]
        named = names[0] if len(names) == 1 else (
            ", ".join(names[:-1]) + QCoreApplication.translate("LookAlike", " or ") + names[-1])
        lines.append(QCoreApplication.translate(
            "LookAlike", "Check that this is not %s: that is registered nurse only. How to "
            "tell: %s") % (named, escape_text(pair.how_to_tell)))
    return "<br>".join(lines)


class ExcludedTaskPage(StepPage):
    """Shows the chosen task's catalogue status; asks about clinical judgement if needed."""

    step_id = "S3"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self._asking = True  # False for a registered-nurse-only task: nothing to ask
        self.status = Notice(self.tr("Catalogue status of the task"))
        self.twins = Notice(self.tr("Registered-nurse-only look-alike"), "warning")
        self.judgement = YesNo(self.label("needs_clinical_judgement"),
                               self.tr("&Yes, it needs a clinical judgement each time"),
                               self.tr("N&o, it is done the same way each time"))
        self.reason = Para(self.label("no_reason"),
                           self.tr("e.g. the dose is chosen from a reading each time"))
        self.form.addRow(self.status)
        self.form.addRow(self.twins)
        self.form.setRowVisible(self.twins, False)
        self.form.addRow(self.tr("Clinical judgement?"), self.judgement)
        self.form.addRow(self.tr("&What judgement is needed:"), self.reason)
        self.judgement.changed.connect(self._on_judgement_changed)
        self._on_judgement_changed()

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        super().initializePage()
        code = self.delegation_wizard().answers.get("S1", {}).get("task_code")
        self.show_task(self.context.task(code))

    def show_task(self, task: TaskOption | None) -> None:
        """Say what the catalogue says about ``task``; hide the question for RN tasks."""
        registered_nurse_only = task is not None and task.typical_status == "RN"
        self._asking = not registered_nurse_only
        self.status.set_message(self._status_html(task),
                              "stop" if registered_nurse_only else "info")
        self.form.setRowVisible(self.judgement, not registered_nurse_only)
        self._on_judgement_changed()
        warning = twins_html(task) if task is not None else ""
        self.twins.set_message(warning)
        self.form.setRowVisible(self.twins, bool(warning))

    def _status_html(self, task: TaskOption | None) -> str:
        if task is None:
            return self.tr("No task is chosen yet: go back to the first page and choose one.")
        name = f"<b>{escape_text(task.name)}</b>"
        if task.typical_status == "RN":
            return (f"<p style='font-size: large'><b>{self.tr('Registered nurse only')}</b></p>"
                    + self.tr("The task catalogue lists %s as registered-nurse only. The task "
                              "stays with a registered nurse: it is not delegated, and the "
                              "wizard ends here. Press Next to see the outcome.") % name)
        if task.typical_status == "PC":
            return self.tr("The task catalogue lists %s as <b>personal care</b>, usually not a "
                           "delegation. If that is true for this person, go back to the first "
                           "page and record it as a social care need.") % name
        if task.typical_status == "D":
            return self.tr("The task catalogue lists %s as <b>delegable</b> after training and "
                           "sign-off for this person. Check that it does not need a clinical "
                           "judgement each time it is done.") % name
        return self.tr("The task catalogue lists %s with status %s.") % (
            name, escape_text(task.typical_status))

    def _asks_why(self) -> bool:
        # Here "yes" is the answer that stops the delegation, so it is "yes" that needs a reason.
        return self._asking and self.judgement.value() is True

    def _on_judgement_changed(self) -> None:
        # Shown only after "yes"; what was typed stays in the box for a flip back.
        self.form.setRowVisible(self.reason, self._asks_why())
        self.reason.setEnabled(self._asks_why())

    def answers(self) -> dict[str, Any]:
        if not self._asking:
            return {"needs_clinical_judgement": None, "no_reason": None}
        return {"needs_clinical_judgement": self.judgement.value(),
                "no_reason": self.reason.value() if self._asks_why() else None}

    def load(self, answers: dict[str, Any]) -> None:
        self.judgement.set_value(answers.get("needs_clinical_judgement"))
        typed = answers.get("no_reason")
        self.reason.set_value(typed if typed or self._asks_why() else self.reason.value())
        self._on_judgement_changed()
