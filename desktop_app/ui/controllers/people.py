"""The caseload and the person record: search, open a person, save their details, and
their contacts. Saving a change of "open to community health services" offers to transfer
clinical oversight of the person's running delegations (to their GP practice, or back:
framework §5) in ``OversightTransferDialog``."""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal

from desktop_app.models.oversight import OversightService
from desktop_app.services import people
from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.core.roles import Permission
from desktop_app.services.delegation import oversight
from desktop_app.services.people import caseload, contacts
from desktop_app.services.people.record import PersonRecord, load_record
from desktop_app.ui.caseload import CaseloadWidget
from desktop_app.ui.contacts import ContactsPanel
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.oversight_transfer import OversightTransferDialog, TransferAnswers
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
        # Each shown person's "open to community health services" as last loaded: a save
        # that changes it offers the transfer of oversight.
        self._open_to_chs: dict[str, bool] = {}
        self.transfer_dialog: OversightTransferDialog | None = None

    def screens(self) -> tuple[Screen, ...]:
        """The caseload and the person record."""
        return (Screen("caseload", self.tr("Caseload"), self.caseload_screen),
                Screen("person", self.tr("Person record"), self.person_screen))

    def _on_caseload_screen_person_opened(self, person_id: str) -> None:
        uow = self.context.uow

        def shown(record: PersonRecord) -> None:
            self._show(record)
            self.context.window.show_screen("person")

        self.context.run(lambda: load_record(uow(), person_id), shown)

    def _save_person(self, person_id: str | None, data: people.PersonInput,
                     version: int) -> None:
        uow = self.context.uow_now()  # asked before a lock: written before the vault closes
        before = self._open_to_chs.get(person_id or "")
        offer = self.context.can(Permission.DELEGATE)

        def save() -> tuple[PersonRecord, list[oversight.TransferRow]]:
            view = (people.create_person(uow, data) if person_id is None
                    else people.update_person(uow, person_id, data, version))
            rows: list[oversight.TransferRow] = []
            now_open = bool(view.open_to_community_health)
            if offer and before is not None and before != now_open:
                rows = oversight.oversight_to_transfer(uow, view.id, _receiving(now_open))
            return load_record(uow, view.id), rows

        def saved(result: tuple[PersonRecord, list[oversight.TransferRow]]) -> None:
            record, rows = result
            self._show(record)
            self.caseload_screen.refresh()
            if rows:
                self.offer_transfer(record, rows)

        self.context.run(save, saved, self._on_save_failed)

    def _show(self, record: PersonRecord) -> None:
        self._open_to_chs[record.person.id] = bool(record.person.open_to_community_health)
        self.person_screen.show_record(record)

    def offer_transfer(self, record: PersonRecord, rows: list[oversight.TransferRow],
                       to: OversightService | None = None) -> OversightTransferDialog:
        """Ask the nurse to confirm moving oversight of these delegations to ``to`` (by
        default the service the person's "open to community health services" now calls
        for)."""
        person = record.person
        dialog = OversightTransferDialog(
            person.id, person.full_name,
            to or _receiving(bool(person.open_to_community_health)),
            rows, self.context.today(), self.context.run, self._transfer, self.person_screen)
        dialog.transferred.connect(self._on_transfer_dialog_transferred)
        dialog.rejected.connect(self._on_transfer_dialog_rejected)
        self.transfer_dialog = dialog
        dialog.open()
        return dialog

    def offer_transfer_after_review(self, person_id: str) -> None:
        """A review found the person no longer open to community health services: their
        record, with the transfer to the GP practice offered for every delegation whose
        oversight is still with community health services (with none, the person's
        details are simply brought up to date)."""
        uow = self.context.uow_now()

        def find() -> tuple[PersonRecord, list[oversight.TransferRow]]:
            rows = oversight.oversight_to_transfer(uow, person_id,
                                                   OversightService.GP_PRACTICE)
            if not rows:
                view = people.open_person(uow, person_id)
                if view.open_to_community_health:
                    people.update_person(uow, person_id, replace(
                        view.as_input(), open_to_community_health=False), view.version)
            return load_record(uow, person_id), rows

        def found(result: tuple[PersonRecord, list[oversight.TransferRow]]) -> None:
            record, rows = result
            self._show(record)
            self.context.window.show_screen("person")
            if rows:
                self.offer_transfer(record, rows, OversightService.GP_PRACTICE)
            else:
                self.person_screen.message.setText(self.tr(
                    "Saved: no longer open to community health services. No running "
                    "delegation has its oversight there, so nothing was transferred."))

        self.context.run(find, found)

    def _transfer(self, a: TransferAnswers) -> tuple[oversight.TransferResult, PersonRecord]:
        """On the database thread: the transfer, then the person's record again."""
        uow = self.context.uow()
        result = oversight.transfer_oversight(
            uow, a.person_id, a.case_ids, a.to, a.on, a.organisation_name, a.named_clinician,
            a.phone_in_hours, a.phone_out_of_hours, self.context.today())
        return result, load_record(uow, a.person_id)

    def _on_transfer_dialog_transferred(self, answer: object) -> None:
        assert isinstance(answer, tuple)  # what _transfer returned
        result, record = answer
        assert isinstance(result, oversight.TransferResult)
        assert isinstance(record, PersonRecord)
        self.transfer_dialog = None
        self._show(record)
        version = result.plan_version
        self.person_screen.message.setText(
            self.tr("Clinical oversight transferred; support plan version %1 names the new "
                    "contact. Reviews due lists it until the acceptance is recorded.")
            .replace("%1", str(version)) if version is not None else
            self.tr("Clinical oversight transferred. Reviews due lists it until the "
                    "acceptance is recorded."))

    def _on_transfer_dialog_rejected(self) -> None:
        self.transfer_dialog = None
        self.person_screen.message.setText(self.tr(
            "Saved. Clinical oversight was not transferred: each delegation keeps the "
            "oversight its support plan names."))

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


def _receiving(open_to_chs: bool) -> OversightService:
    """Who holds oversight for a person open (or not) to community health services."""
    return OversightService.COMMUNITY_HEALTH if open_to_chs else OversightService.GP_PRACTICE
