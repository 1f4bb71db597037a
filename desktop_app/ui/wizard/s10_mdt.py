"""S10: the MDT meeting, who attended, and whether it agreed.

Without consensus the case goes to a shared care discussion (framework §1): the page asks
what the disagreement is about, the question for that discussion and who pays meanwhile.
Care is not disrupted: Health (the ICB) funds the gap "without prejudice" by default, and a
funding dispute needs its reference so the interim can be reconciled later. While
*whether* to delegate is disputed nothing is delegated: the nursing team keeps the task,
and the page asks what the interim funder pays a week for the gap, and from when.

When the task is delegated (the MDT agreed, or only the funding is disputed) the page asks
the day the delegated care starts: the review clock runs from it (the extra care's start on
the funding page is offered first).
"""

from __future__ import annotations

from collections.abc import Iterable
from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.flow import Step
from desktop_app.services.framework.funding import (
    COUNCILS,
    FUNDER_NAMES,
    format_pounds,
    parse_pounds,
)
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import Choice, DateField, Line, Para, YesNo

ATTENDEE_KEYS = ("role", "organisation", "name")
MIN_ATTENDEES = 2
DISPUTE_REFERENCE_MAX = 64  # what the funding service accepts


class AttendeeTable(QWidget):
    """Role, organisation and name per attendee, with Add and Remove buttons.

    Tab leaves the table (arrow keys move between cells, typing or F2 edits a cell), so
    the keyboard never gets stuck in it.
    """

    def __init__(self, name: str) -> None:
        super().__init__()
        self.table = QTableWidget(0, len(ATTENDEE_KEYS))
        self.table.setAccessibleName(name)
        self.table.setHorizontalHeaderLabels(
            [self.tr("Role"), self.tr("Organisation"), self.tr("Name")])
        self.table.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.Stretch)
        self.table.verticalHeader().setVisible(False)
        self.table.setTabKeyNavigation(False)
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectItems)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        triggers = QAbstractItemView.EditTrigger
        self.table.setEditTriggers(triggers.DoubleClicked | triggers.SelectedClicked
                                   | triggers.EditKeyPressed | triggers.AnyKeyPressed)
        rows = 4
        self.table.setFixedHeight(self.table.horizontalHeader().sizeHint().height()
                                  + self.table.verticalHeader().defaultSectionSize() * rows + 4)
        self.add = QPushButton(self.tr("&Add attendee"))
        self.add.setAccessibleName(self.tr("Add attendee"))
        self.remove = QPushButton(self.tr("&Remove attendee"))
        self.remove.setAccessibleName(self.tr("Remove the selected attendee"))
        buttons = QVBoxLayout()
        buttons.addWidget(self.add)
        buttons.addWidget(self.remove)
        buttons.addStretch(1)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)
        self.setFocusProxy(self.table)
        self.add.clicked.connect(self._on_add_clicked)
        self.remove.clicked.connect(self._on_remove_clicked)
        self.table.currentCellChanged.connect(self._on_table_current_cell_changed)
        self._on_table_current_cell_changed(-1, -1, -1, -1)

    def _on_add_clicked(self) -> None:
        row = self.add_row({})
        self.table.setFocus()
        self.table.setCurrentCell(row, 0)
        item = self.table.item(row, 0)
        if item is not None:
            self.table.editItem(item)

    def _on_remove_clicked(self) -> None:
        row = self.table.currentRow()
        if row < 0:
            return
        self.table.removeRow(row)
        if self.table.rowCount():
            self.table.setCurrentCell(min(row, self.table.rowCount() - 1), 0)
            self.table.setFocus()
        else:
            self.add.setFocus()

    def _on_table_current_cell_changed(self, row: int, *_args: int) -> None:
        self.remove.setEnabled(row >= 0)

    def add_row(self, attendee: dict[str, Any]) -> int:
        """Append one attendee; returns its row."""
        row = self.table.rowCount()
        self.table.insertRow(row)
        for column, key in enumerate(ATTENDEE_KEYS):
            self.table.setItem(row, column, QTableWidgetItem(str(attendee.get(key) or "")))
        return row

    def commit_open_editor(self) -> None:
        """Keep what is being typed in a cell (Next by keyboard does not close its editor)."""
        if self.table.state() != QAbstractItemView.State.EditingState:
            return
        editor = self.table.indexWidget(self.table.currentIndex())
        if editor is not None:
            self.table.commitData(editor)

    def value(self) -> list[dict[str, str | None]]:
        """Every row with anything typed in it (blank cells are None)."""
        self.commit_open_editor()
        people = []
        for row in range(self.table.rowCount()):
            cells = {}
            for column, key in enumerate(ATTENDEE_KEYS):
                item = self.table.item(row, column)
                cells[key] = (item.text().strip() if item else "") or None
            if any(cells.values()):
                people.append(cells)
        return people

    def set_value(self, attendees: Iterable[object]) -> None:
        """Show saved attendees (replacing the rows)."""
        self.table.setRowCount(0)
        for attendee in attendees:
            if isinstance(attendee, dict):
                self.add_row(attendee)
        self._on_table_current_cell_changed(self.table.currentRow())


