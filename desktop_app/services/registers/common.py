"""What the registers share: how far ahead they look, which cases are live, and how a
name, a typed text and a search word are made ready."""

from __future__ import annotations

from functools import lru_cache

from desktop_app.models.delegation import CaseStatus
from desktop_app.services.framework.catalogue import load_catalogue

DUE_WITHIN_DAYS = 30
MAX_THEME_LENGTH = 40
# Reviews matter while the arrangement runs; a suspended one (consent withdrawn) too.
LIVE_CASE_STATUSES = (CaseStatus.ACTIVE.value, CaseStatus.SUSPENDED.value)


@lru_cache(maxsize=1)
def task_categories() -> tuple[tuple[str, str], ...]:
    """The catalogue's task categories as (code, label), for filters and display."""
    return tuple((cat.code, cat.label) for cat in load_catalogue().categories)


def person_name(given: str, family: str) -> str:
    return f"{given} {family}"


def clean(text: str | None) -> str:
    return " ".join((text or "").split())


def like(word: str) -> str:
    escaped = word.replace("\\", "\\\\").replace("%", "\\%").replace("_", "\\_")
    return f"%{escaped}%"

