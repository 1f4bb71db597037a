"""The lock screen: whose session is locked and since when, unlocking with that user's
passphrase, and signing in as someone else as a separate step that says first what
happens to the locked user's work.

While it shows, every window of the locked session is hidden and the vault is closed
(``controllers/session.py``). Escape and the window's close button do nothing here: only
the passphrase (or the recovery code) opens the session again.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import QDialogButtonBox, QFrame, QLabel, QPushButton, QWidget

from desktop_app.ui.sign_in import ROLE_LABELS, SignInDialog


def role_words(role: str) -> str:
    """The role as the screens name it ("Community nurse")."""
    return ROLE_LABELS.get(role, role)


class LockScreen(SignInDialog):
    """The locked session's user, fixed; their passphrase unlocks. ``switch_requested``
    asks for the ordinary sign-in for another user, whose consequences are on screen
    before the button is pressed."""

    switch_requested = Signal()

    def __init__(self, user_id: str, name: str, role: str, locked_at: dt.datetime,
                 others: bool, parent: QWidget | None = None) -> None:
        super().__init__([(user_id, name)], user_id, parent)
        self.setWindowTitle(self.tr("Locked — Shared Care Planner"))
        self.user_combo.setEnabled(False)
        self.form.setRowVisible(self.user_combo, False)
        role_text = self.tr(role_words(role))
        self.heading = QLabel(self.tr("Locked — {name}'s session ({role}), locked at {time}")
                              .format(name=name, role=role_text,
                                      time=locked_at.strftime("%H:%M")))
        self.heading.setTextFormat(Qt.TextFormat.PlainText)
        self.heading.setWordWrap(True)
        font = self.heading.font()
        font.setBold(True)
        font.setPointSizeF(font.pointSizeF() * 1.25)
        self.heading.setFont(font)
        self.intro_label.setText(self.tr(
            "{name}'s screens are hidden and the records are closed until the session is "
            "unlocked. Type {name}'s passphrase to carry on exactly where the session "
            "stopped.").format(name=name))
        self.intro_label.show()
        self.buttons.setStandardButtons(QDialogButtonBox.StandardButton.Ok)
        unlock = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        unlock.setText(self.tr("&Unlock"))
        unlock.setDefault(True)
        line = QFrame()
        line.setFrameShape(QFrame.Shape.HLine)
        self.switch_text = QLabel(self._switch_words(name, others))
        self.switch_text.setTextFormat(Qt.TextFormat.PlainText)
        self.switch_text.setWordWrap(True)
        self.switch_button = QPushButton(self.tr("Sign in as someone &else…"))
        self.switch_button.setAutoDefault(False)
        self.switch_button.setEnabled(others)
        self.switch_button.setAccessibleDescription(self.switch_text.text())
        self.switch_button.clicked.connect(lambda _checked=False: self.switch_requested.emit())
        self.main_layout.insertWidget(0, self.heading)
        for widget in (line, self.switch_text, self.switch_button):
            self.main_layout.addWidget(widget)
        self.setMinimumWidth(min(560, self.screen().availableGeometry().width()))
        self.pass_edit.setFocus()

    def _switch_words(self, name: str, others: bool) -> str:
        if not others:
            return self.tr("Only {name} has a sign-in on this laptop.").format(name=name)
        return self.tr(
            "Someone else needs the laptop? Signing in as someone else signs {name} out. "
            "{name}'s unfinished delegation is kept as {name}'s saved draft (resume it from "
            "Delegations); {name}'s other screens stay hidden, exactly as they were, with "
            "anything typed and not yet saved, and come back only when {name} signs in "
            "again. Nothing of {name}'s is shown to the next person.").format(name=name)

    def reject(self) -> None:
        """Escape does not unlock, close or quit: the session stays locked."""
        self.pass_edit.setFocus()

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """The close button does nothing either: only the passphrase opens the session."""
        event.ignore()
