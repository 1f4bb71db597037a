"""The person record's person-centred tabs (the framework's principles, Part A sections 3
and 4): What matters, Signposting, Assessments and Eligibility.

- **What matters**: the person's own words about what they want, their strengths, what they
  do for themselves (self-care) and who took part in the conversation, with when and by
  whom; "Edit…" changes them (``WhatMattersDialog``). When the person has a running
  support plan, saving offers a new plan version with these words (the version already
  printed keeps what was agreed).
- **Signposting** (Make Every Contact Count): each signposting or referral, newest first;
  "Record signposting…", "Remove" (a mistake: it asks first) and, for a team lead, "Add a
  service to the list…".
- **Assessments** (trusted assessment): partners' assessments on file, with how old each
  is (an old one marked in words) and how many delegations reused it; "Add a partner's
  assessment…".
- **Eligibility** (Care Act): the screens on file with the suggestion, the practitioner's
  decision and reason, and who decided; "Screen eligibility…" opens the screen
  (``ui.eligibility_screen``).

The panels show what ``PersonRecord`` holds. A role that may change people's records is
given the actions (``PersonCentredActions``) by the people controller; without them the
buttons are hidden. Each action runs off the GUI thread and returns the person's record
again, which the panels hand on (``record_changed``); a refusal comes back into the form
beside the field it names, with everything typed kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any, TypeVar

from PySide6.QtCore import QCoreApplication, QObject, Qt, Signal
from PySide6.QtWidgets import (
    QFormLayout,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.people.person_centred import (
    AssessmentInput,
    AssessmentRow,
    EligibilityInput,
    EligibilityRow,
    ServiceOption,
    SignpostingInput,
    SignpostingRow,
    WhatMattersInput,
    WhatMattersView,
)
from desktop_app.services.people.record import PersonRecord
from desktop_app.ui.eligibility_screen import EligibilityDialog
from desktop_app.ui.forms import FormDialog, save_from
from desktop_app.ui.person_centred_forms import (
    AssessmentDialog,
    NewService,
    ServiceDialog,
    SignpostingDialog,
    WhatMattersDialog,
)
from desktop_app.ui.tables import fill_table, read_only_table, uk_date
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text

D = TypeVar("D")
R = TypeVar("R")


def _tr(text: str) -> str:
    return QCoreApplication.translate("PersonCentredTabs", text)


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
    # Only for a role that may record delegations: a new support plan version with what
    # matters as recorded now: (its number, or None without a running delegation; record).
    issue_plan: Callable[[str], tuple[int | None, PersonRecord]] | None = None
    # Only for a role that may extend the lists (a team lead): add a service.
    add_service: Callable[[NewService], object] | None = None


class _Panel(QWidget):
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


def _layout(panel: _Panel, top: QWidget, label: str | None = None) -> None:
    column = QVBoxLayout(panel)
    if label is not None:
        caption = QLabel(label)
        caption.setBuddy(top)
        column.addWidget(caption)
    column.addWidget(top, 1)
    column.addLayout(panel.buttons)


class WhatMattersPanel(_Panel):
    """What matters to the person, as recorded, and "Edit…"."""

    def __init__(self) -> None:
        super().__init__()
        tr = self.tr
        self.shown: WhatMattersView | None = None
        self.record: PersonRecord | None = None
        body = QWidget()
        form = QFormLayout(body)
        self.values: dict[str, QLabel] = {}
        for name, label in (("own_words", tr("In their own words:")),
                            ("strengths", tr("Strengths:")),
                            ("self_care", tr("What they do for themselves:")),
                            ("took_part", tr("Who took part:")),
                            ("recorded", tr("Recorded:"))):
            value = QLabel()
            value.setWordWrap(True)
            value.setTextFormat(Qt.TextFormat.PlainText)
            value.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse
                                          | Qt.TextInteractionFlag.TextSelectableByKeyboard)
            value.setAccessibleName(label.rstrip(":"))
            form.addRow(label, value)
            self.values[name] = value
        self.nothing = QLabel(tr("Nothing recorded yet."))
        self.nothing.setAccessibleName(tr("What matters to the person"))
        form.addRow(self.nothing)
        self.edit_button = self.add_action(tr("&Edit…"), tr("Edit what matters to the person"),
                                           self.open_edit)
        _layout(self, body)

    def show_record(self, record: PersonRecord) -> None:
        super().show_record(record)
        self.record = record
        shown = self.shown = record.what_matters
        texts = {"own_words": "", "strengths": "", "self_care": "", "took_part": "",
                 "recorded": ""}
        if shown is not None:
            texts = {"own_words": shown.own_words or "", "strengths": shown.strengths or "",
                     "self_care": shown.self_care or "",
                     "took_part": shown.took_part_words,
                     "recorded": self.tr("%1 by %2").replace("%1", uk_date(shown.recorded_on))
                     .replace("%2", shown.recorded_by)}
        for name, value in self.values.items():
            value.setText(texts[name] or ("—" if shown is not None else ""))
        self.nothing.setVisible(shown is None)

    def open_edit(self) -> FormDialog[Any] | None:
        """The form to change what matters, with what is recorded in it."""
        actions = self.can_do
        if actions is None:
            return None
        person_id, version = self.person_id, self.shown.version if self.shown else 0
        save = actions.save_what_matters
        dialog = WhatMattersDialog(self.person_name, self.shown, self)
        return self.open_form(
            dialog,
            lambda data: lambda: save(person_id, data, version),
            self._saved)

    def _saved(self, record: PersonRecord) -> None:
        before = self.shown.as_input() if self.shown is not None else None
        self.changed(record, self.tr("Saved what matters to the person."))
        after = record.what_matters.as_input() if record.what_matters is not None else None
        if after != before:
            self.offer_plan(record)

    def offer_plan(self, record: PersonRecord) -> None:
        """With a running support plan, ask whether to issue the next version with these
        words (the version printed now keeps what was agreed)."""
        actions = self.can_do
        if actions is None or actions.issue_plan is None or not record.plans \
                or not any(d.running for d in record.delegations):
            return
        latest = max(p.version_number for p in record.plans)
        if not actions.confirm(self.tr("Support plan"), self.tr(
                "Issue support plan version %1 with these words? The version printed now "
                "keeps what was agreed.").replace("%1", str(latest + 1))):
            return
        issue, person_id = actions.issue_plan, self.person_id

        def issued(result: tuple[int | None, PersonRecord]) -> None:
            number, again = result
            self.changed(again, self.tr("Support plan version %1 issued with what matters to "
                                        "the person as recorded now.").replace("%1", str(number))
                         if number is not None else self.tr(
                             "No support plan was issued: the person has no running "
                             "delegation now."))

        actions.run(lambda: issue(person_id), issued,
                    lambda error: self.message.setText(error.message))


class SignpostingPanel(_Panel):
    """Signposting and referrals (Make Every Contact Count), newest first."""

    def __init__(self) -> None:
        super().__init__()
        tr = self.tr
        self.rows: tuple[SignpostingRow, ...] = ()
        self.table = read_only_table([tr("Date"), tr("Occasion"), tr("For"), tr("Action"),
                                      tr("Service"), tr("Note"), tr("By")],
                                     tr("Signposting and referrals"))
        self.record_button = self.add_action(tr("&Record signposting…"),
                                             tr("Record signposting or a referral"),
                                             self.open_record)
        self.remove_button = self.add_action(tr("Re&move"),
                                             tr("Remove the selected signposting (a mistake)"),
                                             self.remove_selected)
        self.service_button = self.add_action(tr("Add a service to the &list…"),
                                              tr("Add a service to the signposting list"),
                                              self.open_add_service)
        _layout(self, self.table, tr("Signposting and referrals (Make Every Contact Count), "
                                     "newest first:"))

    def set_actions(self, actions: PersonCentredActions) -> None:
        super().set_actions(actions)
        self.service_button.setVisible(actions.add_service is not None)

    def show_record(self, record: PersonRecord) -> None:
        super().show_record(record)
        self.rows = tuple(record.signposting)
        fill_table(self.table, [
            [uk_date(r.given_on), self.tr(r.occasion_label), self.tr(r.for_whom_label),
             self.tr(r.action_label), r.service, r.note, r.recorded_by] for r in self.rows],
            select_first=False)
        self.remove_button.setEnabled(bool(self.rows))

    def open_record(self) -> None:
        """The signposting form, with the services on the list (loaded first)."""
        actions = self.can_do
        if actions is None:
            return
        person_id, name, record = self.person_id, self.person_name, actions.record_signposting

        def loaded(services: Sequence[ServiceOption]) -> None:
            dialog = SignpostingDialog(name, services, actions.today(), self)
            self.open_form(
                dialog,
                lambda data: lambda: record(person_id, data),
                lambda again: self.changed(again, self.tr("Signposting recorded.")))

        actions.run(actions.services, loaded)

    def remove_selected(self) -> None:
        """Remove the selected signposting (recorded by mistake), after asking."""
        row = self.table.currentRow()
        actions = self.can_do
        if actions is None or not 0 <= row < len(self.rows):
            return
        chosen = self.rows[row]
        if not actions.confirm(self.tr("Remove signposting"), self.tr(
                "Remove the signposting to %1 on %2? Only remove one recorded by mistake.")
                .replace("%1", chosen.service).replace("%2", uk_date(chosen.given_on))):
            return
        remove, person_id = actions.remove_signposting, self.person_id
        actions.run(lambda: remove(person_id, chosen.id),
                    lambda again: self.changed(again, self.tr("Signposting removed.")),
                    lambda error: self.message.setText(error.message))

    def open_add_service(self) -> FormDialog[Any] | None:
        """Add a local service or support group to the list (a team lead)."""
        actions = self.can_do
        if actions is None or actions.add_service is None:
            return None
        add = actions.add_service
        return self.open_form(
            ServiceDialog(self),
            lambda data: lambda: add(data),
            lambda _id: self.message.setText(self.tr(
                "Added to the signposting list: it is offered from now on.")))


class AssessmentsPanel(_Panel):
    """Partners' assessments on file (trusted assessment), newest first."""

    def __init__(self) -> None:
        super().__init__()
        tr = self.tr
        self.rows: tuple[AssessmentRow, ...] = ()
        self.table = read_only_table([tr("Kind"), tr("Organisation"), tr("Assessor"),
                                      tr("Date"), tr("Age"), tr("Reused by")],
                                     tr("Partners' assessments"))
        self.add_button = self.add_action(tr("&Add a partner's assessment…"),
                                          tr("Add an assessment another partner made"),
                                          self.open_add)
        _layout(self, self.table, tr("Partners' assessments on file (trusted assessment), "
                                     "newest first:"))

    def show_record(self, record: PersonRecord) -> None:
        super().show_record(record)
        self.rows = tuple(record.assessments)
        fill_table(self.table, [
            [self.tr(r.kind_label), r.organisation, r.assessor, uk_date(r.assessed_on),
             self.tr("%s: check it still holds") % r.age_words if r.stale else r.age_words,
             self._reused(r.times_reused)] for r in self.rows], select_first=False)

    def _reused(self, times: int) -> str:
        if not times:
            return self.tr("No delegation yet")
        if times == 1:
            return self.tr("1 delegation")
        return self.tr("%1 delegations").replace("%1", str(times))

    def open_add(self) -> FormDialog[Any] | None:
        """The form for an assessment another partner made."""
        actions = self.can_do
        if actions is None:
            return None
        person_id, record = self.person_id, actions.record_assessment
        return self.open_form(
            AssessmentDialog(self.person_name, actions.today(), self),
            lambda data: lambda: record(person_id, data),
            lambda again: self.changed(again, self.tr("Assessment added to the record.")))


