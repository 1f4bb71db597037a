"""Contacts on the person record (``ui.contacts`` inside ``ui.person_record``), driven as a
nurse would, on a real vault.

``run`` calls the work at once, as ``TaskRunner.run`` does later on the GUI thread: an
expected error goes to ``failed`` when given (else it is raised, as the app's standard
handler would show it). ``save`` and ``remove`` mirror ``app._contacts_panel``: they call
``services.contacts`` and return the refreshed ``PersonRecord``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractSpinBox,
    QCheckBox,
    QComboBox,
    QDialogButtonBox,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop_app.services import people
from desktop_app.services.people import contacts
from desktop_app.services.people.contacts import ContactInput
from desktop_app.services.people.record import load_record
from desktop_app.services.vault import VaultSession
from desktop_app.ui.contacts import ERROR_STYLE, ContactDialog, ContactsPanel
from desktop_app.ui.person_record import PersonRecordWidget
from tests.support import as_role, person_values, run_now

REGISTERED = dt.date(2021, 6, 14)
HW_LABEL = "Attorney (health and welfare LPA)"


run = run_now  # the task runner, done at once


def services(uow: Any) -> tuple[Callable[..., Any], Callable[..., Any]]:
    """(save, remove) as the app builds them for the panel."""

    def save(person_id: str, contact_id: str | None, data: ContactInput, version: int) -> Any:
        if contact_id is None:
            contacts.add_contact(uow, person_id, data)
        else:
            contacts.update_contact(uow, contact_id, data, version)
        return load_record(uow, person_id)

    def remove(person_id: str, contact_id: str) -> Any:
        contacts.remove_contact(uow, contact_id)
        return load_record(uow, person_id)

    return save, remove


class Confirm:
    """The "are you sure" question, answered in advance; remembers what it was asked."""

    def __init__(self, answer: bool) -> None:
        self.answer = answer
        self.asked: list[str] = []

    def __call__(self, text: str) -> bool:
        self.asked.append(text)
        return self.answer


@pytest.fixture
def person_id(vault: VaultSession) -> str:
    return people.create_person(vault.uow, people.PersonInput(**person_values(11))).id


def record_screen(qtbot: Any, vault: VaultSession, person_id: str, uow: Any = None,
                  confirm: Any = None) -> tuple[PersonRecordWidget, ContactsPanel]:
    """The person record of ``person_id`` with an editing contacts panel, on screen."""
    save, remove = services(uow or vault.uow)
    panel = ContactsPanel(run, save, remove, confirm)
    widget = PersonRecordWidget(lambda *a: None, panel, True)
    qtbot.addWidget(widget)
    widget.show_record(load_record(vault.uow, person_id))
    widget.show()
    widget.tabs.setCurrentWidget(panel)
    qtbot.waitExposed(widget)
    return widget, panel


def table_texts(panel: ContactsPanel) -> list[list[str]]:
    table = panel.table
    return [[table.item(r, c).text() for c in range(table.columnCount())]
            for r in range(table.rowCount())]


def click(qtbot: Any, widget: QWidget) -> None:
    qtbot.mouseClick(widget, Qt.MouseButton.LeftButton)


def save_button(dialog: ContactDialog) -> QWidget:
    return dialog.buttons.button(QDialogButtonBox.StandardButton.Save)


def choose_kind(qtbot: Any, dialog: ContactDialog, label: str) -> None:
    """Arrow through the "who" list until ``label`` is chosen, as from the keyboard."""
    combo = dialog.kind
    combo.setFocus()
    qtbot.keyClick(combo, Qt.Key.Key_Home)
    for _ in range(combo.count()):
        if combo.currentText() == label:
            return
        qtbot.keyClick(combo, Qt.Key.Key_Down)
    assert combo.currentText() == label


def retype(qtbot: Any, field: QLineEdit, text: str) -> None:
    field.setFocus()
    field.selectAll()
    qtbot.keyClick(field, Qt.Key.Key_Delete)
    qtbot.keyClicks(field, text)


def add_daughter(vault: VaultSession, person_id: str, **overrides: Any) -> str:
    values: dict[str, Any] = {"kind": "next_of_kin", "name": "Mary Testperson",
                              "relationship": "Daughter", "phone": "0116 496 0000"}
    values.update(overrides)
    return contacts.add_contact(vault.uow, person_id, ContactInput(**values))


def stored_names(vault: VaultSession, person_id: str) -> list[str]:
    return [c.name for c in load_record(vault.uow, person_id).contacts]


# ---------------------------------------------------------------- adding


def test_a_nurse_adds_a_health_and_welfare_attorney(qtbot: Any, vault: VaultSession,
                                                    person_id: str) -> None:
    _, panel = record_screen(qtbot, vault, person_id)
    assert panel.table.rowCount() == 0 and not panel.edit_button.isEnabled()
    click(qtbot, panel.add_button)
    dialog = panel.dialog
    assert dialog is not None and dialog.isVisible()
    assert dialog.windowTitle() == "Add contact"
    choose_kind(qtbot, dialog, HW_LABEL)
    qtbot.keyClicks(dialog.name, "Peter Example")
    qtbot.keyClicks(dialog.relationship, "Son")
    qtbot.keyClicks(dialog.reference, "7000-1234-5678")
    qtbot.keyClicks(dialog.registered_on, "14/06/2021")
    click(qtbot, dialog.can_decide)
    assert dialog.can_decide.isChecked()
    click(qtbot, save_button(dialog))

    assert not dialog.isVisible() and panel.dialog is None
    assert table_texts(panel) == [[HW_LABEL, "Peter Example", "Son", "",
                                   "7000-1234-5678 14/06/2021", "Yes"]]
    [saved] = load_record(vault.uow, person_id).contacts
    assert (saved.kind, saved.registered_on, saved.can_decide_health_welfare) == (
        "lpa_health_welfare", REGISTERED, True)
    assert panel.edit_button.isEnabled() and panel.remove_button.isEnabled()


def test_a_refused_save_keeps_the_typing_and_names_the_field(
        qtbot: Any, vault: VaultSession, person_id: str) -> None:
    _, panel = record_screen(qtbot, vault, person_id)
    click(qtbot, panel.add_button)
    dialog = panel.dialog
    assert dialog is not None
    choose_kind(qtbot, dialog, "Next of kin")
    qtbot.keyClicks(dialog.name, "Mary Testperson")
    qtbot.keyClicks(dialog.relationship, "Daughter")
    qtbot.keyClicks(dialog.phone, "abc")
    qtbot.keyClicks(dialog.email, "mary@example.org")
    click(qtbot, save_button(dialog))

    assert "phone number has digits" in dialog.error_label.text()
    assert dialog.phone.styleSheet() == ERROR_STYLE
    assert dialog.name.styleSheet() == ""
    assert dialog.isVisible() and panel.dialog is dialog
    assert (dialog.name.text(), dialog.relationship.text(), dialog.phone.text(),
            dialog.email.text()) == ("Mary Testperson", "Daughter", "abc", "mary@example.org")
    assert dialog.kind.currentText() == "Next of kin"
    assert panel.table.rowCount() == 0 and stored_names(vault, person_id) == []

    retype(qtbot, dialog.phone, "0116 496 0000")
    click(qtbot, save_button(dialog))
    assert not dialog.isVisible() and panel.dialog is None
    assert table_texts(panel) == [["Next of kin", "Mary Testperson", "Daughter",
                                   "0116 496 0000", "", "No"]]


def test_a_refusal_without_a_field_shows_the_message_and_highlights_nothing(
        qtbot: Any, vault: VaultSession, person_id: str) -> None:
    """The services refuse a read-only user even if a screen offered the button."""
    _, panel = record_screen(qtbot, vault, person_id, uow=as_role(vault, "read_only"))
    click(qtbot, panel.add_button)
    dialog = panel.dialog
    assert dialog is not None
    choose_kind(qtbot, dialog, "Other")
    qtbot.keyClicks(dialog.name, "Reverend Green")
    click(qtbot, save_button(dialog))
    assert "read-only" in dialog.error_label.text() and dialog.isVisible()
    assert all(w.styleSheet() == "" for w in dialog.fields.values())
    assert dialog.name.text() == "Reverend Green" and stored_names(vault, person_id) == []


# ---------------------------------------------------------------- editing


def test_double_clicking_a_contact_edits_it(qtbot: Any, vault: VaultSession,
                                            person_id: str) -> None:
    add_daughter(vault, person_id, name="Adam Example", relationship="Neighbour", kind="other")
    add_daughter(vault, person_id)
    _, panel = record_screen(qtbot, vault, person_id)
    assert [row[1] for row in table_texts(panel)] == ["Adam Example", "Mary Testperson"]
    table = panel.table
    item = table.item(1, 1)
    qtbot.mouseClick(table.viewport(), Qt.MouseButton.LeftButton,
                     pos=table.visualItemRect(item).center())
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton,
                      pos=table.visualItemRect(item).center())
    dialog = panel.dialog
    assert dialog is not None and dialog.windowTitle() == "Edit contact"
    assert (dialog.name.text(), dialog.phone.text()) == ("Mary Testperson", "0116 496 0000")
    assert dialog.kind.currentText() == "Next of kin"
    retype(qtbot, dialog.phone, "07700 900123")
    click(qtbot, save_button(dialog))
    assert not dialog.isVisible()
    assert table_texts(panel)[1] == ["Next of kin", "Mary Testperson", "Daughter",
                                     "07700 900123", "", "No"]
    assert table_texts(panel)[0][1:4] == ["Adam Example", "Neighbour", "0116 496 0000"]
    [_, mary] = load_record(vault.uow, person_id).contacts
    assert mary.phone == "07700 900123" and mary.version == 2


def test_the_edit_button_edits_the_selected_contact(qtbot: Any, vault: VaultSession,
                                                    person_id: str) -> None:
    add_daughter(vault, person_id)
    _, panel = record_screen(qtbot, vault, person_id)
    click(qtbot, panel.edit_button)
    dialog = panel.dialog
    assert dialog is not None and dialog.name.text() == "Mary Testperson"
    retype(qtbot, dialog.relationship, "Stepdaughter")
    click(qtbot, save_button(dialog))
    assert table_texts(panel)[0][2] == "Stepdaughter"


@pytest.mark.hazard("H-017")
def test_an_edit_of_a_contact_changed_elsewhere_is_refused(
        qtbot: Any, vault: VaultSession, person_id: str) -> None:
    contact_id = add_daughter(vault, person_id)
    _, panel = record_screen(qtbot, vault, person_id)
    contacts.update_contact(vault.uow, contact_id, ContactInput(
        "next_of_kin", "Mary Testperson", phone="0116 000 1111"), 1)  # a colleague's edit
    click(qtbot, panel.edit_button)
    dialog = panel.dialog
    assert dialog is not None
    retype(qtbot, dialog.relationship, "Stepdaughter")
    click(qtbot, save_button(dialog))
    assert "changed since you opened it" in dialog.error_label.text() and dialog.isVisible()
    assert dialog.relationship.text() == "Stepdaughter"
    assert load_record(vault.uow, person_id).contacts[0].phone == "0116 000 1111"


# ---------------------------------------------------------------- removing


def test_remove_asks_first_and_no_changes_nothing(qtbot: Any, vault: VaultSession,
                                                  person_id: str) -> None:
    add_daughter(vault, person_id)
    confirm = Confirm(False)
    _, panel = record_screen(qtbot, vault, person_id, confirm=confirm)
    click(qtbot, panel.remove_button)
    assert len(confirm.asked) == 1 and "Mary Testperson" in confirm.asked[0]
    assert panel.table.rowCount() == 1
    assert stored_names(vault, person_id) == ["Mary Testperson"]


def test_remove_confirmed_removes_the_contact(qtbot: Any, vault: VaultSession,
                                              person_id: str) -> None:
    add_daughter(vault, person_id, name="Adam Example", kind="other")
    add_daughter(vault, person_id)
    confirm = Confirm(True)
    _, panel = record_screen(qtbot, vault, person_id, confirm=confirm)
    panel.table.selectRow(1)
    click(qtbot, panel.remove_button)
    assert confirm.asked and "Mary Testperson" in confirm.asked[0]
    assert [row[1] for row in table_texts(panel)] == ["Adam Example"]
    assert stored_names(vault, person_id) == ["Adam Example"]


# ---------------------------------------------------------------- the kind of contact


@pytest.mark.hazard("H-007")
def test_next_of_kin_has_no_registration_and_cannot_decide(
        qtbot: Any, vault: VaultSession, person_id: str) -> None:
    _, panel = record_screen(qtbot, vault, person_id)
    click(qtbot, panel.add_button)
    dialog = panel.dialog
    assert dialog is not None
    choose_kind(qtbot, dialog, HW_LABEL)
    assert dialog.reference.isEnabled() and dialog.registered_on.isEnabled()
    assert dialog.can_decide.isEnabled()
    qtbot.keyClicks(dialog.name, "Peter Example")
    qtbot.keyClicks(dialog.reference, "7000-1234-5678")
    qtbot.keyClicks(dialog.registered_on, "14/06/2021")
    click(qtbot, dialog.can_decide)
    assert dialog.value().can_decide_health_welfare is True

    choose_kind(qtbot, dialog, "Next of kin")
    assert not dialog.reference.isEnabled() and not dialog.registered_on.isEnabled()
    assert not dialog.can_decide.isEnabled() and not dialog.can_decide.isChecked()
    value = dialog.value()
    assert value.kind == "next_of_kin" and value.name == "Peter Example"
    assert value.registration_reference is None and value.registered_on is None
    assert value.can_decide_health_welfare is False
    click(qtbot, save_button(dialog))  # the greyed-out text is not sent, so it saves
    assert not dialog.isVisible()
    assert table_texts(panel) == [["Next of kin", "Peter Example", "", "", "", "No"]]


@pytest.mark.hazard("H-007")
def test_a_property_and_finance_attorney_keeps_registration_but_cannot_decide(
        qtbot: Any) -> None:
    dialog = ContactDialog("Edith Testperson")
    qtbot.addWidget(dialog)
    dialog.show()
    choose_kind(qtbot, dialog, "Attorney (property and finance LPA)")
    assert dialog.reference.isEnabled() and dialog.registered_on.isEnabled()
    assert not dialog.can_decide.isEnabled()
    qtbot.keyClicks(dialog.reference, "7000-9")
    assert dialog.value().registration_reference == "7000-9"


# ---------------------------------------------------------------- roles


@pytest.mark.hazard("H-026")
def test_a_read_only_role_sees_contacts_but_cannot_change_them(
        qtbot: Any, vault: VaultSession, person_id: str) -> None:
    add_daughter(vault, person_id)
    panel = ContactsPanel(run, None, None, Confirm(True))
    widget = PersonRecordWidget(None, panel, False)
    qtbot.addWidget(widget)
    widget.show_record(load_record(vault.uow, person_id))
    widget.show()
    widget.tabs.setCurrentWidget(panel)
    qtbot.waitExposed(widget)
    assert table_texts(panel)[0][1] == "Mary Testperson"
    for button in (panel.add_button, panel.edit_button, panel.remove_button,
                   widget.save_button, widget.new_button, widget.start_button):
        assert button.isHidden(), button.text()
    assert all(field.isReadOnly() for field in widget.form.fields.values())
    assert widget.form.communication.isReadOnly()
    assert not widget.form.date_of_birth.isEnabled()
    assert "cannot change" in widget.message.text()
    table = panel.table
    qtbot.mouseDClick(table.viewport(), Qt.MouseButton.LeftButton,
                      pos=table.visualItemRect(table.item(0, 1)).center())
    assert panel.dialog is None and panel.open_dialog(edit=False) is None
    panel.remove_selected()
    assert stored_names(vault, person_id) == ["Mary Testperson"]


def test_an_editor_who_cannot_delegate_has_no_start_button(qtbot: Any) -> None:
    widget = PersonRecordWidget(lambda *a: None, ContactsPanel(run, None, None), False)
    qtbot.addWidget(widget)
    assert widget.start_button.isHidden()
    assert not widget.save_button.isHidden() and not widget.new_button.isHidden()
    assert not widget.form.fields["given_name"].isReadOnly()


def test_an_editor_who_may_delegate_sees_every_button(qtbot: Any, vault: VaultSession,
                                                      person_id: str) -> None:
    widget, panel = record_screen(qtbot, vault, person_id)
    for button in (panel.add_button, panel.edit_button, panel.remove_button,
                   widget.save_button, widget.new_button, widget.start_button):
        assert not button.isHidden(), button.text()



def test_a_panel_that_may_save_but_not_remove_hides_only_remove(qtbot: Any) -> None:
    panel = ContactsPanel(run, lambda *a: None, None)
    qtbot.addWidget(panel)
    assert panel.remove_button.isHidden()
    assert not panel.add_button.isHidden() and not panel.edit_button.isHidden()

# ---------------------------------------------------------------- accessibility


def test_every_input_in_the_contact_dialog_has_an_accessible_name(qtbot: Any) -> None:
    dialog = ContactDialog("Edith Testperson")
    qtbot.addWidget(dialog)
    inputs = [w for w in dialog.findChildren(QWidget)
              if isinstance(w, QLineEdit | QComboBox | QPlainTextEdit | QAbstractSpinBox
                            | QCheckBox)
              and not isinstance(w.parent(), QComboBox | QAbstractSpinBox)]
    assert len(inputs) == 9, [type(w).__name__ for w in inputs]
    unnamed = [type(w).__name__ for w in inputs if not w.accessibleName().strip()]
    assert not unnamed
