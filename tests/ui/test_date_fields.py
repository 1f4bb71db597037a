"""Every date field of the app, typed with the keyboard, is stored (issue 17, hazard H-020).

Each screen is opened as a user opens it, wired by its own controller to the real services
on a real vault (``run`` calls the work at once, as the task runner later does on the GUI
thread); a date is typed in one of the accepted UK forms (varied across the tests), the
action is taken from the keyboard or its button, and the date is read back from the vault
(for the two filters, from the query they ran). Then, once, the field itself: Alt+Down and
F4 open its calendar and Enter picks; a day that does not exist or a two-digit year is
refused with a message, the text kept and nothing saved; leaving the field shows the date as
it was read. Every form, made on its own, refuses a day that does not exist with a message,
sends nothing and keeps the text. The wizard's dates are typed on their pages and found in
the wizard's answers, in the draft saved in the vault and, once decided, in what the
decision recorded.

``test_every_date_field_of_the_app_is_covered_here`` reads the screens' source: a new date
field without a test here fails it.
"""

from __future__ import annotations

import ast
import datetime as dt
import shutil
from collections.abc import Callable, Iterator
from pathlib import Path
from types import SimpleNamespace
from typing import Any, TypeVar

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QWidget, QWizard
from sqlalchemy import select

from desktop_app.models.competency import CompetenceAssessment, TrainingEvent
from desktop_app.models.delegation import DelegationCase
from desktop_app.models.history import CaseEvent, CaseEventKind, InterimReconciliation
from desktop_app.models.mdt import MdtDecision, SharedCareDiscussion
from desktop_app.models.oversight import ClinicalOversight, OversightService
from desktop_app.models.person import Contact, Person
from desktop_app.models.plan import Funder, FundingSplit, SupportPlan
from desktop_app.models.provider import CareProvider, CareWorker
from desktop_app.models.review import Review
from desktop_app.services import registers, reports
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.roles import allowed
from desktop_app.services.delegation.oversight import transfer_oversight
from desktop_app.services.plans.batch import plans_for_batch
from desktop_app.services.registers import AgreedFunding
from desktop_app.services.vault import VaultSession, VaultStore
from desktop_app.ui.controllers.history import HistoryController
from desktop_app.ui.controllers.people import PeopleController
from desktop_app.ui.controllers.providers import ProvidersController
from desktop_app.ui.controllers.registers import RegistersController
from desktop_app.ui.delegation_history import ConsentWithdrawnDialog, NeedChangedDialog
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.forms import DateInput
from desktop_app.ui.person_record import PersonRecordWidget
from desktop_app.ui.plan_batch import PlanBatchDialog
from desktop_app.ui.provider_forms import LeavingDialog, ProviderDialog, WorkerDialog
from desktop_app.ui.registers.competence_forms import AssessmentDialog, TrainingDialog
from desktop_app.ui.registers.funding_decisions import CsuResultDialog, CsuRoutedDialog
from desktop_app.ui.registers.reconciliation import ReconciliationDialog
from desktop_app.ui.registers.reviews import AcceptanceDialog
from desktop_app.ui.reports import PERIODS, ReportsWidget
from tests.support import PASSPHRASE, TEST_KDF, run_now, type_date
from tools.sample_case import BuiltCase, CaseSpec, build_case

D = dt.date
LEFT = Qt.MouseButton.LeftButton
GP = OversightService.GP_PRACTICE
PRACTICE = "Leicester Demo Medical Practice"
UI = Path(__file__).resolve().parents[2] / "desktop_app" / "ui"

pytestmark = pytest.mark.hazard("H-020")


# ---------------------------------------------------------------- the screens, wired


run = run_now  # the task runner, done at once


class Window(QWidget):
    """The main window as the controllers use it: it shows a screen by its key."""

    def __init__(self) -> None:
        super().__init__()
        self.shown_screen = ""

    def show_screen(self, key: str) -> None:
        self.shown_screen = key


def context(qtbot: Any, vault: VaultSession, today: dt.date,
            role: str = "team_lead") -> SimpleNamespace:
    """A feature context for ``role`` on ``vault`` whose day is ``today`` (the controllers
    are children of its window, which the test closes)."""
    window = Window()
    qtbot.addWidget(window)
    return SimpleNamespace(window=window, run=run, today=lambda: today,
                           uow=lambda: vault.uow, uow_now=lambda: vault.uow,
                           can=lambda permission: allowed(role, permission),
                           ask=lambda _title, _text: True, dialogs=Dialogs(headless=True))


W = TypeVar("W", bound=QWidget)


def nothing(*_args: Any) -> Any:
    """A stand-in for what a test does not use."""
    return None


def shown(qtbot: Any, widget: W) -> W:
    widget.show()
    qtbot.waitExposed(widget)
    return widget


def active(qtbot: Any, window: QWidget) -> None:
    """``window`` made the active window, where the keyboard goes (as a click on it does)."""
    window.activateWindow()
    qtbot.waitUntil(window.isActiveWindow)


def click(qtbot: Any, button: QWidget) -> None:
    qtbot.mouseClick(button, LEFT)


def tick(qtbot: Any, button: QWidget) -> None:
    """A radio button or check box chosen from the keyboard."""
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


def enter(qtbot: Any, field: QWidget) -> None:
    """Enter in a field: the form's action button acts."""
    qtbot.keyClick(field, Qt.Key.Key_Return)


def stored(vault: VaultSession, query: Any) -> Any:
    """The one value ``query`` selects, read back from the vault."""
    with vault.uow.read() as s:
        return s.execute(query).scalar_one()


# ---------------------------------------------------------------- the vault with two cases


