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
  assessment…" and "Remove (recorded by mistake)…" (it asks why first: the wizard then no
  longer offers it; a delegation that reused it keeps it as decided).
- **Eligibility** (Care Act): the screens on file with the suggestion, the practitioner's
  decision and reason, and who decided; "Screen eligibility…" opens the screen
  (``ui.eligibility_screen``); "Remove (recorded by mistake)…" asks why first.

The panels show what ``PersonRecord`` holds. A role that may change people's records is
given the actions (``PersonCentredActions``, with the panel they share in
``ui.person_centred_panel``) by the people controller; without them the buttons are hidden.
Each action runs off the GUI thread and returns the person's record again, which the panels
hand on (``record_changed``); a refusal comes back into the form beside the field it names,
with everything typed kept.
"""

from __future__ import annotations

from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import QObject, Qt, Signal
from PySide6.QtWidgets import QFormLayout, QLabel, QVBoxLayout, QWidget

from desktop_app.services.people.person_centred import (
    AssessmentRow,
    EligibilityRow,
    ServiceOption,
    SignpostingRow,
    WhatMattersView,
)
from desktop_app.services.people.record import PersonRecord
from desktop_app.ui.eligibility_screen import EligibilityDialog
from desktop_app.ui.forms import FormDialog
from desktop_app.ui.person_centred_forms import (
    AssessmentDialog,
    RemovalDialog,
    ServiceDialog,
    SignpostingDialog,
    WhatMattersDialog,
)
from desktop_app.ui.person_centred_panel import PersonCentredActions, RecordPanel, layout_panel
from desktop_app.ui.tables import fill_table, read_only_table, uk_date
from desktop_app.ui.wizard.base import escape_text

__all__ = ["AssessmentsPanel", "EligibilityPanel", "PersonCentredActions", "PersonCentredTabs",
           "SignpostingPanel", "WhatMattersPanel"]


class WhatMattersPanel(RecordPanel):
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
        layout_panel(self, body)

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


class SignpostingPanel(RecordPanel):
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
        layout_panel(self, self.table, tr("Signposting and referrals (Make Every Contact Count), "
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


class AssessmentsPanel(RecordPanel):
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
        self.remove_button = self.add_action(
            tr("Re&move (recorded by mistake)…"),
            tr("Remove the selected assessment (recorded by mistake)"), self.open_remove)
        layout_panel(self, self.table, tr("Partners' assessments on file (trusted assessment), "
                                     "newest first:"))

    def show_record(self, record: PersonRecord) -> None:
        super().show_record(record)
        self.rows = tuple(record.assessments)
        fill_table(self.table, [
            [self.tr(r.kind_label), r.organisation, r.assessor, uk_date(r.assessed_on),
             self.tr("%s: check it still holds") % r.age_words if r.stale else r.age_words,
             self._reused(r.times_reused)] for r in self.rows], select_first=False)
        self.remove_button.setEnabled(bool(self.rows))

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

    def open_remove(self) -> RemovalDialog | None:
        """Ask why the selected assessment is removed (recorded by mistake), then remove
        it."""
        row = self.table.currentRow()
        if self.can_do is None or not 0 <= row < len(self.rows):
            return None
        chosen = self.rows[row]
        return self.open_removal(
            RemovalDialog.for_assessment(chosen, self.person_name, self),
            self.can_do.remove_assessment, chosen.id, self.tr(
                "Assessment removed: the wizard no longer offers it. A delegation that "
                "reused it keeps it as it was decided."))


class EligibilityPanel(RecordPanel):
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
        self.remove_button = self.add_action(
            tr("Re&move (recorded by mistake)…"),
            tr("Remove the selected screen (recorded by mistake)"), self.open_remove)
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
        self.remove_button.setEnabled(bool(self.rows))
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

    def open_remove(self) -> RemovalDialog | None:
        """Ask why the selected screen is removed (recorded by mistake), then remove it."""
        row = self.table.currentRow()
        if self.can_do is None or not 0 <= row < len(self.rows):
            return None
        chosen = self.rows[row]
        return self.open_removal(
            RemovalDialog.for_screen(chosen, self.person_name, self),
            self.can_do.remove_eligibility, chosen.id, self.tr(
                "Eligibility screen removed: the wizard shows the latest one still on the "
                "record."))


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

    def panels(self) -> tuple[RecordPanel, ...]:
        return (self.what_matters, self.signposting, self.assessments, self.eligibility)

    def show_record(self, record: PersonRecord) -> None:
        """Show what the record holds on each tab."""
        for panel in self.panels():
            panel.show_record(record)

    def set_actions(self, actions: PersonCentredActions) -> None:
        """Give a role that may change people's records the buttons."""
        for panel in self.panels():
            panel.set_actions(actions)
