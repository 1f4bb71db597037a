"""The Care providers screen: the provider register, each provider's care workers and each
worker's sign-offs, and the changes the role may make to them."""

from __future__ import annotations

import datetime as dt

from desktop_app.services.core.roles import Permission
from desktop_app.services.providers import history, register, workers
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.providers import ProviderEdits, ProviderReads, ProvidersWidget, Work


class ProvidersController(FeatureController):
    """Binds the Care providers screen to the providers' services; a role that may not
    change providers gets the screen without its buttons (the services refuse anyway)."""

    def __init__(self, context: FeatureContext) -> None:
        super().__init__(context)
        uow, today = context.uow, context.today
        reads = ProviderReads(
            providers=lambda: register.list_providers(uow(), today()),
            workers=lambda provider_id: workers.list_workers(uow(), provider_id),
            history=lambda worker_id: history.sign_off_history(uow(), worker_id, today()))
        edits = ProviderEdits(self._save_provider, self._set_active, self._save_worker,
                              self._record_leaving, self._warn)
        self.screen = ProvidersWidget(context.run, reads,
                                      edits if context.can(Permission.EDIT_PROVIDERS) else None,
                                      today)

    def screens(self) -> tuple[Screen, ...]:
        """The Care providers screen."""
        return (Screen("providers", self.tr("Care providers"), self.screen),)

    # Asked on the GUI thread (the session as signed in now); the work runs on the database
    # thread.

    def _save_provider(self, provider_id: str | None, data: register.ProviderInput,
                       version: int) -> Work[register.ProviderRow]:
        uow, today = self.context.uow_now(), self.context.today()
        if provider_id is None:
            return lambda: register.create_provider(uow, data, today)
        return lambda: register.update_provider(uow, provider_id, data, version, today)

    def _set_active(self, provider_id: str, active: bool,
                    version: int) -> Work[register.ProviderRow]:
        uow, today = self.context.uow_now(), self.context.today()
        return lambda: register.set_active(uow, provider_id, active, version, today)

    def _save_worker(self, provider_id: str, worker_id: str | None, data: workers.WorkerInput,
                     version: int) -> Work[workers.SavedWorker]:
        uow, today = self.context.uow_now(), self.context.today()
        if worker_id is None:
            return lambda: workers.add_worker(uow, provider_id, data, today)
        return lambda: workers.update_worker(uow, worker_id, data, version, today)

    def _record_leaving(self, worker_id: str, left_on: dt.date,
                        version: int) -> Work[workers.WorkerRow]:
        uow, today = self.context.uow_now(), self.context.today()
        return lambda: workers.record_leaving(uow, worker_id, left_on, version, today)

    def _warn(self, text: str) -> None:
        self.context.dialogs.inform(self.context.window, self.tr("Check the care worker"), text)
