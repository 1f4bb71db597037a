"""Reviews due: the reviews falling due and overdue, and recording one (S11), with, for a
role that may also change people's records, a signposting or referral given at it
(``review_signposting``: checked before the review is saved, beside its fields, and saved
after it; the review stands if it is still refused); below them,
the Reconsider list: every decision not to delegate yet with its date to look again, and
every care worker assessed not yet competent with the date to retrain by and who supports
them meanwhile, soonest first, whether due or not; and the transfers of clinical oversight
waiting for the receiving service to accept them, longest waiting first, with "Record
acceptance…" (framework §5)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.models.review import ReviewOutcome
from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.delegation.oversight import AwaitingRow
from desktop_app.services.framework.labels import OVERSIGHT_SERVICES
from desktop_app.services.framework.review_schedule import ReviewStatus
from desktop_app.services.registers import ReconsiderRow, ReviewDueRow
from desktop_app.ui.forms import DateLine, FormDialog, save_from
from desktop_app.ui.registers.base import Column, RegisterWidget, Tone, plural
from desktop_app.ui.registers.review_signposting import (
    ReviewSignposting,
    SignpostingAfterReview,
    SignpostingAtReview,
)
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.fields import YesNo


@dataclass(frozen=True)
class ReviewAnswers:
    """What the nurse entered in the record-review dialog."""

    review_id: str
    done_on: dt.date
    outcome: ReviewOutcome
    stable: bool
    competence_current: bool
    serious_incident: bool
    notes: str
    # The review found the person no longer open to community health services: the
    # oversight of their delegations is then offered for transfer to the GP practice.
    left_community_health: bool = False
    # A signposting or referral given at the review (saved after it), None when none.
    signposting: ReviewSignposting | None = None


class _WithStatus(Protocol):
    """A row with a review status (a review due, or a date to look again)."""

    @property
    def status(self) -> ReviewStatus: ...


class RecordReviewDialog(QDialog):
    """Done date, outcome, the three S11 questions and notes for one review.

    Emits ``review_entered`` when complete; the caller closes it once the review is saved.
    """

    review_entered = Signal(object)

    def __init__(self, row: ReviewDueRow, today: dt.date, parent: QWidget | None = None,
                 signposting: bool = False) -> None:
        super().__init__(parent)
        self._row = row
        # Offered to a role that may also change people's records.
        self.signposting = SignpostingAtReview(row.person_id) if signposting else None
        self.setWindowTitle(self.tr("Record review"))
        about = QLabel(self.tr("Review of %1 (NHS number %2), %3, due %4")
                       .replace("%1", row.person_name).replace("%2", row.nhs_number_display)
                       .replace("%3", row.task_name).replace("%4", uk_date(row.due_on)))
        about.setWordWrap(True)
        about.setAccessibleName(self.tr("Whose review"))
        self._today = today
        self.done_edit = DateLine(self.tr("Date the review was done"), today, field="done_on")
        outcome_box = QGroupBox(self.tr("Outcome"))
        outcome_box.setAccessibleName(self.tr("Outcome of the review"))
        self.continue_button = QRadioButton(self.tr("&Continue"))
        self.change_button = QRadioButton(self.tr("C&hange of need (the MDT re-plans)"))
        self.withdraw_button = QRadioButton(self.tr("&Withdraw: the task returns to Health"))
        self._outcomes = QButtonGroup(self)
        outcome_layout = QVBoxLayout(outcome_box)
        for button, outcome, name in (
                (self.continue_button, ReviewOutcome.CONTINUE, self.tr("Outcome: continue")),
                (self.change_button, ReviewOutcome.CHANGE_OF_NEED,
                 self.tr("Outcome: change of need")),
                (self.withdraw_button, ReviewOutcome.WITHDRAW, self.tr("Outcome: withdraw"))):
            button.setAccessibleName(name)
            button.setProperty("outcome", outcome.value)
            self._outcomes.addButton(button)
            outcome_layout.addWidget(button)
        self.stable = YesNo(self.tr("Still stable and predictable"), self.tr("Yes"), self.tr("No"))
        self.competent = YesNo(self.tr("Competence current"), self.tr("Yes"), self.tr("No"))
        self.incident = YesNo(self.tr("Serious incident since the last review"),
                              self.tr("Yes"), self.tr("No"))
        self.notes_edit = QPlainTextEdit()
        self.notes_edit.setTabChangesFocus(True)
        self.notes_edit.setAccessibleName(self.tr("Notes: what changed, or the reasons"))
        self.left_chs = QCheckBox(self.tr("No &longer open to community health services "
                                          "(offer to move oversight to the GP practice)"))
        self.left_chs.setAccessibleName(self.tr("No longer open to community health services"))
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(self.tr("Problem with the review"))
        self.error_label.setStyleSheet("color: #58151c")
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Record"))
        ok.setAccessibleName(self.tr("Record the review"))
        cancel = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        cancel.setAccessibleName(self.tr("Cancel"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        for text, field in ((self.tr("&Done on:"), self.done_edit),
                            (self.tr("&Still stable?"), self.stable),
                            (self.tr("Com&petence current?"), self.competent),
                            (self.tr("Serious &incident?"), self.incident),
                            (self.tr("&Notes:"), self.notes_edit)):
            label = QLabel(text)
            label.setBuddy(field.yes if isinstance(field, YesNo) else field)
            form.addRow(label, field)
        layout = QVBoxLayout(self)
        for widget in (about, outcome_box):
            layout.addWidget(widget)
        layout.addLayout(form)
        layout.addWidget(self.left_chs)
        if self.signposting is not None:
            layout.addWidget(self.signposting)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        chain = [self.done_edit, self.continue_button, self.change_button, self.withdraw_button,
                 self.stable.yes, self.stable.no, self.competent.yes, self.competent.no,
                 self.incident.yes, self.incident.no, self.notes_edit, self.left_chs,
                 *(self.signposting.fields() if self.signposting else ()), ok, cancel]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self.done_edit.setFocus()

    @property
    def row(self) -> ReviewDueRow:
        """The review being recorded."""
        return self._row

    def chosen_outcome(self) -> ReviewOutcome | None:
        """The outcome ticked, or None."""
        button = self._outcomes.checkedButton()
        return ReviewOutcome(button.property("outcome")) if button else None

    def problem(self) -> str | None:
        """What is missing or contradictory, in words; None when the review is complete."""
        outcome = self.chosen_outcome()
        answers = (self.stable.value(), self.competent.value(), self.incident.value())
        notes = self.notes_edit.toPlainText().strip()
        if date_problem := self.done_edit.problem():
            return self.tr("Date done: %s") % date_problem
        done = self.done_edit.value()
        if done is None:
            return self.tr("Give the date the review was done.")
        if done > self._today:
            return self.tr("The review is recorded once it is done: that date has not come "
                           "yet.")
        if outcome is None:
            return self.tr("Choose the outcome: continue, change of need or withdraw.")
        if None in answers:
            return self.tr("Answer all three questions yes or no.")
        returns_to_health = answers[0] is False or answers[1] is False or answers[2] is True
        if returns_to_health and outcome is not ReviewOutcome.WITHDRAW:
            return self.tr("These answers mean the task returns to Health: choose Withdraw.")
        if not notes and (returns_to_health or outcome is not ReviewOutcome.CONTINUE):
            return self.tr("Say in the notes what changed, or why the task is withdrawn.")
        if self.signposting is None:  # checked as the record will check it, before saving
            return None
        return self.signposting.check(done, self._row.review_id, self._today)

    def _on_buttons_accepted(self) -> None:
        problem = self.problem()
        self.error_label.setText(problem or "")
        outcome = self.chosen_outcome()
        if problem or outcome is None:
            return
        done = self.done_edit.value()  # a date: problem() said so
        if done is None:
            return
        self.review_entered.emit(ReviewAnswers(
            self._row.review_id, done, outcome,
            bool(self.stable.value()), bool(self.competent.value()),
            bool(self.incident.value()), self.notes_edit.toPlainText().strip(),
            self.left_chs.isChecked(),
            self.signposting.value() if self.signposting is not None else None))


class LookAgainWidget(RegisterWidget[ReconsiderRow]):
    """The Reconsider list: decisions not to delegate yet and workers not yet competent,
    with the date to look again (red once passed, amber within 30 days). A decision goes
    when a new delegation of that task is started for the person; a worker's row when a
    later assessment or sign-off is recorded."""

    def __init__(self, run: Run, load: Callable[[], Sequence[ReconsiderRow]]) -> None:
        super().__init__(run, load)
        columns: list[Column[ReconsiderRow]] = [
            Column(self.tr("Status"), self.status_text),
            Column(self.tr("Reconsider on"), lambda r: uk_date(r.reconsider_on)),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("NHS number"), lambda r: r.nhs_number_display),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Why"), lambda r: r.why),
            Column(self.tr("Meanwhile"), self.meanwhile_text)]
        self.configure(self.tr("Reconsider"), columns, ReviewsDueWidget.tone_of)
        self.refresh_button.hide()  # the reviews screen refreshes both lists...
        self._shown_once = True  # ...including the first time it is shown

    def status_text(self, row: ReconsiderRow) -> str:
        """The status in words, so colour is never the only signal."""
        if row.status is ReviewStatus.OVERDUE:
            return plural(row.days_overdue, self.tr("Passed 1 day ago"),
                          self.tr("Passed %n days ago"))
        if row.days_overdue == 0:
            return self.tr("Today")
        return plural(-row.days_overdue, self.tr("Tomorrow"), self.tr("In %n days"))

    def meanwhile_text(self, row: ReconsiderRow) -> str:
        """Who supports a worker not yet competent, and the plan; the nurse keeps the task."""
        if row.supported_by is None and row.support_planned is None:
            return ""
        return self.tr("Supported by %1; planned: %2").replace(
            "%1", row.supported_by or "").replace("%2", row.support_planned or "")

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 to reconsider"), self.tr("%n to reconsider"))


@dataclass(frozen=True)
class Acceptance:
    """The day the receiving service accepted a transfer of oversight."""

    oversight_id: str
    accepted_on: dt.date


class AcceptanceDialog(FormDialog[Acceptance]):
    """Asks the day the receiving service accepted the transfer (today unless changed)."""

    def __init__(self, row: AwaitingRow, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Record acceptance of oversight"), self.tr("&Record"), parent)
        self._oversight_id = row.oversight_id
        self.intro.setText(self.tr("%1 (NHS number %2), %3: clinical oversight moved to %4 on "
                                   "%5.").replace("%1", row.person_name)
                           .replace("%2", row.nhs_number_display).replace("%3", row.task_name)
                           .replace("%4", row.organisation_name)
                           .replace("%5", uk_date(row.transferred_on)))
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.show()
        self.setMinimumWidth(440)
        self.on_edit = DateLine(self.tr("Date the transfer was accepted"), today)
        self.add_field("on", self.tr("&Accepted on:"), self.on_edit)
        self.chain_tabs()
        self.on_edit.setFocus()

    def value(self) -> Acceptance:
        on = self.on_edit.value()
        if on is None:
            raise ValidationError(self.tr("Give the date the transfer was accepted."),
                                  field="on")
        return Acceptance(self._oversight_id, on)


class AwaitingAcceptanceWidget(RegisterWidget[AwaitingRow]):
    """Running delegations whose clinical oversight was transferred and not yet accepted by
    the receiving service, longest waiting first; "Record acceptance…" asks the day. The
    reviews screen refreshes it, including the first time it is shown."""

    def __init__(self, run: Run, load: Callable[[], Sequence[AwaitingRow]],
                 accept: Callable[[Acceptance], object] | None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(run, load)
        columns: list[Column[AwaitingRow]] = [
            Column(self.tr("Waiting"), lambda r: plural(r.days_waiting, self.tr("1 day"),
                                                       self.tr("%n days"))),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("NHS number"), lambda r: r.nhs_number_display),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Moved to"), lambda r: f"{r.organisation_name} "
                   f"({OVERSIGHT_SERVICES.get(r.service_kind, r.service_kind)})"),
            Column(self.tr("Transferred on"), lambda r: uk_date(r.transferred_on))]
        self.configure(self.tr("Clinical oversight waiting to be accepted"), columns)
        self.refresh_button.hide()
        self._shown_once = True
        self._accept, self._today = accept, today
        self.accept_dialog: AcceptanceDialog | None = None
        self.accept_button = QPushButton(self.tr("Record &acceptance…"))
        self.accept_button.setAccessibleName(self.tr(
            "Record the day the receiving service accepted the selected transfer"))
        self.accept_button.clicked.connect(self._on_accept_button_clicked)
        self.add_button(self.accept_button, allowed=accept is not None)
        self.table.row_activated.connect(self._on_table_row_activated)

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 transfer of oversight waiting to be accepted"),
                      self.tr("%n transfers of oversight waiting to be accepted"))

    def open_accept_dialog(self, row_index: int | None = None) -> AcceptanceDialog | None:
        """Ask the day the chosen (or selected) transfer was accepted."""
        index = self.table.current_row() if row_index is None else row_index
        if index is None or self._accept is None:
            return None
        self.accept_dialog = AcceptanceDialog(self.model.row(index), self._today(), self)
        accept = self._accept
        save_from(self.accept_dialog, self._run, lambda acceptance: lambda: accept(acceptance),
                  self._on_accepted)
        self.accept_dialog.open()
        return self.accept_dialog

    def _on_accept_button_clicked(self, _checked: bool = False) -> None:
        self.open_accept_dialog()

    def _on_table_row_activated(self, row: int) -> None:
        self.open_accept_dialog(row)

    def _on_accepted(self, _result: object) -> None:
        self.accept_dialog = None
        self.message_label.setText(self.tr("Recorded: the transfer of oversight was accepted."))
        self.refresh()


class ReviewsDueWidget(RegisterWidget[ReviewDueRow]):
    """Reviews overdue (red) or due within 30 days (amber), with "Record review…".

    ``left_community_health(person_id)`` is emitted once a review recorded that the person
    is no longer open to community health services (the people controller offers the
    transfer of oversight)."""

    left_community_health = Signal(str)

    def __init__(self, run: Run, load: Callable[[], Sequence[ReviewDueRow]],
                 record: Callable[[ReviewAnswers], object] | None,
                 today: Callable[[], dt.date] = dt.date.today,
                 look_again: Callable[[], Sequence[ReconsiderRow]] | None = None, *,
                 awaiting: Callable[[], Sequence[AwaitingRow]] | None = None,
                 accept: Callable[[Acceptance], object] | None = None,
                 signpost_services: Callable[[], Sequence[str]] | None = None) -> None:
        super().__init__(run, load)
        # The signposting list, for a role that may also record signposting at a review.
        self._signpost_services = signpost_services
        self.message_label.setTextFormat(Qt.TextFormat.PlainText)  # may name a service typed
        kinds = {"three_month": self.tr("3-month"), "annual": self.tr("Annual"),
                 "change_of_need": self.tr("Change of need")}
        columns: list[Column[ReviewDueRow]] = [
            Column(self.tr("Status"), self.status_text),
            Column(self.tr("Due"), lambda r: uk_date(r.due_on)),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("NHS number"), lambda r: r.nhs_number_display),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Review"), lambda r: kinds.get(r.kind, r.kind))]
        self.configure(self.tr("Reviews due"), columns, self.tone_of)
        self._record, self._today = record, today
        self.review_dialog: RecordReviewDialog | None = None
        self.record_button = QPushButton(self.tr("&Record review…"))
        self.record_button.setAccessibleName(self.tr("Record the selected review"))
        self.record_button.clicked.connect(self._on_record_button_clicked)
        self.add_button(self.record_button, allowed=record is not None)
        self.table.row_activated.connect(self._on_table_row_activated)
        self.look_again: LookAgainWidget | None = None
        if look_again is not None:
            self.look_again = LookAgainWidget(run, look_again)
            self.embed(self.look_again)
        self.awaiting: AwaitingAcceptanceWidget | None = None
        if awaiting is not None:
            self.awaiting = AwaitingAcceptanceWidget(run, awaiting, accept, today)
            self.embed(self.awaiting)

    def refresh(self) -> None:
        """Reload every list."""
        super().refresh()
        for part in (self.look_again, self.awaiting):
            if part is not None:
                part.refresh()

    @staticmethod
    def tone_of(row: _WithStatus) -> Tone | None:
        """Red when overdue, amber when due soon."""
        return {ReviewStatus.OVERDUE: Tone.ALERT,
                ReviewStatus.DUE_SOON: Tone.WARNING}.get(row.status)

    def status_text(self, row: ReviewDueRow) -> str:
        """The status in words, so colour is never the only signal."""
        if row.status is ReviewStatus.OVERDUE:
            return plural(row.days_overdue, self.tr("Overdue by 1 day"),
                          self.tr("Overdue by %n days"))
        if row.days_overdue == 0:
            return self.tr("Due today")
        if row.status is ReviewStatus.DUE_SOON:
            return plural(-row.days_overdue, self.tr("Due soon: tomorrow"),
                          self.tr("Due soon: in %n days"))
        return self.tr("Not due yet")

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 review overdue or due in the next 30 days"),
                      self.tr("%n reviews overdue or due in the next 30 days"))

    def open_record_dialog(self, row_index: int | None = None) -> RecordReviewDialog | None:
        """Open the record-review dialog for the chosen (or selected) row."""
        index = self.table.current_row() if row_index is None else row_index
        if index is None or self._record is None:
            return None
        dialog = RecordReviewDialog(self.model.row(index), self._today(), self,
                                    signposting=self._signpost_services is not None)
        self.review_dialog = dialog
        dialog.review_entered.connect(self._on_review_dialog_review_entered)
        dialog.open()
        if dialog.signposting is not None and self._signpost_services is not None:
            self._run(self._signpost_services, dialog.signposting.set_services)
        return dialog

    def _on_record_button_clicked(self, _checked: bool = False) -> None:
        self.open_record_dialog()

    def _on_table_row_activated(self, row: int) -> None:
        self.open_record_dialog(row)

    def _on_review_dialog_review_entered(self, answers: ReviewAnswers) -> None:
        record = self._record
        assert record is not None  # the dialog only opens when recording is allowed
        row = self.review_dialog.row if self.review_dialog is not None else None

        def recorded(result: object) -> None:
            self._on_review_recorded(result)
            if answers.left_community_health and row is not None:
                self.left_community_health.emit(row.person_id)

        self._run(lambda: record(answers), recorded, self._on_record_failed)

    def _on_record_failed(self, error: ExpectedError) -> None:
        """The service refused (e.g. the register shows a lapsed sign-off): say why in the
        dialog, which stays open with everything typed."""
        dialog = self.review_dialog
        if dialog is not None:
            dialog.error_label.setText(str(getattr(error, "message", error)))
            if dialog.signposting is not None and isinstance(error, ValidationError):
                dialog.signposting.show_problem(error.message, error.field)

    def _on_review_recorded(self, result: object) -> None:
        if self.review_dialog is not None:
            self.review_dialog.accept()
            self.review_dialog = None
        signposted = result if isinstance(result, SignpostingAfterReview) else None
        result = signposted.review if signposted is not None else result
        next_on = getattr(result, "next_review_on", None)
        text = (self.tr("Review recorded. The next review is due %1.").replace(
            "%1", uk_date(next_on)) if next_on else
            self.tr("Review recorded. The task returns to Health; its sign-offs are suspended."))
        if getattr(result, "mdt_needed", False):
            text += " " + self.tr("Arrange an MDT meeting to agree a new support plan.")
        if signposted is not None:
            text += " " + signposted.words()
        self.message_label.setText(text)
        self.refresh()


