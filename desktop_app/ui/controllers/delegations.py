"""The Delegations screen (unfinished delegations, starting one by NHS number, discarding
and resuming drafts) and the delegation wizard's controller."""

from __future__ import annotations

from PySide6.QtCore import Signal

from desktop_app.services import delegation, people
from desktop_app.services.core.roles import Permission
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.main_window import StartDelegationPanel
from desktop_app.ui.wizard.controller import WizardController


class DelegationsController(FeatureController):
    """Starts, resumes and discards delegations; the wizard records them."""

    batch_requested = Signal()  # the team lead's "Print a batch of plans…"

    def __init__(self, context: FeatureContext, people_count: int) -> None:
        super().__init__(context)
        self.wizards = WizardController(context.runner, context.session(), load_flow(),
                                        load_catalogue(), context.dialogs, context.window)
        self.wizards.decision_recorded.connect(self._on_wizards_decision_recorded)
        self.wizards.draft_saved.connect(lambda _case_id: self.refresh_drafts())
        self.start_screen = StartDelegationPanel(people_count,
                                                 context.can(Permission.DELEGATE),
                                                 context.can(Permission.PRINT_BATCH))
        self.start_screen.batch_requested.connect(self.batch_requested)
        self.start_screen.delegation_requested.connect(
            self._on_start_screen_delegation_requested)
        self.start_screen.resume_requested.connect(self.wizards.start)
        self.start_screen.discard_requested.connect(self._on_start_screen_discard_requested)
        self.refresh_drafts()

    def screens(self) -> tuple[Screen, ...]:
        """The Delegations screen."""
        return (Screen("delegations", self.tr("Delegations"), self.start_screen),)

    def open_wizard(self, person_id: str) -> None:
        """Start a delegation for a person."""
        self.wizards.start(person_id)

    def offer_resume(self) -> None:
        """On sign-in: offer to resume the newest unfinished delegation."""
        self.wizards.offer_resume()

    def refresh_drafts(self) -> None:
        """List the unfinished delegations again."""
        uow = self.context.uow
        self.context.run(lambda: delegation.drafts(uow()), self.start_screen.show_drafts)

    def lock(self) -> None:
        """An open wizard's draft is queued for saving before the vault closes; until the
        unlock the wizard holds no session."""
        wizard = self.wizards.wizard
        if wizard is not None and wizard.isVisible():
            wizard.save_draft_now()
        self.wizards.session = None

    def resume(self) -> None:
        """The wizard carries on in the new session."""
        self.wizards.session = self.context.session()

    def _on_start_screen_delegation_requested(self, typed: str) -> None:
        uow = self.context.uow
        self.context.run(lambda: people.find_by_nhs_number(uow(), typed),
                         lambda person: self.wizards.start(person.id))

    def _on_start_screen_discard_requested(self, case_id: str) -> None:
        if not self.context.ask(self.tr("Discard delegation"), self.tr(
                "Discard this unfinished delegation? What was typed in it will be removed.")):
            return
        uow = self.context.uow
        self.context.run(lambda: delegation.discard_draft(uow(), case_id),
                         lambda _: self.refresh_drafts())

    def _on_wizards_decision_recorded(self, decision: delegation.Decision) -> None:
        self.refresh_drafts()
        plan = (self.tr(" Support plan version %d saved.") % decision.plan_version
                if decision.plan_version else "")
        self.context.dialogs.inform(self.context.window, self.tr("Delegation recorded"),
                                    decision.title + "." + plan)
