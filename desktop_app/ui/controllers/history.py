"""A delegation's history on the person record: ending a running delegation because consent
was withdrawn or the person's need changed (``services.delegation.ending``).

The person record's Delegations tab (``ui.delegation_history.DelegationsPanel``) shows each
delegation and its events from the record itself; this controller gives it, for a role that
may record delegations, the two actions that end one. It adds no screen of its own.
"""

from __future__ import annotations

from desktop_app.services.core.roles import Permission
from desktop_app.services.delegation import ending
from desktop_app.services.people.record import PersonRecord, load_record
from desktop_app.ui.controllers.context import FeatureContext, FeatureController
from desktop_app.ui.delegation_history import ConsentWithdrawal, NeedChange
from desktop_app.ui.person_record import PersonRecordWidget


class HistoryController(FeatureController):
    """Binds the person record's Delegations tab to the services that end a delegation."""

    def __init__(self, context: FeatureContext, person_screen: PersonRecordWidget) -> None:
        super().__init__(context)
        self.person_screen = person_screen
        if context.can(Permission.DELEGATE):
            person_screen.delegations.set_actions(context.run, self._withdraw_consent,
                                                  self._end_for_need, context.today)

    # The actions below run on the database thread (the panel runs them through ``run``).

    def _withdraw_consent(self, person_id: str, data: ConsentWithdrawal) -> PersonRecord:
        uow = self.context.uow()
        ending.withdraw_consent(uow, data.case_id, data.on, data.given_by_kind,
                                data.given_by_name, data.contact_id, data.how, data.explained,
                                self.context.today())
        return load_record(uow, person_id)

    def _end_for_need(self, person_id: str, data: NeedChange) -> PersonRecord:
        uow = self.context.uow()
        ending.end_for_change_of_need(uow, data.case_id, data.on, data.reason,
                                      self.context.today())
        return load_record(uow, person_id)
