"""The Care providers screen: the register of care providers, the selected provider's care
workers, and the selected worker's sign-offs over time.

The list says each provider's insurance in words (a cover that has ended is "not insured",
with its date) and whether it is active or deactivated since a day. A role that may change
providers adds and edits them, deactivates one (kept with its history, no longer offered
for new delegations) or makes it active again, and adds, edits and records the leaving of
care workers; a read-only role sees the same lists without those buttons (the services
refuse the changes anyway). The forms are in ``ui/provider_forms.py``.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import QModelIndex, Qt
from PySide6.QtGui import QShowEvent
from PySide6.QtWidgets import QHBoxLayout, QLabel, QPushButton, QVBoxLayout, QWidget

from desktop_app.services.providers.history import SignOffHistoryRow, SignOffState
from desktop_app.services.providers.register import ProviderInput, ProviderRow
from desktop_app.services.providers.workers import SavedWorker, WorkerInput, WorkerRow
from desktop_app.ui.provider_forms import (
    LeavingDialog,
    ProviderDialog,
    WorkerDialog,
    council_words,
    save_from,
)
from desktop_app.ui.registers.base import Column, RegisterTable, RowTableModel, Tone, plural
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run

R = TypeVar("R")
Work = Callable[[], R]


# The screen's reads run on the database thread. Each edit is asked on the GUI thread and
# returns the work to run there (it takes the session at the moment of asking, so a save
# asked just before a lock is written before the vault closes).
@dataclass(frozen=True)
class ProviderReads:
    providers: Callable[[], Sequence[ProviderRow]]
    workers: Callable[[str], Sequence[WorkerRow]]
    history: Callable[[str], Sequence[SignOffHistoryRow]]


@dataclass(frozen=True)
class ProviderEdits:
    save_provider: Callable[[str | None, ProviderInput, int], Work[ProviderRow]]
    set_active: Callable[[str, bool, int], Work[ProviderRow]]
    save_worker: Callable[[str, str | None, WorkerInput, int], Work[SavedWorker]]
    record_leaving: Callable[[str, dt.date, int], Work[WorkerRow]]
    warn: Callable[[str], None]  # the same-name warning after a save, in a message box


class _Part(QWidget, Generic[R]):
    """A heading whose mnemonic goes to its table, the table, and a row of buttons."""

    def __init__(self, name: str, columns: Sequence[Column[R]],
                 tone: Callable[[R], Tone | None] | None = None) -> None:
        super().__init__()
        self.model: RowTableModel[R] = RowTableModel(columns, tone, self)
        self.table = RegisterTable(self.model)
        self.table.setAccessibleName(name)
        self.heading = QLabel()
        self.heading.setTextFormat(Qt.TextFormat.PlainText)  # a name's "&" stays an "&"
        self.heading.setStyleSheet("font-weight: bold;")
        self.heading.setBuddy(self.table)
        self.buttons = QHBoxLayout()
        self.column = QVBoxLayout(self)
        self.column.setContentsMargins(0, 0, 0, 0)
        self.column.addWidget(self.heading)
        self.column.addWidget(self.table, 1)
        self.column.addLayout(self.buttons)
        self.serial = 0

    def add_button(self, text: str, name: str, slot: Callable[[], object]) -> QPushButton:
        button = QPushButton(text)
        button.setAccessibleName(name)
        button.clicked.connect(lambda _checked=False: slot())
        self.buttons.addWidget(button)
        return button

    def selected(self) -> R | None:
        row = self.table.current_row()
        return self.model.row(row) if row is not None else None

    def show_rows(self, rows: Sequence[R], keep: Callable[[R], bool] | None = None) -> None:
        """Show the rows, selecting the one ``keep`` picks (else the first)."""
        self.model.set_rows(rows)
        chosen = next((i for i, r in enumerate(rows) if keep is not None and keep(r)), 0)
        if rows:
            self.table.selectRow(chosen)


class ProvidersWidget(QWidget):
    """Providers, the selected one's care workers and the selected worker's sign-offs."""

    def __init__(self, run: Run, reads: ProviderReads, edits: ProviderEdits | None,
                 today: Callable[[], dt.date]) -> None:
        super().__init__()
        tr = self.tr
        self._run, self._reads, self._edits, self._today = run, reads, edits, today
        self._shown_once = False
        self._keep_worker: str | None = None
        self.dialog: ProviderDialog | WorkerDialog | LeavingDialog | None = None
        self.providers = _Part[ProviderRow](tr("Care providers"), [
            Column(tr("Provider"), lambda r: r.name),
            Column(tr("Council areas"), lambda r: ", ".join(map(council_words,
                                                                r.council_areas))),
            Column(tr("Insurance"), lambda r: r.cover.words),
            Column(tr("Status"), self.status_text),
            Column(tr("Care workers"), lambda r: str(r.active_workers))],
            lambda r: Tone.ALERT if r.active and not r.cover.insured else None)
        self.providers.heading.setText(tr("&Care providers"))
        self.providers.heading.setStyleSheet("font-weight: bold; font-size: 13pt;")
        self.details = QLabel()
        self.details.setWordWrap(True)
        self.details.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.details.setAccessibleName(tr("Details of the selected provider"))
        self.providers.column.insertWidget(2, self.details)
        self.workers = _Part[WorkerRow](tr("Care workers of the selected provider"), [
            Column(tr("Care worker"), lambda r: r.name),
            Column(tr("Status"), lambda r: tr("Left on %s") % uk_date(r.left_on)
                   if r.left_on else tr("Working") if r.active else tr("Left")),
            Column(tr("Role"), lambda r: r.role_title),
            Column(tr("Started"), lambda r: uk_date(r.started_on)),
            Column(tr("Phone"), lambda r: r.phone or "")])
        self.history = _Part[SignOffHistoryRow](tr("Sign-offs of the selected care worker"), [
            Column(tr("State"), self.state_text),
            Column(tr("Person"), lambda r: r.person_name),
            Column(tr("Signed off"), lambda r: uk_date(r.signed_off_on)),
            Column(tr("Refresher due"), lambda r: uk_date(r.refresher_due)),
            Column(tr("Level"), lambda r: str(r.training_level)),
            Column(tr("Task"), lambda r: r.task_name)], self.state_tone)
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(tr("Message"))
        self._build_buttons()
        lower = QHBoxLayout()
        lower.addWidget(self.workers, 4)
        lower.addWidget(self.history, 7)
        layout = QVBoxLayout(self)
        layout.addWidget(self.providers, 2)
        layout.addLayout(lower, 3)
        layout.addWidget(self.message)
        self._set_tab_order()
        self.providers.table.selectionModel().currentRowChanged.connect(
            self._on_provider_current_row_changed)
        self.workers.table.selectionModel().currentRowChanged.connect(
            self._on_worker_current_row_changed)
        self.providers.table.row_activated.connect(lambda _row: self.open_provider(edit=True))
        self.workers.table.row_activated.connect(lambda _row: self.open_worker(edit=True))
        self._show_workers_heading(None)
        self._show_history_heading(None)

    def _build_buttons(self) -> None:
        tr, part = self.tr, self.providers
        self.add_provider_button = part.add_button(
            tr("&Add provider…"), tr("Add a care provider"), lambda: self.open_provider(False))
        self.edit_provider_button = part.add_button(
            tr("&Edit provider…"), tr("Edit the selected provider"),
            lambda: self.open_provider(True))
        self.active_button = part.add_button(tr("&Deactivate"), tr("Deactivate the provider"),
                                             self.toggle_active)
        part.buttons.addStretch(1)
        self.refresh_button = part.add_button(tr("Re&fresh"), tr("Refresh the list"),
                                              self.refresh)
        self.add_worker_button = self.workers.add_button(
            tr("Add care &worker…"), tr("Add a care worker to the selected provider"),
            lambda: self.open_worker(False))
        self.edit_worker_button = self.workers.add_button(
            tr("Edit care wor&ker…"), tr("Edit the selected care worker"),
            lambda: self.open_worker(True))
        self.leaving_button = self.workers.add_button(
            tr("Left o&n…"), tr("Record the day the selected care worker left"),
            self.open_leaving)
        self.workers.buttons.addStretch(1)
        self.read_only_note = QLabel(tr("Your role can see the providers and their care "
                                        "workers but not change them."))
        self.read_only_note.setAccessibleName(tr("What your role can do here"))
        self.history.buttons.addWidget(self.read_only_note)
        self.read_only_note.setVisible(self._edits is None)
        for button in (self.add_provider_button, self.edit_provider_button, self.active_button,
                       self.add_worker_button, self.edit_worker_button, self.leaving_button):
            button.setVisible(self._edits is not None)
        self._update_buttons()

    def _set_tab_order(self) -> None:
        """Tab goes down the screen: each list, then its buttons (hidden ones are skipped)."""
        order = (self.providers.table, self.add_provider_button, self.edit_provider_button,
                 self.active_button, self.refresh_button, self.workers.table,
                 self.add_worker_button, self.edit_worker_button, self.leaving_button,
                 self.history.table)
        for before, after in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(before, after)

    # ------------------------------------------------------------ words

    def status_text(self, row: ProviderRow) -> str:
        if row.active:
            return self.tr("Active")
        return self.tr("Deactivated since %s") % uk_date(row.deactivated_on) \
            if row.deactivated_on else self.tr("Deactivated")

    def details_text(self, row: ProviderRow) -> str:
        """The provider's contact details and registration, on one line."""
        parts = [(self.tr("Contact"), row.contact_name), (self.tr("Phone"), row.phone),
                 (self.tr("Secure e-mail"), row.email),
                 (self.tr("CQC location ID"), row.cqc_location_id),
                 (self.tr("Address"), " ".join((row.address or "").split()) or None)]
        return " · ".join(f"{what}: {value}" for what, value in parts if value)

    def state_text(self, row: SignOffHistoryRow) -> str:
        days = (row.refresher_due - self._today()).days
        words = {
            SignOffState.CURRENT: self.tr("Current"),
            SignOffState.EXPIRING: plural(days, self.tr("Expiring: tomorrow"),
                                          self.tr("Expiring: in %n days")) if days
            else self.tr("Expires today"),
            SignOffState.EXPIRED: self.tr("Expired"),
            SignOffState.SUPERSEDED: self.tr("Superseded on %s") % uk_date(row.superseded_on)
            if row.superseded_on else self.tr("Superseded"),
            SignOffState.WITHDRAWN: self.tr("Withdrawn"),
            SignOffState.SUSPENDED: self.tr("Suspended")}
        return words[row.state]

    @staticmethod
    def state_tone(row: SignOffHistoryRow) -> Tone | None:
        return {SignOffState.EXPIRED: Tone.ALERT,
                SignOffState.EXPIRING: Tone.WARNING}.get(row.state)

    # ------------------------------------------------------------ loading

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.refresh()

    def refresh(self, keep_id: str | None = None, keep_worker: str | None = None) -> None:
        """Load the providers again, keeping the selected one (or ``keep_id``) selected, and
        its selected care worker (or ``keep_worker``)."""
        chosen, worker = self.providers.selected(), self.workers.selected()
        keep = keep_id or (chosen.id if chosen else None)
        keep_worker = keep_worker or (worker.id if worker else None)
        self.providers.serial += 1
        serial = self.providers.serial
        self._run(self._reads.providers,
                  lambda rows: self._on_providers_loaded(serial, rows, keep, keep_worker))

    def _on_providers_loaded(self, serial: int, rows: Sequence[ProviderRow],
                             keep: str | None, keep_worker: str | None) -> None:
        if serial != self.providers.serial:
            return
        self._keep_worker = keep_worker  # the provider's row changes: its workers load again
        self.providers.show_rows(rows, lambda r: r.id == keep)
        if not rows:
            self._on_provider_current_row_changed(QModelIndex(), QModelIndex())
        active = sum(1 for r in rows if r.active)
        self.providers.heading.setText(self.tr("&Care providers") + " · " + plural(
            len(rows), self.tr("1 on the register"), self.tr("%n on the register")) + (
            self.tr(", %d deactivated") % (len(rows) - active) if active < len(rows) else ""))

    def _on_provider_current_row_changed(self, _now: QModelIndex, _before: QModelIndex) -> None:
        provider, keep_worker = self.providers.selected(), self._keep_worker
        self._keep_worker = None
        self.details.setText(self.details_text(provider) if provider else "")
        self._show_workers_heading(provider)
        self._update_buttons()
        self.workers.serial += 1
        serial = self.workers.serial
        if provider is None:
            self._on_workers_loaded(serial, [], None)
            return
        load, provider_id = self._reads.workers, provider.id
        self._run(lambda: load(provider_id),
                  lambda rows: self._on_workers_loaded(serial, rows, keep_worker))

    def _on_workers_loaded(self, serial: int, rows: Sequence[WorkerRow],
                           keep: str | None) -> None:
        if serial != self.workers.serial:
            return
        self.workers.show_rows(rows, lambda r: r.id == keep)
        if not rows:
            self._on_worker_current_row_changed(QModelIndex(), QModelIndex())

    def _on_worker_current_row_changed(self, _now: QModelIndex, _before: QModelIndex) -> None:
        worker = self.workers.selected()
        self._show_history_heading(worker)
        self._update_buttons()
        self.history.serial += 1
        serial = self.history.serial
        if worker is None:
            self._on_history_loaded(serial, [])
            return
        load, worker_id = self._reads.history, worker.id
        self._run(lambda: load(worker_id), lambda rows: self._on_history_loaded(serial, rows))

    def _on_history_loaded(self, serial: int, rows: Sequence[SignOffHistoryRow]) -> None:
        if serial == self.history.serial:
            self.history.show_rows(rows)

    def _show_workers_heading(self, provider: ProviderRow | None) -> None:
        self.workers.heading.setText(
            self.tr("Care w&orkers of %s") % provider.name.replace("&", "&&")
            if provider else self.tr("Care w&orkers (choose a provider)"))

    def _show_history_heading(self, worker: WorkerRow | None) -> None:
        self.history.heading.setText(
            self.tr("S&ign-offs of %s, by person and task") % worker.name.replace("&", "&&")
            if worker else self.tr("S&ign-offs (choose a care worker)"))

    def _update_buttons(self) -> None:
        provider, worker = self.providers.selected(), self.workers.selected()
        self.edit_provider_button.setEnabled(provider is not None)
        self.active_button.setEnabled(provider is not None)
        active = provider is None or provider.active
        self.active_button.setText(self.tr("&Deactivate") if active else self.tr("Make ac&tive"))
        self.active_button.setAccessibleName(self.tr("Deactivate the provider") if active
                                             else self.tr("Make the provider active again"))
        self.add_worker_button.setEnabled(provider is not None and provider.active)
        self.edit_worker_button.setEnabled(worker is not None)
        self.leaving_button.setEnabled(worker is not None and worker.active)

    # ------------------------------------------------------------ changes

    def open_provider(self, edit: bool) -> ProviderDialog | None:
        """The form for a new provider, or for the selected one."""
        row = self.providers.selected() if edit else None
        if self._edits is None or (edit and row is None):
            return None
        save = self._edits.save_provider
        provider_id, version = (row.id, row.version) if row else (None, 0)
        dialog = ProviderDialog(row, self)
        save_from(dialog, self._run, lambda data: save(provider_id, data, version),
                  lambda saved: self._provider_saved(saved, self.tr("Saved %s.")))
        return self._open(dialog)

    def toggle_active(self) -> None:
        """Deactivate the selected provider, or make it active again."""
        row = self.providers.selected()
        if self._edits is None or row is None:
            return
        words = self.tr("%s is deactivated: kept with its history, no longer offered for new "
                        "delegations.") if row.active else self.tr("%s is active again.")
        self._run(self._edits.set_active(row.id, not row.active, row.version),
                  lambda saved: self._provider_saved(saved, words))

    def _provider_saved(self, row: ProviderRow, words: str) -> None:
        self.message.setText(words % row.name)
        self.refresh(row.id)

    def open_worker(self, edit: bool) -> WorkerDialog | None:
        """The form for a new care worker of the selected provider, or for the selected one."""
        provider, row = self.providers.selected(), self.workers.selected() if edit else None
        if self._edits is None or provider is None or (edit and row is None):
            return None
        if not edit and not provider.active:
            self.message.setText(self.tr("%s is deactivated: make it active again before "
                                         "adding care workers.") % provider.name)
            return None
        save, provider_id = self._edits.save_worker, provider.id
        worker_id, version = (row.id, row.version) if row else (None, 0)
        dialog = WorkerDialog(provider.name, row, self)
        save_from(dialog, self._run, lambda data: save(provider_id, worker_id, data, version),
                  self._worker_saved)
        return self._open(dialog)

    def _worker_saved(self, saved: SavedWorker) -> None:
        self.message.setText(self.tr("Saved %s.") % saved.worker.name)
        self._reload_workers(saved.worker.id)
        if saved.warnings and self._edits is not None:
            self._edits.warn(" ".join(saved.warnings))

    def open_leaving(self) -> LeavingDialog | None:
        """Record the day the selected care worker left."""
        row = self.workers.selected()
        if self._edits is None or row is None or not row.active:
            return None
        record, worker_id, version = self._edits.record_leaving, row.id, row.version
        dialog = LeavingDialog(row.name, self._today(), self)
        save_from(dialog, self._run, lambda day: record(worker_id, day, version),
                  self._worker_left)
        return self._open(dialog)

    def _worker_left(self, row: WorkerRow) -> None:
        self.message.setText(self.tr("%s left on %s: no longer offered for new delegations.")
                             % (row.name, uk_date(row.left_on)))
        self._reload_workers(row.id)

    def _reload_workers(self, worker_id: str) -> None:
        """The providers again (their worker counts) and the worker's list, with them
        selected."""
        self.refresh(keep_worker=worker_id)

    def _open(self, dialog: R) -> R:
        assert isinstance(dialog, ProviderDialog | WorkerDialog | LeavingDialog)
        self.dialog = dialog
        dialog.open()
        return dialog