class MdtPage(StepPage):
    """Meeting date, attendees, consensus; without it, the shared care discussion's details."""

    step_id = "S10"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.met_on = DateField(self.label("met_on"))
        self.attendees = AttendeeTable(self.label("attendees"))
        self.consensus = YesNo(self.label("consensus"), self.tr("&Yes, the MDT agreed"),
                               self.tr("N&o, it did not agree"))
        self.about = Choice(self.label("disagreement_about"), [
            ("delegation", self.tr("Whether to delegate the task")),
            ("funding", self.tr("The funding"))])
        self.question = Para(self.label("question_for_discussion"), lines=2)
        self.interim_funder = Choice(self.label("interim_funder"), [
            ("icb", self.tr("LLR ICB (Health)")),
            *[(council.value, FUNDER_NAMES[council]) for council in COUNCILS]])
        self.not_disrupted = QLabel(self.tr(
            "Care is not disrupted: Health funds the gap without prejudice until the "
            "decision is made."))
        self.not_disrupted.setWordWrap(True)
        self.not_disrupted.setStyleSheet("color: #333;")
        self.dispute_reference = Line(self.label("dispute_reference"),
                                      self.tr("needed when the disagreement is about funding"))
        self.dispute_reference.setMaxLength(DISPUTE_REFERENCE_MAX)
        self.form.addRow(self.tr("Meeting &date:"), self.met_on)
        self.form.addRow(self.tr("&Who attended:"), self.attendees)
        self.form.addRow(self.tr("MDT agreed:"), self.consensus)
        self.form.addRow(self.tr("Disagreement abou&t:"), self.about)
        self.form.addRow(self.tr("&Question to discuss:"), self.question)
        interim = self.interim_row = QWidget()
        column = QVBoxLayout(interim)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(self.interim_funder)
        column.addWidget(self.not_disrupted)
        self.form.addRow(self.tr("&Interim funder:"), interim)
        label = self.form.labelForField(interim)
        if isinstance(label, QLabel):
            label.setBuddy(self.interim_funder)
        self.form.addRow(self.tr("Dis&pute reference:"), self.dispute_reference)
        self.interim_weekly = Line(self.label("interim_weekly_pence"),
                                   self.tr("e.g. 84.00"))
        self.interim_weekly.setMaximumWidth(self.fontMetrics().horizontalAdvance("0") * 16)
        self.interim_from = DateField(self.label("interim_from"))
        self.form.addRow(self.tr("Interim £ a wee&k:"), self.interim_weekly)
        self.form.addRow(self.tr("Interim fro&m:"), self.interim_from)
        self.care_starts_on = DateField(self.label("care_starts_on"))
        self.starts_note = QLabel(self.tr("The first review is due 3 months after this day."))
        self.starts_note.setStyleSheet("color: #333;")
        starts = self.starts_row = QWidget()
        row = QHBoxLayout(starts)
        row.setContentsMargins(0, 0, 0, 0)
        row.addWidget(self.care_starts_on)
        row.addWidget(self.starts_note, 1)
        # PySide6 stub gap: getWidgetPosition is typed object; it returns (row, ItemRole).
        position = self.form.getWidgetPosition(self.consensus)
        after_consensus: int = position[0] + 1  # type: ignore[index]
        self.form.insertRow(after_consensus, self.tr("Care &starts on:"), starts)
        QWidget.setTabOrder(self.consensus.no, self.care_starts_on)
        QWidget.setTabOrder(self.care_starts_on, self.about)
        label = self.form.labelForField(starts)
        if isinstance(label, QLabel):
            label.setBuddy(self.care_starts_on)
        for widget in (self.attendees, self.question):
            label = self.form.labelForField(widget)
            if isinstance(label, QLabel):
                label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.attendees.table.itemChanged.connect(self._on_attendees_changed)
        self.attendees.table.model().rowsRemoved.connect(self._on_attendees_changed)
        self.consensus.changed.connect(self._on_consensus_changed)
        self.about.currentIndexChanged.connect(self._on_consensus_changed)
        self._on_consensus_changed()

    def _on_attendees_changed(self, *_args: object) -> None:
        if self.wizard() is not None:
            self.answer_edited()

    def _show(self, widget: QWidget, shown: bool) -> None:
        """Show a row only when its answer is asked (hidden, it keeps what was typed)."""
        self.form.setRowVisible(widget, shown)
        widget.setEnabled(shown)

    def _on_consensus_changed(self, *_args: object) -> None:
        disagreed = self.consensus.value() is False
        for widget in (self.about, self.question, self.interim_funder, self.not_disrupted):
            widget.setEnabled(disagreed)
        for row in (self.about, self.question, self.interim_row):
            self.form.setRowVisible(row, disagreed)
        if disagreed and self.interim_funder.value() is None:
            self.interim_funder.set_value("icb")  # care is not disrupted: Health pays
        self._show(self.dispute_reference, disagreed and self.about.value() == "funding")
        # Whether to delegate is disputed: nothing is delegated, the gap's cost is asked.
        whether = disagreed and self.about.value() == "delegation"
        for field in (self.interim_weekly, self.interim_from):
            self._show(field, whether)
        self.not_disrupted.setText(self.tr(
            "Nothing is delegated meanwhile: the nursing team keeps the task, and Health "
            "funds any gap without prejudice until the decision is made.") if whether else
            self.tr("Care is not disrupted: Health funds the gap without prejudice until the "
                    "decision is made."))
        self._show(self.starts_row, not whether)
        self.care_starts_on.setEnabled(not whether)

    def answers(self) -> dict[str, Any]:
        return {"met_on": self.met_on.value(), "attendees": self.attendees.value() or None,
                "consensus": self.consensus.value(),
                "disagreement_about": self.about.value(),
                "question_for_discussion": self.question.value(),
                "interim_funder": self.interim_funder.value(),
                "dispute_reference": self.dispute_reference.value(),
                "interim_weekly_pence": self._interim_pence(),
                "interim_weekly_typed": self.interim_weekly.value(),
                "interim_from": self.interim_from.value(),
                "care_starts_on": self.care_starts_on.value()}

    def _interim_pence(self) -> int | None:
        """The typed interim amount in pence; None while blank or not an amount."""
        text = self.interim_weekly.value()
        if not text:
            return None
        try:
            return parse_pounds(text, "interim_weekly_pence")
        except ValidationError:
            return None

    def _start_from_funding(self) -> str | None:
        """The extra care's start from S9F, when S9F is on the route (answers left there
        after going Back and changing S9 count for nothing: hazard H-010)."""
        if not self.wizard() or "S9F" not in self.delegation_wizard().evaluate().path:
            return None
        s9f: dict[str, Any] = self.delegation_wizard().answers.get("S9F", {})
        start: str | None = s9f.get("start_date") or (s9f.get("inputs") or {}).get("start_date")
        return start

    def load(self, answers: dict[str, Any]) -> None:
        self.met_on.set_value(answers.get("met_on"))
        self.attendees.set_value(list(answers.get("attendees") or ()))
        self.consensus.set_value(answers.get("consensus"))
        self.about.set_value(answers.get("disagreement_about"))
        self.question.set_value(answers.get("question_for_discussion"))
        self.interim_funder.set_value(answers.get("interim_funder"))
        self.dispute_reference.set_value(answers.get("dispute_reference"))
        typed = answers.get("interim_weekly_typed")
        pence = answers.get("interim_weekly_pence")
        self.interim_weekly.set_value(typed if typed else (
            format_pounds(pence).lstrip("£") if isinstance(pence, int) else None))
        self.interim_from.set_value(answers.get("interim_from"))
        self.care_starts_on.set_value(answers.get("care_starts_on")
                                      or self._start_from_funding())
        self._on_consensus_changed()

    def page_problem(self) -> str | None:
        people = self.attendees.value()
        for number, person in enumerate(people, start=1):
            if not (person["role"] and person["name"]):
                return self.tr("Attendee %d: enter their role and name (or remove the row).") \
                    % number
        if len(people) < MIN_ATTENDEES:
            return self.tr("Add at least two people who attended the MDT meeting.")
        if (self.consensus.value() is False and self.about.value() == "funding"
                and not self.dispute_reference.value()):
            return self.tr("A funding dispute needs its dispute reference (from the shared "
                           "care discussion or the CSU).")
        if self.consensus.value() is False and self.about.value() == "delegation":
            return self._interim_problem()
        return self._start_problem()

    def first_problem(self) -> str | None:
        # The interim amount's own words come before the flow's "answer: …" list, which
        # would not say that a typed amount was not understood.
        whether = self.consensus.value() is False and self.about.value() == "delegation"
        return self._interim_problem() if whether else None

    def _interim_problem(self) -> str | None:
        if self.interim_weekly.value() and self._interim_pence() is None:
            return self.tr("Interim £ a week: enter an amount in pounds, such as 84.00 (0.00 "
                           "if the nursing visits cover the gap).")
        if self._interim_pence() is None or not self.interim_from.value():
            return self.tr("Say what the interim funder pays a week for the gap while the "
                           "discussion decides (0.00 if the nursing visits cover it), and "
                           "from when.")
        return None

    def _start_problem(self) -> str | None:
        starts, met = self.care_starts_on.value(), self.met_on.value()
        if starts and met and starts < met:
            return self.tr("The care cannot start before the MDT met and agreed it: check the "
                           "date the care starts.")
        return None
