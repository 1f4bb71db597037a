"""The register screens, driven with the keyboard as a nurse would, on fake services.

``run`` here calls the work at once and hands the answer back, as ``TaskRunner.run`` does
later on the GUI thread; the service calls are recorded so the tests see what was asked.
"""

from __future__ import annotations

import dataclasses
import datetime as dt
import re
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt
from PySide6.QtGui import QColor
from PySide6.QtWidgets import (
    QAbstractButton,
    QAbstractItemView,
    QAbstractSpinBox,
    QComboBox,
    QHeaderView,
    QLabel,
    QLineEdit,
    QPlainTextEdit,
    QWidget,
)

from desktop_app.models.competency import AssessmentOutcome, BackfillPayer, SignOffStatus
from desktop_app.models.plan import Funder
from desktop_app.models.review import ReviewKind, ReviewOutcome
from desktop_app.services.core.errors import ExpectedError, ValidationError
from desktop_app.services.framework.review_schedule import ReviewStatus
from desktop_app.services.providers.competence import AssessmentRow, SignOffRow, TrainingRow
from desktop_app.services.registers import (
    AssessmentChoices,
    CaseExampleRow,
    CompetencyRow,
    EscalationRow,
    Expiry,
    Option,
    RecordedReview,
    ReviewDueRow,
    WaitingFor,
)
from desktop_app.ui.registers import (
    TONE_COLOURS,
    CaseExamplesWidget,
    CompetencyRegisterWidget,
    EscalationsWidget,
    ReviewAnswers,
    ReviewsDueWidget,
    Tone,
)
from desktop_app.ui.registers.competence_forms import AssessmentDialog, TrainingDialog

TODAY = dt.date(2027, 2, 10)
RED, AMBER = (QColor(TONE_COLOURS[t][0]) for t in (Tone.ALERT, Tone.WARNING))


def run(fn: Callable[[], Any], done: Callable[[Any], None], _failed: Any = None) -> None:
    done(fn())


def review(review_id: str, due: dt.date, status: ReviewStatus) -> ReviewDueRow:
    return ReviewDueRow(review_id, "case-" + review_id, "p-" + review_id, "Edith Testperson",
                        "999 000 0018", "eye_drops", "Eye drops", ReviewKind.THREE_MONTH, due,
                        (TODAY - due).days, status)


REVIEWS = [review("r1", dt.date(2027, 1, 31), ReviewStatus.OVERDUE),
           review("r2", dt.date(2027, 2, 15), ReviewStatus.DUE_SOON),
           review("r3", TODAY, ReviewStatus.DUE_SOON),
           review("r4", dt.date(2027, 6, 1), ReviewStatus.NOT_DUE)]


def sign_off(sign_off_id: str, refresher: dt.date, expiry: Expiry,
             status: SignOffStatus = SignOffStatus.CURRENT) -> CompetencyRow:
    return CompetencyRow(sign_off_id, "w1", "Aisha Worker", "Demo Homecare Ltd", "p1",
                         "Edith Testperson", "999 000 0018", "eye_drops", "Eye drops", 1,
                         dt.date(2026, 1, 1), refresher, (refresher - TODAY).days, status,
                         expiry, "c1")


SIGN_OFFS = [sign_off("s1", dt.date(2027, 2, 1), Expiry.EXPIRED),
             sign_off("s2", dt.date(2027, 1, 1), Expiry.EXPIRED, SignOffStatus.WITHDRAWN),
             sign_off("s3", dt.date(2027, 3, 1), Expiry.EXPIRING),
             sign_off("s4", dt.date(2027, 9, 1), Expiry.OK)]

ESCALATIONS = [
    EscalationRow("d1", "c1", "p1", "Arthur Sample", "999 000 0026", "insulin_prefilled_pen",
                  "Insulin pen", "Who funds the extra visit?", WaitingFor.FUNDING_DECISION,
                  dt.date(2026, 12, 1), 71, Funder.ICB, "LLR ICB", dt.date(2026, 12, 1), 10000,
                  "£100.00", True, "MLCSU-999-1", ("funding",)),
    EscalationRow("d2", "c2", "p2", "Grace Example", "999 000 0034", "peg_feed", "PEG feed",
                  "Can the PEG feed be delegated?", WaitingFor.MDT_CONSENSUS,
                  dt.date(2027, 1, 20), 21, Funder.ICB, "LLR ICB", None, None, "", False, None,
                  ("delegation",)),
]

