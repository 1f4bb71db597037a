"""Escalations and the two-weekly joint meeting list, and closing a shared care discussion.

The open shared care discussions (waiting for MDT consensus or a funding decision, with the
interim without-prejudice funder and how long each has waited), and below them one tab for
each list that follows decisions up, saying how many it holds: the running delegations
whose review found a change of need, waiting for the MDT to agree a new plan; the
delegations that ended with funding lines, whose funding the partners must reconsider (a
team lead records when they did); and the interim funding still to reconcile
(``reconciliation``). A team lead closes a discussion with its decision and themes; the
decision can become an anonymised case example (the service refuses one that names the
person), and may record the funding split the partners agreed from a day (a new support
plan version carries it). A joint-funding dispute's way through the CSU is recorded with
"Routed to CSU…" and "CSU result…" (``funding_decisions``).
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Protocol, TypeVar

from PySide6.QtCore import QT_TR_NOOP, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.registers import (
    AgreedFunding,
    ChangeOfNeedRow,
    EscalationRow,
    FundingToReconsiderRow,
    InterimToReconcileRow,
    WaitingFor,
)
from desktop_app.ui.forms import DateLine
from desktop_app.ui.registers.base import Column, RegisterWidget, plural
from desktop_app.ui.registers.funding_decisions import (
    AgreedFundingBox,
    CsuActions,
    CsuResult,
    CsuRouting,
)
from desktop_app.ui.registers.reconciliation import (
    InterimToReconcileWidget,
    ReconciliationEntry,
)
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text


class _Waiting(Protocol):
    """A case waiting for the partners, as the waiting lists show it."""

    @property
    def days_waiting(self) -> int: ...
    @property
    def person_name(self) -> str: ...
    @property
    def nhs_number_display(self) -> str: ...
    @property
    def task_name(self) -> str: ...


W = TypeVar("W", bound=_Waiting)


@dataclass(frozen=True)
class Closure:
    """What the team lead entered to close a discussion."""

    discussion_id: str
    decision: str
    themes: tuple[str, ...]
    closed_on: dt.date
    make_case_example: bool
    agreed: AgreedFunding | None = None


class CloseDiscussionDialog(QDialog):
    """The decision, its themes, the date, whether to share it as a case example and,
    optionally, the funding split agreed from a day."""

    closure_entered = Signal(object)  # Closure

    def __init__(self, row: EscalationRow, today: dt.date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self._row = row
        self.setWindowTitle(tr("Close shared care discussion"))
        about = QLabel(tr("%1, %2. Opened %3. Question: %4")
                       .replace("%1", escape_text(row.person_name))
                       .replace("%2", escape_text(row.task_name))
                       .replace("%3", uk_date(row.opened_on))
                       .replace("%4", escape_text(row.question)))
        about.setWordWrap(True)
        self.decision_edit = QPlainTextEdit()
        self.decision_edit.setTabChangesFocus(True)
        self.decision_edit.setAccessibleName(tr("The decision"))
        self.decision_edit.setPlaceholderText(tr(
            "What the partners agreed: who provides the task, who funds it, and from when"))
        self.themes_edit = QLineEdit(", ".join(row.themes))
        self.themes_edit.setAccessibleName(tr("Themes, separated by commas"))
        self.themes_edit.setPlaceholderText(tr("e.g. funding, training, consent"))
        self._today = today
        self.closed_edit = DateLine(tr("Date decided"), today, field="closed_on")
        self.example_box = QCheckBox(tr(
            "Share the decision as an anonymised &case example (no names, NHS numbers or "
            "dates of birth in it)"))
        self.example_box.setChecked(True)
        self.agreed_box = AgreedFundingBox(row, today)
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setAccessibleName(tr("Problem with the decision"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(tr("C&lose discussion"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        form = QFormLayout()
        form.addRow(tr("&Decision:"), self.decision_edit)
        form.addRow(tr("&Themes:"), self.themes_edit)
        form.addRow(tr("Decided &on:"), self.closed_edit)
        layout = QVBoxLayout(self)
        layout.addWidget(about)
        layout.addLayout(form)
        layout.addWidget(self.example_box)
        layout.addWidget(self.agreed_box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        order = [self.decision_edit, self.themes_edit, self.closed_edit, self.example_box,
                 self.agreed_box, *self.agreed_box.focus_order(), self.buttons]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def show_error(self, message: str, field: str | None = None) -> None:
        """The service refused: say why (and go to the field it is about); everything typed
        stays."""
        self.error_label.setText(
            f"<span style='color:#a00000'><b>{escape_text(message)}</b></span>")
        target = {"decision": self.decision_edit, "themes": self.themes_edit,
                  "closed_on": self.closed_edit, **self.agreed_box.fields}.get(field or "")
        if target is not None:
            target.setFocus()

    def _on_buttons_accepted(self) -> None:
        decision = self.decision_edit.toPlainText().strip()
        if not decision:
            self.show_error(self.tr("Write down the decision."))
            self.decision_edit.setFocus()
            return
        try:
            agreed = self.agreed_box.value()
        except ValidationError as problem:
            self.show_error(problem.message, problem.field)
            return
        try:
            day = self.closed_edit.value()
        except ValidationError as problem:
            self.show_error(problem.message, problem.field)
            return
        if day is None or day > self._today:
            self.show_error(self.tr("Give the date the decision was made (today or earlier)."),
                            "closed_on")
            return
        themes = tuple(t.strip() for t in self.themes_edit.text().split(",") if t.strip())
        self.error_label.setText(self.tr("Saving…"))
        self.closure_entered.emit(Closure(
            self._row.discussion_id, decision, themes, day, self.example_box.isChecked(),
            agreed))


class WaitingListWidget(RegisterWidget[W]):
    """A list below the escalations of cases waiting for the partners: how long, who, which
    task and since when (``title`` and ``since_heading`` name it, ``since`` reads the day
    off a row). The escalations screen refreshes it, including the first time it is shown."""

    title = ""
    since_heading = ""

    def __init__(self, run: Run, load: Callable[[], Sequence[W]]) -> None:
        super().__init__(run, load)
        columns: list[Column[W]] = [
            Column(self.tr("Waiting"), lambda r: plural(r.days_waiting, self.tr("1 day"),
                                                       self.tr("%n days"))),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("NHS number"), lambda r: r.nhs_number_display),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr(self.since_heading), lambda r: uk_date(self.since(r)))]
        self.configure(self.tr(self.title), columns)
        self.refresh_button.hide()
        self._shown_once = True

    def since(self, row: W) -> dt.date:
        """The day the row has been waiting since."""
        raise NotImplementedError


class ChangesOfNeedWidget(WaitingListWidget[ChangeOfNeedRow]):
    """Running delegations whose review found a change of need, waiting for the MDT."""

    # PySide6 stub gap: QT_TR_NOOP is typed to return object, not the str it is given.
    title = QT_TR_NOOP("Changes of need waiting for the MDT")  # type: ignore[assignment]
    since_heading = QT_TR_NOOP("Change of need recorded")  # type: ignore[assignment]

    def since(self, row: ChangeOfNeedRow) -> dt.date:
        return row.recorded_on

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 delegation needs an MDT to agree a new plan"),
                      self.tr("%n delegations need an MDT to agree a new plan"))


class FundingToReconsiderWidget(WaitingListWidget[FundingToReconsiderRow]):
    """Delegations that ended with funding lines: the joint meeting reconsiders who pays."""

    # PySide6 stub gap: QT_TR_NOOP is typed to return object, not the str it is given.
    title = QT_TR_NOOP("Funding to reconsider after a delegation ended")  # type: ignore[assignment]
    since_heading = QT_TR_NOOP("Delegation ended")  # type: ignore[assignment]

    def __init__(self, run: Run, load: Callable[[], Sequence[FundingToReconsiderRow]],
                 reconsidered: Callable[[str], object] | None) -> None:
        super().__init__(run, load)
        self._reconsidered = reconsidered
        self.done_button = QPushButton(self.tr("Funding &reconsidered today"))
        self.done_button.setAccessibleName(self.tr(
            "Record that the joint meeting reconsidered the selected case's funding today"))
        self.done_button.clicked.connect(self._on_done_button_clicked)
        self.add_button(self.done_button, allowed=reconsidered is not None)

    def since(self, row: FundingToReconsiderRow) -> dt.date:
        return row.ended_on

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 ended delegation's funding to reconsider"),
                      self.tr("%n ended delegations' funding to reconsider"))

    def _on_done_button_clicked(self, _checked: bool = False) -> None:
        index, action = self.table.current_row(), self._reconsidered
        if index is None or action is None:
            return
        case_id = self.model.row(index).case_id
        self._run(lambda: action(case_id), self._on_recorded, self._on_failed)

    def _on_recorded(self, _result: object) -> None:
        self.refresh()
        self.message_label.setText(self.tr("Recorded: the funding was reconsidered."))

    def _on_failed(self, error: ExpectedError) -> None:
        self.message_label.setText(escape_text(error.message))


class EscalationsWidget(RegisterWidget[EscalationRow]):
    """The two-weekly joint meeting list: open shared care discussions, longest waiting
    first, and below it the changes of need waiting for an MDT, the funding to reconsider
    and the interim funding to reconcile. "Shared care form…" asks the app
    (``form_requested``) for the selected discussion's form to preview and print."""

    form_requested = Signal(str)  # discussion id

    def __init__(self, run: Run, load: Callable[[], Sequence[EscalationRow]],
                 close: Callable[[Closure], object] | None = None,
                 changes: Callable[[], Sequence[ChangeOfNeedRow]] | None = None,
                 today: Callable[[], dt.date] = dt.date.today,
                 funding: Callable[[], Sequence[FundingToReconsiderRow]] | None = None,
                 reconsidered: Callable[[str], object] | None = None, *,
                 interim: Callable[[], Sequence[InterimToReconcileRow]] | None = None,
                 reconcile: Callable[[ReconciliationEntry], object] | None = None,
                 csu_routed: Callable[[CsuRouting], object] | None = None,
                 csu_result: Callable[[CsuResult], object] | None = None) -> None:
        super().__init__(run, load)
        waiting = {WaitingFor.MDT_CONSENSUS: self.tr("MDT consensus"),
                   WaitingFor.FUNDING_DECISION: self.tr("Funding decision")}
        columns: list[Column[EscalationRow]] = [
            Column(self.tr("Waiting"), lambda r: plural(r.days_waiting, self.tr("1 day"),
                                                       self.tr("%n days"))),
            Column(self.tr("Waiting for"), lambda r: waiting.get(r.waiting_for, r.waiting_for)),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Interim funder"), lambda r: r.interim_funder_name),
            Column(self.tr("Interim a week"),
                   lambda r: r.interim_weekly or self.tr("None recorded")),
            Column(self.tr("Since"), lambda r: uk_date(r.interim_from)),
            Column(self.tr("To MLCSU"), self._csu_text),
            Column(self.tr("Dispute reference"), lambda r: r.dispute_reference or ""),
            Column(self.tr("Question"), lambda r: r.question)]
        self.configure(self.tr("Escalations and joint meeting list"), columns)
        self._close, self._today = close, today
        self.close_dialog: CloseDiscussionDialog | None = None
        self.close_button = QPushButton(self.tr("&Close discussion…"))
        self.close_button.setAccessibleName(self.tr("Close the selected shared care discussion"))
        self.close_button.clicked.connect(self._on_close_button_clicked)
        self.add_button(self.close_button, allowed=close is not None)
        self.form_button = QPushButton(self.tr("Shared care &form…"))
        self.form_button.setAccessibleName(self.tr(
            "Open the selected discussion's shared care form to print"))
        self.form_button.clicked.connect(self._on_form_button_clicked)
        self.add_button(self.form_button)
        self.csu = CsuActions(self.table, self.model, run, today, self._on_csu_recorded,
                              csu_routed, csu_result)
        self.add_button(self.csu.routed_button, allowed=csu_routed is not None)
        self.add_button(self.csu.result_button, allowed=csu_result is not None)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.refreshed.connect(self.csu.update)
        self.csu.update()
        self.table.row_activated.connect(self._on_table_row_activated)
        self.changes: ChangesOfNeedWidget | None = None
        if changes is not None:
            self.changes = ChangesOfNeedWidget(run, changes)
        self.funding: FundingToReconsiderWidget | None = None
        if funding is not None:
            self.funding = FundingToReconsiderWidget(run, funding, reconsidered)
        self.interim: InterimToReconcileWidget | None = None
        if interim is not None:
            self.interim = InterimToReconcileWidget(run, interim, reconcile, today)
        # The lists that follow decisions up, one tab each below the open discussions (the
        # changes of need first), each tab saying how many it holds.
        self.follow_up = QTabWidget()
        self.follow_up.setAccessibleName(self.tr("Lists that follow decisions up"))
        for part, title in ((self.changes, self.tr("C&hanges of need")),
                            (self.funding, self.tr("Funding to reconsi&der")),
                            (self.interim, self.tr("Interim to reconci&le"))):
            if part is not None:
                index = self.follow_up.addTab(part, title)
                part.refreshed.connect(lambda i=index, p=part, t=title: self.follow_up.setTabText(
                    i, f"{t} ({p.model.rowCount()})"))
        if self.follow_up.count():
            self.embed(self.follow_up)
        else:
            self.follow_up.hide()

    def count_text(self, count: int) -> str:
        return plural(count,
                      self.tr("1 case waiting for MDT consensus or a funding decision"),
                      self.tr("%n cases waiting for MDT consensus or a funding decision"))

    def refresh(self) -> None:
        """Reload every list."""
        super().refresh()
        for part in (self.changes, self.funding, self.interim):
            if part is not None:
                part.refresh()

    def _csu_text(self, row: EscalationRow) -> str:
        if row.csu_result_on is not None:
            return self.tr("Result %1").replace("%1", uk_date(row.csu_result_on))
        if row.csu_routed_on is not None:
            return self.tr("Routed %1").replace("%1", uk_date(row.csu_routed_on))
        return self.tr("Yes") if row.escalated_to_mlcsu else self.tr("No")

    def _on_current_row_changed(self, *_indexes: object) -> None:
        self.csu.update()

    def _on_csu_recorded(self, message: str) -> None:
        self.message_label.setText(message)
        self.refresh()

    def open_close_dialog(self, row_index: int | None = None) -> CloseDiscussionDialog | None:
        """Ask for the decision on the chosen (or selected) discussion."""
        index = self.table.current_row() if row_index is None else row_index
        if index is None or self._close is None:
            return None
        self.close_dialog = CloseDiscussionDialog(self.model.row(index), self._today(), self)
        self.close_dialog.closure_entered.connect(self._on_close_dialog_closure_entered)
        self.close_dialog.open()
        return self.close_dialog

    def _on_form_button_clicked(self, _checked: bool = False) -> None:
        index = self.table.current_row()
        if index is not None:
            self.form_requested.emit(self.model.row(index).discussion_id)

    def _on_close_button_clicked(self, _checked: bool = False) -> None:
        self.open_close_dialog()

    def _on_table_row_activated(self, row: int) -> None:
        self.open_close_dialog(row)

    def _on_close_dialog_closure_entered(self, closure: Closure) -> None:
        close, dialog = self._close, self.close_dialog
        assert close is not None  # the dialog only opens when closing is allowed
        self._run(lambda: close(closure), self._on_discussion_closed,
                  lambda error: self._on_close_failed(dialog, error))

    @staticmethod
    def _on_close_failed(dialog: CloseDiscussionDialog | None, error: ExpectedError) -> None:
        if dialog is not None:
            dialog.show_error(error.message, error.field if isinstance(error, ValidationError)
                              else None)

    def _on_discussion_closed(self, result: object) -> None:
        if self.close_dialog is not None:
            self.close_dialog.accept()
            self.close_dialog = None
        shared = getattr(result, "case_example_id", None)
        text = (self.tr("Discussion closed; its decision is now a case example.") if shared
                else self.tr("Discussion closed."))
        version = getattr(result, "plan_version", None)
        if version is not None:
            text += " " + self.tr("The agreed funding is on support plan version %1.").replace(
                "%1", str(version))
        self.message_label.setText(text)
        self.refresh()
