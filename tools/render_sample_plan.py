"""Render a sample support plan PDF (synthetic data) for screenshots and proofreading.

``python tools/render_sample_plan.py OUT.pdf [--form FORM.pdf]`` makes a throwaway vault
in a temporary folder, walks a synthetic jointly funded delegation through the services
(999-range NHS number, invented names and phones; what matters to the person, assistive
technology considered, the call frequency reviewed and a partner's CHC Checklist reused:
``tools/sample_case.py``) and writes the plan PDF to OUT.pdf;
with ``--form`` it also writes a shared care form for a case the MDT did not agree on.
Look at the pages with ``pdftoppm -r 70 -png OUT.pdf page``.
"""

from __future__ import annotations

import argparse
import datetime as dt
import sys
import tempfile
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from sqlalchemy import select  # noqa: E402

from desktop_app.models.mdt import SharedCareDiscussion  # noqa: E402
from desktop_app.models.user import Role  # noqa: E402
from desktop_app.services.pdf.shared_care_form import render_shared_care_form  # noqa: E402
from desktop_app.services.pdf.support_plan import render_support_plan  # noqa: E402
from desktop_app.services.plans.document import load_plan_document  # noqa: E402
from desktop_app.services.plans.shared_care_form import load_shared_care_form  # noqa: E402
from desktop_app.services.vault import VaultStore  # noqa: E402
from tools.sample_case import CaseSpec, build_case  # noqa: E402
from tools.throwaway_vault import CHEAP_KDF  # noqa: E402

PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("out", type=Path, help="where to write the support plan PDF")
    parser.add_argument("--form", type=Path, help="also write a shared care form PDF here")
    args = parser.parse_args(argv)
    with tempfile.TemporaryDirectory() as folder:
        created = VaultStore(Path(folder) / "vault", kdf_cost=CHEAP_KDF).create(
            "Sample Team Lead", Role.TEAM_LEAD, "sample passphrase for a throwaway vault")
        uow = created.session.uow
        try:
            case = build_case(uow)
            plan = load_plan_document(uow, case.plan_id, "Sample Team Lead", PRINTED_AT)
            args.out.write_bytes(render_support_plan(plan))
            if args.form:
                build_case(uow, CaseSpec(serial=8, given_name="Harold", family_name="O'Brien",
                                         disagree=True))
                with uow.read() as s:
                    discussion_id = s.scalars(select(SharedCareDiscussion.id)).one()
                form = load_shared_care_form(uow, discussion_id, "Sample Team Lead",
                                             PRINTED_AT)
                args.form.write_bytes(render_shared_care_form(form))
        finally:
            created.session.close()
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
