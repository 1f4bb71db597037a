"""The person record: validation messages keep the typing; the lists show the history."""

from __future__ import annotations

import datetime as dt
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_app.services import people
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.people.record import load_record
from desktop_app.ui.person_record import PersonRecordWidget
from tests.support import person_values, type_date


def _saving(vault: Any, widget: PersonRecordWidget) -> Any:
    def save(person_id: str | None, data: people.PersonInput, version: int) -> None:
        try:
            view = (people.create_person(vault.uow, data) if person_id is None
                    else people.update_person(vault.uow, person_id, data, version))
        except ValidationError as err:
            widget.show_error(err.message, err.field)
            return
        widget.show_record(load_record(vault.uow, view.id))
    return save


@pytest.mark.hazard("H-021")
def test_a_bad_nhs_number_is_named_and_nothing_typed_is_lost(qtbot, vault) -> None:
    holder: dict[str, PersonRecordWidget] = {}
    widget = PersonRecordWidget(lambda *a: _saving(vault, holder["w"])(*a))
    holder["w"] = widget
    qtbot.addWidget(widget)
    form = widget.form
    qtbot.keyClicks(form.fields["nhs_number"], "999 000 0019")  # wrong check digit
    # QTest can only type ASCII; accented names are pasted as a nurse's keyboard would enter them
    form.fields["given_name"].setText("Zoë")
    form.fields["family_name"].setText("Ní Bhriain")
    type_date(qtbot, form.date_of_birth, "2/1/1940")
    for name, text in (("address_line1", "1 Demo Road"), ("town", "Leicester"),
                       ("postcode", "le1 5ww"), ("team", "City North")):
        qtbot.keyClicks(form.fields[name], text)
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    assert "check digit" in widget.message.text()
    assert form.fields["nhs_number"].hasFocus() or form.fields["nhs_number"].styleSheet()
    assert form.fields["given_name"].text() == "Zoë"  # kept
    form.fields["nhs_number"].setText(person_values(1)["nhs_number"])
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    assert widget.person_id is not None
    from desktop_app.services.framework.identifiers import format_nhs_number
    assert format_nhs_number(person_values(1)["nhs_number"]) in widget.heading.text()
    assert widget.start_button.isEnabled()


@pytest.mark.hazard("H-020")
def test_missing_date_of_birth_is_asked_for(qtbot, vault) -> None:
    holder: dict[str, PersonRecordWidget] = {}
    widget = PersonRecordWidget(lambda *a: _saving(vault, holder["w"])(*a))
    holder["w"] = widget
    qtbot.addWidget(widget)
    widget.form.fields["nhs_number"].setText(person_values(2)["nhs_number"])
    widget.form.fields["given_name"].setText("Edith")
    widget.form.fields["family_name"].setText("Testperson")
    qtbot.mouseClick(widget.save_button, Qt.MouseButton.LeftButton)
    assert "Enter the date of birth" in widget.message.text()


def test_the_record_lists_history_and_equality_answers_round_trip(qtbot, vault) -> None:
    values = person_values(5, eq_religion_belief="prefer_not_to_say", eq_sex="Female")
    person = people.create_person(vault.uow, people.PersonInput(**values))
    widget = PersonRecordWidget(lambda *a: None)
    qtbot.addWidget(widget)
    widget.show_record(load_record(vault.uow, person.id))
    titles = [widget.tabs.tabText(i) for i in range(widget.tabs.count())]
    assert titles == ["Details", "What matters", "Contacts", "Delegations", "Support plans",
                      "Reviews", "Consent", "Signposting", "Assessments", "Eligibility"]
    data = widget.form.value()
    assert data.eq_religion_belief == "prefer_not_to_say"
    assert data.eq_sex == "Female"
    assert data.eq_disability is None
    assert data.date_of_birth == dt.date(1938, 5, 17)
    with qtbot.waitSignal(widget.start_delegation_requested) as started:
        qtbot.mouseClick(widget.start_button, Qt.MouseButton.LeftButton)
    assert started.args == [person.id]


def test_every_input_has_an_accessible_name(qtbot) -> None:
    from PySide6.QtWidgets import QAbstractSpinBox, QComboBox, QLineEdit, QPlainTextEdit
    widget = PersonRecordWidget(lambda *a: None)
    qtbot.addWidget(widget)
    for child in widget.findChildren(QLineEdit) + widget.findChildren(QComboBox) + \
            widget.findChildren(QPlainTextEdit):
        if isinstance(child.parent(), QComboBox | QAbstractSpinBox):
            continue  # a combo's or date box's own line edit is named by its owner
        assert child.accessibleName(), type(child).__name__
