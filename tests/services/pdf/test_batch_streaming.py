"""The batch's combined PDF is stitched from the workers' parts, never read back page by page:
it must show exactly what combining the plans' own PDFs with pypdf showed (the way the
batch combined them before), page for page, bookmark for bookmark.

The comparison is made against pypdf's combination of the same rendered plans, built here
as the batch used to build it. All data is synthetic (999-range NHS numbers).
"""

from __future__ import annotations

import datetime as dt
import io
import shutil
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PageObject, PdfReader, PdfWriter
from pypdf.generic import Destination
from reportlab.pdfgen.canvas import Canvas

from desktop_app.services.pdf.batch import (
    BatchResult,
    RenderedPlan,
    combine,
    plan_loader,
    plans_for_batch,
    render_batch,
)
from desktop_app.services.pdf.layout import MARKING
from desktop_app.services.pdf.stitch import Stitcher, UnexpectedPdf, split_plan
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import load_plan_document
from desktop_app.services.vault import VaultStore
from tests.support import PASSPHRASE, TEST_KDF
from tools.sample_case import CaseSpec, build_case

PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
PRINTED_BY = "Terry Teamlead"
TEAM = "City South"
# "Ł" is outside PDFDocEncoding: that bookmark is written in UTF-16.
PEOPLE = [("Ada", "Ashworth"), ("Zoë", "Ní Bhriain"), ("Łukasz", "Okafor"), ("Kwame", "Smith")]


@dataclass(frozen=True)
class Plans:
    """Four people's plans rendered one by one, and the batch of them through workers."""

    rendered: list[RenderedPlan]
    batch: BatchResult


