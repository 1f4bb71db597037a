"""The layers point one way: ui → services → models (docs/architecture.md), and no module
of desktop_app/ or sync_server/ is part of an import cycle.

Every module's source is parsed with ``ast`` (only the models are imported, to see which
names the framework takes from them are enumerations), so an import hidden in a function
body or under ``if TYPE_CHECKING:``, a relative import or ``importlib.import_module("...")``
is seen too. A failure names each offending module, line and import, or each cycle.

The checkers themselves are tested on small snippets below, so these tests can fail: adding
``from PySide6.QtWidgets import QWidget`` to any service makes ``test_models_and_services
_import_no_widgets_or_ui`` fail naming that file and line, and ``from
desktop_app.ui.wizard.wizard import DelegationWizard`` under ``if TYPE_CHECKING:`` in
ui/wizard/base.py (which wizard.py imports) makes ``test_no_import_cycles`` fail naming
``desktop_app.ui.wizard.base -> desktop_app.ui.wizard.wizard -> desktop_app.ui.wizard.base``.
"""

from __future__ import annotations

import ast
import enum
import importlib
from collections import deque
from collections.abc import Iterator, Mapping
from pathlib import Path

import pytest

REPO_ROOT = Path(__file__).resolve().parents[1]
PACKAGE_ROOT = REPO_ROOT / "desktop_app"
# Every package whose modules are checked for import cycles (scp_common: what both share).
GRAPH_PACKAGES = ("desktop_app", "sync_server", "scp_common")
NO_GUI = ("PySide6.QtWidgets", "PySide6.QtGui", "desktop_app.ui")
NO_BACKEND_LIBS = ("sqlalchemy", "reportlab", "httpx")


def module_name(path: Path) -> str:
    """``desktop_app/services/vault/database.py`` → ``desktop_app.services.vault.database``."""
    parts = path.relative_to(PACKAGE_ROOT.parent).with_suffix("").parts
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def from_base(node: ast.ImportFrom, package: str) -> str:
    """The module a ``from ... import`` reads from; a relative one resolved in ``package``."""
    base = node.module or ""
    if node.level:
        anchor = package.split(".")[: len(package.split(".")) - (node.level - 1)]
        base = ".".join([*anchor, base] if base else anchor)
    return base


def dynamic_import(node: ast.AST) -> str | None:
    """The name in ``importlib.import_module("...")`` or ``__import__("...")``."""
    if (isinstance(node, ast.Call) and node.args
            and isinstance(node.args[0], ast.Constant) and isinstance(node.args[0].value, str)
            and ((isinstance(node.func, ast.Attribute) and node.func.attr == "import_module")
                 or (isinstance(node.func, ast.Name) and node.func.id == "__import__"))):
        return node.args[0].value
    return None


def imported_names(source: str, module: str, is_package: bool = False) -> Iterator[tuple[int, str]]:
    """(line, fully qualified name) for every import in the source, at any depth."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            base = from_base(node, package)
            yield node.lineno, base
            for alias in node.names:  # ``from PySide6 import QtWidgets``
                yield node.lineno, f"{base}.{alias.name}"
        elif (name := dynamic_import(node)) is not None:
            yield node.lineno, name


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


def sources_of(folder: Path) -> Iterator[tuple[str, str, bool]]:
    """(module, source, is a package) for every module under ``folder``."""
    for path in sorted(folder.rglob("*.py")):
        yield module_name(path), path.read_text(encoding="utf-8"), path.name == "__init__.py"


# ---------------------------------------------------------------- import cycles

Sources = Mapping[str, tuple[str, bool]]  # module -> (source, is a package)


def known_module(name: str, modules: Sources) -> str | None:
    """The module ``name`` is or is in (the longest prefix of it that is a module)."""
    parts = name.split(".")
    for end in range(len(parts), 0, -1):
        if (candidate := ".".join(parts[:end])) in modules:
            return candidate
    return None


def imported_modules(source: str, module: str, is_package: bool, modules: Sources
                     ) -> set[str]:
    """The modules among ``modules`` that ``module`` imports, anywhere in its source
    (functions and ``if TYPE_CHECKING:`` included). ``from a.b import thing`` imports
    ``a.b``; ``from a import b`` imports the module ``a.b`` if there is one, else ``a``. A
    package's ``__init__`` counts only where it is named that way, not because Python runs
    it before each of its modules."""
    package = module if is_package else module.rpartition(".")[0]
    names = []
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            names += [alias.name for alias in node.names]
        elif isinstance(node, ast.ImportFrom):
            base = from_base(node, package)
            names += [f"{base}.{alias.name}" for alias in node.names]
        elif (name := dynamic_import(node)) is not None:
            names.append(name)
    found = {known_module(name, modules) for name in names}
    return {target for target in found if target is not None and target != module}


def import_graph(modules: Sources) -> dict[str, set[str]]:
    """Module -> the modules it imports itself (``imported_modules``)."""
    return {module: imported_modules(source, module, is_package, modules)
            for module, (source, is_package) in modules.items()}


def strongly_connected(graph: Mapping[str, set[str]]) -> list[list[str]]:
    """The groups of modules that reach each other (Tarjan), each sorted."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    groups: list[list[str]] = []

    def visit(module: str) -> None:
        index[module] = low[module] = len(index)
        stack.append(module)
        on_stack.add(module)
        for target in sorted(graph.get(module, ())):
            if target not in index:
                visit(target)
                low[module] = min(low[module], low[target])
            elif target in on_stack:
                low[module] = min(low[module], index[target])
        if low[module] == index[module]:
            group = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                group.append(member)
                if member == module:
                    break
            groups.append(sorted(group))

    for module in sorted(graph):
        if module not in index:
            visit(module)
    return groups


