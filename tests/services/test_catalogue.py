"""Tests of the task catalogue: the shipped file, its validation and its copy in the database."""

from __future__ import annotations

import copy
import json
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine, func, select
from sqlalchemy.orm import Session

from desktop_app.models.task_type import OversightDefault, TaskCategory, TaskType, TypicalStatus
from desktop_app.services.framework.catalogue import (
    CATEGORY_CODES,
    OVERSIGHTS,
    STATUSES,
    Catalogue,
    CatalogueError,
    default_catalogue_path,
    load_catalogue,
)
from desktop_app.services.vault.task_types import sync_catalogue_to_db

# Every task of framework.md section 3, with the status the framework gives it.
EXPECTED_STATUS = {
    # PC: prompting or giving oral medicines from packs; creams on intact skin; catheter bag
    # emptying and changing; pressure-area repositioning and skin checks.
    "medication_prompt": "PC",
    "oral_medicines_from_packs": "PC",
    "topical_cream_intact_skin": "PC",
    "catheter_bag_emptying": "PC",
    "catheter_bag_change": "PC",
    "pressure_area_repositioning": "PC",
    "skin_integrity_check": "PC",
    # D
    "eye_drops": "D",
    "ear_drops": "D",
    "inhaler": "D",
    "insulin_prefilled_pen": "D",
    "blood_glucose_finger_prick": "D",
    "peg_feed": "D",
    "peg_medicines": "D",
    "stoma_bag_change": "D",
    "dry_dressing_replacement": "D",
    "compression_hosiery": "D",
    "oxygen_therapy": "D",
    "nebuliser": "D",
    "laxative_suppository": "D",
    "epilepsy_rescue_medicine": "D",
    "vital_signs_monitoring": "D",
    "catheter_specimen": "D",
    "prescribed_exercise_programme": "D",
    # RN
    "iv_drugs": "RN",
    "iv_cannula_care": "RN",
    "intramuscular_injection": "RN",
    "syringe_driver": "RN",
    "urinary_catheter_insertion": "RN",
    "urinary_catheter_removal": "RN",
    "catheter_washout": "RN",
    "complex_wound_dressing": "RN",
    "wound_assessment": "RN",
    "nasogastric_tube": "RN",
    "medication_dose_adjustment": "RN",
}

# The framework text's own registered-nurse-only examples (Part A, "Delegation and funding").
FRAMEWORK_RN_ONLY = (
    "iv_drugs",
    "syringe_driver",
    "urinary_catheter_insertion",
    "urinary_catheter_removal",
    "complex_wound_dressing",
)


@pytest.fixture(scope="module")
def shipped() -> Catalogue:
    return load_catalogue()


@pytest.fixture
def raw() -> dict[str, Any]:
    """A fresh, editable copy of the shipped catalogue JSON."""
    data: dict[str, Any] = json.loads(default_catalogue_path().read_text(encoding="utf-8"))
    return data


def write(tmp_path: Path, data: object) -> Path:
    path = tmp_path / "task_catalogue.json"
    path.write_text(json.dumps(data), encoding="utf-8")
    return path


def task(data: dict[str, Any], code: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in data["tasks"] if t["code"] == code)
    return found


# --- the shipped catalogue ---------------------------------------------------------------


def test_shipped_catalogue_loads(shipped: Catalogue) -> None:
    # 2026.2 added the registered-nurse-only look-alikes; its tasks are 2026.1's unchanged.
    assert shipped.version == "2026.2"
    assert "governance" in shipped.source or "IPCB" in shipped.source
    assert [cat.code for cat in shipped.categories] == list(CATEGORY_CODES)
    assert all(t.catalogue_version == "2026.2" for t in shipped.tasks)


@pytest.mark.hazard("H-002")
def test_every_framework_task_has_its_status(shipped: Catalogue) -> None:
    for code, status in EXPECTED_STATUS.items():
        assert shipped.get(code).typical_status == status, code
    assert set(shipped.codes) == set(EXPECTED_STATUS)


@pytest.mark.hazard("H-002")
@pytest.mark.parametrize("code", FRAMEWORK_RN_ONLY)
def test_framework_named_tasks_are_registered_nurse_only(shipped: Catalogue, code: str) -> None:
    assert shipped.is_registered_nurse_only(code)
    info = shipped.get(code)
    assert info.training_level is None and info.refresher_months is None
    assert info.notes and "framework" in info.notes.lower()


