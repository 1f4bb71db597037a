"""Screenshots of the main screens on the demo caseload, for docs/ and for looking at.

Run under Xvfb so Qt paints for real::

    xvfb-run -a -s "-screen 0 1366x768x24" python tools/screenshot_screens.py OUT_DIR [KEY ...]

The demo vault is made (or reused) under ``SHARED_CARE_PLANNER_HOME`` (set it to a temporary
folder). Set ``QT_SCALE_FACTOR=1.5`` to check the screens at 150 % text scale. Each screen
key (caseload, delegations, person, reviews, competency, escalations, examples, providers,
sync) is saved as ``screen-<key>.png``; with no keys, all of them ("plan" also opens a plan
in the preview; "worker-history" shows on the Care providers screen a care worker whose
sign-off was renewed, recording that refresher through the competence service the first
time, and saves the sign-off history; "sign-ins" opens Sign-ins… and saves
``screen-sign-ins.png``; "lock" locks last and saves the lock screen as ``screen-lock.png``).
``SCP_SHOT_USER="Demo Team Lead"`` signs in as the demo's team lead (Reports).
"""

from __future__ import annotations

import datetime as dt
import os
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.app import App  # noqa: E402
from desktop_app.ui.controllers.session import DEMO_PASSPHRASE  # noqa: E402
from desktop_app.ui.main_window import MainWindow  # noqa: E402
from desktop_app.ui.sign_in import SignInDialog  # noqa: E402


def _wait(app: QApplication, until: object, seconds: float = 120.0) -> None:
    end = time.monotonic() + seconds
    while not until():  # type: ignore[operator]
        if time.monotonic() > end:
            raise TimeoutError("the app did not get there in time")
        app.processEvents()
        time.sleep(0.02)


def _settle(app: QApplication, seconds: float = 0.8) -> None:
    end = time.monotonic() + seconds
    while time.monotonic() < end:
        app.processEvents()
        time.sleep(0.02)


def _shoot_plan_preview(app: QApplication, planner: App, out: Path) -> None:
    """Open the first support plan in the preview and save ``screen-plan-preview.png``."""
    from sqlalchemy import select

    from desktop_app.models.plan import SupportPlan

    signed_in = planner.session_controller.session
    assert signed_in is not None and planner.features is not None
    uow, plans = signed_in.uow, planner.features.plans

    def first_plan() -> str:
        with uow.read() as session:
            return str(session.scalars(select(SupportPlan.id).limit(1)).one())

    plans.open_plan(planner.executor.call(first_plan))
    _wait(app, lambda: plans.preview is not None)
    _settle(app, 1.5)
    preview = plans.preview
    assert preview is not None
    preview.grab().save(str(out / "screen-plan-preview.png"))
    print(out / "screen-plan-preview.png", flush=True)
    preview.close()


def _shoot_dialog(app: QApplication, planner: App, key: str, out: Path) -> None:
    """"sign-ins": the Sign-ins… dialog over the window; "lock": lock (as Ctrl+L does) and
    the lock screen. Saved as ``screen-<key>.png``."""
    from desktop_app.ui.lock_screen import LockScreen

    sessions = planner.session_controller
    window = sessions.window
    assert window is not None
    if key == "lock":
        sessions.lock()
        _wait(app, lambda: isinstance(sessions.dialog, LockScreen)
              and sessions.dialog.isVisible())
        dialog: object = sessions.dialog
    else:
        window.users_button.click()
        _wait(app, lambda: sessions._users_dialog is not None
              and sessions._users_dialog.user_list.count() > 0)
        dialog = sessions._users_dialog
    _settle(app)
    dialog.grab().save(str(out / f"screen-{key}.png"))  # type: ignore[attr-defined]
    print(out / f"screen-{key}.png", flush=True)
    if key != "lock":
        dialog.reject()  # type: ignore[attr-defined]


def _refreshed_worker(planner: App) -> tuple[str, str]:
    """(provider id, worker id) of a demo care worker with a renewed sign-off: the first
    time, the refresher of the sign-off whose refresher is due soonest is recorded through
    the competence service, as a nurse records it (the old sign-off is kept, superseded)."""
    from sqlalchemy import select

    from desktop_app.models.competency import CompetencySignOff, SignOffStatus
    from desktop_app.models.provider import CareWorker
    from desktop_app.services.providers import competence

    signed_in = planner.session_controller.session
    assert signed_in is not None
    uow = signed_in.uow

    def find() -> tuple[str, str]:
        with uow.read() as session:
            renewed = session.scalars(select(CompetencySignOff.worker_id).where(
                CompetencySignOff.supersedes_id.is_not(None)).limit(1)).first()
            old = session.execute(select(
                CompetencySignOff.id, CompetencySignOff.worker_id, CompetencySignOff.person_id,
                CompetencySignOff.task_code, CompetencySignOff.trainer_name).where(
                CompetencySignOff.status == SignOffStatus.CURRENT.value,
                CompetencySignOff.refresher_due >= dt.date.today())
                .order_by(CompetencySignOff.refresher_due).limit(1)).one()
        if renewed is None:
            competence.record_refresher(uow, competence.AssessmentInput(
                worker_id=old.worker_id, person_id=old.person_id, task_code=old.task_code,
                assessed_on=dt.date.today() - dt.timedelta(days=7),
                assessor_name="Demo Nurse", standard="LLR competency framework, section 6",
                outcome="competent", trainer_name=old.trainer_name,
                refreshes_sign_off_id=old.id))
        worker_id = renewed or old.worker_id
        with uow.read() as session:
            worker = session.get(CareWorker, worker_id)
            assert worker is not None
            return worker.provider_id, worker.id

    return planner.executor.call(find)


