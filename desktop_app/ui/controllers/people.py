"""The caseload and the person record: search, open a person, save their details, and
their contacts; what matters to them, their signposting, partners' assessments and Care Act
eligibility screens (``ui.person_centred``: the actions given to a role that may change
people's records; a role that may record delegations is also offered the next support plan
version after what matters changed, and a team lead may add to the signposting list).
Saving a change of "open to community health services" offers to transfer clinical
oversight of the person's running delegations (to their GP practice, or back: framework §5)
in ``OversightTransferDialog``.

Where the nurse lands: the person record, when brought to the front (Ctrl+3, the screen
list), shows the person chosen on the caseload since it was last shown, else the last one
opened, saved or just delegated; typing not yet saved on it is never replaced unasked.
"New person" (on the record, or "Add this person" on the caseload with what was searched
for) is the only way to a blank form. ``person_chosen`` tells the Delegations screen who
that person is.
"""

from __future__ import annotations

from dataclasses import replace

from PySide6.QtCore import Signal

from desktop_app.models.oversight import OversightService
from desktop_app.services import people
from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.core.roles import Permission
from desktop_app.services.delegation import issue_plan_with_what_matters, oversight
from desktop_app.services.people import caseload, contacts
from desktop_app.services.people import person_centred as centred
from desktop_app.services.people.caseload import CaseloadRow, NewPersonHint
from desktop_app.services.people.record import PersonRecord, load_record
from desktop_app.ui.caseload import CaseloadWidget
from desktop_app.ui.contacts import ContactsPanel
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.oversight_transfer import OversightTransferDialog, TransferAnswers
from desktop_app.ui.person_centred import PersonCentredActions
from desktop_app.ui.person_centred_forms import NewService
from desktop_app.ui.person_record import PersonRecordWidget


