"""What a batch worker process runs: one support plan document in, its PDF (or, for the
combined PDF, the plan's part of it, ready to stitch) out.

The batch (``batch.py``) starts its worker processes with the *spawn* start method, so each
worker is a fresh interpreter that imports this module by name to find ``render_plan``.
Keep it small: it imports the renderer and nothing of Qt, the vault or the database engine.
(Unpickling a ``PlanDocument`` does import ``plan_document``, whose module loads the
SQLAlchemy models to define the blocks; no engine, connection or key is ever made here.)

Documents arrive and PDFs (or parts) leave through the pool's pipes; nothing is written
to disk.
"""

from __future__ import annotations

import os
import sys

from desktop_app.services.pdf.stitch import PlanPart, split_plan
from desktop_app.services.pdf.support_plan import render_support_plan
from desktop_app.services.plans.document import PlanDocument

NICENESS = 10
BELOW_NORMAL_PRIORITY_CLASS = 0x4000  # Windows


def lower_priority() -> None:
    """Run this worker below normal priority (the pool's initializer).

    The app's own process loads each plan and keeps the window painting while the workers
    use every core: given the same priority, the workers would take turns with it and the
    batch would wait on the loading (measured: each load took twice as long).
    """
    if sys.platform == "win32":
        import ctypes

        kernel32 = ctypes.windll.kernel32
        kernel32.SetPriorityClass(kernel32.GetCurrentProcess(), BELOW_NORMAL_PRIORITY_CLASS)
    else:
        os.nice(NICENESS)


def render_plan(document: PlanDocument) -> bytes:
    """The plan's PDF (its own "Page X of Y"), rendered in a worker process."""
    return render_support_plan(document)


def render_part(document: PlanDocument) -> PlanPart:
    """The plan rendered and cut into the objects its pages use (``stitch.split_plan``):
    the worker does the combining's reading, so the parent only copies bytes."""
    return split_plan(render_support_plan(document))
