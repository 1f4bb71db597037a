"""Cold start to the sign-in dialog, beside a bare PySide6 window started the same way.

Each start is a fresh Python process (offscreen Qt): the time from launching it to the
first paint of the window. The app's figure covers importing the app, reading settings,
the key file's user list and showing the sign-in dialog; heavy libraries (SQLAlchemy,
Argon2, cryptography) should load only after that. Goal: app / bare <= 2.0x.

Run: ``python benchmarks/ui.py [--runs 7]``.
"""

from __future__ import annotations

import argparse
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
HEAVY = {"sqlalchemy", "argon2", "cryptography", "reportlab", "httpx", "alembic"}


def child(kind: str) -> None:
    """Runs inside the measured process: show the window, print on its first paint, exit."""
    sys.path.insert(0, str(ROOT))
    from PySide6.QtCore import QEvent, QObject, QTimer
    from PySide6.QtWidgets import QApplication, QWidget

    app = QApplication(sys.argv[:1])

    class FirstPaint(QObject):
        def eventFilter(self, watched: QObject, event: QEvent) -> bool:  # noqa: N802
            if event.type() == QEvent.Type.Paint and isinstance(watched, QWidget) \
                    and watched.isWindow():
                heavy = sorted({m.split(".")[0] for m in sys.modules} & HEAVY)
                print("PAINTED", ",".join(heavy), flush=True)
                QTimer.singleShot(0, app.quit)
                app.removeEventFilter(self)
            return False

    watcher = FirstPaint()
    app.installEventFilter(watcher)
    if kind == "bare":
        window = QWidget()
        window.resize(400, 200)
        window.show()
    else:
        from desktop_app.app import App
        planner = App(app, demo=False)  # kept: its dialog lives as long as it does
        planner.start()
    app.exec()
    os._exit(0)  # skip teardown: only the start is measured


def time_start(kind: str, env: dict[str, str], seen: set[str] | None = None) -> float:
    start = time.perf_counter()
    proc = subprocess.Popen([sys.executable, __file__, "--child", kind], env=env,
                            stdout=subprocess.PIPE, stderr=subprocess.DEVNULL, text=True)
    assert proc.stdout is not None
    line = proc.stdout.readline()
    elapsed = time.perf_counter() - start
    proc.wait(30)
    if not line.startswith("PAINTED"):
        raise RuntimeError(f"{kind} did not paint")
    if seen is not None:
        seen.update(m for m in line.split()[1:2][0].split(",") if m) if len(line.split()) > 1 \
            else None
    return elapsed


def main(argv: list[str]) -> int:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument("--runs", type=int, default=7)
    parser.add_argument("--child")
    args = parser.parse_args(argv)
    if args.child:
        child(args.child)
        return 0
    with tempfile.TemporaryDirectory(prefix="scp-ui-bench-") as home:
        env = dict(os.environ, QT_QPA_PLATFORM="offscreen", SHARED_CARE_PLANNER_HOME=home)
        sys.path.insert(0, str(ROOT))
        from desktop_app.models.user import Role
        from desktop_app.services.core.paths import resolve_paths
        from desktop_app.services.vault import VaultStore
        from desktop_app.services.vault.kdf import KdfParams
        cheap = KdfParams(19 * 1024, 2, 1, b"")
        folder = resolve_paths({"SHARED_CARE_PLANNER_HOME": home}).ensure().vault_dir
        VaultStore(folder, kdf_cost=cheap).create("Bench Nurse", Role.TEAM_LEAD,
                                                  "benchmark passphrase").session.close()
        time_start("bare", env)  # warm the file cache once
        bare = [time_start("bare", env) for _ in range(args.runs)]
        heavy: set[str] = set()
        app = [time_start("app", env, heavy) for _ in range(args.runs)]
        b, a = statistics.median(bare), statistics.median(app)
        print(f"cold start to first paint, median of {args.runs} (offscreen):")
        print(f"  bare PySide6 window      {b * 1000:7.1f} ms")
        print(f"  app sign-in dialog       {a * 1000:7.1f} ms")
        print(f"  ratio app/bare           {a / b:7.2f}x   (goal <= 2.0x)")
        print(f"  heavy libraries loaded before the first paint: {sorted(heavy) or 'none'}")
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
