"""Trusted assessment on the wizard's steps S1, S2, S4 and S6 (framework Part A section 3).

A step that asks the question a kind of assessment answers (``ASSESSMENT_STEPS``) offers
the latest partner assessment of that kind on the person's record, saying how old it is
(over a year: check it still holds), to reuse instead of repeating it; or another
partner's, typed in. The step's answer is ``reused_assessment``: ``{"id": ...}`` for the
one on file, ``{"kind", "organisation", "assessor", "assessed_on", "summary"}`` for one
typed, absent when none is reused.

The typed fields are built the first time they are opened (most delegations never need
them) and fit into the tab order straight after the tick that opens them, which takes the
focus there. Their labels have no mnemonics (S6 has no letters left; see
``person_centred_boxes``); the two ticks use "v" and "k", free on every one of the four
pages.
"""

from __future__ import annotations

import datetime as dt
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QSizePolicy,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.framework.person_centred import (
    ASSESSMENT_KIND_LABELS,
    ASSESSMENT_STEPS,
    PARTNER_ORGANISATIONS,
    age_in_words,
    is_stale,
)
from desktop_app.ui.tables import uk_date
from desktop_app.ui.wizard.base import StepPage, escape_text
from desktop_app.ui.wizard.context import AssessmentOnFile, WizardContext
from desktop_app.ui.wizard.fields import DateField, Line, Para
from desktop_app.ui.wizard.person_centred_boxes import NAME_LIMIT, Missing, focus_shown
from desktop_app.ui.wizard.s3_excluded import Notice


class PartnerFields(QWidget):
    """Another partner's assessment typed in: organisation, assessor, date, what it found."""

    changed = Signal()

    def __init__(self, parent: QWidget) -> None:
        super().__init__(parent)
        self.organisation = QComboBox()
        self.organisation.setEditable(True)
        self.organisation.addItems([self.tr(name) for name in PARTNER_ORGANISATIONS])
        self.organisation.setCurrentIndex(-1)
        self.organisation.setInsertPolicy(QComboBox.InsertPolicy.NoInsert)
        self.organisation.setAccessibleName(self.tr("Organisation that made the assessment"))
        line = self.organisation.lineEdit()
        if line is not None:
            line.setPlaceholderText(self.tr("choose or type the partner organisation"))
            line.setMaxLength(NAME_LIMIT)
            line.setAccessibleName(self.organisation.accessibleName())
            line.textEdited.connect(self._emit_changed)
        self.assessor = Line(self.tr("Who assessed"), self.tr("name and role"))
        self.assessor.setMaxLength(NAME_LIMIT)
        self.assessed_on = DateField(self.tr("Date of the assessment"))
        self.assessed_on.setSizePolicy(QSizePolicy.Policy.Fixed, QSizePolicy.Policy.Fixed)
        self.summary = Para(self.tr("What the assessment found"),
                            self.tr("optional: what it found, in a line or two"), lines=2)
        form = QFormLayout(self)
        form.setContentsMargins(18, 0, 0, 0)
        for text, widget in ((self.tr("Organisation:"), self.organisation),
                             (self.tr("Who assessed:"), self.assessor),
                             (self.tr("Date:"), self.assessed_on),
                             (self.tr("What it found:"), self.summary)):
            form.addRow(QLabel(text), widget)  # no mnemonic: see the module
        self.organisation.currentIndexChanged.connect(self._emit_changed)
        self.assessor.textEdited.connect(self._emit_changed)
        self.assessed_on.changed.connect(self._emit_changed)
        self.summary.textChanged.connect(self._emit_changed)

    def _emit_changed(self, *_args: object) -> None:
        self.changed.emit()

    def chain(self) -> list[QWidget]:
        """The fields in tab order."""
        return [self.organisation, self.assessor, self.assessed_on, self.summary]

    def value(self) -> dict[str, Any]:
        """What was typed (blank fields left out)."""
        values = {"organisation": self.organisation.currentText().strip() or None,
                  "assessor": self.assessor.value(), "assessed_on": self.assessed_on.value(),
                  "summary": self.summary.value()}
        return {k: v for k, v in values.items() if v is not None}

    def set_value(self, value: dict[str, Any]) -> None:
        """Show a typed assessment."""
        self.organisation.setCurrentIndex(-1)
        self.organisation.setEditText(str(value.get("organisation") or ""))
        self.assessor.set_value(value.get("assessor"))
        self.assessed_on.set_value(value.get("assessed_on"))
        self.summary.set_value(value.get("summary"))


