"""Where the app keeps its files.

One place decides the data, config, log and cache folders (platformdirs), with
``SHARED_CARE_PLANNER_HOME`` overriding all four so tests and demos run in a temporary
folder. Nothing is computed at import time.
"""

from __future__ import annotations

import os
import sys
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path

import platformdirs

APP_NAME = "SharedCarePlanner"
APP_AUTHOR = "LLR"
HOME_ENV = "SHARED_CARE_PLANNER_HOME"
RESOURCES_ENV = "SHARED_CARE_PLANNER_RESOURCES"


@dataclass(frozen=True)
class AppPaths:
    """The four folders of one installation (or one test or demo)."""

    data: Path
    config: Path
    logs: Path
    cache: Path

    @property
    def vault_dir(self) -> Path:
        """The folder holding the encrypted database and its key file."""
        return self.data / "vault"

    def ensure(self) -> AppPaths:
        """Create the folders (owner-only where the platform allows) and return self."""
        for folder in (self.data, self.vault_dir, self.config, self.logs, self.cache):
            folder.mkdir(parents=True, exist_ok=True)
            if os.name == "posix":
                os.chmod(folder, 0o700)
        return self


def resolve_paths(env: Mapping[str, str] | None = None) -> AppPaths:
    """The folders for this run: the override if set, else the platform's user folders."""
    env = os.environ if env is None else env
    override = env.get(HOME_ENV)
    if override:
        root = Path(override)
        return AppPaths(root / "data", root / "config", root / "logs", root / "cache")
    return AppPaths(
        data=Path(platformdirs.user_data_dir(APP_NAME, APP_AUTHOR)),
        config=Path(platformdirs.user_config_dir(APP_NAME, APP_AUTHOR)),
        logs=Path(platformdirs.user_log_dir(APP_NAME, APP_AUTHOR)),
        cache=Path(platformdirs.user_cache_dir(APP_NAME, APP_AUTHOR)),
    )


def demo_paths(env: Mapping[str, str] | None = None) -> AppPaths:
    """A separate set of folders for the synthetic demo caseload."""
    real = resolve_paths(env)
    root = real.data.parent / (real.data.name + "-demo")
    return AppPaths(root / "data", root / "config", root / "logs", root / "cache")


def resources_dir(env: Mapping[str, str] | None = None) -> Path:
    """The shipped ``resources/`` folder: override, bundle, source checkout or installed copy."""
    env = os.environ if env is None else env
    candidates: list[Path] = []
    if env.get(RESOURCES_ENV):
        candidates.append(Path(env[RESOURCES_ENV]))
    # A PyInstaller bundle unpacks its data under sys._MEIPASS (the "_internal" folder
    # beside the executable); a build without a contents folder keeps it beside the
    # executable itself. Checked first, so a frozen app never reads a stray checkout.
    bundle = getattr(sys, "_MEIPASS", None)
    if bundle:
        candidates.append(Path(bundle) / "resources")
    if getattr(sys, "frozen", False):
        candidates.append(Path(sys.executable).resolve().parent / "resources")
    candidates.append(Path(__file__).resolve().parents[3] / "resources")
    candidates.append(Path(sys.prefix) / "share" / "shared-care-planner" / "resources")
    for candidate in candidates:
        if (candidate / "task_catalogue.json").is_file():
            return candidate
    raise FileNotFoundError("the app's resources folder is missing; reinstall the app")
