"""What the Escalations screen records about a funding dispute besides closing it: the split
the partners agreed (a part of the close-discussion dialog), and a joint-funding dispute's
way through the Midlands & Lancashire CSU (when it was routed, and its result).

``AgreedFundingBox`` is a checkable group: unticked, the discussion closes with its decision
only; ticked, it also gives the day the agreed split starts and each funder's weekly amount
(the ICB's always free to the person, one council's) and the method, pre-filled from the
delegation's current lines. ``CsuActions`` adds "Routed to CSU…" and "CSU result…" to the
screen, each a small form that stays open, with what was typed, until the service agreed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QObject
from PySide6.QtWidgets import QFormLayout, QGroupBox, QLabel, QPushButton, QWidget

from desktop_app.models.plan import ApportionmentMethod, Funder
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding import (
    COUNCILS,
    FUNDER_NAMES,
    format_pounds,
    parse_pounds,
)
from desktop_app.services.framework.labels import METHODS
from desktop_app.services.registers import AgreedFunding, EscalationRow
from desktop_app.ui.forms import DateLine, FormDialog, save_from
from desktop_app.ui.registers.base import RegisterTable, RowTableModel
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Choice, Line, Para


def pounds_text(pence: int) -> str:
    """Pence as typed pounds (1234.50, no £ sign)."""
    return format_pounds(pence).lstrip("£").replace(",", "")


class AgreedFundingBox(QGroupBox):
    """The agreed split, optional: from which day, the ICB's and one council's weekly
    amounts, and the method. ``fields`` names each input by the field a refusal gives."""

    def __init__(self, row: EscalationRow, today: dt.date,
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        tr = self.tr
        self.setTitle(tr("Record the &agreed funding split"))
        self.setCheckable(True)
        self.setChecked(False)
        self.setAccessibleName(tr("Record the agreed funding split"))
        shares = dict(row.funding_shares)
        council = next((f for f in shares if f in COUNCILS), None)
        self.from_edit = DateLine(tr("Agreed funding from"), today, field="agreed_from")
        self.icb_edit = Line(tr("The ICB's agreed weekly amount in pounds"),
                             tr("for example 55.09"))
        self.icb_edit.setText(pounds_text(shares.get(Funder.ICB, 0)))
        self.council_choice = Choice(tr("The council sharing the cost"),
                                     [(f.value, FUNDER_NAMES[f]) for f in COUNCILS])
        self.council_choice.set_value(council.value if council else None)
        self.council_edit = Line(tr("The council's agreed weekly amount in pounds"),
                                 tr("for example 33.05"))
        self.council_edit.setText(pounds_text(shares[council]) if council else "")
        self.method_choice = Choice(tr("How the cost is shared"),
                                    [(m.value, METHODS[m]) for m in ApportionmentMethod])
        self.method_choice.set_value(row.funding_method)
        form = QFormLayout(self)
        for text, widget in ((tr("Agreed &from:"), self.from_edit),
                             (tr("&ICB a week (£, free to the person):"), self.icb_edit),
                             (tr("Co&uncil:"), self.council_choice),
                             (tr("Council a &week (£):"), self.council_edit),
                             (tr("&Method:"), self.method_choice)):
            caption = QLabel(text)
            caption.setBuddy(widget)
            form.addRow(caption, widget)
        self.fields: dict[str, QWidget] = {
            "agreed_from": self.from_edit, "agreed_icb": self.icb_edit,
            "agreed_council": self.council_choice, "agreed_method": self.method_choice,
            "agreed_lead": self.council_choice}

    def focus_order(self) -> list[QWidget]:
        """The inputs in Tab order."""
        return [self.from_edit, self.icb_edit, self.council_choice, self.council_edit,
                self.method_choice]

    def value(self) -> AgreedFunding | None:
        """The agreed split (None when not ticked); ValidationError naming the field."""
        if not self.isChecked():
            return None
        start = self.from_edit.value()
        if start is None:
            raise ValidationError(self.tr("Give the day the agreed funding starts."),
                                  field="agreed_from")
        shares = [(Funder.ICB, parse_pounds(self.icb_edit.text(), "agreed_icb"))]
        council = self.council_choice.value()
        if council is None and self.council_edit.text().strip():
            raise ValidationError(self.tr("Choose the council that pays its share."),
                                  field="agreed_council")
        if council is not None:
            shares.append((Funder(council), parse_pounds(self.council_edit.text(),
                                                         "agreed_council")))
        method = self.method_choice.value()
        return AgreedFunding(start, tuple(shares),
                             ApportionmentMethod(method) if method else None)


# ---------------------------------------------------------------- the CSU


@dataclass(frozen=True)
class CsuRouting:
    """The day a dispute was routed to the CSU."""

    discussion_id: str
    on: dt.date


@dataclass(frozen=True)
class CsuResult:
    """The CSU's result and the day it came."""

    discussion_id: str
    result: str
    on: dt.date


def _about(row: EscalationRow) -> str:
    return (f"{escape_text(row.person_name)}, {escape_text(row.task_name)}. "
            f"Dispute reference {escape_text(row.dispute_reference or '—')}.")


