"""Case examples: anonymised shared care decisions, searchable by task and theme."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from PySide6.QtCore import QModelIndex, Qt, QTimer
from PySide6.QtGui import QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QComboBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop_app.services.registers import CaseExampleRow
from desktop_app.ui.registers.base import SEARCH_DELAY_MS, Column, RegisterWidget, plural
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run


class CaseExamplesWidget(RegisterWidget[CaseExampleRow]):
    """Anonymised shared care decisions, searched by words, task category and theme.

    ``search(text, task_category, theme)`` returns the rows; ``themes()`` the theme list.
    """

    def __init__(self, run: Run,
                 search: Callable[[str, str | None, str | None], Sequence[CaseExampleRow]],
                 themes: Callable[[], Sequence[str]],
                 categories: Sequence[tuple[str, str]]) -> None:
        super().__init__(run, lambda: [])
        self._search, self._themes, self._themes_loaded = search, themes, False
        columns: list[Column[CaseExampleRow]] = [
            Column(self.tr("Decided"), lambda r: uk_date(r.decided_on)),
            Column(self.tr("Task category"), lambda r: r.task_category_label),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Themes"), lambda r: ", ".join(r.themes)),
            Column(self.tr("Outcome"), lambda r: r.outcome_title),
            Column(self.tr("Summary"), lambda r: r.summary)]
        self.configure(self.tr("Case examples"), columns)
        self.search_edit = QLineEdit()
        self.search_edit.setAccessibleName(self.tr("Search the case examples"))
        self.search_edit.setPlaceholderText(self.tr("Words in the summary, task or themes"))
        self.category_combo = QComboBox()
        self.category_combo.setAccessibleName(self.tr("Task category filter"))
        self.category_combo.addItem(self.tr("All task categories"), None)
        for code, label in categories:
            self.category_combo.addItem(label, code)
        self.theme_combo = QComboBox()
        self.theme_combo.setAccessibleName(self.tr("Theme filter"))
        self.theme_combo.addItem(self.tr("All themes"), None)
        self.summary_view = QPlainTextEdit()
        self.summary_view.setReadOnly(True)
        self.summary_view.setTabChangesFocus(True)
        self.summary_view.setAccessibleName(self.tr("Summary of the selected case example"))
        self.layout_.insertLayout(1, self._filters())
        self.layout_.insertWidget(self.layout_.indexOf(self.message_label), self.summary_view)
        self._timer = QTimer(self, singleShot=True, interval=SEARCH_DELAY_MS)
        self._timer.timeout.connect(self.refresh)
        self.search_edit.textChanged.connect(self._on_search_edit_text_changed)
        self.category_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.theme_combo.currentIndexChanged.connect(self._on_filter_changed)
        self.table.selectionModel().currentRowChanged.connect(self._on_table_current_row_changed)
        self.table.row_activated.connect(self._on_table_row_activated)
        find = QShortcut(QKeySequence.StandardKey.Find, self,
                         context=Qt.ShortcutContext.WidgetWithChildrenShortcut)
        find.activated.connect(self.focus_search)
        for first, second in ((self.search_edit, self.category_combo),
                              (self.category_combo, self.theme_combo),
                              (self.theme_combo, self.table),
                              (self.table, self.summary_view),
                              (self.summary_view, self.refresh_button)):
            QWidget.setTabOrder(first, second)

    def focus_search(self) -> None:
        """Put the cursor in the search box, its text selected to type over (Ctrl+F)."""
        self.search_edit.setFocus(Qt.FocusReason.ShortcutFocusReason)
        self.search_edit.selectAll()

    def _filters(self) -> QHBoxLayout:
        row = QHBoxLayout()
        for text, field in ((self.tr("&Search:"), self.search_edit),
                            (self.tr("Task &category:"), self.category_combo),
                            (self.tr("T&heme:"), self.theme_combo)):
            label = QLabel(text)
            label.setBuddy(field)
            row.addWidget(label)
            row.addWidget(field, 2 if field is self.search_edit else 1)
        return row

    def refresh(self) -> None:
        """Reload the theme list once, then search with the current filters."""
        if not self._themes_loaded:
            self._themes_loaded = True
            self._run(self._themes, self._on_themes_loaded)
        super().refresh()

    def count_text(self, count: int) -> str:
        return plural(count, self.tr("1 case example"), self.tr("%n case examples"))

    def loader(self) -> Callable[[], Sequence[CaseExampleRow]]:
        text = self.search_edit.text()
        category = self.category_combo.currentData()
        theme = self.theme_combo.currentData()
        return lambda: self._search(text, category, theme)

    def _on_themes_loaded(self, themes: Sequence[str]) -> None:
        for theme in themes:
            self.theme_combo.addItem(theme, theme)

    def _on_search_edit_text_changed(self, _text: str) -> None:
        self._timer.start()

    def _on_filter_changed(self, _index: int) -> None:
        self._timer.stop()
        self.refresh()

    def _on_table_current_row_changed(self, current: QModelIndex, _previous: QModelIndex) -> None:
        self.summary_view.setPlainText(self.model.row(current.row()).summary
                                       if current.isValid() else "")

    def _on_table_row_activated(self, _row: int) -> None:
        self.summary_view.setFocus()

