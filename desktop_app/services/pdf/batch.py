"""The team lead's batch: many support plans rendered on every core, as one PDF or in turn.

``plans_for_batch`` (from ``desktop_app.services.plans.batch``) chooses the plans, for
example every plan changed this week for a team. ``render_batch`` renders them into one
combined PDF in memory with a bookmark per person and plan version; each plan keeps its
own "Page X of Y". ``iter_rendered`` yields them one by one, in order, for printing.

Threads and processes:

- Documents are loaded through ``load``, a function the caller passes, on the calling
  thread, so the caller decides how database work reaches the database thread. In the app,
  run the batch on the task runner (not on the database thread, which it would hold for the
  whole batch) with ``load`` hopping onto the database thread for each plan, e.g.
  ``lambda plan_id: db.call(load_plan_document, uow, plan_id, printed_by, printed_at)``.
  ``plan_loader`` gives a ``load`` for scripts and tests, where there is one thread.
- Rendering runs in a ``ProcessPoolExecutor`` started with the *spawn* method, never fork:
  the app process has Qt and database threads (and a keyed connection) that a forked child
  would inherit half-copied. Workers run ``batch_worker.render_plan`` below normal priority
  (the app's process, loading plans and painting, comes first); documents reach them
  and PDFs come back through the pool's pipes. Nothing is written to disk, by the workers
  or here (the vault rule: no plaintext copy of a plan on disk).
- Loading and rendering overlap: at most ``2 × workers`` plans are in flight, so the first
  pages come quickly and a cancelled batch stops soon. ``cancelled()`` is checked before
  each load and while waiting; ``progress(done, total)`` is called on the calling thread as
  plans finish, first with ``(0, total)``.

A frozen (PyInstaller) app must call ``multiprocessing.freeze_support()`` first thing in
its entry point, or each spawned worker would start the whole app again instead of the
worker; the entry point must also only start the app under ``if __name__ == "__main__"``.

Printing and exporting are audited by the caller once they have happened, on the database
thread: ``plan_document.record_outputs(uow, result.plans, "print" | "export")``, one event
per plan in one transaction (loading each plan already audits it as a view).
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from dataclasses import dataclass
from functools import partial

from pypdf import PdfReader, PdfWriter

from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.pdf.batch_worker import lower_priority, render_plan
from desktop_app.services.pdf.layout import MARKING
from desktop_app.services.plans.batch import BatchPlanRow, plans_for_batch
from desktop_app.services.plans.document import PlanDocument, load_plan_document

__all__ = ["BatchCancelled", "BatchPlanRow", "BatchResult", "BatchedPlan", "RenderedPlan",
           "combine", "iter_rendered", "plan_loader", "plans_for_batch", "render_batch"]

Load = Callable[[str], PlanDocument]
Progress = Callable[[int, int], None]
Cancelled = Callable[[], bool]
IN_FLIGHT_PER_WORKER = 2
POLL_SECONDS = 0.1  # how often Cancel is noticed while a render runs


class BatchCancelled(ExpectedError):
    """The person cancelled the batch; nothing was kept."""

    def __init__(self) -> None:
        super().__init__("The batch was cancelled.")


@dataclass(frozen=True)
class RenderedPlan:
    """One plan's document and its own PDF."""

    document: PlanDocument
    pdf: bytes

    @property
    def plan_id(self) -> str:
        """The plan version rendered."""
        return self.document.plan_id


@dataclass(frozen=True)
class BatchedPlan:
    """Where one plan sits in the combined PDF (pages counted from 1)."""

    plan_id: str
    person_name: str
    nhs_number: str
    version_number: int
    first_page: int
    page_count: int

    @property
    def audit_entity(self) -> tuple[str, str]:
        """(entity type, id) under which printing this plan is audited."""
        return ("support_plan", self.plan_id)

    @property
    def bookmark(self) -> str:
        """The outline entry a team lead jumps to: person, NHS number, plan version."""
        return f"{self.person_name} ({self.nhs_number}) · version {self.version_number}"


@dataclass(frozen=True)
class BatchResult:
    """The combined PDF, or ``cancelled`` with no PDF and no plans."""

    pdf: bytes
    plans: tuple[BatchedPlan, ...]
    total: int
    cancelled: bool = False

    @property
    def page_count(self) -> int:
        """Pages in the combined PDF."""
        return sum(plan.page_count for plan in self.plans)


def plan_loader(uow: UnitOfWork, printed_by: str, printed_at: dt.datetime) -> Load:
    """A ``load`` that reads each plan directly through ``uow`` (on the calling thread)."""
    return partial(_load_direct, uow, printed_by, printed_at)


def _load_direct(uow: UnitOfWork, printed_by: str, printed_at: dt.datetime,
                 plan_id: str) -> PlanDocument:
    return load_plan_document(uow, plan_id, printed_by, printed_at)


