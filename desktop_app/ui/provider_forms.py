"""The forms of the provider register: a care provider, a care worker, the day a worker
left. The Care providers screen (``ui/providers.py``) and the wizard's "Add provider…" and
"Add care worker…" (S7, S8) open the same forms, made of the shared ``ui/forms.py``.

A form emits ``entered`` with what was typed; its caller saves it off the GUI thread
(``save_from``) and closes the form only when the save succeeded. A refusal comes back as a
message beside the field it names, with everything typed kept. Dates are typed (31/01/2027)
or picked from a calendar (the "…" button, or Alt+Down in the date).
"""

from __future__ import annotations

import datetime as dt
from typing import TypeVar

from PySide6.QtWidgets import QCheckBox, QHBoxLayout, QWidget

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.providers.register import COUNCIL_NAMES, ProviderInput, ProviderRow
from desktop_app.services.providers.workers import WorkerInput, WorkerRow
from desktop_app.ui.forms import DateLine, FormDialog, save_from
from desktop_app.ui.wizard.base import escape_text
from desktop_app.ui.wizard.fields import Choice, Line, Para

__all__ = ["DateLine", "FormDialog", "LeavingDialog", "ProviderDialog", "WorkerDialog",
           "council_words", "save_from"]

R = TypeVar("R")


def council_words(code: str) -> str:
    """"Leicester City" for leicester_city (the council's name without "Council")."""
    return COUNCIL_NAMES.get(code, code).removesuffix(" Council")


class ProviderDialog(FormDialog[ProviderInput]):
    """A care provider's details, new or to edit."""

    def __init__(self, row: ProviderRow | None = None, parent: QWidget | None = None) -> None:
        tr = self.tr
        super().__init__(tr("Edit care provider") if row else tr("Add care provider"),
                         tr("&Save provider"), parent)
        self.name = Line(tr("Provider's name"))
        self.council = Choice(tr("Commissioning council"), list(COUNCIL_NAMES.items()))
        self.areas: dict[str, QCheckBox] = {}
        areas = QWidget()
        area_row = QHBoxLayout(areas)
        area_row.setContentsMargins(0, 0, 0, 0)
        for code, text in zip(COUNCIL_NAMES, (tr("&Leicester City"), tr("Leicestershire Count&y"),
                                              tr("&Rutland County")), strict=True):
            box = QCheckBox(text)
            box.setAccessibleName(tr("Works in %s") % council_words(code))
            area_row.addWidget(box)
            self.areas[code] = box
        areas.setAccessibleName(tr("Council areas it works in"))
        area_row.addStretch(1)
        self.phone = Line(tr("Provider's phone"))
        self.cqc = Line(tr("CQC location ID"), tr("1-123456789 (optional)"))
        self.contact = Line(tr("Contact name"), tr("optional"))
        self.email = Line(tr("Secure e-mail"), tr("e.g. name@provider.nhs.net (optional)"))
        self.address = Para(tr("Provider's address"), tr("optional"), lines=2)
        self.insured = QCheckBox(tr("Ins&urance covers delegated healthcare tasks"))
        self.insured.setAccessibleName(tr("Insurance covers delegated healthcare tasks"))
        self.confirmed_on = DateLine(tr("Date the cover was confirmed"))
        self.until = DateLine(tr("Date the cover ends"))
        for name, label, widget in (
                ("name", tr("&Name:"), self.name),
                ("council", tr("Commissioning &council:"), self.council),
                ("council_areas", tr("Works in:"), areas),
                ("phone", tr("&Phone:"), self.phone),
                ("cqc_location_id", tr("CQC location &ID:"), self.cqc),
                ("contact_name", tr("Con&tact name:"), self.contact),
                ("email", tr("Secure &e-mail:"), self.email),
                ("address", tr("&Address:"), self.address),
                ("insurance_covers_delegated", "", self.insured),
                ("insurance_confirmed_on", tr("Cover c&onfirmed on:"), self.confirmed_on),
                ("insurance_until", tr("Cover &valid until:"), self.until)):
            self.add_field(name, label, widget)
        self.chain_tabs({"council_areas": list(self.areas.values())})
        self.council.currentIndexChanged.connect(self._on_council_current_index_changed)
        if row is not None:
            self.load(row.as_input)
        self._on_council_current_index_changed(self.council.currentIndex())

    def load(self, data: ProviderInput) -> None:
        """Show a provider's details."""
        self.name.set_value(data.name)
        self.council.set_value(data.council)
        for code, box in self.areas.items():
            box.setChecked(code in data.council_areas)
        for line, text in ((self.phone, data.phone), (self.cqc, data.cqc_location_id),
                           (self.contact, data.contact_name), (self.email, data.email)):
            line.set_value(text)
        self.address.set_value(data.address)
        self.insured.setChecked(data.insurance_covers_delegated)
        self.confirmed_on.set_value(data.insurance_confirmed_on)
        self.until.set_value(data.insurance_until)

    def value(self) -> ProviderInput:
        return ProviderInput(
            name=self.name.text(), council=self.council.value() or "",
            council_areas=tuple(c for c, box in self.areas.items() if box.isChecked()),
            phone=self.phone.text(), cqc_location_id=self.cqc.value(),
            contact_name=self.contact.value(), email=self.email.value(),
            address=self.address.value(), insurance_covers_delegated=self.insured.isChecked(),
            insurance_confirmed_on=self.confirmed_on.value(),
            insurance_until=self.until.value())

    def _on_council_current_index_changed(self, _index: int) -> None:
        # The commissioning council's own area is always one it works in.
        for code, box in self.areas.items():
            own = code == self.council.value()
            if own:
                box.setChecked(True)
            box.setEnabled(not own)


