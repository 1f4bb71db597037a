"""Which page class renders which flow step (one small file per page)."""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.services.framework.flow import Step
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.s1_identify import IdentifyPage
from desktop_app.ui.wizard.s2_chc import ChcPage
from desktop_app.ui.wizard.s3_excluded import ExcludedTaskPage
from desktop_app.ui.wizard.s4_stable import StablePage
from desktop_app.ui.wizard.s5_lawful import LawfulPage
from desktop_app.ui.wizard.s6_consent import ConsentPage
from desktop_app.ui.wizard.s7_provider import ProviderPage
from desktop_app.ui.wizard.s8_training import TrainingPage
from desktop_app.ui.wizard.s9_fits import FitsPage
from desktop_app.ui.wizard.s9f_funding import FundingPage
from desktop_app.ui.wizard.s10_mdt import MdtPage

PAGES: dict[str, Callable[[WizardContext, Step], StepPage]] = {
    "S1": IdentifyPage,
    "S2": ChcPage,
    "S3": ExcludedTaskPage,
    "S4": StablePage,
    "S5": LawfulPage,
    "S6": ConsentPage,
    "S7": ProviderPage,
    "S8": TrainingPage,
    "S9": FitsPage,
    "S9F": FundingPage,
    "S10": MdtPage,
}
