"""The form dialog every register's add and record forms are made of, and its typed date.

A ``FormDialog`` shows labelled fields (each label's mnemonic goes to its field), a problem
line under each field and one under the form, and its action button (text given) with
Cancel: Enter acts, Escape cancels, Tab goes down the fields then the buttons, and every
control has an accessible name. Acting emits ``entered`` with ``value()``; the caller saves
it off the GUI thread and closes the form only when the save succeeded. A refusal
(``show_error``) is shown beside the field it names, with the focus there and everything
typed kept.

A ``DateInput`` is the one date field of the app: typed day first (31/01/2027, 5/2/2027,
05022027, 5 Feb 2027; yyyy-mm-dd too) or picked from a calendar (its "…" button, or Alt+Down
or F4 in the date, as in Qt's own date fields). A date that is not one is refused with a
``ValidationError`` naming its field, and marked when the field is left. ``DateLine`` (here)
gives a ``datetime.date``; the wizard's ``DateField`` gives ISO text for its answers.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Mapping, Sequence
from typing import Any, Generic, TypeVar

from PySide6.QtCore import QDate, QPoint, Qt, Signal
from PySide6.QtGui import QFocusEvent, QKeyEvent, QResizeEvent
from PySide6.QtWidgets import (
    QCalendarWidget,
    QDialog,
    QDialogButtonBox,
    QFormLayout,
    QLabel,
    QLineEdit,
    QToolButton,
    QToolTip,
    QVBoxLayout,
    QWidget,
)

from desktop_app.services.core.dates import read_uk_date
from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.ui.tables import uk_date
from desktop_app.ui.tasks import Run

R = TypeVar("R")
ERROR_STYLE = "color: #a00000; font-weight: bold;"
_BAD_DATE_STYLE = "border: 2px solid #a00000;"


class DateInput(QLineEdit):
    """A date typed the UK way (``desktop_app.services.core.dates.read_uk_date``: 5/12/2026,
    05122026, 5 Dec 2026…; a four-digit year: hazard H-020) or picked from a calendar (the
    "…" button, Alt+Down or F4). Leaving the field shows the date as it was read
    (dd/mm/yyyy), or, when it is not a date, keeps the text, marks the field and says why
    (``problem_found``); it never goes blank. ``changed`` fires on typing and on a pick,
    ``picked`` on a pick only. ``field`` is the name a refusal gives (``FormDialog.add_field``
    sets it)."""

    changed = Signal()
    picked = Signal()
    problem_found = Signal(str)

    def __init__(self, name: str, day: dt.date | None = None, field: str | None = None) -> None:
        super().__init__(uk_date(day))
        self.name = name
        self.field = field
        self.setAccessibleName(name)
        self.setPlaceholderText(self.tr("dd/mm/yyyy"))
        self._hint = self.tr("Type the date day first (31/01/2027, 31012027 or 31 Jan 2027), "
                             "or Alt+Down or F4 for a calendar")
        self.setToolTip(self._hint)
        self.pick = QToolButton(self)
        self.pick.setText("…")
        self.pick.setAccessibleName(self.tr("Pick %s from a calendar") % name)
        self.pick.setToolTip(self.tr("Pick from a calendar (Alt+Down or F4 in the date)"))
        self.pick.setCursor(Qt.CursorShape.ArrowCursor)
        # Not a Tab stop of its own, as in Qt's date fields: Alt+Down or F4 opens it.
        self.pick.setFocusPolicy(Qt.FocusPolicy.NoFocus)
        self.pick.clicked.connect(lambda _checked=False: self.open_calendar())
        button = self.pick.sizeHint().width()
        self.setTextMargins(0, 0, button, 0)
        self.setMinimumHeight(self.pick.sizeHint().height() + 2)  # the button never clipped
        self.setMinimumWidth(self.fontMetrics().horizontalAdvance("00/00/00000") + 12 + button)
        self.setMaximumWidth(self.fontMetrics().horizontalAdvance("Wed 00 Sep 00000") + 24
                             + button)
        self.calendar_dialog: QDialog | None = None
        # A form that shows problems under its fields (FormDialog) says it there; anywhere
        # else the words pop up beside the field when it is left.
        self.says_problems_itself = False
        self.textEdited.connect(self._on_text_edited)
        self.editingFinished.connect(self._on_editing_finished)

    def resizeEvent(self, event: QResizeEvent) -> None:  # noqa: N802 (Qt's name)
        """The calendar button inside the right end of the line."""
        super().resizeEvent(event)
        width = self.pick.sizeHint().width()
        self.pick.setGeometry(self.width() - width - 1, 1, width, self.height() - 2)

    def focusInEvent(self, event: QFocusEvent) -> None:  # noqa: N802 (Qt's name)
        """Coming to the date by any way but a click selects it, so typing replaces it (as
        Tab does in any line)."""
        super().focusInEvent(event)
        if event.reason() != Qt.FocusReason.MouseFocusReason:
            self.selectAll()

    def keyPressEvent(self, event: QKeyEvent) -> None:  # noqa: N802 (Qt's name)
        """Alt+Down or F4 opens the calendar."""
        alt_down = (event.key() == Qt.Key.Key_Down
                    and event.modifiers() & Qt.KeyboardModifier.AltModifier)
        if alt_down or event.key() == Qt.Key.Key_F4:
            self.open_calendar()
            event.accept()
            return
        super().keyPressEvent(event)

    def day(self) -> dt.date | None:
        """The date, None when blank; ValidationError naming ``field`` when not a date."""
        return read_uk_date(self.text(), self.field)

    def set_day(self, day: dt.date | None) -> None:
        """Show a date (None clears it); ``changed`` fires when that changes what shows."""
        shown = uk_date(day)
        if shown != self.text():
            self.setText(shown)
            self.changed.emit()
        self._mark(None)

    def problem(self) -> str | None:
        """Why the text is not a date, None when it is one or blank."""
        try:
            self.day()
        except ValidationError as refused:
            return refused.message
        return None

    def _on_text_edited(self, _text: str) -> None:
        self._mark(None)
        self.changed.emit()

    def _on_editing_finished(self) -> None:
        try:
            day = self.day()
        except ValidationError as refused:
            self._mark(refused.message)
            self.problem_found.emit(refused.message)
            if not self.says_problems_itself and self.isVisible():
                QToolTip.showText(self.mapToGlobal(QPoint(0, self.height())),
                                  refused.message, self)
            return
        if day is not None and self.text() != uk_date(day):
            self.setText(uk_date(day))  # show how it was read: 5 Dec 2026 -> 05/12/2026
        self._mark(None)

    def _mark(self, problem: str | None) -> None:
        self.setStyleSheet(f"{type(self).__name__} {{ {_BAD_DATE_STYLE} }}" if problem else "")
        self.setAccessibleDescription(problem or "")
        self.setToolTip(problem or self._hint)

    def open_calendar(self) -> QDialog:
        """A calendar on the date typed (else today): Enter picks, Escape leaves it."""
        dialog = QDialog(self)
        dialog.setWindowTitle(self.name)
        calendar = QCalendarWidget()
        calendar.setAccessibleName(self.tr("Calendar for %s") % self.name)
        try:
            shown = self.day() or dt.date.today()
        except ValidationError:
            shown = dt.date.today()
        calendar.setSelectedDate(QDate(shown.year, shown.month, shown.day))

        def picked(day: QDate) -> None:
            self.set_day(dt.date(day.year(), day.month(), day.day()))
            dialog.accept()
            self.setFocus()
            self.picked.emit()

        calendar.activated.connect(picked)
        QVBoxLayout(dialog).addWidget(calendar)
        self.calendar_dialog = dialog
        dialog.open()
        calendar.setFocus()
        return dialog


class DateLine(DateInput):
    """A typed date whose ``value()`` is the ``datetime.date`` (None when blank), for the
    register and record forms."""

    def value(self) -> dt.date | None:
        """The date, None when blank; ValidationError naming ``field`` when not a date."""
        return self.day()

    def set_value(self, day: dt.date | None) -> None:
        """Show a date (None clears it)."""
        self.set_day(day)


class FormDialog(QDialog, Generic[R]):
    """A form of labelled fields, each with its problem line under it, one problem line
    under the form, and the action button with Cancel (module docstring). Subclasses add
    their fields (``add_field``), call ``chain_tabs`` and give ``value()``."""

    entered = Signal(object)

    def __init__(self, title: str, action_text: str, parent: QWidget | None) -> None:
        super().__init__(parent)
        self.setWindowTitle(title)
        self.form = QFormLayout()
        self.fields: dict[str, QWidget] = {}
        self.problems: dict[str, QLabel] = {}
        self.error_label = QLabel()
        self.error_label.setWordWrap(True)
        self.error_label.setStyleSheet(ERROR_STYLE)
        self.error_label.setAccessibleName(self.tr("Problem"))
        self.buttons = QDialogButtonBox(QDialogButtonBox.StandardButton.Ok
                                        | QDialogButtonBox.StandardButton.Cancel)
        self.ok_button = self.buttons.button(QDialogButtonBox.StandardButton.Ok)
        self.ok_button.setText(action_text)
        self.ok_button.setAccessibleName(action_text.replace("&", ""))
        self.cancel_button = self.buttons.button(QDialogButtonBox.StandardButton.Cancel)
        self.cancel_button.setAccessibleName(self.tr("Cancel"))
        self.buttons.accepted.connect(self._on_buttons_accepted)
        self.buttons.rejected.connect(self.reject)
        layout = QVBoxLayout(self)
        self.intro = QLabel()
        self.intro.setWordWrap(True)
        self.intro.hide()
        layout.addWidget(self.intro)
        layout.addLayout(self.form)
        layout.addWidget(self.error_label)
        layout.addWidget(self.buttons)

    def add_field(self, name: str, label: str, widget: QWidget,
                  focus: QWidget | None = None) -> None:
        """A labelled field (``focus``: the part the label's mnemonic and a problem's focus
        go to, else ``widget``) with its problem line under it."""
        target = focus or widget
        if isinstance(target, DateInput):
            target.field = target.field or name
            target.says_problems_itself = True
            # Said as soon as the date is left, not only on the action button.
            target.problem_found.connect(lambda message: self._note_problem(name, message))
            target.changed.connect(lambda: self._note_problem(name, ""))
        problem = QLabel()
        problem.setWordWrap(True)
        problem.setStyleSheet(ERROR_STYLE)
        problem.setAccessibleName(self.tr("Problem with %s") % (
            label.replace("&", "").rstrip(":") or target.accessibleName()))
        problem.hide()
        box = QWidget()
        column = QVBoxLayout(box)
        column.setContentsMargins(0, 0, 0, 0)
        column.setSpacing(2)
        column.addWidget(widget)
        column.addWidget(problem)
        caption = QLabel(label)
        caption.setBuddy(target)
        self.form.addRow(caption, box)
        self.fields[name], self.problems[name] = target, problem

    def chain_tabs(self, after: Mapping[str, Sequence[QWidget]] | None = None) -> None:
        """Tab goes down the fields in the order shown (``after``: a field's further
        controls, such as its other check boxes), then the action button and Cancel."""
        order: list[QWidget] = []
        for name, widget in self.fields.items():
            if widget.focusPolicy() != Qt.FocusPolicy.NoFocus or widget.focusProxy():
                order.append(widget)
            order += (after or {}).get(name, ())
        order += [self.ok_button, self.cancel_button]
        for first, second in zip(order, order[1:], strict=False):
            QWidget.setTabOrder(first, second)

    def value(self) -> R:
        """What is typed, as the service's input (ValidationError naming the field)."""
        raise NotImplementedError

    def show_problem(self, message: str, field: str | None = None) -> None:
        """Say what is wrong beside the field it names (under the form if none) and focus
        that field; nothing typed is touched."""
        self.clear_problems()
        target = self.problems.get(field or "")
        if target is None:
            self.error_label.setText(message)
        else:
            target.setText(message)
            target.show()
            self.fields[str(field)].setFocus()
        self._fit()

    def _note_problem(self, name: str, message: str) -> None:
        """Show (or, with no message, hide) the problem under one field, leaving the focus
        where the user put it."""
        label = self.problems[name]
        label.setText(message)
        label.setVisible(bool(message))
        if message:
            self._fit()

    def show_error(self, error: ExpectedError) -> None:
        """A refusal (the service's or the form's own): everything typed stays."""
        self.show_problem(error.message, error.field if isinstance(error, ValidationError)
                          else None)

    def clear_problems(self) -> None:
        self.error_label.setText("")
        for label in self.problems.values():
            label.setText("")
            label.hide()

    def _fit(self) -> None:
        """Grow to show a message in full (never shrink what the user sized)."""
        layout = self.layout()
        if layout is not None:
            layout.activate()
        hint = self.sizeHint()
        self.resize(max(self.width(), hint.width()), max(self.height(), hint.height()))

    def _on_buttons_accepted(self) -> None:
        try:
            data = self.value()
        except ValidationError as problem:
            self.show_error(problem)
            return
        self.clear_problems()
        self.error_label.setText(self.tr("Saving…"))
        self.entered.emit(data)


def save_from(dialog: FormDialog[Any], run: Run, work_for: Callable[[Any], Callable[[], R]],
              saved: Callable[[R], None]) -> None:
    """Save what ``dialog`` enters: ``work_for(data)`` (asked on the GUI thread) is the work
    to run on the database thread; on success the dialog closes and ``saved`` gets the
    answer, on a refusal the dialog stays open with the message beside the field."""

    def on_saved(result: R) -> None:
        dialog.accept()
        saved(result)

    dialog.entered.connect(lambda data: run(work_for(data), on_saved, dialog.show_error))
