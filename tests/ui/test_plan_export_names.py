"""Export PDF suggests the user's Documents folder and a name that says what, whose and
which ("Support plan - Kowalski - v3 - 2026-12-07.pdf"), never the app's own folder, a
bare "support-plan-v3.pdf" or an NHS number (issue 17). No real save dialog is opened:
Qt's is replaced by one that records what it was offered.
"""

from __future__ import annotations

import datetime as dt
import io
from collections.abc import Iterator
from pathlib import Path
from types import SimpleNamespace

import pytest
from PySide6.QtWidgets import QFileDialog
from reportlab.pdfgen import canvas
from sqlalchemy import select

from desktop_app.models.mdt import SharedCareDiscussion
from desktop_app.services.core.db_executor import DatabaseExecutor
from desktop_app.services.framework import labels
from desktop_app.services.framework.flow import load_flow
from desktop_app.services.reports import ReportQuery
from desktop_app.services.vault import VaultSession, VaultStore
from desktop_app.ui import pdf_preview
from desktop_app.ui.controllers.context import FeatureContext
from desktop_app.ui.controllers.plans import PlansController, export_name
from desktop_app.ui.dialogs import Dialogs
from desktop_app.ui.main_window import MainWindow
from desktop_app.ui.pdf_preview import PdfPreviewDialog, documents_folder, safe_file_name
from desktop_app.ui.reports import report_file_name
from desktop_app.ui.tasks import TaskRunner
from desktop_app.ui.wizard.s6_consent import ConsentPage
from tests.support import PASSPHRASE
from tools.sample_case import CaseSpec, build_case
from tools.sample_wizard import make_context

TODAY = dt.date(2026, 12, 7)


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A home folder of the test's own, with a Documents folder in it."""
    home = tmp_path / "user"
    (home / "Documents").mkdir(parents=True)
    monkeypatch.setenv("HOME", str(home))
    monkeypatch.setenv("XDG_CONFIG_HOME", str(home / ".config"))  # no user-dirs.dirs there
    return home


