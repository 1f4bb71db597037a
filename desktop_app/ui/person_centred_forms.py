"""The forms of the person record's person-centred tabs (``ui.person_centred``).

- ``WhatMattersDialog``: what matters to the person (the same questions as the wizard's S6
  group): their own words, their strengths, what they do for themselves, and who took part
  in the conversation (a check box for each, with a name beside it).
- ``SignpostingDialog``: a signposting or referral (Make Every Contact Count): the date,
  the occasion, for the person or their carer, signposted or referred, the service (from the
  list, or a new name typed) and a note. ``ServiceDialog`` adds a service to the list.
- ``AssessmentDialog``: an assessment another partner made (trusted assessment).
- ``RemovalDialog``: why a partner's assessment or an eligibility screen recorded by
  mistake is taken off the record (it says what goes, and what stays as it was).

The Care Act eligibility screen is ``ui.eligibility_screen``. Each is a ``FormDialog``: a
refusal (the form's own, or the service's) is shown beside the field it names, with
everything typed kept.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from dataclasses import dataclass

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import QCheckBox, QComboBox, QGridLayout, QWidget

from desktop_app.models.person_centred import Participant, SignpostAction, SignpostFor
from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.person_centred import (
    ACTION_LABELS,
    ASSESSMENT_KIND_LABELS,
    FOR_WHOM_LABELS,
    OCCASION_LABELS,
    PARTICIPANT_LABELS,
    PARTNER_ORGANISATIONS,
)
from desktop_app.services.people.entry_checks import NAME_LIMIT
from desktop_app.services.people.person_centred import (
    AssessmentInput,
    AssessmentRow,
    EligibilityRow,
    ServiceOption,
    SignpostingInput,
    WhatMattersInput,
    WhatMattersView,
)
from desktop_app.ui.forms import DateLine, FormDialog
from desktop_app.ui.tables import uk_date
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Choice, Line, Para


def _tr(text: str) -> str:
    return QCoreApplication.translate("PersonCentredForms", text)


# The check box words for who took part (a mnemonic each, none used elsewhere in the form).
_PARTICIPANT_TEXTS: dict[str, str] = {
    Participant.PERSON: "The &person",
    Participant.FAMILY: "&Family",
    Participant.CARER: "&Carer",
    Participant.ADVOCATE: "A&dvocate",
    Participant.ATTORNEY: "&Attorney or deputy",
    Participant.OTHER: "Someone &else",
}


class ParticipantsBox(QWidget):
    """Who took part in the conversation: a check box for each kind of participant, with
    a name beside each but the person's own (typing a name ticks its box)."""

    def __init__(self) -> None:
        super().__init__()
        self.setAccessibleName(self.tr("Who took part in the conversation"))
        grid = QGridLayout(self)
        grid.setContentsMargins(0, 0, 0, 0)
        self.boxes: dict[str, QCheckBox] = {}
        self.names: dict[str, Line] = {}
        for row, kind in enumerate(Participant):
            label = PARTICIPANT_LABELS[kind]
            box = QCheckBox(self.tr(_PARTICIPANT_TEXTS[kind]))
            box.setAccessibleName(self.tr("Took part: %s") % self.tr(label))
            grid.addWidget(box, row, 0)
            self.boxes[kind] = box
            if kind is not Participant.PERSON:
                name = Line(self.tr("Name of %s") % self.tr(label).lower(),
                            self.tr("name, and how they are related (optional)"))
                name.setMaxLength(NAME_LIMIT)  # as the record keeps a name
                name.textEdited.connect(lambda text, b=box: b.setChecked(True) if text.strip()
                                        else None)
                grid.addWidget(name, row, 1)
                self.names[kind] = name
        grid.setColumnStretch(1, 1)

    def first(self) -> QCheckBox:
        """The first check box (where the label and a problem take the focus)."""
        return self.boxes[Participant.PERSON]

    def others(self) -> list[QWidget]:
        """The controls after the first, in the order Tab goes through them."""
        order: list[QWidget] = []
        for kind in Participant:
            if kind is not Participant.PERSON:
                order.append(self.boxes[kind])
            if kind in self.names:
                order.append(self.names[kind])
        return order

    def value(self) -> tuple[tuple[str, str], ...]:
        """(kind, name) for each box ticked, in the order shown."""
        return tuple((kind.value, (self.names[kind].value() or "") if kind in self.names
                      else "") for kind in Participant if self.boxes[kind].isChecked())

    def set_value(self, took_part: Sequence[tuple[str, str]]) -> None:
        """Tick who took part and show their names (several of one kind share its line)."""
        names: dict[str, list[str]] = {}
        for kind, name in took_part:
            names.setdefault(kind, [])
            if name:
                names[kind].append(name)
        for kind, box in self.boxes.items():
            box.setChecked(kind in names)
            if kind in self.names:
                self.names[kind].setText("; ".join(names.get(kind, [])))


