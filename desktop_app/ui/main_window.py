"""The main window: composes the feature screens (the caseload and registers come next)."""

from __future__ import annotations

from PySide6.QtCore import Qt, Signal
from PySide6.QtGui import QCloseEvent
from PySide6.QtWidgets import (
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QMainWindow,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.vault import SignedInUser
from desktop_app.ui.sign_in import ROLE_LABELS


class MainWindow(QMainWindow):
    """The signed-in window: a home panel and a status bar with the user and Lock."""

    lock_requested = Signal()
    closed = Signal()
    delegation_requested = Signal(str)  # the NHS number typed

    def __init__(self, user: SignedInUser, people_count: int, demo: bool) -> None:
        super().__init__()
        title = self.tr("Shared Care Planner")
        self.setWindowTitle(title + (self.tr(" — DEMO (synthetic data)") if demo else ""))
        heading = QLabel(f"<h2>{title}</h2>")
        heading.setTextFormat(Qt.TextFormat.RichText)
        self.summary = QLabel(self.tr("People on this laptop's caseload: %n", "", people_count))
        self.summary.setAccessibleName(self.tr("Caseload summary"))
        note = QLabel(self.tr(
            "Your records are encrypted on this laptop. The caseload, the delegation wizard "
            "and the registers open from here."))
        note.setWordWrap(True)
        self.nhs_edit = QLineEdit()
        self.nhs_edit.setPlaceholderText(self.tr("NHS number, e.g. 999 000 0018"))
        self.nhs_edit.setAccessibleName(self.tr("NHS number of the person"))
        self.start_button = QPushButton(self.tr("&Start a delegation"))
        self.start_button.clicked.connect(
            lambda: self.delegation_requested.emit(self.nhs_edit.text()))
        self.nhs_edit.returnPressed.connect(self.start_button.click)
        start_row = QHBoxLayout()
        start_label = QLabel(self.tr("Person's &NHS number:"))
        start_label.setBuddy(self.nhs_edit)
        start_row.addWidget(start_label)
        start_row.addWidget(self.nhs_edit, 1)
        start_row.addWidget(self.start_button)
        home = QWidget()
        layout = QVBoxLayout(home)
        for widget in (heading, self.summary, note):
            layout.addWidget(widget)
        layout.addLayout(start_row)
        layout.addStretch(1)
        self.setCentralWidget(home)
        role = ROLE_LABELS.get(user.role, user.role.value)
        self.user_label = QLabel(self.tr("Signed in: ") + f"{user.display_name} ({role})")
        self.lock_button = QPushButton(self.tr("&Lock"))
        self.lock_button.setAccessibleName(self.tr("Lock the app"))
        self.lock_button.clicked.connect(lambda _checked=False: self.lock_requested.emit())
        self.statusBar().addWidget(self.user_label, 1)
        self.statusBar().addPermanentWidget(self.lock_button)
        self.resize(1100, 700)

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """Closing the window ends the app (the controller closes the vault)."""
        super().closeEvent(event)
        self.closed.emit()
