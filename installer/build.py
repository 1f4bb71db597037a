"""Builds the installable app: the recipe behind ``make installer`` and ``make installer-check``.

    python installer/build.py           the PyInstaller one-folder bundle in
                                        dist/shared-care-planner/ and, on Linux, the tarball
                                        dist/shared-care-planner-<version>-linux-<arch>.tar.gz
    python installer/build.py --check   the same, then proves it: the bundle's --version and
                                        --self-test (Qt offscreen), and the tarball's
                                        install.sh installing, upgrading and uninstalling
                                        into a throwaway home folder

Run it from the project's virtual environment with the ``installer`` extra installed
(``pip install -e .[installer]``). On Windows it builds the bundle only; the installer
proper is then ``iscc installer/windows/shared-care-planner.iss`` (installer/README.md).
Each phase prints how long it took; any failure exits non-zero.
"""

from __future__ import annotations

import argparse
import os
import platform
import re
import subprocess
import sys
import tarfile
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
INSTALLER = ROOT / "installer"
SPEC = INSTALLER / "shared-care-planner.spec"
DIST = ROOT / "dist"
WORK = ROOT / "build" / "pyinstaller"
NAME = "shared-care-planner"
LINUX_FILES = {  # file in the tarball -> where it comes from
    "install.sh": INSTALLER / "linux" / "install.sh",
    f"{NAME}.desktop": INSTALLER / "linux" / f"{NAME}.desktop",
    f"{NAME}.svg": INSTALLER / "icons" / f"{NAME}.svg",
    f"{NAME}.png": INSTALLER / "icons" / f"{NAME}.png",
}
SELF_TEST_TIMEOUT = 600


class CheckFailed(Exception):
    """The built bundle or tarball does not do what it should."""


def version() -> str:
    """The app's version, read from the source (nothing is imported)."""
    text = (ROOT / "desktop_app" / "__init__.py").read_text(encoding="utf-8")
    found = re.search(r'__version__ = "([^"]+)"', text)
    if found is None:
        raise SystemExit("desktop_app/__init__.py has no __version__")
    return found.group(1)


def bundle_dir() -> Path:
    return DIST / NAME


def executable(folder: Path) -> Path:
    return folder / (f"{NAME}-cli.exe" if sys.platform == "win32" else NAME)


def tarball_path() -> Path:
    return DIST / f"{NAME}-{version()}-linux-{platform.machine()}.tar.gz"


@contextmanager
def phase(title: str) -> Iterator[None]:
    """Prints the phase, then how long it took."""
    print(f"== {title}", flush=True)
    started = time.perf_counter()
    yield
    print(f"== {title}: done in {time.perf_counter() - started:.1f} s", flush=True)


def folder_size(folder: Path) -> int:
    return sum(p.stat().st_size for p in folder.rglob("*") if p.is_file() and not p.is_symlink())


# ---------------------------------------------------------------- building


def build_bundle() -> Path:
    """Run PyInstaller on the spec; returns dist/shared-care-planner."""
    subprocess.run([sys.executable, "-m", "PyInstaller", "--noconfirm", "--log-level", "WARN",
                    "--distpath", str(DIST), "--workpath", str(WORK), str(SPEC)],
                   cwd=ROOT, check=True)
    folder = bundle_dir()
    if not executable(folder).is_file():
        raise CheckFailed(f"PyInstaller finished but {executable(folder)} is missing")
    print(f"bundle: {folder} ({folder_size(folder) / 2**20:.0f} MiB)")
    return folder


def _normalised(info: tarfile.TarInfo) -> tarfile.TarInfo:
    """No build machine's user names in the tarball."""
    info.uid = info.gid = 0
    info.uname = info.gname = ""
    return info


