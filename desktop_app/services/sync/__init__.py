"""The sync client: enrolment, sync runs, conflicts, quarantine and status (no Qt).

The public API the UI uses is re-exported here; see ``client`` for a run, ``state`` for
enrolment and settings, ``conflicts`` and ``status`` for the Sync page and the status bar.
"""

from desktop_app.services.sync.client import SyncClient, next_delay, run
from desktop_app.services.sync.conflicts import ConflictView, list_conflicts, resolve_conflict
from desktop_app.services.sync.errors import (
    CertificateNotTrusted,
    ClientTooOld,
    DeviceRevoked,
    EnrolmentRefused,
    NotEnrolled,
    NotTheStore,
    PushNotAllowed,
    ServerUnreachable,
    StoreUnavailable,
    SyncAlreadyRunning,
    SyncError,
    SyncProtocolError,
    UserDeactivated,
)
from desktop_app.services.sync.options import SyncOptions, SyncPhase, SyncProgress, SyncResult
from desktop_app.services.sync.state import (
    Enrolment,
    SyncSettings,
    enrol,
    set_ca_bundle,
    sync_settings,
)
from desktop_app.services.sync.status import (
    HeldBackView,
    QuarantinedChange,
    SyncStatus,
    list_held_back,
    list_quarantined,
    retry_quarantined,
    sync_status,
)
from desktop_app.services.sync.transport import Timeouts

__all__ = [
    "CertificateNotTrusted", "ClientTooOld", "ConflictView", "DeviceRevoked", "Enrolment",
    "EnrolmentRefused", "HeldBackView", "NotEnrolled", "NotTheStore", "PushNotAllowed",
    "QuarantinedChange", "ServerUnreachable", "StoreUnavailable", "SyncAlreadyRunning",
    "SyncClient", "SyncError", "SyncOptions", "SyncPhase", "SyncProgress", "SyncProtocolError",
    "SyncResult", "SyncSettings", "SyncStatus", "Timeouts", "UserDeactivated", "enrol",
    "list_conflicts", "list_held_back", "list_quarantined", "next_delay", "resolve_conflict",
    "retry_quarantined", "run", "set_ca_bundle", "sync_settings", "sync_status",
]
