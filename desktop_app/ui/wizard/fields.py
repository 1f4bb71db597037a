"""Small answer widgets the wizard pages share: yes/no, text, date and choice fields.

Each has ``value()`` and ``set_value()`` so a page can read and restore its answers, an
accessible name, and a label with a mnemonic.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Signal
from PySide6.QtWidgets import (
    QButtonGroup,
    QComboBox,
    QHBoxLayout,
    QLineEdit,
    QPlainTextEdit,
    QRadioButton,
    QWidget,
)

from desktop_app.services.core.errors import ValidationError
from desktop_app.ui.forms import DateInput


class YesNo(QWidget):
    """Two radio buttons, Yes and No, starting unanswered."""

    changed = Signal()

    def __init__(self, name: str, yes: str | None = None, no: str | None = None) -> None:
        super().__init__()
        self.yes = QRadioButton(yes or self.tr("&Yes"))
        self.no = QRadioButton(no or self.tr("&No"))
        self.yes.setAccessibleName(f"{name}: {self.yes.text().replace('&', '')}")
        self.no.setAccessibleName(f"{name}: {self.no.text().replace('&', '')}")
        self.setAccessibleName(name)
        self._group = QButtonGroup(self)
        self._group.addButton(self.yes)
        self._group.addButton(self.no)
        layout = QHBoxLayout(self)
        layout.setContentsMargins(0, 0, 0, 0)
        layout.addWidget(self.yes)
        layout.addWidget(self.no)
        layout.addStretch(1)
        self.yes.toggled.connect(self._on_button_toggled)
        self.no.toggled.connect(self._on_button_toggled)

    def _on_button_toggled(self, _checked: bool) -> None:
        # A slot, not a signal-to-signal connection: PySide mis-counts references to the
        # bool argument when a bool signal is forwarded to a signal without arguments.
        self.changed.emit()

    def value(self) -> bool | None:
        """True, False, or None when not answered yet."""
        if self.yes.isChecked():
            return True
        if self.no.isChecked():
            return False
        return None

    def set_value(self, value: object) -> None:
        """Restore an answer (None clears it)."""
        self._group.setExclusive(False)
        self.yes.setChecked(value is True)
        self.no.setChecked(value is False)
        self._group.setExclusive(True)


class Line(QLineEdit):
    """A one-line text answer."""

    def __init__(self, name: str, placeholder: str = "") -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.setPlaceholderText(placeholder)

    def value(self) -> str | None:
        """The text, or None when blank."""
        return self.text().strip() or None

    def set_value(self, value: object) -> None:
        """Restore the text."""
        self.setText(str(value) if value else "")


class Para(QPlainTextEdit):
    """A few lines of free text; Tab moves on (it never types a tab)."""

    def __init__(self, name: str, placeholder: str = "", lines: int = 3) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.setPlaceholderText(placeholder)
        self.setTabChangesFocus(True)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * lines + 14)

    def value(self) -> str | None:
        """The text, or None when blank."""
        return self.toPlainText().strip() or None

    def set_value(self, value: object) -> None:
        """Restore the text."""
        self.setPlainText(str(value) if value else "")


class DateField(DateInput):
    """A UK date typed or picked (``desktop_app.ui.forms.DateInput``), starting empty; its
    answer is ISO text. Text that is not a date answers None and ``problem()`` says why:
    the page says so before Next (``StepPage.validatePage``), so it is never dropped
    silently."""

    def value(self) -> str | None:
        """The date as ISO text, or None when blank or not a date."""
        try:
            day = self.day()
        except ValidationError:
            return None
        return day.isoformat() if day else None

    def set_value(self, value: object) -> None:
        """Restore an ISO date (None clears it)."""
        self.set_day(dt.date.fromisoformat(str(value)) if value else None)


class Choice(QComboBox):
    """One of a fixed set of options, with an empty first entry meaning "not chosen"."""

    def __init__(self, name: str, options: list[tuple[str, str]]) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.addItem(self.tr("— choose —"), None)
        for value, label in options:
            self.addItem(label, value)

    def value(self) -> str | None:
        """The chosen option's value, or None."""
        data = self.currentData()
        return str(data) if data is not None else None

    def set_value(self, value: object) -> None:
        """Restore a choice (None selects the empty entry)."""
        index = self.findData(value) if value is not None else 0
        self.setCurrentIndex(max(index, 0))