def shortest_cycle(graph: Mapping[str, set[str]], start: str, within: set[str]) -> list[str]:
    """The shortest import path from ``start`` back to itself inside ``within``."""
    came_from: dict[str, str] = {}
    queue = deque([start])
    while queue:
        module = queue.popleft()
        for target in sorted(graph[module] & within):
            if target == start:
                path = [module]
                while path[-1] != start:
                    path.append(came_from[path[-1]])
                return [*reversed(path), start]
            if target not in came_from:
                came_from[target] = module
                queue.append(target)
    raise AssertionError(f"{start} is in no cycle")


def import_cycles(modules: Sources) -> list[str]:
    """Each group of modules that import each other, as one of its cycles ``a -> b -> a``
    (and the whole group when the cycle does not pass through all of it)."""
    graph = import_graph(modules)
    found = []
    for group in strongly_connected(graph):
        if len(group) < 2:
            continue
        cycle = " -> ".join(shortest_cycle(graph, group[0], set(group)))
        if len(group) > cycle.count(" -> "):
            cycle += f"  (all of {', '.join(group)} reach each other)"
        found.append(cycle)
    return sorted(found)


def project_modules() -> dict[str, tuple[str, bool]]:
    return {module: (source, is_package) for package in GRAPH_PACKAGES
            for module, source, is_package in sources_of(REPO_ROOT / package)}


def test_no_import_cycles() -> None:
    modules = project_modules()
    assert len(import_graph(modules)) > 100, "the graph is missing modules: a vacuous check"
    found = import_cycles(modules)
    assert not found, "modules that import each other (type-only imports count):\n" + "\n".join(
        found)


MAX_MODULE_LINES = 500


def long_modules(root: Path, limit: int = MAX_MODULE_LINES) -> list[str]:
    """Modules over ``limit`` lines under ``root`` (migrations excepted: a revision is whole)."""
    return sorted(f"{path.relative_to(root.parent)}: {count} lines"
                  for path in root.rglob("*.py") if "migrations" not in path.parts
                  for count in [len(path.read_text(encoding="utf-8").splitlines())]
                  if count > limit)


def test_no_module_is_too_long_to_read_whole() -> None:
    found = [m for package in GRAPH_PACKAGES for m in long_modules(REPO_ROOT / package)]
    assert not found, f"split these by concern (at most {MAX_MODULE_LINES} lines):\n" + \
        "\n".join(found)


def test_the_length_check_counts_lines(tmp_path: Path) -> None:
    package = tmp_path / "pkg"
    (package / "migrations").mkdir(parents=True)
    (package / "short.py").write_text("x = 1\n" * 3)
    (package / "long.py").write_text("x = 1\n" * 4)
    (package / "migrations" / "0001.py").write_text("x = 1\n" * 9)
    assert long_modules(package, limit=3) == ["pkg/long.py: 4 lines"]


