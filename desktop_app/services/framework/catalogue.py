"""The task catalogue: which healthcare tasks exist and how the framework treats each.

The catalogue is versioned data in ``resources/task_catalogue.json`` (framework section 3),
editable by governance (the IPCB). Each task has a typical status in English protocols:
``PC`` personal care (not a delegation), ``D`` delegable after person-specific training
and sign-off at level 1 or 2, or ``RN`` registered practitioner only (step S3 of the flow).

Some delegable or personal-care tasks have registered-nurse-only look-alikes ("twins": a
simple dry dressing and a complex wound dressing, a fixed insulin dose and a dose
adjustment). The catalogue names them in ``look_alikes``, each with a line on how to tell
them apart, so the wizard can warn the nurse who chooses the first of the pair.

This module reads and validates the file, answers questions about it, and copies it into
the ``task_type`` table so that every decision can point at the exact catalogue version it
was made under. A published version is immutable: a change needs a new
``catalogue_version``. No Qt here.
"""

from __future__ import annotations

import json
import re
from collections.abc import Iterable, Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast

from desktop_app.services.core import paths

TaskStatus = Literal["PC", "D", "RN"]
Oversight = Literal["community_health", "primary_care"]

CATALOGUE_FILE: Final = "task_catalogue.json"
#: Skills for Care's eight delegated-activity groups.
CATEGORY_CODES: Final = (
    "vital_signs",
    "medication",
    "posture_mobility",
    "skin_wound",
    "airways_breathing",
    "feeding_digestive",
    "bladder_bowel",
    "other",
)
STATUSES: Final = ("PC", "D", "RN")
OVERSIGHTS: Final = ("community_health", "primary_care")
TRAINING_LEVELS: Final = (1, 2)
TASK_FIELDS: Final = (
    "code",
    "name",
    "category",
    "typical_status",
    "training_level",
    "refresher_months",
    "oversight_default",
    "description",
    "notes",
)
#: The task code of a delegation case with no catalogue task: a social care need recorded
#: at step S1 as "a social care need, not a healthcare task". ``DelegationCase.task_code``
#: is a non-null column, so "no task" is the empty code, which the parser refuses as a task
#: code (codes are non-empty snake_case), so it can never name a real task; lists show no
#: task name for it (``task_name_sql`` falls back to the empty code). A draft not yet given
#: a task has it too; a *decided* case has it only when S1 recorded a social care need.
NO_TASK_CODE: Final = ""
MAX_CODE_LENGTH: Final = 64
MAX_VERSION_LENGTH: Final = 20
_CODE_PATTERN: Final = re.compile(r"[a-z][a-z0-9_]*")


class CatalogueError(ValueError):
    """The catalogue file is unreadable or breaks a rule, or a published version changed.

    ``task_code`` and ``field`` name the offending task and field when there is one.
    """

    def __init__(
        self, message: str, *, task_code: str | None = None, field: str | None = None
    ) -> None:
        super().__init__(message)
        self.message = message
        self.task_code = task_code
        self.field = field


class UnknownTaskType(KeyError):
    """A task code (or category) asked for is not in this catalogue version."""

    def __str__(self) -> str:
        return str(self.args[0]) if self.args else ""


@dataclass(frozen=True)
class TaskCategory:
    """One of the eight national activity groups, with its display label."""

    code: str
    label: str


@dataclass(frozen=True)
class TaskTypeInfo:
    """One task of the catalogue, tagged with the catalogue version it comes from.

    The field names match the columns of ``desktop_app.models.task_type.TaskType``.
    """

    code: str
    catalogue_version: str
    name: str
    category: str
    typical_status: TaskStatus
    training_level: int | None
    refresher_months: int | None
    oversight_default: Oversight
    description: str
    notes: str | None

    @property
    def is_registered_nurse_only(self) -> bool:
        """True when the task can never be delegated to a care worker (step S3)."""
        return self.typical_status == "RN"

    @property
    def is_delegable(self) -> bool:
        """True when the task can be delegated after training and sign-off."""
        return self.typical_status == "D"


@dataclass(frozen=True)
class LookAlike:
    """A delegable or personal-care task and its registered-nurse-only twin(s): tasks a
    nurse can mistake for one another, with how to tell them apart in a nurse's words."""

    task: str
    twins: tuple[str, ...]
    how_to_tell: str


