"""One sync run: probe the store, push the outbox in batches, pull the team's changes.

``SyncClient.run(uow, progress, cancelled)`` is plain Python; the UI calls it from a worker
on a timer, on reconnect and with backoff (``next_delay``). The run

1. reads the enrolment from the vault (``NotEnrolled`` without a token);
2. probes ``/health``: an answer without the store's header (a captive portal) is
   ``NotTheStore``, i.e. offline;
3. pushes the pending outbox in ``seq`` order, in batches of ``batch_size`` (and at most
   ``max_batch_bytes``), marking entries only by the store's answers (``push``);
4. pulls pages after the cursor, each applied with the new cursor in one local transaction
   without writing outbox entries (``pull``);
5. records the time of the last complete sync.

``cancelled()`` is asked before every batch and every page: a cancelled run stops between
them, with everything done so far kept. Two runs on one vault never overlap: a second one
raises ``SyncAlreadyRunning``.

Threads: the vault's single connection belongs to the database thread. Pass ``db`` (for
example ``DatabaseExecutor.call``) to run the client on a network thread while each step
that touches the vault runs on the database thread, so other work is never blocked behind
the network; without ``db`` everything runs on the calling thread, which must then be the
database thread. Within a run the requests themselves go out on helper threads, so the
vault's work overlaps the wait (the next batch is read while others are on the wire; the
next page is fetched while one is written), and up to ``in_flight`` batches that share no
record are on the wire at once (``_Run.push``).
"""

from __future__ import annotations

import datetime as dt
import enum
import logging
import random
import threading
import weakref
from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from desktop_app.models.base import utc_now
from desktop_app.models.sync import HeldBackChange
from desktop_app.services.core.tracking import APPLYING_REMOTE
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.sync.errors import DeviceRevoked, SyncAlreadyRunning, SyncProtocolError
from desktop_app.services.sync.pull import (
    FetchedPage,
    PageNeedsCare,
    PageTally,
    apply_page,
    read_page,
)
from desktop_app.services.sync.push import (
    KEEP_ANSWERED,
    AnswerTally,
    PlannedChange,
    PreparedBatch,
    answers_match,
    apply_answers,
    forget_answered,
    plan_push,
    prepare_batch,
    quarantine_unsendable,
    understood,
)
from desktop_app.services.sync.state import (
    Credentials,
    credentials,
    forget_revoked_token,
    on_this_thread,
    state_row,
)
from desktop_app.services.sync.transport import BodyTooLarge, StoreConnection, Timeouts

log = logging.getLogger(__name__)
T = TypeVar("T")
DbCall = Callable[[Callable[[], Any]], Any]
TOO_LARGE_TO_SEND = "too large to send to the central store, even on its own"
NOT_UNDERSTOOD = ("The central store's answer to a batch could not be understood; what it did "
                  "answer is recorded, the rest waits. Sync will try again later.")


class SyncPhase(enum.StrEnum):
    """Where a run is."""

    CONNECTING = "connecting"
    PUSHING = "pushing"
    PULLING = "pulling"
    FINISHED = "finished"


@dataclass(frozen=True)
class SyncProgress:
    """Reported after each step: changes sent of ``total``, or records received so far."""

    phase: SyncPhase
    done: int = 0
    total: int | None = None


@dataclass(frozen=True)
class SyncResult:
    """What one run did."""

    pushed: int
    conflicts: int
    quarantined: int
    pulled: int
    deferred: int
    held_back: int
    batches: int
    pages: int
    cancelled: bool
    finished_at: dt.datetime


@dataclass(frozen=True)
class SyncOptions:
    """Batch and page sizes (the store takes at most 1,000 changes per push and 5,000 records
    per page), how many batches may be on the wire at once, and how long to wait."""

    batch_size: int = 500
    in_flight: int = 2
    max_batch_bytes: int = 8 * 1024 * 1024
    pull_limit: int = 5000
    timeouts: Timeouts = field(default_factory=Timeouts)

    def __post_init__(self) -> None:
        if not 1 <= self.batch_size <= 1000:
            raise ValueError("batch_size must be between 1 and 1,000")
        if not 1 <= self.in_flight <= 4:
            raise ValueError("in_flight must be between 1 and 4")
        if not 1 <= self.pull_limit <= 5000:
            raise ValueError("pull_limit must be between 1 and 5,000")


