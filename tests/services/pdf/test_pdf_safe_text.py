"""Typed text prints literally: no markup injection, no code execution (CVE-2023-33733)."""

from __future__ import annotations

import ast
import datetime as dt
import os
from pathlib import Path

import pytest
import reportlab

from desktop_app.services.pdf.markup import escape, rich
from desktop_app.services.pdf.shared_care_form import render_shared_care_form
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import load_plan_document
from desktop_app.services.plans.shared_care_form import load_shared_care_form
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tools.sample_case import CaseSpec, build_case

PDF_PACKAGE = Path(__file__).resolve().parents[3] / "desktop_app" / "services" / "pdf"
PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
# Every test here checks that typed text prints exactly as typed.
pytestmark = pytest.mark.hazard("H-024")


def cve_2023_33733_payload(marker: Path) -> str:
    """The published proof of concept (c53elyas/CVE-2023-33733), touching ``marker``."""
    return (
        "<font color=\"[[[getattr(pow, Word('__globals__'))['os'].system('touch "
        f"{marker}') for Word in [ orgTypeFun( 'Word', (str,), {{ 'mutated': 1, "
        "'startswith': lambda self, x: 1 == 0, '__eq__': lambda self, x: self.mutate() and "
        "self.mutated < 0 and str(self) == x, 'mutate': lambda self: { setattr(self, "
        "'mutated', self.mutated - 1) }, '__hash__': lambda self: hash(str(self)), }, ) ] ] "
        "for orgTypeFun in [type(type(1))] for none in [[].append(1)]]] and 'red'\">"
        "exploit</font>")


def test_reportlab_has_the_cve_2023_33733_fix() -> None:
    version = tuple(int(part) for part in reportlab.__version__.split(".")[:3])
    assert version >= (3, 6, 13)


@pytest.mark.parametrize(("typed", "markup"), [
    ("O'Brien & Sons", "O&#x27;Brien &amp; Sons"),
    ("<b>bold</b>", "&lt;b&gt;bold&lt;/b&gt;"),
    ('<font color="red">x</font>', "&lt;font color=&quot;red&quot;&gt;x&lt;/font&gt;"),
    ("line one\nline two\r\nthree", "line one<br/>line two<br/>three"),
    ("bell\x07 and nul\x00 dropped\ttab kept", "bell and nul dropped\ttab kept"),
    (None, ""),
])
def test_escape_turns_typed_text_into_inert_markup(typed: str | None, markup: str) -> None:
    assert escape(typed) == markup


def test_rich_fills_a_template_with_escaped_values_only() -> None:
    from reportlab.lib.styles import ParagraphStyle

    paragraph = rich("<b>{label}</b> {value}", ParagraphStyle("t"), label="<i>Name</i>",
                     value="{label} & <b>x</b>")
    assert paragraph.text == "<b>&lt;i&gt;Name&lt;/i&gt;</b> {label} &amp; &lt;b&gt;x&lt;/b&gt;"


def test_typed_markup_and_the_cve_payload_print_literally_and_run_nothing(
        vault: VaultSession, tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    marker = tmp_path / "pwned"
    calls: list[str] = []
    monkeypatch.setattr(os, "system", lambda command: calls.append(command) or 0)
    payload = cve_2023_33733_payload(marker)
    hostile = {
        "what_is_delegated": payload,
        "what_is_not_delegated": "<b>bold</b> & <i>italic</i> & &amp; entity",
        "do_thresholds": '<font color="red">x</font> <para>para</para> <br/> ]]>',
        "call_nurse_thresholds": "Temperature > 38 or < 35 & \"worse\" 'today'",
        "in_emergency": "{value} {0} %s",  # format fields in typed text stay as typed
    }
    case = build_case(vault.uow, CaseSpec(
        given_name="<b>bold</b>", family_name="O'Brien & Sons",
        preferred_name='<font color="red">x</font>',
        # Narrow table cells split long words, so the worker names are short ones.
        worker_names=(("<b>Ł</b>", "Żółć"), ("Aisha", "O'Brien & Sons")),
        provider_name="<b>Care & Co</b>", texts=hostile))
    document = load_plan_document(vault.uow, case.plan_id, "<i>Team</i> & Lead", PRINTED_AT)
    text = flat("\n".join(page_texts(render_support_plan(document))))
    for literal in ["<b>bold</b> O'Brien & Sons", "<b>Ł</b> Żółć", "Aisha O'Brien & Sons",
                    'Preferred name <font color="red">x</font>', "<b>Care & Co</b>",
                    "by <i>Team</i> & Lead",
                    *hostile.values()]:
        assert flat(literal) in text, literal
    assert not marker.exists() and calls == []


def test_the_shared_care_form_prints_typed_markup_literally(vault: VaultSession) -> None:
    from sqlalchemy import select

    from desktop_app.models.mdt import SharedCareDiscussion

    question = '<font color="red">Who pays?</font> & <b>when</b>'
    build_case(vault.uow, CaseSpec(family_name="O'Brien & Sons", disagree=True,
                                   texts={"question": question}))
    with vault.uow.read() as s:
        discussion_id = s.scalars(select(SharedCareDiscussion.id)).one()
    document = load_shared_care_form(vault.uow, discussion_id, "Lead", PRINTED_AT)
    text = flat("\n".join(page_texts(render_shared_care_form(document))))
    assert question in text and "Zoë O'Brien & Sons" in text


def _calls(tree: ast.AST, name: str) -> list[ast.Call]:
    return [node for node in ast.walk(tree) if isinstance(node, ast.Call)
            and ((isinstance(node.func, ast.Name) and node.func.id == name)
                 or (isinstance(node.func, ast.Attribute) and node.func.attr == name))]


def test_only_the_markup_module_makes_paragraphs_and_templates_are_literals() -> None:
    """The escaping holds only if no other code hands reportlab a markup string."""
    sources = {path.name: ast.parse(path.read_text(encoding="utf-8"))
               for path in sorted(PDF_PACKAGE.glob("*.py"))}
    assert {"markup.py", "layout.py", "support_plan.py", "shared_care_form.py"} <= set(sources)
    makers = {name for name, tree in sources.items()
              if _calls(tree, "Paragraph") or _calls(tree, "XPreformatted")}
    assert makers == {"markup.py"}
    for name, tree in sources.items():
        for call in _calls(tree, "rich"):
            template = call.args[0]
            assert isinstance(template, ast.Constant) and isinstance(template.value, str), (
                f"{name} line {call.lineno}: rich() needs a literal template")
