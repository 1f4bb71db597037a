"""Escalations and the two-weekly joint meeting list."""

from __future__ import annotations

from collections.abc import Callable, Sequence

from desktop_app.services.registers import (
    EscalationRow,
    WaitingFor,
)
from desktop_app.ui.registers.base import (
    Column,
    RegisterWidget,
    Run,
    plural,
    uk_date,
)


class EscalationsWidget(RegisterWidget):
    """The two-weekly joint meeting list: open shared care discussions, longest waiting first."""

    def __init__(self, run: Run, load: Callable[[], Sequence[EscalationRow]]) -> None:
        super().__init__(run, load)
        waiting = {WaitingFor.MDT_CONSENSUS: self.tr("MDT consensus"),
                   WaitingFor.FUNDING_DECISION: self.tr("Funding decision")}
        columns = [
            Column(self.tr("Waiting"), lambda r: plural(r.days_waiting, self.tr("1 day"),
                                                 self.tr("%n days"))),
            Column(self.tr("Waiting for"), lambda r: waiting.get(r.waiting_for, r.waiting_for)),
            Column(self.tr("Person"), lambda r: r.person_name),
            Column(self.tr("Task"), lambda r: r.task_name),
            Column(self.tr("Interim funder"), lambda r: r.interim_funder_name),
            Column(self.tr("Interim a week"),
                   lambda r: r.interim_weekly or self.tr("None recorded")),
            Column(self.tr("Since"), lambda r: uk_date(r.interim_from)),
            Column(self.tr("To MLCSU"),
                   lambda r: self.tr("Yes") if r.escalated_to_mlcsu else self.tr("No")),
            Column(self.tr("Dispute reference"), lambda r: r.dispute_reference or ""),
            Column(self.tr("Question"), lambda r: r.question)]
        self.configure(self.tr("Escalations and joint meeting list"), columns)

    def count_text(self, count: int) -> str:
        return plural(count,
                      self.tr("1 case waiting for MDT consensus or a funding decision"),
                      self.tr("%n cases waiting for MDT consensus or a funding decision"))


