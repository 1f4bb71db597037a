"""S8: each named care worker's training and sign-off for this person, and clinical oversight.

Sign-off is per worker *and* per person (framework §3): the page says so next to the
sign-off rows. The refresher date is worked out, never typed: sign-off date plus the task's
refresher interval (12 months unless the catalogue says otherwise), by ``add_months`` so a
sign-off on the 31st is not pulled back a day. Oversight is proposed from what the app
knows (open to Community Health Services, else the GP practice) and stays editable; the
answers record whether the nurse kept the proposal.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import QCoreApplication, Qt, QTimer, Signal
from PySide6.QtWidgets import (
    QApplication,
    QGridLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QPushButton,
    QWidget,
)

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.flow import Step
from desktop_app.services.framework.refresher import DEFAULT_REFRESHER_MONTHS, refresher_from
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import Choice, DateField, Line, Para, YesNo

CHS_ORGANISATION = "Leicestershire Partnership Trust community health services"
COLUMNS = ("name", "level", "trainer", "assessor", "signed_off", "refresher")


def _tr(text: str) -> str:
    return QCoreApplication.translate("TrainingPage", text)


def _uk(day: dt.date) -> str:
    return day.strftime("%d/%m/%Y")


class SignOffRow:
    """One named worker's training level, trainer, assessor, sign-off and refresher date."""

    def __init__(self, worker_id: str, worker_name: str, refresher_months: int) -> None:
        self.worker_id = worker_id
        self.worker_name = worker_name
        self.refresher_months = refresher_months
        self.name = QLabel(worker_name)
        self.name.setAccessibleName(worker_name)
        self.level = Choice(_tr("Training level for %s") % worker_name,
                            [("1", _tr("1 · generic")), ("2", _tr("2 · enhanced"))])
        self.level.setToolTip(_tr("Level 1: generic, for every social care worker. Level 2: "
                                  "enhanced, designed around this person's needs."))
        self.trainer = Line(_tr("Trainer for %s") % worker_name, _tr("Trainer's name"))
        self.assessor = Line(_tr("Assessor for %s") % worker_name, _tr("Assessor's name"))
        self.signed_off = DateField(_tr("Date %s was signed off competent") % worker_name)
        self.refresher = QLabel("—")
        self.refresher.setAccessibleName(_tr("Refresher due for %s") % worker_name)
        self.refresher.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.signed_off.changed.connect(self._on_signed_off_date_changed)

    def widgets(self) -> tuple[QWidget, ...]:
        """The row's widgets, in column order."""
        return (self.name, self.level, self.trainer, self.assessor, self.signed_off,
                self.refresher)

    def inputs(self) -> tuple[QWidget, ...]:
        """The widgets a person fills in, in tab order."""
        return (self.level, self.trainer, self.assessor, self.signed_off)

    def refresher_due(self) -> dt.date | None:
        """Sign-off date plus the refresher interval; None without a sign-off date."""
        signed = self.signed_off.value()
        if signed is None:
            return None
        try:
            return refresher_from(dt.date.fromisoformat(signed), self.refresher_months)
        except ValidationError:
            return None

    def _on_signed_off_date_changed(self, _date: object = None) -> None:
        due = self.refresher_due()
        lapsed = due is not None and due <= dt.date.today()
        self.refresher.setText((_tr("%s: overdue") % _uk(due) if lapsed else _uk(due))
                               if due else "—")
        self.refresher.setStyleSheet("color: #a00000; font-weight: bold;" if lapsed else "")

    def value(self) -> dict[str, Any]:
        """This worker's sign-off as the answers store it (ISO dates)."""
        level = self.level.value()
        due = self.refresher_due()
        return {"worker_id": self.worker_id, "worker_name": self.worker_name,
                "training_level": int(level) if level else None,
                "trainer_name": self.trainer.value(), "assessor_name": self.assessor.value(),
                "signed_off_on": self.signed_off.value(),
                "refresher_due": due.isoformat() if due else None}

    def set_value(self, value: dict[str, Any], default_level: int | None) -> None:
        """Show a saved sign-off; the task's usual training level when none was chosen."""
        level = value.get("training_level") or default_level
        self.level.set_value(str(level) if level else None)
        self.trainer.set_value(value.get("trainer_name"))
        self.assessor.set_value(value.get("assessor_name"))
        self.signed_off.set_value(value.get("signed_off_on"))
        self._on_signed_off_date_changed(None)

    def problem(self, today: dt.date, complete: bool) -> str | None:
        """What is wrong with this row, if anything (``complete``: every part is needed)."""
        signed = self.signed_off.value()
        if signed and dt.date.fromisoformat(signed) > today:
            return _tr("%s: the date signed off competent (%s) is in the future. Record "
                       "sign-off once the worker has been assessed.") % (
                self.worker_name, _uk(dt.date.fromisoformat(signed)))
        if not complete:
            return None
        due = self.refresher_due()
        if due is not None and due <= today:
            return _tr("%s: the sign-off of %s needed its refresher by %s, so it is no longer "
                       "current. Reassess the worker and record the new sign-off date (or "
                       "answer that training is outstanding).") % (
                self.worker_name, _uk(dt.date.fromisoformat(str(self.signed_off.value()))),
                _uk(due))
        missing = [what for what, widget in (
            (_tr("the training level"), self.level), (_tr("the trainer"), self.trainer),
            (_tr("the assessor"), self.assessor),
            (_tr("the date signed off competent"), self.signed_off)) if widget.value() is None]
        if missing:
            return _tr("%s: enter %s.") % (self.worker_name, ", ".join(missing))
        return None


