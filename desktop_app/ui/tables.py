"""Read-only lists shown as tables: one way to make them, fill them and write dates in them.

Rows are selected whole, one at a time; Tab leaves the table (arrow keys move inside it);
the last column takes the spare width. Dates are written as nurses write them: 31/01/2027.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Sequence

from PySide6.QtWidgets import QTableWidget, QTableWidgetItem


def uk_date(day: dt.date | None) -> str:
    """31/01/2027 (empty when there is no date)."""
    return day.strftime("%d/%m/%Y") if day else ""


def read_only_table(headers: Sequence[str], name: str,
                    table: QTableWidget | None = None) -> QTableWidget:
    """A read-only, row-selecting table with these headings and accessible name (``table``
    lets a subclass, e.g. one that handles Enter, be set up the same way)."""
    table = table if table is not None else QTableWidget()
    table.setColumnCount(len(headers))
    table.setHorizontalHeaderLabels(list(headers))
    table.setAccessibleName(name)
    table.setEditTriggers(QTableWidget.EditTrigger.NoEditTriggers)
    table.setSelectionBehavior(QTableWidget.SelectionBehavior.SelectRows)
    table.setSelectionMode(QTableWidget.SelectionMode.SingleSelection)
    table.setTabKeyNavigation(False)
    table.verticalHeader().setVisible(False)
    table.horizontalHeader().setStretchLastSection(True)
    return table


def fill_table(table: QTableWidget, rows: Sequence[Sequence[str]],
               select_first: bool = True) -> None:
    """Replace the rows (texts), size the columns, and select the first row if any."""
    table.setRowCount(len(rows))
    for r, row in enumerate(rows):
        for c, text in enumerate(row):
            table.setItem(r, c, QTableWidgetItem(text))
    table.resizeColumnsToContents()
    if rows and select_first:
        table.selectRow(0)