class CsuRoutedDialog(FormDialog[CsuRouting]):
    """The day the joint-funding dispute went to the Midlands & Lancashire CSU."""

    def __init__(self, row: EscalationRow, today: dt.date, parent: QWidget | None = None
                 ) -> None:
        super().__init__(self.tr("Dispute routed to the CSU"), self.tr("&Record"), parent)
        self._row = row
        self.intro.setText(_about(row))
        self.intro.show()
        self.on_edit = DateLine(self.tr("Date routed to the CSU"), today)
        self.add_field("on", self.tr("Routed &on:"), self.on_edit)
        self.chain_tabs()
        self.on_edit.setFocus()

    def value(self) -> CsuRouting:
        on = self.on_edit.value()
        if on is None:
            raise ValidationError(self.tr("Give the date the dispute went to the CSU."),
                                  field="on")
        return CsuRouting(self._row.discussion_id, on)


class CsuResultDialog(FormDialog[CsuResult]):
    """The CSU's result on the dispute and the day it came back."""

    def __init__(self, row: EscalationRow, today: dt.date, parent: QWidget | None = None
                 ) -> None:
        super().__init__(self.tr("CSU result"), self.tr("&Record"), parent)
        self._row = row
        routed = uk_date(row.csu_routed_on)
        self.intro.setText(_about(row) + " " + self.tr("Routed to the CSU on %1.")
                           .replace("%1", routed))
        self.intro.show()
        self.result_edit = Para(self.tr("The CSU's result"),
                                self.tr("What the CSU decided: who funds what, from when"))
        self.on_edit = DateLine(self.tr("Date the result came"), today)
        self.add_field("result", self.tr("Re&sult:"), self.result_edit)
        self.add_field("on", self.tr("Received &on:"), self.on_edit)
        self.chain_tabs()
        self.result_edit.setFocus()

    def value(self) -> CsuResult:
        text = self.result_edit.value()
        if text is None:
            raise ValidationError(self.tr("Write down the CSU's result."), field="result")
        on = self.on_edit.value()
        if on is None:
            raise ValidationError(self.tr("Give the date the result came."), field="on")
        return CsuResult(self._row.discussion_id, text, on)


class CsuActions(QObject):
    """The "Routed to CSU…" and "CSU result…" buttons of the escalations table, enabled for
    a selected joint-funding dispute at the step it is at; each opens its form, runs the
    service and, once it agreed, closes the form and calls ``recorded`` with a message."""

    def __init__(self, table: RegisterTable, model: RowTableModel[EscalationRow], run: Run,
                 today: Callable[[], dt.date], recorded: Callable[[str], None],
                 routed: Callable[[CsuRouting], object] | None,
                 result: Callable[[CsuResult], object] | None) -> None:
        super().__init__(table)
        self._table, self._model, self._run, self._today = table, model, run, today
        self._recorded, self._routed, self._result = recorded, routed, result
        self.dialog: FormDialog[CsuRouting] | FormDialog[CsuResult] | None = None
        self.routed_button = QPushButton(self.tr("Routed to C&SU…"))
        self.routed_button.setAccessibleName(self.tr(
            "Record that the selected joint-funding dispute went to the CSU"))
        self.routed_button.clicked.connect(self._on_routed_button_clicked)
        self.result_button = QPushButton(self.tr("CSU res&ult…"))
        self.result_button.setAccessibleName(self.tr(
            "Record the CSU's result on the selected dispute"))
        self.result_button.clicked.connect(self._on_result_button_clicked)

    def selected(self) -> EscalationRow | None:
        index = self._table.current_row()
        return None if index is None else self._model.row(index)

    def update(self) -> None:
        """Enable the step the selected dispute is at (neither for one not for the CSU)."""
        row = self.selected()
        csu = row is not None and row.escalated_to_mlcsu
        self.routed_button.setEnabled(csu and row is not None and row.csu_routed_on is None)
        self.result_button.setEnabled(csu and row is not None and row.csu_routed_on is not None
                                      and row.csu_result_on is None)

    def open_routed(self) -> CsuRoutedDialog | None:
        """Ask when the selected dispute went to the CSU."""
        row, action = self.selected(), self._routed
        if row is None or action is None:
            return None
        dialog = CsuRoutedDialog(row, self._today(), self._table.window())
        self._save(dialog, lambda data: lambda: action(data),
                   self.tr("Recorded: the dispute went to the CSU."))
        self.dialog = dialog
        dialog.open()
        return dialog

    def open_result(self) -> CsuResultDialog | None:
        """Ask for the CSU's result on the selected dispute."""
        row, action = self.selected(), self._result
        if row is None or action is None:
            return None
        dialog = CsuResultDialog(row, self._today(), self._table.window())
        self._save(dialog, lambda data: lambda: action(data),
                   self.tr("Recorded: the CSU's result."))
        self.dialog = dialog
        dialog.open()
        return dialog

    def _save(self, dialog: FormDialog[Any], work_for: Callable[[Any], Callable[[], object]],
              message: str) -> None:
        def done(_result: object) -> None:
            self.dialog = None
            self._recorded(message)

        save_from(dialog, self._run, work_for, done)

    def _on_routed_button_clicked(self, _checked: bool = False) -> None:
        self.open_routed()

    def _on_result_button_clicked(self, _checked: bool = False) -> None:
        self.open_result()
