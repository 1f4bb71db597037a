"""Reporting a practical problem with the framework to the IPCB, the list of those reported,
and the form for the IPCB's answer (framework Part A section 5.0).

- ``ProblemReportDialog``: which step or rule (the flow's steps with their titles, then the
  rules around them) and what happened, with the plain warning that the IPCB reads the
  text, so the person is not named. Opened from any screen ("Report a problem with the
  framework…" in the status bar, or its key) and from the delegation wizard, where it
  starts on the wizard's step and the person's own details are checked too (as they are
  when reported with a person's record on screen). A refusal (the text names someone, is
  too short...) is shown under the field, quoting the words to change, everything typed
  kept.
- ``ProblemsWidget``: "Problems reported to the IPCB" on the Reports screen, for team
  leads and governance, with each one's status; the selected one's whole text and ruling
  below. A team lead has "Record the IPCB's answer…"; governance reads only.
- ``ProblemAnswerDialog``: what the IPCB did (discussed, ruling issued: only the statuses
  after the current one are offered) and the ruling, which starts empty: a note recorded
  when it was discussed is shown above it, read-only, so it is never issued as the ruling
  by mistake.
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass

from PySide6.QtCore import QModelIndex, Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QLabel,
    QPlainTextEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.models.person_centred import ProblemStatus
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.person_centred import PROBLEM_STATUS_LABELS
from desktop_app.services.registers import ProblemInput, ProblemRow
from desktop_app.services.registers.framework_problems import MAX_LENGTH
from desktop_app.ui.forms import FormDialog
from desktop_app.ui.registers.base import Column, RegisterWidget, plural
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run

WARNING = "Do not name the person: the IPCB sees this text. Say 'the person'."


def _text_box(name: str, lines: int = 6) -> QPlainTextEdit:
    box = QPlainTextEdit()
    box.setAccessibleName(name)
    box.setTabChangesFocus(True)  # Tab leaves the box; the text never takes a tab
    box.setMinimumHeight(box.fontMetrics().lineSpacing() * lines + 12)
    return box


class ProblemReportDialog(FormDialog[ProblemInput]):
    """Report a practical problem with the framework (module docstring)."""

    def __init__(self, topics: Sequence[tuple[str, str]], about: str | None = None,
                 person_id: str | None = None, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Report a problem with the framework"),
                         self.tr("&Send to the IPCB"), parent)
        self.person_id = person_id
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setText(self.tr(
            "Tell the Integrated Personalised Care Board (IPCB) about a practical problem "
            "with using the framework: which step or rule, and what happened. It reaches "
            "the IPCB's list at the next sync; team leads and governance see it on the "
            "Reports screen."))
        self.intro.show()
        self.about_combo = QComboBox()
        self.about_combo.setAccessibleName(self.tr("Which step or rule"))
        self.about_combo.addItem(self.tr("Choose the step or rule…"), None)
        for key, words in topics:
            self.about_combo.addItem(words, key)
        if about:
            found = self.about_combo.findData(about)
            self.about_combo.setCurrentIndex(max(found, 0))
        self.what_edit = _text_box(self.tr("What happened"), 8)
        self.warning = QLabel(self.tr(WARNING))
        self.warning.setTextFormat(Qt.TextFormat.PlainText)
        self.warning.setWordWrap(True)
        self.warning.setStyleSheet("font-weight: bold;")
        self.warning.setAccessibleName(self.tr("Warning"))
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Characters typed"))
        what = QWidget()
        column = QVBoxLayout(what)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.warning)
        column.addWidget(self.what_edit)
        column.addWidget(self.count_label)
        self.what_edit.textChanged.connect(self._count)
        self.add_field("about", self.tr("&About:"), self.about_combo)
        self.add_field("what_happened", self.tr("&What happened:"), what, self.what_edit)
        # A refusal quotes the words typed: shown as typed, never as markup.
        self.problems["what_happened"].setTextFormat(Qt.TextFormat.PlainText)
        self.chain_tabs()
        self._count()
        self.resize(640, self.sizeHint().height())
        (self.what_edit if about else self.about_combo).setFocus()

    def _count(self) -> None:
        typed = len(self.what_edit.toPlainText().strip())
        self.count_label.setText(self.tr("%1 of %2 characters (at least 20)")
                                 .replace("%1", f"{typed:,}").replace("%2", f"{MAX_LENGTH:,}"))

    def value(self) -> ProblemInput:
        about = self.about_combo.currentData()
        if not about:
            raise ValidationError(self.tr("Choose the step or the rule the problem is about."),
                                  field="about")
        return ProblemInput(str(about), self.what_edit.toPlainText(), self.person_id)


@dataclass(frozen=True)
class ProblemAnswer:
    """What the team lead records of the IPCB's answer to one problem."""

    problem_id: str
    status: ProblemStatus
    ruling: str
    expected_version: int


