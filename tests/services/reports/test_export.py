"""Reports as CSV and PDF: what they say about themselves, their figures, typed text.

The CSV is read back with the csv module (RFC 4180); the PDF with pypdf, as a reader
would see it.
"""

from __future__ import annotations

import csv
import datetime as dt
import io

import pytest
from sqlalchemy import select

from desktop_app.models.audit import AuditEvent
from desktop_app.services.pdf.report import render_report_pdf
from desktop_app.services.reports import (
    REPORTS,
    Report,
    ReportKind,
    ReportQuery,
    ReportSection,
    ReportSpec,
    record_report_output,
    run_report,
    to_csv,
)
from desktop_app.services.reports.equality import RULE
from desktop_app.services.reports.export import NO_SUPPRESSION, safe
from desktop_app.services.reports.model import count, label, moment_words, money, percent
from desktop_app.services.vault import VaultSession
from tests.services.pdf.pdf_text import flat, page_texts
from tests.services.reports.dataset import INJECTION, MARKUP, QUARTER, TODAY, Built

PRODUCED = dt.datetime(2026, 4, 15, 9, 30, tzinfo=dt.UTC)


def report_of(vault: VaultSession, kind: ReportKind) -> Report:
    return run_report(vault.uow, kind, QUARTER, today=TODAY, produced_at=PRODUCED)


def rows_of(text: str) -> list[list[str]]:
    return list(csv.reader(io.StringIO(text, newline="")))


@pytest.mark.parametrize("spec", REPORTS, ids=[spec.kind.value for spec in REPORTS])
def test_csv_first_lines_say_what_the_report_is(report_vault: VaultSession, built: Built,
                                                spec: ReportSpec) -> None:
    report = report_of(report_vault, spec.kind)
    text = to_csv(report)
    assert text.endswith("\r\n") and "\n" not in text.replace("\r\n", "")
    rows = rows_of(text)
    assert rows[:6] == [
        ["Report", report.title], ["Period", "1 January 2026 to 31 March 2026"],
        ["Team", "Alpha INT"], ["Produced", f"{moment_words(PRODUCED)} by Test Nurse"],
        ["As at", "2026-03-31"],
        ["Suppression rule", RULE if spec.kind is ReportKind.EQUALITY else NO_SUPPRESSION]]
    notes = [row[1] for row in rows[6:] if row[:1] == ["Note"]]
    assert notes[:len(report.notes)] == list(report.notes)
    for section in report.sections:  # each section: its title, then its headings
        at = rows.index([section.title])
        assert len(rows[at + 1]) == len(section.columns)


def test_csv_numbers_are_plain_and_money_is_in_pounds(report_vault: VaultSession,
                                                      built: Built) -> None:
    rows = rows_of(to_csv(report_of(report_vault, ReportKind.FUNDING)))
    at = rows.index(["Per funder"])
    assert rows[at + 1] == ["Funder", "Per week on 31 March 2026 (£)", "Period total (£)",
                            "Interim unreconciled, per week (£)",
                            "Interim unreconciled, period total (£)"]
    assert ["LLR ICB", "125.50", "1338.00", "21.00", "177.00"] in rows
    assert ["All funders", "226.51", "2331.14", "63.00", "531.00"] in rows
    reviews = rows_of(to_csv(report_of(report_vault, ReportKind.REVIEWS)))
    assert ["Total", "7", "3", "2", "2", "0", "42.9"] in reviews


@pytest.mark.hazard("H-028")
def test_csv_keeps_hidden_counts_hidden_and_guards_against_formulas(
        report_vault: VaultSession, built: Built) -> None:
    text = to_csv(report_of(report_vault, ReportKind.EQUALITY))
    rows = rows_of(text)
    assert ["Female", "*", "0", "<5", "0", "14"] in rows
    assert ["'" + INJECTION, "*", "0", "0", "0", "*"] in rows  # read as text, not run
    assert [MARKUP, "<5", "<5", "0", "0", "5"] in rows
    assert "Sikh" not in text and "Jain" not in text


def test_formula_guard() -> None:
    for risky in ("=1+1", "+44 116", "-2", "@SUM(A1)", "\tx", "\rx"):
        assert safe(risky) == "'" + risky
    for fine in ("Female", "<5", "*", "", "£1.00", "'quoted", " =not first"):
        assert safe(fine) == fine


