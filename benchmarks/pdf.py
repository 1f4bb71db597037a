"""PDF benchmark: the support plan renderer against bare reportlab, and a 500-plan batch.

Prints:
- ms per plan for ``render_support_plan`` (tables, DejaVu fonts embedded, every page marked
  with "Page X of Y") beside a minimal reportlab document of the same content built in the
  same run: the same text as plain Paragraphs in one SimpleDocTemplate, reportlab's default
  font, no tables and no page template. Interleaved rounds, medians and the ratio (goal
  <= 1.5x);
- the time for a batch of 500 plans from a real encrypted vault (SQLCipher, the app's own
  ``VaultStore``): loading each document through the unit of work (each load is audited as
  a view, as in the app), rendering on worker processes started with spawn (each worker
  also cuts its plan into the objects the combined PDF takes), and stitching them into one
  PDF with a bookmark per plan; with one worker per core and with one worker for
  comparison. Beside it, the limit measured in the same run: the minimal reportlab
  document's ms a plan (above) x plans / cores, as if the cores did nothing but that
  (goal: the batch with every core <= 1.25x the limit). The CPU lines say where the time
  went: this process (loading, stitching) and the workers (rendering, cutting).

The vault is filled with synthetic people whose delegations are decided through the
services (``tools/sample_case.py``): 999-range NHS numbers, invented names.

Run: ``make bench`` (or ``python benchmarks/pdf.py --plans 500 --rounds 40``).
"""

from __future__ import annotations

import argparse
import datetime as dt
import io
import os
import resource
import statistics
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

from reportlab.lib.styles import getSampleStyleSheet
from reportlab.platypus import KeepTogether, Paragraph, SimpleDocTemplate, Table

# The plan fixtures live with the tests; this script runs from anywhere.
REPO = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(REPO))

from desktop_app.services.pdf import support_plan  # noqa: E402
from desktop_app.services.plans.document import PlanDocument  # noqa: E402

GOAL_RATIO = 1.5
GOAL_BATCH_LIMIT = 1.25  # the batch with every core, against plans x minimal ms / cores
PRINTED_AT = dt.datetime(2026, 12, 1, 9, 30)
PRINTED_BY = "Bench Team Lead"
GIVEN = ["Margaret", "Harold", "Zoë", "Łukasz", "Aisha", "Gurpreet", "Siobhán", "Kwame"]
FAMILY = ["Smith", "Patel", "O'Brien", "Nowak", "Okafor", "Begum", "Öztürk", "Ní Bhriain"]


# ---------------------------------------------------------------- (a) one plan


def story_texts(flowables: list[Any]) -> Iterator[str]:
    """The paragraph markup of every flowable in the plan's story, tables and all, in order."""
    for flowable in flowables:
        if isinstance(flowable, Paragraph):
            yield flowable.text
        elif isinstance(flowable, KeepTogether):
            yield from story_texts(flowable._content)
        elif isinstance(flowable, Table):
            for row in flowable._cellvalues:
                for cell in row:
                    if isinstance(cell, str):
                        yield from [cell] if cell else []
                    else:
                        yield from story_texts(list(cell) if isinstance(cell, list | tuple)
                                               else [cell])


def minimal_renderer(document: PlanDocument) -> Callable[[], bytes]:
    """Bare reportlab on the same text: plain Paragraphs, default font, one frame."""
    texts = list(story_texts(support_plan._story(document)))  # the plan's own story
    style = getSampleStyleSheet()["Normal"]

    def render() -> bytes:
        buffer = io.BytesIO()
        SimpleDocTemplate(buffer).build([Paragraph(text, style) for text in texts])
        return buffer.getvalue()

    return render


def time_one_plan(document: PlanDocument, rounds: int) -> float:
    """Median ms per plan, ours and the minimal document, interleaved round by round;
    returns the minimal document's median in seconds (the batch's limit is made of it)."""
    runs = {"support plan": lambda: support_plan.render_support_plan(document),
            "minimal reportlab": minimal_renderer(document)}
    samples: dict[str, list[float]] = {name: [] for name in runs}
    pages = {name: run().count(b"/Type /Page\n") for name, run in runs.items()}  # warm-up
    for _ in range(rounds):
        for name, run in runs.items():
            start = time.perf_counter()
            run()
            samples[name].append(time.perf_counter() - start)
    ours, bare = (statistics.median(samples[name]) for name in runs)
    print(f"one plan ({rounds} rounds each, interleaved, median):")
    for name in runs:
        print(f"  {name:20s} {statistics.median(samples[name]) * 1000:6.1f} ms "
              f"({pages[name]} pages)")
    print(f"  ratio                {ours / bare:6.2f}x   (goal <= {GOAL_RATIO}x)")
    return bare


