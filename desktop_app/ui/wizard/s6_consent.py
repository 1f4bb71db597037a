"""S6: consent, and mental capacity when it is in doubt (framework §6, Mental Capacity Act).

Who decided is one of: the person; a registered health and welfare attorney (LPA) or a
deputy, chosen from the person's contacts who may make health and welfare decisions; or a
recorded best-interests decision. If capacity is in doubt the assessment is recorded; a
person assessed as lacking capacity for this decision cannot be the one who decided, and
nobody else can decide for a person who has not been found to lack it. Sections that do
not apply are hidden, and hidden answers are not part of the step's answers.

The conversation starts from what matters to the person (framework Part A section 3):
their own words, strengths, what they do for themselves and who took part, first on the
page and kept under the answer keys ``person_words``, ``strengths``, ``self_care`` and
``took_part`` (``person_centred_boxes.WhatMattersBox``). When capacity is in doubt, a
partner's mental capacity assessment can be reused instead of repeated
(``reuse_box.ReuseBox``, the answer ``reused_assessment``).
"""

from __future__ import annotations

from typing import Any

from PySide6.QtWidgets import QLabel, QSizePolicy, QWidget

from desktop_app.services.delegation import BEST_INTERESTS, CONTACT_KINDS, FOR_SOMEONE_ELSE
from desktop_app.services.framework.flow import Step
from desktop_app.services.framework.labels import CONSENT_METHODS
from desktop_app.services.framework.task_lines import example_from_description
from desktop_app.ui.wizard.base import StepPage, escape_text
from desktop_app.ui.wizard.context import ContactOption, WizardContext
from desktop_app.ui.wizard.fields import Choice, DateField, Line, Para, YesNo
from desktop_app.ui.wizard.person_centred_boxes import WhatMattersBox, focus_shown
from desktop_app.ui.wizard.reuse_box import ReuseBox
from desktop_app.ui.wizard.s3_excluded import Notice
from desktop_app.ui.wizard.s4_stable import ScrollingForm


