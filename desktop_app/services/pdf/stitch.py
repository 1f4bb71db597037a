"""One PDF out of many plans' PDFs without parsing their pages again: split, then stitch.

Combining with pypdf reads every object of every plan back into Python objects, clones them
and writes them out again: for a 500-plan batch that was most of the parent process's time
(measured: 9 s of CPU for 2,000 pages). A reportlab PDF is simple enough not to need it:
each object is a dictionary (with, for content and fonts, a compressed stream after it) and
the only thing that changes when plans are put side by side is the object numbers. So:

- ``split_plan`` (run in the batch's worker processes, right after rendering) cuts one
  plan's PDF into the objects its pages use, each kept as its original bytes with the
  places of its references (``12 0 R``) noted; the document's catalogue, properties and
  page tree are left out. Only the dictionaries are scanned: stream data is never touched.
- ``Stitcher`` (in the parent) writes the parts one after another, giving each object a
  new number and each reference its new target, then one page tree, a bookmark per plan,
  the properties and the cross-reference table. Content streams, fonts and page
  dictionaries pass through byte for byte, so every page shows exactly what it did.

Nothing here touches the disk: the parts and the combined PDF are bytes in memory.
"""

from __future__ import annotations

import io
import re
from collections.abc import Iterator, Sequence
from dataclasses import dataclass

from pypdf.generic import TextStringObject

__all__ = ["PlanPart", "RawObject", "Stitcher", "split_plan"]

HEADER = b"%PDF-1.4\n%\xe2\xe3\xcf\xd3\n"
PAGE_TREE = 0  # the reference a part's pages make to their page tree: the combined one
INFO, PAGES, CATALOG, OUTLINES = 1, 2, 3, 4  # the combined document's own objects
FIRST_FREE = 5

# Tokens that matter inside an object's dictionary: nesting, strings (skipped whole, so
# text that looks like a reference is never rewritten), comments and references.
_TOKEN = re.compile(rb"<<|>>|\(|<|%|(?<![\w.+\-/])(\d+) (\d+) R(?![\w])")
_OBJECT_START = re.compile(rb"\s*(\d+) (\d+) obj")
_XREF_ENTRY = re.compile(rb"(\d{10}) (\d{5}) ([nf])")
_STARTXREF = re.compile(rb"startxref\s+(\d+)\s+%%EOF\s*$")
_KIDS = re.compile(rb"/Kids\s*\[([^\]]*)\]")
_TYPE_PAGES = re.compile(rb"/Type\s*/Pages(?![\w])")
_PAGE_TREE_KEYS = re.compile(rb"/(\w+)")
_TREE_ONLY = {b"Type", b"Pages", b"Count", b"Kids", b"Parent"}


class UnexpectedPdf(ValueError):
    """The PDF is not laid out as reportlab writes it (a programming error, not the user's)."""


@dataclass(frozen=True)
class RawObject:
    """One object's bytes between ``N 0 obj`` and ``endobj``, cut at its references.

    ``pieces`` has one more item than ``refs``: the object is ``pieces[0]``, a reference
    to ``refs[0]``, ``pieces[1]`` and so on. ``refs`` are numbers within the part (1 for
    its first object) or ``PAGE_TREE``.
    """

    pieces: tuple[bytes, ...]
    refs: tuple[int, ...]


@dataclass(frozen=True)
class PlanPart:
    """The objects one plan's pages need, numbered from 1 in the part, and its pages."""

    objects: tuple[RawObject, ...]
    pages: tuple[int, ...]  # the page objects' numbers in the part, in page order

    @property
    def page_count(self) -> int:
        """Pages the plan has."""
        return len(self.pages)


# ---------------------------------------------------------------- splitting (worker side)


@dataclass(frozen=True)
class _Scanned:
    """An object as read: its body, where its references sit and what they point at."""

    body: bytes
    spans: tuple[tuple[int, int], ...]
    targets: tuple[int, ...]
    head: bytes  # the top-level dictionary (or the whole body if it has none)


def split_plan(pdf: bytes) -> PlanPart:
    """The objects ``pdf``'s pages use, renumbered from 1, ready for a ``Stitcher``.

    Raises ``UnexpectedPdf`` for a file that does not look like reportlab's output
    (encrypted, compressed object streams, inherited page attributes), rather than guess.
    """
    objects = {number: _scan(number, body) for number, body in _bodies(pdf)}
    tail = pdf[pdf.rfind(b"trailer"):]
    trailer = _scan_part(tail, 0, len(tail))
    root = _named_ref(trailer, b"/Root")
    if b"/Encrypt" in trailer.body or root not in objects:
        raise UnexpectedPdf("the PDF is encrypted or has no catalogue")
    trees, pages = _page_tree(objects, _named_ref(objects[root], b"/Pages"))
    kept = _reachable(objects, pages, trees)
    local = {number: index for index, number in enumerate(kept, start=1)}
    local.update(dict.fromkeys(trees, PAGE_TREE))
    return PlanPart(tuple(_raw(objects[number], local) for number in kept),
                    tuple(local[page] for page in pages))


