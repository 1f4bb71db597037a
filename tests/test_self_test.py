"""``--self-test`` and ``--version``: what IT staff run to verify an installation.

The self-test runs here in-process on the source tree (the bundle is checked by
``make installer-check``), with the OWASP-minimum Argon2id cost to stay fast. All data it
makes is synthetic and lives in a temporary folder that must be gone afterwards.
"""

from __future__ import annotations

import os
import subprocess
import sys
import tempfile
from pathlib import Path

import pytest

from desktop_app import __version__, self_test
from desktop_app.services.core.paths import HOME_ENV
from tests.support import TEST_KDF

ROOT = Path(__file__).resolve().parents[1]
# What the sign-in dialog must not wait for (design.md, "Start-up"); --version loads none.
HEAVY = ("PySide6", "sqlalchemy", "reportlab", "httpx", "cryptography", "argon2", "alembic")


@pytest.fixture
def scratch(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> tuple[Path, Path]:
    """(where the self-test's temporary folder goes, a stand-in for the user's real home)."""
    temp, home = tmp_path / "temp", tmp_path / "real-home"
    temp.mkdir()
    monkeypatch.setattr(tempfile, "tempdir", str(temp))
    monkeypatch.setenv(HOME_ENV, str(home))
    return temp, home


def test_the_self_test_passes_and_leaves_nothing_behind(scratch: tuple[Path, Path]) -> None:
    temp, home = scratch
    lines: list[str] = []
    assert self_test.run_self_test(lines.append, kdf=TEST_KDF) == 0, "\n".join(lines)
    ok, _ = self_test._marks()
    for name, _step in self_test.STEPS:
        assert any(line.startswith(f"{ok} {name}") for line in lines), name
    assert lines[-1].startswith("Self-test passed")
    assert "a reduced cost" in "\n".join(lines)
    assert list(temp.iterdir()) == [], "the temporary folder was not removed"
    assert os.environ[HOME_ENV] == str(home) and not home.exists(), "the real home was used"


def test_a_failing_step_is_named_and_exits_1(scratch: tuple[Path, Path],
                                             monkeypatch: pytest.MonkeyPatch) -> None:
    from desktop_app.services.pdf import support_plan
    temp, home = scratch
    monkeypatch.setattr(support_plan, "render_support_plan", lambda document: b"not a pdf")
    lines: list[str] = []
    assert self_test.run_self_test(lines.append, kdf=TEST_KDF) == 1
    _, bad = self_test._marks()
    text = "\n".join(lines)
    assert f"{bad} render a support plan PDF: SelfTestFailed: the output does not start " \
           "with %PDF-" in text
    assert "render two plans in worker processes" not in text  # stopped at the failure
    assert lines[-1].startswith("Self-test FAILED")
    assert list(temp.iterdir()) == [], "the vault was left behind after a failure"
    assert os.environ[HOME_ENV] == str(home) and not home.exists()


def _run_app(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run([sys.executable, *args], cwd=ROOT, capture_output=True, text=True,
                          timeout=120, env=env)


def test_version_prints_the_name_and_version_and_exits_0() -> None:
    result = _run_app("-m", "desktop_app", "--version")
    assert result.returncode == 0, result.stderr
    assert result.stdout == f"Shared Care Planner {__version__}\n"


def test_version_loads_neither_qt_nor_the_database_libraries() -> None:
    result = _run_app("-X", "importtime", "-m", "desktop_app", "--version")
    assert result.returncode == 0, result.stderr
    imported = {line.rsplit("|", 1)[-1].strip() for line in result.stderr.splitlines()
                if line.startswith("import time:")}
    assert "desktop_app.app" in imported  # the check can see what was imported
    heavy = sorted(m for m in imported if m.split(".")[0] in HEAVY)
    assert heavy == [], f"--version imported {heavy}"


def test_self_test_from_the_command_line_without_a_display(tmp_path: Path) -> None:
    """The CLI forces Qt's offscreen platform when there is no display (CI, SSH)."""
    env = {k: v for k, v in os.environ.items()
           if k not in ("DISPLAY", "WAYLAND_DISPLAY", "QT_QPA_PLATFORM")}
    env.update(TMPDIR=str(tmp_path), **{HOME_ENV: str(tmp_path / "real-home")})
    if not sys.platform.startswith("linux"):
        pytest.skip("the no-display rule is for Linux")
    result = _run_app("-m", "desktop_app", "--self-test", env=env)
    assert result.returncode == 0, result.stdout + result.stderr
    assert "platform 'offscreen'" in result.stdout
    assert list(tmp_path.iterdir()) == []
