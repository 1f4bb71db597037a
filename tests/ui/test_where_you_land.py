"""Where a nurse lands (issue 17): an empty caseload or a search that finds nobody offers
"Add this person"; the person record opens on the person chosen on the caseload (or the
last one opened or just delegated), never on a blank form unasked and never over typing not
yet saved; Delegations starts on the same person; an NHS number nobody has offers to add
them; the question on signing in to resume a draft says whose it is and how old, and "Not
now" is not asked again.

The people and delegations controllers run as the app makes them (``app.py`` connects
them the same way), over a private vault on a real database thread, in a main window with
their three screens.

How these tests were seen to fail (each mutation made, the tests run, the mutation undone):

* ``PeopleController._on_person_screen_shown`` doing nothing: the person record stays on
  "New person" (``test_the_person_record_opens_on_the_person_chosen_on_the_caseload``).
* its ``has_unsaved_changes`` check dropped: the typing test fails (the form replaced).
* ``StartDelegationPanel.set_person`` not checking for a typed number: the Delegations test
  (the typed number overwritten).
* ``new_person_hint`` keeping an NHS number that fails its check: the H-021 test.
* ``DelegationsController._ask_resume`` not recording "Not now": the resume test (asked
  twice).
"""

from __future__ import annotations

import datetime as dt
import re
from collections.abc import Iterator
from dataclasses import dataclass
from types import SimpleNamespace
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import QAbstractButton, QLabel, QWidget
from sqlalchemy import text

from desktop_app.services import delegation, people
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number
from desktop_app.services.people import contacts
from desktop_app.services.people.record import load_record
from desktop_app.services.vault import VaultSession
from desktop_app.ui.controllers.context import FeatureContext
from desktop_app.ui.controllers.delegations import DelegationsController
from desktop_app.ui.controllers.features import SCREEN_SHORTCUTS
from desktop_app.ui.controllers.people import PeopleController
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.tasks import TaskRunner
from tests.support import PASSPHRASE, person_values

FAMILIES = ["Kowalczyk", "Kowalski", "Kozłowski"]


@dataclass
class Landing:
    """The window with the caseload, Delegations and person record, and what is behind."""

    window: MainWindow
    people: PeopleController
    delegations: DelegationsController
    dialogs: Dialogs
    executor: DatabaseExecutor
    session: VaultSession
    ids: dict[str, str]  # family name -> person id

    def add(self, serial: int, family: str, given: str = "Anna") -> str:
        values = person_values(serial, family_name=family, given_name=given)
        return self.executor.call(people.create_person, self.session.uow,
                                  people.PersonInput(**values)).id


def _landing(qtbot: Any, vault_copy: Any, families: list[str]) -> Iterator[Landing]:
    store, user_id, _ = vault_copy
    executor = DatabaseExecutor()
    session = executor.call(store.unlock, user_id, PASSPHRASE)
    bugs: list[BaseException] = []
    window = MainWindow(session.user, demo=False)
    qtbot.addWidget(window)
    dialogs = Dialogs(headless=True)
    landing = Landing(window, None, None, dialogs, executor, session, {})  # type: ignore[arg-type]
    for serial, family in enumerate(families, start=1):
        landing.ids[family] = landing.add(serial, family)
    context = FeatureContext(TaskRunner(executor, bugs.append), executor, dialogs, window,
                             session.user, lambda: session, bugs.append)
    landing.people = people_ = PeopleController(context)
    landing.delegations = delegations = DelegationsController(context, len(families))
    # As desktop_app/app.py connects them.
    people_.delegation_requested.connect(delegations.open_wizard)
    people_.person_chosen.connect(delegations.offer_person)
    delegations.person_delegated.connect(people_.note_delegated)
    delegations.add_person_requested.connect(people_.add_person)
    for screen in sorted([*people_.screens(), *delegations.screens()],
                         key=lambda s: list(SCREEN_SHORTCUTS).index(s.key)):
        window.add_screen(screen.key, screen.title, screen.widget, SCREEN_SHORTCUTS[screen.key])
    window.show()
    qtbot.waitExposed(window)
    window.activateWindow()
    caseload = people_.caseload_screen
    qtbot.waitUntil(lambda: caseload.status_label.text() != "", timeout=5000)
    try:
        yield landing
    finally:
        assert bugs == []
        window.close()
        executor.call(session.close)
        executor.shutdown()


