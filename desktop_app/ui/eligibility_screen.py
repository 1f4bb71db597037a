"""The Care Act eligibility screen (framework section 4), opened from the person record.

The three questions of the eligibility regulations: do the needs arise from a physical or
mental impairment or illness (yes, no, or not answered yet); which of the ten outcomes the
person cannot achieve, and in which of the four ways they count as unable (a check box for
each); and is there, or is there likely to be, a significant impact on their wellbeing.
Below them, the software's suggestion, worked out again on every change
(``framework.eligibility.suggest_eligibility``) with its reasons and the words "This is a
suggestion; the assessor makes the decision", and then the practitioner's own decision and
its reason, which is what the record keeps beside the suggestion.

Everything but the problem line and the buttons scrolls inside the dialog, which opens no
bigger than the screen, so it fits a 1366x768 laptop at 150 % text.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QSize, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import (
    QButtonGroup,
    QCheckBox,
    QFormLayout,
    QFrame,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QRadioButton,
    QScrollArea,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.eligibility import (
    DISCLAIMER,
    EligibilityAnswers,
    EligibilitySuggestion,
    Outcome,
    UnableReason,
    suggest_eligibility,
)
from desktop_app.services.framework.person_centred import (
    ELIGIBILITY_DECISION_LABELS,
    SUGGESTION_LABELS,
)
from desktop_app.services.people.person_centred import EligibilityInput
from desktop_app.ui.forms import DateLine, FormDialog
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Choice, Para

# Room the window frame and title bar take (as the wizard leaves: ``wizard.fitted``).
FRAME_ROOM = QSize(16, 40)


class Answer(QWidget):
    """Yes, No, or Not answered yet (the first state)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.yes = QRadioButton(self.tr("Yes"))
        self.no = QRadioButton(self.tr("No"))
        self.unknown = QRadioButton(self.tr("Not answered yet"))
        self._group = QButtonGroup(self)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        for button in (self.yes, self.no, self.unknown):
            button.setAccessibleName(f"{name}: {button.text()}")
            self._group.addButton(button)
            layout.addWidget(button)
        layout.addStretch(1)
        self.unknown.setChecked(True)

    def value(self) -> bool | None:
        """True, False, or None when not answered yet."""
        return True if self.yes.isChecked() else False if self.no.isChecked() else None

    def set_value(self, value: bool | None) -> None:
        """Restore an answer (None: not answered yet)."""
        button = self.yes if value is True else self.no if value is False else self.unknown
        button.setChecked(True)

    def buttons(self) -> list[QRadioButton]:
        """Yes, No and Not answered yet, in Tab order."""
        return [self.yes, self.no, self.unknown]