def render_batch(load: Load, plan_ids: Sequence[str], progress: Progress,
                 cancelled: Cancelled, workers: int | None = None) -> BatchResult:
    """The plans as one PDF in memory, with a bookmark per plan; ``workers`` processes
    (default: one per core, never more than there are plans).

    On cancel the workers are stopped without waiting for queued plans and the result is
    marked ``cancelled``, with no PDF; nothing was written anywhere.
    """
    try:
        pdf, plans = combine(iter_rendered(load, plan_ids, progress, cancelled, workers))
    except BatchCancelled:
        return BatchResult(b"", (), len(plan_ids), cancelled=True)
    return BatchResult(pdf, plans, len(plan_ids))


def combine(rendered: Iterable[RenderedPlan]) -> tuple[bytes, tuple[BatchedPlan, ...]]:
    """One PDF of the plans in turn, a bookmark at each plan's first page (opened with the
    bookmarks showing); the PDF's title names no one, since print queues show it."""
    writer = PdfWriter()
    plans: list[BatchedPlan] = []
    author = ""
    for item in rendered:
        reader = PdfReader(io.BytesIO(item.pdf))
        document, author = item.document, item.document.printed_by
        plan = BatchedPlan(document.plan_id, document.person.full_name,
                           document.person.nhs_number, document.version_number,
                           first_page=len(writer.pages) + 1, page_count=len(reader.pages))
        writer.append(reader, outline_item=plan.bookmark, import_outline=False)
        plans.append(plan)
    if not plans:
        return b"", ()
    writer.add_metadata({"/Title": f"Support plans ({len(plans)})", "/Author": author,
                         "/Subject": MARKING, "/Creator": "Shared Care Planner"})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue(), tuple(plans)


def iter_rendered(load: Load, plan_ids: Sequence[str], progress: Progress | None = None,
                  cancelled: Cancelled | None = None,
                  workers: int | None = None) -> Generator[RenderedPlan, None, None]:
    """Each plan rendered in a worker process, yielded in ``plan_ids`` order.

    Raises ``BatchCancelled`` as soon as ``cancelled()`` is seen (stop printing then); any
    error from ``load`` or a worker stops the batch and is raised here. Leaving the loop
    early (or closing the iterator) stops the workers too.
    """
    total = len(plan_ids)
    (progress or _no_progress)(0, total)
    if not total:
        return
    count = _worker_count(workers, total)
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=lower_priority)
    finished = False
    try:
        yield from _Pipeline(pool, load, count * IN_FLIGHT_PER_WORKER, progress or _no_progress,
                             cancelled or _never).run(plan_ids)
        finished = True
    finally:
        # Cancelled, failed or abandoned: drop the queued plans and do not wait for them.
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _worker_count(workers: int | None, plans: int) -> int:
    wanted = workers if workers is not None else (os.cpu_count() or 1)
    if wanted < 1:
        raise ValueError("a batch needs at least one worker process")
    return min(wanted, plans)


class _Pipeline:
    """One batch on the calling thread: loads plans while at most ``window`` are in flight,
    counts them as they finish and hands them back in order."""

    def __init__(self, pool: ProcessPoolExecutor, load: Load, window: int,
                 progress: Progress, cancelled: Cancelled) -> None:
        self._pool, self._load, self._window = pool, load, window
        self._progress, self._cancelled = progress, cancelled
        self._queue: deque[tuple[PlanDocument, Future[bytes]]] = deque()
        self._running: set[Future[bytes]] = set()
        self._done = 0
        self._total = 0

    def run(self, plan_ids: Sequence[str]) -> Iterator[RenderedPlan]:
        self._total, waiting = len(plan_ids), iter(plan_ids)
        while True:
            self._check()
            self._fill(waiting)
            if not self._queue:
                return
            document, head = self._queue[0]
            while not head.done():
                self._check()
                wait(self._running, POLL_SECONDS, FIRST_COMPLETED)
                self._count()
            self._count()
            self._queue.popleft()
            yield RenderedPlan(document, head.result())

    def _fill(self, waiting: Iterator[str]) -> None:
        while len(self._queue) < self._window:
            plan_id = next(waiting, None)
            if plan_id is None:
                return
            self._check()
            document = self._load(plan_id)
            future = self._pool.submit(render_plan, document)
            self._queue.append((document, future))
            self._running.add(future)

    def _count(self) -> None:
        finished = {future for future in self._running if future.done()}
        if finished:
            self._running -= finished
            self._done += len(finished)
            self._progress(self._done, self._total)

    def _check(self) -> None:
        if self._cancelled():
            raise BatchCancelled()


def _no_progress(done: int, total: int) -> None:
    """Progress for callers that do not show any."""


def _never() -> bool:
    return False