EXAMPLES = [
    CaseExampleRow("e1", "feeding_digestive", "Feeding and digestive", "peg_feed", "PEG feed",
                   ("consent",), "A best-interests decision was recorded.",
                   "DELEGATED_HEALTH_FUNDED", "Delegated, extra time funded by the NHS",
                   dt.date(2026, 11, 1)),
    CaseExampleRow("e2", "medication", "Specialised medication administration", "eye_drops",
                   "Eye drops", ("funding", "training"), "Health funded it without prejudice.",
                   "WITHDRAWN", "Delegation withdrawn", dt.date(2026, 9, 1)),
]


def cell(widget: Any, row: int, column: int, role: int = Qt.ItemDataRole.DisplayRole) -> Any:
    model = widget.model
    return model.data(model.index(row, column), role)


def background(widget: Any, row: int) -> QColor | None:
    return cell(widget, row, 0, Qt.ItemDataRole.BackgroundRole)


def controls(root: QWidget) -> list[QWidget]:
    """The widgets a person operates, leaving out the parts Qt builds inside them."""
    inner = (QAbstractSpinBox, QComboBox, QAbstractItemView)
    found = []
    for widget in root.findChildren(QWidget):
        if not isinstance(widget, QAbstractButton | QLineEdit | QComboBox | QAbstractItemView
                          | QAbstractSpinBox | QPlainTextEdit) or isinstance(widget, QHeaderView):
            continue
        parent = widget.parentWidget()
        while parent is not None and parent is not root and not isinstance(parent, inner):
            parent = parent.parentWidget()
        if parent is None or parent is root:
            found.append(widget)
    return found


def assert_named(root: QWidget) -> None:
    found = controls(root)
    assert len(found) >= 2, found
    unnamed = [f"{type(w).__name__} {w.objectName()!r}" for w in found if not w.accessibleName()]
    assert not unnamed, unnamed


class Recorder:
    """A fake service that remembers its calls and returns a fixed answer."""

    def __init__(self, answer: Any = None) -> None:
        self.calls: list[tuple[Any, ...]] = []
        self.answer = answer

    def __call__(self, *args: Any) -> Any:
        self.calls.append(args)
        return self.answer


# ---------------------------------------------------------------- reviews due


