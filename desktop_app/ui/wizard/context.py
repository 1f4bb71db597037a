"""The wizard's plain-data context (defined in services, where it is built)."""

from desktop_app.services.framework.delegation_context import (
    ContactOption,
    ProviderOption,
    TaskOption,
    WizardContext,
    WorkerOption,
)

__all__ = ["ContactOption", "ProviderOption", "TaskOption", "WizardContext", "WorkerOption"]
