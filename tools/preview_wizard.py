"""Open the delegation wizard on synthetic data, without a vault (developers and screenshots).

Run: ``python tools/preview_wizard.py [STEP]`` — STEP opens the wizard at that page with
sample answers for the steps before it.
"""

from __future__ import annotations

import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtWidgets import QApplication  # noqa: E402

from desktop_app.services.framework.flow import load_flow  # noqa: E402
from desktop_app.ui.wizard.outcome_page import OutcomePage  # noqa: E402
from desktop_app.ui.wizard.pages import PAGES  # noqa: E402
from desktop_app.ui.wizard.wizard import DelegationWizard  # noqa: E402
from tools.sample_wizard import make_context  # noqa: E402
from tools.screenshot_wizard import SAMPLE  # noqa: E402


def main() -> int:
    app = QApplication(sys.argv[:1])
    step = sys.argv[1].upper() if len(sys.argv) > 1 else None
    answers = {k: dict(v) for k, v in SAMPLE.items()} if step else {}
    wizard = DelegationWizard(make_context(answers=answers), load_flow(), PAGES, OutcomePage)
    wizard.draft_changed.connect(lambda answers, step: print("draft at", step, answers))
    wizard.show()
    wizard.resume_at(step)  # the sample answers of tools/screenshot_wizard.py up to STEP
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
