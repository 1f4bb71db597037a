"""The framework's principles on the wizard's pages (Part A section 3, section 4).

- ``WhatMattersBox`` (S6): what matters to the person in their own words, their strengths,
  what they do for themselves and who took part in the conversation, starting from the
  person record when the draft has none.
- ``ResourcesBox`` (S9): whether assistive technology was considered (which, what came of
  it and why, or why not) and whether the call frequency was reviewed.
- ``EligibilityNote`` (S1 and S5): the person's latest Care Act eligibility screen.
- The trusted-assessment box of S1, S2, S4 and S6 is ``reuse_box.ReuseBox``.

Each box gives its answers under the wizard's answer keys (only those given: a page's
answers keep the flow's names plus these), restores them, and says what is missing as a
``Missing`` (the words and the field to take the focus).

S6 already gives every letter its words offer to a mnemonic of its own, so the labels in
``WhatMattersBox`` have none: the box is first on the page, where the focus starts, and
Tab goes through it in order.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QItemSelectionModel, Qt, Signal
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QWidget,
)

from desktop_app.models.person_centred import Participant
from desktop_app.services.framework.person_centred import (
    AT_EXAMPLES,
    AT_OUTCOME_LABELS,
    CALLS_OUTCOME_LABELS,
    PARTICIPANT_LABELS,
)
from desktop_app.ui.tables import uk_date
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.context import WhatMattersOnFile, WizardContext
from desktop_app.ui.wizard.fields import Choice, Para, YesNo
from desktop_app.ui.wizard.s3_excluded import Notice

#: S6's answer keys for what matters in words (``took_part`` is the list beside them).
WORDS_KEYS = ("person_words", "strengths", "self_care")
#: S9's answer keys for the efficient use of resources.
RESOURCES_KEYS = ("at_considered", "at_kind", "at_outcome", "at_reason", "calls_reviewed",
                  "calls_outcome", "calls_note")
NAME_LIMIT = 200  # a name or a kind of equipment, as the decision accepts it


@dataclass(frozen=True)
class Missing:
    """What a page still needs, in words, and the field that takes the focus."""

    message: str
    widget: QWidget


def given_name(context: WizardContext) -> str:
    """The person's given name (the first word of the name the wizard shows)."""
    words = context.person_name.split()
    return words[0] if words else context.person_name


def no_mnemonic(text: str) -> str:
    """Typed text for a title or button, where '&' would mark a mnemonic."""
    return text.replace("&", "&&")


def focus_shown(message: QLabel, missing: Missing | None) -> None:
    """After Next was refused: the field ``missing`` names takes the focus when its words
    are the ones the page shows."""
    if missing is not None and not message.isHidden() and message.text() == missing.message:
        missing.widget.setFocus(Qt.FocusReason.OtherFocusReason)


def only_given(values: dict[str, Any]) -> dict[str, Any]:
    """The answers given (None and empty lists left out: the step keeps the flow's names
    and these keys only when they carry something)."""
    return {k: v for k, v in values.items() if v is not None and v != []}


# ---------------------------------------------------------------- what matters (S6)


