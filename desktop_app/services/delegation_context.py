"""What the delegation wizard needs to know up front, as plain data (never ORM objects).

Built by ``desktop_app.services.delegation.wizard_context`` on the database thread and
handed to the UI.
"""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any


@dataclass(frozen=True)
class TaskOption:
    """A catalogue task the nurse can choose."""

    code: str
    name: str
    category: str
    typical_status: str
    training_level: int | None
    refresher_months: int | None
    oversight_default: str


@dataclass(frozen=True)
class WorkerOption:
    """A named care worker of a provider."""

    id: str
    name: str


@dataclass(frozen=True)
class ProviderOption:
    """A care provider that may accept the task."""

    id: str
    name: str
    council: str
    workers: tuple[WorkerOption, ...] = ()


@dataclass(frozen=True)
class ContactOption:
    """Someone around the person; attorneys and deputies may decide for them."""

    id: str
    name: str
    kind: str  # next_of_kin, lpa_health_welfare, lpa_property_finance, deputy, other
    can_decide_health_welfare: bool


@dataclass(frozen=True)
class WizardContext:
    """The person the wizard is about and the choices it offers."""

    person_id: str
    person_name: str
    nhs_number_display: str
    date_of_birth_display: str
    open_to_community_health: bool
    gp_practice_name: str
    team: str
    tasks: tuple[TaskOption, ...]
    providers: tuple[ProviderOption, ...]
    contacts: tuple[ContactOption, ...] = ()
    case_id: str | None = None
    answers: dict[str, dict[str, Any]] = field(default_factory=dict)
    current_step: str | None = None

    def task(self, code: str | None) -> TaskOption | None:
        """The task with this code, if offered."""
        return next((t for t in self.tasks if t.code == code), None)

    def provider(self, provider_id: str | None) -> ProviderOption | None:
        """The provider with this id, if offered."""
        return next((p for p in self.providers if p.id == provider_id), None)
