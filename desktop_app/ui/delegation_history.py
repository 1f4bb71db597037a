"""The person record's Delegations tab: each delegation and, for the one selected, its history.

The upper table lists the person's delegations (task, status in words, the outcome it was
decided with, when, under which flow version); the lower one the selected delegation's
events, oldest first (when, what happened, the outcome recorded, by whom, the support plan
version it issued, what else it records, why). A delegation that has ended keeps the
outcome it was decided with: the ending is an event of its own.

For a running delegation, a role that may record delegations has "Consent withdrawn…" and
"End: need changed…" (hazard H-032). Each opens a small form (``ui/forms.py``); what is typed
goes to the caller's action off the GUI thread, which ends the delegation and returns the
person's refreshed record (``record_changed``). A refusal comes back into the form beside
the field it names, with everything typed kept. Everything works from the keyboard.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QCoreApplication, Signal
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.models.consent import ConsentMethod
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.delegation import CONTACT_KINDS
from desktop_app.services.framework.catalogue import NO_TASK_CODE
from desktop_app.services.framework.labels import CONSENT_METHODS
from desktop_app.services.people.contacts import KIND_LABELS
from desktop_app.services.people.record import (
    ContactRow,
    DelegationRow,
    EventRow,
    PersonRecord,
)
from desktop_app.ui.forms import DateLine, FormDialog, save_from
from desktop_app.ui.tables import fill_table, read_only_table, uk_date
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Choice, Line, Para

PERSON = "person"
# The contact kind an attorney's or deputy's withdrawal names, by who withdrew.
_WHO_BY_CONTACT_KIND = {contact_kind: kind for kind, contact_kind in CONTACT_KINDS.items()}


@dataclass(frozen=True)
class ConsentWithdrawal:
    """What the "Consent withdrawn" form holds (``delegation.ending.withdraw_consent``)."""

    case_id: str
    on: dt.date
    given_by_kind: str
    given_by_name: str | None
    contact_id: str | None
    how: str
    explained: str


@dataclass(frozen=True)
class NeedChange:
    """What the "End: need changed" form holds (``delegation.ending.end_for_change_of_need``)."""

    case_id: str
    on: dt.date
    reason: str


# Run off the GUI thread: end the delegation for the person (id), return their record again.
WithdrawConsent = Callable[[str, ConsentWithdrawal], PersonRecord]
EndForNeed = Callable[[str, NeedChange], PersonRecord]


def _tr(text: str) -> str:
    return QCoreApplication.translate("DelegationsPanel", text)


def task_words(row: DelegationRow) -> str:
    """The task's name; a case decided with no catalogue task (NO_TASK_CODE) is a social care
    need recorded at S1, not a blank."""
    if row.task_code == NO_TASK_CODE and row.outcome_code:
        return _tr("No healthcare task: a social care need")
    return row.task_name


def _intro(person_name: str, row: DelegationRow) -> str:
    """Whose delegation of which task ends, and what ending it does."""
    return _tr(
        "<b>%s</b>, <b>%s</b>: ending this delegation returns the task to the nurse. A new "
        "support plan version leaves the task and its funding out from the date given, the "
        "care workers' sign-offs for it are suspended and its reviews end.") % (
        escape_text(person_name), escape_text(task_words(row)))


def _given_date(line: DateLine, what: str) -> dt.date:
    day = line.value()
    if day is None:
        raise ValidationError(what, field="on")
    return day


class ConsentWithdrawnDialog(FormDialog[ConsentWithdrawal]):
    """When consent was withdrawn, who withdrew it (the person, or their registered attorney
    or deputy from the person's contacts), their name, how, and what was said and explained."""

    def __init__(self, person_name: str, row: DelegationRow, contacts: tuple[ContactRow, ...],
                 today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Consent withdrawn"), self.tr("&End the delegation"), parent)
        self.case_id = row.id
        intro = _intro(person_name, row)
        if row.consent_given_by_name:
            intro += "<br>" + self.tr("Consent was given by %s.") % escape_text(
                row.consent_given_by_name)
        self.intro.setText(intro)
        self.intro.show()
        self.on = DateLine(self.tr("Date consent was withdrawn"), today)
        deciders = [(f"{_WHO_BY_CONTACT_KIND[c.kind]}:{c.id}",
                     f"{c.name}: {self.tr(KIND_LABELS.get(c.kind, c.kind))}")
                    for c in contacts if c.kind in _WHO_BY_CONTACT_KIND]
        self.who = Choice(self.tr("Who withdrew consent"),
                          [(PERSON, self.tr("The person")), *deciders])
        # Whoever gave the consent is the first choice to withdraw it (the service checks).
        given = (f"{row.consent_given_by_kind}:{row.consent_contact_id}"
                 if row.consent_contact_id else PERSON)
        self.who.set_value(given if self.who.findData(given) >= 0 else PERSON)
        self.name = Line(self.tr("Name of who withdrew consent"),
                         self.tr("optional: the contact's name, or the person"))
        self.how = Choice(self.tr("How consent was withdrawn"),
                          [(m.value, self.tr(CONSENT_METHODS[m])) for m in ConsentMethod])
        self.how.set_value(ConsentMethod.VERBAL.value)
        self.explained = Para(self.tr("What was said and explained"),
                              self.tr("what the person (or their attorney or deputy) said, "
                                      "and what was explained about the task returning to the "
                                      "nurse"))
        for name, text, field in (("on", self.tr("&Date withdrawn:"), self.on),
                                  ("given_by_kind", self.tr("&Who withdrew:"), self.who),
                                  ("given_by_name", self.tr("&Name:"), self.name),
                                  ("how", self.tr("&How:"), self.how),
                                  ("explained", self.tr("What was said and e&xplained:"),
                                   self.explained)):
            self.add_field(name, text, field)
        self.chain_tabs()
        self.on.setFocus()

    def value(self) -> ConsentWithdrawal:
        on = _given_date(self.on, self.tr("Give the date consent was withdrawn."))
        who = self.who.value()
        if who is None:
            raise ValidationError(self.tr("Choose who withdrew consent."), field="given_by_kind")
        kind, _, contact_id = who.partition(":")
        return ConsentWithdrawal(self.case_id, on, kind, self.name.value(), contact_id or None,
                                 self.how.value() or "", self.explained.value() or "")

    def show_problem(self, message: str, field: str | None = None) -> None:
        """The attorney or deputy is chosen in "Who withdrew": a problem with the contact
        is shown there."""
        super().show_problem(message, "given_by_kind" if field == "contact_id" else field)


class NeedChangedDialog(FormDialog[NeedChange]):
    """When the person's need changed, and how: the task returns to the nurse."""

    def __init__(self, person_name: str, row: DelegationRow, today: dt.date,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("End: need changed"), self.tr("&End the delegation"), parent)
        self.case_id = row.id
        self.intro.setText(_intro(person_name, row))
        self.intro.show()
        self.on = DateLine(self.tr("Date the need changed"), today)
        self.reason = Para(self.tr("How the need changed"),
                           self.tr("what changed, and why the task now needs the nurse"))
        self.add_field("on", self.tr("&Date:"), self.on)
        self.add_field("reason", self.tr("&How the need changed:"), self.reason)
        self.chain_tabs()
        self.on.setFocus()

    def value(self) -> NeedChange:
        on = _given_date(self.on, self.tr("Give the date the need changed."))
        return NeedChange(self.case_id, on, self.reason.value() or "")


class DelegationsPanel(QWidget):
    """The person's delegations, the selected one's history, and ending a running one.

    ``set_actions(run, withdraw, end_for_need, today)`` gives it the means to end a
    delegation (only for a role that may record delegations: without them the buttons are
    hidden); ``run(fn, done, failed)`` runs ``fn`` off the GUI thread.
    """

    record_changed = Signal(object)  # PersonRecord

    def __init__(self) -> None:
        super().__init__()
        tr = self.tr
        self.person_id, self.person_name = "", ""
        self.rows: tuple[DelegationRow, ...] = ()
        self.events: tuple[EventRow, ...] = ()
        self.contacts: tuple[ContactRow, ...] = ()
        self.dialog: FormDialog[ConsentWithdrawal] | FormDialog[NeedChange] | None = None
        self._run: Run | None = None
        self._withdraw: WithdrawConsent | None = None
        self._end_for_need: EndForNeed | None = None
        self._today: Callable[[], dt.date] = dt.date.today
        self.cases = read_only_table([tr("Task"), tr("Status"), tr("Decided outcome"),
                                      tr("Decided"), tr("Flow version")], tr("Delegations"))
        self.cases.itemSelectionChanged.connect(self._on_cases_item_selection_changed)
        cases_label = QLabel(tr("Dele&gations (newest first):"))
        cases_label.setBuddy(self.cases)
        self.summary = QLabel()
        self.summary.setWordWrap(True)
        self.summary.setAccessibleName(tr("The selected delegation"))
        self.timeline = read_only_table([tr("Date"), tr("What happened"), tr("Outcome"),
                                         tr("By"), tr("Plan version"), tr("Details"),
                                         tr("Reasons")], tr("History of the delegation"))
        timeline_label = QLabel(tr("&History of the selected delegation (oldest first):"))
        timeline_label.setBuddy(self.timeline)
        self.withdraw_button = QPushButton(tr("Consent &withdrawn…"))
        self.withdraw_button.setAccessibleName(tr("Record that consent was withdrawn and end "
                                                  "the delegation"))
        self.withdraw_button.clicked.connect(lambda _c=False: self.open_consent_withdrawn())
        self.need_button = QPushButton(tr("End: need &changed…"))
        self.need_button.setAccessibleName(tr("End the delegation because the person's need "
                                              "changed"))
        self.need_button.clicked.connect(lambda _c=False: self.open_need_changed())
        buttons = QHBoxLayout()
        buttons.addStretch(1)
        for button in (self.withdraw_button, self.need_button):
            button.setVisible(False)
            buttons.addWidget(button)
        layout = QVBoxLayout(self)
        layout.addWidget(cases_label)
        layout.addWidget(self.cases, 2)
        layout.addWidget(self.summary)
        layout.addWidget(timeline_label)
        layout.addWidget(self.timeline, 3)
        layout.addLayout(buttons)
        QWidget.setTabOrder(self.cases, self.timeline)
        QWidget.setTabOrder(self.timeline, self.withdraw_button)
        QWidget.setTabOrder(self.withdraw_button, self.need_button)

    def set_actions(self, run: Run, withdraw: WithdrawConsent, end_for_need: EndForNeed,
                    today: Callable[[], dt.date]) -> None:
        """Let this role end a running delegation (see the class docstring)."""
        self._run, self._withdraw, self._end_for_need = run, withdraw, end_for_need
        self._today = today
        for button in (self.withdraw_button, self.need_button):
            button.setVisible(True)
        self._show_selected()

    def can_end(self) -> bool:
        """Whether this panel was given the actions that end a delegation."""
        return self._run is not None

    def show_delegations(self, record: PersonRecord) -> None:
        """Show the person's delegations; the one selected before stays selected when the
        same person's record comes back (after an ending), else the newest."""
        keep = self.selected()
        same_person = record.person.id == self.person_id
        self.person_id, self.person_name = record.person.id, record.person.full_name
        self.rows, self.events, self.contacts = (record.delegations, record.events,
                                                 record.contacts)
        self.cases.blockSignals(True)
        fill_table(self.cases, [[task_words(d), d.status_words or d.status,
                                 d.outcome_title or "", uk_date(d.decided_on), d.flow_version]
                                for d in self.rows], select_first=False)
        self.cases.blockSignals(False)
        ids = [d.id for d in self.rows]
        if keep is not None and same_person and keep.id in ids:
            self.cases.selectRow(ids.index(keep.id))
        elif ids:
            self.cases.selectRow(0)
        self._show_selected()

    def selected(self) -> DelegationRow | None:
        """The delegation selected in the upper table."""
        row = self.cases.currentRow()
        return self.rows[row] if 0 <= row < len(self.rows) else None

    def _on_cases_item_selection_changed(self) -> None:
        self._show_selected()

    def _show_selected(self) -> None:
        row = self.selected()
        events = [e for e in self.events if row is not None and e.case_id == row.id]
        fill_table(self.timeline, [
            [uk_date(e.occurred_on), e.title, e.outcome_title or "", e.recorded_by,
             str(e.plan_version) if e.plan_version else "", e.about, "; ".join(e.reasons)]
            for e in events], select_first=False)
        self.summary.setText(self._summary(row))
        running = row is not None and row.running
        self.withdraw_button.setEnabled(running and self.can_end())
        self.need_button.setEnabled(running and self.can_end())

    def _summary(self, row: DelegationRow | None) -> str:
        if row is None:
            return self.tr("No delegations recorded for this person.")
        text = f"<b>{escape_text(task_words(row))}</b>: {escape_text(row.status_words)}"
        if row.outcome_title:
            text += self.tr("; decided %s: %s") % (uk_date(row.decided_on),
                                                   escape_text(row.outcome_title))
        if row.ended_on is not None:
            text += self.tr(". Ended %s: %s") % (uk_date(row.ended_on),
                                                 escape_text(row.ended_title or ""))
            if row.ended_reasons:
                text += f" ({escape_text('; '.join(row.ended_reasons))})"
        return text

    # ------------------------------------------------------------ ending a delegation

    def open_consent_withdrawn(self) -> ConsentWithdrawnDialog | None:
        """The "Consent withdrawn" form for the selected running delegation."""
        row = self.selected()
        if row is None or not row.running or self._withdraw is None:
            return None
        dialog = ConsentWithdrawnDialog(self.person_name, row, self.contacts, self._today(),
                                        self)
        withdraw, person_id = self._withdraw, self.person_id
        self._end(dialog, lambda data: lambda: withdraw(person_id, data))
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_need_changed(self) -> NeedChangedDialog | None:
        """The "End: need changed" form for the selected running delegation."""
        row = self.selected()
        if row is None or not row.running or self._end_for_need is None:
            return None
        dialog = NeedChangedDialog(self.person_name, row, self._today(), self)
        end, person_id = self._end_for_need, self.person_id
        self._end(dialog, lambda data: lambda: end(person_id, data))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _end(self, dialog: FormDialog[Any],
             work_for: Callable[[Any], Callable[[], PersonRecord]]) -> None:
        run = self._run
        assert run is not None  # a form opens only once the actions are given

        def ended(record: PersonRecord) -> None:
            if self.dialog is dialog:
                self.dialog = None
            self.record_changed.emit(record)

        save_from(dialog, run, work_for, ended)
