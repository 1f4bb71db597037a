"""The Sync screen: set the laptop up with the central store, sync now, and deal with what
did not go through (conflicts side by side, refused changes with their reasons).

Everything reaches the services through the callables in ``SyncActions``; the screen never
touches the database or the network itself.

Before the laptop is set up, "Sync now" says so (nothing is sent until it is enrolled) and
goes to the Set up tab; an enrolment that fails says what can be done about it (the address,
the network, the code and its expiry), never that changes will go later by themselves.
"""

from __future__ import annotations

import json
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal

from PySide6.QtCore import QCoreApplication, Qt
from PySide6.QtWidgets import (
    QFormLayout,
    QGroupBox,
    QHBoxLayout,
    QLabel,
    QLineEdit,
    QProgressBar,
    QPushButton,
    QTabWidget,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.sync import (
    CertificateNotTrusted,
    ConflictView,
    EnrolmentRefused,
    NotEnrolled,
    NotTheStore,
    QuarantinedChange,
    ServerUnreachable,
    StoreUnavailable,
    SyncPhase,
    SyncProgress,
    SyncResult,
    SyncSettings,
)
from desktop_app.ui.tables import fill_table, read_only_table
from desktop_app.ui.tasks import Run
from desktop_app.ui.wizard.base import escape_text

ENTITY_WORDS = {
    "person": "Person", "contact": "Contact", "delegation_case": "Delegation",
    "support_plan": "Support plan", "support_plan_task": "Plan task line",
    "funding_split": "Funding share", "consent_record": "Consent",
    "competency_sign_off": "Competency sign-off", "review": "Review",
    "clinical_oversight": "Clinical oversight", "mdt_decision": "MDT decision",
    "shared_care_discussion": "Shared care discussion", "case_example": "Case example",
    "care_provider": "Care provider", "care_worker": "Care worker",
}


Keep = Literal["mine", "theirs"]  # which version of a conflicting record stays


@dataclass(frozen=True)
class SyncActions:
    """The services the screen calls, bound to the signed-in vault (all run off the GUI
    thread through ``run(fn, done, failed)``)."""

    run: Run
    settings: Callable[[], SyncSettings]
    # enrol(server_url, code, device_name, ca_bundle or None)
    enrol: Callable[[str, str, str, str | None], object] | None
    conflicts: Callable[[], Sequence[ConflictView]]
    resolve: Callable[[str, Keep], object] | None
    quarantined: Callable[[], Sequence[QuarantinedChange]]
    retry: Callable[[int], object] | None
    # Like ``run``, for work that waits on the network (enrolment): beside the database
    # thread, so the rest of the app is not held up meanwhile. ``run`` if not given.
    run_network: Run | None = None


def enrolment_problem(error: ExpectedError) -> tuple[str, str | None]:
    """What to say when enrolling failed, and the field to look at again (its name in the
    Set up form: server_url, ca_bundle, device_name or code). Before enrolment nothing is
    sent at all, so this never says that changes go later by themselves."""
    tr = QCoreApplication.translate
    if isinstance(error, ValidationError):
        return error.message, error.field
    if isinstance(error, EnrolmentRefused):
        return tr("SyncPage", "The central store refused the enrolment code: it is unknown, "
                  "already used or out of date (codes expire). Check it was typed as given, or "
                  "ask your admin for a new one. This laptop is not enrolled yet."), "code"
    if isinstance(error, CertificateNotTrusted):
        return tr("SyncPage", "The central store's certificate is not trusted by this laptop, "
                  "so it was not enrolled. Check the CA bundle file your IT team gave you, or "
                  "ask IT."), "ca_bundle"
    if isinstance(error, NotTheStore):
        return tr("SyncPage", "Something other than the central store answered at that "
                  "address (perhaps a Wi-Fi sign-in page), so this laptop was not enrolled. "
                  "Sign in to the network or check the address, then enrol again."), "server_url"
    if isinstance(error, StoreUnavailable):
        return tr("SyncPage", "The central store is not available just now, so this laptop "
                  "was not enrolled. Try again later; if the code has expired by then, ask "
                  "your admin for a new one."), "code"
    if isinstance(error, ServerUnreachable):
        return tr("SyncPage", "The central store could not be reached at that address, so "
                  "this laptop was not enrolled. Check the address (ask your admin if unsure) "
                  "and that the laptop is online, then enrol again; if the code has expired, "
                  "ask for a new one."), "server_url"
    return error.message, None


def _cell(value: object) -> str:
    if value is None:
        return ""
    if isinstance(value, dict | list):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


class SyncPage(QWidget):
    """Settings and enrolment, Sync now / Cancel with progress, conflicts and refusals."""

    def __init__(self, actions: SyncActions, sync_now: Callable[[], object],
                 cancel: Callable[[], object]) -> None:
        super().__init__()
        self._actions, self._sync_now, self._cancel = actions, sync_now, cancel
        self.conflict_rows: list[ConflictView] = []
        self.refused_rows: list[QuarantinedChange] = []
        self.status_label = QLabel(self.tr("Sync: checking…"))
        self.status_label.setAccessibleName(self.tr("Sync state"))
        self.sync_button = QPushButton(self.tr("&Sync now"))
        self.cancel_button = QPushButton(self.tr("&Cancel"))
        self.cancel_button.setEnabled(False)
        self._enrolled: bool | None = None  # not known until the settings are read
        self.sync_button.clicked.connect(lambda _c=False: self.sync_now())
        self.cancel_button.clicked.connect(lambda _c=False: self._cancel())
        self.progress = QProgressBar()
        self.progress.setAccessibleName(self.tr("Sync progress"))
        self.progress.setTextVisible(True)
        self.progress.hide()  # shown while a sync runs
        self.message = QLabel()
        self.message.setWordWrap(True)
        self.message.setAccessibleName(self.tr("Message"))
        self.tabs = QTabWidget()
        self.tabs.addTab(self._conflicts_tab(), self.tr("Conflicts"))
        self.tabs.addTab(self._refused_tab(), self.tr("Refused changes"))
        self.setup_tab = self._setup_box()
        self.tabs.addTab(self.setup_tab, self.tr("Set up"))
        top = QHBoxLayout()
        top.addWidget(self.status_label, 1)
        top.addWidget(self.progress)
        top.addWidget(self.sync_button)
        top.addWidget(self.cancel_button)
        layout = QVBoxLayout(self)
        layout.addWidget(QLabel(f"<h3>{self.tr('Sync with the central store')}</h3>"))
        layout.addLayout(top)
        layout.addWidget(self.message)
        layout.addWidget(self.tabs, 1)

    # ------------------------------------------------------------ building

    def _setup_box(self) -> QWidget:
        box = QGroupBox(self.tr("This laptop and the central store"))
        self.enrolment_label = QLabel()
        self.enrolment_label.setWordWrap(True)
        self.server_edit = QLineEdit()
        self.server_edit.setAccessibleName(self.tr("Central store address"))
        self.server_edit.setPlaceholderText("https://store.example.nhs.uk")
        self.ca_edit = QLineEdit()
        self.ca_edit.setAccessibleName(self.tr("Certificate authority bundle file"))
        self.ca_edit.setPlaceholderText(self.tr("optional: the file your IT team gave you"))
        self.device_edit = QLineEdit()
        self.device_edit.setAccessibleName(self.tr("Name of this laptop"))
        self.device_edit.setPlaceholderText(self.tr("e.g. City North laptop 4"))
        self.code_edit = QLineEdit()
        self.code_edit.setAccessibleName(self.tr("One-time enrolment code"))
        self.enrol_button = QPushButton(self.tr("&Enrol this laptop"))
        self.enrol_button.clicked.connect(lambda _c=False: self.enrol())
        self.code_edit.returnPressed.connect(self.enrol_button.click)
        # Disabled while a code is being spent; a new code can always be tried.
        self.code_edit.textChanged.connect(lambda _text: self.enrol_button.setEnabled(True))
        form = QFormLayout(box)
        form.addRow(self.enrolment_label)
        for text, field in ((self.tr("Store &address:"), self.server_edit),
                            (self.tr("CA &bundle:"), self.ca_edit),
                            (self.tr("Laptop &name:"), self.device_edit),
                            (self.tr("Enrolment c&ode:"), self.code_edit)):
            form.addRow(text, field)
        form.addRow("", self.enrol_button)
        if self._actions.enrol is None:
            self.enrol_button.hide()
            form.addRow(QLabel(self.tr("Ask a nurse or team lead to set up sync.")))
        self.setup_fields: dict[str, QLineEdit] = {
            "server_url": self.server_edit, "ca_bundle": self.ca_edit,
            "device_name": self.device_edit, "code": self.code_edit}
        return box

    def _conflicts_tab(self) -> QWidget:
        page = QWidget()
        self.conflicts_table = read_only_table([self.tr("Record"), self.tr("What differs"),
                                       self.tr("Found")], self.tr("Conflicts"))
        self.conflicts_table.currentCellChanged.connect(
            lambda row, _c, _pr, _pc: self._show_conflict(row))
        self.sides_table = read_only_table([self.tr("Field"), self.tr("On this laptop (mine)"),
                                   self.tr("On the central store (theirs)")],
                                  self.tr("The two versions side by side"))
        self.keep_mine = QPushButton(self.tr("Keep &mine"))
        self.keep_theirs = QPushButton(self.tr("Keep &theirs"))
        self.keep_mine.clicked.connect(lambda _c=False: self.resolve("mine"))
        self.keep_theirs.clicked.connect(lambda _c=False: self.resolve("theirs"))
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(self.tr(
            "Both versions are kept in the record's history whichever you choose.")), 1)
        buttons.addWidget(self.keep_mine)
        buttons.addWidget(self.keep_theirs)
        for button in (self.keep_mine, self.keep_theirs):
            button.setVisible(self._actions.resolve is not None)
        layout = QVBoxLayout(page)
        layout.addWidget(self.conflicts_table, 1)
        layout.addWidget(self.sides_table, 2)
        layout.addLayout(buttons)
        return page

    def _refused_tab(self) -> QWidget:
        page = QWidget()
        self.refused_table = read_only_table(
            [self.tr("Record"), self.tr("Why the store refused it"), self.tr("Changed")],
            self.tr("Refused changes"))
        self.retry_button = QPushButton(self.tr("&Retry"))
        self.retry_button.clicked.connect(lambda _c=False: self.retry())
        self.retry_button.setVisible(self._actions.retry is not None)
        buttons = QHBoxLayout()
        buttons.addWidget(QLabel(self.tr(
            "Refused changes stay on this laptop; the rest carry on syncing.")), 1)
        buttons.addWidget(self.retry_button)
        layout = QVBoxLayout(page)
        layout.addWidget(self.refused_table, 1)
        layout.addLayout(buttons)
        return page

    # ------------------------------------------------------------ loading

    def refresh(self) -> None:
        """Read the settings, conflicts and refused changes again."""
        a = self._actions
        a.run(a.settings, self._on_settings_read)
        a.run(a.conflicts, self._on_conflicts_read)
        a.run(a.quarantined, self._on_refused_read)

    def _on_settings_read(self, s: SyncSettings) -> None:
        self._enrolled = s.enrolled
        if s.enrolled:
            self.enrolment_label.setText(self.tr("Enrolled as %1 for team %2 (%3), user %4.")
                                         .replace("%1", escape_text(s.device_name or ""))
                                         .replace("%2", escape_text(s.team_name or ""))
                                         .replace("%3", escape_text(s.server_url or ""))
                                         .replace("%4", escape_text(s.user_name or "")))
        elif s.revoked_at is not None:
            self.enrolment_label.setText(self.tr(
                "This laptop's access was withdrawn. Ask for a new enrolment code; nothing "
                "waiting to be sent has been lost."))
        else:
            self.enrolment_label.setText(self.tr(
                "Not set up yet. Ask your admin for the store's address and a one-time "
                "enrolment code."))
        if not s.enrolled:
            self.tabs.setCurrentWidget(self.setup_tab)
        if not self.server_edit.text():
            self.server_edit.setText(s.server_url or "")
        if not self.ca_edit.text():
            self.ca_edit.setText(s.ca_bundle or "")

    def _on_conflicts_read(self, rows: Sequence[ConflictView]) -> None:
        self.conflict_rows = list(rows)
        fill_table(self.conflicts_table, [
            [f"{self.tr(ENTITY_WORDS.get(c.entity_type, c.entity_type))} {c.entity_id[:8]}",
             ", ".join(c.differing_fields), c.detected_at.astimezone().strftime(
                 "%d/%m/%Y %H:%M")] for c in self.conflict_rows])
        self._show_conflict(0 if self.conflict_rows else -1)
        self.tabs.setTabText(0, self.tr("Conflicts (%d)") % len(self.conflict_rows))
        enabled = bool(self.conflict_rows)
        self.keep_mine.setEnabled(enabled)
        self.keep_theirs.setEnabled(enabled)

    def _show_conflict(self, row: int) -> None:
        if not 0 <= row < len(self.conflict_rows):
            fill_table(self.sides_table, [])
            return
        c = self.conflict_rows[row]
        fields = list(c.differing_fields) or sorted(set(c.mine) | set(c.theirs))
        rows = [[f, _cell(c.mine.get(f)), _cell(c.theirs.get(f))] for f in fields]
        if c.mine_deleted != c.theirs_deleted:
            rows.insert(0, [self.tr("removed"), self.tr("Yes") if c.mine_deleted else
                            self.tr("No"), self.tr("Yes") if c.theirs_deleted else self.tr("No")])
        fill_table(self.sides_table, rows)

    def _on_refused_read(self, rows: Sequence[QuarantinedChange]) -> None:
        self.refused_rows = list(rows)
        fill_table(self.refused_table, [
            [f"{self.tr(ENTITY_WORDS.get(q.entity_type, q.entity_type))} {q.entity_id[:8]}",
             q.reason, q.created_at.astimezone().strftime("%d/%m/%Y %H:%M")]
            for q in self.refused_rows])
        self.tabs.setTabText(1, self.tr("Refused changes (%d)") % len(self.refused_rows))
        self.retry_button.setEnabled(bool(self.refused_rows))

    # ------------------------------------------------------------ actions

    def sync_now(self) -> None:
        """Sync now; on a laptop not set up, say so and go to setting it up instead."""
        if self._enrolled is False:
            self.show_not_set_up()
            return
        self._sync_now()

    def show_not_set_up(self) -> None:
        """Nothing can be sent before the laptop is enrolled: say so, open the Set up tab
        and put the cursor where setting up starts."""
        if self._actions.enrol is None:
            self.message.setText(self.tr(
                "This laptop is not set up for sync yet, so nothing was sent or received. "
                "Ask a nurse or team lead to set it up on the Set up tab. What you record is "
                "kept on this laptop and sent once it is set up."))
        else:
            self.message.setText(self.tr(
                "This laptop is not set up for sync yet, so nothing was sent or received. "
                "Set it up below: enter the central store's address and the one-time "
                "enrolment code from your admin, then Enrol this laptop. What you record is "
                "kept on this laptop and sent once it is set up."))
        self.tabs.setCurrentWidget(self.setup_tab)
        first = next((e for e in (self.server_edit, self.device_edit, self.code_edit)
                      if not e.text().strip()), self.enrol_button)
        if self._actions.enrol is not None:
            first.setFocus(Qt.FocusReason.OtherFocusReason)

    def enrol(self) -> None:
        """Spend the enrolment code on this laptop."""
        enrol = self._actions.enrol
        if enrol is None:
            return
        server, code = self.server_edit.text().strip(), self.code_edit.text().strip()
        device, ca = self.device_edit.text().strip(), self.ca_edit.text().strip() or None
        missing = [(name, edit) for name, value, edit in (
            (self.tr("the store's address"), server, self.server_edit),
            (self.tr("a name for this laptop"), device, self.device_edit),
            (self.tr("the enrolment code"), code, self.code_edit)) if not value]
        if missing:
            names = [name for name, _edit in missing]
            listed = (names[0] if len(names) == 1 else
                      self.tr("%1 and %2").replace("%1", ", ".join(names[:-1]))
                      .replace("%2", names[-1]))
            self.message.setText(self.tr("Enter %1 to enrol this laptop.").replace("%1", listed))
            missing[0][1].setFocus(Qt.FocusReason.OtherFocusReason)
            return
        self.message.setText(self.tr("Enrolling…"))
        self.enrol_button.setEnabled(False)  # one code, spent once
        (self._actions.run_network or self._actions.run)(
            lambda: enrol(server, code, device, ca), self._on_enrolled,
            self._on_enrol_failed)

    def _on_enrol_failed(self, error: ExpectedError) -> None:
        self.enrol_button.setEnabled(True)
        message, field = enrolment_problem(error)
        self.message.setText(f"<span style='color:#a00000'><b>{escape_text(message)}"
                             "</b></span>")
        self.tabs.setCurrentWidget(self.setup_tab)
        target = self.setup_fields.get(field or "")
        if target is not None:
            target.setFocus(Qt.FocusReason.OtherFocusReason)
            target.selectAll()

    def _on_enrolled(self, _enrolment: object) -> None:
        self.enrol_button.setEnabled(True)
        self.code_edit.clear()
        self.message.setText(self.tr("This laptop is enrolled. Syncing now."))
        self.refresh()
        self._sync_now()

    def resolve(self, keep: Keep) -> None:
        """Keep my version or theirs for the selected conflict."""
        row = self.conflicts_table.currentRow()
        resolve = self._actions.resolve
        if resolve is None or not 0 <= row < len(self.conflict_rows):
            return
        conflict_id = self.conflict_rows[row].id
        self._actions.run(lambda: resolve(conflict_id, keep), self._on_resolved,
                          self._on_action_failed)

    def _on_resolved(self, _view: object) -> None:
        self.message.setText(self.tr("Conflict resolved; the choice goes out with the next "
                                     "sync."))
        self.refresh()

    def retry(self) -> None:
        """Queue the selected refused change again."""
        row = self.refused_table.currentRow()
        retry = self._actions.retry
        if retry is None or not 0 <= row < len(self.refused_rows):
            return
        seq = self.refused_rows[row].seq
        self._actions.run(lambda: retry(seq), lambda _r: self._on_retried(),
                          self._on_action_failed)

    def _on_retried(self) -> None:
        self.message.setText(self.tr("Queued again; it goes with the next sync."))
        self.refresh()

    def _on_action_failed(self, error: ExpectedError) -> None:
        self.message.setText(f"<span style='color:#a00000'><b>{escape_text(error.message)}"
                             "</b></span>")

    # ------------------------------------------------------------ run state

    def show_status(self, text: str) -> None:
        """The status line (the same words as the status bar)."""
        self.status_label.setText(text)

    def show_running(self, running: bool) -> None:
        """Sync now off and Cancel on while a run goes."""
        self.sync_button.setEnabled(not running)
        self.cancel_button.setEnabled(running)
        self.progress.setVisible(running)
        if running:
            self.progress.setRange(0, 0)

    def show_progress(self, progress: SyncProgress) -> None:
        """Changes sent of the total, or records received."""
        if progress.phase is SyncPhase.PUSHING and progress.total:
            self.progress.setRange(0, progress.total)
            self.progress.setValue(progress.done)
            self.progress.setFormat(self.tr("Sending %v of %m"))
        elif progress.phase is SyncPhase.PULLING:
            self.progress.setRange(0, 0)
            self.message.setText(self.tr("Received %d records") % progress.done)

    def show_finished(self, outcome: SyncResult | BaseException | None) -> None:
        """A run ended: what it did, or why not."""
        self.show_running(False)
        self.progress.setRange(0, 1)
        self.progress.setValue(1)
        self.progress.setFormat("")
        if isinstance(outcome, NotEnrolled):
            self._enrolled = False
            self.show_not_set_up()
        elif isinstance(outcome, ExpectedError):
            self.message.setText(escape_text(outcome.message))
        elif isinstance(outcome, SyncResult) and outcome.cancelled:
            self.message.setText(self.tr("Sync cancelled; what was sent stays sent."))
        elif isinstance(outcome, SyncResult):
            done = self.tr("Sent %1, received %2.").replace(
                "%1", str(outcome.pushed)).replace("%2", str(outcome.pulled))
            # The store refused this laptop's audit trail: records still synced; say so.
            text = done if outcome.audit_message is None else (
                f"{escape_text(done)}<br><span style='color:#a00000'><b>"
                f"{escape_text(outcome.audit_message)}</b></span>")
            # The IPCB's new flow or catalogue versions, received or refused, a line each.
            self.message.setText("<br>".join([text, *map(escape_text, outcome.framework)]))
        self.refresh()