@pytest.mark.parametrize("code", ["eye_drops", "ear_drops", "inhaler"])
def test_drops_and_inhalers_are_delegable_with_primary_care_oversight(
    shipped: Catalogue, code: str
) -> None:
    info = shipped.get(code)
    assert info.typical_status == "D" and info.is_delegable
    assert info.oversight_default == "primary_care"
    assert info.training_level == 1
    assert not shipped.is_registered_nurse_only(code)


def test_medication_prompt_sits_with_primary_care(shipped: Catalogue) -> None:
    assert shipped.get("medication_prompt").oversight_default == "primary_care"


@pytest.mark.hazard("H-005")
def test_training_and_refresher_follow_status(shipped: Catalogue) -> None:
    for info in shipped.tasks:
        if info.typical_status == "D":
            assert info.training_level in (1, 2), info.code
            assert info.refresher_months == 12, info.code
        else:
            assert info.training_level is None and info.refresher_months is None, info.code


def test_by_category(shipped: Catalogue) -> None:
    airways = shipped.by_category("airways_breathing")
    assert {t.code for t in airways} == {"oxygen_therapy", "nebuliser"}
    assert shipped.by_category("other") == ()
    with pytest.raises(KeyError, match="no category 'eyes'"):
        shipped.by_category("eyes")


def test_unknown_code_gives_clear_key_error(shipped: Catalogue) -> None:
    with pytest.raises(KeyError) as info:
        shipped.get("levitation")
    assert str(info.value) == (
        f"no task 'levitation' in task catalogue version {shipped.version}")
    with pytest.raises(KeyError):
        shipped.is_registered_nurse_only("levitation")


def test_catalogue_values_match_the_model_enums() -> None:
    assert set(CATEGORY_CODES) == {c.value for c in TaskCategory}
    assert set(STATUSES) == {s.value for s in TypicalStatus}
    assert set(OVERSIGHTS) == {o.value for o in OversightDefault}


# --- validation -------------------------------------------------------------------------

Mutation = Callable[[dict[str, Any]], None]


def _set(code: str, field: str, value: object) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        task(data, code)[field] = value

    return mutate


