"""Reporting a practical problem with the framework to the IPCB from the screens (issue 18
point 6): from any screen (the status bar's button and its key) and from the delegation
wizard (on its step, checking the person's own details); a refusal keeps what was typed;
team leads and governance see the list on the Reports screen, and only a team lead records
the IPCB's answer.

A real vault on its database thread and the real task runner; the controller gets the
same ``FeatureContext`` the app gives it, acting with the role each test needs.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget, QWizard

from desktop_app.models.user import Role
from desktop_app.services import people, registers, reports
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.pdf.meeting_pack import render_meeting_pack
from desktop_app.services.pdf.report import render_report_pdf
from desktop_app.services.vault import SignedInUser, VaultSession
from desktop_app.ui.controllers.context import FeatureContext
from desktop_app.ui.controllers.problems import ProblemsController
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.person_record import PersonRecordWidget
from desktop_app.ui.problem_reports import WARNING, ProblemAnswerDialog, ProblemReportDialog
from desktop_app.ui.reports import ReportsWidget
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.wizard.controller import WizardController
from tests.support import PASSPHRASE, as_role, person_values

FINE = ("At S6 the wizard asked who decides for the person, but the family's lasting power "
        "of attorney was not registered yet; nothing fitted.")
NAMED = "Edith Testperson could not answer at S6 and the daughter was not there."


class Stack:
    """A vault session on its database thread, a person on the caseload, a runner."""

    def __init__(self, store: Any, user_id: str) -> None:
        self.executor = DatabaseExecutor()
        self.session: VaultSession = self.executor.call(store.unlock, user_id, PASSPHRASE)
        self.person_id = self.call(lambda uow: people.create_person(
            uow, people.PersonInput(**person_values(11))).id)
        self.bugs: list[BaseException] = []
        self.runner = TaskRunner(self.executor, self.bugs.append)

    def call(self, work: Callable[[Any], Any]) -> Any:
        return self.executor.call(work, self.session.uow)

    def problems(self) -> tuple[registers.ProblemRow, ...]:
        return self.call(registers.problems)  # type: ignore[no-any-return]

    def report(self, text: str = FINE, about: str = "S6") -> str:
        return self.call(lambda uow: registers.report_problem(  # type: ignore[no-any-return]
            uow, registers.ProblemInput(about, text), "Test Nurse", dt.date.today()))

    def close(self) -> None:
        self.executor.call(self.session.close)
        self.executor.shutdown()


@pytest.fixture
def stack(vault_copy: Any) -> Iterator[Stack]:
    store, user_id, _ = vault_copy
    built = Stack(store, user_id)
    yield built
    built.close()


def _context(qtbot: Any, stack: Stack, role: str) -> FeatureContext:
    user = SignedInUser("u1", "Ann Example", Role(role))
    window = MainWindow(user, demo=False)
    qtbot.addWidget(window)
    acting = SimpleNamespace(uow=as_role(stack.session, role), user=user)
    return FeatureContext(stack.runner, stack.executor, Dialogs(headless=True), window, user,
                          lambda: acting, stack.bugs.append)  # type: ignore[arg-type,return-value]


def _send(qtbot: Any, form: Any) -> None:
    qtbot.mouseClick(form.ok_button, Qt.MouseButton.LeftButton)


def _typed(qtbot: Any, form: ProblemReportDialog, text: str) -> None:
    form.what_edit.clear()
    form.what_edit.setFocus()
    qtbot.keyClicks(form.what_edit, text)


@pytest.mark.hazard("H-037")
def test_reported_from_the_status_bar_a_named_person_is_refused_and_the_text_kept(
        qtbot: Any, stack: Stack) -> None:
    context = _context(qtbot, stack, "nurse")
    controller = ProblemsController(context)
    window = context.window
    assert controller.list_screen is None  # a nurse reports; the list is for leads
    assert not window.problem_button.isHidden() and "&" not in window.problem_button.text()
    qtbot.mouseClick(window.problem_button, Qt.MouseButton.LeftButton)
    form = controller.form
    assert isinstance(form, ProblemReportDialog) and form.isVisible()
    assert form.warning.text() == WARNING == (
        "Do not name the person: the IPCB sees this text. Say 'the person'.")
    assert form.about_combo.itemText(6) == "Step S6: Consent"  # after "Choose…", S1..S5
    assert form.about_combo.findText("Funding and its split") > 0

    _typed(qtbot, form, NAMED)
    _send(qtbot, form)  # no step or rule chosen yet
    assert form.problems["about"].text() == "Choose the step or the rule the problem is about."
    form.about_combo.setCurrentIndex(form.about_combo.findData("S6"))
    _send(qtbot, form)
    problem = form.problems["what_happened"]
    qtbot.waitUntil(lambda: 'it gives a name ("Edith Testperson")' in problem.text(),
                    timeout=5000)  # the words to change, quoted
    assert form.isVisible() and not problem.isHidden()
    assert form.what_edit.toPlainText() == NAMED  # everything typed kept
    assert stack.problems() == ()

    _typed(qtbot, form, FINE)
    _send(qtbot, form)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=5000)
    [row] = stack.problems()
    assert (row.about, row.what_happened, row.reported_by_name, row.status_label) == (
        "S6", FINE, "Ann Example", "Received")
    assert [title for kind, title, _ in context.dialogs.shown] == ["Problem reported"]
    assert stack.bugs == []


def test_the_key_opens_the_form_for_reporters_and_governance_has_no_form(
        qtbot: Any, stack: Stack) -> None:
    for role, offered in (("social_care_practitioner", True), ("read_only", False)):
        context = _context(qtbot, stack, role)
        controller = ProblemsController(context)
        window = context.window
        window.show()
        window.activateWindow()
        qtbot.waitUntil(window.isActiveWindow, timeout=5000)
        qtbot.keyClick(window, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
        assert window.problem_button.isHidden() is not offered
        assert isinstance(controller.form, ProblemReportDialog) is offered, role
        assert "Ctrl+Shift+R" in window.problem_button.toolTip()
        if controller.form is not None:
            controller.form.reject()
        window.close()


@pytest.mark.hazard("H-026")
def test_a_team_lead_records_the_ipcbs_answer_and_governance_only_reads(
        qtbot: Any, stack: Stack) -> None:
    stack.report()
    governance = ProblemsController(_context(qtbot, stack, "read_only"))
    assert governance.list_screen is not None
    assert governance.list_screen.answer_button.isHidden()

    context = _context(qtbot, stack, "team_lead")
    controller = ProblemsController(context)
    screen = controller.list_screen
    assert screen is not None
    qtbot.addWidget(screen)
    screen.show()
    qtbot.waitUntil(lambda: screen.model.rowCount() == 1, timeout=5000)
    assert screen.count_label.text() == "1 problem reported"
    assert screen.model.data(screen.model.index(0, 2)) == "Received"
    assert FINE in screen.detail.toPlainText()
    assert not screen.answer_button.isHidden() and screen.answer_button.isEnabled()

    qtbot.mouseClick(screen.answer_button, Qt.MouseButton.LeftButton)
    form = controller.form
    assert isinstance(form, ProblemAnswerDialog)
    assert [form.status_combo.itemText(i) for i in range(form.status_combo.count())] == [
        "Discussed by the IPCB", "Ruling issued"]
    form.status_combo.setCurrentIndex(1)
    _send(qtbot, form)  # a ruling needs its words
    qtbot.waitUntil(lambda: "Say the ruling" in form.problems["ruling"].text(), timeout=5000)
    ruling = "Record the attorney as 'applied for' and ask the MDT; S6 will offer it."
    form.ruling_edit.setFocus()
    qtbot.keyClicks(form.ruling_edit, ruling)
    _send(qtbot, form)
    qtbot.waitUntil(lambda: not form.isVisible(), timeout=5000)
    qtbot.waitUntil(lambda: screen.model.data(screen.model.index(0, 2)) == "Ruling issued",
                    timeout=5000)
    assert f"Ruling: {ruling}" in screen.detail.toPlainText()
    assert not screen.answer_button.isEnabled()  # nothing after a ruling
    [row] = stack.problems()
    assert (row.ruling, row.status_by_name) == (ruling, "Ann Example")
    assert stack.bugs == []


def test_the_reports_screen_has_the_problems_list_as_a_tab(qtbot: Any, stack: Stack) -> None:
    uow, today = stack.session.uow, dt.date(2027, 2, 10)

    def run(fn: Any, done: Any, failed: Any = None) -> None:
        done(stack.executor.call(fn))

    widget = ReportsWidget(
        [(spec.kind, spec.title) for spec in reports.REPORTS], run,
        lambda kind, query: reports.run_report(uow, kind, query, today=today),
        lambda: reports.report_teams(uow), render_report_pdf,
        lambda team: (render_meeting_pack(pack := reports.load_meeting_pack(uow, today,
                                                                             team)), pack),
        lambda *_shown: None, today=lambda: today)
    qtbot.addWidget(widget)
    assert widget.tabs is None
    controller = ProblemsController(_context(qtbot, stack, "team_lead"))
    assert controller.list_screen is not None
    widget.show_problems(controller.list_screen)
    tabs = widget.tabs
    assert tabs is not None and tabs.count() == 2
    assert [tabs.tabText(i) for i in range(2)] == ["&Governance reports",
                                                    "Problems reported to the &IPCB"]
    assert tabs.widget(0) is widget.reports_page and tabs.widget(1) is controller.list_screen


@pytest.mark.hazard("H-037")
def test_from_the_wizard_the_form_starts_on_its_step_and_checks_the_person(
        qtbot: Any, stack: Stack) -> None:
    wizards = WizardController(stack.runner, stack.session, load_flow(), load_catalogue(),
                               Dialogs(headless=True))
    with qtbot.waitSignal(wizards.wizard_opened, timeout=10000) as opened:
        wizards.start(stack.person_id)
    wizard: Any = opened.args[0]
    qtbot.addWidget(wizard)
    button = wizard.button(QWizard.WizardButton.CustomButton1)
    assert button.isVisible() and button.text() == "Report a problem…"
    context = _context(qtbot, stack, "nurse")
    problems = ProblemsController(context)
    wizards.problem_report_requested.connect(problems.report_from)
    assert "Ctrl+Shift+R" in button.toolTip()
    wizard.activateWindow()
    qtbot.waitUntil(wizard.isActiveWindow, timeout=5000)
    with qtbot.waitSignal(wizards.problem_report_requested, timeout=5000) as keyed:
        qtbot.keyClick(wizard, Qt.Key.Key_R, Qt.KeyboardModifier.ControlModifier
                       | Qt.KeyboardModifier.ShiftModifier)
    assert keyed.args == [wizard, "S1", stack.person_id]
    assert isinstance(problems.form, ProblemReportDialog)
    problems.form.reject()
    with qtbot.waitSignal(wizards.problem_report_requested, timeout=5000) as asked:
        qtbot.mouseClick(button, Qt.MouseButton.LeftButton)
    assert asked.args == [wizard, "S1", stack.person_id]
    form = problems.form
    assert isinstance(form, ProblemReportDialog)
    over_the_wizard = form.parent() is wizard
    assert over_the_wizard
    assert form.about_combo.currentData() == "S1" and form.person_id == stack.person_id
    # Edith's first name alone is refused here (it is her wizard), as on her record.
    _typed(qtbot, form, "Edith asked us to stop at S1 because the task list was too long")
    _send(qtbot, form)
    qtbot.waitUntil(lambda: "it gives a name" in form.problems["what_happened"].text(),
                    timeout=5000)
    assert stack.problems() == () and wizard.isVisible()
    assert stack.bugs == []


@pytest.mark.hazard("H-037")
def test_from_the_status_bar_the_person_record_on_screen_is_checked(
        qtbot: Any, stack: Stack) -> None:
    context = _context(qtbot, stack, "nurse")
    controller = ProblemsController(context)
    window = context.window
    record = PersonRecordWidget(None)
    window.add_screen("caseload", "Caseload", QWidget())
    window.add_screen("person", "Person record", record)
    record.person_id = stack.person_id  # Edith Testperson's record is open
    window.show_screen("person")
    qtbot.mouseClick(window.problem_button, Qt.MouseButton.LeftButton)
    form = controller.form
    assert isinstance(form, ProblemReportDialog) and form.person_id == stack.person_id
    form.about_combo.setCurrentIndex(form.about_combo.findData("S6"))
    _typed(qtbot, form, "Edith asked us to stop at S6 because the task list was too long")
    _send(qtbot, form)
    qtbot.waitUntil(lambda: 'it gives a name ("Edith")' in form.problems["what_happened"]
                    .text(), timeout=5000)
    assert stack.problems() == ()
    form.reject()

    window.show_screen("caseload")  # no one's record on screen: a first name is a word
    qtbot.mouseClick(window.problem_button, Qt.MouseButton.LeftButton)
    form = controller.form
    assert isinstance(form, ProblemReportDialog) and form.person_id is None
    assert stack.bugs == []


def test_the_answer_form_starts_with_the_ruling_empty_and_the_note_beside_it(
        qtbot: Any, stack: Stack) -> None:
    stack.report()
    [row] = stack.problems()
    note = "Discussed: the IPCB will ask the Office of the Public Guardian first."
    stack.call(lambda uow: registers.set_problem_status(uow, row.problem_id, "discussed", note,
                                                        "Team Lead", row.version))
    [row] = stack.problems()
    controller = ProblemsController(_context(qtbot, stack, "team_lead"))
    form = controller.open_answer_form(row)
    assert isinstance(form, ProblemAnswerDialog)
    assert form.ruling_edit.toPlainText() == ""  # never the note, issued by mistake
    assert form.note_view is not None and form.note_view.isReadOnly()
    assert form.note_view.toPlainText() == note
    assert form.status_combo.currentText() == "Ruling issued"
    _send(qtbot, form)  # nothing typed: the note is not taken as the ruling
    qtbot.waitUntil(lambda: "Say the ruling" in form.problems["ruling"].text(), timeout=5000)
    [after] = stack.problems()
    assert (after.status_label, after.ruling) == ("Discussed by the IPCB", note)
    form.reject()
    assert stack.bugs == []
