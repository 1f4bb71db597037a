"""The Delegations screen lists unfinished delegations to resume or discard."""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import Qt

from desktop_app.services.delegation import DraftSummary
from desktop_app.ui.main_window import StartDelegationPanel


def _drafts() -> list[DraftSummary]:
    now = dt.datetime(2026, 11, 22, 10, 0, tzinfo=dt.UTC)
    return [DraftSummary("case-1", "person-1", "Edith Testperson", "eye_drops", "S4", now),
            DraftSummary("case-2", "person-2", "Zoë Ní Bhriain", "", None, now)]


def test_resume_and_discard_name_the_chosen_draft(qtbot) -> None:
    panel = StartDelegationPanel(12)
    qtbot.addWidget(panel)
    panel.show_drafts(_drafts())
    assert panel.drafts.rowCount() == 2
    assert panel.drafts.item(1, 2).text() == "S1" and panel.drafts.item(1, 1).text() == "—"
    panel.drafts.setCurrentCell(1, 0)
    with qtbot.waitSignal(panel.resume_requested) as resumed:
        qtbot.mouseClick(panel.resume_button, Qt.MouseButton.LeftButton)
    assert resumed.args == ["person-2", "case-2"]
    panel.drafts.setCurrentCell(0, 0)
    with qtbot.waitSignal(panel.discard_requested) as discarded:
        qtbot.mouseClick(panel.discard_button, Qt.MouseButton.LeftButton)
    assert discarded.args == ["case-1"]


def test_no_drafts_disables_the_buttons(qtbot) -> None:
    panel = StartDelegationPanel(0)
    qtbot.addWidget(panel)
    panel.show_drafts([])
    assert not panel.resume_button.isEnabled() and not panel.discard_button.isEnabled()
