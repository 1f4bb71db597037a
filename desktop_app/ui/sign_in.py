"""First-run setup, the recovery code shown once, and signing in.

The dialogs only collect and show; the controller runs the slow key derivation on the
database thread and reports back through ``show_error`` and ``accept``. The lock screen
(``lock_screen.py``) is the sign-in with the locked session's user fixed.
"""

from __future__ import annotations

from PySide6.QtCore import QCoreApplication, Qt, Signal
from PySide6.QtGui import QFont, QGuiApplication
from PySide6.QtWidgets import (
    QCheckBox,
    QComboBox,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QPushButton,
    QVBoxLayout,
    QWidget,
)

# Keyed by the role's value (desktop_app.models.user.Role is a StrEnum): importing the
# models here would load SQLAlchemy before the sign-in dialog paints.
ROLE_LABELS = {
    "nurse": "Community nurse",
    "team_lead": "Team lead",
    "social_care_practitioner": "Social care practitioner",
    "read_only": "Read-only (governance)",
}
# The first account on a laptop is the team lead's: ``services.core.roles.FIRST_ACCOUNT_ROLE``
# (the same value; a test compares them), named here without importing the models.
FIRST_ACCOUNT_ROLE = "team_lead"
MIN_LENGTH = 10


def passphrase_strength(text: str) -> tuple[int, str]:
    """A rough 0-3 score and a word for the strength label (length counts most).

    The words are translated in ``QWidget``'s context, as ``QWidget.tr`` did (the type
    stubs have ``tr`` only as a method of an object)."""
    kinds = sum([any(c.islower() for c in text), any(c.isupper() for c in text),
                 any(c.isdigit() for c in text), any(not c.isalnum() for c in text)])
    if len(text) < MIN_LENGTH:
        return 0, QCoreApplication.translate("QWidget", "Too short: at least 10 characters")
    if len(text) >= 20 or (len(text) >= 14 and kinds >= 3):
        return 3, QCoreApplication.translate("QWidget", "Strong")
    if len(text) >= 14 or kinds >= 3:
        return 2, QCoreApplication.translate("QWidget", "Good")
    return 1, QCoreApplication.translate("QWidget", "Fair: a longer phrase is stronger")


def new_passphrase_problem(passphrase: QLineEdit,
                           confirm: QLineEdit) -> tuple[str, QLineEdit] | None:
    """What is wrong with a new passphrase and its confirmation, with the field to go back
    to; None when it will do (spaces at either end do not count towards its length)."""
    if len(passphrase.text().strip()) < MIN_LENGTH:
        return QCoreApplication.translate(
            "QWidget", "The passphrase needs at least 10 characters."), passphrase
    if passphrase.text() != confirm.text():
        return QCoreApplication.translate(
            "QWidget", "The two passphrases are different."), confirm
    return None


def problem_label() -> QLabel:
    """A red line for a problem, hidden until there is one (plain text: it may quote a
    name that was typed)."""
    label = QLabel()
    label.setTextFormat(Qt.TextFormat.PlainText)
    label.setWordWrap(True)
    label.setStyleSheet("color: #a00000;")
    label.setAccessibleName(QCoreApplication.translate("QWidget", "Problem"))
    label.hide()
    return label


def password_field(name: str) -> QLineEdit:
    """A passphrase field (echo hidden) with its accessible name."""
    field = QLineEdit()
    field.setEchoMode(QLineEdit.EchoMode.Password)
    field.setAccessibleName(name)
    return field