class PeopleController(FeatureController):
    """Finds people on the caseload and shows, saves and adds to their records."""

    delegation_requested = Signal(str)  # person id: start a delegation for them
    plan_requested = Signal(str)  # plan id: open a support plan version
    # The person chosen now (on the caseload, or opened): id, NHS number as shown, name.
    person_chosen = Signal(str, str, str)

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
        self.person_screen.confirm_discard = self._confirm_discard
        self.person_screen.shown.connect(self._on_person_screen_shown)
        self.person_screen.new_person_started.connect(self._on_person_screen_new_person_started)
        if can_edit:
            self.person_screen.person_centred.set_actions(self._person_centred_actions())
        # The person the record opens on when shown: the last one opened, saved or just
        # delegated, unless another was chosen on the caseload since it was last shown.
        self._last_person: str | None = None
        self._seen_pick: str | None = None
        uow = context.uow
        self.caseload_screen = CaseloadWidget(
            context.run, lambda query: caseload.search(uow(), query),
            lambda: caseload.teams(uow()), can_add=can_edit)
        self.caseload_screen.person_opened.connect(self._on_caseload_screen_person_opened)
        self.caseload_screen.person_picked.connect(self._on_caseload_screen_person_picked)
        self.caseload_screen.add_person_requested.connect(self.add_person)
        # Each shown person's "open to community health services" as last loaded: a save
        # that changes it offers the transfer of oversight.
        self._open_to_chs: dict[str, bool] = {}
        self.transfer_dialog: OversightTransferDialog | None = None

    def screens(self) -> tuple[Screen, ...]:
        """The caseload and the person record."""
        return (Screen("caseload", self.tr("Caseload"), self.caseload_screen),
                Screen("person", self.tr("Person record"), self.person_screen))

    def _on_caseload_screen_person_opened(self, person_id: str) -> None:
        screen = self.person_screen
        if screen.person_id != person_id and screen.has_unsaved_changes() \
                and not self._confirm_discard():
            self.context.window.show_screen("person")
            return
        uow = self.context.uow

        def shown(record: PersonRecord) -> None:
            self._show(record)
            self.context.window.show_screen("person")

        self.context.run(lambda: load_record(uow(), person_id), shown)

    def add_person(self, hint: NewPersonHint | None = None) -> None:
        """The person record's blank form, with what a search knew of the person (a valid
        NHS number, names, a postcode) filled in."""
        if self.person_screen.has_unsaved_changes() and not self._confirm_discard():
            self.context.window.show_screen("person")
            return
        self.person_screen.new_person(hint)
        self._on_person_screen_new_person_started()
        self.context.window.show_screen("person")
        self.person_screen.focus_first_empty()

    def note_delegated(self, person_id: str) -> None:
        """A delegation was just recorded for this person: the record opens on them, and
        shows it at once if it is showing them."""
        self._last_person = person_id
        self._seen_pick = self.caseload_screen.picked_id()
        if self.person_screen.person_id == person_id:
            self._open(person_id)

    def _open(self, person_id: str) -> None:
        """Show this person's record, unless another person's details typed but not saved
        are on screen by then (the same person's keep their typing: ``show_record``)."""
        uow = self.context.uow

        def loaded(record: PersonRecord) -> None:
            screen = self.person_screen
            if screen.person_id == record.person.id or not screen.has_unsaved_changes():
                self._show(record)

        self.context.run(lambda: load_record(uow(), person_id), loaded)

    def _on_person_screen_shown(self) -> None:
        pick = self.caseload_screen.picked_id()
        target = pick if pick is not None and pick != self._seen_pick else self._last_person
        self._seen_pick = pick
        screen = self.person_screen
        if target is None or target == screen.person_id:
            return
        if screen.has_unsaved_changes():
            screen.message.setText(self.tr(
                "What you typed here is kept: save it, or choose New person or another "
                "person on the caseload to leave it."))
            return
        self._open(target)

    def _on_person_screen_new_person_started(self) -> None:
        self._last_person = None
        self._seen_pick = self.caseload_screen.picked_id()

    def _on_caseload_screen_person_picked(self, row: CaseloadRow) -> None:
        self.person_chosen.emit(row.person_id, row.nhs_number_display, row.full_name)

    def _confirm_discard(self) -> bool:
        return self.context.ask(self.tr("Details not saved"), self.tr(
            "The person's details typed on the person record have not been saved. Leave "
            "them and go on? (No keeps them on screen.)"))

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
            self._show(record, saved=True)
            self.caseload_screen.refresh()
            if rows:
                self.offer_transfer(record, rows)

        self.context.run(save, saved, self._on_save_failed)

    def _show(self, record: PersonRecord, saved: bool = False) -> None:
        person = record.person
        self._open_to_chs[person.id] = bool(person.open_to_community_health)
        self.person_screen.show_record(record, saved)
        self._last_person = person.id
        self._seen_pick = self.caseload_screen.picked_id()
        self.person_chosen.emit(person.id, person.nhs_number_display, person.full_name)

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

    def _person_centred_actions(self) -> PersonCentredActions:
        """What matters, signposting, assessments and eligibility on the person record
        (``ui.person_centred``); each runs on the database thread and returns the record."""
        context, can = self.context, self.context.can

        def by() -> str:
            return context.user.display_name

        def save_what_matters(person_id: str, data: centred.WhatMattersInput,
                              version: int) -> PersonRecord:
            uow = context.uow()
            centred.save_what_matters(uow, person_id, data, by(), version, context.today())
            return load_record(uow, person_id)

        def issue(person_id: str) -> tuple[int | None, PersonRecord]:
            uow = context.uow()
            number = issue_plan_with_what_matters(uow, person_id, by(), context.today())
            return number, load_record(uow, person_id)

        def signpost(person_id: str, data: centred.SignpostingInput) -> PersonRecord:
            uow = context.uow()
            centred.record_signposting(uow, person_id, data, by(), context.today())
            return load_record(uow, person_id)

        def unsignpost(person_id: str, entry_id: str) -> PersonRecord:
            uow = context.uow()
            centred.remove_signposting(uow, entry_id)
            return load_record(uow, person_id)

        def assess(person_id: str, data: centred.AssessmentInput) -> PersonRecord:
            uow = context.uow()
            centred.record_assessment(uow, person_id, data, by(), context.today())
            return load_record(uow, person_id)

        def screen(person_id: str, data: centred.EligibilityInput) -> PersonRecord:
            uow = context.uow()
            centred.record_eligibility(uow, person_id, data, by(), context.today())
            return load_record(uow, person_id)

        def add_service(data: NewService) -> str:
            return centred.add_signposting_service(context.uow(), data.name, data.description,
                                                   by())

        def unassess(person_id: str, assessment_id: str, reason: str) -> PersonRecord:
            uow = context.uow()
            centred.remove_assessment(uow, assessment_id, reason, context.today())
            return load_record(uow, person_id)

        def unscreen(person_id: str, screen_id: str, reason: str) -> PersonRecord:
            uow = context.uow()
            centred.remove_eligibility_screen(uow, screen_id, reason, context.today())
            return load_record(uow, person_id)

        return PersonCentredActions(
            context.run, save_what_matters, signpost, unsignpost,
            lambda: centred.signposting_services(context.uow()), assess, screen,
            confirm=context.ask, today=context.today, remove_assessment=unassess,
            remove_eligibility=unscreen,
            issue_plan=issue if can(Permission.DELEGATE) else None,
            add_service=add_service if can(Permission.EXTEND_LISTS) else None)

def _receiving(open_to_chs: bool) -> OversightService:
    """Who holds oversight for a person open (or not) to community health services."""
    return OversightService.COMMUNITY_HEALTH if open_to_chs else OversightService.GP_PRACTICE