def test_the_store_and_the_app_never_import_each_other() -> None:
    """They are deployed apart; what they share in code is scp_common, which imports neither."""
    found = []
    for package, forbidden in (("desktop_app", ("sync_server",)),
                               ("sync_server", ("desktop_app",)),
                               ("scp_common", ("desktop_app", "sync_server"))):
        for module, source, is_package in sources_of(REPO_ROOT / package):
            found += [f"{module} (line {line}) imports {name}"
                      for line, name in imported_names(source, module, is_package)
                      if is_under(name, forbidden)]
    assert not found, "\n".join(sorted(set(found)))


# ---------------------------------------------------------------- direction inside services

SERVICES = "desktop_app.services"
MODELS = "desktop_app.models"
FRAMEWORK_MAY_USE = (f"{SERVICES}.framework", f"{SERVICES}.core.errors",
                     f"{SERVICES}.core.paths")
CORE_MAY_USE = (f"{SERVICES}.core",)


def services_outside(source: str, module: str, is_package: bool,
                     allowed: tuple[str, ...]) -> list[tuple[int, str]]:
    """(line, name) of each import of desktop_app.services outside ``allowed``. A package on
    the way to an allowed module (``from desktop_app.services.core import paths``) is fine."""
    return [(line, name) for line, name in imported_names(source, module, is_package)
            if is_under(name, (SERVICES,)) and not is_under(name, allowed)
            and not any(a.startswith(name + ".") for a in allowed)]


def model_imports(source: str, module: str, is_package: bool
                  ) -> Iterator[tuple[int, str, str | None]]:
    """(line, models module, name) for each import from desktop_app.models; the name is None
    where a whole module is imported."""
    package = module if is_package else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(source)):
        if isinstance(node, ast.Import):
            for alias in node.names:
                if is_under(alias.name, (MODELS,)):
                    yield node.lineno, alias.name, None
        elif isinstance(node, ast.ImportFrom):
            base = from_base(node, package)
            for alias in node.names:
                if is_under(base, (MODELS,)):
                    yield node.lineno, base, alias.name
                elif is_under(f"{base}.{alias.name}", (MODELS,)):  # from desktop_app import models
                    yield node.lineno, f"{base}.{alias.name}", None
        elif (name := dynamic_import(node)) is not None and is_under(name, (MODELS,)):
            yield node.lineno, name, None


def not_enumerations(source: str, module: str, is_package: bool) -> list[str]:
    """What ``module`` takes from desktop_app.models that is not an ``enum.Enum`` (imported
    to look: a submodule, a table or a helper is refused)."""
    found = []
    for line, models_module, name in model_imports(source, module, is_package):
        value = None if name is None else getattr(
            importlib.import_module(models_module), name, None)
        if not (isinstance(value, type) and issubclass(value, enum.Enum)):
            what = models_module if name is None else f"{models_module}.{name}"
            found.append(f"{module} (line {line}) imports {what}, not an enumeration")
    return found


def test_the_framework_rules_use_no_database_and_no_feature_package() -> None:
    found = []
    for module, source, is_package in sources_of(PACKAGE_ROOT / "services" / "framework"):
        found += [f"{module} (line {line}) imports {name}"
                  for line, name in imported_names(source, module, is_package)
                  if is_under(name, ("sqlalchemy",))]
        found += [f"{module} (line {line}) imports {name}" for line, name in
                  services_outside(source, module, is_package, FRAMEWORK_MAY_USE)]
    assert not found, ("framework/ may use only itself, core.errors, core.paths and the "
                       "models' enumerations:\n" + "\n".join(sorted(set(found))))


# Each part of services/ may import only the parts before it (docs/architecture.md, "The
# packages"): infrastructure, then the rules, the vault, the features, the renderers, demo.
SERVICE_ORDER = ("core", "framework", "vault", "people", "providers", "plans", "sync",
                 "delegation", "registers", "reports", "pdf", "demo")


def service_part(name: str) -> str | None:
    """``desktop_app.services.registers.reviews`` → ``registers``."""
    parts = name.split(".")
    return parts[2] if len(parts) > 2 and is_under(name, (SERVICES,)) else None


def upward_service_imports(source: str, module: str, is_package: bool) -> list[str]:
    """The imports of ``module`` (a part of services/) that reach a part after its own."""
    own = service_part(module)
    if own is None:
        return []
    rank = SERVICE_ORDER.index(own)
    return [f"{module} (line {line}) imports {name}"
            for line, name in imported_names(source, module, is_package)
            if (other := service_part(name)) is not None and other in SERVICE_ORDER
            and SERVICE_ORDER.index(other) > rank]