def _drop(code: str, field: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        del task(data, code)[field]

    return mutate


def _duplicate(code: str) -> Mutation:
    def mutate(data: dict[str, Any]) -> None:
        data["tasks"].append(copy.deepcopy(task(data, code)))

    return mutate


@pytest.mark.parametrize(
    ("mutate", "code", "field", "words"),
    [
        (
            _set("nebuliser", "category", "lungs"),
            "nebuliser",
            "category",
            "unknown category 'lungs'",
        ),
        (_set("nebuliser", "typical_status", "X"), "nebuliser", "typical_status", "unknown value"),
        (_set("nebuliser", "training_level", None), "nebuliser", "training_level", "needs 1 or 2"),
        (_set("nebuliser", "training_level", 3), "nebuliser", "training_level", "needs 1 or 2"),
        (_set("iv_drugs", "training_level", 2), "iv_drugs", "training_level", "RN task must not"),
        (
            _set("medication_prompt", "training_level", 1),
            "medication_prompt",
            "training_level",
            "PC task must not",
        ),
        (_set("nebuliser", "refresher_months", None), "nebuliser", "refresher_months", "needs"),
        (_set("iv_drugs", "refresher_months", 12), "iv_drugs", "refresher_months", "must not"),
        (
            _set("nebuliser", "oversight_default", "gp"),
            "nebuliser",
            "oversight_default",
            "unknown value 'gp'",
        ),
        (_set("nebuliser", "name", ""), "nebuliser", "name", "non-empty text"),
        (_duplicate("nebuliser"), "nebuliser", "code", "duplicate code"),
        (_drop("nebuliser", "description"), "nebuliser", "description", "missing field"),
        (_drop("nebuliser", "notes"), "nebuliser", "notes", "missing field"),
    ],
)
def test_validation_errors_name_task_and_field(
    tmp_path: Path, raw: dict[str, Any], mutate: Mutation, code: str, field: str, words: str
) -> None:
    mutate(raw)
    with pytest.raises(CatalogueError) as info:
        load_catalogue(write(tmp_path, raw))
    message = str(info.value)
    assert f"task '{code}'" in message and f"field '{field}'" in message
    assert words in message
    assert info.value.task_code == code and info.value.field == field
    assert isinstance(info.value, ValueError)


def test_missing_code_names_the_position(tmp_path: Path, raw: dict[str, Any]) -> None:
    del raw["tasks"][2]["code"]
    with pytest.raises(CatalogueError, match=r"tasks\[2\], field 'code': missing field"):
        load_catalogue(write(tmp_path, raw))


def test_bad_code_is_refused(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["tasks"][0]["code"] = "Eye Drops"
    with pytest.raises(CatalogueError, match="not a snake_case code"):
        load_catalogue(write(tmp_path, raw))


def test_missing_version_is_refused(tmp_path: Path, raw: dict[str, Any]) -> None:
    del raw["catalogue_version"]
    with pytest.raises(CatalogueError, match="catalogue_version"):
        load_catalogue(write(tmp_path, raw))


def test_unknown_category_group_is_refused(tmp_path: Path, raw: dict[str, Any]) -> None:
    raw["categories"].append({"code": "magic", "label": "Magic"})
    with pytest.raises(CatalogueError, match=r"categories\[8\]"):
        load_catalogue(write(tmp_path, raw))


def test_broken_json_and_missing_file(tmp_path: Path) -> None:
    bad = tmp_path / "bad.json"
    bad.write_text("{not json", encoding="utf-8")
    with pytest.raises(CatalogueError, match="not valid JSON"):
        load_catalogue(bad)
    with pytest.raises(CatalogueError, match="cannot read"):
        load_catalogue(tmp_path / "absent.json")


# --- database ---------------------------------------------------------------------------


@pytest.fixture
def session() -> Iterator[Session]:
    engine = create_engine("sqlite://")
    TaskType.metadata.create_all(engine, tables=[TaskType.__table__])
    with Session(engine) as db:
        yield db
    engine.dispose()


def _rows(session: Session, version: str | None = None) -> int:
    query = select(func.count()).select_from(TaskType)
    if version is not None:
        query = query.where(TaskType.catalogue_version == version)
    return int(session.scalar(query) or 0)


def _version(tmp_path: Path, raw: dict[str, Any], version: str) -> Catalogue:
    raw["catalogue_version"] = version
    return load_catalogue(write(tmp_path, raw))


def test_sync_inserts_every_task(session: Session, shipped: Catalogue) -> None:
    assert sync_catalogue_to_db(session, shipped) == len(shipped.tasks)
    session.commit()
    row = session.get(TaskType, ("eye_drops", shipped.version))
    assert row is not None
    assert (row.typical_status, row.training_level, row.oversight_default) == (
        "D",
        1,
        "primary_care",
    )
    assert _rows(session) == len(shipped.tasks)


def test_sync_is_idempotent(session: Session, shipped: Catalogue) -> None:
    sync_catalogue_to_db(session, shipped)
    session.commit()
    assert sync_catalogue_to_db(session, shipped) == 0
    assert _rows(session) == len(shipped.tasks)


@pytest.mark.hazard("H-018")
def test_sync_keeps_older_versions(
    session: Session, shipped: Catalogue, tmp_path: Path, raw: dict[str, Any]
) -> None:
    sync_catalogue_to_db(session, shipped)
    task(raw, "nebuliser")["notes"] = "Revised wording."
    newer = _version(tmp_path, raw, "2099.1")  # any version after the shipped one
    assert sync_catalogue_to_db(session, newer) == len(newer.tasks)
    session.commit()
    assert _rows(session, shipped.version) == _rows(session, "2099.1") == len(shipped.tasks)


@pytest.mark.hazard("H-018")
def test_sync_refuses_a_changed_published_version(
    session: Session, shipped: Catalogue, tmp_path: Path, raw: dict[str, Any]
) -> None:
    sync_catalogue_to_db(session, shipped)
    session.commit()
    task(raw, "nebuliser")["training_level"] = 1
    changed = load_catalogue(write(tmp_path, raw))
    with pytest.raises(CatalogueError) as info:
        sync_catalogue_to_db(session, changed)
    assert info.value.task_code == "nebuliser" and info.value.field == "training_level"
    assert "cannot change" in str(info.value)


@pytest.mark.hazard("H-018")
def test_sync_refuses_tasks_added_to_a_published_version(
    session: Session, shipped: Catalogue, tmp_path: Path, raw: dict[str, Any]
) -> None:
    sync_catalogue_to_db(session, shipped)
    session.commit()
    extra = copy.deepcopy(task(raw, "nebuliser"))
    extra["code"] = "nebuliser_spare"
    raw["tasks"].append(extra)
    with pytest.raises(CatalogueError, match="added: \\['nebuliser_spare'\\]"):
        sync_catalogue_to_db(session, load_catalogue(write(tmp_path, raw)))
    assert _rows(session) == len(shipped.tasks)
