"""The Care providers screen and the wizard's "Add provider…", driven with the keyboard alone
(key clicks and typing, no mouse) in the real app signed in on a fresh vault (no demo data).

A provider and its care workers are added and changed through the screen; a refused field
keeps what was typed; a deactivated provider is not offered at S7; "Add provider…" and "Add
care worker…" on S7 come back to S7 with the new one chosen and the draft intact; a read-only
user sees the register and cannot change it; a worker's history shows each sign-off's state.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWidget, QWizard

from desktop_app.models.competency import CompetencySignOff, SignOffStatus
from desktop_app.services import delegation, people
from desktop_app.services.core.errors import PermissionDenied
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.framework.insurance import cover_on
from desktop_app.services.providers import history, register, workers
from desktop_app.services.registers import competency as competency_register
from desktop_app.ui.controllers.features import SCREEN_SHORTCUTS
from desktop_app.ui.provider_forms import DateLine, LeavingDialog, ProviderDialog, WorkerDialog
from desktop_app.ui.providers import ProvidersWidget
from desktop_app.ui.tables import uk_date
from desktop_app.ui.wizard.context import ProviderOption, WorkerOption
from desktop_app.ui.wizard.s7_provider import ProviderPage
from desktop_app.ui.wizard.s8_training import TrainingPage
from desktop_app.ui.wizard.wizard import PAGE_IDS, DelegationWizard
from tests.support import person_values
from tests.ui.test_app_roles import SignedIn, _signed_in
from tests.ui.test_registers_widgets import assert_named
from tests.ui.test_sign_in import cheap_kdf  # noqa: F401 (a fixture)
from tests.ui.wizard.test_pages_s7_s10 import ROUTE_TO_S7, open_at, shown_problem

TODAY = dt.date.today()
CTRL = Qt.KeyboardModifier.ControlModifier


# ---------------------------------------------------------------- helpers


@pytest.fixture
def nurse(qtbot: Any, app_home: Path, cheap_kdf: None) -> Iterator[SignedIn]:  # noqa: F811
    signed_in = _signed_in(qtbot, "nurse", copied=True)
    yield signed_in
    signed_in.shutdown()


def on_db(app: SignedIn, fn: Any, *args: Any) -> Any:
    """``fn(uow, *args)`` on the database thread, as the screens' work runs."""
    return app.executor.call(fn, app.session.uow, *args)


def providers_screen(qtbot: Any, app: SignedIn) -> ProvidersWidget:
    """The Care providers screen, reached with Ctrl+8 from the screen list."""
    window = app.window
    window.activateWindow()
    window.nav.setFocus()
    qtbot.waitUntil(window.nav.hasFocus, timeout=5000)
    qtbot.keyClick(window.nav, Qt.Key.Key_8, CTRL)
    screen = window.screen("providers")
    assert isinstance(screen, ProvidersWidget)
    assert window.stack.currentWidget() is screen
    return screen


def press(qtbot: Any, button: QWidget) -> None:
    """A button pressed from the keyboard: focus it (Tab would), then Space."""
    button.setFocus()
    qtbot.keyClick(button, Qt.Key.Key_Space)


def texts(screen_part: Any, column: int) -> list[str]:
    model = screen_part.model
    return [str(model.data(model.index(r, column))) for r in range(model.rowCount())]


def open_dialog(qtbot: Any, button: QWidget, current: Callable[[], Any], kind: type) -> Any:
    """Press ``button`` and wait for the form of ``kind`` it opens (``current()``)."""
    before = current()
    press(qtbot, button)
    qtbot.waitUntil(lambda: current() is not before and isinstance(current(), kind)
                    and current().isVisible(), timeout=5000)
    return current()