class FirstRunDialog(QDialog):
    """Creates the first account of a new vault on this laptop: always the team lead's
    (the service refuses any other role, ``services.core.roles.FIRST_ACCOUNT_ROLE``), and
    the dialog says so before anything is typed."""

    setup_requested = Signal(str, str)  # name, passphrase

    def __init__(self, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Set up Shared Care Planner"))
        self.rule_label = QLabel(self.tr(
            "The first account on a laptop is the team lead's. The team lead sets the laptop "
            "up, keeps its recovery code (shown next) somewhere safe, and then adds each "
            "colleague's own sign-in with their role, from Sign-ins… at the bottom of the "
            "main window. If you are not the team lead, press Cancel and ask your team lead "
            "to set up this laptop with you."))
        self.rule_label.setWordWrap(True)
        self.rule_label.setTextFormat(Qt.TextFormat.PlainText)
        bold = self.rule_label.font()
        bold.setBold(True)
        self.rule_label.setFont(bold)
        intro = QLabel(self.tr(
            "Patient records on this laptop are encrypted. Choose a passphrase you will "
            "remember: a few ordinary words together work well."))
        intro.setWordWrap(True)
        self.name_edit = QLineEdit()
        self.name_edit.setAccessibleName(self.tr("Your name"))
        self.role_label = QLabel(self.tr(ROLE_LABELS[FIRST_ACCOUNT_ROLE]))
        self.role_label.setAccessibleName(self.tr("Your role"))
        self.pass_edit = password_field(self.tr("Passphrase"))
        self.confirm_edit = password_field(self.tr("Passphrase again"))
        self.strength_label = QLabel()
        self.strength_label.setAccessibleName(self.tr("Passphrase strength"))
        self.error_label = problem_label()
        form = QFormLayout()
        form.addRow(self.tr("Your &name:"), self.name_edit)
        form.addRow(self.tr("Your role:"), self.role_label)
        form.addRow(self.tr("&Passphrase:"), self.pass_edit)
        form.addRow(self.tr("Passphrase &again:"), self.confirm_edit)
        form.addRow("", self.strength_label)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Create"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        layout.addWidget(self.rule_label)
        layout.addWidget(intro)
        layout.addLayout(form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)
        self.setMaximumWidth(640)
        self.pass_edit.textChanged.connect(self._on_pass_edit_text_changed)
        self._on_pass_edit_text_changed("")
        self.name_edit.setFocus()

    def _on_pass_edit_text_changed(self, text: str) -> None:
        _, words = passphrase_strength(text)
        self.strength_label.setText(self.tr("Strength: ") + words)

    def _on_buttons_accepted(self) -> None:
        name = self.name_edit.text().strip()
        if not name:
            return self.show_error(self.tr("Enter your name."), self.name_edit)
        if problem := new_passphrase_problem(self.pass_edit, self.confirm_edit):
            return self.show_error(*problem)
        self.set_busy(True)
        self.setup_requested.emit(name, self.pass_edit.text())
        return None

    def show_error(self, text: str, focus: QWidget | None = None) -> None:
        """Show a problem under the form; everything typed stays."""
        self.set_busy(False)
        self.error_label.setText(text)
        self.error_label.show()
        if focus is not None:
            focus.setFocus()

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while the vault is being made."""
        self.buttons.setEnabled(not busy)


class RecoveryCodeDialog(QDialog):
    """Shows the recovery code once; Continue waits for "I have stored it safely"."""

    def __init__(self, code: str, parent: QWidget | None = None) -> None:
        super().__init__(parent)
        self.setWindowTitle(self.tr("Your recovery code"))
        text = QLabel(self.tr(
            "If every passphrase on this laptop is forgotten, this code is the only way back "
            "in. Write it down and keep it somewhere safe, away from the laptop, where your "
            "team keeps its laptops' recovery codes. It is shown only now."))
        text.setWordWrap(True)
        self.code_label = QLabel(code)
        font = QFont("monospace")
        font.setStyleHint(QFont.StyleHint.Monospace)
        font.setPointSize(font.pointSize() + 4)
        self.code_label.setFont(font)
        self.code_label.setTextInteractionFlags(Qt.TextInteractionFlag.TextSelectableByMouse)
        self.code_label.setAccessibleName(self.tr("Recovery code"))
        copy = QPushButton(self.tr("Co&py"))
        copy.setAutoDefault(False)
        copy.clicked.connect(lambda: QGuiApplication.clipboard().setText(code))
        self.stored_check = QCheckBox(self.tr("I have &stored it safely"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Continue"))
        self.buttons.setEnabled(False)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setDefault(True)
        self.stored_check.toggled.connect(self.buttons.setEnabled)
        self.buttons.accepted.connect(self.accept)
        layout = QVBoxLayout(self)
        for widget in (text, self.code_label, copy, self.stored_check, self.buttons):
            layout.addWidget(widget)
        self.stored_check.setFocus()

    def reject(self) -> None:
        """Escape does not skip the code: it must be confirmed."""
        if self.stored_check.isChecked():
            super().reject()


class SignInDialog(QDialog):
    """Choose a user and type the passphrase; or use the recovery code."""

    sign_in_requested = Signal(str, str)  # user id, passphrase
    recovery_requested = Signal(str, str, str)  # user id, code, new passphrase

    def __init__(self, users: list[tuple[str, str]], last_user_id: str = "",
                 parent: QWidget | None = None, *, intro: str = "",
                 cancel_text: str = "") -> None:
        """``intro`` is shown above the form (plain text); ``cancel_text`` renames Cancel
        (signing in as someone else over a locked session goes back to the lock screen)."""
        super().__init__(parent)
        self.setWindowTitle(self.tr("Sign in — Shared Care Planner"))
        self.intro_label = QLabel(intro)
        self.intro_label.setWordWrap(True)
        self.intro_label.setTextFormat(Qt.TextFormat.PlainText)
        self.intro_label.setVisible(bool(intro))
        self.user_combo = QComboBox()
        self.user_combo.setAccessibleName(self.tr("User"))
        for user_id, name in users:
            self.user_combo.addItem(name, user_id)
        index = self.user_combo.findData(last_user_id)
        self.user_combo.setCurrentIndex(max(index, 0))
        self.pass_edit = password_field(self.tr("Passphrase"))
        self.error_label = problem_label()
        self.recovery_box = QWidget()
        self.code_edit = QLineEdit()
        self.code_edit.setAccessibleName(self.tr("Recovery code"))
        self.new_pass_edit = password_field(self.tr("New passphrase"))
        self.confirm_edit = password_field(self.tr("New passphrase again"))
        recovery_form = QFormLayout(self.recovery_box)
        recovery_form.addRow(self.tr("Recovery &code:"), self.code_edit)
        recovery_form.addRow(self.tr("&New passphrase:"), self.new_pass_edit)
        recovery_form.addRow(self.tr("New passphrase a&gain:"), self.confirm_edit)
        self.recovery_box.hide()
        self.forgot_button = QPushButton(self.tr("&Forgotten your passphrase?"))
        self.forgot_button.setAutoDefault(False)
        self.forgot_button.clicked.connect(self._on_forgot_button_clicked)
        form = QFormLayout()
        form.addRow(self.tr("&User:"), self.user_combo)
        form.addRow(self.tr("&Passphrase:"), self.pass_edit)
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.buttons.button(QDialogButtonBox.StandardButton.Ok).setText(self.tr("&Sign in"))
        if cancel_text:
            self.buttons.button(QDialogButtonBox.StandardButton.Cancel).setText(cancel_text)
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        self.form = form
        self.main_layout = layout = QVBoxLayout(self)
        layout.addWidget(self.intro_label)
        layout.addLayout(form)
        layout.addWidget(self.recovery_box)
        layout.addWidget(self.error_label)
        layout.addWidget(self.forgot_button)
        layout.addWidget(self.buttons)
        self.pass_edit.setFocus()

    @property
    def recovering(self) -> bool:
        """True while the recovery-code fields are in use."""
        return not self.recovery_box.isHidden()

    def _on_forgot_button_clicked(self) -> None:
        self.recovery_box.show()
        self.pass_edit.setEnabled(False)
        self.forgot_button.hide()
        self.code_edit.setFocus()

    def _on_buttons_accepted(self) -> None:
        user_id = str(self.user_combo.currentData())
        if not self.recovering:
            if not self.pass_edit.text():
                return self.show_error(self.tr("Type your passphrase."))
            self.set_busy(True)
            self.sign_in_requested.emit(user_id, self.pass_edit.text())
            return None
        if len(self.new_pass_edit.text()) < MIN_LENGTH:
            return self.show_error(self.tr("The new passphrase needs at least 10 characters."))
        if self.new_pass_edit.text() != self.confirm_edit.text():
            return self.show_error(self.tr("The two new passphrases are different."))
        self.set_busy(True)
        self.recovery_requested.emit(user_id, self.code_edit.text(), self.new_pass_edit.text())
        return None

    def show_error(self, text: str) -> None:
        """Show why signing in failed; the user and any typing stay."""
        self.set_busy(False)
        self.error_label.setText(text)
        self.error_label.show()
        (self.code_edit if self.recovering else self.pass_edit).setFocus()
        if not self.recovering:
            self.pass_edit.selectAll()

    def set_busy(self, busy: bool) -> None:
        """Disable the buttons while the key is being derived."""
        self.buttons.setEnabled(not busy)
        self.setCursor(Qt.CursorShape.BusyCursor if busy else Qt.CursorShape.ArrowCursor)
