"""One person's rows to FHIR R4 resources (JSON-ready dicts, each validated).

The modules beside this one make the resources as plain dicts (``people``, ``plans``,
``consents``); this one puts them in order, adds a Provenance for each, and validates every
one with its ``fhir.resources`` model (R4B's, whose classes for these resources are R4's),
returning what the model dumps. A resource that does not validate is a bug in the mapping,
never something to leave out quietly: ``ValueError`` names its type and field, never a value.
"""

from __future__ import annotations

import datetime as dt
import functools
import importlib
import json
from typing import Any, cast

from fhir_core.fhirabstractmodel import FHIRAbstractModel
from pydantic import ValidationError

from scp_common.fhir import systems as s
from scp_common.fhir.consents import consents
from scp_common.fhir.context import Draft, Key, Resource, instant, moment_of, prune, ref, text
from scp_common.fhir.people import nurse_team, patient
from scp_common.fhir.plans import care_plans, care_team
from scp_common.fhir.records import Directory, PersonRecords

__all__ = ["Resource", "model_dump", "person_resources", "validated"]

EXPORTERS = {"laptop": "Shared Care Planner (laptop)",
             "store": "Shared Care Planner central store"}
_MODULES = {"Patient": "patient", "Organization": "organization",
            "Practitioner": "practitioner", "PractitionerRole": "practitionerrole",
            "CareTeam": "careteam", "CarePlan": "careplan", "Consent": "consent",
            "Provenance": "provenance", "Bundle": "bundle", "RelatedPerson": "relatedperson"}
_MODELS: dict[str, Any] = {}


def person_resources(records: PersonRecords, directory: Directory) -> list[Resource]:
    """Patient, the Organizations and Practitioners/PractitionerRoles they point to,
    CareTeam, a CarePlan per support plan version, a Consent per consent record, and a
    Provenance for each; every one validated with ``fhir.resources``. Shared resources
    (a GP practice, a provider, the ICB) come with every person who points to them: a
    bulk writer keeps the first of each (resourceType, id)."""
    draft = Draft(records, directory, directory.as_of or dt.date.today())
    patient(draft)
    team = care_team(draft)
    care_plans(draft, team)
    consents(draft, nurse_team(draft))
    made = list(draft.resources.items())
    for key, _resource in made:
        if draft.sources.get(key):
            _provenance(draft, key)
    return [validated(resource, shared=key not in draft.person_scoped)
            for key, resource in draft.resources.items()]


def model_of(resource_type: str) -> Any:
    """The ``fhir.resources`` R4B model class for a resource type (imported once)."""
    model = _MODELS.get(resource_type)
    if model is None:
        name = _MODULES.get(resource_type)
        if name is None:
            raise ValueError(f"no model for resource type {resource_type!r}")
        module = importlib.import_module(f"fhir.resources.R4B.{name}")
        model = _MODELS[resource_type] = getattr(module, resource_type)
    return model


def validated(resource: Resource, *, shared: bool = False) -> Resource:
    """``resource`` validated by its ``fhir.resources`` model, as the model dumps it: no
    empty elements, FHIR's element order. ValueError names the type and the failing
    fields, never a value.

    The model's own ``model_dump`` costs as much again as validating, and what it writes
    is the resource as made (the mapping writes UTC instants as "Z", as it does), in
    FHIR's order: so the resource is put in that order by walking the validated model
    (``_in_order``) rather than dumped (tests/services/test_fhir_export.py holds the two
    equal). A ``shared`` resource (a provider, a worker, a council, the nurse team, their
    Provenance) comes again with every person who points to it: one with the same JSON
    text as before is not validated again. Every caller gets a fresh dict of its own."""
    clean = prune(resource)
    document = json.dumps(clean, ensure_ascii=False)
    if shared:
        return cast(Resource, json.loads(_checked_shared(document)))
    return cast(Resource, _in_order(clean, _model(document)))


def model_dump(resource: Resource) -> Resource:
    """What ``fhir.resources`` itself dumps for ``resource`` (for tests to compare)."""
    model = model_of(str(resource["resourceType"])).model_validate(resource)
    dumped: Resource = model.model_dump(mode="json", exclude_none=True)
    return dumped


def _model(document: str) -> Any:
    """The model of a resource given as JSON text; ValueError if it does not validate."""
    kind = str(json.loads(document).get("resourceType"))
    try:
        return model_of(kind).model_validate_json(document)
    except ValidationError as problem:
        fields = sorted({".".join(str(p) for p in e["loc"]) for e in problem.errors()})
        raise ValueError(f"{kind} did not validate as FHIR R4: {', '.join(fields)}") from None


@functools.lru_cache(maxsize=4096)
def _checked_shared(document: str) -> str:
    """A shared resource given as JSON text, validated, as JSON text in FHIR's order."""
    return json.dumps(_in_order(json.loads(document), _model(document)), ensure_ascii=False)


def _in_order(value: Any, model: Any) -> Any:
    """``value`` (JSON) with each object's keys in the order its model dumps them."""
    if isinstance(value, list) and isinstance(model, list):
        return [_in_order(v, m) for v, m in zip(value, model, strict=True)]
    if isinstance(value, dict) and isinstance(model, FHIRAbstractModel):
        ranks = _ranks(type(model))
        inner = model.__dict__
        return {key: _in_order(value[key], inner.get(ranks[key][1]))
                for key in sorted(value, key=lambda k: ranks[k][0])}
    return value


@functools.cache
def _ranks(model_class: type[FHIRAbstractModel]) -> dict[str, tuple[int, str]]:
    """A model's JSON keys → (place in FHIR's element order, the model's field name)."""
    aliases = model_class.get_alias_mapping()
    ranks = {"resourceType": (-1, "")}
    for place, element in enumerate(model_class.elements_sequence()):
        field = aliases[element]
        ranks[model_class.model_fields[field].alias or field] = (place, field)
    return ranks


def _provenance(draft: Draft, key: Key) -> None:
    """Who last saved the newest row the resource was made from, when, on which device;
    and that this app assembled the resource from it (on the laptop or the store)."""
    row = max(draft.sources[key], key=moment_of)
    targets = [key, *draft.riders.get(key, [])]
    user, device = text(row.get("updated_by")), text(row.get("device_id"))
    team = nurse_team(draft) if key in draft.person_scoped else None
    agents = []
    if user:
        agents.append({
            "type": _agent_type("author", "Author"),
            "who": {"identifier": {"system": s.APP_USER, "value": user},
                    "display": draft.directory.user_names.get(user)},
            "onBehalfOf": ref(*team) if team else None})
    if device:
        agents.append({
            "type": _agent_type("composer", "Composer"),
            "who": {"identifier": {"system": s.DEVICE, "value": device},
                    "display": draft.directory.device_names.get(device)}})
    source = draft.directory.exported_from
    agents.append({"type": _agent_type("assembler", "Assembler"),
                   "who": {"identifier": {"system": s.EXPORTER, "value": source},
                           "display": EXPORTERS.get(source, source)}})
    resource: Resource = {
        "resourceType": "Provenance", "id": s.stable_id("provenance", f"{key[0]}/{key[1]}"),
        "target": [ref(*target) for target in targets],
        "recorded": instant(row.get("updated_at")) or instant(row.get("created_at")),
        "agent": agents}
    draft.add(resource, person_scoped=key in draft.person_scoped)


def _agent_type(code: str, display: str) -> dict[str, Any]:
    return {"coding": [{"system": s.PROVENANCE_AGENT, "code": code, "display": display}]}