def next_delay(failures: int, *, base: float = 30.0, cap: float = 1800.0,
               rng: Callable[[], float] = random.random) -> float:
    """Seconds to wait after ``failures`` failed runs in a row: doubling from ``base`` up to
    ``cap``, each drawn at random from the upper half so laptops do not retry in step."""
    if failures <= 0:
        return 0.0
    ceiling = min(cap, base * 2.0 ** min(failures - 1, 32))
    return ceiling * (0.5 + 0.5 * rng())


_LOCKS: weakref.WeakKeyDictionary[Engine, threading.Lock] = weakref.WeakKeyDictionary()
_LOCKS_GUARD = threading.Lock()


def _run_lock(engine: Engine) -> threading.Lock:
    with _LOCKS_GUARD:
        lock = _LOCKS.get(engine)
        if lock is None:
            lock = _LOCKS[engine] = threading.Lock()
        return lock


def _engine_of(uow: UnitOfWork) -> Engine:
    with uow.read() as session:
        bind = session.get_bind()
    assert isinstance(bind, Engine)
    return bind


class SyncClient:
    """Runs syncs of a vault with the central store; holds no state between runs."""

    def __init__(self, options: SyncOptions | None = None, *, db: DbCall | None = None,
                 transport: httpx.BaseTransport | None = None) -> None:
        self.options = options or SyncOptions()
        self._db: DbCall = db or on_this_thread
        self._transport = transport

    def run(self, uow: UnitOfWork, progress: Callable[[SyncProgress], None],
            cancelled: Callable[[], bool], *, transport: httpx.BaseTransport | None = None
            ) -> SyncResult:
        """One run (module docstring). Raises the typed errors of ``sync.errors``; whatever
        it raises, every change not answered by the store stays in the outbox."""
        lock = _run_lock(self._db(lambda: _engine_of(uow)))
        if not lock.acquire(blocking=False):
            raise SyncAlreadyRunning("A sync is already running; this one was not started.")
        try:
            run = _Run(self.options, self._db, uow, progress, cancelled)
            return run.go(transport or self._transport)
        finally:
            lock.release()


def run(uow: UnitOfWork, progress: Callable[[SyncProgress], None],
        cancelled: Callable[[], bool], *, transport: httpx.BaseTransport | None = None,
        db: DbCall | None = None, options: SyncOptions | None = None) -> SyncResult:
    """``SyncClient(options, db=db).run(uow, progress, cancelled, transport=transport)``."""
    return SyncClient(options, db=db).run(uow, progress, cancelled, transport=transport)


@dataclass(eq=False)
class _OnTheWire:
    """A batch read for sending: where it starts in the plan, its records, its reply."""

    batch: PreparedBatch
    start: int
    reply: Future[list[Any]] | None = None
    records: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.records = frozenset((c.planned.entity_type, c.planned.entity_id)
                                 for c in self.batch.changes)

    @property
    def span(self) -> tuple[int, int]:
        """The plan entries it covers, to read again."""
        return self.start, self.start + self.batch.consumed


