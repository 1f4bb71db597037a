"""The clinical risk management file's hazard log: read, check, rate, report, render.

``docs/clinical-safety/hazard-log.yaml`` is the log itself (data, kept by hand);
``docs/clinical-safety/hazard-log.md`` is generated from it and from the tests that carry
``@pytest.mark.hazard("H-nnn")``, so the test ids in the document are always the real ones.

    python tools/hazard_log.py report    # each hazard, its residual risk and test count
    python tools/hazard_log.py write     # regenerate hazard-log.md
    python tools/hazard_log.py check     # exit 1 if the log, the markers, the md or the
                                         # code the references name disagree

Ratings follow the DCB0129 5 × 5 matrix: severity (consequence) 1-5 and likelihood 1-5
give a risk rating 1-5 (1 acceptable … 5 unacceptable). The tests marked for a hazard are
found by pytest's own collection (``--hazard-map``, see tests/conftest.py), so a marker in
a parametrised case or a module-level ``pytestmark`` counts as well as a decorator.
"""

from __future__ import annotations

import ast
import json
import os
import re
import subprocess
import sys
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import yaml

ROOT = Path(__file__).resolve().parents[1]
LOG_FILE = ROOT / "docs" / "clinical-safety" / "hazard-log.yaml"
MD_FILE = ROOT / "docs" / "clinical-safety" / "hazard-log.md"
HAZARD_ID = re.compile(r"H-\d{3}")

SEVERITY = {1: "Minor", 2: "Significant", 3: "Considerable", 4: "Major", 5: "Catastrophic"}
LIKELIHOOD = {1: "Very low", 2: "Low", 3: "Medium", 4: "High", 5: "Very high"}
# DCB0129 risk matrix: RISK[likelihood][severity] -> rating 1..5.
RISK = {
    5: {1: 3, 2: 4, 3: 4, 4: 5, 5: 5},
    4: {1: 2, 2: 3, 3: 3, 4: 4, 5: 5},
    3: {1: 2, 2: 2, 3: 3, 4: 3, 5: 4},
    2: {1: 1, 2: 2, 3: 2, 4: 3, 5: 4},
    1: {1: 1, 2: 1, 3: 2, 4: 2, 5: 3},
}
RATING_WORDS = {
    1: "Acceptable",
    2: "Acceptable where further reduction is impractical",
    3: "Undesirable: accepted only with the Clinical Safety Officer's agreement",
    4: "Unacceptable",
    5: "Unacceptable",
}
# Residual risk a released version may carry (3 needs the CSO's sign-off in the log).
MAX_RELEASE_RATING = 3
CONTROL_KINDS = ("design", "test", "information", "deployer")
REQUIRED = ("id", "title", "causes", "effect", "harm", "initial", "controls", "residual")


class HazardLogError(ValueError):
    """The hazard log breaks a rule (the message says which hazard and what)."""


@dataclass(frozen=True)
class Rating:
    """A severity × likelihood pair and the matrix's rating for it."""

    severity: int
    likelihood: int

    @property
    def risk(self) -> int:
        """The DCB0129 risk rating, 1 (acceptable) to 5 (unacceptable)."""
        return RISK[self.likelihood][self.severity]

    def words(self) -> str:
        """``"Major × Low = 3"``."""
        return (f"{SEVERITY[self.severity]} × {LIKELIHOOD[self.likelihood]} = {self.risk}")


@dataclass(frozen=True)
class Control:
    """One thing that stops the hazard, and what kind of thing it is."""

    text: str
    kind: str


@dataclass(frozen=True)
class Hazard:
    """One hazard of the log."""

    id: str
    title: str
    causes: tuple[str, ...]
    effect: str
    harm: str
    initial: Rating
    controls: tuple[Control, ...]
    residual: Rating
    status: str = "open"
    references: tuple[str, ...] = ()
    cso_note: str = ""


@dataclass(frozen=True)
class HazardLog:
    """The whole log: its own version and the hazards in id order."""

    version: str
    system: str
    hazards: tuple[Hazard, ...]
    intro: str = ""

    @property
    def ids(self) -> tuple[str, ...]:
        """Every hazard id, in order."""
        return tuple(h.id for h in self.hazards)


@dataclass
class MarkerMap:
    """Which collected tests carry which hazard markers (``slow`` ones apart)."""

    tests: dict[str, tuple[str, ...]] = field(default_factory=dict)
    slow: set[str] = field(default_factory=set)

    def for_hazard(self, hazard_id: str, *, include_slow: bool = False) -> list[str]:
        """The node ids of the tests marked with ``hazard_id``, sorted."""
        return sorted(node for node, ids in self.tests.items() if hazard_id in ids
                      and (include_slow or node not in self.slow))


