"""One sync run: probe the store, push the outbox in batches, pull the team's changes.

``SyncClient.run(uow, progress, cancelled)`` is plain Python; the UI calls it from a worker
on a timer, on reconnect and with backoff (``next_delay``). The run

1. reads the enrolment from the vault (``NotEnrolled`` without a token);
2. probes ``/health``: an answer without the store's header (a captive portal) is
   ``NotTheStore``, i.e. offline;
3. pushes the pending outbox in ``seq`` order, in batches of ``batch_size`` (and at most
   ``max_batch_bytes``), marking entries only by the store's answers (``push``);
4. sends the audit events the store has not acknowledged (``audit_upload``): a trail the
   store refuses is reported in the result, and the run goes on;
5. pulls pages after the cursor, each applied with the new cursor in one local transaction
   without writing outbox entries (``pull``);
6. fetches the flow and catalogue versions the IPCB published that the laptop lacks, checks
   and keeps them (``framework_fetch``: a refused one is reported, and the run goes on);
7. records the time of the last complete sync.

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
record are on the wire at once (``pipeline.PushPipeline``).
"""

from __future__ import annotations

import logging
import random
import threading
import weakref
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from functools import partial
from typing import Any, TypeVar

import httpx
from sqlalchemy import Engine, func, select
from sqlalchemy.orm import Session

from desktop_app.models.base import utc_now
from desktop_app.models.sync import HeldBackChange
from desktop_app.services.core.tracking import APPLYING_REMOTE
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.sync.audit_upload import NOT_SENT, upload_audit
from desktop_app.services.sync.errors import (
    ClientTooOld,
    DeviceRevoked,
    SyncAlreadyRunning,
    SyncError,
    SyncProtocolError,
    UserDeactivated,
    user_deactivated,
)
from desktop_app.services.sync.framework_fetch import fetch_or_say_why
from desktop_app.services.sync.options import SyncOptions, SyncPhase, SyncProgress, SyncResult
from desktop_app.services.sync.pipeline import PushPipeline
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
    forget_answered,
    plan_push,
)
from desktop_app.services.sync.state import (
    Credentials,
    credentials,
    forget_revoked_token,
    on_this_thread,
    state_row,
    sync_settings,
)
from desktop_app.services.sync.status import pending_changes
from desktop_app.services.sync.transport import StoreConnection

log = logging.getLogger(__name__)
T = TypeVar("T")
DbCall = Callable[[Callable[[], Any]], Any]


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
        self.audit_message: str | None = None
        self.framework: tuple[str, ...] = ()  # the IPCB's versions received or refused

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
                    conn.pending = self.write(pending_changes)
                    self.push(conn, net)
                    # What still waits goes with the rest of the run's requests: the store
                    # keeps the figure of the run's last request.
                    conn.pending = self.write(pending_changes)
                    if not self.stop_here():
                        self.audit_message = self.upload_audit(conn)
                    if not self.cancelled:
                        self.pull(conn, net)
                    if not self.cancelled:  # after the pull: framework_fetch.py
                        self.framework = fetch_or_say_why(
                            conn, self.write, (DeviceRevoked, UserDeactivated, ClientTooOld))
                except DeviceRevoked:
                    self.db(lambda: forget_revoked_token(self.uow))
                    raise
                except UserDeactivated:
                    # The token is kept: reactivating the user lets the next run send all.
                    name = self.db(lambda: sync_settings(self.uow).user_name)
                    raise UserDeactivated(user_deactivated(name)) from None
        if not self.cancelled:
            self.write(_finished)
        held = self.write(lambda s: s.scalar(select(func.count()).select_from(HeldBackChange)))
        self.progress(SyncProgress(SyncPhase.FINISHED, self.pushed))
        return SyncResult(self.pushed, self.conflicts, self.quarantined, self.pulled,
                          self.deferred, int(held or 0), self.batches, self.pages,
                          self.cancelled, utc_now(), self.audit_message, self.framework)

    def upload_audit(self, conn: StoreConnection) -> str | None:
        """The audit trail sent (``audit_upload``); whatever goes wrong with it, the run goes
        on to the pull: colleagues' changes are never held up by the audit trail. A revoked
        device or a too-old app stops the run as anywhere else."""
        try:
            return upload_audit(conn, self.write, self.stop_here)
        except (DeviceRevoked, UserDeactivated, ClientTooOld):
            raise
        except SyncError as err:
            log.warning("this laptop's audit trail could not be sent (%s); pulling on",
                        type(err).__name__)
            return NOT_SENT

    def push(self, conn: StoreConnection, net: ThreadPoolExecutor) -> None:
        """Send the outbox as planned at the start of the run, batch by batch
        (``pipeline.PushPipeline``)."""
        plan: list[PlannedChange] = self.write(plan_push)
        PushPipeline(self, conn, net, plan).send_all()

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