class WhatMattersDialog(FormDialog[WhatMattersInput]):
    """What matters to the person, as the wizard's S6 asks it, to change on the record."""

    def __init__(self, person_name: str, shown: WhatMattersView | None,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("What matters to %s") % person_name, self.tr("Sa&ve"), parent)
        tr = self.tr
        self.intro.setText(
            tr("In <b>%s</b>'s own words where you can: what they want, what they are good "
               "at, and what they do for themselves.") % escape_text(person_name)
            + ("<br>" + tr("Last recorded %1 by %2.").replace("%1", uk_date(shown.recorded_on))
               .replace("%2", escape_text(shown.recorded_by)) if shown else ""))
        self.intro.show()
        self.own_words = Para(tr("In their own words, what they want"),
                              tr("e.g. \"I want to stay in my own home and see my "
                                 "grandchildren on Sundays\""), lines=3)
        self.strengths = Para(tr("Their strengths"),
                              tr("what they are good at, who and what helps them"), lines=2)
        self.self_care = Para(tr("What they do for themselves (self-care)"),
                              tr("e.g. puts in her own eye drops in the evening"), lines=2)
        self.took_part = ParticipantsBox()
        self.add_field("own_words", tr("In their &own words, what they want:"), self.own_words)
        self.add_field("strengths", tr("&Strengths:"), self.strengths)
        self.add_field("self_care", tr("What they do for t&hemselves:"), self.self_care)
        self.add_field("took_part", tr("Who took part:"), self.took_part,
                       focus=self.took_part.first())
        self.chain_tabs({"took_part": self.took_part.others()})
        if shown is not None:
            self.own_words.set_value(shown.own_words)
            self.strengths.set_value(shown.strengths)
            self.self_care.set_value(shown.self_care)
            self.took_part.set_value(shown.took_part)
        self.setMinimumWidth(560)
        self.own_words.setFocus()

    def value(self) -> WhatMattersInput:
        return WhatMattersInput(self.own_words.toPlainText(), self.strengths.toPlainText(),
                                self.self_care.toPlainText(), self.took_part.value())


def _choice(name: str, labels: dict[str, str], chosen: str) -> Choice:
    combo = Choice(name, [(code, _tr(label)) for code, label in labels.items()])
    combo.set_value(chosen)
    return combo


class SignpostingDialog(FormDialog[SignpostingInput]):
    """A signposting or referral: when, at what contact, for whom, what was done, to
    which service (from the list, or a name typed) and a note."""

    def __init__(self, person_name: str, services: Sequence[ServiceOption], today: dt.date,
                 parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Record signposting or referral"), self.tr("Sa&ve"), parent)
        tr = self.tr
        self.intro.setText(tr("Make Every Contact Count: a service or support group <b>%s</b> "
                              "or their carer was told about or referred to.")
                           % escape_text(person_name))
        self.intro.show()
        self.given_on = DateLine(tr("Date of the signposting"), today)
        self.occasion = _choice(tr("At what contact"), OCCASION_LABELS, "visit")
        self.for_whom = _choice(tr("For whom"), FOR_WHOM_LABELS, SignpostFor.PERSON.value)
        self.action = _choice(tr("Signposted or referred"), ACTION_LABELS,
                              SignpostAction.SIGNPOSTED.value)
        self.service = service_combo(services)
        self.note = Para(tr("Note"), tr("optional: what was given, a phone number, what "
                                        "happens next"), lines=2)
        for name, label, widget in (("given_on", tr("&Date:"), self.given_on),
                                    ("occasion", tr("At what &contact:"), self.occasion),
                                    ("for_whom", tr("&For:"), self.for_whom),
                                    ("action", tr("Signposted or &referred:"), self.action),
                                    ("service", tr("&Service or group:"), self.service),
                                    ("note", tr("&Note:"), self.note)):
            self.add_field(name, label, widget)
        self.chain_tabs()
        self.setMinimumWidth(520)
        self.service.setFocus()

    def value(self) -> SignpostingInput:
        given_on = self.given_on.value()
        if given_on is None:
            raise ValidationError(self.tr("Give the date of the signposting or referral."),
                                  field="given_on")
        return SignpostingInput(given_on, self.occasion.value() or "",
                                self.for_whom.value() or "", self.action.value() or "",
                                self.service.currentText().strip(), self.note.value())


def service_combo(services: Sequence[ServiceOption]) -> QComboBox:
    """The services on the list, in its order; a new name may be typed."""
    combo = QComboBox()
    combo.setEditable(True)
    combo.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
    combo.setAccessibleName(_tr("Service or support group"))
    combo.addItem("")
    for option in services:
        combo.addItem(option.name)
    line = combo.lineEdit()
    if line is not None:
        line.setPlaceholderText(_tr("choose from the list, or type its name"))
        line.setMaxLength(NAME_LIMIT)  # as the record keeps a service's name
    combo.setCurrentIndex(0)
    return combo


@dataclass(frozen=True)
class NewService:
    """A service or support group to add to the signposting list."""

    name: str
    description: str | None


class ServiceDialog(FormDialog[NewService]):
    """Add a local service or support group to the list every signposting offers."""

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Add a service to the signposting list"),
                         self.tr("&Add to the list"), parent)
        self.intro.setText(self.tr("The service is offered on every laptop of the team once "
                                   "it syncs."))
        self.intro.show()
        self.name = Line(self.tr("Name of the service or group"))
        self.description = Para(self.tr("What it offers"), self.tr("optional"), lines=2)
        self.add_field("name", self.tr("&Name:"), self.name)
        self.add_field("description", self.tr("&What it offers:"), self.description)
        self.chain_tabs()
        self.setMinimumWidth(460)
        self.name.setFocus()

    def value(self) -> NewService:
        return NewService(self.name.text(), self.description.value())