class OutcomesBox(QWidget):
    """The ten outcomes, each with the four ways of being unable as check boxes, and "none
    of these" for a person who can achieve all ten."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName(self.tr("The outcomes the person cannot achieve"))
        column = QVBoxLayout(self)
        column.setContentsMargins(0, 0, 0, 0)
        self.ticks: dict[Outcome, dict[UnableReason, QCheckBox]] = {}
        # Lettered (a) to (j) as in the regulations, apart from the three questions' numbers.
        for letter, outcome in zip("abcdefghij", Outcome, strict=True):
            # The outcome's words wrap (the longest is wider than a small screen): a label
            # in the box, not its title.
            box = QGroupBox()
            box.setAccessibleName(self.tr(outcome.label))
            rows = QVBoxLayout(box)
            rows.setSpacing(2)
            heading = QLabel(f"<b>({letter}) {escape_text(self.tr(outcome.label))}</b>")
            heading.setWordWrap(True)
            rows.addWidget(heading)
            self.ticks[outcome] = {}
            for reason in UnableReason:
                tick = QCheckBox(self.tr(reason.label))
                tick.setAccessibleName(f"{self.tr(outcome.label)}: {self.tr(reason.label)}")
                tick.toggled.connect(self._on_tick_toggled)
                rows.addWidget(tick)
                self.ticks[outcome][reason] = tick
            column.addWidget(box)
        self.none = QCheckBox(self.tr("&None of these: the person can achieve all ten "
                                      "outcomes"))
        self.none.setAccessibleName(self.tr("None of these: the person can achieve all ten "
                                            "outcomes"))
        self.none.toggled.connect(self._on_none_toggled)
        column.addWidget(self.none)

    def all_ticks(self) -> list[QCheckBox]:
        """Every outcome's four check boxes, in the order shown."""
        return [tick for row in self.ticks.values() for tick in row.values()]

    def _on_tick_toggled(self, checked: bool) -> None:
        if checked:
            self.none.setChecked(False)

    def _on_none_toggled(self, checked: bool) -> None:
        if checked:
            for tick in self.all_ticks():
                tick.setChecked(False)

    def value(self) -> dict[Outcome, set[UnableReason]] | None:
        """Each outcome ticked with the ways ticked; {} for "none of these"; None while
        nothing is ticked (not answered yet)."""
        unable = {outcome: {reason for reason, tick in row.items() if tick.isChecked()}
                  for outcome, row in self.ticks.items()}
        unable = {outcome: reasons for outcome, reasons in unable.items() if reasons}
        if unable or self.none.isChecked():
            return unable
        return None


class _Scroll(QScrollArea):
    """The questions, scrolling; never wider than they are, at most a screenful tall."""

    def __init__(self, inner: QWidget) -> None:
        super().__init__()
        self.inner = inner
        self.setFrameShape(QFrame.Shape.NoFrame)
        self.setWidgetResizable(True)
        self.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.setHorizontalScrollBarPolicy(Qt.ScrollBarPolicy.ScrollBarAlwaysOff)
        self.setWidget(inner)

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        hint = self.inner.sizeHint()
        return QSize(hint.width() + self.verticalScrollBar().sizeHint().width(),
                     min(hint.height(), 640))

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        width = self.inner.minimumSizeHint().width()
        return QSize(width + self.verticalScrollBar().sizeHint().width(), 120)


