"""The entity types a laptop may sync: the allow-list, in one place.

These are the ``__tablename__`` of the desktop app's ``SyncedMixin`` models (none of them
overrides ``__sync_entity__``). A test compares this list with the desktop models so the two
cannot drift apart silently; the server itself never imports the desktop app.
"""

from __future__ import annotations

SYNCED_ENTITY_TYPES: frozenset[str] = frozenset({
    "assessment_reuse",
    "care_provider",
    "care_worker",
    "case_event",
    "case_example",
    "clinical_oversight",
    "competence_assessment",
    "competency_sign_off",
    "consent_record",
    "contact",
    "delegation_case",
    "eligibility_screen",
    "framework_problem",
    "funding_split",
    "interim_reconciliation",
    "mdt_decision",
    "partner_assessment",
    "person",
    "review",
    "shared_care_discussion",
    "signposting",
    "signposting_service",
    "support_plan",
    "support_plan_task",
    "training_event",
    "what_matters",
})
