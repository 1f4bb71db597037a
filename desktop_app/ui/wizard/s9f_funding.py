"""S9F: how the cost of the extra time is split between the NHS (the ICB) and the council.

The page never does the arithmetic itself: every keystroke rebuilds the service's
``FundingBasis`` and the chosen method's inputs and asks ``apportion`` (framework §5), so
the live summary is exactly what will be stored. What was typed is kept as typed (the
``entered`` answer) so a half-typed or wrong amount survives Back and Next; a wrong value
shows the service's own message in the summary's place and the field is marked.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass
from typing import Any

from PySide6.QtCore import QT_TRANSLATE_NOOP, Qt
from PySide6.QtWidgets import QLabel, QVBoxLayout, QWidget

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework import funding
from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.base import StepPage, escape_text
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import Choice, DateField, Line

ICB = "icb"
FUNDERS = {funder.value: funder for funder in funding.FUNDER_NAMES}  # code → Funder
COUNCIL_CODES = tuple(council.value for council in funding.COUNCILS)


@dataclass(frozen=True)
class AmountField:
    """One typed input: its service field name, label, how it reads in "fill in: …", its
    kind ("whole", "pounds" or "percent") and whether it may be left blank."""

    name: str
    label: str
    what: str
    kind: str
    optional: bool = False


def _noop(context: str, text: str) -> str:
    """QT_TRANSLATE_NOOP, typed: marks ``text`` for translation and returns it unchanged."""
    return str(QT_TRANSLATE_NOOP(context, text))


AMOUNTS = (
    AmountField("minutes_per_call",
                _noop("FundingPage", "M&inutes per call:"),
                _noop("FundingPage", "the minutes per call"), "whole"),
    AmountField("extra_minutes_per_call",
                _noop("FundingPage", "Extra m&inutes per call:"),
                _noop("FundingPage", "the extra minutes per call"), "whole"),
    AmountField("calls_per_week",
                _noop("FundingPage", "C&alls per week:"),
                _noop("FundingPage", "the calls per week"), "whole"),
    AmountField("health_minutes_per_week",
                _noop("FundingPage", "H&ealth task minutes per week:"),
                _noop("FundingPage", "the health task minutes"), "whole"),
    AmountField("social_care_minutes_per_week",
                _noop("FundingPage", "S&ocial care minutes per week:"),
                _noop("FundingPage", "the social care minutes"), "whole"),
    AmountField("minutes_per_week",
                _noop("FundingPage", "Extra minutes per &week:"),
                _noop("FundingPage", "the extra minutes per week"), "whole",
                optional=True),
    AmountField("weekly_pence",
                _noop("FundingPage", "…or extra £ per wee&k:"),
                _noop("FundingPage", "the extra £ per week"), "pounds", optional=True),
    AmountField("icb_basis_points",
                _noop("FundingPage", "NHS &percentage:"),
                _noop("FundingPage", "the NHS percentage"), "percent"),
    AmountField("existing_council_pence_per_week",
                _noop("FundingPage", "Existing council calls, £ a &week:"),
                _noop("FundingPage", "the existing calls' cost"), "pounds",
                optional=True),
)
METHOD_FIELDS: dict[str, tuple[str, ...]] = {
    "health_only_call": ("minutes_per_call", "calls_per_week", "existing_council_pence_per_week"),
    "extra_minutes": ("extra_minutes_per_call", "calls_per_week",
                      "existing_council_pence_per_week"),
    "split_by_minutes": ("health_minutes_per_week", "social_care_minutes_per_week"),
    "equal_split": ("minutes_per_week", "weekly_pence"),
    "fixed_percentage": ("minutes_per_week", "weekly_pence", "icb_basis_points"),
    "existing_package": ("existing_council_pence_per_week",),
}
EITHER_OR = ("minutes_per_week", "weekly_pence")  # equal and percentage splits: one of the two
SHARE_WORDS = {"all": _noop("FundingPage", "all of it"),
               "part": _noop("FundingPage", "part of it"),
               "none": _noop("FundingPage", "none of it")}


def icb_share(result: funding.FundingResult) -> str:
    """"all", "part" or "none": how much of the *extra* time the NHS pays (the service
    judges it; the council's existing calls, shown for the total, never count)."""
    return result.nhs_share.value


def _pounds_text(pence: int) -> str:
    return funding.format_pounds(pence).lstrip("£")


def _percent_text(basis_points: int) -> str:
    whole, hundredths = divmod(basis_points, 100)
    return f"{whole}.{hundredths:02d}".rstrip("0").rstrip(".") if hundredths else str(whole)


class FundingPage(StepPage):
    """Method, council, lead commissioner, rate and amounts, with a live weekly summary."""

    step_id = "S9F"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.result: funding.FundingResult | None = None
        self.error: ValidationError | None = None
        self.must_fund = QLabel(self.tr(
            "The council cannot lawfully provide this task (step S5): the NHS must fund all "
            "of it."))
        self.must_fund.setWordWrap(True)
        self.must_fund.setStyleSheet("color: #7a4a00; font-weight: bold;")
        self.must_fund.hide()
        self.method = Choice(self.label("method"), [
            ("health_only_call", self.tr("A separate call just for the health task (NHS pays)")),
            ("extra_minutes", self.tr("Extra minutes on calls already commissioned (NHS pays)")),
            ("split_by_minutes", self.tr("Split by minutes: health minutes NHS, the rest "
                                         "council")),
            ("equal_split", self.tr("The extra cost shared equally (50/50)")),
            ("fixed_percentage", self.tr("The NHS pays an agreed percentage of the extra cost")),
            ("existing_package", self.tr("No extra cost: within the existing package")),
        ])
        self.council = Choice(self.tr("Council"), [
            (code, funding.FUNDER_NAMES[council])
            for code, council in zip(COUNCIL_CODES, funding.COUNCILS, strict=True)])
        self.lead = Choice(self.tr("Lead commissioner"), [(ICB, self.tr("LLR ICB (the NHS)"))])
        self.rate = Line(self.tr("Hourly care rate in pounds"), self.tr("e.g. 24.00"))
        self.start_date = DateField(self.tr("Extra care starts on"))
        self.amounts: dict[str, Line] = {
            spec.name: Line(self.tr(spec.label).replace("&", "").rstrip(":"),
                            self.tr("optional") if spec.optional else "")
            for spec in AMOUNTS}
        self.summary = QLabel()
        self.summary.setTextFormat(Qt.TextFormat.RichText)
        self.summary.setAccessibleName(self.tr("Weekly amounts per funder"))
        self.problem = QLabel()
        self.problem.setWordWrap(True)
        self.problem.setAccessibleName(self.tr("Problem with the amounts"))
        # The message takes the summary's place, and the space is kept, so nothing below
        # jumps while typing.
        self.outcome = QWidget()
        column = QVBoxLayout(self.outcome)
        column.setContentsMargins(0, 0, 0, 0)
        column.addWidget(self.problem)
        column.addWidget(self.summary)
        column.addStretch(1)
        self.outcome.setMinimumHeight(self.fontMetrics().lineSpacing() * 5)
        self._lay_out()
        self._connect()
        self._on_method_changed()

    # ------------------------------------------------------------ building

    def _lay_out(self) -> None:
        self.form.addRow(self.must_fund)
        self.form.addRow(self.tr("&Method:"), self.method)
        self.form.addRow(self.tr("&Council:"), self.council)
        self.form.addRow(self.tr("&Lead commissioner:"), self.lead)
        self.form.addRow(self.tr("&Hourly rate (£):"), self.rate)
        for spec in AMOUNTS:
            self.form.addRow(self.tr(spec.label), self.amounts[spec.name])
        self.form.addRow(self.tr("&Starts on:"), self.start_date)
        self.form.addRow(self.tr("Each week:"), self.outcome)
        narrow = self.fontMetrics().horizontalAdvance("0") * 14
        for widget in (self.rate, *self.amounts.values()):
            widget.setMaximumWidth(narrow)
        label = self.form.labelForField(self.outcome)
        if isinstance(label, QLabel):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)

    def _connect(self) -> None:
        self.method.currentIndexChanged.connect(self._on_method_changed)
        self.council.currentIndexChanged.connect(self._on_council_changed)
        self.lead.currentIndexChanged.connect(self._on_input_changed)
        self.rate.textChanged.connect(self._on_input_changed)
        self.start_date.changed.connect(self._on_input_changed)
        for line in self.amounts.values():
            line.textChanged.connect(self._on_input_changed)

    # ------------------------------------------------------------ reacting

    def _on_method_changed(self, *_args: object) -> None:
        shown = set(METHOD_FIELDS.get(self.method.value() or "", ()))
        for name, line in self.amounts.items():
            self.form.setRowVisible(line, name in shown)
        self._on_input_changed()

    def _on_council_changed(self, *_args: object) -> None:
        """The lead is the ICB or this council: keep the ICB, or follow the council."""
        lead = self.lead.value()
        self.lead.blockSignals(True)
        while self.lead.count() > 2:
            self.lead.removeItem(2)
        council = self.council.value()
        if council:
            self.lead.addItem(funding.FUNDER_NAMES[FUNDERS[council]], council)
        self.lead.set_value(ICB if lead == ICB else (council if lead else None))
        self.lead.blockSignals(False)
        self._on_input_changed()

    def _on_input_changed(self, *_args: object) -> None:
        self.result, self.error, missing = self._work_out()
        self._show(missing)

    # ------------------------------------------------------------ working it out

    def _work_out(self) -> tuple[funding.FundingResult | None, ValidationError | None,
                                 list[str]]:
        """(result, error, missing): the split when everything is there and right; else
        the service's message for the first wrong value; else what is still to fill in."""
        missing: list[str] = []
        method = self.method.value()
        if method is None:
            return None, None, [self.tr("the method")]
        try:
            rate = self._rate(missing)
            kwargs = self._method_kwargs(method, missing)
            for name, label in (("council", self.tr("the council")),
                                ("lead", self.tr("the lead commissioner"))):
                if getattr(self, name).value() is None:
                    missing.append(label)
            # Placeholders stand in for blanks so the service checks what *was* typed now.
            basis = funding.FundingBasis(
                council=FUNDERS[self.council.value() or COUNCIL_CODES[0]],
                rate_pence_per_hour=rate if rate is not None else 1,
                lead_commissioner=FUNDERS[self.lead.value() or ICB],
                start_date=self._start_or_today())
            inputs = funding.METHOD_INPUTS[method](**kwargs)
        except ValidationError as error:
            return None, error, missing
        if missing:
            return None, None, missing
        return funding.apportion(basis, inputs), None, []

    def _rate(self, missing: list[str]) -> int | None:
        text = self.rate.text().strip()
        if not text:
            missing.append(self.tr("the hourly rate"))
            return None
        return funding.parse_pounds(text, "rate_pence_per_hour")

    def _method_kwargs(self, method: str, missing: list[str]) -> dict[str, Any]:
        kwargs: dict[str, Any] = {}
        specs = {spec.name: spec for spec in AMOUNTS}
        for name in METHOD_FIELDS[method]:
            text = self.amounts[name].text().strip()
            spec = specs[name]
            if text:
                kwargs[name] = self._parse(spec, text)
            elif not spec.optional:
                missing.append(self.tr(spec.what))
                kwargs[name] = 1
        if method in ("equal_split", "fixed_percentage") and not set(EITHER_OR) & set(kwargs):
            missing.append(self.tr("the extra minutes or the extra £ per week"))
            kwargs["minutes_per_week"] = 1
        return kwargs

    @staticmethod
    def _parse(spec: AmountField, text: str) -> object:
        if spec.kind == "pounds":
            return funding.parse_pounds(text, spec.name)
        if spec.kind == "percent":
            return funding.parse_percent(text, spec.name)
        digits = text.replace(",", "")
        # Not a whole number: hand the text over as it is, so the service's own check
        # explains the rule ("… must be a whole number from 1 to 600.").
        return int(digits) if digits.isdigit() else text

    def _start_or_today(self) -> dt.date:
        start = self.start_date.value()
        return dt.date.fromisoformat(start) if start else dt.date.today()

    # ------------------------------------------------------------ showing it

    def _show(self, missing: list[str]) -> None:
        widgets = self._field_widgets()
        for widget in widgets.values():
            widget.setStyleSheet("")
            widget.setAccessibleDescription("")
        if self.error is not None:
            self.problem.setStyleSheet("color: #a00000; font-weight: bold;")
            self.problem.setText(self.error.message)
            bad = widgets.get(self.error.field or "")
            if bad is not None:
                bad.setStyleSheet("border: 2px solid #a00000;")
                bad.setAccessibleDescription(self.error.message)
        elif missing:
            self.problem.setStyleSheet("color: #555;")
            self.problem.setText(self.tr("To see the weekly amounts, fill in: %s.")
                                 % ", ".join(missing))
        else:
            self.problem.setText("")
        self.problem.setVisible(bool(self.problem.text()))
        self.summary.setText(self._summary_html() if self.result else "")
        self.summary.setVisible(self.result is not None)
        self._show_must_fund()

    def _field_widgets(self) -> dict[str, QWidget]:
        widgets: dict[str, QWidget] = dict(self.amounts)
        widgets.update(rate_pence_per_hour=self.rate, council=self.council,
                       lead_commissioner=self.lead, start_date=self.start_date)
        return widgets

    def _summary_html(self) -> str:
        assert self.result is not None
        rows = []
        for share in self.result.shares:
            note = (self.tr("free to the person") if share.free_to_person
                    else self.tr("may be means-tested"))
            rows.append(f"<tr><td>{escape_text(funding.FUNDER_NAMES[share.funder])}</td>"
                        f"<td align='right'><b>{funding.format_pounds(share.pence_per_week)}"
                        f"</b></td><td>{escape_text(note)}</td></tr>")
        total = funding.format_pounds(self.result.total_pence_per_week)
        rows.append(f"<tr><td><b>{self.tr('Total')}</b></td><td align='right'><b>{total}"
                    f"</b></td><td></td></tr>")
        words = self.tr(SHARE_WORDS[icb_share(self.result)])
        return (f"<table cellspacing='0' cellpadding='2'>{''.join(rows)}</table>"
                f"{self.tr('NHS share of the extra time:')} <b>{escape_text(words)}</b>")

    def _show_must_fund(self) -> None:
        wrong = self.result is not None and icb_share(self.result) != "all"
        self.must_fund.setStyleSheet("color: %s; font-weight: bold;"
                                     % ("#a00000" if wrong else "#7a4a00"))

    # ------------------------------------------------------------ answers

    def entered(self) -> dict[str, str]:
        """Everything as typed (kept even when wrong, so nothing typed is lost)."""
        typed = {name: line.text() for name, line in self.amounts.items() if line.text()}
        if self.rate.text():
            typed["rate"] = self.rate.text()
        for name in ("council", "lead"):
            value = getattr(self, name).value()
            if value:
                typed[name] = value
        return typed

    def answers(self) -> dict[str, Any]:
        inputs: dict[str, Any] | None = None
        if self.result is not None:
            inputs = self.result.json_inputs()
            inputs["start_date"] = self.start_date.value()
            inputs["icb_pence_per_week"] = self.result.shares[0].pence_per_week
            inputs["council_pence_per_week"] = self.result.shares[1].pence_per_week
            inputs["total_pence_per_week"] = self.result.total_pence_per_week
        return {"method": self.method.value(),
                "icb_share": icb_share(self.result) if self.result else None,
                "inputs": inputs, "start_date": self.start_date.value(),
                "entered": self.entered() or None}

    def load(self, answers: dict[str, Any]) -> None:
        s5 = self.delegation_wizard().answers.get("S5", {}) if self.wizard() else {}
        self.must_fund.setVisible(s5.get("incidental_or_ancillary") is False)
        typed = dict(answers.get("entered") or _typed_from_echo(answers.get("inputs") or {}))
        self.method.set_value(answers.get("method"))
        self.council.set_value(typed.get("council") or self._provider_council())
        self.lead.set_value(typed.get("lead"))
        self.rate.setText(typed.get("rate", ""))
        for name, line in self.amounts.items():
            line.setText(typed.get(name, ""))
        self.start_date.set_value(answers.get("start_date"))
        self._on_method_changed()

    def _provider_council(self) -> str | None:
        s7 = self.delegation_wizard().answers.get("S7", {}) if self.wizard() else {}
        provider = self.context.provider(s7.get("provider_id"))
        return provider.council if provider and provider.council in COUNCIL_CODES else None

    def first_problem(self) -> str | None:
        # Say exactly what is wrong or missing, rather than the flow's "Amounts".
        return self.page_problem() if self.result is None else None

    def page_problem(self) -> str | None:
        if self.error is not None:
            return self.error.message
        if self.result is None:
            return self.problem.text() or self.tr("Fill in the amounts.")
        if self.start_date.value() is None:
            return self.tr("Enter the date the extra care starts.")
        return None


def _typed_from_echo(echo: dict[str, Any]) -> dict[str, str]:
    """The typed form of a stored split (for answers saved without ``entered``)."""
    typed: dict[str, str] = {}
    for spec in AMOUNTS:
        value = echo.get(spec.name)
        if isinstance(value, int) and not isinstance(value, bool):
            typed[spec.name] = {"pounds": _pounds_text, "percent": _percent_text}.get(
                spec.kind, str)(value)
    if isinstance(echo.get("rate_pence_per_hour"), int):
        typed["rate"] = _pounds_text(echo["rate_pence_per_hour"])
    if echo.get("council"):
        typed["council"] = str(echo["council"])
    if echo.get("lead_commissioner"):
        typed["lead"] = str(echo["lead_commissioner"])
    return typed
