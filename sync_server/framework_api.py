"""``GET /api/v1/framework``: the flow and catalogue versions the IPCB published that a laptop
does not hold yet (sync_server/framework.py says which, and why in that order).

The laptop names the versions it holds (``flow=2026.1-reconstructed,2026.2-reconstructed``,
``catalogue=2026.2``); the answer carries every published release it lacks, each with its
kind, version, SHA-256, content (exactly as published) and when it was published. The
newest version it named of each kind is kept on its device row for the console. The device
is looked up as for a pull (the same refusals: unknown, revoked, user deactivated).
"""

# No `from __future__ import annotations`: FastAPI reads the endpoint's Annotated
# dependencies at definition time.
import datetime as dt
from collections.abc import Awaitable, Callable, Iterator
from typing import Annotated, Any

from fastapi import APIRouter, Depends, HTTPException, Query
from pydantic import BaseModel, Field
from sqlalchemy.orm import Session

from sync_server.auth import DeviceContext
from sync_server.framework import parse_held, record_held, releases_for_device

MAX_HELD_TEXT = 2000  # a laptop holds a handful of versions of each kind


class ReleaseOut(BaseModel):
    """One published version, exactly as the IPCB published it."""

    kind: str = Field(description="flow or catalogue")
    version: str
    sha256: str = Field(description="hex SHA-256 of content as UTF-8")
    content: str = Field(description="the JSON document, as published")
    published_at: dt.datetime


class FrameworkOut(BaseModel):
    """The releases the laptop lacks: flows then catalogues, each oldest first."""

    releases: list[ReleaseOut]


def add_framework(router: APIRouter, session: Callable[[], Iterator[Session]],
                  bearer_token: Callable[..., Awaitable[Any]],
                  device: Callable[[Session, Any], DeviceContext],
                  errors: dict[int | str, dict[str, Any]]) -> None:
    """Add the endpoint to the sync router (``device``: the pull's lookup of the caller)."""

    @router.get("/framework", response_model=FrameworkOut,
                responses={**errors, 422: {"description": "a held version is not a version"}})
    def framework(db: Annotated[Session, Depends(session)],
                  call: Annotated[Any, Depends(bearer_token)],
                  flow: Annotated[str, Query(
                      max_length=MAX_HELD_TEXT,
                      description="the flow versions the laptop holds, comma-separated")] = "",
                  catalogue: Annotated[str, Query(
                      max_length=MAX_HELD_TEXT,
                      description="the catalogue versions it holds, comma-separated")] = "",
                  ) -> FrameworkOut:
        """The flow and catalogue versions published on the store that this laptop lacks."""
        try:
            held = {"flow": parse_held("flow", flow),
                    "catalogue": parse_held("catalogue", catalogue)}
        except ValueError as err:
            raise HTTPException(422, str(err)) from None
        found = device(db, call)
        rows = releases_for_device(db, held)
        record_held(db, found.device_id, held)
        db.commit()
        return FrameworkOut(releases=[
            ReleaseOut(kind=row.kind, version=row.version, sha256=row.sha256,
                       content=row.content, published_at=row.published_at)
            for row in rows])