@pytest.fixture
def reviews(qtbot: Any) -> tuple[ReviewsDueWidget, Recorder, Recorder]:
    load = Recorder(REVIEWS)
    record = Recorder(RecordedReview("r1", "case-r1", ReviewOutcome.CONTINUE, "CONTINUE", (),
                                     dt.date(2028, 1, 31), "r9", False, 0, 0))
    widget = ReviewsDueWidget(run, load, record, today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    qtbot.waitExposed(widget)
    return widget, load, record


@pytest.mark.hazard("H-010")
def test_reviews_due_colours_rows_and_says_so_in_words(reviews: Any) -> None:
    widget, load, _ = reviews
    assert len(load.calls) == 1 and widget.model.rowCount() == 4
    assert [cell(widget, r, 0) for r in range(4)] == [
        "Overdue by 10 days", "Due soon: in 5 days", "Due today", "Not due yet"]
    assert [background(widget, r) for r in range(4)] == [RED, AMBER, AMBER, None]
    assert cell(widget, 0, 1) == "31/01/2027" and cell(widget, 0, 2) == "Edith Testperson"
    assert "4 reviews" in widget.count_label.text()


def test_record_dialog_needs_an_outcome_and_records_nothing_without_one(
        qtbot: Any, reviews: Any) -> None:
    widget, _, record = reviews
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    dialog = widget.review_dialog
    assert dialog is not None and dialog.isVisible()
    for answer in (dialog.stable.yes, dialog.competent.yes, dialog.incident.no):
        qtbot.keyClick(answer, Qt.Key.Key_Space)
    with qtbot.assertNotEmitted(dialog.review_entered):
        qtbot.keyClick(dialog.incident.no, Qt.Key.Key_Return)
    assert "Choose the outcome" in dialog.error_label.text()
    assert record.calls == [] and dialog.isVisible()


@pytest.mark.hazard("H-001")
@pytest.mark.hazard("H-029")
@pytest.mark.parametrize(("outcome", "answers", "notes", "problem"), [
    ("continue_button", ("yes", "no", "no"), "Out of date", "choose Withdraw"),
    ("withdraw_button", ("yes", "yes", "no"), "", "Say in the notes"),
    ("change_button", ("yes", "yes", None), "Spacer", "Answer all three"),
])
def test_record_dialog_refuses_contradictions(qtbot: Any, reviews: Any, outcome: str,
                                              answers: tuple[str | None, ...], notes: str,
                                              problem: str) -> None:
    widget, _, record = reviews
    dialog = widget.open_record_dialog(0)
    qtbot.keyClick(getattr(dialog, outcome), Qt.Key.Key_Space)
    for question, answer in zip((dialog.stable, dialog.competent, dialog.incident), answers,
                                strict=True):
        if answer:
            qtbot.keyClick(getattr(question, answer), Qt.Key.Key_Space)
    qtbot.keyClicks(dialog.notes_edit, notes)
    qtbot.mouseClick(dialog.buttons.buttons()[0], Qt.MouseButton.LeftButton)
    assert problem in dialog.error_label.text() and record.calls == []


def test_record_dialog_filled_by_keyboard_calls_record(qtbot: Any, reviews: Any) -> None:
    widget, load, record = reviews
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Down)  # the second row: r2
    qtbot.keyClick(widget.table, Qt.Key.Key_Up)  # and back to the first: r1
    qtbot.keyClick(widget.table, Qt.Key.Key_Enter)
    dialog = widget.review_dialog
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)

    def press(key: Qt.Key, times: int = 1) -> None:
        for _ in range(times):
            qtbot.keyClick(dialog.focusWidget(), key)

    assert dialog.focusWidget() is dialog.done_edit
    qtbot.keyClicks(dialog.done_edit, "05022027")  # day, month and year, no separators
    assert dialog.done_edit.value() == dt.date(2027, 2, 5)
    press(Qt.Key.Key_Tab)  # Tab goes on to the outcome
    assert dialog.focusWidget() is dialog.continue_button
    press(Qt.Key.Key_Space)
    for question in (dialog.stable, dialog.competent):
        press(Qt.Key.Key_Tab)
        assert dialog.focusWidget() is question.yes
        press(Qt.Key.Key_Space)
    press(Qt.Key.Key_Tab)
    press(Qt.Key.Key_Right)  # arrows move within a yes/no pair: to "No" serious incident
    assert dialog.focusWidget() is dialog.incident.no
    press(Qt.Key.Key_Space)
    press(Qt.Key.Key_Tab)
    assert dialog.focusWidget() is dialog.notes_edit
    qtbot.keyClicks(dialog.notes_edit, "All well")
    press(Qt.Key.Key_Tab)  # Tab leaves the notes for "no longer open to CHS" (unticked)
    assert dialog.focusWidget() is dialog.left_chs and not dialog.left_chs.isChecked()
    press(Qt.Key.Key_Tab)  # then the Record button
    assert dialog.focusWidget().text() == "&Record"
    press(Qt.Key.Key_Space)
    assert record.calls == [(ReviewAnswers("r1", dt.date(2027, 2, 5), ReviewOutcome.CONTINUE,
                                           True, True, False, "All well"),)]
    assert not dialog.isVisible() and widget.review_dialog is None
    assert "31/01/2028" in widget.message_label.text()
    assert len(load.calls) == 2  # the list is loaded again


def test_reviews_tab_order_and_mnemonic(qtbot: Any, reviews: Any) -> None:
    widget, _, _ = reviews
    widget.activateWindow()
    qtbot.waitUntil(widget.isActiveWindow)
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Tab)
    assert widget.focusWidget() is widget.record_button
    assert "&" in widget.record_button.text() and "&" in widget.refresh_button.text()
    qtbot.keyClick(widget.record_button, Qt.Key.Key_Space)
    assert widget.review_dialog is not None