class _Run:
    """The state of one run."""

    def __init__(self, options: SyncOptions, db: DbCall, uow: UnitOfWork,
                 progress: Callable[[SyncProgress], None], cancelled: Callable[[], bool]
                 ) -> None:
        self.options, self.db, self.uow = options, db, uow
        self.progress, self.is_cancelled = progress, cancelled
        self.cancelled = False
        self.pushed = self.conflicts = self.quarantined = 0
        self.pulled = self.deferred = self.batches = self.pages = 0

    def write(self, fn: Callable[[Session], T]) -> T:
        """``fn`` in one vault transaction on the database thread; never through tracking."""
        def step() -> T:
            with self.uow.begin() as session:
                session.info[APPLYING_REMOTE] = True
                return fn(session)
        result: T = self.db(step)
        return result

    def stop_here(self) -> bool:
        if self.is_cancelled():
            self.cancelled = True
        return self.cancelled

    def go(self, transport: httpx.BaseTransport | None) -> SyncResult:
        creds: Credentials = self.db(lambda: credentials(self.uow))
        self.progress(SyncProgress(SyncPhase.CONNECTING))
        with StoreConnection(creds.server_url, token=creds.token, ca_bundle=creds.ca_bundle,
                             transport=transport, timeouts=self.options.timeouts) as conn:
            conn.health()
            with ThreadPoolExecutor(self.options.in_flight,
                                    thread_name_prefix="sync-network") as net:
                try:
                    self.push(conn, net)
                    if not self.cancelled:
                        self.pull(conn, net)
                except DeviceRevoked:
                    self.db(lambda: forget_revoked_token(self.uow))
                    raise
        if not self.cancelled:
            self.write(_finished)
        held = self.write(lambda s: s.scalar(select(func.count()).select_from(HeldBackChange)))
        self.progress(SyncProgress(SyncPhase.FINISHED, self.pushed))
        return SyncResult(self.pushed, self.conflicts, self.quarantined, self.pulled,
                          self.deferred, int(held or 0), self.batches, self.pages,
                          self.cancelled, utc_now())

    def push(self, conn: StoreConnection, net: ThreadPoolExecutor) -> None:
        """Send the outbox as planned at the start of the run, batch by batch (``_Push``)."""
        plan: list[PlannedChange] = self.write(plan_push)
        _Push(self, conn, net, plan).go()

    def count(self, tally: AnswerTally) -> None:
        """Add one batch's answers to the run's figures."""
        self.batches += 1
        self.pushed += tally.done
        self.conflicts += tally.conflicts
        self.quarantined += tally.quarantined
        for reason in tally.reasons:
            log.info("the central store refused a change: %s", reason)

    def apply(self, page: FetchedPage) -> PageTally:
        """One page in one transaction; again row by row if a row breaks a local rule."""
        try:
            tally: PageTally = self.write(partial(apply_page, actor=self.uow.actor, page=page))
        except PageNeedsCare:
            tally = self.write(partial(apply_page, actor=self.uow.actor, page=page,
                                       careful=True))
        return tally

    def pull(self, conn: StoreConnection, net: ThreadPoolExecutor) -> None:
        """Pages after the stored cursor until the store has no more; the next page is
        fetched (and read) while the last one is written to the vault."""
        cursor: int = self.write(lambda s: state_row(s).pull_cursor)
        limit = self.options.pull_limit
        reply = None if self.stop_here() else net.submit(conn.pull_body, cursor, limit)
        while reply is not None:
            body: bytes = reply.result()
            page: FetchedPage = self.db(partial(read_page, body))
            if page.next_cursor < cursor:
                log.warning("the central store's cursor went back (restored from a backup): "
                            "pulling everything again")
                self.write(_start_resync)
                cursor = 0
                reply = net.submit(conn.pull_body, cursor, limit)
                continue
            if page.has_more and page.next_cursor <= cursor:
                raise SyncProtocolError("The central store's pages did not move on; sync will "
                                        "try again later.")
            more = page.has_more and not self.stop_here()
            reply = net.submit(conn.pull_body, page.next_cursor, limit) if more else None
            tally = self.apply(page)
            cursor = page.next_cursor
            self.pages += 1
            self.pulled += tally.applied
            self.deferred += tally.deferred
            self.progress(SyncProgress(SyncPhase.PULLING, self.pulled))


