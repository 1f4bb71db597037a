"""The person's support plan versions, each one opened as the printable plan.

The table lists the versions newest first; Enter, a double click or "Open plan…" asks the
app (``plan_requested``) to build that version's PDF off the GUI thread and preview it.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QKeyEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QPushButton,
    QTableWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.people.record import PlanRow
from desktop_app.ui.tables import fill_table, read_only_table, uk_date


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
        self.rows: tuple[PlanRow, ...] = ()
        self.table = _PlansTable()
        read_only_table([tr("Version"), tr("From"), tr("Tasks"), tr("By")],
                        tr("Support plan versions"), self.table)
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

    def show_plans(self, rows: Sequence[PlanRow]) -> None:
        """Show the plan versions (PlanRow), newest first."""
        self.rows = tuple(rows)
        fill_table(self.table, [[str(plan.version_number), uk_date(plan.effective_from),
                                 ", ".join(plan.task_names or plan.task_codes),
                                 plan.created_by_name] for plan in self.rows])
        self.open_button.setEnabled(bool(self.rows))

    def _request(self, row: int) -> None:
        if 0 <= row < len(self.rows):
            self.plan_requested.emit(self.rows[row].id)
