"""The competency register's dialogs: record training (with its backfill cost) and record an
assessment or a refresher, made of the shared ``ui/forms.py``.

Each dialog shows every field with a label (its mnemonic, its buddy) and an accessible
name, works from the keyboard alone (Tab in order, Enter records, Escape cancels), and shows
a problem on the line under the field it is about, from its own checks or from the service.
It emits what was typed and stays open until the caller says the write succeeded, so
nothing typed is lost when the service refuses.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtWidgets import QButtonGroup, QHBoxLayout, QRadioButton, QWidget

from desktop_app.models.competency import AssessmentOutcome, BackfillPayer
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.funding import parse_pounds
from desktop_app.services.framework.labels import BACKFILL_PAYERS
from desktop_app.services.providers.competence import (
    AssessmentInput,
    TrainingInput,
    TrainingRow,
    parse_hours,
)
from desktop_app.services.registers import AssessmentChoices, CompetencyRow, Option
from desktop_app.ui.forms import DateLine, FormDialog
from desktop_app.ui.tables import uk_date
from desktop_app.ui.wizard.fields import Choice, Line, Para


def _options(options: Sequence[Option], keep: Option | None = None) -> list[tuple[str, str]]:
    """The choices as (id, text), with ``keep`` added when it is not among them (a worker
    who has left, shown so the dialog says whose sign-off it is; the service refuses)."""
    found = [(o.id, o.text) for o in options]
    if keep is not None and keep.id not in {o.id for o in options}:
        found.insert(0, (keep.id, keep.text))
    return found


def _required(value: str | None, field: str, message: str) -> str:
    if not value:
        raise ValidationError(message, field=field)
    return value


class TrainingDialog(FormDialog[TrainingInput]):
    """Record training: the worker, the task, level 1 or level 2 (for one person), when, by
    whom, the materials, and the release for training's backfill (hours, rate, who pays)."""

    def __init__(self, choices: AssessmentChoices, today: dt.date,
                 row: CompetencyRow | None = None, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Record training"), self.tr("&Record training"), parent)
        self.worker = Choice(self.tr("Care worker trained"), _options(choices.workers))
        self.task = Choice(self.tr("Task trained for"), _options(choices.tasks))
        self.level = Choice(self.tr("Training level"), [
            ("1", self.tr("Level 1: generic, for the task")),
            ("2", self.tr("Level 2: designed around one person"))])
        self.person = Choice(self.tr("Person the training was for (level 2)"),
                             _options(choices.people))
        self.trained_on = DateLine(self.tr("Date of the training"), today)
        self.trainer = Line(self.tr("Trainer's name"))
        self.materials = Line(self.tr("Training materials and version"),
                              self.tr("for example Insulin pen module v3"))
        self.hours = Line(self.tr("Hours released for training"), self.tr("for example 7.5"))
        self.rate = Line(self.tr("Cover's hourly rate in pounds"), self.tr("for example 14.50"))
        self.payer = Choice(self.tr("Who pays for the cover"),
                            [(p.value, BACKFILL_PAYERS[p]) for p in BackfillPayer])
        for name, text, field in (
                ("worker_id", self.tr("Care &worker:"), self.worker),
                ("task_code", self.tr("T&ask:"), self.task),
                ("level", self.tr("&Level:"), self.level),
                ("person_id", self.tr("&Person (level 2):"), self.person),
                ("trained_on", self.tr("Trained &on:"), self.trained_on),
                ("trainer_name", self.tr("Tra&iner:"), self.trainer),
                ("materials", self.tr("&Materials and version:"), self.materials),
                ("backfill_minutes", self.tr("&Hours released:"), self.hours),
                ("backfill_pence_per_hour", self.tr("Co&ver's rate (£ an hour):"), self.rate),
                ("backfill_payer", self.tr("Who pa&ys for the cover:"), self.payer)):
            self.add_field(name, text, field)
        if row is not None:
            self.worker.set_value(row.worker_id)
            self.task.set_value(row.task_code)
            self.person.set_value(row.person_id)
        self.level.currentIndexChanged.connect(self._on_level_current_index_changed)
        self._on_level_current_index_changed()
        self.chain_tabs()
        self.worker.setFocus()

    def _on_level_current_index_changed(self, _index: int = 0) -> None:
        self.person.setEnabled(self.level.value() != "1")

    def value(self) -> TrainingInput:
        worker = _required(self.worker.value(), "worker_id", self.tr("Choose the care worker."))
        task = _required(self.task.value(), "task_code", self.tr("Choose the task."))
        level = _required(self.level.value(), "level", self.tr("Choose the training level."))
        person = self.person.value() if level == "2" else None
        if level == "2" and person is None:
            raise ValidationError(self.tr("Level 2 training is for one person: choose them."),
                                  field="person_id")
        trained_on = self.trained_on.value()
        if trained_on is None:
            raise ValidationError(self.tr("Give the date of the training."), field="trained_on")
        minutes = parse_hours(self.hours.text(), "backfill_minutes")
        rate = (parse_pounds(self.rate.text(), "backfill_pence_per_hour")
                if self.rate.text().strip() else 0)
        return TrainingInput(worker, task, int(level), trained_on, self.trainer.text(),
                             self.materials.text(), person, minutes, rate, self.payer.value())


class AssessmentDialog(FormDialog[AssessmentInput]):
    """Record an assessment of competence, or a refresher of the chosen sign-off (its worker,
    person and task fixed): who assessed, when, against which standard, the training it
    followed, and the outcome; "not yet" asks for the support planned, by when and who
    supports the worker meanwhile (the task stays with the nurse)."""

    def __init__(self, choices: AssessmentChoices, today: dt.date,
                 row: CompetencyRow | None = None, *, refresher: bool = False,
                 parent: QWidget | None = None) -> None:
        title = self.tr("Record refresher") if refresher else self.tr("Record assessment")
        super().__init__(title, self.tr("&Record"), parent)
        self._refreshes = row.sign_off_id if refresher and row is not None else None
        self._training: Sequence[TrainingRow] = choices.training
        keep = (Option(row.worker_id, f"{row.worker_name} ({row.provider_name})")
                if row is not None else None)
        self.worker = Choice(self.tr("Care worker assessed"), _options(choices.workers, keep))
        self.person = Choice(self.tr("Person the assessment is for"), _options(
            choices.people, Option(row.person_id, row.person_name) if row else None))
        self.task = Choice(self.tr("Task assessed"), _options(
            choices.tasks, Option(row.task_code, row.task_name) if row else None))
        self.assessed_on = DateLine(self.tr("Date of the assessment"), today)
        self.assessor = Line(self.tr("Assessor's name"))
        self.standard = Line(self.tr("Standard assessed against"),
                             self.tr("for example Skills for Care delegated tasks, insulin"))
        self.training = Choice(self.tr("Training the assessment followed"), [])
        self.trainer = Line(self.tr("Trainer's name, when no training is chosen"))
        self.level = Choice(self.tr("Training level, when no training is chosen"), [
            ("1", self.tr("Level 1: generic")), ("2", self.tr("Level 2: for this person"))])
        outcome_box = QWidget()
        outcome_box.setAccessibleName(self.tr("Outcome of the assessment"))
        self.competent_button = QRadioButton(self.tr("&Competent"))
        self.not_yet_button = QRadioButton(self.tr("&Not yet competent"))
        self._outcomes = QButtonGroup(self)
        outcome_layout = QHBoxLayout(outcome_box)
        outcome_layout.setContentsMargins(0, 0, 0, 0)
        for button, outcome in ((self.competent_button, AssessmentOutcome.COMPETENT),
                                (self.not_yet_button, AssessmentOutcome.NOT_YET)):
            button.setAccessibleName(self.tr("Outcome: %1").replace(
                "%1", button.text().replace("&", "")))
            button.setProperty("outcome", outcome.value)
            self._outcomes.addButton(button)
            outcome_layout.addWidget(button)
        self.support = Para(self.tr("Support or retraining planned"))
        self.retrain_by = DateLine(self.tr("Retrain by"))
        self.supported_by = Line(self.tr("Who supports the worker meanwhile"),
                                 self.tr("for example the district nurse, Sam Example"))
        for name, text, field, focus in (
                ("worker_id", self.tr("Care &worker:"), self.worker, None),
                ("person_id", self.tr("&Person:"), self.person, None),
                ("task_code", self.tr("T&ask:"), self.task, None),
                ("assessed_on", self.tr("Assessed &on:"), self.assessed_on, None),
                ("assessor_name", self.tr("A&ssessor:"), self.assessor, None),
                ("standard", self.tr("S&tandard assessed against:"), self.standard, None),
                ("training_event_id", self.tr("Trainin&g followed:"), self.training, None),
                ("trainer_name", self.tr("Tra&iner:"), self.trainer, None),
                ("training_level", self.tr("&Level:"), self.level, None),
                ("outcome", self.tr("Outcome:"), outcome_box, self.competent_button),
                ("support_planned", self.tr("S&upport or retraining planned:"), self.support,
                 None),
                ("retrain_by", self.tr("Retrain &by:"), self.retrain_by, None),
                ("supported_by", self.tr("Supported &meanwhile by:"), self.supported_by, None)):
            self.add_field(name, text, field, focus)
        if row is not None:
            self.worker.set_value(row.worker_id)
            self.person.set_value(row.person_id)
            self.task.set_value(row.task_code)
        for fixed in (self.worker, self.person, self.task):
            fixed.setEnabled(not refresher)
            fixed.currentIndexChanged.connect(self._on_choice_current_index_changed)
        self.training.currentIndexChanged.connect(self._on_training_current_index_changed)
        self._outcomes.buttonToggled.connect(self._on_outcomes_button_toggled)
        self._fill_training()
        self._on_outcomes_button_toggled()
        self.chain_tabs({"outcome": [self.not_yet_button]})
        (self.assessed_on if refresher else self.worker).setFocus()

    def chosen_outcome(self) -> AssessmentOutcome | None:
        button = self._outcomes.checkedButton()
        return AssessmentOutcome(button.property("outcome")) if button else None

    def _fill_training(self) -> None:
        """The training recorded for this worker and task (level 2: for this person)."""
        worker, task, person = self.worker.value(), self.task.value(), self.person.value()
        chosen = self.training.value()
        self.training.blockSignals(True)
        self.training.clear()
        self.training.addItem(self.tr("None recorded: type the trainer"), None)
        for event in self._training:
            if event.worker_id == worker and event.task_code == task and \
                    event.person_id in (None, person):
                self.training.addItem(self.tr("%1, level %2, by %3 (%4)")
                                      .replace("%1", uk_date(event.trained_on))
                                      .replace("%2", str(event.level))
                                      .replace("%3", event.trainer_name)
                                      .replace("%4", event.materials), event.id)
        self.training.set_value(chosen)
        self.training.blockSignals(False)
        self._on_training_chosen()

    def _on_training_current_index_changed(self, _index: int = 0) -> None:
        self._on_training_chosen()

    def _on_training_chosen(self) -> None:
        event = next((e for e in self._training if e.id == self.training.value()), None)
        if event is not None:
            self.trainer.setText(event.trainer_name)
            self.level.set_value(str(event.level))
        self.trainer.setEnabled(event is None)
        self.level.setEnabled(event is None)

    def _on_choice_current_index_changed(self, _index: int = 0) -> None:
        self._fill_training()

    def _on_outcomes_button_toggled(self, *_args: object) -> None:
        not_yet = self.chosen_outcome() is AssessmentOutcome.NOT_YET
        for field in (self.support, self.retrain_by, self.supported_by):
            field.setEnabled(not_yet)

    def value(self) -> AssessmentInput:
        worker = _required(self.worker.value(), "worker_id", self.tr("Choose the care worker."))
        person = _required(self.person.value(), "person_id", self.tr("Choose the person."))
        task = _required(self.task.value(), "task_code", self.tr("Choose the task."))
        assessed_on = self.assessed_on.value()
        if assessed_on is None:
            raise ValidationError(self.tr("Give the date of the assessment."),
                                  field="assessed_on")
        outcome = self.chosen_outcome()
        if outcome is None:
            raise ValidationError(self.tr("Choose the outcome: competent or not yet."),
                                  field="outcome")
        not_yet = outcome is AssessmentOutcome.NOT_YET
        retrain_by = self.retrain_by.value() if not_yet else None
        level = self.level.value()
        return AssessmentInput(
            worker, person, task, assessed_on, self.assessor.text(), self.standard.text(),
            outcome.value, self.trainer.text() or None, int(level) if level else None,
            self.training.value(), self.support.toPlainText() if not_yet else None,
            retrain_by,
            self.supported_by.text() if not_yet else None, self._refreshes)
