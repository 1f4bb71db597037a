"""The wire protocol's shapes (pydantic), which FastAPI also publishes as the OpenAPI schema.

The push request is deliberately lenient about ``row``: a change whose row is not an object
is answered ``rejected`` on its own, so one bad record never fails the rest of the batch
(design.md, "One bad record"). Only a malformed envelope fails the whole request (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import (
    AwareDatetime,
    BaseModel,
    ConfigDict,
    Field,
    StrictBool,
    field_validator,
    model_validator,
)

from sync_server.config import MAX_AUDIT_BATCH, MAX_BATCH

Status = Literal["applied", "duplicate", "conflict", "rejected"]


class HealthOut(BaseModel):
    """The answer to the health probe (the header ``X-Shared-Care-Store: 1`` comes with it)."""

    service: Literal["shared-care-store"]
    api: Literal["v1"]
    version: str
    min_client_version: str | None


# A device name: printable characters only (no Unicode "Other" or "Separator" but the plain
# space: PostgreSQL text cannot hold NUL, and the name is printed in the admin's device
# list), at least one of them not a space. The pattern is the whole rule, so the OpenAPI
# schema states exactly what is accepted; surrounding spaces are then trimmed.
DEVICE_NAME_PATTERN = r"^ *[^\p{C}\p{Z}](?:[^\p{C}\p{Z}]| )*$"


class EnrolIn(BaseModel):
    """A one-time code from the admin and a name for this laptop."""

    model_config = ConfigDict(strict=True)

    code: str = Field(min_length=1, max_length=64)
    device_name: str = Field(min_length=1, max_length=200, pattern=DEVICE_NAME_PATTERN,
                             description="1-200 printable characters, not all spaces; "
                                         "surrounding spaces are trimmed")

    @field_validator("device_name")
    @classmethod
    def _trimmed(cls, value: str) -> str:
        return value.strip(" ")


class TeamOut(BaseModel):
    """A team as a device sees it."""

    id: str
    name: str


class UserOut(BaseModel):
    """The user a device was enrolled for."""

    id: str
    name: str
    role: str


class EnrolOut(BaseModel):
    """The new device: keep ``token`` secret (in the vault); it is never shown again."""

    device_id: str
    token: str
    team: TeamOut
    user: UserOut


class ChangeIn(BaseModel):
    """One outbox entry: the full row as the laptop has it now."""

    # Strict: a field of the wrong JSON type is refused, never converted (``tombstone: 0`` is
    # not false, ``"41"`` is not a version), as the OpenAPI schema says.
    model_config = ConfigDict(extra="forbid", strict=True)

    # The laptop sends UUIDs; anything plain enough to log and index is accepted.
    idempotency_key: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    entity_type: str = Field(max_length=200)
    id: str = Field(max_length=200)
    base_server_version: int | None = Field(default=None, ge=0, le=2**62)
    row: Any = Field(description="the whole row as a JSON object, including its `id`")
    tombstone: StrictBool = False


class PushIn(BaseModel):
    """A batch of changes, applied in one transaction and answered in the same order."""

    changes: list[ChangeIn] = Field(max_length=MAX_BATCH)


class AnswerOut(BaseModel):
    """What became of one change.

    - ``applied``: stored as ``server_version``.
    - ``duplicate``: this key was applied before; ``original`` is the answer given then.
    - ``conflict``: the server's row moved past ``base_server_version``; the current
      ``row``, ``tombstone`` and ``server_version`` come back and nothing was changed.
    - ``rejected``: not applied, for ``reason``; the other changes are unaffected.
    """

    idempotency_key: str
    status: Status
    server_version: int | None = None
    row: dict[str, Any] | None = None
    tombstone: StrictBool | None = None
    reason: str | None = None
    original: AnswerOut | None = None


class PushOut(BaseModel):
    """One answer per change, in the order the changes were sent."""

    answers: list[AnswerOut]


class PulledChange(BaseModel):
    """The latest state of one record of the device's team."""

    entity_type: str
    id: str
    server_version: int
    row: dict[str, Any]
    tombstone: StrictBool
    updated_at: dt.datetime


