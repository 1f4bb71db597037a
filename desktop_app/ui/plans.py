"""The person's support plan versions, each one opened as the printable plan.

The table lists the versions newest first; Enter, a double click or "Open plan…" asks the
app (``plan_requested``) to build that version's PDF off the GUI thread and preview it.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence
from typing import Any

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)


def _uk(day: dt.date | None) -> str:
    return day.strftime("%d/%m/%Y") if day else ""


class _PlansTable(QTableWidget):
    """Enter opens the selected version; Tab leaves the table."""

    activated_row = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentRow() >= 0:
            self.activated_row.emit(self.currentRow())
            event.accept()
            return
        super().keyPressEvent(event)


class SupportPlansPanel(QWidget):
    """Support plan versions with "Open plan…" (preview, print, export)."""

    plan_requested = Signal(str)  # plan id

    def __init__(self) -> None:
        super().__init__()
        tr = self.tr
        self.rows: tuple[Any, ...] = ()
        self.table = _PlansTable(0, 4)
        self.table.setAccessibleName(tr("Support plan versions"))
        self.table.setHorizontalHeaderLabels([tr("Version"), tr("From"), tr("Tasks"), tr("By")])
        self.table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
        self.table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
        self.table.setTabKeyNavigation(False)
        self.table.verticalHeader().setVisible(False)
        self.table.horizontalHeader().setStretchLastSection(True)
        self.table.cellDoubleClicked.connect(lambda row, _c: self._request(row))
        self.table.activated_row.connect(self._request)
        self.open_button = QPushButton(tr("&Open plan…"))
        self.open_button.setAccessibleName(tr("Open the selected plan version to print or "
                                              "export"))
        self.open_button.clicked.connect(lambda _c=False: self._request(self.table.currentRow()))
        self.hint = QLabel(tr("The newest version is the one in use; older versions are kept "
                              "as they were printed."))
        self.hint.setWordWrap(True)
        buttons = QHBoxLayout()
        buttons.addWidget(self.hint, 1)
        buttons.addWidget(self.open_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.table, 1)
        layout.addLayout(buttons)

    def show_plans(self, rows: Sequence[Any]) -> None:
        """Show the plan versions (PlanRow), newest first."""
        self.rows = tuple(rows)
        self.table.setRowCount(len(self.rows))
        for r, plan in enumerate(self.rows):
            texts = [str(plan.version_number), _uk(plan.effective_from),
                     ", ".join(plan.task_names or plan.task_codes), plan.created_by_name]
            for c, text in enumerate(texts):
                self.table.setItem(r, c, QTableWidgetItem(text))
        self.table.resizeColumnsToContents()
        if self.rows:
            self.table.selectRow(0)
        self.open_button.setEnabled(bool(self.rows))

    def _request(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.plan_requested.emit(self.rows[row].id)
