"""The framework documents' rules, one set for the laptop and the central store
(scp_common.framework, issue 21): each rule refuses with its own message, the desktop's
loaders and the store's publishing agree on every shipped file and on broken ones, and the
lists both sides keep (outcome codes, the wizard's steps and fields, the activity groups)
are the app's own.

Shown to fail: with ``parse_flow`` going back to checks of its own, a rule added to the
shared module (the review start, a choice without choices) is not applied by the desktop and
``test_desktop_and_store_agree`` fails; with an outcome code added to the desktop's enum
only, ``test_the_outcome_codes_are_the_apps`` fails.
"""

from __future__ import annotations

import copy
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from sqlalchemy import create_engine
from sqlalchemy.orm import Session

from desktop_app.models.delegation import OutcomeCode
from desktop_app.models.task_type import TaskCategory
from desktop_app.services.core.paths import resources_dir
from desktop_app.services.framework.catalogue import CatalogueError, parse_catalogue
from desktop_app.services.framework.flow import FlowError, StepId, newest_flow_file, parse_flow
from desktop_app.services.sync.framework_fetch import refused_words
from scp_common.framework.app_flow import WIZARD_FIELDS, WIZARD_STEPS, check_app_flow
from scp_common.framework.catalogue_rules import CATEGORY_CODES, widened
from scp_common.framework.documents import (
    DocumentError,
    check_document,
    check_release,
    decode,
    sha256_text,
)
from scp_common.framework.outcomes import OUTCOME_CODES
from scp_common.framework.versions import is_version, newest, same_version, version_key
from sync_server import framework as store_framework
from sync_server.config import FRAMEWORK_RESOURCES_ENV
from sync_server.models import Base as StoreBase

HAZARD = "H-046"
FLOWS = sorted((resources_dir() / "flows").glob("delegation_flow_*.json"))
CATALOGUE = resources_dir() / "task_catalogue.json"
Doc = dict[str, Any]


def shipped_flow() -> Doc:
    data: Doc = json.loads(newest_flow_file().read_text(encoding="utf-8"))
    return data


def shipped_catalogue() -> Doc:
    data: Doc = json.loads(CATALOGUE.read_text(encoding="utf-8"))
    return data


def broken(doc: Doc, change: Callable[[Doc], object]) -> Doc:
    copied = copy.deepcopy(doc)
    change(copied)
    return copied


def branch(doc: Doc, step: str, index: int = 0) -> dict[str, Any]:
    found: dict[str, Any] = doc["steps"][step]["branches"][index]
    return found


def task(doc: Doc, status: str) -> dict[str, Any]:
    found: dict[str, Any] = next(t for t in doc["tasks"] if t["typical_status"] == status)
    return found


def store_refusal(kind: str, doc: Doc | bytes) -> str | None:
    """What the store says of ``doc`` (None: it would publish it)."""
    raw = doc if isinstance(doc, bytes) else json.dumps(doc).encode()
    try:
        store_framework._check(kind, raw)
    except store_framework.PublishRefused as refused:
        return refused.message
    return None


def desktop_refusal(kind: str, doc: Doc) -> str | None:
    """What the desktop's loader says of ``doc`` (None: it loads it)."""
    try:
        parse_flow(doc) if kind == "flow" else parse_catalogue(doc)
    except (FlowError, CatalogueError) as err:
        return str(err)
    return None


# ------------------------------------------------------------------ each rule, its message


