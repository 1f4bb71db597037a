"""Signposting or referral at a review (Make Every Contact Count), in the record-review form.

An optional part of ``RecordReviewDialog``: ticked, it asks the service (from the
signposting list, or a name typed), for the person or their carer, signposted or referred,
and a note. The controller saves it after the review, as given at that review on the day
it was done; the review stands whatever becomes of the signposting, and a signposting that
could not be saved is said plainly (``SignpostingAfterReview``), naming the service so it
can be recorded again on the person record.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QWidget

from desktop_app.models.person_centred import SignpostAction, SignpostFor
from desktop_app.services.framework.person_centred import ACTION_LABELS, FOR_WHOM_LABELS
from desktop_app.ui.wizard.fields import Choice, Para


def _tr(text: str) -> str:
    return QCoreApplication.translate("SignpostingAtReview", text)


@dataclass(frozen=True)
class ReviewSignposting:
    """A signposting or referral given at the review (saved once the review is)."""

    person_id: str
    service: str
    for_whom: str  # SignpostFor value
    action: str  # SignpostAction value
    note: str | None


@dataclass(frozen=True)
class SignpostingAfterReview:
    """The review recorded (what recording it returned) and what became of the signposting
    given at it: ``problem`` says why it was not recorded, None when it was."""

    review: object
    service: str
    problem: str | None = None

    def words(self) -> str:
        """What to tell the nurse about the signposting."""
        if self.problem is None:
            return _tr("Signposting to %1 recorded on the person record.").replace(
                "%1", self.service)
        return _tr("The signposting to %1 was not recorded: %2 Record it on the person "
                   "record's Signposting tab.").replace("%1", self.service).replace(
            "%2", self.problem)


class SignpostingAtReview(QGroupBox):
    """The optional signposting part of the review form (module docstring); unticked, it
    records nothing."""

    def __init__(self, person_id: str, parent: QWidget | None = None) -> None:
        super().__init__(_tr("Si&gnposting or referral at this review"), parent)
        self.setAccessibleName(_tr("Signposting or referral at this review"))
        self.setCheckable(True)
        self.setChecked(False)
        self.person_id = person_id
        self.service = QComboBox()
        self.service.setEditable(True)
        self.service.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.service.setAccessibleName(_tr("Service or support group"))
        line = self.service.lineEdit()
        if line is not None:
            line.setPlaceholderText(_tr("choose from the list, or type its name"))
        self.for_whom = Choice(_tr("For whom"), [(code, _tr(label))
                                                 for code, label in FOR_WHOM_LABELS.items()])
        self.for_whom.set_value(SignpostFor.PERSON.value)
        self.action = Choice(_tr("Signposted or referred"),
                             [(code, _tr(label)) for code, label in ACTION_LABELS.items()])
        self.action.set_value(SignpostAction.SIGNPOSTED.value)
        self.note = Para(_tr("Signposting note"), _tr("optional"), lines=2)
        form = QFormLayout(self)
        for text, field in ((_tr("Ser&vice or group:"), self.service),
                            (_tr("F&or:"), self.for_whom),
                            (_tr("Signposted or re&ferred:"), self.action),
                            (_tr("Not&e:"), self.note)):
            label = QLabel(text)
            label.setBuddy(field)
            form.addRow(label, field)

    def fields(self) -> list[QWidget]:
        """The part's controls in Tab order, its tick first."""
        return [self, self.service, self.for_whom, self.action, self.note]

    def set_services(self, names: Sequence[str]) -> None:
        """Offer the signposting list (what is typed already stays)."""
        typed = self.service.currentText()
        self.service.clear()
        self.service.addItems(["", *names])
        self.service.setEditText(typed)

    def problem(self) -> str | None:
        """What is missing, in words; None when complete or not ticked."""
        if self.isChecked() and not self.service.currentText().strip():
            return _tr("Signposting: choose the service or group from the list, or type its "
                       "name (or untick the signposting).")
        return None

    def value(self) -> ReviewSignposting | None:
        """The signposting given, None when not ticked."""
        if not self.isChecked():
            return None
        return ReviewSignposting(self.person_id, self.service.currentText().strip(),
                                 self.for_whom.value() or "", self.action.value() or "",
                                 self.note.value())