class ProblemAnswerDialog(FormDialog[ProblemAnswer]):
    """Record what the IPCB did with a problem: discussed, or its ruling (forward only)."""

    def __init__(self, row: ProblemRow, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Record the IPCB's answer"), self.tr("&Save"), parent)
        self.row = row
        self.intro.setTextFormat(Qt.TextFormat.PlainText)
        self.intro.setText(self.tr("%1, reported %2 by %3. Now: %4.")
                           .replace("%1", row.about_label)
                           .replace("%2", uk_date(row.reported_on))
                           .replace("%3", row.reported_by_name)
                           .replace("%4", row.status_label))
        self.intro.show()
        self.problem_view = _text_box(self.tr("What happened"), 4)
        self.problem_view.setReadOnly(True)
        self.problem_view.setPlainText(row.what_happened)
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName(self.tr("What the IPCB did"))
        for status in row.next_statuses:
            self.status_combo.addItem(PROBLEM_STATUS_LABELS[status], status.value)
        # A note recorded when it was discussed: shown, never put in the ruling's box.
        self.note_view: QPlainTextEdit | None = None
        if row.ruling:
            self.note_view = _text_box(self.tr("Note recorded when discussed"), 3)
            self.note_view.setReadOnly(True)
            self.note_view.setMaximumHeight(self.note_view.fontMetrics().lineSpacing() * 4 + 12)
            self.note_view.setPlainText(row.ruling)
        self.ruling_edit = _text_box(self.tr("The IPCB's ruling"), 5)
        hint = QLabel(self.tr("Needed for a ruling; a note is optional when only discussed. "
                              "Every team reads it: do not name anyone."))
        hint.setWordWrap(True)
        ruling = QWidget()
        column = QVBoxLayout(ruling)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.ruling_edit)
        column.addWidget(hint)
        self.add_field("problem", self.tr("What &happened:"), self.problem_view)
        self.add_field("status", self.tr("What the IPCB &did:"), self.status_combo)
        if self.note_view is not None:
            self.add_field("note", self.tr("&Note when discussed:"), self.note_view)
        self.add_field("ruling", self.tr("&Ruling:"), ruling, self.ruling_edit)
        self.problems["ruling"].setTextFormat(Qt.TextFormat.PlainText)
        self.chain_tabs()
        self.resize(640, self.sizeHint().height())
        self.status_combo.setFocus()

    def value(self) -> ProblemAnswer:
        status = self.status_combo.currentData()
        if not status:
            raise ValidationError(self.tr("A ruling has been issued: there is nothing more "
                                          "to record."), field="status")
        return ProblemAnswer(self.row.problem_id, ProblemStatus(status),
                             self.ruling_edit.toPlainText(), self.row.version)


def _first_line(text: str, width: int = 90) -> str:
    line = " ".join(text.split())
    return line if len(line) <= width else line[:width - 1] + "…"