# ---------------------------------------------------------------- reading and checking


def _rating(raw: Any, where: str) -> Rating:
    if not isinstance(raw, Mapping):
        raise HazardLogError(f"{where}: give severity and likelihood")
    values = []
    for key in ("severity", "likelihood"):
        value = raw.get(key)
        if isinstance(value, bool) or not isinstance(value, int) or not 1 <= value <= 5:
            raise HazardLogError(f"{where}: {key} must be a whole number 1-5 (got {value!r})")
        values.append(value)
    return Rating(values[0], values[1])


def _text(raw: Mapping[str, Any], key: str, where: str) -> str:
    value = raw.get(key)
    if not isinstance(value, str) or not value.strip():
        raise HazardLogError(f"{where}: {key} must be non-empty text")
    return value.strip()


def _texts(raw: Mapping[str, Any], key: str, where: str) -> tuple[str, ...]:
    value = raw.get(key)
    if not isinstance(value, list) or not value or not all(
            isinstance(v, str) and v.strip() for v in value):
        raise HazardLogError(f"{where}: {key} must be a non-empty list of texts")
    return tuple(v.strip() for v in value)


def _controls(raw: Any, where: str) -> tuple[Control, ...]:
    if not isinstance(raw, list) or not raw:
        raise HazardLogError(f"{where}: list at least one control")
    controls = []
    for number, item in enumerate(raw, start=1):
        here = f"{where} control {number}"
        if not isinstance(item, Mapping):
            raise HazardLogError(f"{here}: give text and kind")
        kind = item.get("kind")
        if kind not in CONTROL_KINDS:
            raise HazardLogError(f"{here}: kind must be one of {', '.join(CONTROL_KINDS)}")
        controls.append(Control(_text(item, "text", here), str(kind)))
    return tuple(controls)


def _hazard(raw: Any, number: int) -> Hazard:
    if not isinstance(raw, Mapping):
        raise HazardLogError(f"hazard {number}: each hazard is a mapping")
    missing = [key for key in REQUIRED if key not in raw]
    hazard_id = raw.get("id")
    where = f"hazard {hazard_id or number}"
    if missing:
        raise HazardLogError(f"{where}: missing {', '.join(missing)}")
    if not isinstance(hazard_id, str) or not HAZARD_ID.fullmatch(hazard_id):
        raise HazardLogError(f"{where}: id must look like H-012")
    initial = _rating(raw["initial"], f"{where} initial")
    residual = _rating(raw["residual"], f"{where} residual")
    if residual.risk > initial.risk:
        raise HazardLogError(f"{where}: the residual risk is above the initial risk")
    if residual.risk > MAX_RELEASE_RATING:
        raise HazardLogError(f"{where}: residual risk {residual.risk} is unacceptable")
    cso_note = str(raw.get("cso_note") or "").strip()
    if residual.risk == MAX_RELEASE_RATING and not cso_note:
        raise HazardLogError(f"{where}: a residual risk of 3 needs a cso_note saying why "
                             "it is accepted")
    references = raw.get("references") or []
    if not isinstance(references, list):
        raise HazardLogError(f"{where}: references must be a list")
    return Hazard(
        id=hazard_id, title=_text(raw, "title", where), causes=_texts(raw, "causes", where),
        effect=_text(raw, "effect", where), harm=_text(raw, "harm", where), initial=initial,
        controls=_controls(raw["controls"], where), residual=residual,
        status=str(raw.get("status") or "open"), references=tuple(map(str, references)),
        cso_note=cso_note)


def parse_log(raw: Any) -> HazardLog:
    """Build a HazardLog from the YAML's data, checking every rule."""
    if not isinstance(raw, Mapping) or not isinstance(raw.get("hazards"), list):
        raise HazardLogError("the log needs a 'hazards' list")
    hazards = [_hazard(item, number) for number, item in enumerate(raw["hazards"], start=1)]
    ids = [h.id for h in hazards]
    duplicates = sorted({i for i in ids if ids.count(i) > 1})
    if duplicates:
        raise HazardLogError(f"duplicate hazard ids: {', '.join(duplicates)}")
    if ids != sorted(ids):
        raise HazardLogError("list the hazards in id order")
    return HazardLog(str(raw.get("version") or ""), str(raw.get("system") or ""),
                     tuple(hazards), str(raw.get("intro") or "").strip())


