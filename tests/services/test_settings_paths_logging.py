"""Where files go, what settings hold, and what reaches the log and crash files.

Paths: one override moves every folder, and nothing is worked out or created on import.
Settings: typed, clamped, defaults for anything unreadable, only declared keys on disk.
Logging and crash logs: patient identifiers never reach a file (the files are read back).

How these tests were seen to fail (each mutation applied to a throwaway copy of the
package, the tests run against it, the copy deleted): ``redact`` returning its input fails
the redaction tests; ``RedactingFormatter.formatException`` not redacting fails the
"ours first" ``log.exception`` cases, ``RedactingFilter`` not redacting ``exc_text`` the
"cached first" ones; ``write_crash_log`` adding ``str(exc)`` fails the crash-log tests;
``Settings.validated`` returning ``self`` fails the clamping tests; no type check in
``_coerce`` fails the wrong-type tests; ``save_settings`` adding a key fails the
declared-keys property; ``DEFAULT_PATHS = resolve_paths()`` at module level fails the
import test; a cache folder outside the override fails the override tests.
"""

from __future__ import annotations

import dataclasses
import io
import json
import logging
import logging.handlers
import os
import stat
import subprocess
import sys
import tempfile
import textwrap
from collections.abc import Iterator
from pathlib import Path
from types import TracebackType
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop_app.services.core import crash, paths
from desktop_app.services.core.logging_setup import LOG_NAME, configure_logging
from desktop_app.services.core.settings import FILE_NAME, Settings, load_settings, save_settings
from desktop_app.services.framework.identifiers import format_nhs_number, synthetic_nhs_number

REPO = Path(__file__).resolve().parents[2]
DECLARED = {f.name for f in dataclasses.fields(Settings)}

# ---------------------------------------------------------------- paths


def test_the_home_override_moves_all_four_folders(tmp_path: Path) -> None:
    found = paths.resolve_paths({paths.HOME_ENV: str(tmp_path / "home")})
    folders = [found.data, found.config, found.logs, found.cache]
    assert all(f.parent == tmp_path / "home" for f in folders)
    assert len(set(folders)) == 4
    assert found.vault_dir.is_relative_to(tmp_path / "home")
    assert not (tmp_path / "home").exists()  # resolving creates nothing


def test_the_override_is_read_from_the_environment(app_home: Path) -> None:
    found = paths.resolve_paths()
    assert {found.data.parent, found.config.parent, found.logs.parent,
            found.cache.parent} == {app_home}
    demo = paths.demo_paths()
    assert not any(d.is_relative_to(found.data) for d in (demo.data, demo.config))


