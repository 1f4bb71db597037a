"""Pressing the wizard's buttons in page tests (the synthetic context is
``tools/sample_wizard.py``)."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QWizard


def press_next(qtbot: Any, wizard: QWizard) -> None:
    """Click Next, as a nurse does."""
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.NextButton), Qt.MouseButton.LeftButton)


def press_back(qtbot: Any, wizard: QWizard) -> None:
    """Click Back."""
    qtbot.mouseClick(wizard.button(QWizard.WizardButton.BackButton), Qt.MouseButton.LeftButton)