@pytest.fixture
def landing(qtbot: Any, vault_copy: Any) -> Iterator[Landing]:
    """Three people on the caseload (Kowalczyk, Kowalski, Kozłowski)."""
    yield from _landing(qtbot, vault_copy, FAMILIES)


@pytest.fixture
def empty(qtbot: Any, vault_copy: Any) -> Iterator[Landing]:
    """A laptop with nobody on its caseload yet."""
    yield from _landing(qtbot, vault_copy, [])


def _search(qtbot: Any, landing: Landing, typed: str) -> None:
    caseload = landing.people.caseload_screen
    caseload.search_edit.setText(typed)
    with qtbot.waitSignal(caseload.results_shown, timeout=5000):
        caseload.search_now()


def _press(qtbot: Any, widget: Any) -> None:
    """Tab has brought the focus here; Space presses it."""
    qtbot.waitUntil(widget.hasFocus, timeout=2000)
    qtbot.keyClick(widget, Qt.Key.Key_Space)


# ---------------------------------------------------------------- add this person


def test_an_empty_caseload_offers_to_add_the_first_person_from_the_keyboard(
        qtbot, empty: Landing) -> None:
    caseload = empty.people.caseload_screen
    assert caseload.status_label.text() == "No one is on the caseload yet: add the first person."
    assert caseload.add_button.text().replace("&", "") == "Add a person"
    caseload.focus_search()
    qtbot.waitUntil(caseload.search_edit.hasFocus, timeout=2000)
    for _ in range(4):  # the team and status filters, the (empty) table, then the button
        qtbot.keyClick(empty.window.focusWidget(), Qt.Key.Key_Tab)
    _press(qtbot, caseload.add_button)
    record = empty.people.person_screen
    assert empty.window.stack.currentWidget() is record
    assert "New person" in record.heading.text()
    assert record.form.fields["nhs_number"].text() == ""
    qtbot.waitUntil(record.form.fields["nhs_number"].hasFocus, timeout=2000)


@pytest.mark.hazard("H-021")
def test_a_search_that_finds_nobody_carries_only_a_valid_nhs_number_into_the_form(
        qtbot, landing: Landing) -> None:
    caseload, record = landing.people.caseload_screen, landing.people.person_screen
    nhs = synthetic_nhs_number(77)  # nobody on this caseload has it
    _search(qtbot, landing, format_nhs_number(nhs))
    assert caseload.add_button.text().replace("&", "") == "Add this person"
    assert "add this person" in caseload.status_label.text()
    caseload.add_button.setFocus()
    _press(qtbot, caseload.add_button)
    assert landing.window.stack.currentWidget() is record
    assert record.form.fields["nhs_number"].text() == format_nhs_number(nhs)
    assert "Filled in from your search" in record.message.text()
    qtbot.waitUntil(record.form.fields["given_name"].hasFocus, timeout=2000)

    landing.window.show_screen("caseload")
    wrong = nhs[:9] + str((int(nhs[9]) + 1) % 10)  # one digit mistyped: fails its check
    _search(qtbot, landing, wrong)
    landing.dialogs.answers = [True]  # leave the form filled in above
    caseload.add_button.click()
    assert record.form.fields["nhs_number"].text() == ""  # never a number that fails

    landing.window.show_screen("caseload")
    _search(qtbot, landing, "Nowak, Łukasz")
    caseload.add_button.click()
    assert (record.form.fields["family_name"].text(),
            record.form.fields["given_name"].text()) == ("Nowak", "Łukasz")


@pytest.mark.hazard("H-021")
def test_an_nhs_number_nobody_has_on_the_delegations_screen_offers_to_add_them(
        qtbot, landing: Landing) -> None:
    panel = landing.delegations.start_screen
    landing.window.show_screen("delegations")
    nhs = synthetic_nhs_number(78)
    panel.nhs_edit.setText(nhs)
    landing.dialogs.choices = [0]  # "Add this person"
    panel.start_button.click()
    record = landing.people.person_screen
    qtbot.waitUntil(lambda: landing.window.stack.currentWidget() is record, timeout=5000)
    kind, title, said = landing.dialogs.shown[-1]
    assert (kind, title) == ("choose", "Not on the caseload")
    assert format_nhs_number(nhs) in said
    assert record.form.fields["nhs_number"].text() == format_nhs_number(nhs)

    landing.window.show_screen("delegations")
    shown = len(landing.dialogs.shown)
    panel.nhs_edit.setText(nhs[:9] + str((int(nhs[9]) + 1) % 10))  # fails its check
    panel.start_button.click()
    qtbot.waitUntil(lambda: len(landing.dialogs.shown) > shown, timeout=5000)
    assert landing.dialogs.shown[-1][0] == "error"  # said why; adding is not offered
    assert "check digit" in landing.dialogs.shown[-1][2]