class ReuseBox(QGroupBox):
    """The latest assessment of the step's kind on file, to reuse; or another partner's.
    ``changed``: an edit the page cannot see for itself (the typed fields, built late)."""

    changed = Signal()

    def __init__(self, context: WizardContext, step_id: str) -> None:
        super().__init__(self.tr("Trusted assessment: %s") % self.tr(
            ASSESSMENT_KIND_LABELS[ASSESSMENT_STEPS[step_id]]))
        self.context = context
        self.kind = str(ASSESSMENT_STEPS[step_id])
        self.kind_words = self.tr(ASSESSMENT_KIND_LABELS[self.kind])
        self.today = context.today or dt.date.today()
        self.offered: AssessmentOnFile | None = context.latest_assessment(self.kind)
        self.on_file = Notice(self.tr("Assessment on file"), "info")
        self.reuse = QCheckBox(self.tr("Reuse it and a&void repeating it"))
        self.reuse.setAccessibleName(self.tr("Reuse the %s on file instead of repeating it")
                                     % self.kind_words)
        self.another = QCheckBox(self.tr("Reuse another partner's assessment (&key it in)"))
        self.another.setAccessibleName(self.tr("Reuse another partner's %s, typed in")
                                       % self.kind_words)
        self.partner: PartnerFields | None = None
        self.lost = False  # the draft reused one no longer on the record
        self.layout_ = QVBoxLayout(self)
        self.layout_.addWidget(self.on_file)
        self.layout_.addWidget(self.reuse)
        self.layout_.addWidget(self.another)
        self.reuse.toggled.connect(self._on_reuse_toggled)
        self.another.toggled.connect(self._on_another_toggled)
        self.another.clicked.connect(self._on_another_clicked)
        self._show_offered()

    # ------------------------------------------------------------ showing

    def _show_offered(self) -> None:
        offered = self.offered
        self.reuse.setVisible(offered is not None)
        self.on_file.setVisible(offered is not None or self.lost)
        lost = self.tr("<b>The assessment this draft reused is no longer on the person "
                       "record:</b> choose again.") if self.lost else ""
        if offered is None:
            self.on_file.set_message(lost, "warning")
            return
        text = self.tr("<b>On file:</b> %s by %s (%s), %s — %s.") % (
            escape_text(self.tr(ASSESSMENT_KIND_LABELS.get(offered.kind, offered.kind))),
            escape_text(offered.organisation), escape_text(offered.assessor),
            uk_date(offered.assessed_on), escape_text(age_in_words(offered.assessed_on,
                                                                   self.today)))
        if offered.summary.strip():
            text += self.tr("<br>It found: %s") % escape_text(offered.summary.strip())
        stale = is_stale(offered.assessed_on, self.today)
        if stale:
            text += self.tr("<br><b>Over a year old: check it still holds before you reuse "
                            "it.</b>")
        self.on_file.set_message(f"{lost}<br>{text}" if lost else text,
                                 "warning" if stale or lost else "info")

    def stale(self) -> bool:
        """Whether the assessment offered is over a year old."""
        return self.offered is not None and is_stale(self.offered.assessed_on, self.today)

    def _on_reuse_toggled(self, checked: bool) -> None:
        if checked:
            self.another.setChecked(False)

    def _on_another_toggled(self, checked: bool) -> None:
        if checked:
            self.reuse.setChecked(False)
            self._partner_fields()
        if self.partner is not None:
            self.partner.setVisible(checked)
            self.partner.setEnabled(checked)

    def _on_another_clicked(self, checked: bool) -> None:
        if checked and self.partner is not None:  # the nurse opened it: type there next
            self.partner.organisation.setFocus(Qt.FocusReason.TabFocusReason)

    def _partner_fields(self) -> PartnerFields:
        if self.partner is None:
            self.partner = PartnerFields(self)
            self.layout_.addWidget(self.partner)
            previous: QWidget = self.another
            for widget in self.partner.chain():
                QWidget.setTabOrder(previous, widget)
                previous = widget
            self.partner.changed.connect(self._on_partner_changed)
        return self.partner

    def _on_partner_changed(self) -> None:
        self.changed.emit()

    # ------------------------------------------------------------ answers

    def value(self) -> dict[str, Any] | None:
        """The step's ``reused_assessment``, or None when none is reused."""
        if self.reuse.isChecked() and self.offered is not None:
            return {"id": self.offered.id}
        if self.another.isChecked() and self.partner is not None:
            return {"kind": self.kind, **self.partner.value()}
        return None

    def set_value(self, value: object) -> None:
        """Show a saved ``reused_assessment`` (None: nothing reused; anything typed before
        stays in its hidden fields for a flip back)."""
        given = value if isinstance(value, dict) else {}
        self.offered = self.context.latest_assessment(self.kind)
        self.lost = False
        chosen = str(given.get("id") or "")
        if chosen:
            match = next((a for a in self.context.assessments
                          if a.id == chosen and a.kind == self.kind), None)
            self.offered = match or self.offered
            self.lost = match is None
        self._show_offered()
        if given and not chosen:
            self._partner_fields().set_value(given)
        self.reuse.setChecked(bool(chosen) and not self.lost)
        self.another.setChecked(bool(given) and not chosen)

    def missing(self) -> Missing | None:
        """A typed assessment without its organisation, assessor or date, or dated after
        today (a date that is not one is the page's date check)."""
        partner = self.partner
        if not self.another.isChecked() or partner is None:
            return None
        typed = partner.value()
        gaps = [(words, widget) for key, words, widget in (
            ("organisation", self.tr("the organisation"), partner.organisation),
            ("assessor", self.tr("who assessed"), partner.assessor),
            ("assessed_on", self.tr("the date"), partner.assessed_on)) if key not in typed]
        if partner.assessed_on.problem():
            gaps = [gap for gap in gaps if gap[1] is not partner.assessed_on]
        if gaps:
            return Missing(self.tr("The other partner's %s you reuse needs %s.") % (
                self.kind_words, self.tr(" and ").join(words for words, _ in gaps)),
                gaps[0][1])
        day = dt.date.fromisoformat(typed["assessed_on"])
        if day > self.today:
            return Missing(self.tr("The other partner's %s is dated %s, after today: check "
                                   "the date.") % (self.kind_words, uk_date(day)),
                           partner.assessed_on)
        return None


class ReusingPage(StepPage):
    """A page that offers a partner's assessment for reuse (S1, S2, S4): its ``reuse_box``
    is watched like the page's own fields, and a typed assessment with a part missing stops
    the page, the focus on that part."""

    reuse_box: ReuseBox

    def _watch_edits(self) -> None:
        super()._watch_edits()
        self.reuse_box.changed.connect(self.answer_edited)  # the typed fields, built late

    def page_problem(self) -> str | None:
        missing = self.reuse_box.missing()
        return missing.message if missing else None

    def validatePage(self) -> bool:  # noqa: N802 (Qt's name)
        if super().validatePage():
            return True
        focus_shown(self.message, self.reuse_box.missing())
        return False
