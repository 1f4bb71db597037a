"""The rules of a task catalogue document (framework §3), checked before anything uses it.

A catalogue has a version, its source, the national activity groups (``categories``), its
tasks and the look-alike pairs a nurse could mistake for one another. ``check_catalogue``
refuses, with the first problem it finds, anything that breaks a rule: each message names
the task and the field (``CatalogueError.task_code`` and ``.field`` carry them too), e.g.
"task 'insulin_pen', field 'training_level': a delegable (D) task needs 1 or 2 (got 3)".

``widened`` compares two versions for the one change a new catalogue must never make
quietly: a task that was registered-nurse only becoming one a care worker may do.
"""

from __future__ import annotations

import re
from collections.abc import Iterable, Mapping
from typing import Any, Final

from scp_common.framework.versions import MAX_CATALOGUE_VERSION_LENGTH, VERSION_HINT, is_version

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
MAX_CODE_LENGTH: Final = 64
MAX_VERSION_LENGTH: Final = MAX_CATALOGUE_VERSION_LENGTH
MAX_NAME_LENGTH: Final = 200  # task_type.name
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


def task_error(code: str, field: str, problem: str) -> CatalogueError:
    """The error for one field of one task, naming both."""
    return CatalogueError(f"task {code!r}, field {field!r}: {problem}", task_code=code, field=field)


def check_catalogue(data: object) -> None:
    """CatalogueError naming the first rule ``data`` (a decoded catalogue) breaks."""
    if not isinstance(data, dict):
        raise CatalogueError("the task catalogue must be a JSON object")
    version = top_text(data, "catalogue_version")
    if len(version) > MAX_VERSION_LENGTH:
        raise CatalogueError(
            f"catalogue_version {version!r} is longer than {MAX_VERSION_LENGTH} characters"
        )
    if not is_version(version, MAX_VERSION_LENGTH):
        raise CatalogueError(f"catalogue_version {version!r} is not a version: use "
                             f"{VERSION_HINT}")
    categories = _check_categories(data.get("categories"))
    status = _check_tasks(data.get("tasks"), categories)
    _check_look_alikes(data.get("look_alikes", []), status)
    top_text(data, "source")


def top_text(data: Mapping[str, Any], key: str) -> str:
    """A top-level text of the catalogue (its version, its source), non-empty."""
    value = data.get(key)
    if not isinstance(value, str) or not value.strip():
        raise CatalogueError(f"the task catalogue needs a non-empty text {key!r}")
    return value


def _check_categories(raw: object) -> tuple[str, ...]:
    if not isinstance(raw, list) or not raw:
        raise CatalogueError("the task catalogue needs a non-empty 'categories' list")
    seen: list[str] = []
    for index, item in enumerate(raw):
        code = item.get("code") if isinstance(item, dict) else None
        label = item.get("label") if isinstance(item, dict) else None
        if code not in CATEGORY_CODES or not isinstance(label, str) or not label.strip():
            raise CatalogueError(
                f"categories[{index}]: needs a 'code' from {', '.join(CATEGORY_CODES)} "
                f"and a non-empty 'label' (got {item!r})"
            )
        if code in seen:
            raise CatalogueError(f"categories[{index}]: duplicate category code {code!r}")
        seen.append(str(code))
    return tuple(seen)


def _check_tasks(raw: object, categories: tuple[str, ...]) -> dict[str, str]:
    """Every task checked; their typical status by code, in catalogue order."""
    if not isinstance(raw, list) or not raw:
        raise CatalogueError("the task catalogue needs a non-empty 'tasks' list")
    status: dict[str, str] = {}
    for index, item in enumerate(raw):
        code, typical = _check_task(item, index, categories)
        if code in status:
            raise CatalogueError(
                f"task {code!r}, field 'code': duplicate code (each code appears once)",
                task_code=code,
                field="code",
            )
        status[code] = typical
    return status


def _check_task(raw: object, index: int, categories: tuple[str, ...]) -> tuple[str, str]:
    if not isinstance(raw, dict):
        raise CatalogueError(f"tasks[{index}]: each task must be a JSON object")
    code = _task_code(raw, index)
    for name in TASK_FIELDS:
        if name not in raw:
            raise task_error(code, name, "missing field")
    status = _choice(raw, code, "typical_status", STATUSES)
    _text(raw, code, "name")
    if len(raw["name"]) > MAX_NAME_LENGTH:
        raise task_error(code, "name", f"longer than {MAX_NAME_LENGTH} characters")
    _choice(raw, code, "category", categories)
    _delegable_int(raw, code, status, "training_level", TRAINING_LEVELS)
    _delegable_int(raw, code, status, "refresher_months", None)
    _choice(raw, code, "oversight_default", OVERSIGHTS)
    _text(raw, code, "description")
    if raw["notes"] is not None:
        _text(raw, code, "notes")
    return code, status


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


def _text(raw: Mapping[str, Any], code: str, field: str) -> None:
    value = raw[field]
    if not isinstance(value, str) or not value.strip():
        raise task_error(code, field, f"must be non-empty text (got {value!r})")


def _choice(raw: Mapping[str, Any], code: str, field: str, allowed: Iterable[str]) -> str:
    value = raw[field]
    options = tuple(allowed)
    if value not in options:
        kind = "category" if field == "category" else "value"
        raise task_error(
            code, field, f"unknown {kind} {value!r}; expected one of: {', '.join(options)}"
        )
    return str(value)


def _delegable_int(raw: Mapping[str, Any], code: str, status: str, field: str,
                   allowed: tuple[int, ...] | None) -> None:
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
        return
    valid = isinstance(value, int) and not isinstance(value, bool) and value > 0
    if not valid or (allowed is not None and value not in allowed):
        wanted = " or ".join(map(str, allowed)) if allowed else "a whole number of months"
        raise task_error(code, field, f"a delegable (D) task needs {wanted} (got {value!r})")


def _check_look_alikes(raw: object, status: Mapping[str, str]) -> None:
    """``look_alikes``: each a delegable or personal-care ``task``, its ``twins`` (every one
    registered-nurse only) and a non-empty ``how_to_tell``; a pair is named once."""
    if not isinstance(raw, list):
        raise CatalogueError("the task catalogue's 'look_alikes' must be a list")
    pairs: set[tuple[str, str]] = set()
    for index, item in enumerate(raw):
        task, twins = _check_look_alike(item, f"look_alikes[{index}]", status)
        for twin in twins:
            if (task, twin) in pairs:
                raise CatalogueError(f"look_alikes[{index}]: {task!r} and {twin!r} are "
                                     "named as look-alikes more than once")
            pairs.add((task, twin))


def _check_look_alike(item: object, where: str, status: Mapping[str, str]
                      ) -> tuple[str, list[str]]:
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
    return task, twins


def task_statuses(data: Mapping[str, Any]) -> dict[str, str]:
    """Each task's typical status by code, of a catalogue ``check_catalogue`` passed."""
    return {task["code"]: task["typical_status"] for task in data["tasks"]}


def widened(before: Mapping[str, str], after: Mapping[str, str]) -> list[str]:
    """The tasks registered-nurse only in ``before`` that ``after`` lets a care worker do
    (delegable, D, or personal care, PC). Both are typical statuses by task code."""
    return [code for code, status in after.items()
            if status != "RN" and before.get(code) == "RN"]
