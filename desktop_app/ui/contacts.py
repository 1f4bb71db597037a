"""Adding and editing a person's contacts: next of kin, attorneys (LPA), deputies, others.

The dialog emits ``contact_entered`` with a ``ContactInput``; the caller saves it off the
GUI thread and closes the dialog only when the save succeeded. A refusal comes back through
``show_error``, which names the field, highlights it and keeps everything typed.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.people.contacts import (
    DECIDER_KINDS,
    KIND_LABELS,
    REGISTERED_KINDS,
    ContactInput,
)
from desktop_app.services.people.record import ContactRow, PersonRecord
from desktop_app.ui.forms import DateLine
from desktop_app.ui.tables import fill_table, read_only_table, uk_date
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Choice, Line, Para

# save(person_id, contact_id or None for a new one, data, version) and
# remove(person_id, contact_id): both return the person's refreshed record.
SaveContact = Callable[[str, str | None, ContactInput, int], PersonRecord]
RemoveContact = Callable[[str, str], PersonRecord]
ERROR_STYLE = "border: 2px solid #a00000;"


class ContactDialog(QDialog):
    """One contact's details, new or to edit."""

    contact_entered = Signal(object)  # ContactInput

    def __init__(self, person_name: str, contact: ContactRow | None = None,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.setWindowTitle(tr("Edit contact") if contact else tr("Add contact"))
        self.kind = Choice(tr("Who the contact is"),
                           [(k, tr(label)) for k, label in KIND_LABELS.items()])
        self.name = Line(tr("Contact's name"))
        self.relationship = Line(tr("Relationship to the person"), tr("e.g. daughter"))
        self.phone = Line(tr("Contact's phone"), tr("optional"))
        self.email = Line(tr("Contact's email"), tr("optional"))
        self.address = Para(tr("Contact's address"), tr("optional"), lines=2)
        self.reference = Line(tr("Registration reference"),
                              tr("OPG reference, or the court order number"))
        self.registered_on = DateLine(tr("Date registered"), field="registered_on")
        self.can_decide = QCheckBox(tr("Can &decide about health and welfare (registered)"))
        self.can_decide.setAccessibleName(tr("Can decide about health and welfare"))
        self.fields: dict[str, QWidget] = {
            "kind": self.kind, "name": self.name, "relationship": self.relationship,
            "phone": self.phone, "email": self.email, "address": self.address,
            "registration_reference": self.reference, "registered_on": self.registered_on,
            "can_decide_health_welfare": self.can_decide}
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(tr("Problem with the contact"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Save
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Save).setText(tr("&Save contact"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.kind.currentIndexChanged.connect(self._on_kind_current_index_changed)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(tr("Contact for %s") % escape_text(person_name)))
        layout.addLayout(self._form())
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        if contact is not None:
            self._load(contact)
        self._on_kind_current_index_changed(self.kind.currentIndex())

    def _form(self) -> QFormLayout:
        form = QFormLayout()
        tr = self.tr
        for label, field in ((tr("&Who:"), self.kind), (tr("&Name:"), self.name),
                             (tr("&Relationship:"), self.relationship),
                             (tr("&Phone:"), self.phone), (tr("&Email:"), self.email),
                             (tr("&Address:"), self.address),
                             (tr("Registration re&ference:"), self.reference),
                             (tr("Date re&gistered:"), self.registered_on)):
            form.addRow(label, field)
        form.addRow("", self.can_decide)
        return form

    def _load(self, contact: ContactRow) -> None:
        self.kind.set_value(contact.kind)
        self.name.set_value(contact.name)
        self.relationship.set_value(contact.relationship)
        self.phone.set_value(contact.phone)
        self.email.set_value(contact.email)
        self.address.set_value(contact.address)
        self.reference.set_value(contact.registration_reference)
        self.registered_on.set_value(contact.registered_on)
        self.can_decide.setChecked(bool(contact.can_decide_health_welfare))

    def value(self) -> ContactInput:
        """The contact as typed (the service checks it; a registration date that is not a
        date is refused here, naming the field)."""
        kind = self.kind.value() or ""
        # A registration only means something for an attorney or deputy; fields greyed out
        # for other kinds may still hold old text, which is not sent.
        registered = self.registered_on.value() if kind in REGISTERED_KINDS else None
        reference = self.reference.value() if kind in REGISTERED_KINDS else None
        return ContactInput(
            kind=kind, name=self.name.text(),
            relationship=self.relationship.value(), phone=self.phone.value(),
            email=self.email.value(), address=self.address.value(),
            registration_reference=reference,
            registered_on=registered,
            can_decide_health_welfare=self.can_decide.isChecked())

    def show_error(self, message: str, field: str | None) -> None:
        """The save was refused: say why, highlight and focus the field, keep the typing."""
        self.error_label.setText(
            f"<span style='color:#a00000'><b>{escape_text(message)}</b></span>")
        for widget in self.fields.values():
            widget.setStyleSheet("")
        target = self.fields.get(field or "")
        if target is not None:
            target.setStyleSheet(ERROR_STYLE)
            target.setFocus()

    def _on_kind_current_index_changed(self, _index: int) -> None:
        kind = self.kind.value()
        registered = kind in REGISTERED_KINDS
        self.reference.setEnabled(registered)
        self.registered_on.setEnabled(registered)
        self.can_decide.setEnabled(kind in DECIDER_KINDS)
        if kind not in DECIDER_KINDS:
            self.can_decide.setChecked(False)

    def _on_buttons_accepted(self) -> None:
        try:
            typed = self.value()
        except ValidationError as problem:  # a registration date that is not a date
            self.show_error(problem.message, problem.field)
            return
        self.error_label.setText(self.tr("Saving…"))
        self.contact_entered.emit(typed)


class ContactsPanel(QWidget):
    """The person's contacts in a table, with Add, Edit and Remove when the role allows.

    ``run(fn, done, failed)`` runs ``fn`` off the GUI thread and hands an expected error
    to ``failed`` (any other goes to the app's handler); ``save(person_id, contact_id, data,
    version)`` and ``remove(person_id, contact_id)`` call the services and return the
    person's refreshed ``PersonRecord``; ``confirm(text)`` asks before removing.
    """

    record_changed = Signal(object)  # PersonRecord

    def __init__(self, run: Run | None, save: SaveContact | None, remove: RemoveContact | None,
                 confirm: Callable[[str], bool] | None = None) -> None:
        super().__init__()
        tr = self.tr
        self._run, self._save, self._remove, self._confirm = run, save, remove, confirm
        self.person_id, self.person_name = "", ""
        self.rows: tuple[ContactRow, ...] = ()
        self.dialog: ContactDialog | None = None
        self.table = read_only_table(
            [tr("Who"), tr("Name"), tr("Relationship"), tr("Phone"), tr("Registration"),
             tr("Can decide health and welfare")], tr("Contacts"))
        self.table.cellDoubleClicked.connect(lambda _r, _c: self.open_dialog(edit=True))
        self.add_button = QPushButton(tr("&Add contact…"))
        self.edit_button = QPushButton(tr("&Edit contact…"))
        self.remove_button = QPushButton(tr("Re&move contact"))
        self.add_button.clicked.connect(lambda _c=False: self.open_dialog(edit=False))
        self.edit_button.clicked.connect(lambda _c=False: self.open_dialog(edit=True))
        self.remove_button.clicked.connect(lambda _c=False: self.remove_selected())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.add_button, self.edit_button, self.remove_button):
            buttons.addWidget(button)
            button.setVisible(save is not None)
        self.remove_button.setVisible(remove is not None)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def show_contacts(self, person_id: str, person_name: str,
                      rows: Sequence[ContactRow]) -> None:
        """Show this person's contacts (ContactRow)."""
        self.person_id, self.person_name, self.rows = person_id, person_name, tuple(rows)
        fill_table(self.table, [
            [self.tr(KIND_LABELS.get(c.kind, c.kind)), c.name, c.relationship or "",
             c.phone or "", " ".join(filter(None, [c.registration_reference,
                                                   uk_date(c.registered_on)])),
             self.tr("Yes") if c.can_decide_health_welfare else self.tr("No")]
            for c in self.rows])
        self.edit_button.setEnabled(bool(self.rows))
        self.remove_button.setEnabled(bool(self.rows))

    def _selected(self) -> ContactRow | None:
        row = self.table.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def open_dialog(self, edit: bool) -> ContactDialog | None:
        """Open the dialog for a new contact, or for the selected one."""
        contact = self._selected() if edit else None
        if self._save is None or (edit and contact is None):
            return None
        self.dialog = ContactDialog(self.person_name, contact, self)
        self.dialog.contact_entered.connect(
            lambda data: self._on_dialog_contact_entered(contact, data))
        self.dialog.open()
        return self.dialog

    def remove_selected(self) -> None:
        """Remove the selected contact, after asking."""
        contact = self._selected()
        if contact is None or self._remove is None:
            return
        if self._confirm is not None and not self._confirm(
                self.tr("Remove %s from this person's contacts?") % contact.name):
            return
        remove, run = self._remove, self._run
        assert run is not None  # a panel that can remove is given a run
        person_id = self.person_id
        run(lambda: remove(person_id, contact.id), self.record_changed.emit, None)

    def _on_dialog_contact_entered(self, contact: ContactRow | None, data: ContactInput) -> None:
        save, dialog, run = self._save, self.dialog, self._run
        # The dialog only opens when saving is allowed, and such a panel is given a run.
        assert save is not None and run is not None
        contact_id = contact.id if contact is not None else None
        version = contact.version if contact is not None else 0
        person_id = self.person_id
        run(lambda: save(person_id, contact_id, data, version), self._on_contact_saved,
            lambda error: self._on_contact_save_failed(dialog, error))

    def _on_contact_saved(self, record: PersonRecord) -> None:
        if self.dialog is not None:
            self.dialog.accept()
            self.dialog = None
        self.record_changed.emit(record)

    @staticmethod
    def _on_contact_save_failed(dialog: ContactDialog | None, error: ExpectedError) -> None:
        if dialog is not None:
            dialog.show_error(error.message,
                              error.field if isinstance(error, ValidationError) else None)
