"""The hazard log (docs/clinical-safety/hazard-log.yaml) and the tests that verify it.

- The log follows DCB0129's rules as tools/hazard_log.py states them: at least 25 hazards,
  each with causes, effect, harm, an initial and a residual rating on the 5 × 5 matrix
  (the residual no higher, never above 3, and a 3 only with the CSO's note), controls.
- Every hazard has at least one test marked ``@pytest.mark.hazard("H-nnn")`` in
  ``make test`` (slow-only tests do not count), and no marker names a hazard the log lacks:
  the suite is collected for real by pytest (on ``make test``, the run's own collection,
  which conftest records before any filter; run alone or on part of the suite, a
  ``--collect-only`` in a subprocess), so removing the marker from the only test of a
  hazard fails ``test_every_hazard_has_a_test_and_every_marker_a_hazard``.
- hazard-log.md is what ``make hazard-log`` makes from the YAML and the markers now.
- A run of the whole suite fails if a hazard's tests were all skipped (conftest's
  ``pytest_sessionfinish``); its rule is ``hazards_without_passing``, tested here.
- Every file, function and class a hazard's references name exists where it says: a
  control moved or renamed in a restructuring keeps the log true.

The checkers themselves are tested on small made-up logs, so each of these can fail.
"""

from __future__ import annotations

import copy
from typing import Any

import pytest

from tools import hazard_log
from tools.hazard_log import (
    RISK,
    HazardLog,
    HazardLogError,
    MarkerMap,
    coverage_problems,
    hazards_without_passing,
    parse_log,
    reference_problems,
    stale_references,
)

MIN_HAZARDS = 25


@pytest.fixture(scope="module")
def log() -> HazardLog:
    return hazard_log.load_log()


@pytest.fixture(scope="module")
def markers(collected_hazard_markers: MarkerMap | None) -> MarkerMap:
    """The whole suite's hazard markers, from pytest's own collection: this run's when it
    collected the whole suite, else a second collection in a subprocess (~20 s)."""
    if collected_hazard_markers is not None:
        return collected_hazard_markers
    return hazard_log.collect_tests()


def hazard(hazard_id: str = "H-001", **changes: Any) -> dict[str, Any]:
    raw: dict[str, Any] = {
        "id": hazard_id, "title": "A made-up hazard", "causes": ["a cause"],
        "effect": "an effect", "harm": "a harm",
        "initial": {"severity": 4, "likelihood": 3},
        "controls": [{"text": "a control", "kind": "design"}],
        "residual": {"severity": 4, "likelihood": 1},
    }
    raw.update(changes)
    return raw


def made_up(*hazards: dict[str, Any]) -> HazardLog:
    return parse_log({"version": "t", "system": "test", "hazards": list(hazards)})


# ---------------------------------------------------------------- the log itself


def test_the_log_has_every_part_dcb0129_asks_for(log: HazardLog) -> None:
    assert len(log.hazards) >= MIN_HAZARDS
    for h in log.hazards:
        assert h.causes and h.controls and h.effect and h.harm, h.id
        assert h.residual.risk <= h.initial.risk <= 5, h.id
        assert h.residual.risk <= hazard_log.MAX_RELEASE_RATING, h.id


def test_the_issue_13_hazards_are_in_the_log(log: HazardLog) -> None:
    titles = {h.id: h.title.lower() for h in log.hazards}
    for hazard_id, word in (("H-002", "registered-nurse"), ("H-005", "competency"),
                            ("H-008", "withdrawn"), ("H-010", "review"), ("H-011", "funder"),
                            ("H-016", "crash"), ("H-019", "laptop"), ("H-020", "date")):
        assert word in titles[hazard_id], (hazard_id, titles.get(hazard_id))


@pytest.mark.parametrize("changes, message", [
    ({"residual": {"severity": 5, "likelihood": 4}}, "above the initial"),
    ({"initial": {"severity": 5, "likelihood": 5}, "residual": {"severity": 5,
                                                                "likelihood": 3}},
     "unacceptable"),
    ({"residual": {"severity": 4, "likelihood": 2}}, "cso_note"),
    ({"initial": {"severity": 6, "likelihood": 1}}, "severity must be"),
    ({"controls": []}, "at least one control"),
    ({"controls": [{"text": "x", "kind": "hope"}]}, "kind must be"),
    ({"causes": "just text"}, "list of texts"),
    ({"id": "H-12"}, "look like H-012"),
])
def test_a_log_breaking_a_rule_is_refused(changes: dict[str, Any], message: str) -> None:
    with pytest.raises(HazardLogError, match=message):
        made_up(hazard(**changes))


def test_duplicate_missing_and_unordered_hazards_are_refused() -> None:
    with pytest.raises(HazardLogError, match="duplicate"):
        made_up(hazard("H-001"), hazard("H-001"))
    with pytest.raises(HazardLogError, match="id order"):
        made_up(hazard("H-002"), hazard("H-001"))
    incomplete = hazard()
    del incomplete["harm"]
    with pytest.raises(HazardLogError, match="missing harm"):
        made_up(incomplete)


def test_the_matrix_never_rates_a_worse_case_lower() -> None:
    for likelihood in range(1, 6):
        for severity in range(1, 6):
            here = RISK[likelihood][severity]
            assert here <= RISK[min(likelihood + 1, 5)][severity]
            assert here <= RISK[likelihood][min(severity + 1, 5)]
    assert RISK[1][1] == 1 and RISK[5][5] == 5 and RISK[4][4] == 4


