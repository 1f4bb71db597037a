"""Every modal message goes through here, so tests never block on ``exec()``.

In headless mode the calls are recorded and answered from a queue of preset replies.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field

from PySide6.QtWidgets import QMessageBox, QWidget


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
            QMessageBox.information(parent, title, text)

    def error(self, parent: QWidget | None, title: str, text: str) -> None:
        """A problem the user can act on."""
        self.shown.append(("error", title, text))
        if not self.headless:
            QMessageBox.warning(parent, title, text)

    def ask(self, parent: QWidget | None, title: str, text: str) -> bool:
        """A yes/no question; headless answers come from ``answers`` (default no)."""
        self.shown.append(("ask", title, text))
        if self.headless:
            return self.answers.pop(0) if self.answers else False
        reply = QMessageBox.question(parent, title, text)
        return reply == QMessageBox.StandardButton.Yes

    def choose(self, parent: QWidget | None, title: str, text: str,
               options: Sequence[str]) -> int | None:
        """A question with named answers and Cancel: the index of the one chosen, None for
        Cancel (or Esc); headless answers come from ``choices`` (default Cancel)."""
        self.shown.append(("choose", title, text))
        if self.headless:
            return self.choices.pop(0) if self.choices else None
        box = QMessageBox(QMessageBox.Icon.Question, title, text,
                          QMessageBox.StandardButton.Cancel, parent)
        buttons = [box.addButton(option, QMessageBox.ButtonRole.AcceptRole)
                   for option in options]
        if buttons:
            box.setDefaultButton(buttons[0])
        box.exec()
        clicked = box.clickedButton()
        return next((i for i, b in enumerate(buttons) if b is clicked), None)
