"""Every modal message goes through here, so tests never block on ``exec()``.

In headless mode the calls are recorded and answered from a queue of preset replies.
"""

from __future__ import annotations

from dataclasses import dataclass, field

from PySide6.QtWidgets import QMessageBox, QWidget


@dataclass
class Dialogs:
    """Shows messages and questions; ``headless`` records them instead."""

    headless: bool = False
    shown: list[tuple[str, str, str]] = field(default_factory=list)
    answers: list[bool] = field(default_factory=list)

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
