"""``--self-test``: proves an installed copy works, without touching anyone's data.

IT staff run ``shared-care-planner --self-test`` after installing or upgrading. In a
temporary folder (``SHARED_CARE_PLANNER_HOME`` points there for the whole run, so the
user's real vault, settings and logs are never opened) it creates an encrypted vault,
signs in, writes a synthetic person and reads them back, records delegations with support
plans, renders a plan as a PDF in this process and two more in worker processes (the
team lead's batch), loads the PDF with QtPdf on a real ``QApplication``, checks that
nothing on disk is readable without the key, and removes the folder. Each step prints a
tick and its time; the first failure names the step and the exit code is 1.

Everything is synthetic: NHS numbers from the 999 range, invented names and places.
The vault's Argon2id cost is the production cost unless the caller passes another one
(the test suite uses the OWASP minimum to stay fast); the output says which.
"""

from __future__ import annotations

import datetime as dt
import os
import secrets
import sys
import tempfile
import time
import traceback
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from desktop_app import __version__

Out = Callable[[str], None]
SQLITE_HEADER = b"SQLite format 3\x00"
USER_NAME = "Self-test Nurse"
BATCH_WORKERS = 2
# Keeps the QApplication alive after the Qt step: Qt allows only one per process, and a
# caller (the test suite, say) may go on to use it.
_qt_app: list[Any] = []


class SelfTestFailed(Exception):
    """A check found something wrong (as opposed to a step raising on its own)."""


@dataclass
class _Run:
    """What the steps share: the temporary folder, the open vault and what was made."""

    root: Path
    kdf: Any
    passphrase: str = field(default_factory=lambda: secrets.token_urlsafe(18))
    # A name that exists nowhere else, searched for in the raw files at the end.
    marker: str = field(default_factory=lambda: "Selftest" + secrets.token_hex(6))
    store: Any = None
    session: Any = None
    user_id: str = ""
    person_id: str = ""
    plan_ids: list[str] = field(default_factory=list)
    pdf: bytes = b""
    pages: int = 0

    @property
    def vault_dir(self) -> Path:
        from desktop_app.services.core import paths
        return paths.resolve_paths().vault_dir


def _check(condition: bool, message: str) -> None:
    if not condition:
        raise SelfTestFailed(message)


# ---------------------------------------------------------------- the steps


def _resources(run: _Run) -> str:
    from desktop_app.services.core.paths import resources_dir
    from desktop_app.services.framework.catalogue import load_catalogue
    from desktop_app.services.framework.flow import load_flow
    from desktop_app.services.framework.person_centred import shipped_services

    folder = resources_dir()
    fonts = sorted(p.name for p in (folder / "fonts").glob("*.ttf"))
    _check(bool(fonts), f"no fonts in {folder / 'fonts'}")
    catalogue, flow = load_catalogue(), load_flow()
    services = shipped_services(folder / "signposting_services.json")
    return (f"{folder}; task catalogue {catalogue.version}, flow {flow.version}, "
            f"{len(fonts)} fonts, {len(services)} signposting services")


def _create_vault(run: _Run) -> str:
    from desktop_app.models.user import Role
    from desktop_app.services.vault import VaultStore
    from desktop_app.services.vault.kdf import DEFAULT_COST

    cost = run.kdf or DEFAULT_COST
    run.store = VaultStore(run.vault_dir, kdf_cost=cost)
    created = run.store.create(USER_NAME, Role.TEAM_LEAD, run.passphrase)
    run.user_id = created.session.user.user_id
    created.session.close()
    which = "the production cost" if cost == DEFAULT_COST else "a reduced cost, for speed"
    return (f"SQLCipher, migrations to head; Argon2id at {which} "
            f"({cost.memory_kib // 1024} MiB, {cost.iterations} passes)")


def _sign_in(run: _Run) -> str:
    run.session = run.store.unlock(run.user_id, run.passphrase)
    return f"as {run.session.user.display_name!r}"


