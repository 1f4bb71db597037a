"""Interim funding to reconcile: the list on the Escalations screen and the dialog that
records a reconciliation.

While a funding dispute was open, the interim funder (Health, by default) paid the whole of
the delegation's funding lines without prejudice. Once the dispute is decided, the team
lead records who repays what for which period: ``ReconciliationDialog`` pre-fills the period
(from the interim's first day to its last day paid), shows what the interim funder paid for
it (again as a date is typed) and each other funder's fair part under the agreed
weekly shares, and has one repayment line per other funder and notes. The service checks
it all again; a refusal comes back beside the field it is about, with everything typed kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtWidgets import QLabel, QPushButton, QWidget

from desktop_app.models.plan import Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding import (
    COUNCILS,
    FUNDER_NAMES,
    format_pounds,
    parse_pounds,
)
from desktop_app.services.registers import InterimToReconcileRow, ReconciledInterim
from desktop_app.services.registers.interim import repayment_field
from desktop_app.ui.forms import DateLine, FormDialog, save_from
from desktop_app.ui.registers.base import Column, RegisterWidget, plural
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Line, Para

# Each funder's repayment line, with a mnemonic of its own.
REPAYMENT_LABELS = {
    Funder.ICB: "LLR &ICB repays (£):",
    Funder.LEICESTER_CITY: "Leicester &City Council repays (£):",
    Funder.LEICESTERSHIRE_COUNTY: "&Leicestershire County Council repays (£):",
    Funder.RUTLAND_COUNTY: "R&utland County Council repays (£):",
}


@dataclass(frozen=True)
class ReconciliationEntry:
    """What the team lead entered to reconcile a delegation's interim funding."""

    case_id: str
    period_from: dt.date
    period_to: dt.date
    repayments: tuple[tuple[Funder, int], ...]
    notes: str
    reconciled_on: dt.date


class ReconciliationDialog(FormDialog[ReconciliationEntry]):
    """The period, what was paid for it, who repays what, the date and notes."""

    def __init__(self, row: InterimToReconcileRow, today: dt.date,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Reconcile interim funding"),
                         self.tr("&Record reconciliation"), parent)
        self._row = row
        until = (uk_date(row.interim_until) if row.interim_until
                 else self.tr("today (still running)"))
        self.intro.setText(
            self.tr("%1, %2. %3 paid %4 a week without prejudice from %5 to %6. "
                    "Dispute reference %7.")
            .replace("%1", escape_text(row.person_name))
            .replace("%2", escape_text(row.task_name))
            .replace("%3", escape_text(row.interim_funder_name))
            .replace("%4", escape_text(row.weekly))
            .replace("%5", uk_date(row.interim_from)).replace("%6", until)
            .replace("%7", escape_text(row.dispute_reference or "—")))
        self.intro.show()
        self.from_edit = DateLine(self.tr("First day of the period"), row.interim_from)
        self.to_edit = DateLine(self.tr("Last day of the period"),
                                min(row.last_paid_day, today))
        self.paid_label = QLabel()
        self.paid_label.setWordWrap(True)
        self.paid_label.setAccessibleName(self.tr("Interim paid for the period"))
        self.add_field("period_from", self.tr("Period &from:"), self.from_edit)
        self.add_field("period_to", self.tr("Period &to:"), self.to_edit)
        self.form.addRow(QLabel(self.tr("Interim paid:")), self.paid_label)
        self.repayment_edits: dict[Funder, Line] = {}
        for funder in (Funder.ICB, *COUNCILS):
            if funder is row.interim_funder:
                continue
            edit = Line(self.tr("%s repays, in pounds") % FUNDER_NAMES[funder],
                        self.tr("0.00"))
            self.repayment_edits[funder] = edit
            self.add_field(repayment_field(funder), self.tr(REPAYMENT_LABELS[funder]), edit)
        self.reconciled_edit = DateLine(self.tr("Date reconciled"), today)
        self.notes_edit = Para(self.tr("Notes on the reconciliation"),
                               self.tr("for example the invoice reference"))
        self.add_field("reconciled_on", self.tr("Reconciled &on:"), self.reconciled_edit)
        self.add_field("notes", self.tr("&Notes:"), self.notes_edit)
        self.from_edit.textChanged.connect(self._on_period_text_changed)
        self.to_edit.textChanged.connect(self._on_period_text_changed)
        self.show_paid()
        self.chain_tabs()
        self.from_edit.setFocus()

    def _on_period_text_changed(self, _text: str) -> None:
        self.show_paid()

    def period(self) -> tuple[dt.date, dt.date] | None:
        """The period typed, or None while a date is missing, not a date or out of order."""
        try:
            first, last = self.from_edit.value(), self.to_edit.value()
        except ValidationError:
            return None
        if first is None or last is None or last < first:
            return None
        return first, last

    def show_paid(self) -> None:
        """What the interim funder paid for the period typed, and the fair parts of it."""
        period = self.period()
        if period is None:
            self.paid_label.setText(self.tr("Enter the period's first and last days to see "
                                            "what was paid."))
            return
        paid = self._row.paid_for(*period)
        fair = self._row.fair_shares(paid)
        text = self.tr("%1 for this period.").replace("%1", format_pounds(paid))
        if fair:
            parts = "; ".join(f"{FUNDER_NAMES[f]} {format_pounds(p)}" for f, p in fair.items())
            text += " " + self.tr("Fair parts under the agreed weekly shares: %1.").replace(
                "%1", parts)
        self.paid_label.setText(escape_text(text))

    def value(self) -> ReconciliationEntry:
        first, last = self.from_edit.value(), self.to_edit.value()
        if first is None:
            raise ValidationError(self.tr("Give the first day of the period."),
                                  field="period_from")
        if last is None:
            raise ValidationError(self.tr("Give the last day of the period."),
                                  field="period_to")
        repayments = []
        for funder, edit in self.repayment_edits.items():
            if edit.text().strip():
                repayments.append((funder, parse_pounds(edit.text(),
                                                        repayment_field(funder))))
        on = self.reconciled_edit.value()
        if on is None:
            raise ValidationError(self.tr("Give the date the interim was reconciled."),
                                  field="reconciled_on")
        return ReconciliationEntry(self._row.case_id, first, last, tuple(repayments),
                                   self.notes_edit.toPlainText().strip(), on)


