"""The common frame of the register screens: a table of frozen rows, its model and helpers.

Each screen is a small widget around one ``QTableView`` and the shared ``RowTableModel``.
A widget never touches the database: it is given ``run(fn, done)`` (``TaskRunner.run`` in
the app, which runs ``fn`` on the database thread and calls ``done`` back on this one) and
the service functions as plain callables, already bound to the unit of work. Errors from a
write go to the runner's standard handler; a dialog stays open until its write succeeded,
so nothing typed is lost.

Colour is never the only signal: every highlighted row has a status column that says the
same in words. Keyboard: Tab leaves the table, Enter on a row does the row's action, and
every button has a mnemonic.
"""

from __future__ import annotations

import enum
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Generic, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    Signal,
)
from PySide6.QtGui import QColor, QKeyEvent, QShowEvent
from PySide6.QtWidgets import (
    QAbstractItemView,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QPushButton,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.tasks import Run

R = TypeVar("R")  # the frozen row type a register shows
Index = QModelIndex | QPersistentModelIndex
SEARCH_DELAY_MS = 250
_ROOT = QModelIndex()
MIN_ROWS_SHOWN = 3  # rows a register table always shows before the screen scrolls


class Tone(enum.Enum):
    """How urgently a row asks for attention (always said in words too)."""

    ALERT = "alert"
    WARNING = "warning"


# Background and text colours with a contrast ratio above 7:1 (WCAG AAA).
TONE_COLOURS = {Tone.ALERT: ("#f8d7da", "#58151c"), Tone.WARNING: ("#fff3cd", "#4d3a00")}


def plural(count: int, one: str, many: str) -> str:
    """``one`` for exactly one, else ``many`` with ``%n`` filled in (both already translated,
    so the app reads well before any translation file is installed)."""
    return one if count == 1 else many.replace("%n", str(count))


@dataclass(frozen=True)
class Column(Generic[R]):
    """One column of a register: its heading and how a row shows in it."""

    title: str
    text: Callable[[R], str]


class RowTableModel(QAbstractTableModel, Generic[R]):
    """A read-only table of frozen rows, with an optional tone per row for highlighting."""

    def __init__(self, columns: Sequence[Column[R]] = (),
                 tone: Callable[[R], Tone | None] | None = None,
                 parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._columns: list[Column[R]] = []
        self._tone: Callable[[R], Tone | None] = lambda _row: None
        self._rows: list[R] = []
        self.set_columns(columns, tone)

    def set_columns(self, columns: Sequence[Column[R]],
                    tone: Callable[[R], Tone | None] | None = None) -> None:
        """Set the columns and the highlighting rule (the rows stay)."""
        self.beginResetModel()
        self._columns = list(columns)
        self._tone = tone or (lambda _row: None)
        self.endResetModel()

    def set_rows(self, rows: Sequence[R]) -> None:
        """Replace every row (the services return whole, sorted lists)."""
        self.beginResetModel()
        self._rows = list(rows)
        self.endResetModel()

    def row(self, index: int) -> R:
        """The frozen row shown at ``index``."""
        return self._rows[index]

    def tone(self, index: int) -> Tone | None:
        """The highlighting of the row at ``index``, if any."""
        return self._tone(self._rows[index])

    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 (Qt's name)
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802
        return 0 if parent.isValid() else len(self._columns)

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid():
            return None
        row = self._rows[index.row()]
        if role in (Qt.ItemDataRole.DisplayRole, Qt.ItemDataRole.ToolTipRole):
            return self._columns[index.column()].text(row)
        tone = self._tone(row)
        if tone is not None and role == Qt.ItemDataRole.BackgroundRole:
            return QColor(TONE_COLOURS[tone][0])
        if tone is not None and role == Qt.ItemDataRole.ForegroundRole:
            return QColor(TONE_COLOURS[tone][1])
        return None

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal:
            return self._columns[section].title
        return None


class RegisterTable(QTableView):
    """A row-selecting table that Tab leaves and Enter (or a double click) activates."""

    row_activated = Signal(int)

    def __init__(self, model: QAbstractTableModel) -> None:
        super().__init__()
        self.setModel(model)
        self.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.setTabKeyNavigation(False)
        self.setWordWrap(False)
        self.verticalHeader().hide()
        self.horizontalHeader().setSectionResizeMode(QHeaderView.ResizeMode.ResizeToContents)
        self.horizontalHeader().setStretchLastSection(True)
        self.doubleClicked.connect(self._on_self_double_clicked)

    def current_row(self) -> int | None:
        """The selected row, or None when the table is empty."""
        index = self.currentIndex()
        return index.row() if index.isValid() else None

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.current_row() is not None:
            self.row_activated.emit(self.current_row())
            event.accept()
            return
        super().keyPressEvent(event)

    def _on_self_double_clicked(self, index: QModelIndex) -> None:
        self.row_activated.emit(index.row())


class RegisterWidget(QWidget, Generic[R]):
    """The common frame of a register: heading, table, a count, a message and buttons."""

    refreshed = Signal()

    def __init__(self, run: Run, load: Callable[[], Sequence[R]]) -> None:
        super().__init__()
        self._run, self._load, self._serial, self._shown_once = run, load, 0, False
        self.model: RowTableModel[R] = RowTableModel(parent=self)
        self.table = RegisterTable(self.model)
        self.heading = QLabel()
        self.count_label = QLabel()
        self.count_label.setAccessibleName(self.tr("Number of rows"))
        self.message_label = QLabel()
        self.message_label.setWordWrap(True)
        self.message_label.setAccessibleName(self.tr("Message"))
        self.refresh_button = QPushButton(self.tr("Re&fresh"))
        self.refresh_button.setAccessibleName(self.tr("Refresh the list"))
        self.refresh_button.clicked.connect(self._on_refresh_button_clicked)
        self.buttons = QHBoxLayout()
        self.buttons.addStretch(1)
        self.buttons.addWidget(self.refresh_button)
        self.layout_ = QVBoxLayout(self)
        for widget in (self.heading, self.count_label, self.table, self.message_label):
            self.layout_.addWidget(widget, 1 if widget is self.table else 0)
        self.layout_.addLayout(self.buttons)
        # Never squeezed below a few rows (a small screen or a large text scale scrolls the
        # screen instead: MainWindow puts every screen in a scroll area).
        self.table.setMinimumHeight(self.table.horizontalHeader().sizeHint().height()
                                    + MIN_ROWS_SHOWN * self.table.verticalHeader()
                                    .defaultSectionSize() + 2 * self.table.frameWidth()
                                    + self.table.horizontalScrollBar().sizeHint().height())

    def embed(self, part: QWidget) -> None:
        """Show another list under this one, before the buttons (the reviews screen's
        Reconsider list, say), sharing the height; its own frame adds no margin."""
        layout = part.layout()
        if layout is not None:
            layout.setContentsMargins(0, 0, 0, 0)
        self.layout_.insertWidget(self.layout_.count() - 1, part, 1)

    def configure(self, title: str, columns: Sequence[Column[R]],
                  tone: Callable[[R], Tone | None] | None = None) -> None:
        """Name the register and set its columns (after ``__init__``, so ``tr`` is safe)."""
        self.heading.setText(f"<h3>{title}</h3>")
        self.table.setAccessibleName(title)
        self.model.set_columns(columns, tone)

    def add_button(self, button: QPushButton, allowed: bool = True) -> None:
        """Put an action button before Refresh, in Tab order after the table; hidden when
        the signed-in role may not do it (the service would refuse it anyway)."""
        self.buttons.insertWidget(self.buttons.count() - 1, button)
        QWidget.setTabOrder(self.table, button)
        QWidget.setTabOrder(button, self.refresh_button)
        if not allowed:
            button.hide()

    def refresh(self) -> None:
        """Load the rows again off the GUI thread; a late answer to an older load is dropped."""
        self._serial += 1
        serial = self._serial
        self._run(self.loader(), lambda rows: self._on_rows_loaded(serial, rows))

    def loader(self) -> Callable[[], Sequence[R]]:
        """The work to run for a refresh; it must not read widgets (it runs on another
        thread), so a register with filters captures them here, on the GUI thread."""
        return self._load

    def count_text(self, count: int) -> str:
        """The line above the table; registers override it with their own words."""
        return plural(count, self.tr("1 row"), self.tr("%n rows"))

    def showEvent(self, event: QShowEvent) -> None:  # noqa: N802 (Qt's name)
        super().showEvent(event)
        if not self._shown_once:
            self._shown_once = True
            self.refresh()

    def _on_refresh_button_clicked(self, _checked: bool = False) -> None:
        self.refresh()

    def _on_rows_loaded(self, serial: int, rows: Sequence[R]) -> None:
        if serial != self._serial:
            return
        self.model.set_rows(rows)
        self.count_label.setText(self.count_text(len(rows)))
        if rows:
            self.table.selectRow(0)
        self.refreshed.emit()
