"""The IPCB's framework page (issue 21): the versions in force, publishing a new one, and
which laptops hold which version. ``ipcb_governance`` accounts only.

- ``GET /console/framework``: each kind's versions, newest first (shipped with the app, or
  published here by whom and when, with the SHA-256 and the note); the form; the laptops'
  versions (counts per version, and every active laptop by team with when it was last seen).
- ``POST /console/framework/publish``: the kind, the document as a file (``<input
  type=file>``) or pasted into the text box, and a note. ``framework.publish`` checks it;
  a refusal shows the page again with the exact reason and everything typed (a file's text
  is put in the box, since a browser cannot keep a chosen file), and publishes nothing. A
  catalogue that lets care workers do a registered-nurse-only task asks for the IPCB's
  confirmation first. Success redirects to the page with a notice (303).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoints' Annotated
# dependencies at definition time, and they name functions local to ``add_pages``.
from dataclasses import dataclass
from typing import Annotated

from fastapi import APIRouter, Depends, Request
from fastapi.responses import HTMLResponse, RedirectResponse, Response
from sqlalchemy.orm import Session
from starlette.concurrency import run_in_threadpool
from starlette.datastructures import FormData, UploadFile

from scp_common.framework.documents import MAX_DOCUMENT_BYTES
from sync_server import framework
from sync_server.console.web import ConsoleWeb, Operator
from sync_server.models import FrameworkRelease

PAGE = "framework/index.html"
BOTH = "Give the document once: choose a file or paste it into the box, not both."
NEITHER = "Choose the document's file, or paste the document into the box."


@dataclass
class Typed:
    """What the form held, to show again after a refusal (never a chosen file itself)."""

    kind: str = ""
    pasted: str = ""
    note: str = ""
    confirm_widening: bool = False
    from_file: bool = False


async def _document(form: FormData, typed: Typed) -> tuple[bytes | str | None, str | None]:
    """The document (file bytes or pasted text) and the problem with what was given."""
    upload = form.get("document")
    data = b""
    if isinstance(upload, UploadFile):
        data = await upload.read(MAX_DOCUMENT_BYTES + 1)
    if data and typed.pasted.strip():
        return None, BOTH
    if data:
        try:  # shown again in the box if refused: nothing the IPCB gave is lost
            typed.pasted, typed.from_file = data.decode("utf-8"), True
        except UnicodeDecodeError:
            pass
        return data, None
    if typed.pasted.strip():
        return typed.pasted, None
    return None, NEITHER


def _publisher(operator: Operator) -> framework.Publisher:
    return framework.Publisher("console", operator.account_id, operator.username)


def add_pages(router: APIRouter, web: ConsoleWeb) -> None:
    """Adds the framework page and its publish form to the console router."""

    def show(request: Request, operator: Operator, db: Session, *, status_code: int = 200,
             typed: Typed | None = None, error: str = "", notice: str = "",
             needs_confirmation: bool = False, widened: tuple[str, ...] = ()) -> Response:
        with db.begin():
            versions = framework.in_force(db)
            holdings = framework.holdings(db)
        return web.page(request, operator, PAGE, status_code, versions=versions,
                        holdings=holdings, kind_names=framework.KIND_NAMES,
                        knows_shipped=framework.resources_folder() is not None,
                        typed=typed or Typed(), error=error, notice=notice,
                        needs_confirmation=needs_confirmation, widened=widened,
                        max_size=f"{MAX_DOCUMENT_BYTES // (1024 * 1024)} MiB")

    @router.get("/framework", response_class=HTMLResponse)
    def framework_page(request: Request, operator: Annotated[Operator, Depends(web.ipcb)],
                       db: Annotated[Session, Depends(web.db)],
                       published: str | None = None, already: str | None = None) -> Response:
        notice = ""
        release_id = published or already
        if release_id:
            with db.begin():
                release = db.get(FrameworkRelease, release_id[:36])
                found = (release.kind, release.version) if release is not None else None
            if found is not None:
                name, version = framework.KIND_NAMES[found[0]], found[1]
                notice = (f"The {name} {version} was already published; nothing changed."
                          if already else
                          f"Published the {name} {version}. Laptops receive it on their "
                          "next sync.")
        return show(request, operator, db, notice=notice)

    @router.post("/framework/publish", response_class=HTMLResponse)
    async def publish(request: Request, operator: Annotated[Operator, Depends(web.ipcb)],
                      db: Annotated[Session, Depends(web.db)]) -> Response:
        form = await web.form(request, operator)
        typed = Typed(kind=str(form.get("kind") or ""), pasted=str(form.get("pasted") or ""),
                      note=str(form.get("note") or ""),
                      confirm_widening=form.get("confirm_widening") == "yes")
        raw, problem = await _document(form, typed)
        if raw is None:
            return await run_in_threadpool(show, request, operator, db, status_code=400,
                                           typed=typed, error=problem or NEITHER)

        def publish_it() -> framework.Published:
            with db.begin():
                return framework.publish(db, typed.kind, raw, _publisher(operator),
                                         typed.note, confirm_widening=typed.confirm_widening)

        try:
            outcome = await run_in_threadpool(publish_it)
        except framework.PublishRefused as refused:
            return await run_in_threadpool(
                show, request, operator, db, status_code=400, typed=typed,
                error=refused.message, needs_confirmation=refused.needs_confirmation,
                widened=refused.widened)
        which = "already" if outcome.already else "published"
        return RedirectResponse(f"/console/framework?{which}={outcome.release.id}",
                                status_code=303)
