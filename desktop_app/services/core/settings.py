"""Typed settings, each declared once with its type and default.

Settings hold preferences only, never patient data. They live in ``settings.json`` in the
config folder; an unreadable file or a bad value falls back to the default rather than
stopping the app. Window geometry is kept apart (Qt's own state, in the UI layer).
"""

from __future__ import annotations

import json
import logging
from dataclasses import asdict, dataclass, fields, replace
from pathlib import Path
from typing import Any

from desktop_app.services.core.atomic import write_atomic

log = logging.getLogger(__name__)
FILE_NAME = "settings.json"


@dataclass(frozen=True)
class Settings:
    """Every preference the app has, with its default."""

    idle_lock_minutes: int = 5
    # The store's address and CA bundle are kept in the vault with the enrolment, never
    # here; an older file's entries for them are ignored. So is its sync_interval_minutes:
    # every file saved by an older version holds that setting's old default (10), which
    # the app never followed, so taking it now would halve how often laptops sync.
    sync_every_minutes: int = 5
    text_scale_percent: int = 100
    last_user_id: str = ""

    def validated(self) -> Settings:
        """A copy with out-of-range values put back within bounds."""
        return replace(
            self,
            idle_lock_minutes=min(max(self.idle_lock_minutes, 1), 60),
            sync_every_minutes=min(max(self.sync_every_minutes, 1), 240),
            text_scale_percent=min(max(self.text_scale_percent, 75), 200),
        )


def _coerce(raw: dict[str, Any]) -> dict[str, Any]:
    defaults = Settings()
    values: dict[str, Any] = {}
    for field in fields(Settings):
        if field.name not in raw:
            continue
        wanted = type(getattr(defaults, field.name))
        value = raw[field.name]
        if isinstance(value, wanted) and not (wanted is int and isinstance(value, bool)):
            values[field.name] = value
        else:
            log.warning("setting %s has the wrong type; using the default", field.name)
    return values


def load_settings(config_dir: Path) -> Settings:
    """Read the settings file; defaults for anything missing or malformed."""
    path = config_dir / FILE_NAME
    try:
        raw = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return Settings()
    except (OSError, ValueError):
        log.warning("settings file unreadable; using defaults")
        return Settings()
    if not isinstance(raw, dict):
        return Settings()
    return Settings(**_coerce(raw)).validated()


def save_settings(config_dir: Path, settings: Settings) -> None:
    """Write the settings atomically."""
    config_dir.mkdir(parents=True, exist_ok=True)
    body = json.dumps(asdict(settings.validated()), indent=2) + "\n"
    write_atomic(config_dir / FILE_NAME, body.encode("utf-8"))