class AssessmentDialog(FormDialog[AssessmentInput]):
    """An assessment another partner made, kept on the record to be reused, not repeated."""

    def __init__(self, person_name: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Add a partner's assessment"), self.tr("&Record"), parent)
        tr = self.tr
        self.intro.setText(tr("Trusted assessment: an assessment of <b>%s</b> another partner "
                              "made, kept so the MDT can reuse it instead of repeating it.")
                           % escape_text(person_name))
        self.intro.show()
        self.kind = Choice(tr("Kind of assessment"),
                           [(code, tr(label)) for code, label in ASSESSMENT_KIND_LABELS.items()])
        self.organisation = QComboBox()
        self.organisation.setEditable(True)
        self.organisation.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.organisation.setAccessibleName(tr("Organisation that made the assessment"))
        self.organisation.addItems(["", *PARTNER_ORGANISATIONS])
        self.assessor = Line(tr("Assessor"), tr("name and role, e.g. J. Patel, social worker"))
        self.assessed_on = DateLine(tr("Date of the assessment"))
        self.assessed_on.setToolTip(tr("The day the assessment was made"))
        self.summary = Para(tr("Summary"), tr("optional: what it found"), lines=3)
        for name, label, widget in (("kind", tr("&Kind:"), self.kind),
                                    ("organisation", tr("&Organisation:"), self.organisation),
                                    ("assessor", tr("&Assessor:"), self.assessor),
                                    ("assessed_on", tr("&Date assessed:"), self.assessed_on),
                                    ("summary", tr("&Summary:"), self.summary)):
            self.add_field(name, label, widget)
        self.chain_tabs()
        self._today = today
        self.setMinimumWidth(520)
        self.kind.setFocus()

    def value(self) -> AssessmentInput:
        assessed_on = self.assessed_on.value()
        if assessed_on is None:
            raise ValidationError(self.tr("Give the date the assessment was made."),
                                  field="assessed_on")
        kind = self.kind.value()
        if kind is None:
            raise ValidationError(self.tr("Choose what kind of assessment it is."),
                                  field="kind")
        return AssessmentInput(kind, self.organisation.currentText().strip(),
                               self.assessor.text().strip(), assessed_on, self.summary.value())


class RemovalDialog(FormDialog[str]):
    """Why a record made by mistake is taken off the person's record: what goes is named,
    the reason is required (the service refuses it blank, beside the field), and Cancel
    keeps the record. Its value is the reason as typed."""

    def __init__(self, title: str, question: str, parent: QWidget | None = None) -> None:
        super().__init__(title, self.tr("Re&move"), parent)
        self.intro.setText(question)
        self.intro.setTextFormat(Qt.TextFormat.PlainText)  # it names what was typed
        self.intro.show()
        self.reason = Para(self.tr("Why it is removed"),
                           self.tr("e.g. the date was typed 2025 for 2015; recorded for the "
                                   "wrong person"), lines=3)
        self.add_field("reason", self.tr("&Why it is removed:"), self.reason)
        self.chain_tabs()
        self.setMinimumWidth(480)
        self.reason.setFocus()

    @classmethod
    def for_assessment(cls, row: AssessmentRow, person_name: str,
                       parent: QWidget | None = None) -> RemovalDialog:
        """Ask before removing a partner's assessment."""
        return cls(_tr("Remove a partner's assessment"), _tr(
            "Remove the %1 by %2 (%3), dated %4, from %5's record? Only remove one recorded "
            "by mistake. The wizard will no longer offer it; a delegation that reused it "
            "keeps it as it was decided.").replace("%1", _tr(row.kind_label))
            .replace("%2", row.organisation).replace("%3", row.assessor)
            .replace("%4", uk_date(row.assessed_on)).replace("%5", person_name), parent)

    @classmethod
    def for_screen(cls, row: EligibilityRow, person_name: str,
                   parent: QWidget | None = None) -> RemovalDialog:
        """Ask before removing an eligibility screen."""
        return cls(_tr("Remove an eligibility screen"), _tr(
            "Remove the eligibility screen of %1 (%2, decided by %3) from %4's record? Only "
            "remove one recorded by mistake. The wizard will show the latest screen still on "
            "the record.").replace("%1", uk_date(row.screened_on))
            .replace("%2", _tr(row.decision_label)).replace("%3", row.decided_by)
            .replace("%4", person_name), parent)

    def value(self) -> str:
        return self.reason.toPlainText()