class _Push:
    """One run's push: the plan, the spans of it still to read, the batch read ahead, and
    the batches on the wire.

    Up to ``in_flight`` batches are on the wire at once, but only batches that share no
    record: the store may apply them in either order, and for different records the order
    does not matter (versions are still handed out one batch at a time, so pulls see them
    in order). A batch that shares a record with one on the wire waits for its answer, so a
    record's changes always land in the order they were made.

    The laptop's work overlaps the wait. When an answer comes, the batch read ahead goes
    out first; then the answer is recorded and the next batch read in one vault
    transaction, which commits (with the new batch's ``attempts`` raised) before that batch
    is sent. A batch read but never sent (the run was cancelled or failed) has ``attempts``
    raised all the same, so it is later resent as it is rather than folded into a newer
    edit: harmless. If a request fails, the batches already on the wire are still waited
    for and their answers recorded; then the first failure is raised. So is an answer the
    laptop cannot act on (a broken store or proxy): nothing more is sent in that run, since
    the batch read ahead may hold a newer change of the record left unanswered, and the
    next run sends them in order. Answers the vault cannot record stop the run at once:
    what was on the wire beside them is resent next time and answered as a duplicate.
    """

    def __init__(self, run: _Run, conn: StoreConnection, net: ThreadPoolExecutor,
                 plan: list[PlannedChange]) -> None:
        self.run, self.conn, self.net, self.plan = run, conn, net, plan
        self.todo: deque[tuple[int, int]] = deque([(0, len(plan))] if plan else [])
        self.size = run.options.batch_size
        self.answered = 0
        self.flying: deque[_OnTheWire] = deque()
        self.ready: _OnTheWire | None = None  # read, not sent yet
        self.failure: Exception | None = None

    def go(self) -> None:
        self.fill()
        while self.flying:
            oldest = self.flying.popleft()
            answers = self.answers_to(oldest)
            if answers is not None and not self.all_understood(oldest, answers):
                # Nothing more goes out in this run: the batch read ahead may hold a newer
                # change of a record left unanswered, which must not land before it.
                self.failure = self.failure or SyncProtocolError(NOT_UNDERSTOOD)
                if not answers_match(oldest.batch.changes, answers):
                    answers = None  # none of them can be recorded
            # "Cancelled?" is asked once a step: a run never acts on two answers to it.
            going = self.going()
            if self.ready is not None and going:
                self.send_ready()
            self.record_and_read(oldest, answers,
                                 read=going and self.ready is None and bool(self.todo))
            self.fill()
        if self.failure is not None:
            raise self.failure

    def going(self) -> bool:
        return self.failure is None and not self.run.stop_here()

    @staticmethod
    def all_understood(batch: _OnTheWire, answers: list[Any]) -> bool:
        return answers_match(batch.batch.changes, answers) and all(
            understood(a) for a in answers)

    def fill(self) -> None:
        """Read ahead and send while the wire has room."""
        while self.going():
            if self.ready is None:
                if not self.todo:
                    return
                self.record_and_read(None, None, read=True)
            if not self.send_ready():
                return

    def send_ready(self) -> bool:
        """Send the batch read ahead if the wire has room for it; True if it is gone."""
        ready = self.ready
        assert ready is not None
        if not ready.batch.changes:  # every entry in it was closed meanwhile
            self.ready = None
            self.done(ready)
            return True
        if (len(self.flying) >= self.run.options.in_flight
                or any(ready.records & f.records for f in self.flying)):
            return False
        ready.reply = self.net.submit(self.conn.push, ready.batch.body)
        self.flying.append(ready)
        self.ready = None
        return True

    def answers_to(self, batch: _OnTheWire) -> list[Any] | None:
        """The store's answers to ``batch``; None if there are none to record (a failure,
        kept for later, or a batch too large for the store, read again in halves or
        quarantined if it is a single change)."""
        assert batch.reply is not None
        try:
            return batch.reply.result()
        except BodyTooLarge:
            changes = batch.batch.changes
            if len(changes) > 1:  # the store wants smaller batches: read this one again
                self.size = max(1, len(changes) // 2)
                if self.ready is not None:  # before anything not yet sent
                    self.todo.appendleft(self.ready.span)
                    self.ready = None
                self.todo.appendleft(batch.span)
                return None
            self.run.write(partial(quarantine_unsendable, reason=TOO_LARGE_TO_SEND,
                                   change=changes[0].planned))
            self.run.quarantined += 1
            self.done(batch)
        except Exception as err:  # noqa: BLE001 - raised in go(), once the wire is empty
            self.failure = self.failure or err
        return None

    def record_and_read(self, batch: _OnTheWire | None, answers: list[Any] | None, *,
                        read: bool) -> None:
        """Record ``answers`` to ``batch`` and, with ``read``, read the next batch ahead, in
        one vault transaction."""
        if answers is None and not read:
            return
        start, end = self.todo[0] if read else (0, 0)
        planned = self.plan[start:start + min(self.size, end - start)]
        max_bytes = self.run.options.max_batch_bytes

        def step(session: Session) -> tuple[AnswerTally | None, PreparedBatch | None]:
            tally = (apply_answers(session, batch.batch.changes, answers)
                     if batch is not None and answers is not None else None)
            return tally, prepare_batch(session, planned, max_bytes) if read else None

        tally, prepared = self.run.write(step)
        if tally is not None and batch is not None:
            self.run.count(tally)
            self.done(batch)
        if prepared is not None:
            if start + prepared.consumed >= end:
                self.todo.popleft()
            else:
                self.todo[0] = (start + prepared.consumed, end)
            self.ready = _OnTheWire(prepared, start)

    def done(self, batch: _OnTheWire) -> None:
        self.answered += batch.batch.consumed
        self.run.progress(SyncProgress(SyncPhase.PUSHING, self.answered, len(self.plan)))


def _finished(session: Session) -> None:
    """A complete run: note when, and forget entries answered long ago."""
    now = utc_now()
    state_row(session).last_synced_at = now
    forgotten = forget_answered(session, now)
    if forgotten:
        log.info("forgot %d outbox entries answered more than %d days ago", forgotten,
                 KEEP_ANSWERED.days)


def _start_resync(session: Session) -> None:
    state = state_row(session)
    state.pull_cursor = 0
    state.resync = True
