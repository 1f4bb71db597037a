"""Screenshots of wizard pages for docs/ (run under Xvfb: ``xvfb-run -a python ...``).

``python tools/screenshot_wizard.py OUT_DIR STEP [STEP ...]`` opens the wizard on synthetic
data with sample answers up to each STEP (or OUTCOME) and saves ``wizard-<step>.png``.
A STEP may name a variant (``VARIANTS``): ``S4-examples`` (S4 first answered "yes", to show
the lines and their examples for eye drops), ``S5-unanswered``, ``S6-what-matters`` (what
matters to the person, started from the person record), ``S9-resources`` (assistive
technology and call frequency), ``reuse-assessment`` (S2: the CHC Checklist on file is
over a year old, so the GP practice's newer one is typed in to reuse). The person has
partner assessments and a Care Act eligibility screen on file (``ON_FILE``). Options:
``--size WxH`` (the window; default the wizard's own size, fitted to the screen),
``--prefix TEXT`` (the file name's start instead of ``wizard-``), ``--scroll-end`` (the
page scrolled to its end).
Set ``QT_SCALE_FACTOR=1.5`` to look at 150 %.
"""

from __future__ import annotations

import datetime as dt
import sys
from pathlib import Path
from typing import Any

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from PySide6.QtCore import QTimer  # noqa: E402
from PySide6.QtWidgets import QApplication, QScrollBar  # noqa: E402

from desktop_app.services.framework.flow import load_flow  # noqa: E402
from desktop_app.ui.wizard.context import (  # noqa: E402
    AssessmentOnFile,
    EligibilityOnFile,
    WhatMattersOnFile,
)
from desktop_app.ui.wizard.outcome_page import OutcomePage  # noqa: E402
from desktop_app.ui.wizard.pages import PAGES  # noqa: E402
from desktop_app.ui.wizard.wizard import DelegationWizard  # noqa: E402
from tools.sample_wizard import make_context  # noqa: E402

SAMPLE: dict[str, dict[str, Any]] = {
    "S1": {"task_code": "eye_drops", "referred_by": "District nurse", "is_health_need": True},
    "S2": {"chc_checklist_positive": False, "checklist_date": "2026-11-02"},
    "S3": {"needs_clinical_judgement": False},
    "S4": {"stable": True, "what_is_delegated": "Chloramphenicol eye drops, one drop in each eye",
           "what_is_not_delegated": "Any change of medicine or dose; eye examination",
           "frequency": "Four times a day at the care calls",
           "equipment": "Eye drops kept in the fridge", "do_thresholds": "Give the drops as "
           "prescribed and record them on the MAR chart",
           "call_nurse_thresholds": "Eye red, painful or sticky; drops refused twice running"},
    "S5": {"incidental_or_ancillary": False, "no_reason": "Four calls a day are needed only "
           "for the eye drops"},
    "S6": {"consent_given": True, "given_by_kind": "lpa", "contact_id": "c-1",
           "given_by_name": "Siobhán Ní Bhriain", "how": "verbal",
           "explained": "What the care worker will do, when they will call the nurse, and that "
           "consent can be withdrawn at any time", "capacity_in_doubt": True,
           "capacity_decision": "Agreeing to care workers giving eye drops",
           "capacity_assessed_on": "2026-11-10", "capacity_assessor": "A Nurse (community)",
           "capacity_outcome": "lacks_capacity",
           "person_words": "I want to stay in my own home and keep singing with the choir "
           "on Thursdays.",
           "strengths": "Knows her routine well; her daughter Siobhán visits every day",
           "self_care": "Puts in her own hearing aids; makes her breakfast",
           "took_part": [{"kind": "person", "name": ""},
                         {"kind": "attorney", "name": "Siobhán Ní Bhriain (daughter)"}]},
    "S7": {"provider_accepts": True, "provider_id": "prov-1", "worker_ids": ["w-1", "w-2"],
           "insurance_confirmed": True},
    "S8": {"all_signed_off": True, "oversight_service": "community_health",
           "oversight_organisation": "City North community nursing",
           "oversight_phone_in_hours": "0116 000 0001", "oversight_phone_out_of_hours": "111",
           "sign_offs": [{"worker_id": w, "training_level": 1, "trainer_name": "T Nurse",
                          "assessor_name": "A Nurse", "signed_off_on": "2026-11-15"}
                         for w in ("w-1", "w-2")]},
    "S9": {"fits_existing_calls": True, "at_considered": True,
           "at_kind": "Eye drop applicator", "at_outcome": "not_suitable",
           "at_reason": "Zoë cannot squeeze the applicator: her hands are too stiff",
           "calls_reviewed": True, "calls_outcome": "fits_existing_call",
           "calls_note": "The drops fit the morning and evening calls she already has"},
    "S9F": {"method": "health_only_call", "start_date": "2026-12-01", "entered": {
        "council": "leicester_city", "lead": "icb", "rate": "24.50",
        "minutes_per_call": "15", "calls_per_week": "14"}},
    "S10": {"met_on": "2026-11-20", "consensus": True, "attendees": [
        {"role": "Community nurse", "organisation": "LPT", "name": "Ann Example"},
        {"role": "Social worker", "organisation": "Leicester City Council", "name": "Bo Sample"},
        {"role": "Care manager", "organisation": "Demo Homecare Ltd", "name": "Cy Demo"}]},
}


