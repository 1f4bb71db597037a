"""Opens the delegation wizard for a person, saves its drafts, records its decision.

All database work goes through the task runner (the database thread); the draft's case
id is kept in a holder the database thread itself updates, so saves queued before the
first one finished still land on the same case.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject, Signal
from PySide6.QtWidgets import QWidget

from desktop_app.services import delegation
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.framework.catalogue import Catalogue
from desktop_app.services.framework.flow import Flow
from desktop_app.services.vault import VaultSession
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.outcome_page import OutcomePage
from desktop_app.ui.wizard.pages import PAGES
from desktop_app.ui.wizard.wizard import DelegationWizard


@dataclass
class _Draft:
    person_id: str
    case_id: str | None = None


class WizardController(QObject):
    """One wizard at a time, for the signed-in user's vault session."""

    wizard_opened = Signal(object)  # the DelegationWizard
    decision_recorded = Signal(object)  # delegation.Decision
    draft_saved = Signal(str)  # case id

    def __init__(self, runner: TaskRunner, session: VaultSession | None, flow: Flow,
                 catalogue: Catalogue, dialogs: Dialogs,
                 parent_widget: QWidget | None = None) -> None:
        super().__init__(parent_widget)
        self.runner = runner
        self.session = session
        self.flow = flow
        self.catalogue = catalogue
        self.dialogs = dialogs
        self.parent_widget = parent_widget
        self.wizard: DelegationWizard | None = None
        self._draft: _Draft | None = None

    def _signed_in(self) -> VaultSession:
        """The vault session; None only while the app is locked, when its windows (and so
        everything that starts or finishes a wizard) are hidden."""
        assert self.session is not None, "the wizard is used only while signed in"
        return self.session

    def start(self, person_id: str, case_id: str | None = None) -> None:
        """Open the wizard for a person (resuming ``case_id``'s draft if given)."""
        uow, catalogue = self._signed_in().uow, self.catalogue
        self.runner.run(lambda: delegation.wizard_context(uow, person_id, catalogue, case_id),
                        self._open, self._on_failed)

    def _open(self, context: WizardContext) -> None:
        self._draft = _Draft(context.person_id, context.case_id)
        wizard = DelegationWizard(context, self.flow, PAGES, OutcomePage, self.parent_widget)
        wizard.draft_changed.connect(self._on_wizard_draft_changed)
        wizard.finish_requested.connect(self._on_wizard_finish_requested)
        self.wizard = wizard
        wizard.show()
        wizard.resume_at(context.current_step)
        self.wizard_opened.emit(wizard)

    def _on_wizard_draft_changed(self, answers: dict[str, Any], step: str) -> None:
        if self._draft is None or self.session is None:  # locked: saved before the close
            return
        draft, uow, flow, catalogue = self._draft, self.session.uow, self.flow, self.catalogue

        def save() -> str:
            draft.case_id = delegation.save_draft(uow, draft.person_id, draft.case_id, answers,
                                                  step, flow, catalogue)
            return draft.case_id

        self.runner.run(save, self.draft_saved.emit, self._on_failed)

    def _on_wizard_finish_requested(self, answers: dict[str, Any]) -> None:
        session = self._signed_in()
        draft, uow = self._draft, session.uow
        flow, catalogue, name = self.flow, self.catalogue, session.user.display_name
        if draft is None:
            return

        def finish() -> delegation.Decision:
            if draft.case_id is None:
                draft.case_id = delegation.save_draft(uow, draft.person_id, None, answers,
                                                      "OUTCOME", flow, catalogue)
            return delegation.decide(uow, draft.case_id, answers, flow, catalogue, name)

        self.runner.run(finish, self._on_decided, self._on_finish_failed)

    def _on_decided(self, decision: delegation.Decision) -> None:
        if self.wizard is not None:
            self.wizard.close_decided()
        self.decision_recorded.emit(decision)

    def _on_finish_failed(self, error: BaseException) -> None:
        page = self.wizard.currentPage() if self.wizard else None
        if isinstance(error, ExpectedError) and isinstance(page, OutcomePage):
            page.show_problem(error.message)
        else:
            self._on_failed(error)

    def _on_failed(self, error: BaseException) -> None:
        if not isinstance(error, ExpectedError):
            raise error
        self.dialogs.error(self.wizard or self.parent_widget, self.tr("Delegation"), error.message)

    def offer_resume(self, ask: Callable[[delegation.DraftSummary], bool] | None = None) -> None:
        """On start: offer to resume the newest unfinished delegation."""
        uow = self._signed_in().uow
        self.runner.run(lambda: delegation.drafts(uow),
                        lambda found: self._on_drafts_found(found, ask), self._on_failed)

    def _on_drafts_found(self, found: list[delegation.DraftSummary],
                         ask: Callable[[delegation.DraftSummary], bool] | None) -> None:
        if not found:
            return
        newest = found[0]
        question = self.tr(
            "You have an unfinished delegation for %s (stopped at step %s). Resume it now, "
            "exactly where you stopped?") % (newest.person_name, newest.current_step or "S1")
        wants = ask(newest) if ask else self.dialogs.ask(self.parent_widget,
                                                         self.tr("Resume delegation"), question)
        if wants:
            self.start(newest.person_id, newest.case_id)
