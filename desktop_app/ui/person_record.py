"""The person record: details with validation, and everything recorded about them.

Saving calls back with a ``PersonInput``; a ValidationError comes back naming the field,
which is highlighted and focused while everything typed stays. "Start delegation" opens the
wizard for this person. The Delegations tab (``ui.delegation_history``) shows each
delegation with its history and, for a role given the actions, ends a running one.

Which person the screen opens on is the people controller's choice (the one chosen on the
caseload, or the last one opened or delegated); the screen says when it is shown
(``shown``) and whether it holds typing not yet saved (``has_unsaved_changes``), which is
never replaced without asking. "New person" is the way to a blank form; it can be filled in
from a caseload search (``new_person(hint)``).

"Export shared care record…" (Alt+X; offered once ``set_export`` gives it the work, to a
role that may export) saves the person's record as a FHIR Bundle where the user chooses
(``services.people.fhir_export``). The save dialog opens on the Documents folder with the
name ``export_file_name`` gives: the NHS number is in it because the user asked for this
person's record in a file, but the app keeps neither the name nor the folder in its settings
(Qt's own save dialog remembers the folders it visited, never a file's name, as for every
export).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from pathlib import Path

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFileDialog,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QScrollArea,
    QTableWidget,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.framework.identifiers import format_nhs_number
from desktop_app.services.people import EQUALITY_FIELDS, PersonInput, PersonView
from desktop_app.services.people.caseload import NewPersonHint
from desktop_app.services.people.fhir_export import ExportResult
from desktop_app.services.people.record import PersonRecord
from desktop_app.ui.contacts import ContactsPanel
from desktop_app.ui.delegation_history import DelegationsPanel
from desktop_app.ui.forms import DateLine
from desktop_app.ui.pdf_preview import documents_folder, safe_file_name
from desktop_app.ui.person_centred import PersonCentredTabs
from desktop_app.ui.plans import SupportPlansPanel
from desktop_app.ui.tables import fill_table, read_only_table
from desktop_app.ui.tables import uk_date as _d
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Line, Para

PREFER_NOT = "prefer_not_to_say"
TEXT_FIELDS = [
    ("nhs_number", "&NHS number:", "e.g. 943 476 5919"),
    ("given_name", "&Given name:", ""),
    ("family_name", "&Family name:", ""),
    ("preferred_name", "Prefe&rred name:", "optional"),
    ("address_line1", "&Address:", ""),
    ("address_line2", "Address line &2:", "optional"),
    ("town", "&Town:", ""),
    ("postcode", "&Postcode:", "e.g. LE1 5WW"),
    ("phone", "P&hone:", "optional"),
    ("gp_practice_code", "GP practice &code:", "optional"),
    ("gp_practice_name", "GP practice na&me:", "optional"),
    ("team", "T&eam / locality:", "e.g. City North"),
]
EQUALITY_LABELS = {
    "eq_disability": "Disability", "eq_gender_reassignment": "Gender reassignment",
    "eq_marriage_civil_partnership": "Marriage or civil partnership",
    "eq_pregnancy_maternity": "Pregnancy or maternity", "eq_ethnicity": "Ethnicity",
    "eq_religion_belief": "Religion or belief", "eq_sex": "Sex",
    "eq_sexual_orientation": "Sexual orientation",
}
ERROR_STYLE = "border: 2px solid #a00000;"
# Run off the GUI thread: export the person's (id) shared care record to the file chosen.
ExportRecord = Callable[[str, Path], ExportResult]


def export_file_name(nhs_number: str, day: dt.date) -> str:
    """The name the save dialog suggests: "shared-care-record-9434765919-2027-03-10.json"."""
    digits = "".join(nhs_number.split())
    return safe_file_name(f"shared-care-record-{digits}-{day.isoformat()}.json")


class PersonForm(QWidget):
    """The person's details; reads into a PersonInput and shows field errors."""

    def __init__(self) -> None:
        super().__init__()
        self.fields: dict[str, Line] = {}
        form = QFormLayout(self)
        for name, label, placeholder in TEXT_FIELDS:
            field = Line(label.replace("&", "").rstrip(":"), placeholder)
            self.fields[name] = field
            form.addRow(self.tr(label), field)
            if name == "family_name":
                self.date_of_birth = DateLine(self.tr("Date of birth"), field="date_of_birth")
                form.addRow(self.tr("Date of &birth:"), self.date_of_birth)
        self.open_to_chs = QCheckBox(self.tr("&Open to community health services"))
        self.open_to_chs.setAccessibleName(self.tr("Open to community health services"))
        form.addRow("", self.open_to_chs)
        self.communication = Para(self.tr("Communication needs"), self.tr("optional"), lines=2)
        form.addRow(self.tr("Comm&unication needs:"), self.communication)
        form.addRow(self._equality_box())

    def _equality_box(self) -> QGroupBox:
        box = QGroupBox(self.tr("Equality monitoring (optional for the person)"))
        layout = QFormLayout(box)
        self.equality: dict[str, QComboBox] = {}
        for name in EQUALITY_FIELDS:
            combo = QComboBox()
            combo.setEditable(True)
            combo.setAccessibleName(EQUALITY_LABELS[name])
            combo.addItem(self.tr("Not recorded"), None)
            combo.addItem(self.tr("Prefer not to say"), PREFER_NOT)
            self.equality[name] = combo
            layout.addRow(self.tr(EQUALITY_LABELS[name]) + ":", combo)
        return box

    def _equality_value(self, combo: QComboBox) -> str | None:
        text = combo.currentText().strip()
        index = combo.findText(text)
        if index >= 0 and combo.itemData(index) is not None:
            return str(combo.itemData(index))
        if not text or index == 0:
            return None
        return text

    def value(self) -> PersonInput:
        """The form as typed (checking is the service's job; a date of birth that is not a
        date is refused here, naming the field)."""
        texts = {name: field.text() for name, field in self.fields.items()}
        dob = self.date_of_birth.value()
        return PersonInput(
            nhs_number=texts["nhs_number"], given_name=texts["given_name"],
            family_name=texts["family_name"],
            date_of_birth=dob,
            address_line1=texts["address_line1"], town=texts["town"],
            postcode=texts["postcode"], team=texts["team"],
            preferred_name=texts["preferred_name"] or None, phone=texts["phone"] or None,
            address_line2=texts["address_line2"] or None,
            gp_practice_code=texts["gp_practice_code"] or None,
            gp_practice_name=texts["gp_practice_name"] or None,
            open_to_community_health=self.open_to_chs.isChecked(),
            communication_needs=self.communication.value(),
            **{name: self._equality_value(c) for name, c in self.equality.items()})

    def load(self, person: PersonView) -> None:
        """Show a saved person."""
        for name, field in self.fields.items():
            value = getattr(person, name, None)
            field.setText(person.nhs_number_display if name == "nhs_number" else value or "")
        born = person.date_of_birth  # always there once saved (the service requires it)
        self.date_of_birth.set_value(born)
        self.open_to_chs.setChecked(bool(person.open_to_community_health))
        self.communication.set_value(person.communication_needs)
        for name, combo in self.equality.items():
            value = getattr(person, name)
            index = combo.findData(value) if value in (None, PREFER_NOT) else -1
            if index >= 0:
                combo.setCurrentIndex(index)
            else:
                combo.setEditText(value or "")

    def load_blank(self) -> None:
        """Clear every field for a new person."""
        for field in self.fields.values():
            field.clear()
        self.date_of_birth.set_value(None)
        self.open_to_chs.setChecked(False)
        self.communication.set_value(None)
        for combo in self.equality.values():
            combo.setCurrentIndex(0)
        self.show_error(None)

    def typed(self) -> tuple[object, ...]:
        """Everything in the form as shown, to tell whether anything was typed since."""
        return (*(f.text() for f in self.fields.values()), self.date_of_birth.text(),
                self.open_to_chs.isChecked(), self.communication.toPlainText(),
                *(c.currentText() for c in self.equality.values()))

    def fill(self, hint: NewPersonHint) -> None:
        """Fill in what a caseload search knew of a new person."""
        for name, value in (("nhs_number", format_nhs_number(hint.nhs_number)),
                            ("given_name", hint.given_name),
                            ("family_name", hint.family_name), ("postcode", hint.postcode)):
            if value:
                self.fields[name].setText(value)

    def set_read_only(self) -> None:
        """For a role that may read but not change people: text can still be selected."""
        for field in self.fields.values():
            field.setReadOnly(True)
        self.communication.setReadOnly(True)
        for widget in [self.date_of_birth, self.open_to_chs, *self.equality.values()]:
            widget.setEnabled(False)

    def show_error(self, field: str | None) -> None:
        """Highlight and focus the field a ValidationError names."""
        for widget in [*self.fields.values(), self.date_of_birth]:
            widget.setStyleSheet("")
        target = self.fields.get(field or "") or (
            self.date_of_birth if field == "date_of_birth" else None)
        if target is not None:
            target.setStyleSheet(ERROR_STYLE)
            target.setFocus()


