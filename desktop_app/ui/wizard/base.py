"""The base of every wizard page: who the plan is for, the question, help, and checks.

A page reads its answers into the wizard's answers dict; ``validatePage`` asks the flow
evaluator whether this step is answered, and blocks Next with a plain message naming what
is missing. Going Back keeps what was typed (``cleanupPage`` does not reset).
"""

from __future__ import annotations

import html
from typing import Any, Protocol, cast

from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QDateEdit,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from desktop_app.services.framework.flow import FlowResult, Step
from desktop_app.ui.wizard.context import WizardContext


class PageHost(Protocol):
    """What a page needs from the wizard it is on. ``DelegationWizard`` is one, but this
    module never imports ``wizard.py``: that module imports this one."""

    @property
    def answers(self) -> dict[str, dict[str, Any]]:
        """Every step's answers so far, by step id."""
        ...

    def store(self, step_id: str, answers: dict[str, Any]) -> None:
        """Keep a page's answers."""
        ...

    def evaluate(self) -> FlowResult:
        """Where the answers so far lead."""
        ...

    def next_page_id(self, step_id: str) -> int:
        """The page after ``step_id`` on the route."""
        ...

    def problem_at(self, step_id: str) -> str | None:
        """A plain message when this step cannot be left yet, else None."""
        ...

    def schedule_draft_save(self, *_args: object) -> None:
        """Save the draft shortly after typing pauses."""
        ...


def page_host(page: QWizardPage) -> PageHost:
    """The wizard ``page`` is on: always a ``DelegationWizard``, a ``PageHost`` (checked
    in ``wizard.py``), which Qt only knows as a ``QWizard``."""
    return cast(PageHost, page.wizard())


def escape_text(text: str) -> str:
    """Typed text made safe for a rich-text label (quotes left alone: they are not markup
    in element text, and an escaped one would read as a mnemonic '&')."""
    return html.escape(text, quote=False)


class PersonBanner(QFrame):
    """Name, NHS number and date of birth, at the top of every page."""

    def __init__(self, context: WizardContext) -> None:
        super().__init__()
        self.setObjectName("personBanner")
        self.setFrameShape(QFrame.Shape.StyledPanel)
        self.setStyleSheet("#personBanner { background: #e8f0fb; border: 1px solid #9bb6e0; }")
        text = (f"<b>{escape_text(context.person_name)}</b> &nbsp; NHS number "
                f"<b>{escape_text(context.nhs_number_display)}</b> &nbsp; born "
                f"<b>{escape_text(context.date_of_birth_display)}</b>")
        self.label = QLabel(text)
        self.label.setAccessibleName(self.tr("Person: %s, NHS number %s, born %s") % (
            context.person_name, context.nhs_number_display, context.date_of_birth_display))
        layout = QVBoxLayout(self)
        layout.setContentsMargins(8, 4, 8, 4)
        layout.addWidget(self.label)




class StepPage(QWizardPage):
    """One step of the flow as a page. Subclasses build the form and map answers."""

    step_id: str = ""

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__()
        self.context = context
        self.step = step
        self.setTitle(f"{step.id} · {step.title}")
        self.setSubTitle(step.question)
        self.help_label = QLabel(step.help)
        self.help_label.setWordWrap(True)
        self.help_label.setStyleSheet("color: #333;")
        self.help_label.setAccessibleName(self.tr("Help"))
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setStyleSheet("color: #a00000; font-weight: bold;")
        self.message.setAccessibleName(self.tr("What is missing"))
        self.message.hide()
        self.form = QFormLayout()
        layout = QVBoxLayout(self)
        layout.addWidget(PersonBanner(context))
        layout.addWidget(self.help_label)
        layout.addLayout(self.form)
        layout.addStretch(1)
        layout.addWidget(self.message)
        self._watching = False

    # ------------------------------------------------------------ for subclasses

    def answers(self) -> dict[str, Any]:
        """The answers on this page now (None for unanswered)."""
        raise NotImplementedError

    def load(self, answers: dict[str, Any]) -> None:
        """Show saved answers."""
        raise NotImplementedError

    def page_problem(self) -> str | None:
        """A page's own check beyond the flow (e.g. consent by an attorney needs the
        attorney chosen); None when the page is fine."""
        return None

    def first_problem(self) -> str | None:
        """A page's own check that must be said before the flow's list of missing answers
        (which would name a locked field, or not say that a typed amount was not
        understood); None when there is none."""
        return None

    def label(self, name: str) -> str:
        """The flow's label for one of this step's fields."""
        spec = self.step.fields.get(name)
        return spec.label if spec else name

    # ------------------------------------------------------------ wizard plumbing

    def delegation_wizard(self) -> PageHost:
        """The wizard this page belongs to."""
        return page_host(self)

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        self.load(self.delegation_wizard().answers.get(self.step.id, {}))
        self.message.hide()
        if not self._watching:
            self._watch_edits()

    def cleanupPage(self) -> None:  # noqa: N802
        # Going Back keeps what was typed here (Qt would reset the fields).
        self.delegation_wizard().store(self.step.id, self.answers())

    def nextId(self) -> int:  # noqa: N802
        return self.delegation_wizard().next_page_id(self.step.id)

    def validatePage(self) -> bool:  # noqa: N802
        wizard = self.delegation_wizard()
        wizard.store(self.step.id, self.answers())
        problem = (self.first_problem() or wizard.problem_at(self.step.id)
                   or self.page_problem())
        if problem:
            self.message.setText(problem)
            self.message.show()
            return False
        self.message.hide()
        return True

    def _watch_edits(self) -> None:
        """Any edit schedules a draft save, so a flat battery loses nothing typed."""
        schedule = self.delegation_wizard().schedule_draft_save
        for widget in self.findChildren(QWidget):
            if isinstance(widget, QLineEdit) and not isinstance(widget.parent(), QDateEdit):
                widget.textEdited.connect(schedule)
            elif isinstance(widget, QPlainTextEdit):
                widget.textChanged.connect(schedule)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(schedule)
            elif isinstance(widget, QAbstractButton):
                widget.toggled.connect(schedule)
            elif isinstance(widget, QDateEdit):
                widget.dateChanged.connect(schedule)
        self._watching = True