def test_without_the_override_platform_folders_are_used(tmp_path: Path,
                                                        monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setenv("HOME", str(tmp_path))
    for var in ("XDG_DATA_HOME", "XDG_CONFIG_HOME", "XDG_CACHE_HOME", "XDG_STATE_HOME"):
        monkeypatch.delenv(var, raising=False)
    found = paths.resolve_paths({})
    assert all(paths.APP_NAME in str(f) for f in (found.data, found.config, found.logs,
                                                   found.cache))
    assert list(tmp_path.iterdir()) == []


@pytest.mark.hazard("H-019")
@pytest.mark.hazard("H-036")
def test_ensure_creates_owner_only_folders(tmp_path: Path) -> None:
    found = paths.resolve_paths({paths.HOME_ENV: str(tmp_path / "home")}).ensure()
    for folder in (found.data, found.vault_dir, found.config, found.logs, found.cache):
        assert folder.is_dir()
        if os.name == "posix":
            assert folder.stat().st_mode & 0o777 == 0o700


def test_importing_the_modules_computes_and_creates_nothing(tmp_path: Path) -> None:
    """In a clean interpreter with no override, where platformdirs would raise if asked."""
    script = textwrap.dedent("""
        import os, platformdirs
        def refuse(*a, **k):
            raise SystemExit("platformdirs was asked at import time")
        for name in ("user_data_dir", "user_config_dir", "user_log_dir", "user_cache_dir"):
            setattr(platformdirs, name, refuse)
        import desktop_app.services.core.paths
        import desktop_app.services.core.settings
        import desktop_app.services.core.logging_setup
        import desktop_app.services.core.crash
        print("imported")
    """)
    env = {k: v for k, v in os.environ.items()
           if k != paths.HOME_ENV and not k.startswith("XDG_")}
    env.update(HOME=str(tmp_path), PYTHONPATH=str(REPO))
    done = subprocess.run([sys.executable, "-c", script], env=env, cwd=tmp_path,
                          capture_output=True, text=True, timeout=60, check=False)
    assert (done.returncode, done.stdout.strip()) == (0, "imported"), done.stderr
    assert list(tmp_path.iterdir()) == []


# ---------------------------------------------------------------- settings


def test_settings_round_trip(tmp_path: Path) -> None:
    chosen = Settings(idle_lock_minutes=15, sync_every_minutes=30,
                      text_scale_percent=125, last_user_id="user-1")
    save_settings(tmp_path / "config", chosen)
    assert load_settings(tmp_path / "config") == chosen


def test_an_older_files_sync_address_is_ignored_not_kept(tmp_path: Path) -> None:
    """The store's address and CA bundle moved into the vault with the enrolment; the old
    interval setting (always its default, 10, in older files, and never followed) is not
    taken for the new one (5)."""
    (tmp_path / FILE_NAME).write_text(json.dumps({
        "sync_server_url": "https://sync.example.nhs.uk", "sync_ca_bundle": "/ca.pem",
        "sync_interval_minutes": 10, "idle_lock_minutes": 9}), encoding="utf-8")
    loaded = load_settings(tmp_path)
    assert loaded == Settings(idle_lock_minutes=9) and loaded.sync_every_minutes == 5
    save_settings(tmp_path, loaded)
    assert "sync_server_url" not in (tmp_path / FILE_NAME).read_text(encoding="utf-8")


def test_no_file_means_defaults(tmp_path: Path) -> None:
    assert load_settings(tmp_path) == Settings()


@pytest.mark.parametrize("body", [b"{not json", b"[1, 2]", b"null", b"", b"\xff\xfe\x00",
                                  b'"a string"', b"NaN"])
def test_a_malformed_file_means_defaults(tmp_path: Path, body: bytes) -> None:
    (tmp_path / FILE_NAME).write_bytes(body)
    assert load_settings(tmp_path) == Settings()


@pytest.mark.parametrize(("name", "bad"), [
    ("idle_lock_minutes", "30"), ("idle_lock_minutes", True), ("idle_lock_minutes", 12.5),
    ("sync_every_minutes", None), ("text_scale_percent", [150]),
    ("last_user_id", 443), ("last_user_id", {"id": 1}),
])
def test_a_wrong_typed_value_falls_back_to_its_default(tmp_path: Path, name: str,
                                                       bad: Any) -> None:
    good = {"text_scale_percent": 150, "idle_lock_minutes": 7}
    (tmp_path / FILE_NAME).write_text(json.dumps({**good, name: bad}), encoding="utf-8")
    loaded = load_settings(tmp_path)
    assert getattr(loaded, name) == getattr(Settings(), name)
    if name not in good:
        assert (loaded.text_scale_percent, loaded.idle_lock_minutes) == (150, 7)


@pytest.mark.parametrize(("name", "value", "clamped"), [
    ("idle_lock_minutes", 0, 1), ("idle_lock_minutes", 10_000, 60),
    ("sync_every_minutes", -5, 1), ("sync_every_minutes", 999, 240),
    ("text_scale_percent", 10, 75), ("text_scale_percent", 10**30, 200),
])
def test_out_of_range_values_are_clamped(tmp_path: Path, name: str, value: int,
                                         clamped: int) -> None:
    (tmp_path / FILE_NAME).write_text(json.dumps({name: value}), encoding="utf-8")
    assert getattr(load_settings(tmp_path), name) == clamped
    overrides: dict[str, Any] = {name: value}
    save_settings(tmp_path / "saved", Settings(**overrides))
    assert json.loads((tmp_path / "saved" / FILE_NAME).read_text())[name] == clamped


JSON_VALUES = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(),
    lambda inner: st.lists(inner, max_size=3) | st.dictionaries(st.text(), inner, max_size=3),
    max_leaves=10,
)
MAYBE_SETTINGS = st.dictionaries(st.sampled_from(sorted(DECLARED)) | st.text(), JSON_VALUES)


@settings(max_examples=40)  # each example writes and fsyncs a file
@given(MAYBE_SETTINGS)
def test_whatever_the_file_held_only_declared_keys_are_written(raw: dict[str, Any]) -> None:
    with tempfile.TemporaryDirectory() as folder:
        config = Path(folder)
        (config / FILE_NAME).write_text(json.dumps(raw), encoding="utf-8")
        loaded = load_settings(config)
        assert 1 <= loaded.idle_lock_minutes <= 60 and 75 <= loaded.text_scale_percent <= 200
        save_settings(config, loaded)
        written = json.loads((config / FILE_NAME).read_text(encoding="utf-8"))
    assert set(written) == DECLARED
    assert load_settings_from(written) == loaded


def load_settings_from(written: dict[str, Any]) -> Settings:
    with tempfile.TemporaryDirectory() as folder:
        (Path(folder) / FILE_NAME).write_text(json.dumps(written), encoding="utf-8")
        return load_settings(Path(folder))


# ---------------------------------------------------------------- logging

NHS = synthetic_nhs_number(42)
PATIENT_VALUES = {
    "NHS number": NHS,
    "NHS number, spaced": format_nhs_number(NHS),
    "NHS number, hyphens": NHS[:3] + "-" + NHS[3:6] + "-" + NHS[6:],
    "postcode": "LE1 5WW",
    "postcode, compact lower case": "le15ww",
    "date of birth": "17/05/1938",
    "date of birth, ISO": "1938-05-17",
    "e-mail": "edith.testperson@example.org",
}


@pytest.fixture
def log_file(tmp_path: Path) -> Iterator[Path]:
    """configure_logging into a temporary folder; the root logger is put back after."""
    root = logging.getLogger()
    saved_handlers, saved_level = list(root.handlers), root.level
    path = configure_logging(tmp_path / "logs")
    yield path
    for handler in root.handlers:
        if handler not in saved_handlers:
            handler.close()
    root.handlers[:] = saved_handlers
    root.setLevel(saved_level)


