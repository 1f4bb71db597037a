"""Guards the Qt binding version: PySide6 6.12.0 loses a reference to True/False each time
a slot called with a bool emits a signal, so a long session aborts in ``bool_dealloc``.
pyproject.toml keeps PySide6 below 6.12; this test fails if a broken version comes back.
"""

from __future__ import annotations

import sys

from desktop_app.ui.wizard.fields import YesNo


def test_toggling_a_yes_no_keeps_the_bool_reference_counts(qtbot) -> None:
    field = YesNo("Consent given")
    qtbot.addWidget(field)
    seen: list[None] = []
    field.changed.connect(lambda: seen.append(None))
    before = sys.getrefcount(True), sys.getrefcount(False)
    for _ in range(200):
        field.yes.setChecked(True)
        field.no.setChecked(True)
    assert len(seen) >= 200
    assert (sys.getrefcount(True), sys.getrefcount(False)) == before
