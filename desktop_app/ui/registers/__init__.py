"""The register screens: reviews due, competency, escalations and case examples.

Each screen is a small widget around one table (``base``); the app composes them into the
main window and binds them to the services.
"""

from desktop_app.ui.registers.base import (
    TONE_COLOURS,
    Column,
    RegisterTable,
    RegisterWidget,
    RowTableModel,
    Tone,
    plural,
)
from desktop_app.ui.registers.case_examples import CaseExamplesWidget
from desktop_app.ui.registers.competency import CompetencyRegisterWidget, ReasonDialog
from desktop_app.ui.registers.escalations import (
    ChangesOfNeedWidget,
    CloseDiscussionDialog,
    Closure,
    EscalationsWidget,
    FundingToReconsiderWidget,
)
from desktop_app.ui.registers.reviews import (
    LookAgainWidget,
    RecordReviewDialog,
    ReviewAnswers,
    ReviewsDueWidget,
)
from desktop_app.ui.tables import uk_date

__all__ = ["CaseExamplesWidget", "ChangesOfNeedWidget", "CloseDiscussionDialog", "Closure",
           "Column", "CompetencyRegisterWidget", "EscalationsWidget",
           "FundingToReconsiderWidget", "LookAgainWidget",
           "ReasonDialog", "RecordReviewDialog", "RegisterTable", "RegisterWidget",
           "ReviewAnswers", "ReviewsDueWidget", "RowTableModel", "TONE_COLOURS", "Tone",
           "plural", "uk_date"]
