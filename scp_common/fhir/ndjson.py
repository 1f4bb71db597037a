"""The two shapes an export is written in: a Bundle (the laptop's file for one person) and
NDJSON lines (the store's Bulk Data files, one resource a line).

Each entry's ``fullUrl`` is the resource's RESTful URL under this app's base
(``systems.LOCAL``): the references inside the resources are relative (``Patient/<id>``)
and FHIR resolves a relative reference in a Bundle against the base of its entry's
``fullUrl``, so every one finds its target in the same Bundle. (``urn:uuid:<id>`` would
not do: a care worker's Practitioner and PractitionerRole share the worker's id.)
"""

from __future__ import annotations

import datetime as dt
import json
from collections.abc import Iterable, Mapping
from typing import Any

from scp_common.fhir import systems
from scp_common.fhir.build import Resource, validated


def full_url(resource: Mapping[str, Any]) -> str:
    """The entry's fullUrl: ``<base>/<resourceType>/<id>``."""
    return f"{systems.LOCAL}/{resource['resourceType']}/{resource['id']}"


def bundle(resources: Iterable[Mapping[str, Any]], *, timestamp: dt.datetime) -> Resource:
    """A Bundle of type "collection" holding ``resources`` in order, stamped ``timestamp``
    (an aware datetime: when the export was made), validated with ``fhir.resources``."""
    if timestamp.tzinfo is None:
        raise ValueError("the Bundle's timestamp needs its time zone")
    document: Resource = {
        "resourceType": "Bundle", "type": "collection",
        "timestamp": timestamp.isoformat(),
        "entry": [{"fullUrl": full_url(r), "resource": dict(r)} for r in resources]}
    return validated(document)


def ndjson_line(resource: Mapping[str, Any]) -> bytes:
    """One NDJSON line: the resource as compact UTF-8 JSON (keys in the order the model
    dumped them) and a newline. JSON escapes any newline inside a text, so a line is
    always exactly one resource."""
    return json.dumps(resource, ensure_ascii=False, separators=(",", ":")).encode("utf-8") + b"\n"