# ---------------------------------------------------------------- the person record


@pytest.mark.hazard("H-015")
def test_the_person_record_opens_on_the_person_chosen_on_the_caseload(
        qtbot, landing: Landing) -> None:
    window, record = landing.window, landing.people.person_screen
    table = landing.people.caseload_screen.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)  # from Kowalczyk to Kowalski
    qtbot.keyClick(window, Qt.Key.Key_3, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is record
    qtbot.waitUntil(lambda: record.person_id == landing.ids["Kowalski"], timeout=5000)
    assert "Anna Kowalski" in record.heading.text()

    window.show_screen("caseload")
    qtbot.keyClick(table, Qt.Key.Key_Down)  # Kozłowski
    window.show_screen("person")
    qtbot.waitUntil(lambda: record.person_id == landing.ids["Kozłowski"], timeout=5000)

    # "New person" is asked for; it stays asked for while the caseload choice stands.
    record.new_button.click()
    window.show_screen("caseload")
    window.show_screen("person")
    qtbot.wait(200)
    assert record.person_id is None and "New person" in record.heading.text()


def choose_first_row(qtbot: Any, caseload: Any) -> None:
    """The nurse clicks the first row, where the cursor waits after a search of several."""
    table = caseload.table
    rect = table.visualRect(caseload.model.index(0, 0))
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton, pos=rect.center())


@pytest.mark.hazard("H-016")
def test_typing_on_the_person_record_is_never_replaced_unasked(qtbot, landing: Landing) -> None:
    window, record = landing.window, landing.people.person_screen
    caseload = landing.people.caseload_screen
    choose_first_row(qtbot, caseload)  # Kowalczyk
    window.show_screen("person")
    qtbot.waitUntil(lambda: record.person_id == landing.ids["Kowalczyk"], timeout=5000)
    given = record.form.fields["given_name"]
    given.setFocus()
    given.selectAll()
    qtbot.keyClicks(given, "Annie")
    window.show_screen("caseload")
    caseload.table.selectRow(2)  # Kozłowski chosen meanwhile
    window.show_screen("person")
    qtbot.wait(200)
    assert record.person_id == landing.ids["Kowalczyk"] and given.text() == "Annie"
    assert "What you typed here is kept" in record.message.text()

    landing.dialogs.answers = [False]  # Enter on Kozłowski: "Leave them?" - no
    caseload.person_opened.emit(landing.ids["Kozłowski"])
    assert landing.dialogs.shown[-1][1] == "Details not saved"
    assert record.person_id == landing.ids["Kowalczyk"] and given.text() == "Annie"
    landing.dialogs.answers = [False]  # "New person" - no
    record.new_button.click()
    assert record.person_id == landing.ids["Kowalczyk"] and given.text() == "Annie"

    landing.dialogs.answers = [True]
    caseload.person_opened.emit(landing.ids["Kozłowski"])
    qtbot.waitUntil(lambda: record.person_id == landing.ids["Kozłowski"], timeout=5000)


