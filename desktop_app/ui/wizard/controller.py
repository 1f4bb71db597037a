"""Opens the delegation wizard for a person, saves its drafts, records its decision.

All database work goes through the task runner (the database thread); the draft's case
id is kept in a holder the database thread itself updates, so saves queued before the
first one finished still land on the same case.

"Add provider…" (S7) and "Add care worker…" (S7, S8) open the Care providers screen's own
forms over the wizard; once saved, the providers are read again through the services and
handed to every page, and the page chooses the new one. The draft is untouched meanwhile.

"Report a problem…" (and Ctrl+Shift+R) on every page asks for the report form to the IPCB
(``problem_report_requested``: the wizard, its step, the person); the draft is untouched.

A draft goes on under the flow version it was started under. Resuming one started under an
older flow than the newest asks whether to continue under that flow (the wizard, its saves
and the decision use it) or to restart under the newest (the draft's answers kept for the
steps it still has, the wizard at its first step); Cancel leaves the draft as it was.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QObject, Signal
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import QWidget, QWizard

from desktop_app.services import delegation
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.roles import Permission, allowed
from desktop_app.services.framework.catalogue import Catalogue, load_catalogue
from desktop_app.services.framework.flow import (
    Flow,
    kept_answers,
    load_flow,
    load_flow_version,
    short_version,
)
from desktop_app.services.providers import register, workers
from desktop_app.services.vault import VaultSession
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.main_window import REPORT_PROBLEM_KEY
from desktop_app.ui.provider_forms import FormDialog, ProviderDialog, WorkerDialog, save_from
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import ProviderOption, WizardContext
from desktop_app.ui.wizard.outcome_page import OutcomePage
from desktop_app.ui.wizard.pages import PAGES
from desktop_app.ui.wizard.s7_provider import ProviderPage
from desktop_app.ui.wizard.s8_training import TrainingPage
from desktop_app.ui.wizard.wizard import PAGE_IDS, DelegationWizard

T = TypeVar("T")
Providers = tuple[ProviderOption, ...]


@dataclass
class _Draft:
    person_id: str
    flow: Flow  # the flow the wizard runs: the draft's own
    case_id: str | None = None


class WizardController(QObject):
    """One wizard at a time, for the signed-in user's vault session."""

    wizard_opened = Signal(object)  # the DelegationWizard
    decision_recorded = Signal(object)  # delegation.Decision
    draft_saved = Signal(str)  # case id
    # "Report a problem…": the wizard, its step id ("" on the outcome page), the person id.
    problem_report_requested = Signal(object, str, str)

    def __init__(self, runner: TaskRunner, session: VaultSession | None, flow: Flow,
                 catalogue: Catalogue, dialogs: Dialogs,
                 parent_widget: QWidget | None = None, *, follow_newest: bool = False) -> None:
        super().__init__(parent_widget)
        self.runner = runner
        self.session = session
        self.flow = flow  # the newest: new drafts start under it
        self.catalogue = catalogue
        # Take the newest flow and catalogue again at each start: a sync may have brought a
        # version the IPCB published (services.framework.releases) since the last one.
        self.follow_newest = follow_newest
        self.dialogs = dialogs
        self.parent_widget = parent_widget
        self.wizard: DelegationWizard | None = None
        self.form: FormDialog[Any] | None = None  # an "Add provider…" form, while open
        self._draft: _Draft | None = None

    def _signed_in(self) -> VaultSession:
        """The vault session; None only while the app is locked, when its windows (and so
        everything that starts or finishes a wizard) are hidden."""
        assert self.session is not None, "the wizard is used only while signed in"
        return self.session

    def start(self, person_id: str, case_id: str | None = None) -> None:
        """Open the wizard for a person (resuming ``case_id``'s draft if given)."""
        if self.follow_newest:
            self.flow, self.catalogue = load_flow(), load_catalogue()
        uow, catalogue = self._signed_in().uow, self.catalogue
        self.runner.run(lambda: delegation.wizard_context(uow, person_id, catalogue, case_id),
                        self._open, self._on_failed)

    def _open(self, context: WizardContext) -> None:
        """Open the wizard; a draft started under another flow first asks which to use."""
        version = context.flow_version
        if context.case_id is None or not version or version == self.flow.version:
            self._show(context, self.flow)
            return
        try:
            older = load_flow_version(version)
        except ExpectedError as error:
            self._on_failed(error)
            return
        old, new = short_version(older.version), short_version(self.flow.version)
        question = self.tr(
            "This delegation was started under flow %s; the framework's flow is now %s. "
            "Continue under %s, or restart under %s (the answers so far are kept where the "
            "steps still ask them)?") % (old, new, old, new)
        choice = self.dialogs.choose(
            self.parent_widget, self.tr("Flow version"), question,
            (self.tr("Continue under %s") % old, self.tr("Restart under %s") % new))
        if choice == 0:
            self._show(context, older)
        elif choice == 1:
            self._restart(context)

    def _restart(self, context: WizardContext) -> None:
        """The draft goes on under the newest flow, from its first step, answers kept."""
        uow, flow, catalogue = self._signed_in().uow, self.flow, self.catalogue
        answers, case_id = kept_answers(flow, context.answers), context.case_id
        restarted = dataclasses.replace(context, answers=answers, current_step=None,
                                        flow_version=flow.version)

        def save() -> str:
            return delegation.save_draft(uow, context.person_id, case_id, answers, flow.start,
                                         flow, catalogue, restart=True)

        def saved(saved_id: str) -> None:
            self.draft_saved.emit(saved_id)
            self._show(restarted, flow)

        self.runner.run(save, saved, self._on_failed)

    def _show(self, context: WizardContext, flow: Flow) -> None:
        self._draft = _Draft(context.person_id, flow, context.case_id)
        wizard = DelegationWizard(context, flow, PAGES, OutcomePage, self.parent_widget)
        wizard.draft_changed.connect(self._on_wizard_draft_changed)
        wizard.finish_requested.connect(self._on_wizard_finish_requested)
        self.wizard = wizard
        self._offer_adding(wizard)
        self._offer_reporting(wizard)
        wizard.show()
        wizard.resume_at(context.current_step)
        self.wizard_opened.emit(wizard)

    # ------------------------------------------------------------ reporting a problem

    def _offer_reporting(self, wizard: DelegationWizard) -> None:
        """"Report a problem…" beside the wizard's buttons, and its key, for the roles that
        may report one to the IPCB."""
        if not allowed(str(self._signed_in().user.role), Permission.REPORT_PROBLEM):
            return
        key = QKeySequence(REPORT_PROBLEM_KEY)
        shown = key.toString(QKeySequence.SequenceFormat.NativeText)
        wizard.setOption(QWizard.WizardOption.HaveCustomButton1, True)
        buttons = QWizard.WizardButton  # on the left, apart from the way through the steps
        wizard.setButtonLayout([buttons.CustomButton1, buttons.Stretch, buttons.BackButton,
                                buttons.NextButton, buttons.CommitButton,
                                buttons.FinishButton, buttons.CancelButton])
        wizard.setButtonText(QWizard.WizardButton.CustomButton1, self.tr("Report a problem…"))
        button = wizard.button(QWizard.WizardButton.CustomButton1)
        button.setAccessibleName(self.tr("Report a problem with the framework to the IPCB"))
        button.setToolTip(self.tr("A practical problem with this step or a rule of the "
                                  "framework, for the IPCB") + f" ({shown})")
        wizard.customButtonClicked.connect(self._on_wizard_custom_button_clicked)
        QShortcut(key, wizard).activated.connect(self.report_problem)

    def _on_wizard_custom_button_clicked(self, which: int) -> None:
        if which == QWizard.WizardButton.CustomButton1.value:
            self.report_problem()

    def report_problem(self) -> None:
        """Ask for the problem report form, on the wizard's step, for its person."""
        wizard = self.wizard
        if wizard is None:
            return
        step = wizard.current_step()
        self.problem_report_requested.emit(wizard, "" if step == "OUTCOME" else step,
                                           wizard.context.person_id)

    # ------------------------------------------------------------ adding to the register

    def _pages(self, wizard: DelegationWizard) -> tuple[ProviderPage, TrainingPage]:
        s7, s8 = wizard.page(PAGE_IDS["S7"]), wizard.page(PAGE_IDS["S8"])
        assert isinstance(s7, ProviderPage) and isinstance(s8, TrainingPage)
        return s7, s8

    def _offer_adding(self, wizard: DelegationWizard) -> None:
        s7, s8 = self._pages(wizard)
        can_add = allowed(str(self._signed_in().user.role), Permission.EDIT_PROVIDERS)
        s7.enable_adding(can_add)
        s8.enable_adding(can_add)
        # Bound methods, not lambdas: a lambda would keep this controller alive with the
        # wizard's pages.
        s7.add_provider_requested.connect(self.add_provider)
        s7.add_worker_requested.connect(self._on_s7_add_worker_requested)
        s8.add_worker_requested.connect(self._on_s8_add_worker_requested)

    def _on_s7_add_worker_requested(self, provider_id: str) -> None:
        self.add_worker(provider_id, from_training=False)

    def _on_s8_add_worker_requested(self, provider_id: str) -> None:
        self.add_worker(provider_id, from_training=True)

    def add_provider(self) -> ProviderDialog | None:
        """The provider form over the wizard; once saved, S7 chooses the new provider."""
        wizard = self.wizard
        if wizard is None:
            return None

        def work(data: register.ProviderInput) -> Callable[[], tuple[str, Providers]]:
            uow, today = self._signed_in().uow, dt.date.today()  # the session of the Save

            def save() -> tuple[str, Providers]:
                provider = register.create_provider(uow, data, today)
                return provider.id, delegation.offered_providers(uow, today)
            return save

        def saved(result: tuple[str, Providers]) -> None:
            provider_id, providers = result
            self._use_providers(wizard, providers)
            self._pages(wizard)[0].provider_added(provider_id)

        dialog = ProviderDialog(parent=wizard)
        save_from(dialog, self._run, work, saved)
        return self._open_form(dialog)

    def add_worker(self, provider_id: str, from_training: bool) -> WorkerDialog | None:
        """The care worker form over the wizard; once saved, S7 ticks the new worker (and
        S8, if asked from there, gives them a sign-off row)."""
        wizard = self.wizard
        provider = wizard.context.provider(provider_id) if wizard else None
        if wizard is None or provider is None:
            return None

        def work(data: workers.WorkerInput) -> Callable[[], tuple[workers.SavedWorker,
                                                                  Providers]]:
            uow, today = self._signed_in().uow, dt.date.today()  # the session of the Save

            def save() -> tuple[workers.SavedWorker, Providers]:
                added = workers.add_worker(uow, provider_id, data, today)
                return added, delegation.offered_providers(uow, today)
            return save

        def saved(result: tuple[workers.SavedWorker, Providers]) -> None:
            added, providers = result
            self._use_providers(wizard, providers)
            s7, s8 = self._pages(wizard)
            s7.worker_added(added.worker.id)
            if from_training:
                s8.worker_added(added.worker.id)
            if added.warnings:
                self.dialogs.inform(wizard, self.tr("Check the care worker"),
                                    " ".join(added.warnings))

        dialog = WorkerDialog(provider.name, parent=wizard)
        save_from(dialog, self._run, work, saved)
        return self._open_form(dialog)

    def _open_form(self, dialog: T) -> T:
        assert isinstance(dialog, FormDialog)
        self.form = dialog
        dialog.open()
        return dialog

    @staticmethod
    def _use_providers(wizard: DelegationWizard, providers: Providers) -> None:
        """Every page offers the register as it is now."""
        context = dataclasses.replace(wizard.context, providers=providers)
        wizard.context = context
        for page_id in wizard.pageIds():
            page = wizard.page(page_id)
            if isinstance(page, StepPage):
                page.context = context

    def _run(self, fn: Callable[[], T], done: Callable[[T], None],
             failed: Callable[[ExpectedError], None] | None = None) -> object:
        """``runner.run`` as a form's ``Run``: an expected error to ``failed``."""
        def on_failed(error: BaseException) -> None:
            if failed is not None and isinstance(error, ExpectedError):
                failed(error)
            else:
                self._on_failed(error)
        return self.runner.run(fn, done, on_failed)

    # ------------------------------------------------------------ drafts and the decision

    def _on_wizard_draft_changed(self, answers: dict[str, Any], step: str) -> None:
        if self._draft is None or self.session is None:  # locked: saved before the close
            return
        draft, uow, catalogue = self._draft, self.session.uow, self.catalogue
        flow = draft.flow

        def save() -> str:
            draft.case_id = delegation.save_draft(uow, draft.person_id, draft.case_id, answers,
                                                  step, flow, catalogue)
            return draft.case_id

        self.runner.run(save, self.draft_saved.emit, self._on_failed)

    def _on_wizard_finish_requested(self, answers: dict[str, Any]) -> None:
        session = self._signed_in()
        draft, uow = self._draft, session.uow
        catalogue, name = self.catalogue, session.user.display_name
        if draft is None:
            return
        flow = draft.flow

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
        """On start: offer to resume the newest unfinished delegation the signed-in user
        saved (another user's draft is theirs: it is listed on Delegations, never pressed
        on someone else at sign-in)."""
        signed_in = self._signed_in()
        uow, user_id = signed_in.uow, signed_in.user.user_id
        self.runner.run(lambda: [d for d in delegation.drafts(uow) if d.saved_by == user_id],
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
