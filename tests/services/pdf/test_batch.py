"""The team lead's batch: choosing plans, rendering them on worker processes, one PDF.

Each batch starts spawned worker processes (about a second each time), so the rendered
batch is made once per module and its checks share it; cancelling, one worker and leaving
early each run their own small batch. All data is synthetic (999-range NHS numbers).
"""

from __future__ import annotations

import datetime as dt
import io
import multiprocessing
import os
import shutil
import tempfile
import time
from collections.abc import Iterator
from concurrent.futures import ProcessPoolExecutor
from dataclasses import dataclass
from pathlib import Path

import pytest
from pypdf import PdfReader
from pypdf.generic import Destination
from sqlalchemy import select, update

from desktop_app.models.audit import AuditEvent
from desktop_app.models.plan import SupportPlan
from desktop_app.services import people
from desktop_app.services.core.errors import NotFound, ValidationError
from desktop_app.services.core.uow import UnitOfWork
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number
from desktop_app.services.pdf.batch import (
    BatchResult,
    iter_rendered,
    plan_loader,
    plans_for_batch,
    render_batch,
)
from desktop_app.services.pdf.batch_worker import NICENESS, lower_priority
from desktop_app.services.plans.document import record_outputs
from desktop_app.services.vault import VaultSession, VaultStore
from tests.services.pdf.pdf_text import flat, page_texts
from tests.support import PASSPHRASE, TEST_KDF
from tools.sample_case import CaseSpec, build_case, delegate_again

PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
PRINTED_BY = "Terry Teamlead"
TEAM = "City South"
WEEK = (dt.date(2026, 11, 23), dt.date(2026, 11, 29))
# Family names in the order the batch lists them (family name, then given name).
PEOPLE = [("Ada", "Ashworth"), ("Zoë", "Ní Bhriain"), ("Łukasz", "Okafor")]


# ---------------------------------------------------------------- building the vaults


def _unlocked_copy(template: tuple[Path, str, str], folder: Path) -> VaultSession:
    source, user_id, _ = template
    shutil.copytree(source, folder / "vault")
    return VaultStore(folder / "vault", kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)


def _person(uow: UnitOfWork, serial: int, family: str, team: str = TEAM) -> tuple[str, str]:
    nhs = synthetic_nhs_number(serial)
    person = people.create_person(uow, people.PersonInput(
        nhs_number=nhs, given_name="Test", family_name=family,
        date_of_birth=dt.date(1940, 2, 3), address_line1="1 Example Street", town="Leicester",
        postcode="LE2 9ZZ", team=team))
    return person.id, nhs


def _plan(uow: UnitOfWork, person: tuple[str, str], effective: dt.date,
          recorded: dt.date | None = None) -> str:
    """A new plan version for the person, effective and recorded on the given days (noon)."""
    plan_id = delegate_again(uow, person[0], person[1], CaseSpec(), decided_on=effective).plan_id
    noon = dt.datetime.combine(recorded or effective, dt.time(12)).astimezone(dt.UTC)
    with uow.begin() as session:  # back-dated as if recorded then (plans are never updated)
        session.connection().execute(update(SupportPlan).where(SupportPlan.id == plan_id)
                                     .values(created_at=noon))
    return plan_id


@dataclass(frozen=True)
class Selection:
    """The plans of the selection vault that the week's batch must and must not list."""

    uow: UnitOfWork
    changed_latest: str  # version 2, effective in the week; version 1 was not
    changed_once: str
    recorded_in_week: str  # effective before the week, recorded during it
    other_team: str
    not_changed: str
    superseded_in_week: str  # version 1 in the week, version 2 after it


@pytest.fixture(scope="module")
def selection(template_vault: tuple[Path, str, str],
              tmp_path_factory: pytest.TempPathFactory) -> Iterator[Selection]:
    session = _unlocked_copy(template_vault, tmp_path_factory.mktemp("selection"))
    uow = session.uow
    a, b, c = _person(uow, 301, "Alpha"), _person(uow, 302, "Bravo"), _person(uow, 303, "Charlie")
    d, e = _person(uow, 304, "Delta", "City North"), _person(uow, 305, "Echo")
    f = _person(uow, 306, "Foxtrot")
    _plan(uow, a, dt.date(2026, 11, 10))
    superseded = _plan(uow, f, dt.date(2026, 11, 24))
    _plan(uow, f, dt.date(2026, 12, 3))
    _plan(uow, e, dt.date(2026, 11, 1))
    yield Selection(
        uow, changed_latest=_plan(uow, a, dt.date(2026, 11, 25)),
        changed_once=_plan(uow, b, dt.date(2026, 11, 29)),
        recorded_in_week=_plan(uow, c, dt.date(2026, 11, 20), recorded=dt.date(2026, 11, 23)),
        other_team=_plan(uow, d, dt.date(2026, 11, 24)),
        not_changed=_plan(uow, e, dt.date(2026, 11, 5)), superseded_in_week=superseded)
    session.close()


