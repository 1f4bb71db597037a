"""The competency register: sign-offs per worker, person and task; withdrawing one, and
recording training, an assessment or a refresher (``competence_forms``).

A superseded sign-off (replaced by a refresher or reassessment) is history, not something to
act on: the register hides it unless "Show superseded sign-offs" is ticked, so its old
refresher date never shows as an expired sign-off beside the one that replaced it."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from typing import Any

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.models.competency import AssessmentOutcome, SignOffStatus
from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.framework.funding import format_pounds
from desktop_app.services.framework.labels import BACKFILL_PAYERS
from desktop_app.services.providers.competence import (
    AssessmentInput,
    AssessmentRow,
    TrainingInput,
    TrainingRow,
)
from desktop_app.services.registers import AssessmentChoices, CompetencyRow, Expiry
from desktop_app.ui.forms import FormDialog
from desktop_app.ui.registers.base import Column, RegisterWidget, Tone, plural
from desktop_app.ui.registers.competence_forms import AssessmentDialog, TrainingDialog
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run


class ReasonDialog(QDialog):
    """Asks for the reason for withdrawing a sign-off; emits ``reason_given``."""

    reason_given = Signal(str)

    def __init__(self, about: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Withdraw sign-off"))
        self.reason_edit = QLineEdit()
        self.reason_edit.setAccessibleName(self.tr("Reason for withdrawing the sign-off"))
        label = QLabel(self.tr("&Reason:"))
        label.setBuddy(self.reason_edit)
        self.error_label = QLabel()
        self.error_label.setAccessibleName(self.tr("Problem with the reason"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        ok = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        ok.setText(self.tr("&Withdraw"))
        ok.setAccessibleName(self.tr("Withdraw the sign-off"))
        self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setAccessibleName(
            self.tr("Cancel"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(about))
        layout.addWidget(label)
        layout.addWidget(self.reason_edit)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def _on_buttons_accepted(self) -> None:
        reason = self.reason_edit.text().strip()
        self.error_label.setText("" if reason else self.tr("Give the reason."))
        if reason:
            self.reason_given.emit(reason)


class CompetencyRegisterWidget(RegisterWidget[CompetencyRow]):
    """Every sign-off: a current one expired (red) or expiring within 60 days (amber).

    ``load`` returns superseded sign-offs too; the widget shows them when asked. The record
    actions are given together with ``choices`` (what their dialogs offer)."""

    def __init__(self, run: Run, load: Callable[[], Sequence[CompetencyRow]],
                 withdraw: Callable[[str, str], object] | None = None, *,
                 choices: Callable[[], AssessmentChoices] | None = None,
                 record_assessment: Callable[[AssessmentInput], AssessmentRow] | None = None,
                 record_refresher: Callable[[AssessmentInput], AssessmentRow] | None = None,
                 record_training: Callable[[TrainingInput], TrainingRow] | None = None,
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(run, load)
        statuses = {"current": self.tr("Current"), "suspended": self.tr("Suspended"),
                    "withdrawn": self.tr("Withdrawn"), "superseded": self.tr("Superseded")}
        columns: list[Column[CompetencyRow]] = [
            Column(self.tr("Refresher"), self.expiry_text),
            Column(self.tr("Sign-off"), lambda r: statuses.get(r.status, r.status)),
            Column(self.tr("Care worker"), lambda r: r.worker_name),
            Column(self.tr("Provider"), lambda r: r.provider_name),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Level"), lambda r: str(r.training_level)),
            Column(self.tr("Signed off"), lambda r: uk_date(r.signed_off_on)),
            Column(self.tr("Refresher due"), lambda r: uk_date(r.refresher_due))]
        self.configure(self.tr("Competency register"), columns, self.tone_of)
        self._withdraw, self._choices, self._today = withdraw, choices, today
        self._assess, self._refresh_sign_off = record_assessment, record_refresher
        self._train = record_training
        self.reason_dialog: ReasonDialog | None = None
        self.form_dialog: FormDialog[Any] | None = None
        self.superseded_check = QCheckBox(self.tr("Show &superseded sign-offs"))
        self.superseded_check.setAccessibleName(
            self.tr("Show sign-offs replaced by a refresher or reassessment"))
        self.superseded_check.toggled.connect(self._on_superseded_check_toggled)
        self.layout_.insertWidget(self.layout_.indexOf(self.table), self.superseded_check)
        self.withdraw_button = QPushButton(self.tr("&Withdraw sign-off…"))
        self.withdraw_button.setAccessibleName(self.tr("Withdraw the selected sign-off"))
        self.withdraw_button.clicked.connect(self._on_withdraw_button_clicked)
        self.refresher_button = QPushButton(self.tr("Record refres&her…"))
        self.refresher_button.setAccessibleName(
            self.tr("Record a refresher or reassessment of the selected sign-off"))
        self.refresher_button.clicked.connect(self._on_refresher_button_clicked)
        self.assessment_button = QPushButton(self.tr("Record &assessment…"))
        self.assessment_button.setAccessibleName(self.tr("Record an assessment of competence"))
        self.assessment_button.clicked.connect(self._on_assessment_button_clicked)
        self.training_button = QPushButton(self.tr("Record &training…"))
        self.training_button.setAccessibleName(
            self.tr("Record training and its backfill cost"))
        self.training_button.clicked.connect(self._on_training_button_clicked)
        self.add_button(self.withdraw_button, allowed=withdraw is not None)
        for button, action in ((self.refresher_button, record_refresher),
                               (self.assessment_button, record_assessment),
                               (self.training_button, record_training)):
            self.add_button(button, allowed=action is not None and choices is not None)
        QWidget.setTabOrder(self.superseded_check, self.table)
        self.table.row_activated.connect(self._on_table_row_activated)

    def loader(self) -> Callable[[], Sequence[CompetencyRow]]:
        """The rows, without the superseded ones unless asked (read on this thread)."""
        load, show = self._load, self.superseded_check.isChecked()
        return lambda: [r for r in load() if show or r.status != SignOffStatus.SUPERSEDED]

    @staticmethod
    def tone_of(row: CompetencyRow) -> Tone | None:
        """Red or amber for a current sign-off only: the others cannot be relied on anyway,
        and their status column says so."""
        if row.status != "current":
            return None
        return {Expiry.EXPIRED: Tone.ALERT, Expiry.EXPIRING: Tone.WARNING}.get(row.expiry)

    def expiry_text(self, row: CompetencyRow) -> str:
        """The refresher's state in words (a superseded sign-off's no longer matters)."""
        days = row.days_to_refresher
        if row.status == SignOffStatus.SUPERSEDED:
            return self.tr("Replaced")
        if row.expiry is Expiry.EXPIRED:
            return plural(-days, self.tr("Expired yesterday"), self.tr("Expired %n days ago"))
        if row.expiry is Expiry.EXPIRING:
            return self.tr("Expires today") if days == 0 else plural(
                days, self.tr("Expiring: tomorrow"), self.tr("Expiring: in %n days"))
        return self.tr("In date")

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 sign-off"), self.tr("%n sign-offs"))

    def selected(self, row_index: int | None = None) -> CompetencyRow | None:
        """The chosen (or selected) row, if any."""
        index = self.table.current_row() if row_index is None else row_index
        return None if index is None else self.model.row(index)

    def open_withdraw_dialog(self, row_index: int | None = None) -> ReasonDialog | None:
        """Ask for the reason to withdraw the chosen (or selected) sign-off."""
        row = self.selected(row_index)
        if row is None or self._withdraw is None:
            return None
        if row.status in ("withdrawn", "superseded"):
            self.message_label.setText(
                self.tr("That sign-off is already withdrawn.") if row.status == "withdrawn"
                else self.tr("That sign-off was replaced: withdraw the one that replaced it."))
            return None
        about = self.tr("%1 for %2: %3").replace("%1", row.worker_name).replace(
            "%2", row.person_name).replace("%3", row.task_name)
        self.reason_dialog = ReasonDialog(about, self)
        self.reason_dialog.reason_given.connect(
            lambda reason: self._on_reason_dialog_reason_given(row.sign_off_id, reason))
        self.reason_dialog.open()
        return self.reason_dialog

    def open_refresher_dialog(self) -> None:
        """Record a refresher of the selected sign-off, which must be current."""
        row = self.selected()
        if row is None or self._refresh_sign_off is None:
            self.message_label.setText(self.tr("Choose the sign-off to refresh."))
            return
        if row.status != SignOffStatus.CURRENT:
            self.message_label.setText(self.tr(
                "Only a current sign-off can be refreshed: record an assessment instead."))
            return
        self._open_form(lambda c: AssessmentDialog(c, self._today(), row, refresher=True,
                                                   parent=self))

    def open_assessment_dialog(self) -> None:
        """Record an assessment (the selected sign-off's worker, person and task filled in)."""
        row = self.selected()
        self._open_form(lambda c: AssessmentDialog(c, self._today(), row, parent=self))

    def open_training_dialog(self) -> None:
        """Record training and its backfill cost."""
        row = self.selected()
        self._open_form(lambda c: TrainingDialog(c, self._today(), row, self))

    def _open_form(self, make: Callable[[AssessmentChoices], FormDialog[Any]]) -> None:
        choices = self._choices
        if choices is not None:
            self._run(choices, lambda found: self._on_choices_loaded(make(found)))

    def _on_choices_loaded(self, dialog: FormDialog[Any]) -> None:
        self.form_dialog = dialog
        dialog.entered.connect(self._on_form_dialog_entered)
        dialog.open()

    def _on_form_dialog_entered(self, data: object) -> None:
        if isinstance(data, TrainingInput) and self._train is not None:
            train = self._train
            self._run(lambda: train(data), self._on_recorded, self._on_record_failed)
        elif isinstance(data, AssessmentInput):
            record = self._refresh_sign_off if data.refreshes_sign_off_id else self._assess
            if record is not None:
                self._run(lambda: record(data), self._on_recorded, self._on_record_failed)

    def _on_record_failed(self, error: ExpectedError) -> None:
        if self.form_dialog is not None:
            self.form_dialog.show_error(error)

    def _on_recorded(self, result: object) -> None:
        if self.form_dialog is not None:
            self.form_dialog.accept()
            self.form_dialog = None
        self.message_label.setText(self.recorded_text(result))
        self.refresh()

    def recorded_text(self, result: object) -> str:
        """What was recorded, in words."""
        if isinstance(result, TrainingRow):
            text = self.tr("Training recorded for %1.").replace("%1", result.worker_name)
            if result.backfill_payer is not None and result.backfill_pence:
                text += " " + self.tr("Backfill %1, paid by %2.").replace(
                    "%1", format_pounds(result.backfill_pence)).replace(
                    "%2", BACKFILL_PAYERS[result.backfill_payer])
            return text
        assert isinstance(result, AssessmentRow)
        if result.outcome is AssessmentOutcome.COMPETENT and result.sign_off is not None:
            text = self.tr("Signed off competent; the refresher is due %1.").replace(
                "%1", uk_date(result.sign_off.refresher_due))
            if result.superseded_id:
                text += " " + self.tr("The sign-off it replaces is kept as superseded.")
            return text
        text = self.tr("Not yet competent: the task stays with the nurse. It is on the "
                       "Reconsider list in Reviews due for %1.").replace(
            "%1", uk_date(result.retrain_by))
        if result.withdrawn_id:
            text += " " + self.tr("The sign-off it had is withdrawn.")
        return text

    def _on_superseded_check_toggled(self, _checked: bool) -> None:
        self.refresh()

    def _on_withdraw_button_clicked(self, _checked: bool = False) -> None:
        self.open_withdraw_dialog()

    def _on_refresher_button_clicked(self, _checked: bool = False) -> None:
        self.open_refresher_dialog()

    def _on_assessment_button_clicked(self, _checked: bool = False) -> None:
        self.open_assessment_dialog()

    def _on_training_button_clicked(self, _checked: bool = False) -> None:
        self.open_training_dialog()

    def _on_table_row_activated(self, row: int) -> None:
        self.open_withdraw_dialog(row)

    def _on_reason_dialog_reason_given(self, sign_off_id: str, reason: str) -> None:
        withdraw = self._withdraw
        assert withdraw is not None
        self._run(lambda: withdraw(sign_off_id, reason), self._on_sign_off_withdrawn)

    def _on_sign_off_withdrawn(self, _result: object) -> None:
        if self.reason_dialog is not None:
            self.reason_dialog.accept()
            self.reason_dialog = None
        self.message_label.setText(self.tr("Sign-off withdrawn."))
        self.refresh()