def _table(headers: list[str], rows: list[list[str]], name: str) -> QTableWidget:
    table = read_only_table(headers, name)
    fill_table(table, rows, select_first=False)
    return table


class PersonRecordWidget(QWidget):
    """A person's details (editable) and their contacts, delegations, plans and reviews."""

    start_delegation_requested = Signal(str)  # person id
    shown = Signal()  # brought to the front (not by the window system)
    new_person_started = Signal()  # the nurse asked for a blank form

    def __init__(self, save: Callable[[str | None, PersonInput, int], None] | None,
                 contacts: ContactsPanel | None = None, can_delegate: bool = True) -> None:
        super().__init__()
        self._save = save
        self._can_delegate = can_delegate
        self.contacts = contacts or ContactsPanel(None, None, None)
        self.contacts.record_changed.connect(self.show_record)
        self.delegations = DelegationsPanel()
        self.delegations.record_changed.connect(self.show_record)
        self.plans = SupportPlansPanel()
        # What matters, signposting, partners' assessments, eligibility (ui.person_centred).
        self.person_centred = PersonCentredTabs()
        self.person_centred.record_changed.connect(self.show_record)
        self.person_id: str | None = None
        self.version = 0
        self._loaded: tuple[object, ...] = ()  # the form as last loaded or saved
        # Asked before "New person" leaves typing not yet saved (None: never asked).
        self.confirm_discard: Callable[[], bool] | None = None
        self.heading = QLabel()
        self.heading.setAccessibleName(self.tr("Person"))
        self.form = PersonForm()
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Message"))
        self.save_button = QPushButton(self.tr("&Save details"))
        self.save_button.clicked.connect(self._on_save_button_clicked)
        self.start_button = QPushButton(self.tr("Start &delegation"))
        self.start_button.clicked.connect(
            lambda _checked=False: self.start_delegation_requested.emit(self.person_id or ""))
        self._export_work: tuple[Run, ExportRecord] | None = None
        self._today: Callable[[], dt.date] = dt.date.today
        self._nhs_number = ""
        self.export_button = QPushButton(self.tr("E&xport shared care record…"))
        self.export_button.setAccessibleName(self.tr("Export shared care record"))
        self.export_button.setToolTip(self.tr(
            "Save this person's record as a FHIR file for the GP practice's or the community "
            "team's system (Alt+X)"))
        self.export_button.setAccessibleDescription(self.export_button.toolTip())
        self.export_button.clicked.connect(lambda _checked=False: self.export_record())
        self.export_button.setVisible(False)
        # Replaceable, so tests answer the save dialog without opening one.
        self.choose_export_file: Callable[[str], str | None] = self._ask_for_export_file
        scroll = QScrollArea()
        scroll.setWidgetResizable(True)
        scroll.setWidget(self.form)
        self.tabs = QTabWidget()
        self.tabs.setAccessibleName(self.tr("Records about the person"))
        self.tabs.addTab(scroll, self.tr("Details"))
        self.new_button = QPushButton(self.tr("Ne&w person"))
        self.new_button.setAccessibleName(self.tr("New person: a blank form"))
        self.new_button.clicked.connect(self._on_new_button_clicked)
        buttons = QHBoxLayout()
        buttons.addWidget(self.message, 1)
        buttons.addWidget(self.new_button)
        buttons.addWidget(self.save_button)
        buttons.addWidget(self.export_button)
        buttons.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.heading)
        layout.addWidget(self.tabs, 1)
        layout.addLayout(buttons)
        self.new_person()
        self._apply_role(save is not None)

    def _apply_role(self, can_edit: bool) -> None:
        """Hide what this role cannot do (the services refuse it anyway)."""
        self.start_button.setVisible(self._can_delegate)
        self.save_button.setVisible(can_edit)
        self.new_button.setVisible(can_edit)
        if not can_edit:
            self.form.set_read_only()
            self.message.setText(self.tr("You can read this record; your role cannot change it."))

    def new_person(self, hint: NewPersonHint | None = None) -> None:
        """An empty form for adding someone to the caseload, with what a caseload search
        knew of them (``hint``) filled in, for the nurse to check."""
        self.person_id, self.version = None, 0
        self.heading.setText(f"<h2>{self.tr('New person')}</h2>")
        self.start_button.setEnabled(False)
        self.export_button.setEnabled(False)
        self._nhs_number = ""
        self.save_button.setText(self.tr("Add to case&load"))
        self.form.load_blank()
        self._loaded = self.form.typed()
        while self.tabs.count() > 1:
            self.tabs.removeTab(1)
        self.tabs.setCurrentIndex(0)
        if hint is not None and any((hint.nhs_number, hint.given_name, hint.family_name,
                                     hint.postcode)):
            self.form.fill(hint)
            if self._save is not None:
                self.message.setText(self.tr(
                    "Filled in from your search: check it, then add the rest of the "
                    "person's details."))
        elif self._save is not None:
            self.message.setText("")

    def focus_first_empty(self) -> None:
        """Put the cursor in the first detail still to fill in."""
        first_empty = next((f for f in self.form.fields.values() if not f.text()), None)
        if first_empty is not None:
            self.tabs.setCurrentIndex(0)
            first_empty.setFocus(Qt.FocusReason.OtherFocusReason)

    def has_unsaved_changes(self) -> bool:
        """Whether the details form holds typing that was not saved."""
        return self._save is not None and self.form.typed() != self._loaded

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not event.spontaneous():
            self.shown.emit()

    def _on_new_button_clicked(self) -> None:
        if self.has_unsaved_changes() and self.confirm_discard is not None \
                and not self.confirm_discard():
            return
        self.new_person()
        self.new_person_started.emit()
        self.focus_first_empty()

    def show_record(self, record: PersonRecord, saved: bool = False) -> None:
        """Show a saved person and their lists (the same person's record again, after a
        change on one of its tabs, stays on that tab, and keeps details typed on the
        Details tab but not saved yet; ``saved``: the details were just saved, show them
        as stored)."""
        person = record.person
        same = person.id == self.person_id
        shown = self.tabs.currentWidget() if same else None
        keep_typing = same and not saved and self.has_unsaved_changes()
        self.person_id = person.id
        if not keep_typing:  # else the save sends the version the typing started from
            self.version = person.version
        self.heading.setText(f"<h2>{escape_text(person.full_name)}</h2>NHS number "
                             f"<b>{person.nhs_number_display}</b> · born "
                             f"<b>{_d(person.date_of_birth)}</b> · {escape_text(person.team)}")
        if not keep_typing:
            self.form.load(person)
            self._loaded = self.form.typed()
        self.start_button.setEnabled(True)
        self.export_button.setEnabled(True)
        self._nhs_number = person.nhs_number
        self.save_button.setText(self.tr("&Save details"))
        if self._save is not None and not keep_typing:
            self.message.setText("")
        while self.tabs.count() > 1:
            self.tabs.removeTab(1)
        self._add_tabs(record)
        if shown is not None and self.tabs.indexOf(shown) >= 0:
            self.tabs.setCurrentWidget(shown)

    def _add_tabs(self, record: PersonRecord) -> None:
        tr = self.tr
        centred = self.person_centred
        centred.show_record(record)
        self.tabs.addTab(centred.what_matters, tr("What matters"))
        self.contacts.show_contacts(record.person.id, record.person.full_name, record.contacts)
        self.tabs.addTab(self.contacts, tr("Contacts"))
        self.delegations.show_delegations(record)
        self.tabs.addTab(self.delegations, tr("Delegations"))
        self.plans.show_plans(record.plans)
        self.tabs.addTab(self.plans, tr("Support plans"))
        self.tabs.addTab(_table([tr("Kind"), tr("Due"), tr("Done"), tr("Outcome")],
                                [[r.kind.replace("_", " "), _d(r.due_on), _d(r.done_on),
                                  r.outcome or ""] for r in record.reviews],
                                tr("Reviews")), tr("Reviews"))
        self.tabs.addTab(_table([tr("Consent"), tr("Recorded"), tr("Decided by"), tr("Name")],
                                [[c.status, _d(c.recorded_on), c.given_by_kind.replace("_", " "),
                                  c.given_by_name] for c in record.consents],
                                tr("Consent")), tr("Consent"))
        self.tabs.addTab(centred.signposting, tr("Signposting"))
        self.tabs.addTab(centred.assessments, tr("Assessments"))
        self.tabs.addTab(centred.eligibility, tr("Eligibility"))

    def _on_save_button_clicked(self) -> None:
        if self._save is None:
            return
        try:
            typed = self.form.value()
        except ValidationError as problem:
            self.show_error(problem.message, problem.field)
            return
        self.message.setText(self.tr("Saving…"))
        self._save(self.person_id, typed, self.version)

    def show_error(self, message: str, field: str | None) -> None:
        """A save was refused: say why, highlight the field, keep the typing."""
        self.message.setText(f"<span style='color:#a00000'><b>{escape_text(message)}</b></span>")
        self.form.show_error(field)

    # ------------------------------------------------------------ exporting the record

    def set_export(self, run: Run, export: ExportRecord,
                   today: Callable[[], dt.date] = dt.date.today) -> None:
        """Offer "Export shared care record…": ``export`` runs through ``run`` (on the
        database thread) and returns what was written."""
        self._export_work, self._today = (run, export), today
        self.export_button.setVisible(True)

    def can_export(self) -> bool:
        """Whether this record was given the export (the role may export)."""
        return self._export_work is not None

    def _ask_for_export_file(self, suggested: str) -> str | None:
        path, _filter = QFileDialog.getSaveFileName(
            self, self.tr("Export shared care record"), suggested,
            self.tr("FHIR JSON files (*.json)"))
        return path or None

    def export_record(self) -> None:
        """Ask where to save the shown person's shared care record, then save it there
        (off the GUI thread) and say where it went, or plainly why it could not be saved."""
        work, person_id = self._export_work, self.person_id
        if work is None or person_id is None or not self.export_button.isEnabled():
            return
        suggested = documents_folder() / export_file_name(self._nhs_number, self._today())
        chosen = self.choose_export_file(str(suggested))
        if not chosen:
            return
        run, export = work
        target = Path(chosen)
        self.export_button.setEnabled(False)  # one export at a time
        self.message.setText(self.tr("Saving the shared care record…"))
        run(lambda: export(person_id, target), self._on_exported, self._on_export_failed)

    def _on_exported(self, result: ExportResult) -> None:
        self.export_button.setEnabled(self.person_id is not None)
        count = (self.tr("1 resource") if result.total == 1
                 else self.tr("%s resources") % result.total)
        self.message.setText(escape_text(self.tr("Shared care record saved to %s (%s).")
                                         % (result.path, count)))

    def _on_export_failed(self, error: ExpectedError) -> None:
        self.export_button.setEnabled(self.person_id is not None)
        self.message.setText(
            f"<span style='color:#a00000'><b>{escape_text(error.message)}</b></span>")