def _bodies(pdf: bytes) -> Iterator[tuple[int, bytes]]:
    """Each object's number and its bytes between ``N 0 obj`` and ``endobj``."""
    found = _STARTXREF.search(pdf[-64:])
    if found is None or not pdf.startswith(b"%PDF-"):
        raise UnexpectedPdf("no cross-reference table at the end of the PDF")
    xref = int(found.group(1))
    table = pdf[xref:pdf.index(b"trailer", xref)]
    if not table.startswith(b"xref"):
        raise UnexpectedPdf("a cross-reference stream, not a table")
    starts = sorted(int(offset) for offset, _, kind in _XREF_ENTRY.findall(table)
                    if kind == b"n")
    for start, end in zip(starts, [*starts[1:], xref], strict=True):
        head = _OBJECT_START.match(pdf, start)
        stop = pdf.rfind(b"endobj", start, end)
        if head is None or head.group(2) != b"0" or stop < 0:
            raise UnexpectedPdf(f"no object where the table says at byte {start}")
        yield int(head.group(1)), pdf[head.end():stop]


def _scan(number: int, body: bytes) -> _Scanned:
    """The object's references, found in its dictionary only (never in its stream)."""
    try:
        return _scan_part(body, 0, len(body))
    except UnexpectedPdf as error:
        raise UnexpectedPdf(f"object {number}: {error}") from None


def _scan_part(body: bytes, start: int, end: int) -> _Scanned:
    spans: list[tuple[int, int]] = []
    targets: list[int] = []
    depth, position, head_end = 0, start, end
    while (token := _TOKEN.search(body, position, end)) is not None:
        text, position = token.group(), token.end()
        if token.group(1) is not None:
            if token.group(2) != b"0":
                raise UnexpectedPdf("a reference to an older generation")
            spans.append(token.span())
            targets.append(int(token.group(1)))
        elif text == b"<<":
            depth += 1
        elif text == b">>":
            depth -= 1
            if depth == 0:  # the top-level dictionary ends: any stream after it is data
                head_end = position
                break
        elif text == b"(":
            position = _string_end(body, position, end)
        elif text == b"<":
            position = body.index(b">", position, end) + 1
        else:  # a comment, to the end of its line
            position = _line_end(body, position, end)
    return _Scanned(body, tuple(spans), tuple(targets), body[start:head_end])


def _string_end(body: bytes, position: int, end: int) -> int:
    """Just past the literal string whose "(" ends before ``position`` (nesting, escapes)."""
    depth = 1
    while depth:
        if position >= end:
            raise UnexpectedPdf("a string that never ends")
        byte = body[position]
        if byte == 0x5C:  # backslash: the next byte is escaped
            position += 1
        elif byte == 0x28:
            depth += 1
        elif byte == 0x29:
            depth -= 1
        position += 1
    return position


def _line_end(body: bytes, position: int, end: int) -> int:
    found = [i for i in (body.find(b"\n", position, end), body.find(b"\r", position, end))
             if i >= 0]
    return min(found, default=end)


def _named_ref(scanned: _Scanned, key: bytes) -> int:
    """The object a ``/Key N 0 R`` entry of the dictionary points at."""
    found = re.search(re.escape(key) + rb"\s+(\d+) 0 R", scanned.head)
    if found is None:
        raise UnexpectedPdf(f"no {key.decode()} entry")
    return int(found.group(1))


def _page_tree(objects: dict[int, _Scanned], top: int) -> tuple[list[int], list[int]]:
    """The page tree's own nodes and its pages in order; a node may only hold the tree
    (an inherited attribute would be lost when the pages move to the combined tree)."""
    trees: list[int] = []
    pages: list[int] = []
    pending = [top]
    while pending:
        number = pending.pop()
        node = objects.get(number)
        if node is None:
            raise UnexpectedPdf(f"the page tree names a missing object {number}")
        if not _TYPE_PAGES.search(node.head):
            pages.append(number)
            continue
        if set(_PAGE_TREE_KEYS.findall(_without_arrays(node.head))) - _TREE_ONLY:
            raise UnexpectedPdf("the page tree has attributes its pages inherit")
        trees.append(number)
        kids = _KIDS.search(node.head)
        if kids is None:
            raise UnexpectedPdf("a page tree node without /Kids")
        pending.extend(reversed([int(n) for n in re.findall(rb"(\d+) 0 R", kids.group(1))]))
    return trees, pages


def _without_arrays(head: bytes) -> bytes:
    """The dictionary without its arrays' contents (names in /Kids are no keys)."""
    return re.sub(rb"\[[^\]]*\]", b"[]", head)


