"""Governance reports for the IPCB and the two-weekly joint meeting (issue 8; framework §5, §7).

For the Reports screen (team leads and the read-only governance role; every function here
checks ``Permission.VIEW_REPORTS``):

- ``REPORTS`` lists (kind, title); ``run_report(uow, kind, ReportQuery(start, end, team))``
  computes one on the database thread and returns a frozen ``Report``: sections, each a
  table (``columns``, ``rows`` of ``Cell``) with a ``Chart`` (kind, categories, series with
  short legend labels, unit), drawn alike by the screen and the PDF in the colours of
  ``palette``.
- ``report_teams(uow)`` fills the team filter.
- ``to_csv(report)`` and ``desktop_app.services.pdf.report.render_report_pdf(report)``
  export; ``record_report_output`` audits a print or export.
- ``load_meeting_pack`` and ``desktop_app.services.pdf.meeting_pack.render_meeting_pack``
  make the joint meeting's pack; ``record_meeting_pack_output`` audits printing it.

The PDF renderers live with the other PDFs (reportlab stays out of this package, so the
screen can import it without loading reportlab).
"""

from desktop_app.services.reports.chart import Chart, ChartKind, ChartUnit, Series
from desktop_app.services.reports.competency import competency_report
from desktop_app.services.reports.delegations import delegations_report
from desktop_app.services.reports.equality import equality_report
from desktop_app.services.reports.escalations import escalations_report
from desktop_app.services.reports.export import record_report_output, to_csv
from desktop_app.services.reports.funding import funding_report
from desktop_app.services.reports.meeting_pack import (
    MeetingPack,
    PackCase,
    SplitLine,
    load_meeting_pack,
    record_meeting_pack_output,
)
from desktop_app.services.reports.model import (
    Cell,
    CellKind,
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
)
from desktop_app.services.reports.registry import REPORTS, ReportSpec, report_teams, run_report
from desktop_app.services.reports.reviews import reviews_report
from desktop_app.services.reports.suppression import SUPPRESSION_RULE

__all__ = [
    "REPORTS", "SUPPRESSION_RULE", "Cell", "CellKind", "Chart", "ChartKind", "ChartUnit",
    "MeetingPack", "PackCase", "Report", "ReportKind", "ReportQuery", "ReportSection",
    "ReportSpec", "Series", "SplitLine", "competency_report", "delegations_report",
    "equality_report", "escalations_report", "funding_report", "load_meeting_pack",
    "record_meeting_pack_output", "record_report_output", "report_teams", "reviews_report",
    "run_report", "to_csv",
]
