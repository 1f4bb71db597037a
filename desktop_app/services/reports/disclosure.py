"""Checking exactly whether a suppressed table still gives a hidden small count away.

The check lives in ``scp_common.disclosure``, shared with the central store's reports so
both sides apply one rule; its names are re-exported here for the laptop's code and tests.
"""

from scp_common.disclosure import (
    MAX_TOTALS_ROWS,
    SMALL,
    Bounds,
    Position,
    fits,
    given_away,
    given_away_alone,
    value_range,
)

__all__ = ["MAX_TOTALS_ROWS", "SMALL", "Bounds", "Position", "fits", "given_away",
           "given_away_alone", "value_range"]
