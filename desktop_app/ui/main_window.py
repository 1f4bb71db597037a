"""The main window: a navigation list and the feature screens it composes.

The screens themselves (caseload, person record, registers...) are built by the feature
controllers (``ui/controllers/``) and added by the composition root with ``add_screen``;
the window only arranges them (each with the shortcut it is given) and keeps the status
bar: who is signed in, the sync state, "Report a problem with the framework…"
(Ctrl+Shift+R, from any screen, for the roles that may), and the Lock button (Ctrl+L).
"""

from __future__ import annotations

from collections.abc import Callable, Sequence
from typing import TYPE_CHECKING

from PySide6.QtCore import QCoreApplication, QEvent, QSize, Qt, Signal
from PySide6.QtGui import QCloseEvent, QGuiApplication, QKeySequence, QShortcut
from PySide6.QtWidgets import (
    QFrame,
    QHBoxLayout,
    QLabel,
    QLayout,
    QLineEdit,
    QListWidget,
    QListWidgetItem,
    QMainWindow,
    QPushButton,
    QScrollArea,
    QSizePolicy,
    QStackedWidget,
    QTableWidgetItem,
    QVBoxLayout,
    QWidget,
)

from desktop_app.ui.sign_in import ROLE_LABELS
from desktop_app.ui.tables import read_only_table

if TYPE_CHECKING:  # for the types only: the session controller loads this module before the
    # sign-in dialog paints, and these would load SQLAlchemy at run time
    from desktop_app.services.delegation import DraftSummary
    from desktop_app.services.vault import SignedInUser


# "Report a problem with the framework…": the same key in the main window and the wizard.
REPORT_PROBLEM_KEY = "Ctrl+Shift+R"


def _shown(sequence: QKeySequence) -> str:
    """A shortcut as the platform writes it (Ctrl+9; ⌘9 on a Mac)."""
    return sequence.toString(QKeySequence.SequenceFormat.NativeText)