class WorkerDialog(FormDialog[WorkerInput]):
    """A care worker's details (no national insurance number, no home address)."""

    def __init__(self, provider_name: str, row: WorkerRow | None = None,
                 parent: QWidget | None = None) -> None:
        tr = self.tr
        super().__init__(tr("Edit care worker") if row else tr("Add care worker"),
                         tr("&Save care worker"), parent)
        self.intro.setText(tr("Care worker of %s") % escape_text(provider_name))
        self.intro.show()
        self.given_name = Line(tr("Care worker's given name"))
        self.family_name = Line(tr("Care worker's family name"))
        self.role_title = Line(tr("Care worker's role"), tr("e.g. Senior care worker"))
        self.phone = Line(tr("Care worker's phone"), tr("optional"))
        self.started_on = DateLine(tr("Date the care worker started"))
        for name, label, widget in (
                ("given_name", tr("&Given name:"), self.given_name),
                ("family_name", tr("&Family name:"), self.family_name),
                ("role_title", tr("&Role:"), self.role_title),
                ("phone", tr("&Phone:"), self.phone),
                ("started_on", tr("Started o&n:"), self.started_on)):
            self.add_field(name, label, widget)
        self.chain_tabs()
        if row is not None:
            data = row.as_input
            for line, text in ((self.given_name, data.given_name),
                               (self.family_name, data.family_name),
                               (self.role_title, data.role_title), (self.phone, data.phone)):
                line.set_value(text)
            self.started_on.set_value(data.started_on)

    def value(self) -> WorkerInput:
        return WorkerInput(self.given_name.text(), self.family_name.text(),
                           self.role_title.text(), self.phone.value(), self.started_on.value())


class LeavingDialog(FormDialog[dt.date]):
    """The day a care worker left the provider (today unless changed)."""

    def __init__(self, worker_name: str, today: dt.date, parent: QWidget | None = None) -> None:
        super().__init__(self.tr("Care worker left"), self.tr("&Record leaving"), parent)
        self.intro.setText(self.tr("%s is no longer offered for new delegations; their "
                                   "sign-offs stay in the history.") % escape_text(worker_name))
        self.intro.show()
        self.left_on = DateLine(self.tr("Date the care worker left"))
        self.left_on.set_value(today)
        self.add_field("left_on", self.tr("&Left on:"), self.left_on)
        self.chain_tabs()

    def value(self) -> dt.date:
        day = self.left_on.value()
        if day is None:
            raise ValidationError(self.tr("Give the day they left."), field="left_on")
        return day

