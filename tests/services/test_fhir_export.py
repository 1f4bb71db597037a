"""The FHIR R4 export of the shared care record (issue 22; ``scp_common.fhir``, gathered on
the laptop by ``services.people.fhir_records``; hazard H-047).

The demo caseload is exported person by person: every resource validates with its
``fhir.resources`` model and is exactly what that model dumps, every reference resolves
inside the person's export, a shared resource is the same for everyone, and only 999 NHS
numbers leave. Two people are built through the services (``tools/sample_case``): one with
several plan versions, named workers, a review done and consent given by their attorney, and
one whose attorney later withdrew consent. The round trip (``scp_common.fhir.read``) reads
an export back with ``fhir.resources`` and compares it field by field with the facts worked
out from the rows; a hypothesis property puts awkward text and missing optional fields
through the mapping.
"""

from __future__ import annotations

import contextlib
import dataclasses
import datetime as dt
import json
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from sqlalchemy import select

from desktop_app.models.person import Contact
from desktop_app.models.review import Review, ReviewOutcome
from desktop_app.services import registers
from desktop_app.services.delegation.ending import end_for_change_of_need, withdraw_consent
from desktop_app.services.people.fhir_records import caseload_ids, person_records
from desktop_app.services.vault import VaultSession, VaultStore
from scp_common.fhir import systems
from scp_common.fhir.build import model_dump, model_of, person_resources
from scp_common.fhir.ndjson import bundle, ndjson_line
from scp_common.fhir.read import PersonFacts, facts_of, read_back
from scp_common.fhir.records import Directory, PersonRecords
from tests.support import TEST_KDF
from tools import sample_case
from tools.sample_case import BuiltCase, CaseSpec, build_case

D = dt.date
AS_OF = D(2027, 2, 20)  # care started on 1 December 2026; the first review is due in March
REVIEWED_ON = D(2027, 2, 16)
ENDED_ON = D(2027, 2, 15)
ATTORNEY = "Siobhán Ní Bhriain"
WITHDRAWN_WHY = "Her daughter said the drops upset her; the nurse gives them from tomorrow"
Resource = dict[str, Any]


# ------------------------------------------------------------------ what the tests read