class ParticipantsTable(QTableWidget):
    """Who took part in the conversation: a tick for each kind of participant, a name
    beside all but the person. Space ticks; typing in the name column names them (and
    ticks the row). Tab leaves the table."""

    changed = Signal()

    def __init__(self, context: WizardContext) -> None:
        super().__init__(len(PARTICIPANT_LABELS), 2)
        self.kinds = [str(kind) for kind in Participant]
        self.setAccessibleName(self.tr("Who took part in the conversation"))
        self.setHorizontalHeaderLabels([self.tr("Who"), self.tr("Name (optional)")])
        self.verticalHeader().setVisible(False)
        self.setCornerButtonEnabled(False)
        for corner in self.findChildren(QAbstractButton):
            corner.setAccessibleName(self.tr("Corner"))
        self.setTabKeyNavigation(False)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        triggers = QAbstractItemView.EditTrigger
        self.setEditTriggers(triggers.DoubleClicked | triggers.SelectedClicked
                             | triggers.EditKeyPressed | triggers.AnyKeyPressed)
        header = self.horizontalHeader()
        header.setSectionResizeMode(0, QHeaderView.ResizeMode.ResizeToContents)
        header.setSectionResizeMode(1, QHeaderView.ResizeMode.Stretch)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setVerticalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        for row, kind in enumerate(self.kinds):
            who = QTableWidgetItem(self.tr(PARTICIPANT_LABELS[kind]))
            who.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                         | Qt.ItemFlag.ItemIsUserCheckable)
            who.setCheckState(Qt.CheckState.Unchecked)
            name = QTableWidgetItem()
            if kind == Participant.PERSON:  # the person is named on every page already
                name.setText(context.person_name)
                name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable)
                name.setForeground(QColor("#555555"))
            else:
                name.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                              | Qt.ItemFlag.ItemIsEditable)
                name.setToolTip(self.tr("Type their name (and who they are, e.g. daughter)"))
            self.setItem(row, 0, who)
            self.setItem(row, 1, name)
        # Tab lands on the first row; nothing looks chosen until the nurse ticks it.
        self.setCurrentCell(0, 0, QItemSelectionModel.SelectionFlag.NoUpdate)
        rows = self.verticalHeader()
        rows.setSectionResizeMode(QHeaderView.ResizeMode.Fixed)
        rows.setDefaultSectionSize(max(self.fontMetrics().height() + 10, 22))
        self.setFixedHeight(header.sizeHint().height() + 2 * self.frameWidth()
                            + rows.defaultSectionSize() * len(self.kinds))
        self.itemChanged.connect(self._on_item_changed)

    def _on_item_changed(self, item: QTableWidgetItem) -> None:
        # A name typed means they took part: tick the row (unticking keeps the name).
        if item.column() == 1 and item.text().strip():
            who = self.item(item.row(), 0)
            if who is not None and who.checkState() != Qt.CheckState.Checked:
                who.setCheckState(Qt.CheckState.Checked)
                return  # that change emits again
        self.changed.emit()

    def row_of(self, kind: str) -> int:
        """The row of a kind of participant."""
        return self.kinds.index(kind)

    def value(self) -> list[dict[str, str]]:
        """Who is ticked, in the list's order: [{"kind", "name"}] ("" for the person)."""
        chosen = []
        for row, kind in enumerate(self.kinds):
            who, name = self.item(row, 0), self.item(row, 1)
            if who is None or who.checkState() != Qt.CheckState.Checked:
                continue
            typed = name.text().strip() if name is not None and kind != Participant.PERSON \
                else ""
            chosen.append({"kind": kind, "name": typed[:NAME_LIMIT]})
        return chosen

    def set_value(self, value: object) -> None:
        """Tick who took part (a kind given twice shows its names together)."""
        names: dict[str, list[str]] = {}
        for entry in value if isinstance(value, list | tuple) else []:
            kind = str(entry.get("kind")) if isinstance(entry, dict) else ""
            if kind in self.kinds:
                typed = str(entry.get("name") or "").strip()
                names.setdefault(kind, [])
                if typed:
                    names[kind].append(typed)
        self.blockSignals(True)
        for row, kind in enumerate(self.kinds):
            who, name = self.item(row, 0), self.item(row, 1)
            if who is not None:
                who.setCheckState(Qt.CheckState.Checked if kind in names
                                  else Qt.CheckState.Unchecked)
            if name is not None and kind != Participant.PERSON:
                name.setText(", ".join(names.get(kind, [])))
        self.blockSignals(False)
        self.viewport().update()


