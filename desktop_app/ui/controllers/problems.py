"""Staff's practical problems with the framework, for the IPCB (framework §5.0).

The report form opens from any screen (the main window's "Report a problem with the
framework…" and its key, for every role but read-only; with the person record on screen,
the form checks that person's own details too) and from the delegation wizard (its own
"Report a problem…" button, the form starting on the wizard's step and checking the
person's own details too: ``report_from``). Team leads and governance see the list on
the Reports screen (``list_screen``, put there by the composition root); a team lead
records the IPCB's answer from it.
"""

from __future__ import annotations

from collections.abc import Callable
from typing import Any, TypeVar

from PySide6.QtWidgets import QWidget

from desktop_app.services import registers
from desktop_app.services.core.roles import Permission
from desktop_app.ui.controllers.context import FeatureContext, FeatureController
from desktop_app.ui.forms import FormDialog, save_from
from desktop_app.ui.person_record import PersonRecordWidget
from desktop_app.ui.problem_reports import (
    ProblemAnswer,
    ProblemAnswerDialog,
    ProblemReportDialog,
    ProblemsWidget,
)

D = TypeVar("D", bound=FormDialog[Any])


class ProblemsController(FeatureController):
    """The problem report form, the list of problems and the IPCB's answer."""

    def __init__(self, context: FeatureContext) -> None:
        super().__init__(context)
        self.form: FormDialog[Any] | None = None  # the form open last, if any
        self.list_screen: ProblemsWidget | None = None
        if context.can(Permission.VIEW_REPORTS):
            uow = context.uow
            self.list_screen = ProblemsWidget(context.run, lambda: registers.problems(uow()),
                                              context.can(Permission.TRACK_PROBLEMS))
            self.list_screen.answer_requested.connect(self.open_answer_form)
        window = context.window
        window.problem_button.setVisible(context.can(Permission.REPORT_PROBLEM))
        window.problem_report_requested.connect(self._on_window_problem_report_requested)

    def _on_window_problem_report_requested(self) -> None:
        self.open_report_form(person_id=self._person_on_screen())

    def _person_on_screen(self) -> str | None:
        """The person whose record is the screen on show, if any."""
        window = self.context.window
        shown = window.stack.currentWidget()
        if isinstance(shown, PersonRecordWidget) and shown.person_id:
            return shown.person_id
        return None

    def report_from(self, parent: QWidget, step_id: str, person_id: str) -> None:
        """The form over the wizard, on its step (``""``: none), for its person."""
        self.open_report_form(step_id or None, person_id or None, parent)

    def open_report_form(self, about: str | None = None, person_id: str | None = None,
                         parent: QWidget | None = None) -> ProblemReportDialog | None:
        """The report form (None when the role may not report)."""
        if not self.context.can(Permission.REPORT_PROBLEM):
            return None
        over = parent or self.context.window
        dialog = ProblemReportDialog(registers.problem_topics(), about, person_id, over)
        name, today = self.context.user.display_name, self.context.today

        def work(data: registers.ProblemInput) -> Callable[[], str]:
            uow = self.context.uow_now()  # the session of the Send
            return lambda: registers.report_problem(uow, data, name, today())

        def saved(_problem_id: str) -> None:
            self.context.dialogs.inform(over, self.tr("Problem reported"), self.tr(
                "Thank you. The problem is on the IPCB's list as received; it reaches the "
                "central store at the next sync, and team leads and governance see it on "
                "the Reports screen."))
            self._refresh_list()

        save_from(dialog, self.context.run, work, saved)
        return self._open(dialog)

    def open_answer_form(self, row: registers.ProblemRow) -> ProblemAnswerDialog | None:
        """The IPCB's answer to one problem (team leads only)."""
        if not self.context.can(Permission.TRACK_PROBLEMS):
            return None
        dialog = ProblemAnswerDialog(row, self.context.window)
        name, today = self.context.user.display_name, self.context.today

        def work(answer: ProblemAnswer) -> Callable[[], registers.ProblemRow]:
            uow = self.context.uow_now()
            return lambda: registers.set_problem_status(
                uow, answer.problem_id, answer.status, answer.ruling, name,
                answer.expected_version, today())

        save_from(dialog, self.context.run, work, lambda _row: self._refresh_list())
        return self._open(dialog)

    def _open(self, dialog: D) -> D:
        self.form = dialog
        dialog.open()
        return dialog

    def _refresh_list(self) -> None:
        if self.list_screen is not None:
            self.list_screen.refresh()
