"""The only way text becomes a reportlab Paragraph: typed text is escaped, always, here.

reportlab's Paragraph reads a small XML markup (``<b>``, ``<font color=...>``, ``<br/>``).
Typed text is data: a family name "O'Brien & Sons" must print as typed, and a typed
``<font color="...">`` must print as those characters, never become markup. Before
reportlab 3.6.13 the ``color`` attribute was evaluated as Python (CVE-2023-33733, remote
code execution from a string in a PDF); the pinned reportlab (>= 4.0.4, 5.1.0 at the
time of writing) has the fix, and escaping here means typed text never reaches that
parser as markup at all.

So: ``escape`` is the one escaping function; ``text`` makes a paragraph of plain text;
``rich`` fills a markup template written in this package with escaped values. No other
module in the package builds a ``Paragraph`` (a test reads the sources to keep it so).
``Paragraph`` here is reportlab's, made cheaper to lay out without changing the page
(plain text skips the parser, lines are broken once per width; tests compare the bytes).
"""

from __future__ import annotations

import copy
import html
import re
from typing import Any
from weakref import WeakKeyDictionary

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph as PlatypusParagraph
from reportlab.platypus.paragraph import cleanBlockQuotedText
from reportlab.rl_config import _FUZZ

# C0 controls other than tab and newline (and DEL) are not valid in XML; they would make
# the paragraph parser fail on a stray byte pasted in from elsewhere.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


class Paragraph(PlatypusParagraph):  # type: ignore[misc]  # reportlab is untyped
    """reportlab's Paragraph, breaking its lines once per width instead of at every wrap.

    Layout asks a paragraph its height again and again at the same width: in a table cell
    inside a ``KeepTogether`` it is wrapped by the KeepTogether, by the table for its row
    heights and again when the table draws the cell, and line breaking is most of the cost
    of a plan. The lines depend only on the width (text and style are fixed once made), so
    the last wrap is reused while its width and lines stand; the pages come out byte for
    byte the same (checked with reportlab's ``invariant`` setting).
    """

    _last_wrap: tuple[float, Any, float, Any] | None = None

    def wrap(self, availWidth: float, availHeight: float) -> tuple[float, float]:  # noqa: N803
        last = self._last_wrap
        # ``split`` drops or replaces ``blPara``; then the lines are broken afresh.
        if last is not None and last[0] == availWidth and last[1] is getattr(self, "blPara",
                                                                             None):
            self.width, self.height, self._wrapWidths = availWidth, last[2], last[3]
            return availWidth, last[2]
        size: tuple[float, float] = super().wrap(availWidth, availHeight)
        if availWidth >= _FUZZ:  # narrower widths return early without breaking lines
            self._last_wrap = (availWidth, self.blPara, self.height, self._wrapWidths)
        return size


def escape(value: object) -> str:
    """Typed text as Paragraph markup that shows exactly those characters.

    ``&``, ``<``, ``>`` and both quotes are escaped; line breaks become ``<br/>`` (added
    after escaping, so they are the only markup that can come out); control characters
    are dropped; ``None`` is the empty string.
    """
    if value is None:
        return ""
    cleaned = _CONTROL.sub("", str(value)).replace("\r\n", "\n").replace("\r", "\n")
    return html.escape(cleaned, quote=True).replace("\n", "<br/>")


def text(value: object, style: ParagraphStyle) -> Paragraph:
    """A paragraph showing ``value`` literally."""
    escaped = escape(value)
    if "&" in escaped or "<" in escaped:  # entities or line breaks: reportlab's parser reads them
        return Paragraph(escaped, style)
    return _plain(escaped, style)


# One parsed fragment per style, copied for each plain paragraph in that style (styles are
# made once and never changed; weak keys, so a style made for a test does not linger).
_PLAIN_FRAGMENTS: WeakKeyDictionary[ParagraphStyle, Any] = WeakKeyDictionary()


def _plain(escaped: str, style: ParagraphStyle) -> Paragraph:
    """A paragraph of text with no markup and no entities, without reportlab's XML parser.

    Such text always parses to a single fragment in the style's font holding the text with
    its white space tidied (``cleanBlockQuotedText``, as reportlab does before parsing), so
    the fragment is made by the parser once per style and copied with each text: most of a
    plan's paragraphs are plain, and parsing was a large part of making them.
    """
    cleaned = cleanBlockQuotedText(escaped)
    if not cleaned or style.textTransform:
        return Paragraph(escaped, style)
    fragment = _PLAIN_FRAGMENTS.get(style)
    if fragment is None:
        fragment = _PLAIN_FRAGMENTS[style] = Paragraph("x", style).frags[0]
    fragment = copy.copy(fragment)
    fragment.text = cleaned
    return Paragraph(cleaned, style, frags=[fragment])


def rich(template: str, style: ParagraphStyle, **values: object) -> Paragraph:
    """A paragraph from a markup ``template`` of this package, its ``{fields}`` escaped.

    ``rich("<b>{label}</b> {value}", style, label="Name", value=name)``. The template is
    a literal written here; never pass typed text as the template.
    """
    return Paragraph(template.format(**{k: escape(v) for k, v in values.items()}), style)
