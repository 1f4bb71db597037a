"""The Unicode fonts the PDFs are set in, registered with reportlab once per process.

reportlab's built-in Helvetica covers Latin-1 only: "Łukasz Żółć" would print with black
boxes. DejaVu Sans (resources/fonts, licence in LICENSE-DejaVu.txt) covers Latin, Greek
and Cyrillic; the TTF is subset into each PDF. Registration is lazy (importing this module
costs nothing) and happens once, under a lock, since batches render on a worker thread.
"""

from __future__ import annotations

import threading
from typing import Any

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from desktop_app.services.core.paths import resources_dir

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_lock = threading.Lock()
_registered = False
_MAX_WIDTHS = 100_000  # tens of MB at worst; a 500-plan batch measures a few thousand


class _MeasuringTTFont(TTFont):  # type: ignore[misc]  # reportlab is untyped
    """A TrueType font that remembers the widths of the strings it has measured.

    Breaking lines measures every word of every paragraph, and the same words (labels,
    names, "the") come again and again, across the plans of a batch too. Without
    reportlab's optional C accelerator each width is a sum over the glyphs in Python, a
    large part of a plan's cost. A width depends only on the text and the size, so the
    PDF is byte for byte the same.
    """

    def __init__(self, name: str, filename: str) -> None:
        super().__init__(name, filename)
        self._widths: dict[tuple[Any, float], float] = {}

    def stringWidth(self, text: Any, size: float, encoding: str = "utf8") -> float:  # noqa: N802
        key = (text, size)
        width = self._widths.get(key)
        if width is None:
            if len(self._widths) >= _MAX_WIDTHS:
                self._widths.clear()
            width = self._widths[key] = super().stringWidth(text, size, encoding)
        return width


def register_fonts() -> tuple[str, str]:
    """Register the regular and bold fonts (first call only); returns their names.

    ``<b>`` in paragraph markup maps to the bold face; there is no italic face, so italic
    maps to the upright one rather than falling back to a font without the accents.
    """
    global _registered
    with _lock:
        if not _registered:
            folder = resources_dir() / "fonts"
            for name, file in _FILES.items():
                pdfmetrics.registerFont(_MeasuringTTFont(name, str(folder / file)))
            for bold, italic, face in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, REGULAR),
                                       (1, 1, BOLD)):
                addMapping(REGULAR, bold, italic, face)
            _registered = True
    return REGULAR, BOLD