def test_each_part_of_services_imports_only_the_parts_below_it() -> None:
    folders = {p.name.removesuffix(".py") for p in (PACKAGE_ROOT / "services").iterdir()
               if p.name != "__init__.py" and p.name != "__pycache__"}
    assert folders == set(SERVICE_ORDER), "name each part of services/ in SERVICE_ORDER"
    found = [v for module, source, is_package in sources_of(PACKAGE_ROOT / "services")
             for v in upward_service_imports(source, module, is_package)]
    assert not found, ("a part of services/ imports one above it (" + " < ".join(SERVICE_ORDER)
                       + "):\n" + "\n".join(sorted(set(found))))


@pytest.mark.parametrize(("module", "source", "caught"), [
    ("desktop_app.services.people.person", "from desktop_app.services import registers", True),
    ("desktop_app.services.core.uow", "from desktop_app.services.vault import VaultStore", True),
    ("desktop_app.services.plans.batch",
     "def later():\n    from desktop_app.services.delegation.plan import plan_without", True),
    ("desktop_app.services.registers.reviews", "from desktop_app.services import delegation",
     False),
    ("desktop_app.services.reports.base", "from desktop_app.services.core.uow import X", False),
])
def test_the_order_check_catches_an_upward_import(module: str, source: str,
                                                  caught: bool) -> None:
    assert bool(upward_service_imports(source, module, False)) is caught


def test_the_framework_rules_take_only_enumerations_from_the_models() -> None:
    found = []
    for module, source, is_package in sources_of(PACKAGE_ROOT / "services" / "framework"):
        found += not_enumerations(source, module, is_package)
    assert not found, "\n".join(found)


def test_core_uses_nothing_above_it() -> None:
    found = []
    for module, source, is_package in sources_of(PACKAGE_ROOT / "services" / "core"):
        found += [f"{module} (line {line}) imports {name}" for line, name in
                  services_outside(source, module, is_package, CORE_MAY_USE)]
    assert not found, "core/ imports no other service package:\n" + "\n".join(
        sorted(set(found)))


def test_models_import_no_service() -> None:
    found = violations(["models"], (SERVICES,))
    assert not found, "models must not import services:\n" + "\n".join(found)


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


# ---------------------------------------------------------------- the cycle finder itself


def cycles_in(snippets: dict[str, str], packages: tuple[str, ...] = ()) -> list[str]:
    return import_cycles({module: (source, module in packages)
                          for module, source in snippets.items()})


TYPE_ONLY = "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    from pkg.b import B\n"


@pytest.mark.parametrize(("snippets", "packages", "expected"), [
    pytest.param({"pkg.a": "from pkg.b import B", "pkg.b": "import pkg.a"}, (),
                 ["pkg.a -> pkg.b -> pkg.a"], id="two modules"),
    pytest.param({"pkg.a": TYPE_ONLY, "pkg.b": "from pkg.a import A"}, (),
                 ["pkg.a -> pkg.b -> pkg.a"], id="type-only import"),
    pytest.param({"pkg.a": "import pkg.b", "pkg.b": "def later():\n    from pkg import a\n"},
                 ("pkg",), ["pkg.a -> pkg.b -> pkg.a"], id="import in a function"),
    pytest.param({"pkg.a": "from .b import B", "pkg.b": "from . import a"}, ("pkg",),
                 ["pkg.a -> pkg.b -> pkg.a"], id="relative imports"),
    pytest.param({"pkg.a": "import pkg.b", "pkg.b": "import pkg.c", "pkg.c": "import pkg.a"},
                 (), ["pkg.a -> pkg.b -> pkg.c -> pkg.a"], id="three modules"),
    pytest.param({"pkg": "from pkg.a import A", "pkg.a": "from pkg import helper"}, ("pkg",),
                 ["pkg -> pkg.a -> pkg"], id="a submodule importing its re-exporting package"),
    pytest.param({"pkg.a": "import pkg.b", "pkg.b": "import pkg.a",
                  "pkg.c": "import pkg.d", "pkg.d": "import pkg.c"}, (),
                 ["pkg.a -> pkg.b -> pkg.a", "pkg.c -> pkg.d -> pkg.c"], id="each cycle named"),
    pytest.param({"pkg.a": "import pkg.b\nimport pkg.c", "pkg.b": "import pkg.a",
                  "pkg.c": "import pkg.a"}, (),
                 ["pkg.a -> pkg.b -> pkg.a  (all of pkg.a, pkg.b, pkg.c reach each other)"],
                 id="a tangle"),
])
def test_the_cycle_finder_catches(snippets: dict[str, str], packages: tuple[str, ...],
                                  expected: list[str]) -> None:
    assert cycles_in(snippets, packages) == expected