class EligibilityPanel(_Panel):
    """Care Act eligibility screens on file, newest first, with the selected one's
    reasons."""

    def __init__(self) -> None:
        super().__init__()
        tr = self.tr
        self.rows: tuple[EligibilityRow, ...] = ()
        self.table = read_only_table([tr("Date"), tr("Suggestion"), tr("Decision"),
                                      tr("Reason"), tr("By")], tr("Eligibility screens"))
        self.table.itemSelectionChanged.connect(self._show_selected)
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setAccessibleName(tr("The selected screen"))
        self.screen_button = self.add_action(tr("Scree&n eligibility…"),
                                             tr("Screen Care Act eligibility"), self.open_screen)
        column = QVBoxLayout(self)
        caption = QLabel(tr("&Care Act eligibility screens, newest first:"))
        caption.setBuddy(self.table)
        column.addWidget(caption)
        column.addWidget(self.table, 1)
        column.addWidget(self.details)
        column.addLayout(self.buttons)

    def show_record(self, record: PersonRecord) -> None:
        super().show_record(record)
        self.rows = tuple(record.eligibility)
        fill_table(self.table, [
            [uk_date(r.screened_on), self.tr(r.suggestion_label),
             self.tr(r.decision_label) + (self.tr(" (differs from the suggestion)")
                                          if r.differs else ""),
             r.decision_reason, r.decided_by] for r in self.rows])
        self._show_selected()

    def _show_selected(self) -> None:
        row = self.table.currentRow()
        if not 0 <= row < len(self.rows):
            self.details.setText("")
            return
        chosen = self.rows[row]
        unable = ", ".join(escape_text(self.tr(o)) for o in chosen.outcomes_unable) or \
            escape_text(self.tr("none"))
        reasons = "".join(f"<li>{escape_text(self.tr(r))}</li>"
                          for r in chosen.suggestion_reasons)
        self.details.setText(
            f"{escape_text(self.tr('Outcomes the person cannot achieve'))}: {unable}"
            f"<br>{escape_text(self.tr('The suggestion, because'))}:<ul style='margin:0'>"
            f"{reasons}</ul>")

    def open_screen(self) -> FormDialog[Any] | None:
        """The eligibility screen."""
        actions = self.can_do
        if actions is None:
            return None
        person_id, record = self.person_id, actions.record_eligibility
        return self.open_form(
            EligibilityDialog(self.person_name, actions.today(), self),
            lambda data: lambda: record(person_id, data),
            lambda again: self.changed(again, self.tr(
                "Eligibility screen recorded with the practitioner's decision.")))


class PersonCentredTabs(QObject):
    """The four panels, shown together and given their actions together."""

    record_changed = Signal(object)  # PersonRecord

    def __init__(self) -> None:
        super().__init__()
        self.what_matters = WhatMattersPanel()
        self.signposting = SignpostingPanel()
        self.assessments = AssessmentsPanel()
        self.eligibility = EligibilityPanel()
        for panel in self.panels():
            panel.record_changed.connect(self.record_changed)

    def panels(self) -> tuple[_Panel, ...]:
        return (self.what_matters, self.signposting, self.assessments, self.eligibility)

    def show_record(self, record: PersonRecord) -> None:
        """Show what the record holds on each tab."""
        for panel in self.panels():
            panel.show_record(record)

    def set_actions(self, actions: PersonCentredActions) -> None:
        """Give a role that may change people's records the buttons."""
        for panel in self.panels():
            panel.set_actions(actions)
