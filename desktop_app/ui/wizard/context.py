"""The wizard's plain-data context (defined in services, where it is built)."""

from desktop_app.services.framework.delegation_context import (
    AssessmentOnFile,
    ContactOption,
    EligibilityOnFile,
    ProviderOption,
    TaskOption,
    WhatMattersOnFile,
    WizardContext,
    WorkerOption,
)

__all__ = ["AssessmentOnFile", "ContactOption", "EligibilityOnFile", "ProviderOption",
           "TaskOption", "WhatMattersOnFile", "WizardContext", "WorkerOption"]
