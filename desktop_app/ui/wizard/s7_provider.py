"""S7: the care provider formally accepts the task, names its care workers and confirms cover."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QListWidget,
    QListWidgetItem,
    QPushButton,
    QWidget,
)

from desktop_app.services.framework.flow import Step
from desktop_app.services.framework.funding import FUNDER_NAMES
from desktop_app.ui.wizard.base import StepPage
from desktop_app.ui.wizard.context import WizardContext
from desktop_app.ui.wizard.fields import Choice, Para, YesNo

WORKER_ID_ROLE = Qt.ItemDataRole.UserRole


class WorkerList(QListWidget):
    """The chosen provider's care workers, each with a check box (Space ticks the current one)."""

    def __init__(self, name: str) -> None:
        super().__init__()
        self.setAccessibleName(name)
        self.setSelectionMode(QListWidget.SelectionMode.SingleSelection)
        self.setFixedHeight(self.fontMetrics().lineSpacing() * 5 + 16)

    def show_workers(self, workers: list[tuple[str, str]], checked: set[str]) -> None:
        """List ``(id, name)`` workers, ticking those whose id is in ``checked``."""
        self.clear()
        for worker_id, name in workers:
            item = QListWidgetItem(name)
            item.setData(WORKER_ID_ROLE, worker_id)
            item.setFlags(Qt.ItemFlag.ItemIsEnabled | Qt.ItemFlag.ItemIsSelectable
                          | Qt.ItemFlag.ItemIsUserCheckable)
            item.setCheckState(Qt.CheckState.Checked if worker_id in checked
                               else Qt.CheckState.Unchecked)
            self.addItem(item)
        if self.count():
            self.setCurrentRow(0)

    def checked_ids(self) -> list[str]:
        """The ids of the ticked workers, in list order."""
        return [str(self.item(row).data(WORKER_ID_ROLE)) for row in range(self.count())
                if self.item(row).checkState() == Qt.CheckState.Checked]


