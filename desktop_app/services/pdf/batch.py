"""The team lead's batch: many support plans rendered on every core, as one PDF or in turn.

``plans_for_batch`` (from ``desktop_app.services.plans.batch``) chooses the plans, for
example every plan changed this week for a team. ``render_batch`` renders them into one
combined PDF in memory with a bookmark per person and plan version; each plan keeps its
own "Page X of Y". ``iter_rendered`` yields them one by one, in order, for printing.

The combining is shared with the workers: each worker renders its plan and cuts it into the
objects its pages use (``stitch.split_plan``), and this process only copies those bytes into
the combined PDF in order (``stitch.Stitcher``), never reading a page back. (Reading every
plan back with pypdf took this process as long as loading the plans: 9 s of 23 s for 500.)

Threads and processes:

- Documents are loaded through ``load``, a function the caller passes, on the calling
  thread, so the caller decides how database work reaches the database thread. In the app,
  run the batch on the task runner (not on the database thread, which it would hold for the
  whole batch) with ``load`` hopping onto the database thread for each plan, e.g.
  ``lambda plan_id: db.call(load_plan_document, uow, plan_id, printed_by, printed_at)``.
  ``plan_loader`` gives a ``load`` for scripts and tests, where there is one thread.
- Rendering runs in a ``ProcessPoolExecutor`` started with the *spawn* method, never fork:
  the app process has Qt and database threads (and a keyed connection) that a forked child
  would inherit half-copied. Workers run ``batch_worker.render_part`` (``render_plan``
  for ``iter_rendered``) below normal priority (the app's process, loading plans and
  painting, comes first); documents reach them and parts or PDFs come back through the
  pool's pipes. Nothing is written to disk, by the workers or here (the vault rule: no
  plaintext copy of a plan on disk): the parts and the combined PDF stay in memory.
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
import multiprocessing
import os
from collections import deque
from collections.abc import Callable, Generator, Iterable, Iterator, Sequence
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from contextlib import closing
from dataclasses import dataclass
from functools import partial
from typing import Generic, TypeVar

from desktop_app.services.core.errors import ExpectedError
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.pdf.batch_worker import lower_priority, render_part, render_plan
from desktop_app.services.pdf.layout import MARKING
from desktop_app.services.pdf.stitch import PlanPart, Stitcher, split_plan
from desktop_app.services.plans.batch import BatchPlanRow, plans_for_batch
from desktop_app.services.plans.document import PlanDocument, load_plan_document

__all__ = ["BatchCancelled", "BatchPlanRow", "BatchResult", "BatchedPlan", "RenderedPlan",
           "combine", "iter_rendered", "plan_loader", "plans_for_batch", "render_batch"]

Load = Callable[[str], PlanDocument]
_T = TypeVar("_T")
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
        with closing(_in_workers(render_part, load, plan_ids, progress, cancelled,
                                 workers)) as parts:
            pdf, plans = _stitch(parts)
    except BatchCancelled:
        return BatchResult(b"", (), len(plan_ids), cancelled=True)
    return BatchResult(pdf, plans, len(plan_ids))


def combine(rendered: Iterable[RenderedPlan]) -> tuple[bytes, tuple[BatchedPlan, ...]]:
    """One PDF of plans already rendered, as ``render_batch`` makes it (each is cut into
    its part here, in this process; the batch has its workers do that)."""
    return _stitch((item.document, split_plan(item.pdf)) for item in rendered)


def _stitch(parts: Iterable[tuple[PlanDocument, PlanPart]]
            ) -> tuple[bytes, tuple[BatchedPlan, ...]]:
    """One PDF of the plans in turn, a bookmark at each plan's first page (opened with the
    bookmarks showing); the PDF's title names no one, since print queues show it."""
    stitcher = Stitcher()
    plans: list[BatchedPlan] = []
    author = ""
    for document, part in parts:
        author = document.printed_by
        plan = BatchedPlan(document.plan_id, document.person.full_name,
                           document.person.nhs_number, document.version_number,
                           first_page=stitcher.page_count + 1, page_count=part.page_count)
        stitcher.add(part, plan.bookmark)
        plans.append(plan)
    if not plans:
        return b"", ()
    # The properties as they were when pypdf combined the plans (its Producer included).
    return stitcher.finish([("/Producer", "pypdf"), ("/Title", f"Support plans ({len(plans)})"),
                            ("/Author", author), ("/Subject", MARKING),
                            ("/Creator", "Shared Care Planner")]), tuple(plans)


def iter_rendered(load: Load, plan_ids: Sequence[str], progress: Progress | None = None,
                  cancelled: Cancelled | None = None,
                  workers: int | None = None) -> Generator[RenderedPlan, None, None]:
    """Each plan rendered in a worker process, yielded in ``plan_ids`` order.

    Raises ``BatchCancelled`` as soon as ``cancelled()`` is seen (stop printing then); any
    error from ``load`` or a worker stops the batch and is raised here. Leaving the loop
    early (or closing the iterator) stops the workers too.
    """
    # Closed with this generator, so leaving early stops the workers at once.
    with closing(_in_workers(render_plan, load, plan_ids, progress, cancelled,
                             workers)) as rendered:
        for document, pdf in rendered:
            yield RenderedPlan(document, pdf)


def _in_workers(work: Callable[[PlanDocument], _T], load: Load, plan_ids: Sequence[str],
                progress: Progress | None, cancelled: Cancelled | None,
                workers: int | None) -> Generator[tuple[PlanDocument, _T], None, None]:
    """``work(document)`` of each plan in a worker process, in ``plan_ids`` order, as
    ``iter_rendered`` describes (cancel, errors, leaving early)."""
    total = len(plan_ids)
    (progress or _no_progress)(0, total)
    if not total:
        return
    count = _worker_count(workers, total)
    pool = ProcessPoolExecutor(count, mp_context=multiprocessing.get_context("spawn"),
                               initializer=lower_priority)
    finished = False
    try:
        yield from _Pipeline(pool, work, load, count * IN_FLIGHT_PER_WORKER,
                             progress or _no_progress, cancelled or _never).run(plan_ids)
        finished = True
    finally:
        # Cancelled, failed or abandoned: drop the queued plans and do not wait for them.
        pool.shutdown(wait=finished, cancel_futures=not finished)


def _worker_count(workers: int | None, plans: int) -> int:
    wanted = workers if workers is not None else (os.cpu_count() or 1)
    if wanted < 1:
        raise ValueError("a batch needs at least one worker process")
    return min(wanted, plans)


class _Pipeline(Generic[_T]):
    """One batch on the calling thread: loads plans while at most ``window`` are in flight,
    counts them as they finish and hands them back in order."""

    def __init__(self, pool: ProcessPoolExecutor, work: Callable[[PlanDocument], _T],
                 load: Load, window: int, progress: Progress, cancelled: Cancelled) -> None:
        self._pool, self._work, self._load, self._window = pool, work, load, window
        self._progress, self._cancelled = progress, cancelled
        self._queue: deque[tuple[PlanDocument, Future[_T]]] = deque()
        self._running: set[Future[_T]] = set()
        self._done = 0
        self._total = 0

    def run(self, plan_ids: Sequence[str]) -> Iterator[tuple[PlanDocument, _T]]:
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
            yield document, head.result()

    def _fill(self, waiting: Iterator[str]) -> None:
        while len(self._queue) < self._window:
            plan_id = next(waiting, None)
            if plan_id is None:
                return
            self._check()
            document = self._load(plan_id)
            future = self._pool.submit(self._work, document)
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