def type_provider(qtbot: Any, dialog: ProviderDialog, name: str, *, cqc: str = "",
                  insured_since: dt.date | None = None) -> None:
    """Fill the provider form from the keyboard (the council: the first, Leicester City)."""
    qtbot.keyClicks(dialog.name, name)
    qtbot.keyClick(dialog.council, Qt.Key.Key_Down)
    qtbot.keyClicks(dialog.phone, "0116 496 0000")
    if cqc:
        qtbot.keyClicks(dialog.cqc, cqc)
    if insured_since is not None:
        qtbot.keyClick(dialog.insured, Qt.Key.Key_Space)
        qtbot.keyClicks(dialog.confirmed_on, uk_date(insured_since))


def type_worker(qtbot: Any, dialog: WorkerDialog, given: str, family: str) -> None:
    qtbot.keyClicks(dialog.given_name, given)
    qtbot.keyClicks(dialog.family_name, family)
    qtbot.keyClicks(dialog.role_title, "Senior care worker")


def add_provider_row(app: SignedIn, name: str, *, insured: bool = True) -> register.ProviderRow:
    data = register.ProviderInput(name, "leicester_city", ("leicester_city",), "0116 496 0000",
                                  insurance_covers_delegated=insured,
                                  insurance_confirmed_on=TODAY if insured else None)
    return on_db(app, register.create_provider, data)


def add_worker_row(app: SignedIn, provider_id: str, given: str) -> workers.WorkerRow:
    saved = on_db(app, workers.add_worker, provider_id,
                  workers.WorkerInput(given, "Carer", "Care worker"))
    return saved.worker


def add_person(app: SignedIn, serial: int = 31) -> str:
    return on_db(app, people.create_person, people.PersonInput(**person_values(serial))).id


# ---------------------------------------------------------------- the screen


def test_a_nurse_adds_a_provider_and_its_care_workers_on_a_fresh_vault(qtbot, nurse) -> None:
    screen = providers_screen(qtbot, nurse)
    qtbot.waitUntil(lambda: screen.providers.serial > 0, timeout=5000)
    assert screen.providers.model.rowCount() == 0
    assert not screen.add_worker_button.isEnabled()  # no provider chosen yet

    dialog = open_dialog(qtbot, screen.add_provider_button, lambda: screen.dialog, ProviderDialog)
    type_provider(qtbot, dialog, "Riverside Home Care", cqc="1-101234567",
                  insured_since=TODAY - dt.timedelta(days=10))
    qtbot.keyClicks(dialog.until, uk_date(TODAY + dt.timedelta(days=200)))
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)  # Enter saves
    qtbot.waitUntil(lambda: screen.providers.model.rowCount() == 1, timeout=5000)
    assert not dialog.isVisible()
    assert texts(screen.providers, 0) == ["Riverside Home Care"]
    assert texts(screen.providers, 1) == ["Leicester City"]
    assert texts(screen.providers, 2) == [
        f"Insured for delegated healthcare tasks until {uk_date(TODAY + dt.timedelta(days=200))}"]
    assert texts(screen.providers, 3) == ["Active"]
    assert "Saved Riverside Home Care." in screen.message.text()

    qtbot.waitUntil(screen.add_worker_button.isEnabled, timeout=5000)
    for _ in range(2):  # the second time, the same name: saved, with a warning
        form = open_dialog(qtbot, screen.add_worker_button, lambda: screen.dialog, WorkerDialog)
        type_worker(qtbot, form, "Amira", "Haddad")
        qtbot.keyClick(form.role_title, Qt.Key.Key_Return)
        qtbot.waitUntil(form.isHidden, timeout=5000)
    qtbot.waitUntil(lambda: screen.workers.model.rowCount() == 2, timeout=5000)
    assert texts(screen.workers, 0) == ["Amira Haddad", "Amira Haddad"]
    warnings = [text for kind, _title, text in nurse.dialogs.shown if kind == "inform"]
    assert any("already has a care worker called Amira Haddad" in w for w in warnings)
    qtbot.waitUntil(lambda: texts(screen.providers, 4) == ["2"], timeout=5000)

    # "Left on…": Enter records today (the form opens on it); the worker is no longer working
    leaving = open_dialog(qtbot, screen.leaving_button, lambda: screen.dialog, LeavingDialog)
    assert leaving.left_on.text() == uk_date(TODAY)
    qtbot.keyClick(leaving.left_on, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: f"Left on {uk_date(TODAY)}" in texts(screen.workers, 1),
                    timeout=5000)

    [saved] = on_db(nurse, register.list_providers)
    assert (saved.name, saved.cqc_location_id, saved.cover.insured) == (
        "Riverside Home Care", "1-101234567", True)
    assert [w.active for w in on_db(nurse, workers.list_workers, saved.id)].count(True) == 1


