"""The main window: a navigation list and the feature screens it composes.

The screens themselves (caseload, person record, registers...) are built by the
composition root and added with ``add_screen``; the window only arranges them and keeps
the status bar: who is signed in, the sync state and the Lock button.
"""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QStackedWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.vault import SignedInUser
from desktop_app.ui.sign_in import ROLE_LABELS


class StartDelegationPanel(QWidget):
    """Start a delegation by NHS number (until the caseload opens people)."""

    delegation_requested = Signal(str)

    def __init__(self, people_count: int) -> None:
        super().__init__()
        self.summary = QLabel(self.tr("People on this laptop's caseload: %n", "", people_count))
        self.summary.setAccessibleName(self.tr("Caseload summary"))
        self.nhs_edit = QLineEdit()
        self.nhs_edit.setPlaceholderText(self.tr("NHS number, e.g. 999 000 0018"))
        self.nhs_edit.setAccessibleName(self.tr("NHS number of the person"))
        self.start_button = QPushButton(self.tr("&Start a delegation"))
        self.start_button.clicked.connect(
            lambda _checked=False: self.delegation_requested.emit(self.nhs_edit.text()))
        self.nhs_edit.returnPressed.connect(self.start_button.click)
        label = QLabel(self.tr("Person's &NHS number:"))
        label.setBuddy(self.nhs_edit)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.nhs_edit, 1)
        row.addWidget(self.start_button)
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addStretch(1)


class MainWindow(QMainWindow):
    """The signed-in window."""

    lock_requested = Signal()
    closed = Signal()

    def __init__(self, user: SignedInUser, demo: bool) -> None:
        super().__init__()
        title = self.tr("Shared Care Planner")
        self.setWindowTitle(title + (self.tr(" — DEMO (synthetic data)") if demo else ""))
        self.nav = QListWidget()
        self.nav.setAccessibleName(self.tr("Screens"))
        self.nav.setMaximumWidth(220)
        self.stack = QStackedWidget()
        self._keys: list[str] = []
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        body = QWidget()
        layout = QHBoxLayout(body)
        layout.addWidget(self.nav)
        layout.addWidget(self.stack, 1)
        self.setCentralWidget(body)
        role = ROLE_LABELS.get(str(user.role), str(user.role))
        self.user_label = QLabel(self.tr("Signed in: ") + f"{user.display_name} ({role})")
        self.sync_label = QLabel(self.tr("Sync: not set up"))
        self.sync_label.setAccessibleName(self.tr("Sync state"))
        self.lock_button = QPushButton(self.tr("&Lock"))
        self.lock_button.setAccessibleName(self.tr("Lock the app"))
        self.lock_button.clicked.connect(lambda _checked=False: self.lock_requested.emit())
        self.statusBar().addWidget(self.user_label, 1)
        self.statusBar().addPermanentWidget(self.sync_label)
        self.statusBar().addPermanentWidget(self.lock_button)
        QShortcut(QKeySequence("Ctrl+L"), self, activated=self.lock_requested.emit)
        self.resize(1280, 720)

    def add_screen(self, key: str, title: str, widget: QWidget) -> None:
        """Add a screen; Ctrl+1..9 jump to the first nine."""
        self._keys.append(key)
        self.stack.addWidget(widget)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        self.nav.addItem(item)
        number = len(self._keys)
        if number <= 9:
            QShortcut(QKeySequence(f"Ctrl+{number}"), self,
                      activated=lambda k=key: self.show_screen(k))
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def show_screen(self, key: str) -> None:
        """Bring a screen to the front."""
        if key in self._keys:
            self.nav.setCurrentRow(self._keys.index(key))

    def screen(self, key: str) -> QWidget:
        """The widget of a screen."""
        return self.stack.widget(self._keys.index(key))

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """Closing the window ends the app (the controller closes the vault)."""
        super().closeEvent(event)
        self.closed.emit()