class EligibilityDialog(FormDialog[EligibilityInput]):
    """The Care Act eligibility screen (module docstring)."""

    def __init__(self, person_name: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Care Act eligibility: %s") % person_name,
                         self.tr("&Record the decision"), parent)
        tr = self.tr
        self.about = QLabel(tr("<b>%1</b>: the three tests of the Care Act eligibility "
                               "regulations. All three must hold for needs to be eligible. "
                               "%2").replace("%1", escape_text(person_name))
                            .replace("%2", escape_text(tr(DISCLAIMER))))
        self.about.setWordWrap(True)
        self._scrolling_form()
        self.screened_on = DateLine(tr("Date of the screen"), today)
        self.impairment = Answer(tr("Needs arise from a physical or mental impairment or "
                                    "illness"))
        self.outcomes = OutcomesBox()
        self.impact = Answer(tr("Significant impact on wellbeing"))
        self.suggestion = QLabel()
        self.suggestion.setWordWrap(True)
        self.suggestion.setAccessibleName(tr("The software's suggestion"))
        self.suggestion.setFrameShape(QFrame.Shape.StyledPanel)
        self.decision = Choice(tr("The practitioner's decision"),
                               [(code, tr(label))
                                for code, label in ELIGIBILITY_DECISION_LABELS.items()])
        self.reason = Para(tr("Reason for the decision"),
                           tr("why; and why it differs from the suggestion, if it does"), lines=3)
        self.add_field("screened_on", tr("Screened &on:"), self.screened_on)
        self.add_field("needs_from_impairment",
                       tr("1. Do the needs arise from a physical or mental &impairment or "
                          "illness?"), self.impairment, focus=self.impairment.yes)
        self.add_field("unable", tr("2. Which outcomes can the person not achieve, and in "
                                    "what way? (two or more are needed)"), self.outcomes,
                       focus=self.outcomes.all_ticks()[0])
        self.add_field("significant_impact",
                       tr("3. As a result, is there, or is there likely to be, a significant "
                          "impact on their &wellbeing?"), self.impact, focus=self.impact.yes)
        self.form.addRow(self.suggestion)
        self.add_field("decision", tr("The practitioner's &decision:"), self.decision)
        self.add_field("decision_reason", tr("Re&ason:"), self.reason)
        self.chain_tabs({"needs_from_impairment": self.impairment.buttons()[1:],
                         "unable": [*self.outcomes.all_ticks()[1:], self.outcomes.none],
                         "significant_impact": self.impact.buttons()[1:]})
        for tick in [*self.outcomes.all_ticks(), self.outcomes.none]:
            tick.toggled.connect(self._on_answer_toggled)
        for button in [*self.impairment.buttons(), *self.impact.buttons()]:
            button.toggled.connect(self._on_answer_toggled)
        self._on_answer_toggled(True)
        self.screened_on.setFocus()

    def _scrolling_form(self) -> None:
        """Everything but the problem line and the buttons scrolls: the base form is
        replaced by one inside a scroll area, under the words about the screen."""
        layout = self.layout()
        assert isinstance(layout, QVBoxLayout)
        layout.removeItem(self.form)
        self.form.deleteLater()
        inner = QWidget()
        column = QVBoxLayout(inner)
        column.setContentsMargins(0, 0, 8, 0)
        column.addWidget(self.about)
        self.form = QFormLayout()
        self.form.setRowWrapPolicy(QFormLayout.RowWrapPolicy.WrapAllRows)
        column.addLayout(self.form)
        column.addStretch(1)
        self.questions = _Scroll(inner)
        layout.insertWidget(1, self.questions, 1)

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        """Open no bigger than the screen: the form scrolls, the buttons stay in view."""
        super().showEvent(event)
        if not event.spontaneous():
            self._bound_to_screen()

    def _fit(self) -> None:
        """Grow to show a message, but never past the screen."""
        super()._fit()
        self._bound_to_screen()

    def _bound_to_screen(self) -> None:
        screen = self.screen()
        if screen is not None:
            self.resize(self.size().boundedTo(screen.availableGeometry().size() - FRAME_ROOM))

    def answers(self) -> EligibilityAnswers:
        """The three questions as answered so far."""
        return EligibilityAnswers(self.impairment.value(), self.outcomes.value(),
                                  self.impact.value())

    def current_suggestion(self) -> EligibilitySuggestion:
        """What the answers so far suggest."""
        return suggest_eligibility(self.answers())

    def _on_answer_toggled(self, _checked: bool) -> None:
        found = self.current_suggestion()
        words = self.tr(SUGGESTION_LABELS.get(found.status.value, found.status.value))
        reasons = "".join(f"<li>{escape_text(self.tr(r))}</li>" for r in found.reasons)
        self.suggestion.setText(
            f"{escape_text(self.tr('Suggestion'))}: <b>{escape_text(words)}</b>"
            f"<ul style='margin:0'>{reasons}</ul><i>{escape_text(self.tr(DISCLAIMER))}</i>")

    def value(self) -> EligibilityInput:
        screened_on = self.screened_on.value()
        if screened_on is None:
            raise ValidationError(self.tr("Give the date of the screen."), field="screened_on")
        unable = self.outcomes.value()
        if unable is None:
            raise ValidationError(self.tr(
                "Tick the ways the person cannot achieve each outcome that applies, or tick "
                "\"None of these\" if they can achieve all ten."), field="unable")
        return EligibilityInput(
            screened_on, self.impairment.value(),
            {o.value: tuple(r.value for r in UnableReason if r in reasons)
             for o, reasons in unable.items()},
            self.impact.value(), self.decision.value() or "", self.reason.toPlainText())
