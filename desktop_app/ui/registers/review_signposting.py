"""Signposting or referral at a review (Make Every Contact Count), in the record-review form.

An optional part of ``RecordReviewDialog``: ticked, it asks the service (from the
signposting list, or a name typed, at most as long as the record keeps), for the person or
their carer, signposted or referred, and a note. Before the review is saved, ``check``
puts it through the signposting's own checks (``signposting.check_signposting``, as given at
that review on the day it was done): a refusal is shown beside the field it names and the
dialog stays open with everything typed. The controller saves it after the review; the
review stands whatever becomes of the signposting, and a signposting that could still not
be saved (the person or the review removed meanwhile) is said plainly
(``SignpostingAfterReview``), naming the service so it can be recorded again on the person
record.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication
from PySide6.QtWidgets import QComboBox, QFormLayout, QGroupBox, QLabel, QVBoxLayout, QWidget

from desktop_app.models.person_centred import SignpostAction, SignpostFor, SignpostOccasion
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.person_centred import ACTION_LABELS, FOR_WHOM_LABELS
from desktop_app.services.people.entry_checks import NAME_LIMIT, TEXT_LIMIT
from desktop_app.services.people.signposting import SignpostingInput, check_signposting
from desktop_app.ui.forms import ERROR_STYLE
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
            line.setMaxLength(NAME_LIMIT)  # as the record keeps a service's name
        self.for_whom = Choice(_tr("For whom"), [(code, _tr(label))
                                                 for code, label in FOR_WHOM_LABELS.items()])
        self.for_whom.set_value(SignpostFor.PERSON.value)
        self.action = Choice(_tr("Signposted or referred"),
                             [(code, _tr(label)) for code, label in ACTION_LABELS.items()])
        self.action.set_value(SignpostAction.SIGNPOSTED.value)
        self.note = Para(_tr("Signposting note"), _tr("optional, up to %1 characters")
                         .replace("%1", f"{TEXT_LIMIT:,}"), lines=2)
        form = QFormLayout(self)
        # Each field with its problem line under it (the signposting's checks name one).
        self.field_widgets: dict[str, QWidget] = {}
        self.problems: dict[str, QLabel] = {}
        for name, text, field in (("service", _tr("Ser&vice or group:"), self.service),
                                  ("for_whom", _tr("F&or:"), self.for_whom),
                                  ("action", _tr("Signposted or re&ferred:"), self.action),
                                  ("note", _tr("Not&e:"), self.note)):
            label = QLabel(text)
            label.setBuddy(field)
            problem = QLabel()
            problem.setWordWrap(True)
            problem.setStyleSheet(ERROR_STYLE)
            problem.setAccessibleName(_tr("Problem with %1").replace(
                "%1", text.replace("&", "").rstrip(":")))
            problem.hide()
            box = QWidget()
            column = QVBoxLayout(box)
            column.setContentsMargins(0, 0, 0, 0)
            column.setSpacing(2)
            column.addWidget(field)
            column.addWidget(problem)
            form.addRow(label, box)
            self.field_widgets[name], self.problems[name] = field, problem

    def fields(self) -> list[QWidget]:
        """The part's controls in Tab order, its tick first."""
        return [self, self.service, self.for_whom, self.action, self.note]

    def set_services(self, names: Sequence[str]) -> None:
        """Offer the signposting list (what is typed already stays)."""
        typed = self.service.currentText()
        self.service.clear()
        self.service.addItems(["", *names])
        self.service.setEditText(typed)

    def check(self, done_on: dt.date, review_id: str, today: dt.date) -> str | None:
        """Put the signposting, as given at the review ``review_id`` done on ``done_on``,
        through the signposting's own checks: a refusal is shown beside the field it names
        (which takes the focus) and returned for the dialog's problem line; None when it
        would be accepted, or is not ticked."""
        self.show_problem(None)
        given = self.value()
        if given is None:
            return None
        if not given.service:
            message, field = _tr("Choose the service or group from the list, or type its name "
                                 "(or untick the signposting)."), "service"
        else:
            try:
                check_signposting(SignpostingInput(
                    done_on, SignpostOccasion.REVIEW.value, given.for_whom, given.action,
                    given.service, given.note, review_id=review_id), today)
                return None
            except ValidationError as refused:
                message, field = refused.message, refused.field or ""
        self.show_problem(message, field)
        return _tr("Signposting: %1").replace("%1", message)

    def show_problem(self, message: str | None, field: str | None = None) -> bool:
        """Say ``message`` beside the part's field ``field`` and focus it (None: clear
        every problem); False when the field is not one of this part's."""
        for label in self.problems.values():
            label.setText("")
            label.hide()
        target = self.problems.get(field or "")
        if message is None or target is None:
            return False
        target.setText(message)
        target.show()
        self.field_widgets[str(field)].setFocus()
        return True

    def value(self) -> ReviewSignposting | None:
        """The signposting given, None when not ticked."""
        if not self.isChecked():
            return None
        return ReviewSignposting(self.person_id, self.service.currentText().strip(),
                                 self.for_whom.value() or "", self.action.value() or "",
                                 self.note.value())
