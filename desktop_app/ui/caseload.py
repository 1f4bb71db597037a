"""The caseload screen: find a person by name, NHS number or postcode, then open them.

One ``QTableView`` over ``CaseloadModel``, which holds the rows of the pages fetched so far
(never a widget per row): the first page of a search, then the next ones as the view
scrolls down (``canFetchMore``/``fetchMore``). The widget never touches the database: it is
given ``run(fn, done)`` (``TaskRunner.run`` in the app: ``fn`` on the database thread,
``done`` back on this one) and ``services.caseload.search``/``teams`` bound to the unit of
work. Typing is debounced so a fast typist queries once, and every search carries a
sequence number: an answer to an older search than the latest is dropped, whatever order
the answers come back in.

Keyboard: Ctrl+F goes to the search box, Tab moves on to the filters and the table (Down
in the search box goes straight to the people found), and Enter (or a double-click) on a
row opens that person. For a role that may add people, "Add a person" (Alt+A) is under
the table, after it in the Tab order; when a search finds nobody it reads "Add this person"
and carries what was searched for into the new person's form (a valid NHS number, the
names, a whole postcode: ``services.people.caseload.new_person_hint``).

The person chosen in the table (``person_picked``, and ``picked_id()``) is what the person
record and the Delegations screen open on: the row the nurse moves to or clicks, or the one
person a search finds (among several, the cursor waits on the first row but nobody is
chosen until the nurse moves); a refresh keeps the chosen person chosen when still listed.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from dataclasses import replace
from typing import Protocol, TypeVar

from PySide6.QtCore import (
    QAbstractTableModel,
    QModelIndex,
    QObject,
    QPersistentModelIndex,
    Qt,
    QTimer,
    Signal,
)
from PySide6.QtGui import QKeyEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QAbstractItemView,
    QComboBox,
    QHBoxLayout,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPushButton,
    QSizePolicy,
    QTableView,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.people.caseload import (
    CaseloadPage,
    CaseloadQuery,
    CaseloadRow,
    CaseloadStatus,
    NewPersonHint,
    new_person_hint,
)

T = TypeVar("T")


class Run(Protocol):
    """``run(fn, done)``: ``fn`` on the database thread, ``done(result)`` back on this one
    (errors go to the app's standard handler)."""

    def __call__(self, fn: Callable[[], T], done: Callable[[T], None], /) -> object: ...


Search = Callable[[CaseloadQuery], CaseloadPage]
Index = QModelIndex | QPersistentModelIndex
SEARCH_DELAY_MS = 150
PAGE_SIZE = 200
_ROOT = QModelIndex()


def uk_date(day: dt.date | None) -> str:
    """A date as nurses write it, dd/MM/yyyy: 31/01/2027 (empty when there is none)."""
    return day.strftime("%d/%m/%Y") if day else ""


class CaseloadModel(QAbstractTableModel):
    """The people found so far by one search, one row each, in the caseload's order.

    ``fetchMore`` does not wait for the database: it emits ``more_requested`` with the
    offset of the next page, and whoever runs searches answers with ``append_page``.
    """

    more_requested = Signal(int)  # offset of the next page
    NAME, NHS_NUMBER, DATE_OF_BIRTH, POSTCODE, TEAM, ACTIVE, NEXT_REVIEW = range(7)

    def __init__(self, parent: QObject | None = None) -> None:
        super().__init__(parent)
        self._rows: list[CaseloadRow] = []
        self._total = 0
        self._fetching = False
        self._titles = [self.tr("Name"), self.tr("NHS number"), self.tr("Date of birth"),
                        self.tr("Postcode"), self.tr("Team"), self.tr("Active delegations"),
                        self.tr("Next review")]

    @property
    def total(self) -> int:
        """How many people the search matched (more than are loaded, while paging)."""
        return self._total

    def set_page(self, page: CaseloadPage) -> None:
        """Show the first page of a new search."""
        self.beginResetModel()
        self._rows = list(page.rows)
        self._total = page.total
        self._fetching = False
        self.endResetModel()

    def append_page(self, page: CaseloadPage) -> None:
        """Add the next page of the same search below the rows already shown."""
        self._fetching = False
        self._total = page.total
        if not page.rows:
            return
        first = len(self._rows)
        self.beginInsertRows(_ROOT, first, first + len(page.rows) - 1)
        self._rows.extend(page.rows)
        self.endInsertRows()

    def fetch_failed(self) -> None:
        """The next page did not come: let the view ask again."""
        self._fetching = False

    def row(self, number: int) -> CaseloadRow:
        """The person shown on row ``number``."""
        return self._rows[number]

    def row_of(self, person_id: str) -> int | None:
        """The row showing this person, if they are among the rows loaded."""
        return next((n for n, r in enumerate(self._rows) if r.person_id == person_id), None)

    def rowCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._rows)

    def columnCount(self, parent: Index = _ROOT) -> int:  # noqa: N802 - Qt's name
        return 0 if parent.isValid() else len(self._titles)

    def canFetchMore(self, parent: Index = _ROOT) -> bool:  # noqa: N802 - Qt's name
        return not parent.isValid() and not self._fetching and len(self._rows) < self._total

    def fetchMore(self, parent: Index = _ROOT) -> None:  # noqa: N802 - Qt's name
        if self.canFetchMore(parent):
            self._fetching = True
            self.more_requested.emit(len(self._rows))

    def data(self, index: Index, role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if not index.isValid() or index.row() >= len(self._rows):
            return None
        row = self._rows[index.row()]
        if role == Qt.ItemDataRole.DisplayRole:
            return self._text(row, index.column())
        if role == Qt.ItemDataRole.UserRole:
            return row.person_id
        if role == Qt.ItemDataRole.TextAlignmentRole and index.column() == self.ACTIVE:
            return int(Qt.AlignmentFlag.AlignRight | Qt.AlignmentFlag.AlignVCenter)
        return None

    def _text(self, row: CaseloadRow, column: int) -> str:
        return [row.full_name, row.nhs_number_display, uk_date(row.date_of_birth),
                row.postcode, row.team, str(row.active_delegations),
                uk_date(row.next_review_due)][column]

    def headerData(self, section: int, orientation: Qt.Orientation,  # noqa: N802 - Qt's name
                   role: int = Qt.ItemDataRole.DisplayRole) -> object:
        if (role == Qt.ItemDataRole.DisplayRole and orientation == Qt.Orientation.Horizontal
                and 0 <= section < len(self._titles)):
            return self._titles[section]
        return None


class _PeopleTable(QTableView):
    """The table of people; Enter or Return on a row chooses it on every platform."""

    row_chosen = Signal(int)

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 - Qt's name
        if event.key() in (Qt.Key.Key_Return, Qt.Key.Key_Enter) and self.currentIndex().isValid():
            self.row_chosen.emit(self.currentIndex().row())
            return
        super().keyPressEvent(event)


class CaseloadWidget(QWidget):
    """Search box, team and status filters, the table of people and a one-line summary."""

    person_opened = Signal(str)  # person id
    person_picked = Signal(object)  # the CaseloadRow now chosen in the table
    add_person_requested = Signal(object)  # NewPersonHint: what the search can fill in
    results_shown = Signal(int)  # how many matched (after each search's first page)

    def __init__(self, run: Run, search: Search, load_teams: Callable[[], list[str]],
                 parent: QWidget | None = None, delay_ms: int = SEARCH_DELAY_MS,
                 page_size: int = PAGE_SIZE, can_add: bool = False) -> None:
        super().__init__(parent)
        self._run, self._search, self._load_teams = run, search, load_teams
        self._page_size = page_size
        self._can_add = can_add
        self._sequence = 0  # of the latest search; older answers are dropped
        self._quiet = 0  # the sequence of a refresh: its answer keeps the chosen person
        self._shown: CaseloadQuery | None = None  # the search whose pages are in the table
        self._picked: str | None = None  # the person chosen in the table
        self._picking = False  # choosing a row from code: say so once, afterwards
        self.model = CaseloadModel(self)
        self._build_controls()
        self._build_table()
        self._lay_out()
        self.timer = QTimer(self)
        self.timer.setSingleShot(True)
        self.timer.setInterval(delay_ms)
        self.timer.timeout.connect(self._on_timer_timeout)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.search_edit.returnPressed.connect(self.search_now)
        self.team_combo.currentIndexChanged.connect(self.search_now)
        self.status_combo.currentIndexChanged.connect(self.search_now)
        self.model.more_requested.connect(self._on_model_more_requested)
        down = QShortcut(QKeySequence(Qt.Key.Key_Down), self.search_edit)
        down.setContext(Qt.ShortcutContext.WidgetShortcut)
        down.activated.connect(self._on_search_down)
        shortcut = QShortcut(QKeySequence.StandardKey.Find, self)
        # Only while this screen has the focus: other screens may use Ctrl+F too.
        shortcut.setContext(Qt.ShortcutContext.WidgetWithChildrenShortcut)
        shortcut.activated.connect(self.focus_search)
        self.refresh()

    # ------------------------------------------------------------ building

    def _build_controls(self) -> None:
        self.search_edit = QLineEdit()
        self.search_edit.setPlaceholderText(self.tr("Name, NHS number or postcode"))
        self.search_edit.setAccessibleName(self.tr("Search the caseload"))
        self.search_edit.setAccessibleDescription(self.tr(
            "Type the start of a name, an NHS number or a postcode; the list updates as you "
            "type."))
        self.search_edit.setClearButtonEnabled(True)
        self.team_combo = QComboBox()
        self.team_combo.setAccessibleName(self.tr("Team"))
        self.team_combo.addItem(self.tr("All teams"), None)
        self.status_combo = QComboBox()
        self.status_combo.setAccessibleName(self.tr("Status"))
        for label, status in ((self.tr("Everyone"), None),
                              (self.tr("Has an active delegation"),
                               CaseloadStatus.ACTIVE_DELEGATION),
                              (self.tr("Review overdue"), CaseloadStatus.REVIEW_OVERDUE),
                              (self.tr("Draft in progress"), CaseloadStatus.DRAFT_IN_PROGRESS)):
            self.status_combo.addItem(label, status)
        self.status_label = QLabel()
        # Not word-wrapped: a wrapped label makes the window scroll the whole screen at a
        # large text scale; a long search is cut off at the edge instead of widening it.
        self.status_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)
        self.status_label.setAccessibleName(self.tr("Search results"))
        self.add_button = QPushButton(self.tr("&Add a person"))
        self.add_button.setAccessibleName(self.tr("Add a person to the caseload"))
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.add_button.setVisible(self._can_add)

    def _build_table(self) -> None:
        self.table = _PeopleTable()
        self.table.setModel(self.model)
        self.table.setAccessibleName(self.tr("People on the caseload"))
        self.table.setSortingEnabled(False)  # the order is the service's: family, given name
        self.table.setSelectionBehavior(QAbstractItemView.SelectionBehavior.SelectRows)
        self.table.setSelectionMode(QAbstractItemView.SelectionMode.SingleSelection)
        self.table.setEditTriggers(QAbstractItemView.EditTrigger.NoEditTriggers)
        self.table.setTabKeyNavigation(False)  # Tab leaves the table
        self.table.setAlternatingRowColors(True)
        self.table.verticalHeader().hide()
        header = self.table.horizontalHeader()
        header.setSectionResizeMode(CaseloadModel.NAME, QHeaderView.ResizeMode.Stretch)
        self.table.doubleClicked.connect(self._on_table_double_clicked)
        self.table.row_chosen.connect(self._open_row)
        self.table.selectionModel().currentRowChanged.connect(self._on_current_row_changed)
        # A click on the row the cursor already waits on chooses that person too.
        self.table.clicked.connect(lambda _index: self._note_pick())

    def _lay_out(self) -> None:
        filters = QHBoxLayout()
        for text, field, stretch in ((self.tr("&Search:"), self.search_edit, 3),
                                     (self.tr("&Team:"), self.team_combo, 1),
                                     (self.tr("Stat&us:"), self.status_combo, 1)):
            label = QLabel(text)
            label.setBuddy(field)
            filters.addWidget(label)
            filters.addWidget(field, stretch)
        below = QHBoxLayout()
        below.addWidget(self.status_label, 1)
        below.addWidget(self.add_button)
        layout = QVBoxLayout(self)
        layout.addLayout(filters)
        layout.addWidget(self.table, 1)
        layout.addLayout(below)
        for first, second in ((self.search_edit, self.team_combo),
                              (self.team_combo, self.status_combo),
                              (self.status_combo, self.table), (self.table, self.add_button)):
            QWidget.setTabOrder(first, second)

    # ------------------------------------------------------------ actions

    def focus_search(self) -> None:
        """Put the cursor in the search box, its text selected to type over (Ctrl+F)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def refresh(self) -> None:
        """Reload the team list and search again (after someone was added or removed); the
        person chosen stays chosen if the search still lists them."""
        self._run(self._load_teams, self._on_teams_loaded)
        self._quiet = self._sequence + 1  # the search made now
        self.search_now()

    def search_now(self) -> None:
        """Search for what is in the box and the filters, without waiting for the typing."""
        self.timer.stop()
        self._sequence += 1
        sequence, query = self._sequence, self._query(offset=0)
        self._run(lambda: self._search(query),
                  lambda page: self._on_page_found(sequence, query, page))

    def picked_id(self) -> str | None:
        """The person chosen in the table (the last one, if the table is empty now)."""
        return self._picked

    def add_hint(self) -> NewPersonHint:
        """What "Add this person" carries: the search's NHS number, names or postcode."""
        return new_person_hint(self.search_edit.text())

    def _query(self, offset: int) -> CaseloadQuery:
        return CaseloadQuery(text=self.search_edit.text(),
                             team=self.team_combo.currentData(),
                             status=self.status_combo.currentData(),
                             offset=offset, limit=self._page_size)

    def _open_row(self, row: int) -> None:
        self.person_opened.emit(self.model.row(row).person_id)

    def _note_pick(self) -> None:
        """Say which person is chosen now, if another than before."""
        current = self.table.currentIndex()
        if not current.isValid() or current.row() >= self.model.rowCount():
            return
        row = self.model.row(current.row())
        if row.person_id != self._picked:
            self._picked = row.person_id
            self.person_picked.emit(row)

    # ------------------------------------------------------------ slots

    def _on_search_edit_text_changed(self, _text: str) -> None:
        self.timer.start()  # restarted by each key: one search once the typing pauses

    def _on_timer_timeout(self) -> None:
        self.search_now()

    def _on_table_double_clicked(self, index: QModelIndex) -> None:
        if index.isValid():
            self._open_row(index.row())

    def _on_current_row_changed(self, _current: QModelIndex, _previous: QModelIndex) -> None:
        if not self._picking:
            self._note_pick()

    def _on_search_down(self) -> None:
        if self.model.rowCount():
            self.table.setFocus(Qt.FocusReason.ShortcutFocusReason)

    def _on_add_button_clicked(self) -> None:
        self.add_person_requested.emit(self.add_hint())

    def _on_page_found(self, sequence: int, query: CaseloadQuery, page: CaseloadPage) -> None:
        if sequence != self._sequence:
            return  # an answer to a search typed over since
        first_answer = self._shown is None
        self._shown = query
        self.model.set_page(page)
        if first_answer:  # once: later searches keep the widths the nurse may have set
            for column in range(CaseloadModel.NHS_NUMBER, self.model.columnCount()):
                self.table.resizeColumnToContents(column)
        self.status_label.setText(self._summary(query, page.total))
        self._choose_after_search(quiet=sequence == self._quiet, only_one=page.total == 1)
        nobody = page.total == 0 and bool(query.text.strip())
        self.add_button.setText(self.tr("&Add this person") if nobody
                                else self.tr("&Add a person"))
        self.results_shown.emit(page.total)

    def _choose_after_search(self, quiet: bool, only_one: bool) -> None:
        """Put the cursor on the first row, or after a refresh on the person chosen before
        if listed. The first row counts as chosen (for the person record and Delegations)
        only when the search found that one person: among several, the nurse chooses
        (hazard H-015), never the list's order."""
        if not self.model.rowCount():
            return
        kept = self.model.row_of(self._picked) if quiet and self._picked else None
        self._picking = True
        try:
            self.table.selectRow(kept if kept is not None else 0)
        finally:
            self._picking = False
        if only_one and (not quiet or kept is None):
            self._note_pick()

    def _on_model_more_requested(self, offset: int) -> None:
        if self._shown is None:
            return
        # The next page of the search on screen, even if the box was typed into since.
        sequence, query = self._sequence, replace(self._shown, offset=offset)
        self._run(lambda: self._search(query),
                  lambda page: self._on_more_found(sequence, page))

    def _on_more_found(self, sequence: int, page: CaseloadPage) -> None:
        # After a newer search the model waits for that search's first page instead.
        if sequence == self._sequence:
            self.model.append_page(page)

    def _on_teams_loaded(self, teams: list[str]) -> None:
        chosen = self.team_combo.currentData()
        self.team_combo.blockSignals(True)  # the same team stays chosen: no new search
        self.team_combo.clear()
        self.team_combo.addItem(self.tr("All teams"), None)
        for team in teams:
            self.team_combo.addItem(team, team)
        self.team_combo.setCurrentIndex(max(0, self.team_combo.findData(chosen)))
        self.team_combo.blockSignals(False)
        if self.team_combo.currentData() != chosen:
            self.search_now()  # the chosen team has gone from the caseload

    def _summary(self, query: CaseloadQuery, total: int) -> str:
        if total == 1:
            return self.tr("1 person")
        if total:
            return self.tr("%1 people").replace("%1", f"{total:,}")
        text = query.text.strip()
        if text and self._can_add:
            return self.tr("No one on this laptop's caseload matches “%1”. Check the "
                           "spelling or the number, or add this person.").replace("%1", text)
        if text:
            return self.tr("No one matches “%1”").replace("%1", text)
        if query.team or query.status:
            return self.tr("No one matches these filters")
        if self._can_add:
            return self.tr("No one is on the caseload yet: add the first person.")
        return self.tr("No one is on the caseload yet")
