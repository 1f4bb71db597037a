"""The register screens: reviews due, competency, escalations and case examples (issue 4).

Each screen is a small widget around one ``QTableView`` and the shared ``RowTableModel``.
A widget never touches the database: it is given ``run(fn, done)`` (``TaskRunner.run`` in
the app, which runs ``fn`` on the database thread and calls ``done`` back on this one) and
the service functions as plain callables, already bound to the unit of work. Errors from a
write go to the runner's standard handler; a dialog stays open until its write succeeded,
so nothing typed is lost.

Colour is never the only signal: every highlighted row has a status column that says the
same in words. Keyboard: Tab leaves the table, Enter on a row does the row's action, and
every button has a mnemonic.
"""

from __future__ import annotations

import datetime as dt
import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import (
    QAbstractTableModel,
    QDate,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QButtonGroup,
    QComboBox,
    QDateEdit,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QRadioButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.models.review import ReviewOutcome
from desktop_app.services.registers import (
    CaseExampleRow,
    CompetencyRow,
    EscalationRow,
    Expiry,
    ReviewDueRow,
    WaitingFor,
)
from desktop_app.services.review_schedule import ReviewStatus
from desktop_app.ui.wizard.fields import YesNo

Run = Callable[[Callable[[], Any], Callable[[Any], None]], Any]
Index = QModelIndex | QPersistentModelIndex
SEARCH_DELAY_MS = 250
_ROOT = QModelIndex()


class Tone(enum.Enum):
    """How urgently a row asks for attention (always said in words too)."""

    ALERT = "alert"
    WARNING = "warning"


# Background and text colours with a contrast ratio above 7:1 (WCAG AAA).
TONE_COLOURS = {Tone.ALERT: ("#f8d7da", "#58151c"), Tone.WARNING: ("#fff3cd", "#4d3a00")}


def plural(count: int, one: str, many: str) -> str:
    """``one`` for exactly one, else ``many`` with ``%n`` filled in (both already translated,
    so the app reads well before any translation file is installed)."""
    return one if count == 1 else many.replace("%n", str(count))


def uk_date(day: dt.date | None) -> str:
    """A date as nurses write it: 31/01/2027 (empty when there is none)."""
    return day.strftime("%d/%m/%Y") if day else ""


@dataclass(frozen=True)
class Column:
    """One column of a register: its heading and how a row shows in it."""

    title: str
    text: Callable[[Any], str]


class RowTableModel(QAbstractTableModel):
    """A read-only table of frozen rows, with an optional tone per row for highlighting."""

    def __init__(self, columns: Sequence[Column] = (),
                 tone: Callable[[Any], Tone | None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[Column] = []
        self._tone: Callable[[Any], Tone | None] = lambda _row: None
        self._rows: list[Any] = []
        self.set_columns(columns, tone)

    def set_columns(self, columns: Sequence[Column],
                    tone: Callable[[Any], Tone | None] | None = None) -> None:
        """Set the columns and the highlighting rule (the rows stay)."""
        self.beginResetModel()
        self._columns = list(columns)
        self._tone = tone or (lambda _row: None)
        self.endResetModel()

    def set_rows(self, rows: Sequence[Any]) -> None:
        """Replace every row (the services return whole, sorted lists)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> Any:
        """The frozen row shown at ``index``."""
        return self._rows[index]

    def tone(self, index: int) -> Tone | None:
        """The highlighting of the row at ``index``, if any."""
        return self._tone(self._rows[index])

    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._columns[index.column()].text(row)
        tone = self._tone(row)
        if tone is not None and role == Qt.ItemDataRole.BackgroundRole:
            return QColor(TONE_COLOURS[tone][0])
        if tone is not None and role == Qt.ItemDataRole.ForegroundRole:
            return QColor(TONE_COLOURS[tone][1])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> Any:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section].title
        return None


class RegisterTable(QTableView):
    """A row-selecting table that Tab leaves and Enter (or a double click) activates."""

    row_activated = Signal(int)

    def __init__(self, model: RowTableModel) -> None:
        super().__init__()
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.doubleClicked.connect(self._on_self_double_clicked)

    def current_row(self) -> int | None:
        """The selected row, or None when the table is empty."""
        index = self.currentIndex()
        return index.row() if index.isValid() else None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current_row() is not None:
            self.row_activated.emit(self.current_row())
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_self_double_clicked(self, index: QModelIndex) -> None:
        self.row_activated.emit(index.row())


class RegisterWidget(QWidget):
    """The common frame of a register: heading, table, a count, a message and buttons."""

    refreshed = Signal()

    def __init__(self, run: Run, load: Callable[[], Sequence[Any]]) -> None:
        super().__init__()
        self._run, self._load, self._serial, self._shown_once = run, load, 0, False
        self.model = RowTableModel(parent=self)
        self.table = RegisterTable(self.model)
        self.heading = QLabel()
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Number of rows"))
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("Message"))
        self.refresh_button = QPushButton(self.tr("Re&fresh"))
        self.refresh_button.setAccessibleName(self.tr("Refresh the list"))
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.refresh_button)
        self.layout_ = QVBoxLayout(self)
        for widget in (self.heading, self.count_label, self.table, self.message_label):
            self.layout_.addWidget(widget, 1 if widget is self.table else 0)
        self.layout_.addLayout(self.buttons)

    def configure(self, title: str, columns: Sequence[Column],
                  tone: Callable[[Any], Tone | None] | None = None) -> None:
        """Name the register and set its columns (after ``__init__``, so ``tr`` is safe)."""
        self.heading.setText(f"<h3>{title}</h3>")
        self.table.setAccessibleName(title)
        self.model.set_columns(columns, tone)

    def add_button(self, button: QPushButton) -> None:
        """Put an action button before Refresh, in Tab order after the table."""
        self.buttons.insertWidget(self.buttons.count() - 1, button)
        QWidget.setTabOrder(self.table, button)
        QWidget.setTabOrder(button, self.refresh_button)

    def refresh(self) -> None:
        """Load the rows again off the GUI thread; a late answer to an older load is dropped."""
        self._serial += 1
        serial = self._serial
        self._run(self.loader(), lambda rows: self._on_rows_loaded(serial, rows))

    def loader(self) -> Callable[[], Sequence[Any]]:
        """The work to run for a refresh; it must not read widgets (it runs on another
        thread), so a register with filters captures them here, on the GUI thread."""
        return self._load

    def count_text(self, count: int) -> str:
        """The line above the table; registers override it with their own words."""
        return plural(count, self.tr("1 row"), self.tr("%n rows"))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.refresh()

    def _on_refresh_button_clicked(self, _checked: bool = False) -> None:
        self.refresh()

    def _on_rows_loaded(self, serial: int, rows: Sequence[Any]) -> None:
        if serial != self._serial:
            return
        self.model.set_rows(rows)
        self.count_label.setText(self.count_text(len(rows)))
        if rows:
            self.table.selectRow(0)
        self.refreshed.emit()


# ---------------------------------------------------------------- reviews due


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


class RecordReviewDialog(QDialog):
    """Done date, outcome, the three S11 questions and notes for one review.

    Emits ``review_entered`` when complete; the caller closes it once the review is saved.
    """

    review_entered = Signal(object)

    def __init__(self, row: ReviewDueRow, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self._row = row
        self.setWindowTitle(self.tr("Record review"))
        about = QLabel(self.tr("Review of %1 (NHS number %2), %3, due %4")
                       .replace("%1", row.person_name).replace("%2", row.nhs_number_display)
                       .replace("%3", row.task_name).replace("%4", uk_date(row.due_on)))
        about.setWordWrap(True)
        about.setAccessibleName(self.tr("Whose review"))
        self.done_edit = QDateEdit(QDate(today.year, today.month, today.day))
        self.done_edit.setDisplayFormat("dd/MM/yyyy")
        self.done_edit.setCalendarPopup(True)
        self.done_edit.setMaximumDate(QDate(today.year, today.month, today.day))
        self.done_edit.setAccessibleName(self.tr("Date the review was done"))
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
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        chain = [self.done_edit, self.continue_button, self.change_button, self.withdraw_button,
                 self.stable.yes, self.stable.no, self.competent.yes, self.competent.no,
                 self.incident.yes, self.incident.no, self.notes_edit, ok, cancel]
        for first, second in zip(chain, chain[1:], strict=False):
            QWidget.setTabOrder(first, second)
        self.done_edit.setFocus()

    def chosen_outcome(self) -> ReviewOutcome | None:
        """The outcome ticked, or None."""
        button = self._outcomes.checkedButton()
        return ReviewOutcome(button.property("outcome")) if button else None

    def problem(self) -> str | None:
        """What is missing or contradictory, in words; None when the review is complete."""
        outcome = self.chosen_outcome()
        answers = (self.stable.value(), self.competent.value(), self.incident.value())
        notes = self.notes_edit.toPlainText().strip()
        if outcome is None:
            return self.tr("Choose the outcome: continue, change of need or withdraw.")
        if None in answers:
            return self.tr("Answer all three questions yes or no.")
        returns_to_health = answers[0] is False or answers[1] is False or answers[2] is True
        if returns_to_health and outcome is not ReviewOutcome.WITHDRAW:
            return self.tr("These answers mean the task returns to Health: choose Withdraw.")
        if not notes and (returns_to_health or outcome is not ReviewOutcome.CONTINUE):
            return self.tr("Say in the notes what changed, or why the task is withdrawn.")
        return None

    def _on_buttons_accepted(self) -> None:
        problem = self.problem()
        self.error_label.setText(problem or "")
        outcome = self.chosen_outcome()
        if problem or outcome is None:
            return
        done = self.done_edit.date()
        self.review_entered.emit(ReviewAnswers(
            self._row.review_id, dt.date(done.year(), done.month(), done.day()), outcome,
            bool(self.stable.value()), bool(self.competent.value()),
            bool(self.incident.value()), self.notes_edit.toPlainText().strip()))


class ReviewsDueWidget(RegisterWidget):
    """Reviews overdue (red) or due within 30 days (amber), with "Record review…"."""

    def __init__(self, run: Run, load: Callable[[], Sequence[ReviewDueRow]],
                 record: Callable[[ReviewAnswers], Any],
                 today: Callable[[], dt.date] = dt.date.today) -> None:
        super().__init__(run, load)
        kinds = {"three_month": self.tr("3-month"), "annual": self.tr("Annual"),
                 "change_of_need": self.tr("Change of need")}
        columns = [Column(self.tr("Status"), self.status_text),
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
        self.add_button(self.record_button)
        self.table.row_activated.connect(self._on_table_row_activated)

    @staticmethod
    def tone_of(row: ReviewDueRow) -> Tone | None:
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
        if index is None:
            return None
        self.review_dialog = RecordReviewDialog(self.model.row(index), self._today(), self)
        self.review_dialog.review_entered.connect(self._on_review_dialog_review_entered)
        self.review_dialog.open()
        return self.review_dialog

    def _on_record_button_clicked(self, _checked: bool = False) -> None:
        self.open_record_dialog()

    def _on_table_row_activated(self, row: int) -> None:
        self.open_record_dialog(row)

    def _on_review_dialog_review_entered(self, answers: ReviewAnswers) -> None:
        self._run(lambda: self._record(answers), self._on_review_recorded)

    def _on_review_recorded(self, result: Any) -> None:
        if self.review_dialog is not None:
            self.review_dialog.accept()
            self.review_dialog = None
        next_on = getattr(result, "next_review_on", None)
        text = (self.tr("Review recorded. The next review is due %1.").replace(
            "%1", uk_date(next_on)) if next_on else
            self.tr("Review recorded. The task returns to Health; its sign-offs are suspended."))
        if getattr(result, "mdt_needed", False):
            text += " " + self.tr("Arrange an MDT meeting to agree a new support plan.")
        self.message_label.setText(text)
        self.refresh()


# ---------------------------------------------------------------- competency register


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


class CompetencyRegisterWidget(RegisterWidget):
    """Every sign-off: a current one expired (red) or expiring within 60 days (amber)."""

    def __init__(self, run: Run, load: Callable[[], Sequence[CompetencyRow]],
                 withdraw: Callable[[str, str], Any] | None = None) -> None:
        super().__init__(run, load)
        statuses = {"current": self.tr("Current"), "suspended": self.tr("Suspended"),
                    "withdrawn": self.tr("Withdrawn")}
        columns = [Column(self.tr("Refresher"), self.expiry_text),
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
        self.withdraw_button.setEnabled(withdraw is not None)
        self.withdraw_button.clicked.connect(self._on_withdraw_button_clicked)
        self.add_button(self.withdraw_button)
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
        row: CompetencyRow = self.model.row(index)
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

    def _on_sign_off_withdrawn(self, _result: Any) -> None:
        if self.reason_dialog is not None:
            self.reason_dialog.accept()
            self.reason_dialog = None
        self.message_label.setText(self.tr("Sign-off withdrawn."))
        self.refresh()


# ---------------------------------------------------------------- escalations


class EscalationsWidget(RegisterWidget):
    """The two-weekly joint meeting list: open shared care discussions, longest waiting first."""

    def __init__(self, run: Run, load: Callable[[], Sequence[EscalationRow]]) -> None:
        super().__init__(run, load)
        waiting = {WaitingFor.MDT_CONSENSUS: self.tr("MDT consensus"),
                   WaitingFor.FUNDING_DECISION: self.tr("Funding decision")}
        columns = [
            Column(self.tr("Waiting"), lambda r: plural(r.days_waiting, self.tr("1 day"),
                                                 self.tr("%n days"))),
            Column(self.tr("Waiting for"), lambda r: waiting.get(r.waiting_for, r.waiting_for)),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Interim funder"), lambda r: r.interim_funder_name),
            Column(self.tr("Interim a week"),
                   lambda r: r.interim_weekly or self.tr("None recorded")),
            Column(self.tr("Since"), lambda r: uk_date(r.interim_from)),
            Column(self.tr("To MLCSU"),
                   lambda r: self.tr("Yes") if r.escalated_to_mlcsu else self.tr("No")),
            Column(self.tr("Dispute reference"), lambda r: r.dispute_reference or ""),
            Column(self.tr("Question"), lambda r: r.question)]
        self.configure(self.tr("Escalations and joint meeting list"), columns)

    def count_text(self, count: int) -> str:
        return plural(count,
                      self.tr("1 case waiting for MDT consensus or a funding decision"),
                      self.tr("%n cases waiting for MDT consensus or a funding decision"))


# ---------------------------------------------------------------- case examples


class CaseExamplesWidget(RegisterWidget):
    """Anonymised shared care decisions, searched by words, task category and theme.

    ``search(text, task_category, theme)`` returns the rows; ``themes()`` the theme list.
    """

    def __init__(self, run: Run,
                 search: Callable[[str, str | None, str | None], Sequence[CaseExampleRow]],
                 themes: Callable[[], Sequence[str]],
                 categories: Sequence[tuple[str, str]]) -> None:
        super().__init__(run, lambda: [])
        self._search, self._themes, self._themes_loaded = search, themes, False
        columns = [Column(self.tr("Decided"), lambda r: uk_date(r.decided_on)),
                   Column(self.tr("Task category"), lambda r: r.task_category_label),
                   Column(self.tr("Task"), lambda r: r.task_name),
                   Column(self.tr("Themes"), lambda r: ", ".join(r.themes)),
                   Column(self.tr("Outcome"), lambda r: r.outcome_title),
                   Column(self.tr("Summary"), lambda r: r.summary)]
        self.configure(self.tr("Case examples"), columns)
        self.search_edit = QLineEdit()
        self.search_edit.setAccessibleName(self.tr("Search the case examples"))
        self.search_edit.setPlaceholderText(self.tr("Words in the summary, task or themes"))
        self.category_combo = QComboBox()
        self.category_combo.setAccessibleName(self.tr("Task category filter"))
        self.category_combo.addItem(self.tr("All task categories"), None)
        for code, label in categories:
            self.category_combo.addItem(label, code)
        self.theme_combo = QComboBox()
        self.theme_combo.setAccessibleName(self.tr("Theme filter"))
        self.theme_combo.addItem(self.tr("All themes"), None)
        self.summary_view = QPlainTextEdit()
        self.summary_view.setReadOnly(True)
        self.summary_view.setTabChangesFocus(True)
        self.summary_view.setAccessibleName(self.tr("Summary of the selected case example"))
        self.layout_.insertLayout(1, self._filters())
        self.layout_.insertWidget(self.layout_.indexOf(self.message_label), self.summary_view)
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.category_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.theme_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.table.row_activated.connect(self._on_table_row_activated)
        for first, second in ((self.search_edit, self.category_combo),
                              (self.category_combo, self.theme_combo),
                              (self.theme_combo, self.table),
                              (self.table, self.summary_view),
                              (self.summary_view, self.refresh_button)):
            QWidget.setTabOrder(first, second)

    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for text, field in ((self.tr("&Search:"), self.search_edit),
                            (self.tr("Task &category:"), self.category_combo),
                            (self.tr("T&heme:"), self.theme_combo)):
            label = QLabel(text)
            label.setBuddy(field)
            row.addWidget(label)
            row.addWidget(field, 2 if field is self.search_edit else 1)
        return row

    def refresh(self) -> None:
        """Reload the theme list once, then search with the current filters."""
        if not self._themes_loaded:
            self._themes_loaded = True
            self._run(self._themes, self._on_themes_loaded)
        super().refresh()

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 case example"), self.tr("%n case examples"))

    def loader(self) -> Callable[[], Sequence[CaseExampleRow]]:
        text = self.search_edit.text()
        category = self.category_combo.currentData()
        theme = self.theme_combo.currentData()
        return lambda: self._search(text, category, theme)

    def _on_themes_loaded(self, themes: Sequence[str]) -> None:
        for theme in themes:
            self.theme_combo.addItem(theme, theme)

    def _on_search_edit_text_changed(self, _text: str) -> None:
        self._timer.start()

    def _on_filter_changed(self, _index: int) -> None:
        self._timer.stop()
        self.refresh()

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.summary_view.setPlainText(self.model.row(current.row()).summary
                                       if current.isValid() else "")

    def _on_table_row_activated(self, _row: int) -> None:
        self.summary_view.setFocus()