class PullOut(BaseModel):
    """A page of changes after the cursor; ask again from ``next_cursor`` while ``has_more``."""

    changes: list[PulledChange]
    next_cursor: int
    has_more: StrictBool


class ErrorOut(BaseModel):
    """Every refusal: a plain-English ``detail``."""

    detail: str


# A laptop's audit trail (``POST /api/v1/audit``, sync_server/audit.py): identifiers and
# actions only. The patterns leave no room for free text (no spaces), so the store can hold
# nothing else whatever a laptop sends.
PLAIN_ID = r"^[A-Za-z0-9._:-]{1,36}$"
HEX_HASH = r"^[0-9a-f]{64}$"
SEQ_MAX = 2**62


class AuditEventIn(BaseModel):
    """One row of the laptop's audit log, exactly as the laptop holds it."""

    # Strict as a push is (``"41"`` is not a seq), but for the time, which JSON carries as text.
    model_config = ConfigDict(extra="forbid", strict=True)

    seq: int = Field(ge=1, le=SEQ_MAX)
    id: str = Field(pattern=PLAIN_ID)
    at: AwareDatetime = Field(strict=False)
    user_id: str = Field(pattern=PLAIN_ID)
    device_id: str = Field(pattern=PLAIN_ID)
    entity_type: str = Field(pattern=r"^[a-z][a-z0-9_]{0,63}$")
    entity_id: str = Field(pattern=PLAIN_ID)
    action: str = Field(pattern=r"^[a-z][a-z0-9_]{0,31}$")
    prev_hash: str = Field(pattern=HEX_HASH)
    hash: str = Field(pattern=HEX_HASH)

    @field_validator("at")
    @classmethod
    def _in_utc(cls, value: dt.datetime) -> dt.datetime:
        # A time whose offset takes it past year 1 or 9999 cannot be stored.
        try:
            return value.astimezone(dt.UTC)
        except (OverflowError, ValueError):
            raise ValueError("a time the store can hold") from None


class AuditHead(BaseModel):
    """The end of a chain: its last event's ``seq`` and ``hash`` (0 and 64 zeros if empty)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    seq: int = Field(ge=0, le=SEQ_MAX)
    hash: str = Field(pattern=HEX_HASH)


class AuditIn(BaseModel):
    """The laptop's events after ``after`` (the last seq the store acknowledged), in order,
    and where the laptop's trail ends now (``head``)."""

    model_config = ConfigDict(extra="forbid", strict=True)

    laptop_id: str = Field(pattern=PLAIN_ID, description="the vault's device id")
    after: int = Field(ge=0, le=SEQ_MAX)
    events: list[AuditEventIn] = Field(max_length=MAX_AUDIT_BATCH)
    head: AuditHead

    @model_validator(mode="after")
    def _in_order(self) -> AuditIn:
        last = self.after
        for event in self.events:
            if event.seq <= last:
                raise ValueError("events must come after `after`, in increasing seq order")
            last = event.seq
        if self.events and (self.head.seq < last or (
                self.head.seq == last and self.head.hash != self.events[-1].hash)):
            raise ValueError("`head` must be the last event sent or one after it")
        if not self.events and self.head.seq > self.after:
            raise ValueError("a laptop whose trail goes on after `after` sends those events")
        return self


class AuditOut(BaseModel):
    """Accepted: the head the store now holds for this laptop (acknowledge up to its seq)."""

    head: AuditHead
    stored: int = Field(description="events stored by this request (repeats are not)")


class AuditRefusedOut(BaseModel):
    """409: the upload does not continue the trail the store holds (``resend_from`` null;
    the break is recorded), or the store holds less than ``after`` (``resend_from``: send
    again from there; nothing is recorded)."""

    detail: str
    head: AuditHead
    resend_from: int | None
    # True: another enrolled device of the team uploads this laptop's trail (nothing recorded;
    # revoking the laptop's old enrolment lets this one go on).
    held_elsewhere: bool = False