def references(value: Any) -> Iterator[dict[str, Any]]:
    """Every Reference-shaped object inside a resource (one with reference or identifier
    next to display, or a bare reference)."""
    if isinstance(value, dict):
        if "reference" in value or ("identifier" in value and set(value) <= {
                "identifier", "display", "type"}):
            yield value
        for inner in value.values():
            yield from references(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from references(inner)


def texts_in(value: Any) -> Iterator[str]:
    """Every string value inside a resource."""
    if isinstance(value, str):
        yield value
    elif isinstance(value, dict):
        for inner in value.values():
            yield from texts_in(inner)
    elif isinstance(value, list):
        for inner in value:
            yield from texts_in(inner)


def export_of(vault: VaultSession, person_id: str, as_of: dt.date = AS_OF
              ) -> tuple[PersonRecords, Directory, list[Resource]]:
    """The person's rows, directory and exported resources, as on the given day."""
    with vault.uow.read() as session:
        records, directory = person_records(session, person_id)
    directory = dataclasses.replace(directory, as_of=as_of)
    return records, directory, person_resources(records, directory)


def of_type(resources: list[Resource], kind: str) -> list[Resource]:
    return [r for r in resources if r["resourceType"] == kind]


def assert_same_facts(expected: PersonFacts, found: PersonFacts) -> None:
    """Field by field, so a difference names the field."""
    for field in dataclasses.fields(PersonFacts):
        assert getattr(found, field.name) == getattr(expected, field.name), field.name


# ------------------------------------------------------------------ the demo caseload


@pytest.fixture(scope="module")
def demo_exports(tmp_path_factory: pytest.TempPathFactory
                 ) -> list[tuple[PersonRecords, Directory, list[Resource]]]:
    """Every person of the demo vault ``make run ARGS=--demo`` makes, exported one by one
    (made once for this file)."""
    from desktop_app.services.demo import ensure_demo_vault

    folder = tmp_path_factory.mktemp("demo") / "vault"
    store = VaultStore(folder, kdf_cost=TEST_KDF)
    ensure_demo_vault(store, "Demo Nurse", "demo passphrase 999")
    users = {name: user_id for user_id, name in store.users()}
    session = store.unlock(users["Demo Nurse"], "demo passphrase 999")
    try:
        with session.uow.read() as s:
            ids = caseload_ids(s)
        return [export_of(session, person_id, dt.date.today()) for person_id in ids]
    finally:
        session.close()


@pytest.mark.hazard("H-047")
def test_every_resource_of_the_demo_caseload_validates_as_fhir_r4(demo_exports: Any) -> None:
    kinds: set[str] = set()
    for index, (_records, _directory, resources) in enumerate(demo_exports):
        for resource in resources:
            kinds.add(resource["resourceType"])
            model = model_of(resource["resourceType"])
            assert model.model_validate(resource).id == resource["id"]
            # What the mapping returns is exactly what fhir.resources dumps, key order too.
            assert json.dumps(model_dump(resource)) == json.dumps(resource)
        if index % 10 == 0:  # the laptop's file: a Bundle (validating it validates all again)
            document = bundle(resources, timestamp=dt.datetime(2027, 2, 20, 9, tzinfo=dt.UTC))
            assert [e["resource"] for e in document["entry"]] == resources
    assert kinds == {"Patient", "Organization", "Practitioner", "PractitionerRole",
                     "CareTeam", "CarePlan", "Consent", "Provenance"}


@pytest.mark.hazard("H-047")
def test_every_reference_resolves_inside_the_persons_export(demo_exports: Any) -> None:
    checked = 0
    for _records, _directory, resources in demo_exports:
        held = {(r["resourceType"], r["id"]) for r in resources}
        for resource in resources:
            contained = {f"#{c['id']}" for c in resource.get("contained", [])}
            for reference in references(resource):
                target = reference.get("reference")
                if target is None:  # a logical reference: the identifier says who
                    assert reference["identifier"]["system"] and reference["identifier"]["value"]
                elif target.startswith("#"):
                    assert target in contained
                else:
                    assert tuple(target.split("/")) in held, target
                checked += 1
        # Every resource but a Provenance has one saying who recorded it, when and where.
        targeted = {tuple(t["reference"].split("/")) for p in of_type(resources, "Provenance")
                    for t in p["target"]}
        assert {k for k in held if k[0] != "Provenance"} <= targeted
    assert checked > 5000


def test_a_shared_resource_is_the_same_in_every_persons_export(demo_exports: Any) -> None:
    seen: dict[tuple[str, str], Resource] = {}
    repeated = 0
    for _records, _directory, resources in demo_exports:
        for resource in resources:
            key = (resource["resourceType"], resource["id"])
            if key in seen:
                repeated += 1
                assert seen[key] == resource, key
            seen[key] = resource
    assert repeated > 100  # providers, workers, councils, the ICB, the nurse teams


def test_only_999_nhs_numbers_and_no_equality_data_leave(demo_exports: Any) -> None:
    numbers = [i["value"] for _r, _d, resources in demo_exports
               for p in of_type(resources, "Patient") for i in p["identifier"]
               if i["system"] == systems.NHS_NUMBER]
    assert len(numbers) == len(demo_exports) and all(n.startswith("999") for n in numbers)
    records, directory, _resources = demo_exports[0]
    secret = "Zz-not-for-export"
    person = {**records.person, "communication_needs": secret,
              **{k: f"{secret}-{k}" for k in records.person if k.startswith("eq_")}}
    exported = person_resources(dataclasses.replace(records, person=person), directory)
    assert not [t for r in exported for t in texts_in(r) if secret in t]


# ------------------------------------------------------ people built through the services


@contextlib.contextmanager
def task(code: str) -> Iterator[None]:
    """``tools.sample_case`` delegating another task (its module constant)."""
    before = sample_case.TASK_CODE
    sample_case.TASK_CODE = code
    try:
        yield
    finally:
        sample_case.TASK_CODE = before


def _build(session: VaultSession) -> tuple[BuiltCase, BuiltCase, BuiltCase]:
    """Zoë: eye drops (attorney consents), then compression hosiery (version 2), a review
    of the drops done, the hosiery ended for a change of need (version 3). Alfie: eye drops
    with his attorney's consent, which the attorney withdrew (version 2)."""
    uow = session.uow
    drops = build_case(uow)
    with task("compression_hosiery"):
        hosiery = sample_case.delegate_again(
            uow, drops.person_id, drops.nhs_number,
            CaseSpec(provider_name="Sample Care Services", worker_names=(("Kwame", "Okafor"),),
                     attorney_name="Siobhán Ní Bhriain (2)"))
    with uow.read() as s:
        review_id = s.scalar(select(Review.id).where(Review.delegation_case_id == drops.case_id))
    registers.record_review(uow, str(review_id), REVIEWED_ON, ReviewOutcome.CONTINUE, True,
                            True, False, "Drops going well", REVIEWED_ON)
    end_for_change_of_need(uow, hosiery.case_id, REVIEWED_ON, "Legs healed: hosiery no "
                           "longer needed", REVIEWED_ON)
    alfie = build_case(uow, CaseSpec(serial=8, given_name="Alfie", family_name="O'Brien",
                                     preferred_name=None, provider_name="Example Support",
                                     attorney_name=ATTORNEY))
    with uow.read() as s:
        attorney = s.scalar(select(Contact.id).where(Contact.person_id == alfie.person_id,
                                                     Contact.kind == "lpa_health_welfare"))
    withdraw_consent(uow, alfie.case_id, ENDED_ON, "lpa", "", attorney, "verbal",
                     WITHDRAWN_WHY, ENDED_ON)
    return drops, hosiery, alfie


@pytest.fixture(scope="module")
def template_vault(template_vault: tuple[Path, str, str], template_with: Any
                   ) -> tuple[Path, str, str, tuple[BuiltCase, BuiltCase, BuiltCase]]:
    """The suite's template with both people built through the services (once a file)."""
    return template_with(template_vault, _build)


@pytest.fixture
def built(template_vault: Any, vault: VaultSession) -> tuple[BuiltCase, BuiltCase, BuiltCase]:
    return template_vault[3]


@pytest.mark.hazard("H-047")
def test_a_round_trip_gives_back_the_same_facts_field_by_field(vault: VaultSession,
                                                               built: Any) -> None:
    drops, hosiery, _alfie = built
    records, directory, resources = export_of(vault, drops.person_id)
    expected = facts_of(records, directory)
    found = read_back(json.loads(b"[" + b",".join(ndjson_line(r)[:-1] for r in resources)
                                 + b"]"))
    assert_same_facts(expected, found)
    # What the person's export says, so the comparison cannot pass with nothing in it.
    assert [p.version for p in found.plans] == [1, 2, 3]
    assert [p.status for p in found.plans] == ["revoked", "revoked", "active"]
    assert [p.replaces for p in found.plans] == [None, found.plans[0].plan_id,
                                                found.plans[1].plan_id]
    [newest] = [p for p in found.plans if p.version == 3]
    [running] = newest.activities
    assert (running.case_id, running.status, running.performers) == (
        drops.case_id, "in-progress", drops.worker_ids)
    assert running.what == drops.texts["what_is_delegated"]
    assert running.not_delegated == drops.texts["what_is_not_delegated"]
    assert [(r.kind, r.done_on, r.status) for r in sorted(newest.reviews,
                                                          key=lambda r: str(r.due_on))] == [
        ("three_month", REVIEWED_ON, "completed"), ("annual", None, "scheduled")]
    [ended] = [a for p in found.plans if p.version == 2 for a in p.activities
               if a.case_id == hosiery.case_id]
    assert ended.status == "stopped"
    assert {(c.case_id, c.decider_kind, c.status) for c in found.consents} == {
        (drops.case_id, "lpa", "active"), (hosiery.case_id, "lpa", "inactive")}
    assert [(o.clinician, o.phone_out_of_hours) for o in found.oversights] == [
        ("Sam Example RN", "0116 496 0999")]
    assert {p.target[0] for p in found.provenance} == {"Patient", "CarePlan", "Consent",
                                                       "PractitionerRole"}


@pytest.mark.hazard("H-047")
def test_the_round_trip_holds_for_every_person_of_the_demo(demo_exports: Any) -> None:
    for records, directory, resources in demo_exports:
        assert_same_facts(facts_of(records, directory), read_back(resources))


@pytest.mark.hazard("H-047")
def test_an_attorneys_withdrawal_reads_exactly_so_in_consent_and_careplan(
        vault: VaultSession, built: Any) -> None:
    _drops, _hosiery, alfie = built
    _records, _directory, resources = export_of(vault, alfie.person_id)
    consents = sorted(of_type(resources, "Consent"), key=lambda c: c["dateTime"])
    given, withdrawn = consents
    for consent in consents:
        [decider] = consent["contained"]
        assert consent["performer"] == [{"reference": "#decider", "display": ATTORNEY}]
        assert decider["resourceType"] == "RelatedPerson"
        assert decider["name"] == [{"text": ATTORNEY}]
        lpa, relationship = decider["relationship"]
        assert lpa["text"] == "Lasting Power of Attorney for health and welfare"
        assert lpa["coding"][0]["code"] == "HPOWATT"
        assert relationship == {"text": "Daughter"}
        assert decider["identifier"] == [{"system": systems.LPA_REGISTRATION,
                                          "value": "OPG-DEMO-0001"}]
        assert consent["policy"][0]["uri"].endswith("/ukpga/2005/9/section/9")
        assert consent["scope"]["coding"][0]["code"] == "treatment"
    assert (withdrawn["status"], withdrawn["dateTime"], withdrawn["provision"]["type"]) == (
        "inactive", ENDED_ON.isoformat(), "deny")
    # The consent it withdrew is no longer in force either: it ends the day it was withdrawn.
    assert (given["status"], given["provision"]["type"], given["provision"]["period"]) == (
        "inactive", "permit", {"start": "2026-11-30", "end": ENDED_ON.isoformat()})
    plans = sorted(of_type(resources, "CarePlan"), key=lambda p: p["title"])
    first, second = plans
    [drops] = first["activity"]
    assert drops["detail"]["status"] == "stopped"
    assert drops["detail"]["statusReason"]["text"] == (
        f"Consent withdrawn on {ENDED_ON.isoformat()} by {ATTORNEY} (Lasting Power of "
        "Attorney for health and welfare)")
    assert first["status"] == "revoked" and first["period"]["end"] == ENDED_ON.isoformat()
    assert second["replaces"] == [{"reference": f"CarePlan/{first['id']}"}]
    assert second["status"] == "completed" and "activity" not in second
    assert of_type(resources, "CareTeam")[0]["status"] == "inactive"
    statuses = [a["detail"]["status"] for p in plans for a in p.get("activity", [])]
    assert "in-progress" not in statuses and "scheduled" not in statuses
    assert "active" not in [c["status"] for c in consents]


@pytest.mark.hazard("H-047")
def test_a_delegation_not_started_yet_is_not_in_progress(vault: VaultSession,
                                                         built: Any) -> None:
    drops, _hosiery, _alfie = built
    _records, _directory, resources = export_of(vault, drops.person_id, D(2026, 11, 30))
    first = next(p for p in of_type(resources, "CarePlan") if p["title"].endswith("1"))
    [drops_task] = [a for a in first["activity"] if "scheduledString" in a["detail"]]
    assert drops_task["detail"]["status"] == "not-started"
    assert drops_task["detail"]["statusReason"]["text"] == "Care starts on 2026-12-01"


# ------------------------------------------------------------------ awkward text


AWKWARD = st.one_of(
    st.sampled_from(["O'Brien \"Bunny\"", "Zoë 👩🏽‍⚕️ 💊", "مرحبا بالعالم", "שלום עולם",
                     "<b>&amp;</b>", "  leading and trailing  ", "line one\nline two\ttab",
                     "x" * 5000, "\\u0000 not a NUL", "🇬🇧" * 40]),
    st.text(st.characters(blacklist_categories=("Cs", "Cc")) | st.sampled_from("\n\t\r"),
            min_size=1, max_size=300))
# The texts the property replaces, where each lives in the records.
TEXTS = {
    "person": ("given_name", "family_name", "preferred_name", "address_line1",
               "address_line2", "town", "postcode", "phone", "gp_practice_name"),
    "tasks": ("what_is_delegated", "what_is_not_delegated", "frequency"),
    "plans": ("created_by_name", "summary", "person_words"),
    "consents": ("given_by_name", "capacity_decision", "capacity_assessor"),
    "contacts": ("name", "relationship", "registration_reference", "phone"),
    "oversights": ("organisation_name", "named_clinician", "phone_in_hours",
                   "phone_out_of_hours"),
}
OPTIONAL = {("person", "preferred_name"), ("person", "address_line2"), ("person", "phone"),
            ("person", "gp_practice_name"), ("person", "gp_practice_code"),
            ("plans", "summary"), ("plans", "person_words"), ("contacts", "phone"),
            ("contacts", "relationship"), ("contacts", "registration_reference"),
            ("oversights", "named_clinician"), ("consents", "capacity_decision"),
            ("consents", "capacity_assessor")}


@pytest.fixture(scope="module")
def zoe_rows(template_vault: Any, tmp_path_factory: pytest.TempPathFactory
             ) -> tuple[PersonRecords, Directory]:
    """Zoë's rows (three plan versions, reviews, two attorneys' consents, an oversight),
    from a copy of the module's template."""
    import shutil

    from tests.support import PASSPHRASE

    folder, user_id, _code, (drops, _hosiery, _alfie) = template_vault
    copy = tmp_path_factory.mktemp("awkward") / "vault"
    shutil.copytree(folder, copy)
    session = VaultStore(copy, kdf_cost=TEST_KDF).unlock(user_id, PASSPHRASE)
    try:
        records, directory, _resources = export_of(session, drops.person_id)
        return records, directory
    finally:
        session.close()


@pytest.mark.hazard("H-047")
@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(data=st.data())
def test_awkward_text_and_missing_fields_always_validate_and_come_back_unchanged(
        zoe_rows: tuple[PersonRecords, Directory], data: st.DataObject) -> None:
    records, directory = zoe_rows
    running = {c["id"] for c in records.cases if c["status"] == "active"}
    put: list[str] = []
    changed: dict[str, Any] = {}
    for field, columns in TEXTS.items():
        rows = [records.person] if field == "person" else list(getattr(records, field))
        new_rows = []
        for row in rows:
            values = dict(row)
            if field == "oversights" and row["delegation_case_id"] not in running:
                new_rows.append(values)  # an ended delegation's oversight is not exported
                continue
            for column in columns:
                if (field, column) in OPTIONAL and data.draw(st.booleans()):
                    values[column] = None
                else:
                    values[column] = data.draw(AWKWARD)
                    put.append(values[column])
            new_rows.append(values)
        changed[field] = new_rows[0] if field == "person" else tuple(new_rows)
    awkward = dataclasses.replace(records, **changed)
    resources = person_resources(awkward, directory)  # raises if one does not validate
    for resource in resources:
        assert json.dumps(model_dump(resource)) == json.dumps(resource)
        assert json.loads(ndjson_line(resource)) == resource
    assert_same_facts(facts_of(awkward, directory), read_back(resources))
    out = set(texts_in(resources))
    assert [t for t in put if t not in out and not any(t in o for o in out)] == []
