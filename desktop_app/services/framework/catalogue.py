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

import functools
import json
from collections.abc import Mapping
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Final, Literal, cast

from desktop_app.services.core import paths
from desktop_app.services.framework import releases
from scp_common.framework.catalogue_rules import CATEGORY_CODES as CATEGORY_CODES
from scp_common.framework.catalogue_rules import MAX_CODE_LENGTH as MAX_CODE_LENGTH
from scp_common.framework.catalogue_rules import MAX_VERSION_LENGTH as MAX_VERSION_LENGTH
from scp_common.framework.catalogue_rules import OVERSIGHTS as OVERSIGHTS
from scp_common.framework.catalogue_rules import STATUSES as STATUSES
from scp_common.framework.catalogue_rules import TASK_FIELDS as TASK_FIELDS
from scp_common.framework.catalogue_rules import TRAINING_LEVELS as TRAINING_LEVELS
from scp_common.framework.catalogue_rules import CatalogueError as CatalogueError
from scp_common.framework.catalogue_rules import check_catalogue
from scp_common.framework.catalogue_rules import task_error as task_error
from scp_common.framework.versions import newest, version_key

TaskStatus = Literal["PC", "D", "RN"]
Oversight = Literal["community_health", "primary_care"]

CATALOGUE_FILE: Final = "task_catalogue.json"
#: The task code of a delegation case with no catalogue task: a social care need recorded
#: at step S1 as "a social care need, not a healthcare task". ``DelegationCase.task_code``
#: is a non-null column, so "no task" is the empty code, which the parser refuses as a task
#: code (codes are non-empty snake_case), so it can never name a real task; lists show no
#: task name for it (``task_name_sql`` falls back to the empty code). A draft not yet given
#: a task has it too; a *decided* case has it only when S1 recorded a social care need.
NO_TASK_CODE: Final = ""


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
    """Read and validate a catalogue file; without one, the newest catalogue this app holds
    (``current_catalogue``: shipped, or received from the IPCB)."""
    if path is None:
        return current_catalogue()
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except OSError as exc:
        raise CatalogueError(f"cannot read the task catalogue {path}: {exc}") from exc
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        raise CatalogueError(f"the task catalogue {path} is not valid JSON: {exc}") from exc
    return parse_catalogue(data)


def shipped_catalogue() -> Catalogue:
    """The catalogue this app ships (``resources/task_catalogue.json``)."""
    return load_catalogue(default_catalogue_path())


def current_catalogue() -> Catalogue:
    """The newest catalogue by its version numbers, shipped or received (``releases``): the
    one offered for new delegations. Decisions already made read their own version (the
    vault's ``task_type`` keeps every version). Cached until a new version arrives."""
    return _current_catalogue(releases.generation())


@functools.lru_cache(maxsize=2)
def _current_catalogue(_generation: int) -> Catalogue:
    shipped = shipped_catalogue()
    held = releases.received("catalogue")
    received = newest(held)
    if received is None or version_key(received) <= version_key(shipped.version):
        return shipped
    return parse_catalogue(json.loads(held[received]))


def received_catalogues() -> tuple[Catalogue, ...]:
    """Every catalogue received from the IPCB, oldest first."""
    held = releases.received("catalogue")
    return tuple(parse_catalogue(json.loads(held[version]))
                 for version in sorted(held, key=version_key))


def parse_catalogue(data: object) -> Catalogue:
    """Build a ``Catalogue`` from decoded JSON, once it passes every rule of a catalogue
    (``scp_common.framework.catalogue_rules``: the same rules the central store checks)."""
    check_catalogue(data)
    raw = cast(dict[str, Any], data)
    version = str(raw["catalogue_version"])
    categories = tuple(TaskCategory(c["code"], c["label"]) for c in raw["categories"])
    tasks = tuple(_task(t, version) for t in raw["tasks"])
    look_alikes = tuple(LookAlike(p["task"], tuple(p["twins"]), p["how_to_tell"])
                        for p in raw.get("look_alikes", []))
    return Catalogue(version, str(raw["source"]), categories, tasks, look_alikes)


def _task(raw: Mapping[str, Any], version: str) -> TaskTypeInfo:
    return TaskTypeInfo(
        code=raw["code"], catalogue_version=version, name=raw["name"],
        category=raw["category"], typical_status=cast(TaskStatus, raw["typical_status"]),
        training_level=raw["training_level"], refresher_months=raw["refresher_months"],
        oversight_default=cast(Oversight, raw["oversight_default"]),
        description=raw["description"], notes=raw["notes"],
    )