def _reachable(objects: dict[int, _Scanned], pages: Sequence[int],
               trees: Sequence[int]) -> list[int]:
    """Every object the pages use, directly or not, in file order; not the page tree."""
    seen, pending = set(pages), list(pages)
    while pending:
        for target in objects[pending.pop()].targets:
            if target not in seen and target not in trees:
                if target not in objects:
                    raise UnexpectedPdf(f"a reference to a missing object {target}")
                seen.add(target)
                pending.append(target)
    return sorted(seen)


def _raw(scanned: _Scanned, local: dict[int, int]) -> RawObject:
    pieces, position = [], 0
    for start, end in scanned.spans:
        pieces.append(scanned.body[position:start])
        position = end
    pieces.append(scanned.body[position:])
    return RawObject(tuple(pieces), tuple(local[target] for target in scanned.targets))


# ---------------------------------------------------------------- stitching (parent side)


class Stitcher:
    """The combined PDF, written part by part: object bytes are copied, never parsed."""

    def __init__(self) -> None:
        self._chunks: list[bytes] = [HEADER]
        self._size = len(HEADER)
        self._offsets: dict[int, int] = {}
        self._next = FIRST_FREE
        self._pages: list[int] = []
        self._bookmarks: list[tuple[str, int]] = []

    @property
    def page_count(self) -> int:
        """Pages written so far."""
        return len(self._pages)

    def add(self, part: PlanPart, bookmark: str) -> None:
        """Append the part's pages, with an outline entry ``bookmark`` at its first page."""
        base = self._next - 1
        for number, item in enumerate(part.objects, start=self._next):
            self._write(number, item.pieces, [base + ref if ref else PAGES for ref in item.refs])
        self._next += len(part.objects)
        if part.pages:
            self._bookmarks.append((bookmark, base + part.pages[0]))
        self._pages.extend(base + page for page in part.pages)

    def finish(self, metadata: Sequence[tuple[str, str]]) -> bytes:
        """The whole PDF: page tree, bookmarks (shown on opening), ``metadata`` as the
        document's properties (``("/Title", ...)``, in order) and the cross-references."""
        outline = self._outline()
        self._object(PAGES, b"<<\n/Type /Pages\n/Count %d\n/Kids [ %s ]\n>>\n" % (
            len(self._pages), b" ".join(b"%d 0 R" % page for page in self._pages)))
        self._object(CATALOG, b"<<\n/Type /Catalog\n/Pages %d 0 R\n/Outlines %d 0 R\n"
                              b"/PageMode /UseOutlines\n>>\n" % (PAGES, OUTLINES))
        self._object(OUTLINES, outline)
        self._object(INFO, b"<<\n" + b"".join(b"%s %s\n" % (key.encode(), _text(value))
                                              for key, value in metadata) + b">>\n")
        return self._close()

    def _outline(self) -> bytes:
        """An item (and its go-to action) per plan, in order; the outline's own object."""
        items = [self._next + 2 * index for index in range(len(self._bookmarks))]
        for index, (title, page) in enumerate(self._bookmarks):
            item = items[index]
            action = item + 1
            links = (b"/Prev %d 0 R\n" % items[index - 1] if index else b"") + (
                b"/Next %d 0 R\n" % items[index + 1] if index + 1 < len(items) else b"")
            self._object(action, b"<<\n/D [ %d 0 R /Fit ]\n/S /GoTo\n>>\n" % page)
            self._object(item, b"<<\n/A %d 0 R\n/Title %s\n%s/Parent %d 0 R\n/Count 0\n>>\n"
                         % (action, _text(title), links, OUTLINES))
        self._next += 2 * len(items)
        if not items:
            return b"<<\n/Type /Outlines\n/Count 0\n>>\n"
        return b"<<\n/Type /Outlines\n/First %d 0 R\n/Last %d 0 R\n/Count %d\n>>\n" % (
            items[0], items[-1], len(items))

    def _write(self, number: int, pieces: Sequence[bytes], refs: Sequence[int]) -> None:
        self._offsets[number] = self._size
        out = [b"%d 0 obj" % number]
        for piece, ref in zip(pieces, refs, strict=False):
            out += (piece, b"%d 0 R" % ref)
        out += (pieces[-1], b"endobj\n")
        self._chunks += out
        self._size += sum(len(chunk) for chunk in out)

    def _object(self, number: int, body: bytes) -> None:
        self._write(number, (b"\n" + body,), ())

    def _close(self) -> bytes:
        size = self._next
        xref = self._size
        table = [b"xref\n0 %d\n0000000000 65535 f \n" % size]
        table += [b"%010d 00000 n \n" % self._offsets[number] for number in range(1, size)]
        table.append(b"trailer\n<<\n/Size %d\n/Root %d 0 R\n/Info %d 0 R\n>>\n"
                     b"startxref\n%d\n%%%%EOF\n" % (size, CATALOG, INFO, xref))
        return b"".join(self._chunks + table)


def _text(value: str) -> bytes:
    """A PDF text string as pypdf writes one (PDFDocEncoding, or UTF-16 with a BOM)."""
    buffer = io.BytesIO()
    TextStringObject(value).write_to_stream(buffer)
    return buffer.getvalue()
