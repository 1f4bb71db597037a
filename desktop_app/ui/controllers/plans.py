"""Support plans and forms as PDFs: a plan version's preview, the team lead's batch of
plans, the shared care form of an escalation, and the preview every PDF is shown in, where
each print and export is audited.

Export suggests a name that says what, whose and which: "Support plan - Kowalski - v3 -
2026-12-07.pdf" (``export_name``), in the user's Documents folder (``pdf_preview``). The
surname only: never the NHS number, which a file name would carry into folder listings,
recent-file lists and backups; two people of one surname differ by version and day, and the
save dialog asks before replacing a file.
"""

from __future__ import annotations

import datetime as dt
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import Literal, Protocol

from PySide6.QtCore import Qt

from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.pdf.batch import BatchResult, render_batch
from desktop_app.services.pdf.shared_care_form import render_shared_care_form
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.people import caseload
from desktop_app.services.plans.batch import plans_for_batch
from desktop_app.services.plans.document import (
    load_plan_document,
    record_output,
    record_outputs,
)
from desktop_app.services.plans.shared_care_form import (
    SharedCareFormDocument,
    load_shared_care_form,
)
from desktop_app.ui.controllers.context import FeatureContext, FeatureController
from desktop_app.ui.pdf_preview import PdfPreviewDialog
from desktop_app.ui.plan_batch import PlanBatchDialog

Output = Literal["print", "export"]
# How a print or export of a PDF is audited: ``audit(uow, how)`` on the database thread.
Audit = Callable[[UnitOfWork, Output], object]


def output_kind(how: str) -> Output:
    """The preview's word for what was done ("print" or "export") as the audit takes it."""
    if how == "print":
        return "print"
    if how == "export":
        return "export"
    raise ValueError(f"not a kind of output: {how!r}")


def export_name(what: str, family_name: str, *details: str) -> str:
    """The file name Export suggests: ``what``, the person's surname and the ``details``
    (version, day) joined by " - ", as "Support plan - Kowalski - v3 - 2026-12-07.pdf"."""
    parts = [what, family_name.strip(), *details]
    return " - ".join(part for part in parts if part) + ".pdf"


def _file_day(day: dt.date) -> str:
    """The day in a file name, "2026-12-07": a person's files sort by it."""
    return day.isoformat()


class _Person(Protocol):
    """What a suggested file name needs of the person (``plans.blocks.PersonBlock``)."""

    @property
    def family_name(self) -> str: ...


class _PlanVersion(Protocol):
    """What the preview needs of a support plan version (``plans.document.PlanDocument``)."""

    @property
    def version_number(self) -> int: ...
    @property
    def audit_entity(self) -> tuple[str, str]: ...
    @property
    def person(self) -> _Person: ...


@dataclass(frozen=True)
class _PlanRef:
    """Enough of a plan to audit its printing (``record_outputs`` needs only this)."""

    plan_id: str

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) under which printing this plan is audited."""
        return ("support_plan", self.plan_id)


class PlansController(FeatureController):
    """Opens plans and forms as PDFs and audits what is printed or exported."""

    def __init__(self, context: FeatureContext) -> None:
        super().__init__(context)
        self.preview: PdfPreviewDialog | None = None  # the latest PDF shown
        self.batch_dialog: PlanBatchDialog | None = None  # the latest batch dialog

    def open_plan(self, plan_id: str) -> None:
        """A support plan version, in the preview."""
        uow, now, name = self.context.uow, self.context.now, self.context.user.display_name

        def build() -> tuple[_PlanVersion, bytes]:
            document = load_plan_document(uow(), plan_id, name, now())
            return document, render_support_plan(document)

        def show(built: tuple[_PlanVersion, bytes]) -> None:
            document, data = built
            name = export_name(self.tr("Support plan"), document.person.family_name,
                               f"v{document.version_number}", _file_day(self.context.today()))
            self.show_pdf(data, self.tr("Support plan, version %d") % document.version_number,
                          name, lambda u, how: record_output(u, document, how))

        self.context.run(build, show)

    def open_shared_care_form(self, discussion_id: str) -> None:
        """An escalation's shared care form, in the preview."""
        uow, now, name = self.context.uow, self.context.now, self.context.user.display_name

        def build() -> tuple[SharedCareFormDocument, bytes]:
            document = load_shared_care_form(uow(), discussion_id, name, now())
            return document, render_shared_care_form(document)

        def show(built: tuple[SharedCareFormDocument, bytes]) -> None:
            document, data = built
            name = export_name(self.tr("Shared care discussion"), document.person.family_name,
                               _file_day(self.context.today()))
            self.show_pdf(data, self.tr("Shared care form"), name,
                          lambda u, how: record_output(u, document, how))

        self.context.run(build, show)

    def start_batch(self) -> None:
        """The team lead's batch: the teams are read first, then the dialog opens."""
        uow = self.context.uow
        self.context.run(lambda: caseload.teams(uow()), self._open_batch)

    def show_pdf(self, data: bytes, title: str, suggested: str, audit: Audit) -> None:
        """Show a PDF to print or export; each print or export is audited by ``audit``."""

        def printed(how: str) -> None:
            output, bound = output_kind(how), self.context.uow_now()  # printed: audited
            self.context.run(lambda: audit(bound, output), lambda _: None)

        dialog = PdfPreviewDialog(data, title, suggested, self.context.window, printed)
        dialog.setAttribute(Qt.WidgetAttribute.WA_DeleteOnClose)
        self.preview = dialog
        dialog.open()

    def _open_batch(self, team_names: Sequence[str]) -> None:
        context, name = self.context, self.context.user.display_name
        uow, on_db_thread = context.uow, context.db.call

        def build(ids: Sequence[str], progress: Callable[[int, int], None],
                  cancelled: Callable[[], bool]) -> BatchResult:
            printed_at = context.now()
            return render_batch(
                lambda plan_id: on_db_thread(
                    lambda: load_plan_document(uow(), plan_id, name, printed_at)),
                ids, progress, cancelled)

        def printed(ids: Sequence[str], how: str) -> None:
            output, bound = output_kind(how), context.uow_now()  # printed: audited
            context.run(lambda: record_outputs(bound, [_PlanRef(i) for i in ids], output),
                        lambda _: None)

        dialog = PlanBatchDialog(
            list(team_names), lambda team, start, end: plans_for_batch(uow(), team, start, end),
            build, context.run, context.runner.run_in_background, context.today(),
            context.window, printed)
        self.batch_dialog = dialog
        dialog.open()