def mnemonics(root: QWidget) -> list[str]:
    texts = [w.text() for w in root.findChildren(QAbstractButton) + root.findChildren(QLabel)
             if w.window() is root.window()]  # not a dialog the screen has opened
    return [m.lower() for t in texts for m in re.findall(r"(?<!&)&([^&])", t)]


def test_mnemonics_are_unique_on_each_screen(reviews: Any, examples: Any) -> None:
    widget = reviews[0]
    dialog = widget.open_record_dialog(0)
    for root in (widget, dialog, examples[0]):
        keys = mnemonics(root)
        assert len(keys) >= 2 and len(keys) == len(set(keys)), keys
    assert set(mnemonics(dialog)) >= {"d", "c", "h", "w", "s", "p", "i", "n", "r"}


def test_reviews_controls_have_accessible_names(reviews: Any) -> None:
    widget, _, _ = reviews
    assert_named(widget)
    dialog = widget.open_record_dialog(0)
    assert_named(dialog)
    assert len(controls(dialog)) >= 11  # date, 3 outcomes, 6 yes/no, notes (+ buttons)


# ---------------------------------------------------------------- competency register


@pytest.fixture
def competency(qtbot: Any) -> tuple[CompetencyRegisterWidget, Recorder]:
    withdraw = Recorder()
    widget = CompetencyRegisterWidget(run, Recorder(SIGN_OFFS), withdraw)
    qtbot.addWidget(widget)
    widget.show()
    return widget, withdraw


@pytest.mark.hazard("H-005")
@pytest.mark.hazard("H-031")
def test_competency_register_colours_current_sign_offs_and_says_so(competency: Any) -> None:
    widget, _ = competency
    assert [cell(widget, r, 0) for r in range(4)] == [
        "Expired 9 days ago", "Expired 40 days ago", "Expiring: in 19 days", "In date"]
    assert [cell(widget, r, 1) for r in range(4)] == ["Current", "Withdrawn", "Current",
                                                      "Current"]
    assert [background(widget, r) for r in range(4)] == [RED, None, AMBER, None]
    assert "4 sign-offs" in widget.count_label.text()


def test_withdraw_sign_off_asks_for_a_reason(qtbot: Any, competency: Any) -> None:
    widget, withdraw = competency
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Return)
    dialog = widget.reason_dialog
    assert dialog is not None
    assert_named(dialog)
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    assert dialog.error_label.text() and withdraw.calls == []
    qtbot.keyClicks(dialog.reason_edit, "Incident on 2 February")
    qtbot.keyClick(dialog.reason_edit, Qt.Key.Key_Return)
    assert withdraw.calls == [("s1", "Incident on 2 February")]
    assert widget.reason_dialog is None and "withdrawn" in widget.message_label.text()


def test_an_already_withdrawn_sign_off_is_not_withdrawn_again(competency: Any) -> None:
    widget, withdraw = competency
    assert widget.open_withdraw_dialog(1) is None
    assert "already" in widget.message_label.text() and withdraw.calls == []


def test_competency_controls_have_accessible_names(competency: Any) -> None:
    assert_named(competency[0])


# ---------------------------------------------------------------- competence over time

CHOICES = AssessmentChoices(
    (Option("w1", "Aisha Worker (Demo Homecare Ltd)"),
     Option("w2", "Tomasz Worker (Demo Homecare Ltd)")),
    (Option("p1", "Edith Testperson, NHS number 999 000 0018"),),
    (Option("eye_drops", "Eye drops"), Option("peg_feed", "PEG feed")),
    (TrainingRow("t1", "w1", "Aisha Worker", "Demo Homecare Ltd", None, None, "eye_drops",
                 "Eye drops", 1, dt.date(2027, 1, 5), "Tom Trainer", "Eye drops v2", 0, 0,
                 None, 0),))
SIGNED = SignOffRow("s9", SignOffStatus.CURRENT, 1, "Tom Trainer", "Ann Assessor", "SfC",
                    dt.date(2027, 2, 9), dt.date(2028, 2, 9), None, "s1", "t1", "c1")


def run_or_fail(fn: Callable[[], Any], done: Callable[[Any], None],
                failed: Callable[[Any], None] | None = None) -> None:
    """``run`` that hands an expected error to ``failed``, as the app's runner does."""
    try:
        result = fn()
    except ExpectedError as error:
        assert failed is not None
        failed(error)
        return
    done(result)


