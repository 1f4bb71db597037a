"""What a sync run is given (``SyncOptions``) and what it reports (``SyncProgress`` after each
step, ``SyncResult`` at the end)."""

from __future__ import annotations

import datetime as dt
import enum
from dataclasses import dataclass, field

from desktop_app.services.sync.transport import Timeouts


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
    # Set when the central store refused this laptop's audit trail, or it could not be
    # sent (sync.audit_upload): a plain message for the sync panel; records still synced.
    audit_message: str | None = None
    # The IPCB's flow and catalogue versions received, or refused, on this run
    # (sync.framework_fetch): one plain line each for the sync panel.
    framework: tuple[str, ...] = ()


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
