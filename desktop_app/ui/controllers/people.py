"""The caseload and the person record: search, open a person, save their details, and
their contacts."""

from __future__ import annotations

from PySide6.QtCore import Signal

from desktop_app.services import people
from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.core.roles import Permission
from desktop_app.services.people import caseload, contacts
from desktop_app.services.people.record import PersonRecord, load_record
from desktop_app.ui.caseload import CaseloadWidget
from desktop_app.ui.contacts import ContactsPanel
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.person_record import PersonRecordWidget


class PeopleController(FeatureController):
    """Finds people on the caseload and shows, saves and adds to their records."""

    delegation_requested = Signal(str)  # person id: start a delegation for them
    plan_requested = Signal(str)  # plan id: open a support plan version

    def __init__(self, context: FeatureContext) -> None:
        super().__init__(context)
        can_edit = context.can(Permission.EDIT_PEOPLE)
        panel = ContactsPanel(context.run, self._save_contact if can_edit else None,
                              self._remove_contact if can_edit else None,
                              self._confirm_removal)
        self.person_screen = PersonRecordWidget(self._save_person if can_edit else None,
                                                panel, context.can(Permission.DELEGATE))
        self.person_screen.start_delegation_requested.connect(self.delegation_requested)
        self.person_screen.plans.plan_requested.connect(self.plan_requested)
        uow = context.uow
        self.caseload_screen = CaseloadWidget(
            context.run, lambda query: caseload.search(uow(), query),
            lambda: caseload.teams(uow()))
        self.caseload_screen.person_opened.connect(self._on_caseload_screen_person_opened)

    def screens(self) -> tuple[Screen, ...]:
        """The caseload and the person record."""
        return (Screen("caseload", self.tr("Caseload"), self.caseload_screen),
                Screen("person", self.tr("Person record"), self.person_screen))

    def _on_caseload_screen_person_opened(self, person_id: str) -> None:
        uow = self.context.uow

        def shown(record: PersonRecord) -> None:
            self.person_screen.show_record(record)
            self.context.window.show_screen("person")

        self.context.run(lambda: load_record(uow(), person_id), shown)

    def _save_person(self, person_id: str | None, data: people.PersonInput,
                     version: int) -> None:
        uow = self.context.uow_now()  # asked before a lock: written before the vault closes

        def save() -> PersonRecord:
            view = (people.create_person(uow, data) if person_id is None
                    else people.update_person(uow, person_id, data, version))
            return load_record(uow, view.id)

        def saved(record: PersonRecord) -> None:
            self.person_screen.show_record(record)
            self.caseload_screen.refresh()

        self.context.run(save, saved, self._on_save_failed)

    def _on_save_failed(self, error: ExpectedError) -> None:
        field = error.field if isinstance(error, ValidationError) else None
        self.person_screen.show_error(error.message, field)

    def _save_contact(self, person_id: str, contact_id: str | None,
                      data: contacts.ContactInput, version: int) -> PersonRecord:
        """On the database thread: add or change a contact; the person's record again."""
        uow = self.context.uow()
        if contact_id is None:
            contacts.add_contact(uow, person_id, data)
        else:
            contacts.update_contact(uow, contact_id, data, version)
        return load_record(uow, person_id)

    def _remove_contact(self, person_id: str, contact_id: str) -> PersonRecord:
        """On the database thread: remove a contact; the person's record again."""
        uow = self.context.uow()
        contacts.remove_contact(uow, contact_id)
        return load_record(uow, person_id)

    def _confirm_removal(self, text: str) -> bool:
        return self.context.ask(self.tr("Remove contact"), text)