def read_log(path: Path) -> str:
    for handler in logging.getLogger().handlers:
        handler.flush()
    return path.read_text(encoding="utf-8")


def test_configure_logging_writes_to_the_log_folder(log_file: Path) -> None:
    assert log_file.name == LOG_NAME
    logging.getLogger("desktop_app.test").info("vault unlocked")
    assert "vault unlocked" in read_log(log_file)
    configure_logging(log_file.parent)  # a second call replaces, never duplicates
    logging.getLogger("desktop_app.test").info("second line")
    assert read_log(log_file).count("second line") == 1


@pytest.mark.hazard("H-036")
@pytest.mark.parametrize("value", PATIENT_VALUES.values(), ids=PATIENT_VALUES.keys())
def test_patient_values_never_reach_the_log_file(log_file: Path, value: str) -> None:
    log = logging.getLogger("desktop_app.services.people")
    log.info(f"opened person marker-inline {value} on the caseload")
    log.warning("opened person marker-args %s", value)
    log.error("marker-dict %(v)s", {"v": value})
    written = read_log(log_file)
    assert {"marker-inline", "marker-args", "marker-dict"} <= set(written.split())
    assert value.lower() not in written.lower()
    assert written.count("[redacted]") >= 3


@pytest.mark.hazard("H-036")
def test_all_kinds_at_once_in_one_message(log_file: Path) -> None:
    logging.getLogger("desktop_app").info("saved: " + " | ".join(PATIENT_VALUES.values()))
    written = read_log(log_file)
    assert "saved:" in written
    for value in PATIENT_VALUES.values():
        assert value.lower() not in written.lower()


def _fail_with(value: str) -> None:
    raise ValueError(f"GP lookup failed for {value}")


@pytest.mark.hazard("H-036")
@pytest.mark.parametrize("cached_first", [False, True], ids=["ours first", "cached first"])
@pytest.mark.parametrize("value", [NHS, format_nhs_number(NHS), "LE1 5WW", "17/05/1938",
                                   "edith.testperson@example.org"])
def test_log_exception_does_not_leak_the_exception_message(log_file: Path, value: str,
                                                           cached_first: bool) -> None:
    """Both ways a traceback reaches the file: formatted by our formatter, or already
    formatted (and cached on the record, unredacted) by a handler that ran before ours."""
    early = logging.StreamHandler(io.StringIO())
    early.setFormatter(logging.Formatter("%(message)s"))
    root = logging.getLogger()
    saved = list(root.handlers)
    [ours] = [h for h in saved if isinstance(h, logging.handlers.RotatingFileHandler)]
    # Only these two, in this order (pytest's own handlers would otherwise format first).
    root.handlers[:] = [early, ours] if cached_first else [ours, early]
    try:
        try:
            _fail_with(value)
        except ValueError:
            logging.getLogger("desktop_app.test").exception("saving the person failed")
    finally:
        root.handlers[:] = saved
    assert (value in early.stream.getvalue()) is cached_first  # it really was in the traceback
    written = read_log(log_file)
    assert "saving the person failed" in written and "ValueError" in written
    assert "_fail_with" in written  # the stack is kept...
    assert value.lower() not in written.lower()  # ...the patient value is not


# ---------------------------------------------------------------- crash logs

NAME = "Zoë Ní Bhriain"  # a name: no redaction pattern could catch it


def _save_person(name: str, nhs: str) -> None:
    message = f"could not save {name} ({nhs})"  # traceback lines show only the raise
    raise KeyError(message)


def _caught() -> tuple[type[BaseException], BaseException, TracebackType | None]:
    try:
        _save_person(NAME, NHS)
    except KeyError as err:
        return type(err), err, err.__traceback__
    raise AssertionError("unreachable")


@pytest.mark.hazard("H-036")
def test_a_crash_log_has_the_type_and_stack_but_not_the_message(tmp_path: Path) -> None:
    path = crash.write_crash_log(tmp_path / "logs", *_caught())
    body = path.read_text(encoding="utf-8")
    assert path.parent == tmp_path / "logs" and path.name.startswith("crash-")
    assert body.startswith("builtins.KeyError\n")
    assert "_save_person" in body and "_caught" in body and Path(__file__).name in body
    for leaked in (NAME, "Bhriain", "could not save", NHS, format_nhs_number(NHS)):
        assert leaked not in body
    if os.name == "posix":  # owner-only, like the log file
        assert stat.S_IMODE(path.stat().st_mode) == 0o600


@pytest.mark.hazard("H-036")
def test_the_excepthook_writes_a_crash_log_and_hands_over_its_path(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(sys, "excepthook", sys.excepthook)  # restored after the test
    shown: list[Path] = []
    crash.install_excepthook(tmp_path, shown.append)
    sys.excepthook(*_caught())
    assert len(shown) == 1 and shown[0].parent == tmp_path
    assert NAME not in shown[0].read_text(encoding="utf-8")
