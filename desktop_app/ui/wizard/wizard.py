"""The delegation wizard: renders the flow one step per page, in the order it decides.

Page order is never coded here: each page's ``nextId`` asks the pure flow evaluator which
step follows on the route the answers take, so a new flow version changes the route
without touching the pages. Answers are kept per step id; every page change, and every
pause in typing, emits ``draft_changed`` so the controller saves the draft in the vault.
"""

from __future__ import annotations

from collections.abc import Callable, Mapping
from typing import Any

from PySide6.QtCore import QSize, QTimer, Signal
from PySide6.QtWidgets import QWidget, QWizard, QWizardPage

from desktop_app.services.framework.flow import Flow, FlowResult, Step, StepId, evaluate
from desktop_app.ui.wizard.base import PageHost, StepPage
from desktop_app.ui.wizard.context import WizardContext

OUTCOME_PAGE_ID = 99
DRAFT_DELAY_MS = 1500
FRAME_ROOM = QSize(16, 40)  # the window's frame and title bar
PAGE_IDS: dict[str, int] = {step.value: index + 1 for index, step in enumerate(StepId)}
STEP_OF_PAGE: dict[int, str] = {page: step for step, page in PAGE_IDS.items()}


def fitted(wanted: QSize, screen: QSize) -> QSize:
    """``wanted``, made smaller to fit on ``screen`` with its frame (150 % text on a
    1366x768 laptop leaves 910x512): the pages scroll, the buttons stay in view."""
    return wanted.boundedTo(screen - FRAME_ROOM)


class DelegationWizard(QWizard):
    """Walks the MDT through the delegation decision for one person and one task."""

    draft_changed = Signal(object, str)  # answers (dict), current step id
    finish_requested = Signal(object)  # answers

    def __init__(self, context: WizardContext, flow: Flow,
                 pages: Mapping[str, Callable[[WizardContext, Step], StepPage]],
                 outcome_page: Callable[[WizardContext, Flow], QWizardPage],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.context = context
        self.flow = flow
        self.answers: dict[str, dict[str, Any]] = {k: dict(v) for k, v in context.answers.items()}
        self.setWindowTitle(self.tr("Delegation — %s") % context.person_name)
        self.setWizardStyle(QWizard.WizardStyle.ClassicStyle)
        self.setOption(QWizard.WizardOption.NoBackButtonOnStartPage, True)
        self.setOption(QWizard.WizardOption.HaveHelpButton, False)
        for step_id, make_page in pages.items():
            self.setPage(PAGE_IDS[step_id], make_page(context, flow.step(step_id)))
        self.setPage(OUTCOME_PAGE_ID, outcome_page(context, flow))
        self.setStartId(PAGE_IDS[flow.start])
        self._draft_timer = QTimer(self)
        self._draft_timer.setSingleShot(True)
        self._draft_timer.setInterval(DRAFT_DELAY_MS)
        self._draft_timer.timeout.connect(self.save_draft_now)
        self.currentIdChanged.connect(lambda _id: self.save_draft_now())
        self.resize(fitted(QSize(900, 680), self.screen().availableGeometry().size()))

    # ------------------------------------------------------------ answers and the flow

    def facts(self) -> dict[str, Any]:
        """Catalogue facts the flow needs (the chosen task's typical status)."""
        task = self.context.task(self.answers.get("S1", {}).get("task_code"))
        return {"task.typical_status": task.typical_status} if task else {}

    def evaluate(self) -> FlowResult:
        """Where the answers so far lead."""
        return evaluate(self.flow, self.answers, self.facts())

    def store(self, step_id: str, answers: dict[str, Any]) -> None:
        """Keep a page's answers (None values dropped)."""
        self.answers[step_id] = {k: v for k, v in answers.items() if v is not None}

    def next_page_id(self, step_id: str) -> int:
        """The page after ``step_id`` on the route (asked by each page's nextId)."""
        result = self.evaluate()
        following = result.step_after(step_id)
        if following is not None:
            return PAGE_IDS[following]
        if result.decided and result.path and result.path[-1] == step_id:
            return OUTCOME_PAGE_ID
        # Not answered yet: show Next (validatePage explains what is missing), never Finish.
        for branch in self.flow.step(step_id).branches:
            if branch.goto:
                return PAGE_IDS[branch.goto]
        return OUTCOME_PAGE_ID

    def problem_at(self, step_id: str) -> str | None:
        """A plain message when this step cannot be left yet, else None."""
        result = self.evaluate()
        if result.next_step is not None and step_id not in result.path:
            # The route stops at an earlier step (e.g. a draft resumed under a new flow
            # version, or an earlier answer cleared): never pass a page unchecked.
            title = self.flow.step(result.next_step).title
            return self.tr("Go back to step %s (%s): it needs answering first.") % (
                result.next_step, title)
        if result.next_step != step_id:
            return None
        if result.error:
            return result.error
        labels = [self._label(ref) for ref in result.missing]
        return self.tr("Before you go on, answer: ") + "; ".join(labels) + "."

    def _label(self, ref: str) -> str:
        owner, _, name = ref.partition(".")
        if owner in self.flow.steps and name in self.flow.step(owner).fields:
            return self.flow.step(owner).fields[name].label
        if ref == "task.typical_status":
            return self.tr("the task (choose it on the first page)")
        return name

    # ------------------------------------------------------------ drafts

    def current_step(self) -> str:
        """The step id of the page on screen (or the outcome page's marker)."""
        return STEP_OF_PAGE.get(self.currentId(), "OUTCOME")

    def schedule_draft_save(self, *_args: object) -> None:
        """Save the draft shortly after typing pauses."""
        self._draft_timer.start()

    def save_draft_now(self) -> None:
        """Collect the page on screen and emit the draft."""
        self._draft_timer.stop()
        page = self.currentPage()
        if isinstance(page, StepPage):
            self.store(page.step.id, page.answers())
        self.draft_changed.emit({k: dict(v) for k, v in self.answers.items()},
                                self.current_step())

    def resume_at(self, step_id: str | None) -> None:
        """Open the wizard where a saved draft stopped (walking the route to it)."""
        if not step_id or step_id not in PAGE_IDS:
            return
        route = self.evaluate().path
        if step_id not in route:
            return
        for _ in route[: route.index(step_id)]:
            page = self.currentPage()
            if isinstance(page, StepPage):
                page.load(self.answers.get(page.step.id, {}))
            self.next()

    def accept(self) -> None:
        """Finish: hand the answers to the controller, which records the decision and
        then calls ``close_decided``; on a problem the wizard stays open with everything."""
        self.save_draft_now()
        self.finish_requested.emit({k: dict(v) for k, v in self.answers.items()})

    def close_decided(self) -> None:
        """Close after the decision was recorded."""
        super().accept()


# The pages reach their wizard as a ``PageHost`` (base.py, which must not import this
# module); mypy checks here that this wizard is one.
_HOST: type[PageHost] = DelegationWizard
