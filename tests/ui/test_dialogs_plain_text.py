"""Messages quoting a typed name show it as typed, never as markup (issue 17's review)."""

from __future__ import annotations

from PySide6.QtCore import Qt, QTimer
from PySide6.QtWidgets import QApplication, QMessageBox

from desktop_app.ui.dialogs import Dialogs

NAME = "<b>Smith</b> <img src=x>"


def test_a_question_shows_a_typed_name_as_plain_text_and_yes_means_yes(qtbot) -> None:
    seen: list[tuple[Qt.TextFormat, str]] = []

    def answer() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append((box.textFormat(), box.text()))
        box.button(QMessageBox.StandardButton.Yes).click()

    QTimer.singleShot(200, answer)
    assert Dialogs().ask(None, "Resume delegation", f"Resume the draft for {NAME}?") is True
    assert seen == [(Qt.TextFormat.PlainText, f"Resume the draft for {NAME}?")]


def test_a_choice_shows_plain_text_and_cancel_is_none(qtbot) -> None:
    seen: list[Qt.TextFormat] = []

    def cancel() -> None:
        box = QApplication.activeModalWidget()
        assert isinstance(box, QMessageBox)
        seen.append(box.textFormat())
        box.button(QMessageBox.StandardButton.Cancel).click()

    QTimer.singleShot(200, cancel)
    assert Dialogs().choose(None, "Resume", NAME, ["&Resume now", "&Not now"]) is None
    assert seen == [Qt.TextFormat.PlainText]
