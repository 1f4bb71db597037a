"""The push of one run, pipelined: the next batch is read from the outbox while others are
on the wire, never two on the wire sharing a record."""

from __future__ import annotations

from collections import deque
from collections.abc import Callable
from concurrent.futures import Future, ThreadPoolExecutor
from dataclasses import dataclass, field
from functools import partial
from typing import Any, Protocol, TypeVar

from sqlalchemy.orm import Session

from desktop_app.services.sync.errors import SyncProtocolError
from desktop_app.services.sync.options import SyncOptions, SyncPhase, SyncProgress
from desktop_app.services.sync.push import (
    AnswerTally,
    PlannedChange,
    PreparedBatch,
    answers_match,
    apply_answers,
    prepare_batch,
    quarantine_unsendable,
    understood,
)
from desktop_app.services.sync.transport import BodyTooLarge, StoreConnection

T = TypeVar("T")
TOO_LARGE_TO_SEND = "too large to send to the central store, even on its own"
NOT_UNDERSTOOD = ("The central store's answer to a batch could not be understood; what it did "
                  "answer is recorded, the rest waits. Sync will try again later.")


class RunState(Protocol):
    """What the pipeline needs of the run it belongs to (``client._Run``)."""

    options: SyncOptions
    quarantined: int
    progress: Callable[[SyncProgress], None]

    def write(self, fn: Callable[[Session], T]) -> T: ...

    def stop_here(self) -> bool: ...

    def count(self, tally: AnswerTally) -> None: ...


@dataclass(eq=False)
class OutgoingBatch:
    """A batch read for sending: where it starts in the plan, its records, its reply."""

    prepared: PreparedBatch
    start: int
    reply: Future[list[Any]] | None = None
    records: frozenset[tuple[str, str]] = field(init=False)

    def __post_init__(self) -> None:
        self.records = frozenset((c.planned.entity_type, c.planned.entity_id)
                                 for c in self.prepared.changes)

    @property
    def span(self) -> tuple[int, int]:
        """The plan entries it covers, to read again."""
        return self.start, self.start + self.prepared.consumed


