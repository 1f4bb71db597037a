"""The Unicode fonts the PDFs are set in, registered with reportlab once per process.

reportlab's built-in Helvetica covers Latin-1 only: "Łukasz Żółć" would print with black
boxes. DejaVu Sans (resources/fonts, licence in LICENSE-DejaVu.txt) covers Latin, Greek
and Cyrillic; the TTF is subset into each PDF. Registration is lazy (importing this module
costs nothing) and happens once, under a lock, since batches render on a worker thread.
"""

from __future__ import annotations

import threading

from reportlab.lib.fonts import addMapping
from reportlab.pdfbase import pdfmetrics
from reportlab.pdfbase.ttfonts import TTFont

from desktop_app.services.paths import resources_dir

REGULAR = "DejaVuSans"
BOLD = "DejaVuSans-Bold"
_FILES = {REGULAR: "DejaVuSans.ttf", BOLD: "DejaVuSans-Bold.ttf"}
_lock = threading.Lock()
_registered = False


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
                pdfmetrics.registerFont(TTFont(name, str(folder / file)))
            for bold, italic, face in ((0, 0, REGULAR), (1, 0, BOLD), (0, 1, REGULAR),
                                       (1, 1, BOLD)):
                addMapping(REGULAR, bold, italic, face)
            _registered = True
    return REGULAR, BOLD
