"""The colours of every report chart, on the screen and in the PDF.

Eight colours after Paul Tol's "muted" scheme and Okabe & Ito's, darkened where needed so
that each stands out against white (WCAG contrast of at least 3:1 for graphics) and each
pair stays apart for readers with red-green or blue-yellow colour blindness: no pale fills.
A chart has at most ``len(PALETTE)`` series (``model.MAX_SERIES``: the smallest are folded
into "Other", which takes the last colour, the grey). Neighbours in the list differ most,
since stacked bars put neighbouring series next to each other.

Colours are ``#rrggbb`` strings, so the Qt screen and reportlab both read them. No Qt here.
"""

from __future__ import annotations

PALETTE: tuple[str, ...] = (
    "#2f8fcf",  # blue
    "#999933",  # olive: second, so "expiring" or "late" after "current" reads as a warning
    "#ee6677",  # rose: third, for "expired" or "overdue"
    "#332288",  # indigo
    "#cc79a7",  # pink
    "#117733",  # green
    "#aa4499",  # purple
    "#555555",  # grey: "Other" when the smallest series are folded together
)
AXIS_INK = "#212b32"  # axis labels and titles: the documents' ink
GRID = "#d8dde0"  # grid lines, lighter than any series


def series_colour(index: int) -> str:
    """The colour of the series at ``index`` (0-based) in its chart."""
    return PALETTE[index % len(PALETTE)]


def relative_luminance(colour: str) -> float:
    """WCAG 2 relative luminance of ``#rrggbb`` (0 black to 1 white)."""
    channels = [int(colour.lstrip("#")[i:i + 2], 16) / 255 for i in (0, 2, 4)]
    r, g, b = (c / 12.92 if c <= 0.04045 else ((c + 0.055) / 1.055) ** 2.4 for c in channels)
    return 0.2126 * r + 0.7152 * g + 0.0722 * b


def contrast_with_white(colour: str) -> float:
    """WCAG 2 contrast ratio of ``#rrggbb`` against white (1 to 21)."""
    return 1.05 / (relative_luminance(colour) + 0.05)
