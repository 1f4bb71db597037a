"""The Delegations screen (unfinished delegations, starting one by NHS number, discarding
and resuming drafts) and the delegation wizard's controller.

The screen's NHS number is the person chosen on the caseload (``offer_person``, from the
people controller). A number nobody on the caseload has is offered for adding
(``add_person_requested``, to the person record's new person form). On sign-in the newest
unfinished delegation is offered for resuming, saying whose it is and how old; "Not now"
is remembered while this user's window lasts (locks and another user's sign-in
included), so the same draft is not asked about again until the app is next started.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal

from desktop_app.services import delegation, people
from desktop_app.services.core.errors import ExpectedError, NotFound
from desktop_app.services.core.roles import Permission
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.people.caseload import new_person_hint
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.main_window import StartDelegationPanel
from desktop_app.ui.when import days_ago, moment
from desktop_app.ui.wizard.controller import WizardController


class DelegationsController(FeatureController):
    """Starts, resumes and discards delegations; the wizard records them."""

    batch_requested = Signal()  # the team lead's "Print a batch of plans…"
    person_delegated = Signal(str)  # person id: a delegation was just recorded for them
    add_person_requested = Signal(object)  # NewPersonHint: an NHS number not on the caseload

    def __init__(self, context: FeatureContext, people_count: int) -> None:
        super().__init__(context)
        self.wizards = WizardController(context.runner, context.session(), load_flow(),
                                        load_catalogue(), context.dialogs, context.window,
                                        follow_newest=True)
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
        self.not_now: set[tuple[str, dt.datetime]] = set()  # (case id, last changed)
        self.refresh_drafts()

    def screens(self) -> tuple[Screen, ...]:
        """The Delegations screen."""
        return (Screen("delegations", self.tr("Delegations"), self.start_screen),)

    def open_wizard(self, person_id: str) -> None:
        """Start a delegation for a person."""
        self.wizards.start(person_id)

    def offer_resume(self) -> None:
        """On sign-in: offer to resume the newest unfinished delegation, unless "Not now"
        was said to it (as it is) earlier in this window's life."""
        self.wizards.offer_resume(ask=self._ask_resume)

    def offer_person(self, _person_id: str, nhs_number: str, name: str) -> None:
        """The person chosen on the caseload: their NHS number goes in the start box."""
        self.start_screen.set_person(nhs_number, name)

    def _ask_resume(self, draft: delegation.DraftSummary) -> bool:
        if (draft.case_id, draft.updated_at) in self.not_now:
            return False
        now = self.context.now()
        step = draft.step_title or draft.current_step or "S1"
        task = draft.task_name or draft.task_code or self.tr("a task not chosen yet")
        started = (self.tr("It was started %1 and last changed %2.")
                   .replace("%1", days_ago(draft.started_at, now))
                   .replace("%2", moment(draft.updated_at, now))
                   if draft.started_at else
                   self.tr("It was last changed %1.").replace("%1", moment(draft.updated_at,
                                                                             now)))
        question = (self.tr("You have an unfinished delegation for %1: %2, stopped at "
                            "“%3”.").replace("%1", draft.person_name).replace("%2", task)
                    .replace("%3", step) + " " + started + "\n\n" + self.tr(
                        "Resume it now, exactly where you stopped? “Not now” will not ask "
                        "about it again until Shared Care Planner is next started; the "
                        "Delegations screen lists it, to resume or discard."))
        choice = self.context.dialogs.choose(
            self.context.window, self.tr("Resume delegation"), question,
            (self.tr("&Resume now"), self.tr("&Not now")))
        if choice != 0:
            self.not_now.add((draft.case_id, draft.updated_at))
        return choice == 0

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

        def failed(error: ExpectedError) -> None:
            hint = new_person_hint(typed)  # NotFound comes only for a valid number
            if not (isinstance(error, NotFound) and hint.nhs_number
                    and self.context.can(Permission.EDIT_PEOPLE)):
                self.context.show_error(error)
                return
            choice = self.context.dialogs.choose(
                self.context.window, self.tr("Not on the caseload"), self.tr(
                    "Nobody with NHS number %1 is on this laptop's caseload. Add them first: "
                    "the new person's form opens with the NHS number filled in.")
                .replace("%1", format_nhs_number(hint.nhs_number)),
                (self.tr("&Add this person"),))
            if choice == 0:
                self.add_person_requested.emit(hint)

        self.context.run(lambda: people.find_by_nhs_number(uow(), typed),
                         lambda person: self.wizards.start(person.id), failed)

    def _on_start_screen_discard_requested(self, case_id: str) -> None:
        if not self.context.ask(self.tr("Discard delegation"), self.tr(
                "Discard this unfinished delegation? What was typed in it will be removed.")):
            return
        uow = self.context.uow
        self.context.run(lambda: delegation.discard_draft(uow(), case_id),
                         lambda _: self.refresh_drafts())

    def _on_wizards_decision_recorded(self, decision: delegation.Decision) -> None:
        self.refresh_drafts()
        wizard = self.wizards.wizard
        if wizard is not None:
            self.person_delegated.emit(wizard.context.person_id)
        plan = (self.tr(" Support plan version %d saved.") % decision.plan_version
                if decision.plan_version else "")
        self.context.dialogs.inform(self.context.window, self.tr("Delegation recorded"),
                                    decision.title + "." + plan)
