"""Reading rendered PDFs back as text, the way a test can check what a reader would see."""

from __future__ import annotations

import io

from pypdf import PdfReader


def page_texts(pdf: bytes) -> list[str]:
    """The extracted text of each page, in order."""
    assert pdf.startswith(b"%PDF-"), "not a PDF"
    return [page.extract_text() or "" for page in PdfReader(io.BytesIO(pdf)).pages]


def flat(text: str) -> str:
    """Whitespace runs (line wraps, table cell breaks) as single spaces."""
    return " ".join(text.split())


def font_names(pdf: bytes) -> set[str]:
    """The base font names used on any page."""
    names: set[str] = set()
    for page in PdfReader(io.BytesIO(pdf)).pages:
        fonts = page.get("/Resources", {}).get_object().get("/Font", {})
        for ref in fonts.get_object().values():
            names.add(str(ref.get_object().get("/BaseFont")))
    return names
