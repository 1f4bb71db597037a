"""``resources_dir()`` inside a PyInstaller bundle (simulated: ``sys.frozen``, ``sys._MEIPASS``).

A one-folder bundle keeps its data under ``_internal/`` (``sys._MEIPASS``); a build with
no contents folder keeps it beside the executable. Either must win over the source
checkout this test runs from, which has a ``resources/`` folder of its own.
"""

from __future__ import annotations

import sys
from pathlib import Path

import pytest

from desktop_app.services.core.paths import RESOURCES_ENV, resources_dir


def _resources(folder: Path) -> Path:
    (folder / "resources").mkdir(parents=True)
    (folder / "resources" / "task_catalogue.json").write_text("{}", encoding="utf-8")
    return folder / "resources"


@pytest.fixture
def frozen(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A bundle folder with its executable; the app looks frozen until the test ends."""
    app = tmp_path / "shared-care-planner"
    app.mkdir()
    monkeypatch.setattr(sys, "frozen", True, raising=False)
    monkeypatch.setattr(sys, "executable", str(app / "shared-care-planner"))
    monkeypatch.delattr(sys, "_MEIPASS", raising=False)
    return app


def test_the_bundles_internal_folder_is_used(frozen: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    expected = _resources(frozen / "_internal")
    monkeypatch.setattr(sys, "_MEIPASS", str(frozen / "_internal"), raising=False)
    assert resources_dir({}) == expected


def test_resources_beside_the_executable_are_used(frozen: Path) -> None:
    expected = _resources(frozen)
    assert resources_dir({}) == expected


def test_the_override_still_wins_in_a_bundle(frozen: Path, tmp_path: Path,
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "_MEIPASS", str(frozen / "_internal"), raising=False)
    _resources(frozen / "_internal")
    chosen = _resources(tmp_path / "elsewhere")
    assert resources_dir({RESOURCES_ENV: str(chosen)}) == chosen


def test_not_frozen_the_checkout_is_used() -> None:
    assert getattr(sys, "frozen", False) is False
    assert resources_dir({}) == Path(__file__).resolve().parents[2] / "resources"