FLOW_RULES: list[tuple[str, Callable[[Doc], object], str]] = [
    ("a goto to no step", lambda d: branch(d, "S4").update(goto="S99"),
     "S4: goes to unknown step S99"),
    ("an unknown outcome", lambda d: branch(d, "S2").update(outcome="MAYBE", goto=None),
     "S2: unknown outcome code MAYBE"),
    ("two targets", lambda d: branch(d, "S4").update(outcome="NOT_DELEGATED"),
     "S4: each branch needs exactly one of goto/outcome/error"),
    ("no branches", lambda d: d["steps"]["S5"].update(branches=[]),
     "S5: a step needs at least one branch"),
    ("an unknown field type", lambda d: d["steps"]["S2"]["fields"]["checklist_date"].update(
        type="colour"), "S2.checklist_date: unknown field type colour"),
    ("a reference to no field", lambda d: branch(d, "S4")["when"].update({"S4.colour": True}),
     "S4: refers to unknown field S4.colour"),
    ("a reference to no step or fact", lambda d: branch(d, "S4")["when"].update(
        {"S12.stable": True}), "S4: refers to S12.stable: unknown step or fact"),
    ("no steps", lambda d: d.pop("steps"), "flow file lacks 'steps'"),
    ("no start", lambda d: d.pop("start"), "flow file lacks 'start'"),
    ("a start that is no step", lambda d: d.update(start="S0"), "start step S0 is missing"),
    ("a review start that is no step", lambda d: d.update(review_start="S12"),
     "review start step S12 is missing"),
    ("a version that is not one", lambda d: d.update(flow_version="next"),
     "flow_version 'next' is not a version: use numbers joined by dots, such as 2026.3, "
     "optionally followed by a hyphen and a word, such as 2026.3-draft"),
    ("a version too long", lambda d: d.update(flow_version="2026." + "1" * 40),
     f"flow_version '2026.{'1' * 40}' is longer than 40 characters"),
    ("steps as a list", lambda d: d.update(steps=[]),
     "the flow's 'steps' must be a JSON object of steps by their id"),
    ("a step that is not an object", lambda d: d["steps"].update(S3="ask"),
     "S3: a step must be a JSON object"),
    ("a step without its question", lambda d: d["steps"]["S3"].pop("question"),
     "S3: the step lacks 'question'"),
    ("a choice without choices", lambda d: d["steps"]["S6"]["fields"]["how"].pop("choices"),
     "S6.how: a choice field needs its list of choices"),
    ("requires as text", lambda d: branch(d, "S4").update(requires="S4.stable"),
     "S4: a branch's 'requires' must be a list of fields"),
    ("a proposed outcome that is no code", lambda d: next(
        b for b in d["steps"]["S9"]["branches"] if "set" in b)["set"].update(
        proposed_outcome="DELEGATED_SOMEHOW"),
     "S9: sets proposed_outcome to 'DELEGATED_SOMEHOW', which is not an outcome code (step "
     "S10 records it as the outcome)"),
]

APP_RULES: list[tuple[str, Callable[[Doc], object], str]] = [
    ("a step the wizard has no page for", lambda d: d["steps"].update(
        S12=copy.deepcopy(d["steps"]["S5"])),
     "S12: the app has no page for this step; that needs a new version of the app, not a new "
     "flow version"),
    ("a wizard step missing", lambda d: (d["steps"].pop("S9F"), [
        b.update(goto="S10") for b in d["steps"]["S9"]["branches"] if b.get("goto") == "S9F"]),
     "S9F: this flow lacks the step; the app's wizard asks every step from S1 to S11"),
    ("a field no page asks", lambda d: d["steps"]["S4"]["fields"].update(
        colour={"type": "text"}),
     "S4.colour: the app's page for S4 does not ask this field; that needs a new version of "
     "the app, not a new flow version"),
    ("a field of another type", lambda d: d["steps"]["S4"]["fields"]["stable"].update(
        type="text"), "S4.stable: the app's page asks it as bool, not text"),
    ("other choices", lambda d: d["steps"]["S6"]["fields"]["how"].update(
        choices=["verbal", "telepathy"]),
     "S6.how: the app's page offers the choices verbal, written, other; other choices need a "
     "new version of the app"),
    ("another start", lambda d: d.update(start="S2"), "the flow must start at S1, not S2"),
    ("a loop", lambda d: branch(d, "S5").update(goto="S2"),
     "S5: goes back to S2, so the flow loops"),
]

CATALOGUE_RULES: list[tuple[str, Callable[[Doc], object], str]] = [
    ("a training level of 3", lambda d: task(d, "D").update(training_level=3),
     "field 'training_level': a delegable (D) task needs 1 or 2 (got 3)"),
    ("an RN task with a training level", lambda d: task(d, "RN").update(training_level=1),
     "field 'training_level': a RN task must not have a training_level (got 1)"),
    ("an unknown category", lambda d: task(d, "D").update(category="magic"),
     "field 'category': unknown category 'magic'"),
    ("an unknown status", lambda d: task(d, "D").update(typical_status="X"),
     "field 'typical_status': unknown value 'X'; expected one of: PC, D, RN"),
    ("a missing field", lambda d: task(d, "PC").pop("description"),
     "field 'description': missing field"),
    ("a duplicate code", lambda d: d["tasks"].append(copy.deepcopy(d["tasks"][0])),
     "field 'code': duplicate code (each code appears once)"),
    ("a version that is not one", lambda d: d.update(catalogue_version="spring"),
     "catalogue_version 'spring' is not a version"),
    ("a version too long", lambda d: d.update(catalogue_version="2026." + "1" * 20),
     "is longer than 20 characters"),
    ("a twin that is not RN", lambda d: d["look_alikes"][0].update(
        twins=[task(d, "D")["code"]]), "is not registered-nurse only"),
    ("no source", lambda d: d.pop("source"), "the task catalogue needs a non-empty text "
     "'source'"),
]


