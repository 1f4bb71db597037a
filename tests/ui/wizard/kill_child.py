"""Child process for the kill-mid-wizard test: types into the real wizard, then waits.

argv: vault folder, user id, passphrase, person id. Prints ``SAVED <step>`` each time a
draft save has been committed; the parent SIGKILLs it once the typing it checks is saved.
"""

from __future__ import annotations

import os
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[3]))
os.environ.setdefault("QT_QPA_PLATFORM", "offscreen")

from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.services.core.db_executor import DatabaseExecutor  # noqa: E402
from desktop_app.services.framework.catalogue import load_catalogue  # noqa: E402
from desktop_app.services.framework.flow import load_flow  # noqa: E402
from desktop_app.services.vault import VaultStore  # noqa: E402
from desktop_app.ui.dialogs import Dialogs  # noqa: E402
from desktop_app.ui.tasks import TaskRunner  # noqa: E402
from desktop_app.ui.wizard.controller import WizardController  # noqa: E402
from tests.support import TEST_KDF  # noqa: E402

TASK = "S1 typed: referred by the district nurse, Zoë's eye drops"


def main() -> None:
    folder, user_id, passphrase, person_id = sys.argv[1:5]
    app = QApplication(sys.argv[:1])
    executor = DatabaseExecutor()
    session = executor.call(VaultStore(Path(folder), kdf_cost=TEST_KDF).unlock, user_id,
                            passphrase)
    runner = TaskRunner(executor, lambda error: print("ERROR", error, flush=True))
    controller = WizardController(runner, session, load_flow(), load_catalogue(), Dialogs(True))
    saves: list[str] = []

    def typed(wizard: object) -> None:
        page = wizard.currentPage()  # type: ignore[attr-defined]
        page.task.set_value("eye_drops")
        page.referred_by.setText(TASK)
        page.health_need.set_value(True)
        wizard.next()  # type: ignore[attr-defined]  # page change: a draft save
        s2 = wizard.currentPage()  # type: ignore[attr-defined]
        s2.positive.no.setChecked(True)  # typing pause: the debounced save
        s2.checked_on.set_value("2026-11-02")

    controller.wizard_opened.connect(typed)
    controller.draft_saved.connect(
        lambda _case: print("SAVED", controller.wizard.current_step() if controller.wizard
                            else "", len(saves.append(1) or saves), flush=True))
    controller.start(person_id)
    print("READY", flush=True)
    app.exec()


if __name__ == "__main__":
    main()