def test_a_bad_cqc_id_or_date_is_said_beside_its_field_and_nothing_typed_is_lost(
        qtbot, nurse) -> None:
    screen = providers_screen(qtbot, nurse)
    dialog = open_dialog(qtbot, screen.add_provider_button, lambda: screen.dialog, ProviderDialog)
    type_provider(qtbot, dialog, "Meadow Care", cqc="12345",
                  insured_since=TODAY - dt.timedelta(days=3))
    qtbot.keyClick(dialog.phone, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: dialog.problems["cqc_location_id"].isVisible(), timeout=5000)
    assert "1- followed by 9 to 11 digits" in dialog.problems["cqc_location_id"].text()
    assert dialog.isVisible() and screen.providers.model.rowCount() == 0
    assert dialog.cqc.hasFocus()
    typed = dialog.value()
    assert (typed.name, typed.council, typed.phone, typed.cqc_location_id,
            typed.insurance_covers_delegated, typed.insurance_confirmed_on) == (
        "Meadow Care", "leicester_city", "0116 496 0000", "12345", True,
        TODAY - dt.timedelta(days=3))

    # a date that is not one is said beside the date, before anything is sent
    qtbot.keyClicks(dialog.until, "31/02/2027")
    qtbot.keyClick(dialog.until, Qt.Key.Key_Return)
    assert dialog.problems["insurance_until"].isVisible()
    assert "day/month/year" in dialog.problems["insurance_until"].text()
    assert not dialog.problems["cqc_location_id"].isVisible()
    assert dialog.until.text() == "31/02/2027"

    dialog.until.selectAll()
    qtbot.keyClick(dialog.until, Qt.Key.Key_Delete)
    dialog.cqc.selectAll()
    qtbot.keyClicks(dialog.cqc, "1-123456789")
    qtbot.keyClick(dialog.cqc, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: screen.providers.model.rowCount() == 1, timeout=5000)
    assert "CQC location ID: 1-123456789" in screen.details.text()


def test_escape_leaves_a_form_and_the_calendar_picks_a_date(qtbot, nurse) -> None:
    screen = providers_screen(qtbot, nurse)
    dialog = open_dialog(qtbot, screen.add_provider_button, lambda: screen.dialog, ProviderDialog)
    dialog.confirmed_on.setFocus()
    qtbot.keyClick(dialog.confirmed_on, Qt.Key.Key_Down, Qt.KeyboardModifier.AltModifier)
    calendar = dialog.confirmed_on.calendar_dialog
    assert calendar is not None and calendar.isVisible()
    grid = calendar.findChild(QWidget, "qt_calendar_calendarview")
    qtbot.keyClick(grid, Qt.Key.Key_Left)  # yesterday
    qtbot.keyClick(grid, Qt.Key.Key_Return)
    assert dialog.confirmed_on.value() == TODAY - dt.timedelta(days=1)
    qtbot.keyClick(dialog.name, Qt.Key.Key_Escape)
    assert not dialog.isVisible()
    assert screen.providers.model.rowCount() == 0