@pytest.fixture
def competence(qtbot: Any) -> tuple[CompetencyRegisterWidget, dict[str, Recorder]]:
    superseded = sign_off("s0", dt.date(2026, 12, 1), Expiry.EXPIRED, SignOffStatus.SUPERSEDED)
    calls = {"load": Recorder([*SIGN_OFFS, superseded]),
             "assess": Recorder(AssessmentRow("a1", "w1", "p1", "eye_drops", TODAY,
                                              AssessmentOutcome.COMPETENT, None, None, None,
                                              SIGNED, "s1", None)),
             "train": Recorder(dataclasses.replace(
                 CHOICES.training[0], backfill_minutes=450, backfill_pence_per_hour=1234,
                 backfill_payer=BackfillPayer.ICB, backfill_pence=9255))}
    widget = CompetencyRegisterWidget(
        run_or_fail, calls["load"], Recorder(), choices=lambda: CHOICES,
        record_assessment=calls["assess"], record_refresher=calls["assess"],
        record_training=calls["train"], today=lambda: TODAY)
    qtbot.addWidget(widget)
    widget.show()
    return widget, calls


def test_superseded_sign_offs_are_hidden_until_asked_for(qtbot: Any, competence: Any) -> None:
    widget, _ = competence
    assert widget.model.rowCount() == 4
    widget.superseded_check.setFocus()
    qtbot.keyClick(widget.superseded_check, Qt.Key.Key_Space)
    assert widget.model.rowCount() == 5
    last = widget.model.rowCount() - 1
    assert [cell(widget, last, c) for c in (0, 1)] == ["Replaced", "Superseded"]
    assert background(widget, last) is None  # history, not a sign-off to act on
    assert widget.open_withdraw_dialog(last) is None and "replaced" in \
        widget.message_label.text()


@pytest.mark.hazard("H-031")
def test_a_refresher_is_recorded_from_the_keyboard(qtbot: Any, competence: Any) -> None:
    widget, calls = competence
    assert not widget.refresher_button.isHidden() and not widget.training_button.isHidden()
    widget.refresher_button.setFocus()
    qtbot.keyClick(widget.refresher_button, Qt.Key.Key_Space)
    dialog = widget.form_dialog
    assert isinstance(dialog, AssessmentDialog)
    assert_named(dialog)
    assert (dialog.worker.value(), dialog.person.value(), dialog.task.value()) == (
        "w1", "p1", "eye_drops")
    assert not dialog.worker.isEnabled() and not dialog.task.isEnabled()
    assert dialog.assessed_on.value() == TODAY
    dialog.training.setFocus()
    qtbot.keyClick(dialog.training, Qt.Key.Key_Down)  # the training recorded: its trainer
    assert dialog.trainer.text() == "Tom Trainer" and not dialog.trainer.isEnabled()
    qtbot.keyClicks(dialog.assessor, "Ann Assessor")
    qtbot.keyClicks(dialog.standard, "Skills for Care: eye drops")
    qtbot.keyClick(dialog.standard, Qt.Key.Key_Return)  # no outcome yet: said beside it
    assert dialog.problems["outcome"].text() and calls["assess"].calls == []
    dialog.competent_button.setFocus()
    qtbot.keyClick(dialog.competent_button, Qt.Key.Key_Space)
    assert not dialog.support.isEnabled()
    qtbot.keyClick(dialog.standard, Qt.Key.Key_Return)
    [(data,)] = calls["assess"].calls
    assert (data.worker_id, data.refreshes_sign_off_id, data.training_event_id,
            data.outcome, data.assessor_name, data.retrain_by) == (
        "w1", "s1", "t1", "competent", "Ann Assessor", None)
    assert widget.form_dialog is None and "09/02/2028" in widget.message_label.text()
    assert "superseded" in widget.message_label.text()


def test_only_a_current_sign_off_can_be_refreshed(competence: Any) -> None:
    widget, calls = competence
    widget.table.selectRow(1)  # withdrawn
    widget.open_refresher_dialog()
    assert widget.form_dialog is None and "record an assessment" in widget.message_label.text()