class StartDelegationPanel(QWidget):
    """Start a delegation by NHS number, and resume or discard unfinished ones.

    The NHS number is filled in with the person chosen on the caseload (``set_person``),
    named beside it, unless the nurse has typed another number."""

    delegation_requested = Signal(str)
    resume_requested = Signal(str, str)  # person id, case id
    discard_requested = Signal(str)  # case id
    batch_requested = Signal()

    def __init__(self, people_count: int, can_delegate: bool = True,
                 can_print_batch: bool = False) -> None:
        super().__init__()
        self._can_delegate = can_delegate
        self.summary = QLabel(self.tr("People on this laptop's caseload: %n", "", people_count))
        self.summary.setAccessibleName(self.tr("Caseload summary"))
        self.nhs_edit = QLineEdit()
        self.nhs_edit.setPlaceholderText(self.tr("NHS number, e.g. 999 000 0018"))
        self.nhs_edit.setAccessibleName(self.tr("NHS number of the person"))
        self.start_button = QPushButton(self.tr("&Start a delegation"))
        self.start_button.clicked.connect(
            lambda _checked=False: self.delegation_requested.emit(self.nhs_edit.text()))
        self.nhs_edit.returnPressed.connect(self.start_button.click)
        self.nhs_edit.textEdited.connect(self._on_nhs_edit_text_edited)
        self._offered = ""  # the NHS number filled in from the caseload, while untouched
        self.person_label = QLabel()
        self.person_label.setTextFormat(Qt.TextFormat.PlainText)  # a name is typed text
        # Not word-wrapped (the window would scroll the whole screen at a large text
        # scale); cut off at the edge rather than widening the screen.
        self.person_label.setSizePolicy(QSizePolicy.Policy.Ignored,
                                        QSizePolicy.Policy.Preferred)
        self.person_label.setAccessibleName(self.tr("Person the NHS number belongs to"))
        label = QLabel(self.tr("Person's &NHS number:"))
        label.setBuddy(self.nhs_edit)
        row = QHBoxLayout()
        row.addWidget(label)
        row.addWidget(self.nhs_edit, 1)
        row.addWidget(self.start_button)
        self.drafts = read_only_table([self.tr("Person"), self.tr("Task"),
                                       self.tr("Stopped at"), self.tr("Started"),
                                       self.tr("Last saved")],
                                      self.tr("Unfinished delegations"))
        self.drafts.cellDoubleClicked.connect(lambda _r, _c: self._emit_selected(True))
        self.resume_button = QPushButton(self.tr("&Resume"))
        self.resume_button.clicked.connect(lambda _checked=False: self._emit_selected(True))
        self.discard_button = QPushButton(self.tr("Disc&ard"))
        self.discard_button.clicked.connect(lambda _checked=False: self._emit_selected(False))
        drafts_label = QLabel(self.tr("&Unfinished delegations (saved as you typed):"))
        drafts_label.setBuddy(self.drafts)
        self.batch_button = QPushButton(self.tr("Print a &batch of plans…"))
        self.batch_button.setAccessibleName(self.tr(
            "Print or save the support plans changed in a period, for a team"))
        self.batch_button.clicked.connect(lambda _checked=False: self.batch_requested.emit())
        draft_buttons = QHBoxLayout()
        draft_buttons.addWidget(self.batch_button)
        draft_buttons.addStretch(1)
        draft_buttons.addWidget(self.resume_button)
        draft_buttons.addWidget(self.discard_button)
        self._draft_ids: list[tuple[str, str]] = []
        layout = QVBoxLayout(self)
        layout.addWidget(self.summary)
        layout.addLayout(row)
        layout.addWidget(self.person_label)
        layout.addWidget(drafts_label)
        layout.addWidget(self.drafts, 1)
        layout.addLayout(draft_buttons)
        self.batch_button.setVisible(can_print_batch)
        if not can_delegate:
            for widget in (label, self.nhs_edit, self.start_button, self.resume_button,
                           self.discard_button, self.person_label):
                widget.hide()
            self.summary.setText(self.summary.text() + "\n" + self.tr(
                "Your role can see delegations but not start or change them."))

    def set_person(self, nhs_number: str, name: str) -> None:
        """Fill in the NHS number of the person chosen on the caseload and name them,
        unless the nurse has typed another number."""
        if self.nhs_edit.text() not in ("", self._offered):
            return
        self._offered = nhs_number
        self.nhs_edit.setText(nhs_number)
        self.person_label.setText(self.tr(
            "%1, chosen on the caseload. Start a delegation for them, or type another NHS "
            "number.").replace("%1", name))

    def _on_nhs_edit_text_edited(self, text: str) -> None:
        if text != self._offered:  # another number: the name shown no longer goes with it
            self._offered = ""
            self.person_label.clear()

    def show_drafts(self, drafts: Sequence[DraftSummary]) -> None:
        """List the unfinished delegations."""
        self._draft_ids = [(d.person_id, d.case_id) for d in drafts]
        self.drafts.setRowCount(len(drafts))
        for row, draft in enumerate(drafts):
            saved = draft.updated_at.astimezone().strftime("%d/%m/%Y %H:%M")
            started = (draft.started_at.astimezone().strftime("%d/%m/%Y")
                       if draft.started_at else "")
            task = draft.task_name or draft.task_code or "—"
            step = draft.step_title or draft.current_step or "S1"
            for col, text in enumerate([draft.person_name, task, step, started, saved]):
                self.drafts.setItem(row, col, QTableWidgetItem(text))
        self.drafts.resizeColumnsToContents()
        has_rows = bool(drafts) and self._can_delegate
        self.resume_button.setEnabled(has_rows)
        self.discard_button.setEnabled(has_rows)

    def _emit_selected(self, resume: bool) -> None:
        if not self._can_delegate:
            return
        row = self.drafts.currentRow()
        if not 0 <= row < len(self._draft_ids):
            return
        person_id, case_id = self._draft_ids[row]
        if resume:
            self.resume_requested.emit(person_id, case_id)
        else:
            self.discard_requested.emit(case_id)