@dataclass(frozen=True)
class Catalogue:
    """One validated version of the task catalogue."""

    version: str
    source: str
    categories: tuple[TaskCategory, ...]
    tasks: tuple[TaskTypeInfo, ...]
    look_alikes: tuple[LookAlike, ...] = ()

    @property
    def codes(self) -> tuple[str, ...]:
        """Every task code, in catalogue order."""
        return tuple(task.code for task in self.tasks)

    def get(self, code: str) -> TaskTypeInfo:
        """The task with this code; ``UnknownTaskType`` (a ``KeyError``) if there is none."""
        for task in self.tasks:
            if task.code == code:
                return task
        raise UnknownTaskType(f"no task {code!r} in task catalogue version {self.version}")

    def by_category(self, category: str) -> tuple[TaskTypeInfo, ...]:
        """The tasks of one category, in catalogue order (empty if the group has none)."""
        if category not in {cat.code for cat in self.categories}:
            raise UnknownTaskType(
                f"no category {category!r} in task catalogue version {self.version}"
            )
        return tuple(task for task in self.tasks if task.category == category)

    def is_registered_nurse_only(self, code: str) -> bool:
        """True when the task with this code is registered-nurse only (``KeyError`` if unknown)."""
        return self.get(code).is_registered_nurse_only

    def look_alikes_of(self, code: str) -> tuple[LookAlike, ...]:
        """The registered-nurse-only look-alikes of the task with this code (often none)."""
        return tuple(pair for pair in self.look_alikes if pair.task == code)


# --- loading ---------------------------------------------------------------------------


def default_catalogue_path() -> Path:
    """The shipped catalogue in the app's resources folder."""
    try:
        return paths.resources_dir() / CATALOGUE_FILE
    except FileNotFoundError as exc:
        raise CatalogueError(f"the task catalogue cannot be found: {exc}") from exc


def load_catalogue(path: Path | None = None) -> Catalogue:
    """Read and validate a catalogue file (the shipped one by default)."""
    path = default_catalogue_path() if path is None else path
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"cannot read the task catalogue {path}: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"the task catalogue {path} is not valid JSON: {exc}") from exc
    return parse_catalogue(data)


def parse_catalogue(data: object) -> Catalogue:
    """Validate already-decoded catalogue JSON and build a ``Catalogue``."""
    if not isinstance(data, dict):
        raise CatalogueError("the task catalogue must be a JSON object")
    version = _top_text(data, "catalogue_version")
    if len(version) > MAX_VERSION_LENGTH:
        raise CatalogueError(
            f"catalogue_version {version!r} is longer than {MAX_VERSION_LENGTH} characters"
        )
    categories = _parse_categories(data.get("categories"))
    allowed = tuple(cat.code for cat in categories)
    tasks = _parse_tasks(data.get("tasks"), version, allowed)
    look_alikes = _parse_look_alikes(data.get("look_alikes", []), tasks)
    return Catalogue(version, _top_text(data, "source"), categories, tasks, look_alikes)


def _top_text(data: Mapping[str, Any], key: str) -> str:
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"the task catalogue needs a non-empty text {key!r}")
    return value


def _parse_categories(raw: object) -> tuple[TaskCategory, ...]:
    if not isinstance(raw, list) or not raw:
        raise CatalogueError("the task catalogue needs a non-empty 'categories' list")
    result: list[TaskCategory] = []
    for index, item in enumerate(raw):
        code = item.get("code") if isinstance(item, dict) else None
        label = item.get("label") if isinstance(item, dict) else None
        if code not in CATEGORY_CODES or not isinstance(label, str) or not label.strip():
            raise CatalogueError(
                f"categories[{index}]: needs a 'code' from {', '.join(CATEGORY_CODES)} "
                f"and a non-empty 'label' (got {item!r})"
            )
        if any(cat.code == code for cat in result):
            raise CatalogueError(f"categories[{index}]: duplicate category code {code!r}")
        result.append(TaskCategory(cast(str, code), label))
    return tuple(result)


def _parse_tasks(
    raw: object, version: str, categories: tuple[str, ...]
) -> tuple[TaskTypeInfo, ...]:
    if not isinstance(raw, list) or not raw:
        raise CatalogueError("the task catalogue needs a non-empty 'tasks' list")
    tasks: list[TaskTypeInfo] = []
    for index, item in enumerate(raw):
        task = _parse_task(item, index, version, categories)
        if any(seen.code == task.code for seen in tasks):
            raise CatalogueError(
                f"task {task.code!r}, field 'code': duplicate code (each code appears once)",
                task_code=task.code,
                field="code",
            )
        tasks.append(task)
    return tuple(tasks)


def _parse_task(raw: object, index: int, version: str, categories: tuple[str, ...]) -> TaskTypeInfo:
    if not isinstance(raw, dict):
        raise CatalogueError(f"tasks[{index}]: each task must be a JSON object")
    code = _task_code(raw, index)
    for name in TASK_FIELDS:
        if name not in raw:
            raise task_error(code, name, "missing field")
    status = cast(TaskStatus, _choice(raw, code, "typical_status", STATUSES))
    return TaskTypeInfo(
        code=code,
        catalogue_version=version,
        name=_text(raw, code, "name"),
        category=_choice(raw, code, "category", categories),
        typical_status=status,
        training_level=_delegable_int(raw, code, status, "training_level", TRAINING_LEVELS),
        refresher_months=_delegable_int(raw, code, status, "refresher_months", None),
        oversight_default=cast(Oversight, _choice(raw, code, "oversight_default", OVERSIGHTS)),
        description=_text(raw, code, "description"),
        notes=_optional_text(raw, code, "notes"),
    )