class WhatMattersBox(QGroupBox):
    """What matters to the person (S6), asset-based: their own words, strengths, self-care
    and who took part. Starts from the person record when the draft has none, and says so
    while it is unchanged. ``changed``: who took part changed (the page watches the words
    itself)."""

    changed = Signal()

    def __init__(self, context: WizardContext) -> None:
        super().__init__(no_mnemonic(self.tr("What matters to %s") % given_name(context)))
        self.context = context
        self.on_file: WhatMattersOnFile | None = context.what_matters
        self.from_record = Notice(self.tr("From the person record"), "info")
        if self.on_file is not None:
            self.from_record.set_message(self.tr(
                "<b>From the person record</b>, %s: change it if it has changed.")
                % escape_text(uk_date(self.on_file.recorded_on) or self.tr("undated")))
        name = given_name(context)
        self.words = {
            "person_words": Para(self.tr("In their own words: what they want"), self.tr(
                "what %s wants from their care and their life, as they say it") % name),
            "strengths": Para(self.tr("Strengths"), self.tr(
                "e.g. what they are good at, what they enjoy, who helps them"), lines=2),
            "self_care": Para(self.tr("What they do for themselves"), self.tr(
                "e.g. puts in their own hearing aids; makes breakfast"), lines=2),
        }
        self.took_part = ParticipantsTable(context)
        # The record's version these words started from (0: none on file): the decision
        # refuses to write them over words a colleague saved since (``what_matters_from``).
        self.started_from = self.on_file.version if self.on_file is not None else 0
        self.newer_on_file = Notice(self.tr("Changed on the person record"), "warning")
        self.use_record = QPushButton(self.tr("&1 Use the person record's words"))
        self.use_record.setAccessibleName(self.tr(
            "Use the person record's newer words for what matters"))
        self.use_record.clicked.connect(self._on_use_record_clicked)
        self.keep_mine = QPushButton(self.tr("&2 Keep these words"))
        self.keep_mine.setAccessibleName(self.tr(
            "Keep these words for what matters, over the person record's"))
        self.keep_mine.clicked.connect(self._on_keep_mine_clicked)
        choose = QHBoxLayout()
        choose.addWidget(self.use_record)
        choose.addWidget(self.keep_mine)
        choose.addStretch(1)
        self.choose = QWidget()
        self.choose.setLayout(choose)
        choose.setContentsMargins(0, 0, 0, 0)
        form = QFormLayout(self)
        form.addRow(self.newer_on_file)
        form.addRow(self.choose)
        form.addRow(self.from_record)
        texts = (self.tr("In their own words:"), self.tr("Strengths:"),
                 self.tr("What they do for themselves:"))
        for text, widget in zip(texts, self.words.values(), strict=True):
            form.addRow(QLabel(text), widget)  # a label with no mnemonic: see the module
        form.addRow(QLabel(self.tr("Who took part:")), self.took_part)
        self.form = form
        for widget in self.words.values():
            widget.textChanged.connect(self._show_from_record)
        self.took_part.changed.connect(self._on_took_part_changed)
        self._show_from_record()

    def _on_took_part_changed(self) -> None:
        self._show_from_record()
        self.changed.emit()

    def _shown(self) -> tuple[str, str, str, tuple[tuple[str, str], ...]]:
        words = tuple(widget.value() or "" for widget in self.words.values())
        return (words[0], words[1], words[2],
                tuple((p["kind"], p["name"]) for p in self.took_part.value()))

    def _record(self) -> tuple[str, str, str, tuple[tuple[str, str], ...]] | None:
        on_file = self.on_file
        if on_file is None:
            return None
        return (on_file.own_words.strip(), on_file.strengths.strip(), on_file.self_care.strip(),
                tuple((str(p.get("kind", "")), str(p.get("name", "")).strip())
                      for p in on_file.took_part))

    def _show_from_record(self) -> None:
        record = self._record()
        same = record is not None and self._shown() == record
        self.form.setRowVisible(self.from_record, record is not None and any(record) and same)
        on_file = self.on_file
        newer = on_file is not None and not same and self.started_from != on_file.version
        if newer and on_file is not None:
            self.newer_on_file.set_message(self.tr(
                "<b>Changed on the person record</b> by %s on %s, after these words were "
                "taken from it. Use the record's words, or keep these (they then replace "
                "the record's when the delegation is recorded).") % (
                escape_text(on_file.recorded_by), escape_text(uk_date(on_file.recorded_on))))
        self.form.setRowVisible(self.newer_on_file, newer)
        self.form.setRowVisible(self.choose, newer)

    def answers(self) -> dict[str, Any]:
        """The contract's keys that carry something, and the record's version they started
        from (``what_matters_from``) when they carry something."""
        values: dict[str, Any] = {key: widget.value() for key, widget in self.words.items()}
        values["took_part"] = self.took_part.value()
        given = only_given(values)
        return {**given, "what_matters_from": self.started_from} if given else given

    def load(self, answers: dict[str, Any]) -> None:
        """Show the draft's answers, or the person record's when the draft has none; a
        draft whose words the record has changed since says so, and offers the record's."""
        own = any(answers.get(key) for key in (*WORDS_KEYS, "took_part"))
        on_file = self.on_file
        if not own and on_file is not None:
            answers = self._record_answers(on_file)
        elif own:
            self.started_from = int(answers.get("what_matters_from") or 0)
        for key, widget in self.words.items():
            widget.set_value(answers.get(key))
        self.took_part.set_value(answers.get("took_part"))
        self._show_from_record()

    def _record_answers(self, on_file: WhatMattersOnFile) -> dict[str, Any]:
        self.started_from = on_file.version
        return {"person_words": on_file.own_words, "strengths": on_file.strengths,
                "self_care": on_file.self_care, "took_part": list(on_file.took_part)}

    def _on_use_record_clicked(self) -> None:
        self.load({})  # the record's words, and its version
        self.changed.emit()

    def _on_keep_mine_clicked(self) -> None:
        if self.on_file is not None:  # chosen knowingly: these go over the record's
            self.started_from = self.on_file.version
            self._show_from_record()
            self.changed.emit()

    def missing(self) -> Missing | None:
        """Words given with nobody said to have taken part."""
        if any(widget.value() for widget in self.words.values()) and not self.took_part.value():
            return Missing(self.tr("Say who took part in the conversation about what matters "
                                   "to %s: tick them under “Who took part”.")
                           % given_name(self.context), self.took_part)
        return None


