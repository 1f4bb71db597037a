"""The signed-in user's feature controllers, held together by the composition root.

The delegations' history on the person record (``HistoryController``) and its "Export
shared care record…" (``RecordExportController``) have no screen of their own: each is made
here, for the people controller's person record, unless given.

Each screen's keyboard shortcut is fixed here (``SCREEN_SHORTCUTS``), whatever the role.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import TYPE_CHECKING

from desktop_app.ui.controllers.context import FeatureController, Screen
from desktop_app.ui.controllers.delegations import DelegationsController
from desktop_app.ui.controllers.history import HistoryController
from desktop_app.ui.controllers.people import PeopleController
from desktop_app.ui.controllers.plans import PlansController
from desktop_app.ui.controllers.problems import ProblemsController
from desktop_app.ui.controllers.providers import ProvidersController
from desktop_app.ui.controllers.record_export import RecordExportController
from desktop_app.ui.controllers.registers import RegistersController
from desktop_app.ui.controllers.reports import ReportsController
from desktop_app.ui.controllers.sync import SyncScreenController

if TYPE_CHECKING:
    from desktop_app.ui.main_window import MainWindow

# Each screen's shortcut, the same for every role: a screen the role lacks (Reports, for a
# nurse or a social care practitioner) is left out of the list, and its key does nothing.
# The main window lists the screens in this order. (The README's "The screens" says these.)
SCREEN_SHORTCUTS: dict[str, str] = {
    "caseload": "Ctrl+1",
    "delegations": "Ctrl+2",
    "person": "Ctrl+3",
    "reviews": "Ctrl+4",
    "competency": "Ctrl+5",
    "escalations": "Ctrl+6",
    "examples": "Ctrl+7",
    "providers": "Ctrl+8",
    "reports": "Ctrl+9",
    "sync": "Ctrl+0",
}
SCREEN_ORDER = tuple(SCREEN_SHORTCUTS)


@dataclass(frozen=True)
class Features:
    """One controller per feature, for one signed-in window (made again for another user)."""

    delegations: DelegationsController
    plans: PlansController
    people: PeopleController
    registers: RegistersController
    reports: ReportsController | None  # team leads and governance only
    sync: SyncScreenController
    providers: ProvidersController
    history: HistoryController | None = None  # made for the person record unless given
    problems: ProblemsController | None = None  # reports to the IPCB (no screen of its own)
    record_export: RecordExportController | None = None  # made for the person record

    def __post_init__(self) -> None:
        if self.history is None:
            object.__setattr__(self, "history", HistoryController(
                self.people.context, self.people.person_screen))
        if self.record_export is None:
            object.__setattr__(self, "record_export", RecordExportController(
                self.people.context, self.people.person_screen))

    def each(self) -> list[FeatureController]:
        """Every controller."""
        return [c for c in (self.delegations, self.plans, self.people, self.registers,
                            self.providers, self.reports, self.sync, self.history,
                            self.problems, self.record_export)
                if c is not None]

    def screens(self) -> list[Screen]:
        """Every controller's screens, in the main window's order."""
        screens = [screen for controller in self.each() for screen in controller.screens()]
        return sorted(screens, key=lambda screen: SCREEN_ORDER.index(screen.key))

    def add_to(self, window: MainWindow) -> None:
        """Add every screen to the main window, in order, each with its fixed shortcut."""
        for screen in self.screens():
            window.add_screen(screen.key, screen.title, screen.widget,
                              SCREEN_SHORTCUTS[screen.key])

    def lock(self) -> None:
        """The app is locking (the vault is still open)."""
        for controller in self.each():
            controller.lock()

    def resume(self) -> None:
        """The same user has unlocked again."""
        for controller in self.each():
            controller.resume()

    def close(self) -> None:
        """Another user has signed in, or the app is closing."""
        for controller in self.each():
            controller.close()