@dataclass(frozen=True)
class Batch:
    """The module's vault with three people's plans, and its batch rendered once."""

    uow: UnitOfWork
    plan_ids: list[str]
    result: BatchResult
    progress: list[tuple[int, int]]
    temp_files: list[str]


@pytest.fixture(scope="module")
def batch(template_vault: tuple[Path, str, str],
          tmp_path_factory: pytest.TempPathFactory) -> Iterator[Batch]:
    session = _unlocked_copy(template_vault, tmp_path_factory.mktemp("batch"))
    for serial, (given, family) in enumerate(PEOPLE, start=401):
        build_case(session.uow, CaseSpec(serial=serial, given_name=given, family_name=family))
    rows = plans_for_batch(session.uow, TEAM, dt.date(2026, 11, 30), dt.date(2026, 11, 30))
    plan_ids = [row.plan_id for row in rows]
    progress: list[tuple[int, int]] = []
    empty = tmp_path_factory.mktemp("tmpdir")
    with pytest.MonkeyPatch.context() as patch:  # the workers' temp dir and ours
        patch.setenv("TMPDIR", str(empty))
        patch.setattr(tempfile, "tempdir", str(empty))
        result = render_batch(plan_loader(session.uow, PRINTED_BY, PRINTED_AT), plan_ids,
                              lambda done, total: progress.append((done, total)),
                              lambda: False, workers=2)
        temp_files = sorted(str(p) for p in empty.rglob("*"))
    yield Batch(session.uow, plan_ids, result, progress, temp_files)
    session.close()


def _text(result: BatchResult) -> str:
    return flat("\n".join(page_texts(result.pdf)))


def _no_workers_left(timeout: float = 10.0) -> bool:
    deadline = time.monotonic() + timeout
    while multiprocessing.active_children():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.05)
    return True


# ---------------------------------------------------------------- choosing the plans


@pytest.mark.hazard("H-009")
def test_the_week_for_a_team_lists_each_persons_latest_changed_plan(selection: Selection) -> None:
    rows = plans_for_batch(selection.uow, TEAM, *WEEK)
    assert [row.plan_id for row in rows] == [selection.changed_latest, selection.changed_once,
                                             selection.recorded_in_week]
    first = rows[0]
    assert (first.person_name, first.team, first.version_number, first.effective_from) == (
        "Test Alpha", TEAM, 2, dt.date(2026, 11, 25))
    assert first.nhs_number_display == format_nhs_number(synthetic_nhs_number(301))
    assert first.task_names == ("Putting in eye drops or eye ointment",)


def test_other_teams_only_when_no_team_is_chosen(selection: Selection) -> None:
    every_team = {row.plan_id for row in plans_for_batch(selection.uow, None, *WEEK)}
    assert selection.other_team in every_team
    assert selection.other_team not in {row.plan_id for row in
                                        plans_for_batch(selection.uow, TEAM, *WEEK)}
    assert selection.not_changed not in every_team
    assert selection.superseded_in_week not in every_team  # its newer version is later
    assert plans_for_batch(selection.uow, "No Such Team", *WEEK) == []


def test_the_range_includes_both_days_and_must_run_forwards(selection: Selection) -> None:
    last_day = plans_for_batch(selection.uow, TEAM, dt.date(2026, 11, 29), dt.date(2026, 11, 29))
    assert [row.plan_id for row in last_day] == [selection.changed_once]
    with pytest.raises(ValidationError):
        plans_for_batch(selection.uow, TEAM, WEEK[1], WEEK[0])


# ---------------------------------------------------------------- the combined PDF


@pytest.mark.hazard("H-015")
@pytest.mark.hazard("H-030")
def test_one_pdf_has_each_person_in_order_with_their_own_page_numbers(batch: Batch) -> None:
    result, pages = batch.result, page_texts(batch.result.pdf)
    assert not result.cancelled and result.total == 3
    assert [plan.plan_id for plan in result.plans] == batch.plan_ids
    assert len(pages) == result.page_count == sum(p.page_count for p in result.plans)
    text = flat("\n".join(pages))
    starts = [text.find(f"Support plan: {given} {family}") for given, family in PEOPLE]
    assert -1 not in starts and starts == sorted(starts)
    for plan, (given, family) in zip(result.plans, PEOPLE, strict=True):
        own = pages[plan.first_page - 1:plan.first_page - 1 + plan.page_count]
        assert plan.page_count >= 2
        assert f"Support plan: {given} {family}" in flat(own[0])
        for number, page in enumerate(own, start=1):
            assert f"Page {number} of {plan.page_count}" in flat(page)
            assert f"{given} {family} · NHS number {plan.nhs_number}" in flat(page)


