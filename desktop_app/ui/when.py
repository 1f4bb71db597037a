"""How long ago something happened, in the words a nurse would use.

``days_ago`` for when a thing was started ("today", "yesterday", "3 days ago", "5 weeks
ago", then the date), ``moment`` for when it last changed ("today at 10:42", "yesterday at
16:05", "on 03/12/2026 at 09:10"). Both count calendar days on this laptop's clock, so
"yesterday" is the day before today even a few minutes after midnight.
"""

from __future__ import annotations

import datetime as dt

from PySide6.QtCore import QCoreApplication


def _tr(text: str) -> str:
    return QCoreApplication.translate("When", text)


def _days_between(then: dt.datetime, now: dt.datetime) -> int:
    return (now.astimezone().date() - then.astimezone().date()).days


def days_ago(then: dt.datetime, now: dt.datetime) -> str:
    """'today', 'yesterday', '3 days ago', '5 weeks ago', or 'on 03/12/2026'."""
    days = _days_between(then, now)
    if days <= 0:
        return _tr("today")
    if days == 1:
        return _tr("yesterday")
    if days < 14:
        return _tr("%1 days ago").replace("%1", str(days))
    if days < 60:
        return _tr("%1 weeks ago").replace("%1", str(days // 7))
    return _tr("on %1").replace("%1", then.astimezone().strftime("%d/%m/%Y"))


def moment(then: dt.datetime, now: dt.datetime) -> str:
    """'today at 10:42', 'yesterday at 16:05', or 'on 03/12/2026 at 09:10'."""
    days = _days_between(then, now)
    local = then.astimezone()
    if days <= 0:
        day = _tr("today")
    elif days == 1:
        day = _tr("yesterday")
    else:
        day = _tr("on %1").replace("%1", local.strftime("%d/%m/%Y"))
    return _tr("%1 at %2").replace("%1", day).replace("%2", local.strftime("%H:%M"))
