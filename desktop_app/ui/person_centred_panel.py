"""What the person record's person-centred tabs share (``ui.person_centred``): the actions a
role that may change people's records is given (``PersonCentredActions``), and the panel
each tab is (``RecordPanel``): the person shown, a message line, its buttons (hidden until
the actions are given), the form open, and the removal of a record made by mistake, which
asks the reason first (``RemovalDialog``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.services.people.person_centred import (
    AssessmentInput,
    EligibilityInput,
    ServiceOption,
    SignpostingInput,
    WhatMattersInput,
)
from desktop_app.services.people.record import PersonRecord
from desktop_app.ui.forms import FormDialog, save_from
from desktop_app.ui.person_centred_forms import NewService, RemovalDialog
from desktop_app.ui.tasks import Run

D = TypeVar("D")
R = TypeVar("R")


@dataclass(frozen=True)
class PersonCentredActions:
    """What a role that may change people's records can do on these tabs. Each callable
    but ``run``, ``confirm`` and ``today`` runs off the GUI thread; those given a person id
    return the person's record again."""

    run: Run
    save_what_matters: Callable[[str, WhatMattersInput, int], PersonRecord]
    record_signposting: Callable[[str, SignpostingInput], PersonRecord]
    remove_signposting: Callable[[str, str], PersonRecord]
    services: Callable[[], Sequence[ServiceOption]]
    record_assessment: Callable[[str, AssessmentInput], PersonRecord]
    record_eligibility: Callable[[str, EligibilityInput], PersonRecord]
    confirm: Callable[[str, str], bool]  # (title, question): yes?
    today: Callable[[], dt.date]
    # (person id, the row's id, the reason): a record made by mistake taken off.
    remove_assessment: Callable[[str, str, str], PersonRecord]
    remove_eligibility: Callable[[str, str, str], PersonRecord]
    # Only for a role that may record delegations: a new support plan version with what
    # matters as recorded now: (its number, or None without a running delegation; record).
    issue_plan: Callable[[str], tuple[int | None, PersonRecord]] | None = None
    # Only for a role that may extend the lists (a team lead): add a service.
    add_service: Callable[[NewService], object] | None = None


class RecordPanel(QWidget):
    """What the four tabs share: the person shown, a message line, a row of buttons hidden
    until the actions are given, and the dialog open (for the tests and the keyboard)."""

    record_changed = Signal(object)  # PersonRecord

    def __init__(self) -> None:
        super().__init__()
        self.person_id, self.person_name = "", ""
        self.can_do: PersonCentredActions | None = None
        self.dialog: FormDialog[Any] | None = None
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setTextFormat(Qt.TextFormat.PlainText)  # it may quote a name typed
        self.message.setAccessibleName(self.tr("Message"))
        self.buttons = QHBoxLayout()
        self.buttons.addWidget(self.message, 1)
        self.action_buttons: list[QPushButton] = []

    def add_action(self, text: str, name: str, slot: Callable[[], object]) -> QPushButton:
        """A button shown once the role's actions are given."""
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.clicked.connect(lambda _checked=False: slot())
        button.setVisible(False)
        self.buttons.addWidget(button)
        self.action_buttons.append(button)
        return button

    def set_actions(self, actions: PersonCentredActions) -> None:
        """Let this role change the records shown (the buttons appear)."""
        self.can_do = actions
        for button in self.action_buttons:
            button.setVisible(True)

    def show_record(self, record: PersonRecord) -> None:
        """Show what the record holds (subclasses add their part)."""
        person = record.person
        if person.id != self.person_id:
            self.message.setText("")
        self.person_id, self.person_name = person.id, person.full_name

    def open_form(self, dialog: FormDialog[D], work: Callable[[D], Callable[[], R]],
                  saved: Callable[[R], None]) -> FormDialog[D]:
        """Open ``dialog``; what it enters is saved by ``work(data)()`` off the GUI thread,
        then the dialog closes and ``saved`` gets the answer (a refusal stays in it)."""
        assert self.can_do is not None
        self.dialog = dialog
        save_from(dialog, self.can_do.run, work, saved)
        dialog.finished.connect(lambda _result: self._closed(dialog))
        dialog.open()
        return dialog

    def _closed(self, dialog: FormDialog[Any]) -> None:
        if self.dialog is dialog:
            self.dialog = None

    def changed(self, record: object, message: str) -> None:
        """A change was saved: the record again, and say so."""
        self.record_changed.emit(record)
        self.message.setText(message)

    def open_removal(self, dialog: RemovalDialog, remove: Callable[[str, str, str], R],
                     row_id: str, done: str) -> RemovalDialog:
        """Ask why the row ``row_id`` is removed (``dialog``); given a reason, it is removed
        off the GUI thread and ``done`` said; a refusal stays in the dialog."""
        person_id = self.person_id
        self.open_form(dialog, lambda reason: lambda: remove(person_id, row_id, reason),
                       lambda again: self.changed(again, done))
        return dialog


def layout_panel(panel: RecordPanel, top: QWidget, label: str | None = None) -> None:
    column = QVBoxLayout(panel)
    if label is not None:
        caption = QLabel(label)
        caption.setBuddy(top)
        column.addWidget(caption)
    column.addWidget(top, 1)
    column.addLayout(panel.buttons)
