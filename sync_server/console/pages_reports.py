"""The console's reports pages (issue 21) — a stub until its helper fills it in."""

from __future__ import annotations

from typing import TYPE_CHECKING

from fastapi import APIRouter

if TYPE_CHECKING:
    from sync_server.console.web import ConsoleWeb


def add_pages(router: APIRouter, web: ConsoleWeb) -> None:
    """Adds this area's pages to the console router."""