@pytest.mark.hazard(HAZARD)
@pytest.mark.hazard("H-001")
@pytest.mark.parametrize(("change", "message"), [r[1:] for r in FLOW_RULES],
                         ids=[r[0] for r in FLOW_RULES])
def test_each_flow_rule_refuses_with_its_message(change: Callable[[Doc], object],
                                                 message: str) -> None:
    doc = broken(shipped_flow(), change)
    assert desktop_refusal("flow", doc) == message
    assert store_refusal("flow", doc) == message


@pytest.mark.hazard(HAZARD)
@pytest.mark.parametrize(("change", "message"), [r[1:] for r in APP_RULES],
                         ids=[r[0] for r in APP_RULES])
def test_a_flow_the_wizard_cannot_show_is_refused_by_the_store_and_by_the_laptop(
        change: Callable[[Doc], object], message: str) -> None:
    doc = broken(shipped_flow(), change)
    assert store_refusal("flow", doc) == message
    content = json.dumps(doc)
    with pytest.raises(DocumentError) as refused:
        check_release("flow", doc["flow_version"], content, sha256_text(content))
    assert str(refused.value) == message


@pytest.mark.hazard(HAZARD)
@pytest.mark.parametrize(("change", "words"), [r[1:] for r in CATALOGUE_RULES],
                         ids=[r[0] for r in CATALOGUE_RULES])
def test_each_catalogue_rule_refuses_with_its_message(change: Callable[[Doc], object],
                                                      words: str) -> None:
    doc = broken(shipped_catalogue(), change)
    desktop, store = desktop_refusal("catalogue", doc), store_refusal("catalogue", doc)
    assert desktop is not None and words in desktop
    assert store == desktop


# ------------------------------------------------------------------ both sides agree


@pytest.mark.hazard(HAZARD)
@pytest.mark.parametrize("path", [*FLOWS, CATALOGUE], ids=lambda p: Path(p).name)
def test_desktop_and_store_agree_on_every_shipped_file(path: Path) -> None:
    kind = "flow" if path.parent.name == "flows" else "catalogue"
    raw = path.read_bytes()
    doc = json.loads(raw)
    assert desktop_refusal(kind, doc) is None
    assert store_refusal(kind, raw) is None
    checked = check_document(kind, raw)
    assert checked.sha256 == sha256_text(raw.decode()) and checked.content == raw.decode()
    if kind == "flow":  # every shipped flow is one the wizard shows
        check_app_flow(doc)
        assert path.stem.removeprefix("delegation_flow_") == doc["flow_version"].split("-")[0]


def test_the_outcome_codes_are_the_apps() -> None:
    assert set(OUTCOME_CODES) == {code.value for code in OutcomeCode}
    assert len(OUTCOME_CODES) == len(set(OUTCOME_CODES))


def test_the_wizard_steps_and_fields_are_the_newest_shipped_flows() -> None:
    assert list(WIZARD_STEPS) == [step.value for step in StepId]
    newest_doc = shipped_flow()
    assert {sid: {name: (spec["type"], tuple(spec.get("choices", ())))
                  for name, spec in step["fields"].items()}
            for sid, step in newest_doc["steps"].items()} == {
        sid: dict(fields) for sid, fields in WIZARD_FIELDS.items()}
    for path in FLOWS:  # an older shipped flow asks a part of them
        for sid, step in json.loads(path.read_text())["steps"].items():
            assert set(step["fields"]) <= set(WIZARD_FIELDS[sid])


def test_the_activity_groups_are_the_apps() -> None:
    assert set(CATEGORY_CODES) == {category.value for category in TaskCategory}


# ------------------------------------------------------------------ documents and versions


@pytest.mark.parametrize(("raw", "message"), [
    (b'{"a": 1,\n "b": }', "The file is not valid JSON: Expecting value at line 2, column 7."),
    (b'{"a": "x', "The file is not valid JSON: Unterminated string starting at line 1, "
                 "column 7."),
    (b'{"a": 1, "a": 2}', "The file gives 'a' twice in one JSON object; each name may appear "
                          "once there."),
    (b'{"a": NaN}', "The file holds NaN, which is not a number JSON allows."),
    (b'{"a": "\xff"}', "The file is not UTF-8 text (byte 8 cannot be read); save it as UTF-8 "
                       "and upload it again."),
    (b"  ", "The file is empty."),
    (b"[" * 100_000, "The file is not valid JSON: it is nested too deeply."),
])
def test_a_document_that_cannot_be_read_says_where(raw: bytes, message: str) -> None:
    with pytest.raises(DocumentError) as refused:
        decode(raw)
    assert str(refused.value) == message