def test_not_yet_competent_asks_for_the_plan_and_a_refusal_shows_beside_its_field(
        qtbot: Any, competence: Any) -> None:
    widget, calls = competence

    def refuse(data: Any) -> Any:
        calls["assess"].calls.append((data,))
        raise ValidationError("Give the standard the worker was assessed against.",
                              field="standard")

    widget._assess = refuse
    widget.open_assessment_dialog()
    dialog = widget.form_dialog
    assert isinstance(dialog, AssessmentDialog) and dialog.worker.isEnabled()
    qtbot.keyClicks(dialog.assessor, "Ann Assessor")
    qtbot.keyClicks(dialog.trainer, "Tom Trainer")
    dialog.not_yet_button.setFocus()
    qtbot.keyClick(dialog.not_yet_button, Qt.Key.Key_Space)
    assert dialog.support.isEnabled() and dialog.retrain_by.isEnabled()
    qtbot.keyClicks(dialog.support, "Shadow two visits")
    qtbot.keyClicks(dialog.supported_by, "Sam Nurse")
    qtbot.keyClick(dialog.supported_by, Qt.Key.Key_Return)
    [(data,)] = calls["assess"].calls
    assert (data.outcome, data.support_planned, data.supported_by, data.retrain_by) == (
        "not_yet", "Shadow two visits", "Sam Nurse", None)  # the service asks for the date
    assert dialog.isVisible() and widget.form_dialog is dialog
    assert dialog.problems["standard"].text().startswith("Give the standard")
    assert not dialog.problems["standard"].isHidden()
    assert dialog.focusWidget() is dialog.standard
    assert dialog.assessor.text() == "Ann Assessor"  # nothing typed is lost


def test_training_and_its_backfill_are_recorded_from_the_keyboard(
        qtbot: Any, competence: Any) -> None:
    widget, calls = competence
    widget.training_button.setFocus()
    qtbot.keyClick(widget.training_button, Qt.Key.Key_Space)
    dialog = widget.form_dialog
    assert isinstance(dialog, TrainingDialog)
    assert_named(dialog)
    keys = mnemonics(dialog)
    assert len(keys) == len(set(keys)) >= 10, keys
    dialog.level.setFocus()
    qtbot.keyClick(dialog.level, Qt.Key.Key_End)  # level 2: for one person
    assert dialog.person.isEnabled() and dialog.person.value() == "p1"
    assert dialog.trained_on.text() == "10/02/2027"  # today, to change
    dialog.trained_on.clear()
    qtbot.keyClicks(dialog.trained_on, "5/1/27")
    qtbot.keyClick(dialog.trained_on, Qt.Key.Key_Return)  # a two-digit year is refused
    assert dialog.problems["trained_on"].text() and calls["train"].calls == []
    dialog.trained_on.clear()
    qtbot.keyClicks(dialog.trained_on, "05/01/2027")
    qtbot.keyClicks(dialog.trainer, "Tom Trainer")
    qtbot.keyClicks(dialog.materials, "Eye drops v2")
    qtbot.keyClicks(dialog.hours, "7,5")
    qtbot.keyClick(dialog.hours, Qt.Key.Key_Return)
    assert dialog.problems["backfill_minutes"].text() and calls["train"].calls == []
    dialog.hours.clear()
    qtbot.keyClicks(dialog.hours, "7.5")
    qtbot.keyClicks(dialog.rate, "12.34")
    dialog.payer.setFocus()
    qtbot.keyClick(dialog.payer, Qt.Key.Key_Down)
    qtbot.keyClick(dialog.rate, Qt.Key.Key_Return)
    [(data,)] = calls["train"].calls
    assert (data.worker_id, data.task_code, data.level, data.person_id, data.trained_on,
            data.backfill_minutes, data.backfill_pence_per_hour, data.backfill_payer) == (
        "w1", "eye_drops", 2, "p1", dt.date(2027, 1, 5), 450, 1234, "icb")
    assert widget.form_dialog is None
    assert "Backfill £92.55, paid by LLR ICB" in widget.message_label.text()