@pytest.mark.hazard("H-016")
def test_details_typed_stay_when_a_contact_is_added_and_then_save(qtbot,
                                                                  landing: Landing) -> None:
    window, record = landing.window, landing.people.person_screen
    choose_first_row(qtbot, landing.people.caseload_screen)  # Kowalczyk
    window.show_screen("person")
    person_id = landing.ids["Kowalczyk"]
    qtbot.waitUntil(lambda: record.person_id == person_id, timeout=5000)
    phone = record.form.fields["phone"]
    phone.setFocus()
    qtbot.keyClicks(phone, "0116 496 0001")
    uow = landing.session.uow
    landing.executor.call(contacts.add_contact, uow, person_id, contacts.ContactInput(
        kind="next_of_kin", name="Ewa Kowalczyk", relationship="Daughter"))
    # What the Contacts tab does once its dialog has saved.
    record.contacts.record_changed.emit(landing.executor.call(load_record, uow, person_id))
    assert phone.text() == "0116 496 0001"  # kept
    assert [c.name for c in record.contacts.rows] == ["Ewa Kowalczyk"]
    record.save_button.click()
    qtbot.waitUntil(lambda: not record.has_unsaved_changes(), timeout=5000)
    stored = landing.executor.call(people.open_person, uow, person_id)
    assert stored.phone == "0116 496 0001"


@pytest.mark.hazard("H-015")
def test_the_person_record_opens_on_the_person_just_delegated(qtbot, landing: Landing) -> None:
    window, record = landing.window, landing.people.person_screen
    choose_first_row(qtbot, landing.people.caseload_screen)  # Kowalczyk
    window.show_screen("person")
    qtbot.waitUntil(lambda: record.person_id == landing.ids["Kowalczyk"], timeout=5000)
    window.show_screen("delegations")
    # The wizard for Kozłowski has just recorded its decision.
    wizards = landing.delegations.wizards
    wizards.wizard = SimpleNamespace(  # type: ignore[assignment]
        context=SimpleNamespace(person_id=landing.ids["Kozłowski"]))
    wizards.decision_recorded.emit(delegation.Decision(
        "case-1", "DELEGATED_HEALTH_FUNDED", "Delegated", (), (), "2026.2", 1, None))
    wizards.wizard = None
    assert landing.dialogs.shown[-1][1] == "Delegation recorded"
    window.show_screen("person")
    qtbot.waitUntil(lambda: record.person_id == landing.ids["Kozłowski"], timeout=5000)


# ---------------------------------------------------------------- Delegations


@pytest.mark.hazard("H-015")
def test_delegations_starts_on_the_person_chosen_on_the_caseload(qtbot,
                                                                 landing: Landing) -> None:
    window, panel = landing.window, landing.delegations.start_screen
    table = landing.people.caseload_screen.table
    table.setFocus()
    qtbot.keyClick(table, Qt.Key.Key_Down)  # Kowalski
    qtbot.keyClick(window, Qt.Key.Key_2, Qt.KeyboardModifier.ControlModifier)
    assert window.stack.currentWidget() is panel
    assert panel.nhs_edit.text() == format_nhs_number(synthetic_nhs_number(2))
    assert panel.person_label.text().startswith("Kowalski, Anna, chosen on the caseload")
    # Another number typed: the name goes (it is no longer theirs), and a later choice on
    # the caseload does not type over what the nurse typed.
    panel.nhs_edit.setFocus()
    panel.nhs_edit.selectAll()
    qtbot.keyClicks(panel.nhs_edit, "999")
    assert panel.person_label.text() == ""
    window.show_screen("caseload")
    qtbot.keyClick(table, Qt.Key.Key_Down)
    assert panel.nhs_edit.text() == "999" and panel.person_label.text() == ""


@pytest.mark.hazard("H-015")
def test_a_search_of_several_chooses_nobody_one_of_one_chooses_that_person(
        qtbot, landing: Landing) -> None:
    """Among several, the list's order never chooses the person a delegation starts for;
    a search that finds one person does."""
    window, panel = landing.window, landing.delegations.start_screen
    caseload = landing.people.caseload_screen
    assert caseload.model.rowCount() > 1 and caseload.picked_id() is None
    window.show_screen("delegations")
    assert panel.nhs_edit.text() == "" and panel.person_label.text() == ""
    window.show_screen("caseload")
    caseload.search_edit.setText("Kozłowski")
    caseload.search_now()
    qtbot.waitUntil(lambda: caseload.picked_id() == landing.ids["Kozłowski"], timeout=5000)
    window.show_screen("delegations")
    assert panel.person_label.text().startswith("Kozłowski")


# ---------------------------------------------------------------- resuming a draft