#: What the person record holds (the wizard's context): partner assessments, what matters,
#: the latest Care Act eligibility screen.
TODAY = dt.date(2026, 11, 20)
ON_FILE: dict[str, Any] = {
    "today": TODAY,
    "assessments": (
        AssessmentOnFile("pa-1", "care_act_needs", "Leicester City Council", "Jo Smith, social "
                         "worker", dt.date(2026, 9, 14), "Needs help with personal care "
                         "morning and evening"),
        AssessmentOnFile("pa-2", "chc_checklist", "LLR Integrated Care Board", "A Nurse",
                         dt.date(2025, 8, 2), "Negative: no full assessment needed"),
        AssessmentOnFile("pa-3", "mental_capacity", "Leicestershire Partnership NHS Trust",
                         "Dr R Patel", dt.date(2026, 10, 30), "Lacks capacity to decide "
                         "about her eye drops")),
    "eligibility": EligibilityOnFile(dt.date(2026, 9, 14), "likely_eligible", "eligible",
                                     "Cannot manage personal care or nutrition; her "
                                     "wellbeing is significantly affected", "Jo Smith"),
    "what_matters": WhatMattersOnFile(
        "I want to stay in my own home.", "Knows her routine well", "",
        ({"kind": "person", "name": ""},), dt.date(2026, 9, 14), "Jo Smith"),
}

#: A variant's page, the sample answers it replaces, and the name of a yes/no answered
#: "yes" on the page once it is open (as the nurse clicks it: S4's lines start filled).
VARIANTS: dict[str, tuple[str, dict[str, dict[str, Any]], str]] = {
    "S4-examples": ("S4", {"S4": {}}, "stable"),
    "S5-unanswered": ("S5", {"S5": {}}, ""),
    "S6-what-matters": ("S6", {"S6": {k: v for k, v in SAMPLE["S6"].items() if k not in (
        "person_words", "strengths", "self_care", "took_part")}}, ""),
    "S9-resources": ("S9", {}, ""),
    "reuse-assessment": ("S2", {"S2": {**SAMPLE["S2"], "reused_assessment": {
        "kind": "chc_checklist", "organisation": "GP practice", "assessor": "Dr A Example, GP",
        "assessed_on": "2026-11-02", "summary": "Negative: no full assessment needed"}}}, ""),
}


def _options(args: list[str]) -> tuple[Path, list[str], dict[str, str]]:
    """OUT_DIR, the steps, and the ``--name value`` options (``--scroll-end`` takes none)."""
    options: dict[str, str] = {}
    rest: list[str] = []
    while args:
        arg = args.pop(0)
        if arg == "--scroll-end":
            options["scroll-end"] = "yes"
        elif arg.startswith("--"):
            options[arg[2:]] = args.pop(0)
        else:
            rest.append(arg)
    return Path(rest[0]), rest[1:], options


def main() -> int:
    out, steps, options = _options(sys.argv[1:])
    out.mkdir(parents=True, exist_ok=True)
    app = QApplication(sys.argv[:1])
    queue = list(steps)

    def next_shot() -> None:
        if not queue:
            app.quit()
            return
        name = queue.pop(0)
        step, changes, answer_yes = VARIANTS.get(name, (name, {}, ""))
        answers = {k: dict(v) for k, v in {**SAMPLE, **changes}.items()}
        wizard = DelegationWizard(make_context(answers=answers, **ON_FILE), load_flow(),
                                  PAGES, OutcomePage)
        if "size" in options:
            width, height = (int(part) for part in options["size"].split("x"))
            wizard.resize(width, height)
        wizard.show()
        if step in ("S10", "OUTCOME"):
            # The sample's funding is typed, not yet worked out: S9F works it out on Next.
            wizard.resume_at("S9F")
            wizard.next()
            if step == "OUTCOME":
                wizard.next()
        else:
            wizard.resume_at(step)

        if answer_yes:
            getattr(wizard.currentPage(), answer_yes).yes.click()

        def grab() -> None:
            if "scroll-end" in options:
                for bar in wizard.currentPage().findChildren(QScrollBar):
                    bar.setValue(bar.maximum())
                app.processEvents()
            file = out / f"{options.get('prefix', 'wizard-')}{name.lower()}.png"
            wizard.grab().save(str(file))
            print(file, wizard.size().width(), "x", wizard.size().height(), flush=True)
            wizard.close()
            next_shot()

        QTimer.singleShot(700, grab)

    QTimer.singleShot(300, next_shot)
    return int(app.exec())


if __name__ == "__main__":
    raise SystemExit(main())