def _person(run: _Run) -> str:
    from desktop_app.services.framework.identifiers import synthetic_nhs_number
    from desktop_app.services.people import PersonInput, create_person, open_person

    typed = PersonInput(nhs_number=synthetic_nhs_number(1), given_name="Sam",
                        family_name=run.marker, date_of_birth=dt.date(1940, 2, 29),
                        address_line1="1 Example Street", town="Leicester",
                        postcode="LE1 5WW", team="Self-test team",
                        communication_needs="Synthetic record made by the self-test")
    saved = create_person(run.session.uow, typed)
    run.person_id = saved.id
    read = open_person(run.session.uow, saved.id)
    for name in ("nhs_number", "given_name", "family_name", "date_of_birth", "postcode",
                 "communication_needs"):
        _check(getattr(read, name) == getattr(typed, name), f"{name} did not read back")
    return f"NHS number {read.nhs_number_display} (999 range, synthetic)"


def _delegations(run: _Run) -> str:
    from desktop_app.services.demo import seed_demo_caseload, seed_demo_delegations
    from desktop_app.services.people.caseload import CaseloadQuery, search
    from desktop_app.services.people.record import load_record

    uow = run.session.uow
    # One more synthetic person (serial 0), the demo providers and their care workers;
    # then both people get a delegation that ends with a support plan.
    seed_demo_caseload(uow, people=1)
    seed_demo_delegations(uow, count=2)
    rows = search(uow, CaseloadQuery()).rows
    for row in rows:
        run.plan_ids.extend(plan.id for plan in load_record(uow, row.person_id).plans)
    _check(len(rows) == 2, f"expected 2 people on the caseload, found {len(rows)}")
    _check(len(run.plan_ids) == 2, f"expected 2 support plans, found {len(run.plan_ids)}")
    return "2 people, 2 delegations, 2 support plans"


def _page_count(pdf: bytes) -> int:
    import io

    from pypdf import PdfReader
    _check(pdf.startswith(b"%PDF-"), "the output does not start with %PDF-")
    return len(PdfReader(io.BytesIO(pdf)).pages)


def _render(run: _Run) -> str:
    from desktop_app.services.pdf.support_plan import render_support_plan
    from desktop_app.services.plans.document import load_plan_document

    document = load_plan_document(run.session.uow, run.plan_ids[-1], USER_NAME,
                                  dt.datetime.now(dt.UTC))
    run.pdf = render_support_plan(document)
    run.pages = _page_count(run.pdf)
    _check(run.pages > 0, "the support plan PDF has no pages")
    return f"{run.pages} pages, {len(run.pdf) // 1024} KiB, in memory only"


def _batch(run: _Run) -> str:
    from desktop_app.services.pdf.batch import plan_loader, render_batch

    load = plan_loader(run.session.uow, USER_NAME, dt.datetime.now(dt.UTC))
    result = render_batch(load, run.plan_ids, lambda done, total: None, lambda: False,
                          workers=BATCH_WORKERS)
    _check(not result.cancelled and len(result.plans) == 2, "the batch did not finish")
    pages = _page_count(result.pdf)
    _check(pages == result.page_count > 0, "the combined PDF lost pages")
    return f"{len(result.plans)} plans, {pages} pages, {BATCH_WORKERS} worker processes"


def _qt(run: _Run) -> str:
    from PySide6.QtCore import QBuffer, QByteArray, QIODevice, QSize
    from PySide6.QtPdf import QPdfDocument
    from PySide6.QtWidgets import QApplication

    existing = QApplication.instance()
    app = existing if isinstance(existing, QApplication) else QApplication(
        [sys.argv[0] if sys.argv else "self-test"])
    _qt_app[:] = [app]
    buffer = QBuffer()
    buffer.setData(QByteArray(run.pdf))
    buffer.open(QIODevice.OpenModeFlag.ReadOnly)
    document = QPdfDocument()
    try:
        document.load(buffer)
        _check(document.status() == QPdfDocument.Status.Ready,
               f"QtPdf could not load the plan ({document.error()})")
        _check(document.pageCount() == run.pages,
               f"QtPdf sees {document.pageCount()} pages, expected {run.pages}")
        image = document.render(0, QSize(210, 297))
        _check(not image.isNull(), "QtPdf could not draw the first page")
    finally:
        document.close()
        buffer.close()
    return f"platform {app.platformName()!r}, QtPdf drew page 1 of {run.pages}"