def _show_renewed_worker(app: QApplication, planner: App, window: MainWindow) -> None:
    """The Care providers screen with a worker whose sign-off was renewed selected."""
    from desktop_app.ui.providers import ProvidersWidget

    provider_id, worker_id = _refreshed_worker(planner)
    window.show_screen("providers")
    screen = window.screen("providers")
    assert isinstance(screen, ProvidersWidget)
    _wait(app, lambda: screen.providers.model.rowCount() > 0)
    screen.refresh(provider_id, worker_id)
    _wait(app, lambda: (worker := screen.workers.selected()) is not None
          and worker.id == worker_id and screen.history.model.rowCount() > 0)
    screen.history.table.setFocus()
    _settle(app)


def _shoot_worker_history(window: MainWindow, out: Path) -> None:
    """The lower half of the Care providers screen: the care workers and the selected
    worker's sign-offs, saved as ``screen-worker-history.png``."""
    screen = window.screen("providers")
    workers, history = screen.workers, screen.history  # type: ignore[attr-defined]
    top_left = workers.mapTo(window, workers.rect().topLeft())
    bottom_right = history.mapTo(window, history.rect().bottomRight())
    window.grab().copy(top_left.x() - 8, top_left.y() - 2, bottom_right.x() - top_left.x() + 16,
                       bottom_right.y() - top_left.y() + 10).save(
        str(out / "screen-worker-history.png"))
    print(out / "screen-worker-history.png", flush=True)


def signed_in(app: QApplication) -> tuple[App, MainWindow]:
    """The app on the demo vault, signed in (as ``SCP_SHOT_USER`` if set), its main window
    shown."""
    planner = App(app, demo=True)
    planner.dialogs.headless = True  # no "resume the unfinished delegation?" question
    planner.start()
    sessions = planner.session_controller
    _wait(app, lambda: isinstance(sessions.dialog, SignInDialog))
    sign_in = sessions.dialog
    assert isinstance(sign_in, SignInDialog)
    combo = sign_in.user_combo
    wanted = os.environ.get("SCP_SHOT_USER")  # e.g. "Demo Team Lead" for the Reports
    if wanted:
        combo.setCurrentIndex(next(i for i in range(combo.count()) if combo.itemText(i) == wanted))
    sign_in.pass_edit.setText(DEMO_PASSPHRASE)
    sign_in.buttons.accepted.emit()
    _wait(app, lambda: isinstance(sessions.window, MainWindow))
    window = sessions.window
    assert window is not None
    return planner, window


def main(argv: list[str]) -> int:
    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    planner, window = signed_in(app)
    print("window", window.width(), "x", window.height(), "minimum",
          window.minimumSizeHint().width(), "x", window.minimumSizeHint().height(), flush=True)
    keys = argv[1:] or [*window._keys, "worker-history"]
    caseload = window.screen("caseload")
    _settle(app, 1.5)
    if caseload.model.rowCount() > 0:
        caseload.person_opened.emit(caseload.model.row(3).person_id)
        _wait(app, lambda: window.stack.currentWidget() is window.screen("person"))
    dialogs = [key for key in ("sign-ins", "lock") if key in keys]  # the lock last
    keys = [key for key in keys if key not in dialogs]
    if "plan" in keys:
        keys.remove("plan")
        _shoot_plan_preview(app, planner, out)
    history = "worker-history" in keys
    if history:
        keys.remove("worker-history")
    if history or "providers" in keys:
        _show_renewed_worker(app, planner, window)
    for key in keys:
        screen_key, _, report = key.partition(":")  # "reports:Funding" picks a report
        window.show_screen(screen_key)
        if screen_key == "reports":
            reports = window.screen("reports")
            reports.period_combo.setCurrentIndex(reports.period_combo.findText("Last 12 months"))
            if report:
                reports.report_combo.setCurrentIndex(reports.report_combo.findText(report))
            key = f"reports-{report.split()[0].lower()}" if report else "reports"
            _settle(app, 2.0)
        _settle(app)
        window.grab().save(str(out / f"screen-{key}.png"))
        print(out / f"screen-{key}.png", flush=True)
    if history:
        window.show_screen("providers")
        _settle(app)
        _shoot_worker_history(window, out)
    for key in dialogs:
        _shoot_dialog(app, planner, key, out)
    planner.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
