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
"""

from __future__ import annotations

import html
import re

from reportlab.lib.styles import ParagraphStyle
from reportlab.platypus import Paragraph

# C0 controls other than tab and newline (and DEL) are not valid in XML; they would make
# the paragraph parser fail on a stray byte pasted in from elsewhere.
_CONTROL = re.compile(r"[\x00-\x08\x0b-\x1f\x7f]")


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
    return Paragraph(escape(value), style)


def rich(template: str, style: ParagraphStyle, **values: object) -> Paragraph:
    """A paragraph from a markup ``template`` of this package, its ``{fields}`` escaped.

    ``rich("<b>{label}</b> {value}", style, label="Name", value=name)``. The template is
    a literal written here; never pass typed text as the template.
    """
    return Paragraph(template.format(**{k: escape(v) for k, v in values.items()}), style)