def _draft(landing: Landing, family: str, days_old: int) -> str:
    flow, catalogue = load_flow(), load_catalogue()
    answers = {"S1": {"task_code": "eye_drops", "referred_by": "District nurse",
                      "is_health_need": True}}
    case_id = landing.executor.call(delegation.save_draft, landing.session.uow,
                                    landing.ids[family], None, answers, "S2", flow, catalogue)

    def backdate() -> None:
        started = dt.datetime.now(dt.UTC) - dt.timedelta(days=days_old)
        with landing.session.engine.begin() as conn:  # as if started that long ago
            conn.execute(text("UPDATE delegation_case SET created_at = :at WHERE id = :id"),
                         {"at": started.strftime("%Y-%m-%d %H:%M:%S.%f"), "id": case_id})
    landing.executor.call(backdate)
    return case_id


def test_the_resume_question_says_whose_draft_and_how_old_and_not_now_sticks(
        qtbot, landing: Landing) -> None:
    _draft(landing, "Kowalski", days_old=3)
    dialogs = landing.dialogs
    dialogs.choices = [1]  # "Not now"
    landing.delegations.offer_resume()
    qtbot.waitUntil(lambda: any(kind == "choose" for kind, _t, _x in dialogs.shown),
                    timeout=5000)
    [(_kind, title, question)] = [s for s in dialogs.shown if s[0] == "choose"]
    assert title == "Resume delegation"
    assert "unfinished delegation for Anna Kowalski" in question
    assert "started 3 days ago and last changed today at " in question
    assert "“Not now” will not ask about it again" in question
    landing.delegations.refresh_drafts()  # the Delegations screen says when it was started
    started = landing.delegations.start_screen.drafts
    qtbot.waitUntil(lambda: started.rowCount() == 1, timeout=5000)
    three_days = dt.date.today() - dt.timedelta(days=3)
    assert started.item(0, 3).text() == three_days.strftime("%d/%m/%Y")
    assert started.horizontalHeaderItem(3).text() == "Started"

    landing.delegations.offer_resume()  # signing in again while the app runs
    qtbot.wait(300)
    assert [s for s in dialogs.shown if s[0] == "choose"] == [(_kind, title, question)]
    assert landing.delegations.wizards.wizard is None

    # "Resume now" opens the wizard where the draft stopped.
    landing.delegations.not_now.clear()
    dialogs.choices = [0]
    with qtbot.waitSignal(landing.delegations.wizards.wizard_opened, timeout=10000) as opened:
        landing.delegations.offer_resume()
    wizard = opened.args[0]
    qtbot.addWidget(wizard)
    assert wizard.current_step() == "S2"
    wizard.close()


# ---------------------------------------------------------------- keyboard


def mnemonics(widget: QWidget) -> list[str]:
    """The Alt+letter of every visible label (with a buddy) and button under ``widget``."""
    letters = []
    for child in widget.findChildren(QWidget):
        if not child.isVisibleTo(widget):
            continue
        if isinstance(child, QLabel) and child.buddy() is None:
            continue
        if isinstance(child, QLabel | QAbstractButton):
            found = re.search(r"&([^&\s])", child.text())
            if found:
                letters.append(found.group(1).lower())
    return letters


def test_each_screen_gives_each_alt_letter_once(qtbot, landing: Landing) -> None:
    """Two controls with one Alt letter on a screen make Alt cycle between them instead of
    acting (the caseload's Team and Status, the person record's NHS number and
    communication needs, New person and Add to caseload were such pairs)."""
    record = landing.people.person_screen
    choose_first_row(qtbot, landing.people.caseload_screen)
    for key in ("caseload", "delegations", "person"):
        landing.window.show_screen(key)
        if key == "person":
            qtbot.waitUntil(lambda: record.person_id is not None, timeout=5000)
        letters = mnemonics(landing.window)
        assert len(letters) > 3
        assert sorted(letters) == sorted(set(letters)), (key, letters)
    record.new_button.click()
    letters = mnemonics(landing.window)
    assert sorted(letters) == sorted(set(letters)), letters


def test_down_in_the_search_box_goes_to_the_people_found(qtbot, landing: Landing) -> None:
    caseload = landing.people.caseload_screen
    caseload.focus_search()
    qtbot.waitUntil(caseload.search_edit.hasFocus, timeout=2000)
    qtbot.keyClick(caseload.search_edit, Qt.Key.Key_Down)
    qtbot.waitUntil(caseload.table.hasFocus, timeout=2000)
    assert caseload.table.currentIndex().row() == 0