@pytest.fixture
def offered(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """What the save dialog was offered; it answers as if cancelled."""
    paths: list[str] = []

    def save_dialog(_parent: object, _title: str, suggested: str,
                    _filter: str) -> tuple[str, str]:
        paths.append(suggested)
        return "", ""

    monkeypatch.setattr(QFileDialog, "getSaveFileName", save_dialog)
    return paths


def _pdf() -> bytes:
    out = io.BytesIO()
    page = canvas.Canvas(out)
    page.drawString(72, 720, "Synthetic page")
    page.save()
    return out.getvalue()


def test_the_name_says_what_whose_and_which_and_never_the_nhs_number() -> None:
    assert export_name("Support plan", "Kowalski", "v3", "2026-12-07") == \
        "Support plan - Kowalski - v3 - 2026-12-07.pdf"
    assert export_name("Support plan", "  ", "v3", "2026-12-07") == \
        "Support plan - v3 - 2026-12-07.pdf"
    assert safe_file_name("Support plan - O'Brien/Smith: v1 .pdf") == \
        "Support plan - O'Brien Smith v1 .pdf"
    assert safe_file_name("Support plan - Ní Bhriain - v1.pdf") == \
        "Support plan - Ní Bhriain - v1.pdf"


@pytest.mark.hazard("H-019")
def test_export_offers_the_documents_folder_or_else_home(qtbot, home: Path,
                                                        offered: list[str]) -> None:
    assert documents_folder() == home / "Documents"
    dialog = PdfPreviewDialog(_pdf(), "Support plan", "Support plan - Kowalski - v3.pdf")
    qtbot.addWidget(dialog)
    assert dialog.export_now() is None  # cancelled: nothing written
    assert offered == [str(home / "Documents" / "Support plan - Kowalski - v3.pdf")]
    dialog.choose_file = lambda: str(dialog.suggested_path)
    assert dialog.export_now() == home / "Documents" / "Support plan - Kowalski - v3.pdf"
    assert dialog.message.text() == \
        f"Saved as Support plan - Kowalski - v3.pdf in {home / 'Documents'}."  # findable
    (dialog.suggested_path).unlink()
    (home / "Documents").rmdir()
    assert documents_folder() == home


@pytest.fixture
def plans(qtbot, vault_copy: tuple[VaultStore, str, str],
          monkeypatch: pytest.MonkeyPatch) -> Iterator[tuple[PlansController, str, str]]:
    """The plans controller of a signed-in team lead whose vault holds Zoë Ní Bhriain's plan
    and Harold O'Brien's shared care discussion: (controller, plan id, discussion id)."""
    store, user_id, _ = vault_copy
    executor, bugs = DatabaseExecutor(), list[BaseException]()
    session: VaultSession = executor.call(store.unlock, user_id, PASSPHRASE)

    def cases() -> tuple[str, str]:
        plan_id = build_case(session.uow).plan_id
        build_case(session.uow, CaseSpec(serial=8, given_name="Harold", family_name="O'Brien",
                                         disagree=True))
        with session.uow.read() as s:
            return plan_id, s.scalars(select(SharedCareDiscussion.id)).one()

    plan_id, discussion_id = executor.call(cases)
    window = MainWindow(session.user, demo=False)
    qtbot.addWidget(window)
    context = FeatureContext(TaskRunner(executor, bugs.append), executor,
                             Dialogs(headless=True), window, session.user, lambda: session,
                             bugs.append)
    monkeypatch.setattr(FeatureContext, "today", lambda _self: TODAY)
    yield PlansController(context), plan_id, discussion_id
    executor.call(session.close)
    executor.shutdown()
    assert bugs == []


def test_a_plan_and_a_shared_care_form_suggest_the_person_s_surname(
        qtbot, home: Path, offered: list[str], plans: tuple[PlansController, str, str]) -> None:
    controller, plan_id, discussion_id = plans
    controller.open_plan(plan_id)
    qtbot.waitUntil(lambda: controller.preview is not None, timeout=10000)
    assert controller.preview is not None
    plan_preview = controller.preview
    assert plan_preview.suggested_path == \
        home / "Documents" / "Support plan - Ní Bhriain - v1 - 2026-12-07.pdf"
    controller.open_shared_care_form(discussion_id)
    qtbot.waitUntil(lambda: controller.preview is not plan_preview, timeout=10000)
    assert controller.preview is not None
    assert controller.preview.suggested_path == \
        home / "Documents" / "Shared care discussion - O'Brien - 2026-12-07.pdf"
    for preview in (plan_preview, controller.preview):
        assert "999" not in preview.suggested_path.name  # never the NHS number
        preview.export_now()
    assert offered == [str(plan_preview.suggested_path), str(controller.preview.suggested_path)]
    assert pdf_preview.documents_folder() == home / "Documents"


@pytest.mark.hazard("H-007")
def test_the_plan_prints_consent_how_in_the_words_the_wizard_offers(qtbot) -> None:
    page = ConsentPage(make_context(), load_flow().step("S6"))
    qtbot.addWidget(page)
    offered_words = {page.how.itemData(i): page.how.itemText(i)
                     for i in range(1, page.how.count())}
    assert offered_words == labels.CONSENT_METHODS


def test_a_report_is_suggested_under_its_title_period_and_team() -> None:
    query = ReportQuery(dt.date(2026, 1, 1), dt.date(2026, 3, 31), "City/North")
    report = SimpleNamespace(title="Delegations by outcome and task category", query=query)
    assert report_file_name(report, "pdf") == (  # type: ignore[arg-type]
        "Delegations by outcome and task category - 2026-01-01 to 2026-03-31 - City North.pdf")
    everyone = SimpleNamespace(title="Funding", query=ReportQuery(dt.date(2026, 1, 1),
                                                                 dt.date(2026, 1, 31)))
    assert report_file_name(everyone, "csv") == (  # type: ignore[arg-type]
        "Funding - 2026-01-01 to 2026-01-31 - All teams.csv")