class ProblemsWidget(RegisterWidget[ProblemRow]):
    """Problems reported to the IPCB, newest first, with their status (team leads and
    governance); ``answer_requested(row)`` asks for the IPCB's answer form (team leads)."""

    answer_requested = Signal(object)

    def __init__(self, run: Run, load: Callable[[], Sequence[ProblemRow]],
                 can_answer: bool) -> None:
        super().__init__(run, load)
        self._can_answer = can_answer
        columns: list[Column[ProblemRow]] = [
            Column(self.tr("Reported"), lambda r: uk_date(r.reported_on)),
            Column(self.tr("About"), lambda r: r.about_label),
            Column(self.tr("Status"), lambda r: r.status_label),
            Column(self.tr("Since"), lambda r: uk_date(r.status_on or r.reported_on)),
            Column(self.tr("Reported by"), lambda r: r.reported_by_name),
            Column(self.tr("What happened"), lambda r: _first_line(r.what_happened))]
        self.configure(self.tr("Problems reported to the IPCB"), columns)
        self.about_label = QLabel(self.tr(
            "Practical problems staff reported with the use of the framework, for the "
            "Integrated Personalised Care Board: received, discussed, ruling issued. "
            "Anonymised: no person is named."))
        self.about_label.setWordWrap(True)
        self.layout_.insertWidget(1, self.about_label)
        self.detail = QPlainTextEdit()
        self.detail.setReadOnly(True)
        self.detail.setTabChangesFocus(True)
        self.detail.setAccessibleName(self.tr("The selected problem and its ruling"))
        lines = self.detail.fontMetrics().lineSpacing()  # the list keeps the spare height
        self.detail.setMinimumHeight(4 * lines + 12)
        self.detail.setMaximumHeight(10 * lines + 12)
        self.layout_.insertWidget(self.layout_.indexOf(self.message_label), self.detail)
        self.answer_button = QPushButton(self.tr("Record the IPCB's &answer…"))
        self.answer_button.setAccessibleName(self.tr("Record the IPCB's answer to the "
                                                     "selected problem"))
        self.answer_button.clicked.connect(self._on_answer_button_clicked)
        self.add_button(self.answer_button, can_answer)
        QWidget.setTabOrder(self.table, self.detail)
        QWidget.setTabOrder(self.detail, self.answer_button)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        self.table.row_activated.connect(self._on_table_row_activated)
        self.refreshed.connect(self._on_refreshed)
        self._show_selected(None)

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 problem reported"), self.tr("%n problems reported"))

    def selected(self) -> ProblemRow | None:
        """The problem selected in the list, if any."""
        row = self.table.current_row()
        return self.model.row(row) if row is not None else None

    def _show_selected(self, row: ProblemRow | None) -> None:
        self.answer_button.setEnabled(row is not None and bool(row.next_statuses))
        if row is None:
            self.detail.setPlainText("")
            return
        parts = [f"{row.about_label} · {self.tr('reported')} {uk_date(row.reported_on)} "
                 f"{self.tr('by')} {row.reported_by_name}", "", row.what_happened, "",
                 f"{self.tr('Status')}: {row.status_label}"
                 + (f" ({uk_date(row.status_on)}, {row.status_by_name})"
                    if row.status_on and row.status_by_name else "")]
        if row.ruling:
            heading = (self.tr("Ruling") if row.status is ProblemStatus.RULING_ISSUED
                       else self.tr("Note"))
            parts += ["", f"{heading}: {row.ruling}"]
        self.detail.setPlainText("\n".join(parts))

    def _on_refreshed(self) -> None:
        self._show_selected(self.selected())

    def _on_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self._show_selected(self.model.row(current.row()) if current.isValid() else None)

    def _on_table_row_activated(self, _row: int) -> None:
        if self._can_answer and self.answer_button.isEnabled():
            self._on_answer_button_clicked()
        else:
            self.detail.setFocus()

    def _on_answer_button_clicked(self, _checked: bool = False) -> None:
        row = self.selected()
        if row is not None and row.next_statuses:
            self.answer_requested.emit(row)