class TrainingPage(StepPage):
    """Sign-off per named worker (for this person only) and who keeps clinical oversight."""

    step_id = "S8"
    add_worker_requested = Signal(str)  # the provider chosen at S7

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.rows: list[SignOffRow] = []
        self._typed: dict[str, dict[str, Any]] = {}
        self._proposed = True
        self.only_this_person = QLabel(self.tr(
            "Sign-off is for each worker with %s only: it does not carry to anyone else "
            "they care for.") % context.person_name)
        self.only_this_person.setWordWrap(True)
        self.only_this_person.setStyleSheet("font-weight: bold;")
        # The flow's help says the same twice over: sign-off is for this person (said here,
        # naming them) and oversight stays with CHS, else the GP (the proposal note says
        # which, and why). Said once.
        self.help_label.hide()
        self.sign_off_box = QWidget()
        self.grid = QGridLayout(self.sign_off_box)
        self.grid.setContentsMargins(0, 0, 0, 0)
        self.grid.setHorizontalSpacing(6)
        self.grid.setVerticalSpacing(4)
        self.no_workers = QLabel(self.tr("No care workers are named yet: go back to step S7 "
                                         "and tick the workers who will do the task."))
        self.no_workers.setWordWrap(True)
        self.add_worker_button = QPushButton(self.tr("Add care wor&ker…"))
        self.add_worker_button.setAccessibleName(self.tr(
            "Add a care worker to the provider and name them for this task"))
        self.add_worker_button.clicked.connect(self._on_add_worker_button_clicked)
        self.add_worker_button.hide()  # for a role that may change the register
        adding = QHBoxLayout()
        adding.addWidget(self.no_workers, 1)
        adding.addWidget(self.add_worker_button, 0,
                         Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignTop)
        self._build_header()
        self.form.addRow(self.only_this_person)
        self.form.addRow(self.sign_off_box)
        self.form.addRow(adding)
        self.form.addRow(self._build_oversight())
        self._build_signed_off()

    # ------------------------------------------------------------ building

    def _build_header(self) -> None:
        self.headers: dict[str, QLabel] = {}
        titles = {"name": self.tr("Care worker"), "level": self.tr("Training &level"),
                  "trainer": self.tr("T&rainer"), "assessor": self.tr("&Assessor"),
                  "signed_off": self.tr("&Date signed off competent"),
                  "refresher": self.tr("Refresher due")}
        for column, key in enumerate(COLUMNS):
            header = QLabel(titles[key])
            header.setStyleSheet("font-weight: bold;")
            header.setWordWrap(key == "signed_off")
            self.headers[key] = header
            self.grid.addWidget(header, 0, column, Qt.AlignmentFlag.AlignBottom)
        self.grid.setColumnStretch(2, 1)
        self.grid.setColumnStretch(3, 1)

    def _build_oversight(self) -> QGroupBox:
        box = QGroupBox(self.tr("Clinical oversight"))
        self.service = Choice(self.label("oversight_service"), [
            ("community_health", self.tr("Community Health Services")),
            ("gp_practice", self.tr("GP practice"))])
        self.organisation = Line(self.label("oversight_organisation"))
        self.phone_in_hours = Line(self.tr("Oversight phone in hours"), self.tr("e.g. 0116 …"))
        self.phone_out_of_hours = Line(self.tr("Oversight phone out of hours"),
                                       self.tr("e.g. 111"))
        self.clinician = Line(self.tr("Named clinician (optional)"), self.tr("optional"))
        self.proposal_note = QLabel()
        self.proposal_note.setWordWrap(True)
        self.proposal_note.setAccessibleName(self.tr("How oversight was chosen"))
        self.use_proposal = QPushButton(self.tr("Use the &proposal"))
        self.use_proposal.setAccessibleName(self.tr("Use the proposed oversight"))
        grid = QGridLayout(box)
        pairs = ((self.tr("&Service:"), self.service, 0, 0),
                 (self.tr("Or&ganisation:"), self.organisation, 0, 2),
                 (self.tr("Phone &in hours:"), self.phone_in_hours, 1, 0),
                 (self.tr("Phone &out of hours:"), self.phone_out_of_hours, 1, 2),
                 (self.tr("Named &clinician:"), self.clinician, 2, 0))
        for text, widget, row, column in pairs:
            label = QLabel(text)
            label.setBuddy(widget)
            grid.addWidget(label, row, column)
            grid.addWidget(widget, row, column + 1)
        note = QHBoxLayout()
        note.addWidget(self.proposal_note, 1)
        note.addWidget(self.use_proposal)
        grid.addLayout(note, 2, 2, 1, 2)
        grid.setColumnStretch(1, 1)
        grid.setColumnStretch(3, 2)
        self.service.activated.connect(self._on_service_activated)
        self.organisation.textEdited.connect(self._on_oversight_edited)
        self.use_proposal.clicked.connect(self._on_use_proposal_clicked)
        return box

    def _build_signed_off(self) -> None:
        self.all_signed_off = YesNo(self.label("all_signed_off"),
                                    self.tr("&Yes, every named worker"),
                                    self.tr("No, &training outstanding"))
        self.reason = Para(self.label("no_reason"), lines=2)
        self.reconsider_on = DateField(self.label("reconsider_on"))
        self.form.addRow(self.tr("All signed off:"), self.all_signed_off)
        self.form.addRow(self.tr("&What is outstanding:"), self.reason)
        self.form.addRow(self.tr("&Expected by:"), self.reconsider_on)
        self.all_signed_off.changed.connect(self._on_all_signed_off_changed)
        self._on_all_signed_off_changed()

    # ------------------------------------------------------------ adding a worker

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        super().initializePage()
        # The rows are made afresh on each visit, after the wizard chose where the focus
        # starts (it found none of them and chose Next): start at the first field instead.
        QTimer.singleShot(0, self._focus_first_field)

    def _focus_first_field(self) -> None:
        focus = QApplication.focusWidget()
        if self.isVisible() and (focus is None or not self.isAncestorOf(focus)):
            (self.rows[0].level if self.rows else self.service).setFocus()

    def enable_adding(self, can_add: bool) -> None:
        """Offer "Add care worker…" (for a role that may change the register)."""
        self.add_worker_button.setVisible(can_add)

    def _on_add_worker_button_clicked(self, _checked: bool = False) -> None:
        s7 = self.delegation_wizard().answers.get("S7", {})
        if s7.get("provider_id"):
            self.add_worker_requested.emit(str(s7["provider_id"]))

    def worker_added(self, worker_id: str) -> None:
        """The S7 provider has a new care worker (in ``context``): name them at S7 too and
        give them a sign-off row; every row already typed stays."""
        wizard = self.delegation_wizard()
        s7 = dict(wizard.answers.get("S7", {}))
        named = list(s7.get("worker_ids") or ())
        if worker_id not in named:
            wizard.store("S7", {**s7, "worker_ids": [*named, worker_id]})
        self._rebuild_rows([row.value() for row in self.rows])
        added = next((row for row in self.rows if row.worker_id == worker_id), None)
        if added is not None:
            added.level.setFocus()
        wizard.schedule_draft_save()

    # ------------------------------------------------------------ the sign-off rows

    def _named_workers(self) -> list[tuple[str, str]]:
        """(id, name) of the workers ticked on S7, in the provider's order."""
        s7 = self.delegation_wizard().answers.get("S7", {}) if self.wizard() else {}
        ids = list(s7.get("worker_ids") or ())
        provider = self.context.provider(s7.get("provider_id"))
        names = {w.id: w.name for w in provider.workers} if provider else {}
        return [(worker_id, names.get(worker_id, worker_id)) for worker_id in ids]

    def _task_defaults(self) -> tuple[int | None, int]:
        """The chosen task's usual training level and refresher interval in months."""
        s1 = self.delegation_wizard().answers.get("S1", {}) if self.wizard() else {}
        task = self.context.task(s1.get("task_code"))
        if task is None:
            return None, DEFAULT_REFRESHER_MONTHS
        return task.training_level, task.refresher_months or DEFAULT_REFRESHER_MONTHS

    def _rebuild_rows(self, saved: list[dict[str, Any]]) -> None:
        for row in self.rows:  # keep what was typed for a worker un-ticked and ticked again
            self._typed[row.worker_id] = row.value()
        for row in self.rows:
            for widget in row.widgets():
                self.grid.removeWidget(widget)
                widget.deleteLater()
        by_id = {str(item.get("worker_id")): item for item in saved if isinstance(item, dict)}
        level, months = self._task_defaults()
        self.rows = []
        for number, (worker_id, name) in enumerate(self._named_workers(), start=1):
            row = SignOffRow(worker_id, name, months)
            row.set_value(by_id.get(worker_id) or self._typed.get(worker_id) or {}, level)
            for column, widget in enumerate(row.widgets()):
                self.grid.addWidget(widget, number, column)
            self._watch_row(row)
            self.rows.append(row)
        self._after_rows_changed()

    def _watch_row(self, row: SignOffRow) -> None:
        if not self._watching:
            return  # the first initializePage connects every field on the page
        schedule = self.answer_edited
        row.level.currentIndexChanged.connect(schedule)
        row.trainer.textEdited.connect(schedule)
        row.assessor.textEdited.connect(schedule)
        row.signed_off.changed.connect(schedule)

    def _after_rows_changed(self) -> None:
        self.sign_off_box.setVisible(bool(self.rows))
        self.no_workers.setVisible(not self.rows)
        if self.rows:  # a header's mnemonic goes to the first worker's field
            first = self.rows[0]
            for key in ("level", "trainer", "assessor", "signed_off"):
                self.headers[key].setBuddy(getattr(first, key))
        order: list[QWidget] = [w for row in self.rows for w in row.inputs()]
        order += [self.add_worker_button, self.service, self.organisation, self.phone_in_hours,
                  self.phone_out_of_hours, self.clinician, self.use_proposal,
                  self.all_signed_off.yes, self.all_signed_off.no, self.reason, self.reconsider_on]
        for before, after in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(before, after)

    # ------------------------------------------------------------ oversight

    def proposal(self) -> tuple[str, str]:
        """The oversight the app proposes: (service, organisation)."""
        if self.context.open_to_community_health:
            return "community_health", CHS_ORGANISATION
        return "gp_practice", self.context.gp_practice_name

    def _default_organisation(self, service: str | None) -> str:
        if service == "community_health":
            return CHS_ORGANISATION
        if service == "gp_practice":
            return self.context.gp_practice_name
        return ""

    def _set_proposed(self, proposed: bool) -> None:
        self._proposed = proposed
        self.use_proposal.setEnabled(not proposed)
        if not proposed:
            self.proposal_note.setText(self.tr("Changed from the proposal."))
        elif self.context.open_to_community_health:
            self.proposal_note.setText(self.tr("<i>Proposed automatically:</i> the person is "
                                               "open to Community Health Services."))
        else:
            self.proposal_note.setText(self.tr("<i>Proposed automatically:</i> not open to "
                                               "Community Health Services, so their GP "
                                               "practice."))

    def _on_service_activated(self, _index: int) -> None:
        # A changed service brings its usual organisation, unless one was typed.
        defaults = {self._default_organisation(s) for s in ("community_health", "gp_practice")}
        if self.organisation.text().strip() in defaults | {""}:
            self.organisation.setText(self._default_organisation(self.service.value()))
        self._on_oversight_edited()

    def _on_oversight_edited(self, *_args: object) -> None:
        service, organisation = self.proposal()
        same = (self.service.value() == service
                and (self.organisation.value() or "") == organisation)
        self._set_proposed(same and self._proposed)

    def _on_use_proposal_clicked(self) -> None:
        service, organisation = self.proposal()
        self.service.set_value(service)
        self.organisation.setText(organisation)
        self._set_proposed(True)

    # ------------------------------------------------------------ answers

    def _on_all_signed_off_changed(self) -> None:
        # What is outstanding, and by when, only after "no"; hidden, they keep what was typed.
        outstanding = self.all_signed_off.value() is False
        for widget in (self.reason, self.reconsider_on):
            self.form.setRowVisible(widget, outstanding)
            widget.setEnabled(outstanding)

    def answers(self) -> dict[str, Any]:
        return {"all_signed_off": self.all_signed_off.value(),
                "sign_offs": [row.value() for row in self.rows] or None,
                "oversight_service": self.service.value(),
                "oversight_organisation": self.organisation.value(),
                "oversight_phone_in_hours": self.phone_in_hours.value(),
                "oversight_phone_out_of_hours": self.phone_out_of_hours.value(),
                "oversight_clinician": self.clinician.value(),
                "oversight_proposed_automatically": self._proposed,
                "no_reason": self.reason.value() if self._outstanding() else None,
                "reconsider_on": self.reconsider_on.value() if self._outstanding() else None}

    def _outstanding(self) -> bool:
        return self.all_signed_off.value() is False

    def load(self, answers: dict[str, Any]) -> None:
        self._rebuild_rows(list(answers.get("sign_offs") or ()))
        if answers.get("oversight_service") or answers.get("oversight_organisation"):
            self.service.set_value(answers.get("oversight_service"))
            self.organisation.set_value(answers.get("oversight_organisation"))
            self._set_proposed(bool(answers.get("oversight_proposed_automatically")))
        else:
            self._on_use_proposal_clicked()
        self.phone_in_hours.set_value(answers.get("oversight_phone_in_hours"))
        self.phone_out_of_hours.set_value(answers.get("oversight_phone_out_of_hours"))
        self.clinician.set_value(answers.get("oversight_clinician"))
        self.all_signed_off.set_value(answers.get("all_signed_off"))
        if self._outstanding() or answers.get("no_reason") or answers.get("reconsider_on"):
            self.reason.set_value(answers.get("no_reason"))
            self.reconsider_on.set_value(answers.get("reconsider_on"))
        self._on_all_signed_off_changed()

    def page_problem(self) -> str | None:
        complete = self.all_signed_off.value() is True
        if complete and not self.rows:
            return self.no_workers.text()
        today = dt.date.today()
        for row in self.rows:
            problem = row.problem(today, complete)
            if problem:
                return problem
        if complete and not (self.phone_in_hours.value() and self.phone_out_of_hours.value()):
            return self.tr("Clinical oversight: give the phone numbers to call in hours and "
                           "out of hours.")
        return None
