"""The wire protocol's shapes (pydantic), which FastAPI also publishes as the OpenAPI schema.

The push request is deliberately lenient about ``row``: a change whose row is not an object
is answered ``rejected`` on its own, so one bad record never fails the rest of the batch
(design.md, "One bad record"). Only a malformed envelope fails the whole request (422).
"""

from __future__ import annotations

import datetime as dt
from typing import Any, Literal

from pydantic import BaseModel, ConfigDict, Field, field_validator

from sync_server.config import MAX_BATCH

Status = Literal["applied", "duplicate", "conflict", "rejected"]


class HealthOut(BaseModel):
    """The answer to the health probe (the header ``X-Shared-Care-Store: 1`` comes with it)."""

    service: Literal["shared-care-store"]
    api: Literal["v1"]
    version: str
    min_client_version: str | None


class EnrolIn(BaseModel):
    """A one-time code from the admin and a name for this laptop."""

    code: str = Field(min_length=1, max_length=64)
    device_name: str = Field(min_length=1, max_length=200)

    @field_validator("device_name")
    @classmethod
    def _printable(cls, value: str) -> str:
        # No control characters or lone surrogates: PostgreSQL text cannot hold NUL, and
        # the name is printed in the admin's device list.
        if not value.isprintable() or not value.strip():
            raise ValueError("a device name is printable text")
        return value.strip()


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

    model_config = ConfigDict(extra="forbid")

    # The laptop sends UUIDs; anything plain enough to log and index is accepted.
    idempotency_key: str = Field(min_length=1, max_length=128, pattern=r"^[A-Za-z0-9._:-]+$")
    entity_type: str = Field(max_length=200)
    id: str = Field(max_length=200)
    base_server_version: int | None = Field(default=None, ge=0, le=2**62)
    row: Any = Field(description="the whole row as a JSON object, including its `id`")
    tombstone: bool = False


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
    tombstone: bool | None = None
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
    tombstone: bool
    updated_at: dt.datetime


class PullOut(BaseModel):
    """A page of changes after the cursor; ask again from ``next_cursor`` while ``has_more``."""

    changes: list[PulledChange]
    next_cursor: int
    has_more: bool


class ErrorOut(BaseModel):
    """Every refusal: a plain-English ``detail``."""

    detail: str