class CurrentPageStack(QStackedWidget):
    """A stack of screens as large as the screen on show (Qt's own is as large as its
    largest screen), so only a screen that does not fit the window scrolls."""

    def __init__(self) -> None:
        super().__init__()
        # Qt's stacked layout would set the stack's minimum size to its largest screen's.
        stacked = self.layout()
        if stacked is not None:
            stacked.setSizeConstraint(QLayout.SizeConstraint.SetNoConstraint)
        self.currentChanged.connect(lambda _index: self.updateGeometry())

    def sizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        shown = self.currentWidget()
        return shown.sizeHint() if shown is not None else super().sizeHint()

    def minimumSizeHint(self) -> QSize:  # noqa: N802 (Qt's name)
        shown = self.currentWidget()
        return shown.minimumSizeHint() if shown is not None else super().minimumSizeHint()

    def heightForWidth(self, width: int) -> int:  # noqa: N802 (Qt's name)
        """The screen on show's least height (Qt's would be the tallest screen's preferred
        height whenever any screen wraps text, and the scroll area would always scroll)."""
        shown = self.currentWidget()
        return shown.minimumSizeHint().height() if shown is not None \
            else super().heightForWidth(width)


class MainWindow(QMainWindow):
    """The signed-in window."""

    lock_requested = Signal()
    users_requested = Signal()  # "Sign-ins…": the laptop's sign-ins, adding a colleague's
    problem_report_requested = Signal()  # "Report a problem with the framework…"
    closed = Signal()

    def __init__(self, user: SignedInUser, demo: bool) -> None:
        super().__init__()
        self.user = user
        title = self.tr("Shared Care Planner")
        self.setWindowTitle(title + (self.tr(" — DEMO (synthetic data)") if demo else ""))
        self.nav = QListWidget()
        self.nav.setAccessibleName(self.tr("Screens"))
        self.stack = CurrentPageStack()
        self._keys: list[str] = []
        self.nav.currentRowChanged.connect(self.stack.setCurrentIndex)
        body = QWidget()
        layout = QHBoxLayout(body)
        layout.addWidget(self.nav)
        # A screen larger than the window (a small screen, a large text scale) scrolls
        # inside it, so the window always fits the laptop's screen.
        self.scroller = QScrollArea()
        self.scroller.setWidgetResizable(True)
        self.scroller.setFrameShape(QFrame.Shape.NoFrame)
        self.scroller.setWidget(self.stack)
        self.stack.currentChanged.connect(self._on_stack_current_changed)
        layout.addWidget(self.scroller, 1)
        self.setCentralWidget(body)
        role = ROLE_LABELS.get(str(user.role), str(user.role))
        self.user_label = QLabel(self.tr("Signed in: ") + f"{user.display_name} ({role})")
        self.sync_label = QLabel(self.tr("Sync: not set up"))
        self.sync_label.setAccessibleName(self.tr("Sync state"))
        # No Alt mnemonic: Alt+L would lock while typing in a field (the Sync form's, say)
        # whose own mnemonics do not take it. Ctrl+L locks from anywhere in the window.
        self.lock_button = QPushButton(self.tr("Lock"))
        self.lock_button.setAccessibleName(self.tr("Lock the app"))
        lock_key = QKeySequence("Ctrl+L")
        self.lock_button.setToolTip(self.tr("Lock the app") + f" ({_shown(lock_key)})")
        self.lock_button.setAccessibleDescription(self.tr("Shortcut: ") + _shown(lock_key))
        self.lock_button.clicked.connect(lambda _checked=False: self.lock_requested.emit())
        self.statusBar().addWidget(self.user_label, 1)
        self.statusBar().addPermanentWidget(self.sync_label)
        # Shown by the session controller to roles that may add a colleague's sign-in; no
        # Alt mnemonic either, for the Lock button's reason.
        self.users_button = QPushButton(self.tr("Sign-ins…"))
        self.users_button.setAccessibleName(self.tr("Sign-ins on this laptop"))
        self.users_button.setToolTip(self.tr("Who can sign in on this laptop; add a colleague"))
        self.users_button.clicked.connect(lambda _checked=False: self.users_requested.emit())
        self.users_button.hide()
        self.statusBar().addPermanentWidget(self.users_button)
        # Shown by the problems controller to roles that may report one (all but
        # read-only); no Alt mnemonic, for the Lock button's reason: its key instead.
        report_key = QKeySequence(REPORT_PROBLEM_KEY)
        self.problem_button = QPushButton(self.tr("Report a problem with the framework…"))
        self.problem_button.setAccessibleName(self.tr(
            "Report a problem with the framework to the IPCB"))
        self.problem_button.setToolTip(self.tr(
            "A practical problem with a step or rule of the framework, for the IPCB")
            + f" ({_shown(report_key)})")
        self.problem_button.setAccessibleDescription(self.tr("Shortcut: ")
                                                     + _shown(report_key))
        self.problem_button.clicked.connect(
            lambda _checked=False: self.problem_report_requested.emit())
        self.problem_button.hide()
        self.statusBar().addPermanentWidget(self.problem_button)
        self.statusBar().addPermanentWidget(self.lock_button)
        QShortcut(lock_key, self).activated.connect(self.lock_requested)
        QShortcut(report_key, self).activated.connect(self._on_report_problem_key)
        # Ctrl+F in the screen list goes to the caseload search; screens with a search box
        # of their own take Ctrl+F while they have the focus.
        find = QShortcut(QKeySequence.StandardKey.Find, self.nav,
                         context=Qt.ShortcutContext.WidgetShortcut)
        find.activated.connect(self._on_find_activated)
        self.confirm_close: Callable[[], bool] | None = None
        self.fit_to_screen()

    def _on_report_problem_key(self) -> None:
        if not self.problem_button.isHidden():  # only for a role that may report
            self.problem_report_requested.emit()

    def fit_to_screen(self) -> None:
        """1280×720 where it fits; on a small screen or at a large text scale (a 1366×768
        laptop at 150 % is 910×512 in Qt's units) the window takes the screen instead."""
        # (QWidget.screen() is shadowed here by ``screen(key)``, the screens' lookup.)
        available = QGuiApplication.primaryScreen().availableGeometry()
        self.resize(min(1280, available.width()), min(720, available.height()))

    def _on_stack_current_changed(self, _index: int) -> None:
        # The scroll area sizes the stack again only when asked (a new screen, a new size).
        QCoreApplication.postEvent(self.scroller, QEvent(QEvent.Type.LayoutRequest))

    def add_screen(self, key: str, title: str, widget: QWidget,
                   shortcut: str | None = None) -> None:
        """Add a screen, with its shortcut (fixed per screen by the composition root, so
        the same for every role), named in the screen list's tooltip."""
        self._keys.append(key)
        self.stack.addWidget(widget)
        item = QListWidgetItem(title)
        item.setData(Qt.ItemDataRole.UserRole, key)
        if shortcut:
            sequence = QKeySequence(shortcut)
            item.setToolTip(f"{title} ({_shown(sequence)})")
            item.setData(Qt.ItemDataRole.AccessibleDescriptionRole,
                         self.tr("Shortcut: ") + _shown(sequence))
            QShortcut(sequence, self).activated.connect(lambda k=key: self.show_screen(k))
        self.nav.addItem(item)
        # As wide as the longest screen name, so a large text scale leaves room for the work.
        widest = max(self.nav.fontMetrics().horizontalAdvance(self.nav.item(i).text())
                     for i in range(self.nav.count()))
        self.nav.setFixedWidth(widest + 2 * self.nav.frameWidth() + 24)
        if self.nav.currentRow() < 0:
            self.nav.setCurrentRow(0)

    def show_screen(self, key: str) -> None:
        """Bring a screen to the front."""
        if key in self._keys:
            self.nav.setCurrentRow(self._keys.index(key))

    def _on_find_activated(self) -> None:
        if "caseload" not in self._keys:
            return
        self.show_screen("caseload")
        focus_search = getattr(self.screen("caseload"), "focus_search", None)
        if focus_search is not None:
            focus_search()

    # Shadows QWidget.screen() (the QScreen, which nothing here asks for) on purpose: every
    # caller and test says ``window.screen("caseload")``.
    def screen(self, key: str) -> QWidget:  # type: ignore[override]
        """The widget of a screen."""
        widget = self.stack.widget(self._keys.index(key))
        if widget is None:  # every key was added with its widget
            raise KeyError(key)
        return widget

    def closeEvent(self, event: QCloseEvent) -> None:  # noqa: N802 (Qt's name)
        """Closing the window ends the app (the controller closes the vault), once
        ``confirm_close`` (if set: it warns about changes not yet sent) agrees."""
        if self.confirm_close is not None and not self.confirm_close():
            event.ignore()
            return
        super().closeEvent(event)
        self.closed.emit()