# ---------------------------------------------------------------- (b) the batch


def build_vault(folder: Path, plans: int) -> Any:
    """An encrypted vault with ``plans`` people, each with a decided delegation and plan."""
    from desktop_app.models.user import Role
    from desktop_app.services.vault import VaultStore
    from tools.sample_case import CaseSpec, build_case
    from tools.throwaway_vault import CHEAP_KDF

    created = VaultStore(folder / "vault", kdf_cost=CHEAP_KDF).create(
        "Bench Team Lead", Role.TEAM_LEAD, "benchmark passphrase for the pdf batch")
    for serial in range(plans):
        build_case(created.session.uow, CaseSpec(
            serial=10_000 + serial, given_name=GIVEN[serial % len(GIVEN)],
            family_name=f"{FAMILY[serial // len(GIVEN) % len(FAMILY)]}-{serial}"))
    return created.session


def cpu_seconds(who: int) -> float:
    """User + system CPU seconds of this process or of its finished children."""
    usage = resource.getrusage(who)
    return usage.ru_utime + usage.ru_stime


def time_batch(session: Any, workers: int) -> float:
    """Seconds from choosing the plans to the combined PDF's bytes."""
    from desktop_app.services.pdf.batch import plan_loader, plans_for_batch, render_batch

    load = os.getloadavg()[0]
    own, children = cpu_seconds(resource.RUSAGE_SELF), cpu_seconds(resource.RUSAGE_CHILDREN)
    start = time.perf_counter()
    rows = plans_for_batch(session.uow, "City South", dt.date(2026, 11, 30),
                           dt.date(2026, 11, 30))
    chosen = time.perf_counter() - start
    result = render_batch(plan_loader(session.uow, PRINTED_BY, PRINTED_AT),
                          [row.plan_id for row in rows], lambda done, total: None,
                          lambda: False, workers=workers)
    seconds = time.perf_counter() - start
    own = cpu_seconds(resource.RUSAGE_SELF) - own  # loading and combining
    children = cpu_seconds(resource.RUSAGE_CHILDREN) - children  # the workers, once joined
    assert not result.cancelled and len(result.plans) == len(rows)
    print(f"  {workers} worker{'s' if workers > 1 else ' '}  {seconds:6.1f} s "
          f"({seconds / len(rows) * 1000:5.1f} ms a plan; choosing them {chosen * 1000:.0f} ms; "
          f"{result.page_count} pages, {len(result.pdf) / 1e6:.1f} MB)")
    print(f"             CPU: this process (loading, stitching) {own:5.1f} s, workers "
          f"(rendering, cutting) {children:5.1f} s; load average before {load:.1f}")
    return seconds


def report_limit(seconds: float, plans: int, minimal: float, cores: int) -> None:
    """The batch beside its limit from this run: plans x minimal reportlab's time / cores."""
    limit = plans * minimal / cores
    ratio = seconds / limit
    print(f"  limit: minimal reportlab {minimal * 1000:.1f} ms a plan x {plans} / {cores} cores "
          f"= {limit:.1f} s; the batch {seconds:.1f} s = {ratio:.2f}x the limit "
          f"(goal <= {GOAL_BATCH_LIMIT}x): {'meets' if ratio <= GOAL_BATCH_LIMIT else 'MISSES'}")


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--plans", type=int, default=500)
    parser.add_argument("--rounds", type=int, default=40)
    parser.add_argument("--workers", type=int, default=os.cpu_count() or 1)
    args = parser.parse_args(argv)
    from desktop_app.services.plans.document import load_plan_document

    with tempfile.TemporaryDirectory(prefix="scp-bench-") as tmp:
        start = time.perf_counter()
        session = build_vault(Path(tmp), args.plans)
        print(f"vault with {args.plans} people and plans built in "
              f"{time.perf_counter() - start:.0f} s\n")
        try:
            from desktop_app.services.pdf.batch import plans_for_batch

            first = plans_for_batch(session.uow, "City South", dt.date(2026, 11, 30),
                                    dt.date(2026, 11, 30))[0].plan_id
            minimal = time_one_plan(load_plan_document(session.uow, first, PRINTED_BY,
                                                       PRINTED_AT), args.rounds)
            print(f"\nbatch of {args.plans} plans into one PDF ({os.cpu_count()} cores):")
            best = time_batch(session, args.workers)
            time_batch(session, 1)
            report_limit(best, args.plans, minimal, args.workers)
        finally:
            session.close()
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