def test_the_competency_screen_offers_its_actions_with_unique_keys(competence: Any) -> None:
    widget, _ = competence
    assert_named(widget)
    keys = mnemonics(widget)
    assert {"w", "h", "a", "t", "s", "f"} <= set(keys) and len(keys) == len(set(keys))
    dialog = AssessmentDialog(CHOICES, TODAY, parent=widget)
    keys = mnemonics(dialog)
    assert len(keys) == len(set(keys)) >= 14, keys


def test_tab_goes_through_the_assessment_dialog_in_the_order_shown(qtbot: Any) -> None:
    dialog = AssessmentDialog(CHOICES, TODAY)
    qtbot.addWidget(dialog)
    dialog.show()
    dialog.activateWindow()
    qtbot.waitUntil(dialog.isActiveWindow)
    dialog.not_yet_button.setChecked(True)  # the plan's fields are enabled
    dialog.worker.setFocus()
    seen = [dialog.focusWidget()]
    for _ in range(13):
        qtbot.keyClick(dialog.focusWidget(), Qt.Key.Key_Tab)
        seen.append(dialog.focusWidget())
    # The outcome is one stop, as radio buttons are: the arrow keys choose within it.
    assert seen[9] in (dialog.competent_button, dialog.not_yet_button)
    seen[9] = dialog.competent_button
    assert seen == [dialog.worker, dialog.person, dialog.task, dialog.assessed_on,
                    dialog.assessor, dialog.standard, dialog.training, dialog.trainer,
                    dialog.level, dialog.competent_button, dialog.support, dialog.retrain_by,
                    dialog.supported_by, dialog.ok_button]


# ---------------------------------------------------------------- escalations


@pytest.mark.hazard("H-012")
def test_escalations_show_waiting_days_and_interim_funding(qtbot: Any) -> None:
    widget = EscalationsWidget(run, Recorder(ESCALATIONS))
    qtbot.addWidget(widget)
    widget.show()
    texts = [[cell(widget, r, c) for c in range(widget.model.columnCount())] for r in range(2)]
    assert texts[0][:8] == ["71 days", "Funding decision", "Arthur Sample", "Insulin pen",
                            "LLR ICB", "£100.00", "01/12/2026", "Yes"]
    assert texts[0][8:] == ["MLCSU-999-1", "Who funds the extra visit?"]
    assert texts[1][:2] == ["21 days", "MDT consensus"] and texts[1][5] == "None recorded"
    assert "2 cases waiting" in widget.count_label.text()
    assert_named(widget)


# ---------------------------------------------------------------- case examples


@pytest.fixture
def examples(qtbot: Any) -> tuple[CaseExamplesWidget, Recorder]:
    search = Recorder(EXAMPLES)
    widget = CaseExamplesWidget(run, search, Recorder(["consent", "funding"]),
                                [("medication", "Specialised medication administration"),
                                 ("feeding_digestive", "Feeding and digestive")])
    qtbot.addWidget(widget)
    widget.show()
    return widget, search


def test_case_examples_search_as_you_type_and_filter(qtbot: Any, examples: Any) -> None:
    widget, search = examples
    assert search.calls == [("", None, None)] and widget.model.rowCount() == 2
    assert [widget.theme_combo.itemText(i) for i in range(widget.theme_combo.count())] == [
        "All themes", "consent", "funding"]
    qtbot.keyClicks(widget.search_edit, "attorney")
    qtbot.waitUntil(lambda: len(search.calls) == 2)
    assert search.calls[-1] == ("attorney", None, None)
    widget.category_combo.setFocus()
    qtbot.keyClick(widget.category_combo, Qt.Key.Key_Down)
    assert search.calls[-1] == ("attorney", "medication", None)
    qtbot.keyClick(widget.theme_combo, Qt.Key.Key_End)
    assert search.calls[-1] == ("attorney", "medication", "funding")


def test_case_example_summary_follows_the_selected_row(qtbot: Any, examples: Any) -> None:
    widget, _ = examples
    assert widget.summary_view.toPlainText() == EXAMPLES[0].summary
    widget.table.setFocus()
    qtbot.keyClick(widget.table, Qt.Key.Key_Down)
    assert widget.summary_view.toPlainText() == EXAMPLES[1].summary
    assert cell(widget, 1, 3) == "funding, training"
    assert_named(widget)