@pytest.fixture(scope="module")
def cases_template(template_vault: tuple[Path, str, str],
                   tmp_path_factory: pytest.TempPathFactory
                   ) -> tuple[Path, str, BuiltCase, BuiltCase]:
    """Made once: a vault with an eye-drops delegation decided on 30/11/2026 (care from
    01/12/2026, first review due 01/03/2027), and a second person's whose MDT disagreed about
    the funding (interim without prejudice, a shared care discussion for the CSU)."""
    source, user_id, _ = template_vault
    folder = tmp_path_factory.mktemp("dates") / "vault"
    shutil.copytree(source, folder)
    session = VaultStore(folder, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    try:
        agreed = build_case(session.uow)
        disputed = build_case(session.uow, CaseSpec(serial=8, given_name="Arthur",
                                                    family_name="Sample", disagree=True))
    finally:
        session.close()
    return folder, user_id, agreed, disputed


@pytest.fixture
def cases(cases_template: tuple[Path, str, BuiltCase, BuiltCase], tmp_path: Path
          ) -> Iterator[tuple[VaultSession, BuiltCase, BuiltCase]]:
    """A private copy of the two-case vault, unlocked: (session, agreed case, disputed)."""
    folder, user_id, agreed, disputed = cases_template
    shutil.copytree(folder, tmp_path / "vault")
    session = VaultStore(tmp_path / "vault", kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    yield session, agreed, disputed
    session.close()


# ---------------------------------------------------------------- the person record


def person_screen(qtbot: Any, vault: VaultSession, person_id: str,
                  today: dt.date) -> tuple[PeopleController, PersonRecordWidget]:
    controller = PeopleController(context(qtbot, vault, today))  # type: ignore[arg-type]
    for screen in (controller.person_screen, controller.caseload_screen):
        qtbot.addWidget(screen)
    controller.caseload_screen.person_opened.emit(person_id)  # chosen in the caseload
    return controller, controller.person_screen


def test_date_of_birth_typed_is_saved_with_the_person(qtbot: Any, cases: Any) -> None:
    vault, case, _ = cases
    _, screen = person_screen(qtbot, vault, case.person_id, D(2027, 3, 10))
    assert screen.form.date_of_birth.value() == D(1938, 5, 17)
    type_date(qtbot, screen.form.date_of_birth, "2/1/1940")
    click(qtbot, screen.save_button)
    assert stored(vault, select(Person.date_of_birth).where(Person.id == case.person_id)) \
        == D(1940, 1, 2)
    assert screen.form.date_of_birth.text() == "02/01/1940"  # the record shown again


def test_date_an_attorney_was_registered_is_saved_with_the_contact(qtbot: Any,
                                                                 cases: Any) -> None:
    vault, case, _ = cases
    _, screen = person_screen(qtbot, vault, case.person_id, D(2027, 3, 10))
    panel = screen.contacts
    screen.tabs.setCurrentWidget(panel)
    click(qtbot, panel.add_button)
    dialog = panel.dialog
    assert dialog is not None
    dialog.kind.set_value("lpa_health_welfare")
    qtbot.keyClicks(dialog.name, "Peter Example")
    qtbot.keyClicks(dialog.reference, "7000-1234-5678")
    type_date(qtbot, dialog.registered_on, "14 Jun 2021")
    enter(qtbot, dialog.registered_on)
    assert panel.dialog is None, dialog.error_label.text()
    assert stored(vault, select(Contact.registered_on).where(
        Contact.name == "Peter Example")) == D(2021, 6, 14)


def test_date_a_transfer_of_oversight_takes_effect_is_saved(qtbot: Any, cases: Any) -> None:
    vault, case, _ = cases
    controller, screen = person_screen(qtbot, vault, case.person_id, D(2027, 3, 10))
    screen.form.open_to_chs.setChecked(False)  # no longer open to community health services
    click(qtbot, screen.save_button)
    dialog = controller.transfer_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.phone_in, "0116 496 0202")
    qtbot.keyClicks(dialog.phone_out, "0116 496 0303")
    type_date(qtbot, dialog.on_edit, "08032027")
    enter(qtbot, dialog.on_edit)
    assert controller.transfer_dialog is None, dialog.problems["on"].text()
    assert stored(vault, select(ClinicalOversight.effective_from).where(
        ClinicalOversight.delegation_case_id == case.case_id,
        ClinicalOversight.service_kind == GP.value)) == D(2027, 3, 8)


def delegations_tab(qtbot: Any, vault: VaultSession, person_id: str,
                    today: dt.date) -> PersonRecordWidget:
    """The person record on its Delegations tab, wired as the app wires it."""
    from desktop_app.services.people.record import load_record

    widget = PersonRecordWidget(lambda *a: None, None, True)
    qtbot.addWidget(widget)
    HistoryController(context(qtbot, vault, today), widget)  # type: ignore[arg-type]
    widget.show_record(load_record(vault.uow, person_id))
    widget.tabs.setCurrentWidget(widget.delegations)
    shown(qtbot, widget)
    active(qtbot, widget)
    return widget


@pytest.mark.parametrize(("button", "typed", "kind"), [
    ("withdraw_button", "8 March 2027", CaseEventKind.CONSENT_WITHDRAWN),
    ("need_button", "8.3.2027", CaseEventKind.NEED_CHANGED),
])
def test_date_a_delegation_ended_is_saved_in_its_history(qtbot: Any, cases: Any, button: str,
                                                        typed: str,
                                                        kind: CaseEventKind) -> None:
    vault, case, _ = cases
    panel = delegations_tab(qtbot, vault, case.person_id, D(2027, 3, 10)).delegations
    click(qtbot, getattr(panel, button))
    dialog = panel.dialog
    assert isinstance(dialog, ConsentWithdrawnDialog | NeedChangedDialog)
    field = dialog.explained if isinstance(dialog, ConsentWithdrawnDialog) else dialog.reason
    qtbot.keyClicks(field, "Said and explained at the visit")
    type_date(qtbot, dialog.on, typed)
    enter(qtbot, dialog.on)
    assert panel.dialog is None, dialog.problems["on"].text()
    assert stored(vault, select(CaseEvent.occurred_on).where(
        CaseEvent.delegation_case_id == case.case_id, CaseEvent.kind == kind.value)) \
        == D(2027, 3, 8)


# ---------------------------------------------------------------- the registers


def registers_screens(qtbot: Any, vault: VaultSession, today: dt.date) -> RegistersController:
    return RegistersController(context(qtbot, vault, today))  # type: ignore[arg-type]


def test_date_a_review_was_done_is_saved(qtbot: Any, cases: Any) -> None:
    vault, _, _ = cases
    screen = shown(qtbot, registers_screens(qtbot, vault, D(2027, 3, 10)).reviews_screen)
    review_id = screen.model.row(0).review_id
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    dialog = screen.review_dialog
    assert dialog is not None
    type_date(qtbot, dialog.done_edit, "5 Mar 2027")
    for answer in (dialog.continue_button, dialog.stable.yes, dialog.competent.yes,
                   dialog.incident.no):
        tick(qtbot, answer)
    click(qtbot, dialog.buttons.buttons()[0])  # Record
    assert screen.review_dialog is None, dialog.error_label.text()
    assert stored(vault, select(Review.done_on).where(Review.id == review_id)) == D(2027, 3, 5)


def test_date_a_transfer_of_oversight_was_accepted_is_saved(qtbot: Any, cases: Any) -> None:
    vault, case, _ = cases
    today = D(2027, 3, 10)
    transfer_oversight(vault.uow, case.person_id, [case.case_id], GP, D(2027, 3, 1), PRACTICE,
                       None, "0116 496 0202", "0116 496 0303", today)
    part = shown(qtbot, registers_screens(qtbot, vault, today).reviews_screen).awaiting
    assert part is not None and part.model.rowCount() == 1
    part.table.setFocus()
    qtbot.keyClick(part.table, Qt.Key.Key_Down)
    click(qtbot, part.accept_button)
    dialog = part.accept_dialog
    assert isinstance(dialog, AcceptanceDialog)
    type_date(qtbot, dialog.on_edit, "Tue 9 Mar 2027")  # as the plans print a day
    enter(qtbot, dialog.on_edit)
    assert part.accept_dialog is None, dialog.problems["on"].text()
    assert stored(vault, select(ClinicalOversight.accepted_on).where(
        ClinicalOversight.delegation_case_id == case.case_id,
        ClinicalOversight.service_kind == GP.value)) == D(2027, 3, 9)


def test_date_of_a_training_is_saved(qtbot: Any, cases: Any) -> None:
    vault, case, _ = cases
    screen = shown(qtbot, registers_screens(qtbot, vault, D(2027, 3, 10)).competency_screen)
    click(qtbot, screen.training_button)
    dialog = screen.form_dialog
    assert isinstance(dialog, TrainingDialog)
    dialog.worker.set_value(case.worker_ids[0])
    dialog.task.set_value("eye_drops")
    dialog.level.set_value("1")
    type_date(qtbot, dialog.trained_on, "05/01/2027")
    qtbot.keyClicks(dialog.trainer, "Tom Trainer")
    qtbot.keyClicks(dialog.materials, "Eye drops v2")
    enter(qtbot, dialog.trained_on)
    assert screen.form_dialog is None, [p.text() for p in dialog.problems.values()]
    assert stored(vault, select(TrainingEvent.trained_on)) == D(2027, 1, 5)


def test_dates_of_an_assessment_and_its_retraining_are_saved(qtbot: Any, cases: Any) -> None:
    vault, case, _ = cases
    screen = shown(qtbot, registers_screens(qtbot, vault, D(2027, 3, 10)).competency_screen)
    click(qtbot, screen.assessment_button)
    dialog = screen.form_dialog
    assert isinstance(dialog, AssessmentDialog)
    dialog.worker.set_value(case.worker_ids[0])
    dialog.person.set_value(case.person_id)
    dialog.task.set_value("eye_drops")
    type_date(qtbot, dialog.assessed_on, "1st March 2027")
    qtbot.keyClicks(dialog.assessor, "Ann Assessor")
    qtbot.keyClicks(dialog.standard, "Skills for Care: eye drops")
    qtbot.keyClicks(dialog.trainer, "Tom Trainer")
    tick(qtbot, dialog.not_yet_button)
    qtbot.keyClicks(dialog.support, "Shadow two visits")
    type_date(qtbot, dialog.retrain_by, "01062027")
    qtbot.keyClicks(dialog.supported_by, "Sam Nurse")
    enter(qtbot, dialog.supported_by)
    assert screen.form_dialog is None, [p.text() for p in dialog.problems.values()]
    with vault.uow.read() as s:
        saved = s.scalars(select(CompetenceAssessment)).one()
        assert (saved.assessed_on, saved.retrain_by) == (D(2027, 3, 1), D(2027, 6, 1))


def escalations(qtbot: Any, vault: VaultSession, today: dt.date) -> Any:
    return shown(qtbot, registers_screens(qtbot, vault, today).escalations_screen)


def discussion_of(vault: VaultSession, case: BuiltCase) -> Any:
    return select(SharedCareDiscussion).where(
        SharedCareDiscussion.delegation_case_id == case.case_id)


def test_dates_a_discussion_was_decided_and_its_agreed_funding_starts_are_saved(
        qtbot: Any, cases: Any) -> None:
    vault, _, disputed = cases
    screen = escalations(qtbot, vault, D(2027, 2, 10))
    screen.table.setFocus()
    qtbot.keyClick(screen.table, Qt.Key.Key_Return)
    dialog = screen.close_dialog
    assert dialog is not None
    qtbot.keyClicks(dialog.decision_edit, "Joint funding agreed")
    type_date(qtbot, dialog.closed_edit, "30 Jan 2027")
    dialog.agreed_box.setChecked(True)
    type_date(qtbot, dialog.agreed_box.from_edit, "1/2/2027")
    click(qtbot, dialog.buttons.buttons()[0])  # Close discussion
    assert screen.close_dialog is None, dialog.error_label.text()
    with vault.uow.read() as s:
        assert s.scalars(discussion_of(vault, disputed)).one().closed_on == D(2027, 1, 30)
        agreed = s.scalars(select(FundingSplit.start_date).join(SupportPlan).where(
            SupportPlan.person_id == disputed.person_id, SupportPlan.version_number == 2)).all()
    assert agreed and set(agreed) == {D(2027, 2, 1)}


@pytest.mark.parametrize("step", ["routed", "result"])
def test_dates_a_dispute_went_to_the_csu_and_its_result_came_are_saved(
        qtbot: Any, cases: Any, step: str) -> None:
    vault, _, disputed = cases
    today = D(2027, 2, 10)
    if step == "result":
        [row] = registers.escalations(vault.uow, today)
        registers.record_csu_routed(vault.uow, row.discussion_id, D(2027, 1, 5), today)
    screen = escalations(qtbot, vault, today)
    screen.table.selectRow(0)
    click(qtbot, screen.csu.routed_button if step == "routed" else screen.csu.result_button)
    dialog = screen.csu.dialog
    assert isinstance(dialog, CsuRoutedDialog | CsuResultDialog)
    if isinstance(dialog, CsuResultDialog):
        qtbot.keyClicks(dialog.result_edit, "ICB 62.5%, council 37.5%")
    type_date(qtbot, dialog.on_edit, "5-1-2027" if step == "routed" else "25 January 2027")
    enter(qtbot, dialog.on_edit)
    assert screen.csu.dialog is None, dialog.problems["on"].text()
    with vault.uow.read() as s:
        saved = s.scalars(discussion_of(vault, disputed)).one()
        assert (saved.csu_routed_on, saved.csu_result_on) == (
            (D(2027, 1, 5), None) if step == "routed" else (D(2027, 1, 5), D(2027, 1, 25)))


def test_dates_of_an_interim_reconciliation_are_saved(qtbot: Any, cases: Any) -> None:
    vault, _, disputed = cases
    today = D(2027, 2, 10)
    [row] = registers.escalations(vault.uow, today)
    registers.close_discussion(vault.uow, row.discussion_id, "Joint funding agreed",
                               ["funding"], D(2027, 1, 30), False, today=today,
                               agreed=AgreedFunding(D(2027, 2, 1), (
                                   (Funder.ICB, 5000), (Funder.LEICESTER_CITY, 3814))))
    part = escalations(qtbot, vault, today).interim
    assert part is not None and part.model.rowCount() == 1
    part.table.selectRow(0)
    click(qtbot, part.reconcile_button)
    dialog = part.dialog
    assert isinstance(dialog, ReconciliationDialog)
    # The period is the whole interim (as the form suggests), typed again another way.
    for field, typed in ((dialog.from_edit, "1 Dec 2026"), (dialog.to_edit, "31012027"),
                         (dialog.reconciled_edit, "1/2/2027")):
        type_date(qtbot, field, typed)
        assert field.text() == typed
    enter(qtbot, dialog.reconciled_edit)
    assert part.dialog is None, [p.text() for p in dialog.problems.values()]
    with vault.uow.read() as s:
        saved = s.scalars(select(InterimReconciliation)).one()
        assert (saved.delegation_case_id, saved.period_from, saved.period_to,
                saved.reconciled_on) == (disputed.case_id, D(2026, 12, 1), D(2027, 1, 31),
                                         D(2027, 2, 1))


# ---------------------------------------------------------------- the provider register


def providers_screen(qtbot: Any, vault: VaultSession, today: dt.date) -> Any:
    controller = ProvidersController(context(qtbot, vault, today))  # type: ignore[arg-type]
    return shown(qtbot, controller.screen)


def test_dates_a_providers_insurance_was_confirmed_and_ends_are_saved(qtbot: Any,
                                                                     vault: Any) -> None:
    screen = providers_screen(qtbot, vault, D(2027, 3, 10))
    click(qtbot, screen.add_provider_button)
    dialog = screen.dialog
    assert isinstance(dialog, ProviderDialog)
    qtbot.keyClicks(dialog.name, "Riverside Home Care")
    dialog.council.set_value("leicester_city")
    qtbot.keyClicks(dialog.phone, "0116 496 0000")
    tick(qtbot, dialog.insured)
    type_date(qtbot, dialog.confirmed_on, "1 Sep 2026")
    type_date(qtbot, dialog.until, "31082027")
    enter(qtbot, dialog.until)
    assert screen.dialog is None or not dialog.isVisible(), \
        [p.text() for p in dialog.problems.values()]
    with vault.uow.read() as s:
        saved = s.scalars(select(CareProvider)).one()
        assert (saved.name, saved.insurance_confirmed_on, saved.insurance_until) == (
            "Riverside Home Care", D(2026, 9, 1), D(2027, 8, 31))


def test_dates_a_care_worker_started_and_left_are_saved(qtbot: Any, cases: Any) -> None:
    vault, case, _ = cases
    screen = providers_screen(qtbot, vault, D(2027, 3, 10))
    screen.providers.table.selectRow(0)
    click(qtbot, screen.add_worker_button)
    dialog = screen.dialog
    assert isinstance(dialog, WorkerDialog)
    qtbot.keyClicks(dialog.given_name, "Amira")
    qtbot.keyClicks(dialog.family_name, "Haddad")
    qtbot.keyClicks(dialog.role_title, "Senior care worker")
    type_date(qtbot, dialog.started_on, "3/1/2026")
    enter(qtbot, dialog.started_on)
    assert not dialog.isVisible(), [p.text() for p in dialog.problems.values()]
    started = select(CareWorker.started_on).where(CareWorker.given_name == "Amira")
    assert stored(vault, started) == D(2026, 1, 3)

    qtbot.waitUntil(lambda: screen.workers.selected() is not None
                    and screen.workers.selected().name == "Amira Haddad")
    click(qtbot, screen.leaving_button)
    leaving = screen.dialog
    assert isinstance(leaving, LeavingDialog)
    type_date(qtbot, leaving.left_on, "Fri 5 Feb 2027")
    enter(qtbot, leaving.left_on)
    assert not leaving.isVisible(), leaving.problems["left_on"].text()
    assert stored(vault, select(CareWorker.left_on).where(CareWorker.given_name == "Amira")) \
        == D(2027, 2, 5)


# ---------------------------------------------------------------- the two filters


def test_the_plans_batch_finds_plans_changed_between_the_dates_typed(qtbot: Any,
                                                                   cases: Any) -> None:
    vault, agreed, disputed = cases
    asked: list[tuple[Any, ...]] = []

    def find(team: str | None, start: dt.date, end: dt.date) -> Any:
        asked.append((team, start, end))
        return plans_for_batch(vault.uow, team, start, end)

    dialog = PlanBatchDialog([], find, nothing, run, run, D(2027, 3, 10))
    shown(qtbot, dialog)
    type_date(qtbot, dialog.from_edit, "29 Nov 2026")
    type_date(qtbot, dialog.to_edit, "02122026")
    click(qtbot, dialog.find_button)
    assert asked == [(None, D(2026, 11, 29), D(2026, 12, 2))]
    assert sorted(r.plan_id for r in dialog.rows) == sorted((agreed.plan_id, disputed.plan_id))
    type_date(qtbot, dialog.from_edit, "1/1/2027")
    type_date(qtbot, dialog.to_edit, "31 Jan 2027")
    click(qtbot, dialog.find_button)
    assert asked[-1] == (None, D(2027, 1, 1), D(2027, 1, 31)) and dialog.rows == []


def test_a_report_is_computed_for_the_dates_typed(qtbot: Any, cases: Any) -> None:
    vault, _, _ = cases
    queries: list[reports.ReportQuery] = []

    def compute(kind: Any, query: reports.ReportQuery) -> Any:
        queries.append(query)
        return reports.run_report(vault.uow, kind, query, today=D(2027, 3, 10))

    widget = ReportsWidget([(spec.kind, spec.title) for spec in reports.REPORTS], run, compute,
                           lambda: reports.report_teams(vault.uow), nothing, nothing,
                           nothing, nothing, today=lambda: D(2027, 3, 10))
    qtbot.addWidget(widget)
    shown(qtbot, widget)
    widget.period_combo.setCurrentIndex(PERIODS.index("Your own dates"))
    type_date(qtbot, widget.from_edit, "1 Nov 2026")
    enter(qtbot, widget.from_edit)  # computed when a date is left
    type_date(qtbot, widget.to_edit, "31/12/2026")
    enter(qtbot, widget.to_edit)
    assert (queries[-1].period_start, queries[-1].period_end) == (D(2026, 11, 1),
                                                                  D(2026, 12, 31))
    assert widget.report is not None and widget.report.query == queries[-1]


# ---------------------------------------------------------------- the field itself


def need_changed(qtbot: Any, vault: VaultSession, case: BuiltCase) -> tuple[Any, Any]:
    """The "End: need changed" form of the person's delegation (today 10/03/2027), on
    screen with the keyboard in its date: (the Delegations tab, the form)."""
    panel = delegations_tab(qtbot, vault, case.person_id, D(2027, 3, 10)).delegations
    panel.need_button.setFocus()
    qtbot.keyClick(panel.need_button, Qt.Key.Key_Space)
    dialog = panel.dialog
    assert isinstance(dialog, NeedChangedDialog)
    active(qtbot, dialog)
    assert dialog.focusWidget() is dialog.on and dialog.on.text() == "10/03/2027"
    qtbot.keyClicks(dialog.reason, "Eye infection: a nurse must assess each dose")
    return panel, dialog


def ended_on(vault: VaultSession, case: BuiltCase) -> list[dt.date]:
    with vault.uow.read() as s:
        return list(s.scalars(select(CaseEvent.occurred_on).where(
            CaseEvent.delegation_case_id == case.case_id,
            CaseEvent.kind == CaseEventKind.NEED_CHANGED.value)))


@pytest.mark.parametrize(("key", "modifier"), [
    (Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier),
    (Qt.Key.Key_F4, Qt.KeyboardModifier.NoModifier)], ids=["Alt+Down", "F4"])
def test_the_calendar_opens_from_the_keyboard_and_enter_picks_the_day(
        qtbot: Any, cases: Any, key: Qt.Key, modifier: Qt.KeyboardModifier) -> None:
    vault, case, _ = cases
    panel, dialog = need_changed(qtbot, vault, case)
    qtbot.keyClick(dialog.on, key, modifier)
    calendar = dialog.on.calendar_dialog
    assert calendar is not None and calendar.isVisible()
    grid = calendar.findChild(QWidget, "qt_calendar_calendarview")
    assert grid is not None
    for _ in range(2):
        qtbot.keyClick(grid, Qt.Key.Key_Left)  # the day before yesterday
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert not calendar.isVisible()
    assert dialog.on.text() == "08/03/2027" and dialog.on.hasFocus()
    enter(qtbot, dialog.on)
    assert panel.dialog is None and ended_on(vault, case) == [D(2027, 3, 8)]


@pytest.mark.parametrize(("typed", "words"), [
    ("31/02/2027", "check the day"),  # no 31 February
    ("8/3/27", "year in full"),  # 1927 or 2027?
    ("08/13/2027", "no such month"),  # month first: never swapped round
])
def test_a_date_that_is_not_one_is_refused_kept_and_nothing_is_saved(
        qtbot: Any, cases: Any, typed: str, words: str) -> None:
    vault, case, _ = cases
    panel, dialog = need_changed(qtbot, vault, case)
    dialog.on.setFocus()
    type_date(qtbot, dialog.on, typed)
    qtbot.keyClick(dialog.on, Qt.Key.Key_Tab)  # said as soon as the date is left
    problem = dialog.problems["on"]
    assert words in problem.text() and problem.isVisibleTo(dialog)
    assert words in dialog.on.accessibleDescription() and dialog.on.styleSheet()
    assert dialog.on.text() == typed  # never blanked
    click(qtbot, dialog.ok_button)
    assert panel.dialog is dialog and dialog.isVisible()
    assert words in problem.text() and dialog.on.text() == typed and dialog.on.hasFocus()
    assert ended_on(vault, case) == []
    with vault.uow.read() as s:  # still running
        assert s.get_one(DelegationCase, case.case_id).status == "active"


def test_leaving_the_field_shows_the_date_as_it_was_read(qtbot: Any, cases: Any) -> None:
    vault, case, _ = cases
    panel, dialog = need_changed(qtbot, vault, case)
    dialog.on.setFocus()
    type_date(qtbot, dialog.on, "8 Mar 2027")
    assert dialog.on.text() == "8 Mar 2027"  # as typed, while typing
    qtbot.keyClick(dialog.on, Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.reason
    assert dialog.on.text() == "08/03/2027" and not dialog.problems["on"].isVisibleTo(dialog)
    assert dialog.on.accessibleDescription() == "" and dialog.on.styleSheet() == ""
    dialog.on.setFocus()  # Tab back in: the whole date is chosen, so typing replaces it
    qtbot.keyClicks(dialog.on, "7/3/2027")
    assert dialog.on.text() == "7/3/2027"
    click(qtbot, dialog.ok_button)
    assert panel.dialog is None and ended_on(vault, case) == [D(2027, 3, 7)]


# ---------------------------------------------------------------- refused on every form

IMPOSSIBLE = "31/02/2027"  # no 31 February


def _refusing_forms() -> dict[str, Callable[[list[object]], tuple[QWidget, DateInput,
                                                                   Callable[[], None]]]]:
    """Each form with a date field, made on its own: ``make(sent)`` gives (the form, one of
    its dates, how its action is taken); what the form would send to be saved goes in
    ``sent``."""
    from desktop_app.services.delegation.oversight import AwaitingRow
    from desktop_app.services.people.record import DelegationRow
    from desktop_app.ui.contacts import ContactDialog
    from desktop_app.ui.oversight_transfer import OversightTransferDialog
    from desktop_app.ui.registers.escalations import CloseDiscussionDialog
    from desktop_app.ui.registers.reviews import RecordReviewDialog
    from tests.ui.test_oversight_transfer_dialog import ROWS
    from tests.ui.test_reconciliation_dialog import ROW
    from tests.ui.test_registers_widgets import CHOICES, ESCALATIONS, REVIEWS

    today = D(2027, 2, 10)
    row = DelegationRow("c1", "eye_drops", "Putting in eye drops", "active",
                        "DELEGATED_JOINT_FUNDED", "2026.2", D(2026, 11, 30), None)
    awaiting = AwaitingRow("o1", "c1", "p1", "Zoë Ní Bhriain", "999 000 0018",
                           "Putting in eye drops", GP, PRACTICE, D(2027, 2, 1), 9)

    def form(dialog: Any, field: Callable[[Any], DateInput]) -> Callable[[list[object]], Any]:
        def make(sent: list[object]) -> Any:
            made = dialog()
            made.entered.connect(sent.append)
            return made, field(made), lambda: made.ok_button.click()
        return make

    def person(sent: list[object]) -> Any:
        widget = PersonRecordWidget(lambda *a: sent.append(a))
        return widget, widget.form.date_of_birth, widget.save_button.click

    def contact(sent: list[object]) -> Any:
        dialog = ContactDialog("Zoë Ní Bhriain")
        dialog.kind.set_value("lpa_health_welfare")
        dialog.contact_entered.connect(sent.append)
        return (dialog, dialog.registered_on,
                dialog.buttons.button(dialog.buttons.StandardButton.Save).click)

    def closing(sent: list[object]) -> Any:
        dialog = CloseDiscussionDialog(ESCALATIONS[0], today)
        dialog.decision_edit.setPlainText("Joint funding agreed")
        dialog.closure_entered.connect(sent.append)
        return dialog, dialog.closed_edit, dialog.buttons.buttons()[0].click

    def agreeing(sent: list[object]) -> Any:
        dialog, _, act = closing(sent)
        dialog.agreed_box.setChecked(True)
        return dialog, dialog.agreed_box.from_edit, act

    def reviewing(sent: list[object]) -> Any:
        dialog = RecordReviewDialog(REVIEWS[0], today)
        for answer in (dialog.continue_button, dialog.stable.yes, dialog.competent.yes,
                       dialog.incident.no):
            answer.setChecked(True)
        dialog.review_entered.connect(sent.append)
        return dialog, dialog.done_edit, dialog.buttons.buttons()[0].click

    def batch(sent: list[object]) -> Any:
        def find(*asked: object) -> list[Any]:
            sent.append(asked)
            return []

        dialog = PlanBatchDialog([], find, nothing, run, run, today)
        return dialog, dialog.from_edit, dialog.find_button.click

    def report(sent: list[object]) -> Any:
        def compute(*asked: object) -> Any:
            sent.append(asked)
            raise ExpectedError("Not computed in this test.")

        widget = ReportsWidget([(spec.kind, spec.title) for spec in reports.REPORTS], run,
                               compute, lambda: [], nothing, nothing, nothing, nothing,
                               today=lambda: today)
        widget.period_combo.setCurrentIndex(PERIODS.index("Your own dates"))
        sent.clear()
        return widget, widget.to_edit, widget.refresh

    return {
        "person date of birth": person,
        "contact registered": contact,
        "oversight transfer": form(lambda: OversightTransferDialog(
            "p1", "Zoë", GP, ROWS, today, run, nothing), lambda d: d.on_edit),
        "consent withdrawn": form(lambda: ConsentWithdrawnDialog("Zoë", row, (), today),
                                  lambda d: d.on),
        "need changed": form(lambda: NeedChangedDialog("Zoë", row, today), lambda d: d.on),
        "training": form(lambda: _chosen(TrainingDialog(CHOICES, today)),
                         lambda d: d.trained_on),
        "assessment": form(lambda: _chosen(AssessmentDialog(CHOICES, today)),
                           lambda d: d.assessed_on),
        "retrain by": form(lambda: _not_yet(_chosen(AssessmentDialog(CHOICES, today))),
                           lambda d: d.retrain_by),
        "discussion decided": closing,
        "agreed funding from": agreeing,
        "csu routed": form(lambda: CsuRoutedDialog(ESCALATIONS[0], today), lambda d: d.on_edit),
        "csu result": form(lambda: _with_result(CsuResultDialog(ESCALATIONS[0], today)),
                           lambda d: d.on_edit),
        "review done": reviewing,
        "oversight accepted": form(lambda: AcceptanceDialog(awaiting, today),
                                   lambda d: d.on_edit),
        "reconciliation from": form(lambda: ReconciliationDialog(ROW, today),
                                    lambda d: d.from_edit),
        "reconciliation to": form(lambda: ReconciliationDialog(ROW, today), lambda d: d.to_edit),
        "reconciled on": form(lambda: ReconciliationDialog(ROW, today),
                              lambda d: d.reconciled_edit),
        "provider cover confirmed": form(ProviderDialog, lambda d: d.confirmed_on),
        "provider cover ends": form(ProviderDialog, lambda d: d.until),
        "worker started": form(lambda: WorkerDialog("Demo Homecare"), lambda d: d.started_on),
        "worker left": form(lambda: LeavingDialog("Amira Haddad", today), lambda d: d.left_on),
        "plans batch": batch,
        "report period": report,
    }


F = TypeVar("F", TrainingDialog, AssessmentDialog)


def _chosen(dialog: F) -> F:
    """The worker, task (level) and person chosen: the first of each offered."""
    for choice in ("worker", "task", "level", "person"):
        combo = getattr(dialog, choice)
        combo.setCurrentIndex(1)
    return dialog


def _with_result(dialog: CsuResultDialog) -> CsuResultDialog:
    dialog.result_edit.setPlainText("ICB 62.5%, council 37.5%")
    return dialog


def _not_yet(dialog: AssessmentDialog) -> AssessmentDialog:
    dialog.not_yet_button.setChecked(True)  # the date to retrain by is asked
    return dialog


REFUSING = _refusing_forms()
@pytest.mark.parametrize("name", list(REFUSING))
def test_a_day_that_does_not_exist_is_refused_on_every_form_and_kept(qtbot: Any,
                                                                    name: str) -> None:
    sent: list[object] = []
    form, date, act = REFUSING[name](sent)
    qtbot.addWidget(form)
    type_date(qtbot, date, IMPOSSIBLE)
    act()
    assert sent == []  # nothing sent to be saved
    assert date.text() == IMPOSSIBLE  # kept as typed, never blanked
    said = [label.text() for label in form.findChildren(QLabel) if "check the day" in
            label.text()]
    assert said, "no message says what is wrong with the date"


# ---------------------------------------------------------------- the wizard

TODAY = dt.date.today()  # the wizard decides on the laptop's day
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")
WEEKDAYS = ("Mon", "Tue", "Wed", "Thu", "Fri", "Sat", "Sun")


def written(day: dt.date, form: str) -> str:
    """``day`` as a nurse might type it (each form ``read_uk_date`` accepts)."""
    return {"d/m/yyyy": f"{day.day}/{day.month}/{day.year}",
            "dd/mm/yyyy": f"{day:%d/%m/%Y}",
            "ddmmyyyy": f"{day:%d%m%Y}",
            "d.m.yyyy": f"{day.day}.{day.month}.{day.year}",
            "d Mon yyyy": f"{day.day} {MONTHS[day.month - 1]} {day.year}",
            "Wkd d Mon yyyy": f"{WEEKDAYS[day.weekday()]} {day.day} {MONTHS[day.month - 1]} "
                              f"{day.year}"}[form]


def days(n: int) -> dt.date:
    return TODAY + dt.timedelta(days=n)


@pytest.fixture
def stack(vault_copy: Any) -> Iterator[Any]:
    """The vault on its database thread with a person, an insured provider and two workers
    (``tests/ui/wizard``'s ``Stack``), and the wizard's controller for it."""
    from tests.ui.wizard.test_wizard_end_to_end import Stack

    store, user_id, _ = vault_copy
    built = Stack(store, user_id)
    yield built
    built.close()


def wizard_controller(stack: Any) -> Any:
    from desktop_app.services.framework.flow import load_flow
    from desktop_app.ui.wizard.controller import WizardController
    from tests.ui.wizard.test_wizard_end_to_end import CATALOGUE

    return WizardController(stack.runner, stack.session, load_flow(), CATALOGUE,
                            Dialogs(headless=True))


def route(stack: Any, **changes: dict[str, Any] | None) -> dict[str, dict[str, Any]]:
    """Answers that delegate eye drops jointly funded (the person's capacity in doubt, and
    assessed), ``changes`` laid over (None: the step not answered)."""
    from tests.ui.wizard.test_wizard_end_to_end import scenario

    answers = scenario(stack, S9={"fits_existing_calls": False})
    answers["S1"] = {"task_code": "eye_drops", "referred_by": "District nurse",
                     "is_health_need": True}
    answers["S2"]["checklist_date"] = days(-20).isoformat()
    answers["S6"].update(given_by_name="Edith Testperson", capacity_in_doubt=True,
                         capacity_decision="Agreeing to the drops",
                         capacity_assessed_on=days(-15).isoformat(),
                         capacity_assessor="A Nurse (community)",
                         capacity_outcome="has_capacity")
    for step, values in changes.items():
        if values is None:
            answers.pop(step, None)
        else:
            answers[step] = {**answers.get(step, {}), **values}
    return answers


DATE_KEYS = ("checklist_date", "reconsider_on", "capacity_assessed_on", "start_date", "met_on",
             "care_starts_on", "interim_from", "signed_off_on")


def without_dates(answers: Any) -> Any:
    """The answers with every date left out (to be typed)."""
    if isinstance(answers, dict):
        return {k: without_dates(v) for k, v in answers.items() if k not in DATE_KEYS}
    if isinstance(answers, list):
        return [without_dates(item) for item in answers]
    return answers


def opened_at(qtbot: Any, stack: Any, controller: Any, step: str,
              answers: dict[str, dict[str, Any]]) -> Any:
    """The wizard resumed from a draft saved at ``step`` with ``answers`` (as after a
    sign-in): on ``step``'s page."""
    from desktop_app.services import delegation
    from desktop_app.services.framework.flow import load_flow
    from tests.ui.wizard.test_wizard_end_to_end import CATALOGUE

    case_id = stack.executor.call(delegation.save_draft, stack.session.uow, stack.person_id,
                                  None, answers, step, load_flow(), CATALOGUE)
    with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
        controller.start(stack.person_id, case_id)
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    assert wizard.current_step() == step, wizard.evaluate().missing
    return wizard


def press_next(qtbot: Any, wizard: Any) -> None:
    before = wizard.currentId()
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert wizard.currentId() != before, wizard.currentPage().message.text()


def draft_answers(stack: Any) -> dict[str, Any]:
    """The draft's answers as saved in the vault (read after every save asked so far)."""
    def read() -> dict[str, Any]:
        with stack.session.uow.read() as s:
            saved: dict[str, Any] = s.scalars(select(DelegationCase.answers)).one()
            return dict(saved)
    answers: dict[str, Any] = stack.executor.call(read)
    return answers


def finish(qtbot: Any, wizard: Any, controller: Any) -> Any:
    """Finish on the outcome page; the decision recorded, read back on the database thread."""
    from desktop_app.ui.wizard.outcome_page import OutcomePage

    assert isinstance(wizard.currentPage(), OutcomePage)
    with qtbot.waitSignal(controller.decision_recorded, timeout=10000) as recorded:
        click(qtbot, wizard.button(QWizard.WizardButton.FinishButton))
    return recorded.args[0]


def on_db(stack: Any, query: Any) -> Any:
    def read() -> Any:
        with stack.session.uow.read() as s:
            return s.execute(query).scalar_one()
    return stack.executor.call(read)


# The care fits the calls already commissioned: no extra care, no funding page (its start).
EXISTING_PACKAGE: dict[str, dict[str, Any] | None] = {"S9": {"fits_existing_calls": True},
                                                      "S9F": None}

H023 = pytest.mark.hazard("H-023")  # a "not delegated, reconsider on" date lost
H010 = pytest.mark.hazard("H-010")  # a review scheduled from the wrong day

# (step, changes to the route, the date field on the page, the day typed, written how, its
# answer's key, what the decision records it as (None: an answer only, kept in the draft))
WIZARD_DATES = [
    pytest.param("S2", {}, lambda page: page.checked_on, days(-20), "d/m/yyyy",
                 "checklist_date", None, id="S2.checklist_date"),
    pytest.param("S4", {"S4": {"stable": False, "no_reason": "The dose is still changing"}},
                 lambda page: page.reconsider_on, days(60), "d Mon yyyy", "reconsider_on",
                 select(DelegationCase.reconsider_on), id="S4.reconsider_on", marks=H023),
    pytest.param("S6", {}, lambda page: page.capacity["capacity_assessed_on"], days(-15),
                 "ddmmyyyy", "capacity_assessed_on", None, id="S6.capacity_assessed_on"),
    pytest.param("S8", {"S8": {"all_signed_off": False, "no_reason": "Training is booked"}},
                 lambda page: page.reconsider_on, days(45), "Wkd d Mon yyyy", "reconsider_on",
                 select(DelegationCase.reconsider_on), id="S8.reconsider_on", marks=H023),
    pytest.param("S9F", {}, lambda page: page.start_date, days(7), "d.m.yyyy", "start_date",
                 None, id="S9F.start_date"),
    pytest.param("S10", {**EXISTING_PACKAGE, "S10": {"met_on": days(-3).isoformat()}},
                 lambda page: page.care_starts_on, days(10), "dd/mm/yyyy", "care_starts_on",
                 select(DelegationCase.started_on), id="S10.care_starts_on", marks=H010),
    pytest.param("S10", EXISTING_PACKAGE, lambda page: page.met_on, days(-4), "d Mon yyyy",
                 "met_on", select(MdtDecision.met_on), id="S10.met_on"),
    pytest.param("S10", {**EXISTING_PACKAGE, "S10": {
        "met_on": days(-3).isoformat(), "consensus": False, "disagreement_about": "delegation",
        "question_for_discussion": "Is this safe to delegate?", "interim_funder": "icb",
        "interim_weekly_pence": 0}}, lambda page: page.interim_from, days(-2), "ddmmyyyy",
        "interim_from", select(SharedCareDiscussion.interim_from), id="S10.interim_from"),
]


@pytest.mark.hazard("H-016")  # typed on a page: in the draft saved when the page is left
@pytest.mark.parametrize(("step", "changes", "field", "day", "form", "key", "recorded"),
                         WIZARD_DATES)
def test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision(
        qtbot: Any, stack: Any, step: str, changes: dict[str, dict[str, Any] | None],
        field: Callable[[Any], DateInput], day: dt.date, form: str, key: str,
        recorded: Any) -> None:
    controller = wizard_controller(stack)
    answers = route(stack, **changes)
    answers[step].pop(key, None)
    wizard = opened_at(qtbot, stack, controller, step, answers)
    date = field(wizard.currentPage())
    assert date.isVisibleTo(wizard) and date.text() == ""
    type_date(qtbot, date, written(day, form))
    press_next(qtbot, wizard)
    assert wizard.answers[step][key] == day.isoformat()
    assert draft_answers(stack)[step][key] == day.isoformat()
    if recorded is not None:  # the page ends the route: the decision keeps the date
        finish(qtbot, wizard, controller)
        assert on_db(stack, recorded) == day


def test_each_care_workers_sign_off_date_typed_is_in_the_answers_and_the_draft(
        qtbot: Any, stack: Any) -> None:
    controller = wizard_controller(stack)
    answers = route(stack)
    for item in answers["S8"]["sign_offs"]:
        del item["signed_off_on"]
    wizard = opened_at(qtbot, stack, controller, "S8", answers)
    rows = wizard.currentPage().rows
    assert len(rows) == 2 and [row.signed_off.text() for row in rows] == ["", ""]
    type_date(qtbot, rows[0].signed_off, written(days(-30), "ddmmyyyy"))
    type_date(qtbot, rows[1].signed_off, written(days(-25), "d Mon yyyy"))
    press_next(qtbot, wizard)
    for answers in (wizard.answers, draft_answers(stack)):
        assert [item["signed_off_on"] for item in answers["S8"]["sign_offs"]] == [
            days(-30).isoformat(), days(-25).isoformat()]


def test_a_day_that_does_not_exist_stops_the_wizard_page_and_is_kept(qtbot: Any,
                                                                   stack: Any) -> None:
    controller = wizard_controller(stack)
    wizard = opened_at(qtbot, stack, controller, "S2", without_dates(route(stack)))
    page = wizard.currentPage()
    type_date(qtbot, page.checked_on, "31/02/2027")
    click(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert wizard.current_step() == "S2"  # not passed as blank
    assert page.message.text().startswith(f"{page.checked_on.name}: ")
    assert "check the day" in page.message.text() and page.checked_on.text() == "31/02/2027"
    type_date(qtbot, page.checked_on, "28/02/2027")
    press_next(qtbot, wizard)
    assert draft_answers(stack)["S2"]["checklist_date"] == "2027-02-28"


WIZARD_TYPED: dict[str, list[tuple[Callable[[Any], DateInput], dt.date, str]]] = {
    "S2": [(lambda page: page.checked_on, days(-20), "d/m/yyyy")],
    "S6": [(lambda page: page.capacity["capacity_assessed_on"], days(-15), "d Mon yyyy")],
    "S8": [(lambda page: page.rows[0].signed_off, days(-30), "ddmmyyyy"),
           (lambda page: page.rows[1].signed_off, days(-25), "Wkd d Mon yyyy")],
    "S9F": [(lambda page: page.start_date, days(7), "d.m.yyyy")],
    "S10": [(lambda page: page.met_on, days(-5), "dd/mm/yyyy"),
            (lambda page: page.care_starts_on, days(10), "d Mon yyyy")],
}


@pytest.mark.hazard("H-010")
def test_every_date_typed_on_the_way_is_what_the_decided_case_records(
        qtbot: Any, stack: Any) -> None:
    """S1 to Finish, every date typed with the keyboard: the case, its consent, sign-offs,
    funding and MDT decision hold the days typed."""
    from desktop_app.models.competency import CompetencySignOff
    from desktop_app.models.consent import ConsentRecord
    from desktop_app.services.framework.review_schedule import first_review
    from desktop_app.ui.wizard.base import StepPage
    from desktop_app.ui.wizard.outcome_page import OutcomePage

    controller = wizard_controller(stack)
    answers = without_dates(route(stack))
    with qtbot.waitSignal(controller.wizard_opened, timeout=10000) as opened:
        controller.start(stack.person_id)
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    s1 = wizard.currentPage()
    s1.task.set_value("eye_drops")
    qtbot.keyClicks(s1.referred_by, "District nurse")
    tick(qtbot, s1.health_need.yes)
    typed_on: list[str] = []
    for _ in range(12):
        press_next(qtbot, wizard)
        page = wizard.currentPage()
        if isinstance(page, OutcomePage):
            break
        assert isinstance(page, StepPage)
        page.load(answers.get(page.step.id, {}))
        for field, day, form in WIZARD_TYPED.get(page.step.id, []):
            type_date(qtbot, field(page), written(day, form))
        typed_on.append(page.step.id)
    assert set(WIZARD_TYPED) <= set(typed_on)
    decision = finish(qtbot, wizard, controller)
    assert decision.outcome == "DELEGATED_JOINT_FUNDED"
    assert decision.care_starts_on == days(10)

    def read() -> dict[str, Any]:
        with stack.session.uow.read() as s:
            case = s.scalars(select(DelegationCase)).one()
            return {
                "checklist": case.answers["S2"]["checklist_date"],
                "started": case.started_on,
                "capacity": s.scalars(select(ConsentRecord.capacity_assessed_on)).one(),
                "signed": sorted(s.scalars(select(CompetencySignOff.signed_off_on))),
                "funding": set(s.scalars(select(FundingSplit.start_date))),
                "met": s.scalars(select(MdtDecision.met_on)).one(),
                "review": s.scalars(select(Review.due_on)).one()}

    assert stack.executor.call(read) == {
        "checklist": days(-20).isoformat(), "started": days(10), "capacity": days(-15),
        "signed": [days(-30), days(-25)], "funding": {days(7)}, "met": days(-5),
        "review": first_review(days(10)).due_on}  # counted from the day typed (H-010)


# ---------------------------------------------------------------- none is missed

# Every date field of the screens (module under desktop_app/ui, class, attribute), and the
# test above that types a date into it and finds it stored.
_TABS_DATES = ("tests/ui/test_person_centred_tabs.py::"
               "test_a_day_that_does_not_exist_is_refused_beside_it_kept_and_nothing_saved")
COVERED: dict[tuple[str, str, str], object] = {
    ("person_record.py", "PersonForm", "date_of_birth"):
        test_date_of_birth_typed_is_saved_with_the_person,
    ("contacts.py", "ContactDialog", "registered_on"):
        test_date_an_attorney_was_registered_is_saved_with_the_contact,
    ("oversight_transfer.py", "OversightTransferDialog", "on_edit"):
        test_date_a_transfer_of_oversight_takes_effect_is_saved,
    ("delegation_history.py", "ConsentWithdrawnDialog", "on"):
        test_date_a_delegation_ended_is_saved_in_its_history,
    ("delegation_history.py", "NeedChangedDialog", "on"):
        test_date_a_delegation_ended_is_saved_in_its_history,
    ("registers/competence_forms.py", "TrainingDialog", "trained_on"):
        test_date_of_a_training_is_saved,
    ("registers/competence_forms.py", "AssessmentDialog", "assessed_on"):
        test_dates_of_an_assessment_and_its_retraining_are_saved,
    ("registers/competence_forms.py", "AssessmentDialog", "retrain_by"):
        test_dates_of_an_assessment_and_its_retraining_are_saved,
    ("registers/escalations.py", "CloseDiscussionDialog", "closed_edit"):
        test_dates_a_discussion_was_decided_and_its_agreed_funding_starts_are_saved,
    ("registers/funding_decisions.py", "AgreedFundingBox", "from_edit"):
        test_dates_a_discussion_was_decided_and_its_agreed_funding_starts_are_saved,
    ("registers/funding_decisions.py", "CsuRoutedDialog", "on_edit"):
        test_dates_a_dispute_went_to_the_csu_and_its_result_came_are_saved,
    ("registers/funding_decisions.py", "CsuResultDialog", "on_edit"):
        test_dates_a_dispute_went_to_the_csu_and_its_result_came_are_saved,
    ("registers/reviews.py", "RecordReviewDialog", "done_edit"):
        test_date_a_review_was_done_is_saved,
    ("registers/reviews.py", "AcceptanceDialog", "on_edit"):
        test_date_a_transfer_of_oversight_was_accepted_is_saved,
    ("registers/reconciliation.py", "ReconciliationDialog", "from_edit"):
        test_dates_of_an_interim_reconciliation_are_saved,
    ("registers/reconciliation.py", "ReconciliationDialog", "to_edit"):
        test_dates_of_an_interim_reconciliation_are_saved,
    ("registers/reconciliation.py", "ReconciliationDialog", "reconciled_edit"):
        test_dates_of_an_interim_reconciliation_are_saved,
    ("provider_forms.py", "ProviderDialog", "confirmed_on"):
        test_dates_a_providers_insurance_was_confirmed_and_ends_are_saved,
    ("provider_forms.py", "ProviderDialog", "until"):
        test_dates_a_providers_insurance_was_confirmed_and_ends_are_saved,
    ("provider_forms.py", "WorkerDialog", "started_on"):
        test_dates_a_care_worker_started_and_left_are_saved,
    ("provider_forms.py", "LeavingDialog", "left_on"):
        test_dates_a_care_worker_started_and_left_are_saved,
    ("plan_batch.py", "PlanBatchDialog", "from_edit"):
        test_the_plans_batch_finds_plans_changed_between_the_dates_typed,
    ("plan_batch.py", "PlanBatchDialog", "to_edit"):
        test_the_plans_batch_finds_plans_changed_between_the_dates_typed,
    ("reports.py", "ReportsWidget", "from_edit"): test_a_report_is_computed_for_the_dates_typed,
    ("reports.py", "ReportsWidget", "to_edit"): test_a_report_is_computed_for_the_dates_typed,
    ("wizard/s2_chc.py", "ChcPage", "checked_on"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    ("wizard/s4_stable.py", "StablePage", "reconsider_on"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    ("wizard/s6_consent.py", "ConsentPage", "capacity_assessed_on"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    ("wizard/s8_training.py", "SignOffRow", "signed_off"):
        test_each_care_workers_sign_off_date_typed_is_in_the_answers_and_the_draft,
    ("wizard/s8_training.py", "TrainingPage", "reconsider_on"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    ("wizard/s9f_funding.py", "FundingPage", "start_date"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    ("wizard/s10_mdt.py", "MdtPage", "met_on"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    ("wizard/s10_mdt.py", "MdtPage", "interim_from"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    ("wizard/s10_mdt.py", "MdtPage", "care_starts_on"):
        test_a_date_typed_in_the_wizard_is_in_its_answers_its_draft_and_its_decision,
    # Issue 18's forms are tested beside the rest of their behaviour (named, not imported:
    # an imported test function would run twice).
    ("eligibility_screen.py", "EligibilityDialog", "screened_on"): _TABS_DATES,
    ("person_centred_forms.py", "AssessmentDialog", "assessed_on"): _TABS_DATES,
    ("person_centred_forms.py", "SignpostingDialog", "given_on"): _TABS_DATES,
    ("wizard/reuse_box.py", "PartnerFields", "assessed_on"):
        "tests/ui/wizard/test_person_centred_pages.py::"
        "test_another_partners_assessment_is_typed_and_refused_without_its_parts",
}
DATE_CLASSES = {"DateLine", "DateField", "DateInput"}


def _called(node: ast.AST | None) -> bool:
    """Whether ``node`` makes a date field (``DateLine(...)``, ``DateField(...)``...)."""
    return isinstance(node, ast.Call) and getattr(
        node.func, "id", getattr(node.func, "attr", None)) in DATE_CLASSES


def _fields_of(cls: ast.ClassDef) -> set[str]:
    """The attributes (``self.x = DateLine(...)``) and dict keys a class keeps its date fields
    under; a date field kept under neither is named by its line."""
    named: dict[int, str] = {}
    for node in ast.walk(cls):
        if isinstance(node, ast.Assign) and _called(node.value):
            target = node.targets[0]
            named[id(node.value)] = getattr(target, "attr", ast.unparse(target))
        elif isinstance(node, ast.Dict):
            for key, value in zip(node.keys, node.values, strict=True):
                if _called(value):
                    named[id(value)] = getattr(key, "value", None) or ast.unparse(node)
    return {named.get(id(node), f"line {getattr(node, 'lineno', '?')}")
            for node in ast.walk(cls) if _called(node)}


def date_fields_in_the_screens() -> set[tuple[str, str, str]]:
    """Each date field the screens make (read from their source)."""
    found = set()
    for path in sorted(UI.rglob("*.py")):
        source = path.read_text(encoding="utf-8")
        if any(name + "(" in source for name in DATE_CLASSES):
            for cls in (n for n in ast.walk(ast.parse(source)) if isinstance(n, ast.ClassDef)):
                found |= {(path.relative_to(UI).as_posix(), cls.name, attribute)
                          for attribute in _fields_of(cls)}
    return found


def test_every_date_field_of_the_app_is_covered_here() -> None:
    found = date_fields_in_the_screens()
    assert len(found) >= 34, "the screens' source was not read: a vacuous check"
    assert found == set(COVERED), (
        f"date fields with no test here: {sorted(found - set(COVERED))}; "
        f"listed but gone: {sorted(set(COVERED) - found)}")


def test_no_qt_date_edit_is_left_in_the_screens() -> None:
    """One date field everywhere: Qt's QDateEdit (typing 05/12/2026 shows 5122026 and goes
    blank when left) is used by no screen."""
    using = [path.relative_to(UI).as_posix() for path in UI.rglob("*.py")
             if "QDateEdit" in path.read_text(encoding="utf-8")]
    assert using == []
