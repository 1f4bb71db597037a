"""The report tests' known caseload, for the Reports screen too."""

from tests.services.reports.conftest import built, report_vault  # noqa: F401 (fixtures)
