"""The synthetic demo caseload (``--demo``): its own vault, a known passphrase, no real data.

Every NHS number is from the 999 range, which no real patient holds; names, streets and
practices are invented. The demo's care providers and workers are made through the provider
register's own services (``services.providers``), as a user adds them: their phones are in
Ofcom's range for drama (0116 496 0xxx), their e-mails under the reserved ``.example``
domain and their CQC location IDs of the CQC's shape but invented (``1-999...``). The demo
vault lives in its own folder (``paths.demo_paths``).
"""
from desktop_app.services.demo.caseload import (
    DEMO_OUTCOMES,
    DEMO_PEOPLE,
    DEMO_TEAM_LEAD,
    PROVIDERS,
    ensure_demo_vault,
    seed_demo_case_examples,
    seed_demo_caseload,
    seed_demo_changes_of_need,
    seed_demo_delegations,
    seed_demo_life_events,
)
from desktop_app.services.demo.principles import (
    seed_demo_person_centred,
    seed_demo_problem_reports,
)

__all__ = [
    "DEMO_OUTCOMES", "DEMO_PEOPLE", "DEMO_TEAM_LEAD", "PROVIDERS",
    "ensure_demo_vault", "seed_demo_case_examples", "seed_demo_caseload",
    "seed_demo_changes_of_need", "seed_demo_delegations", "seed_demo_life_events",
    "seed_demo_person_centred", "seed_demo_problem_reports",
]
