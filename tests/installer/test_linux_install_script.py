"""``installer/linux/install.sh``: per-user install, upgrade in place, uninstall that keeps
the encrypted data, and ``--purge`` that removes exactly the app's data folders.

It runs against a stand-in bundle (a shell script in place of the PyInstaller executable)
in a throwaway home folder; ``make installer-check`` does the same with the real tarball.
The data folders are taken from ``desktop_app.services.core.paths`` itself, so a change there
that install.sh does not follow fails here.
"""

from __future__ import annotations

import shutil
import subprocess
import sys
from pathlib import Path

import pytest

from desktop_app.services.core import paths

INSTALLER = Path(__file__).resolve().parents[2] / "installer"
NAME = "shared-care-planner"

pytestmark = pytest.mark.skipif(sys.platform == "win32", reason="the Linux installer")


@pytest.fixture
def unpacked(tmp_path: Path) -> Path:
    """What the tarball unpacks to, with a stand-in executable that knows its version."""
    top = tmp_path / f"{NAME}-9.9.9"
    (top / NAME / "_internal").mkdir(parents=True)
    program = top / NAME / NAME
    program.write_text("#!/bin/sh\necho 'Shared Care Planner 9.9.9'\n", encoding="utf-8")
    program.chmod(0o755)
    shutil.copy(INSTALLER / "linux" / "install.sh", top / "install.sh")
    shutil.copy(INSTALLER / "linux" / f"{NAME}.desktop", top)
    shutil.copy(INSTALLER / "icons" / f"{NAME}.svg", top)
    shutil.copy(INSTALLER / "icons" / f"{NAME}.png", top)
    return top


@pytest.fixture
def home(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> Path:
    """A throwaway $HOME with no XDG overrides (as on a fresh laptop account)."""
    folder = tmp_path / "home"
    folder.mkdir()
    monkeypatch.setenv("HOME", str(folder))
    for name in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_STATE_HOME", "XDG_CACHE_HOME",
                 paths.HOME_ENV):
        monkeypatch.delenv(name, raising=False)
    return folder


def install_sh(unpacked: Path, *args: str, answer: str = "") -> str:
    result = subprocess.run(["sh", str(unpacked / "install.sh"), *args], input=answer,
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 0, result.stdout + result.stderr
    return result.stdout


def data_markers() -> list[Path]:
    """A file in each folder the app writes to, for the real and the demo vault."""
    markers = []
    for app_paths in (paths.resolve_paths({}), paths.demo_paths({})):
        for folder in (app_paths.vault_dir, app_paths.config, app_paths.logs, app_paths.cache):
            folder.mkdir(parents=True, exist_ok=True)
            (folder / "keep-me").write_text("stands in for encrypted data", encoding="utf-8")
            markers.append(folder / "keep-me")
    return markers


def test_install_puts_the_program_menu_entry_and_icon_in_local(unpacked: Path,
                                                               home: Path) -> None:
    output = install_sh(unpacked)
    app = home / ".local" / "lib" / NAME / NAME
    assert "Installed Shared Care Planner 9.9.9" in output
    assert (home / ".local" / "bin" / NAME).resolve() == app
    desktop = (home / ".local/share/applications" / f"{NAME}.desktop").read_text()
    assert f'Exec="{app}"' in desktop and f"TryExec={app}" in desktop
    assert "Icon=shared-care-planner" in desktop
    assert (home / ".local/share/icons/hicolor/scalable/apps" / f"{NAME}.svg").is_file()


def test_upgrade_and_uninstall_keep_the_data(unpacked: Path, home: Path) -> None:
    markers = data_markers()
    install_sh(unpacked)
    (unpacked / NAME / "_internal" / "new-in-this-version").write_text("x")
    install_sh(unpacked)  # the upgrade replaces the program folder whole
    assert (home / ".local/lib" / NAME / "_internal" / "new-in-this-version").is_file()
    assert all(marker.is_file() for marker in markers)
    output = install_sh(unpacked, "--uninstall")
    assert "data was kept" in output
    assert not (home / ".local/lib" / NAME).exists()
    assert not (home / ".local/bin" / NAME).exists()
    assert not (home / ".local/share/applications" / f"{NAME}.desktop").exists()
    assert all(marker.is_file() for marker in markers)


def test_purge_asks_and_keeps_the_data_unless_confirmed(unpacked: Path, home: Path) -> None:
    markers = data_markers()
    install_sh(unpacked)
    output = install_sh(unpacked, "--uninstall", "--purge", answer="yes\n")
    assert "Kept the data" in output
    assert all(marker.is_file() for marker in markers)


def test_purge_removes_exactly_the_apps_data_folders(unpacked: Path, home: Path) -> None:
    markers = data_markers()
    neighbour = home / ".local" / "share" / "SomeOtherApp" / "file"
    neighbour.parent.mkdir(parents=True)
    neighbour.write_text("not ours")
    install_sh(unpacked)
    install_sh(unpacked, "--uninstall", "--purge", answer="DELETE\n")
    assert not any(marker.exists() for marker in markers)
    real, demo = paths.resolve_paths({}), paths.demo_paths({})
    for folder in (real.data, real.config, real.cache, demo.data.parent):
        assert not folder.exists(), folder
    assert neighbour.is_file()


def test_purge_without_uninstall_is_refused(unpacked: Path, home: Path) -> None:
    result = subprocess.run(["sh", str(unpacked / "install.sh"), "--purge"],
                            capture_output=True, text=True, timeout=60)
    assert result.returncode == 2
    assert not (home / ".local" / "lib" / NAME).exists()