# ---------------------------------------------------------------- resources (S9)


class ResourcesBox(QGroupBox):
    """Efficient use of resources (S9): assistive technology considered, which, what came
    of it and why (or why not); the call frequency reviewed and what it found. Its fields
    are the kinds the page watches itself (``StepPage._watch_edits``)."""

    def __init__(self) -> None:
        super().__init__(self.tr("Efficient use of resources"))
        self.at_considered = YesNo(self.tr("Was assistive technology considered?"),
                                   self.tr("Yes, consi&dered"), self.tr("No, no&t considered"))
        self.at_kind = QComboBox()
        self.at_kind.setEditable(True)
        self.at_kind.addItems([self.tr(example) for example in AT_EXAMPLES])
        self.at_kind.setCurrentIndex(-1)
        self.at_kind.setAccessibleName(self.tr("Which assistive technology"))
        self.at_kind.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        line = self.at_kind.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("choose or type, e.g. an automated pill dispenser"))
            line.setMaxLength(NAME_LIMIT)
            line.setAccessibleName(self.tr("Which assistive technology"))
        self.at_outcome = Choice(self.tr("What came of it"), [
            (str(value), self.tr(words)) for value, words in AT_OUTCOME_LABELS.items()])
        self.at_reason = Para(self.tr("Why"), lines=2)
        self.calls_reviewed = YesNo(self.tr("Was the call frequency reviewed?"),
                                    self.tr("Ye&s, reviewed"), self.tr("No, not re&viewed"))
        self.calls_outcome = Choice(self.tr("What the review found"), [
            (str(value), self.tr(words)) for value, words in CALLS_OUTCOME_LABELS.items()])
        self.calls_note = Para(self.tr("Note on the calls"), self.tr(
            "can the task fit an existing call? e.g. the drops fit the morning and evening "
            "calls"), lines=2)
        self.hint = QLabel(self.tr(
            "Could equipment do the task, or part of it (an automated pill dispenser, a pen "
            "with dose memory, telecare)? Can the task fit a call the person already has?"))
        self.hint.setWordWrap(True)
        self.hint.setStyleSheet("color: #333;")
        self.reason_label = QLabel(self.tr("W&hy:"))
        self.reason_label.setBuddy(self.at_reason)
        form = QFormLayout(self)
        form.addRow(self.hint)
        form.addRow(self.tr("Was assistive technology considered?"), self.at_considered)
        form.addRow(self.tr("&Which:"), self.at_kind)
        form.addRow(self.tr("What &came of it:"), self.at_outcome)
        form.addRow(self.reason_label, self.at_reason)
        form.addRow(self.tr("Was the call frequency reviewed?"), self.calls_reviewed)
        form.addRow(self.tr("What it fo&und:"), self.calls_outcome)
        form.addRow(self.tr("Note on ca&lls:"), self.calls_note)
        self.form = form
        self.at_considered.changed.connect(self._on_answer_changed)
        self.calls_reviewed.changed.connect(self._on_answer_changed)
        self.at_outcome.currentIndexChanged.connect(self._on_outcome_changed)
        self._on_answer_changed()

    def _on_outcome_changed(self, _index: int) -> None:
        self._set_reason_words()

    def _set_reason_words(self) -> None:
        considered = self.at_considered.value()
        examples = {"not_suitable": self.tr("e.g. not suitable because her hands shake too "
                                            "much to open the trays"),
                    "declined": self.tr("e.g. what the person said about it"),
                    "to_try": self.tr("e.g. ordered from the council's telecare service; "
                                      "the task is delegated meanwhile"),
                    "in_place": self.tr("e.g. the dispenser prompts, the care worker checks")}
        if considered is False:
            self.reason_label.setText(self.tr("W&hy not:"))
            self.at_reason.setPlaceholderText(self.tr(
                "e.g. no equipment could do this task (drops into the eye)"))
        else:
            self.reason_label.setText(self.tr("W&hy:"))
            self.at_reason.setPlaceholderText(examples.get(self.at_outcome.value() or "", ""))

    def _on_answer_changed(self) -> None:
        # What the answers make relevant; what was typed in a hidden row stays there for a
        # flip back, but is not an answer.
        considered, reviewed = self.at_considered.value(), self.calls_reviewed.value()
        for widget, shown in ((self.at_kind, considered is True),
                              (self.at_outcome, considered is True),
                              (self.at_reason, considered is not None),
                              (self.calls_outcome, reviewed is True),
                              (self.calls_note, reviewed is not None)):
            self.form.setRowVisible(widget, shown)
            widget.setEnabled(shown)
        self._set_reason_words()

    def answers(self) -> dict[str, Any]:
        """S9's resources keys that carry something."""
        considered, reviewed = self.at_considered.value(), self.calls_reviewed.value()
        kind = self.at_kind.currentText().strip() or None
        return only_given({
            "at_considered": considered,
            "at_kind": kind if considered is True else None,
            "at_outcome": self.at_outcome.value() if considered is True else None,
            "at_reason": self.at_reason.value() if considered is not None else None,
            "calls_reviewed": reviewed,
            "calls_outcome": self.calls_outcome.value() if reviewed is True else None,
            "calls_note": self.calls_note.value() if reviewed is not None else None,
        })

    def load(self, answers: dict[str, Any]) -> None:
        """Show saved answers (nothing chosen when none)."""
        self.at_considered.set_value(answers.get("at_considered"))
        self.at_kind.setCurrentIndex(-1)
        self.at_kind.setEditText(str(answers.get("at_kind") or ""))
        self.at_outcome.set_value(answers.get("at_outcome"))
        self.at_reason.set_value(answers.get("at_reason"))
        self.calls_reviewed.set_value(answers.get("calls_reviewed"))
        self.calls_outcome.set_value(answers.get("calls_outcome"))
        self.calls_note.set_value(answers.get("calls_note"))
        self._on_answer_changed()

    def missing(self) -> Missing | None:
        """Everything still to answer, named, with the focus for the first."""
        considered, reviewed = self.at_considered.value(), self.calls_reviewed.value()
        gaps: list[tuple[str, QWidget]] = []
        if considered is None:
            gaps.append((self.tr("whether assistive technology was considered"),
                         self.at_considered.yes))
        if considered is True and not self.at_kind.currentText().strip():
            gaps.append((self.tr("which assistive technology"), self.at_kind))
        if considered is True and self.at_outcome.value() is None:
            gaps.append((self.tr("what came of it"), self.at_outcome))
        if considered is not None and self.at_reason.value() is None:
            gaps.append((self.tr("why") if considered else
                         self.tr("why assistive technology was not considered"),
                         self.at_reason))
        if reviewed is None:
            gaps.append((self.tr("whether the call frequency was reviewed"),
                         self.calls_reviewed.yes))
        if reviewed is True and self.calls_outcome.value() is None:
            gaps.append((self.tr("what the review of the calls found"), self.calls_outcome))
        if not gaps:
            return None
        return Missing(self.tr("Efficient use of resources, still to answer: %s.")
                       % "; ".join(words for words, _ in gaps), gaps[0][1])


# ---------------------------------------------------------------- eligibility (S1, S5)
