"""Screenshots of a delegation's life after the decision, on the demo caseload, for docs/.

Run under Xvfb so Qt paints for real::

    SHARED_CARE_PLANNER_HOME=$(mktemp -d) SCP_SHOT_USER="Demo Team Lead" \\
        xvfb-run -a -s "-screen 0 1366x768x24" python tools/screenshot_life.py OUT_DIR

Saves ``screen-timeline.png`` (the person record's Delegations tab: the person whose
oversight the demo moved to the GP practice, that delegation's timeline), and the dialogs a
nurse and a team lead fill in, each over the main window: ``screen-oversight-transfer.png``
(someone open to community health services with a running delegation has the box cleared
and saved, as a nurse does, and the transfer to their GP practice is offered; the transfer
itself is not confirmed) and
``screen-reconcile.png`` (interim funding to reconcile, on the Escalations screen; needs
the team lead, and the demo to have interim funding left to reconcile).
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication, QWidget  # noqa: E402

from tools.screenshot_screens import _settle, _wait, signed_in  # noqa: E402


def _save(widget: QWidget, path: Path) -> None:
    widget.grab().save(str(path))
    print(path, flush=True)


def main(argv: list[str]) -> int:
    from desktop_app.models.oversight import OversightService
    from desktop_app.services.delegation import oversight
    from desktop_app.services.people.record import load_record
    from desktop_app.services.registers import interim
    from desktop_app.ui.registers.reconciliation import ReconciliationDialog

    out = Path(argv[0])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication.instance() or QApplication(sys.argv[:1])
    planner, window = signed_in(app)
    features = planner.features
    session = planner.session_controller.session
    assert features is not None and session is not None
    uow, today = session.uow, dt.date.today()
    people = features.people

    # The timeline of the delegation whose oversight moved.
    [moved, *_] = planner.executor.call(lambda: oversight.oversight_awaiting_acceptance(uow,
                                                                                        today))
    record = planner.executor.call(lambda: load_record(uow, moved.person_id))
    people.person_screen.show_record(record)
    window.show_screen("person")
    screen = people.person_screen
    screen.tabs.setCurrentWidget(screen.delegations)
    cases = screen.delegations.cases
    row = next(i for i, d in enumerate(screen.delegations.rows) if d.id == moved.case_id)
    cases.selectRow(row)
    _settle(app, 1.0)
    _save(window, out / "screen-timeline.png")

    # The transfer offered for someone still open to community health services.
    def someone_to_move() -> tuple[str, list[oversight.TransferRow]]:
        from sqlalchemy import select

        from desktop_app.models.delegation import DelegationCase
        from desktop_app.models.person import Person

        with uow.read() as s:
            ids = list(s.scalars(select(Person.id).join(
                DelegationCase, DelegationCase.person_id == Person.id).where(
                Person.open_to_community_health, DelegationCase.status == "active")))
        for person_id in ids:
            rows = oversight.oversight_to_transfer(uow, person_id, OversightService.GP_PRACTICE)
            if rows:
                return person_id, rows
        raise SystemExit("no running delegation with community health oversight in the demo")

    person_id, rows = planner.executor.call(someone_to_move)

    def cleared() -> object:  # as the nurse does on the Details tab (a throwaway demo home)
        from dataclasses import replace

        from desktop_app.services import people as person_service

        view = person_service.open_person(uow, person_id)
        person_service.update_person(uow, person_id, replace(
            view.as_input(), open_to_community_health=False), view.version)
        return load_record(uow, person_id)

    record = planner.executor.call(cleared)
    people.person_screen.show_record(record)
    dialog = people.offer_transfer(record, rows)
    _settle(app, 1.0)
    _save(dialog, out / "screen-oversight-transfer.png")
    dialog.reject()

    # Reconciling interim funding (the team lead's).
    left = planner.executor.call(lambda: interim.interim_to_reconcile(uow, today))
    left.sort(key=lambda r: r.decided_on is None)  # a decided discussion's first
    if left:
        window.show_screen("escalations")
        reconcile = ReconciliationDialog(left[0], today, window)
        reconcile.open()
        _settle(app, 1.0)
        _save(reconcile, out / "screen-reconcile.png")
        reconcile.reject()
    else:
        print("no interim funding left to reconcile in the demo: screen-reconcile.png not "
              "made", flush=True)
    _wait(app, lambda: True)
    planner.shutdown()
    return 0


if __name__ == "__main__":
    raise SystemExit(main(sys.argv[1:]))