def test_each_plan_has_a_bookmark_at_its_first_page(batch: Batch) -> None:
    reader = PdfReader(io.BytesIO(batch.result.pdf))
    marks = [(item.title, reader.get_destination_page_number(item)) for item in reader.outline
             if isinstance(item, Destination)]
    assert marks == [(f"{plan.person_name} ({plan.nhs_number}) · version 1",
                      plan.first_page - 1) for plan in batch.result.plans]
    assert marks[1][0] == f"Zoë Ní Bhriain ({format_nhs_number(synthetic_nhs_number(402))})" \
                          " · version 1"
    assert reader.metadata is not None and reader.metadata.title == "Support plans (3)"


def test_progress_counts_every_plan_up_to_the_total(batch: Batch) -> None:
    assert batch.progress[0] == (0, 3)
    assert batch.progress[-1] == (3, 3)
    done = [d for d, _ in batch.progress]
    assert done == sorted(done) and {t for _, t in batch.progress} == {3}


@pytest.mark.hazard("H-019")
def test_nothing_is_written_to_the_temp_folder(batch: Batch) -> None:
    assert batch.temp_files == []


def test_one_worker_gives_the_same_pdf_text_as_two(batch: Batch) -> None:
    single = render_batch(plan_loader(batch.uow, PRINTED_BY, PRINTED_AT), batch.plan_ids,
                          lambda done, total: None, lambda: False, workers=1)
    assert page_texts(single.pdf) == page_texts(batch.result.pdf)
    assert single.plans == batch.result.plans


def test_cancel_after_the_first_plan_stops_and_keeps_nothing(batch: Batch) -> None:
    seen: list[int] = []
    plan_ids = batch.plan_ids * 3  # more than one worker's window
    result = render_batch(plan_loader(batch.uow, PRINTED_BY, PRINTED_AT), plan_ids,
                          lambda done, total: seen.append(done), lambda: max(seen) >= 1,
                          workers=1)
    assert result.cancelled and result.pdf == b"" and result.plans == ()
    assert result.total == len(plan_ids) and max(seen) == 1
    assert _no_workers_left()


def test_iterating_yields_plans_in_order_and_leaving_early_stops_the_workers(
        batch: Batch) -> None:
    rendered = iter_rendered(plan_loader(batch.uow, PRINTED_BY, PRINTED_AT), batch.plan_ids,
                             workers=1)
    first = next(rendered)
    assert first.plan_id == batch.plan_ids[0]
    assert "Support plan: Ada Ashworth" in flat(page_texts(first.pdf)[0])
    rendered.close()
    assert _no_workers_left()


@pytest.mark.skipif(not hasattr(os, "nice"), reason="POSIX niceness")
def test_workers_run_below_the_apps_priority() -> None:
    context = multiprocessing.get_context("spawn")
    with ProcessPoolExecutor(1, mp_context=context, initializer=lower_priority) as pool:
        worker_niceness = pool.submit(os.nice, 0).result()
    assert worker_niceness == min(os.nice(0) + NICENESS, 19)


def test_a_removed_plan_stops_the_batch_with_not_found(batch: Batch) -> None:
    with pytest.raises(NotFound):
        render_batch(plan_loader(batch.uow, PRINTED_BY, PRINTED_AT),
                     ["no-such-plan", *batch.plan_ids], lambda done, total: None,
                     lambda: False)
    assert _no_workers_left()


def test_an_empty_batch_starts_no_workers(batch: Batch) -> None:
    seen: list[tuple[int, int]] = []
    result = render_batch(plan_loader(batch.uow, PRINTED_BY, PRINTED_AT), [],
                          lambda done, total: seen.append((done, total)), lambda: False)
    assert (result.pdf, result.plans, result.cancelled, seen) == (b"", (), False, [(0, 0)])


@pytest.mark.hazard("H-038")
def test_printing_the_batch_is_audited_once_per_plan(batch: Batch) -> None:
    record_outputs(batch.uow, batch.result.plans, "print")
    with batch.uow.read() as session:
        events = list(session.execute(
            select(AuditEvent.entity_id, AuditEvent.action)
            .where(AuditEvent.entity_type == "support_plan").order_by(AuditEvent.seq)))
    assert events[-3:] == [(plan_id, "print") for plan_id in batch.plan_ids]
    viewed = {entity for entity, action in events if action == "view"}
    assert set(batch.plan_ids) <= viewed  # loading each plan for the batch is a view