def load_log(path: Path = LOG_FILE) -> HazardLog:
    """Read and check the hazard log file."""
    return parse_log(yaml.safe_load(path.read_text(encoding="utf-8")))


def coverage_problems(log: HazardLog, tests: MarkerMap) -> list[str]:
    """What is wrong between the log and the markers: a hazard no (non-slow) test verifies,
    or a marker naming a hazard the log does not have. Empty when all is well."""
    problems = [f"{h.id} ({h.title}) has no test marked @pytest.mark.hazard(\"{h.id}\") "
                "in make test" for h in log.hazards if not tests.for_hazard(h.id)]
    known = set(log.ids)
    for node, ids in sorted(tests.tests.items()):
        problems += [f"{node} is marked with {i}, which is not in the hazard log"
                     for i in ids if i not in known]
    return problems


# ---------------------------------------------------------------- the code a hazard names

REFERENCE_ROOTS = re.compile(r"^(desktop_app|sync_server|scp_common|resources|tools|tests|"
                             r"installer|benchmarks)/")


def defined_names(path: Path) -> set[str]:
    """The functions, classes, methods and assigned names a Python file defines."""
    names: set[str] = set()
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef | ast.ClassDef):
            names.add(node.name)
        elif isinstance(node, ast.Assign):
            names |= {t.id for t in node.targets if isinstance(t, ast.Name)}
        elif isinstance(node, ast.AnnAssign) and isinstance(node.target, ast.Name):
            names.add(node.target.id)
    return names


def reference_problems(reference: str, root: Path = ROOT) -> list[str]:
    """What a reference names that is not there: ``path name(), Name; other.py`` names files
    (a bare ``file.py`` is in the folder of the path before it; globs allowed) and, after a
    Python file, the functions (``name()``) and classes or constants (``CapWords``,
    ``UPPER``) it defines. Words in brackets are a comment. Empty when all is there."""
    text = re.sub(r"\((?!\))[^)]*\)", " ", reference)
    problems: list[str] = []
    current: Path | None = None
    folder = ""
    for token in filter(None, re.split(r"[\s,;]+", text)):
        relative = (token if REFERENCE_ROOTS.match(token)
                    else f"{folder}/{token}" if folder and re.fullmatch(r"[\w.]+\.\w+", token)
                    else None)
        if relative is not None:
            matches = list(root.glob(relative))
            if not matches:
                problems.append(f"{relative} does not exist")
            current = matches[0] if len(matches) == 1 and matches[0].suffix == ".py" else None
            folder = relative.rpartition("/")[0]
            continue
        name = token.removesuffix("()")
        named = token.endswith("()") or re.fullmatch(r"[A-Z][A-Za-z0-9_]+", name)
        if current is not None and named and name.isidentifier() \
                and name not in defined_names(current):
            problems.append(f"{name} is not defined in {current.relative_to(root)}")
    return problems


def stale_references(log: HazardLog, root: Path = ROOT) -> list[str]:
    """Every reference of every hazard that names code no longer there."""
    return [f"{h.id}: {problem} (reference: {ref})" for h in log.hazards
            for ref in h.references if REFERENCE_ROOTS.match(ref)
            for problem in reference_problems(ref, root)]


def hazards_without_passing(log: HazardLog, marked: Mapping[str, Sequence[str]],
                            passed: set[str]) -> list[str]:
    """The ids of hazards none of whose marked tests passed in a run (all skipped, say)."""
    return [h.id for h in log.hazards
            if not any(h.id in marked.get(node, ()) for node in passed)]


# ---------------------------------------------------------------- collecting the markers


def collect_tests(root: Path = ROOT) -> MarkerMap:
    """Ask pytest to collect the whole suite and say which tests carry which hazards."""
    with tempfile.TemporaryDirectory() as folder:
        out = Path(folder) / "hazards.json"
        env = {**os.environ, "QT_QPA_PLATFORM": "offscreen"}
        done = subprocess.run(
            [sys.executable, "-m", "pytest", "--collect-only", "-q", "-p", "no:cacheprovider",
             "--slow", f"--hazard-map={out}"],
            cwd=root, env=env, capture_output=True, text=True, check=False)
        if done.returncode != 0 or not out.exists():
            raise RuntimeError("collecting the tests failed:\n" + done.stdout[-4000:]
                               + done.stderr[-4000:])
        data = json.loads(out.read_text(encoding="utf-8"))
    return MarkerMap({k: tuple(v) for k, v in data["tests"].items()}, set(data["slow"]))