class InterimToReconcileWidget(RegisterWidget[InterimToReconcileRow]):
    """Delegations whose interim funding is not yet reconciled, the longest running first;
    "Reconcile…" (or Enter on a row) records the reconciliation of one decided."""

    def __init__(self, run: Run, load: Callable[[], Sequence[InterimToReconcileRow]],
                 reconcile: Callable[[ReconciliationEntry], object] | None,
                 today: Callable[[], dt.date]) -> None:
        super().__init__(run, load)
        columns: list[Column[InterimToReconcileRow]] = [
            Column(self.tr("Interim since"), lambda r: uk_date(r.interim_from)),
            Column(self.tr("Age"), lambda r: plural(r.age_days, self.tr("1 day"),
                                                    self.tr("%n days"))),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("NHS number"), lambda r: r.nhs_number_display),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Paid by"), lambda r: r.interim_funder_name),
            Column(self.tr("A week"), lambda r: r.weekly),
            Column(self.tr("Paid so far"), lambda r: r.paid),
            Column(self.tr("Interim ended"),
                   lambda r: uk_date(r.interim_until) or self.tr("Still running")),
            Column(self.tr("Decision"), lambda r: self.tr("Decided %1").replace(
                "%1", uk_date(r.decided_on)) if r.decided_on else self.tr(
                "Discussion open") if r.discussion_id else self.tr("No discussion")),
            Column(self.tr("Dispute reference"), lambda r: r.dispute_reference or "")]
        self.configure(self.tr("Interim funding to reconcile"), columns)
        self.refresh_button.hide()
        self._shown_once = True
        self._reconcile, self._today = reconcile, today
        self.dialog: ReconciliationDialog | None = None
        self.reconcile_button = QPushButton(self.tr("Reco&ncile…"))
        self.reconcile_button.setAccessibleName(self.tr(
            "Record the reconciliation of the selected delegation's interim funding"))
        self.reconcile_button.clicked.connect(self._on_reconcile_button_clicked)
        self.add_button(self.reconcile_button, allowed=reconcile is not None)
        self.table.row_activated.connect(self._on_table_row_activated)

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 delegation's interim funding to reconcile"),
                      self.tr("%n delegations' interim funding to reconcile"))

    def open_dialog(self, row_index: int | None = None) -> ReconciliationDialog | None:
        """The reconciliation of the chosen (or selected) row, once its dispute is decided."""
        index = self.table.current_row() if row_index is None else row_index
        action = self._reconcile
        if index is None or action is None:
            return None
        row = self.model.row(index)
        if row.discussion_id is not None and row.decided_on is None:
            self.message_label.setText(self.tr(
                "The shared care discussion is still open: close it with its decision "
                "before reconciling the interim funding."))
            return None
        dialog = ReconciliationDialog(row, self._today(), self.window())
        save_from(dialog, self._run, lambda entry: lambda: action(entry), self._on_reconciled)
        self.dialog = dialog
        dialog.open()
        return dialog

    def _on_reconciled(self, result: object) -> None:
        self.dialog = None
        if isinstance(result, ReconciledInterim):
            self.message_label.setText(self.tr(
                "Interim funding reconciled: %1 repaid of %2 paid.")
                .replace("%1", format_pounds(result.repaid_pence))
                .replace("%2", format_pounds(result.interim_pence)))
        else:
            self.message_label.setText(self.tr("Interim funding reconciled."))
        self.refresh()

    def _on_reconcile_button_clicked(self, _checked: bool = False) -> None:
        self.open_dialog()

    def _on_table_row_activated(self, row: int) -> None:
        self.open_dialog(row)