def test_a_deactivated_provider_is_kept_and_not_offered_at_s7(qtbot, nurse) -> None:
    add_provider_row(nurse, "Alder Care")
    add_provider_row(nurse, "Birch Care")
    screen = providers_screen(qtbot, nurse)
    qtbot.waitUntil(lambda: screen.providers.model.rowCount() == 2, timeout=5000)
    screen.providers.table.setFocus()
    qtbot.keyClick(screen.providers.table, Qt.Key.Key_Down)  # Birch Care
    assert screen.providers.selected().name == "Birch Care"
    assert screen.active_button.text() == "&Deactivate"
    press(qtbot, screen.active_button)
    qtbot.waitUntil(lambda: texts(screen.providers, 3) == [
        "Active", f"Deactivated since {uk_date(TODAY)}"], timeout=5000)
    assert screen.providers.selected().name == "Birch Care"
    assert screen.active_button.text() == "Make ac&tive"
    assert not screen.add_worker_button.isEnabled()
    assert "no longer offered for new delegations" in screen.message.text()

    person_id = add_person(nurse)
    wizards = nurse.features.delegations.wizards
    with qtbot.waitSignal(wizards.wizard_opened, timeout=10000) as opened:
        nurse.features.delegations.open_wizard(person_id)
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    s7 = wizard.page(PAGE_IDS["S7"])
    offered = [s7.provider.itemText(i) for i in range(1, s7.provider.count())]
    assert offered == ["Alder Care"]
    wizard.close()

    press(qtbot, screen.active_button)  # Make active again
    qtbot.waitUntil(lambda: texts(screen.providers, 3) == ["Active", "Active"], timeout=5000)


def _s7_from_a_draft(qtbot: Any, app: SignedIn, person_id: str) -> DelegationWizard:
    """The real wizard resumed at S7 from a saved draft (steps S1 to S6 answered)."""
    case_id = on_db(app, delegation.save_draft, person_id, None, ROUTE_TO_S7, "S7",
                    load_flow(), load_catalogue())
    wizards = app.features.delegations.wizards
    with qtbot.waitSignal(wizards.wizard_opened, timeout=10000) as opened:
        wizards.start(person_id, case_id)
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    assert wizard.current_step() == "S7"
    return wizard