class ProviderPage(StepPage):
    """Provider accepts (or not), which provider, which named workers, insurance cover.

    The providers and workers come from the register (active ones only). A role that may
    change the register gets "Add provider…" and "Add care worker…" (``enable_adding``):
    the wizard's controller opens the form, saves it, hands this page the new options and
    calls ``provider_added`` or ``worker_added``, which choose the new one and keep every
    other answer. A provider whose insurance does not cover delegated tasks today (never
    confirmed, or ended: the words say since when) cannot be answered as insured.
    """

    step_id = "S7"
    add_provider_requested = Signal()
    add_worker_requested = Signal(str)  # the chosen provider's id

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.accepts = YesNo(self.label("provider_accepts"),
                             self.tr("&Yes, accepted in writing"), self.tr("N&o"))
        self.provider = Choice(self.label("provider_id"), [])
        self.add_provider_button = QPushButton(self.tr("Add pro&vider…"))
        self.add_provider_button.setAccessibleName(self.tr("Add a care provider to the register"))
        self.council = QLabel()
        self.council.setAccessibleName(self.tr("Council of the provider"))
        self.cover = QLabel()
        self.cover.setWordWrap(True)
        self.cover.setAccessibleName(self.tr("Insurance of the provider"))
        self.workers = WorkerList(self.label("worker_ids"))
        self.workers_hint = QLabel()
        self.workers_hint.setStyleSheet("color: #555;")
        self.workers_hint.setWordWrap(True)
        self.workers_hint.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.add_worker_button = QPushButton(self.tr("Add care wor&ker…"))
        self.add_worker_button.setAccessibleName(self.tr("Add a care worker to the provider"))
        self.insurance = YesNo(self.label("insurance_confirmed"),
                               self.tr("Y&es, it covers the task"), self.tr("No&t confirmed"))
        self.reason = Para(self.label("no_reason"))
        provider_label = QLabel(self.tr("&Provider:"))
        provider_label.setBuddy(self.provider)
        self.form.addRow(self.tr("Provider accepts:"), self.accepts)
        self.form.addRow(provider_label, _beside(self.provider, self.add_provider_button))
        self.form.addRow("", self.council)
        self.form.addRow("", self.cover)
        self.form.addRow(self.tr("Named care &workers:"), self.workers)
        self.workers_row = _beside(self.workers_hint, self.add_worker_button)
        self.form.addRow("", self.workers_row)
        self.form.addRow(self.tr("Insurance confirmed:"), self.insurance)
        self.form.addRow(self.tr("W&hy not:"), self.reason)
        label = self.form.labelForField(self.workers)
        if isinstance(label, QLabel):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        for before, after in zip(
                (self.accepts.yes, self.accepts.no, self.provider, self.add_provider_button,
                 self.workers, self.add_worker_button, self.insurance.yes, self.insurance.no),
                (self.accepts.no, self.provider, self.add_provider_button, self.workers,
                 self.add_worker_button, self.insurance.yes, self.insurance.no, self.reason),
                strict=True):
            QWidget.setTabOrder(before, after)
        self.provider.currentIndexChanged.connect(self._on_provider_current_index_changed)
        self.workers.itemChanged.connect(self._on_workers_item_changed)
        self.accepts.changed.connect(self._on_answer_changed)
        self.insurance.changed.connect(self._on_answer_changed)
        self.add_provider_button.clicked.connect(self._on_add_provider_button_clicked)
        self.add_worker_button.clicked.connect(self._on_add_worker_button_clicked)
        self._can_add = False
        self.enable_adding(False)
        self._offer(None)
        self._show_provider(set())
        self._on_answer_changed()

    def enable_adding(self, can_add: bool) -> None:
        """Offer "Add provider…" and "Add care worker…" (for a role that may change the
        register)."""
        self._can_add = can_add
        self.add_provider_button.setVisible(can_add)
        self.add_worker_button.setVisible(can_add)
        self._show_hint()

    def _offer(self, chosen: str | None) -> None:
        """List the context's providers in the choice, choosing ``chosen``."""
        self.provider.blockSignals(True)
        self.provider.clear()
        self.provider.addItem(self.tr("— choose —"), None)
        for option in self.context.providers:
            self.provider.addItem(option.name, option.id)
        self.provider.set_value(chosen)
        self.provider.blockSignals(False)

    def provider_added(self, provider_id: str) -> None:
        """The register has a new provider (in ``context``): choose it; other answers stay."""
        self._offer(provider_id)
        self._show_provider(set())
        if self.isVisible():
            self.provider.setFocus()
        self._save_soon()

    def worker_added(self, worker_id: str) -> None:
        """The chosen provider has a new care worker (in ``context``): tick them too."""
        chosen = self.provider.value()
        self._offer(chosen)
        self._show_provider({*self.workers.checked_ids(), worker_id})
        if self.isVisible():
            self.workers.setFocus()
        self._save_soon()

    def _on_add_provider_button_clicked(self, _checked: bool = False) -> None:
        self.add_provider_requested.emit()

    def _on_add_worker_button_clicked(self, _checked: bool = False) -> None:
        chosen = self.provider.value()
        if chosen is None:
            self.message.setText(self.tr("Choose the provider first, then add its care "
                                         "worker."))
            self.message.show()
            return
        self.add_worker_requested.emit(chosen)

    def _save_soon(self) -> None:
        if self.wizard() is not None:
            self.delegation_wizard().schedule_draft_save()

    # ------------------------------------------------------------ reacting

    def _on_provider_current_index_changed(self, _index: int) -> None:
        self._show_provider(set(self.workers.checked_ids()))

    def _show_provider(self, checked: set[str]) -> None:
        """List the chosen provider's workers (ticking ``checked``), its council and cover."""
        provider = self.context.provider(self.provider.value())
        workers = [(w.id, w.name) for w in provider.workers] if provider else []
        self.workers.show_workers(workers, checked)
        self.workers.setEnabled(bool(workers))
        self.council.setText(self.tr("Council: %s") % council_name(provider.council)
                             if provider else "")
        self.form.setRowVisible(self.council, provider is not None)
        words = provider.insurance_words if provider else ""
        self.cover.setText(words)
        self.cover.setStyleSheet("" if provider is None or provider.insured
                                 else "color: #a00000; font-weight: bold;")
        self.form.setRowVisible(self.cover, bool(words))
        self.add_worker_button.setEnabled(provider is not None)
        self._show_hint()

    def _show_hint(self) -> None:
        """What to do about the workers list, for what it shows."""
        provider = self.context.provider(self.provider.value())
        if provider is None:
            hint = self.tr("Choose the provider to see its care workers.")
            if self._can_add and not self.context.providers:
                hint = self.tr("No care providers are on the register yet: add one.")
        elif not provider.workers:
            hint = (self.tr("This provider has no care workers recorded yet: add them.")
                    if self._can_add else self.tr(
                        "This provider has no care workers recorded: someone who may change "
                        "the register adds them on the Care providers screen."))
        else:
            hint = self.tr("Tick each care worker who will do the task (Space ticks the "
                           "highlighted name).")
        self.workers_hint.setText(hint)

    def _on_workers_item_changed(self, _item: QListWidgetItem) -> None:
        if self.wizard() is not None:
            self.answer_edited()

    def _asks_why_not(self) -> bool:
        return self.accepts.value() is False or self.insurance.value() is False

    def _on_answer_changed(self) -> None:
        # "Why not" only after a no; a provider that declined has no workers or cover to
        # ask about. Hidden boxes keep what was typed or ticked, for a flip back.
        declined = self.accepts.value() is False
        for widget in (self.workers, self.workers_row, self.insurance):
            self.form.setRowVisible(widget, not declined)
        self.form.setRowVisible(self.reason, self._asks_why_not())
        self.reason.setEnabled(self._asks_why_not())

    # ------------------------------------------------------------ answers

    def answers(self) -> dict[str, Any]:
        return {"provider_accepts": self.accepts.value(), "provider_id": self.provider.value(),
                "worker_ids": self.workers.checked_ids() or None,
                "insurance_confirmed": self.insurance.value(),
                "no_reason": self.reason.value() if self._asks_why_not() else None}

    def load(self, answers: dict[str, Any]) -> None:
        self.accepts.set_value(answers.get("provider_accepts"))
        self._offer(answers.get("provider_id"))
        self._show_provider(set(answers.get("worker_ids") or ()))
        self.insurance.set_value(answers.get("insurance_confirmed"))
        typed = answers.get("no_reason")
        self.reason.set_value(typed if typed or self._asks_why_not() else self.reason.value())
        self._on_answer_changed()

    def page_problem(self) -> str | None:
        if self.accepts.value() is not True or self.insurance.value() is None:
            return None
        if self.insurance.value() is False:
            # The flow decides where "not confirmed" leads; whatever its version, it must
            # never lead on to training as if the task were covered.
            if self.delegation_wizard().evaluate().step_after(self.step.id) is None:
                return None
            return self.tr("The provider's insurance must cover this task before it is "
                           "delegated. If it cannot be confirmed, say why not: Health keeps "
                           "the task.")
        provider = self.context.provider(self.provider.value())
        if provider is not None and not provider.insured:
            return self.tr(
                "%s: %s. The provider's insurance must cover delegated healthcare tasks "
                "today before it can be confirmed here. Record its current cover on the Care "
                "providers screen and resume this delegation (everything typed is kept), or "
                "answer \u201cNot confirmed\u201d and say why not: Health keeps the task.") % (
                provider.name, (provider.insurance_words or self.tr(
                    "its insurance is not recorded")).rstrip("."))
        if not self.workers.checked_ids():
            return self.tr("Tick at least one named care worker who will do the task.")
        return None


def _beside(main: QWidget, button: QPushButton) -> QWidget:
    """``main`` with ``button`` to its right, as one row of the form."""
    row = QWidget()
    layout = QHBoxLayout(row)
    layout.setContentsMargins(0, 0, 0, 0)
    layout.addWidget(main, 1)
    layout.addWidget(button, 0, Qt.AlignmentFlag.AlignTop)
    return row


_NAMES_BY_CODE: dict[str, str] = {funder.value: name for funder, name in FUNDER_NAMES.items()}


def council_name(council: str) -> str:
    """A council's full name from its code (the code itself if unknown)."""
    return _NAMES_BY_CODE.get(council, council)
