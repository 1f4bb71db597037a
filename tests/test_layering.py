"""The layers point one way: ui → services → models (design.md, "Data flow").

Every module's source is parsed with ``ast`` (nothing is imported), so an import hidden in a
function body, a relative import or ``importlib.import_module("...")`` is seen too. A failure
names each offending module, line and import.

The checker itself is tested on small snippets below, so these tests can fail: adding
``from PySide6.QtWidgets import QWidget`` to any service makes ``test_models_and_services
_import_no_widgets_or_ui`` fail naming that file and line.
"""

from __future__ import annotations

import ast
from collections.abc import Iterator
from pathlib import Path

import pytest

PACKAGE_ROOT = Path(__file__).resolve().parents[1] / "desktop_app"
NO_GUI = ("PySide6.QtWidgets", "PySide6.QtGui", "desktop_app.ui")
NO_BACKEND_LIBS = ("sqlalchemy", "reportlab", "httpx")


def module_name(path: Path) -> str:
    """``desktop_app/services/vault/database.py`` → ``desktop_app.services.vault.database``."""
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imported_names(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, fully qualified name) for every import in the source, at any depth."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:  # relative: resolve against this module's package
                anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
                base = ".".join([*anchor, base] if base else anchor)
            yield node.lineno, base
            for alias in node.names:  # ``from PySide6 import QtWidgets``
                yield node.lineno, f"{base}.{alias.name}"
        elif (isinstance(node, ast.Call) and node.args
              and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
              and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                   or (isinstance(node.func, ast.Name) and node.func.id == "__import__"))):
            yield node.lineno, node.args[0].value


def is_under(name: str, forbidden: tuple[str, ...]) -> str | None:
    """The forbidden package that ``name`` is, or is inside of."""
    return next((f for f in forbidden if name == f or name.startswith(f + ".")), None)


def violations(folders: list[str], forbidden: tuple[str, ...]) -> list[str]:
    found = []
    for folder in folders:
        for path in sorted((PACKAGE_ROOT / folder).rglob("*.py")):
            source = path.read_text(encoding="utf-8")
            module = module_name(path)
            for line, name in imported_names(source, module, path.name == "__init__.py"):
                if is_under(name, forbidden):
                    found.append(f"{module} (line {line}) imports {name}")
    return sorted(set(found))


def test_the_layers_exist() -> None:
    """Guards against a moved package silently making the checks vacuous."""
    for folder in ("models", "services", "ui"):
        assert len(list((PACKAGE_ROOT / folder).rglob("*.py"))) >= 2, folder


def test_models_and_services_import_no_widgets_or_ui() -> None:
    found = violations(["models", "services"], NO_GUI)
    assert not found, "models/services must not import widgets or the ui:\n" + "\n".join(found)


def test_ui_imports_no_database_pdf_or_http_library() -> None:
    found = violations(["ui"], NO_BACKEND_LIBS)
    assert not found, "ui must go through services:\n" + "\n".join(found)


# ---------------------------------------------------------------- the checker itself

CAUGHT = [
    ("import PySide6.QtWidgets", "PySide6.QtWidgets"),
    ("from PySide6.QtGui import QFont", "PySide6.QtGui"),
    ("from PySide6 import QtCore, QtWidgets", "PySide6.QtWidgets"),
    ("def later():\n    from desktop_app.ui.dialogs import Dialogs", "desktop_app.ui"),
    ("from desktop_app import ui", "desktop_app.ui"),
    ("from ...ui import main_window", "desktop_app.ui"),
    ("from ...ui.sign_in import SignInDialog", "desktop_app.ui"),
    ("import importlib\nimportlib.import_module('PySide6.QtWidgets')", "PySide6.QtWidgets"),
    ("__import__('desktop_app.ui.tasks')", "desktop_app.ui"),
]
ALLOWED = [
    "from PySide6.QtCore import Signal, QObject",  # signals in worker services are fine
    "import PySide6",
    "from desktop_app.services import ui_text",
    "from .uow import UnitOfWork",
    "from ..ui.sign_in import x",  # desktop_app.services.ui, not desktop_app.ui
    "import desktop_app.uikit",
]


@pytest.mark.parametrize(("source", "package"), CAUGHT)
def test_the_checker_catches(source: str, package: str) -> None:
    names = [n for _, n in imported_names(source, "desktop_app.services.vault.database")]
    assert any(is_under(n, NO_GUI) == package for n in names), names


@pytest.mark.parametrize("source", ALLOWED)
def test_the_checker_allows(source: str) -> None:
    names = [n for _, n in imported_names(source, "desktop_app.services.vault.database")]
    assert not any(is_under(n, NO_GUI) for n in names), names


def test_the_checker_reports_module_line_and_import() -> None:
    source = "import os\n\nimport sqlalchemy.orm\n"
    [(line, name)] = [(ln, n) for ln, n in imported_names(source, "desktop_app.ui.x")
                      if is_under(n, NO_BACKEND_LIBS)]
    assert (line, name) == (3, "sqlalchemy.orm")
    assert module_name(PACKAGE_ROOT / "services" / "vault" / "__init__.py") == (
        "desktop_app.services.vault")
