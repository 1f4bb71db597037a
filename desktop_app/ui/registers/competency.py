"""The competency register: sign-offs per worker, person and task, and withdrawing one."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QDialog,
    QDialogButtonBox,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.registers import (
    CompetencyRow,
    Expiry,
)
from desktop_app.ui.registers.base import Column, RegisterWidget, Tone, plural
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
    """Every sign-off: a current one expired (red) or expiring within 60 days (amber)."""

    def __init__(self, run: Run, load: Callable[[], Sequence[CompetencyRow]],
                 withdraw: Callable[[str, str], object] | None = None) -> None:
        super().__init__(run, load)
        statuses = {"current": self.tr("Current"), "suspended": self.tr("Suspended"),
                    "withdrawn": self.tr("Withdrawn")}
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
        self._withdraw = withdraw
        self.reason_dialog: ReasonDialog | None = None
        self.withdraw_button = QPushButton(self.tr("&Withdraw sign-off…"))
        self.withdraw_button.setAccessibleName(self.tr("Withdraw the selected sign-off"))
        self.withdraw_button.clicked.connect(self._on_withdraw_button_clicked)
        self.add_button(self.withdraw_button, allowed=withdraw is not None)
        self.table.row_activated.connect(self._on_table_row_activated)

    @staticmethod
    def tone_of(row: CompetencyRow) -> Tone | None:
        """Red or amber for a current sign-off only: the others cannot be relied on anyway,
        and their status column says so."""
        if row.status != "current":
            return None
        return {Expiry.EXPIRED: Tone.ALERT, Expiry.EXPIRING: Tone.WARNING}.get(row.expiry)

    def expiry_text(self, row: CompetencyRow) -> str:
        """The refresher's state in words."""
        days = row.days_to_refresher
        if row.expiry is Expiry.EXPIRED:
            return plural(-days, self.tr("Expired yesterday"), self.tr("Expired %n days ago"))
        if row.expiry is Expiry.EXPIRING:
            return self.tr("Expires today") if days == 0 else plural(
                days, self.tr("Expiring: tomorrow"), self.tr("Expiring: in %n days"))
        return self.tr("In date")

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 sign-off"), self.tr("%n sign-offs"))

    def open_withdraw_dialog(self, row_index: int | None = None) -> ReasonDialog | None:
        """Ask for the reason to withdraw the chosen (or selected) sign-off."""
        index = self.table.current_row() if row_index is None else row_index
        if index is None or self._withdraw is None:
            return None
        row = self.model.row(index)
        if row.status == "withdrawn":
            self.message_label.setText(self.tr("That sign-off is already withdrawn."))
            return None
        about = self.tr("%1 for %2: %3").replace("%1", row.worker_name).replace(
            "%2", row.person_name).replace("%3", row.task_name)
        self.reason_dialog = ReasonDialog(about, self)
        self.reason_dialog.reason_given.connect(
            lambda reason: self._on_reason_dialog_reason_given(row.sign_off_id, reason))
        self.reason_dialog.open()
        return self.reason_dialog

    def _on_withdraw_button_clicked(self, _checked: bool = False) -> None:
        self.open_withdraw_dialog()

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


