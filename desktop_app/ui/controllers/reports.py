"""The Reports screen (team leads and governance): the reports, their exports and the joint
meeting pack, each print and export audited."""

from __future__ import annotations

from collections.abc import Callable

from desktop_app.services import reports
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.pdf.meeting_pack import render_meeting_pack
from desktop_app.services.pdf.report import render_report_pdf
from desktop_app.ui.controllers.context import FeatureContext, FeatureController, Screen
from desktop_app.ui.controllers.plans import Audit, Output, output_kind
from desktop_app.ui.reports import ReportsWidget

# Shows a PDF with its audit: ``PlansController.show_pdf(data, title, suggested, audit)``.
ShowPdf = Callable[[bytes, str, str, Audit], None]


class ReportsController(FeatureController):
    """Binds the Reports screen to the reports' services and the audited PDF preview."""

    def __init__(self, context: FeatureContext, show_pdf: ShowPdf) -> None:
        super().__init__(context)
        self._show_pdf = show_pdf
        uow = context.uow
        self.screen = ReportsWidget(
            [(spec.kind, spec.title) for spec in reports.REPORTS], context.run,
            lambda kind, query: reports.run_report(uow(), kind, query),
            lambda: reports.report_teams(uow()), render_report_pdf, self._pack, self._show,
            self._exported)

    def screens(self) -> tuple[Screen, ...]:
        """The Reports screen."""
        return (Screen("reports", self.tr("Reports"), self.screen),)

    def _pack(self, team: str | None) -> tuple[bytes, reports.MeetingPack]:
        """On the database thread: the joint meeting pack for today, as a PDF."""
        loaded = reports.load_meeting_pack(self.context.uow(), self.context.today(), team)
        return render_meeting_pack(loaded), loaded

    def _show(self, data: bytes, title: str, suggested: str,
              subject: reports.Report | reports.MeetingPack) -> None:
        def audit(uow: UnitOfWork, how: Output) -> None:
            if isinstance(subject, reports.Report):
                reports.record_report_output(uow, subject, how)
            else:
                reports.record_meeting_pack_output(uow, subject, how)

        self._show_pdf(data, title, suggested, audit)

    def _exported(self, report: reports.Report, how: str) -> None:
        uow, output = self.context.uow, output_kind(how)
        self.context.run(lambda: reports.record_report_output(uow(), report, output),
                         lambda _: None)
