""""Export shared care record…" on the person record (``services.people.fhir_export``).

The person record's button is given its work here, for a role that may export a person's
record (the service refuses any other anyway). Like the delegations' history, it adds no
screen of its own: ``controllers/features.py`` makes it for the people controller's person
record.
"""

from __future__ import annotations

from pathlib import Path

from desktop_app.services.people.fhir_export import (
    EXPORT_PERMISSION,
    ExportResult,
    export_person_record,
)
from desktop_app.ui.controllers.context import FeatureContext, FeatureController
from desktop_app.ui.person_record import PersonRecordWidget


class RecordExportController(FeatureController):
    """Binds the person record's export to the service, for a role that may export."""

    def __init__(self, context: FeatureContext, person_screen: PersonRecordWidget) -> None:
        super().__init__(context)
        self.person_screen = person_screen
        if context.can(EXPORT_PERMISSION):
            person_screen.set_export(context.run, self._export, context.today)

    def _export(self, person_id: str, target: Path) -> ExportResult:
        """On the database thread: gather, map, write and audit (the session of the moment:
        refused plainly, nothing written, if the app locked since the user asked)."""
        return export_person_record(self.context.uow(), person_id, target)
