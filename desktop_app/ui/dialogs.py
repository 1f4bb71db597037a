"""Every modal message goes through here, so tests never block on ``exec()``.

In headless mode the calls are recorded and answered from a queue of preset replies. Every
message is shown as plain text: one may quote a typed name, which Qt would otherwise take
for markup when it looks like some ("<b>Smith").
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QMessageBox, QWidget


def _box(icon: QMessageBox.Icon, parent: QWidget | None, title: str, text: str,
         buttons: QMessageBox.StandardButton) -> QMessageBox:
    box = QMessageBox(icon, title, text, buttons, parent)
    box.setTextFormat(Qt.TextFormat.PlainText)
    return box


@dataclass
class Dialogs:
    """Shows messages and questions; ``headless`` records them instead."""

    headless: bool = False
    shown: list[tuple[str, str, str]] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)
    choices: list[int | None] = field(default_factory=list)

    def inform(self, parent: QWidget | None, title: str, text: str) -> None:
        """A plain message with an OK button."""
        self.shown.append(("inform", title, text))
        if not self.headless:
            _box(QMessageBox.Icon.Information, parent, title, text,
                 QMessageBox.StandardButton.Ok).exec()

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        """A problem the user can act on."""
        self.shown.append(("error", title, text))
        if not self.headless:
            _box(QMessageBox.Icon.Warning, parent, title, text,
                 QMessageBox.StandardButton.Ok).exec()

    def ask(self, parent: QWidget | None, title: str, text: str) -> bool:
        """A yes/no question; headless answers come from ``answers`` (default no)."""
        self.shown.append(("ask", title, text))
        if self.headless:
            return self.answers.pop(0) if self.answers else False
        box = _box(QMessageBox.Icon.Question, parent, title, text,
                   QMessageBox.StandardButton.Yes | QMessageBox.StandardButton.No)
        box.exec()
        return box.clickedButton() is box.button(QMessageBox.StandardButton.Yes)

    def choose(self, parent: QWidget | None, title: str, text: str,
               options: Sequence[str]) -> int | None:
        """A question with named answers and Cancel: the index of the one chosen, None for
        Cancel (or Esc); headless answers come from ``choices`` (default Cancel)."""
        self.shown.append(("choose", title, text))
        if self.headless:
            return self.choices.pop(0) if self.choices else None
        box = _box(QMessageBox.Icon.Question, parent, title, text,
                   QMessageBox.StandardButton.Cancel)
        buttons = [box.addButton(option, QMessageBox.ButtonRole.AcceptRole)
                   for option in options]
        if buttons:
            box.setDefaultButton(buttons[0])
        box.exec()
        clicked = box.clickedButton()
        return next((i for i, b in enumerate(buttons) if b is clicked), None)
