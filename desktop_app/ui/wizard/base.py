"""The base of every wizard page: who the plan is for, the question, help, and checks.

A page reads its answers into the wizard's answers dict; ``validatePage`` asks the flow
evaluator whether this step is answered, and blocks Next with a plain message naming what
is missing; while the message shows, each change of an answer says it again for the
answers as they are (``answer_edited``), and it goes once nothing is missing. Going Back
keeps what was typed (``cleanupPage`` does not reset). The help and the form scroll in a
small window (``PageScroll``); the person and the message stay in view.
"""

from __future__ import annotations

import html
from typing import Any, Protocol, cast

from PySide6.QtCore import QEvent, QObject, QSize, Qt
from PySide6.QtWidgets import (
    QAbstractButton,
    QComboBox,
    QFormLayout,
    QFrame,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QScrollArea,
    QVBoxLayout,
    QWidget,
    QWizardPage,
)

from desktop_app.services.framework.flow import FlowResult, Step
from desktop_app.ui.forms import DateInput
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




class PageScroll(QScrollArea):
    """A frameless scroll area for a page's help and form: as tall as they are when there
    is room (no gap, no scroll bar), scrolling only when the window is smaller, never
    narrower than the form (no sideways scrolling). Tab scrolls to the field it reaches."""

    def __init__(self) -> None:
        super().__init__()
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.inner = QWidget()
        self.setWidget(self.inner)

    def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802 (Qt's name)
        # Rows shown or hidden change the form's height: ask the page to lay out again.
        if watched is self.inner and event.type() == QEvent.Type.LayoutRequest:
            self.updateGeometry()
        return super().eventFilter(watched, event)

    def sizeHint(self) -> QSize:  # noqa: N802
        hint = self.inner.sizeHint()
        return QSize(hint.width() + self.verticalScrollBar().sizeHint().width(), hint.height())

    def minimumSizeHint(self) -> QSize:  # noqa: N802
        width = self.inner.minimumSizeHint().width()
        return QSize(width + self.verticalScrollBar().sizeHint().width(),
                     min(120, self.sizeHint().height()))


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
        # Who the plan is for and what is missing stay in view; the help and the form
        # scroll when the window is small (150 % text on a 1366x768 laptop).
        self.page_scroll = PageScroll()
        body = QVBoxLayout(self.page_scroll.inner)
        body.setContentsMargins(0, 0, 0, 0)
        body.addWidget(self.help_label)
        body.addLayout(self.form)
        body.addStretch(1)
        layout = QVBoxLayout(self)
        layout.addWidget(PersonBanner(context))
        layout.addWidget(self.page_scroll, 1)
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

    def date_problem(self, focus: bool = True) -> str | None:
        """The first date on show that is typed but is not a date, named (a date that did
        not take must stop the page, not pass as blank: hazard H-020), with the focus
        taken there unless ``focus`` is False (the user is typing elsewhere); None when
        all are fine."""
        for field in self.findChildren(DateInput):
            problem = field.problem() if field.isVisibleTo(self) else None
            if problem:
                if focus:
                    field.setFocus()
                return f"{field.name}: {problem}"
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
        self.message.hide()  # before load(): restoring answers is not an edit to re-check
        self.load(self.delegation_wizard().answers.get(self.step.id, {}))
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
        problem = (self.date_problem() or self.first_problem()
                   or wizard.problem_at(self.step.id) or self.page_problem())
        if problem:
            self.message.setText(problem)
            self.message.show()
            return False
        self.message.hide()
        return True

    def answer_edited(self, *_args: object) -> None:
        """An answer on the page changed: save the draft soon, and if a message says what
        is missing, say it again for the answers as they are now (gone once nothing is)."""
        wizard = self.delegation_wizard()
        wizard.schedule_draft_save()
        if self.message.isHidden():
            return
        wizard.store(self.step.id, self.answers())
        problem = (self.date_problem(focus=False) or self.first_problem()
                   or wizard.problem_at(self.step.id) or self.page_problem())
        self.message.setText(problem or "")
        self.message.setVisible(bool(problem))

    def _watch_edits(self) -> None:
        """Any edit schedules a draft save, so a flat battery loses nothing typed, and
        re-checks a message on show (``answer_edited``)."""
        schedule = self.answer_edited
        for widget in self.findChildren(QWidget):
            if isinstance(widget, DateInput):  # typed or picked from the calendar
                widget.changed.connect(schedule)
            elif isinstance(widget, QLineEdit):
                widget.textEdited.connect(schedule)
            elif isinstance(widget, QPlainTextEdit):
                widget.textChanged.connect(schedule)
            elif isinstance(widget, QComboBox):
                widget.currentIndexChanged.connect(schedule)
            elif isinstance(widget, QAbstractButton):
                widget.toggled.connect(schedule)
        self._watching = True
