"""A synthetic delegation wizard context (no database), for the wizard's tests, its preview
(``tools/preview_wizard.py``) and its screenshots (``tools/screenshot_wizard.py``)."""

from __future__ import annotations

from desktop_app.services.framework.catalogue import load_catalogue
from desktop_app.services.framework.delegation_context import task_options
from desktop_app.ui.wizard.context import (
    ContactOption,
    ProviderOption,
    WizardContext,
    WorkerOption,
)


def make_context(**overrides: object) -> WizardContext:
    """Zoë Ní Bhriain (999 range), open to community health, two insured providers, an
    attorney."""
    tasks = task_options(load_catalogue())  # as the app offers them, look-alikes included
    insured = "Insured for delegated healthcare tasks until 31/03/2099"
    providers = (
        ProviderOption("prov-1", "Demo Homecare Ltd", "leicester_city", (
            WorkerOption("w-1", "Aisha Begum"), WorkerOption("w-2", "Tomasz Nowak"),
            WorkerOption("w-3", "Doris Walker")), True, insured),
        ProviderOption("prov-2", "Sample Care Services", "leicestershire_county", (
            WorkerOption("w-4", "Kwame Okafor"),), True, insured),
    )
    contacts = (
        ContactOption("c-1", "Siobhán Ní Bhriain", "lpa_health_welfare", True),
        ContactOption("c-2", "Raj Patel", "next_of_kin", False),
    )
    values: dict[str, object] = dict(
        person_id="person-1", person_name="Zoë Ní Bhriain", nhs_number_display="999 000 0018",
        date_of_birth_display="02/01/1940", open_to_community_health=True,
        gp_practice_name="Leicester Demo Medical Practice", team="City North",
        tasks=tasks, providers=providers, contacts=contacts,
    )
    values.update(overrides)
    return WizardContext(**values)  # type: ignore[arg-type]