# ---------------------------------------------------------------- showing it


def report(log: HazardLog, tests: MarkerMap) -> str:
    """One line per hazard: id, residual risk, test count, title."""
    lines = [f"{'hazard':7} {'initial':>7} {'residual':>8} {'tests':>5}  title"]
    for h in log.hazards:
        count = len(tests.for_hazard(h.id))
        lines.append(f"{h.id:7} {h.initial.risk:>7} {h.residual.risk:>8} {count:>5}  {h.title}")
    total = len({n for n, ids in tests.tests.items() if ids and n not in tests.slow})
    worst = max((h.residual.risk for h in log.hazards), default=0)
    lines.append(f"{len(log.hazards)} hazards; {total} tests verify their controls; "
                 f"highest residual risk {worst} ({RATING_WORDS.get(worst, '-')}).")
    return "\n".join(lines)


def _cell(text: str) -> str:
    return text.replace("|", "\\|").replace("\n", " ")


def render_markdown(log: HazardLog, tests: MarkerMap) -> str:
    """The hazard log as a document: the matrix, a summary table and each hazard in full."""
    out = ["<!-- Generated by tools/hazard_log.py from hazard-log.yaml and the tests' "
           "@pytest.mark.hazard markers: edit those, then `make hazard-log`. -->", "",
           f"# Hazard log — {log.system}", "", f"Log version {log.version}.", ""]
    if log.intro:
        out += [log.intro, ""]
    out += ["## Risk matrix (DCB0129)", "",
            "| likelihood \\ severity | " + " | ".join(
                f"{n} {SEVERITY[n]}" for n in SEVERITY) + " |",
            "|---|" + "---|" * len(SEVERITY)]
    for likelihood in sorted(LIKELIHOOD, reverse=True):
        out.append(f"| {likelihood} {LIKELIHOOD[likelihood]} | " + " | ".join(
            str(RISK[likelihood][s]) for s in SEVERITY) + " |")
    out += ["", "Ratings: " + "; ".join(f"{k} {v}" for k, v in RATING_WORDS.items()) + ".", "",
            "## Summary", "", "| id | hazard | initial | residual | tests | status |",
            "|---|---|---|---|---|---|"]
    for h in log.hazards:
        out.append(f"| [{h.id}](#{h.id.lower()}) | {_cell(h.title)} | {h.initial.risk} | "
                   f"{h.residual.risk} | {len(tests.for_hazard(h.id))} | {h.status} |")
    for h in log.hazards:
        out += ["", f"## {h.id}", "", f"**{h.title}**", "", "Causes:", ""]
        out += [f"- {c}" for c in h.causes]
        out += ["", f"Effect: {h.effect}", "", f"Possible harm: {h.harm}", "",
                f"Initial risk: {h.initial.words()}.", "", "Controls:", ""]
        out += [f"- ({c.kind}) {c.text}" for c in h.controls]
        out += ["", f"Residual risk: {h.residual.words()} — {RATING_WORDS[h.residual.risk]}."]
        if h.cso_note:
            out += ["", f"Clinical Safety Officer: {h.cso_note}"]
        if h.references:
            out += ["", "References: " + "; ".join(h.references) + "."]
        out += ["", "Verified by:", ""]
        out += [f"- `{node}`" for node in tests.for_hazard(h.id)]
        slow = [n for n in tests.for_hazard(h.id, include_slow=True) if n in tests.slow]
        out += [f"- `{node}` (make test-slow)" for node in slow]
    return "\n".join(out) + "\n"


def main(argv: Sequence[str]) -> int:
    """``report``, ``write`` or ``check`` (see the module docstring)."""
    command = argv[0] if argv else "report"
    if command not in ("report", "write", "check"):
        print(__doc__)
        return 2
    log = load_log()
    tests = collect_tests()
    problems = coverage_problems(log, tests) + stale_references(log)
    if command == "report":
        print(report(log, tests))
    elif command == "write":
        MD_FILE.write_text(render_markdown(log, tests), encoding="utf-8")
        print(f"wrote {MD_FILE.relative_to(ROOT)}")
    elif MD_FILE.read_text(encoding="utf-8") != render_markdown(log, tests):
        problems.append("hazard-log.md is out of date: run `make hazard-log`")
    for problem in problems:
        print(f"PROBLEM: {problem}", file=sys.stderr)
    return 1 if problems else 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