@pytest.fixture(scope="module")
def plans(template_vault: tuple[Path, str, str],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Plans]:
    source, user_id, _ = template_vault
    folder = tmp_path_factory.mktemp("streaming") / "vault"
    shutil.copytree(source, folder)
    session = VaultStore(folder, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    for serial, (given, family) in enumerate(PEOPLE, start=501):
        build_case(session.uow, CaseSpec(serial=serial, given_name=given, family_name=family))
    plan_ids = [row.plan_id for row in plans_for_batch(session.uow, TEAM, dt.date(2026, 11, 30),
                                                       dt.date(2026, 11, 30))]
    documents = [load_plan_document(session.uow, plan_id, PRINTED_BY, PRINTED_AT)
                 for plan_id in plan_ids]
    rendered = [RenderedPlan(document, render_support_plan(document)) for document in documents]
    batch = render_batch(plan_loader(session.uow, PRINTED_BY, PRINTED_AT), plan_ids,
                         lambda done, total: None, lambda: False, workers=2)
    yield Plans(rendered, batch)
    session.close()


def _pypdf_combination(rendered: list[RenderedPlan]) -> bytes:
    """The plans combined as the batch combined them with pypdf (the reference)."""
    writer = PdfWriter()
    for item in rendered:
        document = item.document
        writer.append(PdfReader(io.BytesIO(item.pdf)), import_outline=False,
                      outline_item=f"{document.person.full_name} "
                                   f"({document.person.nhs_number}) · version "
                                   f"{document.version_number}")
    writer.add_metadata({"/Title": f"Support plans ({len(rendered)})",
                         "/Author": PRINTED_BY, "/Subject": MARKING,
                         "/Creator": "Shared Care Planner"})
    writer.page_mode = "/UseOutlines"
    buffer = io.BytesIO()
    writer.write(buffer)
    return buffer.getvalue()


def _outline(reader: PdfReader) -> list[tuple[str | None, int | None]]:
    return [(item.title, reader.get_destination_page_number(item)) for item in reader.outline
            if isinstance(item, Destination)]


def _content(page: PageObject) -> bytes:
    """The page's content stream, decoded (what is drawn, whatever the filters)."""
    contents = page.get_contents()
    assert contents is not None
    return contents.get_data()


def _fonts(page: PageObject) -> list[tuple[str, str]]:
    fonts = page["/Resources"]["/Font"]  # type: ignore[index]
    return sorted((str(name), str(font.get_object()["/BaseFont"]))
                  for name, font in fonts.items())


def test_the_stitched_pdf_shows_what_pypdfs_combination_showed(plans: Plans) -> None:
    ours, _ = combine(plans.rendered)
    new = PdfReader(io.BytesIO(ours), strict=True)
    old = PdfReader(io.BytesIO(_pypdf_combination(plans.rendered)))
    assert len(new.pages) == len(old.pages) > len(new.outline) == len(plans.rendered)
    for mine, theirs in zip(new.pages, old.pages, strict=True):
        assert mine.extract_text() == theirs.extract_text()
        assert _content(mine) == _content(theirs)
        assert mine.mediabox == theirs.mediabox
        assert _fonts(mine) == _fonts(theirs)
    assert _outline(new) == _outline(old)
    assert str([title for title, _ in _outline(new)][2]).startswith("Łukasz Okafor (")
    assert new.metadata == old.metadata
    assert new.page_mode == old.page_mode == "/UseOutlines"
    assert new.page_labels == old.page_labels


def test_each_plan_keeps_its_own_page_x_of_y(plans: Plans) -> None:
    reader = PdfReader(io.BytesIO(plans.batch.pdf))
    for plan in plans.batch.plans:
        for number in range(1, plan.page_count + 1):
            page = reader.pages[plan.first_page - 2 + number]
            assert f"Page {number} of {plan.page_count}" in " ".join(page.extract_text().split())


def test_the_workers_parts_make_the_same_bytes_as_stitching_here(plans: Plans) -> None:
    pdf, batched = combine(plans.rendered)
    assert plans.batch.pdf == pdf
    assert plans.batch.plans == batched
    assert [plan.plan_id for plan in batched] == [item.plan_id for item in plans.rendered]


def test_a_plan_keeps_every_object_its_pages_use_and_nothing_else(plans: Plans) -> None:
    part = split_plan(plans.rendered[0].pdf)
    page_count = len(PdfReader(io.BytesIO(plans.rendered[0].pdf)).pages)
    assert part.page_count == page_count
    # Pages, their contents, the font dictionary, two fonts of four objects each; not the
    # plan's own catalogue, properties or page tree.
    assert len(part.objects) == 2 * page_count + 1 + 2 * 4
    every = b"".join(b"".join(item.pieces) for item in part.objects)
    assert b"/Catalog" not in every and b"/Producer" not in every


def _pdf_with_link(uri: str) -> bytes:
    buffer = io.BytesIO()
    canvas = Canvas(buffer)
    canvas.drawString(72, 720, "A page with a link")
    canvas.linkURL(uri, (72, 700, 300, 730))
    canvas.showPage()
    canvas.drawString(72, 720, "A second page")
    canvas.showPage()
    canvas.save()
    return buffer.getvalue()


def test_text_that_looks_like_a_reference_is_copied_as_it_is() -> None:
    uri = "https://example.org/(1 0 R)\\ 2 0 R"
    stitcher = Stitcher()
    for title in ("first", "second"):
        stitcher.add(split_plan(_pdf_with_link(uri)), title)
    reader = PdfReader(io.BytesIO(stitcher.finish([("/Title", "Two")])), strict=True)
    assert len(reader.pages) == 4
    links = [page["/Annots"][0].get_object()["/A"]["/URI"]  # type: ignore[index]
             for page in reader.pages[::2]]
    assert links == [uri, uri]
    assert _outline(reader) == [("first", 0), ("second", 2)]
    assert [page.extract_text().strip() for page in reader.pages] == [
        "A page with a link", "A second page"] * 2


def test_a_pdf_not_laid_out_as_reportlab_writes_it_is_refused() -> None:
    writer = PdfWriter(clone_from=io.BytesIO(_pdf_with_link("https://example.org/")))
    writer.encrypt("a password")
    encrypted = io.BytesIO()
    writer.write(encrypted)
    with pytest.raises(UnexpectedPdf):
        split_plan(encrypted.getvalue())
    with pytest.raises(UnexpectedPdf):
        split_plan(b"%PDF-1.4\nnot a PDF at all\n%%EOF\n")


def test_no_plans_make_no_pdf() -> None:
    assert combine([]) == (b"", ())
