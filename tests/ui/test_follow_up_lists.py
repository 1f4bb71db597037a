"""The follow-up lists: the Reconsider list on Reviews due (issue 13's tasks to look at
again, and issue 15's workers not yet competent) and the funding to reconsider after a
delegation ended (on Escalations), driven by keyboard on fake services (``run`` calls the
work at once, as the task runner does later)."""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable
from typing import Any

import pytest
from PySide6.QtCore import Qt

from desktop_app.services.core.errors import ValidationError
from desktop_app.services.framework.review_schedule import ReviewStatus
from desktop_app.services.registers import (
    FundingToReconsiderRow,
    ReconsiderKind,
    ReconsiderRow,
)
from desktop_app.ui.registers import EscalationsWidget, ReviewsDueWidget

TODAY = dt.date(2027, 1, 20)


def run(fn: Callable[[], Any], done: Callable[[Any], None],
        failed: Callable[[Any], None] | None = None) -> None:
    try:
        result = fn()
    except ValidationError as error:
        assert failed is not None
        failed(error)
        return
    done(result)


def cell(widget: Any, row: int, column: int) -> str:
    return str(widget.model.index(row, column).data())


NOT_DELEGATED = "Not delegated: Health keeps the task"


@pytest.mark.hazard("H-023")
def test_reviews_due_shows_the_reconsider_list_in_words(qtbot: Any) -> None:
    rows = [ReconsiderRow(ReconsiderKind.NOT_DELEGATED, "c1", "c1", "p1", "Edith Testperson",
                          "999 000 0018", "Insulin by pen", NOT_DELEGATED,
                          dt.date(2027, 1, 15), 5, ReviewStatus.OVERDUE),
            ReconsiderRow(ReconsiderKind.NOT_YET_COMPETENT, "a1", None, "p2", "Ann Example",
                          "999 000 0026", "Eye drops",
                          "Not yet competent: Aisha Worker (Demo Homecare Ltd)",
                          dt.date(2027, 1, 30), -10, ReviewStatus.DUE_SOON, "Aisha Worker",
                          "Sam Nurse", "Shadow two visits"),
            ReconsiderRow(ReconsiderKind.NOT_DELEGATED, "c3", "c3", "p3", "Bob Sample",
                          "999 000 0034", "Ear drops", NOT_DELEGATED, dt.date(2027, 6, 1),
                          -132, ReviewStatus.NOT_DUE)]
    widget = ReviewsDueWidget(run, lambda: [], None, lambda: TODAY, lambda: rows)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.look_again is not None
    part = widget.look_again
    assert part.heading.text() == "<h3>Reconsider</h3>"
    assert part.model.rowCount() == 3
    assert (cell(part, 0, 0), cell(part, 0, 1), cell(part, 0, 4), cell(part, 0, 6)) == (
        "Passed 5 days ago", "15/01/2027", "Insulin by pen", "")
    assert [cell(part, 1, c) for c in (0, 1, 5, 6)] == [
        "In 10 days", "30/01/2027", "Not yet competent: Aisha Worker (Demo Homecare Ltd)",
        "Supported by Sam Nurse; planned: Shadow two visits"]
    assert cell(part, 2, 0) == "In 132 days"  # listed whether due or not, without colour
    assert part.model.tone(2) is None and part.model.tone(0) is not None
    assert "3 to reconsider" in part.count_label.text()


@pytest.mark.hazard("H-014")
def test_a_team_lead_records_from_the_keyboard_that_the_funding_was_reconsidered(
        qtbot: Any) -> None:
    waiting = [FundingToReconsiderRow("case-1", "Edith Testperson", "999 000 0018",
                                      "Insulin by pen", dt.date(2027, 1, 5), 15)]
    recorded: list[str] = []

    def reconsidered(case_id: str) -> None:
        recorded.append(case_id)
        waiting.clear()

    widget = EscalationsWidget(run, lambda: [], None, lambda: [], lambda: TODAY,
                               lambda: list(waiting), reconsidered)
    qtbot.addWidget(widget)
    widget.show()
    part = widget.funding
    assert part is not None and part.model.rowCount() == 1
    assert cell(part, 0, 4) == "05/01/2027"
    part.table.setFocus()
    part.table.setCurrentIndex(part.model.index(0, 0))
    qtbot.keyClick(part.done_button, Qt.Key.Key_Space)
    assert recorded == ["case-1"]
    assert part.model.rowCount() == 0
    assert "reconsidered" in part.message_label.text()


def test_reading_roles_see_the_funding_list_without_the_button(qtbot: Any) -> None:
    rows = [FundingToReconsiderRow("case-1", "Edith Testperson", "999 000 0018",
                                   "Insulin by pen", dt.date(2027, 1, 5), 15)]
    widget = EscalationsWidget(run, lambda: [], None, lambda: [], lambda: TODAY,
                               lambda: rows, None)
    qtbot.addWidget(widget)
    widget.show()
    assert widget.funding is not None and widget.funding.model.rowCount() == 1
    assert not widget.funding.done_button.isVisible()


def test_a_refused_record_says_why_and_keeps_the_row(qtbot: Any) -> None:
    rows = [FundingToReconsiderRow("case-1", "Edith Testperson", "999 000 0018",
                                   "Insulin by pen", dt.date(2027, 1, 5), 15)]

    def refuse(_case_id: str) -> None:
        raise ValidationError("This funding has already been reconsidered.")

    widget = EscalationsWidget(run, lambda: [], None, lambda: [], lambda: TODAY,
                               lambda: rows, refuse)
    qtbot.addWidget(widget)
    widget.show()
    part = widget.funding
    assert part is not None
    part.table.setCurrentIndex(part.model.index(0, 0))
    qtbot.mouseClick(part.done_button, Qt.MouseButton.LeftButton)
    assert part.message_label.text() == "This funding has already been reconsidered."
    assert part.model.rowCount() == 1