class PushPipeline:
    """One run's push, pipelined: the next batch is read while others are on the wire.

    At most ``in_flight`` batches are out at once, never two sharing a record, so each
    record's changes land in the order they were made. After a failure nothing more is sent:
    the batches already out are answered and recorded, then the first failure is raised.
    """

    def __init__(self, run: RunState, conn: StoreConnection, net: ThreadPoolExecutor,
                 plan: list[PlannedChange]) -> None:
        self.run, self.conn, self.net, self.plan = run, conn, net, plan
        self.unread: deque[tuple[int, int]] = deque([(0, len(plan))] if plan else [])
        self.batch_size = run.options.batch_size
        self.answered = 0
        self.on_the_wire: deque[OutgoingBatch] = deque()
        # Read (its entries' ``attempts`` raised and committed) but not sent yet. If it is
        # never sent, it is resent later as it is rather than folded into a newer edit.
        self.read_ahead: OutgoingBatch | None = None
        self.failure: Exception | None = None

    def send_all(self) -> None:
        self.send_while_room()
        while self.on_the_wire:
            batch = self.on_the_wire.popleft()  # answers are taken in the order sent
            answers = self.answers_to_record(batch)
            self.next_step(batch, answers)
            self.send_while_room()
        if self.failure is not None:
            raise self.failure

    def next_step(self, batch: OutgoingBatch, answers: list[Any] | None) -> None:
        """After an answer: send the batch read ahead first, so it waits while the vault
        works; then record the answers and read the next batch in one transaction."""
        going = self.may_send_more()  # "cancelled?" once: sending and reading agree on it
        if going and self.read_ahead is not None:
            self.send_read_ahead()
        read_next = going and self.read_ahead is None and bool(self.unread)
        self.record_and_read(batch, answers, read=read_next)

    def may_send_more(self) -> bool:
        return self.failure is None and not self.run.stop_here()

    def fail(self, err: Exception) -> None:
        """Send nothing more; ``send_all`` raises the first failure once the wire is empty."""
        self.failure = self.failure or err

    # --- sending ----------------------------------------------------------------------

    def send_while_room(self) -> None:
        """Read the next batch and send it, as long as the wire has room for it."""
        while self.may_send_more():
            if self.read_ahead is None:
                if not self.unread:
                    return
                self.record_and_read(None, None, read=True)
            if not self.send_read_ahead():
                return

    def send_read_ahead(self) -> bool:
        """Send the batch read ahead if the wire has room for it; True if it is gone."""
        batch = self.read_ahead
        assert batch is not None
        if not batch.prepared.changes:  # every entry in it was closed meanwhile
            self.read_ahead = None
            self.done(batch)
            return True
        if not self.has_room_for(batch):
            return False
        batch.reply = self.net.submit(self.conn.push, batch.prepared.body)
        self.on_the_wire.append(batch)
        self.read_ahead = None
        return True

    def has_room_for(self, batch: OutgoingBatch) -> bool:
        """Fewer than ``in_flight`` out, none with a record of ``batch``: the store may
        apply batches on different records in either order, never those on the same."""
        return (len(self.on_the_wire) < self.run.options.in_flight
                and not any(batch.records & out.records for out in self.on_the_wire))

    # --- answers ----------------------------------------------------------------------

    def answers_to_record(self, batch: OutgoingBatch) -> list[Any] | None:
        """Wait for ``batch``'s answers; those the vault can record, or None."""
        answers = self.wait_for_answers(batch)
        if answers is None or self.all_understood(batch, answers):
            return answers
        # The batch read ahead may hold a newer change of a record left unanswered, which
        # must not land before it: nothing more goes out in this run.
        self.fail(SyncProtocolError(NOT_UNDERSTOOD))
        return answers if answers_match(batch.prepared.changes, answers) else None

    @staticmethod
    def all_understood(batch: OutgoingBatch, answers: list[Any]) -> bool:
        return answers_match(batch.prepared.changes, answers) and all(
            understood(a) for a in answers)

    def wait_for_answers(self, batch: OutgoingBatch) -> list[Any] | None:
        """The store's answers to ``batch``; None if the request failed or the batch was
        too large for the store."""
        assert batch.reply is not None
        try:
            return batch.reply.result()
        except BodyTooLarge:
            if len(batch.prepared.changes) > 1:
                self.read_again_in_halves(batch)
            else:
                self.quarantine_too_large(batch)
        except Exception as err:  # noqa: BLE001 - raised in send_all(), once the wire is empty
            self.fail(err)
        return None

    def read_again_in_halves(self, batch: OutgoingBatch) -> None:
        """Smaller batches from now on, starting again at ``batch`` (before anything not
        yet sent)."""
        self.batch_size = max(1, len(batch.prepared.changes) // 2)
        if self.read_ahead is not None:
            self.unread.appendleft(self.read_ahead.span)
            self.read_ahead = None
        self.unread.appendleft(batch.span)

    def quarantine_too_large(self, batch: OutgoingBatch) -> None:
        """A single change too large for the store: it waits in quarantine."""
        self.run.write(partial(quarantine_unsendable, reason=TOO_LARGE_TO_SEND,
                               change=batch.prepared.changes[0].planned))
        self.run.quarantined += 1
        self.done(batch)

    # --- the vault --------------------------------------------------------------------

    def record_and_read(self, batch: OutgoingBatch | None, answers: list[Any] | None, *,
                        read: bool) -> None:
        """Record ``answers`` to ``batch`` and, with ``read``, read the next batch ahead, in
        one vault transaction. If the vault cannot record them the run stops here: what
        was on the wire beside them is resent next time and answered as a duplicate."""
        if answers is None and not read:
            return
        start, end = self.unread[0] if read else (0, 0)
        planned = self.plan[start:start + min(self.batch_size, end - start)]
        max_bytes = self.run.options.max_batch_bytes

        def step(session: Session) -> tuple[AnswerTally | None, PreparedBatch | None]:
            tally = (apply_answers(session, batch.prepared.changes, answers)
                     if batch is not None and answers is not None else None)
            return tally, prepare_batch(session, planned, max_bytes) if read else None

        tally, prepared = self.run.write(step)
        if tally is not None and batch is not None:
            self.run.count(tally)
            self.done(batch)
        if prepared is not None:
            self.mark_read(start, end, prepared)

    def mark_read(self, start: int, end: int, prepared: PreparedBatch) -> None:
        """``prepared`` covers the first part of the unread span ``start``..``end``."""
        if start + prepared.consumed >= end:
            self.unread.popleft()
        else:
            self.unread[0] = (start + prepared.consumed, end)
        self.read_ahead = OutgoingBatch(prepared, start)

    def done(self, batch: OutgoingBatch) -> None:
        """``batch`` needs nothing more in this run: count it as answered."""
        self.answered += batch.prepared.consumed
        self.run.progress(SyncProgress(SyncPhase.PUSHING, self.answered, len(self.plan)))