@pytest.mark.parametrize(("snippets", "packages"), [
    pytest.param({"pkg.a": "import pkg.b", "pkg.b": "import pkg.c", "pkg.c": "import os"}, (),
                 id="a chain"),
    pytest.param({"pkg.a": "from pkg.a import helper\nimport pkg.b", "pkg.b": ""}, (),
                 id="a module naming itself"),
    pytest.param({"pkg": "from pkg.a import A\nfrom pkg.b import B", "pkg.a": "from pkg.b import B",
                  "pkg.b": ""}, ("pkg",), id="a package re-exporting its modules"),
    pytest.param({"pkg": "from pkg.a import A", "pkg.a": "from pkg import b", "pkg.b": ""},
                 ("pkg",), id="a module reaching a sibling through the package"),
    pytest.param({"pkg.a": "import sqlalchemy\nfrom other.a import x", "pkg.b": "import pkg.a"},
                 (), id="imports from outside"),
])
def test_the_cycle_finder_allows(snippets: dict[str, str], packages: tuple[str, ...]) -> None:
    assert cycles_in(snippets, packages) == []


def test_an_imported_name_is_an_edge_to_its_module_or_to_the_submodule_it_names() -> None:
    modules = {m: ("", m == "pkg") for m in ("pkg", "pkg.a", "pkg.b")}
    source = ("import os.path\nfrom pkg.a import Thing\nfrom pkg import b, helper\n"
              "importlib.import_module('pkg.b')\n")
    assert imported_modules(source, "pkg.c", False, modules) == {"pkg", "pkg.a", "pkg.b"}
    assert imported_modules("from pkg import b", "pkg.c", False, modules) == {"pkg.b"}
    assert imported_modules("from . import a", "pkg", True, modules) == {"pkg.a"}


# ---------------------------------------------------------------- the services checks themselves


@pytest.mark.parametrize(("source", "caught"), [
    ("from desktop_app.services.core import uow", [f"{SERVICES}.core.uow"]),
    ("from desktop_app.services.core.uow import UnitOfWork", [f"{SERVICES}.core.uow",
                                                               f"{SERVICES}.core.uow.UnitOfWork"]),
    ("from desktop_app.services import people", [f"{SERVICES}.people"]),
    ("def f():\n    from ..vault import task_types", [f"{SERVICES}.vault",
                                                     f"{SERVICES}.vault.task_types"]),
    ("from desktop_app.services.core import paths, errors", []),
    ("from desktop_app.services.core.errors import ValidationError", []),
    ("from .flow import load_flow", []),
    ("from desktop_app.models.plan import Funder", []),
])
def test_the_framework_check_allows_only_errors_paths_and_itself(source: str,
                                                                 caught: list[str]) -> None:
    found = services_outside(source, f"{SERVICES}.framework.funding", False, FRAMEWORK_MAY_USE)
    assert [name for _, name in found] == caught


@pytest.mark.parametrize(("source", "refused"), [
    ("from desktop_app.models.plan import Funder, SupportPlan", [f"{MODELS}.plan.SupportPlan"]),
    ("from desktop_app.models.base import utc_now", [f"{MODELS}.base.utc_now"]),
    ("from desktop_app.models import plan", [f"{MODELS}.plan"]),
    ("from desktop_app import models", [MODELS]),
    ("import desktop_app.models.plan", [f"{MODELS}.plan"]),
    ("def f():\n    from ...models.review import Review", [f"{MODELS}.review.Review"]),
    ("from desktop_app.models.review import ReviewKind, ReviewOutcome", []),
])
def test_the_enumeration_check_looks_at_what_each_name_is(source: str,
                                                          refused: list[str]) -> None:
    found = not_enumerations(source, f"{SERVICES}.framework.labels", False)
    assert [line.split(" imports ")[1].removesuffix(", not an enumeration")
            for line in found] == refused
