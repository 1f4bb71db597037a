"""S7: the care provider formally accepts the task, names its care workers and confirms cover."""

from __future__ import annotations

from typing import Any

from PySide6.QtCore import Qt
from PySide6.QtWidgets import QLabel, QListWidget, QListWidgetItem

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
    """Provider accepts (or not), which provider, which named workers, insurance cover."""

    step_id = "S7"

    def __init__(self, context: WizardContext, step: Step) -> None:
        super().__init__(context, step)
        self.accepts = YesNo(self.label("provider_accepts"),
                             self.tr("&Yes, accepted in writing"), self.tr("N&o"))
        self.provider = Choice(self.label("provider_id"),
                               [(p.id, p.name) for p in context.providers])
        self.council = QLabel()
        self.council.setAccessibleName(self.tr("Council of the provider"))
        self.workers = WorkerList(self.label("worker_ids"))
        self.workers_hint = QLabel()
        self.workers_hint.setStyleSheet("color: #555;")
        self.workers_hint.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.insurance = YesNo(self.label("insurance_confirmed"),
                               self.tr("Y&es, it covers the task"), self.tr("No&t confirmed"))
        self.reason = Para(self.label("no_reason"))
        self.form.addRow(self.tr("Provider accepts:"), self.accepts)
        self.form.addRow(self.tr("&Provider:"), self.provider)
        self.form.addRow("", self.council)
        self.form.addRow(self.tr("Named care &workers:"), self.workers)
        self.form.addRow("", self.workers_hint)
        self.form.addRow(self.tr("Insurance confirmed:"), self.insurance)
        self.form.addRow(self.tr("W&hy not:"), self.reason)
        label = self.form.labelForField(self.workers)
        if isinstance(label, QLabel):
            label.setAlignment(Qt.AlignmentFlag.AlignLeft | Qt.AlignmentFlag.AlignTop)
        self.provider.currentIndexChanged.connect(self._on_provider_current_index_changed)
        self.workers.itemChanged.connect(self._on_workers_item_changed)
        self.accepts.changed.connect(self._on_answer_changed)
        self.insurance.changed.connect(self._on_answer_changed)
        self._show_provider(set())
        self._on_answer_changed()

    # ------------------------------------------------------------ reacting

    def _on_provider_current_index_changed(self, _index: int) -> None:
        self._show_provider(set(self.workers.checked_ids()))

    def _show_provider(self, checked: set[str]) -> None:
        """List the chosen provider's workers (ticking ``checked``) and its council."""
        provider = self.context.provider(self.provider.value())
        workers = [(w.id, w.name) for w in provider.workers] if provider else []
        self.workers.show_workers(workers, checked)
        self.workers.setEnabled(bool(workers))
        self.council.setText(self.tr("Council: %s") % council_name(provider.council)
                             if provider else "")
        self.form.setRowVisible(self.council, provider is not None)
        if provider is None:
            hint = self.tr("Choose the provider to see its care workers.")
        elif not workers:
            hint = self.tr("This provider has no care workers recorded: add them on the "
                           "provider's record first.")
        else:
            hint = self.tr("Tick each care worker who will do the task (Space ticks the "
                           "highlighted name).")
        self.workers_hint.setText(hint)

    def _on_workers_item_changed(self, _item: QListWidgetItem) -> None:
        if self.wizard() is not None:
            self.delegation_wizard().schedule_draft_save()

    def _on_answer_changed(self) -> None:
        self.reason.setEnabled(self.accepts.value() is False or self.insurance.value() is False)

    # ------------------------------------------------------------ answers

    def answers(self) -> dict[str, Any]:
        return {"provider_accepts": self.accepts.value(), "provider_id": self.provider.value(),
                "worker_ids": self.workers.checked_ids() or None,
                "insurance_confirmed": self.insurance.value(), "no_reason": self.reason.value()}

    def load(self, answers: dict[str, Any]) -> None:
        self.accepts.set_value(answers.get("provider_accepts"))
        self.provider.blockSignals(True)
        self.provider.set_value(answers.get("provider_id"))
        self.provider.blockSignals(False)
        self._show_provider(set(answers.get("worker_ids") or ()))
        self.insurance.set_value(answers.get("insurance_confirmed"))
        self.reason.set_value(answers.get("no_reason"))
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
        if not self.workers.checked_ids():
            return self.tr("Tick at least one named care worker who will do the task.")
        return None


_NAMES_BY_CODE: dict[str, str] = {funder.value: name for funder, name in FUNDER_NAMES.items()}


def council_name(council: str) -> str:
    """A council's full name from its code (the code itself if unknown)."""
    return _NAMES_BY_CODE.get(council, council)
