"""Whether a care provider's insurance covers delegated healthcare tasks on a given day
(framework §1, S7: the provider confirms its insurance covers the delegated task).

A cover counts only when the provider confirmed it (``confirmed_on``), said it covers
delegated healthcare activities, and it has not ended: a cover whose end date has passed
is no cover, and the message says since when."""

from __future__ import annotations

import datetime as dt
from dataclasses import dataclass


@dataclass(frozen=True)
class Cover:
    """A provider's insurance as recorded, judged on ``day``."""

    insured: bool
    words: str  # what the nurse reads beside the provider


def cover_on(day: dt.date, confirmed_on: dt.date | None, covers_delegated: bool,
             until: dt.date | None) -> Cover:
    """The provider's cover on ``day`` in plain words."""
    if confirmed_on is None or not covers_delegated:
        return Cover(False, "Insurance for delegated healthcare tasks not confirmed")
    if until is not None and until < day:
        return Cover(False, f"Insurance ended on {until:%d/%m/%Y}: not insured")
    if until is not None:
        return Cover(True, f"Insured for delegated healthcare tasks until {until:%d/%m/%Y}")
    return Cover(True, f"Insured for delegated healthcare tasks (confirmed "
                       f"{confirmed_on:%d/%m/%Y})")