def test_a_document_saved_with_a_byte_order_mark_is_read_and_kept_as_it_was() -> None:
    raw = "\ufeff".encode() + CATALOGUE.read_bytes()
    checked = check_document("catalogue", raw)
    assert checked.content.startswith("\ufeff") and checked.version == "2026.2"


@pytest.mark.hazard(HAZARD)
def test_a_release_must_match_its_fingerprint_and_its_name() -> None:
    content = CATALOGUE.read_text(encoding="utf-8")
    check_release("catalogue", "2026.2", content, sha256_text(content))
    with pytest.raises(DocumentError, match="does not match its fingerprint"):
        check_release("catalogue", "2026.2", content + " ", sha256_text(content))
    with pytest.raises(DocumentError, match="sent as version 2026.3 calls itself 2026.2"):
        check_release("catalogue", "2026.3", content, sha256_text(content))
    assert refused_words("flow", "2026.3-draft", "It broke.") == (
        "The delegation flow 2026.3 from the central store was not used: It broke. The app "
        "goes on with the versions it has; tell your IT service desk.")


@pytest.mark.hazard("H-018")
def test_versions_go_by_their_numbers() -> None:
    assert version_key("2026.10") > version_key("2026.9") > version_key("2026.2-reconstructed")
    assert newest(["2026.9", "2026.10", "2026.2"]) == "2026.10"
    assert same_version("2026.3", "2026.3-draft") and not same_version("2026.3", "2026.3.1")
    for good in ("2026.3", "1", "2026.2-reconstructed", "2027.1-test"):
        assert is_version(good)
    for bad in ("", "v2026", "2026.", ".3", "2026.3-", "2026,3", "2026.3 draft", None, 2026):
        assert not is_version(bad)


@pytest.mark.hazard(HAZARD)
@pytest.mark.hazard("H-002")
def test_a_nurse_only_task_made_delegable_is_found() -> None:
    before = {"iv_drugs": "RN", "eye_drops": "D", "prompting": "PC"}
    assert widened(before, {"iv_drugs": "D", "eye_drops": "D", "prompting": "PC"}) == [
        "iv_drugs"]
    assert widened(before, {"iv_drugs": "PC", "new_task": "D"}) == ["iv_drugs"]
    assert widened(before, {"iv_drugs": "RN", "eye_drops": "RN"}) == []


# ------------------------------------------------------------------ the store's shipped list


def test_the_store_reads_the_shipped_versions_from_the_apps_resources(
        tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """The checkout's resources by default; ``SCP_STORE_RESOURCES`` names another app
    release's; a folder without them leaves only the published versions to compare with
    (the console says so). Publishing on the SQLite trial, as the store does it."""
    assert store_framework.resources_folder() == resources_dir()
    monkeypatch.setenv(FRAMEWORK_RESOURCES_ENV, str(tmp_path))
    assert store_framework.resources_folder() is None
    (tmp_path / "flows").mkdir()
    later = broken(shipped_flow(), lambda d: d.update(flow_version="2026.5"))
    (tmp_path / "flows" / "delegation_flow_2026.5.json").write_text(json.dumps(later))
    (tmp_path / "task_catalogue.json").write_bytes(CATALOGUE.read_bytes())
    assert store_framework.resources_folder() == tmp_path
    assert [(s.kind, s.version) for s in store_framework.shipped(tmp_path)] == [
        ("flow", "2026.5"), ("catalogue", "2026.2")]

    engine = create_engine("sqlite://")
    StoreBase.metadata.create_all(engine)
    cli = store_framework.Publisher("cli", None, "tester")
    with Session(engine) as db, db.begin():
        newer = broken(shipped_flow(), lambda d: d.update(flow_version="2026.4"))
        with pytest.raises(store_framework.PublishRefused, match="version 2026.4 is not newer "
                                                                 "than 2026.5"):
            store_framework.publish(db, "flow", json.dumps(newer), cli, folder=tmp_path)
        done = store_framework.publish(db, "flow", json.dumps(newer), cli,
                                       folder=resources_dir())
        assert (done.release.version, done.already) == ("2026.4", False)
    engine.dispose()