# ---------------------------------------------------------------- the log against the tests


def test_every_hazard_has_a_test_and_every_marker_a_hazard(log: HazardLog,
                                                           markers: MarkerMap) -> None:
    assert coverage_problems(log, markers) == []


def test_removing_the_marker_from_the_only_test_of_a_hazard_is_caught(
        log: HazardLog, markers: MarkerMap) -> None:
    """What the check above does when a marker goes: done on the real map, for every
    hazard that has exactly one test."""
    lonely = [h.id for h in log.hazards if len(markers.for_hazard(h.id)) == 1]
    for hazard_id in lonely or [log.hazards[0].id]:
        stripped = MarkerMap({node: tuple(i for i in ids if i != hazard_id)
                            for node, ids in markers.tests.items()}, set(markers.slow))
        assert any(p.startswith(hazard_id) for p in coverage_problems(log, stripped))


def test_the_coverage_check_counts_only_fast_tests_and_known_hazards() -> None:
    log = made_up(hazard("H-001"), hazard("H-002"))
    good = MarkerMap({"t.py::a": ("H-001",), "t.py::b": ("H-002", "H-001")})
    assert coverage_problems(log, good) == []
    slow_only = MarkerMap({"t.py::a": ("H-001",), "t.py::b": ("H-002",)}, {"t.py::b"})
    assert [p[:5] for p in coverage_problems(log, slow_only)] == ["H-002"]
    unknown = MarkerMap({"t.py::a": ("H-001", "H-002", "H-999")})
    assert coverage_problems(log, unknown) == [
        "t.py::a is marked with H-999, which is not in the hazard log"]


def test_a_hazard_whose_tests_were_all_skipped_has_no_passing_test() -> None:
    log = made_up(hazard("H-001"), hazard("H-002"))
    marked = {"t.py::a": ("H-001",), "t.py::b": ("H-002",), "t.py::c": ("H-002",)}
    assert hazards_without_passing(log, marked, {"t.py::a", "t.py::c"}) == []
    assert hazards_without_passing(log, marked, {"t.py::a"}) == ["H-002"]
    assert hazards_without_passing(log, marked, set()) == ["H-001", "H-002"]


def test_the_markdown_is_generated_from_the_log_and_the_markers_as_they_are(
        log: HazardLog, markers: MarkerMap) -> None:
    expected = hazard_log.render_markdown(log, markers)
    assert hazard_log.MD_FILE.read_text(encoding="utf-8") == expected, (
        "docs/clinical-safety/hazard-log.md is out of date: run `make hazard-log`")


def test_the_markdown_lists_each_hazard_with_its_tests() -> None:
    log = made_up(hazard("H-001"), hazard("H-002", residual={"severity": 1,
                                                             "likelihood": 1}))
    text = hazard_log.render_markdown(log, MarkerMap({"tests/x.py::t": ("H-002",)}))
    section = text.split("## H-002")[1]
    assert "`tests/x.py::t`" in section and "Minor × Very low = 1" in section
    assert "| [H-001](#h-001) | A made-up hazard | 3 | 2 | 0 | open |" in text


def test_the_report_prints_each_hazard_with_its_residual_risk_and_test_count() -> None:
    log = made_up(hazard("H-001"), hazard("H-002"))
    lines = hazard_log.report(log, MarkerMap({"a": ("H-001",), "b": ("H-001",)})).splitlines()
    assert lines[1].split()[:4] == ["H-001", "3", "2", "2"]
    assert lines[2].split()[:4] == ["H-002", "3", "2", "0"]


def test_the_yaml_on_disk_is_what_the_parser_reads(log: HazardLog) -> None:
    """Round trip: parse_log on a deep copy of the raw data gives the same log."""
    import yaml
    raw = yaml.safe_load(hazard_log.LOG_FILE.read_text(encoding="utf-8"))
    assert parse_log(copy.deepcopy(raw)) == log


def test_every_reference_names_code_that_is_there(log: HazardLog) -> None:
    assert stale_references(log) == []


@pytest.mark.parametrize(("reference", "problem"), [
    ("desktop_app/services/nowhere.py decide()", "desktop_app/services/nowhere.py does not exist"),
    ("desktop_app/services/delegation/checks.py check_nothing()",
     "check_nothing is not defined in desktop_app/services/delegation/checks.py"),
    ("desktop_app/services/delegation/checks.py check_outcome_safe(), NoSuchClass",
     "NoSuchClass is not defined in desktop_app/services/delegation/checks.py"),
    ("desktop_app/services/vault/keyfile.py, no_such_sibling.py",
     "desktop_app/services/vault/no_such_sibling.py does not exist"),
    ("desktop_app/services/core/tracking.py; desktop_app/ui/idle.py lock_now()",
     "lock_now is not defined in desktop_app/ui/idle.py"),
])
def test_a_reference_to_code_that_is_not_there_is_named(reference: str, problem: str) -> None:
    assert reference_problems(reference) == [problem]


@pytest.mark.parametrize("reference", [
    "desktop_app/services/delegation/checks.py check_outcome_safe(), RN_TASK_OUTCOMES",
    "desktop_app/services/vault/keyfile.py, vault.py, database.py",
    "desktop_app/services/vault/*; desktop_app/services/core/paths.py",
    "resources/task_catalogue.json (look_alikes; notes of the delegable tasks)",
    "desktop_app/services/plans/blocks.py DelegationPart (each delegation's own part)",
])
def test_a_reference_to_code_that_is_there_passes(reference: str) -> None:
    assert reference_problems(reference) == []