@pytest.mark.hazard("H-016")
def test_add_provider_and_care_worker_from_s7_come_back_with_them_chosen_and_the_draft_intact(
        qtbot, nurse) -> None:
    add_provider_row(nurse, "Alder Care")
    person_id = add_person(nurse)
    wizard = _s7_from_a_draft(qtbot, nurse, person_id)
    wizards = nurse.features.delegations.wizards
    s7 = wizard.currentPage()
    assert isinstance(s7, ProviderPage)
    before = {step: dict(wizard.answers[step]) for step in ROUTE_TO_S7}  # S1 to S6 as resumed
    qtbot.keyClick(s7.accepts.yes, Qt.Key.Key_Space)
    assert s7.add_provider_button.isVisible()

    dialog = open_dialog(qtbot, s7.add_provider_button, lambda: wizards.form, ProviderDialog)
    type_provider(qtbot, dialog, "Willow Domiciliary Care",
                  insured_since=TODAY - dt.timedelta(days=1))
    qtbot.keyClick(dialog.name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    [willow] = [p for p in on_db(nurse, register.list_providers)
                if p.name == "Willow Domiciliary Care"]
    assert wizard.currentId() == PAGE_IDS["S7"]
    assert s7.provider.value() == willow.id
    assert s7.accepts.value() is True
    assert [s7.provider.itemText(i) for i in range(1, s7.provider.count())] == [
        "Alder Care", "Willow Domiciliary Care"]
    assert "Insured for delegated healthcare tasks" in s7.cover.text()

    dialog = open_dialog(qtbot, s7.add_worker_button, lambda: wizards.form, WorkerDialog)
    type_worker(qtbot, dialog, "Tomasz", "Nowak")
    qtbot.keyClick(dialog.given_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: not dialog.isVisible(), timeout=5000)
    [tomasz] = on_db(nurse, workers.list_workers, willow.id)
    assert s7.workers.checked_ids() == [tomasz.id]
    assert s7.provider.value() == willow.id

    qtbot.keyClick(s7.insurance.yes, Qt.Key.Key_Space)
    press(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert wizard.current_step() == "S8", shown_problem(s7)
    s8 = wizard.currentPage()
    assert isinstance(s8, TrainingPage)
    assert [row.worker_name for row in s8.rows] == ["Tomasz Nowak"]
    qtbot.keyClicks(s8.rows[0].trainer, "Tia Trainer")

    # S8's own "Add care worker…": a second row, the first row's typing kept, named at S7
    dialog = open_dialog(qtbot, s8.add_worker_button, lambda: wizards.form, WorkerDialog)
    type_worker(qtbot, dialog, "Grace", "Adeyemi")
    qtbot.keyClick(dialog.family_name, Qt.Key.Key_Return)
    qtbot.waitUntil(lambda: len(s8.rows) == 2, timeout=5000)
    assert [row.worker_name for row in s8.rows] == ["Tomasz Nowak", "Grace Adeyemi"]
    assert s8.rows[0].trainer.text() == "Tia Trainer"
    grace = next(w for w in on_db(nurse, workers.list_workers, willow.id) if w.given_name ==
                 "Grace")
    assert wizard.answers["S7"]["worker_ids"] == [tomasz.id, grace.id]
    assert set(s7.workers.checked_ids()) == {tomasz.id, grace.id}  # S7 on Back shows both

    def saved_draft() -> dict[str, Any]:
        [draft] = on_db(nurse, delegation.drafts)
        return on_db(nurse, delegation.wizard_context, person_id, load_catalogue(),
                     draft.case_id).answers

    wizard.save_draft_now()
    qtbot.waitUntil(lambda: saved_draft().get("S7", {}).get("provider_id") == willow.id,
                    timeout=5000)
    draft = saved_draft()
    assert {step: draft[step] for step in ROUTE_TO_S7} == before
    assert draft["S7"]["worker_ids"] == [tomasz.id, grace.id]
    assert draft["S8"]["sign_offs"][0]["trainer_name"] == "Tia Trainer"
    wizard.close()


@pytest.mark.hazard("H-026")
def test_a_read_only_user_sees_the_register_and_cannot_change_it(
        qtbot, app_home: Path, cheap_kdf: None) -> None:  # noqa: F811
    app = _signed_in(qtbot, "read_only", copied=True)
    try:
        from tests.support import add_provider, as_role
        # A colleague who may edit added it (a read-only user cannot: checked below).
        provider_id, _ = app.executor.call(lambda: add_provider(as_role(app.session, "nurse")))
        screen = providers_screen(qtbot, app)
        qtbot.waitUntil(lambda: screen.workers.model.rowCount() == 2, timeout=5000)
        assert texts(screen.providers, 0) == ["Demo Homecare Ltd"]
        for button in (screen.add_provider_button, screen.edit_provider_button,
                       screen.active_button, screen.add_worker_button,
                       screen.edit_worker_button, screen.leaving_button):
            assert button.isHidden()
        assert screen.read_only_note.isVisible()
        screen.providers.table.setFocus()
        qtbot.keyClick(screen.providers.table, Qt.Key.Key_Return)  # Enter edits, for editors
        assert screen.open_provider(edit=False) is None and screen.dialog is None
        with pytest.raises(PermissionDenied):
            on_db(app, register.set_active, provider_id, False, 1)
        with pytest.raises(PermissionDenied):
            on_db(app, workers.add_worker, provider_id,
                  workers.WorkerInput("Ann", "Other", "Care worker"))
    finally:
        app.shutdown()


def test_every_new_control_has_an_accessible_name_and_tab_goes_down_the_screen(
        qtbot, nurse) -> None:
    add_worker_row(nurse, add_provider_row(nurse, "Alder Care").id, "Ann")
    screen = providers_screen(qtbot, nurse)
    qtbot.waitUntil(lambda: screen.workers.model.rowCount() == 1, timeout=5000)
    assert_named(screen)
    screen.providers.table.setFocus()
    qtbot.waitUntil(screen.providers.table.hasFocus, timeout=5000)
    visited = []
    for _ in range(9):
        qtbot.keyClick(nurse.window.focusWidget(), Qt.Key.Key_Tab)
        visited.append(nurse.window.focusWidget())
    assert visited == [screen.add_provider_button, screen.edit_provider_button,
                       screen.active_button, screen.refresh_button, screen.workers.table,
                       screen.add_worker_button, screen.edit_worker_button,
                       screen.leaving_button, screen.history.table]
    provider = ProviderDialog()
    qtbot.addWidget(provider)
    assert_named(provider)
    assert all(box.accessibleName() for box in provider.areas.values())
    assert all(isinstance(provider.fields[f], DateLine) and provider.fields[f].pick
               .accessibleName() for f in ("insurance_confirmed_on", "insurance_until"))
    worker = WorkerDialog("Alder Care")
    qtbot.addWidget(worker)
    assert_named(worker)
    wizard = open_at(qtbot, "S7", ROUTE_TO_S7)
    s7 = wizard.currentPage()
    s8 = wizard.page(PAGE_IDS["S8"])
    for control in (s7.add_provider_button, s7.add_worker_button, s7.cover,
                    s8.add_worker_button):
        assert control.accessibleName()


# ---------------------------------------------------------------- insurance at S7


@pytest.mark.parametrize(("confirmed", "until", "words"), [
    (TODAY - dt.timedelta(days=400), TODAY - dt.timedelta(days=1),
     f"Insurance ended on {uk_date(TODAY - dt.timedelta(days=1))}: not insured"),
    (None, None, "Insurance for delegated healthcare tasks not confirmed"),
])
def test_s7_does_not_let_insurance_pass_for_a_provider_not_insured_today(
        qtbot, confirmed: dt.date | None, until: dt.date | None, words: str) -> None:
    cover = cover_on(TODAY, confirmed, confirmed is not None, until)
    assert cover == cover.__class__(False, words)
    lapsed = ProviderOption("prov-9", "Lapsed Care Ltd", "leicester_city",
                            (WorkerOption("w-9", "Ann Carer"),), cover.insured, cover.words)
    wizard = open_at(qtbot, "S7", ROUTE_TO_S7, providers=(lapsed,))
    page = wizard.currentPage()
    qtbot.keyClick(page.accepts.yes, Qt.Key.Key_Space)
    page.provider.setFocus()
    qtbot.keyClick(page.provider, Qt.Key.Key_Down)
    assert page.cover.text() == words
    page.workers.setFocus()
    qtbot.keyClick(page.workers.viewport(), Qt.Key.Key_Space)
    qtbot.keyClick(page.insurance.yes, Qt.Key.Key_Space)
    press(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert wizard.current_step() == "S7"
    assert words in shown_problem(page)
    assert "Not confirmed" in shown_problem(page)
    qtbot.keyClick(page.insurance.no, Qt.Key.Key_Space)  # Health keeps the task
    qtbot.keyClicks(page.reason, "Cover lapsed; renewal awaited")
    press(qtbot, wizard.button(QWizard.WizardButton.NextButton))
    assert wizard.current_step() != "S8"


# ---------------------------------------------------------------- a worker's history


def _sign_off(app: SignedIn, worker_id: str, person_id: str, signed: dt.date, status: str,
              supersedes: str | None = None, months: int = 12) -> str:
    """A sign-off written straight to the vault (the refresher service comes later)."""
    def write(uow: Any) -> str:
        with uow.begin() as session:
            row = CompetencySignOff(
                worker_id=worker_id, person_id=person_id, task_code="eye_drops",
                training_level=1, trainer_name="Tia Trainer", assessor_name="Ade Assessor",
                signed_off_on=signed, refresher_due=signed + dt.timedelta(days=30 * months),
                status=status, supersedes_id=supersedes,
                withdrawn_reason="Left the round" if status == "withdrawn" else None)
            session.add(row)
            session.flush()
            return row.id
    return on_db(app, write)


def test_a_workers_history_shows_a_superseded_and_a_current_sign_off(qtbot, nurse) -> None:
    provider = add_provider_row(nurse, "Alder Care")
    ann = add_worker_row(nurse, provider.id, "Ann")
    person_id = add_person(nurse)
    first = TODAY - dt.timedelta(days=400)
    renewed = TODAY - dt.timedelta(days=20)
    old = _sign_off(nurse, ann.id, person_id, first, SignOffStatus.SUPERSEDED.value)
    _sign_off(nurse, ann.id, person_id, renewed, SignOffStatus.CURRENT.value, supersedes=old)

    screen = providers_screen(qtbot, nurse)
    qtbot.waitUntil(lambda: screen.history.model.rowCount() == 2, timeout=5000)
    assert screen.history.heading.text() == "S&ign-offs of Ann Carer, by person and task"
    assert texts(screen.history, 0) == ["Current", f"Superseded on {uk_date(renewed)}"]
    assert texts(screen.history, 1) == ["Edith Testperson"] * 2
    assert texts(screen.history, 2) == [uk_date(renewed), uk_date(first)]
    assert texts(screen.history, 5) == [load_catalogue().get("eye_drops").name] * 2
    screen.history.table.setFocus()
    qtbot.keyClick(screen.history.table, Qt.Key.Key_Down)
    assert screen.history.table.current_row() == 1

    rows = on_db(nurse, history.sign_off_history, ann.id, TODAY)
    assert [r.state for r in rows] == [history.SignOffState.CURRENT,
                                       history.SignOffState.SUPERSEDED]
    assert rows[1].superseded_on == renewed


def test_the_history_says_expiring_expired_and_withdrawn_as_the_register_does(
        qtbot, nurse) -> None:
    provider = add_provider_row(nurse, "Alder Care")
    ann = add_worker_row(nurse, provider.id, "Ann")
    person_id = add_person(nurse)
    _sign_off(nurse, ann.id, person_id, TODAY - dt.timedelta(days=330), "current")  # due in 30
    _sign_off(nurse, ann.id, person_id, TODAY - dt.timedelta(days=370), "current")  # 10 ago
    _sign_off(nurse, ann.id, person_id, TODAY - dt.timedelta(days=380), "withdrawn")
    _sign_off(nurse, ann.id, person_id, TODAY - dt.timedelta(days=390), "suspended")
    rows = on_db(nurse, history.sign_off_history, ann.id, TODAY)
    assert [r.state.value for r in rows] == ["expiring", "expired", "withdrawn", "suspended"]
    # the same rule as the competency register's, every day around the 60-day line
    for days in range(-3, 70):
        due = TODAY + dt.timedelta(days=days)
        expiry = competency_register.expiry_of(due, TODAY).value
        assert history.state_on("current", due, TODAY).value == {"ok": "current"}.get(
            expiry, expiry)

    screen = providers_screen(qtbot, nurse)
    qtbot.waitUntil(lambda: screen.history.model.rowCount() == 4, timeout=5000)
    assert texts(screen.history, 0) == ["Expiring: in 30 days", "Expired", "Withdrawn",
                                        "Suspended"]


def test_the_providers_screen_follows_case_examples_in_the_screen_list(nurse) -> None:
    keys = nurse.window._keys
    assert keys[keys.index("examples") + 1] == "providers"
    assert SCREEN_SHORTCUTS["providers"] == "Ctrl+8"  # for every role: test_shortcuts.py
