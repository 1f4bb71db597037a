"""The renderer's speed-ups change nothing on the page: same fragments, same PDF bytes.

Three shortcuts make a plan cheaper to render (benchmarks/pdf.py): plain paragraphs skip
reportlab's XML parser, a paragraph breaks its lines once per width, and the fonts keep
the widths they measured. Each must give exactly what reportlab gives without it.
"""

from __future__ import annotations

import datetime as dt
from dataclasses import replace

import pytest
from reportlab import rl_config
from reportlab.lib.styles import ParagraphStyle
from reportlab.pdfbase.ttfonts import TTFont
from reportlab.platypus import Paragraph as PlatypusParagraph

from desktop_app.services.pdf import fonts, layout, markup
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import PlanDocument, load_plan_document
from desktop_app.services.vault import VaultSession
from tools.sample_case import build_case

VALUES = ["Plain words", "  spaced   out  ", "Zoë Ní Bhriain", "no\xa0break here", "tab\there",
          "", "   ", "x" * 400, "O'Brien & Sons", "two\nlines", "<b>not bold</b>", None, 42]


def _fragments(paragraph: PlatypusParagraph) -> list[dict[str, object]]:
    return [dict(vars(fragment)) for fragment in paragraph.frags]


@pytest.mark.parametrize("value", VALUES)
def test_a_paragraph_has_the_fragments_reportlabs_parser_makes(value: object) -> None:
    for style in [layout.styles().cell, layout.styles().title, ParagraphStyle("plain")]:
        ours = markup.text(value, style)
        theirs = PlatypusParagraph(markup.escape(value), style)
        assert type(ours) is markup.Paragraph
        assert (ours.text, _fragments(ours)) == (theirs.text, _fragments(theirs))
        assert ours.wrap(120, 500) == theirs.wrap(120, 500)
        assert ours.wrap(120, 500) == theirs.wrap(120, 500)  # again, from the kept lines
        assert ours.wrap(60, 500) == theirs.wrap(60, 500)
        for width in (0, 0, 60):  # no room at all, then room again
            assert ours.wrap(width, 500) == theirs.wrap(width, 500)


def test_plain_text_skips_the_parser_and_markup_does_not(monkeypatch: pytest.MonkeyPatch) -> None:
    parsed: list[str] = []
    real_parse = markup.Paragraph._setup

    def spy(self: PlatypusParagraph, text: str, style: ParagraphStyle, bullet: object,
            frags: object, cleaner: object) -> None:
        if frags is None:
            parsed.append(text)
        real_parse(self, text, style, bullet, frags, cleaner)

    monkeypatch.setattr(markup.Paragraph, "_setup", spy)
    style = ParagraphStyle("fresh")  # a style not seen before: parsed once to learn its font
    for value in ["one", "two", "O'Brien", "a\nb"]:
        markup.text(value, style)
    assert parsed == ["x", "O&#x27;Brien", "a<br/>b"]


@pytest.fixture
def document(vault: VaultSession) -> PlanDocument:
    case = build_case(vault.uow)
    return load_plan_document(vault.uow, case.plan_id, "Terry Teamlead",
                              dt.datetime(2026, 12, 1, 9, 30))


def test_the_pdf_is_byte_for_byte_what_plain_reportlab_makes(
        document: PlanDocument, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(rl_config, "invariant", 1)  # no time stamps or random ids
    long = "\n".join(f"Step {i}: wash hands, check the eye, give the drop." for i in range(90))
    task = replace(document.tasks[0], what_is_delegated=long,
                   workers=document.tasks[0].workers * 12)
    documents = [document, replace(document, tasks=(task, document.tasks[0]))]
    breaks: list[int] = []
    real_break = PlatypusParagraph.breakLines

    def counting(self: PlatypusParagraph, widths: object) -> object:
        breaks.append(1)
        return real_break(self, widths)

    monkeypatch.setattr(PlatypusParagraph, "breakLines", counting)
    fast = [render_support_plan(d) for d in documents]
    fast_breaks = len(breaks)
    monkeypatch.setattr(markup, "_plain", lambda escaped, style: markup.Paragraph(escaped, style))
    monkeypatch.setattr(markup.Paragraph, "wrap", PlatypusParagraph.wrap)
    monkeypatch.setattr(fonts._MeasuringTTFont, "stringWidth", TTFont.stringWidth)
    slow = [render_support_plan(d) for d in documents]
    assert fast == slow
    assert len(slow[1]) > len(slow[0])  # the long plan runs onto more pages
    assert fast_breaks < (len(breaks) - fast_breaks) / 2  # lines were broken far less often