def make_tarball(folder: Path) -> Path:
    """The bundle, install.sh, the desktop entry and the icons under one top folder."""
    target = tarball_path()
    top = f"{NAME}-{version()}"
    partial = target.with_name(target.name + ".part")
    with tarfile.open(partial, "w:gz", compresslevel=6) as tar:
        tar.add(folder, arcname=f"{top}/{NAME}", filter=_normalised)
        for name, source in LINUX_FILES.items():
            info = _normalised(tar.gettarinfo(str(source), arcname=f"{top}/{name}"))
            info.mode = 0o755 if name.endswith(".sh") else 0o644
            with open(source, "rb") as handle:
                tar.addfile(info, handle)
    partial.replace(target)
    print(f"tarball: {target} ({target.stat().st_size / 2**20:.0f} MiB)")
    return target


# ---------------------------------------------------------------- checking


def run(command: list[str], env: dict[str, str] | None = None,
        timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run a command, echo its output, fail on a non-zero exit."""
    result = subprocess.run(command, env=env, capture_output=True, text=True,
                            timeout=timeout, encoding="utf-8", errors="replace")
    sys.stdout.write(result.stdout)
    sys.stderr.write(result.stderr)
    if result.returncode != 0:
        raise CheckFailed(f"{' '.join(command)} exited {result.returncode}")
    return result


def check_version(program: Path) -> None:
    expected = f"Shared Care Planner {version()}"
    output = run([str(program), "--version"]).stdout.strip()
    if output != expected:
        raise CheckFailed(f"--version printed {output!r}, expected {expected!r}")


def check_self_test(program: Path) -> None:
    env = dict(os.environ, QT_QPA_PLATFORM="offscreen")
    output = run([str(program), "--self-test"], env, timeout=SELF_TEST_TIMEOUT).stdout
    if "Self-test passed" not in output:
        raise CheckFailed("--self-test exited 0 without saying it passed")


def _home_env(home: Path) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("XDG_")}
    env["HOME"] = str(home)
    return env


def check_tarball(tarball: Path) -> None:
    """Unpack, install, upgrade, uninstall (keeping data), purge: in a throwaway home."""
    with tempfile.TemporaryDirectory(prefix="scp-tarball-") as scratch:
        root = Path(scratch)
        with tarfile.open(tarball) as tar:
            tar.extractall(root / "unpacked", filter="tar")
        [unpacked] = list((root / "unpacked").iterdir())
        home = root / "home"
        env = _home_env(home)
        installer = [str(unpacked / "install.sh")]
        run(installer, env)
        program = home / ".local" / "bin" / NAME
        check_version(program)
        desktop = (home / ".local/share/applications" / f"{NAME}.desktop").read_text()
        if f'Exec="{home}/.local/lib/{NAME}/{NAME}"' not in desktop:
            raise CheckFailed("the installed desktop entry does not name the program")
        vault = home / ".local/share/SharedCarePlanner/vault"
        vault.mkdir(parents=True)
        (vault / "vault.db").write_bytes(b"stands in for the encrypted vault")
        run(installer, env)  # an upgrade in place
        run([*installer, "--uninstall"], env)
        if program.exists() or not (vault / "vault.db").is_file():
            raise CheckFailed("uninstall left the program or removed the data")
        run([*installer, "--uninstall", "--purge", "--yes"], env)
        if vault.exists():
            raise CheckFailed("--purge left the data folder")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--check", action="store_true",
                        help="after building, run the bundle's --version and --self-test "
                             "and try the tarball's install.sh")
    args = parser.parse_args(argv)
    started = time.perf_counter()
    linux = sys.platform.startswith("linux")
    try:
        with phase("PyInstaller bundle"):
            folder = build_bundle()
        if linux:
            with phase("tarball"):
                tarball = make_tarball(folder)
        if args.check:
            with phase("bundle --version"):
                check_version(executable(folder))
            with phase("bundle --self-test (offscreen)"):
                check_self_test(executable(folder))
            if linux:
                with phase("tarball install, upgrade, uninstall"):
                    check_tarball(tarball)
    except (CheckFailed, subprocess.CalledProcessError, subprocess.TimeoutExpired) as error:
        print(f"installer build FAILED: {error}", file=sys.stderr)
        return 1
    print(f"installer build{' and check' if args.check else ''} passed in "
          f"{time.perf_counter() - started:.0f} s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
