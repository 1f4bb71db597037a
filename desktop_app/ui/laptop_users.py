"""Sign-ins on this laptop: who can sign in, and adding a colleague's own sign-in.

The roles offered are those the signed-in user may give (``services.core.roles
.roles_to_give``: a nurse adds nurses and social care practitioners, a team lead anyone);
the service refuses any other. The controller runs the slow key wrapping on the database
thread and answers through ``show_error`` or ``added``.
"""

from __future__ import annotations

from collections.abc import Sequence

from PySide6.QtCore import Qt, Signal
from PySide6.QtWidgets import (
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QGroupBox,
    QLabel,
    QLineEdit,
    QListWidget,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.sign_in import (
    ROLE_LABELS,
    new_passphrase_problem,
    passphrase_strength,
    password_field,
    problem_label,
)


class LaptopUsersDialog(QDialog):
    """The laptop's sign-ins and a form to add a colleague's."""

    add_requested = Signal(str, str, str)  # name, role value, passphrase

    def __init__(self, my_role: str, roles: Sequence[str],
                 parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign-ins on this laptop"))
        given = ", ".join(self.tr(ROLE_LABELS.get(r, r)) for r in roles)
        intro = QLabel(self.tr(
            "Everyone who uses this laptop signs in with their own name and passphrase, so "
            "each change is recorded under the right person. Your role ({mine}) can add: "
            "{given}. Your colleague types their own passphrase here; nobody else should "
            "know it.").format(mine=self.tr(ROLE_LABELS.get(my_role, my_role)), given=given))
        intro.setWordWrap(True)
        intro.setTextFormat(Qt.TextFormat.PlainText)
        self.user_list = QListWidget()
        self.user_list.setAccessibleName(self.tr("Sign-ins on this laptop"))
        rows = self.user_list.fontMetrics().lineSpacing()
        self.user_list.setMinimumHeight(3 * rows)
        self.user_list.setMaximumHeight(7 * rows)
        list_label = QLabel(self.tr("&Who can sign in:"))
        list_label.setBuddy(self.user_list)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Colleague's name"))
        self.role_combo = QComboBox()
        self.role_combo.setAccessibleName(self.tr("Colleague's role"))
        for role in roles:
            self.role_combo.addItem(self.tr(ROLE_LABELS.get(role, role)), role)
        self.pass_edit = password_field(self.tr("Colleague's passphrase"))
        self.confirm_edit = password_field(self.tr("Colleague's passphrase again"))
        self.strength_label = QLabel()
        self.strength_label.setAccessibleName(self.tr("Passphrase strength"))
        self.pass_edit.textChanged.connect(
            lambda text: self.strength_label.setText(
                self.tr("Strength: ") + passphrase_strength(text)[1]))
        self.strength_label.setText(self.tr("Strength: ") + passphrase_strength("")[1])
        self.error_label = problem_label()
        self.done_label = QLabel()
        self.done_label.setAccessibleName(self.tr("Added"))
        self.done_label.setTextFormat(Qt.TextFormat.PlainText)
        self.done_label.hide()
        self.add_button = QPushButton(self.tr("&Add colleague"))
        self.add_button.setDefault(True)
        self.add_button.clicked.connect(self._on_add_button_clicked)
        self.pass_edit.returnPressed.connect(self.add_button.click)
        self.confirm_edit.returnPressed.connect(self.add_button.click)
        box = QGroupBox(self.tr("Add a colleague"))
        form = QFormLayout(box)
        form.addRow(self.tr("Colleague's &name:"), self.name_edit)
        form.addRow(self.tr("&Role:"), self.role_combo)
        form.addRow(self.tr("&Passphrase:"), self.pass_edit)
        form.addRow(self.tr("Passphrase a&gain:"), self.confirm_edit)
        form.addRow("", self.strength_label)
        form.addRow("", self.add_button)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Close)
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setText(self.tr("&Close"))
        self.buttons.button(QDialogButtonBox.StandardButton.Close).setAutoDefault(False)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(intro)
        layout.addWidget(list_label)
        layout.addWidget(self.user_list)
        layout.addWidget(box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.done_label)
        layout.addWidget(self.buttons)
        self.setMaximumWidth(640)
        self.name_edit.setFocus()

    def show_users(self, users: Sequence[tuple[str, str]]) -> None:
        """List the sign-ins: (name, role value) each."""
        self.user_list.clear()
        for name, role in users:
            self.user_list.addItem(f"{name} — {self.tr(ROLE_LABELS.get(role, role))}")

    def _on_add_button_clicked(self) -> None:
        self.done_label.hide()
        name = self.name_edit.text().strip()
        if not name:
            return self.show_error(self.tr("Enter your colleague's name."), self.name_edit)
        if problem := new_passphrase_problem(self.pass_edit, self.confirm_edit):
            return self.show_error(*problem)
        self.set_busy(True)
        self.add_requested.emit(name, str(self.role_combo.currentData()), self.pass_edit.text())
        return None

    def show_error(self, text: str, focus: QWidget | None = None) -> None:
        """A problem under the form; everything typed stays."""
        self.set_busy(False)
        self.error_label.setText(text)
        self.error_label.show()
        (focus or self.name_edit).setFocus()

    def added(self, name: str) -> None:
        """The colleague can sign in now: the form is cleared for the next one."""
        self.set_busy(False)
        self.error_label.hide()
        for field in (self.name_edit, self.pass_edit, self.confirm_edit):
            field.clear()
        self.done_label.setText(self.tr("{name} can now sign in on this laptop.")
                                .format(name=name))
        self.done_label.show()
        self.name_edit.setFocus()

    def set_busy(self, busy: bool) -> None:
        """No second press while the key is being wrapped."""
        self.add_button.setEnabled(not busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)