class ConsentPage(StepPage):
    """Consent given? Who decided, how, what was explained; capacity; best interests."""

    step_id = "S6"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.deciders = [c for c in context.contacts if c.can_decide_health_welfare]
        self._typed_name = ""
        self.body = ScrollingForm()
        self.form.addRow(self.body)
        self.what_matters = WhatMattersBox(context)
        self.body.form.addRow(self.what_matters)
        self._build_consent()
        self._build_decider()
        self._build_capacity()
        self._build_best_interests()
        self.consent.changed.connect(self._sync)
        self.decided_by.currentIndexChanged.connect(self._sync)
        self.contact.currentIndexChanged.connect(self._sync)
        self.capacity_in_doubt.changed.connect(self._sync)
        self.name.textEdited.connect(self._on_name_text_edited)
        self._sync()

    # ------------------------------------------------------------ building

    def _build_consent(self) -> None:
        self.consent = YesNo(self.label("consent_given"), self.tr("&Yes, consent given"),
                             self.tr("N&o, not given"))
        self.person_said = Para(self.label("no_reason"), self.tr("in the person's own words"),
                                lines=2)
        self.body.form.addRow(self.tr("Consent given?"), self.consent)
        self.body.form.addRow(self.tr("W&hat the person said:"), self.person_said)

    def _build_decider(self) -> None:
        form = self.body.form
        self.body.section(self.tr("Who decided"))
        self.decided_by = Choice(self.label("given_by_kind"), [
            ("person", self.tr("The person themself")),
            ("lpa", self.tr("A registered health and welfare attorney (LPA)")),
            ("deputy", self.tr("A deputy appointed by the Court of Protection")),
            ("best_interests", self.tr("A best-interests decision")),
        ])
        self.contact = Choice(self.label("contact_id"),
                              [(c.id, self._contact_text(c)) for c in self.deciders])
        self.no_contact = Notice(self.tr("No attorney or deputy recorded"), "warning")
        self.no_contact.set_message(escape_text(self._no_contact_text()))
        self.name = Line(self.label("given_by_name"))
        # The words the plan prints for each method, so the plan says what was chosen.
        self.how = Choice(self.label("how"), [
            (str(method), self.tr(words)) for method, words in CONSENT_METHODS.items()])
        self.explained = Para(self.label("explained"), self.tr(
            "e.g. what the care worker will do, the risks, who to call, and that consent can "
            "be withdrawn at any time"), lines=2)
        form.addRow(self.tr("&Decided by:"), self.decided_by)
        form.addRow(self.tr("&Attorney or deputy:"), self.contact)
        form.addRow("", self.no_contact)
        form.addRow(self.tr("Na&me:"), self.name)
        form.addRow(self.tr("Ho&w:"), self.how)
        form.addRow(self.tr("What was e&xplained:"), self.explained)

    def _build_capacity(self) -> None:
        form = self.body.form
        self.body.section(self.tr("Mental capacity"))
        self.capacity_in_doubt = YesNo(self.label("capacity_in_doubt"),
                                       self.tr("Y&es, in doubt"), self.tr("No, no&t in doubt"))
        self.capacity: dict[str, Line | DateField | Choice] = {
            "capacity_decision": Line(self.label("capacity_decision"),
                                      self._decision_example(None)),
            "capacity_assessed_on": DateField(self.label("capacity_assessed_on")),
            "capacity_assessor": Line(self.label("capacity_assessor"),
                                      self.tr("name and role")),
            "capacity_outcome": Choice(self.label("capacity_outcome"), [
                ("has_capacity", self.tr("Has capacity for this decision")),
                ("lacks_capacity", self.tr("Lacks capacity for this decision")),
            ]),
        }
        self.capacity["capacity_assessed_on"].setSizePolicy(QSizePolicy.Policy.Fixed,
                                                            QSizePolicy.Policy.Fixed)
        form.addRow(self.tr("Capacity in doubt?"), self.capacity_in_doubt)
        self.reuse_box = ReuseBox(self.context, self.step_id)
        form.addRow(self.reuse_box)
        texts = (self.tr("Dec&ision assessed:"), self.tr("A&ssessed on:"),
                 self.tr("Assesso&r:"), self.tr("O&utcome:"))
        for text, widget in zip(texts, self.capacity.values(), strict=True):
            form.addRow(text, widget)

    def _build_best_interests(self) -> None:
        self.bi_heading = self.body.section(self.tr("Best-interests decision"))
        placeholders = (self.tr("family, carers, the GP, anyone named by the person"),
                        self.tr("past and present, and the beliefs and values behind them"),
                        self.tr("including the nurse carrying on with the task"),
                        self.tr("the option that restricts the person's rights and freedom "
                                "least"))
        self.best_interests = {name: Para(self.label(name), placeholder, lines=2)
                               for name, placeholder in zip(BEST_INTERESTS, placeholders,
                                                            strict=True)}
        texts = (self.tr("Who was &consulted:"), self.tr("Wishes and feelin&gs:"),
                 self.tr("O&ptions considered:"), self.tr("&Least restrictive choice:"))
        for text, widget in zip(texts, self.best_interests.values(), strict=True):
            self.body.form.addRow(text, widget)

    def _kind_words(self) -> dict[str, str]:
        return {"lpa_health_welfare": self.tr("health and welfare attorney"),
                "deputy": self.tr("deputy")}

    def _contact_text(self, contact: ContactOption) -> str:
        kind = self._kind_words().get(contact.kind)
        return f"{contact.name} ({kind})" if kind else contact.name

    def _no_contact_text(self) -> str:
        return self.tr("No registered attorney or deputy for health and welfare is recorded "
                       "for %s. Add them to the person's contacts first, or record a "
                       "best-interests decision.") % self.context.person_name

    # ------------------------------------------------------------ showing what applies

    def _decision_example(self, task_name: str | None) -> str:
        """The example of the decision assessed, for the task chosen on S1."""
        named = example_from_description(task_name)
        return (self.tr("e.g. whether a care worker, not a nurse, does this: %s") % named
                if named else self.tr("e.g. whether a care worker, not a nurse, does the task"))

    def initializePage(self) -> None:  # noqa: N802 (Qt's name)
        code = self.delegation_wizard().answers.get("S1", {}).get("task_code")
        task = self.context.task(code)
        self.capacity["capacity_decision"].setPlaceholderText(
            self._decision_example(task.name if task else None))
        super().initializePage()

    def chosen_contact(self) -> ContactOption | None:
        """The attorney or deputy chosen, if any."""
        return next((c for c in self.deciders if c.id == self.contact.value()), None)

    def _on_name_text_edited(self, text: str) -> None:
        self._typed_name = text

    def _sync(self, *_args: object) -> None:
        kind = self.decided_by.value()
        self._show_rows([self.person_said], self.consent.value() is False)
        self._show_rows([self.contact], kind in CONTACT_KINDS and bool(self.deciders))
        self._show_rows([self.no_contact], kind in CONTACT_KINDS and not self.deciders)
        self._show_rows([*self.capacity.values(), self.reuse_box],
                        self.capacity_in_doubt.value() is True)
        self._show_rows([self.bi_heading, *self.best_interests.values()],
                        kind == "best_interests")
        self._show_name(kind)

    def _show_rows(self, widgets: list[QWidget], shown: bool) -> None:
        for widget in widgets:
            self.body.form.setRowVisible(widget, shown)
            widget.setEnabled(shown)

    def _show_name(self, kind: str | None) -> None:
        # The person's own name, or the chosen attorney's, is filled in and locked; a
        # best-interests decision-maker is typed, and kept while the choice changes.
        label = self.body.form.labelForField(self.name)
        if isinstance(label, QLabel):
            label.setText(self.tr("Decision-&maker:") if kind == "best_interests"
                          else self.tr("Na&me:"))
        if kind == "person":
            text, locked, hint = self.context.person_name, True, ""
        elif kind in CONTACT_KINDS:
            contact = self.chosen_contact()
            text, locked = (contact.name if contact else ""), True
            hint = self.tr("filled in from the attorney or deputy chosen above")
        else:
            text, locked = self._typed_name, False
            hint = self.tr("name and role of whoever made the decision") if kind else ""
        self.name.setReadOnly(locked)
        self.name.setPlaceholderText(hint)
        self.name.setStyleSheet("background: palette(window);" if locked else "")
        if self.name.text() != text:
            self.name.setText(text)

    # ------------------------------------------------------------ answers

    def answers(self) -> dict[str, Any]:
        kind = self.decided_by.value()
        values: dict[str, Any] = {
            "consent_given": self.consent.value(),
            "given_by_kind": kind,
            "given_by_name": self.name.value(),
            "contact_id": self.contact.value() if kind in CONTACT_KINDS else None,
            "how": self.how.value(),
            "explained": self.explained.value(),
            "capacity_in_doubt": self.capacity_in_doubt.value(),
            "no_reason": self.person_said.value() if self.consent.value() is False else None,
        }
        in_doubt = self.capacity_in_doubt.value() is True
        values.update({name: widget.value() if in_doubt else None
                       for name, widget in self.capacity.items()})
        values.update({name: widget.value() if kind == "best_interests" else None
                       for name, widget in self.best_interests.items()})
        values.update(self.what_matters.answers())
        reused = self.reuse_box.value() if in_doubt else None
        if reused is not None:
            values["reused_assessment"] = reused
        return values

    def load(self, answers: dict[str, Any]) -> None:
        kind = answers.get("given_by_kind")
        self._typed_name = "" if kind == "person" or kind in CONTACT_KINDS else (
            answers.get("given_by_name") or "")
        self.consent.set_value(answers.get("consent_given"))
        self.person_said.set_value(answers.get("no_reason"))
        self.decided_by.set_value(kind)
        self.contact.set_value(answers.get("contact_id"))
        self.how.set_value(answers.get("how"))
        self.explained.set_value(answers.get("explained"))
        self.capacity_in_doubt.set_value(answers.get("capacity_in_doubt"))
        for name, widget in [*self.capacity.items(), *self.best_interests.items()]:
            widget.set_value(answers.get(name))
        self.what_matters.load(answers)
        self.reuse_box.set_value(answers.get("reused_assessment"))
        self._sync()

    def _watch_edits(self) -> None:
        super()._watch_edits()
        # Who took part (a table) and the typed assessment (built when first opened).
        self.what_matters.changed.connect(self.answer_edited)
        self.reuse_box.changed.connect(self.answer_edited)

    # ------------------------------------------------------------ checks beyond the flow

    def page_problem(self) -> str | None:
        what_matters = self.what_matters.missing()
        reuse = self.reuse_box.missing() if self.capacity_in_doubt.value() is True else None
        return ((what_matters.message if what_matters else None) or self._decider_problem()
                or self._capacity_problem() or (reuse.message if reuse else None)
                or self._best_interests_problem())

    def validatePage(self) -> bool:  # noqa: N802 (Qt's name)
        if super().validatePage():
            return True
        focus_shown(self.message, self.what_matters.missing())
        focus_shown(self.message, self.reuse_box.missing())
        return False

    def first_problem(self) -> str | None:
        # Who may decide comes before the flow's list of missing answers: with no attorney
        # or deputy chosen, "answer: Name" would point at a field that is locked.
        return self._decider_problem()

    def _decider_problem(self) -> str | None:
        kind = self.decided_by.value()
        if kind not in CONTACT_KINDS:
            return None
        if not self.deciders:
            return self._no_contact_text()
        contact = self.chosen_contact()
        if contact is None:
            return self.tr("Choose the attorney or deputy from the person's contacts.")
        if contact.kind in CONTACT_KINDS.values() and contact.kind != CONTACT_KINDS[kind]:
            return self.tr("%s is recorded as a %s: check “Decided by”.") % (
                contact.name, self._kind_words()[contact.kind])
        return None

    def _capacity_problem(self) -> str | None:
        kind = self.decided_by.value()
        outcome = None
        if self.capacity_in_doubt.value() is True:
            missing = [self.label(n) for n, w in self.capacity.items() if w.value() is None]
            if missing:
                return self.tr("Record the capacity assessment: %s.") % "; ".join(missing)
            outcome = self.capacity["capacity_outcome"].value()
        person = self.context.person_name
        if outcome == "lacks_capacity" and kind == "person":
            return self.tr("The assessment found that %s lacks capacity for this decision, so "
                           "it cannot be their own: under “Decided by” choose a registered "
                           "health and welfare attorney, a deputy or a best-interests "
                           "decision.") % person
        if kind in FOR_SOMEONE_ELSE and outcome != "lacks_capacity":
            return self.tr("An attorney, a deputy or a best-interests decision can decide for "
                           "%s only when a capacity assessment has found that they lack "
                           "capacity for this decision: record it under “Mental capacity”. "
                           "If they have capacity, the decision is their own.") % person
        return None

    def _best_interests_problem(self) -> str | None:
        if self.decided_by.value() != "best_interests":
            return None
        missing = [self.label(n) for n, w in self.best_interests.items() if w.value() is None]
        if missing:
            return self.tr("A best-interests decision needs all four parts; still to fill "
                           "in: %s.") % "; ".join(missing)
        return None