def _sign_out(run: _Run) -> str:
    session, run.session = run.session, None
    session.close()
    return ""


def _encrypted(run: _Run) -> str:
    files = [p for p in run.root.rglob("*") if p.is_file()]
    database = run.vault_dir / "vault.db"
    _check(database in files, "the vault database was not where expected")
    with open(database, "rb") as handle:
        _check(handle.read(16) != SQLITE_HEADER, "the vault database is plain SQLite")
    marker = run.marker.encode()
    for path in files:
        _check(marker not in path.read_bytes(),
               f"the synthetic person's name is readable in {path.name}")
    return f"{len(files)} files checked: no SQLite header, no readable name"


STEPS: list[tuple[str, Callable[[_Run], str]]] = [
    ("find the app's resources", _resources),
    ("create an encrypted vault", _create_vault),
    ("sign in", _sign_in),
    ("write a synthetic person and read it back", _person),
    ("record delegations with support plans", _delegations),
    ("render a support plan PDF", _render),
    ("render two plans in worker processes", _batch),
    ("show the PDF with Qt (QApplication, QtPdf)", _qt),
    ("sign out", _sign_out),
    ("nothing readable on disk", _encrypted),
]


# ---------------------------------------------------------------- running them


def _marks() -> tuple[str, str]:
    """✓ and ✗ where the console can show them (a Windows code page may not)."""
    encoding = getattr(sys.stdout, "encoding", None) or "ascii"
    try:
        "✓✗".encode(encoding)
    except (LookupError, UnicodeEncodeError):
        return "OK", "FAILED"
    return "✓", "✗"


def _ms(started: float) -> str:
    return f"{(time.perf_counter() - started) * 1000:.0f} ms"


def _run_steps(run: _Run, out: Out, ok: str, bad: str) -> bool:
    for name, step in STEPS:
        started = time.perf_counter()
        try:
            detail = step(run)
        except Exception as error:  # every failure is reported, not raised
            out(f"{bad} {name}: {type(error).__name__}: {error}")
            if not isinstance(error, SelfTestFailed):
                out(traceback.format_exc().rstrip())
            return False
        out(f"{ok} {name}" + (f" — {detail}" if detail else "") + f" ({_ms(started)})")
    return True


def _close(run: _Run) -> None:
    """Close the vault if a step failed while it was open (Windows cannot remove it open)."""
    if run.session is not None:
        try:
            run.session.close()
        except Exception:  # the folder removal below still runs
            pass
        run.session = None


def run_self_test(out: Out = print, *, kdf: Any = None) -> int:
    """Run every check in a throwaway folder; 0 when all passed, 1 at the first failure.

    ``kdf`` (a ``KdfParams``) overrides the production Argon2id cost of the throwaway vault.
    """
    from desktop_app.services.core.paths import HOME_ENV

    ok, bad = _marks()
    frozen = "installed bundle" if getattr(sys, "frozen", False) else "from source"
    out(f"Shared Care Planner {__version__} self-test ({frozen}, Python "
        f"{sys.version.split()[0]}, {sys.platform}); synthetic data only")
    started, previous = time.perf_counter(), os.environ.get(HOME_ENV)
    folder = tempfile.TemporaryDirectory(prefix="scp-self-test-")
    root = Path(folder.name)
    os.environ[HOME_ENV] = str(root)
    run = _Run(root, kdf)
    try:
        passed = _run_steps(run, out, ok, bad)
    finally:
        _close(run)
        if previous is None:
            os.environ.pop(HOME_ENV, None)
        else:
            os.environ[HOME_ENV] = previous
    removed_at = time.perf_counter()
    try:
        folder.cleanup()
    except OSError as error:
        out(f"{bad} remove the temporary folder: {error}")
        return 1
    if root.exists():
        out(f"{bad} remove the temporary folder: {root} is still there")
        return 1
    out(f"{ok} remove the temporary folder ({_ms(removed_at)})")
    if not passed:
        out(f"Self-test FAILED after {_ms(started)}.")
        return 1
    out(f"Self-test passed in {_ms(started)}.")
    return 0
