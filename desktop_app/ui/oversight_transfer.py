"""Confirming a transfer of clinical oversight (framework §5; issue 16, item 3).

When a person is no longer open to community health services, oversight of their running
delegations moves to their GP practice, and back when they are re-opened. The dialog lists
the delegations to move (each ticked, with who holds oversight now), the day it takes
effect (today unless changed) and the contact the care worker will call: organisation
(proposed), named clinician, and the in-hours and out-of-hours numbers.

"Transfer oversight" runs the caller's ``transfer`` through ``run`` (off the GUI thread);
the dialog stays open until it succeeded, and a refusal is shown under the field it names
with the focus there and everything typed kept. Keyboard: every field has a mnemonic, Tab
goes down the check boxes and fields to the buttons, Enter transfers, Escape leaves.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import QCheckBox, QVBoxLayout, QWidget

from desktop_app.models.oversight import OversightService
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.delegation.oversight import TransferRow
from desktop_app.services.framework.labels import OVERSIGHT_SERVICES
from desktop_app.ui.forms import DateLine, FormDialog
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Line


@dataclass(frozen=True)
class TransferAnswers:
    """What the nurse confirmed: which delegations move to ``to`` from ``on``, and the new
    oversight contact (typed text as typed; the service cleans and checks it)."""

    person_id: str
    to: OversightService
    case_ids: tuple[str, ...]
    on: dt.date
    organisation_name: str
    named_clinician: str
    phone_in_hours: str
    phone_out_of_hours: str


def _plain(text: str) -> str:
    """Text for a check box: an ampersand shown as one, never a mnemonic."""
    return text.replace("&", "&&")


class OversightTransferDialog(FormDialog[TransferAnswers]):
    """The delegations whose oversight moves to ``to``, the day, and the new contact."""

    transferred = Signal(object)  # what ``transfer`` returned (a TransferResult)

    def __init__(self, person_id: str, person_name: str, to: OversightService,
                 rows: Sequence[TransferRow], today: dt.date, run: Run,
                 transfer: Callable[[TransferAnswers], object],
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Transfer clinical oversight"),
                         self.tr("&Transfer oversight"), parent)
        self._person_id, self._to, self._run, self._transfer = person_id, to, run, transfer
        tr = self.tr
        name = f"<b>{escape_text(person_name)}</b>"
        if to is OversightService.GP_PRACTICE:
            text = tr("%1 is no longer open to community health services. Clinical oversight of "
                      "the delegations ticked moves to their GP practice.")
        else:
            text = tr("%1 is open to community health services again. Clinical oversight of "
                      "the delegations ticked moves back to community health services.")
        self.intro.setTextFormat(Qt.TextFormat.RichText)
        self.intro.setText(text.replace("%1", name) + " " + escape_text(tr(
            "A new support plan version names the new contact, and each delegation is listed "
            "on Reviews due until the acceptance is recorded.")))
        self.intro.show()
        self.case_boxes: list[tuple[str, QCheckBox]] = []
        cases = QWidget()
        column = QVBoxLayout(cases)
        column.setContentsMargins(0, 0, 0, 0)
        for row in rows:
            now = (tr("now with %1, %2").replace("%1", OVERSIGHT_SERVICES[row.current_kind])
                   .replace("%2", row.current_organisation or "")
                   if row.current_kind is not None else tr("no oversight recorded"))
            box = QCheckBox(_plain(f"{row.task_name} ({now})"))
            box.setChecked(True)
            box.setAccessibleName(tr("Transfer oversight of %1").replace("%1", row.task_name))
            column.addWidget(box)
            self.case_boxes.append((row.case_id, box))
        first = next((r for r in rows if r.suggested_phone_in_hours), rows[0] if rows else None)
        self.on_edit = DateLine(tr("Date the transfer takes effect"), today)
        self.organisation = Line(tr("Organisation that takes over oversight"))
        self.clinician = Line(tr("Named clinician"), tr("optional"))
        self.phone_in = Line(tr("Phone number in hours"))
        self.phone_out = Line(tr("Phone number out of hours"))
        if rows:
            self.organisation.setText(rows[0].suggested_organisation)
        if first is not None:
            self.clinician.setText(first.suggested_clinician or "")
            self.phone_in.setText(first.suggested_phone_in_hours or "")
            self.phone_out.setText(first.suggested_phone_out_of_hours or "")
        boxes = [box for _case_id, box in self.case_boxes]
        self.add_field("case_ids", tr("&Delegations:"), cases, boxes[0] if boxes else None)
        for field, label, widget in (
                ("on", tr("Takes effect o&n:"), self.on_edit),
                ("organisation_name", tr("O&rganisation:"), self.organisation),
                ("named_clinician", tr("Named &clinician:"), self.clinician),
                ("phone_in_hours", tr("Phone &in hours:"), self.phone_in),
                ("phone_out_of_hours", tr("Phone &out of hours:"), self.phone_out)):
            self.add_field(field, label, widget)
        self.chain_tabs({"case_ids": boxes[1:]})
        self.entered.connect(self._on_entered)
        (boxes[0] if boxes else self.on_edit).setFocus()

    def value(self) -> TransferAnswers:
        ticked = tuple(case_id for case_id, box in self.case_boxes if box.isChecked())
        if not ticked:
            raise ValidationError(self.tr("Tick at least one delegation to transfer."),
                                  field="case_ids")
        on = self.on_edit.value()
        if on is None:
            raise ValidationError(self.tr("Give the date the transfer takes effect."),
                                  field="on")
        return TransferAnswers(self._person_id, self._to, ticked, on, self.organisation.text(),
                               self.clinician.text(), self.phone_in.text(),
                               self.phone_out.text())

    def _on_entered(self, answers: TransferAnswers) -> None:
        transfer = self._transfer
        self._run(lambda: transfer(answers), self._on_done, self.show_error)

    def _on_done(self, result: object) -> None:
        self.transferred.emit(result)
        self.accept()
