"""Which page class renders which flow step (one small file per page)."""

from __future__ import annotations

from collections.abc import Callable
from typing import Any

from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.s1_identify import IdentifyPage
from desktop_app.ui.wizard.s2_chc import ChcPage

PAGES: dict[str, Callable[[WizardContext, Any], StepPage]] = {
    "S1": IdentifyPage,
    "S2": ChcPage,
}