def task_error(code: str, field: str, problem: str) -> CatalogueError:
    return CatalogueError(f"task {code!r}, field {field!r}: {problem}", task_code=code, field=field)


def _task_code(raw: Mapping[str, Any], index: int) -> str:
    code = raw.get("code")
    if code is None:
        raise CatalogueError(f"tasks[{index}], field 'code': missing field", field="code")
    if (
        not isinstance(code, str)
        or not _CODE_PATTERN.fullmatch(code)
        or len(code) > MAX_CODE_LENGTH
    ):
        raise CatalogueError(
            f"tasks[{index}], field 'code': {code!r} is not a snake_case code of at most "
            f"{MAX_CODE_LENGTH} characters",
            field="code",
        )
    return code


def _text(raw: Mapping[str, Any], code: str, field: str) -> str:
    value = raw[field]
    if not isinstance(value, str) or not value.strip():
        raise task_error(code, field, f"must be non-empty text (got {value!r})")
    return value


def _optional_text(raw: Mapping[str, Any], code: str, field: str) -> str | None:
    return None if raw[field] is None else _text(raw, code, field)


def _choice(raw: Mapping[str, Any], code: str, field: str, allowed: Iterable[str]) -> str:
    value = raw[field]
    options = tuple(allowed)
    if value not in options:
        kind = "category" if field == "category" else "value"
        raise task_error(
            code, field, f"unknown {kind} {value!r}; expected one of: {', '.join(options)}"
        )
    return cast(str, value)


def _delegable_int(
    raw: Mapping[str, Any],
    code: str,
    status: str,
    field: str,
    allowed: tuple[int, ...] | None,
) -> int | None:
    """A field only delegable (D) tasks carry: required for D, ``null`` for PC and RN."""
    value = raw[field]
    if status != "D":
        if value is not None:
            raise task_error(
                code,
                field,
                f"a {status} task must not have a {field} (got {value!r}); "
                "only delegable (D) tasks are trained and signed off",
            )
        return None
    valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
    if not valid or (allowed is not None and value not in allowed):
        wanted = " or ".join(map(str, allowed)) if allowed else "a whole number of months"
        raise task_error(code, field, f"a delegable (D) task needs {wanted} (got {value!r})")
    return cast(int, value)


def _parse_look_alikes(raw: object, tasks: tuple[TaskTypeInfo, ...]
                       ) -> tuple[LookAlike, ...]:
    """``look_alikes``: each a delegable or personal-care ``task``, its ``twins`` (every one
    registered-nurse only) and a non-empty ``how_to_tell``; a pair is named once."""
    if not isinstance(raw, list):
        raise CatalogueError("the task catalogue's 'look_alikes' must be a list")
    status = {task.code: task.typical_status for task in tasks}
    result: list[LookAlike] = []
    pairs: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        pair = _parse_look_alike(item, f"look_alikes[{index}]", status)
        for twin in pair.twins:
            if (pair.task, twin) in pairs:
                raise CatalogueError(f"look_alikes[{index}]: {pair.task!r} and {twin!r} are "
                                     "named as look-alikes more than once")
            pairs.add((pair.task, twin))
        result.append(pair)
    return tuple(result)


def _parse_look_alike(item: object, where: str, status: Mapping[str, str]) -> LookAlike:
    if not isinstance(item, dict):
        raise CatalogueError(f"{where}: each look-alike must be a JSON object")
    task, twins, how = item.get("task"), item.get("twins"), item.get("how_to_tell")
    if not isinstance(task, str) or task not in status:
        raise CatalogueError(f"{where}, field 'task': unknown task {task!r}")
    if status[task] == "RN":
        raise CatalogueError(f"{where}, field 'task': {task!r} is registered-nurse only; name "
                             "the delegable or personal-care task, with its RN twins")
    if not isinstance(twins, list) or not twins:
        raise CatalogueError(f"{where}, field 'twins': a non-empty list of task codes")
    for twin in twins:
        if not isinstance(twin, str) or twin not in status:
            raise CatalogueError(f"{where}, field 'twins': unknown task {twin!r}")
        if status[twin] != "RN":
            raise CatalogueError(f"{where}, field 'twins': {twin!r} is not registered-nurse "
                                 "only; a twin is the RN task it can be mistaken for")
    if len(set(twins)) != len(twins):
        raise CatalogueError(f"{where}, field 'twins': a twin is named more than once")
    if not isinstance(how, str) or not how.strip():
        raise CatalogueError(f"{where}, field 'how_to_tell': must be non-empty text")
    return LookAlike(task, tuple(cast(list[str], twins)), how)
