"""When a care worker's sign-off needs its refresher, and how near that is (framework §6:
competence is reassessed at least every 12 months, or as the task catalogue says).

One rule for every place that asks: the wizard's S8 page, ``decide()``, the assessments
recorded in the competency register, the register itself and each worker's history."""

from __future__ import annotations

import datetime as dt
import enum

from desktop_app.services.framework.review_schedule import add_months

DEFAULT_REFRESHER_MONTHS = 12
EXPIRING_WITHIN_DAYS = 60


class Expiry(enum.StrEnum):
    """Whether a sign-off's refresher date has passed, is near (≤ 60 days) or is not near."""

    EXPIRED = "expired"
    EXPIRING = "expiring"
    OK = "ok"


def refresher_from(signed_off_on: dt.date, refresher_months: int | None) -> dt.date:
    """The sign-off date plus the task's refresher interval (12 months unless the catalogue
    gives one)."""
    return add_months(signed_off_on, refresher_months or DEFAULT_REFRESHER_MONTHS)


def expiry_of(refresher_due: dt.date, today: dt.date) -> Expiry:
    """Expired the day after the refresher date; expiring from 60 days before it."""
    if refresher_due < today:
        return Expiry.EXPIRED
    if (refresher_due - today).days <= EXPIRING_WITHIN_DAYS:
        return Expiry.EXPIRING
    return Expiry.OK