def test_csv_quotes_commas_quotes_and_line_breaks() -> None:
    section = ReportSection("People's teams, by name", ("Team", "Count", "Share", "£"),
                            ((label('Smith, "Jr"\nNorth'), count(1234), percent(1, 3),
                              money(123456)),))
    report = Report(ReportKind.COMPETENCY, "A, B", ReportQuery(dt.date(2026, 1, 1),
                                                               dt.date(2026, 1, 31), "=Team"),
                    dt.date(2026, 1, 31), PRODUCED, "Pat", (section,))
    rows = rows_of(to_csv(report))
    assert rows[0] == ["Report", "A, B"] and rows[2] == ["Team", "'=Team"]
    assert rows[-2:] == [["Team", "Count", "Share", "£ (£)"],
                         ['Smith, "Jr"\nNorth', "1234", "33.3", "1234.56"]]


@pytest.mark.parametrize("spec", REPORTS, ids=[spec.kind.value for spec in REPORTS])
def test_pdf_states_period_filters_date_produced_and_rule(report_vault: VaultSession,
                                                          built: Built,
                                                          spec: ReportSpec) -> None:
    report = report_of(report_vault, spec.kind)
    pages = page_texts(render_report_pdf(report))
    text = flat("\n".join(pages))
    for expected in [report.title, "Period 1 January 2026 to 31 March 2026",
                     "Team Alpha INT", f"Produced {moment_words(PRODUCED)} by Test Nurse",
                     "Figures as at 31 March 2026", "Suppression rule"]:
        assert expected in text, expected
    rule = RULE if spec.kind is ReportKind.EQUALITY else NO_SUPPRESSION
    assert flat(rule)[:80] in text
    for number, page in enumerate(pages, start=1):
        assert page.count("OFFICIAL-SENSITIVE") == 2
        assert f"Page {number} of {len(pages)}" in page
    for index, section in enumerate(report.sections, start=1):
        assert f"{index}. {section.title}" in text


@pytest.mark.hazard("H-024")
def test_pdf_tables_hold_the_figures_and_typed_text_as_typed(report_vault: VaultSession,
                                                             built: Built) -> None:
    funding = flat("\n".join(page_texts(render_report_pdf(report_of(report_vault,
                                                                    ReportKind.FUNDING)))))
    assert "All funders £226.51 £2,331.14 £63.00 £531.00" in funding
    assert "MLCSU-999-7 Alpha INT 1 February 2026 58 £21.00 £42.00 £354.00" in funding
    equality = flat("\n".join(page_texts(render_report_pdf(report_of(report_vault,
                                                                     ReportKind.EQUALITY)))))
    assert f"{MARKUP} <5 <5 0 0 5" in equality
    assert f"{INJECTION} * 0 0 0 *" in equality
    assert "Female * 0 <5 0 14" in equality
    assert "Sikh" not in equality
    delegations = flat("\n".join(page_texts(render_report_pdf(
        report_of(report_vault, ReportKind.DELEGATIONS)))))
    assert "Total 7 9 11 27" in delegations  # decisions; the withdrawals apart:
    assert "The person's need changed 0 0 1 1 Total 0 0 3 3" in delegations


@pytest.mark.hazard("H-038")
def test_printing_or_exporting_a_report_is_audited(report_vault: VaultSession,
                                                   built: Built) -> None:
    report = report_of(report_vault, ReportKind.EQUALITY)
    record_report_output(report_vault.uow, report, "export")
    record_report_output(report_vault.uow, report, "print")
    with report_vault.uow.read() as session:
        events = session.execute(select(AuditEvent.entity_type, AuditEvent.action).where(
            AuditEvent.entity_id == "equality")).all()
    assert sorted(events) == [("report", "export"), ("report", "print")]


@pytest.mark.parametrize("kind", list(ReportKind))
def test_every_report_prints_for_a_period_with_nothing_in_it(report_vault: VaultSession,
                                                              built: Built,
                                                              kind: ReportKind) -> None:
    """A period before anything was recorded still prints (a chart with categories but no
    series was drawn, and reportlab failed on it: the Delegations report's PDF crashed)."""
    empty = ReportQuery(dt.date(2001, 1, 1), dt.date(2001, 1, 31))
    report = run_report(report_vault.uow, kind, empty, today=TODAY, produced_at=PRODUCED)
    pages = page_texts(render_report_pdf(report))
    assert report.title in flat(pages[0]) and "Page 1 of" in flat(" ".join(pages))
